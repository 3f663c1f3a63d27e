"""The vendor contracts in ``providers/``: valid documents, golden samples, and checks that fail.

Each ``openapi.yaml`` must be valid OpenAPI and describe exactly the endpoints we use;
every golden sample must match its operation's schema; and the checks in
``openapi_contract`` must reject bodies, paths, headers and queries the vendors would
not send or accept, or they would prove nothing when reused on adapters and emulators.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
import yaml
from openapi_spec_validator import validate

from phonerouting.registry import adapter_for
from tests.contract import openapi_contract as contract
from tests.profiles import need

SEEDS = Path("/work/shared/seeds")

V2_ID = "101"
V3_ID = "550e8400-e29b-41d4-a716-446655440000"
AM_ID = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
CLOSE_ID = "phon_asdjkfev50ZKOqTVndOFN4effzv99vDvpDxrks9XLU3"

V2_PATH = f"/api/partner/v2/phone_numbers/{V2_ID}"
V3_PATH = f"/v3/phone_numbers/{V3_ID}"
AM_PATH = f"/v1/phone-numbers/{AM_ID}"
CLOSE_PATH = f"/phone_number/{CLOSE_ID}/"

TRACE_ID = "2eff5df5c6f688733c007523c4d61cd9"
REQUEST_ID = "01JTBQH2FZ8K1RXC0WJ4Z9P3VM"

ALL_SAMPLES = [
    sample for provider in contract.PROVIDERS for sample in contract.iter_samples(provider)
]


def sample_body(provider: str, file_name: str) -> Any:
    """A deep copy of one golden body, safe to mutate."""
    path = contract.contract_dir(provider) / "samples" / file_name
    return json.loads(path.read_text(encoding="utf-8"))


def mutated(provider: str, file_name: str, change: Callable[[Any], object]) -> Any:
    """A golden body with exactly one change applied, so only that change can fail it."""
    body = copy.deepcopy(sample_body(provider, file_name))
    change(body)
    return body


# ------------------------------------------------------------------------ documents


@pytest.mark.parametrize("provider", contract.PROVIDERS)
def test_openapi_document_is_valid(provider: str) -> None:
    text = (contract.contract_dir(provider) / "openapi.yaml").read_text(encoding="utf-8")
    spec = yaml.safe_load(text)
    assert str(spec["openapi"]).startswith("3.")
    validate(spec)


@pytest.mark.parametrize("provider", contract.PROVIDERS)
def test_document_describes_exactly_the_endpoints_we_use(provider: str) -> None:
    found = {
        (operation.method, operation.path_template, operation.operation_id)
        for operation in contract.operations(provider)
    }
    assert found == need(provider, "contract_endpoints")


@pytest.mark.parametrize("provider", contract.PROVIDERS)
def test_document_names_server_and_auth(provider: str) -> None:
    spec = contract.load_spec(provider)
    assert [server["url"] for server in spec["servers"]] == [adapter_for(provider).default_base_url]
    schemes = spec["components"]["securitySchemes"]
    security = [
        [
            {key: value for key, value in schemes[name].items() if key != "description"}
            for name in requirement
        ]
        for requirement in spec["security"]
    ]
    assert security == need(provider, "contract_security")


@pytest.mark.parametrize("provider", contract.PROVIDERS)
def test_readme_states_base_url_key_and_decisions(provider: str) -> None:
    readme = (contract.contract_dir(provider) / "README.md").read_text(encoding="utf-8")
    adapter = adapter_for(provider)
    assert adapter.default_base_url in readme
    for spec in adapter.credential_specs():  # each variable a credential is read from
        assert spec.env in readme
    assert "## Decisions" in readme


# -------------------------------------------------------------------------- samples


@pytest.mark.parametrize("sample", ALL_SAMPLES, ids=[sample.name for sample in ALL_SAMPLES])
def test_sample_matches_its_operation_schema(sample: contract.Sample) -> None:
    operation = contract.check_sample(sample)
    assert operation.operation_id == sample.operation_id


@pytest.mark.parametrize("provider", contract.PROVIDERS)
def test_every_documented_body_has_a_sample(provider: str) -> None:
    samples = contract.iter_samples(provider)
    missing = []
    for operation in contract.operations(provider):
        operation_obj = contract.load_spec(provider)["paths"][operation.path_template]
        operation_obj = operation_obj[operation.method.lower()]
        mine = [sample for sample in samples if sample.operation_id == operation.operation_id]
        for key in operation_obj["responses"]:
            pattern = str(key).replace("X", "[0-9]").replace("x", "[0-9]")
            if not any(re.fullmatch(pattern, str(sample.status)) for sample in mine):
                missing.append(f"{operation.operation_id} {key}")
        if "requestBody" in operation_obj and not any(s.kind == "request" for s in mine):
            missing.append(f"{operation.operation_id} request")
    assert missing == []


def test_sample_names_follow_the_convention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    samples = tmp_path / "close" / "samples"
    samples.mkdir(parents=True)
    (samples / "update.200.json").write_text("{}")
    monkeypatch.setattr(contract, "PROVIDERS_DIR", tmp_path)
    assert [sample.status for sample in contract.iter_samples("close")] == [200]

    (samples / "update-200.json").write_text("{}")
    with pytest.raises(AssertionError, match="is not named"):
        contract.iter_samples("close")


CLEAR_FORMS = [
    ("linq-v2", "update.request.clear.json", {"forwarding_number": ""}),
    ("linq-v3", "update.request.clear.json", {"forwarding_number": ""}),
    ("agentmessage", "update.request.clear_inbound_url.json", {"inbound_url": ""}),
    ("agentmessage", "update.request.clear_status_url.json", {"status_url": ""}),
    ("agentmessage", "update.request.clear_label.json", {"label": ""}),
    (
        "close",
        "update.request.forwarding_off.json",
        {"forward_to": None, "forward_to_enabled": False},
    ),
    ("close", "update.request.clear_label.json", {"label": ""}),
    ("close", "update.request.clear_voicemail_greeting_url.json", {"voicemail_greeting_url": None}),
    ("close", "update.request.clear_inbound_ring_duration.json", {"inbound_ring_duration": None}),
    ("close", "update.request.clear_participants.json", {"participants": []}),
    ("close", "update.request.clear_phone_numbers.json", {"phone_numbers": []}),
    ("close", "update.request.clear_participant_groups.json", {"participant_groups": []}),
]


@pytest.mark.parametrize(("provider", "file_name", "expected"), CLEAR_FORMS)
def test_clear_samples_use_the_decided_wire_form(
    provider: str, file_name: str, expected: Any
) -> None:
    assert sample_body(provider, file_name) == expected


def test_agentmessage_campaign_is_never_cleared_with_an_empty_string() -> None:
    # The decision: clearing the campaign uses DELETE .../campaign, so no request sample
    # (and no request the contract accepts) carries campaign_id "".
    for sample in contract.iter_samples("agentmessage"):
        if sample.kind == "request":
            assert sample.body.get("campaign_id") != ""
    with pytest.raises(AssertionError, match="uuid"):
        contract.validate_request("agentmessage", "PATCH", AM_PATH, {"campaign_id": ""})


def _seed_json_objects(name: str) -> list[Any]:
    """Every JSON object printed in a seed excerpt, in order."""
    text = next(SEEDS.glob(f"{name}_*.txt")).read_text(encoding="utf-8")
    decoder, found, index = json.JSONDecoder(), [], 0
    while (index := text.find("{", index)) != -1:
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            index += 1
            continue
        found.append(value)
        index = end
    return found


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the vendor seed excerpts are not available")
def test_samples_keep_the_seed_examples_verbatim() -> None:
    linq = _seed_json_objects("001")
    assert sample_body("linq-v3", "update.200.json") == linq[0]
    for seed_error in linq[1:6]:
        status = seed_error["error"]["status"]
        matching = [
            sample
            for sample in contract.iter_samples("linq-v3")
            if sample.operation_id == "update" and sample.body.get("error") == seed_error["error"]
        ]
        assert [sample.status for sample in matching] == [status]

    agentmessage = _seed_json_objects("002")
    unauthorized = next(o for o in agentmessage if o.get("error", {}).get("code") == "UNAUTHORIZED")
    assert sample_body("agentmessage", "update.401.json") == unauthorized


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def test_sample_phone_numbers_are_real_numbers() -> None:
    numbers = {
        text
        for sample in ALL_SAMPLES
        for text in _strings(sample.body)
        if re.fullmatch(r"\+[1-9][0-9]{6,14}", text)
    }
    assert numbers
    invalid = sorted(n for n in numbers if not phonenumbers.is_valid_number(phonenumbers.parse(n)))
    assert invalid == []


def test_close_samples_use_close_shaped_ids() -> None:
    checked = 0
    for sample in contract.iter_samples("close"):
        bodies = sample.body.get("data", [sample.body]) if sample.kind == "response" else []
        for number in bodies:
            if "id" in number:
                assert re.fullmatch(r"phon_[A-Za-z0-9]{43}", number["id"])
                assert re.fullmatch(r"orga_[A-Za-z0-9]{43}", number["organization_id"])
                checked += 1
    assert checked >= 5  # the loop found the samples' numbers


@pytest.mark.parametrize("provider", ["agentmessage", "close"])
def test_sample_numbers_carry_every_documented_field(provider: str) -> None:
    # Full objects are what the emulators copy; a field dropped here would go unnoticed.
    fields = set(contract.load_spec(provider)["components"]["schemas"]["PhoneNumber"]["properties"])
    checked = 0
    for sample in contract.iter_samples(provider):
        data = sample.body.get("data", sample.body) if sample.kind == "response" else None
        for number in data if isinstance(data, list) else [data]:
            if isinstance(number, dict) and "id" in number:
                assert fields - set(number) == set(), sample.name
                checked += 1
    assert checked >= 5


# ------------------------------------------------------------------------- matching

MATCHES = [
    ("linq-v2", "GET", "https://api.linqapp.com/api/partner/v2/phone_numbers", "list", {}),
    ("linq-v2", "PUT", V2_PATH, "update", {"id": V2_ID}),
    (
        "linq-v3",
        "PUT",
        f"https://api.linqapp.com/api/partner{V3_PATH}?debug=1",
        "update",
        {"phoneNumberId": V3_ID},
    ),
    ("linq-v3", "put", V3_PATH, "update", {"phoneNumberId": V3_ID}),
    ("linq-v3", "GET", "http://127.0.0.1:8765/api/partner/v3/phone_numbers", "list", {}),
    ("agentmessage", "GET", "/v1/phone-numbers?cursor=abc&limit=5", "list", {}),
    ("agentmessage", "GET", AM_PATH, "get", {"id": AM_ID}),
    ("agentmessage", "DELETE", f"{AM_PATH}/campaign", "detach_campaign", {"id": AM_ID}),
    ("close", "PUT", f"phone_number/{CLOSE_ID}/", "update", {"id": CLOSE_ID}),
    ("close", "GET", "http://localhost:9000/api/v1/phone_number/?_skip=100", "list", {}),
    ("close", "DELETE", f"https://api.close.com/api/v1{CLOSE_PATH}", "delete", {"id": CLOSE_ID}),
]


@pytest.mark.parametrize(("provider", "method", "path", "operation_id", "params"), MATCHES)
def test_find_operation_matches_concrete_requests(
    provider: str, method: str, path: str, operation_id: str, params: dict[str, str]
) -> None:
    operation = contract.find_operation(provider, method, path)
    assert operation.operation_id == operation_id
    assert dict(operation.path_params) == params


NON_MATCHES = [
    ("linq-v2", "PUT", "/api/partner/v2/phone_numbers/abc", "id='abc'"),
    ("linq-v3", "PUT", "/v3/phone_numbers/101", "is not a 'uuid'"),
    ("linq-v3", "PATCH", V3_PATH, "PATCH /v3/phone_numbers/{phoneNumberId} is not documented"),
    ("linq-v3", "GET", "/api/partner/v2/phone_numbers", "no documented path"),
    ("agentmessage", "GET", "/v1/phone_numbers", "no documented path"),
    ("close", "PUT", f"/api/v1/phone_number/{CLOSE_ID}", "no documented path"),
    ("close", "GET", "/api/v1/phone_number/phon_123/", "id='phon_123'"),
    ("plivo", "GET", "/", "unknown provider"),
]


@pytest.mark.parametrize(("provider", "method", "path", "message"), NON_MATCHES)
def test_find_operation_rejects_undocumented_requests(
    provider: str, method: str, path: str, message: str
) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)):
        contract.find_operation(provider, method, path)


# --------------------------------------------------------------- bodies that must fail

BAD_REQUESTS = [
    pytest.param(
        "agentmessage",
        "PATCH",
        AM_PATH,
        mutated("agentmessage", "update.request.set.json", lambda b: b.update(number_type="local")),
        "Additional properties are not allowed ('number_type' was unexpected)",
        id="agentmessage-patch-unknown-field",
    ),
    pytest.param(
        "agentmessage",
        "PATCH",
        AM_PATH,
        {"inbound_url": "http://customer.example/v2/inbound"},
        "$.inbound_url",
        id="agentmessage-patch-http-url",
    ),
    pytest.param(
        "agentmessage",
        "PATCH",
        AM_PATH,
        {"label": 5},
        "5 is not of type 'string'",
        id="agentmessage-patch-label-number",
    ),
    pytest.param(
        "agentmessage",
        "POST",
        f"{AM_PATH}/campaign",
        {},
        "'campaign_id' is a required property",
        id="agentmessage-attach-without-campaign",
    ),
    pytest.param(
        "linq-v3",
        "PUT",
        V3_PATH,
        {},
        "'forwarding_number' is a required property",
        id="linq-v3-update-without-field",
    ),
    pytest.param(
        "linq-v3",
        "PUT",
        V3_PATH,
        {"forwarding_number": "2025559999"},
        "does not match",
        id="linq-v3-update-not-e164",
    ),
    pytest.param(
        "linq-v2",
        "PUT",
        V2_PATH,
        {"forwarding_number": 12025559999},
        "is not of type 'string'",
        id="linq-v2-update-number-not-string",
    ),
    pytest.param(
        "close",
        "PUT",
        CLOSE_PATH,
        mutated("close", "update.request.set.json", lambda b: b.update(inbound_ring_duration="30")),
        "'30' is not of type 'integer'",
        id="close-put-ring-duration-string",
    ),
    pytest.param(
        "close",
        "PUT",
        CLOSE_PATH,
        {"inbound_ring_duration": 10},
        "10 is less than the minimum of 15",
        id="close-put-ring-duration-too-short",
    ),
    pytest.param(
        "close",
        "PUT",
        CLOSE_PATH,
        {"forwarding_number": "+12025559999"},
        "('forwarding_number' was unexpected)",
        id="close-put-unknown-field",
    ),
    pytest.param(
        "close",
        "PUT",
        CLOSE_PATH,
        {"voicemail_greeting_url": "http://example.com/greeting.mp3"},
        "$.voicemail_greeting_url",
        id="close-put-voicemail-not-https",
    ),
    pytest.param(
        "close",
        "PUT",
        CLOSE_PATH,
        {"phone_numbers": ["6503334444"]},
        "$.phone_numbers[0]",
        id="close-put-external-number-not-e164",
    ),
]


@pytest.mark.parametrize(("provider", "method", "path", "body", "message"), BAD_REQUESTS)
def test_validate_request_rejects_bodies_the_vendor_refuses(
    provider: str, method: str, path: str, body: Any, message: str
) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)) as raised:
        contract.validate_request(provider, method, path, body)
    assert provider in str(raised.value)


def _drop(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda body: body.pop(key)


BAD_RESPONSES = [
    pytest.param(
        "linq-v3",
        "PUT",
        V3_PATH,
        400,
        mutated("linq-v3", "update.400.not_e164.json", lambda b: b["error"].update(code="1002")),
        "'1002' is not of type 'integer'",
        id="linq-v3-error-code-string",
    ),
    pytest.param(
        "linq-v3",
        "PUT",
        V3_PATH,
        404,
        mutated("linq-v3", "update.404.json", _drop("trace_id")),
        "'trace_id' is a required property",
        id="linq-v3-error-without-trace-id",
    ),
    pytest.param(
        "linq-v3",
        "PUT",
        V3_PATH,
        429,
        mutated("linq-v3", "update.429.json", lambda b: b["error"].pop("retry_after")),
        "'retry_after' is a required property",
        id="linq-v3-429-without-retry-after",
    ),
    pytest.param(
        "linq-v3",
        "PUT",
        V3_PATH,
        404,
        mutated("linq-v3", "update.404.json", lambda b: b["error"].update(status=400)),
        "400 is not one of [404]",
        id="linq-v3-error-status-disagrees",
    ),
    pytest.param(
        "linq-v3",
        "PUT",
        V3_PATH,
        200,
        mutated("linq-v3", "update.200.json", lambda b: b.update(forwarding_number="")),
        "$.forwarding_number",
        id="linq-v3-cleared-reads-back-empty-string",
    ),
    pytest.param(
        "linq-v3",
        "GET",
        "/v3/phone_numbers",
        200,
        mutated("linq-v3", "list.200.json", lambda b: b["phone_numbers"][0].pop("reputation")),
        "'reputation' is a required property",
        id="linq-v3-list-item-without-reputation",
    ),
    pytest.param(
        "linq-v2",
        "PUT",
        V2_PATH,
        200,
        mutated("linq-v2", "update.200.json", lambda b: b.update(id="101")),
        "'101' is not of type 'integer'",
        id="linq-v2-id-string",
    ),
    pytest.param(
        "linq-v2",
        "PUT",
        V2_PATH,
        422,
        {"message": "Invalid forwarding number"},
        "'errors' is a required property",
        id="linq-v2-error-not-errors-array",
    ),
    pytest.param(
        "agentmessage",
        "GET",
        AM_PATH,
        200,
        mutated("agentmessage", "get.200.json", lambda b: b["data"].pop("updated_at")),
        "'updated_at' is a required property",
        id="agentmessage-number-missing-field",
    ),
    pytest.param(
        "agentmessage",
        "GET",
        AM_PATH,
        200,
        mutated("agentmessage", "get.200.json", lambda b: b["data"].update(number_type="mobile")),
        "'mobile' is not one of",
        id="agentmessage-unknown-number-type",
    ),
    pytest.param(
        "agentmessage",
        "GET",
        AM_PATH,
        200,
        mutated("agentmessage", "get.200.json", lambda b: b.update(success=False)),
        "False is not one of [True]",
        id="agentmessage-success-false-on-200",
    ),
    pytest.param(
        "agentmessage",
        "GET",
        AM_PATH,
        401,
        mutated("agentmessage", "get.401.json", lambda b: b["error"].update(code="NOT_FOUND")),
        "'NOT_FOUND' is not one of ['UNAUTHORIZED']",
        id="agentmessage-401-with-wrong-code",
    ),
    pytest.param(
        "agentmessage",
        "GET",
        "/v1/phone-numbers",
        200,
        mutated("agentmessage", "list.200.json", lambda b: b["meta"].pop("next_cursor")),
        "'next_cursor' is a required property",
        id="agentmessage-list-without-next-cursor",
    ),
    pytest.param(
        "agentmessage",
        "PATCH",
        AM_PATH,
        422,
        mutated("agentmessage", "update.422.not_https.json", lambda b: b["error"].pop("details")),
        "'details' is a required property",
        id="agentmessage-422-without-details",
    ),
    pytest.param(
        "agentmessage",
        "PATCH",
        AM_PATH,
        503,
        mutated("agentmessage", "update.500.json", lambda b: b["error"].update(request_id="req-1")),
        "$.error.request_id",
        id="agentmessage-5xx-request-id-not-ulid",
    ),
    pytest.param(
        "close",
        "PUT",
        CLOSE_PATH,
        200,
        mutated("close", "update.200.json", _drop("number")),
        "'number' is a required property",
        id="close-number-missing-field",
    ),
    pytest.param(
        "close",
        "PUT",
        CLOSE_PATH,
        200,
        mutated("close", "update.200.json", lambda b: b.update(inbound_ring_duration="45")),
        "'45' is not of type 'integer'",
        id="close-ring-duration-string",
    ),
    pytest.param(
        "close",
        "PUT",
        CLOSE_PATH,
        400,
        mutated("close", "update.400.unknown_field.json", _drop("field-errors")),
        "'field-errors' is a required property",
        id="close-400-without-field-errors",
    ),
    pytest.param(
        "close",
        "GET",
        CLOSE_PATH,
        404,
        {"error": {"message": "Not found"}},
        "is not of type 'string'",
        id="close-404-error-not-string",
    ),
    pytest.param(
        "close",
        "GET",
        "/phone_number/",
        200,
        mutated("close", "list.200.json", _drop("has_more")),
        "'has_more' is a required property",
        id="close-list-without-has-more",
    ),
]


@pytest.mark.parametrize(("provider", "method", "path", "status", "body", "message"), BAD_RESPONSES)
def test_validate_response_rejects_bodies_the_vendor_never_sends(
    provider: str, method: str, path: str, status: int, body: Any, message: str
) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)) as raised:
        contract.validate_response(provider, method, path, status, body)
    assert f"{provider} " in str(raised.value)
    assert f" {status} response body" in str(raised.value)


def test_undocumented_status_fails() -> None:
    with pytest.raises(
        AssertionError, match=r"status 418 is not documented \(documented: 200, 400"
    ):
        contract.validate_response("linq-v3", "PUT", V3_PATH, 418, {})


def test_status_range_and_exact_codes_pick_the_right_schema() -> None:
    server_error = sample_body("agentmessage", "get.500.json")
    contract.validate_response("agentmessage", "GET", AM_PATH, 503, server_error)
    with pytest.raises(AssertionError, match="is not one of"):
        contract.validate_response("agentmessage", "GET", AM_PATH, 404, server_error)


def test_body_presence_is_checked() -> None:
    with pytest.raises(AssertionError, match="requires a JSON request body"):
        contract.validate_request("close", "PUT", CLOSE_PATH, None)
    with pytest.raises(AssertionError, match="takes no request body"):
        contract.validate_request("close", "GET", CLOSE_PATH, {"label": "x"})
    contract.validate_request("agentmessage", "DELETE", f"{AM_PATH}/campaign")


def test_nullable_fields_accept_null_and_only_null() -> None:
    contract.validate_request("linq-v3", "PUT", V3_PATH, {"forwarding_number": None})
    contract.validate_request("close", "PUT", CLOSE_PATH, {"inbound_ring_duration": None})
    with pytest.raises(AssertionError, match="None is not of type 'string'"):
        contract.validate_request("close", "PUT", CLOSE_PATH, {"label": None})


# -------------------------------------------------------------------------- headers

GOOD_HEADERS = [
    ("linq-v3", "PUT", V3_PATH, 200, "update.200.json", {"x-trace-id": TRACE_ID}),
    (
        "linq-v3",
        "PUT",
        V3_PATH,
        429,
        "update.429.json",
        {"X-Trace-ID": TRACE_ID, "Retry-After": "30"},
    ),
    ("agentmessage", "GET", AM_PATH, 200, "get.200.json", {"X-Request-Id": REQUEST_ID}),
    (
        "agentmessage",
        "PATCH",
        AM_PATH,
        429,
        "update.429.json",
        {"X-Request-Id": REQUEST_ID, "Retry-After": "3"},
    ),
    (
        "close",
        "PUT",
        CLOSE_PATH,
        429,
        "update.429.json",
        {"RateLimit": "limit=600, remaining=0, reset=4", "Retry-After": "4"},
    ),
    ("close", "GET", CLOSE_PATH, 200, "get.200.json", {}),
]


@pytest.mark.parametrize(
    ("provider", "method", "path", "status", "file_name", "headers"), GOOD_HEADERS
)
def test_documented_headers_pass(
    provider: str, method: str, path: str, status: int, file_name: str, headers: dict[str, str]
) -> None:
    body = sample_body(provider, file_name)
    contract.validate_response(provider, method, path, status, body, headers=headers)


BAD_HEADERS = [
    (
        "linq-v3",
        "PUT",
        V3_PATH,
        200,
        "update.200.json",
        {},
        "required header X-Trace-ID is missing",
    ),
    (
        "linq-v3",
        "PUT",
        V3_PATH,
        429,
        "update.429.json",
        {"X-Trace-ID": TRACE_ID},
        "required header Retry-After is missing",
    ),
    (
        "linq-v3",
        "PUT",
        V3_PATH,
        429,
        "update.429.json",
        {"X-Trace-ID": TRACE_ID, "Retry-After": "soon"},
        "header Retry-After='soon'",
    ),
    (
        "agentmessage",
        "GET",
        AM_PATH,
        200,
        "get.200.json",
        {"X-Request-Id": "req_123"},
        "header X-Request-Id='req_123'",
    ),
    (
        "close",
        "PUT",
        CLOSE_PATH,
        429,
        "update.429.json",
        {"RateLimit": "600", "Retry-After": "4"},
        "header RateLimit='600'",
    ),
]


@pytest.mark.parametrize(
    ("provider", "method", "path", "status", "file_name", "headers", "message"), BAD_HEADERS
)
def test_missing_or_malformed_headers_fail(
    provider: str,
    method: str,
    path: str,
    status: int,
    file_name: str,
    headers: dict[str, str],
    message: str,
) -> None:
    body = sample_body(provider, file_name)
    with pytest.raises(AssertionError, match=re.escape(message)):
        contract.validate_response(provider, method, path, status, body, headers=headers)


def _basic(user_and_password: str) -> str:
    return "Basic " + base64.b64encode(user_and_password.encode()).decode()


AUTH = [
    ("linq-v2", "GET", "/api/partner/v2/phone_numbers", {"X-LINQ-INTEGRATION-TOKEN": "tok"}, None),
    (
        "linq-v2",
        "GET",
        "/api/partner/v2/phone_numbers",
        {"Authorization": "Bearer tok"},
        "no X-LINQ-INTEGRATION-TOKEN header",
    ),
    ("linq-v3", "GET", "/v3/phone_numbers", {"Authorization": "Bearer key"}, None),
    ("linq-v3", "GET", "/v3/phone_numbers", {}, "Authorization is not 'Bearer <credentials>'"),
    ("agentmessage", "GET", AM_PATH, {"authorization": "Bearer am_live_x"}, None),
    ("agentmessage", "GET", AM_PATH, {"Authorization": _basic("k:")}, "not 'Bearer"),
    ("close", "GET", CLOSE_PATH, {"Authorization": _basic("api_key:")}, None),
    ("close", "GET", CLOSE_PATH, {"Authorization": "Bearer oauth-token"}, None),
    ("close", "GET", CLOSE_PATH, {"Authorization": "Basic !!!"}, "not base64 of 'user:password'"),
    ("close", "GET", CLOSE_PATH, {"Authorization": _basic("api_key")}, "not base64"),
]


@pytest.mark.parametrize(("provider", "method", "path", "headers", "message"), AUTH)
def test_request_auth_header_is_checked(
    provider: str, method: str, path: str, headers: dict[str, str], message: str | None
) -> None:
    if message is None:
        contract.validate_request(provider, method, path, headers=headers)
    else:
        with pytest.raises(AssertionError, match=re.escape(message)):
            contract.validate_request(provider, method, path, headers=headers)


# -------------------------------------------------------------------------- queries

QUERIES = [
    ("agentmessage", "/v1/phone-numbers?limit=100&cursor=abc&number_type=toll_free", None),
    ("agentmessage", f"/v1/phone-numbers?campaign_id={V3_ID}&search=%2B1202", None),
    ("agentmessage", "/v1/phone-numbers?limit=0", "0 is less than the minimum of 1"),
    ("agentmessage", "/v1/phone-numbers?limit=101", "101 is greater than the maximum of 100"),
    ("agentmessage", "/v1/phone-numbers?limit=ten", "'ten' is not of type 'integer'"),
    ("agentmessage", "/v1/phone-numbers?page=2", "query parameter 'page' is not documented"),
    ("agentmessage", "/v1/phone-numbers?campaign_id=nope", "'nope' is not a 'uuid'"),
    ("close", "/api/v1/phone_number/?_skip=0&_limit=100&number=%2B16503335555", None),
    ("close", "/api/v1/phone_number/?_skip=-1", "-1 is less than the minimum of 0"),
    ("linq-v3", "/api/partner/v3/phone_numbers?limit=5", "(documented: none)"),
]


@pytest.mark.parametrize(("provider", "path", "message"), QUERIES)
def test_query_parameters_are_checked(provider: str, path: str, message: str | None) -> None:
    if message is None:
        contract.validate_query(provider, "GET", path)
    else:
        with pytest.raises(AssertionError, match=re.escape(message)):
            contract.validate_query(provider, "GET", path)
