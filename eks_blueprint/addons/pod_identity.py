"""EKS Pod Identity: the agent add-on (one per cluster) and roles pods can assume.

Pod Identity needs no OIDC provider and no per-cluster trust policy: the role trusts the
service principal pods.eks.amazonaws.com, and an association (on the add-on itself, or an
AWS::EKS::PodIdentityAssociation) binds it to one service account of one cluster.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..scoping import once
from .catalog import addon
from .versions import resolve_addon_version

POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
#: The agent's construct id, next to the cluster (part of its logical id).
AGENT_ID = addon("pod_identity_agent").construct_id


def pod_identity_role(
    scope: Construct,
    id: str,
    *,
    description: str,
    managed_policies: Sequence[str] = (),
) -> iam.Role:
    """A role for one add-on's service account through Pod Identity.

    The agent calls sts:AssumeRole and sts:TagSession (it tags the session with the
    cluster, namespace and service account), so the trust policy allows both.
    """
    return iam.Role(
        scope,
        id,
        description=description,
        assumed_by=iam.SessionTagsPrincipal(iam.ServicePrincipal(POD_IDENTITY_PRINCIPAL)),
        managed_policies=[
            iam.ManagedPolicy.from_aws_managed_policy_name(n) for n in managed_policies
        ],
    )


def pinned_pod_identity_principal(
    cluster_name: str, namespace: str, service_account: str
) -> iam.IPrincipal:
    """The trust of a Pod Identity role for one service account: sts:AssumeRole and
    sts:TagSession by pods.eks.amazonaws.com, only with the session tags naming
    `cluster_name`, `namespace` and `service_account`."""
    # The session tags EKS Pod Identity sets pin the role to this cluster, namespace and
    # service account, even if someone associates it elsewhere in the account.
    return iam.SessionTagsPrincipal(
        iam.ServicePrincipal(POD_IDENTITY_PRINCIPAL).with_conditions(
            {
                "StringEquals": {
                    "aws:RequestTag/eks-cluster-name": cluster_name,
                    "aws:RequestTag/kubernetes-namespace": namespace,
                    "aws:RequestTag/kubernetes-service-account": service_account,
                }
            }
        )
    )


def ensure_pod_identity_agent(
    cluster: eks.ICluster, kubernetes_version: str, version: str | None = None
) -> eks.CfnAddon:
    """The eks-pod-identity-agent add-on of `cluster`, created on first call.

    It lives next to the cluster (construct id "PodIdentityAgent" in the cluster's scope),
    so every construct that needs Pod Identity shares one add-on: EKS allows one add-on
    of a name per cluster. `version` defaults to the pin in versions.py.
    """
    scope = cluster.node.scope
    assert isinstance(scope, Construct), "a cluster always has a parent construct"
    return once(
        scope,
        AGENT_ID,
        lambda scope, id: eks.CfnAddon(
            scope,
            id,
            cluster_name=cluster.cluster_name,
            addon_name="eks-pod-identity-agent",
            addon_version=resolve_addon_version(
                kubernetes_version, "eks-pod-identity-agent", version
            ),
            # The project owns this add-on's configuration entirely (it has none to keep).
            resolve_conflicts="OVERWRITE",
            # Roles of running pods keep working if the add-on leaves the stack by mistake.
            preserve_on_delete=True,
        ),
    )
