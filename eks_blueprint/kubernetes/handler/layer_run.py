"""Running commands against the cluster: the token and kubeconfig, kubectl and helm as
subprocesses within the Lambda's remaining time, logging, and running items concurrently in
dependency order.

Every command gets a fresh temporary directory of its own (Lambda's only writable place is
/tmp): its kubeconfig (mode 0600) with a freshly signed token, its HOME and its kubectl
discovery cache. Commands run concurrently and a layer may outlive a token (15 minutes), so
nothing is shared; a fresh discovery cache also means a kind that an earlier item just
installed is seen.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import boto3

if TYPE_CHECKING:  # mypy checks the asset as part of the package; Lambda runs it flat
    from eks_blueprint.kubernetes.handler import layer_plan
else:
    import layer_plan

#: Where the kubectl layer installs its binaries; KUBECTL / HELM override them (tests).
DEFAULT_KUBECTL = "/opt/kubectl/kubectl"
DEFAULT_HELM = "/opt/helm/helm"
LAYER_PATH = "/opt/kubectl:/opt/helm"

TOKEN_PREFIX = "k8s-aws-v1."
#: Lifetime of the presigned URL in the token (what `aws eks get-token` uses).
TOKEN_URL_EXPIRES_S = 60

#: Items run at most this many at a time.
MAX_WORKERS = 4
#: A command is stopped this long before the Lambda's end, so the failure is reported.
END_MARGIN_S = 20.0
#: After SIGTERM (Helm then marks its release failed rather than leaving it pending), a
#: command has this long to exit before SIGKILL.
TERMINATE_GRACE_S = 10.0
#: Longest stdout/stderr excerpt written to the log per command.
LOG_OUTPUT_CHARS = 2000

Tool = Literal["kubectl", "helm"]


class LambdaContext(Protocol):
    """The part of the Lambda context object the handler uses."""

    def get_remaining_time_in_millis(self) -> int: ...


class Log:
    """Lines to stdout (CloudWatch Logs), whole even when threads write at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __call__(self, message: str) -> None:
        with self._lock:
            print(message, flush=True)


@dataclass(frozen=True)
class Deadline:
    """The Lambda's end, on the monotonic clock: readable from any thread."""

    end: float

    @classmethod
    def of(cls, context: LambdaContext) -> Deadline:
        """The deadline of the running invocation."""
        return cls(time.monotonic() + context.get_remaining_time_in_millis() / 1000.0)

    def remaining(self) -> float:
        """Seconds left before the Lambda is stopped."""
        return self.end - time.monotonic()


class OutOfTime(Exception):
    """Too little of the Lambda's time is left to start something."""


@dataclass(frozen=True)
class Cluster:
    """How to reach the cluster."""

    name: str
    endpoint: str
    certificate_authority_data: str
    region: str


def sts_endpoint(region: str) -> str:
    """The regional STS endpoint the EKS authenticator accepts tokens for, in the region's
    partition (China and the ISO partitions have DNS suffixes of their own)."""
    return f"https://sts.{region}.{layer_plan.dns_suffix(region)}"


