"""Plan tests read the session's one synth of every environment (tests/conftest.py).

`plan_inputs(env)` loads `config/<env>.yaml` and that environment's stage of the shared
assembly, once per session. A test that changes the config builds its own inputs with
`dataclasses.replace(inputs, config=inputs.config.model_copy(update=...))` (a plan is a pure
function of config and assembly), or synthesises a changed app in a module fixture.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from eks_blueprint.plan import PlanInputs, load_inputs
from stacks.app_builder import CONFIG_DIR

_CACHE: dict[str, PlanInputs] = {}


@pytest.fixture(scope="session")
def plan_inputs(synth) -> Callable[[str], PlanInputs]:  # type: ignore[no-untyped-def]
    def get(env: str) -> PlanInputs:
        if env not in _CACHE:
            _CACHE[env] = load_inputs(env, CONFIG_DIR, synth.outdir)
        return _CACHE[env]

    return get
