"""Apply the rule table to resources and templates (pure Python, no ``aws_cdk``).

The table is the best-practice rules (``EKSBP*``, :mod:`eks_blueprint.nag.rules`) followed by
the deployability rules (``EKSDEP*``, :mod:`eks_blueprint.nag.limits`), whose adjustable
limits come from a :class:`~eks_blueprint.nag.quotas.Quotas`. Resource rules run once per
resource of the types they inspect; stack rules once per template.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from ..template import ResourceRef, TemplateView
from .limits import deployability_rules
from .model import STACK_TYPE, Finding, Rule, StackRule, Verdict
from .quotas import DEFAULT_QUOTAS, Quotas
from .rules import RULES

AnyRule = Rule | StackRule


def rule_counts() -> dict[str, int]:
    """How many rules each family has, from the rule table itself: ``{"EKSBP": n,
    "EKSDEP": m}``. Documentation that states a rule count derives it from here."""
    return {"EKSBP": len(RULES), "EKSDEP": len(deployability_rules())}


@functools.lru_cache(maxsize=8)
def rule_table(quotas: Quotas = DEFAULT_QUOTAS) -> tuple[AnyRule, ...]:
    """Every rule the pack and the command line run: ``EKSBP*`` then ``EKSDEP*``."""
    return (*RULES, *deployability_rules(quotas))


def _table(rules: Iterable[AnyRule] | None) -> Sequence[AnyRule]:
    return rule_table() if rules is None else tuple(rules)


def evaluate_resource(
    res: ResourceRef, rules: Iterable[AnyRule] | None = None
) -> list[tuple[Rule, Verdict]]:
    """Run every resource rule that inspects ``res``'s type (of ``rules``, default the whole
    table) and return the verdicts."""
    return [(rule, rule.check(res)) for rule in _table(rules)
            if isinstance(rule, Rule) and rule.applies_to(res.type)]


def evaluate_stack(
    view: TemplateView, rules: Iterable[AnyRule] | None = None
) -> list[tuple[StackRule, Verdict]]:
    """Run every stack rule (of ``rules``, default the whole table) on one template."""
    return [(rule, rule.check(view)) for rule in _table(rules) if isinstance(rule, StackRule)]


def findings_for(res: ResourceRef, rules: Iterable[AnyRule] | None = None) -> list[Finding]:
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


def stack_findings(view: TemplateView, rules: Iterable[AnyRule] | None = None) -> list[Finding]:
    """The reportable verdicts of the stack rules for one template (no logical id)."""
    return [
        Finding(
            rule_id=rule.id,
            level=rule.level_of(verdict),
            stack=view.name,
            logical_id="",
            resource_type=STACK_TYPE,
            status=verdict.status,
            message=verdict.message,
        )
        for rule, verdict in evaluate_stack(view, rules)
        if verdict.is_finding
    ]


def evaluate(view: TemplateView, rules: Iterable[AnyRule] | None = None,
             quotas: Quotas | None = None) -> list[Finding]:
    """All findings for one template: the stack rules first, then each resource in template
    order and rule order. ``rules`` defaults to the whole table with ``quotas`` (default:
    AWS's default quotas)."""
    selected = rule_table(quotas or DEFAULT_QUOTAS) if rules is None else tuple(rules)
    findings = stack_findings(view, selected)
    resource_rules = [r for r in selected if isinstance(r, Rule)]
    for logical_id in view.resources:
        res = view.get(logical_id)
        if res is not None and any(r.applies_to(res.type) for r in resource_rules):
            findings.extend(findings_for(res, resource_rules))
    return findings
