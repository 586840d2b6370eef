"""Workload identity: IAM roles for Kubernetes service accounts, by IRSA or EKS Pod Identity.

Pods get AWS credentials from a role bound to exactly one service account, never from the
node's instance profile.

IRSA and the OIDC provider: aws_eks_v2's `cluster.open_id_connect_provider` is the
deprecated `OpenIdConnectProvider`, a Lambda-backed custom resource. `oidc_provider_for`
creates `OidcProviderNative` instead: a plain `AWS::IAM::OIDCProvider`, no Lambda.

IRSA trust conditions: the condition KEYS (`<issuer>:sub`, `<issuer>:aud`) contain the
issuer, which exists only after the cluster does. CDK refuses token keys in a JSON map and
suggests `CfnJson`, which is a Lambda-backed custom resource. AWS::IAM::Role accepts the
trust policy as a JSON *string* too (its schema type is object or string), so this module
renders the trust policy as an `Fn::Join` string with the issuer spliced into the keys:
the same document, no Lambda.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Fn, Token
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from .addons.pod_identity import (
    POD_IDENTITY_PRINCIPAL as POD_IDENTITY_PRINCIPAL,
)
from .addons.pod_identity import (
    ensure_pod_identity_agent,
    pinned_pod_identity_principal,
)
from .compliance import acknowledge
from .ids import pascal_id
from .kubernetes import Layer, apply_manifest, can_deliver, delivery_of
from .scoping import attach_to_cluster, once
from .validate_names import (
    PropError,
    check_action,
    check_addon_version,
    check_kubernetes_name,
    check_kubernetes_subdomain,
    check_policy_name,
    check_prop,
    check_reason,
    check_resource_arn,
)

#: Construct id of the native OIDC provider on a cluster (one per cluster).
OIDC_PROVIDER_ID = "OidcProviderNative"
#: The audience IRSA tokens carry (the EKS Pod Identity Webhook default).
STS_AUDIENCE = "sts.amazonaws.com"


def oidc_provider_for(cluster: eks.ICluster) -> iam.IOpenIdConnectProvider:
    """The cluster's IAM OIDC provider as a native AWS::IAM::OIDCProvider, created once
    per cluster however many constructs ask for it."""

    def create(scope: Construct, id: str) -> iam.IOpenIdConnectProvider:
        url = getattr(cluster, "cluster_open_id_connect_issuer_url", None)
        if not isinstance(url, str):
            raise ValueError(
                "this cluster exposes no OIDC issuer URL (an imported cluster?): pass its "
                "oidc_provider explicitly"
            )
        return eks.OidcProviderNative(scope, id, url=url)

    return once(*attach_to_cluster(cluster, OIDC_PROVIDER_ID), create)


def trust_only_service_account(
    role: iam.Role,
    provider: iam.IOpenIdConnectProvider,
    *,
    namespace: str,
    service_account: str,
) -> None:
    """Replace `role`'s trust with IRSA for exactly one service account (see
    irsa_trust_policy): StringEquals on `<issuer>:sub` and `<issuer>:aud`, nothing else."""
    cfn_role = role.node.default_child
    assert isinstance(cfn_role, iam.CfnRole)
    cfn_role.add_property_override(
        "AssumeRolePolicyDocument",
        irsa_trust_policy(
            provider_arn=provider.open_id_connect_provider_arn,
            issuer=provider.open_id_connect_provider_issuer,
            namespace=namespace,
            service_account=service_account,
        ),
    )


@dataclass(frozen=True, kw_only=True)
class WorkloadRoleProps:
    """What every workload role has: its service account and its permissions."""

    cluster: eks.ICluster
    """The cluster the service account lives in."""
    namespace: str
    """Namespace of the service account."""
    service_account: str
    """Name of the service account."""
    managed_policies: Sequence[iam.IManagedPolicy] = ()
    """Managed policies to attach. Default: none."""
    statements: Sequence[iam.PolicyStatement] = ()
    """Statements of the role's own customer-managed policy. Default: none."""
    exception_reason: str | None = None
    """Why a wildcard action or resource, or an AWS-managed policy, is needed: the reason of
    the cdk-nag acknowledgements (IAM4/IAM5) on this role. Required exactly when one of
    those is present. Default: none."""
    aws_managed_policy_names: Sequence[str] = ()
    """Names of the AWS-managed policies in `managed_policies` (for the IAM4
    acknowledgement, which names the policy). Default: none."""


