"""How sibling constructs of one cluster find each other, so that users do not wire them.

Nodes never become Ready before vpc-cni, kube-proxy and the Pod Identity agent run, and an
add-on with pods never waits on a cluster without capacity: `Addons` and every construct
that adds capacity (node groups, Fargate profiles, Karpenter) register here against their
cluster, and the ordering between them is added whichever of them is created first.

The registrations are kept on the root of the construct tree (the App), keyed by the
cluster's unique address, so they live exactly as long as the tree; an imported cluster (a
proxy of an object created in JavaScript) cannot hold Python attributes itself.
"""

from __future__ import annotations

from typing import Protocol

from constructs import IConstruct

_REGISTRY = "_eks_blueprint_wiring"


def _entry(cluster: object) -> dict[str, object]:
    """The registrations of `cluster`, created empty on first use."""
    node = cluster.node  # type: ignore[attr-defined]
    root = node.root
    registry: dict[str, dict[str, object]] | None = getattr(root, _REGISTRY, None)
    if registry is None:
        registry = {}
        setattr(root, _REGISTRY, registry)
    return registry.setdefault(node.addr, {"addons": None, "capacity": []})


class OrdersCapacity(Protocol):
    """What `Addons` offers to capacity: ordering both ways (see eks_blueprint.addons)."""

    @property
    def node(self) -> object: ...

    def add_compute_dependency(self, nodes: IConstruct) -> None: ...


def addons_of(cluster: object) -> OrdersCapacity | None:
    """The add-ons registered for `cluster`, or None."""
    found = _entry(cluster)["addons"]
    return found  # type: ignore[return-value]


def capacity_of(cluster: object) -> list[IConstruct]:
    """Everything registered as capacity of `cluster`, in the order it was created."""
    found: list[IConstruct] = _entry(cluster)["capacity"]  # type: ignore[assignment]
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
    _entry(cluster)["addons"] = addons
    for hosts in capacity_of(cluster):
        addons.add_compute_dependency(hosts)


def register_capacity(cluster: object, hosts: IConstruct) -> None:
    """Record `hosts` (a node group container, Fargate profiles, Karpenter) as capacity of
    `cluster`, ordered with the cluster's add-ons if they exist already."""
    _entry(cluster)["capacity"] = [*capacity_of(cluster), hosts]
    addons = addons_of(cluster)
    if addons is not None:
        addons.add_compute_dependency(hosts)
