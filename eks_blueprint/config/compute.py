"""The `compute:` section: managed node groups, Karpenter, Fargate profiles and EKS Auto Mode.

The defaults come from `eks_blueprint.compute.defaults` and the rules from
`eks_blueprint.validation`, which the compute constructs use too: a YAML file and a library
user get the same defaults and the same checks.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from .. import validation as v
from ..compute import defaults
from ..instance_types import (
    GPU_TAINT,
    WINDOWS_MIN_DISK_GIB,
    WINDOWS_TAINT,
    ami_mismatch,
    is_nvidia_ami,
    is_windows_ami,
    needs_nvidia_device_plugin,
)
from ..validation import (
    AMI_ALIAS,
    DURATION,
    INSTANCE_TYPE,
    NAME,
    QUANTITY,
    RESTRICTED_DOMAINS,
    instance_architecture,
)
from .autoscaling import ClusterAutoscalerConfig
from .base import FieldError, LabelKey, LabelValue, StrictModel, first_duplicate

#: AMI types the config accepts, as written in YAML, to the EKS AmiType they mean.
AMI_TYPES: dict[str, str] = {
    "al2023_x86_64": "AL2023_x86_64_STANDARD",
    "al2023_arm64": "AL2023_ARM_64_STANDARD",
    "bottlerocket_x86_64": "BOTTLEROCKET_x86_64",
    "bottlerocket_arm64": "BOTTLEROCKET_ARM_64",
    # NVIDIA GPU instances (g4dn, g5, g6, g6e, p4d, p5; arm64: g5g). AL2023 needs the NVIDIA
    # device plugin, which the cluster stack installs; Bottlerocket's variants include it.
    "al2023_x86_64_nvidia": "AL2023_x86_64_NVIDIA",
    "al2023_arm64_nvidia": "AL2023_ARM_64_NVIDIA",
    "bottlerocket_x86_64_nvidia": "BOTTLEROCKET_x86_64_NVIDIA",
    "bottlerocket_arm64_nvidia": "BOTTLEROCKET_ARM_64_NVIDIA",
    # Windows Server 2022 (x86_64 only). 2025 is in the CloudFormation schema but not in the
    # installed aws-cdk-lib's NodegroupAmiType; 2019 is left out as the older release.
    "windows_core_2022": "WINDOWS_CORE_2022_x86_64",
    "windows_full_2022": "WINDOWS_FULL_2022_x86_64",
}

CapacityType = Literal["spot", "on-demand"]
Architecture = Literal["amd64", "arm64"]
AutoModePool = Literal["general-purpose", "system"]


def _capacity_types() -> list[CapacityType]:
    return list(defaults.CAPACITY_TYPES)  # type: ignore[arg-type]


def _architectures() -> list[Architecture]:
    return list(defaults.ARCHITECTURES)  # type: ignore[arg-type]


def _built_in_pools() -> list[AutoModePool]:
    return ["general-purpose", "system"]


SEMVER = re.compile(r"\d+\.\d+\.\d+")

__all__ = [
    "AMI_ALIAS",
    "AMI_TYPES",
    "DURATION",
    "INSTANCE_TYPE",
    "NAME",
    "QUANTITY",
    "RESTRICTED_DOMAINS",
    "instance_architecture",
]


def _detail(check: object, *args: object) -> None:
    """Run a validation check, re-raised as a plain ValueError with only its fix: the
    loader reports the field's file path and the value given."""
    try:
        check(*args)  # type: ignore[operator]
    except v.Invalid as error:
        raise ValueError(error.fix) from None


def _check_name(value: str) -> str:
    _detail(v.check_name, value)
    return value


def _check_namespace(value: str) -> str:
    if not NAME.fullmatch(value):
        raise ValueError("not a Kubernetes namespace name (1-63 lower-case letters, digits, '-')")
    return value


def _check_quantity(value: str) -> str:
    _detail(v.check_quantity, value, "quantity")
    return value


