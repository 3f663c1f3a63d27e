"""Every answer the emulators give on purpose, one case per (operation, status, cause),
for the contract tests: each case builds a fresh emulator, provokes the answer through
the in-process transport and returns the httpx response.

The cases of every provider with a profile: the common ones (401, both kinds of 429 and
the 5xx faults on every operation of ``profile.contract_operations``) and the vendor's
own (``profile.contract_cases``). A case may name the golden sample in the provider's
``samples/`` it must match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import httpx

from phonerouting import testing
from phonerouting.testing import UNSET, ContractCase, Form, Seeded
from tests.emulators.http import client
from tests.profiles import PROFILES

#: The providers whose profile has contract cases.
PROVIDERS = tuple(p for p, prof in PROFILES.items() if prof.contract_setup is not None)
#: What a programmed 429 asks for: not whole, so the emulators must round it (up, to 30).
FAULT_RETRY_AFTER = 29.2

#: A fresh emulator of one provider with the numbers the cases act on.
Env = Seeded


def env(provider: str) -> Env:
    """The emulator and numbers of one case, shaped like the golden samples."""
    setup = PROFILES[provider].contract_setup
    assert setup is not None, f"{provider} has no contract_setup in its profile"
    return setup(testing.emulator(provider))


def http(e: Env, key: str | None = None) -> httpx.Client:
    """A client with the emulator's key, or ``key``."""
    return client(e.emu, key)


@attrs.frozen
class Case:
    """One answer to provoke: ``run`` gets a fresh :class:`Env` and returns it."""

    provider: str
    operation: str
    status: int
    cause: str
    run: Callable[[Env], httpx.Response]
    sample: str | None = None

    @property
    def name(self) -> str:
        """A readable test id."""
        return f"{self.provider}-{self.operation}-{self.status}-{self.cause}"


def send(
    e: Env,
    operation: str,
    *,
    key: str | None = None,
    path: str | None = None,
    body: Any = UNSET,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """The operation's request, with any part replaced."""
    method, default_path, default_body = PROFILES[e.emu.provider].contract_operations[operation](e)
    sent = default_body if body is UNSET else body
    with http(e, key) as h:
        if isinstance(sent, Form):
            return h.request(method, path or default_path, data=sent, params=params)
        return h.request(method, path or default_path, json=sent, params=params)


def _with(operation: str, **replace: Any) -> Callable[[Env], httpx.Response]:
    """Send ``operation`` with parts replaced; a callable value is given the Env."""

    def run(e: Env) -> httpx.Response:
        values = {k: v(e) if callable(v) else v for k, v in replace.items()}
        return send(e, operation, **values)

    return run


def _fault(
    operation: str, program: Callable[[testing.Emulator], object]
) -> Callable[[Env], httpx.Response]:
    def run(e: Env) -> httpx.Response:
        program(e.emu)
        return send(e, operation)

    return run


def _limited(operation: str) -> Callable[[Env], httpx.Response]:
    """A second request within the rate limiter's window: the limiter's own 429."""

    def run(e: Env) -> httpx.Response:
        e.emu.clock = lambda: 0.0  # the bucket never refills
        e.emu.set_rate_limit(0.4)
        with http(e) as h:
            h.get(e.list_path())
        return send(e, operation)

    return run


def _common(provider: str) -> list[Case]:
    """401, both kinds of 429 and the 5xx faults, on every operation."""
    cases = []
    for operation in PROFILES[provider].contract_operations:

        def sample(status: int, operation: str = operation) -> str:
            return f"{operation}.{status}.json"

        cases += [
            Case(provider, operation, 401, "bad-key", _with(operation, key="bad-key"), sample(401)),
            Case(
                provider,
                operation,
                429,
                "fault",
                _fault(
                    operation, lambda emu: emu.faults.rate_limited(retry_after=FAULT_RETRY_AFTER)
                ),
                sample(429),
            ),
            Case(provider, operation, 429, "rate-limiter", _limited(operation)),
        ]
        for status in (500, 502, 503):
            cases.append(
                Case(
                    provider,
                    operation,
                    status,
                    "fault",
                    _fault(operation, lambda emu, s=status: emu.faults.server_error(s)),
                    sample(500) if status == 500 else None,
                )
            )
    return cases


def _specific(provider: str, case: ContractCase) -> Case:
    """A vendor's own case, from its profile."""
    replace: dict[str, Any] = {}
    if case.key is not None:
        replace["key"] = case.key
    if case.path is not None:
        replace["path"] = case.path
    if case.body is not UNSET:
        replace["body"] = case.body
    if case.params is not None:
        replace["params"] = case.params
    return Case(
        provider,
        case.operation,
        case.status,
        case.cause,
        _with(case.operation, **replace),
        case.sample,
    )


#: The vendors' own cases, in their profiles' order.
SPECIFIC: list[Case] = [
    _specific(p, case) for p in PROVIDERS for case in PROFILES[p].contract_cases
]

CASES: list[Case] = [case for p in PROVIDERS for case in _common(p)] + SPECIFIC

#: Golden samples no emulator answer reproduces, and why.
UNREPRODUCED: dict[str, str] = {
    f"{p}/{name}": why for p in PROVIDERS for name, why in PROFILES[p].unreproduced_samples.items()
}
