"""The GitHub workflows we ship pass zizmor (offline) with no finding of medium or above.

zizmor (PyPI, pinned in requirements-dev.txt) audits GitHub Actions workflows: template
injection into `run:` scripts, actions not pinned by commit SHA, credentials persisted by
`actions/checkout`, over-broad token permissions, and more. It runs with `--offline`: the
audits that would ask the GitHub API (e.g. whether a pinned SHA is a known tag) are off, so
the test needs no network and no token. What CodeBuild runs is checked by our own rules in
test_buildspecs.py, since zizmor reads only GitHub Actions files.

GIVEN every workflow under .github/workflows, WHEN zizmor audits it, THEN nothing of medium
severity or above is reported; and GIVEN the workflow as it was before issue 12, THEN the
three findings the issue names are reported (so a silent zizmor cannot pass the test).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
# zizmor's severities, lowest first; the gate is "medium and above".
SEVERITIES = ("Unknown", "Informational", "Low", "Medium", "High")
GATE = "Medium"


def zizmor_binary() -> str | None:
    """zizmor next to this interpreter (the virtualenv), else on PATH."""
    beside = Path(sys.executable).with_name("zizmor")
    if beside.is_file():
        return str(beside)
    return shutil.which("zizmor")


ZIZMOR = zizmor_binary()
needs_zizmor = pytest.mark.skipif(
    ZIZMOR is None, reason="zizmor is not installed: pip install -r requirements-dev.txt"
)


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def run_zizmor(*inputs: Path) -> list[dict[str, Any]]:
    """zizmor's findings (JSON v1) for the inputs, offline, with no user config loaded.

    `--no-exit-codes` keeps the exit status for tool failures only (findings are read from
    the JSON), and `--no-config` makes the result independent of any zizmor.yml around.
    """
    assert ZIZMOR is not None
    proc = subprocess.run(
        [
            ZIZMOR,
            "--offline",
            "--no-config",
            "--no-exit-codes",
            "--no-progress",
            "--format",
            "json-v1",
            *map(str, inputs),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"zizmor failed ({proc.returncode}):\n{proc.stderr}"
    findings = json.loads(proc.stdout)
    assert isinstance(findings, list), proc.stdout[:500]
    return findings


def severity(finding: dict[str, Any]) -> str:
    return str(finding["determinations"]["severity"])


def at_or_above(finding: dict[str, Any], level: str = GATE) -> bool:
    return SEVERITIES.index(severity(finding)) >= SEVERITIES.index(level)


def describe(finding: dict[str, Any]) -> str:
    """One line per finding: audit id, severity, file:line, what zizmor says."""
    where = []
    for loc in finding.get("locations", []):
        if loc.get("symbolic", {}).get("kind") != "Primary":
            continue
        path = loc["symbolic"]["key"].get("Local", {}).get("verbatim_path", "?")
        row = loc["concrete"]["location"]["start_point"]["row"] + 1
        where.append(f"{path}:{row} ({loc['symbolic'].get('annotation', '')})")
    return f"{finding['ident']} [{severity(finding)}] {finding['desc']}: {'; '.join(where)}"


# The review workflow as it was before issue 12: tag-pinned actions, the token left in
# .git/config, and `${{ github.base_ref }}` expanded inside the shell script.
UNHARDENED = """\
name: review
on: pull_request
permissions:
  contents: read
jobs:
  review:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - run: |
          scripts/review.sh "origin/${{ github.base_ref }}" --output report.md
"""


def test_there_are_workflows_to_audit() -> None:
    assert workflow_files(), f"no workflow under {WORKFLOWS}"


@needs_zizmor
@pytest.mark.parametrize("workflow", workflow_files(), ids=lambda p: p.name)
def test_workflow_has_no_medium_or_higher_finding(workflow: Path) -> None:
    findings = [f for f in run_zizmor(workflow) if at_or_above(f) and not f.get("ignored")]
    assert not findings, (
        f"zizmor --offline reports {len(findings)} finding(s) of {GATE} or above in "
        f"{workflow.relative_to(ROOT)}:\n"
        + "\n".join(describe(f) for f in findings)
        + "\nFix them (https://docs.zizmor.sh/audits/); do not suppress them."
    )


@needs_zizmor
def test_the_gate_catches_what_issue_12_names(tmp_path: Path) -> None:
    workflow = tmp_path / ".github" / "workflows" / "review.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(UNHARDENED)
    found = {f["ident"] for f in run_zizmor(workflow) if at_or_above(f)}
    assert {"template-injection", "unpinned-uses", "artipacked"} <= found, found


def test_actions_are_pinned_by_full_sha_with_the_tag_in_a_comment() -> None:
    """Belt and braces for readers: every `uses:` is `owner/repo@<40 hex> # vX.Y.Z`.

    zizmor checks the pin; the comment is what Dependabot and a reviewer read.
    """
    pattern = re.compile(r"^\s*-?\s*uses:\s*(\S+)(.*)$")
    pinned = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
    tagged = re.compile(r"#\s*v\d+(\.\d+)*\s*$")
    bad = []
    for workflow in workflow_files():
        for n, line in enumerate(workflow.read_text().splitlines(), 1):
            m = pattern.match(line)
            if m is None or m.group(1).startswith("./"):
                continue
            if not (pinned.match(m.group(1)) and tagged.search(m.group(2))):
                bad.append(f"{workflow.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not bad, "pin each action by commit SHA with its tag in a comment:\n" + "\n".join(bad)
