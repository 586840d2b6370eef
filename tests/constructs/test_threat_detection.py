"""ThreatDetection: a complete GuardDuty detector from defaults alone, and refusals."""

from __future__ import annotations

import re

import pytest
from aws_cdk.assertions import Match, Template

from eks_blueprint.threat_detection import (
    ThreatDetection,
    ThreatDetectionProps,
    add_guardduty_agent,
)

from .clusters import imported, refused, stack, template_of


def test_default_props_enable_eks_audit_logs_and_managed_runtime_monitoring() -> None:
    template = template_of(
        lambda scope: ThreatDetection(scope, "ThreatDetection", props=ThreatDetectionProps())
    )
    template.has_resource_properties(
        "AWS::GuardDuty::Detector",
        {
            "Enable": True,
            "FindingPublishingFrequency": "FIFTEEN_MINUTES",
            "Features": [
                {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
                {
                    "Name": "RUNTIME_MONITORING",
                    "Status": "ENABLED",
                    "AdditionalConfiguration": [
                        {"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}
                    ],
                },
            ],
            "DataSources": Match.absent(),
        },
    )


def test_props_may_be_left_out() -> None:
    template = template_of(lambda scope: ThreatDetection(scope, "ThreatDetection"))
    template.resource_count_is("AWS::GuardDuty::Detector", 1)


def test_addon_agent_turns_off_agent_management() -> None:
    props = ThreatDetectionProps(runtime_agent="addon", finding_publishing_frequency="SIX_HOURS")
    template = template_of(lambda scope: ThreatDetection(scope, "ThreatDetection", props=props))
    template.has_resource_properties(
        "AWS::GuardDuty::Detector",
        {
            "FindingPublishingFrequency": "SIX_HOURS",
            "Features": Match.array_with(
                [
                    Match.object_like(
                        {
                            "Name": "RUNTIME_MONITORING",
                            "AdditionalConfiguration": [
                                {"Name": "EKS_ADDON_MANAGEMENT", "Status": "DISABLED"}
                            ],
                        }
                    )
                ]
            ),
        },
    )


@pytest.mark.parametrize(
    ("props", "prop"),
    [
        (
            ThreatDetectionProps(finding_publishing_frequency="HOURLY"),  # type: ignore[arg-type]
            "finding_publishing_frequency",
        ),
        (ThreatDetectionProps(runtime_agent="daemonset"), "runtime_agent"),  # type: ignore[arg-type]
    ],
)
def test_bad_props_are_refused_naming_the_construct_and_prop(
    props: ThreatDetectionProps, prop: str
) -> None:
    scope = stack()
    where = f"ThreatDetectionProps.{prop}"
    message = refused(
        "Platform/ThreatDetection", where, ThreatDetection, scope, "ThreatDetection", props=props
    )
    assert "not one of" in message


def test_the_agent_addon_version_is_checked() -> None:
    scope = stack()
    cluster = imported(scope)
    with pytest.raises(ValueError, match=re.escape("add_guardduty_agent(version) = '1.10'")):
        add_guardduty_agent(cluster, "1.10")
    add_guardduty_agent(cluster, "v1.10.0-eksbuild.2")
    Template.from_stack(scope).has_resource_properties(
        "AWS::EKS::Addon",
        {"AddonName": "aws-guardduty-agent", "AddonVersion": "v1.10.0-eksbuild.2"},
    )
