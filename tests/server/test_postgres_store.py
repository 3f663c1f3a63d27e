"""What only the PostgreSQL store has: its schema built by ordered migrations (from an
empty database and from each earlier version, data kept), `phonerouting store upgrade`,
and a database a newer phonerouting upgraded refused by the store, the command and
``serve`` alike. (Its behaviour is tested with SQLite's: every test of tests/server
runs on both stores.)"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

import phonerouting as pr
from phonerouting.postgres import LATEST, MIGRATIONS, SchemaTooNewError, schema_version, upgrade
from phonerouting.store import AuditEntry, AuditQuery, Job, PostgresStore, Session
from phonerouting.store.sqlite import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION

pytestmark = pytest.mark.timeout(180)
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SCRIPT = Path(sys.executable).parent / "phonerouting"
#: The first schema version holding the store's tables (those before are the journal's).
FIRST_STORE_VERSION = next(m.version for m in MIGRATIONS if m.name.startswith("service store"))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, timeout=60, check=False
    )


def _versions(url: str) -> list[int]:
    with psycopg.connect(url) as db:
        return [r[0] for r in db.execute("SELECT version FROM phonerouting_schema ORDER BY 1")]


@pytest.mark.parametrize("start", range(LATEST))
async def test_the_schema_is_built_from_an_empty_database_and_from_each_earlier_version(
    postgres_url: str, start: int
) -> None:
    upgrade(postgres_url, to=start)
    assert schema_version(postgres_url) == start
    if start >= FIRST_STORE_VERSION:
        # What a store at that version held: an upgrade keeps it.
        with psycopg.connect(postgres_url) as db:
            db.execute(
                "INSERT INTO store_audit (at, actor, action, account, outcome, after) "
                "VALUES (%s, 'ops', 'update', 'a', 'written', '{\"label\": \"x\"}')",
                (NOW,),
            )
    store = PostgresStore(postgres_url)
    await store.open()
    try:
        assert _versions(postgres_url) == list(range(1, LATEST + 1))
        entry = AuditEntry(at=NOW, actor="t", action="update", account="a", outcome="written")
        await store.append_audit([entry])
        kept = [(e.seq, e.actor) for e in await store.query_audit(AuditQuery(("a",)), None, 9)]
        assert kept == ([(1, "ops"), (2, "t")] if start >= FIRST_STORE_VERSION else [(1, "t")])
        # The newest tables work: a lease (version 3), a session, a job.
        assert await store.take_lease("refresh:a", "one", 30) is True
        assert await store.take_lease("refresh:a", "two", 30) is False
        session = Session("s", "ops", NOW, datetime.now(UTC) + timedelta(hours=1))
        await store.save_session(session)
        assert await store.get_session("s") == session
        job = Job("chg_1", "change_set", "planned", NOW, "ops", ("a",), {}, [], {})
        await store.save_job(job)
        assert await store.get_job("chg_1") == job
    finally:
        await store.close()
    # Opening again changes nothing.
    await PostgresStore(postgres_url).upgrade()
    assert _versions(postgres_url) == list(range(1, LATEST + 1))


def test_store_upgrade_creates_the_schema_then_has_nothing_to_do(
    postgres_url: str, tmp_path: Path
) -> None:
    first = _cli("store", "upgrade", postgres_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"{PostgresStore(postgres_url).name}: schema 0 -> {LATEST}"
    ]
    assert "pw-" not in first.stdout  # the URL's password is never shown
    again = _cli("store", "upgrade", postgres_url, "--json")
    assert json.loads(again.stdout) == {
        "store": PostgresStore(postgres_url).name,
        "from": LATEST,
        "to": LATEST,
    }
    sqlite = _cli("store", "upgrade", str(tmp_path / "s.sqlite"))
    assert sqlite.returncode == 0, sqlite.stderr
    assert sqlite.stdout.splitlines() == [
        f"{tmp_path / 's.sqlite'}: schema 0 -> {SQLITE_SCHEMA_VERSION}"
    ]
    assert (tmp_path / "s.sqlite").is_file()


async def test_a_database_of_a_newer_schema_is_refused_and_left_as_it_is(
    postgres_url: str, tmp_path: Path
) -> None:
    upgrade(postgres_url)
    with psycopg.connect(postgres_url) as db:
        db.execute("INSERT INTO phonerouting_schema (version, name) VALUES (99, 'future')")
    with pytest.raises(SchemaTooNewError) as caught:
        await PostgresStore(postgres_url).open()
    error = caught.value
    assert isinstance(error, pr.RoutingError)
    assert "schema version 99, newer than this phonerouting knows" in str(error)
    assert "another database" in error.hint
    assert "--store" in error.describe(cli=True)

    refused = _cli("store", "upgrade", postgres_url)
    assert refused.returncode == 1
    assert "schema version 99" in refused.stderr
    assert "--store another database" in refused.stderr

    config = tmp_path / "phonerouting.toml"
    config.write_text(
        '[accounts.crm]\nprovider = "close"\nkey_env = "KEY_CRM"\n'
        f'[tokens.ops]\nrole = "admin"\nhash = "sha256:{"0" * 64}"\n'
    )
    served = subprocess.run(
        [str(SCRIPT), "--config", str(config), "serve", "--port", "0", "--store", postgres_url],
        capture_output=True,
        text=True,
        timeout=60,
        env={"KEY_CRM": "canary-key", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    # Refused before listening: no URL printed, the error in the command line's terms.
    assert served.returncode == 1
    assert served.stdout == ""
    assert "schema version 99, newer than this phonerouting knows" in served.stderr
    assert served.stderr.endswith(
        "nothing was changed. Upgrade phonerouting to the version that upgraded this "
        "database (or a newer one), or give --store another database.\n"
    )
    assert "pw-" not in served.stderr
    assert _versions(postgres_url) == [*range(1, LATEST + 1), 99]


async def test_audit_entries_take_their_seq_in_commit_order(postgres_url: str) -> None:
    # A reader pages the audit by seq (`after=`): an entry whose transaction commits
    # after a later-numbered one would never be seen by a reader already past it. So a
    # second writer waits for the first's commit, and takes the next seq after it.
    store = PostgresStore(postgres_url)
    await store.open()
    first = AuditEntry(at=NOW, actor="first", action="update", account="a", outcome="written")
    second = AuditEntry(at=NOW, actor="second", action="update", account="a", outcome="written")
    try:
        async with await psycopg.AsyncConnection.connect(postgres_url) as held:
            async with held.transaction():
                await PostgresStore._append(held, [first])  # its seq taken, not committed
                later = asyncio.ensure_future(store.append_audit([second]))
                done, _ = await asyncio.wait({later}, timeout=1.0)
                assert not done  # the second writer waits for the first's commit
                assert await store.query_audit(AuditQuery(("a",)), None, 9) == []
            await later
        kept = [(e.seq, e.actor) for e in await store.query_audit(AuditQuery(("a",)), None, 9)]
        assert [actor for _, actor in kept] == ["first", "second"]
        assert kept[0][0] < kept[1][0]  # a None seq fails here too
    finally:
        await store.close()
