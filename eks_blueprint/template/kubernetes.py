"""The Kubernetes objects and Helm releases a template applies through the kubectl provider.

aws_eks_v2 applies manifests with ``Custom::AWSCDK-EKS-KubernetesResource``
(:data:`MANIFEST_TYPE`): its ``Manifest`` property is a JSON list of objects, written as a
plain string, or as an ``Fn::Join`` when it holds tokens such as a role ARN. It installs
charts with ``Custom::AWSCDK-EKS-HelmChart`` (:data:`HELM_TYPE`), whose ``Values`` are JSON
text too. The plans (diagram, IP addresses, upgrade, cost) and the review all read them;
this is their one reader, so that they agree on what a manifest holds and on which
manifests cannot be read.

Tokens render with :func:`~eks_blueprint.template.values.render_text`: :data:`PLACEHOLDER`
inside a JSON string keeps the JSON parseable. A caller that must tell references apart
(the review compares them) passes its own renderer. A manifest that is still not JSON is
never guessed at: its objects are skipped, and the caller that asks is told which
(:class:`UnreadableManifest`).

Pure Python: nothing here imports ``aws_cdk``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .assembly import StackTemplate
from .values import PLACEHOLDER, literal, parse_json_text, render_text

MANIFEST_TYPE: Final = "Custom::AWSCDK-EKS-KubernetesResource"
HELM_TYPE: Final = "Custom::AWSCDK-EKS-HelmChart"

#: One template's ``Resources`` (logical id -> resource).
Resources = Mapping[str, Mapping[str, Any]]
#: Where resources are read from: the stacks of an assembly, or one template's ``Resources``
#: (then the callers name the stack, or leave it empty).
Source = Iterable[StackTemplate] | Resources
#: Renders a string-valued template expression as text; None when it is not a string.
Render = Callable[[Any], str | None]


@dataclass(frozen=True)
class KubeObject:
    """One object of a manifest, with the stack and the resource that apply it."""

    stack: str
    logical_id: str
    """Logical id of the ``Custom::AWSCDK-EKS-KubernetesResource``."""
    body: dict[str, Any]
    """The object as the manifest writes it (tokens rendered by the reader's renderer)."""

    @property
    def key(self) -> tuple[str, str]:
        """(stack, logical id) of the resource that applies the object."""
        return (self.stack, self.logical_id)

    @property
    def metadata(self) -> dict[str, Any]:
        found = self.body.get("metadata")
        return found if isinstance(found, dict) else {}

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        """``metadata.name``; ``?`` when the object has none."""
        return str(self.metadata.get("name", "?"))

    @property
    def namespace(self) -> str | None:
        """``metadata.namespace``; None when unset (cluster-scoped, or the default)."""
        namespace = self.metadata.get("namespace")
        return str(namespace) if namespace else None

    @property
    def group(self) -> str:
        """The API group of :attr:`api_version` (``""`` for the core group)."""
        return self.api_version.rsplit("/", 1)[0] if "/" in self.api_version else ""

    @property
    def labels(self) -> dict[str, str]:
        found = self.metadata.get("labels")
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    @property
    def annotations(self) -> dict[str, str]:
        found = self.metadata.get("annotations")
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

    @property
    def spec(self) -> dict[str, Any]:
        """``spec``; empty when the object has none."""
        spec = self.body.get("spec")
        return spec if isinstance(spec, dict) else {}

    def describe(self) -> str:
        """``Kind namespace/name (apiVersion) in stack/logical id``, for messages."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where} ({self.api_version}) in {self.stack}/{self.logical_id}"


@dataclass(frozen=True)
class UnreadableManifest:
    """A manifest resource whose objects could not be read, and why."""

    stack: str
    logical_id: str
    reason: str
    """``Manifest is not a string``, or ``not JSON (...)`` (saying so when deploy-time values
    stand outside JSON strings)."""
    manifest: Any = None
    """The ``Manifest`` property as the template has it."""


@dataclass(frozen=True)
class HelmRelease:
    """One ``Custom::AWSCDK-EKS-HelmChart``. The named properties are their literal values:
    None when absent or known only at deploy time."""

    stack: str
    logical_id: str
    properties: Mapping[str, Any]
    """Every property as the template has it."""
    chart: str | None
    version: str | None
    repository: str | None
    namespace: str | None
    release: str | None
    values: dict[str, Any] = field(default_factory=dict)
    """``Values`` parsed; empty when absent or not a JSON object."""

    @property
    def key(self) -> tuple[str, str]:
        """(stack, logical id) of the resource."""
        return (self.stack, self.logical_id)


def _resources_of(
    source: Source, resource_type: str, stack: str
) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(stack name, logical id, Properties) of each resource of `resource_type`, in order."""
    templates: Iterable[tuple[str, Resources]] = (
        [(stack, source)]
        if isinstance(source, Mapping)
        else ((s.name, s.resources) for s in source)
    )
    for name, resources in templates:
        for logical_id, resource in resources.items():
            if resource.get("Type") == resource_type:
                yield name, logical_id, resource.get("Properties") or {}


def _items(manifest: Any, render: Render) -> list[dict[str, Any]] | str:
    """The objects of a ``Manifest`` value, or why there are none to read."""
    text = render(manifest)
    if text is None:
        return "Manifest is not a string"
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        reason = f"not JSON ({exc.msg if isinstance(exc, json.JSONDecodeError) else exc})"
        if PLACEHOLDER in text:
            reason += "; it has deploy-time values outside JSON strings"
        return reason
    items = parsed if isinstance(parsed, list) else [parsed]
    return [item for item in items if isinstance(item, dict)]


def manifest_objects(
    source: Source,
    *,
    stack: str = "",
    unreadable: list[UnreadableManifest] | None = None,
    render: Render = render_text,
) -> list[KubeObject]:
    """Every object of every manifest in `source`, in template order.

    `source` is the stacks of an assembly, or one template's ``Resources`` (its objects then
    carry `stack` as their stack name). Items that are not JSON objects are left out; so are
    manifests that cannot be read, each appended to `unreadable` when given. `render` turns
    the ``Manifest`` value into text (default :func:`render_text`).
    """
    objects: list[KubeObject] = []
    for name, logical_id, props in _resources_of(source, MANIFEST_TYPE, stack):
        manifest = props.get("Manifest")
        items = _items(manifest, render)
        if isinstance(items, str):
            if unreadable is not None:
                unreadable.append(UnreadableManifest(name, logical_id, items, manifest))
            continue
        objects.extend(KubeObject(name, logical_id, body) for body in items)
    return objects


def helm_releases(source: Source, *, stack: str = "") -> list[HelmRelease]:
    """Every Helm chart resource in `source` (as for :func:`manifest_objects`), in template
    order, with its literal properties and parsed values."""
    releases: list[HelmRelease] = []
    for name, logical_id, props in _resources_of(source, HELM_TYPE, stack):
        values = parse_json_text(props.get("Values"))
        releases.append(
            HelmRelease(
                stack=name,
                logical_id=logical_id,
                properties=props,
                chart=literal(props.get("Chart")),
                version=literal(props.get("Version")),
                repository=literal(props.get("Repository")),
                namespace=literal(props.get("Namespace")),
                release=literal(props.get("Release")),
                values=values if isinstance(values, dict) else {},
            )
        )
    return releases
