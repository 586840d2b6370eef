"""A read-only view of synthesized CloudFormation templates, with reference resolution.

A :class:`TemplateView` is one stack template; :class:`ResourceRef` one of its resources.
The view follows ``Ref``, ``Fn::GetAtt``, ``Fn::ImportValue`` and ``Fn::GetStackOutput`` to
other resources (across the templates of one assembly through a shared
:class:`ExportIndex`) and renders strings built with ``Fn::Join`` / ``Fn::Sub``. Anything it
cannot follow is reported as :class:`Unresolved` with a reason, so that callers can say so
instead of guessing.

Pure Python: it must not import ``aws_cdk`` (the command lines stay jsii-free).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .values import PLACEHOLDER, getatt_target, render_text


@dataclass(frozen=True)
class Unresolved:
    """A reference the view could not follow, and why (e.g. ``Fn::ImportValue 'x'``)."""

    reason: str


@dataclass(frozen=True)
class ResourceRef:
    """A resource found by following a reference: which template, logical id and body."""

    view: TemplateView
    logical_id: str
    resource: Mapping[str, Any]

    @property
    def type(self) -> str:
        """The CloudFormation type, e.g. ``AWS::EC2::Subnet``."""
        return str(self.resource.get("Type", ""))

    @property
    def properties(self) -> Mapping[str, Any]:
        """The resource's ``Properties`` (empty when absent)."""
        props = self.resource.get("Properties")
        return props if isinstance(props, Mapping) else {}


@dataclass
class ExportIndex:
    """Exports of every template loaded together (one cloud assembly), by export name.

    ``Fn::ImportValue`` is followed through it; a name not in the index stays unresolved.
    """

    exports: dict[str, tuple[TemplateView, Any]] = field(default_factory=dict)
    stack_outputs: dict[tuple[str, str], tuple[TemplateView, Any]] = field(default_factory=dict)
    #: Every template added, in order: rules that count across stacks (security group rules
    #: declared in another stack) look at all of them.
    views: list[TemplateView] = field(default_factory=list)

    def add(self, view: TemplateView, stack_name: str | None = None) -> None:
        """Index the ``Outputs`` of ``view`` that carry an ``Export.Name`` literal, and, when
        the deployed ``stack_name`` is known, every output by (stack name, output name) for
        ``Fn::GetStackOutput`` (what aws-cdk-lib renders for cross-stack references)."""
        if all(v is not view for v in self.views):
            self.views.append(view)
        if stack_name is not None and view.stack_name is None:
            view.stack_name = stack_name
        outputs = view.template.get("Outputs")
        if not isinstance(outputs, Mapping):
            return
        for output_name, output in outputs.items():
            if not isinstance(output, Mapping):
                continue
            if stack_name is not None:
                self.stack_outputs[(stack_name, str(output_name))] = (view, output.get("Value"))
            export = output.get("Export")
            name = export.get("Name") if isinstance(export, Mapping) else None
            rendered = view.render(name) if name is not None else None
            if rendered is not None and PLACEHOLDER not in rendered:
                self.exports[rendered] = (view, output.get("Value"))


