"""The `security:` section: account-level security services (GuardDuty, ECR)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .. import defaults
from ..validate_names import (
    MAX_SCAN_FILTERS,
    REPOSITORY_COUNTS,
    check_addon_version,
    check_kubernetes_name,
    check_kubernetes_subdomain,
    check_repository_name,
    check_scan_filter,
    check_tenant_namespace,
)
from ..validate_names import check_branch as check_branch
from ..validate_names import check_connection_arn as check_connection_arn
from ..validate_names import check_source_repository as check_source_repository
from .base import FieldError, PrincipalArn, StrictModel, first_duplicate

# --- image builds (security.registries[].build): cdk-free rules shared with the library's
# eks_blueprint.delivery.ImagePipeline, which checks its props with the same functions.
# The source checks (check_connection_arn, check_source_repository, check_branch) live in
# validate_names, shared with the platform pipeline's file and props; imported from here too.

#: Severities of Amazon Inspector / ECR scan findings, most severe first.
SEVERITIES: tuple[str, ...] = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
#: The severity at and above which the scan gate fails by default.
DEFAULT_FAIL_ON_SEVERITY: Literal["HIGH"] = "HIGH"
#: CPU architectures an image is built for, each natively on its own CodeBuild image.
BUILD_PLATFORMS: tuple[str, ...] = ("amd64", "arm64")


def check_build_platforms(values: list[str] | tuple[str, ...]) -> list[str] | tuple[str, ...]:
    """amd64 and/or arm64, each once."""
    if not values:
        raise ValueError("must list amd64 and/or arm64: the image is built for each")
    for value in values:
        if value not in BUILD_PLATFORMS:
            raise ValueError(f"{value!r} is not one of {', '.join(BUILD_PLATFORMS)}")
    again = first_duplicate(values)
    if again is not None:
        raise ValueError(f"{values[again]} is listed more than once; list each once")
    return values


def check_severity(value: str) -> str:
    """A finding severity the scan gate can fail on."""
    if value not in SEVERITIES:
        raise ValueError(f"not one of {', '.join(SEVERITIES)}")
    return value


class GuardDutyConfig(StrictModel):
    """GuardDuty threat detection for EKS."""

    mode: Literal["create", "existing", "off"] = "existing"
    """`create`: this environment creates the account's detector (one per account and region).
    `existing`: the organisation already runs one; nothing is created and `verify` checks
    its EKS features. `off`: no GuardDuty. Default: existing (safe in organisations that
    manage GuardDuty centrally; a second detector would fail to deploy)."""
    agent: Literal["managed", "addon"] = defaults.RUNTIME_AGENT
    """Runtime monitoring agent. `managed` (default): GuardDuty installs the
    aws-guardduty-agent add-on and its VPC endpoint itself (EKS_ADDON_MANAGEMENT).
    `addon`: this project installs the add-on in the cluster stack; you then provide the
    guardduty-data interface endpoint (network.interface_endpoints)."""
    agent_version: str | None = None
    """aws-guardduty-agent add-on version with `agent: addon`, e.g. v1.10.0-eksbuild.2.
    Default: EKS's default version for the cluster's Kubernetes version."""
    finding_publishing_frequency: Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"] = (
        defaults.FINDING_PUBLISHING_FREQUENCY
    )
    """How often updated findings go to EventBridge (mode create). Default: FIFTEEN_MINUTES."""

    @model_validator(mode="after")
    def _rules(self) -> GuardDutyConfig:
        if self.agent_version is not None and self.agent != "addon":
            raise FieldError("agent_version", "only applies with agent: addon; remove it")
        if self.agent_version is not None:
            try:
                check_addon_version(self.agent_version)
            except ValueError as exc:
                raise FieldError("agent_version", str(exc)) from None
        if self.mode == "off" and self.agent == "addon":
            raise FieldError("agent", "agent: addon needs GuardDuty; set mode create or existing")
        return self


class BuildSourceConfig(StrictModel):
    """Where the image's source lives: a CodeConnections connection, repository, branch."""

    connection_arn: str
    """The CodeConnections connection (created and authorised once in the console), e.g.
    arn:aws:codeconnections:eu-west-1:111111111111:connection/0a1b2c3d-...."""
    repository: str
    """The repository with the Dockerfile at its root, `owner/name`."""
    branch: str = "main"
    """The branch whose commits start the pipeline. Default: main."""

    @model_validator(mode="after")
    def _rules(self) -> BuildSourceConfig:
        for field, check in (
            ("connection_arn", check_connection_arn),
            ("repository", check_source_repository),
            ("branch", check_branch),
        ):
            try:
                check(getattr(self, field))
            except ValueError as exc:
                raise FieldError(field, str(exc)) from None
        return self


