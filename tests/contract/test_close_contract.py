"""Close's contract checks of its own (its cases of the generic checks are in
``tests/contract/vendors/close.py``)."""

from __future__ import annotations

import re

import pytest

from tests.contract import openapi_contract as contract
from tests.contract.vendors import full_sample_numbers
from tests.contract.vendors.close import CLOSE_PATH


def test_the_samples_use_close_shaped_ids() -> None:
    checked = 0
    for sample in contract.iter_samples("close"):
        bodies = sample.body.get("data", [sample.body]) if sample.kind == "response" else []
        for number in bodies:
            if "id" in number:
                assert re.fullmatch(r"phon_[A-Za-z0-9]{43}", number["id"])
                assert re.fullmatch(r"orga_[A-Za-z0-9]{43}", number["organization_id"])
                checked += 1
    assert checked >= 5  # the loop found the samples' numbers


def test_the_sample_numbers_carry_every_documented_field() -> None:
    assert full_sample_numbers("close") >= 5


def test_body_presence_is_checked() -> None:
    with pytest.raises(AssertionError, match="requires a JSON request body"):
        contract.validate_request("close", "PUT", CLOSE_PATH, None)
    with pytest.raises(AssertionError, match="takes no request body"):
        contract.validate_request("close", "GET", CLOSE_PATH, {"label": "x"})


def test_nullable_fields_accept_null_and_only_null() -> None:
    contract.validate_request("close", "PUT", CLOSE_PATH, {"inbound_ring_duration": None})
    with pytest.raises(AssertionError, match="None is not of type 'string'"):
        contract.validate_request("close", "PUT", CLOSE_PATH, {"label": None})
