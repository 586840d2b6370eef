"""The example configs (`config/examples/*.yaml`), synthesised ONCE per test session.

The examples show what the shipped environments do not deploy (Auto Mode, IPv6, GPU and
Windows capacity, self-managed nodes, Cluster Autoscaler). Each goes through the same app as
the environments, with the compliance packs enforcing at synth, so an example that stops
synthesising, or whose resources the packs refuse, fails the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eks_blueprint.config import EnvironmentConfig, load_config
from stacks.app_builder import CONFIG_DIR, build_app
from tests.conftest import SynthResult

EXAMPLES_DIR = CONFIG_DIR / "examples"


def example_paths() -> list[Path]:
    """Every example config file, by name."""
    return sorted(EXAMPLES_DIR.glob("*.yaml"))


@pytest.fixture(scope="session")
def example_configs() -> dict[str, EnvironmentConfig]:
    """Each example's config, by environment name."""
    configs = [load_config(path) for path in example_paths()]
    return {c.name: c for c in configs}


@pytest.fixture(scope="session")
def example_synth(
    tmp_path_factory: pytest.TempPathFactory, example_configs: dict[str, EnvironmentConfig]
) -> SynthResult:
    """All examples in one app, synthesised once (one jsii round trip for all of them)."""
    outdir = tmp_path_factory.mktemp("examples.out")
    app = build_app(list(example_configs.values()), outdir=str(outdir))
    assembly = app.synth()
    templates: dict[str, dict[str, dict[str, object]]] = {}
    for name in example_configs:
        stage = assembly.get_nested_assembly(f"assembly-{name}")
        for stack in stage.stacks:
            kind = stack.stack_name.removeprefix(f"{name}-eks-")
            templates.setdefault(name, {})[kind] = stack.template
    return SynthResult(outdir=outdir, templates=templates)  # type: ignore[arg-type]
