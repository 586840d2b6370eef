"""The plan command's inputs: every bad input is refused with the file and the fix (exit 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from eks_blueprint.plan import Finding, PlanInputError, PlanReport, load_inputs
from eks_blueprint.plan.cli import EXIT_BAD_INPUT, main
from stacks.app_builder import CONFIG_DIR


def test_inputs_hold_the_environments_stage(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    for env in ("dev", "staging", "prod"):
        inputs = plan_inputs(env)
        assert inputs.config.name == env
        assert {s.name for s in inputs.stacks} >= {f"{env}-eks-network", f"{env}-eks-cluster"}
        assert all(s.stage == env for s in inputs.stacks)
        assert len(list(inputs.resources("AWS::EKS::Cluster"))) == 1


def test_unknown_environment_names_the_file_and_the_known_ones(synth, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["ips", "--env", "qa", "--config-dir", str(CONFIG_DIR), "--assembly", str(synth.outdir)])
    assert code == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "qa.yaml: no such environment file" in err
    assert "dev, prod, staging" in err


def test_missing_assembly_says_how_to_synthesise(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(["cost", "--env", "prod", "--config-dir", str(CONFIG_DIR), "--assembly", str(tmp_path / "nope")])
    assert code == EXIT_BAD_INPUT
    assert "make synth ENV=prod" in capsys.readouterr().err


def test_invalid_config_lists_its_problems(tmp_path: Path, synth) -> None:  # type: ignore[no-untyped-def]
    text = (CONFIG_DIR / "prod.yaml").read_text().replace("cidr: 10.30.0.0/16", "cidr: 10.30.0.0/33")
    (tmp_path / "prod.yaml").write_text(text)
    with pytest.raises(PlanInputError, match=r"prod\.yaml.*network\.cidr"):
        load_inputs("prod", tmp_path, synth.outdir)


def test_stale_assembly_is_refused(tmp_path: Path, synth) -> None:  # type: ignore[no-untyped-def]
    """An assembly synthesised from another cluster version answers for the wrong cluster."""
    text = (CONFIG_DIR / "prod.yaml").read_text().replace('version: "1.34"', 'version: "1.35"', 1)
    (tmp_path / "prod.yaml").write_text(text)
    with pytest.raises(PlanInputError, match=r"older than the config.*make synth ENV=prod"):
        load_inputs("prod", tmp_path, synth.outdir)


def test_assembly_without_the_stage(tmp_path: Path, synth) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "cdk.out"
    shutil.copytree(synth.outdir, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["artifacts"] = {k: v for k, v in manifest["artifacts"].items() if k != "assembly-prod"}
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PlanInputError, match="no stage 'prod'"):
        load_inputs("prod", CONFIG_DIR, out)


def test_report_status_and_rendering() -> None:
    report = PlanReport(kind="ips", env="prod", title="prod: addresses")
    assert not report.blocked and report.to_json()["status"] == "clear"
    report.findings.append(Finding("subnet-capacity", "block", "too many nodes", fix="grow it"))
    report.findings.append(Finding("note", "info", "context"))
    report.sections.append(("Table", "| a |\n|---|\n| 1 |"))
    report.assumptions.append("730 hours a month")
    text = report.to_markdown()
    assert report.blocked and report.to_json()["status"] == "blocked"
    assert text.index("subnet-capacity") < text.index("context")
    assert "**Status: blocked** (1 blocking finding(s))" in text
    assert "Fix: grow it" in text and "### Assumptions" in text
    assert report.to_markdown(heading_level=3).startswith("### Plan ips")
