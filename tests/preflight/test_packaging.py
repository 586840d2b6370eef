"""preflight and verify as packages: their layout, their entry points, and boto3 from the
tools extra only."""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from eks_blueprint import preflight, verify
from eks_blueprint.checkrun import TOOLS_INSTALL
from tests.conftest import Command, Finished

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "dev.yaml"
#: Each command: its package name and its main().
COMMANDS: dict[str, Callable[[list[str]], int]] = {"preflight": preflight.main, "verify": verify.main}
commands = pytest.mark.parametrize("command", sorted(COMMANDS))


def test_check_names_are_unique() -> None:
    names = [c.name for c in preflight.CHECKS]
    assert len(set(names)) == len(names)


def _python(code: str) -> Command:
    """`python -c code` in the repository, run in the background (tests/conftest.py)."""
    return Command((sys.executable, "-c", code), cwd=ROOT)


def _each_command(probe: Callable[[str], Command]) -> pytest.MarkDecorator:
    """Parametrize over the commands, each test with its own background `probe(command)`."""
    return pytest.mark.parametrize(
        "command",
        [pytest.param(c, marks=pytest.mark.background(probe(c))) for c in sorted(COMMANDS)],
    )


@_each_command(
    lambda command: _python(
        f"import sys, eks_blueprint.{command}\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'boto3')]\n"
        "sys.exit(', '.join(loaded) or None)"
    )
)
def test_importing_the_command_loads_neither_aws_cdk_nor_boto3(
    command: str, background: Finished
) -> None:
    done = background.process
    assert done.returncode == 0, done.stderr


@commands
def test_without_boto3_the_command_names_the_tools_extra(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # `import boto3` raises ImportError
    assert COMMANDS[command](["--config", str(CONFIG)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"eks-blueprint-{command}: boto3 is not installed; the AWS checks need the "
                   f"tools extra: {TOOLS_INSTALL}"]
    assert TOOLS_INSTALL == "pip install 'eks-blueprint[tools]'"


@_each_command(
    lambda command: _python(
        "import runpy, sys\n"
        "sys.modules['boto3'] = sys.modules['botocore'] = None\n"
        f"sys.argv = ['x', '--config', {str(CONFIG)!r}]\n"
        f"runpy.run_module('eks_blueprint.{command}', run_name='__main__')\n"
    )
)
def test_without_boto3_and_botocore_the_module_runs_and_exits_2(
    command: str, background: Finished
) -> None:
    """As installed without the tools extra: neither boto3 nor botocore can be imported."""
    done = background.process
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().endswith(TOOLS_INSTALL) and len(done.stderr.splitlines()) == 1


@commands
def test_the_console_script_and_module_entry_points_exist(command: str) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts[f"eks-blueprint-{command}"].partition(":")
    assert getattr(__import__(module, fromlist=[name]), name) is COMMANDS[command]
    assert (ROOT / "eks_blueprint" / command / "__main__.py").is_file()
