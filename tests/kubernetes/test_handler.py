"""The Kubernetes layer handler (the Lambda asset in eks_blueprint/kubernetes/handler),
offline: its planning functions directly, and `on_event` end to end against fake `kubectl`
and `helm` executables that log their arguments, files, kubeconfig and timing to a JSON-lines
file and fail when a rule matches (the environment tells them which)."""

from __future__ import annotations

import base64
import json
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

HANDLER_DIR = Path(__file__).resolve().parents[2] / "eks_blueprint" / "kubernetes" / "handler"
# Lambda runs the asset flat (`index.on_event`, siblings imported by name): so do the tests.
sys.path.insert(0, str(HANDLER_DIR))

import index  # noqa: E402
import layer_items  # noqa: E402
import layer_plan  # noqa: E402
import layer_run  # noqa: E402

#: The real token source (the `fake` fixture replaces it with FakeTokens).
TOKEN_SOURCE = layer_run.TokenSource

REGION = "eu-west-1"
ENDPOINT = "https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com"
ECR = "oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com/charts"

# --------------------------------------------------------------------------------------------
# Fake binaries

FAKE = r'''#!{python} -S
"""Fake kubectl/helm: logs one JSON line per call, fails (or answers) when a rule of
FAKE_RULES matches its arguments or the files it is given; a rule's "clock" sets the seconds
the Lambda has left (ClockDeadline). `helm status` of an unknown release: not found."""
import fcntl, json, os, sys, time

start = time.time()
tool = os.path.basename(sys.argv[0])
args = sys.argv[1:]
files = {}
for i, arg in enumerate(args[:-1]):
    if arg in ("-f", "--values"):
        with open(args[i + 1]) as f:
            files[args[i + 1]] = f.read()
config_path = os.environ.get("KUBECONFIG")
config, mode = {}, None
if config_path:
    with open(config_path) as f:
        config = json.load(f)
    mode = oct(os.stat(config_path).st_mode & 0o777)
stdin = sys.stdin.read()
time.sleep(float(os.environ.get("FAKE_SLEEP", "0")))
text = " ".join(args) + " " + " ".join(files.values())
rc, out, err, matched, awaited = 0, "", "", None, None
state = os.environ["FAKE_STATE"]
for n, rule in enumerate(json.loads(os.environ.get("FAKE_RULES", "[]"))):
    if rule["match"] not in text or rule.get("tool", tool) != tool:
        continue
    with open(os.path.join(state, "rule-%d" % n), "a+") as counter:
        fcntl.flock(counter, fcntl.LOCK_EX)
        counter.seek(0)
        seen = len(counter.read())
        counter.write("x")
    if rule.get("times") is not None and seen >= rule["times"]:
        continue
    rc, out, err, matched = rule["rc"], rule["stdout"], rule["stderr"], rule["match"]
    time.sleep(rule.get("sleep") or 0)
    if rule.get("signal"):
        open(os.path.join(state, "signal-" + rule["signal"]), "w").close()
    if rule.get("await"):
        awaited = False
        for _ in range(300):
            if os.path.exists(os.path.join(state, "signal-" + rule["await"])):
                awaited = True
                break
            time.sleep(0.01)
    if rule.get("clock") is not None:
        with open(os.path.join(state, "clock"), "w") as clock:
            clock.write(str(rule["clock"]))
    break
if matched is None and tool == "helm" and args[:1] == ["status"]:
    rc, err = 1, "Error: release: not found"
if tool == "kubectl" and args and args[0] == "create":
    for content in files.values():
        for obj in json.loads(content)["items"]:
            if matched is None or matched not in json.dumps(obj):
                meta = obj["metadata"]
                out += "\t".join([obj["apiVersion"], obj["kind"],
                                  meta.get("namespace", "default"), meta["name"]]) + "\n"
clusters, users = config.get("clusters") or [{}], config.get("users") or [{}]
record = {
    "tool": tool, "args": args, "files": files, "stdin": stdin, "rc": rc,
    "server": clusters[0].get("cluster", {}).get("server"),
    "token": users[0].get("user", {}).get("token", ""), "mode": mode,
    "home": os.environ.get("HOME"), "helm_config": os.environ.get("HELM_CONFIG_HOME"),
    "start": start, "end": time.time(), "awaited": awaited,
}
with open(os.environ["FAKE_LOG"], "a") as log:
    fcntl.flock(log, fcntl.LOCK_EX)
    log.write(json.dumps(record) + "\n")
sys.stdout.write(out)
sys.stderr.write(err)
sys.exit(rc)
'''


@dataclass
class Call:
    """One logged call of a fake binary."""

    tool: str
    args: list[str]
    files: dict[str, str]
    stdin: str
    rc: int
    server: str | None
    token: str
    mode: str | None
    home: str
    helm_config: str | None
    start: float
    end: float
    #: Whether the call saw the signal its rule awaited (None: it awaited none).
    awaited: bool | None

    @property
    def verb(self) -> str:
        return " ".join([self.tool, *self.args[:2]])

    def flag(self, name: str) -> str | None:
        """The value after flag `name`."""
        return self.args[self.args.index(name) + 1] if name in self.args else None

    def objects(self) -> list[str]:
        """Names of the objects in the -f file."""
        (content,) = [c for p, c in self.files.items() if p == self.flag("-f")]
        return [o["metadata"]["name"] for o in json.loads(content)["items"]]


class Fake:
    """The fake binaries' controls and log."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.log = root / "calls.jsonl"
        self.rules: list[dict[str, Any]] = []
        self._monkeypatch = monkeypatch

    def fail(
        self,
        match: str,
        stderr: str,
        *,
        times: int | None = None,
        tool: str | None = None,
        rc: int = 1,
        stdout: str = "",
        clock: float | None = None,
        sleep: float = 0,
        signal: str | None = None,
        wait_for: str | None = None,
    ) -> None:
        """Calls whose arguments or files contain `match` take `sleep` seconds more and exit
        `rc` with `stdout` and `stderr` (only the first `times` such calls when given), and
        leave the Lambda `clock` seconds when given. A call raises `signal`; a call that
        waits for a signal (up to 3 s) records whether it came (Call.awaited): it did only
        if the two calls ran at the same time."""
        rule: dict[str, Any] = {"match": match, "stderr": stderr, "times": times, "rc": rc}
        rule |= {"stdout": stdout, "clock": clock, "sleep": sleep}
        rule |= {"signal": signal, "await": wait_for}
        if tool:
            rule["tool"] = tool
        self.rules.append(rule)
        self._monkeypatch.setenv("FAKE_RULES", json.dumps(self.rules))

    def answer(self, match: str, stdout: str = "", *, wait_for: str | None = None) -> None:
        """Calls matching `match` succeed, printing `stdout` (see `fail` for `wait_for`)."""
        self.fail(match, "", rc=0, stdout=stdout, wait_for=wait_for)

    def use_clock(self) -> None:
        """The Lambda's remaining time: the context's, until a rule's `clock` sets it."""
        clock = self.log.parent / "state" / "clock"
        self._monkeypatch.setattr(
            layer_run, "Deadline", SimpleNamespace(of=lambda c: ClockDeadline(clock, c.seconds))
        )

    def sleep(self, seconds: float) -> None:
        self._monkeypatch.setenv("FAKE_SLEEP", str(seconds))

    def calls(self) -> list[Call]:
        if not self.log.exists():
            return []
        calls = [Call(**json.loads(line)) for line in self.log.read_text().splitlines()]
        return sorted(calls, key=lambda c: c.start)

    def call(self, *words: str) -> Call:
        """The one call whose args contain all `words`."""
        found = [c for c in self.calls() if all(w in c.args for w in words)]
        assert len(found) == 1, (words, [c.args for c in self.calls()])
        return found[0]


@dataclass
class ClockDeadline:
    """A deadline the fake binaries move (Fake.use_clock)."""

    clock: Path
    seconds: float

    def remaining(self) -> float:
        return float(self.clock.read_text()) if self.clock.exists() else self.seconds


