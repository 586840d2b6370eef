"""Shared fixtures: every environment is synthesised ONCE per test session.

Starting jsii costs seconds; each assertion on a shared Template costs milliseconds. Tests
that need a differently configured app build it in a session- or module-scoped fixture too.

Three more things keep the suite's wall time down without changing what a test checks:

* Work that runs in a subprocess anyway (the CDK CLI, the site build, app.py) or can (a
  synth whose output a fixture reads from disk, such as the session's `synth`; cfn-lint
  over a synthesised assembly) runs in the background, on the core the single-threaded
  test process leaves idle, one command at a time per spare core (and one more while the
  test process waits on one), in the order the tests need them:
  - a test marks itself ``@pytest.mark.background(Command(...))`` and receives the finished
    command (see :class:`Command`);
  - work that is a Python function building CDK apps is a :class:`Job` instead: it runs in
    a warm worker process (tests/warm_worker.py) that started jsii and imported aws_cdk
    once for all of them (the session's own synths of the shipped environments and the
    pipeline go through the CDK CLI, as users run them: :func:`cli_synth`);
  - a fixture registers its work with :func:`for_fixture`, which starts when collection
    ends if a selected test uses the fixture (in a run of the whole suite, as soon as it
    is registered: during collection); the fixture waits for it (:func:`start`);
  - the session's and the examples' synths start cfn-lint over their templates when they
    finish (see :class:`CfnLint`; its verdicts are kept for identical templates).
* The tests that wait on background work run last, so the work is done by then (see
  :func:`pytest_collection_modifyitems`).
* The garbage collector: see :data:`GC_THRESHOLDS` and :func:`pytest_fixture_setup`.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import importlib.metadata
import json
import os
import select
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Generator, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from stacks.runtime import use_supported_node

use_supported_node()

# Two settings of this process's own apps, read by jsii's Node.js from its environment when it
# starts (the `aws_cdk` import below starts it), then taken out of this process's environment
# again: the background work and every subprocess a test starts run with the environment as
# the session found it (tests/unit/test_test_process.py checks both):
#
# * CDK's built-in "CloudFormation Validate" plugin is off, as in the app's own
#   (stacks/app_builder.py: cfn-lint, over every synthesised template of the suite, checks
#   the same and more). It ran in every test's synth: a fifth of the construct tests' time.
#   A library user's app, validated as theirs would be, runs in the background
#   (tests/docs/test_guide_examples.py).
# * Assets are not staged: a test's app would copy the 37 MB kubectl layer into its output
#   directory for every cluster it synthesises. The templates are the same (an asset's hash
#   is its source's); the apps whose output directories are read as a user's (the CLI's,
#   app.py's, the background's) stage as usual.
#: For this process's Node.js only (see above).
NODE_ONLY_ENV = {
    "CDK_VALIDATION": "false",
    "CDK_CONTEXT_JSON": json.dumps({"aws:cdk:disable-asset-staging": True}),
}
_FOUND_ENV = {name: os.environ.get(name) for name in NODE_ONLY_ENV}
os.environ.update(NODE_ONLY_ENV)

from aws_cdk import Environment  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

for _name, _value in _FOUND_ENV.items():  # Node.js has started with them
    if _value is None:
        del os.environ[_name]
    else:
        os.environ[_name] = _value

from eks_blueprint.config import EnvironmentConfig, load_configs  # noqa: E402
from stacks.app_builder import CONFIG_DIR, config_paths  # noqa: E402

#: Session fixtures defined in their own modules (the pipeline app's synth, the examples'):
#: registered once here, so every directory shares one synth of each.
pytest_plugins = ["tests.pipeline_app", "tests.examples.fixtures"]

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ("dev", "staging", "prod")
TEST_ENV = Environment(account="123456789012", region="eu-west-1")


@dataclass(frozen=True)
class SynthResult:
    """The synthesised app: its output directory and each stack's template as JSON."""

    outdir: Path
    templates: dict[str, dict[str, dict[str, Any]]]  # env -> stack kind -> template JSON

    def template(self, env: str, kind: str) -> dict[str, Any]:
        return self.templates[env][kind]

    @classmethod
    def read(cls, outdir: Path, envs: list[str]) -> SynthResult:
        """The same, read from an assembly the CDK CLI (or `build_app(...).synth()` in
        another process) wrote: each stage's manifest names its stacks and template files."""
        templates: dict[str, dict[str, dict[str, Any]]] = {}
        for env in envs:
            stage = outdir / f"assembly-{env}"
            manifest = json.loads((stage / "manifest.json").read_text())
            for artifact_id, artifact in manifest["artifacts"].items():
                if artifact["type"] == "aws:cloudformation:stack":
                    properties = artifact["properties"]
                    name = properties.get("stackName", artifact_id)  # as cx_api names it
                    kind = name.removeprefix(f"{env}-eks-")
                    template = json.loads((stage / properties["templateFile"]).read_text())
                    templates.setdefault(env, {})[kind] = template
        return cls(outdir=outdir, templates=templates)


