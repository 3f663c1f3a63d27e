"""Vendor text never acts on the terminal: escaped in every text output, exact in JSON."""

from __future__ import annotations

import json

import pytest

from phonerouting import testing
from phonerouting.cli.display import escape, inline, shown
from phonerouting.cli.failures import print_routing_error
from phonerouting.errors import ServerError
from tests.cli.conftest import Cli

Served = tuple[Cli, dict[str, testing.Emulator]]

HOSTILE = "\x1b[2J\x1b[31mPWNED\x1b[0m\nfake line\r"
#: How the hostile label prints: one line, every character visible.
HOSTILE_SHOWN = "\\x1b[2J\\x1b[31mPWNED\\x1b[0m\\nfake line\\r"
BIDI = "abc\u202edcba"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain label", "plain label"),
        (HOSTILE, HOSTILE_SHOWN),
        (BIDI, "abc\\u202edcba"),
        ("\u2066x\u2069\u200e\u200f\u061c", "\\u2066x\\u2069\\u200e\\u200f\\u061c"),
        ("tab\there", "tab\\there"),
        ("back\\slash", "back\\\\slash"),
        ("\x9b31m", "\\x9b31m"),  # the one-byte CSI of C1
        ("line\u2028sep", "line\\u2028sep"),
        ("Café ☎ 東京", "Café ☎ 東京"),
    ],
)
def test_escape(text: str, expected: str) -> None:
    assert escape(text) == expected


def test_values_with_spaces_and_empties_are_unambiguous() -> None:
    assert inline("Front desk") == '"Front desk"'
    assert inline('say "hi"') == '"say \\"hi\\""'
    assert inline("a=b") == '"a=b"'
    assert shown("Front desk") == "Front desk"  # its own table cell: no quotes needed
    assert shown(" padded ") == '" padded "'
    assert shown("") == '""'
    assert shown("-") == '"-"'  # not to be read as "empty"
    assert shown(None) == "-"
    assert shown(("u1", "u 2")) == 'u1, "u 2"'
    assert shown(True) == "true"


def _seed(emus: dict[str, testing.Emulator]) -> tuple[str, str]:
    # Straight into the emulator's store, as a vendor (or another tool) could hold it.
    crm = emus["crm"]
    first, second = list(crm.numbers.values())[:2]  # type: ignore[attr-defined]
    first.label = HOSTILE
    second.label = BIDI
    return first.id, first.number


def _assert_safe(text: str) -> None:
    assert "\x1b" not in text
    assert "\r" not in text
    assert "\u202e" not in text


def test_list_and_show_escape_vendor_text(served: Served) -> None:
    cli, emus = served
    number_id, number = _seed(emus)
    listed = cli.run("list", "crm")
    assert listed.code == 0, listed.err
    _assert_safe(listed.out)
    assert f'label="{HOSTILE_SHOWN}"' in listed.out
    assert "label=abc\\u202edcba" in listed.out
    # No forged row: header, rule, one line per number, the count.
    assert len(listed.out.splitlines()) == 2 + 5 + 1
    assert "\nfake line" not in listed.out

    shown_ = cli.run("show", "crm", number_id)
    assert shown_.code == 0, shown_.err
    _assert_safe(shown_.out)
    assert f"label                    {HOSTILE_SHOWN}" in shown_.out

    as_json = cli.run("list", "crm", "--json")
    labels = {n["id"]: n["label"] for n in json.loads(as_json.out)}
    assert labels[number_id] == HOSTILE  # exact, and escaped by JSON itself
    assert "\x1b" not in as_json.out
    del number


def test_plan_output_escapes_vendor_text(served: Served) -> None:
    cli, emus = served
    number_id, number = _seed(emus)
    # The two emulators share their seed, so they hold the same numbers.
    twin = next(n for n in emus["am"].numbers.values() if n.number == number)  # type: ignore[attr-defined]
    twin.label = "Support"
    plan = cli.run("migrate", "plan", "--from", "am", "--to", "crm", "--fields", "label")
    assert plan.code == 0, plan.err
    _assert_safe(plan.out)
    assert f'  {number} ({number_id}): label: "{HOSTILE_SHOWN}" -> Support\n' in plan.out
    assert ": label: abc\\u202edcba -> " in plan.out


def test_vendor_text_in_errors_is_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    error = ServerError(HOSTILE, provider="close", status=500, details={"label": BIDI})
    print_routing_error("list crm", ("crm",), False, True, error)
    err = capsys.readouterr().err
    _assert_safe(err)
    assert err.startswith("phonerouting: error: list crm: close: \\x1b[2J\\x1b[31mPWNED")
    assert "  details.label: abc\\u202edcba\n" in err
    print_routing_error("list crm", ("crm",), True, False, error)
    payload = json.loads(capsys.readouterr().err)["error"]
    assert payload["details"] == {"label": BIDI}  # JSON: exact


def test_verbose_log_lines_are_escaped() -> None:
    import logging

    from phonerouting.cli import _EscapingFormatter

    record = logging.LogRecord("phonerouting", logging.WARNING, __file__, 1, HOSTILE, (), None)
    line = _EscapingFormatter("phonerouting: %(message)s").format(record)
    assert line == f"phonerouting: {HOSTILE_SHOWN}"
