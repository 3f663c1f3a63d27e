"""Running a migration: plan, apply (concurrent, journaled, resumable), verify, rollback.

`plan`, `apply`, `verify`, `verify_journal` and `rollback` take async clients
(`phonerouting.connect_async`); `drift` reads a plan. Only `apply` and `rollback`
write to the target; the others only read.
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
import inspect
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from phonerouting.adapters.base import Adapter
from phonerouting.errors import ConfigurationError, NotFoundError, RateLimitError, RoutingError
from phonerouting.inputs import in_range
from phonerouting.migration.journal import (
    MAY_HAVE_SENT,
    TRANSITIONS,
    JournalStore,
    SharedJournalStore,
    SQLiteJournal,
    Step,
    StepState,
    check_transition,
    normalized,
)
from phonerouting.migration.plan import Plan, is_empty, make_plan
from phonerouting.model import PhoneNumber, RoutingUpdate
from phonerouting.postgres.connection import is_url
from phonerouting.protocol import AsyncPhoneNumberRouting
from phonerouting.registry import adapter_for

__all__ = [
    "Changed",
    "Difference",
    "Failure",
    "FieldChange",
    "Report",
    "SourceChanges",
    "VerifyReport",
    "apply",
    "drift",
    "plan",
    "rollback",
    "verify",
    "verify_journal",
]

logger = logging.getLogger("phonerouting.migration")

#: What ``journal=`` takes: a path (the SQLite journal), a PostgreSQL URL (the shared
#: `PostgresJournal`) or a `JournalStore`.
JournalArg = str | Path | JournalStore

#: Called with (numbers finished, numbers in the run): once at the start, then after
#: each number.
Progress = Callable[[int, int], None]
StepFn = Callable[[Step], Awaitable[None]]

#: How many rate limits a number may wait out (beyond the client's own retries).
MAX_RATE_LIMIT_WAITS = 5
#: The longest rate-limit pause waited out, in seconds; a longer one fails the number.
MAX_RATE_LIMIT_WAIT = 300.0
#: The longest time, in seconds, from the answer of the read a write was compared
#: against to the moment that write is sent (`apply` and `rollback` take
#: ``read_window=``). For a vendor without a per-number read (Linq), one listing serves
#: every number read while it is this young, however many: its cost is spread over
#: all the numbers of the account written meanwhile, not paid again every few numbers.
READ_WINDOW = 5.0
#: How many times a number is read again because its read grew older than the window
#: before its write could go (a long rate-limit pause); then it fails, to run again.
MAX_STALE_READS = 3

_T = TypeVar("_T")


@attrs.frozen
class Failure:
    """A number whose write failed, with the error that says why."""

    number: str
    target_id: str
    error: str


@attrs.frozen
class FieldChange:
    """One field of a number that no longer holds what the run expected.

    For `apply`, ``planned`` is the value the plan saw on the target (its ``before``);
    for `rollback`, the value the migration wrote. ``found`` is what the target held
    when read just before the write.
    """

    field: str
    planned: Any
    found: Any


@attrs.frozen
class Changed:
    """A number left unwritten because it changed since the plan (or, for a rollback,
    since the migration): someone else edited it, and the run will not overwrite an
    edit it did not plan. ``force=True`` writes it anyway."""

    number: str
    target_id: str
    fields: tuple[FieldChange, ...]


@attrs.frozen
class SourceChanges:
    """What a resumed apply's fresh plan changed against the journal's plan, by E.164
    number: numbers ``added`` to the run, unfinished numbers ``removed`` from it (no
    longer in both accounts), and numbers whose values to write ``changed`` (an
    unfinished number the fresh plan writes differently or no longer writes, or a
    number already done that it would write again: not rewritten, see the guide)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()


@attrs.frozen
class Report:
    """What `apply` or `rollback` did."""

    total: int
    written: int
    #: Numbers already done by an earlier run of the same journal (not written again).
    already_done: int
    #: Numbers that already held the values to write when read just before the write
    #: (a write whose answer a crash lost, or an edit that made them so): not written.
    confirmed_without_write: int
    failed: tuple[Failure, ...] = ()
    #: Numbers not written because they changed since the plan (apply) or since the
    #: migration (rollback); see `Changed`.
    changed: tuple[Changed, ...] = ()
    #: Rate-limit answers (HTTP 429) the run met: those the engine waited out and those
    #: the client retried on its own.
    retries: int = 0
    #: For a resumed `apply`, what changed in the source since the journal's plan;
    #: None on a fresh run (and for a rollback).
    source_changes: SourceChanges | None = None

    @property
    def ok(self) -> bool:
        """True when no number failed or was left unwritten as changed."""
        return not (self.failed or self.changed)


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


def _require_async(client: object, role: str, call: str) -> None:
    """Refuse a client the engine cannot await (a sync `phonerouting.connect` client,
    say) with the fix, instead of a TypeError from deep inside the run."""
    if isinstance(client, AsyncPhoneNumberRouting):
        return
    what = "a synchronous client" if hasattr(client, "__enter__") else type(client).__name__
    raise ConfigurationError(
        f"migration.{call} needs an async client for the {role}, not {what}",
        hint=(
            "Connect with phonerouting.connect_async(...) and use it with `async with` "
            "(the migration engine is asynchronous); phonerouting.connect() gives a "
            "synchronous client."
        ),
    )


