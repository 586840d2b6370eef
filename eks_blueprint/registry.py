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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from . import defaults
from .encryption import new_key
from .ids import pascal_id
from .validate_names import (
    MAX_SCAN_FILTERS,
    REPOSITORY_COUNTS,
    SCAN_FREQUENCIES,
    PropError,
    check_choice,
    check_prop,
    check_range,
    check_repository_name,
    check_scan_filter,
)

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
    """Repository name: 2-256 lower-case letters, digits and . _ - separated by '/', e.g.
    shop/api; unique in the registry."""
    keep_images: int = defaults.KEEP_IMAGES
    """Keep the newest N images (lifecycle rule), 1 to 10000. Default: 50."""
    untagged_expiry_days: int = defaults.UNTAGGED_EXPIRY_DAYS
    """Expire untagged images after this many days, 1 to 3650. Default: 7."""
    pull_principals: Sequence[iam.IPrincipal] = ()
    """Principals allowed to pull by the repository policy (cross-account readers, and the
    cluster's node roles once wired). Default: none."""
    push_principals: Sequence[iam.IPrincipal] = ()
    """CI roles allowed to push. Default: none."""


@dataclass(frozen=True, kw_only=True)
class EnhancedScanning:
    """Registry-level Amazon Inspector scanning."""

    frequency: Literal["CONTINUOUS_SCAN", "SCAN_ON_PUSH"] = defaults.SCAN_FREQUENCY
    """Scan frequency. Default: SCAN_ON_PUSH."""
    filters: Sequence[str] = defaults.SCAN_FILTERS
    """Repository name patterns with `*` wildcards, 1 to 100 of them. Default: all
    repositories."""


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
    """A stable construct id from a repository name: `shop/api` -> `ShopApi` (names are
    lower-case, so `pascal_id` keeps every id the earlier helper made)."""
    return pascal_id(name)


def check_registry(path: str, props: RegistryProps) -> None:
    """Refuse what ECR or the `security:` config refuses, naming the construct at `path`."""
    if not props.repositories and props.enhanced_scanning is None:
        raise PropError(
            path,
            "RegistryProps.repositories",
            (),
            "repositories or enhanced_scanning: the registry would be empty; list "
            "repositories or set enhanced_scanning",
        )
    names: list[str] = []
    for index, spec in enumerate(props.repositories):
        at = f"RegistryProps.repositories[{index}]"
        check_prop(path, f"{at}.name", spec.name, check_repository_name)
        if spec.name in names:
            raise PropError(
                path,
                f"{at}.name",
                spec.name,
                f"also the name of repositories[{names.index(spec.name)}]; names are unique",
            )
        names.append(spec.name)
        for field, (low, high) in REPOSITORY_COUNTS.items():
            check_prop(path, f"{at}.{field}", getattr(spec, field), check_range, low, high)
    scanning = props.enhanced_scanning
    if scanning is not None:
        at = "RegistryProps.enhanced_scanning"
        check_prop(path, f"{at}.frequency", scanning.frequency, check_choice, SCAN_FREQUENCIES)
        filters = list(scanning.filters)
        if not 1 <= len(filters) <= MAX_SCAN_FILTERS:
            raise PropError(
                path,
                f"{at}.filters",
                filters,
                f"give 1 to {MAX_SCAN_FILTERS} patterns; ('*',) scans every repository",
            )
        for index, pattern in enumerate(filters):
            check_prop(path, f"{at}.filters[{index}]", pattern, check_scan_filter)


class Registry(Construct):
    """ECR repositories: scan on push, immutable tags, KMS, lifecycle, least-privilege policy."""

    def __init__(self, scope: Construct, id: str, *, props: RegistryProps) -> None:
        super().__init__(scope, id)
        check_registry(self.node.path, props)
        self.repositories: dict[str, ecr.Repository] = {}
        self.key: kms.IKey | None = None
        if props.repositories:
            self.key = props.encryption_key or new_key(
                self,
                "Key",
                description="Encrypts the images of the platform's ECR repositories",
                removal_policy=props.removal_policy,
            )
        for spec in props.repositories:
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
