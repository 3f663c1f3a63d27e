"""Several workers on one migration through a PostgreSQL journal: claims, leases taken
over from a dead worker, the shared rate limit, and three `migrate apply` processes
SIGKILLed and restarted mid-run that still write every number exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import time
from collections import Counter
from pathlib import Path

import psycopg
import pytest

import phonerouting as pr
from phonerouting import migration, testing
from phonerouting.migration.journal import SharedJournalStore, StepState
from phonerouting.migration.postgres import PostgresJournal
from phonerouting.postgres import split_url
from phonerouting.testing import CloseEmulator, LinqV2Emulator
from tests.support import Cli, write_accounts

FAST = pr.RetryPolicy(backoff_initial=0.0, backoff_max=0.0, jitter=0.0)
S = StepState


def client(emu: testing.Emulator) -> pr.AsyncClient:
    return pr.connect_async(
        emu.provider, **emu.client_credentials(), transport=emu.async_transport(), retry_policy=FAST
    )


def writes(emu: testing.Emulator) -> Counter[str]:
    """The writes the emulator answered, by path (one path per number)."""
    return Counter(r.path for r in emu.requests if r.method in ("PUT", "PATCH"))


def forwarding(emu: CloseEmulator) -> dict[str, str | None]:
    return {n.number: n.forward_to if n.forward_to_enabled else None for n in emu.numbers.values()}


def source_forwarding(emu: LinqV2Emulator) -> dict[str, str | None]:
    return {n.phone_number: n.forwarding_number for n in emu.numbers.values()}


def sql(url: str, query: str, *args: object) -> list[tuple[object, ...]]:
    base, _ = split_url(url, {"journal", "lease"})
    with psycopg.connect(base, autocommit=True) as db:
        cursor = db.execute(query, args)
        return cursor.fetchall() if cursor.description else []


async def test_two_workers_split_one_migration(postgres_url: str) -> None:
    old = LinqV2Emulator(120, seed=41, populate=1.0)
    new = CloseEmulator(120, seed=41, populate=0.0)
    url = f"{postgres_url}?journal=split"
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        assert len(plan.to_write) == 120
        books = [PostgresJournal(url), PostgresJournal(url)]
        assert all(isinstance(book, SharedJournalStore) for book in books)
        reports = await asyncio.gather(
            *(migration.apply(plan, dst, journal=book, concurrency=4) for book in books)
        )
        assert sum(r.written for r in reports) == 120
        assert all(r.failed == () and r.changed == () for r in reports)
        assert sorted(writes(new).values()) == [1] * 120
        assert forwarding(new) == source_forwarding(old)
        assert (await migration.verify_journal(dst, journal=url)).ok
    rows = sql(url, "SELECT state, COUNT(*), COUNT(owner) FROM journal_steps GROUP BY state")
    assert rows == [("done", 120, 0)]  # every claim released with its move


async def test_a_dead_workers_claims_are_taken_over_and_checked(postgres_url: str) -> None:
    old = LinqV2Emulator(8, seed=42, populate=1.0)
    new = CloseEmulator(8, seed=42, populate=0.0)
    url = f"{postgres_url}?journal=takeover&lease=5"
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        first = PostgresJournal(url)
        await first.open()
        meta = {"source": plan.source, "target": plan.target}
        steps = [
            (n.number, n.target_id, {c.field: c.before for c in n.changes}, n.desired())
            for n in plan.to_write
        ]
        assert await first.start(meta, steps)
        await first.close()
        # A worker that died holding four numbers it was writing: the writes of two of
        # them landed before it died; its lease runs out in a second.
        held = plan.to_write[:4]
        landed = held[:2]
        for item in landed:
            record = new.numbers[item.target_id]  # type: ignore[index]
            record.forward_to, record.forward_to_enabled = item.desired()["forwarding_number"], True
        sql(
            url,
            "UPDATE journal_steps SET state = 'writing', sent = true, owner = 'dead:1:x', "
            "lease_until = clock_timestamp() + interval '1 second' WHERE number = ANY(%s)",
            [item.number for item in held],
        )
        report = await migration.apply(plan, dst, journal=url, concurrency=4)
    assert (report.written, report.confirmed_without_write) == (6, 2)
    assert report.already_done == 0
    assert writes(new) == Counter(
        {f"/api/v1/phone_number/{item.target_id}/": 1 for item in plan.to_write[2:]}
    )
    assert forwarding(new) == source_forwarding(old)
    assert sql(url, "SELECT state, COUNT(*) FROM journal_steps GROUP BY state") == [("done", 8)]


async def test_claims_moves_and_what_other_workers_reached(postgres_url: str) -> None:
    url = f"{postgres_url}?journal=claims"
    a, b = PostgresJournal(url), PostgresJournal(url)
    await a.open()
    await b.open()
    try:
        steps = [(f"+1312555010{i}", f"id{i}", {"f": None}, {"f": str(i)}) for i in range(6)]
        assert await a.start({"source": "x", "target": "y"}, steps)
        assert not await b.start({"source": "x", "target": "y"}, steps)  # found, not twice
        pending = (S.PLANNED, S.WRITING, S.FAILED, S.CHANGED)
        mine = await a.claim(pending, 4)
        assert [s.number for s in mine] == [f"+1312555010{i}" for i in range(4)]
        theirs = await b.claim(pending, 4)
        assert [s.number for s in theirs] == ["+13125550104", "+13125550105"]
        assert await b.claim(pending, 4) == []
        # b may not write a's number, nor move it on; a may.
        number = mine[0].number
        assert not await b.mark(number, S.WRITING, previous=S.PLANNED, sent=True)
        assert not await b.mark(number, S.DONE, previous=S.PLANNED)
        assert await a.mark(number, S.WRITING, previous=S.PLANNED, sent=True)
        assert not await a.mark(number, S.WRITING, previous=S.PLANNED)  # not in planned now
        # b waits for a's numbers (held for about a lease) rather than ending.
        wait = await b.held(pending)
        assert wait is not None
        assert 0 < wait <= a.lease
        # A number a failed in this run is not b's to retry; b's next run retries it.
        assert await a.mark(mine[1].number, S.FAILED, previous=S.PLANNED, error="boom")
        for step in mine[2:]:
            assert await a.mark(step.number, S.DONE, previous=S.PLANNED)
        await a.close()  # gives back the one a still held
        again = await b.claim(pending, 10)
        assert [s.number for s in again] == [number]  # taken over at once: released
        assert again[0].state is S.WRITING
        assert again[0].sent
        assert await b.held(pending) is None
        later = PostgresJournal(url)
        await later.open()
        try:
            assert [s.number for s in await later.claim(pending, 10)] == [mine[1].number]
        finally:
            await later.close()
    finally:
        await b.close()


async def test_the_shared_rate_limit_spaces_every_workers_requests(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{postgres_url}?journal=rate"
    a, b = PostgresJournal(url), PostgresJournal(url)
    await a.open(shared=True)
    await b.open(shared=True)
    waits: list[float] = []

    async def recorded(seconds: float) -> None:
        waits.append(seconds)

    try:
        assert await a.start({"source": "x", "target": "y"}, [])
        monkeypatch.setattr("phonerouting.migration.postgres.asyncio.sleep", recorded)
        for _ in range(5):  # two workers taking turns at 1 request a second
            await a.throttle(1.0)
            await b.throttle(1.0)
    finally:
        monkeypatch.undo()
        await a.close()
        await b.close()
    # The first request goes at once; each next one a second after the one before,
    # whichever worker sends it (less the moments the calls themselves took).
    assert len(waits) == 9
    assert all(abs(wait - (i + 1)) < 0.5 for i, wait in enumerate(waits)), waits


class _Counted(PostgresJournal):
    turns = 0

    async def throttle(self, per_second: float) -> None:
        assert per_second == 1000
        type(self).turns += 1
        await super().throttle(per_second)


async def test_every_request_of_every_worker_takes_a_shared_turn(postgres_url: str) -> None:
    old = LinqV2Emulator(30, seed=43, populate=1.0)
    new = CloseEmulator(30, seed=43, populate=0.0)
    url = f"{postgres_url}?journal=turns"
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        new.clear_requests()
        await asyncio.gather(
            *(
                migration.apply(
                    plan, dst, journal=_Counted(url), concurrency=4, max_requests_per_second=1000
                )
                for _ in range(2)
            )
        )
    assert len(new.requests) == 60  # a read and a write per number
    assert _Counted.turns == 60


@pytest.mark.parametrize(("durable", "setting"), [(False, "off"), (True, "on")])
async def test_durable_waits_for_the_servers_flush(
    postgres_url: str, durable: bool, setting: str
) -> None:
    book = PostgresJournal(f"{postgres_url}?journal=durable", durable=durable)
    await book.open(shared=True)
    try:
        async with book._db() as db:
            cursor = await db.execute("SHOW synchronous_commit")
            assert await cursor.fetchone() == (setting,)
    finally:
        await book.close()


# ---------------------------------------------------------------- killed and restarted

NUMBERS = 3000
WORKERS = 3


# 3,000 numbers, three workers, three kills, six plans of both accounts: about 30 s of
# CPU in all, which a quiet 2-core machine gives in well under a minute; the bound
# leaves room for one shared with other work (117 s measured at a load average of 12).
@pytest.mark.timeout(240)
def test_three_workers_killed_and_restarted_write_every_number_once(
    postgres_url: str, tmp_path: Path
) -> None:
    old = LinqV2Emulator(NUMBERS, seed=44, populate=1.0, api_key="key-old-0001")
    new = CloseEmulator(NUMBERS, seed=44, populate=0.0, api_key="key-new-0002")
    contexts = [old.serve(), new.serve()]
    urls = [context.__enter__() for context in contexts]
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHONEROUTING")}
        write_accounts(
            tmp_path,
            {
                "old": (old.provider, urls[0], old.api_key),
                "new": (new.provider, urls[1], new.api_key),
            },
            env,
        )
        cli = Cli(tmp_path, env)
        # A short lease: a killed worker's numbers are taken over a second after.
        journal = f"{postgres_url}?journal=killed&lease=1"
        apply = ("migrate", "apply", "--from", "old", "--to", "new", "--yes", "--json")
        args = (*apply, "--journal", journal, "--concurrency", "8")
        rng = random.Random(44)
        # Each worker is killed once, when the target has answered a random number of
        # writes (a random point of the run: planning, claiming, writing).
        kill_at = sorted(rng.sample(range(150, NUMBERS * 2 // 3), WORKERS))
        workers = [cli.popen(*args) for _ in range(WORKERS)]
        killed = 0
        deadline = time.monotonic() + 200
        while killed < WORKERS:
            assert time.monotonic() < deadline, f"only {killed} workers killed in time"
            if new.count("PUT") >= kill_at[killed]:
                victim = workers[killed]
                assert victim.poll() is None, "the run ended before every worker was killed"
                victim.send_signal(signal.SIGKILL)
                victim.communicate(timeout=10)
                workers[killed] = cli.popen(*args)  # restarted at once
                killed += 1
            time.sleep(0.02)
        reports = []
        for worker in workers:
            out, err = worker.communicate(timeout=max(1.0, deadline - time.monotonic()))
            assert worker.returncode == 0, err
            reports.append(json.loads(out))
        assert killed == WORKERS
    finally:
        for context in contexts:
            context.__exit__(None, None, None)
    # Every number written exactly once (the target's request log), none failed, and the
    # target holds what the plan wanted: the source's forwarding for every number.
    per_number = writes(new)
    assert len(per_number) == NUMBERS
    assert set(per_number.values()) == {1}
    assert forwarding(new) == source_forwarding(old)
    assert all(report["failed"] == [] for report in reports)
    assert sql(
        journal, "SELECT state, COUNT(*), COUNT(owner) FROM journal_steps GROUP BY state"
    ) == [("done", NUMBERS, 0)]


def test_the_command_line_applies_verifies_and_rolls_back_on_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    old = LinqV2Emulator(12, seed=45, populate=1.0, api_key="key-old-0001")
    new = CloseEmulator(12, seed=45, populate=0.0, api_key="key-new-0002")
    before = forwarding(new)
    password = split_url(postgres_url, ())[0].split(":")[2].split("@")[0]
    with old.serve() as old_url, new.serve() as new_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHONEROUTING")}
        write_accounts(
            tmp_path,
            {
                "old": (old.provider, old_url, old.api_key),
                "new": (new.provider, new_url, new.api_key),
            },
            env,
        )
        cli = Cli(tmp_path, env)
        journal = f"{postgres_url}?journal=cli"
        applied = cli.run(
            "migrate", "apply", "--from", "old", "--to", "new", "--journal", journal, "--yes"
        )
        assert applied.code == 0, applied.err
        assert "apply: 12 in the journal, 12 written" in applied.out
        assert forwarding(new) == source_forwarding(old)
        checked = cli.run("migrate", "verify", "--to", "new", "--journal", journal, "--json")
        assert checked.code == 0, checked.err
        assert json.loads(checked.out)["checked"] == 12
        undone = cli.run("migrate", "rollback", "--to", "new", "--journal", journal, "--yes")
        assert undone.code == 0, undone.err
        assert forwarding(new) == before
        # A wrong password: a usage-level error naming the database without it.
        wrong = journal.replace(password, "not-the-password")
        refused = cli.run("migrate", "verify", "--to", "new", "--journal", wrong)
        assert refused.code == 2
        assert "cannot connect to postgresql://postgres:***@127.0.0.1" in refused.err
        assert "password authentication failed" in refused.err
        for result in (applied, checked, undone, refused):
            assert password not in result.out + result.err
            assert "not-the-password" not in result.out + result.err
    rows = sql(journal, "SELECT state, COUNT(*) FROM journal_steps GROUP BY state")
    assert rows == [("rolled_back", 12)]
    # The database holds no credential: neither vendor key nor the database password.
    dump = json.dumps(sql(journal, "SELECT * FROM journal_steps"), default=str)
    dump += json.dumps(sql(journal, "SELECT * FROM journal_runs"), default=str)
    for secret in (old.api_key, new.api_key, password):
        assert secret not in dump


def test_the_journal_url_options_are_checked() -> None:
    book = PostgresJournal("postgresql://u:secret@db.example/app?journal=move-1&lease=7.5")
    assert (book.journal, book.lease) == ("move-1", 7.5)
    assert book.name == "postgresql://u:***@db.example/app?journal=move-1&lease=7.5"
    assert "secret" not in repr(book)
    assert PostgresJournal("postgresql://db.example/app").journal == "default"
    for bad in ("lease=0", "lease=-1", "lease=soon", "lease=nan"):
        with pytest.raises(pr.ConfigurationError, match="lease must be a number of seconds"):
            PostgresJournal(f"postgresql://db.example/app?{bad}")
    with pytest.raises(pr.ConfigurationError, match="journal name"):
        PostgresJournal("postgresql://db.example/app?journal=")


async def test_a_database_of_a_newer_schema_is_refused_before_any_write(postgres_url: str) -> None:
    from phonerouting.postgres import LATEST, SchemaTooNewError, upgrade

    upgrade(postgres_url)
    sql(
        postgres_url, "INSERT INTO phonerouting_schema (version, name) VALUES (%s, 'x')", LATEST + 1
    )
    old = LinqV2Emulator(3, seed=46, populate=1.0)
    new = CloseEmulator(3, seed=46, populate=0.0)
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        with pytest.raises(SchemaTooNewError, match="newer than this phonerouting knows"):
            await migration.apply(plan, dst, journal=f"{postgres_url}?journal=newer")
    assert writes(new) == Counter()


async def test_without_psycopg_a_url_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from phonerouting.postgres import PostgresNotInstalledError

    monkeypatch.setitem(__import__("sys").modules, "psycopg", None)  # as if not installed
    new = CloseEmulator(1, seed=47)
    async with client(new) as dst:
        with pytest.raises(PostgresNotInstalledError) as caught:
            await migration.verify_journal(dst, journal="postgresql://db.example/app")
    assert "pip install 'phonerouting[postgresql]'" in str(caught.value)
    assert "pip install 'phonerouting[postgresql]'" in caught.value.describe(cli=True)


async def test_a_rollback_that_began_stops_the_apply_workers(postgres_url: str) -> None:
    url = f"{postgres_url}?journal=both"
    apply = PostgresJournal(url)
    await apply.open()
    try:
        steps = [(f"+1312555011{i}", f"id{i}", {"f": None}, {"f": str(i)}) for i in range(4)]
        assert await apply.start({"source": "x", "target": "y"}, steps)
        pending = (S.PLANNED, S.WRITING, S.FAILED, S.CHANGED)
        first, second = await apply.claim(pending, 2)
        assert await apply.mark(first.number, S.WRITING, previous=S.PLANNED, sent=True)
        # A rollback moves its first step (one done before).
        sql(url, "UPDATE journal_steps SET state = 'rolled_back' WHERE number = %s", steps[3][0])
        # No further write goes out; the one in flight is finished.
        assert not await apply.mark(second.number, S.WRITING, previous=S.PLANNED, sent=True)
        assert await apply.mark(first.number, S.DONE, previous=S.WRITING, wrote=True)
        with pytest.raises(pr.ConfigurationError, match="is being rolled back: this worker"):
            await apply.claim(pending, 2)
    finally:
        await apply.close()
    states = dict(sql(url, "SELECT number, state FROM journal_steps"))
    assert states == {
        first.number: "done",
        second.number: "planned",
        steps[2][0]: "planned",
        steps[3][0]: "rolled_back",
    }
