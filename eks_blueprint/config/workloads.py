"""The `workloads:` section: the demo workload from the EKS overview talk."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from .. import defaults
from ..defaults import DEMO_NAMESPACE as DEMO_NAMESPACE
from ..validate_names import DEMO_COUNTS, check_certificate_arn, check_image, is_open_cidr
from .base import Cidr, FieldError, StrictModel, first_duplicate
from .compute import ComputeConfig, ami_architecture

TALK_IMAGE = "public.ecr.aws/y7c9e1d2/joozero-repo:latest"
#: The labels of the demo's pods (a Fargate selector with other labels does not take them).
DEMO_POD_LABELS = {
    "app.kubernetes.io/name": "demo-nodejs-backend",
    "app.kubernetes.io/part-of": "eks-blueprint-demo",
}
Platform = Literal["amd64", "arm64"]


def _amd64() -> list[Platform]:
    return list(defaults.DEMO_PLATFORMS)


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
    replicas: int = Field(
        default=defaults.DEMO_REPLICAS, ge=DEMO_COUNTS["replicas"][0], le=DEMO_COUNTS["replicas"][1]
    )
    """Replicas, and the HPA's minimum. Default: 3."""
    max_replicas: int = Field(
        default=defaults.DEMO_MAX_REPLICAS,
        ge=DEMO_COUNTS["max_replicas"][0],
        le=DEMO_COUNTS["max_replicas"][1],
    )
    """The HPA's maximum. Default: 10."""
    target_cpu_utilization: int = Field(
        default=defaults.DEMO_TARGET_CPU_UTILIZATION,
        ge=DEMO_COUNTS["target_cpu_utilization"][0],
        le=DEMO_COUNTS["target_cpu_utilization"][1],
    )
    """The HPA's average CPU target, percent of requests. Default: 70."""
    scheme: Literal["internet-facing", "internal"] = defaults.DEMO_SCHEME
    """ALB scheme (alb.ingress.kubernetes.io/scheme). Default: internal."""
    certificate_arn: str | None = None
    """ACM certificate for HTTPS on 443 with a redirect from 80. Default: none (HTTP on 80)."""
    platforms: list[Platform] = Field(default_factory=_amd64, min_length=1)
    """CPU architectures the image is built for; the pods are scheduled only on nodes of
    these (`kubernetes.io/arch`). Default: [amd64] (the talk's image is amd64-only)."""
    inbound_cidrs: list[Cidr] = Field(default_factory=list)
    """Client CIDRs the ALB accepts (alb.ingress.kubernetes.io/inbound-cidrs). Required with
    internet-facing; with internal, empty means the VPC's CIDRs (network.cidr, and
    network.pod_subnets.cidr with custom networking, where the pods' addresses come from).
    Default: none."""
    allow_open_ingress: bool = False
    """Must be true to list 0.0.0.0/0 in inbound_cidrs: an explicit, reviewable choice."""

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return check_image(value)

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str | None) -> str | None:
        return None if value is None else check_certificate_arn(value)

    @model_validator(mode="after")
    def _replicas(self) -> DemoWorkloadConfig:
        if self.replicas > self.max_replicas:
            raise FieldError(
                "replicas", f"replicas ({self.replicas}) > max_replicas ({self.max_replicas})"
            )
        return self

    @model_validator(mode="after")
    def _ingress(self) -> DemoWorkloadConfig:
        for field in ("platforms", "inbound_cidrs"):
            values = list(getattr(self, field))
            again = first_duplicate(values)
            if again is not None:
                raise FieldError([field, again], f"{values[again]} is listed more than once")
        if self.scheme == "internet-facing" and not self.inbound_cidrs:
            raise FieldError(
                "inbound_cidrs",
                "scheme 'internet-facing' needs inbound_cidrs, the client ranges the ALB "
                "accepts, e.g. [203.0.113.0/24]; 0.0.0.0/0 also needs allow_open_ingress: true",
            )
        open_cidrs = [c for c in self.inbound_cidrs if is_open_cidr(c)]
        if open_cidrs and not self.allow_open_ingress:
            raise FieldError(
                ["inbound_cidrs", self.inbound_cidrs.index(open_cidrs[0])],
                "0.0.0.0/0 opens the ALB to the whole internet; list your own CIDRs, or set "
                "allow_open_ingress: true to make that choice explicit",
            )
        if self.allow_open_ingress and not open_cidrs:
            raise FieldError(
                "allow_open_ingress",
                "allow_open_ingress is true but inbound_cidrs has no 0.0.0.0/0; remove it",
            )
        return self


def _selects_demo(namespace: str, labels: dict[str, str]) -> bool:
    return namespace == DEMO_NAMESPACE and all(
        DEMO_POD_LABELS.get(k) == v for k, v in labels.items()
    )


def demo_capacity(compute: ComputeConfig) -> list[tuple[str, tuple[Platform, ...]]]:
    """Where the demo's pods could run, as (what, architectures); the architectures are ()
    where they cannot (tainted: the demo tolerates no taints; a Fargate profile that does not
    select its pods)."""
    out: list[tuple[str, tuple[Platform, ...]]] = []
    for group in compute.node_groups:
        arch: Platform = "arm64" if ami_architecture(group.ami_type) == "arm64" else "amd64"
        if group.taints:
            out.append((f"node group {group.name} ({arch}, tainted)", ()))
        else:
            out.append((f"node group {group.name} ({arch})", (arch,)))
    if compute.karpenter is not None:
        for pool in compute.karpenter.node_pools:
            archs = tuple(pool.architectures)
            what = f"Karpenter node pool {pool.name} ({', '.join(archs)}"
            out.append((f"{what}, tainted)", ()) if pool.taints else (f"{what})", archs))
    if compute.auto_mode is not None:
        for auto_pool in compute.auto_mode.node_pools:
            if auto_pool == "general-purpose":
                out.append(("Auto Mode pool general-purpose (amd64, arm64)", ("amd64", "arm64")))
            else:  # the built-in system pool is tainted CriticalAddonsOnly
                out.append((f"Auto Mode pool {auto_pool} (tainted)", ()))
    if compute.fargate is not None:
        for profile in compute.fargate.profiles:
            if any(_selects_demo(s.namespace, s.labels) for s in profile.selectors):
                out.append((f"Fargate profile {profile.name} (amd64)", ("amd64",)))
            else:
                out.append(
                    (f"Fargate profile {profile.name} (does not select namespace "
                     f"{DEMO_NAMESPACE})", ())
                )
    return out


def check_demo_platforms(demo: DemoWorkloadConfig, compute: ComputeConfig) -> None:
    """The demo's image must match some capacity that would run its pods."""
    capacity = demo_capacity(compute)
    if any(set(archs) & set(demo.platforms) for _, archs in capacity):
        return
    found = "; ".join(what for what, _ in capacity) or "none (compute is empty)"
    raise FieldError(
        "workloads.demo.platforms",
        f"[{', '.join(demo.platforms)}]: no capacity in this "
        f"environment runs {' or '.join(demo.platforms)} pods that tolerate no taints, so "
        f"the demo would stay Pending; capacity: {found}. Add an untainted node group, "
        "Karpenter node pool or Fargate profile for the demo namespace that runs one of "
        "these platforms, or list the platforms the image is built for",
    )


class WorkloadsConfig(StrictModel):
    """Workloads the platform deploys itself."""

    demo: DemoWorkloadConfig = DemoWorkloadConfig()
    """The demo Node.js backend. Default: off."""
