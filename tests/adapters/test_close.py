"""The close adapter, pure: requests built, bodies parsed, errors classified.

Reference: PROVIDERS.md § close and seed 003 (the Close update endpoint and the full
PhoneNumber response field list).
"""

from __future__ import annotations

import base64
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

PROVIDER = "close"
ADAPTER = adapter_for(PROVIDER)
NID = "phon_4NHwTjXpG0V7sT6N1ApKZ5ZoxVmEq8tUbLw8EH9k3Rc"  # phon_ + 43 letters and digits
PATH = f"/phone_number/{NID}/"
PUT_REQUEST = Request("PUT", PATH, json={"label": "x"})
USER_A = "user_8bQfTn2ZcM1wJ5yR7kX0aHs3LdVe9GpUo4Ni6Bt2Cz"
USER_B = "user_3TgYk7Hq0WmN5bR8xZ2cLf9VaJ4sE1pD6uKo3Ie7Qy"
GREETING = "https://s3.amazonaws.com/close-greetings/orga_x/greeting.mp3"

UNSUPPORTED_VALUES: dict[str, Any] = {
    "inbound_url": "https://hooks.example.com/inbound",
    "status_url": "https://hooks.example.com/status",
    "campaign_id": "78614b6c-fe7c-41e2-8e25-c9b3a3c91904",
    **NEW_FIELD_VALUES,
}

# A group number with every field of seed 003's response and PROVIDERS.md's list.
FULL_BODY: dict[str, Any] = {
    "id": NID,
    "organization_id": "orga_bwwWG475zqWiQGur0thQshwVXo8rIYecQHDWFanqhen",
    "user_id": None,
    "address_id": None,
    "bundle_id": None,
    "number": "+16505551234",
    "number_formatted": "+1 650-555-1234",
    "label": "Sales team",
    "type": "virtual",
    "carrier": "twilio",
    "carrier_type": "voip",
    "country": "US",
    "forward_to": "+12025559999",
    "forward_to_enabled": True,
    "forward_to_formatted": "+1 202-555-9999",
    "inbound_ring_duration": 45,
    "voicemail_greeting_url": GREETING,
    "participants": [USER_A, USER_B],
    "phone_numbers": ["+16505550100", "+14155550142"],
    "phone_numbers_formatted": ["+1 650-555-0100", "+1 415-555-0142"],
    "press_1_to_accept": True,
    "is_group_number": True,
    "is_premium": False,
    "is_verified": True,
    "was_ported": False,
    "sms_enabled": True,
    "mms_enabled": False,
    "supports_sms_to_countries": ["US", "CA"],
    "supports_mms_to_countries": ["US"],
    "last_billed_price": 1.0,
    "next_billing_on": "2026-05-01T00:00:00+00:00",
    "date_created": "2024-02-29T17:03:04.517000+00:00",
    "date_updated": "2026-04-26T12:00:05.250000+00:00",
}
FULL_NUMBER = PhoneNumber(
    provider=PROVIDER,
    id=NID,
    number="+16505551234",
    forwarding_number="+12025559999",
    label="Sales team",
    voicemail_greeting_url=GREETING,
    ring_duration=45,
    participants=(USER_A, USER_B),
    external_numbers=("+16505550100", "+14155550142"),
    press_1_to_accept=True,
    sms_enabled=True,
    mms_enabled=False,
    created_at=datetime(2024, 2, 29, 17, 3, 4, 517000, tzinfo=UTC),
    updated_at=datetime(2026, 4, 26, 12, 0, 5, 250000, tzinfo=UTC),
)

