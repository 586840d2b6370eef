"""The defaults of the compute specs, written once: the spec dataclasses
(`NodeGroupSpec`, `NodePoolSpec`, `NodeClassSpec`, `KarpenterProps`) and the configuration
models (`eks_blueprint.config.compute`) both take them from here, so a library user and a
YAML file get the same cluster from the same omissions.

cdk-free: the configuration models import it without loading aws_cdk.
"""

from __future__ import annotations

# -- managed node groups ----------------------------------------------------------------

#: Node counts of a group: two nodes, so one can be replaced or lost without an outage,
#: and room to double for a rolling update or a burst.
MIN_SIZE = 2
DESIRED_SIZE = 2
MAX_SIZE = 4
#: Encrypted gp3 root (AL2023) or data (Bottlerocket) volume, GiB.
DISK_SIZE_GIB = 50
#: Share of a group's nodes replaced at once during an update.
MAX_UNAVAILABLE_PERCENTAGE = 33
#: IMDSv2 hop limit: 1 keeps pods from reaching the node role's credentials.
IMDS_HOP_LIMIT = 1

# -- Karpenter ----------------------------------------------------------------------------

#: Helm chart version of the Karpenter controller and its CRDs.
KARPENTER_VERSION = "1.8.1"
#: Namespace, replicas (leader election) and requests (= limits) of the controller.
KARPENTER_NAMESPACE = "kube-system"
KARPENTER_REPLICAS = 2
KARPENTER_CPU = "1"
KARPENTER_MEMORY = "1Gi"
#: Name of the default EC2NodeClass, and of the class a NodePool uses by default.
NODE_CLASS = "default"
#: Name of the default NodePool.
NODE_POOL = "default"
#: The AMI of the default EC2NodeClass: a pinned AL2023 release, so new AMIs arrive by a
#: reviewed deploy (`al2023@latest` would follow every release).
AMI_ALIAS = "al2023@v20251112"
#: NodePool requirements.
CAPACITY_TYPES: tuple[str, ...] = ("on-demand",)
ARCHITECTURES: tuple[str, ...] = ("amd64", "arm64")
INSTANCE_CATEGORIES: tuple[str, ...] = ("c", "m", "r")
MIN_INSTANCE_GENERATION = 5
#: NodePool limits: a cost ceiling of 100 vCPUs and 400 GiB (a pool without limits could
#: spend without bound).
CPU_LIMIT = 100
MEMORY_LIMIT = "400Gi"
#: NodePool disruption.
CONSOLIDATION_POLICY = "WhenEmptyOrUnderutilized"
CONSOLIDATE_AFTER = "1m"
EXPIRE_AFTER = "720h"
