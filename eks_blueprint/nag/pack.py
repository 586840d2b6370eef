"""``EksBestPracticesChecks``: the EKS best-practice rules as a cdk-nag 3.x policy-validation pack.

Register it next to cdk-nag's own packs::

    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), EksBestPracticesChecks(app))

The pack is a thin adapter: for each ``CfnResource`` of a type the rule table inspects, it
finds the resource in a plain-data view of its stack's template and runs the pure rules of
:mod:`eks_blueprint.nag.rules` (best practice, ``EKSBP*``) and
:mod:`eks_blueprint.nag.limits` (deployability, ``EKSDEP*``). Stack rules (template size,
resource count...) run once per stack and are reported on the stack's first resource, since a
cdk-nag finding always names a ``CfnResource``. Which view:

* During ``app.synth()`` (CDK calls :meth:`validate`), the synthesized templates themselves,
  so property overrides are seen and ``Fn::ImportValue`` is followed across the app's stacks.
* When called directly with ``validate_scope(scope)`` (tests), a view built once per stack from
  each resource's rendered properties (``stack.resolve(resource._render_properties(...))``).
  Raw overrides (``add_property_override``) are not visible there.

Rule ids are ``EksBestPractices-EKSBP<n>`` and ``EksBestPractices-EKSDEP<n>``; a verdict the
rules could not decide (an unresolved reference) is reported as the warning
``EksBestPractices-<id>[unresolved]``, so acknowledging a real finding does not also hide
"could not check". The report has one violation per resource, whose description ends with
what the rule measured there (cdk-nag alone groups a rule's resources under one description).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any, cast

import aws_cdk as cdk
import jsii
from cdk_nag import IApplyRule, NagMessageLevel, NagPack, NagRuleCompliance
from constructs import IConstruct

from ..template import ExportIndex, ResourceRef, TemplateView, load_view
from .engine import AnyRule, evaluate_resource, evaluate_stack, rule_table
from .model import Level, Rule, StackRule, Status, Verdict
from .quotas import DEFAULT_QUOTAS, Quotas

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

    def __init__(self, node: cdk.CfnResource, rule: Rule | StackRule, verdict: Verdict) -> None:
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
    created them, and deployability (rules ``EKSDEP1``...) on every resource and stack: what
    CloudFormation and the service APIs would only reject at deploy time.

    :param scope: the app, as for cdk-nag's packs (needed by
        ``write_suppressions_to_cloud_formation``).
    :param verbose: add each rule's explanation (how to fix it) to the report.
    :param write_suppressions_to_cloud_formation: copy acknowledgements into template metadata.
    :param quotas: the account's adjustable service quotas where they differ from AWS's
        defaults, e.g. ``Quotas(trust_policy_length=4096)``.
    """

    def __init__(
        self,
        scope: IConstruct | None = None,
        *,
        verbose: bool | None = None,
        write_suppressions_to_cloud_formation: bool | None = None,
        quotas: Quotas | None = None,
    ) -> None:
        super().__init__(
            scope,
            verbose=verbose,
            write_suppressions_to_cloud_formation=write_suppressions_to_cloud_formation,
        )
        self._pack_name = PACK_NAME
        self._quotas = quotas or DEFAULT_QUOTAS
        self._rules: tuple[AnyRule, ...] = rule_table(self._quotas)
        self._by_type: dict[str, tuple[Rule, ...]] = {}
        self._views: dict[str, TemplateView] = {}
        self._synthesized: dict[str, TemplateView] = {}
        self._located: dict[str, tuple[TemplateView, str]] = {}
        self._details: dict[tuple[str, str], str] = {}

    @property
    def name(self) -> str:
        """The plugin name shown in CDK's validation report."""
        return PACK_NAME

    @property
    def quotas(self) -> Quotas:
        """The service quotas the deployability rules check against."""
        return self._quotas

    @property
    def rule_ids(self) -> list[str]:
        """The ids of the rules this pack evaluates."""
        return [f"{PACK_NAME}-{rule.id}" for rule in self._rules]

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
            views[os.path.basename(path)] = load_view(path, template, os.path.basename(path),
                                                      exports)
        self._synthesized = views
        self._located = _locate_by_path(context.template_paths, views)
        self._details = {}
        try:
            return self._with_details(super().validate(context))
        finally:
            self._synthesized = {}
            self._located = {}

    def validate_scope(self, scope: IConstruct) -> cdk.PolicyValidationPluginReport:
        """Check a construct tree directly (tests, or CDK versions without ``appConstruct``)."""
        self._views = {}
        self._details = {}
        try:
            return self._with_details(super().validate_scope(scope))
        finally:
            self._views = {}

    def _rules_for(self, resource_type: str) -> tuple[Rule, ...]:
        rules = self._by_type.get(resource_type)
        if rules is None:
            rules = tuple(r for r in self._rules
                          if isinstance(r, Rule) and r.applies_to(resource_type))
            self._by_type[resource_type] = rules
        return rules

    def _check_resource(self, node: cdk.CfnResource) -> None:
        # cdk-nag calls this (a jsii callback) for every CfnResource of the app, so its jsii
        # round trips count: during synth, one (`toString()`, "<path> [<type>]") finds the
        # resource in the synthesized templates through the stacks' logical-id metadata.
        located = self._locate(node) if self._located else None
        if located is not None:
            path, view, res = located
            rules = self._rules_for(res.type)
            if rules:
                self._evaluate(node, path, view, res, rules)
            return
        rules = self._rules_for(node.cfn_resource_type)
        if not rules:
            return
        stack = cdk.Stack.of(node)
        logical_id = str(stack.resolve(node.logical_id))
        view = self._view_for(stack)
        found = view.get(logical_id)
        if found is None:  # added after the view was built: rebuild once
            view = self._view_for(stack, refresh=True)
            found = view.get(logical_id)
        if found is None:
            return
        self._evaluate(node, node.node.path, view, found, rules)

    def _locate(self, node: cdk.CfnResource) -> tuple[str, TemplateView, ResourceRef] | None:
        """The path, template and resource of ``node`` by the synthesized templates'
        metadata, or None (then the caller asks the construct tree)."""
        described = node.to_string()  # CfnResource: "<construct path> [<resource type>]"
        path, _, rest = described.rpartition(" [")
        if not path or not rest.endswith("]"):
            return None
        located = self._located.get(path)
        if located is None:
            return None
        view, logical_id = located
        res = view.get(logical_id)
        if res is None or res.type != rest[:-1]:
            return None
        return path, view, res

    def _evaluate(self, node: cdk.CfnResource, path: str, view: TemplateView, res: ResourceRef,
                  rules: tuple[Rule, ...]) -> None:
        verdicts: list[tuple[Rule | StackRule, Verdict]] = list(evaluate_resource(res, rules))
        if res.logical_id == _anchor(view):
            verdicts.extend(evaluate_stack(view, self._rules))
        for rule, verdict in verdicts:
            if verdict.is_finding:
                suffix = f"[{UNRESOLVED}]" if verdict.status is Status.UNRESOLVED else ""
                self._details[(f"{PACK_NAME}-{rule.id}{suffix}", path)] = verdict.message
                self._apply_rule(cast(IApplyRule, _AppliedRule(node, rule, verdict)))

    def _view_for(self, stack: cdk.Stack, refresh: bool = False) -> TemplateView:
        synthesized = self._synthesized.get(os.path.basename(stack.template_file))
        if synthesized is not None:
            return synthesized
        key = stack.node.path
        if refresh or key not in self._views:
            self._views[key] = _view_from_constructs(stack)
        return self._views[key]

    def _with_details(
            self, report: cdk.PolicyValidationPluginReport) -> cdk.PolicyValidationPluginReport:
        """The report with one violation per resource, whose description ends with what the
        rule found on that resource (cdk-nag keeps one description per rule, and CDK prints
        a violation's description next to each of its resources)."""
        if not self._details:
            return report
        violations = []
        for violation in report.violations:
            for resource in violation.violating_resources:
                detail = self._details.get((violation.rule_name, str(resource.construct_path)))
                description = violation.description
                if detail and not description.endswith(f"\n  {detail}"):
                    description = f"{description}\n  {detail}"
                violations.append(cdk.PolicyViolation(
                    rule_name=violation.rule_name,
                    description=description,
                    violating_resources=[resource],
                    fix=violation.fix,
                    rule_metadata=violation.rule_metadata,
                    severity=violation.severity,
                ))
        return cdk.PolicyValidationPluginReport(
            success=report.success, violations=violations, metadata=report.metadata,
            plugin_version=report.plugin_version)


