"""Errors as RFC 9457 ``application/problem+json``, and the service's own errors.

Every answer that is not a success is a problem document carrying the library error
it comes from: its class (``error``), ``detail`` (its message), ``field``, the vendor's
``code`` and ``vendor_request_id``, the service's ``request_id`` (also in the
``X-Request-Id`` header) and ``hint`` (what to do). A failure a client can cause is a
4xx; a vendor failing is a 502 (503 rate limited, 504 unreachable); nothing is a 500
unless the service itself is broken, and then the body still says no more than that.
"""

from __future__ import annotations

import re
from typing import Any

from phonerouting.errors import (
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    DuplicateNumberError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestRejectedError,
    RoutingError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    ValidationError,
)

__all__ = [
    "BadRequestError",
    "BodyTooLargeError",
    "ForbiddenError",
    "JobStateError",
    "PreconditionFailedError",
    "ServiceUnavailableError",
    "UnauthorizedError",
    "problem",
    "status_for",
]


class UnauthorizedError(RoutingError):
    """The request has no bearer token, or one the service does not know (HTTP 401)."""

    hint = (
        "Send Authorization: Bearer <token>, with a token from `phonerouting token create` "
        "whose hash is in the service's accounts file."
    )


class ForbiddenError(RoutingError):
    """The token's role does not allow this (HTTP 403)."""

    hint = "Use a token with a higher role (viewer < editor < admin)."


class BadRequestError(ValidationError):
    """The request itself is malformed: not JSON, an unknown field or parameter, a bad
    cursor (HTTP 400). ``field`` names the part at fault."""

    hint = "Correct the part of the request named in field; the API's /openapi.json describes it."


class BodyTooLargeError(BadRequestError):
    """The request body is larger than the service accepts (HTTP 413)."""

    hint = "Send a smaller body; for many numbers, use a change set's selection filters."


class PreconditionFailedError(RoutingError):
    """The number changed since the ETag given in If-Match was read (HTTP 412);
    nothing was written."""

    hint = "Read the number again (GET), check its routing, and retry with its new ETag."


class JobStateError(ConflictError):
    """The change set or migration is not in a state that allows this (HTTP 409): being
    applied by another request, already applied, or rolled back."""

    hint = "Read its state (GET) and wait for the run in progress to end."


class ServiceUnavailableError(RoutingError):
    """The service cannot serve this now: the store is unreachable, or the account
    could not be connected (HTTP 503)."""

    hint = "Check the service's log and the account's health (GET /api/v1/accounts)."


_STATUS: tuple[tuple[type[RoutingError], int], ...] = (
    (UnauthorizedError, 401),
    (ForbiddenError, 403),
    (BodyTooLargeError, 413),
    (BadRequestError, 400),
    (PreconditionFailedError, 412),
    (JobStateError, 409),
    (ServiceUnavailableError, 503),
    (DuplicateNumberError, 409),
    (NotFoundError, 404),
    (ConflictError, 409),
    (ValidationError, 422),
    (RateLimitError, 503),
    (TransportError, 504),
    # The vendor refused the service's own credentials or failed: not the client's
    # doing, and not the service's 401/403, which are about the client's token.
    (AuthenticationError, 502),
    (PermissionDeniedError, 502),
    (ServerError, 502),
    (UnexpectedResponseError, 502),
    (RequestRejectedError, 502),
    (ConfigurationError, 503),
)


def status_for(error: RoutingError) -> int:
    """The HTTP status the service answers ``error`` with."""
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 502


def _slug(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def problem(error: RoutingError, request_id: str, status: int | None = None) -> dict[str, Any]:
    """The problem document for ``error``."""
    status = status_for(error) if status is None else status
    name = type(error).__name__
    body: dict[str, Any] = {
        "type": f"urn:phonerouting:problem:{_slug(name)}",
        "title": name,
        "status": status,
        "detail": error.message,
        "error": name,
        "field": getattr(error, "field", None),
        "provider": error.provider,
        "code": error.code,
        "vendor_request_id": error.request_id,
        "request_id": request_id,
        "hint": error.hint,
    }
    if error.details:
        body["details"] = dict(error.details)
    if error.retry_after is not None:
        body["retry_after"] = error.retry_after
    return body
