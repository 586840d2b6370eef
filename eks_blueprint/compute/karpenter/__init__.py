"""Karpenter: the v1 controller (Helm), its IAM, the interruption queue, NodePools and
EC2NodeClasses.

- `construct`: the Karpenter construct and its props;
- `specs`: NodePoolSpec (requirements, limits, disruption with budgets) and NodeClassSpec,
  mirroring the CRDs, every field with a default;
- `manifests`: the NodePool and EC2NodeClass objects built from the specs (pure);
- `policy`: the controller's IAM statements and their acknowledgements;
- `interruption`: the interruption queue and its EventBridge rules.
"""

from __future__ import annotations

from ..placement import ControllerPlacement
from .construct import (
    CHART_REPOSITORY,
    CRD_CHART_REPOSITORY,
    SERVICE_ACCOUNT,
    Karpenter,
    KarpenterProps,
    validate_node_class,
    validate_node_pool,
)
from .interruption import INTERRUPTION_EVENTS
from .policy import CONTROLLER_POLICIES
from .specs import (
    GPU_INSTANCE_CATEGORIES,
    DisruptionBudget,
    NodeClassSpec,
    NodePoolDisruption,
    NodePoolLimits,
    NodePoolRequirements,
    NodePoolSpec,
)

__all__ = [
    "CHART_REPOSITORY",
    "CONTROLLER_POLICIES",
    "CRD_CHART_REPOSITORY",
    "GPU_INSTANCE_CATEGORIES",
    "INTERRUPTION_EVENTS",
    "SERVICE_ACCOUNT",
    "ControllerPlacement",
    "DisruptionBudget",
    "Karpenter",
    "KarpenterProps",
    "NodeClassSpec",
    "NodePoolDisruption",
    "NodePoolLimits",
    "NodePoolRequirements",
    "NodePoolSpec",
    "validate_node_class",
    "validate_node_pool",
]