def _locate_by_path(template_paths: Sequence[str], views: Mapping[str, TemplateView]
                    ) -> dict[str, tuple[TemplateView, str]]:
    """Construct path -> (template view, logical id) of every resource in the synthesized
    templates, from their stacks' ``aws:cdk:logicalId`` metadata in the cloud assembly.

    A template with a nested stack is left out (the metadata of the nested stack's resources
    is in its parent's, with the nested template's logical ids), as is any template whose
    metadata cannot be read: their resources are located through the construct tree.
    """
    located: dict[str, tuple[TemplateView, str]] = {}
    manifests: dict[str, Mapping[str, Any]] = {}
    for template_path in template_paths:
        view = views.get(os.path.basename(template_path))
        if view is None or any(resource.get("Type") == "AWS::CloudFormation::Stack"
                               for resource in view.resources.values()):
            continue
        for path, entries in _stack_metadata(template_path, manifests).items():
            for entry in entries:
                if (isinstance(entry, dict) and entry.get("type") == LOGICAL_ID_METADATA
                        and isinstance(entry.get("data"), str)):
                    located[path.lstrip("/")] = (view, entry["data"])
    return located


#: The metadata type CDK records each CfnElement's logical id under.
LOGICAL_ID_METADATA = "aws:cdk:logicalId"


