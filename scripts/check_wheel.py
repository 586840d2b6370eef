"""Check a built eks_blueprint wheel: the whole typed package, its data files, console scripts
and dependencies sized to the use.

    python scripts/check_wheel.py dist/eks_blueprint-*.whl

Checks, each naming what is wrong:
- the wheel's package is the source package: every module and data file is in it (a new
  subpackage without `__init__.py`, or a data file outside `package-data`, would be left
  out silently), and nothing else is (a module deleted from the source but still in a
  stale `build/` directory);
- the landmarks of the layout are there (typed marker, config models, the nag pack, the
  template model, verify and Karpenter packages, the console scripts' modules);
- nothing but `eks_blueprint/` and the dist-info is at the top level, and no bytecode;
- the console scripts are declared;
- the constructs' dependencies carry no boto3 or cfn-lint (those are the `tools` extra) and
  no kubectl layer (each is an extra of its Kubernetes version).
"""

from __future__ import annotations

import sys
import zipfile
from email.parser import Parser
from pathlib import Path

PACKAGE = "eks_blueprint"
SOURCE = Path(__file__).resolve().parents[1] / PACKAGE

#: Files whose absence means the layout is broken, whatever else the wheel holds.
REQUIRED = (
    "eks_blueprint/__init__.py",
    "eks_blueprint/py.typed",
    "eks_blueprint/baseline.py",
    "eks_blueprint/ids.py",
    "eks_blueprint/network.py",
    "eks_blueprint/control_plane.py",
    "eks_blueprint/kubectl.py",
    "eks_blueprint/kubernetes/delivery.py",
    "eks_blueprint/kubernetes/handler/index.py",
    "eks_blueprint/config/environment.py",
    "eks_blueprint/compute/karpenter/__init__.py",
    "eks_blueprint/template/__init__.py",
    "eks_blueprint/nag/pack.py",
    "eks_blueprint/nag/cli.py",
    "eks_blueprint/review/cli.py",
    "eks_blueprint/verify/__init__.py",
    "eks_blueprint/verify/__main__.py",
    "eks_blueprint/preflight/__init__.py",
    "eks_blueprint/preflight/__main__.py",
    "eks_blueprint/checkrun.py",
    "eks_blueprint/plan/cli.py",
    "eks_blueprint/plan/__main__.py",
    "eks_blueprint/data/instance_types.json",
    "eks_blueprint/plan/data/prices.json",
)

SCRIPTS = (
    "eks-blueprint-nag",
    "eks-blueprint-review",
    "eks-blueprint-verify",
    "eks-blueprint-preflight",
    "eks-blueprint-plan",
    "eks-blueprint-policy",
)

#: Distributions a construct library must not force on its users: extras only.
EXTRAS_ONLY = (
    "boto3", "cfn-lint", "kubernetes-validate", "cel-python", "aws-cdk.lambda-layer-kubectl"
)

#: Source files that are never shipped.
_NOT_SHIPPED = ("__pycache__", ".pyc")


def source_files(root: Path = SOURCE) -> set[str]:
    """The package's files in the checkout, as wheel paths: modules, py.typed, JSON, YAML."""
    if not root.is_dir():
        return set()
    return {
        f"{PACKAGE}/{p.relative_to(root).as_posix()}"
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix in (".py", ".typed", ".json", ".yaml")
        and not any(part in p.as_posix() for part in _NOT_SHIPPED)
    }


def unconditional_requirements(metadata: str) -> list[str]:
    """The `Requires-Dist` entries of a wheel's METADATA that apply without any extra."""
    message = Parser().parsestr(metadata)
    return [r for r in message.get_all("Requires-Dist") or [] if "extra ==" not in r]


def problems(names: set[str], entry_points: str, metadata: str) -> list[str]:
    """Everything wrong with a wheel holding `names`, one line each."""
    found: list[str] = []
    source = source_files()
    missing = sorted((set(REQUIRED) | source) - names)
    if missing:
        found.append(f"missing files: {missing}")
    # A module deleted from the source but left in an old build/ directory ships otherwise.
    stale = sorted(
        n for n in names
        if source and n.startswith(f"{PACKAGE}/") and not n.endswith("/") and n not in source
    )
    if stale:
        found.append(f"files not in the source (stale build/?): {stale}")
    top_level = {n.split("/")[0] for n in names}
    leaked = sorted(t for t in top_level - {PACKAGE} if not t.endswith(".dist-info"))
    if leaked:
        found.append(f"unexpected top-level entries: {leaked}")
    bytecode = sorted(n for n in names if any(s in n for s in _NOT_SHIPPED))
    if bytecode:
        found.append(f"bytecode in the wheel: {bytecode[:5]}")
    scripts = [s for s in SCRIPTS if s not in entry_points]
    if scripts:
        found.append(f"console scripts not declared: {scripts}")
    forced = [
        r for r in unconditional_requirements(metadata)
        if r.lower().replace("_", "-").startswith(EXTRAS_ONLY)
    ]
    if forced:
        found.append(f"dependencies that belong in an extra: {forced}")
    return found


def main(path: str) -> int:
    """Exit 1 naming what is wrong with the wheel at `path`."""
    with zipfile.ZipFile(path) as wheel:
        names = set(wheel.namelist())

        def read(suffix: str) -> str:
            return next((wheel.read(n).decode() for n in names if n.endswith(suffix)), "")

        entry_points = read(".dist-info/entry_points.txt")
        metadata = read(".dist-info/METADATA")
    found = problems(names, entry_points, metadata)
    if found:
        print(f"{path}:", *found, sep="\n  ", file=sys.stderr)
        return 1
    print(f"{path}: ok ({len(names)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
