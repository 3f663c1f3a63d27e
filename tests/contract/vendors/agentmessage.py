"""agentmessage's cases of the generic contract checks (``test_openapi_documents.py``): its
requests and answers the contract must match, or must refuse."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.vendors import basic, mutated

AM_ID = "497f6eca-6276-4993-bfeb-53cbbbba6f08"
AM_PATH = f"/v1/phone-numbers/{AM_ID}"
CAMPAIGN_ID = "550e8400-e29b-41d4-a716-446655440000"
REQUEST_ID = "01JTBQH2FZ8K1RXC0WJ4Z9P3VM"


#: Golden request samples that clear a field: (sample, the decided wire form).
CLEAR_FORMS: list[Any] = [
    ("agentmessage", "update.request.clear_inbound_url.json", {"inbound_url": ""}),
    ("agentmessage", "update.request.clear_status_url.json", {"status_url": ""}),
    ("agentmessage", "update.request.clear_label.json", {"label": ""}),
]


#: Concrete requests and the documented operation (and path parameters) each matches.
MATCHES: list[Any] = [
    ("agentmessage", "GET", "/v1/phone-numbers?cursor=abc&limit=5", "list", {}),
    ("agentmessage", "GET", AM_PATH, "get", {"id": AM_ID}),
    ("agentmessage", "DELETE", f"{AM_PATH}/campaign", "detach_campaign", {"id": AM_ID}),
]


#: Requests the contract does not document: (method, path, what the failure says).
NON_MATCHES: list[Any] = [
    ("agentmessage", "GET", "/v1/phone_numbers", "no documented path"),
]


#: Request bodies the vendor refuses, which the contract check must reject.
BAD_REQUESTS: list[Any] = [
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
]


#: Response bodies the vendor never sends, which the contract check must reject.
BAD_RESPONSES: list[Any] = [
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
]


#: Documented response headers, which pass.
GOOD_HEADERS: list[Any] = [
    ("agentmessage", "GET", AM_PATH, 200, "get.200.json", {"X-Request-Id": REQUEST_ID}),
    (
        "agentmessage",
        "PATCH",
        AM_PATH,
        429,
        "update.429.json",
        {"X-Request-Id": REQUEST_ID, "Retry-After": "3"},
    ),
]


#: Missing or malformed response headers, which fail.
BAD_HEADERS: list[Any] = [
    (
        "agentmessage",
        "GET",
        AM_PATH,
        200,
        "get.200.json",
        {"X-Request-Id": "req_123"},
        "header X-Request-Id='req_123'",
    ),
]


#: Request auth headers: accepted (None) or refused with the message given.
AUTH: list[Any] = [
    ("agentmessage", "GET", AM_PATH, {"authorization": "Bearer am_live_x"}, None),
    ("agentmessage", "GET", AM_PATH, {"Authorization": basic("k:")}, "not 'Bearer"),
]


#: List queries: documented (None) or refused with the message given.
QUERIES: list[Any] = [
    ("agentmessage", "/v1/phone-numbers?limit=100&cursor=abc&number_type=toll_free", None),
    ("agentmessage", f"/v1/phone-numbers?campaign_id={CAMPAIGN_ID}&search=%2B1202", None),
    ("agentmessage", "/v1/phone-numbers?limit=0", "0 is less than the minimum of 1"),
    ("agentmessage", "/v1/phone-numbers?limit=101", "101 is greater than the maximum of 100"),
    ("agentmessage", "/v1/phone-numbers?limit=ten", "'ten' is not of type 'integer'"),
    ("agentmessage", "/v1/phone-numbers?page=2", "query parameter 'page' is not documented"),
    ("agentmessage", "/v1/phone-numbers?campaign_id=nope", "'nope' is not a 'uuid'"),
]
