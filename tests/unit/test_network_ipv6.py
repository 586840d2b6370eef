"""IPv6 clusters and custom networking: the config rules (every one refused with the fix),
the library props, and what a dual-stack VPC and an IPv6 cluster render."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Match, Template

from eks_blueprint import (
    Addons,
    AddonsProps,
    ControlPlane,
    ControlPlaneProps,
    Network,
    NetworkProps,
    availability_zones_context_key,
)
from eks_blueprint.config import load_config
from eks_blueprint.config.compute import AMI_TYPES
from eks_blueprint.config.network import check_pod_subnets, pod_subnet_cidrs
from eks_blueprint.pod_networking import VPC_CNI_IPV6_ACTIONS
from tests.constructs.clusters import ENV, ZONES, imported, refused
from tests.unit.test_config import mutate, problems

EXAMPLE = Path("config/examples/ipv6.yaml")


def _ipv6(**network: Any) -> dict[str, Any]:
    """dev.yaml as an IPv6 cluster in a dual-stack VPC, with `network` changes."""
    data = mutate(cluster__ip_family="ipv6", network__ip_protocol="dual_stack")
    data["network"].update(network)
    return data


def _has(found: list[str], *fragments: str) -> bool:
    return any(all(f in p for f in fragments) for p in found)


# -- config rules ---------------------------------------------------------------------------


def test_the_example_and_staging_load() -> None:
    example = load_config(EXAMPLE)
    assert example.cluster.ip_family == "ipv6"
    assert example.network.ip_protocol == "dual_stack"
    assert example.network.pod_subnets is None
    staging = load_config(Path("config/staging.yaml"))
    assert staging.network.pod_subnets is not None
    assert staging.network.pod_subnets.resolved_mask == 18


def test_ipv6_dev_loads(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    import yaml

    path.write_text(yaml.safe_dump(_ipv6()))
    assert load_config(path).cluster.ip_family == "ipv6"


def test_ipv6_needs_a_dual_stack_vpc(tmp_path: Path) -> None:
    found = problems(tmp_path, mutate(cluster__ip_family="ipv6"))
    assert _has(found, "cluster.ip_family", "network.ip_protocol: dual_stack"), found


def test_ipv6_refuses_custom_networking(tmp_path: Path) -> None:
    found = problems(tmp_path, _ipv6(pod_subnets={"cidr": "100.64.0.0/16"}))
    assert _has(found, "network.pod_subnets", "ipv6", "custom networking"), found


def test_ipv6_refuses_instance_types_without_nitro(tmp_path: Path) -> None:
    data = _ipv6()
    data["compute"]["node_groups"][0].update(instance_types=["m4.large"], ami_type="al2023_x86_64")
    found = problems(tmp_path, data)
    assert _has(found, "compute.node_groups[0].instance_types[0]", "m4.large", "Nitro"), found


@pytest.mark.skipif(
    not any(k.startswith("windows") for k in AMI_TYPES),
    reason="no Windows AMI type in config/compute.py AMI_TYPES yet",
)
def test_ipv6_refuses_windows_nodes(tmp_path: Path) -> None:
    data = _ipv6()
    windows = next(k for k in AMI_TYPES if k.startswith("windows"))
    data["compute"]["node_groups"].append(
        {
            "name": "windows",
            "instance_types": ["m6i.large"],
            "ami_type": windows,
            "size": {"min": 1, "desired": 1, "max": 2},
        }
    )
    found = problems(tmp_path, data)
    assert _has(found, "compute.node_groups[1].ami_type", "Windows", "ip_family"), found


@pytest.mark.parametrize(
    ("pod_subnets", "where", "fragment"),
    [
        ({"cidr": "10.200.0.0/16"}, "network.pod_subnets.cidr", "outside the shared address"),
        ({"cidr": "192.168.0.0/16"}, "network.pod_subnets.cidr", "100.64.0.0/10"),
        ({"cidr": "100.64.0.0/15"}, "network.pod_subnets.cidr", "/16 to /28"),
        ({"cidr": "100.64.0.0/33"}, "network.pod_subnets.cidr", "not a valid IPv4 CIDR"),
        ({"cidr": "100.64.0.1/16"}, "network.pod_subnets.cidr", "not a valid IPv4 CIDR"),
        ({"cidr": "100.64.0.0/16", "mask": 17}, "network.pod_subnets.mask", "3 pod subnets"),
        ({"cidr": "100.64.0.0/16", "mask": 16}, "network.pod_subnets.mask", "3 pod subnets"),
        ({"cidr": "100.64.0.0/16", "mask": 29}, "network.pod_subnets.mask", ""),
        ({"cidr": "100.64.0.0/16", "mask": 15}, "network.pod_subnets.mask", ""),
        ({"mask": 18}, "network.pod_subnets.cidr", ""),
    ],
)
def test_invalid_pod_subnets_are_refused(
    tmp_path: Path, pod_subnets: dict[str, Any], where: str, fragment: str
) -> None:
    found = problems(tmp_path, mutate(network__pod_subnets=pod_subnets))
    assert _has(found, where, fragment), found


def test_pod_subnets_must_not_overlap_the_vpc(tmp_path: Path) -> None:
    data = mutate(network__cidr="100.64.0.0/16", network__pod_subnets={"cidr": "100.64.0.0/16"})
    found = problems(tmp_path, data)
    assert _has(found, "network.pod_subnets.cidr", "overlaps the VPC's cidr 100.64.0.0/16"), found


def test_pod_subnets_refuse_auto_mode(tmp_path: Path) -> None:
    data = mutate(network__pod_subnets={"cidr": "100.64.0.0/16"})
    data["compute"] = {"auto_mode": {"node_pools": ["general-purpose", "system"]}}
    data["addons"] = {
        "load_balancer_controller": {"enabled": False},
        "cni_metrics_helper": {"enabled": False},
        "ebs_csi_driver": {"enabled": False},
    }
    data["workloads"] = {}
    data.pop("security", None)
    found = problems(tmp_path, data)
    assert _has(found, "network.pod_subnets", "Auto Mode"), found


def test_unknown_ip_protocol_and_family_are_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, mutate(network__ip_protocol="ipv6_only"))
    assert _has(found, "network.ip_protocol"), found
    found = problems(tmp_path, mutate(cluster__ip_family="dual"))
    assert _has(found, "cluster.ip_family"), found


def test_pod_subnet_layout() -> None:
    assert check_pod_subnets("100.64.0.0/16") == ("100.64.0.0/16", 18)
    assert pod_subnet_cidrs("100.64.0.0/16", 18) == [
        "100.64.0.0/18",
        "100.64.64.0/18",
        "100.64.128.0/18",
    ]
    assert check_pod_subnets("100.100.0.0/24", 26) == ("100.100.0.0/24", 26)


# -- library props --------------------------------------------------------------------------


def _stack() -> cdk.Stack:
    app = cdk.App(
        context={availability_zones_context_key("123456789012", "eu-west-1"): list(ZONES)}
    )
    return cdk.Stack(app, "Platform", env=ENV)


@pytest.mark.parametrize(
    ("prop", "settings"),
    [
        ("NetworkProps.pod_subnet_cidr", {"pod_subnet_cidr": "10.200.0.0/16"}),
        ("NetworkProps.pod_subnet_cidr", {"pod_subnet_cidr": "10.0.0.0/16"}),
        ("NetworkProps.pod_subnet_cidr", {"pod_subnet_cidr": 100}),
        (
            "NetworkProps.pod_subnet_mask",
            {"pod_subnet_cidr": "100.64.0.0/16", "pod_subnet_mask": 17},
        ),
        (
            "NetworkProps.pod_subnet_mask",
            {"pod_subnet_cidr": "100.64.0.0/16", "pod_subnet_mask": True},
        ),
        ("NetworkProps.pod_subnet_mask", {"pod_subnet_mask": 18}),
        ("NetworkProps.ip_protocol", {"ip_protocol": "ipv6"}),
    ],
)
def test_network_refuses_bad_props(prop: str, settings: dict[str, Any]) -> None:
    scope = _stack()
    props = NetworkProps(availability_zones=ZONES, **settings)
    refused("Platform/Network", prop, Network, scope, "Network", props=props)


def test_an_ipv6_cluster_needs_a_dual_stack_vpc() -> None:
    scope = _stack()
    vpc = Network(scope, "Network", props=NetworkProps(availability_zones=ZONES)).vpc
    message = refused(
        "Platform/ControlPlane",
        "ControlPlaneProps.ip_family",
        ControlPlane,
        scope,
        "ControlPlane",
        props=ControlPlaneProps(cluster_name="platform", version="1.34", vpc=vpc, ip_family="ipv6"),
    )
    assert "ip_protocol='dual_stack'" in message


def test_control_plane_refuses_an_unknown_ip_family() -> None:
    scope = _stack()
    vpc = ec2.Vpc(scope, "Vpc", availability_zones=list(ZONES))
    refused(
        "Platform/ControlPlane",
        "ControlPlaneProps.ip_family",
        ControlPlane,
        scope,
        "ControlPlane",
        props=ControlPlaneProps(
            cluster_name="platform",
            version="1.34",
            vpc=vpc,
            ip_family="ipv5",  # type: ignore[arg-type]
        ),
    )


@pytest.mark.parametrize(
    ("settings", "prop"),
    [
        ({"vpc_cni_custom_networking": True, "ip_family": "ipv6"}, "vpc_cni_custom_networking"),
        ({"ip_family": "IPv6"}, "ip_family"),
    ],
)
def test_addons_refuse_bad_networking(settings: dict[str, Any], prop: str) -> None:
    scope = _stack()
    vpc = ec2.Vpc(scope, "Vpc", availability_zones=list(ZONES))
    props = AddonsProps.node_readiness(
        cluster=imported(scope), kubernetes_version="1.34", vpc=vpc, **settings
    )
    refused("Platform/Addons", f"AddonsProps.{prop}", Addons, scope, "Addons", props=props)


# -- what an IPv6 cluster renders -----------------------------------------------------------


@pytest.fixture(scope="module")
def ipv6_template() -> Template:
    scope = _stack()
    network = Network(
        scope,
        "Network",
        props=NetworkProps(availability_zones=ZONES, ip_protocol="dual_stack"),
    )
    plane = ControlPlane(
        scope,
        "ControlPlane",
        props=ControlPlaneProps(
            cluster_name="platform",
            version="1.34",
            vpc=network.vpc,
            ip_family="ipv6",
            kubectl_provider=False,
        ),
    )
    plane.add_addons(**_no_kubectl(ip_family="ipv6"))
    return Template.from_stack(scope)


def _no_kubectl(**settings: Any) -> dict[str, Any]:
    """Add-on settings that need no kubectl provider (no charts, no manifests)."""
    return {
        "ebs_csi_driver": False,
        "load_balancer_controller": False,
        "cni_metrics_helper": False,
        **settings,
    }


def test_the_cluster_is_ipv6(ipv6_template: Template) -> None:
    ipv6_template.has_resource_properties(
        "AWS::EKS::Cluster",
        {"KubernetesNetworkConfig": Match.object_like({"IpFamily": "ipv6"})},
    )


def test_the_vpc_is_dual_stack(ipv6_template: Template) -> None:
    ipv6_template.has_resource_properties(
        "AWS::EC2::VPCCidrBlock", {"AmazonProvidedIpv6CidrBlock": True}
    )
    ipv6_template.resource_count_is("AWS::EC2::EgressOnlyInternetGateway", 1)
    subnets = ipv6_template.find_resources("AWS::EC2::Subnet")
    assert len(subnets) == 6
    for subnet in subnets.values():
        properties = subnet["Properties"]
        assert "Ipv6CidrBlock" in properties
        private = any(
            t["Key"] == "aws-cdk:subnet-type" and t["Value"] == "Private"
            for t in properties["Tags"]
        )
        # Nodes (private subnets) need an IPv6 address; the public tier assigns none itself.
        assert properties["AssignIpv6AddressOnCreation"] is private
    routes = ipv6_template.find_resources(
        "AWS::EC2::Route", {"Properties": {"DestinationIpv6CidrBlock": "::/0"}}
    )
    to_eigw = [r for r in routes.values() if "EgressOnlyInternetGatewayId" in r["Properties"]]
    assert len(to_eigw) == 3  # one per private route table


def test_the_vpc_cni_role_gets_the_ipv6_policy(ipv6_template: Template) -> None:
    policies = ipv6_template.find_resources("AWS::IAM::ManagedPolicy")
    found = [p for key, p in policies.items() if "VpcCniIpv6Policy" in key]
    assert len(found) == 1
    statements = found[0]["Properties"]["PolicyDocument"]["Statement"]
    assert sorted(statements[0]["Action"]) == sorted(VPC_CNI_IPV6_ACTIONS)
    assert statements[1] == {
        "Action": "ec2:CreateTags",
        "Effect": "Allow",
        "Resource": "arn:aws:ec2:*:*:network-interface/*",
    }
    roles = ipv6_template.find_resources("AWS::IAM::Role")
    cni = [r for key, r in roles.items() if "VpcCniRole" in key]
    assert len(cni) == 1
    arns = json.dumps(cni[0]["Properties"]["ManagedPolicyArns"])
    assert "VpcCniIpv6Policy" in arns and "AmazonEKS_CNI_Policy" in arns
    # EKS configures the add-on's IP family from the cluster: no ENABLE_IPv6 of ours.
    addon = ipv6_template.find_resources(
        "AWS::EKS::Addon", {"Properties": {"AddonName": "vpc-cni"}}
    )
    (configuration,) = (a["Properties"]["ConfigurationValues"] for a in addon.values())
    assert "ENABLE_IPv6" not in configuration


def test_an_ipv4_cluster_sets_no_ipv6(ipv6_template: Template) -> None:
    scope = _stack()
    network = Network(scope, "Network", props=NetworkProps(availability_zones=ZONES))
    plane = ControlPlane(
        scope,
        "ControlPlane",
        props=ControlPlaneProps(
            cluster_name="platform", version="1.34", vpc=network.vpc, kubectl_provider=False
        ),
    )
    plane.add_addons(**_no_kubectl())
    template = Template.from_stack(scope)
    template.has_resource_properties(
        "AWS::EKS::Cluster",
        {"KubernetesNetworkConfig": Match.object_like({"IpFamily": "ipv4"})},
    )
    template.resource_count_is("AWS::EC2::EgressOnlyInternetGateway", 0)
    assert not [k for k in template.find_resources("AWS::IAM::ManagedPolicy") if "Ipv6" in k]
