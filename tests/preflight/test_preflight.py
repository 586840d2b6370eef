"""preflight against moto: a world built from an environment file that can take it, and one
deviation per check.

moto 5.2.5 answers most calls preflight makes (STS, EC2 zones/VPCs/addresses, SSM bootstrap
parameter, CloudFormation stacks and outputs, IAM roles and users, GuardDuty detectors, EKS
clusters, Service Quotas for `vpc`). What it lacks is stubbed narrowly, on the test's boto3
session only, with botocore event handlers that read the running test's World:
* EKS DescribeAddonVersions is "Not yet implemented" -> answered from the add-on catalogue;
* SSM public parameters (/aws/service/...) cannot be created in moto (names starting with
  "aws" are refused) -> GetParameters for them is answered from CATALOGUE;
* Service Quotas: GetAWSDefaultServiceQuota raises NotImplementedError, and GetServiceQuota
  knows only the `vpc` defaults -> answered from the world's quotas when it sets one;
* EC2 zones are always `available` in moto -> an after-call handler applies zone states;
* moto's CloudFormation cannot model AWS::GuardDuty::Detector or AWS::IAM::ServiceLinkedRole
  -> an after-call handler adds them to ListStackResources of stacks moto really holds;
* moto has no VPCs shared by other accounts (AWS RAM) -> an after-call handler adds the
  world's to DescribeVpcs, unless the request filters on another owner-id, as EC2 would.
A role without some read permission is a `denying` block: the calls it names answer
AccessDenied (checked before any other handler), as IAM would.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from eks_blueprint.addons.versions import ADDON_VERSIONS
from eks_blueprint.checkrun import CheckResult
from eks_blueprint.config import EnvironmentConfig, load_config
from eks_blueprint.preflight import (
    CHECKS,
    SPOT_ROLE,
    STACK_KINDS,
    AssemblyError,
    Context,
    ami_parameter,
    configured_principals,
    main,
    planned_amis,
    read_assembly,
    run_checks,
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
from tests.conftest import Command, Finished, SynthResult

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / "config"
REGION = "eu-west-1"
K8S = "1.34"
OPTIMIZED = f"/aws/service/eks/optimized-ami/{K8S}/amazon-linux-2023"
BOTTLEROCKET = f"/aws/service/bottlerocket/aws-k8s-{K8S}"
#: The public AMI parameters the region publishes in these tests, written out by hand (not
#: with the code under test): AL2023 release v20251112 and Bottlerocket 1.50.0, plus the
#: recommended/latest ones, for both architectures.
CATALOGUE = frozenset(
    [f"{OPTIMIZED}/{arch}/standard/recommended/image_id" for arch in ("x86_64", "arm64")]
    + [f"{OPTIMIZED}/{arch}/standard/amazon-eks-node-al2023-{arch}-standard-{K8S}-v20251112/image_id"
       for arch in ("x86_64", "arm64")]
    + [f"{BOTTLEROCKET}/{arch}/{release}/image_id"
       for arch in ("x86_64", "arm64") for release in ("latest", "1.50.0")]
)
GUARDDUTY_AGENT_VERSIONS = ("v1.10.0-eksbuild.2",)


@dataclass(frozen=True)
class World:
    """The account and region; the defaults can take the environment `cfg`."""

    cfg: EnvironmentConfig
    zone_states: dict[str, str] = field(default_factory=dict)
    """Zone -> state other than available."""
    bootstrap_ssm: int | None = 30
    """/cdk-bootstrap/hnb659fds/version, or None: no parameter."""
    bootstrap_stack: int | None = None
    """The CDKToolkit stack's BootstrapVersion output, or None: no stack."""
    withdrawn: tuple[str, ...] = ()
    """Add-on versions EKS does not offer (every version in the table is offered else)."""
    spot_role: bool | None = None
    """AWSServiceRoleForEC2Spot exists (None: as the config expects)."""
    detector: bool | None = None
    """A GuardDuty detector exists (None: as the config expects)."""
    owned: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Deployed stacks of this environment (kind -> resource types moto cannot model)."""
    missing_principals: tuple[str, ...] = ()
    """Principal ARNs of the file that are not created."""
    unpublished: frozenset[str] = frozenset()
    """CATALOGUE parameters the region does not have."""
    extra_vpcs: int = 0
    """VPCs beyond moto's default VPC."""
    addresses: int = 0
    """Elastic IPs in use."""
    clusters: tuple[str, ...] = ()
    """EKS clusters that already exist."""
    applied: dict[tuple[str, str], float] = field(default_factory=dict)
    """(service, quota code) -> applied value, where GetServiceQuota has one."""
    aws_defaults: dict[tuple[str, str], float] = field(default_factory=dict)
    """(service, quota code) -> GetAWSDefaultServiceQuota value."""
    failing_addon_call: bool = False
    """DescribeAddonVersions answers with an error."""
    legacy_bootstrap: bool = False
    """A CDKToolkit stack of the legacy bootstrap template: no BootstrapVersion output."""
    shared_vpcs: int = 0
    """VPCs other accounts share with this one through AWS RAM (DescribeVpcs lists them)."""


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    set_fake_credentials(monkeypatch, REGION)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """moto, with the account set per test (moto reads MOTO_ACCOUNT_ID on every request)."""
    with mock_aws():
        yield monkeypatch


_SESSION: dict[str, boto3.Session] = {}
_WORLD: dict[str, World] = {}


def _json_body(params: dict[str, Any]) -> dict[str, Any]:
    body = params.get("body") or b"{}"
    return dict(json.loads(body))


