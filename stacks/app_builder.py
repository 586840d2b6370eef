"""Build the CDK app: one Stage per environment config, compliance on every stage.

This is the only code (with app.py and stacks/selection.py) that knows environments exist.
It is separate from app.py so that tests and benchmarks build exactly what `cdk synth` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_cdk import App

from eks_blueprint.compliance import add_compliance_packs
from eks_blueprint.config import EnvironmentConfig

from .selection import CONFIG_DIR, PROJECT_DIR, cli_context, config_paths, file_context
from .stage import EnvironmentStage

if TYPE_CHECKING:
    from eks_blueprint.config.pipeline import PipelineConfig

__all__ = [
    "CONFIG_DIR",
    "PROJECT_DIR",
    "build_app",
    "build_pipeline_app",
    "cli_context",
    "config_paths",
    "file_context",
]


def build_app(
    configs: Sequence[EnvironmentConfig],
    *,
    context: Mapping[str, Any] | None = None,
    outdir: str | None = None,
) -> App:
    """An App with one EnvironmentStage per config; the compliance packs check every stage.

    The packs are registered once, on the app: a plugin on a stage would see (and report)
    the templates of every stage again. CDK's built-in "CloudFormation Validate" plugin is
    off: it costs about 2 s and 250 MB per synth (measured, benchmarks/) and cfn-lint, run
    over every template by the test suite and CI, checks the same and more.
    """
    app = App(
        context=dict(file_context() if context is None else context),
        outdir=outdir,
        builtin_cloud_formation_validation=False,
    )
    for config in configs:
        EnvironmentStage(app, config)
    add_compliance_packs(app)
    return app


def pinned_cdk_cli_version(project_dir: Path = PROJECT_DIR) -> str | None:
    """The CDK CLI version package.json pins (what bin/cdk runs), or None if it names none."""
    try:
        package = json.loads((project_dir / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = package.get("devDependencies", {}).get("aws-cdk")
    return version if isinstance(version, str) and version[:1].isdigit() else None


def build_pipeline_app(
    pipeline: PipelineConfig,
    configs: Sequence[EnvironmentConfig],
    *,
    context: Mapping[str, Any] | None = None,
    outdir: str | None = None,
    pipeline_file: str = "config/pipeline.yaml",
) -> App:
    """An App with the pipeline stack and, inside it, the environments it deploys.

    Each environment is the same `EnvironmentStage` `build_app` builds, with the app as its
    scope: stage ids and stack names stay `<env>` and `<env>-eks-*`, so a platform first
    deployed by hand is taken over by the pipeline without renaming a stack. The pipeline
    stack is named after the pipeline. The compliance packs check every stage and the
    pipeline stack.
    """
    from .pipeline_stack import PipelineStack

    app = App(
        context=dict(file_context() if context is None else context),
        outdir=outdir,
        builtin_cloud_formation_validation=False,
    )
    by_name = {config.name: config for config in configs}
    stages = {name: EnvironmentStage(app, config) for name, config in by_name.items()}
    PipelineStack(
        app,
        "Pipeline",
        pipeline=pipeline,
        stages=stages,
        pipeline_file=pipeline_file,
        cli_version=pinned_cdk_cli_version(),
        stack_name=f"{pipeline.name}-pipeline",
        description=f"eks_blueprint: the {pipeline.name} pipeline (waves "
        + " -> ".join(wave.name for wave in pipeline.waves)
        + ")",
    )
    add_compliance_packs(app)
    return app
