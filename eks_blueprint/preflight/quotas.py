"""The service quotas an environment uses up, and the check that they have room."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..checkrun import ClientError, Run, denied, failure, guard, missing_permission, paginate
from ..config.capabilities import argocd_is_private
from .context import Context


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
    what = "network.interface_endpoints"
    guardduty = ctx.cfg.security.guardduty
    if guardduty.mode != "off" and guardduty.agent == "managed":
        # GuardDuty's managed agent adds its own guardduty-data endpoint to the VPC.
        count, what = count + 1, what + " + GuardDuty's guardduty-data"
    argocd = ctx.cfg.capabilities.argocd
    if argocd is not None and argocd_is_private(ctx.cfg) and not argocd.vpc_endpoint_ids:
        # A private Argo CD server gets an eks-capabilities endpoint in the cluster's VPC.
        count, what = count + 1, what + " + Argo CD's eks-capabilities"
    return count, what


def _clusters_planned(ctx: Context) -> tuple[int, str]:
    if ctx.cfg.cluster.name in ctx.clusters:
        return 0, f"{ctx.cfg.cluster.name} exists"
    return 1, ctx.cfg.cluster.name


def _node_groups_planned(ctx: Context) -> tuple[int, str]:
    return len(ctx.cfg.compute.node_groups), "compute.node_groups"


def _fargate_profiles_planned(ctx: Context) -> tuple[int, str]:
    """Configured profiles plus the built-in CoreDNS and Karpenter ones, and one
    `tenant-<name>` per tenant with `isolation: fargate`."""
    fargate = ctx.cfg.compute.fargate
    tenants = sum(1 for t in ctx.cfg.tenants if t.isolation == "fargate")
    if fargate is None:
        return tenants, "tenants with isolation fargate"
    count = len(fargate.profiles) + int(fargate.coredns) + int(fargate.karpenter_controller)
    return count + tenants, (
        "compute.fargate profiles (+ coredns, karpenter) + tenants with isolation fargate"
    )


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
