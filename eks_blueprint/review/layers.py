"""Kubernetes layers in the review: what changes per item, not per list position.

A cluster's manifests, charts and patches are the ``Items`` of at most four
``Custom::EksBlueprint-KubernetesLayer`` resources (:data:`~eks_blueprint.template.LAYER_TYPE`).
Compared as plain properties, a layer would show ``Items[7].Manifest`` changed, or one
``Items`` list replaced by another. Here each item is matched by its ``Id`` (its construct
path, unique in a stack) across every layer of the stack and reported as a change of its
own, named ``<layer's logical id>[<item id>]`` (:func:`~eks_blueprint.template.applied_by`),
with type ``Custom::EksBlueprint-KubernetesLayer:<manifest|chart|patch>``: added, removed,
or modified with its changed properties (``Version``, ``Manifest``, ``After``...). An item
found in another layer of the same stack has moved; it is one change, not a removal plus an
addition. The objects inside manifests are compared by
:mod:`eks_blueprint.review.kubernetes`, across the whole stack.

The layer itself stays a resource change, with the properties other than ``Items``
(``Elsewhere`` as identities added and removed). Its ``ClusterName`` and ``Layer`` are
create-only (:data:`eks_blueprint.review.schemas.OWN_RULES`): a layer replaced, or
removed, takes its items' objects with it (see :func:`layer_notes`).

Pure Python: no aws_cdk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..template import LAYER_TYPE, applied_by, layer_items
from .model import PropertyChange, ResourceChange
from .values import ABSENT, leaf_changes, mask_assets

#: Item properties that are the item's identity, not its content.
_IDENTITY = ("Id",)


def item_type(kind: str) -> str:
    """The ``resource_type`` of a change to one item: ``<LAYER_TYPE>:<kind>``."""
    return f"{LAYER_TYPE}:{kind}"


@dataclass(frozen=True)
class _Item:
    logical_id: str
    layer: str
    kind: str
    properties: dict[str, Any]

    def key(self, item_id: str) -> str:
        return applied_by(self.logical_id, item_id)


def _items(resources: Mapping[str, Any]) -> dict[str, _Item]:
    """Item id -> the item (properties without its Id, asset hashes masked)."""
    found: dict[str, _Item] = {}
    for item in layer_items(resources):
        props = {k: v for k, v in mask_assets(dict(item.properties)).items() if k not in _IDENTITY}
        found[item.id] = _Item(item.logical_id, item.layer, item.type, props)
    return found


def _is_layer(resource: Any) -> bool:
    return isinstance(resource, Mapping) and resource.get("Type") == LAYER_TYPE


def item_changes(
    old_resources: Mapping[str, Any],
    new_resources: Mapping[str, Any],
    replaced: Mapping[str, tuple[str, str]] | None = None,
) -> list[ResourceChange]:
    """One change per layer item added, removed, modified or moved to another layer, and
    for every item of a layer that is replaced (`replaced`: layer logical id -> (verdict,
    why), as the layer's own change says)."""
    replaced = replaced or {}
    old, new = _items(old_resources), _items(new_resources)
    changes: list[ResourceChange] = []
    for item_id in sorted(set(old) | set(new)):
        before, after = old.get(item_id), new.get(item_id)
        if before is None and after is not None:
            changes.append(
                ResourceChange(after.key(item_id), "add", item_type(after.kind), item=item_id)
            )
            continue
        if after is None and before is not None:
            changes.append(
                ResourceChange(before.key(item_id), "remove", item_type(before.kind), item=item_id)
            )
            continue
        assert before is not None and after is not None
        properties = [
            PropertyChange(path, a, b)
            for path, a, b in leaf_changes(before.properties, after.properties)
        ]
        moved = before.logical_id != after.logical_id
        layer_replaced = None if moved else replaced.get(after.logical_id)
        if not properties and not moved and layer_replaced is None:
            continue
        change = ResourceChange(
            after.key(item_id),
            "modify",
            item_type(after.kind),
            old_type=item_type(before.kind) if before.kind != after.kind else None,
            properties=properties,
            item=item_id,
        )
        if moved:
            note = (
                f"moved from {before.key(item_id)} (layer {before.layer or '?'}) to layer "
                f"{after.layer or '?'}"
            )
            if _is_layer(new_resources.get(before.logical_id)):
                note += (
                    ": the layers match objects by identity, so what it still applies is "
                    "not deleted"
                )
            else:
                note += (
                    f", and {before.logical_id} is removed: its Delete carries its last "
                    "properties and deletes this item's objects after the new layer applied "
                    "them"
                )
            change.notes.append(note)
        if layer_replaced is not None:
            verdict, why = layer_replaced
            change.replacement = "replace" if verdict == "replace" else "may-replace"
            state = "replaced" if verdict == "replace" else "may be replaced"
            change.reasons.append(
                f"its layer {after.logical_id} is {state} ({why}): every item is applied again"
            )
        changes.append(change)
    return changes


def layer_properties(
    old_props: Mapping[str, Any], new_props: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], list[PropertyChange]]:
    """A layer's properties to compare as any resource's (without ``Items``, which
    :func:`item_changes` reports, and ``Elsewhere``), and the changes of ``Elsewhere``: one
    per identity another layer now owns (``Elsewhere[+]``) or no longer owns
    (``Elsewhere[-]``)."""
    rest_old = {k: v for k, v in old_props.items() if k not in ("Items", "Elsewhere")}
    rest_new = {k: v for k, v in new_props.items() if k not in ("Items", "Elsewhere")}
    before, after = old_props.get("Elsewhere", ABSENT), new_props.get("Elsewhere", ABSENT)
    elsewhere: list[PropertyChange] = []
    if isinstance(before, list) and isinstance(after, list):
        old_set, new_set = {str(x) for x in before}, {str(x) for x in after}
        elsewhere += [PropertyChange("Elsewhere[-]", x, ABSENT) for x in sorted(old_set - new_set)]
        elsewhere += [PropertyChange("Elsewhere[+]", ABSENT, x) for x in sorted(new_set - old_set)]
    else:
        elsewhere += [
            PropertyChange(path, a, b) for path, a, b in leaf_changes(before, after, "Elsewhere")
        ]
    return rest_old, rest_new, elsewhere


