"""Each vendor's cassette expectations, one module per provider (``linq-v2`` is
``linq_v2.py``): how its cassettes were recorded (port, keys, the validation rule,
what makes the recording deterministic) and what replaying them must give. The
cassette suite runs over every provider with a profile and reads these by name; a
provider with a profile but no module here is reported by ``test_hygiene``.

A module defines: ``PORT``, ``RECORD_KEY``, ``BAD_KEY``, ``CREDENTIAL_HEADER``,
``validation(emu)``, ``make_deterministic(monkeypatch)``, ``IDS``, ``UNKNOWN_ID``,
``UPDATE``, ``CLEAR``, ``REFUSED``, ``NUMBERS``, ``GET_WIRE``, ``UPDATED``,
``UPDATE_WIRE``, ``CLEARED``, ``CLEAR_WIRE``, ``UNAUTHORIZED``, ``NOT_FOUND_GET``,
``NOT_FOUND_UPDATE``, ``VALIDATION``, ``VALIDATION_WIRE`` and the ``LIVE_*`` values of
``test_live.py`` (see ``linq_v3.py`` for one of each). A provider whose client takes
more than ``api_key=`` or whose recording needs more than a seeded emulator also
defines what `credentials`, `recording_emulator`, `rate_limited` and
`RATE_LIMIT_WAITS` below read (see ``twilio.py``), and ``OWN_SCENARIOS``: cassettes
of its own, replayed by its vendor-named test module.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from phonerouting import testing
from tests.profiles import PROVIDERS as PROFILED

_HERE = Path(__file__).resolve().parent


def module_name(provider: str) -> str:
    """The module of ``provider``'s expectations."""
    return provider.replace("-", "_")


#: The profiled providers with cassette expectations, which the suite runs over.
PROVIDERS = tuple(p for p in PROFILED if (_HERE / f"{module_name(p)}.py").is_file())
#: The profiled providers without any (reported by ``test_hygiene``).
MISSING = tuple(p for p in PROFILED if p not in PROVIDERS)


def vendor(provider: str) -> ModuleType:
    """The expectations module of ``provider``."""
    return importlib.import_module(f"tests.cassettes.vendors.{module_name(provider)}")


def credentials(provider: str, secret: str) -> dict[str, str]:
    """The connect arguments of ``provider`` around ``secret`` (the recording key, the
    401 scenario's bad one, a live key): its module's ``credentials(secret)``, or
    ``api_key=secret``."""
    made = getattr(vendor(provider), "credentials", None)
    return {"api_key": secret} if made is None else dict(made(secret))


def live_credentials(provider: str, secret: str) -> dict[str, str]:
    """`credentials` for a real account: its module's ``live_credentials(secret)``
    (what else a real account needs, from the environment), or the same."""
    made = getattr(vendor(provider), "live_credentials", None)
    return credentials(provider, secret) if made is None else dict(made(secret))


def recording_emulator(provider: str, numbers: int, seed: int) -> Any:
    """The emulator a recording of ``provider`` serves: its module's
    ``recording_emulator()``, or a seeded one accepting the recording key."""
    made = getattr(vendor(provider), "recording_emulator", None)
    if made is not None:
        return made()
    return testing.emulator(provider, numbers, seed=seed, api_key=vendor(provider).RECORD_KEY)


def rate_limited(emu: Any, retry_after: int) -> None:
    """Set up the 429 of the ``rate_limited`` scenario: one on the first GET, asking to
    wait ``retry_after`` seconds, unless the module says how its vendor answers."""
    made = getattr(vendor(emu.provider), "rate_limited", None)
    if made is not None:
        made(emu)
    else:
        emu.faults.rate_limited(1, retry_after=retry_after, method="GET")


def rate_limit_waits(provider: str, retry_after: int) -> list[float]:
    """What the client waits before retrying that 429: the vendor's ``retry_after``,
    or its module's ``RATE_LIMIT_WAITS`` (a vendor that sends no wait)."""
    return list(getattr(vendor(provider), "RATE_LIMIT_WAITS", [float(retry_after)]))


def own_scenarios(provider: str) -> tuple[str, ...]:
    """The cassettes of ``provider``'s own test module, beyond the suite's scenarios."""
    return tuple(getattr(vendor(provider), "OWN_SCENARIOS", ()))
