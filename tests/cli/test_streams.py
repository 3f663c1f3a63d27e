"""Output that cannot be written, readers that go away, and Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from phonerouting import testing
from tests.cli.conftest import SCRIPT, Cli, drain

Served = tuple[Cli, dict[str, testing.Emulator]]


def _run_into(cli: Cli, stdout: int, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(SCRIPT), *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=cli.env,
        cwd=cli.folder,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_a_full_disk_is_one_error_line(served: Served, extra: tuple[str, ...]) -> None:
    cli, _ = served
    with open("/dev/full", "wb") as full:
        done = _run_into(cli, full.fileno(), "list", "new", *extra)
    assert done.returncode == 2
    err = done.stderr.decode()
    if extra:
        assert '"type": "OutputError"' in err
    else:
        assert err == (
            "phonerouting: error: list new: cannot write the output: No space left on device\n"
        )


def test_a_reader_that_went_away_is_not_a_failure(served: Served) -> None:
    cli, emus = served
    # `phonerouting list new | head -0`: the read end is closed before the first write.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        listed = _run_into(cli, write_end, "list", "new")
        changed = _run_into(cli, write_end, "set", "new", "+1 202 555 0100", "--label", "x")
    finally:
        os.close(write_end)
    assert (listed.returncode, listed.stderr) == (0, b"")
    # The command's own outcome still decides the exit code.
    assert changed.returncode == 1
    assert b"no number +12025550100" in changed.stderr
    assert emus["new"].count("PUT") == 0


def test_head_of_a_long_listing(served: Served) -> None:
    cli, emus = served
    # More than a pipe holds, so the writes meet the closed pipe for real.
    for n in range(3000):
        emus["new"].add_number(f"+1202600{n:04d}")  # type: ignore[attr-defined]
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {SCRIPT} list new | head -1"],
        capture_output=True,
        text=True,
        env=cli.env,
        cwd=cli.folder,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.split() == ["id", "number", "routing"]


@pytest.mark.parametrize("gap", [0.0, 0.002, 0.02])
def test_two_sigints_during_apply_end_in_one_line_and_130(served: Served, gap: float) -> None:
    cli, emus = served
    new = emus["new"]
    new.faults.delay(0.2, count=None, method="PUT")
    process = cli.popen(
        "migrate",
        "apply",
        "--from",
        "old",
        "--to",
        "new",
        "--journal",
        "j.sqlite",
        "--yes",
        "--concurrency",
        "2",
    )
    deadline = time.monotonic() + 90
    while new.count("PUT") < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    time.sleep(gap)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "Task exception" not in err
    assert err.endswith(
        "\nphonerouting: interrupted; run the same command again to resume from the journal\n"
    )
    assert err.count("interrupted") == 1
    # Every progress line before it was a whole line.
    assert all(line.startswith("apply: ") for line in err.splitlines()[:-1]), err
    assert out.startswith("plan linq-v2 -> linq-v3")

    # And the journal resumes: every number ends up migrated.
    new.faults.clear()
    resumed = cli.run(
        "migrate", "apply", "--from", "old", "--to", "new", "--journal", "j.sqlite", "--yes"
    )
    assert resumed.code == 0, resumed.err
    assert cli.run("migrate", "verify", "--from", "old", "--to", "new").code == 0


def test_after_ctrl_c_on_a_terminal_the_message_has_its_own_line(served: Served) -> None:
    import pty

    cli, emus = served
    new = emus["new"]
    new.faults.delay(0.2, count=None, method="PUT")
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [
            str(SCRIPT),
            *("migrate", "apply", "--from", "old", "--to", "new", "--journal", "j"),
            "--yes",
            "--concurrency",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=cli.env,
        cwd=cli.folder,
    )
    os.close(slave)
    deadline = time.monotonic() + 90
    while new.count("PUT") < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 130
    terminal = drain(master)
    assert "apply" in terminal
    assert "ETA" in terminal
    assert terminal.count("phonerouting: interrupted") == 1
    # Whatever the bar left on its line, the message starts a line of its own.
    assert "\nphonerouting: interrupted; run the same command again" in terminal
    assert "Traceback" not in terminal
