"""Deployability rules on IAM (EKSDEP1-EKSDEP5): policy sizes, trust policy length, managed
policies per identity, names, paths and descriptions. The numbers cite IAM and AWS STS
quotas."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ...template import ResourceRef, TemplateView, as_list
from ..catalog import DEPLOYABILITY
from ..common import assembly_views
from ..lengths import Longest, policy_size
from ..model import Level as L
from ..model import Verdict
from ..quotas import DEFAULT_QUOTAS, Quotas
from .common import (
    Measured,
    json_document,
    judge,
    literal_names,
    measured,
    name_problems,
    points_at,
)

#: IAM and AWS STS quotas (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html):
#: a managed policy document is at most 6,144 characters; the inline policies of one role
#: together 10,240, of one user 2,048, of one group 5,120. IAM does not count white space.
MANAGED_POLICY_SIZE = 6144
INLINE_POLICY_SIZE = {"AWS::IAM::Role": 10240, "AWS::IAM::User": 2048, "AWS::IAM::Group": 5120}
#: IAM and AWS STS quotas: names of roles and users 64 characters, of groups, policies and
#: instance profiles 128, paths 512; role descriptions 1,000.
IAM_NAME_RULES: Mapping[str, tuple[tuple[str, int, str], ...]] = {
    "AWS::IAM::Role": (("RoleName", 64, "name"), ("Path", 512, "path"),
                       ("Description", 1000, "description")),
    "AWS::IAM::User": (("UserName", 64, "name"), ("Path", 512, "path")),
    "AWS::IAM::Group": (("GroupName", 128, "name"), ("Path", 512, "path")),
    "AWS::IAM::ManagedPolicy": (("ManagedPolicyName", 128, "name"), ("Path", 512, "path"),
                                ("Description", 1000, "description")),
    "AWS::IAM::Policy": (("PolicyName", 128, "name"),),
    "AWS::IAM::RolePolicy": (("PolicyName", 128, "name"),),
    "AWS::IAM::UserPolicy": (("PolicyName", 128, "name"),),
    "AWS::IAM::GroupPolicy": (("PolicyName", 128, "name"),),
    "AWS::IAM::InstanceProfile": (("InstanceProfileName", 128, "name"), ("Path", 512, "path")),
}
#: IAM name requirements (IAM and AWS STS quotas): names are alphanumeric plus + = , . @ _ -;
#: paths start and end with "/"; descriptions are Basic Latin and Latin-1 characters. Inline
#: policy names use the same name charset: the IAM API's PolicyName of PutRolePolicy,
#: PutUserPolicy and PutGroupPolicy has the pattern ``[\w+=,.@-]+`` (IAM API reference,
#: https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html), stricter than
#: the quotas page's "any Basic Latin except \\ / * ? and white space".
IAM_CHARSETS = {
    "name": re.compile(r"^[\w+=,.@-]+$", re.ASCII),
    "path": re.compile(r"^/([\x21-\x7e]*/)?$"),
    "description": re.compile(r"^[\t\n\r\x20-\x7e\xa1-\xff]*$"),
}


IAM_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy",
                    "AWS::IAM::GroupPolicy")
IDENTITY_TYPES = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")
#: Which property of each inline-policy resource names the identities it belongs to.
_ATTACHMENT_PROPERTIES = {
    "AWS::IAM::Role": (("AWS::IAM::Policy", "Roles"), ("AWS::IAM::RolePolicy", "RoleName"),
                       ("AWS::IAM::ManagedPolicy", "Roles")),
    "AWS::IAM::User": (("AWS::IAM::Policy", "Users"), ("AWS::IAM::UserPolicy", "UserName"),
                       ("AWS::IAM::ManagedPolicy", "Users")),
    "AWS::IAM::Group": (("AWS::IAM::Policy", "Groups"), ("AWS::IAM::GroupPolicy", "GroupName"),
                        ("AWS::IAM::ManagedPolicy", "Groups")),
}
_KIND = {"AWS::IAM::Role": "role", "AWS::IAM::User": "user", "AWS::IAM::Group": "group"}


def _attached(res: ResourceRef, policy_type: str, prop: str) -> Iterator[ResourceRef]:
    """Resources of ``policy_type`` in the assembly whose ``prop`` names identity ``res``."""
    names = literal_names(res, "RoleName", "UserName", "GroupName")
    for view in assembly_views(res.view):
        for policy in view.of_type(policy_type):
            if any(points_at(view, item, res, names)
                   for item in as_list(policy.properties.get(prop))):
                yield policy


@DEPLOYABILITY.rule(
    "EKSDEP1", L.ERROR, "AWS::IAM::ManagedPolicy",
    "The IAM managed policy document is longer than 6,144 characters.",
    "IAM's CreatePolicy refuses a document over 6,144 characters (white space not "
    "counted) and the deploy fails. Fix: split the statements into several managed "
    "policies, each attached to the role.")
def managed_policy_size(res: ResourceRef) -> Verdict:
    """EKSDEP1: a managed policy document is at most 6,144 characters without whitespace."""
    document = res.properties.get("PolicyDocument")
    if document is None:
        return Verdict.na("no PolicyDocument")

    def check(longest: Longest) -> Measured:
        size = policy_size(longest.document(json_document(document)))
        return measured(size, MANAGED_POLICY_SIZE, "characters",
                        f"managed policy document is {size:,} characters without whitespace, "
                        f"{size - MANAGED_POLICY_SIZE:,} over IAM's limit of "
                        f"{MANAGED_POLICY_SIZE:,}: split it into several managed policies")
    return judge(res.view, check)


@DEPLOYABILITY.rule(
    "EKSDEP2", L.ERROR, IDENTITY_TYPES,
    "The inline policies of an IAM role, user or group are longer than IAM allows.",
    "IAM refuses inline policies that together exceed 10,240 characters for a role, "
    "2,048 for a user or 5,120 for a group (AWS::IAM::Policy resources attached to "
    "it count too). Fix: move statements into managed policies.")
def inline_policy_size(res: ResourceRef) -> Verdict:
    """EKSDEP2: the inline policies of a role, user or group together fit IAM's limit: its own
    ``Policies`` plus every ``AWS::IAM::Policy`` / ``RolePolicy``... attached to it."""
    limit = INLINE_POLICY_SIZE[res.type]
    documents: list[tuple[str, Any, TemplateView]] = []
    for index, policy in enumerate(as_list(res.properties.get("Policies"))):
        document = policy.get("PolicyDocument") if isinstance(policy, Mapping) else None
        if document is not None:
            name = res.view.render(policy.get("PolicyName")) or f"Policies[{index}]"
            documents.append((name, document, res.view))
    for policy_type, prop in _ATTACHMENT_PROPERTIES[res.type][:2]:
        for policy in _attached(res, policy_type, prop):
            document = policy.properties.get("PolicyDocument")
            if document is not None:
                documents.append((policy.logical_id, document, policy.view))
    if not documents:
        return Verdict.na("no inline policies")

    def check(longest: Longest) -> Measured:
        sizes = [(name, policy_size(longest.document(json_document(document), view)))
                 for name, document, view in documents]
        total = sum(size for _, size in sizes)
        parts = ", ".join(f"{name} {size:,}" for name, size in sorted(sizes,
                                                                       key=lambda s: -s[1]))
        return measured(total, limit, "characters",
                        f"the inline policies of this {_KIND[res.type]} total {total:,} "
                        f"characters without whitespace ({parts}), {total - limit:,} over "
                        f"IAM's limit of {limit:,}: move statements to managed policies")
    return judge(res.view, check)


@DEPLOYABILITY.rule(
    "EKSDEP3", L.ERROR, "AWS::IAM::Role",
    "The IAM role's trust policy is longer than the role trust policy length quota.",
    "IAM refuses a trust policy over the quota (2,048 characters by default). Fix: "
    "trust fewer principals per role, or raise the quota and pass it "
    "(--quota trust-policy-length=N, EksBestPracticesChecks(quotas=...)).",
    quotas=True)
def trust_policy_length(res: ResourceRef, quotas: Quotas = DEFAULT_QUOTAS) -> Verdict:
    """EKSDEP3: a role's trust policy fits the "Role trust policy length" quota."""
    document = res.properties.get("AssumeRolePolicyDocument")
    if document is None:
        return Verdict.na("no AssumeRolePolicyDocument")
    limit = quotas.trust_policy_length

    def check(longest: Longest) -> Measured:
        size = policy_size(longest.document(json_document(document)))
        return measured(size, limit, "characters",
                        f"trust policy is {size:,} characters without whitespace, "
                        f"{size - limit:,} over the role trust policy length quota of "
                        f"{limit:,} (adjustable: raise it in Service Quotas, then pass "
                        "--quota trust-policy-length=N)")
    return judge(res.view, check)


