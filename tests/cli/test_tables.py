"""Tables that fit the terminal, show's empty versus absent fields, csv, the plan's
--all, heading and JSON summary, and plain progress lines off a terminal."""

from __future__ import annotations

import csv
import io
import json

from phonerouting import testing
from tests.cli.conftest import Cli, with_terminal_stderr

Served = tuple[Cli, dict[str, testing.Emulator]]


def _narrow(cli: Cli, columns: int) -> Cli:
    return Cli(cli.folder, dict(cli.env, COLUMNS=str(columns)))


def test_tables_fit_the_terminal_width(served: Served) -> None:
    cli, emus = served
    crm = emus["crm"]
    first = next(iter(crm.numbers.values()))  # type: ignore[attr-defined]
    first.label = "A rather long label for the front desk of the second floor " * 2
    first.voicemail_greeting_url = "https://example.com/greetings/" + "x" * 90 + ".mp3"
    narrow = _narrow(cli, 80)
    for args in (("providers",), ("list", "crm"), ("show", "crm", first.id)):
        result = narrow.run(*args)
        assert result.code == 0, result.err
        widths = [len(line) for line in result.out.splitlines()]
        assert max(widths) <= 80, (args, max(widths))
    # Nothing is lost to the wrapping: the long URL is all there, in pieces.
    shown = narrow.run("show", "crm", first.id).out
    assert "x" * 40 in shown.replace("\n", "").replace(" ", "")
    # Off a terminal without $COLUMNS, rows are never cut (for grep).
    whole = cli.run("list", "crm").out
    assert any(first.voicemail_greeting_url in line for line in whole.splitlines())


def test_show_tells_empty_from_absent(served: Served) -> None:
    cli, emus = served
    v3 = next(iter(emus["new"].numbers.values()))  # type: ignore[attr-defined]
    rows = dict(line.split(None, 1) for line in cli.run("show", "new", v3.id).out.splitlines()[2:])
    assert rows["forwarding_number"] == "- (empty)"
    assert rows["label"] == "n/a (linq-v3 has no such field)"
    assert rows["press_1_to_accept"] == "n/a (linq-v3 has no such field)"


def test_list_as_csv_holds_the_exact_values(served: Served) -> None:
    cli, emus = served
    crm = emus["crm"]
    first = next(iter(crm.numbers.values()))  # type: ignore[attr-defined]
    first.label = 'Front, "desk"\nsecond line'
    listed = cli.run("list", "crm", "--format", "csv")
    assert listed.code == 0, listed.err
    rows = list(csv.DictReader(io.StringIO(listed.out)))
    assert len(rows) == 5
    assert list(rows[0]) == [
        "id",
        "number",
        "forwarding_number",
        "label",
        "voicemail_greeting_url",
        "ring_duration",
        "participants",
        "external_numbers",
        "press_1_to_accept",
    ]
    row = next(r for r in rows if r["id"] == first.id)
    assert row["label"] == 'Front, "desk"\nsecond line'
    as_json = {n["id"]: n for n in json.loads(cli.run("list", "crm", "--json").out)}
    for r in rows:
        number = as_json[r["id"]]
        assert r["number"] == number["number"]
        assert r["participants"] == ";".join(number["participants"] or [])
    both = cli.run("list", "crm", "--format", "csv", "--json")
    assert both.code == 2


def test_plan_all_heading_and_json_summary(served: Served) -> None:
    cli, _ = served
    short = cli.run("migrate", "plan", "--from", "old", "--to", "new")
    assert short.code == 0, short.err
    lines = short.out.splitlines()
    heading = "30 number(s) to write (number (target id): field: before -> after):"
    start = lines.index(heading)
    assert len(lines[start + 1 :]) == 11
    assert lines[-1] == "  ... and 20 more (--all lists them)"
    every = cli.run("migrate", "plan", "--from", "old", "--to", "new", "--all").out.splitlines()
    assert len(every[every.index(heading) + 1 :]) == 30
    data = json.loads(cli.run("migrate", "plan", "--from", "old", "--to", "new", "--json").out)
    assert data["summary"]["to_write"] == 30
    assert data["summary"]["matched"] == 30


def test_plain_progress_lines_off_a_terminal(served: Served) -> None:
    cli, _ = served
    args = ("migrate", "apply", "--from", "old", "--to", "new", "--journal", "j", "--yes")
    applied = cli.run(*args)
    assert applied.code == 0, applied.err
    lines = applied.err.splitlines()
    # One at the start, one at each tenth of the run.
    assert [line.split(" (")[0] for line in lines] == [f"apply: {n}/30" for n in range(0, 31, 3)]
    assert lines[-1].startswith("apply: 30/30 (100%), ")
    assert lines[-1].endswith(" numbers/s")
    assert "left" in lines[1]
    # With --json, standard error stays free for a JSON error.
    cli.run("migrate", "rollback", "--to", "new", "--journal", "j", "--yes")
    quiet = cli.run(*args[:-2], "j2", "--yes", "--json")
    assert (quiet.code, quiet.err) == (0, "")


def test_verify_shows_the_numbers_read_on_a_terminal(served: Served) -> None:
    cli, _ = served
    code, out, terminal = with_terminal_stderr(
        cli, "migrate", "verify", "--from", "old", "--to", "new"
    )
    assert code == 1
    assert out.startswith("verify: DIFFERS: 30 checked")
    assert "verify: reading" in terminal
    assert "60 numbers read" in terminal  # both accounts, 30 each
