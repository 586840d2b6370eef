"""Translate `compute:` into the props of the compute constructs: managed and self-managed
node groups, Fargate profiles, Karpenter and the Cluster Autoscaler (Auto Mode is a
control-plane prop: see `cluster`).

The Karpenter controller's and the Cluster Autoscaler's placement comes from the node group
or Fargate profile they run on, so the stack creates those first and passes them in.

The cluster this app creates sets no service CIDR, so EKS picked one when it created the
cluster; self-managed nodes' user data needs it. No `service_ipv4_cidr` is given: the
construct reads the one EKS chose at deploy time (eks:DescribeCluster), rather than guessing
it here.
"""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

from eks_blueprint import (
    ClusterAutoscalerProps,
    ControllerPlacement,
    DisruptionBudget,
    FargateProfiles,
    FargateProfileSpec,
    FargateProfilesProps,
    FargateSelectorSpec,
    KarpenterProps,
    ManagedNodeGroups,
    ManagedNodeGroupsProps,
    NodeClassSpec,
    NodeGroupSpec,
    NodePoolDisruption,
    NodePoolLimits,
    NodePoolRequirements,
    NodePoolSpec,
    Taint,
)
from eks_blueprint.compute.accelerators import NvidiaDevicePluginProps
from eks_blueprint.compute.self_managed import (
    SelfManagedNodeGroupSpec,
    SelfManagedNodeGroupsProps,
)
from eks_blueprint.config import AMI_TYPES, EnvironmentConfig
from eks_blueprint.config.compute import NodeGroupConfig, NodePoolConfig, TaintConfig
from eks_blueprint.config.self_managed import SelfManagedNodeGroupConfig
from eks_blueprint.config.tenancy import TENANT_PREFIX
from eks_blueprint.tenancy import tenant_node_pool

from .lifecycle import environment_tags

_AMI_TYPES: dict[str, eks.NodegroupAmiType] = {
    "AL2023_x86_64_STANDARD": eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
    "AL2023_ARM_64_STANDARD": eks.NodegroupAmiType.AL2023_ARM_64_STANDARD,
    "BOTTLEROCKET_x86_64": eks.NodegroupAmiType.BOTTLEROCKET_X86_64,
    "BOTTLEROCKET_ARM_64": eks.NodegroupAmiType.BOTTLEROCKET_ARM_64,
    "AL2023_x86_64_NVIDIA": eks.NodegroupAmiType.AL2023_X86_64_NVIDIA,
    "AL2023_ARM_64_NVIDIA": eks.NodegroupAmiType.AL2023_ARM_64_NVIDIA,
    "BOTTLEROCKET_x86_64_NVIDIA": eks.NodegroupAmiType.BOTTLEROCKET_X86_64_NVIDIA,
    "BOTTLEROCKET_ARM_64_NVIDIA": eks.NodegroupAmiType.BOTTLEROCKET_ARM_64_NVIDIA,
    "WINDOWS_CORE_2022_x86_64": eks.NodegroupAmiType.WINDOWS_CORE_2022_X86_64,
    "WINDOWS_FULL_2022_x86_64": eks.NodegroupAmiType.WINDOWS_FULL_2022_X86_64,
}


def taint(config: TaintConfig) -> Taint:
    """One taint of a node group or NodePool. An empty value is no value, as in Kubernetes."""
    return Taint(key=config.key, effect=config.effect, value=config.value or None)


def node_group_spec(group: NodeGroupConfig) -> NodeGroupSpec:
    """One `compute.node_groups` entry."""
    return NodeGroupSpec(
        name=group.name,
        instance_types=tuple(group.instance_types),
        ami_type=_AMI_TYPES[AMI_TYPES[group.ami_type]],
        capacity_type=eks.CapacityType.SPOT
        if group.capacity_type == "spot"
        else eks.CapacityType.ON_DEMAND,
        min_size=group.size.min,
        desired_size=group.size.desired,
        max_size=group.size.max,
        labels=dict(group.labels),
        taints=tuple(taint(t) for t in group.taints),
        disk_size_gib=group.disk_size_gib,
        max_unavailable_percentage=group.max_unavailable_percentage,
        node_auto_repair=group.node_auto_repair,
        imds_hop_limit=group.imds_hop_limit,
    )


def node_groups_props(
    config: EnvironmentConfig, cluster: eks.ICluster, subnets: ec2.SubnetSelection
) -> ManagedNodeGroupsProps | None:
    """The managed node groups, in `subnets`; None when the file lists none."""
    groups = config.compute.node_groups
    if not groups:
        return None
    return ManagedNodeGroupsProps(
        cluster=cluster,
        groups=[node_group_spec(g) for g in groups],
        subnets=subnets,
        instance_tags=environment_tags(config),
        kubernetes_version=config.cluster.version,
        custom_networking=config.network.pod_subnets is not None,
    )


