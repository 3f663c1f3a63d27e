"""The agentmessage cassettes: how they were recorded and what replaying them must give.

The emulator was seeded with ``scenarios.SEED`` (6) and 3 numbers: the first has
routing values, the second none. Updates go to the second number, clears to the first.
Times and request ids come from the counters of `make_deterministic`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import phonerouting as pr
from phonerouting import PhoneNumber, testing
from tests.cassettes.shapes import E164, clock, error, refuse, request_id, seeded, tick, ulids

PROVIDER = "agentmessage"
#: Where the emulator listened while recording (fixed, so URIs do not churn).
PORT = 47403
#: The key the emulator accepted while recording: credential-shaped on purpose.
RECORD_KEY = "am_live_" + "5eed0a4c" * 4
#: The key of the 401 scenario: unknown to the emulator, just as credential-shaped.
BAD_KEY = "am_live_" + "badc0de4" * 4
#: The request header carrying the key, and what it holds in a cassette.
CREDENTIAL_HEADER = ("authorization", "Bearer REDACTED")
#: A webhook URL the emulator is told to refuse (a loopback host).
REFUSED_WEBHOOK = "https://127.0.0.1/hooks/inbound"
CAMPAIGN = "456d950c-6ebe-4dde-9016-adbaa58b114f"


def validation(emu: testing.Emulator) -> None:
    """The vendor's 422 for a webhook it will not call."""
    answer = emu.error(422, details={"inbound_url": "must be a public https:// URL"})
    refuse(emu, "PATCH", lambda b: b.get("inbound_url") == REFUSED_WEBHOOK, answer)


def make_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Update times and request ids count up instead of following the wall clock and
    chance."""
    import phonerouting.testing.agentmessage as emulator_module

    monkeypatch.setattr(emulator_module, "now_iso", clock())
    monkeypatch.setattr(emulator_module, "ulid", ulids())


IDS = [
    "548f462e-c1a6-4d65-9128-f96c13d30115",
    "1de8fea8-b8d0-49c6-a73e-6e590d1cc930",
    "e05131f9-29e6-4550-8bc9-e39abbbec5a4",
]
UNKNOWN_ID = "00000000-0000-4000-8000-000000000404"
UPDATE = pr.RoutingUpdate(
    inbound_url="https://hooks.example.com/in/new",
    status_url="https://hooks.example.com/status/new",
    label="Support",
    campaign_id=CAMPAIGN,
)
CLEAR = pr.RoutingUpdate(
    inbound_url=pr.CLEAR, status_url=pr.CLEAR, label=pr.CLEAR, campaign_id=pr.CLEAR
)
REFUSED = pr.RoutingUpdate(inbound_url=REFUSED_WEBHOOK)


def _number(
    i: int, number: str, created: datetime, updated: datetime, **routing: Any
) -> PhoneNumber:
    return PhoneNumber(
        provider=PROVIDER,
        id=IDS[i],
        number=number,
        sms_enabled=True,
        mms_enabled=True,
        created_at=created,
        updated_at=updated,
        **routing,
    )


# Newest first, as AgentMessage lists.
NUMBERS = [
    _number(
        2,
        E164[2],
        seeded(3),
        seeded(3),
        inbound_url="https://hooks.example.com/in/2",
        status_url="https://hooks.example.com/status/2",
        label="Line 2",
    ),
    _number(1, E164[1], seeded(2), seeded(2)),
    _number(
        0,
        E164[0],
        seeded(1),
        seeded(1),
        inbound_url="https://hooks.example.com/in/0",
        status_url="https://hooks.example.com/status/0",
        label="Line 0",
        campaign_id=CAMPAIGN,
    ),
]
_LIST = "/v1/phone-numbers"
GET_WIRE: list[tuple[str, str, Any]] = [("GET", f"{_LIST}/{IDS[1]}", None)]
UPDATED = _number(
    1,
    E164[1],
    seeded(2),
    tick(1),
    inbound_url="https://hooks.example.com/in/new",
    status_url="https://hooks.example.com/status/new",
    label="Support",
    campaign_id=CAMPAIGN,
)
UPDATE_WIRE = [
    (
        "PATCH",
        f"{_LIST}/{IDS[1]}",
        {
            "inbound_url": "https://hooks.example.com/in/new",
            "status_url": "https://hooks.example.com/status/new",
            "label": "Support",
            "campaign_id": CAMPAIGN,
        },
    ),
    ("GET", f"{_LIST}/{IDS[1]}", None),
]
# Two writes (PATCH, then the campaign detach), two clock readings.
CLEARED = _number(0, E164[0], seeded(1), tick(2))
# "" clears the strings; the campaign is detached, never sent as "".
CLEAR_WIRE = [
    ("PATCH", f"{_LIST}/{IDS[0]}", {"inbound_url": "", "status_url": "", "label": ""}),
    ("DELETE", f"{_LIST}/{IDS[0]}/campaign", None),
    ("GET", f"{_LIST}/{IDS[0]}", None),
]
UNAUTHORIZED = error(
    "AuthenticationError",
    PROVIDER,
    401,
    "authentication failed",
    code="UNAUTHORIZED",
    request_id=request_id(1),
)
NOT_FOUND_GET = error(
    "NotFoundError", PROVIDER, 404, "not found", code="NOT_FOUND", request_id=request_id(1)
)
NOT_FOUND_UPDATE = error(
    "NotFoundError",
    PROVIDER,
    404,
    "not found",
    code="NOT_FOUND",
    # Each emulator response draws an id for its header even when the error body
    # already has one, so the second error is the third id.
    request_id=request_id(3),
)
VALIDATION = error(
    "ValidationError",
    PROVIDER,
    422,
    "validation failed",
    code="VALIDATION_FAILED",
    request_id=request_id(1),
    details={"inbound_url": "must be a public https:// URL"},
    field="inbound_url",
)
VALIDATION_WIRE = [
    ("PATCH", f"{_LIST}/{IDS[1]}", {"inbound_url": REFUSED_WEBHOOK}),
    ("GET", f"{_LIST}/{IDS[1]}", None),
]

# ---------------------------------------------------------------- live (test_live.py)
#: A well-formed id no account holds.
LIVE_UNKNOWN_ID = "00000000-0000-4000-8000-000000000404"
#: What the live write test sets, then clears (``None``: the live forwarding number).
LIVE_WRITE: tuple[str, Any] = ("label", "phonerouting live test")
#: The documented error codes of a 401 and a 404 (``None``: none documented).
LIVE_UNAUTHORIZED_CODE: Any = "UNAUTHORIZED"
LIVE_NOT_FOUND_CODE: Any = "NOT_FOUND"
#: The status of a get of an unknown id (``None``: found missing by the client).
LIVE_NOT_FOUND_GET_STATUS: int | None = 404
