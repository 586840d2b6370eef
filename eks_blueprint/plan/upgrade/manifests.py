"""The Kubernetes objects the stacks carry, and what the target version makes of them.

Manifests reach the cluster as ``manifest`` items of the cluster's Kubernetes layers (or,
for a cluster with aws_eks_v2's kubectl provider, as ``Custom::AWSCDK-EKS-KubernetesResource``
resources); either way a ``Manifest`` property, a JSON list, sometimes an ``Fn::Join`` with
deploy-time ARNs in it, read by :func:`~eks_blueprint.template.manifest_objects`. Each
object is checked against the target Kubernetes version:

* with the removed-API table (:data:`~.tables.REMOVED_APIS`), which also names the
  replacement;
* with ``kubernetes_validate`` (a development dependency; optional here) and the schemas it
  bundles per Kubernetes version: a built-in kind at an apiVersion the target has no schema
  for is not served there. Kinds with no schema in any version are custom resources
  (karpenter.sh NodePool, EC2NodeClass, ...): their API comes with their chart, so the
  chart compatibility check answers for them. A strict schema error that the current
  version does not have is a change the target brings.

Helm charts cannot be rendered offline (the chart is not here); only their values are
read, for values that name an apiVersion. The PodDisruptionBudget coverage of the
workloads in the manifests is here too: node drains during the data-plane upgrade respect
PDBs and nothing else.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

from ...template import (
    MANIFEST_TYPE,
    KubeObject,
    UnreadableManifest,
    applied_by,
    helm_releases,
    layer_items,
    manifest_objects,
)
from ..inputs import PlanInputs
from .minors import require_minor
from .tables import removed_api, removed_group_version

#: API groups served by Kubernetes itself without a ``.k8s.io`` suffix.
_LEGACY_GROUPS = frozenset({"apps", "batch", "autoscaling", "policy", "extensions"})


def read_objects(inputs: PlanInputs) -> tuple[list[KubeObject], list[UnreadableManifest]]:
    """Every object of every manifest in the stacks, in template order (manifest resources,
    then layers' manifest items), and the manifests that could not be read (deploy-time
    values outside JSON strings) or hold an object without apiVersion and kind (there is
    nothing to check it against), in the same order."""
    unreadable: list[UnreadableManifest] = []
    objects: list[KubeObject] = []
    for obj in manifest_objects(inputs.stacks, unreadable=unreadable):
        if obj.body.get("apiVersion") and obj.body.get("kind"):
            objects.append(obj)
        else:
            unreadable.append(
                UnreadableManifest(
                    obj.stack,
                    obj.logical_id,
                    "an object without apiVersion and kind",
                    item=obj.item,
                )
            )
    # In the order manifest_objects reads the manifests: resources, then layers' items.
    order: dict[tuple[str, str], int] = {}
    for stack, logical_id, _ in inputs.resources(MANIFEST_TYPE):
        order[(stack.name, logical_id)] = len(order)
    for item in layer_items(inputs.stacks, type="manifest"):
        order[(item.stack, applied_by(item.logical_id, item.id))] = len(order)
    unreadable.sort(key=lambda item: order[(item.stack, applied_by(item.logical_id, item.item))])
    return objects, unreadable


# -- removed APIs and schema validation ---------------------------------------------------

ApiStatus = Literal["ok", "removed", "schema-error", "custom-resource", "unvalidated"]


@dataclass(frozen=True)
class ApiVerdict:
    """What the target version makes of one object."""

    obj: KubeObject
    status: ApiStatus
    detail: str = ""
    replacement: str | None = None
    removed_in: str | None = None
    regression: bool = False
    """For ``schema-error``: the current version accepts the object, the target does not."""


@dataclass
class Validator:
    """kubernetes-validate, if installed, with the schema versions it bundles."""

    module: Any
    version: str
    kubernetes_versions: tuple[str, ...]
    """Bundled Kubernetes minors, oldest first."""
    errors: dict[str, type[BaseException]] = field(default_factory=dict)

    def has(self, minor: str) -> bool:
        return minor in self.kubernetes_versions


def load_validator() -> Validator | None:
    """kubernetes-validate and its bundled schema versions, or None when not installed."""
    try:
        module = importlib.import_module("kubernetes_validate")
        utils = importlib.import_module("kubernetes_validate.utils")
    except ImportError:
        return None
    bundled = sorted(
        {m for m in (_schema_minor(name) for name in _schema_dirs()) if m is not None},
        key=require_minor,
    )
    return Validator(
        module=module,
        version=str(getattr(module, "__version__", None) or _dist_version()),
        kubernetes_versions=tuple(bundled),
        errors={
            "not_found": utils.SchemaNotFoundError,
            "invalid": utils.ValidationError,
            "unsupported": utils.VersionNotSupportedError,
        },
    )


def _dist_version() -> str:
    try:
        from importlib.metadata import version

        return version("kubernetes-validate")
    except Exception:  # the version is only printed
        return "unknown"


def _schema_minor(directory: str) -> str | None:
    """``v1.35.0-local-strict`` -> ``1.35``."""
    found = re.fullmatch(r"v(\d+\.\d+)\.\d+-local-strict", directory)
    return found[1] if found else None


@lru_cache(maxsize=1)
def _schema_dirs() -> tuple[str, ...]:
    root = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    return tuple(sorted(entry.name for entry in root.iterdir() if entry.is_dir()))


@cache
def _schema_files(minor: str) -> frozenset[str]:
    root = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    directory = root.joinpath(f"v{minor}.0-local-strict")
    if not directory.is_dir():
        return frozenset()
    return frozenset(entry.name for entry in directory.iterdir())


def _file_stem(group: str, kind: str) -> str:
    """kubernetes-validate's schema file name before the version: the kind, then the first
    label of the group (``rbac.authorization.k8s.io`` -> ``rbac``), nothing for core."""
    prefix = group.split(".", 1)[0]
    return f"{kind.lower()}-{prefix}-" if group else f"{kind.lower()}-"


def served_versions(group: str, kind: str, minor: str) -> list[str]:
    """apiVersions of `kind` in `group` that Kubernetes `minor` has schemas for."""
    stem = _file_stem(group, kind)
    found = []
    for name in _schema_files(minor):
        rest = name.removeprefix(stem)
        if rest != name and re.fullmatch(r"v\d+((alpha|beta)\d+)?\.json", rest):
            version = rest.removesuffix(".json")
            found.append(f"{group}/{version}" if group else version)
    return sorted(found)


def _builtin(group: str, kind: str) -> bool:
    """A kind Kubernetes serves itself: a core, legacy or ``*.k8s.io`` group and a schema
    for the kind in some bundled version (``snapshot.storage.k8s.io`` VolumeSnapshot, a CRD
    under a k8s.io group, has none)."""
    if not (group == "" or group in _LEGACY_GROUPS or group.endswith(".k8s.io")):
        return False
    minors = [m for m in (_schema_minor(d) for d in _schema_dirs()) if m is not None]
    return any(served_versions(group, kind, m) for m in minors)


def check_objects(
    objects: list[KubeObject], current: str, target: str, validator: Validator | None
) -> list[ApiVerdict]:
    """One verdict per object for an upgrade from `current` to `target` (minors)."""
    return [_verdict(obj, current, target, validator) for obj in objects]


def _verdict(obj: KubeObject, current: str, target: str, validator: Validator | None) -> ApiVerdict:
    row = removed_api(obj.api_version, obj.kind)
    if row is not None and require_minor(row.removed_in) <= require_minor(target):
        return ApiVerdict(
            obj,
            "removed",
            f"{obj.api_version} {obj.kind} is not served since Kubernetes {row.removed_in}",
            replacement=row.replacement,
            removed_in=row.removed_in,
        )
    if validator is None:
        return ApiVerdict(obj, "unvalidated", "kubernetes-validate is not installed")
    if not validator.has(target):
        return ApiVerdict(
            obj,
            "unvalidated",
            f"kubernetes-validate {validator.version} bundles no schemas for {target}",
        )
    problem = _validate(validator, obj.body, target)
    if problem is None:
        return ApiVerdict(obj, "ok")
    kind_of_problem, message = problem
    if kind_of_problem == "not_found":
        if not _builtin(obj.group, obj.kind):
            return ApiVerdict(obj, "custom-resource", "no bundled schema: a custom resource")
        served = served_versions(obj.group, obj.kind, target)
        return ApiVerdict(
            obj,
            "removed",
            f"Kubernetes {target} does not serve {obj.api_version} {obj.kind}",
            replacement=", ".join(served) or "none served",
        )
    if kind_of_problem == "invalid":
        before = _validate(validator, obj.body, current) if validator.has(current) else None
        return ApiVerdict(obj, "schema-error", message, regression=before is None)
    return ApiVerdict(obj, "unvalidated", message)


#: `_validate`'s verdicts: (module, its error classes, the body as JSON, minor) -> verdict.
_VERDICTS: dict[tuple[Any, tuple[tuple[str, Any], ...], str, str], tuple[str, str] | None] = {}
#: Past this many verdicts the cache starts again (bounds memory on a long-lived process).
_VERDICTS_LIMIT = 4096


def _validate(validator: Validator, body: dict[str, Any], minor: str) -> tuple[str, str] | None:
    """None if `body` validates (strict) against Kubernetes `minor`, else (kind, message).

    The same objects are checked again and again (every plan of an environment, the current
    and the target minor), and each kubernetes-validate call parses its schema files anew
    (megabytes of JSON), so verdicts are kept per process. The key is all a verdict depends
    on: the validator's module and error classes (its bundled schemas), the body serialised
    as JSON in its own key order (a strict schema error names extra keys in that order) and
    the minor. A body that is not plain JSON data is validated every time; an exception
    other than the three verdicts is raised every time (nothing is kept).
    """
    try:
        key = (validator.module, tuple(validator.errors.items()), json.dumps(body), minor)
    except (TypeError, ValueError):  # not JSON data: no key covers it
        return _run_validate(validator, body, minor)
    if key not in _VERDICTS:
        if len(_VERDICTS) >= _VERDICTS_LIMIT:
            _VERDICTS.clear()
        _VERDICTS[key] = _run_validate(validator, body, minor)
    return _VERDICTS[key]


def _run_validate(
    validator: Validator, body: dict[str, Any], minor: str
) -> tuple[str, str] | None:
    """`_validate` without the cache: kubernetes-validate's verdict."""
    try:
        validator.module.validate(body, f"{minor}.0", strict=True)
    except validator.errors["not_found"] as exc:
        return "not_found", str(getattr(exc, "message", exc))
    except validator.errors["invalid"] as exc:
        path = "/".join(str(p) for p in getattr(exc, "absolute_path", ()))
        message = str(getattr(exc, "message", exc)).splitlines()[0][:200]
        return "invalid", f"{path or '(root)'}: {message}"
    except validator.errors["unsupported"] as exc:
        return "unsupported", str(getattr(exc, "message", exc))
    return None