class TokenSource:
    """Kubernetes bearer tokens for an EKS cluster, signed locally with the Lambda's own
    credentials (what `aws eks get-token` does, without the AWS CLI): a presigned STS
    GetCallerIdentity URL with the cluster's name signed in as header ``x-k8s-aws-id``."""

    def __init__(self, cluster_name: str, region: str) -> None:
        self._cluster_name = cluster_name
        # One client, created up front: creating clients is not thread-safe, using one is.
        self._client = boto3.session.Session().client(
            "sts", region_name=region, endpoint_url=sts_endpoint(region)
        )
        self._client.meta.events.register(
            "before-sign.sts.GetCallerIdentity", self._add_cluster_header
        )

    def _add_cluster_header(self, request: Any, **_: Any) -> None:
        request.headers["x-k8s-aws-id"] = self._cluster_name

    def token(self) -> str:
        """A fresh token (EKS accepts it for 15 minutes)."""
        url = self._client.generate_presigned_url(
            "get_caller_identity", Params={}, ExpiresIn=TOKEN_URL_EXPIRES_S, HttpMethod="GET"
        )
        return TOKEN_PREFIX + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def kubeconfig(cluster: Cluster, token: str) -> dict[str, Any]:
    """A kubeconfig (kubectl and helm read JSON) for `cluster` with bearer `token`."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster.name,
                "cluster": {
                    "server": cluster.endpoint,
                    "certificate-authority-data": cluster.certificate_authority_data,
                },
            }
        ],
        "users": [{"name": "handler", "user": {"token": token}}],
        "contexts": [{"name": "layer", "context": {"cluster": cluster.name, "user": "handler"}}],
        "current-context": "layer",
    }


def write_private(path: str, text: str) -> None:
    """Write `text` to a new file only the Lambda's user can read (kubeconfigs hold tokens,
    manifests and values may hold secrets)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


