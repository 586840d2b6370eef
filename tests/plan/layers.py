"""Test helper: the items of the Kubernetes layers of a template, as the dicts the template
holds, so that a test edits a chart's version or a manifest in place (what
``Custom::AWSCDK-EKS-HelmChart`` / ``-KubernetesResource`` resources were edited for before
the layers)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from eks_blueprint.template import LAYER_TYPE


def _resources(source: Any) -> Iterable[dict[str, Any]]:
    """Resource definitions of a template dict, a ``Resources`` dict, a StackTemplate, or
    anything with ``stacks`` (PlanInputs)."""
    stacks = getattr(source, "stacks", None)
    if stacks is not None:
        for stack in stacks:
            yield from _resources(stack)
        return
    template = getattr(source, "template", source)
    resources = template.get("Resources", template) if isinstance(template, dict) else {}
    yield from resources.values()


def layer_item_dicts(source: Any, type_: str | None = None) -> Iterator[dict[str, Any]]:
    """Every item (its property dict, editable in place) of every layer in `source`; only
    ``manifest``, ``chart`` or ``patch`` items when `type_` is given."""
    for resource in _resources(source):
        if not isinstance(resource, dict) or resource.get("Type") != LAYER_TYPE:
            continue
        for item in resource.get("Properties", {}).get("Items", []):
            if type_ is None or item.get("Type") == type_:
                yield item


def chart_items(source: Any) -> Iterator[dict[str, Any]]:
    """The property dicts of every ``chart`` item (Chart, Version, Release, Values...)."""
    return layer_item_dicts(source, "chart")


def manifest_items(source: Any) -> Iterator[dict[str, Any]]:
    """The property dicts of every ``manifest`` item (Manifest: JSON text or Fn::Join)."""
    return layer_item_dicts(source, "manifest")
