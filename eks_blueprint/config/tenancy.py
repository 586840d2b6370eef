"""The `tenants:` section: one guarded namespace per team or customer.

Each tenant gets a namespace with Pod Security Standards labels, a ResourceQuota, LimitRange
defaults and default-deny network policies (eks_blueprint/tenancy.py builds them). Who may
use the namespace stays in `access:` (EKS access policies scoped to namespaces), and what
its pods may do in AWS in `workload_identities:`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .. import defaults
from ..validate_names import RESERVED_NAMESPACES as RESERVED_NAMESPACES
from ..validate_names import TENANT_COUNTS, check_tenant_namespace
from ..validate_names import quantity_value as quantity_value
from .base import Cidr, FieldError, StrictModel, first_duplicate
from .compute import Namespace, Quantity

LoadBalancerScheme = Literal["internet-facing", "internal"]


def _internet_facing() -> list[LoadBalancerScheme]:
    return list(defaults.TENANT_INGRESS_FROM)


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

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        return check_tenant_namespace(value)

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


def check_tenants(tenants: list[TenantConfig]) -> None:
    """Rules across tenants: each namespace once."""
    names = [t.name for t in tenants]
    again = first_duplicate(names)
    if again is not None:
        raise FieldError(["tenants", again, "name"], f"{names[again]} is listed more than once")
