"""TenantNamespaces: one guarded namespace per tenant.

For each tenant, in one KubernetesManifest (one custom resource per tenant, applied by the
cluster's kubectl provider):

* a Namespace labelled with the Pod Security Standard to enforce, audit and warn on
  (`restricted` unless the tenant asks for `baseline`), and `eks-blueprint/tenant`;
* a ResourceQuota on CPU, memory, pods, storage, PVCs and LoadBalancer Services;
* a LimitRange that fills in container requests and limits (without them, a quota on CPU and
  memory makes Kubernetes refuse the pod);
* NetworkPolicies, enforced by the VPC CNI's network policy agent (on in the add-ons):
  default deny for ingress and egress; allow within the namespace; allow DNS to CoreDNS;
  allow ingress from the load balancers of the schemes in the tenant's `ingress_from`; and
  either all egress (`open`) or only to the listed CIDRs (`restricted`).

Load balancers with IP targets connect to pods from their own subnets' addresses, so they
are admitted by those subnets' CIDRs: `internet-facing` ones from the public subnets,
`internal` ones from a subnet tier of their own (Network's `internal_load_balancer_subnet_mask`).
Never the VPC CIDR or the private subnets: the VPC CNI gives every pod an address there, so
admitting them would admit every pod of every tenant and undo default-deny.

The manifests come from `tenant_manifests`, a pure function, so tests validate them without
synth. Removing a tenant deletes its namespace and everything in it: the review report lists
a removed Namespace under the stateful resources at risk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_cdk import Token
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from . import defaults
from .ids import pascal_id
from .kubernetes_objects import pruned_manifest, require_kubectl_provider
from .validate_names import (
    POD_SECURITY_LEVELS,
    TENANT_COUNTS,
    PropError,
    check_choice,
    check_cidr,
    check_prop,
    check_quantity,
    check_range,
    check_tenant_namespace,
    check_unique,
    quantity_value,
)

#: The label that marks a tenant namespace, with the tenant's name.
TENANT_LABEL = "eks-blueprint/tenant"

#: A load balancer scheme, as in the AWS Load Balancer Controller's annotations.
LoadBalancerScheme = Literal["internet-facing", "internal"]
LOAD_BALANCER_SCHEMES: tuple[LoadBalancerScheme, ...] = ("internet-facing", "internal")
#: What a tenant's pods may reach: anything, or DNS, the namespace and `egress_cidrs` only.
EGRESS_MODES: tuple[str, ...] = ("open", "restricted")
#: The resources of a LimitRange default (requests and limits per container).
CONTAINER_RESOURCES: tuple[str, ...] = ("cpu", "memory")


@dataclass(frozen=True, kw_only=True)
class TenantSpec:
    """One tenant namespace."""

    name: str
    """Namespace name: a Kubernetes name (1-63 lower-case letters, digits, '-'), not one the
    cluster or its add-ons use (default, kube-*, karpenter...); also its tenant label."""
    cpu: str
    """Quota: CPU requests and limits of all pods together, a Kubernetes quantity ("20")."""
    memory: str
    """Quota: memory requests and limits of all pods together, a quantity ("64Gi")."""
    pods: int = defaults.TENANT_PODS
    """Quota: pods, 1 to 10000. Default: 100."""
    storage: str = defaults.TENANT_STORAGE
    """Quota: requested persistent storage, a quantity. Default: 100Gi."""
    persistent_volume_claims: int = defaults.TENANT_PERSISTENT_VOLUME_CLAIMS
    """Quota: PersistentVolumeClaims, 0 to 10000. Default: 20."""
    load_balancers: int = defaults.TENANT_LOAD_BALANCERS
    """Quota: Services of type LoadBalancer, 0 to 100. Default: 2."""
    pod_security: Literal["restricted", "baseline"] = defaults.TENANT_POD_SECURITY
    """Pod Security Standard enforced, audited and warned on. Default: restricted."""
    default_requests: dict[str, str] = field(
        default_factory=lambda: dict(defaults.CONTAINER_REQUESTS)
    )
    """LimitRange default requests per container (cpu, memory), each within its limit.
    Default: 100m CPU, 128Mi memory."""
    default_limits: dict[str, str] = field(default_factory=lambda: dict(defaults.CONTAINER_LIMITS))
    """LimitRange default limits per container (cpu, memory), each within the quota.
    Default: 500m CPU, 512Mi memory."""
    egress: Literal["open", "restricted"] = defaults.TENANT_EGRESS
    """`open`: any egress; `restricted`: DNS, the namespace and `egress_cidrs` only.
    Default: open."""
    egress_cidrs: Sequence[str] = ()
    """Further egress destinations (IPv4 CIDRs, each once), only with `restricted`.
    Default: none."""
    ingress_from: Sequence[LoadBalancerScheme] = defaults.TENANT_INGRESS_FROM
    """Load balancers whose traffic (and health checks) reach the pods, by scheme: each
    admits that scheme's CIDRs from `TenantNamespacesProps.load_balancer_cidrs`. Default:
    internet-facing only; empty: no load balancer reaches the tenant."""


@dataclass(frozen=True, kw_only=True)
class TenantNamespacesProps:
    """The tenants of one cluster."""

    cluster: eks.ICluster
    """The cluster; it needs a kubectl provider."""
    load_balancer_cidrs: Mapping[LoadBalancerScheme, Sequence[str]]
    """Where load balancers of each scheme connect from: `internet-facing` -> the public
    subnets' CIDRs, `internal` -> the CIDRs of a subnet tier for internal load balancers
    only (never the subnets pods live in). A scheme a tenant's `ingress_from` names must
    have at least one CIDR here."""
    tenants: Sequence[TenantSpec]
    """The tenants; at least one, names unique."""


class TenantNamespaces(Construct):
    """A guarded namespace per tenant (see the module docstring)."""

    def __init__(self, scope: Construct, id: str, *, props: TenantNamespacesProps) -> None:
        super().__init__(scope, id)
        check_tenants(self.node.path, props)
        require_kubectl_provider(self.node.path, "TenantNamespacesProps.cluster", props.cluster,
                                 "TenantNamespaces applies manifests")
        #: Tenant name -> its manifest (construct id from the name, so ids stay stable).
        self.manifests: dict[str, eks.KubernetesManifest] = {
            # Removing a policy or the quota from the list removes it from the cluster.
            tenant.name: pruned_manifest(
                self,
                pascal_id(tenant.name),
                props.cluster,
                tenant_manifests(tenant, props.load_balancer_cidrs),
                overwrite=True,
            )
            for tenant in props.tenants
        }


def check_tenants(path: str, props: TenantNamespacesProps) -> None:
    """Refuse what Kubernetes or the `tenants:` config refuses, naming the construct at
    `path`, the tenant's field and the bad value."""
    if not props.tenants:
        raise PropError(
            path,
            "TenantNamespacesProps.tenants",
            list(props.tenants),
            "TenantNamespaces needs at least one tenant",
        )
    names: list[str] = []
    for index, tenant in enumerate(props.tenants):
        at = f"TenantNamespacesProps.tenants[{index}]"
        _check_tenant(path, at, tenant)
        if tenant.name in names:
            raise PropError(
                path,
                f"{at}.name",
                tenant.name,
                f"also the name of tenants[{names.index(tenant.name)}]; tenant names must be "
                "unique",
            )
        names.append(tenant.name)
    _check_load_balancer_cidrs(path, props)


