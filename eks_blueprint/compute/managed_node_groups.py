"""ManagedNodeGroups: EKS managed node groups with hardened launch templates.

Which changes replace a node group (AWS::EKS::Nodegroup createOnlyProperties, from the
CloudFormation schema): AmiType, CapacityType, InstanceTypes, Subnets, DiskSize, NodeRole,
NodegroupName, RemoteAccess and ClusterName. So in config: `instance_types`, `ami_type`,
`capacity_type` and `name` (the construct id) replace a group, and so would a change of the
subnets; DiskSize is never set here (the launch template sets the volume, and EKS refuses
both). Everything else updates in place: sizes, labels, taints, update config, auto repair,
and the launch template, whose new version EKS rolls out node by node (`disk_size_gib`,
`imds_hop_limit` and tags change the launch template, so they are rolling updates too).

No physical `nodegroup_name` is set: CloudFormation replaces a resource by creating the new
one before deleting the old, which fails on a fixed name ("already exists"). The generated
name is exposed as `Nodegroup.nodegroup_name` for selectors.

Access: in authentication mode API, EKS itself creates the EC2_LINUX access entry for the
node role of a managed node group, so none is declared here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_cdk import CfnTag, Fn
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct, IDependable

from ..compliance import acknowledge
from .max_pods import LARGE_NODE_MAX_PODS, max_pods_user_data

#: AWS managed policies of the node role. AmazonEKS_CNI_Policy is deliberately absent: the
#: VPC CNI gets its own role (add-ons), so pods on the node cannot use ENI permissions.
NODE_ROLE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)

#: Label every node of a group carries, value the group's name: a stable selector (the
#: generated nodegroup name is a token, and selecting on it would hide the explicit
#: dependency a controller's chart has on its group).
NODE_GROUP_LABEL = "eks-blueprint/node-group"

_NODE_POLICY_REASONS: dict[str, str] = {
    "AmazonEKSWorkerNodePolicy": "the AWS-managed policy EKS documents for node roles "
    "(describe the cluster, register the node); AWS maintains it with EKS",
    "AmazonEC2ContainerRegistryPullOnly": "read-only ECR image pulls, the narrowest AWS "
    "managed ECR policy, which nodes need to pull add-on and workload images",
    "AmazonSSMManagedInstanceCore": "Session Manager access instead of SSH keys and open "
    "port 22; the AWS-managed policy SSM documents for it",
}


def acknowledge_node_role(role: iam.IRole) -> None:
    """Acknowledge the AWS managed policies of a node role, each with its reason."""
    for name in NODE_ROLE_POLICIES:
        acknowledge(
            role,
            f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]",
            f"{name} is {_NODE_POLICY_REASONS[name]}.",
        )


def new_node_role(scope: Construct, id: str, *, description: str) -> iam.Role:
    """An EC2 node role with NODE_ROLE_POLICIES, acknowledged."""
    role = iam.Role(
        scope,
        id,
        assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
        description=description,
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name(n) for n in NODE_ROLE_POLICIES
        ],
    )
    acknowledge_node_role(role)
    return role


def block_devices(
    family: Literal["al2023", "bottlerocket"], size_gib: int
) -> list[tuple[str, int]]:
    """(device name, GiB) of the encrypted volumes a node needs.

    AL2023 has one root volume, /dev/xvda. Bottlerocket boots from a small OS volume
    (/dev/xvda) and keeps images and containers on a data volume (/dev/xvdb): both are
    declared so that neither falls back to the AMI's unencrypted snapshot settings.
    """
    if family == "bottlerocket":
        return [("/dev/xvda", 4), ("/dev/xvdb", size_gib)]
    return [("/dev/xvda", size_gib)]


@dataclass(frozen=True, kw_only=True)
class NodeGroupSpec:
    """One managed node group. Fields marked "replaces" create a new group when changed."""

    name: str
    """Construct id suffix and the `Name` tag; renaming replaces the group."""
    instance_types: Sequence[str]
    """EC2 instance types of one architecture (replaces)."""
    ami_type: eks.NodegroupAmiType
    """AL2023 or Bottlerocket AMI type (replaces)."""
    capacity_type: eks.CapacityType = eks.CapacityType.ON_DEMAND
    """On-demand (default) or Spot (replaces)."""
    min_size: int
    """Fewest nodes."""
    desired_size: int
    """Nodes at creation."""
    max_size: int
    """Most nodes."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Kubernetes labels. Default: none."""
    taints: Sequence[eks.TaintSpec] = ()
    """Kubernetes taints. Default: none."""
    disk_size_gib: int = 50
    """Root (AL2023) or data (Bottlerocket) volume size, set in the launch template."""
    max_unavailable_percentage: int = 33
    """Nodes replaced at once during updates. Default: 33 %."""
    node_auto_repair: bool = True
    """EKS node auto repair. Default: on."""
    imds_hop_limit: int = 1
    """IMDSv2 hop limit. Default: 1, so pods cannot reach the node's credentials."""
    max_pods: int | None = None
    """The kubelet's max pods (1-250; EKS caps managed nodes at 250), written into the
    launch template's user data. Default: none, and EKS computes it: with the vpc-cni add-on's
    prefix delegation on before the group is created (Addons' ordering), the prefix-aware
    value (110 below 30 vCPUs, 250 above, for the group's smallest type)."""


