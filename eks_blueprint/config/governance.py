"""The `governance:` section: Kyverno and the cluster's policies, and image signatures.

Defaults follow the environment: production enforces every policy, refuses `:latest` and
unsigned images of its own repositories, runs 3 Kyverno replicas and fails closed; other
environments audit, so a developer sees a PolicyReport instead of a refused deploy, and run
one replica that fails open. Each default can be stated in the file.
"""

from __future__ import annotations

import re
from typing import Final, Literal

from pydantic import Field, field_validator

from .base import FieldError, StrictModel, first_duplicate

Action = Literal["enforce", "audit"]

#: The Kyverno release of the pinned chart (GOVERNANCE_CHARTS) and the Kubernetes versions
#: it supports: kyverno.io "Compatibility Matrix" (Kyverno 1.19: 1.33 - 1.35), as listed by
#: endoflife.date, November 2026. The upgrade plan's chart table holds the same range.
KYVERNO_RELEASE: Final = "v1.19.0"
KYVERNO_KUBERNETES: Final = ("1.33", "1.35")

#: An image reference prefix: a registry host with an optional repository path. It must
#: end in `/` or be a whole `<host>/<repository>`: the policy matches it against the start
#: of the image string and then requires `/`, `:` or `@` right after, so `shop/api` cannot
#: admit `shop/api-evil`.
REGISTRY_PREFIX = re.compile(
    r"(?P<host>[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:[0-9]{1,5})?)"
    r"(/[a-z0-9]+([._/-][a-z0-9]+)*)?/?"
)


class GovernanceConfig(StrictModel):
    """Kyverno, its policies and image signature verification."""

    enabled: bool = True
    """Install Kyverno and the policies. Default: true."""
    action: Action | None = None
    """The workload policies (requests and limits, readiness probes, PDBs, allowed
    registries, no NodePort for tenants): `enforce` refuses, `audit` admits and reports.
    Default: enforce in production, audit elsewhere."""
    latest_tag: Action | None = None
    """Images tagged `:latest` or untagged. Default: enforce in production, audit elsewhere."""
    allowed_registries: list[str] = Field(default_factory=list)
    """Image prefixes accepted besides the environment's ECR repositories (always allowed),
    e.g. `public.ecr.aws/nginx/` or `docker.io/library/redis`: a registry host with an
    optional path. Default: none. An image from anywhere else is refused (or audited)."""
    image_verification: Literal["enforce", "audit", "off"] | None = None
    """Signatures of images from the environment's ECR repositories (AWS Signer, Notation):
    `enforce` refuses an unsigned image, `audit` reports it. Needs security.registries.
    Default: enforce in production, audit elsewhere, off without registries."""
    replicas: int | None = Field(default=None, ge=1, le=5)
    """Kyverno admission controller replicas, with a PodDisruptionBudget from 2. Default: 3
    in production, 1 elsewhere."""
    failure_policy: Literal["Fail", "Ignore"] | None = None
    """When Kyverno does not answer: `Fail` refuses the request (nothing unchecked gets in),
    `Ignore` admits it. Default: Fail in production (3 replicas, a PDB), Ignore elsewhere
    (one replica; its restart must not block developers)."""
    webhook_timeout_seconds: int = Field(default=10, ge=1, le=30)
    """Seconds the API server waits for each policy's webhook (Kubernetes allows 1-30);
    image verification always gets 30, as it reads signatures from ECR. Default: 10."""

    @field_validator("allowed_registries")
    @classmethod
    def _prefixes(cls, value: list[str]) -> list[str]:
        for index, prefix in enumerate(value):
            if not REGISTRY_PREFIX.fullmatch(prefix):
                raise FieldError(
                    [index],
                    f"{prefix!r} is not an image prefix; give a registry host with an optional "
                    "repository path in lower case, e.g. public.ecr.aws/nginx/ or "
                    "docker.io/library/redis (no scheme, tag or wildcard)",
                )
        again = first_duplicate(value)
        if again is not None:
            raise FieldError([again], f"{value[again]} is listed more than once")
        return value

    def resolved_action(self, production: bool) -> Action:
        """`action`, or its default for the environment."""
        return self.action or ("enforce" if production else "audit")

    def resolved_latest_tag(self, production: bool) -> Action:
        """`latest_tag`, or its default for the environment."""
        return self.latest_tag or ("enforce" if production else "audit")

    def resolved_replicas(self, production: bool) -> int:
        """`replicas`, or its default for the environment."""
        return self.replicas or (3 if production else 1)

    def resolved_failure_policy(self, production: bool) -> Literal["Fail", "Ignore"]:
        """`failure_policy`, or its default for the environment."""
        return self.failure_policy or ("Fail" if production else "Ignore")

    def resolved_image_verification(
        self, production: bool, has_registries: bool
    ) -> Literal["enforce", "audit", "off"]:
        """`image_verification`, or its default for the environment and its registries."""
        if self.image_verification is not None:
            return self.image_verification
        if not has_registries:
            return "off"
        return "enforce" if production else "audit"
