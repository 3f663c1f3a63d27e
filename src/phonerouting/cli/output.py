"""Writing the command line's output: JSON, tables, and what a closed pipe or a full
disk does to them.

* ``--json`` output is exact JSON (``json.dumps``: every control character escaped).
* Tables are drawn by ``rich``, imported only when a table is printed, so ``phonerouting
  --version`` and ``import phonerouting`` never load it. Every cell is vendor text passed
  through `phonerouting.cli.display.escape` first, and given to rich as plain `Text`,
  never as markup.
* A table fits the terminal: its width, or ``$COLUMNS`` when set; off a terminal with no
  ``$COLUMNS``, cells are never cut or wrapped (``list | grep`` sees whole rows).
* A closed pipe (``phonerouting list x | head -1``) is not an error: the rest of the
  output is dropped, the command finishes, and its exit code is its own.
* Any other write error (``> /dev/full``) stops the command with one error line and exit
  code 2 (`OutputError`).
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from phonerouting.serialize import to_data

__all__ = [
    "GuardedStream",
    "OutputError",
    "emit",
    "print_table",
    "table_width",
]


class OutputError(Exception):
    """Standard output cannot be written (a full disk, an I/O error); exit code 2."""


class GuardedStream(io.TextIOBase):
    """Standard output as the commands see it: a closed pipe swallows the rest of the
    output, any other write error becomes `OutputError`."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        #: True once output goes nowhere: the reader went away, or a write failed.
        self.dropped = False

    def _drop_the_rest(self) -> None:
        self.dropped = True
        # What is still buffered goes nowhere, so that Python's own flush at exit does
        # not fail (and complain) again.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass

    def _guard(self, call: Callable[[], Any]) -> Any:
        if self.dropped:
            return None
        try:
            return call()
        except BrokenPipeError:
            self._drop_the_rest()
            return None
        except OSError as error:
            self._drop_the_rest()
            reason = error.strerror or str(error)
            raise OutputError(f"cannot write the output: {reason}") from None

    def write(self, text: str) -> int:
        """Write ``text`` (dropped once the pipe is closed, or a write failed)."""
        self._guard(lambda: self._stream.write(text))
        return len(text)

    def flush(self) -> None:
        """Flush, so a write error shows while the command can still say so."""
        self._guard(self._stream.flush)

    def isatty(self) -> bool:
        """Whether the real stream is a terminal."""
        return self._stream.isatty()

    def writable(self) -> bool:
        """Always: writes after a closed pipe are dropped, not refused."""
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The real stream's encoding."""
        return self._stream.encoding


def emit(as_json: bool, data: Any, text: Callable[[TextIO], None], out: TextIO) -> None:
    """Print ``data`` as JSON with ``--json``, else as ``text`` prints it; then flush, so a
    write error is reported by the command that met it."""
    if as_json:
        out.write(json.dumps(to_data(data), indent=2) + "\n")
    else:
        text(out)
    out.flush()


def table_width(out: TextIO) -> int | None:
    """The width a table must fit: the terminal's (or ``$COLUMNS``), or ``None``."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if out.isatty():
        return shutil.get_terminal_size().columns
    return None


def print_table(
    rows: Sequence[Sequence[str]],
    headers: Sequence[str],
    out: TextIO,
    *,
    keep_whole: Sequence[str] = (),
) -> None:
    """Print a table of already escaped cells. Cells too long for the width wrap (at
    spaces and commas when they can, else anywhere); the columns named in
    ``keep_whole`` (ids, numbers) are never wrapped."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, highlight=False)
    for header in headers:
        table.add_column(header, overflow="fold", no_wrap=header in keep_whole)
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    width = table_width(out)
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width or 100_000,
        color_system=None,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )
    console.print(table)
    for line in buffer.getvalue().splitlines():
        out.write(line.rstrip() + "\n")
