"""The pipeline tests share the session's pipeline synth (tests/pipeline_app.py)."""

from tests.pipeline_app import PIPELINE_FILE, PipelineSynth

__all__ = ["PIPELINE_FILE", "PipelineSynth"]
