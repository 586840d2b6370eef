"""Supported Kubernetes versions: one list (eks_blueprint.addons.versions), and a check of
every copy that cannot import it (packaging files, the README)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from eks_blueprint.addons.versions import (
    ADDON_NAMES,
    ADDON_VERSIONS,
    SUPPORTED_KUBERNETES_VERSIONS,
    check_kubernetes_version,
    kubectl_layer_module,
    kubectl_layer_package,
)
from eks_blueprint.config import SUPPORTED_KUBERNETES_VERSIONS as CONFIG_VERSIONS

ROOT = Path(__file__).resolve().parents[2]


def test_one_list() -> None:
    assert CONFIG_VERSIONS is SUPPORTED_KUBERNETES_VERSIONS
    assert list(SUPPORTED_KUBERNETES_VERSIONS) == sorted(
        SUPPORTED_KUBERNETES_VERSIONS, key=lambda v: tuple(map(int, v.split(".")))
    )
    assert all(re.fullmatch(r"1\.\d\d", v) for v in SUPPORTED_KUBERNETES_VERSIONS)


def test_addon_table_covers_every_version_and_addon() -> None:
    assert tuple(ADDON_VERSIONS) == SUPPORTED_KUBERNETES_VERSIONS
    for table in ADDON_VERSIONS.values():
        assert tuple(table) == ADDON_NAMES


def test_layer_names() -> None:
    assert kubectl_layer_package("1.34") == "aws-cdk.lambda-layer-kubectl-v34"
    assert kubectl_layer_module("1.35") == ("aws_cdk.lambda_layer_kubectl_v35", "KubectlV35Layer")
    with pytest.raises(ValueError, match=r"Kubernetes version '1\.19' is not supported; use one of 1\.32"):
        kubectl_layer_package("1.19")
    with pytest.raises(ValueError, match="not supported"):
        check_kubernetes_version("1.34.0")


def _requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~ \[;]", r, maxsplit=1)[0].lower() for r in requirements}


def test_pyproject_offers_the_layer_of_every_supported_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    offered = _requirement_names(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        offered |= _requirement_names(extra)
    missing = [
        kubectl_layer_package(v)
        for v in SUPPORTED_KUBERNETES_VERSIONS
        if kubectl_layer_package(v) not in offered
    ]
    assert not missing, f"pyproject.toml offers no {missing} (a dependency or an extra)"
    layers = {n for n in offered if n.startswith("aws-cdk.lambda-layer-kubectl-v")}
    stale = sorted(layers - {kubectl_layer_package(v) for v in SUPPORTED_KUBERNETES_VERSIONS})
    assert not stale, f"pyproject.toml still offers layers of unsupported versions: {stale}"


def test_requirements_pin_the_layer_of_every_supported_version() -> None:
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pinned = _requirement_names([line for line in lines if line and not line.startswith("#")])
    missing = [
        kubectl_layer_package(v)
        for v in SUPPORTED_KUBERNETES_VERSIONS
        if kubectl_layer_package(v) not in pinned
    ]
    assert not missing, f"requirements.txt pins no {missing}"


def test_every_layer_module_is_installed() -> None:
    import importlib

    for version in SUPPORTED_KUBERNETES_VERSIONS:
        module, layer = kubectl_layer_module(version)
        assert hasattr(importlib.import_module(module), layer), version


def test_documentation_quotes_only_supported_versions() -> None:
    """The README and docs (written by hand) quote versions in examples and the
    `cluster.version` row: each must be supported, and the row must name the range's ends."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        mentioned = set(re.findall(r'"(1\.\d\d)"', text))
        assert mentioned <= set(SUPPORTED_KUBERNETES_VERSIONS), (page, sorted(mentioned))
        for row in re.finditer(r'`"(1\.\d\d)"`\.\.`"(1\.\d\d)"`', text):
            ends = (SUPPORTED_KUBERNETES_VERSIONS[0], SUPPORTED_KUBERNETES_VERSIONS[-1])
            assert row.groups() == ends, page
