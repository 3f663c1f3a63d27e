"""``phonerouting serve --demo``: the service over in-process emulators of every
provider, seeded with numbers of mixed routing; no keys, no network.

`demo_config` is also what the tests and benchmarks build their services from.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

import phonerouting as pr
from phonerouting.registry import providers
from phonerouting.server.auth import ROLES, TokenEntry, hash_token, new_token
from phonerouting.server.config import AccountSpec, ServerConfig
from phonerouting.store import store_at
from phonerouting.testing import Emulator, emulator

__all__ = ["Demo", "demo_config"]


@attrs.frozen
class Demo:
    """A demo service's configuration, its emulators (by account) and its tokens
    (by name: ``admin``, ``editor``, ``viewer``)."""

    config: ServerConfig
    emulators: Mapping[str, Emulator]
    tokens: Mapping[str, str]


def demo_config(
    store: str | Path,
    *,
    numbers: int = 300,
    seed: int = 7,
    populate: float = 0.5,
    extra_tokens: Mapping[str, TokenEntry] | None = None,
    **settings: Any,
) -> Demo:
    """A service over one emulator of every registered provider (account name = the
    provider's name), each seeded with ``numbers`` numbers, ``populate`` of them
    with routing; and one token per role."""
    emulators: dict[str, Emulator] = {}
    specs: dict[str, AccountSpec] = {}
    policy = pr.RetryPolicy(backoff_initial=0.05, backoff_max=0.2, jitter=0.05)
    for offset, provider in enumerate(providers()):
        try:
            emu = emulator(provider, numbers=numbers, seed=seed + offset, populate=populate)
        except ValueError:
            continue  # a provider registered without an emulator: nothing to serve
        emulators[provider] = emu

        def connect(emu: Emulator = emu, provider: str = provider) -> pr.AsyncClient:
            # The key, and any account id a provider needs (Twilio's Account SID).
            credentials: dict[str, Any] = emu.client_credentials()
            return pr.connect_async(
                provider,
                **credentials,
                transport=emu.async_transport(),
                retry_policy=policy,
                http="httpx",
            )

        specs[provider] = AccountSpec(provider, provider, connect)
    tokens = {role: new_token() for role in ROLES}
    entries = {role: TokenEntry(role, role, hash_token(token)) for role, token in tokens.items()}
    entries.update(extra_tokens or {})
    config = ServerConfig(specs, entries, store_at(store), **settings)
    return Demo(config, emulators, tokens)
