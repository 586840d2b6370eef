"""Network: the VPC an EKS cluster lives in, over exactly three availability zones."""

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


def availability_zones_context_key(account: str, region: str) -> str:
    """The context key CDK looks up for `Stack.availability_zones` of a stack in `account`
    and `region`. ec2.Vpc reads that property even when it is given its zones, so a stack
    with an explicit environment needs this key set (e.g. `stage.node.set_context(key,
    zones)` before adding stacks, or `App(context={key: zones})`) to synthesise without a
    lookup, which `cdk synth --no-lookups` and offline pipelines require."""
    return f"availability-zones:account={account}:region={region}"


@dataclass(frozen=True, kw_only=True)
class VpcProps:
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


class Network(Construct):
    """A VPC for EKS: created from `vpc_props`, or an existing one passed as `existing_vpc`.

    A created VPC spans exactly three AZs with public subnets (load balancers only),
    private subnets (nodes and pods) and optional isolated subnets; it carries the subnet
    tags load balancers are discovered by, flow logs to a KMS-encrypted log group, an S3
    gateway endpoint and the interface endpoints asked for. An existing VPC is used as it
    is: its owner is responsible for those settings.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        vpc_props: VpcProps | None = None,
        existing_vpc: ec2.IVpc | None = None,
    ) -> None:
        super().__init__(scope, id)
        if (vpc_props is None) == (existing_vpc is None):
            raise ValueError(
                "Network: pass exactly one of existing_vpc (bring your own VPC) or "
                "vpc_props (create one), not both and not neither"
            )
        self.endpoints: dict[str, ec2.InterfaceVpcEndpoint] = {}
        self.flow_log_group: logs.ILogGroup | None = None
        if existing_vpc is not None:
            self.vpc: ec2.IVpc = existing_vpc
        else:
            assert vpc_props is not None
            self.vpc = self._create(vpc_props)
        self.node_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        """Where nodes, pods and the cluster's ENIs go: the private subnets."""

    def _create(self, props: VpcProps) -> ec2.Vpc:
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
        subnets = [
            ec2.SubnetConfiguration(
                name="Public",
                subnet_type=ec2.SubnetType.PUBLIC,
                cidr_mask=props.public_subnet_mask,
                map_public_ip_on_launch=False,
            ),
            ec2.SubnetConfiguration(
                name="Private",
                subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS,
                cidr_mask=props.private_subnet_mask,
            ),
        ]
        if props.isolated_subnet_mask is not None:
            subnets.append(
                ec2.SubnetConfiguration(
                    name="Isolated",
                    subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                    cidr_mask=props.isolated_subnet_mask,
                )
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
        for subnet in vpc.private_subnets:
            Tags.of(subnet).add(*INTERNAL_ELB_TAG)

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

        vpc.add_gateway_endpoint("S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3)
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
