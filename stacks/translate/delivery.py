"""Translate how things are delivered: `delivery:` (GitOps mode: where the tree goes, for
the control plane's props) and `security.registries[].build` into the image pipelines' props.

Pure: config and the objects other stacks made (repository, signing profile, cluster
name, subnets, security group) in, `ImagePipelineProps` out; no construct, no scope.
Today the rollout target is the demo workload: its Deployment, as the cluster stack
applies it, is the manifest the pipeline rolls out with the new image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_eks_v2 as eks
from aws_cdk import aws_signer as signer

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.config.security import RegistryConfig, build_target_problem
from eks_blueprint.delivery.image_pipeline import ImagePipelineProps, ImageSource, RolloutTarget
from eks_blueprint.gitops import GitOpsTarget
from eks_blueprint.ids import pascal_id
from eks_blueprint.workloads.demo import APP, demo_manifests

from .lifecycle import removal_policy, retention
from .workloads import demo_props


def gitops_target(config: EnvironmentConfig) -> GitOpsTarget | None:
    """Where a GitOps environment's tree goes (`delivery:`), None in kubectl mode."""
    delivery = config.delivery
    if not delivery.gitops:
        return None
    assert delivery.repository is not None  # the config requires it in gitops mode
    return GitOpsTarget(
        name=config.name,
        repository=delivery.repository,
        path=delivery.tree_path(config.name),
        revision=delivery.revision,
        project=delivery.project,
        namespace=argocd.namespace if (argocd := config.capabilities.argocd) else "argocd",
    )


@dataclass(frozen=True)
class ImageBuild:
    """One repository with `build:`: its construct id and pipeline name."""

    registry: RegistryConfig
    construct_id: str
    """`pascal_id` of the repository name, e.g. demo/web -> DemoWeb."""
    pipeline_name: str
    """`<env>-image-<repository with / as ->`, e.g. dev-image-demo-web."""


def image_builds(config: EnvironmentConfig) -> list[ImageBuild]:
    """The repositories of the environment that have an image pipeline, in file order."""
    return [
        ImageBuild(
            registry=r,
            construct_id=pascal_id(r.name),
            pipeline_name=f"{config.name}-image-{r.name.replace('/', '-')}",
        )
        for r in config.security.registries
        if r.build is not None
    ]


def demo_deployment(config: EnvironmentConfig, cluster: eks.ICluster) -> dict[str, Any]:
    """The demo's Deployment object exactly as the cluster stack applies it."""
    props = demo_props(config, cluster)
    if props is None:
        raise ValueError("workloads.demo.enabled is false: nothing to roll out to")
    return next(m for m in demo_manifests(props) if m["kind"] == "Deployment")


def image_pipeline_props(
    config: EnvironmentConfig,
    build: ImageBuild,
    *,
    repository: ecr.IRepository,
    signing_profile: signer.ISigningProfile,
    cluster: eks.ICluster,
    subnet_ids: Sequence[str],
    security_group_ids: Sequence[str],
) -> ImagePipelineProps:
    """The props of one image pipeline. A rollout target other than the demo is refused
    with the field to fix (the config model's cross-section rule says the same)."""
    spec = build.registry.build
    assert spec is not None
    demo = config.workloads.demo
    deployment = demo_deployment(config, cluster) if demo.enabled else None
    problem = build_target_problem(
        spec,
        deployment["metadata"]["namespace"] if deployment else None,
        tuple(demo.platforms),
        APP,
    )
    if problem is not None or deployment is None:
        field, message = problem or ("deploy", "no rollout target")
        index = config.security.registries.index(build.registry)
        raise ValueError(f"security.registries[{index}].build.{field}: {message}")
    return ImagePipelineProps(
        pipeline_name=build.pipeline_name,
        repository=repository,
        source=ImageSource(
            connection_arn=spec.source.connection_arn,
            repository=spec.source.repository,
            branch=spec.source.branch,
        ),
        platforms=tuple(spec.platforms),
        signing_profile=signing_profile,
        fail_on_severity=spec.fail_on_severity,
        rollout=RolloutTarget(
            cluster_name=cluster.cluster_name,
            namespace=spec.deploy.namespace,
            deployment=deployment,
            container=spec.deploy.container,
            subnet_ids=tuple(subnet_ids),
            security_group_ids=tuple(security_group_ids),
        ),
        log_retention=retention(config.cluster.logging.retention_days),
        removal_policy=removal_policy(config),
    )
