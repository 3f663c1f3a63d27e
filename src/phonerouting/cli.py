"""The ``phonerouting`` command line.

Exit codes: 0 success; 1 some numbers failed or differ (or a vendor refused); 2 usage or
configuration error. ``--json`` prints machine-readable output on every command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from phonerouting.accounts import Account, resolve_account
from phonerouting.errors import ConfigurationError, RoutingError, ValidationError
from phonerouting.inputs import in_range
from phonerouting.model import ROUTING_FIELDS, PhoneNumber, RoutingUpdate
from phonerouting.registry import PROVIDERS, adapter_for
from phonerouting.serialize import to_data

__all__ = ["main"]

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


class _UsageError(Exception):
    """A usage error found after parsing (exit 2)."""


class _Parser(argparse.ArgumentParser):
    #: Set by `main` when ``--json`` is on the command line, before it is parsed, so
    #: that usage errors come as JSON too.
    json_errors = False

    def error(self, message: str) -> None:  # type: ignore[override]
        if _Parser.json_errors:
            error = {"type": "UsageError", "command": self.prog, "message": message}
            print(json.dumps({"error": error}), file=sys.stderr)
        else:
            # One line, like every other error; the usage is one --help away.
            print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


# ---------------------------------------------------------------- output helpers


def _table(rows: Sequence[Sequence[str]], headers: Sequence[str], out: TextIO) -> None:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line.rstrip(), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)


def _show_value(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value) or "-"
    return str(value)


def _routing_summary(number: PhoneNumber) -> str:
    parts = [f"{k}={_show_value(v)}" for k, v in number.routing().items() if v is not None]
    return " ".join(parts) or "-"


def _emit(args: argparse.Namespace, data: Any, text: Callable[[TextIO], None]) -> None:
    if args.json:
        json.dump(to_data(data), sys.stdout, indent=2, sort_keys=False)
        sys.stdout.write("\n")
    else:
        text(sys.stdout)


class _ProgressBar:
    """count, rate and ETA on one refreshed stderr line, only on a terminal."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.start = time.monotonic()
        self.enabled = sys.stderr.isatty()
        #: Numbers already done when this run started (a resumed journal).
        self.base: int | None = None
        #: Called once, at the run's first call (before anything is written).
        self.before: Callable[[], None] | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.before is not None:
            before, self.before = self.before, None
            before()
        if not self.enabled:
            return
        if self.base is None:
            self.base = done
        elapsed = max(time.monotonic() - self.start, 1e-9)
        rate = (done - self.base) / elapsed
        eta = (total - done) / rate if rate > 0 else 0.0
        sys.stderr.write(f"\r{self.label} {done}/{total}  {rate:7.1f}/s  ETA {eta:5.1f} s")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


# ---------------------------------------------------------------- commands


def _cmd_providers(args: argparse.Namespace) -> int:
    caps = [adapter_for(p).capabilities for p in PROVIDERS]

    def text(out: TextIO) -> None:
        rows = [
            [
                c.provider,
                adapter_for(c.provider).api_key_env,
                ", ".join(f for f in ROUTING_FIELDS if c.can_set(f)),
                ", ".join(f for f in ROUTING_FIELDS if c.can_clear(f)),
            ]
            for c in caps
        ]
        _table(rows, ["provider", "key env var", "can set", "can clear"], out)

    _emit(args, caps, text)
    return EXIT_OK


def _account(args: argparse.Namespace, name: str) -> Account:
    return resolve_account(name, args.config)


def _lookup(client: Any, number_or_id: str) -> PhoneNumber:
    # A leading "+" marks an E.164 number; anything else is the vendor's id (linq-v2
    # ids are digits too, so digits alone cannot be told apart from a number).
    if number_or_id.strip().startswith("+"):
        number: PhoneNumber = client.find_number(number_or_id)
    else:
        number = client.get_number(number_or_id)
    return number


def _cmd_list(args: argparse.Namespace) -> int:
    with _account(args, args.account).connect() as client:
        numbers = list(client.list_numbers())

    def text(out: TextIO) -> None:
        rows = [[n.id, n.number, _routing_summary(n)] for n in numbers]
        _table(rows, ["id", "number", "routing"], out)
        print(f"{len(numbers)} numbers", file=out)

    _emit(args, numbers, text)
    return EXIT_OK


def _print_number(number: PhoneNumber, out: TextIO) -> None:
    rows = [["provider", number.provider], ["id", number.id], ["number", number.number]]
    rows += [[k, _show_value(v)] for k, v in number.routing().items()]
    for extra in ("sms_enabled", "mms_enabled", "created_at", "updated_at"):
        rows.append([extra, _show_value(getattr(number, extra))])
    _table(rows, ["field", "value"], out)


