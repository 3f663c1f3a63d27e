"""Checks and normalization of what callers give us, done before any request is built.

Each function returns the normalized value or raises `ValidationError` naming the
field, so bad input never reaches a vendor.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from urllib.parse import urlsplit

from phonerouting.errors import ValidationError

__all__ = [
    "MAX_LABEL_LENGTH",
    "MAX_TAG_LENGTH",
    "MAX_URL_LENGTH",
    "in_range",
    "normalize_connection_id",
    "normalize_e164",
    "normalize_https_url",
    "normalize_label",
    "normalize_tag",
    "normalize_user_id",
    "normalize_uuid",
    "number_example",
    "shown",
]

#: The longest label we send. No vendor documents a limit; 255 keeps a runaway value
#: (a whole file pasted into a label) from being sent at all.
MAX_LABEL_LENGTH = 255
#: The longest webhook or greeting URL we send (the common browser/server limit).
MAX_URL_LENGTH = 2048

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HUMAN_PHONE = re.compile(r"[0-9+()\-. /\u00a0]{1,40}")
_USER_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
#: A numeric connection id: digits, as long as a 64-bit id can be (Telnyx's are 19).
_NUMERIC_ID = re.compile(r"[0-9]{1,20}")
#: The longest tag we send (no vendor documents a limit; same reasoning as labels).
MAX_TAG_LENGTH = 255


#: How much of a refused value an error message quotes.
_SHOWN_LENGTH = 80


def shown(value: object) -> str:
    """``repr(value)`` for an error message: bounded in length, and never raising.

    A caller's value can be a 5 MB string, an integer too large for ``repr()`` (which
    raises ValueError past 4,300 digits) or an object whose ``__repr__`` fails; the
    error about it must still be a short, typed one.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<an integer of {value.bit_length()} bits>"
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not replace the error being raised
        return f"<{type(value).__name__}>"
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def in_range(value: object, low: float, high: float, *, low_open: bool = False) -> bool:
    """True for a real, finite number (not a bool) from ``low`` to ``high``; above ``low``
    rather than at least ``low`` when ``low_open``. The one check behind every
    duration, rate and count of seconds the library takes."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if not math.isfinite(value) or value > high:
        return False
    return value > low if low_open else value >= low


def _require_str(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, not {type(value).__name__}", field=field)
    return value


#: The bidirectional controls: invisible, they reorder how the text around them is
#: displayed (a label can read backwards, or hide what follows it).
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
#: Control characters (C0, DEL, C1: newline, escape…), lone surrogates, and the line and
#: paragraph separators.
_UNPRINTABLE = frozenset(("Cc", "Cs", "Zl", "Zp"))


def _forbidden_char(value: str) -> tuple[int, str] | None:
    """The first character no display text may hold, with its position, or None.

    No label needs one, and each one changes what a reader sees: an escape sequence
    can clear a terminal or forge lines of a listing, a bidi control reverse the text.
    """
    for position, ch in enumerate(value):
        if ch in BIDI_CONTROLS or unicodedata.category(ch) in _UNPRINTABLE:
            return position, ch
    return None


def _refuse_forbidden(text: str, field: str, what: str) -> None:
    found = _forbidden_char(text)
    if found is not None:
        position, ch = found
        name = unicodedata.name(ch, "")
        named = f"U+{ord(ch):04X}" + (f" ({name})" if name else "")
        raise ValidationError(
            f"{field} must not contain {what}; it holds {named} at position {position}",
            field=field,
        )


def _refuse_longer(text: str, limit: int, field: str) -> None:
    if len(text) > limit:
        raise ValidationError(
            f"{field} is {len(text)} characters; at most {limit} are allowed", field=field
        )


def normalize_e164(value: object, field: str) -> str:
    """A phone number in a common human form (``"+1 (202) 555-9999"``) → E.164.

    The number must carry its country code and be a valid number for its region.
    """
    text = _require_str(value, field).strip()
    if _E164.fullmatch(text) is None and _HUMAN_PHONE.fullmatch(text) is None:
        raise ValidationError(
            f"{field} {shown(value)} is not a phone number; give it in E.164, e.g. +12025559999",
            field=field,
        )
    if not text.startswith("+"):
        example = number_example(text) or "+12025559999"
        raise ValidationError(
            f"{field} {shown(value)} has no country code; a phone number needs it, e.g. {example}",
            field=field,
        )
    e164 = _parse_valid(text)
    if e164 is None:
        raise ValidationError(
            f"{field} {shown(value)} is not a valid phone number; "
            "give it in E.164, e.g. +12025559999",
            field=field,
        )
    return e164


def number_example(text: str) -> str | None:
    """``text`` with a country code, as an example to give back, when it reads as a
    phone number without one (``"312-246-1528"`` → ``"+1 312 246 1528"``); else None.

    The country is a guess (+1, the North American plan, the vendors' home market), so
    messages offer it as an example only; a text that is no valid +1 number gets a
    placeholder for the code.
    """
    stripped = text.strip()
    digits = sum(ch.isdigit() for ch in stripped)
    # 7 to 15 digits: a UUID of digits and dashes is no phone number.
    if (
        stripped.startswith("+")
        or _HUMAN_PHONE.fullmatch(stripped) is None
        or not 7 <= digits <= 15
    ):
        return None
    import phonenumbers

    try:
        parsed = phonenumbers.parse(stripped, "US")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        formatted = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return formatted.replace("-", " ")
    return f"+<country code> {stripped}"


@functools.lru_cache(maxsize=16384)
def _parse_valid(text: str) -> str | None:
    # Parsing and validating costs ~50 µs, more than the rest of a request's client-side
    # work; bulk updates repeat the same forwarding numbers, so results are cached.
    # phonenumbers is imported here, not at module import: it is only needed when a
    # caller hands us a number, and it keeps `import phonerouting` fast.
    import phonenumbers

    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_https_url(value: object, field: str) -> str:
    """An absolute ``https://`` URL with a host; every vendor here requires https."""
    text = _require_str(value, field)
    _refuse_longer(text, MAX_URL_LENGTH, field)
    _refuse_forbidden(text, field, "control characters, bidi controls or line breaks")
    if any(ch.isspace() for ch in text):
        raise ValidationError(f"{field} must not contain spaces", field=field)
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme.lower() != "https" or not host:
        raise ValidationError(
            f"{field} {shown(text)} must be an absolute https:// URL, e.g. https://example.com/hook",
            field=field,
        )
    return text


def normalize_label(value: object, field: str = "label") -> str:
    """A display label: no control characters, bidi controls or line breaks (the error
    names the character's code point), at most `MAX_LABEL_LENGTH` characters."""
    text = _require_str(value, field)
    _refuse_forbidden(text, field, "control characters, bidi controls or line breaks")
    _refuse_longer(text, MAX_LABEL_LENGTH, field)
    return text


def normalize_uuid(value: object, field: str) -> str:
    """A UUID in its canonical 8-4-4-4-12 form, lower-cased (UUIDs are case-insensitive)."""
    text = _require_str(value, field)
    if _UUID.fullmatch(text) is None:
        raise ValidationError(
            f"{field} {shown(value)} is not a UUID (8-4-4-4-12 hex digits)",
            field=field,
        )
    return text.lower()


def normalize_user_id(value: object, field: str) -> str:
    """A vendor user id (letters, digits, ``_`` and ``-``), as in Close ring groups."""
    text = _require_str(value, field)
    if _USER_ID.fullmatch(text) is None:
        raise ValidationError(
            f"{field} holds {shown(value)}, which is not a user id (letters, digits, _ and -)",
            field=field,
        )
    return text


def normalize_connection_id(value: object, field: str) -> str:
    """A voice connection id: digits (``"1293384261075731499"``) or a UUID, the two forms
    Telnyx's own examples give; a UUID comes back lower-cased."""
    text = _require_str(value, field)
    if _NUMERIC_ID.fullmatch(text) is not None:
        return text
    if _UUID.fullmatch(text) is not None:
        return text.lower()
    raise ValidationError(
        f"{field} {shown(value)} is not a connection id (digits, or a UUID)", field=field
    )


def normalize_tag(value: object, field: str) -> str:
    """One tag: a non-empty string with no control characters, bidi controls or line
    breaks and no surrounding spaces, at most `MAX_TAG_LENGTH` characters."""
    text = _require_str(value, field)
    if text == "" or text != text.strip():
        raise ValidationError(
            f"{field} {shown(value)} must be a non-empty tag without surrounding spaces",
            field=field,
        )
    _refuse_forbidden(text, field, "control characters, bidi controls or line breaks")
    _refuse_longer(text, MAX_TAG_LENGTH, field)
    return text
