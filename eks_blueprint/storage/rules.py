"""Pure rules and facts of the shared file storage (EFS, FSx for Lustre), cdk-free.

The config models (`eks_blueprint.config.storage`) and the constructs (`efs.py`, `fsx.py`)
call the same checks, so a YAML file and a library user are refused the same values for the
same reason. Each check returns the value it accepts and raises ValueError with the problem
and the fix, without saying where (the caller knows).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final, Literal, get_args

from ..validate_names import check_kubernetes_name, check_unique

# -- EFS ---------------------------------------------------------------------------------

#: The EFS CSI driver's provisioner name (kubernetes-sigs/aws-efs-csi-driver docs/parameters.md).
EFS_PROVISIONER: Final = "efs.csi.aws.com"
#: The controller's service account in the EKS add-on (chart values.yaml
#: controller.serviceAccount.name; the EKS user guide's add-on page creates the role for it).
EFS_CONTROLLER_SERVICE_ACCOUNT: Final = "efs-csi-controller-sa"
#: The AWS managed policy the EKS user guide requires for the add-on (add-ons-aws-efs-csi-driver).
EFS_MANAGED_POLICY: Final = "service-role/AmazonEFSCSIDriverPolicy"
#: NFS over TLS: the only port the EFS mount targets admit (EFS user guide, "Using VPC
#: security groups": inbound TCP 2049 from the clients' security group).
NFS_PORT: Final = 2049
#: The claim each tenant creates to get its access point: its PersistentVolume is pre-bound
#: (claimRef) to `<tenant namespace>/shared-files`, so no other namespace can claim it.
TENANT_CLAIM_NAME: Final = "shared-files"
#: Where tenant access points put their root directory on the file system.
TENANT_ROOT: Final = "/tenants"
#: Where dynamically provisioned volumes (one access point each) go on the file system.
DYNAMIC_BASE_PATH: Final = "/dynamic"

EfsThroughputMode = Literal["elastic", "bursting"]
EFS_THROUGHPUT_MODES: tuple[str, ...] = get_args(EfsThroughputMode)
#: Days after the last access at which files move to EFS Infrequent Access: the values of
#: AWS::EFS::FileSystem LifecyclePolicy TransitionToIA (AFTER_1_DAY ... AFTER_365_DAYS).
IA_TRANSITION_DAYS: tuple[int, ...] = (1, 7, 14, 30, 60, 90, 180, 270, 365)
#: POSIX ids an access point may enforce: 1 to 2^32-1 (AWS::EFS::AccessPoint PosixUser Uid,
#: Gid are 0..4294967295; 0 is root, which a tenant never gets).
POSIX_ID_RANGE: tuple[int, int] = (1, 4_294_967_295)

#: Kubernetes StorageClass names are DNS-1123 subdomains; this project uses labels.
STORAGE_CLASS_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
#: StorageClasses that exist already: EKS's gp2, and the add-ons' encrypted gp3
#: (eks_blueprint.addons.addons.STORAGE_CLASS_NAME; a test keeps the two in step). The
#: manifests are applied with overwrite, so reusing a name would replace that class.
RESERVED_STORAGE_CLASSES: tuple[str, ...] = ("gp2", "gp3-encrypted")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_storage_class_name(value: str) -> str:
    """A StorageClass name: 1-63 lower-case letters, digits or '-' (a DNS label), not one
    the cluster has already."""
    if not isinstance(value, str) or not STORAGE_CLASS_NAME.fullmatch(value):
        raise ValueError(
            "not a StorageClass name: 1-63 lower-case letters, digits or '-', starting and "
            "ending with a letter or digit, e.g. efs"
        )
    if value in RESERVED_STORAGE_CLASSES:
        raise ValueError(
            f"{value!r} is a StorageClass the cluster already has (EBS); choose another name"
        )
    return value


def check_directory_perms(value: str) -> str:
    """Octal permissions of the access points' root directories, three digits, e.g. 700.
    The owner must keep rwx, or the pod that owns the volume cannot use it."""
    if not isinstance(value, str):
        raise ValueError(
            "give the octal permissions as text of three digits, e.g. '700' (a number such "
            "as 700 or 0o700 is not read as octal permissions)"
        )
    if not re.fullmatch(r"[0-7]{3}", value):
        raise ValueError("not octal permissions: three digits 0-7, e.g. 700 or 750")
    if value[0] != "7":
        raise ValueError(
            f"the owner needs rwx (7) on the volume's root directory, got {value}; e.g. 700"
        )
    return value


def check_ia_days(value: int) -> int:
    """One of the transitions EFS offers (IA_TRANSITION_DAYS)."""
    if not _whole(value) or value not in IA_TRANSITION_DAYS:
        allowed = ", ".join(str(d) for d in IA_TRANSITION_DAYS)
        raise ValueError(
            f"EFS moves files to Infrequent Access only after {allowed} days (a whole number)"
        )
    return value


def check_posix_id(value: int) -> int:
    """A non-root POSIX user and group id."""
    low, high = POSIX_ID_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(
            f"a POSIX id is a whole number from {low} to {high} (0 is root, which an access "
            "point of a tenant must not enforce)"
        )
    return value


def check_tenant_access_points(namespaces: Sequence[str], posix_ids: Sequence[int]) -> None:
    """Tenant access points: valid namespaces and ids, each namespace and each id once (two
    tenants with one id could read each other's files wherever their directories meet)."""
    for namespace in namespaces:
        check_kubernetes_name(namespace)
    for posix_id in posix_ids:
        check_posix_id(posix_id)
    check_unique(list(namespaces))
    again = [i for i in posix_ids if list(posix_ids).count(i) > 1]
    if again:
        raise ValueError(
            f"POSIX id {again[0]} is given to more than one tenant; give each tenant its own"
        )


def efs_persistent_volume_name(namespace: str) -> str:
    """The PersistentVolume of a tenant's access point."""
    return f"efs-{namespace}"


# -- FSx for Lustre ----------------------------------------------------------------------

#: The FSx for Lustre CSI driver's provisioner name (kubernetes-sigs/aws-fsx-csi-driver).
FSX_PROVISIONER: Final = "fsx.csi.aws.com"
#: The controller's service account (chart values.yaml controller.serviceAccount.name; the
#: EKS user guide's "Deploy the FSx for Lustre driver" creates the role for it).
FSX_CONTROLLER_SERVICE_ACCOUNT: Final = "fsx-csi-controller-sa"
#: LNET: TCP 988 and 1018-1023, inbound on the file system's ENIs from the clients and from
#: the file system's own ENIs (FSx for Lustre user guide, "File system access control with
#: Amazon VPC"; creation fails otherwise: "Creating an FSx for Lustre file system fails").
LUSTRE_PORTS: tuple[tuple[int, int], ...] = ((988, 988), (1018, 1023))
#: The tag the driver puts on every file system it creates (StorageClass `extraTags`); the
#: driver's role may only create, change and delete file systems that carry it with the
#: cluster's name.
FSX_CLUSTER_TAG: Final = "eks-blueprint/cluster"

LustreDeploymentType = Literal["SCRATCH_2", "PERSISTENT_1", "PERSISTENT_2"]
LUSTRE_DEPLOYMENT_TYPES: tuple[str, ...] = get_args(LustreDeploymentType)
LustreVersion = Literal["2.10", "2.12", "2.15"]
LUSTRE_VERSIONS: tuple[str, ...] = get_args(LustreVersion)
#: PerUnitStorageThroughput (MB/s/TiB) of SSD storage per deployment type (FSx API
#: reference, CreateFileSystemLustreConfiguration). SCRATCH_2 has none.
PER_UNIT_THROUGHPUT: dict[str, tuple[int, ...]] = {
    "PERSISTENT_1": (50, 100, 200),
    "PERSISTENT_2": (125, 250, 500, 1000),
}
#: The throughput a persistent StorageClass gets when none is given: the lowest tier.
DEFAULT_PER_UNIT_THROUGHPUT: dict[str, int] = {"PERSISTENT_1": 50, "PERSISTENT_2": 125}
#: Days FSx keeps automatic daily backups of a persistent file system: 0 (off) to 35 (FSx
#: API reference, AutomaticBackupRetentionDays). Default here: 7 for persistent types.
BACKUP_RETENTION_RANGE: tuple[int, int] = (0, 35)
DEFAULT_BACKUP_RETENTION_DAYS: Final = 7


def is_persistent(deployment_type: str) -> bool:
    """PERSISTENT_1 and PERSISTENT_2 keep data across server failures, take a KMS key and
    back up; SCRATCH_2 does neither."""
    return deployment_type.startswith("PERSISTENT")


class LustreError(ValueError):
    """A refused FSx for Lustre setting; `field` names it: deployment_type,
    file_system_type_version, per_unit_storage_throughput or backup_retention_days (the
    names of FsxLustreConfig and FsxLustreStorageProps alike)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def check_lustre(
    deployment_type: str, per_unit_throughput: int | None, version: str, backup_days: int | None
) -> None:
    """A combination FSx accepts: a known type and version, a throughput tier the type has
    (none for SCRATCH_2), PERSISTENT_2 on Lustre 2.12 or later (the FSx for Lustre user
    guide's deployment-type table; 2.10 is PERSISTENT_1 and SCRATCH only), and backups only
    for persistent types. Raises LustreError naming the setting to change."""
    if deployment_type not in LUSTRE_DEPLOYMENT_TYPES:
        raise LustreError(
            "deployment_type",
            f"unknown deployment type {deployment_type!r}; use one of "
            f"{', '.join(LUSTRE_DEPLOYMENT_TYPES)}",
        )
    if version not in LUSTRE_VERSIONS:
        quoted = (
            f" as text ('{version:.2f}'): the number {version} is not a version"
            if isinstance(version, float)
            else ""
        )
        raise LustreError(
            "file_system_type_version",
            f"unknown Lustre version {version!r}; use one of {', '.join(LUSTRE_VERSIONS)}{quoted}",
        )
    if per_unit_throughput is not None and not _whole(per_unit_throughput):
        raise LustreError(
            "per_unit_storage_throughput",
            f"MB/s per TiB is a whole number, e.g. {DEFAULT_PER_UNIT_THROUGHPUT['PERSISTENT_2']}",
        )
    tiers = PER_UNIT_THROUGHPUT.get(deployment_type)
    if tiers is None and per_unit_throughput is not None:
        raise LustreError(
            "per_unit_storage_throughput",
            f"{deployment_type} has no per-unit throughput setting (its throughput follows "
            "its size); remove it, or use PERSISTENT_2",
        )
    if tiers is not None and per_unit_throughput is not None and per_unit_throughput not in tiers:
        raise LustreError(
            "per_unit_storage_throughput",
            f"{deployment_type} SSD offers {', '.join(str(t) for t in tiers)} MB/s/TiB, not "
            f"{per_unit_throughput}",
        )
    if deployment_type == "PERSISTENT_2" and version == "2.10":
        raise LustreError(
            "file_system_type_version",
            "PERSISTENT_2 file systems run Lustre 2.12 or 2.15; use 2.15",
        )
    if backup_days is None:
        return
    low, high = BACKUP_RETENTION_RANGE
    if not _whole(backup_days) or not low <= backup_days <= high:
        raise LustreError(
            "backup_retention_days", f"backups are kept {low} to {high} days (a whole number)"
        )
    if backup_days and not is_persistent(deployment_type):
        raise LustreError(
            "backup_retention_days",
            f"{deployment_type} file systems are not backed up; set backup retention to 0 or "
            "use a PERSISTENT type",
        )
