"""The linq-v3 cassettes: how they were recorded and what replaying them must give.

The emulator was seeded with ``scenarios.SEED`` (6) and 3 numbers: the first has
routing values, the second none. Updates go to the second number, clears to the first.
Trace ids come from the counter of `make_deterministic`.
"""

from __future__ import annotations

from typing import Any

import pytest

import phonerouting as pr
from phonerouting import PhoneNumber, testing
from tests.cassettes.shapes import E164, FORWARD_TO, error, refuse, trace, trace_ids

PROVIDER = "linq-v3"
#: Where the emulator listened while recording (fixed, so URIs do not churn).
PORT = 47402
#: The key the emulator accepted while recording: credential-shaped on purpose.
RECORD_KEY = "linq_" + "5eed0a3c" * 4
#: The key of the 401 scenario: unknown to the emulator, just as credential-shaped.
BAD_KEY = "linq_" + "badc0de3" * 4
#: The request header carrying the key, and what it holds in a cassette.
CREDENTIAL_HEADER = ("authorization", "Bearer REDACTED")
#: A valid UK number the emulator is told to refuse as a forwarding target.
REFUSED_FORWARDING = "+442079460000"
_DOCS = "https://docs.linqapp.com/error/codes"


def validation(emu: testing.Emulator) -> None:
    """The vendor's answer to a forwarding number it cannot use, as the emulator gives
    it for an invalid one: 400/1002."""
    answer = emu.error(400)
    refuse(emu, "PUT", lambda b: b.get("forwarding_number") == REFUSED_FORWARDING, answer)


def make_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trace ids count up instead of being drawn at random."""
    import phonerouting.testing.linq_v3 as emulator_module

    monkeypatch.setattr(emulator_module, "secrets", trace_ids())


IDS = [
    "d77ad062-4697-4fda-8743-c3ca048b3cb9",
    "eb4bc4fe-a58c-45bd-ba0b-82e491792b55",
    "17408544-7a70-4aa0-930c-b8d96c10e8c1",
]
UNKNOWN_ID = "00000000-0000-4000-8000-000000000404"
UPDATE = pr.RoutingUpdate(forwarding_number="+1 (202) 555-9999")
CLEAR = pr.RoutingUpdate(forwarding_number=pr.CLEAR)
REFUSED = pr.RoutingUpdate(forwarding_number=REFUSED_FORWARDING)


def _number(i: int, forwarding: str | None) -> PhoneNumber:
    return PhoneNumber(provider=PROVIDER, id=IDS[i], number=E164[i], forwarding_number=forwarding)


NUMBERS = [_number(0, "+16176890454"), _number(1, None), _number(2, "+15127799250")]
_LIST = "/api/partner/v3/phone_numbers"
GET_WIRE: list[tuple[str, str, Any]] = [("GET", _LIST, None)]
UPDATED = _number(1, FORWARD_TO)
UPDATE_WIRE = [
    ("PUT", f"{_LIST}/{IDS[1]}", {"forwarding_number": FORWARD_TO}),
    ("GET", _LIST, None),
]
CLEARED = _number(0, None)
CLEAR_WIRE = [("PUT", f"{_LIST}/{IDS[0]}", {"forwarding_number": ""}), ("GET", _LIST, None)]
UNAUTHORIZED = error(
    "AuthenticationError",
    PROVIDER,
    401,
    "Unauthorized - missing or invalid authentication token",
    code=2004,
    request_id=trace(1),
    doc_url=f"{_DOCS}/2xxx/2004/",
)
# Linq has no get-one endpoint: an unknown id is found missing in the listing, by the
# client (no HTTP status).
NOT_FOUND_GET = error(
    "NotFoundError", PROVIDER, None, f"no number with id {UNKNOWN_ID} in this account"
)
NOT_FOUND_UPDATE = error(
    "NotFoundError",
    PROVIDER,
    404,
    "Resource not found",
    code=2001,
    request_id=trace(2),
    doc_url=f"{_DOCS}/2xxx/2001/",
)
VALIDATION = error(
    "ValidationError",
    PROVIDER,
    400,
    "Phone number must be in E.164 format",
    code=1002,
    request_id=trace(1),
    doc_url=f"{_DOCS}/1xxx/1002/",
    field="forwarding_number",
)
VALIDATION_WIRE = [
    ("PUT", f"{_LIST}/{IDS[1]}", {"forwarding_number": REFUSED_FORWARDING}),
    ("GET", _LIST, None),
]

# ---------------------------------------------------------------- live (test_live.py)
#: A well-formed id no account holds.
LIVE_UNKNOWN_ID = "00000000-0000-4000-8000-000000000404"
#: What the live write test sets, then clears (``None``: the live forwarding number).
LIVE_WRITE: tuple[str, Any] = ("forwarding_number", None)
#: The documented error codes of a 401 and a 404 (``None``: none documented).
LIVE_UNAUTHORIZED_CODE: Any = 2004
LIVE_NOT_FOUND_CODE: Any = 2001
#: The status of a get of an unknown id (``None``: found missing by the client).
LIVE_NOT_FOUND_GET_STATUS: int | None = None
