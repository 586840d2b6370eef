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
  allow ingress from the VPC CIDR, where load balancers with IP targets connect from; and
  either all egress (`open`) or only to the listed CIDRs (`restricted`).

The manifests come from `tenant_manifests`, a pure function, so tests validate them without
synth. Removing a tenant deletes its namespace and everything in it: the review report lists
a removed Namespace under the stateful resources at risk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

#: The label that marks a tenant namespace, with the tenant's name.
TENANT_LABEL = "eks-blueprint/tenant"


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


@dataclass(frozen=True, kw_only=True)
class TenantNamespacesProps:
    """The tenants of one cluster."""

    cluster: eks.ICluster
    """The cluster; it needs a kubectl provider."""
    load_balancer_cidrs: Sequence[str]
    """Where internet-facing load balancers connect from: the public subnets' CIDRs."""
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
    tenant: TenantSpec, load_balancer_cidrs: Sequence[str]
) -> list[dict[str, Any]]:
    """Namespace, ResourceQuota, LimitRange and NetworkPolicies of one tenant, in apply order."""
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
        _policy(
            "allow-from-load-balancers",
            ns,
            {
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"ipBlock": {"cidr": c}} for c in load_balancer_cidrs]}],
            },
        ),
    ]
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
