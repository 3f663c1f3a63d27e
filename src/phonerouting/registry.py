"""Provider names → adapters (and emulators), open to third parties.

Three sources, in this order: the four built-in vendors, providers registered at run
time with `register_provider`, and the entry points of the ``phonerouting.providers``
group (see docs/writing-a-provider.md). Everything loads lazily: a provider's module is
imported the first time that provider is used, so using one provider never imports
another's (naming the entry points reads installed metadata, it imports nothing).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import attrs

from phonerouting.adapters.base import Adapter
from phonerouting.errors import ConfigurationError

if TYPE_CHECKING:
    from phonerouting.testing.core import Emulator

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROVIDERS",
    "Provider",
    "account_adapter",
    "adapter_for",
    "emulator_class",
    "providers",
    "register_provider",
]

logger = logging.getLogger("phonerouting")

#: The entry-point group third-party packages declare their providers in.
ENTRY_POINT_GROUP: Final = "phonerouting.providers"

_BUILTIN: Final[dict[str, tuple[str, str, str]]] = {
    # name: (module, adapter class, emulator "module:class")
    "linq-v2": (
        "phonerouting.adapters.linq_v2",
        "LinqV2Adapter",
        "phonerouting.testing.linq_v2:LinqV2Emulator",
    ),
    "linq-v3": (
        "phonerouting.adapters.linq_v3",
        "LinqV3Adapter",
        "phonerouting.testing.linq_v3:LinqV3Emulator",
    ),
    "agentmessage": (
        "phonerouting.adapters.agentmessage",
        "AgentMessageAdapter",
        "phonerouting.testing.agentmessage:AgentMessageEmulator",
    ),
    "close": (
        "phonerouting.adapters.close",
        "CloseAdapter",
        "phonerouting.testing.close:CloseEmulator",
    ),
    "twilio": (
        "phonerouting.adapters.twilio",
        "TwilioAdapter",
        "phonerouting.testing.twilio:TwilioEmulator",
    ),
    "telnyx": (
        "phonerouting.adapters.telnyx",
        "TelnyxAdapter",
        "phonerouting.testing.telnyx:TelnyxEmulator",
    ),
}

#: The built-in provider names (the vendors shipped with phonerouting). Every
#: provider available, third-party ones included, is `providers()`.
PROVIDERS: Final[tuple[str, ...]] = tuple(_BUILTIN)

#: A provider name: lower-case letters, digits and ``-``, as it is typed in a CLI
#: argument, an accounts file and a docs URL.
_NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")


@attrs.frozen
class Provider:
    """What an entry point of the ``phonerouting.providers`` group may name instead of
    a bare `Adapter` subclass: the adapter and, optionally, its emulator (a
    `phonerouting.testing.Emulator` subclass) for tests and the CLI's ``emulate``."""

    adapter: type[Adapter] | Adapter
    emulator: type[Emulator] | None = None


@attrs.frozen
class _Entry:
    adapter: type[Adapter] | Adapter
    emulator: type[Emulator] | str | None


_lock = threading.Lock()
_registered: dict[str, _Entry] = {}
_cache: dict[str, Adapter] = {}


def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if point.name in _BUILTIN or not _NAME.fullmatch(point.name):
            # A package cannot take over a built-in name; a malformed name could never be
            # typed on a command line. Neither is loaded, and nothing fails because of it.
            logger.warning("ignoring the %s entry point %r", ENTRY_POINT_GROUP, point.name)
            continue
        found.setdefault(point.name, point)
    return found


def providers() -> tuple[str, ...]:
    """Every provider name available: the built-in ones, then those registered with
    `register_provider`, then those of installed ``phonerouting.providers`` entry points.
    Nothing is imported to list them."""
    with _lock:
        names = [*PROVIDERS, *_registered]
    names += [name for name in _entry_points() if name not in names]
    return tuple(names)


def _check_adapter(name: str, adapter: object) -> type[Adapter] | Adapter:
    if isinstance(adapter, Adapter) or (isinstance(adapter, type) and issubclass(adapter, Adapter)):
        declared = getattr(adapter, "name", None)
        if declared != name:
            raise ConfigurationError(
                f"the adapter of provider {name!r} declares name = {declared!r}; they must "
                "be the same (it names the provider in errors and journals)",
                provider=name,
            )
        return adapter
    raise ConfigurationError(
        f"the adapter of provider {name!r} must be a phonerouting.adapters.base.Adapter "
        f"subclass or instance, not {type(adapter).__name__}",
        provider=name,
    )


