"""Shared building blocks of the configuration models.

Every model is frozen and rejects unknown keys, so a typo in a YAML key is an error that
names the key instead of a setting that silently does nothing.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

#: Retention periods CloudWatch Logs accepts (AWS::Logs::LogGroup RetentionInDays).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

IAM_PRINCIPAL_ARN = re.compile(
    r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)/[\w+=,.@/-]{1,512}$"
)


class StrictModel(BaseModel):
    """Base of every config model: immutable, no unknown keys, no silent coercion."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, use_attribute_docstrings=True
    )


def _check_cidr(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(
            f"not a valid IPv4 CIDR ({exc}); write it like 10.0.0.0/16, with the host bits zero"
        ) from None
    return str(network)


def _check_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise ValueError(f"CloudWatch Logs does not accept {value} days; use one of {allowed}")
    return value


def _check_principal_arn(value: str) -> str:
    if not IAM_PRINCIPAL_ARN.match(value):
        raise ValueError(
            "not an IAM role or user ARN; expected arn:aws:iam::<12-digit account>:role/<name>"
            " or arn:aws:iam::<account>:user/<name>"
        )
    return value


Cidr = Annotated[str, AfterValidator(_check_cidr)]
RetentionDays = Annotated[int, AfterValidator(_check_retention)]
PrincipalArn = Annotated[str, AfterValidator(_check_principal_arn)]


def duplicates(values: list[Any]) -> list[Any]:
    """Return the values that occur more than once, in first-seen order."""
    seen: set[Any] = set()
    dupes: list[Any] = []
    for value in values:
        if value in seen and value not in dupes:
            dupes.append(value)
        seen.add(value)
    return dupes
