"""The linq-v3 adapter, pure: requests built, bodies parsed, errors classified.

Reference: PROVIDERS.md § linq-v3 and seeds 000/001 (the v3 update endpoint, whose
example bodies are used here verbatim).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import phonerouting as pr
from phonerouting import errors
from phonerouting.adapters import wire
from phonerouting.adapters.base import Page, Request
from phonerouting.model import ROUTING_FIELDS, PhoneNumber
from phonerouting.registry import adapter_for
from phonerouting.responses import error_from_response, parse_success
from tests.support import NEW_FIELD_VALUES

PROVIDER = "linq-v3"
ADAPTER = adapter_for(PROVIDER)
UUID = "550e8400-e29b-41d4-a716-446655440000"
PUT_REQUEST = Request("PUT", f"/v3/phone_numbers/{UUID}", json={"forwarding_number": ""})
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
HEADER_TRACE = "0af7651916cd43dd8448eb211c80319c"

UNSUPPORTED_VALUES: dict[str, Any] = {
    "inbound_url": "https://hooks.example.com/inbound",
    "status_url": "https://hooks.example.com/status",
    "label": "Front desk",
    "campaign_id": "78614b6c-fe7c-41e2-8e25-c9b3a3c91904",
    "voicemail_greeting_url": "https://cdn.example.com/greeting.mp3",
    "ring_duration": 45,
    "participants": ["user_4f3Ad9"],
    "external_numbers": ["+16505550100"],
    "press_1_to_accept": True,
    **NEW_FIELD_VALUES,
}

# Seeds 000/001, "Returns Examples": the update response, verbatim.
SEED_UPDATE_RESPONSE: dict[str, Any] = {
    "id": "550e8400-e29b-41d4-a716-446655440000",
    "phone_number": "+12025551234",
    "forwarding_number": "+12025559999",
}

# A list item with every documented field (PROVIDERS.md "List item").
FULL_LIST_ITEM: dict[str, Any] = {
    "id": "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e",
    "phone_number": "+13105550123",
    "forwarding_number": "+13105550199",
    "reputation": {
        "status": "AT_RISK",
        "doc_url": "https://docs.linqapp.com/reputation/at-risk/",
    },
    "line_type": "iMessage",
}


def _bytes(body: Any) -> bytes:
    return json.dumps(body).encode()


def _number(**fields: Any) -> PhoneNumber:
    return PhoneNumber(provider=PROVIDER, **fields)


# --- identity, auth, capabilities --------------------------------------------------------


def test_identity_and_capabilities() -> None:
    assert ADAPTER.name == "linq-v3"
    assert ADAPTER.default_base_url == "https://api.linqapp.com/api/partner"
    assert ADAPTER.api_key_env == "LINQ_API_V3_API_KEY"
    assert ADAPTER.request_id_header == "X-Trace-ID"
    assert ADAPTER.capabilities.settable == frozenset({"forwarding_number"})
    assert ADAPTER.capabilities.clearable == frozenset({"forwarding_number"})


def test_auth_header_is_bearer() -> None:
    assert ADAPTER.auth_headers("key") == {"Authorization": "Bearer key"}
    assert ADAPTER.auth_headers("lq_live_9f8e") == {"Authorization": "Bearer lq_live_9f8e"}


# --- list / get / find -------------------------------------------------------------------


def test_list_request_is_the_unpaginated_list() -> None:
    assert ADAPTER.list_request() == Request("GET", "/v3/phone_numbers", params=None, json=None)


def test_find_request_is_the_plain_list() -> None:
    assert ADAPTER.find_request("+12025551234") == Request("GET", "/v3/phone_numbers")


def test_there_is_no_get_endpoint() -> None:
    assert ADAPTER.get_request(UUID) is None


# --- ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (UUID, UUID),
        ("550E8400-E29B-41D4-A716-446655440000", UUID),
        ("550e8400-E29B-41d4-A716-446655440000", UUID),
        ("00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000000"),
    ],
    ids=["lower", "upper", "mixed", "nil"],
)
def test_valid_ids(given: str, expected: str) -> None:
    assert ADAPTER.normalize_id(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "../x",
        "1/2",
        f"{UUID}/campaign",
        f"../{UUID}",
        "",
        None,
        True,
        -1,
        42,
        "42",
        "١٢",
        "550e8400-e29b-41d4-a716-٤٤٦٦٥٥٤٤٠٠٠٠",  # Arabic-Indic digits in the last group
        "550e8400e29b41d4a716446655440000",  # no hyphens
        f"{{{UUID}}}",
        f"urn:uuid:{UUID}",
        f" {UUID}",
        f"{UUID} ",
        f"{UUID}\n",
        "550e8400-e29b-41d4-a716-44665544000",  # one digit short
        "550e8400-e29b-41d4-a716-44665544000g",
        b"550e8400-e29b-41d4-a716-446655440000",
    ],
)
def test_malformed_ids_are_refused(given: object) -> None:
    with pytest.raises(errors.ValidationError) as info:
        ADAPTER.normalize_id(given)
    assert info.value.field == "number_id"
    assert info.value.status is None


# --- update requests ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "expected_body"),
    [
        (pr.RoutingUpdate(forwarding_number="+12025559999"), {"forwarding_number": "+12025559999"}),
        (
            pr.RoutingUpdate(forwarding_number="+1 (202) 555-9999"),
            {"forwarding_number": "+12025559999"},
        ),
        (
            pr.RoutingUpdate(forwarding_number="+1.202.555.9999"),
            {"forwarding_number": "+12025559999"},
        ),
        (pr.RoutingUpdate(forwarding_number=None), {"forwarding_number": ""}),
        (pr.RoutingUpdate(forwarding_number=pr.CLEAR), {"forwarding_number": ""}),
        (pr.RoutingUpdate(forwarding_number=""), {"forwarding_number": ""}),
    ],
    ids=["set", "set-human-form", "set-dotted", "clear-none", "clear-CLEAR", "clear-empty-string"],
)
def test_update_is_one_put_of_forwarding_number(
    update: pr.RoutingUpdate, expected_body: dict[str, str]
) -> None:
    assert ADAPTER.update_requests(UUID, update) == [
        Request("PUT", f"/v3/phone_numbers/{UUID}", params=None, json=expected_body)
    ]


@pytest.mark.parametrize(
    "update",
    [pr.RoutingUpdate(), pr.RoutingUpdate(forwarding_number=pr.UNSET)],
    ids=["default", "explicit-UNSET"],
)
def test_all_unset_update_writes_nothing(update: pr.RoutingUpdate) -> None:
    assert ADAPTER.update_requests(UUID, update) == []


@pytest.mark.parametrize("field", sorted(UNSUPPORTED_VALUES))
@pytest.mark.parametrize("mode", ["set", "clear"])
def test_unsupported_fields_are_refused(field: str, mode: str) -> None:
    value = UNSUPPORTED_VALUES[field] if mode == "set" else None
    with pytest.raises(errors.UnsupportedFieldError) as info:
        ADAPTER.update_requests(UUID, pr.RoutingUpdate(**{field: value}))
    assert info.value.field == field
    assert info.value.provider == "linq-v3"
    assert info.value.status is None
    assert str(info.value).startswith("linq-v3: ")


@pytest.mark.parametrize("field", sorted(UNSUPPORTED_VALUES))
def test_unsupported_field_refuses_the_whole_update(field: str) -> None:
    update = pr.RoutingUpdate(forwarding_number=None, **{field: UNSUPPORTED_VALUES[field]})
    with pytest.raises(errors.UnsupportedFieldError) as info:
        ADAPTER.update_requests(UUID, update)
    assert info.value.field == field


def test_unsupported_values_cover_every_other_field() -> None:
    assert set(UNSUPPORTED_VALUES) == set(ROUTING_FIELDS) - {"forwarding_number"}


# --- parsing -----------------------------------------------------------------------------


def test_parse_seed_update_response(thaw: Callable[[Any], Any]) -> None:
    number = ADAPTER.parse_number(SEED_UPDATE_RESPONSE)
    assert number == _number(id=UUID, number="+12025551234", forwarding_number="+12025559999")
    assert number.routing() == dict.fromkeys(ROUTING_FIELDS) | {"forwarding_number": "+12025559999"}
    assert (number.sms_enabled, number.mms_enabled) == (None, None)
    assert (number.created_at, number.updated_at) == (None, None)
    assert thaw(number.raw) == SEED_UPDATE_RESPONSE


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"id": UUID, "phone_number": "+12025551234", "forwarding_number": None},
            _number(id=UUID, number="+12025551234"),
        ),
        (
            {"id": UUID, "phone_number": "+12025551234", "forwarding_number": ""},
            _number(id=UUID, number="+12025551234"),
        ),
        ({"id": UUID, "phone_number": "+12025551234"}, _number(id=UUID, number="+12025551234")),
    ],
    ids=["cleared-null", "cleared-empty", "absent"],
)
def test_parse_cleared_forwarding(body: dict[str, Any], expected: PhoneNumber) -> None:
    assert ADAPTER.parse_number(body) == expected


def test_parsed_id_is_in_normalize_id_form() -> None:
    # The sync and async clients find a number by comparing number.id with
    # normalize_id(number_id), which lower-cases; a UUID the vendor spells in upper
    # case must read back in that same canonical form or get() can never find it.
    body = {**SEED_UPDATE_RESPONSE, "id": UUID.upper()}
    number = ADAPTER.parse_number(body)
    assert number.id == UUID
    assert number.id == ADAPTER.normalize_id(UUID.upper())


def test_raw_is_read_only_all_the_way_down() -> None:
    number = ADAPTER.parse_list({"phone_numbers": [FULL_LIST_ITEM]}, ADAPTER.list_request())
    raw = number.numbers[0].raw
    with pytest.raises(TypeError):
        raw["forwarding_number"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        raw["reputation"]["status"] = "HEALTHY"
    assert raw["reputation"]["status"] == "AT_RISK"
    assert raw["line_type"] == "iMessage"


def test_parse_list(thaw: Callable[[Any], Any]) -> None:
    cleared = {
        "id": "6f1c2a8e-0b7d-4c39-9e55-2d1f0a7b3c44",
        "phone_number": "+14155550142",
        "forwarding_number": None,
        "reputation": {"status": "HEALTHY", "doc_url": "https://docs.linqapp.com/reputation/"},
        "line_type": "RCS",
    }
    absent = {
        "id": "9a3b2c1d-4e5f-4061-8728-394a5b6c7d8e",
        "phone_number": "+12125550100",
        "reputation": {"status": "CRITICAL", "doc_url": "https://docs.linqapp.com/reputation/"},
    }
    body = {"phone_numbers": [FULL_LIST_ITEM, cleared, absent]}
    page = ADAPTER.parse_list(body, ADAPTER.list_request())
    assert page == Page(
        [
            _number(
                id="182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e",
                number="+13105550123",
                forwarding_number="+13105550199",
            ),
            _number(id="6f1c2a8e-0b7d-4c39-9e55-2d1f0a7b3c44", number="+14155550142"),
            _number(id="9a3b2c1d-4e5f-4061-8728-394a5b6c7d8e", number="+12125550100"),
        ],
        next_request=None,
    )
    assert [thaw(n.raw) for n in page.numbers] == body["phone_numbers"]


def test_parse_empty_list() -> None:
    assert ADAPTER.parse_list({"phone_numbers": []}, ADAPTER.list_request()) == Page([], None)


_GOOD = dict(SEED_UPDATE_RESPONSE)

MALFORMED_NUMBERS: list[tuple[str, Any]] = [
    ("array", [_GOOD]),
    ("null", None),
    ("id-missing", {"phone_number": "+12025551234"}),
    ("id-with-slash", {**_GOOD, "id": f"{UUID}/x"}),
    ("id-dot-dot", {**_GOOD, "id": f"../{UUID}"}),
    ("id-int", {**_GOOD, "id": 42}),
    ("id-not-uuid", {**_GOOD, "id": "pn_123"}),
    ("id-empty", {**_GOOD, "id": ""}),
    ("phone-missing", {"id": UUID}),
    ("phone-null", {**_GOOD, "phone_number": None}),
    ("phone-int", {**_GOOD, "phone_number": 12025551234}),
    ("forwarding-int", {**_GOOD, "forwarding_number": 12025559999}),
    ("forwarding-bool", {**_GOOD, "forwarding_number": False}),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED_NUMBERS, ids=[c for c, _ in MALFORMED_NUMBERS])
def test_malformed_number_is_a_shape_error(case: str, body: Any) -> None:
    with pytest.raises(wire.ShapeError):
        ADAPTER.parse_number(body)


MALFORMED_LISTS: list[tuple[str, Any]] = [
    ("array", [_GOOD]),
    ("key-missing", {"data": [_GOOD]}),
    ("key-object", {"phone_numbers": _GOOD}),
    ("item-not-object", {"phone_numbers": [UUID]}),
    ("item-bad-id", {"phone_numbers": [{**_GOOD, "id": "a/b"}]}),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED_LISTS, ids=[c for c, _ in MALFORMED_LISTS])
def test_malformed_list_is_a_shape_error(case: str, body: Any) -> None:
    with pytest.raises(wire.ShapeError):
        ADAPTER.parse_list(body, ADAPTER.list_request())


def test_parse_success_returns_the_parsed_number() -> None:
    number = parse_success(
        ADAPTER,
        ADAPTER.parse_number,
        PUT_REQUEST,
        200,
        httpx.Headers({"X-Trace-ID": HEADER_TRACE}),
        _bytes(SEED_UPDATE_RESPONSE),
        (),
    )
    assert number == _number(id=UUID, number="+12025551234", forwarding_number="+12025559999")


def test_a_listing_keeps_its_decoded_values_once() -> None:
    # A listing body decoded for the adapter: each number's raw is the decoded object
    # itself (no copy), objects of the same shape share their keys, and the id and the
    # number are the very strings raw holds.
    body = {
        "phone_numbers": [
            {**_GOOD, "id": f"00000000-0000-4000-8000-00000000000{i}", "line_type": "RCS"}
            for i in range(3)
        ]
    }
    page = parse_success(
        ADAPTER,
        lambda data: ADAPTER.parse_list(data, ADAPTER.list_request()),
        ADAPTER.list_request(),
        200,
        httpx.Headers(),
        lambda: _bytes(body),
        (),
    )
    first, _, third = page.numbers
    assert first.raw["id"] == first.id == "00000000-0000-4000-8000-000000000000"
    assert first.id is first.raw["id"]
    assert first.number is first.raw["phone_number"]
    assert first.raw._keys is third.raw._keys  # type: ignore[attr-defined]
    assert first.raw["line_type"] is third.raw["line_type"]
    with pytest.raises(TypeError):
        first.raw["id"] = "x"  # type: ignore[index]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (_bytes({**_GOOD, "id": f"{UUID}/x"}), "'id' is missing or not a valid id"),
        (_bytes({"phone_number": "+12025551234"}), "'id' is missing or not a valid id"),
        (_bytes({**_GOOD, "forwarding_number": 1}), "'forwarding_number' is not a string"),
        (_bytes("ok"), "a phone number is not a JSON object"),
        (b"Internal Server Error", "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b"\xc3\x28", "the body is not valid JSON"),
    ],
    ids=["slash-id", "no-id", "int-forwarding", "string", "text", "empty", "not-utf8"],
)
def test_malformed_success_is_unexpected_response(content: bytes, reason: str) -> None:
    headers = httpx.Headers({"x-trace-id": HEADER_TRACE})
    with pytest.raises(errors.UnexpectedResponseError) as info:
        parse_success(ADAPTER, ADAPTER.parse_number, PUT_REQUEST, 200, headers, content, ())
    error = info.value
    assert error.provider == "linq-v3"
    assert error.status == 200
    assert error.request_id == HEADER_TRACE
    assert error.message == f"PUT /v3/phone_numbers/{UUID} answered HTTP 200 but {reason}"
    assert HEADER_TRACE in str(error)


# --- errors ------------------------------------------------------------------------------


def _seed_error(status: int, code: int, message: str, doc_url: str) -> dict[str, Any]:
    # The seed bodies, key order and all; the seeds carry no trace_id.
    return {
        "error": {"status": status, "code": code, "message": message, "doc_url": doc_url},
        "success": False,
    }


SEED_ERRORS: list[tuple[int, dict[str, Any], type[errors.RoutingError], int, str, str]] = [
    (
        400,
        _seed_error(
            400,
            1002,
            "Phone number must be in E.164 format",
            "https://docs.linqapp.com/error/codes/1xxx/1002/",
        ),
        errors.ValidationError,
        1002,
        "Phone number must be in E.164 format",
        "https://docs.linqapp.com/error/codes/1xxx/1002/",
    ),
    (
        400,
        _seed_error(
            400,
            1001,
            "Missing required field: forwarding_number",
            "https://docs.linqapp.com/error/codes/1xxx/1001/",
        ),
        errors.ValidationError,
        1001,
        "Missing required field: forwarding_number",
        "https://docs.linqapp.com/error/codes/1xxx/1001/",
    ),
    (
        401,
        _seed_error(
            401,
            2004,
            "Unauthorized - missing or invalid authentication token",
            "https://docs.linqapp.com/error/codes/2xxx/2004/",
        ),
        errors.AuthenticationError,
        2004,
        "Unauthorized - missing or invalid authentication token",
        "https://docs.linqapp.com/error/codes/2xxx/2004/",
    ),
    (
        403,
        _seed_error(
            403,
            2005,
            "Access denied - insufficient permissions for this resource",
            "https://docs.linqapp.com/error/codes/2xxx/2005/",
        ),
        errors.PermissionDeniedError,
        2005,
        "Access denied - insufficient permissions for this resource",
        "https://docs.linqapp.com/error/codes/2xxx/2005/",
    ),
    (
        404,
        _seed_error(
            404, 2001, "Resource not found", "https://docs.linqapp.com/error/codes/2xxx/2001/"
        ),
        errors.NotFoundError,
        2001,
        "Resource not found",
        "https://docs.linqapp.com/error/codes/2xxx/2001/",
    ),
    (
        500,
        _seed_error(
            500, 3006, "Internal server error", "https://docs.linqapp.com/error/codes/3xxx/3006/"
        ),
        errors.ServerError,
        3006,
        "Internal server error",
        "https://docs.linqapp.com/error/codes/3xxx/3006/",
    ),
]
_SEED_IDS = ["400-1002", "400-1001", "401-2004", "403-2005", "404-2001", "500-3006"]


@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "message", "doc_url"), SEED_ERRORS, ids=_SEED_IDS
)
@pytest.mark.parametrize(
    ("trace_in_body", "trace_in_header", "expected_request_id"),
    [(True, True, TRACE), (True, False, TRACE), (False, True, HEADER_TRACE), (False, False, None)],
    ids=["both", "body-only", "header-only", "neither"],
)
def test_seed_errors(
    status: int,
    body: dict[str, Any],
    cls: type[errors.RoutingError],
    code: int,
    message: str,
    doc_url: str,
    trace_in_body: bool,
    trace_in_header: bool,
    expected_request_id: str | None,
) -> None:
    if trace_in_body:
        body = {**body, "trace_id": TRACE}
    headers = {"content-type": "application/json"}
    if trace_in_header:
        headers["X-Trace-ID"] = HEADER_TRACE
    error = error_from_response(
        ADAPTER, PUT_REQUEST, status, httpx.Headers(headers), _bytes(body), ()
    )
    assert type(error) is cls
    assert error.provider == "linq-v3"
    assert error.status == status
    assert error.code == code
    assert type(error.code) is int
    assert error.message == message
    assert error.request_id == expected_request_id
    assert error.doc_url == doc_url
    assert dict(error.details) == {}
    text = str(error)
    assert message in text
    assert doc_url in text
    if expected_request_id is not None:
        assert expected_request_id in text
    expected_field = "forwarding_number" if status == 400 else "absent"
    assert getattr(error, "field", "absent") == expected_field


def _rate_limited(retry_after: Any = 12) -> dict[str, Any]:
    error: dict[str, Any] = {
        "status": 429,
        "code": 1007,
        "message": "Rate limit exceeded",
        "doc_url": "https://docs.linqapp.com/error/codes/1xxx/1007/",
    }
    if retry_after is not None:
        error["retry_after"] = retry_after
    return {"success": False, "error": error, "trace_id": TRACE}


@pytest.mark.parametrize(
    ("body", "headers", "retry_after"),
    [
        (_rate_limited(12), {"Retry-After": "12"}, 12.0),
        (_rate_limited(12), {}, 12.0),
        (_rate_limited(1.5), {"Retry-After": "30"}, 1.5),
        (_rate_limited(None), {"Retry-After": "30"}, 30.0),
        (_rate_limited("soon"), {"Retry-After": "30"}, 30.0),
        (_rate_limited(-5), {}, 0.0),
        (_rate_limited(None), {}, None),
    ],
    ids=[
        "body-and-header",
        "body-only",
        "body-wins",
        "header-only",
        "bad-body",
        "negative",
        "none",
    ],
)
def test_429_rate_limit(
    body: dict[str, Any], headers: dict[str, str], retry_after: float | None
) -> None:
    error = error_from_response(ADAPTER, PUT_REQUEST, 429, httpx.Headers(headers), _bytes(body), ())
    assert type(error) is errors.RateLimitError
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == retry_after
    assert error.code == 1007
    assert error.message == "Rate limit exceeded"
    assert error.request_id == TRACE
    assert error.doc_url == "https://docs.linqapp.com/error/codes/1xxx/1007/"
    assert "Rate limit exceeded" in str(error)
    assert TRACE in str(error)


def test_non_integer_code_is_dropped() -> None:
    body = {
        "success": False,
        "error": {"status": 400, "code": "1002", "message": "Phone number must be in E.164 format"},
    }
    error = error_from_response(ADAPTER, PUT_REQUEST, 400, httpx.Headers({}), _bytes(body), ())
    assert isinstance(error, errors.ValidationError)
    assert error.code is None
    assert error.field is None
    assert error.message == "Phone number must be in E.164 format"


UNKNOWN_BODIES: list[tuple[str, bytes, str]] = [
    ("html", b"<html><body><h1>404 Not Found</h1></body></html>", "text/html"),
    ("empty", b"", ""),
    ("plain-text", b"no healthy upstream", "text/plain; charset=utf-8"),
    ("json-other-shape", b'{"errors": [{"code": "x"}]}', "application/json"),
    ("json-error-string", b'{"success": false, "error": "boom"}', "application/json"),
    ("json-array", b"[]", "application/json"),
    ("json-number", b"404", "application/json"),
]


@pytest.mark.parametrize(
    ("case", "content", "content_type"), UNKNOWN_BODIES, ids=[c for c, _, _ in UNKNOWN_BODIES]
)
@pytest.mark.parametrize(
    ("status", "cls"), [(404, errors.NotFoundError), (502, errors.ServerError)], ids=["404", "502"]
)
def test_unknown_error_bodies(
    case: str,
    content: bytes,
    content_type: str,
    status: int,
    cls: type[errors.RoutingError],
) -> None:
    headers = {"X-Trace-ID": HEADER_TRACE}
    if content_type:
        headers["Content-Type"] = content_type
    error = error_from_response(ADAPTER, PUT_REQUEST, status, httpx.Headers(headers), content, ())
    assert type(error) is cls
    kind = content_type.split(";")[0] if content_type else "no content type"
    assert error.message == f"PUT /v3/phone_numbers/{UUID} failed ({kind} body)"
    assert error.status == status
    assert error.code is None
    assert error.doc_url is None
    assert error.request_id == HEADER_TRACE
    assert HEADER_TRACE in str(error)
