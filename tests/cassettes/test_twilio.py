"""Twilio's cassettes (``cassettes/twilio/``), replayed through the sync and the async
client with the network blocked: the exact requests (form bodies included) and the
exact results or errors.

Recorded from a seeded Twilio emulator over real HTTP, deterministic (its clock is a
counter), with the suite's recording command, or for Twilio alone::

    PHONEROUTING_RECORD=1 .venv/bin/pytest tests/cassettes/test_twilio.py --record-mode=rewrite
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs
import pytest

import phonerouting as pr
from phonerouting import testing
from phonerouting.testing.wire import EmuRequest, EmuResponse
from tests.cassettes.clients import call, error_fields, list_all, raised
from tests.cassettes.conftest import CASSETTES, PLACEHOLDER, _recording_emulators
from tests.cassettes.test_hygiene import leaks
from tests.support import SleepRecorder

pytestmark = [pytest.mark.vcr, pytest.mark.block_network]

SEED = 6
PORT = 47405
#: The Auth Token the recording emulator accepts: 32 hex digits, like Twilio's.
TOKEN = "5eed0a6c" * 4
BAD_TOKEN = "badc0de6" * 4
#: The recording emulator's account (made from the seed).
ACCOUNT = testing.TwilioEmulator(seed=SEED).account_sid
BASE = f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers"
URL = "https://hooks.example/twiml"
REFUSED = "https://127.0.0.1/hooks/sms"
APP = "AP" + "1" * 32
SCENARIOS = ("list", "get", "update", "clear", "unauthorized", "not_found", "validation")
SCENARIOS += ("rate_limited", "overridden")


def _emulator() -> testing.TwilioEmulator:
    emu = testing.TwilioEmulator(seed=SEED, api_key=TOKEN)
    emu.add_number("+12025550142", friendly_name="Front desk", voice_url=URL + "/voice")
    emu.add_number("+13125550199")
    emu.add_number("+14155550123", sms_application_sid=APP)
    return emu


#: The emulator's numbers as the client reads them: what every replay must return.
SEEDED = _emulator()
SIDS = list(SEEDED.numbers)


@pytest.fixture
def vcr_cassette_dir() -> str:
    """``cassettes/twilio/``."""
    return str(CASSETTES / "twilio")


@attrs.frozen
class Target:
    base_url: str


def _strict(emu: testing.TwilioEmulator) -> None:
    """Refuse an SmsUrl our client lets through (a loopback host), as Twilio's 21402."""
    route = emu.route

    def strict(request: EmuRequest) -> EmuResponse:
        if request.method == "POST" and request.form().get("SmsUrl") == REFUSED:
            return emu.error(
                400, f"The requested SmsUrl '{REFUSED}' is not a valid URL", code=21402
            )
        return route(request)

    emu.route = strict  # type: ignore[method-assign]


@pytest.fixture
def target(
    request: pytest.FixtureRequest, mode: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Target]:
    if not (_recording_emulators(request.config) and mode == "sync"):
        yield Target(f"http://127.0.0.1:{PORT}/2010-04-01")
        return
    ticks = itertools.count(1)
    epoch = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    monkeypatch.setattr(
        testing.twilio, "now_iso", lambda: (epoch + timedelta(seconds=next(ticks))).isoformat()
    )
    emu = _emulator()
    scenario = str(request.node.originalname).removeprefix("test_")
    if scenario == "validation":
        _strict(emu)
    if scenario == "rate_limited":
        emu.faults.add("status", status=429, method="GET")  # no Retry-After, as Twilio
    with ExitStack() as stack:
        try:
            url = stack.enter_context(emu.serve(port=PORT))
        except OSError:
            url = stack.enter_context(emu.serve(port=0))
        yield Target(url)


