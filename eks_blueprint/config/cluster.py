"""The `cluster:` section: the EKS control plane."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Cidr, PrincipalArn, RetentionDays, StrictModel, duplicates

#: Kubernetes versions this release of eks_blueprint supports (aws_eks_v2 has them all, and
#: EKS offers them in standard or extended support). Update with the add-on version table.
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35")

CLUSTER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


class EndpointConfig(StrictModel):
    """Who can reach the Kubernetes API server."""

    access: Literal["private", "public_and_private"] = "private"
    """`private`: only from inside the VPC (default). `public_and_private`: also from
    `public_cidrs` on the internet; nodes still use the private endpoint."""
    public_cidrs: list[Cidr] = Field(default_factory=list)
    """Internet CIDRs allowed to reach the public endpoint. Required with public_and_private."""
    allow_open_public_endpoint: bool = False
    """Must be true to list 0.0.0.0/0 in public_cidrs: an explicit, reviewable choice."""

    @model_validator(mode="after")
    def _consistent(self) -> EndpointConfig:
        if self.access == "private" and self.public_cidrs:
            raise ValueError(
                "public_cidrs is set but access is 'private'; remove public_cidrs or set "
                "access: public_and_private"
            )
        if self.access == "public_and_private" and not self.public_cidrs:
            raise ValueError(
                "access 'public_and_private' needs public_cidrs, e.g. [203.0.113.0/24]; "
                "0.0.0.0/0 also needs allow_open_public_endpoint: true"
            )
        dupes = duplicates(list(self.public_cidrs))
        if dupes:
            raise ValueError(f"public_cidrs lists {', '.join(dupes)} more than once")
        open_cidrs = [c for c in self.public_cidrs if ipaddress.IPv4Network(c).prefixlen == 0]
        if open_cidrs and not self.allow_open_public_endpoint:
            raise ValueError(
                "public_cidrs contains 0.0.0.0/0, which opens the API server to the whole "
                "internet; list your own CIDRs, or set allow_open_public_endpoint: true to "
                "make that choice explicit"
            )
        return self


class LoggingConfig(StrictModel):
    """Control-plane logging. All five log types are always on; only retention is a choice."""

    retention_days: RetentionDays = 90
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
    admins: list[PrincipalArn] = Field(default_factory=list)
    """IAM principals given AmazonEKSClusterAdminPolicy through access entries."""
    viewers: list[PrincipalArn] = Field(default_factory=list)
    """IAM principals given AmazonEKSViewPolicy, cluster-wide, through access entries."""

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not CLUSTER_NAME.match(value):
            raise ValueError(
                "EKS cluster names are 1-100 letters, digits, '-' or '_', starting with a "
                "letter or digit"
            )
        return value

    @field_validator("version")
    @classmethod
    def _supported_version(cls, value: str) -> str:
        if value not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(
                f"Kubernetes version {value!r} is not supported; use one of "
                f"{', '.join(SUPPORTED_KUBERNETES_VERSIONS)} (quoted)"
            )
        return value

    @model_validator(mode="after")
    def _distinct_principals(self) -> ClusterConfig:
        both = sorted(set(self.admins) & set(self.viewers))
        if both:
            raise ValueError(
                f"{', '.join(both)} is in both admins and viewers; an access entry is one "
                "principal, so list it once"
            )
        for field in ("admins", "viewers"):
            dupes = duplicates(list(getattr(self, field)))
            if dupes:
                raise ValueError(f"{field} lists {', '.join(dupes)} more than once")
        return self
