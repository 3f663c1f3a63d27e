"""Our telnyx adapter against Telnyx's official client (PyPI ``telnyx``): for the same
change, the emulator must receive the same write from both, end in the same stored
state, and the reads must be the same requests with the same answers.

The official client exposes one method per endpoint (``phone_numbers.update``,
``phone_numbers.voice.update``, ``phone_numbers.messaging.update``, ``list``), so what
it cannot know is which body each normalized change needs; the bodies given to it are
the decisions of providers/telnyx/README.md. The comparison checks what the adapter
adds on top: which endpoint each field goes to, the paths, the Bearer header, the JSON,
the paging and filter queries, and how it reads the answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
import telnyx

import phonerouting as pr
from phonerouting.testing import TelnyxEmulator
from tests.crosscheck.conftest import KEYS, Served, exchange, ours, thaw

Serve = Callable[[str], Served]
Official = Callable[[Served], telnyx.Telnyx]

KEY = KEYS["telnyx"]
BEARER = f"Bearer {KEY}"
FORWARD_TO = "+12025559999"
CONNECTION = "1293384261075731499"


@pytest.fixture
def official() -> Iterator[Official]:
    """Telnyx's client on the emulator, with one attempt per call."""
    opened: list[telnyx.Telnyx] = []

    def build(served: Served) -> telnyx.Telnyx:
        client = telnyx.Telnyx(api_key=KEY, base_url=served.base_url, max_retries=0)
        opened.append(client)
        return client

    yield build
    for client in opened:
        client.close()


def _emu(served: Served) -> TelnyxEmulator:
    assert isinstance(served.emu, TelnyxEmulator)
    return served.emu


def _stored(served: Served, number_id: str) -> dict[str, Any]:
    """The emulator's record of a number, without its wall-clock update time."""
    record = attrs.asdict(_emu(served).get(number_id))
    return {k: v for k, v in record.items() if k != "updated_at"}


def _plain(served: Served) -> str:
    """A number with nothing set."""
    return next(r.id for r in _emu(served).numbers.values() if r.forwards_to is None)


def _routed(served: Served) -> str:
    """A number forwarding, on a connection, with a messaging profile and tags."""
    return next(r.id for r in _emu(served).numbers.values() if r.forwards_to and r.tags)


def _patch(path: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "PATCH",
        "path": f"/v2/phone_numbers/{path}",
        "query": {},
        "auth": BEARER,
        "content_type": "application/json",
        "json": body,
    }


def _profile(served: Served) -> str:
    return next(iter(_emu(served).profiles))


