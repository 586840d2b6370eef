"""preflight as a package: its layout, its entry points, and boto3 from the tools extra only."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from eks_blueprint.checkrun import TOOLS_INSTALL
from eks_blueprint.preflight import CHECKS, main

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "dev.yaml"


def test_check_names_are_unique() -> None:
    names = [c.name for c in CHECKS]
    assert len(set(names)) == len(names)


def test_importing_preflight_loads_neither_aws_cdk_nor_boto3() -> None:
    code = (
        "import sys, eks_blueprint.preflight\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'boto3')]\n"
        "sys.exit(', '.join(loaded) or None)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr


def test_without_boto3_the_command_names_the_tools_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` raises ImportError
    assert main(["--config", str(CONFIG)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"eks-blueprint-preflight: boto3 is not installed; the AWS checks need the "
                   f"tools extra: {TOOLS_INSTALL}"]


def test_the_console_script_and_module_entry_points_exist() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["eks-blueprint-preflight"].partition(":")
    assert getattr(__import__(module, fromlist=[name]), name) is main
    assert (ROOT / "eks_blueprint" / "preflight" / "__main__.py").is_file()
