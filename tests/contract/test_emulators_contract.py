"""Every request our adapters send and every response the emulators return, across the
client scenarios, validate against providers/<name>/openapi.yaml."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import phonerouting as pr
from phonerouting import testing
from tests.contract.openapi_contract import decode_body, validate_request, validate_response


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


SETS: dict[str, list[pr.RoutingUpdate]] = {
    "linq-v2": [
        pr.RoutingUpdate(forwarding_number="+12025559999"),
        pr.RoutingUpdate(forwarding_number=None),
    ],
    "linq-v3": [
        pr.RoutingUpdate(forwarding_number="+12025559999"),
        pr.RoutingUpdate(forwarding_number=None),
    ],
    "agentmessage": [
        pr.RoutingUpdate(inbound_url="https://a.example/in", status_url="https://a.example/s"),
        pr.RoutingUpdate(label="Sales", inbound_url=None),
        pr.RoutingUpdate(status_url="", label=None, campaign_id=None),
    ],
    "close": [
        pr.RoutingUpdate(
            forwarding_number="+12025559999",
            label="Front",
            ring_duration=20,
            voicemail_greeting_url="https://cdn.example/g.mp3",
            press_1_to_accept=True,
            external_numbers=["+16503334444"],
        ),
        pr.RoutingUpdate(
            forwarding_number=None,
            label=None,
            ring_duration=None,
            voicemail_greeting_url=None,
            press_1_to_accept=None,
            external_numbers=None,
            participants=None,
        ),
    ],
}


@pytest.mark.parametrize("provider", list(SETS))
def test_client_scenarios_stay_inside_the_contract(provider: str) -> None:
    emu = testing.emulator(provider, 30, seed=11)
    transport = ContractTransport(provider, emu.transport())
    policy = pr.RetryPolicy(backoff_initial=0, jitter=0, sleep=lambda _s: None)
    with pr.connect(provider, api_key=emu.api_key, transport=transport, retry_policy=policy) as c:
        numbers = list(c.list_numbers())
        assert len(numbers) == 30
        first = numbers[0]
        assert c.get_number(first.id) == first
        assert c.find_number(first.number).id == first.id
        for update in SETS[provider]:
            c.update_routing(first.id, update)
        if provider == "agentmessage":
            campaign = emu.add_campaign()  # type: ignore[attr-defined]
            c.update_routing(first.id, pr.RoutingUpdate(campaign_id=campaign))
            inactive = emu.add_campaign(active=False)  # type: ignore[attr-defined]
            with pytest.raises(pr.ConflictError):
                c.update_routing(first.id, pr.RoutingUpdate(campaign_id=inactive))
        # The vendor's own failures, through faults: a 429 then a 500 (retried away),
        # then a 500 that outlasts the retries.
        emu.faults.rate_limited(1, retry_after=0)
        emu.faults.server_error(500, count=1)
        c.update_routing(first.id, SETS[provider][0])
        emu.faults.server_error(500, count=3)
        with pytest.raises(pr.ServerError):
            c.update_routing(first.id, SETS[provider][0])
    bad = pr.connect(provider, api_key="wrong-key", transport=transport)
    with bad, pytest.raises(pr.AuthenticationError):
        bad.update_routing(first.id, SETS[provider][0])
    assert transport.checked >= 10
