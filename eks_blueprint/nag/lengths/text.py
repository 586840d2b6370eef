"""Rendered text for checks and messages: its known characters, how it reads, how IAM
sizes it."""

from __future__ import annotations

import json
import re
from typing import Any

from .shapes import FILLER


def known(text: str) -> str:
    """``text`` with unknown characters replaced by a letter valid in every name charset,
    for character-set checks (length checks use ``text`` itself)."""
    return text.replace(FILLER, "a")


def visible(text: str, limit: int = 60) -> str:
    """``text`` for a message: unknown runs shown as ``<N chars>``, cut after ``limit``."""
    shown = re.sub(f"{FILLER}+", lambda m: f"<{len(m.group(0))} chars>", text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def short_json(value: Any) -> str:
    """A template fragment for a note: its compact JSON, cut after 60 characters."""
    text = json.dumps(value, default=str, separators=(",", ":"))
    return text if len(text) <= 60 else text[:59] + "…"


def policy_size(document: Any) -> int:
    """The size IAM counts for a rendered policy document: its JSON without whitespace (IAM
    does not count white space; IAM and AWS STS quotas,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return sum(1 for ch in document if not ch.isspace())
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return sum(1 for ch in text if not ch.isspace())
