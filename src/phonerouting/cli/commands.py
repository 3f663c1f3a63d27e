"""The commands on one account or none: ``providers``, ``list``, ``show``, ``set``,
``clear``. Every vendor value printed as text goes through `display.escape`."""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from typing import Any, TextIO

from phonerouting import registry
from phonerouting.cli import accounts
from phonerouting.cli.display import escape, inline, shown
from phonerouting.cli.failures import EXIT_OK, UsageError
from phonerouting.cli.output import emit, print_table
from phonerouting.client import Client
from phonerouting.model import ROUTING_FIELDS, Capabilities, PhoneNumber, RoutingUpdate
from phonerouting.registry import adapter_for
from phonerouting.serialize import to_data

__all__ = ["clear_fields", "list_numbers", "providers", "set_fields", "show"]


def _has(caps: Capabilities, field: str) -> bool:
    """Whether the provider has this field at all (it can set or clear it)."""
    return caps.can_set(field) or caps.can_clear(field)


def _fields(caps: Capabilities) -> str:
    # One list, each field said once; the rare one-way field says which way.
    shown = []
    for field in ROUTING_FIELDS:
        can_set, can_clear = caps.can_set(field), caps.can_clear(field)
        if can_set and can_clear:
            shown.append(field)
        elif can_set or can_clear:
            shown.append(f"{field} ({'set' if can_set else 'clear'} only)")
    return ", ".join(shown) or "-"


def providers(args: argparse.Namespace) -> int:
    """``phonerouting providers``."""
    caps = [adapter_for(p).capabilities for p in registry.providers()]
    data = [{**to_data(c), "key_env": adapter_for(c.provider).api_key_env} for c in caps]

    def text(out: TextIO) -> None:
        rows = [[c.provider, adapter_for(c.provider).api_key_env, _fields(c)] for c in caps]
        print_table(
            rows,
            ["provider", "key variable", "fields it can set and clear"],
            out,
            keep_whole=["provider", "key variable"],
        )

    emit(args.json, data, text, sys.stdout)
    return EXIT_OK


_PHONE_PUNCTUATION = re.compile(r"[\d\s().-]+")


def _lookup(client: Client, number_or_id: str) -> PhoneNumber:
    # A leading "+" marks an E.164 number; anything else is the vendor's id (linq-v2
    # ids are digits too, so digits alone cannot be told apart from a number).
    text = number_or_id.strip()
    if text.startswith("+"):
        return client.find_number(number_or_id)
    digits = re.sub(r"\D", "", text)
    if _PHONE_PUNCTUATION.fullmatch(text) and not text.isdigit() and 7 <= len(digits) <= 15:
        # Written like a phone number (312-246-1528), which no vendor's ids are: it
        # lacks the country code, not the right id.
        example = f"+1 {text}" if len(digits) == 10 else f"+<country code> {text}"
        raise UsageError(
            f"{escape(text)} looks like a phone number without its country code; give it "
            f"with one (e.g. {escape(example)}), or give the vendor's id"
        )
    return client.get_number(number_or_id)


def _routing_summary(number: PhoneNumber) -> str:
    parts = [f"{k}={inline(v)}" for k, v in number.routing().items() if v is not None]
    return " ".join(parts) or "-"


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ";".join(str(v) for v in value)
    return str(value)


def _write_csv(numbers: list[PhoneNumber], caps: Capabilities, out: TextIO) -> None:
    # Exact values, quoted as CSV needs (the csv module); on a terminal, escaped as
    # well, since nobody parses a terminal and a raw escape sequence would act on it.
    fields = [f for f in ROUTING_FIELDS if _has(caps, f)]
    clean = escape if out.isatty() else str
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "number", *fields])
    for n in numbers:
        cells = [n.id, n.number, *(_csv_cell(getattr(n, f)) for f in fields)]
        writer.writerow([clean(c) for c in cells])


def list_numbers(args: argparse.Namespace) -> int:
    """``phonerouting list ACCOUNT``."""
    if args.json and args.format != "table":
        raise UsageError("--json and --format csv are two output formats; choose one")
    with accounts.connect(args, args.account) as client:
        numbers = list(client.list_numbers())
        caps = client.capabilities

    def text(out: TextIO) -> None:
        if args.format == "csv":
            _write_csv(numbers, caps, out)
            return
        rows = [[escape(n.id), escape(n.number), _routing_summary(n)] for n in numbers]
        print_table(rows, ["id", "number", "routing"], out, keep_whole=["id", "number"])
        out.write(f"{len(numbers)} numbers\n")

    emit(args.json, numbers, text, sys.stdout)
    return EXIT_OK


