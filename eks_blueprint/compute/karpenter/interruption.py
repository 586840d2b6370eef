"""Karpenter's interruption handling: an encrypted, short-lived SQS queue that EventBridge
feeds with Spot interruption warnings, rebalance recommendations, instance state changes and
scheduled AWS Health events, so Karpenter drains a node before EC2 takes it away.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ...compliance import acknowledge

#: The events Karpenter handles: (construct id, event pattern).
INTERRUPTION_EVENTS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "SpotInterruptionRule",
        {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    ),
    (
        "RebalanceRule",
        {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    ),
    (
        "InstanceStateChangeRule",
        {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
    ),
    (
        "ScheduledChangeRule",
        {
            "source": ["aws.health"],
            "detail-type": ["AWS Health Event"],
            "detail": {"eventTypeCategory": ["scheduledChange"]},
        },
    ),
)


@jsii.implements(events.IRuleTarget)
class _QueueTarget:
    """Send matched events to a queue whose policy is written by hand (see below)."""

    def __init__(self, queue: sqs.IQueue) -> None:
        self._queue = queue

    def bind(self, rule: Any, id: str | None = None) -> events.RuleTargetConfig:
        return events.RuleTargetConfig(arn=self._queue.queue_arn)


def interruption_queue(scope: Construct) -> sqs.Queue:
    """The queue `InterruptionQueue` and one EventBridge rule per INTERRUPTION_EVENTS entry,
    created in `scope`. One queue-policy statement lets exactly these rules send
    (aws:SourceArn)."""
    queue = sqs.Queue(
        scope,
        "InterruptionQueue",
        retention_period=Duration.seconds(300),
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,  # Deny when aws:SecureTransport is false
    )
    rules = []
    for rule_id, pattern in INTERRUPTION_EVENTS:
        rule = events.Rule(
            scope,
            rule_id,
            description=f"Karpenter interruption handling: {pattern['detail-type'][0]}",
            event_pattern=events.EventPattern(
                source=pattern["source"],
                detail_type=pattern["detail-type"],
                detail=pattern.get("detail"),
            ),
        )
        rule.add_target(_QueueTarget(queue))
        rules.append(rule)
    queue.add_to_resource_policy(
        iam.PolicyStatement(
            sid="EventBridgeSendsInterruptionEvents",
            principals=[iam.ServicePrincipal("events.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={"ArnEquals": {"aws:SourceArn": [r.rule_arn for r in rules]}},
        )
    )
    acknowledge(
        queue,
        "AwsSolutions::AwsSolutions-SQS3",
        "The interruption queue holds short-lived EventBridge notifications that Karpenter "
        "deletes after handling; a message it cannot handle is stale after its 300 s "
        "retention, so a dead-letter queue would only collect expired events.",
    )
    return queue
