"""Translate the identity and security sections of the config into construct props."""

from __future__ import annotations

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_iam as iam
from constructs import Construct

from eks_blueprint.access import AccessGrant, ClusterAccessProps
from eks_blueprint.config import ACCESS_POLICIES, EnvironmentConfig, WorkloadIdentityConfig
from eks_blueprint.config.identity import AWS_MANAGED_POLICY
from eks_blueprint.identity import (
    PodIdentityRole,
    PodIdentityRoleProps,
    ServiceAccountRole,
    ServiceAccountRoleProps,
    workload_id,
)
from eks_blueprint.registry import EnhancedScanning, RegistryProps, RepositorySpec
from eks_blueprint.threat_detection import ThreatDetectionProps

from .props import removal_policy


def access_props(config: EnvironmentConfig, cluster: eks.ICluster) -> ClusterAccessProps:
    """The `access:` entries (the admins/viewers shorthand stays with ControlPlane)."""
    return ClusterAccessProps(
        cluster=cluster,
        grants=tuple(
            AccessGrant(
                principal_arn=entry.principal,
                policy_name=ACCESS_POLICIES[entry.policy] if entry.policy else None,
                namespaces=tuple(entry.namespaces),
                kubernetes_groups=tuple(entry.kubernetes_groups),
                group_role=entry.group_role,
            )
            for entry in config.access
        ),
    )


def _statements(entry: WorkloadIdentityConfig) -> tuple[iam.PolicyStatement, ...]:
    return tuple(
        iam.PolicyStatement(
            effect=iam.Effect.ALLOW if s.effect == "Allow" else iam.Effect.DENY,
            actions=list(s.actions),
            resources=list(s.resources),
            conditions=dict(s.conditions) or None,
        )
        for s in entry.policy_statements
    )


def add_workload_identities(
    scope: Construct, config: EnvironmentConfig, cluster: eks.ICluster
) -> dict[str, ServiceAccountRole | PodIdentityRole]:
    """One role per `workload_identities` entry, id from namespace and service account."""
    roles: dict[str, ServiceAccountRole | PodIdentityRole] = {}
    for entry in config.workload_identities:
        aws_managed = [
            a.rsplit("/", 1)[-1] for a in entry.managed_policy_arns if AWS_MANAGED_POLICY.match(a)
        ]
        holder = Construct(scope, workload_id(entry.namespace, entry.service_account))
        managed = tuple(
            iam.ManagedPolicy.from_aws_managed_policy_name(arn.rsplit("/", 1)[-1])
            if AWS_MANAGED_POLICY.match(arn)
            else iam.ManagedPolicy.from_managed_policy_arn(holder, f"Managed{index}", arn)
            for index, arn in enumerate(entry.managed_policy_arns)
        )
        statements = _statements(entry)
        if entry.mechanism == "irsa":
            roles[entry.label] = ServiceAccountRole(
                holder,
                "Irsa",
                props=ServiceAccountRoleProps(
                    cluster=cluster,
                    namespace=entry.namespace,
                    service_account=entry.service_account,
                    managed_policies=managed,
                    statements=statements,
                    exception_reason=entry.exception_reason,
                    aws_managed_policy_names=tuple(aws_managed),
                ),
            )
        else:
            roles[entry.label] = PodIdentityRole(
                holder,
                "PodIdentity",
                props=PodIdentityRoleProps(
                    cluster=cluster,
                    kubernetes_version=config.cluster.version,
                    namespace=entry.namespace,
                    service_account=entry.service_account,
                    managed_policies=managed,
                    statements=statements,
                    exception_reason=entry.exception_reason,
                    aws_managed_policy_names=tuple(aws_managed),
                ),
            )
    return roles


def threat_detection_props(config: EnvironmentConfig) -> ThreatDetectionProps:
    """GuardDuty detector settings (used with mode create)."""
    guardduty = config.security.guardduty
    return ThreatDetectionProps(
        finding_publishing_frequency=guardduty.finding_publishing_frequency,
        runtime_agent=guardduty.agent,
    )


def registry_props(config: EnvironmentConfig) -> RegistryProps:
    """ECR repositories and enhanced scanning.

    Same-account node roles pull through their own IAM policy (AmazonEC2ContainerRegistry
    PullOnly/ReadOnly), so the repository policy lists only the configured principals; the
    node roles of the compute constructs can be added to `pull_principals` when wired.
    """
    security = config.security
    scanning = security.enhanced_scanning
    return RegistryProps(
        repositories=tuple(
            RepositorySpec(
                name=r.name,
                keep_images=r.keep_images,
                untagged_expiry_days=r.untagged_expiry_days,
                pull_principals=tuple(iam.ArnPrincipal(a) for a in r.pull_principals),
                push_principals=tuple(iam.ArnPrincipal(a) for a in r.push_principals),
            )
            for r in security.registries
        ),
        enhanced_scanning=(
            EnhancedScanning(frequency=scanning.frequency, filters=tuple(scanning.filters))
            if scanning is not None
            else None
        ),
        removal_policy=removal_policy(config),
    )
