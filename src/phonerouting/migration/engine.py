"""Running a migration: plan, apply (concurrent, journaled, resumable), verify, rollback.

`plan`, `apply`, `verify`, `verify_journal` and `rollback` take async clients
(`phonerouting.connect_async`); `drift` reads a plan. Only `apply` and `rollback`
write to the target; the others only read.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from phonerouting.errors import ConfigurationError, RateLimitError, RoutingError
from phonerouting.inputs import in_range
from phonerouting.migration.journal import Journal, Step, normalized
from phonerouting.migration.plan import Plan, is_empty, make_plan
from phonerouting.model import PhoneNumber, RoutingUpdate
from phonerouting.protocol import AsyncPhoneNumberRouting

__all__ = [
    "Difference",
    "Failure",
    "Report",
    "VerifyReport",
    "apply",
    "drift",
    "plan",
    "rollback",
    "verify",
    "verify_journal",
]

logger = logging.getLogger("phonerouting.migration")

#: Called with (numbers finished, numbers in the run): once at the start, then after
#: each number.
Progress = Callable[[int, int], None]
StepFn = Callable[[Step], Awaitable[None]]

#: How many rate limits a number may wait out (beyond the client's own retries).
MAX_RATE_LIMIT_WAITS = 5
#: The longest rate-limit pause waited out, in seconds; a longer one fails the number.
MAX_RATE_LIMIT_WAIT = 300.0


@attrs.frozen
class Failure:
    """A number whose write failed, with the error that says why."""

    number: str
    target_id: str
    error: str


@attrs.frozen
class Report:
    """What `apply` or `rollback` did."""

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
    """What `verify` found."""

    #: How many numbers were checked: those the plan writes (`verify`), every matched
    #: number (`drift`), or every number the journal holds (`verify_journal`).
    checked: int
    differences: tuple[Difference, ...]
    #: Planned numbers the target no longer has.
    missing: tuple[str, ...] = ()
    #: Numbers the journal has not finished (still planned, interrupted or failed).
    unfinished: tuple[str, ...] = ()
    #: Numbers listed twice on one side, which no migration can match.
    conflicts: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when nothing differs, is missing, unfinished or in conflict."""
        return not (self.differences or self.missing or self.unfinished or self.conflicts)


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


def _matches(number: PhoneNumber, wanted: dict[str, Any]) -> bool:
    def norm(value: Any) -> Any:
        if is_empty(value):
            return None
        return tuple(value) if isinstance(value, list) else value

    return all(norm(getattr(number, f)) == norm(v) for f, v in wanted.items())


def _check_rate(per_second: float | None) -> None:
    if per_second is None:
        return
    if not in_range(per_second, 0, math.inf, low_open=True):
        raise ConfigurationError(
            f"max_requests_per_second must be a number above 0 (or None), not {per_second!r}",
            hint=_FIX_ARGUMENTS,
        )


class _Pacer:
    """Spaces request starts to at most ``per_second`` across all workers, and holds them
    all while the vendor has asked for a pause (a 429 slows every worker, not one)."""

    def __init__(self, per_second: float | None) -> None:
        self._interval = 1.0 / per_second if per_second else 0.0
        self._next = 0.0
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def hold(self, seconds: float) -> None:
        """Start no request for ``seconds`` from now."""
        until = asyncio.get_running_loop().time() + seconds
        self._paused_until = max(self._paused_until, until)

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        while (pause := self._paused_until - loop.time()) > 0:
            await asyncio.sleep(pause)
        if not self._interval:
            return
        async with self._lock:
            now = loop.time()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await asyncio.sleep(delay)


@attrs.frozen
class _States:
    """The journal states one kind of run moves a step through."""

    done: str
    busy: str
    failed: str


_APPLY = _States("done", "writing", "failed")
_ROLLBACK = _States("rolled_back", "rolling_back", "rollback_failed")