def _cmd_show(args: argparse.Namespace) -> int:
    with _account(args, args.account).connect() as client:
        number = _lookup(client, args.number)
    _emit(args, number, lambda out: _print_number(number, out))
    return EXIT_OK


def _apply_update(args: argparse.Namespace, update: RoutingUpdate) -> int:
    with _account(args, args.account).connect() as client:
        target = _lookup(client, args.number)
        after = client.update_routing(target.id, update)
    _emit(args, after, lambda out: _print_number(after, out))
    return EXIT_OK


def _cmd_set(args: argparse.Namespace) -> int:
    values: dict[str, Any] = {}
    for field in ROUTING_FIELDS:
        value = getattr(args, field, None)
        if value is not None:
            values[field] = value
    if not values:
        raise _UsageError(
            "set needs at least one field option, e.g. --forwarding-number +12025559999"
        )
    return _apply_update(args, RoutingUpdate(**values))


def _cmd_clear(args: argparse.Namespace) -> int:
    unknown = [f for f in args.fields if f not in ROUTING_FIELDS]
    if unknown:
        raise _UsageError(
            f"unknown field(s) {', '.join(unknown)}; choose from {', '.join(ROUTING_FIELDS)}"
        )
    return _apply_update(args, RoutingUpdate(**dict.fromkeys(args.fields)))


# ---------------------------------------------------------------- migration


def _numbers_line(label: str, numbers: Sequence[str], out: TextIO) -> None:
    if numbers:
        shown = ", ".join(numbers[:10])
        more = f" and {len(numbers) - 10} more (see --json)" if len(numbers) > 10 else ""
        print(f"{label}: {shown}{more}", file=out)


def _changes_block(title: str, lines: Sequence[str], out: TextIO, limit: int = 20) -> None:
    if not lines:
        return
    print(f"{len(lines)} {title}:", file=out)
    for line in lines[:limit]:
        print(f"  {line}", file=out)
    if len(lines) > limit:
        print(f"  ... and {len(lines) - limit} more (see --json)", file=out)


def _plan_text(plan: Any, out: TextIO) -> None:
    s = plan.summary()
    print(
        f"plan {plan.source} -> {plan.target}: {s['matched']} matched, {s['to_write']} to write "
        f"({s['clears']} field(s) to clear), {s['unchanged']} unchanged, "
        f"{s['invalid_values']} invalid value(s), "
        f"{s['only_in_source']} only in source, {s['only_in_target']} only in target, "
        f"{s['conflicts']} conflicts",
        file=out,
    )
    if plan.ignored:
        print(
            f"left alone: {plan.source} has no {', '.join(plan.ignored)} to carry over",
            file=out,
        )
    _changes_block(
        "value(s) that cannot be sent as they are (left out)",
        [f"{n.number} {c.field}: {c.reason}" for n in plan.numbers for c in n.invalid],
        out,
    )
    # The changes that take something away from the target: always shown.
    _changes_block(
        "value(s) the source does not have will be cleared",
        [
            f"{n.number} {c.field}: {_show_value(c.before)} -> -"
            for n in plan.to_write
            for c in n.changes
            if c.after is None
        ],
        out,
    )
    _numbers_line("only in source (not migrated)", plan.only_in_source, out)
    _numbers_line("only in target (left alone)", plan.only_in_target, out)
    _numbers_line("on one side twice (left alone)", plan.conflicts, out)
    _changes_block(
        "value(s) the target cannot hold (not carried over)",
        [
            f"{n.number} {c.field}={_show_value(c.after)}"
            for n in plan.numbers
            for c in n.unsupported
        ],
        out,
    )
    for item in plan.to_write[:10]:
        changes = ", ".join(
            f"{c.field}: {_show_value(c.before)} -> {_show_value(c.after)}" for c in item.changes
        )
        print(f"  {item.number} ({item.target_id}): {changes}", file=out)
    if len(plan.to_write) > 10:
        print(f"  ... and {len(plan.to_write) - 10} more", file=out)


def _report_text(title: str, report: Any, out: TextIO) -> None:
    print(
        f"{title}: {report.total} in the journal, {report.written} written, "
        f"{report.already_done} already done, {report.confirmed_without_write} confirmed "
        f"without writing, {len(report.failed)} failed",
        file=out,
    )
    for failure in report.failed:
        print(f"  FAILED {failure.number} ({failure.target_id}): {failure.error}", file=out)


