"""How sibling constructs of one cluster find each other, so that users do not wire them.

Nodes never become Ready before vpc-cni, kube-proxy and the Pod Identity agent run, and an
add-on with pods never waits on a cluster without capacity: `Addons` and every construct
that adds capacity (node groups, Fargate profiles, Karpenter) register here against their
cluster, and the ordering between them is added whichever of them is created first.

The registrations are kept on the cluster object itself (jsii returns the same Python object
for a construct each time), so they live exactly as long as the construct tree.
"""

from __future__ import annotations

from typing import Protocol

from constructs import IConstruct

_ADDONS = "_eks_blueprint_addons"
_CAPACITY = "_eks_blueprint_capacity"


class OrdersCapacity(Protocol):
    """What `Addons` offers to capacity: ordering both ways (see eks_blueprint.addons)."""

    @property
    def node(self) -> object: ...

    def add_compute_dependency(self, nodes: IConstruct) -> None: ...


def addons_of(cluster: object) -> OrdersCapacity | None:
    """The add-ons registered for `cluster`, or None."""
    found: OrdersCapacity | None = getattr(cluster, _ADDONS, None)
    return found


def capacity_of(cluster: object) -> list[IConstruct]:
    """Everything registered as capacity of `cluster`, in the order it was created."""
    found: list[IConstruct] = getattr(cluster, _CAPACITY, [])
    return list(found)


def register_addons(cluster: object, addons: OrdersCapacity, *, path: str) -> None:
    """Record `addons` (at construct path `path`) as the add-ons of `cluster`, and order it
    with the capacity already added. A second set of add-ons for one cluster is refused:
    EKS allows one add-on of each name per cluster."""
    existing = addons_of(cluster)
    if existing is not None:
        other = getattr(getattr(existing, "node", None), "path", "?")
        raise ValueError(
            f"{path}: the cluster already has its add-ons at {other}. A cluster has one "
            "Addons construct: create Addons (or ControlPlane.add_addons) before adding "
            "capacity, so that ControlPlane does not add the node-readiness add-ons itself, "
            "or pass core_addons=False to ControlPlaneProps."
        )
    setattr(cluster, _ADDONS, addons)
    for hosts in capacity_of(cluster):
        addons.add_compute_dependency(hosts)


def register_capacity(cluster: object, hosts: IConstruct) -> None:
    """Record `hosts` (a node group container, Fargate profiles, Karpenter) as capacity of
    `cluster`, ordered with the cluster's add-ons if they exist already."""
    setattr(cluster, _CAPACITY, [*capacity_of(cluster), hosts])
    addons = addons_of(cluster)
    if addons is not None:
        addons.add_compute_dependency(hosts)
