"""The `workload_identities:` and `access:` sections: who in the cluster may do what in AWS,
and who in AWS may do what in the cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import Field, model_validator

from ..ids import pascal_id
from ..validate_names import ACCESS_POLICIES as ACCESS_POLICIES
from ..validate_names import AWS_MANAGED_POLICY as AWS_MANAGED_POLICY
from ..validate_names import (
    check_action,
    check_condition_operator,
    check_kubernetes_group,
    check_kubernetes_name,
    check_kubernetes_subdomain,
    check_managed_policy_arn,
    check_reason,
    check_resource_arn,
)
from .base import (
    FieldError,
    KubernetesGroup,
    PrincipalArn,
    StrictModel,
    clip,
    first_duplicate,
    short,
)

#: Access policies EKS only associates cluster-wide.
CLUSTER_SCOPE_ONLY: frozenset[str] = frozenset({"cluster_admin"})
#: group_role values the platform binds: built-in ClusterRoles, and the tenant Roles that
#: every tenant namespace has (eks_blueprint.tenancy; namespaced only).
BOUND_GROUP_ROLES: tuple[str, ...] = ("view", "edit", "admin", "tenant-admin", "tenant-viewer")
#: group_role values that are Roles in tenant namespaces.
TENANT_GROUP_ROLES: tuple[str, ...] = ("tenant-admin", "tenant-viewer")


class PolicyStatementConfig(StrictModel):
    """One statement of a workload role's policy."""

    effect: Literal["Allow", "Deny"] = "Allow"
    """Allow or Deny. Default: Allow."""
    actions: list[str] = Field(min_length=1)
    """IAM actions, each `service:Action` (`s3:GetObject`). A bare `*` is refused; a wildcard
    (`s3:Get*`, `s3:*`) needs `exception_reason` on the workload identity."""
    resources: list[str] = Field(min_length=1)
    """Resource ARNs. `*` (or an ARN with `*`) needs `exception_reason` on the workload
    identity, because the role then reaches more than one named resource."""
    conditions: dict[str, dict[str, str | list[str]]] = Field(default_factory=dict)
    """IAM conditions, operator -> key -> value(s), e.g.
    `{StringEquals: {"aws:ResourceTag/team": payments}}`. Default: none."""


class WorkloadIdentityConfig(StrictModel):
    """An IAM role for one Kubernetes service account (IRSA or EKS Pod Identity)."""

    namespace: str
    """Kubernetes namespace of the service account."""
    service_account: str
    """Name of the Kubernetes service account."""
    mechanism: Literal["irsa", "pod_identity"] = "pod_identity"
    """`pod_identity` (default): EKS Pod Identity association, needs no OIDC provider.
    `irsa`: IAM roles for service accounts through the cluster's OIDC provider."""
    managed_policy_arns: list[str] = Field(default_factory=list)
    """Managed policies to attach (customer-managed or AWS-managed). Default: none. An
    AWS-managed policy needs `exception_reason`."""
    policy_statements: list[PolicyStatementConfig] = Field(default_factory=list)
    """Statements of the role's own (customer-managed) policy. Default: none."""
    exception_reason: str | None = None
    """Why this role needs a wildcard (`service:*` action, `*` in a resource) or an
    AWS-managed policy. Required exactly then; it becomes the reason of the cdk-nag
    acknowledgement a reviewer reads. Default: none."""

    @property
    def label(self) -> str:
        """`namespace/service_account`, the name error messages use."""
        return f"{self.namespace}/{self.service_account}"

    def needs_exception(self) -> list[str]:
        """What in this entry is broad enough to need `exception_reason`."""
        broad: list[str] = [
            f"action {a!r}"
            for s in self.policy_statements
            for a in s.actions
            if s.effect == "Allow" and "*" in a
        ]
        broad += [
            f"resource {r!r}"
            for s in self.policy_statements
            for r in s.resources
            if s.effect == "Allow" and "*" in r
        ]
        broad += [
            f"AWS-managed policy {a.rsplit('/', 1)[-1]}"
            for a in self.managed_policy_arns
            if AWS_MANAGED_POLICY.match(a)
        ]
        return broad

    @model_validator(mode="after")
    def _rules(self) -> WorkloadIdentityConfig:
        who = f"({clip(self.label)})"
        # A namespace is a DNS-1123 label, a service account's name a subdomain (dots allowed).
        for field, check in (
            ("namespace", check_kubernetes_name),
            ("service_account", check_kubernetes_subdomain),
        ):
            value = getattr(self, field)
            try:
                check(value)
            except ValueError as exc:
                raise FieldError(field, f"{short(value)} is {exc}") from None
        if not self.managed_policy_arns and not self.policy_statements:
            raise FieldError(
                "policy_statements",
                f"{who} gives the role no permissions; add managed_policy_arns or "
                "policy_statements",
            )
        for i, arn in enumerate(self.managed_policy_arns):
            _at(["managed_policy_arns", i], check_managed_policy_arn, arn)
        for index, statement in enumerate(self.policy_statements):
            where: list[str | int] = ["policy_statements", index]
            for j, action in enumerate(statement.actions):
                _at([*where, "actions", j], check_action, action)
            for j, resource in enumerate(statement.resources):
                _at([*where, "resources", j], check_resource_arn, resource)
            for operator in statement.conditions:
                _at([*where, "conditions", operator], check_condition_operator, operator)
        broad = self.needs_exception()
        if broad and not (self.exception_reason and len(self.exception_reason.strip()) >= 20):
            raise FieldError(
                "exception_reason",
                f"{who} uses {', '.join(broad)}; narrow it, or explain why in "
                "exception_reason (at least 20 characters: it is the reason a reviewer reads)",
            )
        if self.exception_reason is not None and not broad:
            raise FieldError(
                "exception_reason",
                f"{who} has exception_reason but nothing that needs one; remove it",
            )
        if self.exception_reason is not None:
            try:
                check_reason(self.exception_reason)
            except ValueError as exc:
                raise FieldError("exception_reason", f"exception_reason {exc}") from None
        return self


