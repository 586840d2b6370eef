"""config/bootstrap/execution-policy.json, the CloudFormation execution policy target accounts
are bootstrapped with instead of AdministratorAccess: it allows what the synthesised stacks
create (the three environments and the pipeline stack) and no more than it says.

Each resource type of the templates maps to the service (and, where the policy scopes a
service, the action and resource ARN) CloudFormation calls to create it. Generated names are
`<stack name>-<logical id>-<suffix>` (CloudFormation's physical ids for unnamed resources), so
the IAM and S3 statements are scoped by the stacks' names: `<env>-eks-<kind>` and
`<pipeline>-pipeline`.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SynthResult
from tests.pipeline.conftest import PipelineSynth

POLICY_FILE = Path(__file__).resolve().parents[2] / "config" / "bootstrap" / "execution-policy.json"
POLICY: dict[str, Any] = json.loads(POLICY_FILE.read_text())
#: IAM's limit on a customer managed policy, whitespace not counted.
MANAGED_POLICY_MAX_CHARS = 6144
#: A CloudFormation type's service prefix in IAM, where it is not the type's middle part
#: in lower case.
SERVICE_OF = {"CodeStarNotifications": "codestar-notifications", "EFS": "elasticfilesystem"}
#: Types whose first creation in an account makes the service create its service-linked role
#: (with the caller's iam:CreateServiceLinkedRole): the role's service name.
SERVICE_LINKED_ROLE_OF = {
    "AWS::EFS::FileSystem": "elasticfilesystem.amazonaws.com",
    "AWS::AutoScaling::AutoScalingGroup": "autoscaling.amazonaws.com",
}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allows(action: str, resource: str, context: Mapping[str, str] | None = None) -> bool:
    """Whether an Allow statement of the policy grants `action` on `resource`, with the
    condition keys in `context` (a statement's condition on a key not given fails)."""
    context = context or {}
    for statement in POLICY["Statement"]:
        if statement["Effect"] != "Allow":
            continue
        if not any(
            fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _listed(statement["Action"])
        ):
            continue
        if not any(fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"])):
            continue
        conditions = statement.get("Condition", {})
        if all(
            key in context and context[key] in _listed(values)
            for operator, keys in conditions.items()
            for key, values in keys.items()
            if operator == "StringEquals"
        ) and all(op == "StringEquals" for op in conditions):
            return True
    return False


def _stacks(
    synth: SynthResult, pipeline_synth: PipelineSynth
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(stack name, account, template) of every stack a target or the tooling account runs."""
    for env, kinds in synth.templates.items():
        account = synth_account(synth, env)
        for kind, template in kinds.items():
            yield f"{env}-eks-{kind}", account, template
    tooling = pipeline_synth.pipeline.tooling.account
    yield f"{pipeline_synth.pipeline.name}-pipeline", tooling, pipeline_synth.template


def synth_account(synth: SynthResult, env: str) -> str:
    manifest = json.loads((synth.outdir / f"assembly-{env}" / "manifest.json").read_text())
    environments = {
        a["environment"]
        for a in manifest["artifacts"].values()
        if a["type"] == "aws:cloudformation:stack"
    }
    (environment,) = environments
    return str(environment.split("/")[2])


def _generated(stack: str, logical_id: str) -> str:
    """A physical name CloudFormation generates for an unnamed resource, `<stack>-<logical
    id>-<suffix>`, 64 characters at most as IAM role names are. When that is too long,
    CloudFormation keeps about 25 characters of each part (observed, not documented), so
    the scoping must survive a stack name cut to 25."""
    suffix = "-ABCDEFGHIJKL"
    if len(f"{stack}-{logical_id}") + len(suffix) > 64:
        return f"{stack[:25]}-{logical_id[:25]}{suffix}"
    return f"{stack}-{logical_id}{suffix}"


#: What CloudFormation also calls to update and delete these types, beyond creating them
#: (each resource schema's handler permissions): a delete that fails leaves a stack stuck.
LIFECYCLE: dict[str, tuple[str, ...]] = {
    "AWS::IAM::Role": ("iam:DeleteRole", "iam:TagRole", "iam:GetRole", "iam:AttachRolePolicy",
                       "iam:DetachRolePolicy", "iam:DeleteRolePolicy"),
    "AWS::IAM::ManagedPolicy": ("iam:DeletePolicy", "iam:ListEntitiesForPolicy",
                                "iam:CreatePolicyVersion", "iam:DeletePolicyVersion"),
    "AWS::IAM::OIDCProvider": ("iam:DeleteOpenIDConnectProvider", "iam:TagOpenIDConnectProvider",
                               "iam:ListOpenIDConnectProviderTags"),
    "AWS::IAM::ServiceLinkedRole": ("iam:GetRole",),
    "AWS::IAM::InstanceProfile": ("iam:DeleteInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
                                  "iam:GetInstanceProfile"),
    "AWS::SSM::Parameter": ("ssm:PutParameter", "ssm:DeleteParameter", "ssm:GetParameters"),
    "AWS::Signer::SigningProfile": ("signer:PutSigningProfile", "signer:GetSigningProfile",
                                    "signer:CancelSigningProfile", "signer:TagResource"),
}
#: Types whose create action is not `<service>:Create<Kind>`.
CREATE: dict[str, str] = {
    "AWS::SSM::Parameter": "ssm:PutParameter",
    "AWS::Signer::SigningProfile": "signer:PutSigningProfile",
    "AWS::CloudWatch::Alarm": "cloudwatch:PutMetricAlarm",
}


def _required(
    stack: str, account: str, logical_id: str, resource: dict[str, Any]
) -> list[tuple[str, str, dict[str, str]]]:
    """(action, resource ARN, condition context) CloudFormation needs to create `resource`."""
    type_ = resource["Type"]
    if type_ == "AWS::CDK::Metadata":  # CDK's version report: CloudFormation calls no service
        return []
    if type_.startswith("Custom::"):  # CloudFormation invokes the provider's function
        return [("lambda:InvokeFunction", f"arn:aws:lambda:eu-west-1:{account}:function:x", {})]
    _, service, kind = type_.split("::")
    needed = _lifecycle(stack, account, logical_id, resource)
    linked = SERVICE_LINKED_ROLE_OF.get(type_)
    if linked is not None:
        arn = f"arn:aws:iam::{account}:role/aws-service-role/{linked}/AWSServiceRoleFor"
        needed.append(("iam:CreateServiceLinkedRole", arn, {"iam:AWSServiceName": linked}))
    return _created(stack, account, logical_id, resource, service, kind) + needed


def _lifecycle(
    stack: str, account: str, logical_id: str, resource: dict[str, Any]
) -> list[tuple[str, str, dict[str, str]]]:
    """The update and delete actions of LIFECYCLE, on the resource's ARN."""
    type_ = resource["Type"]
    name = _generated(stack, logical_id)
    arn = {
        "AWS::IAM::Role": f"arn:aws:iam::{account}:role/{name}",
        "AWS::IAM::ManagedPolicy": f"arn:aws:iam::{account}:policy/{name}",
        "AWS::IAM::OIDCProvider":
            f"arn:aws:iam::{account}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        "AWS::IAM::ServiceLinkedRole": f"arn:aws:iam::{account}:role/aws-service-role/"
        f"{resource.get('Properties', {}).get('AWSServiceName')}/AWSServiceRoleFor",
        "AWS::IAM::InstanceProfile": f"arn:aws:iam::{account}:instance-profile/{name}",
    }.get(type_, "*")
    return [(action, arn, {}) for action in LIFECYCLE.get(type_, ())]


def _created(
    stack: str, account: str, logical_id: str, resource: dict[str, Any], service: str,
    kind: str,
) -> list[tuple[str, str, dict[str, str]]]:
    """The create action(s) of `resource`."""
    type_ = resource["Type"]
    properties = resource.get("Properties", {})
    if type_ == "AWS::IAM::Role":
        arn = f"arn:aws:iam::{account}:role/{_generated(stack, logical_id)}"
        needed = [("iam:CreateRole", arn, {}), ("iam:PutRolePolicy", arn, {})]
        document = properties["AssumeRolePolicyDocument"]
        # a document built with Fn::Join trusts an OIDC provider (IRSA): no service passes it
        trust = document.get("Statement", []) if isinstance(document, dict) else []
        for principal in (s.get("Principal", {}) for s in trust):
            for service_principal in _listed(principal.get("Service", [])):
                if isinstance(service_principal, str):
                    context = {"iam:PassedToService": service_principal}
                    needed.append(("iam:PassRole", arn, context))
        return needed
    if type_ == "AWS::IAM::Policy":  # inline: on the roles of the stack
        return [("iam:PutRolePolicy", f"arn:aws:iam::{account}:role/{_generated(stack, 'R')}", {})]
    if type_ == "AWS::IAM::ManagedPolicy":
        arn = f"arn:aws:iam::{account}:policy/{_generated(stack, logical_id)}"
        return [("iam:CreatePolicy", arn, {})]
    if type_ == "AWS::IAM::OIDCProvider":
        arn = f"arn:aws:iam::{account}:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"
        return [("iam:CreateOpenIDConnectProvider", arn, {})]
    if type_ == "AWS::IAM::ServiceLinkedRole":
        name = properties["AWSServiceName"]
        arn = f"arn:aws:iam::{account}:role/aws-service-role/{name}/AWSServiceRoleFor"
        return [("iam:CreateServiceLinkedRole", arn, {"iam:AWSServiceName": name})]
    if type_ == "AWS::IAM::InstanceProfile":
        arn = f"arn:aws:iam::{account}:instance-profile/{_generated(stack, logical_id)}"
        return [("iam:CreateInstanceProfile", arn, {}), ("iam:AddRoleToInstanceProfile", arn, {})]
    if service == "IAM":
        pytest.fail(f"{stack}/{logical_id}: {type_} has no rule here; add it and a statement")
    if service == "S3":
        bucket = _generated(stack, logical_id).lower()
        return [("s3:CreateBucket", f"arn:aws:s3:::{bucket}", {})]
    if service == "CloudFormation":
        pytest.fail(f"{stack}/{logical_id}: {type_}: nested stacks need cloudformation actions")
    prefix = SERVICE_OF.get(service, service.lower())
    return [(CREATE.get(type_, f"{prefix}:Create{kind}"), "*", {})]


def _missing(stacks: Iterator[tuple[str, str, dict[str, Any]]], types: set[str]) -> set[str]:
    """What the policy refuses of what CloudFormation calls to create these stacks."""
    missing: set[str] = set()
    for stack, account, template in stacks:
        for logical_id, resource in template["Resources"].items():
            types.add(resource["Type"])
            for action, arn, context in _required(stack, account, logical_id, resource):
                if not allows(action, arn, context):
                    missing.add(f"{resource['Type']}: {action} on {arn} {context or ''}".strip())
    return missing


def test_every_resource_the_stacks_create_is_allowed(
    synth: SynthResult, pipeline_synth: PipelineSynth
) -> None:
    types: set[str] = set()
    missing = _missing(_stacks(synth, pipeline_synth), types)
    assert not missing, "\n".join(sorted(missing))
    assert {"AWS::EKS::Cluster", "AWS::IAM::Role", "AWS::CodePipeline::Pipeline"} <= types


def test_every_resource_the_examples_create_is_allowed(example_synth: SynthResult) -> None:
    # config/examples/ are deployed with the same bootstrap: self-managed nodes (Auto Scaling,
    # instance profiles), IPv6, GPU and Windows capacity, the Cluster Autoscaler
    types: set[str] = set()
    stacks = (
        (f"{env}-eks-{kind}", synth_account(example_synth, env), template)
        for env, kinds in example_synth.templates.items()
        for kind, template in kinds.items()
    )
    missing = _missing(stacks, types)
    assert not missing, "\n".join(sorted(missing))
    assert {"AWS::AutoScaling::AutoScalingGroup", "AWS::IAM::InstanceProfile"} <= types


def test_lambda_code_is_read_from_the_bootstrap_assets_bucket() -> None:
    # Lambda reads function and layer code from S3 with the caller's (this role's) rights
    key = "arn:aws:s3:::cdk-hnb659fds-assets-111111111111-eu-west-1/abc.zip"
    assert allows("s3:GetObject", key)


def test_no_action_is_everything_and_iam_is_scoped() -> None:
    for statement in POLICY["Statement"]:
        assert "NotAction" not in statement and "NotResource" not in statement, statement["Sid"]
        actions = _listed(statement["Action"])
        assert "*" not in actions and "iam:*" not in actions, statement["Sid"]
        assert all(":" in a and not a.startswith("*") for a in actions), statement["Sid"]
        if any(a.startswith(("iam:", "s3:")) for a in actions):
            scoped = "*" not in _listed(statement["Resource"])
            assert scoped or statement.get("Condition"), statement["Sid"]
        assert not any(a.startswith("cloudformation:") for a in actions), statement["Sid"]


def test_the_scoping_holds_against_other_names() -> None:
    # the bootstrap roles and a role of someone else in the account are out of reach
    for name in (
        "cdk-hnb659fds-deploy-role-111111111111-eu-west-1",
        "OrganizationAccountAccessRole",
    ):
        arn = f"arn:aws:iam::111111111111:role/{name}"
        assert not allows("iam:PutRolePolicy", arn) and not allows("iam:CreateRole", arn)
        assert not allows("iam:PassRole", arn, {"iam:PassedToService": "lambda.amazonaws.com"})
    # a role of the stacks is passed only to the services the stacks use
    role = "arn:aws:iam::111111111111:role/dev-eks-cluster-Role-ABC"
    assert not allows("iam:PassRole", role, {"iam:PassedToService": "cloudformation.amazonaws.com"})
    assert not allows(
        "iam:CreateServiceLinkedRole",
        "arn:aws:iam::1:role/aws-service-role/x",
        {"iam:AWSServiceName": "organizations.amazonaws.com"},
    )
    assert not allows("s3:GetObject", "arn:aws:s3:::payroll-exports/2024.csv")


def test_the_policy_fits_a_customer_managed_policy() -> None:
    assert POLICY["Version"] == "2012-10-17"
    sids = [s["Sid"] for s in POLICY["Statement"]]
    assert len(sids) == len(set(sids))
    assert len("".join(POLICY_FILE.read_text().split())) <= MANAGED_POLICY_MAX_CHARS


def test_an_environment_with_managed_prometheus_is_allowed() -> None:
    """No shipped environment turns `observability.prometheus` on, so the synthesised
    templates above never show AWS::APS: the policy must still allow what PrometheusScraper
    creates (the workspace, the scraper, and the scraper's service-linked role)."""
    for action in ("aps:CreateWorkspace", "aps:CreateScraper", "aps:TagResource"):
        assert allows(action, "*"), action
    role = "arn:aws:iam::333333333333:role/aws-service-role/scraper.aps.amazonaws.com/X"
    assert allows(
        "iam:CreateServiceLinkedRole", role, {"iam:AWSServiceName": "scraper.aps.amazonaws.com"}
    )
