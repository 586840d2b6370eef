"""`python -m eks_blueprint.plan {upgrade,ips,cost,diagram} --env NAME`.

Reads ``<config-dir>/<env>.yaml`` and the environment's stage in ``--assembly`` (default
``cdk.out``; synthesise it first with ``make synth ENV=<env>``). Prints Markdown, or JSON
with ``--format json``.

Exit codes: 0 the plan is clear; 1 the plan is blocked; 2 bad input (unknown environment,
invalid config, no or stale assembly, bad arguments), with the file and the fix named.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .inputs import PlanInputError, PlanInputs, load_inputs
from .model import PlanReport

EXIT_CLEAR = 0
EXIT_BLOCKED = 1
EXIT_BAD_INPUT = 2

#: Subcommand -> one-line help. The function is ``eks_blueprint.plan.<name>.plan_<name>``,
#: imported only when that subcommand runs.
SUBCOMMANDS: dict[str, str] = {
    "upgrade": "the steps and blocking checks of a Kubernetes minor-version upgrade",
    "ips": "max pods per node, worst-case nodes and the addresses they need per subnet",
    "cost": "the monthly baseline (minimum sizes) and ceiling (maximum sizes, limits)",
    "diagram": "a Mermaid diagram of the stacks, network, cluster, capacity and tenants",
}


def plan_function(kind: str) -> Callable[..., PlanReport]:
    """``plan_<kind>`` from ``eks_blueprint.plan.<kind>``."""
    module = importlib.import_module(f"{__package__}.{kind}")
    function: Callable[..., PlanReport] = getattr(module, f"plan_{kind}")
    return function


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eks_blueprint.plan",
        description="Plan before you apply: offline plans of one environment from its "
        "config file and its synthesised assembly. Exit 0 clear, 1 blocked, 2 bad input.",
    )
    sub = parser.add_subparsers(
        dest="kind", required=True, metavar="{" + ",".join(SUBCOMMANDS) + "}"
    )
    for kind, help_text in SUBCOMMANDS.items():
        p = sub.add_parser(kind, help=help_text, description=help_text)
        p.add_argument("--env", required=True, help="environment name: config/<env>.yaml")
        p.add_argument("--config-dir", type=Path, default=Path("config"), help="default: config")
        p.add_argument(
            "--assembly",
            type=Path,
            default=Path("cdk.out"),
            help="the synthesised cloud assembly (default: cdk.out; make synth ENV=<env>)",
        )
        p.add_argument("--format", choices=("markdown", "json"), default="markdown")
        p.add_argument("--output", "-o", type=Path, help="write here instead of stdout")
        if kind == "upgrade":
            p.add_argument("--to", required=True, help='target Kubernetes version, e.g. "1.35"')
        if kind == "ips":
            p.add_argument(
                "--headroom",
                type=float,
                help="percent of each subnet kept free (default: network.ip_headroom_percent "
                "in the config)",
            )
    return parser


def _options(args: argparse.Namespace) -> dict[str, Any]:
    if args.kind == "upgrade":
        return {"to": args.to}
    if args.kind == "ips" and args.headroom is not None:
        return {"headroom_percent": args.headroom}
    return {}


def run(kind: str, inputs: PlanInputs, **options: Any) -> PlanReport:
    """Run one plan on loaded inputs (what the review calls too)."""
    return plan_function(kind)(inputs, **options)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one plan; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        inputs = load_inputs(args.env, args.config_dir, args.assembly)
        report = run(args.kind, inputs, **_options(args))
    except PlanInputError as exc:
        print(f"eks_blueprint.plan {args.kind}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.format == "json":
        text = json.dumps(report.to_json(), indent=2, sort_keys=False) + "\n"
    else:
        text = report.to_markdown()
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(
                f"eks_blueprint.plan: cannot write {args.output}: {exc.strerror}", file=sys.stderr
            )
            return EXIT_BAD_INPUT
    else:
        sys.stdout.write(text)
    return EXIT_BLOCKED if report.blocked else EXIT_CLEAR
