"""Deployability rules (``EKSDEP1``...): what CloudFormation and the service APIs reject only
at deploy time, checked offline on any template.

A template can pass every compliance rule and cfn-lint and still fail ``cdk deploy``: an IAM
managed policy over 6,144 characters, a role name over 64 once the cluster name is filled in,
a stack over 500 resources. These rules measure each value at the longest it can be at deploy
time (:mod:`eks_blueprint.nag.lengths`) and say what they assumed.

Like :mod:`eks_blueprint.nag.rules`, every rule is a small pure function: resource rules take a
:class:`~eks_blueprint.nag.template.ResourceRef`, stack rules a
:class:`~eks_blueprint.nag.template.TemplateView`. Limits an account can raise are read from a
:class:`~eks_blueprint.nag.quotas.Quotas`; :func:`deployability_rules` binds them into the rule
table. Each number cites the AWS page it comes from.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .lengths import FILLER, Longest, known, policy_size, visible
from .model import ANY_TYPE, Rule, StackRule, Verdict
from .model import Level as L
from .quotas import DEFAULT_QUOTAS, Quotas
from .template import PLACEHOLDER, ResourceRef, TemplateView, as_int, as_list

# --------------------------------------------------------------------------- the numbers

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

#: CloudFormation quotas (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
#: a template body in S3 is at most 1 MB, a stack declares at most 500 resources, 200 outputs
#: and 200 parameters. The "1 MB" is decimal: CloudFormation refuses a larger template with
#: "Template may not exceed 1000000 bytes in size." (its ValidationError), so 1,000,000 bytes.
TEMPLATE_SIZE = 1_000_000
RESOURCES_PER_STACK = 500
OUTPUTS_PER_STACK = 200
PARAMETERS_PER_STACK = 200

#: Tagging AWS resources, tag naming limits and requirements
#: (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html): at most 50
#: user-created tags per resource, keys up to 128 and values up to 256 Unicode characters,
#: the aws: prefix is reserved, and the characters every service accepts are letters,
#: numbers, spaces and _ . : / = + - @.
TAGS_PER_RESOURCE = 50
TAG_KEY_LENGTH = 128
TAG_VALUE_LENGTH = 256
TAG_SYMBOLS = set("_.:/=+-@")

#: Amazon EKS CreateCluster API reference
#: (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html): cluster
#: names are 1-100 characters matching this pattern.
CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]*$")
CLUSTER_NAME_LENGTH = 100
#: Amazon EKS user guide, "Create a managed node group"
#: (https://docs.aws.amazon.com/eks/latest/userguide/create-managed-node-group.html): a node
#: group name is at most 63 characters, starts with a letter or digit, then letters, digits,
#: hyphens and underscores.
NODEGROUP_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]*$")
NODEGROUP_NAME_LENGTH = 63
#: The effects a node group taint may have (CreateNodegroup API reference, Taint).
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")

#: Kubernetes object names and labels
#: (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/ and
#: .../labels/#syntax-and-character-set): a DNS-1123 label is at most 63 lower-case
#: alphanumerics or "-", starting and ending alphanumeric; a DNS-1123 subdomain at most 253,
#: labels joined by "."; a DNS-1035 label (Service names) also starts with a letter. Label
#: keys are an optional subdomain prefix and "/" plus a name of at most 63; label values at
#: most 63, possibly empty.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
#: Amazon EKS user guide, "Fargate profile wildcards"
#: (https://docs.aws.amazon.com/eks/latest/userguide/fargate-profile.html): besides the
#: characters Kubernetes allows, a Fargate selector's namespace, label keys and label values
#: may use ``*`` (any run of characters) and ``?`` (one character). Each is checked as a
#: letter, valid anywhere in these names (node group labels and manifests get no wildcards).
FARGATE_WILDCARDS = str.maketrans("*?", "aa")
#: Kinds whose names are DNS-1123 labels (Namespace) or DNS-1035 labels (Service).
LABEL_NAMED_KINDS = {"Namespace": DNS_LABEL, "Service": DNS_1035_LABEL}
#: RBAC kinds only need path-segment names (no "/" or "%", not "." or "..").
PATH_SEGMENT_KINDS = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
#: Helm refuses release names over 53 characters (they become label values with suffixes):
#: ``maxReleaseNameLen = 53`` in Helm's pkg/chartutil/validate_name.go
#: (https://github.com/helm/helm/blob/main/pkg/chartutil/validate_name.go).
HELM_RELEASE_LENGTH = 53

KUBERNETES_RESOURCE = "Custom::AWSCDK-EKS-KubernetesResource"
HELM_CHART = "Custom::AWSCDK-EKS-HelmChart"

#: AWS Lambda quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
#: all environment variables of a function together at most 4 KB (Lambda measures them as
#: the JSON object of names and values).
LAMBDA_ENVIRONMENT_BYTES = 4096

#: Name limits of other services:
#: * Amazon SQS quotas (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html):
#:   queue names up to 80 alphanumerics, "-" and "_", a FIFO queue's ".fifo" suffix included.
#: * Amazon EventBridge quotas (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html)
#:   and PutRule API reference: rule names 1-64 of letters, digits, "." "-" "_".
#: * CloudWatch Logs quotas (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html)
#:   and CreateLogGroup API reference: log group names 1-512 of letters, digits, "_ - / . #".
#: * AWS Lambda quotas: function names up to 64 letters, digits, "-" and "_".
#: * Amazon ECR CreateRepository API reference: repository names 2-256, lower case,
#:   namespaces separated by "/".
#: * AWS KMS CreateAlias API reference: alias names up to 256, "alias/" + letters, digits,
#:   "/ _ -".
OTHER_NAME_RULES: Mapping[str, tuple[str, int, re.Pattern[str]]] = {
    "AWS::SQS::Queue": ("QueueName", 80, re.compile(r"^[A-Za-z0-9_-]+(\.fifo)?$")),
    "AWS::Events::Rule": ("Name", 64, re.compile(r"^[.\-_A-Za-z0-9]+$")),
    "AWS::Logs::LogGroup": ("LogGroupName", 512, re.compile(r"^[.\-_/#A-Za-z0-9]+$")),
    "AWS::Lambda::Function": ("FunctionName", 64, re.compile(r"^[A-Za-z0-9_-]+$")),
    "AWS::ECR::Repository": ("RepositoryName", 256, re.compile(
        r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")),
    "AWS::KMS::Alias": ("AliasName", 256, re.compile(r"^alias/[A-Za-z0-9/_-]+$")),
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


# --------------------------------------------------------------------------- helpers


def _counted(longest: Longest) -> str:
    """What a measurement assumed, for the end of a finding."""
    summary = longest.summary()
    return f" (deploy-time values counted at their longest: {summary})" if summary else ""


#: What a check found: its problems, and what it measured (the compliant verdict's text).
Measured = tuple[list[str], str]


def _judge(view: TemplateView, check: Callable[[Longest], Verdict | Measured]) -> Verdict:
    """Run ``check`` with every deploy-time value at its longest.

    A problem is certain when it remains with the values the renderer could not bound
    (an unknown type, an import from a template not loaded) counted as one character; if it
    then goes away, the verdict is unresolved instead of a guess. ``check`` may also answer a
    verdict directly (not applicable, a property computed at deploy time).
    """
    longest = Longest(view)
    result = check(longest)
    if isinstance(result, Verdict):
        return result
    problems, measured = result
    if not problems:
        return Verdict.ok(measured)
    shown = problems if len(problems) <= 6 else [*problems[:6],
                                                 f"and {len(problems) - 6} more"]
    message = "; ".join(shown) + _counted(longest)
    if longest.unknowns:
        shortest = check(Longest(view, unknown_length=1))
        if not isinstance(shortest, Verdict) and not shortest[0]:
            return Verdict.unresolved(f"{message}; values that could not be bounded decide "
                                      "it, so it may fit")
    return Verdict.fail(message)


def _assembly(view: TemplateView) -> list[TemplateView]:
    """Every template checked with ``view`` (one cloud assembly), ``view`` first."""
    return [view, *(v for v in view.exports.views if v is not view)]


def _points_at(owner: TemplateView, value: Any, target: ResourceRef,
               literal_names: set[str]) -> bool:
    """Whether ``value`` (in template ``owner``) names ``target``: a reference that resolves to
    it, or a literal equal to one of its names."""
    found = owner.deref(value)
    if isinstance(found, ResourceRef):
        return found.view is target.view and found.logical_id == target.logical_id
    text = owner.render(value)
    return text is not None and text in literal_names


def _literal_names(res: ResourceRef, *properties: str) -> set[str]:
    names = set()
    for prop in properties:
        text = res.view.render(res.properties.get(prop))
        if text is not None and PLACEHOLDER not in text:
            names.add(text)
    return names


def _attached(res: ResourceRef, policy_type: str, prop: str) -> Iterator[ResourceRef]:
    """Resources of ``policy_type`` in the assembly whose ``prop`` names identity ``res``."""
    names = _literal_names(res, "RoleName", "UserName", "GroupName")
    for view in _assembly(res.view):
        for policy in view.of_type(policy_type):
            if any(_points_at(view, item, res, names)
                   for item in as_list(policy.properties.get(prop))):
                yield policy


def _json_document(value: Any) -> Any:
    """A policy document property: JSON object, or JSON text parsed."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _name_problems(longest: Longest, raw: Any, label: str, limit: int,
                   pattern: re.Pattern[str] | None) -> list[str]:
    """Problems of one name-like value: longer than ``limit`` or not matching ``pattern``."""
    if raw is None:
        return []
    text = longest.text(raw)
    if text is None:
        return [f"{label} is not a string ({json.dumps(raw, default=str)[:60]})"]
    problems = []
    if len(text) > limit:
        at = " at the longest" if FILLER in text else ""
        problems.append(f"{label} is {len(text)} characters{at}, over the limit of {limit}: "
                        f"{visible(text)}")
    if pattern is not None and text and not pattern.match(known(text)):
        problems.append(f"{label} {visible(text)!r} has characters or a form the service "
                        f"refuses (allowed: {pattern.pattern})")
    if not text:
        problems.append(f"{label} is empty")
    return problems


