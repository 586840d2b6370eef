"""Construct ids from configuration names: the one helper every construct uses.

Logical ids in CloudFormation come from construct paths, so this function must never change
its output for a name it already accepts: a change would replace resources on deploy.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")


def pascal_id(name: str) -> str:
    """`"general-purpose"` -> `"GeneralPurpose"`: split on anything not a letter or digit,
    capitalise each part (the rest of each part lower-cased, as `str.capitalize` does).

    Raises ValueError for a name with no letters or digits, which no id can be made of.
    """
    result = "".join(part.capitalize() for part in _SEPARATORS.split(name) if part)
    if not result:
        raise ValueError(f"cannot make a construct id of {name!r}: it has no letters or digits")
    return result
