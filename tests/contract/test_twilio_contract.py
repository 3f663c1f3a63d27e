"""Twilio's contract (providers/twilio/): the document is valid, every golden sample
matches it, every request the adapter builds and every answer of the emulator is in
it, the emulator reproduces the error samples exactly, and the adapter turns each into
the typed error with its code, message and doc URL."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import httpx
import pytest
import yaml
from openapi_spec_validator import validate

import phonerouting as pr
from phonerouting import testing
from phonerouting.adapters.twilio import TwilioAdapter
from phonerouting.errors import error_class_for_status
from phonerouting.responses import error_from_response, parse_success
from tests.contract import openapi_contract as contract
from tests.contract.test_emulators_contract import ContractTransport

PROVIDER = "twilio"
FOLDER = contract.PROVIDERS_DIR / PROVIDER
contract.add_document(PROVIDER, FOLDER)
ACCOUNT = "AC" + "a" * 32
SID = "PN" + "b" * 32
ADAPTER = TwilioAdapter(ACCOUNT)
URL = "https://hooks.example/twiml"
VALUES: dict[str, Any] = {
    "label": "Front desk",
    "voice_url": URL + "/voice",
    "voice_fallback_url": URL + "/voice-fallback",
    "call_status_url": URL + "/status",
    "inbound_url": URL + "/sms",
    "inbound_fallback_url": URL + "/sms-fallback",
}
SAMPLES = contract.iter_samples(PROVIDER)


def test_the_document_is_valid_and_names_server_and_auth() -> None:
    spec = yaml.safe_load((FOLDER / "openapi.yaml").read_text(encoding="utf-8"))
    validate(spec)
    assert [s["url"] for s in spec["servers"]] == [ADAPTER.default_base_url]
    assert spec["security"] == [{"accountSid_authToken": []}]
    assert spec["components"]["securitySchemes"]["accountSid_authToken"]["scheme"] == "basic"
    assert sorted(o.operation_id for o in contract.operations(PROVIDER)) == [
        "get",
        "list",
        "update",
    ]


def test_the_readme_states_base_url_credentials_and_decisions() -> None:
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    for text in (
        ADAPTER.default_base_url,
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_API_KEY",
        "TWILIO_API_SECRET",
        "## Decisions",
    ):
        assert text in readme


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])
def test_every_sample_matches_its_operation(sample: contract.Sample) -> None:
    assert contract.check_sample(sample).operation_id == sample.operation_id


def test_every_documented_answer_has_a_sample() -> None:
    missing = []
    for operation in contract.operations(PROVIDER):
        node = contract.load_spec(PROVIDER)["paths"][operation.path_template]
        node = node[operation.method.lower()]
        mine = [s for s in SAMPLES if s.operation_id == operation.operation_id]
        for key in node["responses"]:
            pattern = str(key).replace("X", "[0-9]")
            if not any(re.fullmatch(pattern, str(s.status)) for s in mine):
                missing.append(f"{operation.operation_id} {key}")
        if "requestBody" in node and not any(s.kind == "request" for s in mine):
            missing.append(f"{operation.operation_id} request")
    assert missing == []


def _updates() -> list[pr.RoutingUpdate]:
    fields = sorted(VALUES)
    result = [pr.RoutingUpdate(**{f: VALUES[f]}) for f in fields]
    result += [pr.RoutingUpdate(**{f: None}) for f in fields]
    for a, b in itertools.combinations(fields, 2):
        result.append(pr.RoutingUpdate(**{a: VALUES[a], b: None}))
    result.append(pr.RoutingUpdate(**VALUES))
    result.append(pr.RoutingUpdate(**dict.fromkeys(VALUES)))
    return result


def test_every_request_the_adapter_builds_is_in_the_contract() -> None:
    auth = ADAPTER.authenticate({"account_sid": ACCOUNT, "auth_token": "t" * 32})
    requests = [ADAPTER.list_request(), ADAPTER.find_request("+12025551234")]
    requests.append(ADAPTER.get_request(SID))
    for update in _updates():
        requests += ADAPTER.update_requests(SID, update)
    assert len(requests) > 30
    for request in requests:
        url = httpx.URL(ADAPTER.default_base_url + request.path)
        if request.params:
            url = url.copy_merge_params(dict(request.params))
        contract.validate_request(
            PROVIDER, request.method, str(url), request.json, headers=auth, form_body=request.form
        )
        contract.validate_query(PROVIDER, request.method, str(url))


def test_the_request_samples_are_what_the_adapter_sends() -> None:
    by_name = {s.path.name: s.body for s in SAMPLES if s.kind == "request"}
    (set_all,) = ADAPTER.update_requests(SID, pr.RoutingUpdate(**VALUES | _SAMPLE_SET))
    assert set_all.form == by_name["update.request.set.json"]
    (clear_all,) = ADAPTER.update_requests(SID, pr.RoutingUpdate(**dict.fromkeys(VALUES)))
    assert clear_all.form == by_name["update.request.clear.json"]


_SAMPLE_SET = {
    "label": "Sales line",
    "voice_url": "https://hooks.example/voice/2",
    "voice_fallback_url": "https://hooks.example/voice/fallback",
    "call_status_url": "https://hooks.example/call-status",
    "inbound_url": "https://hooks.example/sms/2",
    "inbound_fallback_url": "https://hooks.example/sms/fallback",
}


@pytest.mark.parametrize(
    "sample", [s for s in SAMPLES if s.status and s.status < 300], ids=lambda s: s.name
)
def test_every_success_sample_parses(sample: contract.Sample) -> None:
    content = json.dumps(sample.body).encode()
    request = ADAPTER.list_request()
    sid = "AC4e92a91e3256f991b1df2d66e50c9042"  # the samples' account
    adapter = TwilioAdapter(sid)
    if sample.operation_id == "list":
        page = parse_success(
            adapter, lambda d: adapter.parse_list(d, request), request, 200, {}, content, ()
        )
        assert [n.number for n in page.numbers]
    else:
        number = parse_success(adapter, adapter.parse_number, request, 200, {}, content, ())
        assert number.number.startswith("+")


@pytest.mark.parametrize(
    "sample", [s for s in SAMPLES if s.status and s.status >= 400], ids=lambda s: s.name
)
def test_every_error_sample_becomes_the_typed_error(sample: contract.Sample) -> None:
    assert sample.status is not None
    headers = httpx.Headers({"Content-Type": "application/json"})
    error = error_from_response(
        ADAPTER,
        ADAPTER.list_request(),
        sample.status,
        headers,
        json.dumps(sample.body).encode(),
        (),
    )
    assert type(error) is error_class_for_status(sample.status)
    assert (error.code, error.message, error.doc_url) == (
        sample.body["code"],
        sample.body["message"],
        sample.body["more_info"],
    )


def _emulated(name: str) -> httpx.Response:
    """The emulator's answer that the sample ``name`` records, sent again."""
    emu = testing.TwilioEmulator(seed=11)
    own = emu.add_number("+18089255327", friendly_name="Front desk")
    other = emu.add_number("+18089255328")
    base = f"/2010-04-01/Accounts/{emu.account_sid}/IncomingPhoneNumbers"
    unknown = "PN" + "0" * 32
    operation, status, *variant = name.removesuffix(".json").split(".")
    method = "POST" if operation == "update" else "GET"
    path = f"{base}.json" if operation == "list" else f"{base}/{own['sid']}.json"
    form: dict[str, str] | None = {"FriendlyName": "x"} if method == "POST" else None
    params: dict[str, str] = {}
    user, password = emu.account_sid, emu.api_key
    if status == "401":
        password = "wrong"
    elif status == "429":
        emu.faults.add("status", status=429)
    elif status == "500":
        emu.faults.add("status", status=500)
    elif status == "404" and operation == "list":
        path = f"/2010-04-01/Accounts/AC{'f' * 32}/IncomingPhoneNumbers.json"  # another's
    elif status == "404":
        path = f"{base}/{unknown}.json"
    elif variant == ["invalid_url"]:
        path, form = f"{base}/{other['sid']}.json", {"VoiceUrl": "ftp://hooks.example/voice"}
    elif variant == ["friendly_name"]:
        path, form = f"{base}/{other['sid']}.json", {"FriendlyName": "x" * 65}
    elif operation == "list":
        params = {"PageToken": "PAnope"}
    # A request the contract refuses is sent past the check: its answer is the point.
    valid = not variant or operation == "list"
    transport = ContractTransport(PROVIDER, emu.transport()) if valid else emu.transport()
    with httpx.Client(
        transport=transport,
        base_url="https://api.twilio.com",
        auth=(user, password),
    ) as http:
        return http.request(method, path, data=form, params=params)


