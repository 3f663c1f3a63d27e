"""The command line with a Twilio account: an accounts-file entry naming the Account
SID inline and the Auth Token through a variable, every command against an emulator
server, dry runs showing the form body, and ``emulate`` announcing the account."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from phonerouting import testing
from tests.support import Cli

APP = "AP" + "1" * 32


@pytest.fixture
def twilio(tmp_path: Path) -> Iterator[tuple[Cli, testing.TwilioEmulator]]:
    emu = testing.TwilioEmulator(3, seed=21, populate=1.0)
    with emu.serve() as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PHONEROUTING", "TWILIO_"))}
        env["TEST_TWILIO_TOKEN"] = emu.api_key
        (tmp_path / "phonerouting.toml").write_text(
            "[accounts.tw]\n"
            'provider = "twilio"\n'
            f'account_sid = "{emu.account_sid}"\n'
            'auth_token_env = "TEST_TWILIO_TOKEN"\n'
            f'base_url = "{url}"\n'
        )
        yield Cli(tmp_path, env), emu


def test_list_show_set_clear(twilio: tuple[Cli, testing.TwilioEmulator]) -> None:
    cli, emu = twilio
    listed = cli.run("list", "tw", "--json")
    assert listed.code == 0, listed.err
    numbers = json.loads(listed.out)
    assert [n["id"] for n in numbers] == list(emu.numbers)
    sid = numbers[0]["id"]
    shown = cli.run("show", "tw", numbers[0]["number"], "--json")
    assert json.loads(shown.out)["voice_url"] == "https://hooks.example/voice/0"
    done = cli.run("set", "tw", sid, "--voice-url", "https://hooks.example/v2", "--label", "Desk")
    assert done.code == 0, done.err
    assert emu.get(sid)["voice_url"] == "https://hooks.example/v2"
    assert emu.requests[-1].form == {"FriendlyName": "Desk", "VoiceUrl": "https://hooks.example/v2"}
    cleared = cli.run("clear", "tw", sid, "voice_url", "label")
    assert cleared.code == 0, cleared.err
    assert emu.requests[-1].form == {"FriendlyName": "", "VoiceUrl": ""}
    assert emu.get(sid)["voice_url"] is None
    assert emu.api_key not in listed.out + listed.err + done.out + done.err


def test_a_dry_run_shows_the_form_and_the_account_path(
    twilio: tuple[Cli, testing.TwilioEmulator],
) -> None:
    cli, emu = twilio
    sid = next(iter(emu.numbers))
    emu.clear_requests()
    shown = cli.run("set", "tw", sid, "--call-status-url", "https://hooks.example/s", "--dry-run")
    assert shown.code == 0, shown.err
    path = f"/Accounts/{emu.account_sid}/IncomingPhoneNumbers/{sid}.json"
    assert shown.out.splitlines()[-2:] == [
        f'  request: POST {path} {{"StatusCallback": "https://hooks.example/s"}}',
        "nothing was sent",
    ]
    as_json = cli.run("clear", "tw", sid, "label", "--dry-run", "--json")
    (request,) = json.loads(as_json.out)["requests"]
    assert request == {
        "method": "POST",
        "path": path,
        "params": None,
        "json": None,
        "form": {"FriendlyName": ""},
    }
    assert {r.method for r in emu.requests} == {"GET"}


def test_an_overridden_url_is_refused_with_the_reason(
    twilio: tuple[Cli, testing.TwilioEmulator],
) -> None:
    cli, emu = twilio
    record = emu.add_number("+12025550142", voice_application_sid=APP)
    for extra in ((), ("--dry-run",)):
        refused = cli.run("set", "tw", record["sid"], "--voice-url", "https://a.example", *extra)
        assert refused.code == 2  # a ValidationError, as for any refused value
        assert f"has a VoiceApplicationSid ({APP}), so Twilio ignores its voice_url" in refused.err
        assert "Remove the VoiceApplicationSid from the number in Twilio first" in refused.err
    assert [r.method for r in emu.requests if r.method == "POST"] == []


def test_a_missing_token_names_its_variable(
    twilio: tuple[Cli, testing.TwilioEmulator],
) -> None:
    cli, _ = twilio
    del cli.env["TEST_TWILIO_TOKEN"]
    failed = cli.run("list", "tw")
    assert failed.code != 0
    assert "reads its Auth Token from the TEST_TWILIO_TOKEN environment variable" in failed.err


def test_providers_lists_twilio(twilio: tuple[Cli, testing.TwilioEmulator]) -> None:
    cli, _ = twilio
    listed = cli.run("providers", "--json")
    (row,) = [p for p in json.loads(listed.out) if p["provider"] == "twilio"]
    assert row["key_env"] == "TWILIO_AUTH_TOKEN"
    assert sorted(row["settable"]) == [
        "call_status_url",
        "inbound_fallback_url",
        "inbound_url",
        "label",
        "voice_fallback_url",
        "voice_url",
    ]


def test_emulate_announces_the_account(tmp_path: Path) -> None:
    cli = Cli(tmp_path, dict(os.environ))
    process = cli.popen("emulate", "--provider", "twilio", "--numbers", "2", "--seed", "3")
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(3)]
    finally:
        process.terminate()
        process.communicate(timeout=30)
    emu = testing.TwilioEmulator(seed=3)
    assert lines[0].startswith("http://127.0.0.1:")
    assert lines[0].endswith("/2010-04-01")
    assert len(lines[1]) == 32  # the Auth Token it generated
    assert lines[2] == f"account_sid={emu.account_sid}"


def test_set_reads_the_number_once(twilio: tuple[Cli, testing.TwilioEmulator]) -> None:
    cli, emu = twilio
    sid = next(iter(emu.numbers))
    emu.clear_requests()
    # A voice URL an application could override: the lookup's read is the one needed.
    done = cli.run("set", "tw", sid, "--voice-url", "https://hooks.example/v3")
    assert done.code == 0, done.err
    assert [r.method for r in emu.requests] == ["GET", "POST"]
