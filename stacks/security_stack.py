"""AccountSecurityStack: account-level security services that outlive any cluster."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_signer as signer
from constructs import Construct

from eks_blueprint import Registry, SpotServiceLinkedRole, ThreatDetection
from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.governance.environment import verifies_images
from eks_blueprint.ids import pascal_id

from .translate.security import (
    creates_spot_role,
    has_image_builds,
    registry_props,
    threat_detection_props,
)

#: How long a signature made with the environment's signing profile stays valid.
SIGNATURE_VALIDITY = Duration.days(365)


class AccountSecurityStack(Stack):
    """GuardDuty (mode create), the ECR repositories, the AWS Signer profile of the image
    pipelines and of the cluster's signature verification (when a repository has `build:`
    or `governance.image_verification` is on) and the EC2 Spot service-linked role
    (when the file says `create`) of the environment's account. The stage creates this stack
    only when `translate.security.has_account_security` says it has something to hold."""

    def __init__(
        self, scope: Construct, id: str, *, config: EnvironmentConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.threat_detection: ThreatDetection | None = None
        self.registry: Registry | None = None
        self.spot_role: SpotServiceLinkedRole | None = None
        self.signing_profile: signer.SigningProfile | None = None
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
        if has_image_builds(config) or verifies_images(config):
            # One AWS Signer profile per environment: the image pipelines (and developers, by
            # hand) sign with it (Notation), and the cluster's admission policy trusts
            # signatures of this profile only.
            self.signing_profile = signer.SigningProfile(
                self,
                "SigningProfile",
                platform=signer.Platform.NOTATION_OCI_SHA384_ECDSA,
                signature_validity=SIGNATURE_VALIDITY,
            )
            CfnOutput(
                self,
                "SigningProfileArn",
                value=self.signing_profile.signing_profile_arn,
                description="AWS Signer profile that signs the environment's images (Notation)",
            )
