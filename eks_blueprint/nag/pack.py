"""``EksBestPracticesChecks``: the EKS best-practice rules as a cdk-nag 3.x policy-validation pack.

Register it next to cdk-nag's own packs::

    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), EksBestPracticesChecks(app))

The pack is a thin adapter: for each ``CfnResource`` of a type the rule table inspects, it
finds the resource in a plain-data view of its stack's template and runs the pure rules of
:mod:`eks_blueprint.nag.rules`. Which view:

* During ``app.synth()`` (CDK calls :meth:`validate`), the synthesized templates themselves,
  so property overrides are seen and ``Fn::ImportValue`` is followed across the app's stacks.
* When called directly with ``validate_scope(scope)`` (tests), a view built once per stack from
  each resource's rendered properties (``stack.resolve(resource._render_properties(...))``).
  Raw overrides (``add_property_override``) are not visible there.

Rule ids are ``EksBestPractices-EKSBP<n>``; a verdict the rules could not decide (an
unresolved reference) is reported as the warning ``EksBestPractices-EKSBP<n>[unresolved]``,
so acknowledging a real finding does not also hide "could not check".
"""

from __future__ import annotations

import json
import os
from typing import Any, cast

import aws_cdk as cdk
import jsii
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct

from .engine import evaluate_resource
from .model import Level, Rule, Status, Verdict
from .rules import RULES, RULES_BY_TYPE
from .template import ExportIndex, TemplateView, stack_name_for

#: The pack name: rule ids are ``EksBestPractices-EKSBP<n>``.
PACK_NAME = "EksBestPractices"

#: The granular suffix of findings the rules could not decide.
UNRESOLVED = "unresolved"

_LEVELS = {Level.ERROR: NagMessageLevel.ERROR, Level.WARNING: NagMessageLevel.WARN}


@jsii.implements(IApplyRule)
class _AppliedRule:
    """One rule's precomputed result for one resource, in the shape cdk-nag's applyRule wants.

    cdk-nag reads these as jsii properties, so they must be Python properties, not attributes.
    """

    def __init__(self, node: cdk.CfnResource, rule: Rule, verdict: Verdict) -> None:
        self._node = node
        self._rule = rule
        self._verdict = verdict

    @property
    def node(self) -> cdk.CfnResource:
        return self._node

    @property
    def rule_suffix_override(self) -> str:
        return self._rule.id

    @property
    def level(self) -> NagMessageLevel:
        return _LEVELS[self._rule.level_of(self._verdict)]

    @property
    def info(self) -> str:
        if self._verdict.status is Status.UNRESOLVED:
            return (f"Could not check {self._rule.id} from the template alone (run "
                    f"eks-blueprint-nag on cdk.out for why). {self._rule.info}")
        return self._rule.info

    @property
    def explanation(self) -> str:
        return self._rule.explanation

    def rule(self, node: cdk.CfnResource) -> NagRuleCompliance | list[str]:
        if self._verdict.status is Status.UNRESOLVED:
            return [UNRESOLVED]
        return NagRuleCompliance.NON_COMPLIANT


class EksBestPracticesChecks(NagPack):
    """Checks Amazon EKS best practices (rules ``EKSBP1``...) on any ``AWS::EKS::*`` and
    related CloudFormation resources, whichever CDK module (aws_eks_v2, aws_eks, raw Cfn*)
    created them.

    :param scope: the app, as for cdk-nag's packs (needed by
        ``write_suppressions_to_cloud_formation``).
    :param verbose: add each rule's explanation (how to fix it) to the report.
    :param write_suppressions_to_cloud_formation: copy acknowledgements into template metadata.
    """

    def __init__(
        self,
        scope: IConstruct | None = None,
        *,
        verbose: bool | None = None,
        write_suppressions_to_cloud_formation: bool | None = None,
    ) -> None:
        super().__init__(
            scope,
            verbose=verbose,
            write_suppressions_to_cloud_formation=write_suppressions_to_cloud_formation,
        )
        self._pack_name = PACK_NAME
        self._views: dict[str, TemplateView] = {}
        self._synthesized: dict[str, TemplateView] = {}

    @property
    def name(self) -> str:
        """The plugin name shown in CDK's validation report."""
        return PACK_NAME

    @property
    def rule_ids(self) -> list[str]:
        """The ids of the rules this pack evaluates."""
        return [f"{PACK_NAME}-{rule.id}" for rule in RULES]

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        """Called by CDK after synthesis: check against the synthesized templates."""
        exports = ExportIndex()
        views: dict[str, TemplateView] = {}
        for path in context.template_paths:
            try:
                with open(path, encoding="utf-8") as stream:
                    template = json.load(stream)
            except (OSError, ValueError):
                continue
            view = TemplateView(template, os.path.basename(path), exports)
            exports.add(view, stack_name_for(path))
            views[os.path.basename(path)] = view
        self._synthesized = views
        try:
            return super().validate(context)
        finally:
            self._synthesized = {}

    def validate_scope(self, scope: IConstruct) -> cdk.PolicyValidationPluginReport:
        """Check a construct tree directly (tests, or CDK versions without ``appConstruct``)."""
        self._views = {}
        try:
            return super().validate_scope(scope)
        finally:
            self._views = {}

    def _check_resource(self, node: cdk.CfnResource) -> None:
        rules = RULES_BY_TYPE.get(node.cfn_resource_type)
        if not rules:
            return
        stack = cdk.Stack.of(node)
        logical_id = str(stack.resolve(node.logical_id))
        view = self._view_for(stack)
        res = view.get(logical_id)
        if res is None:  # added after the view was built: rebuild once
            view = self._view_for(stack, refresh=True)
            res = view.get(logical_id)
        if res is None:
            return
        for rule, verdict in evaluate_resource(res, rules):
            if verdict.is_finding:
                self._apply_rule(cast(IApplyRule, _AppliedRule(node, rule, verdict)))

    def _view_for(self, stack: cdk.Stack, refresh: bool = False) -> TemplateView:
        synthesized = self._synthesized.get(os.path.basename(stack.template_file))
        if synthesized is not None:
            return synthesized
        key = stack.node.path
        if refresh or key not in self._views:
            self._views[key] = _view_from_constructs(stack)
        return self._views[key]


def _view_from_constructs(stack: cdk.Stack) -> TemplateView:
    """A template view of ``stack`` built from its L1 resources' rendered properties."""
    resources: dict[str, Any] = {}
    for construct in stack.node.find_all():
        if not cdk.CfnResource.is_cfn_resource(construct):
            continue
        if cdk.Stack.of(construct).node.path != stack.node.path:
            continue  # a nested stack's resource
        resource: cdk.CfnResource = construct  # type: ignore[assignment]
        body: dict[str, Any] = {"Type": resource.cfn_resource_type}
        try:
            props = stack.resolve(resource._render_properties(resource._cfn_properties))
        except Exception:  # a property that only resolves during synthesis
            props = None
        if props:
            body["Properties"] = props
        resources[str(stack.resolve(resource.logical_id))] = body
    return TemplateView({"Resources": resources}, stack.stack_name)
