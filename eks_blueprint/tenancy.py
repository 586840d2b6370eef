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

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_cdk import Token
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

#: The label that marks a tenant namespace, with the tenant's name.
TENANT_LABEL = "eks-blueprint/tenant"

#: A load balancer scheme, as in the AWS Load Balancer Controller's annotations.
LoadBalancerScheme = Literal["internet-facing", "internal"]
LOAD_BALANCER_SCHEMES: tuple[LoadBalancerScheme, ...] = ("internet-facing", "internal")


@dataclass(frozen=True, kw_only=True)
class TenantSpec:
    """One tenant namespace."""

    name: str
    """Namespace name."""
    cpu: str
    """Quota: CPU requests and limits of all pods together."""
    memory: str
    """Quota: memory requests and limits of all pods together."""
    pods: int = 100
    """Quota: pods."""
    storage: str = "100Gi"
    """Quota: requested persistent storage."""
    persistent_volume_claims: int = 20
    """Quota: PersistentVolumeClaims."""
    load_balancers: int = 2
    """Quota: Services of type LoadBalancer."""
    pod_security: Literal["restricted", "baseline"] = "restricted"
    """Pod Security Standard enforced, audited and warned on."""
    default_requests: dict[str, str] = field(
        default_factory=lambda: {"cpu": "100m", "memory": "128Mi"}
    )
    """LimitRange default requests per container."""
    default_limits: dict[str, str] = field(
        default_factory=lambda: {"cpu": "500m", "memory": "512Mi"}
    )
    """LimitRange default limits per container."""
    egress: Literal["open", "restricted"] = "open"
    """`open`: any egress; `restricted`: DNS, the namespace and `egress_cidrs` only."""
    egress_cidrs: Sequence[str] = ()
    """Further egress destinations with `restricted`."""
    ingress_from: Sequence[LoadBalancerScheme] = ("internet-facing",)
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
        if not props.tenants:
            raise ValueError("TenantNamespaces needs at least one tenant")
        names = [t.name for t in props.tenants]
        if len(set(names)) != len(names):
            raise ValueError(f"tenant names must be unique, got {names}")
        if props.cluster.kubectl_provider is None:
            raise ValueError(
                "TenantNamespaces applies manifests: give the cluster a kubectl provider "
                "(ControlPlaneProps.kubectl_layer)"
            )
        _check_load_balancer_cidrs(props)
        #: Tenant name -> its manifest (construct id from the name, so ids stay stable).
        self.manifests: dict[str, eks.KubernetesManifest] = {
            tenant.name: eks.KubernetesManifest(
                self,
                _pascal(tenant.name),
                cluster=props.cluster,
                manifest=tenant_manifests(tenant, props.load_balancer_cidrs),
                # Removing a policy or the quota from the list removes it from the cluster.
                prune=True,
                overwrite=True,
            )
            for tenant in props.tenants
        }


def _check_load_balancer_cidrs(props: TenantNamespacesProps) -> None:
    where = "TenantNamespaces: TenantNamespacesProps.load_balancer_cidrs"
    for scheme, cidrs in props.load_balancer_cidrs.items():
        if scheme not in LOAD_BALANCER_SCHEMES:
            raise ValueError(
                f"{where}: unknown scheme {scheme!r}; use {' or '.join(LOAD_BALANCER_SCHEMES)}"
            )
        for cidr in cidrs:
            if Token.is_unresolved(cidr):
                continue  # resolved by CloudFormation
            try:
                ipaddress.IPv4Network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(
                    f"{where}[{scheme!r}]: {cidr!r} is not an IPv4 CIDR ({exc})"
                ) from None
    for tenant in props.tenants:
        for scheme in tenant.ingress_from:
            if scheme not in LOAD_BALANCER_SCHEMES:
                raise ValueError(
                    f"TenantNamespaces: tenant {tenant.name!r}: TenantSpec.ingress_from has "
                    f"unknown scheme {scheme!r}; use {' or '.join(LOAD_BALANCER_SCHEMES)}"
                )
            if not props.load_balancer_cidrs.get(scheme):
                raise ValueError(
                    f"TenantNamespaces: tenant {tenant.name!r}: TenantSpec.ingress_from admits "
                    f"{scheme} load balancers, but {where} has no CIDRs for {scheme!r}; pass "
                    "the subnets those load balancers use"
                    + (" (a tier of their own: Network's internal_load_balancer_subnet_mask)"
                       if scheme == "internal" else " (the public subnets)")
                )


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part)


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
