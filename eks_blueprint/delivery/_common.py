"""What both delivery pipelines share: CodePipeline's name rule and the source action's
use of a CodeConnections connection."""

from __future__ import annotations

import re

from aws_cdk import Token
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam

#: CodePipeline pipeline, stage and action names.
PIPELINE_NAME = re.compile(r"[A-Za-z0-9.@_-]{1,100}")


def grant_code_connection(pipeline: codepipeline.Pipeline, connection_arn: str) -> None:
    """Let the role of the pipeline's source action (stage "Source", action "Source") use a
    CodeConnections connection: CDK grants `codestar-connections:UseConnection` only; an
    `arn:...:codeconnections:` connection is authorised with `codeconnections:UseConnection`
    as well. Nothing to add for a codestar-connections ARN."""
    if not Token.is_unresolved(connection_arn) and ":codeconnections:" not in connection_arn:
        return
    role = pipeline.node.try_find_child("Source")
    for child in ("Source", "CodePipelineActionRole"):
        role = role.node.try_find_child(child) if role is not None else None
    if not isinstance(role, iam.Role):
        raise ValueError(f"{pipeline.node.path}: no role of the source action Source/Source")
    role.add_to_principal_policy(
        iam.PolicyStatement(
            sid="UseCodeConnection",
            actions=["codeconnections:UseConnection"],
            resources=[connection_arn],
        )
    )