def fargate_props(
    config: EnvironmentConfig, cluster: eks.Cluster, vpc: ec2.IVpc, subnets: ec2.SubnetSelection
) -> FargateProfilesProps | None:
    """The Fargate profiles (and the CoreDNS and Karpenter-controller profiles they ask
    for, and one per Fargate tenant), in `subnets`; None when there are none."""
    fargate = config.compute.fargate
    tenants = tenant_fargate_profiles(config)
    if fargate is None:
        if not tenants:
            return None
        return FargateProfilesProps(
            cluster=cluster,
            cluster_name=config.cluster.name,
            vpc=vpc,
            subnets=subnets,
            profiles=tenants,
        )
    karpenter = config.compute.karpenter
    return FargateProfilesProps(
        cluster=cluster,
        cluster_name=config.cluster.name,
        vpc=vpc,
        subnets=subnets,
        profiles=[
            FargateProfileSpec(
                name=p.name,
                selectors=[
                    FargateSelectorSpec(namespace=s.namespace, labels=dict(s.labels))
                    for s in p.selectors
                ],
            )
            for p in fargate.profiles
        ]
        + tenants,
        coredns=fargate.coredns,
        karpenter_namespace=karpenter.namespace
        if karpenter is not None and fargate.karpenter_controller
        else None,
    )


def karpenter_placement(
    config: EnvironmentConfig,
    node_groups: ManagedNodeGroups | None,
    fargate: FargateProfiles | None,
) -> ControllerPlacement | None:
    """Where the Karpenter controller runs (`controller_on`), from the constructs the stack
    created for the node groups and Fargate profiles; None without Karpenter."""
    karpenter = config.compute.karpenter
    if karpenter is None:
        return None
    if karpenter.controller_on == "fargate":
        assert fargate is not None  # the config model requires the profile
        return fargate.karpenter_placement()
    assert node_groups is not None and karpenter.controller_node_group is not None
    return node_groups.placement_for(karpenter.controller_node_group)


def node_pool_spec(pool: NodePoolConfig) -> NodePoolSpec:
    """One `compute.karpenter.node_pools` entry, nested as the NodePool CRD is."""
    disruption = pool.disruption
    return NodePoolSpec(
        name=pool.name,
        node_class=pool.node_class,
        requirements=NodePoolRequirements(
            capacity_types=tuple(pool.capacity_types),
            architectures=tuple(pool.architectures),
            instance_categories=tuple(pool.instance_categories),
            min_instance_generation=pool.min_instance_generation,
            min_vcpus=pool.min_vcpus,
            zones=tuple(pool.zones),
        ),
        limits=NodePoolLimits(cpu=pool.limits.cpu, memory=pool.limits.memory),
        disruption=NodePoolDisruption(
            consolidation_policy=disruption.consolidation_policy,
            consolidate_after=disruption.consolidate_after,
            expire_after=disruption.expire_after,
            budgets=tuple(
                DisruptionBudget(
                    nodes=b.nodes,
                    schedule=b.schedule,
                    duration=b.duration,
                    reasons=None if b.reasons is None else tuple(b.reasons),
                )
                for b in disruption.budgets
            ),
        ),
        labels=dict(pool.labels),
        taints=tuple(taint(t) for t in pool.taints),
        weight=pool.weight,
        accelerator=pool.accelerator,
    )


def karpenter_props(
    config: EnvironmentConfig, cluster: eks.ICluster, placement: ControllerPlacement
) -> KarpenterProps:
    """Karpenter with its NodePools and EC2NodeClasses, the controller at `placement`.
    Raises ValueError when the file has no `compute.karpenter` section."""
    karpenter = config.compute.karpenter
    if karpenter is None:
        raise ValueError(f"{config.name}: compute.karpenter is not set")
    return KarpenterProps(
        cluster=cluster,
        cluster_name=config.cluster.name,
        kubernetes_version=config.cluster.version,
        version=karpenter.version,
        namespace=karpenter.namespace,
        placement=placement,
        controller_cpu=karpenter.controller_resources.cpu,
        controller_memory=karpenter.controller_resources.memory,
        node_classes=[
            NodeClassSpec(name=c.name, ami_alias=c.ami_alias, volume_size_gib=c.volume_size_gib)
            for c in karpenter.node_classes
        ],
        node_pools=[
            *(node_pool_spec(p) for p in karpenter.node_pools),
            *tenant_node_pools(config),
        ],
        instance_tags=environment_tags(config),
        custom_networking=config.network.pod_subnets is not None,
    )


def nvidia_device_plugin_needed(config: EnvironmentConfig) -> bool:
    """Whether any NVIDIA capacity runs an AMI without the device plugin: an AL2023 NVIDIA
    node group, or a GPU NodePool whose EC2NodeClass uses an al2023 alias."""
    compute = config.compute
    if any(g.needs_nvidia_device_plugin for g in compute.node_groups):
        return True
    karpenter = compute.karpenter
    if karpenter is None:
        return False
    aliases = {c.name: c.ami_alias for c in karpenter.node_classes}
    return any(
        p.accelerator == "nvidia" and aliases[p.node_class].startswith("al2023")
        for p in karpenter.node_pools
    )