# A personal number with forwarding switched off and the optional fields empty.
PLAIN_BODY: dict[str, Any] = {
    **FULL_BODY,
    "id": "phon_Y2pCKb8Nw5QmzT0rLxJd3VfGh7Ua1Se9Ri4Ko6Pc2Mn",
    "user_id": USER_A,
    "number": "+14155550123",
    "number_formatted": "+1 415-555-0123",
    "label": "",
    "type": "internal",
    "forward_to": "+12025559999",
    "forward_to_enabled": False,
    "inbound_ring_duration": None,
    "voicemail_greeting_url": None,
    "participants": [],
    "phone_numbers": [],
    "phone_numbers_formatted": [],
    "press_1_to_accept": False,
    "is_group_number": False,
}
PLAIN_NUMBER = PhoneNumber(
    provider=PROVIDER,
    id="phon_Y2pCKb8Nw5QmzT0rLxJd3VfGh7Ua1Se9Ri4Ko6Pc2Mn",
    number="+14155550123",
    press_1_to_accept=None,  # the wire's false: an off switch reads as empty
    sms_enabled=True,
    mms_enabled=False,
    created_at=datetime(2024, 2, 29, 17, 3, 4, 517000, tzinfo=UTC),
    updated_at=datetime(2026, 4, 26, 12, 0, 5, 250000, tzinfo=UTC),
)


def _bytes(body: Any) -> bytes:
    return json.dumps(body).encode()


def _put(body: dict[str, Any]) -> list[Request]:
    return [Request("PUT", PATH, params=None, json=body)]


# --- identity, auth, capabilities --------------------------------------------------------


def test_identity_and_capabilities() -> None:
    assert ADAPTER.name == "close"
    assert ADAPTER.default_base_url == "https://api.close.com/api/v1"
    assert ADAPTER.api_key_env == "CLOSE_API_KEY"
    assert ADAPTER.request_id_header is None
    fields = frozenset(
        {
            "forwarding_number",
            "label",
            "voicemail_greeting_url",
            "ring_duration",
            "participants",
            "external_numbers",
            "press_1_to_accept",
        }
    )
    assert ADAPTER.capabilities.settable == fields
    assert ADAPTER.capabilities.clearable == fields


@pytest.mark.parametrize(
    ("key", "header"),
    [
        ("key", "Basic a2V5Og=="),
        ("api_6bX2.9kTq", "Basic " + base64.b64encode(b"api_6bX2.9kTq:").decode()),
    ],
)
def test_auth_is_basic_with_key_and_empty_password(key: str, header: str) -> None:
    headers = ADAPTER.auth_headers(key)
    assert headers == {"Authorization": header}
    assert base64.b64decode(headers["Authorization"].removeprefix("Basic ")) == f"{key}:".encode()


# --- list / get / find -------------------------------------------------------------------


def test_list_request_first_page() -> None:
    assert ADAPTER.list_request() == Request(
        "GET", "/phone_number/", params={"_skip": 0, "_limit": 100}, json=None
    )


def test_find_request_filters_by_number() -> None:
    assert ADAPTER.find_request("+16505551234") == Request(
        "GET", "/phone_number/", params={"number": "+16505551234", "_skip": 0, "_limit": 100}
    )


def test_get_request() -> None:
    assert ADAPTER.get_request(NID) == Request("GET", PATH, params=None, json=None)


# --- ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize("given", [NID, "phon_abc123", "phon_X"])
def test_valid_ids(given: str) -> None:
    assert ADAPTER.normalize_id(given) == given


@pytest.mark.parametrize(
    "given",
    [
        "../x",
        "1/2",
        "phon_../x",
        "phon_a/b",
        f"{NID}/",
        "phon_",
        "",
        None,
        True,
        -1,
        42,
        "١٢",
        "phon_١٢",
        "phon_abc-def",
        "phon_abc_def",
        "PHON_abc",
        "lead_4NHwTjXpG0V7sT6N1ApKZ5ZoxVmEq8tUbLw8EH9k3Rc",
        f" {NID}",
        f"{NID} ",
        f"{NID}\n",
        "phon_" + "a" * 65,
    ],
)
def test_malformed_ids_are_refused(given: object) -> None:
    with pytest.raises(errors.ValidationError) as info:
        ADAPTER.normalize_id(given)
    assert info.value.field == "number_id"
    assert info.value.provider == "close"
    assert info.value.status is None


