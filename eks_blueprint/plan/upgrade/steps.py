"""The upgrade procedure of the EKS Best Practices Guide ("Best Practices for Cluster
Upgrades": check upgrade insights and removed APIs, upgrade the control plane, then the
add-ons, then the data plane), written out for one environment of this project.

Each step is a title and a list of items (Markdown), plus tables for the add-ons, charts
and capacity; :func:`build_steps` returns them as data and :func:`steps_markdown` renders
them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...template import KubeObject
from ..model import markdown_table
from .checks import AddonRow, ChartCheck, NodeGroupRow, Pin
from .context import UpgradeContext
from .manifests import ApiVerdict, ValuesApi


@dataclass
class Step:
    number: int
    title: str
    items: list[str]
    tables: list[str] = field(default_factory=list)
    markdown_items: list[str] | None = None
    """What Markdown lists above the tables (default: every item); the tables repeat the
    per-row items."""

    def to_json(self) -> dict[str, Any]:
        return {"step": self.number, "title": self.title, "items": list(self.items)}


@dataclass(frozen=True)
class StepInputs:
    """What the checks found, for the steps to describe."""

    addons: list[AddonRow]
    charts: list[ChartCheck]
    node_groups: list[NodeGroupRow]
    node_pools: list[dict[str, Any]]
    fargate_profiles: list[dict[str, Any]]
    pins: list[Pin]
    verdicts: list[ApiVerdict]
    values_apis: list[ValuesApi]
    kubectl_layer: dict[str, Any]
    karpenter: dict[str, Any] | None


def node_pools(objects: list[KubeObject]) -> list[dict[str, Any]]:
    """Karpenter NodePools: node class, disruption budgets, expiry."""
    classes = {
        o.name: ", ".join(
            str(t.get("alias"))
            for t in o.spec.get("amiSelectorTerms") or []
            if isinstance(t, dict) and t.get("alias")
        )
        for o in objects
        if o.kind == "EC2NodeClass"
    }
    pools = []
    for obj in objects:
        if obj.kind != "NodePool":
            continue
        spec = obj.spec
        template = (spec.get("template") or {}).get("spec") or {}
        node_class = (template.get("nodeClassRef") or {}).get("name")
        budgets = (spec.get("disruption") or {}).get("budgets")
        pools.append(
            {
                "name": obj.name,
                "node_class": node_class,
                "ami_alias": classes.get(str(node_class)),
                "budgets": [str(b.get("nodes")) for b in budgets or [] if isinstance(b, dict)]
                or ["10% (Karpenter default)"],
                "expire_after": template.get("expireAfter"),
            }
        )
    return pools


def fargate_profiles(ctx: UpgradeContext) -> list[dict[str, Any]]:
    """Fargate profiles: name and the namespaces (with labels) they select."""
    out = []
    for _, logical_id, props in ctx.deployed.properties("AWS::EKS::FargateProfile"):
        selectors, restarts = [], []
        for selector in props.get("Selectors") or []:
            namespace = str(selector.get("Namespace"))
            labels = ",".join(
                f"{label.get('Key')}={label.get('Value')}" for label in selector.get("Labels") or []
            )
            selectors.append(namespace + (f" ({labels})" if labels else ""))
            restarts.append(
                f"kubectl rollout restart deployment -n {namespace}"
                + (f" -l {labels}" if labels else "")
            )
        out.append(
            {
                "name": str(props.get("FargateProfileName") or logical_id),
                "selectors": selectors,
                "restart": restarts,
            }
        )
    return out


def build_steps(ctx: UpgradeContext, found: StepInputs) -> list[Step]:
    """The four steps, in the Best Practices Guide's order."""
    return [
        _insights(ctx, found),
        _control_plane(ctx, found),
        _addons(ctx, found),
        _data_plane(ctx, found),
    ]


