"""Tenant config completed: tiers, isolation (dedicated capacity, Fargate acknowledgement),
service accounts, telemetry and the tenant group roles of `access:`.

Rules inside a tenant are checked through the loader (each problem names the file and the
field); the cross-section rules (`check_tenant_tiers`, `check_tenant_capacity`,
`check_tenant_service_accounts`) are called directly, as the environment model calls them.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.config.base import FieldError
from eks_blueprint.config.compute import ComputeConfig
from eks_blueprint.config.identity import AccessConfig, WorkloadIdentityConfig
from eks_blueprint.config.tenancy import (
    FARGATE_ACKNOWLEDGEMENT,
    DedicatedCapacityConfig,
    TenantConfig,
    TenantTierConfig,
    check_tenant_capacity,
    check_tenant_service_accounts,
    check_tenant_tiers,
    default_tiers,
    tenant_identities,
)
from eks_blueprint.governance.spec import TENANT_LABEL
from tests.unit.test_config import DEV, mutate, problems

PAYMENTS: dict[str, Any] = {"name": "payments", "quota": {"cpu": "8", "memory": "16Gi"}}
FARGATE = {"isolation": "fargate", "fargate_acknowledgement": FARGATE_ACKNOWLEDGEMENT}


def tenant(**changes: Any) -> dict[str, Any]:
    return copy.deepcopy({**PAYMENTS, **changes})


def config(**changes: Any) -> EnvironmentConfig:
    """dev.yaml with its one tenant changed (every rule applies, across sections too)."""
    return EnvironmentConfig.model_validate(mutate(tenants=[tenant(**changes)]))


def alone(**changes: Any) -> list[TenantConfig]:
    """The one tenant changed, validated by its own model only: for the tests that call a
    cross-section check directly with the other section of their choice (the environment
    would refuse the tenant first, against dev.yaml's sections)."""
    return [TenantConfig.model_validate(tenant(**changes))]


def refusal(check: Any, *args: Any) -> str:
    with pytest.raises(FieldError) as caught:
        check(*args)
    return str(caught.value)


# --- defaults ---------------------------------------------------------------------------------


def test_a_tenant_defaults_to_silver_shared_no_accounts_logs_on() -> None:
    (payments,) = EnvironmentConfig.model_validate(DEV).tenants
    assert (payments.tier, payments.isolation, payments.dedicated) == ("silver", "shared", None)
    assert payments.fargate_acknowledgement is None and payments.service_accounts == []
    assert payments.dedicated_capacity is None
    telemetry = payments.telemetry
    assert (telemetry.logs, telemetry.log_retention_days, telemetry.traces) == (True, None, None)


def test_default_tiers_are_gold_silver_bronze_an_order_of_magnitude_apart() -> None:
    tiers = default_tiers()
    assert [(t.name, t.value) for t in tiers] == [
        ("gold", 100_000),
        ("silver", 10_000),
        ("bronze", 1_000),
    ]
    assert all(t.description for t in tiers)
    check_tenant_tiers(tiers, EnvironmentConfig.model_validate(DEV).tenants)


def test_the_node_key_is_the_governance_tenant_label() -> None:
    from eks_blueprint.config.tenancy import TENANT_NODE_KEY

    assert TENANT_NODE_KEY == TENANT_LABEL


# --- isolation --------------------------------------------------------------------------------


def test_a_fargate_tenant_with_the_acknowledgement_loads() -> None:
    (payments,) = config(**FARGATE).tenants
    assert payments.isolation == "fargate"
    assert payments.fargate_acknowledgement == "network-policies-not-enforced"


def test_dedicated_without_settings_is_a_default_node_pool() -> None:
    (payments,) = config(isolation="dedicated").tenants
    capacity = payments.dedicated_capacity
    assert capacity == DedicatedCapacityConfig()
    assert capacity is not None and capacity.node_group is None
    assert list(capacity.capacity_types) == ["on-demand"]
    assert sorted(capacity.architectures) == ["amd64", "arm64"]
    # quota 8 CPU / 16Gi plus the default 25 % headroom, rounded up
    assert payments.node_pool_limits() == (10, "20480Mi")


@pytest.mark.parametrize(
    ("quota", "headroom", "limits"),
    [
        ({"cpu": "8", "memory": "16Gi"}, 0, (8, "16384Mi")),
        ({"cpu": "500m", "memory": "512Mi"}, 25, (1, "640Mi")),
        ({"cpu": "3", "memory": "1G"}, 50, (5, "1431Mi")),
    ],
)
def test_node_pool_limits_are_the_quota_plus_headroom(
    quota: dict[str, str], headroom: int, limits: tuple[int, str]
) -> None:
    (payments,) = config(
        quota=quota,
        container_defaults={"cpu_request": "100m", "cpu_limit": "500m", "memory_request": "128Mi",
                            "memory_limit": "256Mi"},
        isolation="dedicated",
        dedicated={"headroom_percent": headroom},
    ).tenants  # fmt: skip
    assert payments.node_pool_limits() == limits


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (
            {"isolation": "fargate"},
            "tenants[0].fargate_acknowledgement: isolation fargate needs "
            "fargate_acknowledgement: network-policies-not-enforced, because on Fargate the "
            "VPC CNI network policy agent does not run",
        ),
        (
            {"fargate_acknowledgement": FARGATE_ACKNOWLEDGEMENT},
            "tenants[0].fargate_acknowledgement: only for isolation fargate",
        ),
        (
            {"isolation": "fargate", "fargate_acknowledgement": "yes"},
            "tenants[0].fargate_acknowledgement",
        ),
        ({"isolation": "private"}, "tenants[0].isolation"),
        (
            {"dedicated": {}},
            "tenants[0].dedicated: dedicated capacity is set but isolation is shared",
        ),
        (
            {"isolation": "dedicated", "dedicated": {"node_group": "system", "min_vcpus": 4}},
            "tenants[0].dedicated.min_vcpus: min_vcpus shapes a Karpenter NodePool, but "
            "node_group system is set",
        ),
        (
            {"isolation": "dedicated", "dedicated": {"capacity_types": ["spot", "spot"]}},
            "tenants[0].dedicated.capacity_types[1]: spot is listed more than once",
        ),
        (
            {"isolation": "dedicated", "dedicated": {"architectures": []}},
            "tenants[0].dedicated.architectures",
        ),
        (
            {"isolation": "dedicated", "dedicated": {"headroom_percent": 101}},
            "tenants[0].dedicated.headroom_percent",
        ),
        (
            {"isolation": "dedicated", "dedicated": {"min_vcpus": 0}},
            "tenants[0].dedicated.min_vcpus",
        ),
        (
            {"name": "p" * 57, **FARGATE},
            "names a Fargate profile tenant-ppp",
        ),
        (
            {"name": "p" * 57, "isolation": "dedicated"},
            "at most 56",
        ),
        ({"tier": ""}, "tenants[0].tier: "),
        ({"tier": "g" * 57}, "tenants[0].tier: "),
    ],
)
def test_bad_isolation_is_refused(tmp_path: Path, changes: dict[str, Any], fragment: str) -> None:
    found = problems(tmp_path, mutate(tenants=[tenant(**changes)]))
    assert any(fragment in p for p in found), found


