"""The emulators' own answers, errors above all, against the vendor contracts: every
case in ``emulator_cases`` validates against ``providers/<name>/openapi.yaml`` (status,
body and documented headers), every documented response of every operation is produced
by some case (or listed as not emulated), and each answer matches its golden sample:
errors exactly but for the per-request ids, successes in shape (same keys, same types)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.contract import openapi_contract as contract
from tests.contract.emulator_cases import CASES, PROVIDERS, UNREPRODUCED, Case, env
from tests.profiles import PROFILES


def _answer(case: Case) -> tuple[Any, Any]:
    response = case.run(env(case.provider))
    assert response.status_code == case.status, response.text
    body = response.json() if response.content else None
    return response, body


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_emulator_answer_is_in_the_contract(case: Case) -> None:
    response, body = _answer(case)
    operation = contract.operation_by_id(case.provider, case.operation)
    assert response.request.method == operation.method
    # The operation's documented example path, not the request's: some cases send an
    # id the contract forbids on purpose (the vendor's 400 for a bad id is the point).
    contract.validate_response(
        case.provider,
        operation.method,
        contract.example_path(operation),
        response.status_code,
        body,
        headers=dict(response.headers),
    )


def _response_key(responses: dict[str, Any], status: int) -> str:
    return str(status) if str(status) in responses else f"{status // 100}XX"


#: Documented responses no emulator answer produces (each is a sample in UNREPRODUCED).
NOT_EMULATED = {(p, *key) for p in PROVIDERS for key in PROFILES[p].not_emulated}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_documented_response_is_produced_by_some_case(provider: str) -> None:
    spec = contract.load_spec(provider)
    documented = set()
    produced = set()
    for operation in contract.operations(provider):
        responses = spec["paths"][operation.path_template][operation.method.lower()]["responses"]
        documented |= {(provider, operation.operation_id, key) for key in responses}
        produced |= {
            (provider, operation.operation_id, _response_key(responses, case.status))
            for case in CASES
            if case.provider == provider and case.operation == operation.operation_id
        }
    assert documented - produced == {k for k in NOT_EMULATED if k[0] == provider}
    assert produced <= documented


_SAMPLES = {s.name: s for p in PROVIDERS for s in contract.iter_samples(p) if s.kind == "response"}


def test_every_sample_is_matched_by_a_case_or_listed_as_not_emulated() -> None:
    claimed = {f"{case.provider}/{case.sample}" for case in CASES if case.sample}
    assert claimed <= set(_SAMPLES), claimed - set(_SAMPLES)
    assert set(_SAMPLES) - claimed == set(UNREPRODUCED)


def _without_ids(provider: str, body: Any) -> Any:
    """The body with its per-request ids blanked (they differ on every answer)."""
    return PROFILES[provider].blank_request_ids(copy.deepcopy(body))


def shape_problems(actual: Any, golden: Any, where: str = "$") -> list[str]:
    """How ``actual`` differs in shape from ``golden``: object keys must be the same and
    values of the same JSON type; ``null`` on either side matches any type (nullable
    fields); each item of an array must match the shape of some golden item."""
    if actual is None or golden is None:
        return []
    if isinstance(golden, dict):
        if not isinstance(actual, dict):
            return [f"{where}: object expected, got {type(actual).__name__}"]
        problems = []
        if set(actual) != set(golden):
            missing, extra = sorted(set(golden) - set(actual)), sorted(set(actual) - set(golden))
            problems.append(f"{where}: keys differ (missing {missing}, extra {extra})")
        for key in sorted(set(actual) & set(golden)):
            problems += shape_problems(actual[key], golden[key], f"{where}.{key}")
        return problems
    if isinstance(golden, list):
        if not isinstance(actual, list):
            return [f"{where}: array expected, got {type(actual).__name__}"]
        if not golden:
            return []
        problems = []
        for index, item in enumerate(actual):
            candidates = [shape_problems(item, g, f"{where}[{index}]") for g in golden]
            if all(candidates):
                problems += min(candidates, key=len)
        return problems
    if type(actual) is not type(golden):
        return [f"{where}: {type(golden).__name__} expected, got {type(actual).__name__}"]
    return []


@pytest.mark.parametrize(
    "case", [case for case in CASES if case.sample], ids=lambda c: f"{c.provider}/{c.sample}"
)
def test_emulator_answer_matches_its_golden_sample(case: Case) -> None:
    _, body = _answer(case)
    golden = _SAMPLES[f"{case.provider}/{case.sample}"].body
    assert shape_problems(body, golden) == []
    if case.status >= 400:
        # Errors carry no data of the account: the text is the vendor's (or, where the
        # vendor documents only the shape, the emulator's) and must agree exactly.
        assert _without_ids(case.provider, body) == _without_ids(case.provider, golden)


def test_shape_problems_finds_what_it_should() -> None:
    golden = {"a": 1, "b": "x", "c": [{"d": True}, {"e": None}], "f": None}
    assert shape_problems({"a": 2, "b": "y", "c": [{"e": 5}], "f": "s"}, golden) == []
    assert shape_problems({"a": "2", "b": "y", "c": [], "f": None}, golden) == [
        "$.a: int expected, got str"
    ]
    assert shape_problems({"a": 1, "b": "y", "c": [{"z": 1}]}, golden) == [
        "$: keys differ (missing ['f'], extra [])",
        "$.c[0]: keys differ (missing ['d'], extra ['z'])",
    ]
