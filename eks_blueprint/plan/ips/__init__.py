"""`plan ips`: max pods per node in each VPC CNI mode, the worst-case node count, and the
addresses it needs per subnet and AZ against what the subnets hold.

``plan_ips(inputs, headroom_percent=None)`` reads the environment's templates
(:mod:`.read`) and the instance type table (:mod:`eks_blueprint.instance_types`):

1. **Mode**: the vpc-cni add-on's ``ConfigurationValues`` (prefix delegation, warm and
   minimum targets, custom networking).
2. **Max pods** of every instance type in play: each node group's types, each NodePool's
   smallest and largest candidate (its requirements evaluated against the table), in the
   secondary-IP, prefix and custom-networking modes; and the kubelet's value in use (the
   launch template's user data, the EC2NodeClass's ``kubelet.maxPods``, else the default:
   EKS's value for node groups, Karpenter's ENI-based one for NodePools).
3. **Worst-case nodes**: node groups at their maximum size; a NodePool at its CPU limit
   divided by the vCPUs of the candidate that needs the most addresses that way (in
   practice the smallest); Fargate pods bounded by the replicas of the platform pods it
   runs and the pod quota of the tenant namespaces it selects.
4. **Addresses per subnet**: each node at its max pods (:mod:`.addresses`), spread evenly
   over the subnets its capacity may use (node groups: their ``Subnets``; Karpenter: the
   EC2NodeClass's ``subnetSelectorTerms``, narrowed by a zone requirement), plus interface
   endpoints, NAT gateways, EFS mount targets, the control plane's interfaces and load
   balancers; against the subnet's addresses (size - 5, or usable /28 blocks where prefixes
   are in play) minus the headroom (``network.ip_headroom_percent`` or ``--headroom``).

A subnet whose worst case exceeds what it holds after the headroom blocks the plan
(``subnet-capacity``), naming the subnet, AZ, numbers and fixes. ``data``: ``mode``,
``cni``, ``headroom_percent``, ``capacity`` (per node group, NodePool and Fargate profile:
max pods per mode, nodes, addresses per node), ``subnets`` and ``azs`` (needed vs
available), ``totals`` and ``instance_table`` (its source and date).

Pure Python: no ``aws_cdk``.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ...config.network import check_ip_headroom
from ...instance_types import (
    CNI_MODES,
    CniMode,
    InstanceType,
    RequirementError,
    instance_table,
    instance_type,
    matching_types,
)
from ..inputs import PlanInputError, PlanInputs
from ..model import Finding, PlanReport, markdown_table
from .addresses import (
    CniSettings,
    Demand,
    NodeDemand,
    SubnetBudget,
    node_demand,
    windows_node_demand,
)
from .read import (
    ELB_TAG,
    INTERNAL_ELB_TAG,
    FargateProfile,
    NodeGroup,
    NodePool,
    Subnet,
    TemplateFacts,
    karpenter_subnets,
    pod_subnets,
    read_templates,
)

__all__ = ["ALB_ADDRESSES_PER_SUBNET", "plan_ips"]

#: Addresses an Application Load Balancer needs free in each of its subnets (Elastic Load
#: Balancing: "at least 8 free IP addresses"); an NLB takes 1.
ALB_ADDRESSES_PER_SUBNET = 8
NLB_ADDRESSES_PER_SUBNET = 1
#: Karpenter's controller replicas when the chart values say none (the chart's default).
DEFAULT_KARPENTER_REPLICAS = 2
#: The three modes every capacity is shown in (the fourth, custom networking with prefixes,
#: only when the environment runs it).
SHOWN_MODES = CNI_MODES[:3]


@dataclass
class Capacity:
    """One source of addresses: a node group, a NodePool or a Fargate profile."""

    kind: str
    name: str
    nodes: int
    """Worst-case nodes (Fargate: pods, one address each)."""
    how: str
    subnets: tuple[Subnet, ...]
    per_subnet: Demand
    """What it takes in each of its subnets."""
    shown_types: list[InstanceType] = field(default_factory=list)
    kubelet_max_pods: dict[str, int] = field(default_factory=dict)
    node: NodeDemand | None = None
    elsewhere: Demand = field(default_factory=Demand)
    """Custom networking: what its pods take in the ENIConfig subnets, in total."""
    fix: str = ""
    windows: bool = False
    """Windows nodes: one ENI, its secondary IPs (the Linux CNI modes do not apply)."""

    def to_json(self, mode: CniMode) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "nodes": self.nodes,
            "how": self.how,
            "subnets": [s.logical_id for s in self.subnets],
            "per_subnet": self.per_subnet.to_json(),
            "max_pods": {
                t.name: {"windows": {"max_pods": t.ipv4_per_eni - 1}}
                if self.windows
                else {
                    m: {"max_pods": t.max_pods(m), "eni_limit": t.eni_max_pods(m)}
                    for m in (*SHOWN_MODES, *([mode] if mode not in SHOWN_MODES else []))
                }
                for t in self.shown_types
            },
            "windows": self.windows,
            "kubelet_max_pods": dict(self.kubelet_max_pods),
            "node": None if self.node is None else self.node.to_json(),
            "elsewhere": self.elsewhere.to_json(),
        }


@dataclass
class SubnetLoad:
    subnet: Subnet
    lines: list[tuple[str, Demand]] = field(default_factory=list)

    @property
    def demand(self) -> Demand:
        total = Demand()
        for _, demand in self.lines:
            total = total + demand
        return total


def _headroom(inputs: PlanInputs, value: float | None) -> float:
    if value is None:
        return inputs.config.network.ip_headroom_percent
    try:
        return check_ip_headroom(value)
    except ValueError as exc:
        raise PlanInputError(f"--headroom {value:g}: {exc}") from None


def _spread(count: int, subnets: Sequence[Subnet]) -> int:
    """Per subnet, when `count` spread evenly over `subnets` (rounded up)."""
    return math.ceil(count / len(subnets)) if subnets else 0


def _charge(demand: NodeDemand) -> int:
    """One node's addresses as the subnet check counts them (fragmentation included)."""
    return SubnetBudget.charged(demand.node_subnet) + demand.pod_subnet.addresses