def test_a_long_name_is_fine_on_shared_nodes_and_a_node_group() -> None:
    # Only a NodePool or Fargate profile `tenant-<name>` limits the name to 56 characters.
    long = "p" * 57
    group = dedicated_group(
        labels={TENANT_LABEL: long},
        taints=[{"key": TENANT_LABEL, "value": long, "effect": "NoSchedule"}],
    )
    for changes, extra in (
        ({}, {}),
        (
            {"isolation": "dedicated", "dedicated": {"node_group": "payments"}},
            {"compute__node_groups": [*DEV["compute"]["node_groups"], group]},
        ),
    ):
        env = EnvironmentConfig.model_validate(
            mutate(tenants=[tenant(name=long, **changes)], access=[], **extra)
        )
        assert env.tenants[0].name == long


# --- service accounts and telemetry -----------------------------------------------------------


def test_service_accounts_default_to_no_token() -> None:
    (payments,) = config(
        service_accounts=[{"name": "worker"}, {"name": "operator.v1", "automount_token": True}]
    ).tenants
    assert [(a.name, a.automount_token) for a in payments.service_accounts] == [
        ("worker", False),
        ("operator.v1", True),
    ]


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"service_accounts": [{"name": "Worker"}]}, "tenants[0].service_accounts[0].name"),
        (
            {"service_accounts": [{"name": "w"}, {"name": "w"}]},
            "tenants[0].service_accounts[1].name: w is listed more than once",
        ),
        ({"service_accounts": [{"name": "w", "token": True}]}, "unknown field"),
        (
            {"telemetry": {"log_retention_days": 10}},
            "tenants[0].telemetry.log_retention_days: CloudWatch Logs does not accept 10 days",
        ),
        (
            {"telemetry": {"logs": False, "log_retention_days": 30}},
            "log_retention_days is set but logs is false",
        ),
        (
            {"telemetry": {"traces": "java"}},
            "tenants[0].telemetry.traces: Application Signals injects an init container with "
            "no securityContext",
        ),
        (
            {"pod_security": "baseline", "telemetry": {"traces": "go"}},
            "tenants[0].telemetry.traces",
        ),
        (
            {**FARGATE, "pod_security": "baseline", "telemetry": {"traces": "python"}},
            "tenants[0].telemetry.traces: traces go to the CloudWatch agent DaemonSet, which "
            "does not run on Fargate",
        ),
        (
            {**FARGATE, "telemetry": {"logs": True}},
            "tenants[0].telemetry.logs: the add-on's Fluent Bit is a DaemonSet, which does not "
            "run on Fargate",
        ),
    ],
)
def test_bad_accounts_and_telemetry_are_refused(
    tmp_path: Path, changes: dict[str, Any], fragment: str
) -> None:
    found = problems(tmp_path, mutate(tenants=[tenant(**changes)]))
    assert any(fragment in p for p in found), found


