"""Where every rule is declared: a decorator beside each check function, so that a rule's
id, level, one-line info and fix sit next to the code that decides it.

Two catalogues exist, one per rule family: :data:`BEST_PRACTICE` (``EKSBP*``, the modules of
:mod:`eks_blueprint.nag.rules`) and :data:`DEPLOYABILITY` (``EKSDEP*``, the modules of
:mod:`eks_blueprint.nag.limits`). A catalogue builds the rule table in id order, binding the
account's :class:`~eks_blueprint.nag.quotas.Quotas` into the checks that read one; counting
its rules (:func:`eks_blueprint.nag.rule_counts`) is how documentation states how many there
are. Pure Python: no ``aws_cdk``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..template import ResourceRef, TemplateView
from .model import Level, Rule, StackRule, Verdict
from .quotas import DEFAULT_QUOTAS, Quotas

F = TypeVar("F", bound=Callable[..., Verdict])


@dataclass(frozen=True)
class _Entry:
    """One declared rule, before quotas are bound."""

    id: str
    level: Level
    types: tuple[str, ...] | None
    """The CloudFormation types inspected; None for a stack rule."""
    info: str
    explanation: str
    check: Callable[..., Verdict]
    uses_quotas: bool


class Catalog:
    """The rules of one family (one id prefix), declared with :meth:`rule` and :meth:`stack`."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._entries: dict[str, _Entry] = {}

    def _add(self, entry: _Entry) -> None:
        if not entry.id.startswith(self.prefix) or not entry.id[len(self.prefix):].isdigit():
            raise ValueError(f"rule id {entry.id!r} does not belong to the {self.prefix} "
                             f"family: use {self.prefix}<number>")
        known = self._entries.get(entry.id)
        if known is not None and known.check.__qualname__ != entry.check.__qualname__:
            raise ValueError(f"rule id {entry.id} is declared twice ({known.check.__name__} "
                             f"and {entry.check.__name__}): pick the next free id")
        self._entries[entry.id] = entry

    def rule(self, rule_id: str, level: Level, types: str | tuple[str, ...], info: str,
             explanation: str, *, quotas: bool = False) -> Callable[[F], F]:
        """Declare a resource rule on the decorated check (``check(res)``, or
        ``check(res, quotas=...)`` when ``quotas`` is true)."""
        kinds = (types,) if isinstance(types, str) else tuple(types)

        def declare(check: F) -> F:
            self._add(_Entry(rule_id, level, kinds, info, explanation, check, quotas))
            return check
        return declare

    def stack(self, rule_id: str, info: str, explanation: str,
              level: Level = Level.ERROR) -> Callable[[F], F]:
        """Declare a stack rule (``check(view)``, once per template) on the decorated check."""
        def declare(check: F) -> F:
            self._add(_Entry(rule_id, level, None, info, explanation, check, False))
            return check
        return declare

    def __len__(self) -> int:
        return len(self._entries)

    def ids(self) -> list[str]:
        """The declared ids in numeric order."""
        return sorted(self._entries, key=lambda i: int(i[len(self.prefix):]))

    def build(self, quotas: Quotas = DEFAULT_QUOTAS) -> tuple[Rule | StackRule, ...]:
        """The rule table in id order, ``quotas`` bound into the checks that read one."""
        table: list[Rule | StackRule] = []
        for rule_id in self.ids():
            entry = self._entries[rule_id]
            if entry.types is None:
                stack_check: Callable[[TemplateView], Verdict] = entry.check
                table.append(StackRule(entry.id, entry.level, entry.info, entry.explanation,
                                       stack_check))
                continue
            check: Callable[[ResourceRef], Verdict] = (
                _bind(entry.check, quotas) if entry.uses_quotas else entry.check)
            table.append(Rule(entry.id, entry.level, entry.types, entry.info,
                              entry.explanation, check))
        return tuple(table)


def _bind(check: Callable[..., Verdict], quotas: Quotas) -> Callable[[ResourceRef], Verdict]:
    bound: Callable[[ResourceRef], Verdict] = functools.partial(check, quotas=quotas)
    return bound




#: The EKS best-practice rules (EKSBP1...).
BEST_PRACTICE = Catalog("EKSBP")
#: The deployability rules (EKSDEP1...).
DEPLOYABILITY = Catalog("EKSDEP")
