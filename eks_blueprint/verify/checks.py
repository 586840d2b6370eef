"""The checks verify runs, as a table: CHECKS.

Each Check names the IAM actions its reads need and a judge, `(facts, expectations) ->
rows`, that yields report rows. Adding a check means writing its judge (and, when it reads
something new, a Facts method) and adding one row to CHECKS; run_checks does the rest:

* the checks run in table order; those that need the cluster (all but the first) are left
  out when DescribeCluster did not answer, whose row already says why;
* a read the role may not make, that a judge does not turn into a row itself, fails the
  row `<title> check`, naming the missing permission, and the next check runs; the rows the
  judge yielded before stay;
* any other AWS error stops the run (exit code 2, one line, in checkrun.run_command).

The judgements on the cluster itself (log types, secrets encryption, endpoint access) are
the predicates of eks_blueprint.template.ClusterFacts, the ones the nag rules and the review
apply to synthesised templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..baseline import AUTHENTICATION_MODE, CONTROL_PLANE_LOG_TYPES, NODE_GROUP_LABEL
from ..checkrun import CheckResult, ClientError, denied, error_code, failure, not_found
from ..checkrun import row as _row
from ..checkrun import skip_row as _skip
from .expectations import AccessExpectation, Expectations
from .facts import Clients, Facts, group_name

#: IPs each control-plane subnet must keep free: EKS places new ENIs there on upgrades.
CONTROL_PLANE_FREE_IPS = 5

Rows = Iterator[CheckResult]
T = TypeVar("T")
Judge = Callable[[Facts, Expectations], Rows]


@dataclass(frozen=True)
class Check:
    """One row of CHECKS."""

    id: str
    """Stable and unique: what tests and docs refer to."""
    title: str
    """What is checked, as the report names it (`<title> check` when a read is refused)."""
    calls: tuple[str, ...]
    """The IAM actions of the reads the judge makes (DescribeCluster, which every check
    after the first needs, is listed by the first only)."""
    judge: Judge
    needs_cluster: bool = True
    """Left out when DescribeCluster did not answer."""


def _norm(value: Any) -> str:
    """`bottlerocket_arm64` == `BOTTLEROCKET_ARM_64`, `on-demand` == `ON_DEMAND`."""
    return re.sub(r"[^a-z0-9]", "", str(value).lower())


def _failed(exc: ClientError) -> str:
    """A failed read in a row: `missing permission <action>` when the role lacks it, else
    `error: <code>`."""
    return failure(exc) if denied(exc) else f"error: {error_code(exc)}"


def _nothing_to_check(title: str, items: tuple[Any, ...] | None, field: str) -> Rows:
    """A SKIP row (never a PASS) when there is nothing to compare."""
    if items is None:
        yield _skip(title, "not checked")
    elif not items:
        yield _skip(title, f"{field}: none in the config")


def _listed(title: str, items: tuple[Any, ...] | None, field: str,
            read: Callable[[], T]) -> Generator[CheckResult, None, T | None]:
    """What `read` lists, to judge the configured `items` against; None, after a SKIP row
    (nothing configured) or a failed `<title> listed` row (the read failed), when there is
    nothing to judge."""
    yield from _nothing_to_check(title, items, field)
    if not items:
        return None
    try:
        return read()
    except ClientError as exc:
        yield _row(title, "listed", _failed(exc), False)
        return None


# --- Judges -------------------------------------------------------------------------------


def judge_cluster(facts: Facts, exp: Expectations) -> Rows:
    """The cluster exists, is ACTIVE at the configured version, and has the baseline: all
    control-plane log types, secrets encrypted with KMS, the configured endpoint access and
    CIDRs, authentication mode API."""
    try:
        cluster = facts.cluster()
    except ClientError as exc:
        actual = "not found" if not_found(exc) else _failed(exc)
        yield _row("cluster exists", exp.cluster_name, actual, False)
        return
    live = facts.cluster_facts()
    yield _row("cluster exists", exp.cluster_name, cluster.get("arn", exp.cluster_name), True)
    status, version = cluster.get("status"), cluster.get("version")
    yield _row("cluster status", "ACTIVE", status, status == "ACTIVE")
    yield _row("cluster version", exp.version, version, version == exp.version)
    yield _row(
        "control-plane log types",
        CONTROL_PLANE_LOG_TYPES,
        sorted(live.log_types) or "(none)",
        not live.missing_log_types(),
    )
    yield _row(
        "secrets encrypted with KMS",
        "a KMS key",
        live.secrets_key or "(none)",
        live.secrets_encrypted() is True,
    )
    private, public = live.endpoint_private is True, live.public_endpoint_on is True
    yield _row(
        "endpoint private access", exp.endpoint_private, private, private == exp.endpoint_private
    )
    yield _row("endpoint public access", exp.endpoint_public, public, public == exp.endpoint_public)
    if exp.endpoint_public:
        cidrs, wanted = sorted(live.public_cidrs or ()), sorted(exp.public_cidrs)
        yield _row("endpoint public CIDRs", wanted, cidrs, cidrs == wanted)
    mode = live.authentication_mode or "(not reported)"
    yield _row("authentication mode", AUTHENTICATION_MODE, mode, mode == AUTHENTICATION_MODE)


def judge_node_groups(facts: Facts, exp: Expectations) -> Rows:
    """Each configured node group (found by its NODE_GROUP_LABEL) is ACTIVE with its AMI
    type, capacity type and scaling bounds, and its launch template requires IMDSv2."""
    deployed = yield from _listed("node groups", exp.node_groups, "compute.node_groups",
                                  facts.node_groups)
    if deployed is None or not exp.node_groups:
        return
    for ng in exp.node_groups:
        label = f"node group {ng.name}"
        group = deployed.get(ng.name)
        if group is None:
            yield _row(f"{label} exists", f"label {NODE_GROUP_LABEL}={ng.name}", "not found", False)
            continue
        status = group.get("status")
        yield _row(f"{label} status", "ACTIVE", status, status == "ACTIVE")
        if ng.ami_type is not None:
            ami = group.get("amiType")
            yield _row(f"{label} AMI type", ng.ami_type, ami, _norm(ami) == _norm(ng.ami_type))
        if ng.capacity_type is not None:
            capacity = group.get("capacityType")
            yield _row(
                f"{label} capacity type",
                ng.capacity_type,
                capacity,
                _norm(capacity) == _norm(ng.capacity_type),
            )
        scaling = group.get("scalingConfig") or {}
        bounds = (scaling.get("minSize"), scaling.get("maxSize"))
        yield _row(
            f"{label} min..max",
            f"{ng.min_size}..{ng.max_size}",
            f"{bounds[0]}..{bounds[1]}",
            bounds == (ng.min_size, ng.max_size),
        )
        yield _imdsv2(facts, label, group)


def _imdsv2(facts: Facts, label: str, group: dict[str, Any]) -> CheckResult:
    """HttpTokens=required in the node group's launch template version."""
    template = group.get("launchTemplate") or {}
    check = f"{label} IMDSv2 required"
    if not template.get("id") and not template.get("name"):
        return _row(check, "HttpTokens=required", "no launch template", False)
    try:
        data = facts.launch_template_data(template)
    except ClientError as exc:
        return _row(check, "HttpTokens=required", _failed(exc), False)
    tokens = (data.get("MetadataOptions") or {}).get("HttpTokens") or "optional (default)"
    return _row(check, "HttpTokens=required", f"HttpTokens={tokens}", tokens == "required")