# --------------------------------------------------------------------------- IAM


def managed_policy_size(res: ResourceRef) -> Verdict:
    """EKSDEP1: a managed policy document is at most 6,144 characters without whitespace."""
    document = res.properties.get("PolicyDocument")
    if document is None:
        return Verdict.na("no PolicyDocument")

    def check(longest: Longest) -> Measured:
        size = policy_size(longest.document(_json_document(document)))
        if size <= MANAGED_POLICY_SIZE:
            return [], f"{size:,} of {MANAGED_POLICY_SIZE:,} characters"
        return [f"managed policy document is {size:,} characters without whitespace, "
                f"{size - MANAGED_POLICY_SIZE:,} over IAM's limit of {MANAGED_POLICY_SIZE:,}: "
                "split it into several managed policies"], ""
    return _judge(res.view, check)


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
        sizes = [(name, policy_size(longest.document(_json_document(document), view)))
                 for name, document, view in documents]
        total = sum(size for _, size in sizes)
        if total <= limit:
            return [], f"{total:,} of {limit:,} characters"
        parts = ", ".join(f"{name} {size:,}" for name, size in sorted(sizes,
                                                                       key=lambda s: -s[1]))
        return [f"the inline policies of this {_KIND[res.type]} total {total:,} characters "
                f"without whitespace ({parts}), {total - limit:,} over IAM's limit of "
                f"{limit:,}: move statements to managed policies"], ""
    return _judge(res.view, check)


