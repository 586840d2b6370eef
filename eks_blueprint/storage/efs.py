"""EfsStorage: an encrypted Amazon EFS file system for a cluster, its CSI driver and classes.

What it builds, in one construct:

- an AWS::EFS::FileSystem encrypted with a customer-managed key (rotating), in the EFS
  backup policy (AWS Backup's default daily plan), General Purpose performance, Elastic
  throughput by default, an optional lifecycle transition to Infrequent Access, and a file
  system policy that refuses every request not made over TLS (aws:SecureTransport);
- one mount target per selected (private) subnet, behind a security group of their own that
  admits NFS (TCP 2049) from the nodes' security group only, never from a CIDR;
- the `aws-efs-csi-driver` EKS add-on, its controller bound through Pod Identity to a role
  with the AWS managed AmazonEFSCSIDriverPolicy (what the EKS user guide requires), ordered
  after the cluster's capacity (its pods need nodes);
- one Kubernetes manifest (one item of the cluster's platform layer) with a StorageClass
  for dynamic provisioning (`provisioningMode: efs-ap`: one access point per volume, under
  /dynamic) and, per tenant access point, a PersistentVolume pre-bound to
  `<tenant>/shared-files`.

Which nodes can mount: managed node groups here set no security group in their launch
templates and Karpenter's EC2NodeClass selects the group tagged aws:eks:cluster-name, so
both run in the cluster security group EKS creates; that group is the default client group.
Fargate pods can mount EFS volumes too (static provisioning only, EKS user guide "Use
elastic file system storage with Amazon EFS"); dynamic provisioning needs EC2 nodes.

Replacement: the file system's encryption, key and performance mode are create-only
(AWS::EFS::FileSystem), so changing them replaces it, and with it every file. The review
treats AWS::EFS::FileSystem and AWS::EFS::AccessPoint as stateful. Removal follows
`removal_policy` (RETAIN keeps the file system, its access points and its key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import RemovalPolicy, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_efs as efs
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

from ..addons.pod_identity import ensure_pod_identity_agent, pod_identity_role
from ..addons.versions import AddonName, check_kubernetes_version, resolve_addon_version
from ..compliance import acknowledge
from ..encryption import new_key
from ..ids import pascal_id
from ..kubernetes import Layer, apply_manifest, can_deliver, needs
from ..validate_names import PropError, check_field_types, check_prop
from ..wiring import capacity_of
from . import rules
from .rules import EfsThroughputMode

_THROUGHPUT: dict[str, efs.ThroughputMode] = {
    "elastic": efs.ThroughputMode.ELASTIC,
    "bursting": efs.ThroughputMode.BURSTING,
}
_IA: dict[int, efs.LifecyclePolicy] = {
    1: efs.LifecyclePolicy.AFTER_1_DAY,
    7: efs.LifecyclePolicy.AFTER_7_DAYS,
    14: efs.LifecyclePolicy.AFTER_14_DAYS,
    30: efs.LifecyclePolicy.AFTER_30_DAYS,
    60: efs.LifecyclePolicy.AFTER_60_DAYS,
    90: efs.LifecyclePolicy.AFTER_90_DAYS,
    180: efs.LifecyclePolicy.AFTER_180_DAYS,
    270: efs.LifecyclePolicy.AFTER_270_DAYS,
    365: efs.LifecyclePolicy.AFTER_365_DAYS,
}


@dataclass(frozen=True, kw_only=True)
class EfsTenantAccessPoint:
    """An access point for one tenant: root directory /tenants/<namespace>, created owned by
    `posix_id` with mode 750, and every NFS request through it run as uid = gid = `posix_id`
    whatever the pod's user. Its PersistentVolume `efs-<namespace>` is pre-bound to the
    claim `shared-files` in that namespace."""

    namespace: str
    """The tenant's namespace (a Kubernetes name)."""
    posix_id: int
    """The uid and gid the access point enforces, 1 to 4294967295, one per tenant."""


