"""Mermaid flowchart text: safe node ids, escaped labels and the shapes the diagram uses.

Mermaid reads a node's label between quotes, so a label may hold brackets and parentheses,
but a double quote ends it, ``#...;`` is read as an entity code, ``;`` can end a statement,
``<``/``>``/``&`` are HTML and a leading backtick starts a Markdown string. Every piece of
text from a template goes through :func:`escape_label`, which turns those characters into
Mermaid entity codes (``#quot;``, ``#35;``...). The only markup the diagram adds itself is
``<b>`` for a node's title and ``<br/>`` between its lines, after escaping.

Node ids are built by :func:`mermaid_id` from a kind prefix and the CloudFormation logical id
(plus a Kubernetes object's name where one resource holds several objects), so the same
resource has the same id in every run and in BASE and HEAD, which is how a removed node is
matched. Ids hold only ``[A-Za-z0-9_]`` and always start with a lowercase prefix, so they can
never be a Mermaid keyword (``end``, ``graph``...) or start with the ``o``/``x`` that Mermaid
reads as an edge end.
"""

from __future__ import annotations

import re
from typing import Final, Literal

Shape = Literal[
    "box", "round", "stadium", "subroutine", "cylinder", "hexagon", "flag", "parallelogram"
]

#: Opening and closing brackets of each shape around a quoted label.
_SHAPES: Final[dict[Shape, tuple[str, str]]] = {
    "box": ("[", "]"),
    "round": ("(", ")"),
    "stadium": ("([", "])"),
    "subroutine": ("[[", "]]"),
    "cylinder": ("[(", ")]"),
    "hexagon": ("{{", "}}"),
    "flag": (">", "]"),
    "parallelogram": ("[/", "/]"),
}

#: Characters that break a quoted Mermaid label or change its meaning, as entity codes.
_ESCAPES: Final[dict[int, str]] = {
    ord('"'): "#quot;",
    ord("#"): "#35;",
    ord(";"): "#59;",
    ord("<"): "#lt;",
    ord(">"): "#gt;",
    ord("&"): "#amp;",
    ord("`"): "#96;",
    ord("|"): "#124;",
    ord("\\"): "#92;",
    ord("\n"): " ",
    ord("\r"): " ",
    ord("\t"): " ",
}

_ID_SAFE = re.compile(r"[A-Za-z0-9]")
_PREFIX = re.compile(r"[a-z][a-z0-9]*")


def escape_label(text: str) -> str:
    """`text` made safe inside a quoted Mermaid label: quotes, ``#``, ``;``, HTML
    characters, backticks, pipes and backslashes become entity codes, line breaks spaces."""
    return text.translate(_ESCAPES)


def _id_part(text: str) -> str:
    # Letters and digits stay; every other character becomes _<hex>_, so "on-demand",
    # "on_demand" and "ondemand" give three different ids.
    return "".join(c if _ID_SAFE.fullmatch(c) else f"_{ord(c):x}_" for c in text)


def mermaid_id(prefix: str, *parts: str) -> str:
    """A Mermaid-safe, stable node id: ``<prefix>_<part>__<part>...``.

    `prefix` names the kind of node (lowercase letters and digits, e.g. ``sn`` for a subnet);
    `parts` are logical ids, object names or zone names, encoded so that different inputs
    give different ids.
    """
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"Mermaid id prefix {prefix!r}: use lowercase letters and digits")
    return prefix + "_" + "__".join(_id_part(p) for p in parts)


def label(title: str, lines: list[str] | tuple[str, ...] = ()) -> str:
    """A quoted label: the title in bold, then one line per entry, all escaped."""
    body = f"<b>{escape_label(title)}</b>"
    for line in lines:
        body += "<br/>" + escape_label(line)
    return f'"{body}"'


def node_text(node_id: str, shape: Shape, quoted_label: str) -> str:
    """One node statement, e.g. ``sn_X["<b>Private</b>"]``."""
    opening, closing = _SHAPES[shape]
    return f"{node_id}{opening}{quoted_label}{closing}"


def edge_text(source: str, target: str, text: str | None = None, *, dotted: bool = False) -> str:
    """One edge statement; arrows always have spaces around them."""
    arrow = "-.->" if dotted else "-->"
    if text:
        return f'{source} {arrow}|"{escape_label(text)}"| {target}'
    return f"{source} {arrow} {target}"