@pytest.fixture(scope="session")
def configs() -> dict[str, EnvironmentConfig]:
    return {c.name: c for c in load_configs(config_paths(None, None, CONFIG_DIR))}


@pytest.fixture(scope="session")
def synth(configs: dict[str, EnvironmentConfig]) -> SynthResult:
    """All environments, synthesised once by the CDK CLI, with the compliance packs enforcing
    at synth (in the background from the session's start: `SESSION_SYNTH`), and cfn-lint
    started over the templates (`synth_lint`)."""
    done = start(SESSION_SYNTH).result()
    assert done.process.returncode == 0, done.process.stderr[-5000:]
    result = SynthResult.read(done.out, list(configs))
    assert set(result.templates) == set(configs)
    CfnLint.start(result.outdir, sorted({c.region for c in configs.values()}))
    return result


@pytest.fixture(scope="session")
def synth_lint(synth: SynthResult) -> CfnLint:
    """cfn-lint over every template of `synth`, in the background since the synth."""
    return CfnLint.of(synth.outdir)


_TEMPLATE_CACHE: dict[tuple[str, str], Template] = {}


@pytest.fixture(scope="session")
def template_of(synth: SynthResult) -> Iterator[Any]:
    """`template_of(env, kind)` -> aws_cdk.assertions.Template, built once per stack."""

    def get(env: str, kind: str) -> Template:
        key = (env, kind)
        if key not in _TEMPLATE_CACHE:
            _TEMPLATE_CACHE[key] = Template.from_json(synth.template(env, kind))
        return _TEMPLATE_CACHE[key]

    yield get


