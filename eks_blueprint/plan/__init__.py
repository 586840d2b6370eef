"""Plan before you apply: offline plans of one environment from its config and its assembly.

Four plans, each a pure function of an environment file (``config/<env>.yaml``) and the
cloud assembly that file synthesises to (``cdk.out``), with no AWS call:

* ``upgrade``: the ordered steps of a Kubernetes minor-version upgrade and the checks that
  block it (version path, add-on pins, kubectl layer, Karpenter and chart compatibility,
  kubelet skew, node AMI pins, removed APIs), with support-end dates and their cost.
* ``ips``: max pods per node in each VPC CNI mode, the worst-case node count and the
  addresses it needs per subnet and AZ, against what the subnets hold.
* ``cost``: the monthly baseline (minimum sizes) and ceiling (maximum sizes and Karpenter
  limits) from a dated price table, with every assumption printed.
* ``diagram``: a Mermaid picture of the stacks, VPC, cluster, capacity, add-ons, tenants
  and load balancers, with a change's additions, replacements and removals highlighted.

Each returns a :class:`PlanReport` (Markdown or JSON; ``blocked`` decides the exit code).
The command line is ``python -m eks_blueprint.plan <kind> --env <name>``; the review report
(:mod:`eks_blueprint.review`) runs the same functions on BASE and HEAD and shows what
changed.
"""

from __future__ import annotations

from .inputs import PlanInputError, PlanInputs, load_inputs
from .model import Finding, PlanReport, Severity

__all__ = [
    "Finding",
    "PlanInputError",
    "PlanInputs",
    "PlanReport",
    "Severity",
    "load_inputs",
]