class BuildDeployConfig(StrictModel):
    """The Deployment the pipeline rolls the new image out to, with CodePipeline's EKS
    deploy action, whose role may edit this namespace only."""

    namespace: str
    """The workload's namespace (the demo's: workloads.demo.namespace)."""
    deployment: str
    """The Deployment's name (the demo's: demo-nodejs-backend)."""
    container: str
    """The container whose image is replaced (the demo's: demo-nodejs-backend)."""

    @model_validator(mode="after")
    def _rules(self) -> BuildDeployConfig:
        for field, check in (
            ("namespace", check_tenant_namespace),
            ("deployment", check_kubernetes_subdomain),
            ("container", check_kubernetes_name),
        ):
            try:
                check(getattr(self, field))
            except ValueError as exc:
                raise FieldError(field, str(exc)) from None
        return self


class BuildConfig(StrictModel):
    """An image pipeline for this repository (CodePipeline V2 in `<env>-eks-delivery`):
    source, native builds per platform and a multi-arch manifest, a scan gate, AWS Signer
    (Notation) signing, and a rollout with the EKS deploy action."""

    source: BuildSourceConfig
    """The source repository and branch."""
    platforms: list[Literal["amd64", "arm64"]] = Field(min_length=1)
    """CPU architectures to build, each natively (no emulation); with both, the commit tag
    is a multi-architecture manifest list. Must cover the workload's platforms."""
    fail_on_severity: Literal["CRITICAL", "HIGH", "MEDIUM", "LOW"] = DEFAULT_FAIL_ON_SEVERITY
    """The scan gate fails on any finding at or above this severity. Default: HIGH."""
    deploy: BuildDeployConfig
    """The Deployment to roll out."""

    @model_validator(mode="after")
    def _rules(self) -> BuildConfig:
        try:
            check_build_platforms(list(self.platforms))
        except ValueError as exc:
            raise FieldError("platforms", str(exc)) from None
        return self


def build_target_problem(
    build: BuildConfig,
    demo_namespace: str | None,
    demo_platforms: list[str] | tuple[str, ...],
    demo_name: str,
) -> tuple[str, str] | None:
    """(field under `build`, problem) when the rollout target is not one this project can
    render a manifest for, else None. Today that is the demo workload (the manifest is its
    own Deployment with the new image), enabled, in its namespace, built for its platforms.
    `demo_namespace` is None when the demo is off."""
    deploy = build.deploy
    if demo_namespace is None:
        return (
            "deploy",
            "rolls out to the demo workload, which is off; set workloads.demo.enabled",
        )
    if deploy.namespace != demo_namespace:
        return ("deploy.namespace", f"must be the demo's namespace, {demo_namespace}")
    if deploy.deployment != demo_name:
        return ("deploy.deployment", f"must be the demo's Deployment, {demo_name}")
    if deploy.container != demo_name:
        return ("deploy.container", f"must be the demo's container, {demo_name}")
    missing = [p for p in demo_platforms if p not in build.platforms]
    if missing:
        return (
            "platforms",
            f"the demo runs on {', '.join(demo_platforms)}; build {', '.join(missing)} too",
        )
    return None


