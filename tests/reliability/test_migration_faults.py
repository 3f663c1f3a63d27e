"""A Linq v2 -> v3 migration of 60 numbers through the console script, with 20% of the
target's writes failing transiently and one SIGKILL mid-run, then resumed until clean.

Afterwards every number holds the planned state, no number was written successfully
twice (counted from the emulator's own answers: a PUT answered by an injected 503 never
reached the emulator's state), and the journal is consistent.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from collections import Counter
from typing import Any

import pytest

from phonerouting import testing
from tests.reliability.conftest import ServeFn

pytestmark = pytest.mark.timeout(180)

NUMBERS = 60


def record_answers(emu: testing.Emulator) -> list[tuple[str, str, int | None]]:
    """Wrap the emulator's dispatch to record (method, path, status answered) for every
    request, faults included (``None`` for a dropped connection)."""
    answers: list[tuple[str, str, int | None]] = []
    lock = threading.Lock()
    dispatch = emu.handle

    def handle(method: str, raw_path: str, query: str, headers: dict[str, str], body: bytes) -> Any:
        response, delay = dispatch(method, raw_path, query, headers, body)
        with lock:
            answers.append(
                (method.upper(), raw_path, None if response is None else response.status)
            )
        return response, delay

    emu.handle = handle  # type: ignore[method-assign]
    return answers


def successful_puts(answers: list[tuple[str, str, int | None]]) -> Counter[str]:
    return Counter(
        path for method, path, status in list(answers) if method == "PUT" and status == 200
    )


def test_sigkill_mid_migration_then_resume_writes_each_number_exactly_once(
    serve_cli: ServeFn,
) -> None:
    old = testing.LinqV2Emulator(NUMBERS, seed=31, populate=1.0)
    new = testing.LinqV3Emulator(NUMBERS, seed=31, populate=0.0)
    planned = {n.phone_number: n.forwarding_number for n in old.numbers.values()}
    assert len(planned) == NUMBERS
    assert all(planned.values())
    answers = record_answers(new)
    new.faults.add("status", status=503, count=None, probability=0.2, method="PUT")
    cli = serve_cli({"old": old, "new": new})
    apply = ("migrate", "apply", "--from", "old", "--to", "new", "--journal", "j.sqlite")
    apply += ("--max-rps", "40", "--yes")

    # First run: killed with SIGKILL once a third of the numbers are written.
    process = cli.popen(*apply)
    deadline = time.monotonic() + 90
    while sum(successful_puts(answers).values()) < NUMBERS // 3:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the first run did not get going"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL
    landed = sum(successful_puts(answers).values())
    assert NUMBERS // 3 <= landed < NUMBERS, "the kill did not land mid-run"

    with sqlite3.connect(cli.folder / "j.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        states = dict(db.execute("SELECT state, COUNT(*) FROM steps GROUP BY state").fetchall())
    assert sum(states.values()) == NUMBERS
    assert states.get("done", 0) < NUMBERS

    # Resume until a run reports no failure (at most five runs).
    reports = []
    for _ in range(5):
        result = cli.run(*apply, "--json")
        assert result.code in (0, 1), result.err
        reports.append(json.loads(result.out))
        if not reports[-1]["failed"]:
            break
    assert reports[-1]["failed"] == [], reports
    assert result.code == 0
    for report in reports:
        assert report["total"] == NUMBERS
        for failure in report["failed"]:
            assert failure["error"].startswith("ServerError"), failure

    # Every number holds the planned state.
    assert {n.phone_number: n.forwarding_number for n in new.numbers.values()} == planned
    verify = cli.run("migrate", "verify", "--from", "old", "--to", "new")
    assert verify.code == 0, verify.out + verify.err

    # No number was written successfully twice; the faults did fire.
    puts = successful_puts(answers)
    expected_paths = {f"/api/partner/v3/phone_numbers/{n.id}" for n in new.numbers.values()}
    assert set(puts) == expected_paths
    assert set(puts.values()) == {1}, {p: c for p, c in puts.items() if c != 1}
    faulted = sum(1 for m, _, s in answers if m == "PUT" and s == 503)
    assert faulted > 0
    assert all(s in (200, 503) for m, _, s in answers if m == "PUT")

    # The journal agrees: every step done, each number written at most once by the
    # journal's count, and the ones it did not count were confirmed without a write
    # (their PUT landed just before the kill).
    with sqlite3.connect(cli.folder / "j.sqlite") as db:
        rows = db.execute("SELECT number, state, writes, error, result FROM steps").fetchall()
        (total_writes,) = db.execute("SELECT SUM(writes) FROM steps").fetchone()
    assert len(rows) == NUMBERS
    assert {state for _, state, _, _, _ in rows} == {"done"}
    assert {error for _, _, _, error, _ in rows} == {None}
    assert {writes for _, _, writes, _, _ in rows} <= {0, 1}
    confirmed = sum(r["confirmed_without_write"] for r in reports)
    assert total_writes + confirmed == NUMBERS
    assert sum(1 for row in rows if row[2] == 0) == confirmed
    for number, _, _, _, result_json in rows:
        assert json.loads(result_json)["forwarding_number"] == planned[number]
    assert sum(r["written"] for r in reports) <= total_writes
