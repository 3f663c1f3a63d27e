"""The twilio cassettes: how they were recorded and what replaying them must give.

The recording emulator is Twilio's own set-up (`recording_emulator`): three numbers
added by hand, the first with a label and a voice URL, the second with nothing set
(its FriendlyName Twilio's default, which reads as no label), the third with an
SmsApplicationSid (the ``overridden`` scenario of ``tests/cassettes/test_twilio.py``).
Updates go to the second number, clears to the first. The client authenticates with
the Account SID and the Auth Token (HTTP Basic); every update is a form body. Update
times come from the clock of `make_deterministic`; ``Twilio-Request-Id`` counts the
emulator's answers, so it repeats run to run.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

import phonerouting as pr
from phonerouting import PhoneNumber, testing
from phonerouting.testing.wire import EmuRequest, EmuResponse
from tests.cassettes.shapes import error, seeded, tick

PROVIDER = "twilio"
#: Where the emulator listened while recording (fixed, so URIs do not churn).
PORT = 47406
SEED = 6
#: The Auth Token the recording emulator accepted: 32 hex digits, like Twilio's.
RECORD_KEY = "5eed0a6c" * 4
#: The token of the 401 scenario: unknown to the emulator, just as token-shaped.
BAD_KEY = "badc0de6" * 4
#: The request header carrying the credentials, and what it holds in a cassette.
CREDENTIAL_HEADER = ("authorization", "Basic REDACTED")
#: The recording emulator's account (made from the seed): in every path.
ACCOUNT = testing.TwilioEmulator(seed=SEED).account_sid
#: Cassettes of tests/cassettes/test_twilio.py, beyond the suite's scenarios.
OWN_SCENARIOS = ("find", "overridden")
URL = "https://hooks.example/twiml"
#: An SmsUrl our client lets through (https) and the recording emulator refuses (a
#: loopback host), as Twilio's 21402.
REFUSED_URL = "https://127.0.0.1/hooks/sms"
APP = "AP" + "1" * 32
#: No Retry-After from Twilio on a 429: the client waits its policy's first backoff.
RATE_LIMIT_WAITS = [0.01]


def credentials(secret: str) -> dict[str, str]:
    """The Account SID and ``secret`` as its Auth Token."""
    return {"account_sid": ACCOUNT, "auth_token": secret}


def live_credentials(secret: str) -> dict[str, str]:
    """A real account: ``PHONEROUTING_LIVE_TWILIO_ACCOUNT_SID`` and its Auth Token."""
    sid = os.environ.get("PHONEROUTING_LIVE_TWILIO_ACCOUNT_SID", "")
    return {"account_sid": sid, "auth_token": secret}


def recording_emulator() -> testing.TwilioEmulator:
    """The three numbers the scenarios need, one of them under an application."""
    emu = testing.TwilioEmulator(seed=SEED, api_key=RECORD_KEY)
    emu.add_number("+12025550142", friendly_name="Front desk", voice_url=URL + "/voice")
    emu.add_number("+13125550199")
    emu.add_number("+14155550123", sms_application_sid=APP)
    return emu


def validation(emu: testing.Emulator) -> None:
    """Refuse `REFUSED_URL` as an SmsUrl, with Twilio's 21402 (the form's field)."""
    route = emu.route

    def strict(request: EmuRequest) -> EmuResponse:
        if request.method == "POST" and request.form().get("SmsUrl") == REFUSED_URL:
            return emu.error(
                400, f"The requested SmsUrl '{REFUSED_URL}' is not a valid URL", code=21402
            )
        return route(request)

    emu.route = strict  # type: ignore[method-assign]


def rate_limited(emu: testing.Emulator) -> None:
    """One 429 on the first GET, without Retry-After, as Twilio answers (20429)."""
    emu.faults.add("status", status=429, method="GET")


def make_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Update times count up, a second apart, instead of following the wall clock."""
    ticks = itertools.count(1)
    epoch = datetime(2026, 2, 1, 10, 0, tzinfo=UTC)
    monkeypatch.setattr(
        testing.twilio, "now_iso", lambda: (epoch + timedelta(seconds=next(ticks))).isoformat()
    )


