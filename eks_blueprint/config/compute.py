"""The `compute:` section: managed node groups, Karpenter, Fargate profiles and EKS Auto Mode."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from .base import FieldError, LabelKey, LabelValue, StrictModel, first_duplicate

#: AMI types the config accepts, as written in YAML, to the EKS AmiType they mean.
AMI_TYPES: dict[str, str] = {
    "al2023_x86_64": "AL2023_x86_64_STANDARD",
    "al2023_arm64": "AL2023_ARM_64_STANDARD",
    "bottlerocket_x86_64": "BOTTLEROCKET_x86_64",
    "bottlerocket_arm64": "BOTTLEROCKET_ARM_64",
}

CapacityType = Literal["spot", "on-demand"]
Architecture = Literal["amd64", "arm64"]
AutoModePool = Literal["general-purpose", "system"]


def _on_demand() -> list[CapacityType]:
    return ["on-demand"]


def _both_architectures() -> list[Architecture]:
    return ["amd64", "arm64"]


def _built_in_pools() -> list[AutoModePool]:
    return ["general-purpose", "system"]


NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9]+")
#: Karpenter/Kubernetes durations as Karpenter v1 accepts them, e.g. 30s, 1m, 720h, 1h30m.
DURATION = re.compile(r"(\d+h)?(\d+m)?(\d+s)?")
QUANTITY = re.compile(r"\d+(\.\d+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?")
#: al2023@latest | al2023@v20251112 | bottlerocket@latest | bottlerocket@v1.26.0
AMI_ALIAS = re.compile(r"(al2023@(latest|v\d{8})|bottlerocket@(latest|v\d+\.\d+\.\d+))")
SEMVER = re.compile(r"\d+\.\d+\.\d+")


def instance_architecture(instance_type: str) -> Literal["arm64", "x86_64"]:
    """The CPU architecture of an EC2 instance type, from its family name.

    Graviton (arm64) families carry a "g" among the attribute letters after the generation
    digit: m7g, c6gn, r8g, t4g, x2gd, im4gn, g5g. A "g" before the digit is a GPU family
    (g5, g4ad: x86_64). a1 is the first-generation Graviton and has no "g".
    """
    family = instance_type.split(".", 1)[0]
    if family == "a1":
        return "arm64"
    match = re.search(r"\d+([a-z-]*)", family)
    attributes = match.group(1) if match else ""
    return "arm64" if "g" in attributes else "x86_64"


def _check_name(value: str) -> str:
    if not NAME.fullmatch(value):
        raise ValueError("names are 1-63 lower-case letters, digits or '-', e.g. system")
    return value


def _check_namespace(value: str) -> str:
    if not NAME.fullmatch(value):
        raise ValueError("not a Kubernetes namespace name (1-63 lower-case letters, digits, '-')")
    return value


def _check_quantity(value: str) -> str:
    if not (len(value) <= 64 and QUANTITY.fullmatch(value)):
        raise ValueError("not a Kubernetes quantity; write it like 1, 500m or 1Gi")
    return value


#: A node group, pool, class or profile name (also used in construct ids and labels).
ResourceName = Annotated[str, AfterValidator(_check_name)]
#: A Kubernetes namespace.
Namespace = Annotated[str, AfterValidator(_check_namespace)]
#: A Kubernetes resource quantity, e.g. 500m, 2, 1Gi.
Quantity = Annotated[str, AfterValidator(_check_quantity)]


def ami_architecture(ami_type: str) -> Literal["arm64", "x86_64"]:
    """The architecture of a config AMI type (a key of AMI_TYPES)."""
    return "arm64" if ami_type.endswith("arm64") else "x86_64"


#: Label domains the NodePool CRD refuses in `labels` (Karpenter v1 validation rules).
RESTRICTED_DOMAINS = ("kubernetes.io", "k8s.io", "karpenter.sh", "karpenter.k8s.aws")


def _label_domain(key: str) -> str:
    return key.split("/", 1)[0] if "/" in key else ""


#: Kubernetes labels, keys and values checked as the API server does.
Labels = dict[LabelKey, LabelValue]


class TaintConfig(StrictModel):
    """A Kubernetes taint on nodes: only pods that tolerate it are scheduled there."""

    key: LabelKey
    """Taint key, e.g. CriticalAddonsOnly or example.com/dedicated (a label key)."""
    value: LabelValue | None = None
    """Taint value, a label value (at most 63 characters). Default: none."""
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
    """What the taint does to pods that do not tolerate it."""


class SizeConfig(StrictModel):
    """Node counts of a managed node group."""

    min: int = Field(ge=0, le=1000)
    """Fewest nodes."""
    desired: int = Field(ge=0, le=1000)
    """Nodes at creation. Later changes by an autoscaler are not reset by a deploy only
    if you leave this unchanged."""
    max: int = Field(ge=1, le=1000)
    """Most nodes."""

    @model_validator(mode="after")
    def _ordered(self) -> SizeConfig:
        if not self.min <= self.desired <= self.max:
            raise FieldError(
                "desired" if self.min <= self.max else "min",
                f"desired ({self.desired}) must lie between min ({self.min}) and max ({self.max})",
            )
        return self


class NodeGroupConfig(StrictModel):
    """One EKS managed node group, in the private subnets of all three AZs."""

    name: ResourceName
    """Group name, lower-case letters, digits and '-'; it is the construct id, so renaming
    a group replaces it."""
    instance_types: list[str] = Field(min_length=1, max_length=20)
    """EC2 instance types, all of one architecture, e.g. [m7g.large]. Changing them
    replaces the group."""
    ami_type: str = "al2023_x86_64"
    """al2023_x86_64 (default), al2023_arm64, bottlerocket_x86_64 or bottlerocket_arm64.
    Changing it replaces the group."""
    capacity_type: Literal["on_demand", "spot"] = "on_demand"
    """on_demand (default) or spot (needs at least 2 instance types). Changing it replaces
    the group."""
    size: SizeConfig
    """min, desired and max node count."""
    labels: Labels = Field(default_factory=dict)
    """Kubernetes labels on the nodes. Default: none."""
    taints: list[TaintConfig] = Field(default_factory=list)
    """Kubernetes taints on the nodes. Default: none."""
    disk_size_gib: int = Field(default=50, ge=20, le=16384)
    """Size of the encrypted gp3 root (AL2023) or data (Bottlerocket) volume. Default: 50."""
    max_unavailable_percentage: int = Field(default=33, ge=1, le=100)
    """Share of nodes replaced at once during an update. Default: 33 %."""
    node_auto_repair: bool = True
    """EKS replaces nodes that report unhealthy. Default: on."""
    imds_hop_limit: Literal[1, 2] = 1
    """IMDSv2 response hop limit. 1 (default) keeps pods from reaching the node's instance
    credentials; 2 needs imds_hop_limit_reason."""
    imds_hop_limit_reason: str | None = None
    """Why this group needs hop limit 2 (shown in review). Required with imds_hop_limit: 2."""

    @field_validator("instance_types")
    @classmethod
    def _valid_instance_types(cls, value: list[str]) -> list[str]:
        for index, instance_type in enumerate(value):
            if not (len(instance_type) <= 64 and INSTANCE_TYPE.fullmatch(instance_type)):
                raise FieldError([index], "not an EC2 instance type; write it like m7g.large")
        again = first_duplicate(value)
        if again is not None:
            raise FieldError([again], f"{value[again]} is listed more than once")
        return value

    @field_validator("ami_type")
    @classmethod
    def _supported_ami(cls, value: str) -> str:
        if value.startswith("al2_") or value in ("al2", "al2_arm64", "al2_x86_64_gpu"):
            raise ValueError(
                "Amazon Linux 2 is deprecated: EKS publishes no AL2 AMIs for Kubernetes 1.33 "
                "and later; use al2023_x86_64 / al2023_arm64 or bottlerocket_x86_64 / "
                "bottlerocket_arm64"
            )
        if value not in AMI_TYPES:
            raise ValueError(f"unknown AMI type; use one of {', '.join(AMI_TYPES)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> NodeGroupConfig:
        if self.capacity_type == "spot" and len(self.instance_types) < 2:
            raise FieldError(
                "instance_types",
                "capacity_type spot needs at least 2 instance_types, so that one Spot pool "
                "running dry does not leave the group without capacity",
            )
        arch = ami_architecture(self.ami_type)
        wrong = [t for t in self.instance_types if instance_architecture(t) != arch]
        if wrong:
            raise FieldError(
                ["instance_types", self.instance_types.index(wrong[0])],
                f"ami_type {self.ami_type} is {arch} but {', '.join(wrong)} are not; "
                "Graviton types (m7g, c7gn, t4g, ...) need an arm64 AMI, others an x86_64 AMI",
            )
        if self.imds_hop_limit == 2 and not (self.imds_hop_limit_reason or "").strip():
            raise FieldError(
                "imds_hop_limit_reason",
                "imds_hop_limit 2 lets pods reach the node role's credentials; give "
                "imds_hop_limit_reason, or keep the default 1",
            )
        if self.imds_hop_limit == 1 and self.imds_hop_limit_reason is not None:
            raise FieldError("imds_hop_limit_reason", "is set but imds_hop_limit is 1; remove it")
        return self


class LimitsConfig(StrictModel):
    """The most a NodePool may provision in total: a cost ceiling."""

    cpu: int = Field(ge=1, le=100000)
    """Total vCPUs of the pool's nodes."""
    memory: Quantity
    """Total memory of the pool's nodes, a Kubernetes quantity, e.g. 400Gi."""


