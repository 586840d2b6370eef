"""The props of `ImagePipeline` (image_pipeline.py), their validation and the fixed
choices of the pipeline: build images, stage names, the deploy role's access policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aws_cdk import RemovalPolicy, Token
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_logs as logs
from aws_cdk import aws_signer as signer

from .. import defaults
from ..config.security import (
    DEFAULT_FAIL_ON_SEVERITY,
    SEVERITIES,
    check_build_platforms,
    check_severity,
)
from ..validate_names import (
    PropError,
    check_branch,
    check_connection_arn,
    check_kubernetes_name,
    check_kubernetes_subdomain,
    check_prop,
    check_source_repository,
    check_tenant_namespace,
)
from ._common import PIPELINE_NAME as _PIPELINE_NAME

#: The pinned CodeBuild images of the native builds, per architecture.
BUILD_IMAGES: Mapping[str, codebuild.IBuildImage] = {
    "amd64": codebuild.LinuxBuildImage.AMAZON_LINUX_2023_5,
    "arm64": codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0,
}
#: The image of the steps that build nothing (scan gate, sign): pinned, amd64.
TOOLS_IMAGE = codebuild.LinuxBuildImage.AMAZON_LINUX_2023_5
#: The EKS access policy of the deploy role, in its namespace only.
EDIT_POLICY = "AmazonEKSEditPolicy"
#: Amazon Inspector reads the scan gate needs for enhanced scanning findings.
INSPECTOR_READ_ACTIONS: tuple[str, ...] = ("inspector2:ListCoverage", "inspector2:ListFindings")
#: Stage names, in order.
STAGES: tuple[str, ...] = ("Source", "Build", "ScanGate", "Sign", "Deploy")



@dataclass(frozen=True, kw_only=True)
class ImageSource:
    """The source repository, through a CodeConnections connection."""

    connection_arn: str
    """The connection, arn:aws:codeconnections:<region>:<account>:connection/<id>."""
    repository: str
    """`owner/name`, with a Dockerfile at its root."""
    branch: str = "main"
    """The branch whose commits start the pipeline. Default: main."""


@dataclass(frozen=True, kw_only=True)
class RolloutTarget:
    """The Deployment the new image is rolled out to, and how to reach its cluster."""

    cluster_name: str
    """The EKS cluster (a name or a token from the cluster stack)."""
    namespace: str
    """The workload's namespace: the deploy role may edit this namespace only."""
    deployment: Mapping[str, Any]
    """The Deployment object (apps/v1) as the cluster has it; the Sign step sets its
    container's image to `<repo>@<digest>` and the EKS deploy action applies it."""
    container: str
    """The container of `deployment` whose image is replaced."""
    subnet_ids: Sequence[str] = ()
    """Subnets of the cluster's VPC for the deploy action's compute, needed for a private
    endpoint. Default: none (public endpoint)."""
    security_group_ids: Sequence[str] = ()
    """Security groups for that compute (the cluster security group). With subnet_ids."""


@dataclass(frozen=True, kw_only=True)
class ImagePipelineProps:
    """What ImagePipeline builds, scans, signs and rolls out."""

    pipeline_name: str
    """CodePipeline name, 1-100 letters, digits and . @ _ -; also names the log groups
    `/aws/codebuild/<pipeline_name>` and `/aws/codepipeline/<pipeline_name>`."""
    repository: ecr.IRepository
    """The ECR repository (immutable tags, scan on push or enhanced scanning)."""
    source: ImageSource
    """The source repository and branch."""
    platforms: Sequence[Literal["amd64", "arm64"]]
    """Architectures to build natively, each once; both give a multi-arch manifest list."""
    signing_profile: signer.ISigningProfile
    """The AWS Signer profile, platform Notation-OCI-SHA384-ECDSA."""
    rollout: RolloutTarget
    """Where the signed image goes."""
    fail_on_severity: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW"] = DEFAULT_FAIL_ON_SEVERITY
    """The scan gate fails on findings at or above this severity. Default: HIGH."""
    log_retention: logs.RetentionDays = logs.RetentionDays[defaults.FLOW_LOG_RETENTION]
    """Retention of the build and deploy logs. Default: one month."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """Key, artifact bucket and log group when the stack is deleted. Default: retain."""


def check_image_pipeline(path: str, props: ImagePipelineProps) -> None:
    """Refuse what the `build:` config refuses, naming the construct at `path`."""
    at = "ImagePipelineProps"
    if not _PIPELINE_NAME.fullmatch(props.pipeline_name):
        raise PropError(
            path,
            f"{at}.pipeline_name",
            props.pipeline_name,
            "CodePipeline names are 1-100 letters, digits and . @ _ -",
        )
    if not Token.is_unresolved(props.source.connection_arn):
        check_prop(
            path, f"{at}.source.connection_arn", props.source.connection_arn, check_connection_arn
        )
    check_prop(path, f"{at}.source.repository", props.source.repository, check_source_repository)
    check_prop(path, f"{at}.source.branch", props.source.branch, check_branch)
    check_prop(path, f"{at}.platforms", tuple(props.platforms), check_build_platforms)
    check_prop(path, f"{at}.fail_on_severity", props.fail_on_severity, check_severity)
    rollout = props.rollout
    check_prop(path, f"{at}.rollout.namespace", rollout.namespace, check_tenant_namespace)
    check_prop(path, f"{at}.rollout.container", rollout.container, check_kubernetes_name)
    deployment = rollout.deployment
    if deployment.get("kind") != "Deployment" or deployment.get("apiVersion") != "apps/v1":
        raise PropError(
            path,
            f"{at}.rollout.deployment",
            deployment.get("kind"),
            "must be an apps/v1 Deployment object",
        )
    metadata = deployment.get("metadata", {})
    check_prop(
        path, f"{at}.rollout.deployment.metadata.name", metadata.get("name"),
        check_kubernetes_subdomain,
    )
    if metadata.get("namespace") != rollout.namespace:
        raise PropError(
            path,
            f"{at}.rollout.deployment.metadata.namespace",
            metadata.get("namespace"),
            f"must be rollout.namespace ({rollout.namespace}): the deploy role may edit "
            "that namespace only",
        )
    containers = deployment.get("spec", {}).get("template", {}).get("spec", {}).get(
        "containers", []
    )
    if rollout.container not in [c.get("name") for c in containers]:
        raise PropError(
            path,
            f"{at}.rollout.container",
            rollout.container,
            "is not a container of rollout.deployment; name one of "
            + ", ".join(str(c.get("name")) for c in containers),
        )
    if bool(rollout.subnet_ids) != bool(rollout.security_group_ids):
        raise PropError(
            path,
            f"{at}.rollout.security_group_ids",
            list(rollout.security_group_ids),
            "give subnet_ids and security_group_ids together, or neither",
        )


def failing_severities(threshold: str) -> tuple[str, ...]:
    """The severities at or above `threshold`, most severe first."""
    return SEVERITIES[: SEVERITIES.index(threshold) + 1]
