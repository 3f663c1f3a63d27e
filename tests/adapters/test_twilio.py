"""The twilio adapter, pure: requests built, bodies parsed, errors classified.

Reference: providers/twilio/README.md (Twilio's OpenAPI document, spec/json/
twilio_api_v2010.json of twilio/twilio-oai, and the official twilio-python client).
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
from phonerouting.adapters.base import Page, Request
from phonerouting.adapters.twilio import TwilioAdapter, default_friendly_name
from phonerouting.registry import adapter_for
from phonerouting.responses import error_from_response, parse_success

ACCOUNT = "AC" + "a" * 32
SID = "PN" + "b" * 32
ADAPTER = TwilioAdapter(ACCOUNT)
LIST = f"/Accounts/{ACCOUNT}/IncomingPhoneNumbers.json"
ITEM = f"/Accounts/{ACCOUNT}/IncomingPhoneNumbers/{SID}.json"
URL = "https://hooks.example/twiml"

# The OpenAPI document's own update example (friendly_name is the default form).
BODY: dict[str, Any] = {
    "account_sid": ACCOUNT,
    "address_requirements": "none",
    "address_sid": "AD" + "a" * 32,
    "api_version": "2010-04-01",
    "beta": False,
    "capabilities": {"voice": True, "sms": False, "mms": True, "fax": False},
    "date_created": "Thu, 30 Jul 2015 23:19:04 +0000",
    "date_updated": "Thu, 30 Jul 2015 23:19:05 +0000",
    "emergency_status": "Inactive",
    "friendly_name": "(808) 925-5327",
    "phone_number": "+18089255327",
    "sid": SID,
    "sms_application_sid": "",
    "sms_fallback_method": "POST",
    "sms_fallback_url": "",
    "sms_method": "POST",
    "sms_url": "",
    "status_callback": "",
    "status_callback_method": "POST",
    "trunk_sid": None,
    "uri": f"/2010-04-01{ITEM}",
    "voice_application_sid": "",
    "voice_caller_id_lookup": True,
    "voice_fallback_method": "POST",
    "voice_fallback_url": None,
    "voice_method": "POST",
    "voice_url": None,
    "voice_receive_mode": "voice",
    "status": "in-use",
    "type": "local",
}


def number(**fields: Any) -> pr.PhoneNumber:
    return ADAPTER.parse_number({**BODY, **fields})


def test_credentials_and_settings() -> None:
    specs = {c.name: (c.env, c.secret) for c in ADAPTER.credential_specs()}
    assert specs == {
        "account_sid": ("TWILIO_ACCOUNT_SID", False),
        "auth_token": ("TWILIO_AUTH_TOKEN", True),
        "api_key": ("TWILIO_API_KEY", False),
        "api_secret": ("TWILIO_API_SECRET", True),
    }
    assert ADAPTER.credential_sets == (
        ("account_sid", "auth_token"),
        ("account_sid", "api_key", "api_secret"),
    )
    assert ADAPTER.default_base_url == "https://api.twilio.com/2010-04-01"
    assert ADAPTER.request_id_header == "Twilio-Request-Id"


def test_basic_auth_with_the_token_or_the_key() -> None:
    def basic(user: str, password: str) -> dict[str, str]:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    assert ADAPTER.authenticate({"account_sid": ACCOUNT, "auth_token": "tok"}) == basic(
        ACCOUNT, "tok"
    )
    key = "SK" + "c" * 32
    chosen = {"account_sid": ACCOUNT, "api_key": key, "api_secret": "sec"}
    assert ADAPTER.authenticate(chosen) == basic(key, "sec")


def test_the_adapter_is_built_per_account() -> None:
    shared = adapter_for("twilio")
    assert isinstance(shared, TwilioAdapter)
    assert shared.account_sid is None
    built = shared.for_account({"account_sid": ACCOUNT})
    assert isinstance(built, TwilioAdapter)
    assert built.account_sid == ACCOUNT
    assert built.list_request() == Request("GET", LIST, params={"PageSize": 1000})
    with pytest.raises(RuntimeError, match="the shared twilio adapter has no account"):
        shared.list_request()
    with pytest.raises(ValueError, match="AC followed by 32 hex digits"):
        TwilioAdapter("AC123")


def test_requests() -> None:
    assert ADAPTER.list_request() == Request("GET", LIST, params={"PageSize": 1000})
    assert ADAPTER.find_request("+12025551234") == Request(
        "GET", LIST, params={"PhoneNumber": "+12025551234", "PageSize": 1000}
    )
    assert ADAPTER.get_request(SID) == Request("GET", ITEM)
    assert ADAPTER.reads_one_number


@pytest.mark.parametrize("bad", ["PN123", "pn" + "b" * 32, "PN" + "g" * 32, 5, None, f"{SID}/x"])
def test_a_malformed_sid_is_refused(bad: object) -> None:
    with pytest.raises(pr.ValidationError) as caught:
        ADAPTER.normalize_id(bad)
    assert caught.value.field == "number_id"
    assert "is not a Twilio phone number SID (PN followed by 32 hex digits)" in str(caught.value)


def test_an_update_is_one_form_post_of_what_changes() -> None:
    update = pr.RoutingUpdate(
        label="Front desk",
        voice_url=URL,
        voice_fallback_url=URL + "/fallback",
        call_status_url=URL + "/status",
        inbound_url=URL + "/sms",
        inbound_fallback_url=URL + "/sms-fallback",
    )
    (request,) = ADAPTER.update_requests(SID, update)
    assert request == Request(
        "POST",
        ITEM,
        form={
            "FriendlyName": "Front desk",
            "VoiceUrl": URL,
            "VoiceFallbackUrl": URL + "/fallback",
            "StatusCallback": URL + "/status",
            "SmsUrl": URL + "/sms",
            "SmsFallbackUrl": URL + "/sms-fallback",
        },
    )
    assert request.json is None
    # Left out = left alone; cleared = sent empty.
    (request,) = ADAPTER.update_requests(SID, pr.RoutingUpdate(voice_url=None, label=pr.CLEAR))
    assert request.form == {"FriendlyName": "", "VoiceUrl": ""}
    assert ADAPTER.update_requests(SID, pr.RoutingUpdate()) == []


@pytest.mark.parametrize(
    "update",
    [
        pr.RoutingUpdate(forwarding_number="+12025559999"),
        pr.RoutingUpdate(status_url=URL),
        pr.RoutingUpdate(campaign_id="78614b6c-fe7c-41e2-8e25-c9b3a3c91904"),
        pr.RoutingUpdate(ring_duration=30),
    ],
)
def test_fields_twilio_has_not_are_refused(update: pr.RoutingUpdate) -> None:
    with pytest.raises(pr.UnsupportedFieldError):
        ADAPTER.update_requests(SID, update)


def test_a_label_over_64_characters_is_refused_before_sending() -> None:
    (ok,) = ADAPTER.update_requests(SID, pr.RoutingUpdate(label="x" * 64))
    assert ok.form == {"FriendlyName": "x" * 64}
    with pytest.raises(pr.ValidationError) as caught:
        ADAPTER.update_requests(SID, pr.RoutingUpdate(label="x" * 65))
    assert caught.value.field == "label"
    assert caught.value.message == (
        "label is 65 characters long; Twilio's FriendlyName holds at most 64"
    )


def test_a_number_reads_every_field(thaw: Callable[[Any], Any]) -> None:
    body = {
        **BODY,
        "friendly_name": "Front desk",
        "voice_url": URL,
        "voice_fallback_url": URL + "/f",
        "status_callback": URL + "/s",
        "sms_url": URL + "/sms",
        "sms_fallback_url": URL + "/sf",
    }
    got = ADAPTER.parse_number(body)
    assert got == pr.PhoneNumber(
        provider="twilio",
        id=SID,
        number="+18089255327",
        label="Front desk",
        voice_url=URL,
        voice_fallback_url=URL + "/f",
        call_status_url=URL + "/s",
        inbound_url=URL + "/sms",
        inbound_fallback_url=URL + "/sf",
        sms_enabled=False,
        mms_enabled=True,
        created_at=datetime(2015, 7, 30, 23, 19, 4, tzinfo=UTC),
        updated_at=datetime(2015, 7, 30, 23, 19, 5, tzinfo=UTC),
    )
    assert thaw(got.raw) == body


def test_empty_and_null_and_the_default_name_read_as_none() -> None:
    got = ADAPTER.parse_number(BODY)
    assert got.routing() == dict.fromkeys(got.routing())
    both = number(sms_url=None, voice_url="", status_callback=None, friendly_name="")
    assert (both.inbound_url, both.voice_url, both.call_status_url, both.label) == (None,) * 4
    # Only the number's own default form is "no label": another number's is a label.
    assert number(friendly_name="(808) 925-5328").label == "(808) 925-5328"
    assert number(friendly_name="+18089255327").label == "+18089255327"


def test_the_default_friendly_name() -> None:
    assert default_friendly_name("+12025551235") == "(202) 555-1235"
    assert default_friendly_name("+442079460958") == "+442079460958"
    uk = ADAPTER.parse_number({**BODY, "phone_number": "+442079460958", "friendly_name": ""})
    assert uk.label is None
    assert number(phone_number="+442079460958", friendly_name="+442079460958").label is None


def _page(uri: str | None, items: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "end": 0,
        "first_page_uri": f"/2010-04-01{LIST}?PageSize=1000&Page=0",
        "incoming_phone_numbers": [BODY] if items is None else items,
        "next_page_uri": uri,
        "page": 0,
        "page_size": 1000,
        "previous_page_uri": None,
        "start": 0,
        "uri": f"/2010-04-01{LIST}?PageSize=1000&Page=0",
    }


def test_a_page_follows_next_page_uri_without_the_version_twice() -> None:
    first = ADAPTER.list_request()
    token = "PA" + SID
    uri = f"/2010-04-01{LIST}?PhoneNumber=%2B1808&PageSize=1000&Page=1&PageToken={token}"
    page = ADAPTER.parse_list(_page(uri), first)
    assert page == Page(
        [ADAPTER.parse_number(BODY)],
        Request(
            "GET",
            LIST,
            params={"PhoneNumber": "+1808", "PageSize": "1000", "Page": "1", "PageToken": token},
        ),
    )
    # The base URL ends with the version: a proxy prefix or an emulator's port is kept.
    from phonerouting.core import encode_url

    assert page.next_request is not None
    assert encode_url("https://proxy.example/twilio/2010-04-01/", page.next_request) == (
        f"https://proxy.example/twilio/2010-04-01{LIST}?PhoneNumber=%2B1808&PageSize=1000"
        f"&Page=1&PageToken={token}"
    )


@pytest.mark.parametrize("last", [None, ""])
def test_the_last_page(last: str | None) -> None:
    assert ADAPTER.parse_list(_page(last), ADAPTER.list_request()).next_request is None


@pytest.mark.parametrize(
    "uri",
    [
        f"{LIST}?Page=1",  # no version
        f"https://evil.example/2010-04-01{LIST}?Page=1",  # another host
        f"/2010-04-01/Accounts/AC{'c' * 32}/IncomingPhoneNumbers.json?Page=1",  # another account
        f"/2010-04-01/Accounts/{ACCOUNT}/Calls.json?Page=1",  # another resource
        f"/2010-04-01/2010-04-01{LIST}?Page=1",
        f"/2010-04-01{LIST}?Page=1&Token=a b",
        5,
    ],
)
def test_a_next_page_uri_elsewhere_is_a_shape_error(uri: object) -> None:
    content = json.dumps(_page(None) | {"next_page_uri": uri}).encode()
    request = ADAPTER.list_request()
    with pytest.raises(errors.UnexpectedResponseError, match="next_page_uri"):
        parse_success(
            ADAPTER, lambda d: ADAPTER.parse_list(d, request), request, 200, {}, content, ()
        )


def test_a_page_without_next_page_uri_is_not_the_last() -> None:
    body = _page(None)
    del body["next_page_uri"]
    request = ADAPTER.list_request()
    with pytest.raises(errors.UnexpectedResponseError, match="'next_page_uri' is missing"):
        parse_success(
            ADAPTER,
            lambda d: ADAPTER.parse_list(d, request),
            request,
            200,
            {},
            json.dumps(body).encode(),
            (),
        )


def _error(status: int, body: Any, headers: dict[str, str] | None = None) -> pr.RoutingError:
    request = Request("POST", ITEM, form={"VoiceUrl": URL})
    sent = httpx.Headers({"Content-Type": "application/json", **(headers or {})})
    return error_from_response(ADAPTER, request, status, sent, json.dumps(body).encode(), ())


def test_errors_carry_code_message_doc_url_and_request_id() -> None:
    body = {
        "code": 21402,
        "message": "The requested VoiceUrl 'x' is not a valid URL",
        "more_info": "https://www.twilio.com/docs/errors/21402",
        "status": 400,
    }
    error = _error(400, body, {"Twilio-Request-Id": "RQ" + "0" * 32})
    assert type(error) is pr.ValidationError
    assert (error.code, error.message, error.doc_url, error.request_id) == (
        21402,
        "The requested VoiceUrl 'x' is not a valid URL",
        "https://www.twilio.com/docs/errors/21402",
        "RQ" + "0" * 32,
    )


def test_not_found_and_rate_limit() -> None:
    missing = _error(404, {"code": 20404, "message": "not found", "status": 404})
    assert type(missing) is pr.NotFoundError
    assert missing.code == 20404
    limited = _error(429, {"code": 20429, "message": "Too Many Requests", "status": 429})
    assert type(limited) is pr.RateLimitError
    assert limited.code == 20429
    assert limited.retry_after is None  # Twilio is not known to send Retry-After
    waited = _error(429, {"code": 20429, "status": 429}, {"Retry-After": "3"})
    assert isinstance(waited, pr.RateLimitError)
    assert waited.retry_after == 3.0  # and when it does, it is honoured


def test_details_are_kept_and_a_foreign_body_is_tolerated() -> None:
    body = {"code": 20001, "message": "Bad request", "status": 400, "details": {"foo": "bar"}}
    error = _error(400, body)
    assert (error.code, error.details) == (20001, {"foo": "bar"})
    odd = _error(502, ["not", "twilio"])
    assert type(odd) is pr.ServerError
    assert odd.code is None


@pytest.mark.parametrize(
    ("fields", "update", "param"),
    [
        ({"voice_application_sid": "AP" + "1" * 32}, pr.RoutingUpdate(voice_url=URL), "Voice"),
        ({"trunk_sid": "TK" + "1" * 32}, pr.RoutingUpdate(voice_fallback_url=None), "Trunk"),
        ({"sms_application_sid": "AP" + "2" * 32}, pr.RoutingUpdate(inbound_url=URL), "Sms"),
        (
            {"sms_application_sid": "AP" + "2" * 32},
            pr.RoutingUpdate(inbound_fallback_url=URL),
            "Sms",
        ),
    ],
)
def test_a_url_the_number_ignores_is_refused(
    fields: dict[str, Any], update: pr.RoutingUpdate, param: str
) -> None:
    current = number(**fields)
    assert ADAPTER.reads_before_update(update)
    refusal = ADAPTER.refuse_update(current, update)
    assert isinstance(refusal, pr.ValidationError)
    (field,) = update.changes()
    assert refusal.field == field
    (sid,) = fields.values()
    assert refusal.message.startswith(f"number +18089255327 ({SID}) has a {param}")
    assert refusal.message.endswith(
        f"({sid}), so Twilio ignores its {field}: the update would do nothing"
    )


def test_what_no_application_overrides_goes_through() -> None:
    update = pr.RoutingUpdate(voice_url=URL, inbound_url=URL)
    assert ADAPTER.refuse_update(number(), update) is None  # "" and null: none set
    sms_app = number(sms_application_sid="AP" + "2" * 32)
    assert ADAPTER.refuse_update(sms_app, pr.RoutingUpdate(voice_url=URL)) is None
    # A label or a status callback needs no read first.
    assert not ADAPTER.reads_before_update(pr.RoutingUpdate(label="x", call_status_url=URL))
