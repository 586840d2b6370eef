"""The `compute.self_managed_node_groups:` config section: the example loads and translates,
and every rule refuses bad input with a message naming the field and the fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.config import load_config
from eks_blueprint.config.self_managed import SelfManagedNodeGroupConfig
from stacks.app_builder import CONFIG_DIR

from .test_compute_config import GROUP, with_compute
from .test_config import problems, write

EXAMPLE = CONFIG_DIR / "examples" / "self-managed.yaml"
SELF: dict[str, Any] = {
    "name": "hardened",
    "instance_types": ["m7i.large", "m6i.large"],
    "size": {"min": 2, "desired": 2, "max": 4},
}


def node(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(SELF), **changes}


def with_self_managed(*groups: dict[str, Any], name: str = "dev", **compute: Any) -> dict[str, Any]:
    return with_compute(name, node_groups=[GROUP], self_managed_node_groups=list(groups), **compute)


def test_the_example_loads_with_both_kinds_of_ami() -> None:
    cfg = load_config(EXAMPLE)
    hardened, golden = cfg.compute.self_managed_node_groups
    assert (hardened.ami.family, hardened.ami.release, hardened.ami.id) == (
        "al2023",
        "v20251112",
        None,
    )
    assert (golden.ami.family, golden.ami.id, golden.ami.architecture) == (
        "bottlerocket",
        "ami-0123456789abcdef0",
        "arm64",
    )
    assert cfg.account == "555555555555"


def test_defaults() -> None:
    group = SelfManagedNodeGroupConfig.model_validate(
        {"name": "a", "instance_types": ["m7i.large"]}
    )
    assert (group.ami.family, group.ami.architecture, group.ami.id, group.ami.release) == (
        "al2023",
        None,
        None,
        None,
    )
    assert (group.size.min, group.size.desired, group.size.max) == (2, 2, 4)
    assert (group.disk_size_gib, group.max_unavailable_percentage, group.max_pods) == (50, 33, None)
    assert group.detailed_monitoring is False


def test_the_translation_keeps_every_field() -> None:
    from stacks.translate.compute import self_managed_group_spec

    cfg = load_config(EXAMPLE)
    golden = self_managed_group_spec(cfg.compute.self_managed_node_groups[1])
    assert (golden.ami_family, golden.ami_id, golden.architecture) == (
        "bottlerocket",
        "ami-0123456789abcdef0",
        "arm64",
    )
    assert (golden.min_size, golden.desired_size, golden.max_size) == (1, 1, 3)
    assert golden.taints[0].key == "example.com/dedicated" and golden.disk_size_gib == 80
    assert golden.max_unavailable_percentage == 50


def test_the_translation_does_not_guess_the_service_cidr() -> None:
    # The app's cluster sets no service CIDR: the construct reads EKS's choice at deploy time
    # (a guess from network.cidr gives nodes a wrong cluster DNS address when it is wrong).
    import aws_cdk as cdk
    from aws_cdk import aws_ec2 as ec2
    from aws_cdk import aws_eks_v2 as eks

    from stacks.translate.compute import self_managed_props

    cfg = load_config(EXAMPLE)
    scope = cdk.Stack()
    cluster = eks.Cluster.from_cluster_attributes(scope, "Cluster", cluster_name="c")
    found = self_managed_props(cfg, cluster, ec2.SubnetSelection())
    assert found is not None and found.service_ipv4_cidr is None


def prod(data: dict[str, Any]) -> dict[str, Any]:
    """`data` made a production file that passes prod's own rules."""
    data["name"] = "prod"
    data["security"]["enhanced_scanning"] = None
    for tenant in data.get("tenants", []):
        tenant["egress"] = "open"
    return data


def test_production_accepts_pinned_amis(tmp_path: Path) -> None:
    data = prod(
        with_self_managed(
            node(ami={"release": "v20251112"}),
            node(name="golden", ami={"id": "ami-0123456789abcdef0", "architecture": "x86_64"}),
        )
    )
    cfg = load_config(write(tmp_path, data))
    assert len(cfg.compute.self_managed_node_groups) == 2


