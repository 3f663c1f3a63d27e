"""The AgentMessage emulator behaves as PROVIDERS.md and seeds/002 document it."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from phonerouting import testing
from tests.emulators.http import LIST_PATHS, ULID, UUID4, basic, client, item_path

LIST = LIST_PATHS["agentmessage"]
UNKNOWN = "00000000-0000-4000-8000-000000000404"
HOOK = "https://hooks.example.com/in"


def assert_am_error(
    response: httpx.Response,
    status: int,
    code: str,
    message: str,
    details: dict[str, str] | None = None,
) -> None:
    """The envelope with ``success: false``; its request id is also ``X-Request-Id``."""
    assert response.status_code == status
    body = response.json()
    error: dict[str, Any] = {
        "code": code,
        "message": message,
        "request_id": body["error"]["request_id"],
    }
    if details is not None:
        error["details"] = details
    assert body == {"success": False, "error": error}
    assert ULID.fullmatch(error["request_id"])
    assert response.headers["X-Request-Id"] == error["request_id"]


def assert_ok(response: httpx.Response) -> Any:
    """The success envelope; returns ``data``."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert ULID.fullmatch(response.headers["X-Request-Id"])
    return body["data"]


@pytest.fixture
def emu() -> testing.AgentMessageEmulator:
    return testing.AgentMessageEmulator(seed=1)


@pytest.fixture
def number(emu: testing.AgentMessageEmulator) -> str:
    campaign = emu.add_campaign()
    record = emu.add_number(
        "+12025550142",
        inbound_url=HOOK,
        status_url="https://hooks.example.com/status",
        label="Support",
        campaign_id=campaign,
    )
    return record.id


# ------------------------------------------------------------------ auth and scopes


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer am_live_wrong"},
        {"Authorization": "BASIC"},
        {"Authorization": "KEY"},
    ],
    ids=["missing", "wrong-key", "basic-scheme", "no-scheme"],
)
def test_bad_or_missing_key_is_401_unauthorized(
    emu: testing.AgentMessageEmulator, number: str, headers: dict[str, str]
) -> None:
    sent = {
        k: basic(emu.api_key) if v == "BASIC" else v.replace("KEY", emu.api_key)
        for k, v in headers.items()
    }
    with client(emu, headers=sent) as http:
        for response in (
            http.get(LIST),
            http.get(f"{LIST}/{number}"),
            http.patch(f"{LIST}/{number}", json={"label": ""}),
            http.delete(f"{LIST}/{number}/campaign"),
        ):
            assert_am_error(response, 401, "UNAUTHORIZED", "authentication failed")
    assert emu.get(number).label == "Support"


def test_read_only_key_may_read_but_every_write_is_403_forbidden(
    emu: testing.AgentMessageEmulator, number: str
) -> None:
    read_only = emu.add_key(["numbers:read"])
    before = emu.get(number).to_wire()
    other_campaign = emu.add_campaign()
    with client(emu, read_only) as http:
        assert_ok(http.get(LIST))
        assert_ok(http.get(f"{LIST}/{number}"))
        for response in (
            http.patch(f"{LIST}/{number}", json={"label": "New"}),
            http.delete(f"{LIST}/{number}/campaign"),
            http.post(f"{LIST}/{number}/campaign", json={"campaign_id": other_campaign}),
        ):
            assert_am_error(response, 403, "FORBIDDEN", "missing required scope")
    assert emu.get(number).to_wire() == before


def test_write_only_key_cannot_read(emu: testing.AgentMessageEmulator, number: str) -> None:
    write_only = emu.add_key(["numbers:write"])
    with client(emu, write_only) as http:
        assert_am_error(http.get(LIST), 403, "FORBIDDEN", "missing required scope")
        assert_am_error(http.get(f"{LIST}/{number}"), 403, "FORBIDDEN", "missing required scope")
        assert assert_ok(http.patch(f"{LIST}/{number}", json={"label": "W"}))["label"] == "W"


# ------------------------------------------------------------------ PATCH semantics