class DisruptionConfig(StrictModel):
    """When Karpenter may remove or replace the pool's nodes."""

    consolidation_policy: Literal["WhenEmpty", "WhenEmptyOrUnderutilized"] = (
        "WhenEmptyOrUnderutilized"
    )
    """Remove only empty nodes, or also repack under-used ones.
    Default: WhenEmptyOrUnderutilized."""
    consolidate_after: str = "1m"
    """How long a node must be consolidatable before Karpenter acts. Default: 1m."""
    expire_after: str = "720h"
    """Nodes older than this are replaced, so they pick up new AMIs. Default: 720h (30 days);
    `Never` turns it off."""

    @field_validator("consolidate_after", "expire_after")
    @classmethod
    def _duration(cls, value: str) -> str:
        if value != "Never" and (not value or not DURATION.fullmatch(value)):
            raise ValueError("not a duration; write it like 30s, 5m, 720h or Never")
        return value


class NodePoolConfig(StrictModel):
    """A Karpenter NodePool (karpenter.sh/v1): which nodes Karpenter may launch."""

    name: ResourceName
    """NodePool name."""
    node_class: ResourceName = "default"
    """Name of the EC2NodeClass (in node_classes) the nodes use. Default: default."""
    capacity_types: list[CapacityType] = Field(default_factory=_on_demand, min_length=1)
    """karpenter.sh/capacity-type values. Default: [on-demand]."""
    architectures: list[Architecture] = Field(default_factory=_both_architectures, min_length=1)
    """kubernetes.io/arch values. Default: both."""
    instance_categories: list[str] = Field(default_factory=lambda: ["c", "m", "r"], min_length=1)
    """karpenter.k8s.aws/instance-category values. Default: [c, m, r]."""
    min_instance_generation: int = Field(default=5, ge=1, le=20)
    """Only instance generations newer than this minus one (Gt min-1). Default: 5."""
    zones: list[str] = Field(default_factory=list)
    """topology.kubernetes.io/zone values, a subset of availability_zones. Default: all."""
    limits: LimitsConfig
    """Total cpu and memory the pool may provision. Required: a pool without limits can
    spend without bound."""
    disruption: DisruptionConfig = DisruptionConfig()
    """Consolidation and expiry. Default: WhenEmptyOrUnderutilized after 1m, expire 720h."""
    labels: Labels = Field(default_factory=dict)
    """Labels on the nodes. Default: none."""
    taints: list[TaintConfig] = Field(default_factory=list)
    """Taints on the nodes. Default: none."""
    weight: int | None = Field(default=None, ge=1, le=100)
    """Priority among pools that fit (higher first). Default: none."""

    @field_validator("instance_categories")
    @classmethod
    def _valid_categories(cls, value: list[str]) -> list[str]:
        for index, category in enumerate(value):
            if not re.fullmatch(r"[a-z]{1,3}", category):
                raise FieldError([index], "not an instance category; use letters like c, m, r")
        return value

    @model_validator(mode="after")
    def _no_duplicates(self) -> NodePoolConfig:
        for field in ("capacity_types", "architectures", "instance_categories", "zones"):
            values = list(getattr(self, field))
            again = first_duplicate(values)
            if again is not None:
                raise FieldError([field, again], f"{values[again]} is listed more than once")
        restricted = [k for k in self.labels if _label_domain(k).endswith(RESTRICTED_DOMAINS)]
        if restricted:
            raise FieldError(
                ["labels", restricted[0]],
                f"the label key uses a domain Karpenter reserves "
                f"({', '.join(RESTRICTED_DOMAINS)}); the NodePool would be refused when "
                "applied: use your own prefix, e.g. example.com/team",
            )
        return self


