"""The `tenants:` section: one guarded namespace per team or customer, and the
`tenant_tiers:` its pods are prioritised by.

Each tenant gets a namespace with Pod Security Standards labels, the cost label `tenant`, a
ResourceQuota, LimitRange defaults, default-deny network policies, the Roles tenant-admin
and tenant-viewer, and its service accounts (eks_blueprint/tenancy.py builds them). Who may
use the namespace stays in `access:` (`group_role: tenant-admin` binds a team's group to the
namespace's Role), and what its pods may do in AWS in `workload_identities:` (each
identity in a tenant namespace also gets its ServiceAccount here).

Isolation: `shared` nodes; `dedicated` capacity (a Karpenter NodePool `tenant-<name>`, or a
managed node group the file taints and labels for the tenant) that only the tenant's pods
tolerate; or `fargate`, a Fargate profile `tenant-<name>` for the namespace. On Fargate the
VPC CNI's network policy agent does not run, so NetworkPolicies are not enforced: the file
must say it knows (`fargate_acknowledgement`).

The cross-section rules are functions the environment calls: `check_tenant_tiers`,
`check_tenant_capacity` (against `compute:`) and `check_tenant_service_accounts` (against
`workload_identities:`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final, Literal

from pydantic import Field, field_validator, model_validator

from .. import defaults
from .. import validation as v
from ..governance.spec import TENANT_LABEL
from ..validate_names import RESERVED_NAMESPACES as RESERVED_NAMESPACES
from ..validate_names import (
    TENANT_COUNTS,
    check_kubernetes_name,
    check_kubernetes_subdomain,
    check_tenant_namespace,
)
from ..validate_names import quantity_value as quantity_value
from .base import Cidr, FieldError, RetentionDays, StrictModel, first_duplicate
from .compute import (
    Architecture,
    CapacityType,
    ComputeConfig,
    Namespace,
    NodeGroupConfig,
    Quantity,
    ResourceName,
    _architectures,
    _capacity_types,
)
from .identity import WorkloadIdentityConfig
from .observability import TraceLanguage

LoadBalancerScheme = Literal["internet-facing", "internal"]
Isolation = Literal["shared", "dedicated", "fargate"]

#: The label key (and taint key) of a tenant's dedicated nodes: the tenant label.
TENANT_NODE_KEY = TENANT_LABEL
#: Prefix of a tier's PriorityClass and of a tenant's NodePool and Fargate profile: the one
#: definition (eks_blueprint.tenancy and the translation use it).
TENANT_PREFIX: Final = "tenant-"
#: Longest name that still makes `tenant-<name>` a 63-character Kubernetes name.
MAX_PREFIXED_NAME = 63 - len(TENANT_PREFIX)
#: A tier's priority: above pods without a class (0), at most 1,000,000 so that platform
#: classes (up to Kubernetes' user-definable maximum 1,000,000,000, kubernetes/kubernetes
#: pkg/apis/scheduling/types.go HighestUserDefinablePriority) outrank every tenant.
TIER_VALUES: Final[tuple[int, int]] = (1, 1_000_000)
#: The one accepted acknowledgement of a Fargate tenant.
FARGATE_ACKNOWLEDGEMENT = "network-policies-not-enforced"
#: Why a Fargate tenant needs it (the error and the README say this).
FARGATE_WHY = (
    "on Fargate the VPC CNI network policy agent does not run (EKS applies network policies "
    "to EC2 Linux nodes only), so the tenant's default-deny NetworkPolicies are not "
    "enforced: its pods accept connections from any pod and reach anything the subnets "
    "reach; control their traffic with security groups for pods instead"
)



def priority_class_name(tier: str) -> str:
    """The PriorityClass of a tier: `gold` -> `tenant-gold`."""
    return f"{TENANT_PREFIX}{tier}"

def _internet_facing() -> list[LoadBalancerScheme]:
    return list(defaults.TENANT_INGRESS_FROM)


def _check_prefixed_name(value: str) -> str:
    """A Kubernetes name short enough to follow `tenant-` in a 63-character name."""
    check_kubernetes_name(value)
    if len(value) > MAX_PREFIXED_NAME:
        raise ValueError(
            f"at most {MAX_PREFIXED_NAME} characters: {TENANT_PREFIX}{value} must stay a "
            "63-character Kubernetes name"
        )
    return value


class TenantTierConfig(StrictModel):
    """A priority tier: the PriorityClass `tenant-<name>` its tenants' pods get by default."""

    name: str
    """Tier name, a Kubernetes name of at most 56 characters, e.g. gold."""
    value: int = Field(ge=TIER_VALUES[0], le=TIER_VALUES[1])
    """Priority, 1 to 1,000,000, each tier its own: a pending pod of a higher tier preempts
    pods of lower ones. At most 1,000,000 so that the platform's own classes (up to
    Kubernetes' 1,000,000,000) always outrank tenants."""
    description: str = ""
    """What the tier is for (the PriorityClass's description). Default: none."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _check_prefixed_name(value)

    @field_validator("description")
    @classmethod
    def _printable(cls, value: str) -> str:
        if not value.isprintable():
            raise ValueError("one line of printable text (no control or invisible characters)")
        return value


def default_tiers() -> list[TenantTierConfig]:
    """gold (100000), silver (10000) and bronze (1000): an order of magnitude apart, so tiers
    can be added between them."""
    return [
        TenantTierConfig(
            name="gold", value=100_000, description="Customer-facing tenants: preempt the rest"
        ),
        TenantTierConfig(name="silver", value=10_000, description="Default tier of tenants"),
        TenantTierConfig(
            name="bronze", value=1_000, description="Batch and best-effort tenants: preempted first"
        ),
    ]


class DedicatedCapacityConfig(StrictModel):
    """Capacity only the tenant's pods use: tainted and labelled `eks-blueprint/tenant=<name>`.

    By default a Karpenter NodePool `tenant-<name>` (needs compute.karpenter), whose limits
    are the tenant's quota plus `headroom_percent`; or, with `node_group`, a managed node
    group of compute.node_groups that carries the taint and label itself."""

    node_group: ResourceName | None = None
    """A compute.node_groups entry to use instead of a NodePool. It must carry the taint
    `eks-blueprint/tenant=<tenant>:NoSchedule` and the label `eks-blueprint/tenant:
    <tenant>`. Default: none (a Karpenter NodePool)."""
    node_class: ResourceName | None = None
    """NodePool only: the EC2NodeClass of compute.karpenter.node_classes. Default: the
    first class."""
    capacity_types: list[CapacityType] = Field(default_factory=_capacity_types, min_length=1)
    """NodePool only: karpenter.sh/capacity-type values. Default: [on-demand]."""
    architectures: list[Architecture] = Field(default_factory=_architectures, min_length=1)
    """NodePool only: kubernetes.io/arch values. Default: both."""
    min_vcpus: int | None = Field(default=None, ge=1, le=v.MAX_INSTANCE_VCPUS)
    """NodePool only: smallest instance size in vCPUs, at most the NodePool's CPU limit.
    Default: no minimum."""
    headroom_percent: int = Field(default=25, ge=0, le=100)
    """NodePool only: its CPU and memory limits are the tenant's quota plus this share. The
    quota already bounds what the tenant's pods request; a NodePool limit counts whole
    nodes, whose capacity also holds the kubelet's reservation and the DaemonSets, and
    whose last node is rarely full, so a limit of exactly the quota would stop the pool
    before the quota is used. Default: 25."""

    @model_validator(mode="after")
    def _consistent(self) -> DedicatedCapacityConfig:
        pool_only = ("node_class", "capacity_types", "architectures", "min_vcpus",
                     "headroom_percent")  # fmt: skip
        if self.node_group is not None:
            stated = [f for f in pool_only if f in self.model_fields_set]
            if stated:
                raise FieldError(
                    stated[0],
                    f"{stated[0]} shapes a Karpenter NodePool, but node_group "
                    f"{self.node_group} is set; remove {stated[0]} (the node group's own "
                    "settings apply) or remove node_group",
                )
        for name in ("capacity_types", "architectures"):
            values = list(getattr(self, name))
            again = first_duplicate(values)
            if again is not None:
                raise FieldError([name, again], f"{values[again]} is listed more than once")
        return self


class TenantServiceAccountConfig(StrictModel):
    """A ServiceAccount without an AWS role (those come from workload_identities)."""

    name: str
    """Its name, a Kubernetes name (lower-case DNS subdomain)."""
    automount_token: bool = False
    """Mount a Kubernetes API token into pods that use it. A pod that needs one can also
    set automountServiceAccountToken: true in its own spec. Default: false."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_kubernetes_subdomain(value)


