"""The store's interface and the records it holds.

One `Store` keeps everything the service must remember: the inventory read from the
vendors, each account's health, change sets and migrations (planned, applying, done),
the audit trail and web sessions. The service only ever talks to this interface, so a
PostgreSQL implementation (several service instances and workers sharing one store)
replaces the SQLite one without a change to the service.

Every method is a coroutine: an implementation does its I/O off the event loop (the
SQLite one in a worker thread), so a slow disk never stalls the service.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import attrs

from phonerouting.migration.journal import JournalStore
from phonerouting.model import PhoneNumber, RawPayload, decode_json, freeze_raw

__all__ = [
    "AccountHealth",
    "AuditEntry",
    "AuditQuery",
    "Job",
    "NumberKey",
    "NumberQuery",
    "Session",
    "Store",
    "StoredNumber",
    "number_data",
    "number_fields",
    "number_from_data",
    "number_from_fields",
    "raw_json",
    "session_key",
]

#: The sort key of a number in the inventory, which cursors point after:
#: (E.164 number, account, vendor id). Unique, and stable across refreshes.
NumberKey = tuple[str, str, str]


#: A number's fields but its vendor payload, in the model's order.
_FIELDS = tuple(a.name for a in attrs.fields(PhoneNumber) if a.name != "raw")
_TIMES = frozenset({"created_at", "updated_at"})


def _json_ready(value: Any) -> Any:
    """What `json.dumps` cannot write itself in a payload, as `to_data` writes it."""
    if type(value) is RawPayload:
        return value.json_object()
    if isinstance(value, Mapping):
        return dict(value.items())
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def number_fields(number: PhoneNumber) -> dict[str, Any]:
    """Every field of ``number`` but ``raw``, JSON-ready as `to_data` gives them (tuples
    as lists, times in ISO 8601), read straight off the number: a store writes one
    per number of every refresh."""
    data: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(number, name)
        if type(value) is tuple:
            value = list(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        data[name] = value
    return data


def raw_json(raw: Mapping[str, Any]) -> str:
    """A number's vendor payload as JSON text, written by the JSON encoder without
    first being copied into plain dicts and lists."""
    return json.dumps(raw, default=_json_ready, ensure_ascii=False)


def number_from_fields(fields: Mapping[str, Any], raw: str | Mapping[str, Any]) -> PhoneNumber:
    """The `PhoneNumber` of `number_fields` ``fields`` and its payload (JSON text from
    `raw_json`, decoded straight into the read-only payload, or a mapping). Keys the
    model does not know (written by a newer version) are left out."""
    values: dict[str, Any] = {}
    for name in _FIELDS:
        value = fields.get(name)
        if type(value) is list:
            value = tuple(value)
        elif name in _TIMES and value is not None:
            value = datetime.fromisoformat(value)
        values[name] = value
    payload = decode_json(raw) if isinstance(raw, str) else freeze_raw(dict(raw))
    return PhoneNumber(**values, raw=payload)


def session_key(session_id: str) -> str:
    """What a store keeps of a session's id: its SHA-256. The id is a bearer secret
    (the console's cookie), so a copy of the store must not let anyone present it."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def number_data(number: PhoneNumber) -> dict[str, Any]:
    """``number`` as plain JSON-ready data (the library's own serialization)."""
    data = number_fields(number)
    data["raw"] = json.loads(raw_json(number.raw))
    return data


def number_from_data(data: Mapping[str, Any]) -> PhoneNumber:
    """The `PhoneNumber` that `number_data` gave ``data`` for (``raw`` read-only again)."""
    return number_from_fields(data, data.get("raw") or {})


@attrs.frozen
class StoredNumber:
    """A number of the inventory: which account holds it, and when it was read."""

    account: str
    number: PhoneNumber
    read_at: datetime

    @property
    def key(self) -> NumberKey:
        """Its place in the inventory's order."""
        return (self.number.number, self.account, self.number.id)


@attrs.frozen
class AccountHealth:
    """How the last reads of an account went. ``last_error`` is the error's class and
    message (the library's errors never hold a credential)."""

    account: str
    last_success_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None

    @property
    def stale(self) -> bool:
        """True when the last read failed: the inventory holds older data (or none)."""
        if self.last_error_at is None:
            return False
        return self.last_success_at is None or self.last_error_at > self.last_success_at


@attrs.frozen
class NumberQuery:
    """A selection of the inventory. Empty filters select everything in ``accounts``."""

    #: The accounts to search (the caller's scope, intersected with any filter).
    accounts: tuple[str, ...]
    #: An exact E.164 number.
    e164: str | None = None
    #: A substring of the label (case-insensitive).
    label: str | None = None
    #: A run of digits the number contains.
    digits: str | None = None
    #: Of ``label`` and ``digits``, a number matching either is selected; with ``e164``
    #: given, only that number is (its index finds it, no label is scanned).
    providers: tuple[str, ...] = ()
    has: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    #: Explicit E.164 numbers (a change set's selection).
    numbers: tuple[str, ...] = ()


@attrs.frozen
class AuditEntry:
    """One write the service made or attempted. ``seq`` is given by the store."""

    at: datetime
    actor: str
    action: str
    account: str
    outcome: str
    number: str | None = None
    number_id: str | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    vendor_request_id: str | None = None
    detail: str | None = None
    #: The change set or migration the write belongs to, if any.
    job: str | None = None
    seq: int | None = None


@attrs.frozen
class AuditQuery:
    """A selection of the audit trail."""

    accounts: tuple[str, ...]
    number: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    job: str | None = None


@attrs.frozen
class Job:
    """A change set or a migration: what was asked, its plan, where it stands.

    ``parts`` is one entry per target account: ``{"account", "plan"}`` with the plan as
    plain data. ``state`` is one of planned, applying, applied, failed, rolling_back,
    rolled_back.
    """

    id: str
    kind: str
    state: str
    created_at: datetime
    created_by: str
    accounts: tuple[str, ...]
    request: Mapping[str, Any]
    parts: Sequence[Mapping[str, Any]]
    summary: Mapping[str, Any]
    progress: Mapping[str, Any] = attrs.Factory(dict)
    report: Mapping[str, Any] | None = None
    updated_at: datetime | None = None


@attrs.frozen
class Session:
    """A signed-in session of the web console, standing for a token's name and role.

    ``id`` is the cookie's value, a bearer secret: it is kept out of the repr, and a
    store keeps only its hash (`session_key`)."""

    id: str = attrs.field(repr=False)
    token_name: str
    created_at: datetime
    expires_at: datetime
    data: Mapping[str, Any] = attrs.Factory(dict)


@runtime_checkable
class Store(Protocol):
    """Everything the service keeps, behind one interface (see the module's doc)."""

    async def open(self) -> None:
        """Create or upgrade the schema; idempotent."""
        ...

    async def close(self) -> None:
        """Release the connection(s)."""
        ...

    async def ping(self) -> None:
        """Raise when the store cannot be reached."""
        ...

    # -- inventory
    async def replace_inventory(
        self, account: str, numbers: Sequence[PhoneNumber], read_at: datetime
    ) -> None:
        """The account now holds exactly ``numbers``, read by a listing that began at
        ``read_at`` (atomically). A number recorded later than ``read_at`` (by
        `record_write` or `put_number` while the listing ran) is newer than the
        listing's copy of it and is kept as recorded: a refresh never puts back a value
        a write just replaced."""
        ...

    async def put_number(self, account: str, number: PhoneNumber, read_at: datetime) -> None:
        """Record one number as just read (after a write, say)."""
        ...

    async def get_number(self, account: str, number_id: str) -> StoredNumber | None:
        """One number of an account by vendor id."""
        ...

    async def query_numbers(
        self, query: NumberQuery, after: NumberKey | None, limit: int
    ) -> list[StoredNumber]:
        """Up to ``limit`` numbers matching ``query``, in key order, after ``after``."""
        ...

    async def count_numbers(self, account: str) -> int:
        """How many numbers the inventory holds for ``account``."""
        ...

    async def set_health(self, health: AccountHealth) -> None:
        """Record an account's health."""
        ...

    async def health(self, account: str) -> AccountHealth:
        """An account's health (empty when never read)."""
        ...

    # -- audit
    async def append_audit(self, entries: Sequence[AuditEntry]) -> None:
        """Add entries to the audit trail (append-only: nothing edits or deletes them)."""
        ...

    async def record_write(self, entry: AuditEntry, number: PhoneNumber, read_at: datetime) -> None:
        """Add ``entry`` to the audit trail and record ``number`` (as the vendor answered
        the write, or as read before refusing it) in the inventory of ``entry.account``,
        in one transaction: neither without the other, in one round trip per edit.

        A single edit's (``entry.job`` None) is committed when this returns. A change
        set's or a migration's may be committed later, with others (a group commit):
        `settle` waits for those, and the run's journal holds each write meanwhile."""
        ...

    async def settle(self, job: str) -> None:
        """Wait until every write `record_write` took is committed; raise the error of
        a commit that failed holding writes of ``job`` (another job's failure is that
        job's to raise)."""
        ...

    async def query_audit(
        self, query: AuditQuery, after: int | None, limit: int
    ) -> list[AuditEntry]:
        """Up to ``limit`` entries matching ``query``, oldest first, after seq ``after``."""
        ...

    # -- change sets and migrations
    async def save_job(self, job: Job) -> None:
        """Store a new job."""
        ...

    async def get_job(self, job_id: str) -> Job | None:
        """A job by id."""
        ...

    async def jobs_in(self, states: Sequence[str]) -> list[Job]:
        """Every job in one of ``states`` (to resume those interrupted)."""
        ...

    async def claim_job(self, job_id: str, from_states: Sequence[str], to_state: str) -> bool:
        """Move a job to ``to_state`` only if it is in one of ``from_states``, atomically:
        of two claims at once, exactly one succeeds."""
        ...

    async def update_job(
        self,
        job_id: str,
        *,
        state: str | None = None,
        progress: Mapping[str, Any] | None = None,
        report: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a job's progress, report or new state."""
        ...

    def journal(self, job_id: str, account: str) -> Path | JournalStore:
        """The migration engine's journal of a job's part: a file path (the engine's
        SQLite journal) or any `phonerouting.migration.journal.JournalStore`, so a
        shared store can keep the journals too."""
        ...

    # -- leases (of several service instances on one store, which one does a thing)
    async def take_lease(self, name: str, owner: str, seconds: float) -> bool:
        """Hold the lease ``name`` for ``seconds`` as ``owner``, or renew it when
        ``owner`` holds it already; False, changing nothing, while another owner's
        lease has not expired. Of two takes at once, at most one succeeds."""
        ...

    async def release_lease(self, name: str, owner: str) -> None:
        """Let go of the lease ``name`` if ``owner`` holds it."""
        ...

    async def lease_holder(self, name: str) -> str | None:
        """Who holds (or last held, its lease expired or not) ``name``; None if nobody."""
        ...

    # -- web sessions
    async def save_session(self, session: Session) -> None:
        """Store a new session."""
        ...

    async def get_session(self, session_id: str) -> Session | None:
        """A session by id, or None (also when expired)."""
        ...

    async def delete_session(self, session_id: str) -> None:
        """End a session."""
        ...
