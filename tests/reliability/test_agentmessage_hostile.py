"""AgentMessage's hostile answers beyond the generic suite's: its listing follows a
cursor the vendor hands out, which must only ever travel as a query value."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import phonerouting as pr
from tests.reliability.helpers import MODES, attempt, close
from tests.reliability.hostile import ITEM, encode, list_body

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize("mode", MODES)
def test_a_hostile_cursor_only_ever_travels_as_a_query_value(mode: str) -> None:
    cursor = "../../v1/admin?limit=100000&x=1#frag /%2e%2e"
    first = list_body("agentmessage", [ITEM["agentmessage"]])
    first["meta"]["next_cursor"] = cursor
    second_item = {**ITEM["agentmessage"], "id": "660e8400-e29b-41d4-a716-446655440000"}
    pages = [encode(first), encode(list_body("agentmessage", [second_item]))]
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=pages[len(requests) - 1])

    async def main() -> list[pr.PhoneNumber]:
        factory = pr.connect if mode == "sync" else pr.connect_async
        c = factory("agentmessage", api_key="k", transport=httpx.MockTransport(handler))
        try:
            numbers, error = await attempt(c, "list_numbers")
        finally:
            await close(c)
        assert error is None, error
        return list(numbers)

    numbers = asyncio.run(main())
    assert len(numbers) == 2
    assert [r.url.path for r in requests] == ["/v1/phone-numbers"] * 2
    assert dict(requests[1].url.params) == {"limit": "100", "cursor": cursor}