def _connect(mode: str, target: Target, token: str = TOKEN, **options: Any) -> Any:
    if mode == "sync":
        return pr.connect(
            "twilio", account_sid=ACCOUNT, auth_token=token, base_url=target.base_url, **options
        )
    return pr.connect_async(
        "twilio", account_sid=ACCOUNT, auth_token=token, base_url=target.base_url, **options
    )


class _Open:
    """``async with`` for either client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def __aenter__(self) -> Any:
        return self.client

    async def __aexit__(self, *exc: object) -> None:
        closed = self.client.close()
        if closed is not None:  # the async client's close is a coroutine
            await closed


def wire(cassette: Any) -> list[tuple[str, str, Any]]:
    """Method, path (with query) and form body of every recorded request."""
    out = []
    for request in cassette.requests:
        query = urlsplit(request.uri).query
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        form = dict(parse_qsl(body, keep_blank_values=True)) if body else None
        out.append((request.method, request.path + (f"?{query}" if query else ""), form))
    return out


LIST = (f"{BASE}.json?PageSize=1000", None)


def _get(sid: str) -> tuple[str, str, None]:
    return ("GET", f"{BASE}/{sid}.json", None)


async def test_list(mode: str, target: Target, vcr: Any) -> None:
    async with _Open(_connect(mode, target)) as client:
        numbers = await list_all(client)
    assert [(n.id, n.number, n.label, n.voice_url) for n in numbers] == [
        (SIDS[0], "+12025550142", "Front desk", URL + "/voice"),
        (SIDS[1], "+13125550199", None, None),  # Twilio's default name is no label
        (SIDS[2], "+14155550123", None, None),
    ]
    assert numbers[0].created_at == datetime(2026, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert wire(vcr) == [("GET", *LIST)]


async def test_get(mode: str, target: Target, vcr: Any) -> None:
    async with _Open(_connect(mode, target)) as client:
        got = await call(client, "get_number", SIDS[0])
        found = await call(client, "find_number", "+1 312 555 0199")
    assert (got.id, got.label, got.inbound_url) == (SIDS[0], "Front desk", None)
    assert found.id == SIDS[1]
    assert wire(vcr) == [
        _get(SIDS[0]),
        ("GET", f"{BASE}.json?PhoneNumber=%2B13125550199&PageSize=1000", None),
    ]


UPDATE = pr.RoutingUpdate(
    label="Sales",
    voice_url=URL + "/v2",
    voice_fallback_url=URL + "/vf",
    call_status_url=URL + "/status",
    inbound_url=URL + "/sms",
    inbound_fallback_url=URL + "/sf",
)
FORM = {
    "FriendlyName": "Sales",
    "VoiceUrl": URL + "/v2",
    "VoiceFallbackUrl": URL + "/vf",
    "StatusCallback": URL + "/status",
    "SmsUrl": URL + "/sms",
    "SmsFallbackUrl": URL + "/sf",
}


async def test_update(mode: str, target: Target, vcr: Any) -> None:
    async with _Open(_connect(mode, target)) as client:
        after = await call(client, "update_routing", SIDS[1], UPDATE)
    assert {k: v for k, v in after.routing().items() if v is not None} == {
        "label": "Sales",
        "voice_url": URL + "/v2",
        "voice_fallback_url": URL + "/vf",
        "call_status_url": URL + "/status",
        "inbound_url": URL + "/sms",
        "inbound_fallback_url": URL + "/sf",
    }
    assert after.updated_at == datetime(2026, 2, 1, 10, 0, 1, tzinfo=UTC)
    # An update of URLs an application could override reads the number first.
    assert wire(vcr) == [_get(SIDS[1]), ("POST", f"{BASE}/{SIDS[1]}.json", FORM)]


async def test_clear(mode: str, target: Target, vcr: Any) -> None:
    async with _Open(_connect(mode, target)) as client:
        after = await call(
            client, "update_routing", SIDS[0], pr.RoutingUpdate(label=None, voice_url=None)
        )
    assert after.routing() == dict.fromkeys(after.routing())
    assert (after.raw["friendly_name"], after.raw["voice_url"]) == ("(202) 555-0142", None)
    assert wire(vcr) == [
        _get(SIDS[0]),
        ("POST", f"{BASE}/{SIDS[0]}.json", {"FriendlyName": "", "VoiceUrl": ""}),
    ]


async def test_unauthorized(mode: str, target: Target) -> None:
    async with _Open(_connect(mode, target, BAD_TOKEN)) as client:
        error = await raised(client, "list_numbers")
    fields = error_fields(error)
    assert fields["request_id"].startswith("RQ")
    assert {k: v for k, v in fields.items() if k != "request_id"} == {
        "type": "AuthenticationError",
        "provider": "twilio",
        "status": 401,
        "code": 20003,
        "message": "Authenticate",
        "doc_url": "https://www.twilio.com/docs/errors/20003",
        "details": {},
        "field": None,
        "retry_after": None,
    }
    assert BAD_TOKEN not in str(error)
    assert BAD_TOKEN not in repr(error)


async def test_not_found(mode: str, target: Target) -> None:
    unknown = "PN" + "0" * 32
    async with _Open(_connect(mode, target)) as client:
        on_get = await raised(client, "get_number", unknown)
        on_update = await raised(client, "update_routing", unknown, pr.RoutingUpdate(label="x"))
    for error in (on_get, on_update):
        assert type(error) is pr.NotFoundError
        assert (error.code, error.message) == (
            20404,
            f"The requested resource {BASE}/{unknown}.json was not found",
        )


async def test_validation(mode: str, target: Target, vcr: Any) -> None:
    async with _Open(_connect(mode, target)) as client:
        error = await raised(
            client, "update_routing", SIDS[1], pr.RoutingUpdate(inbound_url=REFUSED)
        )
    assert type(error) is pr.ValidationError
    assert (error.code, error.message, error.doc_url) == (
        21402,
        f"The requested SmsUrl '{REFUSED}' is not a valid URL",
        "https://www.twilio.com/docs/errors/21402",
    )
    assert wire(vcr) == [_get(SIDS[1]), ("POST", f"{BASE}/{SIDS[1]}.json", {"SmsUrl": REFUSED})]


async def test_rate_limited(
    mode: str, target: Target, vcr: Any, fast_policy: pr.RetryPolicy
) -> None:
    sleeps = fast_policy.sleep
    assert isinstance(sleeps, SleepRecorder)
    async with _Open(_connect(mode, target, retry_policy=fast_policy)) as client:
        numbers = await list_all(client)
    assert [n.id for n in numbers] == SIDS
    # No Retry-After from Twilio: the policy's own first backoff.
    assert sleeps.waits == [0.01]
    assert [r["status"]["code"] for r in vcr.responses] == [429, 200]
    assert json.loads(vcr.responses[0]["body"]["string"])["code"] == 20429
    assert wire(vcr) == [("GET", *LIST), ("GET", *LIST)]


async def test_overridden(mode: str, target: Target, vcr: Any) -> None:
    async with _Open(_connect(mode, target)) as client:
        error = await raised(client, "update_routing", SIDS[2], pr.RoutingUpdate(inbound_url=URL))
    assert type(error) is pr.ValidationError
    assert error.field == "inbound_url"
    assert f"has a SmsApplicationSid ({APP})" in error.message
    assert wire(vcr) == [_get(SIDS[2])]  # read, refused, nothing written


def test_every_scenario_has_its_cassette_free_of_credentials() -> None:
    folder = CASSETTES / "twilio"
    assert {p.stem for p in folder.glob("*.yaml")} == set(SCENARIOS)
    basic = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    for path in folder.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert leaks(text, [TOKEN, BAD_TOKEN]) == []
        assert basic not in text
        assert text.count(f"Basic {PLACEHOLDER}") == text.count("uri:")