def test_omitted_and_null_leave_fields_unchanged(
    emu: testing.AgentMessageEmulator, number: str
) -> None:
    before = emu.get(number).to_wire()
    with client(emu) as http:
        data = assert_ok(
            http.patch(
                f"{LIST}/{number}", json={"inbound_url": None, "label": None, "campaign_id": None}
            )
        )
        assert_ok(http.patch(f"{LIST}/{number}", json={}))
    routing = ("inbound_url", "status_url", "label", "campaign_id")
    assert {f: data[f] for f in routing} == {f: before[f] for f in routing}
    assert {f: getattr(emu.get(number), f) for f in routing} == {f: before[f] for f in routing}


@pytest.mark.parametrize("field", ["inbound_url", "status_url", "label"])
def test_empty_string_clears_to_null(
    emu: testing.AgentMessageEmulator, number: str, field: str
) -> None:
    with client(emu) as http:
        data = assert_ok(http.patch(f"{LIST}/{number}", json={field: ""}))
        read = assert_ok(http.get(f"{LIST}/{number}"))
    assert data[field] is None
    assert read[field] is None
    others = {"inbound_url", "status_url", "label"} - {field}
    assert all(read[f] is not None for f in others)


def test_set_routing_fields(emu: testing.AgentMessageEmulator, number: str) -> None:
    campaign = emu.add_campaign()
    body = {
        "inbound_url": "https://a.example/in",
        "status_url": "https://a.example/s",
        "label": "Sales",
        "campaign_id": campaign,
    }
    with client(emu) as http:
        data = assert_ok(http.patch(f"{LIST}/{number}", json=body))
    assert {k: data[k] for k in body} == body
    assert data["carrier_line_option_status"] == "active"


def test_empty_campaign_id_is_422_validation_failed(
    emu: testing.AgentMessageEmulator, number: str
) -> None:
    campaign = emu.get(number).campaign_id
    with client(emu) as http:
        response = http.patch(f"{LIST}/{number}", json={"campaign_id": ""})
    assert_am_error(
        response,
        422,
        "VALIDATION_FAILED",
        "validation failed",
        {"campaign_id": "must not be empty; detach with DELETE /v1/phone-numbers/{id}/campaign"},
    )
    assert emu.get(number).campaign_id == campaign


@pytest.mark.parametrize(
    ("body", "message", "details"),
    [
        (
            {"number_type": "toll_free"},
            "unknown field: number_type",
            {"number_type": "is not an updatable field"},
        ),
        (
            {"label": "x", "forwarding_number": "+1", "sms_enabled": False},
            "unknown fields: forwarding_number, sms_enabled",
            {
                "forwarding_number": "is not an updatable field",
                "sms_enabled": "is not an updatable field",
            },
        ),
    ],
    ids=["one", "two"],
)
def test_unknown_field_is_400_invalid_input(
    emu: testing.AgentMessageEmulator,
    number: str,
    body: dict[str, object],
    message: str,
    details: dict[str, str],
) -> None:
    with client(emu) as http:
        response = http.patch(f"{LIST}/{number}", json=body)
    assert_am_error(response, 400, "INVALID_INPUT", message, details)
    assert emu.get(number).label == "Support"


@pytest.mark.parametrize("body", [[], "label", b"not json"], ids=["array", "string", "not-json"])
def test_a_body_that_is_not_an_object_is_400(
    emu: testing.AgentMessageEmulator, number: str, body: object
) -> None:
    with client(emu) as http:
        if isinstance(body, bytes):
            response = http.patch(f"{LIST}/{number}", content=body)
        else:
            response = http.patch(f"{LIST}/{number}", json=body)
    assert_am_error(response, 400, "INVALID_INPUT", "body must be a JSON object")