def _verify_text(report: Any, out: TextIO) -> None:
    state = "OK" if report.ok else "DIFFERS"
    print(
        f"verify: {state}: {report.checked} checked, {len(report.differences)} field(s) differ, "
        f"{len(report.missing)} missing, {len(report.unfinished)} unfinished",
        file=out,
    )
    _numbers_line("missing from the target", report.missing, out)
    _numbers_line("not finished in the journal", report.unfinished, out)
    _numbers_line("listed twice on one side", report.conflicts, out)
    for diff in report.differences[:50]:
        print(
            f"  {diff.number} {diff.field}: expected {_show_value(diff.expected)}, "
            f"found {_show_value(diff.actual)}",
            file=out,
        )


async def _migrate(args: argparse.Namespace) -> int:
    from phonerouting import migration

    source = _account(args, args.source).connect_async() if args.source else None
    target = _account(args, args.target).connect_async()
    try:
        if args.action == "rollback":
            if not args.journal:
                raise _UsageError("migrate rollback needs --journal FILE")
            report = await migration.rollback(
                target,
                journal=args.journal,
                concurrency=args.concurrency,
                max_requests_per_second=args.max_rps,
                progress=_ProgressBar("rollback"),
                force=args.force,
            )
            _emit(args, report, lambda out: _report_text("rollback", report, out))
            return EXIT_OK if report.ok else EXIT_PARTIAL
        if args.action == "verify" and args.journal:
            if source is not None:
                raise _UsageError(
                    "migrate verify takes --journal FILE (check the target against the "
                    "journal) or --from ACCOUNT (against the source), not both"
                )
            check = await migration.verify_journal(target, journal=args.journal)
            _emit(args, check, lambda out: _verify_text(check, out))
            return EXIT_OK if check.ok else EXIT_PARTIAL
        if source is None:
            alternative = " (or --journal FILE)" if args.action == "verify" else ""
            raise _UsageError(f"migrate {args.action} needs --from ACCOUNT{alternative}")
        plan = await migration.plan(source, target, args.fields)
        if args.action == "plan":
            _emit(args, plan, lambda out: _plan_text(plan, out))
            return EXIT_OK
        if args.action == "verify":
            # A plan made from both accounts as they are now: whatever it would still
            # write is exactly what differs from the source.
            check = migration.drift(plan)
            _emit(args, check, lambda out: _verify_text(check, out))
            return EXIT_OK if check.ok else EXIT_PARTIAL
        if not args.journal:
            raise _UsageError("migrate apply needs --journal FILE (it makes the run resumable)")
        progress = _ProgressBar("apply")
        if not args.json:
            # What the run will leave aside (one-sided numbers, values the target cannot
            # hold) and take away (clears) is said before anything is written, once the
            # journal is known to be usable (the first progress call).
            progress.before = lambda: _plan_text(plan, sys.stdout)
        report = await migration.apply(
            plan,
            target,
            journal=args.journal,
            concurrency=args.concurrency,
            max_requests_per_second=args.max_rps,
            progress=progress,
        )
        _emit(args, report, lambda out: _report_text("apply", report, out))
        return EXIT_OK if report.ok else EXIT_PARTIAL
    finally:
        if source is not None:
            await source.close()
        await target.close()


def _cmd_migrate(args: argparse.Namespace) -> int:
    return asyncio.run(_migrate(args))


# ---------------------------------------------------------------- parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of requests per second") from None
    if not in_range(value, 0, math.inf, low_open=True):
        raise argparse.ArgumentTypeError("must be a number above 0")
    return value


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise argparse.ArgumentTypeError("must be true or false")


