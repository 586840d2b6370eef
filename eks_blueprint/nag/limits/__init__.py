"""Deployability rules (``EKSDEP1``...): what CloudFormation and the service APIs reject only
at deploy time, checked offline on any template. One module per family.

A template can pass every compliance rule and cfn-lint and still fail ``cdk deploy``: an IAM
managed policy over 6,144 characters, a role name over 64 once the cluster name is filled in,
a stack over 500 resources. These rules measure each value at the longest it can be at deploy
time (:mod:`eks_blueprint.nag.lengths`) and say what they assumed.

Like :mod:`eks_blueprint.nag.rules`, every rule is a small pure function declared with its
id and texts right above it (``@DEPLOYABILITY.rule``): resource rules take a
:class:`~eks_blueprint.template.ResourceRef`, stack rules a
:class:`~eks_blueprint.template.TemplateView`. Limits an account can raise are read from a
:class:`~eks_blueprint.nag.quotas.Quotas`; :func:`deployability_rules` binds them into the rule
table. Each number cites the AWS page it comes from.

Families: :mod:`.iam` (EKSDEP1-5), :mod:`.cloudformation` (EKSDEP6-9), :mod:`.tags`
(EKSDEP10), :mod:`.ec2` (EKSDEP11), :mod:`.eks` (EKSDEP12-15), :mod:`.kubernetes` (EKSDEP16),
:mod:`.services` (EKSDEP17-18).
"""

from __future__ import annotations

import functools

from ..catalog import DEPLOYABILITY
from ..model import Rule, StackRule
from ..quotas import DEFAULT_QUOTAS, Quotas
from . import cloudformation, ec2, eks, iam, kubernetes, services, tags

#: The families, imported for their declarations (the decorators fill DEPLOYABILITY).
FAMILIES = (iam, cloudformation, tags, ec2, eks, kubernetes, services)


@functools.lru_cache(maxsize=8)
def deployability_rules(quotas: Quotas = DEFAULT_QUOTAS) -> tuple[Rule | StackRule, ...]:
    """Every deployability rule, in id order, with ``quotas`` bound into the ones that read
    an adjustable quota."""
    return DEPLOYABILITY.build(quotas)


__all__ = ["FAMILIES", "deployability_rules"]
