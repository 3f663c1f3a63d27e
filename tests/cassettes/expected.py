"""Inputs and expected results of the recorded scenarios.

Every emulator was seeded with ``scenarios.SEED`` (6) and 3 numbers: the first has
routing values, the second none. Updates go to the second number, clears to the first.
The timestamps and request ids come from the counters of ``make_deterministic``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import phonerouting as pr
from phonerouting import PhoneNumber
from tests.cassettes.scenarios import REFUSED_FORWARDING, REFUSED_WEBHOOK

#: The index of the number the get scenario fetches (and updates go to).
SECOND = 1

IDS = {
    "linq-v2": ["1001", "1002", "1003"],
    "linq-v3": [
        "d77ad062-4697-4fda-8743-c3ca048b3cb9",
        "eb4bc4fe-a58c-45bd-ba0b-82e491792b55",
        "17408544-7a70-4aa0-930c-b8d96c10e8c1",
    ],
    "agentmessage": [
        "548f462e-c1a6-4d65-9128-f96c13d30115",
        "1de8fea8-b8d0-49c6-a73e-6e590d1cc930",
        "e05131f9-29e6-4550-8bc9-e39abbbec5a4",
    ],
    "close": [
        "phon_mz79TPUx5RPQx36EcAPF6mYsBZGLWbZlA8WvE7p8136",
        "phon_Uq7t2QNL6tQXQNnxCVjS76sT7GqYW0L72xV0M717WTX",
        "phon_9UM0eAUwsaPMwqxomqGaqexmMx55tsXCOS2L33IoSrQ",
    ],
}
CLOSE_USERS = (
    "user_wfdz3IFOxDJMOQrrbdwsH6GzRhrezxiqIS0iuCewAGH",
    "user_jvDe26CuCAYBByzu2Wts9Jn7XDvqcVEmhpCui1DUslG",
)
CAMPAIGN = "456d950c-6ebe-4dde-9016-adbaa58b114f"
UPDATE_ID = {p: ids[1] for p, ids in IDS.items()}
CLEAR_ID = {p: ids[0] for p, ids in IDS.items()}
UNKNOWN_ID = {
    "linq-v2": "999999",
    "linq-v3": "00000000-0000-4000-8000-000000000404",
    "agentmessage": "00000000-0000-4000-8000-000000000404",
    "close": "phon_" + "Unknown" + "0" * 36,
}
UPDATE = {
    "linq-v2": pr.RoutingUpdate(forwarding_number="+1 (202) 555-9999"),
    "linq-v3": pr.RoutingUpdate(forwarding_number="+1 (202) 555-9999"),
    "agentmessage": pr.RoutingUpdate(
        inbound_url="https://hooks.example.com/in/new",
        status_url="https://hooks.example.com/status/new",
        label="Support",
        campaign_id=CAMPAIGN,
    ),
    "close": pr.RoutingUpdate(
        forwarding_number="+1 202 555 9999",
        label="Front desk",
        ring_duration=25,
        participants=CLOSE_USERS,
    ),
}
CLEAR = {
    "linq-v2": pr.RoutingUpdate(forwarding_number=pr.CLEAR),
    "linq-v3": pr.RoutingUpdate(forwarding_number=pr.CLEAR),
    "agentmessage": pr.RoutingUpdate(
        inbound_url=pr.CLEAR, status_url=pr.CLEAR, label=pr.CLEAR, campaign_id=pr.CLEAR
    ),
    "close": pr.RoutingUpdate(forwarding_number=pr.CLEAR, label=pr.CLEAR),
}
#: A well-formed user id that is no user of the Close organization.
REFUSED_PARTICIPANTS = ("user_" + "NotInThisOrganization" + "0" * 22,)
REFUSED = {
    "linq-v2": pr.RoutingUpdate(forwarding_number=REFUSED_FORWARDING),
    "linq-v3": pr.RoutingUpdate(forwarding_number=REFUSED_FORWARDING),
    "agentmessage": pr.RoutingUpdate(inbound_url=REFUSED_WEBHOOK),
    "close": pr.RoutingUpdate(participants=REFUSED_PARTICIPANTS),
}


def _seeded(second: int) -> datetime:
    """The seeded creation times (AgentMessage, Close): 2026-01-01, one second apart."""
    return datetime(2026, 1, 1, 0, 0, second, tzinfo=UTC)


def _tick(n: int) -> datetime:
    """The n-th reading of the recording clock (update times)."""
    return datetime(2026, 2, 1, 10, 0, n, tzinfo=UTC)


def _linq(provider: str, i: int, number: str, forwarding: str | None) -> PhoneNumber:
    return PhoneNumber(
        provider=provider, id=IDS[provider][i], number=number, forwarding_number=forwarding
    )


def _agentmessage(
    i: int, number: str, created: datetime, updated: datetime, **routing: Any
) -> PhoneNumber:
    return PhoneNumber(
        provider="agentmessage",
        id=IDS["agentmessage"][i],
        number=number,
        sms_enabled=True,
        mms_enabled=True,
        created_at=created,
        updated_at=updated,
        **routing,
    )


def _close(
    i: int, number: str, created: datetime, updated: datetime, **routing: Any
) -> PhoneNumber:
    # Close reports press_1_to_accept false on a plain number: off, its empty state,
    # reads as None.
    return PhoneNumber(
        provider="close",
        id=IDS["close"][i],
        number=number,
        sms_enabled=True,
        mms_enabled=False,
        created_at=created,
        updated_at=updated,
        **routing,
    )


# The same seed gives the same E.164 numbers in every emulator.
E164 = ("+16464187608", "+14158383058", "+15127021402")

NUMBERS = {
    "linq-v2": [
        _linq("linq-v2", 0, E164[0], "+14154056267"),
        _linq("linq-v2", 1, E164[1], None),
        _linq("linq-v2", 2, E164[2], "+13128352724"),
    ],
    "linq-v3": [
        _linq("linq-v3", 0, E164[0], "+16176890454"),
        _linq("linq-v3", 1, E164[1], None),
        _linq("linq-v3", 2, E164[2], "+15127799250"),
    ],
    # Newest first, as AgentMessage lists.
    "agentmessage": [
        _agentmessage(
            2,
            E164[2],
            _seeded(3),
            _seeded(3),
            inbound_url="https://hooks.example.com/in/2",
            status_url="https://hooks.example.com/status/2",
            label="Line 2",
        ),
        _agentmessage(1, E164[1], _seeded(2), _seeded(2)),
        _agentmessage(
            0,
            E164[0],
            _seeded(1),
            _seeded(1),
            inbound_url="https://hooks.example.com/in/0",
            status_url="https://hooks.example.com/status/0",
            label="Line 0",
            campaign_id=CAMPAIGN,
        ),
    ],
    "close": [
        _close(
            0, E164[0], _seeded(1), _seeded(1), forwarding_number="+14159858708", label="Line 0"
        ),
        _close(1, E164[1], _seeded(2), _seeded(2)),
        _close(2, E164[2], _seeded(3), _seeded(3)),
    ],
}
_V2 = "/api/partner/v2/phone_numbers"
_V3 = "/api/partner/v3/phone_numbers"
_AM = "/v1/phone-numbers"
_CLOSE = "/api/v1/phone_number/"

GET_WIRE = {
    "linq-v2": [("GET", _V2, None)],
    "linq-v3": [("GET", _V3, None)],
    "agentmessage": [("GET", f"{_AM}/{UPDATE_ID['agentmessage']}", None)],
    "close": [("GET", f"{_CLOSE}{UPDATE_ID['close']}/", None)],
}

FORWARD_TO = "+12025559999"
UPDATED = {
    "linq-v2": _linq("linq-v2", 1, E164[1], FORWARD_TO),
    "linq-v3": _linq("linq-v3", 1, E164[1], FORWARD_TO),
    "agentmessage": _agentmessage(
        1,
        E164[1],
        _seeded(2),
        _tick(1),
        inbound_url="https://hooks.example.com/in/new",
        status_url="https://hooks.example.com/status/new",
        label="Support",
        campaign_id=CAMPAIGN,
    ),
    "close": _close(
        1,
        E164[1],
        _seeded(2),
        _tick(1),
        forwarding_number=FORWARD_TO,
        label="Front desk",
        ring_duration=25,
        participants=CLOSE_USERS,
    ),
}
UPDATE_WIRE = {
    "linq-v2": [
        ("PUT", f"{_V2}/1002", {"forwarding_number": FORWARD_TO}),
        ("GET", _V2, None),
    ],
    "linq-v3": [
        ("PUT", f"{_V3}/{UPDATE_ID['linq-v3']}", {"forwarding_number": FORWARD_TO}),
        ("GET", _V3, None),
    ],
    "agentmessage": [
        (
            "PATCH",
            f"{_AM}/{UPDATE_ID['agentmessage']}",
            {
                "inbound_url": "https://hooks.example.com/in/new",
                "status_url": "https://hooks.example.com/status/new",
                "label": "Support",
                "campaign_id": CAMPAIGN,
            },
        ),
        ("GET", f"{_AM}/{UPDATE_ID['agentmessage']}", None),
    ],
    "close": [
        (
            "PUT",
            f"{_CLOSE}{UPDATE_ID['close']}/",
            {
                "forward_to": FORWARD_TO,
                "forward_to_enabled": True,
                "label": "Front desk",
                "inbound_ring_duration": 25,
                "participants": list(CLOSE_USERS),
            },
        ),
        ("GET", f"{_CLOSE}{UPDATE_ID['close']}/", None),
    ],
}

CLEARED = {
    "linq-v2": _linq("linq-v2", 0, E164[0], None),
    "linq-v3": _linq("linq-v3", 0, E164[0], None),
    # Two writes (PATCH, then the campaign detach), two clock readings.
    "agentmessage": _agentmessage(0, E164[0], _seeded(1), _tick(2)),
    "close": _close(0, E164[0], _seeded(1), _tick(1)),
}
CLEAR_WIRE = {
    # Linq documents "" to clear; the adapter sends it.
    "linq-v2": [("PUT", f"{_V2}/1001", {"forwarding_number": ""}), ("GET", _V2, None)],
    "linq-v3": [
        ("PUT", f"{_V3}/{CLEAR_ID['linq-v3']}", {"forwarding_number": ""}),
        ("GET", _V3, None),
    ],
    # "" clears the strings; the campaign is detached, never sent as "".
    "agentmessage": [
        (
            "PATCH",
            f"{_AM}/{CLEAR_ID['agentmessage']}",
            {"inbound_url": "", "status_url": "", "label": ""},
        ),
        ("DELETE", f"{_AM}/{CLEAR_ID['agentmessage']}/campaign", None),
        ("GET", f"{_AM}/{CLEAR_ID['agentmessage']}", None),
    ],
    "close": [
        (
            "PUT",
            f"{_CLOSE}{CLEAR_ID['close']}/",
            {"forward_to": None, "forward_to_enabled": False, "label": ""},
        ),
        ("GET", f"{_CLOSE}{CLEAR_ID['close']}/", None),
    ],
}


def _error(
    type_: str, provider: str, status: int | None, message: str, **fields: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": type_,
        "provider": provider,
        "status": status,
        "code": None,
        "message": message,
        "request_id": None,
        "doc_url": None,
        "details": {},
        "field": None,
        "retry_after": None,
    }
    out.update(fields)
    return out


def _trace(n: int) -> str:
    """The n-th Linq v3 trace id of the recording."""
    return f"{n:032x}"


def _request_id(n: int) -> str:
    """The n-th AgentMessage request id of the recording."""
    return f"01KCASSETTE{n:015d}"


_LINQ_DOCS = "https://docs.linqapp.com/error/codes"

UNAUTHORIZED = {
    "linq-v2": _error(
        "AuthenticationError",
        "linq-v2",
        401,
        "Unauthorized: Invalid or missing integration token",
        code="unauthorized",
    ),
    "linq-v3": _error(
        "AuthenticationError",
        "linq-v3",
        401,
        "Unauthorized - missing or invalid authentication token",
        code=2004,
        request_id=_trace(1),
        doc_url=f"{_LINQ_DOCS}/2xxx/2004/",
    ),
    "agentmessage": _error(
        "AuthenticationError",
        "agentmessage",
        401,
        "authentication failed",
        code="UNAUTHORIZED",
        request_id=_request_id(1),
    ),
    "close": _error("AuthenticationError", "close", 401, "The API key is invalid or missing."),
}

# Linq has no get-one endpoint: an unknown id is found missing in the listing, by the
# client (no HTTP status). The others answer their own 404.
NOT_FOUND_GET = {
    "linq-v2": _error("NotFoundError", "linq-v2", None, "no number with id 999999 in this account"),
    "linq-v3": _error(
        "NotFoundError",
        "linq-v3",
        None,
        f"no number with id {UNKNOWN_ID['linq-v3']} in this account",
    ),
    "agentmessage": _error(
        "NotFoundError",
        "agentmessage",
        404,
        "not found",
        code="NOT_FOUND",
        request_id=_request_id(1),
    ),
    "close": _error(
        "NotFoundError", "close", 404, "Empty query: PhoneNumber matching query does not exist."
    ),
}
NOT_FOUND_UPDATE = {
    "linq-v2": _error(
        "NotFoundError", "linq-v2", 404, "Not Found: Phone number not found", code="not_found"
    ),
    "linq-v3": _error(
        "NotFoundError",
        "linq-v3",
        404,
        "Resource not found",
        code=2001,
        request_id=_trace(2),
        doc_url=f"{_LINQ_DOCS}/2xxx/2001/",
    ),
    "agentmessage": _error(
        "NotFoundError",
        "agentmessage",
        404,
        "not found",
        code="NOT_FOUND",
        # Each emulator response draws an id for its header even when the error body
        # already has one, so the second error is the third id.
        request_id=_request_id(3),
    ),
    "close": _error(
        "NotFoundError", "close", 404, "Empty query: PhoneNumber matching query does not exist."
    ),
}

VALIDATION = {
    "linq-v2": _error(
        "ValidationError",
        "linq-v2",
        422,
        "Unprocessable Entity: Forwarding number must be a valid phone number in E.164 format",
        code="invalid_forwarding_number",
        field="forwarding_number",
    ),
    "linq-v3": _error(
        "ValidationError",
        "linq-v3",
        400,
        "Phone number must be in E.164 format",
        code=1002,
        request_id=_trace(1),
        doc_url=f"{_LINQ_DOCS}/1xxx/1002/",
        field="forwarding_number",
    ),
    "agentmessage": _error(
        "ValidationError",
        "agentmessage",
        422,
        "validation failed",
        code="VALIDATION_FAILED",
        request_id=_request_id(1),
        details={"inbound_url": "must be a public https:// URL"},
        field="inbound_url",
    ),
    "close": _error(
        "ValidationError",
        "close",
        400,
        "validation failed",
        details={"participants": "Must be a list; each item a user id of this organization."},
        field="participants",
    ),
}
VALIDATION_WIRE = {
    "linq-v2": [
        ("PUT", f"{_V2}/1002", {"forwarding_number": REFUSED_FORWARDING}),
        ("GET", _V2, None),
    ],
    "linq-v3": [
        ("PUT", f"{_V3}/{UPDATE_ID['linq-v3']}", {"forwarding_number": REFUSED_FORWARDING}),
        ("GET", _V3, None),
    ],
    "agentmessage": [
        ("PATCH", f"{_AM}/{UPDATE_ID['agentmessage']}", {"inbound_url": REFUSED_WEBHOOK}),
        ("GET", f"{_AM}/{UPDATE_ID['agentmessage']}", None),
    ],
    "close": [
        ("PUT", f"{_CLOSE}{UPDATE_ID['close']}/", {"participants": list(REFUSED_PARTICIPANTS)}),
        ("GET", f"{_CLOSE}{UPDATE_ID['close']}/", None),
    ],
}
