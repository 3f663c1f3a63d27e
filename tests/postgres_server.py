"""A real PostgreSQL server for the test session (a pytest plugin, see conftest.py).

`postgres_server` starts one server per test session (per xdist worker: each has its
own, on its own free port, in its own temporary directory, so nothing is shared between
workers and no lock is needed), with a password, and stops it at the end. `postgres_url`
gives each test a fresh database of its own on it, dropped after the test.

The server binaries are found on PATH or in Debian's /usr/lib/postgresql/<version>/bin;
.ci/run installs Debian's `postgresql` package when they are missing. PostgreSQL refuses
to run as root, so as root the server runs as the `postgres` user (`runuser`).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

_PASSWORD = "pw-" + secrets.token_hex(8)


def _binaries() -> Path:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name.split(".")[0]),
    )
    if not versions:
        pytest.fail(
            "PostgreSQL's initdb is not installed (not on PATH, nor in "
            "/usr/lib/postgresql/*/bin): install Debian's `postgresql` package, as "
            ".ci/run does",
            pytrace=False,
        )
    return Path(versions[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@attrs.frozen
class PostgresServer:
    """A running test server: the URL of its ``postgres`` database as superuser."""

    host: str
    port: int
    user: str
    password: str
    #: The server's data directory (its ``postmaster.pid`` names the server process).
    data: Path | None = None

    def url(self, database: str = "postgres") -> str:
        """The URL of ``database`` on this server, password included."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@contextlib.contextmanager
def running_server(*, durable: bool = False) -> Iterator[PostgresServer]:
    """Start a server in a fresh temporary directory on a free port; stop it after.
    ``durable`` keeps PostgreSQL's own fsync settings (for measurements); the tests' server
    skips fsync."""
    bin_dir = _binaries()
    root = Path(tempfile.mkdtemp(prefix="phonerouting-pg-"))
    data, sockets, log = root / "data", root / "sock", root / "server.log"
    sockets.mkdir()
    pwfile = root / "pw"
    pwfile.write_text(_PASSWORD)
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (root, sockets, pwfile):
            os.chown(path, user.pw_uid, user.pw_gid)
    started = False
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "--no-sync",
                    "--no-instructions",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        for attempt in range(5):
            port = _free_port()
            # fsync off: a test server holds nothing worth an fsync; crash safety
            # against the *client's* death (what the tests kill) does not need one.
            options = (
                f"-c port={port} -c listen_addresses=127.0.0.1 "
                f"-c unix_socket_directories={sockets} -c max_connections=200"
            )
            if not durable:
                options += " -c fsync=off -c full_page_writes=off"
            result = subprocess.run(
                _as_server_user(
                    [
                        str(bin_dir / "pg_ctl"),
                        "-D",
                        str(data),
                        "-l",
                        str(log),
                        "-o",
                        options,
                        "-w",
                        "-t",
                        "60",
                        "start",
                    ]
                ),
                capture_output=True,
                text=True,
                timeout=90,
            )
            if result.returncode == 0:
                started = True
                break
            if attempt == 4:  # the port was taken between the probe and the start
                raise RuntimeError(
                    f"PostgreSQL did not start: {result.stderr}\n{log.read_text()[-2000:]}"
                )
            time.sleep(0.2)
        yield PostgresServer("127.0.0.1", port, "postgres", _PASSWORD, data)
    finally:
        if started:
            subprocess.run(
                _as_server_user(
                    [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                ),
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for this test session (or xdist worker), stopped at its end."""
    with running_server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database of this test's own, dropped after it."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(postgres_server.url(), autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_server.url(name)
    finally:
        with psycopg.connect(postgres_server.url(), autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
