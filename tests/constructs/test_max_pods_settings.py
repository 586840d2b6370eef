"""Max pods on nodes from the instance type table when the VPC CNI delegates prefixes:
Bottlerocket node groups through `[settings.kubernetes] max-pods`, AL2023 node groups
through a nodeadm NodeConfig in MIME multi-part user data, Karpenter through the
EC2NodeClass's `spec.kubelet.maxPods`; an explicit `NodeGroupSpec.max_pods` wins."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Template

from eks_blueprint.compute import max_pods as max_pods_module
from eks_blueprint.compute.karpenter import (
    Karpenter,
    KarpenterProps,
    NodeClassSpec,
    NodePoolRequirements,
    NodePoolSpec,
)
from eks_blueprint.compute.karpenter import construct as karpenter_construct
from eks_blueprint.compute.managed_node_groups import (
    ManagedNodeGroups,
    ManagedNodeGroupsProps,
    NodeGroupSpec,
)
from eks_blueprint.compute.max_pods import node_class_max_pods
from eks_blueprint.instance_types import instance_type, matching_types

from .scaffold import defined_cluster, imported_cluster, stack

MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"


def _groups(*specs: NodeGroupSpec, prefix_delegation: bool = True) -> dict[str, str | None]:
    """Each group's launch template user data (None: none), by group name."""
    scope = stack()
    construct = ManagedNodeGroups(
        scope,
        "NodeGroups",
        props=ManagedNodeGroupsProps(
            cluster=imported_cluster(scope), groups=specs, prefix_delegation=prefix_delegation
        ),
    )
    resources = Template.from_stack(scope).find_resources("AWS::EC2::LaunchTemplate")
    out: dict[str, str | None] = {}
    for name, template in construct.launch_templates.items():
        data = resources[scope.get_logical_id(template)]["Properties"]["LaunchTemplateData"]
        out[name] = data["UserData"]["Fn::Base64"] if "UserData" in data else None
    return out


def _prefix(name: str) -> int:
    found = instance_type(name)
    assert found is not None
    value = found.max_pods("prefix")
    assert value is not None
    return value


def test_bottlerocket_groups_get_the_tables_value_in_their_settings() -> None:
    user_data = _groups(
        NodeGroupSpec(
            name="system",
            instance_types=("m7g.xlarge",),
            ami_type=eks.NodegroupAmiType.BOTTLEROCKET_ARM_64,
        )
    )
    # m7g.xlarge: 4 ENIs x (15 - 1) x 16 + 2 = 898 with prefixes, 110 below 31 vCPUs
    assert _prefix("m7g.xlarge") == 110
    assert user_data == {"system": "[settings.kubernetes]\nmax-pods = 110\n"}


def test_al2023_groups_get_it_in_a_nodeadm_nodeconfig_part() -> None:
    user_data = _groups(NodeGroupSpec(name="big", instance_types=("m5.8xlarge",)))
    text = user_data["big"]
    assert text is not None
    # m5.8xlarge: 32 vCPUs, so the 250 ceiling
    assert _prefix("m5.8xlarge") == 250
    assert text.startswith("MIME-Version: 1.0\nContent-Type: multipart/mixed;")
    assert "Content-Type: application/node.eks.aws" in text and "kind: NodeConfig" in text
    assert "  kubelet:\n    config:\n      maxPods: 250\n" in text
    # nodeadm would reserve 11 x 234 + 255 = 2829 MiB (its ENI max pods: 8 x (30 - 1) + 2);
    # for 250 pods the NodeConfig reserves 11 x 250 + 255 = 3005 MiB, memory only.
    assert "      kubeReserved:\n        memory: 3005Mi\n\n" in text
    assert "cpu:" not in text


def test_al2023_reserves_memory_for_the_pods_it_allows() -> None:
    # m5.large: nodeadm's own max pods 3 x (10 - 1) + 2 = 29 -> 574 MiB reserved; with 110
    # pods it needs 11 x 110 + 255 = 1465 MiB.
    text = _groups(NodeGroupSpec(name="small", instance_types=("m5.large",)))["small"]
    assert text is not None
    assert "      maxPods: 110\n      kubeReserved:\n        memory: 1465Mi\n" in text


def test_a_group_of_several_types_takes_the_smallest_value() -> None:
    user_data = _groups(
        NodeGroupSpec(name="mixed", instance_types=("m5.8xlarge", "m5.large")),
        NodeGroupSpec(
            name="small",
            instance_types=("m6g.medium", "m6g.large"),
            ami_type=eks.NodegroupAmiType.BOTTLEROCKET_ARM_64,
        ),
    )
    assert user_data["mixed"] is not None and "maxPods: 110\n" in user_data["mixed"]
    # m6g.medium: 2 ENIs x (4 - 1) x 16 + 2 = 98, below m6g.large's 110
    assert user_data["small"] == "[settings.kubernetes]\nmax-pods = 98\n"


