"""The upgrade plan and the autoscalers: the Cluster Autoscaler's image follows the control
plane's minor (check `cluster-autoscaler-image`), and both charts (cluster-autoscaler, vpa)
are in the chart compatibility table. Reads one synthesis of
config/examples/cluster-autoscaler.yaml (managed node groups, the Cluster Autoscaler, VPA)."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.compute import autoscaling
from eks_blueprint.config import EnvironmentConfig, load_config
from eks_blueprint.plan import PlanInputs
from eks_blueprint.plan.inputs import stage_stacks
from eks_blueprint.plan.upgrade import plan_upgrade
from eks_blueprint.plan.upgrade.checks import check_cluster_autoscaler
from eks_blueprint.plan.upgrade.context import UpgradeContext
from eks_blueprint.template import LAYER_TYPE
from eks_blueprint.template.assembly import load_assembly

from .layers import chart_items

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "examples" / "cluster-autoscaler.yaml"
TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> PlanInputs:
    from stacks.app_builder import build_app

    config = load_config(EXAMPLE)
    outdir = tmp_path_factory.mktemp("autoscaler")
    build_app([config], outdir=str(outdir)).synth()
    assembly = load_assembly(outdir)
    return PlanInputs(
        env=config.name,
        config=config,
        config_path=EXAMPLE,
        stacks=stage_stacks(assembly.stacks.values(), config.name),
        assembly_path=assembly.path,
    )


def retagged(inputs: PlanInputs, version: str, tag: str) -> PlanInputs:
    """`inputs` at cluster.version `version`, its autoscaler chart deploying `tag`."""
    data = inputs.config.model_dump(exclude_unset=True)
    data["cluster"]["version"] = version
    stacks = []
    found = 0
    for stack in inputs.stacks:
        template = copy.deepcopy(stack.template)
        for item in chart_items(template):
            if item["Chart"] == autoscaling.CHART_NAME:
                values = json.loads(item["Values"])
                values["image"]["tag"] = tag
                item["Values"] = json.dumps(values)
                found += 1
        stacks.append(dataclasses.replace(stack, template=template))
    assert found == 1
    return dataclasses.replace(
        inputs, config=EnvironmentConfig.model_validate(data), stacks=tuple(stacks)
    )


def context(inputs: PlanInputs, to: str, target: PlanInputs | None = None) -> UpgradeContext:
    return UpgradeContext(
        inputs=inputs,
        deployed=target or inputs,
        current=inputs.config.cluster.version,
        to=to,
        target_mode=target is not None,
        today=TODAY,
    )


def test_the_plan_says_the_image_moves_with_the_control_plane(inputs: PlanInputs) -> None:
    report = plan_upgrade(inputs, "1.35", today=TODAY)
    found = [f for f in report.findings if f.check == "cluster-autoscaler-image"]
    assert [f.severity for f in found] == ["info"]
    assert "from v1.34.5 to v1.35.2" in found[0].message
    charts = {c["chart"]: c for c in report.data["charts"]}
    assert charts["cluster-autoscaler"]["status"] == "compatible"
    assert charts["vpa"]["status"] == "compatible"


def test_a_target_without_a_pinned_image_blocks(
    inputs: PlanInputs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(autoscaling.CLUSTER_AUTOSCALER_IMAGES, "1.35")
    (finding,) = check_cluster_autoscaler(context(inputs, "1.35"))
    assert finding.severity == "block"
    assert "no Cluster Autoscaler image is pinned for Kubernetes 1.35" in finding.message
    assert finding.fix is not None and "CLUSTER_AUTOSCALER_IMAGES" in finding.fix


def test_a_target_that_keeps_the_old_image_blocks(inputs: PlanInputs) -> None:
    stale = retagged(inputs, "1.35", "v1.34.5")
    (finding,) = check_cluster_autoscaler(context(inputs, "1.35", stale))
    assert finding.severity == "block"
    assert "deploys Cluster Autoscaler v1.34.5 with Kubernetes 1.35" in finding.message


def test_a_target_with_the_image_of_its_minor_is_clear(inputs: PlanInputs) -> None:
    target = retagged(inputs, "1.35", "v1.35.2")
    assert check_cluster_autoscaler(context(inputs, "1.35", target)) == []


def test_environments_without_the_autoscaler_have_no_finding(inputs: PlanInputs) -> None:
    others: list[Any] = []
    removed = 0
    for stack in inputs.stacks:
        template = copy.deepcopy(stack.template)
        for resource in template["Resources"].values():
            items = resource.get("Properties", {}).get("Items")
            if resource["Type"] == LAYER_TYPE and isinstance(items, list):
                kept = [i for i in items if i.get("Chart") != autoscaling.CHART_NAME]
                removed += len(items) - len(kept)
                resource["Properties"]["Items"] = kept
        others.append(dataclasses.replace(stack, template=template))
    assert removed == 1
    without = dataclasses.replace(inputs, stacks=tuple(others))
    assert check_cluster_autoscaler(context(without, "1.35")) == []
