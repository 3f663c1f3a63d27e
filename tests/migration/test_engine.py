"""The migration engine over the emulators: plan, apply with a journal, verify, resume,
rollback, and faults on the target."""

from __future__ import annotations

from collections import Counter

import pytest

import phonerouting as pr
from phonerouting import migration, testing
from phonerouting.testing import AgentMessageEmulator, CloseEmulator, LinqV2Emulator, LinqV3Emulator
from tests.migration.conftest import Journals

FAST = pr.RetryPolicy(backoff_initial=0.0, backoff_max=0.0, jitter=0.0)


def client(emu: testing.Emulator, retries: int = 2) -> pr.AsyncClient:
    return pr.connect_async(
        emu.provider,
        **emu.client_credentials(),
        transport=emu.async_transport(),
        retry_policy=FAST,
        max_retries=retries,
    )


def puts_per_number(emu: testing.Emulator, method: str = "PUT") -> Counter[str]:
    return Counter(r.path for r in emu.requests if r.method == method)


def v2_forwarding(old: LinqV2Emulator) -> dict[str, str | None]:
    return {n.phone_number: n.forwarding_number for n in old.numbers.values()}


def v3_forwarding(new: LinqV3Emulator) -> dict[str, str | None]:
    return {n.phone_number: n.forwarding_number for n in new.numbers.values()}


async def test_linq_v2_to_v3_applies_verifies_and_does_not_repeat(journals: Journals) -> None:
    old = LinqV2Emulator(40, seed=5, populate=0.7)
    new = LinqV3Emulator(40, seed=5, populate=0.2)
    journal = journals.new("run")
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        expected_writes = len(plan.to_write)
        assert 0 < expected_writes <= 40
        report = await migration.apply(plan, dst, journal=journal, concurrency=8)
        assert report == migration.Report(
            total=expected_writes,
            written=expected_writes,
            already_done=0,
            confirmed_without_write=0,
        )
        assert v3_forwarding(new) == v2_forwarding(old)
        assert (await migration.verify(plan, dst)).ok
        counts = puts_per_number(new)
        assert sum(counts.values()) == expected_writes
        assert set(counts.values()) == {1}

        new.clear_requests()
        again = await migration.apply(plan, dst, journal=journal, concurrency=8)
        assert (again.written, again.already_done) == (0, expected_writes)
        assert puts_per_number(new) == Counter()

    assert journals.counts(journal) == {"done": expected_writes}
    assert journals.writes(journal) == expected_writes


async def test_rollback_restores_the_prior_state(journals: Journals) -> None:
    old = LinqV2Emulator(25, seed=9, populate=1.0)
    new = LinqV3Emulator(25, seed=9, populate=0.5)
    before = v3_forwarding(new)
    journal = journals.new("run")
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        await migration.apply(plan, dst, journal=journal)
        assert v3_forwarding(new) == v2_forwarding(old)
        undone = await migration.rollback(dst, journal=journal, concurrency=4)
        assert undone.ok
        assert undone.written == len(plan.to_write)
        assert v3_forwarding(new) == before
        again = await migration.rollback(dst, journal=journal)
        assert (again.written, again.already_done) == (0, len(plan.to_write))


async def test_linq_v3_to_close_carries_forwarding_only(journals: Journals) -> None:
    old = LinqV3Emulator(20, seed=3, populate=1.0)
    new = CloseEmulator(20, seed=3, populate=1.0)
    labels = {n.number: n.label for n in new.numbers.values()}
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        assert plan.fields == ("forwarding_number",)
        report = await migration.apply(plan, dst, journal=journals.new("j"))
        assert report.ok
        assert (await migration.verify(plan, dst)).ok
    for record in new.numbers.values():
        source = next(n for n in old.numbers.values() if n.phone_number == record.number)
        assert record.forward_to == source.forwarding_number
        assert record.forward_to_enabled is True
        assert record.label == labels[record.number]


