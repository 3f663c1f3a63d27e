"""The inventory, single edits and the audit trail, through the HTTP interface."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from phonerouting.model import ROUTING_FIELDS
from phonerouting.server import create_app
from tests import profiles
from tests.server.conftest import Api, Waits, build, run_sql
from tests.support import last_write_to, numbered_request_ids

pytestmark = pytest.mark.timeout(180)


async def _all(api: Api, query: str, who: str = "admin", limit: int = 7) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        suffix = f"&cursor={cursor}" if cursor else ""
        page = (await api.get(f"/api/v1/numbers?limit={limit}&{query}{suffix}", who=who)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("paging never ended")


def _writes(api: Api) -> dict[str, int]:
    return {
        name: sum(1 for r in emu.requests if r.method in ("PUT", "PATCH", "POST", "DELETE"))
        for name, emu in api.demo.emulators.items()
    }


async def test_paging_gives_every_number_once_in_order(api: Api) -> None:
    items = await _all(api, "")
    expected = sorted(
        (n.number, name, n.id) for name, numbers in (await _listings(api)).items() for n in numbers
    )
    assert [(i["number"], i["account"], i["id"]) for i in items] == expected
    first = items[0]
    assert set(first) == {
        "account",
        "provider",
        "id",
        "number",
        *ROUTING_FIELDS,
        "sms_enabled",
        "mms_enabled",
        "created_at",
        "updated_at",
        "read_at",
        "stale",
        "etag",
    }


async def _listings(api: Api) -> dict[str, list[Any]]:
    """What each account holds, read through the library itself, to compare against."""
    return {
        name: [n async for n in client.list_numbers()]
        for name, client in api.service.clients.items()
    }


async def test_items_hold_what_the_library_reads(api: Api) -> None:
    items = {(i["account"], i["id"]): i for i in await _all(api, "", limit=1000)}
    for account, numbers in (await _listings(api)).items():
        for number in numbers:
            item = items[(account, number.id)]
            assert item["provider"] == number.provider
            for field in ROUTING_FIELDS:
                value = getattr(number, field)
                assert item[field] == (list(value) if isinstance(value, tuple) else value)


async def test_paging_is_stable_under_a_refresh(api: Api) -> None:
    first = (await api.get("/api/v1/numbers?limit=10")).json()
    emu = api.demo.emulators["close"]
    emu.add_number("+12015550100")  # type: ignore[attr-defined]  # sorts before every other
    assert (await api.call("POST", "/api/v1/accounts/close/refresh")).status_code == 200
    rest = await _all(api, "", limit=10)
    del rest
    cursor = first["next_cursor"]
    after: list[dict[str, Any]] = []
    while cursor:
        page = (await api.get(f"/api/v1/numbers?limit=10&cursor={cursor}")).json()
        after += page["items"]
        cursor = page["next_cursor"]
    keys = [(i["number"], i["account"], i["id"]) for i in first["items"] + after]
    assert keys == sorted(set(keys))  # no number twice, still in order
    now = {(n.number, a, n.id) for a, numbers in (await _listings(api)).items() for n in numbers}
    # Every number but the one added before the cursor's place, each once.
    assert {k for k in now if k[0] != "+12015550100"} == set(keys)


async def test_q_takes_a_number_in_any_human_form_or_a_label(api: Api) -> None:
    emu = api.demo.emulators["close"]
    emu.add_number("+12025550142", label="Front Desk")  # type: ignore[attr-defined]
    await api.call("POST", "/api/v1/accounts/close/refresh")
    for q in ("%2B1 (202) 555-0142", "%2B12025550142", "202-555-0142", "5550142"):
        items = await _all(api, f"q={q}")
        assert [(i["account"], i["number"]) for i in items] == [("close", "+12025550142")], q
    items = await _all(api, "q=front%20desk")
    assert [i["label"] for i in items] == ["Front Desk"]
    assert await _all(api, "q=no-such-label") == []


async def test_filters_account_provider_has_missing(api: Api) -> None:
    listings = await _listings(api)
    close = await _all(api, "account=close")
    assert {i["account"] for i in close} == {"close"}
    assert len(close) == len(listings["close"])
    both = await _all(api, "provider=close,linq-v2")
    assert {i["provider"] for i in both} == {"close", "linq-v2"}
    labelled = await _all(api, "has=label")
    expected = sorted(
        (n.number, name)
        for name, numbers in listings.items()
        for n in numbers
        if n.label is not None
    )
    assert sorted((i["number"], i["account"]) for i in labelled) == expected
    assert expected  # the demo's mixed routing gives some
    unlabelled = await _all(api, "account=close&missing=label")
    assert all(i["label"] is None for i in unlabelled)
    assert len(unlabelled) + sum(1 for e in expected if e[1] == "close") == len(close)


async def test_a_number_in_every_account_that_holds_it(api: Api) -> None:
    for name in ("close", "linq-v3"):
        api.demo.emulators[name].add_number("+12025550177")  # type: ignore[attr-defined]
        await api.call("POST", f"/api/v1/accounts/{name}/refresh")
    body = (await api.get("/api/v1/numbers/+1%20202%20555%200177")).json()
    assert body["number"] == "+12025550177"
    assert sorted(i["account"] for i in body["items"]) == ["close", "linq-v3"]
    assert (await api.get("/api/v1/numbers/+12025550199")).status_code == 404


async def test_a_failed_refresh_keeps_the_last_good_data_marked_stale(api: Api) -> None:
    before = await _all(api, "account=linq-v3")
    emu = api.demo.emulators["linq-v3"]
    emu.faults.server_error(503, count=None)
    refresh = await api.call("POST", "/api/v1/accounts/linq-v3/refresh")
    assert refresh.status_code == 502
    assert refresh.json()["error"] == "ServerError"
    after = await _all(api, "account=linq-v3")
    assert [i["id"] for i in after] == [i["id"] for i in before]
    assert all(i["stale"] for i in after)
    assert [i["read_at"] for i in after] == [i["read_at"] for i in before]
    account = next(
        a for a in (await api.get("/api/v1/accounts")).json()["items"] if a["name"] == "linq-v3"
    )
    assert account["health"]["stale"] is True
    assert account["health"]["last_error"].startswith("ServerError: linq-v3:")
    emu.faults.clear()
    assert (await api.call("POST", "/api/v1/accounts/linq-v3/refresh")).status_code == 200
    assert not any(i["stale"] for i in await _all(api, "account=linq-v3"))


async def test_refresh_when_older_than_the_configured_age(tmp_path: Path, waits: Waits) -> None:
    demo = build(tmp_path, waits, numbers=3, refresh_max_age=0.05)
    app = create_app(demo.config)
    headers = {"Authorization": f"Bearer {demo.tokens['viewer']}"}
    emu = demo.emulators["close"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        await client.get("/readyz")
        emu.add_number("+12025550188")  # type: ignore[attr-defined]
        for _ in range(400):
            found = await client.get("/api/v1/numbers?q=%2B12025550188", headers=headers)
            if found.json()["items"]:
                break
            await __import__("asyncio").sleep(0.01)
        assert [i["number"] for i in found.json()["items"]] == ["+12025550188"]
    await app.state.service.close()


# ---------------------------------------------------------------- PATCH


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _close_number(api: Api) -> dict[str, Any]:
    items = (await api.get("/api/v1/numbers?account=close&limit=1")).json()["items"]
    return items[0]  # type: ignore[no-any-return]


async def test_patch_leaves_clears_and_sets_as_asked(api: Api) -> None:
    number = await _close_number(api)
    emu = api.demo.emulators["close"]
    path = f"/api/v1/accounts/close/numbers/{number['id']}"
    response = await api.call(
        "PATCH",
        path,
        who="editor",
        json={
            "label": "Front desk",
            "forwarding_number": "+1 (202) 555-9999",
            "ring_duration": None,
        },
    )
    assert response.status_code == 200
    sent = [r for r in emu.requests if r.method in ("PUT", "PATCH")]
    assert sent[-1].json == {
        "label": "Front desk",
        "forward_to": "+12025559999",
        "forward_to_enabled": True,
        "inbound_ring_duration": None,
    }
    body = response.json()
    assert (body["label"], body["forwarding_number"], body["ring_duration"]) == (
        "Front desk",
        "+12025559999",
        None,
    )
    assert response.headers["etag"] == body["etag"]
    read = await api.get(path)
    assert read.json()["label"] == "Front desk"
    assert read.headers["etag"] == body["etag"]


async def test_a_patch_sends_the_vendor_what_update_routing_sends_and_no_more(
    api: Api,
) -> None:
    """Without If-Match the service adds no request to the library's: the audit's
    before is the inventory's copy, said so; a vendor whose update reads the number
    first reads it once (the service's read standing for the library's)."""
    for name, emu in api.demo.emulators.items():
        number = (await api.get(f"/api/v1/numbers?account={name}&limit=1")).json()["items"][0]
        update = profiles.profile(name).update
        body = {k: list(v) if isinstance(v, tuple) else v for k, v in update.changes().items()}
        emu.clear_requests()
        path = f"/api/v1/accounts/{name}/numbers/{number['id']}"
        assert (await api.call("PATCH", path, json=body)).status_code == 200
        sent = [(r.method, r.path, r.body) for r in emu.requests]
        emu.clear_requests()
        await api.service.clients[name].update_routing(number["id"], update)
        assert sent == [(r.method, r.path, r.body) for r in emu.requests], name
        (entry,) = (await api.get(f"/api/v1/audit?account={name}")).json()["items"]
        if api.service.clients[name].adapter.reads_before_update(update):
            assert entry["detail"] is None  # read from the vendor just before
        else:
            assert entry["detail"] == (
                f"before as the inventory held it, read at {number['read_at']}"
            )
            assert entry["before"] == {k: number[k] for k in body}


async def test_a_patch_of_a_number_the_inventory_lacks_reads_it_first(api: Api) -> None:
    emu = api.demo.emulators["close"]
    record = emu.add_number("+12025550142", label="New")  # type: ignore[attr-defined]
    emu.clear_requests()
    path = f"/api/v1/accounts/close/numbers/{record.id}"
    response = await api.call("PATCH", path, json={"label": "Newer"})
    assert (response.status_code, response.json()["label"]) == (200, "Newer")
    assert [r.method for r in emu.requests] == ["GET", "PUT"]
    (entry,) = (await api.get("/api/v1/audit?account=close")).json()["items"]
    assert (entry["before"], entry["after"], entry["detail"]) == (
        {"label": "New"},
        {"label": "Newer"},
        None,
    )
    assert (await api.get(path)).json()["label"] == "Newer"  # now in the inventory


async def test_if_match_a_stale_etag_is_412_and_nothing_is_written(api: Api) -> None:
    number = await _close_number(api)
    path = f"/api/v1/accounts/close/numbers/{number['id']}"
    emu = api.demo.emulators["close"]
    # Someone edits the number at the vendor, behind the service's back.
    await api.service.clients["close"].update_routing(
        number["id"], __import__("phonerouting").RoutingUpdate(label="Edited elsewhere")
    )
    before = _writes(api)
    response = await api.call(
        "PATCH", path, json={"label": "Mine"}, headers={"If-Match": number["etag"]}
    )
    assert response.status_code == 412
    assert response.json()["error"] == "PreconditionFailedError"
    assert _writes(api) == before
    assert emu.numbers  # the emulator still holds the other edit:
    fresh = await api.get(path)
    assert fresh.json()["label"] == "Edited elsewhere"
    ok = await api.call(
        "PATCH", path, json={"label": "Mine"}, headers={"If-Match": fresh.json()["etag"]}
    )
    assert (ok.status_code, ok.json()["label"]) == (200, "Mine")
    audit = (await api.get(f"/api/v1/audit?number={number['number'].replace('+', '%2B')}")).json()
    outcomes = [(e["outcome"], e["before"], e["after"]) for e in audit["items"]]
    assert outcomes == [
        ("refused", {"label": "Edited elsewhere"}, {"label": "Mine"}),
        ("written", {"label": "Edited elsewhere"}, {"label": "Mine"}),
    ]


async def test_a_refresh_never_puts_back_a_value_a_write_replaced_while_it_listed(
    api: Api,
) -> None:
    """The refresh has read every number (the old label included) when a PATCH lands;
    only then does it store what it read. The number keeps the PATCH's value."""
    number = await _close_number(api)
    path = f"/api/v1/accounts/close/numbers/{number['id']}"
    service = api.service
    real = service.clients["close"]
    listed, go = asyncio.Event(), asyncio.Event()

    class Gated:
        """The account's client, its listing held back once read to the end."""

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        async def list_numbers(self) -> AsyncIterator[Any]:
            numbers = [n async for n in real.list_numbers()]
            listed.set()
            await go.wait()
            for n in numbers:
                yield n

    service.clients["close"] = Gated()
    refresh = asyncio.ensure_future(api.call("POST", "/api/v1/accounts/close/refresh"))
    await asyncio.wait_for(listed.wait(), 60)
    patched = await api.call("PATCH", path, json={"label": "Written during the refresh"})
    assert patched.status_code == 200, patched.text
    go.set()
    assert (await refresh).status_code == 200
    service.clients["close"] = real
    read = (await api.get(path)).json()
    written_at = patched.json()["read_at"]
    assert (read["label"], read["read_at"]) == ("Written during the refresh", written_at)
    others = [i for i in await _all(api, "account=close", limit=100) if i["id"] != number["id"]]
    assert len({i["read_at"] for i in others}) == 1  # the refresh stored the rest
    assert _at(others[0]["read_at"]) < _at(written_at)
    # The next refresh, begun after the write, reads the number like any other.
    assert (await api.call("POST", "/api/v1/accounts/close/refresh")).status_code == 200
    again = (await api.get(path)).json()
    assert again["label"] == "Written during the refresh"
    assert _at(again["read_at"]) > _at(written_at)


