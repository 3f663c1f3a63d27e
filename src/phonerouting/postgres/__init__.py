"""PostgreSQL support shared by the migration journal and the service store.

A platform that outgrows one process (several `phonerouting serve` instances, one
migration split across workers on several machines) points them all at one PostgreSQL
database by URL: ``postgresql://user:password@host:5432/dbname``. This package holds
what every PostgreSQL user of the library shares:

* URLs: `is_url` tells a database URL from a file path, `redacted` names it without its
  password (for messages), `split_url` takes phonerouting's own query parameters off it
  (``?journal=NAME``) before it reaches the driver.
* Connections: `connect` (one synchronous connection) and `open_pool` (an opened
  `psycopg_pool.AsyncConnectionPool`), each raising `DatabaseError` with the fix when
  the server cannot be reached.
* The schema: `MIGRATIONS`, ordered and versioned, applied by `upgrade` (each in one
  transaction, recorded in the ``phonerouting_schema`` table); `check_schema` refuses a
  database whose schema is newer than this code knows (`SchemaTooNewError`).

psycopg 3 is an optional dependency (``pip install 'phonerouting[postgresql]'``):
nothing here imports it until a database is used, and ``import phonerouting`` never
does.
"""

from __future__ import annotations

from phonerouting.postgres.connection import (
    DatabaseError,
    PostgresNotInstalledError,
    connect,
    is_url,
    open_pool,
    redacted,
    split_url,
)
from phonerouting.postgres.schema import (
    LATEST,
    MIGRATIONS,
    Migration,
    SchemaTooNewError,
    check_schema,
    schema_version,
    upgrade,
)

__all__ = [
    "LATEST",
    "MIGRATIONS",
    "DatabaseError",
    "Migration",
    "PostgresNotInstalledError",
    "SchemaTooNewError",
    "check_schema",
    "connect",
    "is_url",
    "open_pool",
    "redacted",
    "schema_version",
    "split_url",
    "upgrade",
]
