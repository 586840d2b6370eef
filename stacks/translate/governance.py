"""Translate `governance:` (with `tenants:` and `security.registries`) into the
`Governance` construct's props: the policy set (`eks_blueprint.governance.environment.
policy_set`, which the offline tests and `eks-blueprint-policy` call too, so they evaluate
exactly what the stack deploys), the image verification and the placement on system
capacity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from aws_cdk import aws_eks_v2 as eks

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.governance.environment import policy_set
from eks_blueprint.governance.spec import ImageVerification

if TYPE_CHECKING:
    from eks_blueprint import GovernanceProps


def governance_props(
    config: EnvironmentConfig, cluster: eks.ICluster, signing_profile_arn: str | None
) -> GovernanceProps | None:
    """Kyverno and the policies, or None when `governance.enabled` is false."""
    from eks_blueprint import GovernanceProps

    governance = config.governance
    if not governance.enabled:
        return None
    node_selector, tolerations = system_placement(config)
    verification = image_verification(config, signing_profile_arn) if signing_profile_arn else None
    return GovernanceProps(
        cluster=cluster,
        policies=policy_set(config),
        replicas=governance.resolved_replicas(config.is_production),
        node_selector=node_selector,
        tolerations=tolerations,
        image_verification=verification,
        kubernetes_version=config.cluster.version,
    )


def image_verification(
    config: EnvironmentConfig, signing_profile_arn: str
) -> ImageVerification | None:
    """Signature verification of the environment's ECR repositories against its signing
    profile, or None when `image_verification` resolves to off."""
    governance = config.governance
    repositories = config.security.registries
    mode = governance.resolved_image_verification(config.is_production, bool(repositories))
    if not governance.enabled or mode == "off":
        return None
    return ImageVerification(
        action=mode,
        repositories=tuple(config.registry_uri(r.name) for r in repositories),
        repository_arns=tuple(
            f"arn:aws:ecr:{config.region}:{config.account}:repository/{r.name}"
            for r in repositories
        ),
        signing_profile_arn=signing_profile_arn,
        region=config.region,
    )


def system_placement(
    config: EnvironmentConfig,
) -> tuple[Mapping[str, str], Sequence[Mapping[str, str]]]:
    """Where the Kyverno controllers run: the node group that hosts the Karpenter controller,
    else the first node group tainted CriticalAddonsOnly (its labels as the node selector,
    its taints tolerated), else anywhere (Karpenter or Fargate-only clusters place them on
    general capacity)."""
    groups = config.compute.node_groups
    karpenter = config.compute.karpenter
    chosen = None
    if karpenter is not None and karpenter.controller_node_group is not None:
        chosen = next((g for g in groups if g.name == karpenter.controller_node_group), None)
    if chosen is None:
        chosen = next(
            (g for g in groups if any(t.key == "CriticalAddonsOnly" for t in g.taints)), None
        )
    if chosen is None:
        return {}, ()
    tolerations = [
        {"key": t.key, "operator": "Equal", "value": t.value, "effect": t.effect}
        if t.value
        else {"key": t.key, "operator": "Exists", "effect": t.effect}
        for t in chosen.taints
    ]
    return dict(chosen.labels), tolerations
