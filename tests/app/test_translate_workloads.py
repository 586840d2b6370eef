"""stacks.translate.workloads: tenants, workload identities, access entries and the demo."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aws_cdk import aws_iam as iam

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.identity import PodIdentityRoleProps, ServiceAccountRoleProps
from eks_blueprint.tenancy import LoadBalancerScheme
from stacks.translate.workloads import (
    access_props,
    aws_managed_policy_name,
    demo_props,
    tenants_props,
    workload_role_props,
)

from .conftest import CLUSTER, minimal, raw, shipped

CIDRS: dict[LoadBalancerScheme, list[str]] = {
    "internet-facing": ["10.0.0.0/24"],
    "internal": ["10.0.8.0/26"],
}


def test_empty_sections_give_no_props() -> None:
    config = minimal()
    assert demo_props(config, CLUSTER) is None
    assert access_props(config, CLUSTER) is None
    assert tenants_props(config, CLUSTER, CIDRS) is None


def test_tenants(config: EnvironmentConfig) -> None:
    props = tenants_props(config, CLUSTER, CIDRS)
    assert props is not None and props.cluster is CLUSTER
    assert props.load_balancer_cidrs == CIDRS
    assert [t.name for t in props.tenants] == [t.name for t in config.tenants]
    for spec, tenant in zip(props.tenants, config.tenants, strict=True):
        assert (spec.cpu, spec.memory, spec.pods) == (
            tenant.quota.cpu,
            tenant.quota.memory,
            tenant.quota.pods,
        )
        assert spec.default_limits == {
            "cpu": tenant.container_defaults.cpu_limit,
            "memory": tenant.container_defaults.memory_limit,
        }
        assert list(spec.ingress_from) == tenant.ingress_from


def test_tenant_tier_isolation_and_traces_reach_the_spec(config: EnvironmentConfig) -> None:
    props = tenants_props(config, CLUSTER, CIDRS)
    assert props is not None
    assert [(t.name, t.value) for t in props.tiers] == [
        (t.name, t.value) for t in config.tenant_tiers
    ]
    traced = config.addons.cloudwatch_observability.enabled
    for spec, tenant in zip(props.tenants, config.tenants, strict=True):
        assert spec.priority_class == f"tenant-{tenant.tier}"
        assert spec.dedicated == (tenant.isolation == "dedicated")
        # Application Signals instruments the namespace only when traces are on and the
        # add-on that runs it is.
        expected_annotations = (
            {f"instrumentation.opentelemetry.io/inject-{tenant.telemetry.traces}": "true"}
            if tenant.telemetry.traces and traced
            else {}
        )
        assert spec.namespace_annotations == expected_annotations
        assert spec.telemetry_egress == bool(expected_annotations)
    shipped_tenants = {(t.name, t.priority_class, t.dedicated) for t in props.tenants}
    expected = {
        "dev": {("payments", "tenant-silver", False)},
        "staging": {("payments", "tenant-silver", False), ("batch", "tenant-bronze", False)},
        "prod": {("payments", "tenant-gold", True)},
    }
    assert shipped_tenants == expected[config.name]
    # Staging's payments states the trace trade-off (baseline Pod Security, Java traces).
    traced_specs = {t.name for t in props.tenants if t.namespace_annotations}
    assert traced_specs == ({"payments"} if config.name == "staging" else set())


def test_a_tenant_gets_the_service_accounts_of_its_identities(
    variant: Callable[..., EnvironmentConfig],
) -> None:
    data = raw("dev")
    identities = data["workload_identities"]
    identities[1]["namespace"] = "payments"  # the IRSA identity, moved into the tenant
    tenant = {**data["tenants"][0], "service_accounts": [{"name": "worker"}]}
    config = variant(workload_identities=identities, tenants=[tenant])
    arn = "arn:aws:iam::111111111111:role/exporter"
    props = tenants_props(config, CLUSTER, CIDRS, {"payments/metrics-exporter": arn})
    assert props is not None
    (spec,) = props.tenants
    assert [(a.name, dict(a.annotations), a.automount_token) for a in spec.service_accounts] == [
        ("worker", {}, False),
        ("api", {}, False),  # Pod Identity: the association names it, no annotation
        ("metrics-exporter", {"eks.amazonaws.com/role-arn": arn}, False),
    ]
    # Without the IRSA role's ARN the pods would silently get no credentials: refused.
    with pytest.raises(ValueError, match=r"workload_identities\[1\] \(payments/metrics-exporter\)"):
        tenants_props(config, CLUSTER, CIDRS)


def test_access_grants(config: EnvironmentConfig) -> None:
    props = access_props(config, CLUSTER)
    assert props is not None
    assert [g.principal_arn for g in props.grants] == [a.principal for a in config.access]


def test_an_access_policy_is_the_eks_policy_name(
    variant: Callable[..., EnvironmentConfig],
) -> None:
    entry = {
        "principal": "arn:aws:iam::333333333333:role/PaymentsTeam",
        "policy": "edit",
        "namespaces": ["payments"],
        "kubernetes_groups": ["payments-developers"],
        "group_role": "tenant-viewer",
    }
    props = access_props(variant(base="prod", access=[entry]), CLUSTER)
    assert props is not None
    (grant,) = props.grants
    assert grant.policy_name == "AmazonEKSEditPolicy"
    assert list(grant.namespaces) == ["payments"]
    assert (list(grant.kubernetes_groups), grant.group_role) == (
        ["payments-developers"],
        "tenant-viewer",
    )


def test_shipped_teams_hold_the_tenant_roles_and_no_access_policy(
    config: EnvironmentConfig,
) -> None:
    # dev and staging: tenant-admin; prod: tenant-viewer, its changes come by the pipeline.
    props = access_props(config, CLUSTER)
    assert props is not None
    (grant,) = props.grants
    assert grant.policy_name is None
    assert grant.group_role == ("tenant-viewer" if config.name == "prod" else "tenant-admin")
    assert list(grant.namespaces) == ["payments"]


def test_dev_demo_is_internet_facing_from_the_office_only() -> None:
    props = demo_props(shipped("dev"), CLUSTER)
    assert props is not None
    assert props.scheme == "internet-facing"
    assert list(props.inbound_cidrs) == ["203.0.113.0/24"]
    assert list(props.platforms) == ["amd64"]


def test_an_internal_demo_without_a_list_accepts_the_vpc(
    variant: Callable[..., EnvironmentConfig],
) -> None:
    # An image of dev's governance.allowed_registries (others are refused: the policy would
    # block the platform's own demo).
    image = "public.ecr.aws/y7c9e1d2/joozero-repo:1.0"
    demo = {"enabled": True, "image": image, "scheme": "internal"}
    config = variant(workloads={"demo": demo})
    props = demo_props(config, CLUSTER)
    assert props is not None and list(props.inbound_cidrs) == [config.network.cidr]


def test_an_internal_demo_without_a_list_accepts_the_pods_of_custom_networking() -> None:
    # staging: custom networking gives the pods 100.64.x addresses, outside network.cidr;
    # pods calling the internal ALB come from there
    config = shipped("staging")
    assert config.network.pod_subnets is not None and config.workloads.demo.scheme == "internal"
    assert not config.workloads.demo.inbound_cidrs
    props = demo_props(config, CLUSTER)
    assert props is not None
    assert list(props.inbound_cidrs) == [config.network.cidr, config.network.pod_subnets.cidr]


def test_dev_identities_one_of_each_mechanism() -> None:
    config = shipped("dev")
    pod_identity, irsa = (
        workload_role_props(config, entry, CLUSTER, ()) for entry in config.workload_identities
    )
    assert isinstance(pod_identity, PodIdentityRoleProps)
    assert pod_identity.kubernetes_version == "1.34"
    assert (pod_identity.namespace, pod_identity.service_account) == ("payments", "api")
    assert isinstance(irsa, ServiceAccountRoleProps)
    assert irsa.exception_reason is not None
    (statement,) = irsa.statements
    assert statement.effect == iam.Effect.ALLOW
    assert statement.resources == ["*"]


def test_aws_managed_policies_are_named_for_the_acknowledgement(
    variant: Callable[..., EnvironmentConfig],
) -> None:
    arns = [
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::111111111111:policy/payments-queue",
    ]
    config = variant(
        workload_identities=[
            {
                "namespace": "payments",
                "service_account": "api",
                "managed_policy_arns": arns,
                "exception_reason": "the team's read-only tooling needs the AWS-managed policy",
            }
        ]
    )
    (entry,) = config.workload_identities
    props = workload_role_props(config, entry, CLUSTER, ())
    assert list(props.aws_managed_policy_names) == ["ReadOnlyAccess"]
    assert [aws_managed_policy_name(a) for a in arns] == ["ReadOnlyAccess", None]
