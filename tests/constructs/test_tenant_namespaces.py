"""TenantNamespaces: one manifest per tenant from explicit props, and refusals naming the prop."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from eks_blueprint.tenancy import TenantNamespaces, TenantNamespacesProps, TenantSpec

from .clusters import at, imported, refused, stack, template_of

MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"
CIDRS: dict[Any, list[str]] = {"internet-facing": ["10.0.0.0/24"], "internal": ["10.0.128.0/27"]}
SHOP = TenantSpec(name="shop", cpu="4", memory="8Gi")


@pytest.fixture(scope="module")
def template() -> Template:
    return template_of(
        lambda scope: TenantNamespaces(
            scope,
            "Tenants",
            props=TenantNamespacesProps(
                cluster=imported(scope),
                load_balancer_cidrs=CIDRS,
                tenants=[
                    SHOP,
                    TenantSpec(
                        name="ml-team",
                        cpu="16",
                        memory="64Gi",
                        pod_security="baseline",
                        ingress_from=("internal",),
                    ),
                ],
            ),
        )
    )


def test_each_tenant_is_one_manifest_with_an_id_from_its_name(template: Template) -> None:
    manifests = template.find_resources(MANIFEST)
    assert sorted(k[:-8] for k in manifests) == ["TenantsMlTeam", "TenantsShop"]
    template.has_resource_properties(
        MANIFEST,
        {
            "Manifest": Match.string_like_regexp(
                '"name":"shop".*"pod-security.kubernetes.io/enforce":"restricted"'
            ),
        },
    )


def test_defaults_fill_the_quota_and_limit_range(template: Template) -> None:
    (shop,) = [r for k, r in template.find_resources(MANIFEST).items() if "Shop" in k]
    docs = json.loads(shop["Properties"]["Manifest"])
    quota = next(d for d in docs if d["kind"] == "ResourceQuota")["spec"]["hard"]
    assert quota["pods"] == "100" and quota["requests.storage"] == "100Gi"
    assert quota["services.loadbalancers"] == "2" and quota["limits.cpu"] == "4"
    limits = next(d for d in docs if d["kind"] == "LimitRange")["spec"]["limits"][0]
    assert limits["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}
    assert limits["default"] == {"cpu": "500m", "memory": "512Mi"}


def _tenant(**changes: Any) -> TenantSpec:
    return dataclasses.replace(SHOP, **changes)


@pytest.mark.parametrize(
    ("tenants", "prop", "fragment"),
    [
        ([], "tenants", "at least one tenant"),
        ([_tenant(name="Shop")], "tenants[0].name", "not a Kubernetes name"),
        ([_tenant(name="kube-shop")], "tenants[0].name", "belongs to the cluster"),
        ([_tenant(name="karpenter")], "tenants[0].name", "belongs to the cluster"),
        ([SHOP, SHOP], "tenants[1].name", "also the name of tenants[0]"),
        ([_tenant(cpu="4 cores")], "tenants[0].cpu", "not a Kubernetes quantity"),
        ([_tenant(memory="lots")], "tenants[0].memory", "not a Kubernetes quantity"),
        ([_tenant(storage="-1Gi")], "tenants[0].storage", "negative"),
        ([_tenant(storage="1 Gi")], "tenants[0].storage", "not a Kubernetes quantity"),
        ([_tenant(pods=0)], "tenants[0].pods", "must be 1 to 10000"),
        (
            [_tenant(persistent_volume_claims=-1)],
            "tenants[0].persistent_volume_claims",
            "must be 0 to 10000",
        ),
        ([_tenant(load_balancers=101)], "tenants[0].load_balancers", "must be 0 to 100"),
        (
            [_tenant(pod_security="privileged")],
            "tenants[0].pod_security",
            "not one of restricted, baseline",
        ),
        (
            [_tenant(default_requests={"cpu": "100m"})],
            "tenants[0].default_requests",
            "give exactly cpu and memory",
        ),
        (
            [_tenant(default_limits={"cpu": "1 core", "memory": "1Gi"})],
            "tenants[0].default_limits['cpu']",
            "not a Kubernetes quantity",
        ),
        (
            [_tenant(default_requests={"cpu": "2", "memory": "128Mi"})],
            "tenants[0].default_requests['cpu']",
            "a request must not exceed its limit",
        ),
        (
            [_tenant(memory="256Mi")],
            "tenants[0].default_limits['memory']",
            "not even one default container would fit",
        ),
        ([_tenant(egress="closed")], "tenants[0].egress", "not one of open, restricted"),
        (
            [_tenant(egress="restricted", egress_cidrs=("10.0.0.1/16",))],
            "tenants[0].egress_cidrs[0]",
            "not a valid IPv4 CIDR",
        ),
        (
            [_tenant(egress="restricted", egress_cidrs=("10.0.0.0/16", "10.0.0.0/16"))],
            "tenants[0].egress_cidrs",
            "listed more than once",
        ),
        (
            [_tenant(egress_cidrs=("10.0.0.0/16",))],
            "tenants[0].egress_cidrs",
            "only apply with egress='restricted'",
        ),
        (
            [_tenant(ingress_from=("public",))],
            "tenants[0].ingress_from[0]",
            "not one of internet-facing, internal",
        ),
        (
            [_tenant(ingress_from=("internal", "internal"))],
            "tenants[0].ingress_from",
            "listed more than once",
        ),
    ],
)
def test_bad_tenants_are_refused_naming_the_construct_and_prop(
    tenants: list[TenantSpec], prop: str, fragment: str
) -> None:
    assert fragment in _refusal(prop, CIDRS, tenants)


@pytest.mark.parametrize(
    ("cidrs", "prop", "fragment"),
    [
        ({"public": ["10.0.0.0/24"]}, "load_balancer_cidrs", "not one of internet-facing"),
        (
            {"internet-facing": ["10.0.0.1/24"]},
            "load_balancer_cidrs['internet-facing']",
            "not a valid IPv4 CIDR",
        ),
        (
            {"internal": ["10.0.128.0/27"]},
            "tenants[0].ingress_from",
            "has no CIDRs for 'internet-facing'",
        ),
    ],
)
def test_bad_load_balancer_cidrs_are_refused(cidrs: Any, prop: str, fragment: str) -> None:
    assert fragment in _refusal(prop, cidrs, [SHOP])


def _refusal(prop: str, cidrs: Any, tenants: list[TenantSpec]) -> str:
    """The message refusing `prop` of TenantNamespaces `Platform/Tenants` with these props."""
    scope = stack()
    props = TenantNamespacesProps(
        cluster=imported(scope), load_balancer_cidrs=cidrs, tenants=tenants
    )
    return refused(
        "Platform/Tenants",
        f"TenantNamespacesProps.{prop}",
        TenantNamespaces,
        scope,
        "Tenants",
        props=props,
    )


def test_tenants_need_a_kubectl_provider() -> None:
    scope = stack()
    cluster = imported(scope, kubectl=False)
    with pytest.raises(ValueError, match=at("Platform/Tenants", "TenantNamespacesProps.cluster")):
        TenantNamespaces(
            scope,
            "Tenants",
            props=TenantNamespacesProps(cluster=cluster, load_balancer_cidrs=CIDRS, tenants=[SHOP]),
        )
