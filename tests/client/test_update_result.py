"""``update_routing_result``: the number after a write and the request id the vendor
gave the write's answer, for every provider and both clients (what the service's
audit trail records of a successful write)."""

from __future__ import annotations

import pytest

import phonerouting as pr
from phonerouting import testing
from tests import profiles
from tests.reliability.helpers import MODES, PROVIDERS, UPDATE, call, close, connect, first_id
from tests.support import last_write_to, numbered_request_ids

pytestmark = pytest.mark.timeout(180)


each_provider = pytest.mark.parametrize("provider", PROVIDERS)
each_mode = pytest.mark.parametrize("mode", MODES)


@each_provider
@each_mode
async def test_the_result_carries_the_request_id_of_the_writes_answer(
    provider: str, mode: str
) -> None:
    emu = testing.emulator(provider, 4, seed=11)
    header = numbered_request_ids(emu)
    number_id = first_id(emu)
    client = connect(mode, emu)
    try:
        result = await call(client, "update_routing_result", number_id, UPDATE[provider])
        assert isinstance(result, pr.UpdateResult)
        if header is None:
            assert result.request_id is None
        else:
            assert result.request_id == f"rid-{last_write_to(emu)}"
        # The same number update_routing answers (read back from the vendor now).
        assert result.number == await call(client, "get_number", number_id)
        assert profiles.profile(provider).update_landed(emu, number_id)
    finally:
        await close(client)


@each_provider
@each_mode
async def test_an_empty_update_writes_nothing_and_has_no_request_id(
    provider: str, mode: str
) -> None:
    emu = testing.emulator(provider, 4, seed=11)
    numbered_request_ids(emu)
    number_id = first_id(emu)
    client = connect(mode, emu)
    try:
        result = await call(client, "update_routing_result", number_id, pr.RoutingUpdate())
        assert result.request_id is None
        assert [r.method for r in emu.requests] == ["GET"] * len(emu.requests)
        assert result.number == await call(client, "get_number", number_id)
    finally:
        await close(client)


@each_mode
@pytest.mark.parametrize(
    "with_ids", [p for p in PROVIDERS if profiles.adapter(p).request_id_header is not None]
)
async def test_a_request_id_echoing_the_key_is_scrubbed_and_bounded(
    with_ids: str, mode: str
) -> None:
    emu = testing.emulator(with_ids, 4, seed=11)
    numbered_request_ids(emu, lambda n: f"{emu.api_key}-" + "x" * 300)
    client = connect(mode, emu)
    try:
        result = await call(client, "update_routing_result", first_id(emu), UPDATE[with_ids])
    finally:
        await close(client)
    assert result.request_id == ("[REDACTED]-" + "x" * 300)[:200] + "…"
