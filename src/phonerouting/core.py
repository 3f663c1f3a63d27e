"""The protocol core: every client operation written once, with no I/O.

Each operation is a generator, in the manner of h11 or gidgethub: it yields what it
needs done and is sent back what came of it. It yields

* a `WireRequest` (method, absolute URL, per-request headers, body bytes): send it and
  send back a `WireResponse` (status, headers, body), or a `TransportFailure` when no
  response arrived;
* a ``float``: wait that many seconds (a retry's backoff), then send back ``None``;

and returns the operation's result (or raises its `RoutingError`). A listing also
yields ``list`` batches of numbers; `next_batch` turns it into operations that each
return the next batch, so a driver only ever pumps requests and waits.

Everything else lives here or below: building and encoding requests, the retry policy's
decisions, reading statuses, bodies and errors, paging. A driver (`phonerouting.client`,
`phonerouting.async_client` with its HTTP senders) owns the sockets and nothing more,
so the sync and async clients cannot drift apart.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Generator, Mapping
from typing import Any, Final, Generic, Literal, Self, TypeAlias, TypeVar
from urllib.parse import quote, urlencode

from phonerouting import operations
from phonerouting.adapters.base import Adapter, Request
from phonerouting.errors import RoutingError, ServerError
from phonerouting.model import Capabilities, PhoneNumber, RoutingUpdate, UpdateResult
from phonerouting.responses import answer_request_id, error_from_response, parse_success
from phonerouting.retry import RetryPolicy

__all__ = [
    "ClientBase",
    "Command",
    "Core",
    "Operation",
    "Pump",
    "Reply",
    "TransportFailure",
    "WireRequest",
    "WireResponse",
    "next_batch",
]

_T = TypeVar("_T")
_S = TypeVar("_S")
logger = logging.getLogger("phonerouting")

#: The JSON body's content type, as httpx sends it for ``json=``.
_JSON: Final = {"Content-Type": "application/json"}
#: A form body's content type, as httpx sends it for ``data=``.
_FORM: Final = {"Content-Type": "application/x-www-form-urlencoded"}
#: Characters a path may hold unescaped (RFC 3986 unreserved, sub-delims, ":@/"), as
#: httpx leaves them; anything else is percent-encoded the way httpx would.
_PATH_SAFE: Final = "!$&'()*+,;=:@/%-._~"


class WireRequest:
    """One HTTP request as it goes on the wire.

    ``url`` is absolute and already encoded (query included); ``headers`` are this
    request's own (its content type): the client-wide ones (auth, user agent, accept)
    are given to the driver once, when it is built. ``body`` is ``None`` for none.
    """

    __slots__ = ("body", "headers", "method", "url")

    def __init__(
        self, method: str, url: str, headers: Mapping[str, str] | None, body: bytes | None
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body

    def __repr__(self) -> str:
        # The URL and method only: a body may carry a customer's routing values.
        return f"<WireRequest {self.method} {self.url}>"


class WireResponse:
    """One HTTP response: status, headers (case-insensitive lookups), body bytes."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def take_body(self) -> bytes:
        """The body, handed over: this response holds it no longer."""
        body, self.body = self.body, b""
        return body

    def __repr__(self) -> str:
        return f"<WireResponse {self.status}>"


FailureKind: TypeAlias = Literal["timeout", "connect", "other"]


class TransportFailure:
    """No response arrived: what kind of failure, its name in httpx's terms (so the
    error reads the same whichever HTTP stack carried the request) and its text.

    It never holds the HTTP library's exception: that holds the request, and with it
    the auth header.
    """

    __slots__ = ("detail", "kind", "name")

    def __init__(self, kind: FailureKind, name: str, detail: str) -> None:
        self.kind = kind
        self.name = name
        self.detail = detail

    def __repr__(self) -> str:
        return f"<TransportFailure {self.kind} {self.name}>"


#: What an operation yields: a request to send, or seconds to wait.
Command: TypeAlias = WireRequest | float
#: What a driver sends back: a response or a failure for a request, ``None`` after a wait.
Reply: TypeAlias = WireResponse | TransportFailure | None
#: A client operation that returns ``_T``.
Operation: TypeAlias = Generator[Command, Reply, _T]
#: A listing: besides commands it yields batches of numbers, and is sent ``None`` back.
Listing: TypeAlias = Generator[Command | list[PhoneNumber], Reply, None]


