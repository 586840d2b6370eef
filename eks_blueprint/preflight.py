"""`eks-blueprint-preflight --env NAME`: can this account and region take the environment?

Run before the first `cdk deploy`. Read-only boto3 calls (STS, EC2, SSM, CloudFormation, EKS,
IAM, GuardDuty, Service Quotas) check what would otherwise fail half-way through a
deployment: the account, the availability zones, the CDK bootstrap version the synthesised
assembly needs, every pinned add-on version, the EC2 Spot service-linked role, the GuardDuty
detector, every IAM principal the file names, the pinned AMI releases, and the service
quotas the environment uses up. It never imports aws_cdk and never changes anything.

The checks are the data in CHECKS, one small function each, run in that order; each adds
one or more rows to the report. Output, options and exit codes are those of `verify`
(eks_blueprint.checkrun): 0 every check passed; 1 a check failed; 2 usage, configuration
or credential error (one line on stderr, no traceback). A read the role may not make is not
a credential error: its check fails naming the missing permission, or uses its fallback and
says so (a quota's documented default, the bootstrap stack's output), and the run goes on.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from .checkrun import (
    CheckResult,
    Run,
    denied,
    error_code,
    error_message,
    failure,
    guard,
    missing_permission,
    naming_actions,
    new_parser,
    not_found,
    paginate,
    run_command,
)
from .config import EnvironmentConfig
from .config.compute import AMI_TYPES, ami_architecture
from .verify import expectations_from_config

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_eks import EKSClient
    from mypy_boto3_guardduty import GuardDutyClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_service_quotas import ServiceQuotasClient
    from mypy_boto3_ssm import SSMClient

PROG = "eks-blueprint-preflight"
#: The stacks of one environment, `<env>-eks-<kind>` (named in stacks/stage.py, which
#: imports aws_cdk and so is not imported here; a test keeps the two in step).
STACK_KINDS = ("network", "cluster", "security")
#: The stack `cdk bootstrap` creates (its default --toolkit-stack-name).
TOOLKIT_STACK = "CDKToolkit"
#: Where the modern bootstrap template stores its version, for the default qualifier
#: hnb659fds; an assembly names its own in `bootstrapStackVersionSsmParameter`.
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
#: The EC2 Spot service-linked role: one per account, created on first Spot request or by
#: AWS::IAM::ServiceLinkedRole (which fails when the role already exists).
SPOT_ROLE = "AWSServiceRoleForEC2Spot"
#: Karpenter `kubernetes.io/arch` values -> the architecture in the public SSM paths.
SSM_ARCH = {"amd64": "x86_64", "arm64": "arm64"}
#: GetParameters takes at most 10 names per call.
SSM_BATCH = 10
PRINCIPAL_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)$")


# --- The environment and its clients --------------------------------------------------------


class AssemblyError(Exception):
    """The synthesised assembly cannot be read; the message says what to do."""


@dataclass(frozen=True)
class Assembly:
    """What preflight needs from `cdk.out/assembly-<env>/manifest.json`."""

    path: Path
    stacks: tuple[str, ...]
    """CloudFormation stack names."""
    environments: frozenset[str]
    """The stacks' targets, `aws://<account>/<region>`."""
    required_bootstrap_version: int | None
    """The highest `requiresBootstrapStackVersion` of any artifact (None: none says)."""
    bootstrap_version_parameter: str
    """The SSM parameter holding the deployed bootstrap version."""


def read_assembly(cdk_out: Path, env: str, synth_hint: str) -> Assembly:
    """The environment's nested cloud assembly, as `cdk synth` writes it: artifacts of type
    aws:cloudformation:stack (and cdk:asset-manifest) carry `requiresBootstrapStackVersion`
    and `bootstrapStackVersionSsmParameter` in their properties."""
    path = cdk_out / f"assembly-{env}" / "manifest.json"
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise AssemblyError(f"no assembly at {path}; {synth_hint}") from None
    except (OSError, ValueError) as exc:
        raise AssemblyError(f"cannot read {path} ({exc}); {synth_hint}") from None
    try:
        return _assembly(path, manifest)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise AssemblyError(
            f"{path} is not a cloud assembly manifest ({exc}); {synth_hint}"
        ) from None


