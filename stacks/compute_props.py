"""Translate the `compute:` config into compute construct props, and compose them.

The compute constructs live in the cluster stack; the Karpenter discovery tag on the
private subnets is added by the network stack (`karpenter_discovery_tag`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import cast

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from eks_blueprint.compute.auto_mode import AutoModeProps
from eks_blueprint.compute.fargate import (
    FargateProfiles,
    FargateProfileSpec,
    FargateProfilesProps,
    FargateSelectorSpec,
)
from eks_blueprint.compute.karpenter import Karpenter, KarpenterProps, NodeClassSpec, NodePoolSpec
from eks_blueprint.compute.managed_node_groups import (
    ManagedNodeGroups,
    ManagedNodeGroupsProps,
    NodeGroupSpec,
)
from eks_blueprint.config import AMI_TYPES, EnvironmentConfig
from eks_blueprint.config.compute import NodeGroupConfig, TaintConfig
from eks_blueprint.control_plane import ControlPlane, ControlPlaneProps
from eks_blueprint.network import Network

KARPENTER_DISCOVERY_TAG = "karpenter.sh/discovery"

_AMI_TYPES: dict[str, eks.NodegroupAmiType] = {
    "AL2023_x86_64_STANDARD": eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
    "AL2023_ARM_64_STANDARD": eks.NodegroupAmiType.AL2023_ARM_64_STANDARD,
    "BOTTLEROCKET_x86_64": eks.NodegroupAmiType.BOTTLEROCKET_X86_64,
    "BOTTLEROCKET_ARM_64": eks.NodegroupAmiType.BOTTLEROCKET_ARM_64,
}
_EFFECTS: dict[str, eks.TaintEffect] = {
    "NoSchedule": eks.TaintEffect.NO_SCHEDULE,
    "PreferNoSchedule": eks.TaintEffect.PREFER_NO_SCHEDULE,
    "NoExecute": eks.TaintEffect.NO_EXECUTE,
}


def instance_tags(config: EnvironmentConfig) -> dict[str, str]:
    """The environment's tags, for instances and volumes (stage tags do not reach them)."""
    return {
        "project": config.tags.project,
        "environment": config.name,
        "owner": config.tags.owner,
        "cost-center": config.tags.cost_center,
        **config.tags.extra,
    }


def karpenter_discovery_tag(config: EnvironmentConfig) -> tuple[str, str] | None:
    """`karpenter.sh/discovery=<cluster>` for the private subnets, when Karpenter is on."""
    if config.compute.karpenter is None:
        return None
    return (KARPENTER_DISCOVERY_TAG, config.cluster.name)


def needs_kubectl(config: EnvironmentConfig) -> bool:
    """Whether anything applies Kubernetes manifests or Helm charts (the kubectl provider)."""
    return config.compute.karpenter is not None


def _taint(taint: TaintConfig) -> eks.TaintSpec:
    return eks.TaintSpec(key=taint.key, value=taint.value, effect=_EFFECTS[taint.effect])


def node_group_spec(group: NodeGroupConfig) -> NodeGroupSpec:
    """One node group's settings."""
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
        taints=tuple(_taint(t) for t in group.taints),
        disk_size_gib=group.disk_size_gib,
        max_unavailable_percentage=group.max_unavailable_percentage,
        node_auto_repair=group.node_auto_repair,
        imds_hop_limit=group.imds_hop_limit,
    )


def auto_mode_props(config: EnvironmentConfig) -> AutoModeProps | None:
    """Auto Mode settings, or None."""
    auto_mode = config.compute.auto_mode
    return None if auto_mode is None else AutoModeProps(node_pools=tuple(auto_mode.node_pools))


def with_auto_mode(props: ControlPlaneProps, config: EnvironmentConfig) -> ControlPlaneProps:
    """Control-plane props with Auto Mode switched on where the config asks for it."""
    return dataclasses.replace(props, auto_mode=auto_mode_props(config))


