"""Karpenter's specs, nested as the karpenter.sh/v1 NodePool and karpenter.k8s.aws/v1
EC2NodeClass CRDs (and the YAML `compute.karpenter` section) are.

Every field has a default, the same as the configuration's (`eks_blueprint.compute.defaults`),
so `NodePoolSpec()` and `NodeClassSpec()` are a working pair: on-demand c/m/r instances of
generation 5 or newer, either architecture, at most 100 vCPUs and 400 GiB, consolidated when
empty or under-used, replaced after 30 days.

cdk-free: plain data, checked by the Karpenter construct (eks_blueprint.validation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ...instance_types import GPU_TAINT
from .. import defaults
from ..taints import Taint

ConsolidationPolicy = Literal["WhenEmpty", "WhenEmptyOrUnderutilized"]
#: Accelerators a NodePool can be dedicated to.
PoolAccelerator = Literal["nvidia"]
#: The instance categories of NVIDIA GPU instances (g: graphics and inference, p: training).
GPU_INSTANCE_CATEGORIES: tuple[str, ...] = ("g", "p")


@dataclass(frozen=True, kw_only=True)
class NodeClassSpec:
    """An EC2NodeClass (karpenter.k8s.aws/v1): how Karpenter builds its nodes."""

    name: str = defaults.NODE_CLASS
    """EC2NodeClass name. Default: default."""
    ami_alias: str = defaults.AMI_ALIAS
    """AMI family and version, e.g. al2023@v20251112 or bottlerocket@v1.50.0; `@latest`
    follows new AMIs without a deploy. Default: a pinned AL2023 release."""
    volume_size_gib: int = defaults.DISK_SIZE_GIB
    """Encrypted gp3 root (AL2023) or data (Bottlerocket) volume, 20-16384 GiB. Default: 50."""


@dataclass(frozen=True, kw_only=True)
class NodePoolRequirements:
    """Which instances a NodePool may launch (its `template.spec.requirements`)."""

    capacity_types: Sequence[str] = defaults.CAPACITY_TYPES
    """karpenter.sh/capacity-type values: on-demand, spot. Default: on-demand."""
    architectures: Sequence[str] = defaults.ARCHITECTURES
    """kubernetes.io/arch values: amd64, arm64. Default: both."""
    instance_categories: Sequence[str] = defaults.INSTANCE_CATEGORIES
    """karpenter.k8s.aws/instance-category values. Default: c, m, r."""
    min_instance_generation: int = defaults.MIN_INSTANCE_GENERATION
    """Oldest instance generation (the requirement is Gt this minus one). Default: 5."""
    min_vcpus: int | None = None
    """Smallest instance size in vCPUs (karpenter.k8s.aws/instance-cpu Gt this minus one).
    Fewer, larger nodes need fewer subnet addresses at the pool's CPU limit: `plan ips`
    sizes the worst case with the smallest allowed type. Default: no minimum beyond the
    sizes prefix delegation excludes."""
    zones: Sequence[str] = ()
    """topology.kubernetes.io/zone values, zones of the stack's region. Default: every zone
    of the discovered subnets."""


@dataclass(frozen=True, kw_only=True)
class NodePoolLimits:
    """The most a NodePool may provision in total: a cost ceiling."""

    cpu: int = defaults.CPU_LIMIT
    """Total vCPUs of the pool's nodes. Default: 100."""
    memory: str = defaults.MEMORY_LIMIT
    """Total memory of the pool's nodes, a Kubernetes quantity. Default: 400Gi."""


@dataclass(frozen=True, kw_only=True)
class DisruptionBudget:
    """How many of a pool's nodes Karpenter may disrupt at once (`spec.disruption.budgets`),
    optionally only during a schedule."""

    nodes: str = "10%"
    """A node count ("2") or a share ("10%"). Default: 10%, Karpenter's own default."""
    schedule: str | None = None
    """Cron schedule (UTC) when the budget applies, with `duration`. Default: always."""
    duration: str | None = None
    """How long the budget applies after each schedule start, e.g. 8h. Default: always."""
    reasons: Sequence[Literal["Underutilized", "Empty", "Drifted"]] | None = None
    """Disruption reasons the budget limits. Default: all."""

    def to_manifest(self) -> dict[str, Any]:
        """The budget as the NodePool CRD spells it."""
        budget: dict[str, Any] = {"nodes": self.nodes}
        if self.reasons is not None:
            budget["reasons"] = list(self.reasons)
        if self.schedule is not None:
            budget["schedule"] = self.schedule
        if self.duration is not None:
            budget["duration"] = self.duration
        return budget


