"""Karpenter as a library user builds it: explicit props, no configuration file."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import Stack, Token
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Match, Template

from eks_blueprint.compute.karpenter import (
    DisruptionBudget,
    Karpenter,
    KarpenterProps,
    NodeClassSpec,
    NodePoolDisruption,
    NodePoolLimits,
    NodePoolRequirements,
    NodePoolSpec,
)
from eks_blueprint.compute.managed_node_groups import (
    ManagedNodeGroups,
    ManagedNodeGroupsProps,
    NodeGroupSpec,
)
from eks_blueprint.compute.placement import ControllerPlacement
from eks_blueprint.compute.taints import Taint

from .scaffold import defined_cluster, imported_cluster, stack

MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"


def with_system_group(scope: Stack, cluster: eks.ICluster | eks.Cluster) -> ManagedNodeGroups:
    return ManagedNodeGroups(
        scope,
        "NodeGroups",
        props=ManagedNodeGroupsProps(
            cluster=cluster,
            groups=[
                NodeGroupSpec(
                    name="system",
                    instance_types=("m7g.large", "m6g.large"),
                    taints=[Taint("CriticalAddonsOnly", "NoSchedule", "true")],
                )
            ],
        ),
    )


@pytest.fixture(scope="module")
def built() -> tuple[Stack, Karpenter]:
    # GIVEN a cluster of this app with a tainted system node group
    scope = stack()
    cluster = defined_cluster(scope)
    with_system_group(scope, cluster)
    # WHEN Karpenter is added with only what cannot be defaulted
    karpenter = Karpenter(
        scope,
        "Karpenter",
        props=KarpenterProps(cluster=cluster, cluster_name="platform", kubernetes_version="1.34"),
    )
    # AND grown after construction: a class and a Spot pool on it
    karpenter.add_node_class(NodeClassSpec(name="bottlerocket", ami_alias="bottlerocket@v1.50.0"))
    karpenter.add_node_pool(
        NodePoolSpec(
            name="spot",
            node_class="bottlerocket",
            requirements=NodePoolRequirements(
                capacity_types=("spot", "on-demand"), zones=("eu-west-1a",)
            ),
            limits=NodePoolLimits(cpu=32, memory="128Gi"),
            disruption=NodePoolDisruption(
                consolidation_policy="WhenEmpty",
                budgets=[
                    DisruptionBudget(nodes="20%"),
                    DisruptionBudget(nodes="0", schedule="0 9 * * mon-fri", duration="8h"),
                ],
            ),
            taints=[Taint("spot", "NoSchedule")],
            weight=50,
        )
    )
    return scope, karpenter


def pool(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """A manifest property matching the one NodePool `name` with `body` in its spec."""
    return {
        "Manifest": Match.serialized_json(
            [
                Match.object_like(
                    {
                        "kind": "NodePool",
                        "metadata": {"name": name},
                        "spec": Match.object_like(body),
                    }
                )
            ]
        )
    }


def test_default_pool_and_class_come_from_the_defaults(built: tuple[Stack, Karpenter]) -> None:
    scope, karpenter = built
    template = Template.from_stack(scope)
    template.has_resource_properties(
        MANIFEST,
        pool(
            "default",
            {
                "limits": {"cpu": "100", "memory": "400Gi"},
                "disruption": {
                    "consolidationPolicy": "WhenEmptyOrUnderutilized",
                    "consolidateAfter": "1m",
                },
            },
        ),
    )
    node_class = karpenter.node_class_manifest(NodeClassSpec())
    assert node_class["spec"]["amiSelectorTerms"] == [{"alias": "al2023@v20251112"}]
    assert [m["ebs"]["volumeSize"] for m in node_class["spec"]["blockDeviceMappings"]] == ["50Gi"]
    assert set(karpenter.manifests) == {
        "EC2NodeClass/default",
        "EC2NodeClass/bottlerocket",
        "NodePool/default",
        "NodePool/spot",
    }


def test_added_pool_carries_requirements_budgets_taints_and_weight(
    built: tuple[Stack, Karpenter],
) -> None:
    scope, _ = built
    Template.from_stack(scope).has_resource_properties(
        MANIFEST,
        pool(
            "spot",
            {
                "weight": 50,
                "limits": {"cpu": "32", "memory": "128Gi"},
                "disruption": {
                    "consolidationPolicy": "WhenEmpty",
                    "consolidateAfter": "1m",
                    "budgets": [
                        {"nodes": "20%"},
                        {"nodes": "0", "schedule": "0 9 * * mon-fri", "duration": "8h"},
                    ],
                },
                "template": {
                    "spec": Match.object_like(
                        {
                            "nodeClassRef": Match.object_like({"name": "bottlerocket"}),
                            "taints": [{"key": "spot", "effect": "NoSchedule"}],
                            "requirements": Match.array_with(
                                [
                                    {
                                        "key": "karpenter.sh/capacity-type",
                                        "operator": "In",
                                        "values": ["spot", "on-demand"],
                                    },
                                    {
                                        "key": "topology.kubernetes.io/zone",
                                        "operator": "In",
                                        "values": ["eu-west-1a"],
                                    },
                                ]
                            ),
                        }
                    )
                },
            },
        ),
    )


def test_controller_defaults_to_the_first_node_group(built: tuple[Stack, Karpenter]) -> None:
    scope, karpenter = built
    values = karpenter.chart_values()
    assert values["nodeSelector"] == {"eks-blueprint/node-group": "system"}
    assert values["tolerations"] == [
        {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    assert values["replicas"] == 2
    assert values["controller"]["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    template = Template.from_stack(scope)
    template.has_resource_properties(
        "Custom::AWSCDK-EKS-HelmChart", {"Chart": "karpenter", "Version": "1.8.1"}
    )
    template.has_resource_properties(
        "AWS::EKS::PodIdentityAssociation",
        {"Namespace": "kube-system", "ServiceAccount": "karpenter"},
    )


def test_an_added_pool_waits_for_its_class_and_the_chart(built: tuple[Stack, Karpenter]) -> None:
    _, karpenter = built
    pool_manifest = karpenter.manifests["NodePool/spot"]
    dependencies = {d.node.path for d in pool_manifest.node.dependencies}
    assert {
        karpenter.chart.node.path,
        karpenter.manifests["EC2NodeClass/bottlerocket"].node.path,
    } <= dependencies


def test_a_karpenter_without_pools_fails_synth() -> None:
    scope = stack()
    cluster = imported_cluster(scope)
    Karpenter(scope, "Karpenter", props=props(cluster, node_pools=()))
    with pytest.raises(Exception, match="Platform/Karpenter: Karpenter has no NodePool"):
        Template.from_stack(scope)


# -- refusals ------------------------------------------------------------------------------


def props(cluster: eks.ICluster | eks.Cluster, **changes: Any) -> KarpenterProps:
    fields: dict[str, Any] = {
        "cluster": cluster,
        "cluster_name": "platform",
        "kubernetes_version": "1.34",
        "placement": ControllerPlacement(),
        **changes,
    }
    return KarpenterProps(**fields)


def refused(changes: dict[str, Any], message: str, *, kubectl: bool = True) -> None:
    scope = stack()
    cluster = imported_cluster(scope, kubectl=kubectl)
    with pytest.raises(ValueError, match=re.escape(message)):
        Karpenter(scope, "Karpenter", props=props(cluster, **changes))


POOL = "Platform/Karpenter: KarpenterProps.node_pools[0]"


def one_pool(**changes: Any) -> dict[str, Any]:
    return {"node_pools": [NodePoolSpec(**changes)]}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (one_pool(requirements=NodePoolRequirements(capacity_types=("ondemand",))), f"{POOL}.requirements.capacity_types: 'ondemand'; use on-demand, spot"),
        (one_pool(requirements=NodePoolRequirements(capacity_types=("reserved",))), "Karpenter's `reserved` needs capacity reservation selectors"),
        (one_pool(requirements=NodePoolRequirements(architectures=("aarch64",))), f"{POOL}.requirements.architectures: 'aarch64'; use amd64, arm64"),
        (one_pool(requirements=NodePoolRequirements(zones=("us-east-1a",))), f"{POOL}.requirements.zones: ['us-east-1a']; not zones of the stack's region eu-west-1"),
        (one_pool(requirements=NodePoolRequirements(instance_categories=("c5",))), f"{POOL}.requirements.instance_categories: 'c5'; not an instance category"),
        (one_pool(requirements=NodePoolRequirements(min_vcpus=0)), f"{POOL}.requirements.min_vcpus: 0; use 1-896 vCPUs"),
        (one_pool(requirements=NodePoolRequirements(min_vcpus=1000)), f"{POOL}.requirements.min_vcpus: 1000; use 1-896 vCPUs"),
        (one_pool(limits=NodePoolLimits(cpu=-1)), f"{POOL}.limits.cpu: -1; use a whole number"),
        (one_pool(limits=NodePoolLimits(memory="lots")), f"{POOL}.limits.memory: 'lots'; not a Kubernetes memory quantity"),
        (one_pool(disruption=NodePoolDisruption(consolidate_after="30 days")), f"{POOL}.disruption.consolidate_after: '30 days'; not a duration"),
        (one_pool(disruption=NodePoolDisruption(expire_after="forever")), f"{POOL}.disruption.expire_after: 'forever'; not a duration"),
        (one_pool(disruption=NodePoolDisruption(budgets=[DisruptionBudget(nodes="lots")])), f"{POOL}.disruption.budgets[0].nodes: 'lots'; write a node count"),
        (one_pool(disruption=NodePoolDisruption(budgets=[DisruptionBudget(schedule="@daily")])), f"{POOL}.disruption.budgets[0].schedule: {{'schedule': '@daily', 'duration': None}}; a budget with a schedule needs a duration"),
        (one_pool(weight=0), f"{POOL}.weight: 0; use 1-100"),
        (one_pool(labels={"karpenter.sh/team": "spot"}), f"{POOL}.labels: 'karpenter.sh/team'; the label key uses a domain Karpenter reserves"),
        (one_pool(node_class="gpu"), f"{POOL}.node_class: 'gpu'; no such EC2NodeClass (known: default)"),
        (one_pool(name="Spot"), f"{POOL}.name: 'Spot'; use 1-63 lower-case"),
        ({"node_classes": [NodeClassSpec(ami_alias="ubuntu-latest")]}, "Platform/Karpenter: KarpenterProps.node_classes[0].ami_alias: 'ubuntu-latest'; expected al2023@v<YYYYMMDD>"),
        ({"node_classes": [NodeClassSpec(volume_size_gib=5)]}, "Platform/Karpenter: KarpenterProps.node_classes[0].volume_size_gib: 5; use 20-16384 GiB"),
        ({"node_pools": [NodePoolSpec(), NodePoolSpec()]}, "Platform/Karpenter: KarpenterProps.node_pools name: 'default'; is used more than once"),
        ({"cluster_name": Token.as_string({"Ref": "Name"})}, "Platform/Karpenter: KarpenterProps.cluster_name: '${Token"),
        ({"controller_memory": "lots"}, "Platform/Karpenter: KarpenterProps.controller_memory: 'lots'; not a Kubernetes quantity"),
    ],
)  # fmt: skip
def test_bad_props_name_the_construct_the_prop_and_the_value(
    changes: dict[str, Any], message: str
) -> None:
    refused(changes, message)


def test_a_cluster_without_kubectl_is_refused_with_the_fix() -> None:
    refused(
        {},
        "Platform/Karpenter: KarpenterProps.cluster: Platform/Cluster has no kubectl provider,"
        " which Karpenter needs to install its Helm charts and NodePools; create the cluster "
        "with ControlPlaneProps(kubectl_provider=True)",
        kubectl=False,
    )


def test_without_a_node_group_the_placement_is_asked_for() -> None:
    scope = stack()
    cluster = defined_cluster(scope)
    with pytest.raises(ValueError, match=r"Platform/Karpenter: KarpenterProps.placement: None"):
        Karpenter(
            scope,
            "Karpenter",
            props=KarpenterProps(
                cluster=cluster, cluster_name="platform", kubernetes_version="1.34"
            ),
        )


def test_growth_methods_refuse_bad_specs(built: tuple[Stack, Karpenter]) -> None:
    _, karpenter = built
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Platform/Karpenter: add_node_pool(NodePoolSpec 'spot').name: 'spot'; is used"
        ),
    ):
        karpenter.add_node_pool(NodePoolSpec(name="spot"))
    with pytest.raises(
        ValueError,
        match=re.escape("Platform/Karpenter: add_node_pool(NodePoolSpec 'gpu').node_class: 'gpu'"),
    ):
        karpenter.add_node_pool(NodePoolSpec(name="gpu", node_class="gpu"))
    with pytest.raises(
        ValueError,
        match=re.escape("Platform/Karpenter: add_node_class(NodeClassSpec 'default').name"),
    ):
        karpenter.add_node_class(NodeClassSpec())


def test_min_vcpus_becomes_an_instance_cpu_requirement() -> None:
    """`min_vcpus=8` keeps the pool to 8 vCPUs and up: `instance-cpu Gt 7`."""
    from eks_blueprint.compute.karpenter.manifests import node_pool_manifest

    spec = NodePoolSpec(name="big", requirements=NodePoolRequirements(min_vcpus=8))
    requirements = node_pool_manifest(spec, prefix_delegation=True)["spec"]["template"]["spec"]["requirements"]
    assert {"key": "karpenter.k8s.aws/instance-cpu", "operator": "Gt", "values": ["7"]} in requirements
    default = node_pool_manifest(NodePoolSpec(name="any"), prefix_delegation=True)
    assert all(r["key"] != "karpenter.k8s.aws/instance-cpu" for r in default["spec"]["template"]["spec"]["requirements"])
