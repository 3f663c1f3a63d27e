"""Faults injected through the emulators, on every provider, through both clients.

Each scenario ends in success within the retry budget or in the documented typed error;
the error's class and status and the number of requests the emulator received are
exact. Waits are recorded, never slept (except the client timeouts, which are real).
"""

from __future__ import annotations

from typing import Any

import pytest

import phonerouting as pr
from tests.profiles import PROFILES
from tests.reliability.conftest import Sleeps
from tests.reliability.helpers import (
    MODES,
    PROVIDERS,
    UPDATE,
    WRITE_METHOD,
    close,
    connect,
    connect_url,
    emulator,
    expect,
    first_id,
    succeed,
    written,
)

pytestmark = pytest.mark.timeout(180)

BACKOFF = [0.01, 0.02]  # the policy fixture's first two backoffs


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=["list", "update"])
def op(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Scenario:
    """One operation of one provider: what to call and which requests it makes."""

    def __init__(self, provider: str, op: str) -> None:
        self.emu = emulator(provider)
        self.op = op
        self.number_id = first_id(self.emu)
        if op == "list":
            self.method, self.args, self.http = "list_numbers", (), "GET"
        else:
            self.method = "update_routing"
            self.args = (self.number_id, UPDATE[provider])
            self.http = WRITE_METHOD[provider]

    def sent(self) -> int:
        """The attempts of the operation's first request: every request the emulator
        received is this operation's, and a vendor whose number lives at several
        resources (Telnyx) sends the others only once the first one has succeeded."""
        requests = self.emu.requests
        if not requests:
            return 0
        first = next((r for r in requests if r.method == self.http), requests[0])
        return sum(1 for r in requests if (r.method, r.path) == (first.method, first.path))

    def check_result(self, result: Any) -> None:
        if self.op == "list":
            assert len(result) == len(self.emu.numbers)  # type: ignore[attr-defined]
            assert all(isinstance(n, pr.PhoneNumber) for n in result)
        else:
            assert isinstance(result, pr.PhoneNumber)
            assert written(self.emu, self.number_id)

    def check_not_applied(self) -> None:
        if self.op == "update":
            assert not written(self.emu, self.number_id)


async def run_ok(scenario: Scenario, mode: str, **options: Any) -> Any:
    client = connect(mode, scenario.emu, **options)
    try:
        result = await succeed(client, scenario.method, *scenario.args)
    finally:
        await close(client)
    scenario.check_result(result)
    return result


async def run_error(
    scenario: Scenario, mode: str, cls: type[pr.RoutingError], **options: Any
) -> Any:
    client = connect(mode, scenario.emu, **options)
    try:
        error = await expect(client, cls, scenario.method, *scenario.args)
    finally:
        await close(client)
    assert error.provider == scenario.emu.provider
    scenario.check_not_applied()
    return error


# ------------------------------------------------------------------ 429 storms


async def test_429_storm_with_retry_after_then_success(
    provider: str, mode: str, op: str, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario(provider, op)
    scenario.emu.faults.rate_limited(2, retry_after=2)
    await run_ok(scenario, mode, retry_policy=policy)
    assert scenario.sent() == 3
    assert sleeps.waits == [2.0, 2.0], "the vendor's Retry-After is honoured, not the backoff"


async def test_429_storm_past_the_budget_is_a_rate_limit_error(
    provider: str, mode: str, op: str, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario(provider, op)
    scenario.emu.faults.rate_limited(None, retry_after=3)
    error = await run_error(scenario, mode, pr.RateLimitError, retry_policy=policy)
    assert error.status == 429
    assert error.retry_after == 3.0
    assert scenario.sent() == 3
    assert sleeps.waits == [3.0, 3.0]


async def test_retry_after_over_max_wait_raises_at_once(
    provider: str, mode: str, op: str, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario(provider, op)
    scenario.emu.faults.rate_limited(None, retry_after=120)  # max_wait is 60 s
    error = await run_error(scenario, mode, pr.RateLimitError, retry_policy=policy)
    assert (error.status, error.retry_after) == (429, 120.0)
    assert scenario.sent() == 1
    assert sleeps.waits == []


async def test_a_later_retry_after_over_max_wait_stops_the_retries(
    provider: str, mode: str, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario(provider, "update")
    scenario.emu.faults.rate_limited(1, retry_after=1)
    scenario.emu.faults.rate_limited(1, retry_after=61)
    error = await run_error(scenario, mode, pr.RateLimitError, retry_policy=policy, max_retries=5)
    assert error.retry_after == 61.0
    assert scenario.sent() == 2
    assert sleeps.waits == [1.0]


async def test_emulated_rate_limit_bucket(
    mode: str, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    # One token and (recorded, so instant) waits: the bucket cannot refill in time.
    emu = emulator("close")
    emu.set_rate_limit(1)
    client = connect(mode, emu, retry_policy=policy)
    try:
        await succeed(client, "list_numbers")
        error = await expect(client, pr.RateLimitError, "list_numbers")
    finally:
        await close(client)
    assert (error.status, error.retry_after) == (429, 1.0)
    assert emu.count("GET") == 4
    assert sleeps.waits == [1.0, 1.0]


# ------------------------------------------------------------------ 5xx bursts and HTML pages


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_burst_within_the_budget_succeeds(
    provider: str, mode: str, op: str, status: int, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario(provider, op)
    scenario.emu.faults.server_error(status, count=2)
    await run_ok(scenario, mode, retry_policy=policy)
    assert scenario.sent() == 3
    assert sleeps.waits == BACKOFF


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_burst_past_the_budget_is_a_server_error(
    provider: str, mode: str, op: str, status: int, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario(provider, op)
    scenario.emu.faults.server_error(status, count=3)
    error = await run_error(scenario, mode, pr.ServerError, retry_policy=policy)
    assert error.status == status
    assert scenario.sent() == 3
    assert sleeps.waits == BACKOFF
    # The next call finds the vendor healthy again.
    await run_ok(scenario, mode, retry_policy=policy)
    assert scenario.sent() == 4


async def test_html_error_pages_are_retried_then_succeed(
    provider: str, mode: str, op: str, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario(provider, op)
    scenario.emu.faults.html(502, count=2)
    await run_ok(scenario, mode, retry_policy=policy)
    assert scenario.sent() == 3
    assert sleeps.waits == BACKOFF


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_html_error_pages_past_the_budget_are_a_server_error(
    provider: str, mode: str, op: str, status: int, policy: pr.RetryPolicy
) -> None:
    scenario = Scenario(provider, op)
    scenario.emu.faults.html(status, count=None)
    error = await run_error(scenario, mode, pr.ServerError, retry_policy=policy)
    assert error.status == status
    assert error.code is None
    assert "text/html" in error.message
    assert "<html>" not in str(error)
    assert scenario.sent() == 3


# ------------------------------------------------------------------ malformed JSON


async def test_malformed_json_on_200_is_unexpected_and_not_retried(
    provider: str, mode: str, op: str, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario(provider, op)
    scenario.emu.faults.malformed(count=None)
    error = await run_error(scenario, mode, pr.UnexpectedResponseError, retry_policy=policy)
    assert error.status == 200
    assert "not valid JSON" in error.message
    assert scenario.sent() == 1
    assert sleeps.waits == []
    if PROFILES[provider].request_id_on_every_answer:
        # From the vendor's request id header (e.g. Linq v3's X-Trace-ID).
        assert error.request_id


# ------------------------------------------------------------------ timeouts (real time)


async def test_slow_responses_past_the_timeout_are_a_transport_error(
    provider: str, mode: str, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario(provider, "list")
    scenario.emu.faults.delay(1.0, count=None)
    error = await run_error(scenario, mode, pr.TransportError, retry_policy=policy, timeout=0.2)
    assert error.status is None
    assert "timed out (ReadTimeout)" in error.message
    # The httpx error holds the request and its auth header: never kept.
    assert (error.__cause__, error.__context__) == (None, None)
    assert scenario.sent() == 3
    assert sleeps.waits == BACKOFF


@pytest.mark.parametrize("op_", ["list", "update"])
async def test_one_slow_response_over_real_http_is_retried(
    mode: str, op_: str, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario("linq-v3", op_)
    scenario.emu.faults.delay(1.0, count=1)
    with scenario.emu.serve() as url:
        client = connect_url(mode, scenario.emu, url, retry_policy=policy, timeout=0.2)
        try:
            result = await succeed(client, scenario.method, *scenario.args)
        finally:
            await close(client)
    scenario.check_result(result)
    assert scenario.sent() == 2
    assert sleeps.waits == BACKOFF[:1]


# ------------------------------------------------------------------ dropped connections


async def test_dropped_connections_over_real_http(
    provider: str, mode: str, op: str, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario(provider, op)
    emu = scenario.emu
    with emu.serve() as url:
        emu.faults.drop(count=2)
        client = connect_url(mode, emu, url, retry_policy=policy)
        try:
            result = await succeed(client, scenario.method, *scenario.args)
            scenario.check_result(result)
            assert scenario.sent() == 3
            assert sleeps.waits == BACKOFF

            emu.clear_requests()
            emu.faults.drop(count=None)
            error = await expect(client, pr.TransportError, scenario.method, *scenario.args)
        finally:
            await close(client)
    assert error.status is None
    assert "failed in transport (RemoteProtocolError)" in error.message
    assert (error.__cause__, error.__context__) == (None, None)
    assert scenario.sent() == 3


async def test_a_mixed_storm_within_the_budget_succeeds(
    provider: str, mode: str, policy: pr.RetryPolicy, sleeps: Sleeps
) -> None:
    scenario = Scenario(provider, "update")
    emu = scenario.emu
    with emu.serve() as url:
        emu.faults.rate_limited(1, retry_after=1)
        emu.faults.server_error(503)
        emu.faults.html(502)
        emu.faults.drop()
        emu.faults.server_error(500)
        client = connect_url(mode, emu, url, retry_policy=policy, max_retries=5)
        try:
            result = await succeed(client, scenario.method, *scenario.args)
        finally:
            await close(client)
    scenario.check_result(result)
    assert scenario.sent() == 6
    assert sleeps.waits == [1.0, 0.02, 0.04, 0.04, 0.04]


# ------------------------------------------------------------------ the vendors' own refusals


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, pr.ValidationError),
        (401, pr.AuthenticationError),
        (402, pr.RequestRejectedError),
        (403, pr.PermissionDeniedError),
        (404, pr.NotFoundError),
        (408, pr.TransportError),
        (409, pr.ConflictError),
        (422, pr.ValidationError),
    ],
)
async def test_each_refusal_maps_to_its_class_and_only_408_is_retried(
    provider: str, mode: str, status: int, cls: type[pr.RoutingError], policy: pr.RetryPolicy
) -> None:
    scenario = Scenario(provider, "update")
    scenario.emu.faults.add("status", status=status, count=None)
    error = await run_error(scenario, mode, cls, retry_policy=policy)
    assert error.status == status
    assert scenario.sent() == (3 if status == 408 else 1)


async def test_a_wrong_key_is_an_authentication_error_without_retries(
    provider: str, mode: str, policy: pr.RetryPolicy
) -> None:
    scenario = Scenario(provider, "list")
    error = await run_error(
        scenario, mode, pr.AuthenticationError, retry_policy=policy, api_key="not-the-key"
    )
    assert error.status == 401
    assert scenario.sent() == 1
