"""App composition: stages, stack names, tags, protection, and what app.py does with input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
import pytest

from stacks.app_builder import PROJECT_DIR
from stacks.selection import cli_context, file_context
from stacks.stage import EnvironmentStage
from tests.conftest import ENVIRONMENTS, OUT, Command, Finished, Job, SynthResult
from tests.pipeline_app import SYNTH as PIPELINE_SYNTH


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
    builds = any(r.build is not None for r in configs[env].security.registries)
    expected = ["cluster", *(["delivery"] if builds else []), "network", "security"]
    assert names == [f"{env}-eks-{kind}" for kind in expected]
    for artifact in stacks.values():
        assert artifact["environment"] == f"aws://{configs[env].account}/{configs[env].region}"


@pytest.mark.parametrize(("env", "protected"), [("dev", False), ("staging", True), ("prod", True)])
def test_termination_protection(synth: SynthResult, env: str, protected: bool) -> None:
    for artifact in stacks_of(synth, env).values():
        assert artifact["properties"].get("terminationProtection", False) is protected


def construct_paths(out: Path) -> None:
    """For each shipped environment, the path below its stage of every construct of its
    network and cluster stacks, built under its own name and under another one, into
    `out`/paths.json (a background :class:`Job`: thousands of jsii calls)."""
    from eks_blueprint.config import load_configs
    from stacks.app_builder import CONFIG_DIR, config_paths

    def paths(stage: EnvironmentStage) -> list[str]:
        return sorted(
            c.node.path.split("/", 1)[1]
            for stack in (stage.network_stack, stage.cluster_stack)
            for c in stack.node.find_all()
        )

    found = {}
    for config in load_configs(config_paths(None, None, CONFIG_DIR)):
        renamed = config.model_copy(update={"name": "other"})
        app = cdk.App()
        # no synth needed: ids are fixed at construction
        stages = [EnvironmentStage(app, config), EnvironmentStage(app, renamed)]
        found[config.name] = [paths(stage) for stage in stages]
    (out / "paths.json").write_text(json.dumps(found))


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.background(Job("tests.unit.test_app:construct_paths"))
def test_construct_ids_do_not_depend_on_the_environment_name(
    background: Finished, env: str
) -> None:
    # GIVEN the config under another environment name (each shipped file: security group
    # rules between groups, e.g. storage's, are named after their peer)
    # WHEN both are built as stages (`construct_paths`)
    assert background.process.returncode == 0, background.process.stderr[-3000:]
    original, renamed = json.loads((background.out / "paths.json").read_text())[env]
    # THEN every construct below the stage has the same path, so the same logical id
    assert original and original == renamed


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


# The app.py runs below are subprocesses that take about half a second each (a second or more
# with a synth): they run in the background (tests/conftest.py), each in a fresh directory,
# `background.out`, that holds the input files the test would have written into its tmp_path
# and the CDK_OUTDIR `out` the run must (or must not) create.


def run_app(*context: str, files: tuple[tuple[str, str], ...] = ()) -> Command:
    """app.py, run as the CDK CLI does: context in CDK_CONTEXT_JSON, output in CDK_OUTDIR
    (`out` in the run's directory, where `files` are written first; ``OUT`` in a context
    value is that directory)."""
    pairs = dict(c.split("=", 1) for c in context)
    return run_app_with_context(json.dumps(pairs), files=files)


def run_app_with_context(context: str, files: tuple[tuple[str, str], ...] = ()) -> Command:
    """app.py with CDK_CONTEXT_JSON exactly `context`, output in the run's `out`."""
    return Command(
        (sys.executable, "app.py"),
        cwd=PROJECT_DIR,
        env=(("CDK_OUTDIR", f"{OUT}/out"), ("CDK_CONTEXT_JSON", context)),
        files=files,
    )


def _dev_text() -> str:
    return (PROJECT_DIR / "config" / "dev.yaml").read_text()


BAD_CONFIG = (
    _dev_text()
    .replace("cidr: 10.10.0.0/16", "cidr: 10.10.0.0/33")
    .replace("nat_gateways: single", "nat_gateway: single")
)