class TenantTelemetryConfig(StrictModel):
    """What the platform collects from the tenant's pods."""

    logs: bool = True
    """Ship container logs to a log group of the tenant, `/aws/containerinsights/<cluster>/
    tenants/<name>` (KMS, retention), instead of the cluster's `application` group. Needs
    addons.cloudwatch_observability (its Fluent Bit ships them). Default: true where that
    add-on is on."""
    log_retention_days: RetentionDays | None = None
    """Days the tenant's logs are kept, a CloudWatch Logs retention (1, 3, 5, 7, 14, 30,
    ...). Default: cluster.logging.retention_days."""
    traces: TraceLanguage | None = None
    """Collect the tenant's traces in this language (java, python, dotnet or nodejs):
    CloudWatch Application Signals injects that language's ADOT SDK into the namespace's new
    pods and sends their traces to X-Ray. One language per tenant: the operator injects every
    annotated language into each pod's first container. Needs
    addons.cloudwatch_observability and pod_security baseline (the injected init container
    sets no securityContext, which restricted refuses); not on Fargate. Default: none."""

    @model_validator(mode="after")
    def _retention_needs_logs(self) -> TenantTelemetryConfig:
        if self.log_retention_days is not None and not self.logs:
            raise FieldError(
                "log_retention_days",
                "log_retention_days is set but logs is false; remove it or ship the logs",
            )
        return self