@attrs.define
class _Run:
    target: AsyncPhoneNumberRouting
    journal: Journal
    pacer: _Pacer
    max_rate_limit_waits: int
    max_rate_limit_wait: float
    progress: Progress | None
    total: int
    states: _States
    #: The target as read at the start of the run, by id, when steps need checking.
    snapshot: dict[str, PhoneNumber] | None = None
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
                pause = error.retry_after if error.retry_after is not None else 1.0
                if waits > self.max_rate_limit_waits or pause > self.max_rate_limit_wait:
                    raise
                self.pacer.hold(pause)

    def confirm(self, step: Step, current: PhoneNumber) -> None:
        """The number already holds what this step would write: done without a write."""
        self.journal.mark(step.number, self.states.done, result=current.routing())
        self.confirmed += 1
        self.tick()

    def fail(self, step: Step, message: str) -> None:
        """Record that this step did not happen, and why."""
        self.journal.mark(step.number, self.states.failed, error=message)
        self.failures.append(Failure(step.number, step.target_id, message))
        self.tick()

    async def write_step(self, step: Step, values: dict[str, Any]) -> None:
        """Journal the step as in flight, write it, journal the outcome."""
        self.journal.mark(step.number, self.states.busy)
        try:
            result = await self.write(step.target_id, RoutingUpdate(**values))
        except RoutingError as error:
            self.fail(step, f"{type(error).__name__}: {error}")
            return
        self.journal.mark(step.number, self.states.done, result=result.routing(), wrote=True)
        self.written += 1
        self.tick()

    async def apply_step(self, step: Step) -> None:
        # A step an earlier run started (killed mid-write) or saw fail (a timeout, an
        # unreadable answer) may have landed: check before writing it again.
        if step.state != "planned" and self.snapshot is not None:
            current = self.snapshot.get(step.target_id)
            if current is not None and _matches(current, step.desired):
                self.confirm(step, current)
                return
        await self.write_step(step, step.desired)

    async def rollback_step(self, step: Step, force: bool) -> None:
        current = (self.snapshot or {}).get(step.target_id)
        if current is None:
            self.fail(step, f"{step.target_id} is no longer in the target account")
        elif _matches(current, step.prior):
            self.confirm(step, current)
        elif force or _matches(current, step.desired):
            await self.write_step(step, step.prior)
        else:
            changed = ", ".join(
                f"{field} is now {getattr(current, field)!r}, migrated {value!r}"
                for field, value in step.desired.items()
                if not _matches(current, {field: value})
            )
            self.fail(
                step,
                f"changed since the migration ({changed}); left as it is. Roll back with "
                "force=True (--force) to restore the prior values anyway",
            )


async def _run_steps(run: _Run, steps: Iterable[Step], concurrency: int, one: StepFn) -> None:
    queue: asyncio.Queue[Step] = asyncio.Queue()
    for step in steps:
        queue.put_nowait(step)

    async def worker() -> None:
        while not queue.empty():
            await one(queue.get_nowait())

    if run.progress is not None:
        # The starting point, so a resumed run's rate counts only this run's work.
        run.progress(run.finished, run.total)
    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, concurrency))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        # One worker failing for good (the journal unusable) or the run cancelled: stop
        # the others before the journal is closed under them.
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise


def _check_rate_limit_waits(waits: int, longest: float) -> None:
    if isinstance(waits, bool) or not isinstance(waits, int) or waits < 0:
        raise ConfigurationError(
            f"max_rate_limit_waits must be a whole number >= 0, not {waits!r}",
            hint=_FIX_ARGUMENTS,
        )
    if not in_range(longest, 0, math.inf):
        raise ConfigurationError(
            f"max_rate_limit_wait must be a number of seconds >= 0, not {longest!r}",
            hint=_FIX_ARGUMENTS,
        )


def _check_concurrency(concurrency: int) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError(
            f"concurrency must be a whole number >= 1, not {concurrency!r}", hint=_FIX_ARGUMENTS
        )