def _check_tenant(path: str, at: str, tenant: TenantSpec) -> None:
    check_prop(path, f"{at}.name", tenant.name, check_tenant_namespace)
    for name in ("cpu", "memory", "storage"):
        check_prop(path, f"{at}.{name}", getattr(tenant, name), check_quantity)
    for name, (low, high) in TENANT_COUNTS.items():
        check_prop(path, f"{at}.{name}", getattr(tenant, name), check_range, low, high)
    check_prop(path, f"{at}.pod_security", tenant.pod_security, check_choice, POD_SECURITY_LEVELS)
    for kind in ("default_requests", "default_limits"):
        values = dict(getattr(tenant, kind))
        if sorted(values) != sorted(CONTAINER_RESOURCES):
            raise PropError(
                path,
                f"{at}.{kind}",
                values,
                'give exactly cpu and memory, e.g. {"cpu": "100m", "memory": "128Mi"}',
            )
        for resource, quantity in values.items():
            check_prop(path, f"{at}.{kind}[{resource!r}]", quantity, check_quantity)
    for resource in CONTAINER_RESOURCES:
        request = tenant.default_requests[resource]
        limit = tenant.default_limits[resource]
        if quantity_value(request) > quantity_value(limit):
            raise PropError(
                path,
                f"{at}.default_requests[{resource!r}]",
                request,
                f"more than default_limits[{resource!r}] {limit}; a request must not exceed "
                "its limit",
            )
        total = getattr(tenant, resource)
        if quantity_value(limit) > quantity_value(total):
            raise PropError(
                path,
                f"{at}.default_limits[{resource!r}]",
                limit,
                f"more than the quota {resource} {total}: not even one default container "
                "would fit; raise the quota or lower the limit",
            )
    check_prop(path, f"{at}.egress", tenant.egress, check_choice, EGRESS_MODES)
    for i, cidr in enumerate(tenant.egress_cidrs):
        if not Token.is_unresolved(cidr):
            check_prop(path, f"{at}.egress_cidrs[{i}]", cidr, check_cidr)
    check_prop(path, f"{at}.egress_cidrs", list(tenant.egress_cidrs), check_unique)
    if tenant.egress_cidrs and tenant.egress == "open":
        raise PropError(
            path,
            f"{at}.egress_cidrs",
            list(tenant.egress_cidrs),
            "egress_cidrs only apply with egress='restricted' (open egress allows everything); "
            "remove them or restrict egress",
        )
    for i, scheme in enumerate(tenant.ingress_from):
        check_prop(path, f"{at}.ingress_from[{i}]", scheme, check_choice, LOAD_BALANCER_SCHEMES)
    check_prop(path, f"{at}.ingress_from", list(tenant.ingress_from), check_unique)


