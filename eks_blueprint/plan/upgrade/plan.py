"""``plan_upgrade``: the steps and the blocking checks of one Kubernetes minor upgrade."""

from __future__ import annotations

from datetime import date
from typing import Any

from ...template import applied_by
from ..inputs import PlanInputError, PlanInputs
from ..model import Finding, PlanReport, markdown_table
from .checks import (
    Pin,
    api_findings,
    check_addons,
    check_ami_pins,
    check_charts,
    check_cluster_autoscaler,
    check_combined_nodegroup_updates,
    check_karpenter,
    check_kubectl_layer,
    check_node_groups,
    check_support,
    check_version_path,
    pdb_findings,
)
from .context import UpgradeContext
from .manifests import (
    ApiVerdict,
    Validator,
    chart_values_api_versions,
    check_objects,
    load_validator,
    pdb_coverage,
    read_objects,
    values_verdicts,
)
from .minors import parse_minor
from .steps import StepInputs, build_steps, fargate_profiles, node_pools, steps_markdown
from .tables import SOURCES

ASSUMPTIONS = (
    "EKS never updates node groups on its own: a managed node group whose template pins no "
    "Version keeps its nodes' kubelet when the control plane moves.",
    "Helm charts are not rendered offline: the objects they create are covered by the chart "
    "compatibility table only; chart values that name an apiVersion are checked.",
    "An EKS-optimized AMI release between a table row's first and newest release carries that "
    "Kubernetes minor (each release ships every minor it supports); newer releases are "
    "reported as unconfirmed, not as missing.",
    "A chart row without a maximum: the chart's source states only a minimum Kubernetes version.",
    "Cost: one cluster at list price, 730 hours a month; nodes, Fargate and add-ons are not "
    "included.",
)


def plan_upgrade(
    inputs: PlanInputs,
    to: str,
    target: PlanInputs | None = None,
    today: date | None = None,
) -> PlanReport:
    """Plan the upgrade of `inputs` (the environment as deployed now) to Kubernetes `to`.

    With `target` (the same environment after the change, e.g. a pull request's HEAD that
    sets ``cluster.version: to``), the target's manifests, pins and node settings are
    checked, and a pin that has no release for `to` blocks. Without it, the current ones are
    held against `to` and the pins that must change are listed (a warning: they ride with
    the upgrade). `today` fixes the date for the support-window check (default: today).

    Raises PlanInputError when `to` is not a minor version or `target` does not match.
    """
    to = to.strip()
    if parse_minor(to) is None:
        raise PlanInputError(
            f"--to {to!r}: not a Kubernetes minor version; write it like 1.35 (quoted in YAML)"
        )
    if target is not None and (target.env != inputs.env or target.config.cluster.version != to):
        raise PlanInputError(
            f"{target.config_path}: the target is {target.env} at cluster.version "
            f"{target.config.cluster.version!r}, but the plan is for {inputs.env} → {to}; "
            "pass the same environment after the change"
        )
    ctx = UpgradeContext(
        inputs=inputs,
        deployed=target or inputs,
        current=inputs.config.cluster.version,
        to=to,
        target_mode=target is not None,
        today=today or date.today(),
    )
    report = PlanReport(
        kind="upgrade",
        env=inputs.env,
        title=f"{inputs.env}: upgrade {ctx.current} → {to}",
        assumptions=list(ASSUMPTIONS),
        sources=[s.line() for s in SOURCES],
    )
    report.assumptions.insert(
        0,
        f"Checked: the changed environment ({ctx.config_file}, cluster.version {to}) as it "
        "will be deployed."
        if ctx.target_mode
        else f"Checked: the current environment ({ctx.config_file}) held against {to}; the "
        "pins it needs are listed, not yet set.",
    )
    path_findings = check_version_path(ctx)
    support, support_findings = check_support(ctx)
    report.data = _empty_data(ctx, support)
    if path_findings:
        report.findings = path_findings + support_findings
        report.sections = [
            ("Version path", _path_markdown(ctx)),
            ("Support window and cost", _support_markdown(ctx, support)),
        ]
        return report
    _full_plan(ctx, report, support, support_findings)
    return report


