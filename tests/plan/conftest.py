"""Plan tests read the session's one synth of every environment (tests/conftest.py).

`plan_inputs(env)` loads `config/<env>.yaml` and that environment's stage of the shared
assembly, once per session. A test that changes the config builds its own inputs with
`dataclasses.replace(inputs, config=inputs.config.model_copy(update=...))` (a plan is a pure
function of config and assembly), or synthesises a changed app in a module fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from eks_blueprint.config import EnvironmentConfig
from eks_blueprint.plan import PlanInputs, load_inputs
from eks_blueprint.plan.inputs import stage_stacks
from eks_blueprint.template.assembly import load_assembly
from stacks.app_builder import CONFIG_DIR
from tests.conftest import SynthResult

_CACHE: dict[str, PlanInputs] = {}


@pytest.fixture(scope="session")
def plan_inputs(synth) -> Callable[[str], PlanInputs]:  # type: ignore[no-untyped-def]
    def get(env: str) -> PlanInputs:
        if env not in _CACHE:
            _CACHE[env] = load_inputs(env, CONFIG_DIR, synth.outdir)
        return _CACHE[env]

    return get


@pytest.fixture(scope="session")
def examples(
    example_synth: SynthResult, example_configs: dict[str, EnvironmentConfig]
) -> dict[str, PlanInputs]:
    """config/examples/self-managed.yaml and accelerated.yaml as plan inputs by environment
    name, from the session's one synth of every example (tests/examples/fixtures.py; each
    stage's templates are the same as in an app of these two alone)."""
    assembly = load_assembly(example_synth.outdir)
    return {
        name: PlanInputs(
            env=name,
            config=example_configs[name],
            config_path=CONFIG_DIR / "examples" / f"{name}.yaml",
            stacks=stage_stacks(assembly.stacks.values(), name),
            assembly_path=assembly.path,
        )
        for name in ("self-managed", "accelerated")
    }
