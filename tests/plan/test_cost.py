"""`plan cost`: the monthly baseline and ceiling of each environment, priced from the dated
table, and what moves them.

The plan reads the template, so the tests vary deep copies of the synthesised templates
(instance types, NAT gateways, support type, NodePool limits) and compare the totals with
what the price table says the change must cost.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.instance_types import instance_type
from eks_blueprint.plan import PlanInputs, PlanReport
from eks_blueprint.plan.cli import EXIT_CLEAR, main
from eks_blueprint.plan.cost import (
    HOURS_PER_MONTH,
    cost_change_sentence,
    load_price_table,
    parse_price_table,
    plan_cost,
)
from eks_blueprint.plan.cost.fargate import PodSize, _cheapest_requests, pod_size, quota_ceiling
from eks_blueprint.plan.cost.plan import KARPENTER_VM_MEMORY_OVERHEAD
from eks_blueprint.plan.cost.prices import PriceTableError
from eks_blueprint.plan.cost.solve import Unbounded, maximise
from stacks.app_builder import CONFIG_DIR

from .layers import manifest_items

ENVS = ("dev", "staging", "prod")
TABLE = load_price_table()


def _vary(inputs: PlanInputs, mutate: Callable[[dict[str, dict[str, Any]]], None]) -> PlanInputs:
    """The same environment with `mutate` applied to a deep copy of every stack's resources."""
    stacks = tuple(
        dataclasses.replace(s, template=copy.deepcopy(s.template)) for s in inputs.stacks
    )
    for stack in stacks:
        mutate(stack.template.get("Resources") or {})
    return dataclasses.replace(inputs, stacks=stacks)


