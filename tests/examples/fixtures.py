"""The example configs (`config/examples/*.yaml`), synthesised ONCE per test session.

The examples show what the shipped environments do not deploy (Auto Mode, IPv6, GPU and
Windows capacity, self-managed nodes, Cluster Autoscaler). Each goes through the same app as
the environments, with the compliance packs enforcing at synth, so an example that stops
synthesising, or whose resources the packs refuse, fails the suite.

Registered for every test directory by tests/conftest.py (tests/examples, tests/pipeline,
tests/plan and tests/verify read it): a module that imported these fixtures would get its own
copy of each, and synthesise the examples again.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eks_blueprint.config import EnvironmentConfig, load_config
from stacks.app_builder import CONFIG_DIR
from tests.conftest import (
    CfnLint,
    Job,
    SynthResult,
    for_fixture,
    start,
)

EXAMPLES_DIR = CONFIG_DIR / "examples"


def example_paths() -> list[Path]:
    """Every example config file, by name."""
    return sorted(EXAMPLES_DIR.glob("*.yaml"))


#: In the examples' output directory: the GitOps trees of the examples in GitOps mode, as
#: `eks_blueprint.gitops.trees(app)` rendered them from the synthesised app (JSON).
GITOPS_TREES = "gitops-trees.json"

def synthesise_examples(out: Path) -> None:
    """Every example in one app (`build_app`, the compliance packs enforcing at synth),
    synthesised into `out`; then the app's GitOps trees into `GITOPS_TREES` (read by
    tests/gitops). Run by `SYNTH`."""
    from eks_blueprint.gitops import trees
    from stacks.app_builder import build_app

    app = build_app([load_config(path) for path in example_paths()], outdir=str(out))
    app.synth()
    (out / GITOPS_TREES).write_text(json.dumps(trees(app), indent=1, sort_keys=True))


#: `synthesise_examples` in the background, from the session's start (tests/conftest.py).
SYNTH = for_fixture("example_synth", Job("tests.examples.fixtures:synthesise_examples"))


@pytest.fixture(scope="session")
def example_configs() -> dict[str, EnvironmentConfig]:
    """Each example's config, by environment name."""
    configs = [load_config(path) for path in example_paths()]
    return {c.name: c for c in configs}


@pytest.fixture(scope="session")
def example_synth(example_configs: dict[str, EnvironmentConfig]) -> SynthResult:
    """All examples in one app, synthesised once (in the background from the session's
    start: `SYNTH`), and cfn-lint started over the templates (`example_lint`)."""
    done = start(SYNTH).result()
    assert done.process.returncode == 0, done.process.stderr[-5000:]
    result = SynthResult.read(done.out, list(example_configs))
    assert set(result.templates) == set(example_configs)
    CfnLint.start(result.outdir, sorted({c.region for c in example_configs.values()}))
    return result


@pytest.fixture(scope="session")
def example_gitops_trees(example_synth: SynthResult) -> dict[str, dict[str, str]]:
    """Tree directory -> {path in the repository: text}, for each example in GitOps mode:
    rendered from the examples' app by the same synth (`GITOPS_TREES`)."""
    text = (example_synth.outdir / GITOPS_TREES).read_text(encoding="utf-8")
    found: dict[str, dict[str, str]] = json.loads(text)
    return found


@pytest.fixture(scope="session")
def example_lint(example_synth: SynthResult) -> CfnLint:
    """cfn-lint over every template of `example_synth`, in the background since the synth."""
    return CfnLint.of(example_synth.outdir)