class TenantQuotaConfig(StrictModel):
    """The tenant's ResourceQuota: what all its pods together may request."""

    cpu: Quantity
    """CPU requests and limits of all pods together, e.g. "20"."""
    memory: Quantity
    """Memory requests and limits of all pods together, e.g. 64Gi."""
    pods: int = Field(
        default=defaults.TENANT_PODS, ge=TENANT_COUNTS["pods"][0], le=TENANT_COUNTS["pods"][1]
    )
    """Pods. Default: 100."""
    storage: Quantity = defaults.TENANT_STORAGE
    """Requested persistent volume storage. Default: 100Gi."""
    persistent_volume_claims: int = Field(
        default=defaults.TENANT_PERSISTENT_VOLUME_CLAIMS,
        ge=TENANT_COUNTS["persistent_volume_claims"][0],
        le=TENANT_COUNTS["persistent_volume_claims"][1],
    )
    """PersistentVolumeClaims. Default: 20."""
    load_balancers: int = Field(
        default=defaults.TENANT_LOAD_BALANCERS,
        ge=TENANT_COUNTS["load_balancers"][0],
        le=TENANT_COUNTS["load_balancers"][1],
    )
    """Services of type LoadBalancer (each an NLB that costs money). Default: 2."""


class ContainerDefaultsConfig(StrictModel):
    """LimitRange defaults for containers that set no requests or limits. A quota on cpu and
    memory makes Kubernetes refuse pods without them; these defaults fill them in."""

    cpu_request: Quantity = defaults.CONTAINER_REQUESTS["cpu"]
    """Default CPU request. Default: 100m."""
    memory_request: Quantity = defaults.CONTAINER_REQUESTS["memory"]
    """Default memory request. Default: 128Mi."""
    cpu_limit: Quantity = defaults.CONTAINER_LIMITS["cpu"]
    """Default CPU limit. Default: 500m."""
    memory_limit: Quantity = defaults.CONTAINER_LIMITS["memory"]
    """Default memory limit. Default: 512Mi."""

    @model_validator(mode="after")
    def _requests_within_limits(self) -> ContainerDefaultsConfig:
        for kind in ("cpu", "memory"):
            request, limit = getattr(self, f"{kind}_request"), getattr(self, f"{kind}_limit")
            if quantity_value(request) > quantity_value(limit):
                raise FieldError(
                    f"{kind}_request",
                    f"{kind}_request {request} is more than {kind}_limit {limit}; a request "
                    "must not exceed its limit",
                )
        return self