# --- update requests ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "expected_body"),
    [
        (
            pr.RoutingUpdate(forwarding_number="+12025559999"),
            {"forward_to": "+12025559999", "forward_to_enabled": True},
        ),
        (
            pr.RoutingUpdate(forwarding_number="+1 (202) 555-9999"),
            {"forward_to": "+12025559999", "forward_to_enabled": True},
        ),
        (
            pr.RoutingUpdate(forwarding_number=None),
            {"forward_to": None, "forward_to_enabled": False},
        ),
        (
            pr.RoutingUpdate(forwarding_number=""),
            {"forward_to": None, "forward_to_enabled": False},
        ),
        (pr.RoutingUpdate(label="Sales team"), {"label": "Sales team"}),
        (pr.RoutingUpdate(label=None), {"label": ""}),
        (pr.RoutingUpdate(label=""), {"label": ""}),
        (pr.RoutingUpdate(voicemail_greeting_url=GREETING), {"voicemail_greeting_url": GREETING}),
        (pr.RoutingUpdate(voicemail_greeting_url=None), {"voicemail_greeting_url": None}),
        (pr.RoutingUpdate(voicemail_greeting_url=""), {"voicemail_greeting_url": None}),
        (pr.RoutingUpdate(ring_duration=15), {"inbound_ring_duration": 15}),
        (pr.RoutingUpdate(ring_duration=90), {"inbound_ring_duration": 90}),
        (pr.RoutingUpdate(ring_duration=None), {"inbound_ring_duration": None}),
        (pr.RoutingUpdate(participants=[USER_A, USER_B]), {"participants": [USER_A, USER_B]}),
        (pr.RoutingUpdate(participants=(USER_B,)), {"participants": [USER_B]}),
        (pr.RoutingUpdate(participants=None), {"participants": []}),
        (pr.RoutingUpdate(participants=[]), {"participants": []}),
        (
            pr.RoutingUpdate(external_numbers=["+1 (650) 555-0100", "+14155550142"]),
            {"phone_numbers": ["+16505550100", "+14155550142"]},
        ),
        (pr.RoutingUpdate(external_numbers=None), {"phone_numbers": []}),
        (pr.RoutingUpdate(external_numbers=()), {"phone_numbers": []}),
        (pr.RoutingUpdate(press_1_to_accept=True), {"press_1_to_accept": True}),
        (pr.RoutingUpdate(press_1_to_accept=False), {"press_1_to_accept": False}),
        # PROVIDERS.md is silent on clearing a boolean; the adapter documents false.
        (pr.RoutingUpdate(press_1_to_accept=None), {"press_1_to_accept": False}),
    ],
    ids=[
        "set-forwarding",
        "set-forwarding-human",
        "clear-forwarding",
        "clear-forwarding-empty",
        "set-label",
        "clear-label",
        "clear-label-empty",
        "set-greeting",
        "clear-greeting",
        "clear-greeting-empty",
        "set-ring-15",
        "set-ring-90",
        "clear-ring",
        "set-participants",
        "set-participants-tuple",
        "clear-participants",
        "clear-participants-empty",
        "set-external-human",
        "clear-external",
        "clear-external-empty",
        "set-press1-true",
        "set-press1-false",
        "clear-press1",
    ],
)
def test_single_field_updates(update: pr.RoutingUpdate, expected_body: dict[str, Any]) -> None:
    assert ADAPTER.update_requests(NID, update) == _put(expected_body)


def test_all_seven_fields_set_at_once() -> None:
    update = pr.RoutingUpdate(
        forwarding_number="+1 (202) 555-9999",
        label="Sales team",
        voicemail_greeting_url=GREETING,
        ring_duration=45,
        participants=[USER_A, USER_B],
        external_numbers=["+16505550100"],
        press_1_to_accept=True,
    )
    assert ADAPTER.update_requests(NID, update) == _put(
        {
            "forward_to": "+12025559999",
            "forward_to_enabled": True,
            "label": "Sales team",
            "voicemail_greeting_url": GREETING,
            "inbound_ring_duration": 45,
            "participants": [USER_A, USER_B],
            "phone_numbers": ["+16505550100"],
            "press_1_to_accept": True,
        }
    )


def test_all_seven_fields_cleared_at_once() -> None:
    update = pr.RoutingUpdate(
        forwarding_number=None,
        label=None,
        voicemail_greeting_url=None,
        ring_duration=None,
        participants=None,
        external_numbers=None,
        press_1_to_accept=None,
    )
    assert ADAPTER.update_requests(NID, update) == _put(
        {
            "forward_to": None,
            "forward_to_enabled": False,
            "label": "",
            "voicemail_greeting_url": None,
            "inbound_ring_duration": None,
            "participants": [],
            "phone_numbers": [],
            "press_1_to_accept": False,
        }
    )


