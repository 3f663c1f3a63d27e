"""The journal as an interface: step states and their one table of moves, the SQLite
journal (off the event loop, group-committed) and a journal object given instead."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

import phonerouting as pr
from phonerouting import migration, testing
from phonerouting.migration.journal import (
    TRANSITIONS,
    IllegalTransitionError,
    Journal,
    JournalStore,
    MemoryJournal,
    SQLiteJournal,
    Step,
    StepState,
    check_transition,
)
from phonerouting.testing import LinqV2Emulator, LinqV3Emulator

FAST = pr.RetryPolicy(backoff_initial=0.0, backoff_max=0.0, jitter=0.0)
S = StepState


def client(emu: testing.Emulator) -> pr.AsyncClient:
    return pr.connect_async(
        emu.provider, api_key=emu.api_key, transport=emu.async_transport(), retry_policy=FAST
    )


def puts(emu: testing.Emulator) -> Counter[str]:
    return Counter(r.path for r in emu.requests if r.method == "PUT")


def forwarding(emu: LinqV2Emulator | LinqV3Emulator) -> dict[str, str | None]:
    return {n.phone_number: n.forwarding_number for n in emu.numbers.values()}


def test_the_states_are_the_strings_journals_hold() -> None:
    assert [state.value for state in StepState] == [
        "planned",
        "writing",
        "done",
        "failed",
        "changed",
        "rolling_back",
        "rolled_back",
        "rollback_failed",
        "rollback_changed",
    ]
    assert StepState("done") is S.DONE
    assert isinstance(S.DONE, str)  # compares and stores as the string it always was
    assert Step("+1", "a", {}, {}, "writing", None, None, 0).state is S.WRITING


def test_the_table_of_moves() -> None:
    apply = {S.WRITING, S.DONE, S.FAILED, S.CHANGED}
    back = {S.ROLLING_BACK, S.ROLLED_BACK, S.ROLLBACK_FAILED, S.ROLLBACK_CHANGED}
    assert set(TRANSITIONS) == set(StepState)
    assert TRANSITIONS[S.PLANNED] == apply  # a planned step was never written
    assert TRANSITIONS[S.DONE] == back  # only a rollback moves a done step
    assert TRANSITIONS[S.ROLLED_BACK] == set()  # the end: a new apply needs a new journal
    for state in (S.WRITING, S.FAILED, S.CHANGED):
        assert TRANSITIONS[state] == apply | back
    for state in (S.ROLLING_BACK, S.ROLLBACK_FAILED, S.ROLLBACK_CHANGED):
        assert TRANSITIONS[state] == back
    check_transition("+13125550100", S.PLANNED, S.WRITING)
    with pytest.raises(IllegalTransitionError, match=r"\+13125550100: done -> writing"):
        check_transition("+13125550100", S.DONE, S.WRITING)
    with pytest.raises(IllegalTransitionError, match="rolled_back -> rolling_back"):
        check_transition("+13125550100", S.ROLLED_BACK, S.ROLLING_BACK)


async def test_a_journal_object_carries_a_whole_migration(tmp_path: Path) -> None:
    old = LinqV2Emulator(12, seed=31, populate=1.0)
    new = LinqV3Emulator(12, seed=31, populate=0.0)
    before = forwarding(new)
    book = MemoryJournal()
    assert isinstance(book, JournalStore)
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        report = await migration.apply(plan, dst, journal=book, concurrency=4)
        assert (report.written, report.failed, report.changed) == (12, (), ())
        assert forwarding(new) == forwarding(old)
        assert Counter(puts(new).values()) == {1: 12}
        assert await book.counts() == {S.DONE: 12}
        assert (await migration.verify_journal(dst, journal=book)).ok
        again = await migration.apply(plan, dst, journal=book)  # resumed: nothing left
        assert (again.written, again.already_done) == (0, 12)
        undone = await migration.rollback(dst, journal=book, concurrency=4)
        assert (undone.written, undone.failed) == (12, ())
        assert await book.counts() == {S.ROLLED_BACK: 12}
    assert forwarding(new) == before
    assert list(tmp_path.iterdir()) == []  # no file: the object was the journal


class _Claimed(MemoryJournal):
    """A shared store in which another worker claimed one number first."""

    def __init__(self, taken: str) -> None:
        super().__init__()
        self.taken = taken

    async def mark(self, number: str, state: StepState, **values: Any) -> bool:
        if number == self.taken:
            return False
        return await super().mark(number, state, **values)


async def test_a_number_another_worker_claimed_is_left_to_it() -> None:
    old = LinqV2Emulator(6, seed=32, populate=1.0)
    new = LinqV3Emulator(6, seed=32, populate=0.0)
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        taken = plan.to_write[2]
        book = _Claimed(taken.number)
        report = await migration.apply(plan, dst, journal=book)
    assert (report.written, report.failed, report.changed) == (5, (), ())
    assert f"/api/partner/v3/phone_numbers/{taken.target_id}" not in puts(new)
    assert sum(puts(new).values()) == 5


class _Corrupt(MemoryJournal):
    """A store that gives back a rolled-back step as one an apply should work on."""

    async def steps(self, *states: StepState) -> list[Step]:
        found = await super().steps()
        return [
            Step(s.number, s.target_id, s.prior, s.desired, S.ROLLED_BACK, None, None, 0)
            for s in found
        ]


async def test_an_illegal_move_is_an_internal_error_and_writes_nothing() -> None:
    old = LinqV2Emulator(3, seed=33, populate=1.0)
    new = LinqV3Emulator(3, seed=33, populate=0.0)
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        with pytest.raises(IllegalTransitionError, match="rolled_back -> writing"):
            await migration.apply(plan, dst, journal=_Corrupt(), concurrency=1)
    assert new.count("PUT") == 0


async def test_a_journal_that_is_neither_path_nor_store_is_refused() -> None:
    new = LinqV3Emulator(1, seed=34)
    async with client(new) as dst:
        plan = migration.make_plan([], [], dst.capabilities, dst.capabilities)
        with pytest.raises(pr.ConfigurationError, match="a file path or a JournalStore, not int"):
            await migration.apply(plan, dst, journal=42)  # type: ignore[arg-type]
        with pytest.raises(
            pr.ConfigurationError, match="durable=True applies to a journal file"
        ) as caught:
            await migration.apply(plan, dst, journal=MemoryJournal(), durable=True)
    assert "--durable" in caught.value.describe(cli=True)
    assert new.requests == []


async def test_sqlite_work_runs_off_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, int]] = []

    def spy(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, threading.get_ident()))
            return real(*args, **kwargs)

        return call

    monkeypatch.setattr(Journal, "open", staticmethod(spy("open", Journal.open)))
    for name in ("start", "steps", "counts", "commit_rows", "close"):
        monkeypatch.setattr(Journal, name, spy(name, getattr(Journal, name)))
    old = LinqV2Emulator(8, seed=35, populate=1.0)
    new = LinqV3Emulator(8, seed=35, populate=0.0)
    async with client(old) as src, client(new) as dst:
        report = await migration.apply(
            await migration.plan(src, dst), dst, journal=tmp_path / "j.sqlite"
        )
    assert report.written == 8
    loop_thread = threading.get_ident()
    assert {name for name, _ in calls} == {
        "open",
        "start",
        "steps",
        "counts",
        "commit_rows",
        "close",
    }
    # Every SQLite call but the close ran in the journal's own thread. The close waits
    # for that thread to finish its commit and then runs where it was called, so that
    # a cancelled run (whose awaits may be cancelled again) still releases the file.
    assert {thread for name, thread in calls if name != "close"} != {loop_thread}
    assert all(thread != loop_thread for name, thread in calls if name != "close")
    assert [thread for name, thread in calls if name == "close"] == [loop_thread]


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(9000):  # 90 s at most: a generous bound for a loaded machine
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


@contextlib.asynccontextmanager
async def _thread_held(book: SQLiteJournal) -> AsyncIterator[threading.Event]:
    """Keeps the journal's thread busy (as with a long commit) until the event is set.

    Taken once the thread has stopped draining: after its last batch's waiters are
    woken it may still be about to look at the queue once more, and would take a move
    queued meanwhile."""
    await _until(lambda: not book._draining)
    release = threading.Event()
    assert book._thread is not None
    busy = book._thread.submit(release.wait, 90)
    try:
        yield release
    finally:
        release.set()
        busy.result(timeout=90)


async def test_moves_made_during_a_commit_are_one_commit_and_only_sent_ones_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    commits: list[list[str]] = []
    real = Journal.commit_rows

    def counting(self: Journal, rows: Sequence[Any]) -> None:
        commits.append([f"{row[0]} {row[1]}" for row in rows])
        real(self, rows)

    monkeypatch.setattr(Journal, "commit_rows", counting)
    path = tmp_path / "j.sqlite"
    book = SQLiteJournal(path)
    await book.open()
    try:
        numbers = [f"+1312555010{i}" for i in range(5)]
        assert await book.start({"source": "a", "target": "b"}, [(n, n, {}, {}) for n in numbers])
        async with _thread_held(book) as release:
            writing = [
                asyncio.ensure_future(book.mark(n, S.WRITING, previous=S.PLANNED, sent=True))
                for n in numbers
            ]
            # All five queued while the thread is held (it cannot take them yet).
            await _until(lambda: len(book._queue) == 5)
            # A write about to go out waits for its record to be durable.
            assert not any(task.done() for task in writing)
            release.set()
            assert await asyncio.wait_for(asyncio.gather(*writing), 90) == [True] * 5
        assert commits == [[f"{n} writing" for n in numbers]]
        async with _thread_held(book) as release:
            # A move after the write returns at once, before any commit: it joins the
            # next one (a crash before it leaves the step writing, which a resume reads
            # back from the target).
            moved = await book.mark(
                numbers[0], S.DONE, previous=S.WRITING, result={"x": (1, 2)}, wrote=True
            )
            assert moved is True
            assert len(commits) == 1
            with pytest.raises(IllegalTransitionError):
                await book.mark(numbers[1], S.ROLLED_BACK, previous=S.PLANNED)
            failed = await book.mark(numbers[1], S.FAILED, previous=S.WRITING, error="503")
            assert failed is True
            again = asyncio.ensure_future(
                book.mark(numbers[2], S.WRITING, previous=S.WRITING, sent=True)
            )
            # The task queues its move only once it runs: released before that, the
            # thread could commit the first two alone (as a loaded CI machine once did).
            await _until(lambda: len(book._queue) == 3)
            release.set()
            await asyncio.wait_for(again, 90)
        # In the order made, one commit: the durable `writing` says the others are too.
        assert commits[1] == [f"{numbers[0]} done", f"{numbers[1]} failed", f"{numbers[2]} writing"]
        assert await book.counts() == {S.WRITING: 3, S.DONE: 1, S.FAILED: 1}
        (first,) = await book.steps(S.DONE)
        assert (first.number, first.result, first.writes, first.sent) == (
            numbers[0],
            {"x": [1, 2]},
            1,
            True,
        )
        # The last moves nobody waits for are committed by close at the latest.
        async with _thread_held(book):
            await book.mark(numbers[3], S.DONE, previous=S.WRITING, result={}, wrote=True)
            await book.mark(numbers[4], S.CHANGED, previous=S.WRITING, error="changed")
    finally:
        await book.close()
    assert commits[2] == [f"{numbers[3]} done", f"{numbers[4]} changed"]
    with sqlite3.connect(path) as db:
        assert dict(db.execute("SELECT state, COUNT(*) FROM steps GROUP BY state").fetchall()) == {
            "writing": 1,
            "done": 2,
            "failed": 1,
            "changed": 1,
        }
        assert dict(db.execute("SELECT number, writes FROM steps").fetchall()) == {
            numbers[0]: 1,
            numbers[1]: 0,
            numbers[2]: 0,
            numbers[3]: 1,
            numbers[4]: 0,
        }
    # Closed means released: another run may take the file.
    Journal.open(path).close()


async def test_a_batch_that_moves_a_number_twice_keeps_the_order(tmp_path: Path) -> None:
    # Not a batch an apply makes (see `Journal.commit_rows`), but a store must not
    # depend on it: row by row, the later move wins and both count.
    book = Journal.open(tmp_path / "j.sqlite")
    try:
        assert book.start({"source": "a", "target": "b"}, [("+13125550100", "t", {}, {})])
        book.mark_many(
            [
                ("+13125550100", S.WRITING, None, None, False, {"f": "a"}, {"r": 1}, True),
                ("+13125550100", S.DONE, {"f": "b"}, None, True, None, None, False),
            ]
        )
        (step,) = book.steps()
    finally:
        book.close()
    assert (step.state, step.prior, step.restore, step.result, step.writes, step.sent) == (
        S.DONE,
        {"f": "a"},
        {"r": 1},
        {"f": "b"},
        1,
        True,
    )


async def test_a_failed_commit_nobody_waited_for_stops_the_journal(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    book = SQLiteJournal(path)
    await book.open()
    numbers = ["+13125550100", "+13125550101"]
    try:
        assert await book.start({"source": "a", "target": "b"}, [(n, n, {}, {}) for n in numbers])
        await book.mark(numbers[0], S.WRITING, previous=S.PLANNED, sent=True)
        async with _thread_held(book):
            await book.mark(numbers[0], S.DONE, previous=S.WRITING, result={}, wrote=True)
            path.unlink()  # its commit will find the file gone
        await _until(lambda: book._failure is not None)
        # The next move raises it, before anything is queued (and so before any write).
        with pytest.raises(pr.ConfigurationError, match="was removed or replaced"):
            await book.mark(numbers[1], S.WRITING, previous=S.PLANNED, sent=True)
    finally:
        await book.close()  # told already: close does not raise it again

    # Nobody moved again after the failure: close says so.
    path = tmp_path / "k.sqlite"
    book = SQLiteJournal(path)
    await book.open()
    assert await book.start({"source": "a", "target": "b"}, [(numbers[0], "t", {}, {})])
    await book.mark(numbers[0], S.WRITING, previous=S.PLANNED, sent=True)
    async with _thread_held(book):
        await book.mark(numbers[0], S.DONE, previous=S.WRITING, result={}, wrote=True)
        path.unlink()
    with pytest.raises(pr.ConfigurationError, match="was removed or replaced"):
        await book.close()
    # Closed all the same, and released.
    assert book._book is None
    assert book._thread is None
    Journal.open(path).close()


class _Witness(httpx.AsyncBaseTransport):
    """The target's transport, which reads the journal file (with a connection of its
    own, as a resumed run after a crash would) the moment each write arrives."""

    def __init__(self, inner: httpx.AsyncBaseTransport, journal: Path) -> None:
        self.inner = inner
        self.journal = journal
        self.seen: list[tuple[str, str, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            target_id = request.url.path.rsplit("/", 1)[1]
            with contextlib.closing(sqlite3.connect(self.journal)) as db:
                (row,) = db.execute(
                    "SELECT state, sent FROM steps WHERE target_id = ?", (target_id,)
                ).fetchall()
            self.seen.append((target_id, *row))
        return await self.inner.handle_async_request(request)


async def test_every_write_finds_its_writing_record_durable(tmp_path: Path) -> None:
    old = LinqV2Emulator(40, seed=36, populate=1.0)
    new = LinqV3Emulator(40, seed=36, populate=0.0)
    journal = tmp_path / "j.sqlite"
    witness = _Witness(new.async_transport(), journal)
    target = pr.connect_async(
        new.provider, api_key=new.api_key, transport=witness, retry_policy=FAST
    )
    async with client(old) as src, target as dst:
        plan = await migration.plan(src, dst)
        report = await migration.apply(plan, dst, journal=journal, concurrency=8)
        assert report.written == 40
        # Each write was preceded by its step's record, committed, in state writing and
        # marked as sent: a crash at that moment leaves a journal the resume reads right.
        assert sorted(witness.seen) == sorted((n.target_id, "writing", 1) for n in plan.to_write)
        witness.seen.clear()
        undone = await migration.rollback(dst, journal=journal, concurrency=8)
        assert undone.written == 40
        assert sorted(witness.seen) == sorted(
            (n.target_id, "rolling_back", 1) for n in plan.to_write
        )
    # And every outcome reached the file by the end of each run.
    with sqlite3.connect(journal) as db:
        assert db.execute(
            "SELECT state, COUNT(*), SUM(writes) FROM steps GROUP BY state"
        ).fetchall() == [("rolled_back", 40, 80)]


def test_memory_journal_keeps_one_run_at_a_time() -> None:
    async def main() -> None:
        book = MemoryJournal()
        await book.open()
        with pytest.raises(pr.ConfigurationError, match="in use by another run"):
            await book.open()
        await book.close()
        await book.open()
        await book.close()

    asyncio.run(main())
