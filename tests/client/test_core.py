"""The protocol core on its own: operations yield exact wire requests and waits, and
read scripted responses, with no HTTP library and no I/O."""

from __future__ import annotations

import json
from typing import Any, TypeVar

import httpx
import pytest

import phonerouting as pr
from phonerouting.adapters.base import Request
from phonerouting.core import (
    Core,
    Listing,
    Operation,
    Pump,
    TransportFailure,
    WireRequest,
    WireResponse,
    encode_url,
    next_batch,
)
from phonerouting.registry import adapter_for

_T = TypeVar("_T")

V3_ID = "550e8400-e29b-41d4-a716-446655440000"
V3_ROOT = "https://api.linqapp.com/api/partner/"
V3_NUMBER = {"id": V3_ID, "phone_number": "+12025551234", "forwarding_number": "+12025559999"}
POLICY = pr.RetryPolicy(backoff_initial=0.25, backoff_max=1.0, jitter=0.0)


def ok(payload: Any, status: int = 200) -> WireResponse:
    return WireResponse(status, {"content-type": "application/json"}, json.dumps(payload).encode())


def drive(operation: Operation[_T], replies: list[Any]) -> tuple[_T, list[Any]]:
    """Run ``operation``, answering each request with the next reply (``None`` after a
    wait); the result and every command it yielded, in order."""
    commands: list[Any] = []
    pump = Pump(operation)
    for command in pump:
        commands.append(command)
        pump.reply = replies.pop(0) if isinstance(command, WireRequest) else None
    assert replies == [], "every scripted reply is used"
    return pump.result, commands


def shown(command: Any) -> Any:
    if isinstance(command, WireRequest):
        return (command.method, command.url, command.headers, command.body)
    return command


def core(provider: str = "linq-v3", root: str = V3_ROOT) -> Core:
    return Core(adapter_for(provider), root, POLICY, ("secret-key-000",))


def test_update_yields_one_exact_request_and_reads_the_answer() -> None:
    update = pr.RoutingUpdate(forwarding_number="+1 (202) 555-9999")
    result, commands = drive(core().update_routing(V3_ID, update), [ok(V3_NUMBER)])
    assert [shown(c) for c in commands] == [
        (
            "PUT",
            f"{V3_ROOT}v3/phone_numbers/{V3_ID}",
            {"Content-Type": "application/json"},
            b'{"forwarding_number":"+12025559999"}',
        )
    ]
    assert result == pr.PhoneNumber(
        provider="linq-v3", id=V3_ID, number="+12025551234", forwarding_number="+12025559999"
    )


def test_retries_are_waits_the_core_yields_between_identical_requests() -> None:
    busy = WireResponse(503, {"retry-after": "3"}, b"")
    dropped = TransportFailure("other", "RemoteProtocolError", "Server disconnected")
    listing = ok({"phone_numbers": [V3_NUMBER]})
    # linq-v3 has no endpoint for one number: get_number lists and picks it out.
    result, commands = drive(core().get_number(V3_ID), [busy, dropped, listing])
    get = ("GET", f"{V3_ROOT}v3/phone_numbers", None, None)
    # The vendor's Retry-After first, then the policy's own backoff for attempt 2.
    assert [shown(c) for c in commands] == [get, 3.0, get, 0.5, get]
    assert result.id == V3_ID


def test_the_final_failure_is_raised_unchained_and_scrubbed() -> None:
    failure = TransportFailure("timeout", "ReadTimeout", "echo secret-key-000")
    with pytest.raises(pr.TransportError) as caught:
        drive(core().get_number(V3_ID), [failure, failure, failure])
    assert caught.value.message == "GET /v3/phone_numbers timed out (ReadTimeout): echo [REDACTED]"
    assert (caught.value.__cause__, caught.value.__context__) == (None, None)


def test_a_4xx_is_raised_at_once_with_no_wait() -> None:
    with pytest.raises(pr.NotFoundError):
        drive(core().get_number(V3_ID), [WireResponse(404, {}, b"")])


def test_listing_yields_batches_page_by_page() -> None:
    close = core("close", "https://api.close.com/api/v1/")
    first = {
        "data": [{"id": "phon_" + "a" * 20, "number": "+12025550100"}],
        "has_more": True,
    }
    second = {"data": [{"id": "phon_" + "b" * 20, "number": "+12025550101"}], "has_more": False}
    listing: Listing = close.list_numbers()
    batch, commands = drive(next_batch(listing), [ok(first)])
    assert [n.number for n in batch or []] == ["+12025550100"]
    assert shown(commands[0])[1] == "https://api.close.com/api/v1/phone_number/?_skip=0&_limit=100"
    batch, commands = drive(next_batch(listing), [ok(second)])
    assert [n.number for n in batch or []] == ["+12025550101"]
    assert shown(commands[0])[1] == (
        "https://api.close.com/api/v1/phone_number/?_skip=1&_limit=100"
    )
    assert drive(next_batch(listing), []) == (None, [])


def test_find_stops_fetching_once_found() -> None:
    linq = core("linq-v2", "https://api.linqapp.com/")
    page = {"phone_numbers": [{"id": 7, "phone_number": "+12025550100"}]}
    found, commands = drive(linq.find_number("+1 202 555 0100"), [ok(page)])
    assert found.id == "7"
    assert len(commands) == 1


@pytest.mark.parametrize(
    "params",
    [
        {"phone_number": "+12025550100"},
        {"cursor": "a b/c?d&e=f", "limit": 100},
        {"q": "ü ✓"},
    ],
)
def test_urls_are_encoded_as_httpx_encodes_them(params: dict[str, str | int]) -> None:
    request = Request("GET", "/v1/phone-numbers", params=params)
    with httpx.Client(base_url=V3_ROOT) as http:
        expected = str(http.build_request("GET", request.path, params=params).url)
    assert encode_url(V3_ROOT, request) == expected


def test_every_operation_validates_before_yielding_anything() -> None:
    for operation in (
        core().get_number("not-an-id"),
        core().update_routing("not-an-id", pr.RoutingUpdate(label="x")),
        core().find_number("not a number"),
    ):
        with pytest.raises(pr.ValidationError):
            next(operation)


def test_a_parsed_body_is_handed_over_not_kept() -> None:
    answer = ok(V3_NUMBER)
    update = pr.RoutingUpdate(forwarding_number="+12025559999")
    result, _ = drive(core().update_routing(V3_ID, update), [answer])
    assert result.id == V3_ID
    # Nothing holds the bytes once decoded: a large listing is not kept twice.
    assert answer.body == b""
