"""The vendor contracts in ``providers/``: valid documents, golden samples, and checks that fail.

Each ``openapi.yaml`` must be valid OpenAPI and describe exactly the endpoints we use;
every golden sample must match its operation's schema; and the checks in
``openapi_contract`` must reject bodies, paths, headers and queries the vendors would
not send or accept, or they would prove nothing when reused on adapters and emulators.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
import yaml
from openapi_spec_validator import validate

from phonerouting.registry import adapter_for
from tests.contract import openapi_contract as contract
from tests.contract import vendors
from tests.profiles import need

ALL_SAMPLES = [
    sample for provider in contract.PROVIDERS for sample in contract.iter_samples(provider)
]


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
    provider = contract.PROVIDERS[0]
    samples = tmp_path / provider / "samples"
    samples.mkdir(parents=True)
    (samples / "update.200.json").write_text("{}")
    monkeypatch.setattr(contract, "PROVIDERS_DIR", tmp_path)
    assert [sample.status for sample in contract.iter_samples(provider)] == [200]

    (samples / "update-200.json").write_text("{}")
    with pytest.raises(AssertionError, match="is not named"):
        contract.iter_samples(provider)


CLEAR_FORMS = vendors.cases("CLEAR_FORMS")


@pytest.mark.parametrize(("provider", "file_name", "expected"), CLEAR_FORMS)
def test_clear_samples_use_the_decided_wire_form(
    provider: str, file_name: str, expected: Any
) -> None:
    assert vendors.sample_body(provider, file_name) == expected


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


# ------------------------------------------------------------------------- matching

MATCHES = vendors.cases("MATCHES")


@pytest.mark.parametrize(("provider", "method", "path", "operation_id", "params"), MATCHES)
def test_find_operation_matches_concrete_requests(
    provider: str, method: str, path: str, operation_id: str, params: dict[str, str]
) -> None:
    operation = contract.find_operation(provider, method, path)
    assert operation.operation_id == operation_id
    assert dict(operation.path_params) == params


NON_MATCHES = [
    *vendors.cases("NON_MATCHES"),
    ("no-such-provider", "GET", "/", "unknown provider"),
]


@pytest.mark.parametrize(("provider", "method", "path", "message"), NON_MATCHES)
def test_find_operation_rejects_undocumented_requests(
    provider: str, method: str, path: str, message: str
) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)):
        contract.find_operation(provider, method, path)


# --------------------------------------------------------------- bodies that must fail

BAD_REQUESTS = vendors.cases("BAD_REQUESTS")


@pytest.mark.parametrize(("provider", "method", "path", "body", "message"), BAD_REQUESTS)
def test_validate_request_rejects_bodies_the_vendor_refuses(
    provider: str, method: str, path: str, body: Any, message: str
) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)) as raised:
        contract.validate_request(provider, method, path, body)
    assert provider in str(raised.value)


BAD_RESPONSES = vendors.cases("BAD_RESPONSES")


@pytest.mark.parametrize(("provider", "method", "path", "status", "body", "message"), BAD_RESPONSES)
def test_validate_response_rejects_bodies_the_vendor_never_sends(
    provider: str, method: str, path: str, status: int, body: Any, message: str
) -> None:
    with pytest.raises(AssertionError, match=re.escape(message)) as raised:
        contract.validate_response(provider, method, path, status, body)
    assert f"{provider} " in str(raised.value)
    assert f" {status} response body" in str(raised.value)


# -------------------------------------------------------------------------- headers

GOOD_HEADERS = vendors.cases("GOOD_HEADERS")


@pytest.mark.parametrize(
    ("provider", "method", "path", "status", "file_name", "headers"), GOOD_HEADERS
)
def test_documented_headers_pass(
    provider: str, method: str, path: str, status: int, file_name: str, headers: dict[str, str]
) -> None:
    body = vendors.sample_body(provider, file_name)
    contract.validate_response(provider, method, path, status, body, headers=headers)


BAD_HEADERS = vendors.cases("BAD_HEADERS")


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
    body = vendors.sample_body(provider, file_name)
    with pytest.raises(AssertionError, match=re.escape(message)):
        contract.validate_response(provider, method, path, status, body, headers=headers)


AUTH = vendors.cases("AUTH")


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

QUERIES = vendors.cases("QUERIES")


@pytest.mark.parametrize(("provider", "path", "message"), QUERIES)
def test_query_parameters_are_checked(provider: str, path: str, message: str | None) -> None:
    if message is None:
        contract.validate_query(provider, "GET", path)
    else:
        with pytest.raises(AssertionError, match=re.escape(message)):
            contract.validate_query(provider, "GET", path)
