"""Deployability rule on tags (EKSDEP10): count, key and value lengths, the reserved aws:
prefix and the characters every service accepts; stack tags propagate and count."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from ...template import ResourceRef, as_list
from ..catalog import DEPLOYABILITY
from ..lengths import Longest, known, visible
from ..model import ANY_TYPE, Verdict
from ..model import Level as L
from .common import Measured, judge

#: Tagging AWS resources, tag naming limits and requirements
#: (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html): at most 50
#: user-created tags per resource, keys up to 128 and values up to 256 Unicode characters,
#: the aws: prefix is reserved, and the characters every service accepts are letters,
#: numbers, spaces and _ . : / = + - @.
TAGS_PER_RESOURCE = 50
TAG_KEY_LENGTH = 128
TAG_VALUE_LENGTH = 256
TAG_SYMBOLS = set("_.:/=+-@")


def tag_pairs(value: Any) -> list[tuple[Any, Any]] | None:
    """(key, value) pairs of a Tags property: a list of {Key, Value} or a map; None when
    the property is computed at deploy time."""
    if isinstance(value, Mapping):
        if len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref")):
            return None
        return list(value.items())
    if isinstance(value, list):
        pairs = []
        for item in value:
            if isinstance(item, Mapping) and "Key" in item:
                pairs.append((item.get("Key"), item.get("Value", "")))
            elif not (isinstance(item, Mapping) and item == {"Ref": "AWS::NoValue"}):
                return None
        return pairs
    return None


def _tag_sets(res: ResourceRef) -> Iterator[tuple[str, Any, bool]]:
    """(where, tags property, whether stack tags add to it) for every tag list of a resource:
    ``Tags``, and the ``TagSpecifications`` of launch templates."""
    props = res.properties
    if "Tags" in props:
        yield "Tags", props["Tags"], True
    for where, specs in (("TagSpecifications", props.get("TagSpecifications")),
                         ("LaunchTemplateData.TagSpecifications",
                          (props.get("LaunchTemplateData") or {}).get("TagSpecifications")
                          if isinstance(props.get("LaunchTemplateData"), Mapping) else None)):
        for index, spec in enumerate(as_list(specs)):
            if isinstance(spec, Mapping) and "Tags" in spec:
                kind = spec.get("ResourceType", index)
                yield f"{where}[{kind}]", spec["Tags"], False


def _bad_tag_characters(text: str) -> list[str]:
    bad = []
    for ch in known(text):
        category = unicodedata.category(ch)
        if ch.isalnum() or category.startswith(("L", "N", "Z")) or ch in TAG_SYMBOLS:
            continue
        bad.append(ch)
    return sorted(set(bad))


@DEPLOYABILITY.rule(
    "EKSDEP10", L.ERROR, ANY_TYPE,
    "A resource's tags break the tagging limits.",
    "Services refuse more than 50 user tags per resource (stack tags propagate and "
    "count), keys over 128 or values over 256 characters, the reserved aws: prefix, "
    "and characters other than letters, digits, white space and _ . : / = + - @. "
    "Fix: drop or shorten tags (Tags.of(...).remove / exclude_resource_types).")
def resource_tags(res: ResourceRef) -> Verdict:
    """EKSDEP10: tags fit the tagging limits: at most 50 per resource (with the stack's
    propagated tags), keys up to 128 and values up to 256 characters, no ``aws:`` prefix, and
    only letters, digits, white space and ``_ . : / = + - @``."""
    if res.type.startswith(("Custom::", "AWS::CloudFormation::", "AWS::CDK::")):
        return Verdict.na("not an AWS resource with tags")
    sets = list(_tag_sets(res))
    if not sets:
        return Verdict.na("no tags")
    for where, raw, _ in sets:
        if tag_pairs(raw) is None:
            return Verdict.unresolved(f"{where} is computed at deploy time")
    return judge(res.view, lambda longest: _tag_problems(res, sets, longest))


def _tag_problems(res: ResourceRef, sets: list[tuple[str, Any, bool]],
                  longest: Longest) -> Verdict | Measured:
    problems: list[str] = []
    for where, raw, with_stack in sets:
        keys: dict[str, str] = {}
        for raw_key, raw_value in tag_pairs(raw) or []:
            key = longest.text(raw_key)
            value = longest.text(raw_value) if raw_value is not None else ""
            if key is None or value is None:
                return Verdict.unresolved(f"{where}: a tag key or value is not a string")
            keys[key] = value
        stack_only = {k: v for k, v in res.view.stack_tags.items() if k not in keys} \
            if with_stack else {}
        user = [k for k in [*keys, *stack_only] if not k.lower().startswith("aws:")]
        if len(user) > TAGS_PER_RESOURCE:
            extra = f", {len(stack_only)} of them from the stack" if stack_only else ""
            problems.append(f"{where}: {len(user)} tags{extra}, over the limit of "
                            f"{TAGS_PER_RESOURCE} per resource")
        for key, value in keys.items():
            shown = visible(key, 40)
            if not key:
                problems.append(f"{where}: an empty tag key")
            if key.lower().startswith("aws:"):
                problems.append(f"{where}: tag key {shown!r} uses the reserved aws: prefix")
            if len(key) > TAG_KEY_LENGTH:
                problems.append(f"{where}: tag key {shown!r} is {len(key)} characters, over "
                                f"{TAG_KEY_LENGTH}")
            if len(value) > TAG_VALUE_LENGTH:
                problems.append(f"{where}: value of tag {shown!r} is {len(value)} characters, "
                                f"over {TAG_VALUE_LENGTH}")
            bad = _bad_tag_characters(key) + _bad_tag_characters(value)
            if bad:
                problems.append(f"{where}: tag {shown!r} uses characters not allowed in tags: "
                                f"{' '.join(repr(c) for c in sorted(set(bad)))}")
    return problems, ""
