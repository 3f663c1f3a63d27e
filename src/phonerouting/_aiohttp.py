"""The async driver's default sender: aiohttp, spoken to directly.

Imported only when an async client is built on it. The protocol core hands over
finished requests (absolute encoded URL, headers, body bytes), so this is one
``session.request`` per attempt: none of httpx's request and response layers run, which
is what makes it several times cheaper in CPU than httpx's async pool (see
docs/performance.md).

What it keeps of the httpx client's behaviour: per-attempt timeouts (connect, read and
pool waits), a connection limit (100, httpx's default), TLS verification against the
same CA bundle (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``), redirects never
followed, one connection pool per client, created on first use inside the running
event loop and closed by ``close()``. It does not read proxy settings or ``.netrc``
from the environment (aiohttp's ``trust_env`` looks both up in a thread for every
request, and ``.netrc`` could add credentials): use ``http="httpx"`` for a proxy.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping

import aiohttp
from yarl import URL

from phonerouting.core import Reply, TransportFailure, WireRequest, WireResponse

__all__ = ["AiohttpSender", "failure"]

#: The most connections open at once, as httpx's default limits.
MAX_CONNECTIONS = 100
#: How long an idle connection is kept for reuse, in seconds (httpx's default).
KEEPALIVE_SECONDS = 5.0


def failure(exc: BaseException) -> TransportFailure:
    """What an aiohttp error says, named as httpx names the same failure, so that a
    `TransportError` reads the same whichever stack carried the request. The error
    itself is not kept: aiohttp's errors hold the request's info, headers included."""
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return TransportFailure("timeout", "ConnectTimeout", str(exc))
    if isinstance(exc, aiohttp.ServerTimeoutError | TimeoutError):
        return TransportFailure("timeout", "ReadTimeout", str(exc))
    if isinstance(exc, aiohttp.ClientConnectorError):
        return TransportFailure("connect", "ConnectError", str(exc))
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return TransportFailure("other", "RemoteProtocolError", str(exc))
    if isinstance(exc, aiohttp.ClientResponseError):
        # A response aiohttp could not parse (status line, headers, framing); its text
        # is status and URL, never the request's headers.
        return TransportFailure("other", "RemoteProtocolError", exc.message)
    if isinstance(exc, aiohttp.ClientOSError):
        return TransportFailure("other", "ReadError", str(exc))
    return TransportFailure("other", type(exc).__name__, str(exc))


def ssl_context() -> ssl.SSLContext:
    """A verifying TLS context with httpx's trust store: ``SSL_CERT_FILE`` or
    ``SSL_CERT_DIR`` when set, else certifi's bundle, else the system's."""
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile is None and capath is None:
        try:
            import certifi
        except ImportError:  # pragma: no cover - certifi comes with httpx
            pass
        else:
            cafile = certifi.where()
    context = ssl.create_default_context(cafile=cafile, capath=capath)
    # create_default_context already requires a valid certificate for the host name;
    # said again so no later default can loosen it.
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = True
    return context


def client_timeout(
    connect: float | None, read: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    """httpx's per-attempt timeouts as aiohttp's: ``sock_connect`` for the TCP and TLS
    handshake, ``sock_read`` between reads, ``connect`` for a pooled connection (waiting
    for one included), no total (httpx has none)."""
    waits = [w for w in (connect, pool) if w is not None]
    return aiohttp.ClientTimeout(
        total=None,
        connect=sum(waits) if waits else None,
        sock_connect=connect,
        sock_read=read,
    )


class AiohttpSender:
    """Sends over one ``aiohttp.ClientSession``, opened on first use."""

    __slots__ = ("_closed", "_headers", "_session", "_timeout")

    def __init__(self, headers: Mapping[str, str], timeout: aiohttp.ClientTimeout) -> None:
        self._headers = dict(headers)
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _open(self) -> aiohttp.ClientSession:
        # In the running loop, on first use: aiohttp binds a session to its loop, and a
        # session made and dropped outside one warns about being unclosed.
        if self._closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        connector = aiohttp.TCPConnector(
            limit=MAX_CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS, ssl=ssl_context()
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers=self._headers,
            timeout=self._timeout,
            # No cookies: the vendors' APIs use none, and a jar costs every request.
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )
        # aiohttp resends an idempotent request once, unseen, when the server drops the
        # connection; every attempt is the retry policy's to count (max_retries=0 means
        # one request), so that is turned off, as aiohttp's own test client does.
        if hasattr(self._session, "_retry_connection"):
            self._session._retry_connection = False
        return self._session

    async def send(self, request: WireRequest) -> Reply:
        """Send one request; a failure instead of raising aiohttp's error."""
        session = self._session or self._open()
        try:
            async with session.request(
                request.method,
                URL(request.url, encoded=True),
                headers=request.headers,
                data=request.body,
                allow_redirects=False,
            ) as response:
                body = await response.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            return failure(exc)
        return WireResponse(response.status, response.headers, body)

    async def close(self) -> None:
        """Close the session and its connections; the client cannot be used after."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()
