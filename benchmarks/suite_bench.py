"""Time the test suite: wall time, and where it goes (pytest's slowest phases).

    .venv/bin/python benchmarks/suite_bench.py [--runs N] [--top K] [--json FILE] [-- PYTEST ARGS]

Runs `python -m pytest -q --durations=K` N times in fresh processes and prints the median
wall time and the slowest setups, calls and teardowns of the last run. The session-scoped
synth of every environment shows up as the setup of the first test that uses it: one synth
per session, shared by every test, is the design this checks.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DURATION = re.compile(r"^(\d+\.\d+)s (setup|call|teardown)\s+(\S+)")
SUMMARY = re.compile(r"(\d+) passed.* in ([\d.]+)s")


def run_once(top: int, extra: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", f"--durations={top}", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the suite failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    return elapsed, proc.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs (default 1)")
    parser.add_argument("--top", type=int, default=10, help="slowest phases to list")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    options = parser.parse_args()
    walls: list[float] = []
    output = ""
    for _ in range(options.runs):
        wall, output = run_once(options.top, options.pytest_args)
        walls.append(wall)
    slowest = [
        {"seconds": float(m.group(1)), "phase": m.group(2), "test": m.group(3)}
        for line in output.splitlines()
        if (m := DURATION.match(line.strip()))
    ]
    summary = SUMMARY.search(output)
    tests = int(summary.group(1)) if summary else 0
    print(f"test suite, median of {options.runs} run(s): {statistics.median(walls):.1f} s wall, "
          f"{tests} tests\n")
    print("| seconds | phase | test |")
    print("|---:|---|---|")
    for row in slowest:
        print(f"| {row['seconds']:.2f} | {row['phase']} | `{row['test']}` |")
    if options.json:
        options.json.write_text(
            json.dumps({"wall_seconds": walls, "tests": tests, "slowest": slowest}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
