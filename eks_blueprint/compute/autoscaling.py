"""Cluster Autoscaler facts and checks, written once (cdk-free).

The `ClusterAutoscaler` construct (compute/cluster_autoscaler.py), the `compute.cluster_autoscaler`
config model and the upgrade plan all read this module, so the chart pin, the image of each
Kubernetes minor and the rules are the same for a YAML file, a library user and a plan.

cdk-free on purpose: the configuration models and eks_blueprint.plan import it.
"""

from __future__ import annotations

import re
from typing import Final, Literal, get_args

from ..addons.versions import CAPACITY_CHARTS

#: The cluster-autoscaler chart, pinned in eks_blueprint/addons/versions.py
#: (CAPACITY_CHARTS). The chart is the same for every minor; the image tag is set per minor
#: from CLUSTER_AUTOSCALER_IMAGES.
CHART_NAME: Final = "cluster-autoscaler"
CHART_REPOSITORY, CHART_VERSION = CAPACITY_CHARTS[CHART_NAME]
#: The image (the chart's image.repository at 9.59.0).
IMAGE_REPOSITORY: Final = "registry.k8s.io/autoscaling/cluster-autoscaler"

#: Kubernetes minor -> the Cluster Autoscaler image tag deployed for it. The autoscaler's
#: README ("Releases": "We recommend using Cluster Autoscaler with the Kubernetes control
#: plane version for which it was meant"; CA minor = Kubernetes minor since 1.12) asks for
#: the same minor; each tag is the newest patch release of that minor in kubernetes/autoscaler
#: (tags cluster-autoscaler-1.32.7, 13 February 2026; -1.33.6, -1.34.5 and -1.35.2, 22 July
#: 2026; read at commit 55c37cd, 22 August 2026). Refresh: the repository's
#: cluster-autoscaler-1.x.y tags or `crane ls registry.k8s.io/autoscaling/cluster-autoscaler`.
#: A supported Kubernetes version without a row is refused (config and construct), and the
#: upgrade plan blocks a target without one.
CLUSTER_AUTOSCALER_IMAGES: Final[dict[str, str]] = {
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
}

#: The service account (and release) name: set explicitly in the chart values, so that the
#: Pod Identity association names the account the chart creates (the chart's own default is
#: `<release>-aws-cluster-autoscaler`).
SERVICE_ACCOUNT: Final = "cluster-autoscaler"
NAMESPACE: Final = "kube-system"

#: Expanders that work on AWS with auto-discovery and need no extra configuration
#: (cluster-autoscaler FAQ "What are Expanders?": `price` is GCE/GKE only; `priority`
#: needs a ConfigMap this project does not write; `grpc` an external service).
Expander = Literal["least-waste", "most-pods", "random", "least-nodes"]
EXPANDERS: Final[tuple[Expander, ...]] = get_args(Expander)

#: Defaults shared by ClusterAutoscalerProps and the config model.
DEFAULT_REPLICAS: Final = 2
"""Two replicas with leader election: one scales, the other takes over within the lease
(the chart's leader election is on by default); a PodDisruptionBudget keeps one up."""
REPLICAS_RANGE: Final = (1, 5)
DEFAULT_EXPANDER: Final[Expander] = "least-waste"
#: Requests (= limits for memory) of each replica: the autoscaler's AWS example deployment
#: (cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml: 100m CPU, 600Mi
#: memory); the chart itself sets none.
DEFAULT_CPU: Final = "100m"
DEFAULT_MEMORY: Final = "600Mi"
#: --scale-down-utilization-threshold: the autoscaler's default (FAQ parameter table, 0.5).
DEFAULT_SCALE_DOWN_UTILIZATION: Final = 0.5
#: --scale-down-unneeded-time: the autoscaler's default, 10 minutes.
DEFAULT_SCALE_DOWN_UNNEEDED: Final = "10m"