def _group_index(inputs: PlanInputs, group: NodeGroup) -> str:
    """The config path of a node group (managed or self-managed), or a description."""
    compute = inputs.config.compute
    key = "self_managed_node_groups" if group.self_managed else "node_groups"
    names = [
        g.name
        for g in (compute.self_managed_node_groups if group.self_managed else compute.node_groups)
    ]
    if group.name in names:
        return f"compute.{key}[{names.index(group.name)}]"
    return f"{_kind(group)} {group.name}"


def _kind(group: NodeGroup) -> str:
    return "self-managed group" if group.self_managed else "node group"


def _pool_index(inputs: PlanInputs, name: str) -> int | None:
    karpenter = inputs.config.compute.karpenter
    for index, pool in enumerate(karpenter.node_pools if karpenter else []):
        if pool.name == name:
            return index
    return None


def _node_group(
    inputs: PlanInputs, group: NodeGroup, cni: CniSettings, findings: list[Finding]
) -> Capacity | None:
    kind = _kind(group)
    known = [t for t in (instance_type(n) for n in group.instance_types) if t is not None]
    unknown = [n for n in group.instance_types if instance_type(n) is None]
    if unknown:
        findings.append(
            Finding(
                "instance-type-unknown",
                "warn",
                f"{kind} {group.name}: {', '.join(unknown)} not in the instance type table; "
                "its nodes are counted with the group's other types only"
                + ("" if known else " (none: the group is left out)"),
                "rebuild the table with scripts/refresh_instance_types.py",
            )
        )
    if not known or group.max_size is None:
        return None
    if group.windows and cni.windows_prefix_delegation:
        findings.append(
            Finding(
                "windows-not-modelled",
                "warn",
                f"{kind} {group.name}: Windows nodes with prefix delegation "
                "(enableWindowsPrefixDelegation) are not modelled; its "
                f"{group.max_size} nodes' addresses are left out of the subnet check",
                "check the subnets' free /28 blocks for those nodes by hand",
            )
        )
        return None
    where = _group_index(inputs, group)
    if group.windows:
        # One ENI, its secondary IPs: IPs per ENI - 1 pods (the Windows AMI's bootstrap
        # sets that as max pods); a lower max pods in the user data wins.
        eni_pods = min(t.ipv4_per_eni - 1 for t in known)
        kubelet = eni_pods if group.max_pods is None else min(group.max_pods, eni_pods)
        source = "Windows: IPs per ENI - 1 of the group's smallest type"
        worst = max((windows_node_demand(t, kubelet) for t in known), key=_charge)
    else:
        if group.max_pods is not None:
            kubelet, source = group.max_pods, "launch template user data"
        else:
            kubelet = min(
                t.effective_max_pods(
                    prefix_delegation=cni.prefix_delegation,
                    custom_networking=cni.custom_networking,
                )
                for t in known
            )
            source = (
                "the AMI's default for the group's smallest type"
                if group.self_managed
                else "EKS's value for the group's smallest type"
            )
        worst = max((node_demand(t, cni, kubelet) for t in known), key=_charge)
    per = _spread(group.max_size, group.subnets)
    return Capacity(
        kind=kind,
        name=group.name,
        nodes=group.max_size,
        how=f"max size {group.max_size}; kubelet max pods {kubelet} ({source})",
        subnets=group.subnets,
        per_subnet=worst.node_subnet.times(per),
        shown_types=known,
        kubelet_max_pods={t.name: kubelet for t in known},
        node=worst,
        elsewhere=worst.pod_subnet.times(group.max_size),
        fix=f"a smaller {where}.size.max",
        windows=group.windows,
    )


