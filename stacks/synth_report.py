"""What app.py does when synthesis fails: the compliance findings in a compact form, and no
half-written cloud assembly left behind.

cdk-nag 3.x packs are CDK policy-validation plugins: on an unacknowledged error, `app.synth()`
writes the templates and assets, then `validation-report.json`, and raises a jsii
RuntimeError ("ValidationFailed: ..."). app.py reads the report, prints one line per finding,
and removes what this run wrote except the report, so a failed gate never leaves templates
that look deployable. Pure Python: no aws_cdk import.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Where CDK writes the policy-validation report, in the output directory.
REPORT_FILE = "validation-report.json"
#: Context key of CDK's app mode. `inmemory` makes a failed validation raise with the report
#: in the exception instead of also printing the long report to stderr: app.py prints it.
APP_MODE_CONTEXT = "@aws-cdk/core:appMode"


@dataclass(frozen=True)
class Snapshot:
    """The files (path -> (mtime_ns, size)) and directories under an output directory."""

    files: dict[Path, tuple[int, int]] = field(default_factory=dict)
    dirs: frozenset[Path] = frozenset()


@dataclass(frozen=True)
class Finding:
    """One unacknowledged violation of a compliance pack."""

    rule: str
    path: str
    message: str
    severity: str

    def line(self) -> str:
        return f"{self.rule} ({self.severity}) at {self.path}: {self.message}"


def snapshot(outdir: Path) -> Snapshot:
    """What is in `outdir` now (nothing if it does not exist)."""
    if not outdir.is_dir():
        return Snapshot()
    files: dict[Path, tuple[int, int]] = {}
    dirs: set[Path] = {outdir}
    for path in outdir.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            dirs.add(path)
        else:
            stat = path.lstat()
            files[path] = (stat.st_mtime_ns, stat.st_size)
    return Snapshot(files, frozenset(dirs))


def written_since(outdir: Path, before: Snapshot) -> list[Path]:
    """Files under `outdir` that are new or changed since `before`."""
    now = snapshot(outdir)
    return sorted(p for p, state in now.files.items() if before.files.get(p) != state)


def remove_written(outdir: Path, before: Snapshot, keep: Iterable[str] = ()) -> list[Path]:
    """Delete what this run wrote under `outdir` (files new or changed since `before`),
    except the top-level files named in `keep`; then the directories this left empty that
    did not exist before. Returns the deleted files."""
    kept = {outdir / name for name in keep}
    removed = [p for p in written_since(outdir, before) if p not in kept]
    for path in removed:
        path.unlink(missing_ok=True)
    if outdir.is_dir():
        for directory in sorted(
            (p for p in outdir.rglob("*") if p.is_dir() and not p.is_symlink()),
            key=lambda p: len(p.parts),
            reverse=True,
        ):
            if directory not in before.dirs and not any(directory.iterdir()):
                directory.rmdir()
        if outdir not in before.dirs and not any(outdir.iterdir()):
            outdir.rmdir()
    return removed


def read_report(outdir: Path) -> dict[str, Any] | None:
    """The policy-validation report in `outdir`, or None when there is none (or unreadable)."""
    try:
        report = json.loads((outdir / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def gate_failed(report: dict[str, Any]) -> bool:
    """True when a compliance pack (a validation plugin) concluded `failure`."""
    return any(p.get("conclusion") == "failure" for p in report.get("pluginReports", []))


def findings(report: dict[str, Any]) -> list[Finding]:
    """The unacknowledged violations, errors first, one per rule and construct."""
    out: list[Finding] = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            # The description is the rule's summary, then (this project's pack) one
            # "<construct path>: <detail>" line per violating construct.
            summary, *details = str(violation.get("description", "")).strip().splitlines() or [""]
            for construct in violation.get("violatingConstructs", []) or [{}]:
                path = str(construct.get("constructPath", "?"))
                own = dict.fromkeys(
                    d.strip().removeprefix(f"{path}:").strip()
                    for d in details
                    if d.strip().startswith(f"{path}:")
                )
                out.append(
                    Finding(
                        rule=str(violation.get("ruleName", "?")),
                        path=path,
                        message=" ".join(summary.split()).rstrip(".")
                        + (f": {'; '.join(own)}" if own else ""),
                        severity=str(violation.get("severity", "error")),
                    )
                )
    unique = list(dict.fromkeys(out))
    return sorted(unique, key=lambda f: (f.severity != "error", f.rule, f.path))


def first_line(exc: BaseException, limit: int = 200) -> str:
    """`Type: first line of the message`, cut to `limit` characters, printable."""
    text = f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."
