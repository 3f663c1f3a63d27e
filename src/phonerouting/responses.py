"""Turning an HTTP response into decoded data or a typed error. Pure: no I/O.

Shared by the sync and async drivers so the two can never disagree about what a
response means.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from phonerouting.adapters.base import Adapter, ErrorInfo, Request
from phonerouting.adapters.wire import ShapeError
from phonerouting.errors import (
    RateLimitError,
    RoutingError,
    UnexpectedResponseError,
    ValidationError,
    error_class_for_status,
)

__all__ = [
    "error_from_response",
    "parse_retry_after",
    "parse_success",
    "redact",
    "secret_forms",
]

_T = TypeVar("_T")

# What the vendors' error bodies say is capped before it goes into an exception: a
# proxy's error page can be megabytes, and exceptions end up in logs.
_MAX_MESSAGE = 500


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """A ``Retry-After`` header (delta-seconds or HTTP date) in seconds, or ``None``."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def _decode(content: bytes) -> Any:
    return json.loads(content)


def parse_success(
    adapter: Adapter,
    parse: Callable[[Any], _T],
    request: Request,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
) -> _T:
    """Decode a 2xx body and hand it to ``parse``; any deviation from the documented
    shape becomes UnexpectedResponseError."""
    try:
        return parse(_decode(content))
    except (ValueError, UnicodeDecodeError, ShapeError) as exc:
        # ValueError covers JSONDecodeError; ShapeError is the adapter's own complaint.
        reason = str(exc) if isinstance(exc, ShapeError) else "the body is not valid JSON"
        raise UnexpectedResponseError(
            f"{request.method} {request.path} answered HTTP {status} but {reason}",
            provider=adapter.name,
            status=status,
            request_id=_header_request_id(adapter, headers),
        ) from None


def _header_request_id(adapter: Adapter, headers: Mapping[str, str]) -> str | None:
    if adapter.request_id_header is None:
        return None
    return headers.get(adapter.request_id_header) or None


def error_from_response(
    adapter: Adapter,
    request: Request,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
) -> RoutingError:
    """The typed error for a non-2xx response. The status decides the class; whatever
    the vendor's body says adds code, message, request id and details."""
    info = ErrorInfo()
    try:
        data = _decode(content) if content else None
    except (ValueError, UnicodeDecodeError):
        data = None
    if data is not None:
        try:
            info = adapter.parse_error(status, data)
        except ShapeError:
            info = ErrorInfo()

    message = info.message or _default_message(request, status, headers)
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + "…"
    common: dict[str, Any] = {
        "provider": adapter.name,
        "status": status,
        "code": info.code,
        "request_id": info.request_id or _header_request_id(adapter, headers),
        "doc_url": info.doc_url,
        "details": info.details,
    }
    cls = error_class_for_status(status) if status >= 400 else UnexpectedResponseError
    if issubclass(cls, RateLimitError):
        # The vendor's own signals first (its rate-limit header, then its body), the
        # generic Retry-After last.
        retry_after = adapter.retry_after_hint(headers)
        if retry_after is None:
            retry_after = info.retry_after
        if retry_after is None:
            retry_after = parse_retry_after(headers.get("retry-after"))
        return cls(message, retry_after=retry_after, **common)
    if issubclass(cls, ValidationError):
        return cls(message, field=_normalized_field(adapter, info), **common)
    return cls(message, **common)


def _default_message(request: Request, status: int, headers: Mapping[str, str]) -> str:
    kind = headers.get("content-type", "no content type").split(";")[0].strip()
    if 300 <= status < 400:
        where = headers.get("location", "elsewhere")
        return (
            f"{request.method} {request.path} was redirected (HTTP {status}) to {where}; "
            "redirects are not followed, so the API key is never sent to another URL. "
            "Check base_url"
        )
    return f"{request.method} {request.path} failed with HTTP {status} ({kind} body)"


def _normalized_field(adapter: Adapter, info: ErrorInfo) -> str | None:
    wire = info.field
    if wire is None and info.details and len(info.details) == 1:
        wire = next(iter(info.details))
    if wire is None:
        return None
    return adapter.wire_fields.get(wire, wire)


_REDACTED = "[REDACTED]"


def secret_forms(api_key: str, auth_headers: Mapping[str, str]) -> tuple[str, ...]:
    """Every form in which the key travels: itself, each auth header value, and the
    credential part of each (``Bearer <key>``, ``Basic <base64>``), longest first."""
    forms = {api_key}
    for value in auth_headers.values():
        forms.add(value)
        _, _, credential = value.partition(" ")
        if credential:
            forms.add(credential)
    return tuple(sorted(forms, key=len, reverse=True))


def redact(error: RoutingError, secrets: tuple[str, ...]) -> RoutingError:
    """Remove every secret form from what a vendor put into ``error``.

    A misbehaving proxy or server can echo request headers into its error body; the
    error would then carry the key into logs. Only error paths pay for this.
    """

    def clean(text: str) -> str:
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, _REDACTED)
        return text

    error.message = clean(error.message)
    error.args = (error.message,)
    if error.request_id:
        error.request_id = clean(error.request_id)
    if error.doc_url:
        error.doc_url = clean(error.doc_url)
    if error.details:
        error.details = MappingProxyType({clean(k): clean(v) for k, v in error.details.items()})
    return error
