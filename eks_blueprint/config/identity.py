"""The `workload_identities:` and `access:` sections: who in the cluster may do what in AWS,
and who in AWS may do what in the cluster."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from .base import PrincipalArn, StrictModel, duplicates

#: `service:Action`, optionally with `*` inside the action name (`s3:Get*`).
ACTION = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9*]+$")
#: Any ARN, or `*`; ARNs may carry `*` wildcards in their resource part.
RESOURCE_ARN = re.compile(r"^(\*|arn:aws(-cn|-us-gov)?:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+)$")
MANAGED_POLICY_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:iam::(aws|\d{12}):policy/[\w+=,.@/-]{1,512}$"
)
#: IAM condition operators accepted in workload policy statements.
CONDITION_OPERATOR = re.compile(
    r"^(ForAnyValue:|ForAllValues:)?("
    r"String(Not)?Equals(IgnoreCase)?|String(Not)?Like|"
    r"Numeric(Not)?Equals|Numeric(LessThan|GreaterThan)(Equals)?|"
    r"Date(Not)?Equals|Date(LessThan|GreaterThan)(Equals)?|"
    r"Bool|BinaryEquals|(Not)?IpAddress|Arn(Not)?(Equals|Like)"
    r")(IfExists)?$|^Null$"
)
K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
AWS_MANAGED_POLICY = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::aws:policy/")

#: Short names of the EKS access policies, and the policy each stands for.
ACCESS_POLICIES: dict[str, str] = {
    "cluster_admin": "AmazonEKSClusterAdminPolicy",
    "admin": "AmazonEKSAdminPolicy",
    "edit": "AmazonEKSEditPolicy",
    "view": "AmazonEKSViewPolicy",
}
#: Access policies EKS only associates cluster-wide.
CLUSTER_SCOPE_ONLY: frozenset[str] = frozenset({"cluster_admin"})


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
        who = f"({self.label})"
        for field in ("namespace", "service_account"):
            value = getattr(self, field)
            if not K8S_NAME.match(value):
                raise ValueError(
                    f"{who} {field} {value!r} is not a Kubernetes name: 1-63 lower-case "
                    "letters, digits or '-', starting and ending with a letter or digit"
                )
        if not self.managed_policy_arns and not self.policy_statements:
            raise ValueError(
                f"{who} gives the role no permissions; add managed_policy_arns or policy_statements"
            )
        for arn in self.managed_policy_arns:
            if not MANAGED_POLICY_ARN.match(arn):
                raise ValueError(
                    f"{who} managed_policy_arns: {arn!r} is not a managed policy ARN; "
                    "expected arn:aws:iam::aws:policy/<name> or "
                    "arn:aws:iam::<12-digit account>:policy/<name>"
                )
        for index, statement in enumerate(self.policy_statements):
            where = f"{who} policy_statements[{index}]"
            for action in statement.actions:
                if action == "*":
                    raise ValueError(
                        f"{where}.actions: '*' grants every AWS action; list the actions "
                        "the workload calls, e.g. s3:GetObject"
                    )
                if not ACTION.match(action):
                    raise ValueError(
                        f"{where}.actions: {action!r} is not of the form service:Action, "
                        "e.g. s3:GetObject"
                    )
            for resource in statement.resources:
                if not RESOURCE_ARN.match(resource):
                    raise ValueError(
                        f"{where}.resources: {resource!r} is not an ARN "
                        "(arn:aws:<service>:<region>:<account>:<resource>) or '*'"
                    )
            for operator in statement.conditions:
                if not CONDITION_OPERATOR.match(operator):
                    raise ValueError(
                        f"{where}.conditions: {operator!r} is not an IAM condition operator "
                        "such as StringEquals or ArnLike"
                    )
        broad = self.needs_exception()
        if broad and not (self.exception_reason and len(self.exception_reason.strip()) >= 20):
            raise ValueError(
                f"{who} uses {', '.join(broad)}; narrow it, or explain why in "
                "exception_reason (at least 20 characters: it is the reason a reviewer reads)"
            )
        if self.exception_reason is not None and not broad:
            raise ValueError(f"{who} has exception_reason but nothing that needs one; remove it")
        return self


class AccessConfig(StrictModel):
    """An EKS access entry: an IAM principal, its access policy and scope, its groups."""

    principal: PrincipalArn
    """IAM role or user ARN."""
    policy: Literal["cluster_admin", "admin", "edit", "view"] | None = None
    """EKS access policy: cluster_admin (AmazonEKSClusterAdminPolicy), admin, edit, view.
    Default: none (then `kubernetes_groups` gives the access, through your RBAC)."""
    namespaces: list[str] = Field(default_factory=list)
    """Limit the policy to these namespaces. Default: empty, i.e. cluster-wide.
    Not allowed with cluster_admin, which EKS only associates cluster-wide."""
    kubernetes_groups: list[str] = Field(default_factory=list)
    """Kubernetes groups the principal is in, for your own RoleBindings. Default: none.
    Names starting with `system:` are refused (EKS reserves them)."""

    @model_validator(mode="after")
    def _rules(self) -> AccessConfig:
        who = f"({self.principal})"
        if self.policy is None and not self.kubernetes_groups:
            raise ValueError(
                f"{who} gives no access; set policy (cluster_admin, admin, edit, view) "
                "or kubernetes_groups"
            )
        if self.namespaces and self.policy is None:
            raise ValueError(f"{who} namespaces scope a policy; set policy or remove namespaces")
        if self.namespaces and self.policy in CLUSTER_SCOPE_ONLY:
            raise ValueError(
                f"{who} policy cluster_admin (AmazonEKSClusterAdminPolicy) is cluster-scope "
                "only; remove namespaces or use policy admin"
            )
        for namespace in self.namespaces:
            if not K8S_NAME.match(namespace):
                raise ValueError(f"{who} namespaces: {namespace!r} is not a Kubernetes name")
        for field in ("namespaces", "kubernetes_groups"):
            dupes = duplicates(list(getattr(self, field)))
            if dupes:
                raise ValueError(f"{who} {field} lists {', '.join(dupes)} more than once")
        reserved = [g for g in self.kubernetes_groups if g.startswith("system:")]
        if reserved:
            raise ValueError(
                f"{who} kubernetes_groups {reserved} start with 'system:', which EKS "
                "reserves; use access policies for system-level access"
            )
        return self


def check_workload_identities(entries: list[WorkloadIdentityConfig]) -> None:
    """Refuse two roles for one service account: the pod could only assume one of them."""
    labels = [e.label for e in entries]
    for label in duplicates(labels):
        indexes = [str(i) for i, value in enumerate(labels) if value == label]
        raise ValueError(
            f"workload_identities[{', '.join(indexes)}] ({label}): the same service "
            "account is listed more than once; merge the entries"
        )


def check_access(entries: list[AccessConfig], admins: list[str], viewers: list[str]) -> None:
    """Refuse a principal listed twice: EKS allows one access entry per principal."""
    principals = [e.principal for e in entries]
    for arn in duplicates(principals):
        raise ValueError(f"access lists {arn} more than once; merge the entries")
    for index, arn in enumerate(principals):
        for field, listed in (("cluster.admins", admins), ("cluster.viewers", viewers)):
            if arn in listed:
                raise ValueError(
                    f"access[{index}] ({arn}) is also in {field}; an access entry is one "
                    f"principal, so list it in one place"
                )