def tail(text: str, lines: int = 3, limit: int = 300) -> str:
    """The last non-empty `lines` lines of `text`, at most `limit` characters."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    joined = " | ".join(kept)
    return joined if len(joined) <= limit else "…" + joined[-(limit - 1) :]


def describe(argv: Sequence[str]) -> str:
    """A short name of a command for messages: the tool and up to three words before the
    first flag (``--install`` counts as a word): "helm upgrade --install my-release",
    "kubectl apply", "kubectl patch configmap/x"."""
    words = [os.path.basename(argv[0])]
    for arg in argv[1:4]:
        if arg.startswith("-") and arg != "--install":
            break
        words.append(arg)
    return " ".join(words)


class CommandError(Exception):
    """A command failed (non-zero exit or timeout)."""

    def __init__(
        self, argv: Sequence[str], returncode: int | None, stdout: str, stderr: str
    ) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        status = "timed out" if returncode is None else f"exited {returncode}"
        super().__init__(f"`{describe(argv)}` {status}: {tail(stderr) or tail(stdout)}")


@dataclass(frozen=True)
class Completed:
    """A command that exited 0."""

    stdout: str
    stderr: str


class Runner:
    """Runs kubectl and helm against one cluster (thread-safe)."""

    def __init__(self, cluster: Cluster, deadline: Deadline, tokens: TokenSource, log: Log):
        self.cluster = cluster
        self.deadline = deadline
        self.log = log
        self._tokens = tokens
        self._binaries: dict[Tool, str] = {
            "kubectl": os.environ.get("KUBECTL") or DEFAULT_KUBECTL,
            "helm": os.environ.get("HELM") or DEFAULT_HELM,
        }

    def run(
        self,
        tool: Tool,
        args: Sequence[str],
        *,
        label: str,
        stdin: str | None = None,
        helm_home: str | None = None,
        kube: bool = True,
        timeout_s: float | None = None,
        log_stdout: bool = True,
    ) -> Completed:
        """Run `tool` with `args` in a fresh directory: its own kubeconfig (unless `kube` is
        False), HOME and, for kubectl, --cache-dir. `stdin` is written to the command's
        input (passwords never go on the command line); `helm_home` holds Helm's cache,
        config and data when a later command needs what an earlier one stored (a registry
        login). Stopped at `timeout_s` or the Lambda's end minus END_MARGIN_S, whichever is
        first. `log_stdout` False keeps the output out of the log (a release's values).
        Raises CommandError on failure, OutOfTime if no time is left."""
        budget = self.deadline.remaining() - END_MARGIN_S
        if budget < 1:
            raise OutOfTime(f"{label}: out of time before `{describe([tool, *args])}`")
        if timeout_s is not None:
            budget = min(budget, timeout_s)
        workdir = tempfile.mkdtemp(prefix=f"{tool}-")
        try:
            env = dict(os.environ)
            env["PATH"] = f"{LAYER_PATH}:{env.get('PATH', '')}"
            env["HOME"] = workdir
            env["KUBECACHEDIR"] = os.path.join(workdir, "cache")
            home = helm_home or os.path.join(workdir, "helm")
            env["HELM_CACHE_HOME"] = os.path.join(home, "cache")
            env["HELM_CONFIG_HOME"] = os.path.join(home, "config")
            env["HELM_DATA_HOME"] = os.path.join(home, "data")
            if kube:
                config = os.path.join(workdir, "kubeconfig.json")
                write_private(config, json.dumps(kubeconfig(self.cluster, self._tokens.token())))
                env["KUBECONFIG"] = config
            else:
                env.pop("KUBECONFIG", None)
            argv = [self._binaries[tool], *args]
            if tool == "kubectl":
                argv += ["--cache-dir", os.path.join(workdir, "cache")]
            return self._execute(argv, env, workdir, stdin, budget, label, log_stdout)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _execute(
        self,
        argv: list[str],
        env: Mapping[str, str],
        cwd: str,
        stdin: str | None,
        timeout_s: float,
        label: str,
        log_stdout: bool,
    ) -> Completed:
        shown = " ".join([os.path.basename(argv[0]), *(_short(a) for a in argv[1:])])
        self.log(f"[{label}] $ {shown}")
        started = time.monotonic()
        process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            cwd=cwd,
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        returncode: int | None
        try:
            stdout, stderr = process.communicate(stdin, timeout=timeout_s)
            returncode = process.returncode
        except subprocess.TimeoutExpired:
            process.terminate()
            try:
                stdout, stderr = process.communicate(timeout=TERMINATE_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                stdout, stderr = process.communicate()
            returncode = None
        elapsed = time.monotonic() - started
        status = "timed out" if returncode is None else f"exit {returncode}"
        self.log(f"[{label}] {status} in {elapsed:.1f} s: {describe(argv)}")
        for name, text in (("stdout", stdout if log_stdout else ""), ("stderr", stderr)):
            if text.strip():
                self.log(f"[{label}] {name}: {text.strip()[-LOG_OUTPUT_CHARS:]}")
        if returncode != 0:
            raise CommandError(argv, returncode, stdout, stderr)
        return Completed(stdout, stderr)


def _short(arg: str, limit: int = 200) -> str:
    """`arg` for the log: long ones (inline patches) shortened."""
    return arg if len(arg) <= limit else arg[: limit - 1] + "…"


class LayerFailed(Exception):
    """Items failed: each with its error, the ones not started, and the ones done."""

    def __init__(
        self, failures: Mapping[str, BaseException], not_started: Sequence[str], done: Sequence[str]
    ) -> None:
        self.failures = dict(failures)
        self.not_started = list(not_started)
        self.done = list(done)
        super().__init__(", ".join(self.failures))


def run_graph(
    order: Sequence[str],
    before: Mapping[str, frozenset[str]],
    work: Callable[[str], None],
    *,
    workers: int = MAX_WORKERS,
) -> list[str]:
    """Run `work(id)` for every id of `order` once everything in `before[id]` is done, at
    most `workers` at a time, preferring `order` among the ready ones. After the first
    failure nothing new starts; the running ones finish, then LayerFailed is raised.
    Returns the ids in the order they finished."""
    pending = list(order)
    done: list[str] = []
    failures: dict[str, BaseException] = {}
    running: dict[Future[None], str] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="item") as pool:
        while True:
            if not failures:
                for item_id in list(pending):
                    if len(running) >= workers:
                        break
                    if before.get(item_id, frozenset()) <= set(done):
                        pending.remove(item_id)
                        running[pool.submit(work, item_id)] = item_id
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                item_id = running.pop(future)
                error = future.exception()
                if error is None:
                    done.append(item_id)
                else:
                    failures[item_id] = error
    if failures:
        raise LayerFailed(failures, pending, done)
    if pending:  # unreachable for a validated order; never hang or pass silently
        raise RuntimeError("items never became ready: " + ", ".join(pending))
    return done
