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

    def __init__(
        self,
        provider: str,
        numbers: int,
        seed: int = 1,
        populate: float = 0.5,
        key: str = KEY,
    ) -> None:
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
                key,
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
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        """Stop the server and wait for it."""
        self.process.terminate()
        self.process.wait(timeout=30)


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU time of process ``pid`` so far (with ``children``, also that of
    its children that ended and were waited for)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    used = int(fields[11]) + int(fields[12])
    if children:
        used += int(fields[13]) + int(fields[14])
    return used / CLOCK_TICKS


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
        "target": "phonerouting <= 1.05x bare httpx, and faster than linq-python",
        "met": med["phonerouting"] <= 1.05 * med["bare httpx"]
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


BULK = ("phonerouting", "bare aiohttp", "bare httpx")


def bench_bulk(total: int, concurrency: int, rounds: int, segment: int) -> dict[str, Any]:
    """Bulk throughput of three contenders: phonerouting's async client (on aiohttp, its
    default), a bare ``aiohttp.ClientSession`` and a bare ``httpx.AsyncClient``, each
    sending ``total`` updates per round from ``concurrency`` workers.

    A round takes long enough (bare httpx is the slow one) for another process's test
    run to start or stop in the middle of one contender's turn. So each round is cut
    into segments of ``segment`` requests that rotate between the three (the order
    rotated and reversed from segment to segment), and a round's throughput is its
    ``total`` over the sum of its segments' times: all three see the same machine, to
    within a few seconds. The client CPU per request (``time.process_time``) is
    reported too: on a shared machine it is steadier than wall time.
    """
    import aiohttp

    async def main(base_url: str, srv: Server) -> dict[str, Any]:
        ids = v3_ids(base_url, 1000)
        update = pr.RoutingUpdate(forwarding_number="+12025559999")
        body = {"forwarding_number": "+12025559999"}
        headers = {"Authorization": f"Bearer {KEY}", "Accept": "application/json"}
        throughput: dict[str, list[float]] = {name: [] for name in BULK}
        client_cpu: dict[str, list[float]] = {name: [] for name in BULK}  # µs/request
        server_busy: dict[str, list[float]] = {name: [] for name in BULK}
        async with (
            pr.connect_async("linq-v3", api_key=KEY, base_url=base_url) as client,
            aiohttp.ClientSession(headers=headers) as session,
            httpx.AsyncClient(base_url=base_url, headers=headers) as bare,
        ):

            async def ours(i: int) -> None:
                await client.update_routing(ids[i % len(ids)], update)

            async def raw_aiohttp(i: int) -> None:
                # The same PUT, status check and JSON decoding as the library does.
                url = f"{base_url}/v3/phone_numbers/{ids[i % len(ids)]}"
                async with session.put(url, json=body) as response:
                    response.raise_for_status()
                    await response.json()

            async def raw_httpx(i: int) -> None:
                response = await bare.put(f"/v3/phone_numbers/{ids[i % len(ids)]}", json=body)
                response.raise_for_status()
                response.json()

            fns = {"phonerouting": ours, "bare aiohttp": raw_aiohttp, "bare httpx": raw_httpx}
            for fn in fns.values():  # open every connection of the three pools
                await _bulk(fn, min(4 * concurrency, total), concurrency)
            for r in range(rounds):
                seconds = dict.fromkeys(BULK, 0.0)
                cpu = dict.fromkeys(BULK, 0.0)
                for s in range(total // segment):
                    shift = (r + s) % len(BULK)
                    order = BULK[shift:] + BULK[:shift]
                    for name in order if s % 2 == 0 else order[::-1]:
                        cpu0, server0 = time.process_time(), srv.cpu_seconds()
                        took = await _bulk(fns[name], segment, concurrency)
                        seconds[name] += took
                        cpu[name] += time.process_time() - cpu0
                        server_busy[name].append((srv.cpu_seconds() - server0) / took)
                for name in BULK:
                    throughput[name].append(total // segment * segment / seconds[name])
                    client_cpu[name].append(cpu[name] / (total // segment * segment) * 1e6)
        med = {name: statistics.median(v) for name, v in throughput.items()}
        # Ratios are taken round by round, each round's throughputs having been
        # measured on the same stretch of time, and the median of those kept.
        ours_, aio, hx = (throughput[name] for name in BULK)
        vs_aiohttp = [o / a for o, a in zip(ours_, aio, strict=True)]
        vs_httpx = [o / h for o, h in zip(ours_, hx, strict=True)]
        cpu_us = {name: statistics.median(client_cpu[name]) for name in BULK}
        busy = {name: max(v) for name, v in server_busy.items()}
        ratio_aiohttp, ratio_httpx = statistics.median(vs_aiohttp), statistics.median(vs_httpx)
        return {
            "requests": total,
            "concurrency": concurrency,
            "rounds": rounds,
            "segment": segment,
            "median_per_second": med,
            "round_ratios_vs_aiohttp": vs_aiohttp,
            "round_ratios_vs_httpx": vs_httpx,
            "ratio_vs_aiohttp": ratio_aiohttp,
            "ratio_vs_httpx": ratio_httpx,
            "client_cpu_us_per_request": cpu_us,
            "client_cpu_us_per_request_by_round": client_cpu,
            # Client CPU over wall time: near 1.0 means the client's one event loop
            # thread is saturated, i.e. the client side is the limit.
            "client_cpu_share": {name: cpu_us[name] * med[name] / 1e6 for name in BULK},
            "emulator_cpu_share_by_contender": busy,
            "emulator_cpu_share": max(busy.values()),
            "emulator_is_bottleneck": max(busy["phonerouting"], busy["bare aiohttp"]) > 0.9,
            "target": "phonerouting >= 0.6x bare aiohttp and >= 4x bare httpx throughput",
            "met": ratio_aiohttp >= 0.6 and ratio_httpx >= 4.0,
        }

    with server("linq-v3", 1000) as srv:
        return asyncio.run(main(srv.base_url, srv))


# ---------------------------------------------------------------- 3. migration


#: The migration's variants: the SQLite journal and the compare-before-write reads
#: (what a user runs), the reads with an in-memory journal, and neither (an in-memory
#: journal, each number's read served from a listing taken before the run).
VARIANTS = ("journal + reads", "reads only", "neither")


@contextlib.contextmanager
def _reads_from(listing: dict[str, pr.PhoneNumber] | None) -> Iterator[None]:
    """With a listing, every compare-before-write read of an apply is served from it (no
    request: what the engine trusted before it read just before each write); with
    None, the engine reads as it does."""
    from phonerouting.migration import engine

    real = engine._Reader.current

    async def from_listing(self: Any, target_id: str) -> Any:
        assert listing is not None
        found = listing.get(target_id)
        return None if found is None else engine._Read(found, engine._clock())

    if listing is not None:
        engine._Reader.current = from_listing  # type: ignore[method-assign]
    try:
        yield
    finally:
        engine._Reader.current = real  # type: ignore[method-assign]


@contextlib.contextmanager
def _counting_listings(counter: list[int]) -> Iterator[None]:
    """Counts the engine's whole-account listings (its reads of a vendor without a
    per-number read, and a rollback's first read) into ``counter[0]``."""
    from phonerouting.migration import engine

    real = engine._collect

    async def counted(client: Any) -> list[pr.PhoneNumber]:
        counter[0] += 1
        return await real(client)

    engine._collect = counted  # type: ignore[assignment]
    try:
        yield
    finally:
        engine._collect = real  # type: ignore[assignment]


def bench_migration(numbers: int, rounds: int) -> dict[str, Any]:
    from phonerouting.migration.journal import MemoryJournal

    async def main(old: Server, new: Server) -> dict[str, Any]:
        old_url, new_url = old.base_url, new.base_url
        rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
        listings: dict[str, list[int]] = {name: [] for name in VARIANTS}
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
            runs = 0
            with tempfile.TemporaryDirectory() as folder:
                for r in range(rounds):
                    # Rotate which variant goes first, so none always runs on the heels
                    # of another's SQLite writes.
                    for name in VARIANTS[r % 3 :] + VARIANTS[: r % 3]:
                        # Without a journal: an in-memory store through the same
                        # `journal=` parameter (a few dict updates a move, no I/O).
                        book = (
                            Path(folder) / f"j{r}.sqlite"
                            if name == "journal + reads"
                            else MemoryJournal()
                        )
                        listing = (
                            {n.id: n async for n in dst.list_numbers()}
                            if name == "neither"
                            else None
                        )
                        counted = [0]
                        cpu0 = old.cpu_seconds() + new.cpu_seconds()
                        start = time.perf_counter()
                        with _reads_from(listing), _counting_listings(counted):
                            report = await migration.apply(
                                plans[runs % 2], dst, journal=book, concurrency=32
                            )
                        took = time.perf_counter() - start
                        assert report.written == len(plan.to_write), report
                        if runs == 0:
                            now = [n async for n in dst.list_numbers()]
                            caps = dst.capabilities
                            plans[1] = migration.make_plan(original, now, caps, caps)
                        runs += 1
                        rates[name].append(report.written / took)
                        listings[name].append(counted[0])
                        busy.append((old.cpu_seconds() + new.cpu_seconds() - cpu0) / took)
        med = {k: statistics.median(v) for k, v in rates.items()}
        cost = 1 - med["journal + reads"] / med["neither"]
        return {
            "numbers": len(plan.to_write),
            "median_per_second": med,
            # The figure: the journal, its compare-before-write reads included,
            # against neither.
            "journal_cost": cost,
            "reads_cost": 1 - med["reads only"] / med["neither"],
            "journal_alone_cost": 1 - med["journal + reads"] / med["reads only"],
            "listings_per_run": listings,
            "read_window_seconds": migration.READ_WINDOW,
            "rounds": rounds,
            "per_round": rates,
            # Both emulators together: they are separate processes, each on one core,
            # and only the v3 one is written to during the apply.
            "emulator_cpu_share": max(busy),
            "emulator_is_bottleneck": max(busy) > 0.9,
            "target": "the journal, its reads included, costs at most 10% of throughput",
            "met": cost <= 0.10,
        }

    with (
        server("linq-v2", numbers, seed=3, populate=1.0) as old,
        server("linq-v3", numbers, seed=3, populate=0.0) as new,
    ):
        return asyncio.run(main(old, new))


# ---------------------------------------------------------------- 3b. compare before write


class _Counting(httpx.AsyncHTTPTransport):
    """Counts the requests sent through it."""

    sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _Counting.sent += 1
        return await super().handle_async_request(request)


def bench_reads(numbers: int, rounds: int) -> dict[str, Any]:
    """What compare before write costs: the same apply with the read just before each
    write, and with that read served from a listing taken before the run (what the
    engine trusted before). One provider with a per-number read (close) and one with
    none (linq-v3, read by one listing per read window)."""

    async def main(provider: str, old: Server, new: Server) -> dict[str, Any]:
        seconds: dict[str, list[float]] = {"with reads": [], "without reads": []}
        requests: dict[str, list[float]] = {"with reads": [], "without reads": []}
        async with (
            pr.connect_async(provider, api_key=KEY, base_url=old.base_url) as src,
            pr.connect_async(
                provider, api_key=KEY, base_url=new.base_url, transport=_Counting()
            ) as dst,
        ):
            plan = await migration.plan(src, dst, fields=["forwarding_number"])
            original = [n async for n in dst.list_numbers()]
            plans = [plan, plan]
            runs = 0
            with tempfile.TemporaryDirectory() as folder:
                for r in range(rounds):
                    for name in list(seconds)[:: 1 if r % 2 == 0 else -1]:
                        listing = {n.id: n async for n in dst.list_numbers()}
                        _Counting.sent = 0
                        start = time.perf_counter()
                        with _reads_from(None if name == "with reads" else listing):
                            report = await migration.apply(
                                plans[runs % 2],
                                dst,
                                journal=Path(folder) / f"r{runs}.sqlite",
                                concurrency=16,
                            )
                        took = time.perf_counter() - start
                        assert report.written == len(plan.to_write), report
                        seconds[name].append(took / report.written)
                        requests[name].append(_Counting.sent / report.written)
                        if runs == 0:
                            now = [n async for n in dst.list_numbers()]
                            caps = dst.capabilities
                            plans[1] = migration.make_plan(original, now, caps, caps)
                        runs += 1
        per = {k: statistics.median(v) for k, v in requests.items()}
        ms = {k: statistics.median(v) * 1000 for k, v in seconds.items()}
        return {
            "numbers": len(plan.to_write),
            "requests_per_number": per,
            "ms_per_number": ms,
            "extra_requests_per_number": per["with reads"] - per["without reads"],
            "extra_ms_per_number": ms["with reads"] - ms["without reads"],
        }

    results: dict[str, Any] = {}
    for provider in ("close", "linq-v3"):
        with (
            server(provider, numbers, seed=5, populate=1.0) as old,
            server(provider, numbers, seed=5, populate=0.0) as new,
        ):
            results[provider] = asyncio.run(main(provider, old, new))
    return results


def bench_rate_limit(numbers: int, per_second: float, concurrency: int) -> dict[str, Any]:
    """Retries a migration needs at a vendor's rate limit (adaptive concurrency): an
    apply and a rollback against in-process emulators limited to ``per_second`` (the
    served emulator has no rate-limit option). Counts, not timings, are the result."""
    from phonerouting import testing

    async def main(provider: str) -> dict[str, Any]:
        old = testing.emulator(provider, numbers, seed=7, populate=1.0)
        new = testing.emulator(provider, numbers, seed=7, populate=0.0)
        seen = {"429": 0, "requests": 0}
        handle = new.handle

        def counting(*args: Any) -> Any:
            response, delay = handle(*args)
            seen["requests"] += 1
            seen["429"] += response is not None and response.status == 429
            return response, delay

        new.handle = counting  # type: ignore[method-assign]
        out: dict[str, Any] = {}
        with tempfile.TemporaryDirectory() as folder:
            journal = Path(folder) / "j.sqlite"
            async with (
                pr.connect_async(
                    provider, api_key=old.api_key, transport=old.async_transport()
                ) as src,
                pr.connect_async(
                    provider, api_key=new.api_key, transport=new.async_transport()
                ) as dst,
            ):
                plan = await migration.plan(src, dst, fields=["forwarding_number"])
                new.set_rate_limit(per_second)
                for run in ("apply", "rollback"):
                    seen.update({"429": 0, "requests": 0})
                    start = time.perf_counter()
                    if run == "apply":
                        report = await migration.apply(
                            plan, dst, journal=journal, concurrency=concurrency
                        )
                    else:
                        report = await migration.rollback(
                            dst, journal=journal, concurrency=concurrency
                        )
                    out[run] = {
                        "written": report.written,
                        "retries": report.retries,
                        "rate_limited_seen_by_vendor": seen["429"],
                        "requests": seen["requests"],
                        "retries_per_number": report.retries / max(1, report.written),
                        "seconds": time.perf_counter() - start,
                    }
        return out

    return {
        "numbers": numbers,
        "per_second": per_second,
        "concurrency": concurrency,
        "providers": {p: asyncio.run(main(p)) for p in ("close", "linq-v3")},
    }


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
        "target": "at most 0.3x linq-python's",
        "met": med["phonerouting"] <= 0.3 * med["linq"],
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
raw = numbers[0].raw
try:
    raw["id"] = "x"
    read_only = False
except TypeError:
    read_only = raw["id"] == numbers[0].id
print(json.dumps({
    "raw_read_only": read_only,
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
                "raw_read_only": all(p["raw_read_only"] for p in probes),
                "seconds": statistics.median(p["seconds"] for p in probes),
            }
        )
    per_number = [r["growth_bytes_per_number"] for r in rows]
    largest = rows[-1]
    linear = max(per_number) <= 1.25 * min(per_number)
    return {
        "runs": rows,
        "growth_bytes_per_number": per_number,
        "linear": linear,
        "raw_read_only": all(r["raw_read_only"] for r in rows),
        "target": "growth at most 800 bytes per number, raw still available read-only",
        "met": largest["growth_bytes_per_number"] <= 800 and all(r["raw_read_only"] for r in rows),
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
        "aiohttp": _aiohttp_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_at_start": _load(),
    }


def _aiohttp_version() -> str:
    import aiohttp

    return aiohttp.__version__


def _rates(rates: list[float]) -> str:
    return ", ".join(f"{r:.0f}/s" for r in rates)


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
        if lat["ratio_vs_bare"] > 1.05:
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
    aio_rounds = ", ".join(f"{r:.2f}" for r in bulk["round_ratios_vs_aiohttp"])
    hx_rounds = ", ".join(f"{r:.1f}" for r in bulk["round_ratios_vs_httpx"])
    by_round = bulk["client_cpu_us_per_request_by_round"]
    spread = "; ".join(
        f"{name} " + "/".join(f"{v:.0f}" for v in by_round[name]) for name in by_round
    )
    busy = bulk["emulator_cpu_share_by_contender"]
    line = (
        f"2. Bulk: phonerouting {bulk['ratio_vs_aiohttp']:.2f}× bare aiohttp (rounds: "
        f"{aio_rounds}) and {bulk['ratio_vs_httpx']:.1f}× bare httpx (rounds: {hx_rounds}); "
        f"{_emulator(max(busy['phonerouting'], busy['bare aiohttp']))} during the aiohttp "
        f"segments, {busy['bare httpx'] * 100:.0f}% during bare httpx's. Client CPU per request: "
        f"phonerouting {cpu['phonerouting']:.0f} µs, bare aiohttp {cpu['bare aiohttp']:.0f} µs, "
        f"bare httpx {cpu['bare httpx']:.0f} µs (per round: {spread} µs): phonerouting "
        f"spends {cpu['phonerouting'] - cpu['bare aiohttp']:+.0f} µs over bare aiohttp, "
        f"against {work['async_us']:.0f} µs of the library's own work measured apart, and "
        f"{cpu['bare httpx'] / cpu['phonerouting']:.1f}× less than bare httpx, whose async "
        "connection pool (httpcore) is most of its cost"
    )
    if not bulk["met"]:
        if bulk["ratio_vs_aiohttp"] < 0.6:
            line += (
                f"; **target not met**: {bulk['ratio_vs_aiohttp']:.2f}× bare aiohttp is "
                f"{(0.6 - bulk['ratio_vs_aiohttp']) / 0.6 * 100:.0f}% under 0.6× ({load})"
            )
        if bulk["ratio_vs_httpx"] < 4.0:
            line += (
                f"; **target not met**: {bulk['ratio_vs_httpx']:.1f}× bare httpx is "
                f"{(4.0 - bulk['ratio_vs_httpx']) / 4.0 * 100:.0f}% under 4× ({load})"
            )
        if bulk["emulator_is_bottleneck"]:
            line += "; the emulator was saturated, which caps the aiohttp contenders alike"
    lines.append(line + ".")

    lines.append(_migration_account(mig, load))

    line = f"4. Import: {imp['ratio']:.2f}× linq-python's import time"
    if not imp["met"]:
        line += (
            f"; **target not met**: {imp['ratio']:.2f}× is "
            f"{(imp['ratio'] - 0.3) / 0.3 * 100:.0f}% over 0.3× ({load})"
        )
    lines.append(line + ".")

    last = mem["runs"][-1]
    per = ", ".join(f"{b:.0f}" for b in mem["growth_bytes_per_number"])
    line = (
        f"5. Memory: a fresh process grows by {last['growth_bytes_per_number']:.0f} bytes a "
        f"number listing {last['numbers']:,} numbers (peak {last['peak_mb']:.0f} MB, "
        f"{last['rss_before_mb']:.0f} MB of it there before the listing); growth per number "
        f"{per} bytes across the sizes ("
        + ("linear" if mem["linear"] else "not linear")
        + "); `raw` "
        + ("read-only and available" if mem["raw_read_only"] else "**not read-only**")
    )
    if not mem["met"] and last["growth_bytes_per_number"] > 800:
        line += (
            f"; **target not met**: {last['growth_bytes_per_number']:.0f} bytes is "
            f"{(last['growth_bytes_per_number'] - 800) / 800 * 100:.0f}% over 800"
        )
    lines.append(line + ".")
    return lines


def _migration_account(mig: dict[str, Any], load: str) -> str:
    """What row 3's numbers mean, and by how much its target was missed."""
    per = mig["per_round"]
    rounds = "; ".join(f"{name} {_rates(per[name])}" for name in VARIANTS)
    lists = ", ".join(
        f"{name} " + "/".join(str(n) for n in mig["listings_per_run"][name]) for name in VARIANTS
    )
    line = (
        f"3. Migration: the SQLite journal (in its own thread, group-committed) with the "
        f"compare-before-write reads costs {mig['journal_cost'] * 100:.1f}% of throughput "
        f"against the same apply with neither (an in-memory journal, `MemoryJournal`, given "
        f"as `journal=`, and each read served from a listing taken before the run); the "
        f"reads alone cost {mig['reads_cost'] * 100:.1f}%, the journal over them "
        f"{mig['journal_alone_cost'] * 100:.1f}% (medians of {mig['rounds']} rotating "
        f"round(s); per round: {rounds}). Linq v3 has no per-number read: one listing of "
        f"the {mig['numbers']:,}-number account serves every read of its "
        f"{mig['read_window_seconds']:g}-second read window (listings per run: {lists}). "
        f"The v2 and v3 emulators together at {mig['emulator_cpu_share'] * 100:.0f}% of "
        "one core "
        + ("(**the bottleneck**)" if mig["emulator_is_bottleneck"] else "(not the bottleneck)")
    )
    if not mig["met"]:
        line += (
            f"; **target not met**: {mig['journal_cost'] * 100:.1f}% is over 10% ({load}): "
            "compare the rounds, whose spread on a shared machine is the same order"
        )
    return line + "."


def migration_table(results: dict[str, Any]) -> str:
    """Row 3 alone, as a markdown table of its three variants (``--only migration``)."""
    mig = results["migration"]
    m = results["machine"]
    rate = mig["median_per_second"]
    lines = [
        f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['system']}, Python "
        f"{m['python']}; load average {m['load_at_start']} at the start and "
        f"{m['load_at_end']} at the end.",
        "",
        f"| apply of {mig['numbers']:,} numbers, Linq v2 → v3, concurrency 32 | numbers/s "
        "(median) | whole-account listings per run | cost against neither |",
        "|---|---|---|---|",
        *(
            f"| {name} | {rate[name]:.0f}/s | "
            + "/".join(str(n) for n in mig["listings_per_run"][name])
            + f" | {(1 - rate[name] / rate['neither']) * 100:.1f}% |"
            for name in VARIANTS
        ),
        "",
        f"* {_migration_account(mig, f'load average {_load()}')}",
    ]
    return "\n".join(lines) + "\n"


def _read_cost(reads: dict[str, Any], provider: str) -> str:
    r = reads[provider]
    return (
        f"{provider}: +{r['extra_requests_per_number']:.2f} requests, "
        f"{r['extra_ms_per_number']:+.2f} ms ({r['ms_per_number']['with reads']:.2f} vs "
        f"{r['ms_per_number']['without reads']:.2f} ms)"
    )


def _retry_share(rate: dict[str, Any], provider: str) -> str:
    runs = rate["providers"][provider]
    return f"{provider}: " + ", ".join(
        f"{r['retries']} ({r['retries_per_number'] * 100:.1f}%)" for r in runs.values()
    )


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
    rate = results["rate_limit"]
    sizes = "growth " + ", ".join(f"{r['numbers']:,}: {r['growth_mb']:.0f} MB" for r in mem["runs"])
    rows = [
        (
            "1. one forwarding update, warm connection (median)",
            f"{us['phonerouting']:.0f} µs",
            f"bare httpx {us['bare httpx']:.0f} µs; linq-python {us['linq-python']:.0f} µs",
            f"{lat['ratio_vs_bare']:.2f}× bare, {lat['ratio_vs_linq']:.2f}× linq",
            "≤ 1.05× bare, < linq",
            ok[lat["met"]],
        ),
        (
            f"2. {bulk['requests']:,} async updates, concurrency {bulk['concurrency']}",
            f"{per_s['phonerouting']:.0f}/s",
            f"bare aiohttp {per_s['bare aiohttp']:.0f}/s; bare httpx {per_s['bare httpx']:.0f}/s",
            f"{bulk['ratio_vs_aiohttp']:.2f}× aiohttp, {bulk['ratio_vs_httpx']:.1f}× httpx "
            f"(medians of {bulk['rounds']} paired round" + ("s)" if bulk["rounds"] != 1 else ")"),
            "≥ 0.6× aiohttp, ≥ 4× httpx",
            ok[bulk["met"]],
        ),
        (
            f"3. migration apply of {mig['numbers']:,} numbers (v2 → v3)",
            f"{mig_rate['journal + reads']:.0f}/s with journal and reads",
            f"{mig_rate['neither']:.0f}/s with neither; {mig_rate['reads only']:.0f}/s reads only",
            f"journal and reads cost {mig['journal_cost'] * 100:.1f}%",
            "≤ 10%",
            ok[mig["met"]],
        ),
        (
            "3b. compare before write: the read before each write, per number written",
            _read_cost(results["reads"], "close"),
            _read_cost(results["reads"], "linq-v3"),
            "(one read per number / one listing per read window)",
            "(reported)",
            "",
        ),
        (
            f"3c. rate-limit retries, {rate['numbers']:,} numbers at {rate['per_second']:g} "
            f"requests/s, concurrency {rate['concurrency']}",
            _retry_share(rate, "close"),
            _retry_share(rate, "linq-v3"),
            "retries per number written (apply, rollback)",
            "< 5%",
            ok[
                all(
                    r["retries_per_number"] < 0.05
                    for p in rate["providers"].values()
                    for r in p.values()
                )
            ],
        ),
        (
            "4. `import` time (median of fresh processes)",
            f"{ms['phonerouting']:.0f} ms",
            f"linq {ms['linq']:.0f} ms",
            f"{imp['ratio']:.2f}×",
            "≤ 0.3×",
            ok[imp["met"]],
        ),
        (
            f"5. memory listing {last['numbers']:,} numbers from one response",
            f"{last['growth_bytes_per_number']:.0f} B/number growth "
            f"({last['peak_mb']:.0f} MB peak, fresh process)",
            sizes,
            "linear" if mem["linear"] else "not linear",
            "≤ 800 B/number, `raw` read-only",
            ok[mem["met"]],
        ),
    ]
    m = results["machine"]
    lines = [
        f"Machine: {m['cpus']} cores ({m['cpu_model']}), {m['system']}, Python {m['python']}, "
        f"httpx {m['httpx']}, aiohttp {m['aiohttp']}; load average {m['load_at_start']} "
        f"at the start of the run and {m['load_at_end']} at the end.",
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
    parser.add_argument(
        "--bulk-rounds",
        type=int,
        default=None,
        help="rounds of 10,000 per contender in the bulk comparison (default 3; bare httpx "
        "takes a minute or more a round, several on a loaded machine)",
    )
    parser.add_argument(
        "--migration-rounds",
        type=int,
        default=None,
        help="rounds of the 10,000-number apply in each of its three variants (journal "
        "and reads, reads only, neither; default 3; a minute or more a round on a loaded "
        "machine)",
    )
    parser.add_argument(
        "--only",
        choices=["migration"],
        help="run this comparison alone and print its own table (not with --write-docs)",
    )
    args = parser.parse_args(argv)
    q = args.quick
    if args.only and args.write_docs:
        parser.error("--write-docs writes every comparison's row: leave --only out")
    results: dict[str, Any] = {"machine": machine()}
    if args.only == "migration":
        results["migration"] = bench_migration(
            numbers=100 if q else 10_000, rounds=args.migration_rounds or (1 if q else 3)
        )
        results["machine"]["load_at_end"] = _load()
        print(json.dumps(results, indent=2))
        print()
        print(migration_table(results))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
        return 0
    results["library_work"] = library_work(calls=400 if q else 6000)
    results["latency"] = bench_latency(calls=20 if q else 300, rounds=2 if q else 7)
    results["bulk"] = bench_bulk(
        total=200 if q else 10_000,
        concurrency=64,
        rounds=args.bulk_rounds or (1 if q else 3),
        segment=100 if q else 1000,
    )
    results["migration"] = bench_migration(
        numbers=100 if q else 10_000, rounds=args.migration_rounds or (1 if q else 3)
    )
    results["reads"] = bench_reads(numbers=50 if q else 2000, rounds=1 if q else 3)
    results["rate_limit"] = bench_rate_limit(
        numbers=40 if q else 2000, per_second=200 if q else 80, concurrency=32
    )
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
