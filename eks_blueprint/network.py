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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from aws_cdk import RemovalPolicy, Tags
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from .compliance import acknowledge
from .encryption import allow_cloudwatch_logs, new_key

#: Interface endpoint short names (as in config) to the CDK service they create.
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "ecr.api": ec2.InterfaceVpcEndpointAwsService.ECR,
    "ecr.dkr": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "ec2": ec2.InterfaceVpcEndpointAwsService.EC2,
    "logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "ssm": ec2.InterfaceVpcEndpointAwsService.SSM,
    "ssmmessages": ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
    "ec2messages": ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
    "sqs": ec2.InterfaceVpcEndpointAwsService.SQS,
    "elasticloadbalancing": ec2.InterfaceVpcEndpointAwsService.ELASTIC_LOAD_BALANCING,
    "autoscaling": ec2.InterfaceVpcEndpointAwsService.AUTOSCALING,
    "eks": ec2.InterfaceVpcEndpointAwsService.EKS,
    "eks-auth": ec2.InterfaceVpcEndpointAwsService.EKS_AUTH,
    "kms": ec2.InterfaceVpcEndpointAwsService.KMS,
    "guardduty-data": ec2.InterfaceVpcEndpointAwsService.GUARDDUTY_DATA,
    "monitoring": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
    "xray": ec2.InterfaceVpcEndpointAwsService.XRAY,
}

#: Subnet tags the AWS Load Balancer Controller uses to discover where load balancers go.
PUBLIC_ELB_TAG = ("kubernetes.io/role/elb", "1")
INTERNAL_ELB_TAG = ("kubernetes.io/role/internal-elb", "1")

#: Subnet group names of a created VPC (the `aws-cdk:subnet-name` tag; part of logical ids).
PUBLIC_GROUP = "Public"
PRIVATE_GROUP = "Private"
ISOLATED_GROUP = "Isolated"
INTERNAL_LOAD_BALANCER_GROUP = "InternalLoadBalancer"

#: The longest prefix a load balancer subnet may have: an ALB needs a /27 or larger subnet
#: with at least 8 free addresses (Elastic Load Balancing's subnet requirements).
MAX_LOAD_BALANCER_SUBNET_MASK = 27
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
    """Exactly three AZs, named explicitly so that synth needs no lookup."""
    cidr: str = "10.0.0.0/16"
    """The VPC CIDR. Default: 10.0.0.0/16."""
    public_subnet_mask: int = 24
    """Public subnets hold load balancers and NAT gateways only. Default: /24."""
    private_subnet_mask: int = 19
    """Private subnets hold nodes and pods (VPC CNI gives pods VPC IPs). Default: /19."""
    isolated_subnet_mask: int | None = None
    """Isolated subnets (no internet route), e.g. for control-plane ENIs. Default: none."""
    internal_load_balancer_subnet_mask: int | None = None
    """A subnet tier for internal load balancers only (no internet route), 16..27 (an ALB
    needs at least a /27). When set, it carries `kubernetes.io/role/internal-elb` instead of
    the private subnets, so internal load balancers get addresses that no pod has, and a
    NetworkPolicy can admit them by CIDR without admitting every pod. Every internal load
    balancer of the cluster shares it, and the controller skips a subnet with fewer than 8
    free addresses, so prefer /26 or larger. Without a route out, an internal ALB cannot
    reach an OIDC/Cognito identity provider for listener authentication. Default: none
    (internal load balancers go to the private subnets, among the pods)."""
    nat_gateways: Literal["single", "per_az"] = "per_az"
    """One NAT gateway per AZ (default), or a single one to save cost outside production."""
    flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH
    """Retention of the flow log group. Default: one month."""
    flow_log_traffic: ec2.FlowLogTrafficType = ec2.FlowLogTrafficType.ALL
    """Which traffic flow logs record. Default: all."""
    interface_endpoints: Sequence[str] = field(default_factory=tuple)
    """Interface endpoints by short name (keys of INTERFACE_ENDPOINTS). Default: none; the
    S3 gateway endpoint is always created."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """What happens to the flow log group and its key when the stack is deleted."""


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
                "Network: pass exactly one of existing_vpc (bring your own VPC) or "
                "props (create one), not both and not neither"
            )
        self.endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        self.flow_log_group: logs.ILogGroup | None = None
        self.isolated_subnets: ec2.SubnetSelection | None = None
        """The `Isolated` group of a created VPC, by name; None without one."""
        self.internal_load_balancer_subnets: ec2.SubnetSelection | None = None
        """The `InternalLoadBalancer` group of a created VPC, by name; None without one
        (and for an existing VPC)."""
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
        if len(props.availability_zones) != 3 or len(set(props.availability_zones)) != 3:
            raise ValueError(
                f"Network: availability_zones must be 3 distinct AZs, got "
                f"{list(props.availability_zones)}"
            )
        unknown = [e for e in props.interface_endpoints if e not in INTERFACE_ENDPOINTS]
        if unknown:
            raise ValueError(
                f"Network: unknown interface_endpoints {unknown}; "
                f"known: {', '.join(INTERFACE_ENDPOINTS)}"
            )
        lb_mask = props.internal_load_balancer_subnet_mask
        if lb_mask is not None and not 16 <= lb_mask <= MAX_LOAD_BALANCER_SUBNET_MASK:
            raise ValueError(
                f"Network: NetworkProps.internal_load_balancer_subnet_mask must be 16.."
                f"{MAX_LOAD_BALANCER_SUBNET_MASK} (an ALB needs a /27 or larger subnet with "
                f"8 free addresses), got {lb_mask}"
            )
        subnets = [
            ec2.SubnetConfiguration(
                name=PUBLIC_GROUP,
                subnet_type=ec2.SubnetType.PUBLIC,
                cidr_mask=props.public_subnet_mask,
                map_public_ip_on_launch=False,
            ),
            ec2.SubnetConfiguration(
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
            endpoint_id = "".join(part.capitalize() for part in name.replace("-", ".").split("."))
            endpoint = vpc.add_interface_endpoint(
                f"{endpoint_id}Endpoint",
                service=INTERFACE_ENDPOINTS[name],
                private_dns_enabled=True,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                open=False,
            )
            # HTTPS from the VPC's own CIDR, written literally (not as a token) so that
            # offline checkers can see the rule is not open to the internet.
            endpoint.connections.allow_from(
                ec2.Peer.ipv4(props.cidr), ec2.Port.tcp(443), "HTTPS from inside the VPC"
            )
            self.endpoints[name] = endpoint
        self._acknowledge(vpc)
        return vpc

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