def _check_memory(value: str) -> str:
    _detail(v.check_memory, value)
    return value


#: A node group, pool, class or profile name (also used in construct ids and labels).
ResourceName = Annotated[str, AfterValidator(_check_name)]
#: A Kubernetes namespace.
Namespace = Annotated[str, AfterValidator(_check_namespace)]
#: A Kubernetes resource quantity, e.g. 500m, 2, 1Gi.
Quantity = Annotated[str, AfterValidator(_check_quantity)]
#: A memory quantity, e.g. 400Gi.
MemoryQuantity = Annotated[str, AfterValidator(_check_memory)]


def check_instance_types(value: list[str]) -> list[str]:
    """`value` (a group's instance types), refused with the index of the first type that is
    no EC2 instance type or is listed again."""
    for index, instance_type in enumerate(value):
        if not (len(instance_type) <= 64 and INSTANCE_TYPE.fullmatch(instance_type)):
            raise FieldError([index], "not an EC2 instance type; write it like m7g.large")
    again = first_duplicate(value)
    if again is not None:
        raise FieldError([again], f"{value[again]} is listed more than once")
    return value


def ami_architecture(ami_type: str) -> Literal["arm64", "x86_64"]:
    """The architecture of a config AMI type (a key of AMI_TYPES)."""
    return "arm64" if "arm64" in ami_type else "x86_64"


