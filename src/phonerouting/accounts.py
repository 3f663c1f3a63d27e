"""Named accounts from a TOML file, for the command line and scripts.

```toml
[accounts.old]
provider = "linq-v2"
key_env = "LINQ_INTEGRATION_TOKEN"      # the key is read from this variable, never stored
base_url = "https://api.linqapp.com"    # optional
timeout = 30                            # optional: seconds per request (default 10)
max_retries = 4                         # optional: retries after the first attempt (default 2)
```

The file is ``--config``, else ``$PHONEROUTING_CONFIG``, else ``phonerouting.toml`` in the
working directory. Without a file (or an entry), an account can be named by its provider
name and uses that provider's default environment variable.

A provider that declares more credentials than one key (see docs/writing-a-provider.md)
takes each by name: inline for a non-secret one (``account_id = "AC..."``), or from the
variable ``<name>_env`` names, for any (``token_env = "ACME_TOKEN_PROD"``);
``key_env`` (or ``<name>_env``) names the variable of its first secret one.

Every ``*_env`` setting names an environment variable in the conventional form
(upper-case letters, digits and ``_``, not starting with a digit). A value of any other
form is refused without being shown: it is most likely a key pasted where its
variable's name belongs.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import attrs

from phonerouting.adapters.base import Adapter, Credential
from phonerouting.async_client import AsyncClient
from phonerouting.client import Client
from phonerouting.connect import connect, connect_async
from phonerouting.errors import ConfigurationError
from phonerouting.inputs import in_range
from phonerouting.registry import adapter_for, providers
from phonerouting.retry import MAX_SECONDS

__all__ = ["Account", "load_accounts", "resolve_account"]

DEFAULT_FILE = "phonerouting.toml"
CONFIG_ENV = "PHONEROUTING_CONFIG"

#: The settings an account entry may hold.
SETTINGS = ("provider", "key_env", "base_url", "timeout", "max_retries")

_HINT = (
    f"Fix the accounts file (the path given, else ${CONFIG_ENV}, else {DEFAULT_FILE}) or "
    "the account name; no request was sent."
)
_CLI_HINT = (
    f"Fix the accounts file ({DEFAULT_FILE}, --config or ${CONFIG_ENV}) or the account "
    "name; no request was sent."
)
#: An environment variable name in the conventional form. A pasted key is often a legal
#: name too (``sk_live_...``), but hardly ever upper-case only.
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
_MAX_ENV_NAME = 128

_T = TypeVar("_T")


def _config_error(message: str) -> ConfigurationError:
    return ConfigurationError(message, hint=_HINT, cli_hint=_CLI_HINT)


def is_env_name(value: object) -> bool:
    """True for an environment variable name in the conventional form."""
    return (
        isinstance(value, str)
        and len(value) <= _MAX_ENV_NAME
        and _ENV_NAME.fullmatch(value) is not None
    )


def _env_name_error(where: str, setting: str) -> ConfigurationError:
    # The value is never quoted: what is not a variable name may well be the key itself.
    hint = (
        f"Set {setting} to the name of the variable that holds the key (e.g. "
        "LINQ_INTEGRATION_TOKEN) and put the key in that variable; if a key was pasted "
        "there, revoke it."
    )
    return ConfigurationError(
        f"{where}: {setting} is not an environment variable name (upper-case letters, "
        "digits and _, not starting with a digit); its value is not shown, in case it "
        "is a key",
        hint=hint,
    )


def _check_key_env(instance: Account, attribute: attrs.Attribute[str], value: str) -> None:
    del attribute
    if not is_env_name(value):
        raise _env_name_error(f"account {instance.name!r}", "key_env")


def _check_credential_env(
    instance: Account, attribute: attrs.Attribute[Mapping[str, str]], value: Mapping[str, str]
) -> None:
    del attribute
    for name, variable in value.items():
        if not is_env_name(variable):
            raise _env_name_error(f"account {instance.name!r}", f"{name}_env")


@attrs.frozen
class Account:
    """A provider account: which vendor, where its key lives, which URL, and how long to
    wait and how often to retry (``None``: the library's defaults, 10 s and 2 retries).

    ``source`` is the accounts file the account comes from, named in its errors.
    """

    name: str
    provider: str
    key_env: str = attrs.field(validator=_check_key_env)
    base_url: str | None = None
    timeout: float | None = None
    max_retries: int | None = None
    source: str | None = attrs.field(default=None, kw_only=True)
    #: Non-secret credentials given inline in the file: name → value.
    inline: Mapping[str, str] = attrs.field(factory=dict, kw_only=True)
    #: Credentials read from a variable other than the provider's default (besides
    #: `key_env`, which is that of the first secret one): name → variable.
    credential_env: Mapping[str, str] = attrs.field(
        factory=dict, kw_only=True, validator=_check_credential_env
    )

    def _where(self) -> str:
        if self.source is None:
            return f"account {self.name!r}"
        return f"account {self.name!r} ([accounts.{self.name}] in {self.source})"

    def api_key(self) -> str:
        """The key, read from `key_env` now."""
        key = os.environ.get(self.key_env)
        if not key:
            # A provider's default account is named after the provider, which the
            # error already starts with: not said again.
            whose = (
                f"{self._where()} reads its API key"
                if self.source is not None
                else "the API key is read"
            )
            raise ConfigurationError(
                f"{whose} from the {self.key_env} environment variable, which is not set or empty",
                provider=self.provider,
                hint=f"Set {self.key_env} in the environment; no request was sent.",
            )
        return key

    def _variable(self, spec: Credential) -> str | None:
        """The variable ``spec`` is read from; ``None`` when it is inline."""
        if spec.name in self.inline:
            return None
        if spec == _primary(adapter_for(self.provider)):
            return self.key_env
        return self.credential_env.get(spec.name, spec.env)

    def credentials(self) -> dict[str, str]:
        """Every credential the account's provider takes (for one that takes one of
        several sets, those of the set chosen as `phonerouting.connect` chooses, the
        ones this entry names winning): read from its variable now, or inline.
        ConfigurationError naming the variable of the first one unset."""
        adapter = adapter_for(self.provider)
        primary = _primary(adapter)
        found: dict[str, str] = {}
        named: list[str] = []  # what the entry itself names: as given to connect()
        for spec in adapter.credential_specs():
            variable = self._variable(spec)
            if variable is None:
                found[spec.name] = self.inline[spec.name]
                named.append(spec.name)
                continue
            if spec.name in self.credential_env or (spec == primary and variable != spec.env):
                named.append(spec.name)
            value = os.environ.get(variable)
            if value:
                found[spec.name] = value
        chosen, missing = adapter.choose_credentials(named, found)
        if missing == "api_key" == primary.name:
            self.api_key()  # raises, as it always has, saying which variable is unset
        if missing is not None:
            spec = next(c for c in adapter.credential_specs() if c.name == missing)
            variable = self._variable(spec)
            raise ConfigurationError(
                f"{self._where()} reads its {spec.what} from the {variable} "
                "environment variable, which is not set or empty",
                provider=self.provider,
                hint=f"Set {variable} in the environment; no request was sent.",
            )
        return {name: found[name] for name in chosen}

    def _settings(self, options: dict[str, Any]) -> dict[str, Any]:
        # The account's own settings, under what the caller passes (e.g. command-line
        # options); an unset one keeps connect()'s default.
        settings: dict[str, Any] = {"base_url": self.base_url}
        if self.timeout is not None:
            settings["timeout"] = self.timeout
        if self.max_retries is not None:
            settings["max_retries"] = self.max_retries
        return {**settings, **options}

    def _build(self, factory: Callable[..., _T], options: dict[str, Any]) -> _T:
        credentials = self.credentials()
        try:
            return factory(self.provider, **credentials, **self._settings(options))
        except ConfigurationError as exc:
            raise self._error(exc) from None

    def _error(self, exc: ConfigurationError) -> ConfigurationError:
        """``exc`` (from connect) restated for this account: which account, which file,
        and where to fix it (the file, or the variable holding the key)."""
        cli_hint = None  # the advice names the file or the variable: good for both
        specs = adapter_for(self.provider).credential_specs()
        spec = next((c for c in specs if exc.message.startswith(f"{c.name} ")), None)
        variable = None if spec is None else self._variable(spec)
        if spec is not None and variable is not None:
            # connect() names its argument; here the value came from the environment.
            rest = exc.message[len(spec.name) :]
            message = f"{self._where()}: the {spec.what} in {variable}{rest}"
            hint = f"Fix the value of {variable} in the environment; no request was sent."
        elif self.source is not None:
            message = f"{self._where()}: {exc.message}"
            hint = f"Fix [accounts.{self.name}] in {self.source}; no request was sent."
        else:
            # A provider's default account has no file: what was passed is at fault.
            message = f"{self._where()}: {exc.message}"
            hint, cli_hint = exc.hint, exc.cli_hint
        return ConfigurationError(message, provider=exc.provider, hint=hint, cli_hint=cli_hint)

    def connect(self, **options: Any) -> Client:
        """A sync client for this account; ``options`` (those of `phonerouting.connect`)
        override the account's settings."""
        return self._build(connect, options)

    def connect_async(self, **options: Any) -> AsyncClient:
        """An async client for this account; ``options`` override its settings."""
        return self._build(connect_async, options)


