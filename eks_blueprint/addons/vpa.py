"""The Vertical Pod Autoscaler add-on: its modes and Helm values (cdk-free).

VPA has three components (kubernetes/autoscaler vertical-pod-autoscaler/README.md): the
recommender computes requests from usage and writes them to each VerticalPodAutoscaler's
status; the updater evicts pods whose requests are far from the recommendation; the
admission controller (a mutating webhook) writes the recommendation into pods as they are
created. Without the updater and the admission controller nothing applies a recommendation,
whatever a VerticalPodAutoscaler's `updateMode` says: that is the `recommend` mode, the
default here, so installing VPA never restarts or resizes a pod by itself. `auto` installs
both, and each VerticalPodAutoscaler's `updateMode` then decides (the v1 CRD of VPA 1.7.1:
Off, Initial, Recreate, InPlaceOrRecreate, InPlace, Auto; "The default is 'Recreate'"), so
in `auto` write `updateMode: "Off"` on the objects that should only recommend.

The chart is FairwindsOps stable/vpa (pinned in versions.py); the value keys below are those
of its values.yaml at 5.0.0.
"""

from __future__ import annotations

from typing import Any, Final, Literal, get_args

#: `recommend`: recommender only; `auto`: also the updater and the admission controller.
VpaMode = Literal["recommend", "auto"]
VPA_MODES: Final[tuple[VpaMode, ...]] = get_args(VpaMode)
#: The release's namespace: kube-system, which the cluster's policies leave alone
#: (governance/spec.py SYSTEM_NAMESPACES), so VPA keeps working when Kyverno does not.
NAMESPACE: Final = "kube-system"

#: Restricted-profile security settings for every VPA pod (the chart's own defaults at
#: 5.0.0, written out so that a chart upgrade cannot loosen them silently).
_POD_SECURITY: Final[dict[str, Any]] = {
    "runAsNonRoot": True,
    "runAsUser": 65534,
    "seccompProfile": {"type": "RuntimeDefault"},
}
_CONTAINER_SECURITY: Final[dict[str, Any]] = {
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
}


def check_vpa_mode(value: str) -> str:
    """`recommend` or `auto`."""
    if value not in VPA_MODES:
        raise ValueError(
            f"use {' or '.join(VPA_MODES)} (recommend: recommendations only, nothing restarts "
            "a pod; auto: the updater and admission controller apply them)"
        )
    return value


def vpa_values(mode: str) -> dict[str, Any]:
    """Helm values of the vpa chart for `mode` (ValueError unless recommend or auto)."""
    check_vpa_mode(mode)
    applies = mode == "auto"

    def component(**extra: Any) -> dict[str, Any]:
        return {
            "podSecurityContext": dict(_POD_SECURITY),
            "securityContext": dict(_CONTAINER_SECURITY),
            # The chart's default `Always` pulls on every start: a registry.k8s.io outage
            # would then keep a rescheduled pod down although its image is on the node.
            "image": {"pullPolicy": "IfNotPresent"},
            **extra,
        }

    return {
        "recommender": component(enabled=True),
        "updater": component(enabled=applies),
        "admissionController": component(
            enabled=applies,
            # The chart's pre-install Job creates the webhook's certificate (no cert-manager
            # needed); the webhook fails open (failurePolicy Ignore, the chart default), so
            # pods are still admitted while the controller is down.
            generateCertificate=applies,
            mutatingWebhookConfiguration={"failurePolicy": "Ignore", "timeoutSeconds": 5},
            certGen={
                "podSecurityContext": dict(_POD_SECURITY),
                "securityContext": dict(_CONTAINER_SECURITY),
                "image": {"pullPolicy": "IfNotPresent"},
            },
        ),
        # The cluster's metrics-server add-on serves the metrics API the recommender reads;
        # the chart's own copy would be a second one.
        "metrics-server": {"enabled": False},
    }


__all__ = ["NAMESPACE", "VPA_MODES", "VpaMode", "check_vpa_mode", "vpa_values"]
