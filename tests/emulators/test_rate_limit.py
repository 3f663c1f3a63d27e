"""The requests-per-second limiter: a token bucket on a clock the test steps by hand."""

from __future__ import annotations

import httpx
import pytest

from phonerouting import testing
from tests.emulators.http import client, list_path
from tests.emulators.scenarios import PROVIDERS, Write, rate_limit_seen, typed, write


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limited(provider: str, per_second: float) -> tuple[Write, Clock]:
    """A write on an emulator limited to ``per_second``, on a hand-stepped clock."""
    w = write(provider)
    clock = Clock()
    w.emu.clock = clock
    w.emu.set_rate_limit(per_second)
    return w, clock


def _statuses(http: httpx.Client, w: Write, n: int) -> list[int]:
    return [w.send(http).status_code for _ in range(n)]


def test_a_burst_of_the_rate_passes_then_429_until_a_token_refills() -> None:
    w, clock = limited("linq-v3", 2)
    with client(w.emu) as http:
        assert _statuses(http, w, 3) == [200, 200, 429]
        clock.now += 0.5  # one token at 2/s
        assert _statuses(http, w, 2) == [200, 429]
        clock.now += 10  # the bucket holds at most 2
        assert _statuses(http, w, 3) == [200, 200, 429]


def test_a_rate_below_one_per_second_still_admits_requests() -> None:
    w, clock = limited("agentmessage", 0.5)
    with client(w.emu) as http:
        first = w.send(http)
        refused = w.send(http)
        clock.now += 1.0
        still = w.send(http)
        clock.now += 1.0
        again = w.send(http)
    assert first.status_code == 200
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "2")
    assert (still.status_code, still.headers["Retry-After"]) == (429, "1")
    assert again.status_code == 200


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_limiters_429_is_the_vendors_with_the_wait_rounded_up(provider: str) -> None:
    w, _clock = limited(provider, 0.4)  # the next token is 2.5 s away
    with client(w.emu) as http:
        assert http.get(list_path(w.emu)).status_code == 200
        refused = w.send(http)
    assert refused.status_code == 429
    # Every wait the vendor states (its Retry-After, Linq v3's integer
    # error.retry_after, Close's RateLimit with the configured limit, Telnyx's
    # x-ratelimit-reset, not a constant): 3, rounded up.
    seen, should = rate_limit_seen(provider, w.emu, refused)
    assert typed(seen) == typed(should(3))
    assert not w.landed()


def test_close_ratelimit_header_reports_the_configured_limit() -> None:
    w, _ = limited("close", 5)
    with client(w.emu) as http:
        statuses = _statuses(http, w, 6)
        refused = w.send(http)
    assert statuses == [200] * 5 + [429]
    assert refused.headers["RateLimit"] == "limit=5, remaining=0, reset=1"
    assert refused.headers["Retry-After"] == "1"


def test_none_lifts_the_limit_and_a_non_positive_rate_is_refused() -> None:
    w, _ = limited("linq-v2", 1)
    with client(w.emu) as http:
        assert _statuses(http, w, 2) == [200, 429]
        w.emu.set_rate_limit(None)
        assert _statuses(http, w, 5) == [200] * 5
    assert w.emu.rate_limit is None
    for bad in (0, -1.0):
        with pytest.raises(ValueError, match="per_second must be positive"):
            w.emu.set_rate_limit(bad)


def test_rate_limit_and_burst_are_readable() -> None:
    emu = testing.emulator("close")
    emu.set_rate_limit(2.5)
    assert (emu.rate_limit, emu.rate_burst) == (2.5, 2)
    emu.set_rate_limit(0.25)
    assert (emu.rate_limit, emu.rate_burst) == (0.25, 1)
