"""What the service serves: its accounts, its tokens, its store and its settings.

`ServerConfig.from_file` reads them from the accounts file (``phonerouting.toml``):
``[accounts.NAME]`` as every command reads them, ``[tokens.NAME]`` (role, hash, optional
accounts) from `phonerouting token create`, and an optional ``[server]`` table::

    [server]
    store = "phonerouting.sqlite"   # default: beside the accounts file; or a
                                    # postgresql:// URL (docs/server.md, PostgreSQL)
    refresh_max_age = 3600          # seconds before the inventory is read again
    concurrency = 8                 # numbers a change set or migration writes at once
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import attrs

from phonerouting.accounts import load_accounts
from phonerouting.errors import ConfigurationError
from phonerouting.inputs import in_range
from phonerouting.protocol import AsyncPhoneNumberRouting
from phonerouting.server.auth import FailureThrottle, TokenEntry, token_entries
from phonerouting.store import Store, is_postgres_url, store_at

__all__ = ["AccountSpec", "ServerConfig"]

#: The largest request body accepted, in bytes.
MAX_BODY = 1024 * 1024


@attrs.frozen
class AccountSpec:
    """One account the service serves: its name, provider, and how to connect to it
    (called once, when the service starts; it reads the credentials then)."""

    name: str
    provider: str
    connect: Callable[[], AsyncPhoneNumberRouting] = attrs.field(eq=False, repr=False)


@attrs.define
class ServerConfig:
    """Everything `phonerouting.server.create_app` needs."""

    accounts: Mapping[str, AccountSpec]
    tokens: Mapping[str, TokenEntry]
    store: Store
    #: Seconds after which an account's inventory is read again (None: only on start
    #: and on POST /accounts/{name}/refresh).
    refresh_max_age: float | None = 3600.0
    #: Start only once every account's first read has ended (tests, scripts); the
    #: service otherwise reads them in the background and /readyz waits for them.
    wait_for_inventory: bool = False
    #: Numbers a change set or migration writes at once (per account).
    concurrency: int = 8
    max_body: int = MAX_BODY
    throttle: FailureThrottle = attrs.Factory(FailureThrottle)
    #: How the service waits (replaced in tests to see the waits without taking them).
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep

    @classmethod
    def from_file(
        cls, path: str | Path, *, store: str | Path | None = None, **settings: Any
    ) -> ServerConfig:
        """The configuration in the accounts file at ``path``; ``store`` overrides
        its ``[server] store`` (default: ``<file's stem>.sqlite`` beside it)."""
        source = Path(path)
        accounts = load_accounts(source)
        data = tomllib.loads(source.read_text(encoding="utf-8"))
        tokens = token_entries(data.get("tokens"), str(source))
        server = data.get("server", {})
        hint = f"Fix the [server] table of {source}."
        if not isinstance(server, Mapping):
            raise ConfigurationError(f"{source}: [server] must be a table", hint=hint)
        unknown = set(server) - {"store", "refresh_max_age", "concurrency"}
        if unknown:
            raise ConfigurationError(
                f"{source}: [server] has unknown keys {sorted(unknown)}; allowed: store, "
                "refresh_max_age, concurrency",
                hint=hint,
            )
        age = server.get("refresh_max_age", 3600)
        if not in_range(age, 0, 10**9, low_open=True):
            raise ConfigurationError(
                f"{source}: [server] refresh_max_age must be a number of seconds above 0",
                hint=hint,
            )
        concurrency = server.get("concurrency", 8)
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ConfigurationError(
                f"{source}: [server] concurrency must be a whole number >= 1", hint=hint
            )
        where = store if store is not None else server.get("store")
        if where is None:
            store_path: str | Path = source.with_suffix(".sqlite")
        elif is_postgres_url(where):
            store_path = str(where)
        else:
            store_path = Path(where)
            if not store_path.is_absolute() and store is None:
                store_path = source.parent / store_path
        for name, entry in tokens.items():
            unknown_accounts = sorted((entry.accounts or frozenset()) - set(accounts))
            if unknown_accounts:
                raise ConfigurationError(
                    f"{source}: [tokens.{name}] names accounts the file does not have: "
                    f"{', '.join(unknown_accounts)}",
                    hint=f"Fix the accounts of [tokens.{name}] in {source}.",
                )
        specs = {
            name: AccountSpec(name, account.provider, account.connect_async)
            for name, account in accounts.items()
        }
        options: dict[str, Any] = {
            "refresh_max_age": float(age),
            "concurrency": concurrency,
            **settings,
        }
        return cls(specs, tokens, store_at(store_path), **options)
