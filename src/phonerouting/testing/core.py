"""What every emulator shares: state lock, request log, faults, rate limit, dispatch,
and the httpx transports. Everything vendor-specific is in the vendor's module."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl

import httpx

from phonerouting.testing.faults import Fault, Faults
from phonerouting.testing.wire import (
    EmuRequest,
    EmuResponse,
    LoggedRequest,
    is_form,
    parse_form,
    whole_seconds,
)

if TYPE_CHECKING:
    from phonerouting.testing.profile import ProviderProfile

__all__ = ["AsyncEmulatorTransport", "Emulator", "EmulatorTransport", "Outcome", "reason_phrase"]

_HTML_PAGE = (
    "<html><head><title>{status} {reason}</title></head><body><center>"
    "<h1>{status} {reason}</h1></center><hr><center>nginx</center></body></html>"
)


def reason_phrase(status: int) -> str:
    """The standard reason phrase of ``status`` (``"Unknown"`` for an unregistered code)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


#: What the emulator decided for one request: a response, a delay before it, or a drop.
Outcome = tuple[EmuResponse | None, float]


class Emulator(abc.ABC):
    """Base class of the four vendor emulators.

    Args:
        numbers: how many numbers to seed.
        seed: makes the seeded numbers (and fault dice) repeatable.
        api_key: the key accepted with every scope; generated when not given.
        populate: the fraction of seeded numbers given routing values.
    """

    #: The provider name, as in phonerouting.connect().
    provider: ClassVar[str]
    #: The vendor's base path, which the emulator serves under (``""`` for none).
    base_path: ClassVar[str] = ""
    #: The prefix of generated keys.
    key_prefix: ClassVar[str] = "emu_"
    #: What the generic test suites need to know about this provider (see
    #: `phonerouting.testing.ProviderProfile`); ``None``: the suites report it missing.
    profile: ClassVar[ProviderProfile | None] = None

    def __init__(
        self,
        numbers: int = 0,
        *,
        seed: int = 0,
        api_key: str | None = None,
        populate: float = 0.5,
    ) -> None:
        self.lock = threading.RLock()
        self.seed = seed
        self.api_key = api_key or self.key_prefix + secrets.token_hex(16)
        self.faults = Faults(seed)
        self._log: list[LoggedRequest] = []
        #: The clock the rate limiter reads (seconds); a test may replace it to step
        #: time by hand instead of sleeping.
        self.clock: Callable[[], float] = time.monotonic
        self._rate: float | None = None
        self._bucket = 0.0
        self._bucket_at = 0.0
        self.setup()
        if numbers:
            self.seed_numbers(numbers, seed=seed, populate=populate)

    # ------------------------------------------------------------ vendor hooks

    @abc.abstractmethod
    def setup(self) -> None:
        """Create the vendor's empty state (called once by ``__init__``)."""

    @abc.abstractmethod
    def seed_numbers(self, count: int, *, seed: int, populate: float) -> None:
        """Add ``count`` realistic numbers, deterministic for ``seed``."""

    @abc.abstractmethod
    def authenticate(self, request: EmuRequest) -> EmuResponse | None:
        """``None`` when the request's credentials are good, else the vendor's refusal."""

    @abc.abstractmethod
    def route(self, request: EmuRequest) -> EmuResponse:
        """Answer an authenticated request (holding `lock`)."""

    @abc.abstractmethod
    def error(self, status: int, message: str | None = None, **extra: Any) -> EmuResponse:
        """The vendor's own error response for ``status``.

        ``extra`` may carry ``retry_after`` (seconds) for 429s.
        """

    #: The keyword of `phonerouting.connect` the emulator's key is given as.
    key_credential: ClassVar[str] = "api_key"

    def identifiers(self) -> dict[str, str]:
        """The non-secret credentials a client of this emulator needs besides its key
        (connect()'s keyword arguments, e.g. an account id); none by default."""
        return {}

    def client_credentials(self, key: str | None = None) -> dict[str, str]:
        """The keyword arguments of `phonerouting.connect` that authenticate against
        this emulator: its key (or ``key`` in its place) and its `identifiers`."""
        return {**self.identifiers(), self.key_credential: self.api_key if key is None else key}

    def common_headers(self) -> dict[str, str]:
        """Headers every response carries (trace or request ids)."""
        return {}

    # ------------------------------------------------------------ public API

    @property
    def requests(self) -> list[LoggedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self.lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Forget the request log."""
        with self.lock:
            self._log.clear()

    def count(self, method: str, path_contains: str = "") -> int:
        """How many logged requests used ``method`` on a path containing the text."""
        return sum(1 for r in self.requests if r.method == method and path_contains in r.path)

    def set_rate_limit(self, per_second: float | None) -> None:
        """Answer the vendor's 429 beyond ``per_second`` requests (``None`` lifts it).

        A token bucket refilled at ``per_second`` that holds ``max(1, per_second)``
        tokens: a burst of that many passes at once, and a rate below one per second
        still admits one request every ``1 / per_second`` seconds.
        """
        if per_second is not None and not per_second > 0:
            raise ValueError(f"per_second must be positive or None, not {per_second!r}")
        with self.lock:
            self._rate = per_second
            self._bucket = self._capacity()
            self._bucket_at = self.clock()

    @property
    def rate_limit(self) -> float | None:
        """The requests-per-second limit set by `set_rate_limit`, if any."""
        return self._rate

    @property
    def rate_burst(self) -> int:
        """How many requests the rate limiter admits at once (at least 1)."""
        return int(self._capacity())

    def internal_error(self) -> EmuResponse:
        """The vendor's own 500, with its usual headers: what the HTTP server answers
        when the emulator itself fails, so a bug shows as a response, not a hang."""
        return self._finish(self.error(500))

    def transport(self) -> EmulatorTransport:
        """An ``httpx`` transport answering from this emulator, whatever the URL's host."""
        return EmulatorTransport(self)

    def async_transport(self) -> AsyncEmulatorTransport:
        """The async twin of `transport`."""
        return AsyncEmulatorTransport(self)

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve this emulator over real HTTP on loopback; yields the base URL to pass to
        ``phonerouting.connect(base_url=...)``, vendor base path included."""
        from phonerouting.testing.server import EmulatorServer

        server = EmulatorServer(self, host, port)
        server.start()
        try:
            yield server.base_url
        finally:
            server.stop()

    # ------------------------------------------------------------ dispatch

    def handle(
        self, method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes
    ) -> Outcome:
        """Answer one request: (response, delay). A ``None`` response means drop the
        connection. ``headers`` must have lower-case names."""
        method = method.upper()
        params = dict(parse_qsl(query, keep_blank_values=True))
        parsed: Any = None
        form: dict[str, str] | None = None
        if is_form(headers):
            with contextlib.suppress(ValueError):
                form = parse_form(body)
        else:
            with contextlib.suppress(ValueError):
                parsed = json.loads(body) if body else None
        with self.lock:
            self._log.append(
                LoggedRequest(method, raw_path, params, dict(headers), parsed, body, form)
            )
        fault = self.faults.take(method, raw_path)
        delay = 0.0
        if fault is not None:
            if fault.kind == "delay":
                delay = fault.delay
            elif not fault.after_effect:
                return self._fault_response(fault), 0.0
        if self._rate is not None:
            wait = self._take_token()
            if wait is not None:
                return self._finish(self.error(429, retry_after=wait)), delay
        if not raw_path.startswith(self.base_path + "/"):
            return self._finish(self.error(404, "Not found")), delay
        path = raw_path[len(self.base_path) :]
        request = EmuRequest(method, path, params, headers, body)
        refusal = self.authenticate(request)
        if refusal is not None:
            return self._finish(refusal), delay
        with self.lock:
            response = self.route(request)
        if fault is not None and fault.after_effect and fault.kind != "delay":
            return self._fault_response(fault), delay
        return self._finish(response), delay

    def _finish(self, response: EmuResponse) -> EmuResponse:
        extra = self.common_headers()
        if extra:
            response.headers.update({k: v for k, v in extra.items() if k not in response.headers})
        return response

    def _capacity(self) -> float:
        # A bucket smaller than one token could never admit a request.
        return max(1.0, self._rate or 0.0)

    def _take_token(self) -> float | None:
        """``None`` when a request may pass (spending a token), else the seconds until
        the next token, which the vendor's 429 reports (rounded up by each vendor)."""
        with self.lock:
            rate = self._rate or 0.0
            now = self.clock()
            self._bucket = min(self._capacity(), self._bucket + (now - self._bucket_at) * rate)
            self._bucket_at = now
            if self._bucket >= 1.0:
                self._bucket -= 1.0
                return None
            return (1.0 - self._bucket) / rate if rate else 1.0

    def _fault_response(self, fault: Fault) -> EmuResponse | None:
        if fault.kind == "drop":
            return None
        if fault.kind == "html":
            page = _HTML_PAGE.format(status=fault.status, reason=reason_phrase(fault.status))
            return EmuResponse(fault.status, {"Content-Type": "text/html"}, page.encode())
        if fault.kind == "malformed":
            return self._finish(
                EmuResponse(200, {"Content-Type": "application/json"}, b'{"data": [{"id": ')
            )
        response = self.error(fault.status, retry_after=fault.retry_after)
        if fault.retry_after is not None:
            # A 503 (or any status) that says when to come back, whether or not the
            # vendor's own error format carries a wait.
            response.headers.setdefault("Retry-After", str(whole_seconds(fault.retry_after)))
        return self._finish(response)


def _httpx_response(response: EmuResponse, request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        response.status, headers=response.headers, content=response.body, request=request
    )


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout", {})
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if isinstance(value, int | float) else None


def _dropped(request: httpx.Request) -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError(
        "Server disconnected without sending a response.", request=request
    )


def _answer(
    emulator: Emulator, request: httpx.Request, body: bytes
) -> tuple[float, httpx.Response | httpx.TransportError]:
    """What the emulator answers to ``request``, as the transports hand it to httpx:
    the seconds to wait first, then a response, or the error a socket would raise (a
    read timeout when the delay passes the request's read timeout, or a drop)."""
    response, delay = emulator.handle(
        request.method,
        request.url.path,
        request.url.query.decode(),
        {k.lower(): v for k, v in request.headers.items()},
        body,
    )
    timeout = _read_timeout(request) if delay else None
    if timeout is not None and delay > timeout:
        return timeout, httpx.ReadTimeout("timed out", request=request)
    if response is None:
        return delay, _dropped(request)
    return delay, _httpx_response(response, request)


def _outcome(answer: httpx.Response | httpx.TransportError) -> httpx.Response:
    if isinstance(answer, httpx.TransportError):
        raise answer
    return answer


class EmulatorTransport(httpx.BaseTransport):
    """Answers httpx requests from an emulator, in process (see Emulator.transport)."""

    def __init__(self, emulator: Emulator, sleep: Callable[[float], None] = time.sleep) -> None:
        self.emulator = emulator
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request, honouring delay and drop faults like a socket would."""
        wait, answer = _answer(self.emulator, request, request.read())
        if wait:
            self._sleep(wait)
        return _outcome(answer)


class AsyncEmulatorTransport(httpx.AsyncBaseTransport):
    """`EmulatorTransport` for ``httpx.AsyncClient``: the same answers, awaited."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer one request, honouring delay and drop faults like a socket would."""
        wait, answer = _answer(self.emulator, request, await request.aread())
        if wait:
            await asyncio.sleep(wait)
        return _outcome(answer)