def test_non_https_urls_are_422_with_details_per_field(
    emu: testing.AgentMessageEmulator, number: str
) -> None:
    with client(emu) as http:
        one = http.patch(f"{LIST}/{number}", json={"inbound_url": "http://a.example/in"})
        both = http.patch(
            f"{LIST}/{number}",
            json={"inbound_url": "ftp://a.example", "status_url": "https://"},
        )
    assert_am_error(
        one, 422, "VALIDATION_FAILED", "validation failed", {"inbound_url": "must use https://"}
    )
    assert_am_error(
        both,
        422,
        "VALIDATION_FAILED",
        "validation failed",
        {"inbound_url": "must use https://", "status_url": "must use https://"},
    )
    assert emu.get(number).inbound_url == HOOK


def test_inactive_campaign_is_409_and_a_non_uuid_campaign_422(
    emu: testing.AgentMessageEmulator, number: str
) -> None:
    inactive = emu.add_campaign(active=False)
    with client(emu) as http:
        conflict = http.patch(f"{LIST}/{number}", json={"campaign_id": inactive})
        attach = http.post(f"{LIST}/{number}/campaign", json={"campaign_id": inactive})
        invalid = http.patch(f"{LIST}/{number}", json={"campaign_id": "cmp_1"})
    assert_am_error(conflict, 409, "CAMPAIGN_NOT_ACTIVE", "campaign is not active")
    assert_am_error(attach, 409, "CAMPAIGN_NOT_ACTIVE", "campaign is not active")
    assert_am_error(
        invalid, 422, "VALIDATION_FAILED", "validation failed", {"campaign_id": "must be a UUID"}
    )


# ------------------------------------------------------------------ campaign endpoints


def test_detach_is_idempotent_and_returns_the_number(
    emu: testing.AgentMessageEmulator, number: str
) -> None:
    with client(emu) as http:
        first = assert_ok(http.delete(f"{LIST}/{number}/campaign"))
        second = assert_ok(http.delete(f"{LIST}/{number}/campaign"))
    assert first["campaign_id"] is None
    assert first["carrier_line_option_status"] == "pending"
    # The second detach changes nothing, not even the update stamp.
    assert second == first
    assert emu.get(number).campaign_id is None


def test_attach_sets_the_campaign_and_needs_one(
    emu: testing.AgentMessageEmulator, number: str
) -> None:
    campaign = emu.add_campaign()
    with client(emu) as http:
        data = assert_ok(http.post(f"{LIST}/{number}/campaign", json={"campaign_id": campaign}))
        missing = http.post(f"{LIST}/{number}/campaign", json={})
    assert data["campaign_id"] == campaign
    assert_am_error(
        missing, 422, "VALIDATION_FAILED", "validation failed", {"campaign_id": "is required"}
    )


def test_another_organizations_number_is_404_everywhere(
    emu: testing.AgentMessageEmulator, number: str
) -> None:
    foreign = emu.add_foreign_number("+14155550100")
    campaign = emu.add_campaign()
    with client(emu) as http:
        listed = [n["id"] for n in assert_ok(http.get(LIST))]
        for response in (
            http.get(f"{LIST}/{foreign.id}"),
            http.patch(f"{LIST}/{foreign.id}", json={"label": "x"}),
            http.delete(f"{LIST}/{foreign.id}/campaign"),
            http.post(f"{LIST}/{foreign.id}/campaign", json={"campaign_id": campaign}),
            http.get(f"{LIST}/{UNKNOWN}"),
        ):
            assert_am_error(response, 404, "NOT_FOUND", "not found")
    assert listed == [number]
    assert emu.get(foreign.id).label is None


def test_an_id_that_is_not_a_uuid_is_400_invalid_input(
    emu: testing.AgentMessageEmulator,
) -> None:
    with client(emu) as http:
        response = http.get(f"{LIST}/12345")
    assert_am_error(response, 400, "INVALID_INPUT", "id must be a UUID", {"id": "must be a UUID"})


# ------------------------------------------------------------------ pagination


def _pages(http: httpx.Client, limit: int) -> list[list[dict[str, Any]]]:
    pages = []
    params: dict[str, str | int] = {"limit": limit}
    while True:
        response = http.get(LIST, params=params)
        body = response.json()
        pages.append(assert_ok(response))
        assert body["meta"]["limit"] == limit
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return pages
        params = {"limit": limit, "cursor": cursor}