@pytest.mark.background(run_app(f"config={OUT}/bad.yaml", files=(("bad.yaml", BAD_CONFIG),)))
def test_invalid_config_exits_with_readable_problems_and_writes_nothing(
    background: Finished,
) -> None:
    bad, result = background.out / "bad.yaml", background.process
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "jsii" not in result.stderr
    assert f"{bad}: network.cidr: not a valid IPv4 CIDR" in result.stderr
    assert (
        f"{bad}: network.nat_gateway: unknown field; did you mean 'nat_gateways'?" in result.stderr
    )
    assert not (background.out / "out").exists()


# GIVEN a file with a key YAML reads as a date, a repeated key and a self-alias
YAML_TRICKS = _dev_text() + "2024-01-01: x\nname: again\nx: &c [*c]\n"


@pytest.mark.background(run_app(f"config={OUT}/bad.yaml", files=(("bad.yaml", YAML_TRICKS),)))
def test_yaml_tricks_exit_with_one_line_each(background: Finished) -> None:
    # WHEN app.py runs on it THEN one line per problem, naming the file and line, exit 1
    bad, result = background.out / "bad.yaml", background.process
    assert result.returncode == 1
    assert "Traceback" not in result.stderr, result.stderr
    found = [line.strip() for line in result.stderr.splitlines()[1:]]
    assert len(found) == 3 and all(line.startswith(f"{bad}: line ") for line in found), found
    assert not (background.out / "out").exists()


@pytest.mark.parametrize(
    "context",
    [
        pytest.param(context, marks=pytest.mark.background(run_app_with_context(context)))
        for context in ['{"env": 3}', '{"config": ["a"]}', "{not json", '{"env": "../x"}']
    ],
)
def test_odd_context_values_are_reported(background: Finished, context: str) -> None:
    result = background.process
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert not (background.out / "out").exists()


@pytest.mark.background(run_app("env=qa"))
def test_unknown_environment_is_reported(background: Finished) -> None:
    result = background.process
    assert result.returncode == 1
    assert (
        "-c env=qa: no file" in result.stderr
        and "environments: dev, prod, staging" in result.stderr
    )
    assert not (background.out / "out").exists()


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


def run_patched_app(
    patch: str, config: Path, files: tuple[tuple[str, str], ...] = ()
) -> Command:
    """app.py, run as the CLI does, with stacks.app_builder.build_app replaced by `patch`
    (Python source defining `build_app(configs, **kwargs)`), to provoke failures that no
    valid config can. (The background runs with the environment the session started with,
    which has no PYTEST_CURRENT_TEST: with it, CDK would switch to its in-memory mode.)"""
    script = "\n".join(
        [
            "import runpy, sys",
            "import stacks.app_builder as builder",
            "original = builder.build_app",
            patch,
            "builder.build_app = build_app",
            "sys.argv = ['app.py']",
            "runpy.run_path('app.py', run_name='__main__')",
        ]
    )
    return Command(
        (sys.executable, "-c", script),
        cwd=PROJECT_DIR,
        env=(
            ("CDK_OUTDIR", f"{OUT}/out"),
            ("CDK_CONTEXT_JSON", json.dumps({"config": str(config)})),
        ),
        files=files,
    )


# An app whose only stack holds an SQS queue without DLQ or TLS policy: AwsSolutions refuses it.
FAILING_GATE = """
def build_app(configs, **kwargs):
    from aws_cdk import Stack, aws_sqs
    app = original([], **kwargs)
    aws_sqs.Queue(Stack(app, "Tripwire"), "Queue")
    return app
"""


# GIVEN an app with a resource the AwsSolutions pack refuses, and an output directory that
# already holds a file from elsewhere
# WHEN app.py synthesises it
@pytest.mark.background(
    run_patched_app(
        FAILING_GATE, PROJECT_DIR / "config" / "dev.yaml", files=(("out/unrelated.txt", "kept"),)
    )
)
def test_failed_compliance_gate_prints_findings_and_keeps_only_the_report(
    background: Finished,
) -> None:
    tmp_path, result = background.out, background.process
    # THEN exit 1, one line per finding (rule, construct path, message), no traceback
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "jsii" not in result.stderr, result.stderr
    assert "Compliance gates failed" in result.stderr
    assert "AwsSolutions-SQS4 (error) at Tripwire/Queue/Resource: " in result.stderr
    # AND only the validation report is left next to what was there before
    left = sorted(p.name for p in (tmp_path / "out").rglob("*"))
    assert left == ["unrelated.txt", "validation-report.json"], left
    assert f"Full report: {tmp_path / 'out' / 'validation-report.json'}" in result.stderr


