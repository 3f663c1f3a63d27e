"""Progress of ``migrate apply`` and ``rollback`` (and of the reading that ``plan`` and
``verify`` do) on standard error.

On a terminal: a live bar with the percentage, the count, the rate and the time left
(``rich``, imported only then). Elsewhere (CI logs, files): a plain line at the start,
at every tenth of the run and at least every `PLAIN_INTERVAL` seconds, so a log shows
the run moving. With ``--json`` off a terminal nothing is printed, so standard error
holds nothing but a JSON error, if any.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["PLAIN_INTERVAL", "ProgressDisplay", "ReadProgress"]

#: The longest time between two plain progress lines, in seconds.
PLAIN_INTERVAL = 15.0


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class ProgressDisplay:
    """The engine's ``progress(done, total)`` callback, drawn for a person or a log.

    ``before`` is called once, at the first call (before anything is written): the
    engine calls progress once the journal is open and usable.
    """

    def __init__(self, label: str, *, quiet_off_terminal: bool, stream: TextIO | None = None):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty()
        self.quiet = quiet_off_terminal and not self.terminal
        self.before: Callable[[int, int], None] | None = None
        self._start = time.monotonic()
        self._base: int | None = None
        self._last_line = 0.0
        self._last_tenth = -1
        self._live: Any = None
        self._task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self.before is not None:
            before, self.before = self.before, None
            before(done, total)
        if self._base is None:
            self._base = done
            self._start = time.monotonic()
        if self.terminal:
            self._draw(done, total)
        elif not self.quiet:
            self._line(done, total)

    def _rate(self, done: int) -> float:
        elapsed = time.monotonic() - self._start
        return (done - (self._base or 0)) / elapsed if elapsed > 0 else 0.0

    def _line(self, done: int, total: int) -> None:
        now = time.monotonic()
        tenth = done * 10 // total if total else 10
        if done < total and tenth == self._last_tenth and now - self._last_line < PLAIN_INTERVAL:
            return
        if done == total and self._last_tenth == 10:
            return
        self._last_tenth, self._last_line = tenth, now
        percent = 100 * done // total if total else 100
        rate = self._rate(done)
        left = f", {_duration((total - done) / rate)} left" if rate > 0 and done < total else ""
        self.stream.write(
            f"{self.label}: {done}/{total} ({percent}%), {rate:.1f} numbers/s{left}\n"
        )
        self.stream.flush()

    def _draw(self, done: int, total: int) -> None:
        if self._live is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            console = Console(file=self.stream, highlight=False, markup=False)
            self._live = Progress(
                TextColumn(self.label),
                BarColumn(),
                TaskProgressColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
                redirect_stdout=False,
                redirect_stderr=False,
                transient=False,
            )
            self._task = self._live.add_task(self.label, total=total, completed=done, rate="")
            self._live.start()
        rate = self._rate(done)
        self._live.update(self._task, completed=done, total=total, rate=f"{rate:.1f}/s")
        if done >= total:
            self.close()

    def close(self) -> None:
        """Stop a live bar (at the end, on an error, on Ctrl-C), leaving the cursor at
        the start of a line."""
        live, self._live = self._live, None
        if live is not None:
            live.refresh()
            live.stop()


class ReadProgress:
    """Progress of the listings a ``migrate plan`` or ``verify`` reads (their total is
    not known in advance): on a terminal a live count and rate, elsewhere a plain line at
    least every `PLAIN_INTERVAL` seconds; nothing off a terminal with ``--json``."""

    def __init__(self, label: str, *, quiet_off_terminal: bool, stream: TextIO | None = None):
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty()
        self.quiet = quiet_off_terminal and not self.terminal
        self.count = 0
        self._start = self._last_line = time.monotonic()
        self._live: Any = None
        self._task: Any = None

    def __call__(self) -> None:
        """One more number read."""
        self.count += 1
        if self.terminal:
            self._draw()
        elif not self.quiet and time.monotonic() - self._last_line >= PLAIN_INTERVAL:
            self._last_line = time.monotonic()
            self.stream.write(f"{self.label}: {self.count} numbers read, {self._rate():.1f}/s\n")
            self.stream.flush()

    def _rate(self) -> float:
        elapsed = time.monotonic() - self._start
        return self.count / elapsed if elapsed > 0 else 0.0

    def _draw(self) -> None:
        if self._live is None:
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            console = Console(file=self.stream, highlight=False, markup=False)
            self._live = Progress(
                SpinnerColumn(),
                TextColumn(self.label),
                TextColumn("{task.completed} numbers read"),
                TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(),
                console=console,
                redirect_stdout=False,
                redirect_stderr=False,
                transient=True,
            )
            self._task = self._live.add_task(self.label, total=None, rate="")
            self._live.start()
        self._live.update(self._task, completed=self.count, rate=f"{self._rate():.1f}/s")

    def close(self) -> None:
        """Stop the live count (it leaves no line behind: the report follows)."""
        live, self._live = self._live, None
        if live is not None:
            live.stop()
