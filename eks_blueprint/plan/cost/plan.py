"""``plan cost``: an environment's monthly baseline and ceiling, line by line.

The **baseline** is what the environment costs at its minimum sizes: node groups at
``MinSize``, the Karpenter nodes that pods with nowhere else to run need (often none), the
Fargate pods it always runs, the control plane, NAT gateways, addresses, endpoints, keys,
logs and threat detection. The **ceiling** is what it may cost at its maximum sizes: node
groups at ``MaxSize``, every Karpenter NodePool filled to its CPU and memory limits with the
costliest mix of the instance types it may launch, Fargate namespaces filled to their
quotas. Both are priced from the dated table ``eks_blueprint/plan/data/prices.json`` at 730
hours a month; every assumption is printed, every unconfirmed or missing price is a
``warn`` finding, and an item without a price is shown and left out of the totals, never
counted as zero. Cost is information: the plan never blocks. Pure Python: no ``aws_cdk``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ...config.capacity import EVICTION_HARD, daemonsets, kube_reserved, lands_on
from ...config.capacity import workloads as platform_workloads
from ...instance_types import RequirementError, matching_types
from ...instance_types import instance_type as instance_facts
from ..inputs import PlanInputError, PlanInputs
from ..model import Finding, PlanReport, markdown_table
from .fargate import pod_size, quota_ceiling
from .inventory import (
    FSX_CSI,
    Inventory,
    NodeGroup,
    NodePool,
    Requirement,
    Taint,
    Toleration,
    Workload,
    read_inventory,
)
from .prices import (
    PRICE_KEYS,
    REFRESH_COMMAND,
    InstancePrice,
    Price,
    PriceTable,
    PriceTableError,
    RegionPrices,
    load_price_table,
)
from .solve import Unbounded, maximise

HOURS_PER_MONTH = 730
#: Days in the 730-hour month.
DAYS_PER_MONTH = HOURS_PER_MONTH / 24
#: Karpenter settings.vmMemoryOverheadPercent default: the share of nominal memory it
#: assumes the hypervisor keeps; NodePool memory limits count what is left.
KARPENTER_VM_MEMORY_OVERHEAD = 0.075

# -- usage the template cannot show: assumed, and printed with every plan ---------------------

#: GB a month through all NAT gateways (image pulls and API calls mostly use endpoints).
NAT_GB_PER_MONTH = 50.0
#: GB a month through all interface endpoints.
ENDPOINT_GB_PER_MONTH = 20.0
#: GB a month per enabled control-plane log type (api, audit, authenticator, ...).
CONTROL_PLANE_GB_PER_LOG_TYPE = 2.0
#: GB a month of VPC flow logs delivered to CloudWatch Logs.
FLOW_LOG_GB_PER_MONTH = 5.0
#: GB a month per EC2 node of Container Insights (performance events and container logs).
CONTAINER_INSIGHTS_GB_PER_NODE = 2.0
#: Retention of the Container Insights log groups (the agent creates them; not in the template).
CONTAINER_INSIGHTS_RETENTION_DAYS = 30
#: GB a month of every other log group (Lambda handlers, CodeBuild).
OTHER_LOG_GROUP_GB_PER_MONTH = 0.1
#: Log groups that never expire are stored for at most this long in the estimate.
MAX_RETENTION_DAYS = 365
#: Millions of Kubernetes audit events a month GuardDuty analyses (EKS audit log monitoring).
AUDIT_MILLION_EVENTS_PER_MONTH = 5.0

CONTAINER_INSIGHTS_ADDON = "amazon-cloudwatch-observability"
#: Platform pods whose requests the template carries (inventory); the config's capacity
#: model supplies the others (EBS CSI controller, metrics-server, ...).
TEMPLATE_WORKLOADS = frozenset({"coredns", "karpenter"})


# -- line items ------------------------------------------------------------------------------


@dataclass
class LineItem:
    """One priced thing: a quantity at the baseline and at the ceiling, times a unit price."""

    item: str
    category: str
    unit: str
    """What one unit is, e.g. ``node-hour`` or ``GB``."""
    unit_price: float | None
    """USD per unit; None: not in the price table (the item is left out of the totals)."""
    confirmed: bool
    baseline_qty: float
    ceiling_qty: float
    hourly: bool
    """Quantities are held all month (x 730 h); else they are monthly amounts."""
    qty_unit: str = ""
    """How the quantity is counted for people (``nodes``, ``GB``); default: the unit."""
    note: str = ""
    section: str = ""
    """The price table section the unit price comes from."""

    @property
    def priced(self) -> bool:
        return self.unit_price is not None

    def monthly(self, qty: float) -> float | None:
        if self.unit_price is None:
            return None
        return qty * self.unit_price * (HOURS_PER_MONTH if self.hourly else 1)

    @property
    def baseline(self) -> float | None:
        return self.monthly(self.baseline_qty)

    @property
    def ceiling(self) -> float | None:
        return self.monthly(self.ceiling_qty)

    def to_json(self) -> dict[str, Any]:
        baseline, ceiling = self.baseline, self.ceiling
        return {
            "item": self.item,
            "category": self.category,
            "unit": self.unit,
            "unit_price_usd": self.unit_price,
            "confirmed": self.confirmed,
            "priced": self.priced,
            "hourly": self.hourly,
            "quantity": {
                "baseline": _round(self.baseline_qty),
                "ceiling": _round(self.ceiling_qty),
            },
            "baseline_usd": None if baseline is None else round(baseline, 2),
            "ceiling_usd": None if ceiling is None else round(ceiling, 2),
            "note": self.note,
        }


_SINGULAR = {"nodes": "node", "gateways": "gateway", "addresses": "address", "keys": "key"}


def _round(value: float) -> float:
    return round(value, 4)


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.2f}"


def _qty(value: float) -> str:
    return f"{value:,.0f}" if abs(value - round(value)) < 1e-9 else f"{value:,.2f}"


# -- the plan's working state ----------------------------------------------------------------


@dataclass
class _Plan:
    """What the pricing steps share: the inputs, the Region's prices, the line items and
    findings so far, and the EC2 nodes and vCPUs counted (baseline, ceiling) for the
    per-node items priced last."""

    inputs: PlanInputs
    inventory: Inventory
    prices: RegionPrices | None
    items: list[LineItem] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    used_sections: set[str] = field(default_factory=set)
    usage_priced: list[dict[str, Any]] = field(default_factory=list)
    """Storage billed by use (EFS, FSx for Lustre): listed, never in the totals."""
    # EC2 capacity, for the per-node and per-vCPU items (GuardDuty, Container Insights).
    nodes: list[float] = field(default_factory=lambda: [0.0, 0.0])
    vcpus: list[float] = field(default_factory=lambda: [0.0, 0.0])

    @property
    def env(self) -> str:
        return self.inputs.env

    @property
    def region(self) -> str:
        return self.inventory.region

    def price(self, section: str, key: str) -> Price | None:
        price = None if self.prices is None else self.prices.price(section, key)
        if price is not None:
            self.used_sections.add(section)
        return price

    def usd(self, section: str, key: str) -> float:
        """A price for an optimisation objective: a missing one counts 0 there (its own
        line shows it as missing)."""
        price = None if self.prices is None else self.prices.price(section, key)
        return 0.0 if price is None else price.usd

    def add(
        self,
        item: str,
        category: str,
        price: Price | None,
        unit: str,
        baseline: float,
        ceiling: float,
        *,
        hourly: bool,
        qty_unit: str = "",
        note: str = "",
    ) -> None:
        self.items.append(
            LineItem(
                item=item,
                category=category,
                unit=unit,
                unit_price=None if price is None else price.usd,
                confirmed=price is not None and price.confirmed,
                baseline_qty=baseline,
                ceiling_qty=ceiling,
                hourly=hourly,
                qty_unit=qty_unit,
                note=note,
                section="" if price is None else price.section,
            )
        )

    def instance(self, name: str) -> InstancePrice | None:
        return None if self.prices is None else self.prices.instance(name)

    def per_node_extras_hourly(self, vcpus: int, disk_gib: int | None) -> float:
        """What one more EC2 node adds an hour besides itself: its EBS, its GuardDuty vCPUs
        and its Container Insights logs (for choosing and bounding node mixes)."""
        extra = (disk_gib or 0) * self.usd("ebs", "gp3_gb_month") / HOURS_PER_MONTH
        guardduty = self.inventory.guardduty
        if guardduty is not None and guardduty.runtime_monitoring:
            extra += vcpus * self.usd("guardduty", "eks_runtime_vcpu_month") / HOURS_PER_MONTH
        if CONTAINER_INSIGHTS_ADDON in self.inventory.addons:
            stored = CONTAINER_INSIGHTS_RETENTION_DAYS / DAYS_PER_MONTH
            per_gb = self.usd("cloudwatch_logs", "ingestion_gb") + stored * self.usd(
                "cloudwatch_logs", "storage_gb_month"
            )
            extra += CONTAINER_INSIGHTS_GB_PER_NODE * per_gb / HOURS_PER_MONTH
        return extra


# -- entry points ----------------------------------------------------------------------------


def plan_cost(inputs: PlanInputs, *, price_table: PriceTable | None = None) -> PlanReport:
    """The monthly baseline and ceiling of `inputs`' environment (see the module docs).

    `price_table` replaces the packaged table (tests, or a table refreshed elsewhere).
    """
    try:
        table = price_table or load_price_table()
    except PriceTableError as exc:
        raise PlanInputError(str(exc)) from None
    inventory = read_inventory(inputs)
    plan = _Plan(inputs=inputs, inventory=inventory, prices=table.region(inventory.region))
    if plan.prices is None:
        plan.findings.append(
            Finding(
                "price-region-missing",
                "warn",
                f"the price table has no Region {inventory.region}: nothing can be priced "
                f"(it has {', '.join(sorted(table.regions))}).",
                f"{REFRESH_COMMAND} --region {inventory.region}",
            )
        )
    _control_plane(plan)
    _node_groups(plan)
    _karpenter(plan)
    _fargate(plan)
    _network(plan)
    _security(plan)
    _logs(plan)
    _usage_priced_storage(plan)
    return _report(plan, table)


def cost_change_sentence(base: PlanReport, head: PlanReport) -> str:
    """One sentence for the review: how a change moves the environment's monthly baseline
    and ceiling, e.g. "This change raises prod's monthly baseline by $73.00 (from $1,000.00
    to $1,073.00) and leaves its ceiling unchanged ($9,000.00)."."""
    env = head.env or base.env

    def total(report: PlanReport, which: str) -> float:
        value = (report.data.get(which) or {}).get("monthly_usd")
        if not isinstance(value, int | float):
            raise ValueError(f"the {report.kind} report of {report.env} has no {which} total")
        return round(float(value), 2)

    def clause(which: str, before: float, after: float, first: bool) -> tuple[str, bool]:
        owner = f"{env}'s monthly {which}" if first else f"its {which}"
        delta = round(after - before, 2)
        if delta == 0:
            return f"leaves {owner} unchanged ({_money(after)})", False
        verb = "raises" if delta > 0 else "lowers"
        return (
            f"{verb} {owner} by {_money(abs(delta))} (from {_money(before)} to {_money(after)})",
            True,
        )

    b0, b1 = total(base, "baseline"), total(head, "baseline")
    c0, c1 = total(base, "ceiling"), total(head, "ceiling")
    if b0 == b1 and c0 == c1:
        return (
            f"This change leaves {env}'s monthly baseline ({_money(b1)}) and ceiling "
            f"({_money(c1)}) unchanged."
        )
    first, _ = clause("baseline", b0, b1, True)
    second, _ = clause("ceiling", c0, c1, False)
    return f"This change {first} and {second}."


