"""Ordering between add-ons and compute, read from the synthesised DependsOn graph.

Nodes become Ready only with vpc-cni and kube-proxy (and Pod Identity for roles); add-ons
and charts that run pods must never install before the nodes or Fargate profiles they
need, or CloudFormation waits on pods that cannot be scheduled.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ENVIRONMENTS, SynthResult, resources_of
from tests.unit import layers

NODE_PREREQUISITES = ("AddonsVpcCni", "AddonsKubeProxy", "ControlPlanePodIdentityAgent")
POD_RUNNING_ADDONS = ("AddonsCoreDns", "AddonsEbsCsiDriver", "AddonsMetricsServer")


def depends_on(resource: dict[str, Any]) -> list[str]:
    value = resource.get("DependsOn", [])
    return [value] if isinstance(value, str) else list(value)


def hosts(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Where pods can run: managed node groups and Fargate profiles."""
    return {
        **resources_of(template, "AWS::EKS::Nodegroup"),
        **resources_of(template, "AWS::EKS::FargateProfile"),
    }


#: Add-ons are CloudFormation resources; charts and manifests are items of a layer.
def by_prefix(template: dict[str, Any], prefix: str) -> tuple[str, dict[str, Any]]:
    """The one add-on whose logical id starts with `prefix`."""
    (found,) = [
        (k, v)
        for k, v in template["Resources"].items()
        if k.startswith(prefix) and v["Type"] == "AWS::EKS::Addon"
    ]
    return found


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_nodes_wait_for_networking_add_ons(synth: SynthResult, env: str) -> None:
    template = synth.template(env, "cluster")
    assert hosts(template), f"{env} has nowhere to run pods"
    for logical_id, host in hosts(template).items():
        for prefix in NODE_PREREQUISITES:
            assert any(d.startswith(prefix) for d in depends_on(host)), (logical_id, prefix)


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("prefix", POD_RUNNING_ADDONS)
def test_pod_running_add_ons_wait_for_every_host(
    synth: SynthResult, env: str, prefix: str
) -> None:
    template = synth.template(env, "cluster")
    _, addon = by_prefix(template, prefix)
    assert set(hosts(template)) <= set(depends_on(addon)), prefix


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_charts_wait_for_every_host(synth: SynthResult, env: str) -> None:
    # The Load Balancer Controller's chart (and every other chart and object of the
    # platform and workloads layers) runs pods: their layers wait for every node group and
    # Fargate profile.
    template = synth.template(env, "cluster")
    platform = layers.item(template, "Addons/LoadBalancerController")
    assert platform.layer == "platform"
    assert set(hosts(template)) <= set(layers.layer_depends_on(template, platform.id))
    found = layers.layer_resources(template)
    for layer in ("platform", "workloads"):
        if layer in found:
            assert set(hosts(template)) <= set(depends_on(template["Resources"][found[layer]]))


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_pod_running_add_ons_wait_for_karpenter_capacity(synth: SynthResult, env: str) -> None:
    # Karpenter is capacity like the node groups: every add-on that runs pods (all but the
    # node prerequisites) waits for its charts, NodeClasses and NodePools (staging has no
    # node group: metrics-server, the CSI drivers and CloudWatch run only on Karpenter's
    # nodes). Before the layers each add-on's DependsOn named those resources; now they are
    # items of the capacity layer, and each add-on depends on that layer.
    template = synth.template(env, "cluster")
    karpenter = layers.items_under(template, "Karpenter")
    assert any(k.startswith("Karpenter/NodePool") for k in karpenter)
    assert {"Karpenter/CrdChart", "Karpenter/Chart"} <= set(karpenter)
    addons = {
        k for k in resources_of(template, "AWS::EKS::Addon")
        if not k.startswith(NODE_PREREQUISITES)
    }
    assert {a for a in addons if a.startswith(POD_RUNNING_ADDONS)}, addons
    holders = {item.logical_id for item in karpenter.values()}
    assert holders == {layers.layer_resources(template)["capacity"]}
    late = sorted(k for k in addons if not all(layers.waits_for(template, k, h) for h in holders))
    assert not late, f"created before Karpenter's items are applied: {late}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_networking_add_ons_do_not_wait_for_nodes(synth: SynthResult, env: str) -> None:
    # The reverse edge would be a cycle in intent: nodes cannot become Ready without them.
    template = synth.template(env, "cluster")
    for prefix in NODE_PREREQUISITES:
        _, addon = by_prefix(template, prefix)
        assert not set(hosts(template)) & set(depends_on(addon)), prefix


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_demo_waits_for_the_load_balancer_controller(synth: SynthResult, env: str) -> None:
    template = synth.template(env, "cluster")
    demo = layers.item(template, "DemoWorkload/Manifest")
    controller = layers.item(template, "Addons/LoadBalancerController")
    assert (controller.layer, demo.layer) == ("platform", "workloads")
    assert controller.logical_id in layers.layer_depends_on(template, demo.id)
    assert layers.follows(template, demo.id, controller.id)


