"""VPC CNI custom networking: the pod subnets of Network, the ENIConfigs of
CustomNetworking (against the ENIConfig CRD's schema), the vpc-cni settings, the ordering
before the nodes, max pods with one ENI fewer, and staging's IP plan of the pod subnets."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import jsonschema  # type: ignore[import-untyped]  # cfn-lint requires it
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk.assertions import Template

from eks_blueprint import (
    ControlPlane,
    ControlPlaneProps,
    CustomNetworking,
    CustomNetworkingProps,
    ManagedNodeGroups,
    ManagedNodeGroupsProps,
    Network,
    NetworkProps,
    NodeGroupSpec,
    availability_zones_context_key,
)
from eks_blueprint.pod_networking import CUSTOM_NETWORKING_ENV, eni_config_manifest
from eks_blueprint.template.kubernetes import manifest_objects
from tests.conftest import SynthResult
from tests.constructs.clusters import ENV, ZONES, imported, refused
from tests.unit import layers

#: The ENIConfig CRD's spec schema, closed to unknown fields (the API server would prune
#: them): aws/amazon-vpc-cni-k8s charts/aws-vpc-cni/crds/customresourcedefinition.yaml at
#: v1.23.0 (crd.k8s.amazonaws.com/v1alpha1, cluster-scoped; subnet required).
ENI_CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "crd.k8s.amazonaws.com/v1alpha1"},
        "kind": {"const": "ENIConfig"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "not": {"required": ["namespace"]},
        },
        "spec": {
            "type": "object",
            "required": ["subnet"],
            "additionalProperties": False,
            "properties": {
                "securityGroups": {"type": "array", "items": {"type": "string"}},
                "subnet": {"type": "string"},
            },
        },
    },
}


def _stack() -> cdk.Stack:
    app = cdk.App(
        context={availability_zones_context_key("123456789012", "eu-west-1"): list(ZONES)}
    )
    return cdk.Stack(app, "Platform", env=ENV)


def _pod_network(scope: cdk.Stack, **settings: Any) -> Network:
    return Network(
        scope,
        "Network",
        props=NetworkProps(
            availability_zones=ZONES,
            pod_subnet_cidr="100.64.0.0/16",
            interface_endpoints=("sts",),
            **settings,
        ),
    )


@pytest.fixture(scope="module")
def platform() -> tuple[Template, CustomNetworking]:
    """A cluster with custom networking: pod subnets, ENIConfigs, one node group."""
    scope = _stack()
    network = _pod_network(scope)
    plane = ControlPlane(
        scope,
        "ControlPlane",
        props=ControlPlaneProps(cluster_name="platform", version="1.34", vpc=network.vpc),
    )
    plane.add_addons(vpc_cni_custom_networking=True)
    ManagedNodeGroups(
        scope,
        "NodeGroups",
        props=ManagedNodeGroupsProps(
            cluster=plane.icluster,
            groups=[
                NodeGroupSpec(name="small", instance_types=["m6g.medium"], min_size=1, max_size=2)
            ],
            custom_networking=True,
        ),
    )
    pods = CustomNetworking(
        scope,
        "CustomNetworking",
        props=CustomNetworkingProps(cluster=plane.icluster, subnets=network.pod_subnets),
    )
    return Template.from_stack(scope), pods


def _eni_configs(template: Template) -> list[dict[str, Any]]:
    resources = template.to_json()["Resources"]
    return [o.body for o in manifest_objects(resources) if o.kind == "ENIConfig"]


# -- Network: the pod subnets ---------------------------------------------------------------


def test_pod_subnets_in_a_secondary_block(platform: tuple[Template, CustomNetworking]) -> None:
    template, _ = platform
    resources = template.to_json()["Resources"]
    (block_id,) = (
        k
        for k, r in resources.items()
        if r["Type"] == "AWS::EC2::VPCCidrBlock" and r["Properties"].get("CidrBlock")
    )
    assert resources[block_id]["Properties"]["CidrBlock"] == "100.64.0.0/16"
    pods = {
        k: r for k, r in resources.items() if r["Type"] == "AWS::EC2::Subnet" and "PodsSubnet" in k
    }
    assert sorted(
        (r["Properties"]["AvailabilityZone"], r["Properties"]["CidrBlock"]) for r in pods.values()
    ) == [
        ("eu-west-1a", "100.64.0.0/18"),
        ("eu-west-1b", "100.64.64.0/18"),
        ("eu-west-1c", "100.64.128.0/18"),
    ]
    for subnet in pods.values():
        assert block_id in subnet["DependsOn"]  # EC2 refuses a subnet outside the VPC's CIDRs
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False
        keys = {t["Key"] for t in subnet["Properties"]["Tags"]}
        assert "eks-blueprint/subnet-role" in keys
        # Nothing else may choose them: no load balancer, Karpenter or CDK group tag.
        assert not keys & {
            "kubernetes.io/role/elb",
            "kubernetes.io/role/internal-elb",
            "karpenter.sh/discovery",
            "aws-cdk:subnet-type",
        }


def test_pod_subnets_use_their_zones_private_route_table(
    platform: tuple[Template, CustomNetworking],
) -> None:
    template, _ = platform
    resources = template.to_json()["Resources"]
    associations = [
        r["Properties"]
        for k, r in resources.items()
        if r["Type"] == "AWS::EC2::SubnetRouteTableAssociation" and "PodsSubnet" in k
    ]
    assert len(associations) == 3
    for index, association in enumerate(associations, start=1):
        table = association["RouteTableId"]["Ref"]
        assert table.startswith(f"NetworkVpcPrivateSubnet{index}RouteTable"), table
        assert association["SubnetId"]["Ref"].startswith(f"NetworkPodsSubnet{index}")


def test_endpoints_admit_the_pod_cidr(platform: tuple[Template, CustomNetworking]) -> None:
    template, _ = platform
    groups = template.find_resources("AWS::EC2::SecurityGroup")
    endpoint = [g for k, g in groups.items() if "StsEndpoint" in k]
    assert len(endpoint) == 1
    cidrs = [r["CidrIp"] for r in endpoint[0]["Properties"]["SecurityGroupIngress"]]
    assert cidrs == ["10.0.0.0/16", "100.64.0.0/16"]


def test_no_pod_subnets_without_the_prop() -> None:
    scope = _stack()
    network = Network(scope, "Network", props=NetworkProps(availability_zones=ZONES))
    assert network.pod_subnets == [] and network.pod_cidr_block is None
    template = Template.from_stack(scope)
    template.resource_count_is("AWS::EC2::VPCCidrBlock", 0)


# -- CustomNetworking: the ENIConfigs --------------------------------------------------------


def test_one_manifest_one_eni_config_per_zone(platform: tuple[Template, CustomNetworking]) -> None:
    # One item, in the foundation layer (capacity may wait for it), holding them all.
    template, pods = platform
    assert pods.zones == ZONES
    resources = template.to_json()["Resources"]
    manifests = [k for k in layers.items(resources) if "EniConfigs" in k]
    assert manifests == ["CustomNetworking/EniConfigs"]
    eni_configs = layers.item(resources, "CustomNetworking/EniConfigs")
    assert (eni_configs.type, eni_configs.layer) == ("manifest", "foundation")
    objects = _eni_configs(template)
    assert [o["metadata"]["name"] for o in objects] == list(ZONES)
    text = layers.manifest_text(resources, "CustomNetworking/EniConfigs")
    for index in (1, 2, 3):
        assert f"NetworkPodsSubnet{index}" in text
    assert "ClusterSecurityGroupId" in text  # the pods' ENIs get the cluster security group


def test_eni_configs_match_the_crd() -> None:
    good = eni_config_manifest("eu-west-1a", "subnet-0123", ["sg-0123"])
    jsonschema.validate(good, ENI_CONFIG_SCHEMA)
    broken = eni_config_manifest("eu-west-1a", "subnet-0123", ["sg-0123"])
    broken["spec"]["subnets"] = broken["spec"].pop("subnet")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, ENI_CONFIG_SCHEMA)


def test_every_applied_eni_config_matches_the_crd(synth: SynthResult) -> None:
    objects = [
        o.body
        for stacks in synth.templates.values()
        for kind, template in stacks.items()
        for o in manifest_objects(template["Resources"], stack=kind)
        if o.kind == "ENIConfig"
    ]
    assert len(objects) == 3  # staging's, one per AZ
    for body in objects:
        body = json.loads(json.dumps(body))
        body["metadata"].pop("labels", None)  # aws_eks_v2's prune label
        jsonschema.validate(body, ENI_CONFIG_SCHEMA)


def test_ordered_after_vpc_cni_and_before_the_nodes(
    platform: tuple[Template, CustomNetworking],
) -> None:
    # The ENIConfigs' layer (foundation) waits for the vpc-cni add-on (their CRD), and
    # every node group for that layer.
    template, _ = platform
    resources = template.to_json()["Resources"]
    foundation = layers.layer_resources(resources)["foundation"]
    assert layers.item(resources, "CustomNetworking/EniConfigs").logical_id == foundation
    (cni_id,) = (
        k
        for k, r in resources.items()
        if r["Type"] == "AWS::EKS::Addon" and r["Properties"]["AddonName"] == "vpc-cni"
    )
    assert cni_id in layers.layer_depends_on(resources, "CustomNetworking/EniConfigs")
    groups = template.find_resources("AWS::EKS::Nodegroup")
    assert groups
    for group in groups.values():
        assert foundation in group["DependsOn"]


def test_the_vpc_cni_switches_to_custom_networking(
    platform: tuple[Template, CustomNetworking],
) -> None:
    template, _ = platform
    addons = template.find_resources("AWS::EKS::Addon", {"Properties": {"AddonName": "vpc-cni"}})
    (addon,) = addons.values()
    env = json.loads(addon["Properties"]["ConfigurationValues"])["env"]
    assert {k: env[k] for k in CUSTOM_NETWORKING_ENV} == {
        "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
        "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
    }
    assert env["ENABLE_PREFIX_DELEGATION"] == "true"


def test_custom_networking_refuses_bad_props() -> None:
    scope = _stack()
    network = _pod_network(scope)
    cluster = imported(scope)
    path = "Platform/CustomNetworking"

    def build(**settings: Any) -> CustomNetworking:
        return CustomNetworking(
            scope, "CustomNetworking", props=CustomNetworkingProps(cluster=cluster, **settings)
        )

    def fresh_scope_build(**settings: Any) -> CustomNetworking:
        # A refused construct stays in the tree: each case gets a stack of its own.
        other = _stack()
        return CustomNetworking(
            other,
            "CustomNetworking",
            props=CustomNetworkingProps(cluster=imported(other), **settings),
        )

    refused(path, "CustomNetworkingProps.subnets", build, subnets=[])
    first = network.pod_subnets[0]
    refused(path, "CustomNetworkingProps.subnets[1]", fresh_scope_build, subnets=[first, first])
    unknown_zone = ec2.Subnet.from_subnet_id(scope, "NoZone", "subnet-0123")
    refused(path, "CustomNetworkingProps.subnets[0]", fresh_scope_build, subnets=[unknown_zone])
    refused(
        path,
        "CustomNetworkingProps.security_group_ids",
        fresh_scope_build,
        subnets=network.pod_subnets,
        security_group_ids="sg-0123",
    )
    message = refused(
        path,
        "CustomNetworkingProps.security_group_ids[1]",
        fresh_scope_build,
        subnets=network.pod_subnets,
        security_group_ids=["sg-0123", 123],
    )
    assert "expected str, got int: use a str, e.g. '123'" in message
    refused(
        path,
        "CustomNetworkingProps.cluster",
        CustomNetworking,
        _stack(),
        "CustomNetworking",
        props=CustomNetworkingProps(
            cluster=imported(_stack(), kubectl=False), subnets=network.pod_subnets
        ),
    )


# -- max pods with one ENI fewer --------------------------------------------------------------


def test_node_groups_count_one_eni_fewer(platform: tuple[Template, CustomNetworking]) -> None:
    template, _ = platform
    (launch,) = template.find_resources("AWS::EC2::LaunchTemplate").values()
    import base64

    data = launch["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
    text = data if isinstance(data, str) else base64.b64decode(data).decode()
    # m6g.medium: 2 ENIs of 4 addresses; without the primary 1 x 3 x 16 + 2 = 50 (98 with it).
    assert "maxPods: 50" in text


def test_karpenter_node_classes_count_one_eni_fewer() -> None:
    from tests.constructs.test_max_pods_settings import _karpenter

    def class_max_pods(custom: bool) -> Any:
        _, karpenter = _karpenter(custom_networking=custom)
        body = karpenter.node_class_manifest(karpenter.props.node_classes[0])
        return body["spec"]["kubelet"]["maxPods"], karpenter.node_class_max_pods(
            karpenter.props.node_classes[0].name
        )

    # The default pool keeps to Nitro c, m and r types from large up, which hold 110 pods
    # with prefixes either way (c5.large: 2 ENIs of 10 addresses left, 2 x 9 x 16 + 2).
    assert class_max_pods(False) == (110, 110)
    assert class_max_pods(True) == (110, 110)


def test_node_class_value_without_a_pool_counts_one_eni_fewer() -> None:
    from eks_blueprint.compute.max_pods import node_class_max_pods

    # Without a pool: the smallest of the Nitro types from large up. d3.xlarge has 4 ENIs of
    # 3 addresses: 4 x 2 x 16 + 2 = 130 -> 110 with the primary ENI, 3 x 2 x 16 + 2 = 98
    # without it.
    assert node_class_max_pods([]) == 110
    assert node_class_max_pods([], custom_networking=True) == 98


# -- plan ips: staging's pod subnets ---------------------------------------------------------


def test_staging_plan_checks_the_pod_subnets(synth: SynthResult) -> None:
    from eks_blueprint.plan import load_inputs
    from eks_blueprint.plan.ips import plan_ips
    from stacks.app_builder import CONFIG_DIR

    report = plan_ips(load_inputs("staging", CONFIG_DIR, synth.outdir))
    assert report.data["mode"] == "custom-networking+prefix"
    pods = [r for r in report.data["subnets"] if r["tier"] == "Pods"]
    assert sorted((r["az"], r["cidr"]) for r in pods) == [
        ("eu-west-1a", "100.64.0.0/18"),
        ("eu-west-1b", "100.64.64.0/18"),
        ("eu-west-1c", "100.64.128.0/18"),
    ]
    for row in pods:
        assert row["needed"] > 0 and row["fits"]
        assert all(line["what"].startswith("pods of NodePool") for line in row["lines"])
    # The nodes' own subnets hold only each node's primary address, no pod prefixes.
    private = [r for r in report.data["subnets"] if r["tier"] == "Private"]
    assert all(r["demand"]["prefixes"] == 0 for r in private)
    found = [f for f in report.findings if f.check == "custom-networking"]
    assert [f.severity for f in found] == ["info"]


def test_growth_methods_follow_the_add_ons_custom_networking() -> None:
    """A library user who turns custom networking on in `add_addons` and then adds capacity
    through the growth methods gets node groups and Karpenter that count one ENI fewer,
    without repeating the flag (the kubelet would otherwise admit pods the CNI cannot
    address: 98 instead of 50 on an m6g.medium)."""

    def built(custom: bool) -> ControlPlane:
        scope = _stack()
        network = _pod_network(scope)
        plane = ControlPlane(
            scope,
            "ControlPlane",
            props=ControlPlaneProps(cluster_name="platform", version="1.34", vpc=network.vpc),
        )
        plane.add_addons(vpc_cni_custom_networking=custom)
        plane.add_node_group(
            NodeGroupSpec(name="small", instance_types=["m6g.medium"], min_size=1, max_size=2)
        )
        plane.add_karpenter()
        return plane

    with_custom, without = built(True), built(False)
    assert with_custom.node_groups is not None and without.node_groups is not None
    assert with_custom.node_groups.max_pods["small"] == 50
    assert without.node_groups.max_pods["small"] == 98
    assert with_custom.karpenter is not None and with_custom.karpenter.props.custom_networking
    assert without.karpenter is not None and not without.karpenter.props.custom_networking
