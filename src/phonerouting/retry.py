"""When and how long to retry: the decisions, with no I/O.

Retried: connection failures and timeouts (`TransportError`, which includes
HTTP 408), `RateLimitError` (429) and `ServerError` (5xx). Never retried:
any other 4xx, and unexpected bodies. The wait is the vendor's own when it gives one
(``Retry-After`` on a 429 or a 503, linq-v3's ``retry_after``, Close's ``RateLimit``
reset), otherwise exponential backoff with jitter. Every operation this library sends is idempotent
(GET, PUT, PATCH, DELETE of a campaign link), so a retry never applies a change twice.

`RetryPolicy.wait_after` is the whole decision after a failed attempt: raise, or wait
this long. The protocol core (`phonerouting.core`) asks it and yields the wait, which the
sync driver sleeps with `RetryPolicy.sleep` and the async one with
`RetryPolicy.async_sleep`; a call that succeeds pays nothing for retries.
"""

from __future__ import annotations

import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs

from phonerouting.errors import (
    ConfigurationError,
    RateLimitError,
    RoutingError,
    ServerError,
    TransportError,
)
from phonerouting.inputs import in_range

__all__ = ["RetryPolicy"]

_T = TypeVar("_T")
logger = logging.getLogger("phonerouting")

#: The longest any one wait may be, in seconds. Past it ``time.sleep`` itself fails
#: (an infinite or 1e300 s backoff), and no retry of one request is worth a day.
MAX_SECONDS = 86_400.0


def _count(instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    del instance
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError(
            f"RetryPolicy.{attribute.name} must be a whole number >= 0, not {value!r}"
        )


def _seconds(instance: object, attribute: attrs.Attribute[float], value: object) -> None:
    del instance
    if not in_range(value, 0, MAX_SECONDS):
        raise ConfigurationError(
            f"RetryPolicy.{attribute.name} must be a number of seconds from 0 to "
            f"{MAX_SECONDS:g}, not {value!r}"
        )


async def _asyncio_sleep(seconds: float) -> None:
    """``asyncio.sleep``, imported when first awaited: ``import phonerouting`` stays
    free of asyncio for sync users."""
    import asyncio

    await asyncio.sleep(seconds)


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How a client retries. The defaults suit production; tests shorten the backoff.

    Attributes:
        max_retries: retries after the first attempt (so ``max_retries + 1`` attempts).
        backoff_initial: the first backoff in seconds, doubled on each retry.
        backoff_max: the longest backoff between two attempts, in seconds.
        jitter: up to this many seconds of random jitter added to each backoff.
        max_wait: a vendor asking us to wait longer than this (``Retry-After``,
            linq-v3 ``retry_after``, Close ``RateLimit reset``) is not slept on: the
            `RateLimitError` is raised at once so a bulk caller can schedule.
        sleep: the function that sleeps (sync clients).
        async_sleep: the coroutine function that sleeps (async clients).

    Raises:
        ConfigurationError: a count that is not a whole number >= 0, or a duration
            that is not a finite number of seconds from 0 to a day.
    """

    max_retries: int = attrs.field(default=2, validator=_count)
    backoff_initial: float = attrs.field(default=0.5, validator=_seconds)
    backoff_max: float = attrs.field(default=8.0, validator=_seconds)
    jitter: float = attrs.field(default=0.5, validator=_seconds)
    max_wait: float = attrs.field(default=60.0, validator=_seconds)
    sleep: Callable[[float], None] = time.sleep
    async_sleep: Callable[[float], Awaitable[None]] = _asyncio_sleep

    def is_retryable(self, error: BaseException) -> bool:
        """True when ``error`` is worth another attempt under this policy."""
        if not isinstance(error, RateLimitError | TransportError | ServerError):
            return False
        # A vendor asking for a longer wait than the cap is answered at once, so a bulk
        # caller can schedule instead of sleeping here.
        return error.retry_after is None or error.retry_after <= self.max_wait

    def wait_seconds(self, error: BaseException | None, attempt: int) -> float:
        """How long to wait after failed attempt number ``attempt`` (1-based)."""
        if isinstance(error, RoutingError) and error.retry_after is not None:
            return error.retry_after
        # The exponent is capped: 2.0 ** 1100 overflows, and 2 ** 60 already exceeds
        # any backoff_max.
        backoff = min(self.backoff_max, self.backoff_initial * 2.0 ** min(attempt - 1, 60))
        return backoff + random.uniform(0, self.jitter)  # noqa: S311 - jitter, not crypto

    def wait_after(self, error: RoutingError, attempt: int) -> float:
        """The seconds to wait before retrying after failed attempt number ``attempt``
        (1-based), logged as a warning; raises ``error`` itself when it is final (not
        retryable, or the last attempt allowed)."""
        if attempt > self.max_retries or not self.is_retryable(error):
            raise error
        wait = self.wait_seconds(error, attempt)
        logger.warning(
            "retrying after %s (attempt %d of %d) in %.2f s",
            _describe(error),
            attempt + 1,
            self.max_retries + 1,
            wait,
        )
        return wait

    def call(self, attempt: Callable[[], _T]) -> _T:
        """Run ``attempt`` and retry it as this policy says (sync)."""
        for number in itertools.count(1):
            try:
                return attempt()
            except RoutingError as error:
                wait = self.wait_after(error, number)
            self.sleep(wait)
        raise AssertionError("unreachable")

    async def acall(self, attempt: Callable[[], Awaitable[_T]]) -> _T:
        """Run ``attempt`` and retry it as this policy says (async)."""
        number = 0
        while True:
            number += 1
            try:
                return await attempt()
            except RoutingError as error:
                await self.async_sleep(self.wait_after(error, number))


def _describe(error: BaseException | None) -> str:
    if isinstance(error, RoutingError):
        status = f"HTTP {error.status}" if error.status is not None else "no response"
        return f"{type(error).__name__} ({status}) from {error.provider}"
    return repr(error)
