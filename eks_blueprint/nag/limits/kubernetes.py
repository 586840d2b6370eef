"""Deployability rules on Kubernetes objects the stack applies: object names, namespaces and
labels, Helm release names (EKSDEP16); the size of a Kubernetes layer's request to its
handler (EKSDEP19, and EKSDEP20 as it nears the limit) and the time its longest chain of
items may take (EKSDEP21); plus the label check EKS node groups and Fargate selectors
reuse.

Objects and releases come from a cluster's Kubernetes layers
(``Custom::EksBlueprint-KubernetesLayer``: ``manifest`` and ``chart`` items), or from
aws_eks_v2's ``Custom::AWSCDK-EKS-KubernetesResource`` and ``-HelmChart`` for a cluster with
its kubectl provider."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from ...template import LAYER_TYPE, ResourceRef, dig
from ..catalog import DEPLOYABILITY
from ..lengths import Longest, known, visible
from ..model import Level as L
from ..model import Verdict
from .common import Measured, judge

#: Kubernetes object names and labels
#: (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/ and
#: .../labels/#syntax-and-character-set): a DNS-1123 label is at most 63 lower-case
#: alphanumerics or "-", starting and ending alphanumeric; a DNS-1123 subdomain at most 253,
#: labels joined by "."; a DNS-1035 label (Service names) also starts with a letter. Label
#: keys are an optional subdomain prefix and "/" plus a name of at most 63; label values at
#: most 63, possibly empty.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


#: Kinds whose names are DNS-1123 labels (Namespace) or DNS-1035 labels (Service).
LABEL_NAMED_KINDS = {"Namespace": DNS_LABEL, "Service": DNS_1035_LABEL}
#: RBAC kinds only need path-segment names (no "/" or "%", not "." or "..").
PATH_SEGMENT_KINDS = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
#: Helm refuses release names over 53 characters (they become label values with suffixes):
#: ``maxReleaseNameLen = 53`` in Helm's pkg/chartutil/validate_name.go
#: (https://github.com/helm/helm/blob/main/pkg/chartutil/validate_name.go).
HELM_RELEASE_LENGTH = 53

KUBERNETES_RESOURCE = "Custom::AWSCDK-EKS-KubernetesResource"
HELM_CHART = "Custom::AWSCDK-EKS-HelmChart"
KUBERNETES_LAYER = LAYER_TYPE

#: What reaches a Kubernetes layer's handler. CloudFormation sends a custom resource's
#: request to its ServiceToken, here the onEvent function of aws-cdk-lib's provider
#: framework, as an asynchronous Lambda invocation; the request holds ``ResourceProperties``
#: and, on Update, ``OldResourceProperties`` too, plus an envelope (request type, ids, URLs,
#: a presigned response URL of several hundred characters). The AWS Lambda API reference
#: (Invoke, read 2026-11-30) gives "For asynchronous invocations, the maximum payload size
#: is 1 MB"; its InvokeAsync page still says "The payload limit is 256KB. For larger
#: payloads, for up to 1MB, use Invoke", the asynchronous limit older quota pages give too.
#: Nothing documents which of the two CloudFormation's invocation of a custom resource gets
#: (nor whether every partition has the larger one), so the conservative 256 KB (262,144
#: bytes) is the limit here.
ASYNC_EVENT_BYTES = 256 * 1024
#: Room for the request's envelope around the properties.
REQUEST_ENVELOPE_BYTES = 4 * 1024
#: EKSDEP20 warns above this share of :data:`ASYNC_EVENT_BYTES`.
LAYER_WARNING_SHARE = 0.75


def kubernetes_label_problems(label: str, key: str, value: str | None,
                               checked: Callable[[str], str] = known) -> list[str]:
    """Problems of one Kubernetes label (or taint key/value). ``checked`` maps a text to the
    one its characters are matched on (:func:`_fargate_known` for Fargate selectors)."""
    problems = []
    prefix, slash, name = key.rpartition("/")
    if slash and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(checked(prefix))):
        problems.append(f"{label} key {visible(key)!r}: the prefix must be a DNS subdomain of "
                        "at most 253 characters")
    if len(name) > 63 or not LABEL_NAME.match(checked(name)):
        problems.append(f"{label} key {visible(key)!r}: the name part is {len(name)} "
                        "characters; it must be 1-63 letters, digits, '-', '_' or '.', "
                        "starting and ending alphanumeric")
    if value is not None and (len(value) > 63 or not LABEL_VALUE.match(checked(value))):
        problems.append(f"{label} {visible(key)!r}: the value {visible(value)!r} is "
                        f"{len(value)} characters; it must be at most 63 letters, digits, '-', "
                        "'_' or '.', starting and ending alphanumeric (or empty)")
    return problems


def _object_problems(obj: Mapping[str, Any], where: str) -> list[str]:
    """Name, namespace and label problems of one Kubernetes object."""
    kind = str(obj.get("kind", "?"))
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return []
    label = f"{where}{kind}"
    problems = []
    name = metadata.get("name")
    if isinstance(name, str):
        label = f"{where}{kind} {visible(name, 40)}"
        if kind in PATH_SEGMENT_KINDS:
            if name in (".", "..") or "/" in name or "%" in name:
                problems.append(f"{label}: the name may not be '.', '..' or contain '/' or '%'")
        else:
            pattern = LABEL_NAMED_KINDS.get(kind, DNS_SUBDOMAIN)
            limit = 63 if kind in LABEL_NAMED_KINDS else 253
            if len(name) > limit or not pattern.match(known(name)):
                form = (f"DNS-{'1035' if kind == 'Service' else '1123'} label: lower-case "
                        "letters, digits and '-'" if limit == 63 else
                        "DNS-1123 subdomain: lower-case letters, digits, '-' and '.'")
                problems.append(f"{label}: a {kind} name must be a {form}, at most {limit} "
                                f"characters, starting and ending alphanumeric"
                                f"{', starting with a letter' if kind == 'Service' else ''} "
                                f"(got {len(name)} characters)")
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and (len(namespace) > 63
                                       or not DNS_LABEL.match(known(namespace))):
        problems.append(f"{label}: namespace {visible(namespace)!r} is not a DNS-1123 label "
                        "of at most 63")
    for labels_at, labels in (("", metadata.get("labels")),
                              ("pod template ", dig(obj, "spec", "template", "metadata",
                                                     "labels"))):
        if isinstance(labels, Mapping):
            for key, value in labels.items():
                problems += kubernetes_label_problems(
                    f"{label}: {labels_at}label", str(key),
                    value if isinstance(value, str) else None)
    return problems


@DEPLOYABILITY.rule(
    "EKSDEP16", L.ERROR, (KUBERNETES_RESOURCE, HELM_CHART, KUBERNETES_LAYER),
    "A Kubernetes object the stack applies has an invalid name, namespace or label.",
    "The API server rejects object names that are not DNS-1123 names (namespaces and "
    "services at most 63 characters, most others 253), and labels that are not "
    "valid; Helm refuses release names over 53 characters. kubectl then fails the "
    "custom resource and the deploy rolls back. Fix: shorten the names.")
def kubernetes_names(res: ResourceRef) -> Verdict:
    """EKSDEP16: the Kubernetes objects a stack applies have valid names, namespaces and
    labels; Helm release names are at most 53 characters. A layer's manifest and chart items
    are checked like the resources of one manifest or chart each."""
    if res.type == KUBERNETES_LAYER:
        return judge(res.view, lambda longest: _layer_problems(res.properties, longest))
    if res.type == HELM_CHART:
        return judge(res.view, lambda longest: (_helm_problems(res.properties, longest), ""))
    raw = res.properties.get("Manifest")
    if raw is None:
        return Verdict.na("no Manifest")
    return judge(res.view, lambda longest: _manifest_problems(raw, longest))


def _layer_problems(properties: Mapping[str, Any], longest: Longest) -> Verdict | Measured:
    """The problems of every manifest and chart item of a layer, each prefixed with its
    ``Id``. An item whose manifest cannot be read makes the verdict unresolved, unless
    another item has a certain problem."""
    items = properties.get("Items")
    if not isinstance(items, list):
        return Verdict.unresolved("Items is computed at deploy time")
    problems: list[str] = []
    unresolved: list[str] = []
    manifests = releases = 0
    for item in items:
        if not isinstance(item, Mapping):
            continue
        where = f"item {item.get('Id', '?')}: "
        if item.get("Type") == "chart":
            releases += 1
            problems += [where + p for p in _helm_problems(item, longest)]
        elif item.get("Type") == "manifest" and item.get("Manifest") is not None:
            found = _manifest_problems(item["Manifest"], longest, where)
            if isinstance(found, Verdict):
                unresolved.append(where + found.message)
                continue
            problems += found[0]
            manifests += 1
    if unresolved and not problems:
        return Verdict.unresolved("; ".join(unresolved))
    return problems, f"{manifests} manifest(s) and {releases} Helm release(s) checked"


def _helm_problems(properties: Mapping[str, Any], longest: Longest) -> list[str]:
    problems: list[str] = []
    release = longest.text(properties.get("Release"))
    if release is not None and (len(release) > HELM_RELEASE_LENGTH
                                or not DNS_SUBDOMAIN.match(known(release))):
        problems.append(f"Helm release {visible(release)!r} is {len(release)} characters; "
                        f"Helm wants a DNS-1123 name of at most {HELM_RELEASE_LENGTH}")
    namespace = longest.text(properties.get("Namespace"))
    if namespace is not None and (len(namespace) > 63 or not DNS_LABEL.match(known(namespace))):
        problems.append(f"Namespace {visible(namespace)!r} is not a DNS-1123 label of at most "
                        "63")
    return problems


def _manifest_problems(raw: Any, longest: Longest, where: str = "") -> Verdict | Measured:
    text = longest.text(raw)
    manifest: Any = raw if isinstance(raw, list) else None
    if text is not None:
        try:
            manifest = json.loads(text)
        except ValueError:
            return Verdict.unresolved("the Manifest is not JSON once its deploy-time values "
                                      "are filled in, so its objects cannot be checked")
    if manifest is None:
        return Verdict.unresolved("the Manifest is computed at deploy time")
    objects = manifest if isinstance(manifest, list) else [manifest]
    problems: list[str] = []
    for index, obj in enumerate(objects):
        if isinstance(obj, Mapping):
            at = f"object {index} " if len(objects) > 1 else ""
            problems += _object_problems(obj, where + at)
    return problems, f"{len(objects)} object(s)"


# -- the size of a layer's request ------------------------------------------------------------


def layer_request_bytes(properties: Mapping[str, Any]) -> tuple[int, int]:
    """(bytes of the layer's properties as compact JSON, bytes of its largest request): the
    properties as the template writes them (tokens as their intrinsic functions), twice
    (an Update carries the old properties too), plus :data:`REQUEST_ENVELOPE_BYTES`."""
    size = len(json.dumps(properties, separators=(",", ":"), ensure_ascii=False).encode())
    return size, 2 * size + REQUEST_ENVELOPE_BYTES


def _largest_items(properties: Mapping[str, Any], count: int = 3) -> str:
    items = properties.get("Items")
    sizes = sorted(
        (
            (len(json.dumps(item, separators=(",", ":"), ensure_ascii=False).encode()),
             str(item.get("Id", "?")))
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, Mapping)
        ),
        reverse=True,
    )[:count]
    return ", ".join(f"{item_id} ({size:,} bytes)" for size, item_id in sizes)


def _layer_size(res: ResourceRef, limit: int) -> Verdict:
    props_size, request = layer_request_bytes(res.properties)
    layer = res.properties.get("Layer")
    name = f"layer {layer}" if isinstance(layer, str) else "the layer"
    if request <= limit:
        return Verdict.ok(f"{name}: a request of at most {request:,} of {limit:,} bytes")
    if limit >= ASYNC_EVENT_BYTES:
        over = f"over the {ASYNC_EVENT_BYTES:,}-byte (256 KB) limit"
    else:
        over = (f"above {limit:,} bytes, {limit * 100 // ASYNC_EVENT_BYTES} % of the "
                f"{ASYNC_EVENT_BYTES:,}-byte (256 KB) limit")
    return Verdict.fail(
        f"{name} ({res.logical_id}): its largest request is {request:,} bytes, {over} of an "
        f"asynchronous Lambda invocation (an Update sends ResourceProperties and "
        f"OldResourceProperties, {props_size:,} bytes each as compact JSON, plus about "
        f"{REQUEST_ENVELOPE_BYTES:,} bytes of envelope); largest items: "
        f"{_largest_items(res.properties)}. Fix: split the layer, move items to another "
        "layer, or make values smaller")


@DEPLOYABILITY.rule(
    "EKSDEP19", L.ERROR, KUBERNETES_LAYER,
    "A Kubernetes layer's request to its handler exceeds the Lambda event limit.",
    "CloudFormation sends a custom resource's properties to its provider as an "
    "asynchronous Lambda invocation, on Update the old properties too. A layer whose "
    "properties, twice, plus the envelope exceed 256 KB cannot be updated (or created): "
    "the deploy fails and rolls back. Fix: split the layer, move items to another "
    "layer, or make values smaller.")
def layer_request_size(res: ResourceRef) -> Verdict:
    """EKSDEP19: a Kubernetes layer's largest request (its properties as compact JSON,
    twice, plus :data:`REQUEST_ENVELOPE_BYTES`) fits :data:`ASYNC_EVENT_BYTES`."""
    return _layer_size(res, ASYNC_EVENT_BYTES)


@DEPLOYABILITY.rule(
    "EKSDEP20", L.WARNING, KUBERNETES_LAYER,
    "A Kubernetes layer's request to its handler is above 75 % of the Lambda event limit.",
    "A layer grows with every manifest, chart values and patch added to it; above 75 % of "
    "the 256 KB an Update may send (EKSDEP19), a few more items make the deploy fail. "
    "Fix: split the layer, move items to another layer, or make values smaller.")
def layer_request_headroom(res: ResourceRef) -> Verdict:
    """EKSDEP20: a Kubernetes layer's largest request stays under 75 % of
    :data:`ASYNC_EVENT_BYTES` (EKSDEP19 reports it over the limit)."""
    _, request = layer_request_bytes(res.properties)
    if request > ASYNC_EVENT_BYTES:
        return Verdict.na(f"{request:,} bytes, over the limit itself: EKSDEP19 reports it")
    return _layer_size(res, int(ASYNC_EVENT_BYTES * LAYER_WARNING_SHARE))


# -- the time a layer may need -----------------------------------------------------------------

#: The layer handler's Lambda timeout (eks_blueprint.kubernetes.provider.HANDLER_TIMEOUT).
HANDLER_SECONDS = 14 * 60
#: The handler starts no item with less time than this left (its APPLY timing), so that a
#: failure still leaves time to undo and to answer CloudFormation.
START_RESERVE_SECONDS = 180
#: What an item may take in the worst case, by type: a chart that waits takes up to its
#: ``Timeout``; one that does not, a pull and an install; a manifest, kubectl's 60-second
#: request timeout and its retries while a controller starts; a patch, one request.
CHART_WITHOUT_WAIT_SECONDS = 120
MANIFEST_SECONDS = 90
PATCH_SECONDS = 60


def _item_seconds(item: Mapping[str, Any]) -> int:
    kind = item.get("Type")
    if kind == "chart":
        if str(item.get("Wait", "")).lower() != "true":
            return CHART_WITHOUT_WAIT_SECONDS
        try:
            return int(str(item.get("Timeout", "300")))
        except ValueError:
            return 300
    # An access policy association is one EKS API call: no longer than a patch.
    return PATCH_SECONDS if kind in ("patch", "access-policy") else MANIFEST_SECONDS


def longest_wait(properties: Mapping[str, Any]) -> tuple[int, list[str]]:
    """(seconds, item ids) of the longest chain of ``After`` in a layer's ``Items``, each
    item costing its worst case (:func:`_item_seconds`); the item that ends the chain has
    to *start* within the handler's time, so its own cost is not counted."""
    items = [i for i in properties.get("Items") or [] if isinstance(i, Mapping)]
    by_id = {str(i.get("Id")): i for i in items}
    memo: dict[str, tuple[int, list[str]]] = {}

    def until_start(item_id: str, seen: frozenset[str]) -> tuple[int, list[str]]:
        """Worst-case seconds before `item_id` may start, and the chain before it."""
        if item_id in memo:
            return memo[item_id]
        best: tuple[int, list[str]] = (0, [])
        after = by_id[item_id].get("After")
        for before in after if isinstance(after, list) else []:
            if before not in by_id or before in seen:
                continue  # the handler refuses unknown ids and cycles itself
            waited, chain = until_start(before, seen | {item_id})
            total = waited + _item_seconds(by_id[before])
            if total > best[0]:
                best = (total, [*chain, before])
        memo[item_id] = best
        return best

    longest: tuple[int, list[str]] = (0, [])
    for item_id in by_id:
        waited, chain = until_start(item_id, frozenset())
        if waited > longest[0]:
            longest = (waited, [*chain, item_id])
    return longest


