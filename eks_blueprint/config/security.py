"""The `security:` section: account-level security services (GuardDuty, ECR)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .. import defaults
from ..validate_names import (
    MAX_SCAN_FILTERS,
    REPOSITORY_COUNTS,
    check_addon_version,
    check_repository_name,
    check_scan_filter,
)
from .base import FieldError, PrincipalArn, StrictModel, first_duplicate


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
