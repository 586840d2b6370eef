"""The address arithmetic of `plan ips`: what one node takes from its subnet in the VPC CNI
mode in use, and what a subnet can give.

A node's addresses (:func:`node_demand`) in the worst case, every pod slot the kubelet allows
taken (``max pods - 2`` pods with an address of their own; aws-node and kube-proxy use the
node's):

* every attached ENI has a primary address from the subnet;
* secondary IPs: with ``WARM_IP_TARGET`` / ``MINIMUM_IP_TARGET`` the CNI holds the pods'
  addresses plus the warm target (at least the minimum); otherwise (``WARM_ENI_TARGET``,
  default 1) it fills whole ENIs and keeps that many spare ENIs, all addresses allocated
  (docs/eni-and-ip-target.md of aws/amazon-vpc-cni-k8s);
* prefix delegation: /28 prefixes for the pods plus ``WARM_PREFIX_TARGET`` spare ones
  (default 1, as the add-on's manifest sets it), or, with ``WARM_IP_TARGET`` /
  ``MINIMUM_IP_TARGET``, prefixes for the pods plus the warm target, at least the minimum
  (docs/prefix-and-ip-target.md); ENIs are added only when the attached ones have no free
  prefix slot;
* custom networking: the node's subnet holds only the primary ENI's address; the pods'
  ENIs and addresses are in the ENIConfig subnets.

A subnet (:class:`SubnetBudget`) has its size minus the 5 addresses AWS reserves. A /28
prefix needs an aligned, wholly free /28 block, so where prefixes are in play the plan counts
fragmentation conservatively: only the blocks clear of the reserved addresses are usable, and
every individually assigned address (ENI primaries, endpoints, Fargate pods, load balancers)
is assumed to sit in a block of its own, making that whole block unusable for prefixes.

Pure Python: no ``aws_cdk``.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...instance_types import (
    HOST_NETWORK_PODS,
    IPS_PER_PREFIX,
    CniMode,
    InstanceType,
    cni_mode,
)

#: Addresses AWS reserves in every subnet: network, VPC router, DNS, future use, broadcast.
RESERVED_PER_SUBNET = 5
#: Defaults of the VPC CNI as its manifest (config/master/aws-k8s-cni.yaml, which the EKS
#: add-on follows) sets them when the add-on's configuration leaves them out.
DEFAULT_WARM_ENI_TARGET = 1
DEFAULT_WARM_PREFIX_TARGET = 1


@dataclass(frozen=True)
class CniSettings:
    """The VPC CNI settings that decide how many addresses a node takes."""

    prefix_delegation: bool = False
    custom_networking: bool = False
    warm_prefix_target: int | None = None
    warm_ip_target: int | None = None
    minimum_ip_target: int | None = None
    warm_eni_target: int | None = None
    pod_eni: bool = False
    """ENABLE_POD_ENI: security groups for pods (a trunk ENI per node)."""
    ipv6: bool = False
    """The cluster's IP family is IPv6: pods take IPv6 addresses, not the subnet's IPv4."""
    windows_prefix_delegation: bool = False
    """The add-on's ``enableWindowsPrefixDelegation``: Windows nodes take /28 prefixes."""
    source: str = "the VPC CNI's defaults"
    """Where the settings were read."""

    @property
    def mode(self) -> CniMode:
        return cni_mode(
            prefix_delegation=self.prefix_delegation, custom_networking=self.custom_networking
        )

    @property
    def ip_targets(self) -> bool:
        """WARM_IP_TARGET or MINIMUM_IP_TARGET is set (they override the ENI/prefix ones)."""
        return bool(self.warm_ip_target) or bool(self.minimum_ip_target)

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "ENABLE_PREFIX_DELEGATION": self.prefix_delegation,
            "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": self.custom_networking,
            "WARM_PREFIX_TARGET": self.warm_prefix_target,
            "WARM_IP_TARGET": self.warm_ip_target,
            "MINIMUM_IP_TARGET": self.minimum_ip_target,
            "WARM_ENI_TARGET": self.warm_eni_target,
            "ENABLE_POD_ENI": self.pod_eni,
            "ipv6": self.ipv6,
            "enableWindowsPrefixDelegation": self.windows_prefix_delegation,
            "source": self.source,
        }