def test_cursor_pages_newest_first_until_next_cursor_is_null() -> None:
    emu = testing.AgentMessageEmulator(25, seed=3)
    with client(emu) as http:
        pages = _pages(http, 10)
    assert [len(p) for p in pages] == [10, 10, 5]
    rows = [n for page in pages for n in page]
    assert len({n["id"] for n in rows}) == 25 == len(emu.numbers)
    stamps = [n["created_at"] for n in rows]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize(("limit", "size"), [(None, 20), ("1", 1), ("100", 25)])
def test_limit_default_and_bounds(limit: str | None, size: int) -> None:
    emu = testing.AgentMessageEmulator(25, seed=3)
    with client(emu) as http:
        response = http.get(LIST, params={"limit": limit} if limit else None)
    assert len(assert_ok(response)) == size
    assert response.json()["meta"]["limit"] == (int(limit) if limit else 20)


@pytest.mark.parametrize("limit", ["0", "101", "ten", "-1", ""])
def test_limit_out_of_range_is_422(emu: testing.AgentMessageEmulator, limit: str) -> None:
    with client(emu) as http:
        response = http.get(LIST, params={"limit": limit})
    assert_am_error(
        response,
        422,
        "VALIDATION_FAILED",
        "validation failed",
        {"limit": "must be between 1 and 100"},
    )


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        _b64({"created_at": 1, "id": 2}),  # numbers where strings belong: was a TypeError
        _b64({"created_at": "2026-01-01T00:00:01.000Z", "id": None}),
        _b64({"created_at": "2026-01-01T00:00:01.000Z"}),
        _b64(["2026", "id"]),
        _b64("cursor"),
        "not base64 at all!",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
    ids=["numbers", "null-id", "no-id", "array", "string", "garbage", "not-utf8"],
)
def test_a_crafted_cursor_is_400_invalid_input(cursor: str) -> None:
    emu = testing.AgentMessageEmulator(3, seed=3)
    with client(emu) as http:
        response = http.get(LIST, params={"cursor": cursor})
    assert_am_error(response, 400, "INVALID_INPUT", "invalid cursor", {"cursor": "is not valid"})


def test_filters(emu: testing.AgentMessageEmulator, number: str) -> None:
    campaign = emu.get(number).campaign_id
    toll_free = emu.add_number("+18005550199", number_type="toll_free", label="Billing").id
    with client(emu) as http:
        by_type = assert_ok(http.get(LIST, params={"number_type": "toll_free"}))
        by_campaign = assert_ok(http.get(LIST, params={"campaign_id": campaign}))
        by_search = assert_ok(http.get(LIST, params={"search": "Bill"}))
    assert [n["id"] for n in by_type] == [toll_free]
    assert [n["id"] for n in by_campaign] == [number]
    assert [n["id"] for n in by_search] == [toll_free]


def test_numbers_carry_every_documented_field(
    emu: testing.AgentMessageEmulator, number: str
) -> None:
    with client(emu) as http:
        data = assert_ok(http.get(f"{LIST}/{number}"))
    assert set(data) == {
        "id",
        "number",
        "number_type",
        "inbound_url",
        "status_url",
        "label",
        "campaign_id",
        "carrier_line_option_status",
        "carrier_line_option_propagated_at",
        "sms_enabled",
        "mms_enabled",
        "created_at",
        "updated_at",
    }
    assert UUID4.fullmatch(data["id"])


def test_agentmessage_sends_a_request_id_on_every_response() -> None:
    emu = testing.emulator("agentmessage", 1)
    number = next(iter(emu.numbers))  # type: ignore[attr-defined]
    with client(emu) as http:
        responses = [
            http.get(LIST),
            http.get(item_path(emu, number)),
            http.patch(item_path(emu, number), json={"bogus": 1}),
        ]
    ids = [r.headers["X-Request-Id"] for r in responses]
    assert all(ULID.fullmatch(i) for i in ids)
    assert responses[2].json()["error"]["request_id"] == ids[2]
