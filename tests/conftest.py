"""Shared fixtures: every environment is synthesised ONCE per test session.

Starting jsii costs seconds; each assertion on a shared Template costs milliseconds. Tests
that need a differently configured app build it in a session- or module-scoped fixture too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stacks.runtime import use_supported_node

use_supported_node()

from aws_cdk import Environment  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from eks_blueprint.config import EnvironmentConfig, load_configs  # noqa: E402
from stacks.app_builder import CONFIG_DIR, build_app, config_paths  # noqa: E402

#: Session fixtures defined in their own modules (the pipeline app's synth).
pytest_plugins = ["tests.pipeline_app"]

ENVIRONMENTS = ("dev", "staging", "prod")
TEST_ENV = Environment(account="123456789012", region="eu-west-1")


@dataclass(frozen=True)
class SynthResult:
    """The synthesised app: its output directory and each stack's template as JSON."""

    outdir: Path
    templates: dict[str, dict[str, dict[str, Any]]]  # env -> stack kind -> template JSON

    def template(self, env: str, kind: str) -> dict[str, Any]:
        return self.templates[env][kind]


def synthesise(configs: dict[str, EnvironmentConfig], outdir: Path) -> SynthResult:
    """`configs` (by environment name) in one app, synthesised into `outdir`: each stage's
    templates by stack kind (the stack name after `<env>-eks-`)."""
    app = build_app(list(configs.values()), outdir=str(outdir))
    assembly = app.synth()
    templates: dict[str, dict[str, dict[str, Any]]] = {}
    for stage_name in configs:
        stage = assembly.get_nested_assembly(f"assembly-{stage_name}")
        for stack in stage.stacks:
            kind = stack.stack_name.removeprefix(f"{stage_name}-eks-")
            templates.setdefault(stage_name, {})[kind] = stack.template
    return SynthResult(outdir=outdir, templates=templates)


@pytest.fixture(scope="session")
def configs() -> dict[str, EnvironmentConfig]:
    return {c.name: c for c in load_configs(config_paths(None, None, CONFIG_DIR))}


@pytest.fixture(scope="session")
def synth(
    tmp_path_factory: pytest.TempPathFactory, configs: dict[str, EnvironmentConfig]
) -> SynthResult:
    """All environments, synthesised once, with the compliance packs enforcing at synth."""
    return synthesise(configs, tmp_path_factory.mktemp("cdk.out"))


_TEMPLATE_CACHE: dict[tuple[str, str], Template] = {}


@pytest.fixture(scope="session")
def template_of(synth: SynthResult) -> Iterator[Any]:
    """`template_of(env, kind)` -> aws_cdk.assertions.Template, built once per stack."""

    def get(env: str, kind: str) -> Template:
        key = (env, kind)
        if key not in _TEMPLATE_CACHE:
            _TEMPLATE_CACHE[key] = Template.from_json(synth.template(env, kind))
        return _TEMPLATE_CACHE[key]

    yield get


def resources_of(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for every resource of one CloudFormation type."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def only(template: dict[str, Any], type_: str) -> dict[str, Any]:
    """The one resource of a type (fails the test if there is not exactly one)."""
    found = resources_of(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.values()))


def arn_text(value: Any) -> str:
    """An ARN as text: Fn::Join of strings and `Ref AWS::Partition` (rendered as "aws")."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(arn_text(p) for p in parts)
    if value == {"Ref": "AWS::Partition"}:
        return "aws"
    raise AssertionError(f"not a static ARN: {value!r}")


def render_join(value: Any) -> tuple[str, list[Any]]:
    """An Fn::Join string with each intrinsic replaced by `<n>`; returns text and intrinsics."""
    assert set(value) == {"Fn::Join"}, value
    separator, parts = value["Fn::Join"]
    tokens: list[Any] = []
    text = []
    for part in parts:
        if isinstance(part, str):
            text.append(part)
        else:
            if part not in tokens:
                tokens.append(part)
            text.append(f"<{tokens.index(part)}>")
    return separator.join(text), tokens


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
