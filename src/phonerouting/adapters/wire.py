"""Readers for vendor JSON that check each value's type as they take it.

A body that is not the documented shape raises `ShapeError`, which the drivers
turn into `UnexpectedResponseError` with the status and request id.
Nothing is guessed from a malformed body.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from phonerouting.model import RawPayload

__all__ = [
    "ShapeError",
    "error_details",
    "error_seconds",
    "error_str",
    "opt_bool",
    "opt_datetime",
    "opt_int",
    "opt_phone",
    "opt_str",
    "opt_str_list",
    "req_dict",
    "req_id",
    "req_list",
    "req_phone",
    "req_str",
]

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class ShapeError(Exception):
    """A vendor body is not the documented shape (internal; never escapes the API)."""


def req_dict(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` as a JSON object (a dict, or the `RawPayload` a success body decodes
    into), or ShapeError naming ``what``."""
    if not isinstance(value, dict | RawPayload):
        raise ShapeError(f"{what} is not a JSON object")
    return value


def req_list(obj: Mapping[str, Any], key: str) -> Sequence[Any]:
    """``obj[key]`` as a JSON array (a list, or the tuple a `RawPayload` reads it as)."""
    value = obj.get(key)
    if not isinstance(value, list | tuple):
        raise ShapeError(f"{key!r} is missing or not an array")
    return value


def req_str(obj: Mapping[str, Any], key: str) -> str:
    """``obj[key]`` as a non-empty string."""
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise ShapeError(f"{key!r} is missing or not a non-empty string")
    return value


def req_id(obj: Mapping[str, Any], key: str, pattern: re.Pattern[str]) -> str:
    """A vendor id: a string (or an integer, for integer ids) matching ``pattern``.

    Ids go back into URL paths, so one holding ``/`` or ``..`` is refused here rather
    than trusted.
    """
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise ShapeError(f"{key!r} is missing or not a valid id")
    return value


def opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    """``obj[key]`` as a string, with absent, null and ``""`` all read as ``None``."""
    value = obj.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ShapeError(f"{key!r} is not a string")
    return value


def _phone(value: str) -> str:
    # Vendors document E.164; the common case costs one regex match. Anything else is
    # normalized when it can be, and otherwise kept as the vendor gave it so a single
    # odd record never hides the rest of a listing.
    if _E164.fullmatch(value):
        return value
    import phonenumbers

    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def req_phone(obj: Mapping[str, Any], key: str) -> str:
    """``obj[key]`` as a phone number, in E.164 where it can be read as one."""
    return _phone(req_str(obj, key))


def opt_phone(obj: Mapping[str, Any], key: str) -> str | None:
    """Like `opt_str`, normalized like `req_phone`."""
    value = opt_str(obj, key)
    return None if value is None else _phone(value)


def opt_bool(obj: Mapping[str, Any], key: str) -> bool | None:
    """``obj[key]`` as a boolean, or ``None`` when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ShapeError(f"{key!r} is not a boolean")
    return value


def opt_int(obj: Mapping[str, Any], key: str) -> int | None:
    """``obj[key]`` as an integer, or ``None`` when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ShapeError(f"{key!r} is not an integer")
    return value


def opt_str_list(obj: Mapping[str, Any], key: str, *, phones: bool = False) -> tuple[str, ...]:
    """``obj[key]`` as a tuple of strings; absent or null reads as empty."""
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ShapeError(f"{key!r} is not a list of strings")
    return tuple(_phone(v) for v in value) if phones else tuple(value)


def opt_datetime(obj: Mapping[str, Any], key: str) -> datetime | None:
    """``obj[key]`` (ISO 8601) as a timezone-aware UTC datetime, or ``None``.

    A timestamp without an offset is taken as UTC, which is what the vendors send.
    """
    value = opt_str(obj, key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        # astimezone() overflows for an offset that moves the edge of datetime's
        # range (year 1 or 9999) past it.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ShapeError(f"{key!r} is not an ISO 8601 timestamp") from None


def error_str(obj: Mapping[str, Any], key: str) -> str | None:
    """A string from an error body, tolerating anything (error bodies are best effort)."""
    value = obj.get(key)
    return value if isinstance(value, str) and value else None


def error_seconds(value: Any) -> float | None:
    """A wait in seconds from an error body: a finite number >= 0, else ``None``.

    An integer beyond float range (``10**400``) or a non-number says nothing usable.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


def error_details(value: Any) -> dict[str, str] | None:
    """A vendor's field → message mapping, with non-string messages stringified."""
    if not isinstance(value, dict) or not value:
        return None
    return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items()}
