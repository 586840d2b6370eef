"""ManagedNodeGroups as a library user builds it: explicit props, no configuration file."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_eks_v2 as eks
from aws_cdk.assertions import Match, Template

from eks_blueprint.compute.managed_node_groups import (
    ManagedNodeGroups,
    ManagedNodeGroupsProps,
    NodeGroupSpec,
)
from eks_blueprint.compute.taints import Taint
from eks_blueprint.validate_names import PropError
from eks_blueprint.wiring import capacity_of

from .scaffold import defined_cluster, imported_cluster, stack

GRAVITON = ("m7g.large", "m6g.large")


def groups(*specs: NodeGroupSpec, defined: bool = False) -> tuple[Stack, ManagedNodeGroups]:
    scope = stack()
    cluster = defined_cluster(scope, kubectl=False) if defined else imported_cluster(scope)
    construct = ManagedNodeGroups(
        scope, "NodeGroups", props=ManagedNodeGroupsProps(cluster=cluster, groups=specs)
    )
    return scope, construct


def test_defaults_infer_the_ami_and_size_the_group() -> None:
    # GIVEN only a name and Graviton instance types
    scope, _ = groups(NodeGroupSpec(name="system", instance_types=GRAVITON))
    template = Template.from_stack(scope)
    # THEN AL2023 for arm64, on-demand, 2 nodes up to 4, the group label, 33 % at a time
    template.has_resource_properties(
        "AWS::EKS::Nodegroup",
        {
            "AmiType": "AL2023_ARM_64_STANDARD",
            "CapacityType": "ON_DEMAND",
            "InstanceTypes": list(GRAVITON),
            "ScalingConfig": {"MinSize": 2, "DesiredSize": 2, "MaxSize": 4},
            "Labels": {"eks-blueprint/node-group": "system"},
            "UpdateConfig": {"MaxUnavailablePercentage": 33},
        },
    )
    # AND a launch template with IMDSv2, hop limit 1 and an encrypted 50 GiB gp3 volume
    template.has_resource_properties(
        "AWS::EC2::LaunchTemplate",
        {
            "LaunchTemplateData": Match.object_like(
                {
                    "MetadataOptions": {
                        "HttpEndpoint": "enabled",
                        "HttpTokens": "required",
                        "HttpPutResponseHopLimit": 1,
                    },
                    "BlockDeviceMappings": [
                        {
                            "DeviceName": "/dev/xvda",
                            "Ebs": Match.object_like(
                                {"VolumeSize": 50, "VolumeType": "gp3", "Encrypted": True}
                            ),
                        }
                    ],
                }
            )
        },
    )


def test_x86_types_get_the_x86_ami_and_taints_are_set() -> None:
    spec = NodeGroupSpec(
        name="batch",
        instance_types=("m7i.large", "m6i.large"),
        capacity_type=eks.CapacityType.SPOT,
        taints=[Taint("dedicated", "NoSchedule", "batch"), Taint("spot", "PreferNoSchedule")],
    )
    scope, _ = groups(spec)
    Template.from_stack(scope).has_resource_properties(
        "AWS::EKS::Nodegroup",
        {
            "AmiType": "AL2023_x86_64_STANDARD",
            "CapacityType": "SPOT",
            "Taints": [
                {"Key": "dedicated", "Value": "batch", "Effect": "NO_SCHEDULE"},
                {"Key": "spot", "Effect": "PREFER_NO_SCHEDULE"},
            ],
        },
    )


def test_add_group_grows_an_empty_container_and_registers_capacity() -> None:
    # GIVEN a container without groups, on a cluster of this app
    scope, construct = groups(defined=True)
    # WHEN a group is added afterwards
    nodegroup = construct.add_group(
        NodeGroupSpec(
            name="system-arm",
            instance_types=GRAVITON,
            ami_type=eks.NodegroupAmiType.BOTTLEROCKET_ARM_64,
            taints=[Taint("CriticalAddonsOnly", "NoSchedule", "true")],
        )
    )
    # THEN it is returned, with the usual ids, and the container counts as capacity
    assert isinstance(nodegroup, eks.Nodegroup)
    assert nodegroup.node.id == "SystemArm"
    assert construct.node.try_find_child("SystemArmLaunchTemplate") is not None
    assert construct in capacity_of(construct._props.cluster)
    template = Template.from_stack(scope)
    template.resource_count_is("AWS::EKS::Nodegroup", 1)
    template.has_resource_properties(
        "AWS::EC2::LaunchTemplate",
        {
            "LaunchTemplateData": Match.object_like(
                {
                    "BlockDeviceMappings": [
                        Match.object_like({"DeviceName": "/dev/xvda"}),
                        Match.object_like({"DeviceName": "/dev/xvdb"}),
                    ]
                }
            )
        },
    )
    # AND a controller placed on it tolerates its taint
    placement = construct.placement_for("system-arm")
    assert placement.node_selector == {"eks-blueprint/node-group": "system-arm"}
    assert placement.toleration_values() == [
        {"key": "CriticalAddonsOnly", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]


def test_a_container_without_groups_fails_synth() -> None:
    scope, _ = groups()
    with pytest.raises(Exception, match="Platform/NodeGroups: ManagedNodeGroups has no node group"):
        Template.from_stack(scope)


def spec(**changes: Any) -> NodeGroupSpec:
    fields: dict[str, Any] = {"name": "system", "instance_types": GRAVITON, **changes}
    return NodeGroupSpec(**fields)


PROP = "Platform/NodeGroups: ManagedNodeGroupsProps.groups[0]"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (spec(capacity_type=eks.CapacityType.SPOT, instance_types=("m7g.large",)), ".instance_types: ['m7g.large']; Spot capacity needs at least 2"),
        (spec(ami_type=eks.NodegroupAmiType.AL2_ARM_64), ".ami_type: 'AL2_ARM_64'; Amazon Linux 2 is deprecated"),
        (spec(disk_size_gib=5), ".disk_size_gib: 5; use 20-16384 GiB"),
        (spec(min_size=3, desired_size=3, max_size=2), ".min_size/desired_size/max_size: {'min': 3, 'desired': 3, 'max': 2}"),
        (spec(min_size=0, desired_size=0, max_size=0), ".min_size/desired_size/max_size: {'min': 0, 'desired': 0, 'max': 0}; need 0 <= min <= desired <= max and max >= 1"),
        (spec(instance_types=("m7g.large", "m7i.large")), ".instance_types: ['m7g.large', 'm7i.large']; mixes arm64"),
        (spec(ami_type=eks.NodegroupAmiType.AL2023_X86_64_STANDARD), ".instance_types: ['m7g.large', 'm6g.large']; the AMI type AL2023_X86_64_STANDARD is x86_64"),
        # Windows node groups are supported (tests/constructs/test_accelerated_capacity.py), on x86_64 only: EKS has no Windows AMI for Graviton
        (spec(ami_type=eks.NodegroupAmiType.WINDOWS_CORE_2022_X86_64), ".instance_types: ['m7g.large', 'm6g.large']; the AMI type WINDOWS_CORE_2022_X86_64 is x86_64"),
        (spec(imds_hop_limit=3), ".imds_hop_limit: 3; use 1"),
        (spec(max_pods=251), ".max_pods: 251; use 1-250"),
        (spec(max_pods=111), ".max_pods: 111; use 1-110, or unset: EKS managed node groups allow at most 110 pods on m7g.large (2 vCPUs; 110 below 30 vCPUs, 250 from there), the group's smallest type"),
        (spec(max_pods=200, instance_types=("m7g.16xlarge", "m7g.xlarge")), ".max_pods: 200; use 1-110, or unset: EKS managed node groups allow at most 110 pods on m7g.xlarge (4 vCPUs"),
        (spec(max_unavailable_percentage=0), ".max_unavailable_percentage: 0; use 1-100"),
        (spec(name="System"), ".name: 'System'; use 1-63 lower-case"),
        (spec(instance_types=("large",)), ".instance_types: 'large'; not an EC2 instance type"),
        (spec(instance_types=()), ".instance_types: []; give at least one"),
    ],
)  # fmt: skip
def test_bad_props_name_the_construct_the_prop_and_the_value(
    bad: NodeGroupSpec, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(PROP + message)):
        groups(bad)


def test_max_pods_up_to_the_eks_ceiling_is_accepted() -> None:
    # 250 from 30 vCPUs (m7g.16xlarge: 64); a type the table does not list keeps 1-250.
    _, construct = groups(
        spec(max_pods=250, instance_types=("m7g.16xlarge",)),
        spec(name="other", max_pods=110),
        spec(name="unknown", max_pods=250, instance_types=("m7g.notasize",)),
    )
    assert construct.max_pods == {"system": 250, "other": 110, "unknown": 250}


def test_duplicate_names_are_refused_in_props_and_in_add_group() -> None:
    with pytest.raises(ValueError, match=r"ManagedNodeGroupsProps.groups name: 'system'; is used"):
        groups(spec(), spec())
    _, construct = groups(spec())
    with pytest.raises(
        ValueError,
        match=r"Platform/NodeGroups: add_group\(NodeGroupSpec 'system'\).name: 'system'; is used",
    ):
        construct.add_group(spec())


def test_errors_are_value_errors_raised_before_any_resource() -> None:
    scope, existing = groups()
    cluster = existing._props.cluster
    with pytest.raises(ValueError):
        ManagedNodeGroups(
            scope,
            "Bad",
            props=ManagedNodeGroupsProps(cluster=cluster, groups=[spec(disk_size_gib=1)]),
        )
    bad = scope.node.find_child("Bad")
    assert not bad.node.children  # no role, no launch template



def test_node_groups_follow_the_cluster_version() -> None:
    """With kubernetes_version (ControlPlane.add_node_group sets it) every group's Version is
    the cluster's, so the deploy that upgrades the control plane rolls the nodes too."""
    scope = stack()
    ManagedNodeGroups(
        scope,
        "NodeGroups",
        props=ManagedNodeGroupsProps(
            cluster=imported_cluster(scope),
            groups=(NodeGroupSpec(name="system", instance_types=GRAVITON),),
            kubernetes_version="1.35",
        ),
    )
    Template.from_stack(scope).has_resource_properties("AWS::EKS::Nodegroup", {"Version": "1.35"})
    # without it, the group keeps the version it was created with
    _, unversioned = groups(NodeGroupSpec(name="system", instance_types=GRAVITON))
    template = Template.from_stack(unversioned.node.scope)  # type: ignore[arg-type]
    template.has_resource_properties("AWS::EKS::Nodegroup", {"Version": Match.absent()})


def test_an_unsupported_node_group_version_is_refused() -> None:
    scope = stack()
    with pytest.raises(
        PropError, match=r"ManagedNodeGroupsProps.kubernetes_version = '1.99'.*not supported"
    ):
        ManagedNodeGroups(
            scope,
            "NodeGroups",
            props=ManagedNodeGroupsProps(
                cluster=imported_cluster(scope),
                groups=(NodeGroupSpec(name="system", instance_types=GRAVITON),),
                kubernetes_version="1.99",
            ),
        )
