"""Translate `security:` into the account-level security props (GuardDuty, ECR, the Spot
service-linked role) and the cluster's GuardDuty runtime agent."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_iam as iam

from eks_blueprint import EnhancedScanning, RegistryProps, RepositorySpec, ThreatDetectionProps
from eks_blueprint.config import EnvironmentConfig

from .lifecycle import removal_policy


@dataclass(frozen=True)
class GuardDutyAgent:
    """The aws-guardduty-agent EKS add-on the cluster installs itself (agent: addon)."""

    version: str | None
    """The add-on version; None lets EKS pick its default for the cluster's version."""


def has_account_security(config: EnvironmentConfig) -> bool:
    """Whether the environment has anything for the security stack (an empty stack cannot
    be deployed)."""
    security = config.security
    return (
        security.guardduty.mode == "create"
        or bool(security.registries)
        or security.enhanced_scanning is not None
        or security.spot_service_linked_role == "create"
    )
    # (Signature verification needs registries, so the signing profile never comes alone.)


def has_image_builds(config: EnvironmentConfig) -> bool:
    """Whether any repository has an image pipeline (`build:`): the security stack then
    holds the environment's AWS Signer profile and the stage adds `<env>-eks-delivery`."""
    return any(r.build is not None for r in config.security.registries)


def creates_spot_role(config: EnvironmentConfig) -> bool:
    """Whether this stage creates the EC2 Spot service-linked role (`create`)."""
    return config.security.spot_service_linked_role == "create"


def threat_detection_props(config: EnvironmentConfig) -> ThreatDetectionProps | None:
    """The GuardDuty detector of the account (mode create), or None (mode off, or the
    account already has one)."""
    guardduty = config.security.guardduty
    if guardduty.mode != "create":
        return None
    return ThreatDetectionProps(
        finding_publishing_frequency=guardduty.finding_publishing_frequency,
        runtime_agent=guardduty.agent,
    )


def guardduty_agent(config: EnvironmentConfig) -> GuardDutyAgent | None:
    """The GuardDuty agent add-on for the cluster, when GuardDuty is on and its agent is the
    EKS add-on rather than GuardDuty-managed; else None."""
    guardduty = config.security.guardduty
    if guardduty.mode == "off" or guardduty.agent != "addon":
        return None
    return GuardDutyAgent(version=guardduty.agent_version)


def registry_props(config: EnvironmentConfig) -> RegistryProps | None:
    """ECR repositories and enhanced scanning, or None when the file asks for neither.

    Same-account node roles pull through their own IAM policy (AmazonEC2ContainerRegistry
    PullOnly/ReadOnly), so the repository policy lists only the configured principals.
    """
    security = config.security
    scanning = security.enhanced_scanning
    if not security.registries and scanning is None:
        return None
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