def judge_fargate_profiles(facts: Facts, exp: Expectations) -> Rows:
    """Every configured Fargate profile is ACTIVE, found by its selectors."""
    live = yield from _listed("Fargate profiles", exp.fargate_profiles, "compute.fargate",
                              facts.fargate_profiles)
    if live is None or not exp.fargate_profiles:
        return
    for expected in exp.fargate_profiles:
        wanted = ", ".join(
            ns + (f"[{','.join(f'{k}={v}' for k, v in labels)}]" if labels else "")
            for ns, labels in expected.selectors
        )
        found = live.get(expected.selectors)
        actual = "not found" if found is None else str(found.get("status"))
        yield _row(
            f"Fargate profile {expected.name}",
            f"ACTIVE, selectors {wanted}",
            actual,
            found is not None and found.get("status") == "ACTIVE",
        )


def judge_access(facts: Facts, exp: Expectations) -> Rows:
    """Each configured principal has an access entry with its access policy and scope."""
    entries = yield from _listed("access entries", exp.access, "access (with cluster.admins)",
                                 facts.access_entries)
    if entries is None or not exp.access:
        return
    for want in exp.access:
        check = f"access entry {want.principal}"
        if want.principal not in entries:
            yield _row(check, want.describe(), "no access entry", False)
            continue
        if want.policy is None:
            yield _row(check, want.describe(), "an entry", True)
            continue
        try:
            associated = facts.associated_policies(want.principal)
        except ClientError as exc:
            yield _row(check, want.describe(), _failed(exc), False)
            continue
        found = [
            AccessExpectation(
                want.principal,
                str(a.get("policyArn", "")).rsplit("/", 1)[-1],
                tuple(sorted((a.get("accessScope") or {}).get("namespaces") or [])),
            )
            for a in associated
        ]
        actual = "; ".join(f.describe() for f in found) or "no access policy"
        yield _row(check, want.describe(), actual, want in found)


