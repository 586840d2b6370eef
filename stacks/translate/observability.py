"""Translate the telemetry of `tenants[].telemetry` and `observability:` into the props of
the tenant log groups and the managed Prometheus scraper."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_kms as kms

from eks_blueprint import PrometheusScraperProps, TenantLogGroupsProps, TenantLogSpec
from eks_blueprint.config import EnvironmentConfig

from .addons import logged_tenants
from .lifecycle import removal_policy


def tenant_log_props(
    config: EnvironmentConfig, log_key: kms.IKey | None
) -> TenantLogGroupsProps | None:
    """One log group per tenant whose logs are shipped (see `addons.logged_tenants`),
    encrypted with the cluster's log key and kept for the tenant's retention (default: the
    control plane's); None when no tenant's are."""
    tenants = logged_tenants(config)
    if not tenants:
        return None
    return TenantLogGroupsProps(
        cluster_name=config.cluster.name,
        tenants=[
            TenantLogSpec(
                name=t.name,
                retention_days=t.telemetry.log_retention_days
                or config.cluster.logging.retention_days,
            )
            for t in tenants
        ],
        encryption_key=log_key,
        removal_policy=removal_policy(config),
    )


def prometheus_props(
    config: EnvironmentConfig, cluster: eks.ICluster, vpc: ec2.IVpc
) -> PrometheusScraperProps | None:
    """The AMP workspace and its managed scraper, or None unless
    `observability.prometheus.enabled`."""
    prometheus = config.observability.prometheus
    if not prometheus.enabled:
        return None
    return PrometheusScraperProps(
        cluster=cluster,
        vpc=vpc,
        alias=prometheus.resolved_alias(config.cluster.name),
        scrape_interval_seconds=prometheus.scrape_interval_seconds,
        retention_days=prometheus.retention_days,
        removal_policy=removal_policy(config),
    )