def _pool_kubelet(t: InstanceType, max_pods: int | None, pods_per_core: int | None) -> int:
    """The kubelet max pods Karpenter gives a node of `t`: the EC2NodeClass's maxPods, else
    its ENI-based default (secondary IPs), and no more than podsPerCore x vCPUs."""
    value = max_pods if max_pods is not None else t.eni_max_pods("secondary-ip") or 0
    return min(value, pods_per_core * t.vcpus) if pods_per_core else value


def _node_pool(
    inputs: PlanInputs,
    facts: TemplateFacts,
    pool: NodePool,
    cni: CniSettings,
    findings: list[Finding],
) -> Capacity | None:
    node_class = facts.node_classes.get(pool.node_class)
    if node_class is None:
        findings.append(
            Finding(
                "nodepool-unresolved",
                "warn",
                f"NodePool {pool.name}: its EC2NodeClass {pool.node_class!r} is not in the "
                "templates; the pool is left out",
            )
        )
        return None
    if pool.cpu_limit is None:
        findings.append(
            Finding(
                "nodepool-unbounded",
                "warn",
                f"NodePool {pool.name} has no limits.cpu: its node count, and the addresses "
                "they take, have no bound; the pool is left out of the subnet check",
                f"set a CPU limit on NodePool {pool.name}",
            )
        )
        return None
    try:
        match = matching_types(pool.requirements)
    except RequirementError as exc:
        findings.append(
            Finding("nodepool-unresolved", "warn", f"NodePool {pool.name}: {exc}; left out")
        )
        return None
    if match.unevaluated:
        findings.append(
            Finding(
                "nodepool-requirements",
                "info",
                f"NodePool {pool.name}: requirements on {', '.join(match.unevaluated)} are not "
                "in the instance type table and were ignored (more candidate types: the worst "
                "case can only grow)",
            )
        )
    candidates = list(match.types)
    if not candidates:
        findings.append(
            Finding(
                "nodepool-unresolved",
                "warn",
                f"NodePool {pool.name}: no instance type of the table meets its requirements; "
                "left out",
                "check the requirements, or rebuild the table (scripts/refresh_instance_types.py)",
            )
        )
        return None
    limit = pool.cpu_limit

    def nodes_of(t: InstanceType) -> int:
        return math.ceil(limit / Decimal(t.vcpus))

    def kubelet(t: InstanceType) -> int:
        return _pool_kubelet(t, node_class.max_pods, node_class.pods_per_core)

    demands = {t.name: node_demand(t, cni, kubelet(t)) for t in candidates}
    # The first (by name: candidates are sorted) of the types that need the most.
    worst_type = max(candidates, key=lambda t: (nodes_of(t) * _charge(demands[t.name]), -t.vcpus))
    worst, nodes = demands[worst_type.name], nodes_of(worst_type)
    smallest = min(candidates, key=lambda t: (t.vcpus, t.memory_mib, t.name))
    largest = max(candidates, key=lambda t: (t.vcpus, t.memory_mib, t.name))
    shown = [smallest] if smallest == largest else [smallest, largest]
    subnets = karpenter_subnets(facts, node_class)
    zones = pool.zones
    if zones is not None:
        subnets = tuple(s for s in subnets if s.az in zones)
    per = _spread(nodes, subnets)
    index = _pool_index(inputs, pool.name)
    where = (
        f"compute.karpenter.node_pools[{index}].limits.cpu"
        if index is not None
        else f"NodePool {pool.name} limits.cpu"
    )
    source = (
        "EC2NodeClass kubelet.maxPods"
        if node_class.max_pods is not None
        else "Karpenter's ENI-based default"
    )
    return Capacity(
        kind="NodePool",
        name=pool.name,
        nodes=nodes,
        how=(
            f"CPU limit {limit:g} / {worst_type.vcpus} vCPUs of {worst_type.name} "
            f"(of {len(candidates)} candidate types, {smallest.vcpus}-{largest.vcpus} vCPUs); "
            f"kubelet max pods {worst.max_pods} ({source})"
        ),
        subnets=subnets,
        per_subnet=worst.node_subnet.times(per),
        shown_types=shown,
        kubelet_max_pods={t.name: kubelet(t) for t in shown},
        node=worst,
        elsewhere=worst.pod_subnet.times(nodes),
        fix=f"a lower {where}",
    )


