"""Translate `config/pipeline.yaml` into the platform pipeline's props.

Pure: the environments' stages are built by the stack (they are the same `EnvironmentStage`s
`build_app` builds) and passed in; this module only decides what runs where.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from aws_cdk import Stage

from eks_blueprint.delivery import PlatformPipelineProps, StageSpec, WaveSpec

if TYPE_CHECKING:
    from eks_blueprint.config.pipeline import PipelineConfig

#: The README's install command ("The two commands"): the virtualenv with the pinned Python
#: packages, a Node.js that jsii supports inside it, and the pinned CDK CLI.
SYNTH_INSTALL_COMMANDS: tuple[str, ...] = ("make setup",)
#: The README's test command: ruff, mypy, then pytest (every gate).
TEST_COMMAND = "make test"


def synth_commands(pipeline_file: str) -> list[str]:
    """The synth step: the tests, then the offline synth of this pipeline app (the
    environments' stages and the pipeline stack) into cdk.out/."""
    return [
        TEST_COMMAND,
        f"bin/cdk synth --quiet --no-lookups -c pipeline={shlex.quote(pipeline_file)}",
    ]


def preflight_commands(env: str) -> list[str]:
    """`eks-blueprint-preflight` on the environment, against the synthesised assembly that
    the step finds in cdk.out/ (read-only calls in the target account)."""
    return [f"eks-blueprint-preflight --env {shlex.quote(env)} --cdk-out cdk.out"]


def verify_commands(env: str) -> list[str]:
    """`eks-blueprint-verify` on the environment after its stacks deployed (read-only)."""
    return [f"eks-blueprint-verify --env {shlex.quote(env)}"]


def wave_specs(pipeline: PipelineConfig, stages: Mapping[str, Stage]) -> list[WaveSpec]:
    """One WaveSpec per `waves:` entry, in file order; each environment's stage with its
    approval, preflight and verify."""
    waves: list[WaveSpec] = []
    for wave in pipeline.waves:
        specs: list[StageSpec] = []
        for env in wave.environments:
            if env not in stages:
                raise ValueError(f"waves: {wave.name}: no stage was built for {env!r}")
            specs.append(
                StageSpec(
                    stage=stages[env],
                    approval=pipeline.approval_for(env),
                    preflight_commands=preflight_commands(env),
                    verify_commands=verify_commands(env),
                )
            )
        waves.append(WaveSpec(name=wave.name, stages=specs))
    return waves


def pipeline_props(
    pipeline: PipelineConfig,
    stages: Mapping[str, Stage],
    *,
    pipeline_file: str,
    cli_version: str | None = None,
) -> PlatformPipelineProps:
    """The PlatformPipeline props of the file; `pipeline_file` is how the synth step names
    it (relative to the repository root), `cli_version` the pinned CDK CLI."""
    notifications = pipeline.notifications
    emails: Sequence[str] = tuple(notifications.emails)
    return PlatformPipelineProps(
        pipeline_name=pipeline.name,
        connection_arn=pipeline.source.connection_arn,
        repository=pipeline.source.repository,
        branch=pipeline.source.branch,
        waves=wave_specs(pipeline, stages),
        synth_install_commands=SYNTH_INSTALL_COMMANDS,
        synth_commands=synth_commands(pipeline_file),
        notification_topic_arn=notifications.topic_arn,
        notification_emails=emails,
        cli_version=cli_version,
    )
