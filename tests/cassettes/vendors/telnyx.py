"""The telnyx cassettes: how they were recorded and what replaying them must give.

The emulator was seeded with ``scenarios.SEED`` (6) and 3 numbers: the first has
routing values, the second none. Updates go to the second number, clears to the first.
Update times come from the clock of `make_deterministic`; the emulator's request ids
(``x-request-id``) follow from its state, so they repeat run to run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import phonerouting as pr
from phonerouting import PhoneNumber, testing
from tests.cassettes.shapes import E164, FORWARD_TO, clock, error, seeded, tick

PROVIDER = "telnyx"
#: Where the emulator listened while recording (fixed, so URIs do not churn).
PORT = 47405
#: The key the emulator accepted while recording: credential-shaped on purpose.
RECORD_KEY = "KEY" + "5eed0a6c" * 4
#: The key of the 401 scenario: unknown to the emulator, just as credential-shaped.
BAD_KEY = "KEY" + "badc0de6" * 4
#: The request header carrying the key, and what it holds in a cassette.
CREDENTIAL_HEADER = ("authorization", "Bearer REDACTED")
#: The emulator's connections and messaging profiles with seed 6.
CONNECTION = "85cce1b6-2a0b-4c7b-a842-8bf127b95d31"
OFFICE = "1293384261075731499"
PROFILES = ("cc99be4e-3abf-4b93-8ad6-c18dce7656e6", "39b10fee-4472-4f01-bfd3-42d6cd96d8cf")
_DOCS = "https://developers.telnyx.com/docs/overview/errors"
#: The emulator's x-request-id of the first and second answer of a scenario.
_REQUEST_IDS = ("87ac7065-651b-495c-bf2e-e7a65f19938e", "d959b9fe-51c1-42ed-9096-10350e6d60fe")


def validation(emu: testing.Emulator) -> None:
    """No rule needed: a connection the account does not have is well-formed for our
    client and refused by the emulator's own checks."""
    del emu


def make_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Update times count up instead of following the wall clock."""
    import phonerouting.testing.telnyx as emulator_module

    monkeypatch.setattr(emulator_module, "now_iso", clock())


IDS = ["1293384531785369278", "1293384261901381012", "1293384660615317798"]
UNKNOWN_ID = "999999"
UPDATE = pr.RoutingUpdate(
    forwarding_number="+1 202 555 9999",
    connection_id=OFFICE,
    tags=["front-desk"],
    messaging_profile_id=PROFILES[0],
)
CLEAR = pr.RoutingUpdate(
    forwarding_number=pr.CLEAR, connection_id=pr.CLEAR, tags=pr.CLEAR, messaging_profile_id=pr.CLEAR
)
#: A well-formed connection id the account does not have.
REFUSED = pr.RoutingUpdate(connection_id="2293384261075731499")


def _number(
    i: int, number: str, created: datetime, updated: datetime, **routing: Any
) -> PhoneNumber:
    return PhoneNumber(
        provider=PROVIDER,
        id=IDS[i],
        number=number,
        created_at=created,
        updated_at=updated,
        **routing,
    )


NUMBERS = [
    _number(
        0,
        E164[0],
        seeded(1),
        seeded(1),
        forwarding_number="+15039126186",
        connection_id=CONNECTION,
        messaging_profile_id=PROFILES[1],
        tags=("line-0",),
    ),
    _number(1, E164[1], seeded(2), seeded(2)),
    _number(2, E164[2], seeded(3), seeded(3)),
]
_TX = "/v2/phone_numbers"
# The number and its voice settings, where forwarding lives.
GET_WIRE: list[tuple[str, str, Any]] = [
    ("GET", f"{_TX}/{IDS[1]}", None),
    ("GET", f"{_TX}/{IDS[1]}/voice", None),
]
# Three writes (voice, messaging, the number), three clock readings.
UPDATED = _number(
    1,
    E164[1],
    seeded(2),
    tick(3),
    forwarding_number=FORWARD_TO,
    connection_id=OFFICE,
    messaging_profile_id=PROFILES[0],
    tags=("front-desk",),
)
UPDATE_WIRE = [
    # Read first: setting forwarding keeps the number's forwarding type.
    ("GET", f"{_TX}/{IDS[1]}", None),
    ("GET", f"{_TX}/{IDS[1]}/voice", None),
    (
        "PATCH",
        f"{_TX}/{IDS[1]}/voice",
        {
            "call_forwarding": {
                "call_forwarding_enabled": True,
                "forwards_to": FORWARD_TO,
                "forwarding_type": "always",
            }
        },
    ),
    ("PATCH", f"{_TX}/{IDS[1]}/messaging", {"messaging_profile_id": PROFILES[0]}),
    ("PATCH", f"{_TX}/{IDS[1]}", {"connection_id": OFFICE, "tags": ["front-desk"]}),
    ("GET", f"{_TX}/{IDS[1]}", None),
    ("GET", f"{_TX}/{IDS[1]}/voice", None),
]
CLEARED = _number(0, E164[0], seeded(1), tick(3))
CLEAR_WIRE = [
    (
        "PATCH",
        f"{_TX}/{IDS[0]}/voice",
        {"call_forwarding": {"call_forwarding_enabled": False, "forwards_to": ""}},
    ),
    ("PATCH", f"{_TX}/{IDS[0]}/messaging", {"messaging_profile_id": ""}),
    ("PATCH", f"{_TX}/{IDS[0]}", {"connection_id": "", "tags": []}),
    ("GET", f"{_TX}/{IDS[0]}", None),
    ("GET", f"{_TX}/{IDS[0]}/voice", None),
]
UNAUTHORIZED = error(
    "AuthenticationError",
    PROVIDER,
    401,
    "Could not understand the provided credentials.",
    code="10009",
    request_id=_REQUEST_IDS[0],
    doc_url=f"{_DOCS}/10009",
)
NOT_FOUND_GET = error(
    "NotFoundError",
    PROVIDER,
    404,
    "The requested resource or URL could not be found.",
    code="10005",
    request_id=_REQUEST_IDS[0],
    doc_url=f"{_DOCS}/10005",
)
# Setting forwarding reads the number first: that read is the 404.
NOT_FOUND_UPDATE = {**NOT_FOUND_GET, "request_id": _REQUEST_IDS[1]}
VALIDATION = error(
    "ValidationError",
    PROVIDER,
    422,
    "The connection does not exist in this account.",
    code="10017",
    request_id=_REQUEST_IDS[0],
    doc_url=f"{_DOCS}/10017",
    details={"/connection_id": "The connection does not exist in this account."},
    field="connection_id",
)
VALIDATION_WIRE = [
    ("PATCH", f"{_TX}/{IDS[1]}", {"connection_id": "2293384261075731499"}),
    ("GET", f"{_TX}/{IDS[1]}", None),
    ("GET", f"{_TX}/{IDS[1]}/voice", None),
]

# ---------------------------------------------------------------- live (test_live.py)
#: A well-formed id no account holds.
LIVE_UNKNOWN_ID = "999999"
#: What the live write test sets, then clears (``None``: the live forwarding number).
LIVE_WRITE: tuple[str, Any] = ("tags", ["phonerouting-live-test"])
#: The documented error codes of a 401 and a 404 (``None``: none documented).
LIVE_UNAUTHORIZED_CODE: Any = "10009"
LIVE_NOT_FOUND_CODE: Any = "10005"
#: The status of a get of an unknown id (``None``: found missing by the client).
LIVE_NOT_FOUND_GET_STATUS: int | None = 404
