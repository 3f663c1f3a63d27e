"""The admin service side by side with the library calls it wraps.

    python benchmarks/server.py            # 100,000 numbers across the accounts
    python benchmarks/server.py --quick    # tiny sizes: proves the script works
    python benchmarks/server.py --total 10000 --change-set 1000
    python benchmarks/server.py --store postgresql://...   # an empty database as the store

Everything runs in one process over in-process emulators (httpx's ASGI transport to
the service, the emulators' async transport behind it), so the numbers are the
service's own cost, not a network's. Measured:

* ``GET /numbers?q=`` p50/p99 from the store (target p50 <= 20 ms at 100,000 numbers),
  beside the library's ``find_number`` (a vendor listing) for the same numbers; and
  label searches: found nowhere, on most numbers, on one number;
* ``PATCH`` p50 beside a direct ``update_routing`` (target: <= 2 ms over it), as the
  client sees it and as the app's own time (the ASGI call, without the test client's
  building of the request), and with ``If-Match`` (a vendor read before the write);
* a full inventory refresh of each account beside its ``list_numbers``;
* a 10,000-number change set applied by the service beside the library's own
  ``migration.apply`` of the same plan on an identical emulator (target >= 0.9x).

The PATCH and change set comparisons run ``--rounds`` times (default 3), the service
and the library side by side in each round; the table shows each round's median.
Prints a JSON document, then a markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

import phonerouting as pr
from phonerouting import migration
from phonerouting.registry import providers
from phonerouting.server import create_app
from phonerouting.server.demo import demo_config
from phonerouting.testing import EMULATORS, emulator

APP_SIDE = "PATCH, the app's own time"


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 3), "p99_ms": round(p99 * 1000, 3)}


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await call()
    return time.perf_counter() - start


async def run(
    total: int, change_set: int, samples: int, rounds: int = 3, store: str | None = None
) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="phonerouting-bench-"))
    # Every registered provider with an emulator is an account of the demo.
    per_account = max(1, total // len([p for p in providers() if p in EMULATORS]))
    started = time.perf_counter()
    demo = demo_config(
        store or folder / "store.sqlite",
        numbers=per_account,
        populate=0.5,
        wait_for_inventory=True,
        refresh_max_age=None,
        concurrency=16,
    )
    accounts = list(demo.emulators)
    app = create_app(demo.config)
    service = app.state.service
    # The app's own time for each request (the service's side of the ASGI call), apart
    # from the test client's building of the request and reading of the answer.
    inside: list[float] = []

    async def timed_app(scope: Any, receive: Any, send: Any) -> None:
        start = time.perf_counter()
        try:
            await app(scope, receive, send)
        finally:
            inside.append(time.perf_counter() - start)

    await service.start()
    seeded = time.perf_counter() - started
    headers = {"Authorization": f"Bearer {demo.tokens['admin']}"}
    results: dict[str, Any] = {
        "numbers": sum(len(e.numbers) for e in demo.emulators.values()),  # type: ignore[attr-defined]
        "accounts": accounts,
        "start_and_first_refresh_s": round(seeded, 2),
    }
    rng = random.Random(3)  # noqa: S311 (a sample of numbers, not a secret)
    transport = httpx.ASGITransport(app=timed_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        # -- search
        pool = [
            (a, n)
            for a in accounts
            for n in rng.sample(
                [x async for x in service.clients[a].list_numbers()], min(samples, per_account)
            )
        ]
        rng.shuffle(pool)
        pool = pool[:samples]
        searches: list[float] = []
        labels: dict[str, list[float]] = {"desk": [], "line": [], "<its own label>": []}
        for _, number in pool:
            human = f"+1 ({number.number[2:5]}) {number.number[5:8]}-{number.number[8:]}"
            searches.append(
                await _timed(
                    lambda h=human: http.get("/api/v1/numbers", params={"q": h}, headers=headers)
                )
            )
            # Found nowhere (the seeds' labels are "Line N"), on most numbers, on one.
            for shown, q in (
                ("desk", "desk"),
                ("line", "line"),
                ("<its own label>", number.label or "Line 1"),
            ):
                labels[shown].append(
                    await _timed(
                        lambda q=q: http.get("/api/v1/numbers", params={"q": q}, headers=headers)
                    )
                )
        finds: list[float] = []
        for account, number in pool[: max(3, samples // 20)]:
            client = service.clients[account]
            finds.append(await _timed(lambda c=client, n=number: c.find_number(n.number)))
        results["search"] = {
            "GET /numbers?q=<number>": _ms(searches),
            "GET /numbers?q=<label substring>": _ms(labels["desk"]),
            "GET /numbers?q=<label on most numbers>": _ms(labels["line"]),
            "GET /numbers?q=<one number's label>": _ms(labels["<its own label>"]),
            "library find_number (a vendor listing)": _ms(finds),
        }
        # -- PATCH vs update_routing, alternating, on the same account; in rounds
        account = "close" if "close" in accounts else accounts[0]
        numbers = [x async for x in service.clients[account].list_numbers()][: samples * 3]
        caps = service.clients[account].capabilities
        field = "label" if caps.can_set("label") else "forwarding_number"
        direct = demo.config.accounts[account].connect()
        patch_rounds = []
        for round_ in range(rounds):
            patches: list[float] = []
            served: list[float] = []
            matched: list[float] = []
            directs: list[float] = []
            for i, number in enumerate(numbers):
                value = f"Bench {round_} {i}" if field == "label" else f"+1202555{i % 10000:04d}"
                path = f"/api/v1/accounts/{account}/numbers/{number.id}"
                if i % 3 == 1:
                    patches.append(
                        await _timed(
                            lambda p=path, v=value: http.patch(p, json={field: v}, headers=headers)
                        )
                    )
                    served.append(inside[-1])
                elif i % 3 == 2:
                    # With If-Match: the number is read from the vendor before the write.
                    tag = (await http.get(path, headers=headers)).headers["etag"]
                    matched.append(
                        await _timed(
                            lambda p=path, v=value, t=tag: http.patch(
                                p, json={field: v}, headers={**headers, "If-Match": t}
                            )
                        )
                    )
                else:
                    update = pr.RoutingUpdate(**{field: value})
                    directs.append(
                        await _timed(lambda n=number, u=update: direct.update_routing(n.id, u))
                    )
            patch, lib, app_side = _ms(patches), _ms(directs), _ms(served)
            patch_rounds.append(
                {
                    "PATCH /accounts/{name}/numbers/{id}": patch,
                    APP_SIDE: app_side,
                    "PATCH with If-Match": _ms(matched),
                    "library update_routing": lib,
                    "overhead_p50_ms": round(patch["p50_ms"] - lib["p50_ms"], 3),
                    "app_overhead_p50_ms": round(app_side["p50_ms"] - lib["p50_ms"], 3),
                    "if_match_overhead_p50_ms": round(_ms(matched)["p50_ms"] - lib["p50_ms"], 3),
                }
            )
        await direct.close()
        results["patch"] = {
            "rounds": patch_rounds,
            **{
                key: _median(r[key] for r in patch_rounds)
                for key in ("overhead_p50_ms", "app_overhead_p50_ms", "if_match_overhead_p50_ms")
            },
            **{
                key: {"p50_ms": _median(r[key]["p50_ms"] for r in patch_rounds)}
                for key in (
                    "PATCH /accounts/{name}/numbers/{id}",
                    APP_SIDE,
                    "PATCH with If-Match",
                    "library update_routing",
                )
            },
        }
        # -- refresh
        refresh: dict[str, Any] = {}
        for name in accounts:
            service_s = await _timed(
                lambda n=name: http.post(f"/api/v1/accounts/{n}/refresh", headers=headers)
            )
            client = service.clients[name]
            library_s = await _timed(lambda c=client: _drain(c))
            refresh[name] = {
                "service_s": round(service_s, 3),
                "library_list_numbers_s": round(library_s, 3),
            }
        results["refresh"] = refresh
        # -- change set apply vs the library's migration.apply of the same plan
        provider = "close" if "close" in accounts else accounts[0]
        sets = [
            await _change_set(http, headers, demo, service, provider, change_set, round_)
            for round_ in range(rounds)
        ]
        results["change_set"] = {
            "rounds": sets,
            **{k: sets[0][k] for k in ("numbers_written", "state")},
            "state": ", ".join(sorted({s["state"] for s in sets})),
            **{
                key: _median(s[key] for s in sets)
                for key in (
                    "service_numbers_per_s",
                    "library_numbers_per_s",
                    "ratio_service_to_library",
                )
            },
        }
    await service.close()
    return results


async def _drain(client: Any) -> int:
    return sum([1 async for _ in client.list_numbers()])


async def _change_set(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    demo: Any,
    service: Any,
    provider: str,
    size: int,
    round_: int = 0,
) -> dict[str, Any]:
    caps = service.clients[provider].capabilities
    field = "label" if caps.can_set("label") else "forwarding_number"
    # Another value each round, so that every round writes every number.
    value = f"Bulk bench {round_}" if field == "label" else f"+1202555{199 + round_:04d}"
    # The service's change set over the first `size` numbers of the account.
    numbers = [x async for x in service.clients[provider].list_numbers()][:size]
    body = {
        "selection": {"accounts": [provider], "numbers": [n.number for n in numbers]},
        "update": {field: value},
    }
    planned = (await http.post("/api/v1/changes", json=body, headers=headers)).json()
    writes = planned["summary"]["to_write"]
    start = time.perf_counter()
    await http.post(f"/api/v1/changes/{planned['id']}/apply", headers=headers)
    await service.wait(planned["id"])
    service_s = time.perf_counter() - start
    job = (await http.get(f"/api/v1/changes/{planned['id']}", headers=headers)).json()
    state = job["state"]
    # The library alone: an identical emulator, the same plan, the same concurrency.
    twin = emulator(
        provider,
        numbers=len(demo.emulators[provider].numbers),
        seed=demo.emulators[provider].seed,
        populate=0.5,
    )
    async with pr.connect_async(
        provider, api_key=twin.api_key, transport=twin.async_transport(), http="httpx"
    ) as client:
        listing = [x async for x in client.list_numbers()]
        chosen = {n.number for n in numbers}
        plan = migration.plan_changes(
            [n for n in listing if n.number in chosen],
            pr.RoutingUpdate(**{field: value}),
            client.capabilities,
        )
        journal = Path(tempfile.mkdtemp()) / "bench.sqlite"
        start = time.perf_counter()
        report = await migration.apply(plan, client, journal=journal, concurrency=16)
        library_s = time.perf_counter() - start
    return {
        "numbers_written": writes,
        "state": state,
        # Why, when the run did not end applied (what the last full run did not say).
        "report": None if state == "applied" else job["report"],
        "library_report_ok": report.ok,
        "service_s": round(service_s, 3),
        "service_numbers_per_s": round(writes / service_s, 1),
        "library_s": round(library_s, 3),
        "library_numbers_per_s": round(report.written / library_s, 1),
        "ratio_service_to_library": round((writes / service_s) / (report.written / library_s), 3),
    }


def _median(values: Any) -> float:
    return round(statistics.median(list(values)), 3)


def _table(results: dict[str, Any]) -> str:
    lines = ["| measurement | service | library | target |", "|---|---|---|---|"]
    search = results["search"]
    by_number = search["GET /numbers?q=<number>"]
    find = search["library find_number (a vendor listing)"]
    lines.append(
        f"| `GET /numbers?q=` a number, p50 / p99 ({results['numbers']:,} numbers) | "
        f"{by_number['p50_ms']} / {by_number['p99_ms']} ms | "
        f"`find_number` (a vendor listing) {find['p50_ms']} ms | p50 <= 20 ms |"
    )
    for key, shown in (
        ("GET /numbers?q=<label substring>", "a label substring found nowhere"),
        ("GET /numbers?q=<label on most numbers>", "a label substring on most numbers"),
        ("GET /numbers?q=<one number's label>", "one number's label"),
    ):
        row = search[key]
        lines.append(
            f"| `GET /numbers?q=` {shown}, p50 / p99 | {row['p50_ms']} / {row['p99_ms']} ms | | |"
        )
    patch = results["patch"]
    library = patch["library update_routing"]["p50_ms"]
    lines.append(
        f"| `PATCH` p50 | {patch['PATCH /accounts/{name}/numbers/{id}']['p50_ms']} ms | "
        f"`update_routing` {library} ms | "
        f"overhead {patch['overhead_p50_ms']} ms (target <= 2) |"
    )
    lines.append(
        f"| `PATCH`, the app's own time, p50 | {patch[APP_SIDE]['p50_ms']} ms | "
        f"`update_routing` {library} ms | overhead {patch['app_overhead_p50_ms']} ms |"
    )
    lines.append(
        f"| `PATCH` with `If-Match` p50 | {patch['PATCH with If-Match']['p50_ms']} ms | "
        f"`update_routing` {library} ms | overhead {patch['if_match_overhead_p50_ms']} ms |"
    )
    for name, row in results["refresh"].items():
        library = row["library_list_numbers_s"]
        lines.append(f"| refresh {name} | {row['service_s']} s | list_numbers {library} s | |")
    cs = results["change_set"]
    ratios = ", ".join(str(r["ratio_service_to_library"]) for r in cs["rounds"])
    lines.append(
        f"| change set of {cs['numbers_written']:,} ({cs['state']}; median of "
        f"{len(cs['rounds'])}: {ratios}) | "
        f"{cs['service_numbers_per_s']}/s | "
        f"migration.apply {cs['library_numbers_per_s']}/s | "
        f"ratio {cs['ratio_service_to_library']} (>= 0.9) |"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes")
    parser.add_argument("--total", type=int, default=100_000, help="numbers in all")
    parser.add_argument("--change-set", type=int, default=10_000, help="numbers it writes")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of the PATCH and change set comparisons"
    )
    parser.add_argument(
        "--store",
        help="the service's store: an empty PostgreSQL database's URL (default: a new SQLite file)",
    )
    args = parser.parse_args()
    if args.quick:
        results = asyncio.run(
            run(total=400, change_set=50, samples=20, rounds=args.rounds, store=args.store)
        )
    else:
        results = asyncio.run(
            run(
                total=args.total,
                change_set=args.change_set,
                samples=200,
                rounds=args.rounds,
                store=args.store,
            )
        )
    print(json.dumps(results, indent=2))
    print()
    print(_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
