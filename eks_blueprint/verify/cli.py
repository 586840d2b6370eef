"""The `eks-blueprint-verify` command: options, exit codes and output are checkrun's."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..checkrun import CheckResult, new_parser, run_command
from ..config import EnvironmentConfig
from .checks import run_checks
from .expectations import expectations_from_config
from .facts import Clients

if TYPE_CHECKING:
    import boto3

PROG = "eks-blueprint-verify"


def _parser() -> argparse.ArgumentParser:
    return new_parser(
        PROG,
        "Compare a deployed environment with its config and the best-practice "
        "baseline, using read-only AWS API calls.",
    )


def _verify(
    cfg: EnvironmentConfig, session: boto3.Session, identity: Mapping[str, Any]
) -> list[CheckResult]:
    return run_checks(expectations_from_config(cfg), Clients.from_session(session))


def main(argv: Sequence[str] | None = None, *, session: boto3.Session | None = None) -> int:
    """Run the checks; return the exit code. `session` is for tests (default: a new one)."""
    return run_command(PROG, _parser().parse_args(argv), _verify, session)
