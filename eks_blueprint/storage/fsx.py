"""FsxLustreStorage: dynamic FSx for Lustre volumes for a cluster.

No file system is declared in CloudFormation: the FSx for Lustre CSI driver creates one per
PersistentVolumeClaim of the StorageClass (a claim of 1200 GiB is a 1.2 TiB file system, and
is billed as one), and deletes or keeps it by the class's reclaim policy. This construct
builds what those file systems need:

- the `aws-fsx-csi-driver` EKS add-on, its controller bound through Pod Identity to a role
  that may create file systems only with the tag eks-blueprint/cluster=<cluster>, and
  change or delete only those (plus the describe call, which has no resource-level
  permissions, and the one-time FSx service-linked role);
- a security group for the file systems' network interfaces: Lustre (TCP 988, 1018-1023)
  between the file system's own interfaces and from the nodes' security group; and the
  same ports into the nodes' group from the file systems (the FSx for Lustre user guide,
  "File system access control with Amazon VPC");
- for PERSISTENT types, a rotating customer-managed KMS key the driver passes as kmsKeyId
  (SCRATCH_2 is always encrypted with a key FSx owns);
- one Kubernetes manifest with the StorageClass.

One subnet: a Lustre file system lives in one Availability Zone. The StorageClass uses the
first selected subnet (by default the first private subnet, in the VPC's AZ order); pods in
other zones can mount it across zones, at cross-AZ data-transfer cost and latency.

The driver is not supported on Fargate (EKS user guide, "Deploy the FSx for Lustre
driver"): file systems are mounted by EC2 nodes only. The nodes' AMI must carry a Lustre
client matching the file system's Lustre version.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from ..addons.pod_identity import pod_identity_role
from ..compliance import acknowledge_wildcard_resources
from ..encryption import new_key
from ..kubernetes import Layer, apply_manifest
from ..validate_names import PropError, check_field_types, check_prop
from . import rules
from .efs import check_driver_versions, client_group, driver_addon, require_kubectl
from .rules import LustreDeploymentType, LustreVersion


@dataclass(frozen=True, kw_only=True)
class FsxLustreStorageProps:
    """The settings of FsxLustreStorage."""

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
    """Subnets to choose from; the file systems go in the FIRST (one AZ). Default: the
    private subnets."""
    client_security_group: ec2.ISecurityGroup | None = None
    """The nodes' security group (Lustre clients). Default: the cluster security group,
    which managed node groups and Karpenter nodes of this project use."""
    deployment_type: LustreDeploymentType = "PERSISTENT_2"
    """SCRATCH_2 (temporary, no replication, cheapest), PERSISTENT_1 or PERSISTENT_2
    (replicated in the AZ, backed up, KMS key). Default: PERSISTENT_2."""
    per_unit_storage_throughput: int | None = None
    """MB/s per TiB of a persistent type: PERSISTENT_1 50/100/200, PERSISTENT_2
    125/250/500/1000; none for SCRATCH_2. Default: the lowest tier of the type."""
    file_system_type_version: LustreVersion = "2.15"
    """The Lustre version of new file systems (2.10 not with PERSISTENT_2). Default: 2.15."""
    backup_retention_days: int | None = None
    """Days of automatic daily backups of a persistent file system, 0 (off) to 35; not for
    SCRATCH_2. Default: 7 for persistent types."""
    key: kms.IKey | None = None
    """Encrypts persistent file systems. Default: a new rotating key (persistent types);
    refused with SCRATCH_2, which FSx encrypts with its own key."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """RETAIN: the new key outlives the stack and the StorageClass keeps file systems when
    their claim is deleted (reclaimPolicy Retain); DESTROY: both go. Default: retain."""
    storage_class_name: str = "fsx-lustre"
    """The StorageClass. Default: fsx-lustre."""
    addon_version: str | None = None
    """An aws-fsx-csi-driver version listed in versions.py. Default: the pin."""


def _check_props(path: str, props: FsxLustreStorageProps) -> None:
    """Every check that needs no construct tree (PropError naming the prop and the fix)."""
    check_driver_versions(
        path,
        "FsxLustreStorageProps",
        "aws-fsx-csi-driver",
        props.kubernetes_version,
        props.addon_version,
    )
    try:
        rules.check_lustre(
            props.deployment_type,
            props.per_unit_storage_throughput,
            props.file_system_type_version,
            props.backup_retention_days,
        )
    except rules.LustreError as exc:
        # The setting the rule is about, with its own value.
        raise PropError(
            path, f"FsxLustreStorageProps.{exc.field}", getattr(props, exc.field), str(exc)
        ) from None
    if props.key is not None and not rules.is_persistent(props.deployment_type):
        raise PropError(
            path,
            "FsxLustreStorageProps.key",
            props.key.node.path,
            f"{props.deployment_type} file systems are encrypted with a key FSx owns and take "
            "no KMS key; remove key or use a PERSISTENT type",
        )
    check_prop(
        path,
        "FsxLustreStorageProps.storage_class_name",
        props.storage_class_name,
        rules.check_storage_class_name,
    )


class FsxLustreStorage(Construct):
    """The FSx for Lustre CSI driver with its own Pod Identity role, the security group of
    its file systems, and a StorageClass that creates one file system per claim.

    Create it after the cluster's capacity: the add-on is ordered after every capacity
    construct registered then.
    """

    def __init__(self, scope: Construct, id: str, *, props: FsxLustreStorageProps) -> None:
        super().__init__(scope, id)
        path = self.node.path
        check_field_types(path, props, "FsxLustreStorageProps")
        _check_props(path, props)
        require_kubectl(path, "FsxLustreStorageProps.cluster", props.cluster)
        try:
            subnets = props.vpc.select_subnets(
                subnet_type=props.subnets.subnet_type,
                subnet_group_name=props.subnets.subnet_group_name,
                subnets=props.subnets.subnets,
                availability_zones=props.subnets.availability_zones,
                one_per_az=props.subnets.one_per_az,
            ).subnets
        except RuntimeError:  # jsii: the VPC has no subnet group of the selected kind
            subnets = []
        if not subnets:
            raise PropError(
                path,
                "FsxLustreStorageProps.subnets",
                None,
                "selects no subnet of the VPC; select the private subnets of the nodes",
            )
        #: The subnet (and so the AZ) every dynamic file system is created in.
        self.subnet: ec2.ISubnet = subnets[0]
        clients = client_group(
            path,
            "FsxLustreStorageProps.client_security_group",
            props.cluster,
            props.client_security_group,
        )
        self.cluster = props.cluster
        persistent = rules.is_persistent(props.deployment_type)

        self.security_group = ec2.SecurityGroup(
            self,
            "FileSystemSecurityGroup",
            vpc=props.vpc,
            description="FSx for Lustre file systems of the cluster: LNET from the nodes and "
            "between the file system interfaces",
            allow_all_outbound=False,
        )
        # Every rule a resource of its own with a fixed id: the group objects as peers would
        # name the rules after the groups' paths (so the environment's name), and an inline
        # rule naming its own group would be a cycle.
        own = self.security_group.security_group_id
        nodes = clients.security_group_id
        flows = (
            # (id, group, peer, ingress?, description)
            ("ServerIngress", own, own, True, "Lustre between servers"),
            ("ServerEgress", own, own, False, "Lustre between servers"),
            ("NodesIngress", own, nodes, True, "Lustre from the cluster nodes"),
            ("NodesEgress", own, nodes, False, "Lustre to the cluster nodes"),
            # The client side: the nodes admit Lustre from the file systems.
            (
                "ClientIngress",
                nodes,
                own,
                True,
                "Lustre from the FSx for Lustre file systems of the cluster",
            ),
        )
        for low, high in rules.LUSTRE_PORTS:
            for name, group_id, peer, ingress, description in flows:
                if ingress:
                    ec2.CfnSecurityGroupIngress(
                        self,
                        f"{name}{low}",
                        group_id=group_id,
                        source_security_group_id=peer,
                        ip_protocol="tcp",
                        from_port=low,
                        to_port=high,
                        description=description,
                    )
                else:
                    ec2.CfnSecurityGroupEgress(
                        self,
                        f"{name}{low}",
                        group_id=group_id,
                        destination_security_group_id=peer,
                        ip_protocol="tcp",
                        from_port=low,
                        to_port=high,
                        description=description,
                    )

        self.key: kms.IKey | None = None
        if persistent:
            self.key = props.key or new_key(
                self,
                "Key",
                description="Encrypts the cluster's dynamic FSx for Lustre file systems",
                removal_policy=props.removal_policy,
            )

        self.role = pod_identity_role(
            self,
            "DriverRole",
            description="aws-fsx-csi-driver controller: creates, resizes and deletes the "
            "cluster's FSx for Lustre file systems",
        )
        self.policy = driver_policy(
            self, "DriverPolicy", cluster_name=props.cluster.cluster_name, key=self.key
        )
        self.role.add_managed_policy(self.policy)
        self.addon = driver_addon(
            self,
            cluster=props.cluster,
            kubernetes_version=props.kubernetes_version,
            addon_name="aws-fsx-csi-driver",
            addon_version=props.addon_version,
            role=self.role,
            service_account=rules.FSX_CONTROLLER_SERVICE_ACCOUNT,
        )

        backup_days = props.backup_retention_days
        if backup_days is None and persistent:
            backup_days = rules.DEFAULT_BACKUP_RETENTION_DAYS
        throughput = props.per_unit_storage_throughput
        if throughput is None and persistent:
            throughput = rules.DEFAULT_PER_UNIT_THROUGHPUT[props.deployment_type]
        self.manifest = apply_manifest(
            self,
            "Manifest",
            props.cluster,
            [
                fsx_storage_class(
                    name=props.storage_class_name,
                    subnet_id=self.subnet.subnet_id,
                    security_group_id=self.security_group.security_group_id,
                    deployment_type=props.deployment_type,
                    file_system_type_version=props.file_system_type_version,
                    per_unit_storage_throughput=throughput,
                    kms_key_id=self.key.key_arn if self.key is not None else None,
                    backup_retention_days=backup_days,
                    cluster_name=props.cluster.cluster_name,
                    reclaim_policy="Retain"
                    if props.removal_policy == RemovalPolicy.RETAIN
                    else "Delete",
                )
            ],
            layer=Layer.PLATFORM,
            overwrite=True,
        )
        self.manifest.node.add_dependency(self.addon)


def driver_policy(
    scope: Construct, id: str, *, cluster_name: str, key: kms.IKey | None
) -> iam.ManagedPolicy:
    """The driver's permissions: the calls its controller makes (kubernetes-sigs/aws-fsx-csi-
    driver pkg/cloud: CreateFileSystem, UpdateFileSystem, DeleteFileSystem,
    DescribeFileSystems) and what docs/install.md lists with them (fsx:TagResource, the FSx
    service-linked role), scoped by the cluster tag the StorageClass sets. The S3 data
    repository permissions of that list are left out: the StorageClass sets no S3 paths."""
    stack = Stack.of(scope)
    file_systems = f"arn:{Aws.PARTITION}:fsx:{stack.region}:{stack.account}:file-system/*"
    tag = rules.FSX_CLUSTER_TAG
    statements = [
        iam.PolicyStatement(
            sid="CreateTaggedFileSystems",
            actions=["fsx:CreateFileSystem", "fsx:TagResource"],
            resources=[file_systems],
            conditions={"StringEquals": {f"aws:RequestTag/{tag}": cluster_name}},
        ),
        iam.PolicyStatement(
            sid="ChangeOwnFileSystems",
            actions=["fsx:UpdateFileSystem", "fsx:DeleteFileSystem"],
            resources=[file_systems],
            conditions={"StringEquals": {f"aws:ResourceTag/{tag}": cluster_name}},
        ),
        iam.PolicyStatement(
            sid="DescribeFileSystems",
            actions=["fsx:DescribeFileSystems"],
            resources=["*"],
        ),
        iam.PolicyStatement(
            sid="FsxServiceLinkedRole",
            actions=["iam:CreateServiceLinkedRole"],
            resources=[
                f"arn:{Aws.PARTITION}:iam::{stack.account}:role/aws-service-role/"
                "fsx.amazonaws.com/*"
            ],
            conditions={"StringLike": {"iam:AWSServiceName": "fsx.amazonaws.com"}},
        ),
    ]
    if key is not None:
        # FSx uses the key through grants created with the caller's permissions.
        via_fsx = {"StringEquals": {"kms:ViaService": f"fsx.{stack.region}.amazonaws.com"}}
        statements.append(
            iam.PolicyStatement(
                sid="UseFileSystemKey",
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:DescribeKey",
                ],
                resources=[key.key_arn],
                conditions=via_fsx,
            )
        )
        statements.append(
            iam.PolicyStatement(
                sid="GrantFileSystemKey",
                actions=["kms:CreateGrant"],
                resources=[key.key_arn],
                conditions={**via_fsx, "Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
    policy = iam.ManagedPolicy(
        scope,
        id,
        description="FSx for Lustre CSI driver: the cluster's own file systems only",
        statements=statements,
    )
    acknowledge_wildcard_resources(policy, _wildcard_reason, owner="FsxLustreStorage driver policy")
    return policy


def _wildcard_reason(resource: str) -> str | None:
    """Why the driver policy holds `resource` (an AwsSolutions-IAM5 finding)."""
    if resource == "*":
        return (
            "fsx:DescribeFileSystems has no resource-level permissions, so IAM requires "
            "Resource *; it only reads."
        )
    if resource.endswith(":file-system/*"):
        return (
            "File systems are created at run time with generated ids; creation requires the "
            f"{rules.FSX_CLUSTER_TAG} request tag naming this cluster, and changes and "
            "deletion require that tag on the file system."
        )
    if resource.endswith(":role/aws-service-role/fsx.amazonaws.com/*"):
        return (
            "The FSx service-linked role has an AWS-chosen name under this path; the "
            "iam:AWSServiceName condition limits creation to the FSx one."
        )
    return None


def fsx_storage_class(
    *,
    name: str,
    subnet_id: str,
    security_group_id: str,
    deployment_type: str,
    file_system_type_version: str,
    per_unit_storage_throughput: int | None,
    kms_key_id: str | None,
    backup_retention_days: int | None,
    cluster_name: str,
    reclaim_policy: str,
) -> dict[str, Any]:
    """The dynamic-provisioning StorageClass (parameters: kubernetes-sigs/aws-fsx-csi-driver
    examples/kubernetes/dynamic_provisioning; values are strings, as the driver reads them)."""
    parameters: dict[str, str] = {
        "subnetId": subnet_id,
        "securityGroupIds": security_group_id,
        "deploymentType": deployment_type,
        "fileSystemTypeVersion": file_system_type_version,
        # Cheaper storage and more throughput for compressible data; no cost of its own.
        "dataCompressionType": "LZ4",
        # The role may only change and delete file systems carrying this tag.
        "extraTags": f"{rules.FSX_CLUSTER_TAG}={cluster_name}",
    }
    if per_unit_storage_throughput is not None:
        parameters["perUnitStorageThroughput"] = str(per_unit_storage_throughput)
    if kms_key_id is not None:
        parameters["kmsKeyId"] = kms_key_id
    if backup_retention_days is not None:
        parameters["automaticBackupRetentionDays"] = str(backup_retention_days)
    if backup_retention_days:
        # Only with backups: SCRATCH_2 (allowed 0 days here) is never backed up.
        parameters["copyTagsToBackups"] = "true"
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": name},
        "provisioner": rules.FSX_PROVISIONER,
        "parameters": parameters,
        # Retain keeps the file system (and its bill) after its claim is deleted.
        "reclaimPolicy": reclaim_policy,
        # Created when the claim is: the subnet, not the pod, decides the zone.
        "volumeBindingMode": "Immediate",
        # The driver grows a file system on a larger claim (fsx:UpdateFileSystem).
        "allowVolumeExpansion": True,
        # flock: applications that lock files (databases, build tools) need it on Lustre.
        "mountOptions": ["flock"],
    }