def _check_resumable(book: Journal, plan: Plan, journal: str | Path) -> None:
    """Refuse a journal that holds another migration than ``plan``, or one rolled back.

    On a resume the plan is made anew, so it lacks the numbers already written; every
    number it still plans must be in the journal, for the same target id and values.
    """
    held = book.meta()
    where = f"the journal {str(journal)!r}"
    if (held.get("source"), held.get("target")) != (plan.source, plan.target):
        raise ConfigurationError(
            f"{where} records a migration from {held.get('source')} to "
            f"{held.get('target')}, not this one; use another journal file",
            hint=_NEW_JOURNAL,
        )
    counts = book.counts()
    if any(counts.get(state) for state in ("rolling_back", "rolled_back", "rollback_failed")):
        raise ConfigurationError(
            f"{where} was rolled back; applying it again needs a new journal",
            hint="Use a new journal file to apply again; keep this one as the rollback's record.",
        )
    steps = {step.number: step for step in book.steps()}
    if steps and not any(item.number in steps for item in plan.numbers):
        raise ConfigurationError(
            f"{where} holds another migration: none of its numbers is in both accounts "
            "of this plan",
            hint=_NEW_JOURNAL,
        )
    for item in plan.numbers:
        step = steps.get(item.number)
        if step is not None and step.target_id != item.target_id:
            raise ConfigurationError(
                f"{where} holds another migration: it has {item.number} as "
                f"{step.target_id}, this target as {item.target_id}",
                hint=_NEW_JOURNAL,
            )
    for item in plan.to_write:
        step = steps.get(item.number)
        if step is None or (step.target_id, step.desired) != (
            item.target_id,
            normalized(item.desired()),
        ):
            raise ConfigurationError(
                f"{where} holds another migration: it does not plan {item.number} "
                f"({item.target_id}) as this plan does. The accounts or the source changed "
                "since it was written",
                hint=_NEW_JOURNAL,
            )


_FIX_ARGUMENTS = "Fix the arguments of the migration call; nothing was written."
_NEW_JOURNAL = (
    "Use a new journal file for a new migration; keep this one to resume or roll back "
    "the run it records."
)


async def apply(
    plan: Plan,
    target: AsyncPhoneNumberRouting,
    *,
    journal: str | Path,
    concurrency: int = 8,
    max_requests_per_second: float | None = None,
    max_rate_limit_waits: int = MAX_RATE_LIMIT_WAITS,
    max_rate_limit_wait: float = MAX_RATE_LIMIT_WAIT,
    progress: Progress | None = None,
    durable: bool = False,
) -> Report:
    """Apply ``plan`` to ``target``, recording every step in the journal at ``journal``.

    With a journal that already holds this migration, the run resumes: numbers already
    done are not written again, and numbers an earlier run was writing when it died, or
    saw fail, are read back first and only written if they do not hold the planned
    values yet. A number that fails does not stop the others; the report lists each
    failure. Run it again with the same journal to retry them.

    A rate limit the client's retries did not absorb pauses every worker for the
    vendor's ``retry_after``, up to ``max_rate_limit_waits`` times per number; a wait
    longer than ``max_rate_limit_wait`` seconds fails that number instead.

    Raises:
        ConfigurationError: bad arguments, a journal that cannot be opened or is in use
            by another run, or one that records another migration (or was rolled back).
    """
    _check_concurrency(concurrency)
    _check_rate(max_requests_per_second)
    _check_rate_limit_waits(max_rate_limit_waits, max_rate_limit_wait)
    if target.provider != plan.target:
        raise ConfigurationError(
            f"the plan targets {plan.target}, but the client given is {target.provider}",
            hint=_FIX_ARGUMENTS,
        )
    book = Journal.open(journal, durable=durable)
    try:
        meta = {"source": plan.source, "target": plan.target}
        fresh = book.start(
            meta,
            [
                (n.number, n.target_id, {c.field: c.before for c in n.changes}, n.desired())
                for n in plan.to_write
            ],
        )
        if not fresh:
            _check_resumable(book, plan, journal)
        pending = list(book.steps("planned", "writing", "failed"))
        total = sum(book.counts().values())
        confirmed: list[Step] = []
        gone: list[Step] = []
        if not fresh:
            # The plan is made anew on a resume: a number it no longer writes already
            # holds the source's routing (written before a crash, or the source changed
            # to match), so the journal's older values must not be written over it.
            matched = {item.number for item in plan.numbers}
            writes = {item.number for item in plan.to_write}
            confirmed = [s for s in pending if s.number in matched and s.number not in writes]
            gone = [s for s in pending if s.number not in matched]
            pending = [s for s in pending if s.number in writes]
        run = _Run(
            target,
            book,
            _Pacer(max_requests_per_second),
            max_rate_limit_waits,
            max_rate_limit_wait,
            progress,
            total,
            _APPLY,
            finished=total - len(pending) - len(confirmed) - len(gone),
        )
        if confirmed or any(step.state != "planned" for step in pending):
            run.snapshot = {n.id: n for n in await _collect(target)}
        for step in confirmed:
            current = (run.snapshot or {}).get(step.target_id)
            if current is None:
                run.fail(step, f"{step.target_id} is no longer in the target account")
            else:
                run.confirm(step, current)  # the journal records what the number holds
        for step in gone:
            run.fail(step, f"{step.number} is no longer in both accounts; not written")
        await _run_steps(run, pending, concurrency, run.apply_step)
        return run.report(already_done=total - len(pending) - len(confirmed) - len(gone))
    finally:
        book.close()


