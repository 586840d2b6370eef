"""Compliance gates over every environment: cdk-nag packs at synth, cfn-lint on templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENVIRONMENTS, CfnLint, SynthResult

PACKS = {"AwsSolutions", "NIST.800.53.R5", "EksBestPractices"}


@pytest.fixture(scope="module")
def validation_report(synth: SynthResult) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((synth.outdir / "validation-report.json").read_text())
    return report


def test_packs_ran_and_passed(validation_report: dict[str, Any]) -> None:
    plugins = {p["pluginName"]: p for p in validation_report["pluginReports"]}
    assert set(plugins) >= PACKS
    for name in PACKS:
        errors = [v for v in plugins[name]["violations"] if v["severity"] == "error"]
        assert not errors, [v["ruleName"] for v in errors]
        assert plugins[name]["conclusion"] == "success"


def _acknowledged(report: dict[str, Any]) -> dict[str, set[str]]:
    """Acknowledged id -> construct paths it was applied to."""
    applied: dict[str, set[str]] = {}
    for plugin in report["pluginReports"]:
        for suppressed in plugin.get("suppressedViolations", []):
            paths = {c["constructPath"] for c in suppressed["violatingConstructs"]}
            applied.setdefault(suppressed["acknowledgedId"], set()).update(paths)
    return applied


@pytest.mark.parametrize(
    ("rule_id", "path_fragment"),
    [
        (
            "AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonEKSClusterPolicy]",
            "/Cluster/ControlPlane/Cluster/Role/Resource",
        ),
        (
            "NIST.800.53.R5::NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW",
            "/Network/Network/Vpc/PublicSubnet",
        ),
        (
            "NIST.800.53.R5::NIST.800.53.R5-IAMNoInlinePolicy",
            "/Network/Network/Vpc/FlowLog/IAMRole",
        ),
        (
            "NIST.800.53.R5::NIST.800.53.R5-VPCDefaultSecurityGroupClosed",
            "/Network/Network/Vpc/Resource",
        ),
    ],
)
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_acknowledgements_are_really_applied(
    validation_report: dict[str, Any], rule_id: str, path_fragment: str, env: str
) -> None:
    paths = _acknowledged(validation_report).get(rule_id, set())
    assert any(p.startswith(f"{env}/") and path_fragment in p for p in paths), sorted(paths)


def test_acknowledgements_are_narrow(validation_report: dict[str, Any]) -> None:
    # Every acknowledgement names one rule and carries a reason a reviewer can read.
    for plugin in validation_report["pluginReports"]:
        for suppressed in plugin.get("suppressedViolations", []):
            if plugin["pluginName"] in PACKS:
                assert "::" in suppressed["acknowledgedId"]
                assert len(suppressed["reason"]) >= 40, suppressed["acknowledgedId"]


def test_deletion_protection_opt_out_is_acknowledged_only_where_configured(
    validation_report: dict[str, Any], configs: Any
) -> None:
    paths = _acknowledged(validation_report).get("EksBestPractices::EksBestPractices-EKSBP7", set())
    opted_out = {env for env in ENVIRONMENTS if not configs[env].cluster.deletion_protection}
    assert opted_out == {"dev"}
    assert {p.split("/", 1)[0] for p in paths} == opted_out


def _templates(outdir: Path) -> list[Path]:
    return sorted(outdir.glob("assembly-*/*.template.json"))


def test_cfn_lint_has_no_errors(synth: SynthResult, synth_lint: CfnLint, configs: Any) -> None:
    # cfn-lint's lint_by_config, run in the background since the synth (tests/conftest.py)
    templates = _templates(synth.outdir)
    assert len(templates) >= 2 * len(ENVIRONMENTS)
    assert synth_lint.templates == templates
    assert synth_lint.regions == sorted({c.region for c in configs.values()})
    matches = synth_lint.matches()
    errors = [str(m) for m in matches if m.severity == "error"]
    assert not errors, "\n".join(errors)
    # Warnings accepted: W3010 hard-coded AZs (configs name their AZs on purpose, for offline
    # synth) and W3005 redundant DependsOn (aws-cdk-lib adds explicit ordering the kubectl
    # provider relies on, next to an implicit Ref). Anything else is new and must be looked at.
    assert {m.rule for m in matches} <= {"W3010", "W3005"}


def test_readme_table_names_every_acknowledged_rule(validation_report: dict[str, Any]) -> None:
    """The README's acknowledgement table stays complete: every rule acknowledged in any
    environment is named there, and for AwsSolutions-IAM4 also the managed policy."""
    missing = unlisted_acknowledgements(validation_report)
    assert not missing, missing


def unlisted_acknowledgements(validation_report: dict[str, Any]) -> list[str]:
    """The acknowledged rules of a validation report that the README's table does not name
    (for AwsSolutions-IAM4: or whose managed policy it does not name)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Compliance gates and acknowledged findings", 1)[1].split("\n## ", 1)[0]
    missing: set[str] = set()
    for plugin in validation_report["pluginReports"]:
        for finding in plugin.get("suppressedViolations", []):
            rule: str = finding["ruleName"]
            base = rule.split("[", 1)[0]
            if base.startswith("NIST.800.53.R5-"):
                # The table groups NIST rules as `NIST.800.53.R5-A`, `-B`: match the suffix.
                base = "-" + base.removeprefix("NIST.800.53.R5-")
            if base not in section:
                missing.add(rule)
            if base == "AwsSolutions-IAM4":
                policy = rule.rsplit("policy/", 1)[-1].split("]", 1)[0].split('"', 1)[0]
                if policy.rsplit("/", 1)[-1] not in section:
                    missing.add(rule)
    return sorted(missing)
