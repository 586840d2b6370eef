"""GPU and Windows capacity as a library user builds it: NVIDIA and Windows managed node
groups, a GPU NodePool, and the NVIDIA device plugin."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Match, Template

from eks_blueprint import ControlPlane, ControlPlaneProps
from eks_blueprint.compute.accelerators import (
    CHART_VERSION,
    NvidiaDevicePlugin,
    NvidiaDevicePluginProps,
)
from eks_blueprint.compute.fargate import FargateProfiles, FargateProfilesProps
from eks_blueprint.compute.karpenter import (
    ControllerPlacement,
    Karpenter,
    KarpenterProps,
    NodeClassSpec,
    NodePoolRequirements,
    NodePoolSpec,
)
from eks_blueprint.compute.managed_node_groups import (
    ManagedNodeGroups,
    ManagedNodeGroupsProps,
    NodeGroupSpec,
)
from eks_blueprint.compute.taints import Taint
from eks_blueprint.instance_types import NVIDIA_DEVICE_PLUGIN_LABEL
from eks_blueprint.validate_names import PropError

from .scaffold import defined_cluster, imported_cluster, stack, vpc

AMI = eks.NodegroupAmiType
LINUX = NodeGroupSpec(name="system", instance_types=("m7g.large", "m6g.large"))
GPU = NodeGroupSpec(
    name="gpu", instance_types=("g6.xlarge",), ami_type=AMI.AL2023_X86_64_NVIDIA, min_size=0,
    desired_size=0, max_size=2,
)  # fmt: skip
WINDOWS = NodeGroupSpec(
    name="windows", instance_types=("m6i.large", "m5.large"), ami_type=AMI.WINDOWS_CORE_2022_X86_64
)


def groups(*specs: NodeGroupSpec, defined: bool = False) -> tuple[Stack, ManagedNodeGroups]:
    scope = stack()
    cluster = defined_cluster(scope, kubectl=False) if defined else imported_cluster(scope)
    construct = ManagedNodeGroups(
        scope, "NodeGroups", props=ManagedNodeGroupsProps(cluster=cluster, groups=specs)
    )
    return scope, construct


def nodegroup(template: Template, label: str) -> dict[str, Any]:
    found = template.find_resources(
        "AWS::EKS::Nodegroup",
        {"Properties": {"Labels": Match.object_like({"eks-blueprint/node-group": label})}},
    )
    assert len(found) == 1, found
    return next(iter(found.values()))["Properties"]  # type: ignore[no-any-return]


def launch_template(template: Template, prefix: str) -> dict[str, Any]:
    found = {
        k: v
        for k, v in template.find_resources("AWS::EC2::LaunchTemplate").items()
        if k.startswith(prefix)
    }
    assert len(found) == 1, found
    return next(iter(found.values()))["Properties"]["LaunchTemplateData"]  # type: ignore[no-any-return]


# -- GPU node groups ---------------------------------------------------------------------


def test_al2023_nvidia_group_is_tainted_and_labelled_for_the_device_plugin() -> None:
    scope, construct = groups(LINUX, GPU)
    template = Template.from_stack(scope)
    gpu = nodegroup(template, "gpu")
    assert gpu["AmiType"] == "AL2023_x86_64_NVIDIA"
    assert gpu["Taints"] == [{"Key": "nvidia.com/gpu", "Value": "true", "Effect": "NO_SCHEDULE"}]
    assert gpu["Labels"][NVIDIA_DEVICE_PLUGIN_LABEL] == "true"
    assert NVIDIA_DEVICE_PLUGIN_LABEL not in nodegroup(template, "system")["Labels"]
    assert construct.nvidia_device_plugin_groups == ["gpu"]
    # AL2023 NVIDIA boots with nodeadm like AL2023: the max-pods NodeConfig still applies
    assert "UserData" in launch_template(template, "NodeGroupsGpuLaunchTemplate")


def test_bottlerocket_nvidia_group_needs_no_plugin_and_keeps_a_given_gpu_taint() -> None:
    own = Taint("nvidia.com/gpu", "PreferNoSchedule")
    spec = NodeGroupSpec(
        name="gpu", instance_types=("g5.xlarge", "g6.xlarge"),
        ami_type=AMI.BOTTLEROCKET_X86_64_NVIDIA, taints=(own,),
    )  # fmt: skip
    scope, construct = groups(LINUX, spec)
    gpu = nodegroup(Template.from_stack(scope), "gpu")
    assert gpu["Taints"] == [{"Key": "nvidia.com/gpu", "Effect": "PREFER_NO_SCHEDULE"}]
    assert NVIDIA_DEVICE_PLUGIN_LABEL not in gpu["Labels"]
    assert construct.nvidia_device_plugin_groups == []


# -- Windows node groups -----------------------------------------------------------------


def test_windows_group_has_its_own_role_no_user_data_and_a_windows_root() -> None:
    scope, construct = groups(LINUX, WINDOWS, defined=True)
    template = Template.from_stack(scope)
    windows = nodegroup(template, "windows")
    assert windows["AmiType"] == "WINDOWS_CORE_2022_x86_64"
    assert windows["Taints"] == [{"Key": "os", "Value": "windows", "Effect": "NO_SCHEDULE"}]
    assert windows["NodeRole"]["Fn::GetAtt"][0].startswith("NodeGroupsWindowsNodeRole")
    assert nodegroup(template, "system")["NodeRole"]["Fn::GetAtt"][0].startswith(
        "NodeGroupsNodeRole"
    )
    data = launch_template(template, "NodeGroupsWindowsLaunchTemplate")
    assert "UserData" not in data
    assert [m["DeviceName"] for m in data["BlockDeviceMappings"]] == ["/dev/sda1"]
    assert data["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True
    assert construct.max_pods["windows"] is None
    assert construct.windows_groups == ["windows"]
    # the cluster role gets the VPC resource controller policy, once
    roles = template.find_resources("AWS::IAM::Role")
    cluster_role = next(r for k, r in roles.items() if k.startswith("ClusterRole"))
    arns = json.dumps(cluster_role["Properties"]["ManagedPolicyArns"])
    assert arns.count("AmazonEKSVPCResourceController") == 1


def test_second_windows_group_shares_the_windows_role_and_attaches_nothing_twice() -> None:
    other = NodeGroupSpec(
        name="windows-full", instance_types=("m6i.xlarge",), ami_type=AMI.WINDOWS_FULL_2022_X86_64
    )
    scope, _ = groups(LINUX, WINDOWS, other, defined=True)
    template = Template.from_stack(scope)
    assert (
        nodegroup(template, "windows")["NodeRole"]
        == nodegroup(template, "windows-full")["NodeRole"]
    )
    roles = template.find_resources("AWS::IAM::Role")
    cluster_role = next(r for k, r in roles.items() if k.startswith("ClusterRole"))
    assert json.dumps(cluster_role).count("AmazonEKSVPCResourceController") == 1


def test_security_groups_for_pods_and_windows_attach_the_policy_once() -> None:
    # Both need AmazonEKSVPCResourceController on the cluster role; a second attachment of
    # the same ARN would be a duplicate in ManagedPolicyArns.
    scope = stack()
    plane = ControlPlane(
        scope, "ControlPlane",
        props=ControlPlaneProps(
            cluster_name="platform", version="1.34", vpc=vpc(scope),
            security_groups_for_pods=True,
        ),
    )  # fmt: skip
    plane.add_node_group(LINUX)
    plane.add_node_group(WINDOWS)
    template = Template.from_stack(scope)
    assert nodegroup(template, "windows")["AmiType"] == "WINDOWS_CORE_2022_x86_64"
    roles = [
        r for r in template.find_resources("AWS::IAM::Role").values()
        if '"Service": "eks.amazonaws.com"' in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    ]  # fmt: skip
    assert len(roles) == 1
    arns = json.dumps(roles[0]["Properties"]["ManagedPolicyArns"])
    assert arns.count("AmazonEKSVPCResourceController") == 1


def test_windows_node_role_cannot_be_the_linux_node_role() -> None:
    # EKS creates one access entry per role (EC2_LINUX or EC2_WINDOWS): a shared role leaves
    # one kind of node with the other's groups.
    for shared in (False, True):
        scope = stack()
        linux = iam.Role.from_role_arn(scope, "Nodes", "arn:aws:iam::111111111111:role/nodes")
        windows = (
            linux if shared
            else iam.Role.from_role_arn(scope, "Same", "arn:aws:iam::111111111111:role/nodes")
        )  # fmt: skip
        with pytest.raises(PropError, match=r"windows_node_role .*is the node_role of the Linux"):
            ManagedNodeGroups(
                scope, "NodeGroups",
                props=ManagedNodeGroupsProps(
                    cluster=imported_cluster(scope), groups=[LINUX, WINDOWS],
                    node_role=linux, windows_node_role=windows,
                ),
            )  # fmt: skip
    scope = stack()
    ManagedNodeGroups(
        scope, "NodeGroups",
        props=ManagedNodeGroupsProps(
            cluster=imported_cluster(scope), groups=[LINUX, WINDOWS],
            node_role=iam.Role.from_role_arn(scope, "Nodes", "arn:aws:iam::111111111111:role/a"),
            windows_node_role=iam.Role.from_role_arn(
                scope, "Win", "arn:aws:iam::111111111111:role/b"
            ),
        ),
    )  # fmt: skip


def test_windows_group_is_no_place_for_controllers() -> None:
    _, construct = groups(LINUX, WINDOWS)
    with pytest.raises(ValueError, match="'windows' is a Windows group"):
        construct.placement_for("windows")
    assert construct.placement_for("system").node_selector == {"eks-blueprint/node-group": "system"}


def test_windows_only_groups_without_other_capacity_fail_at_synth() -> None:
    scope, _ = groups(WINDOWS)
    with pytest.raises(Exception, match="every group is Windows \\(windows\\)"):
        Template.from_stack(scope)


def test_windows_only_groups_next_to_fargate_coredns_synthesise() -> None:
    scope = stack()
    cluster = defined_cluster(scope, kubectl=False)
    ManagedNodeGroups(
        scope, "NodeGroups", props=ManagedNodeGroupsProps(cluster=cluster, groups=[WINDOWS])
    )
    FargateProfiles(
        scope, "Fargate",
        props=FargateProfilesProps(
            cluster=cluster, cluster_name="platform", vpc=vpc(scope), coredns=True
        ),
    )  # fmt: skip
    Template.from_stack(scope)


PROP = "Platform/NodeGroups: ManagedNodeGroupsProps.groups[0]"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (NodeGroupSpec(name="gpu", instance_types=("m5.large",), ami_type=AMI.AL2023_X86_64_NVIDIA), ".instance_types: ['m5.large']; AL2023_X86_64_NVIDIA is for NVIDIA GPU types"),
        (NodeGroupSpec(name="gpu", instance_types=("g6.xlarge",)), ".instance_types: ['g6.xlarge']; GPU and accelerator types need an accelerated AMI type with their drivers"),
        (NodeGroupSpec(name="gpu", instance_types=("g5.xlarge",), ami_type=AMI.BOTTLEROCKET_X86_64), ".instance_types: ['g5.xlarge']; GPU and accelerator"),
        (NodeGroupSpec(name="gpu", instance_types=("g4ad.xlarge",), ami_type=AMI.AL2023_X86_64_NVIDIA), ".instance_types: ['g4ad.xlarge']; AL2023_X86_64_NVIDIA is for NVIDIA GPU types"),
        (NodeGroupSpec(name="gpu", instance_types=("g5g.xlarge",), ami_type=AMI.AL2023_X86_64_NVIDIA), ".instance_types: ['g5g.xlarge']; the AMI type AL2023_X86_64_NVIDIA is x86_64"),
        (NodeGroupSpec(name="inf", instance_types=("inf2.xlarge",), ami_type=AMI.AL2023_X86_64_NEURON, max_pods=58), None),
        (NodeGroupSpec(name="win", instance_types=("g5.xlarge",), ami_type=AMI.WINDOWS_CORE_2022_X86_64), ".instance_types: ['g5.xlarge']; the Windows AMI types have no GPU"),
        (NodeGroupSpec(name="win", instance_types=("m6i.large",), ami_type=AMI.WINDOWS_CORE_2022_X86_64, max_pods=20), ".max_pods: 20; a Windows node's pod count follows its ENI"),
        (NodeGroupSpec(name="win", instance_types=("m6i.large",), ami_type=AMI.WINDOWS_CORE_2022_X86_64, disk_size_gib=30), ".disk_size_gib: 30; Windows nodes need a root volume of at least 50 GiB"),
        (NodeGroupSpec(name="win", instance_types=("m7g.large",), ami_type=AMI.WINDOWS_CORE_2022_X86_64), ".instance_types: ['m7g.large']; the AMI type WINDOWS_CORE_2022_X86_64 is x86_64"),
    ],
)  # fmt: skip
def test_accelerated_and_windows_props_are_checked(bad: NodeGroupSpec, message: str | None) -> None:
    if message is None:  # a control: Neuron types on the Neuron AMI are accepted
        groups(bad)
        return
    with pytest.raises(ValueError, match=re.escape(PROP + message)):
        groups(bad)


# -- a GPU NodePool ----------------------------------------------------------------------


def karpenter(*pools: NodePoolSpec) -> Karpenter:
    scope = stack()
    return Karpenter(
        scope,
        "Karpenter",
        props=KarpenterProps(
            cluster=imported_cluster(scope),
            cluster_name="platform",
            kubernetes_version="1.34",
            placement=ControllerPlacement(),
            node_classes=(
                NodeClassSpec(),
                NodeClassSpec(name="bottlerocket", ami_alias="bottlerocket@v1.50.0"),
            ),
            node_pools=(NodePoolSpec(), *pools),
        ),
    )


def test_gpu_pool_keeps_to_nvidia_instances_and_is_tainted() -> None:
    construct = karpenter(
        NodePoolSpec.nvidia_gpu(name="gpu"),
        NodePoolSpec.nvidia_gpu(name="gpu-br", node_class="bottlerocket"),
    )
    gpu = construct.node_pool_manifest(NodePoolSpec.nvidia_gpu(name="gpu"))["spec"]["template"]
    requirements = gpu["spec"]["requirements"]
    assert {
        "key": "karpenter.k8s.aws/instance-gpu-manufacturer",
        "operator": "In",
        "values": ["nvidia"],
    } in requirements
    categories = next(r for r in requirements if r["key"].endswith("instance-category"))
    assert categories["values"] == ["g", "p"]
    assert gpu["spec"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
    ]
    assert gpu["metadata"]["labels"] == {NVIDIA_DEVICE_PLUGIN_LABEL: "true"}
    # Bottlerocket's NVIDIA variant has the plugin: no label; a general pool: neither
    bottlerocket = construct.node_pool_manifest(
        NodePoolSpec.nvidia_gpu(name="gpu-br", node_class="bottlerocket")
    )["spec"]["template"]
    assert "metadata" not in bottlerocket
    general = construct.node_pool_manifest(NodePoolSpec())["spec"]["template"]["spec"]
    assert "taints" not in general
    assert construct.nvidia_device_plugin_pools == ["gpu"]


def test_gpu_pool_without_gpu_categories_is_refused() -> None:
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Platform/Karpenter: KarpenterProps.node_pools[1].requirements.instance_categories: "
            "['c', 'm', 'r']; a GPU pool launches NVIDIA GPU instances"
        ),
    ):
        karpenter(NodePoolSpec(name="gpu", accelerator="nvidia"))


def test_gpu_pool_added_later_is_checked_too() -> None:
    construct = karpenter()
    with pytest.raises(ValueError, match=r"add_node_pool\(NodePoolSpec 'gpu'\)"):
        construct.add_node_pool(
            NodePoolSpec(
                name="gpu",
                accelerator="nvidia",
                requirements=NodePoolRequirements(instance_categories=("m",)),
            )
        )


def test_karpenter_default_placement_skips_windows_groups() -> None:
    scope = stack()
    cluster = defined_cluster(scope)
    ManagedNodeGroups(
        scope,
        "NodeGroups",
        props=ManagedNodeGroupsProps(cluster=cluster, groups=[WINDOWS, LINUX]),
    )
    construct = Karpenter(
        scope,
        "Karpenter",
        props=KarpenterProps(cluster=cluster, cluster_name="platform", kubernetes_version="1.34"),
    )
    assert construct.placement.node_selector == {"eks-blueprint/node-group": "system"}


# -- the NVIDIA device plugin ------------------------------------------------------------


def test_device_plugin_runs_only_on_labelled_nodes_and_tolerates_their_taints() -> None:
    scope = stack()
    NvidiaDevicePlugin(
        scope, "Plugin", props=NvidiaDevicePluginProps(cluster=imported_cluster(scope))
    )
    template = Template.from_stack(scope)
    charts = template.find_resources("Custom::AWSCDK-EKS-HelmChart")
    (chart,) = charts.values()
    properties = chart["Properties"]
    assert properties["Chart"] == "nvidia-device-plugin"
    assert properties["Repository"] == "https://nvidia.github.io/k8s-device-plugin"
    assert properties["Version"] == CHART_VERSION
    assert properties["Namespace"] == "kube-system"
    values = json.loads(properties["Values"])
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"] == [
        {
            "matchExpressions": [
                {"key": NVIDIA_DEVICE_PLUGIN_LABEL, "operator": "In", "values": ["true"]}
            ]
        }
    ]
    assert values["tolerations"] == [{"operator": "Exists"}]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"namespace": "default"}, "NvidiaDevicePluginProps.namespace = 'default': the chart refuses"),
        ({"namespace": "GPU"}, "NvidiaDevicePluginProps.namespace = 'GPU': not a Kubernetes name"),
        ({"version": "latest"}, "NvidiaDevicePluginProps.version = 'latest': expected a chart version"),
        ({"extra_values": ["config"]}, "NvidiaDevicePluginProps.extra_values = ['config']: expected Mapping[str, Any], got list: use a dict"),
        ({"version": 0.17}, "NvidiaDevicePluginProps.version = 0.17: expected str, got float: use a str, e.g. '0.17'"),
    ],
)  # fmt: skip
def test_device_plugin_props_are_checked(changes: dict[str, Any], message: str) -> None:
    scope = stack()
    with pytest.raises(PropError, match=re.escape(f"Platform/Plugin: {message}")):
        NvidiaDevicePlugin(
            scope,
            "Plugin",
            props=NvidiaDevicePluginProps(cluster=imported_cluster(scope), **changes),
        )


def test_device_plugin_without_kubectl_is_a_prop_error() -> None:
    """Not jsii's "Kubectl Provider is not defined in this cluster": the construct, the prop
    and the fix."""
    scope = stack()
    with pytest.raises(
        PropError, match=re.escape("Platform/Plugin: NvidiaDevicePluginProps.cluster")
    ) as caught:
        NvidiaDevicePlugin(
            scope,
            "Plugin",
            props=NvidiaDevicePluginProps(cluster=imported_cluster(scope, kubectl=False)),
        )
    assert "no kubectl provider" in str(caught.value)
    assert "kubectl_provider=True" in str(caught.value)
