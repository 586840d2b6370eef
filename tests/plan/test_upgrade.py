"""`plan upgrade`: the steps of a Kubernetes minor upgrade and the checks that block it.

Every test starts from the session's synthesised environments (`plan_inputs`) and varies
the config (model_validate of a changed dump) or a deep copy of the templates, so the
module synthesises nothing itself.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.addons.versions import ADDON_VERSIONS
from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.plan import PlanInputError, PlanInputs, PlanReport
from eks_blueprint.plan.cli import EXIT_BAD_INPUT, EXIT_BLOCKED, EXIT_CLEAR, main
from eks_blueprint.plan.upgrade import checks, plan_upgrade
from eks_blueprint.plan.upgrade.tables import (
    ami_recommended,
    ami_release_exists,
    chart_row,
    karpenter_minimum,
    karpenter_row,
    kubelet_skew_allowed,
)
from stacks.app_builder import CONFIG_DIR

from .layers import chart_items, manifest_items

#: The tables were taken on this day; 1.34 leaves standard support on 2026-12-02.
TODAY = date(2026, 11, 30)

Inputs = Callable[[str], PlanInputs]


# -- helpers ------------------------------------------------------------------------------


def plan(inputs: PlanInputs, to: str = "1.35", **kwargs: Any) -> PlanReport:
    return plan_upgrade(inputs, to, today=kwargs.pop("today", TODAY), **kwargs)


def checks_of(report: PlanReport, severity: str | None = None) -> list[str]:
    return [f.check for f in report.findings if severity is None or f.severity == severity]


def messages(report: PlanReport, check: str) -> str:
    return "\n".join(f"{f.message} {f.fix or ''}" for f in report.findings if f.check == check)


def with_config(inputs: PlanInputs, change: Callable[[dict[str, Any]], None]) -> PlanInputs:
    """`inputs` with a validated, changed copy of its config: what its file set (the rules
    on settings that need another, e.g. prometheus' on `enabled`, see what was stated),
    changed."""
    data = inputs.config.model_dump(exclude_unset=True)
    change(data)
    return dataclasses.replace(inputs, config=EnvironmentConfig.model_validate(data))


def copied(inputs: PlanInputs) -> PlanInputs:
    """`inputs` with deep copies of every template, free to edit."""
    stacks = tuple(
        dataclasses.replace(s, template=copy.deepcopy(s.template)) for s in inputs.stacks
    )
    return dataclasses.replace(inputs, stacks=stacks)


def resources(inputs: PlanInputs, type_: str) -> Iterator[dict[str, Any]]:
    for _, _, resource in inputs.resources(type_):
        yield resource


def add_objects(inputs: PlanInputs, *objects: dict[str, Any]) -> PlanInputs:
    """A copy of `inputs` whose first plain-string manifest (a layer's manifest item)
    carries `objects` too."""
    edited = copied(inputs)
    for item in manifest_items(edited):
        manifest = item["Manifest"]
        if isinstance(manifest, str):
            item["Manifest"] = json.dumps([*json.loads(manifest), *objects])
            return edited
    raise AssertionError("no plain-string manifest to extend")


def replace_in_joins(value: Any, old: str, new: str) -> Any:
    """Replace text inside a (possibly Fn::Join) CloudFormation string."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [replace_in_joins(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: replace_in_joins(v, old, new) for k, v in value.items()}
    return value


def as_target(
    inputs: PlanInputs, *, to: str = "1.35", karpenter: str = "1.9.0", alias: str | None = None
) -> PlanInputs:
    """The environment after a change to `to` (what HEAD would synthesise): config and the
    templates' cluster version, add-on versions, Karpenter charts and node class alias."""
    old_alias = inputs.config.compute.karpenter.node_classes[0].ami_alias  # type: ignore[union-attr]

    def change(data: dict[str, Any]) -> None:
        data["cluster"]["version"] = to
        data["compute"]["karpenter"]["version"] = karpenter
        if alias:
            data["compute"]["karpenter"]["node_classes"][0]["ami_alias"] = alias

    target = copied(with_config(inputs, change))
    for resource in resources(target, "AWS::EKS::Cluster"):
        resource["Properties"]["Version"] = to
    for resource in resources(target, "AWS::EKS::Nodegroup"):
        resource["Properties"]["Version"] = to  # node groups follow cluster.version
    for resource in resources(target, "AWS::EKS::Addon"):
        props = resource["Properties"]
        props["AddonVersion"] = ADDON_VERSIONS[to][props["AddonName"]][0]
    charts = [item for item in chart_items(target) if item["Chart"] in ("karpenter", "karpenter-crd")]
    assert len(charts) == 2, charts
    for item in charts:
        item["Version"] = karpenter
    if alias:
        items = [item for item in manifest_items(target) if old_alias in json.dumps(item["Manifest"])]
        assert items, f"no manifest names the alias {old_alias}"
        for item in items:
            item["Manifest"] = replace_in_joins(item["Manifest"], old_alias, alias)
    return target


# -- version path -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "words"),
    [
        ("1.36", "one minor version at a time"),
        ("1.34", "nothing to upgrade"),
        ("1.33", "cannot downgrade"),
    ],
)
def test_version_path_blocks(plan_inputs: Inputs, to: str, words: str) -> None:
    report = plan(plan_inputs("prod"), to)
    assert report.blocked
    assert "version-path" in checks_of(report, "block")
    assert words in messages(report, "version-path")
    assert report.data["steps"] == []  # the other checks need a valid path
    assert report.sections[0][0] == "Version path"


def test_unsupported_target_is_blocked(plan_inputs: Inputs) -> None:
    report = plan(plan_inputs("prod"), "1.99")
    assert "version-supported" in checks_of(report, "block")
    assert "SUPPORTED_KUBERNETES_VERSIONS" in messages(report, "version-supported")


def test_a_target_that_is_not_a_minor_version_is_bad_input(plan_inputs: Inputs) -> None:
    with pytest.raises(PlanInputError, match=r"write it like 1\.35"):
        plan(plan_inputs("prod"), "1.35.2")


# -- compatibility --------------------------------------------------------------------------


def test_explicit_addon_version_not_listed_for_the_target_blocks(plan_inputs: Inputs) -> None:
    def pin_kube_proxy(data: dict[str, Any]) -> None:
        data["addons"].setdefault("kube_proxy", {})["version"] = ADDON_VERSIONS["1.34"]["kube-proxy"][0]

    report = plan(with_config(plan_inputs("prod"), pin_kube_proxy))
    assert "addon-pins" in checks_of(report, "block")
    text = messages(report, "addon-pins")
    assert "addons.kube_proxy.version" in text and "v1.35.0-eksbuild.2" in text
    pins = {p["path"]: p for p in report.data["pins"]}
    assert pins["addons.kube_proxy.version"]["target"] == ADDON_VERSIONS["1.35"]["kube-proxy"][0]


def test_missing_addon_pin_for_the_target_blocks(
    plan_inputs: Inputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a copy without coredns, so the shared table keeps its order for other tests
    without = {k: v for k, v in ADDON_VERSIONS["1.35"].items() if k != "coredns"}
    monkeypatch.setitem(ADDON_VERSIONS, "1.35", without)
    report = plan(plan_inputs("prod"))
    assert "addon-pins" in checks_of(report, "block")
    assert "coredns" in messages(report, "addon-pins")
    assert "describe-addon-versions --kubernetes-version 1.35" in messages(report, "addon-pins")


def test_addon_rows_carry_current_and_target_versions(plan_inputs: Inputs) -> None:
    report = plan(plan_inputs("prod"))
    rows = {r["name"]: r for r in report.data["addons"]}
    deployed = {
        r["Properties"]["AddonName"] for r in resources(plan_inputs("prod"), "AWS::EKS::Addon")
    }
    assert set(rows) == deployed
    assert rows["kube-proxy"]["current_version"] == ADDON_VERSIONS["1.34"]["kube-proxy"][0]
    assert rows["kube-proxy"]["target_version"] == ADDON_VERSIONS["1.35"]["kube-proxy"][0]
    assert all(r["listed_for_target"] for r in rows.values())


def test_karpenter_too_old_for_the_target_blocks(plan_inputs: Inputs) -> None:
    def old(data: dict[str, Any]) -> None:
        data["compute"]["karpenter"]["version"] = "1.5.0"

    report = plan(with_config(plan_inputs("prod"), old))
    assert "karpenter-compat" in checks_of(report, "block")
    text = messages(report, "karpenter-compat")
    assert "Karpenter 1.5.0" in text and "1.26-1.33" in text and '"1.9.0"' in text
    assert report.data["karpenter"]["supports_target"] is False


def test_karpenter_that_supports_the_target_passes(plan_inputs: Inputs) -> None:
    def new(data: dict[str, Any]) -> None:
        data["compute"]["karpenter"]["version"] = "1.9.0"

    report = plan(with_config(plan_inputs("prod"), new))
    assert "karpenter-compat" not in checks_of(report)
    assert report.data["karpenter"]["supports_target"] is True


def test_karpenter_newer_than_the_table_is_unconfirmed(plan_inputs: Inputs) -> None:
    def newer(data: dict[str, Any]) -> None:
        data["compute"]["karpenter"]["version"] = "1.99.0"

    report = plan(with_config(plan_inputs("prod"), newer))
    assert checks_of(report, "warn").count("karpenter-compat") == 1
    assert "karpenter-compat" not in checks_of(report, "block")


def test_missing_kubectl_layer_blocks(plan_inputs: Inputs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "module_importable", lambda name: False)
    report = plan(plan_inputs("prod"))
    assert "kubectl-layer" in checks_of(report, "block")
    assert 'pip install "eks-blueprint[kubectl-v35]"' in messages(report, "kubectl-layer")


def test_module_importable_finds_layers_without_importing_their_parent() -> None:
    assert checks.module_importable("aws_cdk.lambda_layer_kubectl_v35")
    assert not checks.module_importable("aws_cdk.lambda_layer_kubectl_v99")
    assert not checks.module_importable("no_such_package.sub")


def test_charts_outside_their_supported_range_block(plan_inputs: Inputs) -> None:
    edited = copied(plan_inputs("prod"))
    for item in chart_items(edited):
        if item["Chart"] == "aws-load-balancer-controller":
            item["Chart"] = "cert-manager"
            item["Version"] = "v1.18.2"  # supports 1.29-1.33
    report = plan(edited)
    assert "chart-compat" in checks_of(report, "block")
    assert "cert-manager v1.18.2 supports Kubernetes 1.29-1.33" in messages(report, "chart-compat")


def test_chart_not_in_the_table_is_unconfirmed(plan_inputs: Inputs) -> None:
    edited = copied(plan_inputs("prod"))
    for item in chart_items(edited):
        if item["Chart"] == "aws-load-balancer-controller":
            item["Version"] = "9.9.9"
    report = plan(edited)
    assert "chart-compat" in checks_of(report, "warn")
    charts = {c["chart"]: c for c in report.data["charts"]}
    assert charts["aws-load-balancer-controller"]["status"] == "unconfirmed"


# -- data plane ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "words"),
    [("1.31", "4 minors behind the control plane 1.35"), ("1.36", "newer than the control plane")],
)
def test_node_group_version_skew_blocks(plan_inputs: Inputs, version: str, words: str) -> None:
    edited = copied(plan_inputs("prod"))
    for resource in resources(edited, "AWS::EKS::Nodegroup"):
        resource["Properties"]["Version"] = version
    report = plan(edited)
    assert "kubelet-skew" in checks_of(report, "block")
    assert words in messages(report, "kubelet-skew")


def test_node_group_three_minors_behind_is_allowed_and_listed_as_a_pin(plan_inputs: Inputs) -> None:
    edited = copied(plan_inputs("prod"))
    for resource in resources(edited, "AWS::EKS::Nodegroup"):
        resource["Properties"]["Version"] = "1.32"
    report = plan(edited)
    assert "kubelet-skew" not in checks_of(report)
    assert any(
        p["path"].endswith(".Version") and p["current"] == "1.32" and p["target"] == "1.35"
        for p in report.data["pins"]
    )


def test_cli_mode_lists_the_ami_pins_to_set(plan_inputs: Inputs) -> None:
    report = plan(plan_inputs("prod"))
    pins = {p["path"]: p for p in report.data["pins"]}
    alias = pins["compute.karpenter.node_classes[0].ami_alias"]
    assert alias["current"] == "al2023@v20251112"
    assert alias["target"] == "al2023@v20260714"
    assert alias["exists_for_target"] is False
    assert "ami-pins" in checks_of(report, "warn")
    assert "ami-pins" not in checks_of(report, "block")
    markdown = report.to_markdown()
    assert "`compute.karpenter.node_classes[0].ami_alias`" in markdown
    assert "al2023@v20260714" in markdown


def test_cli_mode_bottlerocket_alias_pin(plan_inputs: Inputs) -> None:
    report = plan(plan_inputs("staging"))
    pins = {p["path"]: p for p in report.data["pins"]}
    alias = pins["compute.karpenter.node_classes[0].ami_alias"]
    assert (alias["current"], alias["target"]) == ("bottlerocket@v1.50.0", "bottlerocket@v1.61.0")


def test_target_mode_old_ami_pin_blocks(plan_inputs: Inputs) -> None:
    current = plan_inputs("prod")
    report = plan(current, target=as_target(current))
    assert report.data["mode"] == "target"
    assert "ami-pins" in checks_of(report, "block")
    assert "al2023@v20251112" in messages(report, "ami-pins")
    assert "set compute.karpenter.node_classes[0].ami_alias to al2023@v20260714" in messages(
        report, "ami-pins"
    )


def test_target_mode_with_the_new_pins_is_clear(plan_inputs: Inputs) -> None:
    current = plan_inputs("prod")
    report = plan(current, target=as_target(current, alias="al2023@v20260714"))
    assert "ami-pins" not in checks_of(report)
    assert not report.blocked, [f for f in report.findings if f.severity == "block"]
    pins = {p["path"]: p for p in report.data["pins"]}
    assert pins["compute.karpenter.node_classes[0].ami_alias"]["exists_for_target"] is True
    assert all(row["listed_for_target"] for row in report.data["addons"])


def test_target_mode_refuses_other_node_group_changes_with_the_version(
    plan_inputs: Inputs,
) -> None:
    """CloudFormation refuses a node group Version update combined with other updates, and
    the rollback cannot lower the control plane: the plan blocks before the deploy."""
    current = plan_inputs("prod")
    target = as_target(current, alias="al2023@v20260714")
    for resource in resources(target, "AWS::EKS::Nodegroup"):
        resource["Properties"]["ScalingConfig"]["MaxSize"] += 1
        resource["Properties"]["LaunchTemplate"]["Version"] = "new"  # rides along: allowed
    report = plan(current, target=target)
    assert checks_of(report, "block") == ["nodegroup-combined-update"]
    assert "also ScalingConfig in the same deploy" in messages(report, "nodegroup-combined-update")
    # the version and a new launch template version alone are one allowed update
    alone = as_target(current, alias="al2023@v20260714")
    for resource in resources(alone, "AWS::EKS::Nodegroup"):
        resource["Properties"]["LaunchTemplate"]["Version"] = "new"
    assert "nodegroup-combined-update" not in checks_of(plan(current, target=alone))


def test_target_mode_checks_the_targets_addon_versions(plan_inputs: Inputs) -> None:
    current = plan_inputs("prod")
    target = as_target(current, alias="al2023@v20260714")
    for resource in resources(target, "AWS::EKS::Addon"):
        if resource["Properties"]["AddonName"] == "coredns":
            resource["Properties"]["AddonVersion"] = ADDON_VERSIONS["1.34"]["coredns"][0]
    report = plan(current, target=target)
    assert "addon-pins" in checks_of(report, "block")
    assert "coredns" in messages(report, "addon-pins")


def test_target_must_be_the_same_environment_at_the_target_version(plan_inputs: Inputs) -> None:
    with pytest.raises(PlanInputError, match="pass the same environment"):
        plan(plan_inputs("prod"), target=plan_inputs("prod"))


# -- removed APIs ---------------------------------------------------------------------------


def _pdb(api_version: str, name: str = "legacy", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": "payments"},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "api"}}, **spec},
    }


def _deployment(name: str = "api", **extra: Any) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "payments"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": name, "image": "public.ecr.aws/x/y:1"}]},
            },
            **extra,
        },
    }


