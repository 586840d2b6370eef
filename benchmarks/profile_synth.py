"""Where the time of one environment's synth goes: the split by phase, and the jsii round trips.

    .venv/bin/python benchmarks/profile_synth.py [--env dev] [--runs N] [--cli] [--calls]
        [--cprofile FILE] [--node-profile] [--no-baseline] [--json FILE]

Each run is a fresh process (`--child`) that does what app.py does for `-c env=<name>` -
read and validate the file, start jsii, build the App with stacks.app_builder, synthesise it
into a temporary cloud assembly - with a clock reading between the phases:

* Python start (interpreter and site, until the child's first line runs), and exit (stopping
  the jsii Node.js process, interpreter teardown), both measured by the parent;
* config: importing the config modules (pydantic, yaml), reading and validating the file;
* jsii: importing the jsii runtime, aws_cdk (starts Node.js and loads aws-cdk-lib) and
  cdk_nag;
* import of our stacks and constructs (and the aws_cdk submodules they use);
* building: the App, the stage, each stack (network, security, cluster, delivery), and
  registering the nag packs;
* synth (`app.synth()`): our EKS pack's Python side (its `validate` and callbacks) on its
  own; the JavaScript packs (AwsSolutions, NIST 800-53) as the difference to a run without
  any pack (`--no-baseline` skips those runs); the rest is CDK's synthesis and writing the
  assembly, which happen together in Node.js (`--node-profile` shows the writing as file
  I/O: a few ms; staging the assets' files happens while the stacks are built).

Per phase it prints the wall time, the CPU time of Python and of jsii's Node.js processes
(read from /proc; far less sensitive than wall time to other load on the machine), the time
spent importing (an import hook times every import wherever it happens) and in Python's
garbage collector. Medians over `--runs` runs, interleaved with the runs without packs. The
phases come from wrapping app.py's pieces in the child process (the stacks' constructors,
`App`, `add_compliance_packs`, the EKS pack's `validate`); app.py itself is not changed.

`--cli` also times `bin/cdk synth --quiet --no-lookups -c env=<name>` (with the project's
cdk.json and app) and the app process inside it, whose difference is the CLI's own cost.
`--calls` adds one instrumented run that counts the jsii kernel round trips (requests to
Node.js, and callbacks from it into Python) by phase, by API and by the line of this project
that made them. `--node-profile` adds one run with Node.js's sampling profiler (--cpu-prof)
and splits the JavaScript side's time by phase and by what ran (CDK, cdk-nag, jsii kernel,
file I/O, waiting for Python). `--cprofile FILE` adds one run under cProfile and writes its
stats to FILE (`python -m pstats FILE`).

Like synth_bench.py, this script runs from a checkout without installing the package.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
#: The environments: config/*.yaml but the pipeline's file (as synth_bench.py).
ENVS = sorted(p.stem for p in (ROOT / "config").glob("*.yaml") if p.stem != "pipeline")

START = "Python start (interpreter, site)"
CONFIG_IMPORT = "config: import (pydantic, yaml, eks_blueprint.config)"
CONFIG_LOAD = "config: read + validate"
JSII_IMPORT = "jsii: import jsii (Python runtime)"
CDK_IMPORT = "jsii: import aws_cdk (start Node.js, load aws-cdk-lib)"
NAG_IMPORT = "jsii: import cdk_nag"
OUR_IMPORT = "import stacks.app_builder (our constructs, aws_cdk submodules)"
BUILD_APP = "build: App"
BUILD_STAGE = "build: stage (tags, context)"
BUILD_STACKS = {
    "NetworkStack": "build: network stack",
    "AccountSecurityStack": "build: security stack",
    "ClusterStack": "build: cluster stack",
    "DeliveryStack": "build: delivery stack",
}
BUILD_PACKS = "build: register nag packs"
SYNTH = "synth: CDK (templates, assets, assembly)"
JS_PACKS = "synth: nag packs (JS: AwsSolutions, NIST)"
EKS_PACK = "synth: EKS pack (Python validate + callbacks)"
STOP = "exit: stop Node.js (jsii's atexit)"
TEARDOWN = "exit: interpreter teardown"
#: The phases, in the order they run.
PHASES = [
    START,
    CONFIG_IMPORT,
    CONFIG_LOAD,
    JSII_IMPORT,
    CDK_IMPORT,
    NAG_IMPORT,
    OUR_IMPORT,
    BUILD_APP,
    BUILD_STAGE,
    *BUILD_STACKS.values(),
    BUILD_PACKS,
    SYNTH,
    JS_PACKS,
    EKS_PACK,
    STOP,
    TEARDOWN,
]


# ---------------------------------------------------------------------------------------------
# The child: one synth, with a clock reading between the phases.


class Recorder:
    """Exclusive wall time per phase (a nested phase's time is not its parent's), the time
    spent importing per phase, and optionally the jsii round trips per phase and call site."""

    def __init__(self, sites: bool) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.importing: defaultdict[str, float] = defaultdict(float)
        self.modules: defaultdict[str, float] = defaultdict(float)
        self.timeline: list[tuple[str, float, float]] = []  # (phase, monotonic start, end)
        self._stack: list[str] = []
        self._since = time.perf_counter()
        self._mono = time.monotonic()
        self.sites = sites
        self.by_phase: Counter[tuple[str, str]] = Counter()  # (phase, api) -> calls
        self.send_seconds: defaultdict[str, float] = defaultdict(float)  # phase -> s in Node.js
        self.by_member: Counter[tuple[str, str]] = Counter()  # (api, member) -> calls
        self.by_site: Counter[tuple[str, str, str]] = Counter()  # (site, api, member) -> calls
        self.site_seconds: defaultdict[str, float] = defaultdict(float)  # site -> s in Node.js
        self.gc_seconds: defaultdict[str, float] = defaultdict(float)  # phase -> s in Python's GC
        self._gc_start = 0.0
        # CPU seconds per phase, of this process and of jsii's Node.js processes: less
        # sensitive than wall time to other load on the machine.
        self.cpu: defaultdict[str, float] = defaultdict(float)
        self.node_cpu: defaultdict[str, float] = defaultdict(float)
        self.node_pids: list[int] = []
        self._cpu = time.process_time()
        self._node_cpu = 0.0

    def watch_node(self) -> None:
        """Find jsii's Node.js processes (its relay and, as the relay's child, the kernel)."""
        from jsii._runtime import kernel

        provider: Any = kernel.provider
        relay = provider._process._process.pid
        try:
            children = Path(f"/proc/{relay}/task/{relay}/children").read_text().split()
        except OSError:
            children = []
        self.node_pids = [relay, *map(int, children)]

    def _node_seconds(self) -> float:
        ticks = 0
        for pid in self.node_pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / _CLOCK_TICKS

    def on_gc(self, event: str, info: dict[str, int]) -> None:
        """A gc.callbacks hook: the time of each collection, by phase."""
        if event == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc_seconds[self.phase] += time.perf_counter() - self._gc_start

    @property
    def phase(self) -> str:
        return self._stack[-1] if self._stack else "(none)"

    def flush(self) -> None:
        """Close the current phase's interval (before reading the totals)."""
        self._switch()

    def _switch(self) -> None:
        now, mono = time.perf_counter(), time.monotonic()
        cpu, node_cpu = time.process_time(), self._node_seconds()
        if self._stack:
            phase = self._stack[-1]
            self.seconds[phase] += now - self._since
            self.cpu[phase] += cpu - self._cpu
            self.node_cpu[phase] += node_cpu - self._node_cpu
            self.timeline.append((phase, self._mono, mono))
        self._since, self._mono, self._cpu, self._node_cpu = now, mono, cpu, node_cpu

    @contextmanager
    def during(self, phase: str) -> Iterator[None]:
        self._switch()
        self._stack.append(phase)
        try:
            yield
        finally:
            self._switch()
            self._stack.pop()

    def timed(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """`function`, with its calls counted as `phase`."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.during(phase):
                return function(*args, **kwargs)

        wrapper.__name__ = function.__name__
        wrapper.__qualname__ = function.__qualname__
        wrapper.__doc__ = function.__doc__
        wrapper.__wrapped__ = function  # type: ignore[attr-defined]
        return wrapper


def _hook_imports(recorder: Recorder, after: dict[str, Callable[[Any], None]]) -> None:
    """Time every import that is not already in sys.modules (statements and
    importlib.import_module, which aws_cdk's lazy submodules use): the outermost ones per
    phase, each aws_cdk.* or top-level module inclusively. `after[name](module)` runs once
    `name` is imported."""
    import importlib._bootstrap as bootstrap

    original = bootstrap._find_and_load  # type: ignore[attr-defined]
    depth = 0

    def find_and_load(name: str, import_: Any) -> Any:
        nonlocal depth
        depth += 1
        start = time.perf_counter()
        try:
            module = original(name, import_)
        finally:
            depth -= 1
            elapsed = time.perf_counter() - start
            if depth == 0:
                recorder.importing[recorder.phase] += elapsed
            if ((name.startswith("aws_cdk.") and name.count(".") == 1) or "." not in name
                    or name.startswith(("eks_blueprint.", "stacks."))):
                recorder.modules[name] += elapsed
        hook = after.pop(name, None)
        if hook is not None:
            hook(module)
        return module

    bootstrap._find_and_load = find_and_load  # type: ignore[attr-defined]


_PROJECT = str(ROOT) + os.sep
#: Frames that are not call sites: the virtualenv, this script, and app.py's process runner.
_SKIP = (str(ROOT / ".venv"), str(Path(__file__).resolve()), str(ROOT / "stacks" / "runtime.py"))


def _call_site() -> str:
    """The innermost frame of this project's code (not the venv, not this script)."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_PROJECT) and not filename.startswith(_SKIP):
            return f"{filename[len(_PROJECT):]}:{frame.f_lineno} ({frame.f_code.co_name})"
        frame = frame.f_back  # type: ignore[assignment]
    return "(jsii / aws_cdk itself)"


def _fqn(objref: Any) -> str:
    ref = str(getattr(objref, "ref", objref))
    return ref.rsplit("@", 1)[0]


def _describe(request: Any) -> tuple[str, str]:
    """(api, member) of a jsii kernel request, e.g. ("invoke", "aws-cdk-lib.Stack.resolve")."""
    kind = type(request).__name__
    if kind == "CreateRequest":
        return "create", request.fqn
    if kind == "GetRequest":
        return "get", f"{_fqn(request.objref)}.{request.property}"
    if kind == "SetRequest":
        return "set", f"{_fqn(request.objref)}.{request.property}"
    if kind == "InvokeRequest":
        return "invoke", f"{_fqn(request.objref)}.{request.method}()"
    if kind == "StaticInvokeRequest":
        return "sinvoke", f"{request.fqn}.{request.method}()"
    if kind == "StaticGetRequest":
        return "sget", f"{request.fqn}.{request.property}"
    if kind == "StaticSetRequest":
        return "sset", f"{request.fqn}.{request.property}"
    if kind == "_CompleteRequest":
        return "complete", "(callback result)"
    if kind == "LoadRequest":
        return "load", request.name
    if kind == "DeleteRequest":
        return "del", _fqn(request.objref)
    return kind.removesuffix("Request").lower(), ""


def _hook_kernel(recorder: Recorder) -> None:
    """Count every message to the jsii Node.js process, and every callback it answers with."""
    from jsii._kernel.providers import process

    original = process._NodeProcess.send

    def send(self: Any, request: Any, response_type: Any) -> Any:
        api, member = _describe(request)
        site = _call_site() if recorder.sites else ""
        phase = recorder.phase
        start = time.perf_counter()
        response: Any = original(self, request, response_type)
        elapsed = time.perf_counter() - start
        recorder.send_seconds[phase] += elapsed
        recorder.by_phase[(phase, api)] += 1
        recorder.by_member[(api, member)] += 1
        recorder.by_site[(site, api, member)] += 1
        recorder.site_seconds[site] += elapsed
        if type(response).__name__ == "Callback":
            cookie = f"{_fqn(_callback_target(response))}.{response.cookie}"
            recorder.by_phase[(phase, "callback")] += 1
            recorder.by_member[("callback", cookie)] += 1
            recorder.by_site[(site, "callback", cookie)] += 1
        return response

    process._NodeProcess.send = send  # type: ignore[method-assign]


def _callback_target(callback: Any) -> Any:
    for request in (callback.invoke, callback.get, callback.set):
        if request is not None:
            return request.objref
    return ""


def child(spec: dict[str, Any]) -> dict[str, Any]:
    """One synth of `spec["env"]`, as app.py does it, timed by phase."""
    entered = time.time()
    profiler = None
    if spec.get("cprofile"):
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    recorder = Recorder(sites=bool(spec.get("count")))
    import atexit
    import gc

    gc.callbacks.append(recorder.on_gc)
    stopped = Path(spec["result"]).with_suffix(".stopped")
    # Registered before jsii's own atexit hook (which stops Node.js), so it runs after it.
    atexit.register(lambda: stopped.write_text(str(time.time())))
    after: dict[str, Callable[[Any], None]] = {}
    _hook_imports(recorder, after)

    # As the CDK CLI runs app.py: the context in CDK_CONTEXT_JSON, the output in CDK_OUTDIR.
    os.environ["CDK_CONTEXT_JSON"] = json.dumps({"env": spec["env"]})
    os.environ["CDK_OUTDIR"] = spec["outdir"]
    with recorder.during(CONFIG_IMPORT):
        import app as app_module  # app.py: the config modules, stacks.selection, synth_report
    with recorder.during(CONFIG_LOAD):  # app.main() up to jsii
        from eks_blueprint.config import load_configs
        from stacks.selection import cli_context, config_paths, file_context, selected

        context = file_context()
        configs = load_configs(
            config_paths(*selected(context | cli_context(os.environ)))
        )
    with recorder.during(JSII_IMPORT):
        from stacks.runtime import use_supported_node

        use_supported_node()
        import jsii  # noqa: F401

        if spec.get("count"):
            _hook_kernel(recorder)
    with recorder.during(CDK_IMPORT):
        import aws_cdk  # noqa: F401

        recorder.watch_node()
    with recorder.during(NAG_IMPORT):
        import cdk_nag  # noqa: F401
    with recorder.during(OUR_IMPORT):
        import stacks.app_builder as app_builder
        from eks_blueprint.nag.pack import EksBestPracticesChecks

    # Each phase of the build is a function of ours: time it by wrapping it (in this process
    # only; nothing is patched for app.py).
    def wrap_stack(module: Any, name: str) -> None:
        cls = getattr(module, name)
        cls.__init__ = recorder.timed(BUILD_STACKS[name], cls.__init__)

    stage = sys.modules["stacks.stage"]
    for name in ("NetworkStack", "AccountSecurityStack", "ClusterStack"):
        wrap_stack(stage, name)
    after["stacks.delivery_stack"] = lambda module: wrap_stack(module, "DeliveryStack")
    stage.EnvironmentStage.__init__ = recorder.timed(BUILD_STAGE, stage.EnvironmentStage.__init__)
    EksBestPracticesChecks.validate = recorder.timed(  # type: ignore[method-assign]
        EKS_PACK, EksBestPracticesChecks.validate
    )
    builder: Any = app_builder
    if spec["packs"]:
        builder.add_compliance_packs = recorder.timed(BUILD_PACKS, builder.add_compliance_packs)
    else:
        builder.add_compliance_packs = lambda scope: None
    new_app = builder.App

    def make_app(*args: Any, **kwargs: Any) -> Any:
        with recorder.during(BUILD_APP):
            app = new_app(*args, **kwargs)
        app.synth = recorder.timed(SYNTH, app.synth)
        return app

    builder.App = make_app
    # The rest of app.main(): build, synthesise, and on failure report and clean up.
    code = app_module.synthesise(configs, context)
    recorder.flush()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(spec["cprofile"])
    return {
        "entered": entered,
        "left": time.time(),
        "code": code,
        "seconds": dict(recorder.seconds),
        "importing": dict(recorder.importing),
        "gc": dict(recorder.gc_seconds),
        "cpu": dict(recorder.cpu),
        "node_cpu": dict(recorder.node_cpu),
        "modules": dict(recorder.modules),
        "timeline": recorder.timeline,
        "send_seconds": dict(recorder.send_seconds),
        "by_phase": [[p, a, n] for (p, a), n in recorder.by_phase.items()],
        "by_member": [[a, m, n] for (a, m), n in recorder.by_member.items()],
        "by_site": [[s, a, m, n] for (s, a, m), n in recorder.by_site.items()],
        "site_seconds": dict(recorder.site_seconds),
    }


# ---------------------------------------------------------------------------------------------
# The parent: fresh processes, medians, tables.


def run_child(spec: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one `--child` process; its result, with the parent-measured start and exit."""
    import subprocess

    result_file = Path(spec["outdir"] + ".json")
    spec = {**spec, "result": str(result_file)}
    import resource

    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    launched = time.time()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    ended = time.time()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"profiled synth failed ({spec}):\n{proc.stderr.decode()[-3000:]}")
    result: dict[str, Any] = json.loads(result_file.read_text())
    if result["code"] != 0:  # app.py's failure (e.g. a compliance gate): timed all the same
        print(f"note: the synth failed, as app.py reports it:\n{proc.stderr.decode()[-1500:]}",
              file=sys.stderr)
    stopped = float(result_file.with_suffix(".stopped").read_text())
    result["seconds"][START] = result["entered"] - launched
    result["seconds"][STOP] = stopped - result["left"]
    result["seconds"][TEARDOWN] = ended - stopped
    result["wall"] = ended - launched
    # CPU seconds of the process tree (python, and the Node.js processes it waited for): less
    # sensitive than wall time to other load on the machine.
    result["cpu_total"] = (cpu_after.ru_utime - cpu_before.ru_utime
                           + cpu_after.ru_stime - cpu_before.ru_stime)
    return result


def run_cli(env_name: str, outdir: Path) -> tuple[float, float]:
    """Time `bin/cdk synth --quiet --no-lookups -c env=<name>`, and the app process it runs
    (the project's app command from cdk.json, wrapped in a shell script that reads the clock
    before and after); return (CLI wall, app wall)."""
    import shlex
    import subprocess

    app_command = json.loads((ROOT / "cdk.json").read_text())["app"]
    times = outdir.with_suffix(".times")
    script = outdir.with_suffix(".sh")
    script.write_text(
        "#!/bin/sh\n"
        f"date +%s.%N > {shlex.quote(str(times))}\n"
        f"{app_command}\n"
        "status=$?\n"
        f"date +%s.%N >> {shlex.quote(str(times))}\n"
        "exit $status\n"
    )
    script.chmod(0o755)
    command = [
        str(ROOT / "bin" / "cdk"), "synth", "--quiet", "--no-lookups", "-c", f"env={env_name}",
        "--output", str(outdir), "--app", str(script),
    ]
    start = time.perf_counter()
    proc = subprocess.run(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"CLI synth failed:\n{proc.stderr.decode()[-3000:]}")
    begin, end = (float(line) for line in times.read_text().split())
    return wall, end - begin


def median(values: list[float]) -> float:
    import statistics

    return statistics.median(values) if values else 0.0


#: The per-phase measurements of a run: wall time, CPU of Python and of Node.js, the time
#: spent importing and in Python's GC (wall).
METRICS = ("seconds", "cpu", "node_cpu", "importing", "gc")


def split(with_packs: list[dict[str, Any]], without: list[dict[str, Any]]
          ) -> dict[str, dict[str, float]]:
    """Per metric, the median per phase. With runs without packs, the JavaScript packs are
    the difference of the synth phase's medians, and the synth row is the run without
    packs."""
    table: dict[str, dict[str, float]] = {}
    for metric in METRICS:
        phases = {phase: median([run[metric].get(phase, 0.0) for run in with_packs])
                  for phase in PHASES}
        if without:
            base = median([run[metric].get(SYNTH, 0.0) for run in without])
            phases[JS_PACKS] = max(phases[SYNTH] - base, 0.0)
            phases[SYNTH] = min(base, phases[SYNTH])
        table[metric] = phases
    return table


def print_split(title: str, table: dict[str, dict[str, float]]) -> None:
    phases = table["seconds"]
    total = sum(phases.values())
    print(f"\n{title}\n")
    print("| phase | wall s | share | Python CPU s | Node.js CPU s | importing s | Python GC s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    optional = (*BUILD_STACKS.values(), JS_PACKS, EKS_PACK, BUILD_PACKS)
    for phase in PHASES:
        seconds = phases.get(phase, 0.0)
        if seconds == 0.0 and phase in optional:
            continue
        cells = []
        for metric in METRICS[1:]:
            value = table[metric].get(phase, 0.0)
            cells.append(f"{value:.2f}" if value >= 0.005 else "")
        print(f"| {phase} | {seconds:.2f} | {seconds / total:.0%} | {' | '.join(cells)} |")
    sums = " | ".join(f"{sum(table[metric].values()):.2f}" for metric in METRICS[1:])
    print(f"| **total (sum of medians)** | **{total:.2f}** | 100% | {sums} |")


def print_calls(result: dict[str, Any], top: int) -> None:
    """The jsii round trips of one instrumented run."""
    by_phase: dict[str, Counter[str]] = {}
    for phase, api, count in result["by_phase"]:
        by_phase.setdefault(phase, Counter())[api] += count
    apis = sorted({api for counts in by_phase.values() for api in counts},
                  key=lambda a: -sum(c[a] for c in by_phase.values()))
    print("\njsii round trips by phase (one instrumented run; `callback` = Node.js calling "
          "Python, each answered by a `complete`)\n")
    print(f"| phase | {' | '.join(apis)} | all | s in Node.js |")
    print("|---|" + "---:|" * (len(apis) + 2))
    total: Counter[str] = Counter()
    for phase in [p for p in PHASES if p in by_phase] + [p for p in by_phase if p not in PHASES]:
        counts = by_phase[phase]
        total.update(counts)
        cells = " | ".join(str(counts.get(api, "")) for api in apis)
        waited = result["send_seconds"].get(phase, 0.0)
        print(f"| {phase} | {cells} | {sum(counts.values())} | {waited:.2f} |")
    cells = " | ".join(str(total.get(api, "")) for api in apis)
    print(f"| **all** | {cells} | {sum(total.values())} | "
          f"{sum(result['send_seconds'].values()):.2f} |")

    members: Counter[tuple[str, str]] = Counter()
    for api, member, count in result["by_member"]:
        members[(api, member)] += count
    print(f"\ntop {top} kernel members\n")
    print("| api | member | calls |")
    print("|---|---|---:|")
    for (api, member), count in members.most_common(top):
        print(f"| {api} | `{member}` | {count} |")

    sites: Counter[str] = Counter()
    detail: dict[str, Counter[str]] = {}
    for site, api, member, count in result["by_site"]:
        sites[site] += count
        detail.setdefault(site, Counter())[f"{api} {member.rsplit('.', 1)[-1]}"] += count
    print(f"\ntop {top} call sites in this project (the innermost project frame)\n")
    print("| site | calls | s in Node.js | most frequent |")
    print("|---|---:|---:|---|")
    for site, count in sites.most_common(top):
        common = ", ".join(f"{name} x{n}" for name, n in detail[site].most_common(3))
        print(f"| {site} | {count} | {result['site_seconds'].get(site, 0.0):.3f} | {common} |")


def main() -> int:
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="dev", choices=ENVS, help="environment (default dev)")
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--cli", action="store_true", help="also time bin/cdk synth")
    parser.add_argument("--calls", action="store_true", help="count jsii round trips (1 run)")
    parser.add_argument("--top", type=int, default=25, help="rows of the call tables")
    parser.add_argument("--cprofile", type=Path, help="one run under cProfile, stats to FILE")
    parser.add_argument("--node-profile", action="store_true",
                        help="one run with Node.js --cpu-prof: the JavaScript side's split")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the runs without packs (the JS packs stay in synth)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    options = parser.parse_args()

    with_packs: list[dict[str, Any]] = []
    without: list[dict[str, Any]] = []
    cli: list[tuple[float, float]] = []
    report: dict[str, Any] = {"env": options.env, "runs": options.runs}
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(options.runs):  # interleaved: drift hits every case alike
            spec = {"env": options.env, "outdir": f"{tmp}/run{run}-packs", "packs": True}
            with_packs.append(run_child(spec))
            if not options.no_baseline:
                spec = {**spec, "outdir": f"{tmp}/run{run}-bare", "packs": False}
                without.append(run_child(spec))
            if options.cli:
                cli.append(run_cli(options.env, Path(f"{tmp}/run{run}-cli")))

        table = split(with_packs, without)
        wall = median([r["wall"] for r in with_packs])
        cpu = median([r["cpu_total"] for r in with_packs])
        print(f"synth of env {options.env}: median of {options.runs} fresh processes "
              f"(machine: {os.cpu_count()} cores); app process wall {wall:.2f} s, CPU "
              f"{cpu:.2f} s (python + Node.js)")
        print_split("time by phase (exclusive: a stack's time is not the stage's; CPU is less "
                    "sensitive than wall time to other load)", table)
        report.update(split=table, wall=wall, cpu=cpu)
        if without:
            bare = median([r["wall"] for r in without])
            bare_cpu = median([r["cpu_total"] for r in without])
            print(f"\nwithout any nag pack: app process wall {bare:.2f} s, CPU {bare_cpu:.2f} s")
            report["wall_without_packs"] = bare
            report["cpu_without_packs"] = bare_cpu
        modules: dict[str, float] = {}
        for name in {m for r in with_packs for m in r["modules"]}:
            modules[name] = median([r["modules"].get(name, 0.0) for r in with_packs])
        slow = sorted(((s, m) for m, s in modules.items() if s >= 0.01), reverse=True)
        print("\nimports of 10 ms or more (inclusive, so nested ones count twice; aws_cdk.* "
              "submodules, top-level packages, and this project's modules)\n")
        print("| module | s |")
        print("|---|---:|")
        for seconds, name in slow:
            print(f"| {name} | {seconds:.3f} |")
        report["modules"] = modules

        if cli:
            cli_wall = median([w for w, _ in cli])
            app_wall = median([a for _, a in cli])
            overhead = cli_wall - app_wall
            print(f"\nCLI (`bin/cdk synth --quiet --no-lookups -c env={options.env}`), median "
                  f"of {len(cli)}\n")
            print("| part | s | share |")
            print("|---|---:|---:|")
            print(f"| app process (python app.py, inside the CLI) | {app_wall:.2f} | "
                  f"{app_wall / cli_wall:.0%} |")
            print(f"| CLI's own (Node.js start, CLI, reading the assembly) | {overhead:.2f} | "
                  f"{overhead / cli_wall:.0%} |")
            print(f"| **CLI wall** | **{cli_wall:.2f}** | 100% |")
            report["cli"] = {"wall": cli_wall, "app": app_wall, "own": overhead}

        if options.calls:
            spec = {"env": options.env, "outdir": f"{tmp}/calls", "packs": True, "count": True}
            counted = run_child(spec)
            print_calls(counted, options.top)
            report["calls"] = {k: counted[k] for k in
                               ("by_phase", "by_member", "by_site", "send_seconds")}
        if options.node_profile:
            report["node"] = node_profile(options.env, Path(tmp), options.top)
        if options.cprofile:
            spec = {"env": options.env, "outdir": f"{tmp}/cprofile", "packs": True,
                    "cprofile": str(options.cprofile.resolve())}
            run_child(spec)
            print(f"\ncProfile stats of one run: {options.cprofile}")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2, sort_keys=True))
    return 0


def node_profile(env_name: str, tmp: Path, top: int) -> dict[str, Any]:
    """One run with Node.js's sampling profiler; the JavaScript side's time by phase and
    category."""
    profile_dir = tmp / "cpuprofile"
    profile_dir.mkdir()
    env = {**os.environ,
           "NODE_OPTIONS": f"--cpu-prof --cpu-prof-dir={profile_dir} --cpu-prof-interval=500"}
    result = run_child({"env": env_name, "outdir": f"{tmp}/node", "packs": True}, env=env)
    # jsii runs two Node.js processes: a relay (bin/jsii-runtime.js) and, as its child, the
    # kernel that runs aws-cdk-lib; the kernel's profile is the larger one.
    profiles = sorted(profile_dir.glob("*.cpuprofile"), key=lambda p: p.stat().st_size)
    if not profiles:
        print("\nNode.js wrote no profile")
        return {}
    profile = json.loads(profiles[-1].read_text())
    nodes = {node["id"]: node for node in profile["nodes"]}
    parent: dict[int, int] = {}
    for node in profile["nodes"]:
        for child_id in node.get("children", []):
            parent[child_id] = node["id"]
    category_of: dict[int, str] = {}

    def category(node_id: int) -> str:
        found = category_of.get(node_id)
        if found is None:
            found = _categorise(node_id, nodes, parent)
            category_of[node_id] = found
        return found

    import bisect

    timeline = sorted(result["timeline"], key=lambda t: t[1])
    starts = [start * 1e6 for _, start, _ in timeline]
    table: dict[str, Counter[str]] = {}
    self_time: Counter[str] = Counter()
    t = float(profile["startTime"])
    samples, deltas = profile["samples"], profile["timeDeltas"]
    for index, node_id in enumerate(samples):
        t += deltas[index]
        weight = deltas[index + 1] if index + 1 < len(deltas) else 0
        at = bisect.bisect_right(starts, t) - 1
        phase = timeline[at][0] if at >= 0 and t <= timeline[at][2] * 1e6 else "(outside)"
        table.setdefault(phase, Counter())[category(node_id)] += weight
        frame = nodes[node_id]["callFrame"]
        self_time[f"{frame['functionName'] or '(anonymous)'} {_short_url(frame['url'])}"] += weight
    categories = sorted({c for counts in table.values() for c in counts},
                        key=lambda c: -sum(counts[c] for counts in table.values()))
    print("\nNode.js (jsii runtime) time by phase and what ran, s (one run, --cpu-prof; "
          "idle = waiting for Python)\n")
    print(f"| phase | {' | '.join(categories)} |")
    print("|---|" + "---:|" * len(categories))
    for phase in [p for p in PHASES if p in table] + [p for p in table if p not in PHASES]:
        cells = " | ".join(f"{table[phase].get(c, 0) / 1e6:.2f}" for c in categories)
        print(f"| {phase} | {cells} |")
    print(f"\ntop {top} JavaScript functions by self time\n")
    print("| function | s |")
    print("|---|---:|")
    for name, micros in self_time.most_common(top):
        print(f"| `{name}` | {micros / 1e6:.3f} |")
    return {phase: {c: n / 1e6 for c, n in counts.items()} for phase, counts in table.items()}


def _short_url(url: str) -> str:
    for marker in ("/node_modules/", "/package-cache/"):
        if marker in url:
            url = url.rsplit(marker, 1)[1]
    return url.split("/lib/", 1)[0] + ("/lib/" + url.split("/lib/", 1)[1] if "/lib/" in url
                                       else "")


#: Native fs functions (no script URL) that mean file I/O.
_FILE_IO = {"writeFileUtf8", "writeFileSync", "writeSync", "open", "openSync", "close",
            "closeSync", "mkdir", "mkdirSync", "copyFile", "copyFileSync", "readFileUtf8",
            "readFileSync", "internalModuleStat", "stat", "lstat", "readdir", "rename",
            "existsSync", "statSync", "writeString", "fsync", "unlink", "rmSync"}


def _categorise(node_id: int, nodes: dict[int, Any], parent: dict[int, int]) -> str:
    """What a sample was doing: V8's own states, else by the frames on its stack (innermost
    first)."""
    leaf = nodes[node_id]["callFrame"]
    name = leaf["functionName"]
    if name == "(idle)":
        return "idle"
    if name == "(garbage collector)":
        return "GC"
    if name in ("(program)", "(root)"):
        return "V8"
    frames: list[dict[str, Any]] = []
    current: int | None = node_id
    while current is not None:
        frames.append(nodes[current]["callFrame"])
        current = parent.get(current)
    urls = [frame["url"] for frame in frames]
    functions = {frame["functionName"] for frame in frames}
    if name == "read" and not leaf["url"] and any("program.js" in url for url in urls[1:4]):
        return "idle"  # the kernel's blocking read of the next message from Python
    if any("node:internal/modules/" in url for url in urls) or "wrapSafe" in functions:
        return "require (JS module loading)"
    if any("cdk-nag" in url for url in urls):
        return "cdk-nag"
    if any("stack-trace.js" in url for url in urls):
        return "stack traces (metadata)"
    if name in _FILE_IO or leaf["url"].startswith("node:fs"):
        return "file I/O"
    if name == "writeBuffer" or (not leaf["url"] and "program.js" in urls[1]):
        return "jsii kernel"
    if "aws-cdk-lib" in leaf["url"] or "constructs" in leaf["url"]:
        return "aws-cdk-lib"
    for url in urls:
        if "aws-cdk-lib" in url or "/constructs/" in url:
            return "aws-cdk-lib"
        if "program.js" in url:
            return "jsii kernel"
    return "other"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        spec = json.loads(sys.argv[2])

        def profiled() -> int:
            Path(spec["result"]).write_text(json.dumps(child(spec)))
            return 0

        sys.path.insert(0, str(ROOT))
        try:  # run the process as app.py does (checkouts before run_once: plainly)
            from stacks.runtime import run_once
        except ImportError:
            sys.exit(profiled())
        run_once(profiled)
    sys.exit(main())