def resources_of(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource, for every resource of one CloudFormation type."""
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def only(template: dict[str, Any], type_: str) -> dict[str, Any]:
    """The one resource of a type (fails the test if there is not exactly one)."""
    found = resources_of(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.values()))


def arn_text(value: Any) -> str:
    """An ARN as text: Fn::Join of strings and `Ref AWS::Partition` (rendered as "aws")."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        sep, parts = value["Fn::Join"]
        return sep.join(arn_text(p) for p in parts)
    if value == {"Ref": "AWS::Partition"}:
        return "aws"
    raise AssertionError(f"not a static ARN: {value!r}")


def render_join(value: Any) -> tuple[str, list[Any]]:
    """An Fn::Join string with each intrinsic replaced by `<n>`; returns text and intrinsics."""
    assert set(value) == {"Fn::Join"}, value
    separator, parts = value["Fn::Join"]
    tokens: list[Any] = []
    text = []
    for part in parts:
        if isinstance(part, str):
            text.append(part)
        else:
            if part not in tokens:
                tokens.append(part)
            text.append(f"<{tokens.index(part)}>")
    return separator.join(text), tokens


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# -- the garbage collector -------------------------------------------------------------------
#
# The session keeps about a million objects alive to its end: the synthesised templates its
# fixtures share, aws_cdk's, cfn-lint's and hypothesis' modules. With CPython's default
# thresholds (700, 10, 10) the collector walked all of them about ninety times a session,
# each walk half a second to a second or more: a third of the suite's time, in no test's
# code. Three settings, which change when garbage is collected but not what a test sees:
#
# * a larger young generation, so full collections are rare (tests/**'s garbage cycles are
#   still collected; the peak memory measured the same as with the defaults),
# * a session-scoped fixture's objects live until the session ends anyway: once one is
#   built, gc.collect() then gc.freeze() moves what is alive out of the collector's
#   generations, so the next full collections do not walk it again, and
# * once the session is over, everything is frozen (see pytest_sessionfinish).

GC_THRESHOLDS = (50_000, 10, 10)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The session is over: out of reach of the collections that follow, pytest's own at
    unconfigure (its check for unraisable exceptions) and interpreter shutdown's, which
    would walk the whole heap (about a second, for a process that is ending). The
    background work ends first."""
    if "background" in _SESSION:
        _SESSION.pop("background").close()
    gc.freeze()


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> Generator[None, object, object]:
    result = yield
    if fixturedef.scope == "session":
        gc.collect()
        gc.freeze()
    return result


# -- work in the background ------------------------------------------------------------------

#: In a :class:`Command`'s argv or env values: a fresh directory, :attr:`Finished.out` (empty
#: but for the command's `files`).
OUT = "%OUT%"
#: The time limit of work moved to the background that had none in-process (a fixture's synth,
#: cfn-lint): only there to end a hang, far above the seconds it takes.
SYNTH_TIMEOUT = 1800


@dataclass(frozen=True)
class Command:
    """A command a test runs in a subprocess, started before the test needs it.

    A test marked ``@pytest.mark.background(command)`` takes the ``background`` fixture: the
    :class:`Finished` command, run in `cwd` with the environment the session started with
    (`env` set over it) and `input` on its stdin, its output captured as text, killed after
    `timeout` seconds (the test then fails with :class:`subprocess.TimeoutExpired`). `files`
    are written into its ``OUT`` directory first ((path relative to it, text) pairs): the
    input files a test would otherwise write into its `tmp_path` before running it. Marked
    commands start when collection ends, in collection order; fixtures start others with
    :func:`start`. They run one at a time per spare core, beside the tests.
    """

    argv: tuple[str, ...]
    cwd: Path
    env: tuple[tuple[str, str], ...] = ()
    input: str | None = None
    timeout: float = 300
    files: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Job:
    """A Python function run in the background in a warm worker process (tests/warm_worker.py)
    rather than a process of its own: `function` (``"module:name"``) is called with its
    ``OUT`` directory and `args`, in the project directory, with the session's
    environment. It takes a :class:`Command`'s place wherever one goes;
    its :class:`Finished` process has the function's exit code (1 for an exception, whose
    traceback is the stderr) and what it printed. For work that builds CDK apps: the
    worker has paid for jsii and aws_cdk's imports once for all of them."""

    function: str
    args: tuple[str, ...] = ()
    timeout: float = SYNTH_TIMEOUT


#: Set to a file's path, the session appends one JSON line to it per background run and per
#: wait of the test process on one: {"what": "run" | "wait", "label", "start", "end"} (epoch
#: seconds). benchmarks/suite_bench.py reads it to show where the background's time goes.
BACKGROUND_LOG = "EKS_BLUEPRINT_BACKGROUND_LOG"
_LOG_LOCK = threading.Lock()


def _log(what: str, source: Command | Job, started: float) -> None:
    path = os.environ.get(BACKGROUND_LOG)
    if not path:
        return
    label = source.function if isinstance(source, Job) else " ".join(source.argv)
    line = json.dumps({"what": what, "label": label[:160], "start": started, "end": time.time()})
    with _LOG_LOCK, open(path, "a", encoding="utf-8") as log:
        log.write(line + "\n")


class _WarmWorker:
    """A `python -m tests.warm_worker` process, running one :class:`Job` at a time; what it
    prints between jobs goes to `log`."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as sink:
            self.process = subprocess.Popen(
                (sys.executable, "-m", "tests.warm_worker"), cwd=ROOT, env=env, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sink,
            )

    def run(self, job: Job, out: Path) -> subprocess.CompletedProcess[str]:
        """`job` into `out`; past its timeout, or if the worker dies, the worker is killed
        and this raises (the worker is not to be used again)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"function": job.function, "out": str(out), "args": list(job.args)}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            ready, line = [self.process.stdout], ""  # it died before the job
        else:
            ready, _, _ = select.select([self.process.stdout], [], [], job.timeout)
            line = self.process.stdout.readline() if ready else ""
        if not line:
            self.process.kill()
            self.process.wait()
            if not ready:
                raise subprocess.TimeoutExpired(job.function, job.timeout)
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the warm worker died running {job.function}:\n{tail}")
        reply = json.loads(line)
        return subprocess.CompletedProcess(
            [job.function, *job.args], reply["returncode"], reply["stdout"], reply["stderr"])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@dataclass(frozen=True)
