"""verify against moto: one world that matches the config, and one deviation per check.

moto 5.2.5 mocks the EKS, EC2, GuardDuty and STS calls verify makes, with two gaps that are
stubbed narrowly, on the test's boto3 session only, with botocore event handlers:
* EKS DescribeAddon is "Not yet implemented" -> a before-call handler answers from a dict;
* DescribeCluster never returns accessConfig (moto drops it) -> an after-call handler adds it;
* ListAccessEntries and ListAssociatedAccessPolicies are not implemented -> before-call
  handlers answer from the world's access entries.
Everything else (cluster logging, encryptionConfig, endpoint access, node groups, launch
template MetadataOptions, GuardDuty features, subnet free IPs, instance-type ENI limits)
comes from moto itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import boto3
import pytest
from moto import mock_aws

from eks_blueprint.config import EnvironmentConfig, load_config
from eks_blueprint.verify import (
    COREDNS_LABELS,
    KARPENTER_LABELS,
    NODE_GROUP_LABEL,
    AccessExpectation,
    CheckResult,
    Clients,
    Expectations,
    FargateProfileExpectation,
    NodeGroupExpectation,
    expectations_from_config,
    main,
    run_checks,
    selector_key,
)
from tests.aws_stubs import (
    Response,
    check_config_error_exit_2,
    check_env_not_found_and_usage_exit_2,
    denying,
    error,
    one_error_line,
    remove_credentials,
    set_fake_credentials,
)
from tests.conftest import SynthResult, resources_of

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account
CLUSTER = "shop-test"
ALL_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/PlatformAdmin"
TEAM = f"arn:aws:iam::{ACCOUNT}:role/PaymentsTeam"
POLICY_ARN = "arn:aws:eks::aws:cluster-access-policy/"

EXPECTED = Expectations(
    cluster_name=CLUSTER,
    version="1.34",
    endpoint_public=True,
    public_cidrs=("203.0.113.0/24",),
    node_groups=(
        NodeGroupExpectation(name="system", instance_types=("m5.large",), ami_type="AL2023_x86_64_STANDARD",
                             capacity_type="ON_DEMAND", min_size=2, max_size=3),
    ),
    addons={"vpc-cni": "v1.20.4-eksbuild.1", "coredns": "v1.12.4-eksbuild.1"},
    fargate_profiles=(FargateProfileExpectation("batch", (selector_key("batch", {"tier": "low"}),)),),
    access=(AccessExpectation(ADMIN, "AmazonEKSClusterAdminPolicy"),
            AccessExpectation(TEAM, "AmazonEKSEditPolicy", ("payments",))),
    guardduty="create",
)


@dataclass(frozen=True)
class World:
    """What is deployed; the defaults match EXPECTED."""

    cluster: bool = True
    version: str = "1.34"
    log_types: tuple[str, ...] = tuple(ALL_LOGS)
    encrypted: bool = True
    public: bool = True
    cidrs: tuple[str, ...] = ("203.0.113.0/24",)
    auth_mode: str = "API"
    ami_type: str = "AL2023_x86_64_STANDARD"
    instance_types: tuple[str, ...] = ("m5.large",)
    capacity_type: str = "ON_DEMAND"
    sizes: tuple[int, int, int] = (2, 2, 3)
    node_group_label: str | None = "system"
    """The NODE_GROUP_LABEL value; the EKS name is generated, as CloudFormation does."""
    http_tokens: str = "required"
    addons: dict[str, str] = field(default_factory=lambda: dict(EXPECTED.addons or {}))
    fargate: tuple[tuple[str, dict[str, str]], ...] = (("batch", {"tier": "low"}),)
    """Fargate profiles as (namespace, labels) of their one selector; generated names."""
    access: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=lambda: {
        ADMIN: [("AmazonEKSClusterAdminPolicy", ())], TEAM: [("AmazonEKSEditPolicy", ("payments",))]})
    """Access entries: principal -> associated (policy name, namespaces; () = cluster)."""
    detector: bool = True
    runtime_monitoring: str = "ENABLED"
    subnet_prefix: int = 24


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    set_fake_credentials(monkeypatch, REGION)


_SESSIONS: dict[str, boto3.Session] = {}
_WORLD: dict[str, World] = {}


def stub_session(world: World) -> boto3.Session:
    """A session whose EKS clients fill moto's two gaps from `world`.

    One session serves every test (a new one reloads the large EC2 service model, ~0.5 s);
    the handlers read the world of the running test.
    """
    _WORLD["current"] = world
    if "stub" in _SESSIONS:
        return _SESSIONS["stub"]
    session = boto3.Session(region_name=REGION)

    def describe_addon(params: dict[str, Any], **_: Any) -> tuple[Response, dict[str, Any]]:
        # params is the serialised request: GET /clusters/<cluster>/addons/<addon>
        name = params["url_path"].rsplit("/", 1)[-1]
        version = _WORLD["current"].addons.get(name)
        if version is None:
            return error(404, "ResourceNotFoundException", "no add-on")
        return Response(200), {"addon": {"addonName": name, "addonVersion": version, "status": "ACTIVE"}}

    def add_access_config(parsed: dict[str, Any], **_: Any) -> None:
        if "cluster" in parsed:
            parsed["cluster"]["accessConfig"] = {"authenticationMode": _WORLD["current"].auth_mode}

    def list_access_entries(**_: Any) -> tuple[Response, dict[str, Any]]:
        return Response(200), {"accessEntries": sorted(_WORLD["current"].access)}

    def list_associated(params: dict[str, Any], **_: Any) -> tuple[Response, dict[str, Any]]:
        # GET /clusters/<cluster>/access-entries/<url-encoded principal>/access-policies
        principal = unquote(params["url_path"].split("/access-entries/", 1)[1].rsplit("/", 1)[0])
        policies = [
            {"policyArn": POLICY_ARN + name,
             "accessScope": {"type": "namespace", "namespaces": list(ns)} if ns else {"type": "cluster"}}
            for name, ns in _WORLD["current"].access.get(principal, [])
        ]
        return Response(200), {"clusterName": CLUSTER, "principalArn": principal,
                                "associatedAccessPolicies": policies}

    session.events.register("before-call.eks.DescribeAddon", describe_addon)
    session.events.register("before-call.eks.ListAccessEntries", list_access_entries)
    session.events.register("before-call.eks.ListAssociatedAccessPolicies", list_associated)
    session.events.register("after-call.eks.DescribeCluster", add_access_config)
    _SESSIONS["stub"] = session
    return session


def client(service: str) -> Any:
    """A client of the shared session: its service models are loaded once per test run."""
    return stub_session(_WORLD.get("current", World())).client(service)  # type: ignore[call-overload]


def _subnets() -> list[str]:
    ec2 = client("ec2")
    return [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["CidrBlock"].startswith("10.0.")]


def build(world: World) -> None:
    """Create the deployed environment in moto."""
    _WORLD["current"] = world
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/{world.subnet_prefix}",
                          AvailabilityZone=f"{REGION}{az}")["Subnet"]["SubnetId"]
        for i, az in enumerate("ab")
    ]
    if world.cluster:
        eks = client("eks")
        eks.create_cluster(
            name=CLUSTER, version=world.version, roleArn=f"arn:aws:iam::{ACCOUNT}:role/cluster",
            resourcesVpcConfig={"subnetIds": subnets, "endpointPublicAccess": world.public,
                                "endpointPrivateAccess": True, "publicAccessCidrs": list(world.cidrs)},
            logging={"clusterLogging": [{"types": list(world.log_types), "enabled": True}]},
            encryptionConfig=[{"resources": ["secrets"], "provider": {
                "keyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/secrets"}}] if world.encrypted else [],
        )
        template = ec2.create_launch_template(
            LaunchTemplateName="system",
            LaunchTemplateData={"MetadataOptions": {"HttpTokens": world.http_tokens, "HttpPutResponseHopLimit": 1}},
        )["LaunchTemplate"]
        min_size, desired, max_size = world.sizes
        eks.create_nodegroup(
            clusterName=CLUSTER, nodegroupName="SystemNodeGroup-5Kq2Xw9Zt1Lm",
            labels={NODE_GROUP_LABEL: world.node_group_label} if world.node_group_label else {},
            nodeRole=f"arn:aws:iam::{ACCOUNT}:role/node",
            subnets=subnets, instanceTypes=list(world.instance_types), amiType=world.ami_type,  # type: ignore[arg-type]
            capacityType=world.capacity_type,  # type: ignore[arg-type]
            scalingConfig={"minSize": min_size, "desiredSize": desired, "maxSize": max_size},
            launchTemplate={"id": template["LaunchTemplateId"], "version": "1"},
        )
        for index, (namespace, labels) in enumerate(world.fargate):
            eks.create_fargate_profile(
                fargateProfileName=f"FargateProfile{index}-Q7r2Lk", clusterName=CLUSTER,
                podExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/pods", subnets=subnets,
                selectors=[{"namespace": namespace, "labels": labels}],
            )
    if world.detector:
        client("guardduty").create_detector(Enable=True, Features=[
            {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
            {"Name": "RUNTIME_MONITORING", "Status": world.runtime_monitoring,
             "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}]},
        ])


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def verify(world: World, expected: Expectations = EXPECTED) -> dict[str, CheckResult]:
    build(world)
    results = run_checks(expected, Clients.from_session(stub_session(world)))
    return {r.check: r for r in results}


def test_matching_environment_passes_every_check(aws: None) -> None:
    results = verify(World())
    assert {r.status for r in results.values()} == {"PASS"}, [r for r in results.values() if r.status != "PASS"]
    assert results["free IPs for planned capacity"].expected == ">= 90"  # 3 nodes x 3 ENIs x 10 IPs
    assert list(results) == [
        "cluster exists", "cluster status", "cluster version", "control-plane log types",
        "secrets encrypted with KMS", "endpoint private access", "endpoint public access",
        "endpoint public CIDRs", "authentication mode", "node group system status",
        "node group system AMI type", "node group system capacity type", "node group system min..max",
        "node group system IMDSv2 required", "Fargate profile batch", f"access entry {ADMIN}",
        f"access entry {TEAM}", "add-on coredns", "add-on vpc-cni",
        "GuardDuty detector",
        "GuardDuty EKS audit logs", "GuardDuty EKS runtime monitoring",
    ] + [f"free IPs in control-plane subnet {s}" for s in results["cluster exists"] and _subnets()] + [
        "free IPs for planned capacity"]


@pytest.mark.parametrize(
    ("world", "check"),
    [
        (World(cluster=False), "cluster exists"),
        (World(version="1.33"), "cluster version"),
        (World(log_types=("api", "audit")), "control-plane log types"),
        (World(encrypted=False), "secrets encrypted with KMS"),
        (World(public=False), "endpoint public access"),
        (World(cidrs=("0.0.0.0/0",)), "endpoint public CIDRs"),
        (World(auth_mode="API_AND_CONFIG_MAP"), "authentication mode"),
        (World(ami_type="BOTTLEROCKET_x86_64"), "node group system AMI type"),
        (World(capacity_type="SPOT"), "node group system capacity type"),
        (World(sizes=(1, 1, 3)), "node group system min..max"),
        (World(http_tokens="optional"), "node group system IMDSv2 required"),
        (World(node_group_label="batch"), "node group system exists"),
        (World(node_group_label=None), "node group system exists"),
        (World(fargate=()), "Fargate profile batch"),
        (World(access={ADMIN: [("AmazonEKSClusterAdminPolicy", ())]}), f"access entry {TEAM}"),
        (World(access={ADMIN: [("AmazonEKSClusterAdminPolicy", ())], TEAM: [("AmazonEKSEditPolicy", ())]}),
         f"access entry {TEAM}"),
        (World(access={ADMIN: [("AmazonEKSViewPolicy", ())], TEAM: [("AmazonEKSEditPolicy", ("payments",))]}),
         f"access entry {ADMIN}"),
        (World(fargate=(("batch", {"tier": "high"}),)), "Fargate profile batch"),
        (World(addons={"vpc-cni": "v1.19.0-eksbuild.1", "coredns": "v1.12.4-eksbuild.1"}), "add-on vpc-cni"),
        (World(addons={"vpc-cni": "v1.20.4-eksbuild.1"}), "add-on coredns"),
        (World(detector=False), "GuardDuty detector"),
        (World(runtime_monitoring="DISABLED"), "GuardDuty EKS runtime monitoring"),
        (World(subnet_prefix=27), "free IPs for planned capacity"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_each_deviation_fails_exactly_its_check(aws: None, world: World, check: str) -> None:
    results = verify(world)
    failed = [name for name, r in results.items() if r.status == "FAIL"]
    assert failed == [check]


def test_private_cluster_does_not_check_cidrs_and_skips_absent_sections(aws: None) -> None:
    expected = replace(EXPECTED, endpoint_public=False, public_cidrs=(), node_groups=None,
                       addons=None, fargate_profiles=None, access=None, guardduty=None)
    results = verify(World(public=False), expected)
    assert "endpoint public CIDRs" not in results
    skipped = {name for name, r in results.items() if r.status == "SKIP"}
    assert skipped == {"node groups", "Fargate profiles", "access entries", "add-ons", "GuardDuty",
                       "free IPs for planned capacity"}
    assert {r.status for r in results.values()} == {"PASS", "SKIP"}


def test_expectations_map_every_section_of_the_config() -> None:
    dev = expectations_from_config(load_config(CONFIG_DIR / "dev.yaml"))
    assert (dev.cluster_name, dev.version, dev.endpoint_public, dev.public_cidrs) == (
        "shop-dev", "1.34", True, ("203.0.113.0/24",))
    assert dev.node_groups == (NodeGroupExpectation(
        name="system", instance_types=("t4g.medium", "t4g.large"), ami_type="BOTTLEROCKET_ARM_64",
        capacity_type="ON_DEMAND", min_size=2, max_size=3),)
    # dev turns cloudwatch_observability off and snapshot_controller on; versions are the pins.
    assert dev.addons is not None
    assert "amazon-cloudwatch-observability" not in dev.addons
    assert dev.addons["snapshot-controller"] == "v8.3.0-eksbuild.1"
    assert dev.addons["coredns"] == "v1.12.3-eksbuild.1"
    assert dev.guardduty == "off"
    prod = expectations_from_config(load_config(CONFIG_DIR / "prod.yaml"))
    assert (prod.endpoint_public, prod.public_cidrs, prod.guardduty) == (False, (), "create")
    assert "snapshot-controller" not in (prod.addons or {})


def test_explicit_versions_and_the_guardduty_addon_agent(tmp_path: Path) -> None:
    text = (CONFIG_DIR / "dev.yaml").read_text().replace(
        "  coredns: {replicas: 2}", "  coredns: {replicas: 2}\n  vpc_cni: {version: v1.20.1-eksbuild.3}"
    ).replace('guardduty: {mode: "off"}', "guardduty: {mode: existing, agent: addon}").replace(
        "interface_endpoints: [ecr.api, ecr.dkr, sts]", "interface_endpoints: [ecr.api, ecr.dkr, sts, guardduty-data]")
    path = tmp_path / "dev.yaml"
    path.write_text(text)
    exp = expectations_from_config(load_config(path))
    assert exp.addons is not None and exp.addons["vpc-cni"] == "v1.20.1-eksbuild.3"
    assert exp.addons["aws-guardduty-agent"] is None  # no version pinned: any ACTIVE one
    assert exp.guardduty == "existing"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_expected_addons_are_the_synthesised_ones(synth: SynthResult, env: str) -> None:
    """verify and the stacks read the same config; a drift between them fails here."""
    exp = expectations_from_config(load_config(CONFIG_DIR / f"{env}.yaml"))
    addons = resources_of(synth.template(env, "cluster"), "AWS::EKS::Addon").values()
    assert {a["Properties"]["AddonName"]: a["Properties"].get("AddonVersion") for a in addons} == exp.addons
    # the storage drivers are expected where the file has storage: (dev, prod: EFS; staging:
    # FSx for Lustre), so the comparison above covers them
    storage = load_config(CONFIG_DIR / f"{env}.yaml").storage
    assert ("aws-efs-csi-driver" in exp.addons) == (storage.efs is not None)
    assert ("aws-fsx-csi-driver" in exp.addons) == (storage.fsx_lustre is not None)


def test_expected_addons_of_the_examples_are_the_synthesised_ones(
    example_synth: SynthResult,
    example_configs: dict[str, EnvironmentConfig],
) -> None:
    for name, config in example_configs.items():
        exp = expectations_from_config(config)
        addons = resources_of(example_synth.template(name, "cluster"), "AWS::EKS::Addon").values()
        synthesised = {a["Properties"]["AddonName"]: a["Properties"].get("AddonVersion") for a in addons}
        assert synthesised == exp.addons, name


def test_node_group_label_is_the_one_the_construct_sets() -> None:
    from eks_blueprint.compute.fargate import COREDNS_LABELS as coredns
    from eks_blueprint.compute.fargate import KARPENTER_LABELS as karpenter
    from eks_blueprint.compute.managed_node_groups import NODE_GROUP_LABEL as construct_label

    assert construct_label == NODE_GROUP_LABEL
    assert (dict(coredns), dict(karpenter)) == (COREDNS_LABELS, KARPENTER_LABELS)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_expected_fargate_profiles_are_the_synthesised_ones(synth: SynthResult, env: str) -> None:
    exp = expectations_from_config(load_config(CONFIG_DIR / f"{env}.yaml"))
    profiles = resources_of(synth.template(env, "cluster"), "AWS::EKS::FargateProfile").values()
    synthesised = sorted(
        tuple(sorted(selector_key(s["Namespace"], {x["Key"]: x["Value"] for x in s.get("Labels", [])})
                     for s in p["Properties"]["Selectors"]))
        for p in profiles
    )
    assert sorted(p.selectors for p in exp.fargate_profiles or ()) == synthesised
    if env == "staging":  # tenant batch's profile, plus CoreDNS and the Karpenter controller
        assert {p.name for p in exp.fargate_profiles or ()} == {
            "tenant-batch", "coredns", "karpenter"}


def test_any_version_addon_passes_when_active(aws: None) -> None:
    results = verify(World(), replace(EXPECTED, addons={"vpc-cni": None, "coredns": "v1.12.4-eksbuild.1"}))
    assert results["add-on vpc-cni"].status == "PASS"
    assert results["add-on vpc-cni"].expected == "any version ACTIVE"


@pytest.mark.parametrize(("operation", "check", "permission"), [
    ("eks.DescribeAddon", "add-on vpc-cni", "eks:DescribeAddon"),
    ("eks.ListAccessEntries", "access entries", "eks:ListAccessEntries"),
    ("guardduty.ListDetectors", "GuardDuty check", "guardduty:ListDetectors"),
    ("ec2.DescribeSubnets", "subnets check", "ec2:DescribeSubnets"),
])
def test_a_missing_permission_fails_the_rows_that_needed_it(
    aws: None, operation: str, check: str, permission: str
) -> None:
    world = World()
    build(world)
    session = stub_session(world)
    with denying(session, operation):
        results = {r.check: r for r in run_checks(EXPECTED, Clients.from_session(session))}
    assert check in [name for name, r in results.items() if r.status == "FAIL"]
    assert results[check].actual == f"missing permission {permission}"
    assert results["cluster version"].status == "PASS"  # the other checks still ran


def test_empty_node_groups_skip_their_checks(aws: None) -> None:
    results = verify(World(), replace(EXPECTED, node_groups=()))
    assert results["node groups"].status == "SKIP"
    assert results["free IPs for planned capacity"].status == "SKIP"


# --- the command line -------------------------------------------------------------------

def write_config(tmp_path: Path, account: str = ACCOUNT, **cluster: Any) -> Path:
    text = (CONFIG_DIR / "dev.yaml").read_text()
    text = text.replace('"111111111111"', f'"{account}"').replace("shop-dev", CLUSTER)
    path = tmp_path / "test.yaml"
    path.write_text(text)
    return path


def dev_world() -> World:
    """What deploying config/dev.yaml (renamed to the test cluster) would leave behind."""
    exp = expectations_from_config(load_config(CONFIG_DIR / "dev.yaml"))
    assert exp.node_groups is not None
    group = exp.node_groups[0]
    return World(ami_type=str(group.ami_type), instance_types=group.instance_types,
                 sizes=(group.min_size or 0, group.min_size or 0, group.max_size or 0),
                 addons=dict(exp.addons or {}), detector=False,
                 access={a.principal: [(a.policy, a.namespaces)] if a.policy else []
                         for a in exp.access or ()})


def test_cli_table_and_exit_0(aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world = dev_world()
    build(world)
    assert main(["--config", str(write_config(tmp_path))], session=stub_session(world)) == 0
    out = capsys.readouterr().out
    assert "cluster version" in out and "PASS" in out and "FAIL" not in out.replace("0 failed", "")
    assert "add-on snapshot-controller" in out and "node group system IMDSv2 required" in out
    assert "security.guardduty is off" in out  # dev turns GuardDuty off: skipped, not passed


def test_cli_json_and_exit_1(aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    world = World(version="1.33")
    build(world)
    assert main(["--config", str(write_config(tmp_path)), "--json"], session=stub_session(world)) == 1
    data = json.loads(capsys.readouterr().out)
    rows = {r["check"]: r for r in data["results"]}
    assert rows["cluster version"] == {"check": "cluster version", "expected": "1.34",
                                       "actual": "1.33", "status": "FAIL"}


def test_cli_wrong_account_is_one_line_exit_2(aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config(tmp_path, account="999999999999")
    assert main(["--config", str(path)], session=stub_session(World())) == 2
    assert "999999999999" in one_error_line(capsys)


def test_cli_missing_credentials_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    remove_credentials(monkeypatch, tmp_path)
    assert main(["--config", str(write_config(tmp_path))]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["eks-blueprint-verify: no AWS credentials found; set AWS_PROFILE (or --profile), "
                   "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"]


def test_cli_unknown_profile_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    assert main(["--config", str(write_config(tmp_path)), "--profile", "nope"]) == 2
    assert "nope" in one_error_line(capsys)


def test_cli_rejected_credentials_are_one_line_exit_2(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = stub_session(World())
    with denying(session, "sts.GetCallerIdentity", code="InvalidClientTokenId", message="bad token"):
        assert main(["--config", str(write_config(tmp_path))], session=session) == 2
    assert "InvalidClientTokenId" in one_error_line(capsys)


def test_cli_missing_permission_is_a_failed_check_exit_1(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Valid credentials that may not describe the cluster: a failed check (1), naming the
    permission; exit 2 stays for credentials AWS does not accept."""
    world = dev_world()
    build(world)
    session = stub_session(world)
    with denying(session, "eks.DescribeCluster", code="AccessDeniedException"):
        assert main(["--config", str(write_config(tmp_path)), "--json"], session=session) == 1
    captured = capsys.readouterr()
    rows = {r["check"]: r for r in json.loads(captured.out)["results"]}
    assert rows["cluster exists"]["actual"] == "missing permission eks:DescribeCluster"
    assert captured.err == ""


def test_cli_config_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_config_error_exit_2(main, tmp_path, capsys)


def test_cli_env_not_found_and_usage_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_env_not_found_and_usage_exit_2(main, tmp_path, capsys)
