"""Translate `lifecycle:` and `tags:`: what every other translator shares (removal policy,
log retention, the environment's tags)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

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
    """The CDK enum for a retention the config model already checked (CloudWatch's values)."""
    return _RETENTION[days]


def removal_policy(config: EnvironmentConfig) -> RemovalPolicy:
    """RETAIN where the environment keeps stateful resources, else DESTROY."""
    return (
        RemovalPolicy.RETAIN
        if config.lifecycle.retain_stateful_resources
        else RemovalPolicy.DESTROY
    )


def environment_tags(config: EnvironmentConfig) -> dict[str, str]:
    """The environment's tags, in the order they are applied: the stage tags every resource
    with them, and the compute constructs put them on instances and volumes (which stage
    tags do not reach)."""
    tags = config.tags
    return {
        "project": tags.project,
        "environment": config.name,
        "owner": tags.owner,
        "cost-center": tags.cost_center,
        **tags.extra,
    }
