"""Translate `network:` into NetworkProps, the tags the private subnets carry and, with
`network.pod_subnets`, CustomNetworkingProps (the ENIConfigs)."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

from eks_blueprint import CustomNetworkingProps, Network, NetworkProps
from eks_blueprint.config import EnvironmentConfig

from .lifecycle import removal_policy, retention

#: The tag Karpenter's EC2NodeClasses select their subnets by (value: the cluster name).
KARPENTER_DISCOVERY_TAG = "karpenter.sh/discovery"


def network_props(config: EnvironmentConfig) -> NetworkProps:
    """The VPC of an environment: its zones, CIDR, subnet sizes, NAT, endpoints, flow logs,
    IP protocol and the pod subnets of custom networking."""
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
        ip_protocol=net.ip_protocol,
        pod_subnet_cidr=net.pod_subnets.cidr if net.pod_subnets is not None else None,
        pod_subnet_mask=net.pod_subnets.mask if net.pod_subnets is not None else None,
    )


def private_subnet_tags(config: EnvironmentConfig) -> dict[str, str]:
    """Tags for the private subnets (where nodes run): `karpenter.sh/discovery=<cluster>`
    when Karpenter is on, so its EC2NodeClasses find them; else none."""
    if config.compute.karpenter is None:
        return {}
    return {KARPENTER_DISCOVERY_TAG: config.cluster.name}


def custom_networking_props(
    config: EnvironmentConfig, cluster: eks.ICluster, network: Network
) -> CustomNetworkingProps | None:
    """One ENIConfig per pod subnet of `network` (the cluster security group on the pods'
    ENIs); None without `network.pod_subnets`."""
    if config.network.pod_subnets is None:
        return None
    return CustomNetworkingProps(cluster=cluster, subnets=tuple(network.pod_subnets))
