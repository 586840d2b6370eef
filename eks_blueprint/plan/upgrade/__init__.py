"""``python -m eks_blueprint.plan upgrade --env prod --to 1.35``: plan a Kubernetes upgrade.

The ordered steps of the EKS Best Practices Guide's upgrade procedure for one environment
(upgrade insights, control plane, add-ons, data plane) and the checks that block it:

* version path: one minor at a time, forward, to a supported version;
* compatibility: add-on pins, the kubectl layer, Karpenter and every Helm chart;
* data plane: kubelet version skew and AMI pins (Karpenter aliases, node group releases);
* removed APIs: every manifest the stacks carry, validated against the target version;
* warnings: workloads without a PodDisruptionBudget, support dates and their cost.

The facts it checks against are tables with their sources in :mod:`.tables`.
"""

from __future__ import annotations

from .plan import plan_upgrade

__all__ = ["plan_upgrade"]
