"""The I/O-free steps of each client operation, shared by the sync and async drivers."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from phonerouting.adapters.base import Adapter, Request
from phonerouting.errors import (
    DuplicateNumberError,
    NotFoundError,
    TransportError,
    UnexpectedResponseError,
    ValidationError,
)
from phonerouting.inputs import normalize_e164, number_example, shown
from phonerouting.model import PhoneNumber, RoutingUpdate
from phonerouting.responses import scrub

if TYPE_CHECKING:
    from collections.abc import Callable

    from phonerouting.core import TransportFailure, WireResponse

__all__ = [
    "PageGuard",
    "check_current",
    "id_not_found",
    "log_exchange",
    "normalize_id",
    "normalize_number",
    "number_not_found",
    "plan_update",
    "requests_for",
    "the_one_number",
    "transport_error",
]

logger = logging.getLogger("phonerouting")

#: A listing that goes on for more pages than this is a vendor paging bug, not data.
MAX_PAGES = 100_000
#: How much of a transport failure's text (or a logged request id) is kept.
_MAX_DETAIL = 500


def _with_provider(adapter: Adapter, call: Callable[[], str]) -> str:
    try:
        return call()
    except ValidationError as exc:
        exc.provider = adapter.name
        raise


def normalize_id(adapter: Adapter, number_id: object) -> str:
    """The vendor id for a path, or ValidationError naming the provider.

    Ids are strings on every provider, as `PhoneNumber.id` gives them: an int is refused
    the same way everywhere (it would name a number on linq-v2 only, and only by the
    luck of its ids being digits). A value that reads as a phone number without its
    country code is told so, rather than that it is no id.
    """
    if not isinstance(number_id, str):
        raise ValidationError(_not_a_string(number_id), field="number_id", provider=adapter.name)
    try:
        return adapter.normalize_id(number_id)
    except ValidationError as exc:
        exc.provider = adapter.name
        example = number_example(number_id)
        if example is None:
            raise
    raise ValidationError(
        f"number_id {shown(number_id)} is not a {adapter.name} id, and a phone number "
        f"needs its country code: {example}",
        field="number_id",
        provider=adapter.name,
        hint="Look a number up by number with its country code (find_number), or by its id.",
        cli_hint="Give the number with its country code, or the number's id.",
    )


def _not_a_string(number_id: object) -> str:
    if isinstance(number_id, int) and not isinstance(number_id, bool):
        quoted = f": pass {str(number_id)!r}" if number_id.bit_length() <= 64 else ""
        return f"number_id {shown(number_id)} is an int, but ids are strings{quoted}"
    return f"number_id must be a string (the vendor's id), not {type(number_id).__name__}"


def normalize_number(adapter: Adapter, number: object) -> str:
    """An E.164 number to search for, or ValidationError naming the provider."""
    return _with_provider(adapter, lambda: normalize_e164(number, "number"))


def plan_update(
    adapter: Adapter, number_id: object, update: RoutingUpdate
) -> tuple[str, list[Request]]:
    """The normalized id and the requests that apply ``update`` (none when it is empty)."""
    if not isinstance(update, RoutingUpdate):
        raise TypeError(f"update must be a phonerouting.RoutingUpdate, not {type(update).__name__}")
    nid = normalize_id(adapter, number_id)
    return nid, adapter.update_requests(nid, update)


def check_current(adapter: Adapter, number_id: str, current: object) -> None:
    """Refuse, as a ValidationError, a ``current`` given to an update that is not the
    number ``number_id`` of this provider: it would stand for that number's read."""
    if not isinstance(current, PhoneNumber):
        raise ValidationError(
            f"current must be the phonerouting.PhoneNumber being updated, not "
            f"{type(current).__name__}",
            field="current",
            provider=adapter.name,
        )
    if current.provider != adapter.name or current.id != number_id:
        raise ValidationError(
            f"current is {current.provider} number {shown(current.id)}, not the number "
            f"{shown(number_id)} being updated",
            field="current",
            provider=adapter.name,
        )