class AccessConfig(StrictModel):
    """An EKS access entry: an IAM principal, its access policy and scope, its groups."""

    principal: PrincipalArn
    """IAM role or user ARN."""
    policy: Literal["cluster_admin", "admin", "edit", "view"] | None = None
    """EKS access policy: cluster_admin (AmazonEKSClusterAdminPolicy), admin, edit, view.
    Default: none (then `kubernetes_groups` with `group_role` give the access, through RBAC)."""
    namespaces: list[str] = Field(default_factory=list)
    """Limit the policy, and the RoleBindings of `group_role`, to these namespaces. Default:
    empty, i.e. cluster-wide. Not allowed with cluster_admin, which EKS only associates
    cluster-wide. With group_role view/edit/admin/tenant-admin/tenant-viewer they must be
    tenant namespaces of this file, so they exist before the bindings."""
    kubernetes_groups: list[KubernetesGroup] = Field(default_factory=list)
    """Kubernetes groups the principal is in; they grant nothing until an RBAC binding names
    them, so `group_role` is required with them. Default: none. Names starting with
    `system:` are refused (EKS reserves them)."""
    group_role: (
        Literal["view", "edit", "admin", "external", "tenant-admin", "tenant-viewer"] | None
    ) = None
    """Who binds `kubernetes_groups`: `view`, `edit` or `admin` bind every group to the
    built-in ClusterRole of that name, by a RoleBinding in each of `namespaces` or, without
    namespaces, a ClusterRoleBinding (view only: cluster-wide edit/admin belong in `policy`);
    `tenant-admin` (run the tenant's workloads, read and write its Secrets, exec; not its
    quota, network policies or RBAC) or `tenant-viewer` (read all but Secrets) bind every
    group to the Role of that name in each of `namespaces`, which must be tenants;
    `external`: your own RBAC binds them, nothing is created. Required with
    kubernetes_groups, refused without. Default: none."""

    @property
    def binds_groups(self) -> bool:
        """True when the platform creates RBAC bindings for this entry's groups."""
        return self.group_role in BOUND_GROUP_ROLES and bool(self.kubernetes_groups)

    @model_validator(mode="after")
    def _rules(self) -> AccessConfig:
        who = f"({clip(self.principal)})"
        if self.policy is None and not self.kubernetes_groups:
            raise FieldError(
                "policy",
                f"{who} gives no access; set policy (cluster_admin, admin, edit, view) "
                "or kubernetes_groups",
            )
        if self.kubernetes_groups and self.group_role is None:
            raise FieldError(
                "group_role",
                f"{who} kubernetes_groups {self.kubernetes_groups} are bound to nothing, so they "
                "grant nothing; set group_role: view, edit or admin (RoleBindings to that "
                "built-in ClusterRole in each of namespaces; without namespaces, view only, a "
                "ClusterRoleBinding), tenant-admin or tenant-viewer (RoleBindings to that Role "
                "in each tenant namespace of namespaces), or external (your own RBAC binds "
                "them)",
            )
        if self.group_role is not None and not self.kubernetes_groups:
            raise FieldError(
                "group_role",
                f"{who} group_role {self.group_role} is set but kubernetes_groups is empty; "
                "add the groups to bind, or remove group_role",
            )
        if self.group_role in TENANT_GROUP_ROLES and not self.namespaces:
            raise FieldError(
                "namespaces",
                f"{who} group_role {self.group_role} is a Role in every tenant namespace, "
                "bound by a RoleBinding there; list the tenant namespaces in namespaces",
            )
        if self.group_role in ("edit", "admin") and not self.namespaces:
            raise FieldError(
                "group_role",
                f"{who} group_role {self.group_role} without namespaces would be a "
                f"ClusterRoleBinding to {self.group_role} on every namespace; cluster-wide "
                f"{self.group_role} belongs in an EKS access policy (policy: "
                f"{self.group_role}), so list namespaces or use group_role view",
            )
        if self.namespaces and self.policy is None and not self.binds_groups:
            raise FieldError(
                "namespaces",
                f"{who} namespaces scope a policy or the RoleBindings of group_role; set "
                "policy, or group_role view/edit/admin/tenant-admin/tenant-viewer, or remove "
                "namespaces",
            )
        if self.namespaces and self.policy in CLUSTER_SCOPE_ONLY:
            raise FieldError(
                "namespaces",
                f"{who} policy cluster_admin (AmazonEKSClusterAdminPolicy) is cluster-scope "
                "only; remove namespaces or use policy admin",
            )
        for i, namespace in enumerate(self.namespaces):
            try:
                check_kubernetes_name(namespace)
            except ValueError:
                raise FieldError(["namespaces", i], "not a Kubernetes namespace name") from None
        for field in ("namespaces", "kubernetes_groups"):
            values = list(getattr(self, field))
            again = first_duplicate(values)
            if again is not None:
                raise FieldError([field, again], f"{values[again]} is listed more than once")
        for i, group in enumerate(self.kubernetes_groups):
            _at(["kubernetes_groups", i], check_kubernetes_group, group)
        return self


