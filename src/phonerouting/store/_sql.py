"""What the SQLite and PostgreSQL stores share, written once: the WHERE clause of the
audit's search, so a filter selects the same entries in either, and the rows of an
audit entry and a job, so both keep the same fields. Only how each database spells a
list or encodes a value differs (`Dialect`). (The inventory's search differs more:
SQLite's goes through a trigram index.)"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from phonerouting.store.base import AuditEntry, AuditQuery, Job

__all__ = [
    "AUDIT_COLUMNS",
    "JOB_COLUMNS",
    "POSTGRES",
    "SQLITE",
    "Dialect",
    "audit_entry",
    "audit_row",
    "audit_where",
    "job_from_row",
    "job_row",
]

AUDIT_COLUMNS = (
    "at, actor, action, account, number, number_id, before, after, outcome, "
    "vendor_request_id, detail, job"
)
JOB_COLUMNS = (
    "id, kind, state, created_at, created_by, accounts, request, parts, summary, "
    "progress, report, updated_at"
)


@attrs.frozen
class Dialect:
    """How a database spells what the searches need. ``p`` is its placeholder."""

    p: str
    #: Whether a list binds as one array (``= ANY(p)``) or one placeholder a value.
    arrays: bool
    #: Whether times bind as datetimes (else as ISO 8601 text, which sorts the same
    #: for the UTC times the service writes).
    datetimes: bool
    #: A JSON value as the database takes it, and back.
    dump: Callable[[Any], Any]
    load: Callable[[Any], Any]

    def any_of(self, column: str, values: Sequence[str], params: list[Any]) -> str:
        """``column`` is one of ``values``."""
        if self.arrays:
            params.append(list(values))
            return f"{column} = ANY({self.p})"
        params.extend(values)
        return f"{column} IN ({','.join([self.p] * len(values))})"

    def time(self, value: datetime) -> Any:
        """``value`` as this database compares it."""
        return value if self.datetimes else value.isoformat()

    def when(self, value: Any) -> datetime:
        """A time as this database gave it back, in UTC as the service wrote it."""
        if self.datetimes:
            return value.astimezone(UTC)  # type: ignore[no-any-return]
        return datetime.fromisoformat(value)

    def json(self, value: Any) -> Any:
        """A JSON value (or None) as the database takes it."""
        return None if value is None else self.dump(value)

    def unjson(self, value: Any) -> Any:
        """A JSON value (or None) as the database gave it back."""
        return None if value is None else self.load(value)


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _jsonb(value: Any) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def _as_is(value: Any) -> Any:
    return value


SQLITE = Dialect(
    p="?",
    arrays=False,
    datetimes=False,
    dump=_text,
    load=json.loads,
)
POSTGRES = Dialect(
    p="%s",
    arrays=True,
    datetimes=True,
    dump=_jsonb,
    load=_as_is,
)


def audit_where(query: AuditQuery, after: int | None, dialect: Dialect) -> tuple[str, list[Any]]:
    """The conditions (joined by AND) selecting ``query``'s audit entries after seq
    ``after``, and their parameters. ``query.accounts`` must not be empty."""
    p = dialect.p
    params: list[Any] = []
    where = [dialect.any_of("account", query.accounts, params)]
    for column, value in (("number", query.number), ("actor", query.actor), ("job", query.job)):
        if value is not None:
            where.append(f"{column} = {p}")
            params.append(value)
    if query.since is not None:
        where.append(f"at >= {p}")
        params.append(dialect.time(query.since))
    if query.until is not None:
        where.append(f"at < {p}")
        params.append(dialect.time(query.until))
    if after is not None:
        where.append(f"seq > {p}")
        params.append(after)
    return " AND ".join(where), params


def audit_row(entry: AuditEntry, dialect: Dialect) -> tuple[Any, ...]:
    """``entry`` as the values of `AUDIT_COLUMNS`."""
    return (
        dialect.time(entry.at),
        entry.actor,
        entry.action,
        entry.account,
        entry.number,
        entry.number_id,
        dialect.json(None if entry.before is None else dict(entry.before)),
        dialect.json(None if entry.after is None else dict(entry.after)),
        entry.outcome,
        entry.vendor_request_id,
        entry.detail,
        entry.job,
    )


def audit_entry(row: Sequence[Any], dialect: Dialect) -> AuditEntry:
    """The entry of a row of ``seq`` then `AUDIT_COLUMNS`."""
    return AuditEntry(
        at=dialect.when(row[1]),
        actor=row[2],
        action=row[3],
        account=row[4],
        number=row[5],
        number_id=row[6],
        before=dialect.unjson(row[7]),
        after=dialect.unjson(row[8]),
        outcome=row[9],
        vendor_request_id=row[10],
        detail=row[11],
        job=row[12],
        seq=row[0],
    )


def job_row(job: Job, dialect: Dialect) -> tuple[Any, ...]:
    """``job`` as the values of `JOB_COLUMNS`."""
    return (
        job.id,
        job.kind,
        job.state,
        dialect.time(job.created_at),
        job.created_by,
        dialect.json(list(job.accounts)),
        dialect.json(dict(job.request)),
        dialect.json([dict(p) for p in job.parts]),
        dialect.json(dict(job.summary)),
        dialect.json(dict(job.progress)),
        dialect.json(None if job.report is None else dict(job.report)),
        None if job.updated_at is None else dialect.time(job.updated_at),
    )


def job_from_row(row: Sequence[Any], dialect: Dialect) -> Job:
    """The job of a row of `JOB_COLUMNS`."""
    return Job(
        id=row[0],
        kind=row[1],
        state=row[2],
        created_at=dialect.when(row[3]),
        created_by=row[4],
        accounts=tuple(dialect.load(row[5])),
        request=dialect.load(row[6]),
        parts=dialect.load(row[7]),
        summary=dialect.load(row[8]),
        progress=dialect.load(row[9]),
        report=dialect.unjson(row[10]),
        updated_at=None if row[11] is None else dialect.when(row[11]),
    )
