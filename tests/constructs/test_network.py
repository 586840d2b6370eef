"""Network as a library user builds it: explicit props, bring-your-own VPC, and a clear
error for every bad prop."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Match, Template

from eks_blueprint import Network, NetworkProps

from .clusters import ZONES, at, refused
from .clusters import stack as new_stack


@pytest.fixture(scope="module")
def created() -> tuple[Network, Template]:
    stack = new_stack("Platform")
    network = Network(
        stack,
        "Network",
        props=NetworkProps(
            availability_zones=ZONES,
            cidr="10.40.0.0/16",
            private_subnet_mask=20,
            isolated_subnet_mask=28,
            internal_load_balancer_subnet_mask=26,
            nat_gateways="single",
            flow_log_retention=logs.RetentionDays.ONE_WEEK,
            interface_endpoints=["ecr.api", "ecr.dkr", "sts", "eks-auth"],
            removal_policy=cdk.RemovalPolicy.DESTROY,
        ),
    )
    return network, Template.from_stack(stack)


def test_vpc_subnets_and_nat(created: tuple[Network, Template]) -> None:
    _, template = created
    template.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.40.0.0/16"})
    template.resource_count_is("AWS::EC2::NatGateway", 1)
    template.resource_count_is("AWS::EC2::Subnet", 12)
    template.has_resource_properties(
        "AWS::EC2::Subnet",
        {
            "CidrBlock": "10.40.16.0/20",
            "AvailabilityZone": "eu-west-1a",
            "MapPublicIpOnLaunch": False,
        },
    )
    template.all_resources_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": False})


def test_flow_logs_are_encrypted_with_the_retention_asked_for(
    created: tuple[Network, Template],
) -> None:
    _, template = created
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"RetentionInDays": 7, "KmsKeyId": {"Fn::GetAtt": [Match.any_value(), "Arn"]}},
    )
    template.has_resource("AWS::Logs::LogGroup", {"DeletionPolicy": "Delete"})
    template.has_resource_properties(
        "AWS::EC2::FlowLog", {"TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"}
    )


def test_interface_endpoints_by_name(created: tuple[Network, Template]) -> None:
    network, template = created
    assert list(network.endpoints) == ["ecr.api", "ecr.dkr", "sts", "eks-auth"]
    for name in network.endpoints:
        template.has_resource_properties(
            "AWS::EC2::VPCEndpoint",
            {
                "ServiceName": f"com.amazonaws.eu-west-1.{name}",
                "VpcEndpointType": "Interface",
                "PrivateDnsEnabled": True,
            },
        )
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "SecurityGroupIngress": [
                Match.object_like({"CidrIp": "10.40.0.0/16", "FromPort": 443, "ToPort": 443})
            ]
        },
    )
    ids = Template.to_json(template)["Resources"]
    assert any(k.startswith("NetworkVpcEksAuthEndpoint") for k in ids)  # pascal_id("eks-auth")


def test_existing_vpc_is_used_as_it_is() -> None:
    stack = new_stack("Byo")
    vpc = ec2.Vpc(stack, "Vpc", availability_zones=list(ZONES))
    network = Network(stack, "Network", existing_vpc=vpc)
    assert network.vpc is vpc
    assert network.flow_log_group is None and network.endpoints == {}
    Template.from_stack(stack).resource_count_is("AWS::EC2::FlowLog", 0)


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"availability_zones": ZONES[:2]}, "NetworkProps.availability_zones", "not 3 distinct AZs"),
    (
        {"availability_zones": [ZONES[0], ZONES[0], ZONES[1]]},
        "NetworkProps.availability_zones",
        "not 3 distinct AZs",
    ),
    (
        {"availability_zones": ["eu-west-1a", "eu-west-1b", "us-east-1a"]},
        "NetworkProps.availability_zones",
        "us-east-1a are not zones of region eu-west-1",
    ),
    (
        {"availability_zones": ["us-east-1a", "us-east-1b", "us-east-1c"]},
        "NetworkProps.availability_zones",
        "are not zones of region eu-west-1",
    ),
    (
        {"availability_zones": ["a", "b", "c"]},
        "NetworkProps.availability_zones",
        "'a' is not an availability zone name",
    ),
    ({"cidr": "10.0.0.0/8"}, "NetworkProps.cidr", "/16 to /28"),
    ({"cidr": "8.8.0.0/16"}, "NetworkProps.cidr", "private range"),
    ({"cidr": "10.0.0.1/16"}, "NetworkProps.cidr", "not a valid IPv4 CIDR"),
    ({"public_subnet_mask": 29}, "NetworkProps.public_subnet_mask", "from 16 to 28"),
    ({"private_subnet_mask": True}, "NetworkProps.private_subnet_mask", "from 16 to 28"),
    ({"isolated_subnet_mask": 8}, "NetworkProps.isolated_subnet_mask", "from 16 to 28"),
    (
        {"internal_load_balancer_subnet_mask": 28},
        "NetworkProps.internal_load_balancer_subnet_mask",
        "an ALB needs a /27 or larger subnet",
    ),
    (
        {"internal_load_balancer_subnet_mask": 15},
        "NetworkProps.internal_load_balancer_subnet_mask",
        "from 16 to 27",
    ),
    (
        {"cidr": "10.0.0.0/20", "private_subnet_mask": 20},
        "NetworkProps.private_subnet_mask",
        "is not smaller than the VPC cidr 10.0.0.0/20",
    ),
    (
        {
            "cidr": "10.0.0.0/20",
            "private_subnet_mask": 22,
            "internal_load_balancer_subnet_mask": 24,
        },
        "NetworkProps.cidr",
        "addresses but cidr 10.0.0.0/20",
    ),
    (
        {"interface_endpoints": ["ecr.api", "s3"]},
        "NetworkProps.interface_endpoints",
        "'s3' is not a known interface endpoint",
    ),
    (
        {"interface_endpoints": ["sts", "sts"]},
        "NetworkProps.interface_endpoints",
        "sts is listed more than once",
    ),
    ({"interface_endpoints": "sts"}, "NetworkProps.interface_endpoints", "a string"),
    ({"nat_gateways": "none"}, "NetworkProps.nat_gateways", "not a NAT strategy"),
]


@pytest.mark.parametrize(
    ("index", "overrides", "prop", "problem"), [(i, *b) for i, b in enumerate(BAD)]
)
def test_bad_props_are_refused_naming_path_prop_value_and_fix(
    index: int, overrides: dict[str, Any], prop: str, problem: str
) -> None:
    stack = new_stack("Refusals")
    settings: dict[str, Any] = {"availability_zones": ZONES, **overrides}
    where = f"Refusals/Net{index}"
    assert problem in refused(
        where, prop, Network, stack, f"Net{index}", props=NetworkProps(**settings)
    )
    assert not stack.node.find_child(f"Net{index}").node.children  # refused before building


def test_environment_agnostic_stack_checks_zones_share_a_region() -> None:
    stack = cdk.Stack(cdk.App(), "Agnostic")
    Network(
        stack,
        "Ok",
        props=NetworkProps(availability_zones=["us-east-1a", "us-east-1b", "us-east-1c"]),
    )
    with pytest.raises(ValueError, match=at("Agnostic/Mixed", "NetworkProps.availability_zones")):
        Network(
            stack,
            "Mixed",
            props=NetworkProps(availability_zones=["us-east-1a", "us-east-1b", "eu-west-1c"]),
        )
