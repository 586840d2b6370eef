"""mypy reads only the aws_cdk modules our code's types come from (pyproject.toml, [tool.mypy]).

aws_cdk's package imports all of its ~680 modules under `if typing.TYPE_CHECKING:`, so a plain
`mypy` reads every one (3.4 GB, 40-60 s cold). Our code needs the modules it imports and,
transitively, the modules their signatures and base classes name: each jsii-generated module
imports exactly those under its own `if typing.TYPE_CHECKING:` block. pyproject.toml follows
that closure and refuses (`follow_imports = "error"`) any other aws_cdk module, so no type of
our code becomes Any. GIVEN the code `make test` type-checks, WHEN the closure of its aws_cdk
imports is computed from the installed aws_cdk, THEN pyproject.toml follows exactly it.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
#: `import aws_cdk.x as _x` lines inside a jsii module's `if typing.TYPE_CHECKING:` block.
_TYPE_IMPORT = re.compile(r"^\s+import (aws_cdk(?:\.\w+)*) as \w+$", re.M)


def _type_checking_blocks(text: str) -> list[str]:
    """The bodies of a module's top-level `if typing.TYPE_CHECKING:` blocks (up to `else:`)."""
    blocks: list[str] = []
    start = text.find("\nif typing.TYPE_CHECKING:\n")
    while start != -1:
        end = text.find("\nelse:\n", start)
        blocks.append(text[start:end])
        start = text.find("\nif typing.TYPE_CHECKING:\n", end)
    return blocks


def _mypy_config() -> dict[str, Any]:
    config: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    return config


def _follow(module: str) -> list[str]:
    """The modules of the overrides that set follow_imports to `module`'s value."""
    return [
        name
        for override in _mypy_config().get("overrides", [])
        if override.get("follow_imports") == module
        for name in ([override["module"]] if isinstance(override["module"], str) else override["module"])
    ]


def _checked_paths() -> list[Path]:
    """The paths `make test` passes to mypy (the test recipe's mypy line)."""
    recipe = (ROOT / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    (line,) = [line for line in recipe.splitlines() if "/mypy " in line]
    args = [a for a in shlex.split(line)[1:] if not a.startswith("-")]
    paths = [ROOT / a for a in args]
    assert paths and all(p.exists() for p in paths), args
    return paths


def _python_files(paths: list[Path]) -> list[Path]:
    excluded = set(_mypy_config()["exclude"])
    files: list[Path] = []
    for path in paths:
        candidates = [path] if path.is_file() else sorted(path.rglob("*.py"))
        files += [f for f in candidates if not excluded & set(f.relative_to(ROOT).parts)]
    return files


def _imported_aws_cdk_modules(files: list[Path]) -> set[str]:
    site = Path(next(iter(importlib.util.find_spec("aws_cdk").submodule_search_locations))).parent  # type: ignore[union-attr]
    found: set[str] = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.split(".")[0] == "aws_cdk"}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "aws_cdk":
                assert node.module is not None
                found.add(node.module)
                # `from aws_cdk import aws_iam`: a module, not a name of aws_cdk's
                found |= {
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if (site / node.module.replace(".", "/") / a.name / "__init__.py").is_file()
                }
    return found


def _type_closure(modules: set[str]) -> set[str]:
    """`modules`, their packages and, transitively, the aws_cdk modules their types name."""
    site = Path(next(iter(importlib.util.find_spec("aws_cdk").submodule_search_locations))).parent  # type: ignore[union-attr]
    seen: set[str] = set()
    todo = sorted(modules)
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parts = module.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        text = (site / module.replace(".", "/") / "__init__.py").read_text()
        for block in _type_checking_blocks(text):
            todo += _TYPE_IMPORT.findall(block)
    return seen


def test_mypy_follows_exactly_the_aws_cdk_modules_our_types_come_from() -> None:
    imported = _imported_aws_cdk_modules(_python_files(_checked_paths()))
    assert {"aws_cdk", "aws_cdk.aws_eks_v2", "aws_cdk.aws_iam"} <= imported, sorted(imported)
    closure = _type_closure(imported)
    assert "aws_cdk.cx_api" in closure  # App.synth() returns a cx_api.CloudAssembly
    listed = _follow("normal")
    listing = "\n".join(f'    "{m}",' for m in sorted(closure))
    assert sorted(listed) == sorted(closure), (
        "pyproject.toml's [[tool.mypy.overrides]] with follow_imports = \"normal\" must list "
        f"exactly these modules:\n{listing}"
    )


def test_strict_stays_and_other_aws_cdk_modules_are_refused_not_silenced() -> None:
    config = _mypy_config()
    assert config["strict"] is True
    assert _follow("error") == ["aws_cdk.*"]
    assert not _follow("skip") and not _follow("silent")
    # the override sections never turn a check off for our own packages
    for override in config.get("overrides", []):
        names = [override["module"]] if isinstance(override["module"], str) else override["module"]
        assert not any(n.split(".")[0] in ("eks_blueprint", "stacks", "app") for n in names), names
