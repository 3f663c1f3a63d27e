"""Vendor text made safe and unambiguous for a terminal.

Labels, URLs, ids and error messages come from the vendors. Printed raw, a label such as
``"\\x1b[2J...\\n fake line"`` would clear the screen or forge table rows, and a
right-to-left override (U+202E) would reorder what follows it. Every human-readable
output passes vendor text through `escape`; ``--json`` output is exact JSON instead.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

__all__ = ["BIDI_CONTROLS", "escape", "inline", "shown"]

#: The bidirectional formatting characters: embeddings, overrides and isolates, the
#: implicit marks and the Arabic letter mark.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _escaped(ch: str) -> str:
    named = _NAMED.get(ch)
    if named is not None:
        return named
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(ch: str) -> bool:
    # Cc: C0 and C1 controls and DEL (escape sequences, carriage returns, newlines);
    # Zl/Zp: the Unicode line and paragraph separators, which some terminals break on.
    return ch in _NAMED or ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def escape(text: str) -> str:
    """``text`` with every control character, bidi control, line break and backslash
    written as a Python-style escape (``\\x1b``, ``\\u202e``, ``\\n``, ``\\\\``): what is
    printed is one line, shows every character, and reads back unambiguously."""
    if text.isprintable() and "\\" not in text and not BIDI_CONTROLS.intersection(text):
        return text
    return "".join(_escaped(ch) if _unsafe(ch) else ch for ch in text)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def shown(value: Any) -> str:
    """One value as a table cell: ``-`` for empty, lists comma-separated, strings escaped
    and quoted when their edges or emptiness would not show (``"" ``, ``" x"``)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(inline(v) for v in value) or "-"
    text = escape(str(value))
    if text == "" or text != text.strip() or text == "-":
        return _quoted(text)
    return text


def inline(value: Any) -> str:
    """One value inside a line of ``field=value`` pairs: as `shown`, and quoted when it
    holds a space, quote, comma or ``=`` so that where it ends is unambiguous."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ",".join(inline(v) for v in value) or "-"
    text = shown(value)
    if text.startswith('"'):
        return text
    if any(ch in text for ch in ' "=,') or any(ch.isspace() for ch in text):
        return _quoted(text)
    return text
