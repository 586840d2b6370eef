"""TenantNamespaces: one manifest per tenant from explicit props, the tiers' PriorityClasses,
the tenant Roles and ServiceAccounts, and refusals naming the prop."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import kubernetes_validate
import pytest
from aws_cdk.assertions import Match, Template

from eks_blueprint.compute.karpenter import validate_node_pool
from eks_blueprint.governance.spec import COST_LABEL, TENANT_LABEL, TenantRules
from eks_blueprint.tenancy import (
    IRSA_ROLE_ANNOTATION,
    TENANT_ADMIN_RULES,
    TENANT_VIEWER_RULES,
    PriorityTier,
    ServiceAccountSpec,
    TenantNamespaces,
    TenantNamespacesProps,
    TenantSpec,
    dedicated_labels,
    dedicated_taint,
    priority_class_manifests,
    tenant_manifests,
    tenant_node_pool,
    tenant_roles,
    tenant_rules,
)

from .clusters import at, imported, refused, stack, template_of

MANIFEST = "Custom::AWSCDK-EKS-KubernetesResource"
CIDRS: dict[Any, list[str]] = {"internet-facing": ["10.0.0.0/24"], "internal": ["10.0.128.0/27"]}
SHOP = TenantSpec(name="shop", cpu="4", memory="8Gi")
TIERS = (
    PriorityTier(name="gold", value=100_000, description="Customer-facing"),
    PriorityTier(name="silver", value=10_000),
)
ROLE_ARN = "arn:aws:iam::123456789012:role/shop-api"


@pytest.fixture(scope="module")
def template() -> Template:
    return template_of(
        lambda scope: TenantNamespaces(
            scope,
            "Tenants",
            props=TenantNamespacesProps(
                cluster=imported(scope),
                load_balancer_cidrs=CIDRS,
                tiers=TIERS,
                tenants=[
                    dataclasses.replace(
                        SHOP,
                        priority_class="tenant-gold",
                        service_accounts=(
                            ServiceAccountSpec(
                                name="api", annotations={IRSA_ROLE_ANNOTATION: ROLE_ARN}
                            ),
                            ServiceAccountSpec(name="operator", automount_token=True),
                        ),
                    ),
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
    assert sorted(k[:-8] for k in manifests) == [
        "TenantsMlTeam",
        "TenantsPriorityClasses",
        "TenantsShop",
    ]
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


def _docs(template: Template, name: str) -> list[dict[str, Any]]:
    (resource,) = [r for k, r in template.find_resources(MANIFEST).items() if name in k]
    docs: list[dict[str, Any]] = json.loads(resource["Properties"]["Manifest"])
    return docs


def test_the_tiers_are_priority_classes_applied_before_every_tenant(template: Template) -> None:
    manifests = template.find_resources(MANIFEST)
    (classes_id,) = [k for k in manifests if "PriorityClasses" in k]
    classes = _docs(template, "PriorityClasses")
    assert [(c["metadata"]["name"], c["value"]) for c in classes] == [
        ("tenant-gold", 100_000),
        ("tenant-silver", 10_000),
    ]
    assert all(c["globalDefault"] is False for c in classes)
    assert all(c["preemptionPolicy"] == "PreemptLowerPriority" for c in classes)
    assert classes[0]["description"] == "Customer-facing"
    assert "silver" in classes[1]["description"]
    for key, resource in manifests.items():
        if key != classes_id:
            assert classes_id in resource["DependsOn"], key


def test_every_namespace_carries_the_tenant_and_cost_labels(template: Template) -> None:
    for name, ns in (("Shop", "shop"), ("MlTeam", "ml-team")):
        namespace = next(d for d in _docs(template, name) if d["kind"] == "Namespace")
        assert namespace["metadata"]["labels"][TENANT_LABEL] == ns
        assert namespace["metadata"]["labels"][COST_LABEL] == ns
    assert COST_LABEL == "tenant"


def test_each_namespace_has_the_tenant_roles(template: Template) -> None:
    for name, ns in (("Shop", "shop"), ("MlTeam", "ml-team")):
        roles = [d for d in _docs(template, name) if d["kind"] == "Role"]
        assert [(r["metadata"]["name"], r["metadata"]["namespace"]) for r in roles] == [
            ("tenant-admin", ns),
            ("tenant-viewer", ns),
        ]


def test_service_accounts_do_not_mount_a_token_unless_asked(template: Template) -> None:
    accounts = {
        d["metadata"]["name"]: d for d in _docs(template, "Shop") if d["kind"] == "ServiceAccount"
    }
    assert sorted(accounts) == ["api", "operator"]
    assert accounts["api"]["automountServiceAccountToken"] is False
    assert accounts["api"]["metadata"]["annotations"] == {IRSA_ROLE_ANNOTATION: ROLE_ARN}
    assert accounts["operator"]["automountServiceAccountToken"] is True
    assert "annotations" not in accounts["operator"]["metadata"]
    labels = accounts["api"]["metadata"]["labels"]
    assert (labels[TENANT_LABEL], labels[COST_LABEL]) == ("shop", "shop")
    assert not [d for d in _docs(template, "MlTeam") if d["kind"] == "ServiceAccount"]


def _rules(role: str) -> list[dict[str, Any]]:
    (doc,) = [d for d in tenant_roles("shop") if d["metadata"]["name"] == role]
    rules: list[dict[str, Any]] = doc["rules"]
    return rules


def _grants(role: str) -> dict[tuple[str, str], set[str]]:
    """(api group, resource) -> verbs of a tenant Role."""
    out: dict[tuple[str, str], set[str]] = {}
    for rule in _rules(role):
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


@pytest.mark.parametrize("role", ["tenant-admin", "tenant-viewer"])
def test_tenant_roles_name_every_verb_and_resource(role: str) -> None:
    for rule in _rules(role):
        assert set(rule) == {"apiGroups", "resources", "verbs"}  # no resourceNames, no URLs
        for key in ("apiGroups", "resources", "verbs"):
            assert rule[key] and "*" not in rule[key], (role, rule)
            assert not any("*" in item for item in rule[key]), (role, rule)
        assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"])


def test_tenant_admin_runs_workloads_but_not_the_guardrails_or_rbac() -> None:
    grants = _grants("tenant-admin")
    for resource in ("pods", "services", "configmaps", "secrets", "persistentvolumeclaims",
                     "serviceaccounts"):  # fmt: skip
        assert {"create", "delete", "update", "patch"} <= grants[("", resource)], resource
    for group, resource in (("apps", "deployments"), ("apps", "statefulsets"),
                            ("batch", "jobs"), ("batch", "cronjobs"),
                            ("networking.k8s.io", "ingresses"),
                            ("autoscaling", "horizontalpodautoscalers"),
                            ("policy", "poddisruptionbudgets")):  # fmt: skip
        assert "create" in grants[(group, resource)], resource
    assert grants[("", "pods/exec")] == {"get", "create"}
    assert grants[("", "pods/portforward")] == {"get", "create"}
    assert grants[("", "pods/log")] == {"get"}
    for group, resource in (("", "resourcequotas"), ("", "limitranges"),
                            ("networking.k8s.io", "networkpolicies")):  # fmt: skip
        assert grants[(group, resource)] == {"get", "list", "watch"}, resource
    for group, resource in (("rbac.authorization.k8s.io", "roles"),
                            ("rbac.authorization.k8s.io", "rolebindings"),
                            ("", "namespaces"), ("apps", "daemonsets"),
                            ("", "serviceaccounts/token")):  # fmt: skip
        assert (group, resource) not in grants, resource
    assert tuple(_rules("tenant-admin")) == TENANT_ADMIN_RULES


def test_tenant_viewer_reads_everything_but_secrets() -> None:
    viewer, admin = _grants("tenant-viewer"), _grants("tenant-admin")
    assert all(verbs <= {"get", "list", "watch"} for verbs in viewer.values())
    assert ("", "secrets") not in viewer
    assert ("", "pods/exec") not in viewer and ("", "pods/portforward") not in viewer
    assert set(viewer) == set(admin) - {
        ("", "secrets"),
        ("", "pods/exec"),
        ("", "pods/portforward"),
        ("apps", "deployments/scale"),
        ("apps", "replicasets/scale"),
        ("apps", "statefulsets/scale"),
    }
    assert tuple(_rules("tenant-viewer")) == TENANT_VIEWER_RULES


def test_the_new_objects_validate_against_the_kubernetes_schema() -> None:
    spec = dataclasses.replace(
        SHOP,
        priority_class="tenant-gold",
        service_accounts=(
            ServiceAccountSpec(name="api.v1", annotations={IRSA_ROLE_ANNOTATION: ROLE_ARN}),
        ),
    )
    docs = [*priority_class_manifests(TIERS), *tenant_manifests(spec, CIDRS)]
    assert {d["kind"] for d in docs} >= {"PriorityClass", "Role", "ServiceAccount"}
    for doc in docs:
        kubernetes_validate.validate(doc, "1.34.0", strict=True)


def test_tenant_rules_carry_the_class_and_dedication_to_the_policies() -> None:
    spec = dataclasses.replace(
        SHOP, pod_security="baseline", priority_class="tenant-gold", dedicated=True
    )
    assert tenant_rules(spec) == TenantRules(
        name="shop", pod_security="baseline", priority_class="tenant-gold", dedicated=True
    )
    assert tenant_rules(SHOP) == TenantRules(name="shop")


def test_a_tenant_node_pool_is_tainted_and_labelled_for_the_tenant_only() -> None:
    pool = tenant_node_pool(
        "shop",
        cpu=5,
        memory="10240Mi",
        node_class="bottlerocket",
        capacity_types=("spot", "on-demand"),
        architectures=("arm64",),
        min_vcpus=2,
    )
    assert pool.name == "tenant-shop" and pool.node_class == "bottlerocket"
    assert pool.labels == dedicated_labels("shop") == {TENANT_LABEL: "shop"}
    assert tuple(pool.taints) == (dedicated_taint("shop"),)
    assert dedicated_taint("shop").to_manifest() == {
        "key": TENANT_LABEL,
        "value": "shop",
        "effect": "NoSchedule",
    }
    assert (pool.limits.cpu, pool.limits.memory) == (5, "10240Mi")
    assert tuple(pool.requirements.capacity_types) == ("spot", "on-demand")
    assert tuple(pool.requirements.architectures) == ("arm64",)
    assert pool.requirements.min_vcpus == 2
    # The Karpenter construct's own check of a NodePool spec (raises on a bad one).
    validate_node_pool(pool, "pool", region=None, node_classes=["bottlerocket"])


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
        (
            [_tenant(priority_class="tenant-platinum")],
            "tenants[0].priority_class",
            "not a class of TenantNamespacesProps.tiers (tenant-gold, tenant-silver)",
        ),
        ([_tenant(name="priority-classes")], "tenants[0].name", "the id of the tiers' manifest"),
        ([_tenant(dedicated="yes")], "tenants[0].dedicated", "give True or False"),
        (
            [_tenant(service_accounts=(ServiceAccountSpec(name="API"),))],
            "tenants[0].service_accounts[0].name",
            "not a Kubernetes name",
        ),
        (
            [_tenant(service_accounts=(ServiceAccountSpec(name="a", automount_token="no"),))],  # type: ignore[arg-type]
            "tenants[0].service_accounts[0].automount_token",
            "give True or False",
        ),
        (
            [
                _tenant(
                    service_accounts=(
                        ServiceAccountSpec(name="a", annotations={"bad key/x/y": "v"}),
                    )
                )
            ],
            "tenants[0].service_accounts[0].annotations",
            "at most one '/'",
        ),
        (
            [_tenant(service_accounts=(ServiceAccountSpec(name="a", annotations={"k": 1}),))],  # type: ignore[dict-item]
            "tenants[0].service_accounts[0].annotations['k']",
            "give the value as text",
        ),
        (
            [
                _tenant(
                    service_accounts=(ServiceAccountSpec(name="a"), ServiceAccountSpec(name="a"))
                )
            ],
            "tenants[0].service_accounts",
            "a is listed more than once",
        ),
    ],
)
def test_bad_tenants_are_refused_naming_the_construct_and_prop(
    tenants: list[TenantSpec], prop: str, fragment: str
) -> None:
    assert fragment in _refusal(prop, CIDRS, tenants)


def _tier(**changes: Any) -> PriorityTier:
    return dataclasses.replace(TIERS[0], **changes)


@pytest.mark.parametrize(
    ("tiers", "prop", "fragment"),
    [
        ((_tier(name="Gold"),), "tiers[0].name", "not a Kubernetes name"),
        ((_tier(name="g" * 57),), "tiers[0].name", "longer than 56 characters"),
        ((_tier(value=0),), "tiers[0].value", "must be 1 to 1000000"),
        ((_tier(value=1_000_001),), "tiers[0].value", "must be 1 to 1000000"),
        ((_tier(value=True),), "tiers[0].value", "must be a whole number"),
        ((_tier(description="two\nlines"),), "tiers[0].description", "printable text"),
        ((_tier(), _tier(value=5)), "tiers[1].name", "also the name of tiers[0]"),
        ((_tier(), _tier(name="silver")), "tiers[1].value", "equal priorities"),
    ],
)
def test_bad_tiers_are_refused_naming_the_construct_and_prop(
    tiers: tuple[PriorityTier, ...], prop: str, fragment: str
) -> None:
    assert fragment in _refusal(prop, CIDRS, [SHOP], tiers)


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


def _refusal(
    prop: str, cidrs: Any, tenants: list[TenantSpec], tiers: tuple[PriorityTier, ...] = TIERS
) -> str:
    """The message refusing `prop` of TenantNamespaces `Platform/Tenants` with these props."""
    scope = stack()
    props = TenantNamespacesProps(
        cluster=imported(scope), load_balancer_cidrs=cidrs, tenants=tenants, tiers=tiers
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


def test_without_tiers_there_is_no_priority_class_manifest() -> None:
    template = template_of(
        lambda scope: TenantNamespaces(
            scope,
            "Tenants",
            props=TenantNamespacesProps(
                cluster=imported(scope), load_balancer_cidrs=CIDRS, tenants=[SHOP]
            ),
        )
    )
    assert [k[:-8] for k in template.find_resources(MANIFEST)] == ["TenantsShop"]


def test_traced_tenants_reach_the_cloudwatch_agent_through_default_deny() -> None:
    def policy(spec: TenantSpec) -> dict[str, Any] | None:
        docs = tenant_manifests(spec, CIDRS)
        found = [d for d in docs if d["metadata"]["name"] == "allow-telemetry"]
        return found[0] if found else None

    assert policy(SHOP) is None
    traced = dataclasses.replace(
        SHOP,
        egress="restricted",
        telemetry_egress=True,
        namespace_annotations={"instrumentation.opentelemetry.io/inject-java": "true"},
    )
    allow = policy(traced)
    assert allow is not None
    kubernetes_validate.validate(allow, "1.34.0", strict=True)
    (rule,) = allow["spec"]["egress"]
    assert rule["to"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "amazon-cloudwatch"}}}
    ]
    assert sorted(p["port"] for p in rule["ports"]) == [2000, 4316]
    namespace = tenant_manifests(traced, CIDRS)[0]
    assert namespace["metadata"]["annotations"] == {
        "instrumentation.opentelemetry.io/inject-java": "true"
    }


@pytest.mark.parametrize(
    ("annotations", "fragment"),
    [({"bad key!": "true"}, "namespace_annotations"), ({"ok/key": 1}, "give the value as text")],
)
def test_bad_namespace_annotations_are_refused(annotations: Any, fragment: str) -> None:
    spec = dataclasses.replace(SHOP, namespace_annotations=annotations)
    prop = (
        "tenants[0].namespace_annotations"
        if fragment == "namespace_annotations"
        else "tenants[0].namespace_annotations['ok/key']"
    )
    assert fragment in _refusal(prop, CIDRS, [spec])
