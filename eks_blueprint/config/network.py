"""The `network:` section: the VPC the cluster lives in."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, model_validator

from .base import Cidr, RetentionDays, StrictModel, duplicates

#: Interface endpoints the config may list, by their AWS service short name.
InterfaceEndpointName = Literal[
    "ecr.api",
    "ecr.dkr",
    "sts",
    "ec2",
    "logs",
    "ssm",
    "ssmmessages",
    "ec2messages",
    "sqs",
    "elasticloadbalancing",
    "autoscaling",
    "eks",
    "eks-auth",
    "kms",
    "guardduty-data",
    "monitoring",
    "xray",
]

#: What nodes in a cluster with a private-only API endpoint cannot work without: pulling
#: images (ECR api + dkr, S3 gateway is always added), IRSA token exchange (STS), the VPC
#: CNI's ENI calls (EC2) and shipping logs (CloudWatch Logs).
ENDPOINTS_NODES_NEED: tuple[str, ...] = ("ecr.api", "ecr.dkr", "sts", "ec2", "logs")


class FlowLogsConfig(StrictModel):
    """VPC flow logs, always on, to an encrypted CloudWatch Logs group."""

    retention_days: RetentionDays = 30
    """How long flow log records are kept. Default: 30 days."""
    traffic_type: Literal["ALL", "REJECT", "ACCEPT"] = "ALL"
    """Which traffic is logged. Default: ALL."""


class NetworkConfig(StrictModel):
    """A VPC over exactly three availability zones."""

    cidr: Cidr
    """The VPC's IPv4 CIDR, e.g. 10.20.0.0/16."""
    public_subnet_mask: int = Field(default=24, ge=16, le=28)
    """Prefix length of each public subnet (load balancers only). Default: /24."""
    private_subnet_mask: int = Field(default=19, ge=16, le=28)
    """Prefix length of each private subnet (nodes and pods). Default: /19."""
    isolated_subnet_mask: int | None = Field(default=None, ge=16, le=28)
    """Prefix length of optional isolated subnets (no route to the internet). Default: none."""
    nat_gateways: Literal["single", "per_az"] = "per_az"
    """`per_az`: an AZ failure cannot cut egress (production); `single`: cheaper (dev)."""
    flow_logs: FlowLogsConfig = FlowLogsConfig()
    """Flow log settings. Default: all traffic, 30 days."""
    interface_endpoints: list[InterfaceEndpointName] = Field(default_factory=list)
    """Interface VPC endpoints to create; the S3 gateway endpoint is always created."""

    @model_validator(mode="after")
    def _subnets_fit(self) -> NetworkConfig:
        vpc = ipaddress.IPv4Network(self.cidr)
        masks = {
            "public_subnet_mask": self.public_subnet_mask,
            "private_subnet_mask": self.private_subnet_mask,
        }
        if self.isolated_subnet_mask is not None:
            masks["isolated_subnet_mask"] = self.isolated_subnet_mask
        for field, mask in masks.items():
            if mask <= vpc.prefixlen:
                raise ValueError(
                    f"{field} /{mask} is not smaller than the VPC cidr {self.cidr}; "
                    f"use a prefix length above {vpc.prefixlen}"
                )
        needed = sum(3 * 2 ** (32 - mask) for mask in masks.values())
        if needed > vpc.num_addresses:
            raise ValueError(
                f"3 AZs x ({', '.join(f'/{m}' for m in masks.values())}) need {needed} "
                f"addresses but cidr {self.cidr} has {vpc.num_addresses}; "
                "use a larger cidr or smaller subnets"
            )
        dupes = duplicates(list(self.interface_endpoints))
        if dupes:
            raise ValueError(f"interface_endpoints lists {', '.join(dupes)} more than once")
        return self
