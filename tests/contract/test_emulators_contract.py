"""Every request our adapters send and every response the emulators return, across the
client scenarios, validate against providers/<name>/openapi.yaml."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import phonerouting as pr
from phonerouting import testing
from tests.contract.openapi_contract import decode_body, validate_request, validate_response
from tests.profiles import PROFILES


class ContractTransport(httpx.BaseTransport):
    """Passes every exchange through the emulator and checks both sides on the way."""

    def __init__(self, provider: str, inner: httpx.BaseTransport) -> None:
        self.provider = provider
        self.inner = inner
        self.checked = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        headers = dict(request.headers)
        body, form = decode_body(headers, request.content)
        validate_request(
            self.provider, request.method, str(request.url), body, headers=headers, form_body=form
        )
        response = self.inner.handle_request(request)
        response.read()
        payload: Any = response.json() if response.content else None
        validate_response(
            self.provider,
            request.method,
            str(request.url),
            response.status_code,
            payload,
            headers=dict(response.headers),
        )
        self.checked += 1
        return response


#: The updates the scenario applies, per provider (its profile's ``contract_updates``).
SETS: dict[str, list[pr.RoutingUpdate]] = {
    p: list(prof.contract_updates) for p, prof in PROFILES.items() if prof.contract_updates
}


@pytest.mark.parametrize("provider", list(SETS))
def test_client_scenarios_stay_inside_the_contract(provider: str) -> None:
    emu = testing.emulator(provider, 30, seed=11)
    transport = ContractTransport(provider, emu.transport())
    policy = pr.RetryPolicy(backoff_initial=0, jitter=0, sleep=lambda _s: None)
    credentials = PROFILES[provider].credentials
    own = credentials(emu, emu.api_key)
    with pr.connect(provider, **own, transport=transport, retry_policy=policy) as c:
        numbers = list(c.list_numbers())
        assert len(numbers) == 30
        first = numbers[0]
        assert c.get_number(first.id) == first
        assert c.find_number(first.number).id == first.id
        for update in SETS[provider]:
            c.update_routing(first.id, update)
        steps = PROFILES[provider].contract_steps
        if steps is not None:
            steps(c, emu, first.id)
        # The vendor's own failures, through faults: a 429 then a 500 (retried away),
        # then a 500 that outlasts the retries.
        emu.faults.rate_limited(1, retry_after=0)
        emu.faults.server_error(500, count=1)
        c.update_routing(first.id, SETS[provider][0])
        emu.faults.server_error(500, count=3)
        with pytest.raises(pr.ServerError):
            c.update_routing(first.id, SETS[provider][0])
    bad = pr.connect(provider, **credentials(emu, "wrong-key"), transport=transport)
    with bad, pytest.raises(pr.AuthenticationError):
        bad.update_routing(first.id, SETS[provider][0])
    assert transport.checked >= 10