def _empty_data(ctx: UpgradeContext, support: dict[str, Any]) -> dict[str, Any]:
    return {
        "current": ctx.current,
        "target": ctx.to,
        "mode": "target" if ctx.target_mode else "current",
        "cluster": ctx.cluster_name,
        "region": ctx.region,
        "upgrade_policy": support["upgrade_policy"],
        "steps": [],
        "addons": [],
        "charts": [],
        "karpenter": None,
        "kubectl_layer": None,
        "node_groups": [],
        "node_pools": [],
        "fargate_profiles": [],
        "pins": [],
        "removed_apis": [],
        "manifests": None,
        "pdb": [],
        "support": support["versions"],
        "cost": support["cost_per_month"],
    }


def _full_plan(
    ctx: UpgradeContext,
    report: PlanReport,
    support: dict[str, Any],
    support_findings: list[Finding],
) -> None:
    findings: list[Finding] = []
    pins: list[Pin] = []

    addons, found, addon_pins = check_addons(ctx)
    findings += found
    layer, found = check_kubectl_layer(ctx)
    findings += found
    karpenter, found, karpenter_pins = check_karpenter(ctx)
    findings += found
    charts, found = check_charts(ctx)
    findings += found
    findings += check_cluster_autoscaler(ctx)
    groups, found, group_pins = check_node_groups(ctx)
    findings += found
    findings += check_combined_nodegroup_updates(ctx)

    objects, unreadable = read_objects(ctx.deployed)
    ami_pins, found = check_ami_pins(ctx, objects)
    findings += found
    pins = karpenter_pins + ami_pins + group_pins + addon_pins

    validator = load_validator()
    verdicts = check_objects(objects, ctx.current, ctx.to, validator)
    values = chart_values_api_versions(ctx.deployed)
    removed_values = values_verdicts(values, ctx.to)
    findings += api_findings(ctx, verdicts, unreadable, removed_values)
    coverage = pdb_coverage(objects)
    findings += pdb_findings(coverage)
    findings += support_findings

    pools = node_pools(objects)
    profiles = fargate_profiles(ctx)
    steps = build_steps(
        ctx,
        StepInputs(
            addons=addons,
            charts=charts,
            node_groups=groups,
            node_pools=pools,
            fargate_profiles=profiles,
            pins=pins,
            verdicts=verdicts,
            values_apis=values,
            kubectl_layer=layer,
            karpenter=karpenter,
        ),
    )
    report.findings = findings
    report.sections = [
        *steps_markdown(steps),
        ("Pins to set", _pins_markdown(ctx, pins)),
        ("Removed APIs and manifests", _apis_markdown(ctx, verdicts, removed_values, validator)),
        ("Support window and cost", _support_markdown(ctx, support)),
    ]
    if validator is not None:
        report.sources.append(
            f"Kubernetes schemas: kubernetes-validate {validator.version}, bundled versions "
            f"{validator.kubernetes_versions[0]}-{validator.kubernetes_versions[-1]}"
            if validator.kubernetes_versions
            else f"Kubernetes schemas: kubernetes-validate {validator.version} (none bundled)"
        )
    report.data.update(
        {
            "steps": [s.to_json() for s in steps],
            "addons": [a.to_json() for a in addons],
            "charts": [c.to_json() for c in charts],
            "karpenter": karpenter,
            "kubectl_layer": layer,
            "node_groups": [g.to_json() for g in groups],
            "node_pools": pools,
            "fargate_profiles": profiles,
            "pins": [p.to_json() for p in pins],
            "removed_apis": [_removed_json(v) for v in verdicts if v.status == "removed"]
            + [
                {
                    "stack": value.stack,
                    "resource": value.resource,
                    "kind": value.kind,
                    "api_version": value.api_version,
                    "name": f"{value.chart} values {value.path}",
                    "namespace": None,
                    "removed_in": None,
                    "replacement": replacement,
                }
                for value, replacement in removed_values
            ],
            "manifests": {
                "objects": len(verdicts),
                "validator": f"kubernetes-validate {validator.version}" if validator else None,
                "custom_resources": [
                    v.obj.describe() for v in verdicts if v.status == "custom-resource"
                ],
                "schema_errors": [
                    {"object": v.obj.describe(), "detail": v.detail, "new_in_target": v.regression}
                    for v in verdicts
                    if v.status == "schema-error"
                ],
                "unvalidated": sum(1 for v in verdicts if v.status == "unvalidated"),
                "unreadable": [
                    f"{u.stack}/{applied_by(u.logical_id, u.item)}: {u.reason}" for u in unreadable
                ],
                "chart_values_api_versions": len(values),
            },
            "pdb": [
                {
                    "workload": item.workload.describe(),
                    "pdbs": [p.name for p in item.pdbs],
                    "blocks_drain": list(item.blocks_drain),
                }
                for item in coverage
            ],
        }
    )


