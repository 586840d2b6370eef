"""App composition: stages, stack names, tags, protection, and what app.py does with input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from stacks.app_builder import PROJECT_DIR
from stacks.selection import cli_context, file_context
from stacks.stage import EnvironmentStage
from tests.conftest import ENVIRONMENTS, SynthResult


def manifest(synth: SynthResult, env: str) -> dict[str, Any]:
    return json.loads((synth.outdir / f"assembly-{env}" / "manifest.json").read_text())


def stacks_of(synth: SynthResult, env: str) -> dict[str, dict[str, Any]]:
    return {
        name: artifact
        for name, artifact in manifest(synth, env)["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    }


def test_one_stage_per_environment(synth: SynthResult) -> None:
    top = json.loads((synth.outdir / "manifest.json").read_text())
    stages = sorted(
        a["properties"]["displayName"]
        for a in top["artifacts"].values()
        if a["type"] == "cdk:cloud-assembly"
    )
    assert stages == sorted(ENVIRONMENTS)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_stack_names_carry_the_environment(synth: SynthResult, configs: Any, env: str) -> None:
    stacks = stacks_of(synth, env)
    names = sorted(a["properties"]["stackName"] for a in stacks.values())
    assert names == [f"{env}-eks-cluster", f"{env}-eks-network", f"{env}-eks-security"]
    for artifact in stacks.values():
        assert artifact["environment"] == f"aws://{configs[env].account}/{configs[env].region}"


@pytest.mark.parametrize(("env", "protected"), [("dev", False), ("staging", True), ("prod", True)])
def test_termination_protection(synth: SynthResult, env: str, protected: bool) -> None:
    for artifact in stacks_of(synth, env).values():
        assert artifact["properties"].get("terminationProtection", False) is protected


def test_construct_ids_do_not_depend_on_the_environment_name(configs: Any) -> None:
    # GIVEN the dev config under another environment name
    renamed = configs["dev"].model_copy(update={"name": "other"})
    app = cdk.App()
    # WHEN both are built as stages (no synth needed: ids are fixed at construction)
    stages = [EnvironmentStage(app, configs["dev"]), EnvironmentStage(app, renamed)]

    def paths(stage: EnvironmentStage) -> list[str]:
        return sorted(
            c.node.path.split("/", 1)[1]
            for stack in (stage.network_stack, stage.cluster_stack)
            for c in stack.node.find_all()
        )

    # THEN every construct below the stage has the same path, so the same logical id
    assert paths(stages[0]) == paths(stages[1])


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_tags_applied_at_the_top(synth: SynthResult, configs: Any, env: str) -> None:
    expected = {
        "project": configs[env].tags.project,
        "environment": env,
        "owner": configs[env].tags.owner,
        "cost-center": configs[env].tags.cost_center,
    }
    vpc = next(
        r
        for r in synth.template(env, "network")["Resources"].values()
        if r["Type"] == "AWS::EC2::VPC"
    )
    tags = {t["Key"]: t["Value"] for t in vpc["Properties"]["Tags"]}
    assert expected.items() <= tags.items()
    cluster = next(
        r
        for r in synth.template(env, "cluster")["Resources"].values()
        if r["Type"] == "AWS::EKS::Cluster"
    )
    tags = {t["Key"]: t["Value"] for t in cluster["Properties"]["Tags"]}
    assert expected.items() <= tags.items()


def run_app(tmp_path: Path, *context: str) -> subprocess.CompletedProcess[str]:
    """Run app.py as the CDK CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR."""
    pairs = dict(c.split("=", 1) for c in context)
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path / "out"), "CDK_CONTEXT_JSON": json.dumps(pairs)}
    return subprocess.run(
        [sys.executable, "app.py"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_invalid_config_exits_with_readable_problems_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (PROJECT_DIR / "config" / "dev.yaml")
        .read_text()
        .replace("cidr: 10.10.0.0/16", "cidr: 10.10.0.0/33")
        .replace("nat_gateways: single", "nat_gateway: single")
    )
    result = run_app(tmp_path, f"config={bad}")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "jsii" not in result.stderr
    assert f"{bad}: network.cidr: not a valid IPv4 CIDR" in result.stderr
    assert (
        f"{bad}: network.nat_gateway: unknown field; did you mean 'nat_gateways'?" in result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_unknown_environment_is_reported(tmp_path: Path) -> None:
    result = run_app(tmp_path, "env=qa")
    assert result.returncode == 1
    assert (
        "-c env=qa: no file" in result.stderr
        and "environments: dev, prod, staging" in result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_direct_runs_get_the_feature_flags_of_cdk_json(tmp_path: Path) -> None:
    # `python app.py` (tests, benchmarks) must synthesise what `cdk synth` does
    flags = json.loads((PROJECT_DIR / "cdk.json").read_text())["context"]
    assert flags, "cdk.json has no feature flags"
    context = file_context()
    assert {k: context[k] for k in flags} == flags
    (tmp_path / "cdk.json").write_text(json.dumps({"context": {"a": 1, "b": 1}}))
    (tmp_path / "cdk.context.json").write_text(json.dumps({"b": 2}))
    assert file_context(tmp_path) == {"a": 1, "b": 2}  # cdk.context.json wins, as in the CLI


def test_cli_context_is_read_without_an_app(tmp_path: Path) -> None:
    overflow = tmp_path / "ctx.json"
    overflow.write_text(json.dumps({"env": "prod", "x": 1}))
    environ = {"CONTEXT_OVERFLOW_LOCATION_ENV": str(overflow), "CDK_CONTEXT_JSON": '{"x": 2}'}
    assert cli_context(environ) == {"env": "prod", "x": 2}
    assert cli_context({}) == {}
