"""``plan diagram``: a Mermaid picture of one environment, with a change highlighted.

Drawn from the synthesised templates (:mod:`.extract` says what is drawn and what is left
out), as a ``flowchart TB`` that GitHub renders in Markdown and PR comments: one subgraph per
stack; the VPC with a column per availability zone; the cluster with its capacity, add-ons,
tenants, load balancers and Kubernetes layers; GuardDuty, ECR and the KMS keys.

A change is shown two ways, which combine:

* ``changes``: (stack name, logical id) -> ``add`` / ``replace`` / ``remove``, the keys the
  review uses (:func:`changes_from_review` builds it from a review report); an item of a
  Kubernetes layer is ``<layer's logical id>[<item id>]``, the key of its objects' nodes,
  and the layer's own logical id marks the layer's node. A node whose
  resources include a changed one gets a class: added (green), replaced (orange), removed
  (red, dashed), or changed (blue) for a node that stays but gains or loses listed items;
  the listed item itself says "(added)", "(replaced)" or "(removed)".
* ``base``: the environment before the change. What only BASE has is drawn too, marked
  removed; what only HEAD has is marked added.

:func:`mermaid_diagram` returns the text; :func:`plan_diagram` wraps it in a
:class:`~eks_blueprint.plan.PlanReport` (never blocked) whose ``data`` holds the text
(``mermaid``), every node with its resources and mark, the edges, and the changes that no node
stands for (``not_drawn``: IAM roles, security groups and other plumbing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from ..inputs import PlanInputs
from ..model import Finding, PlanReport, markdown_table
from .extract import extract
from .mermaid import escape_label, mermaid_id
from .model import Action, Group, Mark, Node, Picture, ResourceKey, mark, merge_base, render

__all__ = [
    "Action",
    "ResourceKey",
    "changes_from_review",
    "escape_label",
    "mermaid_diagram",
    "mermaid_id",
    "plan_diagram",
]

_ACTIONS: Final = ("add", "replace", "remove")

SOURCES: Final = (
    "AWS Load Balancer Controller annotation defaults (an Ingress's and a LoadBalancer "
    "Service's scheme is internal unless annotated): kubernetes-sigs/aws-load-balancer-"
    "controller docs/guide/ingress/annotations.md and docs/guide/service/annotations.md, "
    "read 2026-11-30.",
)
ASSUMPTIONS: Final = (
    "Drawn from the synthesised templates only: Karpenter NodePools are drawn with their "
    "limits, not the nodes Karpenter will launch; load balancers are the ones the manifests' "
    "Ingresses and LoadBalancer Services ask the AWS Load Balancer Controller for, not ones "
    "created later by workloads deployed outside this app.",
    "An Ingress becomes an ALB when its class is the controller's (or it has none and the "
    "controller's IngressClass is the default); a LoadBalancer Service an NLB when the "
    "controller's service webhook or its annotations hand it to the controller.",
    "IAM roles and policies, security groups, route tables, log groups, Lambda functions, "
    "queues and rules are plumbing and not drawn; changes to them are listed under "
    "'Changes not on the diagram'.",
)


class _ReviewChange(Protocol):
    @property
    def logical_id(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def replacement(self) -> str: ...


class _ReviewStack(Protocol):
    @property
    def stage(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def changes(self) -> Sequence[_ReviewChange]: ...


class _ReviewReport(Protocol):
    @property
    def stacks(self) -> Sequence[_ReviewStack]: ...


def changes_from_review(report: _ReviewReport, env: str | None = None) -> dict[ResourceKey, Action]:
    """The `changes` mapping from a review report (:class:`eks_blueprint.review.Report`).

    Added and removed resources (and layer items) map to ``add`` and ``remove``; a modified
    resource that CloudFormation replaces (or may replace: a conditionally create-only
    property changed) maps to ``replace``, as do the items of a replaced layer; other
    modifications are not highlighted. `env` keeps one stage's stacks (``prod`` or
    ``<pipeline>/prod``).
    """
    found: dict[ResourceKey, Action] = {}
    for stack in report.stacks:
        if env is not None and stack.stage != env and not stack.stage.endswith(f"/{env}"):
            continue
        for change in stack.changes:
            if change.action in ("add", "remove"):
                found[(stack.name, change.logical_id)] = (
                    "add" if change.action == "add" else "remove"
                )
            elif change.replacement in ("replace", "may-replace"):
                found[(stack.name, change.logical_id)] = "replace"
    return found


@dataclass
class _Diagram:
    picture: Picture
    text: str
    notes: list[str]
    not_drawn: list[tuple[ResourceKey, Action]]


def _check_changes(changes: Mapping[ResourceKey, Action]) -> None:
    for key, action in changes.items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key)):
            raise ValueError(
                f"plan diagram: changes key {key!r}: use a (stack name, logical id) tuple, "
                "e.g. ('prod-eks-cluster', 'NodeGroupsSystemB3D9563D')"
            )
        if action not in _ACTIONS:
            raise ValueError(
                f"plan diagram: changes[{key!r}] = {action!r}: use one of {', '.join(_ACTIONS)}"
            )


def _build(
    inputs: PlanInputs,
    changes: Mapping[ResourceKey, Action] | None,
    base: PlanInputs | None,
) -> _Diagram:
    if changes is not None:
        _check_changes(changes)
    extraction = extract(inputs.stacks)
    picture = extraction.picture
    notes = list(extraction.notes)
    if base is not None:
        before = extract(base.stacks)
        notes += [f"BASE: {n}" for n in before.notes]
        merge_base(picture, before.picture)
    mark(picture, changes or {})
    header = [
        f"{inputs.env}: python -m eks_blueprint.plan diagram --env {inputs.env}",
    ]
    text = render(picture, legend=changes is not None or base is not None, header=header)
    drawn: set[ResourceKey] = set()
    for node in picture.nodes():
        drawn |= node.all_resources()
    for group in picture.all_groups():
        drawn |= group.resources
    not_drawn = sorted((k, a) for k, a in (changes or {}).items() if k not in drawn)
    return _Diagram(picture=picture, text=text, notes=notes, not_drawn=not_drawn)


def mermaid_diagram(
    inputs: PlanInputs,
    *,
    changes: Mapping[ResourceKey, Action] | None = None,
    base: PlanInputs | None = None,
) -> str:
    """The Mermaid flowchart text of `inputs` (see :func:`plan_diagram` for the arguments)."""
    return _build(inputs, changes, base).text


def plan_diagram(
    inputs: PlanInputs,
    *,
    changes: Mapping[ResourceKey, Action] | None = None,
    base: PlanInputs | None = None,
) -> PlanReport:
    """The diagram plan of one environment: never blocked.

    `changes` maps (stack name, logical id) to ``add``, ``replace`` or ``remove`` and
    highlights the nodes that stand for those resources; `base` is the environment before
    the change, whose nodes missing from `inputs` are drawn as removed. Either one adds a
    legend. Raises ValueError for a malformed `changes` mapping.
    """
    diagram = _build(inputs, changes, base)
    picture = diagram.picture
    nodes = list(picture.nodes())
    highlighted: dict[Mark, list[str]] = {}
    for node in nodes:
        if node.mark:
            highlighted.setdefault(node.mark, []).append(node.id)
    for group in picture.all_groups():
        if group.mark:
            highlighted.setdefault(group.mark, []).append(group.id)
    title = f"{inputs.env}: {len(picture.groups)} stacks, {len(nodes)} nodes"
    if highlighted:
        title += f", {sum(len(v) for v in highlighted.values())} highlighted"
    report = PlanReport(
        kind="diagram",
        env=inputs.env,
        title=title,
        assumptions=list(ASSUMPTIONS),
        sources=list(SOURCES),
    )
    for note in diagram.notes:
        report.findings.append(Finding("manifest-unreadable", "info", note))
    report.sections.append(("Diagram", f"```mermaid\n{diagram.text}```"))
    marked_rows = _marked_rows(picture)
    if marked_rows:
        report.sections.append(
            ("Highlighted", markdown_table(["Mark", "Node", "Because of"], marked_rows))
        )
    if diagram.not_drawn:
        report.sections.append(
            (
                "Changes not on the diagram",
                markdown_table(
                    ["Action", "Stack", "Logical id"],
                    [[a, s, f"`{lid}`"] for (s, lid), a in diagram.not_drawn],
                ),
            )
        )
    report.data = {
        "mermaid": diagram.text,
        "groups": [_group_json(g) for g in picture.groups],
        "nodes": [_node_json(n, path) for n, path in _with_paths(picture.groups, [])],
        "edges": [
            {"source": e.source, "target": e.target, "text": e.text, "dotted": e.dotted}
            for e in picture.edges
            if not e.invisible
        ],
        "highlighted": highlighted,
        "not_drawn": [
            {"stack": s, "logical_id": lid, "action": a} for (s, lid), a in diagram.not_drawn
        ],
    }
    return report


def _with_paths(
    children: Iterable[Node | Group], path: list[str]
) -> Iterable[tuple[Node, list[str]]]:
    for child in children:
        if isinstance(child, Group):
            yield from _with_paths(child.children, [*path, child.id])
        else:
            yield child, path


def _group_json(group: Group) -> dict[str, Any]:
    return {
        "id": group.id,
        "title": group.title,
        "kind": group.kind,
        "mark": group.mark,
        "resources": sorted([list(r) for r in group.resources]),
        "groups": [_group_json(g) for g in group.children if isinstance(g, Group)],
    }


def _node_json(node: Node, path: list[str]) -> dict[str, Any]:
    return {
        "id": node.id,
        "kind": node.kind,
        "groups": path,
        "title": node.title,
        "lines": node.label_lines(),
        "mark": node.mark,
        "resources": sorted([list(r) for r in node.all_resources()]),
    }


def _marked_rows(picture: Picture) -> list[list[Any]]:
    """One row per highlighted node: its mark, its title, and the resources (or listed
    items) that made it so."""
    rows: list[list[Any]] = []
    for node in picture.nodes():
        if not node.mark:
            continue
        marked_items = [i for i in node.items if i.mark]
        if node.resources or not marked_items:
            keys = sorted(node.all_resources() if not marked_items else node.resources)
            what = ", ".join(f"`{s}/{lid}`" for s, lid in keys)
        else:
            what = ""
        parts = [what] if what else []
        parts += [f"{i.text} ({i.mark})" for i in marked_items]
        rows.append([node.mark, node.title, "; ".join(parts)])
    for group in picture.all_groups():
        if group.mark:
            resources = ", ".join(f"`{s}/{lid}`" for s, lid in sorted(group.resources))
            rows.append([group.mark, group.title, resources or "everything it holds"])
    return rows
