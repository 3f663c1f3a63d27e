"""Our twilio adapter against Twilio's official client (PyPI ``twilio``): for the same
change, the emulator must receive the same requests from both, end in the same stored
state, and both must read back the same number.

The official client builds every URL on ``https://api.twilio.com``; its HTTP client is
given here with that origin swapped for the emulator's loopback server, and nothing
else changed (its form encoding, Basic auth, headers and paging are its own). Where
the two clients legitimately differ it is said at the assertion: the official client
reads a number before a write only when asked (``fetch``); ours reads one first when
an update touches a URL an application could override (providers/twilio/README.md).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

import phonerouting as pr
from phonerouting import testing
from phonerouting.testing import LoggedRequest
from tests.crosscheck.conftest import SEED, Served

URL = "https://hooks.example/twiml"
STAMPS = ("date_updated",)


class EmulatorHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending to ``origin`` instead of api.twilio.com."""

    def __init__(self, origin: str) -> None:
        super().__init__()
        self.origin = origin

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        return super().request(
            method, url.replace("https://api.twilio.com", self.origin, 1), *args, **kwargs
        )


@pytest.fixture
def serve() -> Iterator[Callable[[], Served]]:
    """A freshly seeded Twilio emulator on loopback; every one alike for the seed."""
    stack: list[Any] = []

    def start() -> Served:
        emu = testing.emulator("twilio", 3, seed=SEED, api_key="0" * 32, populate=0.0)
        context = emu.serve()
        stack.append(context)
        return Served(emu, context.__enter__())

    yield start
    for context in stack:
        context.__exit__(None, None, None)


def _emu(served: Served) -> testing.TwilioEmulator:
    assert isinstance(served.emu, testing.TwilioEmulator)
    return served.emu


def official(served: Served, *, key: bool = False) -> TwilioClient:
    emu = _emu(served)
    origin = served.base_url.removesuffix("/2010-04-01")
    http = EmulatorHttpClient(origin)
    if key:
        return TwilioClient(emu.api_key_sid, emu.api_secret, emu.account_sid, http_client=http)
    return TwilioClient(emu.account_sid, emu.api_key, http_client=http)


def ours(mode: str, served: Served, method: str, *args: Any, key: bool = False) -> Any:
    emu = _emu(served)
    credentials: dict[str, str] = {"account_sid": emu.account_sid}
    if key:
        credentials |= {"api_key": emu.api_key_sid, "api_secret": emu.api_secret}
    else:
        credentials["auth_token"] = emu.api_key
    if mode == "sync":
        with pr.connect("twilio", base_url=served.base_url, **credentials) as client:
            result = getattr(client, method)(*args)
            return list(result) if method == "list_numbers" else result

    async def run() -> Any:
        async with pr.connect_async("twilio", base_url=served.base_url, **credentials) as client:
            if method == "list_numbers":
                return [number async for number in client.list_numbers()]
            return await getattr(client, method)(*args)

    return asyncio.run(run())


def exchange(request: LoggedRequest) -> dict[str, Any]:
    """What a request said to Twilio that matters: method, path, query, credentials,
    body type and the form pairs. User-Agent and SDK telemetry headers differ, and the
    official client declares a form content type on its bodiless GETs too: a content
    type counts only with a body."""
    body = bool(request.body)
    return {
        "method": request.method,
        "path": request.path,
        "query": dict(request.query),
        "auth": request.headers.get("authorization"),
        "content_type": request.headers.get("content-type") if body else None,
        "form": dict(request.form) if body and request.form is not None else None,
    }


def _stored(served: Served, sid: str) -> dict[str, Any]:
    return {k: v for k, v in _emu(served).get(sid).items() if k not in STAMPS}


def _first(served: Served) -> str:
    return next(iter(_emu(served).numbers))


