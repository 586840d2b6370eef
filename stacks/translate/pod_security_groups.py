"""Translate `pod_security_groups:` into PodSecurityGroupsProps."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_eks_v2 as eks

from eks_blueprint import PodSecurityGroupSpec, PodSecurityGroupsProps, PodTrafficRule
from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.config.pod_security_groups import PodSecurityGroupConfig, PodTrafficRuleConfig


def _rule(rule: PodTrafficRuleConfig) -> PodTrafficRule:
    return PodTrafficRule(
        peer=rule.peer,
        port=rule.port,
        to_port=rule.to_port,
        protocol=rule.protocol,
        description=rule.description,
    )


def pod_security_group_spec(entry: PodSecurityGroupConfig) -> PodSecurityGroupSpec:
    """One entry as the library's spec."""
    return PodSecurityGroupSpec(
        name=entry.name,
        namespace=entry.namespace,
        pod_labels=entry.pod_labels,
        service_account_labels=entry.service_account_labels,
        egress=tuple(_rule(r) for r in entry.egress),
        ingress=tuple(_rule(r) for r in entry.ingress),
        probe_ports=tuple(entry.probe_ports),
        api_server=entry.api_server,
        cluster_security_group=entry.cluster_security_group,
        security_group_ids=tuple(entry.security_group_ids),
    )


def pod_security_groups_props(
    config: EnvironmentConfig,
    cluster: eks.ICluster,
    vpc: ec2.IVpc,
    cluster_security_group_id: str,
) -> PodSecurityGroupsProps | None:
    """The environment's pod security groups, or None when it has none."""
    if not config.pod_security_groups:
        return None
    return PodSecurityGroupsProps(
        cluster=cluster,
        vpc=vpc,
        cluster_security_group_id=cluster_security_group_id,
        specs=tuple(pod_security_group_spec(e) for e in config.pod_security_groups),
    )
