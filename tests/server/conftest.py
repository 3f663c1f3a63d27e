"""A service over emulators of every provider, driven through httpx's ASGI transport,
on each store: SQLite, and PostgreSQL (one server for the test run, a fresh database
per test)."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from phonerouting.server import TokenEntry, create_app, hash_token
from phonerouting.server.demo import Demo, demo_config
from phonerouting.store import PostgresStore, SQLiteStore, Store
from tests.postgres_server import PostgresServer

#: The stores every test of the service runs on.
STORES = ("sqlite", "postgresql")

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


@pytest.fixture(scope="session")
def store_database(postgres_server: PostgresServer) -> str:
    """One database for the store tests of this session, at the newest schema."""
    import psycopg

    from phonerouting.postgres import upgrade

    with psycopg.connect(postgres_server.url(), autocommit=True) as db:
        db.execute('CREATE DATABASE "store_tests"')
    url = postgres_server.url("store_tests")
    upgrade(url)
    return url


@pytest.fixture
def postgres_store_url(store_database: str) -> str:
    """The store database, emptied for this test (much cheaper than a database per
    test: a test of the service spends ~10 ms here, not ~1 s creating and migrating)."""
    import psycopg

    with psycopg.connect(store_database, autocommit=True) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'phonerouting_schema'"
            )
        ]
        # As a replica: the audit's append-only trigger must not refuse the emptying.
        db.execute("SET session_replication_role = replica")
        db.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    return store_database


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    """Which store the test's service uses."""
    return str(request.param)


@pytest.fixture
def where(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Where the test's store is: a SQLite file, or a PostgreSQL URL."""
    if store_kind == "postgresql":
        return str(request.getfixturevalue("postgres_store_url"))
    return str(tmp_path / "store.sqlite")


def build(
    tmp_path: Path, waits: Waits, numbers: int = 12, where: str | None = None, **settings: Any
) -> Demo:
    first = "linq-v2"
    scoped = {
        "scoped": TokenEntry("scoped", "editor", hash_token(SCOPED), frozenset({first})),
        "scoped-admin": TokenEntry(
            "scoped-admin", "admin", hash_token(SCOPED_ADMIN), frozenset({first})
        ),
    }
    settings.setdefault("refresh_max_age", None)
    return demo_config(
        where or tmp_path / "store.sqlite",
        numbers=numbers,
        extra_tokens=scoped,
        wait_for_inventory=True,
        sleep=waits,
        **settings,
    )


@pytest.fixture
def demo(tmp_path: Path, waits: Waits, where: str) -> Demo:
    return build(tmp_path, waits, where=where)


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


def store_of(demo: Demo) -> Store:
    store = demo.config.store
    assert isinstance(store, SQLiteStore | PostgresStore)
    return store


def run_sql(store: Store, sql: str) -> None:
    """Run ``sql`` on the store's database behind the store's back; ``{audit}`` names
    the audit table (``audit`` in SQLite, ``store_audit`` in PostgreSQL)."""
    if isinstance(store, SQLiteStore):
        db = sqlite3.connect(store.path)
        try:
            db.execute(sql.format(audit="audit"))
            db.commit()
        finally:
            db.close()
        return
    import psycopg

    assert isinstance(store, PostgresStore)
    with psycopg.connect(store.url, autocommit=True) as pg:
        pg.execute(sql.format(audit="store_audit"))


def store_contents(store: Store) -> list[str]:
    """Everything the store keeps, as text: the SQLite files (the journals beside
    them too), or a dump of the PostgreSQL database (the journals are in it)."""
    if isinstance(store, SQLiteStore):
        files = [store.path, *store.path.parent.rglob("*.sqlite*")]
        return [path.read_bytes().decode("latin-1") for path in files if path.is_file()]
    assert isinstance(store, PostgresStore)
    from tests.postgres_server import _binaries

    # The server's own pg_dump (initdb may be a link elsewhere), else the one on PATH.
    pg_dump = (_binaries().resolve() / "initdb").resolve().parent / "pg_dump"
    dump = subprocess.run(
        [str(pg_dump if pg_dump.is_file() else "pg_dump"), "--no-owner", "-d", store.url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "store_audit" in dump.stdout
    return [dump.stdout]