def _common_options(defaults: bool) -> _Parser:
    # The options every command takes, before or after its name. The subcommands' copy
    # has no defaults, so it never overwrites what was given before the command name.
    common = _Parser(add_help=False)
    extra: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    common.add_argument("--json", action="store_true", help="machine-readable output", **extra)
    common.add_argument(
        "--verbose", "-v", action="store_true", help="more detail on errors", **extra
    )
    common.add_argument("--config", help="accounts file (default: phonerouting.toml)", **extra)
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs' CLI reference)."""
    common = _common_options(defaults=False)
    parser = _Parser(
        prog="phonerouting", description=__doc__, parents=[_common_options(defaults=True)]
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("providers", parents=[common], help="the providers and their fields")
    p.set_defaults(func=_cmd_providers)

    p = sub.add_parser("list", parents=[common], help="every number of an account")
    p.add_argument("account")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("show", parents=[common], help="one number (+E164 or vendor id)")
    p.add_argument("account")
    p.add_argument("number", metavar="NUMBER_OR_ID")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("set", parents=[common], help="set routing fields of one number")
    p.add_argument("account")
    p.add_argument("number", metavar="NUMBER_OR_ID")
    p.add_argument("--forwarding-number", dest="forwarding_number")
    p.add_argument("--inbound-url", dest="inbound_url")
    p.add_argument("--status-url", dest="status_url")
    p.add_argument("--label")
    p.add_argument("--campaign-id", dest="campaign_id")
    p.add_argument("--voicemail-greeting-url", dest="voicemail_greeting_url")
    p.add_argument("--ring-duration", dest="ring_duration", type=int)
    p.add_argument("--participant", dest="participants", action="append", metavar="USER_ID")
    p.add_argument("--external-number", dest="external_numbers", action="append", metavar="E164")
    p.add_argument("--press-1-to-accept", dest="press_1_to_accept", type=_bool)
    p.set_defaults(func=_cmd_set)

    p = sub.add_parser("clear", parents=[common], help="clear routing fields of one number")
    p.add_argument("account")
    p.add_argument("number", metavar="NUMBER_OR_ID")
    p.add_argument("fields", nargs="+", metavar="FIELD", help=", ".join(ROUTING_FIELDS))
    p.set_defaults(func=_cmd_clear)

    p = sub.add_parser("migrate", parents=[common], help="plan, apply, verify, rollback")
    p.add_argument("action", choices=["plan", "apply", "verify", "rollback"])
    p.add_argument("--from", dest="source", metavar="ACCOUNT")
    p.add_argument("--to", dest="target", metavar="ACCOUNT", required=True)
    p.add_argument("--journal", metavar="FILE")
    p.add_argument("--concurrency", type=_positive_int, default=8)
    p.add_argument("--max-rps", dest="max_rps", type=_positive_rate, default=None)
    p.add_argument("--fields", nargs="+", metavar="FIELD", choices=ROUTING_FIELDS)
    p.add_argument(
        "--force",
        action="store_true",
        help="rollback: restore numbers changed since the migration too",
    )
    p.set_defaults(func=_cmd_migrate)

    from phonerouting.demo import add_commands

    add_commands(sub, common)
    return parser


def _configure_logging(verbose: bool) -> None:
    # Retries and other warnings of the library go to stderr only when asked for.
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("phonerouting: %(message)s"))
        logger = logging.getLogger("phonerouting")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    words = list(sys.argv[1:] if argv is None else argv)
    _Parser.json_errors = "--json" in words
    args = parser.parse_args(words)
    _configure_logging(args.verbose)
    try:
        code: int = args.func(args)
    except BrokenPipeError:
        # The reader went away (`phonerouting list x | head`): stop quietly, and keep
        # Python from complaining again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PARTIAL
    except _UsageError as exc:
        _print_failure(args, "UsageError", str(exc), {})
        return EXIT_USAGE
    except (ConfigurationError, ValidationError) as exc:
        _print_error(args, exc)
        return (
            EXIT_USAGE
            if isinstance(exc, ConfigurationError) or exc.status is None
            else EXIT_PARTIAL
        )
    except RoutingError as exc:
        _print_error(args, exc)
        return EXIT_PARTIAL
    except KeyboardInterrupt:
        resumable = args.command == "migrate" and args.action in ("apply", "rollback")
        more = "; run the same command again to resume from the journal" if resumable else ""
        print(f"phonerouting: interrupted{more}", file=sys.stderr)
        return 130
    return code


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


def _print_failure(
    args: argparse.Namespace, kind: str, message: str, fields: dict[str, Any]
) -> None:
    # One line, whatever a vendor put in its message.
    message = " ".join(message.split())
    if args.json:
        # Scripts asked for JSON: the error is one JSON object on stderr.
        payload = {"error": {"type": kind, "command": _subject(args), "message": message}}
        payload["error"].update(fields)
        print(json.dumps(payload, default=str), file=sys.stderr)
    else:
        print(f"phonerouting: error: {_subject(args)}: {message}", file=sys.stderr)


def _print_error(args: argparse.Namespace, exc: RoutingError) -> None:
    fields = {
        name: getattr(exc, name)
        for name in ("provider", "status", "code", "request_id", "doc_url", "retry_after")
    }
    fields["details"] = dict(exc.details)
    if isinstance(exc, ValidationError):
        fields["field"] = exc.field
    _print_failure(args, type(exc).__name__, exc.describe(cli=True), fields)
    if args.verbose and not args.json:
        print(f"  type: {type(exc).__name__}", file=sys.stderr)
        for name in ("provider", "status", "code", "request_id", "doc_url"):
            print(f"  {name}: {getattr(exc, name)}", file=sys.stderr)
        for key, value in exc.details.items():
            print(f"  details.{key}: {value}", file=sys.stderr)
        if exc.retry_after is not None:
            print(f"  retry_after: {exc.retry_after:g}", file=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
