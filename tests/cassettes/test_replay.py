"""Recorded exchanges replayed through the sync and the async client.

One cassette per (provider, scenario) under ``cassettes/<provider>/``, recorded over
real HTTP from a seeded emulator; each test runs once with ``pr.connect`` and once with
``pr.connect_async`` on the same cassette, with the network blocked, and asserts the
exact normalized result or error, and the exact requests the client sent.
"""

from __future__ import annotations

from typing import Any

import pytest

import phonerouting as pr
from phonerouting.registry import adapter_for
from tests.cassettes import expected, vendors
from tests.cassettes.clients import call, error_fields, list_all, open_client, raised, wire
from tests.cassettes.conftest import Target
from tests.cassettes.scenarios import BAD_CREDENTIALS, BAD_KEYS, PROVIDERS, RETRY_AFTER
from tests.support import SleepRecorder

pytestmark = [pytest.mark.vcr, pytest.mark.block_network]

providers = pytest.mark.parametrize("provider", PROVIDERS)


@providers
async def test_list(provider: str, mode: str, target: Target) -> None:
    async with open_client(mode, provider, base_url=target.base_url, **target.credentials) as c:
        numbers = await list_all(c)
    assert numbers == expected.NUMBERS[provider]


@providers
async def test_get(provider: str, mode: str, target: Target, vcr: Any) -> None:
    wanted = expected.NUMBERS[provider][expected.SECOND]
    async with open_client(mode, provider, base_url=target.base_url, **target.credentials) as c:
        got = await call(c, "get_number", wanted.id)
    assert got == wanted
    # Linq has no get-one endpoint: the client lists and picks the id.
    assert wire(vcr) == expected.GET_WIRE[provider]


@providers
async def test_update(provider: str, mode: str, target: Target, vcr: Any) -> None:
    number_id = expected.UPDATE_ID[provider]
    async with open_client(mode, provider, base_url=target.base_url, **target.credentials) as c:
        after = await call(c, "update_routing", number_id, expected.UPDATE[provider])
        read_back = await call(c, "get_number", number_id)
    assert after == expected.UPDATED[provider]
    assert read_back == expected.UPDATED[provider]
    assert wire(vcr) == expected.UPDATE_WIRE[provider]


@providers
async def test_clear(provider: str, mode: str, target: Target, vcr: Any) -> None:
    number_id = expected.CLEAR_ID[provider]
    async with open_client(mode, provider, base_url=target.base_url, **target.credentials) as c:
        after = await call(c, "update_routing", number_id, expected.CLEAR[provider])
        read_back = await call(c, "get_number", number_id)
    assert after == expected.CLEARED[provider]
    assert read_back == expected.CLEARED[provider]
    assert wire(vcr) == expected.CLEAR_WIRE[provider]


@providers
async def test_unauthorized(provider: str, mode: str, target: Target) -> None:
    key = BAD_KEYS[provider]
    async with open_client(
        mode, provider, base_url=target.base_url, **BAD_CREDENTIALS[provider]
    ) as c:
        error = await raised(c, "list_numbers")
    assert error_fields(error) == expected.UNAUTHORIZED[provider]
    assert key not in str(error)
    assert key not in repr(error)


@providers
async def test_not_found(provider: str, mode: str, target: Target) -> None:
    unknown = expected.UNKNOWN_ID[provider]
    async with open_client(mode, provider, base_url=target.base_url, **target.credentials) as c:
        on_get = await raised(c, "get_number", unknown)
        on_update = await raised(c, "update_routing", unknown, expected.UPDATE[provider])
    assert error_fields(on_get) == expected.NOT_FOUND_GET[provider]
    assert error_fields(on_update) == expected.NOT_FOUND_UPDATE[provider]


@providers
async def test_validation(provider: str, mode: str, target: Target, vcr: Any) -> None:
    number_id = expected.UPDATE_ID[provider]
    async with open_client(mode, provider, base_url=target.base_url, **target.credentials) as c:
        error = await raised(c, "update_routing", number_id, expected.REFUSED[provider])
        unchanged = await call(c, "get_number", number_id)
    assert error_fields(error) == expected.VALIDATION[provider]
    assert isinstance(error, pr.ValidationError)
    # Refused means not stored: the number reads as before. The write is sent once
    # (a validation error is never retried).
    assert unchanged == expected.NUMBERS[provider][expected.SECOND]
    assert wire(vcr) == expected.VALIDATION_WIRE[provider]


@providers
async def test_rate_limited(
    provider: str, mode: str, target: Target, vcr: Any, fast_policy: pr.RetryPolicy
) -> None:
    sleeps = fast_policy.sleep
    assert isinstance(sleeps, SleepRecorder)
    async with open_client(
        mode, provider, base_url=target.base_url, policy=fast_policy, **target.credentials
    ) as c:
        numbers = await list_all(c)
    assert numbers == expected.NUMBERS[provider]
    # The vendor's own wait was honoured (Retry-After, linq-v3's error.retry_after or
    # Close's RateLimit reset), not the policy's 0.01 s backoff; a vendor that sends no
    # wait (Twilio) gets the policy's.
    assert sleeps.waits == vendors.rate_limit_waits(provider, RETRY_AFTER)
    # The first request refused once, then every request of the listing answered.
    codes = [r["status"]["code"] for r in vcr.responses]
    assert codes == [429] + [200] * (len(codes) - 1)
    # One listing, and one more per part of a number listed beside it (Telnyx's voice).
    assert len(codes) == 2 + len(adapter_for(provider).parts)
    assert wire(vcr)[0] == wire(vcr)[1]
