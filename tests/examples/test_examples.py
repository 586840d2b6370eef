"""Gates over the example configs: every example synthesises with the compliance packs
passing, its templates are free of cfn-lint errors, and each Kubernetes object it applies is
valid against the Kubernetes schema of its kind."""

from __future__ import annotations

import json
from typing import Any

from eks_blueprint.config import EnvironmentConfig
from tests.compliance.test_compliance import unlisted_acknowledgements
from tests.conftest import CfnLint, SynthResult

from .conftest import example_paths

PACKS = {"AwsSolutions", "NIST.800.53.R5", "EksBestPractices"}


def test_every_example_is_synthesised(
    example_synth: SynthResult, example_configs: dict[str, EnvironmentConfig]
) -> None:
    assert len(example_configs) == len(example_paths()) >= 2
    for name in example_configs:
        # The network, security and cluster stacks at least.
        assert {"network", "cluster"} <= set(example_synth.templates[name]), name


def test_examples_pass_the_compliance_packs(example_synth: SynthResult) -> None:
    report: dict[str, Any] = json.loads(
        (example_synth.outdir / "validation-report.json").read_text(encoding="utf-8")
    )
    plugins = {p["pluginName"]: p for p in report["pluginReports"]}
    assert set(plugins) >= PACKS
    for name in PACKS:
        errors = [v for v in plugins[name]["violations"] if v["severity"] == "error"]
        assert not errors, [(v["ruleName"], v["violatingConstructs"]) for v in errors]
        assert plugins[name]["conclusion"] == "success"
    # What the examples acknowledge is in the README's table too, with its reason.
    missing = unlisted_acknowledgements(report)
    assert not missing, missing


def test_examples_have_no_cfn_lint_errors(
    example_synth: SynthResult,
    example_lint: CfnLint,
    example_configs: dict[str, EnvironmentConfig],
) -> None:
    # cfn-lint's lint_by_config, run in the background since the synth (tests/conftest.py)
    templates = sorted(example_synth.outdir.glob("assembly-*/*.template.json"))
    assert len(templates) >= 2 * len(example_configs)
    assert example_lint.templates == templates
    assert example_lint.regions == sorted({c.region for c in example_configs.values()})
    matches = example_lint.matches()
    errors = [str(m) for m in matches if m.severity == "error"]
    assert not errors, "\n".join(errors)
    # The same accepted warnings as the environments (tests/compliance/test_compliance.py).
    assert {m.rule for m in matches} <= {"W3010", "W3005"}, [str(m) for m in matches]


def test_each_example_is_named_after_its_file() -> None:
    """`python -m eks_blueprint.plan ips --config-dir config/examples --env <name>` (and
    every tool that finds `<config-dir>/<env>.yaml`) reaches each example by its name."""
    from eks_blueprint.config import load_config

    for path in example_paths():
        assert load_config(path).name == path.stem, path