def test_unexpected_failure_mid_synth_is_one_line_and_leaves_no_assembly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN an app whose synthesis writes stage Env (stack One), then fails resolving stack Two
    import app as app_py
    import stacks.app_builder

    @jsii.implements(cdk.IStringProducer)
    class Boom:
        def produce(self, context: cdk.IResolveContext) -> str:
            raise ValueError("resolver exploded")

    def build_app(configs: Any, **kwargs: Any) -> cdk.App:
        app = cdk.App(outdir=kwargs["outdir"], context=kwargs["context"])
        cdk.CfnWaitConditionHandle(cdk.Stack(cdk.Stage(app, "Env"), "One"), "Handle")
        cdk.CfnOutput(cdk.Stack(app, "Two"), "Out", value=cdk.Lazy.string(Boom()))
        return app

    removed: list[Path] = []

    def remove_written(*args: Any, **kwargs: Any) -> list[Path]:
        removed.extend(app_py_remove_written(*args, **kwargs))
        return removed

    app_py_remove_written = app_py.remove_written
    monkeypatch.setattr(app_py, "remove_written", remove_written)
    monkeypatch.setattr(stacks.app_builder, "build_app", build_app)
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path / "out"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "manifest.json").write_text("{}")  # an earlier run's, unchanged
    # WHEN app.py synthesises it
    code = app_py.synthesise([], {})
    # THEN exit 1 with one line asking to report it, no traceback
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Synthesis failed unexpectedly" in lines[0], err
    assert "report this" in lines[0], err
    # AND what this run wrote (stack One's template, ...) is gone; the earlier file stays
    assert "EnvOne35590E7D.template.json" in [p.name for p in removed], removed
    left = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*"))
    assert left == ["manifest.json"], left


def _report(conclusion: str, *violations: dict[str, Any]) -> str:
    return json.dumps(
        {"pluginReports": [{"pluginName": "P", "conclusion": conclusion, "violations": violations}]}
    )


def test_only_a_report_written_by_this_run_counts(tmp_path: Path) -> None:
    import app as app_py
    from stacks.synth_report import snapshot

    # GIVEN a failed report left by an earlier run
    out = tmp_path / "out"
    out.mkdir()
    (out / "validation-report.json").write_text(_report("failure"))
    before = snapshot(out)
    # WHEN this run writes nothing THEN it did not fail a gate
    assert app_py._gate_report(out, before) is None
    # WHEN this run writes a failed report (CDK's "process" mode does not raise) THEN it did
    violation = {
        "ruleName": "EksBestPractices-EKSBP6",
        "description": "Open endpoint.\n  a/B: PublicAccessCidrs includes 0.0.0.0/0\n  a/C: other",
        "severity": "error",
        "violatingConstructs": [{"constructPath": "a/B"}],
    }
    (out / "validation-report.json").write_text(_report("failure", violation))
    report = app_py._gate_report(out, before)
    assert report is not None
    from stacks.synth_report import findings

    assert [f.line() for f in findings(report)] == [
        "EksBestPractices-EKSBP6 (error) at a/B: Open endpoint: PublicAccessCidrs includes "
        "0.0.0.0/0"
    ]


def _pipeline_dir(**changes: Any) -> tuple[tuple[str, str], ...]:
    """A copy of config/pipeline.yaml and the environment files, with top-level changes, as
    a background run's files: `config/pipeline.yaml` and `config/<env>.yaml` in its directory."""
    import yaml

    files = [
        (f"config/{env}.yaml", (PROJECT_DIR / "config" / f"{env}.yaml").read_text())
        for env in ENVIRONMENTS
    ]
    data = yaml.safe_load((PROJECT_DIR / "config" / "pipeline.yaml").read_text()) | changes
    return (*files, ("config/pipeline.yaml", yaml.safe_dump(data, sort_keys=False)))