@pytest.mark.parametrize(
    ("obj", "replacement"),
    [
        (_pdb("policy/v1beta1"), "policy/v1"),
        (
            {
                "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta2",
                "kind": "FlowSchema",
                "metadata": {"name": "legacy"},
                "spec": {"priorityLevelConfiguration": {"name": "x"}},
            },
            "flowcontrol.apiserver.k8s.io/v1",
        ),
    ],
)
def test_removed_api_in_a_manifest_blocks_naming_it(
    plan_inputs: Inputs, obj: dict[str, Any], replacement: str
) -> None:
    report = plan(add_objects(plan_inputs("prod"), obj))
    assert "removed-apis" in checks_of(report, "block")
    text = messages(report, "removed-apis")
    assert f"{obj['kind']} " in text and obj["apiVersion"] in text and replacement in text
    removed = report.data["removed_apis"]
    assert [(r["kind"], r["api_version"], r["name"]) for r in removed] == [
        (obj["kind"], obj["apiVersion"], "legacy")
    ]


def test_api_the_target_does_not_serve_is_found_by_its_schemas(plan_inputs: Inputs) -> None:
    # Not in the removed-API table: kubernetes-validate's 1.35 schemas have no v1alpha1.
    obj = {
        "apiVersion": "admissionregistration.k8s.io/v1alpha1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": "legacy"},
        "spec": {},
    }
    report = plan(add_objects(plan_inputs("prod"), obj))
    text = messages(report, "removed-apis")
    assert "does not serve admissionregistration.k8s.io/v1alpha1" in text
    assert "admissionregistration.k8s.io/v1" in text


