"""scripts/refresh_instance_types.py rebuilds the instance type table from the VPC CNI's
limits file and EC2 DescribeInstanceTypes (stubbed here with botocore's Stubber, two pages):
the parsing, the cross-check and the merge must fail loudly when a source changes shape, and
the output must be what eks_blueprint.instance_types reads, byte-for-byte reproducible."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from eks_blueprint.instance_types import _parse, instance_table, instance_type

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "refresh_instance_types", ROOT / "scripts" / "refresh_instance_types.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


REFRESH = _script()

#: Three entries in the generated file's layout: one card, a bare-metal type without a
#: hypervisor, a type with two network cards (the CNI uses the default card's 4 ENIs).
LIMITS = """package vpc

var instanceNetworkingLimits = map[string]InstanceTypeLimits{
\t"c5.metal": {
\t\tENILimit:                15,
\t\tIPv4Limit:               50,
\t\tDefaultNetworkCardIndex: 0,
\t\tNetworkCards: []NetworkCard{
\t\t\t{
\t\t\t\tMaximumNetworkInterfaces: 15,
\t\t\t\tNetworkCardIndex:         0,
\t\t\t},
\t\t},
\t\tHypervisorType: "unknown",
\t\tIsBareMetal:    true,
\t},
\t"m4.large": {
\t\tENILimit:                2,
\t\tIPv4Limit:               10,
\t\tDefaultNetworkCardIndex: 0,
\t\tNetworkCards: []NetworkCard{
\t\t\t{
\t\t\t\tMaximumNetworkInterfaces: 2,
\t\t\t\tNetworkCardIndex:         0,
\t\t\t},
\t\t},
\t\tHypervisorType: "xen",
\t\tIsBareMetal:    false,
\t},
\t"m7g.xlarge": {
\t\tENILimit:                4,
\t\tIPv4Limit:               15,
\t\tDefaultNetworkCardIndex: 0,
\t\tNetworkCards: []NetworkCard{
\t\t\t{
\t\t\t\tMaximumNetworkInterfaces: 4,
\t\t\t\tNetworkCardIndex:         0,
\t\t\t},
\t\t\t{
\t\t\t\tMaximumNetworkInterfaces: 4,
\t\t\t\tNetworkCardIndex:         1,
\t\t\t},
\t\t},
\t\tHypervisorType: "nitro",
\t\tIsBareMetal:    false,
\t},
\t"x1.only-in-limits": {
\t\tENILimit:                2,
\t\tIPv4Limit:               4,
\t\tDefaultNetworkCardIndex: 0,
\t\tNetworkCards: []NetworkCard{
\t\t\t{
\t\t\t\tMaximumNetworkInterfaces: 2,
\t\t\t\tNetworkCardIndex:         0,
\t\t\t},
\t\t},
\t\tHypervisorType: "nitro",
\t\tIsBareMetal:    false,
\t},
}
"""
ENI_MAX_PODS = "# comment\n#\nc5.metal 737\nm4.large 20\nm7g.xlarge 58\nother.large 29\n"


def _info(name: str, vcpus: int, memory: int, arch: list[str]) -> dict[str, Any]:
    return {
        "InstanceType": name,
        "VCpuInfo": {"DefaultVCpus": vcpus},
        "MemoryInfo": {"SizeInMiB": memory},
        "ProcessorInfo": {"SupportedArchitectures": arch},
    }


PAGE_1 = [_info("c5.metal", 96, 196608, ["x86_64"]), _info("m4.large", 2, 8192, ["x86_64"])]
PAGE_2 = [_info("m7g.xlarge", 4, 16384, ["arm64"]), _info("t2.only-in-ec2", 1, 1024, ["i386"])]


class _Session:
    """A boto3 session stand-in whose EC2 clients answer from stubbed pages."""

    def __init__(self, pages_by_region: dict[str, list[list[dict[str, Any]]]]) -> None:
        self.pages_by_region = pages_by_region
        self.stubbers: list[Stubber] = []

    def client(self, service: str, region_name: str) -> Any:
        assert service == "ec2"
        client = boto3.client(
            "ec2",
            region_name=region_name,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        stubber = Stubber(client)
        pages = self.pages_by_region[region_name]
        for index, page in enumerate(pages):
            response: dict[str, Any] = {"InstanceTypes": page}
            if index < len(pages) - 1:
                response["NextToken"] = f"page-{index + 2}"
            expected = {} if index == 0 else {"NextToken": f"page-{index + 1}"}
            stubber.add_response("describe_instance_types", response, expected)
        stubber.activate()
        self.stubbers.append(stubber)
        return client


def _files(tmp_path: Path, limits: str = LIMITS, pods: str = ENI_MAX_PODS) -> tuple[str, str]:
    (tmp_path / "limits.go").write_text(limits, encoding="utf-8")
    (tmp_path / "eni-max-pods.txt").write_text(pods, encoding="utf-8")
    return str(tmp_path / "limits.go"), str(tmp_path / "eni-max-pods.txt")


def test_the_limits_file_parses_into_enis_addresses_cards_and_hypervisor() -> None:
    limits = REFRESH.parse_limits(LIMITS)
    assert limits["m7g.xlarge"] == REFRESH.NetworkLimits(
        max_enis=4, ipv4_per_eni=15, network_cards=2, hypervisor="nitro", bare_metal=False
    )
    # "unknown" is what the generator writes for EC2's empty hypervisor (bare metal)
    assert limits["c5.metal"].hypervisor == "" and limits["c5.metal"].bare_metal
    assert limits["m4.large"].hypervisor == "xen"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("package vpc\n", "no instance type entries found"),
        (
            LIMITS.replace("\t\tENILimit:                4,\n", ""),
            "m7g.xlarge: no integer ENILimit",
        ),
        (
            LIMITS.replace('HypervisorType: "xen",', "Hypervisor: xen,"),
            "m4.large: no HypervisorType",
        ),
        (
            LIMITS.replace("IPv4Limit:               10,", "IPv4Limit: ten,"),
            "m4.large: no integer IPv4Limit",
        ),
    ],
)
def test_a_changed_layout_fails_the_parse(text: str, message: str) -> None:
    with pytest.raises(REFRESH.SourceError, match=message):
        REFRESH.parse_limits(text, "limits.go")


def test_the_eni_max_pods_cross_check_catches_a_wrong_parse() -> None:
    limits = REFRESH.parse_limits(LIMITS)
    REFRESH.check_eni_max_pods(limits, REFRESH.parse_eni_max_pods(ENI_MAX_PODS))
    with pytest.raises(
        REFRESH.SourceError, match=r"m7g.xlarge: 4 x \(15 - 1\) \+ 2 = 58, eni-max-pods.txt says 59"
    ):
        REFRESH.check_eni_max_pods(limits, {"m7g.xlarge": 59})
    with pytest.raises(
        REFRESH.SourceError, match=r"eni-max-pods\.txt:2: not '<instance type> <max pods>'"
    ):
        REFRESH.parse_eni_max_pods("m7g.xlarge 58\nm7g.large\n", "eni-max-pods.txt")


def test_describe_instance_types_reads_every_page() -> None:
    session = _Session({"eu-west-1": [PAGE_1, PAGE_2]})
    facts = REFRESH.facts_from_regions(["eu-west-1"], session)
    for stubber in session.stubbers:
        stubber.assert_no_pending_responses()  # both pages were asked for
    assert facts["m7g.xlarge"] == REFRESH.Facts(vcpus=4, memory_mib=16384, architectures=("arm64",))
    assert facts["t2.only-in-ec2"].architectures == ()  # i386 is not kept
    assert set(facts) == {"c5.metal", "m4.large", "m7g.xlarge", "t2.only-in-ec2"}


def test_regions_that_disagree_fail_the_refresh() -> None:
    other = [[_info("m7g.xlarge", 8, 16384, ["arm64"])]]
    session = _Session({"eu-west-1": [PAGE_1, PAGE_2], "us-east-1": other})
    with pytest.raises(REFRESH.SourceError, match=r"m7g\.xlarge differs between regions"):
        REFRESH.facts_from_regions(["eu-west-1", "us-east-1"], session)


def test_a_refresh_writes_the_table_the_package_reads(tmp_path: Path) -> None:
    limits, pods = _files(tmp_path)
    out = tmp_path / "table.json"
    argv = [
        "--limits",
        limits,
        "--eni-max-pods",
        pods,
        "--region",
        "eu-west-1",
        "--taken",
        "2026-11-30",
        "-o",
        str(out),
    ]
    assert REFRESH.main(argv, session=_Session({"eu-west-1": [PAGE_1, PAGE_2]})) == 0
    text = out.read_text(encoding="utf-8")
    raw = json.loads(text)
    assert list(raw) == ["source", "taken", "types"] and raw["taken"] == "2026-11-30"
    assert "EC2 DescribeInstanceTypes in eu-west-1" in raw["source"] and limits in raw["source"]
    # only the types both sources know; each row's keys sorted, one row a line
    assert list(raw["types"]) == ["c5.metal", "m4.large", "m7g.xlarge"]
    assert raw["types"]["m7g.xlarge"] == {
        "architectures": ["arm64"],
        "bare_metal": False,
        "hypervisor": "nitro",
        "ipv4_per_eni": 15,
        "max_enis": 4,
        "memory_mib": 16384,
        "network_cards": 2,
        "nitro": True,
        "vcpus": 4,
    }
    assert '    "m4.large": {"architectures": ["x86_64"], "bare_metal": false,' in text
    table = _parse(raw)
    metal = table.types["c5.metal"]
    assert (metal.nitro, metal.bare_metal, metal.prefix_delegation) == (False, True, True)
    assert table.types["m7g.xlarge"].max_pods("secondary-ip") == 58
    # deterministic: the same sources give the same bytes
    again = tmp_path / "again.json"
    argv[-1] = str(again)
    assert REFRESH.main(argv, session=_Session({"eu-west-1": [PAGE_1, PAGE_2]})) == 0
    assert again.read_text(encoding="utf-8") == text


def test_a_bad_source_exits_1_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    limits, pods = _files(tmp_path, pods="m7g.xlarge 60\n")
    argv = [
        "--limits",
        limits,
        "--eni-max-pods",
        pods,
        "--region",
        "eu-west-1",
        "-o",
        str(tmp_path / "t.json"),
    ]
    assert REFRESH.main(argv, session=_Session({"eu-west-1": [PAGE_1]})) == 1
    assert "disagree: m7g.xlarge" in capsys.readouterr().err
    assert not (tmp_path / "t.json").exists()
    missing = ["--limits", str(tmp_path / "nope.go"), "--region", "eu-west-1"]
    assert REFRESH.main(missing) == 1
    assert "nope.go: cannot read it" in capsys.readouterr().err


KARPENTER_DOC = """## m7g Family
### `m7g.xlarge`
#### Labels
 | Label | Value |
 |--|--|
 |karpenter.k8s.aws/instance-cpu|4|
 |karpenter.k8s.aws/instance-hypervisor|nitro|
 |karpenter.k8s.aws/instance-memory|16384|
 |kubernetes.io/arch|arm64|
