"""Our adapters against the vendor contracts: every request they build validates against
providers/<name>/openapi.yaml, and every golden sample parses into the normalized model
or the right typed error."""

from __future__ import annotations

import itertools
import json
import re

import httpx
import pytest

import phonerouting as pr
from phonerouting.adapters.base import Request
from phonerouting.errors import error_class_for_status
from phonerouting.registry import adapter_for
from phonerouting.responses import error_from_response, parse_success
from tests import profiles
from tests.contract.openapi_contract import Sample, iter_samples, validate_request
from tests.profiles import PROFILES

#: A well-formed id per provider, to build requests with.
IDS = {p: prof.sample_id for p, prof in PROFILES.items()}
#: A value for setting each field.
VALUES: dict[str, object] = {
    "forwarding_number": "+12025559999",
    "inbound_url": "https://customer.example/v2/inbound",
    "status_url": "https://customer.example/v2/status",
    "label": "Front desk",
    "campaign_id": "78614b6c-fe7c-41e2-8e25-c9b3a3c91904",
    "voicemail_greeting_url": "https://cdn.example/greeting.mp3",
    "ring_duration": 25,
    "participants": ["user_abc123"],
    "external_numbers": ["+16503334444"],
    "press_1_to_accept": True,
    "voice_url": "https://customer.example/voice",
    "voice_fallback_url": "https://customer.example/voice-fallback",
    "inbound_fallback_url": "https://customer.example/inbound-fallback",
    "call_status_url": "https://customer.example/call-status",
    "connection_id": "1293384261075731499",
    "messaging_profile_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "tags": ["front-desk", "west"],
}


def updates(provider: str) -> list[pr.RoutingUpdate]:
    """Set, clear, and every pair of (set|clear) across the provider's fields."""
    fields = sorted(adapter_for(provider).capabilities.settable)
    result = [pr.RoutingUpdate(**{f: VALUES[f]}) for f in fields]
    result += [pr.RoutingUpdate(**{f: None}) for f in fields]
    for a, b in itertools.combinations(fields, 2):
        for va, vb in itertools.product((VALUES[a], None), (VALUES[b], None)):
            result.append(pr.RoutingUpdate(**{a: va, b: vb}))
    result.append(pr.RoutingUpdate(**{f: VALUES[f] for f in fields}))
    result.append(pr.RoutingUpdate(**dict.fromkeys(fields)))
    return result


def built_requests(provider: str) -> list[Request]:
    adapter = profiles.adapter(provider)  # for an account: Twilio's paths name it
    requests = [adapter.list_request(), adapter.find_request("+12025551234")]
    get = adapter.get_request(IDS[provider])
    if get is not None:
        requests.append(get)
    # A vendor whose number lives at several resources reads each part too, alone and
    # listed beside each listing.
    for part in adapter.parts:
        requests.append(adapter.part_request(IDS[provider], part))
        for listing in requests[:2]:
            extra = adapter.part_listing(listing, part)
            requests += [extra] if extra is not None else []
    for update in updates(provider):
        requests.extend(adapter.update_requests(IDS[provider], update))
    return requests


@pytest.mark.parametrize("provider", list(IDS))
def test_every_request_the_adapter_builds_is_in_the_contract(provider: str) -> None:
    adapter = profiles.adapter(provider)
    auth = adapter.authenticate(PROFILES[provider].credentials(None, "test-key"))
    headers = {"Content-Type": "application/json", **auth}
    requests = built_requests(provider)
    assert len(requests) > 3
    for request in requests:
        url = httpx.URL(adapter.default_base_url.rstrip("/") + request.path)
        if request.params:
            url = url.copy_merge_params(dict(request.params))
        validate_request(
            provider,
            request.method,
            str(url),
            request.json,
            headers=headers,
            form_body=request.form,
        )


def _samples(kind: str) -> list[Sample]:
    return [s for p in IDS for s in iter_samples(p) if s.kind == kind]


@pytest.mark.parametrize(
    "sample", [s for s in _samples("response") if s.status and s.status < 300], ids=lambda s: s.name
)
def test_every_success_sample_parses(sample: Sample) -> None:
    adapter = profiles.adapter(sample.provider)
    request = Request("GET", "/sample")
    content = json.dumps(sample.body).encode()
    # An operation on a part of a number (Telnyx's voice settings: list_voice,
    # get_voice, update_messaging, ...) is named after the part.
    part = sample.operation_id.partition("_")[2] if adapter.parts else ""
    if part and sample.operation_id.startswith("list_"):
        found, _ = parse_success(
            adapter,
            lambda d: adapter.parse_part_page(d, request, part),
            request,
            200,
            {},
            content,
            (),
        )
        # Each listed part under its number's id (the exact values: the vendor's tests).
        id_pattern = profiles.need(sample.provider, "id_pattern")
        assert found
        assert [i for i in found if re.fullmatch(id_pattern, i) is None] == []
        assert all(isinstance(settings, dict) and settings for settings in found.values())
    elif part:
        parsed = parse_success(
            adapter, lambda d: adapter.parse_part(d, part), request, 200, {}, content, ()
        )
        assert isinstance(parsed, dict)
        assert parsed
    elif sample.operation_id == "list":
        page = parse_success(
            adapter, lambda d: adapter.parse_list(d, request), request, 200, {}, content, ()
        )
        assert page.numbers
        for number in page.numbers:
            assert number.provider == sample.provider
            assert number.number.startswith("+")
    elif sample.operation_id == "delete":
        assert sample.body == {}
    else:
        number = parse_success(adapter, adapter.parse_number, request, 200, {}, content, ())
        assert number.provider == sample.provider
        assert number.number.startswith("+")
        assert dict(number.raw).keys() == PROFILES[sample.provider].item_body(sample.body).keys()


@pytest.mark.parametrize(
    "sample",
    [s for s in _samples("response") if s.status and s.status >= 400],
    ids=lambda s: s.name,
)
def test_every_error_sample_becomes_the_typed_error(sample: Sample) -> None:
    adapter = profiles.adapter(sample.provider)
    assert sample.status is not None
    request = Request("PUT", "/sample")
    error = error_from_response(
        adapter, request, sample.status, {}, json.dumps(sample.body).encode(), ()
    )
    assert type(error) is error_class_for_status(sample.status)
    assert error.provider == sample.provider
    assert error.status == sample.status
    expected_error = PROFILES[sample.provider].expected_error
    assert expected_error is not None, f"{sample.provider}'s profile has no expected_error"
    expected = expected_error(sample.body)
    actual = {
        name: dict(getattr(error, name)) if name == "details" else getattr(error, name)
        for name in expected
    }
    assert actual == expected
    # Of the same type too: a vendor's int code must not come out as a string.
    assert {k: type(v) for k, v in actual.items()} == {k: type(v) for k, v in expected.items()}
