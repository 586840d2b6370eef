"""ECR repositories for the platform's images, and optional registry-wide enhanced scanning.

Repositories outlive clusters (images stay while clusters are rebuilt or upgraded blue/green),
so `Registry` belongs in the account-level security stack, not the cluster stack.

Key: one customer-managed key per Registry, with CDK's default key policy only (the
account root; IAM policies in the account decide who may use it). ECR needs no key-policy
statement: at repository creation ECR creates a KMS grant with the credentials of the
caller (CloudFormation's role, allowed through the root statement), and later pushes and
pulls use that grant through the ECR service, so pullers need no KMS permission.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from .encryption import new_key

PULL_ACTIONS: tuple[str, ...] = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
PUSH_ACTIONS: tuple[str, ...] = (
    *PULL_ACTIONS,
    "ecr:CompleteLayerUpload",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
)


@dataclass(frozen=True, kw_only=True)
class RepositorySpec:
    """One repository."""

    name: str
    """Repository name, e.g. shop/api."""
    keep_images: int = 50
    """Keep the newest N images (lifecycle rule). Default: 50."""
    untagged_expiry_days: int = 7
    """Expire untagged images after this many days. Default: 7."""
    pull_principals: Sequence[iam.IPrincipal] = ()
    """Principals allowed to pull by the repository policy (cross-account readers, and the
    cluster's node roles once wired). Default: none."""
    push_principals: Sequence[iam.IPrincipal] = ()
    """CI roles allowed to push. Default: none."""


@dataclass(frozen=True, kw_only=True)
class EnhancedScanning:
    """Registry-level Amazon Inspector scanning."""

    frequency: Literal["CONTINUOUS_SCAN", "SCAN_ON_PUSH"] = "SCAN_ON_PUSH"
    """Scan frequency. Default: SCAN_ON_PUSH."""
    filters: Sequence[str] = ("*",)
    """Repository name patterns with `*` wildcards. Default: all repositories."""


@dataclass(frozen=True, kw_only=True)
class RegistryProps:
    """Settings of Registry."""

    repositories: Sequence[RepositorySpec] = ()
    """The repositories. Default: none."""
    enhanced_scanning: EnhancedScanning | None = None
    """Account-wide enhanced scanning. Default: none (basic scan on push per repository)."""
    encryption_key: kms.IKey | None = None
    """Key for the repositories. Default: a new rotating customer-managed key."""
    removal_policy: RemovalPolicy = RemovalPolicy.RETAIN
    """Repositories and key when the stack is deleted. Default: retain."""


def repository_id(name: str) -> str:
    """A stable construct id from a repository name: `shop/api` -> `ShopApi`."""
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", name) if w)


class Registry(Construct):
    """ECR repositories: scan on push, immutable tags, KMS, lifecycle, least-privilege policy."""

    def __init__(self, scope: Construct, id: str, *, props: RegistryProps) -> None:
        super().__init__(scope, id)
        if not props.repositories and props.enhanced_scanning is None:
            raise ValueError("repositories or enhanced_scanning: the registry would be empty")
        self.repositories: dict[str, ecr.Repository] = {}
        self.key: kms.IKey | None = None
        if props.repositories:
            self.key = props.encryption_key or new_key(
                self,
                "Key",
                description="Encrypts the images of the platform's ECR repositories",
                removal_policy=props.removal_policy,
            )
        for index, spec in enumerate(props.repositories):
            if spec.name in self.repositories:
                raise ValueError(f"repositories[{index}]: name {spec.name!r} is listed twice")
            if spec.keep_images < 1 or spec.untagged_expiry_days < 1:
                raise ValueError(
                    f"repositories[{index}]: keep_images and untagged_expiry_days must be >= 1"
                )
            self.repositories[spec.name] = self._repository(spec, props.removal_policy)
        if props.enhanced_scanning is not None:
            self.scanning = ecr.CfnRegistryScanningConfiguration(
                self,
                "Scanning",
                scan_type="ENHANCED",
                rules=[
                    ecr.CfnRegistryScanningConfiguration.ScanningRuleProperty(
                        scan_frequency=props.enhanced_scanning.frequency,
                        repository_filters=[
                            ecr.CfnRegistryScanningConfiguration.RepositoryFilterProperty(
                                filter=pattern, filter_type="WILDCARD"
                            )
                            for pattern in props.enhanced_scanning.filters
                        ],
                    )
                ],
            )

    def _repository(self, spec: RepositorySpec, removal_policy: RemovalPolicy) -> ecr.Repository:
        repository = ecr.Repository(
            self,
            repository_id(spec.name),
            repository_name=spec.name,
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=self.key,
            removal_policy=removal_policy,
            # A destroyable repository must be emptied first, or deleting the stack fails
            # once an image was pushed.
            empty_on_delete=removal_policy == RemovalPolicy.DESTROY,
            lifecycle_rules=[
                ecr.LifecycleRule(
                    rule_priority=1,
                    description=f"Expire untagged images after {spec.untagged_expiry_days} days",
                    tag_status=ecr.TagStatus.UNTAGGED,
                    max_image_age=Duration.days(spec.untagged_expiry_days),
                ),
                ecr.LifecycleRule(
                    rule_priority=2,
                    description=f"Keep the newest {spec.keep_images} images",
                    tag_status=ecr.TagStatus.ANY,
                    max_image_count=spec.keep_images,
                ),
            ],
        )
        # Resource policy, not grant_pull/grant_push: those would also try to attach IAM
        # policies to the principals, which belong to other stacks or accounts.
        if spec.pull_principals:
            repository.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="Pull",
                    principals=list(spec.pull_principals),
                    actions=list(PULL_ACTIONS),
                )
            )
        if spec.push_principals:
            repository.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="Push",
                    principals=list(spec.push_principals),
                    actions=list(PUSH_ACTIONS),
                )
            )
        return repository
