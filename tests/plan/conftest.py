"""Plan tests read the session's one synth of every environment (tests/conftest.py).

`plan_inputs(env)` loads `config/<env>.yaml` and that environment's stage of the shared
assembly, once per session. A test that changes the config builds its own inputs with
`dataclasses.replace(inputs, config=inputs.config.model_copy(update=...))` (a plan is a pure
function of config and assembly), or synthesises a changed app in a module fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from eks_blueprint.config import load_config
from eks_blueprint.plan import PlanInputs, load_inputs
from eks_blueprint.plan.inputs import stage_stacks
from eks_blueprint.template.assembly import load_assembly
from stacks.app_builder import CONFIG_DIR, build_app

_CACHE: dict[str, PlanInputs] = {}


@pytest.fixture(scope="session")
def plan_inputs(synth) -> Callable[[str], PlanInputs]:  # type: ignore[no-untyped-def]
    def get(env: str) -> PlanInputs:
        if env not in _CACHE:
            _CACHE[env] = load_inputs(env, CONFIG_DIR, synth.outdir)
        return _CACHE[env]

    return get


@pytest.fixture(scope="session")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PlanInputs]:
    """config/examples/self-managed.yaml and accelerated.yaml, synthesised once per session,
    as plan inputs by environment name."""
    paths = [CONFIG_DIR / "examples" / f"{name}.yaml" for name in ("self-managed", "accelerated")]
    configs = {path: load_config(path) for path in paths}
    outdir = tmp_path_factory.mktemp("examples-plan")
    build_app(list(configs.values()), outdir=str(outdir)).synth()
    assembly = load_assembly(outdir)
    return {
        config.name: PlanInputs(
            env=config.name,
            config=config,
            config_path=path,
            stacks=stage_stacks(assembly.stacks.values(), config.name),
            assembly_path=assembly.path,
        )
        for path, config in configs.items()
    }