def test_mixed_set_clear_and_unset() -> None:
    update = pr.RoutingUpdate(
        forwarding_number=None,
        label="Night line",
        ring_duration=pr.UNSET,
        participants=[],
        press_1_to_accept=pr.UNSET,
    )
    assert ADAPTER.update_requests(NID, update) == _put(
        {
            "forward_to": None,
            "forward_to_enabled": False,
            "label": "Night line",
            "participants": [],
        }
    )


def test_all_unset_update_writes_nothing() -> None:
    assert ADAPTER.update_requests(NID, pr.RoutingUpdate()) == []
    explicit = pr.RoutingUpdate(**dict.fromkeys(ROUTING_FIELDS, pr.UNSET))
    assert ADAPTER.update_requests(NID, explicit) == []


@pytest.mark.parametrize("field", sorted(UNSUPPORTED_VALUES))
@pytest.mark.parametrize("mode", ["set", "clear"])
def test_unsupported_fields_are_refused(field: str, mode: str) -> None:
    value = UNSUPPORTED_VALUES[field] if mode == "set" else None
    with pytest.raises(errors.UnsupportedFieldError) as info:
        ADAPTER.update_requests(NID, pr.RoutingUpdate(**{field: value}))
    assert info.value.field == field
    assert info.value.provider == "close"
    assert info.value.status is None
    assert str(info.value).startswith("close: ")


@pytest.mark.parametrize("field", sorted(UNSUPPORTED_VALUES))
def test_unsupported_field_refuses_the_whole_update(field: str) -> None:
    update = pr.RoutingUpdate(
        forwarding_number="+12025559999", label=None, **{field: UNSUPPORTED_VALUES[field]}
    )
    with pytest.raises(errors.UnsupportedFieldError) as info:
        ADAPTER.update_requests(NID, update)
    assert info.value.field == field


def test_unsupported_values_cover_the_other_fields() -> None:
    assert set(UNSUPPORTED_VALUES) == set(ROUTING_FIELDS) - ADAPTER.capabilities.settable


# --- parsing -----------------------------------------------------------------------------


def test_parse_full_group_number(thaw: Callable[[Any], Any]) -> None:
    number = ADAPTER.parse_number(FULL_BODY)
    assert number == FULL_NUMBER
    assert number.routing() == {
        "forwarding_number": "+12025559999",
        "inbound_url": None,
        "status_url": None,
        "label": "Sales team",
        "campaign_id": None,
        "voicemail_greeting_url": GREETING,
        "ring_duration": 45,
        "participants": (USER_A, USER_B),
        "external_numbers": ("+16505550100", "+14155550142"),
        "press_1_to_accept": True,
        **dict.fromkeys(NEW_FIELD_VALUES),
    }
    assert number.created_at is not None
    assert number.created_at.tzinfo is UTC
    assert thaw(number.raw) == FULL_BODY


def test_parse_plain_number_with_everything_off() -> None:
    number = ADAPTER.parse_number(PLAIN_BODY)
    assert number == PLAIN_NUMBER
    # forward_to is still stored, but forwarding is off: it does not count.
    assert number.forwarding_number is None
    assert number.raw["forward_to"] == "+12025559999"
    assert number.ring_duration is None  # null: Close's default of 30 s applies
    assert number.label is None
    assert number.participants is None
    assert number.external_numbers is None


@pytest.mark.parametrize(
    ("forward_to", "enabled", "expected"),
    [
        ("+12025559999", True, "+12025559999"),
        ("+12025559999", False, None),
        ("+12025559999", None, None),
        ("+12025559999", "absent", None),
        (None, True, None),
        ("", True, None),
        (None, False, None),
        ("+1 202-555-9999", True, "+12025559999"),
    ],
    ids=[
        "on",
        "off",
        "enabled-null",
        "enabled-absent",
        "on-without-number",
        "on-empty-number",
        "cleared",
        "formatted",
    ],
)
def test_forwarding_counts_only_when_enabled(
    forward_to: str | None, enabled: Any, expected: str | None
) -> None:
    body = {**FULL_BODY, "forward_to": forward_to, "forward_to_enabled": enabled}
    if enabled == "absent":
        del body["forward_to_enabled"]
    assert ADAPTER.parse_number(body).forwarding_number == expected


