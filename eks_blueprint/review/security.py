"""Security-relevant changes: IAM widening, open ingress, cluster endpoint/logging/encryption/
deletion protection, and opt-outs from the node and registry defaults (IMDSv2, volume
encryption, SSH, mutable tags, scan on push).

Each check compares one resource before and after (before is None for a new resource) and
returns (message, flagged) pairs; flagged means the change widens access or weakens a
protection and deserves a reviewer's explicit look. Values are compared after rendering
intrinsics to text, so a `Fn::Join` ARN ending in `/*` counts as a wildcard like a plain
string would. Quiet weakenings of other types (log retention, key rotation, encryption of
queues, topics, buckets and registries, DeletionPolicy, Spot), of the stack (termination
protection) and of Kubernetes objects (Pod Security levels, NetworkPolicies, Karpenter
NodePools, matched across the whole stack) are :mod:`eks_blueprint.review.weakening`'s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..template import OPEN_CIDRS, ClusterFacts, as_bool
from .values import render, shorten

Check = Callable[[dict[str, Any] | None, dict[str, Any]], list[tuple[str, bool]]]
_MAX_LISTED = 8


def security_findings(
    resource_type: str, before: dict[str, Any] | None, after: dict[str, Any]
) -> list[tuple[str, bool]]:
    """What changes about access and protection when `before` becomes `after`."""
    check = _CHECKS.get(resource_type)
    return check(before, after) if check else []


def _props(resource: dict[str, Any] | None) -> dict[str, Any]:
    return (resource or {}).get("Properties") or {}


def _listed(items: Iterable[str]) -> str:
    items = sorted(items)
    shown = ", ".join(f"`{shorten(i, 60)}`" for i in items[:_MAX_LISTED])
    return shown + (f" and {len(items) - _MAX_LISTED} more" if len(items) > _MAX_LISTED else "")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class _PolicyFacts:
    """What a set of policy documents allows, flattened for set comparison."""

    actions: set[str] = field(default_factory=set)
    resources: set[str] = field(default_factory=set)
    principals: set[str] = field(default_factory=set)
    conditions: set[str] = field(default_factory=set)
    negations: set[str] = field(default_factory=set)

    def add(self, document: Any) -> None:
        if not isinstance(document, dict):
            return
        for statement in _as_list(document.get("Statement")):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            self.actions.update(render(a) for a in _as_list(statement.get("Action")))
            self.resources.update(render(r) for r in _as_list(statement.get("Resource")))
            for key in ("NotAction", "NotResource", "NotPrincipal"):
                if key in statement:
                    self.negations.add(f"{key} {render(statement[key])}")
            principal = statement.get("Principal")
            if principal == "*" or principal == {"AWS": "*"}:
                self.principals.add("*")
            elif isinstance(principal, dict):
                for kind, values in principal.items():
                    self.principals.update(f"{kind}:{render(v)}" for v in _as_list(values))
            for operator, entries in (statement.get("Condition") or {}).items():
                if isinstance(entries, dict):
                    for key, value in entries.items():
                        self.conditions.add(f"{operator} {key} = {render(value)}")


def _facts(documents: Iterable[Any]) -> _PolicyFacts:
    facts = _PolicyFacts()
    for document in documents:
        facts.add(document)
    return facts


def _permission_findings(old: _PolicyFacts, new: _PolicyFacts) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    wild_actions = {a for a in new.actions - old.actions if "*" in a}
    wild_resources = {r for r in new.resources - old.resources if "*" in r}
    if wild_actions:
        out.append((f"new wildcard actions {_listed(wild_actions)}", True))
    if wild_resources:
        out.append((f"new wildcard resources {_listed(wild_resources)}", True))
    plain = new.actions - old.actions - wild_actions
    if plain:
        out.append((f"new actions {_listed(plain)}", False))
    if new.negations - old.negations:
        out.append((f"new Allow with {_listed(new.negations - old.negations)}", True))
    if old.conditions - new.conditions:
        out.append((f"conditions removed: {_listed(old.conditions - new.conditions)}", True))
    return out


def _trust_findings(old: _PolicyFacts, new: _PolicyFacts, is_new: bool) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    principals = new.principals - old.principals
    if "*" in principals:
        out.append(("trust policy lets ANY principal (`*`) assume the role", True))
        principals.discard("*")
    if principals:
        verb = "trusted principals" if is_new else "trust policy widened: new principals"
        # A new role trusting an AWS service is ordinary; a new account or role is not.
        flagged = not is_new or any(not p.startswith("Service:") for p in principals)
        out.append((f"{verb} {_listed(principals)}", flagged))
    if old.conditions - new.conditions:
        out.append(
            (f"trust policy conditions removed: {_listed(old.conditions - new.conditions)}", True)
        )
    return out


def _role(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, bool]]:
    old, new = _props(before), _props(after)

    def inline(props: dict[str, Any]) -> list[Any]:
        return [
            p.get("PolicyDocument") for p in _as_list(props.get("Policies")) if isinstance(p, dict)
        ]

    out = _trust_findings(
        _facts([old.get("AssumeRolePolicyDocument")]),
        _facts([new.get("AssumeRolePolicyDocument")]),
        is_new=before is None,
    )
    out += _permission_findings(_facts(inline(old)), _facts(inline(new)))
    managed = {render(a) for a in _as_list(new.get("ManagedPolicyArns"))} - {
        render(a) for a in _as_list(old.get("ManagedPolicyArns"))
    }
    if managed:
        admin = any(
            m.endswith((":policy/AdministratorAccess", ":policy/PowerUserAccess")) for m in managed
        )
        out.append((f"managed policies attached {_listed(managed)}", admin))
    return out


def _policy(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, bool]]:
    old, new = _props(before), _props(after)
    return _permission_findings(
        _facts([old.get("PolicyDocument")]), _facts([new.get("PolicyDocument")])
    )


def _open_rules(rules: Iterable[Any]) -> set[str]:
    found: set[str] = set()
    for rule in rules:
        if not isinstance(rule, dict):
            continue
        cidr = rule.get("CidrIp") or rule.get("CidrIpv6")
        if cidr in OPEN_CIDRS:
            protocol = str(rule.get("IpProtocol", "?"))
            ports = (
                "all ports"
                if protocol == "-1"
                else f"{protocol} {rule.get('FromPort', '?')}-{rule.get('ToPort', '?')}"
            )
            found.add(f"{cidr} on {ports}")
    return found


def _security_group(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, bool]]:
    new = _open_rules(_as_list(_props(after).get("SecurityGroupIngress")))
    new -= _open_rules(_as_list(_props(before).get("SecurityGroupIngress")))
    return [(f"new ingress from the internet: {_listed(new)}", True)] if new else []


def _ingress(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, bool]]:
    new = _open_rules([_props(after)]) - _open_rules([_props(before)] if before else [])
    return [(f"new ingress from the internet: {_listed(new)}", True)] if new else []


def _cluster_settings(props: dict[str, Any]) -> tuple[ClusterFacts, dict[str, Any]]:
    """The cluster's facts (the predicates nag and verify apply too) and the settings the
    review compares, values in their readable form. A deploy-time endpoint switch counts as
    public: the review flags what it cannot rule out."""
    facts = ClusterFacts.from_template(props, render)
    public = facts.public_endpoint_on is not False
    raw_cidrs = (props.get("ResourcesVpcConfig") or {}).get("PublicAccessCidrs")
    cidrs = (
        {render(raw_cidrs)}
        if facts.is_computed("ResourcesVpcConfig.PublicAccessCidrs")
        else set(facts.effective_public_cidrs())
    )
    return facts, {
        "public": public,
        "private": facts.endpoint_private is True,
        "cidrs": cidrs if public else set(),
        "log_types": set(facts.log_types),
        "encryption": json.dumps(props.get("EncryptionConfig"), sort_keys=True)
        if props.get("EncryptionConfig")
        else None,
        "auth_mode": facts.effective_authentication_mode() or "(computed)",
        "deletion_protection": facts.deletion_protected() is not False,
    }


def _cluster(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, bool]]:
    facts, new = _cluster_settings(_props(after))
    out: list[tuple[str, bool]] = []
    if before is None:
        if new["public"]:
            opened = bool(facts.public_endpoint_open())
            out.append((f"public API endpoint open to {_listed(new['cidrs'])}", opened))
        missing = facts.missing_log_types()
        if missing:
            out.append((f"control-plane log types off: {_listed(missing)}", True))
        if facts.secrets_encrypted() is False:
            out.append(("Kubernetes secrets are not envelope-encrypted with KMS", True))
        return out
    old_facts, old = _cluster_settings(_props(before))
    if new["public"] and not old["public"]:
        out.append((f"public API endpoint turned ON, open to {_listed(new['cidrs'])}", True))
    elif old["public"] and not new["public"]:
        out.append(("public API endpoint turned off", False))
    elif new["cidrs"] != old["cidrs"]:
        added, removed = new["cidrs"] - old["cidrs"], old["cidrs"] - new["cidrs"]
        if added:
            out.append((f"public endpoint CIDRs added {_listed(added)}", True))
        if removed:
            out.append((f"public endpoint CIDRs removed {_listed(removed)}", False))
    if old["private"] != new["private"]:
        out.append(
            (f"private endpoint access {old['private']} -> {new['private']}", not new["private"])
        )
    turned_off, turned_on = old["log_types"] - new["log_types"], new["log_types"] - old["log_types"]
    if turned_off:
        still_on = _listed(new["log_types"]) if new["log_types"] else "none"
        out.append(
            (
                f"control-plane log types turned off: {_listed(turned_off)} (still on: {still_on})",
                True,
            )
        )
    if turned_on:
        out.append((f"control-plane log types turned on: {_listed(turned_on)}", False))
    if old["encryption"] != new["encryption"]:
        if old_facts.secrets_encrypted() and facts.secrets_encrypted() is False:
            out.append(
                (
                    f"secrets encryption removed (EncryptionConfig with KMS key "
                    f"`{shorten(old_facts.secrets_key or '?', 60)}` → "
                    f"{'none' if new['encryption'] is None else 'no `secrets` resource'})",
                    True,
                )
            )
        elif new["encryption"] is None:
            out.append(("secrets encryption removed", True))
        else:
            out.append(("secrets encryption key/config changed (replaces the cluster)", False))
    if old["auth_mode"] != new["auth_mode"]:
        out.append(
            (
                f"authentication mode {old['auth_mode']} -> {new['auth_mode']}",
                new["auth_mode"] != "API",
            )
        )
    if old["deletion_protection"] and not new["deletion_protection"]:
        # DeletionProtection true -> false (or removed: off by default).
        out.append(("deletion protection turned off", True))
    return out


def _access_entry(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, bool]]:
    def policies(props: dict[str, Any]) -> set[str]:
        return {
            render(p.get("PolicyArn")).rsplit("/", 1)[-1]
            for p in _as_list(props.get("AccessPolicies"))
            if isinstance(p, dict)
        }

    new = policies(_props(after)) - policies(_props(before))
    if not new:
        return []
    principal = render(_props(after).get("PrincipalArn"))
    admin = any("Admin" in p for p in new)
    return [(f"cluster access for `{shorten(principal, 70)}`: {_listed(new)}", admin)]


def _launch_template_settings(props: dict[str, Any]) -> dict[str, Any]:
    data = props.get("LaunchTemplateData") or {}
    metadata = data.get("MetadataOptions") or {}
    return {
        "tokens": metadata.get("HttpTokens", "optional"),
        "hops": metadata.get("HttpPutResponseHopLimit"),
        "unencrypted": sorted(
            render(m.get("DeviceName"))
            for m in _as_list(data.get("BlockDeviceMappings"))
            if isinstance(m, dict) and isinstance(m.get("Ebs"), dict) and _unencrypted(m["Ebs"])
        ),
    }


def _unencrypted(ebs: dict[str, Any]) -> bool:
    """An EBS mapping whose `Encrypted` is false (`false` or `"false"`) or not set (the AMI's
    snapshot and the account's encryption-by-default decide, which the template does not
    show). A deploy-time value is not counted: it cannot be judged offline."""
    value = ebs.get("Encrypted")
    return value is None or as_bool(value) is False


def _launch_template(
    before: dict[str, Any] | None, after: dict[str, Any]
) -> list[tuple[str, bool]]:
    """IMDSv2 and volume encryption on nodes: weakening either is an opt-out to look at."""
    new = _launch_template_settings(_props(after))
    old = _launch_template_settings(_props(before)) if before else None
    out: list[tuple[str, bool]] = []
    if new["tokens"] != "required" and (old is None or old["tokens"] == "required"):
        out.append((f"IMDSv2 not required on nodes (HttpTokens {new['tokens']})", True))
    hops = new["hops"] if isinstance(new["hops"], int) else None
    old_hops = old["hops"] if old and isinstance(old["hops"], int) else 1
    if hops is not None and hops > 1 and hops > old_hops:
        out.append((f"IMDS hop limit raised to {hops}: pods can reach the node's role", True))
    newly = set(new["unencrypted"]) - set(old["unencrypted"] if old else [])
    if newly:
        out.append((f"unencrypted node volumes: {_listed(newly)}", True))
    return out


def _nodegroup(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, bool]]:
    if _props(after).get("RemoteAccess") and not _props(before).get("RemoteAccess"):
        return [("SSH access to nodes (RemoteAccess) turned on", True)]
    return []


def _repository(before: dict[str, Any] | None, after: dict[str, Any]) -> list[tuple[str, bool]]:
    def settings(props: dict[str, Any]) -> tuple[str, bool]:
        scanning = (props.get("ImageScanningConfiguration") or {}).get("ScanOnPush", False)
        return str(props.get("ImageTagMutability", "MUTABLE")), bool(scanning)

    new = settings(_props(after))
    old = settings(_props(before)) if before else ("IMMUTABLE", True)
    out: list[tuple[str, bool]] = []
    if new[0] == "MUTABLE" and old[0] != "MUTABLE":
        out.append(("image tags are MUTABLE: a tag can be moved to another image", True))
    if not new[1] and old[1]:
        out.append(("scan on push turned off", True))
    return out


_CHECKS: dict[str, Check] = {
    "AWS::EC2::LaunchTemplate": _launch_template,
    "AWS::EKS::Nodegroup": _nodegroup,
    "AWS::ECR::Repository": _repository,
    "AWS::IAM::Role": _role,
    "AWS::IAM::Policy": _policy,
    "AWS::IAM::ManagedPolicy": _policy,
    "AWS::EC2::SecurityGroup": _security_group,
    "AWS::EC2::SecurityGroupIngress": _ingress,
    "AWS::EKS::Cluster": _cluster,
    "AWS::EKS::AccessEntry": _access_entry,
}
