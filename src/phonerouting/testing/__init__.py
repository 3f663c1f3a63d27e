"""Faithful, stateful emulators of the built-in vendors, for your own tests.

In process, as an httpx transport::

    from phonerouting import testing
    import phonerouting as pr

    emu = testing.emulator("close", numbers=10, seed=1)
    client = pr.connect("close", api_key=emu.api_key, transport=emu.transport())

Over real HTTP on loopback::

    with emu.serve() as base_url:
        client = pr.connect("close", api_key=emu.api_key, base_url=base_url)

Or from a shell: ``python -m phonerouting.testing serve --provider close --port 0``
(the first line printed is the base URL). Program faults with ``emu.faults`` and read
what reached the vendor with ``emu.requests``.

``profile(provider)`` is the `ProviderProfile` the generic test suites run a provider
with (its paths, a valid update, an unknown id, its contract cases...).
"""

from __future__ import annotations

from typing import Any

from phonerouting.testing.agentmessage import AgentMessageEmulator
from phonerouting.testing.close import CloseEmulator
from phonerouting.testing.core import AsyncEmulatorTransport, Emulator, EmulatorTransport
from phonerouting.testing.faults import Fault, Faults
from phonerouting.testing.linq_v2 import LinqV2Emulator
from phonerouting.testing.linq_v3 import LinqV3Emulator
from phonerouting.testing.profile import (
    UNSET,
    ContractCase,
    Form,
    Held,
    MissingProfileError,
    ProviderProfile,
    RawWrite,
    Seeded,
    profile,
)
from phonerouting.testing.seeding import e164_numbers
from phonerouting.testing.telnyx import TelnyxEmulator
from phonerouting.testing.twilio import TwilioEmulator
from phonerouting.testing.wire import LoggedRequest

__all__ = [
    "EMULATORS",
    "UNSET",
    "AgentMessageEmulator",
    "AsyncEmulatorTransport",
    "CloseEmulator",
    "ContractCase",
    "Emulator",
    "EmulatorTransport",
    "Fault",
    "Faults",
    "Form",
    "Held",
    "LinqV2Emulator",
    "LinqV3Emulator",
    "LoggedRequest",
    "MissingProfileError",
    "ProviderProfile",
    "RawWrite",
    "Seeded",
    "TelnyxEmulator",
    "TwilioEmulator",
    "e164_numbers",
    "emulator",
    "profile",
]

#: Built-in provider name → emulator class (third-party ones: `emulator`, which reads
#: the registry).
EMULATORS: dict[str, type[Emulator]] = {
    "linq-v2": LinqV2Emulator,
    "linq-v3": LinqV3Emulator,
    "agentmessage": AgentMessageEmulator,
    "close": CloseEmulator,
    "twilio": TwilioEmulator,
    "telnyx": TelnyxEmulator,
}


def emulator(provider: str, numbers: int = 0, **options: Any) -> Emulator:
    """A new emulator of ``provider`` seeded with ``numbers`` numbers.

    Options: ``seed`` (repeatable data), ``api_key`` (accepted with every scope),
    ``populate`` (the fraction of seeded numbers given routing values).
    """
    from phonerouting.errors import ConfigurationError
    from phonerouting.registry import emulator_class, providers

    cls = EMULATORS.get(provider) if isinstance(provider, str) else None
    if cls is None:
        try:
            cls = emulator_class(provider)
        except ConfigurationError:
            raise ValueError(
                f"unknown provider {provider!r}; choose one of: {', '.join(providers())}"
            ) from None
    if cls is None:
        raise ValueError(f"provider {provider!r} was registered without an emulator")
    return cls(numbers, **options)
