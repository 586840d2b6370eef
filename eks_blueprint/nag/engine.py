"""Apply the rule table to resources and templates (pure Python, no ``aws_cdk``)."""

from __future__ import annotations

from collections.abc import Iterable

from .model import Finding, Rule, Verdict
from .rules import RULES, RULES_BY_TYPE
from .template import ResourceRef, TemplateView


def evaluate_resource(
    res: ResourceRef, rules: Iterable[Rule] | None = None
) -> list[tuple[Rule, Verdict]]:
    """Run every rule that inspects ``res``'s type (or only ``rules``) and return the verdicts."""
    applicable = RULES_BY_TYPE.get(res.type, ())
    if rules is not None:
        wanted = {r.id for r in rules}
        applicable = tuple(r for r in applicable if r.id in wanted)
    return [(rule, rule.check(res)) for rule in applicable]


def findings_for(res: ResourceRef, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """The reportable verdicts (non-compliant or unresolved) for one resource."""
    return [
        Finding(
            rule_id=rule.id,
            level=rule.level_of(verdict),
            stack=res.view.name,
            logical_id=res.logical_id,
            resource_type=res.type,
            status=verdict.status,
            message=verdict.message,
        )
        for rule, verdict in evaluate_resource(res, rules)
        if verdict.is_finding
    ]


def evaluate(view: TemplateView, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """All findings for one template, in template order then rule order."""
    selected = list(rules) if rules is not None else list(RULES)
    types = {t for r in selected for t in r.resource_types}
    findings: list[Finding] = []
    for res in view.of_type(*types):
        findings.extend(findings_for(res, selected))
    return findings