@dataclass(frozen=True, kw_only=True)
class ServiceAccountRoleProps(WorkloadRoleProps):
    """Settings of an IRSA role."""

    oidc_provider: iam.IOpenIdConnectProvider | None = None
    """The cluster's OIDC provider. Default: `oidc_provider_for(cluster)` (native); required
    for an imported cluster."""
    create_service_account: bool = False
    """Apply the ServiceAccount manifest to the cluster (an item of its platform layer). Needs a
    cluster that takes Kubernetes objects: a ControlPlane's Kubernetes layers (the default) or an
    eks.Cluster with aws_eks_v2's kubectl provider. Default: false; `service_account_manifest` holds
    the manifest for other tooling (GitOps, Helm values)."""


@dataclass(frozen=True, kw_only=True)
class PodIdentityRoleProps(WorkloadRoleProps):
    """Settings of an EKS Pod Identity role."""

    kubernetes_version: str | None = None
    """The cluster's Kubernetes version ("1.34"): picks the pinned agent version from
    eks_blueprint/addons/versions.py if this role is the first to need the agent. Default:
    the version of the cluster's AWS::EKS::Cluster; required for an imported cluster."""
    agent_version: str | None = None
    """eks-pod-identity-agent version, if this role creates the add-on; must be listed in
    the add-on version table. Default: the table's pin for `kubernetes_version`."""


def _broad_parts(statements: Sequence[iam.PolicyStatement]) -> list[str]:
    """cdk-nag IAM5 granular ids of the wildcard actions and resources in `statements`."""
    found: list[str] = []
    for statement in statements:
        if statement.effect != iam.Effect.ALLOW:
            continue
        found += [f"Action::{a}" for a in statement.actions if "*" in a]
        found += [f"Resource::{r}" for r in statement.resources if "*" in r]
    return list(dict.fromkeys(found))


def _attach_permissions(scope: Construct, role: iam.Role, props: WorkloadRoleProps) -> None:
    """Attach managed policies and one customer-managed policy; acknowledge with the reason
    (`check_workload_role` has checked that there is one exactly when needed)."""
    broad = _broad_parts(props.statements)
    for policy in props.managed_policies:
        role.add_managed_policy(policy)
    if props.statements:
        # A customer-managed policy, not an inline one (NIST IAMNoInlinePolicy).
        policy = iam.ManagedPolicy(
            scope,
            "Policy",
            statements=list(props.statements),
            roles=[role],
            description=f"Permissions of {props.namespace}/{props.service_account}",
        )
        for part in broad:
            acknowledge(
                policy,
                f"AwsSolutions::AwsSolutions-IAM5[{part}]",
                str(props.exception_reason),
            )
        if any(p.startswith("Action::") and p.endswith(":*") for p in broad):
            acknowledge(
                policy,
                "NIST.800.53.R5::NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess",
                str(props.exception_reason),
            )
    for name in props.aws_managed_policy_names:
        acknowledge(
            role,
            f"AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{name}]",
            str(props.exception_reason),
        )