def test_telemetry_retention_is_one_cloudwatch_accepts() -> None:
    # Traces need the CloudWatch add-on (Application Signals), which dev.yaml turns off.
    (payments,) = EnvironmentConfig.model_validate(
        mutate(
            tenants=[
                tenant(
                    pod_security="baseline",
                    telemetry={"log_retention_days": 30, "traces": "java"},
                )
            ],
            addons__cloudwatch_observability={"enabled": True},
        )
    ).tenants
    assert (payments.telemetry.log_retention_days, payments.telemetry.traces) == (30, "java")


def test_identity_service_accounts_are_not_listed_twice() -> None:
    identities = EnvironmentConfig.model_validate(DEV).workload_identities
    message = refusal(check_tenant_service_accounts, alone(service_accounts=[{"name": "api"}]),
                      identities)  # fmt: skip
    assert message.startswith("tenants[0].service_accounts[0].name: api is the service account")
    assert "workload_identities[0]" in message
    # The monitoring identity is in no tenant namespace: it does not count.
    check_tenant_service_accounts(
        config(service_accounts=[{"name": "metrics-exporter"}]).tenants, identities
    )


def test_tenant_identities_are_those_in_its_namespace() -> None:
    env = EnvironmentConfig.model_validate(DEV)
    found = tenant_identities(env.tenants[0], env.workload_identities)
    assert [(e.namespace, e.service_account, e.mechanism) for e in found] == [
        ("payments", "api", "pod_identity")
    ]
    assert all(isinstance(e, WorkloadIdentityConfig) for e in found)


