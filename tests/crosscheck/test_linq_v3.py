"""Our linq-v3 adapter against Linq's official SDK (PyPI ``linq-python``, import
``linq``): for the same operation, the emulator must receive the same request from
both, end in the same stored state, and both must read back the same numbers.

``LinqAPIV3.phone_numbers`` has ``update(id, forwarding_number=...)`` and ``list()``.
Like the API it has no get-one call, so our ``get_number`` (a filtered listing) is
compared with the SDK's listing. The SDK's ``phonenumbers.list()`` is the deprecated
``/v3/phonenumbers`` endpoint, which neither the emulator nor our adapter use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from linq import LinqAPIV3

import phonerouting as pr
from phonerouting.testing import LinqV3Emulator
from tests.crosscheck.conftest import KEYS, Served, exchange, ours, thaw

Serve = Callable[[str], Served]
Official = Callable[[Served], LinqAPIV3]

KEY = KEYS["linq-v3"]
FORWARD_TO = "+12025559999"
PATH = "/api/partner/v3/phone_numbers"


@pytest.fixture
def official() -> Iterator[Callable[[Served], LinqAPIV3]]:
    """Linq's SDK, built like its README says, without retries (nothing here fails)."""
    opened: list[LinqAPIV3] = []

    def build(served: Served) -> LinqAPIV3:
        client = LinqAPIV3(api_key=KEY, base_url=served.base_url, max_retries=0)
        opened.append(client)
        return client

    yield build
    for client in opened:
        client.close()


def _emu(served: Served) -> LinqV3Emulator:
    assert isinstance(served.emu, LinqV3Emulator)
    return served.emu


def _without_forwarding(served: Served) -> str:
    return next(r.id for r in _emu(served).numbers.values() if r.forwarding_number is None)


def _with_forwarding(served: Served) -> str:
    return next(r.id for r in _emu(served).numbers.values() if r.forwarding_number is not None)


def test_set_forwarding(serve: Serve, official: Official, mode: str) -> None:
    mine, theirs = serve("linq-v3"), serve("linq-v3")
    number_id = _without_forwarding(mine)

    after = ours(
        mode, mine, "update_routing", number_id, pr.RoutingUpdate(forwarding_number=FORWARD_TO)
    )
    response = official(theirs).phone_numbers.update(number_id, forwarding_number=FORWARD_TO)

    expected = {
        "method": "PUT",
        "path": f"{PATH}/{number_id}",
        "query": {},
        "auth": f"Bearer {KEY}",
        "content_type": "application/json",
        "json": {"forwarding_number": FORWARD_TO},
    }
    assert [exchange(r) for r in mine.emu.requests] == [expected]
    assert [exchange(r) for r in theirs.emu.requests] == [expected]
    assert _emu(mine).get(number_id) == _emu(theirs).get(number_id)
    assert _emu(mine).get(number_id).forwarding_number == FORWARD_TO
    assert thaw(after.raw) == response.to_dict()
    assert (after.id, after.number, after.forwarding_number) == (
        response.id,
        response.phone_number,
        response.forwarding_number,
    )


def test_clear_forwarding(serve: Serve, official: Official, mode: str) -> None:
    """Linq documents "pass an empty string to clear"; its SDK types the field as
    ``Optional[str]``, so a caller may also send null. The adapter sends "": the same
    body as the SDK given "", a different one from the SDK given None, and all three
    end with no forwarding number."""
    mine, sdk_empty, sdk_none = serve("linq-v3"), serve("linq-v3"), serve("linq-v3")
    number_id = _with_forwarding(mine)

    after = ours(
        mode, mine, "update_routing", number_id, pr.RoutingUpdate(forwarding_number=pr.CLEAR)
    )
    by_empty = official(sdk_empty).phone_numbers.update(number_id, forwarding_number="")
    by_none = official(sdk_none).phone_numbers.update(number_id, forwarding_number=None)

    def sent(served: Served) -> list[dict[str, object]]:
        return [exchange(r) for r in served.emu.requests]

    put = {
        "method": "PUT",
        "path": f"{PATH}/{number_id}",
        "query": {},
        "auth": f"Bearer {KEY}",
        "content_type": "application/json",
    }
    assert sent(mine) == [{**put, "json": {"forwarding_number": ""}}]
    assert sent(sdk_empty) == sent(mine)
    assert sent(sdk_none) == [{**put, "json": {"forwarding_number": None}}]

    stored = [_emu(served).get(number_id) for served in (mine, sdk_empty, sdk_none)]
    assert stored[0] == stored[1] == stored[2]
    assert stored[0].forwarding_number is None
    # The vendor answers null either way; we read it as "no forwarding".
    assert after.forwarding_number is None
    assert by_empty.forwarding_number is None
    assert by_none.forwarding_number is None
    assert thaw(after.raw) == by_empty.to_dict() == by_none.to_dict()


def test_read_back(serve: Serve, official: Official, mode: str) -> None:
    """After a write, both clients list the same numbers: the SDK's models and our
    ``raw`` hold the same payload, and our normalized fields agree with it."""
    served = serve("linq-v3")
    number_id = _without_forwarding(served)
    ours(mode, served, "update_routing", number_id, pr.RoutingUpdate(forwarding_number=FORWARD_TO))
    served.emu.clear_requests()

    mine = ours(mode, served, "list_numbers")
    theirs = official(served).phone_numbers.list().phone_numbers
    got = ours(mode, served, "get_number", number_id)

    listing: dict[str, Any] = {
        "method": "GET",
        "path": PATH,
        "query": {},
        "auth": f"Bearer {KEY}",
        "content_type": None,
        "json": None,
    }
    # Ours: list, then list again for the get. The SDK: one list.
    assert [exchange(r) for r in served.emu.requests] == [listing] * 3
    assert [thaw(n.raw) for n in mine] == [item.to_dict() for item in theirs]
    assert [(n.id, n.number, n.forwarding_number) for n in mine] == [
        (item.id, item.phone_number, item.forwarding_number) for item in theirs
    ]
    (item,) = [item for item in theirs if item.id == number_id]
    assert (got.id, got.number, got.forwarding_number) == (
        item.id,
        item.phone_number,
        FORWARD_TO,
    )
    assert item.forwarding_number == FORWARD_TO