def _assembly(path: Path, manifest: Any) -> Assembly:
    artifacts: dict[str, Any] = manifest.get("artifacts") or {}
    stacks = [a for a in artifacts.values() if a.get("type") == "aws:cloudformation:stack"]
    if not stacks:
        raise ValueError("it holds no stacks")
    props = [a.get("properties") or {} for a in artifacts.values()]
    versions = [
        int(p["requiresBootstrapStackVersion"])
        for p in props
        if p.get("requiresBootstrapStackVersion") is not None
    ]
    parameters = [
        str(p["bootstrapStackVersionSsmParameter"])
        for p in props
        if p.get("bootstrapStackVersionSsmParameter")
    ]
    return Assembly(
        path=path,
        stacks=tuple(str((s.get("properties") or {}).get("stackName", "")) for s in stacks),
        environments=frozenset(str(s.get("environment", "")) for s in stacks),
        required_bootstrap_version=max(versions, default=None),
        bootstrap_version_parameter=parameters[0] if parameters else BOOTSTRAP_VERSION_PARAMETER,
    )


@dataclass
class Context:
    """One preflight run: the environment, its confirmed account, lazily made clients and
    what several checks read (the assembly, the environment's deployed stacks)."""

    cfg: EnvironmentConfig
    session: boto3.Session
    identity: Mapping[str, Any]
    """STS GetCallerIdentity of the credentials (its Account is the file's)."""
    cdk_out: Path = Path("cdk.out")
    synth_hint: str = "run `make synth` first"
    _stack_resources: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)

    @property
    def account(self) -> str:
        return str(self.identity["Account"])

    @property
    def region(self) -> str:
        return str(self.session.region_name)

    @property
    def kubernetes_version(self) -> str:
        return self.cfg.cluster.version

    @cached_property
    def assembly(self) -> Assembly | AssemblyError:
        try:
            return read_assembly(self.cdk_out, self.cfg.name, self.synth_hint)
        except AssemblyError as exc:
            return exc

    @cached_property
    def clusters(self) -> list[str]:
        """The EKS clusters in the region."""
        return [str(c) for c in paginate(self.eks, "list_clusters", "clusters")]

    # Clients whose refused calls name the IAM action they needed (checkrun.naming_actions).

    @cached_property
    def ec2(self) -> EC2Client:
        return naming_actions(self.session.client("ec2"))

    @cached_property
    def eks(self) -> EKSClient:
        return naming_actions(self.session.client("eks"))

    @cached_property
    def iam(self) -> IAMClient:
        return naming_actions(self.session.client("iam"))

    @cached_property
    def ssm(self) -> SSMClient:
        return naming_actions(self.session.client("ssm"))

    @cached_property
    def cloudformation(self) -> CloudFormationClient:
        return naming_actions(self.session.client("cloudformation"))

    @cached_property
    def guardduty(self) -> GuardDutyClient:
        return naming_actions(self.session.client("guardduty"))

    @cached_property
    def service_quotas(self) -> ServiceQuotasClient:
        return naming_actions(self.session.client("service-quotas"))

    def stack_name(self, kind: str) -> str:
        return f"{self.cfg.name}-eks-{kind}"

    def stack_resources(self, kind: str) -> list[dict[str, Any]] | None:
        """The resources of the environment's `<env>-eks-<kind>` stack, or None when the
        stack does not exist (the environment was never deployed)."""
        name = self.stack_name(kind)
        if name not in self._stack_resources:
            try:
                self._stack_resources[name] = paginate(
                    self.cloudformation,
                    "list_stack_resources",
                    "StackResourceSummaries",
                    StackName=name,
                )
            except ClientError as exc:
                if error_code(exc) != "ValidationError" or "does not exist" not in (
                    error_message(exc)
                ):
                    raise
                self._stack_resources[name] = None
        return self._stack_resources[name]

    def owned(self, resource_type: str) -> dict[str, str]:
        """Physical ids of `resource_type` resources in this environment's stacks -> the
        stack: what an earlier deploy of this same environment created, which is not a
        conflict when preflight runs again."""
        found: dict[str, str] = {}
        for kind in STACK_KINDS:
            for resource in self.stack_resources(kind) or []:
                if resource.get("ResourceType") == resource_type and resource.get(
                    "PhysicalResourceId"
                ):
                    found[str(resource["PhysicalResourceId"])] = self.stack_name(kind)
        return found


