"""Compliance gates: the cdk-nag packs every stage is checked against, and acknowledgements.

cdk-nag 3.x packs are policy-validation plugins: registered once on the app, they run at
synth and fail it (`ValidationFailed`, plus validation-report.json) on any unacknowledged
error. An acknowledgement sits next to the resource it is about, with a reason a reviewer
can check; `acknowledge` is the one way this project writes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks, NagPack, NIST80053R5Checks
from constructs import IConstruct


def compliance_packs(scope: IConstruct) -> list[NagPack]:
    """The packs this project gates on: AWS Solutions, NIST 800-53 rev 5, and this
    project's EKS best-practice pack (cdk-nag's own EKS rules never fire on aws_eks_v2)."""
    from .nag import EksBestPracticesChecks

    return [AwsSolutionsChecks(scope), NIST80053R5Checks(scope), EksBestPracticesChecks(scope)]


def add_compliance_packs(scope: IConstruct) -> None:
    """Register the packs on `scope` (the app, or a stage) so that synth enforces them."""
    Validations.of(scope).add_plugins(*compliance_packs(scope))


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one finding (rule id, granular ids included) on `construct` and below."""
    _record(construct, [_acknowledgment(rule_id, reason)])


def acknowledge_all(construct: IConstruct, rules: Iterable[tuple[str, str]]) -> None:
    """Acknowledge several findings, `(rule id, reason)` in order, on `construct` and below:
    the same as `acknowledge` for each (the same metadata, in the same order), in two jsii
    round trips instead of two per rule. Every reason is checked before any is recorded."""
    _record(construct, [_acknowledgment(rule_id, reason) for rule_id, reason in rules])


def _acknowledgment(rule_id: str, reason: str) -> Acknowledgment:
    if len(reason) < 20:
        raise ValueError(f"acknowledgement of {rule_id} needs a reason a reviewer can check")
    return Acknowledgment(id=rule_id, reason=reason)


def _record(construct: IConstruct, acknowledgments: Sequence[Acknowledgment]) -> None:
    if acknowledgments:
        Validations.of(construct).acknowledge(*acknowledgments)


def nag_resource_name(value: Any) -> str:
    """A resolved policy value as cdk-nag writes it in granular ids such as
    `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:*:subnet/*]`:
    `Ref` becomes `<Name>`, `Fn::GetAtt` `<Id.Attr>`, `Fn::Join` is joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return f"<{arg}>"
        if fn == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>" if isinstance(arg, list) else f"<{arg}>"
        if fn == "Fn::Join":
            return str(arg[0]).join(nag_resource_name(part) for part in arg[1])
    return json.dumps(value, sort_keys=True)


def wildcard_resources(policy: iam.ManagedPolicy) -> list[str]:
    """The `Allow` resources of `policy` that contain `*` (AwsSolutions-IAM5 findings), in
    cdk-nag's granular form, first-seen order."""
    document = Stack.of(policy).resolve(policy.document)
    found: list[str] = []
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        resources = statement.get("Resource", [])
        for resource in resources if isinstance(resources, list) else [resources]:
            name = nag_resource_name(resource)
            if "*" in name and name not in found:
                found.append(name)
    return found


def acknowledge_wildcard_resources(
    policy: iam.ManagedPolicy, reason_for: Callable[[str], str | None], *, owner: str
) -> None:
    """Acknowledge AwsSolutions-IAM5 for each wildcard resource of `policy`, with the reason
    `reason_for(resource)` gives. A wildcard without a reason is an error naming `owner`, so
    a new `*` cannot slip in unexplained."""
    acknowledgments: list[Acknowledgment] = []
    for resource in wildcard_resources(policy):
        reason = reason_for(resource)
        if reason is None:
            raise ValueError(
                f"{owner}: the policy grants {resource!r}, which has no written reason; "
                "narrow the resource or add its reason"
            )
        acknowledgments.append(
            _acknowledgment(f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]", reason)
        )
    _record(policy, acknowledgments)


#: (construct path fragment or "", granular IAM5 id pattern, reason): why a wildcard in a
#: generated role policy is needed; checked in order, the first match wins.
WildcardReasons = Sequence[tuple[str, re.Pattern[str], str]]


def wildcard_reason(reasons: WildcardReasons, path: str, granular: str) -> str | None:
    """The reason of the first entry of `reasons` whose fragment is in `path` and whose
    pattern matches `granular` (`Action::...` or `Resource::...`), or None."""
    for fragment, pattern, reason in reasons:
        if fragment in path and pattern.fullmatch(granular):
            return reason
    return None


def acknowledge_policy_wildcards(
    policy: iam.Policy,
    reasons: WildcardReasons,
    *,
    inline_reason: str,
    what: str = "the policy",
    table: str = "_WILDCARD_REASONS",
) -> None:
    """Acknowledge a generated role's default policy: NIST IAMNoInlinePolicy with
    `inline_reason`, and AwsSolutions-IAM5 (granular: one id per action group or resource)
    for every wildcard of an `Allow` statement, with its reason from `reasons`. A wildcard
    without one is an error naming the policy (`what`) and the `table` to add it to, so a
    new `*` cannot slip in unexplained. Reads the template's document (the L1's)."""
    node = policy.node
    path = node.path
    acknowledgments = [
        _acknowledgment("NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy", inline_reason)
    ]
    cfn_policy = node.default_child
    assert isinstance(cfn_policy, iam.CfnPolicy)
    document = Stack.of(policy).resolve(cfn_policy.policy_document)
    for statement in document.get("Statement", []):
        if statement.get("Effect") != "Allow":
            continue
        for kind in ("Action", "Resource"):
            values = statement.get(kind, [])
            for value in values if isinstance(values, list) else [values]:
                name = nag_resource_name(value)
                if "*" not in name:
                    continue
                granular = f"{kind}::{name}"
                reason = wildcard_reason(reasons, path, granular)
                if reason is None:
                    raise ValueError(
                        f"{path}: {what} grants {granular!r}, which has no written reason; "
                        f"narrow it or add its reason to {table}"
                    )
                acknowledgments.append(
                    _acknowledgment(f"AwsSolutions::AwsSolutions-IAM5[{granular}]", reason)
                )
    _record(policy, acknowledgments)
