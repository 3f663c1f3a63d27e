"""Change sets and migrations through the HTTP interface: plan, apply (journaled, once),
progress and events, 409 on a race, rollback, verify."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

import pytest

import phonerouting as pr
from phonerouting import migration
from phonerouting.server.service import _plan as _stored_plan
from tests.server.conftest import Api

pytestmark = pytest.mark.timeout(180)


def _writes(api: Api, account: str) -> Counter[str]:
    """Writes per path that reached the account's emulator."""
    emu = api.demo.emulators[account]
    return Counter(r.path for r in emu.requests if r.method in ("PUT", "PATCH", "POST", "DELETE"))


async def _plan(api: Api, body: dict[str, Any], who: str = "editor") -> dict[str, Any]:
    response = await api.call("POST", "/api/v1/changes", who=who, json=body)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/api/v1/changes/{response.json()['id']}"
    return response.json()  # type: ignore[no-any-return]


async def _finish(api: Api, kind: str, job_id: str) -> dict[str, Any]:
    await api.service.wait(job_id)
    return (await api.get(f"/api/v1/{kind}/{job_id}")).json()  # type: ignore[no-any-return]


async def test_a_change_set_is_planned_then_applied_once_per_number(api: Api) -> None:
    before = _writes(api, "close")
    plan = await _plan(
        api,
        {"selection": {"accounts": ["close"]}, "update": {"label": "Support", "ring_duration": 30}},
    )
    assert plan["state"] == "planned"
    assert _writes(api, "close") == before  # planned: nothing written
    listing = [n async for n in api.service.clients["close"].list_numbers()]
    by_number = {n.number: n for n in listing}
    assert sorted(n["number"] for n in plan["numbers"]) == sorted(by_number)
    for item in plan["numbers"]:
        current = by_number[item["number"]]
        expected = [
            {"field": f, "before": getattr(current, f), "after": v, "reason": None}
            for f, v in (("label", "Support"), ("ring_duration", 30))
            if getattr(current, f) != v
        ]
        assert item["changes"] == expected
        assert item["account"] == "close"
    to_write = sum(1 for n in plan["numbers"] if n["changes"])
    assert plan["summary"]["to_write"] == to_write > 0

    applied = await api.call("POST", f"/api/v1/changes/{plan['id']}/apply", who="editor")
    assert applied.status_code == 202
    assert applied.json()["state"] == "applying"
    done = await _finish(api, "changes", plan["id"])
    assert done["state"] == "applied"
    assert done["progress"] == {"done": to_write, "total": to_write}
    (part,) = done["report"]["parts"]
    assert (part["written"], part["failed"], part["changed"], part["ok"]) == (
        to_write,
        [],
        [],
        True,
    )
    writes = _writes(api, "close") - before
    assert len(writes) == to_write
    assert set(writes.values()) == {1}  # no number written twice
    after = [n async for n in api.service.clients["close"].list_numbers()]
    assert {(n.label, n.ring_duration) for n in after} == {("Support", 30)}
    # The inventory and the audit trail follow every write.
    items = (await api.get("/api/v1/numbers?account=close&limit=1000")).json()["items"]
    assert {(i["label"], i["ring_duration"]) for i in items} == {("Support", 30)}
    audit = (await api.get("/api/v1/audit?limit=1000")).json()["items"]
    assert len(audit) == to_write
    assert {(e["actor"], e["action"], e["outcome"], e["job"]) for e in audit} == {
        ("editor", "change_set.apply", "written", plan["id"])
    }
    again = await api.call("POST", f"/api/v1/changes/{plan['id']}/apply")
    assert again.status_code == 409
    assert again.json()["error"] == "JobStateError"


async def test_two_applies_at_once_one_runs_the_other_gets_409(api: Api) -> None:
    plan = await _plan(api, {"selection": {"accounts": ["close"]}, "update": {"label": "Race"}})
    path = f"/api/v1/changes/{plan['id']}/apply"
    first, second = await asyncio.gather(
        api.call("POST", path, who="editor"), api.call("POST", path, who="admin")
    )
    assert sorted([first.status_code, second.status_code]) == [202, 409]
    loser = first if first.status_code == 409 else second
    assert loser.json()["error"] == "JobStateError"
    done = await _finish(api, "changes", plan["id"])
    assert done["state"] == "applied"
    assert set(_writes(api, "close").values()) == {1}