class FakeTokens:
    """Tokens without botocore (fast); one test uses the real TokenSource."""

    def __init__(self, cluster_name: str, region: str) -> None:
        self.cluster_name = cluster_name

    def token(self) -> str:
        return "k8s-aws-v1.fake-" + self.cluster_name


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fake]:
    """Fake kubectl and helm on KUBECTL/HELM; fake AWS credentials; no retry pauses; a
    private temp dir that must be empty again after each event."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("kubectl", "helm"):
        path = bin_dir / tool
        path.write_text(FAKE.replace("{python}", sys.executable))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    state = tmp_path / "state"
    state.mkdir()
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("KUBECTL", str(bin_dir / "kubectl"))
    monkeypatch.setenv("HELM", str(bin_dir / "helm"))
    monkeypatch.setenv("FAKE_LOG", str(tmp_path / "calls.jsonl"))
    monkeypatch.setenv("FAKE_STATE", str(state))
    monkeypatch.delenv("FAKE_RULES", raising=False)
    monkeypatch.delenv("FAKE_SLEEP", raising=False)
    monkeypatch.delenv("LOG_GROUP_NAME", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_LOG_GROUP_NAME", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(layer_items, "RETRY_DELAYS_S", (0.0, 0.0, 0.0))
    monkeypatch.setattr(layer_items, "ecr_password", lambda region: f"secret-{region}")
    monkeypatch.setattr(layer_run, "TokenSource", FakeTokens)
    fake_credentials(monkeypatch, tmp_path)
    yield Fake(tmp_path, monkeypatch)
    assert list(scratch.iterdir()) == [], "temporary files left behind"


def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_STS_REGIONAL_ENDPOINTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


class Context:
    """A Lambda context with `seconds` left (the handler's timeout is 14 minutes)."""

    def __init__(self, seconds: float = 840) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


# --------------------------------------------------------------------------------------------
# Layer properties


def obj(
    name: str, namespace: str | None = "demo", kind: str = "ConfigMap", api_version: str = "v1"
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata}


def manifest(
    item_id: str, *objects: dict[str, Any], after: tuple[str, ...] = (), overwrite: str = "true"
) -> dict[str, Any]:
    return {
        "Id": item_id,
        "Type": "manifest",
        "Manifest": json.dumps(list(objects)),
        "Overwrite": overwrite,
        "After": list(after),
    }


def chart(
    item_id: str,
    release: str,
    *,
    after: tuple[str, ...] = (),
    repository: str = "https://charts.example.com",
    **extra: str,
) -> dict[str, Any]:
    props = {
        "Id": item_id,
        "Type": "chart",
        "Chart": release,
        "Repository": repository,
        "Version": "1.2.3",
        "Release": release,
        "Namespace": "kube-system",
        "CreateNamespace": "false",
        "Wait": "false",
        "Timeout": "300",
        "SkipCrds": "false",
        "After": list(after),
    }
    props.update(extra)
    return props


def patch(item_id: str, name: str, *, after: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "Id": item_id,
        "Type": "patch",
        "ResourceName": f"configmap/{name}",
        "ResourceNamespace": "kube-system",
        "ApplyPatch": '{"data":{"x":"applied"}}',
        "RestorePatch": '{"data":{"x":null}}',
        "PatchType": "merge",
        "After": list(after),
    }


def props(
    items: list[dict[str, Any]],
    *,
    elsewhere: list[str] | None = None,
    cluster: str = "demo",
    layer: str = "foundation",
) -> dict[str, Any]:
    return {
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:framework",
        "ClusterName": cluster,
        "Endpoint": ENDPOINT,
        "CertificateAuthorityData": "Q0E=",
        "Region": REGION,
        "Layer": layer,
        "Items": items,
        "Elsewhere": elsewhere or [],
    }


def event(
    request_type: str,
    properties: dict[str, Any],
    old: dict[str, Any] | None = None,
    physical_id: str | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "RequestType": request_type,
        "ResourceProperties": properties,
        "LogicalResourceId": "FoundationLayer",
        "RequestId": "req-1",
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1",
        "ResourceType": "Custom::KubernetesLayer",
    }
    if old is not None:
        result["OldResourceProperties"] = old
    if physical_id is not None:
        result["PhysicalResourceId"] = physical_id
    return result


# --------------------------------------------------------------------------------------------
# Planning (pure functions)


def test_string_booleans() -> None:
    assert layer_plan.flag("true", "x") is True
    assert layer_plan.flag("false", "x") is False
    assert layer_plan.flag("TRUE", "x") is True
    assert layer_plan.flag(None, "x") is False
    assert layer_plan.flag(None, "x", default=True) is True
    assert layer_plan.flag(True, "x") is True
    with pytest.raises(layer_plan.PlanError, match="x must be 'true' or 'false'"):
        layer_plan.flag("yes", "x")
    (item,) = layer_plan.parse_items([chart("C", "c", Wait="false", SkipCrds="true")])
    assert isinstance(item.spec, layer_plan.Chart)
    assert (item.spec.wait, item.spec.skip_crds, item.spec.create_namespace) == (False, True, False)
    (item,) = layer_plan.parse_items([manifest("M", obj("a"), overwrite="false")])
    assert isinstance(item.spec, layer_plan.Manifest) and item.spec.overwrite is False


def test_identities() -> None:
    assert layer_plan.object_identity(obj("payments", None, "Namespace")) == (
        "object:/Namespace//payments"
    )
    assert layer_plan.object_identity(obj("web", "demo", "Deployment", "apps/v1")) == (
        "object:apps/Deployment/demo/web"
    )
    assert (
        layer_plan.object_identity(obj("x", None, "ClusterPolicy", "kyverno.io/v1"))
        == "object:kyverno.io/ClusterPolicy//x"
    )
    items = layer_plan.parse_items([chart("C", "lbc"), patch("P", "aws-auth")])
    assert [i.identities() for i in items] == [
        ("release:kube-system/lbc",),
        ("patch:kube-system/configmap/aws-auth",),
    ]


def test_chart_reference_and_registry() -> None:
    def spec(repository: str, name: str = "karpenter") -> layer_plan.Chart:
        (item,) = layer_plan.parse_items([chart("C", name, repository=repository)])
        assert isinstance(item.spec, layer_plan.Chart)
        return item.spec

    public = spec("oci://public.ecr.aws/karpenter/karpenter")
    assert (public.is_oci, public.chart_ref, public.private_ecr) == (
        True,
        "oci://public.ecr.aws/karpenter/karpenter",
        None,
    )
    namespace = spec("oci://ghcr.io/nirmata/charts/", "kyverno-notation-aws")
    assert namespace.chart_ref == "oci://ghcr.io/nirmata/charts/kyverno-notation-aws"
    private = spec(ECR)
    assert private.chart_ref == f"{ECR}/karpenter"
    assert private.private_ecr == ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", REGION)
    iso = spec("oci://123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov/charts")
    assert iso.private_ecr == ("123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", "us-iso-east-1")
    china = spec("oci://123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/charts")
    assert china.private_ecr == ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", "cn-north-1")
    assert (
        spec("oci://123456789012.dkr.ecr.eu-west-1.amazonaws.com.example.org/c").private_ecr is None
    )
    https = spec("https://aws.github.io/eks-charts", "aws-load-balancer-controller")
    assert (https.is_oci, https.chart_ref, https.private_ecr) == (
        False,
        "aws-load-balancer-controller",
        None,
    )
    with pytest.raises(layer_plan.PlanError, match="https:// or oci://"):
        spec("http://charts.example.com")


def test_invalid_items_are_refused() -> None:
    with pytest.raises(layer_plan.PlanError, match="duplicate item Id 'A'"):
        layer_plan.parse_items([manifest("A"), manifest("A")])
    with pytest.raises(layer_plan.PlanError, match="release:kube-system/x is also installed by A"):
        layer_plan.parse_items([chart("A", "x"), chart("B", "x")])
    with pytest.raises(layer_plan.PlanError, match="B: Manifest is not valid JSON"):
        layer_plan.parse_items([{"Id": "B", "Type": "manifest", "Manifest": "[{"}])
    with pytest.raises(layer_plan.PlanError, match="Type must be"):
        layer_plan.parse_items([{"Id": "B", "Type": "kustomize"}])
    with pytest.raises(layer_plan.PlanError, match="Timeout must be"):
        layer_plan.parse_items([chart("C", "c", Timeout="5m")])
    with pytest.raises(layer_plan.PlanError, match=r"metadata\.name"):
        layer_plan.parse_items([manifest("M", {"apiVersion": "v1", "kind": "ConfigMap"})])


def test_topological_order() -> None:
    items = layer_plan.parse_items(
        [
            manifest("D", after=("B", "C")),
            manifest("B", after=("A",)),
            manifest("A"),
            manifest("C"),
            manifest("E", after=("A",)),
        ]
    )
    assert layer_plan.topological_order(items) == ["A", "C", "B", "E", "D"]
    assert layer_plan.dependants(items)["A"] == frozenset({"B", "E"})
    assert layer_plan.prerequisites(items)["D"] == frozenset({"B", "C"})
    unknown = layer_plan.parse_items([manifest("A", after=("Z",))])
    with pytest.raises(layer_plan.PlanError, match="A: After names unknown item"):
        layer_plan.topological_order(unknown)
    cycle = layer_plan.parse_items(
        [manifest("A", after=("B",)), manifest("B", after=("A",)), manifest("C")]
    )
    with pytest.raises(layer_plan.PlanError, match="cycle in After between A, B"):
        layer_plan.topological_order(cycle)


def test_removals_compare_identities_across_the_layer() -> None:
    old = layer_plan.parse_items(
        [
            manifest("M1", obj("ns", None, "Namespace"), obj("a"), obj("moved"), obj("away")),
            manifest("M2", obj("b")),
            chart("C1", "kept"),
            chart("C2", "gone"),
            chart("C3", "elsewhere"),
            patch("P1", "restored"),
        ]
    )
    new = layer_plan.parse_items(
        [
            manifest("M1", obj("ns", None, "Namespace")),
            manifest("M3", obj("moved")),  # moved between items of the layer
            chart("C4", "kept"),  # same release, new item
        ]
    )
    elsewhere = frozenset({"object:/ConfigMap/demo/away", "release:kube-system/elsewhere"})
    plan = layer_plan.removals(old, new, elsewhere)
    assert [o.body["metadata"]["name"] for o in plan["M1"].objects] == ["a"]
    assert [o.body["metadata"]["name"] for o in plan["M2"].objects] == ["b"]
    assert [(k, plan[k].whole) for k in ("C1", "C2", "C3", "P1")] == [
        ("C1", False),
        ("C2", True),
        ("C3", False),
        ("P1", True),
    ]
    assert plan["C1"].nothing and not plan["P1"].nothing
    # A Delete: everything, objects in reverse manifest order, but what is elsewhere.
    everything = layer_plan.removals(old[:1], [], elsewhere)["M1"]
    assert [o.body["metadata"]["name"] for o in everything.objects] == ["moved", "a", "ns"]


def test_creation_of_overwrite_false_items() -> None:
    old = layer_plan.parse_items([manifest("Old", obj("moved"))])
    (new,) = layer_plan.parse_items(
        [manifest("New", obj("fresh"), obj("moved"), overwrite="false")]
    )
    plan = layer_plan.creation(new, old)
    assert [o.identity for o in plan.create] == ["object:/ConfigMap/demo/fresh"]
    assert [o.identity for o in plan.apply] == ["object:/ConfigMap/demo/moved"]
    (again,) = layer_plan.parse_items([manifest("Old", obj("moved"), obj("x"), overwrite="false")])
    assert layer_plan.creation(again, old).create == ()  # applied before: apply
    (overwrite,) = layer_plan.parse_items([manifest("New", obj("fresh"))])
    assert layer_plan.creation(overwrite, []).create == ()


def test_physical_id() -> None:
    new = props([], cluster="demo", layer="platform")
    assert layer_plan.physical_id("Create", new, None, None) == "demo/platform"
    assert layer_plan.physical_id("Update", new, props([], layer="platform"), "kept") == "kept"
    assert (
        layer_plan.physical_id(
            "Update", new, props([], cluster="old", layer="platform"), "old/platform"
        )
        == "demo/platform"
    )
    assert (
        layer_plan.physical_id("Update", new, props([], layer="foundation"), "demo/foundation")
        == "demo/platform"
    )
    assert layer_plan.physical_id("Delete", new, None, "other/id") == "other/id"


# --------------------------------------------------------------------------------------------
# Running


def test_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_credentials(monkeypatch, tmp_path)
    token = layer_run.TokenSource("my-cluster", REGION).token()
    assert token.startswith("k8s-aws-v1.") and "=" not in token
    encoded = token.removeprefix("k8s-aws-v1.")
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://sts.eu-west-1.amazonaws.com/"
    assert query["Action"] == "GetCallerIdentity"
    assert query["X-Amz-Expires"] == "60"
    assert "x-k8s-aws-id" in query["X-Amz-SignedHeaders"].split(";")
    assert query["X-Amz-Credential"].startswith("AKIDEXAMPLE/")
    assert layer_run.sts_endpoint("cn-north-1") == "https://sts.cn-north-1.amazonaws.com.cn"
    assert layer_run.sts_endpoint("us-gov-west-1") == "https://sts.us-gov-west-1.amazonaws.com"


def test_token_in_iso_partitions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The ISO partitions have DNS suffixes of their own; a Region that is no region name is
    refused with a clear message (before any command runs)."""
    fake_credentials(monkeypatch, tmp_path)
    token = layer_run.TokenSource("c", "us-iso-east-1").token().removeprefix("k8s-aws-v1.")
    url = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    assert url.startswith("https://sts.us-iso-east-1.c2s.ic.gov/?")
    assert layer_run.sts_endpoint("us-isob-east-1") == "https://sts.us-isob-east-1.sc2s.sgov.gov"
    assert layer_run.sts_endpoint("us-isof-south-1") == "https://sts.us-isof-south-1.csp.hci.ic.gov"
    assert layer_run.sts_endpoint("eu-isoe-west-1") == "https://sts.eu-isoe-west-1.cloud.adc-e.uk"
    with pytest.raises(layer_plan.PlanError, match="Region 'EU West' is not an AWS region name"):
        layer_run.sts_endpoint("EU West")


def test_run_graph_order_concurrency_and_failure() -> None:
    lock = threading.Lock()
    active, peak, started = [0], [0], []

    def work(item_id: str) -> None:
        with lock:
            started.append(item_id)
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.03)
        with lock:
            active[0] -= 1
        if item_id == "bad":
            raise RuntimeError("boom")

    ids = [f"i{n}" for n in range(6)] + ["last"]
    before = {"last": frozenset(ids[:6])}
    done = layer_run.run_graph(ids, before, work)
    assert peak[0] == 4 and done[-1] == "last" and started[-1] == "last"

    started.clear()
    with pytest.raises(layer_run.LayerFailed) as failed:
        layer_run.run_graph(["bad", "ok", "after"], {"after": frozenset({"bad"})}, work)
    assert list(failed.value.failures) == ["bad"]
    assert failed.value.not_started == ["after"] and failed.value.done == ["ok"]
    assert "after" not in started


def test_create_order_concurrency_and_kubeconfig(fake: Fake) -> None:
    # The namespaces' apply lasts until the independent chart's first command ran.
    fake.answer('"kind": "Namespace"', wait_for="independent")
    fake.fail("status independent", "Error: release: not found", signal="independent")
    items = [
        manifest("Namespaces", obj("demo", None, "Namespace")),
        chart("Addons/Controller", "controller", after=("Namespaces",)),
        chart("Addons/Independent", "independent"),
        patch("Patch", "settings", after=("Addons/Controller",)),
    ]
    result = index.on_event(event("Create", props(items)), Context())
    assert result == {"PhysicalResourceId": "demo/foundation", "Data": {"Items": "4"}}
    ns = fake.call("apply")
    controller = fake.call("upgrade", "controller")
    patched = fake.call("patch")
    assert fake.call("status", "controller").start >= ns.end
    assert controller.start >= ns.end and patched.start >= controller.end
    assert ns.awaited  # concurrent
    calls = fake.calls()
    assert {c.server for c in calls} == {ENDPOINT}
    assert {c.token for c in calls} == {"k8s-aws-v1.fake-demo"}
    assert {c.mode for c in calls} == {"0o600"}
    assert len({c.home for c in calls}) == len(calls)  # a fresh directory per command
    assert ns.args[:2] == ["apply", "-f"] and "--server-side=false" in ns.args
    assert "--request-timeout=60s" in ns.args and ns.flag("--cache-dir") == ns.home + "/cache"
    assert json.loads(ns.files[ns.args[2]]) == {
        "apiVersion": "v1",
        "kind": "List",
        "items": [obj("demo", None, "Namespace")],
    }
    assert patched.args == [
        "patch",
        "configmap/settings",
        "-n",
        "kube-system",
        "--type",
        "merge",
        "-p",
        '{"data":{"x":"applied"}}',
        "--request-timeout=60s",
        "--cache-dir",
        patched.home + "/cache",
    ]


def test_real_token_reaches_the_kubeconfig(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layer_run, "TokenSource", TOKEN_SOURCE)
    index.on_event(event("Create", props([manifest("M", obj("a"))])), Context())
    (call,) = fake.calls()
    assert call.token.startswith("k8s-aws-v1.aHR0cHM6Ly9zdHMu")  # base64url("https://sts.")


def test_chart_arguments(fake: Fake) -> None:
    items = [
        chart(
            "Https",
            "lbc",
            repository="https://aws.github.io/eks-charts",
            Values=json.dumps({"clusterName": "demo"}),
            Wait="true",
            CreateNamespace="true",
            SkipCrds="true",
            Timeout="600",
        ),
        chart("Oci", "karpenter", repository=ECR, Namespace="karpenter", Timeout="60"),
    ]
    index.on_event(event("Create", props(items)), Context(seconds=200))
    https = fake.call("upgrade", "lbc")
    assert https.args[:4] == ["upgrade", "--install", "lbc", "lbc"]
    assert https.flag("--repo") == "https://aws.github.io/eks-charts"
    assert https.flag("--version") == "1.2.3" and https.flag("--namespace") == "kube-system"
    assert "--create-namespace" in https.args and "--skip-crds" in https.args
    assert "--wait" in https.args
    values = https.flag("--values")
    assert values is not None and json.loads(https.files[values]) == {"clusterName": "demo"}
    # Capped so that a failure leaves time for the undo and the framework's answer.
    remaining = 200 - layer_items.APPLY.reserve_s
    assert remaining - 5 <= int((https.flag("--timeout") or "").removesuffix("s")) <= remaining

    login = fake.call("login")
    assert login.args == [
        "registry",
        "login",
        "--username",
        "AWS",
        "--password-stdin",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
    ]
    assert login.stdin == "secret-eu-west-1" and login.server is None
    oci = fake.call("upgrade", "karpenter")
    assert oci.args[:4] == ["upgrade", "--install", "karpenter", f"{ECR}/karpenter"]
    assert "--repo" not in oci.args and "--values" not in oci.args
    assert not {"--wait", "--create-namespace", "--skip-crds"} & set(oci.args)
    assert oci.flag("--timeout") == "60s" and oci.flag("--namespace") == "karpenter"
    assert oci.helm_config == login.helm_config  # the login is where the upgrade looks
    assert all("secret-eu-west-1" not in arg for c in fake.calls() for arg in c.args)


def test_out_of_time_before_an_item(fake: Fake) -> None:
    with pytest.raises(
        index.LayerError,
        match=r"layer out of time before Late \(179 s left, an item starts with 180 s\)",
    ):
        index.on_event(event("Create", props([chart("Late", "late")])), Context(seconds=179))
    assert fake.calls() == []


def test_invalid_after_refused_before_anything_runs(fake: Fake) -> None:
    cycle = [
        manifest("A", obj("a"), after=("B",)),
        manifest("B", obj("b"), after=("A",)),
        manifest("C", obj("c")),
    ]
    with pytest.raises(index.LayerError, match="cycle in After between A, B"):
        index.on_event(event("Create", props(cycle)), Context())
    with pytest.raises(index.LayerError, match="unknown item"):
        index.on_event(event("Create", props([manifest("A", after=("Z",))])), Context())
    assert fake.calls() == []


def test_overwrite_false_creates_first_then_applies(fake: Fake) -> None:
    items = [manifest("Tenant", obj("quota"), overwrite="false")]
    index.on_event(event("Create", props(items)), Context())
    (created,) = fake.calls()
    assert created.args[:2] == ["create", "-f"] and "--save-config" in created.args
    changed = [manifest("Tenant", obj("quota"), obj("limits"), overwrite="false")]
    index.on_event(event("Update", props(changed), props(items), "demo/foundation"), Context())
    assert fake.calls()[-1].args[:2] == ["apply", "-f"]
    assert fake.calls()[-1].objects() == ["quota", "limits"]


def test_manifest_retried_until_its_kinds_are_served(fake: Fake) -> None:
    fake.fail(
        "NodePool",
        'error: resource mapping not found for name: "default": no matches '
        'for kind "NodePool" in version "karpenter.sh/v1"\nensure CRDs are installed '
        "first",
        times=2,
    )
    pool = obj("default", None, "NodePool", "karpenter.sh/v1")
    items = [
        manifest("Pools", obj("before"), pool, overwrite="false"),
        manifest("Applied", pool | {"metadata": {"name": "other"}}, after=("Pools",)),
    ]
    index.on_event(event("Create", props(items)), Context())
    creates = [c for c in fake.calls() if c.args[0] == "create"]
    # The first create made "before"; the retries create only the NodePool.
    assert [c.objects() for c in creates] == [["before", "default"], ["default"], ["default"]]
    assert [c.rc for c in creates] == [1, 1, 0]
    applies = [c for c in fake.calls() if c.args[0] == "apply"]
    assert [(c.objects(), c.rc) for c in applies] == [(["other"], 0)]


def test_update_removes_what_is_gone_in_reverse_order_after_applying(fake: Fake) -> None:
    old = props(
        [
            manifest(
                "Base",
                obj("ns", None, "Namespace"),
                obj("kept"),
                obj("gone"),
                obj("away"),
                obj("moved"),
            ),
            chart("Controller", "controller", after=("Base",)),
            manifest("Uses", obj("uses-controller"), after=("Controller",)),
            patch("Tweak", "settings"),
        ]
    )
    new = props(
        [
            manifest("Base", obj("ns", None, "Namespace"), obj("kept")),
            manifest("Other", obj("moved")),
        ],
        elsewhere=["object:/ConfigMap/demo/away"],
    )
    result = index.on_event(event("Update", new, old, "demo/foundation"), Context())
    assert result["PhysicalResourceId"] == "demo/foundation"
    calls = fake.calls()
    applies = [c for c in calls if c.args[0] == "apply"]
    removals = [
        c
        for c in calls
        if c.args[0] in ("delete", "uninstall")
        or (c.args[0] == "patch" and "null" in str(c.flag("-p")))
    ]
    assert len(applies) == 2 and len(removals) == 4 and len(calls) == 6
    assert max(c.end for c in applies) <= min(c.start for c in removals)
    deletes = {tuple(c.objects()): c for c in removals if c.args[0] == "delete"}
    assert set(deletes) == {("gone",), ("uses-controller",)}
    uninstall = fake.call("uninstall")
    assert (
        uninstall.args[:6]
        == ["uninstall", "controller", "--namespace", "kube-system", "--wait", "--timeout"]
        and "--ignore-not-found" in uninstall.args
    )
    # Reverse order: what used the controller, then the controller, then the base's objects.
    assert deletes[("uses-controller",)].end <= uninstall.start
    assert uninstall.end <= deletes[("gone",)].start
    delete = deletes[("gone",)]
    assert delete.args[:2] == ["delete", "-f"]
    assert {"--ignore-not-found", "--wait=true", "--request-timeout=60s"} <= set(delete.args)
    (wait,) = [int(a[10:-1]) for a in delete.args if a.startswith("--timeout=")]
    assert 840 - layer_items.APPLY.reserve_s - 5 <= wait <= 840 - layer_items.APPLY.reserve_s
    restore = fake.call("-p", '{"data":{"x":null}}')
    assert restore.args[:2] == ["patch", "configmap/settings"]


def test_update_to_a_new_cluster_applies_as_new_and_removes_nothing(fake: Fake) -> None:
    old = props([manifest("M", obj("a"), overwrite="false"), chart("C", "c")], cluster="old")
    new = props([manifest("M", obj("a"), overwrite="false")], cluster="new")
    result = index.on_event(event("Update", new, old, "old/foundation"), Context())
    assert result["PhysicalResourceId"] == "new/foundation"
    assert [c.args[0] for c in fake.calls()] == ["create"]


def test_delete_in_reverse_order_tolerating_what_is_gone(fake: Fake) -> None:
    fake.fail("uninstall", "Error: uninstall: Release not loaded: c: release: not found")
    fake.fail(  # lasts until the independent delete of the widgets ran
        '"x":null',
        'Error from server (NotFound): configmaps "settings" not found',
        wait_for="widgets",
    )
    fake.fail(
        "Widget",
        'error: resource mapping not found for name: "w" namespace: "" from '
        '"/tmp/x/delete.json": no matches for kind "Widget" in version "example.com/v1"'
        "\nensure CRDs are installed first",
        tool="kubectl",
        signal="widgets",
    )
    items = [
        manifest("Base", obj("ns", None, "Namespace"), obj("owned"), obj("shared")),
        chart("Controller", "c", after=("Base",)),
        manifest("Widgets", obj("w", None, "Widget", "example.com/v1"), after=("Controller",)),
        patch("Tweak", "settings", after=("Base",)),
    ]
    properties = props(items, elsewhere=["object:/ConfigMap/demo/shared"])
    result = index.on_event(event("Delete", properties, physical_id="demo/foundation"), Context())
    assert result["PhysicalResourceId"] == "demo/foundation"
    probe, *calls = fake.calls()
    assert probe.args[:3] == ["get", "--raw", "/version"]
    by_item = {c.args[0] + ":" + c.args[1]: c for c in calls}
    base = next(c for c in calls if c.args[0] == "delete" and "owned" in c.objects())
    assert base.objects() == ["owned", "ns"]  # reverse manifest order, "shared" is elsewhere
    widgets = next(c for c in calls if c.args[0] == "delete" and "w" in c.objects())
    uninstall = by_item["uninstall:c"]
    restore = by_item["patch:configmap/settings"]
    assert widgets.end <= uninstall.start and uninstall.end <= base.start
    assert restore.end <= base.start
    assert restore.awaited  # concurrent with the widgets' delete


def test_delete_of_an_unreachable_cluster_succeeds(fake: Fake) -> None:
    fake.fail(
        "/version",
        "Unable to connect to the server: dial tcp: lookup "
        "abcdef.gr7.eu-west-1.eks.amazonaws.com on 10.0.0.2:53: no such host",
    )
    properties = props([manifest("M", obj("a")), chart("C", "c", after=("M",))])
    result = index.on_event(event("Delete", properties, physical_id="demo/foundation"), Context())
    assert result["PhysicalResourceId"] == "demo/foundation"
    assert [c.args[:2] for c in fake.calls()] == [["get", "--raw"]]


def test_delete_of_nothing_runs_nothing(fake: Fake) -> None:
    properties = props([manifest("M", obj("a"))], elsewhere=["object:/ConfigMap/demo/a"])
    index.on_event(event("Delete", properties, physical_id="demo/foundation"), Context())
    assert fake.calls() == []


def test_failure_names_items_stops_dependants_and_rolls_back(fake: Fake) -> None:
    fake.sleep(0.05)
    noise = "\n".join(f"warning line {n} " + "x" * 80 for n in range(60))
    fake.fail(
        "--install broken", noise + "\nError: UPGRADE FAILED: timed out waiting for the condition"
    )
    fake.fail("--install also-bad", noise + "\nError: INSTALLATION FAILED: " + "y" * 900)
    items = [
        manifest("Base", obj("base")),
        chart("Addons/Broken", "broken", after=("Base",)),
        chart("Addons/AlsoBad", "also-bad", after=("Base",)),
        patch("Addons/Dependant", "settings", after=("Addons/Broken",)),
        manifest("Independent", obj("independent")),
    ]
    with pytest.raises(index.LayerError) as raised:
        index.on_event(event("Create", props(items)), Context())
    message = str(raised.value)
    assert len(message) < 1000
    assert message.startswith("foundation layer: apply failed for 2 item(s): Addons/")
    assert "Addons/Broken: `helm upgrade --install broken` exited 1" in message
    assert "timed out waiting for the condition" in message and "Addons/AlsoBad" in message
    assert "not started: Addons/Dependant" in message
    assert message.endswith("(rolled back 2 applied item(s))")
    calls = fake.calls()
    assert not [c for c in calls if c.args[0] == "patch"]  # the dependant never started
    applied = [c for c in calls if c.args[0] == "apply"]
    deleted = [c for c in calls if c.args[0] == "delete"]
    assert sorted(c.objects()[0] for c in applied) == ["base", "independent"]
    assert sorted(c.objects()[0] for c in deleted) == ["base", "independent"]
    assert max(c.end for c in calls if c.args[0] != "delete") <= min(c.start for c in deleted)


def test_update_failure_removes_nothing(fake: Fake) -> None:
    fake.fail("--install new-chart", "Error: boom")
    old = props([manifest("Old", obj("old"))])
    new = props([chart("New", "new-chart")])
    with pytest.raises(
        index.LayerError, match="New: `helm upgrade --install new-chart` exited 1: Error: boom"
    ):
        index.on_event(event("Update", new, old, "demo/foundation"), Context())
    assert [c.args[0] for c in fake.calls()] == ["status", "upgrade"]


def test_unknown_kind_error_on_apply_is_not_retried_forever(fake: Fake) -> None:
    fake.fail("Widget", 'error: no matches for kind "Widget" in version "example.com/v1"')
    with pytest.raises(index.LayerError, match="W: `kubectl apply` exited 1"):
        index.on_event(
            event("Create", props([manifest("W", obj("w", None, "Widget", "example.com/v1"))])),
            Context(),
        )
    assert len(fake.calls()) == 1 + len(layer_items.RETRY_DELAYS_S)


def test_command_timeout_terminates(fake: Fake) -> None:
    tokens: Any = FakeTokens("demo", REGION)
    cluster = layer_run.Cluster("demo", ENDPOINT, "Q0E=", REGION)
    runner = layer_run.Runner(cluster, layer_run.Deadline.of(Context()), tokens, layer_run.Log())
    fake.sleep(5)
    started = time.monotonic()
    with pytest.raises(layer_run.CommandError, match="`kubectl get pods` timed out"):
        runner.run("kubectl", ["get", "pods"], label="slow", timeout_s=0.3)
    assert time.monotonic() - started < 2  # SIGTERM at the timeout, not the 5 s sleep


# --------------------------------------------------------------------------------------------
# Updates apply what changed


def applied(fake: Fake) -> list[str]:
    """What the calls applied, by object name or release, in start order."""
    result = []
    for c in fake.calls():
        if c.args[0] == "apply":
            result += c.objects()
        elif c.args[0] == "upgrade":
            result.append(c.args[2])
        elif c.args[0] == "patch" and "applied" in str(c.flag("-p")):
            result.append(c.args[1])
    return result


def test_update_applies_what_changed_and_what_comes_after_it(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    old_items = [
        manifest("Base", obj("ns", None, "Namespace")),
        chart("Controller", "controller", after=("Base",)),
        manifest("Uses", obj("uses"), after=("Controller",)),
        manifest("Later", obj("later"), after=("Uses",)),
        patch("Tweak", "settings"),
        manifest("Moved", obj("moved")),
    ]
    new_items = [
        *old_items[:1],
        chart("Controller", "controller", after=("Base",), Version="1.3.0"),
        *old_items[2:5],
        manifest("Moved", obj("moved"), after=("Base",)),  # only After changed
        manifest("Fresh", obj("fresh"), after=("Base",)),
    ]
    old, new = props(old_items), props(new_items)
    index.on_event(event("Update", new, old, "demo/foundation"), Context())
    # The changed chart, what comes after it (transitively) and the new item; nothing else.
    assert sorted(applied(fake)) == ["controller", "fresh", "later", "uses"]
    upgrade = fake.call("upgrade", "controller")
    uses = next(c for c in fake.calls() if c.args[0] == "apply" and c.objects() == ["uses"])
    later = next(c for c in fake.calls() if c.args[0] == "apply" and c.objects() == ["later"])
    assert upgrade.flag("--version") == "1.3.0"
    assert upgrade.end <= uses.start and uses.end <= later.start
    out = capsys.readouterr().out
    for unchanged in ("Base", "Tweak", "Moved"):
        assert f"{unchanged}: unchanged" in out
    assert "applying 4 of 7 item(s)" in out

    # CloudFormation's rollback (old and new swapped) applies the same items back, and
    # removes the one the rollback's state does not have.
    fake.log.write_text("")
    index.on_event(event("Update", old, new, "demo/foundation"), Context())
    assert sorted(applied(fake)) == ["controller", "later", "uses"]
    assert fake.call("upgrade", "controller").flag("--version") == "1.2.3"
    assert [c.objects() for c in fake.calls() if c.args[0] == "delete"] == [["fresh"]]


@pytest.mark.parametrize(
    "change",
    [
        {"Endpoint": "https://NEW.gr7.eu-west-1.eks.amazonaws.com"},
        {"CertificateAuthorityData": "TkVX"},
        {"Region": "eu-west-2"},
        {"Generation": "2"},
    ],
)
def test_update_reapplies_everything_for_new_access_or_generation(
    fake: Fake, change: dict[str, str]
) -> None:
    items = [manifest("Base", obj("base")), patch("Tweak", "settings")]
    old = props(items) | {"Generation": "1"}
    new = old | change
    index.on_event(event("Update", new, old, "demo/foundation"), Context())
    assert sorted(applied(fake)) == ["base", "configmap/settings"]
    assert {c.server for c in fake.calls()} == {new["Endpoint"]}


def test_update_of_elsewhere_or_after_alone_applies_nothing(fake: Fake) -> None:
    items = [manifest("Base", obj("base")), manifest("Other", obj("other"))]
    old = props(items, elsewhere=["release:kube-system/a"])
    new = props(
        [items[0], manifest("Other", obj("other"), after=("Base",))],
        elsewhere=["release:kube-system/a", "object:/ConfigMap/demo/b"],
    )
    result = index.on_event(event("Update", new, old, "demo/foundation"), Context())
    assert result["PhysicalResourceId"] == "demo/foundation"
    assert fake.calls() == []


def test_changed_items() -> None:
    old = layer_plan.parse_items(
        [manifest("A", obj("a")), manifest("B", obj("b"), after=("A",)), manifest("C")]
    )
    same = layer_plan.parse_items(
        [manifest("C"), manifest("B", obj("b")), manifest("A", obj("a"))]  # order, After
    )
    assert layer_plan.changed_items(same, old) == frozenset()
    new = layer_plan.parse_items(
        [manifest("A", obj("a2")), manifest("B", obj("b"), after=("A",)), manifest("C")]
    )
    assert layer_plan.changed_items(new, old) == {"A", "B"}
    assert layer_plan.changed_items(new, []) == {"A", "B", "C"}
    base = props([])
    assert layer_plan.reapply_reason(base, base | {"Items": [manifest("X")]}) is None
    assert layer_plan.reapply_reason(base | {"Generation": "2"}, base) == "Generation changed"


# --------------------------------------------------------------------------------------------
# Delete of an id CloudFormation invented


def test_delete_of_an_invented_physical_id_touches_nothing(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    properties = props([manifest("M", obj("a")), chart("C", "c", after=("M",))])
    invented = "s-FoundationLayer-1A2B3C4D5E6F"
    result = index.on_event(event("Delete", properties, physical_id=invented), Context())
    assert result["PhysicalResourceId"] == invented
    assert fake.calls() == []
    assert "nothing to remove" in capsys.readouterr().out

    # The old id of a replaced layer comes with the old properties: it is removed.
    replaced = props([manifest("M", obj("a"))], cluster="old")
    index.on_event(event("Delete", replaced, physical_id="old/foundation"), Context())
    assert [c.args[0] for c in fake.calls()] == ["get", "delete"]


# --------------------------------------------------------------------------------------------
# Time


def test_items_start_with_time_for_the_undo_which_stops_when_out_of_time(fake: Fake) -> None:
    fake.use_clock()
    fake.fail("b-object", "", rc=0, times=1, clock=170)  # applying B leaves 170 s
    fake.fail("delete.json", "", rc=0, clock=30)  # removing B leaves 30 s
    items = [
        manifest("A", obj("a-object")),
        manifest("B", obj("b-object"), after=("A",)),
        chart("C", "c", after=("B",)),
    ]
    with pytest.raises(index.LayerError) as raised:
        index.on_event(event("Create", props(items)), Context())
    message = str(raised.value)
    assert message.startswith(
        "foundation layer: apply failed for 1 item(s): C: layer out of time before C "
        "(170 s left, an item starts with 180 s)"
    )
    assert message.endswith("(rollback out of time; left in place: A)")
    deleted = [c for c in fake.calls() if c.args[0] == "delete"]
    assert [c.objects() for c in deleted] == [["b-object"]]  # the undo starts below 180 s
    (wait,) = [a for a in deleted[0].args if a.startswith("--timeout=")]
    assert wait == f"--timeout={170 - int(layer_items.UNDO.reserve_s)}s"
    assert not [c for c in fake.calls() if c.tool == "helm"]


# --------------------------------------------------------------------------------------------
# Releases an earlier, stopped run left pending


def status(state: str) -> str:
    """`helm status -o json` of a release in `state` (with values that are not logged)."""
    return json.dumps({"name": "r", "info": {"status": state}, "config": {"token": "s3cr3t"}})


def test_pending_releases_are_unblocked_before_the_upgrade(
    fake: Fake, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.answer("status steady", status("deployed"))
    fake.answer("status half-installed", status("pending-install"))
    fake.answer("status half-upgraded", status("pending-upgrade"))
    history = [
        {"revision": 1, "status": "superseded"},
        {"revision": 2, "status": "deployed"},
        {"revision": 3, "status": "failed"},
        {"revision": 4, "status": "pending-upgrade"},
    ]
    fake.answer("history half-upgraded", json.dumps(history))
    fake.answer("status half-rolled-back", status("pending-rollback"))
    fake.fail("rollback half-rolled-back", "Error: timed out waiting for the condition")
    releases = ["steady", "half-installed", "half-upgraded", "half-rolled-back"]
    items = [chart(f"Charts/{r}", r, Timeout="100") for r in releases]
    index.on_event(event("Create", props(items)), Context())

    def verbs(release: str) -> list[list[str]]:
        """The release's helm calls in order, up to their first option."""
        calls = [c for c in fake.calls() if c.tool == "helm" and release in c.args[:3]]
        return [
            c.args[: next(n for n, a in enumerate(c.args) if a.startswith("--") and n > 1)]
            for c in calls
        ]

    # (A release that is not installed: test_update_failure_removes_nothing.)
    assert [v[0] for v in verbs("steady")] == ["status", "upgrade"]
    assert verbs("half-installed") == [
        ["status", "half-installed"],
        ["uninstall", "half-installed"],
        ["upgrade", "--install", "half-installed", "half-installed"],
    ]
    assert verbs("half-upgraded") == [
        ["status", "half-upgraded"],
        ["history", "half-upgraded"],
        ["rollback", "half-upgraded", "2"],  # the last deployed revision, not 3
        ["upgrade", "--install", "half-upgraded", "half-upgraded"],
    ]
    # No readable history: the previous revision; a failed rollback does not stop the
    # upgrade (the release is "failed" now, no longer pending).
    assert [v[:3] for v in verbs("half-rolled-back")] == [
        ["status", "half-rolled-back"],
        ["history", "half-rolled-back"],
        ["rollback", "half-rolled-back"],
        ["upgrade", "--install", "half-rolled-back"],
    ]
    status_call = fake.call("status", "half-installed")
    assert status_call.args[2:] == ["--namespace", "kube-system", "-o", "json"]
    rollback = fake.call("rollback", "half-upgraded")
    assert "--wait" in rollback.args and rollback.flag("--timeout") == "100s"
    uninstall = fake.call("uninstall", "half-installed")
    assert "--wait" in uninstall.args and uninstall.flag("--timeout") == "100s"
    out = capsys.readouterr().out
    assert "half-installed is pending-install" in out
    assert "half-upgraded is pending-upgrade (a stopped run); rolling back to revision 2" in out
    assert "s3cr3t" not in out  # the release's values stay out of the log


# --------------------------------------------------------------------------------------------
# Where the logs are


def test_failure_message_names_the_log_group(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    group = "/eks-blueprint/demo/KubernetesHandler"
    monkeypatch.setenv("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/fallback")
    with pytest.raises(index.LayerError) as raised:
        index.on_event(event("Create", props([manifest("A", after=("Z",))])), Context())
    assert str(raised.value).endswith("unknown item(s) Z (logs: /aws/lambda/fallback)")

    monkeypatch.setenv("LOG_GROUP_NAME", group)
    failures = {f"Item{n}": RuntimeError("e" * 500) for n in range(5)}
    failed = layer_run.LayerFailed(failures, ["X" * 300], [])
    message = index.failure_message("workloads", "apply", failed, " (rolled back 1 item(s))")
    assert len(message) <= index.message_limit() < index.MESSAGE_LIMIT
    fake.fail("--install big", "Error: " + "z" * 2000)
    items = [chart(f"Big{n}", f"big{n}") for n in range(3)]
    with pytest.raises(index.LayerError) as raised:
        index.on_event(event("Create", props(items)), Context())
    message = str(raised.value)
    assert len(message) <= index.MESSAGE_LIMIT
    assert message.endswith(f" (logs: {group})") and "Big0: `helm upgrade" in message


# --------------------------------------------------------------------------------------------
# EKS access policy associations (Type access-policy)

ARGO_ROLE = "arn:aws:iam::123456789012:role/argocd-capability"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
EDIT_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"


def access_policy(
    item_id: str,
    policy: str = ADMIN_POLICY,
    *,
    principal: str = ARGO_ROLE,
    scope: str | None = "cluster",
    namespaces: list[str] | None = None,
    after: tuple[str, ...] = (),
) -> dict[str, Any]:
    """An access-policy item as delivery.associate_access_policy renders it."""
    props: dict[str, Any] = {
        "Id": item_id,
        "Type": "access-policy",
        "PrincipalArn": principal,
        "PolicyArn": policy,
        "After": list(after),
    }
    if scope is not None:
        props["AccessScope"] = scope
    if namespaces is not None:
        props["Namespaces"] = namespaces
    return props


@dataclass
class EksCall:
    """One EKS API request, as botocore sent it."""

    operation: str
    method: str
    host: str
    path: str  # URL-decoded
    body: dict[str, Any]
    time: float


class _Raw:
    """The raw body botocore reads a response from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class FakeEks:
    """botocore's real EKS client, answered in-process by a ``before-send`` hook: requests
    are built from botocore's EKS model (so a parameter the model does not have fails) and
    answers parsed by it, so an error arrives as the client's modelled exception. Installed
    as ``layer_items.boto3``, so the handler's own `_eks` runs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import boto3

        self.calls: list[EksCall] = []
        self.regions: list[str | None] = []
        #: (operation, text in the URL path) -> (HTTP status, error code)
        self.errors: dict[tuple[str, str], tuple[int, str]] = {}
        self._lock = threading.Lock()
        self._boto3 = boto3
        fake = self

        class Session:
            def client(self, service: str, region_name: str | None = None) -> Any:
                assert service == "eks"
                fake.regions.append(region_name)
                client = boto3.session.Session().client(service, region_name=region_name)
                client.meta.events.register("before-send.eks", fake._send)
                return client

        monkeypatch.setattr(
            layer_items, "boto3", SimpleNamespace(session=SimpleNamespace(Session=Session))
        )

    def fail(self, operation: str, code: str, status: int = 404, *, match: str = "") -> None:
        """`operation` requests whose path contains `match` answer `status` with `code`."""
        self.errors[(operation, match)] = (status, code)

    def _send(self, request: Any, event_name: str, **_: Any) -> Any:
        from urllib.parse import unquote

        from botocore.awsrequest import AWSResponse

        operation = event_name.rsplit(".", 1)[-1]
        url = urlsplit(request.url)
        body = request.body or b""
        call = EksCall(
            operation,
            request.method,
            url.netloc,
            unquote(url.path),
            json.loads(body) if body else {},
            time.time(),
        )
        with self._lock:
            self.calls.append(call)
        for (failing, match), (status, code) in self.errors.items():
            if failing == operation and match in call.path:
                payload = json.dumps({"message": f"{code} (fake)"}).encode()
                return AWSResponse(request.url, status, {"x-amzn-ErrorType": code}, _Raw(payload))
        return AWSResponse(request.url, 200, {}, _Raw(b"{}"))

    def operations(self) -> list[tuple[str, str]]:
        """(operation, policy name) per call, in order."""
        found = []
        for call in sorted(self.calls, key=lambda c: c.time):
            policy = call.body.get("policyArn") or call.path.rsplit("/", 1)[-1]
            found.append((call.operation, policy.rsplit("/", 1)[-1]))
        return found


@pytest.fixture
def eks(fake: Fake, monkeypatch: pytest.MonkeyPatch) -> FakeEks:
    return FakeEks(monkeypatch)


def test_access_policy_items_are_parsed() -> None:
    namespaced, cluster, default = layer_plan.parse_items(
        [
            access_policy("Argo/View", VIEW_POLICY, scope="namespace", namespaces=["a", "dev-*"]),
            access_policy("Argo/Admin", after=("Argo/View",)),
            access_policy("Argo/Edit", EDIT_POLICY, scope=None),
        ]
    )
    assert namespaced.kind == "access-policy"
    assert namespaced.spec == layer_plan.AccessPolicy(
        ARGO_ROLE, VIEW_POLICY, "namespace", ("a", "dev-*")
    )
    assert cluster.spec == layer_plan.AccessPolicy(ARGO_ROLE, ADMIN_POLICY, "cluster", ())
    assert cluster.after == ("Argo/View",)
    # No AccessScope: the whole cluster; other partitions and role paths are accepted.
    assert isinstance(default.spec, layer_plan.AccessPolicy) and default.spec.scope == "cluster"
    (other,) = layer_plan.parse_items(
        [
            access_policy(
                "X",
                "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy",
                principal="arn:aws-cn:iam::123456789012:role/team/deployer",
            )
        ]
    )
    assert isinstance(other.spec, layer_plan.AccessPolicy)
    user = access_policy("U", principal="arn:aws:iam::123456789012:user/ci")
    assert layer_plan.parse_items([user])[0].identities() == (
        f"access-policy:arn:aws:iam::123456789012:user/ci|{ADMIN_POLICY}",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"PrincipalArn": None}, "A: PrincipalArn is required"),
        ({"PrincipalArn": 7}, "A: PrincipalArn must be a string"),
        (  # an assumed-role session is no access entry principal
            {"PrincipalArn": "arn:aws:sts::123456789012:assumed-role/argocd/session"},
            "A: PrincipalArn must be an IAM role or user ARN",
        ),
        ({"PrincipalArn": "argocd"}, "A: PrincipalArn must be an IAM role or user ARN"),
        ({"PolicyArn": ""}, "A: PolicyArn is required"),
        (
            {"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            "A: PolicyArn must be an EKS cluster access policy ARN",
        ),
        (
            {"PolicyArn": ADMIN_POLICY + "/extra"},
            "A: PolicyArn must be an EKS cluster access policy ARN",
        ),
        ({"AccessScope": "namespaces"}, "A: AccessScope must be cluster or namespace"),
        (
            {"AccessScope": "namespace", "Namespaces": "team-a"},
            "A: Namespaces must be a list of namespace names",
        ),
        (
            {"AccessScope": "namespace", "Namespaces": ["team-a", ""]},
            "A: Namespaces must be a list of namespace names",
        ),
        (
            {"AccessScope": "namespace", "Namespaces": [3]},
            "A: Namespaces must be a list of namespace names",
        ),
        ({"AccessScope": "namespace"}, "A: Namespaces are given exactly when AccessScope is"),
        (
            {"AccessScope": "namespace", "Namespaces": []},
            "A: Namespaces are given exactly when AccessScope is",
        ),
        ({"Namespaces": ["team-a"]}, "A: Namespaces are given exactly when AccessScope is"),
    ],
)
def test_invalid_access_policy_items_are_refused(change: dict[str, Any], message: str) -> None:
    props = access_policy("A")
    for key, value in change.items():
        if value is None:
            del props[key]
        else:
            props[key] = value
    with pytest.raises(layer_plan.PlanError) as raised:
        layer_plan.parse_items([props])
    assert str(raised.value).startswith(message)


