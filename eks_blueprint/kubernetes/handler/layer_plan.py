"""What a layer is and what to do with it: pure functions, no I/O.

A layer is an ordered list of items (manifests, Helm charts, patches, EKS access policy
associations) as CloudFormation hands
them over: every value a string (CloudFormation stringifies booleans and numbers) or a list or
object of strings. This module turns them into typed items, orders them by ``After``, and
computes what an Update or a Delete must remove, by *identity*: an object, release or patch
is compared across the whole layer (and against what the cluster's other layers own,
``Elsewhere``), never per item, so moving something between items or layers removes nothing.
An in-place Update applies only what changed (``changed_items``) unless the way to the
cluster or the ``Generation`` changed (``reapply_reason``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

#: Seconds a chart may take when its item names no Timeout (Helm's own default).
DEFAULT_CHART_TIMEOUT_S = 300

#: kubectl's --type values.
PATCH_TYPES = frozenset({"strategic", "merge", "json"})

#: Region name prefix -> DNS suffix of the partition's endpoints (botocore's endpoints.json),
#: most specific first; every other region is in a partition on amazonaws.com (aws, aws-us-gov).
_DNS_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("cn-", "amazonaws.com.cn"),
    ("us-isob-", "sc2s.sgov.gov"),
    ("us-isof-", "csp.hci.ic.gov"),
    ("us-iso-", "c2s.ic.gov"),
    ("eu-isoe-", "cloud.adc-e.uk"),
    ("eusc-", "amazonaws.eu"),
)
_REGION = re.compile(r"^[a-z]{2,4}(?:-[a-z]+)+-\d+$")

_ECR_PRIVATE = re.compile(
    r"^oci://(?P<registry>\d{12}\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.(?:"
    + "|".join(re.escape(s) for s in ("amazonaws.com", *(s for _, s in _DNS_SUFFIXES)))
    + r"))(?:/|$)"
)

#: Properties whose change makes an Update apply every item again: another way to reach the
#: cluster, or a new ``Generation`` (a deliberate full re-apply that repairs drift).
REAPPLY_ALL = ("ClusterName", "Endpoint", "CertificateAuthorityData", "Region", "Generation")


class PlanError(ValueError):
    """The layer's properties are invalid: raised before any command runs."""


def dns_suffix(region: str) -> str:
    """The DNS suffix of `region`'s partition ("amazonaws.com", "amazonaws.com.cn",
    "c2s.ic.gov", ...). Raises PlanError for something that is not a region name."""
    if not _REGION.match(region):
        raise PlanError(f"Region {region!r} is not an AWS region name")
    for prefix, suffix in _DNS_SUFFIXES:
        if region.startswith(prefix):
            return suffix
    return "amazonaws.com"