# --- tiers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "fragment"),
    [
        ({"name": "Gold", "value": 5}, "not a Kubernetes name"),
        ({"name": "g" * 57, "value": 5}, "at most 56 characters"),
        ({"name": "gold", "value": 0}, "greater than or equal to 1"),
        ({"name": "gold", "value": 1_000_001}, "less than or equal to 1000000"),
        ({"name": "gold", "value": 5, "description": "a\nb"}, "printable"),
        ({"name": "gold"}, "value"),
    ],
)
def test_bad_tiers_are_refused(tier: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        TenantTierConfig.model_validate(tier)


def test_tier_rules_across_tiers_and_tenants() -> None:
    tenants = EnvironmentConfig.model_validate(DEV).tenants
    gold, silver, bronze = default_tiers()
    assert refusal(check_tenant_tiers, [gold, silver, gold], tenants).startswith(
        "tenant_tiers[2].name: gold is also the name of tenant_tiers[0]"
    )
    same_value = TenantTierConfig(name="platinum", value=gold.value)
    assert refusal(check_tenant_tiers, [gold, silver, same_value], tenants).startswith(
        "tenant_tiers[2].value: 100000 is also the value of tenant_tiers[0]"
    )
    assert refusal(check_tenant_tiers, [gold, bronze], tenants).startswith(
        "tenants[0].tier: 'silver' is not in tenant_tiers (gold, bronze)"
    )
    check_tenant_tiers([gold, silver], config(tier="gold").tenants)


# --- capacity against compute: ----------------------------------------------------------------


def compute(**changes: Any) -> ComputeConfig:
    data = copy.deepcopy(DEV["compute"])
    data.update(changes)
    return ComputeConfig.model_validate(data)


def dedicated_group(**changes: Any) -> dict[str, Any]:
    group = {
        "name": "payments",
        "instance_types": ["m7g.large"],
        "labels": {TENANT_LABEL: "payments"},
        "taints": [{"key": TENANT_LABEL, "value": "payments", "effect": "NoSchedule"}],
    }
    group.update(changes)
    return group


def with_groups(*groups: dict[str, Any]) -> ComputeConfig:
    return compute(node_groups=[*DEV["compute"]["node_groups"], *groups])


def test_a_tainted_and_labelled_node_group_is_dedicated_capacity() -> None:
    tenants = alone(isolation="dedicated", dedicated={"node_group": "payments"})
    check_tenant_capacity(tenants, with_groups(dedicated_group()))
    # And the environment accepts it with that group in compute:.
    env = EnvironmentConfig.model_validate(
        mutate(
            tenants=[tenant(isolation="dedicated", dedicated={"node_group": "payments"})],
            compute__node_groups=[*DEV["compute"]["node_groups"], dedicated_group()],
        )
    )
    (payments,) = env.tenants
    assert payments.dedicated_capacity is not None
    assert payments.dedicated_capacity.node_group == "payments"


def test_a_node_pool_tenant_fits_the_dev_karpenter() -> None:
    tenants = config(isolation="dedicated", dedicated={"min_vcpus": 10}).tenants
    check_tenant_capacity(tenants, compute())
    check_tenant_capacity(config(**FARGATE).tenants, compute())


@pytest.mark.parametrize(
    ("dedicated", "groups", "fragment"),
    [
        ({"node_group": "payments"}, (), "tenants[0].dedicated.node_group: 'payments' is not in"),
        (
            {"node_group": "payments"},
            (dedicated_group(taints=[]),),
            "lacks the taint eks-blueprint/tenant=payments:NoSchedule",
        ),
        (
            {"node_group": "payments"},
            (
                dedicated_group(
                    taints=[{"key": TENANT_LABEL, "value": "payments", "effect": "NoExecute"}]
                ),
            ),
            "lacks the taint",
        ),
        (
            {"node_group": "payments"},
            (dedicated_group(labels={TENANT_LABEL: "shop"}),),
            "lacks the label eks-blueprint/tenant: payments",
        ),
        (
            {"node_class": "gpu"},
            (),
            "tenants[0].dedicated.node_class: 'gpu' is not in compute.karpenter.node_classes",
        ),
        (
            {"min_vcpus": 11},
            (),
            "tenants[0].dedicated.min_vcpus: 11 vCPUs is more than the NodePool's CPU limit 10",
        ),
    ],
)
def test_bad_dedicated_capacity_is_refused(
    dedicated: dict[str, Any], groups: tuple[dict[str, Any], ...], fragment: str
) -> None:
    tenants = alone(isolation="dedicated", dedicated=dedicated)
    assert fragment in refusal(check_tenant_capacity, tenants, with_groups(*groups))


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (
            {"tenants": [tenant(isolation="dedicated", dedicated={"node_group": "payments"})]},
            "tenants[0].dedicated.node_group: 'payments' is not in compute.node_groups (system)",
        ),
        (
            {"tenants": [tenant(service_accounts=[{"name": "api"}])]},
            "tenants[0].service_accounts[0].name: api is the service account of "
            "workload_identities[0]",
        ),
        (
            {"tenants": [tenant(tier="gold")], "tenant_tiers": [{"name": "silver", "value": 5}]},
            "tenants[0].tier: 'gold' is not in tenant_tiers (silver)",
        ),
        (
            {"tenants": [tenant(pod_security="baseline", telemetry={"traces": "java"})]},
            "tenants[0].telemetry.traces: traces come from CloudWatch Application Signals",
        ),
    ],
)
def test_the_environment_applies_the_cross_section_rules(
    tmp_path: Path, changes: dict[str, Any], fragment: str
) -> None:
    # dev.yaml: one node group (system), a pod identity for payments/api, the cloudwatch
    # add-on off. Each rule above is refused when the file is loaded, naming file and field.
    found = problems(tmp_path, mutate(**changes))
    assert any(fragment in p for p in found), found


def test_a_node_pool_tenant_needs_karpenter() -> None:
    tenants = config(isolation="dedicated").tenants
    without = compute(karpenter=None)
    assert "compute.karpenter is not set" in refusal(check_tenant_capacity, tenants, without)
    auto = compute(karpenter=None, auto_mode={})
    assert "Auto Mode runs its own Karpenter" in refusal(check_tenant_capacity, tenants, auto)