async def test_selection_filters_and_unsupported_fields(api: Api) -> None:
    emu = api.demo.emulators["close"]
    emu.add_number("+12025550142", label="Front Desk")  # type: ignore[attr-defined]
    await api.call("POST", "/api/v1/accounts/close/refresh")
    plan = await _plan(
        api,
        {"selection": {"q": "front desk"}, "update": {"label": "Lobby", "campaign_id": None}},
    )
    assert [(n["account"], n["number"]) for n in plan["numbers"]] == [("close", "+12025550142")]
    (item,) = plan["numbers"]
    assert item["changes"] == [
        {"field": "label", "before": "Front Desk", "after": "Lobby", "reason": None}
    ]
    explicit = await _plan(
        api,
        {
            "selection": {"accounts": ["linq-v3"], "numbers": []},
            "update": {"label": "Nope"},
        },
    )
    assert explicit["summary"]["to_write"] == 0
    assert explicit["summary"]["with_unsupported_fields"] == len(
        api.demo.emulators["linq-v3"].numbers
    )
    assert all(n["unsupported"][0]["field"] == "label" for n in explicit["numbers"])
    bad = await api.call(
        "POST", "/api/v1/changes", json={"selection": {"colour": 1}, "update": {"label": "x"}}
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "selection.colour")
    bad = await api.call("POST", "/api/v1/changes", json={"update": {"ring_duration": 3}})
    assert (bad.status_code, bad.json()["field"]) == (422, "update.ring_duration")
    empty = await api.call("POST", "/api/v1/changes", json={"update": {}})
    assert (empty.status_code, empty.json()["field"]) == (422, "update")


async def test_a_number_edited_since_the_plan_is_left_alone(api: Api) -> None:
    plan = await _plan(api, {"selection": {"accounts": ["close"]}, "update": {"label": "Plan"}})
    target = next(n for n in plan["numbers"] if n["changes"])
    await api.service.clients["close"].update_routing(
        target["target_id"], pr.RoutingUpdate(label="Someone else")
    )
    await api.call("POST", f"/api/v1/changes/{plan['id']}/apply")
    done = await _finish(api, "changes", plan["id"])
    assert done["state"] == "failed"
    (part,) = done["report"]["parts"]
    assert [c["number"] for c in part["changed"]] == [target["number"]]
    now = await api.service.clients["close"].get_number(target["target_id"])
    assert now.label == "Someone else"


async def test_progress_streams_as_server_sent_events(api: Api) -> None:
    emu = api.demo.emulators["close"]
    plan = await _plan(api, {"selection": {"accounts": ["close"]}, "update": {"label": "SSE"}})
    total = plan["summary"]["to_write"]
    emu.faults.delay(0.01, count=None)  # slow enough for several progress events
    await api.call("POST", f"/api/v1/changes/{plan['id']}/apply")
    response = await api.get(f"/api/v1/changes/{plan['id']}/events", who="viewer")
    emu.faults.clear()
    assert response.headers["content-type"].startswith("text/event-stream")
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1][6:]))
        for block in response.text.strip().split("\n\n")
        if block.startswith("event:")
    ]
    assert events[0][0] == "progress"
    assert events[-1] == ("done", {"state": "applied", "done": total, "total": total})
    dones = [e[1].get("done", 0) for e in events]
    assert dones == sorted(dones)
    assert len(events) > 2
    finished = await api.get(f"/api/v1/changes/{plan['id']}/events")
    assert finished.text.count("event: done") == 1


async def test_a_run_in_progress_shows_its_live_count_to_a_late_reader(api: Api) -> None:
    """A number left alone (changed since the plan) counts at once; a GET or a page's
    event stream opened while the writes are under way sees that count, not the
    store's copy of the progress (saved only every few seconds, for other
    instances)."""
    emu = api.demo.emulators["close"]
    listing = [n async for n in api.service.clients["close"].list_numbers()]
    chosen = [n for n in listing if n.label != "Live"][:3]
    plan = await _plan(
        api,
        {
            "selection": {"accounts": ["close"], "numbers": [n.number for n in chosen]},
            "update": {"label": "Live"},
        },
    )
    assert plan["summary"]["to_write"] == 3
    await api.service.clients["close"].update_routing(
        chosen[2].id, pr.RoutingUpdate(label="Someone else")
    )
    emu.faults.delay(3.0, count=2, method="PUT")
    try:
        await api.call("POST", f"/api/v1/changes/{plan['id']}/apply")
        for _ in range(100):  # the held-back number's read is quick: well within 1 s
            job = (await api.get(f"/api/v1/changes/{plan['id']}", who="viewer")).json()
            if job["progress"].get("done"):
                break
            await asyncio.sleep(0.01)
        assert (job["state"], job["progress"]) == ("applying", {"done": 1, "total": 3})
        response = await api.get(f"/api/v1/changes/{plan['id']}/events", who="viewer")
    finally:
        emu.faults.clear()
    first = response.text.split("\n\n")[0]
    assert first == 'event: progress\ndata: {"state":"applying","done":1,"total":3}'
    assert response.text.rstrip().endswith(
        'event: done\ndata: {"state":"failed","done":3,"total":3}'
    )