class NodeClassConfig(StrictModel):
    """A Karpenter EC2NodeClass (karpenter.k8s.aws/v1): how Karpenter's nodes are built."""

    name: ResourceName = "default"
    """EC2NodeClass name. Default: default."""
    ami_alias: str
    """AMI family and version, e.g. al2023@v20251112 or bottlerocket@v1.26.0. `@latest`
    follows new AMIs without a deploy and is refused in the prod environment."""
    volume_size_gib: int = Field(default=50, ge=20, le=16384)
    """Size of the encrypted gp3 root (AL2023) or data (Bottlerocket) volume. Default: 50."""

    @field_validator("ami_alias")
    @classmethod
    def _valid_alias(cls, value: str) -> str:
        if not AMI_ALIAS.fullmatch(value):
            raise ValueError(
                "expected al2023@v<YYYYMMDD>, bottlerocket@v<x.y.z> or <family>@latest, "
                "e.g. al2023@v20251112"
            )
        return value


class ControllerResourcesConfig(StrictModel):
    """Requests (= limits) of each Karpenter controller pod."""

    cpu: Quantity = "1"
    """CPU request and limit. Default: 1."""
    memory: Quantity = "1Gi"
    """Memory request and limit. Default: 1Gi."""


class KarpenterConfig(StrictModel):
    """Self-managed Karpenter (v1): controller, interruption queue, NodePools, EC2NodeClasses."""

    version: str
    """Helm chart version of oci://public.ecr.aws/karpenter/karpenter, quoted, e.g. "1.8.1"."""
    namespace: Namespace = "kube-system"
    """Namespace of the controller. Default: kube-system."""
    controller_on: Literal["node_group", "fargate"]
    """Where the controller runs: on the managed node group `controller_node_group`, or on a
    Fargate profile (needs fargate.karpenter_controller: true)."""
    controller_node_group: str | None = None
    """The node group for controller_on: node_group."""
    controller_resources: ControllerResourcesConfig = ControllerResourcesConfig()
    """Controller pod requests/limits. Default: 1 CPU, 1Gi."""
    node_classes: list[NodeClassConfig] = Field(min_length=1)
    """EC2NodeClasses."""
    node_pools: list[NodePoolConfig] = Field(min_length=1)
    """NodePools."""

    @field_validator("version")
    @classmethod
    def _v1(cls, value: str) -> str:
        if not (len(value) <= 32 and SEMVER.fullmatch(value)):
            raise ValueError('expected a chart version like "1.8.1", quoted')
        if int(value.split(".")[0]) < 1:
            raise ValueError("Karpenter before 1.0 uses v1beta1 APIs; use 1.x, e.g. 1.8.1")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> KarpenterConfig:
        if self.controller_on == "node_group" and self.controller_node_group is None:
            raise FieldError(
                "controller_node_group",
                "controller_on node_group needs controller_node_group: the name of a group "
                "in compute.node_groups",
            )
        if self.controller_on == "fargate" and self.controller_node_group is not None:
            raise FieldError(
                "controller_node_group",
                "controller_node_group is set but controller_on is fargate; remove one",
            )
        for field, names in (
            ("node_classes", [c.name for c in self.node_classes]),
            ("node_pools", [p.name for p in self.node_pools]),
        ):
            again = first_duplicate(names)
            if again is not None:
                raise FieldError([field, again, "name"], f"{names[again]} is used more than once")
        classes = {c.name for c in self.node_classes}
        for index, pool in enumerate(self.node_pools):
            if pool.node_class not in classes:
                raise FieldError(
                    ["node_pools", index, "node_class"],
                    f"{pool.node_class!r} is not in node_classes ({', '.join(sorted(classes))})",
                )
        return self