@DEPLOYABILITY.rule(
    "EKSDEP21", L.WARNING, KUBERNETES_LAYER,
    "A Kubernetes layer's longest chain of items may not start in its handler's time.",
    "The layer's handler runs for at most 14 minutes and starts no item with less than 3 "
    "minutes left. An item that follows others (`After`) starts only when they are done: "
    "when their worst cases (a waiting chart's Helm timeout) add up to more than 11 "
    "minutes, a slow install makes the last one fail for lack of time instead of running. "
    "Fix: lower the charts' timeouts, or move the later items to the next layer.")
def layer_time_budget(res: ResourceRef) -> Verdict:
    """EKSDEP21: the worst case before the last item of a layer's longest ``After`` chain
    may start is within the handler's time less its start reserve."""
    budget = HANDLER_SECONDS - START_RESERVE_SECONDS
    waited, chain = longest_wait(res.properties)
    layer = res.properties.get("Layer")
    name = f"layer {layer}" if isinstance(layer, str) else "the layer"
    if waited <= budget:
        return Verdict.ok(f"{name}: the last item starts within {waited} s of {budget} s")
    return Verdict.fail(
        f"{name} ({res.logical_id}): {' -> '.join(chain)} may wait {waited} s before its "
        f"last item starts, more than the {budget} s the handler has (14 minutes less "
        f"{START_RESERVE_SECONDS} s). Fix: lower the charts' timeouts, or move the later "
        "items to the next layer")
