"""The policy set of an environment file (cdk-free).

One function from `EnvironmentConfig` to `PolicySet`, shared by the stack translation
(stacks/translate/governance.py), the offline policy check
(`python -m eks_blueprint.governance check`) and the tests, so all three evaluate exactly
what the cluster enforces.
"""

from __future__ import annotations

from ..config import EnvironmentConfig
from ..config.tenancy import priority_class_name
from .spec import SYSTEM_NAMESPACES, PolicySet, TenantRules


def policy_set(config: EnvironmentConfig) -> PolicySet:
    """The cluster's policies: actions from `governance:` (or the environment's defaults),
    the allowed registries, and one `TenantRules` per tenant."""
    governance = config.governance
    production = config.is_production
    karpenter = config.compute.karpenter
    excluded = [*SYSTEM_NAMESPACES]
    if karpenter is not None and karpenter.namespace not in excluded:
        excluded.append(karpenter.namespace)  # a namespace of its own, not the default
    return PolicySet(
        action=governance.resolved_action(production),
        latest_tag=governance.resolved_latest_tag(production),
        allowed_registries=config.allowed_registries(),
        excluded_namespaces=tuple(excluded),
        tenants=tuple(tenant_rules(config)),
        failure_policy=governance.resolved_failure_policy(production),
        timeout_seconds=governance.webhook_timeout_seconds,
    )


def tenant_rules(config: EnvironmentConfig) -> list[TenantRules]:
    """What the policies do per tenant: its Pod Security level, its tier's PriorityClass and
    whether its pods go to dedicated capacity."""
    values = {tier.name: tier.value for tier in config.tenant_tiers}
    return [
        TenantRules(
            name=tenant.name,
            pod_security=tenant.pod_security,
            priority_class=priority_class_name(tenant.tier),
            allowed_priority_classes=tuple(
                priority_class_name(name)
                for name, value in sorted(values.items())
                if value < values[tenant.tier]
            ),
            dedicated=tenant.isolation == "dedicated",
        )
        for tenant in config.tenants
    ]


def verifies_images(config: EnvironmentConfig) -> bool:
    """Whether the environment verifies image signatures (it then needs a signing profile)."""
    governance = config.governance
    registries = bool(config.security.registries)
    return governance.enabled and (
        governance.resolved_image_verification(config.is_production, registries) != "off"
    )
