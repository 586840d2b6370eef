"""The Kubernetes objects and Helm releases a template applies.

A cluster built by this project applies them through its Kubernetes layers: one
``Custom::EksBlueprint-KubernetesLayer`` (:data:`LAYER_TYPE`) per dependency layer, whose
``Items`` each carry an ``Id`` (the construct path below the stack) and a ``Type``:
``manifest`` items have a ``Manifest`` (JSON text of a list of objects), ``chart`` items a
``Chart``, ``Version``, ``Repository``, ``Namespace``, ``Release`` and ``Values`` (JSON
text), ``patch`` items a patch of an existing object (:class:`LayerItem`).

A cluster with aws_eks_v2's kubectl provider applies manifests with
``Custom::AWSCDK-EKS-KubernetesResource`` (:data:`MANIFEST_TYPE`), with the same
``Manifest`` property, and charts with ``Custom::AWSCDK-EKS-HelmChart`` (:data:`HELM_TYPE`).
Both are read the same way: every object and release knows its resource's logical id, and
for a layer its item id (``item``). JSON text is a plain string, or an ``Fn::Join`` when it
holds tokens such as a role ARN. The plans (diagram, IP addresses, upgrade, cost) and the
review all read them; this is their one reader, so that they agree on what a manifest
holds and on which manifests cannot be read.

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
#: A cluster's dependency layer of Kubernetes objects (eks_blueprint.kubernetes).
LAYER_TYPE: Final = "Custom::EksBlueprint-KubernetesLayer"

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
    """Logical id of the resource that applies it: a layer, or a
    ``Custom::AWSCDK-EKS-KubernetesResource``."""
    body: dict[str, Any]
    """The object as the manifest writes it (tokens rendered by the reader's renderer)."""
    item: str = ""
    """The id of its item in the layer (a construct path below the stack); empty for an
    aws_eks_v2 manifest resource."""

    @property
    def key(self) -> tuple[str, str]:
        """(stack, where) of what applies the object: :func:`applied_by`."""
        return (self.stack, applied_by(self.logical_id, self.item))

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
        return (
            f"{self.kind} {where} ({self.api_version}) in "
            f"{self.stack}/{applied_by(self.logical_id, self.item)}"
        )


@dataclass(frozen=True)
class UnreadableManifest:
    """A manifest resource whose objects could not be read, and why."""

    stack: str
    logical_id: str
    reason: str
    item: str = ""
    """The layer item's id; empty for an aws_eks_v2 manifest resource."""
    """``Manifest is not a string``, or ``not JSON (...)`` (saying so when deploy-time values
    stand outside JSON strings)."""
    manifest: Any = None
    """The ``Manifest`` property as the template has it."""


@dataclass(frozen=True)
class HelmRelease:
    """One Helm release: a layer's ``chart`` item, or a ``Custom::AWSCDK-EKS-HelmChart``.
    The named properties are their literal values: None when absent or known only at
    deploy time."""

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
    item: str = ""
    """The layer item's id; empty for an aws_eks_v2 chart resource."""

    @property
    def key(self) -> tuple[str, str]:
        """(stack, where) of the resource and item: :func:`applied_by`."""
        return (self.stack, applied_by(self.logical_id, self.item))


@dataclass(frozen=True)
class LayerItem:
    """One item of a ``Custom::EksBlueprint-KubernetesLayer``."""

    stack: str
    logical_id: str
    """The layer's logical id."""
    layer: str
    """``foundation``, ``platform`` or ``workloads`` (its ``Layer`` property)."""
    id: str
    """Its ``Id``: the construct path below the stack."""
    type: str
    """``manifest``, ``chart``, ``patch`` or ``access-policy``."""
    properties: Mapping[str, Any]
    """The item as the template has it (``Id``, ``Type``, ``After`` included)."""

    @property
    def after(self) -> list[str]:
        """The ids of the items of its layer it is applied after."""
        found = self.properties.get("After")
        return [str(x) for x in found] if isinstance(found, list) else []

    @property
    def key(self) -> tuple[str, str]:
        return (self.stack, applied_by(self.logical_id, self.id))


def applied_by(logical_id: str, item: str) -> str:
    """How messages and the review name what applies an object: the logical id, and for a
    layer item ``<logical id>[<item id>]``."""
    return f"{logical_id}[{item}]" if item else logical_id


def _templates(source: Source, stack: str) -> Iterable[tuple[str, Resources]]:
    return (
        [(stack, source)]
        if isinstance(source, Mapping)
        else ((s.name, s.resources) for s in source)
    )


def layer_items(source: Source, *, stack: str = "", type: str | None = None) -> list[LayerItem]:
    """Every item of every layer in `source` (as for :func:`manifest_objects`), layer by
    layer in template order; only items of `type` when given. Items that are not objects
    with an ``Id`` and a ``Type`` are left out."""
    found: list[LayerItem] = []
    for name, resources in _templates(source, stack):
        for logical_id, resource in resources.items():
            if resource.get("Type") != LAYER_TYPE:
                continue
            props = resource.get("Properties") or {}
            items = props.get("Items")
            if not isinstance(items, list):
                continue
            for item in items:
                if not isinstance(item, Mapping):
                    continue
                item_id, item_type = item.get("Id"), item.get("Type")
                if not isinstance(item_id, str) or not isinstance(item_type, str):
                    continue
                if type is not None and item_type != type:
                    continue
                found.append(
                    LayerItem(
                        stack=name,
                        logical_id=logical_id,
                        layer=str(props.get("Layer", "")),
                        id=item_id,
                        type=item_type,
                        properties=item,
                    )
                )
    return found


def _resources_of(
    source: Source, resource_type: str, stack: str
) -> Iterator[tuple[str, str, str, Mapping[str, Any]]]:
    """(stack name, logical id, item id, Properties) of each resource of `resource_type`
    (``MANIFEST_TYPE`` or ``HELM_TYPE``), in order, then of each layer item of the same
    kind (``manifest`` or ``chart``; the item's own properties)."""
    for name, resources in _templates(source, stack):
        for logical_id, resource in resources.items():
            if resource.get("Type") == resource_type:
                yield name, logical_id, "", resource.get("Properties") or {}
    kind = {MANIFEST_TYPE: "manifest", HELM_TYPE: "chart"}.get(resource_type)
    if kind is not None:
        for item in layer_items(source, stack=stack, type=kind):
            yield item.stack, item.logical_id, item.id, item.properties


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
    """Every object of every manifest in `source`: manifest resources in template order,
    then layers' manifest items.

    `source` is the stacks of an assembly, or one template's ``Resources`` (its objects then
    carry `stack` as their stack name). Items that are not JSON objects are left out; so are
    manifests that cannot be read, each appended to `unreadable` when given. `render` turns
    the ``Manifest`` value into text (default :func:`render_text`).
    """
    objects: list[KubeObject] = []
    for name, logical_id, item, props in _resources_of(source, MANIFEST_TYPE, stack):
        manifest = props.get("Manifest")
        items = _items(manifest, render)
        if isinstance(items, str):
            if unreadable is not None:
                unreadable.append(
                    UnreadableManifest(name, logical_id, items, manifest=manifest, item=item)
                )
            continue
        objects.extend(KubeObject(name, logical_id, body, item) for body in items)
    return objects


def helm_releases(source: Source, *, stack: str = "") -> list[HelmRelease]:
    """Every Helm release in `source` (as for :func:`manifest_objects`): chart resources in
    template order, then layers' chart items, with literal properties and parsed values."""
    releases: list[HelmRelease] = []
    for name, logical_id, item, props in _resources_of(source, HELM_TYPE, stack):
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
                item=item,
            )
        )
    return releases
