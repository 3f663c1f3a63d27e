"""The one error hierarchy every provider raises.

Every failure a caller can cause or meet is a `RoutingError` subclass. The HTTP
status decides the class; the vendor's body only adds its code, message, request id and
per-field details. The message of each error ends with what to do next.

No error ever holds the API key: errors are built from the vendor's response body and
the request's method and path only, never from request headers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "DuplicateNumberError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RequestRejectedError",
    "RoutingError",
    "ServerError",
    "TransportError",
    "UnexpectedResponseError",
    "UnsupportedFieldError",
    "ValidationError",
    "error_class_for_status",
]

_EMPTY: Mapping[str, str] = MappingProxyType({})


class RoutingError(Exception):
    """Base class of every error ``phonerouting`` raises.

    Attributes:
        provider: the provider name (``"linq-v3"``…) or ``None`` when the error is not
            tied to one (e.g. a `RoutingUpdate` that fails validation).
        status: the HTTP status the vendor answered, or ``None`` when no response was had.
        code: the vendor's own error code as it gave it (``int`` for linq-v3, ``str``
            for the others), or ``None``.
        message: what happened, in the vendor's words when it gave any.
        request_id: the vendor's request or trace id, to quote to its support.
        doc_url: the vendor's documentation link for this error, when given.
        details: a read-only mapping of field name → message, when the vendor gave one.
        retry_after: the seconds the vendor asked us to wait before trying again
            (``Retry-After`` and the vendors' own signals, on 429 and 5xx), or ``None``.
    """

    #: What the caller should do about this kind of error; ends every ``str(error)``.
    hint: str = "See the message and the vendor's documentation."
    #: The same advice in the command line's terms (options and commands, not
    #: arguments and methods), when it differs; see `describe`.
    cli_hint: str | None = None

    def __init__(
        self,
        message: str,
        *,
        provider: str | None = None,
        status: int | None = None,
        code: int | str | None = None,
        request_id: str | None = None,
        doc_url: str | None = None,
        details: Mapping[str, str] | None = None,
        retry_after: float | None = None,
        hint: str | None = None,
        cli_hint: str | None = None,
    ) -> None:
        super().__init__(message)
        if hint is not None:
            # What to do, when the raise site knows better than the class. Its advice
            # also beats the class's command-line advice, unless it gives its own.
            self.hint = hint
            self.cli_hint = cli_hint
        elif cli_hint is not None:
            self.cli_hint = cli_hint
        self.message = message
        self.provider = provider
        self.status = status
        self.code = code
        self.request_id = request_id
        self.doc_url = doc_url
        self.details: Mapping[str, str] = MappingProxyType(dict(details)) if details else _EMPTY
        self.retry_after = retry_after

    def _context(self) -> list[str]:
        parts: list[str] = []
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code is not None:
            parts.append(f"code {self.code!r}")
        if self.request_id:
            parts.append(f"request id {self.request_id}")
        if self.retry_after is not None:
            parts.append(f"retry after {self.retry_after:g} s")
        return parts

    def __str__(self) -> str:
        return self.describe()

    def describe(self, *, cli: bool = False) -> str:
        """The whole message, ending with what to do: in the library's terms, or with
        ``cli=True`` in the command line's (`cli_hint`, when the error has one)."""
        hint = (self.cli_hint or self.hint) if cli else self.hint
        head = f"{self.provider}: " if self.provider else ""
        context = self._context()
        ctx = f" [{', '.join(context)}]" if context else ""
        details = ""
        if self.details:
            details = " (" + "; ".join(f"{k}: {v}" for k, v in self.details.items()) + ")"
        doc = f" See {self.doc_url}." if self.doc_url else ""
        # Vendors end some messages with a period; do not print two.
        message = self.message.rstrip(".") if not details and not ctx else self.message
        return f"{head}{message}{details}{ctx}.{doc} {hint}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(provider={self.provider!r}, status={self.status!r}, "
            f"code={self.code!r}, message={self.message!r}, request_id={self.request_id!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only constructors do not pickle by default; errors cross process
        # boundaries (multiprocessing, task queues), so rebuild them field by field.
        state = dict(self.__dict__)
        state["details"] = dict(self.details)
        return (_rebuild, (type(self), self.message, state))


def _rebuild(cls: type[RoutingError], message: str, state: dict[str, object]) -> RoutingError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    details = state.pop("details", None)
    error.__dict__.update(state)
    error.details = MappingProxyType(dict(details)) if isinstance(details, dict) else _EMPTY
    return error


class ConfigurationError(RoutingError):
    """The client cannot be built: unknown provider, missing API key, unsafe base URL."""

    hint = "Fix the arguments or the environment; no request was sent."
    cli_hint = (
        "Fix the command's options, the accounts file or the environment; no request was sent."
    )


class ValidationError(RoutingError):
    """The input is invalid, whether caught before sending or refused by the vendor (400/422).

    ``field`` names the offending field by its normalized name when known.
    """

    hint = "Correct the value of the field named and try again."
    #: The advice when neither the library nor the vendor named a field.
    unnamed_field_hint = "Correct the value the vendor's message points to and try again."

    def __init__(self, message: str, *, field: str | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.field = field
        if field is None and self.hint == ValidationError.hint:
            # "the field named" would send the reader looking for a name that is not
            # there (a vendor's bare 400).
            self.hint = self.unnamed_field_hint

    def _context(self) -> list[str]:
        parts = super()._context()
        if self.field:
            parts.insert(0, f"field {self.field}")
        return parts


class UnsupportedFieldError(ValidationError):
    """The provider cannot set or clear this normalized field; nothing was sent."""

    hint = (
        "Leave this field UNSET for this provider; client.capabilities lists what it can "
        "set and clear."
    )
    cli_hint = (
        "Leave this field out for this provider; `phonerouting providers` lists what each "
        "provider can set and clear."
    )


class AuthenticationError(RoutingError):
    """The vendor refused the credentials (HTTP 401)."""

    hint = "Check the API key (and that it belongs to this provider and environment)."
    cli_hint = (
        "Check the API key in the account's key variable (and that it belongs to this "
        "provider and environment)."
    )


class PermissionDeniedError(RoutingError):
    """The credentials are valid but not allowed to do this (HTTP 403)."""

    hint = (
        "Use a key with the needed scope or permission, and check that the number "
        "belongs to this account."
    )


class NotFoundError(RoutingError):
    """The number (or resource) does not exist for this account (HTTP 404, or no match)."""

    hint = "Check the id or number; list_numbers() shows what the account holds."
    cli_hint = "Check the id or number; `phonerouting list ACCOUNT` shows what the account holds."


class ConflictError(RoutingError):
    """The vendor refused because of the state of another resource (HTTP 409)."""

    hint = "Resolve the state the vendor names (e.g. an inactive campaign) and retry."


def _seconds(value: float) -> str:
    return "1 second" if value == 1 else f"{value:g} seconds"


class RateLimitError(RoutingError):
    """The vendor is rate limiting (HTTP 429) and the retry budget or wait cap was reached.

    ``retry_after`` is the number of seconds the vendor asked to wait, or ``None``.
    """

    hint = "Back off before sending more requests; the vendor did not say for how long."
    cli_hint = "Wait a minute, then run the command again."

    def __init__(self, message: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        # The wait the vendor asked for, in the advice itself, unless the raise site
        # gave its own.
        if self.retry_after is not None and "hint" not in self.__dict__:
            wait = _seconds(self.retry_after)
            self.hint = f"Wait {wait} (retry_after) before sending more requests."
        if self.retry_after is not None and "cli_hint" not in self.__dict__:
            self.cli_hint = f"Wait {_seconds(self.retry_after)}, then run the command again."


class ServerError(RoutingError):
    """The vendor failed (HTTP 5xx) and kept failing through the retries.

    ``retry_after`` is set when the vendor said how long it will be unavailable
    (``Retry-After`` on a 503); a wait past the policy's cap is raised at once.
    """

    hint = "The vendor (or a proxy in front of it) is failing; retry later."

    def __init__(self, message: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        if "hint" not in self.__dict__:
            # Only advise quoting a request id when there is one to quote.
            when = f"in {_seconds(self.retry_after)}" if self.retry_after is not None else "later"
            if self.request_id:
                self.hint = (
                    f"The vendor is failing; retry {when}, and quote request id "
                    f"{self.request_id} to its support if it persists."
                )
            else:
                self.hint = f"The vendor (or a proxy in front of it) is failing; retry {when}."


class TransportError(RoutingError):
    """No usable response: connection refused or dropped, timeout, HTTP 408."""

    hint = "Check connectivity and base_url, or raise timeout; then retry."
    cli_hint = (
        "Check connectivity and the account's base_url, or raise the timeout (--timeout, "
        "or timeout in the accounts file); then retry."
    )


class UnexpectedResponseError(RoutingError):
    """The vendor answered a success status with a body that is not its documented shape."""

    hint = (
        "The vendor's API may have changed; nothing was assumed from the body. "
        "Report it to the vendor or to phonerouting."
    )

    def __init__(self, message: str, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        if self.request_id and "hint" not in self.__dict__:
            self.hint = (
                "The vendor's API may have changed; nothing was assumed from the body. "
                f"Report it with request id {self.request_id}."
            )


class RequestRejectedError(RoutingError):
    """The vendor refused the request with another 4xx status (e.g. Close 402 plan limit)."""

    hint = "Read the vendor's message; the request will not succeed if sent again unchanged."


class DuplicateNumberError(RoutingError):
    """The account holds the same E.164 number on more than one line, so a lookup by
    number cannot say which one is meant (`find_number`).

    ``number`` is the E.164 number; ``ids`` the vendor ids of the lines that hold it.
    """

    hint = "Name the line by its id instead (get_number(id), update_routing(id, ...))."
    cli_hint = "Name the line by its id instead of its number (`phonerouting show ACCOUNT ID`)."

    def __init__(
        self, message: str, *, number: str = "", ids: Iterable[str] = (), **kwargs: object
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.number = number
        self.ids: tuple[str, ...] = tuple(ids)


_BY_STATUS: dict[int, type[RoutingError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: TransportError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitError,
}


def error_class_for_status(status: int) -> type[RoutingError]:
    """The error class for an HTTP error status: the one status → exception map."""
    cls = _BY_STATUS.get(status)
    if cls is not None:
        return cls
    if status >= 500:
        return ServerError
    return RequestRejectedError
