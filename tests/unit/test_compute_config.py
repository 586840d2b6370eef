"""The `compute:` config section: shipped environments, the architecture helper, and every
validation rule rejecting bad input with a message naming the field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.config import instance_architecture, load_config
from stacks.app_builder import CONFIG_DIR

from .test_config import DEV, problems, write

GROUP: dict[str, Any] = {
    "name": "system",
    "instance_types": ["m7g.large"],
    "ami_type": "al2023_arm64",
    "size": {"min": 2, "desired": 2, "max": 3},
}
KARPENTER: dict[str, Any] = {
    "version": "1.8.1",
    "controller_on": "node_group",
    "controller_node_group": "system",
    "node_classes": [{"name": "default", "ami_alias": "al2023@v20251112"}],
    "node_pools": [{"name": "spot", "limits": {"cpu": 10, "memory": "40Gi"}}],
}


def with_compute(name: str = "dev", **compute: Any) -> dict[str, Any]:
    """dev.yaml with `compute:` replaced; `name` renames the environment."""
    data = copy.deepcopy(DEV)
    data["name"] = name
    data["compute"] = compute
    data.pop("workloads", None)  # dev's demo image is not one prod would accept
    for registry in data.get("security", {}).get("registries", []):
        registry.pop("build", None)  # it rolls out to the demo, dropped above
    return data


def group(**changes: Any) -> dict[str, Any]:
    return {**GROUP, **changes}


def karpenter(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(KARPENTER), **changes}


def pool(**changes: Any) -> dict[str, Any]:
    return {**KARPENTER["node_pools"][0], **changes}


@pytest.mark.parametrize(
    ("instance_type", "arch"),
    [
        ("m7g.large", "arm64"),
        ("c6gn.xlarge", "arm64"),
        ("r8g.2xlarge", "arm64"),
        ("t4g.medium", "arm64"),
        ("x2gd.large", "arm64"),
        ("im4gn.large", "arm64"),
        ("g5g.xlarge", "arm64"),
        ("a1.large", "arm64"),
        ("m7i.large", "x86_64"),
        ("m7i-flex.large", "x86_64"),
        ("c5.large", "x86_64"),
        ("g5.xlarge", "x86_64"),  # GPU: the "g" is before the generation digit
        ("g4ad.xlarge", "x86_64"),
        ("t3a.medium", "x86_64"),
        ("inf2.xlarge", "x86_64"),
    ],
)
def test_instance_architecture_from_family(instance_type: str, arch: str) -> None:
    assert instance_architecture(instance_type) == arch


def test_shipped_environments_choose_their_compute() -> None:
    dev, staging, prod = (load_config(CONFIG_DIR / f"{n}.yaml") for n in ("dev", "staging", "prod"))
    # dev: one small system group (2 nodes) plus a Spot NodePool
    assert [g.size.desired for g in dev.compute.node_groups] == [2]
    assert dev.compute.karpenter and dev.compute.karpenter.node_pools[0].capacity_types == ["spot"]
    # staging: Karpenter on Fargate; batch's workloads too, as a Fargate tenant (the
    # platform adds the profile tenant-batch), so compute: lists no profile of its own
    assert staging.compute.fargate and staging.compute.fargate.karpenter_controller
    assert staging.compute.fargate.profiles == []
    assert [(t.name, t.isolation) for t in staging.tenants if t.isolation == "fargate"] == [
        ("batch", "fargate")
    ]
    # prod: tainted on-demand system group of at least 3, on-demand and Spot pools, pinned AMI
    system = prod.compute.node_groups[0]
    assert system.size.min >= 3 and system.capacity_type == "on_demand"
    assert [t.key for t in system.taints] == ["CriticalAddonsOnly"]
    assert prod.compute.karpenter is not None
    assert {c for p in prod.compute.karpenter.node_pools for c in p.capacity_types} == {
        "on-demand",
        "spot",
    }
    assert not any(c.ami_alias.endswith("@latest") for c in prod.compute.karpenter.node_classes)


def test_automode_example_loads() -> None:
    config = load_config(CONFIG_DIR / "examples" / "automode.yaml")
    assert config.compute.auto_mode is not None
    assert config.compute.auto_mode.node_pools == ["general-purpose", "system"]
    assert config.compute.karpenter is None


def test_omitted_karpenter_fields_take_the_library_defaults() -> None:
    from eks_blueprint.compute import defaults
    from eks_blueprint.compute.karpenter import NodeClassSpec, NodePoolSpec
    from eks_blueprint.config.compute import KarpenterConfig, NodeGroupConfig

    config = KarpenterConfig.model_validate({"controller_on": "fargate"})
    [pool_config], [class_config] = config.node_pools, config.node_classes
    spec, node_class = NodePoolSpec(), NodeClassSpec()
    assert (pool_config.limits.cpu, pool_config.limits.memory) == (
        spec.limits.cpu,
        spec.limits.memory,
    )
    assert pool_config.disruption.expire_after == spec.disruption.expire_after
    assert tuple(pool_config.capacity_types) == tuple(spec.requirements.capacity_types)
    assert tuple(pool_config.architectures) == tuple(spec.requirements.architectures)
    assert class_config.ami_alias == node_class.ami_alias == defaults.AMI_ALIAS
    assert class_config.volume_size_gib == node_class.volume_size_gib == 50
    assert config.version == defaults.KARPENTER_VERSION
    group_config = NodeGroupConfig.model_validate({"name": "a", "instance_types": ["m7g.large"]})
    assert (group_config.size.min, group_config.size.desired, group_config.size.max) == (2, 2, 4)
    assert group_config.disk_size_gib == 50 and group_config.max_unavailable_percentage == 33
    assert group_config.ami_type == "al2023_arm64"  # inferred, as NodeGroupSpec does


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        # node groups
        (with_compute(node_groups=[group(ami_type="al2_x86_64")]), "compute.node_groups[0].ami_type", "Amazon Linux 2 is deprecated"),
        (with_compute(node_groups=[group(ami_type="windows")]), "compute.node_groups[0].ami_type", "unknown AMI type"),
        (with_compute(node_groups=[group(capacity_type="spot")]), "compute.node_groups[0].instance_types", "needs at least 2 instance types"),
        (with_compute(node_groups=[group(size={"min": 3, "desired": 2, "max": 4})]), "compute.node_groups[0].size.desired", "must lie between min"),
        (with_compute(node_groups=[group(size={"min": 1, "desired": 5, "max": 4})]), "compute.node_groups[0].size.desired", "must lie between min"),
        (with_compute(node_groups=[group(instance_types=["m7i.large"])]), "compute.node_groups[0].instance_types[0]", "is arm64 but these types are not"),
        (with_compute(node_groups=[group(ami_type="bottlerocket_x86_64", instance_types=["c7g.large"])]), "compute.node_groups[0].instance_types[0]", "is x86_64 but these types are not"),
        (with_compute(node_groups=[group(imds_hop_limit=2)]), "compute.node_groups[0].imds_hop_limit_reason", "give imds_hop_limit_reason"),
        (with_compute(node_groups=[group(imds_hop_limit=2, imds_hop_limit_reason="  ")]), "compute.node_groups[0].imds_hop_limit_reason", "give imds_hop_limit_reason"),
        (with_compute(node_groups=[group(imds_hop_limit_reason="x")]), "compute.node_groups[0].imds_hop_limit_reason", "imds_hop_limit is 1"),
        (with_compute(node_groups=[group(imds_hop_limit=3)]), "compute.node_groups[0].imds_hop_limit", "Input should be 1 or 2"),
        (with_compute(node_groups=[group(instance_types=["large"])]), "compute.node_groups[0].instance_types[0]", "not an EC2 instance type"),
        (with_compute(node_groups=[group(instance_types=["m7g.large", "m7g.large"])]), "compute.node_groups[0].instance_types[1]", "more than once"),
        (with_compute(node_groups=[group(instance_types=[])]), "compute.node_groups[0].instance_types", "at least 1"),
        (with_compute(node_groups=[group(name="System")]), "compute.node_groups[0].name", "lower-case"),
        (with_compute(node_groups=[group(), group()]), "compute.node_groups[1].name", "system is used more than once"),
        (with_compute(node_groups=[group(labels={"bad key!": "x"})]), "compute.node_groups[0].labels", "the key 'bad key!': not a Kubernetes label or taint key"),
        (with_compute(node_groups=[group(labels={"team": "a b"})]), "compute.node_groups[0].labels.team", "not a Kubernetes label or taint value"),
        (with_compute(node_groups=[group(labels={"team": "x" * 64})]), "compute.node_groups[0].labels.team", "at most 63"),
        (with_compute(node_groups=[group(labels={"team": "ops\n"})]), "compute.node_groups[0].labels.team", "not a Kubernetes label"),
        (with_compute(node_groups=[group(labels={"a/b/c": "x"})]), "compute.node_groups[0].labels", "at most one '/'"),
        (with_compute(node_groups=[group(labels={"Example.com/team": "x"})]), "compute.node_groups[0].labels", "lower-case DNS subdomain"),
        (with_compute(node_groups=[group(labels={"x" * 64: "x"})]), "compute.node_groups[0].labels", "1-63 letters"),
        (with_compute(node_groups=[group(taints=[{"key": "[a, b]", "effect": "NoSchedule"}])]), "compute.node_groups[0].taints[0].key", "not a Kubernetes label or taint key"),
        (with_compute(node_groups=[group(taints=[{"key": "dedicated", "value": "gpu team", "effect": "NoSchedule"}])]), "compute.node_groups[0].taints[0].value", "not a Kubernetes label or taint value"),
        (with_compute(node_groups=[group(taints=[{"key": "dedicated", "value": "x" * 64, "effect": "NoSchedule"}])]), "compute.node_groups[0].taints[0].value", "at most 63"),
        (with_compute(node_groups=[group(taints=[{"key": "a", "effect": "NoRun"}])]), "compute.node_groups[0].taints[0].effect", "Input should be"),
        (with_compute(node_groups=[group(disk_size_gib=10)]), "compute.node_groups[0].disk_size_gib", "greater than or equal to 20"),
        (with_compute(node_groups=[group(max_unavailable_percentage=0)]), "compute.node_groups[0].max_unavailable_percentage", "greater than or equal to 1"),
        # Karpenter: where the controller runs
        (with_compute(karpenter=karpenter()), "compute.karpenter.controller_node_group", "not in node_groups (none)"),
        (with_compute(node_groups=[group()], karpenter=karpenter(controller_node_group=None)), "compute.karpenter.controller_node_group", "needs controller_node_group"),
        (with_compute(karpenter=karpenter(controller_on="fargate", controller_node_group=None)), "compute.fargate.karpenter_controller", "fargate.karpenter_controller is not true"),
        (with_compute(node_groups=[group()], karpenter=karpenter(controller_on="fargate")), "compute.karpenter.controller_node_group", "controller_node_group is set but controller_on is fargate"),
        (with_compute(node_groups=[group()], karpenter=karpenter(), fargate={"karpenter_controller": True}), "compute.fargate.karpenter_controller", "karpenter.controller_on is not fargate"),
        (with_compute(fargate={"karpenter_controller": True}), "compute.fargate.karpenter_controller", "karpenter.controller_on is not fargate"),
        (with_compute(karpenter=karpenter(controller_on="anywhere")), "compute.karpenter.controller_on", "Input should be"),
        # Karpenter vs Auto Mode
        (with_compute(node_groups=[group()], karpenter=karpenter(), auto_mode={}), "compute.auto_mode", "two autoscalers would fight"),
        # Karpenter: chart, classes and pools
        (with_compute(node_groups=[group()], karpenter=karpenter(version="0.37.0")), "compute.karpenter.version", "v1beta1"),
        (with_compute(node_groups=[group()], karpenter=karpenter(version="latest")), "compute.karpenter.version", "chart version like"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[])), "compute.karpenter.node_pools", "at least 1"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(node_class="gpu")])), "compute.karpenter.node_pools[0].node_class", "no such EC2NodeClass (known: default)"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(), pool()])), "compute.karpenter.node_pools[1].name", "spot is used more than once"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(labels={"node-role.kubernetes.io/x": "y"})])), "compute.karpenter.node_pools[0].labels['node-role.kubernetes.io/x']", "uses a domain Karpenter reserves"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(labels={"karpenter.sh/team": "spot"})])), "compute.karpenter.node_pools[0].labels['karpenter.sh/team']", "uses a domain Karpenter reserves"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_classes=[{"ami_alias": "al2@latest"}])), "compute.karpenter.node_classes[0].ami_alias", "the al2 AMI family is not supported by this library"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(limits={"cpu": 10, "memory": "lots"})])), "compute.karpenter.node_pools[0].limits.memory", "not a Kubernetes memory quantity"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(capacity_types=["spot", "spot"])])), "compute.karpenter.node_pools[0].capacity_types[1]", "spot is listed more than once"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(capacity_types=["reserved-ish"])])), "compute.karpenter.node_pools[0].capacity_types[0]", "Input should be"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(disruption={"consolidation_policy": "Always"})])), "compute.karpenter.node_pools[0].disruption.consolidation_policy", "Input should be"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(disruption={"expire_after": "30 days"})])), "compute.karpenter.node_pools[0].disruption.expire_after", "not a duration"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(instance_categories=["c5"])])), "compute.karpenter.node_pools[0].instance_categories[0]", "not an instance category"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(weight=0)])), "compute.karpenter.node_pools[0].weight", "greater than or equal to 1"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(min_vcpus=0)])), "compute.karpenter.node_pools[0].min_vcpus", "greater than or equal to 1"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(min_vcpus=897)])), "compute.karpenter.node_pools[0].min_vcpus", "less than or equal to 896"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(disruption={"budgets": [{"nodes": "lots"}]})])), "compute.karpenter.node_pools[0].disruption.budgets[0].nodes", "write a node count like 2"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(disruption={"budgets": [{"schedule": "@daily"}]})])), "compute.karpenter.node_pools[0].disruption.budgets[0].schedule", "needs a duration"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(disruption={"budgets": [{"reasons": ["Expired"]}]})])), "compute.karpenter.node_pools[0].disruption.budgets[0].reasons[0]", "Input should be"),
        (with_compute(node_groups=[group()], karpenter=karpenter(node_pools=[pool(zones=["us-east-1a"])])), "compute.karpenter.node_pools[0].zones", "us-east-1a are not in availability_zones"),
        # prod pins its AMI
        (with_compute("prod", node_groups=[group()], karpenter=karpenter(node_classes=[{"ami_alias": "al2023@latest"}])), "compute.karpenter.node_classes[0].ami_alias", "'al2023@latest' in environment prod: production pins its AMI"),
        (with_compute("prod-eu", node_groups=[group()], karpenter=karpenter(node_classes=[{"ami_alias": "bottlerocket@latest"}])), "compute.karpenter.node_classes[0].ami_alias", "production pins its AMI"),
        # Fargate
        (with_compute(fargate={"profiles": [{"name": "batch", "selectors": []}]}), "compute.fargate.profiles[0].selectors", "at least 1"),
        (with_compute(fargate={"profiles": [{"name": "a", "selectors": [{"namespace": "Bad_NS"}]}]}), "compute.fargate.profiles[0].selectors[0].namespace", "not a Kubernetes namespace"),
        (with_compute(fargate={"profiles": [{"name": "a", "selectors": [{"namespace": "a"}]}] * 2}), "compute.fargate.profiles[1].name", "a is used more than once"),
        (with_compute(fargate={"profiles": [{"name": "coredns", "selectors": [{"namespace": "a"}]}]}), "compute.fargate.profiles[0].name", "reserved for the built-in profiles"),
        (with_compute(fargate={"profiles": [{"name": "a", "selectors": [{"namespace": "a", "labels": {"app": "x y"}}]}]}), "compute.fargate.profiles[0].selectors[0].labels.app", "not a Kubernetes label or taint value"),
        # Auto Mode
        (with_compute(auto_mode={"node_pools": ["gpu"]}), "compute.auto_mode.node_pools[0]", "Input should be"),
        (with_compute(auto_mode={"node_pools": ["system", "system"]}), "compute.auto_mode.node_pools[1]", "more than once"),
        (with_compute(auto_mode={"node_pools": []}), "compute.auto_mode.node_pools", "at least 1"),
    ],
)  # fmt: skip
def test_invalid_compute_is_reported(tmp_path: Path, data: Any, field: str, fragment: str) -> None:
    found = problems(tmp_path, data)
    prefix = f"{tmp_path / 'env.yaml'}: {field}".rstrip() + (":" if field else "")
    assert any(p.startswith(prefix) and fragment in p for p in found), found


@pytest.mark.parametrize(
    "compute",
    [
        # hop limit 2 with a reason, @latest outside prod, Karpenter on Fargate
        {
            "node_groups": [
                group(imds_hop_limit=2, imds_hop_limit_reason="legacy agent reads IMDS from a pod")
            ]
        },
        {
            "node_groups": [group()],
            "karpenter": karpenter(node_classes=[{"ami_alias": "al2023@latest"}]),
        },
        {
            "karpenter": karpenter(controller_on="fargate", controller_node_group=None),
            "fargate": {"karpenter_controller": True},
        },
        {"node_groups": [group(capacity_type="spot", instance_types=["m7g.large", "m6g.large"])]},
    ],
)
def test_valid_compute_is_accepted(tmp_path: Path, compute: dict[str, Any]) -> None:
    assert load_config(write(tmp_path, with_compute(**compute))).compute is not None