def test_minimal_body_reads_every_missing_field_as_none() -> None:
    number = ADAPTER.parse_number({"id": NID, "number": "+16505551234"})
    assert number == PhoneNumber(provider=PROVIDER, id=NID, number="+16505551234")


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2024-02-29T17:03:04.517000+00:00", datetime(2024, 2, 29, 17, 3, 4, 517000, tzinfo=UTC)),
        ("2024-02-29T12:03:04-05:00", datetime(2024, 2, 29, 17, 3, 4, tzinfo=UTC)),
        ("2024-03-01T02:03:04+09:00", datetime(2024, 2, 29, 17, 3, 4, tzinfo=UTC)),
        ("2024-02-29T17:03:04Z", datetime(2024, 2, 29, 17, 3, 4, tzinfo=UTC)),
        ("2024-02-29T17:03:04", datetime(2024, 2, 29, 17, 3, 4, tzinfo=UTC)),
    ],
    ids=["close-form", "minus-five", "plus-nine", "z", "naive"],
)
def test_dates_are_aware_utc(stamp: str, expected: datetime) -> None:
    number = ADAPTER.parse_number({**FULL_BODY, "date_created": stamp, "date_updated": stamp})
    assert number.created_at == expected
    assert number.updated_at == expected
    assert number.created_at is not None
    assert number.created_at.tzinfo is UTC


def test_raw_is_read_only_all_the_way_down() -> None:
    number = ADAPTER.parse_number(FULL_BODY)
    with pytest.raises(TypeError):
        number.raw["label"] = "changed"  # type: ignore[index]
    with pytest.raises(TypeError):
        number.raw["participants"][0] = USER_B
    with pytest.raises(AttributeError):
        number.raw["phone_numbers"].append("+15555550100")
    assert number.raw["participants"] == (USER_A, USER_B)
    assert FULL_BODY["participants"] == [USER_A, USER_B]


def test_first_page_with_more_to_come() -> None:
    body = {"data": [FULL_BODY, PLAIN_BODY], "has_more": True}
    page = ADAPTER.parse_list(body, ADAPTER.list_request())
    assert page == Page(
        [FULL_NUMBER, PLAIN_NUMBER],
        next_request=Request(
            "GET", "/phone_number/", params={"_skip": 2, "_limit": 100}, json=None
        ),
    )


def test_later_page_skips_what_was_read() -> None:
    request = Request("GET", "/phone_number/", params={"_skip": 100, "_limit": 100})
    page = ADAPTER.parse_list({"data": [PLAIN_BODY], "has_more": True}, request)
    assert page.next_request == Request(
        "GET", "/phone_number/", params={"_skip": 101, "_limit": 100}
    )
    assert page.numbers == [PLAIN_NUMBER]
    # The request given is not modified.
    assert request.params == {"_skip": 100, "_limit": 100}


def test_find_pages_keep_the_number_filter() -> None:
    request = ADAPTER.find_request("+16505551234")
    page = ADAPTER.parse_list({"data": [FULL_BODY], "has_more": True}, request)
    assert page.next_request == Request(
        "GET", "/phone_number/", params={"number": "+16505551234", "_skip": 1, "_limit": 100}
    )


@pytest.mark.parametrize(
    "body",
    [{"data": [FULL_BODY], "has_more": False}, {"data": [], "has_more": False}],
    ids=["last-page", "empty"],
)
def test_last_page_has_no_next(body: dict[str, Any]) -> None:
    page = ADAPTER.parse_list(body, ADAPTER.list_request())
    assert page.next_request is None
    assert page.numbers == ([FULL_NUMBER] if body["data"] else [])


