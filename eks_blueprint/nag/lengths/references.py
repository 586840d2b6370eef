"""References to resources, parameters and other templates' exports, at their longest.

:class:`References` holds a measurement's state and renders ``Ref``, ``Fn::GetAtt``,
``Fn::ImportValue`` and ``Fn::GetStackOutput`` from :data:`~.shapes.SHAPES`; its subclass
:class:`~.longest.Longest` renders the other intrinsic functions.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ...template import PLACEHOLDER, ResourceRef, TemplateView
from .shapes import FILLER, GENERATED_SUFFIX, PSEUDO_PARAMETERS, SHAPES, UNKNOWN_LENGTH, Shape
from .text import short_json

_TOKEN = re.compile(r"\{([^{}]+)\}")


class References(ABC):
    """The state of one measurement, and the references it renders (see :class:`Longest`)."""

    def __init__(self, view: TemplateView, unknown_length: int = UNKNOWN_LENGTH) -> None:
        """``unknown_length``: how long a value that cannot be bounded counts (the rules
        re-measure with 1 to tell a certain failure from one caused by such values)."""
        self.view = view
        self.unknown_length = unknown_length
        self.notes: Counter[str] = Counter()
        #: How many values could not be bounded and counted :data:`UNKNOWN_LENGTH`: a limit
        #: exceeded only because of them is "unresolved", not a failure.
        self.unknowns = 0
        self._active: set[tuple[int, str]] = set()

    @abstractmethod
    def text(self, value: Any, view: TemplateView | None = None) -> str | None:
        """The longest text of a string-valued expression (:meth:`Longest.text`)."""

    @abstractmethod
    def _cfn_json(self, view: TemplateView, value: Mapping[str, Any]) -> Any | None:
        """The JSON a ``Custom::AWSCDKCfnJson`` resource holds (:meth:`Longest._cfn_json`)."""

    def _unknown(self, what: str) -> str:
        self.unknowns += 1
        self.notes[f"{what} as {self.unknown_length} (unknown)"] += 1
        return FILLER * self.unknown_length

    def _ref(self, view: TemplateView, name: str) -> str:
        if name in PSEUDO_PARAMETERS:
            if name == "AWS::StackName" and view.stack_name:
                return view.stack_name
            value = PSEUDO_PARAMETERS[name]
            self.notes[f"{name} as {len(value)}"] += 1
            return value
        if name == "AWS::NotificationARNs" or name == "AWS::NoValue":
            return ""
        resource = view.get(name)
        if resource is not None:
            return self._resource_value(resource, None)
        parameter = parameter_of(view, name)
        if parameter is not None:
            return self._parameter_text(name, parameter)
        return self._unknown(f"Ref {name} (not in {view.name})")

    def _parameter_text(self, name: str, parameter: Mapping[str, Any]) -> str:
        allowed = parameter.get("AllowedValues")
        if isinstance(allowed, list) and allowed:
            longest = max((str(a) for a in allowed), key=len)
            self.notes[f"parameter {name} as its longest allowed value ({len(longest)})"] += 1
            return longest
        max_length = parameter.get("MaxLength")
        if isinstance(max_length, int | str) and str(max_length).isdigit():
            self.notes[f"parameter {name} at its MaxLength {max_length}"] += 1
            return FILLER * int(max_length)
        return self._unknown(f"parameter {name}")

    def _getatt(self, view: TemplateView, arg: Any) -> str:
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
            logical_id, attribute = arg[0], arg[1]
        elif isinstance(arg, str) and "." in arg:
            logical_id, attribute = arg.split(".", 1)
        else:
            return self._unknown(f"Fn::GetAtt {short_json(arg)}")
        if not isinstance(attribute, str):
            return self._unknown(f"Fn::GetAtt {logical_id} with a computed attribute")
        resource = view.get(logical_id)
        if resource is None:
            return self._unknown(f"Fn::GetAtt {logical_id}.{attribute} (not in {view.name})")
        if resource.type == "Custom::AWSCDKCfnJson" and attribute == "Value":
            held = self._cfn_json(view, {"Fn::GetAtt": [logical_id, attribute]})
            if held is not None:
                return json.dumps(held, separators=(",", ":"), ensure_ascii=False)
        return self._resource_value(resource, attribute)

    def _resource_value(self, resource: ResourceRef, attribute: str | None) -> str:
        """The longest Ref (attribute None) or attribute value of a resource."""
        what = (f"Ref {resource.logical_id}" if attribute is None
                else f"Fn::GetAtt {resource.logical_id}.{attribute}")
        shape = SHAPES.get(resource.type)
        fmt = None if shape is None else (shape.ref if attribute is None
                                          else shape.attrs.get(attribute))
        if shape is None or fmt is None:
            return self._unknown(f"{what} ({resource.type})")
        key = (id(resource.view), resource.logical_id)
        if key in self._active:  # a name built from itself: count the limit
            return FILLER * (shape.name_max or self.unknown_length)
        self._active.add(key)
        try:
            text = self._format(resource, shape, fmt)
        finally:
            self._active.discard(key)
        if FILLER in text or any(p in fmt for p in ("{partition}", "{region}", "{account}",
                                                    "{urlsuffix}")):
            self.notes[f"{what} ({resource.type}) as {len(text)}"] += 1
        return text

    def _format(self, resource: ResourceRef, shape: Shape, fmt: str) -> str:
        def token(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in ("partition", "region", "account", "urlsuffix"):
                return PSEUDO_PARAMETERS[{"partition": "AWS::Partition", "region": "AWS::Region",
                                          "account": "AWS::AccountId",
                                          "urlsuffix": "AWS::URLSuffix"}[name]]
            if name == "name":
                return self._name(resource, shape)
            if name == "path":
                raw = resource.properties.get("Path")
                path = self.text(raw, resource.view) if raw is not None else "/"
                return path if path is not None else self._unknown("Path")
            if name.startswith("x") and name[1:].isdigit():
                return FILLER * int(name[1:])
            if name.startswith("prop:"):
                _, prop, default = name.split(":")
                raw = resource.properties.get(prop)
                if raw is None:
                    return FILLER * int(default)
                text = self.text(raw, resource.view)
                return text if text is not None else FILLER * int(default)
            return match.group(0)
        return _TOKEN.sub(token, fmt)

    def _name(self, resource: ResourceRef, shape: Shape) -> str:
        """The resource's name: its name property at its longest, else the longest name
        CloudFormation would generate (``<stack>-<logical id>-<random>``, cut to the limit)."""
        raw = resource.properties.get(shape.name_property) if shape.name_property else None
        if raw is not None:
            text = self.text(raw, resource.view)
            if text is not None:
                if shape.name_property == "Url":  # OIDC provider: the URL without scheme
                    text = re.sub(r"^https://", "", text)
                return text
        stack = resource.view.stack_name
        stack_length = len(stack) if stack else 128
        generated = stack_length + 1 + len(resource.logical_id) + 1 + GENERATED_SUFFIX
        return FILLER * min(shape.name_max or self.unknown_length, generated)

    def _import(self, view: TemplateView, value: Mapping[str, Any]) -> str:
        (fn, arg), = value.items()
        if fn == "Fn::ImportValue":
            name = view.render(arg)
            hit = view.exports.exports.get(name) if name and PLACEHOLDER not in name else None
            label = f"Fn::ImportValue {name}"
        else:
            stack = arg.get("StackName") if isinstance(arg, Mapping) else None
            output = arg.get("OutputName") if isinstance(arg, Mapping) else None
            hit = view.exports.stack_outputs.get((str(stack), str(output)))
            label = f"Fn::GetStackOutput {stack}.{output}"
        if hit is None:
            return self._unknown(f"{label} (exporting template not loaded)")
        producer, produced = hit
        text = self.text(produced, producer)
        return text if text is not None else self._unknown(label)


def parameter_of(view: TemplateView, name: str) -> Mapping[str, Any] | None:
    """The template's declaration of parameter ``name``, or None."""
    parameters = view.template.get("Parameters")
    found = parameters.get(name) if isinstance(parameters, Mapping) else None
    return found if isinstance(found, Mapping) else None
