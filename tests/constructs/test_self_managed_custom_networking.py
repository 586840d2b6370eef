"""Self-managed node groups with VPC CNI custom networking: max pods count one ENI fewer (as
managed node groups and Karpenter do), the environment's `network.pod_subnets` switches it on
in the translation, and the groups launch only after the ENIConfigs exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
import yaml
from aws_cdk.assertions import Template

from eks_blueprint import (
    ControlPlane,
    ControlPlaneProps,
    CustomNetworking,
    CustomNetworkingProps,
    Network,
    NetworkProps,
    availability_zones_context_key,
)
from eks_blueprint.compute.self_managed import (
    SelfManagedNodeGroups,
    SelfManagedNodeGroupSpec,
    SelfManagedNodeGroupsProps,
)
from eks_blueprint.config import load_config
from stacks.app_builder import CONFIG_DIR, build_app
from stacks.translate.compute import self_managed_props
from tests.conftest import resources_of
from tests.unit import layers

from .clusters import ENV, ZONES

ASG = "AWS::AutoScaling::AutoScalingGroup"
#: m6g.medium: 2 ENIs of 4 addresses. With prefixes 2 x 3 x 16 + 2 = 98, without the primary
#: ENI 1 x 3 x 16 + 2 = 50; with secondary IPs 1 x 3 + 2 = 5 without the primary ENI.
SMALL = ("m6g.medium",)


def _platform(
    *, custom_networking: bool, prefix_delegation: bool = True, nodes_first: bool = True
) -> tuple[cdk.Stack, SelfManagedNodeGroups, CustomNetworking]:
    app = cdk.App(
        context={availability_zones_context_key("123456789012", "eu-west-1"): list(ZONES)}
    )
    scope = cdk.Stack(app, "Platform", env=ENV)
    network = Network(
        scope,
        "Network",
        props=NetworkProps(
            availability_zones=ZONES, pod_subnet_cidr="100.64.0.0/16", interface_endpoints=("sts",)
        ),
    )
    plane = ControlPlane(
        scope,
        "ControlPlane",
        props=ControlPlaneProps(cluster_name="platform", version="1.34", vpc=network.vpc),
    )
    plane.add_addons(vpc_cni_custom_networking=True)

    def nodes() -> SelfManagedNodeGroups:
        return SelfManagedNodeGroups(
            scope,
            "SelfManagedNodes",
            props=SelfManagedNodeGroupsProps(
                cluster=plane.icluster,
                cluster_name="platform",
                kubernetes_version="1.34",
                service_ipv4_cidr="172.20.0.0/16",
                groups=[SelfManagedNodeGroupSpec(name="small", instance_types=SMALL)],
                custom_networking=custom_networking,
                prefix_delegation=prefix_delegation,
            ),
        )

    def pods() -> CustomNetworking:
        return CustomNetworking(
            scope,
            "CustomNetworking",
            props=CustomNetworkingProps(cluster=plane.icluster, subnets=network.pod_subnets),
        )

    if nodes_first:
        groups = nodes()
        eni_configs = pods()
    else:
        eni_configs = pods()
        groups = nodes()
        eni_configs.order_capacity(groups)
    return scope, groups, eni_configs


def _user_data_strings(template: dict[str, Any]) -> str:
    """The literal parts of the (AL2023 MIME) user data: max pods is one of them."""
    (launch,) = resources_of(template, "AWS::EC2::LaunchTemplate").values()
    data = launch["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
    if isinstance(data, str):
        return data
    _, parts = data["Fn::Join"]
    return "".join(p for p in parts if isinstance(p, str))


@pytest.mark.parametrize(
    ("custom_networking", "prefix_delegation", "expected"),
    [
        (False, True, 98),
        (True, True, 50),  # the primary ENI holds no pod prefixes
        (True, False, 5),  # the AMI's own value would count the primary ENI: set it
        (False, False, None),  # neither: the AMI's own
    ],
)
def test_max_pods_count_one_eni_fewer_with_custom_networking(
    custom_networking: bool, prefix_delegation: bool, expected: int | None
) -> None:
    scope, groups, _ = _platform(
        custom_networking=custom_networking, prefix_delegation=prefix_delegation
    )
    assert groups.max_pods == {"small": expected}
    text = _user_data_strings(dict(Template.from_stack(scope).to_json()))
    if expected is None:
        assert "maxPods" not in text
    else:
        assert f"maxPods: {expected}" in text


def test_an_explicit_max_pods_is_kept() -> None:
    app = cdk.App(
        context={availability_zones_context_key("123456789012", "eu-west-1"): list(ZONES)}
    )
    scope = cdk.Stack(app, "Platform", env=ENV)
    network = Network(
        scope, "Network", props=NetworkProps(availability_zones=ZONES, interface_endpoints=())
    )
    plane = ControlPlane(
        scope,
        "ControlPlane",
        props=ControlPlaneProps(cluster_name="platform", version="1.34", vpc=network.vpc),
    )
    groups = SelfManagedNodeGroups(
        scope,
        "SelfManagedNodes",
        props=SelfManagedNodeGroupsProps(
            cluster=plane.icluster,
            cluster_name="platform",
            kubernetes_version="1.34",
            service_ipv4_cidr="172.20.0.0/16",
            groups=[SelfManagedNodeGroupSpec(name="small", instance_types=SMALL, max_pods=20)],
            custom_networking=True,
        ),
    )
    assert groups.max_pods == {"small": 20}


@pytest.mark.parametrize("nodes_first", [True, False])
def test_the_groups_launch_after_the_eni_configs(nodes_first: bool) -> None:
    # Created before CustomNetworking (as ClusterStack does), the groups are ordered by it;
    # created after, by CustomNetworking.order_capacity.
    scope, _, _ = _platform(custom_networking=True, nodes_first=nodes_first)
    # The ENIConfigs are an item of the foundation layer: the group waits for that layer.
    resources = Template.from_stack(scope).to_json()["Resources"]
    foundation = layers.item(resources, "CustomNetworking/EniConfigs").logical_id
    assert layers.layer_resources(resources)["foundation"] == foundation
    (group,) = resources_of({"Resources": resources}, ASG).values()
    assert foundation in group["DependsOn"]


# -- the environment file --------------------------------------------------------------------


def _with_pod_subnets(tmp_path: Path) -> Path:
    """The self-managed example with pod subnets, its AL2023 group on t3.small: 3 ENIs of 4
    addresses, 3 x 3 x 16 + 2 -> 110 pods with prefixes, 2 x 3 x 16 + 2 = 98 without the
    primary ENI."""
    data = yaml.safe_load((CONFIG_DIR / "examples" / "self-managed.yaml").read_text())
    data["network"]["pod_subnets"] = {"cidr": "100.64.0.0/16", "mask": 18}
    (hardened,) = (
        g for g in data["compute"]["self_managed_node_groups"] if g["name"] == "hardened"
    )
    hardened["instance_types"] = ["t3.small"]
    path = tmp_path / "self-managed-pods.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_pod_subnets_switch_custom_networking_on_in_the_translation(tmp_path: Path) -> None:
    example = load_config(CONFIG_DIR / "examples" / "self-managed.yaml")
    pods = load_config(_with_pod_subnets(tmp_path))
    cluster: Any = object()  # the props only carry it
    subnets: Any = None
    without = self_managed_props(example, cluster, subnets)
    with_pods = self_managed_props(pods, cluster, subnets)
    assert without is not None and without.custom_networking is False
    assert with_pods is not None and with_pods.custom_networking is True


def test_an_environment_with_pod_subnets_orders_and_sizes_its_self_managed_groups(
    tmp_path: Path,
) -> None:
    cfg = load_config(_with_pod_subnets(tmp_path))
    app = build_app([cfg], outdir=str(tmp_path / "cdk.out"))
    stage = app.synth().get_nested_assembly(f"assembly-{cfg.name}")
    (cluster,) = (s.template for s in stage.stacks if s.stack_name.endswith("-eks-cluster"))
    resources = cluster["Resources"]
    (manifest,) = (k for k in layers.items(resources) if "EniConfigs" in k)
    foundation = layers.item(resources, manifest).logical_id
    assert layers.layer_resources(resources)["foundation"] == foundation
    groups = {
        k: r for k, r in resources_of(cluster, ASG).items() if k.startswith("SelfManagedNodes")
    }
    assert len(groups) == 2  # hardened and golden
    for group in groups.values():
        assert foundation in group["DependsOn"]
    # hardened (AL2023, t3.small): 98, not the 110 of the node subnets; golden
    # (Bottlerocket, m7g.large / m6g.large): 3 ENIs of 10, 2 x 9 x 16 + 2 -> 110 either way.
    templates = {
        k: str(r)
        for k, r in resources_of(cluster, "AWS::EC2::LaunchTemplate").items()
        if k.startswith("SelfManagedNodes")
    }
    (hardened,) = (t for k, t in templates.items() if "Hardened" in k)
    (golden,) = (t for k, t in templates.items() if "Golden" in k)
    assert "maxPods: 98" in hardened and "maxPods: 110" not in hardened
    assert "max-pods = 110" in golden