# --- Checks ----------------------------------------------------------------------------------


def check_account(run: Run, ctx: Context) -> None:
    """1. The credentials' account is the file's. A mismatch already stopped the run with
    exit code 2 before any check (checkrun.account_matches, as in verify); this row records
    which identity the checks ran as."""
    run.add(
        "account", ctx.cfg.account, f"{ctx.account} ({ctx.identity.get('Arn', '?')})",
        ctx.account == ctx.cfg.account,
    )


def check_availability_zones(run: Run, ctx: Context) -> None:
    """2. The file's three availability zones exist in the region and are `available`."""
    zones = guard(lambda: ctx.ec2.describe_availability_zones())["AvailabilityZones"]
    state = {z["ZoneName"]: z.get("State", "?") for z in zones}
    for zone in ctx.cfg.availability_zones:
        actual = state.get(zone, f"not a zone of {ctx.region} (has {', '.join(sorted(state))})")
        run.add(f"availability zone {zone}", "available", actual, actual == "available")


def _version(value: Any) -> int:
    """A bootstrap version as a number; 0 (older than any requirement) if it is not one."""
    try:
        return int(str(value))
    except ValueError:
        return 0


def _deployed_bootstrap_version(ctx: Context, parameter: str) -> tuple[int | None, str]:
    """The bootstrap version in the account and region, and where it was read: the SSM
    parameter the bootstrap template writes, else the toolkit stack's BootstrapVersion
    output (older templates; also the fallback when the role may not read the parameter);
    0 for a toolkit stack without that output (the legacy template, which predates
    versions); (None, ...) when the region is not bootstrapped."""
    note = ""
    try:
        value = guard(partial(ctx.ssm.get_parameter, Name=parameter))["Parameter"]["Value"]
    except ClientError as exc:
        if denied(exc):
            note = f"; missing permission {missing_permission(exc)}"
        elif not not_found(exc):
            raise
    else:
        return _version(value), f"SSM {parameter}"
    try:
        stacks = guard(partial(ctx.cloudformation.describe_stacks, StackName=TOOLKIT_STACK))
    except ClientError as exc:
        if error_code(exc) == "ValidationError":
            return None, f"no {TOOLKIT_STACK} stack{note}"
        raise
    for output in (stacks["Stacks"] or [{}])[0].get("Outputs") or []:
        if output.get("OutputKey") == "BootstrapVersion":
            version = _version(output["OutputValue"])
            return version, f"{TOOLKIT_STACK} output BootstrapVersion{note}"
    return 0, f"legacy bootstrap: {TOOLKIT_STACK} has no BootstrapVersion output{note}"


def check_bootstrap(run: Run, ctx: Context) -> None:
    """3. The synthesised assembly exists (for this account and region) and the region's
    CDK bootstrap version is at least the one its stacks require."""
    target = f"aws://{ctx.cfg.account}/{ctx.cfg.region}"
    assembly = ctx.assembly
    required: int | None = None
    parameter = BOOTSTRAP_VERSION_PARAMETER
    if isinstance(assembly, AssemblyError):
        run.add("CDK assembly", f"stacks for {target}", str(assembly), False)
    else:
        required, parameter = (
            assembly.required_bootstrap_version,
            assembly.bootstrap_version_parameter,
        )
        others = sorted(assembly.environments - {target})
        actual = (
            f"synthesised for {', '.join(others)}; {ctx.synth_hint}"
            if others
            else f"{len(assembly.stacks)} stacks in {assembly.path}"
        )
        run.add("CDK assembly", f"stacks for {target}", actual, not others)
    expected = f">= {required}" if required is not None else "bootstrapped"
    deployed, source = _deployed_bootstrap_version(ctx, parameter)
    bootstrap = f"bin/cdk bootstrap {target}"
    if deployed is None:
        # source is "no CDKToolkit stack", plus the permission when SSM was not readable
        why = source.partition("; ")[2]
        actual = f"not bootstrapped: run {bootstrap}" + (f" ({why})" if why else "")
        run.add("CDK bootstrap version", expected, actual, False)
        return
    ok = required is None or deployed >= required
    actual = f"{deployed} ({source})" + ("" if ok else f"; too old: run {bootstrap}")
    run.add("CDK bootstrap version", expected, actual, ok)


