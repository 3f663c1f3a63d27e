"""The command line's grammar: every command, subcommand and option, with its help.

Each ``migrate`` action is a subcommand of its own, with only the options that apply to
it: an option another action takes is refused as a usage error, never ignored.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from phonerouting._version import __version__
from phonerouting.inputs import in_range
from phonerouting.model import ROUTING_FIELDS
from phonerouting.registry import providers
from phonerouting.retry import MAX_SECONDS
from phonerouting.testing.__main__ import bounded_int

__all__ = ["DESCRIPTION", "Parser", "build_parser"]

DESCRIPTION = (
    "Read and change the routing of phone numbers (forwarding, webhooks, labels, "
    "campaigns, ring groups) on Linq v2, Linq v3, AgentMessage and Close, and migrate it "
    "between accounts. Exit codes: 0 success; 1 some numbers failed, differ or changed "
    "since the plan, or a vendor refused; 2 usage or configuration error; 130 "
    "interrupted. --json prints machine-readable output on every command."
)
ACCOUNT_HELP = (
    "an account name from the accounts file, or a provider name ("
    + ", ".join(providers())
    + ") to read the key from that provider's variable"
)
NUMBER_HELP = "an E.164 number with its country code (+1 202 555 0142), or the vendor's id"


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (or JSON with ``--json``)."""

    #: Set by `main` when ``--json`` is on the command line, before it is parsed, so
    #: that usage errors come as JSON too.
    json_errors = False

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print the usage error and exit with code 2."""
        if Parser.json_errors:
            error = {"type": "UsageError", "command": self.prog, "message": message}
            sys.stderr.write(json.dumps({"error": error}) + "\n")
        else:
            # One line, like every other error; the usage is one --help away.
            sys.stderr.write(f"{self.prog}: error: {message} (see {self.prog} --help)\n")
        raise SystemExit(2)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """Parse; a command (a parser with no subcommands) refuses the options it does
        not take itself, naming itself, rather than leaving them to the top level."""
        parsed, extras = super().parse_known_args(args, namespace)
        if extras and self._subparsers is None:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


# ---------------------------------------------------------------- value types


def _above_zero(what: str, high: float = math.inf) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number of {what}") from None
        if not in_range(value, 0, high, low_open=True):
            limit = f" and at most {high:g}" if math.isfinite(high) else ""
            raise argparse.ArgumentTypeError(f"must be a number above 0{limit}")
        return value

    return parse


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise argparse.ArgumentTypeError("must be true or false")


# ---------------------------------------------------------------- option groups


def _common(defaults: bool) -> Parser:
    # The options every command takes, before or after its name. The subcommands' copy
    # has no defaults, so it never overwrites what was given before the command name.
    common = Parser(add_help=False)
    extra: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    common.add_argument(
        "--json", action="store_true", help="print machine-readable JSON output", **extra
    )
    common.add_argument(
        "--verbose", "-v", action="store_true", help="more detail on errors", **extra
    )
    common.add_argument(
        "--config",
        metavar="FILE",
        help="the accounts file (default: $PHONEROUTING_CONFIG, else phonerouting.toml)",
        **extra,
    )
    return common


def _connection() -> Parser:
    options = Parser(add_help=False)
    options.add_argument(
        "--timeout",
        type=_above_zero("seconds", MAX_SECONDS),
        metavar="SECONDS",
        help="seconds to wait for each vendor response (overrides the accounts file; default 10)",
    )
    options.add_argument(
        "--max-retries",
        dest="max_retries",
        type=bounded_int(0, 100),
        metavar="N",
        help="retries of a request the vendor failed or rate limited (overrides the "
        "accounts file; default 2)",
    )
    return options


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--concurrency",
        type=bounded_int(1, 1_000),
        default=8,
        metavar="N",
        help="numbers written at the same time (default 8)",
    )
    parser.add_argument(
        "--max-rps",
        dest="max_rps",
        type=_above_zero("requests per second"),
        default=None,
        metavar="R",
        help="at most R requests per second to the target (default: no ceiling)",
    )
    parser.add_argument(
        "--read-window",
        dest="read_window",
        type=_above_zero("seconds", MAX_SECONDS),
        default=None,
        metavar="SECONDS",
        help="the oldest a number's read may be when its write is sent; one listing of a "
        "Linq account serves the reads of this many seconds (default 5: the library's "
        "migration READ_WINDOW)",
    )
    parser.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="write without asking for confirmation (needed off a terminal)",
    )


def _fields_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fields",
        nargs="+",
        metavar="FIELD",
        choices=ROUTING_FIELDS,
        help="migrate only these fields (default: every field both providers have): "
        + ", ".join(ROUTING_FIELDS),
    )


def _migration_accounts(parser: argparse.ArgumentParser, *, source: str | None) -> None:
    if source is not None:
        parser.add_argument(
            "--from",
            dest="source",
            metavar="ACCOUNT",
            required=source == "required",
            help=("the account to migrate from (" + ACCOUNT_HELP + ")"),
        )
    parser.add_argument(
        "--to",
        dest="target",
        metavar="ACCOUNT",
        required=True,
        help="the account to migrate to (same forms as --from)",
    )


def _journal(parser: argparse.ArgumentParser, *, required: bool, help: str) -> None:
    parser.add_argument("--journal", metavar="FILE|URL", required=required, help=help)


# ---------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs' CLI reference)."""
    from phonerouting.cli import commands, migrate

    common = _common(defaults=False)
    connection = _connection()
    parser = Parser(prog="phonerouting", description=DESCRIPTION, parents=[_common(True)])
    parser.add_argument(
        "--version",
        action="version",
        version=f"phonerouting {__version__}",
        help="print the version and exit",
    )
    sub = parser.add_subparsers(
        dest="command",
        required=True,
        parser_class=Parser,
        metavar="COMMAND",
        help="one of the commands below; each has its own help (phonerouting COMMAND --help)",
    )

    p = sub.add_parser(
        "providers",
        parents=[common],
        help="the providers, their key variables and the fields each can set and clear",
        description="The providers, the environment variable each reads its key from, "
        "and the routing fields each can set and clear.",
    )
    p.set_defaults(func=commands.providers)

    p = sub.add_parser(
        "list",
        parents=[common, connection],
        help="every number of an account and its routing",
        description="Every number of an account and its routing.",
    )
    p.add_argument("account", metavar="ACCOUNT", help=ACCOUNT_HELP)
    p.add_argument(
        "--format",
        choices=["table", "csv"],
        default="table",
        help="table (default) or csv: one row per number, one column per field of the "
        "provider (--json for JSON)",
    )
    p.set_defaults(func=commands.list_numbers)

    p = sub.add_parser(
        "show",
        parents=[common, connection],
        help="one number and every routing field",
        description="One number and every routing field: empty fields, and fields the "
        "provider does not have, are told apart.",
    )
    p.add_argument("account", metavar="ACCOUNT", help=ACCOUNT_HELP)
    p.add_argument("number", metavar="NUMBER_OR_ID", help=NUMBER_HELP)
    p.set_defaults(func=commands.show)

    p = sub.add_parser(
        "set",
        parents=[common, connection],
        help="set routing fields of one number",
        description="Set routing fields of one number; fields not named are left alone.",
    )
    p.add_argument("account", metavar="ACCOUNT", help=ACCOUNT_HELP)
    p.add_argument("number", metavar="NUMBER_OR_ID", help=NUMBER_HELP)
    for flag, dest, kind, help in (
        ("--forwarding-number", "forwarding_number", str, "E.164 number calls forward to"),
        ("--inbound-url", "inbound_url", str, "webhook URL for inbound messages"),
        ("--status-url", "status_url", str, "webhook URL for delivery status"),
        ("--label", "label", str, "the number's label or name"),
        ("--campaign-id", "campaign_id", str, "the messaging campaign the number belongs to"),
        ("--voicemail-greeting-url", "voicemail_greeting_url", str, "URL of the greeting"),
        ("--ring-duration", "ring_duration", int, "seconds a call rings before voicemail"),
        ("--voice-url", "voice_url", str, "URL fetched for call instructions"),
        ("--voice-fallback-url", "voice_fallback_url", str, "fetched when the voice URL fails"),
        (
            "--inbound-fallback-url",
            "inbound_fallback_url",
            str,
            "fetched when the inbound-message webhook fails",
        ),
        ("--call-status-url", "call_status_url", str, "inbound-call status callback URL"),
        ("--connection-id", "connection_id", str, "the voice connection the number uses"),
        (
            "--messaging-profile-id",
            "messaging_profile_id",
            str,
            "the messaging profile the number uses",
        ),
    ):
        p.add_argument(flag, dest=dest, type=kind, help=help)
    p.add_argument(
        "--participant",
        dest="participants",
        action="append",
        metavar="USER_ID",
        help="a user the number rings (repeat for several); replaces the list",
    )
    p.add_argument(
        "--external-number",
        dest="external_numbers",
        action="append",
        metavar="E164",
        help="an outside number the number rings (repeat for several); replaces the list",
    )
    p.add_argument(
        "--tag",
        dest="tags",
        action="append",
        metavar="TAG",
        help="a tag of the number (repeat for several); replaces the list",
    )
    p.add_argument(
        "--press-1-to-accept",
        dest="press_1_to_accept",
        type=_bool,
        metavar="true|false",
        help="whether a forwarded call must be accepted by pressing 1",
    )
    _dry_run(p)
    p.set_defaults(func=commands.set_fields)

    p = sub.add_parser(
        "clear",
        parents=[common, connection],
        help="clear routing fields of one number",
        description="Clear routing fields of one number.",
    )
    p.add_argument("account", metavar="ACCOUNT", help=ACCOUNT_HELP)
    p.add_argument("number", metavar="NUMBER_OR_ID", help=NUMBER_HELP)
    p.add_argument(
        "fields", nargs="+", metavar="FIELD", help="fields to clear: " + ", ".join(ROUTING_FIELDS)
    )
    _dry_run(p)
    p.set_defaults(func=commands.clear_fields)

    _migrate_commands(sub, [common, connection], migrate)

    from phonerouting.demo import add_commands

    add_commands(sub, common)
    from phonerouting.cli import serve

    serve.add_commands(sub, common)
    return parser


