"""Our close adapter against Close's official client (PyPI ``closeio``, import
``closeio_api``): for the same operation, the emulator must receive the same request
from both, end in the same stored state, and both must read back the same number.

``closeio_api.API(base_url, api_key=...)`` is a thin JSON wrapper (``get``, ``put``,
``post``, ``delete`` of an endpoint, with the trailing ``/`` added for you), so it can
express every operation here; what it cannot know is which body each operation needs.
The bodies given to it below are the ones Close documents (PROVIDERS.md decisions:
forwarding on = ``forward_to`` + ``forward_to_enabled: true``, off = ``forward_to:
null`` + ``forward_to_enabled: false``, label cleared with ``""``). The comparison then
checks what the adapter adds on top: paths, trailing slashes, HTTP Basic encoding of
the key, the JSON it sends, the query of a listing, and how it reads the answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
from closeio_api import API  # type: ignore[import-untyped]

import phonerouting as pr
from phonerouting.testing import CloseEmulator
from tests.crosscheck.conftest import KEYS, Served, exchange, ours, thaw

Serve = Callable[[str], Served]
Official = Callable[[Served], API]

KEY = KEYS["close"]
#: HTTP Basic with the key as user name and an empty password: base64("KEY:").
BASIC = "Basic YXBpX2Nyb3NzY2hlY2tfY2xvc2Vfa2V5Og=="
FORWARD_TO = "+12025559999"
PATH = "/api/v1/phone_number/"


@pytest.fixture
def official() -> Iterator[Official]:
    """Close's client as PROVIDERS.md builds it, with one attempt per call."""
    opened: list[API] = []

    def build(served: Served) -> API:
        api = API(served.base_url + "/", api_key=KEY, max_retries=1)
        opened.append(api)
        return api

    yield build
    for api in opened:
        api.session.close()


def _emu(served: Served) -> CloseEmulator:
    assert isinstance(served.emu, CloseEmulator)
    return served.emu


def _stored(served: Served, number_id: str) -> dict[str, Any]:
    """The emulator's record of a number, without its wall-clock timestamps."""
    record = attrs.asdict(_emu(served).get(number_id))
    return {k: v for k, v in record.items() if k not in ("date_created", "date_updated")}


def _plain(served: Served) -> str:
    """A personal number with nothing set."""
    return next(
        r.id
        for r in _emu(served).numbers.values()
        if r.forward_to is None and not r.label and not r.is_group_number
    )


def _forwarding(served: Served) -> str:
    """A number forwarding somewhere, with a label."""
    return next(r.id for r in _emu(served).numbers.values() if r.forward_to_enabled and r.label)


def _put(number_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": "PUT",
        "path": f"{PATH}{number_id}/",
        "query": {},
        "auth": BASIC,
        "content_type": "application/json",
        "json": body,
    }


CASES: dict[str, tuple[Callable[[Served], str], pr.RoutingUpdate, dict[str, Any]]] = {
    "set forwarding": (
        _plain,
        pr.RoutingUpdate(forwarding_number="+1 202 555 9999"),
        {"forward_to": FORWARD_TO, "forward_to_enabled": True},
    ),
    "clear forwarding": (
        _forwarding,
        pr.RoutingUpdate(forwarding_number=pr.CLEAR),
        {"forward_to": None, "forward_to_enabled": False},
    ),
    "set label": (_plain, pr.RoutingUpdate(label="Front desk"), {"label": "Front desk"}),
    "clear label": (_forwarding, pr.RoutingUpdate(label=pr.CLEAR), {"label": ""}),
}


@pytest.mark.parametrize("case", CASES)
def test_same_request_same_state(serve: Serve, official: Official, mode: str, case: str) -> None:
    pick, update, body = CASES[case]
    mine, theirs = serve("close"), serve("close")
    number_id = pick(mine)

    after = ours(mode, mine, "update_routing", number_id, update)
    answer = official(theirs).put(f"phone_number/{number_id}", body)

    assert [exchange(r) for r in mine.emu.requests] == [_put(number_id, body)]
    assert [exchange(r) for r in theirs.emu.requests] == [_put(number_id, body)]
    assert _stored(mine, number_id) == _stored(theirs, number_id)
    # Both read the vendor's answer alike (timestamps aside: two emulators, two clocks).
    stamps = ("date_created", "date_updated")
    assert {k: v for k, v in thaw(after.raw).items() if k not in stamps} == {
        k: v for k, v in answer.items() if k not in stamps
    }
    forwarding = answer["forward_to"] if answer["forward_to_enabled"] else None
    assert (after.forwarding_number, after.label) == (forwarding, answer["label"] or None)


def test_read_back(serve: Serve, official: Official, mode: str) -> None:
    """After a write, both clients read the same number and the same listing: the
    official client's JSON is our ``raw``, and our normalized fields agree with it."""
    served = serve("close")
    number_id = _plain(served)
    ours(
        mode,
        served,
        "update_routing",
        number_id,
        pr.RoutingUpdate(forwarding_number=FORWARD_TO, label="Front desk"),
    )
    served.emu.clear_requests()
    api = official(served)

    got = ours(mode, served, "get_number", number_id)
    fetched = api.get(f"phone_number/{number_id}")
    mine = ours(mode, served, "list_numbers")
    listed = api.get("phone_number", params={"_skip": 0, "_limit": 100})

    get: dict[str, Any] = {
        "method": "GET",
        "path": f"{PATH}{number_id}/",
        "query": {},
        "auth": BASIC,
        "content_type": None,
        "json": None,
    }
    listing = {**get, "path": PATH, "query": {"_skip": "0", "_limit": "100"}}
    assert [exchange(r) for r in served.emu.requests] == [get, get, listing, listing]
    assert thaw(got.raw) == fetched
    assert (got.forwarding_number, got.label) == (FORWARD_TO, "Front desk")
    assert (fetched["forward_to"], fetched["forward_to_enabled"], fetched["label"]) == (
        FORWARD_TO,
        True,
        "Front desk",
    )
    assert listed["has_more"] is False
    assert [thaw(n.raw) for n in mine] == listed["data"]