def check_addon_versions(run: Run, ctx: Context) -> None:
    """4. Every add-on version the stacks pin is offered for the cluster's Kubernetes
    version (the same add-ons and versions as verify.expectations_from_config)."""
    k8s = ctx.kubernetes_version
    addons = expectations_from_config(ctx.cfg).addons or {}
    for name, version in sorted(addons.items()):
        offered = [
            str(v.get("addonVersion"))
            for addon in paginate(
                ctx.eks, "describe_addon_versions", "addons", addonName=name, kubernetesVersion=k8s
            )
            for v in addon.get("addonVersions") or []
        ]
        check = f"add-on {name} version"
        expected = f"{version or 'a version'} for Kubernetes {k8s}"
        if not offered:
            run.add(check, expected, f"no version for Kubernetes {k8s}", False)
        elif version is None or version in offered:
            run.add(check, expected, f"offered ({len(offered)} versions)", True)
        else:
            newest = ", ".join(offered[:3]) + (", ..." if len(offered) > 3 else "")
            run.add(check, expected, f"not offered; EKS offers {newest}", False)


def check_spot_role(run: Run, ctx: Context) -> None:
    """5. The EC2 Spot service-linked role matches `security.spot_service_linked_role`:
    `create` fails when the role exists (AWS::IAM::ServiceLinkedRole would fail), unless an
    earlier deploy of this environment created it (the security stack creates and retains
    it); `existing` fails when it does not exist; no value (no Spot capacity): SKIP."""
    check = f"service-linked role {SPOT_ROLE}"
    mode = ctx.cfg.security.spot_service_linked_role
    if mode is None:
        run.skip(check, "security.spot_service_linked_role is not set (no Spot capacity)")
        return
    try:
        role = guard(partial(ctx.iam.get_role, RoleName=SPOT_ROLE))["Role"]
    except ClientError as exc:
        if not not_found(exc):
            raise
        role = None
    if mode == "create":
        owner = ctx.owned("AWS::IAM::ServiceLinkedRole").get(SPOT_ROLE)
        if role is None:
            actual = "absent"
        elif owner:
            actual = f"created by {owner}"
        else:
            actual = "exists already: set security.spot_service_linked_role: existing"
        run.add(check, "absent (mode create creates it)", actual, role is None or bool(owner))
    else:
        actual = (
            str(role["Arn"])
            if role
            else "absent: set security.spot_service_linked_role: create"
        )
        run.add(check, "exists (mode existing)", actual, role is not None)


def check_guardduty(run: Run, ctx: Context) -> None:
    """6. The GuardDuty mode matches the region: `create` fails when a detector exists
    (one per account and region) that this environment did not create; `existing` fails
    when there is none."""
    mode = ctx.cfg.security.guardduty.mode
    if mode == "off":
        run.skip("GuardDuty detector", "security.guardduty.mode is off")
        return
    detectors = [str(d) for d in paginate(ctx.guardduty, "list_detectors", "DetectorIds")]
    if mode == "create":
        owned = ctx.owned("AWS::GuardDuty::Detector")
        foreign = [d for d in detectors if d not in owned]
        if foreign:
            actual = f"{foreign[0]} exists already: set security.guardduty.mode: existing"
        elif detectors:
            actual = f"{detectors[0]} created by {owned[detectors[0]]}"
        else:
            actual = "none"
        run.add("GuardDuty detector", "none in the region (mode create)", actual, not foreign)
    else:
        actual = detectors[0] if detectors else "none: set mode create, or enable GuardDuty"
        run.add("GuardDuty detector", "one in the region (mode existing)", actual, bool(detectors))


