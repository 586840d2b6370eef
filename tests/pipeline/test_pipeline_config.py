"""config/pipeline.yaml: the shipped file loads, and every rule of the pipeline file (and
between it and the environment files) refuses bad input naming the file, the field and the
fix."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from eks_blueprint.config import ConfigError, PipelineConfig, load_config, load_pipeline
from eks_blueprint.config.schema import main as schema_main
from eks_blueprint.config.schema import render_schema
from stacks.selection import CONFIG_DIR, config_paths

PIPELINE_FILE = CONFIG_DIR / "pipeline.yaml"
SHIPPED: dict[str, Any] = yaml.safe_load(PIPELINE_FILE.read_text())
ENVIRONMENTS = ("dev", "staging", "prod")


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    """A config directory with copies of the shipped environment files."""
    directory = tmp_path / "config"
    directory.mkdir()
    for env in ENVIRONMENTS:
        shutil.copy(CONFIG_DIR / f"{env}.yaml", directory / f"{env}.yaml")
    return directory


def write(config_dir: Path, data: Any) -> Path:
    path = config_dir / "pipeline.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def problems_of(config_dir: Path, data: Any) -> list[str]:
    path = write(config_dir, data)
    with pytest.raises(ConfigError) as raised:
        load_pipeline(path, config_dir)
    return raised.value.problems


def changed(**fields: Any) -> dict[str, Any]:
    """A copy of the shipped pipeline file with top-level fields replaced."""
    data = copy.deepcopy(SHIPPED)
    data.update(fields)
    return data


def test_the_shipped_file_loads_with_its_environments_in_wave_order() -> None:
    pipeline, configs = load_pipeline(PIPELINE_FILE, CONFIG_DIR)
    assert [w.name for w in pipeline.waves] == ["dev", "staging", "prod"]
    assert [c.name for c in configs] == pipeline.environments == ["dev", "staging", "prod"]
    assert pipeline.approval_for("prod") and not pipeline.approval_for("dev")


def test_the_shipped_file_protects_what_its_environments_protect() -> None:
    # GIVEN the shipped environments THEN each with termination protection waits for approval
    pipeline, configs = load_pipeline(PIPELINE_FILE, CONFIG_DIR)
    protected = [c.name for c in configs if c.lifecycle.termination_protection]
    assert protected == ["staging", "prod"] and pipeline.approvals == protected
    # AND the tooling account is none of theirs, in their region
    assert pipeline.tooling.account not in {c.account for c in configs}
    assert {c.region for c in configs} == {pipeline.tooling.region}
    assert pipeline.same_account_reason is None
    assert pipeline.notifications.emails and pipeline.notifications.topic_arn is None


def test_the_pipeline_file_is_not_an_environment() -> None:
    # the default run over config/*.yaml must behave as before the pipeline file existed
    assert [p.name for p in config_paths(None, None)] == ["dev.yaml", "prod.yaml", "staging.yaml"]
    with pytest.raises(ConfigError, match="is the pipeline's file, not an environment; synth"):
        config_paths("pipeline", None)


def test_an_unknown_environment_is_refused(config_dir: Path) -> None:
    waves = [*SHIPPED["waves"], {"name": "qa", "environments": ["qa"]}]
    (problem,) = problems_of(config_dir, changed(waves=waves))
    assert problem == (
        f"{config_dir / 'pipeline.yaml'}: waves[3].environments[0]: no environment file "
        f"{config_dir / 'qa.yaml'} for 'qa'; environments: dev, prod, staging"
    )


def test_the_pipeline_file_itself_is_no_environment(config_dir: Path) -> None:
    waves = [*SHIPPED["waves"], {"name": "x", "environments": ["pipeline"]}]
    (problem,) = problems_of(config_dir, changed(waves=waves))
    assert "waves[3].environments[0]: 'pipeline' names the pipeline's own file" in problem


@pytest.mark.parametrize(
    ("waves", "where", "first"),
    [
        (
            [{"name": "all", "environments": ["dev", "staging", "dev"]}],
            "waves[0].environments[2]",
            "waves[0] (all)",
        ),
        (
            [
                {"name": "a", "environments": ["dev"]},
                {"name": "b", "environments": ["staging", "dev"]},
            ],
            "waves[1].environments[1]",
            "waves[0] (a)",
        ),
    ],
    ids=["within-a-wave", "across-waves"],
)
def test_an_environment_in_two_places_is_refused(
    config_dir: Path, waves: list[dict[str, Any]], where: str, first: str
) -> None:
    problems = problems_of(config_dir, changed(waves=waves, approvals=["staging"]))
    assert problems == [
        f"{config_dir / 'pipeline.yaml'}: {where}: 'dev' is already in {first}; an environment "
        "deploys in exactly one wave: remove one (got 'dev')"
    ]


def test_wave_names_are_unique(config_dir: Path) -> None:
    waves = copy.deepcopy(SHIPPED["waves"])
    waves[2]["name"] = "dev"
    (problem,) = problems_of(config_dir, changed(waves=waves))
    assert problem.startswith(f"{config_dir / 'pipeline.yaml'}: waves[2].name: wave name 'dev'")


def test_production_without_approval_is_refused(config_dir: Path) -> None:
    (problem,) = problems_of(config_dir, changed(approvals=["staging"]))
    assert problem == (
        f"{config_dir / 'pipeline.yaml'}: approvals: 'prod' is a production environment (named "
        "prod or prod-<suffix>) and deploys only after a manual approval: add prod to approvals"
    )


@pytest.mark.parametrize("env", ["staging"])
def test_a_protected_environment_without_approval_is_refused(config_dir: Path, env: str) -> None:
    approvals = [e for e in SHIPPED["approvals"] if e != env]
    (problem,) = problems_of(config_dir, changed(approvals=approvals))
    assert problem.startswith(
        f"{config_dir / 'pipeline.yaml'}: approvals: {env!r} has termination protection on "
        f"({config_dir / (env + '.yaml')}: lifecycle.termination_protection: true)"
    )
    assert problem.endswith(f"add {env} to approvals")


def test_an_unprotected_environment_may_skip_approval(config_dir: Path) -> None:
    text = (config_dir / "staging.yaml").read_text()
    (config_dir / "staging.yaml").write_text(
        text.replace("termination_protection: true", "termination_protection: false")
    )
    pipeline, _ = load_pipeline(write(config_dir, changed(approvals=["prod"])), config_dir)
    assert not pipeline.approval_for("staging")


def test_approvals_name_environments_of_a_wave(config_dir: Path) -> None:
    waves = SHIPPED["waves"][:2]
    (problem,) = problems_of(config_dir, changed(waves=waves))
    assert problem.startswith(f"{config_dir / 'pipeline.yaml'}: approvals[1]: 'prod' is in no wave")


def test_approvals_are_not_listed_twice(config_dir: Path) -> None:
    (problem,) = problems_of(config_dir, changed(approvals=["staging", "prod", "prod"]))
    assert problem.endswith("approvals[2]: listed twice; remove one (got 'prod')")


def test_an_environment_in_the_tooling_account_needs_a_reason(config_dir: Path) -> None:
    dev_account = load_config(config_dir / "dev.yaml").account
    tooling = {**SHIPPED["tooling"], "account": dev_account}
    source = {
        **SHIPPED["source"],
        "connection_arn": SHIPPED["source"]["connection_arn"].replace("999999999999", dev_account),
    }
    (problem,) = problems_of(config_dir, changed(tooling=tooling, source=source))
    assert problem.startswith(
        f"{config_dir / 'pipeline.yaml'}: waves[0].environments[0]: 'dev' is in account "
        f"{dev_account}, the tooling account"
    )
    assert problem.endswith("use another account, or say why in same_account_reason")
    # a token reason is refused like the other reasons of the config
    (short,) = problems_of(
        config_dir, changed(tooling=tooling, source=source, same_account_reason="sandbox")
    )
    assert "same_account_reason: same_account_reason needs at least 20 characters" in short
    reason = "a sandbox organisation with one account; nothing else runs in it"
    path = write(config_dir, changed(tooling=tooling, source=source, same_account_reason=reason))
    assert load_pipeline(path, config_dir)[0].same_account_reason == reason


def test_an_environment_outside_the_commercial_partition_is_refused(config_dir: Path) -> None:
    text = (config_dir / "dev.yaml").read_text()
    (config_dir / "dev.yaml").write_text(text.replace("eu-west-1", "cn-north-1"))
    problems = problems_of(config_dir, SHIPPED)
    assert any(
        p.startswith(f"{config_dir / 'dev.yaml'}: region: cn-north-1 is in partition aws-cn")
        for p in problems
    ), problems


def test_an_invalid_environment_file_reports_its_own_problems(config_dir: Path) -> None:
    text = (config_dir / "prod.yaml").read_text()
    (config_dir / "prod.yaml").write_text(text + "unknown_section: {}\n")
    (problem,) = problems_of(config_dir, SHIPPED)
    assert problem.startswith(f"{config_dir / 'prod.yaml'}: unknown_section: unknown field")


def test_an_environment_file_named_otherwise_is_refused(config_dir: Path) -> None:
    text = (config_dir / "dev.yaml").read_text()
    (config_dir / "dev.yaml").write_text(text.replace("name: dev", "name: sandbox", 1))
    (problem,) = problems_of(config_dir, SHIPPED)
    assert problem.startswith(
        f"{config_dir / 'dev.yaml'}: name: the file is dev.yaml but its name is 'sandbox'"
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "connection_arn",
            "arn:aws:codecommit:eu-west-1:999999999999:repo",
            "not a CodeConnections connection ARN",
        ),
        (
            "connection_arn",
            "arn:aws:codestar-connections:eu-west-1:123456789012:connection/abc-123",
            "the connection is in account 123456789012, region eu-west-1",
        ),
        (
            "connection_arn",
            "arn:aws:codeconnections:cn-north-1:999999999999:connection/abc",
            "cn-north-1 is in partition aws-cn",
        ),
        ("repository", "eks-platform", "not a repository: write it as owner/name"),
        ("repository", "my-org/../x", "not a repository"),
        ("branch", "feature..x", "not a git branch name"),
        ("branch", "main ", "not a git branch name"),
    ],
)
def test_source_formats(config_dir: Path, field: str, value: str, message: str) -> None:
    source = {**SHIPPED["source"], field: value}
    (problem,) = problems_of(config_dir, changed(source=source))
    assert problem.startswith(f"{config_dir / 'pipeline.yaml'}: source.{field}: "), problem
    assert message in problem


def test_the_older_codestar_connection_arn_is_accepted(config_dir: Path) -> None:
    arn = "arn:aws:codestar-connections:eu-west-1:999999999999:connection/abc-123"
    path = write(config_dir, changed(source={**SHIPPED["source"], "connection_arn": arn}))
    assert load_pipeline(path, config_dir)[0].source.connection_arn == arn


@pytest.mark.parametrize(
    ("notifications", "where", "message"),
    [
        ({}, "notifications", "give exactly one of topic_arn"),
        (
            {"emails": ["a@example.com"], "topic_arn": "arn:aws:sns:eu-west-1:999999999999:t"},
            "notifications",
            "give exactly one of topic_arn (an existing SNS topic) or emails",
        ),
        ({"emails": ["not-an-address"]}, "notifications.emails[0]", "not an e-mail address"),
        (
            {"emails": ["a@example.com", "A@example.com"]},
            "notifications.emails[1]",
            "is listed twice",
        ),
        (
            {"topic_arn": "arn:aws:sns:eu-west-1:999999999999:t.fifo"},
            "notifications.topic_arn",
            "not an SNS topic ARN",
        ),
        (
            {"topic_arn": "arn:aws:sns:us-east-1:999999999999:t"},
            "notifications.topic_arn",
            "the topic is in us-east-1, the pipeline in eu-west-1",
        ),
    ],
)
def test_notifications(
    config_dir: Path, notifications: dict[str, Any], where: str, message: str
) -> None:
    (problem,) = problems_of(config_dir, changed(notifications=notifications))
    assert problem.startswith(f"{config_dir / 'pipeline.yaml'}: {where}: "), problem
    assert message in problem


def test_a_topic_instead_of_emails(config_dir: Path) -> None:
    topic = "arn:aws:sns:eu-west-1:999999999999:platform-failures"
    path = write(config_dir, changed(notifications={"topic_arn": topic}))
    assert load_pipeline(path, config_dir)[0].notifications.topic_arn == topic


@pytest.mark.parametrize(
    ("fields", "where", "message"),
    [
        ({"name": "EKS Platform"}, "name", "a pipeline name is 1-16 lower-case letters"),
        # 17 characters: CloudFormation would cut "-pipeline" out of generated role names
        ({"name": "eks-platform-team"}, "name", "a pipeline name is 1-16 lower-case letters"),
        (
            {"tooling": {"account": 999999999999, "region": "eu-west-1"}},
            "tooling.account",
            "got the number 999999999999, expected text",
        ),
        (
            {"tooling": {"account": "999999999999", "region": "us-gov-west-1"}},
            "tooling.region",
            "partition aws-us-gov",
        ),
        ({"waves": []}, "waves", "List should have at least 1 item"),
        (
            {"waves": [{"name": "dev", "environments": []}]},
            "waves[0].environments",
            "List should have at least 1 item",
        ),
        (
            {"waves": [{"name": "dev wave", "environments": ["dev"]}]},
            "waves[0].name",
            "a wave name is 1-50 letters",
        ),
        (
            {"waves": [{"name": "dev", "environments": ["Dev"]}]},
            "waves[0].environments[0]",
            "not an environment name",
        ),
        ({"approval": ["prod"]}, "approval", "unknown field; did you mean 'approvals'?"),
    ],
)
def test_fields(config_dir: Path, fields: dict[str, Any], where: str, message: str) -> None:
    problems = problems_of(config_dir, changed(**fields))
    mine = [p for p in problems if p.startswith(f"{config_dir / 'pipeline.yaml'}: {where}: ")]
    assert mine and message in mine[0], problems


def test_unknown_fields_list_the_pipeline_models_fields(config_dir: Path) -> None:
    source = {**SHIPPED["source"], "brnach": "main"}
    (problem,) = problems_of(config_dir, changed(source=source))
    assert problem == (
        f"{config_dir / 'pipeline.yaml'}: source.brnach: unknown field; did you mean 'branch'? "
        "allowed fields here: branch, connection_arn, repository"
    )


def test_yaml_is_read_as_strictly_as_the_environment_files(config_dir: Path) -> None:
    text = PIPELINE_FILE.read_text() + "name: again\n"
    (problem,) = problems_of(config_dir, text)
    assert problem.startswith(f"{config_dir / 'pipeline.yaml'}: line ")
    assert "key 'name' appears a second time" in problem
    (problem,) = problems_of(config_dir, "- just a list\n")
    assert "expected a mapping of fields (tooling:, source:, waves:, ...)" in problem


def test_every_problem_is_reported_at_once(config_dir: Path) -> None:
    # GIVEN an unknown environment and prod without approval
    waves = [*SHIPPED["waves"], {"name": "qa", "environments": ["qa"]}]
    problems = problems_of(config_dir, changed(waves=waves, approvals=["staging"]))
    # THEN both are reported
    assert len(problems) == 2, problems


def test_the_model_is_frozen_and_strict() -> None:
    pipeline, _ = load_pipeline(PIPELINE_FILE, CONFIG_DIR)
    with pytest.raises(ValueError, match="frozen"):
        pipeline.name = "x"  # type: ignore[misc]
    assert PipelineConfig.model_config["extra"] == "forbid"


def test_the_pipeline_schema_is_fresh() -> None:
    committed = json.loads((CONFIG_DIR / "pipeline.schema.json").read_text())
    assert committed == json.loads(render_schema("pipeline")), (
        "config/pipeline.schema.json is stale: run `make schema` and commit it"
    )
    assert committed["title"] == "eks_blueprint pipeline"
    assert PIPELINE_FILE.read_text().startswith(
        "# yaml-language-server: $schema=./pipeline.schema.json\n"
    )


def test_the_schema_command_names_its_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert schema_main(["nonsense"]) == 2
    assert "[environment|pipeline]" in capsys.readouterr().err