def trust_policy_length(res: ResourceRef, quotas: Quotas = DEFAULT_QUOTAS) -> Verdict:
    """EKSDEP3: a role's trust policy fits the "Role trust policy length" quota."""
    document = res.properties.get("AssumeRolePolicyDocument")
    if document is None:
        return Verdict.na("no AssumeRolePolicyDocument")
    limit = quotas.trust_policy_length

    def check(longest: Longest) -> Measured:
        size = policy_size(longest.document(_json_document(document)))
        if size <= limit:
            return [], f"{size:,} of {limit:,} characters"
        return [f"trust policy is {size:,} characters without whitespace, {size - limit:,} "
                f"over the role trust policy length quota of {limit:,} (adjustable: raise it "
                "in Service Quotas, then pass --quota trust-policy-length=N)"], ""
    return _judge(res.view, check)


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


def iam_names(res: ResourceRef) -> Verdict:
    """EKSDEP5: IAM names, paths and descriptions fit IAM's length and character rules."""
    return _judge(res.view, lambda longest: (_iam_name_problems(res, longest), ""))


def _iam_name_problems(res: ResourceRef, longest: Longest) -> list[str]:
    problems: list[str] = []
    for prop, limit, charset in IAM_NAME_RULES.get(res.type, ()):
        problems += _name_problems(longest, res.properties.get(prop), prop, limit,
                                   IAM_CHARSETS[charset])
    inline = [(f"Policies[{i}].PolicyName", p.get("PolicyName"))
              for i, p in enumerate(as_list(res.properties.get("Policies")))
              if isinstance(p, Mapping)]
    if res.type in IAM_POLICY_TYPES:
        inline.append(("PolicyName", res.properties.get("PolicyName")))
    for label, raw in inline:
        if label != "PolicyName":  # a policy resource's own PolicyName is in IAM_NAME_RULES
            problems += _name_problems(longest, raw, label, 128, IAM_CHARSETS["name"])
    return problems


# --------------------------------------------------------------------------- CloudFormation


def _template_bytes(view: TemplateView) -> tuple[int, str]:
    if view.size is not None:
        return view.size, "as written"
    # The CDK writes templates as JSON indented by one space; measure the same way.
    return len(json.dumps(view.template, indent=1, ensure_ascii=False).encode()), \
        "as JSON indented like the CDK writes it"


def template_size(view: TemplateView) -> Verdict:
    """EKSDEP6: the template is at most 1,000,000 bytes, CloudFormation's limit for a template
    in S3."""
    size, how = _template_bytes(view)
    if size <= TEMPLATE_SIZE:
        return Verdict.ok(f"{size:,} bytes")
    return Verdict.fail(f"template is {size:,} bytes ({how}), {size - TEMPLATE_SIZE:,} over "
                        f"CloudFormation's limit of {TEMPLATE_SIZE:,} bytes for a template in S3 "
                        "(\"Template may not exceed 1000000 bytes in size.\"): move resources to "
                        "another stack or a nested stack")


def _section_count(view: TemplateView, section: str) -> int:
    found = view.template.get(section)
    return len(found) if isinstance(found, Mapping) else 0


def _count_rule(section: str, limit: int, advice: str) -> Callable[[TemplateView], Verdict]:
    def check(view: TemplateView) -> Verdict:
        count = _section_count(view, section)
        if count <= limit:
            return Verdict.ok(f"{count} of {limit}")
        return Verdict.fail(f"{count} {section.lower()} in the template, {count - limit} over "
                            f"CloudFormation's limit of {limit} per stack: {advice}")
    check.__doc__ = f"At most {limit} {section.lower()} per stack."
    return check


resource_count = _count_rule("Resources", RESOURCES_PER_STACK,
                             "split the stack (the stage's stacks, or nested stacks)")
output_count = _count_rule("Outputs", OUTPUTS_PER_STACK,
                           "drop outputs nobody reads, or pass values by SSM parameters")
parameter_count = _count_rule("Parameters", PARAMETERS_PER_STACK,
                              "use mappings or list parameters")


# --------------------------------------------------------------------------- tags


def _tag_pairs(value: Any) -> list[tuple[Any, Any]] | None:
    """(key, value) pairs of a Tags property: a list of {Key, Value} or a map; None when
    the property is computed at deploy time."""
    if isinstance(value, Mapping):
        if len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref")):
            return None
        return list(value.items())
    if isinstance(value, list):
        pairs = []
        for item in value:
            if isinstance(item, Mapping) and "Key" in item:
                pairs.append((item.get("Key"), item.get("Value", "")))
            elif not (isinstance(item, Mapping) and item == {"Ref": "AWS::NoValue"}):
                return None
        return pairs
    return None


def _tag_sets(res: ResourceRef) -> Iterator[tuple[str, Any, bool]]:
    """(where, tags property, whether stack tags add to it) for every tag list of a resource:
    ``Tags``, and the ``TagSpecifications`` of launch templates."""
    props = res.properties
    if "Tags" in props:
        yield "Tags", props["Tags"], True
    for where, specs in (("TagSpecifications", props.get("TagSpecifications")),
                         ("LaunchTemplateData.TagSpecifications",
                          (props.get("LaunchTemplateData") or {}).get("TagSpecifications")
                          if isinstance(props.get("LaunchTemplateData"), Mapping) else None)):
        for index, spec in enumerate(as_list(specs)):
            if isinstance(spec, Mapping) and "Tags" in spec:
                kind = spec.get("ResourceType", index)
                yield f"{where}[{kind}]", spec["Tags"], False


