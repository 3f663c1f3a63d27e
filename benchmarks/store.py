"""What each store operation the service makes costs: SQLite beside PostgreSQL.

    python benchmarks/store.py                  # starts a throwaway PostgreSQL server
    python benchmarks/store.py --url URL        # or uses an (empty) database you give
    python benchmarks/store.py --quick          # tiny sizes: proves the script works

Measured, per store, each the median (and p99) over many calls from one process:
``record_write`` (a PATCH's audit row and inventory row, one transaction),
``get_number``, ``query_numbers`` (a 100-number page, and a label search),
``append_audit``, ``claim_job`` + ``update_job`` (a change set's start),
``take_lease`` (a refresh's or a run's), ``get_session`` (every console request), and
``replace_inventory`` of a whole account (once). The PostgreSQL server is local (one
round trip ~0.1 ms): over a network add its round trip to each PostgreSQL operation.

Prints a JSON document, then a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import attrs  # noqa: E402

import phonerouting as pr  # noqa: E402
from phonerouting.store import (  # noqa: E402
    AuditEntry,
    Job,
    NumberQuery,
    Session,
    Store,
    store_at,
)


def _us(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_us": round(statistics.median(ordered) * 1e6, 1), "p99_us": round(p99 * 1e6, 1)}


async def _each(samples: int, call: Callable[[int], Awaitable[Any]]) -> dict[str, float]:
    times = []
    for i in range(samples):
        start = time.perf_counter()
        await call(i)
        times.append(time.perf_counter() - start)
    return _us(times)


def _numbers(count: int) -> list[pr.PhoneNumber]:
    return [
        pr.PhoneNumber(
            provider="close",
            id=f"phon_{i:06d}",
            number=f"+1202{i:07d}",
            label=f"Line {i}",
            forwarding_number="+14155550100" if i % 2 else None,
            raw={"id": f"phon_{i:06d}", "nested": {"k": [1, 2]}},
        )
        for i in range(count)
    ]


async def measure(store: Store, numbers: int, samples: int) -> dict[str, Any]:
    """Every operation's cost on ``store`` (opened here, closed after)."""
    await store.open()
    try:
        now = datetime.now(UTC)
        inventory = _numbers(numbers)
        start = time.perf_counter()
        await store.replace_inventory("a", inventory, now)
        replace_s = time.perf_counter() - start

        def entry(i: int) -> AuditEntry:
            return AuditEntry(
                at=now,
                actor="ops",
                action="update",
                account="a",
                outcome="written",
                number=inventory[i % numbers].number,
                number_id=inventory[i % numbers].id,
                before={"label": None},
                after={"label": str(i)},
            )

        jobs = [
            Job(f"chg_{i}", "change_set", "planned", now, "ops", ("a",), {}, [], {})
            for i in range(samples)
        ]
        for job in jobs:
            await store.save_job(job)
        session = Session("sess-bench", "ops", now, now + timedelta(hours=1))
        await store.save_session(session)

        async def claim(i: int) -> None:
            assert await store.claim_job(f"chg_{i}", ("planned",), "applying")
            await store.update_job(f"chg_{i}", progress={"actor": "ops"})

        results = {
            "record_write": await _each(
                samples,
                lambda i: store.record_write(
                    entry(i), attrs.evolve(inventory[i % numbers], label=str(i)), now
                ),
            ),
            "get_number": await _each(
                samples, lambda i: store.get_number("a", inventory[(i * 7) % numbers].id)
            ),
            "query_numbers_page_100": await _each(
                samples, lambda i: store.query_numbers(NumberQuery(("a",)), None, 100)
            ),
            "query_numbers_label_search": await _each(
                samples,
                lambda i: store.query_numbers(NumberQuery(("a",), label=f"line {i}9"), None, 100),
            ),
            "append_audit": await _each(samples, lambda i: store.append_audit([entry(i)])),
            "claim_and_update_job": await _each(samples, claim),
            "take_lease": await _each(samples, lambda i: store.take_lease("refresh:a", "me", 30)),
            "get_session": await _each(samples, lambda i: store.get_session("sess-bench")),
        }
        return {"numbers": numbers, "replace_inventory_s": round(replace_s, 3), **results}
    finally:
        await store.close()


@contextlib.contextmanager
def _database(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    from tests.postgres_server import running_server

    with running_server() as server:
        yield server.url()


def _table(results: dict[str, Any]) -> str:
    sqlite, pg = results["sqlite"], results["postgresql"]
    rows = [
        "| operation | SQLite p50 µs | PostgreSQL p50 µs | PostgreSQL / SQLite |",
        "|---|---|---|---|",
    ]
    for name, value in sqlite.items():
        if isinstance(value, dict):
            a, b = value["p50_us"], pg[name]["p50_us"]
            rows.append(f"| {name} | {a} | {b} | {b / a:.1f}x |")
    rows.append(
        f"| replace_inventory ({sqlite['numbers']:,} numbers) | {sqlite['replace_inventory_s']} s "
        f"| {pg['replace_inventory_s']} s | "
        f"{pg['replace_inventory_s'] / max(sqlite['replace_inventory_s'], 1e-9):.1f}x |"
    )
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes")
    parser.add_argument("--url", help="an empty PostgreSQL database to use (default: start one)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    numbers, samples = (200, 20) if args.quick else (10_000, 500)
    folder = Path(tempfile.mkdtemp(prefix="phonerouting-store-bench-"))
    results: dict[str, Any] = {
        "sqlite": asyncio.run(measure(store_at(folder / "store.sqlite"), numbers, samples))
    }
    with _database(args.url) as url:
        results["postgresql"] = asyncio.run(measure(store_at(url), numbers, samples))
    text = json.dumps(results, indent=2)
    if args.json is not None:
        args.json.write_text(text)
    print(text)
    print(_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
