"""docs/diagrams/<env>.md are `make diagram`'s output for the shipped configs: a change to a
config or to the diagram code that leaves them stale fails here (regenerate: make diagram)."""

from __future__ import annotations

import pytest

from eks_blueprint.plan.diagram import plan_diagram
from stacks.app_builder import CONFIG_DIR

DOCS = CONFIG_DIR.parent / "docs" / "diagrams"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_committed_diagram_is_current(plan_inputs, env: str) -> None:  # type: ignore[no-untyped-def]
    committed = (DOCS / f"{env}.md").read_text(encoding="utf-8")
    assert committed == plan_diagram(plan_inputs(env)).to_markdown(), (
        f"docs/diagrams/{env}.md is stale: run `make diagram`"
    )
