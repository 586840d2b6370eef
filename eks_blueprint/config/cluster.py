"""The `cluster:` section: the EKS control plane."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .. import defaults
from ..addons.versions import SUPPORTED_KUBERNETES_VERSIONS, check_kubernetes_version
from .base import (
    FieldError,
    PrincipalArn,
    PublicCidr,
    RetentionDays,
    StrictModel,
    check_reason,
    first_duplicate,
)

__all__ = ["SUPPORTED_KUBERNETES_VERSIONS", "ClusterConfig", "EndpointConfig", "LoggingConfig"]

CLUSTER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


class EndpointConfig(StrictModel):
    """Who can reach the Kubernetes API server."""

    access: Literal["private", "public_and_private"] = "private"
    """`private`: only from inside the VPC (default). `public_and_private`: also from
    `public_cidrs` on the internet; nodes still use the private endpoint."""
    public_cidrs: list[PublicCidr] = Field(default_factory=list)
    """Internet CIDRs allowed to reach the public endpoint. Required with public_and_private.
    Private, shared (100.64/10), loopback, link-local, multicast and reserved ranges are
    refused: no request from the internet comes from them."""
    allow_open_public_endpoint: bool = False
    """Must be true to list 0.0.0.0/0 in public_cidrs: an explicit, reviewable choice."""
    open_public_endpoint_reason: str | None = None
    """Why the API server is open to the whole internet (at least 20 characters). Required
    with allow_open_public_endpoint: true, refused otherwise; it becomes the reason of the
    EksBestPractices-EKSBP6 acknowledgement on the cluster."""

    @model_validator(mode="after")
    def _consistent(self) -> EndpointConfig:
        if self.access == "private" and self.public_cidrs:
            raise FieldError(
                "public_cidrs",
                "public_cidrs is set but access is 'private'; remove public_cidrs or set "
                "access: public_and_private",
            )
        if self.access == "public_and_private" and not self.public_cidrs:
            raise FieldError(
                "public_cidrs",
                "access 'public_and_private' needs public_cidrs, e.g. [203.0.113.0/24]; "
                "0.0.0.0/0 also needs allow_open_public_endpoint: true",
            )
        again = first_duplicate(self.public_cidrs)
        if again is not None:
            raise FieldError(
                ["public_cidrs", again], f"{self.public_cidrs[again]} is listed more than once"
            )
        open_at = [
            i for i, c in enumerate(self.public_cidrs) if ipaddress.IPv4Network(c).prefixlen == 0
        ]
        if open_at and not self.allow_open_public_endpoint:
            raise FieldError(
                ["public_cidrs", open_at[0]],
                "0.0.0.0/0 opens the API server to the whole internet; list your own CIDRs, "
                "or set allow_open_public_endpoint: true with open_public_endpoint_reason to "
                "make that choice explicit",
            )
        if self.allow_open_public_endpoint and not open_at:
            raise FieldError(
                "allow_open_public_endpoint",
                "is true but public_cidrs has no 0.0.0.0/0; remove it (or set it to false)",
            )
        if self.allow_open_public_endpoint and self.open_public_endpoint_reason is None:
            raise FieldError(
                "open_public_endpoint_reason",
                "allow_open_public_endpoint: true needs open_public_endpoint_reason: why the "
                "API server must be reachable from the whole internet (at least 20 "
                "characters; it is the acknowledgement a reviewer reads)",
            )
        if not self.allow_open_public_endpoint and self.open_public_endpoint_reason is not None:
            raise FieldError(
                "open_public_endpoint_reason",
                "is set but allow_open_public_endpoint is not true; remove it",
            )
        try:
            check_reason(self.open_public_endpoint_reason, "open_public_endpoint_reason")
        except ValueError as exc:
            raise FieldError("open_public_endpoint_reason", str(exc)) from None
        return self


class LoggingConfig(StrictModel):
    """Control-plane logging. All five log types are always on; only retention is a choice."""

    retention_days: RetentionDays = defaults.CONTROL_PLANE_LOG_RETENTION_DAYS
    """Retention of /aws/eks/<cluster>/cluster. Default: 90 days."""


class ClusterConfig(StrictModel):
    """The EKS cluster's control plane."""

    name: str
    """The EKS cluster name. Changing it replaces the cluster."""
    version: str
    """Kubernetes version, quoted, e.g. "1.34"."""
    endpoint: EndpointConfig = EndpointConfig()
    """API server endpoint access. Default: private."""
    logging: LoggingConfig = LoggingConfig()
    """Control-plane log retention. Default: 90 days."""
    deletion_protection: bool = True
    """EKS refuses to delete the cluster while on. Default: on."""
    upgrade_policy: Literal["standard", "extended"] = "standard"
    """Support type after standard support ends. `extended` costs more per hour."""
    ip_family: Literal["ipv4", "ipv6"] = "ipv4"
    """The addresses pods and services get. `ipv6`: pods take IPv6 addresses from their
    subnets' /64 (no IPv4 exhaustion; the node NATs their traffic to IPv4 destinations),
    services get unique local IPv6 addresses. Needs `network.ip_protocol: dual_stack`, Nitro
    instance types, no Windows nodes and no `network.pod_subnets` (EKS refuses those). EKS
    sets it only at creation: changing it replaces the cluster. Default: ipv4."""
    admins: list[PrincipalArn] = Field(default_factory=list)
    """IAM principals given AmazonEKSClusterAdminPolicy through access entries."""
    viewers: list[PrincipalArn] = Field(default_factory=list)
    """IAM principals given AmazonEKSViewPolicy, cluster-wide, through access entries."""

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not CLUSTER_NAME.fullmatch(value):
            raise ValueError(
                "EKS cluster names are 1-100 letters, digits, '-' or '_', starting with a "
                "letter or digit"
            )
        return value

    @field_validator("version")
    @classmethod
    def _supported_version(cls, value: str) -> str:
        # The one list: eks_blueprint.addons.versions.SUPPORTED_KUBERNETES_VERSIONS.
        return check_kubernetes_version(value)

    @model_validator(mode="after")
    def _distinct_principals(self) -> ClusterConfig:
        for index, arn in enumerate(self.viewers):
            if arn in self.admins:
                raise FieldError(
                    ["viewers", index],
                    f"{arn} is in both admins and viewers; an access entry is one principal, "
                    "so list it once",
                )
        for field in ("admins", "viewers"):
            values = list(getattr(self, field))
            again = first_duplicate(values)
            if again is not None:
                raise FieldError(
                    [field, again], f"{values[again]} is listed more than once in {field}"
                )
        return self
