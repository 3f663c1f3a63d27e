"""The httpx senders: the sync driver's, and the async driver's when it is given an
httpx transport or ``http="httpx"``. Imported only when such a client is built."""

from __future__ import annotations

import httpx

from phonerouting.core import FailureKind, Reply, TransportFailure, WireRequest, WireResponse

__all__ = ["AsyncHttpxSender", "HttpxSender", "failure"]


def failure(exc: httpx.HTTPError) -> TransportFailure:
    """What an httpx error says, without the error itself (it holds the request, and
    with it the auth header)."""
    kind: FailureKind
    if isinstance(exc, httpx.TimeoutException):
        kind = "timeout"
    elif isinstance(exc, httpx.ConnectError):
        kind = "connect"
    else:
        kind = "other"
    return TransportFailure(kind, type(exc).__name__, str(exc))


def _response(response: httpx.Response) -> WireResponse:
    return WireResponse(response.status_code, response.headers, response.content)


class HttpxSender:
    """Sends over one ``httpx.Client`` (one connection pool)."""

    __slots__ = ("http",)

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def send(self, request: WireRequest) -> Reply:
        """Send one request; a failure instead of raising httpx's error."""
        try:
            sent = self.http.request(
                request.method, request.url, headers=request.headers, content=request.body
            )
        except httpx.HTTPError as exc:
            return failure(exc)
        return _response(sent)

    def close(self) -> None:
        """Close the pool."""
        self.http.close()


class AsyncHttpxSender:
    """Sends over one ``httpx.AsyncClient`` (httpcore's pool, or the given transport)."""

    __slots__ = ("http",)

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def send(self, request: WireRequest) -> Reply:
        """Send one request; a failure instead of raising httpx's error."""
        try:
            sent = await self.http.request(
                request.method, request.url, headers=request.headers, content=request.body
            )
        except httpx.HTTPError as exc:
            return failure(exc)
        return _response(sent)

    async def close(self) -> None:
        """Close the pool."""
        await self.http.aclose()
