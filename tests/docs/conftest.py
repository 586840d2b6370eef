"""Helpers shared by the documentation tests: where the docs are, and the guide's examples."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
GUIDE = DOCS / "library"

#: A runnable example: an HTML comment `<!-- runnable: NAME -->` (invisible on the site)
#: right before a ```python fence. Other python blocks are illustrations, not programs.
_RUNNABLE = re.compile(
    r"^<!-- runnable: (?P<name>[a-z0-9-]+) -->\n```python\n(?P<code>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class Example:
    """One runnable example of the library guide."""

    name: str
    page: Path
    code: str
    line: int
    """Line of the page where the code starts (for tracebacks that point at the page)."""


def guide_examples() -> list[Example]:
    """Every runnable example of the guide pages, in page order."""
    found: list[Example] = []
    for page in sorted(GUIDE.glob("*.md")):
        text = page.read_text()
        for match in _RUNNABLE.finditer(text):
            line = text.count("\n", 0, match.start("code")) + 1
            found.append(Example(match["name"], page, match["code"], line))
    return found