class FargateSelectorConfig(StrictModel):
    """Pods a Fargate profile runs: those in `namespace` with all of `labels`."""

    namespace: Namespace
    """Namespace of the pods."""
    labels: Labels = Field(default_factory=dict, max_length=5)
    """Labels the pods must all carry. Default: none (the whole namespace)."""


class FargateProfileConfig(StrictModel):
    """A Fargate profile, in the private subnets."""

    name: ResourceName
    """Profile name. Changing anything in a profile replaces it (EKS cannot update one)."""
    selectors: list[FargateSelectorConfig] = Field(min_length=1, max_length=5)
    """Up to 5 namespace (+ labels) selectors."""


class FargateConfig(StrictModel):
    """Fargate profiles, and whether CoreDNS and/or the Karpenter controller run on Fargate."""

    profiles: list[FargateProfileConfig] = Field(default_factory=list)
    """Profiles for workloads. Default: none."""
    coredns: bool = False
    """Add a profile for CoreDNS (kube-system, k8s-app=kube-dns). Default: off."""
    karpenter_controller: bool = False
    """Add a profile for the Karpenter controller (needs karpenter.controller_on: fargate)."""

    @model_validator(mode="after")
    def _unique(self) -> FargateConfig:
        names = [p.name for p in self.profiles]
        again = first_duplicate(names)
        if again is not None:
            raise FieldError(["profiles", again, "name"], f"{names[again]} is used more than once")
        for index, name in enumerate(names):
            if name in ("coredns", "karpenter"):
                raise FieldError(
                    ["profiles", index, "name"],
                    f"{name} is reserved for the built-in profiles (fargate.coredns / "
                    "fargate.karpenter_controller)",
                )
        return self


