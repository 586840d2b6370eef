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
from typing import TYPE_CHECKING, Final, Literal, get_args

from pydantic import Field, field_validator, model_validator

from .. import defaults
from ..instance_types import instance_type
from .base import FieldError, RetentionDays, StrictModel, VpcCidr, first_duplicate

if TYPE_CHECKING:
    from .environment import EnvironmentConfig

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


#: Where the pod subnets' secondary CIDR may come from: the shared address space (RFC 6598),
#: which the EKS user guide's custom networking tutorial uses for pod subnets because it is
#: rarely routed elsewhere in a company network. 198.19.0.0/16, which the 2018 EKS
#: announcement also names, is left out: the VPC's rules for associating it depend on the
#: primary CIDR's range, which this project has not verified.
POD_CIDR_RANGE = ipaddress.IPv4Network("100.64.0.0/10")
#: The prefix lengths AWS allows for a VPC CIDR block, the secondary one included.
VPC_CIDR_MASK_RANGE = (16, 28)
#: The pod subnets of custom networking: their name (Name tag prefix, `plan ips` label) and
#: the tag that marks their role. CDK's subnet-type tags would mislead there (they are no
#: CDK subnet group and hold neither nodes nor load balancers); `plan ips` reads this one.
POD_SUBNETS_NAME = "Pods"
SUBNET_ROLE_TAG = "eks-blueprint/subnet-role"
POD_SUBNET_ROLE = "pods"
#: IP protocols of a created VPC.
IP_PROTOCOL_CHOICES: tuple[str, ...] = ("ipv4", "dual_stack")
#: IP families of a cluster (AWS::EKS::Cluster KubernetesNetworkConfig.IpFamily).
IP_FAMILY_CHOICES: tuple[str, ...] = ("ipv4", "ipv6")


def default_pod_subnet_mask(cidr: str) -> int:
    """Three equal pod subnets that fit `cidr`: a quarter of it each (the fourth quarter stays
    free, e.g. for a later change of the layout)."""
    return ipaddress.IPv4Network(cidr).prefixlen + 2


def check_pod_subnets(
    cidr: object, mask: object = None, vpc_cidr: str | None = None
) -> tuple[str, int]:
    """The pod subnets' secondary CIDR and per-AZ prefix length (None: the default,
    :func:`default_pod_subnet_mask`): a valid CIDR of /16 to /28 inside POD_CIDR_RANGE, not
    overlapping the VPC's own CIDR `vpc_cidr`, holding three subnets of `mask` (16 to 28).
    Returns (cidr, mask); raises SubnetLayoutError naming `cidr` or `mask`, with the fix."""
    if not isinstance(cidr, str):
        raise SubnetLayoutError("cidr", "not a CIDR string; write it like 100.64.0.0/16")
    try:
        network = ipaddress.IPv4Network(cidr)
    except ValueError as exc:
        raise SubnetLayoutError(
            "cidr", f"not a valid IPv4 CIDR ({exc}); write it like 100.64.0.0/16"
        ) from None
    low, high = VPC_CIDR_MASK_RANGE
    if not low <= network.prefixlen <= high:
        raise SubnetLayoutError(
            "cidr",
            f"a VPC CIDR block is /{low} to /{high} (AWS's limits), not /{network.prefixlen}; "
            "e.g. 100.64.0.0/16",
        )
    if not network.subnet_of(POD_CIDR_RANGE):
        raise SubnetLayoutError(
            "cidr",
            f"{cidr} is outside the shared address space {POD_CIDR_RANGE} (RFC 6598) that pod "
            "subnets come from; use e.g. 100.64.0.0/16",
        )
    if vpc_cidr is not None and network.overlaps(ipaddress.IPv4Network(vpc_cidr)):
        raise SubnetLayoutError(
            "cidr",
            f"{cidr} overlaps the VPC's cidr {vpc_cidr}; a secondary CIDR block must not "
            "overlap the VPC's other blocks, so use another part of 100.64.0.0/10",
        )
    if mask is None:
        mask = network.prefixlen + 2
    if isinstance(mask, bool) or not isinstance(mask, int):
        raise SubnetLayoutError("mask", "not a subnet prefix length; use a whole number, e.g. 18")
    if not SUBNET_MASK_RANGE[0] <= mask <= SUBNET_MASK_RANGE[1]:
        raise SubnetLayoutError(
            "mask",
            f"/{mask} is not a subnet prefix length from {SUBNET_MASK_RANGE[0]} to "
            f"{SUBNET_MASK_RANGE[1]}",
        )
    if 3 * 2 ** (32 - mask) > network.num_addresses:
        raise SubnetLayoutError(
            "mask",
            f"3 pod subnets of /{mask} need {3 * 2 ** (32 - mask)} addresses but {cidr} has "
            f"{network.num_addresses}; use a mask of at least {network.prefixlen + 2} or a "
            "larger cidr",
        )
    return str(network), mask


def pod_subnet_cidrs(cidr: str, mask: int) -> list[str]:
    """The three pod subnets' CIDRs, in AZ order: the first three blocks of `mask` in `cidr`."""
    return [str(s) for s in list(ipaddress.IPv4Network(cidr).subnets(new_prefix=mask))[:3]]


