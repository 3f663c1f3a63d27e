"""The installed console script, in a subprocess, against emulator servers."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import time
from collections import Counter

from phonerouting import testing
from tests.cli.conftest import Cli

Served = tuple[Cli, dict[str, testing.Emulator]]


def test_providers_table_and_json() -> None:
    import subprocess

    from tests.cli.conftest import SCRIPT

    done = subprocess.run(
        [str(SCRIPT), "providers", "--json"], capture_output=True, text=True, timeout=30, check=True
    )
    data = json.loads(done.stdout)
    assert [p["provider"] for p in data] == [
        "linq-v2",
        "linq-v3",
        "agentmessage",
        "close",
        "twilio",
        "telnyx",
    ]
    assert data[2]["settable"] == ["campaign_id", "inbound_url", "label", "status_url"]
    table = subprocess.run(
        [str(SCRIPT), "providers"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    assert "LINQ_API_V3_API_KEY" in table
    assert table.splitlines()[0].split() == [
        "provider",
        "key",
        "variable",
        "fields",
        "it",
        "can",
        "set",
        "and",
        "clear",
    ]
    assert [p["key_env"] for p in data] == [
        "LINQ_INTEGRATION_TOKEN",
        "LINQ_API_V3_API_KEY",
        "AGENTMESSAGE_API_KEY",
        "CLOSE_API_KEY",
        "TWILIO_AUTH_TOKEN",
        "TELNYX_API_KEY",
    ]


def test_list_show_set_clear(served: Served) -> None:
    cli, emus = served
    new = emus["new"]
    listed = cli.run("list", "new", "--json")
    assert listed.code == 0, listed.err
    numbers = json.loads(listed.out)
    assert len(numbers) == 30
    target = numbers[0]

    shown = cli.run("show", "new", target["number"], "--json")
    assert json.loads(shown.out)["id"] == target["id"]

    set_ = cli.run("set", "new", target["id"], "--forwarding-number", "+1 (202) 555-9999")
    assert set_.code == 0, set_.err
    assert "+12025559999" in set_.out
    assert new.get(target["id"]).forwarding_number == "+12025559999"  # type: ignore[attr-defined]

    cleared = cli.run("clear", "new", target["number"], "forwarding_number", "--json")
    assert cleared.code == 0
    assert json.loads(cleared.out)["forwarding_number"] is None
    assert new.get(target["id"]).forwarding_number is None  # type: ignore[attr-defined]

    close_number = next(iter(emus["crm"].numbers.values()))  # type: ignore[attr-defined]
    crm = cli.run(
        "set", "crm", close_number.id, "--label", "Front desk", "--ring-duration", "25", "--json"
    )
    assert crm.code == 0, crm.err
    assert (json.loads(crm.out)["label"], json.loads(crm.out)["ring_duration"]) == (
        "Front desk",
        25,
    )


def test_errors_are_one_line_with_exit_codes(served: Served) -> None:
    cli, emus = served
    unsupported = cli.run(
        "set", "am", next(iter(emus["am"].numbers)), "--forwarding-number", "+12025559999"
    )
    assert unsupported.code == 2
    assert unsupported.err.count("\n") == 1
    # The advice in the command line's terms, not the library's.
    assert "UNSET" not in unsupported.err
    assert unsupported.err.endswith(
        "Leave this field out for this provider; `phonerouting providers` lists what each "
        "provider can set and clear.\n"
    )
    assert "forwarding_number" in unsupported.err

    invalid = cli.run("set", "new", "+12025550000", "--ring-duration", "5")
    assert invalid.code == 2
    assert "ring_duration must be between 15 and 90" in invalid.err

    missing = cli.run("show", "new", "+12029999999")
    assert missing.code == 1
    assert "no number +12029999999" in missing.err

    emus["new"].faults.server_error(500, count=3)
    failing = cli.run("list", "new", "--verbose")
    assert failing.code == 1
    assert "code 3006" in failing.err
    assert "request id" in failing.err
    assert "type: ServerError" in failing.err

    no_key = cli.run("list", "linq-v3", timeout=30)
    assert no_key.code == 2
    assert "LINQ_API_V3_API_KEY" in no_key.err

    usage = cli.run("migrate", "apply", "--from", "old", "--to", "new")
    assert usage.code == 2
    assert "--journal" in usage.err

    bad_account = cli.run("list", "nope")
    assert bad_account.code == 2
    assert "unknown account 'nope'" in bad_account.err


def test_migrate_plan_apply_verify_rollback(served: Served) -> None:
    cli, emus = served
    old, new = emus["old"], emus["new"]
    plan = cli.run("migrate", "plan", "--from", "old", "--to", "new", "--json")
    assert plan.code == 0, plan.err
    data = json.loads(plan.out)
    assert len(data["numbers"]) == 30
    assert new.count("PUT") == 0

    before = cli.run("migrate", "verify", "--from", "old", "--to", "new")
    assert before.code == 1

    applied = cli.run(
        "migrate", "apply", "--from", "old", "--to", "new", "--journal", "j.sqlite", "--yes"
    )
    assert applied.code == 0, applied.err
    assert "30 written" in applied.out
    assert cli.run("migrate", "verify", "--from", "old", "--to", "new").code == 0

    rolled = cli.run(
        "migrate", "rollback", "--to", "new", "--journal", "j.sqlite", "--json", "--yes"
    )
    assert rolled.code == 0
    assert json.loads(rolled.out)["written"] == 30
    assert all(n.forwarding_number is None for n in new.numbers.values())  # type: ignore[attr-defined]
    del old


def test_apply_killed_with_sigkill_resumes_without_writing_twice(served: Served) -> None:
    cli, emus = served
    old, new = emus["old"], emus["new"]
    process = cli.popen(
        "migrate",
        "apply",
        "--from",
        "old",
        "--to",
        "new",
        "--journal",
        "j.sqlite",
        "--concurrency",
        "3",
        "--max-rps",
        "40",
        "--yes",
    )
    deadline = time.monotonic() + 90
    while new.count("PUT") < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    written_before = new.count("PUT")
    assert 8 <= written_before < 30

    with sqlite3.connect(cli.folder / "j.sqlite") as db:
        states = dict(db.execute("SELECT state, COUNT(*) FROM steps GROUP BY state").fetchall())
    assert states.get("done", 0) + states.get("writing", 0) >= 1
    assert sum(states.values()) == 30

    resumed = cli.run(
        "migrate",
        "apply",
        "--from",
        "old",
        "--to",
        "new",
        "--journal",
        "j.sqlite",
        "--json",
        "--yes",
    )
    assert resumed.code == 0, resumed.err
    report = json.loads(resumed.out)
    assert report["failed"] == []
    per_number = Counter(r.path for r in new.requests if r.method == "PUT")
    assert len(per_number) == 30
    assert set(per_number.values()) == {1}, "a number was written twice"
    assert {n.phone_number: n.forwarding_number for n in new.numbers.values()} == {  # type: ignore[attr-defined]
        n.phone_number: n.forwarding_number
        for n in old.numbers.values()  # type: ignore[attr-defined]
    }
    assert cli.run("migrate", "verify", "--from", "old", "--to", "new").code == 0


def test_demo_runs_with_no_keys(tmp_path: object) -> None:
    import os
    import subprocess

    from tests.cli.conftest import SCRIPT

    env = {k: v for k, v in os.environ.items() if "KEY" not in k and "TOKEN" not in k}
    done = subprocess.run(
        [str(SCRIPT), "demo", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["plan"]["to_write"] == 300
    assert data["apply"]["written"] == 300
    assert data["verify"]["differences"] == []


def test_apply_shows_a_progress_bar_on_a_terminal(served: Served) -> None:
    from tests.cli.conftest import with_terminal_stderr

    cli, _ = served
    code, out, terminal = with_terminal_stderr(
        cli, "migrate", "apply", "--from", "old", "--to", "new", "--journal", "p.sqlite", "--yes"
    )
    assert code == 0
    # rich's live bar: label, bar, percentage, count, rate, time left.
    uncoloured = re.sub(r"\x1b\[[0-9;]*m", "", terminal)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "\n", uncoloured)
    lines = [line for line in plain.replace("\r", "\n").splitlines() if line.strip()]
    assert re.fullmatch(r"apply ━+ 100% 30/30 [0-9.]+/s ETA 0:00:00", lines[-1]), lines
    assert any(re.fullmatch(r"apply ━+ +0% +0/30 +ETA -:--:--", line) for line in lines), lines
    assert "\r" not in out


def test_options_before_the_command_name_count(served: Served) -> None:
    cli, _ = served
    listed = cli.run("--json", "list", "new")
    assert listed.code == 0, listed.err
    assert len(json.loads(listed.out)) == 30
    # --config before the command is read too (the account exists only in that file).
    (cli.folder / "elsewhere").mkdir()
    moved = cli.folder / "elsewhere" / "accounts.toml"
    (cli.folder / "phonerouting.toml").rename(moved)
    assert cli.run("--config", str(moved), "list", "new").code == 0
    assert cli.run("list", "new", "--config", str(moved)).code == 0
    missing = cli.run("list", "new")
    assert missing.code == 2
    assert missing.err == (
        "phonerouting: error: list new: unknown account 'new'; known: linq-v2, linq-v3, "
        "agentmessage, close, twilio, telnyx. Fix the accounts file (phonerouting.toml, "
        "--config or "
        "$PHONEROUTING_CONFIG) or the account name; no request was sent.\n"
    )


def test_errors_name_the_command_and_are_json_with_json(served: Served) -> None:
    cli, emus = served
    crm = emus["crm"]
    number = next(iter(crm.numbers.values())).number  # type: ignore[attr-defined]
    text = cli.run("set", "crm", number, "--participant", "user_nobody")
    assert text.code == 1
    assert text.err.startswith(f"phonerouting: error: set crm {number}: close: ")
    assert text.err.count("\n") == 1

    as_json = cli.run("set", "crm", number, "--participant", "user_nobody", "--json")
    assert as_json.code == 1
    assert as_json.out == ""
    error = json.loads(as_json.err)["error"]
    assert error["type"] == "ValidationError"
    assert error["command"] == f"set crm {number}"
    assert (error["provider"], error["status"], error["field"]) == ("close", 400, "participants")
    assert list(error["details"]) == ["participants"]


def test_verify_with_the_journal_and_rollback_that_spares_later_edits(served: Served) -> None:
    cli, emus = served
    new = emus["new"]
    args = ("--from", "old", "--to", "new", "--journal", "j.sqlite", "--yes")
    assert cli.run("migrate", "apply", *args).code == 0
    checked = cli.run("migrate", "verify", "--to", "new", "--journal", "j.sqlite", "--json")
    assert checked.code == 0, checked.err
    assert json.loads(checked.out)["checked"] == 30

    edited = next(iter(new.numbers.values()))  # type: ignore[attr-defined]
    assert cli.run("set", "new", edited.id, "--forwarding-number", "+12025550199").code == 0
    drift = cli.run("migrate", "verify", "--to", "new", "--journal", "j.sqlite")
    assert drift.code == 1
    assert f"  {edited.phone_number} forwarding_number: expected" in drift.out

    rolled = cli.run(
        "migrate", "rollback", "--to", "new", "--journal", "j.sqlite", "--json", "--yes"
    )
    assert rolled.code == 1
    report = json.loads(rolled.out)
    # Changed since the migration: reported apart from failures (docs/migration.md).
    assert (report["written"], report["failed"]) == (29, [])
    assert [c["number"] for c in report["changed"]] == [edited.phone_number]
    assert new.get(edited.id).forwarding_number == "+12025550199"  # type: ignore[attr-defined]
    forced = cli.run(
        "migrate", "rollback", "--to", "new", "--journal", "j.sqlite", "--force", "--yes"
    )
    assert forced.code == 0, forced.err
    assert new.get(edited.id).forwarding_number is None  # type: ignore[attr-defined]


def test_plan_text_counts_clears_and_names_one_sided_numbers(served: Served) -> None:
    cli, emus = served
    old, new = emus["old"], emus["new"]
    first = next(iter(old.numbers.values()))  # type: ignore[attr-defined]
    first.forwarding_number = None
    target = next(n for n in new.numbers.values() if n.phone_number == first.phone_number)  # type: ignore[attr-defined]
    target.forwarding_number = "+12025550123"
    extra = new.add_number("+12025550142")  # type: ignore[attr-defined]
    plan = cli.run("migrate", "plan", "--from", "old", "--to", "new", "--fields", "label")
    assert plan.code == 0, plan.err
    assert "left alone: linq-v2 has no label to carry over" in plan.out
    full = cli.run("migrate", "plan", "--from", "old", "--to", "new")
    assert "30 matched, 30 to write (1 field(s) to clear)" in full.out
    assert f"only in target (left alone): {extra.phone_number}" in full.out
    assert (
        "1 value(s) the source does not have will be cleared:\n"
        f"  {first.phone_number} forwarding_number: +12025550123 -> -\n"
    ) in full.out


def test_a_bad_request_rate_is_a_usage_error(served: Served) -> None:
    cli, emus = served
    for rate in ("0", "-3", "nan", "inf", "fast"):
        result = cli.run(
            "migrate", "apply", "--from", "old", "--to", "new", "--journal", "j", "--max-rps", rate
        )
        assert result.code == 2, (rate, result)
        assert "--max-rps" in result.err
    assert emus["new"].requests == []


def test_a_bad_read_window_is_a_usage_error(served: Served) -> None:
    cli, emus = served
    for seconds in ("0", "-1", "nan", "inf", "soon"):
        for action in ("apply --from old", "rollback"):
            result = cli.run(
                "migrate",
                *action.split(),
                "--to",
                "new",
                "--journal",
                "j",
                "--read-window",
                seconds,
            )
            assert result.code == 2, (seconds, action, result)
            assert "--read-window" in result.err
    assert emus["new"].requests == []


def test_the_read_window_given_is_the_runs(served: Served) -> None:
    # A window no journal commit fits in: every number's read is too old by the time
    # its write could go, so nothing is written and each number says why.
    cli, emus = served
    result = cli.run(
        "migrate", "apply", "--from", "old", "--to", "new", "--journal", "j.sqlite",
        "--read-window", "0.000001", "--json", "--yes",
    )  # fmt: skip
    assert result.code == 1, result
    failed = json.loads(result.out)["failed"]
    assert len(failed) == 30
    assert {f["error"] for f in failed} == {
        "not written: 4 times its read was more than 1e-06 s old before its write could "
        "go (rate-limit pauses); run again"
    }
    assert [r for r in emus["new"].requests if r.method != "GET"] == []


def test_a_closed_pipe_ends_quietly() -> None:
    import subprocess

    from tests.cli.conftest import SCRIPT

    # `phonerouting providers --json | head -c 0`: the reader is gone before the first
    # write, so every write fails (a pipe whose read end is closed).
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [str(SCRIPT), "providers", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=30,
            check=False,
        )
    finally:
        os.close(write_end)
    # The reader going away is not a failure: exit 0, nothing on stderr.
    assert done.returncode == 0
    assert done.stderr == b""


def test_verify_against_the_source_reports_numbers_the_target_lacks(served: Served) -> None:
    cli, emus = served
    extra = emus["old"].add_number("+12025550301", forwarding_number="+12025559911")  # type: ignore[attr-defined]
    args = ("--from", "old", "--to", "new", "--journal", "j.sqlite", "--yes")
    applied = cli.run("migrate", "apply", *args)
    assert applied.code == 0, applied.err
    # The plan is said before the run: what is left aside shows there.
    assert applied.out.startswith("plan linq-v2 -> linq-v3: 30 matched, 30 to write")
    assert f"only in source (not migrated): {extra.phone_number}" in applied.out
    checked = cli.run("migrate", "verify", "--from", "old", "--to", "new")
    assert checked.code == 1
    assert "verify: DIFFERS: 30 checked, 0 field(s) differ, 1 missing" in checked.out
    assert f"missing from the target: {extra.phone_number}" in checked.out
    both = cli.run("migrate", "verify", "--from", "old", "--to", "new", "--journal", "j.sqlite")
    assert both.code == 2
    assert "not both" in both.err


def test_usage_errors_are_json_with_json(served: Served) -> None:
    cli, _ = served
    for args, message in (
        (("--json", "set", "new"), "the following arguments are required: NUMBER_OR_ID"),
        (("set", "new", "+12025550142", "--ring-duration", "abc", "--json"), "--ring-duration"),
        (("migrate", "apply", "--to", "new", "--concurrency", "0", "--json"), "--concurrency"),
    ):
        result = cli.run(*args)
        assert result.code == 2, (args, result)
        assert result.out == ""
        error = json.loads(result.err)["error"]
        assert error["type"] == "UsageError"
        assert message in error["message"]


def test_apply_says_its_plan_only_once_the_journal_is_usable(served: Served) -> None:
    cli, _ = served
    (cli.folder / "not-a-journal.db").write_bytes(b"")
    import sqlite3 as sq

    with sq.connect(cli.folder / "not-a-journal.db") as db:
        db.execute("CREATE TABLE t (x)")
    refused = cli.run(
        "migrate",
        "apply",
        "--from",
        "old",
        "--to",
        "new",
        "--journal",
        "not-a-journal.db",
        "--yes",
    )
    assert refused.code == 2
    assert refused.out == ""
    assert "not a phonerouting journal" in refused.err


def test_demo_refuses_unusable_sizes() -> None:
    import subprocess

    from tests.cli.conftest import SCRIPT

    done = subprocess.run(
        [str(SCRIPT), "demo", "--numbers", "-5"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert done.stderr == (
        "phonerouting demo: error: argument --numbers: must be from 1 to 100000, not -5 "
        "(see phonerouting demo --help)\n"
    )
