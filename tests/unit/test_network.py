"""Network: the VPC of every environment, and the construct's own validation."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import aws_cdk.aws_ec2 as ec2
import aws_cdk.aws_eks_v2 as eks
import pytest
from aws_cdk.assertions import Match, Template

from eks_blueprint import Network, NetworkProps
from eks_blueprint.network import INTERNAL_LOAD_BALANCER_GROUP
from tests.conftest import ENVIRONMENTS, TEST_ENV, SynthResult, resources_of
from tests.unit.test_config import mutate, problems

NAT_GATEWAYS = {"dev": 1, "staging": 3, "prod": 3}
INTERNAL_ELB = "kubernetes.io/role/internal-elb"
AZS = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]

#: The subnets every environment had before the internal load balancer tier: a new subnet
#: group is appended, so none of these may move (a changed CidrBlock replaces the subnet and
#: everything in it).
SUBNET_CIDRS: dict[str, dict[str, str]] = {
    "dev": {
        "NetworkVpcPublicSubnet1Subnet36933139": "10.10.0.0/24",
        "NetworkVpcPublicSubnet2SubnetC427CCE0": "10.10.1.0/24",
        "NetworkVpcPublicSubnet3Subnet4BBF7F47": "10.10.2.0/24",
        "NetworkVpcPrivateSubnet1Subnet6DD86AE6": "10.10.32.0/19",
        "NetworkVpcPrivateSubnet2Subnet1BDBE877": "10.10.64.0/19",
        "NetworkVpcPrivateSubnet3Subnet8ABFAF5C": "10.10.96.0/19",
    },
    "staging": {
        "NetworkVpcPublicSubnet1Subnet36933139": "10.20.0.0/24",
        "NetworkVpcPublicSubnet2SubnetC427CCE0": "10.20.1.0/24",
        "NetworkVpcPublicSubnet3Subnet4BBF7F47": "10.20.2.0/24",
        "NetworkVpcPrivateSubnet1Subnet6DD86AE6": "10.20.32.0/19",
        "NetworkVpcPrivateSubnet2Subnet1BDBE877": "10.20.64.0/19",
        "NetworkVpcPrivateSubnet3Subnet8ABFAF5C": "10.20.96.0/19",
    },
    "prod": {
        "NetworkVpcPublicSubnet1Subnet36933139": "10.30.0.0/24",
        "NetworkVpcPublicSubnet2SubnetC427CCE0": "10.30.1.0/24",
        "NetworkVpcPublicSubnet3Subnet4BBF7F47": "10.30.2.0/24",
        "NetworkVpcPrivateSubnet1Subnet6DD86AE6": "10.30.32.0/19",
        "NetworkVpcPrivateSubnet2Subnet1BDBE877": "10.30.64.0/19",
        "NetworkVpcPrivateSubnet3Subnet8ABFAF5C": "10.30.96.0/19",
        "NetworkVpcIsolatedSubnet1Subnet0400477E": "10.30.128.0/28",
        "NetworkVpcIsolatedSubnet2SubnetF65B365A": "10.30.128.16/28",
        "NetworkVpcIsolatedSubnet3Subnet8C12D961": "10.30.128.32/28",
    },
}
#: The internal load balancer tier, where configured: after every other group.
INTERNAL_LB_CIDRS: dict[str, list[str]] = {
    "staging": ["10.20.128.0/26", "10.20.128.64/26", "10.20.128.128/26"],
    "prod": ["10.30.128.64/26", "10.30.128.128/26", "10.30.128.192/26"],
}


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


def _group(template: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource of every resource of the subnet group `name` (by the
    aws-cdk:subnet-name tag: two groups can both be of type Isolated)."""
    return {
        k: v
        for k, v in template["Resources"].items()
        if {"Key": "aws-cdk:subnet-name", "Value": name} in v.get("Properties", {}).get("Tags", [])
    }


