"""Helpers shared by the test modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import attrs

#: The installed console script of the virtualenv running the tests.
SCRIPT = Path(sys.executable).parent / "phonerouting"


class SleepRecorder:
    """Stands in for time.sleep / asyncio.sleep and records every wait asked for."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.waits.append(seconds)


@attrs.frozen
class Result:
    """What one run of the console script did."""

    code: int
    out: str
    err: str


@attrs.define
class Cli:
    """The console script, run in ``folder`` with ``env`` (a config file there names
    emulator-backed accounts)."""

    folder: Path
    env: dict[str, str]

    def run(self, *args: str, timeout: float = 60) -> Result:
        done = subprocess.run(
            [str(SCRIPT), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [str(SCRIPT), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
        )