def _bad_tag_characters(text: str) -> list[str]:
    bad = []
    for ch in known(text):
        category = unicodedata.category(ch)
        if ch.isalnum() or category.startswith(("L", "N", "Z")) or ch in TAG_SYMBOLS:
            continue
        bad.append(ch)
    return sorted(set(bad))


def resource_tags(res: ResourceRef) -> Verdict:
    """EKSDEP10: tags fit the tagging limits: at most 50 per resource (with the stack's
    propagated tags), keys up to 128 and values up to 256 characters, no ``aws:`` prefix, and
    only letters, digits, white space and ``_ . : / = + - @``."""
    if res.type.startswith(("Custom::", "AWS::CloudFormation::", "AWS::CDK::")):
        return Verdict.na("not an AWS resource with tags")
    sets = list(_tag_sets(res))
    if not sets:
        return Verdict.na("no tags")
    for where, raw, _ in sets:
        if _tag_pairs(raw) is None:
            return Verdict.unresolved(f"{where} is computed at deploy time")
    return _judge(res.view, lambda longest: _tag_problems(res, sets, longest))


def _tag_problems(res: ResourceRef, sets: list[tuple[str, Any, bool]],
                  longest: Longest) -> Verdict | Measured:
    problems: list[str] = []
    for where, raw, with_stack in sets:
        keys: dict[str, str] = {}
        for raw_key, raw_value in _tag_pairs(raw) or []:
            key = longest.text(raw_key)
            value = longest.text(raw_value) if raw_value is not None else ""
            if key is None or value is None:
                return Verdict.unresolved(f"{where}: a tag key or value is not a string")
            keys[key] = value
        stack_only = {k: v for k, v in res.view.stack_tags.items() if k not in keys} \
            if with_stack else {}
        user = [k for k in [*keys, *stack_only] if not k.lower().startswith("aws:")]
        if len(user) > TAGS_PER_RESOURCE:
            extra = f", {len(stack_only)} of them from the stack" if stack_only else ""
            problems.append(f"{where}: {len(user)} tags{extra}, over the limit of "
                            f"{TAGS_PER_RESOURCE} per resource")
        for key, value in keys.items():
            shown = visible(key, 40)
            if not key:
                problems.append(f"{where}: an empty tag key")
            if key.lower().startswith("aws:"):
                problems.append(f"{where}: tag key {shown!r} uses the reserved aws: prefix")
            if len(key) > TAG_KEY_LENGTH:
                problems.append(f"{where}: tag key {shown!r} is {len(key)} characters, over "
                                f"{TAG_KEY_LENGTH}")
            if len(value) > TAG_VALUE_LENGTH:
                problems.append(f"{where}: value of tag {shown!r} is {len(value)} characters, "
                                f"over {TAG_VALUE_LENGTH}")
            bad = _bad_tag_characters(key) + _bad_tag_characters(value)
            if bad:
                problems.append(f"{where}: tag {shown!r} uses characters not allowed in tags: "
                                f"{' '.join(repr(c) for c in sorted(set(bad)))}")
    return problems, ""


# --------------------------------------------------------------------------- security groups


def _rule_weight(view: TemplateView, rule: Mapping[str, Any], notes: list[str]) -> tuple[int, int]:
    """How many IPv4 and IPv6 rules one security group rule counts as. A rule naming another
    security group counts for both; a prefix list counts its maximum entries."""
    if rule.get("CidrIp") is not None:
        return 1, 0
    if rule.get("CidrIpv6") is not None:
        return 0, 1
    prefix_list = rule.get("SourcePrefixListId", rule.get("DestinationPrefixListId"))
    if prefix_list is not None:
        found = view.deref(prefix_list)
        if isinstance(found, ResourceRef) and found.type == "AWS::EC2::PrefixList":
            entries = as_int(found.properties.get("MaxEntries")) or 1
            family = view.render(found.properties.get("AddressFamily"))
            return (entries, 0) if family == "IPv4" else (0, entries) if family == "IPv6" \
                else (entries, entries)
        notes.append("a prefix list outside the template counted as 1 rule")
        return 1, 1
    return 1, 1  # SourceSecurityGroupId / DestinationSecurityGroupId / group names


def security_group_rules(res: ResourceRef, quotas: Quotas = DEFAULT_QUOTAS) -> Verdict:
    """EKSDEP11: a security group has at most the quota of inbound and of outbound rules
    (inline, plus ``AWS::EC2::SecurityGroupIngress/Egress`` resources naming it, in any stack
    checked with it), counted separately for IPv4 and IPv6."""
    notes: list[str] = []
    problems: list[str] = []
    for direction, inline, standalone, limit in (
            ("inbound", "SecurityGroupIngress", "AWS::EC2::SecurityGroupIngress",
             quotas.security_group_inbound_rules),
            ("outbound", "SecurityGroupEgress", "AWS::EC2::SecurityGroupEgress",
             quotas.security_group_outbound_rules)):
        rules = res.properties.get(inline)
        if rules is not None and not isinstance(rules, list):
            return Verdict.unresolved(f"{inline} is computed at deploy time")
        weights = [_rule_weight(res.view, r, notes) for r in as_list(rules)
                   if isinstance(r, Mapping)]
        for view in _assembly(res.view):
            for rule in view.of_type(standalone):
                if _points_at(view, rule.properties.get("GroupId"), res, set()):
                    weights.append(_rule_weight(view, rule.properties, notes))
        ipv4, ipv6 = sum(w[0] for w in weights), sum(w[1] for w in weights)
        for family, count in (("IPv4", ipv4), ("IPv6", ipv6)):
            if count > limit:
                problems.append(f"{count} {direction} {family} rules, over the quota of {limit} "
                                f"(adjustable: pass --quota security-group-{direction}-rules=N "
                                "once raised)")
    if problems:
        extra = f" ({'; '.join(sorted(set(notes)))})" if notes else ""
        return Verdict.fail("; ".join(problems) + extra)
    return Verdict.ok()


