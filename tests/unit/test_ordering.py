"""Ordering between add-ons and compute, read from the synthesised DependsOn graph.

Nodes become Ready only with vpc-cni and kube-proxy (and Pod Identity for roles); add-ons
and charts that run pods must never install before the nodes or Fargate profiles they
need, or CloudFormation waits on pods that cannot be scheduled.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ENVIRONMENTS, SynthResult, resources_of

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


INSTALLED = {
    "AWS::EKS::Addon",
    "Custom::AWSCDK-EKS-HelmChart",
    "Custom::AWSCDK-EKS-KubernetesResource",
}


def by_prefix(template: dict[str, Any], prefix: str) -> tuple[str, dict[str, Any]]:
    """The one add-on, chart or manifest whose logical id starts with `prefix`."""
    (found,) = [
        (k, v)
        for k, v in template["Resources"].items()
        if k.startswith(prefix) and v["Type"] in INSTALLED
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
@pytest.mark.parametrize("prefix", [*POD_RUNNING_ADDONS, "AddonsLoadBalancerController"])
def test_pod_running_add_ons_and_charts_wait_for_every_host(
    synth: SynthResult, env: str, prefix: str
) -> None:
    template = synth.template(env, "cluster")
    _, addon = by_prefix(template, prefix)
    assert set(hosts(template)) <= set(depends_on(addon)), prefix


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
    chart_id, _ = by_prefix(template, "AddonsLoadBalancerController")
    _, demo = by_prefix(template, "DemoWorkload")
    assert chart_id in depends_on(demo)
