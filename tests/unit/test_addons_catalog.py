"""The add-on table (eks_blueprint/addons/catalog.py) drives the config, the props, the
construct and the README: every hand-written copy is checked against it here."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import get_args

import pytest

from eks_blueprint.addons.catalog import BY_FIELD, CATALOG, addon, default_on, readme_rows
from eks_blueprint.addons.versions import ADDON_NAMES, CHARTS, STORAGE_ADDONS, ChartName
from eks_blueprint.config.addons import MANAGED_ADDON_FIELDS, AddonsConfig

ROOT = Path(__file__).resolve().parents[2]


def documents() -> list[Path]:
    """The hand-maintained documentation: the README and the docs site's pages."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_every_name_is_spelt_once() -> None:
    assert len({s.field for s in CATALOG}) == len(CATALOG)
    assert len({s.name for s in CATALOG}) == len(CATALOG)
    assert len({s.construct_id for s in CATALOG}) == len(CATALOG)
    managed = [s.name for s in CATALOG if s.kind == "managed"]
    charts = [s.name for s in CATALOG if s.kind == "chart"]
    # The storage drivers are installed by eks_blueprint.storage, not by Addons.
    assert sorted(managed) == sorted(set(ADDON_NAMES) - set(STORAGE_ADDONS))
    assert sorted(charts) == sorted(get_args(ChartName)) == sorted(CHARTS)


def test_the_config_model_has_one_field_per_addon_with_the_catalog_default() -> None:
    assert set(AddonsConfig.model_fields) == set(BY_FIELD)
    config = AddonsConfig()
    for spec in CATALOG:
        section = getattr(config, spec.field)
        if spec.default is None:
            assert "enabled" not in type(section).model_fields, spec.field
        else:
            assert section.enabled is spec.default, spec.field
    assert {s.field: s.name for s in CATALOG if s.kind == "managed"} == MANAGED_ADDON_FIELDS


def test_installed_and_needs_kubectl_follow_the_catalog() -> None:
    default = AddonsConfig()
    assert set(default.installed()) == {
        s.name for s in CATALOG if s.kind == "managed" and s.default is not False
    }
    assert default.needs_kubectl  # EBS CSI's StorageClass and the Load Balancer Controller
    bare = AddonsConfig.model_validate(
        {s.field: {"enabled": False} for s in CATALOG if s.default is not None}
    )
    assert set(bare.installed()) == {s.name for s in CATALOG if s.default is None}
    assert not bare.needs_kubectl


def test_props_flags_and_defaults_come_from_the_catalog() -> None:
    from eks_blueprint.addons.addons import AddonsProps

    fields = {f.name: f for f in dataclasses.fields(AddonsProps)}
    for spec in CATALOG:
        if spec.default is None:
            assert spec.prop == ""
            continue
        assert spec.prop in fields, spec.prop
        default = fields[spec.prop].default
        assert (default is not None and default is not False) is spec.default, spec.prop
        if isinstance(default, bool):
            assert default is default_on(spec.prop)


def test_readiness_addons_are_always_installed_and_need_no_kubectl() -> None:
    readiness = [s for s in CATALOG if s.before_compute]
    assert {s.name for s in readiness} == {"vpc-cni", "kube-proxy", "eks-pod-identity-agent"}
    assert all(s.default is None and not s.needs_kubectl for s in readiness)
    assert addon("coredns").default is None and not addon("coredns").before_compute


def test_roles_name_their_service_account() -> None:
    for spec in CATALOG:
        assert (spec.role == "pod-identity") is (spec.service_account is not None), spec.field
    assert addon("vpc_cni").service_account == "aws-node"


def test_unknown_field_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"no add-on 'ebs' in the catalog; known: .*ebs_csi_driver"):
        addon("ebs")
    with pytest.raises(KeyError, match="no switchable add-on"):
        default_on("vpc_cni")


def test_readme_rows_have_one_row_per_addon() -> None:
    rows = readme_rows()
    assert len(rows) == 2 + len(CATALOG)
    assert all(row.count("|") == rows[0].count("|") for row in rows)
    for spec, row in zip(CATALOG, rows[2:], strict=True):
        assert row.startswith(f"| `{spec.name}` |") and f"`{spec.field}`" in row


def test_documented_addon_tables_are_the_generated_one() -> None:
    header = readme_rows()[0]
    found = 0
    for path in documents():
        text = path.read_text(encoding="utf-8")
        if header not in text:
            continue
        found += 1
        table = _leading_table(text[text.index(header) :].splitlines())
        assert table == readme_rows(), (
            f"{path.relative_to(ROOT)}: paste eks_blueprint.addons.catalog.readme_rows() again"
        )
    if not found:
        pytest.skip(
            "no README or docs page has the generated add-on table yet: paste "
            "eks_blueprint.addons.catalog.readme_rows() there (then this test compares them)"
        )


def _leading_table(lines: list[str]) -> list[str]:
    table = []
    for line in lines:
        if not line.startswith("|"):
            break
        table.append(line)
    return table