# --------------------------------------------------------------------------- EKS


def cluster_name(res: ResourceRef) -> Verdict:
    """EKSDEP12: the EKS cluster name is 1-100 letters, digits, "-" or "_", starting with a
    letter or digit."""
    return _judge(res.view, lambda longest: (
        _name_problems(longest, res.properties.get("Name"), "Name", CLUSTER_NAME_LENGTH,
                       CLUSTER_NAME),
        "" if "Name" in res.properties else "no Name: CloudFormation generates one"))


def _cluster_key(view: TemplateView, raw: Any) -> tuple[str, ...] | None:
    """Which cluster ``ClusterName`` means: the cluster resource it references, or its name."""
    found = view.deref(raw)
    if isinstance(found, ResourceRef) and found.type == "AWS::EKS::Cluster":
        name = found.view.render(found.properties.get("Name"))
        if name and PLACEHOLDER not in name:
            return ("name", name)
        return ("resource", str(id(found.view)), found.logical_id)
    text = view.render(raw)
    return ("name", text) if text and PLACEHOLDER not in text else None


def _siblings(res: ResourceRef) -> list[ResourceRef]:
    """Resources of ``res``'s type for the same cluster, in every template checked with it."""
    key = _cluster_key(res.view, res.properties.get("ClusterName"))
    if key is None:
        return [res]
    return [other for view in _assembly(res.view) for other in view.of_type(res.type)
            if _cluster_key(view, other.properties.get("ClusterName")) == key]


def _fargate_known(text: str) -> str:
    """``known(text)`` with Fargate's selector wildcards read as a letter."""
    return known(text).translate(FARGATE_WILDCARDS)


def _kubernetes_label_problems(label: str, key: str, value: str | None,
                               checked: Callable[[str], str] = known) -> list[str]:
    """Problems of one Kubernetes label (or taint key/value). ``checked`` maps a text to the
    one its characters are matched on (:func:`_fargate_known` for Fargate selectors)."""
    problems = []
    prefix, slash, name = key.rpartition("/")
    if slash and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(checked(prefix))):
        problems.append(f"{label} key {visible(key)!r}: the prefix must be a DNS subdomain of "
                        "at most 253 characters")
    if len(name) > 63 or not LABEL_NAME.match(checked(name)):
        problems.append(f"{label} key {visible(key)!r}: the name part is {len(name)} "
                        "characters; it must be 1-63 letters, digits, '-', '_' or '.', "
                        "starting and ending alphanumeric")
    if value is not None and (len(value) > 63 or not LABEL_VALUE.match(checked(value))):
        problems.append(f"{label} {visible(key)!r}: the value {visible(value)!r} is "
                        f"{len(value)} characters; it must be at most 63 letters, digits, '-', "
                        "'_' or '.', starting and ending alphanumeric (or empty)")
    return problems


def nodegroup_limits(res: ResourceRef, quotas: Quotas = DEFAULT_QUOTAS) -> Verdict:
    """EKSDEP13: node group name (at most 63), scaling within the "nodes per managed node
    group" quota and min <= desired <= max, and node groups per cluster within quota."""
    groups = _siblings(res)

    def check(longest: Longest) -> Measured:
        return (_name_problems(longest, res.properties.get("NodegroupName"), "NodegroupName",
                               NODEGROUP_NAME_LENGTH, NODEGROUP_NAME)
                + _nodegroup_size_problems(res, len(groups), quotas), "")
    return _judge(res.view, check)


def _nodegroup_size_problems(res: ResourceRef, groups: int, quotas: Quotas) -> list[str]:
    problems: list[str] = []
    scaling = res.properties.get("ScalingConfig")
    sizes = {k: as_int(scaling.get(k)) for k in ("MinSize", "DesiredSize", "MaxSize")} \
        if isinstance(scaling, Mapping) else {}
    maximum = sizes.get("MaxSize")
    if maximum is not None and maximum > quotas.nodes_per_node_group:
        problems.append(f"ScalingConfig.MaxSize {maximum} is over the nodes per managed node "
                        f"group quota of {quotas.nodes_per_node_group} (adjustable: pass "
                        "--quota nodes-per-node-group=N once raised)")
    ordered = [sizes.get(k) for k in ("MinSize", "DesiredSize", "MaxSize")]
    known_sizes = [s for s in ordered if s is not None]
    if known_sizes != sorted(known_sizes):
        problems.append("ScalingConfig must have MinSize <= DesiredSize <= MaxSize, got "
                        + ", ".join(f"{k} {v}" for k, v in sizes.items() if v is not None))
    if groups > quotas.node_groups_per_cluster:
        problems.append(f"its cluster has {groups} managed node groups in the checked "
                        f"templates, over the quota of {quotas.node_groups_per_cluster} "
                        "(adjustable: pass --quota node-groups-per-cluster=N once raised)")
    return problems


def nodegroup_labels_and_taints(res: ResourceRef) -> Verdict:
    """EKSDEP14: node group labels and taints are valid Kubernetes labels and taints."""
    labels = res.properties.get("Labels")
    if labels is not None and not isinstance(labels, Mapping):
        return Verdict.unresolved("Labels is computed at deploy time")
    taints = res.properties.get("Taints")
    if taints is not None and not isinstance(taints, list):
        return Verdict.unresolved("Taints is computed at deploy time")
    return _judge(res.view, lambda longest: _label_and_taint_problems(labels, taints, longest))