def _at(field: list[str | int], check: Callable[[str], object], value: str) -> None:
    """Run a shared check on one value; report its problem at `field`."""
    try:
        check(value)
    except ValueError as exc:
        raise FieldError(field, str(exc)) from None


def check_workload_identities(entries: list[WorkloadIdentityConfig]) -> None:
    """Refuse two roles for one service account: the pod could only assume one of them."""
    labels = [e.label for e in entries]
    again = first_duplicate(labels)
    if again is not None:
        raise FieldError(
            ["workload_identities", again],
            f"the service account {labels[again]} is also in workload_identities"
            f"[{labels.index(labels[again])}]; merge the entries",
        )
    # The cluster stack names each role's construct after namespace and service account
    # (eks_blueprint.identity.workload_id); '-' and '.' both separate words there.
    ids = [pascal_id(f"{e.namespace}-{e.service_account}") for e in entries]
    again = first_duplicate(ids)
    if again is not None:
        raise FieldError(
            ["workload_identities", again, "service_account"],
            f"{labels[again]} and workload_identities[{ids.index(ids[again])}] "
            f"({labels[ids.index(ids[again])]}) make the same construct id {ids[again]}; "
            "rename one of the service accounts",
        )


def check_group_bindings(entries: list[AccessConfig], tenants: list[str]) -> None:
    """RoleBindings go into namespaces that exist before them: the file's tenant namespaces
    (the bindings are applied after them, and the tenant Roles are created with them)."""
    for index, entry in enumerate(entries):
        if not entry.binds_groups:
            continue
        missing = [n for n in entry.namespaces if n not in tenants]
        if missing:
            raise FieldError(
                ["access", index, "namespaces", entry.namespaces.index(missing[0])],
                f"access[{index}] ({entry.principal}) namespaces {missing} are not tenant "
                f"namespaces of this file (tenants: {', '.join(tenants) or 'none'}), so "
                f"nothing creates them before the RoleBindings of group_role "
                f"{entry.group_role}; add a tenant of that name, or remove the namespace",
            )


def check_access(entries: list[AccessConfig], admins: list[str], viewers: list[str]) -> None:
    """Refuse a principal listed twice: EKS allows one access entry per principal."""
    principals = [e.principal for e in entries]
    again = first_duplicate(principals)
    if again is not None:
        raise FieldError(
            ["access", again, "principal"],
            f"{principals[again]} is also in access[{principals.index(principals[again])}]; "
            "EKS allows one access entry per principal: merge the entries",
        )
    for index, arn in enumerate(principals):
        for field, listed in (("cluster.admins", admins), ("cluster.viewers", viewers)):
            if arn in listed:
                raise FieldError(
                    ["access", index, "principal"],
                    f"{arn} is also in {field}; an access entry is one principal, so list it "
                    "in one place",
                )
