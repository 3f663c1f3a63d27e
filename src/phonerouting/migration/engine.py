"""Running a migration: plan, apply (concurrent, journaled, resumable), verify, rollback.

All four take async clients (:func:`phonerouting.connect_async`). Only :func:`apply` and
:func:`rollback` write; :func:`plan` and :func:`verify` only read.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from phonerouting.errors import ConfigurationError, RateLimitError, RoutingError
from phonerouting.migration.journal import Journal, Step
from phonerouting.migration.plan import Plan, make_plan
from phonerouting.model import PhoneNumber, RoutingUpdate
from phonerouting.protocol import AsyncPhoneNumberRouting

__all__ = [
    "Difference",
    "Failure",
    "Report",
    "VerifyReport",
    "apply",
    "plan",
    "rollback",
    "verify",
]

logger = logging.getLogger("phonerouting.migration")

#: Called after each number with (numbers finished, numbers in the run).
Progress = Callable[[int, int], None]


@attrs.frozen
class Failure:
    """A number whose write failed, with the error that says why."""

    number: str
    target_id: str
    error: str


@attrs.frozen
class Report:
    """What :func:`apply` or :func:`rollback` did."""

    total: int
    written: int
    #: Numbers already done by an earlier run of the same journal (not written again).
    already_done: int
    #: Numbers interrupted mid-write by a crash that already held the planned values.
    confirmed_without_write: int
    failed: tuple[Failure, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no number failed."""
        return not self.failed


@attrs.frozen
class Difference:
    """A field of a number whose target value differs from the plan."""

    number: str
    field: str
    expected: Any
    actual: Any


@attrs.frozen
class VerifyReport:
    """What :func:`verify` found."""

    checked: int
    differences: tuple[Difference, ...]
    #: Planned numbers the target no longer has.
    missing: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the target holds exactly what the plan says."""
        return not self.differences and not self.missing


async def _collect(client: AsyncPhoneNumberRouting) -> list[PhoneNumber]:
    return [number async for number in client.list_numbers()]


async def plan(
    source: AsyncPhoneNumberRouting,
    target: AsyncPhoneNumberRouting,
    fields: Sequence[str] | None = None,
) -> Plan:
    """Read both accounts and plan the migration of ``source``'s routing onto ``target``."""
    source_numbers, target_numbers = await asyncio.gather(_collect(source), _collect(target))
    return make_plan(
        source_numbers, target_numbers, source.capabilities, target.capabilities, fields
    )


def _fingerprint(plan: Plan) -> str:
    body = [(n.number, n.target_id, sorted(n.desired().items())) for n in plan.to_write]
    return hashlib.sha256(json.dumps(body, default=list).encode()).hexdigest()


def _matches(number: PhoneNumber, wanted: dict[str, Any]) -> bool:
    def norm(value: Any) -> Any:
        if value in ("", (), []):
            return None
        return tuple(value) if isinstance(value, list) else value

    return all(norm(getattr(number, f)) == norm(v) for f, v in wanted.items())


class _Pacer:
    """Spaces request starts to at most ``per_second`` across all workers."""

    def __init__(self, per_second: float | None) -> None:
        self._interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self._interval:
            return
        async with self._lock:
            now = asyncio.get_running_loop().time()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await asyncio.sleep(delay)


@attrs.define
class _Run:
    target: AsyncPhoneNumberRouting
    journal: Journal
    pacer: _Pacer
    max_rate_limit_waits: int
    progress: Progress | None
    total: int
    finished: int = 0
    written: int = 0
    confirmed: int = 0
    failures: list[Failure] = attrs.Factory(list)

    def report(self, already_done: int) -> Report:
        """What this run did."""
        return Report(
            total=self.total,
            written=self.written,
            already_done=already_done,
            confirmed_without_write=self.confirmed,
            failed=tuple(sorted(self.failures, key=lambda f: f.number)),
        )

    def tick(self) -> None:
        self.finished += 1
        if self.progress is not None:
            self.progress(self.finished, self.total)

    async def write(self, number_id: str, update: RoutingUpdate) -> PhoneNumber:
        """One write, paced, waiting out rate limits the client did not absorb."""
        waits = 0
        while True:
            await self.pacer.wait()
            try:
                return await self.target.update_routing(number_id, update)
            except RateLimitError as error:
                waits += 1
                if waits > self.max_rate_limit_waits:
                    raise
                await asyncio.sleep(error.retry_after if error.retry_after is not None else 1.0)

    async def step(
        self, step: Step, values: dict[str, Any], done: str, busy: str, failed: str
    ) -> None:
        try:
            if step.state == busy:
                # Killed mid-write last time: the write may or may not have landed.
                current = await self.target.get_number(step.target_id)
                if _matches(current, values):
                    self.journal.mark(step.number, done, result=current.routing())
                    self.confirmed += 1
                    return
            self.journal.mark(step.number, busy)
            result = await self.write(step.target_id, RoutingUpdate(**values))
        except RoutingError as error:
            message = f"{type(error).__name__}: {error}"
            self.journal.mark(step.number, failed, error=message)
            self.failures.append(Failure(step.number, step.target_id, message))
            return
        finally:
            self.tick()
        self.journal.mark(step.number, done, result=result.routing(), wrote=True)
        self.written += 1


