"""Ctrl-C: always one line and exit code 130, however many SIGINTs arrive.

Python's default handler raises `KeyboardInterrupt` wherever the program is, and again
at every further SIGINT: inside an asyncio task it escapes as "Task exception was never
retrieved", and a second one during the clean-up prints a traceback. Here the first
SIGINT raises `KeyboardInterrupt` in synchronous code, or cancels the running migration
(whose clean-up then closes the journal and the connections) in asynchronous code; any
further SIGINT is ignored until the command has ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

__all__ = ["InterruptError", "handling_sigint", "read_line", "run_interruptibly"]

_T = TypeVar("_T")


class InterruptError(Exception):
    """The command was stopped by Ctrl-C (SIGINT); exit code 130."""


class _State:
    def __init__(self) -> None:
        self.fired = False
        self.task: asyncio.Task[Any] | None = None

    def on_sigint(self, signum: int, frame: FrameType | None) -> None:
        del signum, frame
        if self.fired:
            return  # the first one is being handled: one line, one exit
        self.fired = True
        task = self.task
        if task is None:
            raise KeyboardInterrupt
        # Cancel the task from the loop's own thread (this handler runs between two
        # bytecodes of it), and wake the loop should it be waiting in select().
        task.cancel()
        with contextlib.suppress(RuntimeError):  # the loop is closing
            task.get_loop().call_soon_threadsafe(lambda: None)


_STATE = _State()


@contextmanager
def handling_sigint(*, to_the_end: bool = False) -> Iterator[None]:
    """Handle SIGINT as this module says while the block runs (main thread only).

    With ``to_the_end`` (the console script), a SIGINT once handled leaves SIGINT
    ignored after the block too, so a late second one cannot kill the exiting process.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    global _STATE
    _STATE = _State()
    previous = signal.signal(signal.SIGINT, _STATE.on_sigint)
    try:
        yield
    finally:
        after = signal.SIG_IGN if to_the_end and _STATE.fired else previous
        signal.signal(signal.SIGINT, after)


async def _guarded(coro: Coroutine[Any, Any, _T]) -> _T:
    _STATE.task = asyncio.current_task()
    try:
        return await coro
    except asyncio.CancelledError:
        if _STATE.fired:
            raise InterruptError from None
        raise
    finally:
        _STATE.task = None


def run_interruptibly(coro: Coroutine[Any, Any, _T]) -> _T:
    """`asyncio.run` ``coro``; a SIGINT cancels it, and `InterruptError` is raised once its
    clean-up is done."""
    if _STATE.fired:
        coro.close()
        raise KeyboardInterrupt
    return asyncio.run(_guarded(coro))


def read_line() -> str:
    """A line of standard input (an answer to a question), which Ctrl-C interrupts even
    inside a running migration (a cancelled task cannot stop a blocking read)."""
    task, _STATE.task = _STATE.task, None
    try:
        return sys.stdin.readline()
    except KeyboardInterrupt:
        raise InterruptError from None
    finally:
        _STATE.task = task
