"""Support shared by the compute constructs: checks that can only run once the construct
tree is complete (synth time)."""

from __future__ import annotations

from collections.abc import Callable

import jsii
from constructs import IValidation


@jsii.implements(IValidation)
class SynthCheck:
    """A `node.add_validation` check: `problem()` returns an error message, or None."""

    def __init__(self, problem: Callable[[], str | None]) -> None:
        self._problem = problem

    def validate(self) -> list[str]:
        found = self._problem()
        return [found] if found else []

