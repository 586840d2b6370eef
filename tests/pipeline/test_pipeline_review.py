"""The review covers the pipeline stack like any other: the pipeline app's assembly holds the
environment stages and the pipeline stack, and review.sh synthesises it where
config/pipeline.yaml exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from eks_blueprint.review.diff import compare
from eks_blueprint.review.render import render_markdown
from eks_blueprint.template import load_assembly
from tests.conftest import Finished
from tests.pipeline_app import SYNTH as PIPELINE_SYNTH

from .conftest import PipelineSynth

REPO = Path(__file__).resolve().parents[2]


def test_the_pipeline_assembly_reads_with_every_environment(pipeline_synth: PipelineSynth) -> None:
    assembly = load_assembly(pipeline_synth.outdir)
    names = {stack.name for stack in assembly.stacks.values()}
    assert f"{pipeline_synth.pipeline.name}-pipeline" in names
    for env in pipeline_synth.configs:
        assert {f"{env}-eks-network", f"{env}-eks-cluster"} <= names


def test_a_change_to_the_pipeline_is_reviewed(pipeline_synth: PipelineSynth) -> None:
    # GIVEN the same assembly as base and head: nothing changed
    assembly = load_assembly(pipeline_synth.outdir)
    assert not compare(assembly, assembly).blocking_risks
    # WHEN the review renders the pipeline app's assembly against itself THEN it reads it
    assert "Infrastructure review" in render_markdown(compare(assembly, assembly))


def test_review_script_synthesises_the_pipeline_app_when_the_file_exists() -> None:
    script = (REPO / "scripts" / "review.sh").read_text()
    assert 'config/pipeline.yaml' in script and '"pipeline": "config/pipeline.yaml"' in script


# The CDK CLI, offline, from config/pipeline.yaml: the session's pipeline synth
# (tests/pipeline_app.py).
@pytest.mark.background(PIPELINE_SYNTH)
def test_cli_synthesises_the_pipeline_without_lookups(background: Finished) -> None:
    # The "done when": the CDK CLI, offline, from config/pipeline.yaml.
    import json

    result, tmp_path = background.process, background.out
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "missing" not in manifest
    assert "Pipeline" in manifest["artifacts"]
    assert sorted(p.name for p in tmp_path.glob("assembly-*")) == [
        "assembly-dev", "assembly-prod", "assembly-staging"]
    # dev's image pipeline is inside its stage
    assert any("Delivery" in name for name in
               json.loads((tmp_path / "assembly-dev" / "manifest.json").read_text())["artifacts"])
