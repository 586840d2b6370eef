"""The library guide's examples are programs: each runs here as a user would run it, and
synthesises with the three compliance packs (AWS Solutions, NIST 800-53 R5 and this
project's EKS pack) with zero findings left unacknowledged.

An example is a ```python block preceded by `<!-- runnable: NAME -->` on a page of
docs/library/. It runs in a fresh namespace with `__name__ == "__main__"` and must end with
`app.synth()`: a finding fails that call, so an example that runs is one that passes the
gates. The test then reads the validation report in the app's output directory (a
temporary directory CDK chooses outside the CLI), checks the three packs are registered,
and runs the EKS pack's command line over the templates.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Finished, Job

from .conftest import Example, guide_examples

#: The examples the issue asks the guide to carry; each is synthesised (3-5 s each).
EXPECTED = ("bring-your-own-vpc", "compliance", "compute-network-storage", "private-cluster")
#: The packs every example registers on its app, by class name.
PACK_CLASSES = ("AwsSolutionsChecks", "NIST80053R5Checks", "EksBestPracticesChecks")

EXAMPLES = guide_examples()


def test_the_guide_carries_the_expected_examples() -> None:
    assert sorted(e.name for e in EXAMPLES) == sorted(EXPECTED)


def _findings(report: dict[str, Any]) -> list[str]:
    return [
        f"{p['pluginName']}: {v['ruleName']} at "
        + ", ".join(c["constructPath"] for c in v["violatingConstructs"])
        for p in report["pluginReports"]
        for v in p["violations"]
    ]


def _report(app: Any) -> dict[str, Any] | None:
    path = Path(app.outdir) / "validation-report.json"
    return json.loads(path.read_text()) if path.exists() else None


def check_example(example: Example) -> None:
    """Run `example` as a user would and check its synth: the packs registered, no finding
    in the validation report (CDK's built-in CloudFormation validation included), none from
    the EKS pack's command line. Raises (assertion or pytest.fail) otherwise."""
    import aws_cdk as cdk

    # Line numbers in a traceback are those of the page.
    source = "\n" * (example.line - 1) + example.code
    namespace: dict[str, Any] = {"__name__": "__main__"}
    try:
        exec(compile(source, str(example.page), "exec"), namespace)
    except Exception as error:
        app = namespace.get("app")
        report = _report(app) if isinstance(app, cdk.App) else None
        details = "\n".join(_findings(report)) if report else ""
        pytest.fail(f"{example.page.name}: {type(error).__name__}: {error}\n{details}")
    app = namespace.get("app")
    assert isinstance(app, cdk.App), f"{example.page.name}: the example must define `app`"
    outdir = Path(app.outdir)
    try:
        report = _report(app)
        assert report is not None, (
            f"{example.page.name}: no validation report: the example must register the "
            "packs and call app.synth()"
        )
        assert not _findings(report), "\n".join(_findings(report))
        assert list(outdir.glob("*.template.json")), f"{example.page.name}: no template"
        # CDK reports a pack only when it has findings (acknowledged ones included), so the
        # report cannot show that a clean pack ran: the example must register all three,
        # and the EKS pack's rules, run again over the templates, must find no error.
        registered = {pack for pack in PACK_CLASSES if f"{pack}(app" in example.code}
        assert registered == set(PACK_CLASSES), (
            f"{example.page.name}: register the packs {sorted(set(PACK_CLASSES) - registered)}"
        )
        from eks_blueprint.nag.cli import main as nag

        assert nag([str(outdir)]) == 0, f"{example.page.name}: the EKS pack finds errors"
    finally:
        shutil.rmtree(outdir, ignore_errors=True)


def check_examples(out: Path) -> None:
    """Every example checked (:func:`check_example`) in a background :class:`Job`, as a
    user's process would run it (CDK's built-in validation on: the test process turns it
    off, see tests/conftest.py); each one's failure, or null, into `out`/results.json."""
    results: dict[str, str | None] = {}
    for example in guide_examples():
        try:
            check_example(example)
            results[example.name] = None
        except (Exception, pytest.fail.Exception) as error:
            results[example.name] = f"{type(error).__name__}: {error}"
    (out / "results.json").write_text(json.dumps(results))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
@pytest.mark.background(Job("tests.docs.test_guide_examples:check_examples"))
def test_example_synthesises_with_the_packs_and_no_finding(
    background: Finished, example: Example
) -> None:
    assert background.process.returncode == 0, background.process.stderr[-3000:]
    failure = json.loads((background.out / "results.json").read_text())[example.name]
    assert failure is None, failure
