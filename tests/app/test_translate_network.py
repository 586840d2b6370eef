"""stacks.translate.network: `network:` -> NetworkProps and the private subnets' tags."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs

from eks_blueprint import NetworkProps
from eks_blueprint.config import EnvironmentConfig
from stacks.translate.network import KARPENTER_DISCOVERY_TAG, network_props, private_subnet_tags

from .conftest import minimal, raw, shipped


def test_every_network_field_reaches_the_props(config: EnvironmentConfig) -> None:
    props = network_props(config)
    net = config.network
    assert isinstance(props, NetworkProps)
    assert list(props.availability_zones) == config.availability_zones
    assert props.cidr == net.cidr
    assert props.nat_gateways == net.nat_gateways
    assert list(props.interface_endpoints) == net.interface_endpoints
    assert props.internal_load_balancer_subnet_mask == net.internal_load_balancer_subnet_mask
    assert props.flow_log_traffic == ec2.FlowLogTrafficType[net.flow_logs.traffic_type]


def test_dev_is_destroyable_with_two_weeks_of_flow_logs() -> None:
    props = network_props(shipped("dev"))
    assert props.removal_policy == RemovalPolicy.DESTROY
    assert props.flow_log_retention == logs.RetentionDays.TWO_WEEKS


def test_prod_retains_its_flow_logs() -> None:
    assert network_props(shipped("prod")).removal_policy == RemovalPolicy.RETAIN


def test_karpenter_environments_tag_their_private_subnets(config: EnvironmentConfig) -> None:
    assert config.compute.karpenter is not None  # every shipped environment runs Karpenter
    assert private_subnet_tags(config) == {KARPENTER_DISCOVERY_TAG: config.cluster.name}


def test_no_karpenter_no_subnet_tags() -> None:
    config = minimal(compute={"node_groups": raw("dev")["compute"]["node_groups"]})
    assert private_subnet_tags(config) == {}
