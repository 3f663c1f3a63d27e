"""Run the same scenario through the sync and the async client."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import httpx

import phonerouting as pr

Handler = Callable[[httpx.Request], httpx.Response]


def make_client(
    mode: str,
    provider: str,
    handler: Handler,
    policy: pr.RetryPolicy | None = None,
    max_retries: int = 2,
) -> pr.Client | pr.AsyncClient:
    """A client of the given mode whose requests all go to ``handler``."""
    transport = httpx.MockTransport(handler)
    if mode == "sync":
        return pr.connect(
            provider,
            api_key="test-key",
            transport=transport,
            retry_policy=policy,
            max_retries=max_retries,
        )
    return pr.connect_async(
        provider,
        api_key="test-key",
        transport=transport,
        retry_policy=policy,
        max_retries=max_retries,
    )


async def call(client: pr.Client | pr.AsyncClient, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``method`` on either kind of client and return its result."""
    result = getattr(client, method)(*args, **kwargs)
    if inspect.isawaitable(result):
        return await result
    return result


async def list_all(client: pr.Client | pr.AsyncClient) -> list[pr.PhoneNumber]:
    """Every number from list_numbers(), for either kind of client."""
    result = client.list_numbers()
    if hasattr(result, "__aiter__"):
        return [item async for item in result]
    return list(result)


async def close(client: pr.Client | pr.AsyncClient) -> None:
    """Close either kind of client."""
    result = client.close()
    if inspect.isawaitable(result):
        await result
