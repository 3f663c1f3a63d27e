"""The `Store` in one SQLite file (WAL mode), its work done in a worker thread.

One connection serves the process, behind a lock: SQLite writes one transaction at a
time anyway, and reads of the inventory take a few milliseconds. The audit table
refuses UPDATE and DELETE by trigger, so the trail is append-only in the file itself,
not only through the API.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from phonerouting.errors import ConfigurationError
from phonerouting.model import PhoneNumber
from phonerouting.store._group import GroupCommit
from phonerouting.store._sql import (
    AUDIT_COLUMNS,
    JOB_COLUMNS,
    SQLITE,
    audit_entry,
    audit_row,
    audit_where,
    job_from_row,
    job_row,
)
from phonerouting.store.base import (
    AccountHealth,
    AuditEntry,
    AuditQuery,
    Job,
    NumberKey,
    NumberQuery,
    Session,
    StoredNumber,
    number_fields,
    number_from_fields,
    raw_json,
    session_key,
)

__all__ = ["SQLiteStore"]

_T = TypeVar("_T")
_R = TypeVar("_R")

#: Commits between two checkpoints of the WAL (SQLite's own default: 1000 pages).
_CHECKPOINT_EVERY = 200
SCHEMA_VERSION = 3


#: Rows one statement of a group commit writes at most (12 audit columns a row: 3,072
#: parameters, under the 32,766 of SQLite since 3.32; `_chunks` lowers it for a build
#: that allows fewer).
_MOST_ROWS = 256


def _chunks(rows: Sequence[_R], most: int = _MOST_ROWS) -> Iterator[Sequence[_R]]:
    """``rows`` in order, in pieces of a power of two rows each, at most ``most`` (37
    rows: 32, 4, 1). A statement of n rows is its own SQL text, prepared (about 4 µs a
    row) and cached by its text: powers of two keep the shapes to nine a statement, each
    prepared once, while a batch still takes a handful of statements, not one a row."""
    start = 0
    while start < len(rows):
        size = min(most, 1 << ((len(rows) - start).bit_length() - 1))
        yield rows[start : start + size]
        start += size


@functools.cache
def _of_rows(statement: str, rows: int, columns: int) -> str:
    """``statement`` with its ``{values}`` made ``VALUES`` of ``rows`` rows of
    ``columns`` parameters (made once: a single edit writes through it too)."""
    row = "(" + ",".join("?" * columns) + ")"
    return statement.format(values="VALUES " + ",".join([row] * rows))


# The inventory's row of `SQLiteStore._row` ``(?1, ..., ?8)``, written over the row of
# the same (account, id) in place (its rowid, which the search index's row shares,
# kept): unless that row was read later (a single edit committed while a run's write
# waited for its group commit): the older copy never replaces the newer.
_UPSERT = (
    " ON CONFLICT (account, id) DO UPDATE SET e164 = excluded.e164, "
    "provider = excluded.provider, label = excluded.label, data = excluded.data, "
    "raw = excluded.raw, read_at = excluded.read_at WHERE excluded.read_at >= numbers.read_at"
)
_NUMBERS = "INSERT INTO numbers (e164, account, id, provider, label, data, raw, read_at) "
# Each numbers row's search row made what the row holds now (which may be a newer copy
# than the one just written), unless it holds that already (a write of any field but
# the label): an FTS5 replace deletes and re-adds every trigram.
_SEARCH = (
    "INSERT OR REPLACE INTO number_search (rowid, label, e164) SELECT n.rid, n.label, n.e164 "
    "FROM {rows} WHERE {only}NOT EXISTS (SELECT 1 FROM number_search s WHERE s.rowid = n.rid "
    "AND s.label IS n.label AND s.e164 = n.e164)"
)

# The statements of `SQLiteStore._put` and `SQLiteStore._append`, of n rows: the rows'
# values are parameters (bound in C, a NUL character kept), one statement of many rows
# taking the GIL back from the event loop once, where ``executemany`` takes it back
# after every row (a run's hundreds of hand-offs a second, which the loop lost).
_NUMBERS_OF_ROWS = _NUMBERS + "{values}" + _UPSERT
# (Each row's search row from the numbers row now, found by its key.)
_SEARCH_OF_ROWS = "WITH k (account, id) AS ({values}) " + _SEARCH.format(
    rows="k JOIN numbers n ON n.account = k.account AND n.id = k.id", only=""
)
_AUDIT_OF_ROWS = f"INSERT INTO audit ({AUDIT_COLUMNS}) " + "{values}"
_SEARCH_OF_ACCOUNT = _SEARCH.format(rows="numbers n", only="n.account = ? AND ")
_SEARCH_OF_ALL = _SEARCH.format(rows="numbers n", only="")

#: The inventory (schema 3): a rowid table, its rows (a vendor payload each, often
#: kilobytes) rewritten in place, and the search index of labels and numbers, whose
#: rows share the inventory's rowids. Trigrams: a substring of three characters or
#: more is found without reading every row. (Schema 2 kept the numbers in a WITHOUT
#: ROWID table, where rows past a kilobyte overflow their page, with a separate table
#: of search rowids: a run's writes cost twice the CPU.)
_INVENTORY = (
    """CREATE TABLE IF NOT EXISTS numbers (
    rid INTEGER PRIMARY KEY,
    e164 TEXT NOT NULL, account TEXT NOT NULL, id TEXT NOT NULL,
    provider TEXT NOT NULL, label TEXT, data TEXT NOT NULL, raw TEXT NOT NULL,
    read_at TEXT NOT NULL,
    UNIQUE (account, id)
)""",
    "CREATE INDEX IF NOT EXISTS numbers_in_order ON numbers (e164, account, id)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS number_search "
    "USING fts5(label, e164, tokenize='trigram', columnsize=0)",
)

_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"

_SCHEMA = (
    ";\n".join(_INVENTORY)
    + """;
