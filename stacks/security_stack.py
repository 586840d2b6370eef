"""AccountSecurityStack: account-level security services that outlive any cluster."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.registry import Registry
from eks_blueprint.service_roles import SpotServiceLinkedRole
from eks_blueprint.threat_detection import ThreatDetection

from .identity_props import registry_props, threat_detection_props


def has_account_security(config: EnvironmentConfig) -> bool:
    """Whether the environment has anything for the security stack (an empty stack cannot
    be deployed)."""
    security = config.security
    return (
        security.guardduty.mode == "create"
        or bool(security.registries)
        or security.enhanced_scanning is not None
        or security.spot_service_linked_role == "create"
    )


class AccountSecurityStack(Stack):
    """GuardDuty (mode create), the ECR repositories and the EC2 Spot service-linked role
    (when the file says `create`) of the environment's account."""

    def __init__(
        self, scope: Construct, id: str, *, config: EnvironmentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        security = config.security
        self.threat_detection: ThreatDetection | None = None
        self.registry: Registry | None = None
        self.spot_role: SpotServiceLinkedRole | None = None
        if security.spot_service_linked_role == "create":
            self.spot_role = SpotServiceLinkedRole(self, "SpotServiceLinkedRole")
        if security.guardduty.mode == "create":
            self.threat_detection = ThreatDetection(
                self, "ThreatDetection", props=threat_detection_props(config)
            )
        if security.registries or security.enhanced_scanning is not None:
            self.registry = Registry(self, "Registry", props=registry_props(config))
            # The URI CI pushes to and manifests pull from.
            for name, repository in self.registry.repositories.items():
                CfnOutput(
                    self,
                    f"RepositoryUri{_pascal(name)}",
                    value=repository.repository_uri,
                    description=f"ECR repository {name}",
                )


def _pascal(name: str) -> str:
    """`shop/api-v2` -> `ShopApiV2`: an output id from a repository name."""
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part)
