"""The vocabulary shared by the EKS best-practice rules, the cdk-nag pack and the command line.

Pure Python (no ``aws_cdk``): a rule is a small function from a resource to a
:class:`Verdict`; :class:`Rule` adds the id, level, one-line info and how to fix it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from ..template import ResourceRef, TemplateView


class Level(enum.StrEnum):
    """How serious a finding is. Errors fail the command line (exit 1); warnings do not."""

    ERROR = "error"
    WARNING = "warning"


class Status(enum.StrEnum):
    """The outcome of one rule on one resource."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non-compliant"
    NOT_APPLICABLE = "not-applicable"
    #: The rule could not see what it needs (e.g. a cross-stack import); always a warning.
    UNRESOLVED = "unresolved"


@dataclass(frozen=True)
class Verdict:
    """A rule's answer for one resource, with the finding text when it is not compliant."""

    status: Status
    message: str = ""

    @classmethod
    def ok(cls, message: str = "") -> Verdict:
        """The resource follows the practice."""
        return cls(Status.COMPLIANT, message)

    @classmethod
    def na(cls, message: str = "") -> Verdict:
        """The rule does not apply to this resource."""
        return cls(Status.NOT_APPLICABLE, message)

    @classmethod
    def fail(cls, message: str) -> Verdict:
        """The resource breaks the practice; ``message`` says how."""
        return cls(Status.NON_COMPLIANT, message)

    @classmethod
    def unresolved(cls, why: str) -> Verdict:
        """The rule cannot decide from the template; ``why`` says what it could not see."""
        return cls(Status.UNRESOLVED, why)

    @property
    def is_finding(self) -> bool:
        """True when this verdict should be reported (non-compliant or unresolved)."""
        return self.status in (Status.NON_COMPLIANT, Status.UNRESOLVED)


Check = Callable[[ResourceRef], Verdict]
StackCheck = Callable[[TemplateView], Verdict]

#: In :attr:`Rule.resource_types`: the rule inspects resources of every type.
ANY_TYPE = "*"

#: The ``type`` of findings about a whole template (a stack), not one of its resources.
STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass(frozen=True)
class Rule:
    """One best practice: id (``EKSBP1``...), level, the types it inspects, and its check."""

    id: str
    level: Level
    resource_types: tuple[str, ...]
    info: str
    explanation: str
    check: Check

    def applies_to(self, resource_type: str) -> bool:
        """Whether the rule inspects resources of ``resource_type``."""
        return resource_type in self.resource_types or ANY_TYPE in self.resource_types

    def level_of(self, verdict: Verdict) -> Level:
        """The level a finding is reported at: unresolved verdicts are always warnings."""
        return Level.WARNING if verdict.status is Status.UNRESOLVED else self.level


@dataclass(frozen=True)
class StackRule:
    """A rule about a whole template (CloudFormation's per-stack quotas: template size,
    resource and output counts...), checked once per stack instead of once per resource.

    The command line reports its findings against the stack; the cdk-nag pack attaches them
    to the stack's first resource, since cdk-nag findings always name a ``CfnResource``.
    """

    id: str
    level: Level
    info: str
    explanation: str
    check: StackCheck

    def level_of(self, verdict: Verdict) -> Level:
        """The level a finding is reported at: unresolved verdicts are always warnings."""
        return Level.WARNING if verdict.status is Status.UNRESOLVED else self.level


@dataclass(frozen=True)
class Finding:
    """A reported verdict: which rule, how serious, where (stack, logical id) and why."""

    rule_id: str
    level: Level
    stack: str
    logical_id: str
    resource_type: str
    status: Status
    message: str

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready mapping (the command line's ``--format json`` rows)."""
        return {
            "rule": self.rule_id,
            "level": str(self.level),
            "stack": self.stack,
            "resource": self.logical_id,
            "type": self.resource_type,
            "status": str(self.status),
            "finding": self.message,
        }
