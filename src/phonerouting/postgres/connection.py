"""Database URLs and connections: psycopg is imported here, and only when first used."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from phonerouting.errors import ConfigurationError

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import AsyncConnectionPool

__all__ = [
    "DatabaseError",
    "PostgresNotInstalledError",
    "connect",
    "is_url",
    "open_pool",
    "redacted",
    "split_url",
]

_SCHEMES = ("postgresql://", "postgres://")
#: How long a connection attempt may take before it is reported as unreachable.
CONNECT_TIMEOUT = 10


class PostgresNotInstalledError(ConfigurationError):
    """A PostgreSQL URL was given, but the optional PostgreSQL support (psycopg 3) is
    not installed."""

    hint = "Install it with: pip install 'phonerouting[postgresql]'."
    cli_hint = hint  # the same advice on the command line (not ConfigurationError's)


class DatabaseError(ConfigurationError):
    """The PostgreSQL server could not be reached or refused the connection (wrong host,
    port, database, user or password), or a schema upgrade on it failed. The message
    names the database without its password and quotes the server's reason. A
    `ConfigurationError`: the command line exits with 2, as for any setup mistake."""

    hint = (
        "Check the URL (host, port, database name, user and password) and that the "
        "PostgreSQL server is running and reachable from here, then run this again."
    )
    cli_hint = hint  # the same advice on the command line (not ConfigurationError's)


def is_url(text: object) -> bool:
    """True when ``text`` is a PostgreSQL URL (``postgresql://`` or ``postgres://``)
    rather than a file path."""
    return isinstance(text, str) and text.lower().startswith(_SCHEMES)


def redacted(url: str) -> str:
    """``url`` without its password (in the authority or a ``password=`` parameter), to
    name the database in messages, logs and reprs."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = [
        (key, "***" if key.lower() == "password" else value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="*"), ""))


def split_url(url: str, options: Collection[str]) -> tuple[str, dict[str, str]]:
    """Take phonerouting's own query parameters (``options``) off ``url``: the URL the
    driver is given, and those parameters' values (libpq refuses parameters it does
    not know)."""
    parts = urlsplit(url)
    ours: dict[str, str] = {}
    theirs: list[tuple[str, str]] = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in options:
            ours[key] = value
        else:
            theirs.append((key, value))
    rest = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(theirs), parts.fragment))
    return rest, ours


def _password(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.password:
        return parts.password
    for key, value in parse_qsl(parts.query):
        if key.lower() == "password":
            return value
    return None


def scrubbed(message: str, url: str) -> str:
    """A driver's message with the URL's password taken out, should it quote it."""
    secret = _password(url)
    return message.replace(secret, "***") if secret else message


def _driver() -> Any:
    try:
        import psycopg  # optional: imported only once a database is used
    except ImportError:
        raise PostgresNotInstalledError(
            "PostgreSQL support is not installed (psycopg 3 is missing)"
        ) from None
    return psycopg


def unreachable(url: str, exc: BaseException) -> DatabaseError:
    """The `DatabaseError` for a connection to ``url`` that failed with ``exc``."""
    reason = re.sub(r"\s+", " ", str(exc)).strip() or type(exc).__name__
    return DatabaseError(f"cannot connect to {redacted(url)}: {scrubbed(reason, url)}")


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """One synchronous connection to ``url`` (close it, or use it in ``with``).

    Raises:
        PostgresNotInstalledError: psycopg is not installed.
        DatabaseError: the server cannot be reached or refused the connection.
    """
    driver = _driver()
    try:
        connection: psycopg.Connection[Any] = driver.Connection.connect(
            url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT
        )
    except driver.Error as exc:
        raise unreachable(url, exc) from None
    return connection


async def open_pool(
    url: str,
    *,
    min_size: int = 1,
    max_size: int = 10,
    name: str = "phonerouting",
    settings: Mapping[str, str] | None = None,
) -> AsyncConnectionPool:
    """An opened pool of async autocommit connections to ``url``; close it with
    ``await pool.close()``. ``settings`` are server settings (``SET name = value``) made
    on every connection of the pool, e.g. ``{"synchronous_commit": "off"}``.

    One connection is made first, directly, so that a wrong URL or a server that is down
    is reported at once with the server's reason (a pool would only time out).

    Raises:
        PostgresNotInstalledError: psycopg (or psycopg_pool) is not installed.
        DatabaseError: the server cannot be reached or refused the connection.
    """
    driver = _driver()
    try:
        from psycopg_pool import AsyncConnectionPool  # optional, as psycopg
    except ImportError:
        raise PostgresNotInstalledError(
            "PostgreSQL support is not installed (psycopg_pool is missing)"
        ) from None
    try:
        probe = await driver.AsyncConnection.connect(url, connect_timeout=CONNECT_TIMEOUT)
    except driver.Error as exc:
        raise unreachable(url, exc) from None
    await probe.close()
    pairs = sorted((settings or {}).items())

    async def configure(connection: psycopg.AsyncConnection[Any]) -> None:
        for key, value in pairs:
            await connection.execute("SELECT set_config(%s, %s, false)", (key, value))

    pool = AsyncConnectionPool(
        url,
        min_size=min_size,
        max_size=max(min_size, max_size),
        kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT},
        configure=configure if pairs else None,
        name=name,
        open=False,
    )
    try:
        await pool.open(wait=True, timeout=CONNECT_TIMEOUT)
    except Exception as exc:
        await pool.close()
        raise unreachable(url, exc) from None
    return pool