@dataclass(frozen=True, kw_only=True)
class NodePoolDisruption:
    """When Karpenter may remove or replace a pool's nodes."""

    consolidation_policy: ConsolidationPolicy = defaults.CONSOLIDATION_POLICY  # type: ignore[assignment]
    """Remove only empty nodes, or also repack under-used ones.
    Default: WhenEmptyOrUnderutilized."""
    consolidate_after: str = defaults.CONSOLIDATE_AFTER
    """How long a node must be consolidatable before Karpenter acts. Default: 1m."""
    expire_after: str = defaults.EXPIRE_AFTER
    """Nodes older than this are replaced, so they pick up new AMIs; `Never` turns it off.
    Default: 720h (30 days)."""
    budgets: Sequence[DisruptionBudget] = ()
    """Disruption budgets. Default: none set, so Karpenter's own (10% of the nodes)."""


@dataclass(frozen=True, kw_only=True)
class NodePoolSpec:
    """A NodePool (karpenter.sh/v1): which nodes Karpenter may launch, for which pods."""

    name: str = defaults.NODE_POOL
    """NodePool name. Default: default."""
    node_class: str = defaults.NODE_CLASS
    """Name of the EC2NodeClass its nodes use; it must be added first. Default: default."""
    requirements: NodePoolRequirements = NodePoolRequirements()
    """Instance requirements. Default: on-demand c/m/r, generation 5+, both architectures."""
    limits: NodePoolLimits = NodePoolLimits()
    """Total cpu and memory. Default: 100 vCPUs, 400Gi."""
    disruption: NodePoolDisruption = NodePoolDisruption()
    """Consolidation and expiry. Default: WhenEmptyOrUnderutilized after 1m, expire 720h."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on the nodes (not in Karpenter's reserved domains). Default: none."""
    taints: Sequence[Taint] = ()
    """Taints on the nodes. Default: none."""
    weight: int | None = None
    """Priority among pools that fit, 1-100 (higher first). Default: none."""
    accelerator: PoolAccelerator | None = None
    """nvidia: a GPU pool. Its nodes are NVIDIA GPU instances only (requirement
    karpenter.k8s.aws/instance-gpu-manufacturer In nvidia), tainted
    nvidia.com/gpu=true:NoSchedule unless `taints` has that key. Its
    `requirements.instance_categories` must include g or p
    (`NodePoolSpec.nvidia_gpu(...)` sets them). The EC2NodeClass's al2023 or bottlerocket
    alias selects the NVIDIA AMI variant for GPU instances itself (Karpenter resolves each
    alias to its standard, nvidia and neuron AMIs and matches them on instance-gpu-count:
    aws/karpenter-provider-aws pkg/providers/amifamily/al2023.go and types.go). On al2023 the
    nodes are labelled for the NVIDIA device plugin (`eks_blueprint.compute.accelerators`).
    Default: none, a general pool."""

    @classmethod
    def nvidia_gpu(
        cls,
        *,
        name: str = "gpu",
        node_class: str = defaults.NODE_CLASS,
        min_instance_generation: int = defaults.MIN_INSTANCE_GENERATION,
        limits: NodePoolLimits | None = None,
        **kwargs: Any,
    ) -> NodePoolSpec:
        """A GPU pool: NVIDIA g and p instances of generation `min_instance_generation` or
        newer (4 admits g4dn and p4d), both architectures, on-demand, with the GPU taint;
        other NodePoolSpec fields as keywords."""
        return cls(
            name=name,
            node_class=node_class,
            accelerator="nvidia",
            requirements=NodePoolRequirements(
                instance_categories=GPU_INSTANCE_CATEGORIES,
                min_instance_generation=min_instance_generation,
            ),
            limits=limits or NodePoolLimits(),
            **kwargs,
        )

    def resolved_taints(self) -> tuple[Taint, ...]:
        """`taints`, plus the GPU taint for a GPU pool unless one with its key is there."""
        if self.accelerator != "nvidia" or any(t.key == GPU_TAINT[0] for t in self.taints):
            return tuple(self.taints)
        key, value, _ = GPU_TAINT
        return (*self.taints, Taint(key, "NoSchedule", value))
