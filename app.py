#!/usr/bin/env python3
"""The eks_blueprint app: one Stage per environment file in config/.

    cdk synth                      every config/*.yaml
    cdk synth -c env=prod          config/prod.yaml
    cdk synth -c config=my.yaml    any file

Every selected file is validated before anything is built; an invalid one ends the run
with one line per problem and exit code 1, and nothing is written to cdk.out.

A compliance gate that fails at synth (cdk-nag packs, this project's EKS pack) ends the run
with one line per finding and exit code 1; the templates and assets of the run are removed
and only validation-report.json is kept in the output directory. Any other failure during
synth is one line, asking to report it, and also leaves no half-written cdk.out.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eks_blueprint.config import ConfigError, EnvironmentConfig, load_configs
from stacks.selection import cli_context, config_paths, file_context, selected
from stacks.synth_report import (
    APP_MODE_CONTEXT,
    REPORT_FILE,
    Snapshot,
    findings,
    first_line,
    gate_failed,
    read_report,
    remove_written,
    snapshot,
    written_since,
)


def main() -> int:
    """Validate the selected configs, then build and synthesise the app."""
    try:
        context = file_context()
        env, config = selected(context | cli_context(os.environ))
        configs = load_configs(config_paths(env, config))
    except ConfigError as exc:
        print("Invalid configuration; nothing was synthesised:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    # Only now start jsii: on a supported Node.js, from the virtualenv.
    from stacks.runtime import use_supported_node

    use_supported_node()
    return synthesise(configs, context)


def synthesise(configs: Sequence[EnvironmentConfig], context: Mapping[str, Any]) -> int:
    """Build and synthesise the app; on failure print one line per finding (or one line for
    an unexpected error), remove what this run wrote, and return 1."""
    from stacks.app_builder import build_app

    planned = os.environ.get("CDK_OUTDIR")
    outdir: Path | None = Path(planned) if planned else None
    before = snapshot(outdir) if outdir else Snapshot()
    try:
        # inmemory: a failed gate raises with its report instead of also printing it
        app = build_app(configs, context={**context, APP_MODE_CONTEXT: "inmemory"}, outdir=planned)
        outdir = Path(app.outdir)
        app.synth()
    except Exception as exc:  # jsii raises RuntimeError for everything, gates included
        return _failed(outdir, before, exc)
    return _failed(outdir, before, None) if _gate_report(outdir, before) else 0


def _gate_report(outdir: Path | None, before: Snapshot) -> dict[str, Any] | None:
    """The validation report this run wrote, if a compliance gate failed in it."""
    if outdir is None or outdir / REPORT_FILE not in written_since(outdir, before):
        return None
    report = read_report(outdir)
    return report if report is not None and gate_failed(report) else None


def _failed(outdir: Path | None, before: Snapshot, exc: Exception | None) -> int:
    report = _gate_report(outdir, before)
    if outdir is not None and report is not None:
        remove_written(outdir, before, keep=[REPORT_FILE])
        found = findings(report)
        print(
            f"Compliance gates failed with {len(found)} finding(s); the templates were removed "
            "and nothing was synthesised:",
            file=sys.stderr,
        )
        for finding in found:
            print(f"  {finding.line()}", file=sys.stderr)
        print(
            f"Full report: {outdir / REPORT_FILE}. Fix the resource, or acknowledge the rule "
            "on it with a reason (eks_blueprint.compliance.acknowledge).",
            file=sys.stderr,
        )
        return 1
    if outdir is not None:
        remove_written(outdir, before)
    detail = first_line(exc) if exc is not None else "unknown error"
    print(
        f"Synthesis failed unexpectedly ({detail}); nothing was written to the cloud "
        "assembly. This is a bug in eks_blueprint, not in your configuration: please report "
        "this, with the command you ran.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
