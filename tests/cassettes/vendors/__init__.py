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
``test_live.py`` (see ``linq_v3.py`` for one of each).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from tests.profiles import PROVIDERS as PROFILED

_HERE = Path(__file__).resolve().parent


def module_name(provider: str) -> str:
    """The module of ``provider``'s expectations."""
    return provider.replace("-", "_")


#: The profiled providers with cassette expectations, which the suite runs over.
PROVIDERS = tuple(p for p in PROFILED if (_HERE / f"{module_name(p)}.py").is_file())
#: The profiled providers whose cassettes have a suite of their own instead,
#: ``tests/cassettes/test_<module>.py``, replaying them through the sync and the async
#: client with exact requests and results (Twilio's: its form bodies and its account
#: in every path are beyond this suite's JSON expectations).
OWN_SUITE = tuple(
    p
    for p in PROFILED
    if p not in PROVIDERS and (_HERE.parent / f"test_{module_name(p)}.py").is_file()
)
#: The profiled providers without any (reported by ``test_hygiene``).
MISSING = tuple(p for p in PROFILED if p not in PROVIDERS and p not in OWN_SUITE)


def vendor(provider: str) -> ModuleType:
    """The expectations module of ``provider``."""
    return importlib.import_module(f"tests.cassettes.vendors.{module_name(provider)}")
