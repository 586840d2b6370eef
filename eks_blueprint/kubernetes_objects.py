"""What the constructs that apply Kubernetes manifests share: the check that the cluster can
take them, and the manifest that keeps the cluster in step with its list of objects
(delivered through the cluster's Kubernetes layers, :mod:`eks_blueprint.kubernetes`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from .kubernetes import Applied, Layer, apply_manifest, can_deliver
from .validate_names import PropError


def required_node_affinity(key: str, values: Sequence[str]) -> dict[str, Any]:
    """The pod spec's `affinity`: only nodes whose label `key` is one of `values`."""
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": key, "operator": "In", "values": list(values)}]}
                ]
            }
        }
    }


def require_kubectl_provider(
    path: str, field: str, cluster: eks.ICluster, needs: str, otherwise: str = ""
) -> None:
    """Refuse a cluster that cannot take Kubernetes objects for the construct at `path`,
    whose prop `field` is the cluster: `needs` says what applies manifests, `otherwise`
    ("or ...") any other way out."""
    if not can_deliver(cluster):
        raise PropError(
            path,
            field,
            cluster.node.path,
            f"{needs}, but this cluster has no kubectl provider; use a cluster with one "
            f"(ControlPlaneProps(kubectl_provider=True), the default){otherwise}",
        )


def pruned_manifest(
    scope: Construct,
    id: str,
    cluster: eks.ICluster,
    manifest: Sequence[dict[str, Any]],
    *,
    layer: Layer,
    overwrite: bool | None = None,
) -> Applied:
    """`manifest` applied to `cluster` in `layer`, pruned: an object removed from the list
    is deleted from the cluster."""
    return apply_manifest(scope, id, cluster, manifest, layer=layer, overwrite=overwrite)
