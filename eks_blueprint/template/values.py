"""Plain helpers over CloudFormation values: flattening lists, reading booleans and integers
written either way, digging into nested properties, spotting intrinsic functions and the
logical ids they refer to, and a readable one-line form for people.

Evaluation (what a value *is*) lives in :mod:`eks_blueprint.template.view`; this module only
reads shapes. Pure Python: no ``aws_cdk``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

#: Stands in for a value that is only known at deploy time inside rendered strings.
PLACEHOLDER = "${?}"

#: Intrinsic functions whose value is only known at deploy time (or depends on a condition,
#: a mapping or a list the renderer does not evaluate): rendered as :data:`PLACEHOLDER`.
DEPLOY_TIME_FUNCTIONS = frozenset({
    "Ref", "Fn::GetAtt", "Fn::ImportValue", "Fn::Select", "Fn::If", "Fn::FindInMap",
    "Fn::GetAZs", "Fn::Base64", "Fn::Split",
})


def as_list(value: Any) -> list[Any]:
    """A property that may be a single value or a list, as a list (None gives [])."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def as_bool(value: Any) -> bool | None:
    """CloudFormation booleans may be ``true`` or ``"true"``; None when neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    """CloudFormation integers may be numbers or numeric strings; None when neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def dig(mapping: Any, *keys: str) -> Any:
    """``mapping[k1][k2]...``, or None when any level is missing or not a mapping."""
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def intrinsic(value: Any) -> tuple[str, Any] | None:
    """(function name, argument) if ``value`` is an intrinsic like ``{"Ref": x}``, else None."""
    if isinstance(value, Mapping) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref" or key.startswith("Fn::") or key == "Condition":
            return str(key), arg
    return None


def getatt_target(arg: Any) -> str | None:
    """The logical id named by a ``Fn::GetAtt`` argument (list or ``"Id.Attr"`` form)."""
    if isinstance(arg, list) and arg and isinstance(arg[0], str):
        return arg[0]
    if isinstance(arg, str) and "." in arg:
        return arg.split(".", 1)[0]
    return None


def render_text(value: Any) -> str | None:
    """Render a string-valued expression, with :data:`PLACEHOLDER` for deploy-time parts.

    Handles literals, ``Fn::Join``, ``Fn::Sub`` (kept as its template text, so
    ``${AWS::Partition}`` stays visible), the :data:`DEPLOY_TIME_FUNCTIONS` (placeholders)
    and numbers/booleans. Returns None for values that are not strings at all (lists, maps).
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            sep, parts = arg
            if isinstance(sep, str) and isinstance(parts, list):
                rendered = [render_text(p) for p in parts]
                return sep.join(PLACEHOLDER if r is None else r for r in rendered)
        if fn == "Fn::Sub":
            text = arg[0] if isinstance(arg, list) and arg else arg
            return text if isinstance(text, str) else PLACEHOLDER
        if fn in DEPLOY_TIME_FUNCTIONS:
            return PLACEHOLDER
    return None


def parse_json_text(value: Any, render: Callable[[Any], str | None] | None = None) -> Any:
    """The JSON document a string-valued expression holds (Helm values, add-on
    configuration, a ``Custom::AWSCDKCfnJson`` value), rendered with `render` (default
    :func:`render_text`); None when the value is not a string or not JSON."""
    text = (render or render_text)(value)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def literal(value: Any) -> str | None:
    """A string known at synth time, or None when absent or (partly) deploy-time."""
    text = render_text(value)
    return None if text is None or PLACEHOLDER in text else text


def display(value: Any) -> str:
    """A compact form for people (review comments): references stay visible by name.

    ``Ref`` and ``Fn::GetAtt`` read ``${Id}`` / ``${Id.Attr}``, ``Fn::Join`` is joined,
    ``Fn::Sub`` shows its template text, other functions ``Fn::X(arg)``, the rest JSON.
    """
    if isinstance(value, str):
        return value
    found = intrinsic(value)
    if found is not None:
        name, arg = found
        if name == "Ref":
            return f"${{{arg}}}"
        if name == "Fn::GetAtt":
            target = ".".join(str(a) for a in arg) if isinstance(arg, list) else str(arg)
            return f"${{{target}}}"
        if name == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            sep, parts = arg
            if isinstance(parts, list):
                return str(sep).join(p if isinstance(p, str) else display(p) for p in parts)
        if name == "Fn::Sub" and isinstance(arg, str):
            return arg
        if name == "Fn::GetStackOutput" and isinstance(arg, Mapping):
            return f"${{{arg.get('StackName')}.{arg.get('OutputName')}}}"
        return f"{name}({display(arg)})"
    if isinstance(value, list):
        return "[" + ", ".join(display(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {display(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def references(value: Any) -> set[str]:
    """Logical ids that ``value`` refers to through ``Ref``, ``Fn::GetAtt`` or ``Fn::Sub``."""
    found: set[str] = set()
    fn = intrinsic(value)
    if fn is not None:
        name, arg = fn
        if name == "Ref" and isinstance(arg, str):
            found.add(arg)
        elif name == "Fn::GetAtt":
            target = arg[0] if isinstance(arg, list) and arg else str(arg).split(".")[0]
            found.add(str(target))
        elif name == "Fn::Sub":
            text = arg[0] if isinstance(arg, list) and arg else arg
            if isinstance(text, str):
                found.update(m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text))
    if isinstance(value, Mapping):
        for v in value.values():
            found |= references(v)
    elif isinstance(value, list):
        for v in value:
            found |= references(v)
    return found
