"""phonerouting against its peers, side by side in one run.

    python benchmarks/run.py            # full sizes (a few minutes)
    python benchmarks/run.py --quick    # tiny sizes: proves the script works (CI)

Prints a JSON document and a markdown table; ``--write-docs`` also puts the table in
docs/performance.md. Every comparison interleaves its contenders in one process run so
machine noise hits both alike, and reports medians and ratios. The emulator servers run
in their own processes (so they do not share the client's GIL), and their CPU use is
reported so a saturated emulator is called out instead of blamed on the client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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


# ---------------------------------------------------------------- 1. latency


def bench_latency(calls: int, rounds: int) -> dict[str, Any]:
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
            response = bare.put(
                f"/v3/phone_numbers/{ids[i % len(ids)]}", json={"forwarding_number": "+12025559999"}
            )
            response.raise_for_status()
            response.json()

        def linq(i: int) -> None:
            official.phone_numbers.update(ids[i % len(ids)], forwarding_number="+12025559999")

        contenders: dict[str, Callable[[int], None]] = {
            "phonerouting": ours,
            "bare httpx": raw,
            "linq-python": linq,
        }
        samples: dict[str, list[float]] = {name: [] for name in contenders}
        for fn in contenders.values():  # warm the connections
            for i in range(20):
                fn(i)
        for _ in range(rounds):
            for name, fn in contenders.items():
                for i in range(calls):
                    start = time.perf_counter()
                    fn(i)
                    samples[name].append(time.perf_counter() - start)
        client.close()
        bare.close()
        official.close()
    med = {name: statistics.median(v) * 1e6 for name, v in samples.items()}
    return {
        "median_us": med,
        "ratio_vs_bare": med["phonerouting"] / med["bare httpx"],
        "ratio_vs_linq": med["phonerouting"] / med["linq-python"],
        "target": "phonerouting <= 1.10x bare httpx, and faster than linq-python",
        "met": med["phonerouting"] <= 1.10 * med["bare httpx"]
        and med["phonerouting"] < med["linq-python"],
    }


# ---------------------------------------------------------------- 2. bulk async


async def _bulk(run: Callable[[int], Awaitable[None]], total: int, concurrency: int) -> float:
    queue = iter(range(total))

    async def worker() -> None:
        for i in queue:
            await run(i)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - start)


def bench_bulk(total: int, concurrency: int, rounds: int) -> dict[str, Any]:
    async def main(base_url: str, srv: Server) -> dict[str, Any]:
        ids = v3_ids(base_url, 1000)
        update = pr.RoutingUpdate(forwarding_number="+12025559999")
        throughput: dict[str, list[float]] = {"phonerouting": [], "bare httpx": []}
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
                response = await bare.put(
                    f"/v3/phone_numbers/{ids[i % len(ids)]}",
                    json={"forwarding_number": "+12025559999"},
                )
                response.raise_for_status()
                response.json()

            await _bulk(ours, 200, concurrency)
            await _bulk(raw, 200, concurrency)
            for _ in range(rounds):
                for name, fn in (("phonerouting", ours), ("bare httpx", raw)):
                    cpu0, wall0 = srv.cpu_seconds(), time.perf_counter()
                    throughput[name].append(await _bulk(fn, total, concurrency))
                    server_busy.append((srv.cpu_seconds() - cpu0) / (time.perf_counter() - wall0))
        med = {name: statistics.median(v) for name, v in throughput.items()}
        busy = max(server_busy)
        return {
            "requests": total,
            "concurrency": concurrency,
            "median_per_second": med,
            "ratio_vs_bare": med["phonerouting"] / med["bare httpx"],
            "emulator_cpu_share": busy,
            "emulator_is_bottleneck": busy > 0.9,
            "target": "phonerouting >= 0.90x bare httpx throughput",
            "met": med["phonerouting"] >= 0.90 * med["bare httpx"],
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

    async def main(old_url: str, new_url: str) -> dict[str, Any]:
        rates: dict[str, list[float]] = {"with journal": [], "without journal": []}
        async with (
            pr.connect_async("linq-v2", api_key=KEY, base_url=old_url) as src,
            pr.connect_async("linq-v3", api_key=KEY, base_url=new_url) as dst,
        ):
            plan = await migration.plan(src, dst)
            real = engine.Journal
            with tempfile.TemporaryDirectory() as folder:
                for r in range(rounds):
                    for name in rates:
                        engine.Journal = real if name == "with journal" else _NoJournal  # type: ignore[misc]
                        start = time.perf_counter()
                        report = await migration.apply(
                            plan,
                            dst,
                            journal=Path(folder) / f"j{r}-{len(rates[name])}.sqlite",
                            concurrency=32,
                        )
                        rates[name].append(report.written / (time.perf_counter() - start))
            engine.Journal = real  # type: ignore[misc]
        med = {k: statistics.median(v) for k, v in rates.items()}
        return {
            "numbers": len(plan.to_write),
            "median_per_second": med,
            "journal_cost": 1 - med["with journal"] / med["without journal"],
        }

    with (
        server("linq-v2", numbers, seed=3, populate=1.0) as old,
        server("linq-v3", numbers, seed=3, populate=0.0) as new,
    ):
        return asyncio.run(main(old.base_url, new.base_url))


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

_PROBE = """
import resource, sys, time, tracemalloc
import phonerouting as pr
client = pr.connect("linq-v3", api_key=sys.argv[2], base_url=sys.argv[1], timeout=120)
traced = sys.argv[3] == "traced"
def rss_mb():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
before = max(rss_mb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
if traced:
    tracemalloc.start()
start = time.perf_counter()
numbers = list(client.list_numbers())
elapsed = time.perf_counter() - start
if traced:
    print(len(numbers), tracemalloc.get_traced_memory()[1] / 2**20)
else:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(len(numbers), peak - before, elapsed)
"""


def _probe(base_url: str, mode: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, base_url, KEY, mode],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return done.stdout.split()


def bench_memory(sizes: list[int]) -> dict[str, Any]:
    """Peak RSS growth (untraced, the target) and traced heap peak (for linearity)."""
    rows = []
    for size in sizes:
        with server("linq-v3", size, seed=5) as srv:
            count, rss, seconds = _probe(srv.base_url, "plain")
            _, heap = _probe(srv.base_url, "traced")
        rows.append(
            {
                "numbers": int(count),
                "peak_rss_growth_mb": float(rss),
                "peak_heap_mb": float(heap),
                "seconds": float(seconds),
            }
        )
    # Linearity is judged on the traced Python heap, which counts exactly what the
    # listing allocates; RSS also moves with what the allocator keeps or returns.
    per_number = [r["peak_heap_mb"] * 2**20 / r["numbers"] for r in rows]  # bytes/number
    largest = rows[-1]
    return {
        "runs": rows,
        "heap_bytes_per_number": per_number,
        "linear": max(per_number) <= 1.25 * min(per_number),
        "target": "under 250 MB for 100,000 numbers, linear in the count",
        "met": largest["peak_rss_growth_mb"] < 250 * largest["numbers"] / 100_000
        and max(per_number) <= 1.25 * min(per_number),
    }


# ---------------------------------------------------------------- report


def table(results: dict[str, Any]) -> str:
    """The markdown table of the five comparisons."""
    lat, bulk, mig, imp, mem = (
        results[k] for k in ("latency", "bulk", "migration", "import", "memory")
    )
    ok = {True: "met", False: "**not met**"}
    us, per_s = lat["median_us"], bulk["median_per_second"]
    mig_rate, ms = mig["median_per_second"], imp["median_ms"]
    last = mem["runs"][-1]
    sizes = "heap peak " + ", ".join(
        f"{r['numbers']:,}: {r['peak_heap_mb']:.0f} MB" for r in mem["runs"]
    )
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
            f"{bulk['ratio_vs_bare']:.2f}×",
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
            f"{last['peak_rss_growth_mb']:.0f} MB peak RSS growth",
            sizes,
            "linear" if mem["linear"] else "not linear",
            "< 250 MB, linear",
            ok[mem["met"]],
        ),
    ]
    lines = [
        "| comparison | phonerouting | peer | ratio | target | |",
        "|---|---|---|---|---|---|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    busy = bulk["emulator_cpu_share"] * 100
    verdict = (
        " — **the emulator is the bottleneck**; the ratio understates the client."
        if bulk["emulator_is_bottleneck"]
        else " (not the bottleneck)."
    )
    note = f"\nEmulator CPU during the bulk run: {busy:.0f}% of one core{verdict}"
    return "\n".join(lines) + "\n" + note + "\n"


def write_docs(markdown: str) -> None:
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
    results = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "latency": bench_latency(calls=20 if q else 300, rounds=2 if q else 7),
        "bulk": bench_bulk(total=200 if q else 10_000, concurrency=64, rounds=1 if q else 3),
        "migration": bench_migration(numbers=100 if q else 10_000, rounds=1 if q else 3),
        "import": bench_import(runs=3 if q else 15),
        "memory": bench_memory([1000, 2000] if q else [25_000, 50_000, 100_000]),
    }
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
