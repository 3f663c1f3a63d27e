"""phonerouting against its peers, side by side in one run.

    python benchmarks/run.py            # full sizes (a few minutes)
    python benchmarks/run.py --quick    # tiny sizes: proves the script works (CI)

Prints a JSON document and a markdown table, with one line per comparison saying what
its numbers mean and, for a missed target, by how much and what dominated;
``--write-docs`` also puts them (and the Machine line) in docs/performance.md.

Every comparison interleaves its contenders finely in one process run (call by call in
a shuffled order, or in alternating segments) so machine noise hits them alike, and
reports medians and ratios. The emulator servers run in their own processes (so they
do not share the client's GIL), and their CPU use is reported for the latency, bulk
and migration comparisons, so a saturated emulator is called out instead of blamed on
the client. The library's own work per call is measured apart, against an in-process
mock transport, to show how much of any gap it can account for.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

import phonerouting as pr
from phonerouting import migration

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "performance.md"
KEY = "bench-key-0001"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- emulator servers


class Server:
    """An emulator served by ``python -m phonerouting.testing serve`` in a subprocess."""

    def __init__(self, provider: str, numbers: int, seed: int = 1, populate: float = 0.5) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "phonerouting.testing",
                "serve",
                "--provider",
                provider,
                "--numbers",
                str(numbers),
                "--seed",
                str(seed),
                "--api-key",
                KEY,
                "--populate",
                str(populate),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://"):
            raise RuntimeError(f"emulator did not start: {self.base_url!r}")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@contextmanager
def server(provider: str, numbers: int, **kw: Any) -> Iterator[Server]:
    s = Server(provider, numbers, **kw)
    try:
        yield s
    finally:
        s.stop()


def v3_ids(base_url: str, count: int) -> list[str]:
    with pr.connect("linq-v3", api_key=KEY, base_url=base_url) as client:
        return [n.id for _, n in zip(range(count), client.list_numbers(), strict=False)]


# ---------------------------------------------------------------- shared helpers


def _load() -> str:
    """The machine's 1-minute load average, to tell a quiet run from a shared one."""
    return f"{os.getloadavg()[0]:.2f}"


def _v3_body(number_id: str) -> dict[str, str]:
    return {"id": number_id, "phone_number": "+12025550100", "forwarding_number": "+12025559999"}


