"""Run the installed ``phonerouting`` console script against emulator servers."""

from __future__ import annotations

import os
import pty
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from phonerouting import testing
from tests.support import SCRIPT, Cli, Result, write_accounts

__all__ = ["SCRIPT", "Cli", "Result", "drain", "served", "with_terminal_stderr"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Cli, dict[str, testing.Emulator]]]:
    """Four emulator servers on loopback and a config naming them old/new/close/am."""
    emulators: dict[str, testing.Emulator] = {
        "old": testing.LinqV2Emulator(30, seed=21, populate=1.0, api_key="key-old-0001"),
        "new": testing.LinqV3Emulator(30, seed=21, populate=0.0, api_key="key-new-0002"),
        "crm": testing.CloseEmulator(5, seed=21, api_key="key-crm-0003"),
        "am": testing.AgentMessageEmulator(5, seed=21, api_key="am_live_key0004"),
    }
    contexts = {name: emu.serve() for name, emu in emulators.items()}
    urls = {name: ctx.__enter__() for name, ctx in contexts.items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHONEROUTING")}
    accounts = {n: (e.provider, urls[n], e.api_key) for n, e in emulators.items()}
    write_accounts(tmp_path, accounts, env)
    try:
        yield Cli(tmp_path, env), emulators
    finally:
        for ctx in contexts.values():
            ctx.__exit__(None, None, None)


def drain(master: int) -> str:
    """Everything left to read on a pty's master side (then closed)."""
    chunks = []
    try:
        while chunk := os.read(master, 65536):
            chunks.append(chunk)
    except OSError:  # the other side closed: Linux says EIO
        pass
    os.close(master)
    return b"".join(chunks).decode(errors="replace")


def with_terminal_stderr(cli: Cli, *args: str) -> tuple[int, str, str]:
    """Run the script with a terminal (a pty) as stderr: (exit code, stdout, terminal)."""
    master, slave = pty.openpty()
    done = subprocess.run(
        [str(SCRIPT), *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=cli.env,
        cwd=cli.folder,
        timeout=60,
        check=False,
    )
    os.close(slave)
    return done.returncode, done.stdout.decode(), drain(master)
