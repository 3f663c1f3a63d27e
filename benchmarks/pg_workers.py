"""Several migration workers on one PostgreSQL journal: throughput per worker count.

    python benchmarks/pg_workers.py                 # 10,000 numbers on 1, 2 and 4 workers
    python benchmarks/pg_workers.py --write-docs    # and put the table in docs/performance.md
    python benchmarks/pg_workers.py --numbers 300 --workers 1 2   # a quick look

One migration (Linq v2 → Close, forwarding; Close reads one number per compare before
write) is applied by 1, 2 and 4 worker processes sharing one PostgreSQL journal, and by
one worker with the SQLite journal, for the journal's cost. Each variant gets freshly
started emulator servers (each in a process of its own, so they do not share a GIL with
anything) and a fresh journal. Every worker plans first (its own reads of both
accounts, as `migrate apply` does), says so, and waits; the clock starts when all are
told to go and stops when the last one is done, so the figure is the apply's alone.

The PostgreSQL server is a fresh one in a temporary directory (as the tests start it),
with its default durability (fsync on; each commit is flushed, as in production), on
the same machine; the CPU time of the emulators, the workers and the server is reported
beside throughput, so a saturated part is called out rather than blamed on scaling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.run import Server, cpu_seconds  # noqa: E402  (after the path is set)

DOCS = ROOT / "docs" / "performance.md"
KEY_OLD, KEY_NEW = "bench-key-old-0001", "bench-key-new-0002"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu(data: Path) -> float:
    """CPU time of the benchmark's PostgreSQL server: its postmaster (named in
    ``postmaster.pid``), the backends it runs, and those that ended (a worker's
    connections end with it)."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    total = cpu_seconds(postmaster, children=True)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) == postmaster:
                total += (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
        except (OSError, IndexError, ValueError):
            continue  # a process that ended meanwhile
    return total


# ---------------------------------------------------------------- one worker


async def work(args: argparse.Namespace) -> None:
    """A worker: plan, say "planned", wait for a line on stdin, apply, print the report."""
    import phonerouting as pr
    from phonerouting import migration

    old = pr.connect_async("linq-v2", api_key=KEY_OLD, base_url=args.source)
    new = pr.connect_async("close", api_key=KEY_NEW, base_url=args.target)
    async with old, new:
        plan = await migration.plan(old, new)
        print("planned", len(plan.to_write), flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        started = time.perf_counter()
        report = await migration.apply(
            plan, new, journal=args.journal, concurrency=args.concurrency
        )
        seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "written": report.written,
                "confirmed": report.confirmed_without_write,
                "failed": len(report.failed),
                "seconds": seconds,
            }
        ),
        flush=True,
    )


# ---------------------------------------------------------------- one variant


def variant(
    numbers: int, workers: int, journal: str, concurrency: int, data: Path
) -> dict[str, Any]:
    """Apply one migration of ``numbers`` with ``workers`` processes on ``journal``."""
    source = Server("linq-v2", numbers, seed=7, populate=1.0, key=KEY_OLD)
    target = Server("close", numbers, seed=7, populate=0.0, key=KEY_NEW)
    procs: list[subprocess.Popen[str]] = []
    try:
        for _ in range(workers):
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--worker",
                        "--source",
                        source.base_url,
                        "--target",
                        target.base_url,
                        "--journal",
                        journal,
                        "--concurrency",
                        str(concurrency),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line.startswith("planned"):
                raise RuntimeError(f"a worker did not plan: {line!r}")
        emulator_cpu = cpu_seconds(source.process.pid) + cpu_seconds(target.process.pid)
        db_cpu = server_cpu(data)
        started = time.perf_counter()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        reports = []
        for proc in procs:
            out, _ = proc.communicate(timeout=3600)
            reports.append(json.loads(out.strip().splitlines()[-1]))
        seconds = time.perf_counter() - started
        emulator_cpu = (
            cpu_seconds(source.process.pid) + cpu_seconds(target.process.pid) - (emulator_cpu)
        )
        target_cpu_share = emulator_cpu / seconds
        db_cpu = server_cpu(data) - db_cpu
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        source.stop()
        target.stop()
    done = sum(r["written"] + r["confirmed"] for r in reports)
    if done != numbers or any(r["failed"] for r in reports):
        raise RuntimeError(f"the migration did not complete: {reports}")
    return {
        "workers": workers,
        "seconds": seconds,
        "per_second": numbers / seconds,
        "split": [r["written"] + r["confirmed"] for r in reports],
        "emulator_cores": target_cpu_share,
        "database_cores": db_cpu / seconds,
        "load": os.getloadavg()[0],
    }


def fresh_database(server: Any, name: str) -> str:
    import psycopg

    with psycopg.connect(server.url(), autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    return server.url(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--numbers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    parser.add_argument("--journal", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(work(args))
        return 0

    from tests.postgres_server import running_server

    load_start = os.getloadavg()[0]
    results: list[dict[str, Any]] = []
    with running_server(durable=True) as server, tempfile.TemporaryDirectory() as tmp:
        assert server.data is not None
        data = server.data
        sqlite = variant(args.numbers, 1, str(Path(tmp) / "bench.sqlite"), args.concurrency, data)
        sqlite["journal"] = "SQLite"
        results.append(sqlite)
        print(json.dumps(sqlite), flush=True)
        for count in args.workers:
            url = fresh_database(server, f"bench_{count}") + "?journal=bench"
            result = variant(args.numbers, count, url, args.concurrency, data)
            result["journal"] = "PostgreSQL"
            results.append(result)
            print(json.dumps(result), flush=True)
    markdown = table(results, args.numbers, args.concurrency, load_start)
    print(markdown)
    if args.write_docs:
        start, end = "<!-- pg-workers:start -->", "<!-- pg-workers:end -->"
        text = DOCS.read_text()
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        DOCS.write_text(f"{head}{start}\n{markdown}{end}{tail}")
    return 0


def table(results: list[dict[str, Any]], numbers: int, concurrency: int, load: float) -> str:
    import psycopg

    one = next(r for r in results if r["journal"] == "PostgreSQL" and r["workers"] == 1)
    sqlite = next(r for r in results if r["journal"] == "SQLite")
    lines = [
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python "
        f"{platform.python_version()}, psycopg {psycopg.__version__}, PostgreSQL on the same "
        f"machine (fsync on); load average {load:.2f} at the start and "
        f"{os.getloadavg()[0]:.2f} at the end. {numbers:,} numbers, Linq v2 → Close, "
        f"`--concurrency {concurrency}` per worker.",
        "",
        "| journal | workers | numbers/s | × one PostgreSQL worker | split between workers "
        "| emulators (cores) | database (cores) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['journal']} | {r['workers']} | {r['per_second']:.0f} | "
            f"{r['per_second'] / one['per_second']:.2f}× | "
            f"{' / '.join(str(n) for n in r['split'])} | {r['emulator_cores']:.2f} | "
            f"{r['database_cores']:.2f} |"
        )
    cost = 1 - one["per_second"] / sqlite["per_second"]
    lines += [
        "",
        f"* One worker: the PostgreSQL journal costs {cost:+.1%} of throughput against the "
        f"SQLite journal ({one['per_second']:.0f}/s against {sqlite['per_second']:.0f}/s).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