def test_custom_resources_are_checked_via_chart_compatibility(plan_inputs: Inputs) -> None:
    report = plan(plan_inputs("prod"))
    custom = report.data["manifests"]["custom_resources"]
    assert any(label.startswith("NodePool ") for label in custom)
    assert any(label.startswith("EC2NodeClass ") for label in custom)
    assert "removed-apis" not in checks_of(report)
    assert "checked via chart compatibility" in report.to_markdown()


def test_schema_error_in_both_versions_warns_not_blocks(plan_inputs: Inputs) -> None:
    broken = _deployment(notAField=True)
    report = plan(add_objects(plan_inputs("prod"), broken, _pdb("policy/v1")))
    assert "manifest-schema" in checks_of(report, "warn")
    assert "manifest-schema" not in checks_of(report, "block")


def test_removed_api_in_chart_values_blocks(plan_inputs: Inputs) -> None:
    edited = copied(plan_inputs("prod"))
    for item in chart_items(edited):
        if item["Chart"] == "karpenter-crd":
            item["Values"] = json.dumps(
                {"extra": [{"apiVersion": "batch/v1beta1", "kind": "CronJob"}]}
            )
    report = plan(edited)
    assert "removed-apis" in checks_of(report, "block")
    assert "batch/v1beta1 CronJob" in messages(report, "removed-apis")
    assert "batch/v1" in messages(report, "removed-apis")


