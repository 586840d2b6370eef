"""TenantNamespaces: one guarded namespace per tenant, with its roles, service accounts and
priority.

Once per cluster, in a manifest item of its own (`PriorityClasses`) applied before the
namespaces: a PriorityClass `tenant-<tier>` per tier of `TenantNamespacesProps.tiers`
(preemptionPolicy PreemptLowerPriority, never the global default). A tenant's pods get its
class by policy (eks_blueprint.governance), not here; values are 1 to 1,000,000, so every
tenant pod outranks pods without a class (priority 0) and every platform class above
1,000,000 (up to Kubernetes' user-definable maximum of 1,000,000,000) outranks every tenant.

For each tenant, one manifest item of the cluster's foundation layer (`Tenants/<Name>`: one
item per tenant, its id stable while the tenant keeps its name):

* a Namespace labelled with the Pod Security Standard to enforce, audit and warn on
  (`restricted` unless the tenant asks for `baseline`), `eks-blueprint/tenant` and the
  cost-allocation label `tenant` (split cost allocation data for EKS imports it);
* a ResourceQuota on CPU, memory, pods, storage, PVCs and LoadBalancer Services;
* a LimitRange that fills in container requests and limits (without them, a quota on CPU and
  memory makes Kubernetes refuse the pod);
* NetworkPolicies, enforced by the VPC CNI's network policy agent (on in the add-ons; not on
  Fargate): default deny for ingress and egress; allow within the namespace; allow DNS to
  CoreDNS; allow ingress from the load balancers of the schemes in the tenant's
  `ingress_from`; and either all egress (`open`) or only to the listed CIDRs (`restricted`);
* Roles `tenant-admin` and `tenant-viewer` (TENANT_ADMIN_RULES, TENANT_VIEWER_RULES): explicit
  verbs and resources, no wildcard. The admin runs the tenant's workloads but cannot change
  its guardrails (quota, LimitRange, NetworkPolicies) or RBAC, so it cannot grant itself more;
  the viewer reads the same objects except Secrets. ClusterAccess binds access-entry groups
  to them (`group_role` tenant-admin / tenant-viewer);
* its ServiceAccounts, `automountServiceAccountToken: false` unless asked: most pods never
  call the Kubernetes API, and a pod that does can still set it to true in its own spec.
  IRSA and Pod Identity credentials do not need the token (they mount their own).

Load balancers with IP targets connect to pods from their own subnets' addresses, so they
are admitted by those subnets' CIDRs: `internet-facing` ones from the public subnets,
`internal` ones from a subnet tier of their own (Network's `internal_load_balancer_subnet_mask`).
Never the VPC CIDR or the private subnets: the VPC CNI gives every pod an address there, so
admitting them would admit every pod of every tenant and undo default-deny.

Dedicated capacity is built elsewhere (a Karpenter NodePool from `tenant_node_pool`, or a
managed node group) with the taint and label of `dedicated_taint` / `dedicated_labels`;
`TenantSpec.dedicated` tells the policies to give the tenant's pods the toleration and node
affinity (`tenant_rules`).

The manifests come from `tenant_manifests` and `priority_class_manifests`, pure functions, so
tests validate them without synth. Removing a tenant deletes its namespace and everything in
it: the review report lists a removed Namespace under the stateful resources at risk.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from aws_cdk import Token
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from . import defaults
from .compute import defaults as compute_defaults
from .compute.karpenter.specs import NodePoolLimits, NodePoolRequirements, NodePoolSpec
from .compute.taints import Taint
from .config.base import check_label_key

# PriorityClass values a tier may take (TIER_VALUES: above 0, at most 1,000,000, so the
# platform's classes outrank every tenant) and the `tenant-<name>` naming, defined once.
from .config.tenancy import MAX_PREFIXED_NAME as MAX_PREFIXED_NAME
from .config.tenancy import TENANT_PREFIX as TENANT_PREFIX
from .config.tenancy import TIER_VALUES as TIER_VALUES
from .config.tenancy import priority_class_name as priority_class_name
from .governance.spec import COST_LABEL, DEDICATED_TAINT_EFFECT, TENANT_LABEL, TenantRules
from .ids import pascal_id
from .kubernetes import Applied, Layer
from .kubernetes_objects import pruned_manifest, require_kubectl_provider
from .validate_names import (
    POD_SECURITY_LEVELS,
    TENANT_COUNTS,
    PropError,
    check_choice,
    check_cidr,
    check_kubernetes_name,
    check_kubernetes_subdomain,
    check_prop,
    check_quantity,
    check_range,
    check_tenant_namespace,
    check_unique,
    quantity_value,
)

__all__ = [
    "COST_LABEL",
    "TENANT_LABEL",
    "PriorityTier",
    "ServiceAccountSpec",
    "TenantNamespaces",
    "TenantNamespacesProps",
    "TenantSpec",
    "dedicated_labels",
    "dedicated_taint",
    "priority_class_manifests",
    "priority_class_name",
    "tenant_manifests",
    "tenant_node_pool",
    "tenant_roles",
    "tenant_rules",
]

#: Where instrumented pods send traces: the CloudWatch agent of the cloudwatch-observability
#: add-on, and its ports (amazon-cloudwatch-agent-operator defaultinstrumentation.go: OTLP
#: over HTTP on 4316 for Application Signals, 2000 for X-Ray sampling rules).
TELEMETRY_NAMESPACE: Final = "amazon-cloudwatch"
TELEMETRY_PORTS: Final[tuple[int, ...]] = (4316, 2000)
#: A load balancer scheme, as in the AWS Load Balancer Controller's annotations.
LoadBalancerScheme = Literal["internet-facing", "internal"]
LOAD_BALANCER_SCHEMES: tuple[LoadBalancerScheme, ...] = ("internet-facing", "internal")
#: What a tenant's pods may reach: anything, or DNS, the namespace and `egress_cidrs` only.
EGRESS_MODES: tuple[str, ...] = ("open", "restricted")
#: The resources of a LimitRange default (requests and limits per container).
CONTAINER_RESOURCES: tuple[str, ...] = ("cpu", "memory")

#: The Roles in every tenant namespace that ClusterAccess binds groups to.
TENANT_ADMIN_ROLE: Final = "tenant-admin"
TENANT_VIEWER_ROLE: Final = "tenant-viewer"
#: The ServiceAccount annotation IRSA reads the role ARN from (amazon-eks-pod-identity-webhook).
IRSA_ROLE_ANNOTATION: Final = "eks.amazonaws.com/role-arn"

#: Verbs of a read-only rule.
READ_VERBS: Final[tuple[str, ...]] = ("get", "list", "watch")
#: Verbs of a read-write rule: every standard verb on an object, and none of the verbs that
#: grant more than the object (escalate, bind, impersonate) and no `*`.
WRITE_VERBS: Final[tuple[str, ...]] = (
    *READ_VERBS, "create", "update", "patch", "delete", "deletecollection",
)  # fmt: skip
#: (API group, resources) a tenant runs its workloads with. Left out on purpose: DaemonSets
#: (a per-node agent is the platform's, and would land on every node the tenant may use),
#: Roles and RoleBindings (a tenant admin could grant itself anything in the namespace),
#: ResourceQuotas, LimitRanges and NetworkPolicies (the platform's guardrails, read-only).
WORKLOAD_RESOURCES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("", ("configmaps", "persistentvolumeclaims", "pods", "serviceaccounts", "services")),
    ("apps", ("deployments", "replicasets", "statefulsets")),
    ("autoscaling", ("horizontalpodautoscalers",)),
    ("batch", ("cronjobs", "jobs")),
    ("networking.k8s.io", ("ingresses",)),
    ("policy", ("poddisruptionbudgets",)),
)
#: What both roles read and neither changes: events, endpoints, rollout history, pod metrics
#: and the guardrails, so a team sees why a pod is refused (quota, LimitRange) or cannot
#: connect (NetworkPolicies).
READ_ONLY_RESOURCES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("", ("endpoints", "events", "limitranges", "resourcequotas")),
    # StatefulSet and DaemonSet rollout history (`kubectl rollout history`).
    ("apps", ("controllerrevisions",)),
    # `kubectl top pods`, from metrics-server.
    ("metrics.k8s.io", ("pods",)),
    ("discovery.k8s.io", ("endpointslices",)),
    ("events.k8s.io", ("events",)),
    ("networking.k8s.io", ("networkpolicies",)),
)


def _rule(group: str, resources: Sequence[str], verbs: Sequence[str]) -> dict[str, Any]:
    return {"apiGroups": [group], "resources": list(resources), "verbs": list(verbs)}


#: Role `tenant-admin`: runs the tenant's workloads. Secrets are read and written (the
#: team's own credentials). pods/exec and pods/portforward take `get` and `create`: SPDY
#: requests are authorised as create, WebSocket ones (kubectl's default in recent releases,
#: KEP-4006) as get and, from Kubernetes 1.35, also as create (feature gate
#: AuthorizePodWebsocketUpgradeCreatePermission: kubernetes/kubernetes PR #134577).
#: pods/attach and pods/ephemeralcontainers (kubectl debug) are not granted: exec covers
#: debugging the team's own containers.
TENANT_ADMIN_RULES: Final[tuple[dict[str, Any], ...]] = (
    *(_rule(g, r, WRITE_VERBS) for g, r in WORKLOAD_RESOURCES),
    _rule("", ("secrets",), WRITE_VERBS),
    _rule("", ("pods/log",), ("get",)),
    _rule("", ("pods/exec", "pods/portforward"), ("get", "create")),
    _rule(
        "apps",
        ("deployments/scale", "replicasets/scale", "statefulsets/scale"),
        ("get", "update", "patch"),
    ),
    *(_rule(g, r, READ_VERBS) for g, r in READ_ONLY_RESOURCES),
)
#: Role `tenant-viewer`: reads what the admin works with, except Secrets (reading one is
#: using it), and pod logs; no exec or port-forward, which reach into running containers.
TENANT_VIEWER_RULES: Final[tuple[dict[str, Any], ...]] = (
    *(_rule(g, r, READ_VERBS) for g, r in WORKLOAD_RESOURCES),
    _rule("", ("pods/log",), ("get",)),
    *(_rule(g, r, READ_VERBS) for g, r in READ_ONLY_RESOURCES),
)


@dataclass(frozen=True, kw_only=True)
class PriorityTier:
    """A priority tier: the PriorityClass `tenant-<name>` its tenants' pods get."""

    name: str
    """Tier name, a Kubernetes name of at most 56 characters (the class is `tenant-<name>`),
    e.g. gold."""
    value: int
    """The class's priority, 1 to 1,000,000 (TIER_VALUES), each tier its own; higher
    preempts lower when the cluster is full."""
    description: str = ""
    """The class's description, what `kubectl get priorityclass -o yaml` shows; printable.
    Default: none."""