class Finished:
    """A background command's outcome: the process and its ``OUT`` directory."""

    process: subprocess.CompletedProcess[str]
    out: Path


class _Job(Future[Finished]):
    """A submitted command's future: a test process that waits on it lends its own core to
    the background meanwhile (see :meth:`_Background.waiting`)."""

    def __init__(self, runner: _Background, command: Command | Job) -> None:
        super().__init__()
        self._runner = runner
        self._command = command

    def result(self, timeout: float | None = None) -> Finished:
        if self.done():
            return super().result(timeout)
        with self._runner.waiting(self._command):
            return super().result(timeout)


class _Background:
    """Runs commands on worker threads (each waits on its subprocess, so the threads hold
    no core), at most one per spare core, and one more while the test process waits on a
    command (its core is idle then): the command it waits on first."""

    def __init__(self, env: dict[str, str]) -> None:
        self._root = Path(tempfile.mkdtemp(prefix="pytest-background-"))
        self._env = env
        self._futures: dict[Command | Job, Future[Finished]] = {}
        self._queue: list[tuple[Command | Job, Future[Finished]]] = []
        self._running: set[subprocess.Popen[str]] = set()
        self._idle: list[_WarmWorker] = []  # warm workers between jobs
        self._workers = 0
        self._max_workers = max(1, (os.cpu_count() or 2) - 1)
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, command: Command | Job) -> Future[Finished]:
        with self._lock:
            if command not in self._futures:
                future: Future[Finished] = _Job(self, command)
                self._futures[command] = future
                self._queue.append((command, future))
                self._add_worker()
            return self._futures[command]

    def _add_worker(self) -> None:
        """Another worker, if there is work and a core for it (with the lock held)."""
        if self._queue and self._workers < self._max_workers:
            self._workers += 1
            threading.Thread(target=self._work, name="background", daemon=True).start()

    @contextmanager
    def waiting(self, command: Command | Job) -> Iterator[None]:
        """The test process waits on `command`: while it does, its core runs background work
        too, starting with `command` if it is still queued."""
        with self._lock:
            queued = [item for item in self._queue if item[0] == command]
            for item in queued:  # it is needed now: first in the queue
                self._queue.remove(item)
                self._queue.insert(0, item)
            self._max_workers += 1
            self._add_worker()
        started = time.time()
        try:
            yield
        finally:
            _log("wait", command, started)
            with self._lock:
                self._max_workers -= 1

    def _work(self) -> None:
        while True:
            with self._lock:
                if self._closed or not self._queue or self._workers > self._max_workers:
                    self._workers -= 1
                    return
                command, future = self._queue.pop(0)
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(self._run(command))
                except BaseException as exc:  # the test re-raises it
                    future.set_exception(exc)

    def _run(self, command: Command | Job) -> Finished:
        started = time.time()
        try:
            return self._run_in(command, Path(tempfile.mkdtemp(prefix="out-", dir=self._root)))
        finally:
            _log("run", command, started)

    def _run_in(self, command: Command | Job, out: Path) -> Finished:
        if isinstance(command, Job):
            return Finished(self._run_job(command, out), out)
        for name, text in command.files:
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_text(text, encoding="utf-8")
        argv = [arg.replace(OUT, str(out)) for arg in command.argv]
        env = {**self._env, **{k: v.replace(OUT, str(out)) for k, v in command.env}}
        with self._lock:
            if self._closed:
                raise RuntimeError("the session finished before the command started")
            process = subprocess.Popen(
                argv, cwd=command.cwd, env=env, text=True,
                stdin=subprocess.DEVNULL if command.input is None else subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )
            self._running.add(process)
        try:
            stdout, stderr = process.communicate(command.input, timeout=command.timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise
        finally:
            with self._lock:
                self._running.discard(process)
        return Finished(subprocess.CompletedProcess(argv, process.returncode, stdout, stderr), out)

    def _run_job(self, job: Job, out: Path) -> subprocess.CompletedProcess[str]:
        """`job` in an idle warm worker, or a new one (one per background core at most: a
        worker thread holds one while it runs a job)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the session finished before the job started")
            worker = self._idle.pop() if self._idle else _WarmWorker(
                self._env, self._root / f"worker-{len(self._running)}-{time.time_ns()}.log")
            self._running.add(worker.process)
        try:
            done = worker.run(job, out)
        finally:
            with self._lock:
                self._running.discard(worker.process)
        with self._lock:
            if self._closed:
                worker.close()
            else:
                self._idle.append(worker)
        return done

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for _, future in self._queue:
                future.cancel()
            for process in self._running:
                process.kill()
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()
        shutil.rmtree(self._root, ignore_errors=True)


_SESSION: dict[str, Any] = {}
"""The session's environment (as pytest_configure found it) and its :class:`_Background`."""


CommandSource = Command | Job
"""What ``@pytest.mark.background`` takes."""


def start(source: CommandSource) -> Future[Finished]:
    """Start a command or job in the background (once: the same again is the same run)."""
    if "background" not in _SESSION:
        _SESSION["background"] = _Background(_SESSION.get("env") or dict(os.environ))
    runner: _Background = _SESSION["background"]
    return runner.submit(source)


_FIXTURE_WORK: dict[str, CommandSource] = {}


def for_fixture(fixture: str, source: CommandSource) -> CommandSource:
    """Register `source` as the work of `fixture`: it starts when collection ends if a
    selected test uses the fixture, which waits for it with ``start(source).result()``.
    In a run of the whole suite it starts at once (see :func:`_whole_suite`)."""
    _FIXTURE_WORK[fixture] = source
    if _SESSION.get("eager"):
        start(source)
    return source


def _whole_suite(config: pytest.Config) -> bool:
    """Whether this run selects every test of the suite (``make test``: no paths, no -k, -m,
    --deselect, last-failed, ...), so every fixture's work is needed: it then starts when
    registered (as the modules are collected), on the core collection leaves idle, rather
    than when collection ends."""
    option = config.option
    narrowed = any(
        getattr(option, name, None)
        for name in ("keyword", "markexpr", "deselect", "lf", "failedfirst", "stepwise",
                     "collectonly")
    )
    return config.args_source == pytest.Config.ArgsSource.TESTPATHS and not narrowed


def _marked_commands(items: list[pytest.Item]) -> list[CommandSource]:
    sources: list[CommandSource] = []
    for item in items:
        for marker in item.iter_markers("background"):
            for source in marker.args:
                if not isinstance(source, Command | Job):
                    raise pytest.UsageError(
                        f"{item.nodeid}: background() takes a Command or a Job")
                if source not in sources:
                    sources.append(source)
    return sources


def _session_work(items: list[pytest.Item]) -> list[CommandSource]:
    """The work the selected tests need, in the order they need it: their fixtures' work,
    then their own markers' commands."""
    sources: list[CommandSource] = []
    for item in items:
        names = getattr(item, "fixturenames", ())
        found = [_FIXTURE_WORK[name] for name in names if name in _FIXTURE_WORK]
        for source in [*found, *_marked_commands([item])]:
            if source not in sources:
                sources.append(source)
    return sources


@pytest.fixture
def background(request: pytest.FixtureRequest) -> Finished:
    """The finished command of the test's ``background`` marker."""
    sources = _marked_commands([request.node])
    assert len(sources) == 1, "mark the test @pytest.mark.background(Command(...))"
    return start(sources[0]).result()


#: cfn-lint's own API, as the tests called it in-process, in a subprocess: the matches as JSON.
_CFN_LINT = """
import json, sys
from cfnlint.api import ManualArgs, lint_by_config
request = json.loads(sys.argv[1])
matches = lint_by_config(ManualArgs(templates=request["templates"], regions=request["regions"]))
json.dump([{"rule": m.rule.id, "severity": m.rule.severity, "filename": m.filename,
            "text": str(m)} for m in matches], sys.stdout)
"""


@dataclass(frozen=True)
class LintMatch:
    """One cfn-lint match: its rule id (`E3002`), severity (`error`, `warning`, ...) and
    template file; str() is cfn-lint's own rendering."""

    rule: str
    severity: str
    filename: str
    text: str

    def __str__(self) -> str:
        return self.text


#: Where cfn-lint's verdicts are kept between runs (git-ignored): see :class:`CfnLint`.
LINT_CACHE = ROOT / ".cache" / "cfn-lint"
#: The verdicts kept there: the least recently used beyond this many are removed.
LINT_CACHE_ENTRIES = 32
#: Stands for the output directory in a kept verdict (its matches name their files).
_OUTDIR = "%OUTDIR%"


@functools.cache
def _installed() -> str:
    """Python's version and every distribution installed in its environment, with its
    version: cfn-lint, its rules, schemas and dependencies are all among them. (Read from
    the environment's site-packages, not sys.path, which tests modules may extend.)"""
    paths = sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")})
    dists = sorted(
        {
            f"{dist.metadata['Name']}=={dist.version}"
            for dist in importlib.metadata.distributions(path=paths)
        }
    )
    return "\n".join([sys.version, sys.executable, *paths, *dists])


def _lint_key(outdir: Path, templates: list[Path], regions: list[str]) -> str:
    """Everything cfn-lint's verdict depends on: the program, the installed packages, the
    regions, cfn-lint's configuration files (user's and project's; it reads them on its own)
    and each template's name and bytes."""
    digest = hashlib.sha256()

    def add(part: str | bytes) -> None:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)

    add(_CFN_LINT)
    add(_installed())
    add(json.dumps(regions))
    for directory in (Path.home(), ROOT):
        for name in (".cfnlintrc", ".cfnlintrc.yaml", ".cfnlintrc.yml"):
            path = directory / name
            add(f"{path}:{path.read_bytes().hex() if path.is_file() else '-'}")
    for template in templates:
        add(template.relative_to(outdir).as_posix())
        add(template.read_bytes())
    return digest.hexdigest()