def library_work(calls: int) -> dict[str, float]:
    """What the library itself costs per forwarding update, in µs, sync and async.

    Both contenders go through the same in-process ``httpx.MockTransport``, so sockets,
    the emulator and the connection pool drop out and what is left of the difference
    is phonerouting's own work (validating the id, building the request, the retry
    wrapper, checking the status, decoding and normalizing the answer). It is measured
    in short alternating chunks and the fastest chunk of each side is kept, which is
    how a quiet machine would see it.
    """
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(100)]
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, json=_v3_body(request.url.path.rsplit("/", 1)[1]))
    )
    headers = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}
    update = pr.RoutingUpdate(forwarding_number="+12025559999")
    body = {"forwarding_number": "+12025559999"}
    chunk, chunks = 100, max(4, calls // 100)

    client = pr.connect("linq-v3", api_key=KEY, base_url="http://127.0.0.1:1", transport=transport)
    bare = httpx.Client(base_url="http://127.0.0.1:1", transport=transport, headers=headers)

    def ours(i: int) -> None:
        client.update_routing(ids[i % 100], update)

    def raw(i: int) -> None:
        response = bare.put(f"/v3/phone_numbers/{ids[i % 100]}", json=body)
        response.raise_for_status()
        response.json()

    best = {"ours": float("inf"), "raw": float("inf")}
    for c in range(chunks):
        for name, fn in (("ours", ours), ("raw", raw))[:: 1 if c % 2 else -1]:
            start = time.perf_counter()
            for i in range(chunk):
                fn(i)
            best[name] = min(best[name], (time.perf_counter() - start) / chunk)
    client.close()
    bare.close()

    async def run_async() -> dict[str, float]:
        aclient = pr.connect_async(
            "linq-v3", api_key=KEY, base_url="http://127.0.0.1:1", transport=transport
        )
        abare = httpx.AsyncClient(
            base_url="http://127.0.0.1:1", transport=transport, headers=headers
        )

        async def aours(i: int) -> None:
            await aclient.update_routing(ids[i % 100], update)

        async def araw(i: int) -> None:
            response = await abare.put(f"/v3/phone_numbers/{ids[i % 100]}", json=body)
            response.raise_for_status()
            response.json()

        abest = {"ours": float("inf"), "raw": float("inf")}
        for c in range(chunks):
            for name, fn in (("ours", aours), ("raw", araw))[:: 1 if c % 2 else -1]:
                start = time.perf_counter()
                for i in range(chunk):
                    await fn(i)
                abest[name] = min(abest[name], (time.perf_counter() - start) / chunk)
        await aclient.close()
        await abare.aclose()
        return abest

    abest = asyncio.run(run_async())
    return {
        "sync_us": (best["ours"] - best["raw"]) * 1e6,
        "async_us": (abest["ours"] - abest["raw"]) * 1e6,
        "bare_sync_us": best["raw"] * 1e6,
        "bare_async_us": abest["raw"] * 1e6,
    }


# ---------------------------------------------------------------- 1. latency


def bench_latency(calls: int, rounds: int) -> dict[str, Any]:
    """Per-call latency, the three contenders interleaved call by call.

    Each call index runs all three back to back, in an order shuffled afresh for each
    index, so a burst of load from elsewhere on the machine lands on all three alike
    instead of on whichever block of calls it happened to overlap.
    """
    from linq import LinqAPIV3

    with server("linq-v3", 200) as srv:
        ids = v3_ids(srv.base_url, 200)
        client = pr.connect("linq-v3", api_key=KEY, base_url=srv.base_url)
        update = pr.RoutingUpdate(forwarding_number="+12025559999")
        bare = httpx.Client(
            base_url=srv.base_url,
            headers={"Authorization": f"Bearer {KEY}", "Accept": "application/json"},
        )
        official = LinqAPIV3(api_key=KEY, base_url=srv.base_url)

        def ours(i: int) -> None:
            client.update_routing(ids[i % len(ids)], update)

        def raw(i: int) -> None:
            # The same PUT, the status checked and the JSON answer decoded, as the
            # library must; it does not build a model object or validate anything.
            response = bare.put(
                f"/v3/phone_numbers/{ids[i % len(ids)]}", json={"forwarding_number": "+12025559999"}
            )
            response.raise_for_status()
            response.json()

        def linq(i: int) -> None:
            official.phone_numbers.update(ids[i % len(ids)], forwarding_number="+12025559999")

        contenders: list[tuple[str, Callable[[int], None]]] = [
            ("phonerouting", ours),
            ("bare httpx", raw),
            ("linq-python", linq),
        ]
        samples: dict[str, list[float]] = {name: [] for name, _ in contenders}
        for _, fn in contenders:  # warm the connections
            for i in range(20):
                fn(i)
        # A shuffled order, not a rotating one: rotating a fixed cycle keeps who runs
        # right after whom, so one contender would nearly always follow linq-python
        # and pay for the caches it left cold.
        shuffler = random.Random(5)  # noqa: S311 - an order, not a secret
        cpu0, wall0 = srv.cpu_seconds(), time.perf_counter()
        for i in range(calls * rounds):
            order = contenders[:]
            shuffler.shuffle(order)
            for name, fn in order:
                start = time.perf_counter()
                fn(i)
                samples[name].append(time.perf_counter() - start)
        busy = (srv.cpu_seconds() - cpu0) / (time.perf_counter() - wall0)
        client.close()
        bare.close()
        official.close()
    med = {name: statistics.median(v) * 1e6 for name, v in samples.items()}
    return {
        "calls_each": calls * rounds,
        "median_us": med,
        "ratio_vs_bare": med["phonerouting"] / med["bare httpx"],
        "ratio_vs_linq": med["phonerouting"] / med["linq-python"],
        "emulator_cpu_share": busy,
        "emulator_is_bottleneck": busy > 0.9,
        "target": "phonerouting <= 1.10x bare httpx, and faster than linq-python",
        "met": med["phonerouting"] <= 1.10 * med["bare httpx"]
        and med["phonerouting"] < med["linq-python"],
    }


# ---------------------------------------------------------------- 2. bulk async


async def _bulk(run: Callable[[int], Awaitable[None]], total: int, concurrency: int) -> float:
    """Send ``total`` requests through ``run`` from ``concurrency`` workers; seconds taken."""
    queue = iter(range(total))

    async def worker() -> None:
        for i in queue:
            await run(i)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start


def bench_bulk(total: int, concurrency: int, rounds: int, segment: int) -> dict[str, Any]:
    """Bulk throughput: ``total`` updates per contender per round, in alternating segments.

    A round of 10,000 takes about 20 s per contender here, long enough for another
    process's test run to start or stop in the middle of one contender's turn. So each
    round is cut into segments of ``segment`` requests that alternate between the two
    (in ABBA order), and a round's throughput is its ``total`` over the sum of its
    segments' times: the two see the same machine, to within a few seconds.
    """

    async def main(base_url: str, srv: Server) -> dict[str, Any]:
        ids = v3_ids(base_url, 1000)
        update = pr.RoutingUpdate(forwarding_number="+12025559999")
        names = ("phonerouting", "bare httpx")
        throughput: dict[str, list[float]] = {name: [] for name in names}
        client_cpu: dict[str, list[float]] = {name: [] for name in names}  # µs/request
        server_busy: list[float] = []
        async with (
            pr.connect_async("linq-v3", api_key=KEY, base_url=base_url) as client,
            httpx.AsyncClient(
                base_url=base_url,
                headers={"Authorization": f"Bearer {KEY}", "Accept": "application/json"},
            ) as bare,
        ):

            async def ours(i: int) -> None:
                await client.update_routing(ids[i % len(ids)], update)

            async def raw(i: int) -> None:
                # The same PUT, status check and JSON decoding as the library does.
                response = await bare.put(
                    f"/v3/phone_numbers/{ids[i % len(ids)]}",
                    json={"forwarding_number": "+12025559999"},
                )
                response.raise_for_status()
                response.json()

            fns = {"phonerouting": ours, "bare httpx": raw}
            for fn in fns.values():  # open every connection of both pools
                await _bulk(fn, 4 * concurrency, concurrency)
            for r in range(rounds):
                seconds = dict.fromkeys(names, 0.0)
                cpu = dict.fromkeys(names, 0.0)
                for s in range(total // segment):
                    order = names if (r + s) % 2 == 0 else names[::-1]
                    for name in order:
                        cpu0, server0 = time.process_time(), srv.cpu_seconds()
                        took = await _bulk(fns[name], segment, concurrency)
                        seconds[name] += took
                        cpu[name] += time.process_time() - cpu0
                        server_busy.append((srv.cpu_seconds() - server0) / took)
                for name in names:
                    throughput[name].append(total // segment * segment / seconds[name])
                    client_cpu[name].append(cpu[name] / (total // segment * segment) * 1e6)
        med = {name: statistics.median(v) for name, v in throughput.items()}
        # The ratio is taken round by round, each round's two throughputs having been
        # measured on the same stretch of time, and the median of those kept.
        ratios = [
            ours / bare
            for ours, bare in zip(throughput["phonerouting"], throughput["bare httpx"], strict=True)
        ]
        cpu_us = {name: statistics.median(client_cpu[name]) for name in names}
        busy = max(server_busy)
        return {
            "requests": total,
            "concurrency": concurrency,
            "rounds": rounds,
            "segment": segment,
            "median_per_second": med,
            "round_ratios": ratios,
            "ratio_vs_bare": statistics.median(ratios),
            "client_cpu_us_per_request": cpu_us,
            "client_cpu_us_per_request_by_round": client_cpu,
            # Client CPU over wall time: near 1.0 means the client's one event loop
            # thread is saturated, i.e. the client side (httpx + library) is the limit.
            "client_cpu_share": {name: cpu_us[name] * med[name] / 1e6 for name in names},
            "emulator_cpu_share": busy,
            "emulator_is_bottleneck": busy > 0.9,
            "target": "phonerouting >= 0.90x bare httpx throughput",
            "met": statistics.median(ratios) >= 0.90,
        }

    with server("linq-v3", 1000) as srv:
        return asyncio.run(main(srv.base_url, srv))


# ---------------------------------------------------------------- 3. migration


class _NoJournal:
    """Stands in for the SQLite journal to measure what journaling costs."""

    def __init__(self, steps: list[Any]) -> None:
        self._steps = steps

    @classmethod
    def open(cls, path: Any, *, durable: bool = False) -> _NoJournal:
        return cls([])

    def start(self, meta: Any, steps: list[Any]) -> bool:
        from phonerouting.migration.journal import Step

        self._steps = [Step(n, t, p, d, "planned", None, None, 0) for n, t, p, d in steps]
        return True

    def steps(self, *states: str) -> list[Any]:
        return list(self._steps)

    def counts(self) -> dict[str, int]:
        return {"planned": len(self._steps)}

    def mark(self, *args: Any, **kwargs: Any) -> None:
        return None

    def meta(self) -> dict[str, str]:
        return {}

    def close(self) -> None:
        return None


def bench_migration(numbers: int, rounds: int) -> dict[str, Any]:
    from phonerouting.migration import engine

    async def main(old: Server, new: Server) -> dict[str, Any]:
        old_url, new_url = old.base_url, new.base_url
        rates: dict[str, list[float]] = {"with journal": [], "without journal": []}
        busy: list[float] = []
        async with (
            pr.connect_async("linq-v2", api_key=KEY, base_url=old_url) as src,
            pr.connect_async("linq-v3", api_key=KEY, base_url=new_url) as dst,
        ):
            plan = await migration.plan(src, dst)
            original = [n async for n in dst.list_numbers()]
            # Every run writes every number: runs alternate between the migration and
            # its way back, since a number that already holds the values is confirmed
            # without a write (compare before write) and would measure nothing.
            plans = [plan, plan]
            real = engine.Journal
            with tempfile.TemporaryDirectory() as folder:
                for r in range(rounds):
                    for name in list(rates)[:: 1 if r % 2 == 0 else -1]:
                        engine.Journal = real if name == "with journal" else _NoJournal  # type: ignore[misc]
                        # Alternate which goes first, so neither always runs on the
                        # heels of the other's SQLite writes.
                        runs = sum(len(v) for v in rates.values())
                        cpu0 = old.cpu_seconds() + new.cpu_seconds()
                        start = time.perf_counter()
                        report = await migration.apply(
                            plans[runs % 2],
                            dst,
                            journal=Path(folder) / f"j{r}-{len(rates[name])}.sqlite",
                            concurrency=32,
                        )
                        took = time.perf_counter() - start
                        assert report.written == len(plan.to_write), report
                        if runs == 0:
                            now = [n async for n in dst.list_numbers()]
                            caps = dst.capabilities
                            plans[1] = migration.make_plan(original, now, caps, caps)
                        rates[name].append(report.written / took)
                        busy.append((old.cpu_seconds() + new.cpu_seconds() - cpu0) / took)
            engine.Journal = real  # type: ignore[misc]
        med = {k: statistics.median(v) for k, v in rates.items()}
        return {
            "numbers": len(plan.to_write),
            "median_per_second": med,
            "journal_cost": 1 - med["with journal"] / med["without journal"],
            # Both emulators together: they are separate processes, each on one core,
            # and only the v3 one is written to during the apply.
            "emulator_cpu_share": max(busy),
            "emulator_is_bottleneck": max(busy) > 0.9,
        }

    with (
        server("linq-v2", numbers, seed=3, populate=1.0) as old,
        server("linq-v3", numbers, seed=3, populate=0.0) as new,
    ):
        return asyncio.run(main(old, new))


# ---------------------------------------------------------------- 4. import time


def _import_seconds(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(done.stdout)


def bench_import(runs: int) -> dict[str, Any]:
    samples: dict[str, list[float]] = {"phonerouting": [], "linq": []}
    for _ in range(runs):
        for module in samples:
            samples[module].append(_import_seconds(module))
    med = {k: statistics.median(v) * 1000 for k, v in samples.items()}
    return {
        "median_ms": med,
        "ratio": med["phonerouting"] / med["linq"],
        "target": "at most half of linq-python's",
        "met": med["phonerouting"] <= 0.5 * med["linq"],
    }


# ---------------------------------------------------------------- 5. memory

# Run in a fresh interpreter per measurement. Not getrusage(): Linux keeps ru_maxrss
# across fork and exec, so a probe started by this (large) benchmark process would
# report the parent's peak as its own and hide the listing's growth. VmHWM and VmRSS in
# /proc/self/status belong to the probe's own address space, which exec starts afresh;
# writing "5" to clear_refs then resets VmHWM to the current RSS, so the peak measured
# is the listing's and not that of the imports before it.
_PROBE = """
import json, sys, time

def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field)

import phonerouting as pr

client = pr.connect("linq-v3", api_key=sys.argv[2], base_url=sys.argv[1], timeout=120)
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    reset = True
except OSError:
    reset = False
before = status("VmRSS")
hwm_before = status("VmHWM")
start = time.perf_counter()
numbers = list(client.list_numbers())
elapsed = time.perf_counter() - start
peak = status("VmHWM")
print(json.dumps({
    "numbers": len(numbers), "rss_before": before, "hwm_before": hwm_before,
    "peak": peak, "hwm_reset": reset, "seconds": elapsed,
}))
"""


def _probe(base_url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, base_url, KEY],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def bench_memory(sizes: list[int], repeats: int) -> dict[str, Any]:
    """Peak RSS of a fresh process listing and normalizing ``sizes`` numbers, each from
    one response: its absolute peak (the target) and its growth over the RSS before the
    listing (for linearity). Each size is probed ``repeats`` times; the median is kept."""
    rows = []
    for size in sizes:
        with server("linq-v3", size, seed=5) as srv:
            probes = [_probe(srv.base_url) for _ in range(repeats)]
        peak = statistics.median(p["peak"] for p in probes)
        growth = statistics.median(p["peak"] - p["rss_before"] for p in probes)
        rows.append(
            {
                "numbers": probes[0]["numbers"],
                "peak_mb": peak / 2**20,
                "rss_before_mb": statistics.median(p["rss_before"] for p in probes) / 2**20,
                "growth_mb": growth / 2**20,
                "growth_bytes_per_number": growth / probes[0]["numbers"],
                "hwm_reset": all(p["hwm_reset"] for p in probes),
                "seconds": statistics.median(p["seconds"] for p in probes),
            }
        )
    per_number = [r["growth_bytes_per_number"] for r in rows]
    largest = rows[-1]
    # The target is for 100,000 numbers; a run at other sizes is held to the same
    # budget minus the interpreter's baseline, scaled to the count.
    budget = (
        largest["rss_before_mb"] + (250 - largest["rss_before_mb"]) * largest["numbers"] / 100_000
    )
    linear = max(per_number) <= 1.25 * min(per_number)
    return {
        "runs": rows,
        "growth_bytes_per_number": per_number,
        "linear": linear,
        "budget_mb": budget,
        "target": "absolute peak under 250 MB for 100,000 numbers, growth linear in the count",
        "met": largest["peak_mb"] < budget and linear,
    }


# ---------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    """What the numbers were measured on, for the table's Machine line."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " ".join(line.split(":", 1)[1].split())
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "httpx": httpx.__version__,
        "system": f"{platform.system()} {platform.release()}",
        "load_at_start": _load(),
    }


def _emulator(share: float) -> str:
    verdict = "**the emulator was the bottleneck**" if share > 0.9 else "not the bottleneck"
    return f"emulator at {share * 100:.0f}% of one core ({verdict})"


def accounts(results: dict[str, Any]) -> list[str]:
    """One line per comparison on what its numbers mean, and for every target that was
    missed, by how much and what dominated."""
    lat, bulk, mig, imp, mem = (
        results[k] for k in ("latency", "bulk", "migration", "import", "memory")
    )
    work = results["library_work"]
    load = (
        f"load average {results['machine']['load_at_start']} → {results['machine']['load_at_end']}"
    )
    load += f" on {results['machine']['cpus']} cores"
    lines = []

    us = lat["median_us"]
    share = work["sync_us"] / us["bare httpx"] * 100
    line = (
        f"1. Latency: phonerouting {lat['ratio_vs_bare']:.2f}× bare httpx "
        f"({us['phonerouting'] - us['bare httpx']:+.0f} µs), "
        f"{_emulator(lat['emulator_cpu_share'])}. "
        f"The library's own work is {work['sync_us']:.0f} µs a call ({share:.1f}% of bare "
        "httpx's latency) measured warm against an in-process mock transport; between "
        "interleaved calls the same work runs with colder caches and costs more"
    )
    if not lat["met"]:
        if lat["ratio_vs_bare"] > 1.10:
            line += (
                "; **target not met**: the gap is larger than the library's own work, so "
                f"the rest is cold caches, noise or contention from other processes ({load})"
            )
            if lat["emulator_is_bottleneck"]:
                line += " and the emulator, which was saturated"
        if us["phonerouting"] >= us["linq-python"]:
            line += "; **target not met**: not faster than linq-python"
    lines.append(line + ".")

    cpu = bulk["client_cpu_us_per_request"]
    rounds = ", ".join(f"{r:.2f}" for r in bulk["round_ratios"])
    extra = cpu["phonerouting"] - cpu["bare httpx"]
    by_round = bulk["client_cpu_us_per_request_by_round"]
    spread = "; ".join(
        f"{name} " + "/".join(f"{v:.0f}" for v in by_round[name]) for name in by_round
    )
    line = (
        f"2. Bulk: phonerouting {bulk['ratio_vs_bare']:.2f}× bare httpx throughput "
        f"(rounds: {rounds}), {_emulator(bulk['emulator_cpu_share'])}. The client process is "
        f"CPU-bound ({bulk['client_cpu_share']['bare httpx'] * 100:.0f}% of a core for bare "
        f"httpx), almost all of it in httpx's async connection pool, which both pay: "
        f"{cpu['bare httpx']:.0f} µs of client CPU per request for bare httpx and "
        f"{cpu['phonerouting']:.0f} µs for phonerouting ({extra:+.0f} µs), against "
        f"{work['async_us']:.0f} µs of the library's own work measured apart; "
        f"per round the CPU was {spread} µs"
    )
    if not bulk["met"]:
        expected = work["async_us"] / cpu["bare httpx"]
        line += (
            f"; **target not met**: the library's own work accounts for a {expected * 100:.0f}% "
            f"drop, so the rest of the {(1 - bulk['ratio_vs_bare']) * 100:.0f}% gap is noise "
            f"from other processes ({load})"
        )
        if bulk["emulator_is_bottleneck"]:
            line += " and a saturated emulator"
    lines.append(line + ".")

    lines.append(
        f"3. Migration: the journal costs {mig['journal_cost'] * 100:.1f}% of throughput; "
        f"the v2 and v3 emulators together at {mig['emulator_cpu_share'] * 100:.0f}% of one "
        + (
            "core (**the bottleneck**)."
            if mig["emulator_is_bottleneck"]
            else "core (not the bottleneck)."
        )
    )

    line = f"4. Import: {imp['ratio']:.2f}× linq-python's import time"
    if not imp["met"]:
        line += f"; **target not met** (the target is at most 0.5×; {load})"
    lines.append(line + ".")

    last = mem["runs"][-1]
    per = ", ".join(f"{b:.0f}" for b in mem["growth_bytes_per_number"])
    line = (
        f"5. Memory: a fresh process peaks at {last['peak_mb']:.0f} MB listing "
        f"{last['numbers']:,} numbers ({last['rss_before_mb']:.0f} MB of it there before the "
        f"listing); growth per number {per} bytes across the sizes"
    )
    if not mem["met"]:
        if last["peak_mb"] >= mem["budget_mb"]:
            line += f"; **target not met**: the peak is over {mem['budget_mb']:.0f} MB"
        if not mem["linear"]:
            line += "; **target not met**: growth per number varies by more than 25%"
    lines.append(line + ".")
    return lines


def table(results: dict[str, Any]) -> str:
    """The markdown for docs/performance.md: machine, table of the five comparisons,
    and what the numbers mean."""
    lat, bulk, mig, imp, mem = (
        results[k] for k in ("latency", "bulk", "migration", "import", "memory")
    )
    ok = {True: "met", False: "**not met**"}
    us, per_s = lat["median_us"], bulk["median_per_second"]
    mig_rate, ms = mig["median_per_second"], imp["median_ms"]
    last = mem["runs"][-1]
    sizes = "growth " + ", ".join(f"{r['numbers']:,}: {r['growth_mb']:.0f} MB" for r in mem["runs"])
    rows = [
        (
            "1. one forwarding update, warm connection (median)",
            f"{us['phonerouting']:.0f} µs",
            f"bare httpx {us['bare httpx']:.0f} µs; linq-python {us['linq-python']:.0f} µs",
            f"{lat['ratio_vs_bare']:.2f}× bare, {lat['ratio_vs_linq']:.2f}× linq",
            "≤ 1.10× bare, < linq",
            ok[lat["met"]],
        ),
        (
            f"2. {bulk['requests']:,} async updates, concurrency {bulk['concurrency']}",
            f"{per_s['phonerouting']:.0f}/s",
            f"bare httpx {per_s['bare httpx']:.0f}/s",
            f"{bulk['ratio_vs_bare']:.2f}× (median of {bulk['rounds']} paired round"
            + ("s)" if bulk["rounds"] != 1 else ")"),
            "≥ 0.90×",
            ok[bulk["met"]],
        ),
        (
            f"3. migration apply of {mig['numbers']:,} numbers (v2 → v3)",
            f"{mig_rate['with journal']:.0f}/s with journal",
            f"{mig_rate['without journal']:.0f}/s without",
            f"journal costs {mig['journal_cost'] * 100:.1f}%",
            "(reported)",
            "",
        ),
        (
            "4. `import` time (median of fresh processes)",
            f"{ms['phonerouting']:.0f} ms",
            f"linq {ms['linq']:.0f} ms",
            f"{imp['ratio']:.2f}×",
            "≤ 0.5×",
            ok[imp["met"]],
        ),
        (
            f"5. peak memory listing {last['numbers']:,} numbers from one response",
            f"{last['peak_mb']:.0f} MB peak RSS (fresh process)",
            sizes,
            "linear" if mem["linear"] else "not linear",
            f"< {mem['budget_mb']:.0f} MB, linear",
            ok[mem["met"]],
        ),
    ]
    m = results["machine"]
    lines = [
        f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['system']}, Python {m['python']}, "
        f"httpx {m['httpx']}; load average {m['load_at_start']} at the start of the run and "
        f"{m['load_at_end']} at the end.",
        "",
        "| comparison | phonerouting | peer | ratio | target | |",
        "|---|---|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
        *(f"* {line}" for line in accounts(results)),
    ]
    return "\n".join(lines) + "\n"


def write_docs(markdown: str) -> None:
    """Replace what is between the results markers of docs/performance.md."""
    text = DOCS.read_text()
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    DOCS.write_text(f"{head}{start}\n{markdown}{end}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke run)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    parser.add_argument("--json", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    q = args.quick
    results: dict[str, Any] = {"machine": machine()}
    results["library_work"] = library_work(calls=400 if q else 6000)
    results["latency"] = bench_latency(calls=20 if q else 300, rounds=2 if q else 7)
    results["bulk"] = bench_bulk(
        total=200 if q else 10_000,
        concurrency=64,
        rounds=1 if q else 3,
        segment=100 if q else 1000,
    )
    results["migration"] = bench_migration(numbers=100 if q else 10_000, rounds=1 if q else 3)
    results["import"] = bench_import(runs=3 if q else 15)
    results["memory"] = bench_memory(
        [1000, 2000] if q else [25_000, 50_000, 100_000], repeats=1 if q else 3
    )
    results["machine"]["load_at_end"] = _load()
    markdown = table(results)
    print(json.dumps(results, indent=2))
    print()
    print(markdown)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if args.write_docs:
        write_docs(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
