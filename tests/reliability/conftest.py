"""Fixtures of the reliability suite: recorded sleeps, fast retry policies, a canary key,
and emulator servers behind the installed console script."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path

import attrs
import pytest

import phonerouting as pr
from phonerouting import testing
from tests import support
from tests.support import SleepRecorder

#: Records each wait, never waits (the name this suite's tests use).
Sleeps = SleepRecorder


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


@attrs.define
class Cli(support.Cli):
    """The installed console script, run in ``folder`` with ``env`` (a config file there
    names one account per served emulator, served at ``urls``)."""

    urls: dict[str, str]


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
            urls = {name: stack.enter_context(emu.serve()) for name, emu in emulators.items()}
            accounts = {
                name: (emu.provider, urls[name], (keys or {}).get(name, emu.api_key))
                for name, emu in emulators.items()
            }
            support.write_accounts(tmp_path, accounts, env)
            return Cli(tmp_path, env, urls)

        yield serve
