"""The agentmessage adapter, pure: requests built, bodies parsed, errors classified.

Reference: PROVIDERS.md § agentmessage and seed 002 (the PATCH endpoint, whose example
bodies are used here verbatim where they exist).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

import phonerouting as pr
from phonerouting import errors
from phonerouting.adapters import wire
from phonerouting.adapters.base import Page, Request
from phonerouting.model import ROUTING_FIELDS, PhoneNumber
from phonerouting.registry import adapter_for
from phonerouting.responses import error_from_response, parse_success
from tests.support import NEW_FIELD_VALUES

PROVIDER = "agentmessage"
ADAPTER = adapter_for(PROVIDER)
NID = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
PATH = f"/v1/phone-numbers/{NID}"
CAMPAIGN = "78614b6c-fe7c-41e2-8e25-c9b3a3c91904"
PATCH_REQUEST = Request("PATCH", PATH, json={"label": "x"})
BODY_REQUEST_ID = "01JTBQH2FZ8K1RXC0WJ4Z9P3VM"
HEADER_REQUEST_ID = "01JTBQK7S5M2N9W4E8R6T3Y1ZA"
# Seed 002's opaque cursor, verbatim.
CURSOR = (
    "eyJjcmVhdGVkX2F0IjoiMjAyNi0wNC0yNlQxMjowMDowMFoiLCJpZCI6"
    "IjAxOTAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMSJ9"
)

SUPPORTED_VALUES: dict[str, Any] = {
    "inbound_url": "https://customer.example/v2/inbound",
    "status_url": "https://customer.example/v2/status",
    "label": "Support line",
    "campaign_id": CAMPAIGN,
}
UNSUPPORTED_VALUES: dict[str, Any] = {
    "forwarding_number": "+12025559999",
    "voicemail_greeting_url": "https://cdn.example.com/greeting.mp3",
    "ring_duration": 45,
    "participants": ["user_4f3Ad9"],
    "external_numbers": ["+16505550100"],
    "press_1_to_accept": True,
    **NEW_FIELD_VALUES,
}

# Every PhoneNumber field PROVIDERS.md and seed 002 list, with realistic values.
FULL_DATA: dict[str, Any] = {
    "id": NID,
    "number": "+12025551234",
    "number_type": "local",
    "inbound_url": "https://customer.example/v2/inbound",
    "status_url": "https://customer.example/v2/status",
    "label": "Support line",
    "campaign_id": CAMPAIGN,
    "carrier_line_option_status": "pending",
    "carrier_line_option_propagated_at": "2026-04-26T12:00:00Z",
    "sms_enabled": True,
    "mms_enabled": False,
    "created_at": "2026-04-20T09:30:00Z",
    "updated_at": "2026-04-26T12:00:05.250000Z",
}
FULL_NUMBER = PhoneNumber(
    provider=PROVIDER,
    id=NID,
    number="+12025551234",
    inbound_url="https://customer.example/v2/inbound",
    status_url="https://customer.example/v2/status",
    label="Support line",
    campaign_id=CAMPAIGN,
    sms_enabled=True,
    mms_enabled=False,
    created_at=datetime(2026, 4, 20, 9, 30, tzinfo=UTC),
    updated_at=datetime(2026, 4, 26, 12, 0, 5, 250000, tzinfo=UTC),
)


def _envelope(data: Any, next_cursor: Any = None) -> dict[str, Any]:
    return {"success": True, "data": data, "meta": {"next_cursor": next_cursor}}


def _bytes(body: Any) -> bytes:
    return json.dumps(body).encode()


# --- identity, auth, capabilities --------------------------------------------------------


def test_identity_and_capabilities() -> None:
    assert ADAPTER.name == "agentmessage"
    assert ADAPTER.default_base_url == "https://api.agentmsg.io"
    assert ADAPTER.api_key_env == "AGENTMESSAGE_API_KEY"
    assert ADAPTER.request_id_header == "X-Request-Id"
    fields = frozenset({"inbound_url", "status_url", "label", "campaign_id"})
    assert ADAPTER.capabilities.settable == fields
    assert ADAPTER.capabilities.clearable == fields


def test_auth_header_is_bearer() -> None:
    assert ADAPTER.auth_headers("key") == {"Authorization": "Bearer key"}
    assert ADAPTER.auth_headers("am_live_5kQ2") == {"Authorization": "Bearer am_live_5kQ2"}


# --- list / get / find -------------------------------------------------------------------


def test_list_request_asks_for_the_largest_page() -> None:
    assert ADAPTER.list_request() == Request(
        "GET", "/v1/phone-numbers", params={"limit": 100}, json=None
    )


def test_find_request_is_the_list() -> None:
    assert ADAPTER.find_request("+12025551234") == Request(
        "GET", "/v1/phone-numbers", params={"limit": 100}
    )


def test_get_request() -> None:
    assert ADAPTER.get_request(NID) == Request("GET", PATH, params=None, json=None)


# --- ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [(NID, NID), (NID.upper(), NID), ("497F6ECA-6276-4993-bfeb-53CBBBBA6F08", NID)],
    ids=["lower", "upper", "mixed"],
)
def test_valid_ids(given: str, expected: str) -> None:
    assert ADAPTER.normalize_id(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "../x",
        "1/2",
        f"{NID}/campaign",
        f"{NID}?x=1",
        "",
        None,
        True,
        -1,
        7,
        "١٢",
        "497f6eca-6276-4993-bfeb-\u0665\u0663cbbbba6f08",  # Arabic-Indic 5 and 3
        "497f6eca62764993bfeb53cbbbba6f08",
        f" {NID}",
        f"{NID}\t",
        "pn_01JTBQH2FZ8K1RXC0WJ4Z9P3VM",
    ],
)
def test_malformed_ids_are_refused(given: object) -> None:
    with pytest.raises(errors.ValidationError) as info:
        ADAPTER.normalize_id(given)
    assert info.value.field == "number_id"
    assert info.value.status is None


# --- update requests ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "expected"),
    [
        (
            pr.RoutingUpdate(inbound_url="https://customer.example/v2/inbound"),
            [Request("PATCH", PATH, json={"inbound_url": "https://customer.example/v2/inbound"})],
        ),
        (
            pr.RoutingUpdate(status_url="https://customer.example/v2/status"),
            [Request("PATCH", PATH, json={"status_url": "https://customer.example/v2/status"})],
        ),
        (
            pr.RoutingUpdate(label="Support line"),
            [Request("PATCH", PATH, json={"label": "Support line"})],
        ),
        (
            pr.RoutingUpdate(campaign_id=CAMPAIGN),
            [Request("PATCH", PATH, json={"campaign_id": CAMPAIGN})],
        ),
        (
            pr.RoutingUpdate(campaign_id=CAMPAIGN.upper()),
            [Request("PATCH", PATH, json={"campaign_id": CAMPAIGN})],
        ),
        (pr.RoutingUpdate(inbound_url=None), [Request("PATCH", PATH, json={"inbound_url": ""})]),
        (pr.RoutingUpdate(inbound_url=""), [Request("PATCH", PATH, json={"inbound_url": ""})]),
        (pr.RoutingUpdate(status_url=pr.CLEAR), [Request("PATCH", PATH, json={"status_url": ""})]),
        (pr.RoutingUpdate(label=None), [Request("PATCH", PATH, json={"label": ""})]),
        (pr.RoutingUpdate(label=""), [Request("PATCH", PATH, json={"label": ""})]),
        (pr.RoutingUpdate(campaign_id=None), [Request("DELETE", f"{PATH}/campaign")]),
        (pr.RoutingUpdate(campaign_id=""), [Request("DELETE", f"{PATH}/campaign")]),
        (
            pr.RoutingUpdate(campaign_id=None, label="Support line"),
            [
                Request("PATCH", PATH, json={"label": "Support line"}),
                Request("DELETE", f"{PATH}/campaign"),
            ],
        ),
        (
            pr.RoutingUpdate(
                inbound_url="https://customer.example/v2/inbound",
                status_url="https://customer.example/v2/status",
                label="Support line",
                campaign_id=CAMPAIGN,
            ),
            [
                Request(
                    "PATCH",
                    PATH,
                    json={
                        "inbound_url": "https://customer.example/v2/inbound",
                        "status_url": "https://customer.example/v2/status",
                        "label": "Support line",
                        "campaign_id": CAMPAIGN,
                    },
                )
            ],
        ),
        (
            pr.RoutingUpdate(inbound_url=None, status_url=None, label=None, campaign_id=None),
            [
                Request("PATCH", PATH, json={"inbound_url": "", "status_url": "", "label": ""}),
                Request("DELETE", f"{PATH}/campaign"),
            ],
        ),
        (
            pr.RoutingUpdate(inbound_url=None, label="Support line", campaign_id=CAMPAIGN),
            [
                Request(
                    "PATCH",
                    PATH,
                    json={"inbound_url": "", "label": "Support line", "campaign_id": CAMPAIGN},
                )
            ],
        ),
    ],
    ids=[
        "set-inbound",
        "set-status",
        "set-label",
        "set-campaign",
        "set-campaign-upper",
        "clear-inbound",
        "clear-inbound-empty",
        "clear-status",
        "clear-label",
        "clear-label-empty",
        "clear-campaign",
        "clear-campaign-empty",
        "clear-campaign-set-label",
        "set-all",
        "clear-all",
        "mixed",
    ],
)
def test_update_requests(update: pr.RoutingUpdate, expected: list[Request]) -> None:
    assert ADAPTER.update_requests(NID, update) == expected


def test_all_unset_update_writes_nothing() -> None:
    assert ADAPTER.update_requests(NID, pr.RoutingUpdate()) == []
    explicit = pr.RoutingUpdate(
        inbound_url=pr.UNSET, status_url=pr.UNSET, label=pr.UNSET, campaign_id=pr.UNSET
    )
    assert ADAPTER.update_requests(NID, explicit) == []


_STATES = ("unset", "set", "clear")


@pytest.mark.parametrize(
    "states",
    list(itertools.product(_STATES, repeat=4)),
    ids=["-".join(s) for s in itertools.product(_STATES, repeat=4)],
)
def test_every_combination_follows_the_patch_rules(states: tuple[str, ...]) -> None:
    # PROVIDERS.md: PATCH carries set values and "" for cleared string fields; a cleared
    # campaign is the DELETE .../campaign after it; UNSET is never sent; and
    # campaign_id is never "" (that is a 422) nor null (that means "unchanged").
    fields = ("inbound_url", "status_url", "label", "campaign_id")
    kwargs: dict[str, Any] = {}
    patch: dict[str, Any] = {}
    for field, state in zip(fields, states, strict=True):
        if state == "set":
            kwargs[field] = SUPPORTED_VALUES[field]
            patch[field] = SUPPORTED_VALUES[field]
        elif state == "clear":
            kwargs[field] = None
            if field != "campaign_id":
                patch[field] = ""
    expected = [Request("PATCH", PATH, json=patch)] if patch else []
    if states[3] == "clear":
        expected.append(Request("DELETE", f"{PATH}/campaign"))
    requests = ADAPTER.update_requests(NID, pr.RoutingUpdate(**kwargs))
    assert requests == expected
    for request in requests:
        body = request.json or {}
        assert body.get("campaign_id", "absent") not in ("", None)
        assert None not in body.values()


@pytest.mark.parametrize("field", sorted(UNSUPPORTED_VALUES))
@pytest.mark.parametrize("mode", ["set", "clear"])
def test_unsupported_fields_are_refused(field: str, mode: str) -> None:
    value = UNSUPPORTED_VALUES[field] if mode == "set" else None
    with pytest.raises(errors.UnsupportedFieldError) as info:
        ADAPTER.update_requests(NID, pr.RoutingUpdate(**{field: value}))
    assert info.value.field == field
    assert info.value.provider == "agentmessage"
    assert info.value.status is None
    assert str(info.value).startswith("agentmessage: ")


@pytest.mark.parametrize("field", sorted(UNSUPPORTED_VALUES))
def test_unsupported_field_refuses_the_whole_update(field: str) -> None:
    # Even with a campaign detach in the same update, nothing is built.
    update = pr.RoutingUpdate(label="x", campaign_id=None, **{field: UNSUPPORTED_VALUES[field]})
    with pytest.raises(errors.UnsupportedFieldError) as info:
        ADAPTER.update_requests(NID, update)
    assert info.value.field == field


def test_value_tables_cover_every_field() -> None:
    assert set(SUPPORTED_VALUES) | set(UNSUPPORTED_VALUES) == set(ROUTING_FIELDS)
    assert not set(SUPPORTED_VALUES) & set(UNSUPPORTED_VALUES)


# --- parsing -----------------------------------------------------------------------------


def test_parse_full_number(thaw: Callable[[Any], Any]) -> None:
    body = {"success": True, "data": FULL_DATA, "meta": {"last_event_at": "2026-04-26T12:00:05Z"}}
    number = ADAPTER.parse_number(body)
    assert number == FULL_NUMBER
    for name in ("id", "number", *ROUTING_FIELDS, "sms_enabled", "mms_enabled"):
        assert getattr(number, name) == getattr(FULL_NUMBER, name), name
    assert number.created_at == FULL_NUMBER.created_at
    assert number.created_at is not None
    assert number.created_at.tzinfo is UTC
    assert number.updated_at is not None
    assert number.updated_at.tzinfo is UTC
    assert number.forwarding_number is None
    assert number.ring_duration is None
    assert number.participants is None
    assert thaw(number.raw) == FULL_DATA


def test_parse_seed_envelope_verbatim() -> None:
    # Seed 002's success example, as printed (placeholder values and all).
    seed = {
        "success": True,
        "error": {
            "code": "string",
            "message": "string",
            "request_id": "string",
            "details": {"property1": "string", "property2": "string"},
        },
        "meta": {
            "total": 0,
            "limit": 0,
            "offset": 0,
            "next_cursor": CURSOR,
            "last_event_at": "2019-08-24T14:15:22Z",
        },
        "data": {
            "id": "497f6eca-6276-4993-bfeb-53cbbbba6f08",
            "number": "string",
            "number_type": "local",
            "inbound_url": "http://example.com",
            "status_url": "http://example.com",
            "label": "string",
            "campaign_id": "78614b6c-fe7c-41e2-8e25-c9b3a3c91904",
            "carrier_line_option_status": "pending",
            "carrier_line_option_propagated_at": "2019-08-24T14:15:22Z",
            "sms_enabled": True,
            "mms_enabled": True,
            "created_at": "2019-08-24T14:15:22Z",
            "updated_at": "2019-08-24T14:15:22Z",
        },
    }
    assert ADAPTER.parse_number(seed) == PhoneNumber(
        provider=PROVIDER,
        id="497f6eca-6276-4993-bfeb-53cbbbba6f08",
        number="string",  # not a phone number: kept as the vendor gave it, never guessed
        inbound_url="http://example.com",
        status_url="http://example.com",
        label="string",
        campaign_id="78614b6c-fe7c-41e2-8e25-c9b3a3c91904",
        sms_enabled=True,
        mms_enabled=True,
        created_at=datetime(2019, 8, 24, 14, 15, 22, tzinfo=UTC),
        updated_at=datetime(2019, 8, 24, 14, 15, 22, tzinfo=UTC),
    )


@pytest.mark.parametrize("empty", [None, ""], ids=["null", "empty-string"])
def test_cleared_fields_read_as_none(empty: str | None) -> None:
    data = {
        **FULL_DATA,
        "inbound_url": empty,
        "status_url": empty,
        "label": empty,
        "campaign_id": empty,
    }
    number = ADAPTER.parse_number(_envelope(data))
    assert number.routing() == dict.fromkeys(ROUTING_FIELDS)
    assert number.id == NID
    assert number.number == "+12025551234"


def test_parsed_id_is_in_normalize_id_form() -> None:
    # A UUID the vendor spells in upper case reads back in normalize_id()'s lower-case
    # form, so ids taken from a listing compare equal to ids the caller gives.
    number = ADAPTER.parse_number(_envelope({**FULL_DATA, "id": NID.upper()}))
    assert number.id == NID
    assert number.id == ADAPTER.normalize_id(NID.upper())


def test_absent_optional_fields_read_as_none() -> None:
    number = ADAPTER.parse_number(_envelope({"id": NID, "number": "+12025551234"}))
    assert number == PhoneNumber(provider=PROVIDER, id=NID, number="+12025551234")
    assert (number.sms_enabled, number.created_at, number.updated_at) == (None, None, None)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-04-26T12:00:00Z", datetime(2026, 4, 26, 12, 0, tzinfo=UTC)),
        ("2026-04-26T12:00:00+00:00", datetime(2026, 4, 26, 12, 0, tzinfo=UTC)),
        ("2026-04-26T14:00:00+02:00", datetime(2026, 4, 26, 12, 0, tzinfo=UTC)),
        ("2026-04-26T07:00:00-05:00", datetime(2026, 4, 26, 12, 0, tzinfo=UTC)),
        ("2026-04-26T12:00:00", datetime(2026, 4, 26, 12, 0, tzinfo=UTC)),
        ("2026-04-26T12:00:00.123Z", datetime(2026, 4, 26, 12, 0, 0, 123000, tzinfo=UTC)),
    ],
    ids=["z", "utc-offset", "plus-two", "minus-five", "naive", "millis"],
)
def test_timestamps_are_aware_utc(stamp: str, expected: datetime) -> None:
    number = ADAPTER.parse_number(_envelope({**FULL_DATA, "created_at": stamp}))
    assert number.created_at == expected
    assert number.created_at is not None
    assert number.created_at.utcoffset() is not None
    assert number.created_at.tzinfo is UTC


def test_raw_is_read_only() -> None:
    number = ADAPTER.parse_number(_envelope(FULL_DATA))
    with pytest.raises(TypeError):
        number.raw["label"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        del number.raw["label"]  # type: ignore[attr-defined]
    assert number.raw["label"] == "Support line"


SECOND = {
    **FULL_DATA,
    "id": "0f3c9a51-8d2e-4b7a-9c61-5e4d3b2a1f00",
    "number": "+18005550199",
    "number_type": "toll_free",
    "inbound_url": None,
    "status_url": None,
    "label": None,
    "campaign_id": None,
    "sms_enabled": False,
}
SECOND_NUMBER = PhoneNumber(
    provider=PROVIDER,
    id="0f3c9a51-8d2e-4b7a-9c61-5e4d3b2a1f00",
    number="+18005550199",
    sms_enabled=False,
    mms_enabled=False,
    created_at=datetime(2026, 4, 20, 9, 30, tzinfo=UTC),
    updated_at=datetime(2026, 4, 26, 12, 0, 5, 250000, tzinfo=UTC),
)


def test_first_page_leads_to_the_cursor() -> None:
    body = {
        "success": True,
        "data": [FULL_DATA, SECOND],
        "meta": {"limit": 100, "next_cursor": CURSOR},
    }
    page = ADAPTER.parse_list(body, ADAPTER.list_request())
    assert page == Page(
        [FULL_NUMBER, SECOND_NUMBER],
        next_request=Request(
            "GET", "/v1/phone-numbers", params={"limit": 100, "cursor": CURSOR}, json=None
        ),
    )


def test_a_later_page_follows_its_own_cursor() -> None:
    previous = Request("GET", "/v1/phone-numbers", params={"limit": 100, "cursor": CURSOR})
    page = ADAPTER.parse_list(_envelope([SECOND], next_cursor="c2"), previous)
    assert page == Page(
        [SECOND_NUMBER],
        next_request=Request("GET", "/v1/phone-numbers", params={"limit": 100, "cursor": "c2"}),
    )


def test_a_short_filtered_page_still_follows_the_cursor() -> None:
    page = ADAPTER.parse_list(_envelope([], next_cursor="c3"), ADAPTER.list_request())
    assert page == Page(
        [], Request("GET", "/v1/phone-numbers", params={"limit": 100, "cursor": "c3"})
    )


def test_last_page_has_no_next() -> None:
    body = _envelope([FULL_DATA], next_cursor=None)
    assert ADAPTER.parse_list(body, ADAPTER.list_request()) == Page([FULL_NUMBER], None)


MALFORMED_NUMBERS: list[tuple[str, Any]] = [
    ("not-an-envelope", FULL_DATA | {"success": "yes"}),
    ("bare-number", FULL_DATA),
    ("array", [_envelope(FULL_DATA)]),
    (
        "success-false",
        {
            "success": False,
            "data": FULL_DATA,
            "error": {"code": "NOT_FOUND", "message": "not found", "request_id": BODY_REQUEST_ID},
        },
    ),
    ("success-string", {"success": "true", "data": FULL_DATA}),
    ("success-missing", {"data": FULL_DATA}),
    ("data-missing", {"success": True}),
    ("data-null", _envelope(None)),
    ("data-array", _envelope([FULL_DATA])),
    ("id-missing", _envelope({k: v for k, v in FULL_DATA.items() if k != "id"})),
    ("id-with-slash", _envelope({**FULL_DATA, "id": f"{NID}/campaign"})),
    ("id-dot-dot", _envelope({**FULL_DATA, "id": "../../admin"})),
    ("id-not-uuid", _envelope({**FULL_DATA, "id": "pn_123"})),
    ("id-int", _envelope({**FULL_DATA, "id": 7})),
    ("number-missing", _envelope({k: v for k, v in FULL_DATA.items() if k != "number"})),
    ("number-int", _envelope({**FULL_DATA, "number": 12025551234})),
    ("label-int", _envelope({**FULL_DATA, "label": 5})),
    ("inbound-object", _envelope({**FULL_DATA, "inbound_url": {"url": "https://x.example"}})),
    ("campaign-int", _envelope({**FULL_DATA, "campaign_id": 3})),
    ("sms-string", _envelope({**FULL_DATA, "sms_enabled": "yes"})),
    ("mms-int", _envelope({**FULL_DATA, "mms_enabled": 1})),
    ("created-garbage", _envelope({**FULL_DATA, "created_at": "yesterday"})),
    ("updated-int", _envelope({**FULL_DATA, "updated_at": 1714132800})),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED_NUMBERS, ids=[c for c, _ in MALFORMED_NUMBERS])
def test_malformed_number_is_a_shape_error(case: str, body: Any) -> None:
    with pytest.raises(wire.ShapeError):
        ADAPTER.parse_number(body)


MALFORMED_LISTS: list[tuple[str, Any]] = [
    ("array", [FULL_DATA]),
    ("success-false", {"success": False, "data": [FULL_DATA]}),
    ("data-object", _envelope(FULL_DATA)),
    ("data-missing", {"success": True, "meta": {"next_cursor": None}}),
    ("item-not-object", _envelope([NID])),
    ("item-bad-id", _envelope([{**FULL_DATA, "id": "a/b"}])),
    ("cursor-empty", _envelope([FULL_DATA], next_cursor="")),
    ("cursor-int", _envelope([FULL_DATA], next_cursor=2)),
    ("cursor-object", _envelope([FULL_DATA], next_cursor={"after": NID})),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED_LISTS, ids=[c for c, _ in MALFORMED_LISTS])
def test_malformed_list_is_a_shape_error(case: str, body: Any) -> None:
    with pytest.raises(wire.ShapeError):
        ADAPTER.parse_list(body, ADAPTER.list_request())


def test_parse_success_returns_the_parsed_number() -> None:
    number = parse_success(
        ADAPTER,
        ADAPTER.parse_number,
        PATCH_REQUEST,
        200,
        httpx.Headers({"X-Request-Id": HEADER_REQUEST_ID}),
        _bytes(_envelope(FULL_DATA)),
        (),
    )
    assert number == FULL_NUMBER


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            _bytes(
                {
                    "success": False,
                    "error": {"code": "INTERNAL", "message": "oops", "request_id": BODY_REQUEST_ID},
                }
            ),
            "'success' is not true in a success response",
        ),
        (_bytes(_envelope({**FULL_DATA, "id": "x/y"})), "'id' is missing or not a valid id"),
        (_bytes(_envelope(None)), "a phone number is not a JSON object"),
        (_bytes(_envelope({**FULL_DATA, "sms_enabled": "1"})), "'sms_enabled' is not a boolean"),
        (
            _bytes(_envelope({**FULL_DATA, "created_at": "soon"})),
            "'created_at' is not an ISO 8601 timestamp",
        ),
        (b"<!doctype html><title>502</title>", "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b'{"success": true, "data": {"id": "\xe9"}}', "the body is not valid JSON"),
    ],
    ids=[
        "success-false",
        "slash-id",
        "null-data",
        "string-bool",
        "bad-time",
        "html",
        "empty",
        "latin1",
    ],
)
def test_malformed_success_is_unexpected_response(content: bytes, reason: str) -> None:
    headers = httpx.Headers({"x-request-id": HEADER_REQUEST_ID})
    with pytest.raises(errors.UnexpectedResponseError) as info:
        parse_success(ADAPTER, ADAPTER.parse_number, PATCH_REQUEST, 200, headers, content, ())
    error = info.value
    assert error.provider == "agentmessage"
    assert error.status == 200
    assert error.request_id == HEADER_REQUEST_ID
    assert error.message == f"PATCH {PATH} answered HTTP 200 but {reason}"
    assert HEADER_REQUEST_ID in str(error)


def test_malformed_list_through_parse_success() -> None:
    request = ADAPTER.list_request()
    with pytest.raises(errors.UnexpectedResponseError) as info:
        parse_success(
            ADAPTER,
            lambda data: ADAPTER.parse_list(data, request),
            request,
            200,
            httpx.Headers({"X-Request-Id": HEADER_REQUEST_ID}),
            _bytes(_envelope([FULL_DATA], next_cursor=7)),
            (),
        )
    assert info.value.message == (
        "GET /v1/phone-numbers answered HTTP 200 but "
        "'meta.next_cursor' is not a printable cursor or null"
    )
    assert info.value.request_id == HEADER_REQUEST_ID


# --- errors ------------------------------------------------------------------------------


def _error_body(code: str, message: str, details: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "request_id": BODY_REQUEST_ID}
    if details is not None:
        error["details"] = details
    return {"success": False, "error": error}


ERROR_CASES: list[
    tuple[str, int, dict[str, Any], type[errors.RoutingError], str, str, dict[str, str], Any]
] = [
    (
        "400-invalid-input",
        400,
        _error_body("INVALID_INPUT", "unknown field: forward_to"),
        errors.ValidationError,
        "INVALID_INPUT",
        "unknown field: forward_to",
        {},
        None,
    ),
    (
        "401-seed",
        401,
        {
            "success": False,
            "error": {
                "code": "UNAUTHORIZED",
                "message": "authentication failed",
                "request_id": "01JTBQH2FZ8K1RXC0WJ4Z9P3VM",
            },
        },
        errors.AuthenticationError,
        "UNAUTHORIZED",
        "authentication failed",
        {},
        "absent",
    ),
    (
        "403-seed",
        403,
        {
            "success": False,
            "error": {
                "code": "FORBIDDEN",
                "message": "missing required scope",
                "request_id": "01JTBQH2FZ8K1RXC0WJ4Z9P3VM",
            },
        },
        errors.PermissionDeniedError,
        "FORBIDDEN",
        "missing required scope",
        {},
        "absent",
    ),
    (
        "404-seed",
        404,
        {
            "success": False,
            "error": {
                "code": "NOT_FOUND",
                "message": "not found",
                "request_id": "01JTBQH2FZ8K1RXC0WJ4Z9P3VM",
            },
        },
        errors.NotFoundError,
        "NOT_FOUND",
        "not found",
        {},
        "absent",
    ),
    (
        "409-campaign-not-active",
        409,
        _error_body("CAMPAIGN_NOT_ACTIVE", "campaign is not active"),
        errors.ConflictError,
        "CAMPAIGN_NOT_ACTIVE",
        "campaign is not active",
        {},
        "absent",
    ),
    (
        "409-brand-not-verified",
        409,
        _error_body("BRAND_NOT_VERIFIED", "brand is not verified"),
        errors.ConflictError,
        "BRAND_NOT_VERIFIED",
        "brand is not verified",
        {},
        "absent",
    ),
    (
        "409-number-not-assigned",
        409,
        _error_body("NUMBER_NOT_ASSIGNED", "number is not assigned"),
        errors.ConflictError,
        "NUMBER_NOT_ASSIGNED",
        "number is not assigned",
        {},
        "absent",
    ),
    (
        "422-seed-two-details",
        422,
        {
            "success": False,
            "error": {
                "code": "VALIDATION_FAILED",
                "message": "validation failed",
                "request_id": "01JTBQH2FZ8K1RXC0WJ4Z9P3VM",
                "details": {"to": "must be E.164", "body": "must be 1..1600 chars"},
            },
        },
        errors.ValidationError,
        "VALIDATION_FAILED",
        "validation failed",
        {"to": "must be E.164", "body": "must be 1..1600 chars"},
        None,
    ),
    (
        "422-inbound-url",
        422,
        _error_body("VALIDATION_FAILED", "validation failed", {"inbound_url": "must use https://"}),
        errors.ValidationError,
        "VALIDATION_FAILED",
        "validation failed",
        {"inbound_url": "must use https://"},
        "inbound_url",
    ),
    (
        "422-campaign-empty",
        422,
        _error_body("VALIDATION_FAILED", "validation failed", {"campaign_id": "must be a uuid"}),
        errors.ValidationError,
        "VALIDATION_FAILED",
        "validation failed",
        {"campaign_id": "must be a uuid"},
        "campaign_id",
    ),
    (
        "500-internal",
        500,
        _error_body("INTERNAL_ERROR", "internal error"),
        errors.ServerError,
        "INTERNAL_ERROR",
        "internal error",
        {},
        "absent",
    ),
    (
        "503-unavailable",
        503,
        _error_body("SERVICE_UNAVAILABLE", "try again later"),
        errors.ServerError,
        "SERVICE_UNAVAILABLE",
        "try again later",
        {},
        "absent",
    ),
]


@pytest.mark.parametrize(
    ("case", "status", "body", "cls", "code", "message", "details", "field"),
    ERROR_CASES,
    ids=[c[0] for c in ERROR_CASES],
)
def test_documented_errors(
    case: str,
    status: int,
    body: dict[str, Any],
    cls: type[errors.RoutingError],
    code: str,
    message: str,
    details: dict[str, str],
    field: Any,
) -> None:
    headers = httpx.Headers({"Content-Type": "application/json", "X-Request-Id": BODY_REQUEST_ID})
    error = error_from_response(ADAPTER, PATCH_REQUEST, status, headers, _bytes(body), ())
    assert type(error) is cls
    assert error.provider == "agentmessage"
    assert error.status == status
    assert error.code == code
    assert error.message == message
    assert error.request_id == BODY_REQUEST_ID
    assert error.doc_url is None
    assert dict(error.details) == details
    assert getattr(error, "field", "absent") == field
    text = str(error)
    assert message in text
    assert BODY_REQUEST_ID in text
    for key, value in details.items():
        assert f"{key}: {value}" in text


@pytest.mark.parametrize(
    ("body_id", "header_id", "expected"),
    [
        (BODY_REQUEST_ID, HEADER_REQUEST_ID, BODY_REQUEST_ID),
        (None, HEADER_REQUEST_ID, HEADER_REQUEST_ID),
        ("", HEADER_REQUEST_ID, HEADER_REQUEST_ID),
        (BODY_REQUEST_ID, None, BODY_REQUEST_ID),
        (None, None, None),
    ],
    ids=["body-wins", "header-only", "empty-body-id", "body-only", "neither"],
)
def test_request_id_from_body_or_header(
    body_id: str | None, header_id: str | None, expected: str | None
) -> None:
    error: dict[str, Any] = {"code": "NOT_FOUND", "message": "not found"}
    if body_id is not None:
        error["request_id"] = body_id
    headers = {"X-Request-Id": header_id} if header_id else {}
    result = error_from_response(
        ADAPTER,
        PATCH_REQUEST,
        404,
        httpx.Headers(headers),
        _bytes({"success": False, "error": error}),
        (),
    )
    assert type(result) is errors.NotFoundError
    assert result.request_id == expected


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [({"Retry-After": "7"}, 7.0), ({"retry-after": "0"}, 0.0), ({}, None)],
    ids=["seven", "zero", "absent"],
)
def test_429_rate_limited(headers: dict[str, str], retry_after: float | None) -> None:
    body = _error_body("RATE_LIMITED", "rate limit exceeded")
    error = error_from_response(
        ADAPTER, PATCH_REQUEST, 429, httpx.Headers(headers), _bytes(body), ()
    )
    assert type(error) is errors.RateLimitError
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == retry_after
    assert error.code == "RATE_LIMITED"
    assert error.message == "rate limit exceeded"
    assert error.request_id == BODY_REQUEST_ID


def test_non_string_details_are_stringified() -> None:
    body = _error_body("VALIDATION_FAILED", "validation failed", {"label": 255})  # type: ignore[dict-item]
    error = error_from_response(ADAPTER, PATCH_REQUEST, 422, httpx.Headers({}), _bytes(body), ())
    assert dict(error.details) == {"label": "255"}
    assert isinstance(error, errors.ValidationError)
    assert error.field == "label"


UNKNOWN_BODIES: list[tuple[str, bytes, str]] = [
    ("html", b"<html><head><title>404</title></head></html>", "text/html"),
    ("empty", b"", ""),
    ("plain-text", b"Bad Gateway", "text/plain"),
    ("json-no-error", b'{"success": false}', "application/json"),
    ("json-error-string", b'{"success": false, "error": "boom"}', "application/json"),
    ("json-linq-shape", b'{"errors": [{"code": "x", "title": "y"}]}', "application/json"),
    ("json-string", b'"not found"', "application/json"),
]


@pytest.mark.parametrize(
    ("case", "content", "content_type"), UNKNOWN_BODIES, ids=[c for c, _, _ in UNKNOWN_BODIES]
)
@pytest.mark.parametrize(
    ("status", "cls"), [(404, errors.NotFoundError), (502, errors.ServerError)], ids=["404", "502"]
)
def test_unknown_error_bodies(
    case: str,
    content: bytes,
    content_type: str,
    status: int,
    cls: type[errors.RoutingError],
) -> None:
    headers = {"X-Request-Id": HEADER_REQUEST_ID}
    if content_type:
        headers["Content-Type"] = content_type
    error = error_from_response(ADAPTER, PATCH_REQUEST, status, httpx.Headers(headers), content, ())
    assert type(error) is cls
    kind = content_type or "no content type"
    assert error.message == f"PATCH {PATH} failed ({kind} body)"
    assert error.status == status
    assert error.code is None
    assert dict(error.details) == {}
    assert error.request_id == HEADER_REQUEST_ID
    assert HEADER_REQUEST_ID in str(error)