def _fargate_pods(
    inputs: PlanInputs,
    facts: TemplateFacts,
    profile: FargateProfile,
    findings: list[Finding],
) -> tuple[int, list[str]]:
    """(pods, how) bound for one profile: the replicas of the platform pods it selects and
    the pod quota of each tenant namespace it selects."""
    tenants = {t.name: t.quota.pods for t in inputs.config.tenants}
    coredns = inputs.config.addons.coredns
    pods, how = 0, []
    for namespace, labels in profile.selectors:
        if namespace == "kube-system" and labels.get("k8s-app") == "kube-dns":
            count = (
                coredns.autoscaling.max_replicas
                if coredns.autoscaling.enabled
                else (coredns.replicas)
            )
            pods += count
            how.append(f"CoreDNS {count}")
        elif labels.get("app.kubernetes.io/name") == "karpenter":
            count = facts.karpenter_replicas or DEFAULT_KARPENTER_REPLICAS
            pods += count
            how.append(f"Karpenter {count}")
        elif namespace in tenants:
            pods += tenants[namespace]
            how.append(f"tenant {namespace} quota {tenants[namespace]} pods")
        else:
            findings.append(
                Finding(
                    "fargate-unbounded",
                    "warn",
                    f"Fargate profile {profile.name}: selector namespace {namespace!r} is not "
                    "a tenant with a pod quota nor a platform pod; its pods (one address each) "
                    "are not counted",
                    f"make {namespace} a tenant (tenants[].quota.pods bounds its pods)",
                )
            )
    return pods, how


def _fargate(inputs: PlanInputs, facts: TemplateFacts, findings: list[Finding]) -> list[Capacity]:
    out = []
    for profile in facts.fargate:
        pods, how = _fargate_pods(inputs, facts, profile, findings)
        if pods == 0:
            continue
        out.append(
            Capacity(
                kind="Fargate profile",
                name=profile.name,
                nodes=pods,
                how="pods: " + ", ".join(how) + " (one address each)",
                subnets=profile.subnets,
                per_subnet=Demand(individual=_spread(pods, profile.subnets)),
            )
        )
    return out


def _load_balancers(inputs: PlanInputs, facts: TemplateFacts) -> list[tuple[str, int, str]]:
    """(what, addresses per subnet, subnet tag) of the load balancers the config bounds: the
    demo workload's ALB, and each tenant's NLB quota in the tiers its `ingress_from` admits."""
    out: list[tuple[str, int, str]] = []
    tag = {"internet-facing": ELB_TAG, "internal": INTERNAL_ELB_TAG}
    demo = inputs.config.workloads.demo
    if demo.enabled:
        out.append(("demo workload ALB", ALB_ADDRESSES_PER_SUBNET, tag[demo.scheme]))
    for tenant in inputs.config.tenants:
        if tenant.quota.load_balancers:
            for scheme in tenant.ingress_from:
                out.append(
                    (
                        f"tenant {tenant.name} NLBs ({tenant.quota.load_balancers}, {scheme})",
                        NLB_ADDRESSES_PER_SUBNET * tenant.quota.load_balancers,
                        tag[scheme],
                    )
                )
    return out


