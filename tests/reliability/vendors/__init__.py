"""Each vendor's own hostile answers, for the generic tests of
``test_hostile_responses.py``: one module per provider (``linq-v2`` is ``linq_v2.py``),
so that no generic module names a vendor. A module may define:

* ``HUGE_ERROR(blob)``: a 422 body quoting ``blob`` (a megabyte) in every field the
  client reads from an error;
* ``FIELD_ERROR(name)``: a 422 body naming the one field at fault ``name``;
* ``REPEATING_PAGE(item)``: a listing page that points to itself as the next page;
* ``EDGE_TIMESTAMPS``: (field, timestamp) pairs at the edge of datetime's range;
* ``ABSURD_RATE_LIMITS``: (name, body, headers) of 429s asking for absurd waits.

A test runs over every provider whose module defines what it needs.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from tests.reliability.helpers import PROVIDERS

_HERE = Path(__file__).resolve().parent


def _module(provider: str) -> str:
    return provider.replace("-", "_")


def vendor(provider: str) -> ModuleType:
    """The hostile answers of ``provider``."""
    return importlib.import_module(f"{__name__}.{_module(provider)}")


def having(name: str) -> list[str]:
    """The registered providers whose module defines ``name``."""
    return [
        p for p in PROVIDERS if (_HERE / f"{_module(p)}.py").is_file() and hasattr(vendor(p), name)
    ]
