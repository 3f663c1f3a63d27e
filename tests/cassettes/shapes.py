"""What the cassette expectations of every vendor share: the seeded numbers, the
recording clock and request-id counters, the error record, the rule that refuses a
value, and the counters that make a recording deterministic.

Each vendor's own expectations are in ``tests/cassettes/vendors/<provider>.py``.
"""

from __future__ import annotations

import itertools
import types
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from phonerouting import testing
from phonerouting.testing.wire import EmuRequest, EmuResponse

#: The index of the number the get scenario fetches (and updates go to).
SECOND = 1
#: The same seed gives the same E.164 numbers in every emulator.
E164 = ("+16464187608", "+14158383058", "+15127021402")
#: The forwarding number the update scenarios set.
FORWARD_TO = "+12025559999"


def seeded(second: int) -> datetime:
    """The seeded creation times (AgentMessage, Close): 2026-01-01, one second apart."""
    return datetime(2026, 1, 1, 0, 0, second, tzinfo=UTC)


def tick(n: int) -> datetime:
    """The n-th reading of the recording clock (update times)."""
    return datetime(2026, 2, 1, 10, 0, n, tzinfo=UTC)


def error(
    type_: str, provider: str, status: int | None, message: str, **fields: Any
) -> dict[str, Any]:
    """The fields of the error a replay must raise (see ``clients.error_fields``)."""
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


def refuse(
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


# ---------------------------------------------------------------- determinism


def clock() -> Callable[[], str]:
    """A recording clock: ISO 8601 times one second apart from 2026-02-01T10:00:01."""
    ticks = itertools.count(1)

    def now_iso() -> str:
        minutes, seconds = divmod(next(ticks), 60)
        return f"2026-02-01T10:{minutes:02d}:{seconds:02d}.000Z"

    return now_iso


def ulids() -> Callable[[], str]:
    """ULIDs a parser accepts (Crockford base32, 26 characters), counting up."""
    ticks = itertools.count(1)
    return lambda: f"01KCASSETTE{next(ticks):015d}"


def trace_ids() -> types.SimpleNamespace:
    """A stand-in for ``secrets`` whose ``token_hex`` counts up."""
    ticks = itertools.count(1)
    return types.SimpleNamespace(token_hex=lambda nbytes=32: f"{next(ticks):0{2 * nbytes}x}")


def request_id(n: int) -> str:
    """The n-th id of `ulids`."""
    return f"01KCASSETTE{n:015d}"


def trace(n: int) -> str:
    """The n-th id of `trace_ids` (16 bytes)."""
    return f"{n:032x}"