class TemplateView:
    """A read-only view of one stack template, with reference resolution.

    ``name`` is used in findings (the stack name or template file). ``exports`` is shared by
    all views of one assembly so that cross-stack references can be followed.

    What the template alone does not show, when the loader knows it: ``stack_name`` (the
    deployed name: ``AWS::StackName``, and the prefix of names CloudFormation generates),
    ``stack_tags`` (tags CloudFormation propagates from the stack to its resources, from the
    assembly manifest) and ``size`` (the template file's size in bytes, as uploaded).
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        name: str = "template",
        exports: ExportIndex | None = None,
        *,
        stack_name: str | None = None,
        stack_tags: Mapping[str, str] | None = None,
        size: int | None = None,
    ) -> None:
        self.template = template
        self.name = name
        self.exports = exports if exports is not None else ExportIndex()
        self.stack_name = stack_name
        self.stack_tags: Mapping[str, str] = dict(stack_tags or {})
        self.size = size
        resources = template.get("Resources")
        self.resources: Mapping[str, Mapping[str, Any]] = (
            {k: v for k, v in resources.items() if isinstance(v, Mapping)}
            if isinstance(resources, Mapping)
            else {}
        )

    def __repr__(self) -> str:
        return f"TemplateView({self.name!r}, {len(self.resources)} resources)"

    def of_type(self, *types: str) -> Iterator[ResourceRef]:
        """Yield the resources of the given CloudFormation types, in template order."""
        for logical_id, resource in self.resources.items():
            if resource.get("Type") in types:
                yield ResourceRef(self, logical_id, resource)

    def get(self, logical_id: str) -> ResourceRef | None:
        """The resource with this logical id, or None."""
        resource = self.resources.get(logical_id)
        return None if resource is None else ResourceRef(self, logical_id, resource)

    def deref(self, value: Any) -> ResourceRef | Unresolved:
        """Follow ``Ref`` / ``Fn::GetAtt`` / ``Fn::ImportValue`` to the resource they name.

        Literal ids (``subnet-0abc``, an ARN) and parameters point outside the template and
        come back as :class:`Unresolved`.
        """
        if isinstance(value, Mapping) and len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Ref" and isinstance(arg, str):
                return self._local(arg, value)
            if fn == "Fn::GetAtt":
                target = getatt_target(arg)
                if target is not None:
                    return self._local(target, value)
            if fn == "Fn::ImportValue":
                name = self.render(arg)
                if name is None or PLACEHOLDER in name:
                    return Unresolved(f"cannot resolve Fn::ImportValue with a computed name "
                                      f"{json.dumps(arg)}")
                found = self.exports.exports.get(name)
                if found is None:
                    return Unresolved(f"cannot resolve Fn::ImportValue '{name}': no template "
                                      f"loaded with this one exports it")
                exporter, exported = found
                return exporter.deref(exported)
            if fn == "Fn::GetStackOutput" and isinstance(arg, Mapping):
                stack, output = arg.get("StackName"), arg.get("OutputName")
                if not isinstance(stack, str) or not isinstance(output, str):
                    return Unresolved(f"cannot resolve Fn::GetStackOutput {json.dumps(arg)}")
                hit = self.exports.stack_outputs.get((stack, output))
                if hit is None:
                    return Unresolved(f"cannot resolve Fn::GetStackOutput {stack}.{output}: "
                                      "that stack was not loaded with this one")
                producer, produced = hit
                return producer.deref(produced)
        if isinstance(value, str):
            return Unresolved(f"'{value}' is a literal id outside the template")
        return Unresolved(f"cannot resolve {json.dumps(value, default=str)}")

    def _local(self, logical_id: str, original: Any) -> ResourceRef | Unresolved:
        found = self.get(logical_id)
        if found is not None:
            return found
        parameters = self.template.get("Parameters")
        if isinstance(parameters, Mapping) and logical_id in parameters:
            return Unresolved(f"cannot resolve parameter '{logical_id}' (known at deploy time)")
        return Unresolved(f"cannot resolve {json.dumps(original)}: "
                          f"'{logical_id}' is not a resource of {self.name}")

    def value(self, value: Any) -> Any:
        """Replace references to ``Custom::AWSCDKCfnJson`` values by the JSON they hold.

        CDK renders a token-keyed IAM condition (``CfnJson``) as
        ``Fn::GetAtt [<CfnJson>, Value]``; the resource's ``Value`` is a JSON string built with
        ``Fn::Join``. Other values are returned unchanged.
        """
        if isinstance(value, Mapping) and set(value) == {"Fn::GetAtt"}:
            target = getatt_target(value["Fn::GetAtt"])
            found = self.get(target) if target else None
            if found is not None and found.type == "Custom::AWSCDKCfnJson":
                text = self.render(found.properties.get("Value"))
                if text is not None:
                    try:
                        return json.loads(text)
                    except ValueError:
                        return value
        return value

    def render(self, value: Any) -> str | None:
        """Render a string-valued expression, with :data:`PLACEHOLDER` for deploy-time parts
        (:func:`~eks_blueprint.template.values.render_text`); None for lists and maps."""
        return render_text(value)


def stack_properties_for(template_path: str | Path) -> Mapping[str, Any]:
    """The manifest.json properties of the stack artifact whose template this is
    (``stackName``, ``tags``...); empty for a template outside an assembly."""
    path = Path(template_path)
    manifest = path.parent / "manifest.json"
    try:
        artifacts = json.loads(manifest.read_text(encoding="utf-8")).get("artifacts", {})
    except (OSError, ValueError, AttributeError):
        return {}
    for artifact in artifacts.values() if isinstance(artifacts, Mapping) else ():
        props = artifact.get("properties", {}) if isinstance(artifact, Mapping) else {}
        if isinstance(props, Mapping) and props.get("templateFile") == path.name:
            return props
    return {}


def stack_name_for(template_path: str | Path) -> str | None:
    """The deployed stack name of a template in a cloud assembly, from its manifest.json.

    None for a template outside an assembly (a file made by another tool).
    """
    name = stack_properties_for(template_path).get("stackName")
    return str(name) if name else None


def stack_tags_for(template_path: str | Path) -> dict[str, str]:
    """The stack-level tags the assembly manifest gives a template's stack (CloudFormation
    propagates them to the stack's resources); empty when there are none."""
    tags = stack_properties_for(template_path).get("tags")
    if not isinstance(tags, Mapping):
        return {}
    return {str(k): str(v) for k, v in tags.items()}


def load_view(path: str | Path, template: Mapping[str, Any], name: str,
              exports: ExportIndex) -> TemplateView:
    """A view of a template read from ``path``, with what its assembly manifest and file
    tell (deployed stack name, stack tags, size in bytes), added to ``exports``."""
    try:
        size: int | None = Path(path).stat().st_size
    except OSError:
        size = None
    props = stack_properties_for(path)
    stack_name = props.get("stackName")
    tags = props.get("tags")
    view = TemplateView(
        template, name, exports,
        stack_name=str(stack_name) if stack_name else None,
        stack_tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, Mapping) else {},
        size=size)
    exports.add(view, view.stack_name)
    return view
