"""The EKS best-practice rules (``EKSBP*``), one module per resource family.

Every rule is a small pure function over CloudFormation: it takes a
:class:`~eks_blueprint.template.ResourceRef` (a resource's ``Properties`` plus a read-only
view of its template) and returns a :class:`~eks_blueprint.nag.model.Verdict`. Its id, level,
one-line info and fix are declared right above it with ``@BEST_PRACTICE.rule(...)``. The same
functions run inside the cdk-nag pack (:mod:`eks_blueprint.nag.pack`) and the command line
(:mod:`eks_blueprint.nag.cli`), so a template gets the same answer however it is checked.

Rules look at CloudFormation types only, never at CDK classes, so they see ``aws_eks_v2``,
``aws_eks`` and raw ``Cfn*`` resources alike. When a rule needs another resource and cannot
follow the reference (a cross-stack import without the exporting template, a literal
``subnet-...`` id, a parameter) it answers :meth:`Verdict.unresolved` instead of guessing.

Families: :mod:`.cluster` (EKSBP1-8), :mod:`.nodes` (EKSBP9-15, EKSBP25), :mod:`.iam`
(EKSBP16-17), :mod:`.addons` (EKSBP18-19), :mod:`.services` (EKSBP20-24).
"""

from __future__ import annotations

from ..catalog import BEST_PRACTICE
from ..model import Rule
from . import addons, cluster, iam, nodes, services
from .services import INTERRUPTION_EVENTS, interruption_queue_reason

#: The families, imported for their declarations (the decorators fill BEST_PRACTICE).
FAMILIES = (cluster, nodes, iam, addons, services)

#: Every rule, in id order. The cdk-nag pack and the command line both read this table.
RULES: tuple[Rule, ...] = tuple(r for r in BEST_PRACTICE.build() if isinstance(r, Rule))

#: The rules by CloudFormation type.
RULES_BY_TYPE: dict[str, tuple[Rule, ...]] = {
    rtype: tuple(r for r in RULES if rtype in r.resource_types)
    for rtype in sorted({t for r in RULES for t in r.resource_types})
}

__all__ = ["FAMILIES", "INTERRUPTION_EVENTS", "RULES", "RULES_BY_TYPE",
           "interruption_queue_reason"]