async def plan(
    source: AsyncPhoneNumberRouting,
    target: AsyncPhoneNumberRouting,
    fields: Sequence[str] | None = None,
) -> Plan:
    """Read both accounts and plan the migration of ``source``'s routing onto ``target``.

    Raises:
        ConfigurationError: a client that is not asynchronous (`connect_async`).
    """
    _require_async(source, "source", "plan")
    _require_async(target, "target", "plan")
    source_numbers, target_numbers = await asyncio.gather(_collect(source), _collect(target))
    return make_plan(
        source_numbers, target_numbers, source.capabilities, target.capabilities, fields
    )


def _norm(value: Any) -> Any:
    if is_empty(value):
        return None
    return tuple(value) if isinstance(value, list) else value


def _matches(number: PhoneNumber, wanted: Mapping[str, Any]) -> bool:
    return all(_norm(getattr(number, f)) == _norm(v) for f, v in wanted.items())


def _found(number: PhoneNumber, fields: Iterable[str]) -> dict[str, Any]:
    """The values ``number`` holds for ``fields``, as the journal records them."""
    return normalized({f: _norm(getattr(number, f)) for f in fields})


def _conflicts(
    number: PhoneNumber, expected: Mapping[str, Any], writes: Mapping[str, Any]
) -> tuple[FieldChange, ...]:
    """The fields of ``number`` that hold neither what the run expected there nor what
    it is about to write: an edit the run did not plan. A field already holding the
    value to write is no conflict (writing it again changes nothing)."""
    return tuple(
        FieldChange(field, _norm(expected.get(field)), _norm(getattr(number, field)))
        for field, value in writes.items()
        if not _matches(number, {field: expected.get(field)})
        and not _matches(number, {field: value})
    )


def _may_have_landed(step: Step) -> bool:
    # A journal written before `sent` was recorded marks a sent write only by its state.
    return step.sent or step.state in MAY_HAVE_SENT


def _takes_current(target: AsyncPhoneNumberRouting) -> bool:
    """Whether ``target.update_routing`` takes the number just read as ``current=``
    (phonerouting's clients and their wrappers do): a write that needs the number as
    it stands then reuses the compare-before-write read instead of reading again."""
    try:
        return "current" in inspect.signature(target.update_routing).parameters
    except (TypeError, ValueError):  # no signature to read: call it the plain way
        return False


def _adapter(target: AsyncPhoneNumberRouting) -> Adapter | None:
    """The registered adapter of ``target``'s provider, for its pure rules (how a
    number is read, what restores it exactly); None for a client of another provider."""
    try:
        return adapter_for(target.provider)
    except ConfigurationError:
        return None


class _Retries(logging.Handler):
    """Counts the rate limits the client retried on its own, for the run whose task
    logged them: the client announces each retry on the ``phonerouting`` logger
    (`phonerouting.retry`), and the engine has no other view of them."""

    def emit(self, record: logging.LogRecord) -> None:
        run = _CURRENT_RUN.get()
        if run is None or not isinstance(record.args, tuple) or not record.args:
            return
        if record.msg.startswith("retrying after") and str(record.args[0]).startswith(
            "RateLimitError"
        ):
            wait = record.args[-1]
            run.rate_limited(float(wait) if isinstance(wait, int | float) else None)


_CURRENT_RUN: contextvars.ContextVar[_Run | None] = contextvars.ContextVar(
    "phonerouting_migration_run", default=None
)
logging.getLogger("phonerouting").addHandler(_Retries())


def _check_rate(per_second: float | None) -> None:
    if per_second is None:
        return
    if not in_range(per_second, 0, math.inf, low_open=True):
        raise ConfigurationError(
            f"max_requests_per_second must be a number above 0 (or None), not {per_second!r}",
            hint=_FIX_ARGUMENTS,
        )


#: Adaptive concurrency: the factor a rate limit cuts the window and the rate by.
DECREASE = 0.5
#: After a cut, the request rate is set to this share of the successes of the last second
#: (what the vendor just let through), so the run settles below the vendor's limit.
RATE_SHARE = 0.8
#: How fast the rate climbs back while no rate limit comes: this share of itself per
#: second (at least one request per second more each second).
RATE_CLIMB = 0.03
#: Fewer successes than this in the last second say too little of the vendor's rate
#: to pace by them.
MIN_SAMPLE = 10
#: The window a run starts with (or its concurrency, when lower).
START_WINDOW = 4.0
#: Rate limits closer together than this (seconds) are one overload: one cut.
CUT_INTERVAL = 1.0
#: This many rate limits in one overload are a wave of requests that were in flight
#: together (a run's start, unpaced): every worker then holds for the vendor's wait, so
#: the client's retries of the wave meet a refilled allowance instead of a new wave.
WAVE = 3