def _subnet_tags(synth: SynthResult, env: str, group: str) -> list[dict[str, str]]:
    subnets = [
        s for s in _group(net(synth, env), group).values() if s["Type"] == "AWS::EC2::Subnet"
    ]
    tagged = [{t["Key"]: t["Value"] for t in s["Properties"]["Tags"]} for s in subnets]
    assert len(tagged) == 3, f"expected 3 {group} subnets"
    return tagged


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_load_balancer_discovery_tags(synth: SynthResult, configs: Any, env: str) -> None:
    for tags in _subnet_tags(synth, env, "Public"):
        assert tags["kubernetes.io/role/elb"] == "1"
        assert INTERNAL_ELB not in tags
    tier = configs[env].network.internal_load_balancer_subnet_mask is not None
    # Internal load balancers go to their own tier where there is one, never among the pods.
    for tags in _subnet_tags(synth, env, "Private"):
        assert (INTERNAL_ELB in tags) is not tier
        assert "kubernetes.io/role/elb" not in tags
    if tier:
        for tags in _subnet_tags(synth, env, INTERNAL_LOAD_BALANCER_GROUP):
            assert tags[INTERNAL_ELB] == "1"
            assert "kubernetes.io/role/elb" not in tags
            assert "karpenter.sh/discovery" not in tags  # no nodes here


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_the_cluster_does_not_put_the_internal_elb_tag_back_on_the_private_subnets(
    synth: SynthResult, env: str
) -> None:
    # aws_eks_v2's Cluster (in the cluster stack) tags every private subnet of its VPC with
    # internal-elb, children included; the Network's removal must win over it everywhere.
    for logical_id, resource in _group(net(synth, env), "Private").items():
        keys = {t["Key"] for t in resource["Properties"]["Tags"]}
        assert INTERNAL_ELB not in keys, logical_id


def test_isolated_subnets_only_where_configured(synth: SynthResult) -> None:
    assert len(_subnet_tags(synth, "prod", "Isolated")) == 3
    subnets = resources_of(net(synth, "dev"), "AWS::EC2::Subnet").values()
    assert len(subnets) == 6
    assert not _group(net(synth, "staging"), "Isolated")


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_existing_subnets_keep_their_cidrs(synth: SynthResult, env: str) -> None:
    resources = net(synth, env)["Resources"]
    for logical_id, cidr in SUBNET_CIDRS[env].items():
        assert resources[logical_id]["Properties"]["CidrBlock"] == cidr, logical_id


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_internal_load_balancer_tier(synth: SynthResult, configs: Any, env: str) -> None:
    template = net(synth, env)
    group = _group(template, INTERNAL_LOAD_BALANCER_GROUP)
    subnets = {k: v for k, v in group.items() if v["Type"] == "AWS::EC2::Subnet"}
    mask = configs[env].network.internal_load_balancer_subnet_mask
    if mask is None:
        assert env not in INTERNAL_LB_CIDRS and not group
        return
    cidrs = [s["Properties"]["CidrBlock"] for s in subnets.values()]
    assert sorted(cidrs) == sorted(INTERNAL_LB_CIDRS[env])
    assert all(c.endswith(f"/{mask}") for c in cidrs)
    assert {s["Properties"]["AvailabilityZone"] for s in subnets.values()} == set(
        configs[env].availability_zones
    )
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets.values())
    # Isolated: their route tables have no default route (to an internet or NAT gateway).
    routes = [
        r for r in resources_of(template, "AWS::EC2::Route").values()
        if r["Properties"]["RouteTableId"]["Ref"] in group
    ]
    assert routes == []
    # Inside the VPC and overlapping no other subnet.
    vpc = ipaddress.IPv4Network(configs[env].network.cidr)
    others = [
        ipaddress.IPv4Network(s["Properties"]["CidrBlock"])
        for k, s in resources_of(template, "AWS::EC2::Subnet").items()
        if k not in subnets
    ]
    for cidr in map(ipaddress.IPv4Network, cidrs):
        assert cidr.subnet_of(vpc)
        assert not any(cidr.overlaps(o) for o in others)