def _describe_addon_versions(params: dict[str, Any], **_: Any) -> tuple[Response, dict[str, Any]]:
    world = _WORLD["current"]
    if world.failing_addon_call:
        return error(400, "InvalidParameterException", "no such add-on")
    # params is the serialised request: GET /addons/supported-versions?addonName=...
    name, k8s = params["query_string"]["addonName"], params["query_string"]["kubernetesVersion"]
    table: dict[str, tuple[str, ...]] = dict(ADDON_VERSIONS.get(k8s, {}))
    table["aws-guardduty-agent"] = GUARDDUTY_AGENT_VERSIONS
    versions = [v for v in table.get(name, ()) if v not in world.withdrawn]
    addons = [{"addonName": name, "type": "networking", "addonVersions": [
        {"addonVersion": v, "compatibilities": [{"clusterVersion": k8s}]} for v in versions]}]
    return Response(200), {"addons": addons if versions else []}


def _get_public_parameters(params: dict[str, Any], **_: Any) -> tuple[Response, dict[str, Any]] | None:
    names = _json_body(params).get("Names") or []
    if not any(str(n).startswith("/aws/service/") for n in names):
        return None  # moto answers for every other parameter
    published = CATALOGUE - _WORLD["current"].unpublished
    found = [n for n in names if n in published]
    return Response(200), {
        "Parameters": [{"Name": n, "Type": "String", "Value": f"ami-{abs(hash(n)) % 10**17:017d}"}
                       for n in found],
        "InvalidParameters": [n for n in names if n not in published],
    }


def _get_service_quota(params: dict[str, Any], **_: Any) -> tuple[Response, dict[str, Any]] | None:
    body = _json_body(params)
    value = _WORLD["current"].applied.get((body["ServiceCode"], body["QuotaCode"]))
    if value is None:
        return None  # moto: the vpc defaults, NoSuchResourceException for other services
    return Response(200), {"Quota": {**body, "Value": value}}


def _get_default_quota(params: dict[str, Any], **_: Any) -> tuple[Response, dict[str, Any]]:
    body = _json_body(params)
    value = _WORLD["current"].aws_defaults.get((body["ServiceCode"], body["QuotaCode"]))
    if value is None:
        return error(400, "NoSuchResourceException", "no default for this quota")
    return Response(200), {"Quota": {**body, "Value": value}}


def _zone_states(parsed: dict[str, Any], **_: Any) -> None:
    for zone in parsed.get("AvailabilityZones") or []:
        zone["State"] = _WORLD["current"].zone_states.get(zone["ZoneName"], zone["State"])


#: The stack of the ListStackResources call in flight, and the physical ids of what moto's
#: CloudFormation cannot model (filled in by build).
_CURRENT_STACK: dict[str, str] = {}
_PHYSICAL: dict[str, str] = {}


def _remember_stack(params: dict[str, Any], **_: Any) -> None:
    _CURRENT_STACK["name"] = str(params.get("StackName", ""))


def _stack_resources(parsed: dict[str, Any], **_: Any) -> None:
    """Adds what moto cannot model; the stack itself is moto's (missing stacks still fail)."""
    summaries = parsed.get("StackResourceSummaries")
    if summaries is None:
        return
    stack = _CURRENT_STACK.get("name", "")
    world = _WORLD["current"]
    for kind, types in world.owned.items():
        if stack == f"{world.cfg.name}-eks-{kind}":
            for type_ in types:
                summaries.append({"LogicalResourceId": type_.split("::")[-1], "ResourceType": type_,
                                  "PhysicalResourceId": _PHYSICAL[type_],
                                  "ResourceStatus": "CREATE_COMPLETE"})


_VPC_FILTERS: dict[str, list[Any]] = {}


def _remember_vpc_filters(params: dict[str, Any], **_: Any) -> None:
    _VPC_FILTERS["filters"] = list(params.get("Filters") or [])


def _shared_vpcs(parsed: dict[str, Any], **_: Any) -> None:
    """Adds the world's shared VPCs (owner 222222222222) unless an owner-id filter drops them."""
    if "Vpcs" not in parsed:
        return
    owners = [f["Values"] for f in _VPC_FILTERS.get("filters", []) if f.get("Name") == "owner-id"]
    if owners and "222222222222" not in owners[0]:
        return
    parsed["Vpcs"] += [{"VpcId": f"vpc-0shared{i:09d}", "OwnerId": "222222222222", "State": "available",
                        "CidrBlock": f"10.{100 + i}.0.0/16"} for i in range(_WORLD["current"].shared_vpcs)]


def stub_session(world: World) -> boto3.Session:
    """One session for every test (a new one reloads the large EC2 model); its handlers
    read the world of the running test."""
    _WORLD["current"] = world
    if "stub" in _SESSION:
        return _SESSION["stub"]
    session = boto3.Session(region_name=REGION)
    events = session.events
    events.register("before-call.eks.DescribeAddonVersions", _describe_addon_versions)
    events.register("before-call.ssm.GetParameters", _get_public_parameters)
    events.register("before-call.service-quotas.GetServiceQuota", _get_service_quota)
    events.register("before-call.service-quotas.GetAWSDefaultServiceQuota", _get_default_quota)
    events.register("after-call.ec2.DescribeAvailabilityZones", _zone_states)
    events.register("before-parameter-build.cloudformation.ListStackResources", _remember_stack)
    events.register("after-call.cloudformation.ListStackResources", _stack_resources)
    events.register("before-parameter-build.ec2.DescribeVpcs", _remember_vpc_filters)
    events.register("after-call.ec2.DescribeVpcs", _shared_vpcs)
    _SESSION["stub"] = session
    return session