#: Where `_pipeline_dir` puts the pipeline file, in a background run's directory.
PIPELINE_IN_OUT = f"{OUT}/config/pipeline.yaml"


def _invalid_pipeline(changes: dict[str, Any], message: str, id: str) -> Any:
    files = _pipeline_dir(**changes)
    return pytest.param(
        changes, message, id=id,
        marks=pytest.mark.background(run_app(f"pipeline={PIPELINE_IN_OUT}", files=files)),
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        _invalid_pipeline(
            {"waves": [{"name": "all", "environments": ["dev", "staging", "prod", "qa"]}]},
            "waves[0].environments[3]: no environment file",
            "unknown-environment",
        ),
        _invalid_pipeline(
            {"waves": [{"name": "all", "environments": ["dev", "staging", "dev", "prod"]}]},
            "waves[0].environments[2]: 'dev' is already in waves[0] (all)",
            "duplicate",
        ),
        _invalid_pipeline(
            {"approvals": ["staging"]},
            "approvals: 'prod' is a production environment",
            "prod-without-approval",
        ),
    ],
)
def test_an_invalid_pipeline_file_exits_with_its_problems_and_writes_nothing(
    background: Finished, changes: dict[str, Any], message: str
) -> None:
    tmp_path, result = background.out, background.process
    path = tmp_path / "config" / "pipeline.yaml"
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "jsii" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == "Invalid configuration; nothing was synthesised:"
    assert lines[1].startswith(f"  {path}: {message}"), result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(
            other,
            marks=pytest.mark.background(run_app("pipeline=config/pipeline.yaml", other)),
        )
        for other in ["env=dev", "config=config/dev.yaml"]
    ],
)
def test_pipeline_is_not_combined_with_env_or_config(background: Finished, other: str) -> None:
    tmp_path, result = background.out, background.process
    assert result.returncode == 1, result.stderr
    key = other.split("=")[0]
    assert (
        f"-c pipeline=config/pipeline.yaml with -c {key}: the pipeline file's waves choose the "
        "environments; give -c pipeline alone" in result.stderr
    )
    assert not (tmp_path / "out").exists()


# the pipeline's synth step runs in a checkout of the repository and must find the file
@pytest.mark.background(run_app(f"pipeline={PIPELINE_IN_OUT}", files=_pipeline_dir()))
def test_a_pipeline_file_outside_the_repository_is_refused(background: Finished) -> None:
    tmp_path, result = background.out, background.process
    path = tmp_path / "config" / "pipeline.yaml"
    assert result.returncode == 1, result.stderr
    assert f"-c pipeline={str(path)[:60]}: the file is outside the repository" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.background(run_app("env=pipeline"))
def test_env_pipeline_names_the_pipeline_option(background: Finished) -> None:
    tmp_path, result = background.out, background.process
    assert result.returncode == 1
    assert (
        "is the pipeline's file, not an environment; synthesise the pipeline with "
        "-c pipeline=config/pipeline.yaml; environments: dev, prod, staging" in result.stderr
    )
    assert not (tmp_path / "out").exists()


# WHEN app.py runs with -c pipeline, from `bin/cdk synth -c pipeline=...` (the session's
# pipeline synth, tests/pipeline_app.py)
@pytest.mark.background(PIPELINE_SYNTH)
def test_pipeline_selects_the_pipeline_app(background: Finished) -> None:
    out, result = background.out, background.process
    # THEN it synthesises the pipeline stack and, inside its assembly, the three environments
    assert result.returncode == 0, result.stderr
    manifest_ = json.loads((out / "manifest.json").read_text())
    stacks = [
        a["properties"]["stackName"]
        for a in manifest_["artifacts"].values()
        if a["type"] == "aws:cloudformation:stack"
    ]
    assert stacks == ["eks-platform-pipeline"]
    assert sorted(p.name for p in out.glob("assembly-*")) == [
        f"assembly-{e}" for e in sorted(ENVIRONMENTS)
    ]
