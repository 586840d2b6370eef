"""The picture before it is Mermaid text: groups (subgraphs), nodes, their lines and edges.

Every node and every listed item knows the resources it stands for, as (stack name, logical
id) pairs, the keys the review uses. That is what lets :func:`mark` colour a node whose
resources a change adds, replaces or removes, and :func:`merge_base` draw what only BASE
has. :func:`render` turns the marked picture into flowchart text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from .mermaid import Shape, edge_text, escape_label, label, node_text

ResourceKey = tuple[str, str]
"""(CloudFormation stack name, logical id), as in the review's StackDiff.name and
ResourceChange.logical_id."""

Action = Literal["add", "replace", "remove"]
Mark = Literal["added", "replaced", "removed", "changed"]

#: Mermaid class of each mark, and how it looks (GitHub renders classDef styles).
CLASS_STYLES: Final[dict[Mark, str]] = {
    "added": "fill:#dafbe1,stroke:#1a7f37,stroke-width:3px,color:#0d1117",
    "replaced": "fill:#fff1e5,stroke:#bc4c00,stroke-width:3px,color:#0d1117",
    "removed": "fill:#ffebe9,stroke:#cf222e,stroke-width:3px,stroke-dasharray:6 4,color:#0d1117",
    "changed": "fill:#ddf4ff,stroke:#0969da,stroke-width:3px,color:#0d1117",
}
LEGEND: Final[dict[Mark, str]] = {
    "added": "added: new in this change",
    "replaced": "replaced: CloudFormation creates a new one and deletes the old",
    "removed": "removed: deleted by this change",
    "changed": "changed: some of its listed items are added or removed",
}
#: Characters per line when items are listed inline.
_INLINE_WIDTH: Final = 44
_ITEM_SUFFIX: Final[dict[Mark, str]] = {
    "added": " (added)",
    "replaced": " (replaced)",
    "removed": " (removed)",
    "changed": " (changed)",
}


@dataclass
class Item:
    """One listed line of a node that stands for resources of its own (an add-on, an
    endpoint, a key), so a change to one of them is marked on that line."""

    key: str
    """Identity across BASE and HEAD (e.g. the add-on name)."""
    text: str
    resources: frozenset[ResourceKey]
    mark: Mark | None = None


@dataclass
class Node:
    """One drawn box."""

    id: str
    title: str
    lines: list[str] = field(default_factory=list)
    """Detail lines under the title (not tied to resources of their own)."""
    items: list[Item] = field(default_factory=list)
    resources: frozenset[ResourceKey] = frozenset()
    """The resources the node itself stands for (besides its items')."""
    shape: Shape = "box"
    kind: str = ""
    """What the node is (``subnet-private``, ``nodepool``...), for JSON readers and tests."""
    inline_items: bool = False
    """List the items comma-separated, a few per line (endpoints), instead of one a line."""
    mark: Mark | None = None

    def all_resources(self) -> frozenset[ResourceKey]:
        found = set(self.resources)
        for item in self.items:
            found |= item.resources
        return frozenset(found)

    def label_lines(self) -> list[str]:
        lines = list(self.lines)
        shown = [item.text + (_ITEM_SUFFIX[item.mark] if item.mark else "") for item in self.items]
        if not self.inline_items:
            return lines + shown
        current = ""
        for index, entry in enumerate(shown):
            entry += "," if index < len(shown) - 1 else ""
            if current and len(current) + 1 + len(entry) > _INLINE_WIDTH:
                lines.append(current)
                current = entry
            else:
                current = f"{current} {entry}" if current else entry
        if current:
            lines.append(current)
        return lines


@dataclass
class Group:
    """A subgraph: a stack, the VPC, an availability zone, the capacity..."""

    id: str
    title: str
    children: list[Node | Group] = field(default_factory=list)
    resources: frozenset[ResourceKey] = frozenset()
    """Resources the group's own box stands for (the VPC for the VPC group)."""
    direction: Literal["TB", "LR"] | None = None
    kind: str = ""
    """``stack``, ``vpc``, ``zone``, ``capacity``, ``addons``, ``tenants``..."""
    mark: Mark | None = None

    def nodes(self) -> Iterator[Node]:
        for child in self.children:
            if isinstance(child, Group):
                yield from child.nodes()
            else:
                yield child

    def groups(self) -> Iterator[Group]:
        yield self
        for child in self.children:
            if isinstance(child, Group):
                yield from child.groups()


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    text: str | None = None
    dotted: bool = False
    invisible: bool = False
    """A layout hint (``~~~``): keeps nodes in a column without drawing a line."""


@dataclass
class Picture:
    groups: list[Group] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def nodes(self) -> Iterator[Node]:
        for group in self.groups:
            yield from group.nodes()

    def all_groups(self) -> Iterator[Group]:
        for group in self.groups:
            yield from group.groups()

    def ids(self) -> set[str]:
        return {n.id for n in self.nodes()} | {g.id for g in self.all_groups()}


def _mark_of(actions: list[Action | None]) -> Mark | None:
    """A node's (or item's) mark from the actions on its resources.

    Removed only if every resource is removed; replaced if any is replaced; added if every
    resource is added; changed if some (not all) are added or removed.
    """
    if not actions:
        return None
    if all(a == "remove" for a in actions):
        return "removed"
    if any(a == "replace" for a in actions):
        return "replaced"
    if all(a == "add" for a in actions):
        return "added"
    if any(a in ("add", "remove") for a in actions):
        return "changed"
    return None


def _combine(own: Mark | None, items: list[Mark | None], has_own: bool) -> Mark | None:
    """A node's mark from its own resources' mark and its items' marks."""
    marks = ([own] if has_own else []) + items
    if not marks:
        return None
    if all(m == "removed" for m in marks):
        return "removed"
    if any(m == "replaced" for m in marks):
        return "replaced"
    if all(m == "added" for m in marks):
        return "added"
    if any(m is not None for m in marks):
        return "changed"
    return None


def mark(picture: Picture, changes: Mapping[ResourceKey, Action]) -> None:
    """Set the mark of every node, item and group from `changes` (keeping marks already set
    by :func:`merge_base`, which win: a node only BASE has is removed whatever else)."""
    for node in picture.nodes():
        for item in node.items:
            if item.mark is None:
                item.mark = _mark_of([changes.get(r) for r in sorted(item.resources)])
        if node.mark is None:
            own = _mark_of([changes.get(r) for r in sorted(node.resources)])
            node.mark = _combine(own, [i.mark for i in node.items], bool(node.resources))
    for group in picture.all_groups():
        if group.mark is None and group.resources:
            group.mark = _mark_of([changes.get(r) for r in sorted(group.resources)])


def _set_all(target: Node | Group, value: Mark) -> None:
    if isinstance(target, Node):
        target.mark = value
        for item in target.items:
            item.mark = value
        return
    target.mark = value
    for child in target.children:
        _set_all(child, value)


def merge_base(head: Picture, base: Picture) -> None:
    """Draw into `head` what only `base` has, marked removed; mark what only `head` has as
    added (nodes, items and groups matched by id, items by key).

    A node that moved to another group is neither drawn twice nor marked: only ids that
    HEAD has nowhere come from BASE, and only ids that BASE has nowhere are added. Edges of
    BASE that touch a removed node come along (dotted).
    """
    _merge_children(head.groups, base.groups, head.ids(), base.ids())
    head_ids = head.ids()
    known = {(e.source, e.target) for e in head.edges}
    base_only_nodes = {n.id for n in head.nodes() if n.mark == "removed"}
    for edge in base.edges:
        if (edge.source, edge.target) in known:
            continue
        if (
            edge.source in head_ids
            and edge.target in head_ids
            and (edge.source in base_only_nodes or edge.target in base_only_nodes)
        ):
            head.edges.append(edge if edge.invisible else replace(edge, dotted=True))


def _merge_children(
    head: list[Node | Group] | list[Group],
    base: list[Node | Group] | list[Group],
    head_ids: set[str],
    base_ids: set[str],
) -> None:
    head_by_id = {c.id: c for c in head}
    here = {c.id for c in base}
    for child in head:
        if child.id not in here and child.id not in base_ids:
            _set_all(child, "added")
    for position, child in enumerate(base):
        match = head_by_id.get(child.id)
        if match is None:
            if child.id in head_ids or not _prune(child, head_ids):
                continue  # moved elsewhere in HEAD, not removed
            _set_all(child, "removed")
            # Keep BASE's order where possible: after the sibling that precedes it there.
            index = _insert_index(head, base, position)
            head.insert(index, child)  # type: ignore[arg-type]
            head_by_id[child.id] = child
            continue
        if isinstance(match, Group) and isinstance(child, Group):
            _merge_children(match.children, child.children, head_ids, base_ids)
        elif isinstance(match, Node) and isinstance(child, Node):
            _merge_items(match, child)


def _prune(target: Node | Group, head_ids: set[str]) -> bool:
    """Drop from a BASE-only group what HEAD has elsewhere; False if nothing is left."""
    if isinstance(target, Node):
        return target.id not in head_ids
    target.children = [c for c in target.children if _prune(c, head_ids)]
    return bool(target.children)


def _insert_index(
    head: list[Node | Group] | list[Group], base: list[Node | Group] | list[Group], position: int
) -> int:
    for earlier in reversed(base[:position]):
        for index, child in enumerate(head):
            if child.id == earlier.id:
                return index + 1
    return 0 if position == 0 else len(head)


def _merge_items(head: Node, base: Node) -> None:
    base_keys = {i.key for i in base.items}
    head_keys = {i.key for i in head.items}
    for item in head.items:
        if item.key not in base_keys:
            item.mark = "added"
    for item in base.items:
        if item.key not in head_keys:
            head.items.append(replace(item, mark="removed"))


def render(picture: Picture, *, legend: bool, header: list[str] | None = None) -> str:
    """The picture as Mermaid flowchart text (top to bottom)."""
    out = ["flowchart TB"]
    for comment in header or []:
        out.append(f"  %% {comment.replace('%%', '%')}")
    for group in picture.groups:
        _render_group(group, out, depth=1)
    for edge in picture.edges:
        if edge.invisible:
            out.append(f"  {edge.source} ~~~ {edge.target}")
        else:
            out.append("  " + edge_text(edge.source, edge.target, edge.text, dotted=edge.dotted))
    marked: dict[Mark, list[str]] = {}
    for node in picture.nodes():
        if node.mark:
            marked.setdefault(node.mark, []).append(node.id)
    for group in picture.all_groups():
        if group.mark:
            marked.setdefault(group.mark, []).append(group.id)
    if legend:
        out.append('  subgraph legend["Legend"]')
        out.append("    direction LR")
        for name, text in LEGEND.items():
            legend_id = f"legend_{name}"
            out.append("    " + node_text(legend_id, "box", f'"{escape_label(text)}"'))
            marked.setdefault(name, []).append(legend_id)
        out.append("  end")
    used = [m for m in CLASS_STYLES if m in marked]
    for name in used:
        out.append(f"  classDef {name} {CLASS_STYLES[name]}")
    for name in used:
        out.append(f"  class {','.join(marked[name])} {name}")
    return "\n".join(out) + "\n"


def _render_group(group: Group, out: list[str], depth: int) -> None:
    pad = "  " * depth
    out.append(f'{pad}subgraph {group.id}["{escape_label(group.title)}"]')
    if group.direction:
        out.append(f"{pad}  direction {group.direction}")
    for child in group.children:
        if isinstance(child, Group):
            _render_group(child, out, depth + 1)
        else:
            text = label(child.title, child.label_lines())
            out.append(pad + "  " + node_text(child.id, child.shape, text))
    out.append(f"{pad}end")