def register_provider(name: str, adapter: type[Adapter] | Adapter, emulator: Any = None) -> None:
    """Make ``name`` a provider: `phonerouting.connect`, `connect_async`, the accounts
    file, the CLI and `phonerouting.testing.emulator` accept it from now on.

    Args:
        name: lower-case letters, digits and ``-`` (at most 40), not already a provider.
        adapter: an `Adapter` subclass (built once, with no arguments) or instance,
            whose ``name`` is ``name``.
        emulator: its emulator, a `phonerouting.testing.Emulator` subclass, or
            ``None`` when it has none.

    Raises:
        ConfigurationError: for a malformed or taken name, or an adapter that is not one.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"provider name {name!r} must be lower-case letters, digits and -, starting "
            "with a letter, at most 40 characters"
        )
    checked = _check_adapter(name, adapter)
    if emulator is not None and not isinstance(emulator, type):
        raise ConfigurationError(
            f"the emulator of provider {name!r} must be a phonerouting.testing.Emulator "
            f"subclass, not {type(emulator).__name__}",
            provider=name,
        )
    with _lock:
        if name in _BUILTIN or name in _registered:
            raise ConfigurationError(f"provider {name!r} is already registered", provider=name)
        _registered[name] = _Entry(checked, emulator)


def _unregister(name: str) -> None:
    """Forget a registered provider (for tests that register one and must clean up)."""
    with _lock:
        _registered.pop(name, None)
        _cache.pop(name, None)


def _load_entry_point(name: str) -> _Entry | None:
    point = _entry_points().get(name)
    if point is None:
        return None
    loaded = point.load()
    if isinstance(loaded, Provider):
        return _Entry(_check_adapter(name, loaded.adapter), loaded.emulator)
    return _Entry(_check_adapter(name, loaded), None)


def _entry(provider: str) -> _Entry:
    if isinstance(provider, str) and provider in _BUILTIN:
        module_name, class_name, emulator = _BUILTIN[provider]
        adapter_class: type[Adapter] = getattr(importlib.import_module(module_name), class_name)
        return _Entry(adapter_class, emulator)
    with _lock:
        entry = _registered.get(provider) if isinstance(provider, str) else None
    if entry is None and isinstance(provider, str) and _NAME.fullmatch(provider):
        entry = _load_entry_point(provider)
        if entry is not None:
            with _lock:
                entry = _registered.setdefault(provider, entry)
    if entry is None:
        raise ConfigurationError(
            f"unknown provider {provider!r}; choose one of: {', '.join(providers())}"
        )
    return entry


def adapter_for(provider: str) -> Adapter:
    """The (stateless, shared) adapter of ``provider``; ConfigurationError if unknown."""
    adapter = _cache.get(provider) if isinstance(provider, str) else None
    if adapter is not None:
        return adapter
    made = _entry(provider).adapter
    adapter = made() if isinstance(made, type) else made
    with _lock:
        return _cache.setdefault(provider, adapter)


def account_adapter(adapter: Adapter, settings: Mapping[str, str]) -> Adapter:
    """``adapter`` (a provider's shared one) for one account, from its non-secret
    settings (`Adapter.for_account`); the shared adapter itself for a vendor whose
    requests do not depend on the account, as the four built-in ones."""
    built = adapter.for_account(settings)
    if not isinstance(built, Adapter) or built.name != adapter.name:
        raise ConfigurationError(
            f"the adapter of provider {adapter.name!r} built for an account must be an "
            f"Adapter named {adapter.name!r}, not {built!r}",
            provider=adapter.name,
        )
    return built


def emulator_class(provider: str) -> type[Emulator] | None:
    """The emulator class of ``provider`` (``None`` when it has none);
    ConfigurationError if the provider is unknown."""
    emulator = _entry(provider).emulator
    if isinstance(emulator, str):
        module_name, _, class_name = emulator.partition(":")
        loaded: type[Emulator] = getattr(importlib.import_module(module_name), class_name)
        return loaded
    return emulator
