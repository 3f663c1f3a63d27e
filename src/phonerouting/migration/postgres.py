"""The PostgreSQL migration journal: one migration shared by several workers.

``journal="postgresql://user@host/db?journal=NAME"`` (or ``--journal`` with the same
URL) records a migration in a PostgreSQL database instead of an SQLite file. Any number
of workers, on any machines, started with the same URL and the same migration split its
numbers between them:

* **Claims.** A worker takes a few steps at a time (``SELECT … FOR UPDATE SKIP LOCKED``):
  each claimed step's row gets the worker's id (``owner``) and a lease
  (``lease_until``). Every move is conditional on the step still being in the state
  the worker read and still being its own, so no two workers write one number.
* **Leases.** A worker renews its leases every third of the lease (``lease=`` seconds,
  30 by default). A worker that dies (SIGKILL, a lost machine) stops renewing them, and
  once they run out its steps are claimed by the others; a step it was writing is read
  back first and only written when it does not hold the planned values yet (compare
  before write), so a write that landed before the crash is confirmed, not repeated.
* **The end.** A worker ends once no step is left to claim and no other live worker
  holds one: the run is over when every number is done, whichever worker did it. A
  number a worker failed (or left as changed) is not retried by the other workers of the
  same run; running the command again retries it, as with a file.
* **A shared rate limit.** With ``max_requests_per_second``, every request of every
  worker first takes its turn from one row of the database (``journal_rate``, a
  reservation-style token bucket: the row holds the next free slot, each request moves
  it on by ``1 / rate``), so the workers together stay within the rate, whatever their
  number.

The database holds routing values, the steps' states and the workers' ids (host, pid);
never a credential: the URL's password is used to connect and shown as ``***``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import socket
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from phonerouting.errors import ConfigurationError
from phonerouting.inputs import in_range
from phonerouting.migration.journal import (
    NewStep,
    Step,
    StepState,
    check_transition,
    normalized,
)
from phonerouting.postgres.connection import _driver, open_pool, redacted, scrubbed, split_url
from phonerouting.postgres.schema import upgrade

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

__all__ = ["DEFAULT_LEASE", "PostgresJournal"]

logger = logging.getLogger("phonerouting.migration")

#: How long a claim holds without being renewed, in seconds.
DEFAULT_LEASE = 30.0
#: The journal name of a URL that gives none.
DEFAULT_NAME = "default"
#: The URL's query parameters that are the journal's, not the driver's.
_OPTIONS = ("journal", "lease")

_S = StepState
#: Where a step is while a worker writes it: a worker holds it there.
_BUSY = frozenset({_S.WRITING, _S.ROLLING_BACK})
#: The outcomes a run leaves a step in that the next run (not another worker of this
#: one) retries.
_SETTLED = (_S.FAILED, _S.CHANGED, _S.ROLLBACK_FAILED, _S.ROLLBACK_CHANGED)
#: The states only a rollback moves a step to: once one is in the journal, no apply
#: worker sends another write (its move to ``writing`` is refused) or claims again.
_ROLLED = (_S.ROLLING_BACK, _S.ROLLED_BACK, _S.ROLLBACK_FAILED, _S.ROLLBACK_CHANGED)

_COLUMNS = "number, target_id, prior, desired, state, result, error, writes, restore, sent"
_HINT = (
    "Check that the PostgreSQL server is up and reachable, then run the same command with "
    "the same journal: it resumes where it stopped."
)
#: Where a step may be claimed: in one of ``states``, held by nobody (or by a worker
#: whose lease ran out), not an outcome another worker of this run reached, and, for
#: ``sent_only`` states, with a write sent. Shared by `claim` and `held`.
_CLAIMABLE = """
    journal = %(journal)s AND state = ANY(%(states)s)
    AND NOT (state = ANY(%(settled)s) AND updated_at >= %(opened)s)
    AND (sent OR NOT state = ANY(%(sent_only)s))
