"""The `eks-blueprint-preflight` command: options, exit codes and output are checkrun's."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..checkrun import CheckResult, new_parser, run_command
from ..config import EnvironmentConfig
from .checks import run_checks
from .context import Context

if TYPE_CHECKING:
    import boto3

PROG = "eks-blueprint-preflight"


def _parser() -> argparse.ArgumentParser:
    parser = new_parser(
        PROG,
        "Check, with read-only AWS API calls, that the target account and region can take "
        "an environment, before its first cdk deploy.",
    )
    parser.add_argument(
        "--cdk-out",
        type=Path,
        default=Path("cdk.out"),
        help="the synthesised cloud assembly (default: ./cdk.out); the environment's is "
        "<cdk-out>/assembly-<env>",
    )
    return parser


def main(argv: Sequence[str] | None = None, *, session: boto3.Session | None = None) -> int:
    """Run the checks; return the exit code. `session` is for tests (default: a new one)."""
    args = _parser().parse_args(argv)
    hint = (
        f"run `bin/cdk synth -c config={args.config}` first"
        if args.config
        else f"run `make synth` (or `bin/cdk synth -c env={args.env}`) first"
    )

    def preflight(
        cfg: EnvironmentConfig, session: boto3.Session, identity: Mapping[str, Any]
    ) -> list[CheckResult]:
        return run_checks(Context(cfg, session, identity, args.cdk_out, hint))

    return run_command(PROG, args, preflight, session)
