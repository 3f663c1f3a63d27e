"""The service's store: inventory, account health, change sets and migrations, the
audit trail and web sessions, behind one interface (`Store`); SQLite implements it
in one file, PostgreSQL in a database several service instances share (`store_at`
chooses by the location given).

Knows no HTTP framework: the server (and anything else) is a face over it.
"""

from pathlib import Path

from phonerouting.store.base import (
    AccountHealth,
    AuditEntry,
    AuditQuery,
    Job,
    NumberKey,
    NumberQuery,
    Session,
    Store,
    StoredNumber,
    number_data,
    number_fields,
    number_from_data,
    number_from_fields,
    raw_json,
)
from phonerouting.store.postgres import PostgresStore, is_postgres_url
from phonerouting.store.sqlite import SCHEMA_VERSION as SQLITE_SCHEMA_VERSION
from phonerouting.store.sqlite import SQLiteStore

__all__ = [
    "AccountHealth",
    "AuditEntry",
    "AuditQuery",
    "Job",
    "NumberKey",
    "NumberQuery",
    "PostgresStore",
    "SQLiteStore",
    "Session",
    "Store",
    "StoredNumber",
    "is_postgres_url",
    "number_data",
    "number_fields",
    "number_from_data",
    "number_from_fields",
    "raw_json",
    "store_at",
    "upgrade",
]


def store_at(where: str | Path) -> Store:
    """The store at ``where``: a PostgreSQL database for a ``postgresql://`` URL
    (the ``phonerouting[postgresql]`` extra), else the SQLite file at that path."""
    if is_postgres_url(where):
        return PostgresStore(str(where))
    return SQLiteStore(where)


async def upgrade(where: str | Path) -> tuple[int, int, str]:
    """Create or upgrade the schema of the store at ``where``: its schema version
    before and after, and the store's name for messages (a URL without password).
    `phonerouting.ConfigurationError` when a newer phonerouting wrote it."""
    if is_postgres_url(where):
        return await PostgresStore(str(where)).upgrade()
    store = SQLiteStore(where)
    before = store.schema_version()
    await store.open()
    await store.close()
    return before, SQLITE_SCHEMA_VERSION, str(store.path)