class CfnLint:
    """cfn-lint over every ``assembly-*/*.template.json`` of a synthesised output directory,
    for `regions`, started in the background when the synth finished (:meth:`start`).

    The verdict is kept in :data:`LINT_CACHE` under a key of everything it depends on (see
    :func:`_lint_key`): a run whose templates are byte for byte those of an earlier run, with
    the same cfn-lint, packages, regions and configuration, reads that run's matches instead
    of linting again (ten seconds of a core); any other change lints anew. Only a run that
    exited 0 and printed matches is kept."""

    _started: ClassVar[dict[Path, CfnLint]] = {}

    def __init__(self, outdir: Path, regions: list[str]) -> None:
        self.outdir = outdir
        self.templates = sorted(outdir.glob("assembly-*/*.template.json"))
        self.regions = list(regions)
        self._cache_file = LINT_CACHE / f"{_lint_key(outdir, self.templates, self.regions)}.json"
        self._kept: str | None = None
        self._run: Future[Finished] | None = None
        try:
            kept = self._cache_file.read_text(encoding="utf-8")
            json.loads(kept)  # a damaged file is linted again
            os.utime(self._cache_file)  # recently used: the last to be removed
            self._kept = kept
        except (OSError, ValueError):
            request = {"templates": [str(t) for t in self.templates], "regions": self.regions}
            self._run = start(Command(
                (sys.executable, "-c", _CFN_LINT, json.dumps(request)), cwd=ROOT,
                timeout=SYNTH_TIMEOUT,
            ))

    @classmethod
    def start(cls, outdir: Path, regions: list[str]) -> None:
        cls._started[outdir] = cls(outdir, regions)

    @classmethod
    def of(cls, outdir: Path) -> CfnLint:
        return cls._started[outdir]

    def matches(self) -> list[LintMatch]:
        """Every match (waits for the run, or reads the kept verdict)."""
        if self._kept is not None:
            stdout = self._kept.replace(_OUTDIR, str(self.outdir))
            return [LintMatch(**match) for match in json.loads(stdout)]
        assert self._run is not None
        finished = self._run.result()
        assert finished.process.returncode == 0, finished.process.stderr[-3000:]
        found = [LintMatch(**match) for match in json.loads(finished.process.stdout)]
        self._keep(finished.process.stdout.replace(str(self.outdir), _OUTDIR))
        return found

    def _keep(self, verdict: str) -> None:
        """Keep `verdict` for the next runs (atomically; the oldest beyond the limit go)."""
        try:
            LINT_CACHE.mkdir(parents=True, exist_ok=True)
            partial = self._cache_file.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(verdict, encoding="utf-8")
            partial.replace(self._cache_file)
            kept = sorted(LINT_CACHE.glob("*.json"), key=lambda p: p.stat().st_mtime)
            for old in kept[:-LINT_CACHE_ENTRIES]:
                old.unlink(missing_ok=True)
        except OSError:  # a read-only checkout: the next run lints again
            pass


