"""PipelineStack: the platform pipeline, in the tooling account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aws_cdk import Environment, Stack, Stage
from constructs import Construct

from eks_blueprint.delivery import PlatformPipeline

from .translate.pipeline import pipeline_props

if TYPE_CHECKING:
    from eks_blueprint.config.pipeline import PipelineConfig


class PipelineStack(Stack):
    """`<pipeline name>` in the tooling account and region: the `PlatformPipeline` that
    deploys the given environment stages (built by the caller, with the app as their scope,
    so their ids and stack names are the ones `build_app` gives them) wave by wave."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        pipeline: PipelineConfig,
        stages: Mapping[str, Stage],
        pipeline_file: str,
        cli_version: str | None = None,
        **kwargs: Any,
    ) -> None:
        env = Environment(account=pipeline.tooling.account, region=pipeline.tooling.region)
        super().__init__(scope, id, env=env, **kwargs)
        props = pipeline_props(
            pipeline, stages, pipeline_file=pipeline_file, cli_version=cli_version
        )
        self.platform_pipeline = PlatformPipeline(self, "Platform", props=props)
