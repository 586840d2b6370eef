"""Translate `capabilities:` into the props of the capability constructs: ArgoCdCapability,
AckCapability and KroCapability, on the environment's cluster, tagged like the rest of the
environment (the stage's tags reach the capabilities too)."""

from __future__ import annotations

from aws_cdk import aws_eks_v2 as eks

from eks_blueprint import (
    AckCapabilityProps,
    AckPermission,
    ArgoCdCapabilityProps,
    ArgoCdIdentities,
    KroCapabilityProps,
)
from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.config.capabilities import ArgoCdIdentitiesConfig, argocd_is_private


def _identities(config: ArgoCdIdentitiesConfig) -> ArgoCdIdentities:
    return ArgoCdIdentities(groups=tuple(config.groups), users=tuple(config.users))


def argocd_props(config: EnvironmentConfig, cluster: eks.ICluster) -> ArgoCdCapabilityProps | None:
    """Argo CD on `cluster`, private as `argocd_is_private` says (the config's rule: as
    written, else as the cluster endpoint); None without `capabilities.argocd`."""
    argocd = config.capabilities.argocd
    if argocd is None:
        return None
    return ArgoCdCapabilityProps(
        cluster=cluster,
        identity_center_instance_arn=argocd.identity_center_instance_arn,
        identity_center_region=argocd.identity_center_region or config.region,
        admins=_identities(argocd.admins),
        editors=_identities(argocd.editors),
        viewers=_identities(argocd.viewers),
        namespace=argocd.namespace,
        network_access="private" if argocd_is_private(config) else "public",
        vpc_endpoint_ids=tuple(argocd.vpc_endpoint_ids),
        endpoint_client_cidrs=tuple(argocd.endpoint_client_cidrs),
        ecr_pull=argocd.ecr_pull,
        code_connection_arns=tuple(argocd.code_connection_arns),
        cluster_access=argocd.cluster_access,
    )


def ack_props(config: EnvironmentConfig, cluster: eks.ICluster) -> AckCapabilityProps | None:
    """ACK on `cluster` with exactly the permissions listed (or AdministratorAccess with its
    reason); None without `capabilities.ack`."""
    ack = config.capabilities.ack
    if ack is None:
        return None
    return AckCapabilityProps(
        cluster=cluster,
        permissions=tuple(
            AckPermission(
                actions=tuple(p.actions), resources=tuple(p.resources), reason=p.reason
            )
            for p in ack.permissions
        ),
        administrator_access_reason=(
            ack.administrator_access.reason if ack.administrator_access is not None else None
        ),
        disabled_services=tuple(ack.disabled_services),
        enable_cross_namespace=ack.enable_cross_namespace,
    )


def kro_props(config: EnvironmentConfig, cluster: eks.ICluster) -> KroCapabilityProps | None:
    """kro on `cluster`; None without `capabilities.kro`."""
    kro = config.capabilities.kro
    if kro is None:
        return None
    return KroCapabilityProps(cluster=cluster, cluster_access=kro.cluster_access)
