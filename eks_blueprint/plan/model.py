"""A plan's result as data, rendered as Markdown (for people and PR comments) or JSON.

Every plan returns one :class:`PlanReport`: findings (``block`` ones make the plan blocked
and the command exit 1), Markdown sections with the plan's tables or steps, the plan's
numbers as JSON-ready ``data``, and the assumptions and data sources behind them, printed
every time so a reader can tell what the numbers rest on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["block", "warn", "info"]
"""``block``: the plan is not safe to apply (exit 1). ``warn``: apply, but look first.
``info``: context for the reader."""

_ICON: dict[Severity, str] = {"block": "⛔ **blocked**", "warn": "⚠️ warning", "info": "ℹ️"}
_ORDER: dict[Severity, int] = {"block": 0, "warn": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    """One check's verdict."""

    check: str
    """A stable id for the check, e.g. ``version-path`` or ``subnet-capacity``."""
    severity: Severity
    message: str
    fix: str | None = None
    """What to change, when the finding asks for a change."""

    def to_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
        }


@dataclass
class PlanReport:
    """The result of one plan of one environment."""

    kind: str
    """``upgrade``, ``ips``, ``cost`` or ``diagram``."""
    env: str
    title: str
    """One line, e.g. ``prod: upgrade 1.34 → 1.35``."""
    findings: list[Finding] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    """(heading, Markdown body) in reading order: steps, tables, the diagram."""
    data: dict[str, Any] = field(default_factory=dict)
    """The plan's numbers and lists, JSON-ready; documented per plan."""
    assumptions: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    """The data tables used: what, where from, and when taken."""

    @property
    def blocked(self) -> bool:
        return any(f.severity == "block" for f in self.findings)

    @property
    def status(self) -> Literal["blocked", "clear"]:
        return "blocked" if self.blocked else "clear"

    def to_json(self) -> dict[str, Any]:
        """The whole report as JSON-ready data (``--format json``)."""
        return {
            "kind": self.kind,
            "env": self.env,
            "title": self.title,
            "status": self.status,
            "findings": [f.to_json() for f in self.findings],
            "data": self.data,
            "assumptions": list(self.assumptions),
            "sources": list(self.sources),
        }

    def to_markdown(self, heading_level: int = 2) -> str:
        """The report as Markdown; `heading_level` lets the review nest it under its own."""
        h = "#" * heading_level
        sub = "#" * (heading_level + 1)
        out = [f"{h} Plan {self.kind}: {self.title}", ""]
        blocks = sum(1 for f in self.findings if f.severity == "block")
        out.append(
            f"**Status: blocked** ({blocks} blocking finding(s))" if blocks else "**Status: clear**"
        )
        out.append("")
        for finding in sorted(self.findings, key=lambda f: _ORDER[f.severity]):
            line = f"- {_ICON[finding.severity]} `{finding.check}`: {finding.message}"
            if finding.fix:
                line += f" Fix: {finding.fix}"
            out.append(line)
        if self.findings:
            out.append("")
        for heading, body in self.sections:
            out += [f"{sub} {heading}", "", body.rstrip(), ""]
        if self.assumptions:
            out += [f"{sub} Assumptions", ""]
            out += [f"- {a}" for a in self.assumptions] + [""]
        if self.sources:
            out += [f"{sub} Sources", ""]
            out += [f"- {s}" for s in self.sources] + [""]
        return "\n".join(out).rstrip() + "\n"


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub Markdown table; cells are str()-ed with pipes escaped."""

    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
