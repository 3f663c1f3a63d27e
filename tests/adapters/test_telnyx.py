"""The Telnyx adapter, pure: the exact requests for each operation and update, how the
number, voice settings, messaging settings and errors read, and what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import phonerouting as pr
from phonerouting import errors
from phonerouting.adapters.base import Page, Request
from phonerouting.adapters.telnyx import TelnyxAdapter
from phonerouting.adapters.wire import ShapeError
from phonerouting.model import ROUTING_FIELDS, freeze_raw
from phonerouting.operations import normalize_id
from phonerouting.registry import adapter_for
from phonerouting.responses import error_from_response, parse_success

ADAPTER = adapter_for("telnyx")
NID = "1293384261075731499"
PROFILE = "abc85f64-5717-4562-b3fc-2c9600000000"
CONNECTION_UUID = "1d0e6cb8-8668-462e-94c6-49ae0f0ed48b"
_SAMPLES = Path(__file__).resolve().parents[2] / "providers" / "telnyx" / "samples"
_SAMPLE_PROFILE = "3fa85f64-5717-4562-b3fc-2c963f66afa6"

# The PATCH /phone_numbers/{id} 200 example of Telnyx's spec, verbatim.
DETAILED: dict[str, Any] = {
    "activated_at": "2019-10-23T18:10:00.000Z",
    "billing_group_id": "86f58db9-0fe3-4adc-9d1f-46e66e6e9323",
    "call_forwarding_enabled": True,
    "call_recording_enabled": True,
    "caller_id_name_enabled": True,
    "cnam_listing_enabled": True,
    "connection_id": "1293384261075731499",
    "connection_name": "connection-name",
    "country_iso_alpha2": "US",
    "created_at": "2019-10-23T18:10:00.000Z",
    "customer_reference": "customer-reference",
    "deletion_lock_enabled": False,
    "emergency_address_id": "1315261609962112019",
    "emergency_enabled": True,
    "emergency_status": "active",
    "external_pin": "1234",
    "hd_voice_enabled": True,
    "id": "1293384261075731499",
    "inbound_call_screening": "disabled",
    "messaging_profile_id": "abc85f64-5717-4562-b3fc-2c9600000000",
    "messaging_profile_name": "regional-customers",
    "phone_number": "+19705555098",
    "phone_number_type": "local",
    "purchased_at": "2019-10-23T18:10:00.000Z",
    "record_type": "phone_number",
    "source_type": "number_order",
    "status": "active",
    "t38_fax_gateway_enabled": True,
    "tags": ["tag_1", "tag_2"],
    "updated_at": "2019-10-24T18:10:00.000Z",
}
# The PATCH /phone_numbers/{id}/voice 200 example of Telnyx's spec, verbatim.
VOICE: dict[str, Any] = {
    "call_forwarding": {
        "call_forwarding_enabled": True,
        "forwarding_type": "always",
        "forwards_to": "+13035559123",
    },
    "call_recording": {
        "inbound_call_recording_channels": "single",
        "inbound_call_recording_enabled": True,
        "inbound_call_recording_format": "wav",
    },
    "cnam_listing": {"cnam_listing_details": "example", "cnam_listing_enabled": True},
    "connection_id": "1d0e6cb8-8668-462e-94c6-49ae0f0ed48b",
    "customer_reference": "customer-reference",
    "emergency": {
        "emergency_address_id": "1315261609962112019",
        "emergency_enabled": True,
        "emergency_status": "active",
    },
    "id": "1293384261075731499",
    "inbound_call_screening": "disabled",
    "media_features": {
        "accept_any_rtp_packets_enabled": True,
        "rtp_auto_adjust_enabled": True,
        "t38_fax_gateway_enabled": True,
    },
    "record_type": "voice_settings",
    "tech_prefix_enabled": False,
    "translated_number": "+13035559999",
    "usage_payment_method": "pay-per-minute",
}


def _numbered(number: pr.PhoneNumber, forwarding: dict[str, Any]) -> pr.PhoneNumber:
    return ADAPTER.complete(number, {"voice": {"call_forwarding": forwarding}})


# --- identity and auth -------------------------------------------------------------------


def test_identity_credentials_and_auth() -> None:
    assert isinstance(ADAPTER, TelnyxAdapter)
    assert ADAPTER.default_base_url == "https://api.telnyx.com/v2"
    assert ADAPTER.api_key_env == "TELNYX_API_KEY"
    ((spec),) = ADAPTER.credential_specs()
    assert (spec.name, spec.env, spec.secret) == ("api_key", "TELNYX_API_KEY", True)
    assert ADAPTER.authenticate({"api_key": "KEY0123_abc"}) == {
        "Authorization": "Bearer KEY0123_abc"
    }


def test_capabilities() -> None:
    caps = ADAPTER.capabilities
    wanted = {"forwarding_number", "connection_id", "messaging_profile_id", "tags"}
    assert caps.settable == caps.clearable == wanted


@pytest.mark.parametrize("good", ["1293384261075731499", "7"])
def test_ids_are_numeric_strings(good: str) -> None:
    assert normalize_id(ADAPTER, good) == good


@pytest.mark.parametrize(
    "bad", ["", "abc", "12/34", "1293384261075731499/voice", "1" * 21, "-1", " 12"]
)
def test_other_ids_are_refused_before_sending(bad: str) -> None:
    with pytest.raises(errors.ValidationError) as info:
        normalize_id(ADAPTER, bad)
    assert info.value.field == "number_id"
    assert info.value.provider == "telnyx"


def test_an_int_id_is_refused_with_the_one_rule() -> None:
    with pytest.raises(errors.ValidationError) as info:
        normalize_id(ADAPTER, 1293384261075731499)
    assert info.value.message == (
        "number_id 1293384261075731499 is an int, but ids are strings: pass '1293384261075731499'"
    )


# --- requests ----------------------------------------------------------------------------


def test_list_find_get_and_voice_requests() -> None:
    assert ADAPTER.list_request() == Request(
        "GET", "/phone_numbers", params={"page[number]": 1, "page[size]": 250}
    )
    find = ADAPTER.find_request("+19705555098")
    assert find == Request(
        "GET",
        "/phone_numbers",
        params={"filter[phone_number]": "19705555098", "page[number]": 1, "page[size]": 250},
    )
    assert ADAPTER.get_request(NID) == Request("GET", f"/phone_numbers/{NID}")
    assert ADAPTER.parts == ("voice",)
    assert ADAPTER.part_request(NID, "voice") == Request("GET", f"/phone_numbers/{NID}/voice")
    # The voice settings are listed beside a listing, with its filter, from page 1.
    assert ADAPTER.part_listing(find, "voice") == Request(
        "GET",
        "/phone_numbers/voice",
        params={"filter[phone_number]": "19705555098", "page[number]": 1, "page[size]": 250},
    )
    assert ADAPTER.part_listing(ADAPTER.list_request(), "voice") == Request(
        "GET", "/phone_numbers/voice", params={"page[number]": 1, "page[size]": 250}
    )


def test_each_field_goes_to_its_own_endpoint() -> None:
    core = f"/phone_numbers/{NID}"
    assert ADAPTER.update_requests(NID, pr.RoutingUpdate(connection_id=CONNECTION_UUID)) == [
        Request("PATCH", core, json={"connection_id": CONNECTION_UUID})
    ]
    assert ADAPTER.update_requests(NID, pr.RoutingUpdate(tags=["b", "a"])) == [
        Request("PATCH", core, json={"tags": ["b", "a"]})
    ]
    assert ADAPTER.update_requests(NID, pr.RoutingUpdate(messaging_profile_id=PROFILE)) == [
        Request(
            "PATCH", f"{core}/messaging", json={"messaging_profile_id": PROFILE}, part="messaging"
        )
    ]
    assert ADAPTER.update_requests(NID, pr.RoutingUpdate(forwarding_number="+13035559123")) == [
        Request(
            "PATCH",
            f"{core}/voice",
            json={
                "call_forwarding": {
                    "call_forwarding_enabled": True,
                    "forwards_to": "+13035559123",
                    "forwarding_type": "always",
                }
            },
            part="voice",
        )
    ]


def test_clears() -> None:
    update = pr.RoutingUpdate(
        forwarding_number=None, connection_id=None, tags=None, messaging_profile_id=None
    )
    # The number's own PATCH last: its answer is the latest state after the others.
    assert ADAPTER.update_requests(NID, update) == [
        Request(
            "PATCH",
            f"/phone_numbers/{NID}/voice",
            json={"call_forwarding": {"call_forwarding_enabled": False, "forwards_to": ""}},
            part="voice",
        ),
        # "" unassigns; null would keep the profile.
        Request(
            "PATCH",
            f"/phone_numbers/{NID}/messaging",
            json={"messaging_profile_id": ""},
            part="messaging",
        ),
        Request("PATCH", f"/phone_numbers/{NID}", json={"connection_id": "", "tags": []}),
    ]


def test_an_empty_update_sends_nothing() -> None:
    assert ADAPTER.update_requests(NID, pr.RoutingUpdate()) == []


def test_setting_forwarding_keeps_the_numbers_forwarding_type() -> None:
    update = pr.RoutingUpdate(forwarding_number="+1 303 555 9123")
    assert ADAPTER.reads_before_update(update)
    assert not ADAPTER.reads_before_update(pr.RoutingUpdate(forwarding_number=None))
    assert not ADAPTER.reads_before_update(pr.RoutingUpdate(tags=["a"]))
    base = ADAPTER.parse_number({"data": DETAILED})
    for kind, sent in (("on-failure", "on-failure"), ("always", "always"), (None, "always")):
        number = _numbered(base, {"forwarding_type": kind, "call_forwarding_enabled": False})
        (request,) = ADAPTER.update_requests_for(number, update)
        assert request.json == {
            "call_forwarding": {
                "call_forwarding_enabled": True,
                "forwards_to": "+13035559123",
                "forwarding_type": sent,
            }
        }
    bare = pr.PhoneNumber(provider="telnyx", id=NID, number="+19705555098")
    (request,) = ADAPTER.update_requests_for(bare, update)
    assert request.json is not None
    assert request.json["call_forwarding"]["forwarding_type"] == "always"


def test_a_rollback_puts_back_the_forwarding_type() -> None:
    number = _numbered(
        ADAPTER.parse_number({"data": DETAILED}),
        {"forwarding_type": "on-failure", "forwards_to": "+13035559123"},
    )
    state = ADAPTER.restorable_state(number)
    assert state == {"forwarding_type": "on-failure"}
    (request,) = ADAPTER.restore_requests(
        NID, pr.RoutingUpdate(forwarding_number="+13035559123"), state
    )
    assert request.json == {
        "call_forwarding": {
            "call_forwarding_enabled": True,
            "forwards_to": "+13035559123",
            "forwarding_type": "on-failure",
        }
    }
    # A journal holding something else gets the default, never the odd value.
    (request,) = ADAPTER.restore_requests(
        NID, pr.RoutingUpdate(forwarding_number="+13035559123"), {"forwarding_type": "x"}
    )
    assert request.json is not None
    assert request.json["call_forwarding"]["forwarding_type"] == "always"


UNSUPPORTED: dict[str, Any] = {
    "inbound_url": "https://hooks.example.com/in",
    "status_url": "https://hooks.example.com/status",
    "label": "Front desk",
    "campaign_id": "78614b6c-fe7c-41e2-8e25-c9b3a3c91904",
    "voicemail_greeting_url": "https://cdn.example.com/g.mp3",
    "ring_duration": 30,
    "participants": ["user_1"],
    "external_numbers": ["+16505550100"],
    "press_1_to_accept": True,
    "voice_url": "https://hooks.example.com/voice",
    "voice_fallback_url": "https://hooks.example.com/vf",
    "inbound_fallback_url": "https://hooks.example.com/sf",
    "call_status_url": "https://hooks.example.com/cs",
}


def test_unsupported_values_cover_the_other_fields() -> None:
    assert set(UNSUPPORTED) | ADAPTER.capabilities.settable == set(ROUTING_FIELDS)


@pytest.mark.parametrize("field", sorted(UNSUPPORTED))
def test_unsupported_fields_refuse_the_whole_update(field: str) -> None:
    update = pr.RoutingUpdate(tags=["a"], **{field: UNSUPPORTED[field]})
    with pytest.raises(errors.UnsupportedFieldError) as info:
        ADAPTER.update_requests(NID, update)
    assert (info.value.field, info.value.provider) == (field, "telnyx")


# --- reading -----------------------------------------------------------------------------


def test_parse_the_specs_number_and_voice_settings() -> None:
    number = ADAPTER.parse_number({"data": DETAILED})
    assert number.forwarding_number is None  # forwarding lives in the voice settings
    full = ADAPTER.complete(number, {"voice": ADAPTER.parse_part({"data": VOICE}, "voice")})
    assert full.routing() == dict.fromkeys(ROUTING_FIELDS) | {
        "forwarding_number": "+13035559123",
        "connection_id": "1293384261075731499",
        "messaging_profile_id": PROFILE,
        "tags": ("tag_1", "tag_2"),
    }
    assert (full.id, full.number, full.provider) == (NID, "+19705555098", "telnyx")
    assert full.created_at is not None
    assert full.created_at.isoformat() == ("2019-10-23T18:10:00+00:00")
    assert full.raw["call_forwarding"] == VOICE["call_forwarding"]
    assert full.raw["customer_reference"] == "customer-reference"


@pytest.mark.parametrize(
    ("forwarding", "reads"),
    [
        ({"call_forwarding_enabled": True, "forwards_to": "+13035559123"}, "+13035559123"),
        ({"call_forwarding_enabled": False, "forwards_to": "+13035559123"}, None),
        ({"call_forwarding_enabled": True, "forwards_to": ""}, None),
        ({"call_forwarding_enabled": True, "forwards_to": None}, None),
        ({"call_forwarding_enabled": True}, None),
        ({}, None),
    ],
)
def test_a_number_forwards_only_while_enabled_with_a_target(
    forwarding: dict[str, Any], reads: str | None
) -> None:
    number = ADAPTER.parse_number({"data": DETAILED})
    assert _numbered(number, forwarding).forwarding_number == reads
    assert ADAPTER.complete(number, {"voice": {"call_forwarding": {}}}).forwarding_number is None


@pytest.mark.parametrize("empty", [None, ""])
def test_a_cleared_connection_or_profile_and_no_tags_read_none(empty: object) -> None:
    data = {**DETAILED, "connection_id": empty, "messaging_profile_id": empty, "tags": []}
    number = ADAPTER.parse_number({"data": data})
    assert (number.connection_id, number.messaging_profile_id, number.tags) == (None, None, None)


def test_unavailable_messaging_is_no_value_but_a_server_error_naming_the_number() -> None:
    data = {**DETAILED, "messaging_profile_id": "UNAVAILABLE"}
    with pytest.raises(errors.ServerError) as info:
        ADAPTER.parse_number({"data": data})
    assert info.value.message == (
        "Telnyx could not load the messaging settings of +19705555098 (1293384261075731499) "
        "(it answered messaging_profile_id UNAVAILABLE)"
    )
    messaging = {"id": NID, "phone_number": "+19705555098", "messaging_profile_id": "UNAVAILABLE"}
    with pytest.raises(errors.ServerError):
        ADAPTER.parse_part({"data": messaging}, "messaging")


def test_a_messaging_answer_gives_the_profile() -> None:
    answer = {
        "id": NID,
        "phone_number": "+19705555098",
        "messaging_profile_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "record_type": "messaging_settings",
    }
    part = ADAPTER.parse_part({"data": answer}, "messaging")
    number = ADAPTER.complete(
        ADAPTER.parse_number({"data": DETAILED}), {"voice": {}, "messaging": part}
    )
    assert number.messaging_profile_id == "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def _page(items: list[dict[str, Any]], page: int, total: int) -> dict[str, Any]:
    meta = {"page_number": page, "page_size": 250, "total_pages": total, "total_results": 0}
    return {"data": items, "meta": meta}


def test_pages_follow_page_number_to_total_pages() -> None:
    first = ADAPTER.list_request()
    page = ADAPTER.parse_list(_page([DETAILED], 1, 3), first)
    assert [n.id for n in page.numbers] == [NID]
    assert page.next_request == Request(
        "GET", "/phone_numbers", params={"page[number]": 2, "page[size]": 250}
    )
    assert page.next_request is not None
    third = Request("GET", "/phone_numbers", params={"page[number]": 3, "page[size]": 250})
    assert ADAPTER.parse_list(_page([DETAILED], 3, 3), third) == Page(
        ADAPTER.parse_list(_page([DETAILED], 3, 3), third).numbers, None
    )
    assert ADAPTER.parse_list(_page([], 1, 0), first).next_request is None


def test_voice_pages_map_ids_to_settings() -> None:
    first = ADAPTER.part_listing(ADAPTER.list_request(), "voice")
    assert first is not None
    found, following = ADAPTER.parse_part_page(_page([VOICE], 1, 2), first, "voice")
    assert found == {NID: {"call_forwarding": VOICE["call_forwarding"]}}
    assert following == Request(
        "GET", "/phone_numbers/voice", params={"page[number]": 2, "page[size]": 250}
    )


_FORWARDING_ON = {
    "call_forwarding": {
        "call_forwarding_enabled": True,
        "forwarding_type": "always",
        "forwards_to": "+13035559123",
    }
}


@pytest.mark.parametrize(
    ("name", "part", "expected"),
    [
        ("get_voice.200", "voice", _FORWARDING_ON),
        ("update_voice.200", "voice", _FORWARDING_ON),
        (
            "update_voice.200.cleared",
            "voice",
            {
                "call_forwarding": {
                    "call_forwarding_enabled": False,
                    "forwarding_type": "always",
                    "forwards_to": "",
                }
            },
        ),
        ("update_messaging.200", "messaging", {"messaging_profile_id": _SAMPLE_PROFILE}),
        ("update_messaging.200.unassigned", "messaging", {"messaging_profile_id": None}),
    ],
)
def test_the_contracts_part_samples_read_exactly(name: str, part: str, expected: Any) -> None:
    content = (_SAMPLES / f"{name}.json").read_bytes()
    parse = lambda d: ADAPTER.parse_part(d, part)  # noqa: E731
    assert parse_success(ADAPTER, parse, Request("GET", "/x"), 200, {}, content, ()) == expected


def test_the_contracts_voice_listing_sample_reads_exactly() -> None:
    content = (_SAMPLES / "list_voice.200.json").read_bytes()
    first = ADAPTER.part_listing(ADAPTER.list_request(), "voice")
    assert first is not None
    parse = lambda d: ADAPTER.parse_part_page(d, first, "voice")  # noqa: E731
    found, following = parse_success(ADAPTER, parse, first, 200, {}, content, ())
    assert found == {"1293384261075731499": _FORWARDING_ON}
    assert following == Request(
        "GET", "/phone_numbers/voice", params={"page[number]": 2, "page[size]": 250}
    )


@pytest.mark.parametrize(
    "body",
    [
        {"data": []},
        {"data": [], "meta": {}},
        {"data": [], "meta": {"total_pages": "2"}},
        {"data": [], "meta": {"total_pages": 5}},  # more pages promised after an empty one
        {"meta": {"total_pages": 1}},
        [],
    ],
)
def test_list_bodies_of_another_shape_are_refused(body: Any) -> None:
    with pytest.raises(ShapeError):
        ADAPTER.parse_list(body, ADAPTER.list_request())


def test_a_voice_answer_of_another_shape_is_an_unexpected_response() -> None:
    request = ADAPTER.part_request(NID, "voice")
    bad = b'{"data": {"id": "1", "call_forwarding": {"forwards_to": 5}}}'
    with pytest.raises(errors.UnexpectedResponseError):
        parse_success(ADAPTER, lambda d: ADAPTER.parse_part(d, "voice"), request, 200, {}, bad, ())


# --- errors ------------------------------------------------------------------------------


def _error(status: int, body: bytes, headers: dict[str, str] | None = None) -> errors.RoutingError:
    request = ADAPTER.update_requests(NID, pr.RoutingUpdate(forwarding_number=None))[0]
    return error_from_response(ADAPTER, request, status, headers or {}, body, ())


def test_the_specs_401_body() -> None:
    body = (
        b'{"errors": [{"code": "10009", "detail": "Could not understand the provided '
        b'credentials.", "meta": {"url": "https://developers.telnyx.com/docs/overview/errors/'
        b'10009"}, "title": "Authentication failed"}]}'
    )
    error = _error(401, body, {"x-request-id": "5f0c0a4e-1c1b-4b7e-9d0e-6a1c0f0b9e11"})
    assert isinstance(error, errors.AuthenticationError)
    assert (error.code, error.message) == (
        "10009",
        "Could not understand the provided credentials.",
    )
    assert error.doc_url == "https://developers.telnyx.com/docs/overview/errors/10009"
    assert error.request_id == "5f0c0a4e-1c1b-4b7e-9d0e-6a1c0f0b9e11"


def test_a_404_is_not_found() -> None:
    body = (
        b'{"errors": [{"code": "10005", "title": "Resource not found", "detail": "The '
        b'requested resource or URL could not be found."}]}'
    )
    error = _error(404, body)
    assert isinstance(error, errors.NotFoundError)
    assert error.code == "10005"


def test_every_errors_pointer_is_a_detail_and_the_first_names_the_field() -> None:
    body = (
        b'{"errors": [{"code": "10016", "title": "Phone number must be in +E.164 format", '
        b'"detail": "forwards_to must be a +E.164 phone number.", "source": {"pointer": '
        b'"/call_forwarding/forwards_to"}}, {"code": "10015", "title": "Bad Request", '
        b'"source": {"pointer": "/call_forwarding/forwarding_type"}}, {"code": "10015", '
        b'"detail": "no pointer here"}]}'
    )
    error = _error(422, body)
    assert isinstance(error, errors.ValidationError)
    assert error.code == "10016"
    assert error.message == "forwards_to must be a +E.164 phone number."
    assert error.details == {
        "/call_forwarding/forwards_to": "forwards_to must be a +E.164 phone number.",
        "/call_forwarding/forwarding_type": "Bad Request",
    }
    assert error.field == "forwarding_number"


def test_a_429_waits_for_x_ratelimit_reset() -> None:
    body = (
        b'{"errors": [{"code": "10011", "title": "Too many requests", "detail": "You have '
        b'exceeded the maximum number of allowed requests."}]}'
    )
    headers = {"x-ratelimit-limit": "20", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "7"}
    error = _error(429, body, headers)
    assert isinstance(error, errors.RateLimitError)
    assert (error.code, error.retry_after) == ("10011", 7.0)


def test_x_ratelimit_reset_with_requests_left_is_no_wait() -> None:
    headers = {"x-ratelimit-remaining": "12", "x-ratelimit-reset": "40"}
    assert ADAPTER.retry_after_hint(headers) is None
    assert ADAPTER.retry_after_hint({"x-ratelimit-remaining": "0"}) is None
    assert (
        ADAPTER.retry_after_hint({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "x"}) is None
    )
    error = _error(503, b'{"errors": []}', {"x-ratelimit-remaining": "3", "x-ratelimit-reset": "9"})
    assert isinstance(error, errors.ServerError)
    assert error.retry_after is None


@pytest.mark.parametrize(
    "body", [b"[]", b'{"errors": "x"}', b'{"errors": [1, "a"]}', b'{"error": "x"}', b"null"]
)
def test_error_bodies_of_another_shape_say_nothing(body: bytes) -> None:
    error = _error(500, body)
    assert isinstance(error, errors.ServerError)
    assert error.code is None
    assert error.message == f"PATCH /phone_numbers/{NID}/voice failed (no content type body)"


def test_raw_is_read_only() -> None:
    number = ADAPTER.parse_number({"data": DETAILED})
    assert number.raw == freeze_raw(DETAILED)
    with pytest.raises(TypeError):
        number.raw["tags"] = []  # type: ignore[index]
