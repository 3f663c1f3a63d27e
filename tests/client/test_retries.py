"""Retries, rate limits and failure mapping through both drivers, over httpx.MockTransport."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

import phonerouting as pr
from phonerouting.responses import parse_retry_after
from tests.client.drive import call, close, make_client
from tests.support import SleepRecorder

V3_ID = "550e8400-e29b-41d4-a716-446655440000"
V3_OK = {"id": V3_ID, "phone_number": "+12025551234", "forwarding_number": "+12025559999"}
V3_500 = {
    "error": {
        "status": 500,
        "code": 3006,
        "message": "Internal server error",
        "doc_url": "https://docs.linqapp.com/error/codes/3xxx/3006/",
    },
    "success": False,
    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
}
SET = pr.RoutingUpdate(forwarding_number="+12025559999")
EXPECTED = pr.PhoneNumber(
    provider="linq-v3", id=V3_ID, number="+12025551234", forwarding_number="+12025559999"
)


class Script:
    """Answers requests from a list of responses (or exceptions), recording each request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def update_v3(mode: str, script: Script, policy: pr.RetryPolicy, **kw: int) -> object:
    client = make_client(mode, "linq-v3", script, policy, **kw)
    try:
        return await call(client, "update_routing", V3_ID, SET)
    finally:
        await close(client)


async def test_503_503_200_makes_three_requests_and_succeeds(
    mode: str, fast_policy: pr.RetryPolicy, sleeps: SleepRecorder
) -> None:
    script = Script(
        httpx.Response(503, json=V3_500),
        httpx.Response(503, json=V3_500),
        httpx.Response(200, json=V3_OK),
    )
    assert await update_v3(mode, script, fast_policy) == EXPECTED
    assert len(script.requests) == 3
    assert all(r.content == b'{"forwarding_number":"+12025559999"}' for r in script.requests)
    assert sleeps.waits == [0.01, 0.02]


async def test_400_is_not_retried(
    mode: str, fast_policy: pr.RetryPolicy, sleeps: SleepRecorder
) -> None:
    body = {
        "error": {"status": 400, "code": 1002, "message": "Phone number must be in E.164 format"},
        "success": False,
        "trace_id": "0af7651916cd43dd8448eb211c80319c",
    }
    script = Script(httpx.Response(400, json=body))
    with pytest.raises(pr.ValidationError) as caught:
        await update_v3(mode, script, fast_policy)
    assert len(script.requests) == 1
    assert sleeps.waits == []
    assert caught.value.code == 1002
    assert caught.value.field == "forwarding_number"
    assert caught.value.request_id == "0af7651916cd43dd8448eb211c80319c"


@pytest.mark.parametrize(
    ("headers", "body_extra", "expected_wait"),
    [
        ({"Retry-After": "3"}, {}, 3.0),
        ({}, {"retry_after": 5}, 5.0),
        ({"Retry-After": "2", "X-Trace-ID": "ab" * 16}, {"retry_after": 4}, 4.0),
    ],
    ids=["retry-after-header", "linq-error-retry-after", "body-wins-over-header"],
)
async def test_429_waits_as_the_vendor_says(
    mode: str,
    fast_policy: pr.RetryPolicy,
    sleeps: SleepRecorder,
    headers: dict[str, str],
    body_extra: dict[str, int],
    expected_wait: float,
) -> None:
    body = {
        "error": {"status": 429, "code": 1007, "message": "Rate limit exceeded", **body_extra},
        "success": False,
    }
    script = Script(
        httpx.Response(429, json=body, headers=headers), httpx.Response(200, json=V3_OK)
    )
    assert await update_v3(mode, script, fast_policy) == EXPECTED
    assert sleeps.waits == [expected_wait]
    assert len(script.requests) == 2


async def test_retry_after_as_http_date(
    mode: str, fast_policy: pr.RetryPolicy, sleeps: SleepRecorder
) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    script = Script(
        httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200, json=V3_OK)
    )
    assert await update_v3(mode, script, fast_policy) == EXPECTED
    assert len(sleeps.waits) == 1
    assert 27.0 <= sleeps.waits[0] <= 30.0


