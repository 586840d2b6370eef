"""Build the CDK app: one Stage per environment config, compliance on every stage.

This is the only code (with app.py and stacks/selection.py) that knows environments exist.
It is separate from app.py so that tests and benchmarks build exactly what `cdk synth` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import App

from eks_blueprint.compliance import add_compliance_packs
from eks_blueprint.config import EnvironmentConfig

from .selection import CONFIG_DIR, PROJECT_DIR, cli_context, config_paths, file_context
from .stage import EnvironmentStage

__all__ = [
    "CONFIG_DIR",
    "PROJECT_DIR",
    "build_app",
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
