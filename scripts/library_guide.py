"""The library guide's runnable examples and install command, read from its pages.

A runnable example is a ```python block right after `<!-- runnable: NAME -->` (an HTML
comment, invisible on the site) on a page of docs/library/; other python blocks are
illustrations, not programs. The install command is the first `pip install
"eks-blueprint[...]"` of the guide's index page: the extras a CDK app installs.

Standard library only, importable without the package, aws_cdk or the repository on the
path: `scripts/library_smoke.py` uses it from a fresh virtualenv's point of view, and the
docs tests (`tests/docs/conftest.py`) could share it instead of their own copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "library"

#: `<!-- runnable: NAME -->` right before a ```python fence, up to the closing fence.
RUNNABLE = re.compile(
    r"^<!-- runnable: (?P<name>[a-z0-9-]+) -->\n```python\n(?P<code>.*?)^```$",
    re.MULTILINE | re.DOTALL,
)
#: The guide's install command: `pip install "eks-blueprint[extra,...] ..."`.
INSTALL = re.compile(r"""pip install ["']eks-blueprint\[(?P<extras>[^\]]+)\]""")


@dataclass(frozen=True)
class Example:
    """One runnable example of the library guide."""

    name: str
    page: Path
    code: str
    line: int
    """Line of the page where the code starts (for tracebacks that point at the page)."""


def guide_examples(guide: Path = GUIDE) -> list[Example]:
    """Every runnable example of the guide pages, in page order."""
    found: list[Example] = []
    for page in sorted(guide.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for match in RUNNABLE.finditer(text):
            line = text.count("\n", 0, match.start("code")) + 1
            found.append(Example(match["name"], page, match["code"], line))
    return found


def example(name: str, guide: Path = GUIDE) -> Example:
    """The runnable example `name`; LookupError naming the ones there are."""
    examples = guide_examples(guide)
    for candidate in examples:
        if candidate.name == name:
            return candidate
    raise LookupError(
        f"no runnable example {name!r} in {guide}; there are: "
        f"{', '.join(e.name for e in examples) or 'none'}"
    )


def install_extras(guide: Path = GUIDE) -> tuple[str, ...]:
    """The extras of the guide's first install command (index.md), e.g. ("kubectl-v34",)."""
    page = guide / "index.md"
    match = INSTALL.search(page.read_text(encoding="utf-8"))
    if match is None:
        raise LookupError(f'{page}: no `pip install "eks-blueprint[...]"` command')
    return tuple(extra.strip() for extra in match["extras"].split(","))
