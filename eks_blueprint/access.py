"""Cluster access from config: native EKS access entries, no aws-auth ConfigMap.

`ControlPlane.grant_access` covers the `cluster.admins` / `cluster.viewers` shorthand (one
cluster-wide policy each). `ClusterAccess` adds the general form: an access policy scoped to
the cluster or to namespaces, and Kubernetes groups. aws_eks_v2's AccessEntry has no
`kubernetesGroups`, so this uses the L1 AWS::EKS::AccessEntry.

A Kubernetes group in an access entry grants nothing by itself: only an RBAC binding that
names the group does. So each grant with groups says who binds them (`group_role`):
`view`, `edit` or `admin` make ClusterAccess bind every group of the grant to the built-in
ClusterRole of that name, with a RoleBinding in each of the grant's namespaces or, for
`view` only, one ClusterRoleBinding (cluster-wide `edit`/`admin` belong in an EKS access
policy, where they are visible in the EKS API and to `verify`); `tenant-admin` and
`tenant-viewer` bind them to the Role of that name that TenantNamespaces puts in every
tenant namespace (explicit verbs and resources, no RBAC or guardrail changes: see
eks_blueprint.tenancy), with a RoleBinding in each of the grant's namespaces, which must be
tenant namespaces; `external` records that your own RBAC binds them. All bindings are one
manifest item (`GroupBindings`) of the cluster's foundation layer; the namespaces (and
the tenant Roles) must exist first (the app makes the item need the tenant namespaces,
which orders it after them in the layer).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aws_cdk import Aws, Stack, Token
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from .control_plane import principal_id
from .kubernetes import Applied, Layer
from .kubernetes_objects import pruned_manifest, require_kubectl_provider
from .validate_names import (
    ACCESS_POLICIES,
    PropError,
    check_choice,
    check_kubernetes_group,
    check_kubernetes_name,
    check_principal_arn,
    check_prop,
    check_unique,
)

#: EKS access policies that EKS only associates with cluster scope.
CLUSTER_SCOPE_ONLY_POLICIES: frozenset[str] = frozenset({"AmazonEKSClusterAdminPolicy"})
#: The EKS access policies a grant may name.
KNOWN_POLICIES: frozenset[str] = frozenset(ACCESS_POLICIES.values())

#: Who binds a grant's Kubernetes groups: a built-in ClusterRole or a tenant Role bound
#: here, or your RBAC.
GroupRole = Literal["view", "edit", "admin", "external", "tenant-admin", "tenant-viewer"]
#: The built-in (user-facing) ClusterRoles ClusterAccess binds groups to.
CLUSTER_ROLES: tuple[str, ...] = ("view", "edit", "admin")
#: The Roles TenantNamespaces creates in every tenant namespace (eks_blueprint.tenancy's
#: TENANT_ADMIN_ROLE and TENANT_VIEWER_ROLE); bound only by RoleBindings in namespaces.
TENANT_ROLES: tuple[str, ...] = ("tenant-admin", "tenant-viewer")
#: Every role ClusterAccess binds groups to.
BOUND_ROLES: tuple[str, ...] = (*CLUSTER_ROLES, *TENANT_ROLES)
#: Every value `AccessGrant.group_role` takes.
GROUP_ROLES: tuple[str, ...] = (*CLUSTER_ROLES, "external", *TENANT_ROLES)
#: ClusterRoles ClusterAccess may bind cluster-wide: read-only only.
CLUSTER_WIDE_ROLES: frozenset[str] = frozenset({"view"})
#: Labels on every binding ClusterAccess creates.
BINDING_LABELS = {"app.kubernetes.io/managed-by": "eks-blueprint"}


def binding_name(role: str) -> str:
    """The name of the RoleBinding (per namespace) or ClusterRoleBinding for a role."""
    return f"eks-blueprint-access-{role}"


@dataclass(frozen=True, kw_only=True)
class AccessGrant:
    """One IAM principal's access to the cluster."""

    principal_arn: str
    """IAM role or user ARN of the commercial partition, as text (not a token: the access
    entry's construct id comes from it), e.g. arn:aws:iam::123456789012:role/Team. Each
    principal once per ClusterAccess (EKS allows one access entry per principal)."""
    policy_name: str | None = None
    """EKS access policy: AmazonEKSClusterAdminPolicy, AmazonEKSAdminPolicy,
    AmazonEKSEditPolicy or AmazonEKSViewPolicy. Default: none (then kubernetes_groups give
    the access)."""
    namespaces: Sequence[str] = ()
    """Namespaces (Kubernetes names, each once) the policy and the RoleBindings of
    `group_role` are limited to; not with AmazonEKSClusterAdminPolicy, which is cluster-scope
    only. Default: empty = cluster scope."""
    kubernetes_groups: Sequence[str] = ()
    """Kubernetes groups of the principal (printable, each once, not `system:`). Default:
    none."""
    group_role: GroupRole | None = None
    """What the groups may do: `view`, `edit` or `admin` bind each group to that built-in
    ClusterRole, by a RoleBinding in each of `namespaces` or, with no namespaces, a
    ClusterRoleBinding (`view` only); `tenant-admin` or `tenant-viewer` bind each group to
    the Role of that name by a RoleBinding in each of `namespaces` (required: tenant
    namespaces of a TenantNamespaces, which creates the Roles); `external`: your own RBAC
    binds them, nothing is created. Default: none, which is the same as `external`."""


