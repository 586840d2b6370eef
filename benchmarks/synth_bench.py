"""Measure synth: each environment, all in one process, and the floor (an empty CDK app).

    .venv/bin/python benchmarks/synth_bench.py [--runs N] [--json FILE] [--cli]

Each case runs N times as a fresh process, exactly as the CDK CLI runs app.py (context in
CDK_CONTEXT_JSON, output in CDK_OUTDIR). Prints medians of wall time and of peak RSS (the
sum over the process tree: python + the jsii Node.js runtime), the ratio to the floor
measured in the same run, and per stack the resources, template bytes and Lambda-backed
custom resources of the last synth. With --cli it also times the pinned CDK CLI
(`bin/cdk synth --quiet --no-lookups -c env=<name>`) per environment: the CLI's own start-up
plus one run of the app (a context lookup would make it run the app twice).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: The environments: config/*.yaml but the pipeline's file (as
#: eks_blueprint.config.pipeline.environment_names; this script runs without the package).
ENVS = sorted(p.stem for p in (ROOT / "config").glob("*.yaml") if p.stem != "pipeline")


def _tree_rss_kib(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields.get("PPid", "0").strip()), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_case(args: list[str], context: dict[str, str], outdir: Path) -> tuple[float, int]:
    """Run one synth; return (seconds, peak RSS in MiB of the whole process tree)."""
    env = {**os.environ, "CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(context)}
    if args[0] == "bin/cdk":  # the CLI runs the app itself, with cdk.json's context
        command = [str(ROOT / "bin" / "cdk"), *args[1:], "--output", str(outdir)]
        for key, value in context.items():
            command += ["-c", f"{key}={value}"]
    else:
        command = [sys.executable, *args]
    elapsed, peak_mib, returncode, stderr = run_sampled(command, ROOT, env)
    if returncode != 0:
        raise SystemExit(f"synth failed ({' '.join(args)} {context}):\n{stderr.decode()[-2000:]}")
    return elapsed, peak_mib


def run_sampled(
    command: list[str], cwd: Path, env: dict[str, str]
) -> tuple[float, int, int, bytes]:
    """Run `command` (stdout discarded), sampling its process tree's RSS every 50 ms; return
    (wall seconds, peak RSS in MiB, exit code, stderr)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    return elapsed, peak // 1024, proc.returncode, stderr


def stack_stats(outdir: Path) -> list[dict[str, Any]]:
    """Per stack: resources, template bytes and Lambda-backed custom resources."""
    rows = []
    for template_path in sorted(outdir.glob("assembly-*/*.template.json")):
        template = json.loads(template_path.read_text())
        resources = template.get("Resources", {})
        custom = [
            r["Type"]
            for r in resources.values()
            if r["Type"].startswith("Custom::")
            or r["Type"] == "AWS::CloudFormation::CustomResource"
        ]
        rows.append(
            {
                "stack": template_path.parent.name.removeprefix("assembly-")
                + "/"
                + template_path.stem.removesuffix(".template"),
                "resources": len(resources),
                "bytes": template_path.stat().st_size,
                "lambda_functions": sum(
                    r["Type"] == "AWS::Lambda::Function" for r in resources.values()
                ),
                "custom_resources": len(custom),
                "custom_types": sorted(set(custom)),
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--cli", action="store_true", help="also time `bin/cdk synth` per env")
    options = parser.parse_args()

    cases: list[tuple[str, list[str], dict[str, str]]] = [
        ("floor (empty app, same App settings)", ["benchmarks/empty_app.py"], {}),
        ("empty app, CDK defaults", ["benchmarks/empty_app.py", "--cdk-defaults"], {}),
    ]
    cases += [(f"env {name}", ["app.py"], {"env": name}) for name in ENVS]
    cases.append((f"all {len(ENVS)} envs, one process", ["app.py"], {}))
    if options.cli:
        cases += [
            (f"CLI synth env {name}", ["bin/cdk", "synth", "--quiet", "--no-lookups"],
             {"env": name})
            for name in ENVS
        ]

    seconds: dict[str, list[float]] = {}
    rss_mib: dict[str, list[int]] = {}
    last_all: Path | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(options.runs):
            for index, (label, args, context) in enumerate(cases):  # interleaved: drift hits all
                outdir = Path(tmp) / f"run{run}-case{index}"
                elapsed, rss = run_case(args, context, outdir)
                seconds.setdefault(label, []).append(elapsed)
                rss_mib.setdefault(label, []).append(rss)
                if not context and args == ["app.py"]:
                    last_all = outdir
        floor = statistics.median(seconds[cases[0][0]])
        print(f"synth, median of {options.runs} runs (machine: {os.cpu_count()} cores)\n")
        print("| case | median s | x floor | peak RSS MiB |")
        print("|---|---:|---:|---:|")
        summary = {}
        for label, times in seconds.items():
            median = statistics.median(times)
            median_rss = statistics.median(rss_mib[label])
            summary[label] = {
                "median_s": round(median, 2),
                "x_floor": round(median / floor, 2),
                "peak_rss_mib": median_rss,
            }
            print(f"| {label} | {median:.2f} | {median / floor:.2f} | {median_rss:.0f} |")
        assert last_all is not None
        stats = stack_stats(last_all)
        print("\n| stack | resources | template bytes | Lambda functions | custom resources |")
        print("|---|---:|---:|---:|---:|")
        for row in stats:
            types = f" ({', '.join(row['custom_types'])})" if row["custom_types"] else ""
            print(
                f"| {row['stack']} | {row['resources']} | {row['bytes']} | "
                f"{row['lambda_functions']} | {row['custom_resources']}{types} |"
            )
        if options.json:
            options.json.write_text(json.dumps({"synth": summary, "stacks": stats}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
