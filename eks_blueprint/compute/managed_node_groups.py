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

Max pods: with prefix delegation (the project's vpc-cni add-on) each launch template sets
the kubelet's max pods to the group's value from the instance type table, in the user data
EKS merges with its bootstrap (Bottlerocket settings or an AL2023 nodeadm NodeConfig; see
`max_pods`). A changed value is a new launch template version: a rolling update.

Access: in authentication mode API, EKS itself creates the EC2_LINUX access entry for the
node role of a managed node group, so none is declared here.

GPU groups (an NVIDIA AMI type) are tainted nvidia.com/gpu=true:NoSchedule; AL2023 NVIDIA
groups are also labelled for the NVIDIA device plugin (`eks_blueprint.compute.accelerators`),
which their AMI lacks. Windows groups (WINDOWS_* AMI types) are tainted os=windows:NoSchedule,
use their own node role (EKS creates an EC2_WINDOWS access entry for it, which adds the
eks:kube-proxy-windows group Windows DNS needs; a role has one access entry, so a role shared
with Linux nodes would not get it: EKS user guide, windows-support), get no user data (the
max-pods settings are AL2023/Bottlerocket formats; a Windows node's pod count is set by
its ENI's addresses through the VPC resource controller) and a /dev/sda1 root volume. The
cluster role needs AmazonEKSVPCResourceController for Windows IPAM: attached here when the
cluster is an `eks.Cluster` of this app; the VPC CNI needs `enableWindowsIpam`
(`AddonsProps.vpc_cni_windows_ipam`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, cast

from aws_cdk import CfnTag, Fn, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from .. import validation as v
from ..addons.versions import check_kubernetes_version
from ..baseline import NODE_GROUP_LABEL
from ..compliance import acknowledge
from ..ids import pascal_id
from ..instance_types import (
    GPU_TAINT,
    NVIDIA_DEVICE_PLUGIN_LABEL,
    WINDOWS_MIN_DISK_GIB,
    WINDOWS_ROOT_DEVICE,
    WINDOWS_TAINT,
    ami_mismatch,
    is_nvidia_ami,
    is_windows_ami,
    needs_nvidia_device_plugin,
)
from ..validate_names import PropError, check_prop
from ..wiring import capacity_of, register_capacity
from . import defaults
from ._synth_checks import SynthCheck
from .max_pods import group_max_pods, max_pods_user_data
from .placement import ControllerPlacement
from .taints import Taint

#: AWS managed policies of the node role. AmazonEKS_CNI_Policy is deliberately absent: the
#: VPC CNI gets its own role (add-ons), so pods on the node cannot use ENI permissions.
NODE_ROLE_POLICIES: tuple[str, ...] = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)

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


AmiFamily = Literal["al2023", "bottlerocket", "windows"]

#: The AWS managed policy the cluster role needs for Windows IPAM (the VPC resource
#: controller in the control plane assigns Windows pods their addresses): EKS user guide,
#: windows-support, "Enable Windows support".
VPC_RESOURCE_CONTROLLER_POLICY = "AmazonEKSVPCResourceController"


def ami_family(ami_type: str) -> AmiFamily:
    """The family of an EKS AMI type (either spelling)."""
    if is_windows_ami(ami_type):
        return "windows"
    return "bottlerocket" if ami_type.upper().startswith("BOTTLEROCKET") else "al2023"


def block_devices(family: AmiFamily, size_gib: int) -> list[tuple[str, int]]:
    """(device name, GiB) of the encrypted volumes a node needs.

    AL2023 has one root volume, /dev/xvda. Bottlerocket boots from a small OS volume
    (/dev/xvda) and keeps images and containers on a data volume (/dev/xvdb): both are
    declared so that neither falls back to the AMI's unencrypted snapshot settings.
    Windows boots from /dev/sda1 (a /dev/xvda mapping would add an empty second volume and
    leave the root unencrypted).
    """
    if family == "bottlerocket":
        return [("/dev/xvda", 4), ("/dev/xvdb", size_gib)]
    if family == "windows":
        return [(WINDOWS_ROOT_DEVICE, size_gib)]
    return [("/dev/xvda", size_gib)]


def encrypted_block_device_mappings(
    family: AmiFamily, size_gib: int
) -> list[ec2.CfnLaunchTemplate.BlockDeviceMappingProperty]:
    """A launch template's mappings of `block_devices`: encrypted gp3, deleted with the
    node."""
    return [
        ec2.CfnLaunchTemplate.BlockDeviceMappingProperty(
            device_name=device,
            ebs=ec2.CfnLaunchTemplate.EbsProperty(
                volume_size=size,
                volume_type="gp3",
                encrypted=True,
                delete_on_termination=True,
            ),
        )
        for device, size in block_devices(family, size_gib)
    ]


def imdsv2_options(hop_limit: int) -> ec2.CfnLaunchTemplate.MetadataOptionsProperty:
    """A launch template's metadata options: IMDSv2 only, `hop_limit` hops."""
    return ec2.CfnLaunchTemplate.MetadataOptionsProperty(
        http_endpoint="enabled",
        http_tokens="required",
        http_put_response_hop_limit=hop_limit,
    )


def instance_and_volume_tags(
    tags: Sequence[CfnTag],
) -> list[ec2.CfnLaunchTemplate.TagSpecificationProperty]:
    """A launch template's tag specifications: `tags` on the instances and their volumes."""
    return [
        ec2.CfnLaunchTemplate.TagSpecificationProperty(resource_type=kind, tags=list(tags))
        for kind in ("instance", "volume")
    ]


@dataclass(frozen=True, kw_only=True)
class NodeGroupSpec:
    """One managed node group. Fields marked "replaces" create a new group when changed.

    `NodeGroupSpec(name="system", instance_types=["m7g.large", "m6g.large"])` is a complete
    group: AL2023 for the types' architecture, on-demand, 2 nodes (up to 4).
    """

    name: str
    """Construct id suffix, the `Name` tag and the value of the node label
    `eks-blueprint/node-group`: 1-63 lower-case letters, digits or '-'; renaming replaces
    the group."""
    instance_types: Sequence[str]
    """EC2 instance types, all of one architecture (replaces)."""
    ami_type: eks.NodegroupAmiType | None = None
    """AL2023 or Bottlerocket AMI type of the types' architecture, an NVIDIA one for NVIDIA
    GPU types (AL2023_X86_64_NVIDIA, BOTTLEROCKET_ARM_64_NVIDIA for g5g...), or a Windows
    one (WINDOWS_CORE_2022_X86_64...) (replaces). GPU groups get the taint
    nvidia.com/gpu=true:NoSchedule, Windows groups os=windows:NoSchedule, unless `taints`
    has one with that key. Default: inferred, AL2023_ARM_64_STANDARD for Graviton types
    (m7g, c7gn, t4g: a `g` after the generation digit), AL2023_X86_64_STANDARD otherwise
    (never an NVIDIA or Windows type)."""
    capacity_type: eks.CapacityType = eks.CapacityType.ON_DEMAND
    """On-demand (default) or Spot, which needs at least 2 instance types (replaces)."""
    min_size: int = defaults.MIN_SIZE
    """Fewest nodes. Default: 2."""
    desired_size: int = defaults.DESIRED_SIZE
    """Nodes at creation, between min and max. Default: 2."""
    max_size: int = defaults.MAX_SIZE
    """Most nodes, at least 1. Default: 4."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Kubernetes labels. Default: none."""
    taints: Sequence[Taint] = ()
    """Kubernetes taints. Default: none."""
    disk_size_gib: int = defaults.DISK_SIZE_GIB
    """Root (AL2023) or data (Bottlerocket) volume size, 20-16384 GiB, set in the launch
    template. Default: 50."""
    max_unavailable_percentage: int = defaults.MAX_UNAVAILABLE_PERCENTAGE
    """Nodes replaced at once during updates, 1-100 %. Default: 33 %."""
    node_auto_repair: bool = True
    """EKS node auto repair. Default: on."""
    imds_hop_limit: int = defaults.IMDS_HOP_LIMIT
    """IMDSv2 hop limit, 1 or 2. Default: 1, so pods cannot reach the node's credentials."""
    max_pods: int | None = None
    """The kubelet's max pods, written into the launch template's user data (AL2023: with
    the kubeReserved memory nodeadm would give that many pods). EKS caps it for managed
    node groups at 110 below 30 vCPUs and 250 from there, so the group's smallest type
    sets the limit (1-250 for types the table does not list). Default: with prefix delegation
    (`ManagedNodeGroupsProps.prefix_delegation`), the smallest EKS-recommended value of the
    group's instance types from the instance type table (110 up to 30 vCPUs, 250 above,
    less for types with few ENIs), so the nodes use the /28 prefixes the VPC CNI hands
    them; without it, or for a type the table does not list, none: EKS computes it."""

    def resolved_ami_type(self) -> eks.NodegroupAmiType:
        """`ami_type`, or the AL2023 type of the instance types' architecture."""
        if self.ami_type is not None:
            return self.ami_type
        if v.infer_architecture(self.instance_types) == "arm64":
            return eks.NodegroupAmiType.AL2023_ARM_64_STANDARD
        return eks.NodegroupAmiType.AL2023_X86_64_STANDARD

    @property
    def windows(self) -> bool:
        """The group runs Windows nodes."""
        return self.ami_type is not None and is_windows_ami(self.ami_type.value)

    @property
    def needs_nvidia_device_plugin(self) -> bool:
        """The group's AMI has NVIDIA drivers but not the device plugin (AL2023 NVIDIA)."""
        return self.ami_type is not None and needs_nvidia_device_plugin(self.ami_type.value)

    def resolved_taints(self) -> tuple[Taint, ...]:
        """`taints`, plus the GPU or Windows taint unless one with its key is there."""
        ami = self.ami_type.value if self.ami_type is not None else ""
        default = (
            WINDOWS_TAINT if is_windows_ami(ami) else GPU_TAINT if is_nvidia_ami(ami) else None
        )
        if default is None or any(t.key == default[0] for t in self.taints):
            return tuple(self.taints)
        key, value, effect = default
        return (*self.taints, Taint(key, effect, value))  # type: ignore[arg-type]


def validate_node_group(spec: NodeGroupSpec, what: str) -> None:
    """Every field of a node group spec (raises validation.Invalid, `what` naming it)."""
    v.check_name(spec.name, f"{what}.name")
    for instance_type in spec.instance_types:
        v.check_instance_type(instance_type, f"{what}.instance_types")
    v.check_unique(list(spec.instance_types), f"{what}.instance_types")
    v.infer_architecture(spec.instance_types, f"{what}.instance_types")
    if spec.ami_type is not None and not spec.windows:
        v.check_ami_type(spec.ami_type.value, f"{what}.ami_type")
    if spec.ami_type is not None:
        v.check_ami_architecture(spec.instance_types, spec.ami_type.value, f"{what}.instance_types")
    mismatch = ami_mismatch(spec.instance_types, spec.resolved_ami_type().value)
    if mismatch is not None:
        raise v.Invalid(f"{what}.instance_types", list(mismatch.types), mismatch.fix)
    if spec.windows and spec.max_pods is not None:
        raise v.Invalid(
            f"{what}.max_pods",
            spec.max_pods,
            "a Windows node's pod count follows its ENI's addresses (the VPC resource "
            "controller's IPAM), and the max-pods user data is an AL2023/Bottlerocket "
            "format; leave max_pods unset for Windows groups",
        )
    if spec.windows and spec.disk_size_gib < WINDOWS_MIN_DISK_GIB:
        raise v.Invalid(
            f"{what}.disk_size_gib",
            spec.disk_size_gib,
            f"Windows nodes need a root volume of at least {WINDOWS_MIN_DISK_GIB} GiB (EKS's "
            "own default for Windows); raise it",
        )
    v.check_spot_instance_types(
        spec.instance_types,
        spec.capacity_type.value == eks.CapacityType.SPOT.value,
        f"{what}.instance_types",
    )
    v.check_sizes(
        spec.min_size, spec.desired_size, spec.max_size, f"{what}.min_size/desired_size/max_size"
    )
    v.check_disk_size(spec.disk_size_gib, f"{what}.disk_size_gib")
    v.check_percentage(spec.max_unavailable_percentage, f"{what}.max_unavailable_percentage")
    v.check_imds_hop_limit(spec.imds_hop_limit, f"{what}.imds_hop_limit")
    if spec.max_pods is not None:
        v.check_max_pods(spec.max_pods, f"{what}.max_pods", spec.instance_types)


@dataclass(frozen=True, kw_only=True)
class ManagedNodeGroupsProps:
    """The settings of ManagedNodeGroups."""

    cluster: eks.ICluster | eks.Cluster
    """The cluster the groups join."""
    groups: Sequence[NodeGroupSpec] = ()
    """The groups; more with `add_group`. At least one by synth time."""
    subnets: ec2.SubnetSelection = field(
        default_factory=lambda: ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
    )
    """Where nodes go. Default: the private subnets of every AZ (changing it replaces)."""
    node_role: iam.IRole | None = None
    """The role of every Linux group's nodes. Default: a new role with NODE_ROLE_POLICIES."""
    windows_node_role: iam.IRole | None = None
    """The role of every Windows group's nodes; never the Linux groups' role (EKS creates
    one access entry per role: EC2_WINDOWS for this one). Default: a new role
    `WindowsNodeRole` with NODE_ROLE_POLICIES, created with the first Windows group."""
    instance_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for instances and volumes (EKS does not copy node group tags to instances; the
    launch template's TagSpecifications do). Default: only `Name`."""
    prefix_delegation: bool = True
    """Whether the cluster's VPC CNI assigns /28 prefixes (the Addons construct's vpc-cni
    add-on does). Then each group's launch template sets the kubelet's max pods from the
    instance type table (see `NodeGroupSpec.max_pods`). Default: true."""
    custom_networking: bool = False
    """Whether the cluster's VPC CNI uses custom networking (pods in ENIConfig subnets,
    `eks_blueprint.pod_networking.CustomNetworking`): the primary ENI then holds no pod
    address, so each launch template's max pods counts one ENI fewer. Default: false."""
    kubernetes_version: str | None = None
    """The cluster's Kubernetes version (e.g. "1.34"), set as every group's `Version`, so
    that a deploy which upgrades the control plane rolls the nodes to the same version
    (node by node, within max_unavailable) instead of leaving them behind until someone
    runs update-nodegroup-version. `ControlPlane.add_node_group` sets it. Default: none
    (a group keeps the version it was created with)."""


class ManagedNodeGroups(Construct):
    """Managed node groups in private subnets, each with its own launch template: IMDSv2
    only (hop limit 1 by default), encrypted gp3 volumes, no SSH key and no RemoteAccess
    (use SSM Session Manager), tags propagated to instances and volumes.

    Add groups with `add_group`, also after construction; synth fails if there is none.
    """

    def __init__(self, scope: Construct, id: str, *, props: ManagedNodeGroupsProps) -> None:
        super().__init__(scope, id)
        self._props = props
        try:
            v.check_unique([g.name for g in props.groups], "ManagedNodeGroupsProps.groups name")
            for index, spec in enumerate(props.groups):
                validate_node_group(spec, f"ManagedNodeGroupsProps.groups[{index}]")
        except v.Invalid as error:
            raise self._fail(error) from None
        if props.kubernetes_version is not None:
            check_prop(
                self.node.path,
                "ManagedNodeGroupsProps.kubernetes_version",
                props.kubernetes_version,
                check_kubernetes_version,
            )
        self._check_windows_role(props)
        self.windows_node_role: iam.IRole | None = None
        """The Windows groups' node role; None until the first Windows group."""
        self.node_role: iam.IRole = props.node_role or new_node_role(
            self, "NodeRole", description="Nodes of the EKS managed node groups"
        )
        self.nodegroups: dict[str, eks.Nodegroup] = {}
        self.launch_templates: dict[str, ec2.CfnLaunchTemplate] = {}
        self._specs: dict[str, NodeGroupSpec] = {}
        self.max_pods: dict[str, int | None] = {}
        """Each group's kubelet max pods as set in its launch template: the explicit
        `NodeGroupSpec.max_pods`, else the table's value with prefix delegation (None:
        EKS's value)."""
        for spec in props.groups:
            self._add(spec)
        self.node.add_validation(SynthCheck(self._without_groups))
        register_capacity(props.cluster, self)

    def _check_windows_role(self, props: ManagedNodeGroupsProps) -> None:
        """Refuse a `windows_node_role` that is the Linux groups' `node_role`: EKS creates
        one access entry per role, EC2_LINUX or EC2_WINDOWS, by whichever group comes first,
        so one of the two kinds of node would join with the other's groups (Windows nodes
        without eks:kube-proxy-windows lose DNS; EKS user guide, windows-support)."""
        linux, windows = props.node_role, props.windows_node_role
        if linux is None or windows is None:
            return
        stack = Stack.of(self)
        if windows is linux or stack.resolve(windows.role_arn) == stack.resolve(linux.role_arn):
            raise PropError(
                self.node.path,
                "ManagedNodeGroupsProps.windows_node_role",
                windows.node.path,
                "is the node_role of the Linux groups; EKS gives a role one access entry "
                "(EC2_LINUX or EC2_WINDOWS), so Windows nodes need a role of their own: "
                "give another role or leave windows_node_role unset",
            )

    def _fail(self, error: v.Invalid) -> v.Invalid:
        return v.Invalid(f"{self.node.path}: {error.what}", error.value, error.fix)

    def _without_groups(self) -> str | None:
        if self.nodegroups and len(self.windows_groups) < len(self.nodegroups):
            return None
        if self.nodegroups and any(c is not self for c in capacity_of(self._props.cluster)):
            return None  # Windows groups next to other capacity (Karpenter, Fargate...)
        if self.nodegroups:
            return (
                f"{self.node.path}: every group is Windows ({', '.join(self.windows_groups)}) "
                "and the cluster has no other capacity: CoreDNS and the platform's "
                "controllers run on Linux only; add a Linux group, Karpenter or a Fargate "
                "CoreDNS profile"
            )
        return (
            f"{self.node.path}: ManagedNodeGroups has no node group; give "
            "ManagedNodeGroupsProps.groups or call add_group"
        )

    def add_group(self, spec: NodeGroupSpec) -> eks.Nodegroup:
        """Add a node group (construct `<Name>` and its `<Name>LaunchTemplate`) and return it."""
        try:
            what = f"add_group(NodeGroupSpec {spec.name!r})"
            validate_node_group(spec, what)
            v.check_unique([*self._specs, spec.name], f"{what}.name")
        except v.Invalid as error:
            raise self._fail(error) from None
        return self._add(spec)

    def _add(self, spec: NodeGroupSpec) -> eks.Nodegroup:
        props = self._props
        self._specs[spec.name] = spec
        suffix = pascal_id(spec.name)
        ami_type = spec.resolved_ami_type()
        family = ami_family(ami_type.value)
        tags = [
            CfnTag(key=key, value=value)
            for key, value in {**props.instance_tags, "Name": f"{spec.name}-node"}.items()
        ]
        max_pods = spec.max_pods
        # Windows: no max-pods user data (see the module docstring); EKS and the VPC resource
        # controller set a Windows node's pods from its ENI.
        if (
            max_pods is None
            and not spec.windows
            and (props.prefix_delegation or props.custom_networking)
        ):
            max_pods = group_max_pods(
                spec.instance_types,
                prefix_delegation=props.prefix_delegation,
                custom_networking=props.custom_networking,
            )
        self.max_pods[spec.name] = max_pods
        template = ec2.CfnLaunchTemplate(
            self,
            f"{suffix}LaunchTemplate",
            launch_template_data=ec2.CfnLaunchTemplate.LaunchTemplateDataProperty(
                # Merged by EKS with its own bootstrap (the AMI is EKS's, not custom): the
                # explicit max_pods or the table's prefix-delegation value; none leaves the
                # value to EKS.
                user_data=(
                    Fn.base64(max_pods_user_data(family, max_pods))
                    if max_pods is not None and family != "windows"
                    else None
                ),
                metadata_options=imdsv2_options(spec.imds_hop_limit),
                block_device_mappings=encrypted_block_device_mappings(family, spec.disk_size_gib),
                tag_specifications=instance_and_volume_tags(tags),
            ),
        )
        nodegroup = eks.Nodegroup(
            self,
            suffix,
            cluster=cast(eks.ICluster, props.cluster),
            node_role=self._windows_node_role() if spec.windows else self.node_role,
            subnets=props.subnets,
            instance_types=[ec2.InstanceType(t) for t in spec.instance_types],
            ami_type=ami_type,
            capacity_type=spec.capacity_type,
            min_size=spec.min_size,
            desired_size=spec.desired_size,
            max_size=spec.max_size,
            labels={
                **spec.labels,
                NODE_GROUP_LABEL: spec.name,
                **({NVIDIA_DEVICE_PLUGIN_LABEL: "true"} if spec.needs_nvidia_device_plugin else {}),
            },
            taints=[t.to_eks() for t in spec.resolved_taints()],
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
        if self._props.kubernetes_version is not None:
            # eks.Nodegroup has no version prop; CloudFormation's Version is updatable in
            # place (a rolling update after the cluster's own update, which it depends on).
            cfn = cast(eks.CfnNodegroup, nodegroup.node.default_child)
            cfn.version = self._props.kubernetes_version
        if spec.windows:
            self._attach_vpc_resource_controller()
        self.nodegroups[spec.name] = nodegroup
        self.launch_templates[spec.name] = template
        return nodegroup

    def _windows_node_role(self) -> iam.IRole:
        """The Windows groups' node role (created with the first Windows group)."""
        if self.windows_node_role is None:
            self.windows_node_role = self._props.windows_node_role or new_node_role(
                self, "WindowsNodeRole", description="Windows nodes of the EKS managed node groups"
            )
        return self.windows_node_role

    def _attach_vpc_resource_controller(self) -> None:
        """Give the cluster role AmazonEKSVPCResourceController (Windows IPAM), once, when the
        cluster is one of this app (an imported cluster's role must have it already)."""
        role = getattr(self._props.cluster, "role", None)
        cfn = role.node.default_child if role is not None else None
        if role is None or not isinstance(cfn, iam.CfnRole):
            return
        attached = json.dumps(Stack.of(role).resolve(cfn.managed_policy_arns))
        if f"policy/{VPC_RESOURCE_CONTROLLER_POLICY}" in attached:
            return
        role.add_managed_policy(
            iam.ManagedPolicy.from_aws_managed_policy_name(VPC_RESOURCE_CONTROLLER_POLICY)
        )
        acknowledge(
            role,
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
            f"{VPC_RESOURCE_CONTROLLER_POLICY}]",
            f"{VPC_RESOURCE_CONTROLLER_POLICY} is the AWS-managed policy the EKS user guide "
            "requires on the cluster role for Windows nodes: the VPC resource controller in "
            "the control plane assigns Windows pods their addresses.",
        )

    @property
    def windows_groups(self) -> list[str]:
        """Names of the Windows groups."""
        return [name for name, spec in self._specs.items() if spec.windows]

    @property
    def nvidia_device_plugin_groups(self) -> list[str]:
        """Names of the groups whose AMI needs the NVIDIA device plugin (AL2023 NVIDIA);
        their nodes carry NVIDIA_DEVICE_PLUGIN_LABEL."""
        return [n for n, spec in self._specs.items() if spec.needs_nvidia_device_plugin]

    def placement_for(self, name: str) -> ControllerPlacement:
        """Pin a controller's pods to group `name` (by its `eks-blueprint/node-group`
        label), tolerating the group's taints and installed after the group."""
        if name not in self.nodegroups:
            raise ValueError(
                f"{self.node.path}: placement_for: no node group {name!r}; groups: "
                f"{', '.join(self.nodegroups) or 'none'}"
            )
        if self._specs[name].windows:
            raise ValueError(
                f"{self.node.path}: placement_for: {name!r} is a Windows group, and the "
                "platform's controllers run on Linux; name a Linux group"
            )
        return ControllerPlacement(
            node_selector={NODE_GROUP_LABEL: name},
            tolerations=self._specs[name].resolved_taints(),
            depends_on=[self.nodegroups[name]],
        )


__all__ = [
    "NODE_GROUP_LABEL",
    "NODE_ROLE_POLICIES",
    "VPC_RESOURCE_CONTROLLER_POLICY",
    "AmiFamily",
    "ControllerPlacement",
    "ManagedNodeGroups",
    "ManagedNodeGroupsProps",
    "NodeGroupSpec",
    "acknowledge_node_role",
    "ami_family",
    "block_devices",
    "new_node_role",
    "validate_node_group",
]