@dataclass(frozen=True, kw_only=True)
class ClusterAccessProps:
    """Settings of ClusterAccess."""

    cluster: eks.ICluster
    """The cluster (authentication mode API or API_AND_CONFIG_MAP)."""
    grants: Sequence[AccessGrant] = ()
    """The access entries. Default: none."""


class ClusterAccess(Construct):
    """One AWS::EKS::AccessEntry per grant; ids come from the principal ARN, so adding or
    removing a principal never replaces another's entry. Plus, when any grant has a
    `group_role` of view, edit or admin, one manifest item `GroupBindings` with the
    RoleBindings and ClusterRoleBinding for its groups (see the module docstring): without
    them the groups of an access entry grant nothing. Grants with `group_role` tenant-admin
    or tenant-viewer bind Roles of TenantNamespaces: make `group_bindings` depend on it."""

    def __init__(self, scope: Construct, id: str, *, props: ClusterAccessProps) -> None:
        super().__init__(scope, id)
        check_grants(self.node.path, props.grants)
        self.entries: dict[str, eks.CfnAccessEntry] = {}
        for grant in props.grants:
            policies = []
            if grant.policy_name is not None:
                policies.append(
                    eks.CfnAccessEntry.AccessPolicyProperty(
                        policy_arn=(
                            f"arn:{Aws.PARTITION}:eks::aws:cluster-access-policy/"
                            f"{grant.policy_name}"
                        ),
                        access_scope=eks.CfnAccessEntry.AccessScopeProperty(
                            type="namespace" if grant.namespaces else "cluster",
                            namespaces=list(grant.namespaces) or None,
                        ),
                    )
                )
            self.entries[grant.principal_arn] = eks.CfnAccessEntry(
                self,
                principal_id(grant.principal_arn, Stack.of(self).account),
                cluster_name=props.cluster.cluster_name,
                principal_arn=grant.principal_arn,
                type="STANDARD",
                access_policies=policies or None,
                kubernetes_groups=list(grant.kubernetes_groups) or None,
            )
        bindings = group_bindings(props.grants)
        #: The RoleBindings and ClusterRoleBinding of the grants' groups; None when no grant
        #: binds any. Make it depend on whatever creates the namespaces.
        self.group_bindings: Applied | None = None
        if bindings:
            require_kubectl_provider(
                self.node.path,
                "ClusterAccessProps.cluster",
                props.cluster,
                "the grants bind Kubernetes groups (group_role view, edit, admin, "
                "tenant-admin or tenant-viewer), which "
                "applies RBAC manifests",
                " or set group_role external and bind the groups yourself",
            )
            # Removing a binding from the config deletes it from the cluster.
            self.group_bindings = pruned_manifest(
                self,
                "GroupBindings",
                props.cluster,
                bindings,
                layer=Layer.FOUNDATION,
                overwrite=True,
            )


def check_grants(path: str, grants: Sequence[AccessGrant]) -> None:
    """Refuse grants EKS or RBAC would refuse or ignore, as the `access:` config does; each
    error names the construct at `path`, the grant's field and the bad value."""
    principals: list[str] = []
    for index, grant in enumerate(grants):
        at = f"ClusterAccessProps.grants[{index}]"
        _check_grant(path, at, grant)
        if grant.principal_arn in principals:
            raise PropError(
                path,
                f"{at}.principal_arn",
                grant.principal_arn,
                f"also granted by grants[{principals.index(grant.principal_arn)}]; EKS allows "
                "one access entry per principal: merge the grants",
            )
        principals.append(grant.principal_arn)