#### Resources
 | Resource | Quantity |
 |--|--|
 |pods|58|
### `m4.large`
#### Labels
 |karpenter.k8s.aws/instance-cpu|2|
 |karpenter.k8s.aws/instance-memory|8192|
 |kubernetes.io/arch|amd64|
"""


def test_karpenters_reference_is_the_offline_facts_source(tmp_path: Path) -> None:
    facts = REFRESH.parse_karpenter_doc(KARPENTER_DOC)
    assert facts["m4.large"] == REFRESH.Facts(vcpus=2, memory_mib=8192, architectures=("x86_64",))
    with pytest.raises(REFRESH.SourceError, match=r"m4\.large: no instance-cpu"):
        REFRESH.parse_karpenter_doc(KARPENTER_DOC.replace("|karpenter.k8s.aws/instance-cpu|2|", ""))
    limits, _ = _files(tmp_path)
    (tmp_path / "doc.md").write_text(KARPENTER_DOC, encoding="utf-8")
    argv = [
        "--limits",
        limits,
        "--karpenter-doc",
        str(tmp_path / "doc.md"),
        "--facts-source",
        "karpenter doc @ abc",
        "--taken",
        "2026-11-30",
        "-o",
        "-",
    ]
    assert REFRESH.main(argv) == 0


def test_the_shipped_table_is_in_the_scripts_format_and_covers_the_configs() -> None:
    path = ROOT / "eks_blueprint" / "data" / "instance_types.json"
    text = path.read_text(encoding="utf-8")
    raw = json.loads(text)
    assert REFRESH.render(raw["source"], raw["taken"], raw["types"]) == text
    table = instance_table()
    assert "vpc_ip_resource_limit.go" in table.source and "DescribeInstanceTypes" in table.source
    # every instance type the shipped environment files name
    for name in ("t4g.medium", "t4g.large", "m7g.xlarge"):
        assert instance_type(name) is not None, name
    # the current c/m/r families, both architectures, from large up
    for family in (
        "c5",
        "c6g",
        "c6i",
        "c7g",
        "c7i",
        "c8g",
        "m5",
        "m6a",
        "m7g",
        "m7i",
        "m8g",
        "r5",
        "r6gd",
        "r7g",
        "r7i",
        "r8g",
        "c7gn",
        "m5n",
        "r5d",
        "m6in",
    ):
        for size in ("large", "xlarge", "2xlarge"):
            assert instance_type(f"{family}.{size}") is not None, f"{family}.{size}"
