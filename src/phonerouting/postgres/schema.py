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
    Migration(
        2,
        "service store: inventory, account health, append-only audit, jobs, web sessions",
        (
            # COLLATE "C": the inventory's order (and its cursors) is the byte order
            # SQLite gives, whatever the database's locale.
            """
            CREATE TABLE store_numbers (
                e164     TEXT COLLATE "C" NOT NULL,
                account  TEXT COLLATE "C" NOT NULL,
                id       TEXT COLLATE "C" NOT NULL,
                provider TEXT NOT NULL,
                label    TEXT,
                -- The label lowered by Python, for a search whatever the locale.
                label_folded TEXT,
                data     JSONB NOT NULL,
                raw      JSONB NOT NULL,
                read_at  TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (e164, account, id)
            )
            """,
            "CREATE UNIQUE INDEX store_numbers_by_id ON store_numbers (account, id)",
            """
            CREATE TABLE store_health (
                account         TEXT PRIMARY KEY,
                last_success_at TIMESTAMPTZ,
                last_error_at   TIMESTAMPTZ,
                last_error      TEXT
            )
            """,
            """
            CREATE TABLE store_audit (
                seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                at                TIMESTAMPTZ NOT NULL,
                actor             TEXT NOT NULL,
                action            TEXT NOT NULL,
                account           TEXT NOT NULL,
                number            TEXT,
                number_id         TEXT,
                before            JSONB,
                after             JSONB,
                outcome           TEXT NOT NULL,
                vendor_request_id TEXT,
                detail            TEXT,
                job               TEXT
            )
            """,
            "CREATE INDEX store_audit_by_number ON store_audit (number)",
            """
            CREATE FUNCTION store_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$
            """,
            """
            CREATE TRIGGER store_audit_no_change BEFORE UPDATE OR DELETE ON store_audit
                FOR EACH ROW EXECUTE FUNCTION store_audit_append_only()
            """,
            """
            CREATE TRIGGER store_audit_no_truncate BEFORE TRUNCATE ON store_audit
                FOR EACH STATEMENT EXECUTE FUNCTION store_audit_append_only()
            """,
            """
            CREATE TABLE store_jobs (
                id         TEXT PRIMARY KEY,
                kind       TEXT NOT NULL,
                state      TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                created_by TEXT NOT NULL,
                accounts   JSONB NOT NULL,
                request    JSONB NOT NULL,
                parts      JSONB NOT NULL,
                summary    JSONB NOT NULL,
                progress   JSONB NOT NULL,
                report     JSONB,
                updated_at TIMESTAMPTZ
            )
            """,
            "CREATE INDEX store_jobs_by_state ON store_jobs (state, created_at)",
            # Keyed by the SHA-256 of the session's id: never a cookie a browser could
            # present, only what checks one.
            """
            CREATE TABLE store_sessions (
                id_hash    TEXT PRIMARY KEY,
                token_name TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL,
                data       JSONB NOT NULL
            )
            """,
        ),
    ),
    Migration(
        3,
        "service store: leases (of several instances, one refreshes an account or runs a "
        "job); sessions swept by expiry",
        (
            """
            CREATE TABLE store_leases (
                name       TEXT PRIMARY KEY,
                owner      TEXT NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL
            )
            """,
            "CREATE INDEX store_sessions_by_expiry ON store_sessions (expires_at)",
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