def _config_path(path: str | Path | None) -> Path | None:
    if path is not None:
        return Path(path)
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env)
    default = Path(DEFAULT_FILE)
    return default if default.exists() else None


def _account(name: str, entry: Any, source: Path) -> Account:
    where = f"{source}: [accounts.{name}]"
    if not isinstance(entry, Mapping):
        raise _config_error(f"{where} must be a table")
    provider = entry.get("provider")
    extra = _credential_keys(adapter_for(provider)) if provider in providers() else ()
    unknown = set(entry) - set(SETTINGS) - set(extra)
    if unknown:
        raise _config_error(
            f"{where} has unknown keys {sorted(unknown)}; allowed: "
            f"{', '.join((*SETTINGS, *extra))} "
            "(keys go in the environment, never here)"
        )
    provider = entry.get("provider")
    known = providers()
    if provider not in known:
        raise _config_error(f"{where} provider must be one of {', '.join(known)}")
    for setting in entry:
        # Every *_env setting names a variable; checked before anything else reads it.
        if setting.endswith("_env") and not is_env_name(entry[setting]):
            raise _env_name_error(where, setting)
    key_env, inline, credential_env = _credential_settings(where, entry, adapter_for(provider))
    base_url = entry.get("base_url")
    if base_url is not None and not isinstance(base_url, str):
        raise _config_error(f"{where} base_url must be a string")
    timeout = entry.get("timeout")
    if timeout is not None and not in_range(timeout, 0, MAX_SECONDS, low_open=True):
        raise _config_error(
            f"{where} timeout must be a number of seconds above 0 and at most {MAX_SECONDS:g}"
        )
    max_retries = entry.get("max_retries")
    if max_retries is not None and (
        isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
    ):
        raise _config_error(f"{where} max_retries must be a whole number >= 0")
    return Account(
        name,
        provider,
        key_env,
        base_url,
        None if timeout is None else float(timeout),
        max_retries,
        source=str(source),
        inline=inline,
        credential_env=credential_env,
    )


