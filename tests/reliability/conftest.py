"""Fixtures of the reliability suite: recorded sleeps, fast retry policies, a canary key,
and emulator servers behind the installed console script.

Self-contained on purpose: nothing here is imported from the other suites.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path

import attrs
import pytest

import phonerouting as pr
from phonerouting import testing

SCRIPT = Path(sys.executable).parent / "phonerouting"


class Sleeps:
    """Stands in for time.sleep / asyncio.sleep: records each wait, never waits."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    """The waits a client asked for, in order."""
    return Sleeps()


@pytest.fixture
def policy(sleeps: Sleeps) -> pr.RetryPolicy:
    """Backoff 0.01 s doubling to 0.04 s, no jitter, default max_wait (60 s); records waits."""
    return pr.RetryPolicy(
        backoff_initial=0.01, backoff_max=0.04, jitter=0.0, sleep=sleeps, async_sleep=sleeps.asleep
    )


@pytest.fixture
def canary() -> str:
    """A fresh API key that must never show up anywhere."""
    return "sk_canary_" + secrets.token_hex(16)


@attrs.frozen
class Result:
    code: int
    out: str
    err: str


@attrs.define
class Cli:
    """The installed console script, run in ``folder`` with ``env`` (a config file there
    names one account per served emulator)."""

    folder: Path
    env: dict[str, str]
    urls: dict[str, str]

    def run(self, *args: str, timeout: float = 30) -> Result:
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


ServeFn = Callable[[Mapping[str, testing.Emulator], Mapping[str, str]], Cli]


@pytest.fixture
def serve_cli(tmp_path: Path) -> Iterator[ServeFn]:
    """Serve emulators on loopback and write ``phonerouting.toml`` naming them.

    Call it with name → emulator and, optionally, name → the key the account sends
    (default: the emulator's own key). Servers stop at the end of the test.
    """
    with ExitStack() as stack:

        def serve(
            emulators: Mapping[str, testing.Emulator], keys: Mapping[str, str] | None = None
        ) -> Cli:
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith("PHONEROUTING") and "KEY" not in k and "TOKEN" not in k
            }
            lines: list[str] = []
            urls: dict[str, str] = {}
            for name, emu in emulators.items():
                urls[name] = stack.enter_context(emu.serve())
                variable = f"RELIABILITY_{name.upper()}_SECRET"
                env[variable] = (keys or {}).get(name, emu.api_key)
                lines += [
                    f"[accounts.{name}]",
                    f'provider = "{emu.provider}"',
                    f'key_env = "{variable}"',
                    f'base_url = "{urls[name]}"',
                    "",
                ]
            (tmp_path / "phonerouting.toml").write_text("\n".join(lines))
            return Cli(tmp_path, env, urls)

        yield serve
