"""Fixtures of the cross-check suite: seeded emulator servers on loopback, for our
adapters and the vendors' official clients to talk to over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from types import MappingProxyType
from typing import Any

import attrs
import pytest

import phonerouting as pr
from phonerouting import testing
from phonerouting.testing import LoggedRequest

#: Every emulator here is seeded alike, so two of them start in the same state.
SEED = 6
KEYS = {
    "linq-v3": "linq_crosscheck_v3_key",
    "close": "api_crosscheck_close_key",
    "telnyx": "KEY_crosscheck_telnyx_key",
}


@attrs.frozen
class Served:
    """One emulator and the base URL it is served on."""

    emu: testing.Emulator
    base_url: str


@pytest.fixture
def serve() -> Iterator[Callable[[str], Served]]:
    """Start a freshly seeded emulator server of a provider; stopped after the test."""
    with ExitStack() as stack:

        def start(provider: str) -> Served:
            emu = testing.emulator(provider, 3, seed=SEED, api_key=KEYS[provider])
            return Served(emu, stack.enter_context(emu.serve()))

        yield start


def exchange(request: LoggedRequest, auth_header: str = "authorization") -> dict[str, Any]:
    """What a request said to the vendor that matters: method, path, query, credentials,
    body type and the decoded JSON body. Byte-level JSON formatting, User-Agent and SDK
    telemetry headers legitimately differ between clients and are left out."""
    return {
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "auth": request.headers.get(auth_header),
        "content_type": request.headers.get("content-type"),
        "json": request.json,
    }


def thaw(value: Any) -> Any:
    """A ``PhoneNumber.raw`` (read-only mappings, tuples) as plain JSON data."""
    if isinstance(value, Mapping | MappingProxyType):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Which of our clients takes part: ``pr.connect`` or ``pr.connect_async``."""
    return str(request.param)


def ours(mode: str, served: Served, method: str, *args: Any) -> Any:
    """Call ``method`` on our client of ``mode`` against ``served``; a listing is read
    whole. Each call opens and closes its own client."""
    provider, key = served.emu.provider, served.emu.api_key
    if mode == "sync":
        with pr.connect(provider, api_key=key, base_url=served.base_url) as client:
            result = getattr(client, method)(*args)
            return list(result) if method == "list_numbers" else result

    async def run() -> Any:
        async with pr.connect_async(provider, api_key=key, base_url=served.base_url) as client:
            if method == "list_numbers":
                return [number async for number in client.list_numbers()]
            return await getattr(client, method)(*args)

    return asyncio.run(run())
