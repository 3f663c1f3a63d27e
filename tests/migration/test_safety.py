"""What keeps a migration from harming numbers: one run per journal, no journal reused
for another migration, rollback that leaves later edits alone, failed writes read back
before they are sent again, rate limits that pause every worker, and verification
against the journal."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

import phonerouting as pr
from phonerouting import migration
from phonerouting.migration.journal import Journal
from phonerouting.testing import LinqV2Emulator, LinqV3Emulator
from tests.migration.test_engine import client, puts_per_number, v2_forwarding, v3_forwarding

pytestmark = pytest.mark.timeout(180)


async def test_a_journal_in_use_by_another_run_is_refused(tmp_path: Path) -> None:
    old, new = LinqV2Emulator(4, seed=1, populate=1.0), LinqV3Emulator(4, seed=1, populate=0.0)
    journal = tmp_path / "j.sqlite"
    holder = Journal.open(journal)  # another run, still going
    try:
        async with client(old) as src, client(new) as dst:
            plan = await migration.plan(src, dst)
            with pytest.raises(pr.ConfigurationError, match="in use by another run") as caught:
                await migration.apply(plan, dst, journal=journal)
            assert "Wait for the other run to finish" in str(caught.value)
            with pytest.raises(pr.ConfigurationError, match="in use by another run"):
                await migration.rollback(dst, journal=journal)
    finally:
        holder.close()
    assert new.count("PUT") == 0
    # Released with the other run, the journal is usable again.
    async with client(old) as src, client(new) as dst:
        report = await migration.apply(await migration.plan(src, dst), dst, journal=journal)
    assert report.written == 4


async def test_two_concurrent_applies_never_write_a_number_twice(tmp_path: Path) -> None:
    old, new = LinqV2Emulator(30, seed=2, populate=1.0), LinqV3Emulator(30, seed=2, populate=0.0)
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        results = await asyncio.gather(
            migration.apply(plan, dst, journal=journal, concurrency=4),
            migration.apply(plan, dst, journal=journal, concurrency=4),
            return_exceptions=True,
        )
    reports = [r for r in results if isinstance(r, migration.Report)]
    refused = [r for r in results if isinstance(r, pr.ConfigurationError)]
    assert (len(reports), len(refused)) == (1, 1)
    assert reports[0].written == 30
    assert set(puts_per_number(new).values()) == {1}
    assert sum(puts_per_number(new).values()) == 30


async def test_a_journal_of_another_account_pair_is_refused(tmp_path: Path) -> None:
    # Same providers, other accounts: the journal's steps are another migration's.
    old = LinqV2Emulator(5, seed=3, populate=1.0)
    new, other = LinqV3Emulator(5, seed=3, populate=0.0), LinqV3Emulator(5, seed=4, populate=0.0)
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new) as dst, client(other) as dst2:
        await migration.apply(await migration.plan(src, dst), dst, journal=journal)
        plan2 = await migration.plan(src, dst2)
        with pytest.raises(pr.ConfigurationError, match="holds another migration") as caught:
            await migration.apply(plan2, dst2, journal=journal)
        assert "Use a new journal file" in str(caught.value)
    assert other.count("PUT") == 0


async def test_a_resume_with_a_fresh_plan_finishes_the_run(tmp_path: Path) -> None:
    # The command line plans anew on every run: the numbers already written drop out
    # of the plan, the rest must match the journal, and the run resumes.
    old, new = LinqV2Emulator(10, seed=5, populate=1.0), LinqV3Emulator(10, seed=5, populate=0.0)
    new.faults.add("status", status=503, count=4, method="PUT")
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new, retries=0) as dst:
        first = await migration.apply(await migration.plan(src, dst), dst, journal=journal)
        assert len(first.failed) == 4
        replanned = await migration.plan(src, dst)
        assert len(replanned.to_write) == 4
        second = await migration.apply(replanned, dst, journal=journal)
    assert (second.written, second.already_done, second.failed) == (4, 6, ())
    assert v3_forwarding(new) == v2_forwarding(old)


async def test_apply_after_a_rollback_needs_a_new_journal(tmp_path: Path) -> None:
    old, new = LinqV2Emulator(5, seed=6, populate=1.0), LinqV3Emulator(5, seed=6, populate=0.0)
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        await migration.apply(plan, dst, journal=journal)
        await migration.rollback(dst, journal=journal)
        new.clear_requests()
        with pytest.raises(pr.ConfigurationError, match="was rolled back"):
            await migration.apply(plan, dst, journal=journal)
    assert new.requests == []


async def test_rollback_leaves_numbers_changed_since_the_migration(tmp_path: Path) -> None:
    old, new = LinqV2Emulator(6, seed=7, populate=1.0), LinqV3Emulator(6, seed=7, populate=0.0)
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        await migration.apply(plan, dst, journal=journal)
        edited = plan.to_write[0]
        # Someone re-routes one number by hand after the migration.
        by_hand = pr.RoutingUpdate(forwarding_number="+12025550199")
        await dst.update_routing(edited.target_id, by_hand)
        new.clear_requests()
        report = await migration.rollback(dst, journal=journal)
        assert report.written == 5
        # Changed since the migration: listed apart from failures, and not ok.
        assert report.failed == ()
        assert report.changed == (
            migration.Changed(
                edited.number,
                edited.target_id,
                (
                    migration.FieldChange(
                        "forwarding_number",
                        planned=edited.desired()["forwarding_number"],
                        found="+12025550199",
                    ),
                ),
            ),
        )
        assert not report.ok
        assert new.get(edited.target_id).forwarding_number == "+12025550199"
        assert f"/api/partner/v3/phone_numbers/{edited.target_id}" not in puts_per_number(new)
        with sqlite3.connect(journal) as db:
            (state,) = db.execute(
                "SELECT state FROM steps WHERE number = ?", (edited.number,)
            ).fetchone()
        assert state == "rollback_changed"

        forced = await migration.rollback(dst, journal=journal, force=True)
    assert (forced.written, forced.already_done, forced.failed) == (1, 5, ())
    assert new.get(edited.target_id).forwarding_number is None


async def test_rollback_confirms_numbers_already_back(tmp_path: Path) -> None:
    old, new = LinqV2Emulator(3, seed=8, populate=1.0), LinqV3Emulator(3, seed=8, populate=0.0)
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        await migration.apply(plan, dst, journal=journal)
        first = plan.to_write[0]
        new.get(first.target_id).forwarding_number = None  # put back by hand
        new.clear_requests()
        report = await migration.rollback(dst, journal=journal)
    assert (report.written, report.confirmed_without_write) == (2, 1)
    assert new.count("PUT") == 2


async def test_a_failed_write_that_landed_is_confirmed_not_rewritten(tmp_path: Path) -> None:
    # The vendor applied the PUT, but its answer could not be read: the step failed.
    old, new = LinqV2Emulator(4, seed=9, populate=1.0), LinqV3Emulator(4, seed=9, populate=0.0)
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        new.faults.malformed(count=1, method="PUT", after_effect=True)
        first = await migration.apply(plan, dst, journal=journal)
        assert len(first.failed) == 1
        assert first.failed[0].error.startswith("UnexpectedResponseError")
        new.clear_requests()
        second = await migration.apply(plan, dst, journal=journal)
    assert (second.written, second.confirmed_without_write, second.failed) == (0, 1, ())
    assert new.count("PUT") == 0
    with sqlite3.connect(journal) as db:
        assert db.execute("SELECT SUM(writes) FROM steps").fetchone() == (3,)


async def test_a_long_rate_limit_fails_the_number_instead_of_sleeping(tmp_path: Path) -> None:
    old, new = LinqV2Emulator(3, seed=10, populate=1.0), LinqV3Emulator(3, seed=10, populate=0.0)
    new.faults.rate_limited(count=None, retry_after=3600, method="PUT")
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        report = await migration.apply(plan, dst, journal=tmp_path / "j.sqlite")
    assert report.written == 0
    assert len(report.failed) == 3
    assert all(f.error.startswith("RateLimitError") for f in report.failed)
    assert all("retry after 3600 s" in f.error for f in report.failed)
    assert new.count("PUT") == 3  # one each: a one-hour wait is not slept on


async def test_a_rate_limit_pauses_every_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One 429 asking for 2 s that the client does not absorb (no retries): every other
    # worker holds too, so the writes after it start only once the pause is over.
    old, new = LinqV2Emulator(8, seed=11, populate=1.0), LinqV3Emulator(8, seed=11, populate=0.0)
    new.faults.rate_limited(count=1, retry_after=2, method="PUT")
    loop_time: list[float] = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        # A clock that moves only once every worker had its turn to look at it.
        until = loop_time[0] + seconds
        slept.append(seconds)
        await real_sleep(0)
        loop_time[0] = max(loop_time[0], until)

    real_sleep = asyncio.sleep
    async with client(old) as src, client(new, retries=0) as dst:
        plan = await migration.plan(src, dst)
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "time", lambda: loop_time[0])
        monkeypatch.setattr(asyncio, "sleep", fake_sleep)
        report = await migration.apply(plan, dst, journal=tmp_path / "j.sqlite", concurrency=4)
    assert report.written == 8
    assert report.failed == ()
    # The 429 halved the window to two (adaptive concurrency): the two workers in it
    # each waited out the same pause once, the others started after it, and no one
    # slept again (too little was seen to pace by).
    assert slept == [2.0, 2.0]


@pytest.mark.parametrize("rate", [0, -3, float("nan"), float("inf"), "5", True])
async def test_an_unusable_request_rate_is_refused(tmp_path: Path, rate: object) -> None:
    old, new = LinqV2Emulator(2, seed=12, populate=1.0), LinqV3Emulator(2, seed=12)
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        new.clear_requests()
        with pytest.raises(pr.ConfigurationError, match="max_requests_per_second"):
            await migration.apply(
                plan,
                dst,
                journal=tmp_path / "j.sqlite",
                max_requests_per_second=rate,  # type: ignore[arg-type]
            )
    assert new.requests == []


async def test_verify_journal_checks_what_the_journal_says_the_target_holds(
    tmp_path: Path,
) -> None:
    old, new = LinqV2Emulator(5, seed=13, populate=1.0), LinqV3Emulator(5, seed=13, populate=0.0)
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        await migration.apply(plan, dst, journal=journal)
        assert await migration.verify_journal(dst, journal=journal) == migration.VerifyReport(5, ())

        edited = plan.to_write[1]
        new.get(edited.target_id).forwarding_number = "+12025550111"
        check = await migration.verify_journal(dst, journal=journal)
        assert check.differences == (
            migration.Difference(
                edited.number,
                "forwarding_number",
                edited.desired()["forwarding_number"],
                "+12025550111",
            ),
        )
        assert not check.ok

        await migration.rollback(dst, journal=journal, force=True)
        back = await migration.verify_journal(dst, journal=journal)
        assert back.ok  # rolled back: checked against the prior values
        assert all(n.forwarding_number is None for n in new.numbers.values())
        requests_before = len(new.requests)
        await migration.verify_journal(dst, journal=journal)
    assert {r.method for r in new.requests[requests_before:]} == {"GET"}


async def test_verify_journal_lists_unfinished_numbers(tmp_path: Path) -> None:
    old, new = LinqV2Emulator(4, seed=14, populate=1.0), LinqV3Emulator(4, seed=14, populate=0.0)
    new.faults.add("status", status=503, count=1, method="PUT")
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new, retries=0) as dst:
        report = await migration.apply(await migration.plan(src, dst), dst, journal=journal)
        check = await migration.verify_journal(dst, journal=journal)
    assert check.unfinished == (report.failed[0].number,)
    assert check.differences == ()
    assert not check.ok


async def test_drift_reads_the_differences_off_a_fresh_plan() -> None:
    old, new = LinqV2Emulator(4, seed=15, populate=1.0), LinqV3Emulator(4, seed=15, populate=0.0)
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
    report = migration.drift(plan)
    assert report.checked == 4
    assert report.differences == tuple(
        migration.Difference(n.number, "forwarding_number", n.desired()["forwarding_number"], None)
        for n in plan.to_write
    )
    assert Counter(d.field for d in report.differences) == {"forwarding_number": 4}


async def test_a_journal_that_stops_working_stops_the_run_with_a_typed_error(
    tmp_path: Path,
) -> None:
    # Another process takes the database file for itself mid-run (as a full disk or a
    # removed file would make writes fail): SQLite gives up after its busy timeout.
    old, new = LinqV2Emulator(20, seed=16, populate=1.0), LinqV3Emulator(20, seed=16)
    journal = tmp_path / "j.sqlite"
    # The blocker waits its turn: the journal's thread may be committing a batch when the
    # callback runs (moves that send nothing are committed after they return).
    blocker = sqlite3.connect(journal, timeout=60, isolation_level=None)

    def progress(done: int, total: int) -> None:
        if done == 3:
            blocker.execute("BEGIN EXCLUSIVE")

    try:
        async with client(old) as src, client(new) as dst:
            plan = await migration.plan(src, dst)
            with pytest.raises(pr.ConfigurationError, match="cannot be used") as caught:
                await migration.apply(plan, dst, journal=journal, concurrency=4, progress=progress)
    finally:
        blocker.close()
    assert "database is locked" in str(caught.value)
    assert "it resumes where it stopped" in str(caught.value)
    # The workers stopped with it: far fewer writes than numbers.
    assert 3 <= new.count("PUT") < 10
    async with client(old) as src, client(new) as dst:
        resumed = await migration.apply(await migration.plan(src, dst), dst, journal=journal)
    assert resumed.failed == ()
    assert v3_forwarding(new) == v2_forwarding(old)


async def test_a_journal_removed_during_the_run_stops_it(tmp_path: Path) -> None:
    old, new = LinqV2Emulator(20, seed=17, populate=1.0), LinqV3Emulator(20, seed=17)
    journal = tmp_path / "j.sqlite"

    def progress(done: int, total: int) -> None:
        if done == 3:
            journal.unlink()  # someone cleans up the folder mid-run

    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        with pytest.raises(pr.ConfigurationError, match="was removed or replaced") as caught:
            await migration.apply(plan, dst, journal=journal, concurrency=1, progress=progress)
    assert "compare the target with `migrate verify --from --to`" in str(caught.value)
    # It stopped at once: the next number's "writing" record failed before its write.
    assert new.count("PUT") == 3


async def test_verify_shares_the_journal_but_not_with_a_writing_run(tmp_path: Path) -> None:
    old, new = LinqV2Emulator(3, seed=18, populate=1.0), LinqV3Emulator(3, seed=18)
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new) as dst:
        await migration.apply(await migration.plan(src, dst), dst, journal=journal)
        assert (tmp_path / "j.sqlite.lock").is_file()  # the lock lives beside the journal
        reader = Journal.open(journal, shared=True)  # another verify, still reading
        try:
            assert (await migration.verify_journal(dst, journal=journal)).ok
            with pytest.raises(pr.ConfigurationError, match="in use by another run"):
                await migration.rollback(dst, journal=journal)
        finally:
            reader.close()
        writer = Journal.open(journal)  # an apply or rollback in progress
        try:
            with pytest.raises(pr.ConfigurationError, match="in use by another run"):
                await migration.verify_journal(dst, journal=journal)
        finally:
            writer.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_rate_limit_wait": "x"}, "max_rate_limit_wait"),
        ({"max_rate_limit_wait": float("nan")}, "max_rate_limit_wait"),
        ({"max_rate_limit_wait": -1}, "max_rate_limit_wait"),
        ({"max_rate_limit_waits": -1}, "max_rate_limit_waits"),
        ({"max_rate_limit_waits": 1.5}, "max_rate_limit_waits"),
    ],
)
async def test_unusable_rate_limit_options_are_refused_before_any_write(
    tmp_path: Path, options: dict[str, object], message: str
) -> None:
    old, new = LinqV2Emulator(2, seed=19, populate=1.0), LinqV3Emulator(2, seed=19)
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        new.clear_requests()
        with pytest.raises(pr.ConfigurationError, match=message):
            await migration.apply(plan, dst, journal=tmp_path / "j.sqlite", **options)  # type: ignore[arg-type]
    assert new.requests == []
    assert not (tmp_path / "j.sqlite").exists()


async def test_a_resume_never_writes_a_value_the_source_no_longer_has(tmp_path: Path) -> None:
    old = LinqV2Emulator(10, seed=20, populate=1.0)
    new = LinqV3Emulator(10, seed=20, populate=0.0)
    new.faults.add("status", status=503, count=4, method="PUT")
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new, retries=0) as dst:
        first = await migration.apply(await migration.plan(src, dst), dst, journal=journal)
        assert len(first.failed) == 4
        # The source drops the forwarding of one number that was not written yet: the
        # target already matches it, so the journal's older value must not be written.
        changed = first.failed[0].number
        next(n for n in old.numbers.values() if n.phone_number == changed).forwarding_number = None
        new.clear_requests()
        second = await migration.apply(await migration.plan(src, dst), dst, journal=journal)
    assert (second.written, second.confirmed_without_write, second.failed) == (3, 1, ())
    target_id = first.failed[0].target_id
    assert f"/api/partner/v3/phone_numbers/{target_id}" not in puts_per_number(new)
    assert new.get(target_id).forwarding_number is None
    assert v3_forwarding(new) == v2_forwarding(old)
    with sqlite3.connect(journal) as db:
        state, result = db.execute(
            "SELECT state, result FROM steps WHERE number = ?", (changed,)
        ).fetchone()
    # Confirmed, with what the number holds recorded as for any other step.
    assert (state, json.loads(result)["forwarding_number"]) == ("done", None)


async def test_rollback_on_another_account_is_refused_and_spares_the_journal(
    tmp_path: Path,
) -> None:
    old = LinqV2Emulator(4, seed=21, populate=1.0)
    new, other = LinqV3Emulator(4, seed=21, populate=0.0), LinqV3Emulator(4, seed=22)
    journal = tmp_path / "j.sqlite"
    async with client(old) as src, client(new) as dst, client(other) as wrong:
        await migration.apply(await migration.plan(src, dst), dst, journal=journal)
        with pytest.raises(pr.ConfigurationError, match="holds none of the 4 numbers"):
            await migration.rollback(wrong, journal=journal)
        assert other.count("PUT") == 0
        # The journal is untouched: the right account still rolls back.
        undone = await migration.rollback(dst, journal=journal)
    assert (undone.written, undone.failed) == (4, ())


async def test_a_database_that_is_not_a_journal_is_left_unchanged(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE customers (id INTEGER)")
    before = other.read_bytes()
    old, new = LinqV2Emulator(2, seed=23, populate=1.0), LinqV3Emulator(2, seed=23)
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        for run in (
            migration.apply(plan, dst, journal=other),
            migration.rollback(dst, journal=other),
            migration.verify_journal(dst, journal=other),
        ):
            with pytest.raises(pr.ConfigurationError, match="not a phonerouting journal"):
                await run
    assert other.read_bytes() == before
    assert new.count("PUT") == 0


async def test_drift_counts_values_no_update_may_send() -> None:
    from phonerouting.testing import AgentMessageEmulator, CloseEmulator

    old, new = AgentMessageEmulator(0), CloseEmulator(0)
    old.add_number("+12025550101", label="x" * 300)
    new.add_number("+12025550101", label="old")
    async with client(old) as src, client(new) as dst:
        report = migration.drift(await migration.plan(src, dst))
    assert report.differences == (migration.Difference("+12025550101", "label", "x" * 300, "old"),)
    assert not report.ok
