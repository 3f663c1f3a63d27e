"""The Twilio emulator behaves as providers/twilio/README.md documents Twilio's
IncomingPhoneNumbers: seen through a plain httpx client, with nothing of our adapter
in between."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest

from phonerouting import testing
from phonerouting.testing.twilio import formatted

BASE = "https://api.twilio.com"
SID = re.compile(r"PN[0-9a-f]{32}")
APP = "AP" + "1" * 32
TRUNK = "TK" + "2" * 32


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def emu() -> testing.TwilioEmulator:
    return testing.TwilioEmulator(seed=1)


def client(emu: testing.TwilioEmulator, headers: dict[str, str] | None = None) -> httpx.Client:
    sent = basic(emu.account_sid, emu.api_key) if headers is None else headers
    return httpx.Client(transport=emu.transport(), base_url=BASE, headers=sent)


def list_path(emu: testing.TwilioEmulator) -> str:
    return f"/2010-04-01/Accounts/{emu.account_sid}/IncomingPhoneNumbers.json"


def item_path(emu: testing.TwilioEmulator, sid: str) -> str:
    return f"/2010-04-01/Accounts/{emu.account_sid}/IncomingPhoneNumbers/{sid}.json"


def error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def test_the_account_and_its_key_are_made_from_the_seed() -> None:
    one, two = testing.TwilioEmulator(seed=3), testing.TwilioEmulator(seed=3)
    assert one.account_sid == two.account_sid
    assert re.fullmatch(r"AC[0-9a-f]{32}", one.account_sid)
    assert re.fullmatch(r"SK[0-9a-f]{32}", one.api_key_sid)
    assert re.fullmatch(r"[0-9a-f]{32}", testing.TwilioEmulator().api_key)
    assert one.api_keys == {one.api_key_sid: one.api_secret}


def test_basic_auth_with_the_token_or_an_api_key(emu: testing.TwilioEmulator) -> None:
    emu.add_number("+12025550142")
    for headers in (
        basic(emu.account_sid, emu.api_key),
        basic(emu.api_key_sid, emu.api_secret),
    ):
        with client(emu, headers) as http:
            assert http.get(list_path(emu)).status_code == 200
    for headers in (
        {},
        basic(emu.account_sid, emu.api_secret),
        basic(emu.api_key_sid, emu.api_key),
        {"Authorization": f"Bearer {emu.api_key}"},
        {"Authorization": "Basic !!!"},
    ):
        with client(emu, headers) as http:
            answer = http.get(list_path(emu))
        assert answer.status_code == 401
        assert answer.json() == error(401, 20003, "Authenticate")
        assert re.fullmatch(r"RQ[0-9a-f]{32}", answer.headers["Twilio-Request-Id"])


def test_another_account_or_a_path_without_json_is_not_found(emu: testing.TwilioEmulator) -> None:
    record = emu.add_number("+12025550142")
    other = f"/2010-04-01/Accounts/AC{'f' * 32}/IncomingPhoneNumbers.json"
    with client(emu) as http:
        for path in (other, item_path(emu, record["sid"]).removesuffix(".json")):
            answer = http.get(path)
            assert answer.status_code == 404
            assert answer.json() == error(
                404, 20404, f"The requested resource {path} was not found"
            )
        assert http.delete(list_path(emu)).json() == error(405, 20004, "Method not allowed")


def test_a_number_reads_as_twilio_writes_it(emu: testing.TwilioEmulator) -> None:
    record = emu.add_number("+12025550142")
    with client(emu) as http:
        body = http.get(item_path(emu, record["sid"])).json()
    assert SID.fullmatch(body["sid"])
    assert body["friendly_name"] == "(202) 555-0142"
    assert body["uri"] == item_path(emu, body["sid"])
    # Unset fields as the OpenAPI document's examples show them: "" or null.
    assert (body["sms_url"], body["status_callback"], body["sms_application_sid"]) == ("",) * 3
    assert (body["voice_url"], body["voice_fallback_url"], body["trunk_sid"]) == (None,) * 3
    assert body["voice_method"] == body["sms_method"] == "POST"
    assert body["date_created"] == "Thu, 01 Jan 2026 00:00:01 +0000"


def test_pages_follow_next_page_uri(emu: testing.TwilioEmulator) -> None:
    sids = [emu.add_number(n)["sid"] for n in testing.e164_numbers(5, 1)]
    seen: list[str] = []
    with client(emu) as http:
        answer = http.get(list_path(emu), params={"PageSize": 2}).json()
        assert answer["page"] == 0
        assert answer["previous_page_uri"] is None
        assert answer["first_page_uri"] == list_path(emu) + "?PageSize=2&Page=0"
        while True:
            seen += [n["sid"] for n in answer["incoming_phone_numbers"]]
            if answer["next_page_uri"] is None:
                break
            assert answer["next_page_uri"] == (
                list_path(emu) + f"?PageSize=2&Page={answer['page'] + 1}&PageToken=PA{seen[-1]}"
            )
            # A number added meanwhile never shifts a page: the token names the last.
            answer = http.get(answer["next_page_uri"]).json()
    assert seen == sids
    assert answer["page"] == 2
    assert answer["previous_page_uri"] == list_path(emu) + "?PageSize=2&Page=1"


def test_the_default_and_the_largest_page(emu: testing.TwilioEmulator) -> None:
    for number in testing.e164_numbers(51, 2):
        emu.add_number(number)
    with client(emu) as http:
        first = http.get(list_path(emu)).json()
        assert (first["page_size"], len(first["incoming_phone_numbers"])) == (50, 50)
        assert http.get(list_path(emu), params={"PageSize": 1000}).json()["next_page_uri"] is None
        for bad in ("0", "1001", "x"):
            answer = http.get(list_path(emu), params={"PageSize": bad})
            assert answer.status_code == 400
            assert answer.json()["code"] == 20001
        answer = http.get(list_path(emu), params={"PageToken": "PAnope"})
    assert answer.json() == error(400, 21481, "Invalid PageToken")


def test_the_phone_number_filter_is_a_pattern(emu: testing.TwilioEmulator) -> None:
    emu.add_number("+12025550142")
    emu.add_number("+12025550143")
    emu.add_number("+13125550142")
    with client(emu) as http:

        def found(pattern: str) -> list[str]:
            answer = http.get(list_path(emu), params={"PhoneNumber": pattern}).json()
            assert answer["uri"].startswith(list_path(emu) + "?PhoneNumber=")
            return [n["phone_number"] for n in answer["incoming_phone_numbers"]]

        assert found("+12025550142") == ["+12025550142"]
        assert found("555014") == ["+12025550142", "+12025550143", "+13125550142"]
        assert found("+1202555014*") == ["+12025550142", "+12025550143"]
        assert found("+1*025550142") == ["+12025550142"]


def test_an_update_sets_what_is_sent_and_clears_what_is_empty(
    emu: testing.TwilioEmulator,
) -> None:
    record = emu.add_number("+12025550142", friendly_name="Desk", sms_url="https://a.example/s")
    path = item_path(emu, record["sid"])
    with client(emu) as http:
        body = http.post(
            path, data={"VoiceUrl": "http://twimlets.com/forward?PhoneNumber=415-555-1212"}
        ).json()
        # http:// is a URL Twilio accepts; what was left out is left alone.
        assert body["voice_url"] == "http://twimlets.com/forward?PhoneNumber=415-555-1212"
        assert (body["friendly_name"], body["sms_url"]) == ("Desk", "https://a.example/s")
        body = http.post(path, data={"VoiceUrl": "", "SmsUrl": "", "FriendlyName": ""}).json()
    assert body["voice_url"] is None  # cleared, read back as null
    assert body["sms_url"] == ""  # cleared, read back as ""
    assert body["friendly_name"] == "(202) 555-0142"  # Twilio's default again
    assert emu.requests[-1].form == {"VoiceUrl": "", "SmsUrl": "", "FriendlyName": ""}
    assert body["date_updated"] != body["date_created"]


@pytest.mark.parametrize(
    ("form", "code", "message"),
    [
        ({"VoiceUrl": "ftp://x.example/a"}, 21402, "The requested VoiceUrl 'ftp://x.example/a'"),
        ({"SmsUrl": "not a url"}, 21402, "The requested SmsUrl 'not a url' is not a valid URL"),
        ({"StatusCallback": "https://"}, 21402, "The requested StatusCallback"),
        ({"VoiceMethod": "PUT"}, 20001, "VoiceMethod must be GET or POST"),
        ({"FriendlyName": "x" * 65}, 20001, "FriendlyName must be at most 64 characters"),
        ({"TrunkSid": "TK123"}, 20001, "TrunkSid is not a valid SID"),
        ({"VoiceReceiveMode": "pager"}, 20001, "VoiceReceiveMode must be voice or fax"),
    ],
)
def test_an_update_refuses(
    emu: testing.TwilioEmulator, form: dict[str, str], code: int, message: str
) -> None:
    record = emu.add_number("+12025550142")
    before = dict(record)
    with client(emu) as http:
        answer = http.post(item_path(emu, record["sid"]), data=form)
    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert answer.json()["message"].startswith(message)
    assert emu.get(record["sid"]) == before


def test_a_json_body_is_not_a_form(emu: testing.TwilioEmulator) -> None:
    record = emu.add_number("+12025550142")
    with client(emu) as http:
        answer = http.post(item_path(emu, record["sid"]), json={"VoiceUrl": "https://a.example"})
    assert answer.json() == error(400, 20001, "The body must be application/x-www-form-urlencoded")


def test_an_application_and_a_trunk_exclude_each_other(emu: testing.TwilioEmulator) -> None:
    record = emu.add_number("+12025550142", trunk_sid=TRUNK)
    path = item_path(emu, record["sid"])
    with client(emu) as http:
        body = http.post(path, data={"VoiceApplicationSid": APP}).json()
        assert (body["voice_application_sid"], body["trunk_sid"]) == (APP, None)
        body = http.post(path, data={"TrunkSid": TRUNK}).json()
        assert (body["voice_application_sid"], body["trunk_sid"]) == ("", TRUNK)
        body = http.post(path, data={"TrunkSid": "", "SmsApplicationSid": APP}).json()
    assert (body["trunk_sid"], body["sms_application_sid"]) == (None, APP)


def test_a_rate_limit_is_20429(emu: testing.TwilioEmulator) -> None:
    emu.add_number("+12025550142")
    emu.clock = lambda: 100.0
    emu.set_rate_limit(1)
    with client(emu) as http:
        assert http.get(list_path(emu)).status_code == 200
        answer = http.get(list_path(emu))
    assert answer.status_code == 429
    assert answer.json() == error(429, 20429, "Too Many Requests")
    # Whether the 2010 API sends Retry-After is not known: the limiter says when a
    # request would pass (a decision), a 429 programmed without a wait says nothing.
    assert answer.headers["Retry-After"] == "1"
    assert answer.headers["Twilio-Concurrent-Requests"] == "1"
    emu.set_rate_limit(None)
    emu.faults.add("status", status=429)
    with client(emu) as http:
        programmed = http.get(list_path(emu))
    assert programmed.status_code == 429
    assert "Retry-After" not in programmed.headers


def test_the_default_name_of_a_number() -> None:
    assert formatted("+18089255327") == "(808) 925-5327"
    assert formatted("+442079460958") == "+442079460958"


def test_seeded_numbers_are_repeatable() -> None:
    one = testing.emulator("twilio", 6, seed=4, populate=1.0)
    two = testing.emulator("twilio", 6, seed=4, populate=1.0)
    assert isinstance(one, testing.TwilioEmulator)
    assert isinstance(two, testing.TwilioEmulator)
    assert list(one.numbers.values()) == list(two.numbers.values())
    assert all(n["voice_url"] for n in one.numbers.values())
