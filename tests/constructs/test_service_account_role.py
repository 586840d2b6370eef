"""ServiceAccountRole (IRSA): trust for one service account, permissions, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from eks_blueprint.identity import ServiceAccountRole, ServiceAccountRoleProps

from .clusters import built, imported, refused, stack, template_of

QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders"
REASON = "GetMetricData supports no resource-level permissions at all"
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/X"


def _read_queue() -> iam.PolicyStatement:
    return iam.PolicyStatement(actions=["sqs:ReceiveMessage"], resources=[QUEUE])


@pytest.fixture(scope="module")
def template() -> Template:
    return template_of(
        lambda scope: ServiceAccountRole(
            scope,
            "Api",
            props=ServiceAccountRoleProps(
                cluster=built(scope),
                namespace="payments",
                service_account="api",
                statements=(_read_queue(),),
            ),
        )
    )


def test_the_native_oidc_provider_is_created(template: Template) -> None:
    template.resource_count_is("AWS::IAM::OIDCProvider", 1)
    template.resource_count_is("Custom::AWSCDKOpenIdConnectProvider", 0)


def test_the_role_trusts_one_service_account_by_string_equals(template: Template) -> None:
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Fn::Join": [
                    "",
                    Match.array_with(
                        [
                            Match.string_like_regexp(':sub":"system:serviceaccount:payments:api",'),
                        ]
                    ),
                ]
            },
            "Description": "IRSA role of payments/api",
        },
    )


def test_statements_become_a_customer_managed_policy(template: Template) -> None:
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    Match.object_like({"Action": "sqs:ReceiveMessage", "Resource": QUEUE})
                ]
            },
            "Description": "Permissions of payments/api",
        },
    )


def _props(cluster: Any, **changes: Any) -> ServiceAccountRoleProps:
    fields: dict[str, Any] = {
        "cluster": cluster,
        "namespace": "payments",
        "service_account": "api",
        "statements": (_read_queue(),),
        "oidc_provider": None,
    }
    fields.update(changes)
    return ServiceAccountRoleProps(**fields)


@pytest.mark.parametrize(
    ("changes", "prop", "fragment"),
    [
        ({"namespace": "Payments"}, "namespace", "not a Kubernetes name"),
        ({"service_account": "api_v2"}, "service_account", "not a Kubernetes name"),
        ({"statements": ()}, "statements", "the role would have no permissions"),
        (
            {"statements": (iam.PolicyStatement(actions=["*"], resources=[QUEUE]),)},
            "statements[0].actions",
            "grants every AWS action",
        ),
        (
            {"statements": (iam.PolicyStatement(actions=["S3:GetObject"], resources=[QUEUE]),)},
            "statements[0].actions",
            "not of the form service:Action",
        ),
        (
            {"statements": (iam.PolicyStatement(actions=["s3:GetObject"], resources=["bucket"]),)},
            "statements[0].resources",
            "not an ARN of the commercial partition",
        ),
        (
            {"statements": (iam.PolicyStatement(actions=["s3:*"], resources=[QUEUE]),)},
            "exception_reason",
            "exception_reason is required: the role uses Action::s3:*",
        ),
        (
            {
                "statements": (iam.PolicyStatement(actions=["s3:*"], resources=[QUEUE]),),
                "exception_reason": "short",
            },
            "exception_reason",
            "at least 20 characters",
        ),
        ({"exception_reason": REASON}, "exception_reason", "nothing needs a reason"),
        (
            {"aws_managed_policy_names": ("Read Only",), "exception_reason": REASON},
            "aws_managed_policy_names[0]",
            "not an IAM policy name",
        ),
    ],
)
def test_bad_props_are_refused_naming_the_construct_and_prop(
    changes: dict[str, Any], prop: str, fragment: str
) -> None:
    scope = stack()
    provider = iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(scope, "P", PROVIDER)
    props = _props(imported(scope), oidc_provider=provider, **changes)
    assert fragment in refused(
        "Platform/Api",
        f"ServiceAccountRoleProps.{prop}",
        ServiceAccountRole,
        scope,
        "Api",
        props=props,
    )


def test_an_imported_cluster_needs_its_oidc_provider() -> None:
    scope = stack()
    where = ("Platform/Api", "ServiceAccountRoleProps.oidc_provider")
    refused(*where, ServiceAccountRole, scope, "Api", props=_props(imported(scope)))


def test_creating_the_service_account_needs_a_kubectl_provider() -> None:
    scope = stack()
    provider = iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(scope, "P", PROVIDER)
    props = _props(
        imported(scope, kubectl=False), oidc_provider=provider, create_service_account=True
    )
    where = ("Platform/Api", "ServiceAccountRoleProps.create_service_account")
    refused(*where, ServiceAccountRole, scope, "Api", props=props)


def test_nothing_is_created_before_a_refusal() -> None:
    scope = stack()
    with pytest.raises(ValueError):
        ServiceAccountRole(scope, "Api", props=_props(built(scope), namespace="Bad"))
    roles = Template.from_stack(scope).find_resources("AWS::IAM::Role")
    assert [k for k in roles if k.startswith("Api")] == []
    assert Template.from_stack(scope).find_resources("AWS::IAM::OIDCProvider") == {}
