"""Drive the sync and the async client with one test body, and describe results."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import phonerouting as pr

Client = pr.Client | pr.AsyncClient
#: The form body's media type (Twilio's updates); JSON otherwise.
FORM = "application/x-www-form-urlencoded"


@asynccontextmanager
async def open_client(
    mode: str,
    provider: str,
    *,
    base_url: str | None,
    policy: pr.RetryPolicy | None = None,
    **credentials: str,
) -> AsyncIterator[Client]:
    """``pr.connect`` (mode ``sync``) or ``pr.connect_async`` (mode ``async``) with the
    provider's ``credentials``, closed on exit. vcrpy patches both stacks they run on:
    httpx (sync) and aiohttp (async)."""
    if mode == "sync":
        with pr.connect(provider, **credentials, base_url=base_url, retry_policy=policy) as sync:
            yield sync
    else:
        async with pr.connect_async(
            provider, **credentials, base_url=base_url, retry_policy=policy
        ) as client:
            yield client


async def call(client: Client, method: str, *args: Any) -> Any:
    """``client.<method>(*args)``, awaited when the client is async."""
    result = getattr(client, method)(*args)
    return await result if inspect.isawaitable(result) else result


async def list_all(client: Client) -> list[pr.PhoneNumber]:
    """Every number ``list_numbers()`` yields, for either kind of client."""
    numbers = client.list_numbers()
    if isinstance(numbers, AsyncIterator):
        return [number async for number in numbers]
    return list(numbers)


async def raised(client: Client, method: str, *args: Any) -> pr.RoutingError:
    """The RoutingError ``client.<method>(*args)`` raises (fails if it returns)."""
    try:
        if method == "list_numbers":
            result: Any = await list_all(client)
        else:
            result = await call(client, method, *args)
    except pr.RoutingError as error:
        return error
    raise AssertionError(f"{method} returned {result!r} instead of raising")


def error_fields(error: pr.RoutingError) -> dict[str, Any]:
    """Everything a caller can read from an error, as plain data."""
    return {
        "type": type(error).__name__,
        "provider": error.provider,
        "status": error.status,
        "code": error.code,
        "message": error.message,
        "request_id": error.request_id,
        "doc_url": error.doc_url,
        "details": dict(error.details),
        "field": getattr(error, "field", None),
        "retry_after": getattr(error, "retry_after", None),
    }


def body(request: Any) -> Any:
    """A recorded request's body, decoded as its Content-Type says: a form
    (``application/x-www-form-urlencoded``) as a dict of its fields in order, blank
    ones kept (a blank field clears); anything else as JSON; no body as None."""
    if not request.body:
        return None
    raw = request.body.decode() if isinstance(request.body, bytes) else request.body
    kind = next((v for k, v in request.headers.items() if k.lower() == "content-type"), "")
    if kind.split(";")[0].strip() == FORM:
        return dict(parse_qsl(raw, keep_blank_values=True, strict_parsing=True))
    return json.loads(raw)


def wire(cassette: Any) -> list[tuple[str, str, Any]]:
    """The requests a cassette holds: method, path (with query) and decoded body."""
    out = []
    for request in cassette.requests:
        query = urlsplit(request.uri).query
        path = request.path + (f"?{query}" if query else "")
        out.append((request.method, path, body(request)))
    return out
