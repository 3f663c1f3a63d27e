"""Provider names → adapters. Adapters load lazily: using one vendor never imports
another vendor's module."""

from __future__ import annotations

import importlib
from typing import Final

from phonerouting.adapters.base import Adapter
from phonerouting.errors import ConfigurationError

__all__ = ["PROVIDERS", "adapter_for"]

_ADAPTERS: Final[dict[str, tuple[str, str]]] = {
    "linq-v2": ("phonerouting.adapters.linq_v2", "LinqV2Adapter"),
    "linq-v3": ("phonerouting.adapters.linq_v3", "LinqV3Adapter"),
    "agentmessage": ("phonerouting.adapters.agentmessage", "AgentMessageAdapter"),
    "close": ("phonerouting.adapters.close", "CloseAdapter"),
}

#: The provider names, as used by connect(), the CLI and the docs.
PROVIDERS: Final[tuple[str, ...]] = tuple(_ADAPTERS)

_cache: dict[str, Adapter] = {}


def adapter_for(provider: str) -> Adapter:
    """The (stateless, shared) adapter of ``provider``; ConfigurationError if unknown."""
    adapter = _cache.get(provider) if isinstance(provider, str) else None
    if adapter is not None:
        return adapter
    if not isinstance(provider, str) or provider not in _ADAPTERS:
        raise ConfigurationError(
            f"unknown provider {provider!r}; choose one of: {', '.join(PROVIDERS)}"
        )
    module_name, class_name = _ADAPTERS[provider]
    adapter_class: type[Adapter] = getattr(importlib.import_module(module_name), class_name)
    adapter = adapter_class()
    _cache[provider] = adapter
    return adapter
