"""Migrations to and from Telnyx over the emulators: close → telnyx forwarding (plan,
apply, verify, rollback that puts back each number's forwarding type), and telnyx →
close, whose connection, profile and tags Close cannot hold."""

from __future__ import annotations

from pathlib import Path

import phonerouting as pr
from phonerouting import migration, testing
from phonerouting.migration import Change
from phonerouting.testing import CloseEmulator, TelnyxEmulator

FAST = pr.RetryPolicy(backoff_initial=0.0, backoff_max=0.0, jitter=0.0)
NUMBERS = ("+12025550101", "+12025550102", "+12025550103", "+12025550104")


def client(emu: testing.Emulator) -> pr.AsyncClient:
    return pr.connect_async(
        emu.provider, api_key=emu.api_key, transport=emu.async_transport(), retry_policy=FAST
    )


def accounts() -> tuple[CloseEmulator, TelnyxEmulator]:
    close, telnyx = CloseEmulator(seed=1), TelnyxEmulator(seed=1)
    # 101: forwarding on Close, nothing on Telnyx  → set
    # 102: none on Close, forwarding on Telnyx     → clear
    # 103: both forward, elsewhere, Telnyx on-failure → set, type kept
    # 104: Close parks a number (switched off), Telnyx the same as Close → a clear
    close.add_number(NUMBERS[0], forward_to="+16175550101", label="Desk")
    close.add_number(NUMBERS[1])
    close.add_number(NUMBERS[2], forward_to="+16175550103")
    close.add_number(NUMBERS[3], forward_to="+16175550104", forward_to_enabled=False)
    telnyx.add_number(NUMBERS[0], tags=["kept"])
    telnyx.add_number(NUMBERS[1], forwards_to="+13035550102")
    telnyx.add_number(NUMBERS[2], forwards_to="+13035550103", forwarding_type="on-failure")
    telnyx.add_number(NUMBERS[3], forwards_to="+16175550104")
    return close, telnyx


def forwarding(emu: TelnyxEmulator) -> dict[str, tuple[str | None, str | None, bool]]:
    return {
        r.phone_number: (r.forwards_to, r.forwarding_type, r.call_forwarding_enabled)
        for r in emu.numbers.values()
    }


async def test_close_to_telnyx_forwarding_plan_apply_verify_rollback(tmp_path: Path) -> None:
    close, telnyx = accounts()
    before = forwarding(telnyx)
    journal = tmp_path / "run.sqlite"
    async with client(close) as src, client(telnyx) as dst:
        plan = await migration.plan(src, dst)
        # Close's labels have nowhere to go on Telnyx: listed, never dropped.
        assert plan.fields == (
            "forwarding_number",
            "label",
            "voicemail_greeting_url",
            "ring_duration",
            "participants",
            "external_numbers",
            "press_1_to_accept",
        )
        assert [(n.number, n.changes) for n in plan.numbers] == [
            (NUMBERS[0], (Change("forwarding_number", None, "+16175550101"),)),
            (NUMBERS[1], (Change("forwarding_number", "+13035550102", None),)),
            (NUMBERS[2], (Change("forwarding_number", "+13035550103", "+16175550103"),)),
            (NUMBERS[3], (Change("forwarding_number", "+16175550104", None),)),
        ]
        assert plan.numbers[0].unsupported == (Change("label", None, "Desk"),)
        assert plan.summary()["clears"] == 2

        report = await migration.apply(plan, dst, journal=journal, concurrency=2)
        assert (report.total, report.written, report.failed) == (4, 4, ())
        assert forwarding(telnyx) == {
            NUMBERS[0]: ("+16175550101", "always", True),
            NUMBERS[1]: ("", "always", False),
            NUMBERS[2]: ("+16175550103", "on-failure", True),
            NUMBERS[3]: ("", "always", False),
        }
        # Tags and the rest of each number are left alone: forwarding lives elsewhere.
        assert [r.tags for r in telnyx.numbers.values()] == [["kept"], [], [], []]
        assert telnyx.count("PATCH", "/voice") == 4
        assert telnyx.count("PATCH") == 4
        assert (await migration.verify(plan, dst)).ok

        rolled = await migration.rollback(dst, journal=journal)
        assert (rolled.written, rolled.failed) == (4, ())
        # Each number routes as before: 101 forwards nowhere again (switched off), the
        # others forward where they did, 103 on-failure again (from the journal).
        assert forwarding(telnyx) == {
            NUMBERS[0]: ("", "always", False),
            NUMBERS[1]: before[NUMBERS[1]],
            NUMBERS[2]: before[NUMBERS[2]],
            NUMBERS[3]: before[NUMBERS[3]],
        }
        assert before[NUMBERS[2]] == ("+13035550103", "on-failure", True)


async def test_telnyx_to_close_lists_what_close_cannot_hold(tmp_path: Path) -> None:
    close, telnyx = accounts()
    profile = next(iter(telnyx.profiles))
    record = next(iter(telnyx.numbers.values()))
    record.connection_id = "1293384261075731499"
    record.messaging_profile_id = profile
    async with client(telnyx) as src, client(close) as dst:
        plan = await migration.plan(src, dst)
        assert plan.fields == ("forwarding_number", "connection_id", "messaging_profile_id", "tags")
        first = plan.numbers[0]
        assert first.changes == (Change("forwarding_number", "+16175550101", None),)
        assert first.unsupported == (
            Change("connection_id", None, "1293384261075731499"),
            Change("messaging_profile_id", None, profile),
            Change("tags", None, ("kept",)),
        )
        report = await migration.apply(plan, dst, journal=tmp_path / "j.sqlite", concurrency=2)
        assert report.failed == ()
        assert {n.number: n.forward_to_enabled for n in close.numbers.values()} == {
            NUMBERS[0]: False,
            NUMBERS[1]: True,
            NUMBERS[2]: True,
            NUMBERS[3]: True,
        }
        assert (await migration.verify(plan, dst)).ok
