"""Support shared by the compute constructs: checks that can only run once the construct
tree is complete (synth time), and their registration as capacity of a cluster."""

from __future__ import annotations

from collections.abc import Callable

import jsii
from constructs import IConstruct, IValidation

from ..wiring import register_capacity


@jsii.implements(IValidation)
class SynthCheck:
    """A `node.add_validation` check: `problem()` returns an error message, or None."""

    def __init__(self, problem: Callable[[], str | None]) -> None:
        self._problem = problem

    def validate(self) -> list[str]:
        found = self._problem()
        return [found] if found else []


def register_as_capacity(cluster: object, hosts: IConstruct) -> None:
    """`wiring.register_capacity`: order `hosts` with the cluster's add-ons, whichever of
    them is created first (imported clusters included)."""
    register_capacity(cluster, hosts)
