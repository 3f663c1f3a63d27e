"""The close cassettes: how they were recorded and what replaying them must give.

The emulator was seeded with ``scenarios.SEED`` (6) and 3 numbers: the first has
routing values, the second none. Updates go to the second number, clears to the first.
Update times come from the clock of `make_deterministic`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import phonerouting as pr
from phonerouting import PhoneNumber, testing
from tests.cassettes.shapes import E164, FORWARD_TO, clock, error, seeded, tick

PROVIDER = "close"
#: Where the emulator listened while recording (fixed, so URIs do not churn).
PORT = 47404
#: The key the emulator accepted while recording: credential-shaped on purpose.
RECORD_KEY = "api_" + "5eed0a5c" * 4
#: The key of the 401 scenario: unknown to the emulator, just as credential-shaped.
BAD_KEY = "api_" + "badc0de5" * 4
#: The request header carrying the key, and what it holds in a cassette.
CREDENTIAL_HEADER = ("authorization", "Basic REDACTED")
CLOSE_USERS = (
    "user_wfdz3IFOxDJMOQrrbdwsH6GzRhrezxiqIS0iuCewAGH",
    "user_jvDe26CuCAYBByzu2Wts9Jn7XDvqcVEmhpCui1DUslG",
)
#: A well-formed user id that is no user of the Close organization.
REFUSED_PARTICIPANTS = ("user_" + "NotInThisOrganization" + "0" * 22,)


def validation(emu: testing.Emulator) -> None:
    """No rule needed: a participant who is not a user of the organization is
    well-formed for our client and refused by the emulator's own field checks."""
    del emu


def make_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Update times count up instead of following the wall clock."""
    import phonerouting.testing.close as emulator_module

    monkeypatch.setattr(emulator_module, "now_iso", clock())


IDS = [
    "phon_mz79TPUx5RPQx36EcAPF6mYsBZGLWbZlA8WvE7p8136",
    "phon_Uq7t2QNL6tQXQNnxCVjS76sT7GqYW0L72xV0M717WTX",
    "phon_9UM0eAUwsaPMwqxomqGaqexmMx55tsXCOS2L33IoSrQ",
]
UNKNOWN_ID = "phon_" + "Unknown" + "0" * 36
UPDATE = pr.RoutingUpdate(
    forwarding_number="+1 202 555 9999",
    label="Front desk",
    ring_duration=25,
    participants=CLOSE_USERS,
)
CLEAR = pr.RoutingUpdate(forwarding_number=pr.CLEAR, label=pr.CLEAR)
REFUSED = pr.RoutingUpdate(participants=REFUSED_PARTICIPANTS)


def _number(
    i: int, number: str, created: datetime, updated: datetime, **routing: Any
) -> PhoneNumber:
    # Close reports press_1_to_accept false on a plain number: off, its empty state,
    # reads as None.
    return PhoneNumber(
        provider=PROVIDER,
        id=IDS[i],
        number=number,
        sms_enabled=True,
        mms_enabled=False,
        created_at=created,
        updated_at=updated,
        **routing,
    )


NUMBERS = [
    _number(0, E164[0], seeded(1), seeded(1), forwarding_number="+14159858708", label="Line 0"),
    _number(1, E164[1], seeded(2), seeded(2)),
    _number(2, E164[2], seeded(3), seeded(3)),
]
_LIST = "/api/v1/phone_number/"
GET_WIRE: list[tuple[str, str, Any]] = [("GET", f"{_LIST}{IDS[1]}/", None)]
UPDATED = _number(
    1,
    E164[1],
    seeded(2),
    tick(1),
    forwarding_number=FORWARD_TO,
    label="Front desk",
    ring_duration=25,
    participants=CLOSE_USERS,
)
UPDATE_WIRE = [
    (
        "PUT",
        f"{_LIST}{IDS[1]}/",
        {
            "forward_to": FORWARD_TO,
            "forward_to_enabled": True,
            "label": "Front desk",
            "inbound_ring_duration": 25,
            "participants": list(CLOSE_USERS),
        },
    ),
    ("GET", f"{_LIST}{IDS[1]}/", None),
]
CLEARED = _number(0, E164[0], seeded(1), tick(1))
CLEAR_WIRE = [
    ("PUT", f"{_LIST}{IDS[0]}/", {"forward_to": None, "forward_to_enabled": False, "label": ""}),
    ("GET", f"{_LIST}{IDS[0]}/", None),
]
UNAUTHORIZED = error("AuthenticationError", PROVIDER, 401, "The API key is invalid or missing.")
NOT_FOUND_GET = error(
    "NotFoundError", PROVIDER, 404, "Empty query: PhoneNumber matching query does not exist."
)
NOT_FOUND_UPDATE = error(
    "NotFoundError", PROVIDER, 404, "Empty query: PhoneNumber matching query does not exist."
)
VALIDATION = error(
    "ValidationError",
    PROVIDER,
    400,
    "validation failed",
    details={"participants": "Must be a list; each item a user id of this organization."},
    field="participants",
)
VALIDATION_WIRE = [
    ("PUT", f"{_LIST}{IDS[1]}/", {"participants": list(REFUSED_PARTICIPANTS)}),
    ("GET", f"{_LIST}{IDS[1]}/", None),
]

# ---------------------------------------------------------------- live (test_live.py)
#: A well-formed id no account holds.
LIVE_UNKNOWN_ID = "phon_" + "Unknown" + "0" * 36
#: What the live write test sets, then clears (``None``: the live forwarding number).
LIVE_WRITE: tuple[str, Any] = ("label", "phonerouting live test")
#: The documented error codes of a 401 and a 404 (``None``: none documented).
LIVE_UNAUTHORIZED_CODE: Any = None
LIVE_NOT_FOUND_CODE: Any = None
#: The status of a get of an unknown id (``None``: found missing by the client).
LIVE_NOT_FOUND_GET_STATUS: int | None = 404
