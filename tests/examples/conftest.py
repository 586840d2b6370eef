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
from stacks.app_builder import CONFIG_DIR
from tests.conftest import SynthResult, synthesise

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
    return synthesise(example_configs, tmp_path_factory.mktemp("examples.out"))
