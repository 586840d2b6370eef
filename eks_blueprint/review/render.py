"""Render a Report as Markdown for a pull-request comment (or a terminal)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .model import RETAIN_POLICIES, GitOpsDiff, NagCount, Report, ResourceChange, StackDiff
from .values import render, shorten

_MAX_PROPERTIES = 15
_RISK_LABEL = {
    "replaced": "**REPLACED**",
    "may be replaced": "**MAY BE REPLACED**",
    "deleted": "**DELETED**",
    "orphaned (retained)": "orphaned (retained)",
}


def _stack_label(stage: str, name: str) -> str:
    return f"{stage}/{name}" if stage else name


def _code(text: str) -> str:
    return "`" + text.replace("`", "'") + "`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _action(change: ResourceChange) -> str:
    if change.action == "add":
        return "create"
    if change.action == "remove":
        return "orphan (retained)" if change.deletion_policy in RETAIN_POLICIES else "delete"
    return {
        "none": "update in place",
        "replace": "**REPLACE**",
        "may-replace": "**may replace**",
        "unknown": "update (replacement unknown)",
    }[change.replacement]


def render_markdown(report: Report, plans: Sequence[str] = ()) -> str:
    """The whole report: stateful risks and security first, then `plans` (the Markdown of
    :func:`eks_blueprint.review.plans.render_plans`, when the review ran the plans), then
    per-stack details."""
    out: list[str] = ["## Infrastructure review", ""]
    out.append(f"BASE {_code(report.base)} → HEAD {_code(report.head)}")
    out.append("")
    if not report.schemas_available:
        out += ["> cfn-lint's registry schemas are not installed: replacements are unknown.", ""]
    if not report.has_changes:
        out += ["**No infrastructure changes.**", ""]
        out += _assets(report)
        out += _nag(report)
        return "\n".join(out).rstrip() + "\n"

    blocking = report.blocking_risks
    if report.risks:
        if blocking:
            out += [
                "> [!CAUTION]",
                f"> **{len(blocking)} stateful resource(s) would be replaced or deleted.** "
                "Their data, keys, logs or running workloads are lost unless this is a "
                "planned migration.",
                "",
            ]
        else:
            out += [
                "> [!WARNING]",
                "> Stateful resources leave their stacks but are retained in the account "
                "(orphaned).",
                "",
            ]
        out += ["### ⚠️ Stateful resources at risk", ""]
        out += ["| Risk | Stack | Resource | Type | Why |", "|---|---|---|---|---|"]
        for risk in report.risks:
            out.append(
                f"| {_RISK_LABEL[risk.risk]} | {_stack_label(risk.stage, risk.stack)} | "
                f"{_code(risk.logical_id)} | {risk.resource_type} | {_cell(risk.detail)} |"
            )
        out.append("")

    if report.security:
        out += ["### Security-relevant changes", ""]
        for finding in sorted(report.security, key=lambda f: not f.flagged):
            mark = "⚠️ **flagged**" if finding.flagged else "ℹ️"
            out.append(
                f"- {mark} {_stack_label(finding.stage, finding.stack)} "
                f"{_code(finding.logical_id)} ({finding.resource_type}): {finding.message}"
            )
        out.append("")

    out += list(plans)
    out += ["### Summary", ""]
    out += [
        "| Stack | Status | Added | Removed | Modified | Replaced |",
        "|---|---|---|---|---|---|",
    ]
    for stack in report.stacks:
        if not stack.has_changes:
            continue
        count = _counts(stack.changes)
        out.append(
            f"| {_stack_label(stack.stage, stack.name)} | {stack.status} | {count['add']} | "
            f"{count['remove']} | {count['modify']} | {count['replace']} |"
        )
    for tree in report.gitops:
        if not tree.has_changes:
            continue
        apps = {a: sum(c.action == a for c in tree.applications) for a in _APP_ACTIONS}
        out.append(
            f"| {tree.tree} (Argo CD) | {tree.status} | {apps['add']} | {apps['remove']} | "
            f"{apps['modify']} | – |"
        )
    out.append("")
    for stack in report.stacks:
        if stack.has_changes:
            out += _stack(stack)
    out += _gitops(report.gitops)
    out += _assets(report)
    out += _nag(report)
    return "\n".join(out).rstrip() + "\n"


def _tag_only(change: ResourceChange) -> bool:
    return (
        change.action == "modify"
        and change.replacement == "none"
        and not change.notes
        and bool(change.properties)
        and all(p.path.startswith("Tags") for p in change.properties)
    )


def _counts(changes: Iterable[ResourceChange]) -> dict[str, int]:
    count = {"add": 0, "remove": 0, "modify": 0, "replace": 0}
    for change in changes:
        count[change.action] += 1
        if change.action == "modify" and change.replacement in ("replace", "may-replace"):
            count["replace"] += 1
    return count


def _stack(stack: StackDiff) -> list[str]:
    out = [f"### {_stack_label(stack.stage, stack.name)} ({stack.status})", ""]
    if stack.changes:
        out += ["| Action | Logical id | Type |", "|---|---|---|"]
        for change in stack.changes:
            type_ = change.resource_type
            if change.old_type:
                type_ = f"{change.old_type} → {type_}"
            out.append(f"| {_action(change)} | {_code(change.logical_id)} | {type_} |")
        out.append("")
    tag_only = [c for c in stack.changes if _tag_only(c)]
    details = [
        c for c in stack.changes if (c.properties or c.notes or c.reasons) and c not in tag_only
    ]
    if tag_only:
        tag_changes = sorted(
            {
                f"{_code(p.path)}: {_code(render(p.old))} → {_code(render(p.new))}"
                for c in tag_only
                for p in c.properties
            }
        )
        out.append(
            f"- tags only, in place, on {len(tag_only)} resource(s): "
            f"{shorten(', '.join(tag_changes), 240)}"
        )
    for change in details:
        head = f"- {_code(change.logical_id)} ({change.resource_type}): {_action(change)}"
        if change.reasons and change.replacement != "none":
            head += f" because {'; '.join(change.reasons)}"
        out.append(head)
        for prop in change.properties[:_MAX_PROPERTIES]:
            tag = {"replace": " *(create-only)*", "may-replace": " *(conditionally create-only)*"}
            out.append(
                f"  - {_code(prop.path)}: {_code(shorten(render(prop.old)))} → "
                f"{_code(shorten(render(prop.new)))}{tag.get(prop.replacement, '')}"
            )
        if len(change.properties) > _MAX_PROPERTIES:
            out.append(f"  - and {len(change.properties) - _MAX_PROPERTIES} more properties")
        for note in change.notes:
            out.append(f"  - note: {note}")
    if details or tag_only:
        out.append("")
    if stack.kubernetes:
        out += ["Kubernetes:", ""]
        sign = {"add": "added", "remove": "removed", "modify": "modified"}
        for k in stack.kubernetes:
            out.append(f"- {sign[k.action]}: {_code(k.what)} (in {_code(k.logical_id)})")
            out += [f"  - {d}" for d in k.details]
        out.append("")
    if stack.other_changes:
        out += [f"- {line}" for line in stack.other_changes] + [""]
    return out


_APP_ACTIONS = {"add": "create", "remove": "delete", "modify": "update"}


def _gitops(trees: Sequence[GitOpsDiff]) -> list[str]:
    """Each GitOps tree that changes: its Applications (one ApplicationSet file each)
    created, deleted or updated when Argo CD syncs the merged commit, with what changed."""
    changed = [t for t in trees if t.has_changes]
    if not changed:
        return []
    out = ["### GitOps: Argo CD Applications", ""]
    for tree in changed:
        out += [f"#### {tree.tree} ({tree.status})", ""]
        if tree.applications:
            out += ["| Action | Application | Kind | Item | Layer |", "|---|---|---|---|---|"]
            for app in tree.applications:
                item = _code(app.item) if app.item else ""
                out.append(
                    f"| {_APP_ACTIONS[app.action]} | {_code(app.name)} | {app.kind} | {item} | "
                    f"{app.layer} |"
                )
            out.append("")
        for app in tree.applications:
            if app.details:
                out.append(f"- {_code(app.name)} ({app.kind}): {_APP_ACTIONS[app.action]}")
                out += [f"  - {line}" for line in app.details]
        out += [f"- {line}" for line in tree.other_changes]
        if tree.other_changes or any(a.details for a in tree.applications):
            out.append("")
    return out


def _assets(report: Report) -> list[str]:
    changes = report.asset_changes
    if not changes:
        return []
    by_stack: dict[str, list[str]] = {}
    for stack, lid in changes:
        by_stack.setdefault(_stack_label(stack.stage, stack.name), []).append(lid)
    listed = "; ".join(f"{name}: {', '.join(ids)}" for name, ids in by_stack.items())
    return [
        f"Assets changed (new code or templates, same settings) in {len(changes)} "
        f"resource(s): {shorten(listed, 300)}",
        "",
    ]


def _nag(report: Report) -> list[str]:
    if report.nag_base is None and report.nag_head is None:
        return ["cdk-nag: no validation-report.json in either assembly.", ""]
    base = report.nag_base or {}
    head = report.nag_head or {}
    out = ["### cdk-nag", ""]
    out += ["| Pack | Severity | Open (base → head) | Acknowledged (base → head) |"]
    out += ["|---|---|---|---|"]
    for key in sorted(set(base) | set(head)):
        b, h = base.get(key, NagCount()), head.get(key, NagCount())
        base_open = "–" if report.nag_base is None else str(b.open)
        base_ack = "–" if report.nag_base is None else str(b.acknowledged)
        head_open = "–" if report.nag_head is None else str(h.open)
        head_ack = "–" if report.nag_head is None else str(h.acknowledged)
        out.append(f"| {key[0]} | {key[1]} | {base_open} → {head_open} | {base_ack} → {head_ack} |")
    if not base and not head:
        out.append("| (no findings) | | 0 → 0 | 0 → 0 |")
    out.append("")
    return out
