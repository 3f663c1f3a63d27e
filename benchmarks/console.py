"""The web console at scale: its inventory page's server time, a search's round trip
as Chromium sees it, and the weight of a page.

    python benchmarks/console.py            # 100,000 numbers across the accounts
    python benchmarks/console.py --quick    # tiny sizes: proves the script works

The service runs on uvicorn on loopback over in-process emulators of every provider
(a few numbers each); once its first reads are done, the inventory in its store is
replaced by ``--numbers`` numbers across the accounts (each a copy of one the account
read, under a new number and id), since the pages read the store, never a vendor, and
reading 100,000 numbers from the emulators would take this benchmark most of its time.
Debian's Chromium (``/usr/bin/chromium``, as the browser tests launch it), driven from
another thread, signs in and searches. Measured:

* the inventory page's server time (its ``Server-Timing: app`` header, the time from
  the request reaching the console to its page being rendered) for the first page,
  a page deep in the list (after half the numbers), a search by a number, a label
  search, and a filter by a field set: p50 / p99 (target p50 <= 150 ms);
* a search's round trip as the browser sees it: typing a human-formatted number,
  pressing Search, until the results page has loaded (its navigation timing,
  request start to load end; also to the response's last byte): p50 / p99 (target
  p50 <= 200 ms);
* the page weight: the inventory's HTML (50 rows) with its stylesheet and script,
  uncompressed (target <= 150 KB).

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import attrs
import httpx
import uvicorn
from playwright.sync_api import sync_playwright

from phonerouting.model import PhoneNumber
from phonerouting.server import create_app
from phonerouting.server.demo import demo_config
from phonerouting.store import NumberQuery
from phonerouting.testing.browser import CHROMIUM, CHROMIUM_ARGS
from phonerouting.testing.seeding import e164_numbers


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered), 2), "p99_ms": round(p99, 2)}


def _copies(numbers: list[PhoneNumber], count: int, seed: int) -> list[PhoneNumber]:
    """``count`` numbers like ``numbers``, each under a new E.164 number and id."""
    fresh = e164_numbers(count, seed)
    return [
        attrs.evolve(numbers[i % len(numbers)], id=f"bench{seed}-{i}", number=e164)
        for i, e164 in enumerate(fresh)
    ]


def _server_time(http: httpx.Client, url: str) -> float:
    response = http.get(url)
    response.raise_for_status()
    return float(response.headers["server-timing"].split("dur=")[1])


def _measure(url: str, token: str, total: int, samples: int) -> dict[str, Any]:
    """Everything measured against the service at ``url`` (run off its event loop)."""
    rng = random.Random(5)  # noqa: S311 (a sample of numbers, not a secret)
    results: dict[str, Any] = {}
    with httpx.Client(base_url=url, timeout=60) as http:
        signed = http.post(
            "signin",
            content=f"token={token}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert signed.status_code == 303, signed.text
        api = {"Authorization": f"Bearer {token}"}
        accounts = http.get("api/v1/accounts", headers=api).json()["items"]
        results["numbers"] = sum(a["numbers"] for a in accounts)
        # Every number, for the samples and a cursor half-way down the list.
        every: list[str] = []
        cursor: str | None = None
        middle: str | None = None
        size = 1000 if total >= 10_000 else 50
        while True:
            query = f"api/v1/numbers?limit={size}" + (f"&cursor={cursor}" if cursor else "")
            page = http.get(query, headers=api).json()
            every += [n["number"] for n in page["items"]]
            cursor = page["next_cursor"]
            if middle is None and len(every) >= results["numbers"] // 2:
                middle = cursor
            if not cursor:
                break
        chosen = rng.sample(every, min(samples, len(every)))
        cases = {
            "first page": lambda _: "numbers",
            "a page half-way down": lambda _: f"numbers?cursor={middle}",
            "search by a number": lambda n: f"numbers?q={quote(n)}",
            "search a label found nowhere": lambda _: "numbers?q=Nowhere%20at%20all",
            "filter: label set": lambda _: "numbers?has=label",
        }
        server: dict[str, Any] = {}
        for name, target in cases.items():
            _server_time(http, target(chosen[0]))  # warm
            server[name] = _ms([_server_time(http, target(n)) for n in chosen])
        results["inventory_server_time"] = server

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        page = browser.new_page()
        page.goto(url + "signin")
        page.get_by_label("Token").fill(token)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/numbers")
        weight = page.evaluate(
            """() => {
                const nav = performance.getEntriesByType('navigation')[0];
                const parts = {html: nav.decodedBodySize};
                for (const r of performance.getEntriesByType('resource'))
                    parts[r.name.split('/').pop()] = r.decodedBodySize;
                return parts;
            }"""
        )
        results["page_weight_bytes"] = {**weight, "total": sum(weight.values())}
        trips: list[float] = []
        responses: list[float] = []
        for number in chosen:
            human = f"+{number[1]} ({number[2:5]}) {number[5:8]}-{number[8:]}"
            page.get_by_label("Number or label").fill(human)
            with page.expect_navigation():
                page.get_by_role("button", name="Search").click()
            page.wait_for_load_state("load")
            assert page.locator("table.numbers tbody tr").count() >= 1, number
            response, loaded = page.evaluate(
                """() => { const n = performance.getEntriesByType('navigation')[0];
                           return [n.responseEnd - n.startTime, n.loadEventEnd - n.startTime]; }"""
            )
            responses.append(response)
            trips.append(loaded)
        results["search_round_trip"] = _ms(trips)
        results["search_response"] = _ms(responses)
        browser.close()
    return results


async def run(total: int, samples: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="phonerouting-console-bench-"))
    demo = demo_config(
        folder / "store.sqlite",
        numbers=20,
        populate=0.5,
        wait_for_inventory=True,
        refresh_max_age=None,
    )
    app = create_app(demo.config)
    service = app.state.service
    await service.start()
    started = time.perf_counter()
    names = list(demo.config.accounts)
    for offset, name in enumerate(names):
        read = [
            s.number for s in await service.store.query_numbers(NumberQuery((name,)), None, 100)
        ]
        share = total // len(names) + (1 if offset < total % len(names) else 0)
        await service.store.replace_inventory(
            name, _copies(read, share, seed=100 + offset), datetime.now(UTC)
        )
    seeded = round(time.perf_counter() - started, 1)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    serving = asyncio.ensure_future(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        results = await asyncio.to_thread(
            _measure, f"http://127.0.0.1:{port}/", demo.tokens["viewer"], total, samples
        )
    finally:
        server.should_exit = True
        await serving
        await service.close()
    return {"store_seeded_s": seeded, **results}


def _table(results: dict[str, Any]) -> str:
    lines = [
        f"| measurement ({results['numbers']:,} numbers) | p50 | p99 | target |",
        "|---|---|---|---|",
    ]
    for name, value in results["inventory_server_time"].items():
        lines.append(
            f"| inventory page server time: {name} | {value['p50_ms']} ms | "
            f"{value['p99_ms']} ms | p50 <= 150 ms |"
        )
    trip = results["search_round_trip"]
    lines.append(
        f"| search round trip in Chromium, to the page loaded | {trip['p50_ms']} ms | "
        f"{trip['p99_ms']} ms | p50 <= 200 ms |"
    )
    trip = results["search_response"]
    lines.append(
        f"| search in Chromium, to its page's last byte | {trip['p50_ms']} ms | "
        f"{trip['p99_ms']} ms | |"
    )
    weight = results["page_weight_bytes"]
    parts = ", ".join(f"{k.split('?')[0]} {v:,}" for k, v in weight.items() if k != "total")
    lines.append(f"| page weight ({parts}) | {weight['total']:,} B | | <= 150 KB |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes")
    parser.add_argument("--numbers", type=int, default=100_000, help="numbers in the store")
    parser.add_argument("--samples", type=int, default=50, help="samples per measurement")
    args = parser.parse_args()
    total, samples = (600, 5) if args.quick else (args.numbers, args.samples)
    results = asyncio.run(run(total, samples))
    print(json.dumps(results, indent=2))
    print(_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