def _number_rows(number: PhoneNumber, caps: Capabilities) -> list[list[str]]:
    rows = [["provider", number.provider], ["id", escape(number.id)]]
    rows.append(["number", escape(number.number)])
    for field, value in number.routing().items():
        if not _has(caps, field):
            rows.append([field, f"n/a ({number.provider} has no such field)"])
        elif value is None:
            rows.append([field, "- (empty)"])
        else:
            rows.append([field, shown(value)])
    for extra in ("sms_enabled", "mms_enabled", "created_at", "updated_at"):
        rows.append([extra, shown(getattr(number, extra))])
    return rows


def _print_number(number: PhoneNumber, caps: Capabilities, out: TextIO) -> None:
    print_table(_number_rows(number, caps), ["field", "value"], out, keep_whole=["field"])


def show(args: argparse.Namespace) -> int:
    """``phonerouting show ACCOUNT NUMBER_OR_ID``."""
    with accounts.connect(args, args.account) as client:
        number = _lookup(client, args.number)
        caps = client.capabilities
    emit(args.json, number, lambda out: _print_number(number, caps, out), sys.stdout)
    return EXIT_OK


def _to_json(value: Any) -> str:
    """A request body or query as one line of JSON."""
    return json.dumps(to_data(value), sort_keys=True)


def _dry_run(client: Client, number: PhoneNumber, update: RoutingUpdate, as_json: bool) -> None:
    from phonerouting import operations

    adapter = client.adapter
    # The same pure step update_routing takes: it refuses what the provider cannot
    # set or clear, and builds the exact requests; none is sent.
    _, requests = operations.plan_update(adapter, number.id, update)
    if requests and adapter.reads_before_update(update):
        # Refused, or built from the number as just read, as update_routing does.
        requests = operations.requests_for(adapter, number, update)
    changes = {
        field: {"before": getattr(number, field), "after": value}
        for field, value in update.changes().items()
    }
    sent = [
        {"method": r.method, "path": r.path, "params": r.params, "json": r.json}
        # A form body only where there is one: the JSON vendors' output is as it was.
        | ({} if r.form is None else {"form": r.form})
        for r in requests
    ]
    data = {"dry_run": True, "number": number, "changes": changes, "requests": sent}

    def text(out: TextIO) -> None:
        out.write(
            f"dry run: would change {escape(number.number)} ({escape(number.id)}) on "
            f"{number.provider}:\n"
        )
        for field, change in changes.items():
            out.write(f"  {field}: {inline(change['before'])} -> {inline(change['after'])}\n")
        for request in requests:
            payload = request.json if request.form is None else request.form
            body = "" if payload is None else " " + escape(_to_json(payload))
            query = "" if not request.params else " ?" + escape(_to_json(request.params))
            out.write(f"  request: {request.method} {escape(request.path)}{query}{body}\n")
        if not requests:
            out.write("  (nothing to send: the update is empty)\n")
        out.write("nothing was sent\n")

    emit(as_json, data, text, sys.stdout)


def _apply_update(args: argparse.Namespace, update: RoutingUpdate) -> int:
    with accounts.connect(args, args.account) as client:
        target = _lookup(client, args.number)
        caps = client.capabilities
        if args.dry_run:
            _dry_run(client, target, update, args.json)
            return EXIT_OK
        # The number was just read: the update needs no read of its own.
        after = client.update_routing(target.id, update, current=target)
    emit(args.json, after, lambda out: _print_number(after, caps, out), sys.stdout)
    return EXIT_OK


def set_fields(args: argparse.Namespace) -> int:
    """``phonerouting set ACCOUNT NUMBER_OR_ID --field value...``."""
    values: dict[str, Any] = {}
    for field in ROUTING_FIELDS:
        value = getattr(args, field, None)
        if value is not None:
            values[field] = value
    if not values:
        raise UsageError(
            "set needs at least one field option, e.g. --forwarding-number +12025559999"
        )
    return _apply_update(args, RoutingUpdate(**values))


def clear_fields(args: argparse.Namespace) -> int:
    """``phonerouting clear ACCOUNT NUMBER_OR_ID FIELD...``."""
    unknown = [f for f in args.fields if f not in ROUTING_FIELDS]
    if unknown:
        raise UsageError(
            f"unknown field(s) {', '.join(escape(f) for f in unknown)}; choose from "
            f"{', '.join(ROUTING_FIELDS)}"
        )
    return _apply_update(args, RoutingUpdate(**dict.fromkeys(args.fields)))