# -- control plane ---------------------------------------------------------------------------


def _control_plane(plan: _Plan) -> None:
    support = plan.inventory.support_type
    standard = plan.price("eks", "cluster_hour_standard")
    if support == "EXTENDED":
        extended = plan.price("eks", "cluster_hour_extended")
        plan.add(
            "EKS control plane (standard support)",
            "control plane",
            standard,
            "cluster-hour",
            1,
            0,
            hourly=True,
            qty_unit="cluster",
        )
        plan.add(
            "EKS control plane (extended support)",
            "control plane",
            extended,
            "cluster-hour",
            0,
            1,
            hourly=True,
            qty_unit="cluster",
            note="upgrade policy EXTENDED: the rate once the version leaves standard support",
        )
        plan.assumptions.append(
            "Control plane: the upgrade policy is EXTENDED, so the baseline prices the "
            "cluster in standard support and the ceiling in extended support (what it costs "
            "once its Kubernetes version leaves standard support; `plan upgrade` shows when)."
        )
    else:
        plan.add(
            "EKS control plane (standard support)",
            "control plane",
            standard,
            "cluster-hour",
            1,
            1,
            hourly=True,
            qty_unit="cluster",
        )
        plan.assumptions.append(
            "Control plane: the upgrade policy is STANDARD, so EKS upgrades the cluster at the "
            "end of standard support and it never pays the extended-support rate."
        )


# -- node groups -----------------------------------------------------------------------------


