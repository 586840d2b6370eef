"""The largest value a set of limits allows: a small linear programme, solved exactly.

Both ceilings of the cost plan are of one shape: choose amounts ``x_i >= 0`` of items (node
types of a Karpenter pool, Fargate pod sizes of a tenant namespace) that maximise the cost
``sum(v_i * x_i)`` under a few limits ``sum(c_ij * x_i) <= L_j`` (a NodePool's CPU and
memory limits; a ResourceQuota's CPU, memory and pods). The optimum of such a programme is
at a vertex, where at most as many items are non-zero as there are limits, so with two or
three limits every vertex can be enumerated and checked. The answer is the exact maximum of
the relaxation (whole nodes and pods not required), hence an upper bound of what the
cluster can really spend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

_EPS = 1e-9


class Unbounded(ValueError):
    """An item costs nothing against every limit: the spend has no upper bound."""

    def __init__(self, item: int) -> None:
        super().__init__(f"item {item} is not limited by any constraint")
        self.item = item


@dataclass(frozen=True)
class Solution:
    value: float
    amounts: tuple[float, ...]
    """One amount per item (0 for items not used)."""


def _solve(matrix: list[list[float]], rhs: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None when the system is singular."""
    n = len(rhs)
    a = [[*row, rhs[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < _EPS:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col:
                factor = a[r][col] / a[col][col]
                if factor:
                    a[r] = [x - factor * y for x, y in zip(a[r], a[col], strict=True)]
    return [a[i][n] / a[i][i] for i in range(n)]


def _undominated(
    items: list[int], values: Sequence[float], costs: Sequence[Sequence[float]]
) -> list[int]:
    """Drop items another one beats: at least as much value per unit of every limit (an
    optimum never needs them, and fewer items keep the enumeration small)."""
    ratio = {i: [c / values[i] for c in costs[i]] for i in items}
    kept = []
    for i in items:
        beaten = False
        for j in items:
            if j == i:
                continue
            if all(a <= b + _EPS for a, b in zip(ratio[j], ratio[i], strict=True)) and (
                any(a < b - _EPS for a, b in zip(ratio[j], ratio[i], strict=True)) or j < i
            ):
                beaten = True
                break
        if not beaten:
            kept.append(i)
    return kept


def maximise(
    values: Sequence[float], costs: Sequence[Sequence[float]], limits: Sequence[float]
) -> Solution:
    """Maximise ``sum(values[i] * x[i])`` subject to ``sum(costs[i][j] * x[i]) <= limits[j]``
    and ``x >= 0``. Costs and limits must be non-negative. Raises :class:`Unbounded` when an
    item of positive value costs nothing against every limit."""
    n, k = len(values), len(limits)
    if any(len(c) != k for c in costs) or len(costs) != n:
        raise ValueError("costs must give one row per item and one column per limit")
    if any(x < 0 for x in limits) or any(c < 0 for row in costs for c in row):
        raise ValueError("costs and limits must be non-negative")
    useful = [i for i in range(n) if values[i] > _EPS]
    for i in useful:
        if all(c <= _EPS for c in costs[i]):
            raise Unbounded(i)
    useful = _undominated(useful, values, costs)
    best_value, best = 0.0, [0.0] * n
    for size in range(1, min(k, len(useful)) + 1):
        for items in combinations(useful, size):
            for tight in combinations(range(k), size):
                x = _solve(
                    [[costs[i][j] for i in items] for j in tight], [limits[j] for j in tight]
                )
                if x is None or any(v < -_EPS for v in x):
                    continue
                if any(
                    sum(costs[i][j] * xi for i, xi in zip(items, x, strict=True))
                    > limits[j] * (1 + 1e-9) + _EPS
                    for j in range(k)
                ):
                    continue
                value = sum(values[i] * xi for i, xi in zip(items, x, strict=True))
                if value > best_value + _EPS:
                    best_value = value
                    best = [0.0] * n
                    for i, xi in zip(items, x, strict=True):
                        best[i] = max(0.0, xi)
    return Solution(best_value, tuple(best))
