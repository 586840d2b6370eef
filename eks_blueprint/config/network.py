"""The `network:` section: the VPC the cluster lives in.

It also holds the pure checks of a VPC layout that `NetworkProps` shares (the `Network`
construct prefixes its path and the props field; this model keeps the file and field path),
and THE list of interface endpoint names: `InterfaceEndpointName`. The construct creates
each endpoint from its name (`ec2.InterfaceVpcEndpointAwsService(name)`, which is how CDK
defines each of these services), so no second list exists.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping, Sequence
from typing import Final, Literal, get_args

from pydantic import Field, field_validator, model_validator

from .. import defaults
from .base import FieldError, RetentionDays, StrictModel, VpcCidr, first_duplicate

#: Interface endpoints the config and NetworkProps may list, by their AWS service short name
#: (the last part of com.amazonaws.<region>.<name>). Adding one: add its name here; check
#: that CDK's InterfaceVpcEndpointAwsService defines it with that name and no other prefix.
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
INTERFACE_ENDPOINT_NAMES: Final[tuple[str, ...]] = get_args(InterfaceEndpointName)

#: What nodes in a cluster with a private-only API endpoint cannot work without: pulling
#: images (ECR api + dkr, S3 gateway is always added), IRSA token exchange (STS), the VPC
#: CNI's ENI calls (EC2) and shipping logs (CloudWatch Logs).
ENDPOINTS_NODES_NEED: tuple[InterfaceEndpointName, ...] = (
    "ecr.api",
    "ecr.dkr",
    "sts",
    "ec2",
    "logs",
)

#: Subnet prefix lengths AWS allows (a subnet is /16 to /28).
SUBNET_MASK_RANGE = (16, 28)
#: The longest prefix a load balancer subnet may have: an ALB needs a /27 or larger subnet
#: with at least 8 free addresses (Elastic Load Balancing's subnet requirements).
MAX_LOAD_BALANCER_SUBNET_MASK = 27
#: NAT gateway strategies.
NAT_GATEWAY_CHOICES: tuple[str, ...] = ("single", "per_az")
#: An availability zone name: its region and one letter (Local and Wavelength Zones excluded).
AVAILABILITY_ZONE = re.compile(r"(?P<region>[a-z]{2,4}(-[a-z]+)+-\d{1,2})[a-z]")


#: The share of each subnet's usable addresses `plan ips` keeps free by default, and the
#: most a file may ask for.
DEFAULT_IP_HEADROOM_PERCENT = 10.0
MAX_IP_HEADROOM_PERCENT = 90.0


def check_ip_headroom(value: object) -> float:
    """A percentage from 0 to MAX_IP_HEADROOM_PERCENT (whole or decimal), as a float."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 <= value <= MAX_IP_HEADROOM_PERCENT
    ):
        raise ValueError(
            f"not a percentage from 0 to {MAX_IP_HEADROOM_PERCENT:g}; use a number such as "
            f"{DEFAULT_IP_HEADROOM_PERCENT:g} (the default): the share of each subnet's "
            "addresses `plan ips` keeps free"
        )
    return float(value)


class SubnetLayoutError(ValueError):
    """A subnet group that does not fit: `field` is the setting at fault (a mask field, or
    `cidr` when the groups together need more addresses than the VPC has)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        super().__init__(problem)


def check_availability_zones(zones: Sequence[str], region: str | None = None) -> tuple[str, ...]:
    """Exactly three distinct availability zones of one region (`region`, when known)."""
    listed = [zones] if isinstance(zones, str) else list(zones)
    if len(listed) != 3 or len(set(listed)) != 3:
        raise ValueError(
            "not 3 distinct AZs; name exactly three zones of the stack's region, e.g. "
            "['eu-west-1a', 'eu-west-1b', 'eu-west-1c']"
        )
    regions = []
    for zone in listed:
        match = AVAILABILITY_ZONE.fullmatch(zone) if isinstance(zone, str) else None
        if match is None:
            raise ValueError(
                f"{zone!r} is not an availability zone name; use names like eu-west-1a (a "
                "region and a letter)"
            )
        regions.append(match["region"])
    expected = region or regions[0]
    foreign = [z for z, r in zip(listed, regions, strict=True) if r != expected]
    if foreign:
        raise ValueError(
            f"{', '.join(foreign)} are not zones of region {expected}; use zones like "
            f"{expected}a, all in the stack's region"
        )
    return tuple(listed)


def check_mask(value: object, low: int = 16, high: int = 28) -> int:
    """A subnet prefix length from `low` to `high` (AWS allows /16 to /28)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"not a subnet prefix length from {low} to {high}")
    return value