def check_os_and_accelerators(compute: ComputeConfig, pod_subnets: bool) -> None:
    """Environment-wide rules of Windows and GPU capacity (EnvironmentConfig runs it).

    Windows nodes cannot run CoreDNS or the platform's Linux controllers: a cluster with a
    Windows group needs Linux capacity (EKS user guide, windows-support: "Amazon EKS clusters
    must contain one or more Linux or Fargate nodes to run core system Pods that only run on
    Linux, such as CoreDNS"); the Karpenter controller cannot run on one; Windows nodes
    support no custom networking (`pod_subnets`: network.pod_subnets is set, the same page);
    Karpenter's Windows AMI families are not offered (ami_alias refuses windows@).
    """
    windows = [i for i, g in enumerate(compute.node_groups) if is_windows_ami(g.ami_type)]
    if not windows:
        return
    first = windows[0]
    name = compute.node_groups[first].name
    linux = [g for g in compute.node_groups if not is_windows_ami(g.ami_type)]
    fargate_dns = compute.fargate is not None and compute.fargate.coredns
    if not linux and compute.karpenter is None and not fargate_dns:
        raise FieldError(
            ["compute", "node_groups", first, "ami_type"],
            f"node group {name} is Windows, and the cluster has no Linux capacity for "
            "CoreDNS and the platform's controllers (EKS runs them on Linux only); add a "
            "Linux node group, Karpenter, or fargate.coredns: true",
        )
    karpenter = compute.karpenter
    if karpenter is not None and karpenter.controller_on == "node_group":
        host = karpenter.controller_node_group
        if host in [compute.node_groups[i].name for i in windows]:
            raise FieldError(
                ["compute", "karpenter", "controller_node_group"],
                f"{host} is a Windows node group; the Karpenter controller runs on Linux: "
                "name a Linux node group, or use controller_on: fargate",
            )
    if pod_subnets:
        raise FieldError(
            ["compute", "node_groups", first, "ami_type"],
            f"node group {name} is Windows, and network.pod_subnets sets up custom "
            "networking, which EKS does not support on Windows nodes; remove one",
        )


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

    min: int = Field(default=defaults.MIN_SIZE, ge=0, le=1000)
    """Fewest nodes. Default: 2."""
    desired: int = Field(default=defaults.DESIRED_SIZE, ge=0, le=1000)
    """Nodes at creation. Later changes by an autoscaler are not reset by a deploy only
    if you leave this unchanged. Default: 2."""
    max: int = Field(default=defaults.MAX_SIZE, ge=1, le=1000)
    """Most nodes. Default: 4."""

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
    """al2023_x86_64, al2023_arm64, bottlerocket_x86_64 or bottlerocket_arm64; for NVIDIA
    GPU types (g4dn, g5, g6, g6e, p4d, p5; g5g on arm64) al2023_x86_64_nvidia,
    al2023_arm64_nvidia, bottlerocket_x86_64_nvidia or bottlerocket_arm64_nvidia; for
    Windows nodes windows_core_2022 or windows_full_2022. GPU groups get the taint
    nvidia.com/gpu=true:NoSchedule and Windows groups os=windows:NoSchedule unless `taints`
    has one with that key. Default: inferred from instance_types, as the library does:
    al2023_arm64 for Graviton types (m7g, c7gn, t4g), al2023_x86_64 otherwise (GPU types
    need an NVIDIA type given here). Changing it replaces the group."""
    capacity_type: Literal["on_demand", "spot"] = "on_demand"
    """on_demand (default) or spot (needs at least 2 instance types). Changing it replaces
    the group."""
    size: SizeConfig = SizeConfig()
    """min, desired and max node count. Default: 2, 2 and 4."""
    labels: Labels = Field(default_factory=dict)
    """Kubernetes labels on the nodes. Default: none."""
    taints: list[TaintConfig] = Field(default_factory=list)
    """Kubernetes taints on the nodes. Default: none."""
    disk_size_gib: int = Field(default=defaults.DISK_SIZE_GIB, ge=v.MIN_DISK_GIB, le=v.MAX_DISK_GIB)
    """Size of the encrypted gp3 root (AL2023, Windows: at least 50) or data (Bottlerocket)
    volume. Default: 50."""
    max_unavailable_percentage: int = Field(
        default=defaults.MAX_UNAVAILABLE_PERCENTAGE, ge=1, le=100
    )
    """Share of nodes replaced at once during an update. Default: 33 %."""
    node_auto_repair: bool = True
    """EKS replaces nodes that report unhealthy. Default: on."""
    imds_hop_limit: Literal[1, 2] = 1
    """IMDSv2 response hop limit. 1 (default) keeps pods from reaching the node's instance
    credentials; 2 needs imds_hop_limit_reason."""
    imds_hop_limit_reason: str | None = None
    """Why this group needs hop limit 2 (shown in review). Required with imds_hop_limit: 2."""

    @model_validator(mode="before")
    @classmethod
    def _infer_ami_type(cls, data: object) -> object:
        """Without ami_type, the AL2023 type of the instance types' architecture."""
        if isinstance(data, dict) and "ami_type" not in data:
            types = data.get("instance_types")
            if isinstance(types, list) and types and all(isinstance(t, str) for t in types):
                arch = instance_architecture(types[0])
                return {**data, "ami_type": "al2023_arm64" if arch == "arm64" else "al2023_x86_64"}
        return data

    @model_validator(mode="before")
    @classmethod
    def _default_taint(cls, data: object) -> object:
        """GPU and Windows groups are tainted for their workloads only (GPU_TAINT,
        WINDOWS_TAINT), unless `taints` has a taint with that key already."""
        if not isinstance(data, dict) or not isinstance(data.get("ami_type"), str):
            return data
        ami_type = data["ami_type"]
        default = (
            WINDOWS_TAINT
            if is_windows_ami(ami_type)
            else GPU_TAINT
            if is_nvidia_ami(ami_type)
            else None
        )
        taints = data.get("taints", [])
        if default is None or not isinstance(taints, list):
            return data
        keys = [t.get("key") if isinstance(t, dict) else getattr(t, "key", None) for t in taints]
        if default[0] in keys:
            return data
        key, value, effect = default
        return {**data, "taints": [*taints, {"key": key, "value": value, "effect": effect}]}

    @field_validator("instance_types")
    @classmethod
    def _valid_instance_types(cls, value: list[str]) -> list[str]:
        return check_instance_types(value)

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

    @property
    def windows(self) -> bool:
        """The group runs Windows nodes."""
        return is_windows_ami(self.ami_type)

    @property
    def needs_nvidia_device_plugin(self) -> bool:
        """The group's AMI has NVIDIA drivers but no device plugin (AL2023 NVIDIA)."""
        return needs_nvidia_device_plugin(AMI_TYPES[self.ami_type])

    @model_validator(mode="after")
    def _consistent(self) -> NodeGroupConfig:
        try:
            v.check_spot_instance_types(self.instance_types, self.capacity_type == "spot")
        except v.Invalid as error:
            raise FieldError("instance_types", error.fix) from None
        mismatch = ami_mismatch(self.instance_types, AMI_TYPES[self.ami_type])
        if mismatch is not None:
            raise FieldError(
                ["instance_types", self.instance_types.index(mismatch.types[0])],
                f"{', '.join(mismatch.types)}: {mismatch.fix}",
            )
        if self.windows and self.disk_size_gib < WINDOWS_MIN_DISK_GIB:
            raise FieldError(
                "disk_size_gib",
                f"Windows nodes need a root volume of at least {WINDOWS_MIN_DISK_GIB} GiB "
                "(EKS's own default for Windows); raise it",
            )
        try:
            v.check_ami_architecture(self.instance_types, AMI_TYPES[self.ami_type])
        except v.Invalid as error:
            wrong = error.value[0]
            raise FieldError(
                ["instance_types", self.instance_types.index(wrong)], error.fix
            ) from None
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

    cpu: int = Field(default=defaults.CPU_LIMIT, ge=1, le=100000)
    """Total vCPUs of the pool's nodes. Default: 100."""
    memory: MemoryQuantity = defaults.MEMORY_LIMIT
    """Total memory of the pool's nodes, a Kubernetes quantity, e.g. 400Gi. Default: 400Gi."""