#: name → (pick a number, our update, the official call, the endpoint under the id).
Case = tuple[
    Callable[[Served], str],
    Callable[[Served], pr.RoutingUpdate],
    Callable[[telnyx.Telnyx, str, Served], object],
    str,
    Callable[[Served], dict[str, Any]],
]
CASES: dict[str, Case] = {
    "set forwarding": (
        _plain,
        lambda s: pr.RoutingUpdate(forwarding_number="+1 202 555 9999"),
        lambda c, i, s: c.phone_numbers.voice.update(
            i,
            call_forwarding={
                "call_forwarding_enabled": True,
                "forwards_to": FORWARD_TO,
                "forwarding_type": "always",
            },
        ),
        "/voice",
        lambda s: {
            "call_forwarding": {
                "call_forwarding_enabled": True,
                "forwards_to": FORWARD_TO,
                "forwarding_type": "always",
            }
        },
    ),
    "clear forwarding": (
        _routed,
        lambda s: pr.RoutingUpdate(forwarding_number=pr.CLEAR),
        lambda c, i, s: c.phone_numbers.voice.update(
            i, call_forwarding={"call_forwarding_enabled": False, "forwards_to": ""}
        ),
        "/voice",
        lambda s: {"call_forwarding": {"call_forwarding_enabled": False, "forwards_to": ""}},
    ),
    "set connection and tags": (
        _plain,
        lambda s: pr.RoutingUpdate(connection_id=CONNECTION, tags=["west", "desk"]),
        lambda c, i, s: c.phone_numbers.update(i, connection_id=CONNECTION, tags=["west", "desk"]),
        "",
        lambda s: {"connection_id": CONNECTION, "tags": ["west", "desk"]},
    ),
    "clear connection and tags": (
        _routed,
        lambda s: pr.RoutingUpdate(connection_id=pr.CLEAR, tags=pr.CLEAR),
        lambda c, i, s: c.phone_numbers.update(i, connection_id="", tags=[]),
        "",
        lambda s: {"connection_id": "", "tags": []},
    ),
    "assign messaging profile": (
        _plain,
        lambda s: pr.RoutingUpdate(messaging_profile_id=_profile(s)),
        lambda c, i, s: c.phone_numbers.messaging.update(i, messaging_profile_id=_profile(s)),
        "/messaging",
        lambda s: {"messaging_profile_id": _profile(s)},
    ),
    "unassign messaging profile": (
        _routed,
        lambda s: pr.RoutingUpdate(messaging_profile_id=pr.CLEAR),
        lambda c, i, s: c.phone_numbers.messaging.update(i, messaging_profile_id=""),
        "/messaging",
        lambda s: {"messaging_profile_id": ""},
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_same_write_same_state(serve: Serve, official: Official, mode: str, case: str) -> None:
    pick, update, call, endpoint, body = CASES[case]
    mine, theirs = serve("telnyx"), serve("telnyx")
    number_id = pick(mine)

    after = ours(mode, mine, "update_routing", number_id, update(mine))
    call(official(theirs), number_id, theirs)

    written = [exchange(r) for r in mine.emu.requests if r.method == "PATCH"]
    assert written == [_patch(number_id + endpoint, body(mine))]
    assert [exchange(r) for r in theirs.emu.requests] == [_patch(number_id + endpoint, body(mine))]
    assert _stored(mine, number_id) == _stored(theirs, number_id)
    record = _emu(theirs).get(number_id)
    forwarding = record.forwards_to if record.call_forwarding_enabled else None
    assert (after.forwarding_number, after.connection_id, after.messaging_profile_id) == (
        forwarding or None,
        record.connection_id,
        record.messaging_profile_id,
    )
    assert after.tags == (tuple(record.tags) or None)


def _get(path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "method": "GET",
        "path": f"/v2/phone_numbers{path}",
        "query": query or {},
        "auth": BEARER,
        "content_type": None,
        "json": None,
    }


def _sdk_json(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.to_dict(mode="json")
    return data


def test_reads_are_the_same_requests_and_answers(
    serve: Serve, official: Official, mode: str
) -> None:
    served = serve("telnyx")
    number_id = _routed(served)
    record = _emu(served).get(number_id)
    client = official(served)
    paging = {"page[number]": "1", "page[size]": "250"}
    digits = record.phone_number.lstrip("+")

    got = ours(mode, served, "get_number", number_id)
    ours_get = [exchange(r) for r in served.emu.requests]
    served.emu.clear_requests()
    number = client.phone_numbers.retrieve(number_id)
    voice = client.phone_numbers.voice.retrieve(number_id)
    assert [exchange(r) for r in served.emu.requests] == ours_get
    assert ours_get == [_get(f"/{number_id}"), _get(f"/{number_id}/voice")]
    assert thaw(got.raw)["call_forwarding"] == _sdk_json(voice.data)["call_forwarding"]
    assert got.forwarding_number == voice.data.call_forwarding.forwards_to  # type: ignore[union-attr]
    assert (got.connection_id, got.messaging_profile_id, list(got.tags or ())) == (
        number.data.connection_id,  # type: ignore[union-attr]
        number.data.messaging_profile_id,  # type: ignore[union-attr]
        number.data.tags,  # type: ignore[union-attr]
    )

    served.emu.clear_requests()
    mine = ours(mode, served, "list_numbers")
    ours_list = [exchange(r) for r in served.emu.requests]
    served.emu.clear_requests()
    voices = client.phone_numbers.voice.list(page_number=1, page_size=250)
    numbers = client.phone_numbers.list(page_number=1, page_size=250)
    assert [exchange(r) for r in served.emu.requests] == ours_list
    assert ours_list == [_get("/voice", paging), _get("", paging)]
    assert [n.id for n in mine] == [n.id for n in numbers.data]
    by_id = {v.id: v.call_forwarding for v in voices.data}
    for n in mine:
        forwarding = by_id[n.id]
        assert forwarding is not None
        expected = forwarding.forwards_to if forwarding.call_forwarding_enabled else None
        assert n.forwarding_number == (expected or None)

    served.emu.clear_requests()
    found = ours(mode, served, "find_number", record.phone_number)
    ours_find = [exchange(r) for r in served.emu.requests]
    served.emu.clear_requests()
    client.phone_numbers.voice.list(filter={"phone_number": digits}, page_number=1, page_size=250)
    client.phone_numbers.list(filter={"phone_number": digits}, page_number=1, page_size=250)
    filtered = {"filter[phone_number]": digits, **paging}
    assert [exchange(r) for r in served.emu.requests] == ours_find
    assert ours_find == [_get("/voice", filtered), _get("", filtered)]
    assert found.id == number_id
