"""What a change does to each environment's plans: upgrade, IP capacity, cost and picture.

The review compares templates; this module adds the plans of :mod:`eks_blueprint.plan`, run
on BASE and on HEAD (each from its own config directory and assembly) and compared:

* **upgrade**, when the change moves ``cluster.version``: the plan from BASE's version to
  HEAD's, checking HEAD's manifests, pins and add-ons (what will be deployed);
* **ips**: HEAD's verdict, and the worst-case addresses before and after;
* **cost**: one sentence, "this change raises prod's monthly baseline by $X, and its
  ceiling by $Y";
* **diagram**: HEAD's Mermaid picture with the resources the change adds, replaces or
  removes highlighted (drawn only for environments the change touches).

A plan that cannot run on one side (BASE predates an environment, or its config no longer
loads with HEAD's code) is reported as a note, never as a failure of the review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .model import Report

if TYPE_CHECKING:
    from ..plan import PlanInputs, PlanReport
    from ..template import Assembly

ChangeKind = Literal["add", "replace", "remove"]


@dataclass
class EnvironmentPlans:
    """The plans of one environment, before and after the change."""

    env: str
    changed: bool
    """Whether the change touches any of the environment's stacks."""
    notes: list[str] = field(default_factory=list)
    upgrade: PlanReport | None = None
    ips_base: PlanReport | None = None
    ips_head: PlanReport | None = None
    cost_base: PlanReport | None = None
    cost_head: PlanReport | None = None
    cost_sentence: str | None = None
    diagram: PlanReport | None = None

    @property
    def blocked(self) -> list[PlanReport]:
        """HEAD's plans that are blocked: the ones `--fail-on-blocked-plan` fails on."""
        return [p for p in (self.upgrade, self.ips_head) if p is not None and p.blocked]


def environment_plans(
    report: Report,
    base_assembly: Assembly,
    head_assembly: Assembly,
    base_config: Path,
    head_config: Path,
) -> list[EnvironmentPlans]:
    """The plans of every environment HEAD has (a config file and a stage in its assembly),
    from the two assemblies the review already loaded."""
    from ..plan import PlanInputError, load_inputs
    from ..plan.diagram import changes_from_review
    from ..plan.inputs import stage_stacks

    head_stacks = head_assembly.stacks.values()
    envs = [
        p.stem
        for p in sorted(head_config.glob("*.yaml"))
        if p.stem != "pipeline" and stage_stacks(head_stacks, p.stem)
    ]
    results: list[EnvironmentPlans] = []
    for env in envs:
        plans = EnvironmentPlans(env=env, changed=_touched(report, env))
        results.append(plans)
        try:
            head = load_inputs(env, head_config, head_assembly)
        except PlanInputError as exc:
            plans.notes.append(f"HEAD cannot be planned: {_first_line(exc)}")
            continue
        base: PlanInputs | None
        try:
            base = load_inputs(env, base_config, base_assembly)
        except PlanInputError as exc:
            base = None
            plans.notes.append(f"BASE cannot be planned ({_first_line(exc)}): HEAD alone shown")
        _plan(plans, base, head, changes_from_review(report, env))
    return results


def _plan(
    plans: EnvironmentPlans,
    base: PlanInputs | None,
    head: PlanInputs,
    changes: Mapping[tuple[str, str], ChangeKind],
) -> None:
    from ..plan.cost import cost_change_sentence, plan_cost
    from ..plan.diagram import plan_diagram
    from ..plan.ips import plan_ips

    if base is not None and base.config.cluster.version != head.config.cluster.version:
        from ..plan.upgrade import plan_upgrade

        plans.upgrade = plan_upgrade(base, to=head.config.cluster.version, target=head)
    plans.ips_head = plan_ips(head)
    plans.cost_head = plan_cost(head)
    if base is not None:
        plans.ips_base = plan_ips(base)
        plans.cost_base = plan_cost(base)
        plans.cost_sentence = cost_change_sentence(plans.cost_base, plans.cost_head)
    if plans.changed:
        plans.diagram = plan_diagram(head, changes=changes, base=base)


def _touched(report: Report, env: str) -> bool:
    """Whether the change touches any of the environment's stacks."""
    return any(
        s.has_changes for s in report.stacks if s.stage == env or s.stage.endswith(f"/{env}")
    )


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _ips_line(report: PlanReport) -> str:
    """`clear: worst case 106 nodes; tightest subnet Private eu-west-1a 5472 of 7344`."""
    subnets: list[dict[str, Any]] = report.data.get("subnets") or []
    nodes = (report.data.get("totals") or {}).get("nodes")
    if not subnets or nodes is None:
        return report.status

    def share(subnet: dict[str, Any]) -> float:
        return float(subnet["needed_charged"]) / max(int(subnet["usable"]), 1)

    tight = max(subnets, key=share)
    return (
        f"{report.status}: worst case {nodes} nodes; tightest subnet {tight['name']} "
        f"{tight['az']} ({tight['cidr']}) needs {tight['needed_charged']} of "
        f"{tight['usable']} usable addresses"
    )


def render_plans(plans: list[EnvironmentPlans]) -> list[str]:
    """The review's "Plans" section, one block per environment."""
    if not plans:
        return []
    out = ["### Plans", ""]
    for env in plans:
        out += [f"#### {env.env}", ""]
        out += [f"- note: {n}" for n in env.notes]
        if env.cost_sentence:
            out.append(f"- cost: {env.cost_sentence}")
        if env.ips_head is not None:
            line = f"- IP capacity: {_ips_line(env.ips_head)}"
            if env.ips_base is not None:
                line += f" (BASE {_ips_line(env.ips_base)})"
            out.append(line)
            out += [
                f"  - ⛔ `{f.check}`: {f.message}"
                for f in env.ips_head.findings
                if f.severity == "block"
            ]
        out.append("")
        if env.upgrade is not None:
            out.append(env.upgrade.to_markdown(heading_level=5))
        if env.diagram is not None:
            out += ["<details><summary>Diagram of this change</summary>", ""]
            out.append(env.diagram.to_markdown(heading_level=5))
            out += ["</details>", ""]
    return out