@dataclass(frozen=True, kw_only=True)
class ServiceAccountSpec:
    """A ServiceAccount in the tenant's namespace."""

    name: str
    """Its name, a Kubernetes name (lower-case DNS subdomain, at most 253 characters)."""
    automount_token: bool = False
    """`automountServiceAccountToken`: mount an API token into pods that use it. A pod can
    still ask for one in its own spec. Default: false."""
    annotations: Mapping[str, str] = field(default_factory=dict)
    """Annotations, e.g. `eks.amazonaws.com/role-arn` for IRSA (the value may be a token).
    Keys are Kubernetes qualified names. Default: none."""


@dataclass(frozen=True, kw_only=True)
class TenantSpec:
    """One tenant namespace."""

    name: str
    """Namespace name: a Kubernetes name (1-63 lower-case letters, digits, '-'), not one the
    cluster or its add-ons use (default, kube-*, karpenter...); also its tenant and cost
    labels."""
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
    priority_class: str | None = None
    """The PriorityClass its pods get when they name none (by policy: `tenant_rules`), one
    of the classes of `TenantNamespacesProps.tiers` (`tenant-<tier>`). Default: none."""
    dedicated: bool = False
    """The tenant has dedicated capacity, tainted and labelled `eks-blueprint/tenant=<name>`
    (`dedicated_taint`, `dedicated_labels`); its pods get the toleration and node affinity
    by policy. Default: false (shared nodes)."""
    service_accounts: Sequence[ServiceAccountSpec] = ()
    """ServiceAccounts in the namespace, names unique. Default: none."""
    telemetry_egress: bool = False
    """Allow egress to the CloudWatch agent (namespace amazon-cloudwatch, TCP 4316 for OTLP
    traces and metrics, TCP 2000 for X-Ray sampling), where Application Signals instruments
    the tenant's pods: without it, `egress: restricted` drops their traces. Default: false."""
    namespace_annotations: Mapping[str, str] = field(default_factory=dict)
    """Annotations of the Namespace, e.g. `observability.tenant_namespace_annotations("java")`
    for Application Signals to instrument the tenant's new pods. Default: none."""


