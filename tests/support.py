"""Helpers shared by the test modules."""

from __future__ import annotations


class SleepRecorder:
    """Stands in for time.sleep / asyncio.sleep and records every wait asked for."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.waits.append(seconds)
