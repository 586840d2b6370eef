"""AccountSecurityStack: account-level security services that outlive any cluster."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from eks_blueprint import Registry, SpotServiceLinkedRole, ThreatDetection
from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.ids import pascal_id

from .translate.security import creates_spot_role, registry_props, threat_detection_props


class AccountSecurityStack(Stack):
    """GuardDuty (mode create), the ECR repositories and the EC2 Spot service-linked role
    (when the file says `create`) of the environment's account. The stage creates this stack
    only when `translate.security.has_account_security` says it has something to hold."""

    def __init__(
        self, scope: Construct, id: str, *, config: EnvironmentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.threat_detection: ThreatDetection | None = None
        self.registry: Registry | None = None
        self.spot_role: SpotServiceLinkedRole | None = None
        if creates_spot_role(config):
            self.spot_role = SpotServiceLinkedRole(self, "SpotServiceLinkedRole")
        guardduty = threat_detection_props(config)
        if guardduty is not None:
            self.threat_detection = ThreatDetection(self, "ThreatDetection", props=guardduty)
        registry = registry_props(config)
        if registry is not None:
            self.registry = Registry(self, "Registry", props=registry)
            # The URI CI pushes to and manifests pull from.
            for name, repository in self.registry.repositories.items():
                CfnOutput(
                    self,
                    f"RepositoryUri{pascal_id(name)}",
                    value=repository.repository_uri,
                    description=f"ECR repository {name}",
                )