def configured_principals(cfg: EnvironmentConfig) -> dict[str, list[str]]:
    """Every IAM principal ARN the file names -> the fields that name it, in file order."""
    named: dict[str, list[str]] = {}
    fields: list[tuple[str, Sequence[str]]] = [
        ("cluster.admins", cfg.cluster.admins),
        ("cluster.viewers", cfg.cluster.viewers),
        ("access", [a.principal for a in cfg.access]),
    ]
    for registry in cfg.security.registries:
        fields.append((f"registries {registry.name} pull", registry.pull_principals))
        fields.append((f"registries {registry.name} push", registry.push_principals))
    for where, arns in fields:
        for arn in arns:
            named.setdefault(arn, [])
            if where not in named[arn]:
                named[arn].append(where)
    return named


def check_principals(run: Run, ctx: Context) -> None:
    """7. Every IAM role and user the file names exists (access entries and ECR repository
    policies naming a missing principal fail to deploy). Principals of other accounts
    cannot be read with these credentials: SKIP."""
    for arn, where in configured_principals(ctx.cfg).items():
        check = f"IAM principal {arn}"
        match = PRINCIPAL_ARN.match(arn)
        if match is None:
            run.add(check, "an IAM role or user ARN", "unparsable ARN", False)
            continue
        account, kind, name = match.groups()
        if account != ctx.account:
            run.skip(check, f"in account {account}; these credentials read {ctx.account} only")
            continue
        get = (
            partial(ctx.iam.get_role, RoleName=name)
            if kind == "role"
            else partial(ctx.iam.get_user, UserName=name)
        )
        try:
            guard(get)
        except ClientError as exc:
            if not not_found(exc):
                raise
            run.add(check, f"exists ({'; '.join(where)})", f"no {kind} named {name}", False)
            continue
        run.add(check, f"exists ({'; '.join(where)})", f"{kind} found", True)


def ami_parameter(alias: str, kubernetes_version: str, arch: str) -> str:
    """The public SSM parameter holding the AMI id of a Karpenter `ami_alias` for one
    Kubernetes version and architecture (x86_64 or arm64), as Karpenter resolves it:

    - al2023@vYYYYMMDD -> /aws/service/eks/optimized-ami/<k8s>/amazon-linux-2023/<arch>/
      standard/amazon-eks-node-al2023-<arch>-standard-<k8s>-vYYYYMMDD/image_id
      (@latest: .../standard/recommended/image_id);
    - bottlerocket@vX.Y.Z -> /aws/service/bottlerocket/aws-k8s-<k8s>/<arch>/X.Y.Z/image_id
      (the SSM path has no `v`; @latest: .../latest/image_id).

    Sources: the release-specific paths are those Karpenter's AMI alias resolvers query,
    in github.com/aws/karpenter-provider-aws, pkg/providers/amifamily/al2023.go
    (`AL2023.resolvePath`: `recommended` for @latest, else
    `amazon-eks-node-al2023-<arch>-<variant>-<k8s>-<version>`) and
    pkg/providers/amifamily/bottlerocket.go (`Bottlerocket.DescribeImageQuery`: the version
    with its leading `v` trimmed); see also Karpenter, "NodeClasses", amiSelectorTerms alias
    (https://karpenter.sh/docs/concepts/nodeclasses/). The Amazon EKS User Guide pages
    "Retrieve recommended Amazon Linux AMI IDs" and "... Bottlerocket AMI IDs" document
    only the `recommended` and `latest` paths.
    """
    family, _, version = alias.partition("@")
    if family == "al2023":
        release = (
            "recommended"
            if version == "latest"
            else f"amazon-eks-node-al2023-{arch}-standard-{kubernetes_version}-{version}"
        )
        return (
            f"/aws/service/eks/optimized-ami/{kubernetes_version}/amazon-linux-2023/{arch}/"
            f"standard/{release}/image_id"
        )
    if family == "bottlerocket":
        release = "latest" if version == "latest" else version.removeprefix("v")
        return f"/aws/service/bottlerocket/aws-k8s-{kubernetes_version}/{arch}/{release}/image_id"
    raise ValueError(f"unknown AMI alias family in {alias!r}")


