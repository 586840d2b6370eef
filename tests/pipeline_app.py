"""The pipeline app (config/pipeline.yaml and the environments it names), synthesised ONCE
per test session with the compliance packs enforcing, like `bin/cdk synth -c pipeline=...`.
Registered for every test directory by tests/conftest.py (tests/pipeline and tests/delivery
both read it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stacks.runtime import use_supported_node

use_supported_node()

from eks_blueprint.config import EnvironmentConfig, load_configs  # noqa: E402
from stacks.app_builder import CONFIG_DIR, build_pipeline_app, config_paths  # noqa: E402

PIPELINE_FILE = CONFIG_DIR / "pipeline.yaml"


@dataclass(frozen=True)
class PipelineSynth:
    """The synthesised pipeline app: its output directory, the pipeline stack's template
    (and every stack's), the config it came from and the environments it deploys."""

    outdir: Path
    template: dict[str, Any]
    templates: dict[str, dict[str, Any]]
    """Every stack of the app, nested stages included, by hierarchical id."""
    pipeline: Any  # eks_blueprint.config.pipeline.PipelineConfig
    configs: dict[str, EnvironmentConfig]

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.template["Resources"].items() if r["Type"] == type_}

    def report(self) -> dict[str, Any]:
        report: dict[str, Any] = json.loads((self.outdir / "validation-report.json").read_text())
        return report


def _load() -> tuple[Any, list[EnvironmentConfig]]:
    from eks_blueprint.config.pipeline import load_pipeline

    pipeline, configs = load_pipeline(PIPELINE_FILE, CONFIG_DIR)
    return pipeline, list(configs)


@pytest.fixture(scope="session")
def pipeline_synth(tmp_path_factory: pytest.TempPathFactory) -> PipelineSynth:
    pipeline, configs = _load()
    if not configs:  # the loader returns the environments the waves name
        configs = load_configs(config_paths(None, None, CONFIG_DIR))
    outdir = tmp_path_factory.mktemp("pipeline.cdk.out")
    app = build_pipeline_app(pipeline, configs, outdir=str(outdir))
    assembly = app.synth()
    stack = assembly.get_stack_by_name(f"{pipeline.name}-pipeline")
    return PipelineSynth(
        outdir=outdir,
        template=stack.template,
        templates={s.hierarchical_id: s.template for s in assembly.stacks_recursively},
        pipeline=pipeline,
        configs={c.name: c for c in configs},
    )
