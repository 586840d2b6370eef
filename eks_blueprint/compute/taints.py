"""The one taint type of the library: node groups, Karpenter NodePools and the placement
of controllers on tainted nodes all use `Taint`.

cdk-free at import (aws_cdk is loaded only by `to_eks`), so configuration code can build
taints without starting the JavaScript runtime.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from aws_cdk import aws_eks_v2 as eks

#: The effects Kubernetes knows, as the API server spells them.
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
TAINT_EFFECTS: tuple[str, ...] = ("NoSchedule", "PreferNoSchedule", "NoExecute")

#: Kubernetes effect name -> the name of the aws_eks_v2 TaintEffect member.
_EKS_EFFECTS: dict[str, str] = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}


@dataclass(frozen=True)
class Taint:
    """A Kubernetes taint: only pods that tolerate it are scheduled on the node
    (`Taint("CriticalAddonsOnly", "NoSchedule", "true")`)."""

    key: str
    """Taint key, a Kubernetes label key, e.g. CriticalAddonsOnly or example.com/dedicated."""
    effect: TaintEffect
    """What happens to pods that do not tolerate it: NoSchedule, PreferNoSchedule or
    NoExecute."""
    value: str | None = None
    """Taint value (a label value). Default: none, and tolerations match with Exists."""

    def __post_init__(self) -> None:
        if self.effect not in TAINT_EFFECTS:
            raise ValueError(
                f"Taint {self.key!r} effect: {self.effect!r}; use one of {', '.join(TAINT_EFFECTS)}"
            )

    def to_eks(self) -> eks.TaintSpec:
        """The taint as an EKS managed node group takes it."""
        from aws_cdk import aws_eks_v2 as eks

        return eks.TaintSpec(
            key=self.key,
            value=self.value,
            effect=getattr(eks.TaintEffect, _EKS_EFFECTS[self.effect]),
        )

    def to_manifest(self) -> dict[str, str]:
        """The taint as a Kubernetes object carries it (key, value if any, effect)."""
        return {
            "key": self.key,
            **({"value": self.value} if self.value is not None else {}),
            "effect": self.effect,
        }

    def toleration(self) -> dict[str, str]:
        """The toleration a pod needs for this taint: Equal with the value, Exists without."""
        if self.value is not None:
            return {
                "key": self.key,
                "operator": "Equal",
                "value": self.value,
                "effect": self.effect,
            }
        return {"key": self.key, "operator": "Exists", "effect": self.effect}