# -- warnings -----------------------------------------------------------------------------


def test_workload_without_pdb_warns_and_one_with_does_not(plan_inputs: Inputs) -> None:
    covered = plan(add_objects(plan_inputs("prod"), _deployment(), _pdb("policy/v1")))
    assert "pdb-coverage" not in checks_of(covered)
    assert [(item["pdbs"], item["blocks_drain"]) for item in covered.data["pdb"]] == [
        (["legacy"], [])
    ]
    assert covered.data["pdb"][0]["workload"].startswith("Deployment payments/api ")
    bare = plan(add_objects(plan_inputs("prod"), _deployment()))
    assert "pdb-coverage" in checks_of(bare, "warn")
    assert "Deployment payments/api" in messages(bare, "pdb-coverage")


def test_pdb_allowing_no_disruption_warns(plan_inputs: Inputs) -> None:
    stuck = _pdb("policy/v1", maxUnavailable=0)
    report = plan(add_objects(plan_inputs("prod"), _deployment(), stuck))
    assert "allows no voluntary disruption" in messages(report, "pdb-coverage")


def test_shipped_dev_demo_workload_has_its_pdb(plan_inputs: Inputs) -> None:
    report = plan(plan_inputs("dev"))
    assert [item["pdbs"] for item in report.data["pdb"]] == [["demo-nodejs-backend"]]
    assert "pdb-coverage" not in checks_of(report)


