"""Cluster access from config: native EKS access entries, no aws-auth ConfigMap.

`ControlPlane.grant_access` covers the `cluster.admins` / `cluster.viewers` shorthand (one
cluster-wide policy each). `ClusterAccess` adds the general form: an access policy scoped to
the cluster or to namespaces, and Kubernetes groups for your own RBAC bindings. aws_eks_v2's
AccessEntry has no `kubernetesGroups`, so this uses the L1 AWS::EKS::AccessEntry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Aws
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from .control_plane import principal_id

#: EKS access policies that EKS only associates with cluster scope.
CLUSTER_SCOPE_ONLY_POLICIES: frozenset[str] = frozenset({"AmazonEKSClusterAdminPolicy"})
KNOWN_POLICIES: frozenset[str] = frozenset(
    {
        "AmazonEKSClusterAdminPolicy",
        "AmazonEKSAdminPolicy",
        "AmazonEKSEditPolicy",
        "AmazonEKSViewPolicy",
    }
)


@dataclass(frozen=True, kw_only=True)
class AccessGrant:
    """One IAM principal's access to the cluster."""

    principal_arn: str
    """IAM role or user ARN."""
    policy_name: str | None = None
    """EKS access policy, e.g. AmazonEKSEditPolicy. Default: none (groups only)."""
    namespaces: Sequence[str] = ()
    """Namespaces the policy is limited to. Default: empty = cluster scope."""
    kubernetes_groups: Sequence[str] = ()
    """Kubernetes groups of the principal, for RoleBindings. Default: none."""


@dataclass(frozen=True, kw_only=True)
class ClusterAccessProps:
    """Settings of ClusterAccess."""

    cluster: eks.ICluster
    """The cluster (authentication mode API or API_AND_CONFIG_MAP)."""
    grants: Sequence[AccessGrant] = ()
    """The access entries. Default: none."""


class ClusterAccess(Construct):
    """One AWS::EKS::AccessEntry per grant; ids come from the principal ARN, so adding or
    removing a principal never replaces another's entry."""

    def __init__(self, scope: Construct, id: str, *, props: ClusterAccessProps) -> None:
        super().__init__(scope, id)
        self.entries: dict[str, eks.CfnAccessEntry] = {}
        for index, grant in enumerate(props.grants):
            where = f"grants[{index}] ({grant.principal_arn})"
            if grant.policy_name is None and not grant.kubernetes_groups:
                raise ValueError(f"{where}: set policy_name or kubernetes_groups")
            if grant.policy_name is not None and grant.policy_name not in KNOWN_POLICIES:
                raise ValueError(
                    f"{where}: policy_name {grant.policy_name!r} is not one of "
                    + ", ".join(sorted(KNOWN_POLICIES))
                )
            if grant.namespaces and grant.policy_name in CLUSTER_SCOPE_ONLY_POLICIES:
                raise ValueError(f"{where}: namespaces: {grant.policy_name} is cluster-scope only")
            if grant.principal_arn in self.entries:
                raise ValueError(f"{where}: principal_arn is granted twice")
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
                principal_id(grant.principal_arn),
                cluster_name=props.cluster.cluster_name,
                principal_arn=grant.principal_arn,
                type="STANDARD",
                access_policies=policies or None,
                kubernetes_groups=list(grant.kubernetes_groups) or None,
            )