def _primary(adapter: Adapter) -> Credential:
    """The credential `Account.key_env` holds the variable of: the first secret one."""
    specs = adapter.credential_specs()
    return next((c for c in specs if c.secret), specs[0])


def _credential_keys(adapter: Adapter) -> tuple[str, ...]:
    """The keys an account entry may use for the provider's credentials, beyond
    `SETTINGS`: ``<name>_env`` for each but ``api_key`` (whose is ``key_env``),
    ``<name>`` itself for a non-secret one."""
    keys: list[str] = []
    primary = _primary(adapter)
    for spec in adapter.credential_specs():
        # The key's variable is key_env, as it always was: no second spelling.
        if not (spec.name == "api_key" and spec == primary):
            keys.append(f"{spec.name}_env")
        if not spec.secret:
            keys.append(spec.name)
    return tuple(keys)


def _credential_settings(
    where: str, entry: Mapping[str, Any], adapter: Adapter
) -> tuple[str, dict[str, str], dict[str, str]]:
    """``key_env``, the inline credentials and the other variables of an entry."""
    primary = _primary(adapter)
    inline: dict[str, str] = {}
    variables: dict[str, str] = {}
    for spec in adapter.credential_specs():
        own = f"{spec.name}_env"
        if spec == primary and "key_env" in entry and own in entry:
            raise _config_error(f"{where} has both key_env and {own}; keep one")
        if spec.name in entry and own in entry:
            raise _config_error(f"{where} has both {spec.name} and {own}; keep one")
        if spec.name in entry:
            value = entry[spec.name]
            if not isinstance(value, str) or not value:
                raise _config_error(f"{where} {spec.name} must be a non-empty string")
            inline[spec.name] = value
        elif own in entry:
            variables[spec.name] = entry[own]
    key_env: str = entry.get("key_env", variables.pop(primary.name, primary.env))
    return key_env, inline, variables


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
    if name in providers():
        return Account(name, name, _primary(adapter_for(name)).env)
    known = sorted(accounts) + list(providers())
    raise _config_error(f"unknown account {name!r}; known: {', '.join(known)}")