def _node_groups(plan: _Plan) -> None:
    gp3 = plan.price("ebs", "gp3_gb_month") if plan.inventory.node_groups else None
    spot_groups = []
    windows_groups = []
    for group in plan.inventory.node_groups:
        label = group.label
        if group.windows:
            # The table's prices are Linux ones; Windows On-Demand rates include the license.
            windows_groups.append(group.name)
            priced: list[InstancePrice] = []
        else:
            priced = [p for p in (plan.instance(t) for t in group.instance_types) if p is not None]
            missing = [t for t in group.instance_types if plan.instance(t) is None]
            for name in missing:
                _missing_instance(plan, name, label[0].lower() + label[1:], _vcpus_of(name) > 0)
        if group.capacity_type == "SPOT":
            spot_groups.append(group.name)
        cheapest = min(priced, key=lambda p: p.usd_per_hour, default=None)
        if group.self_managed and priced and priced[0].name == group.instance_types[0]:
            # On-Demand "prioritized": the group launches its first type while it can.
            cheapest = priced[0]
        costliest = max(priced, key=lambda p: p.usd_per_hour, default=None)
        if group.windows:
            _unpriced_nodes(
                plan,
                f"{label}: {', '.join(group.instance_types)} (Windows)",
                group.min_size,
                group.max_size,
                _WINDOWS_NOT_PRICED,
            )
        elif cheapest is None or costliest is None:
            _unpriced_nodes(
                plan,
                f"{label}: {', '.join(group.instance_types)}",
                group.min_size,
                group.max_size,
                "no price for any of its instance types",
            )
        elif cheapest.name == costliest.name:
            _instance_item(plan, label, cheapest, group.min_size, group.max_size)
        else:
            _instance_item(plan, label, cheapest, group.min_size, 0, note="baseline type")
            _instance_item(plan, label, costliest, 0, group.max_size, note="ceiling type")
        plan.add(
            f"{label}: EBS gp3, {group.disk_gib} GiB a node",
            "storage",
            gp3,
            "GB-month",
            group.min_size * group.disk_gib,
            group.max_size * group.disk_gib,
            hourly=False,
            qty_unit="GiB",
        )
        base_vcpus = cheapest.vcpus if cheapest else _vcpus_of(group.instance_types[0])
        ceil_vcpus = costliest.vcpus if costliest else _vcpus_of(group.instance_types[0])
        plan.nodes[0] += group.min_size
        plan.nodes[1] += group.max_size
        plan.vcpus[0] += group.min_size * base_vcpus
        plan.vcpus[1] += group.max_size * ceil_vcpus
        if len(group.instance_types) > 1 and not group.windows:
            plan.assumptions.append(
                f"{label} lists {', '.join(group.instance_types)}: the baseline prices "
                + (
                    "its first type (its On-Demand allocation strategy is prioritized), the "
                    "ceiling its costliest."
                    if group.self_managed
                    else "its cheapest type (EKS's on-demand allocation is lowest-price), the "
                    "ceiling its costliest."
                )
            )
    if windows_groups:
        plan.findings.append(
            Finding(
                "windows-not-priced",
                "warn",
                f"Windows node group(s) {', '.join(windows_groups)}: not priced. Windows "
                "On-Demand rates include the Windows Server license and differ from the Linux "
                "prices of the table, so their nodes are shown unpriced and left out of the "
                "totals (their EBS volumes are priced).",
                "price them from the EC2 On-Demand page (operating system Windows) until the "
                "table has Windows prices",
            )
        )
    if spot_groups:
        plan.assumptions.append(
            f"Spot node groups ({', '.join(spot_groups)}) are priced at on-demand rates, an "
            "upper bound: the table has no Spot prices (Spot is usually far cheaper)."
        )
    if plan.inventory.node_groups:
        plan.assumptions.append(
            "Node groups: baseline at MinSize, ceiling at MaxSize (ScalingConfig of the "
            "template), each node with the EBS volumes of its launch template."
        )
    self_managed = [g.name for g in plan.inventory.node_groups if g.self_managed]
    if self_managed:
        plan.assumptions.append(
            f"Self-managed node groups ({', '.join(self_managed)}): the cluster's Auto Scaling "
            "groups, baseline at MinSize and ceiling at MaxSize like node groups, their types "
            "from the MixedInstancesPolicy overrides (or the launch template) and every EBS "
            "volume of their launch template; the labels and taints their user data gives "
            "the kubelet from compute.self_managed_node_groups."
        )


def _vcpus_of(name: str) -> int:
    facts = instance_facts(name)
    return facts.vcpus if facts is not None else 0


def _instance_item(
    plan: _Plan, label: str, price: InstancePrice, baseline: float, ceiling: float, note: str = ""
) -> None:
    plan.used_sections.add("instances")
    plan.items.append(
        LineItem(
            item=f"{label}: {price.name} (on-demand)",
            category="compute",
            unit="node-hour",
            unit_price=price.usd_per_hour,
            confirmed=price.confirmed,
            baseline_qty=baseline,
            ceiling_qty=ceiling,
            hourly=True,
            qty_unit="nodes",
            note=note,
            section="instances",
        )
    )


#: The note of Windows capacity, which the plan leaves unpriced.
_WINDOWS_NOT_PRICED = "not priced: the price table has Linux On-Demand prices only"


def _unpriced_nodes(plan: _Plan, item: str, baseline: float, ceiling: float, note: str) -> None:
    """A compute line of nodes with no price (left out of the totals), `note` saying why."""
    plan.add(
        item,
        "compute",
        None,
        "node-hour",
        baseline,
        ceiling,
        hourly=True,
        qty_unit="nodes",
        note=note,
    )


def _missing_instance(plan: _Plan, name: str, where: str, vcpus_known: bool) -> None:
    guardduty = plan.inventory.guardduty
    uncounted = (
        ""
        if vcpus_known or guardduty is None or not guardduty.runtime_monitoring
        else " Its vCPUs are unknown too, so GuardDuty Runtime Monitoring does not count them."
    )
    plan.findings.append(
        Finding(
            "price-missing",
            "warn",
            f"{where}: instance type {name} has no {plan.region} price in the table; its "
            f"line is shown unpriced and left out of the totals.{uncounted}",
            f"{REFRESH_COMMAND} --region {plan.region} --add-instance-types {name}",
        )
    )


# -- Karpenter -------------------------------------------------------------------------------


def _admits(pool: NodePool, price: InstancePrice, ignored: set[str]) -> bool:
    """Whether `pool`'s requirements allow the priced type, as the instance type table's
    Karpenter labels answer them (:func:`eks_blueprint.instance_types.matching_types`).
    Requirement keys the table cannot answer are added to `ignored` and do not filter."""
    allowed, unevaluated = _allowed_types(pool.requirements)
    ignored.update(unevaluated)
    return allowed is None or price.name in allowed


@cache
def _allowed_types(
    requirements: tuple[Requirement, ...],
) -> tuple[frozenset[str] | None, tuple[str, ...]]:
    """(names of the table's types the requirements allow, keys left unevaluated); None for
    the names when an operator cannot be evaluated (every type is admitted, and its key
    reported as not modelled)."""
    as_dicts = [
        {"key": r.key, "operator": r.operator, "values": list(r.values)} for r in requirements
    ]
    try:
        match = matching_types(as_dicts)
    except RequirementError:
        unreadable = tuple(r.key for r in requirements if r.operator not in _OPERATORS)
        return None, unreadable or tuple(r.key for r in requirements)
    return frozenset(t.name for t in match.types), match.unevaluated


#: The operators matching_types evaluates (the karpenter.sh/v1 NodePool CRD's).
_OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"})


@dataclass(frozen=True)
class _Pending:
    """Pods that only Karpenter can place, per pod."""

    name: str
    cpu_m: int
    memory_mi: int
    replicas: int
    arch: str | None
    tolerations: tuple[Toleration, ...]


