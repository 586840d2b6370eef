"""How synth time grows: with environments, tenants and node groups.

    .venv/bin/python benchmarks/scaling_bench.py [--runs N] [--json FILE]

Each variant is config/dev.yaml changed in one dimension, written to a temporary directory
and synthesised in a fresh process (`--child DIR`: build_app over every file there), with
the same App settings as app.py. Prints the median wall time and peak RSS per variant and
the marginal cost per unit (least-squares slope): what one more environment, tenant or node
group adds to every synth.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth_bench import run_case  # noqa: E402

DEV: dict[str, Any] = yaml.safe_load((ROOT / "config" / "dev.yaml").read_text())


def environments(count: int) -> list[dict[str, Any]]:
    """`count` copies of dev, each in its own account (account-level clashes are errors)."""
    out = []
    for index in range(count):
        env = copy.deepcopy(DEV)
        env["name"] = f"dev{index}"
        env["account"] = f"{100000000000 + index}"
        env["cluster"]["name"] = f"shop-dev{index}"
        out.append(env)
    return out


def with_tenants(count: int) -> list[dict[str, Any]]:
    env = copy.deepcopy(DEV)
    env["tenants"] = [
        {"name": f"team{index}", "quota": {"cpu": "8", "memory": "16Gi"}} for index in range(count)
    ]
    return [env]


def with_node_groups(count: int) -> list[dict[str, Any]]:
    env = copy.deepcopy(DEV)
    system = env["compute"]["node_groups"][0]
    env["compute"]["node_groups"] = [system] + [
        {**system, "name": f"pool{index}", "labels": {"pool": str(index)}}
        for index in range(count - 1)
    ]
    return [env]


DIMENSIONS = {
    "environments": (environments, [1, 2, 4]),
    "tenants": (with_tenants, [0, 5, 10, 20]),
    "node groups": (with_node_groups, [1, 3, 6]),
}


def child(directory: Path) -> None:
    """Synthesise every environment file in `directory`, as app.py would."""
    from stacks.runtime import use_supported_node

    use_supported_node()
    from eks_blueprint.config import load_configs
    from stacks.app_builder import build_app

    build_app(load_configs(sorted(directory.glob("*.yaml")))).synth()


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of seconds over units."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x in xs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per variant (default 3)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child)
        return 0
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dimension, (make, counts) in DIMENSIONS.items():
            for count in counts:
                directory = Path(tmp) / f"{dimension.replace(' ', '-')}-{count}"
                directory.mkdir()
                for env in make(count):
                    (directory / f"{env['name']}.yaml").write_text(yaml.safe_dump(env))
                times, peaks = [], []
                for run in range(options.runs):
                    elapsed, rss = run_case(
                        ["benchmarks/scaling_bench.py", "--child", str(directory)],
                        {},
                        directory / f"out{run}",
                    )
                    times.append(elapsed)
                    peaks.append(rss)
                results.setdefault(dimension, []).append(
                    {"count": count, "seconds": statistics.median(times), "rss_mib": max(peaks)}
                )
    print(f"synth scaling, median of {options.runs} runs\n")
    print("| dimension | count | median s | peak RSS MiB |")
    print("|---|---:|---:|---:|")
    for dimension, rows in results.items():
        for row in rows:
            print(f"| {dimension} | {row['count']} | {row['seconds']:.2f} | {row['rss_mib']} |")
    print("\n| dimension | marginal s per unit |")
    print("|---|---:|")
    for dimension, rows in results.items():
        per_unit = slope([(r["count"], r["seconds"]) for r in rows])
        print(f"| {dimension} | {per_unit:.3f} |")
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