class Pump(Generic[_T]):
    """The commands of an operation, for a driver's ``for`` loop: set `reply` to what
    came of each before taking the next; `result` is the operation's once the loop ends.
    The operation's error propagates from the loop, chained to nothing."""

    __slots__ = ("_operation", "reply", "result")

    def __init__(self, operation: Operation[_T]) -> None:
        self._operation = operation
        self.reply: Reply = None
        self.result: _T

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> Command:
        try:
            return self._operation.send(self.reply)
        except StopIteration as done:
            self.result = done.value
        raise StopIteration


def next_batch(listing: Listing) -> Operation[list[PhoneNumber] | None]:
    """An operation that runs ``listing`` to its next batch of numbers and returns it
    (``None`` once the listing is over). Run it again for the batch after."""
    reply: Reply = None
    while True:
        try:
            command = listing.send(reply)
        except StopIteration:
            return None
        if isinstance(command, list):
            return command
        reply = yield command


def encode_url(root: str, request: Request) -> str:
    """The absolute URL of ``request`` under ``root`` (which ends in ``/``), encoded as
    httpx encodes a path and ``params`` relative to a client's ``base_url``."""
    # quote() returns a path with nothing to escape as it is, at once.
    url = root + quote(request.path.lstrip("/"), safe=_PATH_SAFE)
    if request.params:
        url += "?" + urlencode([(k, str(v)) for k, v in request.params.items()])
    return url


