"""Each default is written once (eks_blueprint.defaults): every config model field the app
leaves out gives what the matching props field gives a library user who leaves it out."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_logs as logs

from eks_blueprint import defaults
from eks_blueprint.config.base import LOG_RETENTION_DAYS
from eks_blueprint.config.cluster import LoggingConfig
from eks_blueprint.config.network import FlowLogsConfig, NetworkConfig
from eks_blueprint.config.security import (
    EnhancedScanningConfig,
    GuardDutyConfig,
    RegistryConfig,
)
from eks_blueprint.config.tenancy import ContainerDefaultsConfig, TenantConfig
from eks_blueprint.config.workloads import DemoWorkloadConfig
from eks_blueprint.control_plane import ControlPlaneProps
from eks_blueprint.network import NetworkProps
from eks_blueprint.registry import EnhancedScanning, RepositorySpec
from eks_blueprint.tenancy import TenantSpec
from eks_blueprint.threat_detection import ThreatDetectionProps
from eks_blueprint.workloads.demo import DemoWorkloadProps

ZONES = ("eu-west-1a", "eu-west-1b", "eu-west-1c")


def _retention(days: int) -> logs.RetentionDays:
    return logs.RetentionDays[defaults.RETENTION_PERIODS[days]]


def test_retention_periods_are_cloudwatch_logs_and_cdk_names() -> None:
    assert tuple(defaults.RETENTION_PERIODS) == LOG_RETENTION_DAYS
    for days, name in defaults.RETENTION_PERIODS.items():
        assert logs.RetentionDays[name].name == name, days


def test_network_defaults() -> None:
    props = NetworkProps(availability_zones=ZONES)
    config = NetworkConfig.model_validate({"cidr": props.cidr})
    assert props.cidr == defaults.VPC_CIDR
    assert (config.public_subnet_mask, config.private_subnet_mask) == (
        props.public_subnet_mask,
        props.private_subnet_mask,
    ) == (defaults.PUBLIC_SUBNET_MASK, defaults.PRIVATE_SUBNET_MASK)
    assert config.nat_gateways == props.nat_gateways == defaults.NAT_GATEWAYS
    flow_logs = FlowLogsConfig()
    assert _retention(flow_logs.retention_days) == props.flow_log_retention
    assert props.flow_log_retention == logs.RetentionDays.ONE_MONTH
    assert ec2.FlowLogTrafficType[flow_logs.traffic_type] == props.flow_log_traffic


def test_control_plane_log_retention() -> None:
    # ControlPlaneProps writes its default itself today; this test keeps the two in step
    # until it reads defaults.CONTROL_PLANE_LOG_RETENTION as well.
    props = ControlPlaneProps(
        cluster_name="c", version=eks.KubernetesVersion.V1_34, vpc=None  # type: ignore[arg-type]
    )
    assert _retention(LoggingConfig().retention_days) == props.log_retention
    assert props.log_retention == logs.RetentionDays[defaults.CONTROL_PLANE_LOG_RETENTION]


def test_tenant_defaults() -> None:
    spec = TenantSpec(name="shop", cpu="4", memory="8Gi")
    config = TenantConfig.model_validate({"name": "shop", "quota": {"cpu": "4", "memory": "8Gi"}})
    quota = config.quota
    for field in ("pods", "storage", "persistent_volume_claims", "load_balancers"):
        assert getattr(quota, field) == getattr(spec, field), field
    containers = ContainerDefaultsConfig()
    assert spec.default_requests == {
        "cpu": containers.cpu_request,
        "memory": containers.memory_request,
    } == dict(defaults.CONTAINER_REQUESTS)
    assert spec.default_limits == {
        "cpu": containers.cpu_limit,
        "memory": containers.memory_limit,
    } == dict(defaults.CONTAINER_LIMITS)
    assert config.pod_security == spec.pod_security == defaults.TENANT_POD_SECURITY
    assert config.egress == spec.egress == defaults.TENANT_EGRESS
    assert tuple(config.ingress_from) == tuple(spec.ingress_from) == defaults.TENANT_INGRESS_FROM


def test_each_tenant_gets_its_own_container_defaults() -> None:
    first, second = (TenantSpec(name=n, cpu="1", memory="1Gi") for n in ("a", "b"))
    first.default_requests["cpu"] = "200m"
    assert second.default_requests["cpu"] == defaults.CONTAINER_REQUESTS["cpu"] == "100m"


def test_registry_defaults() -> None:
    spec, config = RepositorySpec(name="shop/api"), RegistryConfig(name="shop/api")
    assert (config.keep_images, config.untagged_expiry_days) == (
        spec.keep_images,
        spec.untagged_expiry_days,
    ) == (defaults.KEEP_IMAGES, defaults.UNTAGGED_EXPIRY_DAYS)
    scanning, scanning_config = EnhancedScanning(), EnhancedScanningConfig()
    assert scanning_config.frequency == scanning.frequency == defaults.SCAN_FREQUENCY
    assert tuple(scanning_config.filters) == tuple(scanning.filters) == defaults.SCAN_FILTERS


def test_guardduty_defaults() -> None:
    props, config = ThreatDetectionProps(), GuardDutyConfig()
    assert config.finding_publishing_frequency == props.finding_publishing_frequency
    assert config.agent == props.runtime_agent == defaults.RUNTIME_AGENT


@pytest.mark.parametrize(
    "field", ["replicas", "max_replicas", "target_cpu_utilization", "scheme", "platforms"]
)
def test_demo_defaults(field: str) -> None:
    props = DemoWorkloadProps(cluster=None, image="repo:1.0")  # type: ignore[arg-type]
    config: Any = getattr(DemoWorkloadConfig(), field)
    expected = getattr(props, field)
    assert (tuple(config) if isinstance(config, list) else config) == expected
    assert props.namespace == defaults.DEMO_NAMESPACE