def node_pool_specs(config: EnvironmentConfig) -> list[NodePoolSpec]:
    karpenter = config.compute.karpenter
    assert karpenter is not None
    return [
        NodePoolSpec(
            name=p.name,
            node_class=p.node_class,
            capacity_types=tuple(p.capacity_types),
            architectures=tuple(p.architectures),
            instance_categories=tuple(p.instance_categories),
            min_instance_generation=p.min_instance_generation,
            zones=tuple(p.zones),
            cpu_limit=p.limits.cpu,
            memory_limit=p.limits.memory,
            consolidation_policy=p.disruption.consolidation_policy,
            consolidate_after=p.disruption.consolidate_after,
            expire_after=p.disruption.expire_after,
            labels=dict(p.labels),
            taints=tuple(
                {"key": t.key, "effect": t.effect, **({"value": t.value} if t.value else {})}
                for t in p.taints
            ),
            weight=p.weight,
        )
        for p in karpenter.node_pools
    ]


@dataclass
class Compute:
    """What compose_compute created (None where the config has no such section)."""

    node_groups: ManagedNodeGroups | None = None
    fargate: FargateProfiles | None = None
    karpenter: Karpenter | None = None

    def all(self) -> list[Construct]:
        """Everything that hosts or launches pods, for ordering with the add-ons."""
        return [c for c in (self.node_groups, self.fargate, self.karpenter) if c is not None]


def compose_compute(
    scope: Construct, config: EnvironmentConfig, control_plane: ControlPlane, network: Network
) -> Compute:
    """Node groups, then Fargate profiles, then Karpenter on one of them.

    Create the add-ons first: Karpenter then shares their Pod Identity agent (with its
    configured version) instead of creating it with the default pin.
    """
    compute = config.compute
    # jsii's Python typing omits a property of ICluster on Cluster; it is one at runtime.
    cluster = cast(eks.ICluster, control_plane.cluster)
    tags = instance_tags(config)
    result = Compute()
    if compute.node_groups:
        result.node_groups = ManagedNodeGroups(
            scope,
            "NodeGroups",
            props=ManagedNodeGroupsProps(
                cluster=cluster,
                groups=[node_group_spec(g) for g in compute.node_groups],
                subnets=network.node_subnets,
                instance_tags=tags,
            ),
        )
    fargate = compute.fargate
    karpenter = compute.karpenter
    if fargate is not None:
        result.fargate = FargateProfiles(
            scope,
            "Fargate",
            props=FargateProfilesProps(
                cluster=control_plane.cluster,
                cluster_name=config.cluster.name,
                vpc=network.vpc,
                subnets=network.node_subnets,
                profiles=[
                    FargateProfileSpec(
                        name=p.name,
                        selectors=[
                            FargateSelectorSpec(namespace=s.namespace, labels=dict(s.labels))
                            for s in p.selectors
                        ],
                    )
                    for p in fargate.profiles
                ],
                coredns=fargate.coredns,
                karpenter_namespace=karpenter.namespace
                if karpenter is not None and fargate.karpenter_controller
                else None,
            ),
        )
    if karpenter is not None:
        if karpenter.controller_on == "fargate":
            assert result.fargate is not None  # the config model guarantees it
            placement = result.fargate.karpenter_placement()
        else:
            assert result.node_groups is not None and karpenter.controller_node_group
            placement = result.node_groups.placement_for(karpenter.controller_node_group)
        result.karpenter = Karpenter(
            scope,
            "Karpenter",
            props=KarpenterProps(
                cluster=cluster,
                cluster_name=config.cluster.name,
                kubernetes_version=config.cluster.version,
                version=karpenter.version,
                namespace=karpenter.namespace,
                placement=placement,
                controller_cpu=karpenter.controller_resources.cpu,
                controller_memory=karpenter.controller_resources.memory,
                node_classes=[
                    NodeClassSpec(
                        name=c.name, ami_alias=c.ami_alias, volume_size_gib=c.volume_size_gib
                    )
                    for c in karpenter.node_classes
                ],
                node_pools=node_pool_specs(config),
                instance_tags=tags,
            ),
        )
    return result