@dataclass(frozen=True, kw_only=True)
class TenantNamespacesProps:
    """The tenants of one cluster."""

    cluster: eks.ICluster
    """The cluster; it must take Kubernetes objects: a ControlPlane's Kubernetes layers (the
    default) or an eks.Cluster with aws_eks_v2's kubectl provider."""
    load_balancer_cidrs: Mapping[LoadBalancerScheme, Sequence[str]]
    """Where load balancers of each scheme connect from: `internet-facing` -> the public
    subnets' CIDRs, `internal` -> the CIDRs of a subnet tier for internal load balancers
    only (never the subnets pods live in). A scheme a tenant's `ingress_from` names must
    have at least one CIDR here."""
    tenants: Sequence[TenantSpec]
    """The tenants; at least one, names unique."""
    tiers: Sequence[PriorityTier] = ()
    """Priority tiers: one PriorityClass `tenant-<name>` each, applied before the
    namespaces; names and values unique. Default: none."""


class TenantNamespaces(Construct):
    """A guarded namespace per tenant, and the tiers' PriorityClasses (see the module
    docstring)."""

    def __init__(self, scope: Construct, id: str, *, props: TenantNamespacesProps) -> None:
        super().__init__(scope, id)
        check_tenants(self.node.path, props)
        require_kubectl_provider(
            self.node.path,
            "TenantNamespacesProps.cluster",
            props.cluster,
            "TenantNamespaces applies manifests",
        )
        #: The tiers' PriorityClasses; None without tiers. Cluster-scoped, so one manifest
        #: for all tenants, applied before them (their pods may name a class at once).
        self.priority_classes: Applied | None = None
        if props.tiers:
            self.priority_classes = pruned_manifest(
                self,
                PRIORITY_CLASSES_ID,
                props.cluster,
                priority_class_manifests(props.tiers),
                layer=Layer.FOUNDATION,
                overwrite=True,
            )
        #: Tenant name -> its manifest (construct id from the name, so ids stay stable).
        self.manifests: dict[str, Applied] = {}
        for tenant in props.tenants:
            # Removing a policy or the quota from the list removes it from the cluster.
            manifest = pruned_manifest(
                self,
                pascal_id(tenant.name),
                props.cluster,
                tenant_manifests(tenant, props.load_balancer_cidrs),
                layer=Layer.FOUNDATION,
                overwrite=True,
            )
            if self.priority_classes is not None:
                manifest.node.add_dependency(self.priority_classes)
            self.manifests[tenant.name] = manifest


