"""stacks.translate.cluster: the one function that builds ControlPlaneProps, and the one
decision whether the cluster needs its kubectl provider."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

from eks_blueprint import ControlPlaneProps
from eks_blueprint.config import EnvironmentConfig
from stacks.translate.cluster import (
    auto_mode_props,
    control_plane_props,
    kubectl_users,
    needs_kubectl,
)

from .conftest import VPC, minimal, minimal_data, raw, shipped


def test_control_plane_props_carry_the_cluster_section(config: EnvironmentConfig) -> None:
    props = control_plane_props(config, VPC)
    cluster = config.cluster
    assert isinstance(props, ControlPlaneProps)
    assert props.cluster_name == cluster.name
    assert props.version == cluster.version
    assert props.vpc is VPC
    assert list(props.admin_principal_arns) == cluster.admins
    assert list(props.viewer_principal_arns) == cluster.viewers
    assert props.deletion_protection is cluster.deletion_protection
    assert props.open_endpoint_reason == cluster.endpoint.open_public_endpoint_reason
    assert props.auto_mode is None  # the shipped environments add capacity themselves
    # every shipped environment applies charts: the library builds the provider and layer
    assert props.kubectl_provider is True
    assert props.kubectl_layer is None


def test_dev_props() -> None:
    props = control_plane_props(shipped("dev"), VPC)
    assert props.removal_policy == RemovalPolicy.DESTROY
    assert props.log_retention == logs.RetentionDays.TWO_WEEKS
    assert props.upgrade_support_type == "STANDARD"


def test_one_function_builds_the_props_whole() -> None:
    # Nothing is patched in afterwards: translating twice gives equal props field by field
    # (the VPC stand-in and enum objects are shared, so equality is meaningful).
    config = shipped("staging")
    first, second = control_plane_props(config, VPC), control_plane_props(config, VPC)
    for field in dataclasses.fields(ControlPlaneProps):
        if field.name != "endpoint_access":  # a new jsii object each time
            assert getattr(first, field.name) == getattr(second, field.name), field.name


def test_auto_mode_is_a_control_plane_prop(variant: Callable[..., EnvironmentConfig]) -> None:
    # Without the demo (and dev's image build, which rolls out to it).
    config = variant(compute={"auto_mode": {"node_pools": ["system"]}},
                     drop=("workloads", "security"))
    auto_mode = auto_mode_props(config)
    assert auto_mode is not None and list(auto_mode.node_pools) == ["system"]
    assert control_plane_props(config, VPC).auto_mode == auto_mode


def test_a_cluster_with_nothing_to_apply_has_no_kubectl_provider() -> None:
    config = minimal()
    assert kubectl_users(config) == []
    assert needs_kubectl(config) is False
    assert control_plane_props(config, VPC).kubectl_provider is False


TENANT = {"name": "payments", "quota": {"cpu": "1", "memory": "1Gi"}}


@pytest.mark.parametrize(
    ("sections", "users"),
    [
        ({"addons": {"ebs_csi_driver": {"enabled": True}}}, ["addons"]),
        ({"addons": {"load_balancer_controller": {"enabled": True}}}, ["addons"]),
        (
            {"compute": raw("dev")["compute"], "security": {"spot_service_linked_role": "create"}},
            ["compute.karpenter"],
        ),
        ({"tenants": [TENANT]}, ["tenants"]),
        ({"tenants": [TENANT], "access": raw("dev")["access"]}, ["tenants", "access"]),
        ({"governance": {"enabled": True}}, ["governance"]),
    ],
)
def test_each_section_that_applies_objects_asks_for_kubectl(
    sections: dict[str, Any], users: list[str]
) -> None:
    if "addons" in sections:  # on top of the minimal add-ons, which switch the charts off
        sections = {"addons": {**minimal_data()["addons"], **sections["addons"]}}
    config = minimal(**sections)
    assert [u.split(":")[0] for u in kubectl_users(config)] == users
    assert control_plane_props(config, VPC).kubectl_provider is True


def test_the_demo_asks_for_kubectl_with_its_load_balancer_controller() -> None:
    addons = {**minimal_data()["addons"], "load_balancer_controller": {"enabled": True}}
    demo = {**raw("dev")["workloads"]["demo"], "platforms": ["arm64"]}
    compute = {"node_groups": raw("dev")["compute"]["node_groups"]}  # arm64, untainted
    config = minimal(addons=addons, compute=compute, workloads={"demo": demo})
    assert [u.split(":")[0] for u in kubectl_users(config)] == ["addons", "workloads.demo"]


def test_an_access_policy_alone_needs_no_kubectl() -> None:
    config = minimal(
        access=[{"principal": "arn:aws:iam::111111111111:role/Auditor", "policy": "view"}]
    )
    assert needs_kubectl(config) is False