def judge_addons(facts: Facts, exp: Expectations) -> Rows:
    """Each managed add-on is ACTIVE at its pinned version (any version when unpinned)."""
    if exp.addons is None:
        yield _skip("add-ons", "not checked")
        return
    for name, version in sorted(exp.addons.items()):
        expected = f"{version or 'any version'} ACTIVE"
        try:
            addon = facts.addon(name)
        except ClientError as exc:
            actual = "not installed" if not_found(exc) else _failed(exc)
            yield _row(f"add-on {name}", expected, actual, False)
            continue
        ok = version in (None, addon.get("addonVersion")) and addon.get("status") == "ACTIVE"
        yield _row(
            f"add-on {name}", expected, f"{addon.get('addonVersion')} {addon.get('status')}", ok
        )


def _feature(features: list[Any], name: str) -> dict[str, Any] | None:
    return next((f for f in features if f.get("Name") == name), None)


def judge_guardduty(facts: Facts, exp: Expectations) -> Rows:
    """A GuardDuty detector with EKS audit-log monitoring and EKS runtime monitoring whose
    agent GuardDuty manages (EKS_ADDON_MANAGEMENT)."""
    if exp.guardduty is None:
        yield _skip("GuardDuty", "not checked")
        return
    if exp.guardduty == "off":
        yield _skip("GuardDuty", "security.guardduty is off")
        return
    detector = facts.guardduty_detector()
    if detector is None:
        yield _row("GuardDuty detector", "exists", "none in this region", False)
        return
    status = detector.get("Status")
    yield _row("GuardDuty detector", "ENABLED", status, status == "ENABLED")
    features: list[Any] = list(detector.get("Features") or [])
    audit = _feature(features, "EKS_AUDIT_LOGS") or {}
    yield _row(
        "GuardDuty EKS audit logs",
        "ENABLED",
        audit.get("Status", "(absent)"),
        audit.get("Status") == "ENABLED",
    )
    # Newer accounts have RUNTIME_MONITORING with an EKS_ADDON_MANAGEMENT sub-feature;
    # older ones EKS_RUNTIME_MONITORING (whose EKS_ADDON_MANAGEMENT is also a sub-feature).
    runtime = _feature(features, "RUNTIME_MONITORING") or _feature(
        features, "EKS_RUNTIME_MONITORING"
    )
    check, expected = "GuardDuty EKS runtime monitoring", "ENABLED + EKS_ADDON_MANAGEMENT"
    if runtime is None:
        yield _row(check, expected, "(absent)", False)
        return
    addon = _feature(runtime.get("AdditionalConfiguration") or [], "EKS_ADDON_MANAGEMENT") or {}
    actual = (
        f"{runtime.get('Name')} {runtime.get('Status')}, "
        f"EKS_ADDON_MANAGEMENT {addon.get('Status', '(absent)')}"
    )
    ok = runtime.get("Status") == "ENABLED" and addon.get("Status") == "ENABLED"
    yield _row(check, expected, actual, ok)


def planned_ips_per_node(instance_type: dict[str, Any]) -> int:
    """IPs one node can take from its subnet with the VPC CNI (no prefix delegation):
    every ENI it can attach, filled with every address the ENI can hold. This is also the
    ceiling of the CNI's max-pods formula, ENIs x (IPs per ENI - 1) + 2, plus the primaries."""
    network = instance_type.get("NetworkInfo") or {}
    return int(network.get("MaximumNetworkInterfaces", 0)) * int(
        network.get("Ipv4AddressesPerInterface", 0)
    )