#: Construct id of the PriorityClasses manifest (no tenant may be named priority-classes).
PRIORITY_CLASSES_ID: Final = "PriorityClasses"


def dedicated_taint(tenant: str) -> Taint:
    """The taint of a tenant's dedicated capacity: `eks-blueprint/tenant=<tenant>:NoSchedule`;
    only pods that tolerate it (the tenant's, by policy) are scheduled there."""
    return Taint(TENANT_LABEL, DEDICATED_TAINT_EFFECT, tenant)


def dedicated_labels(tenant: str) -> dict[str, str]:
    """The node labels of a tenant's dedicated capacity, which its pods' node affinity
    requires: `eks-blueprint/tenant: <tenant>`."""
    return {TENANT_LABEL: tenant}


def tenant_node_pool(
    tenant: str,
    *,
    cpu: int,
    memory: str,
    node_class: str = compute_defaults.NODE_CLASS,
    capacity_types: Sequence[str] = compute_defaults.CAPACITY_TYPES,
    architectures: Sequence[str] = compute_defaults.ARCHITECTURES,
    min_vcpus: int | None = None,
) -> NodePoolSpec:
    """The Karpenter NodePool `tenant-<tenant>` of a tenant's dedicated capacity, for
    `Karpenter.add_node_pool` (which validates it): nodes tainted and labelled for the
    tenant (`dedicated_taint`, `dedicated_labels`), at most `cpu` vCPUs and `memory` in total.

    Other tenants' pods do not tolerate the taint, so they never land there; the tenant's
    pods require the label, so they never land on other pools' nodes.
    """
    return NodePoolSpec(
        name=f"{TENANT_PREFIX}{tenant}",
        node_class=node_class,
        requirements=NodePoolRequirements(
            capacity_types=tuple(capacity_types),
            architectures=tuple(architectures),
            min_vcpus=min_vcpus,
        ),
        limits=NodePoolLimits(cpu=cpu, memory=memory),
        labels=dedicated_labels(tenant),
        taints=(dedicated_taint(tenant),),
    )


