"""The shared PostgreSQL support on a real server: URLs, connections, and the versioned
schema (from an empty database, from each earlier version, concurrently, and a newer
schema refused)."""

from __future__ import annotations

import subprocess
import sys
import threading

import psycopg
import pytest

from phonerouting import RoutingError
from phonerouting.postgres import (
    LATEST,
    MIGRATIONS,
    DatabaseError,
    SchemaTooNewError,
    check_schema,
    connect,
    is_url,
    open_pool,
    redacted,
    schema_version,
    split_url,
    upgrade,
)
from tests.postgres_server import PostgresServer


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as db:
        rows = db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {row[0] for row in rows}


def versions(url: str) -> list[int]:
    with psycopg.connect(url) as db:
        rows = db.execute("SELECT version FROM phonerouting_schema ORDER BY version").fetchall()
    return [row[0] for row in rows]


def test_urls() -> None:
    assert is_url("postgresql://u:p@h/db")
    assert is_url("postgres://h/db")
    assert is_url("POSTGRESQL://h/db")
    assert not is_url("journal.sqlite")
    assert not is_url("runs/postgresql://x")
    assert not is_url(None)
    assert redacted("postgresql://me:s3cret@db.example:5432/app?sslmode=require") == (
        "postgresql://me:***@db.example:5432/app?sslmode=require"
    )
    assert redacted("postgresql://db/app?user=me&password=s3cret") == (
        "postgresql://db/app?user=me&password=***"
    )
    assert redacted("postgresql://me@db/app") == "postgresql://me@db/app"
    assert split_url("postgresql://h/db?sslmode=require&journal=run-1", {"journal"}) == (
        "postgresql://h/db?sslmode=require",
        {"journal": "run-1"},
    )
    assert split_url("postgresql://h/db", {"journal"}) == ("postgresql://h/db", {})


def test_migrations_are_numbered_in_order() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert len(MIGRATIONS) == LATEST
    assert all(m.name and m.statements for m in MIGRATIONS)


def test_upgrade_from_an_empty_database(postgres_url: str) -> None:
    assert schema_version(postgres_url) == 0
    assert tables(postgres_url) == set()
    assert upgrade(postgres_url) == list(range(1, LATEST + 1))
    assert versions(postgres_url) == list(range(1, LATEST + 1))
    assert {"phonerouting_schema", "journal_runs", "journal_steps", "journal_rate"} <= tables(
        postgres_url
    )
    assert check_schema(postgres_url) == LATEST
    assert upgrade(postgres_url) == []  # up to date: nothing to do


@pytest.mark.parametrize("start", range(LATEST))
def test_upgrade_from_each_earlier_version(postgres_url: str, start: int) -> None:
    assert upgrade(postgres_url, to=start) == list(range(1, start + 1))
    assert schema_version(postgres_url) == start
    assert upgrade(postgres_url) == list(range(start + 1, LATEST + 1))
    assert versions(postgres_url) == list(range(1, LATEST + 1))


def test_concurrent_upgrades_apply_each_migration_once(postgres_url: str) -> None:
    applied: list[list[int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            applied.append(upgrade(postgres_url))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(v for one in applied for v in one) == list(range(1, LATEST + 1))
    assert versions(postgres_url) == list(range(1, LATEST + 1))


def test_a_newer_schema_is_refused_unchanged(postgres_url: str) -> None:
    upgrade(postgres_url)
    with psycopg.connect(postgres_url) as db:
        db.execute(
            "INSERT INTO phonerouting_schema (version, name) VALUES (%s, 'from the future')",
            (LATEST + 1,),
        )
    for call in (lambda: upgrade(postgres_url), lambda: check_schema(postgres_url)):
        with pytest.raises(SchemaTooNewError) as caught:
            call()
        message = str(caught.value)
        assert f"schema version {LATEST + 1}, newer than this phonerouting knows ({LATEST})" in (
            message
        )
        assert "nothing was changed" in message
        assert "Run the phonerouting version that upgraded this database" in message
        assert postgres_url.split(":")[2].split("@")[0] not in message  # the password
        assert isinstance(caught.value, RoutingError)
    assert versions(postgres_url) == [*range(1, LATEST + 1), LATEST + 1]


def test_a_wrong_password_is_a_database_error_without_it(postgres_server: PostgresServer) -> None:
    url = f"postgresql://postgres:not-the-password@127.0.0.1:{postgres_server.port}/postgres"
    with pytest.raises(DatabaseError) as caught:
        connect(url)
    message = str(caught.value)
    assert message.startswith(
        f"cannot connect to postgresql://postgres:***@127.0.0.1:{postgres_server.port}/postgres:"
    )
    assert "password authentication failed" in message
    assert "not-the-password" not in message
    assert "Check the URL (host, port, database name, user and password)" in message


async def test_a_pool_of_autocommit_connections(postgres_url: str) -> None:
    pool = await open_pool(postgres_url, max_size=2)
    try:
        async with pool.connection() as db:
            assert db.autocommit
            cursor = await db.execute("SELECT 41 + 1")
            assert await cursor.fetchone() == (42,)
    finally:
        await pool.close()


async def test_a_pool_to_a_server_that_is_down_is_a_database_error() -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        with pytest.raises(DatabaseError, match="cannot connect to postgresql://x:\\*\\*\\*@127"):
            await open_pool(f"postgresql://x:pw@127.0.0.1:{port}/db")


def test_importing_phonerouting_does_not_import_psycopg() -> None:
    code = (
        "import sys, phonerouting, phonerouting.migration, phonerouting.postgres; "
        "assert not [m for m in sys.modules if m.startswith('psycopg')], 'psycopg imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