def requests_for(adapter: Adapter, number: PhoneNumber, update: RoutingUpdate) -> list[Request]:
    """The requests that apply ``update`` to ``number`` as it was just read, for an
    update that `Adapter.reads_before_update`: the adapter's refusal raised when the
    vendor would silently ignore part of it on this number."""
    refusal = adapter.refuse_update(number, update)
    if refusal is not None:
        raise refusal
    return adapter.update_requests_for(number, update)


def id_not_found(adapter: Adapter, number_id: str) -> NotFoundError:
    """The error for an id absent from the account's listing."""
    message = f"no number with id {number_id} in this account"
    example = number_example(number_id)
    if example is not None:
        # linq-v2 ids are digits, so a number without its country code passes as one.
        message += f" (a phone number needs its country code: {example})"
    return NotFoundError(message, provider=adapter.name)


def number_not_found(adapter: Adapter, e164: str) -> NotFoundError:
    """The error for an E.164 number absent from the account's listing."""
    return NotFoundError(f"no number {e164} in this account", provider=adapter.name)


def the_one_number(adapter: Adapter, e164: str, found: list[PhoneNumber]) -> PhoneNumber:
    """The one number of ``found`` (every listed line holding ``e164``), or the error
    saying there is none, or more than one: acting on the first of two lines would
    route a number the caller never chose."""
    if not found:
        raise number_not_found(adapter, e164)
    if len(found) > 1:
        ids = sorted(number.id for number in found)  # the same order whatever the paging
        raise DuplicateNumberError(
            f"{len(ids)} lines of this account hold {e164} (ids {', '.join(ids)})",
            number=e164,
            ids=ids,
            provider=adapter.name,
        )
    return found[0]


def transport_error(
    adapter: Adapter, request: Request, failure: TransportFailure, secrets: tuple[str, ...]
) -> TransportError:
    """A TransportError for a request that got no response: the failure's kind and its
    text, scrubbed of ``secrets`` and bounded. The HTTP libraries' messages carry the URL,
    not the request's headers, but a garbled response is quoted back in them, and a
    broken server can echo the auth header into one."""
    if failure.kind == "timeout":
        what = f"timed out ({failure.name})"
    elif failure.kind == "connect":
        what = "could not connect"
    else:
        what = f"failed in transport ({failure.name})"
    detail = scrub(failure.detail, secrets)
    if len(detail) > _MAX_DETAIL:
        detail = detail[:_MAX_DETAIL] + "…"
    return TransportError(
        f"{request.method} {request.path} {what}" + (f": {detail}" if detail else ""),
        provider=adapter.name,
    )


def log_exchange(
    adapter: Adapter, request: Request, response: WireResponse, secrets: tuple[str, ...]
) -> None:
    """Debug log of one exchange: method, path, status, request id. Never headers; the
    request id is the vendor's text, so it is scrubbed and bounded like an error's."""
    request_id = (
        response.headers.get(adapter.request_id_header) if adapter.request_id_header else None
    )
    if request_id:
        request_id = scrub(request_id, secrets)[:_MAX_DETAIL]
    logger.debug(
        "%s %s %s -> HTTP %d%s",
        adapter.name,
        request.method,
        request.path,
        response.status,
        f" (request id {request_id})" if request_id else "",
    )


class PageGuard:
    """Stops a listing whose vendor keeps handing back the same page or never ends."""

    __slots__ = ("_adapter", "_count", "_seen")

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter
        self._seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
        self._count = 0

    def check(self, request: Request) -> None:
        """Raise UnexpectedResponseError if ``request`` was already sent in this listing."""
        key = (request.path, tuple(sorted((k, str(v)) for k, v in (request.params or {}).items())))
        self._count += 1
        if key in self._seen or self._count > MAX_PAGES:
            raise UnexpectedResponseError(
                f"the listing at {request.path} repeats a page; stopped instead of looping",
                provider=self._adapter.name,
            )
        self._seen.add(key)
