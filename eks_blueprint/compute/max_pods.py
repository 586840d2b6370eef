"""Pod density with VPC CNI prefix delegation, and the node settings that apply it.

With prefix delegation (ENABLE_PREFIX_DELEGATION, on in this project's vpc-cni add-on) each
ENI address slot holds a /28 prefix of 16 addresses on Nitro instances, so a node can hold
far more pods than the secondary-IP formula `ENIs x (IPs per ENI - 1) + 2`. The value EKS
recommends (its max-pods calculator) is min(ENIs x (IPs per ENI - 1) x 16 + 2, 110 up to
30 vCPUs, else 250); instances without prefix delegation keep individual secondary IPs.
The numbers come from the instance type table (:mod:`eks_blueprint.instance_types`, the VPC
CNI's own limits), so they are exact per type: m7g.xlarge 110, m5.8xlarge 250, m6g.medium
98 (2 ENIs of 4 addresses).

Who applies it, when the CNI delegates prefixes:

* `ManagedNodeGroups` writes the group's value (the smallest of its instance types) into
  the launch template's user data: Bottlerocket settings (`[settings.kubernetes]
  max-pods`) or an AL2023 nodeadm NodeConfig (`spec.kubelet.config.maxPods`) in a MIME
  multi-part document, both merged by EKS with its own bootstrap (`max_pods_user_data`).
  The AL2023 NodeConfig also sets `kubeReserved.memory` for that value: nodeadm computes
  its reservation (11 MiB x max pods + 255 MiB) from its OWN secondary-IP max pods even
  when `spec.kubelet.config` sets maxPods, so 110 pods on an m5.large (29 by ENIs) would
  otherwise reserve 574 MiB instead of 1465 MiB. Bottlerocket derives its reservation
  from `max-pods` itself.
  EKS would compute the same value itself only if the vpc-cni add-on had prefix delegation
  on before the group was created; writing it makes the value independent of that order
  and visible in the template. An explicit `NodeGroupSpec.max_pods` wins (within EKS's
  managed-node-group ceiling, `managed_max_pods_ceiling`); a type the table does not list
  leaves the value to EKS.
* Karpenter computes pod capacity from ENI limits (secondary IPs) unless the EC2NodeClass
  sets `kubelet.maxPods` (karpenter.k8s.aws/v1 moved kubelet settings to the
  EC2NodeClass): the Karpenter construct sets, per class, the smallest value among the
  instance types its NodePools may launch (`node_class_max_pods`), and the pools keep to
  instances that hold at least 110 pods with prefixes (Nitro, not the `nano`..`medium`
  sizes, not g4ad).

With VPC CNI custom networking (pods in the ENIConfig subnets) the node's primary ENI
carries no pod address, so every value here is computed with one ENI fewer
(`custom_networking=True`; :data:`eks_blueprint.instance_types.CniMode`
"custom-networking+prefix"): m5.large holds 110 pods either way, m6g.medium 50 instead of
98 (1 ENI of 4 addresses for pods).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from ..instance_types import (
    LARGE_NODE_MAX_PODS,
    SMALL_NODE_MAX_PODS,
    CniMode,
    instance_type,
    matching_types,
)

__all__ = [
    "FEWER_ENI_FAMILIES",
    "LARGE_NODE_MAX_PODS",
    "MANAGED_LARGE_NODE_MIN_VCPUS",
    "SIZES_BELOW_MAX_PODS",
    "SMALL_NODE_MAX_PODS",
    "group_max_pods",
    "kube_reserved_memory_mib",
    "managed_max_pods_ceiling",
    "max_pods_user_data",
    "max_pods_with_prefixes",
    "node_class_max_pods",
    "node_max_pods",
    "prefix_pool_requirements",
]

#: Nitro families whose sizes have fewer ENIs than their size suggests: g4ad.xlarge and
#: .2xlarge have 2 ENIs of 4 addresses (98 pods with prefixes).
FEWER_ENI_FAMILIES = frozenset({"g4ad"})
#: Karpenter instance sizes that may not reach SMALL_NODE_MAX_PODS with prefixes; NodePools
#: whose EC2NodeClass sets maxPods exclude them, Xen instances and FEWER_ENI_FAMILIES.
SIZES_BELOW_MAX_PODS: tuple[str, ...] = ("nano", "micro", "small", "medium")
#: EKS managed node groups refuse a maxPods above SMALL_NODE_MAX_PODS on instances with
#: fewer vCPUs than this, above LARGE_NODE_MAX_PODS on the others (EKS user guide,
#: cni-increase-ip-addresses-procedure: "Managed node groups enforces a maximum number on
#: the value of maxPods"). The calculator's 250 starts at 31 (LARGE_NODE_MIN_VCPUS); no
#: type of the table has exactly 30 vCPUs.
MANAGED_LARGE_NODE_MIN_VCPUS = 30


def prefix_pool_requirements() -> list[dict[str, Any]]:
    """The NodePool requirements that keep a pool to instances holding at least
    SMALL_NODE_MAX_PODS pods with prefixes: Nitro (prefixes exist there only), no size in
    SIZES_BELOW_MAX_PODS, no family in FEWER_ENI_FAMILIES. The Karpenter construct adds them
    to every pool whose EC2NodeClass sets maxPods; :func:`node_class_max_pods` falls back on
    them. A new list each call (it goes into a manifest)."""
    return [
        {"key": "karpenter.k8s.aws/instance-hypervisor", "operator": "In", "values": ["nitro"]},
        {
            "key": "karpenter.k8s.aws/instance-size",
            "operator": "NotIn",
            "values": list(SIZES_BELOW_MAX_PODS),
        },
        {
            "key": "karpenter.k8s.aws/instance-family",
            "operator": "NotIn",
            "values": sorted(FEWER_ENI_FAMILIES),
        },
    ]


def max_pods_with_prefixes(name: str) -> int | None:
    """The EKS-recommended max pods of instance type `name` with prefix delegation, from
    the table; None where the table does not list the type or the type gets no prefixes
    (Xen)."""
    found = instance_type(name)
    return None if found is None else found.max_pods("prefix")


def node_max_pods(
    name: str, *, prefix_delegation: bool = True, custom_networking: bool = False
) -> int | None:
    """The max pods of one node of `name` with a VPC CNI that does (not) delegate
    prefixes: prefixes where the type supports them, secondary IPs otherwise (the CNI's
    fallback); with custom networking the primary ENI holds no pod address, so one ENI
    fewer counts. None where the table does not list the type."""
    found = instance_type(name)
    return (
        None
        if found is None
        else found.effective_max_pods(
            prefix_delegation=prefix_delegation, custom_networking=custom_networking
        )
    )


def group_max_pods(
    instance_types: Iterable[str],
    *,
    prefix_delegation: bool = True,
    custom_networking: bool = False,
) -> int | None:
    """The max pods of a managed node group with these types: the smallest of theirs (a
    launch template sets one value for every node), None when any type is not in the
    table (or there is none)."""
    values = [
        node_max_pods(t, prefix_delegation=prefix_delegation, custom_networking=custom_networking)
        for t in instance_types
    ]
    if not values or any(v is None for v in values):
        return None
    return min(v for v in values if v is not None)


def managed_max_pods_ceiling(instance_types: Iterable[str]) -> tuple[int, str, int] | None:
    """The highest maxPods EKS accepts on a managed node group of these types, as
    (ceiling, the type that sets it, its vCPUs): the type with the fewest vCPUs among those
    the table lists (below MANAGED_LARGE_NODE_MIN_VCPUS: SMALL_NODE_MAX_PODS, else
    LARGE_NODE_MAX_PODS). None when the table lists none of them."""
    known = [t for t in (instance_type(name) for name in instance_types) if t is not None]
    if not known:
        return None
    smallest = min(known, key=lambda t: t.vcpus)
    ceiling = (
        LARGE_NODE_MAX_PODS
        if smallest.vcpus >= MANAGED_LARGE_NODE_MIN_VCPUS
        else SMALL_NODE_MAX_PODS
    )
    return ceiling, smallest.name, smallest.vcpus


def kube_reserved_memory_mib(max_pods: int) -> int:
    """The kubelet's kubeReserved memory (MiB) nodeadm gives a node of `max_pods`
    (awslabs/amazon-eks-ami nodeadm/internal/kubelet/config.go,
    getMemoryMebibytesToReserve: 11 x maxPods + 255)."""
    return 11 * max_pods + 255


def node_class_max_pods(
    pool_requirements: Iterable[Iterable[Mapping[str, Any]]], *, custom_networking: bool = False
) -> int:
    """The kubelet maxPods for an EC2NodeClass with prefix delegation: the smallest
    prefix-delegation value among the table's types that the NodePools using the class
    (their `spec.template.spec.requirements`) may launch; with `custom_networking`, the
    value without the primary ENI (mode "custom-networking+prefix").

    Without a pool yet, or when no pool matches a type of the table, the pools' common
    constraints decide (Nitro, no size below large, not FEWER_ENI_FAMILIES: every pool with
    prefix delegation carries them). Types without prefixes are ignored: the pools exclude
    them (instance-hypervisor In nitro).
    """
    mode: CniMode = "custom-networking+prefix" if custom_networking else "prefix"
    values = [
        value
        for requirements in pool_requirements
        for t in matching_types(requirements).types
        if (value := t.max_pods(mode)) is not None
    ]
    if not values:
        # Without a pool to go by, types whose only ENI is the primary (hpc6id.32xlarge on
        # its default network card) are left out in custom networking: they hold no pod at
        # all, and no usual pool (instance categories c, m, r...) launches them.
        values = [
            value
            for t in matching_types(prefix_pool_requirements()).types
            if (value := t.max_pods(mode)) is not None and t.pod_enis(mode) > 0
        ]
    return min(values) if values else SMALL_NODE_MAX_PODS


_BOUNDARY = "==EKSBLUEPRINT=="


def max_pods_user_data(family: Literal["al2023", "bottlerocket"], max_pods: int) -> str:
    """Launch-template user data that sets the kubelet's max pods, in the form EKS merges
    with its own bootstrap for a managed node group: a MIME multipart document with a
    nodeadm NodeConfig part for AL2023, TOML settings for Bottlerocket.

    The NodeConfig also sets `kubeReserved.memory` for `max_pods`
    (:func:`kube_reserved_memory_mib`): nodeadm writes `spec.kubelet.config` as a kubelet
    drop-in over its own config, whose kubeReserved memory follows nodeadm's ENI-based max
    pods, not this one. The kubelet merges a drop-in as a JSON merge patch (RFC 7386:
    map keys one by one), so nodeadm's `cpu` and `ephemeral-storage` reservations, which
    it computes per node from the node's own cores, stay as they are."""
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
        "      kubeReserved:\n"
        f"        memory: {kube_reserved_memory_mib(max_pods)}Mi\n"
        "\n"
        f"--{_BOUNDARY}--\n"
    )
