"""AgentMessage's contract checks of its own (its cases of the generic checks are in
``tests/contract/vendors/agentmessage.py``)."""

from __future__ import annotations

import pytest

from tests.contract import openapi_contract as contract
from tests.contract.vendors import SEEDS, full_sample_numbers, sample_body, seed_json_objects
from tests.contract.vendors.agentmessage import AM_PATH


def test_the_campaign_is_never_cleared_with_an_empty_string() -> None:
    # The decision: clearing the campaign uses DELETE .../campaign, so no request sample
    # (and no request the contract accepts) carries campaign_id "".
    for sample in contract.iter_samples("agentmessage"):
        if sample.kind == "request":
            assert sample.body.get("campaign_id") != ""
    with pytest.raises(AssertionError, match="uuid"):
        contract.validate_request("agentmessage", "PATCH", AM_PATH, {"campaign_id": ""})


def test_a_status_range_and_exact_codes_pick_the_right_schema() -> None:
    server_error = sample_body("agentmessage", "get.500.json")
    contract.validate_response("agentmessage", "GET", AM_PATH, 503, server_error)
    with pytest.raises(AssertionError, match="is not one of"):
        contract.validate_response("agentmessage", "GET", AM_PATH, 404, server_error)


def test_a_request_without_a_documented_body_passes_without_one() -> None:
    contract.validate_request("agentmessage", "DELETE", f"{AM_PATH}/campaign")


def test_the_sample_numbers_carry_every_documented_field() -> None:
    assert full_sample_numbers("agentmessage") >= 5


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the vendor seed excerpts are not available")
def test_the_samples_keep_the_seed_examples_verbatim() -> None:
    objects = seed_json_objects("002")
    unauthorized = next(o for o in objects if o.get("error", {}).get("code") == "UNAUTHORIZED")
    assert sample_body("agentmessage", "update.401.json") == unauthorized
