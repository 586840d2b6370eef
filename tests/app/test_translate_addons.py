"""stacks.translate.addons: `addons:` -> AddonsProps."""

from __future__ import annotations

from aws_cdk import RemovalPolicy

from eks_blueprint.addons.addons import AddonsProps
from eks_blueprint.config import EnvironmentConfig
from stacks.translate.addons import addons_props

from .conftest import CLUSTER, VPC, minimal, shipped


def test_addons_props_carry_the_section(config: EnvironmentConfig) -> None:
    props = addons_props(config, CLUSTER, VPC)
    addons = config.addons
    assert isinstance(props, AddonsProps)
    assert props.cluster is CLUSTER and props.vpc is VPC
    assert props.kubernetes_version == config.cluster.version
    assert props.ebs_csi_driver is addons.ebs_csi_driver.enabled
    assert props.metrics_server is addons.metrics_server.enabled
    assert props.cloudwatch_observability is addons.cloudwatch_observability.enabled
    assert props.snapshot_controller is addons.snapshot_controller.enabled
    assert props.load_balancer_controller is addons.load_balancer_controller.enabled
    assert props.cert_manager is addons.cert_manager.enabled
    assert props.coredns_replicas == addons.coredns.replicas
    assert props.coredns_on_fargate is (addons.coredns.compute_type == "fargate")


def test_dev_turns_container_insights_off_and_destroys() -> None:
    props = addons_props(shipped("dev"), CLUSTER, VPC)
    assert props.cloudwatch_observability is False
    assert props.snapshot_controller is True
    assert props.removal_policy == RemovalPolicy.DESTROY


def test_staging_runs_coredns_on_fargate() -> None:
    assert addons_props(shipped("staging"), CLUSTER, VPC).coredns_on_fargate is True


def test_only_explicit_versions_are_passed() -> None:
    assert addons_props(shipped("dev"), CLUSTER, VPC).versions == {}
    pinned = shipped("dev").addons.installed()
    assert all(version is None for version in pinned.values())


def test_external_dns_zone_and_coredns_autoscaling() -> None:
    config = minimal(
        addons={
            "external_dns": {
                "enabled": True,
                "hosted_zone_id": "Z0123456789ABCDEFGHIJ",
                "domain": "shop.example.com",
            },
            "coredns": {"autoscaling": {"enabled": True, "min_replicas": 2, "max_replicas": 6}},
        }
    )
    props = addons_props(config, CLUSTER, VPC)
    assert props.external_dns_zone == ("Z0123456789ABCDEFGHIJ", "shop.example.com")
    assert props.coredns_autoscaling == (2, 6)
    assert addons_props(shipped("dev"), CLUSTER, VPC).external_dns_zone is None