# --- config -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "fragment"),
    [
        ({"internal_load_balancer_subnet_mask": 28},
         "/28 is too small for a load balancer: an ALB needs a /27 or larger subnet"),
        ({"internal_load_balancer_subnet_mask": 15}, "network.internal_load_balancer_subnet_mask"),
        ({"internal_load_balancer_subnet_mask": "27"}, "network.internal_load_balancer_subnet_mask"),
        ({"cidr": "10.10.0.0/20", "private_subnet_mask": 22, "internal_load_balancer_subnet_mask": 24},
         "addresses but cidr 10.10.0.0/20"),
        # The sum fits (49968 of 65536) but CDK aligns each /18 to a multiple of its size, so
        # the private subnets end at the VPC's end and the isolated ones fall outside it.
        ({"private_subnet_mask": 18, "isolated_subnet_mask": 28}, "need 65584 addresses"),
        ({"private_subnet_mask": 18, "internal_load_balancer_subnet_mask": 27},
         "need 65632 addresses"),
    ],
)
def test_invalid_internal_load_balancer_tier_is_refused(
    tmp_path: Path, network: dict[str, Any], fragment: str
) -> None:
    data = mutate()
    data["network"].update(network)
    found = problems(tmp_path, data)
    assert any(fragment in p for p in found), found