class DisruptionBudgetConfig(StrictModel):
    """How many of a pool's nodes Karpenter may disrupt at once, optionally on a schedule."""

    nodes: str = "10%"
    """A node count ("2") or a share ("10%"). Default: 10%."""
    schedule: str | None = None
    """Cron schedule (UTC) when the budget applies; needs duration. Default: always."""
    duration: str | None = None
    """How long the budget applies after each schedule start, e.g. 8h. Default: always."""
    reasons: list[Literal["Underutilized", "Empty", "Drifted"]] | None = None
    """Disruption reasons the budget limits. Default: all."""

    @model_validator(mode="after")
    def _valid(self) -> DisruptionBudgetConfig:
        try:
            v.check_budget(self.nodes, self.schedule, self.duration, self.reasons, "budget")
        except v.Invalid as error:
            raise FieldError(error.what.removeprefix("budget."), error.fix) from None
        return self


class DisruptionConfig(StrictModel):
    """When Karpenter may remove or replace the pool's nodes."""

    consolidation_policy: Literal["WhenEmpty", "WhenEmptyOrUnderutilized"] = (
        defaults.CONSOLIDATION_POLICY  # type: ignore[assignment]
    )
    """Remove only empty nodes, or also repack under-used ones.
    Default: WhenEmptyOrUnderutilized."""
    consolidate_after: str = defaults.CONSOLIDATE_AFTER
    """How long a node must be consolidatable before Karpenter acts. Default: 1m."""
    expire_after: str = defaults.EXPIRE_AFTER
    """Nodes older than this are replaced, so they pick up new AMIs. Default: 720h (30 days);
    `Never` turns it off."""
    budgets: list[DisruptionBudgetConfig] = Field(default_factory=list)
    """Disruption budgets. Default: none, so Karpenter's own (10% of the nodes)."""

    @field_validator("consolidate_after", "expire_after")
    @classmethod
    def _duration(cls, value: str) -> str:
        _detail(v.check_duration, value, "duration")
        return value


