"""The crash-safe record of a migration: the `JournalStore` interface, its default SQLite
implementation (`SQLiteJournal`, over the file format `Journal`), and the step states.

Every number's step is committed to the journal *before* its write is sent (state
``writing``, with the target's prior values and the values to write) and recorded
*after* it answers (``done`` with the vendor's result, or ``failed`` with the error,
committed with the next batch of moves). A run that is killed at any point, even with
SIGKILL, leaves at most the numbers it was writing, or whose answer was not committed
yet, in state ``writing``; a resumed run re-reads those from the target and only writes
the ones that do not already hold the planned values, so no number is written twice.

WAL mode with ``synchronous=NORMAL`` makes each commit durable against a process crash
(the stated requirement); ``durable=True`` switches to ``synchronous=FULL`` for power
loss too, at the price of an fsync per commit. The journal holds routing values only,
never credentials.

The engine takes any `JournalStore` (``journal=`` of `apply`, `verify_journal` and
`rollback`); a path is the SQLite journal. Every move of a step is checked against one
table, `TRANSITIONS`; an illegal one is a bug (`IllegalTransitionError`), never written.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from phonerouting.errors import ConfigurationError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "TRANSITIONS",
    "IllegalTransitionError",
    "Journal",
    "JournalStore",
    "MemoryJournal",
    "NewStep",
    "SQLiteJournal",
    "SharedJournalStore",
    "Step",
    "StepState",
    "check_transition",
    "normalized",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS steps (
    number     TEXT PRIMARY KEY,
    target_id  TEXT NOT NULL,
    prior      TEXT NOT NULL,
    desired    TEXT NOT NULL,
    state      TEXT NOT NULL,
    result     TEXT,
    error      TEXT,
    writes     INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    restore    TEXT,
    sent       INTEGER NOT NULL DEFAULT 0
);
"""

#: Columns added after the first release, with their definitions: a journal written by
#: an older version gains them when opened (a resume or a rollback across an upgrade).
_ADDED_COLUMNS = (("restore", "TEXT"), ("sent", "INTEGER NOT NULL DEFAULT 0"))


class StepState(StrEnum):
    """The states a step goes through. The values are what journals store (a journal
    written by any earlier version opens as it is)."""

    PLANNED = "planned"
    #: A write is about to go out, or went out and its answer is not recorded yet.
    WRITING = "writing"
    DONE = "done"
    FAILED = "failed"
    #: Not written: the target no longer held the plan's values when read just before.
    CHANGED = "changed"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"
    #: Not restored: the number no longer held what the migration wrote.
    ROLLBACK_CHANGED = "rollback_changed"


_S = StepState
#: Where an apply takes a step it works on (a resume takes failed and changed steps,
#: and steps a crash left writing, again; staying put is a retry that failed again).
_APPLY_MOVES = frozenset({_S.WRITING, _S.DONE, _S.FAILED, _S.CHANGED})
#: Where a rollback takes a step: any step a write of the migration may have reached.
_ROLLBACK_MOVES = frozenset(
    {_S.ROLLING_BACK, _S.ROLLED_BACK, _S.ROLLBACK_FAILED, _S.ROLLBACK_CHANGED}
)

#: The one table of allowed moves: for each state, the states a step in it may move
#: to. Every state check of the engine is read off it (which steps an apply or a
#: rollback works on, which are unfinished, which mean the journal was rolled back).
#: ``done`` and ``rolled_back`` are an apply's and a rollback's ends: a done step only
#: a rollback moves; a rolled-back one nothing does (a new apply needs a new journal).
TRANSITIONS: Mapping[StepState, frozenset[StepState]] = {
    _S.PLANNED: _APPLY_MOVES,
    _S.WRITING: _APPLY_MOVES | _ROLLBACK_MOVES,
    _S.DONE: _ROLLBACK_MOVES,
    _S.FAILED: _APPLY_MOVES | _ROLLBACK_MOVES,
    _S.CHANGED: _APPLY_MOVES | _ROLLBACK_MOVES,
    _S.ROLLING_BACK: _ROLLBACK_MOVES,
    _S.ROLLED_BACK: frozenset(),
    _S.ROLLBACK_FAILED: _ROLLBACK_MOVES,
    _S.ROLLBACK_CHANGED: _ROLLBACK_MOVES,
}