def with_spot_mode(cfg: EnvironmentConfig, mode: str | None) -> EnvironmentConfig:
    """The config with security.spot_service_linked_role set (None is refused in a file
    with Spot capacity, so it is set on the loaded model)."""
    security = cfg.security.model_copy(update={"spot_service_linked_role": mode})
    return cfg.model_copy(update={"security": security})


def build(world: World, aws: pytest.MonkeyPatch) -> boto3.Session:
    """Create `world` in moto, in the config's account; return the stubbed session."""
    cfg = world.cfg
    aws.setenv("MOTO_ACCOUNT_ID", cfg.account)
    session = stub_session(world)
    iam = session.client("iam")
    for arn in configured_principals(cfg):
        account, resource = arn.split(":")[4:6]
        kind, name = resource.split("/")[0], resource.split("/")[-1]
        if account != cfg.account or arn in world.missing_principals:
            continue
        if kind == "role":
            iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")
        else:
            iam.create_user(UserName=name)
    expected = cfg.security.spot_service_linked_role == "existing"
    spot_role = world.spot_role if world.spot_role is not None else expected
    if spot_role:
        iam.create_role(RoleName=SPOT_ROLE, Path="/aws-service-role/spot.amazonaws.com/",
                        AssumeRolePolicyDocument="{}")
    _PHYSICAL["AWS::IAM::ServiceLinkedRole"] = SPOT_ROLE
    mode = cfg.security.guardduty.mode
    detector = world.detector if world.detector is not None else mode == "existing"
    if detector:
        _PHYSICAL["AWS::GuardDuty::Detector"] = session.client("guardduty").create_detector(
            Enable=True)["DetectorId"]
    if world.bootstrap_ssm is not None:
        session.client("ssm").put_parameter(
            Name="/cdk-bootstrap/hnb659fds/version", Value=str(world.bootstrap_ssm), Type="String")
    cfn = session.client("cloudformation")
    stacks: dict[str, int | None] = {f"{cfg.name}-eks-{kind}": None for kind in world.owned}
    if world.bootstrap_stack is not None:
        stacks["CDKToolkit"] = world.bootstrap_stack
    for name, version in stacks.items():
        template: dict[str, Any] = {"Resources": {"Marker": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Type": "String", "Value": "x", "Name": f"/test/{name}"}}}}
        if version is not None and not (name == "CDKToolkit" and world.legacy_bootstrap):
            template["Outputs"] = {"BootstrapVersion": {"Value": str(version)}}
        cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    ec2 = session.client("ec2")
    for index in range(world.extra_vpcs):
        ec2.create_vpc(CidrBlock=f"10.{200 + index}.0.0/16")
    for _ in range(world.addresses):
        ec2.allocate_address(Domain="vpc")
    eks = session.client("eks")
    for name in world.clusters:
        eks.create_cluster(name=name, roleArn=f"arn:aws:iam::{cfg.account}:role/cluster",
                           resourcesVpcConfig={})
    return session


def write_assembly(cdk_out: Path, cfg: EnvironmentConfig, required: int | None = 6,
                   environment: str | None = None) -> Path:
    """A nested assembly shaped like `cdk synth`'s (cdk.out/assembly-<env>/manifest.json)."""
    target = environment or f"aws://{cfg.account}/{cfg.region}"
    props: dict[str, Any] = {"bootstrapStackVersionSsmParameter": "/cdk-bootstrap/hnb659fds/version"}
    if required is not None:
        props["requiresBootstrapStackVersion"] = required
    artifacts: dict[str, Any] = {}
    for kind in STACK_KINDS:
        artifacts[f"{cfg.name}{kind}.assets"] = {"type": "cdk:asset-manifest", "properties": dict(props)}
        artifacts[f"{cfg.name}{kind}"] = {"type": "aws:cloudformation:stack", "environment": target,
                                          "properties": {**props, "stackName": f"{cfg.name}-eks-{kind}"}}
    directory = cdk_out / f"assembly-{cfg.name}"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": artifacts}))
    return cdk_out


def preflight(world: World, aws: pytest.MonkeyPatch | None, cdk_out: Path) -> dict[str, CheckResult]:
    """Run every check on `world`; with aws=None on the world already built (only the
    stubbed answers change)."""
    session = build(world, aws) if aws is not None else stub_session(world)
    identity = session.client("sts").get_caller_identity()
    ctx = Context(world.cfg, session, identity, cdk_out, "run `make synth` first")
    return {r.check: r for r in run_checks(ctx)}


def failed(results: dict[str, CheckResult]) -> list[str]:
    return [name for name, r in results.items() if r.status == "FAIL"]


# --- The test environment ----------------------------------------------------------------

ACCOUNT = "111111111111"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/PlatformAdmin"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
PARTNER = "arn:aws:iam::999999999999:role/PartnerPull"


def make_config(tmp_path: Path, guardduty: str = "existing", **replace: str) -> EnvironmentConfig:
    """config/dev.yaml with GuardDuty `guardduty` (and a larger node group for its agent), an
    IAM user as a viewer and a registry pull principal in another account."""
    text = (CONFIG_DIR / "dev.yaml").read_text()
    text = text.replace('guardduty: {mode: "off"}', f'guardduty: {{mode: "{guardduty}"}}')
    # GuardDuty's agent runs on every node: one more node, so the system pods still fit
    # while a node is replaced (the config checks that).
    text = text.replace("size: {min: 2, desired: 2, max: 3}", "size: {min: 3, desired: 3, max: 4}")
    text = text.replace("viewers: [arn:aws:iam::111111111111:role/Developer]",
                        f"viewers: [arn:aws:iam::111111111111:role/Developer, {ALICE}]")
    text = text.replace("push_principals: [", f"pull_principals: [{PARTNER}]\n      push_principals: [")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "test.yaml"
    path.write_text(text)
    return load_config(path)


@pytest.fixture
def cfg(tmp_path: Path) -> EnvironmentConfig:
    return make_config(tmp_path)


@pytest.fixture
def cdk_out(tmp_path: Path, cfg: EnvironmentConfig) -> Path:
    return write_assembly(tmp_path / "cdk.out", cfg)


def test_an_account_that_can_take_the_environment_passes(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    results = preflight(World(cfg), aws, cdk_out)
    assert failed(results) == []
    # dev's storage.efs: the storage construct installs the EFS CSI driver add-on, whose
    # pinned version is checked like the others
    assert cfg.storage.efs is not None and cfg.storage.fsx_lustre is None
    addons = sorted([*cfg.addons.installed(), "aws-efs-csi-driver"])
    assert list(results) == [
        "account", "availability zone eu-west-1a", "availability zone eu-west-1b",
        "availability zone eu-west-1c", "CDK assembly", "CDK bootstrap version",
    ] + [f"add-on {a} version" for a in addons] + [
        f"service-linked role {SPOT_ROLE}", "GuardDuty detector",
        f"IAM principal {ADMIN}", f"IAM principal arn:aws:iam::{ACCOUNT}:role/Developer",
        f"IAM principal {ALICE}", f"IAM principal arn:aws:iam::{ACCOUNT}:role/PaymentsTeam",
        f"IAM principal {PARTNER}", f"IAM principal arn:aws:iam::{ACCOUNT}:role/CiImagePublisher",
        "AMI al2023@v20251112 amd64 (node class default)",
        "AMI al2023@v20251112 arm64 (node class default)",
        "AMI of node group system (BOTTLEROCKET_ARM_64)",
        "quota VPCs per Region", "quota Elastic IPs", "quota interface endpoints per VPC",
        "quota EKS clusters per Region", "quota managed node groups per cluster",
        "quota Fargate profiles per cluster", "Inspector EC2 scanning",
        "Identity Center instance",
    ]
    skipped = {name for name, r in results.items() if r.status == "SKIP"}
    assert skipped == {
        f"IAM principal {PARTNER}", "quota Fargate profiles per cluster", "Inspector EC2 scanning",
        "Identity Center instance"}
    # dev runs no self-managed node groups: Inspector's EC2 scanning is not required
    assert results["Inspector EC2 scanning"].actual == "no compute.self_managed_node_groups"
    # dev: spot_service_linked_role create, and the account has no such role yet
    assert results[f"service-linked role {SPOT_ROLE}"].actual == "absent"
    assert "these credentials read 111111111111 only" in results[f"IAM principal {PARTNER}"].actual
    assert results[f"IAM principal {ALICE}"].actual == "user found"
    assert results["CDK bootstrap version"].expected == ">= 6"
    assert results["CDK bootstrap version"].actual == "30 (SSM /cdk-bootstrap/hnb659fds/version)"
    # dev: one NAT gateway; moto's default VPC is in use; three endpoints + GuardDuty's own.
    assert results["quota Elastic IPs"].actual == "0 in use + 1 (one per NAT gateway (single)) = 1"
    assert results["quota VPCs per Region"].actual == "1 in use + 1 (the VPC) = 2"
    assert results["quota interface endpoints per VPC"].actual.startswith("0 in use + 4 ")


@pytest.mark.parametrize(
    ("change", "check"),
    [
        ({"zone_states": {"eu-west-1b": "impaired"}}, "availability zone eu-west-1b"),
        ({"bootstrap_ssm": 5}, "CDK bootstrap version"),
        ({"bootstrap_ssm": None}, "CDK bootstrap version"),
        ({"bootstrap_ssm": None, "bootstrap_stack": 5}, "CDK bootstrap version"),
        ({"withdrawn": ADDON_VERSIONS[K8S]["kube-proxy"][:1]}, "add-on kube-proxy version"),
        ({"withdrawn": ADDON_VERSIONS[K8S]["coredns"]}, "add-on coredns version"),
        ({"spot_role": True}, f"service-linked role {SPOT_ROLE}"),
        ({"detector": False}, "GuardDuty detector"),
        ({"missing_principals": (ADMIN,)}, f"IAM principal {ADMIN}"),
        ({"missing_principals": (ALICE,)}, f"IAM principal {ALICE}"),
        ({"unpublished": frozenset(
            {f"{OPTIMIZED}/arm64/standard/amazon-eks-node-al2023-arm64-standard-{K8S}-v20251112/image_id"})},
         "AMI al2023@v20251112 arm64 (node class default)"),
        ({"unpublished": frozenset({f"{BOTTLEROCKET}/arm64/latest/image_id"})},
         "AMI of node group system (BOTTLEROCKET_ARM_64)"),
        ({"extra_vpcs": 4}, "quota VPCs per Region"),
        ({"addresses": 5}, "quota Elastic IPs"),
        ({"applied": {("vpc", "L-29B6F2EB"): 3}}, "quota interface endpoints per VPC"),
        ({"clusters": ("other",), "applied": {("eks", "L-1194D53C"): 1}}, "quota EKS clusters per Region"),
        ({"applied": {("eks", "L-6D54EA21"): 0}}, "quota managed node groups per cluster"),
        ({"failing_addon_call": True}, "addons check"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_each_deviation_fails_exactly_its_check(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path, change: dict[str, Any], check: str
) -> None:
    results = preflight(World(cfg, **change), aws, cdk_out)
    assert failed(results) == [check], results.get(check)


def test_bootstrap_version_falls_back_to_the_toolkit_stack_output(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    results = preflight(World(cfg, bootstrap_ssm=None, bootstrap_stack=21), aws, cdk_out)
    assert results["CDK bootstrap version"].status == "PASS"
    assert results["CDK bootstrap version"].actual == "21 (CDKToolkit output BootstrapVersion)"


def test_a_legacy_bootstrap_is_version_0_and_too_old(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    """The legacy template's CDKToolkit stack has no BootstrapVersion output: bootstrapped,
    at version 0, older than any requirement."""
    world = World(cfg, bootstrap_ssm=None, bootstrap_stack=0, legacy_bootstrap=True)
    row = preflight(world, aws, cdk_out)["CDK bootstrap version"]
    assert (row.expected, row.status) == (">= 6", "FAIL")
    assert row.actual == ("0 (legacy bootstrap: CDKToolkit has no BootstrapVersion output); too old: "
                          f"run bin/cdk bootstrap aws://{ACCOUNT}/{REGION}")


def test_an_unreadable_bootstrap_parameter_falls_back_to_the_stack_output(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    session = build(World(cfg, bootstrap_ssm=30, bootstrap_stack=21), aws)
    with denying(session, "ssm.GetParameter"):
        row = preflight(World(cfg, bootstrap_ssm=30, bootstrap_stack=21), None, cdk_out)[
            "CDK bootstrap version"]
    assert (row.status, row.actual) == (
        "PASS", "21 (CDKToolkit output BootstrapVersion; missing permission ssm:GetParameter)")


def test_an_unreadable_bootstrap_parameter_without_a_toolkit_stack_says_why(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    session = build(World(cfg), aws)
    with denying(session, "ssm.GetParameter"):
        row = preflight(World(cfg), None, cdk_out)["CDK bootstrap version"]
    assert (row.status, row.actual) == (
        "FAIL", f"not bootstrapped: run bin/cdk bootstrap aws://{ACCOUNT}/{REGION} "
                "(missing permission ssm:GetParameter)")


def test_an_assembly_without_a_version_requirement_needs_a_bootstrap_only(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, tmp_path: Path
) -> None:
    cdk_out = write_assembly(tmp_path / "cdk.out", cfg, required=None)
    row = preflight(World(cfg, bootstrap_ssm=1), aws, cdk_out)["CDK bootstrap version"]
    assert (row.expected, row.status) == ("bootstrapped", "PASS")


def test_a_too_old_bootstrap_says_how_to_fix_it(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    old = preflight(World(cfg, bootstrap_ssm=5), aws, cdk_out)["CDK bootstrap version"]
    assert old.actual == (f"5 (SSM /cdk-bootstrap/hnb659fds/version); too old: run "
                          f"bin/cdk bootstrap aws://{ACCOUNT}/{REGION}")


def test_missing_assembly_fails_and_says_to_synthesise(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, tmp_path: Path
) -> None:
    results = preflight(World(cfg), aws, tmp_path / "empty")
    assert failed(results) == ["CDK assembly"]
    assert "no assembly at" in results["CDK assembly"].actual
    assert "make synth" in results["CDK assembly"].actual
    # without the assembly, only the bootstrap stack's existence is checked
    assert results["CDK bootstrap version"].expected == "bootstrapped"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read"),
        ('{"version": "48.0.0", "artifacts": {}}', "not a cloud assembly manifest (it holds no stacks)"),
        ("[]", "not a cloud assembly manifest"),
        ('{"artifacts": {"s": {"type": "aws:cloudformation:stack", "properties": '
         '{"requiresBootstrapStackVersion": "six"}}}}', "not a cloud assembly manifest"),
    ],
)
def test_unreadable_assemblies_say_to_synthesise(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "assembly-dev").mkdir()
    (tmp_path / "assembly-dev" / "manifest.json").write_text(content)
    with pytest.raises(AssemblyError) as exc:
        read_assembly(tmp_path, "dev", "run `make synth` first")
    assert message in str(exc.value) and str(exc.value).endswith("; run `make synth` first")


def test_an_assembly_for_another_account_fails(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, tmp_path: Path
) -> None:
    cdk_out = write_assembly(tmp_path / "cdk.out", cfg, environment=f"aws://222222222222/{REGION}")
    results = preflight(World(cfg), aws, cdk_out)
    assert failed(results) == ["CDK assembly"]
    assert "synthesised for aws://222222222222/eu-west-1" in results["CDK assembly"].actual


def test_a_zone_of_another_region_fails(aws: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = make_config(tmp_path, **{"[eu-west-1a, eu-west-1b, eu-west-1c]": "[eu-west-1a, eu-west-1b, eu-west-1d]"})
    results = preflight(World(cfg), aws, write_assembly(tmp_path / "cdk.out", cfg))
    assert failed(results) == ["availability zone eu-west-1d"]
    assert results["availability zone eu-west-1d"].actual.startswith("not a zone of eu-west-1")


@pytest.mark.parametrize(
    ("mode", "detector", "owned", "status", "actual"),
    [
        ("create", False, False, "PASS", "none"),
        ("create", True, False, "FAIL", "exists already: set security.guardduty.mode: existing"),
        ("create", True, True, "PASS", "created by dev-eks-security"),
        ("existing", True, False, "PASS", ""),
        ("existing", False, False, "FAIL", "none: set mode create, or enable GuardDuty"),
        ("off", True, False, "SKIP", "security.guardduty.mode is off"),
    ],
)
def test_guardduty_mode_against_the_region(
    aws: pytest.MonkeyPatch, tmp_path: Path, mode: str, detector: bool, owned: bool, status: str,
    actual: str,
) -> None:
    cfg = make_config(tmp_path, guardduty=mode)
    stacks = {"security": ("AWS::GuardDuty::Detector",)} if owned else {}
    row = preflight(World(cfg, detector=detector, owned=stacks), aws,
                    write_assembly(tmp_path / "cdk.out", cfg))["GuardDuty detector"]
    assert (row.status, actual in row.actual) == (status, True), row


@pytest.mark.parametrize(
    ("mode", "role", "owned", "status", "actual"),
    [
        ("create", False, False, "PASS", "absent"),
        ("create", True, False, "FAIL", "exists already: set security.spot_service_linked_role: existing"),
        ("create", True, True, "PASS", "created by dev-eks-security"),
        ("existing", True, False, "PASS", f"role/aws-service-role/spot.amazonaws.com/{SPOT_ROLE}"),
        ("existing", False, False, "FAIL", "absent: set security.spot_service_linked_role: create"),
        (None, True, False, "SKIP", "not set (no Spot capacity)"),
    ],
)
def test_spot_service_linked_role_against_the_account(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path, mode: str | None, role: bool,
    owned: bool, status: str, actual: str,
) -> None:
    stacks = {"security": ("AWS::IAM::ServiceLinkedRole",)} if owned else {}
    world = World(with_spot_mode(cfg, mode), spot_role=role, owned=stacks)
    row = preflight(world, aws, cdk_out)[f"service-linked role {SPOT_ROLE}"]
    assert (row.status, actual in row.actual) == (status, True), row


def test_a_deployed_network_adds_no_vpc_or_addresses(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    results = preflight(World(cfg, owned={"network": ()}, extra_vpcs=4, addresses=5), aws, cdk_out)
    for check in ("quota VPCs per Region", "quota Elastic IPs"):
        assert (results[check].status, results[check].actual) == ("SKIP", "adds none (network stack deployed)")


def test_an_existing_cluster_of_the_same_name_adds_none(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    world = World(cfg, clusters=(cfg.cluster.name,), applied={("eks", "L-1194D53C"): 1})
    row = preflight(world, aws, cdk_out)["quota EKS clusters per Region"]
    assert (row.status, row.actual) == ("SKIP", f"adds none ({cfg.cluster.name} exists)")


def test_quota_values_come_from_the_api_then_the_default_api_then_the_docs(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    world = World(cfg, aws_defaults={("ec2", "L-0263D0A3"): 7}, applied={("eks", "L-6D54EA21"): 40})
    results = preflight(world, aws, cdk_out)
    assert results["quota VPCs per Region"].expected == "<= 5 (applied, vpc L-F678F1CE)"  # moto's
    assert results["quota Elastic IPs"].expected == "<= 7 (AWS default, ec2 L-0263D0A3)"
    assert results["quota EKS clusters per Region"].expected == "<= 100 (documented default, eks L-1194D53C)"
    assert results["quota managed node groups per cluster"].expected == "<= 40 (applied, eks L-6D54EA21)"


def test_vpcs_shared_through_ram_do_not_count(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    # the default VPC + 3 own + 1 planned = 5 of 5; the 2 shared VPCs are their owners'
    row = preflight(World(cfg, extra_vpcs=3, shared_vpcs=2), aws, cdk_out)["quota VPCs per Region"]
    assert (row.status, row.actual) == ("PASS", "4 in use + 1 (the VPC) = 5")


def test_unreadable_quotas_use_the_documented_default_and_say_so(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    """A role without Service Quotas permissions: every quota row still runs, against the
    documented default, naming what is missing; nothing else changes."""
    session = build(World(cfg), aws)
    with denying(session, "service-quotas.GetServiceQuota",
                 "service-quotas.GetAWSDefaultServiceQuota"):
        results = preflight(World(cfg), None, cdk_out)
    assert failed(results) == []
    missing = "missing permission servicequotas:GetServiceQuota, servicequotas:GetAWSDefaultServiceQuota"
    assert results["quota VPCs per Region"].expected == f"<= 5 (documented default, vpc L-F678F1CE; {missing})"
    assert results["quota EKS clusters per Region"].expected == (
        f"<= 100 (documented default, eks L-1194D53C; {missing})")
    # only the applied value denied: the AWS default is used, and the row says so
    with denying(session, "service-quotas.GetServiceQuota"):
        row = preflight(World(cfg, aws_defaults={("ec2", "L-0263D0A3"): 7}), None, cdk_out)["quota Elastic IPs"]
    assert row.expected == "<= 7 (AWS default, ec2 L-0263D0A3; missing permission servicequotas:GetServiceQuota)"


def test_an_unreadable_count_fails_its_quota_row_only(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    session = build(World(cfg), aws)
    message = ("You are not authorized to perform this operation. User: arn:aws:sts::111111111111:"
               "assumed-role/ReadOnly/ci is not authorized to perform: ec2:DescribeVpcs because no "
               "identity-based policy allows the ec2:DescribeVpcs action")
    with denying(session, "ec2.DescribeVpcs", code="UnauthorizedOperation", message=message):
        results = preflight(World(cfg), None, cdk_out)
    assert failed(results) == ["quota VPCs per Region"]
    assert results["quota VPCs per Region"].actual == "missing permission ec2:DescribeVpcs"
    assert results["quota Elastic IPs"].status == "PASS"


def test_a_missing_permission_in_a_check_fails_that_check_by_name(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path
) -> None:
    session = build(World(cfg), aws)
    with denying(session, "eks.DescribeAddonVersions", code="AccessDeniedException"):
        results = preflight(World(cfg), None, cdk_out)
    assert failed(results) == ["addons check"]
    assert results["addons check"].actual == "missing permission eks:DescribeAddonVersions"


def test_fargate_profiles_count_the_built_in_ones(aws: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = load_config(CONFIG_DIR / "staging.yaml")
    cdk_out = write_assembly(tmp_path / "cdk.out", cfg)
    row = preflight(World(cfg), aws, cdk_out)["quota Fargate profiles per cluster"]
    # tenant-batch (batch has isolation: fargate) + coredns + karpenter: three profiles count
    # against the quota, whichever section asks for them
    assert row.actual.startswith("0 in use + 3 (") and row.actual.endswith(") = 3"), row.actual
    assert "tenant" in row.actual, row.actual  # the source names the tenants' profiles too
    world = World(cfg, applied={("eks", "L-33415657"): 2})
    assert preflight(world, None, cdk_out)["quota Fargate profiles per cluster"].status == "FAIL"


def test_ami_parameters_are_the_published_paths() -> None:
    assert ami_parameter("al2023@v20251112", "1.34", "arm64") == (
        "/aws/service/eks/optimized-ami/1.34/amazon-linux-2023/arm64/standard/"
        "amazon-eks-node-al2023-arm64-standard-1.34-v20251112/image_id")
    assert ami_parameter("al2023@latest", "1.33", "x86_64") == (
        "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/x86_64/standard/recommended/image_id")
    assert ami_parameter("bottlerocket@v1.50.0", "1.34", "x86_64") == (
        "/aws/service/bottlerocket/aws-k8s-1.34/x86_64/1.50.0/image_id")
    assert ami_parameter("bottlerocket@latest", "1.35", "arm64") == (
        "/aws/service/bottlerocket/aws-k8s-1.35/arm64/latest/image_id")


def test_amis_follow_the_architectures_of_the_pools_using_each_class(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, **{"architectures: [arm64, amd64]": "architectures: [amd64]"})
    assert [(row, param) for row, _, param in planned_amis(cfg)] == [
        ("AMI al2023@v20251112 amd64 (node class default)",
         f"{OPTIMIZED}/x86_64/standard/amazon-eks-node-al2023-x86_64-standard-{K8S}-v20251112/image_id"),
        ("AMI of node group system (BOTTLEROCKET_ARM_64)", f"{BOTTLEROCKET}/arm64/latest/image_id"),
    ]
    staging = load_config(CONFIG_DIR / "staging.yaml")  # Bottlerocket pinned, no node groups
    assert [param for _, _, param in planned_amis(staging)] == [
        f"{BOTTLEROCKET}/x86_64/1.50.0/image_id", f"{BOTTLEROCKET}/arm64/1.50.0/image_id"]


def test_gpu_windows_and_self_managed_amis_are_planned_from_their_own_paths() -> None:
    """NVIDIA and Windows node groups, GPU pools and self-managed groups each check the AMI
    they really launch: a standard path in their place would pass while the region lacks
    the AMI the nodes need."""
    accelerated = load_config(CONFIG_DIR / "examples" / "accelerated.yaml")
    params = {row: param for row, _, param in planned_amis(accelerated)}
    assert params["AMI of node group gpu (AL2023_x86_64_NVIDIA)"] == (
        f"{OPTIMIZED}/x86_64/nvidia/recommended/image_id")
    assert params["AMI of node group windows (WINDOWS_CORE_2022_x86_64)"] == (
        f"/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-{K8S}"
        "/image_id")
    assert params["AMI bottlerocket@v1.50.0 amd64 NVIDIA (node class bottlerocket)"] == (
        f"{BOTTLEROCKET}-nvidia/x86_64/1.50.0/image_id")
    assert params["AMI al2023@v20251112 amd64 NVIDIA (node class default)"] == (
        f"{OPTIMIZED}/x86_64/nvidia/amazon-eks-node-al2023-x86_64-nvidia-{K8S}-v20251112/image_id")
    own = load_config(CONFIG_DIR / "examples" / "self-managed.yaml")
    rows = [(row, param) for row, _, param in planned_amis(own) if "self-managed" in row]
    assert rows and all(
        param.startswith(("/aws/service/eks/optimized-ami/", "/aws/service/bottlerocket/"))
        for _, param in rows
    ), rows
    # A custom AMI id is the account's own: no public parameter to check.
    customs = [g.name for g in own.compute.self_managed_node_groups if g.ami.id is not None]
    assert not any(name in row for name in customs for row, _ in rows)


def test_principals_name_every_field_that_lists_them(cfg: EnvironmentConfig) -> None:
    named = configured_principals(cfg)
    assert named[ADMIN] == ["cluster.admins"]
    assert named[PARTNER] == ["registries shop/api pull"]
    assert named[f"arn:aws:iam::{ACCOUNT}:role/CiImagePublisher"] == ["registries shop/api push"]


def test_checks_are_listed_once_in_report_order() -> None:
    assert [c.name for c in CHECKS] == [
        "account", "zones", "bootstrap", "addons", "spot-role", "guardduty", "principals", "amis",
        "quotas", "inspector", "identity-center"]


@pytest.mark.background(Command(
    (sys.executable, "-c", "import sys, eks_blueprint.preflight; sys.exit('aws_cdk' in sys.modules)"),
    cwd=ROOT,
))
def test_preflight_never_imports_aws_cdk(background: Finished) -> None:
    assert background.process.returncode == 0, background.process.stderr


# --- The real assembly and stacks ------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_the_synthesised_assembly_is_read(synth: SynthResult, env: str) -> None:
    assembly = read_assembly(synth.outdir, env, "synth")
    cfg = load_config(CONFIG_DIR / f"{env}.yaml")
    assert assembly.environments == {f"aws://{cfg.account}/{cfg.region}"}
    assert set(assembly.stacks) == {f"{env}-eks-{kind}" for kind in synth.templates[env]}
    assert set(synth.templates[env]) <= set(STACK_KINDS)  # the names preflight derives
    assert assembly.required_bootstrap_version == 6
    assert assembly.bootstrap_version_parameter == "/cdk-bootstrap/hnb659fds/version"


# --- The command line ------------------------------------------------------------------------


def cli(aws: pytest.MonkeyPatch, world: World, *args: str) -> int:
    return main(list(args), session=build(world, aws))


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_cli_end_to_end_on_a_world_built_from_the_file(
    aws: pytest.MonkeyPatch, synth: SynthResult, env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = load_config(CONFIG_DIR / f"{env}.yaml")
    args = ("--env", env, "--config-dir", str(CONFIG_DIR), "--cdk-out", str(synth.outdir))
    assert cli(aws, World(cfg), *args) == 0
    out = capsys.readouterr().out
    assert " 0 failed" in out and "FAIL" not in out.replace("0 failed", "")
    alias = "bottlerocket@v1.50.0" if env == "staging" else "al2023@v20251112"
    assert "add-on kube-proxy version" in out and f"AMI {alias} arm64 (node class default)" in out
    if env == "staging":  # the account has the Spot role already; three Fargate profiles
        assert "exists (mode existing)" in out and "0 in use + 3 (" in out
    if env == "prod":  # GuardDuty created here, no detector yet; one NAT gateway per AZ
        assert "none in the region (mode create)" in out
        assert "3 (one per NAT gateway (per_az))" in out
    # the same account, with the kube-proxy pin withdrawn by EKS: exit 1, that row fails
    withdrawn = stub_session(World(cfg, withdrawn=ADDON_VERSIONS[K8S]["kube-proxy"][:1]))
    assert main([*args, "--json"], session=withdrawn) == 1
    rows = {r["check"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert [c for c, r in rows.items() if r["status"] == "FAIL"] == ["add-on kube-proxy version"]


def test_cli_json_and_exit_1(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = CONFIG_DIR / "dev.yaml"
    assert cli(aws, World(load_config(path), zone_states={"eu-west-1a": "impaired"}),
               "--config", str(path), "--cdk-out", str(cdk_out.parent / "none"), "--json") == 1
    data = json.loads(capsys.readouterr().out)
    assert data["environment"] == "dev"
    rows = {r["check"]: r for r in data["results"]}
    assert rows["availability zone eu-west-1a"] == {
        "check": "availability zone eu-west-1a", "expected": "available", "actual": "impaired",
        "status": "FAIL"}
    assert "bin/cdk synth -c config=" in rows["CDK assembly"]["actual"]


def test_cli_missing_assembly_names_make_synth(
    aws: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = load_config(CONFIG_DIR / "dev.yaml")
    args = ("--env", "dev", "--config-dir", str(CONFIG_DIR), "--cdk-out", str(tmp_path))
    assert cli(aws, World(cfg), *args, "--json") == 1
    rows = {r["check"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert rows["CDK assembly"]["actual"] == (
        f"no assembly at {tmp_path}/assembly-dev/manifest.json; "
        "run `make synth` (or `bin/cdk synth -c env=dev`) first")
    assert [c for c, r in rows.items() if r["status"] == "FAIL"] == ["CDK assembly"]


def test_cli_wrong_account_is_one_line_exit_2(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    session = build(World(cfg), aws)
    aws.setenv("MOTO_ACCOUNT_ID", "333333333333")  # the credentials are for another account
    assert main(["--config", str(CONFIG_DIR / "dev.yaml")], session=session) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["eks-blueprint-preflight: the credentials are for account 333333333333, "
                   "but dev is in 111111111111"]


def test_cli_rejected_credentials_are_one_line_exit_2(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    session = build(World(cfg), aws)
    with denying(session, "sts.GetCallerIdentity", code="ExpiredToken", message="the token expired"):
        assert main(["--config", str(CONFIG_DIR / "dev.yaml")], session=session) == 2
    assert "ExpiredToken" in one_error_line(capsys)


def test_cli_missing_permission_fails_its_checks_and_the_run_goes_on(
    aws: pytest.MonkeyPatch, cfg: EnvironmentConfig, cdk_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Valid credentials without iam:GetRole: exit 1 (a check failed), not 2 (bad
    credentials); the rows that needed it name it, every other check still runs."""
    session = build(World(cfg), aws)
    with denying(session, "iam.GetRole", code="AccessDenied"):
        assert main(["--config", str(CONFIG_DIR / "dev.yaml"), "--cdk-out", str(cdk_out), "--json"],
                    session=session) == 1
    rows = {r["check"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert {c: r["actual"] for c, r in rows.items() if r["status"] == "FAIL"} == {
        "spot-role check": "missing permission iam:GetRole",
        "principals check": "missing permission iam:GetRole"}
    assert rows["quota VPCs per Region"]["status"] == "PASS"


def test_cli_without_service_quotas_permissions_passes_on_the_documented_defaults(
    aws: pytest.MonkeyPatch, synth: SynthResult, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = load_config(CONFIG_DIR / "dev.yaml")
    session = build(World(cfg), aws)
    with denying(session, "service-quotas.GetServiceQuota", "service-quotas.GetAWSDefaultServiceQuota",
                 code="AccessDeniedException"):
        assert main(["--env", "dev", "--config-dir", str(CONFIG_DIR), "--cdk-out", str(synth.outdir)],
                    session=session) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and "documented default, vpc L-F678F1CE; missing permi" in captured.out


def test_cli_config_error_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_config_error_exit_2(main, tmp_path, capsys)


def test_cli_env_not_found_and_usage_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_env_not_found_and_usage_exit_2(main, tmp_path, capsys)


def test_cli_missing_credentials_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    remove_credentials(monkeypatch, tmp_path)
    assert main(["--config", str(CONFIG_DIR / "dev.yaml")]) == 2
    assert one_error_line(capsys).startswith("eks-blueprint-preflight: no AWS credentials found")
