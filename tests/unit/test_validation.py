"""The shared compute validators, against what Karpenter's CRDs and EKS accept."""

from __future__ import annotations

import pytest

from eks_blueprint import validation as v
from eks_blueprint.config.compute import NodeGroupConfig


@pytest.mark.parametrize(
    "key",
    [
        "example.com/team",
        "node-restriction.kubernetes.io/tenant",  # the recommended domain for isolation
        "node.kubernetes.io/role",
        "topology.kubernetes.io/zone",
        "kubernetes.io/arch",
        "kops.k8s.io/instancegroup",
        "karpenter.sh/capacity-type",
        "karpenter.k8s.aws/instance-family",
        "team",
    ],
)
def test_nodepool_labels_the_crd_admits(key: str) -> None:
    v.check_node_labels({key: "value"})


@pytest.mark.parametrize(
    "key",
    [
        "kubernetes.io/hostname",
        "karpenter.sh/nodepool",
        "kubernetes.io/team",
        "app.kubernetes.io/name",
        "k8s.io/team",
        "karpenter.sh/team",
        "karpenter.k8s.aws/team",
    ],
)
def test_nodepool_labels_the_crd_refuses(key: str) -> None:
    with pytest.raises(v.Invalid, match="domain Karpenter reserves"):
        v.check_node_labels({key: "value"}, "labels")


@pytest.mark.parametrize("value", ["x" * 64, "-a", "a b", "a/b"])
def test_nodepool_label_values(value: str) -> None:
    with pytest.raises(v.Invalid, match="label value"):
        v.check_node_labels({"example.com/team": value}, "labels")


@pytest.mark.parametrize("instance_type", ["m7i.metal-24xl", "c7a.metal-48xl", "m7g.large"])
def test_metal_sizes_are_instance_types(instance_type: str) -> None:
    assert v.check_instance_type(instance_type) == instance_type


@pytest.mark.parametrize(
    ("types", "ami_type"),
    [
        (["g5.xlarge"], None),
        (["g5.xlarge"], "AL2023_x86_64_STANDARD"),
        (["p5.48xlarge"], "BOTTLEROCKET_x86_64"),
        (["inf2.xlarge"], "AL2023_x86_64_STANDARD"),
        (["g5g.xlarge"], "AL2023_ARM_64_STANDARD"),
    ],
)
def test_accelerated_types_need_an_accelerated_ami(types: list[str], ami_type: str | None) -> None:
    with pytest.raises(v.Invalid, match="accelerated AMI"):
        v.check_accelerated_ami(types, ami_type)


def test_accelerated_ami_and_general_types_pass() -> None:
    v.check_accelerated_ami(["g5.xlarge"], "AL2023_x86_64_NVIDIA")
    v.check_accelerated_ami(["inf2.xlarge"], "AL2023_x86_64_NEURON")
    v.check_accelerated_ami(["m7g.large", "c7gn.large", "gr6.xlarge"][:2], None)


def test_config_refuses_gpu_types_on_a_standard_ami() -> None:
    with pytest.raises(ValueError, match="accelerated AMI"):
        NodeGroupConfig.model_validate({"name": "gpu", "instance_types": ["g5.xlarge", "g5.2xlarge"]})


def test_spot_rule_says_it_is_this_librarys() -> None:
    with pytest.raises(v.Invalid, match="at least 2 instance types in this library"):
        v.check_spot_instance_types(["m7g.large"], spot=True)


# -- what Karpenter's CRDs and the Kubernetes quantity grammar accept ----------------------


@pytest.mark.parametrize("value", ["30s", "1m", "720h", "1h30m", "30m1h", "1h1h", "0s", "Never"])
def test_durations_the_nodepool_crd_accepts(value: str) -> None:
    assert v.check_duration(value, "expire_after") == value


@pytest.mark.parametrize("value", ["", "1d", "1.5h", "h", "1H", "never", "1h 30m", "-1h", "Never1h"])
def test_durations_the_nodepool_crd_refuses(value: str) -> None:
    with pytest.raises(v.Invalid, match="not a duration"):
        v.check_duration(value, "expire_after")


@pytest.mark.parametrize(
    "value", ["1", "500m", "1.5Gi", ".5", "5.", "1e3", "1E-2", "+2", "1E", "0", "2Ki", "3k"]
)
def test_quantities_of_the_kubernetes_grammar(value: str) -> None:
    assert v.check_quantity(value, "cpu") == value


@pytest.mark.parametrize(
    "value", ["", "1.5 Gi", "1e", "e3", ".", "1.2.3", "1Kib", "1KI", "1ki", "1e1.5", "0x10", "1m5"]
)
def test_what_is_not_a_quantity(value: str) -> None:
    with pytest.raises(v.Invalid, match="not a Kubernetes quantity"):
        v.check_quantity(value, "cpu")


def test_negative_quantities_are_refused() -> None:
    with pytest.raises(v.Invalid, match="negative"):
        v.check_quantity("-1", "cpu")
    with pytest.raises(v.Invalid, match="negative"):
        v.check_memory("-1Gi")


@pytest.mark.parametrize("value", ["400Gi", ".5Ti", "1e12", "64G"])
def test_memory_quantities(value: str) -> None:
    assert v.check_memory(value) == value


@pytest.mark.parametrize("value", ["500m", "1 Gi", "Gi"])
def test_what_is_not_a_memory_quantity(value: str) -> None:
    with pytest.raises(v.Invalid, match="not a Kubernetes memory quantity"):
        v.check_memory(value)


@pytest.mark.parametrize(
    "value",
    ["al2023@latest", "al2023@v20251112", "bottlerocket@latest", "bottlerocket@v1.46.0",
     "bottlerocket@1.46.0"],
)
def test_ami_aliases_karpenter_resolves(value: str) -> None:
    assert v.check_ami_alias(value) == value


@pytest.mark.parametrize(
    ("value", "family"),
    [("al2@latest", "al2"), ("al2@v20240807", "al2"), ("windows2022@latest", "windows2022"),
     ("windows@latest", "windows")],
)
def test_ami_families_this_library_does_not_support(value: str, family: str) -> None:
    with pytest.raises(v.Invalid, match=f"the {family} AMI family is not supported by this library"):
        v.check_ami_alias(value)


@pytest.mark.parametrize(
    "value", ["al2023@20251112", "al2023@v2025", "bottlerocket@1.46", "ubuntu@latest", "al2023"]
)
def test_invalid_ami_aliases(value: str) -> None:
    with pytest.raises(v.Invalid, match="expected al2023@v<YYYYMMDD>"):
        v.check_ami_alias(value)