class TenantConfig(StrictModel):
    """One tenant namespace and its guardrails."""

    name: Namespace
    """Namespace name, also the `eks-blueprint/tenant` label on it."""
    pod_security: Literal["restricted", "baseline"] = defaults.TENANT_POD_SECURITY
    """Pod Security Standard enforced (and audited, warned) on the namespace. Default:
    restricted. `privileged` is not offered: a tenant never needs it."""
    quota: TenantQuotaConfig
    """The namespace's ResourceQuota (required: a tenant without one can starve others)."""
    container_defaults: ContainerDefaultsConfig = ContainerDefaultsConfig()
    """LimitRange defaults for containers. Default: 100m/128Mi requests, 500m/512Mi limits."""
    egress: Literal["open", "restricted"] = defaults.TENANT_EGRESS
    """`open`: pods may connect anywhere. `restricted`: only DNS, their own namespace and
    `egress_cidrs`. Ingress is always default-deny, except from the same namespace and from
    the load balancers of `ingress_from`. Default: open."""
    egress_cidrs: list[Cidr] = Field(default_factory=list)
    """With `egress: restricted`: further destinations, e.g. 0.0.0.0/0 or an endpoint
    subnet. Default: none."""
    ingress_from: list[LoadBalancerScheme] = Field(default_factory=_internet_facing)
    """Load balancers (IP targets) whose traffic and health checks reach the pods:
    `internet-facing` admits the public subnets' CIDRs, `internal` the internal load
    balancer tier's (needs network.internal_load_balancer_subnet_mask). Never the private
    subnets: every pod has an address there. Default: [internet-facing]; [] admits none."""
    tier: str = "silver"
    """The tenant_tiers entry whose PriorityClass (`tenant-<tier>`) the tenant's pods get
    when they name none. Default: silver."""
    isolation: Isolation = "shared"
    """Where its pods run: `shared` nodes; `dedicated` capacity only its pods tolerate
    (see dedicated); `fargate`, a Fargate profile `tenant-<name>` for the namespace (needs
    fargate_acknowledgement). Default: shared."""
    dedicated: DedicatedCapacityConfig | None = None
    """With isolation dedicated: the capacity. Default: a Karpenter NodePool
    `tenant-<name>` with the defaults of DedicatedCapacityConfig."""
    fargate_acknowledgement: Literal["network-policies-not-enforced"] | None = None
    """Required with isolation fargate, refused otherwise: on Fargate the tenant's
    NetworkPolicies are not enforced (no network policy agent runs there); write
    network-policies-not-enforced to say you know, and use security groups for pods."""
    service_accounts: list[TenantServiceAccountConfig] = Field(default_factory=list)
    """ServiceAccounts without an AWS role. Each workload_identities entry in this
    namespace gets its own ServiceAccount without being listed. Default: none."""
    telemetry: TenantTelemetryConfig = TenantTelemetryConfig()
    """Logs and traces of the tenant's pods. Default: logs kept for
    cluster.logging.retention_days, no traces."""

    @property
    def dedicated_capacity(self) -> DedicatedCapacityConfig | None:
        """The dedicated capacity (its defaults when `dedicated` is unset), or None when the
        tenant is not isolated on dedicated capacity."""
        if self.isolation != "dedicated":
            return None
        return self.dedicated or DedicatedCapacityConfig()

    def node_pool_limits(self) -> tuple[int, str]:
        """CPU (whole vCPUs) and memory (Mi) limits of the tenant's NodePool: its quota plus
        `headroom_percent`, rounded up."""
        headroom = 1 + (self.dedicated_capacity or DedicatedCapacityConfig()).headroom_percent / 100
        cpu = math.ceil(float(quantity_value(self.quota.cpu)) * headroom)
        mebibytes = math.ceil(float(quantity_value(self.quota.memory)) * headroom / 2**20)
        return max(cpu, 1), f"{max(mebibytes, 1)}Mi"

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        return check_tenant_namespace(value)

    @field_validator("tier")
    @classmethod
    def _tier_name(cls, value: str) -> str:
        return _check_prefixed_name(value)

    @model_validator(mode="after")
    def _consistent(self) -> TenantConfig:
        again = first_duplicate(self.ingress_from)
        if again is not None:
            raise FieldError(
                ["ingress_from", again], f"{self.ingress_from[again]} is listed more than once"
            )
        again = first_duplicate(self.egress_cidrs)
        if again is not None:
            raise FieldError(
                ["egress_cidrs", again], f"{self.egress_cidrs[again]} is listed more than once"
            )
        if self.egress_cidrs and self.egress == "open":
            raise FieldError(
                "egress_cidrs",
                "egress_cidrs only apply with egress: restricted (open egress allows everything)",
            )
        self._check_isolation()
        self._check_telemetry()
        names = [a.name for a in self.service_accounts]
        again = first_duplicate(names)
        if again is not None:
            raise FieldError(
                ["service_accounts", again, "name"], f"{names[again]} is listed more than once"
            )
        defaults = self.container_defaults
        for kind, total in (("cpu", self.quota.cpu), ("memory", self.quota.memory)):
            limit = getattr(defaults, f"{kind}_limit")
            if quantity_value(limit) > quantity_value(total):
                raise FieldError(
                    f"container_defaults.{kind}_limit",
                    f"{limit} is more than quota.{kind} {total}: not even one default "
                    "container would fit",
                )
        return self

    def _check_telemetry(self) -> None:
        telemetry = self.telemetry
        if telemetry.traces is not None and self.pod_security == "restricted":
            raise FieldError(
                "telemetry.traces",
                "Application Signals injects an init container with no securityContext "
                "(amazon-cloudwatch-agent-operator), which the restricted Pod Security "
                "Standard refuses, so every new pod would be refused; set pod_security: "
                "baseline for a traced tenant, or remove traces",
            )
        if self.isolation == "fargate":
            if telemetry.traces is not None:
                raise FieldError(
                    "telemetry.traces",
                    "traces go to the CloudWatch agent DaemonSet, which does not run on "
                    "Fargate; remove traces for a Fargate tenant",
                )
            if telemetry.logs and "logs" in telemetry.model_fields_set:
                raise FieldError(
                    "telemetry.logs",
                    "the add-on's Fluent Bit is a DaemonSet, which does not run on Fargate, so "
                    "it cannot ship this tenant's logs (Fargate has its own log router, "
                    "configured in the aws-observability namespace); remove logs: true",
                )

    def _check_isolation(self) -> None:
        if self.dedicated is not None and self.isolation != "dedicated":
            raise FieldError(
                "dedicated",
                f"dedicated capacity is set but isolation is {self.isolation}; set isolation: "
                "dedicated or remove dedicated",
            )
        if self.isolation == "fargate" and self.fargate_acknowledgement is None:
            raise FieldError(
                "fargate_acknowledgement",
                f"isolation fargate needs fargate_acknowledgement: {FARGATE_ACKNOWLEDGEMENT}, "
                f"because {FARGATE_WHY}",
            )
        if self.isolation != "fargate" and self.fargate_acknowledgement is not None:
            raise FieldError(
                "fargate_acknowledgement",
                f"only for isolation fargate (this tenant is {self.isolation}, where its "
                "NetworkPolicies are enforced); remove it",
            )
        pooled = self.isolation == "fargate" or (
            self.isolation == "dedicated"
            and (self.dedicated_capacity or DedicatedCapacityConfig()).node_group is None
        )
        if pooled and len(self.name) > MAX_PREFIXED_NAME:
            what = "Fargate profile" if self.isolation == "fargate" else "NodePool"
            raise FieldError(
                "name",
                f"isolation {self.isolation} names a {what} {TENANT_PREFIX}{self.name}, which "
                f"is longer than 63 characters; shorten the tenant name to at most "
                f"{MAX_PREFIXED_NAME}",
            )


