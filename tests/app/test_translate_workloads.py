"""stacks.translate.workloads: tenants, workload identities, access entries and the demo."""

from __future__ import annotations

from collections.abc import Callable

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

from .conftest import CLUSTER, minimal, shipped

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


def test_access_grants(config: EnvironmentConfig) -> None:
    props = access_props(config, CLUSTER)
    assert props is not None
    assert [g.principal_arn for g in props.grants] == [a.principal for a in config.access]


def test_prod_access_policy_is_the_eks_policy_name() -> None:
    props = access_props(shipped("prod"), CLUSTER)
    assert props is not None
    assert "AmazonEKSEditPolicy" in [g.policy_name for g in props.grants]


def test_dev_demo_is_internet_facing_from_the_office_only() -> None:
    props = demo_props(shipped("dev"), CLUSTER)
    assert props is not None
    assert props.scheme == "internet-facing"
    assert list(props.inbound_cidrs) == ["203.0.113.0/24"]
    assert list(props.platforms) == ["amd64"]


def test_an_internal_demo_without_a_list_accepts_the_vpc(
    variant: Callable[..., EnvironmentConfig],
) -> None:
    demo = {"enabled": True, "image": "public.ecr.aws/nginx/nginx:1.27", "scheme": "internal"}
    config = variant(workloads={"demo": demo})
    props = demo_props(config, CLUSTER)
    assert props is not None and list(props.inbound_cidrs) == [config.network.cidr]


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