def _check_grant(path: str, at: str, grant: AccessGrant) -> None:
    if Token.is_unresolved(grant.principal_arn):
        raise PropError(
            path,
            f"{at}.principal_arn",
            grant.principal_arn,
            "a deploy-time value; ClusterAccess needs the ARN as text (the access entry's "
            "construct id comes from its name), e.g. arn:aws:iam::123456789012:role/Team",
        )
    check_prop(path, f"{at}.principal_arn", grant.principal_arn, check_principal_arn)
    if grant.policy_name is None and not grant.kubernetes_groups:
        raise PropError(
            path,
            f"{at}.policy_name",
            None,
            "the grant gives no access; set policy_name (e.g. AmazonEKSViewPolicy) or "
            "kubernetes_groups with a group_role",
        )
    if grant.policy_name is not None:
        check_prop(
            path, f"{at}.policy_name", grant.policy_name, check_choice, sorted(KNOWN_POLICIES)
        )
    for i, namespace in enumerate(grant.namespaces):
        check_prop(path, f"{at}.namespaces[{i}]", namespace, check_kubernetes_name)
    check_prop(path, f"{at}.namespaces", list(grant.namespaces), check_unique)
    if grant.namespaces and grant.policy_name in CLUSTER_SCOPE_ONLY_POLICIES:
        raise PropError(
            path,
            f"{at}.namespaces",
            list(grant.namespaces),
            f"{grant.policy_name} is cluster-scope only; remove namespaces or use "
            "AmazonEKSAdminPolicy",
        )
    for i, group in enumerate(grant.kubernetes_groups):
        check_prop(path, f"{at}.kubernetes_groups[{i}]", group, check_kubernetes_group)
    check_prop(path, f"{at}.kubernetes_groups", list(grant.kubernetes_groups), check_unique)
    _check_group_role(path, at, grant)


def _check_group_role(path: str, at: str, grant: AccessGrant) -> None:
    role = grant.group_role
    binds = role in BOUND_ROLES and bool(grant.kubernetes_groups)
    if grant.namespaces and grant.policy_name is None and not binds:
        raise PropError(
            path,
            f"{at}.namespaces",
            list(grant.namespaces),
            "namespaces scope a policy_name or the RoleBindings of group_role; set "
            "policy_name, or group_role view/edit/admin/tenant-admin/tenant-viewer, or remove "
            "namespaces",
        )
    if role is None:
        return
    check_prop(path, f"{at}.group_role", role, check_choice, GROUP_ROLES)
    if not grant.kubernetes_groups:
        raise PropError(
            path,
            f"{at}.group_role",
            role,
            "group_role is set but kubernetes_groups is empty; add the groups to bind or "
            "remove group_role",
        )
    if not grant.namespaces and role in TENANT_ROLES:
        raise PropError(
            path,
            f"{at}.group_role",
            role,
            f"{role} is a Role in each tenant namespace, bound by a RoleBinding there; list "
            "the tenant namespaces in namespaces",
        )
    if not grant.namespaces and role in BOUND_ROLES and role not in CLUSTER_WIDE_ROLES:
        raise PropError(
            path,
            f"{at}.group_role",
            role,
            f"without namespaces this would be a ClusterRoleBinding to {role} on every "
            "namespace; give namespaces, or grant it cluster-wide as an EKS access policy "
            f"(policy_name AmazonEKS{role.capitalize()}Policy)",
        )


def _subjects(groups: Sequence[str]) -> list[dict[str, str]]:
    return [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": group}
        for group in sorted(set(groups))
    ]


def _role_ref(role: str) -> dict[str, str]:
    kind = "Role" if role in TENANT_ROLES else "ClusterRole"
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": role}


def group_bindings(grants: Sequence[AccessGrant]) -> list[dict[str, Any]]:
    """The RBAC objects that bind the grants' groups (a pure function, for tests).

    One RoleBinding `eks-blueprint-access-<role>` per namespace and role, with every group
    bound to that role there (the ClusterRole, or for tenant-admin and tenant-viewer the
    namespace's Role of that name), and one ClusterRoleBinding `eks-blueprint-access-view` for
    cluster-wide view; in a stable order (namespaces, then roles, sorted), so adding a grant
    changes only the objects it touches.
    """
    namespaced: dict[tuple[str, str], list[str]] = {}
    cluster_wide: dict[str, list[str]] = {}
    for grant in grants:
        role = grant.group_role
        if role is None or role not in BOUND_ROLES or not grant.kubernetes_groups:
            continue
        if grant.namespaces:
            for namespace in grant.namespaces:
                namespaced.setdefault((namespace, role), []).extend(grant.kubernetes_groups)
        else:
            cluster_wide.setdefault(role, []).extend(grant.kubernetes_groups)
    docs: list[dict[str, Any]] = [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {
                "name": binding_name(role),
                "namespace": namespace,
                "labels": dict(BINDING_LABELS),
            },
            "roleRef": _role_ref(role),
            "subjects": _subjects(groups),
        }
        for (namespace, role), groups in sorted(namespaced.items())
    ]
    docs += [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": binding_name(role), "labels": dict(BINDING_LABELS)},
            "roleRef": _role_ref(role),
            "subjects": _subjects(groups),
        }
        for role, groups in sorted(cluster_wide.items())
    ]
    return docs
