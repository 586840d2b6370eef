"""The pipeline app (config/pipeline.yaml and the environments it names), synthesised ONCE
per test session with the compliance packs enforcing, like `bin/cdk synth -c pipeline=...`.
Registered for every test directory by tests/conftest.py (tests/pipeline and tests/delivery
both read it).

The synth is the CDK CLI's (`SYNTH`), in a background process (see tests/conftest.py) on the
core the test process leaves idle, from the session's start; the fixture reads what it wrote.
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
from stacks.app_builder import CONFIG_DIR, config_paths  # noqa: E402
from tests.conftest import cli_synth, for_fixture, start  # noqa: E402

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


def _configs() -> tuple[Any, list[EnvironmentConfig]]:
    pipeline, configs = _load()
    if not configs:  # the loader returns the environments the waves name
        configs = load_configs(config_paths(None, None, CONFIG_DIR))
    return pipeline, configs


def stack_templates(outdir: Path) -> dict[str, tuple[str, Path]]:
    """Every stack of the assembly in `outdir`, nested stages included: by hierarchical id
    (the manifest's display name), its stack name and template file."""
    found: dict[str, tuple[str, Path]] = {}

    def read(directory: Path) -> None:
        manifest = json.loads((directory / "manifest.json").read_text())
        for artifact_id, artifact in manifest["artifacts"].items():
            properties = artifact.get("properties", {})
            if artifact["type"] == "aws:cloudformation:stack":
                found[artifact.get("displayName", artifact_id)] = (
                    properties.get("stackName", artifact_id),
                    directory / properties["templateFile"],
                )
            elif artifact["type"] == "cdk:cloud-assembly":
                read(directory / properties["directoryName"])

    read(outdir)
    return found


#: The pipeline app through the CDK CLI, as `bin/cdk synth -c pipeline=...` (the compliance
#: packs enforcing at synth), in a background process from the session's start: for
#: `pipeline_synth` and for the tests of the CLI and of app.py with -c pipeline.
SYNTH = for_fixture("pipeline_synth", cli_synth("pipeline=config/pipeline.yaml"))


@pytest.fixture(scope="session")
def pipeline_synth() -> PipelineSynth:
    done = start(SYNTH).result()
    assert done.process.returncode == 0, done.process.stderr[-5000:]
    pipeline, configs = _configs()
    outdir = done.out.resolve()
    stacks = stack_templates(outdir)

    def template(path: Path) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(path.read_text())
        return found

    (pipeline_path,) = [p for name, p in stacks.values() if name == f"{pipeline.name}-pipeline"]
    return PipelineSynth(
        outdir=outdir,
        template=template(pipeline_path),
        templates={hid: template(path) for hid, (_, path) in stacks.items()},
        pipeline=pipeline,
        configs={c.name: c for c in configs},
    )