class _Pacer:
    """Paces the run's requests: adaptive concurrency and rate (AIMD), the caller's
    ``per_second`` cap, and the pause the vendor asked for.

    * A window of requests in flight, at most ``ceiling`` (the run's ``concurrency``):
      a rate limit halves it (multiplicative decrease); each success adds
      ``1 / window``, so a window's worth of successes adds one (additive increase).
    * A request rate, unpaced (or the caller's cap) until the first rate limit: a cut
      sets it to `RATE_SHARE` of the successes of the last second, and it climbs back by
      `RATE_CLIMB` per second while no rate limit comes, never above the cap. Pacing the
      rate matters as much as the window: against a fast vendor even one request in
      flight at a time can exceed its limit.
    * A pause: a 429 the client did not absorb holds every worker for the vendor's
      ``retry_after`` (a 429 slows every worker, not one).
    """

    def __init__(
        self,
        per_second: float | None,
        ceiling: int = 1,
        shared: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        # A journal shared by several workers paces them all together (its
        # `SharedJournalStore.throttle`), after this worker's own pacing.
        self._shared = shared
        self._cap = per_second
        self._rate = per_second
        self._next = 0.0
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._ceiling = float(max(1, ceiling))
        # A gentle start: the window grows additively from a few requests, so the
        # first overload (before anything is known of the vendor's limit) costs a few
        # 429s, not one per worker.
        self.window = min(self._ceiling, START_WINDOW)
        self._in_flight = 0
        self._slots = asyncio.Condition()
        self._successes: collections.deque[float] = collections.deque()
        #: The most successes seen in one second: the scale the rate climbs back at.
        self._best = 0
        self._last_cut = -math.inf
        self._wave = 0
        self._cuts = 0

    @property
    def rate(self) -> float | None:
        """The requests per second the run is paced at now (None: not paced)."""
        return self._rate

    def hold(self, seconds: float) -> None:
        """Start no request for ``seconds`` from now."""
        until = asyncio.get_running_loop().time() + seconds
        self._paused_until = max(self._paused_until, until)

    async def acquire(self) -> None:
        """Wait for a place in the window, the end of any pause, and the request's turn."""
        async with self._slots:
            await self._slots.wait_for(lambda: self._in_flight < int(self.window))
            self._in_flight += 1
        loop = asyncio.get_running_loop()
        while (pause := self._paused_until - loop.time()) > 0:
            await asyncio.sleep(pause)
        while self._rate:
            async with self._lock:
                now = loop.time()
                delay = self._next - now
                self._next = max(now, self._next) + 1.0 / self._rate
                cuts = self._cuts
            if delay > 0:
                await asyncio.sleep(delay)
            # A turn taken at the rate before a cut would still go at that rate: take
            # a new one at the new rate.
            if self._cuts == cuts:
                break
        if self._shared is not None:
            try:
                await self._shared()
            except BaseException:
                await self.release()  # the journal failed: the run stops, slot freed
                raise

    async def release(self) -> None:
        """The request is over: its place in the window is free."""
        async with self._slots:
            self._in_flight -= 1
            self._slots.notify_all()

    def succeeded(self) -> None:
        """A request went through: additive increase."""
        now = asyncio.get_running_loop().time()
        self._successes.append(now)
        self._forget(now)
        self._best = max(self._best, len(self._successes))
        self.window = min(self._ceiling, self.window + 1.0 / self.window)
        if self._rate is not None:
            step = max(1.0, RATE_CLIMB * max(self._rate, self._best))
            climbed = self._rate + step / self._rate
            self._rate = climbed if self._cap is None else min(self._cap, climbed)

    def rate_limited(self, wait: float | None = None) -> None:
        """The vendor answered 429 (to the engine, or to the client, which retries it
        after ``wait`` seconds): multiplicative decrease, once per overload."""
        now = asyncio.get_running_loop().time()
        if now - self._last_cut < CUT_INTERVAL:
            self._wave += 1
            if self._wave >= WAVE and wait:
                self.hold(wait)
            return
        self._last_cut, self._wave = now, 1
        self._forget(now)
        self.window = max(1.0, self.window * DECREASE)
        through = len(self._successes)
        if through >= MIN_SAMPLE:
            rate = RATE_SHARE * through
            if self._rate is not None:
                # Paced already and still over: the last second's count overstates the
                # limit (a burst the vendor allowed at the start, say), so halve too.
                rate = min(rate, self._rate * DECREASE)
        elif self._rate is not None:
            rate = self._rate * DECREASE
        else:
            return  # too little seen to guess the vendor's rate: the window cut it is
        rate = max(0.5, rate)
        self._rate = rate if self._cap is None else min(self._cap, rate)
        self._cuts += 1
        self._next = now + 1.0 / self._rate

    def _forget(self, now: float) -> None:
        while self._successes and self._successes[0] < now - 1.0:
            self._successes.popleft()


def _pacer(book: JournalStore, per_second: float | None, concurrency: int) -> _Pacer:
    """The run's pacer: with a journal shared by several workers, a rate cap holds for
    all of them together (every request takes its turn from the journal too)."""
    shared = None
    if per_second is not None and isinstance(book, SharedJournalStore):
        rate = per_second

        def shared() -> Awaitable[None]:
            return book.throttle(rate)

    return _Pacer(per_second, concurrency, shared)


@attrs.frozen
class _States:
    """The journal states one kind of run moves a step to; which steps it works on is
    read off `TRANSITIONS`."""

    done: StepState
    busy: StepState
    failed: StepState
    changed: StepState

    @property
    def own(self) -> frozenset[StepState]:
        """The states only this kind of run leaves a step in."""
        return frozenset((self.done, self.busy, self.failed, self.changed))

    @property
    def pending(self) -> tuple[StepState, ...]:
        """The states of the steps this kind of run works on: those it may write from."""
        return tuple(state for state in StepState if self.busy in TRANSITIONS[state])


_APPLY = _States(StepState.DONE, StepState.WRITING, StepState.FAILED, StepState.CHANGED)
_ROLLBACK = _States(
    StepState.ROLLED_BACK,
    StepState.ROLLING_BACK,
    StepState.ROLLBACK_FAILED,
    StepState.ROLLBACK_CHANGED,
)


#: The clock the reads' ages are measured on (monotonic seconds; tests replace it).
_clock: Callable[[], float] = time.monotonic


@attrs.frozen
class _Read:
    """A number as the target held it, and when (`_clock`) the answer arrived."""

    number: PhoneNumber
    at: float


class _StaleReadError(Exception):
    """The read a write was compared against grew older than the window before the
    write's turn came: the write was not sent."""


class _Reader:
    """Reads a number just before it is written: one `get_number` where the vendor has
    a per-number read, else the account's listing, shared by every read made while it
    is younger than the window.

    The next listing is taken ahead of time, when the current one's age comes within
    twice a listing's duration of the window (at most half the window early), so the
    reads go on from the current listing while the next is under way instead of all
    waiting for it; a read only waits for a listing when the current one has passed the
    window. One listing at a time.
    """

    def __init__(self, run: _Run, per_number: bool, window: float) -> None:
        self._run = run
        self._per_number = per_number
        self.window = window
        self._listing: dict[str, PhoneNumber] | None = None
        self._at = -math.inf
        #: How early, before the window ends, the next listing is taken.
        self._lead = 0.0
        self._next: asyncio.Future[None] | None = None
        #: How many listings the reads took.
        self.listings = 0

    def seed(self, listing: dict[str, PhoneNumber], at: float, took: float = 0.0) -> None:
        """Serve reads from a listing whose answer arrived at ``at``, ``took`` seconds
        after it was asked for."""
        self._listing, self._at = listing, at
        self._lead = min(self.window / 2, 2 * took)

    def stale(self, at: float) -> bool:
        """Whether a read answered at ``at`` is older than the window now."""
        return _clock() - at > self.window

    async def current(self, target_id: str) -> _Read | None:
        """The number as the target holds it now, or None when it is gone."""
        target = self._run.target
        if self._per_number:
            try:
                number = await self._run.request(lambda: target.get_number(target_id))
            except NotFoundError:
                return None
            return _Read(number, _clock())
        age = _clock() - self._at
        if self._listing is None or age > self.window:
            await self._fresh()
        elif self._next is None and age > self.window - self._lead:
            self._next = asyncio.ensure_future(self._take())
        assert self._listing is not None
        found = self._listing.get(target_id)
        return None if found is None else _Read(found, self._at)

    async def _take(self) -> None:
        asked = _clock()
        numbers = await self._run.request(lambda: _collect(self._run.target))
        at = _clock()
        self.listings += 1
        self.seed({n.id: n for n in numbers}, at, at - asked)
        # Done: the next read may ask for the one after. (A failed one stays until a
        # read that needs it is told, so a failing vendor is not asked on every read.)
        self._next = None

    async def _fresh(self) -> None:
        """Wait for the listing under way, or a new one: the freshest there can be,
        whatever its age when the read resumes (the write's own check sees to that).
        Its failure is each waiting read's (their steps fail; the next read lists
        again)."""
        task = self._next
        if task is None:
            task = self._next = asyncio.ensure_future(self._take())
        try:
            # Shielded: a reader cancelled must not cancel the listing others await.
            await asyncio.shield(task)
        finally:
            if self._next is task and task.done():
                self._next = None

    async def close(self) -> None:
        """Stop a listing taken ahead that no read waited for (the run is over)."""
        task, self._next = self._next, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


@attrs.define
class _Run:
    target: AsyncPhoneNumberRouting
    journal: JournalStore
    pacer: _Pacer
    max_rate_limit_waits: int
    max_rate_limit_wait: float
    progress: Progress | None
    total: int
    states: _States
    force: bool = False
    finished: int = 0
    read_window: float = READ_WINDOW
    written: int = 0
    confirmed: int = 0
    retries: int = 0
    failures: list[Failure] = attrs.Factory(list)
    changes: list[Changed] = attrs.Factory(list)
    reader: _Reader = attrs.field(init=False)
    adapter: Adapter | None = attrs.field(init=False)
    takes_current: bool = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.adapter = _adapter(self.target)
        self.takes_current = _takes_current(self.target)
        # Without a per-number read (Linq), a get_number lists the whole account.
        self.reader = _Reader(
            self, self.adapter is None or self.adapter.reads_one_number, self.read_window
        )

    def restorable(self, number: PhoneNumber) -> dict[str, Any]:
        """The vendor state that puts ``number`` back exactly, for the journal."""
        return {} if self.adapter is None else self.adapter.restorable_state(number)

    async def send(
        self, step: Step, values: dict[str, Any], restore: bool, current: _Read
    ) -> PhoneNumber:
        """The write of ``values`` to ``current`` (the number as just read); with
        ``restore``, the journal's vendor state too.

        Raises:
            _StaleReadError: when the write's turn came (after the journal's commit and the
                pacing), ``current`` was older than the window; nothing was sent.
        """
        update = RoutingUpdate(**values)
        restoring = getattr(self.target, "restore_routing", None)

        async def fresh() -> PhoneNumber:
            # Checked once the request holds its turn: the last moment before it goes.
            if self.reader.stale(current.at):
                raise _StaleReadError
            if restore and step.restore and restoring is not None:
                restored: PhoneNumber = await restoring(step.target_id, update, step.restore)
                return restored
            if self.takes_current:
                # The compare-before-write read is the read the update may need first.
                return await self.target.update_routing(  # type: ignore[call-arg]
                    step.target_id, update, current=current.number
                )
            return await self.target.update_routing(step.target_id, update)

        return await self.request(fresh)

    def report(self, already_done: int) -> Report:
        """What this run did."""
        return Report(
            total=self.total,
            written=self.written,
            already_done=already_done,
            confirmed_without_write=self.confirmed,
            failed=tuple(sorted(self.failures, key=lambda f: f.number)),
            changed=tuple(sorted(self.changes, key=lambda c: c.number)),
            retries=self.retries,
        )

    def tick(self) -> None:
        self.finished += 1
        if self.progress is not None:
            self.progress(self.finished, self.total)

    async def request(self, call: Callable[[], Awaitable[_T]]) -> _T:
        """One request (a read or a write), paced, waiting out rate limits the client
        did not absorb."""
        waits = 0
        while True:
            await self.pacer.acquire()
            try:
                result = await call()
            except RateLimitError as error:
                self.rate_limited()
                waits += 1
                pause = error.retry_after if error.retry_after is not None else 1.0
                if waits > self.max_rate_limit_waits or pause > self.max_rate_limit_wait:
                    raise
                self.pacer.hold(pause)
                continue
            finally:
                await self.pacer.release()
            self.pacer.succeeded()
            return result

    def rate_limited(self, wait: float | None = None) -> None:
        """Count a 429 (the engine's, or one the client retries after ``wait``
        seconds) and slow down."""
        self.retries += 1
        self.pacer.rate_limited(wait)

    async def move(
        self, step: Step, state: StepState, *, previous: StepState | None = None, **values: Any
    ) -> bool:
        """Journal ``step``'s move to ``state`` from ``previous`` (its state as read) once
        `TRANSITIONS` allows it; False when the journal gave the step to another worker.

        Raises:
            IllegalTransitionError: a move the table does not allow (a bug).
        """
        previous = step.state if previous is None else previous
        check_transition(step.number, previous, state)
        return await self.journal.mark(step.number, state, previous=previous, **values)

    async def confirm(self, step: Step, current: PhoneNumber, prior: dict[str, Any] | None) -> None:
        """The number already holds what this step would write: done without a write."""
        if await self.move(step, self.states.done, result=current.routing(), prior=prior):
            self.confirmed += 1
            self.tick()

    async def fail(self, step: Step, message: str, previous: StepState | None = None) -> None:
        """Record that this step did not happen, and why."""
        if await self.move(step, self.states.failed, previous=previous, error=message):
            self.failures.append(Failure(step.number, step.target_id, message))
            self.tick()

    async def hold_back(self, step: Step, fields: tuple[FieldChange, ...]) -> None:
        """Leave a number someone else edited as it is, and say what changed."""
        shown = "; ".join(f"{c.field}: expected {c.planned!r}, found {c.found!r}" for c in fields)
        if await self.move(step, self.states.changed, error=f"changed ({shown})"):
            self.changes.append(Changed(step.number, step.target_id, fields))
            self.tick()

    async def write_step(
        self,
        step: Step,
        current: _Read,
        values: dict[str, Any],
        prior: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
        restore: bool = False,
    ) -> Step | None:
        """Journal the step as in flight (with the values and vendor state found just
        before in ``current``), write it, journal the outcome.

        Returns the step as the journal now holds it when its read grew older than the
        window before the write could go (nothing sent): it is to be read and compared
        again. None otherwise.
        """
        busy = self.states.busy
        if not await self.move(step, busy, prior=prior, restore=state, sent=True):
            return None  # another worker holds the number (a shared journal)
        try:
            result = await self.send(step, values, restore, current)
        except _StaleReadError:
            # Recorded as sent (it was about to be), which only makes a resume and a
            # rollback read it with care.
            return attrs.evolve(
                step,
                state=busy,
                prior=step.prior if prior is None else prior,
                restore=step.restore if state is None else state,
                sent=True,
            )
        except RoutingError as error:
            await self.fail(step, f"{type(error).__name__}: {error}", previous=busy)
            return None
        done = self.states.done
        if await self.move(step, done, previous=busy, result=result.routing(), wrote=True):
            self.written += 1
            self.tick()
        return None

    async def read(self, step: Step) -> _Read | None:
        """The step's number as the target holds it now; the step fails when the read
        does or the number is gone."""
        try:
            current = await self.reader.current(step.target_id)
        except RoutingError as error:
            await self.fail(step, f"{type(error).__name__}: {error}")
            return None
        if current is None:
            await self.fail(step, f"{step.target_id} is no longer in the target account")
        return current

    async def until_written(
        self, step: Step, once: Callable[[Step], Awaitable[Step | None]]
    ) -> None:
        """Run ``once`` (read, compare, write) until the step is settled: again, from
        a fresh read, while the read grew older than the window before the write went,
        at most `MAX_STALE_READS` times more."""
        for _ in range(MAX_STALE_READS + 1):
            again = await once(step)
            if again is None:
                return
            step = again
        await self.fail(
            step,
            f"not written: {MAX_STALE_READS + 1} times its read was more than "
            f"{self.read_window:g} s old before its write could go (rate-limit pauses); "
            "run again",
        )

    async def apply_step(self, step: Step) -> None:
        await self.until_written(step, self._apply_once)

    async def _apply_once(self, step: Step) -> Step | None:
        # Compare before write: the number is read just before it is written, and
        # written only while it still holds the plan's values (or already the new ones).
        read = await self.read(step)
        if read is None:
            return None
        current = read.number
        found = _found(current, step.desired)
        # A write an earlier run sent may have landed, wholly or in part: what it wrote
        # is not what the number held before the migration, so that stays as recorded.
        landed = _may_have_landed(step)
        if landed:
            found = {
                f: step.prior.get(f) if _matches(current, {f: step.desired[f]}) else v
                for f, v in found.items()
            }
        if _matches(current, step.desired):
            await self.confirm(step, current, None if landed else found)
            return None
        conflicts = _conflicts(current, step.prior, step.desired)
        if conflicts and not self.force:
            await self.hold_back(step, conflicts)
            return None
        # What a landed write changed is not the number's own state: keep the first.
        state = None if landed and step.restore else self.restorable(current)
        return await self.write_step(step, read, step.desired, prior=found, state=state)

    async def confirm_step(self, step: Step) -> None:
        """Record what a number the fresh plan no longer writes holds now."""
        read = await self.read(step)
        if read is not None:
            await self.confirm(step, read.number, None)

    async def rollback_step(self, step: Step) -> None:
        await self.until_written(step, self._rollback_once)

    async def _rollback_once(self, step: Step) -> Step | None:
        read = await self.read(step)
        if read is None:
            return None
        current = read.number
        if _matches(current, step.prior):
            await self.confirm(step, current, None)
            return None
        conflicts = _conflicts(current, step.desired, step.prior)
        if conflicts and not self.force:
            await self.hold_back(step, conflicts)
            return None
        return await self.write_step(step, read, step.prior, restore=True)


async def _run_steps(run: _Run, steps: Iterable[Step], concurrency: int, one: StepFn) -> None:
    queue: asyncio.Queue[Step] = asyncio.Queue()
    for step in steps:
        queue.put_nowait(step)

    async def worker() -> None:
        while not queue.empty():
            await one(queue.get_nowait())

    await _run_workers(run, concurrency, worker)


async def _run_workers(run: _Run, concurrency: int, worker: Callable[[], Awaitable[None]]) -> None:
    """Run ``concurrency`` tasks of ``worker`` to their end (all of them stopped when one
    fails for good or the run is cancelled)."""
    if run.progress is not None:
        # The starting point, so a resumed run's rate counts only this run's work.
        run.progress(run.finished, run.total)
    # The workers' tasks copy this context: the client's retry log finds its run.
    token = _CURRENT_RUN.set(run)
    try:
        workers = [asyncio.ensure_future(worker()) for _ in range(max(1, concurrency))]
    finally:
        _CURRENT_RUN.reset(token)
    try:
        await asyncio.gather(*workers)
    except BaseException:
        # One worker failing for good (the journal unusable) or the run cancelled: stop
        # the others before the journal is closed under them.
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    finally:
        await run.reader.close()


#: The longest a worker of a shared journal waits before it looks again for steps other
#: workers hold (they may finish them, or die and leave them to claim), in seconds.
CLAIM_POLL = 1.0


async def _run_claimed(
    run: _Run,
    book: SharedJournalStore,
    concurrency: int,
    one: StepFn,
    sent_only: Sequence[StepState] = (),
    confirm: Sequence[Step] = (),
) -> None:
    """`_run_steps` for a journal shared by several workers: the steps come from claims
    on the journal, ``concurrency`` at a time, until none is left to claim and no other
    worker holds one (the run ends when every step is finished, whoever finished it).
    The steps in ``confirm`` are confirmed first (`_Run.confirm_step`), unclaimed: the
    other workers' plans are this one's, and the first to move one does."""
    states = run.states.pending
    unclaimed = list(reversed(confirm))
    claimed: list[Step] = []
    lock = asyncio.Lock()
    over = False

    async def next_step() -> Step | None:
        nonlocal over
        async with lock:  # one claim at a time; the other tasks wait for its steps
            while not claimed and not over:
                found = await book.claim(states, concurrency, sent_only=sent_only)
                if found:
                    claimed.extend(reversed(found))
                    break
                wait = await book.held(states, sent_only=sent_only)
                if wait is None:
                    over = True
                    break
                await asyncio.sleep(min(CLAIM_POLL, max(0.05, wait)))
            return claimed.pop() if claimed else None

    async def worker() -> None:
        while unclaimed:
            await run.confirm_step(unclaimed.pop())
        while (step := await next_step()) is not None:
            await one(step)

    await _run_workers(run, concurrency, worker)


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


def _check_read_window(seconds: float) -> None:
    if not in_range(seconds, 0, math.inf, low_open=True):
        raise ConfigurationError(
            f"read_window must be a number of seconds above 0, not {seconds!r}",
            hint=_FIX_ARGUMENTS,
        )


def _check_concurrency(concurrency: int) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigurationError(
            f"concurrency must be a whole number >= 1, not {concurrency!r}", hint=_FIX_ARGUMENTS
        )


#: The steps an apply has not finished: those it works on.
_UNFINISHED = _APPLY.pending


async def _resume(book: JournalStore, plan: Plan) -> SourceChanges:
    """Resume the journal's run with ``plan``, made anew, and say what changed in the
    source since the journal's plan.

    Refused: a journal of another pair of accounts (other providers, numbers with other
    target ids, or no number in common) and one rolled back. Otherwise the fresh plan
    wins: numbers it adds are added, unfinished numbers take its values to write (the
    values they were planned over stay the journal's, so an edit on the target since is
    still caught), and unfinished numbers no longer in both accounts leave the run.
    """
    held = await book.meta()
    where = f"the journal {book.name!r}"
    if (held.get("source"), held.get("target")) != (plan.source, plan.target):
        raise ConfigurationError(
            f"{where} records a migration from {held.get('source')} to "
            f"{held.get('target')}, not this one; use another journal file",
            hint=_NEW_JOURNAL,
        )
    counts = await book.counts()
    if any(counts.get(state) for state in _ROLLBACK.own):
        raise ConfigurationError(
            f"{where} was rolled back; applying it again needs a new journal",
            hint="Use a new journal file to apply again; keep this one as the rollback's record.",
        )
    steps = {step.number: step for step in await book.steps()}
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
    writes = {item.number: item for item in plan.to_write}
    matched = {item.number for item in plan.numbers}
    added = sorted(set(writes) - set(steps))
    removed = sorted(n for n, s in steps.items() if s.state in _UNFINISHED and n not in matched)
    changed: list[str] = []
    for number, step in steps.items():
        planned = writes.get(number)
        if planned is None:
            # Matched but nothing left to write: the source now matches the target
            # (unless a write that may have landed made it so).
            if step.state in _UNFINISHED and number in matched and not _may_have_landed(step):
                changed.append(number)
            continue
        desired = normalized(planned.desired())
        if desired == step.desired:
            continue
        changed.append(number)
        if step.state in _UNFINISHED:
            before = normalized({c.field: c.before for c in planned.changes})
            await book.replan(number, {f: step.prior.get(f, before[f]) for f in desired}, desired)
    await book.add_steps(
        [
            (
                n,
                writes[n].target_id,
                {c.field: c.before for c in writes[n].changes},
                writes[n].desired(),
            )
            for n in added
        ]
    )
    for number in removed:
        await book.drop(number)  # kept when a write of it was sent: a rollback may need it
    return SourceChanges(tuple(added), tuple(removed), tuple(sorted(changed)))


_FIX_ARGUMENTS = "Fix the arguments of the migration call; nothing was written."
_NEW_JOURNAL = (
    "Use a new journal file for a new migration; keep this one to resume or roll back "
    "the run it records."
)


async def apply(
    plan: Plan,
    target: AsyncPhoneNumberRouting,
    *,
    journal: JournalArg,
    concurrency: int = 8,
    max_requests_per_second: float | None = None,
    max_rate_limit_waits: int = MAX_RATE_LIMIT_WAITS,
    max_rate_limit_wait: float = MAX_RATE_LIMIT_WAIT,
    progress: Progress | None = None,
    durable: bool = False,
    force: bool = False,
    read_window: float = READ_WINDOW,
) -> Report:
    """Apply ``plan`` to ``target``, recording every step in ``journal``: a path (the
    SQLite journal, created if needed) or a `JournalStore`.

    Compare before write: each number is read just before it is written (one
    `get_number`, or, for a vendor without a per-number read, the account's listing,
    shared by every read made within ``read_window`` seconds of its answer) and written
    only while it still holds the plan's ``before`` values. A write is sent at most
    ``read_window`` seconds after the answer of the read it was compared against; a
    number whose read is older when its write's turn comes is read and compared again
    (at most `MAX_STALE_READS` times, then it fails). A number edited since the plan is
    left as it is and listed in `Report.changed` (field, planned, found); ``force=True``
    writes it anyway. The journal records the values found just before each write,
    which `rollback` restores.

    With a journal that already holds this migration, the run resumes: numbers already
    done are not written again; numbers an earlier run was writing when it died, saw
    fail, or left as changed are read again and written only if they do not hold the
    planned values yet (and, for those changed, hold again what the plan expected). A
    number that fails does not stop the others; the report lists each failure. Run it
    again with the same journal to retry them.

    A rate limit the client's retries did not absorb pauses every worker for the
    vendor's ``retry_after``, up to ``max_rate_limit_waits`` times per request; a wait
    longer than ``max_rate_limit_wait`` seconds fails that number instead.

    ``durable`` (power-loss durability: an fsync per commit) applies to a journal path
    or PostgreSQL URL; a `JournalStore` given instead decides its own durability.

    Raises:
        ConfigurationError: bad arguments (a client that is not asynchronous among
            them), a journal that cannot be opened or is in use by another run, or one
            that records another migration (or was rolled back).
    """
    _require_async(target, "target", "apply")
    _check_concurrency(concurrency)
    _check_rate(max_requests_per_second)
    _check_read_window(read_window)
    _check_rate_limit_waits(max_rate_limit_waits, max_rate_limit_wait)
    if target.provider != plan.target:
        raise ConfigurationError(
            f"the plan targets {plan.target}, but the client given is {target.provider}",
            hint=_FIX_ARGUMENTS,
        )
    book = _store(journal, durable)
    await book.open()
    try:
        meta = {"source": plan.source, "target": plan.target}
        fresh = await book.start(
            meta,
            [
                (n.number, n.target_id, {c.field: c.before for c in n.changes}, n.desired())
                for n in plan.to_write
            ],
        )
        source_changes = None if fresh else await _resume(book, plan)
        pending = await book.steps(*_APPLY.pending)
        total = sum((await book.counts()).values())
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
            _pacer(book, max_requests_per_second, concurrency),
            max_rate_limit_waits,
            max_rate_limit_wait,
            progress,
            total,
            _APPLY,
            force=force,
            finished=total - len(pending) - len(confirmed) - len(gone),
            read_window=read_window,
        )
        for step in gone:
            await run.fail(step, f"{step.number} is no longer in both accounts; not written")
        again = {step.number for step in confirmed}
        if isinstance(book, SharedJournalStore):
            await _run_claimed(run, book, concurrency, run.apply_step, confirm=confirmed)
        else:
            await _run_steps(
                run,
                [*confirmed, *pending],
                concurrency,
                lambda step: (
                    run.confirm_step(step) if step.number in again else run.apply_step(step)
                ),
            )
        report = run.report(already_done=total - len(pending) - len(confirmed) - len(gone))
        return attrs.evolve(report, source_changes=source_changes)
    finally:
        await book.close()


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
    _require_async(target, "target", "verify")
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