MALFORMED_NUMBERS: list[tuple[str, Any]] = [
    ("array", [FULL_BODY]),
    ("wrapped", {"data": FULL_BODY}),
    ("id-missing", {k: v for k, v in FULL_BODY.items() if k != "id"}),
    ("id-with-slash", {**FULL_BODY, "id": "phon_a/b"}),
    ("id-dot-dot", {**FULL_BODY, "id": "phon_../../lead"}),
    ("id-other-object", {**FULL_BODY, "id": "lead_4NHwTjXpG0V7sT6N1ApKZ5Zo"}),
    ("id-int", {**FULL_BODY, "id": 7}),
    ("number-missing", {k: v for k, v in FULL_BODY.items() if k != "number"}),
    ("number-null", {**FULL_BODY, "number": None}),
    ("enabled-string", {**FULL_BODY, "forward_to_enabled": "true"}),
    ("forward-to-int", {**FULL_BODY, "forward_to": 12025559999}),
    ("ring-string", {**FULL_BODY, "inbound_ring_duration": "30"}),
    ("ring-float", {**FULL_BODY, "inbound_ring_duration": 30.5}),
    ("ring-bool", {**FULL_BODY, "inbound_ring_duration": True}),
    ("label-int", {**FULL_BODY, "label": 1}),
    ("greeting-list", {**FULL_BODY, "voicemail_greeting_url": [GREETING]}),
    ("participants-string", {**FULL_BODY, "participants": USER_A}),
    ("participants-ints", {**FULL_BODY, "participants": [1, 2]}),
    ("phone-numbers-object", {**FULL_BODY, "phone_numbers": {"0": "+16505550100"}}),
    ("press1-string", {**FULL_BODY, "press_1_to_accept": "false"}),
    ("sms-int", {**FULL_BODY, "sms_enabled": 0}),
    ("date-garbage", {**FULL_BODY, "date_created": "last tuesday"}),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED_NUMBERS, ids=[c for c, _ in MALFORMED_NUMBERS])
def test_malformed_number_is_a_shape_error(case: str, body: Any) -> None:
    with pytest.raises(wire.ShapeError):
        ADAPTER.parse_number(body)


MALFORMED_LISTS: list[tuple[str, Any]] = [
    ("array", [FULL_BODY]),
    ("data-missing", {"has_more": False}),
    ("data-object", {"data": FULL_BODY, "has_more": False}),
    ("has-more-missing", {"data": [FULL_BODY]}),
    ("has-more-string", {"data": [FULL_BODY], "has_more": "false"}),
    ("has-more-int", {"data": [FULL_BODY], "has_more": 1}),
    ("has-more-on-empty-page", {"data": [], "has_more": True}),
    ("item-not-object", {"data": [NID], "has_more": False}),
    ("item-bad-id", {"data": [{**FULL_BODY, "id": "phon_x/y"}], "has_more": False}),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED_LISTS, ids=[c for c, _ in MALFORMED_LISTS])
def test_malformed_list_is_a_shape_error(case: str, body: Any) -> None:
    with pytest.raises(wire.ShapeError):
        ADAPTER.parse_list(body, ADAPTER.list_request())


def test_parse_success_returns_the_parsed_number() -> None:
    number = parse_success(
        ADAPTER, ADAPTER.parse_number, PUT_REQUEST, 200, httpx.Headers({}), _bytes(FULL_BODY), ()
    )
    assert number == FULL_NUMBER


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (_bytes({**FULL_BODY, "id": "phon_a/b"}), "'id' is missing or not a valid id"),
        (_bytes({"number": "+16505551234"}), "'id' is missing or not a valid id"),
        (
            _bytes({**FULL_BODY, "inbound_ring_duration": "30"}),
            "'inbound_ring_duration' is not an integer",
        ),
        (
            _bytes({**FULL_BODY, "forward_to_enabled": "yes"}),
            "'forward_to_enabled' is not a boolean",
        ),
        (_bytes(None), "a phone number is not a JSON object"),
        (b"<html>Service Unavailable</html>", "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b"\xfe\xed\xfa\xce", "the body is not valid JSON"),
    ],
    ids=["slash-id", "no-id", "string-ring", "string-enabled", "null", "html", "empty", "binary"],
)
def test_malformed_success_is_unexpected_response(content: bytes, reason: str) -> None:
    with pytest.raises(errors.UnexpectedResponseError) as info:
        parse_success(
            ADAPTER, ADAPTER.parse_number, PUT_REQUEST, 200, httpx.Headers({}), content, ()
        )
    error = info.value
    assert error.provider == "close"
    assert error.status == 200
    assert error.request_id is None
    assert error.code is None
    assert error.message == f"PUT {PATH} answered HTTP 200 but {reason}"


