"""Summaries of cdk-nag's `validation-report.json` (cdk-nag 3 is a policy-validation plugin).

The report lists, per plugin (pack), `violations` (open: they fail synth) and
`suppressedViolations` (acknowledged with a reason). Each violation names the constructs it
applies to; a finding is counted once per construct.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .model import NagCount


def nag_summary(reports: Sequence[dict[str, Any]]) -> dict[tuple[str, str], NagCount] | None:
    """(pack, severity) -> counts, or None when the assembly has no validation report."""
    if not reports:
        return None
    counts: dict[tuple[str, str], NagCount] = {}
    for report in reports:
        for plugin in report.get("pluginReports") or []:
            pack = str(plugin.get("pluginName", "?"))
            for field, is_open in (("violations", True), ("suppressedViolations", False)):
                for violation in plugin.get(field) or []:
                    key = (pack, str(violation.get("severity", "?")))
                    n = max(1, len(violation.get("violatingConstructs") or []))
                    old = counts.get(key, NagCount())
                    counts[key] = (
                        NagCount(old.open + n, old.acknowledged)
                        if is_open
                        else NagCount(old.open, old.acknowledged + n)
                    )
    return counts