# ---------------------------------------------------------------- audit


async def test_audit_records_every_write_and_filters(api: Api) -> None:
    number = await _close_number(api)
    path = f"/api/v1/accounts/close/numbers/{number['id']}"
    await api.call("PATCH", path, who="editor", json={"label": "=HYPERLINK(1)"})
    emu = api.demo.emulators["close"]
    emu.faults.server_error(500, count=None, method="PUT")
    failed = await api.call("PATCH", path, who="admin", json={"label": "Nope"})
    emu.faults.clear()
    assert failed.status_code == 502
    entries = (await api.get("/api/v1/audit")).json()["items"]
    assert [(e["actor"], e["action"], e["outcome"], e["number"]) for e in entries] == [
        ("editor", "update", "written", number["number"]),
        ("admin", "update", "failed", number["number"]),
    ]
    assert entries[1]["vendor_request_id"] == failed.json()["vendor_request_id"]
    assert entries[1]["detail"].startswith("ServerError:")
    assert entries[0]["after"] == {"label": "=HYPERLINK(1)"}
    only = (await api.get("/api/v1/audit?actor=admin")).json()["items"]
    assert [e["seq"] for e in only] == [entries[1]["seq"]]
    since = (await api.get(f"/api/v1/audit?since={entries[1]['at'].replace('+', '%2B')}")).json()
    assert [e["seq"] for e in since["items"]] == [entries[1]["seq"]]
    until = (await api.get(f"/api/v1/audit?until={entries[1]['at'].replace('+', '%2B')}")).json()
    assert [e["seq"] for e in until["items"]] == [entries[0]["seq"]]
    paged = (await api.get("/api/v1/audit?limit=1")).json()
    second = (await api.get(f"/api/v1/audit?limit=1&cursor={paged['next_cursor']}")).json()
    assert [e["seq"] for e in paged["items"] + second["items"]] == [e["seq"] for e in entries]
    assert second["next_cursor"] is None
    text = (await api.get("/api/v1/audit?format=csv")).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["outcome"] for r in rows] == ["written", "failed"]
    assert rows[0]["after"] == '\'{"label": "=HYPERLINK(1)"}'[1:]  # JSON starts with {
    assert rows[0]["number"] == number["number"]  # an E.164 number is left as it is


