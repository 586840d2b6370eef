"""Where a controller's pods run (Karpenter's controller on a node group or on Fargate)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from constructs import IDependable

from .taints import Taint


@dataclass(frozen=True)
class ControllerPlacement:
    """Where a controller's pods run: Helm values, and what must exist before them.

    Made by `ManagedNodeGroups.placement_for(name)` (the group's nodes, tolerating its
    taints) or `FargateProfiles.karpenter_placement()`.
    """

    node_selector: Mapping[str, str] = field(default_factory=dict)
    """Pod nodeSelector. Default: none (Fargate: the profile selects the pods)."""
    tolerations: Sequence[Taint] = ()
    """The host's taints, which the pods tolerate. Default: none."""
    depends_on: Sequence[IDependable] = ()
    """Resources the chart must be installed after (the node group or Fargate profile)."""
    on_fargate: bool = False
    """Whether the pods run on Fargate (no Pod Identity agent there: use IRSA)."""

    def toleration_values(self) -> list[dict[str, str]]:
        """The pods' tolerations, as Helm values."""
        return [t.toleration() for t in self.tolerations]