class PodSubnetsConfig(StrictModel):
    """VPC CNI custom networking: pods take their addresses from three subnets (one per AZ)
    of a secondary VPC CIDR in the shared address space, not from the nodes' subnets."""

    cidr: str
    """The secondary CIDR block added to the VPC, /16 to /28, inside 100.64.0.0/10 and not
    overlapping `network.cidr`, e.g. 100.64.0.0/16. Changing it replaces the pod subnets
    (and needs every node replaced)."""
    mask: int | None = Field(default=None, ge=SUBNET_MASK_RANGE[0], le=SUBNET_MASK_RANGE[1])
    """Prefix length of each AZ's pod subnet, 16..28; three must fit in `cidr`. Default:
    the cidr's length + 2 (a quarter each: /18 of a /16)."""

    @model_validator(mode="after")
    def _fits(self) -> PodSubnetsConfig:
        try:
            check_pod_subnets(self.cidr, self.mask)
        except SubnetLayoutError as exc:
            raise FieldError(exc.field, str(exc)) from None
        return self

    @property
    def resolved_mask(self) -> int:
        """`mask`, or the default for `cidr`."""
        return self.mask if self.mask is not None else default_pod_subnet_mask(self.cidr)


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
    ip_protocol: Literal["ipv4", "dual_stack"] = "ipv4"
    """`dual_stack`: the VPC also gets an Amazon-provided /56 IPv6 block, every subnet a /64
    of it (new interfaces get an IPv6 address), the private subnets an egress-only internet
    gateway for outbound IPv6. Required by `cluster.ip_family: ipv6`. Changing it replaces
    the subnets. Default: ipv4."""
    pod_subnets: PodSubnetsConfig | None = None
    """VPC CNI custom networking: a secondary CIDR (100.64.0.0/10) with one pod subnet per
    AZ, routed like the private subnets (NAT), tagged so that no load balancer or Karpenter
    node lands there; the vpc-cni add-on then gives pods addresses there only, through one
    ENIConfig per AZ. Nodes launched before it is on keep the old mode: replace them.
    Refused with `cluster.ip_family: ipv6` (EKS does not support custom networking there).
    Default: none (pods take addresses from the private subnets)."""
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
        if self.pod_subnets is not None:
            try:
                check_pod_subnets(self.pod_subnets.cidr, self.pod_subnets.mask, self.cidr)
            except SubnetLayoutError as exc:
                raise FieldError(["pod_subnets", exc.field], str(exc)) from None
        again = first_duplicate(self.interface_endpoints)
        if again is not None:
            raise FieldError(
                ["interface_endpoints", again],
                f"{self.interface_endpoints[again]} is listed more than once",
            )
        return self


def check_networking(config: EnvironmentConfig) -> None:
    """The cross-section rules of IPv6 clusters and custom networking: combinations EKS or
    the VPC CNI refuse at deploy time, each a FieldError naming the combination and the fix.

    Sources: EKS user guide, "Learn about IPv6 addresses to clusters, pods, and services"
    (no Windows, Nitro-based EC2 or Fargate only, no custom networking; the IP family is set
    at creation only) and AWS::EKS::Cluster KubernetesNetworkConfig.IpFamily (the VPC and
    subnets must have IPv4 and IPv6 CIDR blocks); EKS Auto Mode manages pod networking
    itself and reads no ENIConfig."""
    network, cluster, compute = config.network, config.cluster, config.compute
    if cluster.ip_family == "ipv6":
        if network.ip_protocol != "dual_stack":
            raise FieldError(
                "cluster.ip_family",
                "ipv6 needs a VPC with IPv4 and IPv6 CIDR blocks (EKS refuses the cluster "
                "otherwise); set network.ip_protocol: dual_stack",
            )
        if network.pod_subnets is not None:
            raise FieldError(
                "network.pod_subnets",
                "cluster.ip_family ipv6 with custom networking (network.pod_subnets): EKS does "
                "not support custom networking in IPv6 clusters, whose pods take IPv6 "
                "addresses from the node subnets anyway; remove network.pod_subnets",
            )
        for index, group in enumerate(compute.node_groups):
            if group.ami_type.lower().startswith("windows"):
                raise FieldError(
                    ["compute", "node_groups", index, "ami_type"],
                    f"cluster.ip_family ipv6 with Windows nodes ({group.ami_type}): EKS "
                    "supports no Windows pods in IPv6 clusters; use a Linux AMI type, or "
                    "cluster.ip_family: ipv4",
                )
            for position, name in enumerate(group.instance_types):
                found = instance_type(name)
                if found is not None and not found.prefix_delegation:
                    raise FieldError(
                        ["compute", "node_groups", index, "instance_types", position],
                        f"cluster.ip_family ipv6 with {name}, which is not Nitro-based: IPv6 "
                        "pods need prefix delegation, which the VPC CNI has on Nitro "
                        "instances only; use a Nitro type (e.g. m7g.large, m6i.large)",
                    )
    if network.pod_subnets is not None and compute.auto_mode is not None:
        raise FieldError(
            "network.pod_subnets",
            "compute.auto_mode with custom networking (network.pod_subnets): Auto Mode "
            "manages pod networking itself and reads no ENIConfig; remove "
            "network.pod_subnets, or use node groups or Karpenter",
        )