async def _run_steps(
    run: _Run,
    steps: Iterable[Step],
    concurrency: int,
    values: Callable[[Step], dict[str, Any]],
    done: str,
    busy: str,
    failed: str,
) -> None:
    queue: asyncio.Queue[Step] = asyncio.Queue()
    for step in steps:
        queue.put_nowait(step)

    async def worker() -> None:
        while not queue.empty():
            step = queue.get_nowait()
            await run.step(step, values(step), done, busy, failed)

    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))


def _check_concurrency(concurrency: int) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError(f"concurrency must be a whole number >= 1, not {concurrency!r}")


async def apply(
    plan: Plan,
    target: AsyncPhoneNumberRouting,
    *,
    journal: str | Path,
    concurrency: int = 8,
    max_requests_per_second: float | None = None,
    max_rate_limit_waits: int = 5,
    progress: Progress | None = None,
    durable: bool = False,
) -> Report:
    """Apply ``plan`` to ``target``, recording every step in the journal at ``journal``.

    With a journal that already holds this migration, the run resumes: numbers already
    done are not written again. A number that fails does not stop the others; the
    report lists each failure. Run it again with the same journal to retry them.
    """
    _check_concurrency(concurrency)
    if target.provider != plan.target:
        raise ConfigurationError(
            f"the plan targets {plan.target}, but the client given is {target.provider}"
        )
    book = Journal.open(journal, durable=durable)
    try:
        meta = {"source": plan.source, "target": plan.target, "plan": _fingerprint(plan)}
        fresh = book.start(
            meta,
            [
                (n.number, n.target_id, {c.field: c.before for c in n.changes}, n.desired())
                for n in plan.to_write
            ],
        )
        if not fresh:
            held = book.meta()
            if (held.get("source"), held.get("target")) != (plan.source, plan.target):
                raise ConfigurationError(
                    f"the journal {str(journal)!r} records a migration from "
                    f"{held.get('source')} to {held.get('target')}, not this one; "
                    "use another journal file"
                )
        pending = list(book.steps("planned", "writing", "failed"))
        total = sum(book.counts().values())
        run = _Run(
            target,
            book,
            _Pacer(max_requests_per_second),
            max_rate_limit_waits,
            progress,
            total,
            finished=total - len(pending),
        )
        await _run_steps(
            run, pending, concurrency, lambda s: s.desired, "done", "writing", "failed"
        )
        return run.report(already_done=total - len(pending))
    finally:
        book.close()


async def verify(plan: Plan, target: AsyncPhoneNumberRouting) -> VerifyReport:
    """Read ``target`` back and report every planned number whose state differs."""
    current = {n.number: n for n in await _collect(target)}
    differences: list[Difference] = []
    missing: list[str] = []
    for item in plan.to_write:
        number = current.get(item.number)
        if number is None:
            missing.append(item.number)
            continue
        for field, expected in item.desired().items():
            if not _matches(number, {field: expected}):
                differences.append(Difference(item.number, field, expected, getattr(number, field)))
    return VerifyReport(len(plan.to_write), tuple(differences), tuple(missing))


async def rollback(
    target: AsyncPhoneNumberRouting,
    *,
    journal: str | Path,
    concurrency: int = 8,
    max_requests_per_second: float | None = None,
    progress: Progress | None = None,
) -> Report:
    """Restore, on ``target``, the prior values the journal recorded for every number a
    migration wrote or may have written. Resumable like :func:`apply`."""
    _check_concurrency(concurrency)
    if not Path(journal).exists():
        raise ConfigurationError(f"no journal at {str(journal)!r}")
    book = Journal.open(journal)
    try:
        held = book.meta()
        if held.get("target") != target.provider:
            raise ConfigurationError(
                f"the journal records a migration to {held.get('target')}, "
                f"but the client given is {target.provider}"
            )
        pending = list(book.steps("done", "writing", "failed", "rolling_back", "rollback_failed"))
        total = len(pending) + book.counts().get("rolled_back", 0)
        run = _Run(
            target,
            book,
            _Pacer(max_requests_per_second),
            5,
            progress,
            total,
            finished=total - len(pending),
        )
        await _run_steps(
            run,
            pending,
            concurrency,
            lambda s: s.prior,
            "rolled_back",
            "rolling_back",
            "rollback_failed",
        )
        return run.report(already_done=total - len(pending))
    finally:
        book.close()
