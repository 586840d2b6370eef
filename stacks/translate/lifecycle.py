"""Translate `lifecycle:` and `tags:`: what every other translator shares (removal policy,
log retention, the environment's tags)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.defaults import RETENTION_PERIODS


def retention(days: int) -> logs.RetentionDays:
    """The CDK enum for a retention the config model already checked (CloudWatch's values)."""
    return logs.RetentionDays[RETENTION_PERIODS[days]]


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