async def test_close_ratelimit_reset_is_honoured(
    mode: str, fast_policy: pr.RetryPolicy, sleeps: SleepRecorder
) -> None:
    number = {
        "id": "phon_" + "a" * 43,
        "number": "+12025551234",
        "forward_to": None,
        "forward_to_enabled": False,
    }
    script = Script(
        httpx.Response(
            429,
            json={"error": "API rate limit exceeded"},
            headers={"RateLimit": "limit=40, remaining=0, reset=7"},
        ),
        httpx.Response(200, json=number),
    )
    client = make_client(mode, "close", script, fast_policy)
    try:
        result = await call(client, "get_number", "phon_" + "a" * 43)
    finally:
        await close(client)
    assert result.id == "phon_" + "a" * 43
    assert sleeps.waits == [7.0]


async def test_wait_past_the_cap_raises_at_once(
    mode: str, fast_policy: pr.RetryPolicy, sleeps: SleepRecorder
) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "120"}))
    with pytest.raises(pr.RateLimitError) as caught:
        await update_v3(mode, script, fast_policy)
    assert caught.value.retry_after == 120.0
    assert caught.value.status == 429
    # The advice says the wait itself, in the reader's terms.
    assert str(caught.value).endswith(
        "Wait 120 seconds (retry_after) before sending more requests."
    )
    assert caught.value.describe(cli=True).endswith("Wait 120 seconds, then run the command again.")
    assert len(script.requests) == 1
    assert sleeps.waits == []


async def test_503_retry_after_is_honoured(
    mode: str, fast_policy: pr.RetryPolicy, sleeps: SleepRecorder
) -> None:
    script = Script(
        httpx.Response(503, json=V3_500, headers={"Retry-After": "5"}),
        httpx.Response(200, json=V3_OK),
    )
    assert await update_v3(mode, script, fast_policy) == EXPECTED
    assert sleeps.waits == [5.0]
    assert len(script.requests) == 2


async def test_503_asking_past_the_cap_raises_a_server_error_at_once(
    mode: str, fast_policy: pr.RetryPolicy, sleeps: SleepRecorder
) -> None:
    script = Script(httpx.Response(503, json=V3_500, headers={"Retry-After": "120"}))
    with pytest.raises(pr.ServerError) as caught:
        await update_v3(mode, script, fast_policy)
    assert caught.value.status == 503
    assert caught.value.retry_after == 120.0
    assert caught.value.code == 3006
    assert "retry after 120 s" in str(caught.value)
    trace = caught.value.request_id
    assert trace
    assert caught.value.hint == (
        f"The vendor is failing; retry in 120 seconds, and quote request id {trace} to its "
        "support if it persists."
    )
    assert len(script.requests) == 1
    assert sleeps.waits == []


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Tokyo"])
@pytest.mark.parametrize("form", ["asctime", "minus-zero"])
def test_a_retry_after_date_without_a_zone_is_utc(
    monkeypatch: pytest.MonkeyPatch, zone: str, form: str
) -> None:
    # HTTP dates are UTC whatever the host's zone; the asctime form and a "-0000"
    # offset parse without a zone and must not be read as local time.
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        now = datetime(2026, 12, 1, 6, 17, 10, tzinfo=UTC)
        when = now + timedelta(seconds=5)
        text = (
            when.strftime("%a %b %d %H:%M:%S %Y")
            if form == "asctime"
            else when.strftime("%a, %d %b %Y %H:%M:%S -0000")
        )
        assert parse_retry_after(text, now=now.timestamp()) == 5.0
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


async def test_429_storm_ends_in_rate_limit_error_after_the_budget(
    mode: str, fast_policy: pr.RetryPolicy, sleeps: SleepRecorder
) -> None:
    script = Script(httpx.Response(429, headers={"Retry-After": "1"}))
    with pytest.raises(pr.RateLimitError) as caught:
        await update_v3(mode, script, fast_policy)
    assert caught.value.retry_after == 1.0
    assert len(script.requests) == 3
    assert sleeps.waits == [1.0, 1.0]