def _insights(ctx: UpgradeContext, found: StepInputs) -> Step:
    region, cluster = ctx.region, ctx.cluster_name
    counts: dict[str, int] = {}
    for verdict in found.verdicts:
        counts[verdict.status] = counts.get(verdict.status, 0) + 1
    items = [
        f"`aws eks list-insights --region {region} --cluster-name {cluster}`: every "
        f"UPGRADE_READINESS insight for Kubernetes {ctx.to} should be PASSING; `aws eks "
        f"describe-insight --region {region} --cluster-name {cluster} --id <id>` names the "
        "deprecated API calls the cluster saw and the clients that made them.",
        f"Offline, this plan validated the {len(found.verdicts)} Kubernetes objects the stacks "
        f"carry against {ctx.to}: {counts.get('removed', 0)} on a removed API, "
        f"{counts.get('schema-error', 0)} schema error(s), {counts.get('custom-resource', 0)} "
        "custom resource(s) checked via chart compatibility (see Removed APIs).",
        "Helm charts cannot be rendered offline (the charts are not here): their objects are "
        f"covered by chart compatibility; {len(found.values_apis)} apiVersion(s) named in "
        "chart values were checked.",
        f"EKS needs up to 5 free IP addresses in the cluster subnets for the upgrade: "
        f"`eks-blueprint-verify --env {ctx.env}` checks them on the deployed cluster.",
    ]
    changes = [p for p in found.pins if p.changes]
    if changes:
        items.append(
            "Pins that must change first or with the upgrade: "
            + "; ".join(f"`{p.path}` {p.current} → {p.target or '?'}" for p in changes)
            + " (see Pins to set)."
        )
    karpenter = found.karpenter
    if karpenter and karpenter.get("supports_target") is False:
        items.append(
            f"Karpenter {karpenter['version']} does not support {ctx.to}: deploy "
            f"compute.karpenter.version {karpenter.get('minimum_for_upgrade') or '?'} (or later) "
            "on its own before the control-plane upgrade."
        )
    return Step(1, "Check EKS upgrade insights and deprecated API usage", items)


def _control_plane(ctx: UpgradeContext, found: StepInputs) -> Step:
    cluster = ctx.cluster()
    where = f"AWS::EKS::Cluster {cluster[1]} ({cluster[0]})" if cluster else "the cluster"
    layer = found.kubectl_layer.get("package") or "?"
    items = [
        f'In {ctx.inputs.config_path}: set `cluster.version: "{ctx.to}"`, together with the '
        "pins listed under Pins to set.",
        "Review it as a pull request: the review report runs this plan on the changed config "
        f"(`make review BASE=origin/main`), and `bin/cdk diff -c env={ctx.env} --all` shows "
        f"{where} Version {ctx.current} → {ctx.to}.",
        f"Deploy: `bin/cdk deploy -c env={ctx.env} --all` (or merge, and the pipeline "
        "deploys). EKS upgrades the control plane in place, one minor version only; it "
        "cannot be rolled back.",
        f"The handler of the Kubernetes layers (Helm charts, manifests) moves to the kubectl "
        f"layer of {ctx.to} ({layer}) in the same deploy.",
        f"Upgrade policy (template UpgradePolicy.SupportType): {ctx.support_type()}.",
    ]
    return Step(2, "Upgrade the control plane", items)


def _addons(ctx: UpgradeContext, found: StepInputs) -> Step:
    intro = [
        "EKS add-on versions are pinned per Kubernetes version in "
        "eks_blueprint/addons/versions.py: the same deploy updates each AWS::EKS::Addon to "
        f"its {ctx.to} pin once the cluster is at {ctx.to}.",
        "Helm charts keep their pinned versions; the table shows which Kubernetes versions "
        "each supports.",
    ]
    items = intro + [
        f"{row.name}: {row.current_version or '-'} → {row.target_version or '?'}"
        + ("" if row.listed_for_target else f" (not listed for {ctx.to})")
        for row in found.addons
    ]
    items += [
        f"Helm chart {c.chart} {c.version}: supports Kubernetes {c.supported} ({c.status})"
        for c in found.charts
    ]
    tables = [
        markdown_table(
            ["add-on", "now", f"for {ctx.to}", f"listed for {ctx.to}", "pinned by"],
            [
                [
                    r.name,
                    r.current_version or "-",
                    r.target_version or "?",
                    "yes" if r.listed_for_target else "**no**",
                    r.pinned_by,
                ]
                for r in found.addons
            ],
        )
    ]
    if found.charts:
        tables.append(
            markdown_table(
                ["Helm chart", "version", "supports Kubernetes", "status"],
                [[c.chart, c.version or "?", c.supported, c.status] for c in found.charts],
            )
        )
    return Step(3, "Upgrade the add-ons", items, tables, intro)


