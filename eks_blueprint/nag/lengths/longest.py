"""Render CloudFormation values at the longest they can be at deploy time: :class:`Longest`
(see the package's docstring)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from ...template import TemplateView, parse_json_text
from .references import References, parameter_of
from .shapes import FILLER, PSEUDO_PARAMETERS
from .text import short_json, visible

_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")
_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:[^}]*\}\}")


class Longest(References):
    """Renders values of a template at their longest and records what it assumed.

    One instance per measurement: :attr:`notes` collects the assumptions (``AWS::Region`` at
    15 characters, ``Ref Cluster`` at 100...) for the finding's message.
    """

    # ------------------------------------------------------------------ public API

    def text(self, value: Any, view: TemplateView | None = None) -> str | None:
        """The longest text a string-valued expression can have; None when it is not a string
        at all (a list or a map)."""
        view = view or self.view
        if isinstance(value, str):
            return self._literal(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, Mapping) or len(value) != 1:
            return None
        (fn, arg), = value.items()
        if fn == "Ref" and isinstance(arg, str):
            return self._ref(view, arg)
        if fn == "Fn::GetAtt":
            return self._getatt(view, arg)
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            separator, parts = arg
            items = self.strings(parts, view)
            if isinstance(separator, str) and items is not None:
                return separator.join(items)
            return self._unknown(f"Fn::Join {short_json(value)}")
        if fn == "Fn::Sub":
            return self._sub(view, arg)
        if fn == "Fn::Select" and isinstance(arg, list) and len(arg) == 2:
            return self._select(view, arg[0], arg[1])
        if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
            options = [self.text(arg[1], view), self.text(arg[2], view)]
            texts = [t for t in options if t is not None]
            return max(texts, key=len) if texts else None
        if fn == "Fn::FindInMap" and isinstance(arg, list) and len(arg) >= 3:
            return self._find_in_map(view, arg)
        if fn == "Fn::Base64":
            inner = self.text(arg, view) or ""
            return FILLER * (4 * math.ceil(len(inner) / 3))
        if fn in ("Fn::ImportValue", "Fn::GetStackOutput"):
            return self._import(view, value)
        if fn == "Fn::ToJsonString":
            return json.dumps(self.document(arg, view), separators=(",", ":"),
                              ensure_ascii=False)
        if fn == "Fn::Length":
            return FILLER * 10
        if fn == "Fn::GetAZs":
            return None
        return None

    def strings(self, value: Any, view: TemplateView | None = None) -> list[str] | None:
        """The longest items of a list-valued expression (a literal list, ``Fn::Split``,
        ``Fn::GetAZs``, ``Fn::If`` of lists...); None when it is not a list."""
        view = view or self.view
        if isinstance(value, list):
            out: list[str] = []
            for item in value:
                if _is_no_value(item):
                    continue
                nested = self.strings(item, view) if _is_list_function(item) else None
                if nested is not None:
                    out.extend(nested)
                    continue
                text = self.text(item, view)
                out.append(text if text is not None else self._unknown(short_json(item)))
            return out
        if isinstance(value, Mapping) and len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Fn::Split" and isinstance(arg, list) and len(arg) == 2:
                source = self.text(arg[1], view)
                if isinstance(arg[0], str) and arg[0] and source is not None:
                    return source.split(arg[0])
            if fn == "Fn::GetAZs":
                self.notes["Fn::GetAZs as zones of 16 characters"] += 1
                return [PSEUDO_PARAMETERS["AWS::Region"] + "a"] * 6
            if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                options = [self.strings(arg[1], view), self.strings(arg[2], view)]
                lists = [o for o in options if o is not None]
                return max(lists, key=lambda items: sum(map(len, items))) if lists else None
            if fn == "Ref" and isinstance(arg, str):
                parameter = parameter_of(view, arg)
                if parameter is not None and str(parameter.get("Type", "")).startswith(
                        ("List<", "CommaDelimitedList")):
                    return [self._parameter_text(arg, parameter)]
        return None

    def document(self, value: Any, view: TemplateView | None = None) -> Any:
        """A JSON structure (a policy document, a manifest) with every intrinsic rendered at
        its longest; ``AWS::NoValue`` entries are dropped, ``Custom::AWSCDKCfnJson`` values
        are parsed back to the JSON they hold."""
        view = view or self.view
        if isinstance(value, list):
            return [self.document(v, view) for v in value if not _is_no_value(v)]
        if isinstance(value, Mapping):
            if len(value) == 1:
                (fn, arg), = value.items()
                if fn == "Fn::GetAtt":
                    held = self._cfn_json(view, value)
                    if held is not None:
                        return held
                if fn == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                    branches = [self.document(b, view) for b in arg[1:] if not _is_no_value(b)]
                    return max(branches, key=lambda b: len(json.dumps(b, default=str)),
                               default=None)
                if fn.startswith("Fn::") or fn == "Ref":
                    listed = self.strings(value, view) if _is_list_function(value) else None
                    if listed is not None:
                        return listed
                    text = self.text(value, view)
                    return text if text is not None else self._unknown(short_json(value))
            return {str(self.document(k, view)) if not isinstance(k, str) else k:
                    self.document(v, view)
                    for k, v in value.items() if not _is_no_value(v)}
        if isinstance(value, str):
            return self._literal(value)
        return value

    def summary(self, limit: int = 4) -> str:
        """The assumptions, for a finding: ``AWS::Region as 15 (×3); Ref Cluster ...``."""
        if not self.notes:
            return ""
        items = [f"{note} (×{count})" if count > 1 else note
                 for note, count in self.notes.most_common()]
        more = len(items) - limit
        shown = "; ".join(items[:limit])
        return shown + (f"; and {more} more" if more > 0 else "")

    # ------------------------------------------------------------------ helpers

    def _literal(self, text: str) -> str:
        if "{{resolve:" in text:
            def dynamic(match: re.Match[str]) -> str:
                return self._unknown(f"dynamic reference {visible(match.group(0), 40)}")
            return _DYNAMIC_REFERENCE.sub(dynamic, text)
        return text

    def _sub(self, view: TemplateView, arg: Any) -> str | None:
        if isinstance(arg, str):
            template, variables = arg, {}
        elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) \
                and isinstance(arg[1], Mapping):
            template, variables = arg[0], dict(arg[1])
        else:
            return None

        def variable(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name in variables:
                text = self.text(variables[name], view)
                return text if text is not None else self._unknown(f"Fn::Sub ${{{name}}}")
            if "." in name and view.get(name.split(".", 1)[0]) is not None:
                return self._getatt(view, name)
            return self._ref(view, name)

        rendered = _SUB_VAR.sub(variable, template)
        return self._literal(rendered.replace("${!", "${"))

    def _select(self, view: TemplateView, index: Any, source: Any) -> str | None:
        items = self.strings(source, view)
        if items is None:
            return self._unknown(f"Fn::Select from {short_json(source)}")
        position = index if isinstance(index, int) else (
            int(index) if isinstance(index, str) and index.isdigit() else None)
        if position is not None and 0 <= position < len(items):
            return items[position]
        return max(items, key=len) if items else ""

    def _find_in_map(self, view: TemplateView, arg: list[Any]) -> str | None:
        """The mapped value; where a key is computed at deploy time, the longest candidate."""
        mappings = view.template.get("Mappings")
        candidates: list[Any] = [mappings.get(arg[0])] if isinstance(mappings, Mapping) \
            and isinstance(arg[0], str) else []
        for key in arg[1:3]:
            found: list[Any] = []
            for level in candidates:
                if not isinstance(level, Mapping):
                    continue
                if isinstance(key, str):
                    found.extend([level[key]] if key in level else [])
                else:
                    found.extend(level.values())
            candidates = found
        texts = [t for t in (self.text(c, view) for c in candidates) if t is not None]
        if not texts:
            return self._unknown(f"Fn::FindInMap {short_json(arg)}")
        return max(texts, key=len)

    def _cfn_json(self, view: TemplateView, value: Mapping[str, Any]) -> Any | None:
        """The JSON a ``Custom::AWSCDKCfnJson`` resource holds, rendered at its longest."""
        arg = value.get("Fn::GetAtt")
        target = arg[0] if isinstance(arg, list) and arg else (
            arg.split(".", 1)[0] if isinstance(arg, str) else None)
        resource = view.get(target) if isinstance(target, str) else None
        if resource is None or resource.type != "Custom::AWSCDKCfnJson":
            return None
        return parse_json_text(resource.properties.get("Value"), lambda v: self.text(v, view))


def _is_no_value(value: Any) -> bool:
    return isinstance(value, Mapping) and value == {"Ref": "AWS::NoValue"}


def _is_list_function(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) == 1 and next(iter(value)) in (
        "Fn::Split", "Fn::GetAZs", "Fn::If", "Ref", "Fn::Cidr")