GROUPS = "compute.self_managed_node_groups"


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        # names and instance types
        (with_self_managed(node(name="Hardened")), f"{GROUPS}[0].name", "lower-case"),
        (with_self_managed(node(instance_types=[])), f"{GROUPS}[0].instance_types", "at least 1"),
        (with_self_managed(node(instance_types=["m7i"])), f"{GROUPS}[0].instance_types[0]", "not an EC2 instance type"),
        (with_self_managed(node(instance_types=["m7i.large", "m7i.large"])), f"{GROUPS}[0].instance_types[1]", "more than once"),
        (with_self_managed(node(instance_types=["m7i.large", "m7g.large"])), f"{GROUPS}[0].instance_types[1]", "mixes"),
        (with_self_managed(node(instance_types=["g5.xlarge"])), f"{GROUPS}[0].instance_types", "accelerated AMI"),
        (with_self_managed(node(name="system")), f"{GROUPS}[0].name", "already the name of a node group"),
        (with_self_managed(node(), node()), f"{GROUPS}[1].name", "already the name of a node group"),
        (with_self_managed(*[node(name=f"g{i}") for i in range(11)]), GROUPS, "at most 10"),
        # sizes and volumes
        (with_self_managed(node(size={"min": 3, "desired": 2, "max": 4})), f"{GROUPS}[0].size.desired", "must lie between"),
        (with_self_managed(node(size={"min": 0, "desired": 0, "max": 0})), f"{GROUPS}[0].size.max", "greater than or equal to 1"),
        (with_self_managed(node(disk_size_gib=10)), f"{GROUPS}[0].disk_size_gib", "greater than or equal to 20"),
        (with_self_managed(node(max_unavailable_percentage=0)), f"{GROUPS}[0].max_unavailable_percentage", "greater than or equal to 1"),
        (with_self_managed(node(max_pods=251)), f"{GROUPS}[0].max_pods", "less than or equal to 250"),
        # labels the kubelet may not set
        (with_self_managed(node(labels={"node-role.kubernetes.io/worker": "x"})), f"{GROUPS}[0].labels[", "kubelet may not"),
        (with_self_managed(node(labels={"example.k8s.io/team": "x"})), f"{GROUPS}[0].labels[", "kubelet may not"),
        # the AMI
        (with_self_managed(node(ami={"family": "windows"})), f"{GROUPS}[0].ami.family", "Windows is not supported"),
        (with_self_managed(node(ami={"family": "al2"})), f"{GROUPS}[0].ami.family", "Input should be"),
        (with_self_managed(node(ami={"id": "ami-12"})), f"{GROUPS}[0].ami.id", "not an AMI id"),
        (with_self_managed(node(ami={"id": "ami-0123456789ABCDEF0", "architecture": "x86_64"})), f"{GROUPS}[0].ami.id", "not an AMI id"),
        (with_self_managed(node(ami={"id": "ami-0123456789abcdef0"})), f"{GROUPS}[0].ami.architecture", "needs its architecture"),
        (with_self_managed(node(ami={"id": "ami-0123456789abcdef0", "architecture": "x86_64", "release": "v20251112"})), f"{GROUPS}[0].ami.release", "give one of them"),
        (with_self_managed(node(ami={"release": "20251112"})), f"{GROUPS}[0].ami.release", "v20251112"),
        (with_self_managed(node(ami={"family": "bottlerocket", "release": "v20251112"})), f"{GROUPS}[0].ami.release", "1.50.0"),
        (with_self_managed(node(ami={"architecture": "aarch64"})), f"{GROUPS}[0].ami.architecture", "Input should be"),
        (with_self_managed(node(ami={"id": "ami-0123456789abcdef0", "architecture": "arm64"})), f"{GROUPS}[0].instance_types[0]", "the AMI is arm64"),
        (with_self_managed(node(instance_types=["m7g.large"], ami={"architecture": "x86_64"})), f"{GROUPS}[0].instance_types[0]", "the AMI is x86_64"),
        # the environment
        (with_compute(self_managed_node_groups=[node()], auto_mode={}), GROUPS, "Auto Mode cluster"),
        (prod(with_self_managed(node())), f"{GROUPS}[0].ami.release", "production"),
    ],
)  # fmt: skip
def test_invalid_self_managed_groups_are_reported(
    tmp_path: Path, data: Any, field: str, fragment: str
) -> None:
    found = problems(tmp_path, data)
    prefix = f"{tmp_path / 'env.yaml'}: {field}"
    assert any(p.startswith(prefix) and fragment in p for p in found), found
