"""Side by side with EKS Blueprints for CDK: our dev environment against its comparable cluster.

    .venv/bin/python benchmarks/anchor_bench.py [--runs N] [--warmup N] [--json FILE]

`make bench-anchor` installs benchmarks/anchor/ (EKS Blueprints and the CDK it pins, from
that folder's own package-lock.json) and runs this; nothing else installs it. Each run times
four fresh processes, interleaved so the machine's drift hits both sides alike:

  Blueprints app  `node app.js` in benchmarks/anchor
  ours app        `python app.py` with context env=dev
                  (both apps get CDK_OUTDIR and CDK_CONTEXT_JSON as their CLI would set them:
                  cdk.json's and cdk.context.json's context, -c values, the CLI's own keys)
  Blueprints CLI  its pinned CLI: `cdk synth --quiet --no-lookups` in benchmarks/anchor
  ours CLI        `bin/cdk synth --quiet --no-lookups -c env=dev`

Both CLIs run as `node <node_modules>/aws-cdk/bin/cdk` on the virtualenv's Node.js (npx
would add npm's own start-up to one side). Prints the medians and the ratio ours/Blueprints
per pair against the targets (CLI at most 1.5x, app at most 2x), the pinned versions of both
sides, and per side the resources, Lambda functions and Lambda-backed custom resources of
the synthesised templates (nested stacks included), with the median peak RSS of each case.

It is an honest comparison of *our dev environment* (config/dev.yaml: also tenants,
governance, EFS, flow logs, interface endpoints, the nag packs ...) with the cluster
Blueprints builds for the same kind of platform; the resource counts show the difference in
what each synthesises. A benchmark, not a gate: exit 0 unless a synth fails to run.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.metadata
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth_bench import run_sampled  # the same process-tree RSS as `make bench`

ROOT = Path(__file__).resolve().parent.parent
ANCHOR = ROOT / "benchmarks" / "anchor"
NODE = ROOT / ".venv" / "bin" / "node"
#: The pairs, their target (ours / Blueprints at most this) and the two cases of each.
PAIRS: dict[str, tuple[float, str, str]] = {
    "CLI synth (one environment)": (1.5, "Blueprints CLI", "ours CLI"),
    "app process": (2.0, "Blueprints app", "ours app"),
}


@dataclass(frozen=True)
class Case:
    """One process to time: its command, working directory and extra environment."""

    label: str
    command: list[str]
    cwd: Path
    env: dict[str, str]


#: What both CLIs add to the context they pass an app (read from their CDK_CONTEXT_JSON).
CLI_CONTEXT: dict[str, Any] = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
    "aws:cdk:bundling-stacks": ["**"],
}


def _app_env(outdir: Path, folder: Path, **given: str) -> dict[str, str]:
    """CDK_OUTDIR and CDK_CONTEXT_JSON as the CDK CLI sets them for the app of
    folder/cdk.json: its context, cdk.context.json's, the `-c` values and the CLI's keys."""
    context: dict[str, Any] = dict(json.loads((folder / "cdk.json").read_text()).get("context", {}))
    cached = folder / "cdk.context.json"
    if cached.exists():
        context.update(json.loads(cached.read_text()))
    context |= given | CLI_CONTEXT
    return {"CDK_OUTDIR": str(outdir), "CDK_CONTEXT_JSON": json.dumps(context)}


def cases(outdir: Path) -> list[Case]:
    """The four processes of one run, writing into outdir/<case>."""
    cli = ["synth", "--quiet", "--no-lookups"]
    return [
        Case(
            "Blueprints app",
            [str(NODE), "app.js"],
            ANCHOR,
            _app_env(outdir / "bp-app", ANCHOR),
        ),
        Case(
            "ours app",
            [sys.executable, "app.py"],
            ROOT,
            _app_env(outdir / "ours-app", ROOT, env="dev"),
        ),
        Case(
            "Blueprints CLI",
            [str(NODE), str(ANCHOR / "node_modules/aws-cdk/bin/cdk"), *cli,
             "--output", str(outdir / "bp-cli")],
            ANCHOR,
            {},
        ),
        Case(
            "ours CLI",
            [str(ROOT / "bin" / "cdk"), *cli, "-c", "env=dev",
             "--output", str(outdir / "ours-cli")],
            ROOT,
            {},
        ),
    ]


@dataclass(frozen=True)
class Sample:
    """One timed run of a case."""

    wall_s: float
    #: CPU seconds (user + system) of the process and every descendant it waited for: less
    #: sensitive than wall time to other work on the machine.
    cpu_s: float
    #: Peak resident memory of the whole process tree.
    rss_mib: int


def timed(case: Case) -> Sample:
    """Run one case: wall and CPU time, and peak RSS of its whole process tree."""
    env = {**os.environ, "PATH": f"{NODE.parent}:{os.environ.get('PATH', '')}", **case.env}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed, peak_mib, returncode, stderr = run_sampled(case.command, case.cwd, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if returncode != 0:
        raise SystemExit(f"{case.label} failed ({' '.join(case.command)}):\n"
                         f"{stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(elapsed, cpu, peak_mib)


def template_stats(outdir: Path) -> dict[str, Any]:
    """Resources, Lambda functions and Lambda-backed custom resources of all templates."""
    types: Counter[str] = Counter()
    templates = sorted(outdir.rglob("*.template.json"))
    for path in templates:
        for declared in json.loads(path.read_text()).get("Resources", {}).values():
            types[declared["Type"]] += 1
    custom = {
        t: n for t, n in types.items()
        if t.startswith("Custom::") or t == "AWS::CloudFormation::CustomResource"
    }
    return {
        "templates": len(templates),
        "resources": sum(types.values()),
        "lambda_functions": types["AWS::Lambda::Function"],
        "custom_resources": sum(custom.values()),
        "custom_types": dict(sorted(custom.items())),
    }


def _package_version(folder: Path, name: str) -> str:
    package = folder / "node_modules" / name / "package.json"
    return str(json.loads(package.read_text())["version"])


def versions() -> dict[str, dict[str, str]]:
    """The pinned versions each side ran with, read from what is installed."""
    return {
        "blueprints": {
            "@aws-quickstart/eks-blueprints": _package_version(
                ANCHOR, "@aws-quickstart/eks-blueprints"
            ),
            "aws-cdk-lib": _package_version(ANCHOR, "aws-cdk-lib"),
            "aws-cdk (CLI)": _package_version(ANCHOR, "aws-cdk"),
            "constructs": _package_version(ANCHOR, "constructs"),
        },
        "ours": {
            "eks-blueprint": _our_version(),
            "aws-cdk-lib": importlib.metadata.version("aws-cdk-lib"),
            "aws-cdk (CLI)": _package_version(ROOT, "aws-cdk"),
            "constructs": importlib.metadata.version("constructs"),
        },
        "both": {
            "node": subprocess.run(
                [str(NODE), "--version"], capture_output=True, text=True, check=True
            ).stdout.strip(),
            "python": sys.version.split()[0],
        },
    }


def _our_version() -> str:
    """This checkout's version (eks_blueprint.__version__), read without importing CDK."""
    found = re.search(
        r'^__version__ = "([^"]+)"', (ROOT / "eks_blueprint" / "__init__.py").read_text(), re.M
    )
    return found.group(1) if found else "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (default 5)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed rounds first, to warm caches (default 1)"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    options = parser.parse_args()
    if options.runs < 1 or options.warmup < 0:
        parser.error("--runs must be at least 1 and --warmup at least 0")
    if not (ANCHOR / "node_modules" / "@aws-quickstart" / "eks-blueprints").is_dir():
        print("benchmarks/anchor is not installed: run `make bench-anchor`", file=sys.stderr)
        return 2

    samples: dict[str, list[Sample]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        last = Path(tmp)
        for run in range(options.warmup + options.runs):
            last = Path(tmp) / f"run{run}"
            for case in cases(last):  # interleaved: drift hits both sides
                result = timed(case)
                if run >= options.warmup:
                    samples.setdefault(case.label, []).append(result)
        stats = {
            "Blueprints": template_stats(last / "bp-cli"),
            "ours (dev)": template_stats(last / "ours-cli"),
        }
        # The app cases must do the CLI's work: the same templates from the same context.
        for side, app in (("Blueprints", "bp-app"), ("ours (dev)", "ours-app")):
            if template_stats(last / app) != stats[side]:
                print(f"warning: {side}'s app process synthesised other templates than its CLI",
                      file=sys.stderr)
    total = time.perf_counter() - started

    wall = {label: statistics.median(s.wall_s for s in runs) for label, runs in samples.items()}
    cpu = {label: statistics.median(s.cpu_s for s in runs) for label, runs in samples.items()}
    rss = {label: statistics.median(s.rss_mib for s in runs) for label, runs in samples.items()}
    load = os.getloadavg()[1]  # the 5-minute load: other work on the machine while measuring
    print(f"Synth side by side with EKS Blueprints: median of {options.runs} interleaved runs "
          f"(+{options.warmup} warm-up), {os.cpu_count()} cores, load {load:.1f}, "
          f"{total:.0f} s in all\n")
    print("| pair | Blueprints s | ours s | ratio | target | met? | CPU ratio |")
    print("|---|---:|---:|---:|---:|---|---:|")
    pairs = {}
    for pair, (target, theirs, ours) in PAIRS.items():
        ratio = wall[ours] / wall[theirs]
        pairs[pair] = {
            "blueprints_s": round(wall[theirs], 2),
            "ours_s": round(wall[ours], 2),
            "ratio": round(ratio, 2),
            "target": target,
            "met": ratio <= target,
            "cpu_ratio": round(cpu[ours] / cpu[theirs], 2),
        }
        print(f"| {pair} | {wall[theirs]:.2f} | {wall[ours]:.2f} | {ratio:.2f}x | "
              f"<= {target}x | {'yes' if ratio <= target else 'no'} | "
              f"{cpu[ours] / cpu[theirs]:.2f}x |")
    print("\n(wall-clock medians; the CPU ratio compares user + system seconds of each process "
          "tree, which other load on the machine inflates less)")

    print("\n| case | median s | min s | max s | CPU s | peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, runs in samples.items():
        times = [s.wall_s for s in runs]
        print(f"| {label} | {wall[label]:.2f} | {min(times):.2f} | {max(times):.2f} | "
              f"{cpu[label]:.2f} | {rss[label]:.0f} |")

    print("\n| synthesised (CLI output) | templates | resources | Lambda functions "
          "| Lambda-backed custom resources |")
    print("|---|---:|---:|---:|---:|")
    for side, row in stats.items():
        print(f"| {side} | {row['templates']} | {row['resources']} | {row['lambda_functions']} | "
              f"{row['custom_resources']} |")
    for side, row in stats.items():
        print(f"\n{side} custom resource types: "
              + ", ".join(f"{t} {n}" for t, n in row["custom_types"].items()))

    pinned = versions()
    print()
    for side, packages in pinned.items():
        print(f"{side}: " + ", ".join(f"{name} {version}" for name, version in packages.items()))
    print("\nOurs is the whole dev environment (all its stacks: tenants, governance, EFS, flow "
          "logs, endpoints, image pipelines, nag packs); Blueprints builds the comparable "
          "cluster only (VPC, KMS, managed node group, Karpenter, Load Balancer Controller, "
          "core add-ons). The counts above are what each synthesises.")

    if options.json:
        options.json.write_text(json.dumps({
            "runs": options.runs,
            "warmup": options.warmup,
            "cores": os.cpu_count(),
            "load_5min": round(load, 2),
            "pairs": pairs,
            "cases": {
                label: {
                    "median_s": round(wall[label], 3),
                    "median_cpu_s": round(cpu[label], 3),
                    "peak_rss_mib": rss[label],
                    "samples": [dataclasses.asdict(s) for s in runs],
                }
                for label, runs in samples.items()
            },
            "templates": stats,
            "versions": pinned,
        }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
