"""scripts/check_wheel.py (run by `make package`) finds what a broken wheel lacks or carries,
without building one: its checks run on a wheel's file list, entry points and metadata."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from .conftest import ROOT


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_wheel", ROOT / "scripts" / "check_wheel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECK = _script()
ENTRY_POINTS = "[console_scripts]\n" + "\n".join(f"{s} = x:main" for s in CHECK.SCRIPTS)
METADATA = (
    "Metadata-Version: 2.4\nName: eks-blueprint\nRequires-Dist: aws-cdk-lib<3,>=2.275.0\n"
    'Requires-Dist: boto3>=1.40; extra == "tools"\n'
    'Requires-Dist: aws-cdk.lambda-layer-kubectl-v34<3,>=2.2.2; extra == "kubectl-v34"\n'
)


def _complete() -> set[str]:
    names: set[str] = set(CHECK.REQUIRED) | CHECK.source_files()
    return names | {"eks_blueprint-0.2.0.dist-info/RECORD"}


def test_a_wheel_of_the_source_package_passes() -> None:
    assert CHECK.problems(_complete(), ENTRY_POINTS, METADATA) == []


def test_a_module_left_out_is_named() -> None:
    names = _complete() - {"eks_blueprint/control_plane.py"}
    (problem,) = CHECK.problems(names, ENTRY_POINTS, METADATA)
    assert "missing files" in problem and "eks_blueprint/control_plane.py" in problem


def test_a_stale_module_from_an_old_build_is_named() -> None:
    names = _complete() | {"eks_blueprint/removed_long_ago.py"}
    (problem,) = CHECK.problems(names, ENTRY_POINTS, METADATA)
    assert "stale" in problem and "removed_long_ago.py" in problem


def test_other_top_level_packages_and_bytecode_are_refused() -> None:
    names = _complete() | {"tests/__init__.py"}
    assert any("unexpected top-level" in p for p in CHECK.problems(names, ENTRY_POINTS, METADATA))


def test_tools_and_layers_must_be_extras() -> None:
    forced = METADATA + "Requires-Dist: boto3>=1.40\nRequires-Dist: cfn-lint<2,>=1.58\n"
    (problem,) = CHECK.problems(_complete(), ENTRY_POINTS, forced)
    assert "boto3" in problem and "cfn-lint" in problem


def test_undeclared_console_scripts_are_named() -> None:
    (problem,) = CHECK.problems(_complete(), "[console_scripts]\n", METADATA)
    assert "eks-blueprint-verify" in problem
