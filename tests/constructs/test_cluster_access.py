"""ClusterAccess: access entries from explicit props, and every refusal names the prop."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from eks_blueprint.access import (
    TENANT_ROLES,
    AccessGrant,
    ClusterAccess,
    ClusterAccessProps,
    group_bindings,
)
from eks_blueprint.tenancy import TENANT_ADMIN_ROLE, TENANT_VIEWER_ROLE

from .clusters import at, imported, refused, stack, template_of

TEAM = "arn:aws:iam::123456789012:role/Team"
AUDIT = "arn:aws:iam::123456789012:role/Audit"


@pytest.fixture(scope="module")
def template() -> Template:
    return template_of(
        lambda scope: ClusterAccess(
            scope,
            "Access",
            props=ClusterAccessProps(
                cluster=imported(scope),
                grants=(
                    AccessGrant(
                        principal_arn=TEAM, policy_name="AmazonEKSEditPolicy", namespaces=("shop",)
                    ),
                    AccessGrant(
                        principal_arn=AUDIT, kubernetes_groups=("auditors",), group_role="view"
                    ),
                ),
            ),
        )
    )


def test_a_namespaced_policy_becomes_a_namespace_scoped_access_entry(template: Template) -> None:
    template.has_resource_properties(
        "AWS::EKS::AccessEntry",
        {
            "ClusterName": "platform",
            "PrincipalArn": TEAM,
            "Type": "STANDARD",
            "AccessPolicies": [
                {
                    "AccessScope": {"Type": "namespace", "Namespaces": ["shop"]},
                    "PolicyArn": Match.object_like(
                        {
                            "Fn::Join": [
                                "",
                                Match.array_with(
                                    [":eks::aws:cluster-access-policy/AmazonEKSEditPolicy"]
                                ),
                            ]
                        }
                    ),
                }
            ],
        },
    )


def test_groups_with_a_role_get_an_access_entry_and_a_binding(template: Template) -> None:
    template.has_resource_properties(
        "AWS::EKS::AccessEntry",
        {"PrincipalArn": AUDIT, "KubernetesGroups": ["auditors"], "AccessPolicies": Match.absent()},
    )
    template.has_resource_properties(
        "Custom::AWSCDK-EKS-KubernetesResource",
        {"Manifest": Match.string_like_regexp("ClusterRoleBinding.*eks-blueprint-access-view")},
    )


def _grant(**changes: Any) -> AccessGrant:
    fields: dict[str, Any] = {"principal_arn": TEAM, "policy_name": "AmazonEKSViewPolicy"}
    fields.update(changes)
    return AccessGrant(**fields)


@pytest.mark.parametrize(
    ("grants", "prop", "fragment"),
    [
        (
            (_grant(principal_arn="arn:aws:iam::1:role/X"),),
            "grants[0].principal_arn",
            "not an IAM role or user ARN",
        ),
        (
            (_grant(principal_arn="arn:aws-cn:iam::123456789012:role/X"),),
            "grants[0].principal_arn",
            "only the commercial partition",
        ),
        (
            (_grant(principal_arn=f"arn:aws:iam::123456789012:role/{'r' * 65}"),),
            "grants[0].principal_arn",
            "at most 64 characters",
        ),
        ((_grant(policy_name=None),), "grants[0].policy_name", "gives no access"),
        ((_grant(policy_name="Root"),), "grants[0].policy_name", "not one of AmazonEKSAdminPolicy"),
        ((_grant(namespaces=("Bad_NS",)),), "grants[0].namespaces[0]", "not a Kubernetes name"),
        ((_grant(namespaces=("a", "a")),), "grants[0].namespaces", "a is listed more than once"),
        (
            (_grant(policy_name="AmazonEKSClusterAdminPolicy", namespaces=("a",)),),
            "grants[0].namespaces",
            "cluster-scope only",
        ),
        (
            (_grant(kubernetes_groups=("system:masters",), group_role="external"),),
            "grants[0].kubernetes_groups[0]",
            "EKS reserves",
        ),
        (
            (_grant(kubernetes_groups=(" ops",), group_role="external"),),
            "grants[0].kubernetes_groups[0]",
            "starts or ends with a space",
        ),
        (
            (_grant(kubernetes_groups=("g", "g"), group_role="external"),),
            "grants[0].kubernetes_groups",
            "g is listed more than once",
        ),
        (
            (_grant(kubernetes_groups=("g",), group_role="owner"),),
            "grants[0].group_role",
            "not one of view, edit, admin, external, tenant-admin, tenant-viewer",
        ),
        (
            (_grant(kubernetes_groups=("g",), group_role="tenant-admin"),),
            "grants[0].group_role",
            "tenant-admin is a Role in each tenant namespace",
        ),
        (
            (_grant(policy_name=None, kubernetes_groups=("g",), group_role="tenant-viewer"),),
            "grants[0].group_role",
            "list the tenant namespaces in namespaces",
        ),
        ((_grant(group_role="view"),), "grants[0].group_role", "kubernetes_groups is empty"),
        (
            (_grant(kubernetes_groups=("g",), group_role="edit"),),
            "grants[0].group_role",
            "policy_name AmazonEKSEditPolicy",
        ),
        (
            (
                _grant(
                    policy_name=None,
                    kubernetes_groups=("g",),
                    namespaces=("a",),
                    group_role="external",
                ),
            ),
            "grants[0].namespaces",
            "namespaces scope a policy",
        ),
        (
            (_grant(), _grant(policy_name="AmazonEKSEditPolicy")),
            "grants[1].principal_arn",
            "also granted by grants[0]",
        ),
    ],
)
def test_bad_grants_are_refused_naming_the_construct_and_prop(
    grants: tuple[AccessGrant, ...], prop: str, fragment: str
) -> None:
    scope = stack()
    props = ClusterAccessProps(cluster=imported(scope), grants=grants)
    assert fragment in refused(
        "Platform/Access", f"ClusterAccessProps.{prop}", ClusterAccess, scope, "Access", props=props
    )


def test_bound_groups_need_a_kubectl_provider() -> None:
    scope = stack()
    cluster = imported(scope, kubectl=False)
    grant = _grant(kubernetes_groups=("g",), group_role="view")
    props = ClusterAccessProps(cluster=cluster, grants=(grant,))
    assert "no kubectl provider" in refused(
        "Platform/Access", "ClusterAccessProps.cluster", ClusterAccess, scope, "Access", props=props
    )


def test_a_token_principal_is_refused_before_it_becomes_a_construct_id() -> None:
    scope = stack()
    role = iam.Role(scope, "Role", assumed_by=iam.AccountRootPrincipal())
    with pytest.raises(
        ValueError, match=at("Platform/Access", "ClusterAccessProps.grants[0].principal_arn")
    ):
        ClusterAccess(
            scope,
            "Access",
            props=ClusterAccessProps(
                cluster=imported(scope), grants=(_grant(principal_arn=role.role_arn),)
            ),
        )


def test_tenant_roles_are_bound_by_role_bindings_to_the_namespace_role() -> None:
    grants = (
        AccessGrant(
            principal_arn=TEAM,
            kubernetes_groups=("payments-developers", "payments-leads"),
            namespaces=("payments", "shop"),
            group_role="tenant-admin",
        ),
        AccessGrant(
            principal_arn=AUDIT,
            kubernetes_groups=("auditors",),
            namespaces=("payments",),
            group_role="tenant-viewer",
        ),
    )
    docs = group_bindings(grants)
    assert [(d["kind"], d["metadata"]["namespace"], d["metadata"]["name"]) for d in docs] == [
        ("RoleBinding", "payments", "eks-blueprint-access-tenant-admin"),
        ("RoleBinding", "payments", "eks-blueprint-access-tenant-viewer"),
        ("RoleBinding", "shop", "eks-blueprint-access-tenant-admin"),
    ]
    assert docs[0]["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "tenant-admin",
    }
    assert [s["name"] for s in docs[0]["subjects"]] == ["payments-developers", "payments-leads"]
    assert docs[1]["roleRef"]["kind"] == "Role" and docs[1]["roleRef"]["name"] == "tenant-viewer"


def test_built_in_roles_stay_cluster_roles() -> None:
    (doc,) = group_bindings(
        (
            AccessGrant(
                principal_arn=TEAM, kubernetes_groups=("g",), namespaces=("a",), group_role="edit"
            ),
        )
    )
    assert doc["roleRef"]["kind"] == "ClusterRole"


def test_the_tenant_roles_are_the_roles_tenant_namespaces_create() -> None:
    assert (TENANT_ADMIN_ROLE, TENANT_VIEWER_ROLE) == TENANT_ROLES


def test_a_tenant_role_grant_makes_a_group_bindings_manifest() -> None:
    template = template_of(
        lambda scope: ClusterAccess(
            scope,
            "Access",
            props=ClusterAccessProps(
                cluster=imported(scope),
                grants=(
                    AccessGrant(
                        principal_arn=TEAM,
                        kubernetes_groups=("payments-developers",),
                        namespaces=("payments",),
                        group_role="tenant-admin",
                    ),
                ),
            ),
        )
    )
    template.has_resource_properties(
        "Custom::AWSCDK-EKS-KubernetesResource",
        {"Manifest": Match.string_like_regexp('"kind":"Role","name":"tenant-admin"')},
    )