#: The users' command: the CDK CLI, offline, quiet (README: `bin/cdk synth --no-lookups`).
CLI_FLAGS = ("--quiet", "--no-lookups")
#: With these flags too, the CLI leaves the templates exactly as an in-process `App.synth()`
#: writes them (no CDKMetadata resource, no aws:cdk:path or asset metadata), so a template
#: the CLI wrote and one a test builds (or a snapshot) compare equal.
IN_PROCESS_FLAGS = ("--no-version-reporting", "--no-path-metadata", "--no-asset-metadata")


def cli_synth(*context: str, in_process: bool = False) -> Command:
    """`bin/cdk synth` of app.py with :data:`CLI_FLAGS` (and, `in_process`,
    :data:`IN_PROCESS_FLAGS`) and `-c` `context`, into ``OUT``: run once per session for
    every test that reads its output."""
    args: list[str] = []
    for pair in context:
        args += ["-c", pair]
    flags = CLI_FLAGS + (IN_PROCESS_FLAGS if in_process else ())
    return Command((str(ROOT / "bin" / "cdk"), "synth", *flags, *args, "-o", OUT),
                   cwd=ROOT, timeout=SYNTH_TIMEOUT)


#: Every environment, through the CDK CLI and app.py (the compliance packs enforcing at synth,
#: as for users), templates as in-process, for `synth` and the test of the CLI: one synth of
#: the shipped environments per session that the tests, the snapshots and the review compare
#: with their own apps. The users' exact command runs on the pipeline app, whose stages are
#: these environments (tests/pipeline_app.py; tests/unit/test_deployability.py compares).
SESSION_SYNTH = for_fixture("synth", cli_synth(in_process=True))


