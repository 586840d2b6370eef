"""Children that exist once per cluster, and where they live.

EKS allows one add-on of a name per cluster and IAM one OIDC provider per issuer, so the
constructs that need them (workload roles, Karpenter, GuardDuty) share one, created by
whichever asks first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from aws_cdk import Stack
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

T = TypeVar("T")


def once(scope: Construct, id: str, create: Callable[[Construct, str], T]) -> T:
    """The child `id` of `scope`, created by `create(scope, id)` on first request only.

    For what exists once per cluster however many constructs need it (the OIDC provider,
    the Pod Identity agent, the GuardDuty agent): EKS and IAM allow only one.
    """
    existing = scope.node.try_find_child(id)
    if existing is not None:  # jsii may hand back a proxy of another Python class
        return cast(T, existing)
    return create(scope, id)


def attach_to_cluster(cluster: eks.ICluster, id: str) -> tuple[Construct, str]:
    """Scope and id for a per-cluster child: the cluster itself, or for an imported cluster
    (a jsii proxy Python cannot use as a scope) its stack, with an id unique to it."""
    if isinstance(cluster, Construct):
        return cluster, id
    return Stack.of(cluster), f"{id}{cluster.node.addr[:8]}"
