"""Deployability rule on EC2 security groups (EKSDEP11): inbound and outbound rules within
the account's quota, IPv4 and IPv6 counted separately."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...template import ResourceRef, TemplateView, as_int, as_list
from ..catalog import DEPLOYABILITY
from ..common import assembly_views
from ..model import Level as L
from ..model import Verdict
from ..quotas import DEFAULT_QUOTAS, Quotas
from .common import points_at


def _rule_weight(view: TemplateView, rule: Mapping[str, Any], notes: list[str]) -> tuple[int, int]:
    """How many IPv4 and IPv6 rules one security group rule counts as. A rule naming another
    security group counts for both; a prefix list counts its maximum entries."""
    if rule.get("CidrIp") is not None:
        return 1, 0
    if rule.get("CidrIpv6") is not None:
        return 0, 1
    prefix_list = rule.get("SourcePrefixListId", rule.get("DestinationPrefixListId"))
    if prefix_list is not None:
        found = view.deref(prefix_list)
        if isinstance(found, ResourceRef) and found.type == "AWS::EC2::PrefixList":
            entries = as_int(found.properties.get("MaxEntries")) or 1
            family = view.render(found.properties.get("AddressFamily"))
            return (entries, 0) if family == "IPv4" else (0, entries) if family == "IPv6" \
                else (entries, entries)
        notes.append("a prefix list outside the template counted as 1 rule")
        return 1, 1
    return 1, 1  # SourceSecurityGroupId / DestinationSecurityGroupId / group names


@DEPLOYABILITY.rule(
    "EKSDEP11", L.ERROR, "AWS::EC2::SecurityGroup",
    "A security group has more inbound or outbound rules than the quota allows.",
    "Amazon VPC refuses more than 60 inbound or 60 outbound rules per security group "
    "by default (IPv4 and IPv6 counted separately). Fix: use prefix lists or fewer "
    "peers, or raise the quota and pass it (--quota security-group-inbound-rules=N).",
    quotas=True)
def security_group_rules(res: ResourceRef, quotas: Quotas = DEFAULT_QUOTAS) -> Verdict:
    """EKSDEP11: a security group has at most the quota of inbound and of outbound rules
    (inline, plus ``AWS::EC2::SecurityGroupIngress/Egress`` resources naming it, in any stack
    checked with it), counted separately for IPv4 and IPv6."""
    notes: list[str] = []
    problems: list[str] = []
    for direction, inline, standalone, limit in (
            ("inbound", "SecurityGroupIngress", "AWS::EC2::SecurityGroupIngress",
             quotas.security_group_inbound_rules),
            ("outbound", "SecurityGroupEgress", "AWS::EC2::SecurityGroupEgress",
             quotas.security_group_outbound_rules)):
        rules = res.properties.get(inline)
        if rules is not None and not isinstance(rules, list):
            return Verdict.unresolved(f"{inline} is computed at deploy time")
        weights = [_rule_weight(res.view, r, notes) for r in as_list(rules)
                   if isinstance(r, Mapping)]
        for view in assembly_views(res.view):
            for rule in view.of_type(standalone):
                if points_at(view, rule.properties.get("GroupId"), res, set()):
                    weights.append(_rule_weight(view, rule.properties, notes))
        ipv4, ipv6 = sum(w[0] for w in weights), sum(w[1] for w in weights)
        for family, count in (("IPv4", ipv4), ("IPv6", ipv6)):
            if count > limit:
                problems.append(f"{count} {direction} {family} rules, over the quota of {limit} "
                                f"(adjustable: pass --quota security-group-{direction}-rules=N "
                                "once raised)")
    if problems:
        extra = f" ({'; '.join(sorted(set(notes)))})" if notes else ""
        return Verdict.fail("; ".join(problems) + extra)
    return Verdict.ok()