class RegistryConfig(StrictModel):
    """One ECR repository: scanned on push, immutable tags, KMS-encrypted, with lifecycle."""

    name: str
    """Repository name, e.g. shop/api."""
    keep_images: int = Field(
        default=defaults.KEEP_IMAGES,
        ge=REPOSITORY_COUNTS["keep_images"][0],
        le=REPOSITORY_COUNTS["keep_images"][1],
    )
    """Keep the newest N images. Default: 50."""
    untagged_expiry_days: int = Field(
        default=defaults.UNTAGGED_EXPIRY_DAYS,
        ge=REPOSITORY_COUNTS["untagged_expiry_days"][0],
        le=REPOSITORY_COUNTS["untagged_expiry_days"][1],
    )
    """Expire untagged images after this many days. Default: 7."""
    pull_principals: list[PrincipalArn] = Field(default_factory=list)
    """Further IAM roles or users (e.g. in other accounts) allowed to pull. Default: none;
    same-account node roles pull through their own IAM policy."""
    push_principals: list[PrincipalArn] = Field(default_factory=list)
    """CI roles allowed to push. Default: none."""
    build: BuildConfig | None = None
    """An image pipeline that builds, scans, signs and rolls out this repository's image
    (in the `<env>-eks-delivery` stack). Default: none."""

    @model_validator(mode="after")
    def _rules(self) -> RegistryConfig:
        try:
            check_repository_name(self.name)
        except ValueError as exc:
            raise FieldError("name", str(exc)) from None
        for field in ("pull_principals", "push_principals"):
            values = list(getattr(self, field))
            again = first_duplicate(values)
            if again is not None:
                raise FieldError([field, again], f"{values[again]} is listed more than once")
        return self


class EnhancedScanningConfig(StrictModel):
    """Registry-level Amazon Inspector scanning (AWS::ECR::RegistryScanningConfiguration)."""

    frequency: Literal["CONTINUOUS_SCAN", "SCAN_ON_PUSH"] = defaults.SCAN_FREQUENCY
    """CONTINUOUS_SCAN re-scans when new CVEs appear; SCAN_ON_PUSH scans once. Default:
    SCAN_ON_PUSH."""
    filters: list[str] = Field(
        default_factory=lambda: list(defaults.SCAN_FILTERS),
        min_length=1,
        max_length=MAX_SCAN_FILTERS,
    )
    """Repository name patterns (`*` wildcards). Default: every repository."""

    @model_validator(mode="after")
    def _rules(self) -> EnhancedScanningConfig:
        for index, pattern in enumerate(self.filters):
            try:
                check_scan_filter(pattern)
            except ValueError as exc:
                raise FieldError(["filters", index], str(exc)) from None
        return self


class SecurityConfig(StrictModel):
    """Account-level security services, deployed in the `<env>-eks-security` stack."""

    guardduty: GuardDutyConfig = GuardDutyConfig()
    """GuardDuty EKS protection. Default: mode existing."""
    registries: list[RegistryConfig] = Field(default_factory=list)
    """ECR repositories. Default: none."""
    enhanced_scanning: EnhancedScanningConfig | None = None
    """Registry-wide enhanced scanning with Amazon Inspector. Default: off (basic
    scan-on-push per repository). It is one setting per account and region."""
    spot_service_linked_role: Literal["create", "existing"] | None = None
    """The EC2 Spot service-linked role (AWSServiceRoleForEC2Spot), which Spot capacity needs
    and a fresh account lacks. `create`: this environment's security stack creates it (once
    per account: IAM is global; it is retained on delete). `existing`: the account already
    has it (`eks-blueprint-preflight` checks). Required when a Karpenter node pool uses Spot
    (Karpenter may not create it; Spot node groups launch through EC2 Auto Scaling, whose
    service-linked role creates it on first use). Default: none."""

    @model_validator(mode="after")
    def _rules(self) -> SecurityConfig:
        names = [r.name for r in self.registries]
        again = first_duplicate(names)
        if again is not None:
            raise FieldError(
                ["registries", again, "name"], f"repository {names[again]} is listed more than once"
            )
        return self
