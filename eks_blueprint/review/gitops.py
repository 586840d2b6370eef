"""GitOps trees in the review: what a change does to the Argo CD Applications of a cluster.

In GitOps mode (``delivery.mode: gitops``) a cluster's charts and manifests are not in its
CloudFormation template but in a committed tree (``make gitops``, :mod:`eks_blueprint.gitops`):
one ApplicationSet per item, ``applicationsets/<name>.yaml``, whose cluster generator makes
one Application, and for a manifest a local chart ``manifests/<name>/`` whose
``values.yaml`` lists the objects (``objects:``). The root Application syncs the
ApplicationSets with automated prune, and each Application syncs its source with automated
prune too; Applications made by an ApplicationSet carry Argo CD's resources finalizer. So
an object left out of a manifest chart is pruned, and an Application left out of the tree
is deleted with everything it deployed, when Argo CD syncs the commit.

This module compares BASE's trees with HEAD's, tree by tree (matched by their directory),
Application by Application (matched by file name): added, removed, or modified with what
changed (chart, repository, version, release, layer, ordering, sync options, each value,
and for a manifest chart each object, by API group, kind, namespace and name). Objects are
matched across the whole tree, so an object that moves from one Application to another is
reported as moved, not removed. A Namespace, PersistentVolumeClaim or PersistentVolume
that leaves the tree (its object removed, or its Application removed) is a stateful risk,
as a removed manifest object of a Kubernetes layer is.

Pure Python: no aws_cdk. The directory names are :mod:`eks_blueprint.gitops.render`'s
(which imports aws_cdk; a test keeps them equal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .model import (
    KIND_LOSS,
    STATEFUL_KINDS,
    ApplicationChange,
    GitOpsDiff,
    StatefulRisk,
)
from .values import ABSENT, leaf_changes, render, shorten

#: Below a tree: the ApplicationSets (what the root Application syncs) and the local
#: charts of manifests (eks_blueprint.gitops.render.APPLICATION_SETS and MANIFESTS).
APPLICATION_SETS = "applicationsets"
MANIFESTS = "manifests"
#: The template annotations the renderer writes on each Application.
ITEM_ANNOTATION = "eks-blueprint.io/item"
LAYER_ANNOTATION = "eks-blueprint.io/layer"
AFTER_ANNOTATION = "eks-blueprint.io/after"

_MAX_DETAILS = 20
_MAX_LEAVES = 3
_SOURCE = "spec.template.spec.source"
_VALUES = f"{_SOURCE}.helm.valuesObject"
#: Paths of an ApplicationSet shown by name (for a chart; a manifest's targetRevision is
#: the Git revision of the tree).
_FIELDS = {
    f"{_SOURCE}.repoURL": "repository",
    f"{_SOURCE}.chart": "chart",
    f"{_SOURCE}.targetRevision": "version",
    f"{_SOURCE}.path": "path",
    f"{_SOURCE}.helm.releaseName": "release",
    f"{_SOURCE}.helm.skipCrds": "skip CRDs",
    "spec.template.spec.destination.namespace": "namespace",
    "spec.template.spec.project": "project",
    "spec.template.spec.syncPolicy.syncOptions": "sync options",
    f"spec.template.metadata.annotations.{ITEM_ANNOTATION}": "item",
    f"spec.template.metadata.annotations.{LAYER_ANNOTATION}": "layer",
    f"spec.template.metadata.annotations.{AFTER_ANNOTATION}": "after",
    "metadata.annotations.argocd.argoproj.io/sync-wave": "sync wave",
}

ObjectKey = tuple[str, str, str, str]
"""An object's identity: (API group, kind, namespace, name); the core group is ``""``."""


