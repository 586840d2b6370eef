"""Deployability rule on Kubernetes objects the stack applies (EKSDEP16): object names,
namespaces and labels, Helm release names; plus the label check EKS node groups and Fargate
selectors reuse."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from ...template import ResourceRef, dig
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
    "EKSDEP16", L.ERROR, (KUBERNETES_RESOURCE, HELM_CHART),
    "A Kubernetes object the stack applies has an invalid name, namespace or label.",
    "The API server rejects object names that are not DNS-1123 names (namespaces and "
    "services at most 63 characters, most others 253), and labels that are not "
    "valid; Helm refuses release names over 53 characters. kubectl then fails the "
    "custom resource and the deploy rolls back. Fix: shorten the names.")
def kubernetes_names(res: ResourceRef) -> Verdict:
    """EKSDEP16: the Kubernetes objects a stack applies have valid names, namespaces and
    labels; Helm release names are at most 53 characters."""
    if res.type == HELM_CHART:
        return judge(res.view, lambda longest: (_helm_problems(res, longest), ""))
    raw = res.properties.get("Manifest")
    if raw is None:
        return Verdict.na("no Manifest")
    return judge(res.view, lambda longest: _manifest_problems(raw, longest))


def _helm_problems(res: ResourceRef, longest: Longest) -> list[str]:
    problems: list[str] = []
    release = longest.text(res.properties.get("Release"))
    if release is not None and (len(release) > HELM_RELEASE_LENGTH
                                or not DNS_SUBDOMAIN.match(known(release))):
        problems.append(f"Helm release {visible(release)!r} is {len(release)} characters; "
                        f"Helm wants a DNS-1123 name of at most {HELM_RELEASE_LENGTH}")
    namespace = longest.text(res.properties.get("Namespace"))
    if namespace is not None and (len(namespace) > 63 or not DNS_LABEL.match(known(namespace))):
        problems.append(f"Namespace {visible(namespace)!r} is not a DNS-1123 label of at most "
                        "63")
    return problems


def _manifest_problems(raw: Any, longest: Longest) -> Verdict | Measured:
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
            problems += _object_problems(obj, f"object {index} " if len(objects) > 1 else "")
    return problems, f"{len(objects)} object(s)"