#: Our update, and the keyword arguments of the official client's ``update`` that the
#: same change is.
CASES: dict[str, tuple[pr.RoutingUpdate, dict[str, str]]] = {
    "set label": (pr.RoutingUpdate(label="Front desk"), {"friendly_name": "Front desk"}),
    "clear label": (pr.RoutingUpdate(label=pr.CLEAR), {"friendly_name": ""}),
    "set call status": (
        pr.RoutingUpdate(call_status_url=URL + "/status"),
        {"status_callback": URL + "/status"},
    ),
    "set voice": (
        pr.RoutingUpdate(voice_url=URL, voice_fallback_url=URL + "/f"),
        {"voice_url": URL, "voice_fallback_url": URL + "/f"},
    ),
    "clear voice": (pr.RoutingUpdate(voice_url=None), {"voice_url": ""}),
    "set sms": (
        pr.RoutingUpdate(inbound_url=URL + "/sms", inbound_fallback_url=URL + "/sf"),
        {"sms_url": URL + "/sms", "sms_fallback_url": URL + "/sf"},
    ),
    "everything": (
        pr.RoutingUpdate(
            label="All",
            voice_url=URL,
            voice_fallback_url=URL + "/f",
            call_status_url=URL + "/status",
            inbound_url=URL + "/sms",
            inbound_fallback_url=URL + "/sf",
        ),
        {
            "friendly_name": "All",
            "voice_url": URL,
            "voice_fallback_url": URL + "/f",
            "status_callback": URL + "/status",
            "sms_url": URL + "/sms",
            "sms_fallback_url": URL + "/sf",
        },
    ),
}


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("key", [False, True], ids=["auth-token", "api-key"])
@pytest.mark.parametrize("case", CASES)
def test_same_request_same_state(
    serve: Callable[[], Served], mode: str, key: bool, case: str
) -> None:
    update, arguments = CASES[case]
    mine, theirs = serve(), serve()
    sid = _first(mine)
    after = ours(mode, mine, "update_routing", sid, update, key=key)
    answer = official(theirs, key=key).incoming_phone_numbers(sid).update(**arguments)

    ours_sent = [exchange(r) for r in mine.emu.requests]
    theirs_sent = [exchange(r) for r in theirs.emu.requests]
    # Ours reads the number first when an application could override a URL.
    overridable = {"voice_url", "voice_fallback_url", "inbound_url", "inbound_fallback_url"}
    if update.changes().keys() & overridable:
        read = ours_sent.pop(0)
        assert (read["method"], read["path"], read["form"]) == (
            "GET",
            _emu(mine).item_uri(sid),
            None,
        )
    assert ours_sent == theirs_sent
    (post,) = theirs_sent
    emu = _emu(theirs)
    assert post["auth"] == (
        _basic(emu.api_key_sid, emu.api_secret) if key else _basic(emu.account_sid, emu.api_key)
    )
    assert post["content_type"] == "application/x-www-form-urlencoded"
    assert post["path"] == emu.item_uri(sid)
    assert _stored(mine, sid) == _stored(theirs, sid)
    # Both read the answer alike.
    default = testing.twilio.formatted(answer.phone_number)
    label = None if answer.friendly_name == default else answer.friendly_name
    assert (after.label, after.voice_url, after.inbound_url) == (
        label,
        answer.voice_url or None,
        answer.sms_url or None,
    )
    assert after.call_status_url == (answer.status_callback or None)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_read_back_and_listing(serve: Callable[[], Served], mode: str) -> None:
    served = serve()
    emu = _emu(served)
    for number in testing.e164_numbers(1003, SEED + 1)[3:]:
        emu.add_number(number)
    sid = _first(served)
    ours(mode, served, "update_routing", sid, pr.RoutingUpdate(label="Front desk"))
    emu.clear_requests()
    client = official(served)

    got = ours(mode, served, "get_number", sid)
    fetched = client.incoming_phone_numbers(sid).fetch()
    mine = ours(mode, served, "list_numbers")
    listed = client.incoming_phone_numbers.list(page_size=1000)
    found = ours(mode, served, "find_number", got.number)
    filtered = client.incoming_phone_numbers.list(phone_number=got.number, page_size=1000)

    sent = [exchange(r) for r in emu.requests]
    get = {
        "method": "GET",
        "path": emu.item_uri(sid),
        "query": {},
        "auth": _basic(emu.account_sid, emu.api_key),
        "content_type": None,
        "form": None,
    }
    list_path = f"/2010-04-01/Accounts/{emu.account_sid}/IncomingPhoneNumbers.json"
    first_page = {**get, "path": list_path, "query": {"PageSize": "1000"}}
    last_sid = list(emu.numbers)[999]
    second_page = {
        **first_page,
        "query": {"PageSize": "1000", "Page": "1", "PageToken": f"PA{last_sid}"},
    }
    search = {**first_page, "query": {"PhoneNumber": got.number, "PageSize": "1000"}}
    # The same requests, in the same order, from both; the official client sends a
    # GET's query in its own order, which the emulator's log keeps as a mapping.
    assert sent == [get, get, first_page, second_page, first_page, second_page, search, search]
    assert (got.id, got.number, got.label) == (fetched.sid, fetched.phone_number, "Front desk")
    assert fetched.friendly_name == "Front desk"
    assert [n.id for n in mine] == [n.sid for n in listed] == list(emu.numbers)
    assert [found.id] == [n.sid for n in filtered if n.phone_number == got.number]