def test_malformed_list_through_parse_success() -> None:
    request = ADAPTER.list_request()
    with pytest.raises(errors.UnexpectedResponseError) as info:
        parse_success(
            ADAPTER,
            lambda data: ADAPTER.parse_list(data, request),
            request,
            200,
            httpx.Headers({}),
            _bytes({"data": [FULL_BODY]}),
            (),
        )
    assert info.value.message == (
        "GET /phone_number/ answered HTTP 200 but 'has_more' is missing or not a boolean"
    )


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire_field", "field"),
    [
        ("inbound_ring_duration", "ring_duration"),
        ("forward_to", "forwarding_number"),
        ("forward_to_enabled", "forwarding_number"),
        ("phone_numbers", "external_numbers"),
        ("label", "label"),
        ("voicemail_greeting_url", "voicemail_greeting_url"),
        ("participants", "participants"),
        ("press_1_to_accept", "press_1_to_accept"),
    ],
)
def test_400_field_error_names_the_normalized_field(wire_field: str, field: str) -> None:
    body = {"errors": [], "field-errors": {wire_field: "This field is invalid."}}
    headers = httpx.Headers({"Content-Type": "application/json"})
    error = error_from_response(ADAPTER, PUT_REQUEST, 400, headers, _bytes(body), ())
    assert type(error) is errors.ValidationError
    assert isinstance(error, errors.ValidationError)
    assert error.field == field
    assert error.provider == "close"
    assert error.status == 400
    assert error.code is None
    assert error.message == "validation failed"
    assert error.request_id is None
    assert error.doc_url is None
    assert dict(error.details) == {wire_field: "This field is invalid."}
    assert f"{wire_field}: This field is invalid." in str(error)


def test_400_ring_duration_out_of_range() -> None:
    body = {
        "errors": [],
        "field-errors": {"inbound_ring_duration": "Ensure this value is less than or equal to 90."},
    }
    error = error_from_response(ADAPTER, PUT_REQUEST, 400, httpx.Headers({}), _bytes(body), ())
    assert isinstance(error, errors.ValidationError)
    assert error.field == "ring_duration"
    assert dict(error.details) == {
        "inbound_ring_duration": "Ensure this value is less than or equal to 90."
    }
    assert "Ensure this value is less than or equal to 90." in str(error)


def test_400_with_several_field_errors_names_no_single_field() -> None:
    body = {
        "errors": [],
        "field-errors": {
            "forward_to": "Enter a valid phone number.",
            "voicemail_greeting_url": "URL must use https.",
        },
    }
    error = error_from_response(ADAPTER, PUT_REQUEST, 400, httpx.Headers({}), _bytes(body), ())
    assert isinstance(error, errors.ValidationError)
    assert error.field is None
    assert dict(error.details) == {
        "forward_to": "Enter a valid phone number.",
        "voicemail_greeting_url": "URL must use https.",
    }


def test_400_unknown_field_is_reported() -> None:
    body = {"errors": [], "field-errors": {"inbound_url": "Unknown field."}}
    error = error_from_response(ADAPTER, PUT_REQUEST, 400, httpx.Headers({}), _bytes(body), ())
    assert isinstance(error, errors.ValidationError)
    assert error.field == "inbound_url"
    assert dict(error.details) == {"inbound_url": "Unknown field."}


def test_400_errors_list_makes_the_message() -> None:
    body = {
        "errors": ["Invalid request.", "Group numbers need two participants."],
        "field-errors": {},
    }
    error = error_from_response(ADAPTER, PUT_REQUEST, 400, httpx.Headers({}), _bytes(body), ())
    assert type(error) is errors.ValidationError
    assert error.message == "Invalid request.; Group numbers need two participants."
    assert dict(error.details) == {}
    assert isinstance(error, errors.ValidationError)
    assert error.field is None


