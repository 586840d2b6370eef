"""The pipeline app (config/pipeline.yaml and the environments it names), synthesised ONCE
per test session with the compliance packs enforcing, like `bin/cdk synth -c pipeline=...`.
Registered for every test directory by tests/conftest.py (tests/pipeline and tests/delivery
both read it).

The synth runs in a background process (`SYNTH`, see tests/conftest.py), on the core the
test process leaves idle, from the session's start; the fixture reads what it wrote.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from stacks.runtime import use_supported_node

use_supported_node()

from eks_blueprint.config import EnvironmentConfig, load_configs  # noqa: E402
from stacks.app_builder import CONFIG_DIR, build_pipeline_app, config_paths  # noqa: E402
from tests.conftest import OUT, ROOT, SYNTH_TIMEOUT, Command, for_fixture, start  # noqa: E402

PIPELINE_FILE = CONFIG_DIR / "pipeline.yaml"
#: In the synth's output directory: where `synthesise_pipeline` names each stack's template.
STACKS_INDEX = "pipeline-stacks.json"


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


def synthesise_pipeline(outdir: Path) -> None:
    """The pipeline app synthesised into `outdir`, with `STACKS_INDEX` naming the template
    file (relative to `outdir`) of the pipeline stack and of every stack by hierarchical id."""
    pipeline, configs = _configs()
    app = build_pipeline_app(pipeline, configs, outdir=str(outdir))
    assembly = app.synth()
    stack = assembly.get_stack_by_name(f"{pipeline.name}-pipeline")

    def relative(artifact: Any) -> str:
        full = Path(artifact.template_full_path).resolve()
        return full.relative_to(outdir.resolve()).as_posix()

    index = {
        "pipeline": relative(stack),
        "stacks": {s.hierarchical_id: relative(s) for s in assembly.stacks_recursively},
    }
    (outdir / STACKS_INDEX).write_text(json.dumps(index))


#: `synthesise_pipeline` in a background process, run as the app's own synth runs
#: (`stacks.runtime.run_once`: no cyclic garbage collector).
SYNTH = for_fixture("pipeline_synth", Command((sys.executable, "-c", """
import sys
from stacks.runtime import run_once

def main() -> int:
    from pathlib import Path
    import tests.pipeline_app as p
    p.synthesise_pipeline(Path(sys.argv[1]))
    return 0

run_once(main)
""", OUT), cwd=ROOT, timeout=SYNTH_TIMEOUT))


@pytest.fixture(scope="session")
def pipeline_synth() -> PipelineSynth:
    done = start(SYNTH).result()
    assert done.process.returncode == 0, done.process.stderr[-5000:]
    pipeline, configs = _configs()
    outdir = done.out.resolve()
    index = json.loads((outdir / STACKS_INDEX).read_text())

    def template(name: str) -> dict[str, Any]:
        found: dict[str, Any] = json.loads((outdir / name).read_text())
        return found

    return PipelineSynth(
        outdir=outdir,
        template=template(index["pipeline"]),
        templates={hid: template(name) for hid, name in index["stacks"].items()},
        pipeline=pipeline,
        configs={c.name: c for c in configs},
    )
