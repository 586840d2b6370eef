"""Which property changes make CloudFormation replace a resource, decided offline.

CloudFormation's resource-provider schemas list `createOnlyProperties`: changing one of them
(or anything under it) replaces the resource. cfn-lint ships those schemas for every region,
so the answer needs no AWS account: `providers/<region>.json` maps a resource type to a
schema file in `resources/`. Some types also declare `conditionalCreateOnlyProperties`,
which replace the resource only in some cases; the report calls those "may replace".

This project's own custom resource has no registry schema; its handler decides the same way
(:data:`OWN_RULES`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..template import LAYER_TYPE

#: The region whose schema index is used when a stack's region has none of its own.
FALLBACK_REGION = "us-east-1"


@dataclass(frozen=True)
class ReplacementRules:
    """The create-only property paths of one resource type, as lists of path segments.

    A segment `*` stands for every item of a list, as in the schemas.
    """

    create_only: tuple[tuple[str, ...], ...]
    conditional: tuple[tuple[str, ...], ...]


#: Create-only properties of this project's custom resources. A Kubernetes layer's physical id
#: is ``<ClusterName>/<Layer>`` (eks_blueprint.kubernetes.handler.layer_plan.physical_id):
#: changing either gives a new one, and CloudFormation then deletes the old layer.
OWN_RULES: dict[str, ReplacementRules] = {
    LAYER_TYPE: ReplacementRules(create_only=(("ClusterName",), ("Layer",)), conditional=()),
}


def _parse_paths(paths: list[str] | None) -> tuple[tuple[str, ...], ...]:
    parsed: list[tuple[str, ...]] = []
    for path in paths or []:
        parts = path.split("/")
        # "/properties/ResourcesVpcConfig/SubnetIds" -> ("ResourcesVpcConfig", "SubnetIds")
        if len(parts) >= 3 and parts[1] == "properties":
            parsed.append(tuple(parts[2:]))
    return tuple(parsed)


@cache
def _schema_dir() -> Path | None:
    """cfn-lint's bundled schemas, found without importing cfn-lint (which is slow to import)."""
    import importlib.util

    spec = importlib.util.find_spec("cfnlint")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "schemas"
    return path if (path / "providers").is_dir() else None


@cache
def _provider_index(region: str) -> dict[str, str]:
    root = _schema_dir()
    if root is None:
        return {}
    path = root / "providers" / f"{region}.json"
    if not path.exists():
        path = root / "providers" / f"{FALLBACK_REGION}.json"
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def _rules_from_file(schema_file: str) -> ReplacementRules:
    root = _schema_dir()
    assert root is not None  # only called after the index was found
    schema: dict[str, Any] = json.loads(
        (root / "resources" / f"{schema_file}.json").read_text(encoding="utf-8")
    )
    return ReplacementRules(
        create_only=_parse_paths(schema.get("createOnlyProperties")),
        conditional=_parse_paths(schema.get("conditionalCreateOnlyProperties")),
    )


def replacement_rules(resource_type: str, region: str | None = None) -> ReplacementRules | None:
    """The create-only paths of `resource_type`, or None when no schema is known for it
    (custom resources, third-party types, or cfn-lint not installed). Loaded lazily, cached.
    This project's own custom resources answer from :data:`OWN_RULES`.
    """
    own = OWN_RULES.get(resource_type)
    if own is not None:
        return own
    index = _provider_index(region or FALLBACK_REGION)
    schema_file = index.get(resource_type)
    if schema_file is None and region not in (None, FALLBACK_REGION):
        schema_file = _provider_index(FALLBACK_REGION).get(resource_type)
    if schema_file is None:
        return None
    return _rules_from_file(schema_file)


def schemas_available() -> bool:
    """True when cfn-lint's schemas are installed, so replacement can be decided."""
    return _schema_dir() is not None
