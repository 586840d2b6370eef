"""DemoWorkload: `demo-nodejs-backend` from the EKS overview talk, hardened.

Manifests are plain Python dicts applied through one KubernetesManifest: no cdk8s
dependency (and its own jsii runtime), and one custom resource for the whole app. The dicts
come from `demo_manifests`, a pure function, so tests can validate them without synth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from aws_cdk import aws_eks_v2 as eks
from constructs import Construct

from ..config.workloads import DEMO_NAMESPACE

APP = "demo-nodejs-backend"
PORT = 3000
#: The only route the talk's image serves (its Express app has no `/`): probes and the ALB
#: health check use it, or every pod stays unready and every target unhealthy.
HEALTH_PATH = "/services/all"


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


class DemoWorkload(Construct):
    """The demo Deployment, Service, Ingress (ALB), PDB and HPA in a restricted namespace."""

    def __init__(self, scope: Construct, id: str, *, props: DemoWorkloadProps) -> None:
        super().__init__(scope, id)
        if props.replicas < 1 or props.replicas > props.max_replicas:
            raise ValueError(
                f"replicas ({props.replicas}) must be between 1 and max_replicas "
                f"({props.max_replicas})"
            )
        self.manifest = eks.KubernetesManifest(
            self,
            "Manifest",
            cluster=props.cluster,
            manifest=demo_manifests(props),
            # Removing an object from the list deletes it from the cluster.
            prune=True,
        )


def _labels() -> dict[str, str]:
    return {"app.kubernetes.io/name": APP, "app.kubernetes.io/part-of": "eks-blueprint-demo"}


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
