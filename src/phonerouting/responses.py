"""Turning an HTTP response into decoded data or a typed error. Pure: no I/O.

Shared by the sync and async drivers so the two can never disagree about what a
response means.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC
from typing import Any, TypeVar

from phonerouting.adapters.base import Adapter, ErrorInfo, Request
from phonerouting.adapters.wire import ShapeError
from phonerouting.errors import (
    AuthenticationError,
    RateLimitError,
    RoutingError,
    ServerError,
    UnexpectedResponseError,
    ValidationError,
    error_class_for_status,
)
from phonerouting.model import decode_json

__all__ = [
    "answer_request_id",
    "error_from_response",
    "parse_retry_after",
    "parse_success",
    "scrub",
    "secret_forms",
]

_T = TypeVar("_T")

# What the vendors' error bodies say is capped before it goes into an exception: a
# proxy's error page can be megabytes, and exceptions end up in logs.
_MAX_MESSAGE = 500
_MAX_TOKEN = 200  # a code, a request id, a field name
_MAX_DETAILS = 20


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """A ``Retry-After`` header (delta-seconds or HTTP date) in seconds, or ``None``."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        # Imported here: the HTTP-date form is rare, and email.utils costs a good share
        # of `import phonerouting`.
        import email.utils

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            # The asctime form and a "-0000" zone parse without an offset; HTTP dates
            # are always UTC (RFC 9110), never the host's local time.
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def _decode(content: bytes) -> Any:
    return json.loads(content)


# A success body: its objects are decoded straight into the payloads `PhoneNumber.raw`
# keeps, so a large listing is never held as dicts and as payloads at once.
_decode_success = decode_json


#: What decoding and parsing a hostile body can raise. RecursionError comes from JSON
#: nested thousands deep (in json.loads, or in freezing ``raw``).
_UNREADABLE = (ValueError, UnicodeDecodeError, RecursionError)


_REDACTED = "[REDACTED]"
_MIN_SECRET = 8


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret form replaced by ``[REDACTED]``.

    A misbehaving proxy or server can echo request headers into its error body, its
    request id header or a garbled status line; whatever it sends passes here before it
    goes into an error or a log record. Only error and debug paths pay for this.
    """
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, _REDACTED)
    return text


def _text(text: str, limit: int, secrets: tuple[str, ...]) -> str:
    # Scrubbed before it is cut, so a cut can never leave part of a secret behind.
    text = scrub(text, secrets)
    return text if len(text) <= limit else text[:limit] + "…"


def _opt_text(text: str | None, limit: int, secrets: tuple[str, ...]) -> str | None:
    return None if text is None else _text(text, limit, secrets)


def _details(details: Mapping[str, str] | None, secrets: tuple[str, ...]) -> dict[str, str] | None:
    if not details:
        return None
    items = list(details.items())[:_MAX_DETAILS]
    return {_text(k, _MAX_TOKEN, secrets): _text(v, _MAX_MESSAGE, secrets) for k, v in items}


def parse_success(
    adapter: Adapter,
    parse: Callable[[Any], _T],
    request: Request,
    status: int,
    headers: Mapping[str, str],
    content: bytes | Callable[[], bytes],
    secrets: tuple[str, ...],
) -> _T:
    """Decode a 2xx body and hand it to ``parse``; any deviation from the documented
    shape becomes UnexpectedResponseError (with ``secrets`` scrubbed from what the
    vendor sent).

    ``content`` may be a function that hands the body over (the core's
    `WireResponse.take_body`): then nothing holds the body once it is decoded, and a
    large listing is not kept in memory twice, as bytes and decoded, while it is parsed.
    """
    try:
        return parse(_decode_success(content() if callable(content) else content))
    except (*_UNREADABLE, ShapeError) as exc:
        # ValueError covers JSONDecodeError; ShapeError is the adapter's own complaint.
        if isinstance(exc, ShapeError):
            reason = str(exc)
        elif isinstance(exc, RecursionError):
            reason = "the body is nested too deeply to read"
        else:
            reason = "the body is not valid JSON"
        raise UnexpectedResponseError(
            f"{request.method} {request.path} answered HTTP {status} but {reason}",
            provider=adapter.name,
            status=status,
            request_id=_opt_text(_header_request_id(adapter, headers), _MAX_TOKEN, secrets),
        ) from None


def _header_request_id(adapter: Adapter, headers: Mapping[str, str]) -> str | None:
    if adapter.request_id_header is None:
        return None
    return headers.get(adapter.request_id_header) or None


def answer_request_id(
    adapter: Adapter, headers: Mapping[str, str], secrets: tuple[str, ...]
) -> str | None:
    """The vendor's request id of a (successful) answer, from the adapter's
    ``request_id_header``: scrubbed of ``secrets`` and bounded in length like an
    error's, since whatever a proxy puts in that header ends up in audit trails."""
    return _opt_text(_header_request_id(adapter, headers), _MAX_TOKEN, secrets)