def check_tenants(tenants: list[TenantConfig]) -> None:
    """Rules across tenants: each namespace once."""
    names = [t.name for t in tenants]
    again = first_duplicate(names)
    if again is not None:
        raise FieldError(["tenants", again, "name"], f"{names[again]} is listed more than once")


def check_tenant_tiers(tiers: Sequence[TenantTierConfig], tenants: Sequence[TenantConfig]) -> None:
    """Each tier's name and value once (equal values would not order them), and each
    tenant's tier among them."""
    for field in ("name", "value"):
        values = [getattr(t, field) for t in tiers]
        again = first_duplicate(values)
        if again is not None:
            raise FieldError(
                ["tenant_tiers", again, field],
                f"{values[again]} is also the {field} of tenant_tiers"
                f"[{values.index(values[again])}]; give each tier its own",
            )
    names = [t.name for t in tiers]
    for index, tenant in enumerate(tenants):
        if tenant.tier not in names:
            raise FieldError(
                ["tenants", index, "tier"],
                f"{tenant.tier!r} is not in tenant_tiers ({', '.join(names) or 'none'}); name "
                "one of them or add the tier",
            )


def check_tenant_capacity(tenants: Sequence[TenantConfig], compute: ComputeConfig) -> None:
    """What a tenant's isolation needs from `compute:`.

    dedicated with node_group: the group exists and carries the tenant's taint and label;
    dedicated otherwise: compute.karpenter, the node class, a NodePool name of its own and
    min_vcpus within the pool's CPU limit; fargate: a profile name of its own. And no
    compute.fargate profile selects a tenant namespace: that tenant's pods would run where
    its NetworkPolicies are not enforced without the file saying so.
    """
    groups = {g.name: g for g in compute.node_groups}
    karpenter = compute.karpenter
    profiles = compute.fargate.profiles if compute.fargate is not None else []
    for index, tenant in enumerate(tenants):
        at: list[str | int] = ["tenants", index]
        for p_index, profile in enumerate(profiles):
            if any(s.namespace == tenant.name for s in profile.selectors):
                raise FieldError(
                    ["compute", "fargate", "profiles", p_index, "selectors"],
                    f"profile {profile.name} selects the tenant namespace {tenant.name}; set "
                    f"isolation: fargate with fargate_acknowledgement: {FARGATE_ACKNOWLEDGEMENT}"
                    f" on tenants[{index}] instead (the platform then adds the profile "
                    f"{TENANT_PREFIX}{tenant.name}) and remove this selector, because "
                    f"{FARGATE_WHY}",
                )
            if profile.name == f"{TENANT_PREFIX}{tenant.name}" and tenant.isolation == "fargate":
                raise FieldError(
                    ["compute", "fargate", "profiles", p_index, "name"],
                    f"{profile.name} is the name of the Fargate profile of tenants[{index}]; "
                    "rename this profile",
                )
        capacity = tenant.dedicated_capacity
        if capacity is None:
            continue
        where = [*at, "dedicated"]
        if capacity.node_group is not None:
            _check_tenant_node_group(tenant, capacity.node_group, groups, [*where, "node_group"])
            continue
        if karpenter is None:
            raise FieldError(
                where,
                f"isolation dedicated without node_group is a Karpenter NodePool "
                f"{TENANT_PREFIX}{tenant.name}, but compute.karpenter is not set"
                + (" (Auto Mode runs its own Karpenter)" if compute.auto_mode is not None else "")
                + "; set compute.karpenter, or dedicated.node_group to a tainted node group",
            )
        classes = [c.name for c in karpenter.node_classes]
        if capacity.node_class is not None and capacity.node_class not in classes:
            raise FieldError(
                [*where, "node_class"],
                f"{capacity.node_class!r} is not in compute.karpenter.node_classes "
                f"({', '.join(classes)})",
            )
        pool = f"{TENANT_PREFIX}{tenant.name}"
        pools = [p.name for p in karpenter.node_pools]
        if pool in pools:
            raise FieldError(
                ["compute", "karpenter", "node_pools", pools.index(pool), "name"],
                f"{pool} is the name of the NodePool of tenants[{index}]; rename this pool",
            )
        cpu, _ = tenant.node_pool_limits()
        if capacity.min_vcpus is not None and capacity.min_vcpus > cpu:
            raise FieldError(
                [*where, "min_vcpus"],
                f"{capacity.min_vcpus} vCPUs is more than the NodePool's CPU limit {cpu} "
                "(quota.cpu plus headroom_percent): Karpenter could launch no node; lower it "
                "or raise the quota",
            )


