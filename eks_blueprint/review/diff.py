"""Compare two assemblies stack by stack: resources added, removed, modified, replaced.

Replacement is decided the way CloudFormation decides it: a changed `Type` or a changed
create-only property (from the registry schemas cfn-lint ships) replaces the resource; so
does a create-only property that refers (Ref / Fn::GetAtt) to a resource being replaced,
because its value changes when the new resource is created. A changed logical id is a
delete plus a create. Asset hashes are masked first, so new Lambda code or a new nested
template with the same settings is reported once, as "assets changed", not as a change.

A Kubernetes layer is reported item by item (:mod:`.layers`): each item added, removed,
modified or moved is a change of its own, named ``<layer>[<item id>]``. Given the GitOps
trees of both sides, the Argo CD Applications are compared too (:mod:`.gitops`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..template import LAYER_TYPE, MANIFEST_TYPE, Assembly, StackTemplate, references
from .gitops import compare_trees
from .kubernetes import deleted_with_their_resource, kubernetes_changes
from .layers import item_changes, item_type, layer_notes, layer_properties
from .model import (
    KIND_LOSS,
    RETAIN_POLICIES,
    STATEFUL_KINDS,
    STATEFUL_TYPES,
    GitOpsDiff,
    PropertyChange,
    Replacement,
    Report,
    ResourceChange,
    SecurityChange,
    StackDiff,
    StatefulRisk,
)
from .nag import nag_summary
from .schemas import replacement_rules, schemas_available
from .security import security_findings
from .values import ABSENT, leaf_changes, mask_assets, render, values_at
from .weakening import (
    kubernetes_weakening,
    removal_findings,
    termination_protection_findings,
    weakening_findings,
)

#: Resource attributes whose change is a change to the infrastructure (DependsOn and
#: Metadata are not: they alter ordering and annotations only).
_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy", "Condition")
_CUSTOM = re.compile(r"^(Custom::|AWS::CloudFormation::CustomResource$)")
_RANK: dict[Replacement, int] = {"none": 0, "unknown": 1, "may-replace": 2, "replace": 3}


def compare(
    base: Assembly,
    head: Assembly,
    *,
    base_gitops: Path | None = None,
    head_gitops: Path | None = None,
) -> Report:
    """The review of `head` against `base`; with `base_gitops` and `head_gitops` (the
    directories holding each side's GitOps trees, e.g. the checkouts' ``gitops/``), also
    what changes for Argo CD (:mod:`.gitops`)."""
    stacks: list[StackDiff] = []
    risks: list[StatefulRisk] = []
    security: list[SecurityChange] = []
    keys = sorted(set(base.stacks) | set(head.stacks))
    for key in keys:
        old, new = base.stacks.get(key), head.stacks.get(key)
        diff = _compare_stack(old, new)
        stacks.append(diff)
        risks.extend(_risks(diff))
        security.extend(_security(diff, old, new))
    gitops: list[GitOpsDiff] = []
    if base_gitops is not None or head_gitops is not None:
        gitops, gitops_risks = compare_trees(base_gitops, head_gitops)
        risks.extend(gitops_risks)
    return Report(
        base=str(base.path),
        head=str(head.path),
        stacks=stacks,
        risks=risks,
        security=security,
        nag_base=nag_summary(base.validation_reports),
        nag_head=nag_summary(head.validation_reports),
        schemas_available=schemas_available(),
        gitops=gitops,
    )


def _compare_stack(old: StackTemplate | None, new: StackTemplate | None) -> StackDiff:
    some = new or old
    assert some is not None
    old_res = old.resources if old else {}
    new_res = new.resources if new else {}
    diff = StackDiff(
        stage=some.stage,
        name=some.name,
        status="added" if old is None else "removed" if new is None else "modified",
    )
    region = some.region
    for lid in sorted(set(old_res) - set(new_res)):
        diff.changes.append(_removed(lid, old_res[lid]))
    for lid in sorted(set(new_res) - set(old_res)):
        diff.changes.append(
            ResourceChange(logical_id=lid, action="add", resource_type=_type(new_res[lid]))
        )
    for lid in sorted(set(old_res) & set(new_res)):
        change = _modified(lid, old_res[lid], new_res[lid], region)
        if change is not None:
            diff.changes.append(change)
        elif _raw_essence(old_res[lid]) != _raw_essence(new_res[lid]):
            # Equal once asset hashes are masked: new code or template, same settings.
            diff.asset_changes.append(lid)
    _cascade(diff, old_res, new_res, region)
    replaced_layers = {
        c.logical_id: (c.replacement, "; ".join(c.reasons))
        for c in diff.changes
        if c.resource_type == LAYER_TYPE
        and c.action == "modify"
        and c.replacement in ("replace", "may-replace")
    }
    diff.changes.extend(item_changes(old_res, new_res, replaced_layers))
    layer_notes(diff.changes, old_res, new_res)
    _note_renames(diff)
    if old is not None and new is not None:
        diff.other_changes.extend(_template_sections(old.template, new.template))
        if old.termination_protection != new.termination_protection:
            # A stack setting from the manifest, not the template: still a change to deploy.
            diff.other_changes.append(
                "termination protection: "
                f"{_setting(old.termination_protection)} → {_setting(new.termination_protection)}"
            )
    diff.kubernetes.extend(kubernetes_changes(old_res, new_res))
    if diff.status != "removed":
        diff.deleted_with_resource.extend(deleted_with_their_resource(old_res, new_res))
        _note_deleted_with_resource(diff)
    diff.changes.sort(key=lambda c: ({"remove": 0, "modify": 1, "add": 2}[c.action], c.logical_id))
    if diff.status == "modified" and not diff.has_changes:
        diff.status = "unchanged"
    return diff


def _note_deleted_with_resource(diff: StackDiff) -> None:
    """On a removed aws_eks_v2 manifest or chart resource: what its Delete removes although
    the stack still applies it (a layer item, another resource)."""
    by_lid: dict[str, list[str]] = {}
    for lid, what, _ in diff.deleted_with_resource:
        by_lid.setdefault(lid, []).append(what)
    for change in diff.changes:
        gone = by_lid.get(change.logical_id)
        if change.action != "remove" or not gone:
            continue
        shown = ", ".join(gone[:5]) + (f" and {len(gone) - 5} more" if len(gone) > 5 else "")
        change.notes.append(
            f"its Delete (aws_eks_v2's handler: kubectl delete, helm uninstall) runs after the "
            f"resources that apply the same now, and removes {len(gone)} of them from the "
            f"cluster: {shown}; to move them, first deploy this resource with DeletionPolicy "
            "Retain (CloudFormation then skips its Delete), then remove it"
        )


def _setting(value: bool | None) -> str:
    return "(not set)" if value is None else str(value).lower()


def _type(resource: dict[str, Any]) -> str:
    return str(resource.get("Type", "?"))


def _raw_essence(resource: dict[str, Any]) -> dict[str, Any]:
    essence = {"Type": resource.get("Type"), "Properties": resource.get("Properties") or {}}
    for attribute in _ATTRIBUTES:
        if attribute in resource:
            essence[attribute] = resource[attribute]
    return essence


def _essence(resource: dict[str, Any]) -> dict[str, Any]:
    essence: dict[str, Any] = mask_assets(_raw_essence(resource))
    return essence


def _removed(lid: str, resource: dict[str, Any]) -> ResourceChange:
    return ResourceChange(
        logical_id=lid,
        action="remove",
        resource_type=_type(resource),
        deletion_policy=resource.get("DeletionPolicy"),
        update_replace_policy=resource.get("UpdateReplacePolicy"),
    )


def _modified(
    lid: str, old: dict[str, Any], new: dict[str, Any], region: str | None
) -> ResourceChange | None:
    old_e, new_e = _essence(old), _essence(new)
    if old_e == new_e:
        return None
    change = ResourceChange(
        logical_id=lid,
        action="modify",
        resource_type=_type(new),
        old_type=_type(old) if _type(old) != _type(new) else None,
        deletion_policy=old.get("DeletionPolicy"),
        update_replace_policy=old.get("UpdateReplacePolicy"),
    )
    old_props, new_props = old_e["Properties"], new_e["Properties"]
    layer_changes: list[PropertyChange] = []
    if change.resource_type == LAYER_TYPE and not change.old_type:
        # Items are changes of their own (item_changes); Elsewhere identity by identity.
        old_props, new_props, layer_changes = layer_properties(old_props, new_props)
    if change.old_type:
        _escalate(change, "replace", f"Type changed from {change.old_type}")
    rules = replacement_rules(change.resource_type, region)
    create_only = rules.create_only if rules else ()
    conditional = rules.conditional if rules else ()
    for path, before, after in leaf_changes(old_props, new_props):
        segments = _segments(path)
        verdict: Replacement = "none"
        if any(_overlaps(segments, c) for c in create_only):
            verdict = "replace"
        elif any(_overlaps(segments, c) for c in conditional):
            verdict = "may-replace"
        change.properties.append(PropertyChange(path, before, after, verdict))
    change.properties.extend(layer_changes)
    for attribute in _ATTRIBUTES:
        before, after = old_e.get(attribute, ABSENT), new_e.get(attribute, ABSENT)
        if before != after:
            change.properties.append(PropertyChange(attribute, before, after))
    if rules is None and not change.old_type:
        if _CUSTOM.match(change.resource_type):
            change.notes.append(
                "custom resource: CloudFormation sends an update to its handler, which "
                "decides whether the object is replaced"
            )
        elif change.properties:
            _escalate(change, "unknown", "no registry schema for this type")
    for segments in create_only:
        if values_at(old_props, segments) != values_at(new_props, segments):
            _escalate(change, "replace", f"{'.'.join(segments)} is create-only")
    for segments in conditional:
        if values_at(old_props, segments) != values_at(new_props, segments):
            _escalate(change, "may-replace", f"{'.'.join(segments)} is conditionally create-only")
    if change.replacement in ("replace", "may-replace"):
        _note_fixed_name(change, old_props, new_props, create_only)
    if (
        change.deletion_policy in RETAIN_POLICIES
        and new.get("DeletionPolicy") not in RETAIN_POLICIES
    ):
        change.notes.append(
            f"DeletionPolicy {change.deletion_policy} -> {new.get('DeletionPolicy', 'Delete')}: "
            "deleting the stack or resource will now destroy it"
        )
    return change


def _escalate(change: ResourceChange, verdict: Replacement, reason: str) -> None:
    if _RANK[verdict] > _RANK[change.replacement]:
        change.replacement = verdict
    if verdict != "unknown" or not change.reasons:
        change.reasons.append(reason)


def _segments(path: str) -> tuple[str, ...]:
    # "EncryptionConfig[0].Provider.KeyArn" -> ("EncryptionConfig", "*", "Provider", "KeyArn")
    return tuple(s for s in re.sub(r"\[[^\]]*\]", ".*", path).split(".") if s)


def _overlaps(change: tuple[str, ...], create_only: tuple[str, ...]) -> bool:
    """True if one path lies under the other (a whole object replaced, or a leaf in it)."""
    n = min(len(change), len(create_only))
    return all(a == b or "*" in (a, b) for a, b in zip(change[:n], create_only[:n], strict=True))


def _note_fixed_name(
    change: ResourceChange,
    old_props: dict[str, Any],
    new_props: dict[str, Any],
    create_only: tuple[tuple[str, ...], ...],
) -> None:
    """CloudFormation refuses to replace a custom-named resource whose name stays the same."""
    own_name = change.resource_type.rsplit("::", 1)[-1].lower() + "name"
    for segments in create_only:
        if len(segments) == 1 and segments[0].lower() in ("name", own_name):
            name = segments[0]
            literal = isinstance(old_props.get(name), str)
            if literal and old_props.get(name) == new_props.get(name):
                change.notes.append(
                    f"{name} {render(new_props[name])!r} is fixed: CloudFormation cannot replace "
                    "a custom-named resource without a new name, so this deploy will fail "
                    "(rename it too, or migrate; see docs/review.md)"
                )


def _cascade(
    diff: StackDiff, old_res: dict[str, Any], new_res: dict[str, Any], region: str | None
) -> None:
    """Mark resources whose create-only properties refer to a replaced resource as replaced."""
    by_id = {c.logical_id: c for c in diff.changes if c.action == "modify"}
    changed = True
    while changed:
        changed = False
        replaced = {
            c.logical_id: c.replacement
            for c in by_id.values()
            if c.replacement in ("replace", "may-replace")
        }
        if not replaced:
            return
        for lid in sorted(set(old_res) & set(new_res)):
            resource = new_res[lid]
            if _type(resource) != _type(old_res[lid]):
                continue
            rules = replacement_rules(_type(resource), region)
            if rules is None:
                continue
            props = resource.get("Properties") or {}
            for segments in rules.create_only:
                refs = set()
                for value in values_at(props, segments):
                    refs |= references(value) if value is not ABSENT else set()
                hit = sorted(r for r in refs & set(replaced) if r != lid)
                if not hit:
                    continue
                verdict: Replacement = (
                    "replace" if any(replaced[h] == "replace" for h in hit) else "may-replace"
                )
                change = by_id.get(lid)
                if change is None:
                    change = ResourceChange(
                        logical_id=lid,
                        action="modify",
                        resource_type=_type(resource),
                        deletion_policy=old_res[lid].get("DeletionPolicy"),
                        update_replace_policy=old_res[lid].get("UpdateReplacePolicy"),
                    )
                    by_id[lid] = change
                    diff.changes.append(change)
                    if lid in diff.asset_changes:
                        diff.asset_changes.remove(lid)
                reason = f"{'.'.join(segments)} refers to {', '.join(hit)}, which is replaced"
                if reason not in change.reasons and _RANK[verdict] >= _RANK[change.replacement]:
                    before = change.replacement
                    _escalate(change, verdict, reason)
                    changed = changed or before != change.replacement


def _note_renames(diff: StackDiff) -> None:
    """A stateful resource removed and another of its type added looks like a logical-id change."""
    removed = [c for c in diff.changes if c.action == "remove" and c.stateful]
    added = [c for c in diff.changes if c.action == "add" and c.stateful]
    for gone in removed:
        twins = [a.logical_id for a in added if a.resource_type == gone.resource_type]
        if twins:
            gone.notes.append(
                f"a new {gone.resource_type} ({', '.join(twins)}) is added: if this is a "
                "renamed construct, its logical id changed, which deletes the old resource "
                "and creates a new one (keep the old id with override_logical_id)"
            )


def _template_sections(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for section in ("Parameters", "Outputs", "Conditions", "Mappings", "Rules"):
        before = mask_assets(old.get(section) or {})
        after = mask_assets(new.get(section) or {})
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        modified = sorted(k for k in set(before) & set(after) if before[k] != after[k])
        for label, names in (("added", added), ("removed", removed), ("modified", modified)):
            if names:
                lines.append(f"{section} {label}: {', '.join(names)}")
    return lines


def _risks(diff: StackDiff) -> list[StatefulRisk]:
    risks: list[StatefulRisk] = []
    for change in diff.changes:
        if not change.stateful:
            continue
        resource_type = change.old_type or change.resource_type
        retained = change.deletion_policy in RETAIN_POLICIES
        if change.action == "remove":
            if retained:
                risks.append(
                    _risk(
                        diff,
                        change,
                        "orphaned (retained)",
                        "removed from the stack; DeletionPolicy "
                        f"{change.deletion_policy} keeps it in the account, unmanaged",
                        resource_type,
                    )
                )
            else:
                detail = (
                    "removed from the stack" if diff.status != "removed" else "its stack is removed"
                )
                detail = f"{detail}: CloudFormation deletes it"
                if resource_type == LAYER_TYPE:
                    detail = "; ".join([detail, *change.notes])
                risks.append(_risk(diff, change, "deleted", detail, resource_type))
        elif change.action == "modify" and change.replacement in ("replace", "may-replace"):
            why = "; ".join(change.reasons)
            if change.update_replace_policy in RETAIN_POLICIES:
                why += "; the old one is retained (orphaned) by UpdateReplacePolicy"
            risk = "replaced" if change.replacement == "replace" else "may be replaced"
            if resource_type == LAYER_TYPE:
                why += (
                    "; the layer is applied again under a new physical id, then CloudFormation "
                    "deletes the old one, whose Delete removes its items' objects"
                )
            risks.append(_risk(diff, change, risk, why, resource_type))
    # A Namespace is as stateful as any volume: deleting it deletes everything in it; a
    # claim or a volume takes its storage. Objects are matched across the whole stack, so
    # one that moves to another item or layer is not removed.
    for lid, what, kind in diff.deleted_with_resource:
        if kind in STATEFUL_KINDS:
            risks.append(
                StatefulRisk(
                    diff.stage,
                    diff.name,
                    lid,
                    f"Kubernetes {kind}",
                    "deleted",
                    f"{what} is still applied, now by another resource or layer item, but its "
                    "removed manifest resource's Delete (aws_eks_v2's handler runs kubectl "
                    f"delete after the new one applied it) deletes it: {KIND_LOSS[kind]}",
                )
            )
    for k8s in diff.kubernetes:
        kind = k8s.what.split(" ", 1)[0]
        if k8s.action == "remove" and kind in STATEFUL_KINDS:
            risks.append(
                StatefulRisk(
                    diff.stage,
                    diff.name,
                    k8s.logical_id,
                    f"Kubernetes {kind}",
                    "deleted",
                    f"{k8s.what} leaves its manifest: {KIND_LOSS[kind]}",
                )
            )
    return risks


def _risk(
    diff: StackDiff, change: ResourceChange, risk: Any, detail: str, resource_type: str
) -> StatefulRisk:
    return StatefulRisk(diff.stage, diff.name, change.logical_id, resource_type, risk, detail)


def _security(
    diff: StackDiff, old: StackTemplate | None, new: StackTemplate | None
) -> list[SecurityChange]:
    """Security findings of one stack: per resource added or modified (access widened,
    protection weakened), per resource removed (what leaves with it), then the stack's
    Kubernetes objects as a whole and its termination protection."""
    old_res = old.resources if old else {}
    new_res = new.resources if new else {}
    findings: list[SecurityChange] = []

    def add(lid: str, resource_type: str, pairs: list[tuple[str, bool]]) -> None:
        findings.extend(
            SecurityChange(diff.stage, diff.name, lid, resource_type, message, flagged)
            for message, flagged in pairs
        )

    for change in diff.changes:
        if change.item:
            continue  # layer items: their objects are judged as a whole below
        lid, resource_type = change.logical_id, change.resource_type
        if change.action == "remove":
            add(lid, resource_type, removal_findings(resource_type, old_res[lid]))
            continue
        before = old_res.get(lid) if change.action == "modify" else None
        after = new_res[lid]
        add(lid, resource_type, security_findings(resource_type, before, after))
        add(lid, resource_type, weakening_findings(resource_type, before, after))
    for lid, message, flagged in kubernetes_weakening(old_res, new_res):
        add(lid, _applier_type(lid, old_res, new_res), [(message, flagged)])
    some = new or old
    if some is not None:
        add(
            some.display_name or some.name,
            "AWS::CloudFormation::Stack",
            termination_protection_findings(old, new),
        )
    return findings


def _applier_type(lid: str, old_res: dict[str, Any], new_res: dict[str, Any]) -> str:
    """The type shown for what applies a Kubernetes object: a layer item
    (``<layer>[<item id>]``) or an aws_eks_v2 manifest resource."""
    layer = lid.split("[", 1)[0]
    resource = new_res.get(layer) or old_res.get(layer) or {}
    return item_type("manifest") if _type(resource) == LAYER_TYPE else MANIFEST_TYPE


__all__ = ["STATEFUL_TYPES", "compare"]