def test_support_window_dates_and_cost(plan_inputs: Inputs) -> None:
    report = plan(plan_inputs("prod"))
    support = report.data["support"]
    assert support["1.34"]["standard_end"] == "2026-12-02"
    assert support["1.34"]["extended_end"] == "2027-12-02"
    assert support["1.35"]["confirmed"] is False
    assert report.data["upgrade_policy"] == "STANDARD"
    assert report.data["cost"] == {
        "standard": 73.0,
        "extended": 438.0,
        "extra_in_extended": 365.0,
        "hours_per_month": 730,
    }
    text = messages(report, "support-window")
    assert "leaves EKS standard support on 2026-12-02 (in 2 days)" in text
    assert "upgrades the control plane" in text  # STANDARD: auto-upgrade, no extended cost
    early = plan(plan_inputs("prod"), today=date(2026, 1, 1))
    assert "leaves EKS standard support" not in messages(early, "support-window")


def test_extended_policy_warns_with_the_monthly_cost(plan_inputs: Inputs) -> None:
    edited = copied(plan_inputs("prod"))
    for resource in resources(edited, "AWS::EKS::Cluster"):
        resource["Properties"]["UpgradePolicy"] = {"SupportType": "EXTENDED"}
    report = plan(edited, today=date(2027, 1, 5))
    text = messages(report, "support-window")
    assert "left EKS standard support on 2026-12-02" in text
    assert "$438 instead of $73 a month (+$365)" in text