@dataclass(frozen=True, kw_only=True)
class EfsStorageProps:
    """The settings of EfsStorage. Defaults are the secure ones."""

    cluster: eks.ICluster
    """The cluster; the StorageClass is a manifest, so it must take Kubernetes objects: a
    ControlPlane's Kubernetes layers (the default) or an eks.Cluster with aws_eks_v2's kubectl
    provider."""
    kubernetes_version: str
    """The cluster's Kubernetes version, e.g. "1.34": selects the pinned add-on version."""
    vpc: ec2.IVpc
    """The cluster's VPC."""
    subnets: ec2.SubnetSelection = field(
        default_factory=lambda: ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    )
    """Where the mount targets go, one per subnet (EFS allows one per AZ): the subnets of
    the nodes. Default: the private subnets."""
    client_security_group: ec2.ISecurityGroup | None = None
    """The security group of the nodes that mount the file system; only it may reach the
    mount targets (TCP 2049). Default: the cluster security group, which managed node
    groups, Karpenter nodes and Fargate pods of this project use."""
    key: kms.IKey | None = None
    """Encrypts the file system at rest. Default: a new rotating customer-managed key."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """What happens to the file system, its access points and the new key when the stack is
    deleted. Default: retain."""
    throughput_mode: EfsThroughputMode = "elastic"
    """`elastic` (pay per use, scales with demand) or `bursting` (throughput grows with the
    stored size). Default: elastic."""
    transition_to_ia_days: int | None = None
    """Move files not read for this many days to Infrequent Access (1, 7, 14, 30, 60, 90,
    180, 270 or 365). Default: none (all files stay in Standard)."""
    storage_class_name: str = "efs"
    """The dynamic-provisioning StorageClass. Default: efs."""
    directory_perms: str = "700"
    """Mode of each dynamic volume's root directory (the driver's `directoryPerms`),
    octal, owner rwx. Default: 700."""
    tenant_access_points: Sequence[EfsTenantAccessPoint] = ()
    """One access point and pre-bound PersistentVolume per tenant. Default: none."""
    addon_version: str | None = None
    """An aws-efs-csi-driver version listed in versions.py. Default: the pin."""


def _check_props(path: str, props: EfsStorageProps) -> None:
    """Every check that needs no construct tree (PropError naming the prop and the fix)."""
    check_driver_versions(
        path, "EfsStorageProps", "aws-efs-csi-driver", props.kubernetes_version, props.addon_version
    )
    if props.throughput_mode not in rules.EFS_THROUGHPUT_MODES:
        raise PropError(
            path,
            "EfsStorageProps.throughput_mode",
            props.throughput_mode,
            f"use one of {', '.join(rules.EFS_THROUGHPUT_MODES)}",
        )
    if props.transition_to_ia_days is not None:
        check_prop(
            path,
            "EfsStorageProps.transition_to_ia_days",
            props.transition_to_ia_days,
            rules.check_ia_days,
        )
    check_prop(
        path,
        "EfsStorageProps.storage_class_name",
        props.storage_class_name,
        rules.check_storage_class_name,
    )
    check_prop(
        path, "EfsStorageProps.directory_perms", props.directory_perms, rules.check_directory_perms
    )
    points = props.tenant_access_points
    if isinstance(points, (str, bytes)) or not all(
        isinstance(p, EfsTenantAccessPoint) for p in points
    ):
        raise PropError(
            path,
            "EfsStorageProps.tenant_access_points",
            points,
            "give a list of EfsTenantAccessPoint(namespace=..., posix_id=...)",
        )
    check_prop(
        path,
        "EfsStorageProps.tenant_access_points",
        list(props.tenant_access_points),
        lambda points: rules.check_tenant_access_points(
            [p.namespace for p in points], [p.posix_id for p in points]
        ),
    )


def check_driver_versions(
    path: str,
    props_name: str,
    addon_name: AddonName,
    kubernetes_version: str,
    addon_version: str | None,
) -> None:
    """PropError unless `kubernetes_version` is supported and `addon_version` (if given)
    is a listed version of the driver add-on `addon_name` for it."""
    check_prop(
        path, f"{props_name}.kubernetes_version", kubernetes_version, check_kubernetes_version
    )
    if addon_version is not None:
        check_prop(
            path,
            f"{props_name}.addon_version",
            addon_version,
            lambda v: resolve_addon_version(kubernetes_version, addon_name, v),
        )


def require_kubectl(path: str, prop: str, cluster: eks.ICluster) -> None:
    """PropError unless `cluster` can apply the StorageClass manifest."""
    if not can_deliver(cluster):
        raise PropError(
            path,
            prop,
            cluster.node.path,
            "the StorageClass is a Kubernetes manifest, but the cluster has no kubectl "
            "provider; give it one (ControlPlaneProps.kubectl_provider=True)",
        )


def client_group(
    path: str, prop: str, cluster: eks.ICluster, given: ec2.ISecurityGroup | None
) -> ec2.ISecurityGroup:
    """`given`, else the cluster security group; PropError when neither is known (an
    imported cluster without `cluster_security_group_id`)."""
    if given is not None:
        return given
    try:
        return cluster.cluster_security_group
    except Exception:  # jsii raises when an imported cluster lacks the attribute
        raise PropError(
            path,
            prop,
            None,
            f"cluster {cluster.node.path} does not say its security group (import it with "
            "cluster_security_group_id); pass the nodes' security group",
        ) from None


def after_capacity(cluster: eks.ICluster, item: IConstruct) -> None:
    """Order `item` (an add-on whose pods need nodes) after every capacity construct
    registered for `cluster` (eks_blueprint.wiring), so CloudFormation never waits on pods
    with nowhere to run. Capacity added later is not ordered: create storage after it."""
    for hosts in capacity_of(cluster):
        needs(item, hosts)


def driver_addon(
    scope: Construct,
    *,
    cluster: eks.ICluster,
    kubernetes_version: str,
    addon_name: AddonName,
    addon_version: str | None,
    role: iam.IRole,
    service_account: str,
) -> eks.CfnAddon:
    """The CSI driver add-on `addon_name` (construct id "Driver"), its controller's service
    account bound to `role` through Pod Identity, ordered after the Pod Identity agent and
    the cluster's capacity (`after_capacity`)."""
    agent = ensure_pod_identity_agent(cluster, kubernetes_version)
    addon = eks.CfnAddon(
        scope,
        "Driver",
        cluster_name=cluster.cluster_name,
        addon_name=addon_name,
        addon_version=resolve_addon_version(kubernetes_version, addon_name, addon_version),
        resolve_conflicts="OVERWRITE",
        preserve_on_delete=False,
        pod_identity_associations=[
            eks.CfnAddon.PodIdentityAssociationProperty(
                role_arn=role.role_arn, service_account=service_account
            )
        ],
    )
    # The association only works once the agent runs on the nodes.
    addon.node.add_dependency(agent)
    after_capacity(cluster, addon)
    return addon