@dataclass(frozen=True, kw_only=True)
class ManagedNodeGroupsProps:
    """The settings of ManagedNodeGroups."""

    cluster: eks.ICluster
    """The cluster the groups join."""
    groups: Sequence[NodeGroupSpec]
    """The groups; at least one."""
    subnets: ec2.SubnetSelection = field(
        default_factory=lambda: ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    )
    """Where nodes go. Default: the private subnets of every AZ (changing it replaces)."""
    node_role: iam.IRole | None = None
    """The role of every group's nodes. Default: a new role with NODE_ROLE_POLICIES."""
    instance_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for instances and volumes (EKS does not copy node group tags to instances; the
    launch template's TagSpecifications do). Default: only `Name`."""


@dataclass(frozen=True)
class ControllerPlacement:
    """Where a controller's pods run: Helm values and what must exist before them."""

    node_selector: Mapping[str, str]
    """Pod nodeSelector. Empty for Fargate (the profile selects the pods)."""
    tolerations: Sequence[Mapping[str, Any]]
    """Pod tolerations of the host's taints."""
    depends_on: Sequence[IDependable]
    """Resources the chart must be installed after (the node group or Fargate profile)."""
    on_fargate: bool = False
    """Whether the pods run on Fargate (no Pod Identity agent there: use IRSA)."""


class ManagedNodeGroups(Construct):
    """Managed node groups in private subnets, each with its own launch template: IMDSv2
    only (hop limit 1 by default), encrypted gp3 volumes, no SSH key and no RemoteAccess
    (use SSM Session Manager), tags propagated to instances and volumes."""

    def __init__(self, scope: Construct, id: str, *, props: ManagedNodeGroupsProps) -> None:
        super().__init__(scope, id)
        if not props.groups:
            raise ValueError("ManagedNodeGroupsProps.groups: give at least one node group")
        self.node_role: iam.IRole = props.node_role or new_node_role(
            self, "NodeRole", description="Nodes of the EKS managed node groups"
        )
        self.nodegroups: dict[str, eks.Nodegroup] = {}
        self.launch_templates: dict[str, ec2.CfnLaunchTemplate] = {}
        self._specs: dict[str, NodeGroupSpec] = {}
        self.max_pods: dict[str, int | None] = {}
        """Each group's kubelet max pods as set in its launch template (None: EKS's value)."""
        for spec in props.groups:
            if spec.imds_hop_limit not in (1, 2):
                raise ValueError(
                    f"NodeGroupSpec.imds_hop_limit of {spec.name} must be 1 or 2, "
                    f"got {spec.imds_hop_limit}"
                )
            if spec.max_pods is not None and not 1 <= spec.max_pods <= LARGE_NODE_MAX_PODS:
                raise ValueError(
                    f"NodeGroupSpec.max_pods of {spec.name} must be 1-{LARGE_NODE_MAX_PODS} "
                    f"(EKS's limit for managed nodes), got {spec.max_pods}"
                )
            if spec.name in self._specs:
                raise ValueError(f"NodeGroupSpec.name {spec.name!r} is used twice")
            self._specs[spec.name] = spec
            self._add(props, spec)

    def _add(self, props: ManagedNodeGroupsProps, spec: NodeGroupSpec) -> None:
        suffix = "".join(part.capitalize() for part in spec.name.split("-"))
        family: Literal["al2023", "bottlerocket"] = (
            "bottlerocket" if spec.ami_type.value.startswith("BOTTLEROCKET") else "al2023"
        )
        tags = [
            CfnTag(key=k, value=v)
            for k, v in {**props.instance_tags, "Name": f"{spec.name}-node"}.items()
        ]
        max_pods = spec.max_pods
        self.max_pods[spec.name] = max_pods
        template = ec2.CfnLaunchTemplate(
            self,
            f"{suffix}LaunchTemplate",
            launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
                # Merged by EKS with its own bootstrap (the AMI is EKS's, not custom); only
                # for an explicit max_pods, as EKS computes the prefix-aware value itself.
                user_data=(
                    Fn.base64(max_pods_user_data(family, max_pods))
                    if max_pods is not None
                    else None
                ),
                metadata_options=ec2.CfnLaunchTemplate.MetadataOptionsProperty(
                    http_endpoint="enabled",
                    http_tokens="required",
                    http_put_response_hop_limit=spec.imds_hop_limit,
                ),
                block_device_mappings=[
                    ec2.CfnLaunchTemplate.BlockDeviceMappingProperty(
                        device_name=device,
                        ebs=ec2.CfnLaunchTemplate.EbsProperty(
                            volume_size=size,
                            volume_type="gp3",
                            encrypted=True,
                            delete_on_termination=True,
                        ),
                    )
                    for device, size in block_devices(family, spec.disk_size_gib)
                ],
                tag_specifications=[
                    ec2.CfnLaunchTemplate.TagSpecificationProperty(resource_type=kind, tags=tags)
                    for kind in ("instance", "volume")
                ],
            ),
        )
        nodegroup = eks.Nodegroup(
            self,
            suffix,
            cluster=props.cluster,
            node_role=self.node_role,
            subnets=props.subnets,
            instance_types=[ec2.InstanceType(t) for t in spec.instance_types],
            ami_type=spec.ami_type,
            capacity_type=spec.capacity_type,
            min_size=spec.min_size,
            desired_size=spec.desired_size,
            max_size=spec.max_size,
            labels={**spec.labels, NODE_GROUP_LABEL: spec.name},
            taints=list(spec.taints),
            max_unavailable_percentage=spec.max_unavailable_percentage,
            enable_node_auto_repair=spec.node_auto_repair,
            # Respect PodDisruptionBudgets during updates: a blocked drain fails the update
            # (and CloudFormation rolls back) instead of evicting pods regardless.
            force_update=False,
            # A new launch template version is an in-place rolling update of the group.
            launch_template_spec=eks.LaunchTemplateSpec(
                id=template.ref, version=template.attr_latest_version_number
            ),
        )
        self.nodegroups[spec.name] = nodegroup
        self.launch_templates[spec.name] = template

    def placement_for(self, name: str) -> ControllerPlacement:
        """Pin a controller's pods to group `name`, tolerating the group's taints."""
        if name not in self.nodegroups:
            raise ValueError(
                f"no node group {name!r}; groups: {', '.join(self.nodegroups) or 'none'}"
            )
        spec = self._specs[name]
        tolerations = [
            {
                k: v
                for k, v in {
                    "key": t.key,
                    "operator": "Equal" if t.value is not None else "Exists",
                    "value": t.value,
                    "effect": _EFFECT_NAMES[str(t.effect)],
                }.items()
                if v is not None
            }
            for t in spec.taints
            if t.key is not None
        ]
        return ControllerPlacement(
            node_selector={NODE_GROUP_LABEL: name},
            tolerations=tolerations,
            depends_on=[self.nodegroups[name]],
        )


#: eks.TaintEffect members (as str()) to the Kubernetes effect names pods tolerate.
_EFFECT_NAMES: dict[str, str] = {
    str(eks.TaintEffect.NO_SCHEDULE): "NoSchedule",
    str(eks.TaintEffect.PREFER_NO_SCHEDULE): "PreferNoSchedule",
    str(eks.TaintEffect.NO_EXECUTE): "NoExecute",
}
