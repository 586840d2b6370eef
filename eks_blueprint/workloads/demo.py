"""DemoWorkload: `demo-nodejs-backend` from the EKS overview talk, hardened.

Manifests are plain Python dicts applied through one KubernetesManifest: no cdk8s
dependency (and its own jsii runtime), and one custom resource for the whole app. The dicts
come from `demo_manifests`, a pure function, so tests can validate them without synth.

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

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from aws_cdk import Token
from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from ..config.workloads import DEMO_NAMESPACE, DEMO_POD_LABELS

APP = "demo-nodejs-backend"
PORT = 3000
#: The only route the talk's image serves (its Express app has no `/`): probes and the ALB
#: health check use it, or every pod stays unready and every target unhealthy.
HEALTH_PATH = "/services/all"
#: The node label the scheduler matches `platforms` against.
ARCH_LABEL = "kubernetes.io/arch"
PLATFORMS = ("amd64", "arm64")


@dataclass(frozen=True, kw_only=True)
class DemoWorkloadProps:
    """The demo's settings."""

    cluster: eks.ICluster
    """The cluster (with a kubectl provider and the AWS Load Balancer Controller)."""
    image: str
    """Container image, e.g. public.ecr.aws/y7c9e1d2/joozero-repo:1.0."""
    namespace: str = DEMO_NAMESPACE
    """Namespace, created with Pod Security Standard `restricted`. Default: demo."""
    replicas: int = 3
    """Replicas and HPA minimum. Default: 3."""
    max_replicas: int = 10
    """HPA maximum. Default: 10."""
    target_cpu_utilization: int = 70
    """HPA CPU target in percent of requests. Default: 70."""
    scheme: Literal["internet-facing", "internal"] = "internal"
    """ALB scheme. Default: internal."""
    certificate_arn: str | None = None
    """ACM certificate: HTTPS on 443 and a redirect from 80. Default: HTTP only."""
    platforms: Sequence[Literal["amd64", "arm64"]] = ("amd64",)
    """CPU architectures the image runs on; pods go only to nodes of these
    (`kubernetes.io/arch`). Default: amd64, what the talk's image is built for."""
    inbound_cidrs: Sequence[str] = ()
    """Client CIDRs the ALB accepts (alb.ingress.kubernetes.io/inbound-cidrs). Required for
    internet-facing; for internal, pass the VPC CIDR (empty leaves the controller's default,
    0.0.0.0/0, reachable only from networks routed to the VPC). Default: none."""
    allow_open_ingress: bool = False
    """Must be true to list 0.0.0.0/0 in inbound_cidrs. Default: false."""


class DemoWorkload(Construct):
    """The demo Deployment, Service, Ingress (ALB), PDB and HPA in a restricted namespace."""

    def __init__(self, scope: Construct, id: str, *, props: DemoWorkloadProps) -> None:
        super().__init__(scope, id)
        if props.replicas < 1 or props.replicas > props.max_replicas:
            raise ValueError(
                f"replicas ({props.replicas}) must be between 1 and max_replicas "
                f"({props.max_replicas})"
            )
        _check_platforms_and_cidrs(props)
        self.manifest = eks.KubernetesManifest(
            self,
            "Manifest",
            cluster=props.cluster,
            manifest=demo_manifests(props),
            # Removing an object from the list deletes it from the cluster.
            prune=True,
        )


def _check_platforms_and_cidrs(props: DemoWorkloadProps) -> None:
    where = "DemoWorkload: DemoWorkloadProps"
    platforms = list(props.platforms)
    if not platforms or len(set(platforms)) != len(platforms):
        raise ValueError(
            f"{where}.platforms must list amd64 and/or arm64, each once; got {platforms}"
        )
    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown:
        raise ValueError(f"{where}.platforms: {unknown} are not amd64 or arm64")
    open_cidr = False
    for cidr in props.inbound_cidrs:
        if Token.is_unresolved(cidr):
            continue
        try:
            open_cidr |= ipaddress.IPv4Network(cidr, strict=True).prefixlen == 0
        except ValueError as exc:
            raise ValueError(
                f"{where}.inbound_cidrs: {cidr!r} is not an IPv4 CIDR ({exc})"
            ) from None
    if props.scheme == "internet-facing" and not props.inbound_cidrs:
        raise ValueError(
            f"{where}.inbound_cidrs is empty, so the internet-facing ALB would accept "
            "0.0.0.0/0; list the client CIDRs (0.0.0.0/0 needs allow_open_ingress=True)"
        )
    if open_cidr and not props.allow_open_ingress:
        raise ValueError(
            f"{where}.inbound_cidrs has 0.0.0.0/0; set allow_open_ingress=True to open the "
            "ALB to the whole internet on purpose"
        )


def _labels() -> dict[str, str]:
    return dict(DEMO_POD_LABELS)


def _placement(platforms: Sequence[str]) -> dict[str, Any]:
    """Pod spec fields that keep pods on nodes of the image's architectures."""
    if len(platforms) == 1:
        return {"nodeSelector": {ARCH_LABEL: platforms[0]}}
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": ARCH_LABEL, "operator": "In", "values": list(platforms)}
                            ]
                        }
                    ]
                }
            }
        }
    }


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