SIMPLE_ERRORS: list[tuple[int, str, type[errors.RoutingError]]] = [
    (401, "The API key is invalid.", errors.AuthenticationError),
    (
        403,
        "You don't have the 'Manage Group Phone Numbers' permission.",
        errors.PermissionDeniedError,
    ),
    (404, "Empty query: PhoneNumber matching query does not exist.", errors.NotFoundError),
    (402, "Your plan's limit of phone numbers has been reached.", errors.RequestRejectedError),
    (500, "Internal server error.", errors.ServerError),
]


@pytest.mark.parametrize(
    ("status", "message", "cls"), SIMPLE_ERRORS, ids=[str(s) for s, _, _ in SIMPLE_ERRORS]
)
def test_simple_errors(status: int, message: str, cls: type[errors.RoutingError]) -> None:
    headers = httpx.Headers({"Content-Type": "application/json"})
    error = error_from_response(
        ADAPTER, PUT_REQUEST, status, headers, _bytes({"error": message}), ()
    )
    assert type(error) is cls
    assert error.provider == "close"
    assert error.status == status
    assert error.code is None
    assert error.message == message
    assert error.request_id is None
    assert error.doc_url is None
    assert dict(error.details) == {}
    assert message in str(error)


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"RateLimit": "limit=100, remaining=0, reset=7"}, 7.0),
        ({"ratelimit": "limit=100, remaining=0, reset=0.5"}, 0.5),
        ({"RateLimit": "reset=3, limit=100, remaining=0"}, 3.0),
        ({"RateLimit": "limit=100, remaining=0, reset=7", "Retry-After": "7"}, 7.0),
        ({"Retry-After": "4"}, 4.0),
        ({"RateLimit": "limit=100, remaining=0"}, None),
        ({}, None),
    ],
    ids=["ratelimit", "fraction", "reset-first", "both", "retry-after-only", "no-reset", "none"],
)
def test_429_rate_limit(headers: dict[str, str], retry_after: float | None) -> None:
    body = {"error": "API call count exceeded for this 15 second window"}
    error = error_from_response(ADAPTER, PUT_REQUEST, 429, httpx.Headers(headers), _bytes(body), ())
    assert type(error) is errors.RateLimitError
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == retry_after
    assert error.code is None
    assert error.message == "API call count exceeded for this 15 second window"
    assert "API call count exceeded" in str(error)


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"RateLimit": "limit=100, remaining=0, reset=7"}, 7.0),
        ({}, 4.5),
    ],
    ids=["reset-header", "body-rate-reset"],
)
def test_429_with_the_deprecated_body_keeps_its_message_and_wait(
    headers: dict[str, str], retry_after: float
) -> None:
    # Close deprecated its 429 body in favour of the headers; an old-style body nests
    # the message and the wait under "error".
    body = {"error": {"rate_reset": 4.5, "message": "API call count exceeded", "rate_limit": 100}}
    error = error_from_response(ADAPTER, PUT_REQUEST, 429, httpx.Headers(headers), _bytes(body), ())
    assert isinstance(error, errors.RateLimitError)
    assert error.message == "API call count exceeded"
    assert error.retry_after == retry_after


UNKNOWN_BODIES: list[tuple[str, bytes, str]] = [
    ("html", b"<html><body>404 page not found</body></html>", "text/html; charset=UTF-8"),
    ("empty", b"", ""),
    ("plain-text", b"upstream request timeout", "text/plain"),
    ("json-other-shape", b'{"message": "nope"}', "application/json"),
    ("json-empty-error", b'{"error": ""}', "application/json"),
    ("json-array", b'["error"]', "application/json"),
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
    headers = httpx.Headers({"Content-Type": content_type} if content_type else {})
    error = error_from_response(ADAPTER, PUT_REQUEST, status, headers, content, ())
    assert type(error) is cls
    kind = content_type.split(";")[0] if content_type else "no content type"
    assert error.message == f"PUT {PATH} failed ({kind} body)"
    assert error.status == status
    assert error.code is None
    assert error.request_id is None
    assert dict(error.details) == {}
    assert f"PUT {PATH}" in str(error)
