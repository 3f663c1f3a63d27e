"""The crash-safe record of a migration, in SQLite.

Every number's step is written to the journal *before* its write is sent (state
``writing``, with the target's prior values and the values to write) and *after* it
answers (``done`` with the vendor's result, or ``failed`` with the error). A run that is
killed at any point, even with SIGKILL, leaves at most the numbers it was writing in
state ``writing``; a resumed run re-reads those from the target and only writes the
ones that do not already hold the planned values, so no number is written twice.

WAL mode with ``synchronous=NORMAL`` makes each commit durable against a process crash
(the stated requirement); ``durable=True`` switches to ``synchronous=FULL`` for power
loss too, at the price of an fsync per commit. The journal holds routing values only,
never credentials.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from phonerouting.errors import ConfigurationError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["Journal", "Step", "normalized"]

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

#: The states a step goes through.
STATES = (
    "planned",
    "writing",
    "done",
    "failed",
    #: Not written: the target no longer held the plan's values when read just before.
    "changed",
    "rolling_back",
    "rolled_back",
    "rollback_failed",
    #: Not restored: the number no longer held what the migration wrote.
    "rollback_changed",
)


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


@attrs.frozen
class Step:
    """One number's row in the journal."""

    number: str
    target_id: str
    prior: dict[str, Any]
    desired: dict[str, Any]
    state: str
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

    def start(
        self, meta: Mapping[str, str], steps: list[tuple[str, str, dict[str, Any], dict[str, Any]]]
    ) -> bool:
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

    def add_steps(self, steps: list[tuple[str, str, dict[str, Any], dict[str, Any]]]) -> None:
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
        if state not in STATES:
            raise ValueError(state)
        self._check_still_there()
        with self._writing():
            self._db.execute(
                "UPDATE steps SET state = ?, result = COALESCE(?, result), error = ?, "
                "writes = writes + ?, prior = COALESCE(?, prior), "
                "restore = COALESCE(?, restore), sent = MAX(sent, ?), updated_at = ? "
                "WHERE number = ?",
                (
                    state,
                    None if result is None else _dump(result),
                    error,
                    int(wrote),
                    None if prior is None else _dump(prior),
                    None if restore is None else _dump(restore),
                    int(sent),
                    _now(),
                    number,
                ),
            )

    def steps(self, *states: str) -> Iterator[Step]:
        """The steps, in number order, optionally only those in ``states``."""
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

    def counts(self) -> dict[str, int]:
        """How many steps are in each state."""
        with self._writing():
            rows = self._db.execute("SELECT state, COUNT(*) FROM steps GROUP BY state")
            return dict(rows.fetchall())
