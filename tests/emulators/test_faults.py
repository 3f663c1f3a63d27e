"""Programmed faults: each documented kind, counts, probability, filters and
``after_effect``, answered in each vendor's own way."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

import httpx
import pytest

from phonerouting import testing
from tests.emulators.http import BASE_URLS, auth_headers, client
from tests.emulators.scenarios import (
    PROVIDERS,
    Write,
    assert_server_error,
    rate_limit_seen,
    typed,
    write,
)
from tests.support import SleepRecorder

providers = pytest.mark.parametrize("provider", PROVIDERS)


@providers
@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_is_the_vendors_envelope_and_does_not_apply(
    provider: str, status: int
) -> None:
    w = write(provider)
    fault = w.emu.faults.server_error(status)
    with client(w.emu) as http:
        assert_server_error(w.emu, w.send(http), status)
        assert not w.landed()
        assert w.send(http).status_code == 200
    assert w.landed()
    assert fault.hits == 1
    assert w.emu.faults.pending() == []


@providers
@pytest.mark.parametrize(
    ("retry_after", "wait"),
    [(None, 1), (0, 0), (0.01, 1), (1.2, 2), (2.0, 2), (2.5, 3), (30, 30)],
)
def test_429_reports_whole_seconds_rounded_up(
    provider: str, retry_after: float | None, wait: int
) -> None:
    w = write(provider)
    if retry_after is None:
        w.emu.faults.add("status", status=429)
    else:
        w.emu.faults.rate_limited(1, retry_after=retry_after)
    with client(w.emu) as http:
        response = w.send(http)
    assert response.status_code == 429
    seen, should = rate_limit_seen(provider, w.emu, response)
    # Of the same types too: Linq v3's contract says integer: 2, never 2.0 (nor 1.2).
    # A vendor that documents no rate-limit headers says nothing it was not given.
    assert typed(seen) == typed(should(wait, asked=retry_after is not None))
    assert not w.landed()


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_html_page_has_the_status_and_its_own_reason_phrase(status: int) -> None:
    w = write("linq-v3")
    w.emu.faults.html(status)
    with client(w.emu) as http:
        response = w.send(http)
    phrase = HTTPStatus(status).phrase
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html"
    assert f"<title>{status} {phrase}</title>" in response.text
    assert f"<h1>{status} {phrase}</h1>" in response.text
    if status != 502:
        assert "Bad Gateway" not in response.text
    assert not w.landed()


@providers
def test_malformed_is_a_200_with_json_cut_short(provider: str) -> None:
    w = write(provider)
    w.emu.faults.malformed()
    with client(w.emu) as http:
        response = w.send(http)
    assert response.status_code == 200
    assert response.content == b'{"data": [{"id": '
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert not w.landed()


def _recording_client(w: Write, sleeps: SleepRecorder) -> httpx.Client:
    transport = testing.EmulatorTransport(w.emu, sleep=sleeps)
    return httpx.Client(
        transport=transport,
        base_url=BASE_URLS[w.emu.provider],
        headers=auth_headers(w.emu.provider, w.emu.api_key),
    )


def test_delay_answers_normally_after_the_delay() -> None:
    w = write("close")
    sleeps = SleepRecorder()
    w.emu.faults.delay(0.5)
    with _recording_client(w, sleeps) as http:
        response = w.send(http)
    assert response.status_code == 200
    assert sleeps.waits == [0.5]
    assert w.landed()


def test_delay_past_the_read_timeout_is_a_read_timeout() -> None:
    w = write("close")
    sleeps = SleepRecorder()
    w.emu.faults.delay(30)
    with _recording_client(w, sleeps) as http, pytest.raises(httpx.ReadTimeout):
        http.request(w.method, w.path, **w.content(), timeout=httpx.Timeout(5, read=2))
    assert sleeps.waits == [2.0]  # the client gave up at its read timeout


@providers
def test_drop_closes_without_an_answer(provider: str) -> None:
    w = write(provider)
    w.emu.faults.drop()
    with client(w.emu) as http, pytest.raises(httpx.RemoteProtocolError):
        w.send(http)
    assert not w.landed()


async def test_async_transport_drops_and_answers_the_same() -> None:
    w = write("agentmessage")
    w.emu.faults.drop()
    w.emu.faults.server_error(503)
    async with httpx.AsyncClient(
        transport=w.emu.async_transport(),
        base_url=BASE_URLS["agentmessage"],
        headers=auth_headers("agentmessage", w.emu.api_key),
    ) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.patch(w.path, json=w.body)
        unavailable = await http.patch(w.path, json=w.body)
        ok = await http.patch(w.path, json=w.body)
    assert_server_error(w.emu, unavailable, 503)
    assert ok.status_code == 200
    assert w.landed()


def test_count_then_normal_answers_and_count_none_until_clear() -> None:
    w = write("linq-v2")
    fault = w.emu.faults.server_error(500, count=2)
    with client(w.emu) as http:
        assert [w.send(http).status_code for _ in range(3)] == [500, 500, 200]
        assert fault.hits == 2
        assert fault.remaining == 0
        assert w.emu.faults.pending() == []
        forever = w.emu.faults.server_error(503, count=None)
        assert [w.send(http).status_code for _ in range(4)] == [503] * 4
        assert forever.hits == 4
        assert forever.remaining is None
        w.emu.faults.clear()
        assert w.send(http).status_code == 200


def _pattern(seed: int, probability: float, n: int = 40) -> list[int]:
    w = write("linq-v3", seed=seed)
    w.emu.faults.add("status", status=503, count=None, probability=probability)
    with client(w.emu) as http:
        return [w.send(http).status_code for _ in range(n)]


def test_probability_hits_a_fraction_repeatably_for_a_seed() -> None:
    first, again = _pattern(7, 0.5), _pattern(7, 0.5)
    assert first == again
    assert set(first) == {200, 503}
    assert _pattern(7, 0.0) == [200] * 40
    assert _pattern(7, 1.0) == [503] * 40


def test_method_and_path_filters() -> None:
    w = write("agentmessage")
    campaign = w.emu.add_campaign()  # type: ignore[attr-defined]
    w.emu.faults.server_error(500, count=None, method="patch")
    w.emu.faults.server_error(503, count=None, path="/campaign")
    with client(w.emu) as http:
        listed = http.get("/v1/phone-numbers")
        got = http.get(w.path)
        patched = w.send(http)
        attached = http.post(f"{w.path}/campaign", json={"campaign_id": campaign})
    assert (listed.status_code, got.status_code) == (200, 200)
    assert patched.status_code == 500
    assert attached.status_code == 503


@providers
@pytest.mark.parametrize("kind", ["status", "html", "malformed", "drop"])
@pytest.mark.parametrize("after_effect", [True, False])
def test_after_effect_applies_the_write_then_answers_the_fault(
    provider: str, kind: str, after_effect: bool
) -> None:
    w = write(provider)
    w.emu.faults.add(kind, status=503 if kind != "malformed" else None, after_effect=after_effect)  # type: ignore[arg-type]
    with client(w.emu) as http:
        if kind == "drop":
            with pytest.raises(httpx.RemoteProtocolError):
                w.send(http)
        else:
            response = w.send(http)
            assert response.status_code == (200 if kind == "malformed" else 503)
            if kind == "status":
                assert_server_error(w.emu, response, 503)
    assert w.landed() is after_effect


def test_faulted_requests_are_logged_too() -> None:
    w = write("close")
    w.emu.faults.drop()
    w.emu.faults.html(502)
    with client(w.emu) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            w.send(http)
        w.send(http)
    assert [(r.method, r.json) for r in w.emu.requests] == [("PUT", w.body), ("PUT", w.body)]


@providers
def test_a_server_error_with_a_wait_says_when_to_come_back(provider: str) -> None:
    w = write(provider)
    w.emu.faults.server_error(503, retry_after=2.5)
    with client(w.emu) as http:
        response = w.send(http)
    assert_server_error(w.emu, response, 503)
    assert response.headers["Retry-After"] == "3"
    w.emu.faults.server_error(503)
    with client(w.emu) as http:
        assert "Retry-After" not in w.send(http).headers


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"kind": "server_error"}, "unknown fault kind 'server_error'"),
        ({"kind": "status", "count": 0}, "count must be at least 1"),
        ({"kind": "drop", "probability": 1.5}, "probability must be from 0 to 1"),
    ],
)
def test_a_fault_that_cannot_be_is_refused(options: dict[str, Any], message: str) -> None:
    emu = testing.emulator("close")
    with pytest.raises(ValueError, match=message):
        emu.faults.add(**options)
    assert emu.faults.pending() == []
