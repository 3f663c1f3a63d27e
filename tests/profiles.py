"""The providers the generic suites run over: every registered provider (built-in,
registered before collection, or from an entry point) whose emulator carries a
`phonerouting.testing.ProviderProfile`.

A provider without one is not skipped in silence: it is in `MISSING`, which
``tests/unit/test_profiles.py`` reports as a failure naming it and what to add.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import phonerouting as pr
from phonerouting import testing
from phonerouting.adapters.base import Adapter
from phonerouting.testing import ProviderProfile

#: ``providers/`` at the repository root: the built-in vendors' contracts.
PROVIDERS_DIR = Path(__file__).resolve().parents[1] / "providers"


def _collect() -> tuple[dict[str, ProviderProfile], dict[str, str]]:
    found: dict[str, ProviderProfile] = {}
    missing: dict[str, str] = {}
    for name in pr.providers():
        try:
            found[name] = testing.profile(name)
        except testing.MissingProfileError as error:
            missing[name] = str(error)
    return found, missing


#: provider name → its profile, in the registry's order.
PROFILES, MISSING = _collect()
#: The providers the generic suites run over.
PROVIDERS: tuple[str, ...] = tuple(PROFILES)


def profile(provider: str) -> ProviderProfile:
    """The profile of ``provider`` (one of `PROVIDERS`)."""
    return PROFILES[provider]


def contract_dir(provider: str) -> Path:
    """The folder of ``provider``'s ``openapi.yaml`` and ``samples/``."""
    return PROFILES[provider].contract_dir or PROVIDERS_DIR / provider


def need(provider: str, attribute: str) -> Any:
    """``attribute`` of ``provider``'s profile; a failure naming it when it is ``None``
    (an optional attribute a suite needs: the provider is reported, not skipped)."""
    value = getattr(PROFILES[provider], attribute)
    assert value is not None, (
        f"the profile of {provider} has no {attribute}: set it "
        f"(see phonerouting.testing.ProviderProfile.{attribute})"
    )
    return value


def adapter(provider: str) -> Adapter:
    """``provider``'s adapter for the account its profile's credentials name (without
    an emulator): what builds requests for a vendor with the account in every path
    (Twilio); the shared adapter itself for the others."""
    from phonerouting.registry import account_adapter, adapter_for

    shared = adapter_for(provider)
    given = PROFILES[provider].credentials(None, "test-key-0123456789")
    settings = {
        spec.name: given[spec.name]
        for spec in shared.credential_specs()
        if not spec.secret and spec.name in given
    }
    return account_adapter(shared, settings)