def _label_and_taint_problems(labels: Mapping[str, Any] | None, taints: list[Any] | None,
                              longest: Longest) -> Verdict | Measured:
    problems: list[str] = []
    for raw_key, raw_value in (labels or {}).items():
        value = longest.text(raw_value)
        if value is None:
            return Verdict.unresolved(f"label {raw_key} has a computed value")
        problems += _kubernetes_label_problems("label", str(raw_key), value)
    for index, taint in enumerate(as_list(taints)):
        if not isinstance(taint, Mapping):
            return Verdict.unresolved(f"Taints[{index}] is computed at deploy time")
        key = longest.text(taint.get("Key"))
        raw_value = taint.get("Value")
        value = longest.text(raw_value) if raw_value is not None else None
        effect = longest.text(taint.get("Effect"))
        if key is None:
            problems.append(f"Taints[{index}] has no Key")
        else:
            problems += _kubernetes_label_problems(f"Taints[{index}]", key, value)
        if effect not in TAINT_EFFECTS:
            problems.append(f"Taints[{index}].Effect is {effect!r}; EKS accepts "
                            f"{', '.join(TAINT_EFFECTS)}")
    return problems, ""


def fargate_profile_limits(res: ResourceRef, quotas: Quotas = DEFAULT_QUOTAS) -> Verdict:
    """EKSDEP15: selectors per Fargate profile, labels per selector and profiles per cluster
    within quota; selector namespaces and labels valid Kubernetes names."""
    raw = res.properties.get("Selectors")
    if raw is not None and not isinstance(raw, list):
        return Verdict.unresolved("Selectors is computed at deploy time")
    profiles = len(_siblings(res))

    def check(longest: Longest) -> Measured:
        problems = _selector_problems(as_list(raw), longest, quotas)
        if profiles > quotas.fargate_profiles_per_cluster:
            problems.append(f"its cluster has {profiles} Fargate profiles in the checked "
                            f"templates, over the quota of {quotas.fargate_profiles_per_cluster}"
                            " (adjustable: pass --quota fargate-profiles-per-cluster=N once "
                            "raised)")
        return problems, ""
    return _judge(res.view, check)


def _selector_problems(selectors: list[Any], longest: Longest, quotas: Quotas) -> list[str]:
    problems: list[str] = []
    if len(selectors) > quotas.selectors_per_fargate_profile:
        problems.append(f"{len(selectors)} selectors, over the quota of "
                        f"{quotas.selectors_per_fargate_profile} per Fargate profile")
    for index, selector in enumerate(selectors):
        if not isinstance(selector, Mapping):
            continue
        namespace = longest.text(selector.get("Namespace"))
        if namespace is not None and (len(namespace) > 63
                                      or not DNS_LABEL.match(_fargate_known(namespace))):
            problems.append(f"Selectors[{index}].Namespace {visible(namespace)!r} is not a "
                            "Kubernetes namespace name (DNS-1123 label, at most 63, with the "
                            "wildcards * and ?)")
        pairs = _tag_pairs(selector.get("Labels", []))
        if pairs is None:
            continue
        if len(pairs) > quotas.labels_per_fargate_selector:
            problems.append(f"Selectors[{index}] has {len(pairs)} labels, over the quota of "
                            f"{quotas.labels_per_fargate_selector}")
        for raw_key, raw_value in pairs:
            key, value = longest.text(raw_key), longest.text(raw_value)
            if key is not None:
                problems += _kubernetes_label_problems(f"Selectors[{index}] label", key, value,
                                                       _fargate_known)
    return problems


def _object_problems(obj: Mapping[str, Any], where: str) -> list[str]:
    """Name, namespace and label problems of one Kubernetes object."""
    kind = str(obj.get("kind", "?"))
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return []
    label = f"{where}{kind}"
    problems = []
    name = metadata.get("name")
    if isinstance(name, str):
        label = f"{where}{kind} {visible(name, 40)}"
        if kind in PATH_SEGMENT_KINDS:
            if name in (".", "..") or "/" in name or "%" in name:
                problems.append(f"{label}: the name may not be '.', '..' or contain '/' or '%'")
        else:
            pattern = LABEL_NAMED_KINDS.get(kind, DNS_SUBDOMAIN)
            limit = 63 if kind in LABEL_NAMED_KINDS else 253
            if len(name) > limit or not pattern.match(known(name)):
                form = (f"DNS-{'1035' if kind == 'Service' else '1123'} label: lower-case "
                        "letters, digits and '-'" if limit == 63 else
                        "DNS-1123 subdomain: lower-case letters, digits, '-' and '.'")
                problems.append(f"{label}: a {kind} name must be a {form}, at most {limit} "
                                f"characters, starting and ending alphanumeric"
                                f"{', starting with a letter' if kind == 'Service' else ''} "
                                f"(got {len(name)} characters)")
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and (len(namespace) > 63
                                       or not DNS_LABEL.match(known(namespace))):
        problems.append(f"{label}: namespace {visible(namespace)!r} is not a DNS-1123 label "
                        "of at most 63")
    for labels_at, labels in (("", metadata.get("labels")),
                              ("pod template ", _dig(obj, "spec", "template", "metadata",
                                                     "labels"))):
        if isinstance(labels, Mapping):
            for key, value in labels.items():
                problems += _kubernetes_label_problems(
                    f"{label}: {labels_at}label", str(key),
                    value if isinstance(value, str) else None)
    return problems


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def kubernetes_names(res: ResourceRef) -> Verdict:
    """EKSDEP16: the Kubernetes objects a stack applies have valid names, namespaces and
    labels; Helm release names are at most 53 characters."""
    if res.type == HELM_CHART:
        return _judge(res.view, lambda longest: (_helm_problems(res, longest), ""))
    raw = res.properties.get("Manifest")
    if raw is None:
        return Verdict.na("no Manifest")
    return _judge(res.view, lambda longest: _manifest_problems(raw, longest))