async def test_rollback_restores_what_the_change_set_replaced(api: Api) -> None:
    before = {n.id: n.label async for n in _aiter(api, "close")}
    plan = await _plan(api, {"selection": {"accounts": ["close"]}, "update": {"label": "Tmp"}})
    await api.call("POST", f"/api/v1/changes/{plan['id']}/apply")
    await _finish(api, "changes", plan["id"])
    refused = await api.call("POST", f"/api/v1/changes/{plan['id']}/rollback", who="editor")
    assert refused.status_code == 403
    rolled = await api.call("POST", f"/api/v1/changes/{plan['id']}/rollback", who="admin")
    assert rolled.status_code == 202
    done = await _finish(api, "changes", plan["id"])
    assert done["state"] == "rolled_back"
    assert {n.id: n.label async for n in _aiter(api, "close")} == before
    actions = Counter(
        e["action"] for e in (await api.get("/api/v1/audit?limit=1000")).json()["items"]
    )
    written = plan["summary"]["to_write"]
    assert actions == {"change_set.apply": written, "change_set.rollback": written}


async def _aiter(api: Api, account: str) -> Any:
    async for number in api.service.clients[account].list_numbers():
        yield number


async def test_a_migration_is_planned_applied_verified_and_rolled_back(api: Api) -> None:
    source = {n.number: n async for n in _aiter(api, "linq-v2")}
    target_before = {n.number: n async for n in _aiter(api, "linq-v3")}
    editor = await api.call(
        "POST", "/api/v1/migrations", who="editor", json={"from": "linq-v2", "to": "linq-v3"}
    )
    assert editor.status_code == 403
    created = await api.call(
        "POST",
        "/api/v1/migrations",
        json={"from": "linq-v2", "to": "linq-v3", "fields": ["forwarding_number"]},
    )
    assert created.status_code == 201
    job = created.json()
    assert created.headers["location"] == f"/api/v1/migrations/{job['id']}"
    assert job["kind"] == "migration"
    assert job["summary"]["matched"] == len(source.keys() & target_before.keys())
    await api.call("POST", f"/api/v1/migrations/{job['id']}/apply")
    done = await _finish(api, "migrations", job["id"])
    assert done["state"] == "applied", done["report"]
    after = {n.number: n async for n in _aiter(api, "linq-v3")}
    for number in source.keys() & after.keys():
        assert after[number].forwarding_number == source[number].forwarding_number
    verified = await api.call("POST", f"/api/v1/migrations/{job['id']}/verify")
    assert verified.status_code == 200
    assert verified.json()["ok"] is True
    await api.call("POST", f"/api/v1/migrations/{job['id']}/rollback")
    rolled = await _finish(api, "migrations", job["id"])
    assert rolled["state"] == "rolled_back"
    restored = {n.number: n.forwarding_number async for n in _aiter(api, "linq-v3")}
    assert restored == {k: v.forwarding_number for k, v in target_before.items()}
    same = await api.call("POST", "/api/v1/migrations", json={"from": "close", "to": "close"})
    assert (same.status_code, same.json()["field"]) == (422, "to")


async def test_a_resumed_run_audits_the_writes_its_journal_holds_as_done(api: Api) -> None:
    """A run's writes are group-committed to the audit after the engine goes on: a
    kill can leave writes the journal holds as done with no audit entry. The run
    resumed on restart records each of them, once, from the journal, and ends."""
    plan = await _plan(api, {"selection": {"accounts": ["close"]}, "update": {"label": "Lost"}})
    to_write = plan["summary"]["to_write"]
    store = api.service.store
    job = await store.get_job(plan["id"])
    (part,) = job.parts
    # What the killed instance did: every write sent and journaled as done, the job
    # left applying, and the audit entries not yet committed (here: never made).
    assert await store.claim_job(plan["id"], ("planned",), "applying")
    report = await migration.apply(
        _stored_plan(part), api.service.clients["close"], journal=store.journal(job.id, "close")
    )
    assert report.written == to_write
    before = _writes(api, "close")

    await api.service._resume()
    done = await _finish(api, "changes", plan["id"])

    assert done["state"] == "applied"
    assert _writes(api, "close") == before  # nothing written again
    audit = (await api.get("/api/v1/audit?limit=1000")).json()["items"]
    changes = {n["number"]: n["changes"] for n in plan["numbers"] if n["changes"]}
    assert sorted(e["number"] for e in audit) == sorted(changes)
    for entry in audit:
        (change,) = changes[entry["number"]]
        assert (entry["actor"], entry["action"], entry["outcome"], entry["job"]) == (
            "editor",
            "change_set.apply",
            "written",
            plan["id"],
        )
        assert (entry["before"], entry["after"]) == (
            {"label": change["before"]},
            {"label": "Lost"},
        )
        assert entry["detail"].startswith(
            "the service stopped before this write's audit entry was committed"
        )
    # Resumed again (another restart): nothing recorded twice.
    assert await store.claim_job(plan["id"], ("applied",), "applying")
    await api.service._resume()
    await _finish(api, "changes", plan["id"])
    assert len((await api.get("/api/v1/audit?limit=1000")).json()["items"]) == len(audit)