def planned_amis(cfg: EnvironmentConfig) -> list[tuple[str, str, str]]:
    """(report row, what is expected, SSM parameter) for every AMI the environment launches:
    each Karpenter node class's alias for each architecture its node pools allow, and the
    recommended release of each managed node group's AMI type (EKS picks the release; the
    config pins none, so the check is that EKS publishes that AMI type for this version)."""
    k8s = cfg.cluster.version
    rows: list[tuple[str, str, str]] = []
    karpenter = cfg.compute.karpenter
    pools = karpenter.node_pools if karpenter is not None else []
    for node_class in karpenter.node_classes if karpenter is not None else []:
        archs = {a for p in pools if p.node_class == node_class.name for a in p.architectures}
        for arch in sorted(archs):
            rows.append((
                f"AMI {node_class.ami_alias} {arch} (node class {node_class.name})",
                f"published for Kubernetes {k8s}",
                ami_parameter(node_class.ami_alias, k8s, SSM_ARCH[arch]),
            ))
    for group in cfg.compute.node_groups:
        family = "al2023" if group.ami_type.startswith("al2023") else "bottlerocket"
        rows.append((
            f"AMI of node group {group.name} ({AMI_TYPES[group.ami_type]})",
            f"recommended release for Kubernetes {k8s}",
            ami_parameter(f"{family}@latest", k8s, ami_architecture(group.ami_type)),
        ))
    return rows


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def check_amis(run: Run, ctx: Context) -> None:
    """8. Every AMI the environment launches is published in the region: the pinned
    Karpenter aliases (al2023@vYYYYMMDD, bottlerocket@vX.Y.Z) for the cluster's Kubernetes
    version and each architecture their node pools allow, `@latest` aliases' recommended
    releases, and the managed node groups' AMI types, through the public SSM parameters."""
    rows = planned_amis(ctx.cfg)
    if not rows:
        run.skip("AMIs", "no Karpenter node classes or managed node groups")
        return
    names = sorted({parameter for _, _, parameter in rows})
    found: dict[str, str] = {}
    for batch in _batches(names, SSM_BATCH):
        answer = guard(partial(ctx.ssm.get_parameters, Names=list(batch)))
        found.update({str(p["Name"]): str(p["Value"]) for p in answer.get("Parameters") or []})
    for check, expected, parameter in rows:
        image = found.get(parameter)
        run.add(check, expected, image or f"not published: {parameter}", image is not None)


@dataclass(frozen=True)
class Quota:
    """One service quota the environment uses up, and how to count it."""

    title: str
    service: str
    code: str
    """The Service Quotas quota code."""
    default: float
    """The documented default, used when the Service Quotas API has no value."""
    planned: Callable[[Context], tuple[int, str]]
    """What the environment adds, with a note: 0 when nothing (more) is added."""
    in_use: Callable[[Context], int] | None = None
    """Current usage in the region; None for per-VPC and per-cluster quotas, whose VPC or
    cluster this environment creates (nothing is in use yet)."""


def _network_deployed(ctx: Context) -> bool:
    return ctx.stack_resources("network") is not None


def _vpcs_planned(ctx: Context) -> tuple[int, str]:
    return (0, "network stack deployed") if _network_deployed(ctx) else (1, "the VPC")


def _eips_planned(ctx: Context) -> tuple[int, str]:
    if _network_deployed(ctx):
        return 0, "network stack deployed"
    nat = ctx.cfg.network.nat_gateways
    count = 1 if nat == "single" else len(ctx.cfg.availability_zones)
    return count, f"one per NAT gateway ({nat})"


def _endpoints_planned(ctx: Context) -> tuple[int, str]:
    count = len(ctx.cfg.network.interface_endpoints)
    guardduty = ctx.cfg.security.guardduty
    if guardduty.mode != "off" and guardduty.agent == "managed":
        # GuardDuty's managed agent adds its own guardduty-data endpoint to the VPC.
        return count + 1, "network.interface_endpoints + GuardDuty's guardduty-data"
    return count, "network.interface_endpoints"