def nvidia_device_plugin_props(
    config: EnvironmentConfig, cluster: eks.ICluster
) -> NvidiaDevicePluginProps | None:
    """The NVIDIA device plugin, when NVIDIA capacity needs it; None otherwise."""
    if not nvidia_device_plugin_needed(config):
        return None
    return NvidiaDevicePluginProps(cluster=cluster)


def tenant_node_pools(config: EnvironmentConfig) -> list[NodePoolSpec]:
    """One tainted NodePool `tenant-<name>` per tenant with `isolation: dedicated` on Karpenter
    (not on a node group of its own), limited to its quota plus headroom."""
    karpenter = config.compute.karpenter
    pools: list[NodePoolSpec] = []
    for tenant in config.tenants:
        capacity = tenant.dedicated_capacity
        if capacity is None or capacity.node_group is not None or karpenter is None:
            continue
        cpu, memory = tenant.node_pool_limits()
        pools.append(
            tenant_node_pool(
                tenant.name,
                cpu=cpu,
                memory=memory,
                node_class=capacity.node_class or karpenter.node_classes[0].name,
                capacity_types=tuple(capacity.capacity_types),
                architectures=tuple(capacity.architectures),
                min_vcpus=capacity.min_vcpus,
            )
        )
    return pools


def tenant_fargate_profiles(config: EnvironmentConfig) -> list[FargateProfileSpec]:
    """One Fargate profile `tenant-<name>` per tenant with `isolation: fargate`."""
    return [
        FargateProfileSpec(
            name=f"{TENANT_PREFIX}{t.name}", selectors=[FargateSelectorSpec(namespace=t.name)]
        )
        for t in config.tenants
        if t.isolation == "fargate"
    ]


def self_managed_group_spec(group: SelfManagedNodeGroupConfig) -> SelfManagedNodeGroupSpec:
    """One `compute.self_managed_node_groups` entry."""
    return SelfManagedNodeGroupSpec(
        name=group.name,
        instance_types=tuple(group.instance_types),
        ami_family=group.ami.family,
        ami_id=group.ami.id,
        ami_release=group.ami.release,
        architecture=group.ami.architecture,
        min_size=group.size.min,
        desired_size=group.size.desired,
        max_size=group.size.max,
        labels=dict(group.labels),
        taints=tuple(taint(t) for t in group.taints),
        disk_size_gib=group.disk_size_gib,
        max_unavailable_percentage=group.max_unavailable_percentage,
        max_pods=group.max_pods,
        detailed_monitoring=group.detailed_monitoring,
    )


def self_managed_props(
    config: EnvironmentConfig, cluster: eks.ICluster, subnets: ec2.SubnetSelection
) -> SelfManagedNodeGroupsProps | None:
    """The self-managed node groups, in `subnets`; None when the file lists none."""
    groups = config.compute.self_managed_node_groups
    if not groups:
        return None
    return SelfManagedNodeGroupsProps(
        cluster=cluster,
        cluster_name=config.cluster.name,
        kubernetes_version=config.cluster.version,
        groups=[self_managed_group_spec(g) for g in groups],
        subnets=subnets,
        instance_tags=environment_tags(config),
        custom_networking=config.network.pod_subnets is not None,
    )


def cluster_autoscaler_props(
    config: EnvironmentConfig,
    cluster: eks.ICluster,
    node_groups: ManagedNodeGroups | None,
) -> ClusterAutoscalerProps | None:
    """The Cluster Autoscaler of an environment, on `compute.cluster_autoscaler.node_group`
    (default: the first node group); None when the section is absent."""
    scaler = config.compute.cluster_autoscaler
    if scaler is None:
        return None
    # The config model requires node groups and a host among them.
    assert node_groups is not None, "cluster_autoscaler needs compute.node_groups"
    host = scaler.node_group or config.compute.node_groups[0].name
    return ClusterAutoscalerProps(
        cluster=cluster,
        cluster_name=config.cluster.name,
        kubernetes_version=config.cluster.version,
        placement=node_groups.placement_for(host),
        replicas=scaler.replicas,
        expander=scaler.expander,
        balance_similar_node_groups=scaler.balance_similar_node_groups,
        skip_nodes_with_system_pods=scaler.skip_nodes_with_system_pods,
        skip_nodes_with_local_storage=scaler.skip_nodes_with_local_storage,
        scale_down_enabled=scaler.scale_down_enabled,
        scale_down_utilization_threshold=scaler.scale_down_utilization_threshold,
        scale_down_unneeded_time=scaler.scale_down_unneeded_time,
        cpu=scaler.cpu,
        memory=scaler.memory,
    )
