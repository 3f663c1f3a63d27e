"""`phonerouting serve` as a real process (uvicorn): where it may listen, the demo, and
a stop (SIGTERM) or a kill (SIGKILL) in the middle of an apply, resumed on restart
with no number written twice (read off the emulator server's own request log)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from phonerouting import testing
from phonerouting.server import hash_token, new_token

SCRIPT = Path(sys.executable).parent / "phonerouting"
pytestmark = pytest.mark.timeout(120)


def _start(args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [str(SCRIPT), "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    if not first.startswith("http://127.0.0.1:"):
        process.kill()
        raise AssertionError(f"serve printed {first!r}; stderr: {process.communicate()[1]}")
    return process, first.split()[0]


def _stop(process: subprocess.Popen[str], sig: int = signal.SIGTERM) -> bool:
    """Stop the service; True when it ended cleanly (uvicorn re-raises the SIGTERM it
    handled once its shutdown is over, so the exit status is that signal's)."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.stderr is not None
    errors = process.stderr.read()
    return code in (0, -signal.SIGTERM) and "Traceback" not in errors


def test_serve_refuses_a_public_address_without_tls_or_a_proxy(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(SCRIPT), "serve", "--demo", "--host", "0.0.0.0", "--port", "0"],  # noqa: S104
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0 without TLS" in done.stderr
    assert "--behind-proxy" in done.stderr
    assert done.stdout == ""
    half = subprocess.run(
        [str(SCRIPT), "serve", "--demo", "--tls-cert", "x.pem"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert half.returncode == 2
    assert "--tls-cert and --tls-key go together" in half.stderr


def test_serve_demo_prints_its_url_and_a_working_admin_token(tmp_path: Path) -> None:
    process, url = _start(
        ["--demo", "--numbers", "5", "--port", "0", "--store", str(tmp_path / "s")]
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("admin token (shown once): prt_")
        token = line.split()[-1]
        headers = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 30
        while httpx.get(url + "readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        accounts = httpx.get(url + "api/v1/accounts", headers=headers).json()["items"]
        assert {a["name"] for a in accounts} == set(testing.EMULATORS) | (
            {a["name"] for a in accounts} - set(testing.EMULATORS)
        )  # every built-in provider, and any other registered with an emulator
        assert all(a["numbers"] == 5 for a in accounts)
        assert httpx.get(url + "api/v1/accounts").status_code == 401
    finally:
        assert _stop(process)


@pytest.fixture
def served_close(tmp_path: Path) -> Iterator[tuple[testing.Emulator, Path, dict[str, str], str]]:
    emu = testing.emulator("close", numbers=60, seed=5, populate=0.5)
    token = new_token()
    with emu.serve() as base_url:
        config = tmp_path / "phonerouting.toml"
        config.write_text(
            "[server]\n"
            f'store = "{tmp_path / "store.sqlite"}"\n'
            "concurrency = 2\n"
            "[accounts.crm]\n"
            'provider = "close"\n'
            'key_env = "KEY_CRM"\n'
            f'base_url = "{base_url}"\n'
            "[tokens.ops]\n"
            'role = "admin"\n'
            f'hash = "{hash_token(token)}"\n'
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHONEROUTING")}
        env["KEY_CRM"] = emu.api_key
        yield emu, config, env, token


def _wait_for(check: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _interrupted_apply_resumes(
    served: tuple[testing.Emulator, Path, dict[str, str], str], sig: int
) -> None:
    emu, config, env, token = served
    headers = {"Authorization": f"Bearer {token}"}
    process, url = _start(["--config", str(config), "--port", "0"], env)
    try:
        _wait_for(lambda: httpx.get(url + "readyz").status_code == 200)
        plan = httpx.post(
            url + "api/v1/changes",
            headers=headers,
            json={"selection": {"accounts": ["crm"]}, "update": {"label": "Resumed"}},
        ).json()
        to_write = plan["summary"]["to_write"]
        assert to_write > 20
        emu.faults.delay(0.05, count=None, method="PUT")  # a slow vendor: the stop lands mid-run
        assert (
            httpx.post(url + f"api/v1/changes/{plan['id']}/apply", headers=headers).status_code
            == 202
        )
        _wait_for(lambda: emu.count("PUT") >= 8)
        _stop(process, sig)
        written_before = emu.count("PUT")
        assert written_before < to_write  # stopped mid-run
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    emu.faults.clear()
    process, url = _start(["--config", str(config), "--port", "0"], env)
    try:
        done = _wait_for(
            lambda: (
                job
                if (job := httpx.get(url + f"api/v1/changes/{plan['id']}", headers=headers).json())[
                    "state"
                ]
                not in ("applying",)
                else None
            )
        )
        assert done["state"] == "applied", done["report"]
        puts = Counter(r.path for r in emu.requests if r.method == "PUT")
        assert len(puts) == to_write
        assert set(puts.values()) == {1}  # no number written twice
        assert {n.label for n in emu.numbers.values()} == {"Resumed"}  # type: ignore[attr-defined]
        audit = httpx.get(url + "api/v1/audit?limit=1000", headers=headers).json()["items"]
        recorded = {e["number_id"] for e in audit if e["outcome"] in ("written", "interrupted")}
        if sig == signal.SIGTERM:
            # A graceful stop records the writes it cut short as interrupted.
            assert len(recorded) == to_write
        else:
            # A kill may lose the records of the writes in flight (at most one per
            # worker); the journal still knew them, so none was written again.
            assert len(recorded) >= to_write - 2
    finally:
        assert _stop(process)


def test_a_kill_during_an_apply_resumes_on_restart_writing_no_number_twice(
    served_close: tuple[testing.Emulator, Path, dict[str, str], str],
) -> None:
    _interrupted_apply_resumes(served_close, signal.SIGKILL)


def test_a_stop_during_an_apply_journals_and_resumes_on_restart(
    served_close: tuple[testing.Emulator, Path, dict[str, str], str],
) -> None:
    _interrupted_apply_resumes(served_close, signal.SIGTERM)
