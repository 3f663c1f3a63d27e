"""A service over emulators of every provider, driven through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from phonerouting.server import TokenEntry, create_app, hash_token
from phonerouting.server.demo import Demo, demo_config
from phonerouting.store import SQLiteStore

#: A token scoped to one account (the first provider's), with the editor role.
SCOPED = "prt_scoped-canary-token-0123456789abcdef"
#: The same scope with the admin role (migrations, rollbacks, refreshes).
SCOPED_ADMIN = "prt_scoped-admin-canary-token-0123456789"


class Waits:
    """The waits the service asked for (instead of sleeping them)."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


def build(tmp_path: Path, waits: Waits, numbers: int = 12, **settings: Any) -> Demo:
    first = "linq-v2"
    scoped = {
        "scoped": TokenEntry("scoped", "editor", hash_token(SCOPED), frozenset({first})),
        "scoped-admin": TokenEntry(
            "scoped-admin", "admin", hash_token(SCOPED_ADMIN), frozenset({first})
        ),
    }
    settings.setdefault("refresh_max_age", None)
    return demo_config(
        tmp_path / "store.sqlite",
        numbers=numbers,
        extra_tokens=scoped,
        wait_for_inventory=True,
        sleep=waits,
        **settings,
    )


@pytest.fixture
def demo(tmp_path: Path, waits: Waits) -> Demo:
    return build(tmp_path, waits)


class Api:
    """An httpx client on the app, with a token per role and every response kept."""

    def __init__(self, demo: Demo, client: httpx.AsyncClient) -> None:
        self.demo = demo
        self.client = client
        self.responses: list[httpx.Response] = []

    def headers(self, who: str | None) -> dict[str, str]:
        if who is None:
            return {}
        scoped = {"scoped": SCOPED, "scoped-admin": SCOPED_ADMIN}
        token = scoped[who] if who in scoped else self.demo.tokens[who]
        return {"Authorization": f"Bearer {token}"}

    async def call(
        self, method: str, path: str, who: str | None = "admin", **kwargs: Any
    ) -> httpx.Response:
        headers = {**self.headers(who), **kwargs.pop("headers", {})}
        response = await self.client.request(method, path, headers=headers, **kwargs)
        self.responses.append(response)
        return response

    async def get(self, path: str, who: str | None = "admin", **kwargs: Any) -> httpx.Response:
        return await self.call("GET", path, who, **kwargs)

    @property
    def service(self) -> Any:
        return self.app.state.service

    app: Any = None


@pytest.fixture
async def api(demo: Demo) -> AsyncIterator[Api]:
    app = create_app(demo.config)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        holder = Api(demo, client)
        holder.app = app
        # Started here so tests can read the clients first; the app would start it on
        # its first request (test_mounted_under_a_prefix_every_route_works).
        await app.state.service.start()
        try:
            yield holder
        finally:
            await app.state.service.close()


def store_of(demo: Demo) -> SQLiteStore:
    store = demo.config.store
    assert isinstance(store, SQLiteStore)
    return store
