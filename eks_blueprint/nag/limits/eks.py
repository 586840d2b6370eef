"""Deployability rules on EKS (EKSDEP12-EKSDEP15): cluster names, node group names, sizes,
labels and taints and count per cluster, Fargate profiles and their selectors."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...template import ResourceRef, as_int, as_list
from ..catalog import DEPLOYABILITY
from ..common import assembly_views, cluster_key
from ..lengths import Longest, known, visible
from ..model import Level as L
from ..model import Verdict
from ..quotas import DEFAULT_QUOTAS, Quotas
from .common import Measured, judge, name_problems
from .kubernetes import DNS_LABEL, kubernetes_label_problems
from .tags import tag_pairs

#: Amazon EKS CreateCluster API reference
#: (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateCluster.html): cluster
#: names are 1-100 characters matching this pattern.
CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]*$")
CLUSTER_NAME_LENGTH = 100
#: Amazon EKS user guide, "Create a managed node group"
#: (https://docs.aws.amazon.com/eks/latest/userguide/create-managed-node-group.html): a node
#: group name is at most 63 characters, starts with a letter or digit, then letters, digits,
#: hyphens and underscores.
NODEGROUP_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]*$")
NODEGROUP_NAME_LENGTH = 63
#: The effects a node group taint may have (CreateNodegroup API reference, Taint).
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")


#: Amazon EKS user guide, "Fargate profile wildcards"
#: (https://docs.aws.amazon.com/eks/latest/userguide/fargate-profile.html): besides the
#: characters Kubernetes allows, a Fargate selector's namespace, label keys and label values
#: may use ``*`` (any run of characters) and ``?`` (one character). Each is checked as a
#: letter, valid anywhere in these names (node group labels and manifests get no wildcards).
FARGATE_WILDCARDS = str.maketrans("*?", "aa")


@DEPLOYABILITY.rule(
    "EKSDEP12", L.ERROR, "AWS::EKS::Cluster",
    "The EKS cluster name is longer than 100 characters or has characters EKS "
    "refuses.",
    "EKS cluster names are 1-100 letters, digits, '-' or '_', starting with a letter "
    "or digit. Fix: shorten the name.")
def cluster_name(res: ResourceRef) -> Verdict:
    """EKSDEP12: the EKS cluster name is 1-100 letters, digits, "-" or "_", starting with a
    letter or digit."""
    return judge(res.view, lambda longest: (
        name_problems(longest, res.properties.get("Name"), "Name", CLUSTER_NAME_LENGTH,
                       CLUSTER_NAME),
        "" if "Name" in res.properties else "no Name: CloudFormation generates one"))


def _siblings(res: ResourceRef) -> list[ResourceRef]:
    """Resources of ``res``'s type for the same cluster, in every template checked with it."""
    key = cluster_key(res.view, res.properties.get("ClusterName"))
    if key is None:
        return [res]
    return [other for view in assembly_views(res.view) for other in view.of_type(res.type)
            if cluster_key(view, other.properties.get("ClusterName")) == key]


def _fargate_known(text: str) -> str:
    """``known(text)`` with Fargate's selector wildcards read as a letter."""
    return known(text).translate(FARGATE_WILDCARDS)


@DEPLOYABILITY.rule(
    "EKSDEP13", L.ERROR, "AWS::EKS::Nodegroup",
    "A managed node group's name, size or count breaks EKS's limits.",
    "Node group names are at most 63 characters; ScalingConfig needs MinSize <= "
    "DesiredSize <= MaxSize, MaxSize within the nodes per node group quota (450), and "
    "a cluster has at most 30 managed node groups by default. Fix: shorten the name, "
    "correct the sizes, or raise the quotas and pass them (--quota ...).",
    quotas=True)
def nodegroup_limits(res: ResourceRef, quotas: Quotas = DEFAULT_QUOTAS) -> Verdict:
    """EKSDEP13: node group name (at most 63), scaling within the "nodes per managed node
    group" quota and min <= desired <= max, and node groups per cluster within quota."""
    groups = _siblings(res)

    def check(longest: Longest) -> Measured:
        return (name_problems(longest, res.properties.get("NodegroupName"), "NodegroupName",
                               NODEGROUP_NAME_LENGTH, NODEGROUP_NAME)
                + _nodegroup_size_problems(res, len(groups), quotas), "")
    return judge(res.view, check)


def _nodegroup_size_problems(res: ResourceRef, groups: int, quotas: Quotas) -> list[str]:
    problems: list[str] = []
    scaling = res.properties.get("ScalingConfig")
    sizes = {k: as_int(scaling.get(k)) for k in ("MinSize", "DesiredSize", "MaxSize")} \
        if isinstance(scaling, Mapping) else {}
    maximum = sizes.get("MaxSize")
    if maximum is not None and maximum > quotas.nodes_per_node_group:
        problems.append(f"ScalingConfig.MaxSize {maximum} is over the nodes per managed node "
                        f"group quota of {quotas.nodes_per_node_group} (adjustable: pass "
                        "--quota nodes-per-node-group=N once raised)")
    ordered = [sizes.get(k) for k in ("MinSize", "DesiredSize", "MaxSize")]
    known_sizes = [s for s in ordered if s is not None]
    if known_sizes != sorted(known_sizes):
        problems.append("ScalingConfig must have MinSize <= DesiredSize <= MaxSize, got "
                        + ", ".join(f"{k} {v}" for k, v in sizes.items() if v is not None))
    if groups > quotas.node_groups_per_cluster:
        problems.append(f"its cluster has {groups} managed node groups in the checked "
                        f"templates, over the quota of {quotas.node_groups_per_cluster} "
                        "(adjustable: pass --quota node-groups-per-cluster=N once raised)")
    return problems