#: The auto-discovery tags the chart passes to --node-group-auto-discovery
#: (autoDiscovery.tags in values.yaml at 9.59.0): both must be on an Auto Scaling group.
ENABLED_TAG: Final = "k8s.io/cluster-autoscaler/enabled"


def owner_tag(cluster_name: str) -> str:
    """`k8s.io/cluster-autoscaler/<cluster>`: the second discovery tag, and the tag key the
    controller policy conditions its scaling actions on (value `owned`)."""
    return f"k8s.io/cluster-autoscaler/{cluster_name}"


_TAG = re.compile(r"v(\d+)\.(\d+)\.\d+")
_DURATION = re.compile(r"([1-9]\d*)(s|m|h)")


def image_tag(kubernetes_version: str) -> str:
    """The image tag for `kubernetes_version` ("1.34" -> "v1.34.5"); ValueError naming the
    versions the table has when it has none."""
    try:
        return CLUSTER_AUTOSCALER_IMAGES[kubernetes_version]
    except KeyError:
        raise ValueError(
            f"no Cluster Autoscaler image is pinned for Kubernetes {kubernetes_version!r}; "
            f"pinned: {', '.join(CLUSTER_AUTOSCALER_IMAGES)}. Add the newest "
            f"cluster-autoscaler-{kubernetes_version}.x release to CLUSTER_AUTOSCALER_IMAGES "
            "in eks_blueprint/compute/autoscaling.py"
        ) from None


def check_image_tag(tag: str, kubernetes_version: str) -> str:
    """An explicit image tag: vMAJOR.MINOR.PATCH of the cluster's own minor."""
    match = _TAG.fullmatch(tag)
    if match is None:
        raise ValueError(f"not an image tag like {image_tag(kubernetes_version)} (vX.Y.Z)")
    if f"{match.group(1)}.{match.group(2)}" != kubernetes_version:
        raise ValueError(
            f"Cluster Autoscaler {tag} is not meant for Kubernetes {kubernetes_version}: its "
            "minor must match the control plane's (it simulates that scheduler); use a "
            f"v{kubernetes_version}.x tag, e.g. {image_tag(kubernetes_version)}"
        )
    return tag


def check_replicas(value: int) -> int:
    """1 to 5 replicas (only the leader works; more only add standby pods)."""
    low, high = REPLICAS_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(
            f"use {low} to {high} replicas (default {DEFAULT_REPLICAS}: leader election, "
            "one standby)"
        )
    return value


def check_expander(value: str) -> str:
    """One of EXPANDERS."""
    if value not in EXPANDERS:
        raise ValueError(f"use one of {', '.join(EXPANDERS)}")
    return value


def check_utilization(value: float) -> float:
    """--scale-down-utilization-threshold: above 0, at most 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValueError("a share of a node's requests above 0 and at most 1, e.g. 0.5")
    return float(value)


def check_duration(value: str) -> str:
    """A whole number of seconds, minutes or hours, e.g. 10m."""
    if not isinstance(value, str) or _DURATION.fullmatch(value) is None:
        raise ValueError("a duration like 10m, 600s or 1h")
    return value


__all__ = [
    "CHART_NAME",
    "CHART_REPOSITORY",
    "CHART_VERSION",
    "CLUSTER_AUTOSCALER_IMAGES",
    "DEFAULT_CPU",
    "DEFAULT_EXPANDER",
    "DEFAULT_MEMORY",
    "DEFAULT_REPLICAS",
    "DEFAULT_SCALE_DOWN_UNNEEDED",
    "DEFAULT_SCALE_DOWN_UTILIZATION",
    "ENABLED_TAG",
    "EXPANDERS",
    "IMAGE_REPOSITORY",
    "NAMESPACE",
    "REPLICAS_RANGE",
    "SERVICE_ACCOUNT",
    "Expander",
    "check_duration",
    "check_expander",
    "check_image_tag",
    "check_replicas",
    "check_utilization",
    "image_tag",
    "owner_tag",
]