def _helm_problems(res: ResourceRef, longest: Longest) -> list[str]:
    problems: list[str] = []
    release = longest.text(res.properties.get("Release"))
    if release is not None and (len(release) > HELM_RELEASE_LENGTH
                                or not DNS_SUBDOMAIN.match(known(release))):
        problems.append(f"Helm release {visible(release)!r} is {len(release)} characters; "
                        f"Helm wants a DNS-1123 name of at most {HELM_RELEASE_LENGTH}")
    namespace = longest.text(res.properties.get("Namespace"))
    if namespace is not None and (len(namespace) > 63 or not DNS_LABEL.match(known(namespace))):
        problems.append(f"Namespace {visible(namespace)!r} is not a DNS-1123 label of at most "
                        "63")
    return problems


def _manifest_problems(raw: Any, longest: Longest) -> Verdict | Measured:
    text = longest.text(raw)
    manifest: Any = raw if isinstance(raw, list) else None
    if text is not None:
        try:
            manifest = json.loads(text)
        except ValueError:
            return Verdict.unresolved("the Manifest is not JSON once its deploy-time values "
                                      "are filled in, so its objects cannot be checked")
    if manifest is None:
        return Verdict.unresolved("the Manifest is computed at deploy time")
    objects = manifest if isinstance(manifest, list) else [manifest]
    problems: list[str] = []
    for index, obj in enumerate(objects):
        if isinstance(obj, Mapping):
            problems += _object_problems(obj, f"object {index} " if len(objects) > 1 else "")
    return problems, f"{len(objects)} object(s)"


# --------------------------------------------------------------------------- other services


def lambda_environment(res: ResourceRef) -> Verdict:
    """EKSDEP17: a Lambda function's environment variables total at most 4 KB."""
    variables = _dig(res.properties, "Environment", "Variables")
    if variables is None:
        return Verdict.na("no environment variables")
    if not isinstance(variables, Mapping):
        return Verdict.unresolved("Environment.Variables is computed at deploy time")

    def check(longest: Longest) -> Measured:
        rendered = longest.document(variables)
        size = len(json.dumps(rendered, separators=(",", ":"), ensure_ascii=False).encode())
        if size <= LAMBDA_ENVIRONMENT_BYTES:
            return [], f"{size:,} of {LAMBDA_ENVIRONMENT_BYTES:,} bytes"
        return [f"environment variables total {size:,} bytes, over Lambda's limit of "
                f"{LAMBDA_ENVIRONMENT_BYTES:,} (4 KB): pass large values through SSM Parameter "
                "Store or a file in the package"], ""
    return _judge(res.view, check)


def service_names(res: ResourceRef) -> Verdict:
    """EKSDEP18: names of SQS queues, EventBridge rules, log groups, Lambda functions, ECR
    repositories and KMS aliases fit their service's limits."""
    prop = OTHER_NAME_RULES[res.type][0]
    if res.properties.get(prop) is None:
        return Verdict.ok(f"no {prop}: CloudFormation generates one within the limit")
    return _judge(res.view, lambda longest: (_service_name_problems(res, longest), ""))


def _service_name_problems(res: ResourceRef, longest: Longest) -> list[str]:
    prop, limit, pattern = OTHER_NAME_RULES[res.type]
    raw = res.properties.get(prop)
    text = longest.text(raw)
    if res.type == "AWS::Lambda::Function" and text and text.startswith("arn:"):
        raw = text.rsplit(":", 1)[-1]
    problems = _name_problems(longest, raw, prop, limit, pattern)
    if res.type == "AWS::SQS::Queue":
        fifo = res.properties.get("FifoQueue") in (True, "true")
        name = longest.text(raw) or ""
        if fifo and not name.endswith(".fifo"):
            problems.append(f"QueueName {visible(name)!r} of a FIFO queue must end with .fifo")
        if not fifo and name.endswith(".fifo"):
            problems.append(f"QueueName {visible(name)!r} ends with .fifo but FifoQueue is not "
                            "true")
    return problems


# --------------------------------------------------------------------------- the table


def _bind(check: Callable[..., Verdict], quotas: Quotas) -> Callable[[ResourceRef], Verdict]:
    bound: Callable[[ResourceRef], Verdict] = functools.partial(check, quotas=quotas)
    return bound