async def test_close_to_agentmessage_lists_what_cannot_be_carried(journals: Journals) -> None:
    old = CloseEmulator(12, seed=4, populate=1.0)
    new = AgentMessageEmulator(12, seed=4, populate=0.0)
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        assert {c.field for n in plan.numbers for c in n.changes} == {"label"}
        unsupported = {c.field for n in plan.numbers for c in n.unsupported}
        assert {"forwarding_number", "ring_duration"} <= unsupported
        assert all(n.unsupported for n in plan.numbers)
        report = await migration.apply(plan, dst, journal=journals.new("j"))
        assert report.ok
        assert report.written == 12
    stored = {n.number: n.label for n in new.numbers.values()}
    assert stored == {n.number: n.label or None for n in old.numbers.values()}


async def test_faults_on_the_target_end_applied_or_reported_then_resume(journals: Journals) -> None:
    old = LinqV2Emulator(60, seed=12, populate=1.0)
    new = LinqV3Emulator(60, seed=12, populate=0.0)
    new.faults.add("status", status=503, count=None, probability=0.3, method="PUT")
    new.faults.add("status", status=429, retry_after=0, count=None, probability=0.1, method="PUT")
    journal = journals.new("j")
    async with client(old) as src, client(new, retries=1) as dst:
        plan = await migration.plan(src, dst)
        first = await migration.apply(plan, dst, journal=journal, concurrency=8)
        assert first.written + len(first.failed) == 60
        assert first.failed, "with 30% of writes failing and one retry, some must fail"
        for failure in first.failed:
            assert failure.error.startswith(("ServerError", "RateLimitError"))
            assert new.get(failure.target_id).forwarding_number is None
        new.faults.clear()
        second = await migration.apply(plan, dst, journal=journal, concurrency=8)
        assert second.ok
        assert second.written == len(first.failed)
        assert (await migration.verify(plan, dst)).ok
    assert v3_forwarding(new) == v2_forwarding(old)


async def test_a_step_interrupted_mid_write_is_confirmed_not_rewritten(journals: Journals) -> None:
    old = LinqV2Emulator(5, seed=2, populate=1.0)
    new = LinqV3Emulator(5, seed=2, populate=0.0)
    journal = journals.new("j")
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        await migration.apply(plan, dst, journal=journal)
        # As if the process died after the vendor applied two writes but before their
        # "done" was committed, and before a third was sent at all.
        landed = [n.number for n in plan.to_write[:2]]
        never_sent = plan.to_write[2]
        journals.set_state(journal, [*landed, never_sent.number], "writing")
        new.get(never_sent.target_id).forwarding_number = None
        new.clear_requests()
        report = await migration.apply(plan, dst, journal=journal)
        assert (report.written, report.confirmed_without_write, report.already_done) == (1, 2, 2)
        assert puts_per_number(new) == Counter(
            {f"/api/partner/v3/phone_numbers/{never_sent.target_id}": 1}
        )
    assert v3_forwarding(new) == v2_forwarding(old)


async def test_journal_of_another_migration_is_refused(journals: Journals) -> None:
    a, b, c = LinqV2Emulator(3, seed=1), LinqV3Emulator(3, seed=1), CloseEmulator(3, seed=1)
    journal = journals.new("j")
    async with client(a) as src, client(b) as dst, client(c) as other:
        await migration.apply(await migration.plan(src, dst), dst, journal=journal)
        close_plan = await migration.plan(dst, other)
        with pytest.raises(pr.ConfigurationError, match="records a migration from linq-v2"):
            await migration.apply(close_plan, other, journal=journal)
        with pytest.raises(pr.ConfigurationError, match="targets close"):
            await migration.apply(close_plan, dst, journal=journals.new("other"))
        with pytest.raises(pr.ConfigurationError, match="concurrency"):
            await migration.apply(close_plan, other, journal=journals.new("x"), concurrency=0)


async def test_requests_per_second_ceiling_spaces_the_writes(journals: Journals) -> None:
    old = LinqV2Emulator(10, seed=8, populate=1.0)
    new = LinqV3Emulator(10, seed=8, populate=0.0)
    marks: list[float] = []
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        import time

        start = time.monotonic()
        await migration.apply(
            plan,
            dst,
            journal=journals.new("j"),
            concurrency=10,
            max_requests_per_second=50,
            progress=lambda done, total: marks.append(done),
        )
        elapsed = time.monotonic() - start
    assert marks == list(range(11))  # the starting point, then each number
    # 10 writes at 50/s: the pacer guarantees the last one cannot start before 9
    # intervals of 20 ms. A lower bound the code enforces, not a speed measurement.
    assert elapsed >= 0.18