def _check_tenant_node_group(
    tenant: TenantConfig,
    name: str,
    groups: dict[str, NodeGroupConfig],
    where: list[str | int],
) -> None:
    group = groups.get(name)
    if group is None:
        raise FieldError(
            where,
            f"{name!r} is not in compute.node_groups ({', '.join(groups) or 'none'})",
        )
    taint = f"{TENANT_NODE_KEY}={tenant.name}:NoSchedule"
    tainted = any(
        t.key == TENANT_NODE_KEY and t.value == tenant.name and t.effect == "NoSchedule"
        for t in group.taints
    )
    if not tainted:
        raise FieldError(
            where,
            f"node group {name} lacks the taint {taint}, so other tenants' pods could land "
            f"on it; add taints: [{{key: {TENANT_NODE_KEY}, value: {tenant.name}, effect: "
            "NoSchedule}] to the group",
        )
    if group.labels.get(TENANT_NODE_KEY) != tenant.name:
        raise FieldError(
            where,
            f"node group {name} lacks the label {TENANT_NODE_KEY}: {tenant.name}, which the "
            f"tenant's pods require (node affinity); add it to the group's labels",
        )


def check_tenant_service_accounts(
    tenants: Sequence[TenantConfig], identities: Sequence[WorkloadIdentityConfig]
) -> None:
    """A tenant's service_accounts do not repeat the service account of a workload identity
    in its namespace: that one is created with the identity's role."""
    for index, tenant in enumerate(tenants):
        owned = {
            e.service_account: i for i, e in enumerate(identities) if e.namespace == tenant.name
        }
        for a_index, account in enumerate(tenant.service_accounts):
            if account.name in owned:
                raise FieldError(
                    ["tenants", index, "service_accounts", a_index, "name"],
                    f"{account.name} is the service account of workload_identities"
                    f"[{owned[account.name]}], which the platform creates with its role; "
                    "remove it here",
                )


def tenant_identities(
    tenant: TenantConfig, identities: Sequence[WorkloadIdentityConfig]
) -> list[WorkloadIdentityConfig]:
    """The workload identities whose service accounts live in the tenant's namespace (each
    becomes a ServiceAccount of the tenant; IRSA ones annotated with the role ARN)."""
    return [e for e in identities if e.namespace == tenant.name]
