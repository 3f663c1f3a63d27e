"""What the cassette suite records: one emulator per (provider, scenario), made
deterministic so a re-recording reproduces the same cassettes byte for byte.

Only the recording run (``PHONEROUTING_RECORD=1 ... --record-mode=rewrite``) builds
emulators; replay needs nothing from this module but the constants.
"""

from __future__ import annotations

import itertools
import types
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest

from phonerouting import testing
from phonerouting.testing.wire import EmuRequest, EmuResponse

PROVIDERS = ("linq-v2", "linq-v3", "agentmessage", "close")
SCENARIOS = (
    "list",
    "get",
    "update",
    "clear",
    "unauthorized",
    "not_found",
    "validation",
    "rate_limited",
)

#: The seed of every recorded emulator: ids, numbers and routing follow from it.
SEED = 6
#: Numbers seeded per account (with seed 6 the first is populated, the second empty).
NUMBERS = 3
#: Where each provider's emulator listens while recording. Fixed so re-recordings do
#: not churn the URIs in the cassettes; replay never matches on host or port anyway,
#: so a taken port only costs a different number in the recorded URI.
PORTS = {"linq-v2": 47401, "linq-v3": 47402, "agentmessage": 47403, "close": 47404}

#: The keys the emulators accept while recording: credential-shaped on purpose, so the
#: hygiene test proves the scrubbing works on something that looks like a real key.
RECORD_KEYS = {
    "linq-v2": "linq_" + "5eed0a2c" * 4,
    "linq-v3": "linq_" + "5eed0a3c" * 4,
    "agentmessage": "am_live_" + "5eed0a4c" * 4,
    "close": "api_" + "5eed0a5c" * 4,
}
#: The keys of the 401 scenario: unknown to the emulator, just as credential-shaped.
BAD_KEYS = {
    "linq-v2": "linq_" + "badc0de2" * 4,
    "linq-v3": "linq_" + "badc0de3" * 4,
    "agentmessage": "am_live_" + "badc0de4" * 4,
    "close": "api_" + "badc0de5" * 4,
}

#: How long every recorded 429 asks the client to wait, in seconds.
RETRY_AFTER = 2
#: A valid UK number the Linq emulators are told to refuse as a forwarding target.
REFUSED_FORWARDING = "+442079460000"
#: A webhook URL the AgentMessage emulator is told to refuse (a loopback host).
REFUSED_WEBHOOK = "https://127.0.0.1/hooks/inbound"


def replay_url(provider: str) -> str:
    """The base URL the clients are given in replay: where the recording server was
    meant to listen. Nothing listens there; the cassette answers."""
    base_path = testing.EMULATORS[provider].base_path
    return f"http://127.0.0.1:{PORTS[provider]}{base_path}"


# ---------------------------------------------------------------- determinism


def _clock() -> Callable[[], str]:
    ticks = itertools.count(1)

    def now_iso() -> str:
        minutes, seconds = divmod(next(ticks), 60)
        return f"2026-02-01T10:{minutes:02d}:{seconds:02d}.000Z"

    return now_iso


def _ulids() -> Callable[[], str]:
    ticks = itertools.count(1)
    # Crockford base32, 26 characters: a ULID a parser accepts, counting up.
    return lambda: f"01KCASSETTE{next(ticks):015d}"


def _trace_ids() -> types.SimpleNamespace:
    ticks = itertools.count(1)
    return types.SimpleNamespace(token_hex=lambda nbytes=32: f"{next(ticks):0{2 * nbytes}x}")


def make_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the emulators' clocks and random request ids with counters.

    The emulators stamp Close numbers and AgentMessage updates with the wall clock and
    draw Linq v3 trace ids and AgentMessage request ids at random; the tests assert
    those values exactly, so a re-recording must reproduce them. ``raising=True``
    (the default) makes a rename in the emulators fail the recording loudly.
    """
    import phonerouting.testing.agentmessage as agentmessage_emu
    import phonerouting.testing.close as close_emu
    import phonerouting.testing.linq_v3 as linq_v3_emu

    monkeypatch.setattr(close_emu, "now_iso", _clock())
    monkeypatch.setattr(agentmessage_emu, "now_iso", _clock())
    monkeypatch.setattr(agentmessage_emu, "ulid", _ulids())
    monkeypatch.setattr(linq_v3_emu, "secrets", _trace_ids())


# ---------------------------------------------------------------- scenario set-up


def _refuse(
    emu: testing.Emulator, method: str, when: Callable[[Any], bool], answer: EmuResponse
) -> None:
    """Make ``emu`` answer ``answer`` to a ``method`` request whose JSON body satisfies
    ``when``: a rule stricter than our client-side checks, which let the value through
    (so no unmodified emulator can produce the vendor's validation error for it)."""
    route = emu.route

    def strict(request: EmuRequest) -> EmuResponse:
        if request.method == method:
            try:
                body = request.json()
            except ValueError:
                body = None
            if isinstance(body, dict) and when(body):
                return answer
        return route(request)

    emu.route = strict  # type: ignore[method-assign]


def _validation(emu: testing.Emulator) -> None:
    provider = emu.provider
    if provider in ("linq-v2", "linq-v3"):
        # The vendor's answer to a forwarding number it cannot use, as the emulator
        # gives it for an invalid one: v2 422 invalid_forwarding_number, v3 400/1002.
        answer = (
            emu.error(
                422,
                "Forwarding number must be a valid phone number in E.164 format",
                code="invalid_forwarding_number",
            )
            if provider == "linq-v2"
            else emu.error(400)
        )
        _refuse(emu, "PUT", lambda b: b.get("forwarding_number") == REFUSED_FORWARDING, answer)
    elif provider == "agentmessage":
        answer = emu.error(422, details={"inbound_url": "must be a public https:// URL"})
        _refuse(emu, "PATCH", lambda b: b.get("inbound_url") == REFUSED_WEBHOOK, answer)
    # Close needs no rule: a participant who is not a user of the organization is
    # well-formed for our client and refused by the emulator's own field checks.


def _rate_limited(emu: testing.Emulator) -> None:
    emu.faults.rate_limited(1, retry_after=RETRY_AFTER, method="GET")


SETUP: dict[str, Callable[[testing.Emulator], None]] = {
    "validation": _validation,
    "rate_limited": _rate_limited,
}


@contextmanager
def recording_server(provider: str, scenario: str) -> Iterator[str]:
    """A freshly seeded emulator of ``provider`` set up for ``scenario``, served on
    loopback; yields its base URL. Call :func:`make_deterministic` first."""
    emu = testing.emulator(provider, NUMBERS, seed=SEED, api_key=RECORD_KEYS[provider])
    setup = SETUP.get(scenario)
    if setup is not None:
        setup(emu)
    with ExitStack() as stack:
        try:
            base_url = stack.enter_context(emu.serve(port=PORTS[provider]))
        except OSError:
            # The fixed port is taken: any port will do, replay ignores it.
            base_url = stack.enter_context(emu.serve(port=0))
        yield base_url