def encode_body(request: Request) -> tuple[Mapping[str, str] | None, bytes | None]:
    """The content-type header and body bytes of ``request`` (``(None, None)`` for no
    body). JSON is encoded exactly as httpx encodes ``json=``: compact, UTF-8; a form as
    httpx encodes ``data=``: ``urlencode`` of the pairs, spaces as ``+``."""
    if request.form is not None:
        return _FORM, urlencode([(k, str(v)) for k, v in request.form.items()]).encode()
    if request.json is None:
        return None, None
    body = json.dumps(request.json, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return _JSON, body.encode()


class Core:
    """The I/O-free state of one client: its adapter, API root, retry policy and the
    secret forms to scrub. Its methods are the client operations, as `Operation`s.

    Args:
        adapter: the vendor adapter.
        root: the API root, vendor base path included, ending in ``/``.
        policy: when and how long to retry.
        secrets: every form of the credentials, scrubbed from errors and logs.
    """

    __slots__ = ("adapter", "policy", "root", "secrets")

    def __init__(
        self, adapter: Adapter, root: str, policy: RetryPolicy, secrets: tuple[str, ...]
    ) -> None:
        self.adapter = adapter
        self.root = root if root.endswith("/") else root + "/"
        self.policy = policy
        self.secrets = secrets

    # ------------------------------------------------------------ one request

    def wire(self, request: Request) -> WireRequest:
        """``request`` as it goes on the wire."""
        headers, body = encode_body(request)
        return WireRequest(request.method, encode_url(self.root, request), headers, body)

    def _failure(self, request: Request, reply: Reply) -> RoutingError | None:
        """The error an attempt's reply is, or ``None`` for a 2xx response."""
        if not isinstance(reply, WireResponse):
            assert isinstance(reply, TransportFailure), "a request is answered, not None"
            return operations.transport_error(self.adapter, request, reply, self.secrets)
        if logger.isEnabledFor(logging.DEBUG):
            operations.log_exchange(self.adapter, request, reply, self.secrets)
        if 200 <= reply.status < 300:
            return None
        return error_from_response(
            self.adapter, request, reply.status, reply.headers, reply.body, self.secrets
        )

    def exchange(self, request: Request) -> Operation[WireResponse]:
        """Send ``request`` until it succeeds or the retry policy gives up; the 2xx
        response, or the last attempt's error raised."""
        wire = self.wire(request)
        attempt = 1
        while True:
            reply = yield wire
            error = self._failure(request, reply)
            if error is None:
                assert isinstance(reply, WireResponse)
                return reply
            # Raises the error when it is final; raised here, outside any except
            # block, so it never chains the HTTP library's exception (or its headers).
            yield self.policy.wait_after(error, attempt)
            attempt += 1

    def _parse(self, request: Request, parse: Callable[[object], _T], response: WireResponse) -> _T:
        return parse_success(
            self.adapter,
            parse,
            request,
            response.status,
            response.headers,
            response.take_body,
            self.secrets,
        )

    def _parsed(self, request: Request, parse: Callable[[object], _T]) -> Operation[_T]:
        """Send a read and parse its answer. A 2xx answer the adapter reads as the
        vendor's failure to load part of it (a `ServerError` from the parse: Telnyx's
        ``UNAVAILABLE``) is retried like a 5xx; the last one is raised."""
        attempt = 1
        while True:
            response = yield from self.exchange(request)
            try:
                return self._parse(request, parse, response)
            except ServerError as error:
                failed = error
            yield self.policy.wait_after(failed, attempt)
            attempt += 1

    # ------------------------------------------------------------ operations

    def pages(self, request: Request | None) -> Listing:
        """The listing that starts with ``request``, following every page; each
        number completed with its `Adapter.parts`, themselves read page by page."""
        listed: dict[str, dict[str, Any]] = {}
        for part in self.adapter.parts:
            first = None if request is None else self.adapter.part_listing(request, part)
            if first is not None:
                listed[part] = yield from self._part_pages(first, part)
        guard = operations.PageGuard(self.adapter)
        while request is not None:
            guard.check(request)
            page = yield from self._parsed(
                request, functools.partial(self.adapter.parse_list, request=request)
            )
            numbers = page.numbers
            if self.adapter.parts:
                completed = []
                for number in numbers:
                    completed.append((yield from self._completed(number, listed)))
                numbers = completed
            yield numbers
            request = page.next_request

    def _part_pages(self, request: Request | None, part: str) -> Operation[dict[str, Any]]:
        """Every page of the listing of ``part``: number id → the part."""
        found: dict[str, Any] = {}
        guard = operations.PageGuard(self.adapter)
        while request is not None:
            guard.check(request)
            parse = functools.partial(self.adapter.parse_part_page, request=request, part=part)
            values, request = yield from self._parsed(request, parse)
            found.update(values)
        return found

    def _completed(
        self,
        number: PhoneNumber,
        listed: Mapping[str, Mapping[str, Any]],
        known: Mapping[str, Any] | None = None,
    ) -> Operation[PhoneNumber]:
        """``number`` with every part of `Adapter.parts` folded in: from ``known``
        (update answers), else from ``listed`` (part listings), else read for it alone
        (a number the part listing did not hold yet)."""
        parts = dict(known or {})
        for part in self.adapter.parts:
            if part in parts:
                continue
            if number.id in listed.get(part, {}):
                parts[part] = listed[part][number.id]
                continue
            request = self.adapter.part_request(number.id, part)
            parse = functools.partial(self.adapter.parse_part, part=part)
            parts[part] = yield from self._parsed(request, parse)
        return self.adapter.complete(number, parts)

    def list_numbers(self) -> Listing:
        """Every number of the account."""
        return self.pages(self.adapter.list_request())

    def _first(
        self, listing: Listing, wanted: Callable[[PhoneNumber], bool]
    ) -> Operation[PhoneNumber | None]:
        """The first number of ``listing`` that is ``wanted`` (the rest is not fetched)."""
        while (batch := (yield from next_batch(listing))) is not None:
            for number in batch:
                if wanted(number):
                    listing.close()
                    return number
        return None

    def get_number(self, number_id: object) -> Operation[PhoneNumber]:
        """One number by the vendor's id; `NotFoundError` if there is none."""
        number_id = operations.normalize_id(self.adapter, number_id)
        request = self.adapter.get_request(number_id)
        if request is not None:
            number = yield from self._parsed(request, self.adapter.parse_number)
            if self.adapter.parts:
                number = yield from self._completed(number, {})
            return number
        found = yield from self._first(self.list_numbers(), lambda n: n.id == number_id)
        if found is None:
            raise operations.id_not_found(self.adapter, number_id)
        return found

    def find_number(self, number: object) -> Operation[PhoneNumber]:
        """One number by its E.164 number; every line holding it is read, so that two
        are refused (`DuplicateNumberError`) rather than the first one acted on."""
        e164 = operations.normalize_number(self.adapter, number)
        listing = self.pages(self.adapter.find_request(e164))
        found: list[PhoneNumber] = []
        while (batch := (yield from next_batch(listing))) is not None:
            found += [n for n in batch if n.number == e164]
        return operations.the_one_number(self.adapter, e164, found)

    def update_routing(
        self, number_id: object, update: RoutingUpdate, current: PhoneNumber | None = None
    ) -> Operation[PhoneNumber]:
        """Apply ``update``; the number as the vendor reports it afterwards. An update
        with every field UNSET writes nothing and returns the current number.

        An update the adapter checks or builds from the number as it stands
        (`Adapter.reads_before_update`) reads it first, unless ``current``, the number
        as the caller has just read it, is given: it then stands for that read.
        """
        return (yield from self.update_routing_result(number_id, update, current)).number

    def update_routing_result(
        self, number_id: object, update: RoutingUpdate, current: PhoneNumber | None = None
    ) -> Operation[UpdateResult]:
        """As `update_routing`, with the vendor's request id of the write's answer."""
        number_id, requests = operations.plan_update(self.adapter, number_id, update)
        if current is not None:
            operations.check_current(self.adapter, number_id, current)
        read = None
        if requests and self.adapter.reads_before_update(update):
            # The vendor would ignore part of the update on some numbers (Twilio's URLs
            # under an application or trunk): refused, never sent to do nothing. And what
            # is sent may depend on what the number holds (Telnyx keeps a number's
            # forwarding type when it sets where calls go).
            read = current if current is not None else (yield from self.get_number(number_id))
            requests = operations.requests_for(self.adapter, read, update)
        return (yield from self._apply(number_id, requests, read))

    def restore_routing(
        self, number_id: object, update: RoutingUpdate, state: Mapping[str, Any]
    ) -> Operation[PhoneNumber]:
        """As `update_routing`, putting back too the vendor state that
        `Adapter.restorable_state` read before a migration wrote the number (a Close
        number's parked ``forward_to``): how a migration rollback restores exactly."""
        return (yield from self.restore_routing_result(number_id, update, state)).number

    def restore_routing_result(
        self, number_id: object, update: RoutingUpdate, state: Mapping[str, Any]
    ) -> Operation[UpdateResult]:
        """As `restore_routing`, with the vendor's request id of the write's answer."""
        number_id, _ = operations.plan_update(self.adapter, number_id, update)
        requests = self.adapter.restore_requests(number_id, update, state)
        return (yield from self._apply(number_id, requests))

    def _request_id(self, response: WireResponse) -> str | None:
        return answer_request_id(self.adapter, response.headers, self.secrets)

    def _apply(
        self, number_id: str, requests: list[Request], current: PhoneNumber | None = None
    ) -> Operation[UpdateResult]:
        if not requests:
            return UpdateResult((yield from self.get_number(number_id)))
        if self.adapter.parts:
            return (yield from self._apply_parts(number_id, requests, current))
        for request in requests[:-1]:
            yield from self.exchange(request)
        # The last write's answer is the one the number is read from: its request id
        # is the write's (of several requests, the one that completed it).
        response = yield from self.exchange(requests[-1])
        request_id = self._request_id(response)
        number = self._parse(requests[-1], self.adapter.parse_number, response)
        return UpdateResult(number, request_id)

    def _apply_parts(
        self, number_id: str, requests: list[Request], current: PhoneNumber | None
    ) -> Operation[UpdateResult]:
        """Send every request of an update over several resources; the number as it
        stands after all of them, from their answers, reading only what none gave
        (``current``, the number just read before the update, stands for the number
        itself when only its parts were written)."""
        number: PhoneNumber | None = None
        answers: dict[str, Any] = {}
        unread = False
        request_id: str | None = None
        for request in requests:
            response = yield from self.exchange(request)
            request_id = self._request_id(response)
            try:
                if request.part is None:
                    number = self._parse(request, self.adapter.parse_number, response)
                else:
                    parse = functools.partial(self.adapter.parse_part, part=request.part)
                    answers[request.part] = self._parse(request, parse, response)
            except ServerError:
                # Written, but the answer could not say all it should (Telnyx's
                # UNAVAILABLE): the write is not repeated, the number is read instead.
                unread = True
        if number is None and current is not None and not unread:
            # Only parts were written, and the number was read just before: what it
            # holds itself is unchanged by them (its update time is as read then).
            number = current
        if number is None or unread:
            # No answer said all of the number itself (or one could not): it is read.
            read = self.adapter.get_request(number_id)
            assert read is not None, "an adapter with parts reads one number"
            number = yield from self._parsed(read, self.adapter.parse_number)
        return UpdateResult((yield from self._completed(number, {}, answers)), request_id)


class ClientBase(Generic[_S]):
    """What the sync and async clients share besides the operations: the core, the
    sender, the read-only properties and the repr."""

    __slots__ = ("_core", "_http")

    def __init__(self, core: Core, http: _S) -> None:
        self._core = core
        self._http = http

    @property
    def provider(self) -> str:
        """The provider name, e.g. ``"linq-v3"``."""
        return self._core.adapter.name

    @property
    def capabilities(self) -> Capabilities:
        """Which normalized fields this provider can set and clear."""
        return self._core.adapter.capabilities

    @property
    def adapter(self) -> Adapter:
        """The adapter this client builds its requests with: the provider's, for this
        client's account (it holds no secret)."""
        return self._core.adapter

    def __repr__(self) -> str:
        name = f"phonerouting.{type(self).__name__}"
        return f"<{name} provider={self.provider!r} base_url={self._core.root!r}>"