"""


def _step(row: Sequence[Any]) -> Step:
    number, target_id, prior, desired, state, result, error, writes, restore, sent = row
    return Step(
        number,
        target_id,
        prior,
        desired,
        state,
        result,
        error,
        writes,
        {} if restore is None else restore,
        bool(sent),
    )


def _worker_id() -> str:
    # Host and pid say which worker holds a step (to whoever looks at the table); the
    # random part keeps a restarted process (same pid, another run) apart.
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class PostgresJournal:
    """A `SharedJournalStore` in a PostgreSQL database (psycopg 3, async, pooled).

    ``url`` is a PostgreSQL URL; its ``journal`` parameter names the migration within
    the database (several migrations may share one database), ``lease`` the seconds a
    claim holds unrenewed; the keyword arguments win over the URL's. The schema is
    created (or upgraded) on `open`, and a database upgraded by a newer phonerouting is
    refused (`phonerouting.postgres.SchemaTooNewError`).

    Like the SQLite journal, a move is durable against the worker's crash once it
    returns (the server has committed it); ``durable=True`` also waits for the server to
    flush it to disk (``synchronous_commit``), for the server's own crash or power loss,
    at the price of a flush per commit.
    """

    def __init__(
        self,
        url: str,
        *,
        journal: str | None = None,
        lease: float | None = None,
        pool_size: int = 10,
        durable: bool = False,
    ) -> None:
        self._url, options = split_url(url, _OPTIONS)
        self.journal = journal if journal is not None else options.get("journal", DEFAULT_NAME)
        if not self.journal:
            raise ConfigurationError(
                "the journal name (journal=) must not be empty",
                hint="Name the migration: postgresql://…/db?journal=NAME.",
            )
        if lease is None:
            text = options.get("lease", str(DEFAULT_LEASE))
            try:
                lease = float(text)
            except ValueError:
                lease = math.nan
        if not in_range(lease, 0, 86400, low_open=True):
            raise ConfigurationError(
                f"the journal's lease must be a number of seconds above 0, not {lease!r}",
                hint="Give lease=SECONDS in the journal URL (30 by default), or leave it out.",
            )
        self.lease = lease
        self.durable = durable
        self.name = redacted(url)
        #: This worker's id, recorded as the owner of the steps it holds.
        self.worker = _worker_id()
        self._pool_size = max(2, pool_size)
        self._pool: AsyncConnectionPool | None = None
        self._opened: datetime | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._queue: list[tuple[tuple[Any, ...], asyncio.Future[bool]]] = []
        self._flusher: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"PostgresJournal({self.name!r})"

    # ------------------------------------------------------------ connections

    @contextlib.asynccontextmanager
    async def _db(self) -> AsyncIterator[AsyncConnection[Any]]:
        assert self._pool is not None, "the journal is not open"
        driver = _driver()
        try:
            async with self._pool.connection() as db:
                yield db
        except driver.Error as exc:
            # A server gone mid-run stops the run with a typed error, never psycopg's.
            raise ConfigurationError(
                f"the journal {self.name!r} cannot be used: {scrubbed(str(exc), self._url)}",
                hint=_HINT,
            ) from None

    async def open(self, *, shared: bool = False) -> None:
        """Connect, create or upgrade the schema, and (for a run that writes) start
        renewing this worker's claims. Any number of runs may hold the journal at once.

        Raises:
            phonerouting.postgres.DatabaseError: the server cannot be reached.
            phonerouting.postgres.SchemaTooNewError: a newer phonerouting upgraded it.
        """
        await asyncio.to_thread(upgrade, self._url)
        # As the SQLite journal: a commit is durable against the worker's crash once the
        # server has it (synchronous_commit off: the server's own crash may lose its
        # last fraction of a second, which the compare before write then covers), and
        # flushed to disk before it returns only with durable=True.
        settings = None if self.durable else {"synchronous_commit": "off"}
        self._pool = await open_pool(self._url, max_size=self._pool_size, settings=settings)
        try:
            async with self._db() as db:
                cursor = await db.execute("SELECT clock_timestamp()")
                row = await cursor.fetchone()
                assert row is not None
                self._opened = row[0]
        except BaseException:
            await self._pool.close()
            self._pool = None
            raise
        if not shared:
            self._heartbeat = asyncio.ensure_future(self._renew())

    async def close(self) -> None:
        """Give back the steps this worker still holds (another worker takes them at
        once, not after the lease) and disconnect."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(BaseException):
                await self._flusher
        for _, waiter in self._queue:
            waiter.cancel()
        self._queue = []
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(BaseException):
                await self._heartbeat
            self._heartbeat = None
        if self._pool is None:
            return
        try:
            async with self._db() as db:
                await db.execute(
                    "UPDATE journal_steps SET owner = NULL, lease_until = NULL "
                    "WHERE journal = %s AND owner = %s",
                    (self.journal, self.worker),
                )
        except (Exception, asyncio.CancelledError) as exc:
            # Unreleased claims are not lost: they run out after the lease.
            logger.warning("journal %s: claims not released on close: %s", self.name, exc)
        finally:
            await self._pool.close()
            self._pool = None

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                async with self._db() as db:
                    await db.execute(
                        "UPDATE journal_steps SET lease_until = clock_timestamp() "
                        "+ make_interval(secs => %s) WHERE journal = %s AND owner = %s",
                        (self.lease, self.journal, self.worker),
                    )
            except ConfigurationError as exc:
                # The next renewal may get through; meanwhile the moves of this worker
                # still check that the steps are its own.
                logger.warning("journal %s: claims not renewed: %s", self.name, exc)

    # ------------------------------------------------------------ JournalStore

    async def meta(self) -> dict[str, str]:
        """See `JournalStore.meta`."""
        async with self._db() as db:
            cursor = await db.execute(
                "SELECT meta FROM journal_runs WHERE journal = %s", (self.journal,)
            )
            row = await cursor.fetchone()
        return {} if row is None else {str(k): str(v) for k, v in row[0].items()}

    async def start(self, meta: Mapping[str, str], steps: Sequence[NewStep]) -> bool:
        """See `JournalStore.start`. Workers starting together: one records the run,
        the others find it (and resume it)."""
        async with self._db() as db, db.transaction():
            cursor = await db.execute(
                "INSERT INTO journal_runs (journal, meta) VALUES (%s, %s::jsonb) "
                "ON CONFLICT DO NOTHING",
                (self.journal, _json(meta)),
            )
            if cursor.rowcount != 1:
                return False
            async with db.cursor().copy(
                "COPY journal_steps (journal, number, target_id, prior, desired, state) FROM STDIN"
            ) as copy:
                for number, target_id, prior, desired in steps:
                    await copy.write_row(
                        (self.journal, number, target_id, _json(prior), _json(desired), "planned")
                    )
        return True

    async def add_steps(self, steps: Sequence[NewStep]) -> None:
        """See `JournalStore.add_steps` (a step another worker added already is kept)."""
        if not steps:
            return
        async with self._db() as db, db.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO journal_steps (journal, number, target_id, prior, desired, state) "
                "VALUES (%s, %s, %s, %s::jsonb, %s::jsonb, 'planned') ON CONFLICT DO NOTHING",
                [(self.journal, n, t, _json(p), _json(d)) for n, t, p, d in steps],
            )

    async def replan(
        self, number: str, prior: Mapping[str, Any], desired: Mapping[str, Any]
    ) -> None:
        """See `JournalStore.replan`."""
        async with self._db() as db:
            await db.execute(
                "UPDATE journal_steps SET prior = %s::jsonb, desired = %s::jsonb, "
                "updated_at = clock_timestamp() WHERE journal = %s AND number = %s",
                (_json(prior), _json(desired), self.journal, number),
            )

    async def drop(self, number: str) -> None:
        """See `JournalStore.drop`."""
        async with self._db() as db:
            await db.execute(
                "DELETE FROM journal_steps WHERE journal = %s AND number = %s AND NOT sent",
                (self.journal, number),
            )

    async def steps(self, *states: StepState) -> list[Step]:
        """See `JournalStore.steps`."""
        query = f"SELECT {_COLUMNS} FROM journal_steps WHERE journal = %s"
        args: tuple[Any, ...] = (self.journal,)
        if states:
            query += " AND state = ANY(%s)"
            args += ([StepState(s).value for s in states],)
        async with self._db() as db:
            cursor = await db.execute(query + " ORDER BY number", args)
            rows = await cursor.fetchall()
        return [_step(row) for row in rows]

    async def counts(self) -> dict[StepState, int]:
        """See `JournalStore.counts`."""
        async with self._db() as db:
            cursor = await db.execute(
                "SELECT state, COUNT(*) FROM journal_steps WHERE journal = %s GROUP BY state",
                (self.journal,),
            )
            rows = await cursor.fetchall()
        return {StepState(state): count for state, count in rows}

    async def mark(
        self,
        number: str,
        state: StepState,
        *,
        previous: StepState,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
        wrote: bool = False,
        prior: Mapping[str, Any] | None = None,
        restore: Mapping[str, Any] | None = None,
        sent: bool = False,
    ) -> bool:
        """See `JournalStore.mark`: a conditional UPDATE, committed before it returns.

        A move into a write (``writing``, ``rolling_back``) needs the step to be this
        worker's claim, and renews it; any other move needs the step to be this
        worker's, nobody's, or a worker's whose lease ran out, and releases it. Either
        needs the step still in ``previous``. False, changing nothing, otherwise.

        Moves are group-committed, as in `SQLiteJournal`: those this worker's tasks make
        while one statement is under way go together in the next (one round trip and one
        commit for many steps; each move keeps its own conditions).
        """
        check_transition(number, previous, state)
        move = (
            number,
            StepState(state).value,
            StepState(previous).value,
            None if result is None else _json(result),
            error,
            int(wrote),
            None if prior is None else _json(prior),
            None if restore is None else _json(restore),
            sent,
            StepState(state) in _BUSY,
        )
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._queue.append((move, waiter))
        if self._flusher is None:
            self._flusher = asyncio.ensure_future(self._flush())
        return await waiter

    async def _flush(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue, []
                try:
                    moved = await self._move_many([move for move, _ in batch])
                except BaseException as exc:
                    for _, waiter in batch:
                        if waiter.done():
                            continue
                        if isinstance(exc, Exception):
                            waiter.set_exception(exc)
                        else:  # cancelled: closing
                            waiter.cancel()
                    if not isinstance(exc, Exception):
                        raise
                else:
                    for move, waiter in batch:
                        if not waiter.done():
                            waiter.set_result(move[0] in moved)
                # Let the tasks just answered run on (and send their requests) before the
                # next statement: the moves they make next join it.
                await asyncio.sleep(0)
        finally:
            self._flusher = None

    async def _move_many(self, moves: list[tuple[Any, ...]]) -> set[str]:
        columns = list(zip(*moves, strict=True))
        async with self._db() as db:
            cursor = await db.execute(
                "UPDATE journal_steps s SET state = m.state, "
                "result = COALESCE(m.result::jsonb, s.result), error = m.error, "
                "writes = s.writes + m.wrote, prior = COALESCE(m.prior::jsonb, s.prior), "
                "restore = COALESCE(m.restore::jsonb, s.restore), sent = s.sent OR m.sent, "
                "updated_at = clock_timestamp(), "
                "owner = CASE WHEN m.busy THEN s.owner END, "
                "lease_until = CASE WHEN m.busy "
                "THEN clock_timestamp() + make_interval(secs => %(lease)s) END "
                "FROM unnest(%(number)s::text[], %(state)s::text[], %(previous)s::text[], "
                "%(result)s::text[], %(error)s::text[], %(wrote)s::int[], %(prior)s::text[], "
                "%(restore)s::text[], %(sent)s::bool[], %(busy)s::bool[]) "
                "AS m(number, state, previous, result, error, wrote, prior, restore, sent, busy) "
                "WHERE s.journal = %(journal)s AND s.number = m.number "
                "AND s.state = m.previous AND CASE WHEN m.busy THEN s.owner = %(worker)s "
                "ELSE s.owner IS NULL OR s.owner = %(worker)s "
                "OR s.lease_until < clock_timestamp() END "
                "AND (m.state <> 'writing' OR NOT EXISTS (SELECT 1 FROM journal_steps r "
                "WHERE r.journal = %(journal)s AND r.state = ANY(%(rolled)s))) "
                "RETURNING s.number",
                {
                    "number": list(columns[0]),
                    "state": list(columns[1]),
                    "previous": list(columns[2]),
                    "result": list(columns[3]),
                    "error": list(columns[4]),
                    "wrote": list(columns[5]),
                    "prior": list(columns[6]),
                    "restore": list(columns[7]),
                    "sent": list(columns[8]),
                    "busy": list(columns[9]),
                    "lease": self.lease,
                    "journal": self.journal,
                    "worker": self.worker,
                    "rolled": [s.value for s in _ROLLED],
                },
            )
            rows = await cursor.fetchall()
        return {row[0] for row in rows}

    # ------------------------------------------------------------ SharedJournalStore

    def _where(self, states: Sequence[StepState], sent_only: Sequence[StepState]) -> dict[str, Any]:
        return {
            "journal": self.journal,
            "states": [StepState(s).value for s in states],
            "settled": [s.value for s in _SETTLED],
            "opened": self._opened,
            "sent_only": [StepState(s).value for s in sent_only],
            "worker": self.worker,
            "lease": self.lease,
        }

    async def claim(
        self, states: Sequence[StepState], limit: int, *, sent_only: Sequence[StepState] = ()
    ) -> list[Step]:
        """See `SharedJournalStore.claim`: one statement that picks the steps (skipping
        rows another worker is claiming this instant) and records this worker's lease."""
        args = self._where(states, sent_only) | {"limit": max(1, limit)}
        async with self._db() as db:
            if _S.PLANNED in states:  # an apply: not once a rollback of the journal began
                cursor = await db.execute(
                    "SELECT 1 FROM journal_steps WHERE journal = %s AND state = ANY(%s) LIMIT 1",
                    (self.journal, [s.value for s in _ROLLED]),
                )
                if await cursor.fetchone() is not None:
                    raise ConfigurationError(
                        f"the journal {self.name!r} is being rolled back: this worker stopped "
                        "applying it (the numbers it was writing are finished; no other "
                        "write was sent)",
                        hint="Let the rollback finish; to apply again, use a new journal.",
                    )
            cursor = await db.execute(
                "WITH picked AS ("
                f"  SELECT number FROM journal_steps WHERE {_CLAIMABLE}"
                "   AND (owner IS NULL OR (owner <> %(worker)s "
                "        AND lease_until < clock_timestamp()))"
                "   LIMIT %(limit)s FOR UPDATE SKIP LOCKED) "
                "UPDATE journal_steps s SET owner = %(worker)s, "
                "lease_until = clock_timestamp() + make_interval(secs => %(lease)s) "
                "FROM picked WHERE s.journal = %(journal)s AND s.number = picked.number "
                f"RETURNING {', '.join('s.' + c for c in _COLUMNS.split(', '))}",
                args,
            )
            rows = await cursor.fetchall()
        return sorted((_step(row) for row in rows), key=lambda step: step.number)

    async def held(
        self, states: Sequence[StepState], *, sent_only: Sequence[StepState] = ()
    ) -> float | None:
        """See `SharedJournalStore.held`."""
        async with self._db() as db:
            cursor = await db.execute(
                "SELECT EXTRACT(EPOCH FROM MIN(lease_until) - clock_timestamp()) "
                f"FROM journal_steps WHERE {_CLAIMABLE} "
                "AND owner IS NOT NULL AND owner <> %(worker)s",
                self._where(states, sent_only),
            )
            row = await cursor.fetchone()
        if row is None or row[0] is None:
            return None
        return max(0.0, float(row[0]))

    async def throttle(self, per_second: float) -> None:
        """See `SharedJournalStore.throttle`: this request's slot is the row's next free
        one (or now, when that is past), and the row moves on by ``1 / per_second``."""
        interval = 1.0 / per_second
        async with self._db() as db:
            cursor = await db.execute(
                "INSERT INTO journal_rate AS r (journal, next_at) "
                "VALUES (%(journal)s, clock_timestamp() + make_interval(secs => %(t)s)) "
                "ON CONFLICT (journal) DO UPDATE SET next_at = "
                "GREATEST(r.next_at, clock_timestamp()) + make_interval(secs => %(t)s) "
                "RETURNING EXTRACT(EPOCH FROM r.next_at - clock_timestamp()) - %(t)s",
                {"journal": self.journal, "t": interval},
            )
            row = await cursor.fetchone()
        wait = 0.0 if row is None else float(row[0])
        if wait > 0:
            await asyncio.sleep(wait)


def _json(values: Mapping[str, Any]) -> str:
    return json.dumps(normalized(values), sort_keys=True)