def tenant_rules(tenant: TenantSpec) -> TenantRules:
    """What the cluster's policies do for this tenant (governance `PolicySet.tenants`), from
    the same spec its namespace is built from."""
    return TenantRules(
        name=tenant.name,
        pod_security=tenant.pod_security,
        priority_class=tenant.priority_class,
        dedicated=tenant.dedicated,
    )


def node_pool_cpu(quantity: str) -> int:
    """A CPU quantity as whole vCPUs for a NodePool limit, rounded up ("500m" -> 1)."""
    return max(1, math.ceil(quantity_value(quantity)))


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
    classes = _check_tiers(path, props.tiers)
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
        if pascal_id(tenant.name) == PRIORITY_CLASSES_ID:
            raise PropError(
                path,
                f"{at}.name",
                tenant.name,
                f"its construct id would be {PRIORITY_CLASSES_ID}, the id of the tiers' "
                "manifest; choose another name",
            )
        if tenant.priority_class is not None and tenant.priority_class not in classes:
            raise PropError(
                path,
                f"{at}.priority_class",
                tenant.priority_class,
                "not a class of TenantNamespacesProps.tiers ("
                + (", ".join(classes) or "no tiers")
                + "); add a PriorityTier for it or name one of those",
            )
        names.append(tenant.name)
    _check_load_balancer_cidrs(path, props)


def _check_tiers(path: str, tiers: Sequence[PriorityTier]) -> list[str]:
    """The tiers' class names, after refusing a bad or repeated tier."""
    names: list[str] = []
    values: list[int] = []
    longest = MAX_PREFIXED_NAME
    for index, tier in enumerate(tiers):
        at = f"TenantNamespacesProps.tiers[{index}]"
        check_prop(path, f"{at}.name", tier.name, check_kubernetes_name)
        if len(tier.name) > longest:
            raise PropError(
                path,
                f"{at}.name",
                tier.name,
                f"longer than {longest} characters: the PriorityClass "
                f"{priority_class_name(tier.name)} would not be a Kubernetes name; shorten it",
            )
        check_prop(path, f"{at}.value", tier.value, check_range, *TIER_VALUES)
        if not isinstance(tier.description, str) or not tier.description.isprintable():
            raise PropError(
                path,
                f"{at}.description",
                tier.description,
                "give one line of printable text (no control or invisible characters)",
            )
        if tier.name in names:
            raise PropError(
                path,
                f"{at}.name",
                tier.name,
                f"also the name of tiers[{names.index(tier.name)}]; each tier needs its own name",
            )
        if tier.value in values:
            raise PropError(
                path,
                f"{at}.value",
                tier.value,
                f"also the value of tiers[{values.index(tier.value)}]; each tier needs its own "
                "value (equal priorities would not order the tiers)",
            )
        names.append(tier.name)
        values.append(tier.value)
    return [priority_class_name(n) for n in names]


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
    if not isinstance(tenant.dedicated, bool):
        raise PropError(path, f"{at}.dedicated", tenant.dedicated, "give True or False")
    _check_service_accounts(path, at, tenant.service_accounts)
    for key, value in tenant.namespace_annotations.items():
        check_prop(path, f"{at}.namespace_annotations", key, check_label_key)
        if not isinstance(value, str):
            raise PropError(
                path, f"{at}.namespace_annotations[{key!r}]", value, "give the value as text"
            )