#: The states in which a write may have been sent, for a journal written before the
#: ``sent`` column was recorded (a failure may follow a write; a change never does).
MAY_HAVE_SENT = frozenset({_S.WRITING, _S.FAILED, _S.ROLLING_BACK, _S.ROLLBACK_FAILED})


class IllegalTransitionError(RuntimeError):
    """A step was to move where `TRANSITIONS` does not allow: a bug in the engine or in
    a journal store (one that returned a step in the wrong state), never a user's
    mistake. Nothing was written."""


def check_transition(number: str, old: StepState, new: StepState) -> None:
    """Raise `IllegalTransitionError` unless a step in ``old`` may move to ``new``."""
    if new not in TRANSITIONS[old]:
        raise IllegalTransitionError(f"step {number}: {old.value} -> {new.value} is not allowed")


#: One `Journal.mark`: (number, state, result, error, wrote, prior, restore, sent).
Move = tuple[
    str,
    str,
    Mapping[str, Any] | None,
    str | None,
    bool,
    Mapping[str, Any] | None,
    Mapping[str, Any] | None,
    bool,
]
#: A step to record as planned: (number, target id, values before, values to write).
NewStep = tuple[str, str, Mapping[str, Any], Mapping[str, Any]]

_HINT = "Give a journal file that apply wrote (or a new path for a new migration)."


def _lock(path: Path, *, shared: bool) -> int | None:
    """A lock on the journal, held for as long as the returned descriptor is open.

    Two runs on one journal would both take the same steps and write numbers twice. The
    kernel drops the lock when the process dies, even by SIGKILL, so a resumed run after
    a crash is never locked out. It is taken on ``<journal>.lock`` beside the journal,
    not on the database: closing any descriptor of a database file would drop the POSIX
    locks SQLite holds on it in this process.
    """
    if fcntl is None:  # pragma: no cover - Windows: no advisory locks; one run at a time
        return None
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot open the journal {str(path)!r}: {exc.strerror or exc}", hint=_HINT
        ) from None
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ConfigurationError(
            f"the journal {str(path)!r} is in use by another run",
            hint="Wait for the other run to finish (or stop it), then run this again.",
        ) from None
    return fd


def _refuse_other_databases(db: sqlite3.Connection, path: Path) -> None:
    """Refuse, before changing anything, an SQLite file that is not a journal: a wrong
    path must not gain journal tables (or be switched to WAL)."""
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if names and not {"meta", "steps"} <= names:
        db.close()
        raise ConfigurationError(
            f"{str(path)!r} is an SQLite database but not a phonerouting journal; "
            "it was left unchanged",
            hint=_HINT,
        )


def _add_columns(db: sqlite3.Connection) -> None:
    have = {row[1] for row in db.execute("PRAGMA table_info(steps)")}
    for name, definition in _ADDED_COLUMNS:
        if name not in have:
            try:
                db.execute(f"ALTER TABLE steps ADD COLUMN {name} {definition}")
            except sqlite3.OperationalError as exc:
                # Two verifies opening an old journal at once: one of them added it.
                if "duplicate column" not in str(exc):
                    raise


def _unlock(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)


_RESUME_HINT = (
    "Fix the disk or the file (space, permissions), then run the same command with the "
    "same journal: it resumes where it stopped."
)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _now() -> str:
    return datetime.now(UTC).isoformat()


