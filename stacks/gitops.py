"""``make gitops``: render the GitOps tree of every environment in GitOps mode.

``python -m stacks.gitops`` writes ``gitops/<env>/`` (the environment's ``delivery.path``)
for each file in config/ and config/examples/ with ``delivery.mode: gitops``, from the same
app ``cdk synth`` builds, so the committed tree is exactly what the bootstrap points Argo CD
at. ``--check`` writes nothing and fails listing each file that is missing, different or
left over: the test suite runs it, so a change to the platform without ``make gitops`` is
a red build, like a stale schema.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eks_blueprint.config import ConfigError, EnvironmentConfig, load_config
from eks_blueprint.config.pipeline import NOT_ENVIRONMENTS

from .selection import CONFIG_DIR, PROJECT_DIR


def gitops_configs(paths: list[Path] | None = None) -> list[EnvironmentConfig]:
    """The configs in GitOps mode among `paths` (default: config/*.yaml and
    config/examples/*.yaml, the pipeline file aside)."""
    if paths is None:
        paths = [
            p for p in sorted(CONFIG_DIR.glob("*.yaml")) if p.stem not in NOT_ENVIRONMENTS
        ] + sorted((CONFIG_DIR / "examples").glob("*.yaml"))
    return [c for c in (load_config(p) for p in paths) if c.delivery.gitops]


def rendered_trees(configs: list[EnvironmentConfig]) -> dict[str, dict[str, str]]:
    """Tree directory -> {path in the repository: text} for `configs` (in GitOps mode)."""
    from stacks.runtime import use_supported_node

    use_supported_node()
    from eks_blueprint.gitops import trees

    from .app_builder import build_app

    if not configs:
        return {}
    return trees(build_app(configs))


def stale_files(directory: str, files: dict[str, str], root: Path = PROJECT_DIR) -> list[str]:
    """What differs between the rendered `files` and the tree under `root / directory`."""
    problems = []
    for path, text in sorted(files.items()):
        found = root / path
        if not found.exists():
            problems.append(f"{path}: missing")
        elif found.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: differs from the rendering")
    tree = root / directory
    if tree.exists():
        for existing in sorted(tree.rglob("*")):
            relative = existing.relative_to(root).as_posix()
            if existing.is_file() and relative not in files:
                problems.append(f"{relative}: not rendered any more")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Write (or ``--check``) the trees; the exit code says whether they were current."""
    parser = argparse.ArgumentParser(prog="make gitops", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale files")
    parser.add_argument("configs", nargs="*", type=Path, help="environment files (default: all)")
    args = parser.parse_args(argv)
    try:
        configs = gitops_configs(args.configs or None)
    except ConfigError as error:
        print("\n".join(error.problems), file=sys.stderr)
        return 2
    from eks_blueprint.gitops import write_tree

    trees = rendered_trees(configs)
    stale: list[str] = []
    for directory, files in sorted(trees.items()):
        if args.check:
            stale += stale_files(directory, files)
        else:
            written = write_tree(PROJECT_DIR, files, directory)
            print(f"{directory}: {len(written)} files")
    if stale:
        print("The GitOps tree is stale; run `make gitops` and commit the result:", file=sys.stderr)
        print("\n".join(f"  {line}" for line in stale), file=sys.stderr)
        return 1
    if not trees:
        print("No environment is in GitOps mode (delivery.mode: gitops).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
