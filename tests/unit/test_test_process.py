"""The test process's two Node.js-only settings (tests/conftest.py, NODE_ONLY_ENV): its own
apps skip CDK's built-in CloudFormation validation and asset staging, while the background
work and the subprocesses of tests run as users' processes do."""

from __future__ import annotations

import json
import os
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3_assets as assets

from tests.conftest import _FOUND_ENV, NODE_ONLY_ENV, Finished, Job
from tests.packs import add_packs

ASSET_SOURCE = Path(__file__).resolve().parent / "warm_jobs.py"


def synthesise(outdir: Path, packs: bool = False) -> dict[str, object]:
    """An app with a file asset and a subnet whose VPC id CloudFormation's format check
    refuses (with `packs`, and the packs as tests/packs.py registers them), synthesised into
    `outdir`: what staging and validation left there."""
    app = cdk.App(outdir=str(outdir))
    if packs:
        add_packs(app)
    stack = cdk.Stack(app, "Probe", env=cdk.Environment(account="111111111111",
                                                        region="eu-west-1"))
    assets.Asset(stack, "File", path=str(ASSET_SOURCE))
    ec2.CfnSubnet(stack, "Subnet", vpc_id="vpc-0a", cidr_block="10.0.0.0/24")
    try:
        app.synth()
    except RuntimeError:  # the packs refuse the probe; the report is written
        assert packs
    report = outdir / "validation-report.json"
    return {
        "staged": sorted(p.name for p in outdir.glob("asset.*")),
        "plugins": sorted(
            r["pluginName"] for r in json.loads(report.read_text())["pluginReports"]
        ) if report.exists() else [],
    }


def synthesise_into(out: Path) -> None:
    """:func:`synthesise` as a background :class:`Job`, the outcome in `out`/probe.json."""
    (out / "probe.json").write_text(json.dumps(synthesise(out / "cdk.out")))


def test_this_process_synthesises_without_validation_or_staging(tmp_path: Path) -> None:
    found = synthesise(tmp_path / "cdk.out")
    assert found == {"staged": [], "plugins": []}


@pytest.mark.background(Job("tests.unit.test_test_process:synthesise_into"))
def test_the_background_validates_and_stages_as_a_user_process(background: Finished) -> None:
    assert background.process.returncode == 0, background.process.stderr[-3000:]
    found = json.loads((background.out / "probe.json").read_text())
    assert found["staged"] and found["staged"][0].endswith(".py")
    assert any("CloudFormation" in name for name in found["plugins"]), found


def test_an_app_with_the_packs_is_validated_here_too(tmp_path: Path) -> None:
    # tests/packs.py: a test that reads the whole report sees what a user's app would
    found = synthesise(tmp_path / "cdk.out", packs=True)
    assert any("CloudFormation" in str(name) for name in found["plugins"]), found  # type: ignore[attr-defined]


def test_subprocesses_get_the_environment_the_session_found() -> None:
    assert {name: os.environ.get(name) for name in NODE_ONLY_ENV} == _FOUND_ENV
