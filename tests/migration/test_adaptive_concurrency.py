"""Adaptive concurrency: on 429s the engine lowers its window and its rate, and climbs
back when they stop, so a run against a rate-limited vendor needs few retries.

The ratio asserted is a count of 429 answers, not a timing.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from phonerouting import migration, testing
from phonerouting.migration.engine import START_WINDOW, _Pacer
from phonerouting.registry import adapter_for
from phonerouting.testing.wire import EmuResponse
from tests.migration.test_engine import client

pytestmark = pytest.mark.timeout(180)

PROVIDERS = tuple(testing.EMULATORS)


def _count_rate_limits(emu: testing.Emulator) -> list[int]:
    """A counter of the 429s the emulator answers (every request passes here)."""
    seen = [0]
    real = emu.handle

    def handle(*args: object) -> tuple[EmuResponse | None, float]:
        response, delay = real(*args)  # type: ignore[arg-type]
        if response is not None and response.status == 429:
            seen[0] += 1
        return response, delay

    emu.handle = handle  # type: ignore[method-assign]
    return seen


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_run_at_a_vendor_rate_limit_needs_under_5_percent_retries(
    tmp_path: Path, provider: str
) -> None:
    # 300 numbers, 32 workers, a vendor admitting 100 requests a second: without
    # adaptive concurrency about a quarter of the writes met a 429 (24% measured on
    # 2,000 numbers at 80/s); the engine must keep it under 5%, apply and rollback alike.
    field = (
        "forwarding_number"
        if adapter_for(provider).capabilities.can_set("forwarding_number")
        else "label"
    )
    source = testing.emulator(provider, 300, seed=81, populate=1.0)
    target = testing.emulator(provider, 300, seed=81, populate=0.0)
    journal = tmp_path / "j.sqlite"
    async with client(source) as src, client(target) as dst:
        plan = await migration.plan(src, dst, fields=[field])
        numbers = len(plan.to_write)
        assert numbers > 120
        target.set_rate_limit(100)
        seen = _count_rate_limits(target)
        applied = await migration.apply(plan, dst, journal=journal, concurrency=32)
        applied_429s = seen[0]
        undone = await migration.rollback(dst, journal=journal, concurrency=32)
    assert (applied.written, applied.ok) == (numbers, True)
    assert (undone.written, undone.ok) == (numbers, True)
    # The report counts every 429, those the client retried on its own included.
    assert applied.retries == applied_429s
    assert undone.retries == seen[0] - applied_429s
    assert applied.retries / numbers < 0.05, applied.retries
    assert undone.retries / numbers < 0.05, undone.retries


async def test_the_window_halves_on_a_rate_limit_and_climbs_back_additively() -> None:
    pacer = _Pacer(None, ceiling=8)
    assert (pacer.window, pacer.rate) == (START_WINDOW, None)  # a gentle start
    for _ in range(30):
        pacer.succeeded()
    assert pacer.window == 8.0  # additive growth, never above the run's concurrency
    pacer.rate_limited()
    # Halved, and paced at 80% of the 30 successes of the last second.
    assert pacer.window == 4.0
    assert pacer.rate == pytest.approx(24.0)
    pacer.rate_limited(wait=1.0)  # the same overload: no second cut
    assert (pacer.window, pacer.rate) == (4.0, pytest.approx(24.0))
    for _ in range(4):
        pacer.succeeded()
    # A window's worth of successes adds about one place; the rate climbs back by 3%
    # of the best second seen, at least one request per second per second.
    assert 4.9 < pacer.window < 5.0
    assert pacer.rate == pytest.approx(24.0 + 4 * 1.0 / 24.0, rel=0.01)


async def test_a_wave_of_rate_limits_holds_every_worker_for_the_wait() -> None:
    pacer = _Pacer(None, ceiling=8)
    loop = asyncio.get_running_loop()
    pacer.rate_limited(wait=1.0)
    pacer.rate_limited(wait=1.0)
    assert pacer._paused_until == 0.0
    pacer.rate_limited(wait=1.0)
    assert pacer._paused_until > loop.time() + 0.5


async def test_the_callers_cap_bounds_the_climb() -> None:
    pacer = _Pacer(10.0, ceiling=4)
    for _ in range(50):
        pacer.succeeded()
    assert pacer.rate == 10.0