async def test_every_write_records_the_vendors_request_id(api: Api) -> None:
    """A PATCH in every account, then a change set over all of them: each written
    entry carries exactly the request id of the answer to its write (None for a
    vendor that sends none)."""
    headers = {name: numbered_request_ids(emu) for name, emu in api.demo.emulators.items()}
    expected: dict[tuple[str, str], str | None] = {}
    for name, emu in api.demo.emulators.items():
        number = (await api.get(f"/api/v1/numbers?account={name}&limit=1")).json()["items"][0]
        update = profiles.profile(name).update.changes()
        body = {k: list(v) if isinstance(v, tuple) else v for k, v in update.items()}
        path = f"/api/v1/accounts/{name}/numbers/{number['id']}"
        response = await api.call("PATCH", path, who="editor", json=body)
        assert response.status_code == 200, response.text
        rid = f"rid-{last_write_to(emu, number['id'])}" if headers[name] else None
        expected[(name, number["id"])] = rid
    entries = (await api.get("/api/v1/audit?limit=1000")).json()["items"]
    assert {(e["account"], e["number_id"]): e["vendor_request_id"] for e in entries} == expected
    assert [e["outcome"] for e in entries] == ["written"] * len(expected)

    plan = await api.call(
        "POST", "/api/v1/changes", json={"selection": {}, "update": {"label": "Audited"}}
    )
    job = plan.json()["id"]
    assert (await api.call("POST", f"/api/v1/changes/{job}/apply")).status_code == 202
    await api.service.wait(job)
    assert (await api.get(f"/api/v1/changes/{job}")).json()["state"] == "applied"
    written = [
        e for e in (await api.get("/api/v1/audit?limit=1000")).json()["items"] if e["job"] == job
    ]
    assert len(written) == plan.json()["summary"]["to_write"] > 0
    for entry in written:
        emu = api.demo.emulators[entry["account"]]
        rid = f"rid-{last_write_to(emu, entry['number_id'])}" if headers[entry["account"]] else None
        assert (entry["outcome"], entry["vendor_request_id"]) == ("written", rid), entry
    # Both kinds of vendor are in the demo: the test checks ids, and their absence.
    assert set(headers.values()) - {None}
    assert None in headers.values()
    csv_text = (await api.get("/api/v1/audit?format=csv&limit=1000")).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["vendor_request_id"] for r in rows] == [
        e["vendor_request_id"] or ""
        for e in (await api.get("/api/v1/audit?limit=1000")).json()["items"]
    ]


async def test_audit_cells_that_a_spreadsheet_would_run_are_quoted(api: Api) -> None:
    from phonerouting.server.app import _cell

    assert _cell("=SUM(A1)") == "'=SUM(A1)"
    assert _cell("@x") == "'@x"
    assert _cell("-1") == "'-1"
    assert _cell("+12025550142") == "+12025550142"
    assert _cell("+1+1") == "'+1+1"
    assert _cell(None) == ""


async def test_the_audit_trail_cannot_be_edited(api: Api) -> None:
    number = await _close_number(api)
    await api.call("PATCH", f"/api/v1/accounts/close/numbers/{number['id']}", json={"label": "A"})
    import sqlite3

    import psycopg

    store = api.demo.config.store
    for sql in ("UPDATE {audit} SET actor='someone else'", "DELETE FROM {audit}"):
        with pytest.raises((sqlite3.IntegrityError, psycopg.Error), match="append-only"):
            run_sql(store, sql)
    entries = (await api.get("/api/v1/audit")).json()["items"]
    assert [(e["actor"], e["outcome"]) for e in entries] == [("admin", "written")]
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        response = await api.call(method, "/api/v1/audit", json={})
        assert response.status_code == 405