def _check_load_balancer_cidrs(path: str, props: TenantNamespacesProps) -> None:
    where = "TenantNamespacesProps.load_balancer_cidrs"
    for scheme, cidrs in props.load_balancer_cidrs.items():
        check_prop(path, where, scheme, check_choice, LOAD_BALANCER_SCHEMES)
        for cidr in cidrs:
            if not Token.is_unresolved(cidr):  # else resolved by CloudFormation
                check_prop(path, f"{where}[{scheme!r}]", cidr, check_cidr)
    for index, tenant in enumerate(props.tenants):
        for scheme in tenant.ingress_from:
            if not props.load_balancer_cidrs.get(scheme):
                raise PropError(
                    path,
                    f"TenantNamespacesProps.tenants[{index}].ingress_from",
                    list(tenant.ingress_from),
                    f"admits {scheme} load balancers, but {where} has no CIDRs for "
                    f"{scheme!r}; pass the subnets those load balancers use"
                    + (" (a tier of their own: Network's internal_load_balancer_subnet_mask)"
                       if scheme == "internal" else " (the public subnets)"),
                )


def _policy(name: str, namespace: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"podSelector": {}, **spec},
    }


def tenant_manifests(
    tenant: TenantSpec, load_balancer_cidrs: Mapping[LoadBalancerScheme, Sequence[str]]
) -> list[dict[str, Any]]:
    """Namespace, ResourceQuota, LimitRange and NetworkPolicies of one tenant, in apply order.

    `allow-from-load-balancers` admits the CIDRs of every scheme in `tenant.ingress_from`
    (internet-facing first); without any, the policy is left out, because an ingress rule
    with an empty `from` would admit every source.
    """
    ns = tenant.name
    level = tenant.pod_security
    labels = {
        TENANT_LABEL: ns,
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/audit": level,
        "pod-security.kubernetes.io/warn": level,
    }
    same_namespace: list[dict[str, Any]] = [{"podSelector": {}}]
    dns = {
        "to": [
            {
                "namespaceSelector": {
                    "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                },
                "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
            }
        ],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }
    if tenant.egress == "open":
        egress_rule: dict[str, Any] = {}  # an empty rule allows every destination
    else:
        egress_rule = {"to": [{"ipBlock": {"cidr": c}} for c in tenant.egress_cidrs]}
    policies = [
        _policy("default-deny", ns, {"policyTypes": ["Ingress", "Egress"]}),
        _policy(
            "allow-same-namespace",
            ns,
            {
                "policyTypes": ["Ingress", "Egress"],
                "ingress": [{"from": same_namespace}],
                "egress": [{"to": same_namespace}],
            },
        ),
        _policy("allow-dns", ns, {"policyTypes": ["Egress"], "egress": [dns]}),
    ]
    admitted = [
        cidr
        for scheme in LOAD_BALANCER_SCHEMES
        if scheme in tenant.ingress_from
        for cidr in load_balancer_cidrs.get(scheme, ())
    ]
    if admitted:
        policies.append(
            _policy(
                "allow-from-load-balancers",
                ns,
                {
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"ipBlock": {"cidr": c}} for c in admitted]}],
                },
            )
        )
    if tenant.egress == "open" or tenant.egress_cidrs:
        policies.append(
            _policy("allow-egress", ns, {"policyTypes": ["Egress"], "egress": [egress_rule]})
        )
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}},
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "tenant-quota", "namespace": ns},
            "spec": {
                "hard": {
                    "requests.cpu": tenant.cpu,
                    "limits.cpu": tenant.cpu,
                    "requests.memory": tenant.memory,
                    "limits.memory": tenant.memory,
                    "pods": str(tenant.pods),
                    "requests.storage": tenant.storage,
                    "persistentvolumeclaims": str(tenant.persistent_volume_claims),
                    "services.loadbalancers": str(tenant.load_balancers),
                }
            },
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "container-defaults", "namespace": ns},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "defaultRequest": dict(tenant.default_requests),
                        "default": dict(tenant.default_limits),
                    }
                ]
            },
        },
        *policies,
    ]