def test_access_policies_are_compared_by_principal_and_policy() -> None:
    old = layer_plan.parse_items(
        [
            access_policy("Admin"),
            access_policy("View", VIEW_POLICY),
            access_policy("Edit", EDIT_POLICY),
            access_policy("Moved", VIEW_POLICY, principal="arn:aws:iam::123456789012:role/kro"),
        ]
    )
    new = layer_plan.parse_items(
        [
            # The same association with another scope and another item id: kept.
            access_policy("Renamed", scope="namespace", namespaces=["team-a"]),
            # The same policy for another principal is another association.
            access_policy("View", VIEW_POLICY, principal="arn:aws:iam::123456789012:role/ack"),
        ]
    )
    elsewhere = frozenset({f"access-policy:arn:aws:iam::123456789012:role/kro|{VIEW_POLICY}"})
    plan = layer_plan.removals(old, new, elsewhere)
    assert {item_id: removal.whole for item_id, removal in plan.items()} == {
        "Admin": False,
        "View": True,
        "Edit": True,
        "Moved": False,  # another layer associates it now
    }
    assert plan["Admin"].nothing and not plan["View"].nothing


def test_create_associates_in_order_with_the_scope(fake: Fake, eks: FakeEks) -> None:
    items = [
        manifest("Namespace", obj("team-a", None, "Namespace")),
        access_policy(
            "Argo/View", VIEW_POLICY, scope="namespace", namespaces=["team-a", "dev-*"],
            after=("Namespace",),
        ),
        access_policy("Argo/Admin"),
    ]
    result = index.on_event(event("Create", props(items)), Context())
    assert result == {"PhysicalResourceId": "demo/foundation", "Data": {"Items": "3"}}
    assert eks.regions == [REGION, REGION]
    view, admin = sorted(eks.calls, key=lambda c: c.body["policyArn"] != VIEW_POLICY)
    # POST /clusters/<name>/access-entries/<principal ARN>/access-policies (the API
    # reference's request), built from botocore's own EKS model.
    for call in (view, admin):
        assert (call.operation, call.method, call.host) == (
            "AssociateAccessPolicy",
            "POST",
            f"eks.{REGION}.amazonaws.com",
        )
        assert call.path == f"/clusters/demo/access-entries/{ARGO_ROLE}/access-policies"
    assert view.body == {
        "policyArn": VIEW_POLICY,
        "accessScope": {"type": "namespace", "namespaces": ["team-a", "dev-*"]},
    }
    assert admin.body == {"policyArn": ADMIN_POLICY, "accessScope": {"type": "cluster"}}
    # After its namespace is applied; the other association does not wait.
    (apply,) = [c for c in fake.calls() if c.args[0] == "apply"]
    assert view.time >= apply.end


