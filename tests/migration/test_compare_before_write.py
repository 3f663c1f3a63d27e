"""Compare before write: a migration never overwrites an edit it did not plan.

Each number is read just before it is written (per number, or one listing serving the
reads of its read window for a vendor without a per-number read) and written only while
it holds the plan's ``before`` values; a rollback does the same against what the
migration wrote. The read window itself is tested in test_read_window.py.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import phonerouting as pr
from phonerouting import migration, testing
from phonerouting.migration import engine
from phonerouting.registry import adapter_for
from phonerouting.testing import LinqV2Emulator, LinqV3Emulator
from tests.migration.conftest import Journals
from tests.migration.test_engine import client

pytestmark = pytest.mark.timeout(180)

#: Every registered provider, as the emulators know them.
PROVIDERS = tuple(testing.EMULATORS)
#: A value an operator might set by hand, per field, unlike any seeded or source value.
BY_HAND = {"forwarding_number": "+12025550777", "label": "Set by hand"}


def _field(provider: str) -> str:
    caps = adapter_for(provider).capabilities
    return "forwarding_number" if caps.can_set("forwarding_number") else "label"


def _writes_to(emu: testing.Emulator, target_id: str) -> int:
    # A path segment, or one with a suffix (Twilio's ``{Sid}.json``).
    return sum(
        1 for r in emu.requests if r.method != "GET" and target_id in re.split(r"[/.]", r.path)
    )


def _pair(provider: str, numbers: int, seed: int) -> tuple[testing.Emulator, testing.Emulator]:
    return (
        testing.emulator(provider, numbers, seed=seed, populate=1.0),
        testing.emulator(provider, numbers, seed=seed, populate=0.0),
    )


async def test_the_stale_rollback_reproduction_keeps_the_operators_edit(journals: Journals) -> None:
    # The reproduction: plan linq-v2 -> linq-v3, re-route one planned number
    # by hand, apply, roll back. The edit must survive both.
    old, new = LinqV2Emulator(8, seed=31, populate=1.0), LinqV3Emulator(8, seed=31, populate=0.0)
    journal = journals.new("j")
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        edited = plan.to_write[0]
        await dst.update_routing(
            edited.target_id, pr.RoutingUpdate(forwarding_number="+12025550777")
        )
        report = await migration.apply(plan, dst, journal=journal)
        assert report.changed == (
            migration.Changed(
                edited.number,
                edited.target_id,
                (migration.FieldChange("forwarding_number", None, "+12025550777"),),
            ),
        )
        assert (report.written, report.failed, report.ok) == (len(plan.to_write) - 1, (), False)
        assert new.get(edited.target_id).forwarding_number == "+12025550777"
        assert _writes_to(new, edited.target_id) == 1  # the edit itself, nothing after

        undone = await migration.rollback(dst, journal=journal)
        assert (undone.written, undone.changed, undone.failed) == (len(plan.to_write) - 1, (), ())
    assert new.get(edited.target_id).forwarding_number == "+12025550777"
    assert _writes_to(new, edited.target_id) == 1
    state = journals.column(journal, "state")[edited.number]
    error = journals.column(journal, "error")[edited.number]
    assert state == "changed"
    assert error == "changed (forwarding_number: expected None, found '+12025550777')"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_edit_since_the_plan_is_reported_and_force_writes_it(
    journals: Journals, provider: str
) -> None:
    field = _field(provider)
    source, target = _pair(provider, 6, seed=41)
    journal = journals.new("j")
    async with client(source) as src, client(target) as dst:
        plan = await migration.plan(src, dst, fields=[field])
        assert len(plan.to_write) >= 2
        edited = plan.to_write[-1]
        planned_before = next(c.before for c in edited.changes if c.field == field)
        await dst.update_routing(edited.target_id, pr.RoutingUpdate(**{field: BY_HAND[field]}))

        report = await migration.apply(plan, dst, journal=journal)
        assert report.changed == (
            migration.Changed(
                edited.number,
                edited.target_id,
                (migration.FieldChange(field, planned_before, BY_HAND[field]),),
            ),
        )
        assert report.written == len(plan.to_write) - 1
        assert getattr(await dst.get_number(edited.target_id), field) == BY_HAND[field]
        assert _writes_to(target, edited.target_id) == 1

        # A resume leaves it as it is: it still holds what the plan did not expect.
        again = await migration.apply(plan, dst, journal=journal)
        assert [c.number for c in again.changed] == [edited.number]
        assert again.written == 0
        assert _writes_to(target, edited.target_id) == 1

        forced = await migration.apply(plan, dst, journal=journal, force=True)
        assert (forced.written, forced.changed, forced.failed) == (1, (), ())
        assert getattr(await dst.get_number(edited.target_id), field) == edited.desired()[field]

        # The journal holds what the number held just before the write (the edit), and
        # rollback puts that back, not the plan's stale before.
        undone = await migration.rollback(dst, journal=journal)
        assert undone.ok
        assert getattr(await dst.get_number(edited.target_id), field) == BY_HAND[field]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_edit_landing_during_the_run_is_not_overwritten(
    journals: Journals, provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The edit lands while the run is writing other numbers (after the first one is
    # done, before the last one is read): a concurrent writer on the same account. The
    # read window passes with it, so a vendor read by listing lists the account again.
    now = [0.0]
    monkeypatch.setattr(engine, "_clock", lambda: now[0])
    field = _field(provider)
    count = 30
    source, target = _pair(provider, count, seed=43)
    journal = journals.new("j")
    # Another writer on the account, as `phonerouting set` would be.
    operator = pr.connect(provider, **target.client_credentials(), transport=target.transport())
    async with client(source) as src, client(target) as dst:
        plan = await migration.plan(src, dst, fields=[field])
        last = plan.to_write[-1]
        assert len(plan.to_write) > 2
        edits: list[int] = []

        def progress(done: int, total: int) -> None:
            del total
            if done == 1 and not edits:
                edits.append(done)
                operator.update_routing(last.target_id, pr.RoutingUpdate(**{field: BY_HAND[field]}))
                now[0] += engine.READ_WINDOW + 1

        report = await migration.apply(plan, dst, journal=journal, concurrency=1, progress=progress)
        assert getattr(await dst.get_number(last.target_id), field) == BY_HAND[field]
    operator.close()
    assert edits == [1]
    assert [c.number for c in report.changed] == [last.number]
    assert report.changed[0].fields[0].found == BY_HAND[field]
    assert report.written == len(plan.to_write) - 1
    assert _writes_to(target, last.target_id) == 1


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_read_before_write_costs_one_read_per_number_or_one_listing(
    tmp_path: Path, provider: str
) -> None:
    field = _field(provider)
    count = 30
    source, target = _pair(provider, count, seed=47)
    async with client(source) as src, client(target) as dst:
        plan = await migration.plan(src, dst, fields=[field])
        target.clear_requests()
        # A window longer than the run: what is counted is not the machine's speed.
        report = await migration.apply(plan, dst, journal=tmp_path / "j.sqlite", read_window=3600)
        writes = len(plan.to_write)
        assert report.written == writes
        reads = [r.path for r in target.requests if r.method == "GET"]
        adapter = dst.adapter  # the account's: Twilio's paths name it
        base = testing.EMULATORS[provider].base_path
        if adapter.reads_one_number:
            # One read of each written number, by its id, and nothing else read: one
            # GET, and one per part of a vendor whose number lives at several
            # resources (Telnyx's voice settings). A vendor that builds the write from
            # the number as it stands is given that read: it does not read again.
            gets = [
                request.path
                for n in plan.to_write
                for request in [
                    adapter.get_request(n.target_id),
                    *(adapter.part_request(n.target_id, part) for part in adapter.parts),
                ]
                if request is not None
            ]
            assert sorted(reads) == sorted(base + path for path in gets)
        else:
            # One listing (all of its pages) for every read within the window, however
            # many numbers: never one per number, nor one per few numbers.
            target.clear_requests()
            await dst.get_number(plan.to_write[0].target_id)
            pages = len(target.requests)
            assert writes > 25  # more than the 25 numbers a listing used to serve
            assert len(reads) == pages


class _PlainTarget:
    """A target with the protocol's own signatures: its update_routing takes no
    ``current``, so the engine cannot hand it the number it read."""

    def __init__(self, client: pr.AsyncClient) -> None:
        self._client = client

    @property
    def provider(self) -> str:
        return self._client.provider

    @property
    def capabilities(self) -> pr.Capabilities:
        return self._client.capabilities

    def list_numbers(self) -> AsyncIterator[pr.PhoneNumber]:
        return self._client.list_numbers()

    async def get_number(self, number_id: str) -> pr.PhoneNumber:
        return await self._client.get_number(number_id)

    async def find_number(self, number: str) -> pr.PhoneNumber:
        return await self._client.find_number(number)

    async def update_routing(self, number_id: str, update: pr.RoutingUpdate) -> pr.PhoneNumber:
        return await self._client.update_routing(number_id, update)

    async def close(self) -> None:
        await self._client.close()

    async def __aenter__(self) -> _PlainTarget:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def test_a_target_that_takes_no_current_is_written_after_its_own_read(
    tmp_path: Path,
) -> None:
    # Telnyx keeps a number's forwarding type: without the engine's read handed over,
    # the client reads the number again just before the write, and the write is right.
    source, target = _pair("telnyx", 4, seed=53)
    async with client(source) as src, client(target) as dst:
        plan = await migration.plan(src, dst, fields=["forwarding_number"])
        target.clear_requests()
        report = await migration.apply(plan, _PlainTarget(dst), journal=tmp_path / "j.sqlite")
    assert report.written == len(plan.to_write) > 0
    adapter = adapter_for("telnyx")
    gets = [
        request.path
        for n in plan.to_write
        for request in (
            adapter.get_request(n.target_id),
            adapter.part_request(n.target_id, "voice"),
        )
        if request is not None
    ]
    reads = [r.path for r in target.requests if r.method == "GET"]
    assert sorted(reads) == sorted(testing.EMULATORS["telnyx"].base_path + p for p in gets * 2)
    for step in plan.to_write:
        assert target.get(step.target_id).forwards_to == step.update().forwarding_number


@pytest.mark.parametrize("make", [pr.connect, lambda *a, **k: object()])
async def test_a_client_that_is_not_async_is_refused_with_the_fix(
    tmp_path: Path, make: object
) -> None:
    emu = LinqV3Emulator(2, seed=1)
    sync = make("linq-v3", api_key=emu.api_key, transport=emu.transport())  # type: ignore[operator]
    async with client(LinqV3Emulator(2, seed=1)) as good:
        plan = await migration.plan(good, good)
        calls = [
            lambda: migration.plan(sync, good),
            lambda: migration.plan(good, sync),
            lambda: migration.apply(plan, sync, journal=tmp_path / "j.sqlite"),
            lambda: migration.verify(plan, sync),
            lambda: migration.verify_journal(sync, journal=tmp_path / "j.sqlite"),
            lambda: migration.rollback(sync, journal=tmp_path / "j.sqlite"),
        ]
        for call in calls:
            with pytest.raises(pr.ConfigurationError, match="needs an async client") as caught:
                await call()
            assert "phonerouting.connect_async" in str(caught.value)
    assert not (tmp_path / "j.sqlite").exists()
    assert emu.requests == []


@pytest.mark.parametrize("client_retries", [0, 2])
async def test_the_report_counts_the_rate_limits_met(tmp_path: Path, client_retries: int) -> None:
    # Three 429s on writes: waited out by the engine (no client retries) or retried by
    # the client itself; either way the report counts them.
    old, new = LinqV2Emulator(5, seed=51, populate=1.0), LinqV3Emulator(5, seed=51, populate=0.0)
    new.faults.rate_limited(count=3, retry_after=0, method="PUT")
    async with client(old) as src, client(new, retries=client_retries) as dst:
        plan = await migration.plan(src, dst)
        report = await migration.apply(plan, dst, journal=tmp_path / "j.sqlite", concurrency=1)
    assert (report.written, report.retries, report.ok) == (5, 3, True)