def error_from_response(
    adapter: Adapter,
    request: Request,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    secrets: tuple[str, ...],
) -> RoutingError:
    """The typed error for a non-2xx response. The status decides the class; whatever
    the vendor's body says adds code, message, request id and details, each scrubbed of
    ``secrets`` and bounded in length."""
    info = ErrorInfo()
    try:
        data = _decode(content) if content else None
    except _UNREADABLE:
        data = None
    if data is not None:
        try:
            info = adapter.parse_error(status, data)
        except ShapeError:
            info = ErrorInfo()

    request_id = info.request_id or _header_request_id(adapter, headers)
    code = info.code
    common: dict[str, Any] = {
        "provider": adapter.name,
        "status": status,
        "code": _text(code, _MAX_TOKEN, secrets) if isinstance(code, str) else code,
        "request_id": _opt_text(request_id, _MAX_TOKEN, secrets),
        "doc_url": _opt_text(info.doc_url, _MAX_MESSAGE, secrets),
        "details": _details(info.details, secrets),
    }
    default = _default_message(request, status, headers)
    message = _text(info.message or default, _MAX_MESSAGE, secrets)
    if status < 400:
        # A redirect (the only non-2xx below 400 a vendor sends): not followed, so the
        # key never goes to another URL; the address is what is wrong, not the API.
        return UnexpectedResponseError(
            message,
            hint="Check base_url: give the API's own address, which answers without redirects.",
            cli_hint=(
                "Check the account's base_url in the accounts file: give the API's own "
                "address, which answers without redirects."
            ),
            **common,
        )
    cls = error_class_for_status(status)
    if status == 404 and request.path == adapter.list_request().path:
        # The account's own listing cannot be missing: the address is wrong.
        where = (
            f"the {adapter.name} listing was not found there; it must be the API root, "
            f"vendor base path included (production: {adapter.default_base_url})."
        )
        common["hint"] = f"Check base_url: {where}"
        common["cli_hint"] = f"Check the account's base_url in the accounts file: {where}"
    if issubclass(cls, AuthenticationError):
        # The provider's own credentials, not "the API key" of every vendor.
        common["hint"], common["cli_hint"] = adapter.auth_hints()
    if issubclass(cls, RateLimitError | ServerError):
        # The vendor's own signals first (its rate-limit header, then its body), the
        # generic Retry-After last (RFC 9110 gives it to 503 as well as 429).
        retry_after = adapter.retry_after_hint(headers)
        if retry_after is None:
            retry_after = info.retry_after
        if retry_after is None:
            retry_after = parse_retry_after(headers.get("retry-after"))
        common["retry_after"] = retry_after
    if issubclass(cls, ValidationError):
        field = _opt_text(_normalized_field(adapter, info), _MAX_TOKEN, secrets)
        return cls(message, field=field, **common)
    return cls(message, **common)


def _default_message(request: Request, status: int, headers: Mapping[str, str]) -> str:
    kind = headers.get("content-type", "no content type").split(";")[0].strip()
    if 300 <= status < 400:
        where = headers.get("location", "elsewhere")
        return (
            f"{request.method} {request.path} was redirected (HTTP {status}) to {where}; "
            "redirects are not followed, so the API key is never sent to another URL"
        )
    # The status is in the error's context already ("[HTTP 502]"): not said twice.
    return f"{request.method} {request.path} failed ({kind} body)"


def _normalized_field(adapter: Adapter, info: ErrorInfo) -> str | None:
    wire = info.field
    if wire is None and info.details and len(info.details) == 1:
        wire = next(iter(info.details))
    if wire is None:
        return None
    return adapter.wire_fields.get(wire, wire)


def secret_forms(secrets: Iterable[str], auth_headers: Mapping[str, str]) -> tuple[str, ...]:
    """Every form in which the secret credentials travel: each one by itself, each auth
    header value, and the credential part of each (``Bearer <key>``, ``Basic <base64>``
    of several joined), longest first."""
    forms = set(secrets)
    for value in auth_headers.values():
        forms.add(value)
        _, _, credential = value.partition(" ")
        if credential:
            forms.add(credential)
    # A "key" of a few characters (a placeholder such as "..." or "x") is no secret, and
    # scrubbing it would garble every message that happens to contain it.
    return tuple(sorted((f for f in forms if len(f) >= _MIN_SECRET), key=len, reverse=True))
