"""Linq v3's contract checks of its own (its cases of the generic checks are in
``tests/contract/vendors/linq_v3.py``)."""

from __future__ import annotations

import pytest

from tests.contract import openapi_contract as contract
from tests.contract.vendors import SEEDS, sample_body, seed_json_objects
from tests.contract.vendors.linq_v3 import V3_PATH


def test_an_undocumented_status_fails() -> None:
    with pytest.raises(
        AssertionError, match=r"status 418 is not documented \(documented: 200, 400"
    ):
        contract.validate_response("linq-v3", "PUT", V3_PATH, 418, {})


def test_a_nullable_field_accepts_null() -> None:
    contract.validate_request("linq-v3", "PUT", V3_PATH, {"forwarding_number": None})


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the vendor seed excerpts are not available")
def test_the_samples_keep_the_seed_examples_verbatim() -> None:
    linq = seed_json_objects("001")
    assert sample_body("linq-v3", "update.200.json") == linq[0]
    for seed_error in linq[1:6]:
        status = seed_error["error"]["status"]
        matching = [
            sample
            for sample in contract.iter_samples("linq-v3")
            if sample.operation_id == "update" and sample.body.get("error") == seed_error["error"]
        ]
        assert [sample.status for sample in matching] == [status]