def normalized(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` as the journal gives them back (tuples become lists), to compare."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def _dump(values: Mapping[str, Any]) -> str:
    return json.dumps(normalized(values), sort_keys=True)


#: One move as the row `Journal.commit_rows` writes: (number, state, result, error,
#: wrote, prior, restore, sent, updated_at), the values already JSON text.
Row = tuple[str, str, str | None, str | None, int, str | None, str | None, int, str]

#: The most moves one statement updates (9 parameters each, well under SQLite's 32,766).
_ROWS_PER_STATEMENT = 500

_UPDATE_ONE = (
    "UPDATE steps SET state = ?2, result = COALESCE(?3, result), error = ?4, "
    "writes = writes + ?5, prior = COALESCE(?6, prior), restore = COALESCE(?7, restore), "
    "sent = MAX(sent, ?8), updated_at = ?9 WHERE number = ?1"
)


@functools.lru_cache(maxsize=64)
def _batch_update(count: int) -> str:
    """The statement that makes ``count`` moves at once (looked up by the primary key)."""
    # Only placeholders are put in the text; every value is a bound parameter.
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * count)
    return _BATCH_UPDATE.replace("{values}", values)


_BATCH_UPDATE = (
    "WITH m(number, state, result, error, wrote, prior, restore, sent, at) AS (VALUES {values}) "
    "UPDATE steps SET state = m.state, result = COALESCE(m.result, steps.result), "
    "error = m.error, writes = steps.writes + m.wrote, "
    "prior = COALESCE(m.prior, steps.prior), restore = COALESCE(m.restore, steps.restore), "
    "sent = MAX(steps.sent, m.sent), updated_at = m.at "
    "FROM m WHERE steps.number = m.number"
)


def _row(move: Move) -> Row:
    """A move as the row the journal writes: its values encoded once, where it is made."""
    number, state, result, error, wrote, prior, restore, sent = move
    return (
        number,
        StepState(state).value,
        None if result is None else _dump(result),
        error,
        int(wrote),
        None if prior is None else _dump(prior),
        None if restore is None else _dump(restore),
        int(sent),
        _now(),
    )


@attrs.frozen
class Step:
    """One number's row in the journal."""

    number: str
    target_id: str
    prior: dict[str, Any]
    desired: dict[str, Any]
    state: StepState = attrs.field(converter=StepState)
    result: dict[str, Any] | None
    error: str | None
    writes: int
    #: The vendor state beyond the normalized fields that restores the number exactly
    #: (`Adapter.restorable_state`), as found just before the write; empty when none.
    restore: dict[str, Any] = attrs.Factory(dict)
    #: True once a write of this step was sent (it may have landed).
    sent: bool = False


class Journal:
    """A migration journal file. Open with `open`; close with `close`."""

    def __init__(self, path: Path, connection: sqlite3.Connection, lock: int | None) -> None:
        self.path = path
        self._db = connection
        self._lock = lock
        self._identity = _identity(path)

    @classmethod
    def open(cls, path: str | Path, *, durable: bool = False, shared: bool = False) -> Journal:
        """Open (creating if needed) the journal at ``path``, for this run alone.

        ``shared`` is for runs that only read it (verify): any number of them may hold
        it at once, but not while a run that writes does.

        Raises:
            ConfigurationError: the file cannot be opened as a journal, or another run
                (in this or another process) has it open.
        """
        path = Path(path)
        lock = _lock(path, shared=shared)  # before SQLite touches the file
        try:
            # A short busy timeout: the lock keeps other runs out, so a locked database
            # means something else holds the file, and each wait would block the event
            # loop.
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=1.0)
            _refuse_other_databases(db, path)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            db.executescript(_SCHEMA)
            _add_columns(db)
        except sqlite3.Error as exc:
            _unlock(lock)
            raise ConfigurationError(
                f"cannot open the journal {str(path)!r}: {exc}", hint=_HINT
            ) from None
        except BaseException:
            _unlock(lock)
            raise
        return cls(path, db, lock)

    def close(self) -> None:
        """Close the file and release it for another run."""
        self._db.close()
        _unlock(self._lock)

    @contextmanager
    def _writing(self) -> Iterator[None]:
        # A journal that cannot be read or written (disk full, file removed or made
        # read-only mid-run) stops the run with a typed error, never a sqlite3 one.
        try:
            yield
        except sqlite3.Error as exc:
            raise ConfigurationError(
                f"the journal {str(self.path)!r} cannot be used: {exc}",
                hint=_RESUME_HINT,
            ) from None

    def _check_still_there(self) -> None:
        # SQLite goes on writing into a file that was deleted or replaced under it, and
        # the run would end "done" with a journal nobody can resume or roll back.
        if _identity(self.path) != self._identity:
            raise ConfigurationError(
                f"the journal {str(self.path)!r} was removed or replaced during the run; "
                "the numbers written since are not recorded in any file",
                hint=(
                    "Put the journal file back if you can, then run the same command again; "
                    "otherwise compare the target with `migrate verify --from --to`."
                ),
            )

    def meta(self) -> dict[str, str]:
        """The run's identity: its source and target provider names."""
        with self._writing():
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def start(self, meta: Mapping[str, str], steps: Sequence[NewStep]) -> bool:
        """Record a new run: its identity and one ``planned`` step per number.

        Returns False (and changes nothing) when the journal already holds a run; the
        caller then checks that it is the same plan and resumes it.
        """
        if self.meta():
            return False
        now = _now()
        with self._writing(), self._transaction():
            self._db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)", sorted(meta.items())
            )
            self._db.executemany(
                "INSERT INTO steps (number, target_id, prior, desired, state, updated_at) "
                "VALUES (?, ?, ?, ?, 'planned', ?)",
                [(n, t, _dump(p), _dump(d), now) for n, t, p, d in steps],
            )
        return True

    def add_steps(self, steps: Sequence[NewStep]) -> None:
        """Add ``planned`` steps to a run (numbers a resumed run's fresh plan added)."""
        now = _now()
        with self._writing(), self._transaction():
            self._db.executemany(
                "INSERT INTO steps (number, target_id, prior, desired, state, updated_at) "
                "VALUES (?, ?, ?, ?, 'planned', ?)",
                [(n, t, _dump(p), _dump(d), now) for n, t, p, d in steps],
            )

    def replan(self, number: str, prior: Mapping[str, Any], desired: Mapping[str, Any]) -> None:
        """Replace an unfinished step's values (the source changed before a resume)."""
        with self._writing():
            self._db.execute(
                "UPDATE steps SET prior = ?, desired = ?, updated_at = ? WHERE number = ?",
                (_dump(prior), _dump(desired), _now(), number),
            )

    def drop(self, number: str) -> None:
        """Remove a step no write was ever sent for (its number left the migration)."""
        with self._writing():
            self._db.execute("DELETE FROM steps WHERE number = ? AND sent = 0", (number,))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # The connection is in autocommit mode (isolation_level=None) so that every
        # mark() is its own commit; the run's first record is one explicit transaction.
        self._db.execute("BEGIN")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def mark(
        self,
        number: str,
        state: str,
        *,
        result: Mapping[str, Any] | None = None,
        error: str | None = None,
        wrote: bool = False,
        prior: Mapping[str, Any] | None = None,
        restore: Mapping[str, Any] | None = None,
        sent: bool = False,
    ) -> None:
        """Move one step to ``state``, committing at once.

        ``prior`` and ``restore`` replace the values recorded as what the number held
        before the migration (the values found just before its write); ``sent`` records
        that a write is about to go out.
        """
        self.mark_many([(number, state, result, error, wrote, prior, restore, sent)])

    def mark_many(self, moves: Sequence[Move]) -> None:
        """Make several `mark` moves in one commit (all of them or, on an error, none):
        the group commit of `SQLiteJournal`, one fsync for many steps."""
        self.commit_rows([_row(move) for move in moves])

    def commit_rows(self, rows: Sequence[Row]) -> None:
        """Commit moves made into rows (`_row`) in one transaction, in their order.

        One statement updates them all where it can: SQLite releases the interpreter
        lock around each statement it runs, and the thread that commits must take the
        lock back from the event loop after each one, which costs more than the
        statement itself (measured: see docs/performance.md). A batch that moves one
        number twice (none does in an apply or a rollback, whose moves a step makes
        after a durable one are its last) or is very large goes row by row instead.
        """
        self._check_still_there()
        with self._writing():
            if len(rows) <= _ROWS_PER_STATEMENT and len({row[0] for row in rows}) == len(rows):
                # Autocommit: the one statement is its own transaction.
                self._db.execute(_batch_update(len(rows)), [v for row in rows for v in row])
                return
            with self._transaction():
                self._db.executemany(_UPDATE_ONE, rows)

    def steps(self, *states: str) -> Iterator[Step]:
        """The steps, in number order, optionally only those in ``states``."""
        states = tuple(StepState(state).value for state in states)
        query = (
            "SELECT number, target_id, prior, desired, state, result, error, writes, "
            "restore, sent FROM steps"
        )
        args: tuple[str, ...] = ()
        if states:
            query += f" WHERE state IN ({', '.join('?' for _ in states)})"
            args = states
        with self._writing():
            rows = self._db.execute(query + " ORDER BY number", args).fetchall()
        for row in rows:
            number, target_id, prior, desired, state, result, error, writes, restore, sent = row
            yield Step(
                number,
                target_id,
                json.loads(prior),
                json.loads(desired),
                state,
                None if result is None else json.loads(result),
                error,
                writes,
                {} if restore is None else json.loads(restore),
                bool(sent),
            )

    def counts(self) -> dict[StepState, int]:
        """How many steps are in each state."""
        with self._writing():
            rows = self._db.execute("SELECT state, COUNT(*) FROM steps GROUP BY state")
            return {StepState(state): count for state, count in rows.fetchall()}


@runtime_checkable
class JournalStore(Protocol):
    """Where a migration records its steps: what `apply`, `verify_journal` and
    `rollback` need of a journal (their ``journal=`` takes one, or a path for the
    default `SQLiteJournal`).

    The engine calls `open` first and `close` last (also when the run fails or is
    cancelled), and every other method between them, from the event loop: a store
    must not block it (do the I/O in a thread or with an async driver). Values are
    JSON-compatible dicts; a store gives them back as `normalized` does (lists, not
    tuples). A store holds routing values only, never credentials.

    Crash safety is the store's promise to keep: a `mark` with ``sent=True`` returns
    only once the move is durable, since the engine sends a write only after that
    ``writing`` move returned. Any other move may return before it is durable, as the
    SQLite journal's do, if moves become durable in the order they were made and all
    of them by `close`: such a move lost to a crash leaves its step in the state
    before, which a resumed run reads back from the target.
    A store shared by several workers (a database) claims steps through `mark`: it
    makes the move conditional on the step still being in ``previous`` (and, for a
    move that stays in its state, on no other worker holding the step, e.g. by an
    owner or lease column) and returns False when another worker moved it first; the
    engine then leaves that number to the other worker.
    """

    #: How messages name the journal (a path, a database without its password).
    name: str

    async def open(self, *, shared: bool = False) -> None:
        """Take the journal for this run. ``shared``: the run only reads (verify), and
        any number of such runs may hold it at once, but not while a run that writes
        does. Raises `phonerouting.ConfigurationError` when it cannot be opened or is
        in use."""
        ...

    async def close(self) -> None:
        """Release the journal (for another run); the engine calls it exactly once."""
        ...

    async def meta(self) -> dict[str, str]:
        """The run's identity (``source`` and ``target`` provider names); empty for a
        journal that holds no run yet."""
        ...

    async def start(self, meta: Mapping[str, str], steps: Sequence[NewStep]) -> bool:
        """Record a new run: its identity and one ``planned`` step per number, at once.
        Returns False, changing nothing, when the journal already holds a run."""
        ...

    async def add_steps(self, steps: Sequence[NewStep]) -> None:
        """Add ``planned`` steps (numbers a resumed run's fresh plan added)."""
        ...

    async def replan(
        self, number: str, prior: Mapping[str, Any], desired: Mapping[str, Any]
    ) -> None:
        """Replace an unfinished step's values before and to write."""
        ...

    async def drop(self, number: str) -> None:
        """Remove a step, unless a write of it was ever sent."""
        ...

    async def steps(self, *states: StepState) -> list[Step]:
        """The steps in number order, only those in ``states`` when given."""
        ...

    async def counts(self) -> dict[StepState, int]:
        """How many steps are in each state."""
        ...

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
        """Move a step from ``previous`` (a move `TRANSITIONS` allows, checked by the
        engine) to ``state``; durably before it returns when ``sent`` (see the class).
        ``result`` and ``restore`` and ``prior`` replace the recorded values when given;
        ``error`` always does (None clears it); ``wrote`` counts a write the vendor
        answered; ``sent`` records, for good, that a write is about to go out. Returns
        False when the store gave the step to another worker.
        """
        ...


@runtime_checkable
class SharedJournalStore(JournalStore, Protocol):
    """A `JournalStore` that several workers (processes, machines) use at once for one
    migration, such as `phonerouting.migration.postgres.PostgresJournal`.

    The engine does not work through a list of its own then: each worker claims steps
    from the store a few at a time (`claim`), works on them, and claims more until none
    is left; a step another worker holds is left to it, unless that worker stops renewing
    its hold (it died), when it is claimed again and its number read back before any
    write (compare before write). `held` says whether to wait for other workers' steps
    before the run ends; `throttle` paces every request of every worker together.
    """

    async def claim(
        self, states: Sequence[StepState], limit: int, *, sent_only: Sequence[StepState] = ()
    ) -> list[Step]:
        """Take for this worker up to ``limit`` steps in ``states`` that no live worker
        holds and that are not an outcome other workers of this run reached (a step a
        worker failed since this one started is the next run's to retry). Steps in
        ``sent_only`` are taken only when a write of them was sent. Empty when none."""
        ...

    async def held(
        self, states: Sequence[StepState], *, sent_only: Sequence[StepState] = ()
    ) -> float | None:
        """None when no other worker holds a step `claim` could otherwise take; else the
        seconds until the soonest of their holds runs out (0 when one already has)."""
        ...

    async def throttle(self, per_second: float) -> None:
        """Wait for this request's turn under ``per_second`` requests a second shared by
        every worker of this journal."""
        ...


class _Moves:
    """`JournalStore.mark` for the stores here: the move checked against the table (a
    move the engine did not check must not reach the store either), then made."""

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
        """See `JournalStore.mark`."""
        check_transition(number, previous, state)
        return await self._move((number, state, result, error, wrote, prior, restore, sent))

    async def _move(self, move: Move) -> bool:
        raise NotImplementedError


class SQLiteJournal(_Moves):
    """The default `JournalStore`: an SQLite file (`Journal`), worked on in a thread of
    its own so that no SQLite call blocks the event loop.

    Moves are group-committed by the journal's thread: it commits, in one transaction,
    every move queued since its last commit, and goes straight on to the next batch
    while the event loop hands the results out (no round trip through the loop between
    commits). A move that says a write is about to go out (``sent``) returns once its
    commit is done: a write is sent only after its ``writing`` record is durable. Any
    other move (``done``, ``failed``, ``changed``) returns at once and is committed
    with the next batch, and at the latest by `close`: lost to a crash, it leaves its
    step in the state before, which a resumed run reads back from the target (compare
    before write), so nothing is written twice. Moves are committed in the order they
    were made, so a durable ``writing`` record means every earlier move is durable too.
    A commit that fails stops the journal: every later move (and `close`, when no move
    has reported it yet) raises its error.
    """

    def __init__(self, path: str | Path, *, durable: bool = False) -> None:
        self.path = Path(path)
        self.name = str(path)
        self._durable = durable
        self._book: Journal | None = None
        self._thread: ThreadPoolExecutor | None = None
        #: Moves not committed yet, as rows, each with the future of the caller waiting
        #: for its commit (None: nobody waits). Shared with the journal's thread, under
        #: `_lock`.
        self._queue: list[tuple[Row, asyncio.Future[None] | None]] = []
        self._lock = threading.Lock()
        #: Whether the journal's thread has the queue in hand (it empties it before it
        #: stops): a move queued meanwhile is committed without asking it again.
        self._draining = False
        #: The error of a commit that failed; every later move raises it.
        self._failure: Exception | None = None
        self._failure_told = False

    def __repr__(self) -> str:
        return f"SQLiteJournal({self.name!r})"

    async def _call(self, function: Any, *args: Any) -> Any:
        assert self._thread is not None, "the journal is not open"
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    def _journal(self) -> Journal:
        assert self._book is not None, "the journal is not open"
        return self._book

    async def open(self, *, shared: bool = False) -> None:
        """Open (creating if needed) the file, locked for this run (`Journal.open`)."""
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="phonerouting-journal")
        try:
            self._book = await self._call(
                lambda: Journal.open(self.path, durable=self._durable, shared=shared)
            )
        except BaseException:
            self._thread.shutdown(wait=True)
            self._thread = None
            raise

    async def close(self) -> None:
        """Commit the moves still queued, then close the file and release its lock.

        Synchronous inside: it runs in the `finally` of a cancelled run too, where an
        await could be cancelled again and leave the file locked.

        Raises:
            ConfigurationError: a commit of moves nobody waited for failed (the file was
                closed all the same); not raised again when a move already raised it.
        """
        if self._thread is not None:
            # The thread commits whatever is queued before it stops: the moves nobody
            # waited for (done, failed) reach the file, and a cancelled run's too.
            self._thread.shutdown(wait=True)
            self._thread = None
        if self._book is not None:
            self._book.close()
            self._book = None
        if self._failure is not None and not self._failure_told:
            self._failure_told = True
            raise self._failure

    async def meta(self) -> dict[str, str]:
        """See `JournalStore.meta`."""
        result: dict[str, str] = await self._call(self._journal().meta)
        return result

    async def start(self, meta: Mapping[str, str], steps: Sequence[NewStep]) -> bool:
        """See `JournalStore.start`."""
        started: bool = await self._call(self._journal().start, meta, steps)
        return started

    async def add_steps(self, steps: Sequence[NewStep]) -> None:
        """See `JournalStore.add_steps`."""
        await self._call(self._journal().add_steps, steps)

    async def replan(
        self, number: str, prior: Mapping[str, Any], desired: Mapping[str, Any]
    ) -> None:
        """See `JournalStore.replan`."""
        await self._call(self._journal().replan, number, prior, desired)

    async def drop(self, number: str) -> None:
        """See `JournalStore.drop`."""
        await self._call(self._journal().drop, number)

    async def steps(self, *states: StepState) -> list[Step]:
        """See `JournalStore.steps`."""
        book = self._journal()
        found: list[Step] = await self._call(lambda: list(book.steps(*states)))
        return found

    async def counts(self) -> dict[StepState, int]:
        """See `JournalStore.counts`."""
        found: dict[StepState, int] = await self._call(self._journal().counts)
        return found

    def _raise_failure(self) -> None:
        if self._failure is not None:
            self._failure_told = True
            raise self._failure

    async def _move(self, move: Move) -> bool:
        # Queued for the journal's thread; the run holds the file alone (its lock), so
        # the move always applies. Only a write about to go out waits for the commit.
        self._raise_failure()
        assert self._thread is not None, "the journal is not open"
        loop = asyncio.get_running_loop()
        waiter = loop.create_future() if move[7] else None
        # Encoded here, not in the thread: the thread's every turn holding the
        # interpreter lock is one the event loop waits for.
        row = _row(move)
        with self._lock:
            self._queue.append((row, waiter))
            idle, self._draining = not self._draining, True
        if idle:
            self._thread.submit(self._drain, loop)
        if waiter is not None:
            await waiter
        return True

    def _drain(self, loop: asyncio.AbstractEventLoop) -> None:
        """In the journal's thread: commit the queue, batch after batch, until it is
        empty; the waiters of each batch are woken in one call on the loop."""
        book = self._journal()
        while True:
            with self._lock:
                batch, self._queue = self._queue, []
                if not batch:
                    self._draining = False
                    return
            if self._failure is None:
                try:
                    book.commit_rows([row for row, _ in batch])
                except Exception as exc:
                    self._failure = exc
            waiters = [waiter for _, waiter in batch if waiter is not None]
            if waiters:
                # The loop outlives the thread: `close` waits for it before it returns.
                loop.call_soon_threadsafe(self._settle, waiters, self._failure)

    def _settle(self, waiters: list[asyncio.Future[None]], failure: Exception | None) -> None:
        """On the loop: wake the callers of one batch (a cancelled one is gone) with its
        commit's outcome."""
        for waiter in waiters:
            if waiter.done():
                continue
            if failure is None:
                waiter.set_result(None)
            else:
                self._failure_told = True
                waiter.set_exception(failure)


class MemoryJournal(_Moves):
    """A `JournalStore` in memory: nothing survives the process, so a crash loses the
    run's record (and with it its resume and rollback). For tests, measurements (what
    journaling costs) and as the smallest model of a store."""

    name = "<memory>"

    def __init__(self) -> None:
        self._meta: dict[str, str] = {}
        self._steps: dict[str, Step] = {}
        self._open = False

    def __repr__(self) -> str:
        return f"MemoryJournal({len(self._steps)} steps)"

    async def open(self, *, shared: bool = False) -> None:
        """See `JournalStore.open`; one run at a time, as for a file."""
        if self._open:
            raise ConfigurationError(
                "the journal is in use by another run",
                hint="Wait for the other run to finish (or stop it), then run this again.",
            )
        self._open = not shared

    async def close(self) -> None:
        """See `JournalStore.close`."""
        self._open = False

    async def meta(self) -> dict[str, str]:
        """See `JournalStore.meta`."""
        return dict(self._meta)

    async def start(self, meta: Mapping[str, str], steps: Sequence[NewStep]) -> bool:
        """See `JournalStore.start`."""
        if self._meta:
            return False
        self._meta = dict(meta)
        await self.add_steps(steps)
        return True

    async def add_steps(self, steps: Sequence[NewStep]) -> None:
        """See `JournalStore.add_steps`."""
        for number, target_id, prior, desired in steps:
            self._steps[number] = Step(
                number,
                target_id,
                normalized(prior),
                normalized(desired),
                StepState.PLANNED,
                None,
                None,
                0,
            )

    async def replan(
        self, number: str, prior: Mapping[str, Any], desired: Mapping[str, Any]
    ) -> None:
        """See `JournalStore.replan`."""
        step = self._steps[number]
        self._steps[number] = attrs.evolve(
            step, prior=normalized(prior), desired=normalized(desired)
        )

    async def drop(self, number: str) -> None:
        """See `JournalStore.drop`."""
        if not self._steps[number].sent:
            del self._steps[number]

    async def steps(self, *states: StepState) -> list[Step]:
        """See `JournalStore.steps`."""
        return [
            step for _, step in sorted(self._steps.items()) if not states or step.state in states
        ]

    async def counts(self) -> dict[StepState, int]:
        """See `JournalStore.counts`."""
        counts: dict[StepState, int] = {}
        for step in self._steps.values():
            counts[step.state] = counts.get(step.state, 0) + 1
        return counts

    async def _move(self, move: Move) -> bool:
        number, state, result, error, wrote, prior, restore, sent = move
        step = self._steps[number]
        self._steps[number] = Step(
            number,
            step.target_id,
            step.prior if prior is None else normalized(prior),
            step.desired,
            StepState(state),
            step.result if result is None else normalized(result),
            error,
            step.writes + int(wrote),
            step.restore if restore is None else normalized(restore),
            step.sent or sent,
        )
        return True
