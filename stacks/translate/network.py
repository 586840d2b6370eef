"""Translate `network:` into NetworkProps, and the tags the private subnets carry."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2

from eks_blueprint import NetworkProps
from eks_blueprint.config import EnvironmentConfig

from .lifecycle import removal_policy, retention

#: The tag Karpenter's EC2NodeClasses select their subnets by (value: the cluster name).
KARPENTER_DISCOVERY_TAG = "karpenter.sh/discovery"


def network_props(config: EnvironmentConfig) -> NetworkProps:
    """The VPC of an environment: its zones, CIDR, subnet sizes, NAT, endpoints, flow logs."""
    net = config.network
    return NetworkProps(
        availability_zones=tuple(config.availability_zones),
        cidr=net.cidr,
        public_subnet_mask=net.public_subnet_mask,
        private_subnet_mask=net.private_subnet_mask,
        isolated_subnet_mask=net.isolated_subnet_mask,
        internal_load_balancer_subnet_mask=net.internal_load_balancer_subnet_mask,
        nat_gateways=net.nat_gateways,
        flow_log_retention=retention(net.flow_logs.retention_days),
        flow_log_traffic=ec2.FlowLogTrafficType[net.flow_logs.traffic_type],
        interface_endpoints=tuple(net.interface_endpoints),
        removal_policy=removal_policy(config),
    )


def private_subnet_tags(config: EnvironmentConfig) -> dict[str, str]:
    """Tags for the private subnets (where nodes run): `karpenter.sh/discovery=<cluster>`
    when Karpenter is on, so its EC2NodeClasses find them; else none."""
    if config.compute.karpenter is None:
        return {}
    return {KARPENTER_DISCOVERY_TAG: config.cluster.name}
