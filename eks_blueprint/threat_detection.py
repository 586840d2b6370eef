"""GuardDuty threat detection for EKS: audit-log monitoring and runtime monitoring.

GuardDuty allows one detector per account and region, so `ThreatDetection` belongs in an
account-level stack, and only one environment per account and region may create it (the
config loader enforces that). Where the organisation already runs a detector, create none
and let `verify` confirm its EKS features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_guardduty as guardduty
from constructs import Construct

from . import defaults
from .scoping import attach_to_cluster, once
from .validate_names import PUBLISHING_FREQUENCIES, check_addon_version, check_choice, check_prop

#: Construct id of the aws-guardduty-agent add-on on a cluster.
GUARDDUTY_AGENT_ID = "GuardDutyAgent"
#: Who installs the runtime monitoring agent: GuardDuty itself, or the cluster's stack.
RUNTIME_AGENTS: tuple[str, ...] = ("managed", "addon")


@dataclass(frozen=True, kw_only=True)
class ThreatDetectionProps:
    """Settings of ThreatDetection."""

    finding_publishing_frequency: Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"] = (
        defaults.FINDING_PUBLISHING_FREQUENCY
    )
    """How often updated findings are published. Default: FIFTEEN_MINUTES."""
    runtime_agent: Literal["managed", "addon"] = defaults.RUNTIME_AGENT
    """`managed` (default): GuardDuty installs and updates the aws-guardduty-agent add-on on
    every EKS cluster of the account and creates its VPC endpoint (EKS_ADDON_MANAGEMENT).
    `addon`: runtime monitoring is on, but clusters get the add-on from their own stack
    (`add_guardduty_agent`) and need the guardduty-data interface endpoint."""


class ThreatDetection(Construct):
    """The account's GuardDuty detector with EKS audit-log and runtime monitoring.

    Every prop has a default, so `ThreatDetection(stack, "ThreatDetection")` (or with
    `props=ThreatDetectionProps()`) is a complete detector in any CDK app."""

    def __init__(
        self, scope: Construct, id: str, *, props: ThreatDetectionProps | None = None
    ) -> None:
        super().__init__(scope, id)
        props = props or ThreatDetectionProps()
        check_prop(
            self.node.path,
            "ThreatDetectionProps.finding_publishing_frequency",
            props.finding_publishing_frequency,
            check_choice,
            PUBLISHING_FREQUENCIES,
        )
        check_prop(
            self.node.path,
            "ThreatDetectionProps.runtime_agent",
            props.runtime_agent,
            check_choice,
            RUNTIME_AGENTS,
        )
        agent_management = "ENABLED" if props.runtime_agent == "managed" else "DISABLED"
        # `Features` replaces the older `DataSources`; setting both is refused by the API.
        # RUNTIME_MONITORING supersedes EKS_RUNTIME_MONITORING (do not enable both).
        self.detector = guardduty.CfnDetector(
            self,
            "Detector",
            enable=True,
            finding_publishing_frequency=props.finding_publishing_frequency,
            features=[
                guardduty.CfnDetector.CFNFeatureConfigurationProperty(
                    name="EKS_AUDIT_LOGS", status="ENABLED"
                ),
                guardduty.CfnDetector.CFNFeatureConfigurationProperty(
                    name="RUNTIME_MONITORING",
                    status="ENABLED",
                    additional_configuration=[
                        guardduty.CfnDetector.CFNFeatureAdditionalConfigurationProperty(
                            name="EKS_ADDON_MANAGEMENT", status=agent_management
                        )
                    ],
                ),
            ],
        )


def add_guardduty_agent(cluster: eks.ICluster, version: str | None = None) -> eks.Addon:
    """The aws-guardduty-agent add-on on `cluster`, for runtime monitoring without
    GuardDuty-managed agents. Idempotent by construct id. `version` None lets EKS pick its
    default for the cluster's Kubernetes version."""
    if version is not None:
        check_prop(cluster.node.path, "add_guardduty_agent(version)", version, check_addon_version)
    return once(
        *attach_to_cluster(cluster, GUARDDUTY_AGENT_ID),
        lambda scope, id: eks.Addon(
            scope,
            id,
            cluster=cluster,
            addon_name="aws-guardduty-agent",
            addon_version=version,
            preserve_on_delete=False,
        ),
    )