# -- Helm values --------------------------------------------------------------------------


@dataclass(frozen=True)
class ValuesApi:
    """An ``apiVersion`` written in a Helm chart's values."""

    stack: str
    resource: str
    chart: str
    path: str
    api_version: str
    kind: str | None


def chart_values_api_versions(inputs: PlanInputs) -> list[ValuesApi]:
    """Every ``apiVersion`` key (with its sibling ``kind``, if any) in the charts' values."""
    found: list[ValuesApi] = []
    for helm in helm_releases(inputs.stacks):
        chart = helm.chart if helm.chart is not None else helm.key[1]
        for path, api, kind in _api_versions(helm.values, ""):
            found.append(ValuesApi(helm.stack, helm.key[1], chart, path, api, kind))
    return found


def _api_versions(value: Any, path: str) -> Iterator[tuple[str, str, str | None]]:
    if isinstance(value, dict):
        api = value.get("apiVersion")
        if isinstance(api, str):
            kind = value.get("kind")
            yield f"{path or '.'}", api, kind if isinstance(kind, str) else None
        for key, item in value.items():
            yield from _api_versions(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _api_versions(item, f"{path}[{index}]")


def values_verdicts(found: list[ValuesApi], target: str) -> list[tuple[ValuesApi, str]]:
    """(value, replacement) for each values apiVersion the target no longer serves."""
    out: list[tuple[ValuesApi, str]] = []
    for item in found:
        if item.kind is not None:
            row = removed_api(item.api_version, item.kind)
            if row is not None and require_minor(row.removed_in) <= require_minor(target):
                out.append((item, row.replacement))
            continue
        rows = removed_group_version(item.api_version, target)
        if rows:
            out.append((item, ", ".join(sorted({r.replacement for r in rows}))))
    return out


# -- PodDisruptionBudgets -----------------------------------------------------------------

WORKLOAD_KINDS = ("Deployment", "StatefulSet")


@dataclass(frozen=True)
class PdbCoverage:
    """A workload and the PDBs whose selector matches its pods."""

    workload: KubeObject
    pdbs: tuple[KubeObject, ...]
    blocks_drain: tuple[str, ...] = ()
    """PDBs (by name) that allow no voluntary disruption of this workload at all."""


def pdb_coverage(objects: list[KubeObject]) -> list[PdbCoverage]:
    """Each Deployment and StatefulSet with the PodDisruptionBudgets that select it."""
    pdbs = [o for o in objects if o.kind == "PodDisruptionBudget"]
    out = []
    for workload in (o for o in objects if o.kind in WORKLOAD_KINDS):
        spec = workload.spec
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        namespace = workload.namespace or "default"
        matching = tuple(
            pdb
            for pdb in pdbs
            if (pdb.namespace or "default") == namespace
            and _selects(pdb.spec.get("selector"), labels)
        )
        replicas = spec.get("replicas", 1)
        blocking = tuple(
            pdb.name
            for pdb in matching
            if _allows_no_disruption(pdb.spec, replicas)
        )
        out.append(PdbCoverage(workload, matching, blocking))
    return out


def _selects(selector: Any, labels: dict[str, Any]) -> bool:
    """Whether a label selector matches `labels` (a null selector matches nothing, an
    empty one everything, as in policy/v1)."""
    if not isinstance(selector, dict):
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _allows_no_disruption(spec: dict[str, Any], replicas: Any) -> bool:
    """maxUnavailable 0 / 0%, or an integer minAvailable >= an integer replica count."""
    max_unavailable = spec.get("maxUnavailable")
    if max_unavailable in (0, "0", "0%"):
        return True
    min_available = spec.get("minAvailable")
    return (
        isinstance(min_available, int) and isinstance(replicas, int) and min_available >= replicas
    )
