"""stacks.translate.compute: `compute:` -> node group, Fargate and Karpenter props, nested
as the library's specs are (one Taint type, NodePool requirements/limits/disruption)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

from eks_blueprint import DisruptionBudget, NodePoolSpec, Taint
from eks_blueprint.config import EnvironmentConfig
from stacks.translate.compute import (
    fargate_props,
    karpenter_placement,
    karpenter_props,
    node_groups_props,
    node_pool_spec,
    tenant_node_pools,
)

from .conftest import CLUSTER, VPC, minimal, raw, shipped

SUBNETS = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)


def test_no_compute_no_props() -> None:
    config = minimal()
    assert node_groups_props(config, CLUSTER, SUBNETS) is None
    assert fargate_props(config, cast(eks.Cluster, CLUSTER), VPC, SUBNETS) is None
    assert karpenter_placement(config, None, None) is None
    with pytest.raises(ValueError, match=r"dev: compute.karpenter is not set"):
        karpenter_props(config, CLUSTER, None)  # type: ignore[arg-type]


def test_dev_system_group() -> None:
    config = shipped("dev")
    props = node_groups_props(config, CLUSTER, SUBNETS)
    assert props is not None and props.subnets is SUBNETS
    (group,) = props.groups
    assert group.name == "system"
    assert list(group.instance_types) == ["t4g.medium", "t4g.large"]
    assert group.ami_type == eks.NodegroupAmiType.BOTTLEROCKET_ARM_64
    assert group.capacity_type == eks.CapacityType.ON_DEMAND
    assert (group.min_size, group.desired_size, group.max_size) == (2, 2, 3)
    assert dict(group.labels) == {"role": "system"}
    assert props.instance_tags == {
        "project": "shop",
        "environment": "dev",
        "owner": "platform-team",
        "cost-center": "4711",
    }


def test_staging_has_no_node_groups_and_karpenter_on_fargate() -> None:
    config = shipped("staging")
    assert node_groups_props(config, CLUSTER, SUBNETS) is None
    fargate = config.compute.fargate
    assert fargate is not None and fargate.karpenter_controller


def test_staging_fargate_profiles_hold_coredns_and_the_karpenter_controller() -> None:
    config = shipped("staging")
    props = fargate_props(config, cast(eks.Cluster, CLUSTER), VPC, SUBNETS)
    fargate, karpenter = config.compute.fargate, config.compute.karpenter
    assert props is not None and fargate is not None and karpenter is not None
    assert props.coredns is True
    assert props.karpenter_namespace == karpenter.namespace
    # The file's profiles (none left in staging), then one per Fargate tenant: batch.
    assert [p.name for p in props.profiles] == [p.name for p in fargate.profiles] + ["tenant-batch"]
    (batch,) = [p for p in props.profiles if p.name == "tenant-batch"]
    assert [(s.namespace, dict(s.labels or {})) for s in batch.selectors] == [("batch", {})]
    assert props.cluster_name == config.cluster.name and props.vpc is VPC


def test_a_fargate_tenant_gets_a_profile_without_a_fargate_section() -> None:
    tenant = {
        "name": "batch",
        "quota": {"cpu": "4", "memory": "8Gi"},
        "isolation": "fargate",
        "fargate_acknowledgement": "network-policies-not-enforced",
    }
    config = minimal(tenants=[tenant])
    assert config.compute.fargate is None
    props = fargate_props(config, cast(eks.Cluster, CLUSTER), VPC, SUBNETS)
    assert props is not None and [p.name for p in props.profiles] == ["tenant-batch"]
    assert props.profiles[0].selectors[0].namespace == "batch"
    assert not props.coredns and props.karpenter_namespace is None
    # Without a Fargate tenant and without the section: no profiles at all.
    assert fargate_props(minimal(), cast(eks.Cluster, CLUSTER), VPC, SUBNETS) is None


def test_taints_are_the_library_taint() -> None:
    group: dict[str, Any] = {
        **raw("dev")["compute"]["node_groups"][0],
        "taints": [
            {"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"},
            {"key": "dedicated", "value": "", "effect": "NoExecute"},
        ],
    }
    config = minimal(compute={"node_groups": [group]})
    props = node_groups_props(config, CLUSTER, SUBNETS)
    assert props is not None
    assert list(props.groups[0].taints) == [
        Taint(key="CriticalAddonsOnly", effect="NoSchedule", value="true"),
        Taint(key="dedicated", effect="NoExecute"),  # an empty value is no value
    ]


def test_node_pools_are_nested(config: EnvironmentConfig) -> None:
    karpenter = config.compute.karpenter
    assert karpenter is not None
    for pool in karpenter.node_pools:
        spec = node_pool_spec(pool)
        assert isinstance(spec, NodePoolSpec)
        assert list(spec.requirements.capacity_types) == pool.capacity_types
        assert list(spec.requirements.architectures) == pool.architectures
        assert list(spec.requirements.zones) == pool.zones
        assert (spec.limits.cpu, spec.limits.memory) == (pool.limits.cpu, pool.limits.memory)
        assert spec.disruption.consolidation_policy == pool.disruption.consolidation_policy
        assert spec.disruption.expire_after == pool.disruption.expire_after
        assert spec.weight == pool.weight


def test_disruption_budgets_reach_the_node_pool() -> None:
    compute = raw("dev")["compute"]
    compute["karpenter"]["node_pools"][0]["disruption"]["budgets"] = [
        {"nodes": "0", "schedule": "0 9 * * mon-fri", "duration": "8h"},
        {"nodes": "20%", "reasons": ["Empty", "Drifted"]},
    ]
    config = minimal(compute=compute, security={"spot_service_linked_role": "create"})
    assert config.compute.karpenter is not None
    spec = node_pool_spec(config.compute.karpenter.node_pools[0])
    assert list(spec.disruption.budgets) == [
        DisruptionBudget(nodes="0", schedule="0 9 * * mon-fri", duration="8h"),
        DisruptionBudget(nodes="20%", reasons=("Empty", "Drifted")),
    ]


def test_karpenter_props(config: EnvironmentConfig) -> None:
    placement: Any = object()  # from the node group or Fargate construct, in the stack
    props = karpenter_props(config, CLUSTER, placement)
    karpenter = config.compute.karpenter
    assert karpenter is not None
    assert props.placement is placement
    assert props.cluster_name == config.cluster.name
    assert props.kubernetes_version == config.cluster.version
    assert props.version == karpenter.version
    assert props.namespace == karpenter.namespace
    assert (props.controller_cpu, props.controller_memory) == (
        karpenter.controller_resources.cpu,
        karpenter.controller_resources.memory,
    )
    assert [c.name for c in props.node_classes] == [c.name for c in karpenter.node_classes]
    # The file's NodePools, then one per tenant with dedicated Karpenter capacity.
    dedicated = [
        f"tenant-{t.name}" for t in config.tenants
        if t.dedicated_capacity is not None and t.dedicated_capacity.node_group is None
    ]  # fmt: skip
    assert [p.name for p in props.node_pools] == [p.name for p in karpenter.node_pools] + dedicated
    assert dedicated == (["tenant-payments"] if config.name == "prod" else [])
    assert props.instance_tags["environment"] == config.name


def test_prod_payments_node_pool_is_tainted_labelled_and_sized_by_its_quota() -> None:
    config = shipped("prod")
    (pool,) = tenant_node_pools(config)
    assert pool.name == "tenant-payments"
    assert pool.node_class == "default"  # the first node class: the tenant names none
    assert list(pool.taints) == [
        Taint(key="eks-blueprint/tenant", effect="NoSchedule", value="payments")
    ]
    assert dict(pool.labels) == {"eks-blueprint/tenant": "payments"}
    assert list(pool.requirements.capacity_types) == ["on-demand"]
    # quota cpu 64, memory 256Gi plus the default 25 % headroom
    assert (pool.limits.cpu, pool.limits.memory) == (80, "327680Mi")
    # staging's Fargate tenant and dev's shared one get no NodePool
    assert tenant_node_pools(shipped("staging")) == tenant_node_pools(shipped("dev")) == []


class _Hosts:
    """Stands in for ManagedNodeGroups / FargateProfiles: records what was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def placement_for(self, name: str) -> str:
        self.asked.append(name)
        return f"group:{name}"

    def karpenter_placement(self) -> str:
        self.asked.append("fargate")
        return "fargate"


def test_karpenter_controller_placement() -> None:
    groups, fargate = _Hosts(), _Hosts()
    dev: object = karpenter_placement(shipped("dev"), groups, None)  # type: ignore[arg-type]
    assert dev == "group:system"
    staging: object = karpenter_placement(shipped("staging"), None, fargate)  # type: ignore[arg-type]
    assert staging == "fargate"
    assert (groups.asked, fargate.asked) == (["system"], ["fargate"])
