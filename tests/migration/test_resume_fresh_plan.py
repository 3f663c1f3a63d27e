"""A source edited while a killed run waits: the resume goes on with the fresh plan and
reports what changed in the source since the journal's plan."""

from __future__ import annotations

import pytest

import phonerouting as pr
from phonerouting import migration
from phonerouting.testing import LinqV2Emulator, LinqV3Emulator
from tests.migration.conftest import Journals
from tests.migration.test_engine import client, v2_forwarding, v3_forwarding

pytestmark = pytest.mark.timeout(180)


class KilledError(Exception):
    """Stands in for the process dying mid-run (the journal is as a kill leaves it)."""


def _kill_after(count: int) -> migration.engine.Progress:
    def progress(done: int, total: int) -> None:
        del total
        if done >= count:
            raise KilledError

    return progress


async def test_a_resume_after_the_source_changed_goes_on_with_the_fresh_plan(
    journals: Journals,
) -> None:
    old = LinqV2Emulator(10, seed=71, populate=1.0)
    new = LinqV3Emulator(10, seed=71, populate=0.0)
    journal = journals.new("j")
    async with client(old) as src, client(new) as dst:
        first = await migration.plan(src, dst)
        with pytest.raises(KilledError):
            await migration.apply(
                first, dst, journal=journal, concurrency=1, progress=_kill_after(3)
            )
        waiting = [
            item for item in first.to_write if new.get(item.target_id).forwarding_number is None
        ]
        assert len(waiting) == 7

        # While the run waits: one number re-routed in the source, one gone from it,
        # and one new number in both accounts.
        by_number = {n.phone_number: n for n in old.numbers.values()}
        by_number[waiting[0].number].forwarding_number = "+12025550111"
        del old.numbers[by_number[waiting[1].number].id]
        old.add_number("+12025550160", forwarding_number="+12025550161")
        new.add_number("+12025550160")

        fresh = await migration.plan(src, dst)
        report = await migration.apply(fresh, dst, journal=journal)
        assert report.source_changes == migration.SourceChanges(
            added=("+12025550160",),
            removed=(waiting[1].number,),
            changed=(waiting[0].number,),
        )
        assert (report.written, report.already_done, report.failed, report.changed) == (
            7,
            3,
            (),
            (),
        )
        assert report.total == 10  # 3 done before, 6 waiting still planned, 1 added
        assert new.get(waiting[0].target_id).forwarding_number == "+12025550111"
        assert new.get(waiting[1].target_id).forwarding_number is None  # left the run
        assert v3_forwarding(new) | {waiting[1].number: None} == v2_forwarding(old) | {
            waiting[1].number: None
        }
        numbers = set(journals.column(journal, "state"))
        assert waiting[1].number not in numbers
        assert "+12025550160" in numbers

        # The rollback puts back everything the migration wrote, the added number too.
        undone = await migration.rollback(dst, journal=journal)
        assert (undone.written, undone.ok) == (10, True)
    assert set(v3_forwarding(new).values()) == {None}


async def test_a_fresh_run_has_no_source_changes(journals: Journals) -> None:
    old, new = LinqV2Emulator(3, seed=72, populate=1.0), LinqV3Emulator(3, seed=72, populate=0.0)
    async with client(old) as src, client(new) as dst:
        report = await migration.apply(
            await migration.plan(src, dst), dst, journal=journals.new("j")
        )
        again = await migration.apply(
            await migration.plan(src, dst), dst, journal=journals.new("j")
        )
    assert report.source_changes is None
    assert again.source_changes == migration.SourceChanges()


async def test_an_edit_on_the_target_while_the_run_waits_is_still_caught(
    journals: Journals,
) -> None:
    # The fresh plan sees the edit as the number's value, but the journal planned over
    # another: the edit is the operator's, not the migration's, and is not written over.
    old = LinqV2Emulator(6, seed=73, populate=1.0)
    new = LinqV3Emulator(6, seed=73, populate=0.0)
    journal = journals.new("j")
    async with client(old) as src, client(new) as dst:
        first = await migration.plan(src, dst)
        with pytest.raises(KilledError):
            await migration.apply(
                first, dst, journal=journal, concurrency=1, progress=_kill_after(2)
            )
        last = first.to_write[-1]
        await dst.update_routing(last.target_id, pr.RoutingUpdate(forwarding_number="+12025550777"))
        report = await migration.apply(await migration.plan(src, dst), dst, journal=journal)
    assert [c.number for c in report.changed] == [last.number]
    assert report.changed[0].fields == (
        migration.FieldChange("forwarding_number", None, "+12025550777"),
    )
    assert new.get(last.target_id).forwarding_number == "+12025550777"
