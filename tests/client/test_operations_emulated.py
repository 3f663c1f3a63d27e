"""The client's operations against the emulators, for every provider and both drivers:
list follows every page, get and find match exactly, updates set and clear each field
the way each vendor needs and read back the state the vendor stored."""

from __future__ import annotations

import pytest

import phonerouting as pr
from phonerouting import testing
from tests.client.drive import call, close, list_all
from tests.support import NEW_FIELD_VALUES

FAST = pr.RetryPolicy(backoff_initial=0.0, jitter=0.0)


def connect(mode: str, emu: testing.Emulator) -> pr.Client | pr.AsyncClient:
    if mode == "sync":
        return pr.connect(
            emu.provider, api_key=emu.api_key, transport=emu.transport(), retry_policy=FAST
        )
    return pr.connect_async(
        emu.provider, api_key=emu.api_key, transport=emu.async_transport(), retry_policy=FAST
    )


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize(
    ("provider", "count", "pages"),
    [
        ("linq-v2", 250, 1),
        ("linq-v3", 250, 1),
        ("agentmessage", 250, 3),
        ("close", 250, 3),
    ],
)
async def test_list_follows_every_page(mode: str, provider: str, count: int, pages: int) -> None:
    emu = testing.emulator(provider, count, seed=4)
    client = connect(mode, emu)
    numbers = await list_all(client)
    await close(client)
    assert len(numbers) == count
    assert len({n.id for n in numbers}) == count
    assert emu.count("GET") == pages
    assert {n.provider for n in numbers} == {provider}


@pytest.mark.parametrize("provider", ["linq-v2", "linq-v3", "agentmessage", "close"])
async def test_get_and_find(mode: str, provider: str) -> None:
    emu = testing.emulator(provider, 30, seed=6)
    record = emu.add_number("+12025550142")  # type: ignore[attr-defined]
    client = connect(mode, emu)
    found = await call(client, "find_number", "+1 202-555-0142")
    assert found.number == "+12025550142"
    assert found.id == str(record.id)
    assert await call(client, "get_number", str(record.id)) == found
    with pytest.raises(pr.NotFoundError):
        await call(client, "find_number", "+12025550143")
    await close(client)


async def test_close_sets_and_clears_every_field(mode: str) -> None:
    emu = testing.CloseEmulator(1, seed=2, populate=0.0)
    (record,) = emu.numbers.values()
    client = connect(mode, emu)
    after = await call(
        client,
        "update_routing",
        record.id,
        pr.RoutingUpdate(
            forwarding_number="+1 202 555 9999",
            label="Front desk",
            ring_duration=45,
            voicemail_greeting_url="https://cdn.example.com/hello.mp3",
            participants=emu.users[:2],
            external_numbers=["+16503334444"],
            press_1_to_accept=True,
        ),
    )
    assert after.routing() == {
        "forwarding_number": "+12025559999",
        "inbound_url": None,
        "status_url": None,
        "label": "Front desk",
        "campaign_id": None,
        "voicemail_greeting_url": "https://cdn.example.com/hello.mp3",
        "ring_duration": 45,
        "participants": tuple(emu.users[:2]),
        "external_numbers": ("+16503334444",),
        "press_1_to_accept": True,
        **dict.fromkeys(NEW_FIELD_VALUES),
    }
    assert (record.forward_to, record.forward_to_enabled) == ("+12025559999", True)
    cleared = await call(
        client,
        "update_routing",
        record.id,
        pr.RoutingUpdate(
            forwarding_number=None,
            label=None,
            ring_duration=None,
            voicemail_greeting_url=None,
            participants=None,
            external_numbers=None,
            press_1_to_accept=None,
        ),
    )
    assert cleared.routing() == {
        "forwarding_number": None,
        "inbound_url": None,
        "status_url": None,
        "label": None,
        "campaign_id": None,
        "voicemail_greeting_url": None,
        "ring_duration": None,
        "participants": None,
        "external_numbers": None,
        "press_1_to_accept": None,  # cleared reads as None, like every other field
        **dict.fromkeys(NEW_FIELD_VALUES),
    }
    assert (record.forward_to, record.forward_to_enabled, record.label) == (None, False, "")
    assert emu.requests[-1].json == {
        "forward_to": None,
        "forward_to_enabled": False,
        "label": "",
        "voicemail_greeting_url": None,
        "inbound_ring_duration": None,
        "participants": [],
        "phone_numbers": [],
        "press_1_to_accept": False,
    }
    await close(client)


async def test_agentmessage_leave_alone_clear_and_detach(mode: str) -> None:
    emu = testing.AgentMessageEmulator(0)
    campaign = emu.add_campaign()
    record = emu.add_number(
        "+12025550142",
        inbound_url="https://a.example/in",
        status_url="https://a.example/status",
        label="Old",
        campaign_id=campaign,
    )
    client = connect(mode, emu)
    after = await call(
        client,
        "update_routing",
        record.id,
        pr.RoutingUpdate(label="New", status_url=pr.CLEAR, campaign_id=pr.CLEAR),
    )
    assert (after.inbound_url, after.status_url, after.label, after.campaign_id) == (
        "https://a.example/in",
        None,
        "New",
        None,
    )
    assert [(r.method, r.json) for r in emu.requests[-2:]] == [
        ("PATCH", {"status_url": "", "label": "New"}),
        ("DELETE", None),
    ]
    again = await call(client, "update_routing", record.id, pr.RoutingUpdate(campaign_id=campaign))
    assert again.campaign_id == campaign
    await close(client)


@pytest.mark.parametrize("provider", ["linq-v2", "linq-v3"])
async def test_linq_clear_sends_empty_string_and_reads_none(mode: str, provider: str) -> None:
    emu = testing.emulator(provider, 0)
    record = emu.add_number("+12025550142", forwarding_number="+12025559999")  # type: ignore[attr-defined]
    client = connect(mode, emu)
    after = await call(
        client, "update_routing", str(record.id), pr.RoutingUpdate(forwarding_number="")
    )
    assert after.forwarding_number is None
    assert record.forwarding_number is None
    assert emu.requests[-1].json == {"forwarding_number": ""}
    await close(client)
