"""`storage:` shared file systems: Amazon EFS and FSx for Lustre, each optional.

The value rules are the library's (`eks_blueprint.storage.rules`), so the YAML and the
constructs refuse the same values; `check_storage` adds the rules that need the rest of the
environment (its tenants and its compute).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, model_validator

from ..addons.versions import AddonName, resolve_addon_version
from ..storage import rules
from ..storage.rules import EfsThroughputMode, LustreDeploymentType, LustreVersion
from .base import FieldError, StrictModel

if TYPE_CHECKING:
    from .compute import ComputeConfig
    from .tenancy import TenantConfig

StorageClassName = Annotated[str, AfterValidator(rules.check_storage_class_name)]


class EfsAccessPointConfig(StrictModel):
    """An access point of one tenant: its own directory /tenants/<tenant>, every file
    created as `posix_id`, and a PersistentVolume the tenant claims as `shared-files`."""

    tenant: str
    """The name of a tenant in `tenants:` (its namespace)."""
    posix_id: int
    """The uid and gid every request through the access point runs as, 1 to 4294967295,
    different for each tenant. Changing it replaces the access point (the files stay)."""

    @model_validator(mode="after")
    def _valid_id(self) -> EfsAccessPointConfig:
        try:
            rules.check_posix_id(self.posix_id)
        except ValueError as exc:
            raise FieldError("posix_id", str(exc)) from None
        return self


class EfsConfig(StrictModel):
    """An encrypted EFS file system (customer-managed key, daily AWS Backup, TLS only) with
    a mount target in each private subnet, the EFS CSI driver add-on and a StorageClass."""

    throughput_mode: EfsThroughputMode = "elastic"
    """`elastic` (pay per GiB transferred, scales at once) or `bursting` (throughput grows
    with the stored size). Default: elastic."""
    transition_to_ia_days: int | None = None
    """Move files not read for this many days to Infrequent Access: 1, 7, 14, 30, 60, 90,
    180, 270 or 365. Default: none."""
    storage_class_name: StorageClassName = "efs"
    """The StorageClass of dynamic volumes (one access point each, under /dynamic).
    Default: efs."""
    directory_perms: str = "700"
    """Mode of each dynamic volume's root directory, octal, owner rwx. Default: 700."""
    access_points: list[EfsAccessPointConfig] = Field(default_factory=list)
    """One access point per tenant that shares files across its pods. Default: none."""
    version: str | None = None
    """An aws-efs-csi-driver add-on version listed in eks_blueprint/addons/versions.py.
    Default: the pinned one."""

    @model_validator(mode="after")
    def _valid(self) -> EfsConfig:
        if self.transition_to_ia_days is not None:
            try:
                rules.check_ia_days(self.transition_to_ia_days)
            except ValueError as exc:
                raise FieldError("transition_to_ia_days", str(exc)) from None
        try:
            rules.check_directory_perms(self.directory_perms)
        except ValueError as exc:
            raise FieldError("directory_perms", str(exc)) from None
        tenants = [p.tenant for p in self.access_points]
        for index, tenant in enumerate(tenants):
            if tenant in tenants[:index]:
                raise FieldError(
                    f"access_points[{index}].tenant",
                    f"tenant {tenant!r} already has an access point; list each tenant once",
                )
        ids = [p.posix_id for p in self.access_points]
        for index, posix_id in enumerate(ids):
            if posix_id in ids[:index]:
                raise FieldError(
                    f"access_points[{index}].posix_id",
                    f"{posix_id} is the posix_id of access_points[{ids.index(posix_id)}] "
                    "too; give each tenant its own, or they can read each other's files",
                )
        return self