class EfsStorage(Construct):
    """An encrypted, backed-up EFS file system with mount targets in the node subnets, the
    EFS CSI driver add-on with its own Pod Identity role, and its StorageClass.

    Create it after the cluster's capacity (node groups, Karpenter, Fargate): the add-on is
    ordered after every capacity construct registered then.
    """

    def __init__(self, scope: Construct, id: str, *, props: EfsStorageProps) -> None:
        super().__init__(scope, id)
        path = self.node.path
        check_field_types(path, props, "EfsStorageProps")
        _check_props(path, props)
        require_kubectl(path, "EfsStorageProps.cluster", props.cluster)
        clients = client_group(
            path,
            "EfsStorageProps.client_security_group",
            props.cluster,
            props.client_security_group,
        )
        self.cluster = props.cluster
        self.key: kms.IKey = props.key or new_key(
            self,
            "Key",
            description="Encrypts the EFS file system of the cluster's shared storage",
            removal_policy=props.removal_policy,
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "MountTargetSecurityGroup",
            vpc=props.vpc,
            description="EFS mount targets: NFS from the cluster nodes only",
            # Mount targets only answer; they never open connections.
            allow_all_outbound=False,
        )
        # By id, not the group object: a group's rule id would embed its path, and with it
        # the environment (stage) name.
        self.security_group.add_ingress_rule(
            ec2.Peer.security_group_id(clients.security_group_id),
            ec2.Port.tcp(rules.NFS_PORT),
            "NFS (TLS) from the cluster nodes",
        )
        self.file_system = efs.FileSystem(
            self,
            "FileSystem",
            vpc=props.vpc,
            # EFS refuses a second mount target in an AZ (MountTargetConflict), and aws_efs
            # applies one_per_az only to its default selection: a VPC with two private
            # subnet groups would otherwise get two per AZ.
            vpc_subnets=ec2.SubnetSelection(
                subnet_type=props.subnets.subnet_type,
                subnet_group_name=props.subnets.subnet_group_name,
                subnets=props.subnets.subnets,
                availability_zones=props.subnets.availability_zones,
                subnet_filters=props.subnets.subnet_filters,
                one_per_az=True,
            ),
            security_group=self.security_group,
            encrypted=True,
            kms_key=self.key,
            enable_automatic_backups=True,
            performance_mode=efs.PerformanceMode.GENERAL_PURPOSE,
            throughput_mode=_THROUGHPUT[props.throughput_mode],
            lifecycle_policy=_IA[props.transition_to_ia_days]
            if props.transition_to_ia_days is not None
            else None,
            removal_policy=props.removal_policy,
            # True only stops aws_efs adding its own statement: the policy below is the
            # whole of it (mount and write through a mount target, over TLS, no root).
            allow_anonymous_access=True,
        )
        acknowledge(
            self.file_system,
            "NIST.800.53.R5::NIST.800.53.R5-EFSInBackupPlan",
            "The file system's backup policy is ENABLED: EFS automatic backups put it in AWS "
            "Backup's default plan for EFS (daily backups to the aws/efs/automatic-backup-vault "
            "vault); the rule only recognises AWS::Backup::BackupSelection resources.",
        )
        # NFS clients (the driver's node pods) may mount and write through a mount target
        # of this VPC, not as root: volumes come through access points, which enforce
        # their own user, so nobody needs root on the file system.
        self.file_system.add_to_resource_policy(
            iam.PolicyStatement(
                sid="MountThroughMountTargets",
                principals=[iam.AnyPrincipal()],
                actions=["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                resources=["*"],
                conditions={"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
            )
        )
        # Refuse every request not made over TLS (the driver mounts with TLS by default).
        self.file_system.add_to_resource_policy(
            iam.PolicyStatement(
                sid="DenyWithoutTls",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["*"],
                resources=["*"],
                conditions={"Bool": {"aws:SecureTransport": "false"}},
            )
        )
        self.access_points: dict[str, efs.AccessPoint] = {}
        for point in props.tenant_access_points:
            access_point = efs.AccessPoint(
                self,
                f"AccessPoint{pascal_id(point.namespace)}",
                file_system=self.file_system,
                path=f"{rules.TENANT_ROOT}/{point.namespace}",
                create_acl=efs.Acl(
                    owner_uid=str(point.posix_id),
                    owner_gid=str(point.posix_id),
                    permissions="750",
                ),
                posix_user=efs.PosixUser(uid=str(point.posix_id), gid=str(point.posix_id)),
            )
            access_point.apply_removal_policy(props.removal_policy)
            self.access_points[point.namespace] = access_point

        self.role = pod_identity_role(
            self,
            "DriverRole",
            description="aws-efs-csi-driver controller: creates and deletes EFS access points",
            managed_policies=[rules.EFS_MANAGED_POLICY],
        )
        acknowledge(
            self.role,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
            f"{rules.EFS_MANAGED_POLICY}]",
            "AmazonEFSCSIDriverPolicy is the AWS-managed policy the EKS user guide requires "
            "for the EFS CSI driver add-on: describe calls, and access points created, tagged "
            "and deleted only with the efs.csi.aws.com/cluster tag; usable only by the "
            "driver's controller service account (Pod Identity association).",
        )
        self.addon = driver_addon(
            self,
            cluster=props.cluster,
            kubernetes_version=props.kubernetes_version,
            addon_name="aws-efs-csi-driver",
            addon_version=props.addon_version,
            role=self.role,
            service_account=rules.EFS_CONTROLLER_SERVICE_ACCOUNT,
        )
        # Mount targets first: the driver resolves one per node's zone at mount time.
        self.addon.node.add_dependency(self.file_system)

        self.manifest = apply_manifest(
            self,
            "Manifest",
            props.cluster,
            efs_manifests(
                file_system_id=self.file_system.file_system_id,
                storage_class_name=props.storage_class_name,
                directory_perms=props.directory_perms,
                reclaim_policy="Retain"
                if props.removal_policy == RemovalPolicy.RETAIN
                else "Delete",
                access_points={
                    namespace: point.access_point_id
                    for namespace, point in self.access_points.items()
                },
            ),
            layer=Layer.PLATFORM,
            overwrite=True,
        )
        self.manifest.node.add_dependency(self.addon)


def efs_manifests(
    *,
    file_system_id: str,
    storage_class_name: str,
    directory_perms: str,
    reclaim_policy: str,
    access_points: dict[str, str],
) -> list[dict[str, Any]]:
    """The StorageClass for dynamic provisioning, then one PersistentVolume per tenant access
    point (`access_points`: namespace -> access point id), pre-bound to the tenant's claim.

    StorageClass parameters: kubernetes-sigs/aws-efs-csi-driver docs/parameters.md
    (provisioningMode efs-ap, fileSystemId, directoryPerms, basePath; the driver picks each
    volume's uid/gid from 50000-7000000 unless told otherwise). Static volume handles are
    `<file system id>::<access point id>` (examples/kubernetes/efs/access_points).
    """
    if not Token.is_unresolved(reclaim_policy) and reclaim_policy not in ("Retain", "Delete"):
        raise ValueError(f"reclaim_policy must be Retain or Delete, not {reclaim_policy!r}")
    documents: list[dict[str, Any]] = [
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": storage_class_name},
            "provisioner": rules.EFS_PROVISIONER,
            "parameters": {
                "provisioningMode": "efs-ap",
                "fileSystemId": file_system_id,
                "directoryPerms": directory_perms,
                "basePath": rules.DYNAMIC_BASE_PATH,
            },
            # Retain keeps the access point (and its files) when the claim is deleted.
            "reclaimPolicy": reclaim_policy,
            # EFS is regional: a volume is usable from every zone, no need to wait for a pod.
            "volumeBindingMode": "Immediate",
        }
    ]
    for namespace, access_point_id in access_points.items():
        documents.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolume",
                "metadata": {
                    "name": rules.efs_persistent_volume_name(namespace),
                    "labels": {"app.kubernetes.io/managed-by": "eks-blueprint"},
                },
                "spec": {
                    # Required by the API; EFS grows as needed and ignores it.
                    "capacity": {"storage": "1Gi"},
                    "volumeMode": "Filesystem",
                    "accessModes": ["ReadWriteMany"],
                    "persistentVolumeReclaimPolicy": "Retain",
                    # Static: the claim asks for storageClassName "" to bind to it.
                    "storageClassName": "",
                    "claimRef": {"namespace": namespace, "name": rules.TENANT_CLAIM_NAME},
                    "csi": {
                        "driver": rules.EFS_PROVISIONER,
                        "volumeHandle": f"{file_system_id}::{access_point_id}",
                    },
                },
            }
        )
    return documents