class NodePoolConfig(StrictModel):
    """A Karpenter NodePool (karpenter.sh/v1): which nodes Karpenter may launch."""

    name: ResourceName = defaults.NODE_POOL
    """NodePool name. Default: default."""
    node_class: ResourceName = defaults.NODE_CLASS
    """Name of the EC2NodeClass (in node_classes) the nodes use. Default: default."""
    capacity_types: list[CapacityType] = Field(default_factory=_capacity_types, min_length=1)
    """karpenter.sh/capacity-type values. Default: [on-demand]."""
    architectures: list[Architecture] = Field(default_factory=_architectures, min_length=1)
    """kubernetes.io/arch values. Default: both."""
    instance_categories: list[str] = Field(
        default_factory=lambda: list(defaults.INSTANCE_CATEGORIES), min_length=1
    )
    """karpenter.k8s.aws/instance-category values. Default: [c, m, r]."""
    min_instance_generation: int = Field(default=defaults.MIN_INSTANCE_GENERATION, ge=1, le=20)
    """Only instance generations newer than this minus one (Gt min-1). Default: 5."""
    min_vcpus: int | None = Field(default=None, ge=1, le=v.MAX_INSTANCE_VCPUS)
    """Smallest instance size in vCPUs (karpenter.k8s.aws/instance-cpu Gt min-1): fewer,
    larger nodes need fewer subnet addresses at the pool's CPU limit (`plan ips` sizes the
    worst case with the smallest allowed type). Default: no minimum."""
    zones: list[str] = Field(default_factory=list)
    """topology.kubernetes.io/zone values, a subset of availability_zones. Default: all."""
    limits: LimitsConfig = LimitsConfig()
    """Total cpu and memory the pool may provision (a pool without limits could spend
    without bound). Default: 100 vCPUs and 400Gi."""
    disruption: DisruptionConfig = DisruptionConfig()
    """Consolidation and expiry. Default: WhenEmptyOrUnderutilized after 1m, expire 720h."""
    labels: Labels = Field(default_factory=dict)
    """Labels on the nodes. Default: none."""
    taints: list[TaintConfig] = Field(default_factory=list)
    """Taints on the nodes. Default: none."""
    weight: int | None = Field(default=None, ge=1, le=v.MAX_WEIGHT)
    """Priority among pools that fit (higher first). Default: none."""
    accelerator: Literal["nvidia"] | None = None
    """nvidia: a GPU pool. Its nodes are NVIDIA GPU instances only
    (karpenter.k8s.aws/instance-gpu-manufacturer In nvidia), tainted
    nvidia.com/gpu=true:NoSchedule unless `taints` has that key; instance_categories default
    to [g, p]. The node class's al2023 or bottlerocket alias picks the NVIDIA AMI variant for
    GPU instances itself; on al2023 the cluster stack installs the NVIDIA device plugin.
    g4dn and p4d are generation 4: set min_instance_generation: 4 for them. Default: none
    (a general pool)."""

    @model_validator(mode="before")
    @classmethod
    def _gpu_defaults(cls, data: object) -> object:
        """A GPU pool's categories default to g and p, and it carries GPU_TAINT."""
        if not isinstance(data, dict) or data.get("accelerator") != "nvidia":
            return data
        out = dict(data)
        out.setdefault("instance_categories", ["g", "p"])
        taints = out.get("taints", [])
        if isinstance(taints, list):
            keys = [
                t.get("key") if isinstance(t, dict) else getattr(t, "key", None) for t in taints
            ]
            if GPU_TAINT[0] not in keys:
                key, value, effect = GPU_TAINT
                out["taints"] = [*taints, {"key": key, "value": value, "effect": effect}]
        return out

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
        try:
            v.check_node_labels(self.labels)
        except v.Invalid as error:
            raise FieldError(["labels", error.value], error.fix) from None
        if self.accelerator == "nvidia" and not {"g", "p"} & set(self.instance_categories):
            raise FieldError(
                "instance_categories",
                "an nvidia pool launches NVIDIA GPU instances, which are in categories g and "
                "p only; include g or p (or leave instance_categories out for [g, p])",
            )
        return self