def _clusters_planned(ctx: Context) -> tuple[int, str]:
    if ctx.cfg.cluster.name in ctx.clusters:
        return 0, f"{ctx.cfg.cluster.name} exists"
    return 1, ctx.cfg.cluster.name


def _node_groups_planned(ctx: Context) -> tuple[int, str]:
    return len(ctx.cfg.compute.node_groups), "compute.node_groups"


def _fargate_profiles_planned(ctx: Context) -> tuple[int, str]:
    """Configured profiles plus the built-in CoreDNS and Karpenter ones."""
    fargate = ctx.cfg.compute.fargate
    if fargate is None:
        return 0, "compute.fargate"
    count = len(fargate.profiles) + int(fargate.coredns) + int(fargate.karpenter_controller)
    return count, "compute.fargate profiles (+ coredns, karpenter)"


def _vpcs_in_use(ctx: Context) -> int:
    """The account's own VPCs: DescribeVpcs also lists VPCs other accounts share with it
    through AWS RAM, which count towards their owners' quotas, not this one's."""
    filters = [{"Name": "owner-id", "Values": [ctx.account]}]
    return len(paginate(ctx.ec2, "describe_vpcs", "Vpcs", Filters=filters))


def _eips_in_use(ctx: Context) -> int:
    filters: Any = [{"Name": "domain", "Values": ["vpc"]}]
    return len(guard(partial(ctx.ec2.describe_addresses, Filters=filters))["Addresses"])


def _clusters_in_use(ctx: Context) -> int:
    return len(ctx.clusters)


#: The quotas an environment uses up, with their Service Quotas codes and documented
#: defaults (AWS General Reference, "service endpoints and quotas" of each service, and the
#: Service Quotas console / `aws service-quotas list-aws-default-service-quotas`):
#: - eks L-1194D53C Clusters (100), L-6D54EA21 Managed node groups per cluster (30),
#:   L-33415657 Fargate profiles per cluster (10):
#:   https://docs.aws.amazon.com/general/latest/gr/eks.html
#: - vpc L-F678F1CE VPCs per Region (5), L-29B6F2EB Interface VPC endpoints per VPC (50):
#:   https://docs.aws.amazon.com/general/latest/gr/vpc-service.html and
#:   https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html
#: - ec2 L-0263D0A3 EC2-VPC Elastic IPs (5):
#:   https://docs.aws.amazon.com/general/latest/gr/ec2-service.html
QUOTAS: tuple[Quota, ...] = (
    Quota("VPCs per Region", "vpc", "L-F678F1CE", 5, _vpcs_planned, _vpcs_in_use),
    Quota("Elastic IPs", "ec2", "L-0263D0A3", 5, _eips_planned, _eips_in_use),
    Quota("interface endpoints per VPC", "vpc", "L-29B6F2EB", 50, _endpoints_planned),
    Quota("EKS clusters per Region", "eks", "L-1194D53C", 100, _clusters_planned,
          _clusters_in_use),
    Quota("managed node groups per cluster", "eks", "L-6D54EA21", 30, _node_groups_planned),
    Quota("Fargate profiles per cluster", "eks", "L-33415657", 10, _fargate_profiles_planned),
)  # fmt: skip


def quota_value(ctx: Context, quota: Quota) -> tuple[float, str, list[str]]:
    """The quota's value, where it came from, and the permissions the role lacked on the
    way: the applied value (GetServiceQuota), else the AWS default
    (GetAWSDefaultServiceQuota), else the documented default. The API has no applied value
    for many quotas that were never raised, and a role may not read Service Quotas at all,
    hence the fallbacks."""
    calls: list[tuple[str, Callable[..., Any]]] = [
        ("applied", ctx.service_quotas.get_service_quota),
        ("AWS default", ctx.service_quotas.get_aws_default_service_quota),
    ]
    missing: list[str] = []
    for source, call in calls:
        try:
            answer = guard(partial(call, ServiceCode=quota.service, QuotaCode=quota.code))
        except ClientError as exc:
            if denied(exc):
                missing.append(missing_permission(exc))
            continue
        value = (answer.get("Quota") or {}).get("Value")
        if value is not None:
            return float(value), source, missing
    return quota.default, "documented default", missing