IDS = [
    "PN9d3ac0f1d64172ac0487f11bd8edd9ac",
    "PN4cff93a76035d980310c2e77edadfadf",
    "PN52d8da0d61dff6a351f014c9fffa172b",
]
UNKNOWN_ID = "PN" + "0" * 32
UPDATE = pr.RoutingUpdate(
    label="Sales",
    voice_url=URL + "/v2",
    voice_fallback_url=URL + "/vf",
    call_status_url=URL + "/status",
    inbound_url=URL + "/sms",
    inbound_fallback_url=URL + "/sf",
)
CLEAR = pr.RoutingUpdate(label=pr.CLEAR, voice_url=pr.CLEAR)
REFUSED = pr.RoutingUpdate(inbound_url=REFUSED_URL)
_BASE = f"/2010-04-01/Accounts/{ACCOUNT}/IncomingPhoneNumbers"


def _number(i: int, number: str, **routing: Any) -> PhoneNumber:
    # Creation stamps step a second from the emulator's epoch; nothing updated yet.
    stamp = seeded(i + 1)
    return PhoneNumber(
        provider=PROVIDER, id=IDS[i], number=number, created_at=stamp, updated_at=stamp, **routing
    )


NUMBERS = [
    _number(0, "+12025550142", label="Front desk", voice_url=URL + "/voice"),
    # FriendlyName is Twilio's default, "(312) 555-0199": no label.
    _number(1, "+13125550199"),
    # Its SmsApplicationSid is no routing field: the number reads as having none.
    _number(2, "+14155550123"),
]
GET_WIRE: list[tuple[str, str, Any]] = [("GET", f"{_BASE}/{IDS[1]}.json", None)]


def _item(i: int) -> tuple[str, str, None]:
    return ("GET", f"{_BASE}/{IDS[i]}.json", None)


def _post(i: int, form: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    return ("POST", f"{_BASE}/{IDS[i]}.json", form)


# One clock reading: one write.
UPDATED = _number(
    1,
    "+13125550199",
    label="Sales",
    voice_url=URL + "/v2",
    voice_fallback_url=URL + "/vf",
    call_status_url=URL + "/status",
    inbound_url=URL + "/sms",
    inbound_fallback_url=URL + "/sf",
)
UPDATED = attrs.evolve(UPDATED, updated_at=tick(1))
UPDATE_WIRE = [
    # Read first: an application on the number would make Twilio ignore these URLs.
    _item(1),
    _post(
        1,
        {
            "FriendlyName": "Sales",
            "VoiceUrl": URL + "/v2",
            "VoiceFallbackUrl": URL + "/vf",
            "StatusCallback": URL + "/status",
            "SmsUrl": URL + "/sms",
            "SmsFallbackUrl": URL + "/sf",
        },
    ),
    _item(1),
]
# A cleared FriendlyName reads back as Twilio's default: no label.
CLEARED = attrs.evolve(_number(0, "+12025550142"), updated_at=tick(1))
CLEAR_WIRE = [_item(0), _post(0, {"FriendlyName": "", "VoiceUrl": ""}), _item(0)]
_DOCS = "https://www.twilio.com/docs/errors"
_RQ = ("RQ" + "0" * 31 + "1", "RQ" + "0" * 31 + "2")
UNAUTHORIZED = error(
    "AuthenticationError",
    PROVIDER,
    401,
    "Authenticate",
    code=20003,
    request_id=_RQ[0],
    doc_url=f"{_DOCS}/20003",
)
NOT_FOUND_GET = error(
    "NotFoundError",
    PROVIDER,
    404,
    f"The requested resource {_BASE}/{UNKNOWN_ID}.json was not found",
    code=20404,
    request_id=_RQ[0],
    doc_url=f"{_DOCS}/20404",
)
# Setting URLs reads the number first: that read is the 404.
NOT_FOUND_UPDATE = {**NOT_FOUND_GET, "request_id": _RQ[1]}
VALIDATION = error(
    "ValidationError",
    PROVIDER,
    400,
    f"The requested SmsUrl '{REFUSED_URL}' is not a valid URL",
    code=21402,
    request_id=_RQ[1],
    doc_url=f"{_DOCS}/21402",
)
VALIDATION_WIRE = [_item(1), _post(1, {"SmsUrl": REFUSED_URL}), _item(1)]

# ---------------------------------------------------------------- live (test_live.py)
#: A well-formed number SID no account holds.
LIVE_UNKNOWN_ID = UNKNOWN_ID
#: What the live write test sets, then clears: the number's label.
LIVE_WRITE: tuple[str, Any] = ("label", "phonerouting live test")
#: Twilio's documented codes of a 401 and a 404.
LIVE_UNAUTHORIZED_CODE: Any = 20003
LIVE_NOT_FOUND_CODE: Any = 20404
#: The status of a get of an unknown SID.
LIVE_NOT_FOUND_GET_STATUS: int | None = 404