def _loads(
    inputs: PlanInputs, facts: TemplateFacts, capacities: Iterable[Capacity]
) -> dict[tuple[str, str], SubnetLoad]:
    loads: dict[tuple[str, str], SubnetLoad] = {}

    def add(subnet: Subnet, what: str, demand: Demand) -> None:
        if demand != Demand():
            loads.setdefault(subnet.key, SubnetLoad(subnet)).lines.append((what, demand))

    endpoints: dict[tuple[str, str], list[str]] = {}

    pods_by_zone = pod_subnets(facts) if facts.cni.custom_networking else {}
    for capacity in capacities:
        per = _spread(capacity.nodes, capacity.subnets)
        for subnet in capacity.subnets:
            add(subnet, f"{capacity.kind} {capacity.name}", capacity.per_subnet)
            pods = pods_by_zone.get(subnet.az)
            if capacity.node is not None and pods is not None:
                # Custom networking: the nodes of this subnet's AZ put their pods' ENIs and
                # addresses in that AZ's pod subnet (its ENIConfig).
                add(
                    pods,
                    f"pods of {capacity.kind} {capacity.name}",
                    capacity.node.pod_subnet.times(per),
                )
    for resident in facts.residents:
        for subnet in resident.subnets:
            if resident.what.startswith("interface endpoint "):
                endpoints.setdefault(subnet.key, []).append(resident.what.split(" ", 2)[2])
            else:
                add(subnet, resident.what, Demand(individual=resident.per_subnet))
    for key, names in endpoints.items():
        add(
            facts.subnets[key],
            f"{len(names)} interface endpoints ({', '.join(names)})",
            Demand(individual=len(names)),
        )
    for what, per_subnet, tag in _load_balancers(inputs, facts):
        for subnet in facts.subnets.values():
            if subnet.tags.get(tag) == "1":
                add(subnet, what, Demand(individual=per_subnet))
    return dict(
        sorted(
            loads.items(),
            key=lambda kv: (kv[1].subnet.az, ipaddress.IPv4Network(kv[1].subnet.cidr)),
        )
    )


def _fixes(cni: CniSettings, capacities: Sequence[Capacity], subnet: Subnet) -> str:
    options = []
    if subnet.tier == "Private":
        options.append(
            "larger private subnets (a shorter network.private_subnet_mask, e.g. 18; new "
            "subnets replace the old, so plan the move)"
        )
    elif subnet.tier == "Pods":
        options.append(
            "larger pod subnets (a shorter network.pod_subnets.mask or a larger "
            "network.pod_subnets.cidr; new subnets replace the old and every node with them)"
        )
    else:
        options.append(f"a larger {subnet.name} subnet")
    options += [c.fix for c in capacities if c.fix and subnet in c.subnets]
    if not cni.custom_networking:
        options.append(
            "a secondary VPC CIDR (100.64.0.0/10) with VPC CNI custom networking, so pods take "
            "their addresses there"
        )
    if not cni.prefix_delegation:
        options.append("prefix delegation (ENABLE_PREFIX_DELEGATION) for denser nodes")
    elif not cni.ip_targets:
        options.append(
            "WARM_IP_TARGET/MINIMUM_IP_TARGET instead of WARM_PREFIX_TARGET, so nodes keep no "
            "spare /28 each"
        )
    return "; or ".join(options) + "."


def _mode_table(cni: CniSettings) -> str:
    rows: list[list[Any]] = [
        ["mode in use", f"**{cni.mode}**"],
        ["ENABLE_PREFIX_DELEGATION", cni.prefix_delegation],
        ["custom networking (AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG)", cni.custom_networking],
        ["WARM_PREFIX_TARGET", cni.warm_prefix_target if cni.warm_prefix_target else "unset (1)"],
        ["WARM_IP_TARGET", cni.warm_ip_target or "unset"],
        ["MINIMUM_IP_TARGET", cni.minimum_ip_target or "unset"],
        [
            "WARM_ENI_TARGET",
            cni.warm_eni_target if cni.warm_eni_target is not None else "unset (1)",
        ],
        ["read from", cni.source],
    ]
    return markdown_table(["setting", "value"], rows)


def _max_pods_table(cni: CniSettings, capacities: Sequence[Capacity]) -> str:
    modes = [*SHOWN_MODES, *([cni.mode] if cni.mode not in SHOWN_MODES else [])]
    rows = []
    for capacity in capacities:
        for t in capacity.shown_types:
            cells: list[Any] = [
                f"{capacity.kind} {capacity.name}",
                t.name,
                t.vcpus,
                f"{t.max_enis} x {t.ipv4_per_eni}",
            ]
            for mode in modes:
                if capacity.windows:
                    # Windows: secondary IPs of the primary ENI in every mode.
                    text = f"{t.ipv4_per_eni - 1} (Windows)"
                    cells.append(f"**{text}** (in use)" if mode == cni.mode else text)
                    continue
                value = t.max_pods(mode)
                text = "n/a (no prefixes)" if value is None else str(value)
                cells.append(f"**{text}** (in use)" if mode == cni.mode else text)
            cells.append(capacity.kubelet_max_pods.get(t.name, "-"))
            rows.append(cells)
    return markdown_table(
        ["capacity", "instance type", "vCPUs", "ENIs x IPv4", *modes, "kubelet max pods"], rows
    )


