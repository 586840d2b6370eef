"""Check a built eks_blueprint wheel: typed package, config models, nag pack, console scripts.

    python scripts/check_wheel.py dist/eks_blueprint-*.whl
"""

from __future__ import annotations

import sys
import zipfile

REQUIRED = (
    "eks_blueprint/__init__.py",
    "eks_blueprint/py.typed",
    "eks_blueprint/config/environment.py",
    "eks_blueprint/network.py",
    "eks_blueprint/control_plane.py",
    "eks_blueprint/nag/pack.py",
    "eks_blueprint/review/cli.py",
    "eks_blueprint/verify.py",
    "eks_blueprint/checkrun.py",
    "eks_blueprint/preflight.py",
)


def main(path: str) -> int:
    """Exit 1 naming what is missing from the wheel at `path`."""
    with zipfile.ZipFile(path) as wheel:
        names = set(wheel.namelist())
        entry_points = next(
            (wheel.read(n).decode() for n in names if n.endswith("entry_points.txt")), ""
        )
    missing = [n for n in REQUIRED if n not in names]
    scripts = (
        "eks-blueprint-nag",
        "eks-blueprint-review",
        "eks-blueprint-verify",
        "eks-blueprint-preflight",
    )
    missing += [s for s in scripts if s not in entry_points]
    leaked = sorted({n.split("/")[0] for n in names} - {"eks_blueprint"} - {
        n.split("/")[0] for n in names if ".dist-info/" in n
    })
    if missing or leaked:
        print(f"{path}: missing {missing}; unexpected top-level {leaked}", file=sys.stderr)
        return 1
    print(f"{path}: ok ({len(names)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