@pytest.mark.parametrize(
    "sample", [s for s in SAMPLES if s.status and s.status >= 400], ids=lambda s: s.name
)
def test_the_emulator_answers_every_error_sample_exactly(sample: contract.Sample) -> None:
    answer = _emulated(sample.path.name)
    assert answer.status_code == sample.status
    assert answer.json() == sample.body
    assert re.fullmatch(r"RQ[0-9a-f]{32}", answer.headers["Twilio-Request-Id"])


def test_a_client_scenario_stays_in_the_contract() -> None:
    emu = testing.TwilioEmulator(3, seed=5)
    checked = ContractTransport(PROVIDER, emu.transport())
    with pr.connect(
        PROVIDER, account_sid=emu.account_sid, auth_token=emu.api_key, transport=checked
    ) as client:
        numbers = list(client.list_numbers())
        target = numbers[0]
        client.find_number(target.number)
        client.update_routing(target.id, pr.RoutingUpdate(**VALUES))
        cleared = client.update_routing(target.id, pr.RoutingUpdate(**dict.fromkeys(VALUES)))
        with pytest.raises(pr.NotFoundError):
            client.get_number("PN" + "0" * 32)
    assert cleared.routing() == dict.fromkeys(cleared.routing())
    # list, find, (read, write) twice, the failed read
    assert checked.checked == 7