def _env_int(env: Mapping[str, Any], key: str) -> int | None:
    value = env.get(key)
    try:
        return None if value is None else int(str(value))
    except ValueError:
        return None


def _env_bool(env: Mapping[str, Any], key: str) -> bool:
    return str(env.get(key, "false")).strip().lower() == "true"


def cni_settings(
    env: Mapping[str, Any],
    *,
    source: str,
    ipv6: bool = False,
    windows_prefix_delegation: bool = False,
) -> CniSettings:
    """The settings from the add-on's ``env`` map (``ConfigurationValues.env``)."""
    return CniSettings(
        prefix_delegation=_env_bool(env, "ENABLE_PREFIX_DELEGATION"),
        custom_networking=_env_bool(env, "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"),
        warm_prefix_target=_env_int(env, "WARM_PREFIX_TARGET"),
        warm_ip_target=_env_int(env, "WARM_IP_TARGET"),
        minimum_ip_target=_env_int(env, "MINIMUM_IP_TARGET"),
        warm_eni_target=_env_int(env, "WARM_ENI_TARGET"),
        pod_eni=_env_bool(env, "ENABLE_POD_ENI"),
        ipv6=ipv6,
        windows_prefix_delegation=windows_prefix_delegation,
        source=source,
    )


@dataclass(frozen=True)
class Demand:
    """Addresses taken from one subnet: single addresses and whole /28 prefixes."""

    individual: int = 0
    prefixes: int = 0

    @property
    def addresses(self) -> int:
        return self.individual + IPS_PER_PREFIX * self.prefixes

    def __add__(self, other: Demand) -> Demand:
        return Demand(self.individual + other.individual, self.prefixes + other.prefixes)

    def times(self, count: int) -> Demand:
        return Demand(self.individual * count, self.prefixes * count)

    def to_json(self) -> dict[str, int]:
        return {
            "individual": self.individual,
            "prefixes": self.prefixes,
            "addresses": self.addresses,
        }