def drift(plan: Plan) -> VerifyReport:
    """What still differs between source and target, read off a plan made just now: every
    change it would make is a difference (``expected`` from the source), every source
    number the target lacks is missing, and numbers listed twice are conflicts."""
    differences = [
        Difference(item.number, change.field, change.after, change.before)
        for item in plan.numbers
        # A value no update may send still differs, though no apply can fix it.
        for change in (*item.changes, *item.invalid)
    ]
    return VerifyReport(
        len(plan.numbers),
        tuple(differences),
        missing=plan.only_in_source,
        conflicts=plan.conflicts,
    )


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


async def verify_journal(target: AsyncPhoneNumberRouting, *, journal: str | Path) -> VerifyReport:
    """Read ``target`` back and check it against what the journal says it holds: the
    migrated values of the numbers applied, the prior values of those rolled back.
    Numbers the journal has not finished are listed in `VerifyReport.unfinished`."""
    book = _open_existing(journal, target, shared=True)
    try:
        steps = list(book.steps())
    finally:
        book.close()
    current = {n.id: n for n in await _collect(target)}
    differences: list[Difference] = []
    missing: list[str] = []
    unfinished: list[str] = []
    for step in steps:
        if step.state in ("done", "rolled_back"):
            expected = step.desired if step.state == "done" else step.prior
        else:
            unfinished.append(step.number)
            continue
        number = current.get(step.target_id)
        if number is None:
            missing.append(step.number)
            continue
        for field, value in expected.items():
            if not _matches(number, {field: value}):
                differences.append(Difference(step.number, field, value, getattr(number, field)))
    return VerifyReport(len(steps), tuple(differences), tuple(missing), tuple(unfinished))


def _open_existing(
    journal: str | Path, target: AsyncPhoneNumberRouting, *, shared: bool = False
) -> Journal:
    if not Path(journal).is_file():
        raise ConfigurationError(f"no journal at {str(journal)!r}", hint=_CHECK_JOURNAL)
    book = Journal.open(journal, shared=shared)
    try:
        held = book.meta()
        if held.get("target") != target.provider:
            raise ConfigurationError(
                f"the journal records a migration to {held.get('target') or 'nothing'}, "
                f"but the client given is {target.provider}",
                hint=_CHECK_JOURNAL,
            )
    except BaseException:
        book.close()  # or it stays locked for the rest of the process
        raise
    return book


_CHECK_JOURNAL = "Give the journal file that apply wrote, and the account it migrated to."


async def rollback(
    target: AsyncPhoneNumberRouting,
    *,
    journal: str | Path,
    concurrency: int = 8,
    max_requests_per_second: float | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> Report:
    """Restore, on ``target``, the prior values the journal recorded for every number a
    migration wrote or may have written. Resumable like `apply`.

    The target is read first: a number that already holds its prior values is confirmed
    without a write, and one changed since the migration (it holds neither the migrated
    nor the prior values) is left alone and reported as failed, unless ``force``.
    """
    _check_concurrency(concurrency)
    _check_rate(max_requests_per_second)
    book = _open_existing(journal, target)
    try:
        pending = list(book.steps("done", "writing", "failed", "rolling_back", "rollback_failed"))
        total = len(pending) + book.counts().get("rolled_back", 0)
        run = _Run(
            target,
            book,
            _Pacer(max_requests_per_second),
            MAX_RATE_LIMIT_WAITS,
            MAX_RATE_LIMIT_WAIT,
            progress,
            total,
            _ROLLBACK,
            finished=total - len(pending),
        )
        if pending:
            run.snapshot = {n.id: n for n in await _collect(target)}
            if not any(step.target_id in run.snapshot for step in pending):
                # Same provider, another account: failing every step would mark the
                # journal rolled back (and so spent) without touching anything.
                raise ConfigurationError(
                    f"the target account holds none of the {len(pending)} numbers the "
                    f"journal {str(journal)!r} would roll back; is it the account the "
                    "migration wrote to?",
                    hint=_CHECK_JOURNAL,
                )
        await _run_steps(run, pending, concurrency, lambda step: run.rollback_step(step, force))
        return run.report(already_done=total - len(pending))
    finally:
        book.close()
