"""EKS best-practice rules on the services around the cluster (EKSBP20-EKSBP24): GuardDuty's
EKS audit-log monitoring, ECR scanning and tag immutability, and the Karpenter interruption
queue's encryption and EventBridge rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ...template import ResourceRef, TemplateView, as_bool, as_list, dig
from ..catalog import BEST_PRACTICE
from ..common import DETECTOR, ECR_REPOSITORY, EVENT_RULE, QUEUE, REGISTRY_SCANNING
from ..model import Level as L
from ..model import Verdict

#: The EventBridge events Karpenter needs on its interruption queue: (source, detail-type).
INTERRUPTION_EVENTS = (
    ("aws.ec2", "EC2 Spot Instance Interruption Warning"),
    ("aws.ec2", "EC2 Instance Rebalance Recommendation"),
    ("aws.ec2", "EC2 Instance State-change Notification"),
    ("aws.health", "AWS Health Event"),
)


@BEST_PRACTICE.rule(
    "EKSBP20", L.ERROR, DETECTOR,
    "The GuardDuty detector does not monitor EKS audit logs.",
    "GuardDuty then misses suspicious Kubernetes API activity. Fix: Features "
    "[{Name: EKS_AUDIT_LOGS, Status: ENABLED}] (and EKS_RUNTIME_MONITORING).")
def guardduty_eks_audit_logs(res: ResourceRef) -> Verdict:
    """EKSBP20: a GuardDuty detector in the template monitors EKS audit logs."""
    if as_bool(res.properties.get("Enable")) is False:
        return Verdict.fail("the detector is disabled (Enable: false)")
    for feature in as_list(res.properties.get("Features")):
        if res.view.render(dig(feature, "Name")) == "EKS_AUDIT_LOGS":
            status = res.view.render(dig(feature, "Status"))
            if status == "ENABLED":
                return Verdict.ok()
            return Verdict.fail(f"feature EKS_AUDIT_LOGS is {status}")
    legacy = as_bool(dig(res.properties, "DataSources", "Kubernetes", "AuditLogs", "Enable"))
    if legacy is True:
        return Verdict.ok("DataSources.Kubernetes.AuditLogs")
    return Verdict.fail("EKS audit log monitoring not enabled (Features EKS_AUDIT_LOGS)")


@BEST_PRACTICE.rule(
    "EKSBP21", L.ERROR, ECR_REPOSITORY,
    "The ECR repository does not scan images on push.",
    "Vulnerable images then reach the cluster unnoticed. Fix: "
    "ImageScanningConfiguration.ScanOnPush true, or a registry scanning configuration "
    "(enhanced scanning).")
def ecr_scan_on_push(res: ResourceRef) -> Verdict:
    """EKSBP21: ECR repositories scan images on push (or a registry scanning rule exists)."""
    if as_bool(dig(res.properties, "ImageScanningConfiguration", "ScanOnPush")) is True:
        return Verdict.ok()
    for config in res.view.of_type(REGISTRY_SCANNING):
        if as_list(config.properties.get("Rules")):
            return Verdict.ok(f"registry scanning configuration {config.logical_id}")
    return Verdict.fail("ImageScanningConfiguration.ScanOnPush is not true and the template has "
                        "no registry scanning configuration")


@BEST_PRACTICE.rule(
    "EKSBP22", L.ERROR, ECR_REPOSITORY,
    "The ECR repository allows tags to be overwritten.",
    "A mutable tag can silently point a running workload at a different image. Fix: "
    "ImageTagMutability IMMUTABLE.")
def ecr_immutable_tags(res: ResourceRef) -> Verdict:
    """EKSBP22: ECR repositories have immutable tags."""
    mutability = res.view.render(res.properties.get("ImageTagMutability"))
    if mutability == "IMMUTABLE":
        return Verdict.ok()
    return Verdict.fail(f"ImageTagMutability is {mutability or 'not set (default MUTABLE)'}")


def _event_pattern(view: TemplateView, rule: ResourceRef) -> Mapping[str, Any]:
    pattern = rule.properties.get("EventPattern")
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError:
            return {}
    return pattern if isinstance(pattern, Mapping) else {}


def _rules_targeting(queue: ResourceRef) -> Iterator[ResourceRef]:
    """Enabled EventBridge rules of the queue's template with a target that is the queue."""
    for rule in queue.view.of_type(EVENT_RULE):
        if queue.view.render(rule.properties.get("State")) == "DISABLED":
            continue
        for target in as_list(rule.properties.get("Targets")):
            found = queue.view.deref(dig(target, "Arn"))
            if isinstance(found, ResourceRef) and found.logical_id == queue.logical_id \
                    and found.view is queue.view:
                yield rule
                break