def _stack_metadata(template_path: str, manifests: dict[str, Mapping[str, Any]]
                    ) -> dict[str, list[Any]]:
    """The construct metadata of the stack whose template this is: its artifact's inline
    ``metadata`` and ``additionalMetadataFile`` in the assembly's manifest.json."""
    directory, name = os.path.split(template_path)
    manifest = manifests.get(directory)
    if manifest is None:
        try:
            with open(os.path.join(directory, "manifest.json"), encoding="utf-8") as stream:
                manifest = json.load(stream)
        except (OSError, ValueError):
            manifest = {}
        manifests[directory] = manifest if isinstance(manifest, Mapping) else {}
        manifest = manifests[directory]
    artifacts = manifest.get("artifacts")
    for artifact in artifacts.values() if isinstance(artifacts, Mapping) else ():
        if not isinstance(artifact, Mapping):
            continue
        properties = artifact.get("properties")
        if not isinstance(properties, Mapping) or properties.get("templateFile") != name:
            continue
        parts = [artifact.get("metadata")]
        extra = artifact.get("additionalMetadataFile")
        if isinstance(extra, str):
            try:
                with open(os.path.join(directory, extra), encoding="utf-8") as stream:
                    parts.append(json.load(stream))
            except (OSError, ValueError):
                return {}
        metadata: dict[str, list[Any]] = {}
        for part in parts:
            for path, entries in part.items() if isinstance(part, Mapping) else ():
                if isinstance(path, str) and isinstance(entries, list):
                    metadata.setdefault(path, []).extend(entries)
        return metadata
    return {}


def _anchor(view: TemplateView) -> str | None:
    """The logical id stack-level findings are reported on: the first resource that is not
    CDK's own metadata."""
    for logical_id, resource in view.resources.items():
        if not str(resource.get("Type", "")).startswith("AWS::CDK::"):
            return logical_id
    return None


def _view_from_constructs(stack: cdk.Stack) -> TemplateView:
    """A template view of ``stack`` built from its L1 resources' rendered properties, plus its
    outputs and parameters (so the stack rules can count them)."""
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    parameters: dict[str, Any] = {}
    for construct in stack.node.find_all():
        output = isinstance(construct, cdk.CfnOutput)
        parameter = isinstance(construct, cdk.CfnParameter)
        if not (output or parameter or cdk.CfnResource.is_cfn_resource(construct)):
            continue
        if cdk.Stack.of(construct).node.path != stack.node.path:
            continue  # a nested stack's element
        if output or parameter:
            element: cdk.CfnElement = construct  # type: ignore[assignment]
            section = outputs if output else parameters
            section[str(stack.resolve(element.logical_id))] = {}
            continue
        resource: cdk.CfnResource = construct  # type: ignore[assignment]
        body: dict[str, Any] = {"Type": resource.cfn_resource_type}
        try:
            props = stack.resolve(resource._render_properties(resource._cfn_properties))
        except Exception:  # a property that only resolves during synthesis
            props = None
        if props:
            body["Properties"] = props
        resources[str(stack.resolve(resource.logical_id))] = body
    template: dict[str, Any] = {"Resources": resources}
    if outputs:
        template["Outputs"] = outputs
    if parameters:
        template["Parameters"] = parameters
    return TemplateView(template, stack.stack_name, stack_name=stack.stack_name,
                        stack_tags=stack.tags.tag_values())