def check_workload_role(path: str, props: WorkloadRoleProps) -> None:
    """Refuse what the `workload_identities:` config refuses, naming the construct at `path`:
    a bad service account, a role without permissions, a bare `*` action, a resource that is
    not an ARN, and a wildcard or AWS-managed policy without a reason (or a reason without
    one). Deploy-time values (tokens) are left to CloudFormation."""
    kind = type(props).__name__
    # A namespace is a DNS-1123 label, a service account's name a subdomain (dots allowed).
    for field, check in (
        ("namespace", check_kubernetes_name),
        ("service_account", check_kubernetes_subdomain),
    ):
        value = getattr(props, field)
        if not Token.is_unresolved(value):
            check_prop(path, f"{kind}.{field}", value, check)
    if not props.managed_policies and not props.statements:
        raise PropError(
            path,
            f"{kind}.statements",
            (),
            "managed_policies or statements: the role would have no permissions; give it "
            "statements or managed_policies",
        )
    for index, statement in enumerate(props.statements):
        for action in statement.actions:
            if not Token.is_unresolved(action):
                check_prop(path, f"{kind}.statements[{index}].actions", action, check_action)
        for resource in statement.resources:
            if not Token.is_unresolved(resource):
                check_prop(
                    path, f"{kind}.statements[{index}].resources", resource, check_resource_arn
                )
    for index, name in enumerate(props.aws_managed_policy_names):
        check_prop(path, f"{kind}.aws_managed_policy_names[{index}]", name, check_policy_name)
    broad = [*_broad_parts(props.statements), *props.aws_managed_policy_names]
    if broad and props.exception_reason is None:
        raise PropError(
            path,
            f"{kind}.exception_reason",
            None,
            "exception_reason is required: the role uses " + ", ".join(broad) + "; narrow "
            "it, or say why (at least 20 characters: the reason a reviewer reads)",
        )
    if props.exception_reason is not None:
        if not broad:
            raise PropError(
                path,
                f"{kind}.exception_reason",
                props.exception_reason,
                "nothing needs a reason (no wildcard, no AWS-managed policy); remove it",
            )
        check_prop(path, f"{kind}.exception_reason", props.exception_reason, check_reason)


class ServiceAccountRole(Construct):
    """An IRSA role that exactly one service account can assume.

    Trust: `sts:AssumeRoleWithWebIdentity` from the cluster's OIDC provider, with
    `StringEquals` on `<issuer>:sub = system:serviceaccount:<ns>:<name>` AND
    `<issuer>:aud = sts.amazonaws.com`; no StringLike, no wildcard.
    """

    def __init__(self, scope: Construct, id: str, *, props: ServiceAccountRoleProps) -> None:
        super().__init__(scope, id)
        check_workload_role(self.node.path, props)
        if props.oidc_provider is None and not isinstance(props.cluster, Construct):
            raise PropError(
                self.node.path,
                "ServiceAccountRoleProps.oidc_provider",
                None,
                "required when cluster is an imported cluster (no OIDC issuer to read); pass "
                "iam.OpenIdConnectProvider.from_open_id_connect_provider_arn(...)",
            )
        if props.create_service_account and not can_deliver(props.cluster):
            raise PropError(
                self.node.path,
                "ServiceAccountRoleProps.create_service_account",
                True,
                "create_service_account needs a cluster with a kubectl provider "
                "(ControlPlaneProps(kubectl_provider=True), the default); or leave it false "
                "and apply service_account_manifest with your own tooling",
            )
        if props.oidc_provider is not None:
            provider = props.oidc_provider
        else:
            provider = oidc_provider_for(props.cluster)
        self.role = iam.Role(
            self,
            "Role",
            # Replaced below by the string trust policy with conditions; this principal
            # alone would let any service account in the cluster in.
            assumed_by=iam.OpenIdConnectPrincipal(provider),
            description=f"IRSA role of {props.namespace}/{props.service_account}",
        )
        trust_only_service_account(
            self.role, provider, namespace=props.namespace, service_account=props.service_account
        )
        _attach_permissions(self, self.role, props)
        self.service_account_manifest: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {
                "name": props.service_account,
                "namespace": props.namespace,
                "annotations": {"eks.amazonaws.com/role-arn": self.role.role_arn},
            },
        }
        """The ServiceAccount, annotated with the role ARN (a token until deploy time)."""
        if props.create_service_account:
            if delivery_of(props.cluster) is not None:
                # The platform layer: after the namespaces of the foundation layer (tenants).
                apply_manifest(
                    self,
                    "ServiceAccount",
                    props.cluster,
                    [self.service_account_manifest],
                    layer=Layer.PLATFORM,
                )
            else:
                props.cluster.add_manifest("ServiceAccount", self.service_account_manifest)


