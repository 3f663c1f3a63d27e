"""One write per provider that a test can send and then ask "did it land?" about, so the
fault tests can tell a request that took effect from one that did not (each provider's
profile says what the write is: ``raw_write``), and the vendor's own answers the fault
tests expect, from the same profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import httpx

from phonerouting import testing
from phonerouting.testing import Form
from tests.profiles import PROFILES, need

#: The providers the emulator-behaviour suite runs over.
PROVIDERS = tuple(PROFILES)


@attrs.frozen
class Write:
    """A write request on an emulator and a probe of whether it took effect."""

    emu: testing.Emulator
    method: str
    path: str
    body: Any
    landed: Callable[[], bool]

    def send(self, http: httpx.Client) -> httpx.Response:
        """Send the write."""
        return http.request(self.method, self.path, **self.content())

    def content(self) -> dict[str, Any]:
        """The keyword arguments of httpx that carry the body (JSON or a form)."""
        return {"data": self.body} if isinstance(self.body, Form) else {"json": self.body}


def write(provider: str, seed: int = 0) -> Write:
    """A fresh emulator of ``provider`` with one number, and a write on that number."""
    emu = testing.emulator(provider, seed=seed)
    raw = PROFILES[provider].raw_write(emu)
    return Write(emu, raw.method, raw.path, raw.body, raw.landed)


def assert_server_error(emu: testing.Emulator, response: httpx.Response, status: int) -> None:
    """The vendor's own 5xx body for ``status``, with its request or trace id header."""
    assert response.status_code == status
    expected: Callable[..., Any] = need(emu.provider, "server_error_body")
    assert response.json() == expected(emu, status, response.headers)


def rate_limit_seen(provider: str, emu: testing.Emulator, response: httpx.Response) -> Any:
    """What a 429 of ``provider`` says about waiting, and what it should say: the two
    dicts of its profile's ``rate_limit_answer`` and ``expected_rate_limit``, as a
    function of the whole seconds to wait and whether a wait was asked for."""
    answer: Callable[[Any, Any], dict[str, object]] = need(provider, "rate_limit_answer")
    expected: Callable[..., dict[str, object]] = need(provider, "expected_rate_limit")
    seen = answer(response.headers, response.json())

    def should(wait: int, asked: bool = True) -> dict[str, object]:
        return expected(emu, wait, asked)

    return seen, should


def typed(values: dict[str, object]) -> dict[str, tuple[type, object]]:
    """Each value with its type, so an int must not come out as a float or a string."""
    return {key: (type(value), value) for key, value in values.items()}