def _check_service_accounts(path: str, at: str, accounts: Sequence[ServiceAccountSpec]) -> None:
    for index, account in enumerate(accounts):
        where = f"{at}.service_accounts[{index}]"
        check_prop(path, f"{where}.name", account.name, check_kubernetes_subdomain)
        if not isinstance(account.automount_token, bool):
            raise PropError(
                path, f"{where}.automount_token", account.automount_token, "give True or False"
            )
        for key, value in account.annotations.items():
            check_prop(path, f"{where}.annotations", key, check_label_key)
            if not isinstance(value, str):
                raise PropError(
                    path, f"{where}.annotations[{key!r}]", value, "give the value as text"
                )
    check_prop(path, f"{at}.service_accounts", [a.name for a in accounts], check_unique)


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
                    + (
                        " (a tier of their own: Network's internal_load_balancer_subnet_mask)"
                        if scheme == "internal"
                        else " (the public subnets)"
                    ),
                )


def priority_class_manifests(tiers: Sequence[PriorityTier]) -> list[dict[str, Any]]:
    """One PriorityClass `tenant-<tier>` per tier, highest value first: never the global
    default (pods outside tenant namespaces keep priority 0), preempting lower priorities."""
    return [
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {
                "name": priority_class_name(tier.name),
                "labels": {"app.kubernetes.io/managed-by": "eks-blueprint"},
            },
            "value": tier.value,
            "globalDefault": False,
            "preemptionPolicy": "PreemptLowerPriority",
            "description": tier.description
            or f"Pods of tenants in the {tier.name} tier (eks-blueprint).",
        }
        for tier in sorted(tiers, key=lambda t: -t.value)
    ]


def tenant_roles(namespace: str) -> list[dict[str, Any]]:
    """Roles `tenant-admin` and `tenant-viewer` in a tenant's namespace (see the rules)."""
    return [
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/managed-by": "eks-blueprint"},
            },
            "rules": [{key: list(value) for key, value in rule.items()} for rule in rules],
        }
        for name, rules in (
            (TENANT_ADMIN_ROLE, TENANT_ADMIN_RULES),
            (TENANT_VIEWER_ROLE, TENANT_VIEWER_RULES),
        )
    ]


def _service_account(namespace: str, account: ServiceAccountSpec) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "name": account.name,
        "namespace": namespace,
        "labels": {TENANT_LABEL: namespace, COST_LABEL: namespace},
    }
    if account.annotations:
        metadata["annotations"] = dict(account.annotations)
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata,
        "automountServiceAccountToken": account.automount_token,
    }


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
    """Namespace, ResourceQuota, LimitRange, NetworkPolicies, Roles and ServiceAccounts of
    one tenant, in apply order.

    `allow-from-load-balancers` admits the CIDRs of every scheme in `tenant.ingress_from`
    (internet-facing first); without any, the policy is left out, because an ingress rule
    with an empty `from` would admit every source.
    """
    ns = tenant.name
    level = tenant.pod_security
    labels = {
        TENANT_LABEL: ns,
        COST_LABEL: ns,
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
    if tenant.telemetry_egress:
        policies.append(
            _policy(
                "allow-telemetry",
                ns,
                {
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [
                                {
                                    "namespaceSelector": {
                                        "matchLabels": {
                                            "kubernetes.io/metadata.name": TELEMETRY_NAMESPACE
                                        }
                                    }
                                }
                            ],
                            "ports": [
                                {"protocol": "TCP", "port": port} for port in TELEMETRY_PORTS
                            ],
                        }
                    ],
                },
            )
        )
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
    namespace_metadata: dict[str, Any] = {"name": ns, "labels": labels}
    if tenant.namespace_annotations:
        namespace_metadata["annotations"] = dict(tenant.namespace_annotations)
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": namespace_metadata},
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
        *tenant_roles(ns),
        *(_service_account(ns, account) for account in tenant.service_accounts),
    ]