# -- report -------------------------------------------------------------------------------


def test_markdown_has_the_four_steps_in_order_and_json_the_documented_keys(
    plan_inputs: Inputs,
) -> None:
    report = plan(plan_inputs("prod"))
    headings = [h for h, _ in report.sections]
    assert headings[:4] == [
        "Step 1: Check EKS upgrade insights and deprecated API usage",
        "Step 2: Upgrade the control plane",
        "Step 3: Upgrade the add-ons",
        "Step 4: Upgrade the data plane",
    ]
    markdown = report.to_markdown()
    positions = [markdown.index(f"### Step {n}:") for n in (1, 2, 3, 4)]
    assert positions == sorted(positions)
    assert "aws eks list-insights --region eu-west-1 --cluster-name shop-prod" in markdown
    assert 'cluster.version: "1.35"' in markdown
    data = json.loads(json.dumps(report.to_json()))["data"]
    assert {
        "current",
        "target",
        "steps",
        "addons",
        "charts",
        "pins",
        "removed_apis",
        "support",
    } <= set(data)
    assert (data["current"], data["target"]) == ("1.34", "1.35")
    assert [s["step"] for s in data["steps"]] == [1, 2, 3, 4]
    assert all(s["title"] and s["items"] for s in data["steps"])
    data_plane = " ".join(data["steps"][3]["items"])
    assert "follows cluster.version (now 1.34)" in data_plane and "33%" in data_plane
    assert "NodePool spot" in data_plane and "drifted" in data_plane


def test_staging_fargate_profiles_are_restarted(plan_inputs: Inputs) -> None:
    report = plan(plan_inputs("staging"))
    items = " ".join(report.data["steps"][3]["items"])
    assert "kubectl rollout restart deployment -n batch" in items
    assert "-l k8s-app=kube-dns" in items


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_every_shipped_environment_plans_the_next_minor(plan_inputs: Inputs, env: str) -> None:
    report = plan(plan_inputs(env))
    json.dumps(report.to_json())
    assert report.to_markdown().startswith(f"## Plan upgrade: {env}: upgrade 1.34 → 1.35")
    # Shipped configs pin Karpenter 1.8.1, which its matrix stops at 1.34.
    assert "karpenter-compat" in checks_of(report, "block")


