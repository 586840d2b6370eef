"""Tenant namespaces: config rules, the manifests, and their place in the cluster stack."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import aws_cdk.aws_eks_v2 as eks
import kubernetes_validate
import pytest

from eks_blueprint import kubectl_layer_for
from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.config.tenancy import quantity_value
from eks_blueprint.template.kubernetes import manifest_objects
from eks_blueprint.tenancy import (
    TENANT_LABEL,
    LoadBalancerScheme,
    TenantNamespaces,
    TenantNamespacesProps,
    TenantSpec,
    tenant_manifests,
)
from tests.conftest import ENVIRONMENTS, TEST_ENV, SynthResult, resources_of
from tests.unit import layers
from tests.unit.test_addons import manifests
from tests.unit.test_config import mutate, problems

PAYMENTS = {"name": "payments", "quota": {"cpu": "8", "memory": "16Gi"}}


def tenant(**changes: Any) -> dict[str, Any]:
    # A deep copy: yaml.safe_dump writes a shared dict as an alias, which the loader refuses.
    return copy.deepcopy({**PAYMENTS, **changes})


def by_kind(docs: list[dict[str, Any]], namespace: str) -> dict[str, dict[str, Any]]:
    """The tenant's objects by kind (NetworkPolicies by `NetworkPolicy/<name>`)."""
    out: dict[str, dict[str, Any]] = {}
    for doc in docs:
        meta = doc["metadata"]
        if meta.get("namespace", meta["name"]) != namespace:
            continue
        key = doc["kind"] if doc["kind"] != "NetworkPolicy" else f"NetworkPolicy/{meta['name']}"
        out[key] = doc
    return out


# --- config -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tenants", "fragment"),
    [
        ([tenant(name="kube-system")], "belongs to the cluster or its add-ons"),
        ([tenant(name="kube-tenant")], "belongs to the cluster or its add-ons"),
        ([tenant(name="default")], "belongs to the cluster or its add-ons"),
        ([tenant(name="Payments")], "not a Kubernetes namespace name"),
        ([tenant(), tenant()], "tenants[1].name: payments is listed more than once"),
        ([tenant(name="demo")], "is the namespace of workloads.demo"),
        ([{"name": "payments"}], "tenants[0].quota: required field is missing"),
        ([tenant(quota={"cpu": "8 cores", "memory": "16Gi"})], "not a Kubernetes quantity"),
        ([tenant(quota={"cpu": "8", "memory": "16Gi", "pods": 0})], "tenants[0].quota.pods"),
        ([tenant(pod_security="privileged")], "tenants[0].pod_security"),
        ([tenant(container_defaults={"cpu_request": "1", "cpu_limit": "500m"})],
         "cpu_request 1 is more than cpu_limit 500m"),
        ([tenant(quota={"cpu": "250m", "memory": "16Gi"})],
         "tenants[0].container_defaults.cpu_limit: 500m is more than quota.cpu 250m"),
        ([tenant(egress_cidrs=["0.0.0.0/0"])], "egress_cidrs only apply with egress: restricted"),
        ([tenant(egress="restricted", egress_cidrs=["10.0.0.1/16"])], "not a valid IPv4 CIDR"),
        ([tenant(quotas={})], "unknown field"),
        ([tenant(ingress_from=["internal", "internal"])], "internal is listed more than once"),
        ([tenant(ingress_from=["private"])], "tenants[0].ingress_from[0]"),
        ([tenant(ingress_from=["internal"])],
         "tenants[0].ingress_from lists 'internal' but network.internal_load_balancer_subnet_mask is not set"),
    ],
)
def test_invalid_tenants_are_refused(tmp_path: Path, tenants: Any, fragment: str) -> None:
    found = problems(tmp_path, mutate(tenants=tenants))
    assert any(fragment in p for p in found), found


def test_tenant_cannot_take_the_karpenter_namespace(tmp_path: Path) -> None:
    data = mutate(tenants=[tenant(name="autoscaling")])
    data["compute"]["karpenter"]["namespace"] = "autoscaling"
    found = problems(tmp_path, data)
    assert any("is the namespace of compute.karpenter.namespace" in p for p in found), found