async def verify_journal(target: AsyncPhoneNumberRouting, *, journal: JournalArg) -> VerifyReport:
    """Read ``target`` back and check it against what ``journal`` (a path or a
    `JournalStore`) says it holds: the migrated values of the numbers applied, the prior
    values of those rolled back. Numbers the journal has not finished are listed in
    `VerifyReport.unfinished`."""
    _require_async(target, "target", "verify_journal")
    book = await _open_existing(journal, target, shared=True)
    try:
        steps = await book.steps()
    finally:
        await book.close()
    current = {n.id: n for n in await _collect(target)}
    differences: list[Difference] = []
    missing: list[str] = []
    unfinished: list[str] = []
    for step in steps:
        if step.state in (_APPLY.done, _ROLLBACK.done):
            expected = step.desired if step.state == _APPLY.done else step.prior
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


def _store(journal: JournalArg, durable: bool = False) -> JournalStore:
    """The store ``journal=`` names: a PostgreSQL URL is the shared `PostgresJournal`,
    another string or a path the SQLite journal (``durable`` applies to both)."""
    if is_url(journal):
        from phonerouting.migration.postgres import PostgresJournal  # psycopg: optional

        assert isinstance(journal, str)
        return PostgresJournal(journal, durable=durable)
    if isinstance(journal, str | Path):
        return SQLiteJournal(journal, durable=durable)
    if not isinstance(journal, JournalStore):
        raise ConfigurationError(
            f"journal must be a file path or a JournalStore, not {type(journal).__name__}",
            hint=_FIX_ARGUMENTS,
        )
    if durable:
        raise ConfigurationError(
            "durable=True applies to a journal file; the journal given is a "
            f"{type(journal).__name__}, which decides its own durability",
            hint="Leave durable out, or give a journal file path.",
            cli_hint="Leave --durable out, or give a journal file path.",
        )
    return journal