def test_internal_ingress_needs_the_tier(tmp_path: Path) -> None:
    data = mutate()
    data["tenants"][0]["ingress_from"] = ["internet-facing", "internal"]
    found = problems(tmp_path, data)
    assert any(
        "tenants[0].ingress_from lists 'internal' but network.internal_load_balancer_subnet_mask "
        "is not set" in p and "set network.internal_load_balancer_subnet_mask" in p
        for p in found
    ), found


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
    network = configs[env].network
    # With custom networking, pods have addresses of the pod subnets' secondary block.
    cidrs = [network.cidr, *([network.pod_subnets.cidr] if network.pod_subnets else [])]
    for group in groups:
        rules = group["Properties"]["SecurityGroupIngress"]
        assert [(r["CidrIp"], r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in rules] == [
            (cidr, "tcp", 443, 443) for cidr in cidrs
        ]


@pytest.fixture(scope="module")
def tiered() -> tuple[Network, dict[str, Any]]:
    """A Network with isolated subnets and the internal load balancer tier, and an
    aws_eks_v2 cluster on it in another stack (which tags the private subnets itself)."""
    app = cdk.App()
    stack = cdk.Stack(app, "Net", env=TEST_ENV)
    network = Network(stack, "Network", props=NetworkProps(
        availability_zones=AZS, cidr="10.0.0.0/16", isolated_subnet_mask=28,
        internal_load_balancer_subnet_mask=27, nat_gateways="single"))
    eks.Cluster(
        cdk.Stack(app, "Cluster", env=TEST_ENV), "C", version=eks.KubernetesVersion.V1_34,
        vpc=network.vpc, default_capacity_type=eks.DefaultCapacityType.NODEGROUP,
        default_capacity=0)
    template = app.synth().get_stack_by_name("Net").template
    return network, template


def test_two_isolated_groups_are_selected_by_name(tiered: tuple[Network, dict[str, Any]]) -> None:
    network, _ = tiered
    assert network.internal_load_balancer_subnets is not None
    assert network.internal_load_balancer_subnets.subnet_group_name == "InternalLoadBalancer"
    assert network.isolated_subnets is not None
    assert network.isolated_subnets.subnet_group_name == "Isolated"
    assert network.subnet_cidrs(network.internal_load_balancer_subnets) == [
        "10.0.128.64/27", "10.0.128.96/27", "10.0.128.128/27"]
    assert network.subnet_cidrs(network.isolated_subnets) == [
        "10.0.128.0/28", "10.0.128.16/28", "10.0.128.32/28"]
    assert network.subnet_cidrs(None) == []
    assert len(network.vpc.isolated_subnets) == 6  # why selecting by type would be wrong


def test_internal_elb_tag_only_on_the_tier(tiered: tuple[Network, dict[str, Any]]) -> None:
    _, template = tiered
    tagged = {
        next(t["Value"] for t in r["Properties"]["Tags"] if t["Key"] == "aws-cdk:subnet-name")
        for r in resources_of(template, "AWS::EC2::Subnet").values()
        if any(t["Key"] == INTERNAL_ELB for t in r["Properties"]["Tags"])
    }
    assert tagged == {"InternalLoadBalancer"}


def test_network_without_the_tier_keeps_internal_load_balancers_in_the_private_subnets() -> None:
    stack = cdk.Stack(cdk.App(), "Plain", env=TEST_ENV)
    network = Network(stack, "Network", props=NetworkProps(availability_zones=AZS))
    assert network.internal_load_balancer_subnets is None
    template = Template.from_stack(stack)
    private = template.find_resources("AWS::EC2::Subnet", {"Properties": {"Tags": Match.array_with([
        {"Key": "aws-cdk:subnet-name", "Value": "Private"}])}})
    assert len(private) == 3
    for subnet in private.values():
        assert {"Key": INTERNAL_ELB, "Value": "1"} in subnet["Properties"]["Tags"]


def test_network_needs_exactly_one_vpc_source() -> None:
    stack = cdk.Stack(cdk.App(), "NetworkValidation", env=TEST_ENV)
    vpc = ec2.Vpc(stack, "Byo", availability_zones=AZS)
    props = NetworkProps(availability_zones=AZS)
    with pytest.raises(ValueError, match=r"^NetworkValidation/Both: pass exactly one of existing_vpc"):
        Network(stack, "Both", props=props, existing_vpc=vpc)
    with pytest.raises(ValueError, match=r"^NetworkValidation/Neither: pass exactly one of existing_vpc"):
        Network(stack, "Neither")


#: What CDK names each endpoint service; the only copy, here, to check that creating a
#: service from its config name (as Network does) gives the service CDK defines.
CDK_SERVICES = {
    "ecr.api": "ECR", "ecr.dkr": "ECR_DOCKER", "sts": "STS", "ec2": "EC2",
    "logs": "CLOUDWATCH_LOGS", "ssm": "SSM", "ssmmessages": "SSM_MESSAGES",
    "ec2messages": "EC2_MESSAGES", "sqs": "SQS", "elasticloadbalancing": "ELASTIC_LOAD_BALANCING",
    "autoscaling": "AUTOSCALING", "eks": "EKS", "eks-auth": "EKS_AUTH", "kms": "KMS",
    "guardduty-data": "GUARDDUTY_DATA", "monitoring": "CLOUDWATCH_MONITORING", "xray": "XRAY",
}


def test_interface_endpoint_names_are_one_list() -> None:
    from eks_blueprint.config.network import INTERFACE_ENDPOINT_NAMES, NetworkConfig
    from eks_blueprint.network import INTERFACE_ENDPOINTS, interface_endpoint_service

    assert INTERFACE_ENDPOINTS is INTERFACE_ENDPOINT_NAMES
    schema = NetworkConfig.model_json_schema()["properties"]["interface_endpoints"]["items"]
    assert tuple(schema["enum"]) == INTERFACE_ENDPOINT_NAMES
    assert set(CDK_SERVICES) == set(INTERFACE_ENDPOINT_NAMES)
    stack = cdk.Stack(cdk.App(), "Services", env=TEST_ENV)
    for name, member in CDK_SERVICES.items():
        ours = interface_endpoint_service(name)
        theirs = getattr(ec2.InterfaceVpcEndpointAwsService, member)
        assert stack.resolve(ours.name) == stack.resolve(theirs.name), name
        assert (ours.short_name, ours.port, ours.private_dns_default) == (
            theirs.short_name, theirs.port, theirs.private_dns_default), name
    with pytest.raises(ValueError, match="'s3' is not a known interface endpoint"):
        interface_endpoint_service("s3")


def test_documentation_lists_every_interface_endpoint() -> None:
    from eks_blueprint.config.network import INTERFACE_ENDPOINT_NAMES

    root = Path(__file__).resolve().parents[2]
    rows = [
        (path, line)
        for path in [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `interface_endpoints` | list of `")  # the config's table
    ]
    if not rows:
        pytest.skip("no README or docs page has an interface_endpoints row")
    for path, row in rows:
        assert f"list of `{', '.join(INTERFACE_ENDPOINT_NAMES)}`" in row, path