def _tolerated(taints: Iterable[Taint], tolerations: Sequence[Toleration]) -> bool:
    return all(
        any(t.tolerates(taint) for t in tolerations)
        for taint in taints
        if taint.effect != "PreferNoSchedule"
    )


def _fits_group(workload: Workload, group: NodeGroup) -> bool:
    for key, value in workload.node_selector.items():
        if key == "kubernetes.io/arch":
            if group.arch is not None and group.arch != value:
                return False
        elif group.labels.get(key) != value:
            return False
    return _tolerated(group.taints, workload.tolerations)


def _fargate_profile_for(plan: _Plan, workload: Workload) -> str | None:
    for profile in plan.inventory.fargate_profiles:
        if profile.selects(workload.namespace, workload.labels):
            return profile.name
    return None


def _pending_pods(plan: _Plan) -> list[_Pending]:
    """Pods at the baseline that neither Fargate nor a node group takes."""
    config = plan.inputs.config
    groups = plan.inventory.node_groups
    pending: list[_Pending] = []
    for workload in plan.inventory.workloads:
        if _fargate_profile_for(plan, workload) is not None:
            continue
        if any(_fits_group(workload, g) for g in groups):
            continue
        pending.append(
            _Pending(
                workload.name,
                workload.cpu_m,
                workload.memory_mi,
                workload.replicas,
                workload.node_selector.get("kubernetes.io/arch"),
                workload.tolerations,
            )
        )
    # Platform Deployments whose requests the template does not carry (add-on defaults).
    for platform in platform_workloads(config.compute, config.addons):
        if platform.name in TEMPLATE_WORKLOADS:
            continue  # read from the template (EKS add-on, Helm values) above
        if any(lands_on(platform, g) for g in config.compute.node_groups):
            continue
        tolerations = tuple(
            Toleration(t.key, "Exists" if t.value is None else "Equal", t.value, t.effect)
            for t in platform.tolerations
        )
        pending.append(
            _Pending(
                platform.name,
                platform.requests.cpu_m,
                platform.requests.memory_mi,
                platform.replicas,
                None,
                tolerations,
            )
        )
    return pending


def _karpenter(plan: _Plan) -> None:
    pools = plan.inventory.node_pools
    if not pools:
        return
    gp3 = plan.price("ebs", "gp3_gb_month")
    ignored: set[str] = set()
    baseline = _karpenter_baseline(plan, pools, ignored)
    spot_only = []
    for pool in pools:
        candidates = [
            p
            for p in (plan.prices.instances.values() if plan.prices else [])
            if _admits(pool, p, ignored)
        ]
        if "spot" in pool.capacity_types:
            spot_only.append(pool.name)
        base_nodes = baseline.get(pool.name, [])
        label = f"Karpenter pool {pool.name}"
        if "windows" in (pool.values("kubernetes.io/os") or ()):
            # Windows nodes: the table's Linux prices would be wrong, so none is used.
            plan.findings.append(
                Finding(
                    "windows-not-priced",
                    "warn",
                    f"NodePool {pool.name} may launch Windows nodes: not priced (the price "
                    "table has Linux On-Demand prices only); left out of the totals.",
                    "price them from the EC2 On-Demand page (operating system Windows)",
                )
            )
            _unpriced_nodes(
                plan, f"{label}: Windows nodes up to its limits", 0, 0, _WINDOWS_NOT_PRICED
            )
            continue
        if pool.cpu_limit is None and pool.memory_limit_mib is None:
            plan.findings.append(
                Finding(
                    "no-ceiling",
                    "warn",
                    f"NodePool {pool.name} has no CPU or memory limit: its spend has no "
                    "ceiling; the plan prices its baseline only.",
                    "set compute.karpenter.node_pools[].limits in the environment file",
                )
            )
            mix: list[tuple[InstancePrice, float]] = []
        elif not candidates:
            plan.findings.append(
                Finding(
                    "price-missing",
                    "warn",
                    f"NodePool {pool.name}: no instance type it may launch has a "
                    f"{plan.region} price in the table; its ceiling is not priced.",
                    f"{REFRESH_COMMAND} --region {plan.region} --add-instance-types <types>",
                )
            )
            _unpriced_nodes(
                plan,
                f"{label}: nodes up to its limits",
                0,
                0,
                "no priced instance type matches the pool's requirements",
            )
            mix = []
        else:
            mix = _worst_mix(plan, pool, candidates)
            _explain_mix(plan, pool, mix, len(candidates))
        by_type: dict[str, list[float]] = {}
        prices: dict[str, InstancePrice] = {}
        for price, count in base_nodes:
            by_type.setdefault(price.name, [0.0, 0.0])[0] += count
            prices[price.name] = price
        for price, count in mix:
            by_type.setdefault(price.name, [0.0, 0.0])[1] += count
            prices[price.name] = price
        disk = pool.disk_gib or 0
        for name in sorted(by_type):
            base_count, ceil_count = by_type[name]
            _instance_item(plan, label, prices[name], base_count, ceil_count)
            plan.nodes[0] += base_count
            plan.nodes[1] += ceil_count
            plan.vcpus[0] += base_count * prices[name].vcpus
            plan.vcpus[1] += ceil_count * prices[name].vcpus
        if by_type and pool.disk_gib is not None:
            plan.add(
                f"{label}: EBS gp3, {disk} GiB a node",
                "storage",
                gp3,
                "GB-month",
                sum(b for b, _ in by_type.values()) * disk,
                sum(c for _, c in by_type.values()) * disk,
                hourly=False,
                qty_unit="GiB",
            )
    if spot_only:
        plan.assumptions.append(
            f"NodePools that may launch Spot ({', '.join(spot_only)}) are priced at on-demand "
            "rates: an upper bound (the table has no Spot prices; a Spot price never exceeds "
            "on-demand)."
        )
    plan.assumptions.append(
        "Karpenter ceiling: each NodePool filled to its CPU and memory limits with the mix "
        "of instance types it may launch (priced types of the table only) that costs the "
        "most, EBS, GuardDuty and Container Insights per node included; memory counts "
        f"{100 * (1 - KARPENTER_VM_MEMORY_OVERHEAD):g} % of nominal (Karpenter's "
        "vmMemoryOverheadPercent), CPU whole vCPUs. Karpenter launches no type that would "
        "take a pool past its limits (kubernetes-sigs/karpenter filterByRemainingResources), "
        "so this bounds the pool; whole nodes are not required, which only raises the bound."
    )
    if ignored:
        plan.assumptions.append(
            f"NodePool requirements on {', '.join(sorted(ignored))} are not modelled: every "
            "priced type is assumed to pass them (a larger ceiling, never a smaller one)."
        )


