"""Pod density with VPC CNI prefix delegation, and the node settings that apply it.

With prefix delegation (ENABLE_PREFIX_DELEGATION, on in this project's vpc-cni add-on) each
ENI slot holds a /28 prefix of 16 addresses on Nitro instances, so a node can hold far more
pods than the secondary-IP formula `ENIs x (IPs per ENI - 1) + 2`. The EKS recommendation
with prefixes (EKS user guide, "Assign more IP addresses to Amazon EKS nodes with
prefixes", and the max-pods calculator) is min(ENIs x (IPs per ENI - 1) x 16 + 2, 110 below
30 vCPUs, else 250); instances that are not Nitro-based keep individual secondary IPs.

Who applies it:

* EKS managed node groups on EKS AMIs compute that value themselves when the vpc-cni
  add-on (v1.9+) has prefix delegation on before the group is created (the Addons construct
  orders it so), so `ManagedNodeGroups` sets nothing by default; an explicit
  `NodeGroupSpec.max_pods` goes into the launch template's user data (`max_pods_user_data`).
* Karpenter computes pod capacity from ENI limits unless the EC2NodeClass sets
  `kubelet.maxPods`: the Karpenter construct sets 110 and keeps its NodePools to instances
  that can hold 110 pods with prefixes (Nitro, not the `nano`..`medium` sizes, not g4ad).

`max_pods_with_prefixes` answers None where it cannot promise a value (tiny sizes, metal,
Xen families, types with fewer ENIs than their size suggests); the capacity model then
assumes 110, which reserves the most memory and so errs on the safe side.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

#: Kubernetes' recommended pod limit below 30 vCPUs, and the EKS limit above.
SMALL_NODE_MAX_PODS = 110
LARGE_NODE_MAX_PODS = 250
LARGE_NODE_VCPUS = 30

#: Families on the Xen hypervisor: no prefix delegation (EC2 instance types, "Instances
#: built on the Nitro System" lists the others).
XEN_FAMILIES = frozenset(
    {"c1", "c3", "c4", "d2", "f1", "g2", "g3", "g3s", "h1", "i2", "i3", "m1", "m2", "m3",
     "m4", "p2", "p3", "r3", "r4", "t1", "t2", "x1", "x1e"}
)  # fmt: skip
#: Nitro families whose sizes have fewer ENIs than their size suggests: g4ad.xlarge and
#: .2xlarge have 2 ENIs of 4 addresses (98 pods with prefixes).
FEWER_ENI_FAMILIES = frozenset({"g4ad"})
#: Burstable families whose small and medium sizes have 3 ENIs (t3.small: 3 x 4 addresses,
#: t4g.medium: 3 x 6): enough for 110 pods. t3a.small has only 2 ENIs.
_THREE_ENI_SMALL = frozenset({"t3.small", "t3.medium", "t3a.medium", "t4g.small", "t4g.medium"})
_SIZE = re.compile(r"^(?:(\d+)x)?large$")


def instance_vcpus(instance_type: str) -> int | None:
    """vCPUs of a `large`-or-bigger size (large 2, xlarge 4, Nxlarge 4N), None otherwise
    (and for the hpc families, whose sizes do not follow the pattern)."""
    family, _, size = instance_type.partition(".")
    if family.startswith("hpc"):
        return None
    if size == "xlarge":
        return 4
    match = _SIZE.match(size)
    if match is None:
        return None
    return 4 * int(match.group(1)) if match.group(1) else 2


def max_pods_with_prefixes(instance_type: str) -> int | None:
    """The EKS-recommended max pods for one instance type with prefix delegation, or None
    where this module cannot promise at least 110 (see the module docstring)."""
    family = instance_type.partition(".")[0]
    if family in XEN_FAMILIES or family in FEWER_ENI_FAMILIES:
        return None
    if instance_type in _THREE_ENI_SMALL:
        return SMALL_NODE_MAX_PODS
    vcpus = instance_vcpus(instance_type)
    if vcpus is None:
        return None
    return LARGE_NODE_MAX_PODS if vcpus >= LARGE_NODE_VCPUS else SMALL_NODE_MAX_PODS


def group_max_pods(instance_types: Iterable[str]) -> int | None:
    """The max pods EKS gives nodes of a managed node group with these types: the smallest
    of theirs, or None when any type has no known value."""
    values = [max_pods_with_prefixes(t) for t in instance_types]
    if not values or any(v is None for v in values):
        return None
    return min(v for v in values if v is not None)


#: Karpenter instance sizes that may not reach SMALL_NODE_MAX_PODS with prefixes; NodePools
#: whose EC2NodeClass sets maxPods exclude them, Xen instances and FEWER_ENI_FAMILIES.
SIZES_BELOW_MAX_PODS: tuple[str, ...] = ("nano", "micro", "small", "medium")

_BOUNDARY = "==EKSBLUEPRINT=="


def max_pods_user_data(family: Literal["al2023", "bottlerocket"], max_pods: int) -> str:
    """Launch-template user data that sets the kubelet's max pods, in the form EKS merges
    with its own bootstrap for a managed node group: a MIME multipart document with a
    nodeadm NodeConfig part for AL2023, TOML settings for Bottlerocket."""
    if family == "bottlerocket":
        return f"[settings.kubernetes]\nmax-pods = {max_pods}\n"
    return (
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="{_BOUNDARY}"\n'
        "\n"
        f"--{_BOUNDARY}\n"
        "Content-Type: application/node.eks.aws\n"
        "\n"
        "---\n"
        "apiVersion: node.eks.aws/v1alpha1\n"
        "kind: NodeConfig\n"
        "spec:\n"
        "  kubelet:\n"
        "    config:\n"
        f"      maxPods: {max_pods}\n"
        "\n"
        f"--{_BOUNDARY}--\n"
    )