def test_an_explicit_max_pods_wins_and_no_prefixes_leave_it_to_eks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    explicit = _groups(NodeGroupSpec(name="a", instance_types=("m5.8xlarge",), max_pods=58))
    assert explicit["a"] is not None and "maxPods: 58\n" in explicit["a"]
    without = _groups(
        NodeGroupSpec(name="b", instance_types=("m5.8xlarge",)), prefix_delegation=False
    )
    assert without == {"b": None}
    # a type the table does not list: no value to promise, EKS computes it
    monkeypatch.setattr(max_pods_module, "instance_type", lambda name: None)
    assert _groups(NodeGroupSpec(name="c", instance_types=("m5.large",))) == {"c": None}


def _karpenter(
    *pools: NodePoolSpec, classes: tuple[NodeClassSpec, ...] = (NodeClassSpec(),), **props: Any
) -> tuple[Stack, Karpenter]:
    scope = stack()
    cluster = defined_cluster(scope)
    ManagedNodeGroups(
        scope,
        "NodeGroups",
        props=ManagedNodeGroupsProps(
            cluster=cluster, groups=[NodeGroupSpec(name="system", instance_types=("m7g.large",))]
        ),
    )
    karpenter = Karpenter(
        scope,
        "Karpenter",
        props=KarpenterProps(
            cluster=cluster,
            cluster_name="platform",
            kubernetes_version="1.34",
            node_classes=classes,
            node_pools=pools or (NodePoolSpec(),),
            **props,
        ),
    )
    return scope, karpenter


def _node_classes(scope: Stack) -> dict[str, dict[str, Any]]:
    out = {}
    for resource in Template.from_stack(scope).find_resources(MANIFEST).values():
        manifest = resource["Properties"]["Manifest"]
        text = (
            manifest
            if isinstance(manifest, str)
            else "".join(p if isinstance(p, str) else "ROLE" for p in manifest["Fn::Join"][1])
        )
        for doc in json.loads(text):
            if doc["kind"] == "EC2NodeClass":
                out[doc["metadata"]["name"]] = doc["spec"]
    return out


def test_karpenter_node_classes_carry_the_smallest_value_of_their_pools_candidates() -> None:
    scope, karpenter = _karpenter(
        NodePoolSpec(name="general"),
        NodePoolSpec(
            name="arm",
            node_class="graviton",
            requirements=NodePoolRequirements(architectures=("arm64",), min_instance_generation=7),
        ),
        classes=(NodeClassSpec(), NodeClassSpec(name="graviton", ami_alias="bottlerocket@v1.50.0")),
    )
    classes = _node_classes(scope)
    # every c/m/r type from large up holds 110 pods with prefixes; the smallest is 110
    requirements = karpenter.node_pool_manifest(NodePoolSpec(name="general"))["spec"]["template"][
        "spec"
    ]["requirements"]
    candidates = matching_types(requirements).types
    assert min(_prefix(t.name) for t in candidates) == 110
    assert classes["default"]["kubelet"] == {"maxPods": 110}
    assert classes["graviton"]["kubelet"] == {"maxPods": 110}
    assert karpenter.node_class_max_pods("graviton") == 110


def test_without_prefix_delegation_karpenter_keeps_its_eni_based_default() -> None:
    scope, karpenter = _karpenter(prefix_delegation=False)
    assert "kubelet" not in _node_classes(scope)["default"]
    assert karpenter.node_class_max_pods("default") is None


@pytest.fixture
def class_value_of_250(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The class gets 250 (as if its pools allowed only >30-vCPU types); pools checked
    later get the real value."""
    calls: list[int] = []

    def fake(pool_requirements: Any, *, custom_networking: bool = False) -> int:
        calls.append(1)
        if len(calls) == 1:
            return 250
        return node_class_max_pods(pool_requirements, custom_networking=custom_networking)

    monkeypatch.setattr(karpenter_construct, "node_class_max_pods", fake)
    yield


@pytest.mark.usefixtures("class_value_of_250")
def test_a_pool_added_later_may_not_allow_types_below_its_class_value() -> None:
    _, karpenter = _karpenter()
    with pytest.raises(
        ValueError,
        match=r"add_node_pool\(NodePoolSpec 'late'\).requirements: .*"
        r"already sets maxPods 250",
    ):
        karpenter.add_node_pool(NodePoolSpec(name="late"))
