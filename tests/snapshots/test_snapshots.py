"""One snapshot per environment: every template of the stage, asset hashes masked.

A snapshot diff is the reviewer's view of what a change does to an environment. Update on
purpose with `.venv/bin/python -m pytest tests/snapshots --snapshot-update` and commit.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.conftest import ENVIRONMENTS, SynthResult

ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def mask_asset_hashes(value: Any) -> Any:
    """Replace 64-hex asset hashes (they change with any packaged asset) with a marker."""
    return json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(value, sort_keys=True)))


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_environment_snapshot(
    synth: SynthResult, snapshot_json: SnapshotAssertion, env: str
) -> None:
    assert mask_asset_hashes(synth.templates[env]) == snapshot_json


def test_masking_touches_only_asset_hashes() -> None:
    digest = "a" * 64
    masked = mask_asset_hashes({"S3Key": f"{digest}.zip", "Name": "shop-prod", "Short": "a" * 63})
    assert masked == {"S3Key": "<asset-hash>.zip", "Name": "shop-prod", "Short": "a" * 63}
