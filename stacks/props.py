"""Translate the validated config into typed construct props (config -> library types)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_logs as logs

from eks_blueprint import ControlPlaneProps, NetworkProps
from eks_blueprint.config import EnvironmentConfig

_RETENTION: dict[int, logs.RetentionDays] = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def retention(days: int) -> logs.RetentionDays:
    """The CDK enum for a retention the config model already checked."""
    return _RETENTION[days]


def removal_policy(config: EnvironmentConfig) -> RemovalPolicy:
    """RETAIN where the environment keeps stateful resources, else DESTROY."""
    return (
        RemovalPolicy.RETAIN
        if config.lifecycle.retain_stateful_resources
        else RemovalPolicy.DESTROY
    )


def vpc_props(config: EnvironmentConfig) -> NetworkProps:
    """Network settings of an environment."""
    net = config.network
    return NetworkProps(
        availability_zones=tuple(config.availability_zones),
        cidr=net.cidr,
        public_subnet_mask=net.public_subnet_mask,
        private_subnet_mask=net.private_subnet_mask,
        isolated_subnet_mask=net.isolated_subnet_mask,
        internal_load_balancer_subnet_mask=net.internal_load_balancer_subnet_mask,
        nat_gateways=net.nat_gateways,
        flow_log_retention=retention(net.flow_logs.retention_days),
        flow_log_traffic=ec2.FlowLogTrafficType[net.flow_logs.traffic_type],
        interface_endpoints=tuple(net.interface_endpoints),
        removal_policy=removal_policy(config),
    )


def kubernetes_version(version: str) -> eks.KubernetesVersion:
    """`"1.34"` -> eks.KubernetesVersion.V1_34."""
    return eks.KubernetesVersion.of(version)


def endpoint_access(config: EnvironmentConfig) -> eks.EndpointAccess:
    """Private, or public-and-private restricted to the configured CIDRs."""
    endpoint = config.cluster.endpoint
    if endpoint.access == "private":
        return eks.EndpointAccess.PRIVATE
    return eks.EndpointAccess.PUBLIC_AND_PRIVATE.only_from(*endpoint.public_cidrs)


def control_plane_props(config: EnvironmentConfig, vpc: ec2.IVpc) -> ControlPlaneProps:
    """Control-plane settings of an environment."""
    cluster = config.cluster
    return ControlPlaneProps(
        cluster_name=cluster.name,
        version=kubernetes_version(cluster.version),
        vpc=vpc,
        endpoint_access=endpoint_access(config),
        log_retention=retention(cluster.logging.retention_days),
        removal_policy=removal_policy(config),
        deletion_protection=cluster.deletion_protection,
        upgrade_support_type="EXTENDED" if cluster.upgrade_policy == "extended" else "STANDARD",
        admin_principal_arns=tuple(cluster.admins),
        viewer_principal_arns=tuple(cluster.viewers),
        open_endpoint_reason=cluster.endpoint.open_public_endpoint_reason,
    )