@DEPLOYABILITY.rule(
    "EKSDEP4", L.ERROR, IDENTITY_TYPES,
    "More managed policies are attached to an IAM role, user or group than the "
    "quota allows.",
    "IAM refuses to attach more than 10 managed policies: a quota for roles and "
    "users (adjustable), a fixed limit for groups. Fix: merge policies, or for a role "
    "or user raise the quota and pass it (--quota managed-policies-per-role=N).",
    quotas=True)
def managed_policies_per_identity(res: ResourceRef, quotas: Quotas = DEFAULT_QUOTAS) -> Verdict:
    """EKSDEP4: a role, user or group has at most its quota of managed policies attached:
    ``ManagedPolicyArns`` plus ``AWS::IAM::ManagedPolicy`` resources naming it."""
    arns = res.properties.get("ManagedPolicyArns")
    if arns is not None and not isinstance(arns, list):
        return Verdict.unresolved("ManagedPolicyArns is computed at deploy time")
    attached: set[tuple[str, ...]] = set()
    for arn in as_list(arns):
        found = res.view.deref(arn)
        if isinstance(found, ResourceRef) and found.type == "AWS::IAM::ManagedPolicy":
            attached.add(("resource", str(id(found.view)), found.logical_id))
        elif not (isinstance(arn, Mapping) and arn == {"Ref": "AWS::NoValue"}):
            attached.add(("arn", json.dumps(arn, sort_keys=True, default=str)))
    policy_type, prop = _ATTACHMENT_PROPERTIES[res.type][2]
    for policy in _attached(res, policy_type, prop):
        attached.add(("resource", str(id(policy.view)), policy.logical_id))
    kind = _KIND[res.type]
    limit = {"role": quotas.managed_policies_per_role, "user": quotas.managed_policies_per_user,
             "group": quotas.managed_policies_per_group}[kind]
    if len(attached) <= limit:
        return Verdict.ok(f"{len(attached)} of {limit}")
    if kind == "group":
        return Verdict.fail(f"{len(attached)} managed policies attached to this group, over "
                            f"IAM's limit of {limit} per group (not adjustable): merge "
                            "policies, or attach some to the roles or users instead")
    return Verdict.fail(f"{len(attached)} managed policies attached to this {kind}, over the "
                        f"quota of {limit} (adjustable: raise it in Service Quotas, then pass "
                        f"--quota managed-policies-per-{kind}=N; or merge policies)")


