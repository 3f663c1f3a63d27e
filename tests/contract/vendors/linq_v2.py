"""linq-v2's cases of the generic contract checks (``test_openapi_documents.py``): its
requests and answers the contract must match, or must refuse."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.vendors import mutated

V2_ID = "101"
V2_PATH = f"/api/partner/v2/phone_numbers/{V2_ID}"


#: Golden request samples that clear a field: (sample, the decided wire form).
CLEAR_FORMS: list[Any] = [
    ("linq-v2", "update.request.clear.json", {"forwarding_number": ""}),
]


#: Concrete requests and the documented operation (and path parameters) each matches.
MATCHES: list[Any] = [
    ("linq-v2", "GET", "https://api.linqapp.com/api/partner/v2/phone_numbers", "list", {}),
    ("linq-v2", "PUT", V2_PATH, "update", {"id": V2_ID}),
]


#: Requests the contract does not document: (method, path, what the failure says).
NON_MATCHES: list[Any] = [
    ("linq-v2", "PUT", "/api/partner/v2/phone_numbers/abc", "id='abc'"),
]


#: Request bodies the vendor refuses, which the contract check must reject.
BAD_REQUESTS: list[Any] = [
    pytest.param(
        "linq-v2",
        "PUT",
        V2_PATH,
        {"forwarding_number": 12025559999},
        "is not of type 'string'",
        id="linq-v2-update-number-not-string",
    ),
]


#: Response bodies the vendor never sends, which the contract check must reject.
BAD_RESPONSES: list[Any] = [
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
]


#: Request auth headers: accepted (None) or refused with the message given.
AUTH: list[Any] = [
    ("linq-v2", "GET", "/api/partner/v2/phone_numbers", {"X-LINQ-INTEGRATION-TOKEN": "tok"}, None),
    (
        "linq-v2",
        "GET",
        "/api/partner/v2/phone_numbers",
        {"Authorization": "Bearer tok"},
        "no X-LINQ-INTEGRATION-TOKEN header",
    ),
]