#: Fixtures whose tests wait on background work: those tests run last (see below).
WAITS_ON_BACKGROUND = frozenset({"background", "synth_lint", "example_lint"})


def _parse_kubernetes_schemas_once() -> None:
    """kubernetes-validate reads and parses the kind's schema file and the whole definitions
    file (about a megabyte of JSON) on every `validate` call: thousands in a session, over a
    second of it. Each file's parse is kept instead; the validation reads them and never
    changes them, so every verdict and message stays the same."""
    import kubernetes_validate.utils as utils

    utils.schema_contents = functools.cache(utils.schema_contents)  # type: ignore[assignment]


def pytest_configure(config: pytest.Config) -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    _parse_kubernetes_schemas_once()
    _SESSION["env"] = dict(os.environ)
    config.addinivalue_line(
        "markers",
        "background(command): start the tests.conftest.Command (or Job) when collection ends; "
        "the test's `background` fixture is its result",
    )
    if _whole_suite(config):
        _SESSION["eager"] = True
        for source in list(_FIXTURE_WORK.values()):
            start(source)


def _waits_on_background(item: pytest.Item) -> bool:
    """Whether `item` waits on background work and can move: its fixtures are function- or
    session-scoped (moving a test away from its module would build a module fixture twice)."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None or not WAITS_ON_BACKGROUND & set(info.names_closure):
        return False
    return all(
        defs[-1].scope in ("function", "session") for defs in info.name2fixturedefs.values()
    )


def _module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test modules whose fixtures need no background work (:func:`for_fixture`) run
    first, then the others, each in collection order and whole (a module fixture is built
    once); and the tests that wait on background work run after all of them (in their
    order). So the work has run beside the rest of the suite by the time it is asked for,
    rather than the test process waiting on the session's synth from its third module."""
    needing = {_module_of(i) for i in items if set(i.fixturenames) & _FIXTURE_WORK.keys()}
    items.sort(key=lambda item: _module_of(item) in needing)  # stable: same order within
    waiting = [item for item in items if _waits_on_background(item)]
    if waiting:
        others = [item for item in items if not _waits_on_background(item)]
        items[:] = others + waiting


def pytest_collection_finish(session: pytest.Session) -> None:
    if not session.config.option.collectonly:
        for source in _session_work(session.items):
            start(source)