def _nodes_table(capacities: Sequence[Capacity]) -> str:
    rows = []
    for c in capacities:
        per_node = (
            "1 (a pod)"
            if c.node is None
            else (
                f"{c.node.node_subnet.individual} + {c.node.node_subnet.prefixes} x /28 "
                f"({c.node.node_subnet.addresses})"
            )
        )
        zones = ", ".join(sorted({s.az for s in c.subnets})) or "unresolved"
        rows.append([c.kind, c.name, c.nodes, c.how, per_node, zones])
    return markdown_table(
        ["kind", "name", "nodes (Fargate: pods)", "how", "addresses per node", "AZs"], rows
    )


def plan_ips(inputs: PlanInputs, headroom_percent: float | None = None) -> PlanReport:
    """The IP capacity plan of one environment (see the module docstring)."""
    headroom = _headroom(inputs, headroom_percent)
    facts = read_templates(inputs)
    cni = facts.cni
    table = instance_table()
    findings: list[Finding] = []
    capacities: list[Capacity] = []
    for group in facts.node_groups:
        found = _node_group(inputs, group, cni, findings)
        if found is not None:
            capacities.append(found)
    for pool in facts.node_pools:
        found = _node_pool(inputs, facts, pool, cni, findings)
        if found is not None:
            capacities.append(found)
    capacities += _fargate(inputs, facts, findings)
    if facts.auto_mode:
        findings.append(
            Finding(
                "auto-mode",
                "warn",
                "EKS Auto Mode is on: its nodes are not modelled, only the capacity above",
            )
        )
    found_pod_subnets = pod_subnets(facts)
    if cni.custom_networking and found_pod_subnets:
        zones = {
            s.az for c in capacities if c.node is not None and not c.windows for s in c.subnets
        }
        missing = sorted(zones - set(found_pod_subnets))
        labels = ", ".join(s.label for s in found_pod_subnets.values())
        if missing:
            findings.append(
                Finding(
                    "custom-networking",
                    "warn",
                    f"custom networking: nodes in {', '.join(missing)} have no pod subnet "
                    f"there (pod subnets: {labels}), so their pods get no address",
                    "add a pod subnet and its ENIConfig in every AZ with nodes",
                )
            )
        else:
            findings.append(
                Finding(
                    "custom-networking",
                    "info",
                    f"custom networking: pods take their addresses in the pod subnets "
                    f"({labels}), checked with the others below",
                )
            )
    elif cni.custom_networking:
        elsewhere = Demand()
        for c in capacities:
            elsewhere = elsewhere + c.elsewhere
        findings.append(
            Finding(
                "custom-networking",
                "warn",
                f"custom networking: pods take {elsewhere.addresses} addresses "
                f"({elsewhere.individual} single, {elsewhere.prefixes} /28 prefixes) in the "
                "ENIConfig subnets, which the templates do not describe: not checked",
                "check the ENIConfig subnets' free addresses against that number",
            )
        )
    if facts.efs_mount_targets:
        labels = ", ".join(s.label for s in facts.efs_mount_targets)
        findings.append(
            Finding(
                "efs-mount-targets",
                "info",
                f"{len(facts.efs_mount_targets)} EFS mount target(s) take 1 address each in "
                f"{labels}: counted in those subnets' demand below",
            )
        )
    if facts.fsx_storage_classes:
        findings.append(
            Finding(
                "fsx-not-modelled",
                "warn",
                f"StorageClass(es) {', '.join(facts.fsx_storage_classes)} (FSx for Lustre) "
                "create a file system per claim, whose network interfaces take addresses in "
                "the class's subnet; the number of claims is not in the templates: not counted",
                "keep free addresses in that subnet for the file systems you expect",
            )
        )
    windows = [c.name for c in capacities if c.windows]
    if windows:
        findings.append(
            Finding(
                "windows",
                "info",
                f"Windows node group(s) {', '.join(windows)}: one ENI per node, pods on its "
                "secondary IPs (IPs per ENI - 1 pods, every one with an address, all in the "
                "node's subnet: Windows nodes use neither prefixes nor custom networking)",
            )
        )
    if cni.ipv6:
        findings.append(
            Finding(
                "ipv6",
                "info",
                "IPv6 cluster: pods take IPv6 addresses; only node addresses count here",
            )
        )
    for reason in facts.unresolved:
        findings.append(Finding("unresolved", "warn", f"not followed: {reason}"))

    loads = _loads(inputs, facts, capacities)
    subnet_rows: list[dict[str, Any]] = []
    blocked: list[str] = []
    for load in loads.values():
        subnet, demand = load.subnet, load.demand
        budget = SubnetBudget(subnet.cidr)
        charged, capacity = budget.charged(demand), budget.capacity(demand)
        usable = budget.usable(demand, headroom)
        row: dict[str, Any] = {
            "subnet": subnet.logical_id,
            "stack": subnet.stack,
            "name": subnet.name,
            "tier": subnet.tier,
            "az": subnet.az,
            "cidr": subnet.cidr,
            "available": budget.available,
            "capacity": capacity,
            "usable": usable,
            "needed": demand.addresses,
            "needed_charged": charged,
            "demand": demand.to_json(),
            "lines": [{"what": what, **d.to_json()} for what, d in load.lines],
            "fits": charged <= usable,
        }
        subnet_rows.append(row)
        if charged > usable:
            blocked.append(subnet.logical_id)
            parts = "; ".join(f"{what} {d.addresses}" for what, d in load.lines)
            fragmentation = (
                f" ({demand.individual} single addresses each charged a /28: "
                f"{charged} with fragmentation)"
                if demand.prefixes
                else ""
            )
            findings.append(
                Finding(
                    "subnet-capacity",
                    "block",
                    f"subnet {subnet.label}, {subnet.stack}/{subnet.logical_id}: the worst case "
                    f"needs {demand.addresses} addresses{fragmentation} ({parts}), but it holds "
                    f"{capacity} ({'usable /28 blocks x 16' if demand.prefixes else 'size - 5'})"
                    f", {usable} after the {headroom:g} % headroom",
                    _fixes(cni, capacities, subnet),
                )
            )
    azs: dict[str, dict[str, int]] = {}
    for row in subnet_rows:
        az = azs.setdefault(
            row["az"], {"needed": 0, "needed_charged": 0, "capacity": 0, "usable": 0}
        )
        for key in az:
            az[key] += row[key]
    nodes_total = sum(c.nodes for c in capacities if c.node is not None)
    fargate_total = sum(c.nodes for c in capacities if c.node is None)
    totals = {
        "nodes": nodes_total,
        "fargate_pods": fargate_total,
        "needed": sum(r["needed"] for r in subnet_rows),
        "needed_charged": sum(r["needed_charged"] for r in subnet_rows),
        "capacity": sum(r["capacity"] for r in subnet_rows),
        "usable": sum(r["usable"] for r in subnet_rows),
    }
    if not blocked:
        findings.append(
            Finding(
                "subnet-capacity",
                "info",
                f"every subnet holds the worst case ({totals['nodes']} nodes, "
                f"{totals['fargate_pods']} Fargate pods) with {headroom:g} % headroom",
            )
        )

    report = PlanReport(
        kind="ips",
        env=inputs.env,
        title=(
            f"{inputs.env}: {cni.mode}, worst case {nodes_total} nodes, "
            f"{totals['needed']} addresses in {len(subnet_rows)} subnets"
        ),
        findings=findings,
    )
    report.sections.append(("VPC CNI mode", _mode_table(cni)))
    report.sections.append(("Max pods per node", _max_pods_table(cni, capacities)))
    report.sections.append(("Worst-case nodes", _nodes_table(capacities)))
    report.sections.append(
        (
            "Addresses per subnet",
            markdown_table(
                [
                    "subnet",
                    "AZ",
                    "tier",
                    "CIDR",
                    "what",
                    "needed",
                    "with fragmentation",
                    "holds",
                    f"usable ({headroom:g} % headroom)",
                    "fits",
                ],
                [
                    [
                        r["name"],
                        r["az"],
                        r["tier"],
                        r["cidr"],
                        "; ".join(f"{x['what']} {x['addresses']}" for x in r["lines"]),
                        r["needed"],
                        r["needed_charged"],
                        r["capacity"],
                        r["usable"],
                        "yes" if r["fits"] else "**no**",
                    ]
                    for r in subnet_rows
                ],
            ),
        )
    )
    report.sections.append(
        (
            "Per AZ",
            markdown_table(
                ["AZ", "needed", "with fragmentation", "holds", "usable"],
                [
                    [az, v["needed"], v["needed_charged"], v["capacity"], v["usable"]]
                    for az, v in sorted(azs.items())
                ],
            ),
        )
    )
    report.data = {
        "mode": cni.mode,
        "cni": cni.to_json(),
        "headroom_percent": headroom,
        "capacity": [c.to_json(cni.mode) for c in capacities],
        "subnets": subnet_rows,
        "azs": azs,
        "totals": totals,
        "instance_table": {"source": table.source, "taken": table.taken},
    }
    report.assumptions += _assumptions(cni)
    if any(c.kind == "self-managed group" for c in capacities):
        report.assumptions.append(
            "Self-managed node groups (the cluster's Auto Scaling groups) are counted like "
            "node groups: MaxSize nodes over their VPCZoneIdentifier subnets, the instance "
            "types of their MixedInstancesPolicy overrides (or launch template), the max pods "
            "of their user data, else the AMI's default for the smallest type."
        )
    if windows:
        report.assumptions.append(
            "Windows nodes: the VPC resource controller assigns pods secondary IPs of the "
            "primary ENI only, so a node holds IPs per ENI - 1 pods and takes IPs per ENI "
            "addresses at most, whatever the Linux CNI mode (EKS user guide, Windows "
            "considerations; enableWindowsPrefixDelegation, when on, is not modelled)."
        )
    report.sources += [
        f"Instance types: {len(table.types)} types taken {table.taken}; {table.source}.",
        "Max-pods formulas and the 110/250 ceiling: the EKS max-pods calculator "
        "(awslabs/amazon-eks-ami templates/al2/runtime/max-pods-calculator.sh); prefix "
        "delegation on Nitro and bare metal: aws/amazon-vpc-cni-k8s pkg/awsutils "
        "IsPrefixDelegationSupported.",
        "Warm targets: aws/amazon-vpc-cni-k8s docs/eni-and-ip-target.md and "
        "docs/prefix-and-ip-target.md; defaults from config/master/aws-k8s-cni.yaml.",
        "Control-plane interfaces: EKS user guide, VPC and subnet requirements (up to 4, "
        "replaced in upgrades).",
        f"The templates of stage {inputs.env} in {inputs.assembly_path}; "
        f"{inputs.config_path} for tenant quotas, the demo workload and CoreDNS replicas.",
    ]
    return report