@DEPLOYABILITY.rule(
    "EKSDEP14", L.ERROR, "AWS::EKS::Nodegroup",
    "A node group's labels or taints are not valid Kubernetes labels and taints.",
    "Label and taint keys are [prefix/]name with a DNS-subdomain prefix of at most "
    "253 and a name of at most 63 characters; values at most 63; taint effects "
    "NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE. Fix: correct the labels and "
    "taints.")
def nodegroup_labels_and_taints(res: ResourceRef) -> Verdict:
    """EKSDEP14: node group labels and taints are valid Kubernetes labels and taints."""
    labels = res.properties.get("Labels")
    if labels is not None and not isinstance(labels, Mapping):
        return Verdict.unresolved("Labels is computed at deploy time")
    taints = res.properties.get("Taints")
    if taints is not None and not isinstance(taints, list):
        return Verdict.unresolved("Taints is computed at deploy time")
    return judge(res.view, lambda longest: _label_and_taint_problems(labels, taints, longest))


def _label_and_taint_problems(labels: Mapping[str, Any] | None, taints: list[Any] | None,
                              longest: Longest) -> Verdict | Measured:
    problems: list[str] = []
    for raw_key, raw_value in (labels or {}).items():
        value = longest.text(raw_value)
        if value is None:
            return Verdict.unresolved(f"label {raw_key} has a computed value")
        problems += kubernetes_label_problems("label", str(raw_key), value)
    for index, taint in enumerate(as_list(taints)):
        if not isinstance(taint, Mapping):
            return Verdict.unresolved(f"Taints[{index}] is computed at deploy time")
        key = longest.text(taint.get("Key"))
        raw_value = taint.get("Value")
        value = longest.text(raw_value) if raw_value is not None else None
        effect = longest.text(taint.get("Effect"))
        if key is None:
            problems.append(f"Taints[{index}] has no Key")
        else:
            problems += kubernetes_label_problems(f"Taints[{index}]", key, value)
        if effect not in TAINT_EFFECTS:
            problems.append(f"Taints[{index}].Effect is {effect!r}; EKS accepts "
                            f"{', '.join(TAINT_EFFECTS)}")
    return problems, ""


@DEPLOYABILITY.rule(
    "EKSDEP15", L.ERROR, "AWS::EKS::FargateProfile",
    "A Fargate profile breaks EKS's selector or profile limits.",
    "A Fargate profile has at most 5 selectors with at most 5 labels each, and a "
    "cluster at most 10 profiles by default; selector namespaces and labels must be "
    "valid Kubernetes names (the wildcards * and ? allowed). Fix: merge profiles or "
    "selectors, or raise the quotas and pass them "
    "(--quota fargate-profiles-per-cluster=N).",
    quotas=True)
def fargate_profile_limits(res: ResourceRef, quotas: Quotas = DEFAULT_QUOTAS) -> Verdict:
    """EKSDEP15: selectors per Fargate profile, labels per selector and profiles per cluster
    within quota; selector namespaces and labels valid Kubernetes names."""
    raw = res.properties.get("Selectors")
    if raw is not None and not isinstance(raw, list):
        return Verdict.unresolved("Selectors is computed at deploy time")
    profiles = len(_siblings(res))

    def check(longest: Longest) -> Measured:
        problems = _selector_problems(as_list(raw), longest, quotas)
        if profiles > quotas.fargate_profiles_per_cluster:
            problems.append(f"its cluster has {profiles} Fargate profiles in the checked "
                            f"templates, over the quota of {quotas.fargate_profiles_per_cluster}"
                            " (adjustable: pass --quota fargate-profiles-per-cluster=N once "
                            "raised)")
        return problems, ""
    return judge(res.view, check)


def _selector_problems(selectors: list[Any], longest: Longest, quotas: Quotas) -> list[str]:
    problems: list[str] = []
    if len(selectors) > quotas.selectors_per_fargate_profile:
        problems.append(f"{len(selectors)} selectors, over the quota of "
                        f"{quotas.selectors_per_fargate_profile} per Fargate profile")
    for index, selector in enumerate(selectors):
        if not isinstance(selector, Mapping):
            continue
        namespace = longest.text(selector.get("Namespace"))
        if namespace is not None and (len(namespace) > 63
                                      or not DNS_LABEL.match(_fargate_known(namespace))):
            problems.append(f"Selectors[{index}].Namespace {visible(namespace)!r} is not a "
                            "Kubernetes namespace name (DNS-1123 label, at most 63, with the "
                            "wildcards * and ?)")
        pairs = tag_pairs(selector.get("Labels", []))
        if pairs is None:
            continue
        if len(pairs) > quotas.labels_per_fargate_selector:
            problems.append(f"Selectors[{index}] has {len(pairs)} labels, over the quota of "
                            f"{quotas.labels_per_fargate_selector}")
        for raw_key, raw_value in pairs:
            key, value = longest.text(raw_key), longest.text(raw_value)
            if key is not None:
                problems += kubernetes_label_problems(f"Selectors[{index}] label", key, value,
                                                       _fargate_known)
    return problems