# -- the layers ------------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_layers_chain_workloads_platform_capacity_foundation(
    synth: SynthResult, env: str
) -> None:
    template = synth.template(env, "cluster")
    found = layers.layer_resources(template)
    assert set(found) == set(layers.LAYERS), found
    resources = template["Resources"]

    def layers_before(layer: str) -> set[str]:
        return set(depends_on(resources[found[layer]])) & set(found.values())

    # Each layer names the one before it, and no other layer, in its DependsOn.
    assert layers_before("foundation") == set()
    assert layers_before("capacity") == {found["foundation"]}
    assert layers_before("platform") == {found["capacity"]}
    assert layers_before("workloads") == {found["platform"]}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_layer_waits_for_the_handlers_cluster_access(synth: SynthResult, env: str) -> None:
    template = synth.template(env, "cluster")
    entries = {
        k
        for k, r in template["Resources"].items()
        if r["Type"] == "AWS::EKS::AccessEntry" and k.startswith("ControlPlaneKubernetesProvider")
    }
    assert len(entries) == 1
    for logical_id in layers.layer_resources(template).values():
        assert entries <= set(depends_on(template["Resources"][logical_id])), logical_id


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_karpenter_items_in_order(synth: SynthResult, env: str) -> None:
    # CRDs, then the controller, then its NodeClasses, then the NodePools that use them: all
    # in the capacity layer, which holds nothing else.
    template = synth.template(env, "cluster")
    karpenter = layers.items_under(template, "Karpenter")
    assert {i.layer for i in karpenter.values()} == {"capacity"}
    capacity = {k for k, i in layers.items(template).items() if i.layer == "capacity"}
    assert capacity == set(karpenter)
    assert karpenter["Karpenter/Chart"].after == ["Karpenter/CrdChart"]
    classes = [k for k in karpenter if k.startswith("Karpenter/NodeClass")]
    pools = [k for k in karpenter if k.startswith("Karpenter/NodePool")]
    assert classes and pools
    for node_class in classes:
        assert "Karpenter/Chart" in karpenter[node_class].after
    for pool in pools:
        assert {"Karpenter/Chart", *classes} <= set(karpenter[pool].after), pool


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_load_balancer_controller_after_karpenter(synth: SynthResult, env: str) -> None:
    # Its pods need Karpenter's capacity where the node groups are small or absent. Before
    # the layers its DependsOn named every Karpenter resource; now its platform layer waits
    # for the capacity layer that holds them.
    template = synth.template(env, "cluster")
    controller = layers.item(template, "Addons/LoadBalancerController")
    karpenter = layers.items_under(template, "Karpenter")
    assert karpenter and controller.layer == "platform"
    assert {i.layer for i in karpenter.values()} == {"capacity"}
    for item in karpenter:
        assert layers.follows(template, controller.id, item), item
    assert layers.layer_resources(template)["capacity"] in layers.layer_depends_on(
        template, controller.id
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_governed_workloads_after_governance(synth: SynthResult, env: str) -> None:
    template = synth.template(env, "cluster")
    governance = layers.items_under(template, "Governance")
    assert governance and {i.layer for i in governance.values()} == {"workloads"}
    assert governance["Governance/Policies"].after == ["Governance/Kyverno"]
    if "DemoWorkload/Manifest" in layers.items(template):
        demo = layers.item(template, "DemoWorkload/Manifest")
        assert set(governance) <= set(demo.after)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_tenants_after_their_priority_classes_and_bindings_after_the_tenants(
    synth: SynthResult, env: str
) -> None:
    template = synth.template(env, "cluster")
    tenants = layers.items_under(template, "Tenants")
    assert {i.layer for i in tenants.values()} == {"foundation"}
    namespaces = [k for k in tenants if k != "Tenants/PriorityClasses"]
    assert namespaces
    for tenant in namespaces:
        assert tenants[tenant].after == ["Tenants/PriorityClasses"], tenant
    bindings = layers.item(template, "Access/GroupBindings")
    assert bindings.layer == "foundation"
    assert set(tenants) <= set(bindings.after)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_capacity_waits_for_the_capacity_platform_or_workloads_layers(
    synth: SynthResult, env: str
) -> None:
    # Those layers wait for the node groups, Fargate profiles and Karpenter's AWS resources
    # (the capacity layer for what Karpenter runs on): the reverse would be a cycle.
    template = synth.template(env, "cluster")
    found = layers.layer_resources(template)
    later = {found["capacity"], found["platform"], found["workloads"]}
    assert not any(
        layers.waits_for(template, found["capacity"], x)
        for x in (found["platform"], found["workloads"])
    )
    capacity = {
        **hosts(template),
        **resources_of(template, "AWS::AutoScaling::AutoScalingGroup"),
    }
    karpenter = {
        k: r for k, r in template["Resources"].items() if k.startswith("Karpenter")
    }
    for logical_id, resource in {**capacity, **karpenter}.items():
        assert not later & set(depends_on(resource)), logical_id
        assert not any(layers.waits_for(template, logical_id, x) for x in later), logical_id


def test_capacity_waits_for_the_eni_configs_with_custom_networking(synth: SynthResult) -> None:
    # staging: custom networking; its nodes (Fargate excepted) wait for the foundation layer,
    # which holds the ENIConfigs and waits for the vpc-cni add-on.
    template = synth.template("staging", "cluster")
    foundation = layers.layer_resources(template)["foundation"]
    assert layers.item(template, "CustomNetworking/EniConfigs").logical_id == foundation
    cni, _ = by_prefix(template, "AddonsVpcCni")
    assert cni in depends_on(template["Resources"][foundation])
    waiting = {
        **resources_of(template, "AWS::EKS::Nodegroup"),
        **{
            k: r
            for k, r in template["Resources"].items()
            if k.startswith("Karpenter")
            and r["Type"] in {"AWS::IAM::Role", "AWS::EKS::AccessEntry"}
        },
    }
    assert any(k.startswith("Karpenter") for k in waiting)
    for logical_id, resource in waiting.items():
        assert foundation in depends_on(resource), logical_id
