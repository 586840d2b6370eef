#!/usr/bin/env python3
"""The eks_blueprint app: one Stage per environment file in config/.

    cdk synth                      every config/*.yaml
    cdk synth -c env=prod          config/prod.yaml
    cdk synth -c config=my.yaml    any file
    cdk synth -c pipeline=config/pipeline.yaml
                                   the platform pipeline's stack, with the environments its
                                   waves name (config/<env>.yaml) inside it

Every selected file (with -c pipeline, the pipeline file and its environments' files) is
validated before anything is built; an invalid one ends the run
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eks_blueprint.config import ConfigError, EnvironmentConfig, load_configs, load_pipeline
from eks_blueprint.config.pipeline import PipelineConfig
from stacks.selection import (
    cli_context,
    config_paths,
    file_context,
    pipeline_file_argument,
    selected,
    selected_pipeline,
)
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


@dataclass(frozen=True)
class PipelineSelection:
    """`-c pipeline=<file>`: the validated pipeline and how its synth step names the file."""

    pipeline: PipelineConfig
    file: str


def main() -> int:
    """Validate the selected configs, then build and synthesise the app."""
    try:
        context = file_context()
        given = context | cli_context(os.environ)
        pipeline_path = selected_pipeline(given)
        selection: PipelineSelection | None = None
        if pipeline_path is None:
            env, config = selected(given)
            configs = load_configs(config_paths(env, config))
        else:
            # The environments are the files next to the pipeline's, e.g. config/<env>.yaml.
            pipeline, configs = load_pipeline(pipeline_path, pipeline_path.parent)
            selection = PipelineSelection(pipeline, pipeline_file_argument(pipeline_path))
    except ConfigError as exc:
        print("Invalid configuration; nothing was synthesised:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    # Only now start jsii: on a supported Node.js, from the virtualenv.
    from stacks.runtime import use_supported_node

    use_supported_node()
    return synthesise(configs, context, selection)


def synthesise(
    configs: Sequence[EnvironmentConfig],
    context: Mapping[str, Any],
    pipeline: PipelineSelection | None = None,
) -> int:
    """Build and synthesise the app (with `pipeline`, the pipeline app); on failure print
    one line per finding (or one line for an unexpected error), remove what this run wrote,
    and return 1."""
    planned = os.environ.get("CDK_OUTDIR")
    outdir: Path | None = Path(planned) if planned else None
    before = snapshot(outdir) if outdir else Snapshot()
    try:
        # inmemory: a failed gate raises with its report instead of also printing it
        inmemory = {**context, APP_MODE_CONTEXT: "inmemory"}
        if pipeline is None:
            from stacks.app_builder import build_app

            app = build_app(configs, context=inmemory, outdir=planned)
        else:
            from stacks.app_builder import build_pipeline_app

            app = build_pipeline_app(
                pipeline.pipeline,
                configs,
                context=inmemory,
                outdir=planned,
                pipeline_file=pipeline.file,
            )
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
    from stacks.runtime import run_once

    run_once(main)
