"""Telnyx end to end over its emulator, through the sync and the async client: the exact
requests of each operation and what each returns (paging to ``meta.total_pages``, voice
settings listed in pages, the exact match after ``filter[phone_number]``, one PATCH per
endpoint, ``UNAVAILABLE`` retried then a ServerError, errors and 429s)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import phonerouting as pr
from phonerouting import testing
from phonerouting.testing import TelnyxEmulator
from tests.client.drive import call, close, list_all
from tests.support import SleepRecorder

Sent = list[tuple[str, str, dict[str, str], Any]]


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def connect(
    mode: str, emu: testing.Emulator, policy: pr.RetryPolicy, retries: int = 2
) -> pr.Client | pr.AsyncClient:
    if mode == "sync":
        return pr.connect(
            "telnyx",
            api_key=emu.api_key,
            transport=emu.transport(),
            retry_policy=policy,
            max_retries=retries,
        )
    return pr.connect_async(
        "telnyx",
        api_key=emu.api_key,
        transport=emu.async_transport(),
        retry_policy=policy,
        max_retries=retries,
    )


def mocked(
    mode: str, handler: Callable[[httpx.Request], httpx.Response]
) -> pr.Client | pr.AsyncClient:
    """A client whose requests all go to ``handler`` (for answers no emulator gives)."""
    transport = httpx.MockTransport(handler)
    if mode == "sync":
        return pr.connect("telnyx", api_key="KEY-test-0001", transport=transport)
    return pr.connect_async("telnyx", api_key="KEY-test-0001", transport=transport)


def sent(emu: testing.Emulator) -> Sent:
    """Every request the emulator received: method, path, query, JSON body."""
    return [(r.method, r.path, dict(r.query), r.json) for r in emu.requests]


PAGE1 = {"page[number]": "1", "page[size]": "250"}


async def test_a_listing_reads_numbers_and_voice_settings_in_pages(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    emu = TelnyxEmulator(260, seed=4, populate=0.5)
    client = connect(mode, emu, fast_policy)
    numbers = await list_all(client)
    await close(client)
    assert sent(emu) == [
        ("GET", "/v2/phone_numbers/voice", PAGE1, None),
        ("GET", "/v2/phone_numbers/voice", {"page[number]": "2", "page[size]": "250"}, None),
        ("GET", "/v2/phone_numbers", PAGE1, None),
        ("GET", "/v2/phone_numbers", {"page[number]": "2", "page[size]": "250"}, None),
    ]
    assert len(numbers) == 260
    expected = {
        r.id: (r.forwards_to if r.call_forwarding_enabled and r.forwards_to else None)
        for r in emu.numbers.values()
    }
    assert {n.id: n.forwarding_number for n in numbers} == expected
    assert sum(1 for f in expected.values() if f) > 100
    record = next(r for r in emu.numbers.values() if r.tags)
    listed = next(n for n in numbers if n.id == record.id)
    assert (listed.connection_id, listed.messaging_profile_id, listed.tags) == (
        record.connection_id,
        record.messaging_profile_id,
        tuple(record.tags),
    )


async def test_get_is_the_number_and_its_voice_settings(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    emu = TelnyxEmulator(3, seed=1, populate=0.0)
    record = emu.add_number(
        "+19705555098",
        forwards_to="+13035559123",
        forwarding_type="on-failure",
        connection_id="1293384261075731499",
        tags=["west"],
    )
    client = connect(mode, emu, fast_policy)
    number = await call(client, "get_number", record.id)
    await close(client)
    assert sent(emu) == [
        ("GET", f"/v2/phone_numbers/{record.id}", {}, None),
        ("GET", f"/v2/phone_numbers/{record.id}/voice", {}, None),
    ]
    assert number == pr.PhoneNumber(
        provider="telnyx",
        id=record.id,
        number="+19705555098",
        forwarding_number="+13035559123",
        connection_id="1293384261075731499",
        tags=("west",),
        created_at=number.created_at,
        updated_at=number.updated_at,
    )
    assert number.raw["call_forwarding"]["forwarding_type"] == "on-failure"


async def test_find_filters_by_digits_and_matches_exactly(mode: str) -> None:
    # Telnyx's filter may match part of a number: two numbers come back for the digits
    # of one, and only the exact one is found.
    seen: list[httpx.Request] = []
    exact = {"id": "11", "phone_number": "+19705555098", "tags": []}
    longer = {"id": "12", "phone_number": "+197055550981", "tags": []}
    meta = {"page_number": 1, "page_size": 250, "total_pages": 1, "total_results": 2}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/voice"):
            voice = [
                {"id": "11", "call_forwarding": {"call_forwarding_enabled": False}},
                {"id": "12", "call_forwarding": {"call_forwarding_enabled": False}},
            ]
            return httpx.Response(200, json={"data": voice, "meta": meta})
        return httpx.Response(200, json={"data": [longer, exact], "meta": meta})

    client = mocked(mode, handler)
    found = await call(client, "find_number", "+1 (970) 555-5098")
    await close(client)
    assert found.id == "11"
    assert [(r.url.path, dict(r.url.params)) for r in seen] == [
        (
            "/v2/phone_numbers/voice",
            {"filter[phone_number]": "19705555098", "page[number]": "1", "page[size]": "250"},
        ),
        (
            "/v2/phone_numbers",
            {"filter[phone_number]": "19705555098", "page[number]": "1", "page[size]": "250"},
        ),
    ]
    assert seen[0].headers["authorization"] == "Bearer KEY-test-0001"


async def test_a_number_the_voice_listing_missed_is_read_alone(mode: str) -> None:
    # Added between the two listings: its voice settings are read for it alone.
    meta = {"page_number": 1, "page_size": 250, "total_pages": 1, "total_results": 1}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path == "/v2/phone_numbers/voice":
            return httpx.Response(200, json={"data": [], "meta": meta})
        if request.url.path == "/v2/phone_numbers/5/voice":
            forwarding = {"call_forwarding_enabled": True, "forwards_to": "+13035559123"}
            return httpx.Response(200, json={"data": {"id": "5", "call_forwarding": forwarding}})
        item = {"id": "5", "phone_number": "+19705555098", "tags": []}
        return httpx.Response(200, json={"data": [item], "meta": meta})

    client = mocked(mode, handler)
    (number,) = await list_all(client)
    await close(client)
    assert number.forwarding_number == "+13035559123"
    assert seen == ["/v2/phone_numbers/voice", "/v2/phone_numbers", "/v2/phone_numbers/5/voice"]


async def test_an_update_over_every_endpoint_sends_one_patch_each(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    emu = TelnyxEmulator(seed=2)
    record = emu.add_number(
        "+19705555098", forwards_to="+13035550000", forwarding_type="on-failure"
    )
    profile = next(iter(emu.profiles))
    client = connect(mode, emu, fast_policy)
    after = await call(
        client,
        "update_routing",
        record.id,
        pr.RoutingUpdate(
            forwarding_number="+1 303 555 9123",
            connection_id="1293384261075731499",
            tags=["west", "desk"],
            messaging_profile_id=profile,
        ),
    )
    await close(client)
    path = f"/v2/phone_numbers/{record.id}"
    assert sent(emu) == [
        # Read first: setting forwarding keeps the number's forwarding type.
        ("GET", path, {}, None),
        ("GET", f"{path}/voice", {}, None),
        (
            "PATCH",
            f"{path}/voice",
            {},
            {
                "call_forwarding": {
                    "call_forwarding_enabled": True,
                    "forwards_to": "+13035559123",
                    "forwarding_type": "on-failure",
                }
            },
        ),
        ("PATCH", f"{path}/messaging", {}, {"messaging_profile_id": profile}),
        ("PATCH", path, {}, {"connection_id": "1293384261075731499", "tags": ["west", "desk"]}),
    ]
    # The number as it stands after all three, from their answers (nothing read after).
    assert after.routing() == dict.fromkeys(pr.ROUTING_FIELDS) | {
        "forwarding_number": "+13035559123",
        "connection_id": "1293384261075731499",
        "messaging_profile_id": profile,
        "tags": ("west", "desk"),
    }
    assert (record.forwards_to, record.forwarding_type, record.messaging_profile_id) == (
        "+13035559123",
        "on-failure",
        profile,
    )


async def test_clearing_everything_and_what_is_read_after(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    emu = TelnyxEmulator(seed=2)
    profile = next(iter(emu.profiles))
    record = emu.add_number(
        "+19705555098",
        forwards_to="+13035550000",
        connection_id="1293384261075731499",
        messaging_profile_id=profile,
        tags=["a"],
    )
    client = connect(mode, emu, fast_policy)
    path = f"/v2/phone_numbers/{record.id}"
    only_forwarding = await call(
        client, "update_routing", record.id, pr.RoutingUpdate(forwarding_number=None)
    )
    # The voice answer says nothing of the rest of the number: it is read.
    assert sent(emu) == [
        (
            "PATCH",
            f"{path}/voice",
            {},
            {"call_forwarding": {"call_forwarding_enabled": False, "forwards_to": ""}},
        ),
        ("GET", path, {}, None),
    ]
    assert only_forwarding.forwarding_number is None
    assert only_forwarding.tags == ("a",)
    assert (record.forwards_to, record.call_forwarding_enabled) == ("", False)
    emu.clear_requests()
    cleared = await call(
        client,
        "update_routing",
        record.id,
        pr.RoutingUpdate(connection_id="", tags=[], messaging_profile_id=pr.CLEAR),
    )
    await close(client)
    assert sent(emu) == [
        ("PATCH", f"{path}/messaging", {}, {"messaging_profile_id": ""}),
        ("PATCH", path, {}, {"connection_id": "", "tags": []}),
        # The voice settings, which no answer carried.
        ("GET", f"{path}/voice", {}, None),
    ]
    assert cleared.routing() == dict.fromkeys(pr.ROUTING_FIELDS)
    assert (record.connection_id, record.messaging_profile_id, record.tags) == (None, None, [])


async def test_unavailable_is_retried_like_a_5xx(
    mode: str, fast_policy: pr.RetryPolicy, sleeps: SleepRecorder
) -> None:
    emu = TelnyxEmulator(seed=3)
    profile = next(iter(emu.profiles))
    record = emu.add_number("+19705555098", messaging_profile_id=profile)
    emu.unavailable(1)
    client = connect(mode, emu, fast_policy)
    number = await call(client, "get_number", record.id)
    path = f"/v2/phone_numbers/{record.id}"
    assert sent(emu) == [
        ("GET", path, {}, None),
        ("GET", path, {}, None),
        ("GET", f"{path}/voice", {}, None),
    ]
    assert number.messaging_profile_id == profile
    assert sleeps.waits == [0.01]
    emu.clear_requests()
    emu.unavailable(1)
    listed = await list_all(client)
    assert [n.messaging_profile_id for n in listed] == [profile]
    assert [r.path for r in emu.requests] == [
        "/v2/phone_numbers/voice",
        "/v2/phone_numbers",
        "/v2/phone_numbers",
    ]
    await close(client)


async def test_unavailable_that_persists_is_a_server_error_naming_the_number(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    emu = TelnyxEmulator(seed=3)
    record = emu.add_number("+19705555098")
    emu.unavailable(None)
    client = connect(mode, emu, fast_policy)
    with pytest.raises(pr.ServerError) as info:
        await call(client, "get_number", record.id)
    assert info.value.message == (
        f"Telnyx could not load the messaging settings of +19705555098 ({record.id}) "
        "(it answered messaging_profile_id UNAVAILABLE)"
    )
    assert emu.count("GET") == 3  # the first try and the policy's two retries
    with pytest.raises(pr.ServerError):
        await list_all(client)
    await close(client)


async def test_an_update_answered_unavailable_is_not_written_twice(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    emu = TelnyxEmulator(seed=3)
    record = emu.add_number("+19705555098")
    emu.unavailable(1)
    client = connect(mode, emu, fast_policy)
    after = await call(client, "update_routing", record.id, pr.RoutingUpdate(tags=["x"]))
    await close(client)
    path = f"/v2/phone_numbers/{record.id}"
    assert sent(emu) == [
        ("PATCH", path, {}, {"tags": ["x"]}),
        ("GET", path, {}, None),
        ("GET", f"{path}/voice", {}, None),
    ]
    assert after.tags == ("x",)


async def test_a_refused_patch_names_every_pointer(mode: str, fast_policy: pr.RetryPolicy) -> None:
    emu = TelnyxEmulator(seed=3)
    record = emu.add_number("+19705555098")
    client = connect(mode, emu, fast_policy)
    unknown = "2293384261075731499"
    with pytest.raises(pr.ValidationError) as info:
        await call(client, "update_routing", record.id, pr.RoutingUpdate(connection_id=unknown))
    await close(client)
    error = info.value
    assert (error.status, error.code, error.field) == (422, "10017", "connection_id")
    assert error.details == {"/connection_id": "The connection does not exist in this account."}
    assert error.doc_url == "https://developers.telnyx.com/docs/overview/errors/10017"
    assert error.request_id is not None
    assert record.connection_id is None


async def test_a_429_waits_as_x_ratelimit_reset_says(
    mode: str, fast_policy: pr.RetryPolicy, sleeps: SleepRecorder
) -> None:
    emu = TelnyxEmulator(seed=3)
    record = emu.add_number("+19705555098")
    emu.faults.rate_limited(1, retry_after=3)
    client = connect(mode, emu, fast_policy)
    number = await call(client, "get_number", record.id)
    await close(client)
    assert number.id == record.id
    assert sleeps.waits == [3.0]
    first = emu.requests[0]
    assert first.path == f"/v2/phone_numbers/{record.id}"
    assert emu.count("GET") == 3


async def test_a_404_is_not_found(mode: str, fast_policy: pr.RetryPolicy) -> None:
    emu = TelnyxEmulator(seed=3)
    client = connect(mode, emu, fast_policy)
    with pytest.raises(pr.NotFoundError) as info:
        await call(client, "get_number", "1293384261075731499")
    await close(client)
    assert info.value.code == "10005"


@pytest.mark.parametrize(
    ("number_id", "says"),
    [
        (1293384261075731499, "is an int, but ids are strings: pass '1293384261075731499'"),
        ("phon_abc", "is not a Telnyx phone number id"),
        ("12/../34", "is not a Telnyx phone number id"),
    ],
)
async def test_ids_are_checked_before_sending(
    mode: str, fast_policy: pr.RetryPolicy, number_id: object, says: str
) -> None:
    emu = TelnyxEmulator(seed=3)
    client = connect(mode, emu, fast_policy)
    for method, args in (("get_number", ()), ("update_routing", (pr.RoutingUpdate(tags=["a"]),))):
        with pytest.raises(pr.ValidationError) as info:
            await call(client, method, number_id, *args)
        assert says in info.value.message
    await close(client)
    assert emu.requests == []


def test_connection_and_profile_ids_are_checked_before_sending() -> None:
    with pytest.raises(pr.ValidationError) as info:
        pr.RoutingUpdate(connection_id="office-sip")
    assert info.value.message == (
        "connection_id 'office-sip' is not a connection id (digits, or a UUID)"
    )
    with pytest.raises(pr.ValidationError) as info:
        pr.RoutingUpdate(messaging_profile_id="1293384261075731499")
    assert info.value.field == "messaging_profile_id"


def test_the_key_is_sent_as_bearer_and_read_from_telnyx_api_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emu = TelnyxEmulator(1, seed=3)
    monkeypatch.setenv("TELNYX_API_KEY", emu.api_key)
    with pr.connect("telnyx", transport=emu.transport()) as client:
        assert len(list(client.list_numbers())) == 1
    assert {r.headers["authorization"] for r in emu.requests} == {f"Bearer {emu.api_key}"}
    monkeypatch.delenv("TELNYX_API_KEY")
    with pytest.raises(pr.ConfigurationError) as info:
        pr.connect("telnyx", transport=emu.transport())
    assert "TELNYX_API_KEY" in str(info.value)
    assert json.dumps(sent(emu)).count(emu.api_key) == 0


async def test_setting_forwarding_reads_once_and_nothing_after(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    emu = TelnyxEmulator(seed=2)
    record = emu.add_number("+19705555098", tags=["desk"])
    client = connect(mode, emu, fast_policy)
    after = await call(
        client, "update_routing", record.id, pr.RoutingUpdate(forwarding_number="+13035559123")
    )
    await close(client)
    path = f"/v2/phone_numbers/{record.id}"
    # The number read just before stands for its own fields; the voice answer for the
    # forwarding: nothing is read after the write.
    assert sent(emu) == [
        ("GET", path, {}, None),
        ("GET", f"{path}/voice", {}, None),
        (
            "PATCH",
            f"{path}/voice",
            {},
            {
                "call_forwarding": {
                    "call_forwarding_enabled": True,
                    "forwards_to": "+13035559123",
                    "forwarding_type": "always",
                }
            },
        ),
    ]
    assert (after.forwarding_number, after.tags) == ("+13035559123", ("desk",))


async def test_the_number_just_read_stands_for_the_read_before_an_update(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    emu = TelnyxEmulator(seed=2)
    record = emu.add_number(
        "+19705555098", forwards_to="+13035550000", forwarding_type="on-failure", tags=["desk"]
    )
    client = connect(mode, emu, fast_policy)
    current = await call(client, "get_number", record.id)
    emu.clear_requests()
    update = pr.RoutingUpdate(forwarding_number="+13035559123")
    after = await call(client, "update_routing", record.id, update, current=current)
    await close(client)
    path = f"/v2/phone_numbers/{record.id}"
    # Nothing read again: the forwarding type kept is the one the given number holds.
    assert sent(emu) == [
        (
            "PATCH",
            f"{path}/voice",
            {},
            {
                "call_forwarding": {
                    "call_forwarding_enabled": True,
                    "forwards_to": "+13035559123",
                    "forwarding_type": "on-failure",
                }
            },
        ),
    ]
    assert (after.forwarding_number, after.tags) == ("+13035559123", ("desk",))