CREATE TABLE IF NOT EXISTS health (
    account TEXT PRIMARY KEY, last_success_at TEXT, last_error_at TEXT, last_error TEXT
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, account TEXT NOT NULL, number TEXT, number_id TEXT,
    before TEXT, after TEXT, outcome TEXT NOT NULL, vendor_request_id TEXT,
    detail TEXT, job TEXT
);
CREATE INDEX IF NOT EXISTS audit_by_number ON audit (number);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL,
    created_at TEXT NOT NULL, created_by TEXT NOT NULL, accounts TEXT NOT NULL,
    request TEXT NOT NULL, parts TEXT NOT NULL, summary TEXT NOT NULL,
    progress TEXT NOT NULL, report TEXT, updated_at TEXT
);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, token_name TEXT NOT NULL, created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL, data TEXT NOT NULL
);
"""
)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _instant(value: datetime) -> str:
    """``value`` as the numbers table keeps it: UTC, always with microseconds, so that
    two of them compare as text in the order of time (``read_at <= ?``)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _load(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _phrase(text: str) -> str:
    """``text`` as one FTS5 phrase: quoted, its quotes doubled (no query syntax)."""
    return '"' + text.replace('"', '""') + '"'


def _match(query: NumberQuery) -> str | None:
    """The FTS5 query finding ``query``'s label substring or run of digits in the
    search index; None when there is none, or when one is under three characters (a
    trigram index finds nothing shorter)."""
    terms = []
    for column, value in (("label", query.label), ("e164", query.digits)):
        if value is None:
            continue
        if len(value) < 3:
            return None
        terms.append(f"{column} : {_phrase(value)}")
    return " OR ".join(terms) or None


def _placeholders(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


class SQLiteStore:
    """The `phonerouting.store.Store` in the SQLite file at ``path``.

    Journals of change sets and migrations go in the folder ``<path>.journals`` beside
    it, one file per job and account (the migration engine's own journal).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._commits = 0
        self._checkpoint: asyncio.Future[None] | None = None
        #: A run's writes, committed together in the worker thread (`record_write`).
        self._group = GroupCommit(self._commit_batch)
        #: Transactions committed (tests count them: a group commit is one).
        self.transactions = 0

    # ------------------------------------------------------------ plumbing

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Room for the group commit's statements of every size (`_chunks`) beside
            # the queries' own.
            db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, cached_statements=256
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=5000")
            db.execute("PRAGMA wal_autocheckpoint=0")
            db.execute(_META)
            row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is not None and int(row[0]) > SCHEMA_VERSION:
                db.close()
                raise ConfigurationError(
                    f"the store {str(self.path)!r} was written by a newer phonerouting "
                    f"(schema {row[0]}, this one knows {SCHEMA_VERSION})",
                    hint="Upgrade phonerouting, or give --store another file.",
                )
            if row is not None and int(row[0]) < SCHEMA_VERSION:
                self._upgrade(db)
            db.executescript(_SCHEMA)
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        except (sqlite3.Error, OSError) as exc:
            raise ConfigurationError(
                f"cannot open the store {str(self.path)!r}: {exc}",
                hint="Give --store a writable file path (a SQLite file is created there).",
            ) from None
        return db

    @staticmethod
    def _upgrade(db: sqlite3.Connection) -> None:
        """A schema 1 or 2 file's inventory copied into schema 3's tables, its search
        index built (schema 1 had none), in one transaction: a failure leaves the file
        as it was."""
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("ALTER TABLE numbers RENAME TO numbers_before_3")
            db.execute("DROP INDEX IF EXISTS numbers_by_id")
            db.execute("DROP TABLE IF EXISTS number_keys")
            db.execute("DROP TABLE IF EXISTS number_search")
            for statement in _INVENTORY:
                db.execute(statement)
            db.execute(
                _NUMBERS + "SELECT e164, account, id, provider, label, data, raw, read_at "
                "FROM numbers_before_3 ORDER BY e164, account, id"
            )
            db.execute("DROP TABLE numbers_before_3")
            db.execute(_SEARCH_OF_ALL)
            db.execute("UPDATE meta SET value=? WHERE key='schema'", (str(SCHEMA_VERSION),))
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def schema_version(self) -> int:
        """The file's schema version; 0 when there is no file (or no schema) yet."""
        if not self.path.is_file():
            return 0
        try:
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
            try:
                row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            finally:
                db.close()
        except sqlite3.Error:
            return 0
        return 0 if row is None else int(row[0])

    def _call(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._lock:
            return self._locked(work)

    def _locked(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        if self._db is None:
            self._db = self._connect()
        result = work(self._db)
        if isinstance(result, sqlite3.Cursor):
            # A cursor must not leave the lock: finalized later in another thread
            # while this connection runs a statement, it is SQLite API misuse
            # (InterfaceError), which failed a change set's run now and then.
            result.close()
        return result

    async def _run(self, work: Callable[[sqlite3.Connection], _T], *, quick: bool = False) -> _T:
        if quick and self._db is not None and self._lock.acquire(blocking=False):
            # A point read or write (a few hundred microseconds) with the connection
            # free: done on the event loop's thread. A worker thread costs two thread
            # switches, milliseconds each on a busy machine: most of a PATCH's time.
            # Checkpoints, the one slow part of a commit, are never run here (below).
            try:
                return self._locked(work)
            finally:
                self._lock.release()
        return await asyncio.to_thread(self._call, work)

    async def _write(self, work: Callable[[sqlite3.Connection], _T], *, quick: bool = False) -> _T:
        def transaction(db: sqlite3.Connection) -> _T:
            db.execute("BEGIN IMMEDIATE")
            try:
                result = work(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            self._commits += 1
            self.transactions += 1
            return result

        result = await self._run(transaction, quick=quick)
        if self._commits >= _CHECKPOINT_EVERY and self._checkpoint is None:
            # The WAL copied back into the file, in a worker thread, now and then
            # (SQLite's own checkpoints are off: one would run inside a commit).
            self._commits = 0
            self._checkpoint = asyncio.ensure_future(self._checkpointed())
        return result

    async def _checkpointed(self) -> None:
        try:
            await self._run(lambda db: db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall())
        finally:
            self._checkpoint = None

    async def open(self) -> None:
        """Create or upgrade the schema."""
        await self._run(lambda db: None)

    async def close(self) -> None:
        """Close the connection."""

        def close(db: sqlite3.Connection) -> None:
            db.close()

        await self._group.drain()
        if self._checkpoint is not None:
            await asyncio.gather(self._checkpoint, return_exceptions=True)
        with self._lock:
            if self._db is not None:
                close(self._db)
                self._db = None

    async def ping(self) -> None:
        """Raise when the file cannot be read."""
        await self._run(lambda db: db.execute("SELECT 1").fetchone(), quick=True)

    # ------------------------------------------------------------ inventory

    @staticmethod
    def _row(account: str, number: PhoneNumber, read_at: datetime) -> tuple[Any, ...]:
        return (
            number.number,
            account,
            number.id,
            number.provider,
            number.label,
            json.dumps(number_fields(number), ensure_ascii=False),
            raw_json(number.raw),
            _instant(read_at),
        )

    async def replace_inventory(
        self, account: str, numbers: Sequence[PhoneNumber], read_at: datetime
    ) -> None:
        """The account now holds exactly ``numbers`` (one transaction)."""
        rows = [self._row(account, n, read_at) for n in numbers]
        listed = _instant(read_at)
        ids = json.dumps([n.id for n in numbers], ensure_ascii=False)

        def work(db: sqlite3.Connection) -> None:
            # Each number listed written over its row (in place, its search row
            # rewritten only if its label or number changed), unless that row was
            # recorded after the listing began (a write that landed while the listing
            # ran: newer than what the listing read). Then the rows of numbers the
            # listing does not hold go, unless recorded after it began too.
            self._upsert(db, rows)
            gone = (
                "FROM numbers WHERE account = ? AND read_at <= ? "
                "AND id NOT IN (SELECT value FROM json_each(?))"
            )
            params = (account, listed, ids)
            db.execute(f"DELETE FROM number_search WHERE rowid IN (SELECT rid {gone})", params)
            db.execute(f"DELETE {gone}", params)
            db.execute(_SEARCH_OF_ACCOUNT, (account,))

        await self._write(work)

    @staticmethod
    def _write_rows(
        db: sqlite3.Connection, statement: str, rows: Sequence[Sequence[Any]], columns: int
    ) -> None:
        """``statement`` (with ``{values}``) over ``rows`` of ``columns`` values, in
        order, a few statements of many rows each (`_chunks`)."""
        most = min(_MOST_ROWS, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // columns)
        for chunk in _chunks(rows, most):
            values = [value for row in chunk for value in row]
            db.execute(_of_rows(statement, len(chunk), columns), values).close()

    @classmethod
    def _upsert(
        cls, db: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]
    ) -> list[tuple[Any, Any]]:
        """``rows`` (`_row`) written over the inventory's rows; the keys written. Of a
        number twice in ``rows``, the last: one statement does not see its own rows."""
        latest = list({(row[1], row[2]): row for row in rows}.values())
        cls._write_rows(db, _NUMBERS_OF_ROWS, latest, 8)
        return [(row[1], row[2]) for row in latest]

    @classmethod
    def _put(cls, db: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> None:
        """Record ``rows`` (`_row`) in the inventory and the search index, in order."""
        cls._write_rows(db, _SEARCH_OF_ROWS, cls._upsert(db, rows), 2)

    async def put_number(self, account: str, number: PhoneNumber, read_at: datetime) -> None:
        """Record one number as just read."""
        row = self._row(account, number, read_at)
        await self._write(lambda db: self._put(db, (row,)), quick=True)

    @staticmethod
    def _stored(row: tuple[Any, ...]) -> StoredNumber:
        account, data, raw, read_at = row
        number = number_from_fields(json.loads(data), raw)
        return StoredNumber(account, number, datetime.fromisoformat(read_at))

    async def get_number(self, account: str, number_id: str) -> StoredNumber | None:
        """One number by vendor id."""

        def work(db: sqlite3.Connection) -> tuple[Any, ...] | None:
            row: tuple[Any, ...] | None = db.execute(
                "SELECT account, data, raw, read_at FROM numbers WHERE account=? AND id=?",
                (account, number_id),
            ).fetchone()
            return row

        row = await self._run(work, quick=True)
        return None if row is None else self._stored(row)

    #: A search whose index query finds at most this many numbers reads just those
    #: (then sorts them); more, and it walks the inventory in order, checking each
    #: against the index, until a page is full: both read few rows, found or not.
    search_driven_max = 5000

    async def query_numbers(
        self, query: NumberQuery, after: NumberKey | None, limit: int
    ) -> list[StoredNumber]:
        """Up to ``limit`` numbers matching ``query`` in key order after ``after``."""
        if not query.accounts:
            return []
        # Unary + keeps SQLite from reading the accounts through numbers_by_id and then
        # sorting all of them: in key order, a page ends as soon as it is full.
        where = [f"+n.account IN ({_placeholders(query.accounts)})"]
        params: list[Any] = list(query.accounts)
        match = _match(query)
        either: list[str] = []
        if query.e164 is not None:
            either.append("n.e164 = ?")
            params.append(query.e164)
        elif match is None:
            # A label or run of digits under three characters: no trigram to look up.
            if query.label is not None:
                either.append("instr(lower(n.label), lower(?)) > 0")
                params.append(query.label)
            if query.digits is not None:
                either.append("instr(n.e164, ?) > 0")
                params.append(query.digits)
        if either:
            where.append("(" + " OR ".join(either) + ")")
        if query.providers:
            where.append(f"n.provider IN ({_placeholders(query.providers)})")
            params.extend(query.providers)
        if query.numbers:
            where.append(f"n.e164 IN ({_placeholders(query.numbers)})")
            params.extend(query.numbers)
        for field in query.has:
            where.append("json_extract(n.data, ?) IS NOT NULL")
            params.append(f"$.{field}")
        for field in query.missing:
            where.append("json_extract(n.data, ?) IS NULL")
            params.append(f"$.{field}")
        if after is not None:
            where.append("(n.e164, n.account, n.id) > (?, ?, ?)")
            params.extend(after)
        order = " ORDER BY n.e164, n.account, n.id LIMIT ?"
        columns = "SELECT n.account, n.data, n.raw, n.read_at FROM "
        driven_max = self.search_driven_max

        def work(db: sqlite3.Connection) -> list[tuple[Any, ...]]:
            if match is None or query.e164 is not None:
                sql = columns + "numbers n WHERE " + " AND ".join(where) + order
                return db.execute(sql, [*params, limit]).fetchall()
            found = db.execute(
                "SELECT count(*) FROM (SELECT 1 FROM number_search WHERE number_search "
                "MATCH ? LIMIT ?)",
                (match, driven_max + 1),
            ).fetchone()[0]
            if found <= driven_max:
                # Few matches: read those (the join order forced), then sort them.
                sql = (
                    columns + "number_search s CROSS JOIN numbers n "
                    "WHERE s.number_search MATCH ? AND n.rid = s.rowid AND "
                    + " AND ".join(where)
                    + order
                )
                return db.execute(sql, [match, *params, limit]).fetchall()
            # Many: the inventory in order, each number looked up in the matches (unary
            # +: the matches' rowids a set to test, not a list to read and then sort).
            sql = (
                columns + "numbers n WHERE +n.rid IN (SELECT rowid FROM number_search "
                "WHERE number_search MATCH ?) AND " + " AND ".join(where) + order
            )
            return db.execute(sql, [match, *params, limit]).fetchall()

        return [self._stored(row) for row in await self._run(work)]

    async def count_numbers(self, account: str) -> int:
        """How many numbers the account holds in the inventory."""

        def work(db: sqlite3.Connection) -> int:
            row = db.execute("SELECT count(*) FROM numbers WHERE account=?", (account,))
            return int(row.fetchone()[0])

        return await self._run(work)

    async def set_health(self, health: AccountHealth) -> None:
        """Record an account's health."""
        row = (
            health.account,
            _time(health.last_success_at),
            _time(health.last_error_at),
            health.last_error,
        )
        await self._write(
            lambda db: db.execute("INSERT OR REPLACE INTO health VALUES (?,?,?,?)", row),
            quick=True,
        )

    async def health(self, account: str) -> AccountHealth:
        """An account's health."""

        def work(db: sqlite3.Connection) -> tuple[Any, ...] | None:
            row: tuple[Any, ...] | None = db.execute(
                "SELECT last_success_at, last_error_at, last_error FROM health WHERE account=?",
                (account,),
            ).fetchone()
            return row

        row = await self._run(work, quick=True)
        if row is None:
            return AccountHealth(account)
        return AccountHealth(account, _parse(row[0]), _parse(row[1]), row[2])

    # ------------------------------------------------------------ audit

    @classmethod
    def _append(cls, db: sqlite3.Connection, entries: Sequence[AuditEntry]) -> None:
        cls._write_rows(db, _AUDIT_OF_ROWS, [audit_row(e, SQLITE) for e in entries], 12)

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries to the trail."""
        if entries:
            await self._write(lambda db: self._append(db, entries), quick=len(entries) == 1)

    @classmethod
    def _record(
        cls,
        db: sqlite3.Connection,
        *,
        entries: Sequence[AuditEntry],
        rows: Sequence[tuple[Any, ...]],
    ) -> None:
        cls._append(db, entries)
        cls._put(db, rows)

    async def record_write(self, entry: AuditEntry, number: PhoneNumber, read_at: datetime) -> None:
        """The entry and the number in one transaction.

        A single edit's (``entry.job`` None) commits inline, before this returns: no
        thread switches. A change set's or a migration's writes are group-committed
        (`GroupCommit`) in the worker thread, a few statements a table for each batch
        (`_chunks`).
        """
        row = self._row(entry.account, number, read_at)
        if entry.job is None:
            await self._write(
                functools.partial(self._record, entries=(entry,), rows=(row,)), quick=True
            )
            return
        await self._group.add(entry, row)

    async def _commit_batch(
        self, entries: Sequence[AuditEntry], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        await self._write(functools.partial(self._record, entries=entries, rows=rows))

    async def settle(self, job: str) -> None:
        """Wait until every write `record_write` took is committed; raise the error of
        a failed commit that held writes of ``job`` (once)."""
        await self._group.settle(job)

    async def query_audit(
        self, query: AuditQuery, after: int | None, limit: int
    ) -> list[AuditEntry]:
        """Entries matching ``query``, oldest first."""
        if not query.accounts:
            return []
        where, params = audit_where(query, after, SQLITE)
        sql = f"SELECT seq, {AUDIT_COLUMNS} FROM audit WHERE " + where + " ORDER BY seq LIMIT ?"
        params.append(limit)

        def work(db: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return db.execute(sql, params).fetchall()

        return [audit_entry(r, SQLITE) for r in await self._run(work)]

    # ------------------------------------------------------------ jobs

    async def save_job(self, job: Job) -> None:
        """Store a new job."""
        row = job_row(job, SQLITE)
        await self._write(
            lambda db: db.execute(
                f"INSERT INTO jobs ({JOB_COLUMNS}) VALUES ({_placeholders(row)})", row
            )
        )

    async def get_job(self, job_id: str) -> Job | None:
        """A job by id."""

        def work(db: sqlite3.Connection) -> tuple[Any, ...] | None:
            row: tuple[Any, ...] | None = db.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE id=?", (job_id,)
            ).fetchone()
            return row

        row = await self._run(work, quick=True)
        return None if row is None else job_from_row(row, SQLITE)

    async def jobs_in(self, states: Sequence[str]) -> list[Job]:
        """Jobs in any of ``states``, oldest first."""

        def work(db: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return db.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ({_placeholders(states)}) "
                "ORDER BY created_at",
                list(states),
            ).fetchall()

        return [job_from_row(row, SQLITE) for row in await self._run(work)]

    async def claim_job(self, job_id: str, from_states: Sequence[str], to_state: str) -> bool:
        """Compare-and-set of a job's state."""

        def work(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                f"UPDATE jobs SET state=? WHERE id=? AND state IN ({_placeholders(from_states)})",
                [to_state, job_id, *from_states],
            )
            return cursor.rowcount == 1

        return await self._write(work, quick=True)

    async def update_job(
        self,
        job_id: str,
        *,
        state: str | None = None,
        progress: Mapping[str, Any] | None = None,
        report: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a job's state, progress or report."""
        sets: list[str] = ["updated_at=?"]
        params: list[Any] = [datetime.now().astimezone().isoformat()]
        for column, value in (("progress", progress), ("report", report)):
            if value is not None:
                sets.append(f"{column}=?")
                params.append(_json(dict(value)))
        if state is not None:
            sets.append("state=?")
            params.append(state)
        params.append(job_id)
        await self._write(
            lambda db: db.execute(f"UPDATE jobs SET {', '.join(sets)} WHERE id=?", params)
        )

    def journal(self, job_id: str, account: str) -> Path:
        """The engine's SQLite journal file of one part of a job."""
        folder = self.path.with_name(self.path.name + ".journals")
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{job_id}-{account}.sqlite"

    # ------------------------------------------------------------ leases

    async def take_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Hold ``name`` for ``seconds`` as ``owner`` (one UPSERT: processes sharing
        the file see one winner)."""

        def work(db: sqlite3.Connection) -> bool:
            now = time.time()
            row = db.execute(
                "INSERT INTO leases VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "owner=excluded.owner, expires_at=excluded.expires_at "
                "WHERE leases.owner=excluded.owner OR leases.expires_at < ? RETURNING owner",
                (name, owner, now + seconds, now),
            ).fetchall()
            return bool(row)

        return await self._write(work)

    async def release_lease(self, name: str, owner: str) -> None:
        """Let go of ``name`` if ``owner`` holds it."""
        await self._write(
            lambda db: db.execute("DELETE FROM leases WHERE name=? AND owner=?", (name, owner))
        )

    async def lease_holder(self, name: str) -> str | None:
        """Who holds ``name``."""

        def work(db: sqlite3.Connection) -> str | None:
            row = db.execute("SELECT owner FROM leases WHERE name=?", (name,)).fetchone()
            return None if row is None else str(row[0])

        return await self._run(work)

    # ------------------------------------------------------------ sessions

    async def save_session(self, session: Session) -> None:
        """Store a session, under its id's hash (`session_key`)."""
        row = (
            session_key(session.id),
            session.token_name,
            session.created_at.isoformat(),
            session.expires_at.isoformat(),
            json.dumps(dict(session.data)),
        )
        await self._write(
            lambda db: db.execute("INSERT INTO sessions VALUES (?,?,?,?,?)", row), quick=True
        )

    async def get_session(self, session_id: str) -> Session | None:
        """A live session by id."""

        def work(db: sqlite3.Connection) -> tuple[Any, ...] | None:
            row: tuple[Any, ...] | None = db.execute(
                "SELECT id, token_name, created_at, expires_at, data FROM sessions WHERE id=?",
                (session_key(session_id),),
            ).fetchone()
            return row

        row = await self._run(work, quick=True)
        if row is None:
            return None
        session = Session(
            session_id,
            row[1],
            datetime.fromisoformat(row[2]),
            datetime.fromisoformat(row[3]),
            json.loads(row[4]),
        )
        return session if session.expires_at > datetime.now(session.expires_at.tzinfo) else None

    async def delete_session(self, session_id: str) -> None:
        """End a session."""
        await self._write(
            lambda db: db.execute("DELETE FROM sessions WHERE id=?", (session_key(session_id),)),
            quick=True,
        )
