"""The `workloads:` section: the demo workload from the EKS overview talk."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import StrictModel

CERTIFICATE_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:acm:[a-z0-9-]+:\d{12}:certificate/[\w-]+$")
IMAGE = re.compile(
    r"^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$"
)
TALK_IMAGE = "public.ecr.aws/y7c9e1d2/joozero-repo:latest"
#: The namespace the demo workload creates.
DEMO_NAMESPACE = "demo"


def image_tag(image: str) -> str | None:
    """The tag of an image reference, or None when it has none (a digest is not a tag)."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def is_mutable_reference(image: str) -> bool:
    """True for `:latest` and untagged images (both float), False for a tag or a digest."""
    if "@sha256:" in image:
        return False
    return image_tag(image) in (None, "latest")


class DemoWorkloadConfig(StrictModel):
    """`demo-nodejs-backend`: a Deployment, Service, Ingress (ALB), PDB and HPA."""

    enabled: bool = False
    """Deploy the demo. Default: off."""
    image: str = TALK_IMAGE
    """Container image. Default: the talk's public image (`:latest`, refused in prod)."""
    replicas: int = Field(default=3, ge=1, le=100)
    """Replicas, and the HPA's minimum. Default: 3."""
    max_replicas: int = Field(default=10, ge=1, le=1000)
    """The HPA's maximum. Default: 10."""
    target_cpu_utilization: int = Field(default=70, ge=10, le=100)
    """The HPA's average CPU target, percent of requests. Default: 70."""
    scheme: Literal["internet-facing", "internal"] = "internal"
    """ALB scheme (alb.ingress.kubernetes.io/scheme). Default: internal."""
    certificate_arn: str | None = None
    """ACM certificate for HTTPS on 443 with a redirect from 80. Default: none (HTTP on 80)."""

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not IMAGE.match(value):
            raise ValueError("not an image reference; expected e.g. registry/repo:1.2.3")
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        if value is not None and not CERTIFICATE_ARN.match(value):
            raise ValueError(
                "not an ACM certificate ARN; expected arn:aws:acm:<region>:<account>:"
                "certificate/<id>"
            )
        return value

    @model_validator(mode="after")
    def _replicas(self) -> DemoWorkloadConfig:
        if self.replicas > self.max_replicas:
            raise ValueError(f"replicas ({self.replicas}) > max_replicas ({self.max_replicas})")
        return self


class WorkloadsConfig(StrictModel):
    """Workloads the platform deploys itself."""

    demo: DemoWorkloadConfig = DemoWorkloadConfig()
    """The demo Node.js backend. Default: off."""