def _found_node_groups(facts: Facts, exp: Expectations) -> list[dict[str, Any]]:
    """The configured node groups that are deployed (none when they cannot be listed)."""
    if not exp.node_groups:
        return []
    try:
        deployed = facts.node_groups()
    except ClientError:
        return []
    return [deployed[ng.name] for ng in exp.node_groups if ng.name in deployed]


def judge_subnets(facts: Facts, exp: Expectations) -> Rows:
    """Free IPs: >= 5 in each control-plane subnet, and enough in the node subnets for
    every node group at max_size with every ENI filled:

        planned = sum over node groups of max_size x max(ENIs x IPv4 per ENI) of its types
    """
    cluster = facts.cluster()
    node_groups = _found_node_groups(facts, exp)
    cp_subnets = list((cluster.get("resourcesVpcConfig") or {}).get("subnetIds") or [])
    node_subnets = sorted({s for g in node_groups for s in g.get("subnets") or []})
    all_ids = sorted(set(cp_subnets) | set(node_subnets))
    if not all_ids:
        yield _row("subnets", "cluster subnets", "(none reported)", False)
        return
    free = facts.free_ips(all_ids)
    for subnet_id in cp_subnets:
        count = free.get(subnet_id, 0)
        yield _row(
            f"free IPs in control-plane subnet {subnet_id}",
            f">= {CONTROL_PLANE_FREE_IPS}",
            count,
            count >= CONTROL_PLANE_FREE_IPS,
        )
    if not exp.node_groups:
        yield _skip("free IPs for planned capacity", "no node groups to plan for")
        return
    types = sorted(
        {t for ng in exp.node_groups for t in ng.instance_types}
        | {t for g in node_groups for t in g.get("instanceTypes") or []}
    )
    per_type = (
        {name: planned_ips_per_node(t) for name, t in facts.instance_types(types).items()}
        if types
        else {}
    )
    live = {group_name(g): g for g in node_groups}
    planned = 0
    for ng in exp.node_groups:
        group_types = ng.instance_types or tuple(
            (live.get(ng.name) or {}).get("instanceTypes") or ()
        )
        per_node = max((per_type.get(t, 0) for t in group_types), default=0)
        planned += (ng.max_size or 0) * per_node
    pool = sum(free.get(s, 0) for s in (node_subnets or cp_subnets))
    yield _row("free IPs for planned capacity", f">= {planned}", pool, pool >= planned)


# --- The table ----------------------------------------------------------------------------

#: Every check, in report order.
CHECKS: tuple[Check, ...] = (
    Check("cluster", "cluster", ("eks:DescribeCluster",), judge_cluster, needs_cluster=False),
    Check("node-groups", "node groups",
          ("eks:ListNodegroups", "eks:DescribeNodegroup", "ec2:DescribeLaunchTemplateVersions"),
          judge_node_groups),
    Check("fargate-profiles", "Fargate profiles",
          ("eks:ListFargateProfiles", "eks:DescribeFargateProfile"), judge_fargate_profiles),
    Check("access-entries", "access entries",
          ("eks:ListAccessEntries", "eks:ListAssociatedAccessPolicies"), judge_access),
    Check("addons", "add-ons", ("eks:DescribeAddon",), judge_addons),
    Check("guardduty", "GuardDuty", ("guardduty:ListDetectors", "guardduty:GetDetector"),
          judge_guardduty),
    Check("subnets", "subnets",
          ("eks:ListNodegroups", "eks:DescribeNodegroup", "ec2:DescribeSubnets",
           "ec2:DescribeInstanceTypes"),
          judge_subnets),
)  # fmt: skip


def run_checks(
    exp: Expectations, clients: Clients, checks: Sequence[Check] = CHECKS
) -> list[CheckResult]:
    """The rows of `checks`, in order (see the module docstring for what stops what)."""
    facts = Facts(clients, exp.cluster_name)
    results: list[CheckResult] = []
    for check in checks:
        if check.needs_cluster and not facts.described():
            continue
        try:
            for result in check.judge(facts, exp):
                results.append(result)
        except ClientError as exc:
            if not denied(exc):
                raise
            refused = failure(exc)
            results.append(_row(f"{check.title} check", "its AWS calls succeed", refused, False))
    return results
