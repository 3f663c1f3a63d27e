"""The ``phonerouting`` command line (``phonerouting.cli:main``).

Exit codes: 0 success; 1 some numbers failed, differ or changed since the plan, or a
vendor refused; 2 usage or configuration error (and a run refused for want of
``--yes``, or output that cannot be written); 130 interrupted. ``--json`` prints
machine-readable output on every command.

The modules: `parser` (the grammar and help), `commands` (providers, list, show, set,
clear), `migrate` (the migrate actions and their confirmation), `accounts` (connecting,
naming the account in errors), `display` (escaping vendor text), `output` (JSON, tables,
closed pipes), `progress`, `failures` (error lines, exit codes), `interrupt` (Ctrl-C).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from phonerouting.cli import interrupt
from phonerouting.cli.display import escape
from phonerouting.cli.failures import (
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    EXIT_USAGE,
    UsageError,
    exit_code,
    print_failure,
    print_routing_error,
)
from phonerouting.cli.output import GuardedStream, OutputError
from phonerouting.cli.parser import Parser, build_parser
from phonerouting.errors import RoutingError

__all__ = ["build_parser", "main"]


class _EscapingFormatter(logging.Formatter):
    """Log lines with vendor text in them (a retried error's message) escaped too."""

    def format(self, record: logging.LogRecord) -> str:
        return escape(super().format(record))


def _configure_logging(verbose: bool) -> None:
    # Retries and other warnings of the library go to stderr only when asked for.
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_EscapingFormatter("phonerouting: %(message)s"))
        logger = logging.getLogger("phonerouting")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _subject(args: argparse.Namespace) -> str:
    """What the command was working on, to start its error line with."""
    parts = [args.command]
    if args.command == "migrate":
        parts.append(args.action)
    for name in ("account", "number"):
        value = getattr(args, name, None)
        if value:
            parts.append(str(value))
    return " ".join(parts)


def _interrupted(args: argparse.Namespace | None) -> int:
    resumable = (
        args is not None and args.command == "migrate" and args.action in ("apply", "rollback")
    )
    more = "; run the same command again to resume from the journal" if resumable else ""
    # On its own line, whatever the terminal echoed ("^C") or a bar left behind.
    start = "\n" if sys.stderr.isatty() else ""
    try:
        sys.stderr.write(f"{start}phonerouting: interrupted{more}\n")
        sys.stderr.flush()
    except OSError:
        pass
    return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    from phonerouting.cli.migrate import DeclinedError

    subject = _subject(args)
    try:
        code: int = args.func(args)
        sys.stdout.flush()
    except (UsageError, OutputError) as exc:
        kind = "UsageError" if isinstance(exc, UsageError) else "OutputError"
        print_failure(subject, args.json, kind, str(exc), {})
        return EXIT_USAGE
    except DeclinedError as exc:
        print_failure(subject, args.json, "NotConfirmed", str(exc), {})
        return EXIT_PARTIAL
    except RoutingError as exc:
        account = getattr(args, "account", None)
        print_routing_error(subject, (account,) if account else (), args.json, args.verbose, exc)
        return exit_code(exc)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    if words == ["--version"]:
        # Said before the whole grammar is built (it imports every command's module).
        from phonerouting._version import __version__

        sys.stdout.write(f"phonerouting {__version__}\n")
        return 0
    Parser.json_errors = "--json" in words
    real_stdout = sys.stdout
    args: argparse.Namespace | None = None
    with interrupt.handling_sigint(to_the_end=argv is None):
        try:
            args = build_parser().parse_args(words)
            _configure_logging(args.verbose)
            sys.stdout = GuardedStream(real_stdout)
            return _run(args)
        except (KeyboardInterrupt, interrupt.InterruptError):
            return _interrupted(args)
        finally:
            sys.stdout = real_stdout


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