class AutoModeConfig(StrictModel):
    """EKS Auto Mode: EKS runs the nodes (its own managed Karpenter) and core add-ons."""

    node_pools: list[AutoModePool] = Field(default_factory=_built_in_pools, min_length=1)
    """Built-in node pools to enable. Default: both."""

    @field_validator("node_pools")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        again = first_duplicate(value)
        if again is not None:
            raise FieldError([again], f"{value[again]} is listed more than once")
        return value


class ComputeConfig(StrictModel):
    """Where pods run. Every part is optional; combine node groups with Karpenter or Fargate,
    or use Auto Mode."""

    node_groups: list[NodeGroupConfig] = Field(default_factory=list)
    """Managed node groups. Default: none."""
    karpenter: KarpenterConfig | None = None
    """Self-managed Karpenter. Default: off."""
    fargate: FargateConfig | None = None
    """Fargate profiles. Default: none."""
    auto_mode: AutoModeConfig | None = None
    """EKS Auto Mode. Default: off. Cannot be combined with karpenter."""

    @model_validator(mode="after")
    def _consistent(self) -> ComputeConfig:
        names = [g.name for g in self.node_groups]
        again = first_duplicate(names)
        if again is not None:
            raise FieldError(
                ["node_groups", again, "name"], f"{names[again]} is used more than once"
            )
        karpenter, fargate = self.karpenter, self.fargate
        if karpenter is not None and self.auto_mode is not None:
            raise FieldError(
                "auto_mode",
                "auto_mode and karpenter are both set: Auto Mode runs its own Karpenter, and "
                "two autoscalers would fight over the same pending pods; remove one",
            )
        on_fargate = fargate is not None and fargate.karpenter_controller
        if karpenter is not None and karpenter.controller_on == "node_group":
            names = [g.name for g in self.node_groups]
            if karpenter.controller_node_group not in names:
                raise FieldError(
                    "karpenter.controller_node_group",
                    f"{karpenter.controller_node_group!r} is not in node_groups "
                    f"({', '.join(names) or 'none'}); Karpenter cannot run on the nodes it "
                    "launches itself",
                )
        if karpenter is not None and karpenter.controller_on == "fargate" and not on_fargate:
            raise FieldError(
                "fargate.karpenter_controller",
                "karpenter.controller_on is fargate but fargate.karpenter_controller is not "
                "true; set it, so a Fargate profile exists for the controller",
            )
        if on_fargate and (karpenter is None or karpenter.controller_on != "fargate"):
            raise FieldError(
                "fargate.karpenter_controller",
                "fargate.karpenter_controller is true but karpenter.controller_on is not "
                "fargate; set karpenter.controller_on: fargate or remove it",
            )
        return self
