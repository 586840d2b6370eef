"""Changes that weaken an environment without replacing anything.

Cutting log retention from 14 days to 1, turning key rotation off or a stack's termination
protection off, lowering a namespace's Pod Security level, dropping a NetworkPolicy or
letting a node pool run on Spot: CloudFormation applies each as a quiet in-place update (or
a plain removal), so the replacement and IAM checks never see them. This module compares
BASE and HEAD for exactly those and returns (message, flagged) pairs like
:mod:`eks_blueprint.review.security`; each message says what weakened, from what to what,
and where (the log group's name, the namespace, the NodePool...; the report adds the stack
and logical id).

Three entry points, because the evidence lives in three places:

* :func:`weakening_findings`: one resource modified in place (properties, and the
  DeletionPolicy / UpdateReplacePolicy attributes the diff tracks with them);
* :func:`removal_findings`: one resource removed (a log group and its logs);
* :func:`kubernetes_weakening` and :func:`termination_protection_findings`: the stack as a
  whole (Kubernetes objects matched by kind, namespace and name across every manifest of the
  stack, so a NetworkPolicy whose manifest, a layer item or a resource, is removed counts
  too; the stack setting that lives in the assembly manifest, not in the template).

The EKS cluster's own weakenings (log types off, secrets encryption removed, endpoint
widened, deletion protection off) stay in :mod:`eks_blueprint.review.security`'s cluster
check, which judges them through the shared :class:`~eks_blueprint.template.ClusterFacts`;
so do unencrypted launch-template volumes.

Defaults assumed when a property is absent. Read 2026-11-30: CloudWatch Logs keeps events
forever without a retention policy (PutRetentionPolicy / DeleteRetentionPolicy API
reference); rotation on without ``RotationPeriodInDays`` rotates every 365 days (KMS
EnableKeyRotation API reference); ECR encrypts with AES256 without an
``EncryptionConfiguration`` (AWS::ECR::Repository EncryptionConfiguration reference); a
Karpenter NodePool without a ``karpenter.sh/capacity-type`` requirement may launch Spot
(karpenter.sh NodePools docs: "If a requirement is not defined for a well known label, any
value available to the cloud provider may be chosen"; aws/karpenter-provider-aws issue #5015,
2023-11-03); SQS encrypts queues created since late 2022 with SSE-SQS by default (AWS
Compute Blog, "SSE-SQS by default"). Taken from the CloudFormation and Kubernetes
references without re-checking here: a managed node group's ``CapacityType`` defaults to
ON_DEMAND; S3 applies SSE-S3 to every bucket without a ``BucketEncryption`` (since January
2023); a namespace without the ``pod-security.kubernetes.io/enforce`` label gets the
admission default, ``privileged`` unless the cluster configures another. Not confirmed:
what CloudFormation does to an existing queue when ``SqsManagedSseEnabled`` leaves its
template, so that is reported as "no encryption requested", not as "encryption off".

Pure Python: no aws_cdk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..template import OPEN_CIDRS, StackTemplate, as_bool, as_int, dig
from .kubernetes import objects_by_key
from .values import render, shorten

Pair = tuple[str, bool]
"""(message, flagged), as :func:`eks_blueprint.review.security.security_findings` returns."""
_Check = Callable[[dict[str, Any], dict[str, Any]], list[Pair]]

#: How much of the resource a DeletionPolicy / UpdateReplacePolicy keeps (absent = Delete).
_KEEP_RANK = {"Retain": 2, "RetainExceptOnCreate": 2, "Snapshot": 1, "Delete": 0}
#: The Pod Security Standards from least to most restrictive (unknown values rank lowest).
PSS_ORDER = {"privileged": 0, "baseline": 1, "restricted": 2}
PSS_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
_CAPACITY_LABEL = "karpenter.sh/capacity-type"
_KARPENTER_CAPACITY_TYPES = frozenset({"on-demand", "spot", "reserved"})
_ECR_RANK = {"AES256": 0, "KMS": 1, "KMS_DSSE": 2}
_S3_RANK = {"AES256": 0, "aws:kms": 1, "aws:kms:dsse": 2}


def _code(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else render(value)
    return f"`{shorten(text, limit)}`"


def _props(resource: dict[str, Any] | None) -> dict[str, Any]:
    props = (resource or {}).get("Properties")
    return props if isinstance(props, dict) else {}


def _named(props: dict[str, Any], key: str, noun: str) -> str:
    """`log group `/aws/eks/x/cluster`` when the name is in the template, else `log group`."""
    return f"{noun} {_code(props[key])}" if props.get(key) is not None else noun


# ---------------------------------------------------------------- modified resources


def weakening_findings(
    resource_type: str, before: dict[str, Any] | None, after: dict[str, Any]
) -> list[Pair]:
    """What `after` protects less than `before` did (both whole resource definitions; [] for a
    new resource: there is nothing it could weaken)."""
    if before is None or before.get("Type") != after.get("Type"):
        return []
    out = _policies(before, after)
    check = _CHECKS.get(resource_type)
    if check is not None:
        out += check(_props(before), _props(after))
    return out


def _policies(before: dict[str, Any], after: dict[str, Any]) -> list[Pair]:
    """DeletionPolicy / UpdateReplacePolicy lowered, e.g. Retain -> Delete."""
    out: list[Pair] = []
    effects = {
        "DeletionPolicy": "deleting the stack or removing the resource now destroys it",
        "UpdateReplacePolicy": "a replacement now deletes the old resource and its data",
    }
    for attribute, effect in effects.items():
        old, new = str(before.get(attribute, "Delete")), str(after.get(attribute, "Delete"))
        if _KEEP_RANK.get(new, 0) < _KEEP_RANK.get(old, 0):
            shown = new if attribute in after else "Delete (not set)"
            out.append((f"{attribute} {old} → {shown}: {effect}", True))
    return out


def _days(value: Any) -> str:
    """A RetentionInDays value for people: `never expire` when absent."""
    if value is None:
        return "never expire"
    days = as_int(value)
    if days is None:
        return f"{_code(value)} (computed at deploy time)"
    return "1 day" if days == 1 else f"{days} days"


def _log_group(old: dict[str, Any], new: dict[str, Any]) -> list[Pair]:
    where = _named(new, "LogGroupName", "log group")
    out: list[Pair] = []
    before, after = old.get("RetentionInDays"), new.get("RetentionInDays")
    days_before, days_after = as_int(before), as_int(after)
    if after is not None and before != after:
        if days_after is None or (before is not None and days_before is None):
            out.append(
                (
                    f"{where}: log retention {_days(before)} → {_days(after)}: cannot tell "
                    "offline whether it is shorter",
                    True,
                )
            )
        elif days_before is None or days_after < days_before:
            out.append(
                (
                    f"{where}: log retention shortened from {_days(before)} to {_days(after)}",
                    True,
                )
            )
    if old.get("KmsKeyId") is not None and new.get("KmsKeyId") is None:
        out.append(
            (
                f"{where}: KMS encryption removed (KmsKeyId {_code(old['KmsKeyId'])} → none): "
                "new events are no longer encrypted with the customer key",
                True,
            )
        )
    return out


def _kms_key(old: dict[str, Any], new: dict[str, Any]) -> list[Pair]:
    out: list[Pair] = []
    was_on = as_bool(old.get("EnableKeyRotation")) is True
    now_on = as_bool(new.get("EnableKeyRotation")) is True
    if was_on and not now_on:
        shown = "false" if "EnableKeyRotation" in new else "(not set: off)"
        out.append((f"key rotation turned off (EnableKeyRotation true → {shown})", True))
    elif was_on and now_on:
        period_before = as_int(old.get("RotationPeriodInDays", 365))
        period_after = as_int(new.get("RotationPeriodInDays", 365))
        if period_before is not None and period_after is not None and period_after > period_before:
            out.append(
                (
                    f"key rotation period lengthened from {period_before} to {period_after} days",
                    True,
                )
            )
    return out


def _nodegroup(old: dict[str, Any], new: dict[str, Any]) -> list[Pair]:
    before = str(render(old.get("CapacityType", "ON_DEMAND")))
    after = str(render(new.get("CapacityType", "ON_DEMAND")))
    if after == "SPOT" and before != "SPOT":
        return [
            (
                f"node group capacity {before} → SPOT: its nodes can be reclaimed with two "
                "minutes' notice (and the change replaces the node group)",
                True,
            )
        ]
    return []


def _repository(old: dict[str, Any], new: dict[str, Any]) -> list[Pair]:
    def kind(props: dict[str, Any]) -> str:
        return str(dig(props, "EncryptionConfiguration", "EncryptionType") or "AES256")

    before, after = kind(old), kind(new)
    if _ECR_RANK.get(after, 0) < _ECR_RANK.get(before, 0):
        where = _named(new, "RepositoryName", "repository")
        return [(f"{where}: image encryption weakened {before} → {after}", True)]
    return []


def _queue(old: dict[str, Any], new: dict[str, Any]) -> list[Pair]:
    def level(props: dict[str, Any]) -> tuple[int, str]:
        if props.get("KmsMasterKeyId") is not None:
            return 2, f"SSE-KMS (key {_code(props['KmsMasterKeyId'])})"
        managed = props.get("SqsManagedSseEnabled")
        if as_bool(managed) is True:
            return 1, "SSE-SQS"
        return 0, "SSE-SQS off" if managed is not None else "no encryption requested"

    (rank_before, before), (rank_after, after) = level(old), level(new)
    if rank_after < rank_before:
        where = _named(new, "QueueName", "queue")
        return [(f"{where}: message encryption weakened from {before} to {after}", True)]
    return []


def _topic(old: dict[str, Any], new: dict[str, Any]) -> list[Pair]:
    if old.get("KmsMasterKeyId") is not None and new.get("KmsMasterKeyId") is None:
        where = _named(new, "TopicName", "topic")
        return [
            (
                f"{where}: encryption removed (KmsMasterKeyId {_code(old['KmsMasterKeyId'])} → "
                "none): SNS stores messages unencrypted",
                True,
            )
        ]
    return []


def _bucket(old: dict[str, Any], new: dict[str, Any]) -> list[Pair]:
    def algorithm(props: dict[str, Any]) -> str | None:
        rules = dig(props, "BucketEncryption", "ServerSideEncryptionConfiguration")
        for rule in rules if isinstance(rules, list) else []:
            found = dig(rule, "ServerSideEncryptionByDefault", "SSEAlgorithm")
            if found is not None:
                return str(render(found))
        return None

    before, after = algorithm(old), algorithm(new)
    where = _named(new, "BucketName", "bucket")
    if before is None or after == before:
        return []
    weaker = _S3_RANK.get(after or "AES256", 0) < _S3_RANK.get(before, 0)
    if after is None:
        return [
            (
                f"{where}: default encryption {before} removed: S3 falls back to SSE-S3 (AES256)",
                weaker,
            )
        ]
    return [(f"{where}: default encryption weakened {before} → {after}", True)] if weaker else []


_CHECKS: dict[str, _Check] = {
    "AWS::Logs::LogGroup": _log_group,
    "AWS::KMS::Key": _kms_key,
    "AWS::EKS::Nodegroup": _nodegroup,
    "AWS::ECR::Repository": _repository,
    "AWS::SQS::Queue": _queue,
    "AWS::SNS::Topic": _topic,
    "AWS::S3::Bucket": _bucket,
}


# ---------------------------------------------------------------- removed resources


def removal_findings(resource_type: str, before: dict[str, Any]) -> list[Pair]:
    """What leaving the template takes away: a log group deleted takes its logs (flagged); a
    retained one keeps them and its settings, but the stack stops managing it (a notice)."""
    if resource_type != "AWS::Logs::LogGroup":
        return []
    props = _props(before)
    where = _named(props, "LogGroupName", "log group")
    policy = str(before.get("DeletionPolicy", "Delete"))
    kept = _days(props.get("RetentionInDays"))
    if _KEEP_RANK.get(policy, 0) >= 2:
        return [
            (
                f"{where} removed from the stack but retained (DeletionPolicy {policy}): its logs "
                f"stay, its retention ({kept}) and encryption are no longer managed here",
                False,
            )
        ]
    return [
        (
            f"{where} removed with DeletionPolicy {policy}: CloudFormation deletes it and its "
            f"logs (retention: {kept})",
            True,
        )
    ]


# ---------------------------------------------------------------- the stack


def termination_protection_findings(
    old: StackTemplate | None, new: StackTemplate | None
) -> list[Pair]:
    """The stack's termination protection turned off (a manifest setting, compared per
    stack that exists on both sides)."""
    if old is None or new is None or old.termination_protection is not True:
        return []
    if new.termination_protection is True:
        return []
    shown = "false" if new.termination_protection is False else "(not set: off)"
    return [
        (
            f"stack termination protection turned off (terminationProtection true → {shown}): "
            "`cdk destroy` or a stack deletion is no longer refused",
            True,
        )
    ]


def kubernetes_weakening(
    old_resources: dict[str, Any], new_resources: dict[str, Any]
) -> list[tuple[str, str, bool]]:
    """(logical id, message, flagged) for the stack's Kubernetes objects: Pod Security lowered,
    NetworkPolicies removed or opened, Karpenter NodePools newly allowed on Spot, Kyverno
    policies removed, switched from refusing to auditing, or made to fail open. The logical
    id is what applies the object in HEAD (``<layer>[<item id>]`` for a layer item), or in
    BASE for an object that is gone."""
    old = objects_by_key(old_resources)
    new = objects_by_key(new_resources)
    out = _pod_security(old, new)
    out += _network_policies(old, new)
    out += _node_pools(old, new)
    out += _admission_policies(old, new)
    return out


_Objects = dict[str, tuple[str, dict[str, Any]]]


def _kind(obj: dict[str, Any]) -> str:
    return str(obj.get("kind", ""))


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _enforced(obj: dict[str, Any]) -> tuple[str, bool]:
    """(enforced level, whether the label is set); no label: the admission default."""
    labels = _meta(obj).get("labels")
    level = labels.get(PSS_ENFORCE_LABEL) if isinstance(labels, dict) else None
    return (str(level), True) if level is not None else ("privileged", False)


def _pod_security(old: _Objects, new: _Objects) -> list[tuple[str, str, bool]]:
    """A namespace whose enforced level is lower than before (or than `restricted`, when the
    namespace is new to the stack)."""
    out: list[tuple[str, str, bool]] = []
    for key, (lid, obj) in sorted(new.items()):
        if _kind(obj) != "Namespace":
            continue
        name = _meta(obj).get("name", "?")
        level, labelled = _enforced(obj)
        if key in old:
            previous, _ = _enforced(old[key][1])
        else:
            previous = "restricted"
        if PSS_ORDER.get(level, 0) >= PSS_ORDER.get(previous, 0):
            continue
        message = f"namespace `{name}` enforces Pod Security `{level}`"
        if key in old:
            message += f" (was `{previous}`"
            message += ")" if labelled else f"; its `{PSS_ENFORCE_LABEL}` label is removed)"
        out.append((lid, message, True))
    return out


def _is_network_policy(obj: dict[str, Any]) -> bool:
    # NetworkPolicy, and the CNI flavours: CiliumNetworkPolicy, GlobalNetworkPolicy...
    return _kind(obj).endswith("NetworkPolicy")


def _types(spec: dict[str, Any]) -> list[str]:
    """A NetworkPolicy's effective policyTypes (Kubernetes' default when not set: Ingress,
    plus Egress if it has egress rules)."""
    types = spec.get("policyTypes")
    if isinstance(types, list):
        return [str(t) for t in types]
    return ["Ingress"] + (["Egress"] if "egress" in spec else [])


def _denies_all(spec: dict[str, Any], direction: str) -> bool:
    return direction in _types(spec) and not spec.get(direction.lower())


def _open_peers(spec: dict[str, Any], direction: str) -> set[str]:
    """Rules in one direction that admit everyone: no peer list (any pod or address), an
    internet CIDR without exceptions, or every namespace."""
    if direction not in _types(spec):
        return set()
    peer_key = "from" if direction == "Ingress" else "to"
    found: set[str] = set()
    rules = spec.get(direction.lower())
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict):
            continue
        ports = rule.get("ports")
        on = f" on ports {render(ports)}" if ports else ""
        peers = rule.get(peer_key)
        if not peers:
            found.add(f"any {'source' if direction == 'Ingress' else 'destination'}{on}")
            continue
        for peer in peers if isinstance(peers, list) else []:
            if not isinstance(peer, dict):
                continue
            block = peer.get("ipBlock")
            if (
                isinstance(block, dict)
                and block.get("cidr") in OPEN_CIDRS
                and not block.get("except")
            ):
                found.add(f"{block['cidr']}{on}")
            if peer.get("namespaceSelector") == {} and not peer.get("podSelector"):
                found.add(f"every namespace{on}")
    return found


def _policy_name(key: str) -> str:
    return key.split(" ", 1)[-1]


def _network_policies(old: _Objects, new: _Objects) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    gone_namespaces = {
        str(_meta(obj).get("name"))
        for key, (_, obj) in old.items()
        if _kind(obj) == "Namespace" and key not in new
    }
    deny_namespaces = {
        str(_meta(obj).get("namespace"))
        for _, obj in old.values()
        if _is_network_policy(obj)
        and any(_denies_all(_spec(obj), d) for d in ("Ingress", "Egress"))
    }
    for key, (lid, obj) in sorted(old.items()):
        if not _is_network_policy(obj) or key in new:
            continue
        if str(_meta(obj).get("namespace")) in gone_namespaces:
            continue  # deleted with its namespace: the namespace is the stateful risk
        denied = [d for d in ("Ingress", "Egress") if _denies_all(_spec(obj), d)]
        what = (
            f"its default deny of {' and '.join(denied)} is gone"
            if denied
            else ("the traffic it limited is no longer restricted by it")
        )
        out.append((lid, f"{_kind(obj)} `{_policy_name(key)}` removed: {what}", True))
    for key, (lid, obj) in sorted(new.items()):
        if not _is_network_policy(obj):
            continue
        spec = _spec(obj)
        name = f"{_kind(obj)} `{_policy_name(key)}`"
        if key not in old:
            if str(_meta(obj).get("namespace")) not in deny_namespaces:
                continue
            for direction in ("Ingress", "Egress"):
                opened = _open_peers(spec, direction)
                if opened:
                    out.append(
                        (
                            lid,
                            f"new {name} allows {direction} from {', '.join(sorted(opened))}, "
                            "past the namespace's default deny",
                            True,
                        )
                    )
            continue
        before = _spec(old[key][1])
        if (
            before.get("podSelector") == {}
            and spec.get("podSelector") not in ({}, None)
            and any(_denies_all(before, d) for d in ("Ingress", "Egress"))
        ):
            out.append(
                (
                    lid,
                    f"{name} now selects only pods matching {_code(spec.get('podSelector'))} "
                    "(was every pod in the namespace)",
                    True,
                )
            )
        for direction in ("Ingress", "Egress"):
            if _denies_all(before, direction) and direction not in _types(spec):
                out.append(
                    (
                        lid,
                        f"{name} no longer denies {direction} (policyTypes "
                        f"{_types(before)} → {_types(spec)})",
                        True,
                    )
                )
                continue
            opened = _open_peers(spec, direction) - _open_peers(before, direction)
            if opened:
                was = "denied all" if _denies_all(before, direction) else "was limited"
                out.append(
                    (
                        lid,
                        f"{name} now allows {direction} from {', '.join(sorted(opened))} "
                        f"({direction} {was} before)",
                        True,
                    )
                )
    return out


def capacity_types(node_pool: dict[str, Any]) -> frozenset[str]:
    """The capacity types a Karpenter NodePool may launch, from its
    `karpenter.sh/capacity-type` requirements and template label (none: any type)."""
    allowed = set(_KARPENTER_CAPACITY_TYPES)
    template = _spec(node_pool).get("template")
    template = template if isinstance(template, dict) else {}
    labels = dig(template, "metadata", "labels")
    if isinstance(labels, dict) and _CAPACITY_LABEL in labels:
        allowed &= {str(labels[_CAPACITY_LABEL])}
    requirements = dig(template, "spec", "requirements")
    for requirement in requirements if isinstance(requirements, list) else []:
        if not isinstance(requirement, dict) or requirement.get("key") != _CAPACITY_LABEL:
            continue
        values = {str(v) for v in requirement.get("values") or []}
        operator = requirement.get("operator")
        if operator == "In":
            allowed &= values
        elif operator == "NotIn":
            allowed -= values
        elif operator == "DoesNotExist":
            allowed.clear()
    return frozenset(allowed)


def _node_pools(old: _Objects, new: _Objects) -> list[tuple[str, str, bool]]:
    out: list[tuple[str, str, bool]] = []
    for key, (lid, obj) in sorted(new.items()):
        if _kind(obj) != "NodePool" or not str(obj.get("apiVersion", "")).startswith(
            "karpenter.sh/"
        ):
            continue
        if key not in old:
            continue  # a new pool had nothing to weaken
        before, after = capacity_types(old[key][1]), capacity_types(obj)
        if "spot" in after and "spot" not in before:
            out.append(
                (
                    lid,
                    f"Karpenter NodePool `{_meta(obj).get('name', '?')}` now allows Spot "
                    f"({_CAPACITY_LABEL} [{', '.join(sorted(before))}] → "
                    f"[{', '.join(sorted(after))}]): its nodes can be "
                    "reclaimed with two minutes' notice",
                    True,
                )
            )
    return out


#: Kyverno's validating policy kinds: CEL (policies.kyverno.io) and the kyverno.io/v1 ones.
_CEL_POLICY_KINDS = frozenset({"ValidatingPolicy", "ImageValidatingPolicy"})
_LEGACY_POLICY_KINDS = frozenset({"ClusterPolicy", "Policy"})


def _refuses(obj: dict[str, Any]) -> bool | None:
    """Whether a Kyverno policy refuses what fails it (Deny / Enforce), or None when the
    object is no validating Kyverno policy. Absent fields take Kyverno's defaults:
    validationActions [Deny] (policies.kyverno.io), validationFailureAction Audit
    (kyverno.io/v1)."""
    group = str(obj.get("apiVersion", "")).split("/")[0]
    spec = _spec(obj)
    if group == "policies.kyverno.io" and _kind(obj) in _CEL_POLICY_KINDS:
        actions = spec.get("validationActions", ["Deny"])
        return isinstance(actions, list) and "Deny" in actions
    if group == "kyverno.io" and _kind(obj) in _LEGACY_POLICY_KINDS:
        return str(spec.get("validationFailureAction", "Audit")).lower() == "enforce"
    return None


def _admission_policies(old: _Objects, new: _Objects) -> list[tuple[str, str, bool]]:
    """A Kyverno validating policy removed, switched from refusing to auditing, or switched
    from failing closed (failurePolicy Fail, Kyverno's default) to open (Ignore)."""
    out: list[tuple[str, str, bool]] = []
    for key, (lid, before) in sorted(old.items()):
        refused_before = _refuses(before)
        if refused_before is None:
            continue
        name = f"{_kind(before)} `{_meta(before).get('name', '?')}`"
        if key not in new:
            out.append((lid, f"Kyverno {name} removed: nothing checks what it checked", True))
            continue
        new_lid, after = new[key]
        if refused_before and not _refuses(after):
            out.append((new_lid, f"Kyverno {name} now only audits (was refusing)", True))
        fails_before = _spec(before).get("failurePolicy", "Fail")
        fails_after = _spec(after).get("failurePolicy", "Fail")
        if fails_before == "Fail" and fails_after == "Ignore":
            out.append(
                (
                    new_lid,
                    f"Kyverno {name} now fails open (failurePolicy Fail → Ignore): while Kyverno "
                    "does not answer, what it checks is admitted unchecked",
                    True,
                )
            )
    return out


__all__ = [
    "PSS_ENFORCE_LABEL",
    "PSS_ORDER",
    "Pair",
    "capacity_types",
    "kubernetes_weakening",
    "removal_findings",
    "termination_protection_findings",
    "weakening_findings",
]
