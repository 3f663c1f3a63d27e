"""The emulators' view of HTTP: one request in, one response (or a fault) out."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs

__all__ = [
    "EmuRequest",
    "EmuResponse",
    "LoggedRequest",
    "basic_credentials",
    "is_https_url",
    "is_uuid",
    "is_uuid4",
    "is_valid_e164",
    "json_response",
    "now_iso",
    "whole_seconds",
]


@attrs.frozen
class EmuRequest:
    """A request as an emulator sees it. ``path`` is relative to the vendor's base path."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        """The JSON body; raises ValueError when there is none or it is not JSON."""
        return json.loads(self.body)

    def is_form(self) -> bool:
        """Whether the body is declared ``application/x-www-form-urlencoded``."""
        return is_form(self.headers)

    def form(self) -> dict[str, str]:
        """The form-encoded body (the last value of a repeated name); raises ValueError
        when the request is not declared a form or its body is not one."""
        if not self.is_form():
            raise ValueError("the request body is not application/x-www-form-urlencoded")
        return parse_form(self.body)


@attrs.frozen
class EmuResponse:
    """What an emulator answers: status, headers, body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes


@attrs.frozen
class LoggedRequest:
    """One request as it reached an emulator, for assertions in tests.

    ``path`` is the full path (base path included); ``json`` is the parsed body, or
    ``None`` when the request had none (or it was not JSON: see ``body``); ``form`` is
    the parsed body of a request declared ``application/x-www-form-urlencoded``, else
    ``None``.
    """

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    json: Any
    body: bytes
    form: Mapping[str, str] | None = None


def basic_credentials(value: str) -> tuple[str, str] | None:
    """The ``(user, password)`` of an HTTP Basic credential (the part after ``Basic``),
    or ``None`` when it is not base64 of ``user:password``."""
    try:
        user, colon, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if colon else None


def is_form(headers: Mapping[str, str]) -> bool:
    """Whether lower-cased ``headers`` declare a form-encoded body."""
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/x-www-form-urlencoded"


def parse_form(body: bytes) -> dict[str, str]:
    """A form-encoded body's pairs; ValueError for one that is not UTF-8 or not a form."""
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise ValueError("the form body is not UTF-8") from None
    return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))


def json_response(
    status: int, payload: Any, headers: Mapping[str, str] | None = None
) -> EmuResponse:
    """A JSON response with compact encoding."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    out = {"Content-Type": "application/json"}
    if headers:
        out.update(headers)
    return EmuResponse(status, out, body)


_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def is_valid_e164(value: object) -> bool:
    """Whether ``value`` is a valid number written in E.164, as the vendors require."""
    if not isinstance(value, str) or _E164.fullmatch(value) is None:
        return False
    return _valid_number(value)


@functools.lru_cache(maxsize=65536)
def _valid_number(value: str) -> bool:
    # Validation is most of an emulated write's cost; benchmarks repeat numbers.
    import phonenumbers

    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse(value, None)))
    except phonenumbers.NumberParseException:
        return False


def is_https_url(value: object) -> bool:
    """Whether ``value`` is an absolute https URL with a host."""
    if not isinstance(value, str) or any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme == "https" and bool(parts.hostname)
    except ValueError:
        return False


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_uuid(value: object) -> bool:
    """Whether ``value`` is a lower-case canonical UUID."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


_UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def is_uuid4(value: object) -> bool:
    """Whether ``value`` is a lower-case canonical version-4 UUID (what the emulators
    of UUID-keyed vendors mint as ids)."""
    return isinstance(value, str) and _UUID4.fullmatch(value) is not None


def now_iso() -> str:
    """The current UTC time, ISO 8601 with a ``Z``, to the millisecond."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def whole_seconds(seconds: object, default: int = 1) -> int:
    """A wait as the whole seconds a vendor reports it (``Retry-After``, Linq v3's
    integer ``error.retry_after``, Close's ``reset``): rounded up, never truncated, so
    a client that waits what it is told never comes back early; ``default`` when no
    wait was given, 0 for a negative one."""
    if seconds is None or isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return default
    if math.isnan(seconds) or math.isinf(seconds):
        return default
    return max(0, math.ceil(seconds))
