"""EKS best-practice rules on IAM roles for pods (EKSBP16-EKSBP17): IRSA trust scoped to one
service account, Pod Identity trust that allows session tags.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ...template import PLACEHOLDER, ResourceRef, TemplateView, as_list, dig
from ..catalog import BEST_PRACTICE
from ..common import CLUSTER, OIDC_PROVIDERS, ROLE
from ..model import Level as L
from ..model import Verdict


def _statements(role: ResourceRef) -> Iterator[Mapping[str, Any]]:
    doc = role.properties.get("AssumeRolePolicyDocument")
    for statement in as_list(dig(doc, "Statement")):
        if isinstance(statement, Mapping) and statement.get("Effect", "Allow") == "Allow":
            yield statement


def _actions(view: TemplateView, statement: Mapping[str, Any]) -> set[str]:
    return {a for a in (view.render(x) for x in as_list(statement.get("Action"))) if a}


def _is_eks_oidc(view: TemplateView, federated: Any, condition: Any) -> bool:
    """Whether a web-identity trust is an EKS (IRSA) one, not e.g. GitHub Actions."""
    for principal in as_list(federated):
        text = view.render(principal)
        if text is not None and "oidc.eks." in text:
            return True
        found = view.deref(principal)
        if isinstance(found, ResourceRef) and found.type in OIDC_PROVIDERS:
            url = found.properties.get("Url")
            issuer = view.deref(url)
            if isinstance(issuer, ResourceRef) and issuer.type == CLUSTER:
                return True
            url_text = view.render(url)
            if url_text is not None and "oidc.eks." in url_text:
                return True
    return "system:serviceaccount:" in json.dumps(condition, default=str)


def _condition_block(view: TemplateView, condition: Any) -> dict[str, Mapping[str, Any]] | None:
    """The trust condition as ``{operator: {key: value}}``, reading CfnJson values."""
    condition = view.value(condition)
    if not isinstance(condition, Mapping):
        return None
    block: dict[str, Mapping[str, Any]] = {}
    for operator, entries in condition.items():
        entries = view.value(entries)
        if not isinstance(entries, Mapping):
            return None
        block[operator] = entries
    return block


def _has_wildcard(values: Sequence[str | None]) -> bool:
    return any(v is None or "*" in v or "?" in v.replace(PLACEHOLDER, "") for v in values)


@BEST_PRACTICE.rule(
    "EKSBP16", L.ERROR, ROLE,
    "An IRSA role does not trust exactly one service account on <issuer>:sub and :aud.",
    "Without StringEquals on sub and aud (or with wildcards) any service account in the "
    "cluster can assume the role. Fix: StringEquals {<issuer>:sub: system:serviceaccount:"
    "<ns>:<name>, <issuer>:aud: sts.amazonaws.com}.")
def irsa_trust(res: ResourceRef) -> Verdict:
    """EKSBP16: IRSA roles trust exactly one service account, on ``sub`` and ``aud``."""
    checked, problems = False, []
    for statement in _statements(res):
        federated = dig(statement, "Principal", "Federated")
        if federated is None or "sts:AssumeRoleWithWebIdentity" not in _actions(res.view,
                                                                                 statement):
            continue
        condition = statement.get("Condition")
        if not _is_eks_oidc(res.view, federated, res.view.value(condition)):
            continue
        checked = True
        block = _condition_block(res.view, condition) if condition is not None else {}
        if block is None:
            return Verdict.unresolved(f"cannot resolve the trust condition "
                                      f"{json.dumps(condition, default=str)}")
        problems.extend(_irsa_condition_problems(res.view, block))
    if not checked:
        return Verdict.na("no EKS web-identity trust")
    return Verdict.fail("; ".join(problems)) if problems else Verdict.ok()


def _irsa_condition_problems(view: TemplateView,
                             block: Mapping[str, Mapping[str, Any]]) -> list[str]:
    problems: list[str] = []
    for operator, entries in block.items():
        if operator == "StringEquals":
            continue
        for key, value in entries.items():
            values = [view.render(v) for v in as_list(value)]
            if key.endswith((":sub", ":aud")) and _has_wildcard(values):
                shown = ", ".join(map(str, values))
                problems.append(f"{operator} on {key} with a wildcard ({shown})")
    equals = block.get("StringEquals", {})
    subs = [(k, [view.render(v) for v in as_list(v)]) for k, v in equals.items()
            if k.endswith(":sub")]
    auds = [(k, [view.render(v) for v in as_list(v)]) for k, v in equals.items()
            if k.endswith(":aud")]
    if not subs:
        problems.append("no StringEquals condition on <issuer>:sub: every service account "
                        "can assume the role")
    for key, values in subs:
        if len(values) != 1 or _has_wildcard(values) or not (values[0] or "").startswith(
                "system:serviceaccount:"):
            problems.append(f"{key} must be one system:serviceaccount:<namespace>:<name>, "
                            f"got {', '.join(map(str, values))}")
    if not auds:
        problems.append("no StringEquals condition on <issuer>:aud")
    for key, values in auds:
        if values != ["sts.amazonaws.com"]:
            problems.append(f"{key} must be sts.amazonaws.com, got {', '.join(map(str, values))}")
    return problems


@BEST_PRACTICE.rule(
    "EKSBP17", L.ERROR, ROLE,
    "A Pod Identity role does not allow both sts:AssumeRole and sts:TagSession.",
    "EKS Pod Identity tags the session; without sts:TagSession the association fails. "
    "Fix: allow [sts:AssumeRole, sts:TagSession] for pods.eks.amazonaws.com "
    "(iam.SessionTagsPrincipal).")
def pod_identity_trust(res: ResourceRef) -> Verdict:
    """EKSBP17: Pod Identity roles allow both ``sts:AssumeRole`` and ``sts:TagSession``."""
    actions: set[str] | None = None
    for statement in _statements(res):
        services = [res.view.render(s) for s in as_list(dig(statement, "Principal", "Service"))]
        if "pods.eks.amazonaws.com" in services:
            actions = (actions or set()) | _actions(res.view, statement)
    if actions is None:
        return Verdict.na("does not trust pods.eks.amazonaws.com")
    if actions & {"sts:*", "*"}:
        return Verdict.ok()
    missing = [a for a in ("sts:AssumeRole", "sts:TagSession") if a not in actions]
    if missing:
        return Verdict.fail(f"trust for pods.eks.amazonaws.com lacks {', '.join(missing)}")
    return Verdict.ok()
