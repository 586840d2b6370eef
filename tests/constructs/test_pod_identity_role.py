"""PodIdentityRole: session-tag trust, the association, the shared agent, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from eks_blueprint.addons.versions import ADDON_VERSIONS
from eks_blueprint.identity import PodIdentityRole, PodIdentityRoleProps

from .clusters import built, imported, pod_identity_trust, refused, stack

QUEUE = "arn:aws:sqs:eu-west-1:123456789012:orders"


def _read_queue() -> iam.PolicyStatement:
    return iam.PolicyStatement(actions=["sqs:ReceiveMessage"], resources=[QUEUE])


@pytest.fixture(scope="module")
def template() -> Template:
    scope = stack()
    cluster = built(scope)
    for name in ("api", "worker"):
        # kubernetes_version left out: it comes from the cluster.
        PodIdentityRole(
            scope,
            name.capitalize(),
            props=PodIdentityRoleProps(
                cluster=cluster,
                namespace="payments",
                service_account=name,
                statements=(_read_queue(),),
            ),
        )
    return Template.from_stack(scope)


def test_the_role_trusts_pods_of_one_service_account_by_session_tags(template: Template) -> None:
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": pod_identity_trust(
                Condition={
                    "StringEquals": Match.object_like(
                        {
                            "aws:RequestTag/kubernetes-namespace": "payments",
                            "aws:RequestTag/kubernetes-service-account": "api",
                        }
                    )
                }
            ),
        },
    )


def test_each_role_is_associated_and_the_agent_is_shared(template: Template) -> None:
    template.has_resource_properties(
        "AWS::EKS::PodIdentityAssociation", {"Namespace": "payments", "ServiceAccount": "worker"}
    )
    template.resource_count_is("AWS::EKS::PodIdentityAssociation", 2)
    template.resource_count_is("AWS::EKS::Addon", 1)
    template.has_resource_properties(
        "AWS::EKS::Addon",
        {
            "AddonName": "eks-pod-identity-agent",
            "AddonVersion": ADDON_VERSIONS["1.34"]["eks-pod-identity-agent"][0],
        },
    )


def _props(cluster: Any, **changes: Any) -> PodIdentityRoleProps:
    fields: dict[str, Any] = {
        "cluster": cluster,
        "namespace": "payments",
        "service_account": "api",
        "statements": (_read_queue(),),
        "kubernetes_version": "1.34",
    }
    fields.update(changes)
    return PodIdentityRoleProps(**fields)


@pytest.mark.parametrize(
    ("changes", "prop", "fragment"),
    [
        ({"namespace": "-payments"}, "namespace", "not a Kubernetes name"),
        ({"service_account": "a" * 254}, "service_account", "1-253 lower-case letters"),
        ({"service_account": "api..v2"}, "service_account", "not a Kubernetes name"),
        ({"namespace": "pay.ments"}, "namespace", "not a Kubernetes name: 1-63"),
        ({"statements": (), "managed_policies": ()}, "statements", "no permissions"),
        ({"kubernetes_version": None}, "kubernetes_version", "required for an imported cluster"),
        ({"kubernetes_version": "v1.34"}, "kubernetes_version", "not a Kubernetes minor version"),
        ({"agent_version": "1.3.7"}, "agent_version", "not an add-on version"),
    ],
)
def test_bad_props_are_refused_naming_the_construct_and_prop(
    changes: dict[str, Any], prop: str, fragment: str
) -> None:
    scope = stack()
    assert fragment in refused(
        "Platform/Api",
        f"PodIdentityRoleProps.{prop}",
        PodIdentityRole,
        scope,
        "Api",
        props=_props(imported(scope), **changes),
    )


def test_a_service_account_name_is_a_subdomain() -> None:
    # Service accounts are DNS-1123 subdomains: dots allowed, up to 253 characters.
    scope = stack()
    cluster = imported(scope)
    for index, name in enumerate(("api.v2", "a" * 253)):
        PodIdentityRole(scope, f"Role{index}", props=_props(cluster, service_account=name))
    Template.from_stack(scope).has_resource_properties(
        "AWS::EKS::PodIdentityAssociation", {"Namespace": "payments", "ServiceAccount": "api.v2"}
    )
