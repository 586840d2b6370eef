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