def flag(value: object, name: str, default: bool = False) -> bool:
    """A boolean property: "true"/"false" as CloudFormation sends them (any case), a real
    bool, or `default` when absent. Anything else is an error rather than a guess, since
    `bool("false")` is True."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise PlanError(f"{name} must be 'true' or 'false', not {value!r}")


def _text(props: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    """Required string property `key` (or `default` when absent and a default is given)."""
    value = props.get(key)
    if value is None or value == "":
        if default is not None:
            return default
        raise PlanError(f"{where}: {key} is required")
    if not isinstance(value, str):
        raise PlanError(f"{where}: {key} must be a string")
    return value


def _json(props: Mapping[str, Any], key: str, where: str) -> Any:
    """Property `key` parsed as JSON text."""
    text = _text(props, key, where)
    try:
        return json.loads(text)
    except ValueError as error:
        raise PlanError(f"{where}: {key} is not valid JSON ({error})") from None


def object_identity(body: Mapping[str, Any]) -> str:
    """``object:<group>/<kind>/<namespace>/<name>`` of a Kubernetes object: the group of its
    apiVersion ("" for core), and "" for a namespace the object does not name."""
    api_version = body.get("apiVersion")
    kind = body.get("kind")
    metadata = body.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    if not (isinstance(api_version, str) and isinstance(kind, str) and isinstance(name, str)):
        raise PlanError("an object needs apiVersion, kind and metadata.name")
    namespace = metadata.get("namespace") if isinstance(metadata, Mapping) else None
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return f"object:{group}/{kind}/{namespace or ''}/{name}"


@dataclass(frozen=True)
class KubeObject:
    """One object of a manifest and its identity."""

    identity: str
    body: Mapping[str, Any]


@dataclass(frozen=True)
class Manifest:
    """Kubernetes objects applied with kubectl, in their order."""

    objects: tuple[KubeObject, ...]
    #: False: the first apply creates, so an object that already exists is an error.
    overwrite: bool


@dataclass(frozen=True)
class Chart:
    """A Helm release."""

    chart: str
    repository: str
    version: str
    release: str
    namespace: str
    create_namespace: bool
    values: str | None  # JSON text of an object
    wait: bool
    timeout_s: int
    skip_crds: bool

    @property
    def identity(self) -> str:
        """``release:<namespace>/<release>``."""
        return f"release:{self.namespace}/{self.release}"

    @property
    def is_oci(self) -> bool:
        """Whether the chart comes from an OCI registry rather than an https repository."""
        return self.repository.startswith("oci://")

    @property
    def chart_ref(self) -> str:
        """What `helm upgrade` installs: the chart's name (with --repo) for an https
        repository; for OCI the repository itself if it already ends with the chart's
        name, else ``<repository>/<chart>``."""
        if not self.is_oci:
            return self.chart
        repository = self.repository.rstrip("/")
        if repository.endswith("/" + self.chart):
            return repository
        return f"{repository}/{self.chart}"

    @property
    def private_ecr(self) -> tuple[str, str] | None:
        """(registry host, region) when the chart is in a private ECR registry, which needs
        a login first; None for public ECR, https repositories and other registries."""
        match = _ECR_PRIVATE.match(self.repository)
        return (match["registry"], match["region"]) if match else None


@dataclass(frozen=True)
class Patch:
    """A patch of an object the layer does not own, undone by its restore patch."""

    resource_name: str  # "configmap/name"
    namespace: str  # "" for a cluster-scoped object
    apply_patch: str
    restore_patch: str
    patch_type: str

    @property
    def identity(self) -> str:
        """``patch:<namespace>/<resource name>``."""
        return f"patch:{self.namespace}/{self.resource_name}"


#: EKS access scope types (AssociateAccessPolicy's accessScope.type).
ACCESS_SCOPES = frozenset({"cluster", "namespace"})
_ACCESS_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:eks::aws:cluster-access-policy/[A-Za-z0-9]+$")
_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")


@dataclass(frozen=True)
class AccessPolicy:
    """An EKS access policy associated with an access entry that something else created
    (e.g. the one EKS makes for a capability's role): ``eks:AssociateAccessPolicy`` on
    apply, ``eks:DisassociateAccessPolicy`` on removal. Not a Kubernetes object: it is an
    item so that it is applied in order with the objects that need it, by the same handler."""

    principal_arn: str
    policy_arn: str
    scope: str  # "cluster" or "namespace"
    namespaces: tuple[str, ...]

    @property
    def identity(self) -> str:
        """``access-policy:<principal ARN>|<policy ARN>`` (one association per pair)."""
        return f"access-policy:{self.principal_arn}|{self.policy_arn}"


@dataclass(frozen=True)
class Item:
    """One item of a layer: its id (a construct path), what must be applied before it, and
    what it is."""

    id: str
    after: tuple[str, ...]
    spec: Manifest | Chart | Patch | AccessPolicy
    #: The item's properties but ``After``, as canonical JSON: equal means unchanged.
    fingerprint: str = field(default="", repr=False)

    @property
    def kind(self) -> Literal["manifest", "chart", "patch", "access-policy"]:
        """The item's Type."""
        if isinstance(self.spec, Manifest):
            return "manifest"
        if isinstance(self.spec, AccessPolicy):
            return "access-policy"
        return "chart" if isinstance(self.spec, Chart) else "patch"

    def identities(self) -> tuple[str, ...]:
        """Everything this item puts on the cluster, by identity."""
        if isinstance(self.spec, Manifest):
            return tuple(o.identity for o in self.spec.objects)
        return (self.spec.identity,)


def _manifest(props: Mapping[str, Any], where: str) -> Manifest:
    bodies = _json(props, "Manifest", where)
    if not isinstance(bodies, list):
        raise PlanError(f"{where}: Manifest must be a JSON list of objects")
    objects = []
    for body in bodies:
        if not isinstance(body, dict):
            raise PlanError(f"{where}: Manifest must be a JSON list of objects")
        try:
            objects.append(KubeObject(object_identity(body), body))
        except PlanError as error:
            raise PlanError(f"{where}: {error}") from None
    return Manifest(tuple(objects), flag(props.get("Overwrite"), f"{where}: Overwrite"))


def _chart(props: Mapping[str, Any], where: str) -> Chart:
    repository = _text(props, "Repository", where)
    if not repository.startswith(("https://", "oci://")):
        raise PlanError(f"{where}: Repository must be an https:// or oci:// URL")
    values = props.get("Values")
    if values is not None and values != "":
        if not isinstance(_json(props, "Values", where), dict):
            raise PlanError(f"{where}: Values must be a JSON object")
    else:
        values = None
    timeout = _text(props, "Timeout", where, str(DEFAULT_CHART_TIMEOUT_S))
    if not timeout.isdigit() or int(timeout) < 1:
        raise PlanError(f"{where}: Timeout must be a positive number of seconds")
    return Chart(
        chart=_text(props, "Chart", where),
        repository=repository,
        version=_text(props, "Version", where),
        release=_text(props, "Release", where),
        namespace=_text(props, "Namespace", where, "default"),
        create_namespace=flag(props.get("CreateNamespace"), f"{where}: CreateNamespace"),
        values=values,
        wait=flag(props.get("Wait"), f"{where}: Wait"),
        timeout_s=int(timeout),
        skip_crds=flag(props.get("SkipCrds"), f"{where}: SkipCrds"),
    )


def _patch(props: Mapping[str, Any], where: str) -> Patch:
    patch_type = _text(props, "PatchType", where, "strategic")
    if patch_type not in PATCH_TYPES:
        raise PlanError(f"{where}: PatchType must be one of {', '.join(sorted(PATCH_TYPES))}")
    _json(props, "ApplyPatch", where)
    _json(props, "RestorePatch", where)
    return Patch(
        resource_name=_text(props, "ResourceName", where),
        namespace=_text(props, "ResourceNamespace", where, ""),
        apply_patch=_text(props, "ApplyPatch", where),
        restore_patch=_text(props, "RestorePatch", where),
        patch_type=patch_type,
    )


def _access_policy(props: Mapping[str, Any], where: str) -> AccessPolicy:
    principal = _text(props, "PrincipalArn", where)
    if not _PRINCIPAL_ARN.match(principal):
        raise PlanError(f"{where}: PrincipalArn must be an IAM role or user ARN")
    policy = _text(props, "PolicyArn", where)
    if not _ACCESS_POLICY_ARN.match(policy):
        raise PlanError(f"{where}: PolicyArn must be an EKS cluster access policy ARN")
    scope = _text(props, "AccessScope", where, "cluster")
    if scope not in ACCESS_SCOPES:
        raise PlanError(f"{where}: AccessScope must be cluster or namespace")
    namespaces = props.get("Namespaces") or []
    if not isinstance(namespaces, list) or not all(isinstance(n, str) and n for n in namespaces):
        raise PlanError(f"{where}: Namespaces must be a list of namespace names")
    if (scope == "namespace") != bool(namespaces):
        raise PlanError(f"{where}: Namespaces are given exactly when AccessScope is namespace")
    return AccessPolicy(principal, policy, scope, tuple(namespaces))


def parse_items(raw: object) -> list[Item]:
    """The layer's ``Items`` property as typed items, in the given order. Raises PlanError
    for a malformed item, a duplicate Id, or two charts with the same release."""
    if raw is None or raw == "":
        return []
    if not isinstance(raw, list):
        raise PlanError("Items must be a list")
    items: list[Item] = []
    seen: set[str] = set()
    releases: dict[str, str] = {}
    for index, props in enumerate(raw):
        if not isinstance(props, dict):
            raise PlanError(f"Items[{index}] must be an object")
        item_id = _text(props, "Id", f"Items[{index}]")
        if item_id in seen:
            raise PlanError(f"duplicate item Id {item_id!r}")
        seen.add(item_id)
        after = props.get("After") or []
        if not isinstance(after, list) or not all(isinstance(a, str) for a in after):
            raise PlanError(f"{item_id}: After must be a list of item Ids")
        kind = props.get("Type")
        spec: Manifest | Chart | Patch | AccessPolicy
        if kind == "manifest":
            spec = _manifest(props, item_id)
        elif kind == "chart":
            spec = _chart(props, item_id)
            if spec.identity in releases:
                raise PlanError(
                    f"{item_id}: {spec.identity} is also installed by {releases[spec.identity]}"
                )
            releases[spec.identity] = item_id
        elif kind == "patch":
            spec = _patch(props, item_id)
        elif kind == "access-policy":
            spec = _access_policy(props, item_id)
        else:
            raise PlanError(
                f"{item_id}: Type must be manifest, chart, patch or access-policy, not {kind!r}"
            )
        fingerprint = json.dumps(
            {k: v for k, v in props.items() if k != "After"}, sort_keys=True, default=str
        )
        items.append(Item(item_id, tuple(after), spec, fingerprint))
    return items


def parse_elsewhere(raw: object) -> frozenset[str]:
    """The ``Elsewhere`` property: identities the cluster's other layers own."""
    if raw is None or raw == "":
        return frozenset()
    if not isinstance(raw, list) or not all(isinstance(i, str) for i in raw):
        raise PlanError("Elsewhere must be a list of identities")
    return frozenset(raw)


def topological_order(items: Sequence[Item]) -> list[str]:
    """Item ids so that each comes after everything in its ``After``; ties keep the given
    order, so the result is deterministic. Raises PlanError naming an unknown Id or the items
    of a cycle."""
    ids = [item.id for item in items]
    known = set(ids)
    for item in items:
        unknown = [a for a in item.after if a not in known]
        if unknown:
            raise PlanError(f"{item.id}: After names unknown item(s) {', '.join(unknown)}")
    waiting = {item.id: set(item.after) for item in items}
    order: list[str] = []
    while waiting:
        ready = [i for i in ids if i in waiting and not waiting[i]]
        if not ready:
            raise PlanError("cycle in After between " + ", ".join(sorted(waiting)))
        for item_id in ready:
            del waiting[item_id]
            order.append(item_id)
        for remaining in waiting.values():
            remaining.difference_update(ready)
    return order


def prerequisites(items: Sequence[Item]) -> dict[str, frozenset[str]]:
    """Item id -> the ids that must be applied before it (its ``After``)."""
    return {item.id: frozenset(item.after) for item in items}


def dependants(items: Sequence[Item]) -> dict[str, frozenset[str]]:
    """Item id -> the ids that must be removed before it: those whose ``After`` names it
    (reverse order: a thing goes before what it depended on)."""
    result: dict[str, set[str]] = {item.id: set() for item in items}
    for item in items:
        for before in item.after:
            result[before].add(item.id)
    return {k: frozenset(v) for k, v in result.items()}


def reapply_reason(props: Mapping[str, Any], old_props: Mapping[str, Any]) -> str | None:
    """Why an in-place Update must apply every item (a property of REAPPLY_ALL changed),
    or None when applying what changed is enough."""
    moved = [key for key in REAPPLY_ALL if props.get(key) != old_props.get(key)]
    return f"{', '.join(moved)} changed" if moved else None


def changed_items(items: Sequence[Item], old_items: Sequence[Item]) -> frozenset[str]:
    """Ids of `items` an in-place Update applies: the new ones, those whose properties differ
    from the old item with the same Id (``After`` aside), and, transitively, every item
    whose ``After`` names one of them. The others are on the cluster as they should be."""
    old = {item.id: item.fingerprint for item in old_items}
    selected = {item.id for item in items if old.get(item.id) != item.fingerprint}
    after_them = dependants(items)
    todo = list(selected)
    while todo:
        for dependant in after_them[todo.pop()]:
            if dependant not in selected:
                selected.add(dependant)
                todo.append(dependant)
    return frozenset(selected)


def identities_of(items: Iterable[Item]) -> frozenset[str]:
    """Every identity the items put on the cluster."""
    return frozenset(i for item in items for i in item.identities())


@dataclass(frozen=True)
class Creation:
    """How a manifest item is applied: `create` lists the objects to create (an existing one
    is an error), `apply` those to apply; both in manifest order, create first."""

    create: tuple[KubeObject, ...]
    apply: tuple[KubeObject, ...]


def creation(item: Item, old_items: Sequence[Item]) -> Creation:
    """How to apply manifest `item` given the layer's previous state `old_items`.

    With Overwrite=true (or an item applied before) everything is applied. With
    Overwrite=false on the item's first apply, its objects are created, except those the
    layer already had in another item (moved between items): those are the layer's own and
    are applied, not refused as already existing.
    """
    assert isinstance(item.spec, Manifest)
    objects = item.spec.objects
    if item.spec.overwrite or any(old.id == item.id for old in old_items):
        return Creation((), objects)
    known = identities_of(old_items)
    return Creation(
        tuple(o for o in objects if o.identity not in known),
        tuple(o for o in objects if o.identity in known),
    )


@dataclass(frozen=True)
class Removal:
    """What removing (part of) an item means: for a manifest the objects to delete (reverse
    manifest order: what is in a namespace before the namespace), for a chart an uninstall,
    for a patch its restore patch, for an access policy its disassociation. `nothing` when
    the item is kept or owned elsewhere."""

    item: Item
    objects: tuple[KubeObject, ...] = ()
    whole: bool = False  # the chart or patch itself

    @property
    def nothing(self) -> bool:
        """Whether there is nothing to remove for this item."""
        return not self.objects and not self.whole


def removals(
    old_items: Sequence[Item], new_items: Sequence[Item], elsewhere: frozenset[str]
) -> dict[str, Removal]:
    """Item id of `old_items` -> what to remove of it: what the old state had that the new
    state (anywhere in the layer) does not, and that no other layer owns now. With no new
    items this is everything of the layer but what is elsewhere (a Delete)."""
    keep = identities_of(new_items) | elsewhere
    result: dict[str, Removal] = {}
    for item in old_items:
        if isinstance(item.spec, Manifest):
            gone = tuple(o for o in reversed(item.spec.objects) if o.identity not in keep)
            result[item.id] = Removal(item, objects=gone)
        else:
            result[item.id] = Removal(item, whole=item.spec.identity not in keep)
    return result


def own_id(props: Mapping[str, Any]) -> str:
    """``<ClusterName>/<Layer>`` of `props`: the physical id a layer with these properties
    was created with."""
    return f"{props.get('ClusterName')}/{props.get('Layer')}"


def physical_id(
    request_type: str,
    props: Mapping[str, Any],
    old_props: Mapping[str, Any] | None,
    event_physical_id: str | None,
) -> str:
    """The custom resource's physical id: ``<ClusterName>/<Layer>``, except that an Update
    (and a Delete) keeps the event's id while the cluster and layer are unchanged. A new id on
    Update makes CloudFormation send a Delete for the old one (e.g. a replaced cluster)."""
    own = own_id(props)
    if request_type == "Delete" and event_physical_id:
        return event_physical_id
    if request_type == "Update" and event_physical_id and old_props is not None:
        unchanged = all(props.get(key) == old_props.get(key) for key in ("ClusterName", "Layer"))
        if unchanged:
            return event_physical_id
    return own
