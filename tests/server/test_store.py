"""Each store behind its interface (SQLite, PostgreSQL: the same tests, the same
assertions): what the service relies on it for."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import attrs
import psycopg
import pytest

import phonerouting as pr
from phonerouting.store import (
    AccountHealth,
    AuditEntry,
    AuditQuery,
    Job,
    NumberQuery,
    PostgresStore,
    Session,
    SQLiteStore,
    Store,
    store_at,
)
from phonerouting.store.sqlite import _chunks
from tests.server.conftest import run_sql

pytestmark = pytest.mark.timeout(180)
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture
async def store(where: str) -> AsyncIterator[Store]:
    store = store_at(where)
    await store.open()
    yield store
    await store.close()


def _job(state: str = "planned") -> Job:
    return Job(
        id="chg_1",
        kind="change_set",
        state=state,
        created_at=NOW,
        created_by="ops",
        accounts=("a",),
        request={"update": {"label": "x"}},
        parts=[],
        summary={"to_write": 0},
    )


async def test_it_is_a_store(store: Store) -> None:
    assert isinstance(store, Store)
    await store.ping()
    await store.close()


async def test_numbers_round_trip_and_replace_atomically(store: Store) -> None:
    number = pr.PhoneNumber(
        provider="close",
        id="phon_1",
        number="+12025550142",
        label="Desk",
        participants=("user_1",),
        press_1_to_accept=True,
        created_at=NOW,
        raw={"id": "phon_1", "nested": {"k": [1, 2]}},
    )
    await store.replace_inventory("a", [number], NOW)
    got = await store.get_number("a", "phon_1")
    assert got is not None
    assert (got.account, got.number, got.read_at) == ("a", number, NOW)
    assert got.number.raw == {"id": "phon_1", "nested": {"k": (1, 2)}}
    other = pr.PhoneNumber(provider="close", id="phon_2", number="+12025550143")
    await store.replace_inventory("a", [other], NOW)
    assert await store.get_number("a", "phon_1") is None
    assert await store.count_numbers("a") == 1
    found = await store.query_numbers(NumberQuery(("a",), e164="+12025550143"), None, 10)
    assert [f.number.id for f in found] == ["phon_2"]
    assert await store.query_numbers(NumberQuery(()), None, 10) == []


async def test_a_replace_keeps_a_number_recorded_after_its_listing_began(
    store: SQLiteStore,
) -> None:
    """A refresh lists from ``NOW``; a write recorded at ``NOW + 1 s`` (while the
    listing ran) is newer than the listing's copy, which must not put the old value
    back. A row recorded before the listing began is replaced as usual."""
    old = pr.PhoneNumber(provider="close", id="phon_1", number="+12025550142", label="Old")
    kept = pr.PhoneNumber(provider="close", id="phon_2", number="+12025550143", label="Old")
    earlier = NOW - timedelta(hours=1)
    await store.replace_inventory("a", [old, kept], earlier)
    written = attrs.evolve(kept, label="Written")
    entry = AuditEntry(at=NOW, actor="ops", action="update", account="a", outcome="written")
    await store.record_write(entry, written, NOW + timedelta(seconds=1))
    listed = [attrs.evolve(old, label="Listed"), kept]  # phon_2 as read before the write
    await store.replace_inventory("a", listed, NOW)
    first, second = await store.query_numbers(NumberQuery(("a",)), None, 10)
    assert (first.number.label, first.read_at) == ("Listed", NOW)
    assert (second.number.label, second.read_at) == ("Written", NOW + timedelta(seconds=1))
    # The next listing, begun after the write, replaces it like any other row.
    later = NOW + timedelta(seconds=2)
    await store.replace_inventory("a", [old], later)
    assert [
        (f.number.id, f.read_at) for f in await store.query_numbers(NumberQuery(("a",)), None, 10)
    ] == [("phon_1", later)]
    # Times compare as instants whatever their offset or microseconds.
    east = NOW.astimezone(timezone(timedelta(hours=5)))
    await store.put_number("a", written, east + timedelta(microseconds=1))
    await store.replace_inventory("a", [old, kept], NOW)
    got = await store.get_number("a", "phon_2")
    assert got is not None
    assert (got.number.label, got.read_at) == ("Written", NOW + timedelta(microseconds=1))


async def test_health_is_stale_only_after_a_failure_newer_than_the_last_success(
    store: Store,
) -> None:
    assert (await store.health("a")) == AccountHealth("a")
    assert AccountHealth("a").stale is False
    failed = AccountHealth("a", NOW, NOW + timedelta(seconds=1), "ServerError: x")
    await store.set_health(failed)
    assert await store.health("a") == failed
    assert failed.stale is True
    assert AccountHealth("a", NOW + timedelta(seconds=2), NOW, "old").stale is False


async def test_claim_job_lets_exactly_one_of_many_claims_win(store: Store) -> None:
    await store.save_job(_job())
    wins = await asyncio.gather(
        *(store.claim_job("chg_1", ("planned",), "applying") for _ in range(10))
    )
    assert sorted(wins) == [False] * 9 + [True]
    await store.update_job("chg_1", progress={"done": 1}, report={"ok": True}, state="applied")
    job = await store.get_job("chg_1")
    assert job is not None
    assert (job.state, dict(job.progress), job.report) == ("applied", {"done": 1}, {"ok": True})
    assert [j.id for j in await store.jobs_in(("applied",))] == ["chg_1"]
    assert await store.jobs_in(("applying",)) == []
    journal = store.journal("chg_1", "a")
    if isinstance(store, SQLiteStore):
        assert isinstance(journal, Path)
        assert journal.parent.is_dir()
    else:
        # In the database: any instance on it resumes or verifies the run.
        assert journal.journal == "chg_1/a"  # type: ignore[union-attr]


async def test_the_audit_is_append_only_and_filtered(store: Store) -> None:
    entries = [
        AuditEntry(
            at=NOW + timedelta(seconds=i),
            actor=f"t{i % 2}",
            action="update",
            account="a",
            outcome="written",
            number=f"+1202555014{i}",
            before={"label": None},
            after={"label": str(i)},
        )
        for i in range(4)
    ]
    await store.append_audit(entries)
    got = await store.query_audit(AuditQuery(("a",)), None, 10)
    assert [e.seq for e in got] == [1, 2, 3, 4]
    assert got[0].after == {"label": "0"}
    assert [e.seq for e in await store.query_audit(AuditQuery(("a",), actor="t1"), None, 10)] == [
        2,
        4,
    ]
    ranged = AuditQuery(("a",), since=NOW + timedelta(seconds=1), until=NOW + timedelta(seconds=3))
    assert [e.seq for e in await store.query_audit(ranged, None, 10)] == [2, 3]
    assert [e.seq for e in await store.query_audit(AuditQuery(("a",)), 2, 10)] == [3, 4]
    for sql in ("UPDATE {audit} SET outcome='failed'", "DELETE FROM {audit}"):
        with pytest.raises((sqlite3.IntegrityError, psycopg.Error), match="append-only"):
            run_sql(store, sql)
    assert len(await store.query_audit(AuditQuery(("a",)), None, 10)) == 4


def _fail_inventory_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store's inventory write fails as a full disk would."""

    def fail(db: object, rows: object) -> None:
        raise OSError("disk full")

    async def fail_async(db: object, row: object) -> None:
        fail(db, row)

    monkeypatch.setattr(SQLiteStore, "_put", staticmethod(fail))
    monkeypatch.setattr(PostgresStore, "_put", staticmethod(fail_async))