class FsxLustreConfig(StrictModel):
    """A StorageClass that creates an FSx for Lustre file system per claim (none is created
    by the stack), the FSx CSI driver add-on with its role, and the Lustre security group."""

    deployment_type: LustreDeploymentType = "PERSISTENT_2"
    """SCRATCH_2 (temporary, cheapest), PERSISTENT_1 or PERSISTENT_2 (replicated, backed
    up, customer-managed key). Default: PERSISTENT_2."""
    per_unit_storage_throughput: int | None = None
    """MB/s per TiB: PERSISTENT_1 50, 100 or 200; PERSISTENT_2 125, 250, 500 or 1000; not
    for SCRATCH_2. Default: the lowest of the type."""
    file_system_type_version: LustreVersion = "2.15"
    """Lustre version of new file systems: 2.10, 2.12 or 2.15 (PERSISTENT_2: 2.12+).
    Default: 2.15."""
    backup_retention_days: int | None = None
    """Days of automatic daily backups, 0 (off) to 35; persistent types only. Default: 7
    for persistent types."""
    storage_class_name: StorageClassName = "fsx-lustre"
    """The StorageClass. Default: fsx-lustre."""
    version: str | None = None
    """An aws-fsx-csi-driver add-on version listed in eks_blueprint/addons/versions.py.
    Default: the pinned one."""

    @model_validator(mode="after")
    def _valid(self) -> FsxLustreConfig:
        try:
            rules.check_lustre(
                self.deployment_type,
                self.per_unit_storage_throughput,
                self.file_system_type_version,
                self.backup_retention_days,
            )
        except rules.LustreError as exc:
            raise FieldError(exc.field, str(exc)) from None
        return self


class StorageConfig(StrictModel):
    """Shared file storage, each kind optional: present means on."""

    efs: EfsConfig | None = None
    """An EFS file system for ReadWriteMany volumes across zones. Default: none."""
    fsx_lustre: FsxLustreConfig | None = None
    """Dynamic FSx for Lustre volumes (high-throughput scratch or training data). Default:
    none."""

    @property
    def needs_kubectl(self) -> bool:
        """Whether a StorageClass is applied (through the cluster's Kubernetes layers)."""
        return self.efs is not None or self.fsx_lustre is not None

    @model_validator(mode="after")
    def _distinct_classes(self) -> StorageConfig:
        if (
            self.efs is not None
            and self.fsx_lustre is not None
            and self.efs.storage_class_name == self.fsx_lustre.storage_class_name
        ):
            raise FieldError(
                "fsx_lustre.storage_class_name",
                f"{self.fsx_lustre.storage_class_name!r} is the EFS StorageClass too; give "
                "each its own name",
            )
        return self


def check_storage(
    storage: StorageConfig,
    tenants: Sequence[TenantConfig],
    compute: ComputeConfig,
    kubernetes_version: str,
) -> None:
    """Rules that need the rest of the environment: access points name existing tenants;
    both drivers need EC2 nodes (EFS dynamic provisioning and the FSx driver do not run on
    Fargate); add-on versions are listed for the cluster's Kubernetes version."""
    if storage.efs is None and storage.fsx_lustre is None:
        return
    versions: list[tuple[str, AddonName, str | None]] = [
        ("storage.efs.version", "aws-efs-csi-driver", storage.efs.version if storage.efs else None),
        (
            "storage.fsx_lustre.version",
            "aws-fsx-csi-driver",
            storage.fsx_lustre.version if storage.fsx_lustre else None,
        ),
    ]
    for path, addon, version in versions:
        if version is None:
            continue
        try:
            resolve_addon_version(kubernetes_version, addon, version)
        except ValueError as exc:
            raise FieldError(path, f"with cluster.version {kubernetes_version}: {exc}") from None
    ec2_nodes = (
        bool(compute.node_groups)
        or bool(compute.self_managed_node_groups)
        or compute.karpenter is not None
        or (compute.auto_mode is not None)
    )
    if storage.efs is not None:
        names = [t.name for t in tenants]
        for index, point in enumerate(storage.efs.access_points):
            if point.tenant not in names:
                raise FieldError(
                    f"storage.efs.access_points[{index}].tenant",
                    f"{point.tenant!r} is not a tenant of this environment (tenants: "
                    f"{', '.join(names) or 'none'}); add it to tenants or fix the name",
                )
        if not ec2_nodes:
            raise FieldError(
                "storage.efs",
                "dynamic EFS volumes need EC2 nodes (the EKS user guide: no dynamic "
                "provisioning on Fargate), and compute has no node_groups, "
                "self_managed_node_groups, karpenter or auto_mode; add EC2 capacity or "
                "remove storage.efs",
            )
    if storage.fsx_lustre is not None and not ec2_nodes:
        raise FieldError(
            "storage.fsx_lustre",
            "the FSx for Lustre CSI driver does not run on Fargate (EKS user guide), and "
            "compute has no node_groups, self_managed_node_groups, karpenter or auto_mode; "
            "add EC2 capacity or remove storage.fsx_lustre",
        )
