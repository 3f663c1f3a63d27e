"""The linq-v2 cassettes: how they were recorded and what replaying them must give.

The emulator was seeded with ``scenarios.SEED`` (6) and 3 numbers: the first has
routing values, the second none. Updates go to the second number, clears to the first.
"""

from __future__ import annotations

from typing import Any

import pytest

import phonerouting as pr
from phonerouting import PhoneNumber, testing
from tests.cassettes.shapes import E164, FORWARD_TO, error, refuse

PROVIDER = "linq-v2"
#: Where the emulator listened while recording (fixed, so URIs do not churn).
PORT = 47401
#: The key the emulator accepted while recording: credential-shaped on purpose.
RECORD_KEY = "linq_" + "5eed0a2c" * 4
#: The key of the 401 scenario: unknown to the emulator, just as credential-shaped.
BAD_KEY = "linq_" + "badc0de2" * 4
#: The request header carrying the key, and what it holds in a cassette.
CREDENTIAL_HEADER = ("x-linq-integration-token", "REDACTED")
#: A valid UK number the emulator is told to refuse as a forwarding target.
REFUSED_FORWARDING = "+442079460000"


def validation(emu: testing.Emulator) -> None:
    """The vendor's answer to a forwarding number it cannot use, as the emulator gives
    it for an invalid one: 422 invalid_forwarding_number."""
    answer = emu.error(
        422,
        "Forwarding number must be a valid phone number in E.164 format",
        code="invalid_forwarding_number",
    )
    refuse(emu, "PUT", lambda b: b.get("forwarding_number") == REFUSED_FORWARDING, answer)


def make_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing to replace: the emulator stamps no times and draws no ids."""
    del monkeypatch


IDS = ["1001", "1002", "1003"]
UNKNOWN_ID = "999999"
UPDATE = pr.RoutingUpdate(forwarding_number="+1 (202) 555-9999")
CLEAR = pr.RoutingUpdate(forwarding_number=pr.CLEAR)
REFUSED = pr.RoutingUpdate(forwarding_number=REFUSED_FORWARDING)


def _number(i: int, forwarding: str | None) -> PhoneNumber:
    return PhoneNumber(provider=PROVIDER, id=IDS[i], number=E164[i], forwarding_number=forwarding)


NUMBERS = [_number(0, "+14154056267"), _number(1, None), _number(2, "+13128352724")]
_LIST = "/api/partner/v2/phone_numbers"
GET_WIRE: list[tuple[str, str, Any]] = [("GET", _LIST, None)]
UPDATED = _number(1, FORWARD_TO)
UPDATE_WIRE = [("PUT", f"{_LIST}/1002", {"forwarding_number": FORWARD_TO}), ("GET", _LIST, None)]
CLEARED = _number(0, None)
# Linq documents "" to clear; the adapter sends it.
CLEAR_WIRE = [("PUT", f"{_LIST}/1001", {"forwarding_number": ""}), ("GET", _LIST, None)]
UNAUTHORIZED = error(
    "AuthenticationError",
    PROVIDER,
    401,
    "Unauthorized: Invalid or missing integration token",
    code="unauthorized",
)
# Linq has no get-one endpoint: an unknown id is found missing in the listing, by the
# client (no HTTP status).
NOT_FOUND_GET = error("NotFoundError", PROVIDER, None, "no number with id 999999 in this account")
NOT_FOUND_UPDATE = error(
    "NotFoundError", PROVIDER, 404, "Not Found: Phone number not found", code="not_found"
)
VALIDATION = error(
    "ValidationError",
    PROVIDER,
    422,
    "Unprocessable Entity: Forwarding number must be a valid phone number in E.164 format",
    code="invalid_forwarding_number",
    field="forwarding_number",
)
VALIDATION_WIRE = [
    ("PUT", f"{_LIST}/1002", {"forwarding_number": REFUSED_FORWARDING}),
    ("GET", _LIST, None),
]

# ---------------------------------------------------------------- live (test_live.py)
#: A well-formed id no account holds.
LIVE_UNKNOWN_ID = "9223372036854775000"
#: What the live write test sets, then clears (``None``: the live forwarding number).
LIVE_WRITE: tuple[str, Any] = ("forwarding_number", None)
#: The documented error codes of a 401 and a 404 (``None``: none documented).
LIVE_UNAUTHORIZED_CODE: Any = None
LIVE_NOT_FOUND_CODE: Any = None
#: The status of a get of an unknown id (``None``: found missing by the client).
LIVE_NOT_FOUND_GET_STATUS: int | None = None
