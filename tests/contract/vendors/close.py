"""close's cases of the generic contract checks (``test_openapi_documents.py``): its
requests and answers the contract must match, or must refuse."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.vendors import basic, drop, mutated

CLOSE_ID = "phon_asdjkfev50ZKOqTVndOFN4effzv99vDvpDxrks9XLU3"
CLOSE_PATH = f"/phone_number/{CLOSE_ID}/"


#: Golden request samples that clear a field: (sample, the decided wire form).
CLEAR_FORMS: list[Any] = [
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


#: Concrete requests and the documented operation (and path parameters) each matches.
MATCHES: list[Any] = [
    ("close", "PUT", f"phone_number/{CLOSE_ID}/", "update", {"id": CLOSE_ID}),
    ("close", "GET", "http://localhost:9000/api/v1/phone_number/?_skip=100", "list", {}),
    ("close", "DELETE", f"https://api.close.com/api/v1{CLOSE_PATH}", "delete", {"id": CLOSE_ID}),
]


#: Requests the contract does not document: (method, path, what the failure says).
NON_MATCHES: list[Any] = [
    ("close", "PUT", f"/api/v1/phone_number/{CLOSE_ID}", "no documented path"),
    ("close", "GET", "/api/v1/phone_number/phon_123/", "id='phon_123'"),
]


#: Request bodies the vendor refuses, which the contract check must reject.
BAD_REQUESTS: list[Any] = [
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


#: Response bodies the vendor never sends, which the contract check must reject.
BAD_RESPONSES: list[Any] = [
    pytest.param(
        "close",
        "PUT",
        CLOSE_PATH,
        200,
        mutated("close", "update.200.json", drop("number")),
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
        mutated("close", "update.400.unknown_field.json", drop("field-errors")),
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
        mutated("close", "list.200.json", drop("has_more")),
        "'has_more' is a required property",
        id="close-list-without-has-more",
    ),
]


#: Documented response headers, which pass.
GOOD_HEADERS: list[Any] = [
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


#: Missing or malformed response headers, which fail.
BAD_HEADERS: list[Any] = [
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


#: Request auth headers: accepted (None) or refused with the message given.
AUTH: list[Any] = [
    ("close", "GET", CLOSE_PATH, {"Authorization": basic("api_key:")}, None),
    ("close", "GET", CLOSE_PATH, {"Authorization": "Bearer oauth-token"}, None),
    ("close", "GET", CLOSE_PATH, {"Authorization": "Basic !!!"}, "not base64 of 'user:password'"),
    ("close", "GET", CLOSE_PATH, {"Authorization": basic("api_key")}, "not base64"),
]


#: List queries: documented (None) or refused with the message given.
QUERIES: list[Any] = [
    ("close", "/api/v1/phone_number/?_skip=0&_limit=100&number=%2B16503335555", None),
    ("close", "/api/v1/phone_number/?_skip=-1", "-1 is less than the minimum of 0"),
]
