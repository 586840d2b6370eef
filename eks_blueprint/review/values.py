"""Diff helpers over template values: asset-hash masking, leaf-level diffs, schema paths.

Reading values (intrinsics, references, the readable form) is the shared template model's
(:mod:`eks_blueprint.template`); this module only adds what comparing two templates needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..template import display, intrinsic

#: CDK asset hashes (S3 object keys, ECR image tags, nested template URLs) are SHA-256 hex.
ASSET_HASH = re.compile(r"[0-9a-f]{64}")
ASSET_PLACEHOLDER = "<asset-hash>"
ABSENT = object()
"""Marks a value that does not exist on one side of a diff."""

__all__ = ["ABSENT", "ASSET_HASH", "ASSET_PLACEHOLDER", "leaf_changes", "mask_assets", "render",
           "shorten", "values_at"]


def mask_assets(value: Any) -> Any:
    """`value` with every 64-hex asset hash replaced, so asset-only changes compare equal."""
    if isinstance(value, str):
        return ASSET_HASH.sub(ASSET_PLACEHOLDER, value)
    if isinstance(value, list):
        return [mask_assets(v) for v in value]
    if isinstance(value, dict):
        return {k: mask_assets(v) for k, v in value.items()}
    return value


def render(value: Any) -> str:
    """A compact, readable form (:func:`eks_blueprint.template.display`); ``(absent)`` for a
    value that does not exist on one side of a diff."""
    return "(absent)" if value is ABSENT else display(value)


def shorten(text: str, limit: int = 80) -> str:
    """`text` on one line, cut in the middle past `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    keep = (limit - 1) // 2
    return f"{text[:keep]}…{text[-(limit - 1 - keep) :]}"


def _is_tag_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, dict) and set(v) == {"Key", "Value"} for v in value)
    )


def leaf_changes(old: Any, new: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """The changed leaves between two values, as (dotted path, old, new).

    Objects are compared key by key; tag lists ([{Key, Value}]) tag by tag (`Tags[owner]`);
    lists of objects of equal length item by item (`EncryptionConfig[0].Provider`); other
    lists and intrinsic functions as a whole.
    """
    if old == new:
        return
    if (_is_tag_list(old) and _is_tag_list(new)) or (
        (_is_tag_list(old) and new is ABSENT) or (old is ABSENT and _is_tag_list(new))
    ):
        old_tags = {t["Key"]: t["Value"] for t in old} if old is not ABSENT else {}
        new_tags = {t["Key"]: t["Value"] for t in new} if new is not ABSENT else {}
        for key in sorted(set(old_tags) | set(new_tags), key=str):
            yield from leaf_changes(
                old_tags.get(key, ABSENT), new_tags.get(key, ABSENT), f"{path}[{key}]"
            )
        return
    if _is_object(old) and _is_object(new) and (old is not ABSENT or new is not ABSENT):
        before = old if isinstance(old, dict) else {}
        after = new if isinstance(new, dict) else {}
        children = [
            leaf
            for key in list(before) + [k for k in after if k not in before]
            for leaf in leaf_changes(
                before.get(key, ABSENT), after.get(key, ABSENT), f"{path}.{key}" if path else key
            )
        ]
        yield from children or [(path, old, new)]
        return
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and len(old) == len(new)
        and all(isinstance(v, dict) and intrinsic(v) is None for v in old + new)
    ):
        for index, (o, n) in enumerate(zip(old, new, strict=True)):
            yield from leaf_changes(o, n, f"{path}[{index}]")
        return
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and all(isinstance(v, dict) for v in old + new)
        and (len(old) != len(new) or any(v not in new for v in old))
    ):
        # Lists of objects (e.g. SecurityGroupIngress rules): which items came and went.
        for item in old:
            if item not in new:
                yield f"{path}[-]", item, ABSENT
        for item in new:
            if item not in old:
                yield f"{path}[+]", ABSENT, item
        return
    yield path, old, new


def _is_object(value: Any) -> bool:
    """A plain JSON object (not an intrinsic function), or ABSENT."""
    return value is ABSENT or (isinstance(value, dict) and intrinsic(value) is None)


def values_at(value: Any, segments: tuple[str, ...]) -> list[Any]:
    """Every value at a schema path (`*` = each list item); ABSENT where the path ends early."""
    if not segments:
        return [value]
    head, rest = segments[0], segments[1:]
    if head == "*":
        if isinstance(value, list):
            return [v for item in value for v in values_at(item, rest)] or [ABSENT]
        return [ABSENT]
    if isinstance(value, dict) and intrinsic(value) is None:
        return values_at(value.get(head, ABSENT), rest)
    if value is ABSENT or value is None:
        return [ABSENT]
    # An intrinsic (e.g. Fn::If) stands where an object was expected: compare it whole.
    return [value]
