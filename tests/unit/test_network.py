"""Network: the VPC of every environment, and the construct's own validation."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import aws_cdk.aws_ec2 as ec2
import pytest

from eks_blueprint import Network, VpcProps
from tests.conftest import ENVIRONMENTS, TEST_ENV, SynthResult, resources_of

NAT_GATEWAYS = {"dev": 1, "staging": 3, "prod": 3}


def net(synth: SynthResult, env: str) -> dict[str, Any]:
    return synth.template(env, "network")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_subnets_span_exactly_three_azs(synth: SynthResult, env: str, configs: Any) -> None:
    subnets = resources_of(net(synth, env), "AWS::EC2::Subnet").values()
    azs = {s["Properties"]["AvailabilityZone"] for s in subnets}
    assert azs == set(configs[env].availability_zones)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_no_subnet_maps_public_ips(synth: SynthResult, env: str) -> None:
    for subnet in resources_of(net(synth, env), "AWS::EC2::Subnet").values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False


def _subnet_tags(synth: SynthResult, env: str, kind: str) -> list[dict[str, str]]:
    subnets = resources_of(net(synth, env), "AWS::EC2::Subnet").values()
    tagged = [
        {t["Key"]: t["Value"] for t in s["Properties"]["Tags"]}
        for s in subnets
        if {"Key": "aws-cdk:subnet-type", "Value": kind} in s["Properties"]["Tags"]
    ]
    assert len(tagged) == 3, f"expected 3 {kind} subnets"
    return tagged


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_load_balancer_discovery_tags(synth: SynthResult, env: str) -> None:
    for tags in _subnet_tags(synth, env, "Public"):
        assert tags["kubernetes.io/role/elb"] == "1"
        assert "kubernetes.io/role/internal-elb" not in tags
    for tags in _subnet_tags(synth, env, "Private"):
        assert tags["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in tags


def test_isolated_subnets_only_where_configured(synth: SynthResult) -> None:
    assert len(_subnet_tags(synth, "prod", "Isolated")) == 3
    subnets = resources_of(net(synth, "dev"), "AWS::EC2::Subnet").values()
    assert len(subnets) == 6


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_nat_strategy(synth: SynthResult, env: str) -> None:
    assert len(resources_of(net(synth, env), "AWS::EC2::NatGateway")) == NAT_GATEWAYS[env]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_vpc_cidr_from_config(template_of: Any, configs: Any, env: str) -> None:
    template_of(env, "network").has_resource_properties(
        "AWS::EC2::VPC", {"CidrBlock": configs[env].network.cidr}
    )


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_flow_logs_to_encrypted_log_group_with_retention(
    synth: SynthResult, configs: Any, env: str
) -> None:
    template = net(synth, env)
    (flow_log,) = resources_of(template, "AWS::EC2::FlowLog").values()
    assert flow_log["Properties"]["TrafficType"] == "ALL"
    assert flow_log["Properties"]["LogDestinationType"] == "cloud-watch-logs"
    group_id = flow_log["Properties"]["LogGroupName"]["Ref"]
    group = template["Resources"][group_id]
    assert group["Properties"]["RetentionInDays"] == configs[env].network.flow_logs.retention_days
    key_id = group["Properties"]["KmsKeyId"]["Fn::GetAtt"][0]
    key = template["Resources"][key_id]
    assert key["Type"] == "AWS::KMS::Key" and key["Properties"]["EnableKeyRotation"] is True
    retained = configs[env].lifecycle.retain_stateful_resources
    assert group["DeletionPolicy"] == ("Retain" if retained else "Delete")
    assert key["DeletionPolicy"] == ("Retain" if retained else "Delete")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_endpoints_from_config(synth: SynthResult, configs: Any, env: str) -> None:
    endpoints = resources_of(net(synth, env), "AWS::EC2::VPCEndpoint").values()
    gateway = [e for e in endpoints if e["Properties"].get("VpcEndpointType") == "Gateway"]
    interface = [e for e in endpoints if e["Properties"].get("VpcEndpointType") == "Interface"]
    assert len(gateway) == 1 and "s3" in str(gateway[0]["Properties"]["ServiceName"])
    names = sorted(str(e["Properties"]["ServiceName"]) for e in interface)
    assert len(names) == len(configs[env].network.interface_endpoints)
    for short in configs[env].network.interface_endpoints:
        assert any(n.endswith(f".{short}") for n in names), (short, names)
    assert all(e["Properties"]["PrivateDnsEnabled"] is True for e in interface)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_endpoint_security_groups_allow_https_from_the_vpc_only(
    synth: SynthResult, configs: Any, env: str
) -> None:
    groups = resources_of(net(synth, env), "AWS::EC2::SecurityGroup").values()
    assert len(groups) == len(configs[env].network.interface_endpoints)
    for group in groups:
        rules = group["Properties"]["SecurityGroupIngress"]
        assert [(r["CidrIp"], r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in rules] == [
            (configs[env].network.cidr, "tcp", 443, 443)
        ]


def test_network_needs_exactly_one_vpc_source() -> None:
    stack = cdk.Stack(cdk.App(), "NetworkValidation", env=TEST_ENV)
    vpc = ec2.Vpc(stack, "Byo", availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"])
    props = VpcProps(availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"])
    with pytest.raises(ValueError, match="exactly one of existing_vpc"):
        Network(stack, "Both", vpc_props=props, existing_vpc=vpc)
    with pytest.raises(ValueError, match="exactly one of existing_vpc"):
        Network(stack, "Neither")
    with pytest.raises(ValueError, match="3 distinct AZs"):
        Network(
            stack, "TwoAzs", vpc_props=VpcProps(availability_zones=["eu-west-1a", "eu-west-1b"])
        )
    with pytest.raises(ValueError, match="unknown interface_endpoints"):
        Network(
            stack,
            "BadEndpoint",
            vpc_props=VpcProps(
                availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"],
                interface_endpoints=["nope"],
            ),
        )