def _of_type(resources: dict[str, dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in resources.values() if r.get("Type") == kind]


def _line(report: PlanReport, prefix: str) -> dict[str, Any]:
    matches = [i for i in report.data["line_items"] if i["item"].startswith(prefix)]
    assert len(matches) == 1, [i["item"] for i in report.data["line_items"]]
    line: dict[str, Any] = matches[0]
    return line


def _totals(report: PlanReport) -> tuple[float, float]:
    return report.data["baseline"]["monthly_usd"], report.data["ceiling"]["monthly_usd"]


def _price(section: str, key: str, region: str = "eu-west-1") -> float:
    price = TABLE.regions[region].price(section, key)
    assert price is not None
    return price.usd


# -- every shipped environment ---------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_every_environment_has_a_positive_baseline_under_its_ceiling(plan_inputs, env: str) -> None:  # type: ignore[no-untyped-def]
    report = plan_cost(plan_inputs(env))
    baseline, ceiling = _totals(report)
    assert baseline > 0
    assert ceiling >= baseline
    assert not report.blocked, "cost is information: it never blocks"
    items = report.data["line_items"]
    # The totals are exactly the sum of the priced lines.
    assert baseline == pytest.approx(sum(i["baseline_usd"] or 0 for i in items), abs=0.05)
    assert ceiling == pytest.approx(sum(i["ceiling_usd"] or 0 for i in items), abs=0.05)
    # Every line is priced, or shown unpriced with a warning that names it.
    warnings = " ".join(f.message for f in report.findings if f.severity == "warn")
    for item in items:
        if not item["priced"]:
            assert item["item"] in warnings
            assert item["item"] in report.data["unpriced"]
        elif not item["confirmed"]:
            assert "prices-unconfirmed" in {f.check for f in report.findings}
    # Each item of the table is in the Markdown, and every assumption is printed.
    text = report.to_markdown()
    assert all(i["item"] in text for i in items)
    assert report.assumptions and all(a in text for a in report.assumptions)
    assert any("prices.json" in s for s in report.sources)


def test_the_shipped_configs_instance_types_are_in_the_table(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    for env in ENVS:
        inputs = plan_inputs(env)
        region = TABLE.regions[inputs.config.region]
        for group in inputs.config.compute.node_groups:
            for name in group.instance_types:
                assert region.instance(name) is not None, f"{env}: {name}"
                assert TABLE.regions["us-east-1"].instance(name) is not None, name


def test_unconfirmed_eu_west_1_prices_are_warned_and_marked(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    report = plan_cost(plan_inputs("prod"))
    finding = next(f for f in report.findings if f.check == "prices-unconfirmed")
    assert "instances" in finding.message and "refresh_prices.py --region eu-west-1" in (
        finding.fix or ""
    )
    node_line = _line(report, "Node group system: m7g.xlarge")
    assert node_line["confirmed"] is False
    assert "$0.1819/node-hour *" in report.to_markdown()
    assert any("not read from the AWS Price List API" in a for a in report.assumptions)


# -- what moves the totals -------------------------------------------------------------------


def test_a_bigger_node_group_type_moves_baseline_and_ceiling_by_its_price(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    """prod's system group m7g.xlarge -> m7g.2xlarge (a deep-copied template): the node line
    moves by the price difference x MinSize/MaxSize x 730 h; the totals also by the GuardDuty
    Runtime Monitoring of the extra vCPUs (prod enables it), nothing else."""
    base_inputs = plan_inputs("prod")

    def bigger(resources: dict[str, dict[str, Any]]) -> None:
        for group in _of_type(resources, "AWS::EKS::Nodegroup"):
            group["Properties"]["InstanceTypes"] = ["m7g.2xlarge"]

    base, head = plan_cost(base_inputs), plan_cost(_vary(base_inputs, bigger))
    group = next(p for _, _, p in base_inputs.properties("AWS::EKS::Nodegroup"))
    low, high = group["ScalingConfig"]["MinSize"], group["ScalingConfig"]["MaxSize"]
    assert (low, high) == (3, 6)
    small = TABLE.regions["eu-west-1"].instance("m7g.xlarge")
    large = TABLE.regions["eu-west-1"].instance("m7g.2xlarge")
    assert small is not None and large is not None
    diff = large.usd_per_hour - small.usd_per_hour
    vcpu_diff = (large.vcpus - small.vcpus) * _price("guardduty", "eks_runtime_vcpu_month")
    assert _line(head, "Node group system: m7g.2xlarge")["baseline_usd"] - _line(
        base, "Node group system: m7g.xlarge"
    )["baseline_usd"] == pytest.approx(diff * low * HOURS_PER_MONTH, abs=0.01)
    (b0, c0), (b1, c1) = _totals(base), _totals(head)
    assert b1 - b0 == pytest.approx(diff * low * HOURS_PER_MONTH + vcpu_diff * low, abs=0.02)
    assert c1 - c0 == pytest.approx(diff * high * HOURS_PER_MONTH + vcpu_diff * high, abs=0.02)
    sentence = cost_change_sentence(base, head)
    assert sentence.startswith("This change raises prod's monthly baseline by $")


def test_nat_per_az_versus_single(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    """staging runs one NAT gateway per AZ; with two of the three gone (network.nat_gateways:
    single), the NAT line falls by two gateway-months."""
    inputs = plan_inputs("staging")
    assert inputs.config.network.nat_gateways == "per_az"

    def single(resources: dict[str, dict[str, Any]]) -> None:
        for logical_id in sorted(
            k for k, r in resources.items() if r.get("Type") == "AWS::EC2::NatGateway"
        )[1:]:
            del resources[logical_id]

    per_az, one = plan_cost(inputs), plan_cost(_vary(inputs, single))
    hour = _price("nat_gateway", "hour")
    assert _line(per_az, "NAT gateways")["quantity"]["baseline"] == 3
    assert _line(one, "NAT gateways")["quantity"]["baseline"] == 1
    drop = (
        _line(per_az, "NAT gateways")["baseline_usd"] - _line(one, "NAT gateways")["baseline_usd"]
    )
    assert drop == pytest.approx(2 * hour * HOURS_PER_MONTH, abs=0.01)
    assert _totals(per_az)[0] - _totals(one)[0] == pytest.approx(drop, abs=0.02)
    # dev is shipped with a single gateway.
    assert _line(plan_cost(plan_inputs("dev")), "NAT gateways")["quantity"]["baseline"] == 1


def test_extended_support_raises_the_control_plane_ceiling(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    inputs = plan_inputs("prod")

    def extended(resources: dict[str, dict[str, Any]]) -> None:
        for cluster in _of_type(resources, "AWS::EKS::Cluster"):
            cluster["Properties"]["UpgradePolicy"] = {"SupportType": "EXTENDED"}

    standard, ext = plan_cost(inputs), plan_cost(_vary(inputs, extended))
    rate_gap = _price("eks", "cluster_hour_extended") - _price("eks", "cluster_hour_standard")
    assert rate_gap == pytest.approx(0.5)

    def control_plane(report: PlanReport, which: str) -> float:
        return float(
            sum(
                i[f"{which}_usd"]
                for i in report.data["line_items"]
                if i["category"] == "control plane"
            )
        )

    assert control_plane(standard, "baseline") == pytest.approx(0.10 * HOURS_PER_MONTH)
    assert control_plane(ext, "baseline") == control_plane(standard, "baseline")
    assert control_plane(ext, "ceiling") - control_plane(standard, "ceiling") == pytest.approx(
        rate_gap * HOURS_PER_MONTH
    )
    assert _totals(ext)[1] - _totals(standard)[1] == pytest.approx(
        rate_gap * HOURS_PER_MONTH, abs=0.02
    )
    assert any("upgrade policy is EXTENDED" in a for a in ext.assumptions)


def test_a_type_missing_from_the_table_is_warned_and_left_out(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    inputs = plan_inputs("prod")

    def unknown(resources: dict[str, dict[str, Any]]) -> None:
        for group in _of_type(resources, "AWS::EKS::Nodegroup"):
            group["Properties"]["InstanceTypes"] = ["m7g.48xlarge"]

    report = plan_cost(_vary(inputs, unknown))
    line = _line(report, "Node group system: m7g.48xlarge")
    assert line["priced"] is False and line["baseline_usd"] is None
    assert "Node group system: m7g.48xlarge" in report.data["unpriced"]
    missing = [f for f in report.findings if f.check == "price-missing"]
    warning = next(f for f in missing if "m7g.48xlarge" in f.message)
    assert "--add-instance-types m7g.48xlarge" in (warning.fix or "")
    assert "vCPUs are unknown too" in warning.message
    assert "| — |" in report.to_markdown()
    # Left out, never zero-priced silently: the total lacks that line and, as the warning
    # says, the GuardDuty vCPUs of its nodes.
    full = plan_cost(inputs)
    node = _line(full, "Node group system: m7g.xlarge")["baseline_usd"]
    guardduty = 3 * 4 * _price("guardduty", "eks_runtime_vcpu_month")
    assert _totals(full)[0] - _totals(report)[0] == pytest.approx(node + guardduty, abs=0.02)


def test_a_region_missing_from_the_table_prices_nothing(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    raw = json.loads((CONFIG_DIR.parent / "eks_blueprint/plan/data/prices.json").read_text())
    del raw["regions"]["eu-west-1"]
    report = plan_cost(plan_inputs("dev"), price_table=parse_price_table(raw, "test.json"))
    assert "price-region-missing" in {f.check for f in report.findings}
    assert _totals(report) == (0, 0)
    assert report.data["unpriced"] == [i["item"] for i in report.data["line_items"]]


# -- Karpenter -------------------------------------------------------------------------------


#: (name, vCPUs, MiB, $/h) of the small table: Graviton 2xlarge types, as the shipped
#: NodePools launch 8 vCPUs or more (instance-cpu Gt 7).
SMALL_TYPES = (
    ("c7g.2xlarge", 8, 16384, 0.4),  # 2 GiB a vCPU, $0.05 a vCPU-hour
    ("m7g.2xlarge", 8, 32768, 0.6),  # 4 GiB, $0.075
    ("r7g.2xlarge", 8, 65536, 1.2),  # 8 GiB, $0.15
    ("m7g.xlarge", 4, 16384, 0.3),  # the node group's type (too small for the pools)
)


def _small_table(region: str = "eu-west-1") -> Any:
    """A confirmed table of four Graviton types and nothing else (so no per-node extras)."""
    types = {
        name: {"arch": "arm64", "vcpus": vcpus, "memory_mib": mib, "usd_per_hour": usd}
        for name, vcpus, mib, usd in SMALL_TYPES
    }
    section = {"source": "test", "taken": "2026-11-30", "confirmed": True, "types": types}
    return parse_price_table(
        {"currency": "USD", "regions": {region: {"instances": section}}}, "small.json"
    )


def _pool_limits(inputs: PlanInputs, pool: str) -> tuple[float, float]:
    """(vCPUs, MiB) of a NodePool's limits in the template."""
    for props in manifest_items(inputs):
        manifest = props["Manifest"]
        if isinstance(manifest, str) and '"kind":"NodePool"' in manifest:
            for obj in json.loads(manifest):
                if obj["metadata"]["name"] == pool:
                    limits = obj["spec"]["limits"]
                    assert limits["memory"].endswith("Gi")
                    return float(limits["cpu"]), float(limits["memory"][:-2]) * 1024
    raise AssertionError(f"no NodePool {pool}")


def test_karpenter_ceiling_is_the_costliest_fill_of_cpu_and_memory_limits(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    """prod's on-demand pool (400 vCPU, 1600Gi). Of c7g (2 GiB a vCPU, $0.05 a vCPU-hour),
    m7g (4, $0.075) and r7g (8, $0.15), filling the CPU with r7g runs out of memory first;
    the costliest fill mixes r7g and c7g so that both limits bind:
    8c + 8r = CPU and 0.925 x (16 GiB c + 64 GiB r) = memory (Karpenter's VM overhead)."""
    inputs = plan_inputs("prod")
    report = plan_cost(inputs, price_table=_small_table())
    cpu, memory = _pool_limits(inputs, "on-demand")
    assert (cpu, memory) == (400, 1600 * 1024)
    per_c, per_r = (mib * (1 - KARPENTER_VM_MEMORY_OVERHEAD) for mib in (16384, 65536))
    nodes = cpu / 8
    r = (memory - per_c * nodes) / (per_r - per_c)
    c = nodes - r
    assert 0 < r < nodes
    ceiling = "ceiling"
    assert _line(report, "Karpenter pool on-demand: r7g.2xlarge")["quantity"][ceiling] == (
        pytest.approx(r, abs=1e-3)
    )
    assert _line(report, "Karpenter pool on-demand: c7g.2xlarge")["quantity"][ceiling] == (
        pytest.approx(c, abs=1e-3)
    )
    pool = [
        i
        for i in report.data["line_items"]
        if i["item"].startswith("Karpenter pool on-demand:") and i["priced"]
    ]
    total = sum(i["ceiling_usd"] for i in pool)
    assert total == pytest.approx((0.4 * c + 1.2 * r) * HOURS_PER_MONTH, abs=0.05)
    # Better than any single type filling the pool alone; the 4-vCPU type is not launched.
    for name, vcpus, mib, usd in SMALL_TYPES[:3]:
        alone = min(cpu / vcpus, memory / (mib * (1 - KARPENTER_VM_MEMORY_OVERHEAD))) * usd
        assert total >= alone * HOURS_PER_MONTH - 0.01, name
    assert not any("Karpenter pool on-demand: m7g.xlarge" in i["item"] for i in pool)
    # The spot pool is priced the same way, at on-demand rates, and says so.
    assert any("priced at on-demand rates" in a for a in report.assumptions)


def test_karpenter_baseline_runs_what_no_group_or_profile_takes(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    """prod's system group is tainted CriticalAddonsOnly: metrics-server and the CloudWatch
    controller (no toleration) need a Karpenter node; the highest-weight pool (spot, 50)
    gets the cheapest type it may launch that holds them next to the DaemonSets."""
    report = plan_cost(plan_inputs("prod"), price_table=_small_table())
    line = _line(report, "Karpenter pool spot: c7g.2xlarge")
    assert line["quantity"]["baseline"] == 1
    assert any(
        "metrics-server ×2" in a and "1 × c7g.2xlarge in pool spot" in a for a in report.assumptions
    )
    # dev's amd64-only demo cannot run on the arm64 group: an amd64 node in the spot pool.
    dev = plan_cost(plan_inputs("dev"))
    karpenter = [
        i
        for i in dev.data["line_items"]
        if i["item"].startswith("Karpenter pool spot:") and i["quantity"]["baseline"] > 0
    ]
    assert len(karpenter) == 2  # the node and its EBS
    node = next(i for i in karpenter if i["unit"] == "node-hour")
    name = node["item"].split(": ")[1].split(" ")[0]
    row = TABLE.regions["eu-west-1"].instance(name)
    assert row is not None and row.arch == "amd64"


def test_a_pool_without_limits_has_no_ceiling_and_says_so(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    def unlimited(resources: dict[str, dict[str, Any]]) -> None:
        for item in manifest_items(resources):
            manifest = item["Manifest"]
            if isinstance(manifest, str) and '"kind":"NodePool"' in manifest:
                objects = json.loads(manifest)
                for obj in objects:
                    obj["spec"].pop("limits", None)
                item["Manifest"] = json.dumps(objects)

    report = plan_cost(_vary(plan_inputs("dev"), unlimited))
    assert any(f.check == "no-ceiling" and "NodePool spot" in f.message for f in report.findings)


# -- Fargate ---------------------------------------------------------------------------------


def test_fargate_pods_round_up_to_fargate_sizes() -> None:
    assert pod_size(100, 70) == PodSize(0.25, 0.5)  # CoreDNS: 70Mi + 256 MB
    assert pod_size(1000, 1024) == PodSize(1.0, 2.0)  # the Karpenter controller
    assert pod_size(0, 0) == PodSize(0.25, 0.5)
    assert pod_size(250, 1800) == PodSize(0.5, 3.0)  # 2.01 GB is too much for 0.25 vCPU
    assert pod_size(2001, 512) == PodSize(4.0, 8.0)
    assert pod_size(4001, 512) is None


def test_fargate_quota_ceiling_counts_rounding() -> None:
    """One pod under a quota of 2 vCPU requested can be billed 4 vCPU / 8 GB (requests just
    above 2 vCPU, no memory); under 1 vCPU, 2 vCPU / 4 GB. Without a pod limit, pods that
    request nothing still cost 0.25 vCPU each: the spend is unbounded."""
    one = quota_ceiling(2.0, 0.0, 1, 0.04, 0.004)
    [(size, pods)] = one.mix
    assert size == PodSize(4.0, 8.0)
    assert pods == pytest.approx(1.0)
    assert one.usd_per_hour == pytest.approx(4 * 0.04 + 8 * 0.004)
    # Whole pods are not required (an upper bound): under 1 vCPU and one pod, half a 4-vCPU
    # pod (1 vCPU requested) and half an empty 0.25-vCPU pod beat one 2-vCPU pod.
    half = quota_ceiling(1.0, 0.0, 1, 0.04, 0.004)
    assert half.usd_per_hour == pytest.approx(
        0.5 * (4 * 0.04 + 8 * 0.004) + 0.5 * (0.25 * 0.04 + 0.5 * 0.004)
    )
    assert half.usd_per_hour >= 2 * 0.04 + 4 * 0.004  # the best whole pod
    # The bound's pods are real: requests a hair above each listed minimum get that size.
    for size, cpu, memory in _cheapest_requests():
        cpu_m = round(cpu * 1000) + (1 if cpu else 0)
        memory_mi = round(memory * 1024) + (1 if memory else 0)
        assert pod_size(cpu_m, memory_mi) == size, (size, cpu, memory)
    with pytest.raises(Unbounded):
        quota_ceiling(1.0, 1.0, None, 0.04, 0.004)


def test_staging_fargate_baseline_and_quota_ceiling(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    """staging runs CoreDNS (2 pods) and the Karpenter controller (2 pods) on Fargate; the
    batch namespace's quota (32 vCPU, 64Gi, 200 pods) bounds its profile at the ceiling."""
    report = plan_cost(plan_inputs("staging"))
    vcpu = _line(report, "Fargate vCPU")
    memory = _line(report, "Fargate memory")
    assert vcpu["quantity"]["baseline"] == pytest.approx(2 * 0.25 + 2 * 1.0)
    assert memory["quantity"]["baseline"] == pytest.approx(2 * 0.5 + 2 * 2.0)
    batch = quota_ceiling(32, 64, 200, _price("fargate", "vcpu_hour"), _price("fargate", "gb_hour"))
    # CoreDNS scales to 6 pods; Karpenter stays at 2.
    assert vcpu["quantity"]["ceiling"] == pytest.approx(6 * 0.25 + 2 * 1.0 + batch.vcpu, abs=1e-3)
    assert batch.vcpu > 32, "rounding makes a full quota cost more than its requests"
    assert "Fargate namespace batch" in report.to_markdown()


# -- the solver and the table ----------------------------------------------------------------


def test_maximise_finds_the_vertex() -> None:
    assert maximise([3, 2], [[1, 1], [1, 3]], [4, 6]).value == pytest.approx(12)
    both = maximise([1, 1], [[2, 1], [1, 2]], [4, 4])
    assert both.value == pytest.approx(8 / 3)
    assert both.amounts == pytest.approx((4 / 3, 4 / 3))
    with pytest.raises(Unbounded):
        maximise([1, 1], [[1, 0], [0, 0]], [4, 4])


def test_the_shipped_table_is_valid_and_agrees_with_the_instance_table() -> None:
    for region in ("eu-west-1", "us-east-1"):
        prices = TABLE.regions[region]
        for section in (
            "eks",
            "nat_gateway",
            "vpc_endpoint",
            "public_ipv4",
            "fargate",
            "kms",
            "cloudwatch_logs",
            "guardduty",
            "ebs",
        ):
            assert section in prices.sections
            assert prices.sections[section].taken.startswith("2026-")
        for name, row in prices.instances.items():
            facts = instance_type(name)
            if facts is not None:
                assert (row.vcpus, row.memory_mib) == (facts.vcpus, facts.memory_mib), name
    # Nothing in eu-west-1's instance section pretends to be confirmed.
    assert not any(p.confirmed for p in TABLE.regions["eu-west-1"].instances.values())
    assert all(p.confirmed for p in TABLE.regions["us-east-1"].instances.values())
    assert TABLE.regions["us-east-1"].instance("m7g.xlarge").usd_per_hour == 0.1632  # type: ignore[union-attr]


def test_a_broken_table_names_the_field_and_the_fix() -> None:
    with pytest.raises(
        PriceTableError, match=r"t\.json: regions\.x\.nat_gateway\.prices\.hour: .*refresh_prices"
    ):
        parse_price_table(
            {
                "currency": "USD",
                "regions": {
                    "x": {
                        "nat_gateway": {
                            "source": "s",
                            "taken": "2026-01-01",
                            "confirmed": True,
                            "prices": {"hour": -1},
                        }
                    }
                },
            },
            "t.json",
        )
    with pytest.raises(PriceTableError, match=r"taken: 'yesterday' is not an ISO date"):
        parse_price_table(
            {
                "currency": "USD",
                "regions": {
                    "x": {
                        "eks": {
                            "source": "s",
                            "taken": "yesterday",
                            "confirmed": True,
                            "prices": {},
                        }
                    }
                },
            },
            "t.json",
        )


# -- the sentence and the command line -------------------------------------------------------


def _report(baseline: float, ceiling: float, env: str = "prod") -> PlanReport:
    return PlanReport(
        kind="cost",
        env=env,
        title="",
        data={"baseline": {"monthly_usd": baseline}, "ceiling": {"monthly_usd": ceiling}},
    )


def test_cost_change_sentence_wording() -> None:
    assert cost_change_sentence(_report(1000, 9000), _report(1073, 9365)) == (
        "This change raises prod's monthly baseline by $73.00 (from $1,000.00 to $1,073.00) "
        "and raises its ceiling by $365.00 (from $9,000.00 to $9,365.00)."
    )
    assert cost_change_sentence(_report(1073, 9365), _report(1000, 9365)) == (
        "This change lowers prod's monthly baseline by $73.00 (from $1,073.00 to $1,000.00) "
        "and leaves its ceiling unchanged ($9,365.00)."
    )
    assert cost_change_sentence(_report(500, 800, "dev"), _report(500, 800, "dev")) == (
        "This change leaves dev's monthly baseline ($500.00) and ceiling ($800.00) unchanged."
    )
    assert cost_change_sentence(_report(500, 800), _report(500, 700)).startswith(
        "This change leaves prod's monthly baseline unchanged ($500.00) and lowers its ceiling "
        "by $100.00"
    )


def test_cli_json(synth, capsys) -> None:  # type: ignore[no-untyped-def]
    code = main(
        [
            "cost",
            "--env",
            "prod",
            "--config-dir",
            str(CONFIG_DIR),
            "--assembly",
            str(synth.outdir),
            "--format",
            "json",
        ]
    )
    assert code == EXIT_CLEAR
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "cost" and out["status"] == "clear"
    data = out["data"]
    assert data["currency"] == "USD" and data["hours_per_month"] == 730
    assert data["baseline"]["monthly_usd"] > 0
    assert data["ceiling"]["monthly_usd"] >= data["baseline"]["monthly_usd"]
    assert {"item", "unit_price_usd", "quantity", "baseline_usd", "ceiling_usd"} <= set(
        data["line_items"][0]
    )


# -- self-managed, GPU and Windows capacity, usage-priced storage ------------------------------


def test_self_managed_groups_are_priced_from_min_to_max(examples) -> None:  # type: ignore[no-untyped-def]
    report = plan_cost(examples["self-managed"])
    region = TABLE.regions["eu-west-1"]
    # hardened: m7i.large first (prioritized On-Demand) at MinSize 2, the costlier of
    # m7i.large / m6i.large at MaxSize 6; one 50 GiB gp3 root volume a node
    hardened = _line(report, "Self-managed group hardened: m7i.large")
    m7i = region.instance("m7i.large")
    assert m7i is not None
    assert hardened["unit_price_usd"] == m7i.usd_per_hour
    assert hardened["quantity"] == {"baseline": 2, "ceiling": 6}
    assert hardened["baseline_usd"] == pytest.approx(2 * m7i.usd_per_hour * HOURS_PER_MONTH, 0.01)
    disk = _line(report, "Self-managed group hardened: EBS gp3, 50 GiB")
    assert disk["quantity"] == {"baseline": 100, "ceiling": 300}
    # golden: Bottlerocket, its 4 GiB OS volume and 80 GiB data volume, 1 to 3 nodes
    golden_disk = _line(report, "Self-managed group golden: EBS gp3, 84 GiB")
    assert golden_disk["quantity"] == {"baseline": 84, "ceiling": 252}
    assert _line(report, "Self-managed group golden: m7g.large")["quantity"] == {
        "baseline": 1,
        "ceiling": 3,
    }
    # their vCPUs count for GuardDuty Runtime Monitoring: system 2 x 2 -> 3 x 2, hardened
    # 2 x 2 -> 6 x 2, golden 1 x 2 -> 3 x 2
    assert _line(report, "GuardDuty Runtime Monitoring")["quantity"] == {
        "baseline": 10,
        "ceiling": 24,
    }
    assert any("Self-managed node groups (hardened, golden)" in a for a in report.assumptions)


def test_windows_nodes_are_not_priced_at_linux_rates(examples) -> None:  # type: ignore[no-untyped-def]
    report = plan_cost(examples["accelerated"])
    windows = _line(report, "Node group windows: m6i.large, m5.large (Windows)")
    assert windows["priced"] is False and windows["baseline_usd"] is None
    assert windows["quantity"] == {"baseline": 1, "ceiling": 2}
    assert "Linux On-Demand prices only" in windows["note"]
    assert not [
        i
        for i in report.data["line_items"]
        if i["item"].startswith("Node group windows: m6i") and i["priced"]
    ]
    (finding,) = [f for f in report.findings if f.check == "windows-not-priced"]
    assert finding.severity == "warn" and "windows" in finding.message
    # the EBS volumes are priced as for Linux (the same gp3 rate)
    assert _line(report, "Node group windows: EBS gp3")["priced"]
    # GPU types have no price in the table: shown unpriced with the refresh command
    gpu = _line(report, "Node group gpu: g6.xlarge")
    assert gpu["priced"] is False
    assert any(
        "--add-instance-types g6.xlarge" in (f.fix or "")
        for f in report.findings
        if f.check == "price-missing"
    )
    assert "Node group windows: m6i.large, m5.large (Windows)" in report.data["unpriced"]


@pytest.mark.parametrize(
    ("env", "item", "billed"),
    [
        ("dev", "EFS file system ", "GB read and written (elastic throughput)"),
        ("prod", "EFS file system ", "Infrequent Access: TransitionToIA AFTER_30_DAYS"),
        ("staging", "FSx for Lustre, StorageClass fsx-lustre", "PERSISTENT_2 125 MB/s/TiB"),
    ],
)
def test_efs_and_fsx_are_listed_usage_priced_and_left_out_of_the_totals(  # type: ignore[no-untyped-def]
    plan_inputs, env: str, item: str, billed: str
) -> None:
    report = plan_cost(plan_inputs(env))
    (row,) = [r for r in report.data["usage_priced"] if r["item"].startswith(item)]
    assert billed in row["billed_by"]
    # the packaged table has no EFS or FSx prices: said so, never a number
    assert row["unit_price"] == "not in the price table"
    assert not [i for i in report.data["line_items"] if "EFS" in i["item"] or "FSx" in i["item"]]
    (finding,) = [f for f in report.findings if f.check == "usage-priced"]
    assert finding.severity == "info" and row["item"] in finding.message
    assert "### Usage-priced storage (not in the totals)" in report.to_markdown()


def test_a_usage_price_in_the_table_is_shown(plan_inputs) -> None:  # type: ignore[no-untyped-def]
    path = Path(__file__).resolve().parents[2] / "eks_blueprint" / "plan" / "data" / "prices.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["regions"]["eu-west-1"]["fsx_lustre"] = {
        "source": "test",
        "taken": "2026-11-30",
        "confirmed": True,
        "prices": {"persistent_2_125_gb_month": 0.165},
    }
    report = plan_cost(plan_inputs("staging"), price_table=parse_price_table(raw))
    (row,) = report.data["usage_priced"]
    assert row["unit_price"] == "$0.1650/GB-month"
    assert _totals(report) == _totals(plan_cost(plan_inputs("staging")))
