"""linq-v3's cases of the generic contract checks (``test_openapi_documents.py``): its
requests and answers the contract must match, or must refuse."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.vendors import drop, mutated

V3_ID = "550e8400-e29b-41d4-a716-446655440000"
V3_PATH = f"/v3/phone_numbers/{V3_ID}"
TRACE_ID = "2eff5df5c6f688733c007523c4d61cd9"


#: Golden request samples that clear a field: (sample, the decided wire form).
CLEAR_FORMS: list[Any] = [
    ("linq-v3", "update.request.clear.json", {"forwarding_number": ""}),
]


#: Concrete requests and the documented operation (and path parameters) each matches.
MATCHES: list[Any] = [
    (
        "linq-v3",
        "PUT",
        f"https://api.linqapp.com/api/partner{V3_PATH}?debug=1",
        "update",
        {"phoneNumberId": V3_ID},
    ),
    ("linq-v3", "put", V3_PATH, "update", {"phoneNumberId": V3_ID}),
    ("linq-v3", "GET", "http://127.0.0.1:8765/api/partner/v3/phone_numbers", "list", {}),
]


#: Requests the contract does not document: (method, path, what the failure says).
NON_MATCHES: list[Any] = [
    ("linq-v3", "PUT", "/v3/phone_numbers/101", "is not a 'uuid'"),
    ("linq-v3", "PATCH", V3_PATH, "PATCH /v3/phone_numbers/{phoneNumberId} is not documented"),
    ("linq-v3", "GET", "/api/partner/v2/phone_numbers", "no documented path"),
]


#: Request bodies the vendor refuses, which the contract check must reject.
BAD_REQUESTS: list[Any] = [
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
]


#: Response bodies the vendor never sends, which the contract check must reject.
BAD_RESPONSES: list[Any] = [
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
        mutated("linq-v3", "update.404.json", drop("trace_id")),
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
]


#: Documented response headers, which pass.
GOOD_HEADERS: list[Any] = [
    ("linq-v3", "PUT", V3_PATH, 200, "update.200.json", {"x-trace-id": TRACE_ID}),
    (
        "linq-v3",
        "PUT",
        V3_PATH,
        429,
        "update.429.json",
        {"X-Trace-ID": TRACE_ID, "Retry-After": "30"},
    ),
]


#: Missing or malformed response headers, which fail.
BAD_HEADERS: list[Any] = [
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
]


#: Request auth headers: accepted (None) or refused with the message given.
AUTH: list[Any] = [
    ("linq-v3", "GET", "/v3/phone_numbers", {"Authorization": "Bearer key"}, None),
    ("linq-v3", "GET", "/v3/phone_numbers", {}, "Authorization is not 'Bearer <credentials>'"),
]


#: List queries: documented (None) or refused with the message given.
QUERIES: list[Any] = [
    ("linq-v3", "/api/partner/v3/phone_numbers?limit=5", "(documented: none)"),
]
