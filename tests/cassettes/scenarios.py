"""What the cassette suite records: one emulator per (provider, scenario), made
deterministic so a re-recording reproduces the same cassettes byte for byte.

Only the recording run (``PHONEROUTING_RECORD=1 ... --record-mode=rewrite``) builds
emulators; replay needs nothing from this module but the constants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest

from phonerouting import registry, testing
from tests.cassettes import vendors
from tests.cassettes.vendors import PROVIDERS, vendor

__all__ = ["PROVIDERS"]

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
PORTS = {p: vendor(p).PORT for p in PROVIDERS}

#: The keys the emulators accept while recording: credential-shaped on purpose, so the
#: hygiene test proves the scrubbing works on something that looks like a real key.
RECORD_KEYS = {p: vendor(p).RECORD_KEY for p in PROVIDERS}
#: The keys of the 401 scenario: unknown to the emulator, just as credential-shaped.
BAD_KEYS = {p: vendor(p).BAD_KEY for p in PROVIDERS}
#: The connect arguments around those keys (Twilio's account SID beside its token).
CREDENTIALS = {p: vendors.credentials(p, RECORD_KEYS[p]) for p in PROVIDERS}
BAD_CREDENTIALS = {p: vendors.credentials(p, BAD_KEYS[p]) for p in PROVIDERS}

#: How long every recorded 429 asks the client to wait, in seconds.
RETRY_AFTER = 2


def replay_url(provider: str) -> str:
    """The base URL the clients are given in replay: where the recording server was
    meant to listen. Nothing listens there; the cassette answers."""
    base_path = registry.emulator_class(provider).base_path  # type: ignore[union-attr]
    return f"http://127.0.0.1:{PORTS[provider]}{base_path}"


# ---------------------------------------------------------------- determinism


def make_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace the emulators' clocks and random request ids with counters (each
    vendor's ``make_deterministic``: e.g. Close's and AgentMessage's update times,
    Linq v3's trace ids and AgentMessage's request ids), since the tests assert those
    values exactly and a re-recording must reproduce them. ``raising=True`` (the
    default) makes a rename in the emulators fail the recording loudly.
    """
    for provider in PROVIDERS:
        vendor(provider).make_deterministic(monkeypatch)


# ---------------------------------------------------------------- scenario set-up


def _validation(emu: testing.Emulator) -> None:
    vendor(emu.provider).validation(emu)


def _rate_limited(emu: testing.Emulator) -> None:
    vendors.rate_limited(emu, RETRY_AFTER)


SETUP: dict[str, Callable[[testing.Emulator], None]] = {
    "validation": _validation,
    "rate_limited": _rate_limited,
}


@contextmanager
def recording_server(provider: str, scenario: str) -> Iterator[str]:
    """A freshly seeded emulator of ``provider`` set up for ``scenario``, served on
    loopback; yields its base URL. Call :func:`make_deterministic` first."""
    emu = vendors.recording_emulator(provider, NUMBERS, SEED)
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