def _worst_mix(
    plan: _Plan, pool: NodePool, candidates: Sequence[InstancePrice]
) -> list[tuple[InstancePrice, float]]:
    limits: list[float] = []
    columns: list[str] = []
    if pool.cpu_limit is not None:
        limits.append(pool.cpu_limit)
        columns.append("cpu")
    if pool.memory_limit_mib is not None:
        limits.append(pool.memory_limit_mib)
        columns.append("memory")
    values = [
        p.usd_per_hour + plan.per_node_extras_hourly(p.vcpus, pool.disk_gib) for p in candidates
    ]
    costs = [
        [
            float(p.vcpus) if col == "cpu" else p.memory_mib * (1 - KARPENTER_VM_MEMORY_OVERHEAD)
            for col in columns
        ]
        for p in candidates
    ]
    solution = maximise(values, costs, limits)
    return [(candidates[i], n) for i, n in enumerate(solution.amounts) if n > 1e-9]


def _explain_mix(
    plan: _Plan, pool: NodePool, mix: Sequence[tuple[InstancePrice, float]], candidates: int
) -> None:
    limits = []
    if pool.cpu_limit is not None:
        limits.append(f"{pool.cpu_limit:g} vCPU")
    if pool.memory_limit_mib is not None:
        limits.append(f"{pool.memory_limit_mib / 1024:g} GiB")
    parts = [f"{_qty(n)} × {p.name} (${p.usd_per_hour:.4f}/h)" for p, n in mix]
    plan.details.append(
        (
            f"Karpenter pool {pool.name}",
            f"Limits {' and '.join(limits)}; {candidates} priced instance types match its "
            f"requirements. Costliest fill: {' + '.join(parts) or 'none'}.",
        )
    )


