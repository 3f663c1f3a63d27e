"""The command line over the seven fields issue 11 adds: set's options, clear's field
names, show's rows, and their refusal on a provider that lacks them."""

from __future__ import annotations

from phonerouting import testing
from phonerouting.cli import build_parser
from tests.cli.conftest import Cli
from tests.support import NEW_FIELD_VALUES

Served = tuple[Cli, dict[str, testing.Emulator]]
NEW = tuple(NEW_FIELD_VALUES)


def test_set_takes_an_option_per_new_field_under_the_field_name() -> None:
    args = build_parser().parse_args(
        [
            "set",
            "acct",
            "+12025550100",
            "--voice-url",
            "https://e.example/v",
            "--voice-fallback-url",
            "https://e.example/vf",
            "--inbound-fallback-url",
            "https://e.example/sf",
            "--call-status-url",
            "https://e.example/cs",
            "--connection-id",
            "1293384261075731499",
            "--messaging-profile-id",
            "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "--tag",
            "west",
            "--tag",
            "desk",
        ]
    )
    assert {field: getattr(args, field) for field in NEW} == {
        "voice_url": "https://e.example/v",
        "voice_fallback_url": "https://e.example/vf",
        "inbound_fallback_url": "https://e.example/sf",
        "call_status_url": "https://e.example/cs",
        "connection_id": "1293384261075731499",
        "messaging_profile_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "tags": ["west", "desk"],
    }


def test_a_provider_without_them_shows_them_absent_and_refuses_them(served: Served) -> None:
    cli, emus = served
    number = next(iter(emus["crm"].numbers.values()))  # type: ignore[attr-defined]
    shown = cli.run("show", "crm", number.id)
    assert shown.code == 0, shown.err
    rows = dict(line.split(None, 1) for line in shown.out.splitlines()[2:])
    for field in NEW:
        assert rows[field] == "n/a (close has no such field)"
    emus["crm"].clear_requests()
    refused = cli.run("set", "crm", number.id, "--voice-url", "https://e.example/v")
    assert refused.code == 2
    assert "the provider has no voice_url to set" in refused.err
    cleared = cli.run("clear", "crm", number.id, "tags", "--dry-run")
    assert cleared.code == 2
    assert "the provider cannot clear tags" in cleared.err
    bad = cli.run("set", "crm", number.id, "--call-status-url", "http://e.example/cs")
    assert bad.code == 2
    assert "call_status_url 'http://e.example/cs' must be an absolute https:// URL" in bad.err
    assert {r.method for r in emus["crm"].requests} <= {"GET"}  # nothing written
