"""What the constructs that apply Kubernetes manifests share: the kubectl provider they
need, and the manifest that keeps the cluster in step with its list of objects."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from .validate_names import PropError


def has_kubectl(cluster: eks.ICluster) -> bool:
    """Whether `cluster` can apply manifests and charts: it has a kubectl provider, or (an
    imported cluster) the options to create one."""
    options = getattr(cluster, "kubectl_provider_options", None)  # not on eks.Cluster itself
    return cluster.kubectl_provider is not None or options is not None


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
    """Refuse a cluster without a kubectl provider for the construct at `path`, whose prop
    `field` is the cluster: `needs` says what applies manifests, `otherwise` ("or ...") any
    other way out."""
    if cluster.kubectl_provider is None:
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
    overwrite: bool | None = None,
) -> eks.KubernetesManifest:
    """`manifest` applied to `cluster`, pruned: an object removed from the list is deleted
    from the cluster."""
    return eks.KubernetesManifest(
        scope, id, cluster=cluster, manifest=manifest, prune=True, overwrite=overwrite
    )