def _data_plane(ctx: UpgradeContext, found: StepInputs) -> Step:
    region, cluster = ctx.region, ctx.cluster_name
    items: list[str] = []
    for group in found.node_groups:
        drain = (
            "forces evictions a PodDisruptionBudget would refuse"
            if group.force_update
            else "a drain that a PodDisruptionBudget refuses fails the update instead of "
            "evicting (ForceUpdateEnabled false)"
        )
        if group.version in (ctx.current, ctx.to):
            how = (
                f"its Version follows cluster.version (now {group.version}), so the same "
                f"deploy rolls its nodes to {ctx.to} once the control plane is there; "
            )
        elif group.version:
            how = f"its template pins Version {group.version}: set it to {ctx.to} and deploy; "
        else:
            how = (
                "its template pins no Version, so CloudFormation leaves its nodes at "
                f"{ctx.current} (one minor behind {ctx.to}: allowed). After the control plane, "
                f"run `aws eks update-nodegroup-version --region {region} --cluster-name "
                f"{cluster} --nodegroup-name <name>` (the generated name: `aws eks "
                f"list-nodegroups --region {region} --cluster-name {cluster}`); "
            )
        items.append(
            f"Managed node group {group.name} ({group.ami_type}, min/desired/max "
            f"{group.sizes}): {how}EKS replaces {group.max_unavailable} of its nodes at a time "
            f"(UpdateConfig), draining each; {drain}."
        )
    new_alias = {p.current: p.target for p in found.pins if p.changes and p.target}
    for pool in found.node_pools:
        alias = pool["ami_alias"] or "no alias"
        if alias in new_alias:
            alias = f"{alias} → {new_alias[alias]} (Pins to set)"
        items.append(
            f"Karpenter NodePool {pool['name']} (EC2NodeClass {pool['node_class']}, "
            f"{alias}): once the control plane is at {ctx.to}, the "
            f"alias resolves to {ctx.to} AMIs, Karpenter marks the nodes drifted and replaces "
            f"them within its disruption budgets ({', '.join(pool['budgets'])}), respecting "
            f"PodDisruptionBudgets; expireAfter {pool['expire_after'] or 'not set'} replaces "
            "any it has not."
        )
    for profile in found.fargate_profiles:
        commands = "; ".join(f"`{c}`" for c in profile["restart"]) or "-"
        items.append(
            f"Fargate profile {profile['name']} (selects {'; '.join(profile['selectors'])}): "
            f"its pods keep their {ctx.current} kubelet until they are recreated; after the "
            f"control plane, restart them: {commands} (a label selector here matches the "
            "Deployments' own labels; restart any other workload it runs too)."
        )
    if ctx.deployed.config.compute.auto_mode is not None:
        items.append(
            "EKS Auto Mode nodes: EKS replaces them itself after the control plane upgrade, "
            "respecting PodDisruptionBudgets."
        )
    if not items:
        items.append("The stacks carry no node group, NodePool or Fargate profile.")
    items.append(f"Then `kubectl get nodes` shows every node at v{ctx.to}.")
    return Step(4, "Upgrade the data plane", items)


def steps_markdown(steps: list[Step]) -> list[tuple[str, str]]:
    """(heading, body) per step, in order."""
    out = []
    for step in steps:
        shown = step.items if step.markdown_items is None else step.markdown_items
        body = "\n".join(f"- {item}" for item in shown)
        if step.tables:
            body += "\n\n" + "\n\n".join(step.tables)
        out.append((f"Step {step.number}: {step.title}", body))
    return out
