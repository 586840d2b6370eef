"""The preflight checks, as a table: CHECKS, run in order by run_checks.

Each check is one small function adding rows to the report; the AMI and quota checks
live in their own modules (amis, quotas).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..checkrun import (
    CheckResult,
    ClientError,
    Run,
    denied,
    error_code,
    failure,
    guard,
    missing_permission,
    naming_actions,
    not_found,
    paginate,
)
from ..config import EnvironmentConfig
from ..verify.expectations import expectations_from_config
from .amis import check_amis
from .assembly import BOOTSTRAP_VERSION_PARAMETER, AssemblyError
from .context import Context
from .identity_center import check_identity_center
from .quotas import check_quotas

#: The stack `cdk bootstrap` creates (its default --toolkit-stack-name).
TOOLKIT_STACK = "CDKToolkit"
#: The EC2 Spot service-linked role: one per account, created on first Spot request or by
#: AWS::IAM::ServiceLinkedRole (which fails when the role already exists).
SPOT_ROLE = "AWSServiceRoleForEC2Spot"
PRINCIPAL_ARN = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)$")


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


#: The fix for an account without Amazon Inspector EC2 scanning (AWS CLI, inspector2 enable).
INSPECTOR_ENABLE = "aws inspector2 enable --resource-types EC2"


def check_inspector(run: Run, ctx: Context) -> None:
    """10. Amazon Inspector scans EC2 instances in the account, when the environment has
    self-managed node groups: their AMIs are the owner's to patch (custom or pinned), and
    Inspector's EC2 scanning is what finds their vulnerabilities. inspector2
    BatchGetAccountStatus for the account: its `resourceState.ec2.status` must be ENABLED
    (ENABLING is not yet scanning); an account Inspector never saw, or one it reports
    under failedAccounts, fails with its reason. Without self-managed groups: SKIP."""
    check = "Inspector EC2 scanning"
    if not ctx.cfg.compute.self_managed_node_groups:
        run.skip(check, "no compute.self_managed_node_groups")
        return
    client = naming_actions(ctx.session.client("inspector2"))
    answer = guard(partial(client.batch_get_account_status, accountIds=[ctx.account]))
    expected = "ENABLED (self-managed node groups)"
    for failed in answer.get("failedAccounts") or []:
        if failed.get("accountId") == ctx.account:
            reason = failed.get("errorMessage") or failed.get("errorCode") or "unknown"
            run.add(check, expected, f"not readable: {reason}; {INSPECTOR_ENABLE}", False)
            return
    for account in answer.get("accounts") or []:
        if account.get("accountId") != ctx.account:
            continue
        status = str(((account.get("resourceState") or {}).get("ec2") or {}).get("status", "?"))
        ok = status == "ENABLED"
        run.add(check, expected, status if ok else f"{status}: run {INSPECTOR_ENABLE}", ok)
        return
    run.add(check, expected, f"Inspector is not enabled: run {INSPECTOR_ENABLE}", False)


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
    Check("inspector", "Amazon Inspector scans EC2 when there are self-managed nodes",
          check_inspector),
    Check("identity-center", "Argo CD's IAM Identity Center instance exists",
          check_identity_center),
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