def interruption_queue_reason(queue: ResourceRef) -> str | None:
    """Why this SQS queue counts as a Karpenter interruption queue, or None if it does not.

    A queue counts when an EventBridge rule with source ``aws.ec2`` or ``aws.health`` targets
    it, when its ``QueueName`` or logical id contains "interruption", or when it carries a tag
    whose key starts with ``karpenter.sh/``.
    """
    for rule in _rules_targeting(queue):
        sources = {queue.view.render(s) for s in as_list(_event_pattern(queue.view, rule)
                                                         .get("source"))}
        if sources & {"aws.ec2", "aws.health"}:
            return f"targeted by EventBridge rule {rule.logical_id}"
    name = queue.view.render(queue.properties.get("QueueName")) or ""
    if "interruption" in name.lower() or "interruption" in queue.logical_id.lower():
        return "named like an interruption queue"
    for tag in as_list(queue.properties.get("Tags")):
        key = queue.view.render(dig(tag, "Key")) or ""
        if key.startswith("karpenter.sh/"):
            return f"tagged {key}"
    return None


@BEST_PRACTICE.rule(
    "EKSBP23", L.ERROR, QUEUE,
    "The Karpenter interruption queue is not encrypted.",
    "Interruption events describe the fleet; keep them encrypted at rest. Fix: "
    "SqsManagedSseEnabled true or KmsMasterKeyId.")
def interruption_queue_encrypted(res: ResourceRef) -> Verdict:
    """EKSBP23: the Karpenter interruption queue is encrypted at rest."""
    if interruption_queue_reason(res) is None:
        return Verdict.na("not an interruption queue")
    if res.properties.get("KmsMasterKeyId"):
        return Verdict.ok("KMS")
    if as_bool(res.properties.get("SqsManagedSseEnabled")) is True:
        return Verdict.ok("SSE-SQS")
    return Verdict.fail("neither SqsManagedSseEnabled nor KmsMasterKeyId is set")


@BEST_PRACTICE.rule(
    "EKSBP24", L.ERROR, QUEUE,
    "The Karpenter interruption queue misses EventBridge rules.",
    "Karpenter drains nodes ahead of Spot interruptions, rebalance recommendations, "
    "instance state changes and scheduled AWS Health events only if all four reach its "
    "queue. Fix: one enabled rule per event targeting the queue.")
def interruption_queue_rules(res: ResourceRef) -> Verdict:
    """EKSBP24: the interruption queue receives the four events Karpenter handles."""
    if interruption_queue_reason(res) is None:
        return Verdict.na("not an interruption queue")
    covered: set[tuple[str, str]] = set()
    for rule in _rules_targeting(res):
        pattern = _event_pattern(res.view, rule)
        sources = {res.view.render(s) for s in as_list(pattern.get("source"))}
        types = {res.view.render(t) for t in as_list(pattern.get("detail-type"))}
        covered |= {(s, t) for s, t in INTERRUPTION_EVENTS if s in sources and t in types}
    missing = [t for s, t in INTERRUPTION_EVENTS if (s, t) not in covered]
    if missing:
        return Verdict.fail(f"no enabled EventBridge rule sends these events to the queue: "
                            f"{'; '.join(missing)}")
    return Verdict.ok()