def irsa_trust_policy(
    *, provider_arn: str, issuer: str, namespace: str, service_account: str
) -> str:
    """The IRSA trust policy as a JSON string; `provider_arn` and `issuer` may be tokens.

    The document is written with placeholders, serialised, and the placeholders replaced
    by the tokens inside an Fn::Join, so condition keys can hold the deploy-time issuer.
    """
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": "@@PROVIDER@@"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "@@ISSUER@@:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        "@@ISSUER@@:aud": STS_AUDIENCE,
                    }
                },
            }
        ],
    }
    text = json.dumps(document, separators=(",", ":"))
    parts: list[str] = []
    for chunk in text.split("@@PROVIDER@@"):
        pieces = chunk.split("@@ISSUER@@")
        for index, piece in enumerate(pieces):
            if index:
                parts.append(issuer)
            parts.append(piece)
        parts.append(provider_arn)
    parts.pop()  # no provider after the last chunk
    return Fn.join("", [p for p in parts if p])


class PodIdentityRole(Construct):
    """An EKS Pod Identity role with its association to one service account.

    Trust: `pods.eks.amazonaws.com` with `sts:AssumeRole` and `sts:TagSession` (EKS Pod
    Identity tags sessions with the cluster, namespace and service account), with
    StringEquals on those three session tags. Creates the eks-pod-identity-agent add-on
    if the cluster lacks it.
    """

    def __init__(self, scope: Construct, id: str, *, props: PodIdentityRoleProps) -> None:
        super().__init__(scope, id)
        check_workload_role(self.node.path, props)
        kubernetes_version = _kubernetes_version(self.node.path, props)
        if props.agent_version is not None:
            check_prop(
                self.node.path,
                "PodIdentityRoleProps.agent_version",
                props.agent_version,
                check_addon_version,
            )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=pinned_pod_identity_principal(
                props.cluster.cluster_name, props.namespace, props.service_account
            ),
            description=f"EKS Pod Identity role of {props.namespace}/{props.service_account}",
        )
        _attach_permissions(self, self.role, props)
        # Shared with the Addons construct: one add-on per cluster, whoever asks first.
        self.agent = ensure_pod_identity_agent(
            props.cluster, kubernetes_version, props.agent_version
        )
        self.association = eks.CfnPodIdentityAssociation(
            self,
            "Association",
            cluster_name=props.cluster.cluster_name,
            namespace=props.namespace,
            service_account=props.service_account,
            role_arn=self.role.role_arn,
        )
        self.association.node.add_dependency(self.agent)


def _kubernetes_version(path: str, props: PodIdentityRoleProps) -> str:
    """`props.kubernetes_version`, or the version of a cluster built in this app."""
    if props.kubernetes_version is not None:
        version = props.kubernetes_version
    else:
        resource = props.cluster.node.default_child
        found = resource.version if isinstance(resource, eks.CfnCluster) else None
        if not isinstance(found, str) or Token.is_unresolved(found):
            raise PropError(
                path,
                "PodIdentityRoleProps.kubernetes_version",
                None,
                "required for an imported cluster (its version is unknown at synth); pass "
                'the cluster\'s version, e.g. "1.34"',
            )
        version = found
    if not re.fullmatch(r"1\.\d+", version):
        raise PropError(
            path,
            "PodIdentityRoleProps.kubernetes_version",
            version,
            'not a Kubernetes minor version; write it like "1.34"',
        )
    return version


def workload_id(namespace: str, service_account: str) -> str:
    """A stable construct id from the service account: `payments`/`api` -> `PaymentsApi`
    (namespaces and service accounts are lower-case, so `pascal_id` keeps every id the
    earlier helper made)."""
    return pascal_id(f"{namespace}-{service_account}")
