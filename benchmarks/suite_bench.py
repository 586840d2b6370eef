"""Time `make test`'s phases: ruff, mypy (warm and cold) and pytest, and where pytest's time goes.

    .venv/bin/python benchmarks/suite_bench.py [--runs N] [--top K] [--files K]
        [--phases ruff,mypy-warm,mypy-cold,pytest] [--json FILE] [-- PYTEST ARGS]

(`make bench-suite` runs it with the defaults: every phase once.)

Each phase runs N times in fresh processes (median wall time, and the peak resident memory
of the largest process of its tree: mypy itself; for pytest the test process or a Node.js
it started). `mypy-warm` uses the project's .mypy_cache as `make test` does (run
once first, so a change since the last run does not count as warm); `mypy-cold` uses a new
empty cache directory each run, as a fresh clone or a CI machine without a cache does.
`pytest` runs `python -m pytest -q --durations=0` and lists the slowest setups, calls and
teardowns of the last run and the test files by their summed phases. The session-scoped
synth of every environment shows up as the setup of the first test that uses it: one synth
per session, shared by every test, is the design this checks.

The work the session runs in the background (tests/conftest.py: synths, the CDK CLI, the
site build, ...) is listed too, from the session's background log: each run's seconds, and
when the background core was last busy, next to the test process's own end. The two
finishing together is the balance the design aims for; whichever ends last is the one to cut.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DURATION = re.compile(r"^(\d+\.\d+)s (setup|call|teardown)\s+(\S+)")
SUMMARY = re.compile(r"(\d+) passed.* in ([\d.]+)s")
#: The paths `make test` lints and type-checks.
CHECKED = ["eks_blueprint", "stacks", "app.py", "benchmarks", "scripts"]
PHASES = ("ruff", "mypy-warm", "mypy-cold", "pytest")

#: Runs argv[1:] and prints its wall time and the largest peak RSS (KiB) of its processes.
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "peak_kib": peak, "returncode": done.returncode,
                  "stdout": done.stdout, "stderr": done.stderr}))
"""


def measure(argv: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """`argv` in a fresh process tree from the repository root: wall seconds, the largest
    peak RSS of its (waited-for) processes."""
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURE, *argv], cwd=ROOT, capture_output=True, text=True,
        check=True, env=env,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    if result["returncode"] != 0:
        tail = result["stdout"][-3000:] + result["stderr"][-2000:]
        raise SystemExit(f"{' '.join(argv[:3])} ... failed:\n{tail}")
    return result


def phase_argv(phase: str, extra: list[str], cache: Path) -> list[str]:
    if phase == "ruff":
        return [str(BIN / "ruff"), "check", *CHECKED]
    if phase == "mypy-warm":
        return [str(BIN / "mypy"), *CHECKED]
    if phase == "mypy-cold":
        return [str(BIN / "mypy"), "--cache-dir", str(cache), *CHECKED]
    return [sys.executable, "-m", "pytest", "-q", "--durations=0", *extra]


#: tests/conftest.py's BACKGROUND_LOG: the environment variable naming the background log.
BACKGROUND_LOG = "EKS_BLUEPRINT_BACKGROUND_LOG"


def run_phase(
    phase: str, runs: int, extra: list[str]
) -> tuple[list[dict[str, Any]], str, list[dict[str, Any]]]:
    """The phase's `runs` measurements (each with its epoch `start`), the last run's output
    and (pytest) background log."""
    if phase == "mypy-warm":
        measure(phase_argv(phase, extra, ROOT))  # bring .mypy_cache up to this tree
    results = []
    log: list[dict[str, Any]] = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="mypy-cold-") as cache:
            path = Path(cache) / "background.jsonl"
            env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            env[BACKGROUND_LOG] = str(path)
            start = time.time()
            results.append({**measure(phase_argv(phase, extra, Path(cache)), env), "start": start})
            text = path.read_text(encoding="utf-8") if path.exists() else ""
            log = [json.loads(line) for line in text.splitlines()]
    return results, results[-1]["stdout"], log


def background_table(log: list[dict[str, Any]], wall: float, started: float) -> list[str]:
    """The background runs of one session, longest first, and when the work ended."""
    runs = sorted((r for r in log if r["what"] == "run"), key=lambda r: r["start"] - r["end"])
    waits = [r for r in log if r["what"] == "wait"]
    if not runs:
        return []
    first = min(r["start"] for r in log)
    busy = sum(r["end"] - r["start"] for r in runs)
    lines = [
        f"\nbackground: {len(runs)} runs, {busy:.1f} s in all; the last ended "
        f"{max(r['end'] for r in runs) - started:.1f} s into the {wall:.1f} s run; the test "
        f"process waited on them {sum(r['end'] - r['start'] for r in waits):.1f} s\n",
        "| starts at (s) | seconds | background run |",
        "|---:|---:|---|",
    ]
    for run in runs[:12]:
        label = run["label"].replace(str(ROOT) + "/", "").replace("|", "/").splitlines()[0]
        lines.append(f"| {run['start'] - first:.1f} | {run['end'] - run['start']:.1f} | "
                     f"`{label[:90]}` |")
    return lines


def slowest(output: str) -> list[dict[str, Any]]:
    return [
        {"seconds": float(m.group(1)), "phase": m.group(2), "test": m.group(3)}
        for line in output.splitlines()
        if (m := DURATION.match(line.strip()))
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per phase (default 1)")
    parser.add_argument("--top", type=int, default=10, help="slowest pytest phases to list")
    parser.add_argument("--files", type=int, default=10, help="slowest test files to list")
    parser.add_argument(
        "--phases", default=",".join(PHASES), help=f"comma-separated, of: {' '.join(PHASES)} (all)"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    options = parser.parse_args()
    phases = [p for p in options.phases.split(",") if p]
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    report: dict[str, Any] = {}
    print(f"| phase | median wall (s) of {options.runs} | peak RSS (MiB) |")
    print("|---|---:|---:|")
    output = ""
    background: list[str] = []
    for phase in phases:
        results, out, log = run_phase(phase, options.runs, options.pytest_args)
        walls = [r["wall"] for r in results]
        peak = max(r["peak_kib"] for r in results) / 1024
        report[phase] = {"wall_seconds": walls, "peak_mib": peak}
        print(f"| {phase} | {statistics.median(walls):.1f} | {peak:.0f} |")
        if phase == "pytest":
            output = out
            report["background"] = log
            background = background_table(log, walls[-1], results[-1]["start"])
    if output:
        rows = slowest(output)
        summary = SUMMARY.search(output)
        report["tests"] = int(summary.group(1)) if summary else 0
        report["slowest"] = rows[: options.top]
        by_file: Counter[str] = Counter()
        for row in rows:
            by_file[row["test"].split("::")[0]] += row["seconds"]
        report["files"] = [{"file": f, "seconds": s} for f, s in by_file.most_common(options.files)]
        total = sum(by_file.values())
        print(f"\npytest: {report['tests']} tests; their phases sum to {total:.1f} s\n")
        print("| seconds | phase | test |")
        print("|---:|---|---|")
        for row in report["slowest"]:
            print(f"| {row['seconds']:.2f} | {row['phase']} | `{row['test']}` |")
        print("\n| seconds | test file |")
        print("|---:|---|")
        for row in report["files"]:
            print(f"| {row['seconds']:.1f} | `{row['file']}` |")
        print("\n".join(background))
    if options.json:
        options.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