async def test_html_502_from_a_proxy_is_a_server_error_after_retries(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    page = httpx.Response(
        502,
        content=b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        headers={"Content-Type": "text/html"},
    )
    script = Script(page)
    with pytest.raises(pr.ServerError) as caught:
        await update_v3(mode, script, fast_policy)
    assert len(script.requests) == 3
    assert caught.value.status == 502
    assert caught.value.code is None
    assert caught.value.message == f"PUT /v3/phone_numbers/{V3_ID} failed (text/html body)"
    # The status is said once, and there is no request id to quote.
    assert str(caught.value) == (
        f"linq-v3: PUT /v3/phone_numbers/{V3_ID} failed (text/html body) [HTTP 502]. "
        "The vendor (or a proxy in front of it) is failing; retry later."
    )


async def test_connection_failure_is_a_transport_error_after_retries(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    script = Script(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(pr.TransportError) as caught:
        await update_v3(mode, script, fast_policy)
    assert len(script.requests) == 3
    assert caught.value.status is None
    assert "could not connect" in caught.value.message


async def test_timeout_is_retried_then_succeeds(mode: str, fast_policy: pr.RetryPolicy) -> None:
    script = Script(httpx.ReadTimeout("timed out"), httpx.Response(200, json=V3_OK))
    assert await update_v3(mode, script, fast_policy) == EXPECTED
    assert len(script.requests) == 2


async def test_408_is_retried_and_ends_as_transport_error(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    script = Script(httpx.Response(408))
    with pytest.raises(pr.TransportError) as caught:
        await update_v3(mode, script, fast_policy)
    assert caught.value.status == 408
    assert len(script.requests) == 3


async def test_max_retries_zero_sends_once(mode: str, fast_policy: pr.RetryPolicy) -> None:
    script = Script(httpx.Response(503, json=V3_500))
    with pytest.raises(pr.ServerError) as caught:
        await update_v3(mode, script, fast_policy, max_retries=0)
    assert len(script.requests) == 1
    assert caught.value.code == 3006
    assert caught.value.message == "Internal server error"


async def test_success_with_undocumented_body_is_unexpected_and_not_retried(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    script = Script(httpx.Response(200, json={"ok": True}, headers={"X-Trace-ID": "cd" * 16}))
    with pytest.raises(pr.UnexpectedResponseError) as caught:
        await update_v3(mode, script, fast_policy)
    assert len(script.requests) == 1
    assert caught.value.status == 200
    assert caught.value.request_id == "cd" * 16


async def test_malformed_json_on_success_is_unexpected(
    mode: str, fast_policy: pr.RetryPolicy
) -> None:
    script = Script(
        httpx.Response(200, content=b'{"id": "550e8400', headers={"X-Trace-ID": "ef" * 16})
    )
    with pytest.raises(pr.UnexpectedResponseError) as caught:
        await update_v3(mode, script, fast_policy)
    assert caught.value.message.endswith("but the body is not valid JSON")


async def test_unknown_404_body_is_not_found(mode: str, fast_policy: pr.RetryPolicy) -> None:
    script = Script(
        httpx.Response(404, content=b"Not Found", headers={"Content-Type": "text/plain"})
    )
    with pytest.raises(pr.NotFoundError) as caught:
        await update_v3(mode, script, fast_policy)
    assert len(script.requests) == 1
    assert caught.value.status == 404


async def test_redirect_is_not_followed(mode: str, fast_policy: pr.RetryPolicy) -> None:
    script = Script(httpx.Response(302, headers={"Location": "https://evil.example/steal"}))
    with pytest.raises(pr.UnexpectedResponseError) as caught:
        await update_v3(mode, script, fast_policy)
    assert len(script.requests) == 1
    assert "https://evil.example/steal" in caught.value.message
    assert caught.value.status == 302
    assert str(caught.value).endswith(
        "Check base_url: give the API's own address, which answers without redirects."
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_real_connection_refused_is_a_transport_error(
    kind: str, fast_policy: pr.RetryPolicy, sleeps: SleepRecorder
) -> None:
    base_url = f"http://127.0.0.1:{_closed_port()}/api/partner"
    if kind == "sync":
        client = pr.connect("linq-v3", api_key="k", base_url=base_url, retry_policy=fast_policy)
        with client, pytest.raises(pr.TransportError) as caught:
            client.update_routing(V3_ID, SET)
    else:
        async with pr.connect_async(
            "linq-v3", api_key="k", base_url=base_url, retry_policy=fast_policy
        ) as ac:
            with pytest.raises(pr.TransportError) as caught:
                await ac.update_routing(V3_ID, SET)
    assert caught.value.provider == "linq-v3"
    assert "could not connect" in caught.value.message
    assert (caught.value.__cause__, caught.value.__context__) == (None, None)
    assert sleeps.waits == [0.01, 0.02]


def test_default_backoff_grows_and_is_capped() -> None:
    policy = pr.RetryPolicy(jitter=0.0)
    assert [policy.wait_seconds(None, n) for n in (1, 2, 3, 4, 5, 6)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        8.0,
    ]
    jittered = pr.RetryPolicy()
    waits = {jittered.wait_seconds(None, 1) for _ in range(50)}
    assert all(0.5 <= w <= 1.0 for w in waits)
    assert len(waits) > 1
