"""An edit made on the target while `migrate apply` runs is not overwritten: the number
is reported apart (field, what the plan saw, what was found), counts in the exit code,
and `--force` writes it."""

from __future__ import annotations

import json
import time

from phonerouting import testing
from tests.cli.conftest import Cli

Served = tuple[Cli, dict[str, testing.Emulator]]

APPLY = ("migrate", "apply", "--from", "old", "--to", "crm", "--journal", "j.sqlite", "--yes")


def test_an_edit_during_apply_is_reported_and_force_writes_it(served: Served) -> None:
    cli, emus = served
    old, crm = emus["old"], emus["crm"]
    # The first write hangs a while (one at a time): time for an operator's edit of
    # another number, which the run reads just before writing it.
    crm.faults.delay(2.0, count=1, method="PUT")
    process = cli.popen(*APPLY, "--concurrency", "1", "--json")
    deadline = time.monotonic() + 90
    while crm.count("PUT") < 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    first = next(r.path for r in crm.requests if r.method == "PUT")
    edited = next(n for n in crm.numbers.values() if n.id not in first)  # type: ignore[attr-defined]
    planned_before = edited.forward_to if edited.forward_to_enabled else None
    edited.forward_to, edited.forward_to_enabled = "+12025550777", True
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, err
    report = json.loads(out)
    assert report["written"] == 4
    assert report["changed"] == [
        {
            "number": edited.number,
            "target_id": edited.id,
            "fields": [
                {"field": "forwarding_number", "planned": planned_before, "found": "+12025550777"}
            ],
        }
    ]
    assert "retries" in report
    assert edited.forward_to == "+12025550777"

    # The text form says it apart from failures; a resume still leaves it alone.
    again = cli.run(*APPLY)
    assert again.code == 1
    assert "1 changed since the plan, 0 failed" in again.out
    assert (
        f"  CHANGED {edited.number} ({edited.id}): forwarding_number: the plan saw "
        f"{planned_before or '-'}, found +12025550777\n"
    ) in again.out
    forced = cli.run(*APPLY, "--force")
    assert forced.code == 0, forced.err
    source = next(n for n in old.numbers.values() if n.phone_number == edited.number)  # type: ignore[attr-defined]
    assert edited.forward_to == source.forwarding_number


def test_a_resume_says_what_changed_in_the_source(served: Served) -> None:
    cli, emus = served
    old, new = emus["old"], emus["new"]
    stuck = next(iter(new.numbers.values()))  # type: ignore[attr-defined]
    # One number fails for good on the first run (a 403 is not retried).
    new.faults.add("status", status=403, count=None, method="PUT", path=stuck.id)
    args = ("migrate", "apply", "--from", "old", "--to", "new", "--journal", "j.sqlite", "--yes")
    first = cli.run(*args)
    assert first.code == 1
    assert "29 written" in first.out
    new.faults.clear()
    # Meanwhile the source changes: the stuck number's value, and one number more.
    source = next(n for n in old.numbers.values() if n.phone_number == stuck.phone_number)  # type: ignore[attr-defined]
    source.forwarding_number = "+12025550188"
    old.add_number("+12025550301", forwarding_number="+12025559911")  # type: ignore[attr-defined]
    new.add_number("+12025550301")  # type: ignore[attr-defined]
    resumed = cli.run(*args)
    assert resumed.code == 0, resumed.err
    assert "source added since the journal's plan: +12025550301\n" in resumed.out
    assert f"source changed since the journal's plan: {stuck.phone_number}\n" in resumed.out
    assert new.get(stuck.id).forwarding_number == "+12025550188"  # type: ignore[attr-defined]