def check_quotas(run: Run, ctx: Context) -> None:
    """9. Each quota in QUOTAS has room for what the environment adds:
    in use + added <= quota. A quota the role may not read is compared with the next
    source (AWS default, documented default), and the row says which permission was
    missing; a count it may not read fails that row only."""
    for quota in QUOTAS:
        check = f"quota {quota.title}"
        try:
            planned, why = quota.planned(ctx)
            if planned == 0:
                run.skip(check, f"adds none ({why})")
                continue
            in_use = quota.in_use(ctx) if quota.in_use else 0
            limit, source, missing = quota_value(ctx, quota)
        except ClientError as exc:
            run.add(check, "its AWS calls succeed", failure(exc), False)
            continue
        lacking = f"; missing permission {', '.join(missing)}" if missing else ""
        expected = f"<= {limit:g} ({source}, {quota.service} {quota.code}{lacking})"
        actual = f"{in_use} in use + {planned} ({why}) = {in_use + planned}"
        run.add(check, expected, actual, in_use + planned <= limit)


@dataclass(frozen=True)
class Check:
    """One preflight check: a name for the docs and a function adding report rows."""

    name: str
    summary: str
    run: Callable[[Run, Context], None]


#: Every check, in report order.
CHECKS: tuple[Check, ...] = (
    Check("account", "the credentials are for the file's account", check_account),
    Check("zones", "the three availability zones exist and are available",
          check_availability_zones),
    Check("bootstrap", "the CDK bootstrap version is what the assembly requires", check_bootstrap),
    Check("addons", "every pinned add-on version exists for the Kubernetes version",
          check_addon_versions),
    Check("spot-role", "the EC2 Spot service-linked role matches the config", check_spot_role),
    Check("guardduty", "the GuardDuty mode matches the region's detector", check_guardduty),
    Check("principals", "every IAM principal named in the file exists", check_principals),
    Check("amis", "every AMI alias or release is published", check_amis),
    Check("quotas", "service quotas have room for what the environment adds", check_quotas),
)  # fmt: skip


def run_checks(ctx: Context, checks: Sequence[Check] = CHECKS) -> list[CheckResult]:
    """Run `checks` in order. An AWS error in one check becomes a FAIL row naming it (a
    missing permission names the IAM action), so the other checks still run; credentials
    AWS does not accept stop the run (CredentialError)."""
    run = Run()
    for check in checks:
        try:
            check.run(run, ctx)
        except ClientError as exc:
            run.add(f"{check.name} check", "its AWS calls succeed", failure(exc), False)
    return run.results


# --- Command line ------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = new_parser(
        PROG,
        "Check, with read-only AWS API calls, that the target account and region can take "
        "an environment, before its first cdk deploy.",
    )
    parser.add_argument(
        "--cdk-out",
        type=Path,
        default=Path("cdk.out"),
        help="the synthesised cloud assembly (default: ./cdk.out); the environment's is "
        "<cdk-out>/assembly-<env>",
    )
    return parser


def main(argv: Sequence[str] | None = None, *, session: boto3.Session | None = None) -> int:
    """Run the checks; return the exit code. `session` is for tests (default: a new one)."""
    args = _parser().parse_args(argv)
    hint = (
        f"run `bin/cdk synth -c config={args.config}` first"
        if args.config
        else f"run `make synth` (or `bin/cdk synth -c env={args.env}`) first"
    )

    def preflight(
        cfg: EnvironmentConfig, session: boto3.Session, identity: Mapping[str, Any]
    ) -> list[CheckResult]:
        return run_checks(Context(cfg, session, identity, args.cdk_out, hint))

    return run_command(PROG, args, preflight, session)


if __name__ == "__main__":
    sys.exit(main())