async def test_a_write_is_recorded_in_the_audit_and_the_inventory_or_in_neither(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = pr.PhoneNumber(provider="close", id="phon_1", number="+12025550142", label="Old")
    await store.replace_inventory("a", [before], NOW)
    after = attrs.evolve(before, label="New")
    entry = AuditEntry(
        at=NOW,
        actor="ops",
        action="update",
        account="a",
        outcome="written",
        number=before.number,
        before={"label": "Old"},
        after={"label": "New"},
    )
    later = NOW + timedelta(seconds=1)
    await store.record_write(entry, after, later)
    got = await store.get_number("a", "phon_1")
    assert got is not None
    assert (got.number.label, got.read_at) == ("New", later)
    assert await store.count_numbers("a") == 1
    assert [e.after for e in await store.query_audit(AuditQuery(("a",)), None, 10)] == [
        {"label": "New"}
    ]

    _fail_inventory_writes(monkeypatch)
    with pytest.raises(OSError, match="disk full"):
        await store.record_write(entry, attrs.evolve(after, label="Newer"), later)
    # The entry went with the number it came with: nothing of the failed write is left.
    assert len(await store.query_audit(AuditQuery(("a",)), None, 10)) == 1
    got = await store.get_number("a", "phon_1")
    assert got is not None
    assert got.number.label == "New"


async def test_sessions_expire(store: Store) -> None:
    live = Session("s1", "ops", NOW, datetime.now(UTC) + timedelta(hours=1), {"csrf": "x"})
    dead = Session("s2", "ops", NOW, datetime.now(UTC) - timedelta(seconds=1))
    await store.save_session(live)
    await store.save_session(dead)
    assert await store.get_session("s1") == live
    assert await store.get_session("s2") is None
    await store.delete_session("s1")
    assert await store.get_session("s1") is None


async def test_a_store_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = SQLiteStore(path)
    await store.open()
    await store.close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='99' WHERE key='schema'")
    db.commit()
    db.close()
    with pytest.raises(pr.ConfigurationError, match="newer phonerouting"):
        await SQLiteStore(path).open()


def _line(i: int, label: str | None) -> pr.PhoneNumber:
    return pr.PhoneNumber(
        provider="close", id=f"phon_{i:03d}", number=f"+1202555{i:04d}", label=label
    )


async def _search(store: SQLiteStore, **query: str) -> list[str]:
    """Every id the query selects, paging 7 at a time (cursor order)."""
    found: list[str] = []
    after = None
    while True:
        page = await store.query_numbers(NumberQuery(("a", "b"), **query), after, 7)
        found += [f"{s.account}/{s.number.id}" for s in page]
        if len(page) < 7:
            return found
        after = page[-1].key


@pytest.mark.parametrize("driven_max", [5000, 3, 0])
async def test_label_and_digit_search_through_the_index(
    store: SQLiteStore, driven_max: int
) -> None:
    """The same answers whichever way the store reads them: from the index's few
    matches (driven_max 5000), walking the inventory (0), or at the edge (3)."""
    store.search_driven_max = driven_max
    labels = ["Front Desk", "front desk 2", "Back office", None, 'Say "hi" 100%', "Ärger"]
    await store.replace_inventory("a", [_line(i, lb) for i, lb in enumerate(labels)], NOW)
    await store.replace_inventory("b", [_line(i + 10, "DESK") for i in range(12)], NOW)
    b_all = [f"b/phon_{i:03d}" for i in range(10, 22)]
    assert await _search(store, label="desk") == ["a/phon_000", "a/phon_001", *b_all]
    assert await _search(store, label="FRONT D") == ["a/phon_000", "a/phon_001"]
    assert await _search(store, label="no such label") == []
    # Under three characters: no trigram, the labels are scanned (same answers).
    assert await _search(store, label="of") == ["a/phon_002"]
    # Quotes, % and _ are text, not query syntax.
    assert await _search(store, label='"hi" 100%') == ["a/phon_004"]
    assert await _search(store, label="100_") == []
    assert await _search(store, label="ärg") == ["a/phon_005"]
    # A run of digits finds numbers holding it; label or digits, either selects.
    assert await _search(store, digits="5550001") == ["a/phon_001"]
    assert await _search(store, digits="55500", label="back") == [
        f"a/phon_{i:03d}" for i in range(6)
    ] + [f"b/phon_{i:03d}" for i in range(10, 22) if "55500" in f"+1202555{i:04d}"]
    assert await _search(store, digits="0021", label="office") == ["a/phon_002", "b/phon_021"]
    only_a = await store.query_numbers(NumberQuery(("a",), label="desk"), None, 10)
    assert [s.number.id for s in only_a] == ["phon_000", "phon_001"]


async def test_the_search_index_follows_every_write(store: SQLiteStore) -> None:
    await store.replace_inventory("a", [_line(1, "Front Desk"), _line(2, "Lobby")], NOW)
    entry = AuditEntry(at=NOW, actor="ops", action="update", account="a", outcome="written")
    await store.record_write(entry, _line(1, "Warehouse"), NOW)
    assert await _search(store, label="desk") == []
    assert await _search(store, label="wareh") == ["a/phon_001"]
    await store.put_number("a", _line(2, "Front desk"), NOW)
    assert await _search(store, label="desk") == ["a/phon_002"]
    # A refresh drops the numbers the account no longer holds, from the index too.
    later = NOW + timedelta(seconds=5)
    await store.replace_inventory("a", [_line(3, "Desk three")], later)
    assert await _search(store, label="desk") == ["a/phon_003"]
    assert await _search(store, label="wareh") == []
    # A refresh that finds a number's label changed moves it in the index; one that
    # finds it unchanged leaves it found.
    latest = NOW + timedelta(seconds=10)
    await store.replace_inventory("a", [_line(3, "Stockroom"), _line(4, "Desk four")], latest)
    assert await _search(store, label="desk") == ["a/phon_004"]
    assert await _search(store, label="stockr") == ["a/phon_003"]
    await store.replace_inventory("a", [_line(3, "Stockroom")], latest + timedelta(seconds=1))
    assert await _search(store, label="stockr") == ["a/phon_003"]
    assert await _search(store, label="desk") == []


#: The inventory's tables as schema 1 and schema 2 files hold them (schema 2 added the
#: search index; schema 3 made the inventory a rowid table the index shares).
_OLD_INVENTORY = {
    1: """CREATE TABLE numbers (
        e164 TEXT NOT NULL, account TEXT NOT NULL, id TEXT NOT NULL,
        provider TEXT NOT NULL, label TEXT, data TEXT NOT NULL, raw TEXT NOT NULL,
        read_at TEXT NOT NULL, PRIMARY KEY (e164, account, id)) WITHOUT ROWID;
        CREATE UNIQUE INDEX numbers_by_id ON numbers (account, id);""",
}
_OLD_INVENTORY[2] = (
    _OLD_INVENTORY[1]
    + """CREATE TABLE number_keys (rid INTEGER PRIMARY KEY, account TEXT NOT NULL,
        id TEXT NOT NULL, UNIQUE (account, id));
    CREATE VIRTUAL TABLE number_search USING fts5(label, e164, tokenize='trigram');"""
)


@pytest.mark.parametrize("version", [1, 2])
async def test_an_older_store_is_upgraded_on_open_with_every_number_kept(
    tmp_path: Path, version: int
) -> None:
    path = tmp_path / "old.sqlite"
    store = SQLiteStore(path)
    lines = [_line(2, "Lobby"), _line(1, "Front Desk"), _line(3, None)]
    await store.replace_inventory("a", lines, NOW)
    await store.replace_inventory("b", [_line(1, "Desk B")], NOW)
    await store.close()
    with sqlite3.connect(path) as db:  # the same rows, as the older version kept them
        rows = db.execute(
            "SELECT e164, account, id, provider, label, data, raw, read_at FROM numbers"
        ).fetchall()
        db.executescript("DROP TABLE numbers; DROP TABLE number_search; " + _OLD_INVENTORY[version])
        db.executemany("INSERT INTO numbers VALUES (?,?,?,?,?,?,?,?)", rows)
        if version == 2:
            db.execute("INSERT INTO number_keys (account, id) SELECT account, id FROM numbers")
            db.execute(
                "INSERT INTO number_search (rowid, label, e164) SELECT k.rid, n.label, n.e164 "
                "FROM numbers n JOIN number_keys k ON k.account = n.account AND k.id = n.id"
            )
        db.execute("UPDATE meta SET value=? WHERE key='schema'", (str(version),))
    reopened = SQLiteStore(path)
    assert await _search(reopened, label="desk") == ["a/phon_001", "b/phon_001"]
    assert await _search(reopened, label="lobby") == ["a/phon_002"]
    assert await _search(reopened, digits="5550003") == ["a/phon_003"]
    got = await reopened.get_number("a", "phon_001")
    assert got is not None
    assert (got.number, got.read_at) == (lines[1], NOW)
    page = await reopened.query_numbers(NumberQuery(("a", "b")), None, 10)
    assert [(s.account, s.number.id) for s in page] == [
        ("a", "phon_001"),
        ("b", "phon_001"),
        ("a", "phon_002"),
        ("a", "phon_003"),
    ]
    # Written to after the upgrade, as any store.
    entry = AuditEntry(at=NOW, actor="ops", action="update", account="a", outcome="written")
    await reopened.record_write(entry, _line(2, "Warehouse"), NOW)
    assert await _search(reopened, label="wareh") == ["a/phon_002"]
    assert await _search(reopened, label="lobby") == []
    await reopened.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == ("3",)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "number_keys" not in tables
        assert "numbers_before_3" not in tables
        assert db.execute("SELECT count(*) FROM number_search").fetchone() == (4,)


async def test_an_upgrade_that_fails_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    store = SQLiteStore(path)
    await store.replace_inventory("a", [_line(1, "Front Desk")], NOW)
    await store.close()
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT e164, account, id, label, data, raw FROM numbers").fetchall()
        db.execute("UPDATE meta SET value='2' WHERE key='schema'")
        # A table in the way of the upgrade's first step: it fails there.
        db.execute("CREATE TABLE numbers_before_3 (x)")
    with pytest.raises(pr.ConfigurationError, match="cannot open the store") as failed:
        await SQLiteStore(path).open()
    assert "numbers_before_3" in str(failed.value)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == ("2",)
        kept = db.execute("SELECT e164, account, id, label, data, raw FROM numbers").fetchall()
        assert kept == rows
        assert db.execute("SELECT count(*) FROM number_search").fetchone() == (1,)


def _run_entry(i: int, job: str | None = "chg_1") -> AuditEntry:
    return AuditEntry(
        at=NOW,
        actor="ops",
        action="change_set.apply",
        account="a",
        outcome="written",
        number=f"+1202555{i:04d}",
        number_id=f"phon_{i:03d}",
        after={"label": f"Run {i}"},
        job=job,
    )


async def test_a_runs_writes_are_group_committed_and_durable_once_settled(
    store: SQLiteStore | PostgresStore, where: str
) -> None:
    """A change set's workers write at once: they go on without waiting for the
    commit, one transaction holds them all, and once `settle` returns each row is
    committed (seen through another connection); of a number written twice, the
    later write is what the inventory holds."""
    await store.replace_inventory("a", [_line(i, "Line") for i in range(16)], NOW)

    async def worker(i: int) -> None:
        await store.record_write(_run_entry(i), _line(i, f"Run {i}"), NOW)

    await asyncio.gather(
        store.record_write(_run_entry(3), _line(3, "Earlier"), NOW),
        *(worker(i) for i in range(16)),
    )
    assert store._group.commits == 0  # queued, not yet committed
    await store.settle("chg_1")
    assert store._group.commits == 1
    other = store_at(where)
    await other.open()
    try:
        audit = await other.query_audit(AuditQuery(("a",)), None, 50)
        stored = await other.query_numbers(NumberQuery(("a",)), None, 50)
    finally:
        await other.close()
    assert [e.number_id for e in audit] == ["phon_003"] + [f"phon_{i:03d}" for i in range(16)]
    assert [(s.number.id, s.number.label) for s in stored] == [
        (f"phon_{i:03d}", f"Run {i}") for i in range(16)
    ]
    assert await _labels(store, "run 1") == [f"phon_{i:03d}" for i in (1, 10, 11, 12, 13, 14, 15)]
    # A single edit (no job) commits on its own, before it returns.
    await store.record_write(_run_entry(20, job=None), _line(20, "Edit"), NOW)
    assert store._group.commits == 1
    edited = await store.get_number("a", "phon_020")
    assert edited is not None
    assert edited.number.label == "Edit"


async def _labels(store: Store, label: str) -> list[str]:
    found = await store.query_numbers(NumberQuery(("a",), label=label), None, 50)
    return [s.number.id for s in found]


async def test_a_run_writing_faster_than_its_commits_waits_past_the_backlog(
    store: SQLiteStore | PostgresStore, where: str
) -> None:
    """At most the backlog's writes wait uncommitted: a writer past it is answered
    only once its own row is committed."""
    store._group.backlog = 3
    other = store_at(where)
    await other.open()
    committed: dict[int, int] = {}

    async def worker(i: int) -> None:
        await store.record_write(_run_entry(i), _line(i, f"Run {i}"), NOW)
        query = AuditQuery(("a",), number=f"+1202555{i:04d}")
        committed[i] = len(await other.query_audit(query, None, 10))

    try:
        await asyncio.gather(*(worker(i) for i in range(6)))
    finally:
        await other.close()
    # The first three returned with their rows queued; the fourth, fifth and sixth
    # each waited for the commit that holds it.
    assert {i: committed[i] for i in (3, 4, 5)} == {3: 1, 4: 1, 5: 1}
    await store.settle("chg_1")
    assert [e.number_id for e in await store.query_audit(AuditQuery(("a",)), None, 10)] == [
        f"phon_{i:03d}" for i in range(6)
    ]


async def test_a_store_closed_with_run_writes_queued_commits_them(where: str) -> None:
    store = store_at(where)
    await store.open()
    writes = [
        asyncio.ensure_future(store.record_write(_run_entry(i), _line(i, f"Run {i}"), NOW))
        for i in range(5)
    ]
    await asyncio.sleep(0)  # queued, the commit not yet run
    await store.close()
    await asyncio.gather(*writes)
    again = store_at(where)
    await again.open()
    entries = await again.query_audit(AuditQuery(("a",)), None, 10)
    assert [e.number_id for e in entries] == [f"phon_{i:03d}" for i in range(5)]
    await again.close()


async def test_run_writes_that_cannot_be_committed_fail_the_run_leaving_nothing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run's writes whose commit fails: the failure reaches the run (from
    `record_write` itself, or from `settle` for a group commit), once, and neither
    the audit nor the inventory holds any of them."""
    await store.replace_inventory("a", [_line(i, "Line") for i in range(3)], NOW)

    _fail_inventory_writes(monkeypatch)
    outcomes = await asyncio.gather(
        *(store.record_write(_run_entry(i), _line(i, "Run"), NOW) for i in range(3)),
        return_exceptions=True,
    )
    settled: OSError | None = None
    try:
        await store.settle("chg_1")
    except OSError as error:
        settled = error
    errors = [str(o) for o in (*outcomes, settled) if isinstance(o, OSError)]
    assert errors
    assert set(errors) == {"disk full"}
    assert all(o is None or isinstance(o, OSError) for o in outcomes)
    if any(o is None for o in outcomes):  # queued for a group commit: settle said it
        assert settled is not None
    assert await store.query_audit(AuditQuery(("a",)), None, 10) == []
    assert {s.number.label for s in await store.query_numbers(NumberQuery(("a",)), None, 10)} == {
        "Line"
    }
    await store.settle("chg_1")  # the failure is raised once


async def test_a_group_commit_failure_stops_the_runs_next_write(
    store: SQLiteStore | PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fail_inventory_writes(monkeypatch)
    await store.record_write(_run_entry(0), _line(0, "Run"), NOW)  # queued
    while store._group.flushing:  # the group commit, failing
        await asyncio.sleep(0.01)
    with pytest.raises(OSError, match="disk full"):
        await store.record_write(_run_entry(1), _line(1, "Run"), NOW)
    # The failure is that run's: once the disk takes writes again, a single edit and
    # another run's write are recorded, and only the failed run's settle raises.
    monkeypatch.undo()
    await store.record_write(_run_entry(2, job=None), _line(2, "Edit"), NOW)
    await store.record_write(_run_entry(3, job="chg_2"), _line(3, "Other run"), NOW)
    await store.settle("chg_2")
    with pytest.raises(OSError, match="disk full"):
        await store.settle("chg_1")
    await store.settle("chg_1")  # raised once
    entries = await store.query_audit(AuditQuery(("a",)), None, 10)
    assert [(e.number_id, e.job) for e in entries] == [("phon_002", None), ("phon_003", "chg_2")]


async def test_a_write_of_another_field_keeps_the_number_found_by_its_label(
    store: Store,
) -> None:
    await store.replace_inventory("a", [_line(1, "Front Desk"), _line(2, "Lobby")], NOW)
    forwarded = attrs.evolve(_line(1, "Front Desk"), forwarding_number="+12025550199")
    entry = AuditEntry(at=NOW, actor="ops", action="update", account="a", outcome="written")
    await store.record_write(entry, forwarded, NOW)
    await store.record_write(attrs.evolve(entry, job="chg_1"), forwarded, NOW)
    found = await store.query_numbers(NumberQuery(("a",), label="desk"), None, 10)
    assert [(s.number.id, s.number.forwarding_number) for s in found] == [
        ("phon_001", "+12025550199")
    ]
    found = await store.query_numbers(NumberQuery(("a",), digits="5550001"), None, 10)
    assert [s.number.id for s in found] == ["phon_001"]


async def test_a_group_commit_records_every_value_exactly(tmp_path: Path) -> None:
    """A group commit writes its rows as the parameters of statements of many rows
    each: text of every kind comes back as written (a NUL character included), the
    commit is one transaction, and of a number written twice in one commit the last
    write is what the inventory and its search hold."""
    store = SQLiteStore(tmp_path / "store.sqlite")
    await store.open()
    labels = ['Caf\u00e9 "Nord" \\ \U0001f4de', "12", "null", "", None, "tab\tnew\nline", "a\x00b"]
    numbers = [
        attrs.evolve(
            _line(i, label),
            forwarding_number="+12025550199" if i % 2 else None,
            ring_duration=i * 5,
            raw={"id": f"phon_{i:03d}", "label": label, "nested": {"n": [1, 2.5, None]}},
        )
        for i, label in enumerate(labels)
    ]
    twice = attrs.evolve(numbers[0], label="Earlier")
    entries = [
        attrs.evolve(_run_entry(i), detail=label, after={"label": label})
        for i, label in enumerate(labels)
    ]
    await asyncio.gather(
        store.record_write(attrs.evolve(entries[0], detail="earlier"), twice, NOW),
        *(store.record_write(e, n, NOW) for e, n in zip(entries, numbers, strict=True)),
    )
    await store.settle("chg_1")
    assert store.transactions == 1
    for number in numbers:
        stored = await store.get_number("a", number.id)
        assert stored is not None
        assert stored.number == number
    audit = await store.query_audit(AuditQuery(("a",)), None, 20)
    assert [(e.number_id, e.detail, e.after) for e in audit] == [
        ("phon_000", "earlier", {"label": labels[0]}),
        *((f"phon_{i:03d}", label, {"label": label}) for i, label in enumerate(labels)),
    ]
    assert await _search(store, label="nord") == ["a/phon_000"]
    assert await _search(store, label="earlier") == []
    await store.close()


@pytest.mark.parametrize(
    ("rows", "most", "sizes"),
    [
        (0, 256, []),
        (1, 256, [1]),
        (37, 256, [32, 4, 1]),
        (256, 256, [256]),
        (600, 256, [256, 256, 64, 16, 8]),
        (7, 3, [3, 3, 1]),
    ],
)
def test_a_group_commits_rows_go_in_statements_of_a_few_sizes(
    rows: int, most: int, sizes: list[int]
) -> None:
    """Powers of two, at most ``most`` rows (what the SQLite build's parameter limit
    allows), every row once and in order: a few statements a batch, and few shapes of
    statement to prepare."""
    chunks = list(_chunks(list(range(rows)), most))
    assert [len(chunk) for chunk in chunks] == sizes
    assert [row for chunk in chunks for row in chunk] == list(range(rows))


async def test_a_group_commit_larger_than_one_statement_records_every_write_in_order(
    tmp_path: Path,
) -> None:
    """600 writes in one commit (three statements of 256 rows and less): each in the
    audit in the order written, in the inventory and in its search."""
    store = SQLiteStore(tmp_path / "store.sqlite")
    await store.open()
    await store.replace_inventory("a", [_line(i, f"Line {i}") for i in range(600)], NOW)
    store._group.backlog = 1000  # all 600 in one commit
    before = store.transactions
    await asyncio.gather(
        *(
            store.record_write(
                attrs.evolve(_run_entry(i), after={"label": f"Run {i}"}), _line(i, f"Run {i}"), NOW
            )
            for i in range(600)
        )
    )
    await store.settle("chg_1")
    assert store.transactions - before == 1
    audit = []
    after = None
    while page := await store.query_audit(AuditQuery(("a",)), after, 250):
        audit += page
        after = page[-1].seq
    assert [(e.number_id, e.after) for e in audit] == [
        (f"phon_{i:03d}", {"label": f"Run {i}"}) for i in range(600)
    ]
    for i in (0, 255, 256, 511, 599):
        stored = await store.get_number("a", f"phon_{i:03d}")
        assert stored is not None
        assert stored.number.label == f"Run {i}"
    assert await _search(store, label="run 599") == ["a/phon_599"]
    assert await _search(store, label="line") == []
    await store.close()


async def test_a_runs_write_committed_after_a_later_edit_keeps_the_edit(store: Store) -> None:
    """A run's write waits for its group commit; a single edit of the same number made
    meanwhile commits at once. The run's older copy, committed last, does not replace
    the edit's in the inventory or its search."""
    await store.replace_inventory("a", [_line(1, "Line")], NOW)
    await store.record_write(_run_entry(1), _line(1, "Run 1"), NOW + timedelta(seconds=1))
    edit = attrs.evolve(_run_entry(1, job=None), action="update", after={"label": "Edited"})
    await store.record_write(edit, _line(1, "Edited"), NOW + timedelta(seconds=2))
    await store.settle("chg_1")
    stored = await store.get_number("a", "phon_001")
    assert stored is not None
    assert (stored.number.label, stored.read_at) == ("Edited", NOW + timedelta(seconds=2))
    found = await store.query_numbers(NumberQuery(("a",), label="edited"), None, 10)
    assert [s.number.id for s in found] == ["phon_001"]
    assert await store.query_numbers(NumberQuery(("a",), label="run 1"), None, 10) == []
    entries = await store.query_audit(AuditQuery(("a",)), None, 10)
    assert sorted(e.after["label"] for e in entries if e.after) == ["Edited", "Run 1"]
