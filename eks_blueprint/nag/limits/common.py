"""What the deployability checks share: measuring values at their longest, judging a
measurement (certain, or unresolved when unbounded values decide it), names and JSON
documents."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ...template import PLACEHOLDER, ResourceRef, TemplateView
from ..lengths import FILLER, Longest, known, visible
from ..model import Verdict


def counted(longest: Longest) -> str:
    """What a measurement assumed, for the end of a finding."""
    summary = longest.summary()
    return f" (deploy-time values counted at their longest: {summary})" if summary else ""


#: What a check found: its problems, and what it measured (the compliant verdict's text).
Measured = tuple[list[str], str]


def measured(size: int, limit: int, unit: str, over: str) -> Measured:
    """``size`` (of ``unit``) against ``limit``: compliant, ``"<size> of <limit> <unit>"``, or
    the problem ``over``."""
    if size <= limit:
        return [], f"{size:,} of {limit:,} {unit}"
    return [over], ""


def judge(view: TemplateView, check: Callable[[Longest], Verdict | Measured]) -> Verdict:
    """Run ``check`` with every deploy-time value at its longest.

    A problem is certain when it remains with the values the renderer could not bound
    (an unknown type, an import from a template not loaded) counted as one character; if it
    then goes away, the verdict is unresolved instead of a guess. ``check`` may also answer a
    verdict directly (not applicable, a property computed at deploy time).
    """
    longest = Longest(view)
    result = check(longest)
    if isinstance(result, Verdict):
        return result
    problems, measured = result
    if not problems:
        return Verdict.ok(measured)
    shown = problems if len(problems) <= 6 else [*problems[:6],
                                                 f"and {len(problems) - 6} more"]
    message = "; ".join(shown) + counted(longest)
    if longest.unknowns:
        shortest = check(Longest(view, unknown_length=1))
        if not isinstance(shortest, Verdict) and not shortest[0]:
            return Verdict.unresolved(f"{message}; values that could not be bounded decide "
                                      "it, so it may fit")
    return Verdict.fail(message)


def points_at(owner: TemplateView, value: Any, target: ResourceRef,
               literal_names: set[str]) -> bool:
    """Whether ``value`` (in template ``owner``) names ``target``: a reference that resolves to
    it, or a literal equal to one of its names."""
    found = owner.deref(value)
    if isinstance(found, ResourceRef):
        return found.view is target.view and found.logical_id == target.logical_id
    text = owner.render(value)
    return text is not None and text in literal_names


def literal_names(res: ResourceRef, *properties: str) -> set[str]:
    names = set()
    for prop in properties:
        text = res.view.render(res.properties.get(prop))
        if text is not None and PLACEHOLDER not in text:
            names.add(text)
    return names


def json_document(value: Any) -> Any:
    """A policy document property: JSON object, or JSON text parsed."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def name_problems(longest: Longest, raw: Any, label: str, limit: int,
                   pattern: re.Pattern[str] | None) -> list[str]:
    """Problems of one name-like value: longer than ``limit`` or not matching ``pattern``."""
    if raw is None:
        return []
    text = longest.text(raw)
    if text is None:
        return [f"{label} is not a string ({json.dumps(raw, default=str)[:60]})"]
    problems = []
    if len(text) > limit:
        at = " at the longest" if FILLER in text else ""
        problems.append(f"{label} is {len(text)} characters{at}, over the limit of {limit}: "
                        f"{visible(text)}")
    if pattern is not None and text and not pattern.match(known(text)):
        problems.append(f"{label} {visible(text)!r} has characters or a form the service "
                        f"refuses (allowed: {pattern.pattern})")
    if not text:
        problems.append(f"{label} is empty")
    return problems
