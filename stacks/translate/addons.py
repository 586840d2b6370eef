"""Translate `addons:` into AddonsProps."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

from eks_blueprint import AddonsProps
from eks_blueprint.addons.versions import AddonName
from eks_blueprint.config import EnvironmentConfig, TenantConfig

from .lifecycle import removal_policy


def addons_props(config: EnvironmentConfig, cluster: eks.ICluster, vpc: ec2.IVpc) -> AddonsProps:
    """The add-ons of an environment: EKS add-ons with their pinned or overridden versions,
    and the Helm-chart add-ons the file switches on."""
    addons = config.addons
    versions: dict[AddonName, str] = dict(addons.version_overrides().values())
    dns = addons.coredns
    external_dns = addons.external_dns
    return AddonsProps(
        cluster=cluster,
        kubernetes_version=config.cluster.version,
        vpc=vpc,
        versions=versions,
        vpc_cni_pod_eni=addons.vpc_cni.pod_eni,
        vpc_cni_custom_networking=config.network.pod_subnets is not None,
        ip_family=config.cluster.ip_family,
        vpc_cni_pod_security_group_enforcing_mode=(
            addons.vpc_cni.pod_security_group_enforcing_mode or "standard"
        )
        if addons.vpc_cni.pod_eni
        else None,
        # Windows node groups need the VPC CNI's Windows IPAM.
        vpc_cni_windows_ipam=any(g.windows for g in config.compute.node_groups),
        vertical_pod_autoscaler=addons.vertical_pod_autoscaler.enabled,
        vertical_pod_autoscaler_mode=addons.vertical_pod_autoscaler.mode,
        coredns_replicas=dns.replicas,
        coredns_autoscaling=(dns.autoscaling.min_replicas, dns.autoscaling.max_replicas)
        if dns.autoscaling.enabled
        else None,
        coredns_tolerations=tuple(t.model_dump(exclude_none=True) for t in dns.tolerations),
        coredns_on_fargate=dns.compute_type == "fargate",
        ebs_csi_driver=addons.ebs_csi_driver.enabled,
        removal_policy=removal_policy(config),
        metrics_server=addons.metrics_server.enabled,
        cloudwatch_observability=addons.cloudwatch_observability.enabled,
        snapshot_controller=addons.snapshot_controller.enabled,
        load_balancer_controller=addons.load_balancer_controller.enabled,
        load_balancer_controller_replicas=addons.load_balancer_controller.replicas,
        external_dns_zone=(external_dns.hosted_zone_id, external_dns.domain)  # type: ignore[arg-type]
        if external_dns.enabled
        else None,
        cert_manager=addons.cert_manager.enabled,
        # Auto Mode runs no aws-node pods for the helper to read: off there by default.
        cni_metrics_helper=addons.cni_metrics_helper.enabled and config.compute.auto_mode is None,
        cni_free_addresses_alarm_below=addons.cni_metrics_helper.free_addresses_alarm_below,
        cni_alarm_topic_arn=addons.cni_metrics_helper.alarm_topic_arn,
        tenant_log_namespaces=tuple(t.name for t in logged_tenants(config)),
    )


def logged_tenants(config: EnvironmentConfig) -> list[TenantConfig]:
    """The tenants whose container logs go to a log group of their own: `telemetry.logs`,
    where the cloudwatch-observability add-on (whose Fluent Bit ships them) is on, and not on
    Fargate (where the add-on's Fluent Bit DaemonSet does not run)."""
    if not config.addons.cloudwatch_observability.enabled:
        return []
    return [t for t in config.tenants if t.telemetry.logs and t.isolation != "fargate"]