def check_load_balancer_mask(value: object) -> int:
    """The internal load balancer tier's prefix length: 16 to 27."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 27:
        raise ValueError(
            f"/{value} is too small for a load balancer: an ALB needs a /27 or larger subnet "
            "with 8 free addresses; use 27 or less"
        )
    return check_mask(value, SUBNET_MASK_RANGE[0], MAX_LOAD_BALANCER_SUBNET_MASK)


def check_subnet_layout(cidr: str, masks: Mapping[str, int]) -> None:
    """Subnet groups (field -> prefix length, in CDK's allocation order) of 3 subnets each
    fit in the VPC `cidr`: each smaller than the VPC, all of them together inside it.
    Raises SubnetLayoutError naming the field at fault."""
    vpc = ipaddress.IPv4Network(cidr)
    for field, mask in masks.items():
        if mask <= vpc.prefixlen:
            raise SubnetLayoutError(
                field,
                f"/{mask} is not smaller than the VPC cidr {cidr}; use a prefix length above "
                f"{vpc.prefixlen}",
            )
    # CDK allocates the groups in this order, 3 subnets each, every subnet starting at a
    # multiple of its own size; the gaps that alignment leaves count too.
    needed = 0
    for mask in masks.values():
        size = 2 ** (32 - mask)
        needed = -(-needed // size) * size + 3 * size
    if needed > vpc.num_addresses:
        raise SubnetLayoutError(
            "cidr",
            f"3 AZs x ({', '.join(f'/{m}' for m in masks.values())}) need {needed} "
            f"addresses but cidr {cidr} has {vpc.num_addresses}; use a larger cidr or "
            "smaller subnets",
        )


def check_interface_endpoints(names: Sequence[str]) -> Sequence[str]:
    """Known interface endpoint names (INTERFACE_ENDPOINT_NAMES), each listed once."""
    if isinstance(names, str):
        raise ValueError("a string, not a list; pass a list of names, e.g. ['sts']")
    for endpoint in names:
        if endpoint not in INTERFACE_ENDPOINT_NAMES:
            raise ValueError(
                f"{endpoint!r} is not a known interface endpoint; use names from "
                f"{', '.join(INTERFACE_ENDPOINT_NAMES)}"
            )
    again = first_duplicate(list(names))
    if again is not None:
        raise ValueError(f"{names[again]} is listed more than once; list each once")
    return names


class FlowLogsConfig(StrictModel):
    """VPC flow logs, always on, to an encrypted CloudWatch Logs group."""

    retention_days: RetentionDays = defaults.FLOW_LOG_RETENTION_DAYS
    """How long flow log records are kept. Default: 30 days."""
    traffic_type: Literal["ALL", "REJECT", "ACCEPT"] = defaults.FLOW_LOG_TRAFFIC
    """Which traffic is logged. Default: ALL."""


class NetworkConfig(StrictModel):
    """A VPC over exactly three availability zones."""

    cidr: VpcCidr
    """The VPC's IPv4 CIDR, /16 to /28 (AWS's limits), in 10.0.0.0/8, 172.16.0.0/12,
    192.168.0.0/16 or 100.64.0.0/10, e.g. 10.20.0.0/16."""
    public_subnet_mask: int = Field(
        default=defaults.PUBLIC_SUBNET_MASK, ge=SUBNET_MASK_RANGE[0], le=SUBNET_MASK_RANGE[1]
    )
    """Prefix length of each public subnet (load balancers only). Default: /24."""
    private_subnet_mask: int = Field(
        default=defaults.PRIVATE_SUBNET_MASK, ge=SUBNET_MASK_RANGE[0], le=SUBNET_MASK_RANGE[1]
    )
    """Prefix length of each private subnet (nodes and pods). Default: /19."""
    isolated_subnet_mask: int | None = Field(
        default=None, ge=SUBNET_MASK_RANGE[0], le=SUBNET_MASK_RANGE[1]
    )
    """Prefix length of optional isolated subnets (no route to the internet). Default: none."""
    internal_load_balancer_subnet_mask: int | None = Field(
        default=None,
        ge=SUBNET_MASK_RANGE[0],
        json_schema_extra={"maximum": MAX_LOAD_BALANCER_SUBNET_MASK},
    )
    """Prefix length of an optional subnet tier for internal load balancers only (no route to
    the internet), 16..27: an ALB needs a /27 or larger. When set, it carries
    `kubernetes.io/role/internal-elb` instead of the private subnets, so a tenant's
    NetworkPolicy can admit internal load balancers (`ingress_from: [internal]`) by CIDR
    without admitting every pod. Appended after the other subnets: existing ones keep their
    CIDRs. Default: none."""
    nat_gateways: Literal["single", "per_az"] = defaults.NAT_GATEWAYS
    """`per_az`: an AZ failure cannot cut egress (production); `single`: cheaper (dev)."""
    flow_logs: FlowLogsConfig = FlowLogsConfig()
    """Flow log settings. Default: all traffic, 30 days."""
    interface_endpoints: list[InterfaceEndpointName] = Field(default_factory=list)
    """Interface VPC endpoints to create; the S3 gateway endpoint is always created."""
    ip_headroom_percent: float = Field(
        default=DEFAULT_IP_HEADROOM_PERCENT, ge=0, le=MAX_IP_HEADROOM_PERCENT
    )
    """The share of each subnet's usable addresses, in percent (0-90), that must stay free
    when every node group is at its maximum size and every Karpenter NodePool at its CPU
    limit: `python -m eks_blueprint.plan ips` blocks (`subnet-capacity`) when that worst case
    needs more. It absorbs what the plan cannot see (load balancers scaling out, addresses
    other teams take, fragmentation beyond its model). `--headroom` overrides it for one
    run. Default: 10."""

    @field_validator("ip_headroom_percent", mode="before")
    @classmethod
    def _headroom(cls, value: object) -> float:
        return check_ip_headroom(value)

    @model_validator(mode="after")
    def _subnets_fit(self) -> NetworkConfig:
        masks = {
            "public_subnet_mask": self.public_subnet_mask,
            "private_subnet_mask": self.private_subnet_mask,
        }
        if self.isolated_subnet_mask is not None:
            masks["isolated_subnet_mask"] = self.isolated_subnet_mask
        lb_mask = self.internal_load_balancer_subnet_mask
        if lb_mask is not None:
            try:
                check_load_balancer_mask(lb_mask)
            except ValueError as exc:
                raise FieldError("internal_load_balancer_subnet_mask", str(exc)) from None
            masks["internal_load_balancer_subnet_mask"] = lb_mask
        try:
            check_subnet_layout(self.cidr, masks)
        except SubnetLayoutError as exc:
            raise FieldError(exc.field, str(exc)) from None
        again = first_duplicate(self.interface_endpoints)
        if again is not None:
            raise FieldError(
                ["interface_endpoints", again],
                f"{self.interface_endpoints[again]} is listed more than once",
            )
        return self