def test_cli_exit_codes(synth, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    args = ["upgrade", "--env", "prod", "--assembly", str(synth.outdir)]
    assert main([*args, "--config-dir", str(CONFIG_DIR), "--to", "1.35"]) == EXIT_BLOCKED
    assert "karpenter-compat" in capsys.readouterr().out
    assert main([*args, "--config-dir", str(CONFIG_DIR), "--to", "v1"]) == EXIT_BAD_INPUT
    assert "write it like 1.35" in capsys.readouterr().err
    # Karpenter bumped (the assembly check compares only cluster name and version).
    text = (CONFIG_DIR / "prod.yaml").read_text()
    assert text.count('version: "1.8.1"') == 1
    (tmp_path / "prod.yaml").write_text(text.replace('version: "1.8.1"', 'version: "1.9.0"'))
    out = tmp_path / "plan.json"
    code = main(
        [*args, "--config-dir", str(tmp_path), "--to", "1.35", "--format", "json", "-o", str(out)]
    )
    assert code == EXIT_CLEAR, out.read_text()
    assert json.loads(out.read_text())["status"] == "clear"


def test_planning_does_not_load_aws_cdk(synth) -> None:  # type: ignore[no-untyped-def]
    code = (
        "import sys\n"
        "from eks_blueprint.plan import load_inputs\n"
        "from eks_blueprint.plan.upgrade import plan_upgrade\n"
        f"inputs = load_inputs('prod', {str(CONFIG_DIR)!r}, {str(synth.outdir)!r})\n"
        "plan_upgrade(inputs, '1.35')\n"
        "assert 'aws_cdk' not in sys.modules, 'aws_cdk was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# -- tables -------------------------------------------------------------------------------


def test_tables_answer_from_their_rows() -> None:
    row = karpenter_row("1.8.1")
    assert row is not None and (row.min_kubernetes, row.max_kubernetes) == ("1.26", "1.34")
    assert karpenter_row("1.0.6") is not None and karpenter_row("1.0.6").max_kubernetes == "1.31"  # type: ignore[union-attr]
    assert karpenter_row("1.0.4").max_kubernetes == "1.30"  # type: ignore[union-attr]
    assert karpenter_row("1.99.0") is None
    assert karpenter_minimum("1.35", "1.34") == "1.9.0"
    assert karpenter_minimum("1.36") == "1.13.0"
    assert ami_release_exists("al2023", "v20251112", "1.35") is False
    assert ami_release_exists("al2023", "v20260114", "1.35") is True
    assert ami_release_exists("al2023", "v20991231", "1.35") is None
    assert ami_release_exists("bottlerocket", "1.53.0", "1.35") is True
    assert ami_release_exists("bottlerocket", "v1.50.0", "1.35") is False
    assert ami_recommended("al2023", "1.34", "1.35") == "v20260714"
    assert kubelet_skew_allowed((1, 32), (1, 35))
    assert not kubelet_skew_allowed((1, 31), (1, 35))
    assert not kubelet_skew_allowed((1, 36), (1, 35))
    assert not kubelet_skew_allowed((1, 22), (1, 25))  # two minors before kubelet 1.25
    lbc = chart_row("aws-load-balancer-controller", "1.14.0")
    assert lbc is not None and lbc.max_kubernetes is None
    cert_manager = chart_row("cert-manager", "v1.19.1")
    assert cert_manager is not None and cert_manager.max_kubernetes == "1.35"
    assert chart_row("external-dns", "1.17.0") is None


#: Pinned charts whose Kubernetes range no published source states; the plan warns for them.
#: cni-metrics-helper ships with the VPC CNI release of the same version (its image tag),
#: whose add-on build the add-on table lists for every supported Kubernetes version.
_CHARTS_WITHOUT_A_PUBLISHED_RANGE = {"cni-metrics-helper"}


def test_every_pinned_chart_supports_every_supported_kubernetes_version() -> None:
    """addons/versions.py promises its chart pins work on every supported version: hold it
    to the compatibility table (cert-manager v1.18.2 once broke this promise for 1.34+)."""
    from eks_blueprint.addons.versions import (
        CAPACITY_CHARTS,
        CHARTS,
        SUPPORTED_KUBERNETES_VERSIONS,
    )
    from eks_blueprint.plan.upgrade.minors import require_minor
    from eks_blueprint.plan.upgrade.tables import chart_row

    # Kyverno's range is narrower on purpose: config/governance.py refuses it outside.
    pinned = {**CHARTS, **CAPACITY_CHARTS}
    for chart, (_, version) in pinned.items():
        row = chart_row(chart, version)
        if chart in _CHARTS_WITHOUT_A_PUBLISHED_RANGE:
            assert row is None, f"{chart} now has a row: drop it from the exception list"
            continue
        assert row is not None, f"{chart} {version}: no row in CHART_COMPATIBILITY"
        for kubernetes in SUPPORTED_KUBERNETES_VERSIONS:
            assert require_minor(row.min_kubernetes) <= require_minor(kubernetes), (chart, kubernetes)
            if row.max_kubernetes is not None:
                assert require_minor(kubernetes) <= require_minor(row.max_kubernetes), (chart, kubernetes)
