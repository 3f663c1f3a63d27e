"""`phonerouting serve` as a real process (uvicorn): where it may listen, the demo, and
a stop (SIGTERM) or a kill (SIGKILL) in the middle of an apply, resumed on restart
with no number written twice (read off the emulator server's own request log)."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from phonerouting import testing
from phonerouting.server import hash_token, new_token

SCRIPT = Path(sys.executable).parent / "phonerouting"
pytestmark = pytest.mark.timeout(180)
#: Every interface: an address other than loopback, where serve needs TLS or a proxy.
ANY = "0.0.0.0"  # noqa: S104


def _start(
    args: list[str], env: dict[str, str] | None = None, prefix: str = "http://127.0.0.1:"
) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [str(SCRIPT), "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    if not first.startswith(prefix):
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


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made for this test (openssl CLI)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    made = _run(
        shlex.split(
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
            "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
            f"-keyout {shlex.quote(str(key))} -out {shlex.quote(str(cert))}"
        )
    )
    assert made.returncode == 0, made.stderr
    return cert, key


def _ready(url: str, **options: Any) -> None:
    _wait_for(lambda: httpx.get(url + "readyz", **options).status_code == 200)


def _start_public(tmp_path: Path, scheme: str, *options: str) -> tuple[subprocess.Popen[str], str]:
    """The demo with 3 numbers an account, on every interface, any free port."""
    args = ["--demo", "--numbers", "3", "--host", ANY, "--port", "0", *options]
    return _start([*args, "--store", str(tmp_path / "s")], prefix=f"{scheme}://{ANY}:")


def test_serve_on_a_public_address_over_tls(tmp_path: Path) -> None:
    """Any address (0.0.0.0) is allowed with a certificate: the API answers over
    HTTPS, verified against the test's own certificate, and refuses plain HTTP."""
    cert, key = _self_signed(tmp_path)
    process, url = _start_public(tmp_path, "https", "--tls-cert", str(cert), "--tls-key", str(key))
    try:
        assert process.stdout is not None
        token = process.stdout.readline().split()[-1]
        local = url.replace(ANY, "127.0.0.1")
        ours = ssl.create_default_context(cafile=str(cert))
        _ready(local, verify=ours)
        answer = httpx.get(
            local + "api/v1/accounts", headers={"Authorization": f"Bearer {token}"}, verify=ours
        )
        assert answer.status_code == 200
        assert answer.url.scheme == "https"
        assert {a["numbers"] for a in answer.json()["items"]} == {3}
        # Not a certificate anyone trusts by default: refused without ours.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(local + "healthz")
        # Plain HTTP to the TLS port gets no answer at all.
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(local.replace("https://", "http://") + "healthz")
    finally:
        assert _stop(process)


def test_serve_on_a_public_address_behind_a_proxy(tmp_path: Path) -> None:
    process, url = _start_public(tmp_path, "http", "--behind-proxy")
    try:
        local = url.replace(ANY, "127.0.0.1")
        _ready(local)
        assert httpx.get(local + "healthz").json() == {"status": "ok"}
    finally:
        assert _stop(process)