@pytest.mark.parametrize(
    ("quantity", "value"),
    [("500m", Decimal("0.5")), ("2", Decimal(2)), ("1Gi", Decimal(2**30)), ("1.5k", Decimal(1500))],
)
def test_quantity_values(quantity: str, value: Decimal) -> None:
    assert quantity_value(quantity) == value


# --- the shipped environments --------------------------------------------------------------


def subnet_cidrs(synth: SynthResult, env: str, group: str) -> list[str]:
    """The CIDRs of one subnet group of an environment's VPC, by its aws-cdk:subnet-name."""
    return sorted(
        r["Properties"]["CidrBlock"]
        for r in resources_of(synth.template(env, "network"), "AWS::EC2::Subnet").values()
        if {"Key": "aws-cdk:subnet-name", "Value": group} in r["Properties"]["Tags"]
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_tenant_gets_its_guardrails(
    synth: SynthResult, configs: dict[str, EnvironmentConfig], env: str
) -> None:
    template = synth.template(env, "cluster")
    docs = manifests(template)
    public = subnet_cidrs(synth, env, "Public")
    assert len(public) == 3
    assert configs[env].tenants
    for cfg in configs[env].tenants:
        objects = by_kind(docs, cfg.name)
        labels = objects["Namespace"]["metadata"]["labels"]
        assert labels[TENANT_LABEL] == cfg.name
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == cfg.pod_security
        # restricted, except where a file states baseline for traces (staging's payments).
        assert cfg.pod_security == ("baseline" if cfg.telemetry.traces else "restricted")
        hard = objects["ResourceQuota"]["spec"]["hard"]
        assert hard["requests.cpu"] == hard["limits.cpu"] == cfg.quota.cpu
        assert hard["requests.memory"] == hard["limits.memory"] == cfg.quota.memory
        assert hard["pods"] == str(cfg.quota.pods)
        assert hard["services.loadbalancers"] == str(cfg.quota.load_balancers)
        (limits,) = objects["LimitRange"]["spec"]["limits"]
        defaults = cfg.container_defaults
        assert limits["defaultRequest"] == {"cpu": defaults.cpu_request, "memory": defaults.memory_request}
        assert limits["default"] == {"cpu": defaults.cpu_limit, "memory": defaults.memory_limit}
        deny = objects["NetworkPolicy/default-deny"]["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        (dns,) = objects["NetworkPolicy/allow-dns"]["spec"]["egress"]
        assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
        assert {(p["protocol"], p["port"]) for p in dns["ports"]} == {("UDP", 53), ("TCP", 53)}
        # Load balancers only: the public subnets (and, with `internal` in ingress_from, the
        # internal load balancer tier: see below), never the VPC CIDR (pods have VPC IPs).
        (lb,) = objects["NetworkPolicy/allow-from-load-balancers"]["spec"]["ingress"]
        assert set(public) <= {b["ipBlock"]["cidr"] for b in lb["from"]}
        assert configs[env].network.cidr not in json.dumps(lb)
        assert not set(subnet_cidrs(synth, env, "Private")) & set(json.dumps(lb).split('"'))
        same = objects["NetworkPolicy/allow-same-namespace"]["spec"]
        assert same["ingress"] == [{"from": [{"podSelector": {}}]}]
        assert same["egress"] == [{"to": [{"podSelector": {}}]}]
        assert objects["NetworkPolicy/allow-egress"]["spec"]["egress"] == [{}]  # open egress


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_load_balancer_ingress_follows_each_tenants_schemes(
    synth: SynthResult, configs: dict[str, EnvironmentConfig], env: str
) -> None:
    docs = manifests(synth.template(env, "cluster"))
    public = subnet_cidrs(synth, env, "Public")
    internal = subnet_cidrs(synth, env, "InternalLoadBalancer")
    private = subnet_cidrs(synth, env, "Private")
    assert len(private) == 3
    for cfg in configs[env].tenants:
        expected = (public if "internet-facing" in cfg.ingress_from else []) + (
            internal if "internal" in cfg.ingress_from else []
        )
        policy = by_kind(docs, cfg.name).get("NetworkPolicy/allow-from-load-balancers")
        if not expected:
            assert policy is None  # an empty `from` would admit every source
            continue
        assert policy is not None
        assert policy["spec"]["policyTypes"] == ["Ingress"]
        (rule,) = policy["spec"]["ingress"]
        admitted = [b["ipBlock"]["cidr"] for b in rule["from"]]
        assert sorted(admitted) == sorted(expected)
        # Internal load balancers by their own tier only: the private subnets hold every pod.
        assert not set(admitted) & set(private)
        assert configs[env].network.cidr not in admitted


def test_shipped_environments_admit_internal_load_balancers_somewhere(
    configs: dict[str, EnvironmentConfig]
) -> None:
    internal = [
        (env, t.name) for env, c in configs.items() for t in c.tenants if "internal" in t.ingress_from
    ]
    assert ("prod", "payments") in internal and ("staging", "payments") in internal


def test_each_tenant_is_its_own_item_with_a_stable_id(synth: SynthResult) -> None:
    # Was: one custom resource per tenant. Now one item per tenant, in the foundation layer,
    # whose id (its construct path) names the tenant and nothing else.
    template = synth.template("staging", "cluster")
    tenants = layers.items_under(template, "Tenants")
    # One per tenant, plus the tiers' PriorityClasses (cluster-scoped, applied before them).
    assert set(tenants) == {"Tenants/Payments", "Tenants/Batch", "Tenants/PriorityClasses"}
    assert {(t.type, t.layer) for t in tenants.values()} == {("manifest", "foundation")}
    assert tenants["Tenants/Payments"].after == tenants["Tenants/Batch"].after == [
        "Tenants/PriorityClasses"
    ]
    # Each tenant's item holds its namespace and what lives in it, nothing of another tenant.
    for name in ("payments", "batch"):
        objects = [
            o for o in manifest_objects(template["Resources"])
            if o.item == f"Tenants/{name.capitalize()}"
        ]
        assert {(o.kind, o.name) for o in objects} >= {("Namespace", name), ("ResourceQuota", "tenant-quota")}
        assert {o.namespace or o.name for o in objects} == {name}


# --- the construct --------------------------------------------------------------------------


LB_CIDRS: dict[LoadBalancerScheme, list[str]] = {
    "internet-facing": ["10.0.0.0/24", "10.0.1.0/24"],
    "internal": ["10.0.128.0/27", "10.0.128.32/27"],
}


def test_restricted_egress_allows_only_dns_the_namespace_and_the_listed_cidrs() -> None:
    closed = tenant_manifests(TenantSpec(name="t", cpu="1", memory="1Gi", egress="restricted"), LB_CIDRS)
    assert "NetworkPolicy/allow-egress" not in by_kind(closed, "t")
    listed = tenant_manifests(
        TenantSpec(name="t", cpu="1", memory="1Gi", egress="restricted", egress_cidrs=("192.0.2.0/24",)),
        LB_CIDRS,
    )
    egress = by_kind(listed, "t")["NetworkPolicy/allow-egress"]["spec"]["egress"]
    assert egress == [{"to": [{"ipBlock": {"cidr": "192.0.2.0/24"}}]}]


@pytest.mark.parametrize(
    ("ingress_from", "admitted"),
    [
        (("internet-facing",), LB_CIDRS["internet-facing"]),
        (("internal",), LB_CIDRS["internal"]),
        (("internal", "internet-facing"), LB_CIDRS["internet-facing"] + LB_CIDRS["internal"]),
        ((), None),
    ],
)
def test_ingress_from_admits_each_schemes_cidrs(
    ingress_from: tuple[LoadBalancerScheme, ...], admitted: list[str] | None
) -> None:
    docs = tenant_manifests(TenantSpec(name="t", cpu="1", memory="1Gi", ingress_from=ingress_from), LB_CIDRS)
    policy = by_kind(docs, "t").get("NetworkPolicy/allow-from-load-balancers")
    if admitted is None:
        assert policy is None
        assert [d["metadata"]["name"] for d in docs if d["kind"] == "NetworkPolicy"] == [
            "default-deny", "allow-same-namespace", "allow-dns", "allow-egress"]
    else:
        assert policy is not None
        assert [b["ipBlock"]["cidr"] for b in policy["spec"]["ingress"][0]["from"]] == admitted
    for doc in docs:
        kubernetes_validate.validate(doc, "1.34.0", strict=True)


@pytest.mark.parametrize("egress", ["open", "restricted"])
def test_manifests_validate_against_the_kubernetes_schema(egress: Any) -> None:
    spec = TenantSpec(name="t", cpu="1", memory="1Gi", pod_security="baseline", egress=egress,
                      egress_cidrs=("192.0.2.0/24",) if egress == "restricted" else (),
                      ingress_from=("internet-facing", "internal"))
    for doc in tenant_manifests(spec, LB_CIDRS):
        kubernetes_validate.validate(doc, "1.34.0", strict=True)


def _stack(with_kubectl: bool) -> tuple[cdk.Stack, eks.Cluster]:
    stack = cdk.Stack(cdk.App(), "S", env=TEST_ENV)
    cluster = eks.Cluster(
        stack, "C", version=eks.KubernetesVersion.V1_34,
        default_capacity_type=eks.DefaultCapacityType.NODEGROUP, default_capacity=0,
        kubectl_provider_options=eks.KubectlProviderOptions(
            kubectl_layer=kubectl_layer_for(stack, "1.34")) if with_kubectl else None,
    )
    return stack, cluster


PUBLIC_ONLY: dict[LoadBalancerScheme, list[str]] = {"internet-facing": ["10.0.0.0/24"]}


@pytest.mark.parametrize(
    ("with_kubectl", "tenants", "cidrs", "fragment"),
    [
        (True, [], PUBLIC_ONLY, "at least one tenant"),
        (True, [TenantSpec(name="a", cpu="1", memory="1Gi")] * 2, PUBLIC_ONLY,
         r"S/T: TenantNamespacesProps.tenants\[1\].name = 'a': also the name of tenants\[0\]"),
        (False, [TenantSpec(name="a", cpu="1", memory="1Gi")], PUBLIC_ONLY, "kubectl provider"),
        (True, [TenantSpec(name="a", cpu="1", memory="1Gi", ingress_from=("internal",))], PUBLIC_ONLY,
         r"S/T: TenantNamespacesProps.tenants\[0\].ingress_from = \['internal'\]: admits internal "
         r"load balancers, but TenantNamespacesProps.load_balancer_cidrs has no CIDRs for 'internal'"),
        (True, [TenantSpec(name="a", cpu="1", memory="1Gi")], {"internal": ["10.0.128.0/27"]},
         "has no CIDRs for 'internet-facing'"),
        (True, [TenantSpec(name="a", cpu="1", memory="1Gi")], {"internet-facing": ["10.0.0.1/24"]},
         r"TenantNamespacesProps.load_balancer_cidrs\['internet-facing'\] = '10.0.0.1/24': not a "
         r"valid IPv4 CIDR"),
        (True, [TenantSpec(name="a", cpu="1", memory="1Gi")], {"public": ["10.0.0.0/24"]},
         "load_balancer_cidrs = 'public': not one of internet-facing, internal"),
    ],
)
def test_construct_refuses_bad_props(
    with_kubectl: bool, tenants: list[TenantSpec], cidrs: Any, fragment: str
) -> None:
    stack, cluster = _stack(with_kubectl)
    with pytest.raises(ValueError, match=fragment):
        TenantNamespaces(stack, "T", props=TenantNamespacesProps(
            cluster=cluster, load_balancer_cidrs=cidrs, tenants=tenants))  # type: ignore[arg-type]
