"""Paging, get-by-list, find by number, empty updates and multi-step updates, through
both drivers, with the exact requests asserted. The vendors are the emulators; only a
vendor that misbehaves (a cursor that repeats) is a hand-written mock."""

from __future__ import annotations

import re

import httpx
import pytest

import phonerouting as pr
from phonerouting import testing
from tests.client.drive import call, close, list_all, make_client
from tests.client.test_operations_emulated import connect

U1 = "11111111-1111-4111-8111-111111111111"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def queries(emu: testing.Emulator) -> list[tuple[str, str, dict[str, str]]]:
    return [(r.method, r.path, dict(r.query)) for r in emu.requests]


async def test_agentmessage_follows_cursors_and_finds_by_number(mode: str) -> None:
    emu = testing.AgentMessageEmulator(120, seed=3)
    target = emu.add_number("+12025550102")
    client = connect(mode, emu)
    numbers = await list_all(client)
    assert len(numbers) == 121
    sent = queries(emu)
    assert [q[2].keys() for q in sent] == [{"limit"}, {"limit", "cursor"}]
    assert [q[2]["limit"] for q in sent] == ["100", "100"]
    emu.clear_requests()
    found = await call(client, "find_number", "+1 202 555 0102")
    assert (found.id, found.number) == (target.id, "+12025550102")
    with pytest.raises(pr.NotFoundError, match=r"\+12025550199"):
        await call(client, "find_number", "+12025550199")
    await close(client)


def _am_number(uid: str, number: str) -> dict[str, object]:
    # The documented shape in full (providers/agentmessage/openapi.yaml).
    return {
        "id": uid,
        "number": number,
        "number_type": "local",
        "inbound_url": None,
        "status_url": None,
        "label": None,
        "campaign_id": None,
        "carrier_line_option_status": "active",
        "carrier_line_option_propagated_at": None,
        "sms_enabled": True,
        "mms_enabled": False,
        "created_at": "2026-04-26T12:00:00Z",
        "updated_at": "2026-04-26T12:00:00Z",
    }


async def test_a_vendor_repeating_a_cursor_is_stopped(mode: str) -> None:
    seen: list[str] = []

    def repeating(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.query.decode())
        page = {"success": True, "data": [_am_number(U1, "+12025550101")]}
        return httpx.Response(200, json={**page, "meta": {"limit": 100, "next_cursor": "c1"}})

    client = make_client(mode, "agentmessage", repeating)
    with pytest.raises(pr.UnexpectedResponseError, match="repeats a page"):
        await list_all(client)
    assert seen == ["limit=100", "limit=100&cursor=c1"]
    await close(client)


async def test_linq_get_number_lists_and_filters(mode: str) -> None:
    emu = testing.LinqV2Emulator(0)
    emu.add_number("+12025550107", forwarding_number="+12025559999")
    cleared = emu.add_number("+12025550108")
    client = connect(mode, emu)
    number = await call(client, "get_number", str(cleared.id))
    assert (number.id, number.number, number.forwarding_number) == (
        str(cleared.id),
        "+12025550108",
        None,
    )
    padded = f"00{cleared.id - 1}"  # the other number's id, zero-padded
    assert (await call(client, "get_number", padded)).forwarding_number == "+12025559999"
    with pytest.raises(pr.NotFoundError) as caught:
        await call(client, "get_number", str(cleared.id + 1000))
    assert caught.value.provider == "linq-v2"
    assert [(m, p) for m, p, _ in queries(emu)] == [("GET", "/api/partner/v2/phone_numbers")] * 3
    await close(client)


async def test_empty_update_reads_and_writes_nothing(mode: str) -> None:
    emu = testing.CloseEmulator(0)
    record = emu.add_number("+12025550111", forward_to="+12025559999", forward_to_enabled=True)
    client = connect(mode, emu)
    result = await call(client, "update_routing", record.id, pr.RoutingUpdate())
    assert result.forwarding_number == "+12025559999"
    assert queries(emu) == [("GET", f"/api/v1/phone_number/{record.id}/", {})]
    await close(client)


async def test_agentmessage_clear_campaign_and_set_label_is_patch_then_detach(mode: str) -> None:
    emu = testing.AgentMessageEmulator(0)
    campaign = emu.add_campaign()
    record = emu.add_number("+12025550101", campaign_id=campaign, status_url="https://a.example/s")
    client = connect(mode, emu)
    update = pr.RoutingUpdate(label="Sales", campaign_id=pr.CLEAR, status_url="")
    result = await call(client, "update_routing", record.id.upper(), update)
    path = f"/v1/phone-numbers/{record.id}"
    assert [(r.method, r.path, r.json) for r in emu.requests] == [
        ("PATCH", path, {"label": "Sales", "status_url": ""}),
        ("DELETE", f"{path}/campaign", None),
    ]
    assert (result.label, result.campaign_id, result.status_url) == ("Sales", None, None)
    assert (emu.get(record.id).label, emu.get(record.id).campaign_id) == ("Sales", None)
    await close(client)


async def test_a_failed_first_step_stops_the_update(mode: str) -> None:
    # A read-only key: the PATCH is refused, and the detach is never sent.
    emu = testing.AgentMessageEmulator(0)
    campaign = emu.add_campaign()
    record = emu.add_number("+12025550101", campaign_id=campaign)
    read_only = emu.add_key(("numbers:read",))
    factory = pr.connect if mode == "sync" else pr.connect_async
    transport = emu.transport() if mode == "sync" else emu.async_transport()
    client = factory("agentmessage", api_key=read_only, transport=transport)  # type: ignore[operator]
    with pytest.raises(pr.PermissionDeniedError) as caught:
        await call(
            client, "update_routing", record.id, pr.RoutingUpdate(label="x", campaign_id=None)
        )
    assert caught.value.code == "FORBIDDEN"
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", caught.value.request_id or "")  # a ULID
    assert [r.method for r in emu.requests] == ["PATCH"]
    assert emu.get(record.id).campaign_id == campaign
    await close(client)


async def test_close_pages_by_skip_and_find_uses_the_number_filter(mode: str) -> None:
    emu = testing.CloseEmulator(100, seed=5)
    last = emu.add_number("+12025550100")
    client = connect(mode, emu)
    numbers = await list_all(client)
    assert len(numbers) == 101
    assert {n.id for n in numbers} == set(emu.numbers)
    found = await call(client, "find_number", "+12025550100")
    assert found.id == last.id
    assert [q for _, _, q in queries(emu)] == [
        {"_skip": "0", "_limit": "100"},
        {"_skip": "100", "_limit": "100"},
        {"number": "+12025550100", "_skip": "0", "_limit": "100"},
    ]
    await close(client)


async def test_update_with_a_wrong_type_is_a_type_error(mode: str) -> None:
    emu = testing.LinqV3Emulator(0)
    client = connect(mode, emu)
    with pytest.raises(TypeError, match="RoutingUpdate"):
        await call(client, "update_routing", U1, {"forwarding_number": "+12025559999"})
    assert emu.requests == []
    await close(client)