def _removed_json(verdict: ApiVerdict) -> dict[str, Any]:
    obj = verdict.obj
    return {
        "stack": obj.stack,
        "resource": obj.key[1],
        "kind": obj.kind,
        "api_version": obj.api_version,
        "name": obj.name,
        "namespace": obj.namespace,
        "removed_in": verdict.removed_in,
        "replacement": verdict.replacement,
    }


# -- Markdown -----------------------------------------------------------------------------


def _path_markdown(ctx: UpgradeContext) -> str:
    return (
        f"{ctx.env} runs Kubernetes {ctx.current}. EKS upgrades a control plane forward, one "
        "minor version at a time, to a version this release of eks_blueprint supports; the "
        f"other checks (add-ons, Karpenter, charts, nodes, AMI pins, removed APIs) need such "
        f"a target and did not run for {ctx.to}."
    )


def _pins_markdown(ctx: UpgradeContext, pins: list[Pin]) -> str:
    if not pins:
        return "The environment pins nothing the upgrade depends on."
    rows = [
        [
            f"`{p.path}`",
            p.current,
            (f"**{p.target}**" if p.changes else "unchanged") if p.target else "**unknown**",
            {True: "yes", False: "no", None: "unconfirmed"}[p.exists_for_target],
            p.note,
        ]
        for p in sorted(pins, key=lambda p: not p.changes)
    ]
    changes = [p for p in pins if p.changes]
    in_template = any("/" in p.path for p in changes)
    lead = (
        f"Set in {ctx.config_file}"
        + (" (a stack/logical-id path is set by the code that renders it)" if in_template else "")
        + ":"
        if changes
        else "No pin needs to change."
    )
    return lead + "\n\n" + markdown_table(["pin", "now", "set to", f"fits {ctx.to}", "what"], rows)


def _apis_markdown(
    ctx: UpgradeContext,
    verdicts: list[ApiVerdict],
    removed_values: list[Any],
    validator: Validator | None,
) -> str:
    checker = (
        f"kubernetes-validate {validator.version} (strict schemas)"
        if validator
        else "the removed-API table only (kubernetes-validate is not installed)"
    )
    lines = [
        f"{len(verdicts)} objects from the stacks' manifests, checked for Kubernetes {ctx.to} "
        f"with the removed-API table and {checker}."
    ]
    problems = [v for v in verdicts if v.status in ("removed", "schema-error", "unvalidated")]
    if problems:
        lines += [
            "",
            markdown_table(
                ["object", "status", "detail", "use instead"],
                [[v.obj.describe(), v.status, v.detail, v.replacement or "-"] for v in problems],
            ),
        ]
    else:
        lines.append(f"No object uses an API that {ctx.to} does not serve.")
    custom = [v.obj.describe() for v in verdicts if v.status == "custom-resource"]
    if custom:
        lines += [
            "",
            "Custom resources (no bundled schema; their API comes with their chart, checked "
            "via chart compatibility): " + "; ".join(custom) + ".",
        ]
    lines += [
        "",
        "Helm charts cannot be rendered offline (no chart here): only the apiVersions named "
        f"in their values were checked ({len(removed_values)} removed).",
    ]
    return "\n".join(lines)


def _support_markdown(ctx: UpgradeContext, support: dict[str, Any]) -> str:
    rows = []
    for minor, row in support["versions"].items():
        rows.append(
            [
                f"{minor} ({row['role']})",
                row.get("eks_release", "?"),
                row.get("standard_end", "?"),
                row.get("extended_end", "?"),
                row["status"],
                "yes" if row.get("confirmed") else "**no**",
            ]
        )
    cost = support["cost_per_month"]
    return "\n".join(
        [
            markdown_table(
                [
                    "Kubernetes",
                    "EKS release",
                    "end of standard",
                    "end of extended",
                    f"on {ctx.today.isoformat()}",
                    "confirmed",
                ],
                rows,
            ),
            "",
            f"Upgrade policy (template UpgradePolicy.SupportType): {support['upgrade_policy']}. "
            "STANDARD: at the end of standard support EKS upgrades the control plane itself "
            "(add-ons and nodes stay behind). EXTENDED: the cluster stays, at the extended "
            "price.",
            f"Cluster price: ${cost['standard']:.2f} a month in standard support, "
            f"${cost['extended']:.2f} in extended support (+${cost['extra_in_extended']:.2f}), "
            f"at {cost['hours_per_month']} hours a month.",
        ]
    )
