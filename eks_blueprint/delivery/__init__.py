"""Delivery: the pipelines that take the platform, and the images it runs, to production.

`PlatformPipeline` is a self-mutating CDK Pipelines `CodePipeline` (pipeline type V2, KMS
artifacts) that deploys prebuilt `cdk.Stage`s wave by wave, across accounts, with an
optional manual approval, a read-only preflight before and a read-only verify after each
stage, and failure notifications.
"""

from __future__ import annotations

from .eks_deploy_action import EksDeployAction, EksDeployActionProps
from .image_pipeline import (
    ImagePipeline,
    ImagePipelineProps,
    ImageSource,
    RolloutTarget,
)
from .platform_pipeline import (
    BOOTSTRAP_QUALIFIER,
    TARGET_PROFILE,
    PlatformPipeline,
    PlatformPipelineProps,
    StageSpec,
    WaveSpec,
    bootstrap_role_arn,
)

__all__ = [
    "BOOTSTRAP_QUALIFIER",
    "TARGET_PROFILE",
    "EksDeployAction",
    "EksDeployActionProps",
    "ImagePipeline",
    "ImagePipelineProps",
    "ImageSource",
    "PlatformPipeline",
    "PlatformPipelineProps",
    "RolloutTarget",
    "StageSpec",
    "WaveSpec",
    "bootstrap_role_arn",
]
# ImagePipeline (image_pipeline.py): per ECR repository, a CodePipeline V2 that builds the
# image natively per platform, gates on its scan, signs it with AWS Signer (Notation) and
# rolls it out with the EKS deploy action (eks_deploy_action.py) as a namespace-scoped role.