def _dry_run(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dry-run",
        dest="dry_run",
        action="store_true",
        help="show the exact change and the requests it would send; send nothing",
    )


def _migrate_commands(sub: Any, parents: list[Parser], migrate: Any) -> None:
    group = sub.add_parser(
        "migrate",
        parents=parents[:1],
        help="plan, apply, verify and roll back a migration between two accounts",
        description="Migrate routing from one account to another, by E.164 number: plan "
        "what would change, apply it with a resumable journal, verify the target, roll "
        "it back. Each action has its own help: phonerouting migrate ACTION --help.",
    )
    actions = group.add_subparsers(
        dest="action",
        required=True,
        parser_class=Parser,
        metavar="ACTION",
        help="one of the actions below; each has its own help",
    )

    p = actions.add_parser(
        "plan",
        parents=parents,
        help="what a migration would change (reads both accounts, writes nothing)",
        description="Read both accounts and say what a migration would change; nothing is written.",
    )
    _migration_accounts(p, source="required")
    _fields_option(p)
    p.add_argument(
        "--all",
        dest="show_all",
        action="store_true",
        help="list every change (default: the first 10 of each kind)",
    )
    p.set_defaults(func=migrate.command)

    p = actions.add_parser(
        "apply",
        parents=parents,
        help="apply a migration, journaled and resumable",
        description="Apply the migration from --from to --to, recording every step in "
        "the journal. Run it again with the same journal to resume or retry.",
    )
    _migration_accounts(p, source="required")
    _journal(
        p,
        required=True,
        help="the journal that makes the run resumable: an SQLite file, or a PostgreSQL "
        "URL (postgresql://…?journal=NAME) that several workers share, splitting the "
        "numbers between them; an existing one of the same migration is resumed",
    )
    _fields_option(p)
    _run_options(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="also write numbers changed on the target since the plan (overwriting "
        "those edits); without it they are left alone and reported",
    )
    p.set_defaults(func=migrate.command)

    p = actions.add_parser(
        "verify",
        parents=parents,
        help="check the target against the journal or the source",
        description="Read the target back and check it: against the journal "
        "(--journal: migrated values where applied, prior values where rolled back), "
        "or against the source as it is now (--from).",
    )
    _migration_accounts(p, source="optional")
    _journal(p, required=False, help="check against this journal (instead of --from)")
    _fields_option(p)
    p.set_defaults(func=migrate.command)

    p = actions.add_parser(
        "rollback",
        parents=parents,
        help="put back the values recorded before each write",
        description="Put back, on --to, the values the journal recorded before each "
        "write. Numbers changed since the migration are left alone and reported, unless "
        "--force.",
    )
    _migration_accounts(p, source=None)
    _journal(p, required=True, help="the journal the migration wrote")
    _run_options(p)
    p.add_argument(
        "--force",
        action="store_true",
        help="also restore numbers changed since the migration",
    )
    p.set_defaults(func=migrate.command)
