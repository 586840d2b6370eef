"""Network: the VPC an EKS cluster lives in, over exactly three availability zones.

Subnet groups, in this order (the order fixes their CIDRs: CDK allocates each group after
the previous one, so a group is only ever appended, never inserted):

* `Public`: internet-facing load balancers and NAT gateways (tag `kubernetes.io/role/elb`);
* `Private`: nodes and pods. The VPC CNI gives every pod an address from these subnets;
* `Isolated` (optional): no route to the internet;
* `InternalLoadBalancer` (optional): internal load balancers only, no route to the
  internet (they reach their targets over the VPC's local route). When it exists, it carries
  `kubernetes.io/role/internal-elb` instead of the private subnets, so the AWS Load Balancer
  Controller puts internal ALBs and NLBs there. Why a tier of their own: a NetworkPolicy can
  admit load balancers only by source CIDR, and the private subnets' CIDRs would also admit
  every pod of every tenant; a dedicated tier's CIDRs admit the load balancers alone.

Two optional address plans for pods (see docs/networking.md):

* **custom networking** (`pod_subnet_cidr`): a secondary CIDR block from the shared address
  space (100.64.0.0/10) and one `Pods` subnet per AZ in it, each using its AZ's private
  route table (NAT, S3 gateway endpoint). They carry no load balancer or Karpenter
  discovery tag and are not part of the VPC's subnet groups, so nothing selects them by
  type; the VPC CNI puts pods there through one ENIConfig per AZ
  (:class:`eks_blueprint.pod_networking.CustomNetworking`);
* **dual stack** (`ip_protocol="dual_stack"`): an Amazon-provided /56 IPv6 block, a /64 in
  every subnet with IPv6 addresses assigned on creation, and an egress-only internet
  gateway for the private subnets: what an IPv6 EKS cluster (`ControlPlaneProps.ip_family`)
  needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import CfnTag, RemovalPolicy, Stack, Tags, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from . import defaults
from .compliance import acknowledge
from .config.base import _check_vpc_cidr as check_vpc_cidr
from .config.network import (
    INTERFACE_ENDPOINT_NAMES,
    IP_PROTOCOL_CHOICES,
    NAT_GATEWAY_CHOICES,
    POD_SUBNET_ROLE,
    POD_SUBNETS_NAME,
    SUBNET_MASK_RANGE,
    SUBNET_ROLE_TAG,
    SubnetLayoutError,
    check_availability_zones,
    check_interface_endpoints,
    check_load_balancer_mask,
    check_mask,
    check_pod_subnets,
    check_subnet_layout,
    pod_subnet_cidrs,
)
from .encryption import allow_cloudwatch_logs, new_key
from .ids import pascal_id
from .validate_names import PropError, check_prop

#: Every interface endpoint name Network accepts: the one list, in eks_blueprint.config.network.
INTERFACE_ENDPOINTS: tuple[str, ...] = INTERFACE_ENDPOINT_NAMES


def interface_endpoint_service(name: str) -> ec2.InterfaceVpcEndpointAwsService:
    """The service of interface endpoint `name` (e.g. "ecr.api"), created from its name as
    CDK defines each of these (`InterfaceVpcEndpointAwsService("ecr.api")` is `.ECR`)."""
    if name not in INTERFACE_ENDPOINT_NAMES:
        raise ValueError(
            f"{name!r} is not a known interface endpoint; use one of "
            f"{', '.join(INTERFACE_ENDPOINT_NAMES)}"
        )
    return ec2.InterfaceVpcEndpointAwsService(name)


#: Subnet tags the AWS Load Balancer Controller uses to discover where load balancers go.
PUBLIC_ELB_TAG = ("kubernetes.io/role/elb", "1")
INTERNAL_ELB_TAG = ("kubernetes.io/role/internal-elb", "1")

#: Subnet group names of a created VPC (the `aws-cdk:subnet-name` tag; part of logical ids).
PUBLIC_GROUP = "Public"
PRIVATE_GROUP = "Private"
ISOLATED_GROUP = "Isolated"
INTERNAL_LOAD_BALANCER_GROUP = "InternalLoadBalancer"

#: Priority of removing the internal-elb tag from the private subnets: above the default
#: (100) that aws_eks_v2's Cluster adds it with, wherever in the app the cluster is.
INTERNAL_ELB_TAG_PRIORITY = 1000


def availability_zones_context_key(account: str, region: str) -> str:
    """The context key CDK looks up for `Stack.availability_zones` of a stack in `account`
    and `region`. ec2.Vpc reads that property even when it is given its zones, so a stack
    with an explicit environment needs this key set (e.g. `stage.node.set_context(key,
    zones)` before adding stacks, or `App(context={key: zones})`) to synthesise without a
    lookup, which `cdk synth --no-lookups` and offline pipelines require."""
    return f"availability-zones:account={account}:region={region}"


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    """How Network creates a VPC. Every field has a production-safe default."""

    availability_zones: Sequence[str]
    """Exactly three distinct AZs of the stack's region, named explicitly so that synth
    needs no lookup."""
    cidr: str = defaults.VPC_CIDR
    """The VPC CIDR: /16 to /28, in 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or
    100.64.0.0/10, large enough for three subnets of each group. Default: 10.0.0.0/16."""
    public_subnet_mask: int = defaults.PUBLIC_SUBNET_MASK
    """Public subnets hold load balancers and NAT gateways only, 16..28. Default: /24."""
    private_subnet_mask: int = defaults.PRIVATE_SUBNET_MASK
    """Private subnets hold nodes and pods (VPC CNI gives pods VPC IPs), 16..28.
    Default: /19."""
    isolated_subnet_mask: int | None = None
    """Isolated subnets (no internet route), e.g. for control-plane ENIs, 16..28.
    Default: none."""
    internal_load_balancer_subnet_mask: int | None = None
    """A subnet tier for internal load balancers only (no internet route), 16..27 (an ALB
    needs at least a /27). When set, it carries `kubernetes.io/role/internal-elb` instead of
    the private subnets, so internal load balancers get addresses that no pod has, and a
    NetworkPolicy can admit them by CIDR without admitting every pod. Every internal load
    balancer of the cluster shares it, and the controller skips a subnet with fewer than 8
    free addresses, so prefer /26 or larger. Without a route out, an internal ALB cannot
    reach an OIDC/Cognito identity provider for listener authentication. Default: none
    (internal load balancers go to the private subnets, among the pods)."""
    nat_gateways: Literal["single", "per_az"] = defaults.NAT_GATEWAYS
    """"per_az": one NAT gateway per AZ (default), so an AZ failure cannot cut egress;
    "single": one, to save cost outside production."""
    flow_log_retention: logs.RetentionDays = logs.RetentionDays[defaults.FLOW_LOG_RETENTION]
    """Retention of the flow log group. Default: one month."""
    flow_log_traffic: ec2.FlowLogTrafficType = ec2.FlowLogTrafficType[defaults.FLOW_LOG_TRAFFIC]
    """Which traffic flow logs record. Default: all."""
    interface_endpoints: Sequence[str] = field(default_factory=tuple)
    """Interface endpoints by short name, e.g. ["ecr.api", "ecr.dkr", "sts"]: any of
    INTERFACE_ENDPOINTS (eks_blueprint.config.network.InterfaceEndpointName), each once.
    A cluster with a private-only API endpoint needs at least ecr.api, ecr.dkr, sts, ec2 and
    logs. Default: none; the S3 gateway endpoint is always created."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """What happens to the flow log group and its key when the stack is deleted."""
    ip_protocol: Literal["ipv4", "dual_stack"] = "ipv4"
    """"dual_stack": also an Amazon-provided /56 IPv6 block, a /64 per subnet (addresses
    assigned on creation) and an egress-only internet gateway for the private subnets; an
    IPv6 cluster needs it. Changing it replaces the subnets. Default: "ipv4"."""
    pod_subnet_cidr: str | None = None
    """VPC CNI custom networking: a secondary CIDR block for pods, /16 to /28 inside
    100.64.0.0/10, not overlapping `cidr` (e.g. "100.64.0.0/16"); three `Pods` subnets
    are created in it, one per AZ (`Network.pod_subnets`). Default: none."""
    pod_subnet_mask: int | None = None
    """Prefix length of each pod subnet, 16..28; three must fit in `pod_subnet_cidr`.
    Only with it. Default: its length + 2 (a quarter each)."""


def _check_props(path: str, props: NetworkProps, region: str) -> None:
    """Every NetworkProps check: a PropError naming `path`, the prop, the bad value and the
    fix. `region` is the stack's (a token for an environment-agnostic stack: then the zones
    need only share one region)."""
    known_region = None if Token.is_unresolved(region) else region
    check_prop(
        path,
        "NetworkProps.availability_zones",
        props.availability_zones,
        check_availability_zones,
        known_region,
    )
    check_prop(path, "NetworkProps.cidr", props.cidr, _check_vpc_cidr)
    masks: dict[str, int] = {}
    for name in ("public_subnet_mask", "private_subnet_mask", "isolated_subnet_mask"):
        value = getattr(props, name)
        if value is not None or name != "isolated_subnet_mask":
            masks[name] = check_prop(
                path, f"NetworkProps.{name}", value, check_mask, *SUBNET_MASK_RANGE
            )
    if props.internal_load_balancer_subnet_mask is not None:
        masks["internal_load_balancer_subnet_mask"] = check_prop(
            path,
            "NetworkProps.internal_load_balancer_subnet_mask",
            props.internal_load_balancer_subnet_mask,
            check_load_balancer_mask,
        )
    try:
        check_subnet_layout(props.cidr, masks)
    except SubnetLayoutError as exc:
        raise PropError(
            path, f"NetworkProps.{exc.field}", getattr(props, exc.field), str(exc)
        ) from None
    check_prop(
        path,
        "NetworkProps.interface_endpoints",
        props.interface_endpoints,
        check_interface_endpoints,
    )
    check_prop(path, "NetworkProps.nat_gateways", props.nat_gateways, _check_nat_gateways)
    check_prop(path, "NetworkProps.ip_protocol", props.ip_protocol, _check_ip_protocol)
    if props.pod_subnet_cidr is None:
        if props.pod_subnet_mask is not None:
            raise PropError(
                path,
                "NetworkProps.pod_subnet_mask",
                props.pod_subnet_mask,
                "it sizes the pod subnets of pod_subnet_cidr, which is not set; set "
                "pod_subnet_cidr (e.g. '100.64.0.0/16') or remove pod_subnet_mask",
            )
        return
    try:
        check_pod_subnets(props.pod_subnet_cidr, props.pod_subnet_mask, props.cidr)
    except SubnetLayoutError as exc:
        field_name = "pod_subnet_cidr" if exc.field == "cidr" else "pod_subnet_mask"
        raise PropError(
            path, f"NetworkProps.{field_name}", getattr(props, field_name), str(exc)
        ) from None


def _check_vpc_cidr(value: str) -> str:
    """The VPC CIDR rules of the config (`network.cidr`), for a value of any type."""
    if not isinstance(value, str):
        raise ValueError("not a CIDR string; write it like 10.0.0.0/16")
    return check_vpc_cidr(value)


def _check_nat_gateways(value: str) -> str:
    if value not in NAT_GATEWAY_CHOICES:
        raise ValueError(
            "not a NAT strategy; use 'per_az' (one per AZ, production) or 'single' "
            "(cheaper; one AZ's failure then cuts egress)"
        )
    return value


def _check_ip_protocol(value: str) -> str:
    if value not in IP_PROTOCOL_CHOICES:
        raise ValueError(
            "not an IP protocol; use 'ipv4' or 'dual_stack' (IPv4 and IPv6, for an IPv6 cluster)"
        )
    return value


def _select(vpc: ec2.IVpc, selection: ec2.SubnetSelection) -> list[ec2.ISubnet]:
    """`vpc.select_subnets` with a SubnetSelection (Python takes its fields as keywords)."""
    return vpc.select_subnets(
        availability_zones=selection.availability_zones,
        one_per_az=selection.one_per_az,
        subnet_filters=selection.subnet_filters,
        subnet_group_name=selection.subnet_group_name,
        subnet_type=selection.subnet_type,
        subnets=selection.subnets,
    ).subnets


class Network(Construct):
    """A VPC for EKS: created from `props`, or an existing one passed as `existing_vpc`.

    A created VPC spans exactly three AZs with public subnets (load balancers only),
    private subnets (nodes and pods), optional isolated subnets and an optional tier for
    internal load balancers (see the module docstring); it carries the subnet tags load
    balancers are discovered by, flow logs to a KMS-encrypted log group, an S3 gateway
    endpoint and the interface endpoints asked for. An existing VPC is used as it is: its
    owner is responsible for those settings.

    With both optional groups there are two PRIVATE_ISOLATED groups, so select them by
    name (`isolated_subnets`, `internal_load_balancer_subnets`), never by subnet type.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: NetworkProps | None = None,
        existing_vpc: ec2.IVpc | None = None,
    ) -> None:
        super().__init__(scope, id)
        if (props is None) == (existing_vpc is None):
            raise ValueError(
                f"{self.node.path}: pass exactly one of existing_vpc (bring your own VPC) or "
                "props=NetworkProps(...) (create one), not both and not neither"
            )
        if props is not None:
            _check_props(self.node.path, props, Stack.of(self).region)
        self.endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        self.flow_log_group: logs.ILogGroup | None = None
        self.isolated_subnets: ec2.SubnetSelection | None = None
        """The `Isolated` group of a created VPC, by name; None without one."""
        self.internal_load_balancer_subnets: ec2.SubnetSelection | None = None
        """The `InternalLoadBalancer` group of a created VPC, by name; None without one
        (and for an existing VPC)."""
        self.pod_subnets: list[ec2.ISubnet] = []
        """Custom networking's pod subnets, one per AZ in `NetworkProps.availability_zones`
        order (each knows its AZ and CIDR); [] without `pod_subnet_cidr`."""
        self.pod_cidr_block: ec2.CfnVPCCidrBlock | None = None
        """The secondary CIDR block of the pod subnets; None without one."""
        if existing_vpc is not None:
            self.vpc: ec2.IVpc = existing_vpc
        else:
            assert props is not None
            self.vpc = self._create(props)
        self.node_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        """Where nodes, pods and the cluster's ENIs go: the private subnets."""

    def subnet_cidrs(self, selection: ec2.SubnetSelection | None) -> list[str]:
        """The IPv4 CIDRs of the selected subnets, in AZ order; [] for None. For a created
        VPC they are literal strings (CDK plans subnets at synth)."""
        if selection is None:
            return []
        return [s.ipv4_cidr_block for s in _select(self.vpc, selection)]

    def _create(self, props: NetworkProps) -> ec2.Vpc:
        lb_mask = props.internal_load_balancer_subnet_mask
        dual_stack = props.ip_protocol == "dual_stack"
        # Dual stack: new interfaces in the private subnets (nodes) get an IPv6 address too,
        # which an IPv6 cluster's nodes need on their primary interface; load balancers and
        # NAT gateways in the other tiers ask for their own. CDK refuses it without IPv6.
        ipv6_on_creation: bool | None = True if dual_stack else None
        ipv6_off: bool | None = False if dual_stack else None  # CDK's default would be on
        subnets = [
            ec2.SubnetConfiguration(
                ipv6_assign_address_on_creation=ipv6_off,
                name=PUBLIC_GROUP,
                subnet_type=ec2.SubnetType.PUBLIC,
                cidr_mask=props.public_subnet_mask,
                map_public_ip_on_launch=False,
            ),
            ec2.SubnetConfiguration(
                ipv6_assign_address_on_creation=ipv6_on_creation,
                name=PRIVATE_GROUP,
                subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS,
                cidr_mask=props.private_subnet_mask,
            ),
        ]
        # Optional groups are appended after the others: CDK allocates CIDRs in this order,
        # so adding one never moves an existing subnet (which would replace it).
        if props.isolated_subnet_mask is not None:
            subnets.append(
                ec2.SubnetConfiguration(
                    ipv6_assign_address_on_creation=ipv6_off,
                    name=ISOLATED_GROUP,
                    subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                    cidr_mask=props.isolated_subnet_mask,
                )
            )
            self.isolated_subnets = ec2.SubnetSelection(subnet_group_name=ISOLATED_GROUP)
        if lb_mask is not None:
            # Isolated is enough: load balancers reach their targets over the local route,
            # and internal ones take no traffic from the internet.
            subnets.append(
                ec2.SubnetConfiguration(
                    ipv6_assign_address_on_creation=ipv6_off,
                    name=INTERNAL_LOAD_BALANCER_GROUP,
                    subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                    cidr_mask=lb_mask,
                )
            )
            self.internal_load_balancer_subnets = ec2.SubnetSelection(
                subnet_group_name=INTERNAL_LOAD_BALANCER_GROUP
            )
        vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(props.cidr),
            ip_protocol=ec2.IpProtocol.DUAL_STACK if dual_stack else ec2.IpProtocol.IPV4_ONLY,
            availability_zones=list(props.availability_zones),
            nat_gateways=1 if props.nat_gateways == "single" else 3,
            subnet_configuration=subnets,
            # The default security group is left as EC2 creates it; nothing here uses it.
            # Restricting it needs a Lambda-backed custom resource (see README, nag).
            restrict_default_security_group=False,
        )
        for subnet in vpc.public_subnets:
            Tags.of(subnet).add(*PUBLIC_ELB_TAG)
        if self.internal_load_balancer_subnets is None:
            for subnet in vpc.private_subnets:
                Tags.of(subnet).add(*INTERNAL_ELB_TAG)
        else:
            for subnet in _select(vpc, self.internal_load_balancer_subnets):
                Tags.of(subnet).add(*INTERNAL_ELB_TAG)
            for subnet in vpc.private_subnets:
                # aws_eks_v2's Cluster tags every private subnet of its VPC with this key
                # (priority 100); a removal of higher priority keeps internal load balancers
                # out of the subnets the pods live in.
                Tags.of(subnet).remove(INTERNAL_ELB_TAG[0], priority=INTERNAL_ELB_TAG_PRIORITY)

        key = new_key(
            self,
            "FlowLogKey",
            description="Encrypts the VPC flow log group",
            removal_policy=props.removal_policy,
        )
        allow_cloudwatch_logs(key)
        self.flow_log_group = logs.LogGroup(
            self,
            "FlowLogGroup",
            retention=props.flow_log_retention,
            encryption_key=key,
            removal_policy=props.removal_policy,
        )
        vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(self.flow_log_group),
            traffic_type=props.flow_log_traffic,
        )
        self.flow_log_key = key

        # CDK's default (every subnet) in CDK's order, less the load balancer tier: nothing
        # there reads S3, and its route tables stay untouched.
        s3_subnets = [
            ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
        ]
        if self.isolated_subnets is not None:
            s3_subnets.append(self.isolated_subnets)
        vpc.add_gateway_endpoint(
            "S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=s3_subnets
        )
        for name in props.interface_endpoints:
            endpoint = vpc.add_interface_endpoint(
                f"{pascal_id(name)}Endpoint",
                service=interface_endpoint_service(name),
                private_dns_enabled=True,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                open=False,
            )
            # HTTPS from the VPC's own CIDR, written literally (not as a token) so that
            # offline checkers can see the rule is not open to the internet.
            endpoint.connections.allow_from(
                ec2.Peer.ipv4(props.cidr), ec2.Port.tcp(443), "HTTPS from inside the VPC"
            )
            if props.pod_subnet_cidr is not None:
                # Pods of custom networking have addresses of the secondary block.
                endpoint.connections.allow_from(
                    ec2.Peer.ipv4(props.pod_subnet_cidr),
                    ec2.Port.tcp(443),
                    "HTTPS from the pod subnets",
                )
            self.endpoints[name] = endpoint
        if props.pod_subnet_cidr is not None:
            self._create_pod_subnets(vpc, props)
        self._acknowledge(vpc)
        if dual_stack:
            for subnet in vpc.private_subnets:
                acknowledge(
                    subnet,
                    "NIST.800.53.R5::NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled",
                    "Dual stack: an IPv6 EKS cluster's nodes need an IPv6 address on their "
                    "primary interface, so the private subnets assign one on creation. The "
                    "subnets route IPv6 only to an egress-only internet gateway, which lets no "
                    "connection in from the internet; no public IPv4 address is assigned.",
                )
        return vpc

    def _create_pod_subnets(self, vpc: ec2.Vpc, props: NetworkProps) -> None:
        """The secondary CIDR block and one pod subnet per AZ in it (custom networking).

        Each subnet uses the route table of its AZ's private subnet (NAT and the S3 gateway
        endpoint, as for the nodes), created only after the block is associated (EC2 refuses
        a subnet outside the VPC's CIDRs). They are not in the VPC's subnet groups, carry no
        `kubernetes.io/role/*` or `karpenter.sh/discovery` tag, and MapPublicIpOnLaunch is
        off: only the VPC CNI, through the ENIConfigs, puts anything there."""
        assert props.pod_subnet_cidr is not None
        cidr, mask = check_pod_subnets(props.pod_subnet_cidr, props.pod_subnet_mask, props.cidr)
        block = ec2.CfnVPCCidrBlock(self, "PodCidrBlock", vpc_id=vpc.vpc_id, cidr_block=cidr)
        self.pod_cidr_block = block
        private_by_zone = {s.availability_zone: s for s in vpc.private_subnets}
        for index, (zone, subnet_cidr) in enumerate(
            zip(props.availability_zones, pod_subnet_cidrs(cidr, mask), strict=True)
        ):
            number = index + 1
            subnet = ec2.CfnSubnet(
                self,
                f"{POD_SUBNETS_NAME}Subnet{number}",
                vpc_id=vpc.vpc_id,
                availability_zone=zone,
                cidr_block=subnet_cidr,
                map_public_ip_on_launch=False,
                tags=[
                    CfnTag(key="Name", value=f"{self.node.path}/{POD_SUBNETS_NAME}{number}"),
                    CfnTag(key=SUBNET_ROLE_TAG, value=POD_SUBNET_ROLE),
                ],
            )
            subnet.node.add_dependency(block)
            route_table_id = private_by_zone[zone].route_table.route_table_id
            ec2.CfnSubnetRouteTableAssociation(
                self,
                f"{POD_SUBNETS_NAME}Subnet{number}RouteTable",
                subnet_id=subnet.ref,
                route_table_id=route_table_id,
            )
            self.pod_subnets.append(
                ec2.Subnet.from_subnet_attributes(
                    self,
                    f"{POD_SUBNETS_NAME}Subnet{number}Ref",
                    subnet_id=subnet.ref,
                    availability_zone=zone,
                    ipv4_cidr_block=subnet_cidr,
                    route_table_id=route_table_id,
                )
            )

    @staticmethod
    def _acknowledge(vpc: ec2.Vpc) -> None:
        """Findings that are the design of a VPC for EKS, each with its reason."""
        for subnet in vpc.public_subnets:
            acknowledge(
                subnet,
                "NIST.800.53.R5::NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
                "Public subnets exist only for internet-facing load balancers and NAT "
                "gateways; their 0.0.0.0/0 route to the internet gateway is their purpose. "
                "Nodes and pods are in private subnets without such a route.",
            )
        acknowledge(
            vpc.node.find_child("FlowLog"),
            "NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy",
            "The flow log role's inline policy is generated by CDK and grants only log "
            "delivery (CreateLogStream/PutLogEvents) on this VPC's flow log group.",
        )
        acknowledge(
            vpc,
            "NIST.800.53.R5::NIST.800.53.R5-VPCDefaultSecurityGroupClosed",
            "Nothing in this design attaches the VPC's default security group; closing it "
            "needs a Lambda-backed custom resource, which this project avoids. Every "
            "resource here uses its own security group.",
        )
