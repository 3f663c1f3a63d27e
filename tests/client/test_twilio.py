"""Twilio end to end: our clients (sync and async) against the Twilio emulator, with
the exact requests that reach it and the exact results."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import phonerouting as pr
from phonerouting import testing

ENVS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY", "TWILIO_API_SECRET")
URL = "https://hooks.example/voice"
APP = "AP" + "1" * 32


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent, got {request.method} {request.url}")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def emu() -> testing.TwilioEmulator:
    return testing.TwilioEmulator(3, seed=2, populate=0.0)


def connect(emu: testing.TwilioEmulator, **options: Any) -> pr.Client:
    credentials = {"account_sid": emu.account_sid, "auth_token": emu.api_key}
    return pr.connect("twilio", transport=emu.transport(), **{**credentials, **options})


def paths(emu: testing.TwilioEmulator) -> list[tuple[str, str, dict[str, str]]]:
    return [(r.method, r.path, dict(r.query)) for r in emu.requests]


def test_the_environment_as_the_official_client_reads_it(
    emu: testing.TwilioEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", emu.account_sid)
    monkeypatch.setenv("TWILIO_API_KEY", emu.api_key_sid)
    monkeypatch.setenv("TWILIO_API_SECRET", emu.api_secret)
    with pr.connect("twilio", transport=emu.transport()) as client:
        assert len(list(client.list_numbers())) == 3
    assert emu.requests[-1].headers["authorization"] == basic(emu.api_key_sid, emu.api_secret)
    # Both kinds present: the Auth Token is used.
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", emu.api_key)
    with pr.connect("twilio", transport=emu.transport()) as client:
        list(client.list_numbers())
    assert emu.requests[-1].headers["authorization"] == basic(emu.account_sid, emu.api_key)
    # Arguments win over the environment.
    with pr.connect(
        "twilio", api_key=emu.api_key_sid, api_secret=emu.api_secret, transport=emu.transport()
    ) as client:
        list(client.list_numbers())
    assert emu.requests[-1].headers["authorization"] == basic(emu.api_key_sid, emu.api_secret)


@pytest.mark.parametrize("factory", [pr.connect, pr.connect_async])
def test_missing_and_malformed_credentials_before_any_request(factory: Any) -> None:
    transport = httpx.MockTransport(refuse)
    with pytest.raises(pr.ConfigurationError) as caught:
        factory("twilio", auth_token="t" * 32, transport=transport)
    assert caught.value.message == (
        "no Account SID for twilio: pass account_sid= or set the TWILIO_ACCOUNT_SID "
        "environment variable"
    )
    with pytest.raises(pr.ConfigurationError) as caught:
        factory("twilio", account_sid="AC" + "a" * 32, transport=transport)
    assert caught.value.message == (
        "no Auth Token for twilio: pass auth_token= or set the TWILIO_AUTH_TOKEN environment "
        "variable; or instead api_key= (TWILIO_API_KEY) and api_secret= (TWILIO_API_SECRET)"
    )
    with pytest.raises(pr.ConfigurationError) as caught:
        factory("twilio", account_sid="AC123/../x", auth_token="t" * 32, transport=transport)
    assert caught.value.message == (
        "account_sid is not a well-formed Account SID (like AC followed by 32 hex digits); "
        "not 'AC123/../x'"
    )
    with pytest.raises(pr.ConfigurationError) as caught:
        factory("twilio", account_sid="AC" + "a" * 32, api_key="AC" + "a" * 32, api_secret="s" * 32)
    assert caught.value.message.startswith("api_key is not a well-formed API key SID")
    with pytest.raises(pr.ConfigurationError) as caught:
        factory(
            "twilio",
            account_sid="AC" + "a" * 32,
            auth_token="t" * 32,
            api_key="SK" + "a" * 32,
            transport=transport,
        )
    assert caught.value.message == (
        "twilio takes account_sid, auth_token; or account_sid, api_key, api_secret; not "
        "account_sid, api_key, auth_token together"
    )


def test_list_find_get_update(emu: testing.TwilioEmulator) -> None:
    base = f"/2010-04-01/Accounts/{emu.account_sid}/IncomingPhoneNumbers"
    with connect(emu) as client:
        numbers = list(client.list_numbers())
        target = numbers[1]
        found = client.find_number(target.number)
        got = client.get_number(target.id)
        after = client.update_routing(
            target.id, pr.RoutingUpdate(label="Front desk", inbound_url=URL + "/sms")
        )
    assert found == got == target
    assert (after.label, after.inbound_url) == ("Front desk", URL + "/sms")
    assert paths(emu) == [
        ("GET", f"{base}.json", {"PageSize": "1000"}),
        ("GET", f"{base}.json", {"PhoneNumber": target.number, "PageSize": "1000"}),
        ("GET", f"{base}/{target.id}.json", {}),
        # An SMS URL can be overridden by an application: the number is read first.
        ("GET", f"{base}/{target.id}.json", {}),
        ("POST", f"{base}/{target.id}.json", {}),
    ]
    post = emu.requests[-1]
    assert post.form == {"FriendlyName": "Front desk", "SmsUrl": URL + "/sms"}
    assert post.body == b"FriendlyName=Front+desk&SmsUrl=https%3A%2F%2Fhooks.example%2Fvoice%2Fsms"
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"


def test_find_matches_exactly_what_the_pattern_filter_returns(emu: testing.TwilioEmulator) -> None:
    emu.add_number("+12025550142")
    longer = emu.add_number("+112025550142")  # holds the digits of the other
    with connect(emu) as client:
        found = client.find_number("+12025550142")
    assert found.number == "+12025550142"
    assert emu.requests[-1].query == {"PhoneNumber": "+12025550142", "PageSize": "1000"}
    assert longer["sid"] != found.id


def test_a_listing_follows_every_page(emu: testing.TwilioEmulator) -> None:
    for number in testing.e164_numbers(2100, 9)[3:]:
        emu.add_number(number)
    with connect(emu) as client:
        listed = list(client.list_numbers())
    assert [n.id for n in listed] == list(emu.numbers)
    base = f"/2010-04-01/Accounts/{emu.account_sid}/IncomingPhoneNumbers.json"
    sids = list(emu.numbers)
    assert paths(emu) == [
        ("GET", base, {"PageSize": "1000"}),
        ("GET", base, {"PageSize": "1000", "Page": "1", "PageToken": f"PA{sids[999]}"}),
        ("GET", base, {"PageSize": "1000", "Page": "2", "PageToken": f"PA{sids[1999]}"}),
    ]


def test_behind_a_proxy_prefix_the_next_page_keeps_it(emu: testing.TwilioEmulator) -> None:
    for number in testing.e164_numbers(1003, 9)[3:]:
        emu.add_number(number)
    seen: list[str] = []

    def proxy(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        inner = request.url.copy_with(path=request.url.path.removeprefix("/twilio"))
        forwarded = httpx.Request(
            request.method, inner, headers=request.headers, content=request.read()
        )
        return emu.transport().handle_request(forwarded)

    with pr.connect(
        "twilio",
        account_sid=emu.account_sid,
        auth_token=emu.api_key,
        base_url="https://proxy.example/twilio/2010-04-01",
        transport=httpx.MockTransport(proxy),
    ) as client:
        assert len(list(client.list_numbers())) == 1003
    path = f"/twilio/2010-04-01/Accounts/{emu.account_sid}/IncomingPhoneNumbers.json"
    assert seen == [path, path]


def test_cleared_fields_and_the_default_name_read_as_none(emu: testing.TwilioEmulator) -> None:
    sid = next(iter(emu.numbers))
    with connect(emu) as client:
        client.update_routing(sid, pr.RoutingUpdate(label="Desk", voice_url=URL, inbound_url=URL))
        cleared = client.update_routing(
            sid, pr.RoutingUpdate(label=None, voice_url=None, inbound_url=None)
        )
    assert emu.requests[-1].form == {"FriendlyName": "", "VoiceUrl": "", "SmsUrl": ""}
    assert (cleared.raw["voice_url"], cleared.raw["sms_url"]) == (None, "")
    assert cleared.raw["friendly_name"] == testing.twilio.formatted(cleared.number)
    assert (cleared.label, cleared.voice_url, cleared.inbound_url) == (None, None, None)


def test_a_url_an_application_overrides_is_refused_after_one_read(
    emu: testing.TwilioEmulator,
) -> None:
    record = emu.add_number("+12025550142", voice_application_sid=APP)
    with connect(emu) as client, pytest.raises(pr.ValidationError) as caught:
        client.update_routing(record["sid"], pr.RoutingUpdate(voice_url=URL))
    assert caught.value.field == "voice_url"
    assert caught.value.message == (
        f"number +12025550142 ({record['sid']}) has a VoiceApplicationSid ({APP}), so Twilio "
        "ignores its voice_url: the update would do nothing"
    )
    assert caught.value.hint == (
        "Remove the VoiceApplicationSid from the number in Twilio first, or leave voice_url "
        "out of the update; nothing was sent."
    )
    assert [r.method for r in emu.requests] == ["GET"]
    assert emu.get(record["sid"])["voice_url"] is None
    # What the application does not override still goes through.
    with connect(emu) as client:
        after = client.update_routing(record["sid"], pr.RoutingUpdate(inbound_url=URL))
    assert after.inbound_url == URL


def test_a_long_label_is_refused_before_any_request(emu: testing.TwilioEmulator) -> None:
    sid = next(iter(emu.numbers))
    with connect(emu) as client, pytest.raises(pr.ValidationError) as caught:
        client.update_routing(sid, pr.RoutingUpdate(label="x" * 65))
    assert caught.value.field == "label"
    assert emu.requests == []


def test_errors_name_code_doc_and_request_id(emu: testing.TwilioEmulator) -> None:
    unknown = "PN" + "0" * 32
    with connect(emu, max_retries=0) as client, pytest.raises(pr.NotFoundError) as caught:
        client.get_number(unknown)
    error = caught.value
    assert error.code == 20404
    assert error.doc_url == "https://www.twilio.com/docs/errors/20404"
    assert error.request_id is not None
    assert re.fullmatch(r"RQ[0-9a-f]{32}", error.request_id)
    path = f"/2010-04-01/Accounts/{emu.account_sid}/IncomingPhoneNumbers/{unknown}.json"
    assert error.message == f"The requested resource {path} was not found"


def test_a_20429_is_retried(emu: testing.TwilioEmulator) -> None:
    emu.faults.rate_limited(2, retry_after=0)
    waits: list[float] = []
    policy = pr.RetryPolicy(max_retries=2, backoff_initial=0.25, jitter=0, sleep=waits.append)
    with connect(emu, retry_policy=policy) as client:
        assert len(list(client.list_numbers())) == 3
    assert len(emu.requests) == 3
    # The fault's 429 says Retry-After: 0 (the emulator's own sends none); no wait is
    # longer than the backoff.
    assert len(waits) == 2
    assert all(0 <= w <= 0.5 for w in waits)


@pytest.mark.parametrize("kind", ["auth_token", "api_key"])
def test_each_secret_is_scrubbed_on_its_own(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="phonerouting")
    account, key, secret = "AC" + "a" * 32, "SK" + "b" * 32, "0123456789abcdef0123456789abcdef"
    given = (
        {"auth_token": secret} if kind == "auth_token" else {"api_key": key, "api_secret": secret}
    )
    header = basic(account if kind == "auth_token" else key, secret)

    def hostile(request: httpx.Request) -> httpx.Response:
        # An answer that echoes the secret and the header it travels in.
        assert request.headers["authorization"] == header
        text = f"{secret} {header} {header[6:]}"
        return httpx.Response(500, json={"code": 20500, "message": text, "status": 500})

    client = pr.connect(
        "twilio",
        account_sid=account,
        transport=httpx.MockTransport(hostile),
        max_retries=0,
        **given,
    )
    with client, pytest.raises(pr.ServerError) as caught:
        list(client.list_numbers())
    shown = [str(caught.value), repr(caught.value), caught.value.describe(cli=True)]
    shown += [repr(client), *(r.getMessage() for r in caplog.records)]
    for text in shown:
        assert secret not in text
        assert header[6:] not in text
    assert caught.value.message == "[REDACTED] [REDACTED] [REDACTED]"
    # Identifiers are not secrets: the Account SID and the key SID stay readable.
    assert account not in client._core.secrets
    assert key not in client._core.secrets
    assert any(account in text for text in shown)


def test_async_does_the_same(emu: testing.TwilioEmulator) -> None:
    sid = next(iter(emu.numbers))

    async def run() -> pr.PhoneNumber:
        async with pr.connect_async(
            "twilio",
            account_sid=emu.account_sid,
            auth_token=emu.api_key,
            transport=emu.async_transport(),
        ) as client:
            return await client.update_routing(sid, pr.RoutingUpdate(call_status_url=URL))

    after = asyncio.run(run())
    assert after.call_status_url == URL
    (post,) = emu.requests
    assert (post.method, post.form) == ("POST", {"StatusCallback": URL})


@pytest.fixture
def served(emu: testing.TwilioEmulator) -> Iterator[str]:
    with emu.serve() as url:
        yield url


def test_over_http(emu: testing.TwilioEmulator, served: str) -> None:
    assert served.endswith("/2010-04-01")
    with pr.connect(
        "twilio", account_sid=emu.account_sid, auth_token=emu.api_key, base_url=served
    ) as client:
        numbers = list(client.list_numbers())
        after = client.update_routing(numbers[0].id, pr.RoutingUpdate(label="Over HTTP"))
    assert after.label == "Over HTTP"
    assert emu.requests[-1].form == {"FriendlyName": "Over HTTP"}


def test_the_number_just_read_stands_for_the_read_before_an_update(
    emu: testing.TwilioEmulator,
) -> None:
    sid = next(iter(emu.numbers))
    under_app = emu.add_number("+12025550142", voice_application_sid=APP)
    with connect(emu) as client:
        current = client.get_number(sid)
        held = client.get_number(under_app["sid"])
        emu.clear_requests()
        after = client.update_routing(sid, pr.RoutingUpdate(voice_url=URL), current=current)
        assert after.voice_url == URL
        # Refused from the number given, as from the number read: nothing is sent.
        with pytest.raises(pr.ValidationError) as caught:
            client.update_routing(under_app["sid"], pr.RoutingUpdate(voice_url=URL), current=held)
    assert caught.value.field == "voice_url"
    assert "has a VoiceApplicationSid" in caught.value.message
    assert [r.method for r in emu.requests] == ["POST"]


def test_a_current_that_is_not_the_number_updated_is_refused_before_sending(
    emu: testing.TwilioEmulator,
) -> None:
    first, second = list(emu.numbers)[:2]
    with connect(emu) as client:
        other = client.get_number(second)
        emu.clear_requests()
        for wrong, said in [
            (other, f"current is twilio number {second!r}, not the number {first!r}"),
            ({"id": first}, "current must be the phonerouting.PhoneNumber being updated"),
        ]:
            with pytest.raises(pr.ValidationError) as caught:
                client.update_routing(first, pr.RoutingUpdate(label="x"), current=wrong)  # type: ignore[arg-type]
            assert caught.value.field == "current"
            assert said in caught.value.message
    assert emu.requests == []