def _assumptions(cni: CniSettings) -> list[str]:
    out = [
        "Every node is at its kubelet max pods, all but 2 of them (aws-node, kube-proxy: "
        "host network) with an address of their own: the worst case, not the usual one.",
        "Node groups reach their maximum size; each NodePool its CPU limit (rounded up to "
        "whole nodes) with the candidate type that needs the most addresses that way, in "
        "practice the one with the fewest vCPUs. Memory limits are not used (they can only "
        "lower the count).",
        "Nodes spread evenly over the subnets their capacity may use (rounded up per subnet); "
        "an AZ outage or a zonal preference concentrates them.",
        "NodePools whose EC2NodeClass sets no kubelet.maxPods get Karpenter's ENI-based "
        "default, the secondary-IP formula without a ceiling (aws/karpenter-provider-aws "
        "v1.8 pkg/providers/instancetype/types.go, ENILimitedPods); node groups without a "
        "max-pods setting EKS's recommended value for their smallest type.",
        "Where prefixes are in play, only /28 blocks clear of the 5 reserved addresses count, "
        "and every single address (ENI primaries, endpoints, EFS mount targets, Fargate pods, "
        "load balancers) is assumed to spoil a whole /28 block (fragmentation, "
        "conservatively; subnet CIDR reservations for prefixes avoid it in practice).",
        "Interface endpoints take 1 address per subnet, NAT gateways 1, EFS mount targets 1, "
        "the EKS control plane up to 8 per cluster subnet; the demo ALB "
        f"{ALB_ADDRESSES_PER_SUBNET} per subnet (the minimum an ALB needs free; it can grow), "
        "each tenant NLB of its quota 1 per subnet of every scheme its ingress_from admits. "
        "Ingress ALBs tenants create are not bounded by any quota and not counted.",
        "Fargate pods: CoreDNS at its maximum replicas, the Karpenter controller's replicas, "
        "each tenant namespace at its quota's pods; one address each.",
    ]
    if cni.pod_eni:
        out.append(
            "Security groups for pods (ENABLE_POD_ENI) is on: the trunk ENI and branch "
            "interfaces are not modelled."
        )
    return out
