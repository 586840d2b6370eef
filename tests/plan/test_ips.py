"""`plan ips`: max pods per VPC CNI mode, the worst-case nodes and the addresses they need
per subnet, against the shipped environments and changed copies of their templates."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eks_blueprint.instance_types import InstanceType, instance_type, matching_types
from eks_blueprint.plan import PlanInputError, PlanInputs, PlanReport
from eks_blueprint.plan.cli import EXIT_BAD_INPUT, EXIT_BLOCKED, EXIT_CLEAR, main
from eks_blueprint.plan.ips import plan_ips
from eks_blueprint.plan.ips.addresses import (
    CniSettings,
    Demand,
    SubnetBudget,
    node_demand,
    windows_node_demand,
)
from stacks.app_builder import CONFIG_DIR

from .layers import manifest_items

Inputs = Callable[[str], PlanInputs]
PREFIX = CniSettings(prefix_delegation=True, warm_prefix_target=1)
SECONDARY = CniSettings()


def table(name: str) -> InstanceType:
    found = instance_type(name)
    assert found is not None, name
    return found


def findings(report: PlanReport, check: str, severity: str) -> list[str]:
    return [f.message for f in report.findings if f.check == check and f.severity == severity]


def capacity(report: PlanReport, name: str) -> dict[str, Any]:
    (found,) = [c for c in report.data["capacity"] if c["name"] == name]
    return found


def private_rows(report: PlanReport) -> list[dict[str, Any]]:
    return [r for r in report.data["subnets"] if r["tier"] == "Private"]


# -- the formulas ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "secondary", "prefix", "custom"),
    [
        # 4 ENIs x 15: 4 x 14 + 2; 4 x 14 x 16 + 2 = 898 -> 110 (4 vCPUs); 3 x 14 + 2
        ("m7g.xlarge", 58, 110, 44),
        # 3 ENIs x 6: 3 x 5 + 2; 3 x 5 x 16 + 2 = 242 -> 110; 2 x 5 + 2
        ("t4g.medium", 17, 110, 12),
        # 2 ENIs x 4: 2 x 3 + 2; 2 x 3 x 16 + 2 = 98 (below the ceiling); 1 x 3 + 2
        ("m6g.medium", 8, 98, 5),
        # 15 ENIs x 50, 96 vCPUs: 737 -> 250; 11762 -> 250; 14 x 49 + 2 = 688 -> 250
        ("m5.24xlarge", 250, 250, 250),
        # Xen: no prefixes; 2 ENIs x 10: 2 x 9 + 2; 1 x 9 + 2
        ("m4.large", 20, None, 11),
    ],
)
def test_max_pods_in_each_mode(name: str, secondary: int, prefix: int | None, custom: int) -> None:
    t = table(name)
    assert t.max_pods("secondary-ip") == secondary
    assert t.max_pods("prefix") == prefix
    assert t.max_pods("custom-networking") == custom


def test_the_ceiling_applies_above_30_vcpus_and_the_raw_limit_stays_visible() -> None:
    big = table("m5.24xlarge")
    assert (big.vcpus, big.eni_max_pods("secondary-ip"), big.pod_ceiling) == (96, 737, 250)
    assert table("c5.4xlarge").pod_ceiling == 110  # 16 vCPUs
    assert table("c5.9xlarge").pod_ceiling == 250  # 36 vCPUs
    assert table("c5.metal").prefix_delegation  # bare metal: the CNI delegates prefixes
    assert not table("c5.metal").nitro


def test_one_node_at_its_max_pods() -> None:
    # m7g.xlarge, prefixes, 110 pods: 108 pod addresses -> 7 prefixes + 1 warm = 8, in the
    # 14 slots of the first ENI: 1 ENI primary + 8 x 16 = 129
    node = node_demand(table("m7g.xlarge"), PREFIX, 110)
    assert (node.pod_addresses, node.enis, node.node_subnet) == (108, 1, Demand(1, 8))
    assert node.node_subnet.addresses == 129
    # t4g.medium: 5 slots an ENI, so 8 prefixes take 2 ENIs: 2 + 128
    assert node_demand(table("t4g.medium"), PREFIX, 110).node_subnet == Demand(2, 8)
    # secondary IPs, WARM_ENI_TARGET 1: c5.large at 29 pods: 27 addresses fill 3 ENIs of 9
    # (+1 warm, capped at 3 ENIs), every ENI with all its 10 addresses: 30
    assert node_demand(table("c5.large"), SECONDARY, 29).node_subnet == Demand(30, 0)
    # WARM_IP_TARGET 5 / MINIMUM_IP_TARGET 10: 56 + 5 capped at 4 x 14 = 56 addresses, 4 ENIs
    targets = CniSettings(warm_ip_target=5, minimum_ip_target=10)
    assert node_demand(table("m7g.xlarge"), targets, 58).node_subnet == Demand(60, 0)
    # prefixes with IP targets: max(108 + 5, 10) = 113 -> 8 prefixes, no extra warm one
    with_targets = CniSettings(prefix_delegation=True, warm_ip_target=5, minimum_ip_target=10)
    assert node_demand(table("m7g.xlarge"), with_targets, 110).node_subnet == Demand(1, 8)
    # custom networking: the node's subnet holds its primary address only
    custom = node_demand(
        table("m7g.xlarge"), CniSettings(prefix_delegation=True, custom_networking=True), 110
    )
    assert (custom.node_subnet, custom.pod_subnet, custom.enis) == (Demand(1, 0), Demand(1, 8), 2)
    # Xen with prefix delegation on: the CNI falls back to secondary IPs
    assert node_demand(table("m4.large"), PREFIX, 20).mode == "secondary-ip"


def test_a_subnet_counts_fragmentation_where_prefixes_are_in_play() -> None:
    budget = SubnetBudget("10.0.32.0/19")
    assert (budget.size, budget.available, budget.prefix_blocks) == (8192, 8187, 510)
    assert budget.capacity(Demand(100, 0)) == 8187
    assert budget.capacity(Demand(10, 1)) == 8160
    assert budget.charged(Demand(10, 5)) == 16 * 15  # each single address spoils a /28
    assert budget.charged(Demand(10, 0)) == 10
    assert budget.usable(Demand(10, 1), 10) == 7344
    assert SubnetBudget("10.0.0.0/28").prefix_blocks == 0


def test_nodepool_requirements_are_evaluated_against_the_table(plan_inputs: Inputs) -> None:
    report = plan_ips(with_templates(plan_inputs("prod"), without_min_vcpus))
    assert report.data["capacity"][1]["how"].startswith("CPU limit 400 / 2 vCPUs of c5.large")
    requirements = [
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64", "amd64"]},
        {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": ["c", "m", "r"]},
        {"key": "karpenter.k8s.aws/instance-generation", "operator": "Gt", "values": ["4"]},
        {"key": "karpenter.k8s.aws/instance-hypervisor", "operator": "In", "values": ["nitro"]},
        {
            "key": "karpenter.k8s.aws/instance-size",
            "operator": "NotIn",
            "values": ["nano", "micro", "small", "medium"],
        },
        {"key": "karpenter.k8s.aws/instance-family", "operator": "NotIn", "values": ["g4ad"]},
    ]
    names = {t.name for t in matching_types(requirements).types}
    assert {"c5.large", "m7g.xlarge", "r8g.large", "m7i-flex.large", "c6gn.large"} <= names
    assert not names & {"m7g.medium", "c5.metal", "m4.large", "t4g.large", "x2gd.large"}
    assert min(table(n).vcpus for n in names) == 2


# -- the shipped environments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "mode"),
    [
        ("dev", "prefix"),
        # network.pod_subnets: VPC CNI custom networking, with prefix delegation as everywhere
        ("staging", "custom-networking+prefix"),
        ("prod", "prefix"),
    ],
)
def test_every_shipped_environment_plans(plan_inputs: Inputs, env: str, mode: str) -> None:
    report = plan_ips(plan_inputs(env))
    assert report.kind == "ips" and report.data["mode"] == mode
    assert report.data["headroom_percent"] == 10.0
    assert report.data["instance_table"]["taken"]
    assert {r["az"] for r in private_rows(report)} == {"eu-west-1a", "eu-west-1b", "eu-west-1c"}
    assert not findings(report, "unresolved", "warn"), report.findings
    json.dumps(report.to_json())
    markdown = report.to_markdown()
    for heading in (
        "VPC CNI mode",
        "Max pods per node",
        "Worst-case nodes",
        "Addresses per subnet",
        "Assumptions",
        "Sources",
    ):
        assert f"### {heading}" in markdown


def test_stagings_numbers_with_custom_networking(plan_inputs: Inputs) -> None:
    report = plan_ips(plan_inputs("staging"))
    general = capacity(report, "general")
    # c5.large, 3 ENIs x 10: the primary ENI holds no pods, so (3 - 1) x 9 + 2 = 20 with
    # secondary IPs, (3 - 1) x 9 x 16 + 2 = 290 -> 110 with prefixes
    assert general["max_pods"]["c5.large"]["custom-networking"]["max_pods"] == 20
    assert general["max_pods"]["c5.large"]["custom-networking+prefix"] == {
        "max_pods": 110,
        "eni_limit": 290,
    }
    assert general["nodes"] == 100  # CPU limit 200 / 2 vCPUs
    node = general["node"]
    assert node["mode"] == "custom-networking+prefix" and node["pod_addresses"] == 108
    # The node's subnet keeps its primary address only; its 108 pods take ceil(108 / 16) = 7
    # prefixes + WARM_PREFIX_TARGET 1 on one secondary ENI, whose primary is in the pod subnet.
    assert node["node_subnet"] == {"individual": 1, "prefixes": 0, "addresses": 1}
    assert node["pod_subnet"] == {"individual": 1, "prefixes": 8, "addresses": 129}
    assert general["per_subnet"] == {
        "individual": 34,
        "prefixes": 0,
        "addresses": 34,
    }  # ceil(100 / 3)
    pods = [r for r in report.data["subnets"] if r["tier"] == "Pods"]
    assert len(pods) == 3
    for row in pods:
        assert row["needed"] == 34 * 129 and row["fits"]
        assert row["available"] == 2**14 - 5  # a /18
    for row in private_rows(report):
        assert row["demand"]["prefixes"] == 0


def test_prods_numbers(plan_inputs: Inputs) -> None:
    report = plan_ips(plan_inputs("prod"))
    system = capacity(report, "system")
    assert system["max_pods"]["m7g.xlarge"]["secondary-ip"]["max_pods"] == 58
    assert system["max_pods"]["m7g.xlarge"]["prefix"]["max_pods"] == 110
    assert system["max_pods"]["m7g.xlarge"]["custom-networking"]["max_pods"] == 44
    assert system["kubelet_max_pods"] == {"m7g.xlarge": 110}  # the launch template's value
    assert "launch template user data" in system["how"]
    assert system["nodes"] == 6 and system["per_subnet"] == {
        "individual": 2,
        "prefixes": 16,
        "addresses": 258,
    }  # 2 nodes an AZ x (1 + 8 x 16)
    for pool in ("on-demand", "spot"):
        found = capacity(report, pool)
        assert found["nodes"] == 50  # 400 vCPUs / 8: the pools' min_vcpus
        assert found["how"].startswith("CPU limit 400 / 8 vCPUs of ")
        assert found["node"]["node_subnet"] == {"individual": 1, "prefixes": 8, "addresses": 129}
        assert found["per_subnet"]["addresses"] == 17 * 129  # ceil(50 / 3) nodes an AZ
    # payments' dedicated NodePool: its quota's 64 vCPUs + 25 % headroom = a CPU limit of 80,
    # of 8-vCPU nodes (as the other pools): 10 nodes, ceil(10 / 3) = 4 an AZ
    tenant = capacity(report, "tenant-payments")
    assert tenant["nodes"] == 10
    assert tenant["how"].startswith("CPU limit 80 / 8 vCPUs of ")
    assert tenant["per_subnet"] == {"individual": 4, "prefixes": 32, "addresses": 4 * 129}
    # per private subnet: 258 + 2 x 2193 + 516 + 10 endpoints + 1 EFS mount target + 8
    # control plane = 5179 addresses; 16 + 2 x 136 + 32 = 320 prefixes and
    # 2 + 2 x 17 + 4 + 10 + 1 + 8 = 59 single ones: 16 x (320 + 59) = 6064 with
    # fragmentation, against 510 x 16 = 8160
    rows = private_rows(report)
    assert [(r["needed"], r["needed_charged"], r["capacity"], r["usable"]) for r in rows] == [
        (5179, 6064, 8160, 7344)
    ] * 3
    assert report.data["totals"]["nodes"] == 6 + 50 + 50 + 10
    assert not report.blocked


def without_min_vcpus(template: dict[str, Any]) -> None:
    """Drop the NodePools' instance-cpu requirement (prod's `min_vcpus: 8`)."""
    for item in manifest_items(template):
        manifest = item["Manifest"]
        if isinstance(manifest, str) and '"kind":"NodePool"' in manifest:
            docs = json.loads(manifest)
            requirements = docs[0]["spec"]["template"]["spec"]["requirements"]
            docs[0]["spec"]["template"]["spec"]["requirements"] = [
                r for r in requirements if r["key"] != "karpenter.k8s.aws/instance-cpu"
            ]
            item["Manifest"] = json.dumps(docs)


def test_prod_without_its_minimum_node_size_blocks(plan_inputs: Inputs) -> None:
    """prod's 2 x 400 vCPUs of NodePool limit fit its three /19s only because the pools
    launch 8 vCPUs or more: with 2-vCPU nodes of 110 pods each they do not."""
    report = plan_ips(with_templates(plan_inputs("prod"), without_min_vcpus))
    for pool in ("on-demand", "spot"):
        found = capacity(report, pool)
        assert found["nodes"] == 200  # 400 vCPUs / 2
        assert found["how"].startswith("CPU limit 400 / 2 vCPUs of c5.large")
    # payments' NodePool too: CPU limit 80 / 2 = 40 nodes, ceil(40 / 3) = 14 an AZ, 14 x 129
    assert capacity(report, "tenant-payments")["nodes"] == 40
    # per private subnet: 258 + 2 x 8643 + 1806 + 10 endpoints + 1 EFS mount target + 8
    # control plane = 19369 addresses; 1088 + 14 x 8 = 1200 prefixes and 155 + 14 = 169
    # single ones: 16 x (1200 + 169) = 21904 with fragmentation, against 510 x 16 = 8160
    rows = private_rows(report)
    assert [(r["needed"], r["needed_charged"], r["capacity"], r["usable"]) for r in rows] == [
        (19369, 21904, 8160, 7344)
    ] * 3
    assert report.data["totals"]["nodes"] == 6 + 200 + 200 + 40
    blocked = findings(report, "subnet-capacity", "block")
    assert len(blocked) == 3 and report.blocked
    assert "Private eu-west-1a (10.30.32.0/19)" in blocked[0]
    assert "needs 19369 addresses" in blocked[0] and "7344 after the 10 % headroom" in blocked[0]
    (fix,) = {f.fix for f in report.findings if f.severity == "block"}
    assert fix is not None
    for option in (
        "network.private_subnet_mask",
        "compute.karpenter.node_pools[0].limits.cpu",
        "compute.karpenter.node_pools[1].limits.cpu",
        "custom networking",
        "WARM_IP_TARGET",
    ):
        assert option in fix


def test_dev_and_staging_are_clear_and_staging_counts_its_fargate_pods(
    plan_inputs: Inputs,
) -> None:
    dev = plan_ips(plan_inputs("dev"))
    assert not dev.blocked and findings(dev, "subnet-capacity", "info")
    assert capacity(dev, "spot")["nodes"] == 16  # 32 vCPUs / 2
    assert capacity(dev, "system")["node"]["node_subnet"]["individual"] == 2  # t4g: 2 ENIs
    staging = plan_ips(plan_inputs("staging"))
    assert not staging.blocked
    fargate = {
        c["how"]: c["nodes"] for c in staging.data["capacity"] if c["kind"] == "Fargate profile"
    }
    assert sorted(fargate.values()) == [2, 6, 200]  # Karpenter, CoreDNS max, batch quota
    assert staging.data["totals"]["fargate_pods"] == 208


# -- changed templates ---------------------------------------------------------------------


def with_templates(inputs: PlanInputs, change: Callable[[dict[str, Any]], None]) -> PlanInputs:
    stacks = []
    for stack in inputs.stacks:
        template = copy.deepcopy(stack.template)
        change(template)
        stacks.append(dataclasses.replace(stack, template=template))
    return dataclasses.replace(inputs, stacks=tuple(stacks))


def nodepool_cpu(cpu: str) -> Callable[[dict[str, Any]], None]:
    def change(template: dict[str, Any]) -> None:
        for item in manifest_items(template):
            manifest = item["Manifest"]
            if isinstance(manifest, str) and '"kind":"NodePool"' in manifest:
                docs = json.loads(manifest)
                docs[0]["spec"]["limits"]["cpu"] = cpu
                item["Manifest"] = json.dumps(docs)

    return change


def subnet_cidr(logical_id: str, cidr: str) -> Callable[[dict[str, Any]], None]:
    def change(template: dict[str, Any]) -> None:
        resource = template.get("Resources", {}).get(logical_id)
        if resource and resource["Type"] == "AWS::EC2::Subnet":
            resource["Properties"]["CidrBlock"] = cidr

    return change


def test_a_nodepool_limit_beyond_the_subnets_blocks(plan_inputs: Inputs) -> None:
    dev = plan_inputs("dev")
    report = plan_ips(with_templates(dev, nodepool_cpu("600")))
    assert capacity(report, "spot")["nodes"] == 300
    blocked = findings(report, "subnet-capacity", "block")
    assert len(blocked) == 3 and all("Private eu-west-1" in m for m in blocked)
    assert all(
        "compute.karpenter.node_pools[0].limits.cpu" in (f.fix or "")
        for f in report.findings
        if f.severity == "block"
    )


def test_a_smaller_subnet_blocks_in_its_own_az(plan_inputs: Inputs) -> None:
    dev = plan_inputs("dev")
    # a /22 holds 62 usable /28 blocks: 992 addresses, 892 after 10 %
    report = plan_ips(
        with_templates(dev, subnet_cidr("NetworkVpcPrivateSubnet2Subnet1BDBE877", "10.10.64.0/22"))
    )
    (message,) = findings(report, "subnet-capacity", "block")
    assert "Private eu-west-1b (10.10.64.0/22)" in message and "holds 992" in message


def test_the_headroom_flips_a_borderline_case(plan_inputs: Inputs) -> None:
    # 324 vCPUs: 162 spot nodes, 54 an AZ; per private subnet 54 x (1 + 8 x /28) + the
    # system node (2 + 8 x /28) + 3 endpoints + 1 EFS mount target + 8 control plane = 68
    # single addresses and 440 prefixes: 16 x 508 = 8128 of 8160 with fragmentation
    borderline = with_templates(plan_inputs("dev"), nodepool_cpu("324"))
    strict = plan_ips(borderline)
    assert [r["needed_charged"] for r in private_rows(strict)] == [8128] * 3
    assert strict.blocked  # 8128 > 7344 (10 % headroom)
    assert not plan_ips(borderline, headroom_percent=0).blocked  # 8128 <= 8160

    def with_headroom(percent: float) -> PlanInputs:
        network = borderline.config.network.model_copy(update={"ip_headroom_percent": percent})
        return dataclasses.replace(
            borderline, config=borderline.config.model_copy(update={"network": network})
        )

    # The borderline is a headroom of 32 / 8160 = 0.392 %: the config's 0.39 % leaves
    # floor(8160 x 0.9961) = 8128 usable, exactly the need (was 0.5 % before the EFS mount
    # target's /28 moved it); 0.4 % leaves 8127 and blocks.
    report = plan_ips(with_headroom(0.39))
    assert report.data["headroom_percent"] == 0.39 and not report.blocked  # 8128 <= 8128
    assert [r["usable"] for r in private_rows(report)] == [8128] * 3
    assert plan_ips(with_headroom(0.4)).blocked  # 8128 > 8127


def test_a_bad_headroom_is_bad_input(plan_inputs: Inputs) -> None:
    with pytest.raises(PlanInputError, match="--headroom 95: not a percentage from 0 to 90"):
        plan_ips(plan_inputs("dev"), headroom_percent=95)


def test_the_cni_mode_is_read_from_the_addon(plan_inputs: Inputs) -> None:
    def secondary(template: dict[str, Any]) -> None:
        for resource in template.get("Resources", {}).values():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::EKS::Addon" and props.get("AddonName") == "vpc-cni":
                props["ConfigurationValues"] = json.dumps({"env": {"WARM_IP_TARGET": "3"}})

    report = plan_ips(with_templates(plan_inputs("dev"), secondary))
    assert report.data["mode"] == "secondary-ip"
    assert report.data["cni"]["WARM_IP_TARGET"] == 3
    # the EC2NodeClass still says 110, but c5.large's ENIs hold 29 pods with secondary IPs:
    # 27 pod addresses (+3 warm, capped at 3 x 9) on 3 ENIs: 30 single addresses a node
    cni = CniSettings(warm_ip_target=3)
    assert node_demand(table("c5.large"), cni, 110).node_subnet == Demand(30, 0)
    spot = capacity(report, "spot")
    assert spot["node"]["mode"] == "secondary-ip" and spot["node"]["node_subnet"]["prefixes"] == 0
    # no prefixes anywhere: the subnets are counted address by address (size - 5)
    assert {r["capacity"] for r in private_rows(report)} == {8187}
    assert "| c5.large | 2 | 3 x 10 | **29** (in use) | 110 | 20 | 110 |" in report.to_markdown()


# -- the command line --------------------------------------------------------------------


def test_cli_json_exit_codes(synth, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    base = [
        "ips",
        "--config-dir",
        str(CONFIG_DIR),
        "--assembly",
        str(synth.outdir),
        "--format",
        "json",
    ]
    assert main([*base, "--env", "dev"]) == EXIT_CLEAR
    clear = json.loads(capsys.readouterr().out)
    assert clear["status"] == "clear" and clear["data"]["mode"] == "prefix"
    assert main([*base, "--env", "prod"]) == EXIT_CLEAR
    capsys.readouterr()
    # 6064 addresses per private /19 (8160) with fragmentation: 40 % headroom leaves 4896
    assert main([*base, "--env", "prod", "--headroom", "40"]) == EXIT_BLOCKED
    blocked = json.loads(capsys.readouterr().out)
    assert blocked["status"] == "blocked"
    assert {f["check"] for f in blocked["findings"] if f["severity"] == "block"} == {
        "subnet-capacity"
    }
    assert main([*base, "--env", "dev", "--headroom", "95"]) == EXIT_BAD_INPUT
    assert "--headroom 95: not a percentage from 0 to 90" in capsys.readouterr().err
    # the file's headroom reaches the plan
    text = (CONFIG_DIR / "dev.yaml").read_text(encoding="utf-8")
    (tmp_path / "dev.yaml").write_text(
        text.replace("network:\n", "network:\n  ip_headroom_percent: 25\n", 1), encoding="utf-8"
    )
    out = tmp_path / "plan.json"
    args = [
        "ips",
        "--env",
        "dev",
        "--config-dir",
        str(tmp_path),
        "--assembly",
        str(synth.outdir),
        "--format",
        "json",
        "-o",
        str(out),
    ]
    assert main(args) == EXIT_CLEAR
    assert json.loads(out.read_text(encoding="utf-8"))["data"]["headroom_percent"] == 25.0
    assert main([*args, "--headroom", "12.5"]) == EXIT_CLEAR
    assert json.loads(out.read_text(encoding="utf-8"))["data"]["headroom_percent"] == 12.5


# -- self-managed, GPU and Windows capacity (config/examples) ----------------------------------


def test_self_managed_groups_take_addresses_like_node_groups(
    examples: dict[str, PlanInputs],
) -> None:
    report = plan_ips(examples["self-managed"])
    hardened, golden = capacity(report, "hardened"), capacity(report, "golden")
    assert hardened["kind"] == golden["kind"] == "self-managed group"
    # MaxSize of the Auto Scaling groups; the types of their MixedInstancesPolicy overrides
    assert (hardened["nodes"], golden["nodes"]) == (6, 3)
    assert hardened["kubelet_max_pods"] == {"m7i.large": 110, "m6i.large": 110}
    assert golden["kubelet_max_pods"] == {"m7g.large": 110, "m6g.large": 110}
    assert "launch template user data" in hardened["how"]  # nodeadm maxPods / TOML max-pods
    # prefixes, 110 pods: 1 ENI + 8 x /28 a node; hardened ceil(6 / 3) = 2 an AZ, golden 1
    assert hardened["per_subnet"] == {"individual": 2, "prefixes": 16, "addresses": 258}
    assert golden["per_subnet"] == {"individual": 1, "prefixes": 8, "addresses": 129}
    rows = private_rows(report)
    assert len(rows) == 3
    for row in rows:
        lines = {line["what"]: line["addresses"] for line in row["lines"]}
        assert lines["self-managed group hardened"] == 258
        assert lines["self-managed group golden"] == 129
    assert report.data["totals"]["nodes"] == 3 + 6 + 3
    assert any("Self-managed node groups" in a for a in report.assumptions)


def test_a_self_managed_group_beyond_its_subnets_blocks_with_its_config_path(
    examples: dict[str, PlanInputs],
) -> None:
    def bigger(template: dict[str, Any]) -> None:
        for resource in template.get("Resources", {}).values():
            if resource["Type"] == "AWS::AutoScaling::AutoScalingGroup":
                resource["Properties"]["MaxSize"] = "300"

    report = plan_ips(with_templates(examples["self-managed"], bigger))
    assert capacity(report, "hardened")["nodes"] == 300
    assert report.blocked
    (fix,) = {f.fix for f in report.findings if f.severity == "block"}
    assert fix is not None
    assert "compute.self_managed_node_groups[0].size.max" in fix
    assert "compute.self_managed_node_groups[1].size.max" in fix


def test_a_windows_node_takes_the_secondary_ips_of_its_primary_eni() -> None:
    # m6i.large: 3 ENIs x 10 addresses, but Windows pods use the primary ENI only: 9 pods,
    # each with an address, and the node's own: 10, in every Linux CNI mode
    for cni in (PREFIX, SECONDARY, CniSettings(prefix_delegation=True, custom_networking=True)):
        node = windows_node_demand(table("m6i.large"), 9)
        assert (node.pod_addresses, node.enis) == (9, 1)
        assert (node.node_subnet, node.pod_subnet) == (Demand(10, 0), Demand())
        assert node_demand(table("m6i.large"), cni, 29) != node  # the Linux formula differs
    # a lower max pods (user data) is kept; a higher one is capped at the ENI's addresses
    assert windows_node_demand(table("m6i.large"), 4).node_subnet == Demand(5, 0)
    assert windows_node_demand(table("m6i.large"), 110).node_subnet == Demand(10, 0)


def test_accelerated_windows_and_gpu_groups(examples: dict[str, PlanInputs]) -> None:
    report = plan_ips(examples["accelerated"])
    windows = capacity(report, "windows")
    assert windows["windows"] is True
    assert windows["kubelet_max_pods"] == {"m6i.large": 9, "m5.large": 9}
    assert windows["max_pods"]["m6i.large"] == {"windows": {"max_pods": 9}}
    assert windows["node"]["node_subnet"] == {"individual": 10, "prefixes": 0, "addresses": 10}
    assert windows["per_subnet"] == {"individual": 10, "prefixes": 0, "addresses": 10}
    assert findings(report, "windows", "info")
    assert "9 (Windows)" in report.to_markdown()
    # GPU nodes are Linux nodes: the CNI's prefix mode as for any other group
    (gpu,) = [
        c for c in report.data["capacity"] if c["kind"] == "node group" and c["name"] == "gpu"
    ]
    assert gpu["windows"] is False and gpu["kubelet_max_pods"] == {"g6.xlarge": 110}
    assert gpu["node"]["node_subnet"] == {"individual": 1, "prefixes": 8, "addresses": 129}


def test_windows_prefix_delegation_is_reported_not_modelled(
    examples: dict[str, PlanInputs],
) -> None:
    def windows_prefixes(template: dict[str, Any]) -> None:
        for resource in template.get("Resources", {}).values():
            props = resource.get("Properties", {})
            if resource["Type"] == "AWS::EKS::Addon" and props.get("AddonName") == "vpc-cni":
                values = json.loads(props["ConfigurationValues"])
                values["enableWindowsPrefixDelegation"] = "true"
                props["ConfigurationValues"] = json.dumps(values)

    report = plan_ips(with_templates(examples["accelerated"], windows_prefixes))
    assert report.data["cni"]["enableWindowsPrefixDelegation"] is True
    (message,) = findings(report, "windows-not-modelled", "warn")
    assert "node group windows" in message and "left out" in message
    assert "windows" not in {c["name"] for c in report.data["capacity"]}


def without_mount_targets(template: dict[str, Any]) -> None:
    resources = template.get("Resources", {})
    for logical_id in [k for k, v in resources.items() if v["Type"] == "AWS::EFS::MountTarget"]:
        del resources[logical_id]


def test_storage_addresses_are_reported(plan_inputs: Inputs) -> None:
    # prod's EFS file system has a mount target (1 address) in each private subnet
    prod = plan_ips(plan_inputs("prod"))
    (efs,) = findings(prod, "efs-mount-targets", "info")
    assert efs.startswith("3 EFS mount target(s)") and "Private eu-west-1a" in efs
    assert "counted in those subnets' demand" in efs
    # ... and each is counted in its subnet: 1 address, a whole /28 where prefixes are in play
    rows = private_rows(prod)
    for row in rows:
        assert {"what": "EFS mount target", "individual": 1, "prefixes": 0, "addresses": 1} in (
            row["lines"]
        )
    bare = plan_ips(with_templates(plan_inputs("prod"), without_mount_targets))
    assert not findings(bare, "efs-mount-targets", "info")
    assert [
        (r["needed"] - b["needed"], r["needed_charged"] - b["needed_charged"])
        for r, b in zip(rows, private_rows(bare), strict=True)
    ] == [(1, 16)] * 3
    # staging's FSx for Lustre StorageClass creates file systems per claim: not bounded
    (fsx,) = findings(plan_ips(plan_inputs("staging")), "fsx-not-modelled", "warn")
    assert "fsx-lustre" in fsx