@dataclass(frozen=True)
class NodeDemand:
    """One node at its max pods: what it takes from its own subnet, and (custom
    networking) from the ENIConfig subnet its pods use."""

    instance_type: str
    max_pods: int
    """The kubelet's max pods assumed (the setting found, or the default)."""
    pod_addresses: int
    """Pods with an address of their own: max pods - 2, at most what the ENIs allow."""
    enis: int
    mode: CniMode
    """The mode this node actually runs in (prefixes fall back to secondary IPs on types
    without prefix delegation)."""
    node_subnet: Demand
    pod_subnet: Demand
    """Custom networking: in the ENIConfig subnets; otherwise empty (all in node_subnet)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "instance_type": self.instance_type,
            "max_pods": self.max_pods,
            "pod_addresses": self.pod_addresses,
            "enis": self.enis,
            "mode": self.mode,
            "node_subnet": self.node_subnet.to_json(),
            "pod_subnet": self.pod_subnet.to_json(),
        }


def windows_node_demand(t: InstanceType, max_pods: int) -> NodeDemand:
    """The worst case of one Windows node of `t`: the VPC resource controller gives its pods
    secondary IPs of the primary ENI only (no other ENI, no custom networking, no prefixes
    unless ``enableWindowsPrefixDelegation``), so at most IPs per ENI - 1 pods, every one with
    an address (no host-network aws-node or kube-proxy pods on Windows), plus the node's own
    (EKS user guide, "Deploy Windows nodes on EKS clusters", considerations)."""
    pods = max(min(max_pods, t.ipv4_per_eni - 1), 0)
    return NodeDemand(
        instance_type=t.name,
        max_pods=max_pods,
        pod_addresses=pods,
        enis=1,
        mode="secondary-ip",
        node_subnet=Demand(individual=1 + pods),
        pod_subnet=Demand(),
    )


def node_demand(t: InstanceType, cni: CniSettings, max_pods: int) -> NodeDemand:
    """The worst case of one node of `t` whose kubelet allows `max_pods` (see the module)."""
    mode = cni_mode(
        prefix_delegation=cni.prefix_delegation and t.prefix_delegation,
        custom_networking=cni.custom_networking,
    )
    pod_enis = max(t.pod_enis(mode), 0)
    slots = max(t.ipv4_per_eni - 1, 1)
    capacity = t.eni_max_pods(mode) or HOST_NETWORK_PODS
    pod_addresses = 0 if cni.ipv6 else max(min(max_pods, capacity) - HOST_NETWORK_PODS, 0)
    warm_ip, minimum_ip = cni.warm_ip_target or 0, cni.minimum_ip_target or 0
    if pod_enis == 0 or cni.ipv6:
        enis, pods = 0, Demand()
    elif mode.endswith("prefix"):
        if cni.ip_targets:
            prefixes = math.ceil(max(pod_addresses + warm_ip, minimum_ip) / IPS_PER_PREFIX)
        else:
            warm = cni.warm_prefix_target or DEFAULT_WARM_PREFIX_TARGET
            prefixes = math.ceil(pod_addresses / IPS_PER_PREFIX) + warm
        prefixes = min(max(prefixes, 1), pod_enis * slots)
        enis = max(math.ceil(prefixes / slots), 1)
        pods = Demand(individual=enis, prefixes=prefixes)
    elif cni.ip_targets:
        wanted = min(max(pod_addresses + warm_ip, minimum_ip), pod_enis * slots)
        enis = max(math.ceil(wanted / slots), 1)
        pods = Demand(individual=enis + wanted)
    else:
        warm = cni.warm_eni_target if cni.warm_eni_target is not None else DEFAULT_WARM_ENI_TARGET
        enis = max(min(math.ceil(pod_addresses / slots) + warm, pod_enis), 1)
        pods = Demand(individual=enis * t.ipv4_per_eni)
    if cni.custom_networking:
        # The primary ENI (the node's address) stays in the node's subnet, without pods.
        node_subnet, pod_subnet = Demand(individual=1), pods
    elif pods == Demand():
        node_subnet, pod_subnet = Demand(individual=1), Demand()
    else:
        # The first ENI's primary address is the node's own.
        node_subnet, pod_subnet = pods, Demand()
    return NodeDemand(
        instance_type=t.name,
        max_pods=max_pods,
        pod_addresses=pod_addresses,
        enis=enis + (1 if cni.custom_networking else 0),
        mode=mode,
        node_subnet=node_subnet,
        pod_subnet=pod_subnet,
    )


@dataclass(frozen=True)
class SubnetBudget:
    """What one subnet can give, and whether a demand fits with a headroom."""

    cidr: str

    @property
    def size(self) -> int:
        return ipaddress.IPv4Network(self.cidr).num_addresses

    @property
    def available(self) -> int:
        """Addresses EC2 can assign: the size minus the 5 reserved."""
        return max(self.size - RESERVED_PER_SUBNET, 0)

    @property
    def prefix_blocks(self) -> int:
        """Aligned /28 blocks clear of the reserved addresses (the first block holds the
        network address and the next 3, the last one the broadcast address)."""
        return max(self.size // IPS_PER_PREFIX - 2, 0)

    def capacity(self, demand: Demand) -> int:
        """Addresses the subnet offers `demand`: all available ones without prefixes, else
        16 x the usable /28 blocks."""
        return self.available if demand.prefixes == 0 else IPS_PER_PREFIX * self.prefix_blocks

    @staticmethod
    def charged(demand: Demand) -> int:
        """Addresses `demand` makes unusable: its own, and with prefixes in the subnet a whole
        /28 block for each single address (the conservative fragmentation model)."""
        if demand.prefixes == 0:
            return demand.individual
        return IPS_PER_PREFIX * (demand.prefixes + demand.individual)

    def usable(self, demand: Demand, headroom_percent: float) -> int:
        """`capacity` minus the headroom, rounded down."""
        return math.floor(self.capacity(demand) * (1 - headroom_percent / 100))
