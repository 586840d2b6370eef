"""The `network:` section: the VPC the cluster lives in."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, model_validator

from .base import FieldError, RetentionDays, StrictModel, VpcCidr, first_duplicate

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

    cidr: VpcCidr
    """The VPC's IPv4 CIDR, /16 to /28 (AWS's limits), in 10.0.0.0/8, 172.16.0.0/12,
    192.168.0.0/16 or 100.64.0.0/10, e.g. 10.20.0.0/16."""
    public_subnet_mask: int = Field(default=24, ge=16, le=28)
    """Prefix length of each public subnet (load balancers only). Default: /24."""
    private_subnet_mask: int = Field(default=19, ge=16, le=28)
    """Prefix length of each private subnet (nodes and pods). Default: /19."""
    isolated_subnet_mask: int | None = Field(default=None, ge=16, le=28)
    """Prefix length of optional isolated subnets (no route to the internet). Default: none."""
    internal_load_balancer_subnet_mask: int | None = Field(
        default=None, ge=16, json_schema_extra={"maximum": 27}
    )
    """Prefix length of an optional subnet tier for internal load balancers only (no route to
    the internet), 16..27: an ALB needs a /27 or larger. When set, it carries
    `kubernetes.io/role/internal-elb` instead of the private subnets, so a tenant's
    NetworkPolicy can admit internal load balancers (`ingress_from: [internal]`) by CIDR
    without admitting every pod. Appended after the other subnets: existing ones keep their
    CIDRs. Default: none."""
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
        lb_mask = self.internal_load_balancer_subnet_mask
        if lb_mask is not None:
            if lb_mask > 27:
                raise FieldError(
                    "internal_load_balancer_subnet_mask",
                    f"/{lb_mask} is too small for a load balancer: an ALB needs a /27 or "
                    "larger subnet with 8 free addresses; use 27 or less",
                )
            masks["internal_load_balancer_subnet_mask"] = lb_mask
        for field, mask in masks.items():
            if mask <= vpc.prefixlen:
                raise FieldError(
                    field,
                    f"/{mask} is not smaller than the VPC cidr {self.cidr}; "
                    f"use a prefix length above {vpc.prefixlen}",
                )
        # CDK allocates the groups in this order, 3 subnets each, every subnet starting at a
        # multiple of its own size; the gaps that alignment leaves count too.
        needed = 0
        for mask in masks.values():
            size = 2 ** (32 - mask)
            needed = -(-needed // size) * size + 3 * size
        if needed > vpc.num_addresses:
            raise FieldError(
                "cidr",
                f"3 AZs x ({', '.join(f'/{m}' for m in masks.values())}) need {needed} "
                f"addresses but cidr {self.cidr} has {vpc.num_addresses}; "
                "use a larger cidr or smaller subnets",
            )
        again = first_duplicate(self.interface_endpoints)
        if again is not None:
            raise FieldError(
                ["interface_endpoints", again],
                f"{self.interface_endpoints[again]} is listed more than once",
            )
        return self
