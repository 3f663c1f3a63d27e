"""``phonerouting migrate plan|apply|verify|rollback``.

Before `apply` or `rollback` writes more than one number it shows what it will do and,
on a terminal, asks; ``--yes`` skips the question, and off a terminal it is required.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TextIO, TypeVar

from phonerouting.cli import accounts, interrupt
from phonerouting.cli.accounts import SidedClient
from phonerouting.cli.display import escape, inline
from phonerouting.cli.failures import EXIT_OK, EXIT_PARTIAL, UsageError
from phonerouting.cli.output import emit
from phonerouting.cli.progress import ProgressDisplay, ReadProgress
from phonerouting.serialize import to_data

__all__ = ["DeclinedError", "command", "plan_text"]

_T = TypeVar("_T")

#: Lines of each kind the text output shows without ``--all``.
SHOWN = 10


class DeclinedError(Exception):
    """The user answered no to the confirmation; nothing was written (exit 1)."""


def command(args: argparse.Namespace) -> int:
    """Run one ``migrate`` action."""
    return interrupt.run_interruptibly(_migrate(args))


# ---------------------------------------------------------------- text output


def _numbers_line(label: str, numbers: Sequence[str], out: TextIO, limit: int | None) -> None:
    if not numbers:
        return
    cut = list(numbers if limit is None else numbers[:limit])
    more = (
        f" and {len(numbers) - len(cut)} more (--all lists them)" if len(cut) < len(numbers) else ""
    )
    out.write(f"{label}: {', '.join(escape(n) for n in cut)}{more}\n")


def _block(title: str, lines: Sequence[str], out: TextIO, limit: int | None) -> None:
    if not lines:
        return
    out.write(f"{len(lines)} {title}:\n")
    shown = lines if limit is None else lines[:limit]
    for line in shown:
        out.write(f"  {line}\n")
    if len(shown) < len(lines):
        out.write(f"  ... and {len(lines) - len(shown)} more (--all lists them)\n")


def plan_summary(plan: Any) -> str:
    """The plan in one line."""
    s = plan.summary()
    return (
        f"plan {plan.source} -> {plan.target}: {s['matched']} matched, {s['to_write']} to "
        f"write ({s['clears']} field(s) to clear), {s['unchanged']} unchanged, "
        f"{s['invalid_values']} invalid value(s), {s['only_in_source']} only in source, "
        f"{s['only_in_target']} only in target, {s['conflicts']} conflicts"
    )


def plan_text(plan: Any, out: TextIO, *, limit: int | None = SHOWN) -> None:
    """What the plan will do, kind by kind; ``limit`` lines of each (None: all)."""
    out.write(plan_summary(plan) + "\n")
    if plan.ignored:
        out.write(f"left alone: {plan.source} has no {', '.join(plan.ignored)} to carry over\n")
    _block(
        "value(s) that cannot be sent as they are (left out)",
        [
            f"{escape(n.number)} {c.field}: {escape(str(c.reason))}"
            for n in plan.numbers
            for c in n.invalid
        ],
        out,
        limit,
    )
    # The changes that take something away from the target: always shown.
    _block(
        "value(s) the source does not have will be cleared",
        [
            f"{escape(n.number)} {c.field}: {inline(c.before)} -> -"
            for n in plan.to_write
            for c in n.changes
            if c.after is None
        ],
        out,
        None,
    )
    _numbers_line("only in source (not migrated)", plan.only_in_source, out, limit)
    _numbers_line("only in target (left alone)", plan.only_in_target, out, limit)
    _numbers_line("on one side twice (left alone)", plan.conflicts, out, limit)
    _block(
        "value(s) the target cannot hold (not carried over)",
        [
            f"{escape(n.number)} {c.field}={inline(c.after)}"
            for n in plan.numbers
            for c in n.unsupported
        ],
        out,
        limit,
    )
    _block(
        "number(s) to write (number (target id): field: before -> after)",
        [
            f"{escape(item.number)} ({escape(item.target_id)}): "
            + ", ".join(f"{c.field}: {inline(c.before)} -> {inline(c.after)}" for c in item.changes)
            for item in plan.to_write
        ],
        out,
        limit,
    )


def _plan_data(plan: Any) -> Any:
    data = to_data(plan)
    data["summary"] = plan.summary()
    return data


def _report_text(title: str, report: Any, out: TextIO) -> None:
    since = "the plan" if title == "apply" else "the migration"
    out.write(
        f"{title}: {report.total} in the journal, {report.written} written, "
        f"{report.already_done} already done, {report.confirmed_without_write} confirmed "
        f"without writing, {len(report.changed)} changed since {since}, "
        f"{len(report.failed)} failed, {report.retries} rate-limit retries\n"
    )
    sources = getattr(report, "source_changes", None)
    if sources is not None:
        _source_changes_text(sources, out)
    if report.changed:
        out.write(
            f"{len(report.changed)} number(s) changed since {since}, left as they are "
            "(--force writes them anyway):\n"
        )
    # What the run expected: the plan's view of the target (apply), or what the
    # migration wrote (rollback).
    saw = "the plan saw" if title == "apply" else "migrated"
    for changed in report.changed:
        fields = "; ".join(
            f"{f.field}: {saw} {inline(f.planned)}, found {inline(f.found)}" for f in changed.fields
        )
        out.write(f"  CHANGED {escape(changed.number)} ({escape(changed.target_id)}): {fields}\n")
    for failure in report.failed:
        out.write(
            f"  FAILED {escape(failure.number)} ({escape(failure.target_id)}): "
            f"{escape(' '.join(failure.error.split()))}\n"
        )


def _source_changes_text(sources: Any, out: TextIO) -> None:
    # A resumed run whose source was edited since the journal's plan: what moved.
    for label in ("added", "removed", "changed"):
        numbers = getattr(sources, label, ())
        _numbers_line(f"source {label} since the journal's plan", numbers, out, SHOWN)


def _verify_text(report: Any, out: TextIO, limit: int | None = 50) -> None:
    state = "OK" if report.ok else "DIFFERS"
    out.write(
        f"verify: {state}: {report.checked} checked, {len(report.differences)} field(s) "
        f"differ, {len(report.missing)} missing, {len(report.unfinished)} unfinished\n"
    )
    _numbers_line("missing from the target", report.missing, out, None)
    _numbers_line("not finished in the journal", report.unfinished, out, None)
    _numbers_line("listed twice on one side", report.conflicts, out, None)
    for diff in report.differences[:limit]:
        out.write(
            f"  {escape(diff.number)} {diff.field}: expected {inline(diff.expected)}, "
            f"found {inline(diff.actual)}\n"
        )
    if limit is not None and len(report.differences) > limit:
        out.write(f"  ... and {len(report.differences) - limit} more (see --json)\n")


def _journal_name(journal: str) -> str:
    """The journal as messages name it: a database URL without its password."""
    from phonerouting.postgres import is_url, redacted

    return redacted(journal) if is_url(journal) else journal


# ---------------------------------------------------------------- confirmation


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def confirm(args: argparse.Namespace, count: int, what: str, show: Callable[[], None]) -> bool:
    """Ask before writing ``count`` > 1 numbers; True when the plan was shown.

    ``--yes`` skips the question; off a terminal, without ``--yes``, the run is refused.
    """
    if count <= 1 or args.yes:
        return False
    if not _interactive():
        raise UsageError(
            f"{what}: add --yes to confirm (there is no terminal to ask on); nothing was written"
        )
    show()
    sys.stdout.flush()
    sys.stderr.write(f"{what}? [y/N] ")
    sys.stderr.flush()
    answer = interrupt.read_line()
    if answer.strip().lower() not in ("y", "yes"):
        raise DeclinedError(f"{what}: not confirmed; nothing was written")
    return True


# ---------------------------------------------------------------- the actions


async def _migrate(args: argparse.Namespace) -> int:
    from phonerouting import migration

    target = accounts.connect_async(args, args.target, "target")
    source = None
    progress: ProgressDisplay | None = None
    try:
        name = getattr(args, "source", None)
        source = accounts.connect_async(args, name, "source") if name else None
        if args.action == "rollback":
            progress = ProgressDisplay("rollback", quiet_off_terminal=args.json)
            who = target.side.label()

            def ask(done: int, total: int) -> None:
                # The engine's first progress call: the journal is read, nothing written.
                confirm(
                    args,
                    total - done,
                    f"rollback: restore {total - done} number(s) on {who}",
                    lambda: print(
                        f"rollback of {escape(_journal_name(args.journal))}: {total} "
                        "number(s) in the "
                        f"journal, {total - done} to restore on {who}",
                        file=sys.stderr if args.json else sys.stdout,
                    ),
                )

            progress.before = ask
            report = await migration.rollback(
                target,
                journal=args.journal,
                concurrency=args.concurrency,
                max_requests_per_second=args.max_rps,
                read_window=_read_window(args),
                progress=progress,
                force=args.force,
            )
            progress.close()
            emit(args.json, report, lambda out: _report_text("rollback", report, out), sys.stdout)
            return EXIT_OK if report.ok else EXIT_PARTIAL
        if args.action == "verify" and args.journal:
            if source is not None:
                raise UsageError(
                    "migrate verify takes --journal FILE (check the target against the "
                    "journal) or --from ACCOUNT (against the source), not both"
                )
            if args.fields:
                raise UsageError("--fields applies to migrate verify --from, not --journal")
            check = await _reading(
                args, migration.verify_journal(target, journal=args.journal), target
            )
            emit(args.json, check, lambda out: _verify_text(check, out), sys.stdout)
            return EXIT_OK if check.ok else EXIT_PARTIAL
        if source is None:
            raise UsageError("migrate verify needs --from ACCOUNT or --journal FILE")
        plan = await _reading(args, migration.plan(source, target, args.fields), source, target)
        if args.action == "plan":
            limit = None if args.show_all else SHOWN
            emit(
                args.json,
                _plan_data(plan),
                lambda out: plan_text(plan, out, limit=limit),
                sys.stdout,
            )
            return EXIT_OK
        if args.action == "verify":
            # A plan made from both accounts as they are now: whatever it would still
            # write is exactly what differs from the source.
            check = migration.drift(plan)
            emit(args.json, check, lambda out: _verify_text(check, out), sys.stdout)
            return EXIT_OK if check.ok else EXIT_PARTIAL
        return await _apply(args, plan, target)
    finally:
        if progress is not None:
            progress.close()
        if source is not None:
            await source.close()
        await target.close()


async def _reading(args: argparse.Namespace, work: Awaitable[_T], *sides: SidedClient) -> _T:
    """Await ``work`` (listings of ``sides``) with a count of the numbers read shown."""
    reading = ReadProgress(f"{args.action}: reading", quiet_off_terminal=args.json)
    for side in sides:
        side.on_number = reading
    try:
        return await work
    finally:
        reading.close()
        for side in sides:
            side.on_number = None


async def _apply(args: argparse.Namespace, plan: Any, target: Any) -> int:
    from phonerouting import migration

    count = len(plan.to_write)
    shown = confirm(
        args,
        count,
        f"apply: write {count} number(s) on {target.side.label()}",
        # With --json, standard output is the report's alone: the plan goes with the
        # question, to the terminal.
        lambda: plan_text(plan, sys.stderr if args.json else sys.stdout),
    )
    progress = ProgressDisplay("apply", quiet_off_terminal=args.json)
    if not args.json and not shown:
        # What the run will leave aside (one-sided numbers, values the target cannot
        # hold) and take away (clears) is said before anything is written, once the
        # journal is known to be usable (the first progress call).
        def before(done: int, total: int) -> None:
            del done, total
            plan_text(plan, sys.stdout)
            sys.stdout.flush()

        progress.before = before
    try:
        report = await migration.apply(
            plan,
            target,
            journal=args.journal,
            concurrency=args.concurrency,
            max_requests_per_second=args.max_rps,
            read_window=_read_window(args),
            progress=progress,
            force=args.force,
        )
    finally:
        progress.close()
    emit(args.json, report, lambda out: _report_text("apply", report, out), sys.stdout)
    return EXIT_OK if report.ok else EXIT_PARTIAL


def _read_window(args: argparse.Namespace) -> float:
    """``--read-window``, or the library's default when not given."""
    from phonerouting import migration

    return migration.READ_WINDOW if args.read_window is None else float(args.read_window)
