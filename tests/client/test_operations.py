"""Paging, get-by-list, find by number, empty updates and multi-step updates, through
both drivers, with exact requests asserted."""

from __future__ import annotations

import json

import httpx
import pytest

import phonerouting as pr
from tests.client.drive import call, close, list_all, make_client

U1 = "11111111-1111-4111-8111-111111111111"
U2 = "22222222-2222-4222-8222-222222222222"
CAMPAIGN = "78614b6c-fe7c-41e2-8e25-c9b3a3c91904"


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Recorder:
    """Routes requests to a dict of (method, path, query) → response body."""

    def __init__(self, routes: dict[tuple[str, str, str], tuple[int, object]]) -> None:
        self.routes = routes
        self.seen: list[tuple[str, str, str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        query = request.url.query.decode()
        body = json.loads(request.content) if request.content else None
        self.seen.append((request.method, request.url.path, query, body))
        status, payload = self.routes[(request.method, request.url.path, query)]
        return httpx.Response(status, json=payload)


def am_number(uid: str, number: str, **extra: object) -> dict[str, object]:
    return {
        "id": uid,
        "number": number,
        "number_type": "local",
        "inbound_url": None,
        "status_url": None,
        "label": None,
        "campaign_id": None,
        "sms_enabled": True,
        "mms_enabled": False,
        "created_at": "2026-04-26T12:00:00Z",
        "updated_at": "2026-04-26T12:00:00Z",
        **extra,
    }


def envelope(data: object, next_cursor: str | None = None) -> dict[str, object]:
    return {"success": True, "data": data, "meta": {"next_cursor": next_cursor}}


async def test_agentmessage_follows_cursors_and_finds_by_number(mode: str) -> None:
    routes = {
        ("GET", "/v1/phone-numbers", "limit=100"): (
            200,
            envelope([am_number(U1, "+12025550101")], "Y3Vyc29yMQ=="),
        ),
        ("GET", "/v1/phone-numbers", "limit=100&cursor=Y3Vyc29yMQ%3D%3D"): (
            200,
            envelope([am_number(U2, "+12025550102")], None),
        ),
    }
    recorder = Recorder(routes)
    client = make_client(mode, "agentmessage", recorder)
    numbers = await list_all(client)
    assert [(n.id, n.number, n.sms_enabled) for n in numbers] == [
        (U1, "+12025550101", True),
        (U2, "+12025550102", True),
    ]
    assert [s[2] for s in recorder.seen] == ["limit=100", "limit=100&cursor=Y3Vyc29yMQ%3D%3D"]
    found = await call(client, "find_number", "+1 202 555 0102")
    assert found.id == U2
    with pytest.raises(pr.NotFoundError, match=r"\+12025550199"):
        await call(client, "find_number", "+12025550199")
    await close(client)


async def test_a_vendor_repeating_a_cursor_is_stopped(mode: str) -> None:
    routes = {
        ("GET", "/v1/phone-numbers", "limit=100"): (
            200,
            envelope([am_number(U1, "+12025550101")], "c1"),
        ),
        ("GET", "/v1/phone-numbers", "limit=100&cursor=c1"): (
            200,
            envelope([am_number(U2, "+12025550102")], "c1"),
        ),
    }
    client = make_client(mode, "agentmessage", Recorder(routes))
    with pytest.raises(pr.UnexpectedResponseError, match="repeats a page"):
        await list_all(client)
    await close(client)


async def test_linq_get_number_lists_and_filters(mode: str) -> None:
    listing = {
        "phone_numbers": [
            {"id": 7, "phone_number": "+12025550107", "forwarding_number": "+12025559999"},
            {"id": 8, "phone_number": "+12025550108", "forwarding_number": ""},
        ]
    }
    recorder = Recorder({("GET", "/api/partner/v2/phone_numbers", ""): (200, listing)})
    client = make_client(mode, "linq-v2", recorder)
    number = await call(client, "get_number", 8)
    assert (number.id, number.number, number.forwarding_number) == ("8", "+12025550108", None)
    assert (await call(client, "get_number", "007")).forwarding_number == "+12025559999"
    with pytest.raises(pr.NotFoundError) as caught:
        await call(client, "get_number", "9")
    assert caught.value.provider == "linq-v2"
    assert [s[:2] for s in recorder.seen] == [("GET", "/api/partner/v2/phone_numbers")] * 3
    await close(client)


async def test_empty_update_reads_and_writes_nothing(mode: str) -> None:
    number = {
        "id": "phon_" + "b" * 43,
        "number": "+12025550111",
        "forward_to": "+12025559999",
        "forward_to_enabled": True,
    }
    recorder = Recorder({("GET", f"/api/v1/phone_number/{'phon_' + 'b' * 43}/", ""): (200, number)})
    client = make_client(mode, "close", recorder)
    result = await call(client, "update_routing", "phon_" + "b" * 43, pr.RoutingUpdate())
    assert result.forwarding_number == "+12025559999"
    assert [s[0] for s in recorder.seen] == ["GET"]
    await close(client)


async def test_agentmessage_clear_campaign_and_set_label_is_patch_then_detach(mode: str) -> None:
    path = f"/v1/phone-numbers/{U1}"
    routes = {
        ("PATCH", path, ""): (
            200,
            envelope(am_number(U1, "+12025550101", label="Sales", campaign_id=CAMPAIGN)),
        ),
        ("DELETE", f"{path}/campaign", ""): (
            200,
            envelope(am_number(U1, "+12025550101", label="Sales")),
        ),
    }
    recorder = Recorder(routes)
    client = make_client(mode, "agentmessage", recorder)
    update = pr.RoutingUpdate(label="Sales", campaign_id=pr.CLEAR, status_url="")
    result = await call(client, "update_routing", U1.upper(), update)
    assert recorder.seen == [
        ("PATCH", path, "", {"label": "Sales", "status_url": ""}),
        ("DELETE", f"{path}/campaign", "", None),
    ]
    assert (result.label, result.campaign_id, result.status_url) == ("Sales", None, None)
    await close(client)


async def test_a_failed_first_step_stops_the_update(mode: str) -> None:
    path = f"/v1/phone-numbers/{U1}"
    body = {
        "success": False,
        "error": {
            "code": "FORBIDDEN",
            "message": "missing required scope",
            "request_id": "01JTBQH2FZ8K1RXC0WJ4Z9P3VM",
        },
    }
    recorder = Recorder({("PATCH", path, ""): (403, body)})
    client = make_client(mode, "agentmessage", recorder)
    with pytest.raises(pr.PermissionDeniedError) as caught:
        await call(client, "update_routing", U1, pr.RoutingUpdate(label="x", campaign_id=None))
    assert caught.value.code == "FORBIDDEN"
    assert caught.value.request_id == "01JTBQH2FZ8K1RXC0WJ4Z9P3VM"
    assert [s[0] for s in recorder.seen] == ["PATCH"]
    await close(client)


async def test_close_pages_by_skip_and_find_uses_the_number_filter(mode: str) -> None:
    def close_number(i: int) -> dict[str, object]:
        return {"id": f"phon_{i:043d}", "number": f"+1202555{i:04d}", "forward_to_enabled": False}

    routes = {
        ("GET", "/api/v1/phone_number/", "_skip=0&_limit=100"): (
            200,
            {"data": [close_number(i) for i in range(100)], "has_more": True},
        ),
        ("GET", "/api/v1/phone_number/", "_skip=100&_limit=100"): (
            200,
            {"data": [close_number(100)], "has_more": False},
        ),
        ("GET", "/api/v1/phone_number/", "number=%2B12025550100&_skip=0&_limit=100"): (
            200,
            {"data": [close_number(100)], "has_more": False},
        ),
    }
    recorder = Recorder(routes)
    client = make_client(mode, "close", recorder)
    numbers = await list_all(client)
    assert len(numbers) == 101
    assert numbers[-1].number == "+12025550100"
    found = await call(client, "find_number", "+12025550100")
    assert found.id == f"phon_{100:043d}"
    assert [s[2] for s in recorder.seen] == [
        "_skip=0&_limit=100",
        "_skip=100&_limit=100",
        "number=%2B12025550100&_skip=0&_limit=100",
    ]
    await close(client)


async def test_update_with_a_wrong_type_is_a_type_error(mode: str) -> None:
    client = make_client(mode, "linq-v3", Recorder({}))
    with pytest.raises(TypeError, match="RoutingUpdate"):
        await call(client, "update_routing", U1, {"forwarding_number": "+12025559999"})
    await close(client)
