"""Named accounts from a TOML file, for the command line and scripts.

```toml
[accounts.old]
provider = "linq-v2"
key_env = "LINQ_INTEGRATION_TOKEN"      # the key is read from this variable, never stored
base_url = "https://api.linqapp.com"    # optional
```

The file is ``--config``, else ``$PHONEROUTING_CONFIG``, else ``phonerouting.toml`` in the
working directory. Without a file (or an entry), an account can be named by its provider
name and uses that provider's default environment variable.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from phonerouting.async_client import AsyncClient
from phonerouting.client import Client
from phonerouting.connect import connect, connect_async
from phonerouting.errors import ConfigurationError
from phonerouting.registry import PROVIDERS, adapter_for

__all__ = ["Account", "load_accounts", "resolve_account"]

DEFAULT_FILE = "phonerouting.toml"
CONFIG_ENV = "PHONEROUTING_CONFIG"

_HINT = (
    f"Fix the accounts file ({DEFAULT_FILE}, --config or ${CONFIG_ENV}) or the account "
    "name; no request was sent."
)


def _config_error(message: str) -> ConfigurationError:
    return ConfigurationError(message, hint=_HINT)


@attrs.frozen
class Account:
    """A provider account: which vendor, where its key lives, which URL."""

    name: str
    provider: str
    key_env: str
    base_url: str | None = None

    def api_key(self) -> str:
        """The key, read from `key_env` now."""
        key = os.environ.get(self.key_env)
        if not key:
            raise ConfigurationError(
                f"account {self.name!r} ({self.provider}) needs its API key in the "
                f"{self.key_env} environment variable, which is not set or empty",
                provider=self.provider,
                hint=f"Set {self.key_env} in the environment; no request was sent.",
            )
        return key

    def connect(self, **options: Any) -> Client:
        """A sync client for this account."""
        return connect(self.provider, api_key=self.api_key(), base_url=self.base_url, **options)

    def connect_async(self, **options: Any) -> AsyncClient:
        """An async client for this account."""
        return connect_async(
            self.provider, api_key=self.api_key(), base_url=self.base_url, **options
        )


def _config_path(path: str | Path | None) -> Path | None:
    if path is not None:
        return Path(path)
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    default = Path(DEFAULT_FILE)
    return default if default.exists() else None


def _account(name: str, entry: Any, source: Path) -> Account:
    if not isinstance(entry, Mapping):
        raise _config_error(f"{source}: [accounts.{name}] must be a table")
    unknown = set(entry) - {"provider", "key_env", "base_url"}
    if unknown:
        raise _config_error(
            f"{source}: [accounts.{name}] has unknown keys {sorted(unknown)}; "
            "allowed: provider, key_env, base_url (keys go in the environment, never here)"
        )
    provider = entry.get("provider")
    if provider not in PROVIDERS:
        raise _config_error(
            f"{source}: [accounts.{name}] provider must be one of {', '.join(PROVIDERS)}"
        )
    key_env = entry.get("key_env", adapter_for(provider).api_key_env)
    base_url = entry.get("base_url")
    if not isinstance(key_env, str) or not key_env:
        raise _config_error(
            f"{source}: [accounts.{name}] key_env must be a non-empty string (a variable name)"
        )
    if base_url is not None and not isinstance(base_url, str):
        raise _config_error(f"{source}: [accounts.{name}] base_url must be a string")
    return Account(name, provider, key_env, base_url)


def load_accounts(path: str | Path | None = None) -> dict[str, Account]:
    """The accounts of the config file (none when there is no file)."""
    source = _config_path(path)
    if source is None:
        return {}
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _config_error(f"config file {str(source)!r} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _config_error(f"cannot read config file {str(source)!r}: {exc}") from None
    accounts = data.get("accounts", {})
    if not isinstance(accounts, Mapping):
        raise _config_error(f"{source}: [accounts] must be a table")
    return {name: _account(name, entry, source) for name, entry in accounts.items()}


def resolve_account(name: str, path: str | Path | None = None) -> Account:
    """The account called ``name``: from the config file, else a provider's default."""
    accounts = load_accounts(path)
    if name in accounts:
        return accounts[name]
    if name in PROVIDERS:
        return Account(name, name, adapter_for(name).api_key_env)
    known = sorted(accounts) + list(PROVIDERS)
    raise _config_error(f"unknown account {name!r}; known: {', '.join(known)}")
