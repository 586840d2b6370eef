"""Prefix delegation adds pod density only when nodes are told their max pods. Managed node
groups' launch templates set the table's value (the smallest of the group's types), so it
does not depend on EKS seeing the vpc-cni add-on first; EC2NodeClasses set `kubelet.maxPods`
and NodePools keep to instances that can hold it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eks_blueprint.compute.max_pods import (
    group_max_pods,
    managed_max_pods_ceiling,
    max_pods_user_data,
    max_pods_with_prefixes,
)
from eks_blueprint.instance_types import RequirementError, matching_types
from tests.conftest import SynthResult, resources_of
from tests.unit.test_addons import manifests


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        ("m7g.large", 110),  # 2 vCPUs
        ("c6i.4xlarge", 110),  # 16
        ("m5.8xlarge", 250),  # 32: the 250 cap from 30 vCPUs
        ("r7g.16xlarge", 250),
        ("t4g.medium", 110),  # 3 ENIs x 6 addresses
        ("t3.small", 110),
        ("m6g.medium", 98),  # 2 ENIs x 4 addresses: 2 x 3 x 16 + 2, below 110
        ("t3a.small", 98),  # 2 ENIs, unlike t3.small
        ("t3.micro", 34),  # 2 ENIs x 2 addresses
        ("m7i.metal-24xl", 250),  # bare metal: the VPC CNI delegates prefixes there too
        ("m4.large", None),  # Xen: no prefixes at all
        ("c4.8xlarge", None),
        ("g4ad.xlarge", 98),  # Nitro, but 2 ENIs x 4 addresses
        ("hpc7a.12xlarge", 110),  # 24 vCPUs, from the table (the name does not say)
        ("x9z.large", None),  # not in the table
    ],
)
def test_max_pods_per_instance_type(instance_type: str, expected: int | None) -> None:
    assert max_pods_with_prefixes(instance_type) == expected


def test_a_group_takes_its_smallest_type_and_unknown_types_keep_the_default() -> None:
    assert group_max_pods(["m5.8xlarge", "m5.large"]) == 110
    assert group_max_pods(["m5.8xlarge", "m5.16xlarge"]) == 250
    assert group_max_pods(["m5.large", "m6g.medium"]) == 98
    assert group_max_pods(["m5.large", "x9z.large"]) is None


def test_user_data_forms() -> None:
    toml = max_pods_user_data("bottlerocket", 110)
    assert toml == "[settings.kubernetes]\nmax-pods = 110\n"
    mime = max_pods_user_data("al2023", 250)
    assert mime.startswith("MIME-Version: 1.0\nContent-Type: multipart/mixed;")
    assert "Content-Type: application/node.eks.aws" in mime
    assert "kind: NodeConfig" in mime and "      maxPods: 250\n" in mime
    # nodeadm reserves memory for its own ENI-based max pods; the NodeConfig reserves it
    # for 250: 11 x 250 + 255 = 3005 MiB. Only memory: the kubelet merges the drop-in's
    # kubeReserved key by key, so nodeadm's per-node cpu and ephemeral-storage stay.
    reserved = "    config:\n      maxPods: 250\n      kubeReserved:\n        memory: 3005Mi\n\n"
    assert reserved in mime
    assert "cpu:" not in mime and "ephemeral-storage" not in mime
    assert "memory: 1465Mi\n" in max_pods_user_data("al2023", 110)  # 11 x 110 + 255
    assert mime.rstrip().endswith("--")


def test_managed_node_group_ceiling_follows_the_groups_smallest_type() -> None:
    # EKS: at most 110 below 30 vCPUs, 250 from there; unknown types do not count.
    assert managed_max_pods_ceiling(["m5.8xlarge", "m5.large"]) == (110, "m5.large", 2)
    assert managed_max_pods_ceiling(["m5.8xlarge", "x9z.large"]) == (250, "m5.8xlarge", 32)
    assert managed_max_pods_ceiling(["x9z.large"]) is None


@pytest.mark.parametrize("op", ["Gte", "Lte"])
def test_gte_and_lte_are_not_karpenter_operators(op: str) -> None:
    # karpenter.sh/v1 NodePool requirements allow In, NotIn, Exists, DoesNotExist, Gt, Lt.
    requirement = {"key": "karpenter.k8s.aws/instance-cpu", "operator": op, "values": ["4"]}
    with pytest.raises(RequirementError, match=f"unknown operator '{op}'"):
        matching_types([requirement])
    gt = {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Gt", "values": ["4"]}
    assert all(t.vcpus > 4 for t in matching_types([gt]).types)


def _user_data(template: dict[str, Any]) -> list[str]:
    """Each launch template's user data, as CloudFormation will base64-encode it."""
    return [
        lt["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
        for lt in resources_of(template, "AWS::EC2::LaunchTemplate").values()
        if "UserData" in lt["Properties"]["LaunchTemplateData"]
    ]


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_node_groups_set_the_tables_max_pods_after_the_cni(synth: SynthResult, env: str) -> None:
    # Both system groups are Bottlerocket with types of 110 pods with prefixes (t4g.medium
    # and t4g.large; m7g.xlarge); the group still depends on vpc-cni (prefixes on first).
    template = synth.template(env, "cluster")
    assert _user_data(template) == ["[settings.kubernetes]\nmax-pods = 110\n"]
    cni = next(k for k, v in resources_of(template, "AWS::EKS::Addon").items()
               if v["Properties"]["AddonName"] == "vpc-cni")
    for group in resources_of(template, "AWS::EKS::Nodegroup").values():
        assert cni in group["DependsOn"]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_node_classes_set_max_pods_and_pools_leave_out_small_sizes(
    synth: SynthResult, env: str
) -> None:
    docs = manifests(synth.template(env, "cluster"))
    classes = [d for d in docs if d["kind"] == "EC2NodeClass"]
    pools = [d for d in docs if d["kind"] == "NodePool"]
    assert classes and pools
    assert all(c["spec"]["kubelet"] == {"maxPods": 110} for c in classes)
    for pool in pools:
        requirements = pool["spec"]["template"]["spec"]["requirements"]
        by_key = {r["key"]: r for r in requirements}
        assert by_key["karpenter.k8s.aws/instance-size"] == {
            "key": "karpenter.k8s.aws/instance-size", "operator": "NotIn",
            "values": ["nano", "micro", "small", "medium"]}, json.dumps(pool)
        assert by_key["karpenter.k8s.aws/instance-hypervisor"]["values"] == ["nitro"]
        assert by_key["karpenter.k8s.aws/instance-family"] == {
            "key": "karpenter.k8s.aws/instance-family", "operator": "NotIn", "values": ["g4ad"]}
