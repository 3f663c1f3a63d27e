"""The database schema, versioned: ordered migrations and the runner that applies them.

The schema's version is the highest version in the ``phonerouting_schema`` table (0 for
an empty database). `upgrade` applies, in order, each migration above it, every one in
its own transaction together with its row in that table: a failure leaves the database
at the last version that applied whole. Concurrent upgrades (several workers starting
at once) serialize on a transaction-level advisory lock, and each re-reads the version
under it, so every migration is applied exactly once.

A database whose version is above `LATEST` was written by a newer phonerouting: its
tables may mean things this code does not know, so `check_schema` and `upgrade` refuse
it (`SchemaTooNewError`) and change nothing.

To change the schema, append a `Migration` with the next version to `MIGRATIONS`; never
edit one that was released (databases already hold it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from phonerouting.errors import RoutingError
from phonerouting.postgres.connection import DatabaseError, _driver, connect, redacted

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "LATEST",
    "MIGRATIONS",
    "Migration",
    "SchemaTooNewError",
    "check_schema",
    "schema_version",
    "upgrade",
]

#: The advisory lock key every schema change takes (any fixed number; "phon" in ASCII).
_LOCK = 0x70686F6E


class SchemaTooNewError(RoutingError):
    """The database's schema is newer than this phonerouting knows: a newer version
    upgraded it. Nothing was changed; this version would misread its tables."""

    hint = (
        "Run the phonerouting version that upgraded this database (or a newer one), "
        "or point this one at another database."
    )


@attrs.frozen
class Migration:
    """One step of the schema: its version (1, 2, … in order), what it is for, and the
    SQL statements that make it, run in one transaction."""

    version: int
    name: str
    statements: tuple[str, ...]


#: Every schema step, in version order. Append only.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "migration journal: runs, steps with claims (owner, lease), a shared rate limit",
        (
            """
            CREATE TABLE journal_runs (
                journal    TEXT PRIMARY KEY,
                meta       JSONB NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE journal_steps (
                journal     TEXT NOT NULL REFERENCES journal_runs ON DELETE CASCADE,
                number      TEXT NOT NULL,
                target_id   TEXT NOT NULL,
                prior       JSONB NOT NULL,
                desired     JSONB NOT NULL,
                state       TEXT NOT NULL,
                result      JSONB,
                error       TEXT,
                writes      INTEGER NOT NULL DEFAULT 0,
                restore     JSONB,
                sent        BOOLEAN NOT NULL DEFAULT false,
                updated_at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
                owner       TEXT,
                lease_until TIMESTAMPTZ,
                PRIMARY KEY (journal, number)
            )
            """,
            "CREATE INDEX journal_steps_by_state ON journal_steps (journal, state)",
            "CREATE INDEX journal_steps_by_owner ON journal_steps (journal, owner)",
            """
            CREATE TABLE journal_rate (
                journal TEXT PRIMARY KEY REFERENCES journal_runs ON DELETE CASCADE,
                next_at TIMESTAMPTZ NOT NULL
            )
            """,
        ),
    ),
)

#: The newest schema version this code knows.
LATEST = MIGRATIONS[-1].version

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS phonerouting_schema (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


def _version(db: psycopg.Connection[Any]) -> int:
    found = db.execute("SELECT to_regclass('phonerouting_schema') IS NOT NULL").fetchone()
    if not found or not found[0]:
        return 0
    row = db.execute("SELECT COALESCE(MAX(version), 0) FROM phonerouting_schema").fetchone()
    return int(row[0]) if row else 0


def _refuse_newer(version: int, where: str) -> None:
    if version > LATEST:
        raise SchemaTooNewError(
            f"the database {where} has schema version {version}, newer than this "
            f"phonerouting knows ({LATEST}); nothing was changed"
        )


def schema_version(url: str) -> int:
    """The schema version of the database at ``url`` (0 when it holds none yet).

    Raises:
        DatabaseError: the database cannot be reached.
    """
    with connect(url, autocommit=True) as db:
        return _version(db)


def check_schema(url: str) -> int:
    """The schema version of the database at ``url``, refused when newer than `LATEST`.

    Raises:
        SchemaTooNewError: a newer phonerouting upgraded the database.
        DatabaseError: the database cannot be reached.
    """
    version = schema_version(url)
    _refuse_newer(version, redacted(url))
    return version


def upgrade(url: str, *, to: int = LATEST) -> list[int]:
    """Bring the database at ``url`` to schema version ``to`` (the newest by default):
    each missing migration in order, one transaction each. Returns the versions it
    applied (none when the database was up to date).

    Raises:
        SchemaTooNewError: the database is newer than this code (nothing is changed).
        DatabaseError: the database cannot be reached, or a migration failed (the
            database stays at the last version that applied).
    """
    driver = _driver()
    where = redacted(url)
    applied: list[int] = []
    with connect(url, autocommit=True) as db:
        _refuse_newer(_version(db), where)
        for migration in MIGRATIONS:
            if migration.version > to:
                break
            try:
                with db.transaction():
                    db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
                    db.execute(_VERSION_TABLE)
                    current = _version(db)
                    _refuse_newer(current, where)
                    if migration.version <= current:
                        continue  # applied already (by another upgrade, meanwhile)
                    for statement in migration.statements:
                        db.execute(statement)
                    db.execute(
                        "INSERT INTO phonerouting_schema (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
            except driver.Error as exc:
                raise DatabaseError(
                    f"the database {where} could not be upgraded to schema version "
                    f"{migration.version} ({migration.name}): {exc}; it stays at "
                    f"version {migration.version - 1}",
                    hint="Fix what the server reported, then upgrade again.",
                ) from None
            applied.append(migration.version)
    return applied