class NodeClassConfig(StrictModel):
    """A Karpenter EC2NodeClass (karpenter.k8s.aws/v1): how Karpenter's nodes are built."""

    name: ResourceName = defaults.NODE_CLASS
    """EC2NodeClass name. Default: default."""
    ami_alias: str = defaults.AMI_ALIAS
    """AMI family and version, e.g. al2023@v20251112 or bottlerocket@v1.26.0. `@latest`
    follows new AMIs without a deploy and is refused in the prod environment. Default: a
    pinned AL2023 release (al2023@v20251112)."""
    volume_size_gib: int = Field(
        default=defaults.DISK_SIZE_GIB, ge=v.MIN_DISK_GIB, le=v.MAX_DISK_GIB
    )
    """Size of the encrypted gp3 root (AL2023) or data (Bottlerocket) volume. Default: 50."""

    @field_validator("ami_alias")
    @classmethod
    def _valid_alias(cls, value: str) -> str:
        _detail(v.check_ami_alias, value)
        return value


class ControllerResourcesConfig(StrictModel):
    """Requests (= limits) of each Karpenter controller pod."""

    cpu: Quantity = defaults.KARPENTER_CPU
    """CPU request and limit. Default: 1."""
    memory: Quantity = defaults.KARPENTER_MEMORY
    """Memory request and limit. Default: 1Gi."""


class KarpenterConfig(StrictModel):
    """Self-managed Karpenter (v1): controller, interruption queue, NodePools, EC2NodeClasses."""

    version: str = defaults.KARPENTER_VERSION
    """Helm chart version of oci://public.ecr.aws/karpenter/karpenter, quoted, e.g. "1.8.1".
    Default: 1.8.1."""
    namespace: Namespace = defaults.KARPENTER_NAMESPACE
    """Namespace of the controller. Default: kube-system."""
    controller_on: Literal["node_group", "fargate"]
    """Where the controller runs: on the managed node group `controller_node_group`, or on a
    Fargate profile (needs fargate.karpenter_controller: true)."""
    controller_node_group: str | None = None
    """The node group for controller_on: node_group."""
    controller_resources: ControllerResourcesConfig = ControllerResourcesConfig()
    """Controller pod requests/limits. Default: 1 CPU, 1Gi."""
    node_classes: list[NodeClassConfig] = Field(
        default_factory=lambda: [NodeClassConfig()], min_length=1
    )
    """EC2NodeClasses. Default: one class `default`."""
    node_pools: list[NodePoolConfig] = Field(
        default_factory=lambda: [NodePoolConfig()], min_length=1
    )
    """NodePools. Default: one pool `default` on the class `default`."""

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
        classes = [c.name for c in self.node_classes]
        for index, pool in enumerate(self.node_pools):
            try:
                v.check_node_class_ref(pool.node_class, classes)
            except v.Invalid as error:
                raise FieldError(["node_pools", index, "node_class"], error.fix) from None
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


# Imported here, not at the top: config.self_managed builds on SizeConfig, TaintConfig and
# the other models above.
from .self_managed import SelfManagedNodeGroupConfig  # noqa: E402


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
    self_managed_node_groups: list[SelfManagedNodeGroupConfig] = Field(
        default_factory=list, max_length=10
    )
    """Self-managed node groups (EC2 Auto Scaling groups) for custom or hardened AMIs, at
    most 10; names unique across node_groups too. Default: none."""
    cluster_autoscaler: ClusterAutoscalerConfig | None = None
    """The Kubernetes Cluster Autoscaler for the managed node groups. Default: off. Not with
    karpenter or auto_mode (one node autoscaler per cluster)."""

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
