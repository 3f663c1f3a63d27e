"""Migrations to and from Twilio, over the emulators: AgentMessage's inbound webhooks
onto Twilio numbers (and back out by rollback), Twilio onto AgentMessage, and Twilio
values this library cannot write (``http://`` URLs) listed as invalid, never dropped."""

from __future__ import annotations

from pathlib import Path

import phonerouting as pr
from phonerouting import migration, testing
from phonerouting.testing import AgentMessageEmulator, TwilioEmulator

FAST = pr.RetryPolicy(backoff_initial=0.0, backoff_max=0.0, jitter=0.0)
NUMBERS = testing.e164_numbers(8, 21)
APP = "AP" + "1" * 32


def client(emu: testing.Emulator) -> pr.AsyncClient:
    if isinstance(emu, TwilioEmulator):
        return pr.connect_async(
            "twilio",
            account_sid=emu.account_sid,
            auth_token=emu.api_key,
            transport=emu.async_transport(),
            retry_policy=FAST,
        )
    return pr.connect_async(
        emu.provider, api_key=emu.api_key, transport=emu.async_transport(), retry_policy=FAST
    )


def _agentmessage() -> AgentMessageEmulator:
    old = AgentMessageEmulator(seed=3)
    for i, number in enumerate(NUMBERS):
        old.add_number(
            number,
            inbound_url=f"https://hooks.example/in/{i}",
            status_url=f"https://hooks.example/status/{i}",
            label=f"Line {i}" if i % 2 else None,
        )
    return old


async def test_agentmessage_to_twilio_moves_the_inbound_webhooks(tmp_path: Path) -> None:
    old, new = _agentmessage(), TwilioEmulator(seed=3)
    for number in NUMBERS:
        new.add_number(number, voice_url="https://hooks.example/voice")
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        # The fields the source can hold (campaign_id: none set here, nothing to carry).
        assert plan.fields == ("inbound_url", "status_url", "label", "campaign_id")
        assert {c.field for n in plan.numbers for c in n.changes} == {"inbound_url", "label"}
        # Message status lives on Messaging Services at Twilio: said, not dropped.
        assert {c.field for n in plan.numbers for c in n.unsupported} == {"status_url"}
        assert all(len(n.unsupported) == 1 for n in plan.numbers)
        report = await migration.apply(plan, dst, journal=journal)
        assert report.ok
        assert report.written == len(NUMBERS)
        assert (await migration.verify(plan, dst)).ok
    by_number = {r["phone_number"]: r for r in new.numbers.values()}
    for record in old.numbers.values():
        stored = by_number[record.number]
        assert stored["sms_url"] == record.inbound_url
        assert stored["friendly_name"] == record.label or testing.twilio.formatted(record.number)
        assert stored["voice_url"] == "https://hooks.example/voice"  # left alone
    posts = [r.form for r in new.requests if r.method == "POST"]
    assert len(posts) == len(NUMBERS)
    assert all(set(form) <= {"SmsUrl", "FriendlyName"} for form in posts if form is not None)

    async with client(new) as dst:
        back = await migration.rollback(dst, journal=journal)
        assert back.ok
        assert back.written == len(NUMBERS)
    for record in new.numbers.values():
        # Cleared again: "" for the SMS URL, Twilio's default name for the label.
        assert record["sms_url"] == ""
        assert record["friendly_name"] == testing.twilio.formatted(record["phone_number"])


async def test_a_number_under_a_messaging_application_fails_loudly(tmp_path: Path) -> None:
    old, new = _agentmessage(), TwilioEmulator(seed=3)
    for i, number in enumerate(NUMBERS):
        new.add_number(number, sms_application_sid=APP if i == 0 else "")
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst, fields=["inbound_url"])
        report = await migration.apply(plan, dst, journal=tmp_path / "j.sqlite")
    (failure,) = report.failed
    assert failure.number == NUMBERS[0]
    assert f"has a SmsApplicationSid ({APP}), so Twilio ignores its inbound_url" in failure.error
    assert report.written == len(NUMBERS) - 1
    stored = next(r for r in new.numbers.values() if r["phone_number"] == NUMBERS[0])
    assert stored["sms_url"] == ""  # never written
    writes = [r.path for r in new.requests if r.method == "POST"]
    assert f"/{stored['sid']}.json" not in "".join(writes)


async def test_twilio_http_urls_are_listed_invalid_with_the_reason(tmp_path: Path) -> None:
    old, new = TwilioEmulator(seed=4), TwilioEmulator(seed=5)
    forward = "http://twimlets.com/forward?PhoneNumber=415-555-1212"
    for number in NUMBERS:
        old.add_number(number, voice_url=forward, sms_url="https://hooks.example/sms")
        new.add_number(number)
    assert old.account_sid != new.account_sid
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        assert plan.summary()["invalid_values"] == len(NUMBERS)
        for number in plan.numbers:
            (invalid,) = number.invalid
            assert (invalid.field, invalid.after) == ("voice_url", forward)
            assert invalid.reason is not None
            assert "https" in invalid.reason
            assert [(c.field, c.after) for c in number.changes] == [
                ("inbound_url", "https://hooks.example/sms")
            ]
        report = await migration.apply(plan, dst, journal=tmp_path / "j.sqlite")
        assert report.ok
    assert all(r["voice_url"] is None for r in new.numbers.values())
    assert all(r["sms_url"] == "https://hooks.example/sms" for r in new.numbers.values())


async def test_twilio_to_agentmessage_never_copies_the_default_name(tmp_path: Path) -> None:
    old, new = TwilioEmulator(seed=6), AgentMessageEmulator(seed=6)
    for i, number in enumerate(NUMBERS):
        # Half keep Twilio's default name, which is no label.
        label = f"Desk {i}" if i % 2 else testing.twilio.formatted(number)
        old.add_number(number, friendly_name=label, sms_url=f"https://hooks.example/in/{i}")
        new.add_number(number)
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        assert plan.fields == (
            "inbound_url",
            "label",
            "voice_url",
            "voice_fallback_url",
            "inbound_fallback_url",
            "call_status_url",
        )
        # Only what AgentMessage can hold is written; the rest is said to be unsupported.
        assert {c.field for n in plan.numbers for c in n.changes} == {"inbound_url", "label"}
        report = await migration.apply(plan, dst, journal=tmp_path / "j.sqlite")
        assert report.ok
    stored = {n.number: (n.inbound_url, n.label) for n in new.numbers.values()}
    assert stored == {
        number: (f"https://hooks.example/in/{i}", f"Desk {i}" if i % 2 else None)
        for i, number in enumerate(NUMBERS)
    }
