"""The `security:` section: account-level security services (GuardDuty, ECR)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from .base import FieldError, PrincipalArn, StrictModel, first_duplicate

#: ECR repository names: lower-case path components separated by '/'.
REPOSITORY_NAME = re.compile(r"[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*")
#: ECR scanning filters: repository name patterns with `*` wildcards. (`*` is not also a
#: separator: that made the pattern backtrack exponentially on `a*****...!`.)
SCAN_FILTER = re.compile(r"[a-z0-9*]+(?:[._/-][a-z0-9*]+)*")
#: An EKS add-on version, e.g. v1.10.0-eksbuild.2.
ADDON_VERSION = re.compile(r"v\d+\.\d+\.\d+-eksbuild\.\d+")


class GuardDutyConfig(StrictModel):
    """GuardDuty threat detection for EKS."""

    mode: Literal["create", "existing", "off"] = "existing"
    """`create`: this environment creates the account's detector (one per account and region).
    `existing`: the organisation already runs one; nothing is created and `verify` checks
    its EKS features. `off`: no GuardDuty. Default: existing (safe in organisations that
    manage GuardDuty centrally; a second detector would fail to deploy)."""
    agent: Literal["managed", "addon"] = "managed"
    """Runtime monitoring agent. `managed` (default): GuardDuty installs the
    aws-guardduty-agent add-on and its VPC endpoint itself (EKS_ADDON_MANAGEMENT).
    `addon`: this project installs the add-on in the cluster stack; you then provide the
    guardduty-data interface endpoint (network.interface_endpoints)."""
    agent_version: str | None = None
    """aws-guardduty-agent add-on version with `agent: addon`, e.g. v1.10.0-eksbuild.2.
    Default: EKS's default version for the cluster's Kubernetes version."""
    finding_publishing_frequency: Literal["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"] = (
        "FIFTEEN_MINUTES"
    )
    """How often updated findings go to EventBridge (mode create). Default: FIFTEEN_MINUTES."""

    @model_validator(mode="after")
    def _rules(self) -> GuardDutyConfig:
        if self.agent_version is not None and self.agent != "addon":
            raise FieldError("agent_version", "only applies with agent: addon; remove it")
        if self.agent_version is not None and not ADDON_VERSION.fullmatch(self.agent_version):
            raise FieldError(
                "agent_version", "not an add-on version; expected e.g. v1.10.0-eksbuild.2"
            )
        if self.mode == "off" and self.agent == "addon":
            raise FieldError("agent", "agent: addon needs GuardDuty; set mode create or existing")
        return self


class RegistryConfig(StrictModel):
    """One ECR repository: scanned on push, immutable tags, KMS-encrypted, with lifecycle."""

    name: str
    """Repository name, e.g. shop/api."""
    keep_images: int = Field(default=50, ge=1, le=10000)
    """Keep the newest N images. Default: 50."""
    untagged_expiry_days: int = Field(default=7, ge=1, le=3650)
    """Expire untagged images after this many days. Default: 7."""
    pull_principals: list[PrincipalArn] = Field(default_factory=list)
    """Further IAM roles or users (e.g. in other accounts) allowed to pull. Default: none;
    same-account node roles pull through their own IAM policy."""
    push_principals: list[PrincipalArn] = Field(default_factory=list)
    """CI roles allowed to push. Default: none."""

    @model_validator(mode="after")
    def _rules(self) -> RegistryConfig:
        if not 2 <= len(self.name) <= 256 or not REPOSITORY_NAME.fullmatch(self.name):
            raise FieldError(
                "name",
                "not an ECR repository name: 2-256 lower-case letters, digits and . _ - "
                "separated by '/', e.g. shop/api",
            )
        for field in ("pull_principals", "push_principals"):
            values = list(getattr(self, field))
            again = first_duplicate(values)
            if again is not None:
                raise FieldError([field, again], f"{values[again]} is listed more than once")
        return self


class EnhancedScanningConfig(StrictModel):
    """Registry-level Amazon Inspector scanning (AWS::ECR::RegistryScanningConfiguration)."""

    frequency: Literal["CONTINUOUS_SCAN", "SCAN_ON_PUSH"] = "SCAN_ON_PUSH"
    """CONTINUOUS_SCAN re-scans when new CVEs appear; SCAN_ON_PUSH scans once. Default:
    SCAN_ON_PUSH."""
    filters: list[str] = Field(default_factory=lambda: ["*"], min_length=1, max_length=100)
    """Repository name patterns (`*` wildcards). Default: every repository."""

    @model_validator(mode="after")
    def _rules(self) -> EnhancedScanningConfig:
        for index, pattern in enumerate(self.filters):
            if not (len(pattern) <= 256 and SCAN_FILTER.fullmatch(pattern)):
                raise FieldError(
                    ["filters", index],
                    "not a repository name pattern: up to 256 lower-case letters, digits, "
                    "* and . _ - / , like shop/*",
                )
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
