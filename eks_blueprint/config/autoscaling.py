"""The `compute.cluster_autoscaler:` section: the Kubernetes Cluster Autoscaler.

For environments whose capacity is EKS managed node groups and no Karpenter. Its defaults
and single-value rules come from eks_blueprint/compute/autoscaling.py, which the
`ClusterAutoscaler` construct uses too; the rules that need the rest of `compute:` are in
`check_cluster_autoscaler`, which EnvironmentConfig runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, field_validator

from .. import validation as v
from ..compute import autoscaling as a
from .base import FieldError, StrictModel

if TYPE_CHECKING:
    from .compute import ComputeConfig

__all__ = ["ClusterAutoscalerConfig", "check_cluster_autoscaler"]


def _quantity(value: str) -> str:
    try:
        v.check_quantity(value, "quantity")
    except v.Invalid as error:
        raise ValueError(error.fix) from None
    return value


def _memory(value: str) -> str:
    try:
        v.check_memory(value)
    except v.Invalid as error:
        raise ValueError(error.fix) from None
    return value


class ClusterAutoscalerConfig(StrictModel):
    """The Kubernetes Cluster Autoscaler (chart cluster-autoscaler 9.59.0, image of the
    cluster's minor) in kube-system, on a managed node group, with a Pod Identity role that
    may resize only Auto Scaling groups tagged `k8s.io/cluster-autoscaler/<cluster>: owned`
    (EKS tags every managed node group's group so). It changes each group's desired size
    between its size.min and size.max. Cost: the replicas' requests (100m CPU / 600Mi
    each), no AWS resources besides the role and its policy."""

    node_group: str | None = None
    """The node group the autoscaler runs on (its pods tolerate the group's taints).
    Default: the first of compute.node_groups. Pick a group whose size.min keeps a node:
    the autoscaler may remove under-used nodes of its own group too."""
    replicas: int = a.DEFAULT_REPLICAS
    """1 to 5 replicas; leader election lets one work at a time and a PodDisruptionBudget
    keeps one up. Default: 2."""
    expander: a.Expander = a.DEFAULT_EXPANDER
    """Which group grows when several could: least-waste (least idle CPU, then memory),
    most-pods, random or least-nodes. Default: least-waste."""
    balance_similar_node_groups: bool = True
    """Keep similar groups (same instance types, labels, taints; e.g. one per zone for EBS
    workloads) at similar sizes. Default: true."""
    skip_nodes_with_system_pods: bool = False
    """Never remove a node running kube-system pods other than DaemonSets. Default: false
    (the add-ons' Deployments are replicated with PodDisruptionBudgets)."""
    skip_nodes_with_local_storage: bool = False
    """Never remove a node with pods using emptyDir or hostPath. Default: false."""
    scale_down_enabled: bool = True
    """Remove nodes that stay under-used. Default: true."""
    scale_down_utilization_threshold: float = Field(
        default=a.DEFAULT_SCALE_DOWN_UTILIZATION, gt=0, le=1
    )
    """A node whose pods request less than this share of its CPU and memory may be removed.
    Default: 0.5."""
    scale_down_unneeded_time: str = a.DEFAULT_SCALE_DOWN_UNNEEDED
    """How long a node must be unneeded before removal: a whole number with s, m or h.
    Default: 10m."""
    cpu: Annotated[str, AfterValidator(_quantity)] = a.DEFAULT_CPU
    """CPU request of each replica. Default: 100m."""
    memory: Annotated[str, AfterValidator(_memory)] = a.DEFAULT_MEMORY
    """Memory request and limit of each replica. Default: 600Mi."""

    @field_validator("replicas")
    @classmethod
    def _replicas(cls, value: int) -> int:
        return a.check_replicas(value)

    @field_validator("scale_down_unneeded_time")
    @classmethod
    def _unneeded(cls, value: str) -> str:
        return a.check_duration(value)

    @field_validator("node_group")
    @classmethod
    def _node_group(cls, value: str | None) -> str | None:
        if value is not None and not v.NAME.fullmatch(value):
            raise ValueError("not a node group name (lower-case letters, digits and '-')")
        return value


def check_cluster_autoscaler(compute: ComputeConfig, kubernetes_version: str) -> None:
    """The rules that need the rest of the environment: one node autoscaler, managed node
    groups to scale, a host among them, an image for the cluster's minor, and groups whose
    instance types have the same size (the autoscaler assumes a group's nodes are alike)."""
    scaler = compute.cluster_autoscaler
    if scaler is None:
        return
    where = "compute.cluster_autoscaler"
    if compute.karpenter is not None:
        raise FieldError(
            where,
            "compute.karpenter is set too: Karpenter and the Cluster Autoscaler would both add "
            "nodes for the same pending pods and remove each other's; keep one (Karpenter for "
            "flexible capacity, the Cluster Autoscaler for managed node groups only)",
        )
    if compute.auto_mode is not None:
        raise FieldError(
            where,
            "compute.auto_mode is set: EKS Auto Mode scales its own nodes; remove "
            "cluster_autoscaler",
        )
    groups = compute.node_groups
    if not groups:
        raise FieldError(
            where,
            "compute.node_groups is empty: the Cluster Autoscaler resizes managed node groups "
            "and runs on one; add a node group or remove cluster_autoscaler",
        )
    names = [g.name for g in groups]
    if scaler.node_group is not None and scaler.node_group not in names:
        raise FieldError(
            f"{where}.node_group",
            f"{scaler.node_group!r} is not in compute.node_groups ({', '.join(names)}); name "
            "one of them",
        )
    if all(g.size.min == g.size.max for g in groups):
        raise FieldError(
            where,
            "every node group has size.min equal to size.max, so there is nothing to scale; "
            "raise size.max of the groups the autoscaler may grow, or remove "
            "cluster_autoscaler",
        )
    try:
        a.image_tag(kubernetes_version)
    except ValueError as exc:
        raise FieldError(where, str(exc)) from None
    _check_group_shapes(compute)


def _check_group_shapes(compute: ComputeConfig) -> None:
    """Within a group that can grow, every instance type of one vCPU/memory shape (the
    autoscaler's AWS README: it builds its node template from the first type only)."""
    from .capacity import UnknownInstanceType, instance_capacity

    for index, group in enumerate(compute.node_groups):
        if group.size.min == group.size.max or len(group.instance_types) < 2:
            continue
        try:
            shapes = {t: instance_capacity(t) for t in group.instance_types}
        except UnknownInstanceType:
            continue  # not modelled: nothing is claimed
        first = group.instance_types[0]
        odd = [t for t, shape in shapes.items() if shape != shapes[first]]
        if odd:
            raise FieldError(
                f"compute.node_groups[{index}].instance_types",
                f"{', '.join(odd)} differ in vCPUs or memory from {first} "
                f"({shapes[first]}): the Cluster Autoscaler plans a scale-up with the first "
                "type's size, so the group would get nodes of the wrong size; keep types of "
                "one size per group (e.g. m7g.large and m6g.large) and put other sizes in "
                "another group",
            )
