"""The Vertical Pod Autoscaler add-on: its catalog entry and pin, the config section and its
refusals, the chart values of each mode, the chart through `Addons` (ordering, namespace),
the props refusals, and the shipped environments that turn it on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Template

from eks_blueprint.addons.addons import Addons, AddonsProps
from eks_blueprint.addons.catalog import addon
from eks_blueprint.addons.versions import CHARTS
from eks_blueprint.addons.vpa import VPA_MODES, check_vpa_mode, vpa_values
from eks_blueprint.config import load_config
from eks_blueprint.config.addons import AddonsConfig, VerticalPodAutoscalerConfig
from eks_blueprint.wiring import register_capacity
from tests.conftest import resources_of
from tests.constructs.clusters import ENV, KUBECTL_TOKEN, refused
from tests.unit.test_config import mutate, problems, write

ROOT = Path(__file__).resolve().parents[2]
CHART = "Custom::AWSCDK-EKS-HelmChart"


def with_vpa(**section: Any) -> dict[str, Any]:
    """dev.yaml with `addons.vertical_pod_autoscaler` set to `section` and a third system
    node: dev's two t4g.medium nodes cannot hold the recommender with one node away (the
    capacity rule; test_capacity.py), which is why dev.yaml leaves VPA off."""
    data = mutate(addons__vertical_pod_autoscaler=section)
    data["compute"]["node_groups"][0]["size"] = {"min": 3, "desired": 3, "max": 3}
    return data


# -- catalog, pin, config -----------------------------------------------------------------------


def test_catalog_entry_is_an_off_by_default_chart_without_a_role() -> None:
    spec = addon("vertical_pod_autoscaler")
    assert (spec.name, spec.kind, spec.default, spec.needs_kubectl, spec.role) == (
        "vpa",
        "chart",
        False,
        True,
        "none",
    )
    assert not spec.before_compute
    assert CHARTS["vpa"] == ("https://charts.fairwinds.com/stable", "5.0.0")


def test_config_defaults_to_off_and_recommendation_mode() -> None:
    section = AddonsConfig().vertical_pod_autoscaler
    assert (section.enabled, section.mode) == (False, "recommend")
    assert VerticalPodAutoscalerConfig(enabled=True).mode == "recommend"
    assert VPA_MODES == ("recommend", "auto")


def test_a_file_turns_it_on_in_auto_mode(tmp_path: Path) -> None:
    data = with_vpa(enabled=True, mode="auto")
    section = load_config(write(tmp_path, data)).addons.vertical_pod_autoscaler
    assert (section.enabled, section.mode) == (True, "auto")


@pytest.mark.parametrize(
    ("section", "extra", "fragments"),
    [
        (
            {"mode": "auto"},
            {},
            ["addons.vertical_pod_autoscaler.mode", "VPA is off (enabled: false)"],
        ),
        (
            {"enabled": True, "mode": "Off"},
            {},
            ["addons.vertical_pod_autoscaler.mode", "'recommend'"],
        ),
        (
            {"enabled": True},
            {"metrics_server": {"enabled": False}},
            ["addons.vertical_pod_autoscaler.enabled", "metrics_server is off"],
        ),
        ({"enabled": True, "replicas": 2}, {}, ["addons.vertical_pod_autoscaler.replicas"]),
    ],
)
def test_config_refusals_name_the_field_and_the_fix(
    tmp_path: Path, section: dict[str, Any], extra: dict[str, Any], fragments: list[str]
) -> None:
    data = mutate(addons__vertical_pod_autoscaler=section)
    data["addons"].update(extra)
    text = "\n".join(problems(tmp_path, data))
    for fragment in fragments:
        assert fragment in text, text


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_shipped_environments_run_it_in_recommendation_mode(env: str) -> None:
    config = load_config(ROOT / "config" / f"{env}.yaml")
    section = config.addons.vertical_pod_autoscaler
    assert section.enabled and section.mode == "recommend"


def test_dev_leaves_it_off_because_its_system_group_cannot_hold_it(tmp_path: Path) -> None:
    """dev's 2 x t4g.medium system group holds dev with one node away, not the recommender
    as well: the capacity rule refuses dev with VPA on and names a third node as the fix."""
    dev = load_config(ROOT / "config" / "dev.yaml")
    assert not dev.addons.vertical_pod_autoscaler.enabled
    assert dev.compute.node_groups[0].size.min == 2
    (problem,) = problems(tmp_path, mutate(addons__vertical_pod_autoscaler={"enabled": True}))
    assert "compute.node_groups[0].instance_types: node group system with size.min 2" in problem
    assert "vpa-recommender 1 x 50m CPU / 500Mi" in problem and "(short 119Mi memory)" in problem
    assert "size.min (and desired) of 3, so 2 nodes remain" in problem
    # ... and with that third node, dev runs it
    config = load_config(write(tmp_path, with_vpa(enabled=True)))
    assert config.addons.vertical_pod_autoscaler.enabled


# -- chart values -------------------------------------------------------------------------------


def test_recommend_installs_only_the_recommender() -> None:
    values = vpa_values("recommend")
    assert values["recommender"]["enabled"] is True
    assert values["updater"]["enabled"] is False
    assert values["admissionController"]["enabled"] is False
    assert values["admissionController"]["generateCertificate"] is False
    assert values["metrics-server"] == {"enabled": False}


def test_auto_installs_the_updater_and_a_fail_open_webhook() -> None:
    values = vpa_values("auto")
    assert values["updater"]["enabled"] and values["admissionController"]["enabled"]
    assert values["admissionController"]["generateCertificate"] is True
    webhook = values["admissionController"]["mutatingWebhookConfiguration"]
    assert webhook["failurePolicy"] == "Ignore"


def test_every_component_runs_restricted() -> None:
    values = vpa_values("auto")
    for name in ("recommender", "updater", "admissionController"):
        assert values[name]["podSecurityContext"]["runAsNonRoot"] is True
        assert values[name]["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        assert values[name]["securityContext"]["allowPrivilegeEscalation"] is False


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="use recommend or auto"):
        check_vpa_mode("Recreate")


# -- through Addons -----------------------------------------------------------------------------


def build(**overrides: Any) -> tuple[cdk.Stack, Addons]:
    """An imported cluster with a kubectl provider (no Lambda), its node-readiness add-ons,
    metrics-server and VPA, plus `overrides`."""
    stack = cdk.Stack(cdk.App(), "Platform", env=ENV)
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-0123456789abcdef0", availability_zones=["eu-west-1a"]
    )
    provider = eks.KubectlProvider.from_kubectl_provider_attributes(
        stack, "Kubectl", service_token=KUBECTL_TOKEN
    )
    cluster = eks.Cluster.from_cluster_attributes(
        stack, "Cluster", cluster_name="platform", vpc=vpc, kubectl_provider=provider
    )
    settings: dict[str, Any] = {
        "metrics_server": True,
        "vertical_pod_autoscaler": True,
        **overrides,
    }
    props = AddonsProps.node_readiness(
        cluster=cluster, kubernetes_version="1.34", vpc=vpc, **settings
    )
    return stack, Addons(stack, "Addons", props=props)


def test_chart_is_pinned_in_kube_system_after_compute() -> None:
    stack, addons = build()
    capacity = ec2.CfnEIP(stack, "Capacity")
    register_capacity(addons.cluster, capacity)
    template = dict(Template.from_stack(stack).to_json())
    ((chart_id, chart),) = resources_of(template, CHART).items()
    props = chart["Properties"]
    assert (props["Chart"], props["Repository"], props["Version"]) == (
        "vpa",
        "https://charts.fairwinds.com/stable",
        "5.0.0",
    )
    assert props["Namespace"] == "kube-system" and props["Release"] == "vpa"
    assert json.loads(props["Values"])["updater"]["enabled"] is False
    assert "Capacity" in chart["DependsOn"], "VPA pods wait for capacity"
    assert chart_id.startswith("AddonsVerticalPodAutoscaler")


def test_auto_mode_reaches_the_chart() -> None:
    stack, _ = build(vertical_pod_autoscaler_mode="auto")
    template = dict(Template.from_stack(stack).to_json())
    (chart,) = resources_of(template, CHART).values()
    assert json.loads(chart["Properties"]["Values"])["admissionController"]["enabled"] is True


def test_off_by_default_in_props() -> None:
    stack, _ = build(vertical_pod_autoscaler=False)
    assert not resources_of(dict(Template.from_stack(stack).to_json()), CHART)


@pytest.mark.parametrize(
    ("overrides", "prop", "problem"),
    [
        (
            {"vertical_pod_autoscaler_mode": "Initial"},
            "vertical_pod_autoscaler_mode",
            "recommend or auto",
        ),
        ({"metrics_server": False}, "vertical_pod_autoscaler", "metrics_server=True"),
    ],
)
def test_bad_props_are_refused(overrides: dict[str, Any], prop: str, problem: str) -> None:
    message = refused("Platform/Addons", f"AddonsProps.{prop}", build, **overrides)
    assert problem in message


def test_the_app_translates_the_section(tmp_path: Path) -> None:
    from stacks.translate.addons import addons_props

    config = load_config(write(tmp_path, with_vpa(enabled=True, mode="auto")))
    stack = cdk.Stack(cdk.App(), "Platform", env=ENV)
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-0123456789abcdef0", availability_zones=["eu-west-1a"]
    )
    cluster = eks.Cluster.from_cluster_attributes(stack, "Cluster", cluster_name="platform")
    props = addons_props(config, cluster, vpc)
    assert (props.vertical_pod_autoscaler, props.vertical_pod_autoscaler_mode) == (True, "auto")


def test_a_dumped_addons_section_loads_again_with_vpa_off() -> None:
    """model_dump writes every default (mode: recommend) next to enabled: false; a dumped
    add-ons section must load again (the headroom test rebuilds environments from dumps), so
    only mode auto is refused while VPA is off."""
    from stacks.app_builder import CONFIG_DIR

    dev = load_config(CONFIG_DIR / "dev.yaml")
    assert not dev.addons.vertical_pod_autoscaler.enabled
    again = AddonsConfig.model_validate(dev.addons.model_dump())
    assert again.vertical_pod_autoscaler == dev.addons.vertical_pod_autoscaler
    assert VerticalPodAutoscalerConfig(enabled=False, mode="recommend").mode == "recommend"