async def _open_existing(
    journal: JournalArg, target: AsyncPhoneNumberRouting, *, shared: bool = False
) -> JournalStore:
    if isinstance(journal, str | Path) and not is_url(journal) and not Path(journal).is_file():
        raise ConfigurationError(f"no journal at {str(journal)!r}", hint=_CHECK_JOURNAL)
    book = _store(journal)
    await book.open(shared=shared)
    try:
        held = await book.meta()
        if held.get("target") != target.provider:
            raise ConfigurationError(
                f"the journal records a migration to {held.get('target') or 'nothing'}, "
                f"but the client given is {target.provider}",
                hint=_CHECK_JOURNAL,
            )
    except BaseException:
        await book.close()  # or it stays locked for the rest of the process
        raise
    return book


_CHECK_JOURNAL = "Give the journal file that apply wrote, and the account it migrated to."


async def rollback(
    target: AsyncPhoneNumberRouting,
    *,
    journal: JournalArg,
    concurrency: int = 8,
    max_requests_per_second: float | None = None,
    progress: Progress | None = None,
    force: bool = False,
    read_window: float = READ_WINDOW,
) -> Report:
    """Restore, on ``target``, the values ``journal`` (a path or a `JournalStore`)
    recorded as found just before each write, for every number a migration wrote or
    may have written. Resumable like `apply`.

    The target is read first, then each number again just before it is restored (the
    same compare before write as `apply`, with the same ``read_window``): a number
    that already holds its prior values
    is confirmed without a write, and one changed since the migration (a field holds
    neither what the migration wrote nor the prior value) is left alone and listed in
    `Report.changed`, unless ``force``.

    Raises:
        ConfigurationError: bad arguments (a client that is not asynchronous among
            them), no journal at ``journal``, a journal in use, of another provider,
            or of which the target holds no number.
    """
    _require_async(target, "target", "rollback")
    _check_concurrency(concurrency)
    _check_rate(max_requests_per_second)
    _check_read_window(read_window)
    book = await _open_existing(journal, target)
    try:
        pending = [
            step
            for step in await book.steps(*_ROLLBACK.pending)
            # A number the apply left as changed was never written, unless a write of
            # it went out before (a crash, a failure) and may have landed.
            if step.state != _APPLY.changed or _may_have_landed(step)
        ]
        total = len(pending) + (await book.counts()).get(_ROLLBACK.done, 0)
        run = _Run(
            target,
            book,
            _pacer(book, max_requests_per_second, concurrency),
            MAX_RATE_LIMIT_WAITS,
            MAX_RATE_LIMIT_WAIT,
            progress,
            total,
            _ROLLBACK,
            force=force,
            finished=total - len(pending),
            read_window=read_window,
        )
        if pending:
            asked = _clock()
            snapshot = {n.id: n for n in await run.request(lambda: _collect(target))}
            if not any(step.target_id in snapshot for step in pending):
                # Same provider, another account: failing every step would mark the
                # journal rolled back (and so spent) without touching anything.
                raise ConfigurationError(
                    f"the target account holds none of the {len(pending)} numbers the "
                    f"journal {book.name!r} would roll back; is it the account the "
                    "migration wrote to?",
                    hint=_CHECK_JOURNAL,
                )
            # The first reads' listing, for a vendor without a per-number read.
            run.reader.seed(snapshot, _clock(), _clock() - asked)
        if isinstance(book, SharedJournalStore):
            # A changed step is restored only when a write of it went out (see above).
            await _run_claimed(
                run, book, concurrency, run.rollback_step, sent_only=(_APPLY.changed,)
            )
        else:
            await _run_steps(run, pending, concurrency, run.rollback_step)
        return run.report(already_done=total - len(pending))
    finally:
        await book.close()
