"""The security baseline as plain data, shared by the constructs that set it, the nag rules
that check templates for it, the review and `verify` that checks a live cluster for it.

cdk-free on purpose: the command-line tools import it without loading aws_cdk.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: The five control-plane log types, as EKS names them (AWS::EKS::Cluster Logging and
#: DescribeCluster `logging.clusterLogging[].types`).
CONTROL_PLANE_LOG_TYPES: tuple[str, ...] = (
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
)

#: The label every node of a managed node group carries, value the group's name: a stable
#: selector (the generated nodegroup name is a token) that verify also reads back.
NODE_GROUP_LABEL = "eks-blueprint/node-group"

#: Authentication mode of every cluster: access entries only, no aws-auth ConfigMap.
AUTHENTICATION_MODE = "API"

#: Selector labels of the Fargate profiles compute.fargate adds, which verify reads back:
#: the CoreDNS pods (the coredns add-on's Deployment in kube-system) ...
COREDNS_LABELS: Mapping[str, str] = MappingProxyType({"k8s-app": "kube-dns"})
#: ... and the Karpenter controller pods (the Helm chart's selector labels).
KARPENTER_LABELS: Mapping[str, str] = MappingProxyType({"app.kubernetes.io/name": "karpenter"})