def object_key(body: Any) -> ObjectKey | None:
    """The identity of a Kubernetes object, or None for something that is not one."""
    if not isinstance(body, Mapping):
        return None
    api_version = str(body.get("apiVersion", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    metadata = body.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    return (group, str(body.get("kind", "")), str(metadata.get("namespace") or ""),
            str(metadata.get("name", "")))


def describe(key: ObjectKey) -> str:
    """``Namespace payments``, ``Deployment apps/web``, ``karpenter.sh/NodePool default``."""
    group, kind, namespace, name = key
    where = f"{namespace}/{name}" if namespace else name
    return f"{group}/{kind or '?'} {where}" if group else f"{kind or '?'} {where}"


def _code(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else render(value)
    return "`" + shorten(text, limit).replace("`", "'") + "`"


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


@dataclass
class Application:
    """One Application of a tree, as read from its files."""

    name: str
    file: str
    """Its ApplicationSet, relative to the tree."""
    text: str
    document: Any = None
    """The parsed ApplicationSet (None when :attr:`error`)."""
    error: str = ""
    kind: str = "application"
    item: str = ""
    layer: str = ""
    chart_dir: str = ""
    """A manifest's local chart, relative to the tree."""
    objects: dict[ObjectKey, Any] = field(default_factory=dict)
    """A manifest's objects (``values.yaml``'s ``objects``), by identity."""
    values: Any = ABSENT
    """The rest of a manifest's ``values.yaml`` (its ``aws:`` map of CloudFormation values)."""
    chart_files: dict[str, str] = field(default_factory=dict)
    """The local chart's other files (``Chart.yaml``, the template), by path in the chart."""
    files: dict[str, str] = field(default_factory=dict)
    """Every file it owns (its ApplicationSet, its local chart's), by path in the tree."""


@dataclass
class Tree:
    """A GitOps tree: its Applications by name, and the files that belong to none."""

    label: str
    applications: dict[str, Application] = field(default_factory=dict)
    other_files: dict[str, str] = field(default_factory=dict)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def find_trees(directory: Path | None) -> dict[str, Path]:
    """The GitOps trees in `directory` (a directory with an ``applicationsets/`` directory:
    `directory` itself or any below it, not inside another tree), by their path from
    `directory`'s parent, e.g. ``gitops/dev`` for ``<checkout>/gitops``. A directory that
    does not exist has none (BASE may predate GitOps mode)."""
    if directory is None or not directory.is_dir():
        return {}
    found: dict[str, Path] = {}
    candidates = sorted(
        (p.parent for p in directory.rglob(APPLICATION_SETS) if p.is_dir()),
        key=lambda p: (len(p.parts), p.as_posix()),
    )
    if (directory / APPLICATION_SETS).is_dir():
        candidates.insert(0, directory)
    for tree in candidates:
        if any(tree == t or t in tree.parents for t in found.values()):
            continue
        found[tree.relative_to(directory.parent).as_posix()] = tree
    return found


def _local_chart(source: Mapping[str, Any], name: str) -> str:
    """The local chart of a manifest Application, relative to its tree: the part of
    ``source.path`` from its last ``manifests`` directory on (the tree's own path in the
    repository comes before it)."""
    parts = str(source.get("path", "")).strip("/").split("/")
    if MANIFESTS in parts:
        index = len(parts) - 1 - parts[::-1].index(MANIFESTS)
        return "/".join(parts[index:])
    return f"{MANIFESTS}/{name}"


def _load_application(root: Path, file: Path) -> Application:
    """The Application of ApplicationSet `file` in tree `root`."""
    relative = file.relative_to(root).as_posix()
    app = Application(name=file.stem, file=relative, text=_read(file))
    app.files[relative] = app.text
    _parse(root, app)
    if app.document is None:  # not read: the files of its chart's usual place are its own
        chart = root / MANIFESTS / app.name
        for path in sorted(chart.rglob("*")) if chart.is_dir() else []:
            if path.is_file():
                app.files[path.relative_to(root).as_posix()] = _read(path)
    return app


def _parse(root: Path, app: Application) -> None:
    """Fill in `app` from its ApplicationSet and, for a manifest, its local chart."""
    try:
        document = yaml.safe_load(app.text)
    except yaml.YAMLError as error:
        app.error = f"not valid YAML: {shorten(str(error), 120)}"
        return
    if not isinstance(document, Mapping) or not isinstance(_dig(document, "spec"), Mapping):
        app.error = "not an ApplicationSet (no spec)"
        return
    app.document = document
    annotations = _dig(document, "spec", "template", "metadata", "annotations")
    annotations = annotations if isinstance(annotations, Mapping) else {}
    app.item = str(annotations.get(ITEM_ANNOTATION, ""))
    app.layer = str(annotations.get(LAYER_ANNOTATION, ""))
    source = _dig(document, "spec", "template", "spec", "source")
    if not isinstance(source, Mapping):
        return
    if source.get("chart"):
        app.kind = "chart"
        return
    if not source.get("path"):
        return
    app.kind = "manifest"
    app.chart_dir = _local_chart(source, app.name)
    chart = root / app.chart_dir
    if not chart.is_dir():
        app.error = f"its local chart {app.chart_dir}/ is not in the tree"
        return
    for path in sorted(p for p in chart.rglob("*") if p.is_file()):
        text = app.files[path.relative_to(root).as_posix()] = _read(path)
        inside = path.relative_to(chart).as_posix()
        if inside != "values.yaml":
            app.chart_files[inside] = text
            continue
        try:
            values = yaml.safe_load(text)
        except yaml.YAMLError as error:
            app.error = f"{app.chart_dir}/values.yaml is not valid YAML: {shorten(str(error), 120)}"
            continue
        values = dict(values) if isinstance(values, Mapping) else {}
        objects = values.pop("objects", None)
        app.values = values
        for body in objects if isinstance(objects, list) else []:
            key = object_key(body)
            if key is not None:
                app.objects.setdefault(key, body)


def load_tree(label: str, root: Path) -> Tree:
    """The tree in directory `root`: every ``applicationsets/*.yaml`` and what it uses."""
    tree = Tree(label)
    owned: set[str] = set()
    sets = root / APPLICATION_SETS
    for file in sorted(sets.iterdir()) if sets.is_dir() else []:
        if file.is_file() and file.suffix in (".yaml", ".yml"):
            app = _load_application(root, file)
            tree.applications[app.name] = app
            owned |= set(app.files)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if relative not in owned:
            tree.other_files[relative] = _read(path)
    return tree


# -- comparison -------------------------------------------------------------------------------


def compare_trees(
    base: Path | None, head: Path | None
) -> tuple[list[GitOpsDiff], list[StatefulRisk]]:
    """BASE's trees in directory `base` against HEAD's in `head` (e.g. the two checkouts'
    ``gitops/``): one diff per tree in either, and the stateful risks."""
    old, new = find_trees(base), find_trees(head)
    diffs: list[GitOpsDiff] = []
    risks: list[StatefulRisk] = []
    for label in sorted(set(old) | set(new)):
        diff, found = compare_tree(
            load_tree(label, old[label]) if label in old else None,
            load_tree(label, new[label]) if label in new else None,
        )
        diffs.append(diff)
        risks += found
    return diffs, risks


def _index(tree: Tree | None) -> dict[ObjectKey, str]:
    """Object identity -> the Application holding it (the first, if two do)."""
    found: dict[ObjectKey, str] = {}
    for app in tree.applications.values() if tree else []:
        for key in app.objects:
            found.setdefault(key, app.name)
    return found


def compare_tree(old: Tree | None, new: Tree | None) -> tuple[GitOpsDiff, list[StatefulRisk]]:
    """One tree in BASE (`old`) and HEAD (`new`); either may be None (added, removed)."""
    some = new or old
    assert some is not None
    diff = GitOpsDiff(
        tree=some.label,
        status="added" if old is None else "removed" if new is None else "modified",
    )
    comparison = _Comparison(some.label, _index(old), _index(new))
    old_apps = old.applications if old else {}
    new_apps = new.applications if new else {}
    for name in sorted(set(old_apps) | set(new_apps)):
        change = comparison.application(old_apps.get(name), new_apps.get(name))
        if change is not None:
            diff.applications.append(change)
    old_files = old.other_files if old else {}
    new_files = new.other_files if new else {}
    for path in sorted(set(old_files) | set(new_files)):
        if path not in new_files:
            diff.other_changes.append(f"file removed: {path}")
        elif path not in old_files:
            diff.other_changes.append(f"file added: {path}")
        elif old_files[path] != new_files[path]:
            diff.other_changes.append(f"file changed: {path}")
    if diff.status == "modified" and not diff.has_changes:
        diff.status = "unchanged"
    return diff, comparison.risks


@dataclass
class _Comparison:
    """Compares the Applications of one tree; collects the stateful risks."""

    tree: str
    base_objects: dict[ObjectKey, str]
    head_objects: dict[ObjectKey, str]
    risks: list[StatefulRisk] = field(default_factory=list)

    def application(
        self, before: Application | None, after: Application | None
    ) -> ApplicationChange | None:
        some = after or before
        assert some is not None
        lines: list[str] = []
        if before is None:
            action = "add"
            lines += _summary(some)
            lines += self._objects(some.name, {}, some.objects)
        elif after is None:
            action = "remove"
            lines += _removal(some)
            lines += self._objects(some.name, some.objects, {}, removed_app=True)
        else:
            action = "modify"
            if before.files == after.files:
                return None
            if before.error or after.error:
                lines += _unparsed(before, after)
            else:
                lines += _field_changes(before, after)
                lines += self._objects(some.name, before.objects, after.objects)
                lines += _chart_changes(before, after)
        if len(lines) > _MAX_DETAILS:
            lines = [*lines[:_MAX_DETAILS], f"and {len(lines) - _MAX_DETAILS} more"]
        return ApplicationChange(
            name=some.name,
            action=action,  # type: ignore[arg-type]
            kind=some.kind,
            item=some.item,
            layer=some.layer,
            details=tuple(lines),
        )

    def _objects(
        self,
        app: str,
        before: Mapping[ObjectKey, Any],
        after: Mapping[ObjectKey, Any],
        *,
        removed_app: bool = False,
    ) -> list[str]:
        lines: list[str] = []
        for key in sorted(set(before) | set(after)):
            what = describe(key)
            if key not in after:
                moved_to = self.head_objects.get(key)
                if moved_to is not None and moved_to != app:
                    lines.append(f"object moved to Application `{moved_to}`: `{what}`"
                                 + _move_caution(key))
                    continue
                lines.append(f"object removed: `{what}`")
                if key[1] in STATEFUL_KINDS:
                    why = (
                        f"leaves the tree with Application `{app}`, which Argo CD deletes with "
                        "everything it deployed (resources finalizer)"
                        if removed_app
                        else f"leaves Application `{app}`, which prunes it"
                    )
                    self.risks.append(
                        StatefulRisk(
                            "", self.tree, app, f"Kubernetes {key[1]}", "deleted",
                            f"{what} {why}: {KIND_LOSS[key[1]]}",
                        )
                    )
            elif key not in before:
                moved_from = self.base_objects.get(key)
                if moved_from is not None and moved_from != app:
                    lines.append(f"object moved from Application `{moved_from}`: `{what}`")
                else:
                    lines.append(f"object added: `{what}`")
            elif before[key] != after[key]:
                leaves = list(leaf_changes(before[key], after[key]))
                shown = ", ".join(
                    f"`{path or '(whole)'}`: {_code(a, 40)} → {_code(b, 40)}"
                    for path, a, b in leaves[:_MAX_LEAVES]
                )
                more = f" and {len(leaves) - _MAX_LEAVES} more" if len(leaves) > _MAX_LEAVES else ""
                lines.append(f"object modified: `{what}`: {shown}{more}")
        return lines


def _move_caution(key: ObjectKey) -> str:
    """For a stateful object moved between Applications, which sync independently: the
    old one prunes (or, removed, deletes) what it still tracks."""
    if key[1] not in STATEFUL_KINDS:
        return ""
    return (
        " (Applications sync independently; the renderer marks it "
        "`argocd.argoproj.io/sync-options: Prune=false,Delete=false`, so the old one "
        "leaves it in place: check the live object carries that annotation before merging)"
    )


def _summary(app: Application) -> list[str]:
    """What an added Application deploys."""
    if app.error:
        return [f"`{app.file}` not parsed: {app.error}"]
    source = _dig(app.document, "spec", "template", "spec", "source") or {}
    if app.kind == "chart":
        namespace = _dig(app.document, "spec", "template", "spec", "destination", "namespace")
        release = _dig(source, "helm", "releaseName") or app.name
        return [
            f"chart `{source.get('chart')}` {_code(source.get('targetRevision', '?'))} from "
            f"`{source.get('repoURL')}`, release `{namespace or '?'}/{release}`"
        ]
    if app.kind == "manifest":
        return [f"{len(app.objects)} object(s) from its local chart `{app.chart_dir}/`"]
    return []


def _removal(app: Application) -> list[str]:
    """What removing an Application deletes."""
    if app.error:
        return [f"`{app.file}` not parsed: {app.error}"]
    if app.kind == "chart":
        source = _dig(app.document, "spec", "template", "spec", "source") or {}
        return [
            f"Argo CD deletes everything chart `{source.get('chart')}` deployed (an "
            "ApplicationSet's Applications carry the resources finalizer)"
        ]
    return ["Argo CD deletes every object it deployed (an ApplicationSet's Applications carry "
            "the resources finalizer)"]


def _unparsed(before: Application, after: Application) -> list[str]:
    """An Application whose files changed, one side not readable: its objects are not
    compared (Argo CD cannot render a chart it cannot read, so it prunes nothing)."""
    if after.error:
        return [f"changed; not parsed in HEAD ({after.error}): check it before merging"]
    return [f"changed; not parsed in BASE ({before.error})", *_summary(after)]


def _field_changes(before: Application, after: Application) -> list[str]:
    """The changed fields of an Application's ApplicationSet: named ones, each value, then
    the rest by path."""
    named: list[str] = []
    values: list[str] = []
    rest: list[str] = []
    for path, old, new in leaf_changes(before.document, after.document):
        label = _FIELDS.get(path)
        if label == "version" and after.kind != "chart":
            label = "revision"
        if label == "version":
            label = "chart version"
        if label is not None:
            named.append(f"{label}: {_code(old)} → {_code(new)}")
        elif path == _VALUES or path.startswith(_VALUES + "."):
            key = path[len(_VALUES) + 1 :] or "(all)"
            values.append(f"value `{key}`: {_code(old)} → {_code(new)}")
        else:
            rest.append(f"`{path}`: {_code(old)} → {_code(new)}")
    return named + values + rest


def _chart_changes(before: Application, after: Application) -> list[str]:
    """A manifest's local chart: its values other than the objects, and its other files."""
    lines = [
        f"values.yaml `{path or '(whole)'}`: {_code(old)} → {_code(new)}"
        for path, old, new in leaf_changes(before.values, after.values)
    ]
    for path in sorted(set(before.chart_files) | set(after.chart_files)):
        if before.chart_files.get(path) != after.chart_files.get(path):
            lines.append(f"local chart file `{path}` changed")
    return lines


__all__ = [
    "APPLICATION_SETS",
    "MANIFESTS",
    "Application",
    "Tree",
    "compare_tree",
    "compare_trees",
    "describe",
    "find_trees",
    "load_tree",
    "object_key",
]