def layer_notes(
    changes: list[ResourceChange],
    old_resources: Mapping[str, Any],
    new_resources: Mapping[str, Any],
) -> None:
    """Notes on the changes of layers themselves: a modified layer names how many of its
    items changed; a removed one what its Delete removes, including the items this change
    moves to another layer."""
    old, new = _items(old_resources), _items(new_resources)
    by_layer: dict[str, dict[str, int]] = {}
    for change in changes:
        if change.item:
            lid = change.logical_id[: -len(change.item) - 2]
            counts = by_layer.setdefault(lid, {"add": 0, "remove": 0, "modify": 0})
            counts[change.action] += 1
    for change in changes:
        if change.item or change.resource_type != LAYER_TYPE:
            continue
        lid = change.logical_id
        if change.action == "modify":
            found = by_layer.get(lid)
            if found:
                words = (("added", "add"), ("removed", "remove"), ("modified", "modify"))
                listed = ", ".join(f"{found[a]} {w}" for w, a in words if found[a])
                change.notes.append(
                    f"items: {listed} (each listed as {lid}[<item id>]); the layer's handler "
                    "applies them in one update"
                )
        elif change.action == "remove":
            mine = [item_id for item_id, item in old.items() if item.logical_id == lid]
            moved = sorted(i for i in mine if i in new)
            note = (
                f"its Delete removes every object, Helm release and patch of its "
                f"{len(mine)} item(s), except what the other layers owned at its last deploy"
            )
            if moved:
                note += (
                    f"; that includes {len(moved)} item(s) this change moves to another layer "
                    f"({', '.join(moved[:5])}{'...' if len(moved) > 5 else ''}): the Delete "
                    "carries the layer's last properties, so it deletes what the other layer "
                    "now applies"
                )
            change.notes.append(note)