def test_serve_refuses_a_certificate_it_cannot_load(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    (tmp_path / "other").mkdir()
    _, other_key = _self_signed(tmp_path / "other")
    for given_cert, given_key, reason in (
        (tmp_path / "missing.pem", key, "No such file or directory"),
        (cert, other_key, "KEY_VALUES_MISMATCH"),
        (key, key, "PEM lib"),
    ):
        tls = ["--tls-cert", str(given_cert), "--tls-key", str(given_key)]
        done = _run([str(SCRIPT), "serve", "--demo", "--host", ANY, "--port", "0", *tls])
        assert done.returncode == 2, done.stderr
        assert f"cannot load the TLS certificate {str(given_cert)!r}" in done.stderr
        assert reason in done.stderr
        assert "Traceback" not in done.stderr
        assert done.stdout == ""


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
        deadline = time.monotonic() + 90
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


@contextlib.contextmanager
def serving_close(
    tmp_path: Path, store: str, numbers: int = 60, seed: int = 5
) -> Iterator[tuple[testing.Emulator, Path, dict[str, str], str]]:
    """A Close emulator served over HTTP, an accounts file naming it (and ``store``)
    with an admin token, the environment holding its key, and the token."""
    emu = testing.emulator("close", numbers=numbers, seed=seed, populate=0.5)
    token = new_token()
    with emu.serve() as base_url:
        config = tmp_path / "phonerouting.toml"
        config.write_text(
            "[server]\n"
            f'store = "{store}"\n'
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


@pytest.fixture
def served_close(tmp_path: Path) -> Iterator[tuple[testing.Emulator, Path, dict[str, str], str]]:
    with serving_close(tmp_path, str(tmp_path / "store.sqlite")) as served:
        yield served


def _wait_for(check: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _serve_crm(config: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """serve over the fixture's accounts file, on any free port, once ready."""
    process, url = _start(["--config", str(config), "--port", "0"], env)
    try:
        _ready(url)
    except BaseException:
        _stop(process)
        raise
    return process, url


def _plan_crm(url: str, headers: dict[str, str], update: dict[str, Any]) -> dict[str, Any]:
    """A change set of ``update`` over every number of the crm account."""
    response = httpx.post(
        url + "api/v1/changes",
        headers=headers,
        json={"selection": {"accounts": ["crm"]}, "update": update},
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _job_once_not(url: str, path: str, headers: dict[str, str], state: str) -> dict[str, Any]:
    """The job at ``path`` once it is no longer in ``state``."""
    return _wait_for(  # type: ignore[no-any-return]
        lambda: (
            job
            if (job := httpx.get(url + path, headers=headers).json())["state"] != state
            else None
        )
    )


def _interrupted_apply_resumes(
    served: tuple[testing.Emulator, Path, dict[str, str], str], sig: int
) -> None:
    emu, config, env, token = served
    headers = {"Authorization": f"Bearer {token}"}
    process, url = _serve_crm(config, env)
    try:
        plan = _plan_crm(url, headers, {"label": "Resumed"})
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
        done = _job_once_not(url, f"api/v1/changes/{plan['id']}", headers, "applying")
        assert done["state"] == "applied", done["report"]
        puts = Counter(r.path for r in emu.requests if r.method == "PUT")
        assert len(puts) == to_write
        assert set(puts.values()) == {1}  # no number written twice
        assert {n.label for n in emu.numbers.values()} == {"Resumed"}  # type: ignore[attr-defined]
        audit = httpx.get(url + "api/v1/audit?limit=1000", headers=headers).json()["items"]
        recorded = {e["number_id"] for e in audit if e["outcome"] in ("written", "interrupted")}
        # Every write the vendor received is in the audit: a graceful stop records the
        # writes it cut short as interrupted; after a kill, the resumed run records
        # those the journal says went out and the audit never heard back from.
        assert len(recorded) == to_write
        assert {path.rsplit("/", 2)[-2] for path in puts} <= recorded
    finally:
        assert _stop(process)


def test_a_kill_during_an_apply_resumes_on_restart_writing_no_number_twice(
    served_close: tuple[testing.Emulator, Path, dict[str, str], str],
) -> None:
    _interrupted_apply_resumes(served_close, signal.SIGKILL)


def test_a_kill_during_an_apply_on_postgresql_resumes_with_every_write_audited(
    tmp_path: Path, postgres_store_url: str
) -> None:
    # The journal the resumed run reads its writes in flight from is the database's.
    with serving_close(tmp_path, postgres_store_url) as served:
        _interrupted_apply_resumes(served, signal.SIGKILL)


def test_a_stop_during_an_apply_journals_and_resumes_on_restart(
    served_close: tuple[testing.Emulator, Path, dict[str, str], str],
) -> None:
    _interrupted_apply_resumes(served_close, signal.SIGTERM)


def _close_state(emu: testing.Emulator) -> dict[str, dict[str, Any]]:
    """Everything the Close emulator holds of each number but its update time."""
    records = emu.numbers  # type: ignore[attr-defined]
    return {
        number_id: {k: v for k, v in attrs.asdict(record).items() if k != "date_updated"}
        for number_id, record in records.items()
    }


def test_a_change_set_rolled_back_after_a_restart_restores_the_vendor_exactly(
    served_close: tuple[testing.Emulator, Path, dict[str, str], str],
) -> None:
    """Applied by one process, rolled back through the API by the next (from the
    journal it left on disk): the emulator ends as it began, field for field (a parked
    Close forward_to included), each number written once each way."""
    emu, config, env, token = served_close
    headers = {"Authorization": f"Bearer {token}"}
    original = _close_state(emu)
    process, url = _serve_crm(config, env)
    try:
        plan = _plan_crm(url, headers, {"label": "Rolled", "forwarding_number": "+12025559999"})
        to_write = plan["summary"]["to_write"]
        assert to_write == len(original)  # the label differs on every number
        path = f"api/v1/changes/{plan['id']}"
        assert httpx.post(url + path + "/apply", headers=headers).status_code == 202
        applied = _job_once_not(url, path, headers, "applying")
        assert applied["state"] == "applied", applied["report"]
    finally:
        assert _stop(process)
    changed = _close_state(emu)
    assert {(r["label"], r["forward_to"], r["forward_to_enabled"]) for r in changed.values()} == {
        ("Rolled", "+12025559999", True)
    }
    applied_puts = Counter(r.path for r in emu.requests if r.method == "PUT")
    assert len(applied_puts) == to_write
    assert set(applied_puts.values()) == {1}
    emu.clear_requests()

    process, url = _serve_crm(config, env)
    try:
        # The new process knows the change set from the store, still applied.
        assert httpx.get(url + path, headers=headers).json()["state"] == "applied"
        started = httpx.post(url + path + "/rollback", headers=headers)
        assert started.status_code == 202, started.text
        done = _job_once_not(url, path, headers, "rolling_back")
        assert done["state"] == "rolled_back", done["report"]
        assert _close_state(emu) == original
        rollback_puts = Counter(r.path for r in emu.requests if r.method == "PUT")
        assert rollback_puts == applied_puts  # the same numbers, each once
        audit = httpx.get(url + "api/v1/audit?limit=1000", headers=headers).json()["items"]
        assert Counter((e["action"], e["outcome"]) for e in audit) == {
            ("change_set.apply", "written"): to_write,
            ("change_set.rollback", "written"): to_write,
        }
        # The inventory follows the rollback too.
        items = httpx.get(url + "api/v1/numbers?limit=1000", headers=headers).json()["items"]
        assert {i["id"]: i["label"] for i in items} == {
            number_id: record["label"] or None for number_id, record in original.items()
        }
    finally:
        assert _stop(process)