def test_tenant_pool_and_profile_names_are_their_own() -> None:
    pools = copy.deepcopy(DEV["compute"]["karpenter"])
    pools["node_pools"].append({"name": "tenant-payments"})
    message = refusal(
        check_tenant_capacity, config(isolation="dedicated").tenants, compute(karpenter=pools)
    )
    assert message.startswith("compute.karpenter.node_pools[1].name: tenant-payments is the name")
    profile = {"profiles": [{"name": "tenant-payments", "selectors": [{"namespace": "other"}]}]}
    message = refusal(check_tenant_capacity, config(**FARGATE).tenants, compute(fargate=profile))
    assert message.startswith("compute.fargate.profiles[0].name: tenant-payments is the name")


def test_a_fargate_profile_may_not_take_a_tenant_namespace_silently() -> None:
    profile = {"profiles": [{"name": "batch", "selectors": [{"namespace": "payments"}]}]}
    message = refusal(check_tenant_capacity, config().tenants, compute(fargate=profile))
    assert message.startswith("compute.fargate.profiles[0].selectors: profile batch selects")
    assert "set isolation: fargate with fargate_acknowledgement" in message
    assert "network policy agent does not run" in message


# --- access: the tenant group roles -----------------------------------------------------------


def access(**changes: Any) -> dict[str, Any]:
    entry = {
        "principal": "arn:aws:iam::111111111111:role/PaymentsTeam",
        "namespaces": ["payments"],
        "kubernetes_groups": ["payments-developers"],
        "group_role": "tenant-admin",
    }
    entry.update(changes)
    return entry


@pytest.mark.parametrize("role", ["tenant-admin", "tenant-viewer"])
def test_tenant_group_roles_bind_groups_in_tenant_namespaces(role: str) -> None:
    env = EnvironmentConfig.model_validate(mutate(access=[access(group_role=role)]))
    (entry,) = env.access
    assert entry.group_role == role and entry.binds_groups


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (
            {"namespaces": []},
            "access[0].namespaces: (arn:aws:iam::111111111111:role/PaymentsTeam) group_role "
            "tenant-admin is a Role in every tenant namespace",
        ),
        (
            {"group_role": "tenant-viewer", "namespaces": ["shop"]},
            "access[0].namespaces[0]: access[0] (arn:aws:iam::111111111111:role/PaymentsTeam) "
            "namespaces ['shop'] are not tenant namespaces",
        ),
        ({"group_role": "tenant-owner"}, "access[0].group_role"),
        ({"group_role": None}, "tenant-admin or tenant-viewer (RoleBindings to that Role"),
    ],
)
def test_bad_tenant_group_roles_are_refused(
    tmp_path: Path, changes: dict[str, Any], fragment: str
) -> None:
    found = problems(tmp_path, mutate(access=[access(**changes)]))
    assert any(fragment in p for p in found), found


def test_the_access_model_accepts_the_roles_the_library_binds() -> None:
    from eks_blueprint.access import GROUP_ROLES

    literal = AccessConfig.model_fields["group_role"].annotation
    assert set(GROUP_ROLES) == set(literal.__args__[0].__args__)  # type: ignore[union-attr]


def test_a_tenant_config_is_strict() -> None:
    with pytest.raises(ValidationError, match="extra"):
        TenantConfig.model_validate({**PAYMENTS, "priority": "gold"})


def test_fargate_tenants_log_nowhere_by_default_and_traced_ones_may_egress() -> None:
    """The translation ships no Fargate tenant's logs (no Fluent Bit DaemonSet there), and a
    traced tenant gets the egress to the CloudWatch agent even with restricted egress."""
    from stacks.translate.addons import logged_tenants
    from stacks.translate.workloads import tenants_props

    staging = EnvironmentConfig.model_validate(
        mutate(
            tenants=[
                tenant(
                    pod_security="baseline", egress="restricted", telemetry={"traces": "java"}
                ),
                {**tenant(name="batch"), **FARGATE},
            ],
            addons__cloudwatch_observability={"enabled": True},
            access=[],
            workload_identities=[],
        )
    )
    assert [t.name for t in logged_tenants(staging)] == ["payments"]
    from aws_cdk import App, Stack
    from aws_cdk import aws_eks_v2 as eks

    cluster = eks.Cluster.from_cluster_attributes(Stack(App(), "S"), "C", cluster_name="c")
    props = tenants_props(staging, cluster, {"internet-facing": ["10.0.0.0/24"]})
    assert props is not None
    payments, batch = props.tenants
    assert payments.telemetry_egress and not batch.telemetry_egress
    assert payments.namespace_annotations == {
        "instrumentation.opentelemetry.io/inject-java": "true"
    }
