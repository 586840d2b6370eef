"""DemoWorkload: `demo-nodejs-backend` from the EKS overview talk, hardened.

Manifests are plain Python dicts applied as one manifest item of the cluster's workloads
layer: no cdk8s dependency (and its own jsii runtime), and one item for the whole app. The
dicts come from `demo_manifests`, a pure function, so tests can validate them without synth.

Two settings keep the demo from failing at deploy time:

* `platforms`: the CPU architectures the image is built for, as a `kubernetes.io/arch` node
  selector (one) or required node affinity (several). A cluster with arm64 nodes would
  otherwise schedule an amd64-only image there, where it crashes with `exec format error`.
* `inbound_cidrs`: the client ranges the ALB accepts
  (`alb.ingress.kubernetes.io/inbound-cidrs`). Without the annotation the controller opens
  the ALB's listeners to 0.0.0.0/0; so an internet-facing ALB needs a list, and 0.0.0.0/0
  needs `allow_open_ingress`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aws_cdk import Token
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from .. import defaults
from ..config.workloads import DEMO_POD_LABELS
from ..kubernetes import Layer
from ..kubernetes_objects import (
    pruned_manifest,
    require_kubectl_provider,
    required_node_affinity,
)
from ..validate_names import (
    DEMO_COUNTS,
    PropError,
    check_certificate_arn,
    check_choice,
    check_cidr,
    check_image,
    check_prop,
    check_range,
    check_tenant_namespace,
    check_unique,
    is_open_cidr,
)

APP = defaults.DEMO_APP
PORT = 3000
#: The only route the talk's image serves (its Express app has no `/`): probes and the ALB
#: health check use it, or every pod stays unready and every target unhealthy.
HEALTH_PATH = "/services/all"
#: The node label the scheduler matches `platforms` against.
ARCH_LABEL = "kubernetes.io/arch"
PLATFORMS = ("amd64", "arm64")
#: ALB schemes (alb.ingress.kubernetes.io/scheme).
SCHEMES = ("internet-facing", "internal")


@dataclass(frozen=True, kw_only=True)
class DemoWorkloadProps:
    """The demo's settings."""

    cluster: eks.ICluster
    """The cluster, with the AWS Load Balancer Controller; it must take Kubernetes objects: a
    ControlPlane's Kubernetes layers (the default) or an eks.Cluster with aws_eks_v2's kubectl
    provider."""
    image: str
    """Container image, e.g. public.ecr.aws/y7c9e1d2/joozero-repo:1.0."""
    namespace: str = defaults.DEMO_NAMESPACE
    """Namespace, created with Pod Security Standard `restricted`; a Kubernetes name the
    cluster and its add-ons don't use. Default: demo."""
    replicas: int = defaults.DEMO_REPLICAS
    """Replicas and HPA minimum, 1 to 100 and at most max_replicas. Default: 3."""
    max_replicas: int = defaults.DEMO_MAX_REPLICAS
    """HPA maximum, 1 to 1000. Default: 10."""
    target_cpu_utilization: int = defaults.DEMO_TARGET_CPU_UTILIZATION
    """HPA CPU target in percent of requests, 10 to 100. Default: 70."""
    scheme: Literal["internet-facing", "internal"] = defaults.DEMO_SCHEME
    """ALB scheme. Default: internal."""
    certificate_arn: str | None = None
    """ACM certificate: HTTPS on 443 and a redirect from 80. Default: HTTP only."""
    platforms: Sequence[Literal["amd64", "arm64"]] = defaults.DEMO_PLATFORMS
    """CPU architectures the image runs on; pods go only to nodes of these
    (`kubernetes.io/arch`). Default: amd64, what the talk's image is built for."""
    inbound_cidrs: Sequence[str] = ()
    """Client CIDRs the ALB accepts (alb.ingress.kubernetes.io/inbound-cidrs). Required for
    internet-facing; for internal, pass the VPC CIDR (empty leaves the controller's default,
    0.0.0.0/0, reachable only from networks routed to the VPC). Default: none."""
    allow_open_ingress: bool = False
    """Must be true to list 0.0.0.0/0 in inbound_cidrs, and only then. Default: false."""


class DemoWorkload(Construct):
    """The demo Deployment, Service, Ingress (ALB), PDB and HPA in a restricted namespace."""

    def __init__(self, scope: Construct, id: str, *, props: DemoWorkloadProps) -> None:
        super().__init__(scope, id)
        check_demo(self.node.path, props)
        require_kubectl_provider(
            self.node.path,
            "DemoWorkloadProps.cluster",
            props.cluster,
            "the demo is applied as a manifest",
        )
        self.manifest = pruned_manifest(
            self, "Manifest", props.cluster, demo_manifests(props), layer=Layer.WORKLOADS
        )