def _karpenter_baseline(
    plan: _Plan, pools: Sequence[NodePool], ignored: set[str]
) -> dict[str, list[tuple[InstancePrice, float]]]:
    """The nodes Karpenter must run at the baseline: enough of the cheapest fitting type of
    the preferred pool for the pods nothing else takes (none when there are none)."""
    pending = _pending_pods(plan)
    out: dict[str, list[tuple[InstancePrice, float]]] = {}
    if not pending:
        plan.assumptions.append(
            "Karpenter baseline: no nodes. Every pod the environment always runs has a node "
            "group or a Fargate profile; Karpenter launches nodes only for other workloads."
        )
        return out
    config = plan.inputs.config
    per_node = daemonsets(config.addons, config.security)
    ds_cpu = sum(p.requests.cpu_m for p in per_node)
    ds_mem = sum(p.requests.memory_mi for p in per_node)
    ordered = sorted(pools, key=lambda p: -p.weight)
    groups: dict[tuple[str, str | None], list[_Pending]] = {}
    for pod in pending:
        pool = next(
            (
                p
                for p in ordered
                if _tolerated(p.taints, pod.tolerations)
                and (
                    pod.arch is None or pod.arch in (p.values("kubernetes.io/arch") or (pod.arch,))
                )
            ),
            None,
        )
        if pool is None:
            plan.assumptions.append(
                f"{pod.name}: no NodePool admits its pods (architecture or taints); not priced."
            )
            continue
        groups.setdefault((pool.name, pod.arch), []).append(pod)
    # Pods that run on any architecture share the nodes of pods that need one.
    for (pool_name, arch), pods in list(groups.items()):
        if arch is None:
            constrained = [k for k in groups if k[0] == pool_name and k[1] is not None]
            if constrained:
                groups[constrained[0]].extend(pods)
                del groups[(pool_name, arch)]
    notes = []
    for (pool_name, arch), pods in sorted(
        groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        pool = next(p for p in pools if p.name == pool_name)
        candidates = [
            p
            for p in (plan.prices.instances.values() if plan.prices else [])
            if _admits(pool, p, ignored) and (arch is None or p.arch == arch)
        ]
        best: tuple[float, InstancePrice, int] | None = None
        for price in candidates:
            count = _nodes_needed(price, pool.max_pods, pods, ds_cpu, ds_mem, len(per_node))
            if count is None:
                continue
            hourly = count * (
                price.usd_per_hour + plan.per_node_extras_hourly(price.vcpus, pool.disk_gib)
            )
            if best is None or (hourly, price.name) < (best[0], best[1].name):
                best = (hourly, price, count)
        names = ", ".join(f"{p.name} ×{p.replicas}" for p in pods)
        if best is None:
            plan.findings.append(
                Finding(
                    "price-missing",
                    "warn",
                    f"NodePool {pool_name}: no priced instance type fits the pods it must run "
                    f"at the baseline ({names}); they are not priced.",
                    f"{REFRESH_COMMAND} --region {plan.region} --add-instance-types <types>",
                )
            )
            continue
        _, price, count = best
        out.setdefault(pool_name, []).append((price, float(count)))
        notes.append(
            f"{count} × {price.name} in pool {pool_name} for {names}"
            + (f" ({arch} only)" if arch else "")
        )
    plan.assumptions.append(
        "Karpenter baseline: the pods that no node group or Fargate profile takes need "
        f"Karpenter nodes: {'; '.join(notes) or 'none could be priced'}. The cheapest "
        "fitting type of the highest-weight pool that admits them, at on-demand rates, with "
        "the DaemonSets on every node; soft spreading is not modelled."
    )
    return out


def _nodes_needed(
    price: InstancePrice,
    max_pods: int,
    pods: Sequence[_Pending],
    ds_cpu: int,
    ds_mem: int,
    ds_count: int,
) -> int | None:
    """Nodes of `price` that hold `pods` next to the DaemonSets; None if a pod fits none."""
    reserved = kube_reserved(price.vcpus, max_pods)
    cpu = price.vcpus * 1000 - reserved.cpu_m - ds_cpu
    memory = (
        price.memory_mib * (1 - KARPENTER_VM_MEMORY_OVERHEAD)
        - reserved.memory_mi
        - EVICTION_HARD.memory_mi
        - ds_mem
    )
    slots = max_pods - ds_count
    if cpu <= 0 or memory <= 0 or slots <= 0:
        return None
    if any(p.cpu_m > cpu or p.memory_mi > memory for p in pods):
        return None
    need_cpu = sum(p.cpu_m * p.replicas for p in pods)
    need_mem = sum(p.memory_mi * p.replicas for p in pods)
    need_pods = sum(p.replicas for p in pods)
    return max(
        1,
        math.ceil(need_cpu / cpu),
        math.ceil(need_mem / memory),
        math.ceil(need_pods / slots),
    )


# -- Fargate ---------------------------------------------------------------------------------


def _fargate(plan: _Plan) -> None:
    profiles = plan.inventory.fargate_profiles
    if not profiles:
        return
    vcpu = plan.price("fargate", "vcpu_hour")
    gb = plan.price("fargate", "gb_hour")
    quota_namespaces = {
        s.namespace for p in profiles for s in p.selectors if s.namespace in plan.inventory.quotas
    }
    sizes: list[str] = []
    vcpu_q = [0.0, 0.0]
    gb_q = [0.0, 0.0]
    for workload in plan.inventory.workloads:
        profile_name = _fargate_profile_for(plan, workload)
        if profile_name is None:
            continue
        size = pod_size(workload.cpu_m, workload.memory_mi)
        if size is None:
            plan.findings.append(
                Finding(
                    "fargate-too-large",
                    "warn",
                    f"{workload.name} requests {workload.cpu_m}m CPU / {workload.memory_mi}Mi, "
                    "more than Fargate's largest pod; it cannot run on Fargate and is not priced.",
                    "lower its requests or move it off the Fargate profile",
                )
            )
            continue
        in_quota = workload.namespace in quota_namespaces
        vcpu_q[0] += workload.replicas * size.vcpu
        gb_q[0] += workload.replicas * size.memory_gib
        if not in_quota:  # a quota'd namespace's ceiling is the quota's, below
            vcpu_q[1] += workload.max_replicas * size.vcpu
            gb_q[1] += workload.max_replicas * size.memory_gib
        sizes.append(
            f"{workload.name} ({workload.cpu_m}m/{workload.memory_mi}Mi requested → {size}, "
            f"{workload.replicas}–{workload.max_replicas} pods, profile {profile_name})"
        )
    seen: set[str] = set()
    for profile in profiles:
        for selector in profile.selectors:
            if selector.namespace in seen:
                continue
            seen.add(selector.namespace)
            quota = plan.inventory.quotas.get(selector.namespace)
            if quota is None:
                if not selector.labels:
                    plan.findings.append(
                        Finding(
                            "no-ceiling",
                            "warn",
                            f"Fargate profile {profile.name} takes every pod of namespace "
                            f"{selector.namespace}, which has no ResourceQuota: its Fargate "
                            "spend has no ceiling; only the pods the template defines are "
                            "priced.",
                            "give the namespace a tenant quota (tenants[].quota)",
                        )
                    )
                continue
            try:
                worst = quota_ceiling(
                    quota.cpu,
                    None if quota.memory_mib is None else quota.memory_mib / 1024,
                    quota.pods,
                    vcpu.usd if vcpu else 0.0,
                    gb.usd if gb else 0.0,
                )
            except Unbounded:
                plan.findings.append(
                    Finding(
                        "no-ceiling",
                        "warn",
                        f"Fargate namespace {selector.namespace}: its quota does not limit "
                        "the number of pods, so its Fargate spend has no ceiling.",
                        "set tenants[].quota.pods for the namespace",
                    )
                )
                continue
            vcpu_q[1] += worst.vcpu
            gb_q[1] += worst.memory_gib
            mix = " + ".join(f"{_qty(n)} pods of {size}" for size, n in worst.mix)
            memory_gib = None if quota.memory_mib is None else quota.memory_mib / 1024
            plan.details.append(
                (
                    f"Fargate namespace {selector.namespace}",
                    f"Quota: {_limit(quota.cpu, ' vCPU')}, "
                    f"{_limit(memory_gib, ' GiB')}"
                    f", {_limit(quota.pods, ' pods')} requested. Costliest fill after Fargate's "
                    "rounding: "
                    f"{mix} = {_qty(worst.vcpu)} vCPU and {_qty(worst.memory_gib)} GB.",
                )
            )
            sizes.append(
                f"namespace {selector.namespace} (profile {profile.name}): no pods at the "
                f"baseline; at the ceiling its quota filled with the pod sizes that round up "
                "the most"
            )
    plan.add(
        "Fargate vCPU",
        "fargate",
        vcpu,
        "vCPU-hour",
        vcpu_q[0],
        vcpu_q[1],
        hourly=True,
        qty_unit="vCPU",
    )
    plan.add(
        "Fargate memory", "fargate", gb, "GB-hour", gb_q[0], gb_q[1], hourly=True, qty_unit="GB"
    )
    plan.assumptions.append(
        "Fargate: each pod billed at its requests plus 256 MB rounded up to a Fargate size "
        "(EKS user guide, Fargate Pod configuration): " + "; ".join(sizes) + "."
    )


def _limit(value: float | None, unit: str) -> str:
    return f"no limit on{unit}" if value is None else f"{value:g}{unit}"


# -- network ---------------------------------------------------------------------------------


def _network(plan: _Plan) -> None:
    inv = plan.inventory
    if inv.nat_gateways:
        plan.add(
            "NAT gateways",
            "network",
            plan.price("nat_gateway", "hour"),
            "gateway-hour",
            inv.nat_gateways,
            inv.nat_gateways,
            hourly=True,
            qty_unit="gateways",
        )
        plan.add(
            "NAT gateway data processed",
            "network",
            plan.price("nat_gateway", "gb_processed"),
            "GB",
            NAT_GB_PER_MONTH,
            NAT_GB_PER_MONTH,
            hourly=False,
            qty_unit="GB",
            note="assumed volume",
        )
        plan.assumptions.append(
            f"NAT gateways: {inv.nat_gateways} (AWS::EC2::NatGateway in the template), "
            f"{NAT_GB_PER_MONTH:g} GB a month processed in all (assumed; S3 goes through the "
            "gateway endpoint, internet egress is charged on top and not priced)."
        )
    if inv.elastic_ips:
        plan.add(
            "Public IPv4 addresses (Elastic IPs)",
            "network",
            plan.price("public_ipv4", "hour"),
            "address-hour",
            inv.elastic_ips,
            inv.elastic_ips,
            hourly=True,
            qty_unit="addresses",
        )
    if inv.interface_endpoints:
        attachments = sum(azs for _, azs in inv.interface_endpoints)
        names = ", ".join(sorted({name for name, _ in inv.interface_endpoints}))
        plan.add(
            f"Interface endpoints ({len(inv.interface_endpoints)} × AZs)",
            "network",
            plan.price("vpc_endpoint", "interface_az_hour"),
            "endpoint-AZ-hour",
            attachments,
            attachments,
            hourly=True,
            qty_unit="endpoint-AZs",
            note=names,
        )
        plan.add(
            "Interface endpoint data processed",
            "network",
            plan.price("vpc_endpoint", "gb_processed"),
            "GB",
            ENDPOINT_GB_PER_MONTH,
            ENDPOINT_GB_PER_MONTH,
            hourly=False,
            qty_unit="GB",
            note="assumed volume",
        )
        plan.assumptions.append(
            f"Interface endpoints: {len(inv.interface_endpoints)} ({names}) in "
            f"{attachments} endpoint-AZs; {ENDPOINT_GB_PER_MONTH:g} GB a month processed "
            "(assumed). The S3 gateway endpoint is free."
        )
    if inv.ingresses:
        plan.assumptions.append(
            f"Load balancers are not priced: the AWS Load Balancer Controller creates them "
            f"at run time ({inv.ingresses} Ingress object(s) in the template), as it does for "
            "Services of type LoadBalancer."
        )


# -- security --------------------------------------------------------------------------------


def _security(plan: _Plan) -> None:
    inv = plan.inventory
    if inv.kms_keys:
        rotating = sum(1 for k in inv.kms_keys if k.rotation)
        plan.add(
            "KMS keys",
            "security",
            plan.price("kms", "key_month"),
            "key-month",
            len(inv.kms_keys),
            len(inv.kms_keys),
            hourly=False,
            qty_unit="keys",
        )
        plan.assumptions.append(
            f"KMS: {len(inv.kms_keys)} keys (AWS::KMS::Key), {rotating} with yearly rotation. "
            "Each rotation adds to a key's monthly price (not included); requests are not "
            "priced (20,000 a month are free; the cluster's envelope encryption uses few)."
        )
    guardduty = inv.guardduty
    if guardduty is None:
        plan.assumptions.append("GuardDuty: off in this environment; nothing priced.")
        return
    where = (
        "the template's detector"
        if guardduty.from_template
        else "the organisation's detector (security.guardduty.mode: existing), billed to "
        "this account"
    )
    if guardduty.runtime_monitoring:
        plan.add(
            "GuardDuty Runtime Monitoring (EKS nodes)",
            "security",
            plan.price("guardduty", "eks_runtime_vcpu_month"),
            "vCPU-month",
            plan.vcpus[0],
            plan.vcpus[1],
            hourly=False,
            qty_unit="vCPUs",
            note="EC2 node vCPUs; Fargate pods are not monitored on EKS",
        )
    if guardduty.audit_logs:
        plan.add(
            "GuardDuty EKS audit log monitoring",
            "security",
            plan.price("guardduty", "eks_audit_million_events"),
            "1M events",
            AUDIT_MILLION_EVENTS_PER_MONTH,
            AUDIT_MILLION_EVENTS_PER_MONTH,
            hourly=False,
            qty_unit="M events",
            note="assumed volume",
        )
    plan.assumptions.append(
        f"GuardDuty from {where}: Runtime Monitoring on the EC2 nodes' vCPUs (first-tier "
        f"rate), {AUDIT_MILLION_EVENTS_PER_MONTH:g} million audit events a month (assumed); "
        "foundational threat detection (CloudTrail, flow and DNS logs) is account-wide and "
        "not priced."
    )


# -- logs ------------------------------------------------------------------------------------


def _stored_months(retention_days: int | None) -> float:
    days = MAX_RETENTION_DAYS if retention_days is None else min(retention_days, MAX_RETENTION_DAYS)
    return days / DAYS_PER_MONTH


def _logs(plan: _Plan) -> None:
    inv = plan.inventory
    ingestion = plan.price("cloudwatch_logs", "ingestion_gb")
    storage = plan.price("cloudwatch_logs", "storage_gb_month")
    streams: list[tuple[str, float, float, float]] = []  # (what, base GB, ceil GB, months)
    assumed: list[str] = []
    control = [g for g in inv.log_groups if g.kind == "control_plane"]
    if inv.control_plane_log_types:
        gb = CONTROL_PLANE_GB_PER_LOG_TYPE * len(inv.control_plane_log_types)
        months = _stored_months(control[0].retention_days if control else None)
        streams.append(("control plane", gb, gb, months))
        assumed.append(
            f"control plane {CONTROL_PLANE_GB_PER_LOG_TYPE:g} GB per log type × "
            f"{len(inv.control_plane_log_types)} ({', '.join(inv.control_plane_log_types)})"
        )
    for group in (g for g in inv.log_groups if g.kind == "flow_logs"):
        months = _stored_months(group.retention_days)
        streams.append(("VPC flow logs", FLOW_LOG_GB_PER_MONTH, FLOW_LOG_GB_PER_MONTH, months))
        assumed.append(f"VPC flow logs {FLOW_LOG_GB_PER_MONTH:g} GB")
    if CONTAINER_INSIGHTS_ADDON in inv.addons:
        months = _stored_months(CONTAINER_INSIGHTS_RETENTION_DAYS)
        streams.append(
            (
                "Container Insights",
                CONTAINER_INSIGHTS_GB_PER_NODE * plan.nodes[0],
                CONTAINER_INSIGHTS_GB_PER_NODE * plan.nodes[1],
                months,
            )
        )
        assumed.append(
            f"Container Insights {CONTAINER_INSIGHTS_GB_PER_NODE:g} GB per EC2 node, kept "
            f"{CONTAINER_INSIGHTS_RETENTION_DAYS} days"
        )
    others = [g for g in inv.log_groups if g.kind == "other"]
    if others:
        gb = OTHER_LOG_GROUP_GB_PER_MONTH * len(others)
        months = sum(_stored_months(g.retention_days) for g in others) / len(others)
        streams.append((f"{len(others)} other log groups", gb, gb, months))
        assumed.append(f"{OTHER_LOG_GROUP_GB_PER_MONTH:g} GB for each other log group")
    for what, base, ceil, _ in streams:
        plan.add(
            f"CloudWatch Logs ingestion: {what}",
            "logs",
            ingestion,
            "GB",
            base,
            ceil,
            hourly=False,
            qty_unit="GB",
            note="assumed volume",
        )
    if streams:
        plan.add(
            "CloudWatch Logs storage (steady state)",
            "logs",
            storage,
            "GB-month",
            sum(base * months for _, base, _, months in streams),
            sum(ceil * months for _, _, ceil, months in streams),
            hourly=False,
            qty_unit="GB",
            note="monthly volume × retention",
        )
        plan.assumptions.append(
            "CloudWatch Logs a month (assumed volumes): " + "; ".join(assumed) + ". Storage "
            "is the steady state, a month's volume times its retention (never-expiring "
            f"groups: {MAX_RETENTION_DAYS} days), uncompressed: an upper estimate."
        )


# -- usage-priced storage --------------------------------------------------------------------

#: The smallest FSx for Lustre SSD file system, GiB (1.2 TiB: FSx for Lustre user guide,
#: storage capacity: 1.2 TiB, 2.4 TiB, then increments of 2.4 TiB for SCRATCH_2 and the
#: PERSISTENT deployment types).
FSX_LUSTRE_MIN_GIB = 1200


def _unit_price(plan: _Plan, section: str, key: str, unit: str) -> str:
    price = plan.price(section, key)
    if price is None:
        return "not in the price table"
    return f"${price.usd:,.4f}/{unit}" + ("" if price.confirmed else " *")


def _usage_priced_storage(plan: _Plan) -> None:
    """EFS file systems and the FSx for Lustre file systems a StorageClass creates per claim:
    billed by what is stored (and, for elastic EFS, read and written), which the template
    does not say. Listed with their unit price when the table has one, never in the totals."""
    inv = plan.inventory
    rows: list[dict[str, Any]] = []
    for fs in inv.file_systems:
        ia = [p for p in fs.lifecycle if p.startswith("TransitionToIA")]
        prices = [
            f"Standard {_unit_price(plan, 'efs', 'standard_gb_month', 'GB-month')}",
            f"Infrequent Access {_unit_price(plan, 'efs', 'ia_gb_month', 'GB-month')}",
        ]
        if fs.throughput_mode == "elastic":
            prices += [
                f"reads {_unit_price(plan, 'efs', 'elastic_read_gb', 'GB')}",
                f"writes {_unit_price(plan, 'efs', 'elastic_write_gb', 'GB')}",
            ]
        if all(p.endswith("not in the price table") for p in prices):
            prices = ["not in the price table"]
        rows.append(
            {
                "item": f"EFS file system {fs.logical_id}",
                "billed_by": "GB-month stored"
                + (" (Standard, then Infrequent Access: " + ", ".join(ia) + ")" if ia else "")
                + (
                    "; GB read and written (elastic throughput)"
                    if fs.throughput_mode == "elastic"
                    else f"; {fs.throughput_mode} throughput"
                ),
                "unit_price": "; ".join(prices),
                "why": "no fixed monthly cost: what is stored and moved is not in the template "
                f"({fs.mount_targets} mount targets, free)",
            }
        )
    for sc in inv.storage_classes:
        if sc.provisioner != FSX_CSI:
            continue  # EFS access points: the file system's line above
        deployment = sc.parameters.get("deploymentType", "SCRATCH_2")
        throughput = sc.parameters.get("perUnitStorageThroughput")
        key = "_".join(
            [
                deployment.lower(),
                *([throughput] if throughput and deployment.startswith("PERSISTENT") else []),
            ]
        )
        known = key + "_gb_month" in PRICE_KEYS["fsx_lustre"]
        backups = sc.parameters.get("automaticBackupRetentionDays")
        rows.append(
            {
                "item": f"FSx for Lustre, StorageClass {sc.name}",
                "billed_by": f"GB-month provisioned, {deployment}"
                + (f" {throughput} MB/s/TiB" if throughput else "")
                + f": one file system per claim, at least {FSX_LUSTRE_MIN_GIB / 1000:g} TiB"
                + (f"; backups ({backups} days) per GB-month" if backups else ""),
                "unit_price": _unit_price(plan, "fsx_lustre", key + "_gb_month", "GB-month")
                if known
                else "not in the price table",
                "why": "created per PersistentVolumeClaim at run time: the number and size of "
                "claims are not in the template",
            }
        )
    if not rows:
        return
    plan.usage_priced = rows
    plan.details.append(
        (
            "Usage-priced storage (not in the totals)",
            markdown_table(
                ["Item", "Billed by", "Unit price", "Not estimated because"],
                [[r["item"], r["billed_by"], r["unit_price"], r["why"]] for r in rows],
            ),
        )
    )
    plan.findings.append(
        Finding(
            "usage-priced",
            "info",
            f"{len(rows)} storage item(s) are billed by use and not estimated (neither in the "
            f"baseline nor the ceiling): {', '.join(r['item'] for r in rows)}.",
        )
    )
    plan.assumptions.append(
        "Usage-priced storage (EFS, FSx for Lustre) is listed with its unit prices where the "
        "price table has them and not estimated: the template says what exists, not how much "
        "it will hold, so the totals leave it out (EFS has no fixed monthly cost; FSx for "
        "Lustre file systems are created per claim)."
    )


# -- the report ------------------------------------------------------------------------------


def _report(plan: _Plan, table: PriceTable) -> PlanReport:
    items = plan.items
    baseline = sum(i.baseline or 0.0 for i in items)
    ceiling = sum(i.ceiling or 0.0 for i in items)
    unpriced = [i for i in items if not i.priced]
    if unpriced:
        plan.findings.append(
            Finding(
                "price-missing",
                "warn",
                f"{len(unpriced)} line item(s) have no price and are left out of the totals: "
                + ", ".join(i.item for i in unpriced)
                + ".",
                f"add the prices: {REFRESH_COMMAND} --region {plan.region}",
            )
        )
    unconfirmed = [i for i in items if i.priced and not i.confirmed]
    if unconfirmed:
        sections_unconfirmed = sorted({i.section for i in unconfirmed})
        plan.findings.append(
            Finding(
                "prices-unconfirmed",
                "warn",
                f"{len(unconfirmed)} of {len(items)} line items use {plan.region} prices not "
                "confirmed against the AWS Price List or a public price page (marked * in "
                f"the table; sections {', '.join(sections_unconfirmed)} of the price table, "
                "whose sources say why).",
                f"refresh the table with AWS credentials: {REFRESH_COMMAND} --region {plan.region}",
            )
        )
    rows = []
    for i in items:
        unit_price = (
            "—"
            if i.unit_price is None
            else (f"${i.unit_price:,.4f}/{i.unit}" + ("" if i.confirmed else " *"))
        )
        qty_unit = i.qty_unit or i.unit
        if abs(i.ceiling_qty - 1) < 1e-9 and abs(i.baseline_qty - 1) < 1e-9:
            qty_unit = _SINGULAR.get(qty_unit, qty_unit)
        quantity = (
            f"{_qty(i.baseline_qty)} {qty_unit}"
            if abs(i.baseline_qty - i.ceiling_qty) < 1e-9
            else f"{_qty(i.baseline_qty)} → {_qty(i.ceiling_qty)} {qty_unit}"
        )
        rows.append([i.item, quantity, unit_price, _money(i.baseline), _money(i.ceiling)])
    rows.append(["**Total**", "", "", f"**{_money(baseline)}**", f"**{_money(ceiling)}**"])
    sections = [
        (
            "Monthly cost",
            f"**Baseline {_money(baseline)}** a month at minimum sizes; **ceiling "
            f"{_money(ceiling)}** at maximum sizes and limits ({HOURS_PER_MONTH} hours, "
            f"on-demand USD, {plan.region}).",
        ),
        (
            "Line items",
            markdown_table(["Item", "Quantity", "Unit price", "Baseline", "Ceiling"], rows)
            + "\n\n\\* price not confirmed (see the sources).",
        ),
    ]
    sections += [(heading, body) for heading, body in plan.details]
    sources = []
    if plan.prices is not None:
        for name in sorted(plan.used_sections):
            section = plan.prices.sections.get(name)
            if section is not None:
                sources.append(f"Price table {table.origin}, {plan.region}, {section.describe()}")
        not_live = sorted(
            n
            for n in plan.used_sections
            if n in plan.prices.sections and not plan.prices.sections[n].from_price_list
        )
        if not_live:
            plan.assumptions.append(
                f"Prices of {', '.join(not_live)} were not read from the AWS Price List API "
                f"({REFRESH_COMMAND} has not been run for {plan.region}); their sources are "
                "listed below."
            )
    sources.append(
        "Fargate sizes: Amazon EKS user guide, Fargate Pod configuration (read 2026-11-30)."
    )
    data = {
        "currency": "USD",
        "hours_per_month": HOURS_PER_MONTH,
        "region": plan.region,
        "baseline": {"monthly_usd": round(baseline, 2)},
        "ceiling": {"monthly_usd": round(ceiling, 2)},
        "line_items": [i.to_json() for i in items],
        "unpriced": [i.item for i in unpriced],
        "usage_priced": plan.usage_priced,
        "price_table": {
            "path": table.origin,
            "sections": {
                name: {"source": s.source, "taken": s.taken, "confirmed": s.confirmed}
                for name, s in sorted((plan.prices.sections if plan.prices else {}).items())
                if name in plan.used_sections
            },
        },
    }
    return PlanReport(
        kind="cost",
        env=plan.env,
        title=f"{plan.env}: {_money(baseline)} to {_money(ceiling)} a month",
        findings=plan.findings,
        sections=sections,
        data=data,
        assumptions=plan.assumptions,
        sources=sources,
    )


__all__ = ["LineItem", "cost_change_sentence", "plan_cost"]
