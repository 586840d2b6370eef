"""What Fargate bills for EKS pods: their requests rounded up to a Fargate size.

Amazon EKS user guide, "Fargate Pod configuration" (read 2026-11-30): a pod's vCPU and
memory are the sum of its containers' requests (or its largest init container's, if
larger); Fargate adds 256 MB for the kubelet, kube-proxy and containerd, then rounds up to
the smallest of these combinations that holds both; a pod without requests gets the
smallest, 0.25 vCPU and 0.5 GB:

=========  =======================================
vCPU       memory (GB)
=========  =======================================
0.25       0.5, 1, 2
0.5        1, 2, 3, 4
1          2 to 8, 1 GB steps
2          4 to 16, 1 GB steps
4          8 to 30, 1 GB steps
=========  =======================================

:func:`quota_ceiling` bounds what a namespace whose pods all run on Fargate can cost under
its ResourceQuota: the pods may be sized to waste the most in rounding (many pods just above
a size's boundary), so the bound is a small linear programme over the sizes above
(:mod:`.solve`), not the quota priced as requested.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .solve import Solution, maximise

#: Memory Fargate adds to every pod, GiB (256 MB; Fargate's GB are GiB).
OVERHEAD_GIB = 0.25
#: (vCPU, memory options in GiB), smallest first.
CONFIGURATIONS: tuple[tuple[float, tuple[float, ...]], ...] = (
    (0.25, (0.5, 1.0, 2.0)),
    (0.5, (1.0, 2.0, 3.0, 4.0)),
    (1.0, tuple(float(g) for g in range(2, 9))),
    (2.0, tuple(float(g) for g in range(4, 17))),
    (4.0, tuple(float(g) for g in range(8, 31))),
)


@dataclass(frozen=True)
class PodSize:
    """A Fargate size: what one pod is billed for."""

    vcpu: float
    memory_gib: float

    def hourly(self, vcpu_hour: float, gb_hour: float) -> float:
        return self.vcpu * vcpu_hour + self.memory_gib * gb_hour

    def __str__(self) -> str:
        return f"{self.vcpu:g} vCPU / {self.memory_gib:g} GB"


def pod_size(cpu_m: int, memory_mi: int) -> PodSize | None:
    """The Fargate size of a pod requesting `cpu_m` millicores and `memory_mi` MiB; None if
    it is larger than the largest size (the pod would not run on Fargate)."""
    cpu = cpu_m / 1000
    memory = memory_mi / 1024 + OVERHEAD_GIB
    for vcpu, options in CONFIGURATIONS:
        if vcpu + 1e-9 < cpu:
            continue
        for option in options:
            if option + 1e-9 >= memory:
                return PodSize(vcpu, option)
    return None


@dataclass(frozen=True)
class QuotaCeiling:
    """The most a namespace's Fargate pods can cost an hour under its quota."""

    usd_per_hour: float
    vcpu: float
    memory_gib: float
    pods: float
    mix: tuple[tuple[PodSize, float], ...]
    """(size, number of pods) of the worst case."""


def _cheapest_requests() -> list[tuple[PodSize, float, float]]:
    """For every size, the smallest requests (vCPU, GiB) that make Fargate bill it: either
    CPU just above the previous size's vCPU, or memory just above what the smaller vCPU
    sizes hold (requests exactly on a boundary are billed the smaller size; the bound takes
    the boundary itself, a supremum)."""
    out: list[tuple[PodSize, float, float]] = []
    previous_vcpu, previous_max_memory = 0.0, 0.0
    for vcpu, options in CONFIGURATIONS:
        for index, option in enumerate(options):
            below = options[index - 1] if index else 0.0
            # CPU picks this vCPU; memory just above the option below (or none at all).
            memory_by_cpu = max(0.0, below - OVERHEAD_GIB) if index else 0.0
            out.append((PodSize(vcpu, option), previous_vcpu, memory_by_cpu))
            # Memory alone forces this vCPU: more than the smaller sizes can hold.
            if option > previous_max_memory and previous_max_memory > 0:
                memory_forced = max(below, previous_max_memory) - OVERHEAD_GIB
                out.append((PodSize(vcpu, option), 0.0, max(0.0, memory_forced)))
        previous_vcpu, previous_max_memory = vcpu, options[-1]
    return out


@lru_cache(maxsize=256)  # a pure function of numbers: each namespace quota is solved once
def quota_ceiling(
    cpu: float | None,
    memory_gib: float | None,
    pods: int | None,
    vcpu_hour: float,
    gb_hour: float,
) -> QuotaCeiling:
    """The worst case of a namespace whose every pod runs on Fargate, under a quota on
    requested CPU (vCPU), memory (GiB) and pod count. A quota without ``pods`` leaves the
    count of empty pods unbounded: raises :class:`~.solve.Unbounded`."""
    sizes = _cheapest_requests()
    limits: list[float] = []
    columns: list[int] = []
    for index, limit in enumerate((cpu, memory_gib, None if pods is None else float(pods))):
        if limit is not None:
            limits.append(limit)
            columns.append(index)
    values = [size.hourly(vcpu_hour, gb_hour) for size, _, _ in sizes]
    costs = [[(c, m, 1.0)[col] for col in columns] for _, c, m in sizes]
    solution: Solution = maximise(values, costs, limits)
    mix = tuple((sizes[i][0], amount) for i, amount in enumerate(solution.amounts) if amount > 1e-9)
    return QuotaCeiling(
        usd_per_hour=solution.value,
        vcpu=sum(size.vcpu * n for size, n in mix),
        memory_gib=sum(size.memory_gib * n for size, n in mix),
        pods=sum(n for _, n in mix),
        mix=mix,
    )
