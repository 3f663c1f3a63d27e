"""The group commit both stores give a run's writes (`GroupCommit`).

A change set's or a migration's workers each record a write (its audit entry and the
number's inventory row) as the vendor answers it. Committed one by one, each worker
waits for its own commit while the event loop has little else to do; in PostgreSQL
every commit also takes the audit's lock in turn, so a run went no faster than one
commit at a time. Here the writes made while one commit is under way go together in
the next, and a worker goes on without waiting unless the backlog is full.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Any

from phonerouting.store.base import AuditEntry

__all__ = ["BACKLOG", "GroupCommit"]

#: A run's writes that may wait for their commit before a writer waits too: a bound on
#: the rows held in memory when the store is slower than the vendor.
BACKLOG = 256

#: What commits a batch: its entries and rows (in the order written), in one transaction.
Commit = Callable[[Sequence[AuditEntry], Sequence[tuple[Any, ...]]], Awaitable[None]]


@types.coroutine
def _turn() -> Generator[None, None, None]:
    """One turn of the event loop, as ``asyncio.sleep(0)`` takes (without asking a
    patched ``asyncio.sleep``, which tests use as a clock)."""
    yield


class GroupCommit:
    """A run's writes, committed in batches by ``commit``.

    `add` queues a write and returns at once, unless `backlog` writes are already
    waiting: then once its own is committed. `settle` waits for every queued write. A
    batch whose commit fails fails the runs whose writes it held, and only those: the
    error is raised by each one's next `add` and by its `settle` (once). A kill loses
    at most the writes not yet committed, which the run's journal still holds (the
    service records them when the run resumes).
    """

    def __init__(self, commit: Commit, *, backlog: int = BACKLOG) -> None:
        self._commit = commit
        self.backlog = backlog
        #: The writes waiting for the next commit, the future of that commit (made only
        #: when a writer past the backlog waits for it: not one per write), and the
        #: task committing them.
        self._pending: list[tuple[AuditEntry, tuple[Any, ...]]] = []
        self._pending_done: asyncio.Future[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        #: A failed commit's error, by the job whose writes it held.
        self._failures: dict[str, Exception] = {}
        #: Batches committed (tests count them).
        self.commits = 0

    @property
    def flushing(self) -> bool:
        """Whether a commit is under way or writes are waiting for one."""
        return self._flusher is not None

    async def add(self, entry: AuditEntry, row: tuple[Any, ...]) -> None:
        """Queue a write of the run ``entry.job``."""
        assert entry.job is not None, "a single edit commits on its own"
        failure = self._failures.get(entry.job)
        if failure is not None:
            raise failure
        self._pending.append((entry, row))
        if self._flusher is None:
            self._flusher = asyncio.ensure_future(self._flush())
        if len(self._pending) > self.backlog:
            done = self._pending_done
            if done is None:
                done = self._pending_done = asyncio.get_running_loop().create_future()
            # Shielded: a writer cancelled (the service stopping) does not take its
            # row out of the commit, which records a write the vendor already answered.
            await asyncio.shield(done)

    async def settle(self, job: str) -> None:
        """Wait until every write queued is committed; raise the error of a failed
        commit that held writes of ``job`` (once)."""
        while self._flusher is not None:
            await asyncio.shield(self._flusher)
        failure = self._failures.pop(job, None)
        if failure is not None:
            raise failure

    async def drain(self) -> None:
        """Wait for the commits under way and queued (a store closing: the writes
        already answered by their vendor are committed, not dropped)."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                done, self._pending_done = self._pending_done, None
                entries = [entry for entry, _ in batch]
                try:
                    await self._commit(entries, [row for _, row in batch])
                except Exception as exc:
                    # Raised by each run's next write and its settle: the runs stop.
                    for job in {entry.job for entry in entries if entry.job is not None}:
                        self._failures[job] = exc
                    if done is not None and not done.done():
                        done.set_exception(exc)
                        done.exception()  # retrieved: raised by settle instead
                except BaseException:
                    if done is not None and not done.done():
                        done.cancel()  # cancelled: the loop is ending
                    raise
                else:
                    self.commits += 1
                    if done is not None and not done.done():
                        done.set_result(None)
                # The writers just answered run on before the next commit, so that what
                # they write next joins it instead of a commit of its own.
                await _turn()
        finally:
            self._flusher = None