def test_a_failed_create_disassociates_what_it_associated(
    fake: Fake, eks: FakeEks, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.fail("--install broken", "Error: boom")
    items = [
        manifest("Base", obj("base")),
        access_policy("Argo/Admin", after=("Base",)),
        chart("Broken", "broken", after=("Argo/Admin",)),
    ]
    with pytest.raises(index.LayerError) as raised:
        index.on_event(event("Create", props(items)), Context())
    message = str(raised.value)
    assert message.startswith("foundation layer: apply failed for 1 item(s): Broken: ")
    assert message.endswith("(rolled back 2 applied item(s))")
    assert eks.operations() == [
        ("AssociateAccessPolicy", "AmazonEKSClusterAdminPolicy"),
        ("DisassociateAccessPolicy", "AmazonEKSClusterAdminPolicy"),
    ]
    undo = eks.calls[1]
    assert undo.method == "DELETE"
    assert undo.path == (
        f"/clusters/demo/access-entries/{ARGO_ROLE}/access-policies/{ADMIN_POLICY}"
    )
    assert undo.body == {}
    # Reverse order: the association goes before what it came after.
    (delete,) = [c for c in fake.calls() if c.args[0] == "delete"]
    assert undo.time <= delete.start
    assert f"Argo/Admin: {ADMIN_POLICY} associated with {ARGO_ROLE}" in capsys.readouterr().out


def test_an_association_without_its_access_entry_fails_the_item(
    fake: Fake, eks: FakeEks
) -> None:
    """The entry the item is for does not exist (yet): EKS's ResourceNotFoundException
    names the item; on apply it is not tolerated."""
    eks.fail("AssociateAccessPolicy", "ResourceNotFoundException")
    with pytest.raises(index.LayerError) as raised:
        index.on_event(event("Create", props([access_policy("Argo/Admin")])), Context())
    message = str(raised.value)
    assert message.startswith("foundation layer: apply failed for 1 item(s): Argo/Admin: ")
    assert "ResourceNotFoundException" in message and "AssociateAccessPolicy" in message
    assert [c.operation for c in eks.calls] == ["AssociateAccessPolicy"]


def test_update_reassociates_a_changed_scope_and_disassociates_what_is_gone(
    fake: Fake, eks: FakeEks
) -> None:
    kro = "arn:aws:iam::123456789012:role/kro"
    old = props(
        [
            access_policy("Argo/Admin"),
            access_policy("Argo/View", VIEW_POLICY),
            access_policy("Kro/View", VIEW_POLICY, principal=kro),
            access_policy("Argo/Edit", EDIT_POLICY, scope="namespace", namespaces=["a"]),
        ]
    )
    new = props(
        [
            access_policy("Argo/Admin"),  # unchanged: not called
            access_policy("Argo/Edit", EDIT_POLICY, scope="namespace", namespaces=["a", "b"]),
        ],
        elsewhere=[f"access-policy:{kro}|{VIEW_POLICY}"],  # moved to another layer
    )
    index.on_event(event("Update", new, old, "demo/foundation"), Context())
    assert eks.operations() == [
        ("AssociateAccessPolicy", "AmazonEKSEditPolicy"),
        ("DisassociateAccessPolicy", "AmazonEKSViewPolicy"),
    ]
    associate, disassociate = sorted(eks.calls, key=lambda c: c.time)
    # Associating again is how EKS changes an association's scope.
    assert associate.body["accessScope"] == {"type": "namespace", "namespaces": ["a", "b"]}
    assert disassociate.path.startswith(f"/clusters/demo/access-entries/{ARGO_ROLE}/")
    assert fake.calls() == []


def test_delete_disassociates_in_reverse_order_tolerating_a_missing_entry(
    fake: Fake, eks: FakeEks, capsys: pytest.CaptureFixture[str]
) -> None:
    # The capability (and its access entry) may be gone already.
    eks.fail("DisassociateAccessPolicy", "ResourceNotFoundException", match=VIEW_POLICY)
    items = [
        manifest("Namespace", obj("team-a", None, "Namespace")),
        access_policy("Argo/Admin", after=("Namespace",)),
        access_policy("Argo/View", VIEW_POLICY, after=("Namespace",)),
    ]
    properties = props(items)
    result = index.on_event(event("Delete", properties, physical_id="demo/foundation"), Context())
    assert result["PhysicalResourceId"] == "demo/foundation"
    assert sorted(eks.operations()) == [
        ("DisassociateAccessPolicy", "AmazonEKSClusterAdminPolicy"),
        ("DisassociateAccessPolicy", "AmazonEKSViewPolicy"),
    ]
    assert {c.method for c in eks.calls} == {"DELETE"}
    probe, delete = fake.calls()
    assert probe.args[:3] == ["get", "--raw", "/version"]
    assert delete.args[0] == "delete" and delete.objects() == ["team-a"]
    assert max(c.time for c in eks.calls) <= delete.start
    out = capsys.readouterr().out
    assert f"Argo/View: no access entry for {ARGO_ROLE}, nothing to remove" in out
    assert "Argo/View: removed in" in out


def test_delete_reports_other_eks_errors(fake: Fake, eks: FakeEks) -> None:
    """Only a missing entry counts as removed: a denied disassociation fails the Delete,
    naming the item, rather than leave the policy associated silently."""
    eks.fail("DisassociateAccessPolicy", "AccessDeniedException", 403)
    properties = props([access_policy("Argo/Admin")])
    with pytest.raises(index.LayerError) as raised:
        index.on_event(event("Delete", properties, physical_id="demo/foundation"), Context())
    message = str(raised.value)
    assert message.startswith("foundation layer: delete failed for 1 item(s): Argo/Admin: ")
    assert "AccessDeniedException" in message


def test_delete_of_an_unreachable_cluster_calls_no_eks_api(fake: Fake, eks: FakeEks) -> None:
    """A cluster whose API server is gone took its access entries with it: the Delete
    succeeds after the probe alone, as for objects."""
    fake.fail(
        "/version",
        "Unable to connect to the server: dial tcp: lookup "
        "abcdef.gr7.eu-west-1.eks.amazonaws.com on 10.0.0.2:53: no such host",
    )
    properties = props([access_policy("Argo/Admin"), manifest("M", obj("a"))])
    result = index.on_event(event("Delete", properties, physical_id="demo/foundation"), Context())
    assert result["PhysicalResourceId"] == "demo/foundation"
    assert [c.args[:2] for c in fake.calls()] == [["get", "--raw"]]
    assert eks.calls == []


def test_delete_of_an_association_owned_elsewhere_calls_nothing(
    fake: Fake, eks: FakeEks
) -> None:
    properties = props(
        [access_policy("Argo/Admin")], elsewhere=[f"access-policy:{ARGO_ROLE}|{ADMIN_POLICY}"]
    )
    index.on_event(event("Delete", properties, physical_id="demo/foundation"), Context())
    assert fake.calls() == [] and eks.calls == []
