"""`eks-blueprint-review BASE HEAD`: the change-safety report of two synthesised assemblies.

Exit codes: 0 report written; 1 bad input (missing directory, not a cloud assembly, bad
arguments); 2 `--fail-on-replace` and a stateful resource would be replaced or deleted;
3 `--fail-on-blocked-plan` and one of HEAD's plans (upgrade, IP capacity) is blocked.

With `--base-config` and `--head-config` (the config directories each assembly was
synthesised from) the report also shows each environment's plans: the upgrade plan when
`cluster.version` changes, IP capacity, the cost change and a diagram of the change. With
`--base-gitops` and `--head-gitops` (the directories of each side's GitOps trees) it also
shows the Argo CD Applications added, removed and changed, and Namespaces and volumes they
delete as stateful risks (`--fail-on-replace` counts them).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from ..template import AssemblyError, load_assembly
from .diff import compare
from .plans import EnvironmentPlans, environment_plans, render_plans
from .render import render_markdown

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_STATEFUL_RISK = 2
EXIT_BLOCKED_PLAN = 3


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits 1: exit 2 means "stateful resource at risk"."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="eks-blueprint-review",
        description="Report what a change does to the infrastructure: resources added, "
        "removed, modified and replaced, stateful resources at risk, security-relevant "
        "changes, Kubernetes manifests and cdk-nag findings. Offline; reads two cdk.out dirs.",
    )
    parser.add_argument("base", type=Path, help="assembly before the change (e.g. main's cdk.out)")
    parser.add_argument("head", type=Path, help="assembly after the change (the PR's cdk.out)")
    parser.add_argument("--output", "-o", type=Path, help="write Markdown here instead of stdout")
    parser.add_argument(
        "--fail-on-replace",
        action="store_true",
        help="exit 2 if a stateful resource (cluster, node group, KMS key, log group, VPC, "
        "subnet, ECR repository, SQS queue, Fargate profile; a Kubernetes Namespace or "
        "volume) would be replaced or deleted",
    )
    parser.add_argument(
        "--base-config",
        type=Path,
        help="the config directory BASE was synthesised from (with --head-config: add the plans)",
    )
    parser.add_argument(
        "--head-config", type=Path, help="the config directory HEAD was synthesised from"
    )
    parser.add_argument(
        "--base-gitops",
        type=Path,
        help="the directory of BASE's GitOps trees, e.g. its checkout's gitops/ (with "
        "--head-gitops: add the Argo CD Applications that change; a missing one has none)",
    )
    parser.add_argument(
        "--head-gitops", type=Path, help="the directory of HEAD's GitOps trees"
    )
    parser.add_argument(
        "--fail-on-blocked-plan",
        action="store_true",
        help="exit 3 if HEAD's upgrade or IP-capacity plan of an environment is blocked",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the review; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        base = load_assembly(args.base)
        head = load_assembly(args.head)
    except AssemblyError as exc:
        print(f"eks-blueprint-review: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if (args.base_gitops is None) != (args.head_gitops is None):
        print("eks-blueprint-review: give both --base-gitops and --head-gitops", file=sys.stderr)
        return EXIT_ERROR
    report = compare(base, head, base_gitops=args.base_gitops, head_gitops=args.head_gitops)
    plans: list[EnvironmentPlans] = []
    if (args.base_config is None) != (args.head_config is None):
        print("eks-blueprint-review: give both --base-config and --head-config", file=sys.stderr)
        return EXIT_ERROR
    if args.head_config is not None and report.has_changes:
        plans = environment_plans(report, base, head, args.base_config, args.head_config)
    elif args.fail_on_blocked_plan and args.head_config is None:
        print(
            "eks-blueprint-review: --fail-on-blocked-plan needs --base-config and --head-config",
            file=sys.stderr,
        )
        return EXIT_ERROR
    text = render_markdown(report, render_plans(plans))
    if args.output:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(
                f"eks-blueprint-review: cannot write {args.output}: {exc.strerror}", file=sys.stderr
            )
            return EXIT_ERROR
    else:
        sys.stdout.write(text)
    if args.fail_on_replace and report.blocking_risks:
        print(
            f"eks-blueprint-review: {len(report.blocking_risks)} stateful resource(s) would be "
            "replaced or deleted",
            file=sys.stderr,
        )
        return EXIT_STATEFUL_RISK
    blocked = [p for env in plans for p in env.blocked]
    if args.fail_on_blocked_plan and blocked:
        print(
            "eks-blueprint-review: blocked plan(s): " + ", ".join(p.title for p in blocked),
            file=sys.stderr,
        )
        return EXIT_BLOCKED_PLAN
    return EXIT_OK
