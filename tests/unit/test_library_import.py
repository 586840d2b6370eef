"""A separate CDK app uses eks_blueprint as a library, around a VPC of its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import aws_cdk.aws_ec2 as ec2
import aws_cdk.aws_eks_v2 as eks
import pytest

import eks_blueprint
from eks_blueprint.compute.managed_node_groups import (
    ManagedNodeGroups,
    ManagedNodeGroupsProps,
    NodeGroupSpec,
)
from eks_blueprint.network import availability_zones_context_key
from tests.conftest import TEST_ENV, resources_of


@pytest.fixture(scope="module")
def byo_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    # GIVEN another team's app with its own stack and its own existing VPC, answering the
    # availability-zone lookup up front as the README shows
    zones = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    key = availability_zones_context_key(str(TEST_ENV.account), str(TEST_ENV.region))
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("library")), context={key: zones})
    stack = cdk.Stack(app, "TeamPlatform", env=TEST_ENV)
    their_vpc = ec2.Vpc(
        stack,
        "TheirVpc",
        availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        nat_gateways=1,
    )
    # WHEN they compose Network (bring your own VPC) and ControlPlane
    network = eks_blueprint.Network(stack, "Network", existing_vpc=their_vpc)
    control_plane = eks_blueprint.ControlPlane(
        stack,
        "ControlPlane",
        props=eks_blueprint.ControlPlaneProps(
            cluster_name="team-cluster",
            version=eks.KubernetesVersion.V1_34,
            vpc=network.vpc,
        ),
    )
    # AND a node group, as the README shows
    ManagedNodeGroups(
        stack,
        "NodeGroups",
        props=ManagedNodeGroupsProps(
            cluster=control_plane.cluster,
            groups=[
                NodeGroupSpec(
                    name="system",
                    instance_types=["m7g.large"],
                    ami_type=eks.NodegroupAmiType.BOTTLEROCKET_ARM_64,
                    min_size=2,
                    desired_size=2,
                    max_size=4,
                )
            ],
        ),
    )
    assembly = app.synth()
    # no context lookup left: `cdk synth --no-lookups` works and the CLI runs the app once
    assert not json.loads((Path(assembly.directory) / "manifest.json").read_text()).get("missing")
    template: dict[str, Any] = assembly.get_stack_by_name("TeamPlatform").template
    return template


def test_their_vpc_is_used_and_no_other_is_created(byo_template: dict[str, Any]) -> None:
    (vpc_id,) = resources_of(byo_template, "AWS::EC2::VPC")
    assert vpc_id.startswith("TheirVpc")
    assert not resources_of(byo_template, "AWS::EC2::FlowLog")  # their VPC, their settings


def test_library_defaults_are_the_secure_ones(byo_template: dict[str, Any]) -> None:
    (cluster,) = resources_of(byo_template, "AWS::EKS::Cluster").values()
    props = cluster["Properties"]
    assert props["ResourcesVpcConfig"]["EndpointPublicAccess"] is False
    assert len(props["Logging"]["ClusterLogging"]["EnabledTypes"]) == 5
    assert props["AccessConfig"]["BootstrapClusterCreatorAdminPermissions"] is False
    assert props["DeletionProtection"] is True
    assert cluster["DeletionPolicy"] == "Retain"
    subnets = {s["Ref"] for s in props["ResourcesVpcConfig"]["SubnetIds"]}
    assert subnets and all("PrivateSubnet" in s for s in subnets)


def test_node_group_defaults_are_the_secure_ones(byo_template: dict[str, Any]) -> None:
    (group,) = resources_of(byo_template, "AWS::EKS::Nodegroup").values()
    props = group["Properties"]
    assert "RemoteAccess" not in props
    assert {s["Ref"] for s in props["Subnets"]} and all(
        "PrivateSubnet" in s["Ref"] for s in props["Subnets"]
    )
    (template,) = resources_of(byo_template, "AWS::EC2::LaunchTemplate").values()
    data = template["Properties"]["LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert data["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    assert all(m["Ebs"]["Encrypted"] for m in data["BlockDeviceMappings"])
