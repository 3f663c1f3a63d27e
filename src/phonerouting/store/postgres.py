"""The `Store` in a PostgreSQL database, shared by any number of service instances.

Chosen by URL (``phonerouting serve --store postgresql://…``); needs the
``phonerouting[postgresql]`` extra (psycopg 3 and its pool). Every method takes a
connection from one pool per process and does its work in one transaction, so two
instances on one database see each other's writes as soon as they commit:

- a change set claimed by one instance (`claim_job`, a compare-and-set UPDATE) cannot
  be claimed by the other, and a run in progress holds a lease (`take_lease`) that
  keeps another instance from resuming it;
- the audit is one append-only table (a trigger refuses UPDATE, DELETE and TRUNCATE)
  whose ``seq`` comes from an identity column;
- web sessions are keyed by the SHA-256 of their id: the database never holds a
  cookie a browser could present, only what checks one.

Key columns are ``COLLATE "C"``, so the inventory's order (and its cursors) is the
byte order SQLite gives, whatever the database's locale.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from phonerouting.model import PhoneNumber
from phonerouting.postgres import (
    SchemaTooNewError,
    is_url,
    open_pool,
    redacted,
    schema_version,
    upgrade,
)
from phonerouting.store._group import GroupCommit
from phonerouting.store._sql import (
    AUDIT_COLUMNS,
    JOB_COLUMNS,
    POSTGRES,
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
    number_data,
    number_from_fields,
    session_key,
)

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

    from phonerouting.migration.journal import JournalStore

__all__ = ["PostgresStore", "is_postgres_url"]

_NUMBER_COLUMNS = "e164, account, id, provider, label, label_folded, data, raw, read_at"
_INSERT = f"INSERT INTO store_numbers ({_NUMBER_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)"
# A number's row, unless the row held for it was read later (a single edit committed
# while a run's write waited for its group commit): the older copy never replaces the
# newer, on either key.
_PUT = (
    f"INSERT INTO store_numbers ({_NUMBER_COLUMNS}) SELECT %(e164)s, %(account)s, %(id)s, "
    "%(provider)s, %(label)s, %(label_folded)s, %(data)s, %(raw)s, %(read_at)s "
    "WHERE NOT EXISTS (SELECT 1 FROM store_numbers WHERE account = %(account)s "
    "AND id = %(id)s AND read_at > %(read_at)s) "
    "ON CONFLICT (e164, account, id) DO UPDATE SET provider=EXCLUDED.provider, "
    "label=EXCLUDED.label, label_folded=EXCLUDED.label_folded, data=EXCLUDED.data, "
    "raw=EXCLUDED.raw, read_at=EXCLUDED.read_at WHERE store_numbers.read_at <= EXCLUDED.read_at"
)
# A number keeps its vendor id when the vendor renumbers it: its row under the old
# number goes (unless read later, as above).
_RENUMBERED = (
    "DELETE FROM store_numbers WHERE account = %(account)s AND id = %(id)s "
    "AND e164 <> %(e164)s AND read_at <= %(read_at)s"
)
_ROW_KEYS = _NUMBER_COLUMNS.split(", ")


def _number_where(query: NumberQuery, after: NumberKey | None) -> tuple[str, list[Any]]:
    """The conditions selecting ``query``'s numbers after ``after``, and their
    parameters: the same numbers SQLite's search selects. ``query.accounts`` must
    not be empty."""
    params: list[Any] = [list(query.accounts)]
    where = ["account = ANY(%s)"]
    either: list[str] = []
    if query.e164 is not None:
        either.append("e164 = %s")
        params.append(query.e164)
    # A whole number needs no scan of the labels: its index finds it.
    if query.label is not None and query.e164 is None:
        # Lowered by Python on both sides, as SQLite's index folds case: the same
        # answers whatever the database's locale (lower() there follows it).
        either.append("strpos(label_folded, %s) > 0")
        params.append(query.label.lower())
    if query.digits is not None and query.e164 is None:
        either.append("strpos(e164, %s) > 0")
        params.append(query.digits)
    if either:
        where.append("(" + " OR ".join(either) + ")")
    if query.providers:
        where.append("provider = ANY(%s)")
        params.append(list(query.providers))
    if query.numbers:
        where.append("e164 = ANY(%s)")
        params.append(list(query.numbers))
    # ->> is NULL for a missing field and for a JSON null, as SQLite's json_extract.
    for field in query.has:
        where.append("(data ->> %s) IS NOT NULL")
        params.append(field)
    for field in query.missing:
        where.append("(data ->> %s) IS NULL")
        params.append(field)
    if after is not None:
        where.append("(e164, account, id) > (%s, %s, %s)")
        params.extend(after)
    return " AND ".join(where), params


def is_postgres_url(where: object) -> bool:
    """True when ``where`` names a PostgreSQL database (``postgresql://`` or
    ``postgres://``) rather than a SQLite file."""
    return is_url(where)


def _jsonb(value: Any) -> Any:
    return POSTGRES.json(value)


def _utc(value: datetime | None) -> datetime | None:
    # As the service wrote them (UTC), whatever the server's TimeZone setting.
    return None if value is None else value.astimezone(UTC)


#: The advisory lock audit writers take in turn (any fixed key: "prau" in ASCII).
_AUDIT_LOCK = 0x70726175


class PostgresStore:
    """The `phonerouting.store.Store` in the PostgreSQL database at ``url``.

    ``pool_size`` bounds the connections this process opens. The journals of change
    sets and migrations are kept in the same database, so any instance can resume or
    verify a run another one started.
    """

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.pool_size = pool_size
        self._pool: AsyncConnectionPool | None = None
        #: A run's writes, committed together (`record_write`).
        self._group = GroupCommit(self._commit_batch)

    @property
    def name(self) -> str:
        """The database, as messages name it (without a password)."""
        return redacted(self.url)

    def __repr__(self) -> str:
        return f"PostgresStore({self.name!r})"

    # ------------------------------------------------------------ plumbing

    async def _connection_pool(self) -> AsyncConnectionPool:
        if self._pool is None:
            await self.open()
        assert self._pool is not None
        return self._pool

    async def open(self) -> None:
        """Connect, and create or upgrade the schema (idempotent).

        Raises:
            SchemaTooNewError: a newer phonerouting upgraded the database.
            DatabaseError: the database cannot be reached.
        """
        if self._pool is not None:
            return
        await self.upgrade()
        pool = await open_pool(self.url, max_size=self.pool_size, name="phonerouting-store")
        if self._pool is not None:  # another caller opened one meanwhile: one pool only
            await pool.close()
            return
        self._pool = pool

    async def upgrade(self) -> tuple[int, int, str]:
        """Create or upgrade the schema (`phonerouting.postgres.upgrade`, which several
        instances starting at once serialize): its version before and after, and the
        database's name without password."""
        try:
            before = await asyncio.to_thread(schema_version, self.url)
            applied = await asyncio.to_thread(upgrade, self.url)
        except SchemaTooNewError as error:
            raise SchemaTooNewError(
                error.message,
                hint="Run the phonerouting version that upgraded this database (or a newer "
                "one), or give the service another database.",
                cli_hint="Upgrade phonerouting to the version that upgraded this database (or "
                "a newer one), or give --store another database.",
            ) from None
        return before, applied[-1] if applied else before, self.name

    async def close(self) -> None:
        """Close the pool (a run's writes already queued committed first)."""
        await self._group.drain()
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def ping(self) -> None:
        """Raise when the database cannot be reached."""
        pool = await self._connection_pool()
        async with pool.connection() as db:
            await db.execute("SELECT 1")

    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        pool = await self._connection_pool()
        async with pool.connection() as db:
            cursor = await db.execute(sql, params)
            # Annotated: without the postgresql extra installed, psycopg is Any to mypy.
            count: int = cursor.rowcount
            return count

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        pool = await self._connection_pool()
        async with pool.connection() as db:
            cursor = await db.execute(sql, params)
            rows: list[tuple[Any, ...]] = await cursor.fetchall()
            return rows

    async def _fetch_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = await self._fetch(sql, params)
        return rows[0] if rows else None

    # ------------------------------------------------------------ inventory

    @staticmethod
    def _row(account: str, number: PhoneNumber, read_at: datetime) -> tuple[Any, ...]:
        data = number_data(number)
        raw = data.pop("raw", {})
        return (
            number.number,
            account,
            number.id,
            number.provider,
            number.label,
            None if number.label is None else number.label.lower(),
            _jsonb(data),
            _jsonb(raw),
            read_at,
        )

    async def replace_inventory(
        self, account: str, numbers: Sequence[PhoneNumber], read_at: datetime
    ) -> None:
        """The account now holds exactly ``numbers``, but for a number recorded after
        ``read_at`` (one transaction)."""
        rows = [self._row(account, n, read_at) for n in numbers]
        pool = await self._connection_pool()
        async with pool.connection() as db, db.transaction():
            # A row recorded after the listing began (a write that landed while the
            # listing ran) is newer than what the listing read: it stays as it is, and
            # the listing's copy of it goes (DO NOTHING, on either key, as in SQLite).
            await db.execute(
                "DELETE FROM store_numbers WHERE account=%s AND read_at <= %s", (account, read_at)
            )
            async with db.cursor() as cursor:
                await cursor.executemany(_INSERT + " ON CONFLICT DO NOTHING", rows)

    @staticmethod
    async def _put(db: AsyncConnection[Any], rows: Sequence[tuple[Any, ...]]) -> None:
        """Record ``rows`` (`_row`) in the inventory, in order (one row per number, the
        last written: a statement of many rows reads the table as it was before it)."""
        latest = {(row[1], row[2]): dict(zip(_ROW_KEYS, row, strict=True)) for row in rows}
        async with db.cursor() as cursor:
            await cursor.executemany(_RENUMBERED, list(latest.values()))
            await cursor.executemany(_PUT, list(latest.values()))

    async def put_number(self, account: str, number: PhoneNumber, read_at: datetime) -> None:
        """Record one number as just read."""
        row = self._row(account, number, read_at)
        pool = await self._connection_pool()
        async with pool.connection() as db, db.transaction():
            await self._put(db, (row,))

    @staticmethod
    def _stored(row: tuple[Any, ...]) -> StoredNumber:
        account, data, raw, read_at = row
        # The payload as text (raw::text), decoded straight into its read-only form.
        return StoredNumber(account, number_from_fields(data, raw), read_at.astimezone(UTC))

    async def get_number(self, account: str, number_id: str) -> StoredNumber | None:
        """One number by vendor id."""
        row = await self._fetch_one(
            "SELECT account, data, raw::text, read_at FROM store_numbers "
            "WHERE account=%s AND id=%s",
            (account, number_id),
        )
        return None if row is None else self._stored(row)

    async def query_numbers(
        self, query: NumberQuery, after: NumberKey | None, limit: int
    ) -> list[StoredNumber]:
        """Up to ``limit`` numbers matching ``query`` in key order after ``after``."""
        if not query.accounts:
            return []
        where, params = _number_where(query, after)
        params.append(limit)
        rows = await self._fetch(
            "SELECT account, data, raw::text, read_at FROM store_numbers WHERE "
            + where
            + " ORDER BY e164, account, id LIMIT %s",
            params,
        )
        return [self._stored(row) for row in rows]

    async def count_numbers(self, account: str) -> int:
        """How many numbers the account holds in the inventory."""
        row = await self._fetch_one(
            "SELECT count(*) FROM store_numbers WHERE account=%s", (account,)
        )
        assert row is not None
        return int(row[0])

    async def set_health(self, health: AccountHealth) -> None:
        """Record an account's health."""
        await self._execute(
            "INSERT INTO store_health VALUES (%s,%s,%s,%s) ON CONFLICT (account) DO UPDATE "
            "SET last_success_at=EXCLUDED.last_success_at, "
            "last_error_at=EXCLUDED.last_error_at, last_error=EXCLUDED.last_error",
            (health.account, health.last_success_at, health.last_error_at, health.last_error),
        )

    async def health(self, account: str) -> AccountHealth:
        """An account's health."""
        row = await self._fetch_one(
            "SELECT last_success_at, last_error_at, last_error FROM store_health WHERE account=%s",
            (account,),
        )
        if row is None:
            return AccountHealth(account)
        return AccountHealth(account, _utc(row[0]), _utc(row[1]), row[2])

    # ------------------------------------------------------------ audit

    @staticmethod
    async def _append(db: AsyncConnection[Any], entries: Sequence[AuditEntry]) -> None:
        rows = [audit_row(e, POSTGRES) for e in entries]
        # Entries get their seq in commit order: an identity value is taken at insert,
        # so two transactions could otherwise commit out of order, and a reader paging
        # by seq (`after=`) who saw the later one would never see the earlier. The lock
        # is held to the end of this transaction; audit writes from every instance take
        # turns, which at the service's write rates costs a few milliseconds at most.
        await db.execute("SELECT pg_advisory_xact_lock(%s)", (_AUDIT_LOCK,))
        async with db.cursor() as cursor:
            await cursor.executemany(
                f"INSERT INTO store_audit ({AUDIT_COLUMNS}) "
                "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                rows,
            )

    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Append entries to the trail (one transaction)."""
        if not entries:
            return
        pool = await self._connection_pool()
        async with pool.connection() as db, db.transaction():
            await self._append(db, entries)

    async def record_write(self, entry: AuditEntry, number: PhoneNumber, read_at: datetime) -> None:
        """The entry and the number in one transaction.

        A single edit's (``entry.job`` None) commits before this returns. A change
        set's or a migration's writes are group-committed (`GroupCommit`): one
        transaction, and one turn of the audit's lock, for each batch. Committed one
        by one, a run's workers took that lock in turn and the run went no faster
        than one commit at a time (0.2x the library's pace).
        """
        row = self._row(entry.account, number, read_at)
        if entry.job is None:
            await self._commit_batch((entry,), (row,))
        else:
            await self._group.add(entry, row)

    async def _commit_batch(
        self, entries: Sequence[AuditEntry], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        pool = await self._connection_pool()
        async with pool.connection() as db, db.transaction():
            await self._append(db, entries)
            await self._put(db, rows)

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
        where, params = audit_where(query, after, POSTGRES)
        params.append(limit)
        rows = await self._fetch(
            f"SELECT seq, {AUDIT_COLUMNS} FROM store_audit WHERE "
            + where
            + " ORDER BY seq LIMIT %s",
            params,
        )
        return [audit_entry(r, POSTGRES) for r in rows]

    # ------------------------------------------------------------ jobs

    async def save_job(self, job: Job) -> None:
        """Store a new job."""
        await self._execute(
            f"INSERT INTO store_jobs ({JOB_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
            job_row(job, POSTGRES),
        )

    async def get_job(self, job_id: str) -> Job | None:
        """A job by id."""
        row = await self._fetch_one(f"SELECT {JOB_COLUMNS} FROM store_jobs WHERE id=%s", (job_id,))
        return None if row is None else job_from_row(row, POSTGRES)

    async def jobs_in(self, states: Sequence[str]) -> list[Job]:
        """Jobs in any of ``states``, oldest first."""
        rows = await self._fetch(
            f"SELECT {JOB_COLUMNS} FROM store_jobs WHERE state = ANY(%s) ORDER BY created_at",
            (list(states),),
        )
        return [job_from_row(row, POSTGRES) for row in rows]

    async def claim_job(self, job_id: str, from_states: Sequence[str], to_state: str) -> bool:
        """Compare-and-set of a job's state: one UPDATE, which PostgreSQL runs for one
        transaction at a time per row, the other re-checking the state after it."""
        count = await self._execute(
            "UPDATE store_jobs SET state=%s, updated_at=now() WHERE id=%s AND state = ANY(%s)",
            (to_state, job_id, list(from_states)),
        )
        return count == 1

    async def update_job(
        self,
        job_id: str,
        *,
        state: str | None = None,
        progress: Mapping[str, Any] | None = None,
        report: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a job's state, progress or report."""
        sets = ["updated_at=%s"]
        params: list[Any] = [datetime.now(UTC)]
        for column, value in (("progress", progress), ("report", report)):
            if value is not None:
                sets.append(f"{column}=%s")
                params.append(_jsonb(dict(value)))
        if state is not None:
            sets.append("state=%s")
            params.append(state)
        params.append(job_id)
        await self._execute(f"UPDATE store_jobs SET {', '.join(sets)} WHERE id=%s", params)

    def journal(self, job_id: str, account: str) -> JournalStore:
        """The journal of one part of a job, in this database."""
        from phonerouting.migration.postgres import PostgresJournal

        # Few connections: a run makes one journal per part, one part at a time.
        return PostgresJournal(self.url, journal=f"{job_id}/{account}", pool_size=2)

    # ------------------------------------------------------------ leases

    async def take_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Hold ``name`` for ``seconds`` as ``owner`` (renewed when it holds it
        already); False while another owner's lease runs. Expiry is the database's
        clock, so instances on machines whose clocks differ agree on it."""
        row = await self._fetch_one(
            "INSERT INTO store_leases (name, owner, expires_at) "
            "VALUES (%s, %s, now() + make_interval(secs => %s)) "
            "ON CONFLICT (name) DO UPDATE SET owner=EXCLUDED.owner, "
            "expires_at=EXCLUDED.expires_at "
            "WHERE store_leases.owner=EXCLUDED.owner OR store_leases.expires_at < now() "
            "RETURNING owner",
            (name, owner, seconds),
        )
        return row is not None

    async def release_lease(self, name: str, owner: str) -> None:
        """Let go of ``name`` if ``owner`` holds it."""
        await self._execute("DELETE FROM store_leases WHERE name=%s AND owner=%s", (name, owner))

    async def lease_holder(self, name: str) -> str | None:
        """Who holds ``name``."""
        row = await self._fetch_one("SELECT owner FROM store_leases WHERE name=%s", (name,))
        return None if row is None else str(row[0])

    # ------------------------------------------------------------ sessions

    async def save_session(self, session: Session) -> None:
        """Store a session (under its id's hash); expired ones are swept meanwhile."""
        pool = await self._connection_pool()
        async with pool.connection() as db, db.transaction():
            await db.execute("DELETE FROM store_sessions WHERE expires_at < now()")
            await db.execute(
                "INSERT INTO store_sessions VALUES (%s,%s,%s,%s,%s)",
                (
                    session_key(session.id),
                    session.token_name,
                    session.created_at,
                    session.expires_at,
                    _jsonb(dict(session.data)),
                ),
            )

    async def get_session(self, session_id: str) -> Session | None:
        """A live session by id."""
        row = await self._fetch_one(
            "SELECT token_name, created_at, expires_at, data FROM store_sessions WHERE id_hash=%s",
            (session_key(session_id),),
        )
        if row is None:
            return None
        session = Session(
            session_id, row[0], row[1].astimezone(UTC), row[2].astimezone(UTC), row[3]
        )
        return session if session.expires_at > datetime.now(UTC) else None

    async def delete_session(self, session_id: str) -> None:
        """End a session."""
        await self._execute(
            "DELETE FROM store_sessions WHERE id_hash=%s", (session_key(session_id),)
        )
