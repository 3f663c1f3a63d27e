"""Inputs and expected results of the recorded scenarios, for every provider with
cassettes: each provider's own are in ``tests/cassettes/vendors/<provider>.py``.

Every emulator was seeded with ``scenarios.SEED`` (6) and 3 numbers: the first has
routing values, the second none. Updates go to the second number, clears to the first.
The timestamps and request ids come from the counters of ``make_deterministic``.
"""

from __future__ import annotations

from typing import Any

from tests.cassettes.shapes import SECOND
from tests.cassettes.vendors import PROVIDERS, vendor

__all__ = ["SECOND"]


def _table(name: str) -> dict[str, Any]:
    return {p: getattr(vendor(p), name) for p in PROVIDERS}


IDS: dict[str, list[str]] = _table("IDS")
UPDATE_ID = {p: ids[SECOND] for p, ids in IDS.items()}
CLEAR_ID = {p: ids[0] for p, ids in IDS.items()}
UNKNOWN_ID = _table("UNKNOWN_ID")
UPDATE = _table("UPDATE")
CLEAR = _table("CLEAR")
REFUSED = _table("REFUSED")
NUMBERS = _table("NUMBERS")
GET_WIRE = _table("GET_WIRE")
UPDATED = _table("UPDATED")
UPDATE_WIRE = _table("UPDATE_WIRE")
CLEARED = _table("CLEARED")
CLEAR_WIRE = _table("CLEAR_WIRE")
UNAUTHORIZED = _table("UNAUTHORIZED")
NOT_FOUND_GET = _table("NOT_FOUND_GET")
NOT_FOUND_UPDATE = _table("NOT_FOUND_UPDATE")
VALIDATION = _table("VALIDATION")
VALIDATION_WIRE = _table("VALIDATION_WIRE")
