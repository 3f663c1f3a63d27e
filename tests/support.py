"""Helpers shared by the test modules."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

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


def write_accounts(
    folder: Path, accounts: Mapping[str, tuple[str, str, str]], env: dict[str, str]
) -> None:
    """Write ``folder/phonerouting.toml`` naming ``name -> (provider, base_url, key)``
    accounts; each key goes into ``env`` under a variable the file names."""
    lines: list[str] = []
    for name, (provider, base_url, key) in accounts.items():
        variable = f"TEST_{name.upper().replace('-', '_')}_SECRET"
        env[variable] = key
        lines += [
            f"[accounts.{name}]",
            f'provider = "{provider}"',
            f'key_env = "{variable}"',
            f'base_url = "{base_url}"',
            "",
        ]
    (folder / "phonerouting.toml").write_text("\n".join(lines))


#: A valid value for each of the seven fields issue 11 added, which none of the four
#: built-in vendors has (their adapter tests refuse each one).
NEW_FIELD_VALUES: dict[str, object] = {
    "voice_url": "https://hooks.example.com/voice",
    "voice_fallback_url": "https://hooks.example.com/voice-fallback",
    "inbound_fallback_url": "https://hooks.example.com/inbound-fallback",
    "call_status_url": "https://hooks.example.com/call-status",
    "connection_id": "1293384261075731499",
    "messaging_profile_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "tags": ["front-desk"],
}


def numbered_request_ids(emu: Any, value: Callable[[int], str] | None = None) -> str | None:
    """Make emulator ``emu`` answer its n-th request (1-based, in its log) with request
    id ``rid-n`` (or ``value(n)``) in the vendor's request id header, so a test knows
    exactly which id each answer carried. The header's name; None, and nothing
    changed, for a vendor that sends no request id (its adapter names no header)."""
    from phonerouting.registry import adapter_for

    header = adapter_for(emu.provider).request_id_header
    if header is None:
        return None

    def headers() -> dict[str, str]:
        n = len(emu.requests)
        return {header: f"rid-{n}" if value is None else value(n)}

    emu.common_headers = headers
    return header


def last_write_to(emu: Any, number_id: str = "") -> int:
    """The 1-based place in ``emu``'s log of the last request that wrote (anything but
    a GET) to a path holding ``number_id``."""
    writes = [i for i, r in enumerate(emu.requests, 1) if r.method != "GET" and number_id in r.path]
    assert writes, f"no write reached {number_id or 'the emulator'}"
    return writes[-1]