@DEPLOYABILITY.rule(
    "EKSDEP5", L.ERROR, tuple(IAM_NAME_RULES),
    "An IAM name, path or description breaks IAM's length or character rules.",
    "Role and user names are at most 64 characters, group, policy and instance "
    "profile names 128, paths 512 starting and ending with '/'. Fix: shorten the "
    "name, or leave it out and let CloudFormation generate one.")
def iam_names(res: ResourceRef) -> Verdict:
    """EKSDEP5: IAM names, paths and descriptions fit IAM's length and character rules."""
    return judge(res.view, lambda longest: (_iam_name_problems(res, longest), ""))


def _iam_name_problems(res: ResourceRef, longest: Longest) -> list[str]:
    problems: list[str] = []
    for prop, limit, charset in IAM_NAME_RULES.get(res.type, ()):
        problems += name_problems(longest, res.properties.get(prop), prop, limit,
                                   IAM_CHARSETS[charset])
    inline = [(f"Policies[{i}].PolicyName", p.get("PolicyName"))
              for i, p in enumerate(as_list(res.properties.get("Policies")))
              if isinstance(p, Mapping)]
    if res.type in IAM_POLICY_TYPES:
        inline.append(("PolicyName", res.properties.get("PolicyName")))
    for label, raw in inline:
        if label != "PolicyName":  # a policy resource's own PolicyName is in IAM_NAME_RULES
            problems += name_problems(longest, raw, label, 128, IAM_CHARSETS["name"])
    return problems