@functools.lru_cache(maxsize=8)
def deployability_rules(quotas: Quotas = DEFAULT_QUOTAS) -> tuple[Rule | StackRule, ...]:
    """Every deployability rule, in id order, with ``quotas`` bound into the ones that read
    an adjustable quota."""
    def rule(rule_id: str, types: str | tuple[str, ...], info: str, explanation: str,
             check: Callable[[ResourceRef], Verdict]) -> Rule:
        return Rule(rule_id, L.ERROR, (types,) if isinstance(types, str) else types, info,
                    explanation, check)

    def stack(rule_id: str, info: str, explanation: str,
              check: Callable[[TemplateView], Verdict]) -> StackRule:
        return StackRule(rule_id, L.ERROR, info, explanation, check)

    return (
        rule("EKSDEP1", "AWS::IAM::ManagedPolicy",
             "The IAM managed policy document is longer than 6,144 characters.",
             "IAM's CreatePolicy refuses a document over 6,144 characters (white space not "
             "counted) and the deploy fails. Fix: split the statements into several managed "
             "policies, each attached to the role.",
             managed_policy_size),
        rule("EKSDEP2", IDENTITY_TYPES,
             "The inline policies of an IAM role, user or group are longer than IAM allows.",
             "IAM refuses inline policies that together exceed 10,240 characters for a role, "
             "2,048 for a user or 5,120 for a group (AWS::IAM::Policy resources attached to "
             "it count too). Fix: move statements into managed policies.",
             inline_policy_size),
        rule("EKSDEP3", "AWS::IAM::Role",
             "The IAM role's trust policy is longer than the role trust policy length quota.",
             "IAM refuses a trust policy over the quota (2,048 characters by default). Fix: "
             "trust fewer principals per role, or raise the quota and pass it "
             "(--quota trust-policy-length=N, EksBestPracticesChecks(quotas=...)).",
             _bind(trust_policy_length, quotas)),
        rule("EKSDEP4", IDENTITY_TYPES,
             "More managed policies are attached to an IAM role, user or group than the "
             "quota allows.",
             "IAM refuses to attach more than 10 managed policies: a quota for roles and "
             "users (adjustable), a fixed limit for groups. Fix: merge policies, or for a role "
             "or user raise the quota and pass it (--quota managed-policies-per-role=N).",
             _bind(managed_policies_per_identity, quotas)),
        rule("EKSDEP5", tuple(IAM_NAME_RULES),
             "An IAM name, path or description breaks IAM's length or character rules.",
             "Role and user names are at most 64 characters, group, policy and instance "
             "profile names 128, paths 512 starting and ending with '/'. Fix: shorten the "
             "name, or leave it out and let CloudFormation generate one.",
             iam_names),
        stack("EKSDEP6",
              "The template is larger than CloudFormation's 1,000,000-byte limit.",
              "CloudFormation refuses a template body over 1,000,000 bytes even from S3. Fix: "
              "split the stack or move resources into nested stacks.",
              template_size),
        stack("EKSDEP7",
              "The stack declares more than 500 resources.",
              "CloudFormation refuses a template with more than 500 resources. Fix: split the "
              "stack (another stack of the stage, or nested stacks).",
              resource_count),
        stack("EKSDEP8",
              "The stack declares more than 200 outputs.",
              "CloudFormation refuses a template with more than 200 outputs. Fix: drop unused "
              "outputs or publish values as SSM parameters.",
              output_count),
        stack("EKSDEP9",
              "The stack declares more than 200 parameters.",
              "CloudFormation refuses a template with more than 200 parameters. Fix: use "
              "mappings or list parameters.",
              parameter_count),
        rule("EKSDEP10", ANY_TYPE,
             "A resource's tags break the tagging limits.",
             "Services refuse more than 50 user tags per resource (stack tags propagate and "
             "count), keys over 128 or values over 256 characters, the reserved aws: prefix, "
             "and characters other than letters, digits, white space and _ . : / = + - @. "
             "Fix: drop or shorten tags (Tags.of(...).remove / exclude_resource_types).",
             resource_tags),
        rule("EKSDEP11", "AWS::EC2::SecurityGroup",
             "A security group has more inbound or outbound rules than the quota allows.",
             "Amazon VPC refuses more than 60 inbound or 60 outbound rules per security group "
             "by default (IPv4 and IPv6 counted separately). Fix: use prefix lists or fewer "
             "peers, or raise the quota and pass it (--quota security-group-inbound-rules=N).",
             _bind(security_group_rules, quotas)),
        rule("EKSDEP12", "AWS::EKS::Cluster",
             "The EKS cluster name is longer than 100 characters or has characters EKS "
             "refuses.",
             "EKS cluster names are 1-100 letters, digits, '-' or '_', starting with a letter "
             "or digit. Fix: shorten the name.",
             cluster_name),
        rule("EKSDEP13", "AWS::EKS::Nodegroup",
             "A managed node group's name, size or count breaks EKS's limits.",
             "Node group names are at most 63 characters; ScalingConfig needs MinSize <= "
             "DesiredSize <= MaxSize, MaxSize within the nodes per node group quota (450), and "
             "a cluster has at most 30 managed node groups by default. Fix: shorten the name, "
             "correct the sizes, or raise the quotas and pass them (--quota ...).",
             _bind(nodegroup_limits, quotas)),
        rule("EKSDEP14", "AWS::EKS::Nodegroup",
             "A node group's labels or taints are not valid Kubernetes labels and taints.",
             "Label and taint keys are [prefix/]name with a DNS-subdomain prefix of at most "
             "253 and a name of at most 63 characters; values at most 63; taint effects "
             "NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE. Fix: correct the labels and "
             "taints.",
             nodegroup_labels_and_taints),
        rule("EKSDEP15", "AWS::EKS::FargateProfile",
             "A Fargate profile breaks EKS's selector or profile limits.",
             "A Fargate profile has at most 5 selectors with at most 5 labels each, and a "
             "cluster at most 10 profiles by default; selector namespaces and labels must be "
             "valid Kubernetes names (the wildcards * and ? allowed). Fix: merge profiles or "
             "selectors, or raise the quotas and pass them "
             "(--quota fargate-profiles-per-cluster=N).",
             _bind(fargate_profile_limits, quotas)),
        rule("EKSDEP16", (KUBERNETES_RESOURCE, HELM_CHART),
             "A Kubernetes object the stack applies has an invalid name, namespace or label.",
             "The API server rejects object names that are not DNS-1123 names (namespaces and "
             "services at most 63 characters, most others 253), and labels that are not "
             "valid; Helm refuses release names over 53 characters. kubectl then fails the "
             "custom resource and the deploy rolls back. Fix: shorten the names.",
             kubernetes_names),
        rule("EKSDEP17", "AWS::Lambda::Function",
             "A Lambda function's environment variables exceed 4 KB.",
             "Lambda refuses environment variables that together exceed 4 KB. Fix: move large "
             "values into SSM Parameter Store or the deployment package.",
             lambda_environment),
        rule("EKSDEP18", tuple(OTHER_NAME_RULES),
             "A queue, rule, log group, function, repository or alias name breaks its "
             "service's limits.",
             "SQS queue names are at most 80 characters (.fifo included), EventBridge rule "
             "names 64, log group names 512, Lambda function names 64, ECR repository names "
             "256, KMS alias names 256. Fix: shorten the name, or leave it out and let "
             "CloudFormation generate one.",
             service_names),
    )