def check_demo(path: str, props: DemoWorkloadProps) -> None:
    """Refuse what the `workloads.demo` config refuses, naming the construct at `path`, the
    prop and the bad value. Deploy-time values (tokens) are left to CloudFormation."""
    at = "DemoWorkloadProps"
    if not Token.is_unresolved(props.image):
        check_prop(path, f"{at}.image", props.image, check_image)
    check_prop(path, f"{at}.namespace", props.namespace, check_tenant_namespace)
    for name, (low, high) in DEMO_COUNTS.items():
        check_prop(path, f"{at}.{name}", getattr(props, name), check_range, low, high)
    if props.replicas > props.max_replicas:
        raise PropError(
            path,
            f"{at}.replicas",
            props.replicas,
            f"more than max_replicas ({props.max_replicas}); raise max_replicas or lower replicas",
        )
    check_prop(path, f"{at}.scheme", props.scheme, check_choice, SCHEMES)
    if props.certificate_arn is not None and not Token.is_unresolved(props.certificate_arn):
        check_prop(path, f"{at}.certificate_arn", props.certificate_arn, check_certificate_arn)
    platforms = list(props.platforms)
    if not platforms:
        raise PropError(
            path, f"{at}.platforms", platforms, "must list amd64 and/or arm64, each once"
        )
    for index, platform in enumerate(platforms):
        check_prop(path, f"{at}.platforms[{index}]", platform, check_choice, PLATFORMS)
    check_prop(path, f"{at}.platforms", platforms, check_unique)
    _check_inbound_cidrs(path, props)


def _check_inbound_cidrs(path: str, props: DemoWorkloadProps) -> None:
    at = "DemoWorkloadProps"
    cidrs = list(props.inbound_cidrs)
    open_cidr = False
    unresolved = False
    for index, cidr in enumerate(cidrs):
        if Token.is_unresolved(cidr):
            unresolved = True
            continue
        check_prop(path, f"{at}.inbound_cidrs[{index}]", cidr, check_cidr)
        open_cidr |= is_open_cidr(cidr)
    check_prop(path, f"{at}.inbound_cidrs", cidrs, check_unique)
    if props.scheme == "internet-facing" and not cidrs:
        raise PropError(
            path,
            f"{at}.inbound_cidrs",
            cidrs,
            "empty, so the internet-facing ALB would accept 0.0.0.0/0; list the client "
            "CIDRs (0.0.0.0/0 needs allow_open_ingress=True)",
        )
    if open_cidr and not props.allow_open_ingress:
        raise PropError(
            path,
            f"{at}.inbound_cidrs",
            cidrs,
            "has 0.0.0.0/0; set allow_open_ingress=True to open the ALB to the whole "
            "internet on purpose, or list your own CIDRs",
        )
    if props.allow_open_ingress and not open_cidr and not unresolved:
        raise PropError(
            path,
            f"{at}.allow_open_ingress",
            True,
            "inbound_cidrs has no 0.0.0.0/0, so there is nothing to allow; remove it",
        )


def _labels() -> dict[str, str]:
    return dict(DEMO_POD_LABELS)


def _placement(platforms: Sequence[str]) -> dict[str, Any]:
    """Pod spec fields that keep pods on nodes of the image's architectures."""
    if len(platforms) == 1:
        return {"nodeSelector": {ARCH_LABEL: platforms[0]}}
    return {"affinity": required_node_affinity(ARCH_LABEL, platforms)}


def demo_manifests(props: DemoWorkloadProps) -> list[dict[str, Any]]:
    """Namespace, ServiceAccount, Deployment, Service, PDB, HPA and Ingress, in apply order."""
    ns = props.namespace
    labels = _labels()
    meta = {"name": APP, "namespace": ns, "labels": labels}
    probe = {
        "httpGet": {"path": HEALTH_PATH, "port": "http"},
        "periodSeconds": 10,
        "timeoutSeconds": 2,
    }
    container = {
        "name": APP,
        "image": props.image,
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "readinessProbe": {**probe, "initialDelaySeconds": 5, "failureThreshold": 3},
        "livenessProbe": {**probe, "initialDelaySeconds": 15, "failureThreshold": 3},
        "resources": {
            "requests": {"cpu": "250m", "memory": "256Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        # Node.js writes temporary files; the root filesystem is read-only.
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": props.replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "serviceAccountName": APP,
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        # uid of the `node` user in the official Node.js images.
                        "runAsUser": 1000,
                        "runAsGroup": 1000,
                        "fsGroup": 1000,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    **_placement(props.platforms),
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "topology.kubernetes.io/zone",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": labels},
                        }
                    ],
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }
    annotations = {
        "alb.ingress.kubernetes.io/scheme": props.scheme,
        # Pods are ALB targets directly (their VPC IPs), not node ports.
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/healthcheck-path": HEALTH_PATH,
    }
    if props.inbound_cidrs:
        annotations["alb.ingress.kubernetes.io/inbound-cidrs"] = ",".join(props.inbound_cidrs)
    if props.certificate_arn:
        annotations.update(
            {
                "alb.ingress.kubernetes.io/certificate-arn": props.certificate_arn,
                "alb.ingress.kubernetes.io/listen-ports": json.dumps(
                    [{"HTTP": 80}, {"HTTPS": 443}]
                ),
                "alb.ingress.kubernetes.io/ssl-redirect": "443",
            }
        )
    else:
        annotations["alb.ingress.kubernetes.io/listen-ports"] = json.dumps([{"HTTP": 80}])
    return [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": ns,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": meta,
            "automountServiceAccountToken": False,
        },
        deployment,
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {
                "type": "ClusterIP",
                "selector": labels,
                "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
            },
        },
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": meta,
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}},
        },
        {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "metadata": meta,
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": APP},
                "minReplicas": props.replicas,
                "maxReplicas": props.max_replicas,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {
                                "type": "Utilization",
                                "averageUtilization": props.target_cpu_utilization,
                            },
                        },
                    }
                ],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {**meta, "annotations": annotations},
            "spec": {
                "ingressClassName": "alb",
                "rules": [
                    {
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": APP, "port": {"name": "http"}}},
                                }
                            ]
                        }
                    }
                ],
            },
        },
    ]
