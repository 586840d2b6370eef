"""Kubernetes minor versions and semantic versions as comparable tuples.

Version strings are compared as numbers, never as text ("1.9" < "1.10"), so every table
lookup of the upgrade plan goes through these parsers. Pure Python, no dependencies.
"""

from __future__ import annotations

import re

Minor = tuple[int, int]
"""A Kubernetes minor version, ``"1.35"`` -> ``(1, 35)``."""
Semver = tuple[int, int, int]
"""A semantic version without pre-release, ``"v1.9.2"`` -> ``(1, 9, 2)``."""

_MINOR = re.compile(r"(\d+)\.(\d+)")
_SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.-]+)?")


def parse_minor(text: str) -> Minor | None:
    """``"1.35"`` -> ``(1, 35)``; None for anything else (``"1.35.2"``, ``"abc"``)."""
    found = _MINOR.fullmatch(text.strip())
    return (int(found[1]), int(found[2])) if found else None


def minor_text(minor: Minor) -> str:
    """``(1, 35)`` -> ``"1.35"``."""
    return f"{minor[0]}.{minor[1]}"


def require_minor(text: str) -> Minor:
    """Like :func:`parse_minor` for table keys written in this package: ValueError if bad."""
    minor = parse_minor(text)
    if minor is None:
        raise ValueError(f"{text!r} is not a Kubernetes minor version like 1.35")
    return minor


def minors_apart(older: Minor, newer: Minor) -> int:
    """How many minor versions `newer` is ahead of `older` (negative when behind).

    Kubernetes has only ever had major version 1; a different major counts as 100 minors
    apart, so any skew or path rule fails on it instead of passing silently.
    """
    if older[0] != newer[0]:
        return 100 if newer[0] > older[0] else -100
    return newer[1] - older[1]


def parse_semver(text: str) -> Semver | None:
    """``"1.9.2"``, ``"v1.18.2"`` or ``"1.35.0-eks-1"`` -> ``(x, y, z)``; None otherwise."""
    found = _SEMVER.fullmatch(text.strip())
    return (int(found[1]), int(found[2]), int(found[3])) if found else None


def require_semver(text: str) -> Semver:
    """Like :func:`parse_semver` for versions written in this package: ValueError if bad."""
    version = parse_semver(text)
    if version is None:
        raise ValueError(f"{text!r} is not a version like 1.9.0")
    return version


def semver_text(version: Semver) -> str:
    """``(1, 9, 0)`` -> ``"1.9.0"``."""
    return ".".join(str(part) for part in version)
