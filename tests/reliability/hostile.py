"""What the hostile-response tests share: each provider's standard number as its API
sends it (its profile's ``wire_*``), a mock vendor answering every listing and every
single-number request with bodies of the test's making, and the checks of what the
client made of them. The generic tests are in ``test_hostile_responses.py``; each
vendor's own hostile answers in ``tests/reliability/vendors/<vendor>.py``."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from typing import Any

import httpx

import phonerouting as pr
from phonerouting.registry import adapter_for
from tests.profiles import PROFILES, need
from tests.reliability.helpers import PROVIDERS, UPDATE, assert_routing_error, attempt, close


def wire(provider: str) -> Any:
    """The profile of ``provider``, which must describe its wire shapes."""
    need(provider, "wire_item")
    need(provider, "wire_id")
    need(provider, "wire_list")
    return PROFILES[provider]


#: A complete number of each provider as its API sends it (its profile's wire_item).
ITEM: dict[str, dict[str, Any]] = {p: dict(wire(p).wire_item) for p in PROVIDERS}
#: Its id as the library reads it.
ID = {p: wire(p).wire_id for p in PROVIDERS}
NUMBER_KEY = {p: wire(p).wire_number_key for p in PROVIDERS}
ROUTE_KEY = {p: wire(p).wire_route_key for p in PROVIDERS}
ID_KEY = {p: wire(p).wire_id_key for p in PROVIDERS}
#: The last segment of every provider's list path: a GET there is a listing.
LIST_ENDINGS = tuple({prof.list_path.rstrip("/").rsplit("/", 1)[-1] for prof in PROFILES.values()})
#: The listings of a number's parts (Telnyx's voice settings, listed beside the numbers):
#: listings too, answered with the same items.
LIST_ENDINGS += tuple(
    {
        listing.path
        for p in PROVIDERS
        for part in adapter_for(p).parts
        if (listing := adapter_for(p).part_listing(adapter_for(p).list_request(), part))
    }
)


def list_body(provider: str, items: Any) -> Any:
    return wire(provider).wire_list(items)


def item_body(provider: str, item: Any) -> Any:
    return wire(provider).wire_single(item)


def encode(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


class Vendor:
    """A MockTransport handler answering lists with ``listing`` and single-number
    requests (get, update) with ``single``; records every request."""

    def __init__(self, listing: Any, single: Any, status: int = 200) -> None:
        self.listing = encode(listing)
        self.single = encode(single)
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        is_list = request.method == "GET" and path.rstrip("/").endswith(LIST_ENDINGS)
        body = self.listing if is_list else self.single
        return httpx.Response(
            self.status, content=body, headers={"Content-Type": "application/json"}
        )


def client(provider: str, vendor: Vendor, mode: str = "sync", **options: Any) -> Any:
    options.setdefault("max_retries", 0)
    key = PROFILES[provider].credentials(None, "k")
    factory = pr.connect if mode == "sync" else pr.connect_async
    return factory(provider, **key, transport=httpx.MockTransport(vendor), **options)


def run_all(provider: str, vendor: Vendor, mode: str = "sync") -> list[tuple[str, Any, Any]]:
    """list, get and update against ``vendor``: (operation, result, error) each."""

    async def main() -> list[tuple[str, Any, Any]]:
        c = client(provider, vendor, mode)
        outcomes = []
        try:
            for method, args in (
                ("list_numbers", ()),
                ("get_number", (ID[provider],)),
                ("update_routing", (ID[provider], UPDATE[provider])),
            ):
                result, error = await attempt(c, method, *args)
                outcomes.append((method, result, error))
        finally:
            await close(c)
        return outcomes

    return asyncio.run(main())


def assert_unexpected(outcomes: list[tuple[str, Any, Any]], status: int = 200) -> None:
    for method, result, error in outcomes:
        assert error is not None, f"{method} accepted a hostile body: {result!r}"
        caught = assert_routing_error(error)
        assert type(caught) is pr.UnexpectedResponseError, f"{method}: {caught!r}"
        assert caught.status == status


def assert_tolerated(outcomes: list[tuple[str, Any, Any]]) -> list[pr.PhoneNumber]:
    numbers = []
    for method, result, error in outcomes:
        assert error is None, f"{method}: {error!r}"
        numbers.append(result[0] if isinstance(result, list) else result)
    return numbers


class Replace:
    """Returned by a change that replaces the whole item."""

    def __init__(self, value: Any) -> None:
        self.value = value


def with_item(provider: str, change: Callable[[dict[str, Any]], Any]) -> Vendor:
    """A vendor whose every number is the standard item after ``change``."""
    item: Any = copy.deepcopy(ITEM[provider])
    changed = change(item)
    if isinstance(changed, Replace):
        item = changed.value
    return Vendor(list_body(provider, [item]), item_body(provider, item))


def path_of(request: httpx.Request) -> str:
    """The request's path as sent on the wire (still percent-encoded), without query."""
    return request.url.raw_path.split(b"?")[0].decode("ascii")


def set_key(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item[key] = value

    return change


def drop_key(key: str) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item.pop(key, None)

    return change
