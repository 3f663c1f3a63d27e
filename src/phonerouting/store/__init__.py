"""The service's store: inventory, account health, change sets and migrations, the
audit trail and web sessions, behind one interface (`Store`); SQLite implements it.

Knows no HTTP framework: the server (and anything else) is a face over it.
"""

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
from phonerouting.store.sqlite import SQLiteStore

__all__ = [
    "AccountHealth",
    "AuditEntry",
    "AuditQuery",
    "Job",
    "NumberKey",
    "NumberQuery",
    "SQLiteStore",
    "Session",
    "Store",
    "StoredNumber",
    "number_data",
    "number_fields",
    "number_from_data",
    "number_from_fields",
    "raw_json",
]
