"""EKS best-practice and deployability checks: a cdk-nag 3.x rule pack and a command line
over templates.

``EksBestPracticesChecks`` (the cdk-nag pack) is imported lazily, so that the pure rules
and ``python -m eks_blueprint.nag`` never load ``aws_cdk`` or start jsii.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ..template import ExportIndex, ResourceRef, TemplateView, Unresolved
from .engine import (
    evaluate,
    evaluate_resource,
    evaluate_stack,
    findings_for,
    rule_counts,
    rule_table,
    stack_findings,
)
from .limits import deployability_rules
from .model import Finding, Level, Rule, StackRule, Status, Verdict
from .quotas import DEFAULT_QUOTAS, Quotas
from .rules import RULES, RULES_BY_TYPE

if TYPE_CHECKING:
    from .pack import PACK_NAME, EksBestPracticesChecks

_LAZY: dict[str, str] = {"EksBestPracticesChecks": "pack", "PACK_NAME": "pack"}

__all__ = [
    "DEFAULT_QUOTAS",
    "PACK_NAME",
    "RULES",
    "RULES_BY_TYPE",
    "EksBestPracticesChecks",
    "ExportIndex",
    "Finding",
    "Level",
    "Quotas",
    "ResourceRef",
    "Rule",
    "StackRule",
    "Status",
    "TemplateView",
    "Unresolved",
    "Verdict",
    "deployability_rules",
    "evaluate",
    "evaluate_resource",
    "evaluate_stack",
    "findings_for",
    "rule_counts",
    "rule_table",
    "stack_findings",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{module}", __name__), name)
