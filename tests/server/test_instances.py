"""Two `phonerouting serve` processes on one PostgreSQL database, as behind a load
balancer: a change set applied through one is seen running from the other and cannot
be applied again through either (409), every write is audited once whichever instance
made it, refreshes asked of both at once read the vendor once, and a web session made
by one instance is the other's too."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from phonerouting import testing
from phonerouting.server.service import _PROCESS, Service
from phonerouting.store import PostgresStore, Session
from tests.server.conftest import Waits, build
from tests.server.test_process import _start, _stop, _wait_for, serving_close

SCRIPT = Path(sys.executable).parent / "phonerouting"
pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def two_instances(
    postgres_url: str, tmp_path: Path
) -> Iterator[tuple[testing.Emulator, list[str], dict[str, str]]]:
    with serving_close(tmp_path, postgres_url, numbers=40, seed=11) as served:
        emu, config, env, token = served
        processes: list[subprocess.Popen[str]] = []
        try:
            urls = []
            for _ in range(2):
                process, url = _start(["--config", str(config), "--port", "0"], env)
                processes.append(process)
                urls.append(url)
            for url in urls:
                _wait_for(lambda url=url: httpx.get(url + "readyz").status_code == 200)
            yield emu, urls, {"Authorization": f"Bearer {token}"}
        finally:
            stopped = [_stop(p) for p in processes]
            assert stopped == [True, True]  # each ended cleanly, no traceback


def _lists(emu: testing.Emulator) -> int:
    return sum(
        1 for r in emu.requests if r.method == "GET" and r.path.rstrip("/").endswith("phone_number")
    )


def test_a_change_set_runs_once_whichever_instance_is_asked(
    two_instances: tuple[testing.Emulator, list[str], dict[str, str]],
) -> None:
    emu, (one, other), headers = two_instances
    # Started one after the other, the second found the inventory fresh: one read.
    assert _lists(emu) == 1
    assert httpx.get(other + "api/v1/numbers?account=crm&limit=100", headers=headers).json()[
        "items"
    ]

    plan = httpx.post(
        one + "api/v1/changes",
        headers=headers,
        json={"selection": {"accounts": ["crm"]}, "update": {"label": "Shared"}},
    ).json()
    to_write = plan["summary"]["to_write"]
    assert to_write > 10
    emu.faults.delay(0.1, count=None, method="PUT")  # slow enough to be seen running
    started = httpx.post(one + f"api/v1/changes/{plan['id']}/apply", headers=headers)
    assert started.status_code == 202
    seen = httpx.get(other + f"api/v1/changes/{plan['id']}", headers=headers).json()
    assert seen["state"] == "applying"
    for url in (other, one):
        again = httpx.post(url + f"api/v1/changes/{plan['id']}/apply", headers=headers)
        assert again.status_code == 409
        assert again.json()["detail"].startswith(f"{plan['id']} is applying")
    done = _wait_for(
        lambda: (
            job
            if (job := httpx.get(other + f"api/v1/changes/{plan['id']}", headers=headers).json())[
                "state"
            ]
            != "applying"
            else None
        )
    )
    assert done["state"] == "applied", done["report"]
    emu.faults.clear()
    puts = Counter(r.path for r in emu.requests if r.method == "PUT")
    assert len(puts) == to_write
    assert set(puts.values()) == {1}  # no number written twice
    assert {n.label for n in emu.numbers.values()} == {"Shared"}  # type: ignore[attr-defined]

    # The audit, asked of either instance, holds every write once.
    trails = [
        httpx.get(url + "api/v1/audit?limit=1000", headers=headers).json()["items"]
        for url in (one, other)
    ]
    assert trails[0] == trails[1]
    applied = [e for e in trails[0] if e["action"] == "change_set.apply"]
    assert {e["job"] for e in applied} == {plan["id"]}
    written = Counter(e["number_id"] for e in applied if e["outcome"] == "written")
    assert len(written) == to_write
    assert set(written.values()) == {1}
    assert [e["seq"] for e in trails[0]] == sorted({e["seq"] for e in trails[0]})

    # Both instances asked to refresh at once: one reads the vendor, the other waits
    # for that read and answers from it.
    emu.faults.delay(0.5, count=None, method="GET")
    lists = _lists(emu)
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda url: httpx.post(
                    url + "api/v1/accounts/crm/refresh", headers=headers, timeout=30
                ),
                (one, other),
            )
        )
    emu.faults.clear()
    assert [a.status_code for a in answers] == [200, 200]
    assert _lists(emu) == lists + 1


async def test_a_session_made_by_one_instance_is_the_others(postgres_url: str) -> None:
    one, other = PostgresStore(postgres_url), PostgresStore(postgres_url)
    await one.open()
    await other.open()
    try:
        session = Session(
            "sess-" + "7" * 40, "ops", datetime.now(UTC), datetime.now(UTC) + timedelta(hours=1)
        )
        await one.save_session(session)
        assert await other.get_session(session.id) == session
        await other.delete_session(session.id)
        assert await one.get_session(session.id) is None
    finally:
        await one.close()
        await other.close()


async def test_a_lease_of_a_killed_process_of_this_machine_is_taken_over_at_once(
    where: str, tmp_path: Path, waits: Waits
) -> None:
    # A restart after a kill (SIGKILL, a crash) resumes its runs at once, not once its
    # leases expire; a lease of another machine's instance is left to run out.
    ended = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(ended.stdout)
    machine = _PROCESS.rpartition(":")[0]
    service = Service(build(tmp_path, waits, where=where).config)
    store = service.store
    await store.open()
    try:
        await store.take_lease("job:killed", f"{machine}:{pid}:0001", 30)
        await store.take_lease("job:elsewhere", f"other-host:4026531836:{pid}:0001", 30)
        await store.take_lease("job:mine", f"{_PROCESS}:0001", 30)  # this process: alive
        async with service._leased("job:killed") as taken:
            assert taken is True
            assert await store.lease_holder("job:killed") == service.instance
        assert await store.lease_holder("job:killed") is None  # released after
        for name in ("job:elsewhere", "job:mine"):
            async with service._leased(name) as taken:
                assert taken is False
        assert await store.lease_holder("job:mine") == f"{_PROCESS}:0001"
    finally:
        await store.close()
