"""The linq-v2 adapter, pure: requests built, bodies parsed, errors classified.

Reference: PROVIDERS.md § linq-v2 and seed 004 (the v2 OpenAPI excerpt).
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

PROVIDER = "linq-v2"
ADAPTER = adapter_for(PROVIDER)
BASE = "/api/partner/v2/phone_numbers"
PUT_42 = Request("PUT", f"{BASE}/42")

# Values for the fields linq-v2 cannot express (all but forwarding_number).
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

# A full PhoneNumber as the v2 docs show it: the schema's fields plus the examples' user.
FULL_NUMBER: dict[str, Any] = {
    "id": 42,
    "phone_number": "+12025551234",
    "forwarding_number": "+12025559999",
    "response_rate": 1,
    "user": {"id": 7, "name": "Ada Lovelace", "email": "ada@example.com"},
}


def _bytes(body: Any) -> bytes:
    return json.dumps(body).encode()


def _number(**fields: Any) -> PhoneNumber:
    return PhoneNumber(provider=PROVIDER, **fields)


# --- identity, auth, capabilities --------------------------------------------------------


def test_identity_and_capabilities() -> None:
    assert ADAPTER.name == "linq-v2"
    assert ADAPTER.default_base_url == "https://api.linqapp.com"
    assert ADAPTER.api_key_env == "LINQ_INTEGRATION_TOKEN"
    assert ADAPTER.request_id_header is None
    assert ADAPTER.capabilities.settable == frozenset({"forwarding_number"})
    assert ADAPTER.capabilities.clearable == frozenset({"forwarding_number"})


def test_auth_header_is_the_integration_token() -> None:
    assert ADAPTER.auth_headers("key") == {"X-LINQ-INTEGRATION-TOKEN": "key"}
    assert ADAPTER.auth_headers("sk_live_a1b2") == {"X-LINQ-INTEGRATION-TOKEN": "sk_live_a1b2"}


# --- list / get / find -------------------------------------------------------------------


def test_list_request_is_the_unpaginated_list() -> None:
    assert ADAPTER.list_request() == Request("GET", BASE, params=None, json=None)


def test_find_request_is_the_plain_list() -> None:
    assert ADAPTER.find_request("+12025551234") == Request("GET", BASE)


def test_there_is_no_get_endpoint() -> None:
    assert ADAPTER.get_request("42") is None


# --- ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("42", "42"),
        ("0", "0"),
        ("007", "7"),
        ("9223372036854775807", "9223372036854775807"),
    ],
)
def test_valid_ids(given: object, expected: str) -> None:
    assert ADAPTER.normalize_id(given) == expected


@pytest.mark.parametrize(
    "given",
    [
        "../x",
        "1/2",
        "42/",
        "",
        None,
        True,
        False,
        -1,
        42,  # ids are strings on every provider, linq-v2's integer ids too
        "-1",
        "+42",
        " 42",
        "42 ",
        "4 2",
        "42\n",
        "١٢",  # Arabic-Indic digits: str.isdigit() says yes, Linq says no
        "\uff14\uff12",  # fullwidth digits
        "1.5",
        1.5,
        "0x2a",
        "abc",
        "550e8400-e29b-41d4-a716-446655440000",
        "12345678901234567890",  # 20 digits: beyond a 64-bit id
        10**19,
        b"42",
        [42],
    ],
)
def test_malformed_ids_are_refused(given: object) -> None:
    with pytest.raises(errors.ValidationError) as info:
        ADAPTER.normalize_id(given)
    assert info.value.field == "number_id"
    assert info.value.provider == "linq-v2"
    assert info.value.status is None


@pytest.mark.parametrize(
    "given",
    [2**63, "9223372036854775808", "9999999999999999999"],
    ids=["int-2**63", "str-2**63", "nineteen-nines"],
)
def test_ids_beyond_a_signed_64_bit_integer_are_refused(given: object) -> None:
    # linq_v2.py says its 19-digit pattern "bounds them to a signed 64-bit integer",
    # but 19 digits reach 9999999999999999999 > 2**63 - 1 = 9223372036854775807.
    with pytest.raises(errors.ValidationError) as info:
        ADAPTER.normalize_id(given)
    assert info.value.field == "number_id"
    assert info.value.provider == "linq-v2"


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
            pr.RoutingUpdate(forwarding_number="+44 20 7946 0958"),
            {"forwarding_number": "+442079460958"},
        ),
        (pr.RoutingUpdate(forwarding_number=None), {"forwarding_number": ""}),
        (pr.RoutingUpdate(forwarding_number=pr.CLEAR), {"forwarding_number": ""}),
        (pr.RoutingUpdate(forwarding_number=""), {"forwarding_number": ""}),
    ],
    ids=["set", "set-human-form", "set-uk", "clear-none", "clear-CLEAR", "clear-empty-string"],
)
def test_update_is_one_put_of_forwarding_number(
    update: pr.RoutingUpdate, expected_body: dict[str, str]
) -> None:
    assert ADAPTER.update_requests("42", update) == [
        Request("PUT", f"{BASE}/42", params=None, json=expected_body)
    ]


@pytest.mark.parametrize(
    "update",
    [pr.RoutingUpdate(), pr.RoutingUpdate(forwarding_number=pr.UNSET)],
    ids=["default", "explicit-UNSET"],
)
def test_all_unset_update_writes_nothing(update: pr.RoutingUpdate) -> None:
    assert ADAPTER.update_requests("42", update) == []


def test_update_path_uses_the_id_given() -> None:
    (request,) = ADAPTER.update_requests("9001", pr.RoutingUpdate(forwarding_number=None))
    assert request.path == "/api/partner/v2/phone_numbers/9001"


@pytest.mark.parametrize("field", sorted(UNSUPPORTED_VALUES))
@pytest.mark.parametrize("mode", ["set", "clear"])
def test_unsupported_fields_are_refused(field: str, mode: str) -> None:
    value = UNSUPPORTED_VALUES[field] if mode == "set" else None
    update = pr.RoutingUpdate(**{field: value})
    with pytest.raises(errors.UnsupportedFieldError) as info:
        ADAPTER.update_requests("42", update)
    assert info.value.field == field
    assert info.value.provider == "linq-v2"
    assert info.value.status is None
    assert str(info.value).startswith("linq-v2: ")


@pytest.mark.parametrize("field", sorted(UNSUPPORTED_VALUES))
def test_unsupported_field_refuses_the_whole_update(field: str) -> None:
    # A supported change alongside does not get half-sent: nothing is built at all.
    update = pr.RoutingUpdate(
        forwarding_number="+12025559999", **{field: UNSUPPORTED_VALUES[field]}
    )
    with pytest.raises(errors.UnsupportedFieldError) as info:
        ADAPTER.update_requests("42", update)
    assert info.value.field == field


def test_unsupported_values_cover_every_other_field() -> None:
    assert set(UNSUPPORTED_VALUES) == set(ROUTING_FIELDS) - {"forwarding_number"}


# --- parsing -----------------------------------------------------------------------------


def test_parse_full_number(thaw: Callable[[Any], Any]) -> None:
    number = ADAPTER.parse_number(FULL_NUMBER)
    assert number == _number(id="42", number="+12025551234", forwarding_number="+12025559999")
    assert number.routing() == {
        "forwarding_number": "+12025559999",
        "inbound_url": None,
        "status_url": None,
        "label": None,
        "campaign_id": None,
        "voicemail_greeting_url": None,
        "ring_duration": None,
        "participants": None,
        "external_numbers": None,
        "press_1_to_accept": None,
        **dict.fromkeys(NEW_FIELD_VALUES),
    }
    assert number.sms_enabled is None
    assert number.mms_enabled is None
    assert number.created_at is None
    assert number.updated_at is None
    assert thaw(number.raw) == FULL_NUMBER


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"id": 42, "phone_number": "+12025551234", "forwarding_number": None},
            _number(id="42", number="+12025551234"),
        ),
        (
            {"id": 42, "phone_number": "+12025551234", "forwarding_number": ""},
            _number(id="42", number="+12025551234"),
        ),
        ({"id": 42, "phone_number": "+12025551234"}, _number(id="42", number="+12025551234")),
        (
            {"id": "42", "phone_number": "+12025551234", "forwarding_number": "+12025559999"},
            _number(id="42", number="+12025551234", forwarding_number="+12025559999"),
        ),
        (
            {"id": 0, "phone_number": "+1 (202) 555-1234", "forwarding_number": "+1 202-555-9999"},
            _number(id="0", number="+12025551234", forwarding_number="+12025559999"),
        ),
    ],
    ids=["null-forwarding", "empty-forwarding", "absent-forwarding", "string-id", "human-forms"],
)
def test_parse_number_variants(body: dict[str, Any], expected: PhoneNumber) -> None:
    assert ADAPTER.parse_number(body) == expected


def test_raw_is_read_only_all_the_way_down() -> None:
    number = ADAPTER.parse_number(FULL_NUMBER)
    with pytest.raises(TypeError):
        number.raw["forwarding_number"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        number.raw["user"]["name"] = "Mallory"
    # The adapter kept a copy: the caller's dict is untouched and unshared.
    assert FULL_NUMBER["user"]["name"] == "Ada Lovelace"


def test_parse_list() -> None:
    second = {"id": 43, "phone_number": "+12025551235", "forwarding_number": None}
    page = ADAPTER.parse_list({"phone_numbers": [FULL_NUMBER, second]}, ADAPTER.list_request())
    assert page == Page(
        [
            _number(id="42", number="+12025551234", forwarding_number="+12025559999"),
            _number(id="43", number="+12025551235"),
        ],
        next_request=None,
    )
    assert [n.raw["id"] for n in page.numbers] == [42, 43]


def test_parse_empty_list() -> None:
    assert ADAPTER.parse_list({"phone_numbers": []}, ADAPTER.list_request()) == Page([], None)


_GOOD = {"id": 42, "phone_number": "+12025551234", "forwarding_number": None}

MALFORMED_NUMBERS: list[tuple[str, Any]] = [
    ("not-an-object", [_GOOD]),
    ("null", None),
    ("string", "42"),
    ("id-missing", {"phone_number": "+12025551234"}),
    ("id-null", {**_GOOD, "id": None}),
    ("id-with-slash", {**_GOOD, "id": "4/2"}),
    ("id-dot-dot", {**_GOOD, "id": "../42"}),
    ("id-negative", {**_GOOD, "id": -42}),
    ("id-bool", {**_GOOD, "id": True}),
    ("id-float", {**_GOOD, "id": 42.0}),
    ("id-empty", {**_GOOD, "id": ""}),
    ("id-uuid", {**_GOOD, "id": "550e8400-e29b-41d4-a716-446655440000"}),
    ("phone-missing", {"id": 42}),
    ("phone-empty", {**_GOOD, "phone_number": ""}),
    ("phone-int", {**_GOOD, "phone_number": 12025551234}),
    ("forwarding-int", {**_GOOD, "forwarding_number": 12025559999}),
    ("forwarding-list", {**_GOOD, "forwarding_number": ["+12025559999"]}),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED_NUMBERS, ids=[c for c, _ in MALFORMED_NUMBERS])
def test_malformed_number_is_a_shape_error(case: str, body: Any) -> None:
    with pytest.raises(wire.ShapeError):
        ADAPTER.parse_number(body)


MALFORMED_LISTS: list[tuple[str, Any]] = [
    ("array", [_GOOD]),
    ("key-missing", {"numbers": [_GOOD]}),
    ("key-null", {"phone_numbers": None}),
    ("key-object", {"phone_numbers": {"42": _GOOD}}),
    ("item-not-object", {"phone_numbers": [42]}),
    ("item-bad-id", {"phone_numbers": [_GOOD, {**_GOOD, "id": "1/2"}]}),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED_LISTS, ids=[c for c, _ in MALFORMED_LISTS])
def test_malformed_list_is_a_shape_error(case: str, body: Any) -> None:
    with pytest.raises(wire.ShapeError):
        ADAPTER.parse_list(body, ADAPTER.list_request())


def test_parse_success_returns_the_parsed_number() -> None:
    number = parse_success(
        ADAPTER, ADAPTER.parse_number, PUT_42, 200, httpx.Headers({}), _bytes(FULL_NUMBER), ()
    )
    assert number == _number(id="42", number="+12025551234", forwarding_number="+12025559999")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (_bytes({**_GOOD, "id": "4/2"}), "'id' is missing or not a valid id"),
        (_bytes({"phone_number": "+12025551234"}), "'id' is missing or not a valid id"),
        (
            _bytes({**_GOOD, "phone_number": 5}),
            "'phone_number' is missing or not a non-empty string",
        ),
        (_bytes([]), "a phone number is not a JSON object"),
        (b"<html><body>Gateway</body></html>", "the body is not valid JSON"),
        (b"", "the body is not valid JSON"),
        (b"\x80\x81\xfe{}", "the body is not valid JSON"),
        (b'{"id": 42, "phone_number": "+1202555\xff1234"}', "the body is not valid JSON"),
    ],
    ids=["slash-id", "no-id", "int-phone", "array", "html", "empty", "not-utf8", "utf8-broken"],
)
def test_malformed_success_is_unexpected_response(content: bytes, reason: str) -> None:
    with pytest.raises(errors.UnexpectedResponseError) as info:
        parse_success(ADAPTER, ADAPTER.parse_number, PUT_42, 200, httpx.Headers({}), content, ())
    error = info.value
    assert error.provider == "linq-v2"
    assert error.status == 200
    assert error.request_id is None
    assert error.code is None
    assert error.message == f"PUT /api/partner/v2/phone_numbers/42 answered HTTP 200 but {reason}"


def test_malformed_list_through_parse_success() -> None:
    request = ADAPTER.list_request()
    with pytest.raises(errors.UnexpectedResponseError) as info:
        parse_success(
            ADAPTER,
            lambda data: ADAPTER.parse_list(data, request),
            request,
            200,
            httpx.Headers({}),
            _bytes({"phone_numbers": "none"}),
            (),
        )
    assert info.value.message == (
        "GET /api/partner/v2/phone_numbers answered HTTP 200 but "
        "'phone_numbers' is missing or not an array"
    )


# --- errors ------------------------------------------------------------------------------

ERROR_CASES: list[tuple[int, dict[str, Any], type[errors.RoutingError], str, str]] = [
    (
        401,
        {
            "errors": [
                {
                    "status": 401,
                    "code": "unauthorized",
                    "title": "Unauthorized",
                    "detail": "Invalid or missing integration token",
                }
            ]
        },
        errors.AuthenticationError,
        "unauthorized",
        "Unauthorized: Invalid or missing integration token",
    ),
    (
        403,
        {
            "errors": [
                {
                    "status": 403,
                    "code": "forbidden",
                    "title": "Forbidden",
                    "detail": "Phone number doesn't belong to your organization",
                }
            ]
        },
        errors.PermissionDeniedError,
        "forbidden",
        "Forbidden: Phone number doesn't belong to your organization",
    ),
    (
        404,
        {
            "errors": [
                {
                    "status": 404,
                    "code": "not_found",
                    "title": "Not Found",
                    "detail": "Phone number 42 not found",
                }
            ]
        },
        errors.NotFoundError,
        "not_found",
        "Not Found: Phone number 42 not found",
    ),
    (
        422,
        {
            "errors": [
                {
                    "status": 422,
                    "code": "unprocessable_entity",
                    "title": "Unprocessable Entity",
                    "detail": "Invalid forwarding number",
                }
            ]
        },
        errors.ValidationError,
        "unprocessable_entity",
        "Unprocessable Entity: Invalid forwarding number",
    ),
]


@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "message"), ERROR_CASES, ids=[str(c[0]) for c in ERROR_CASES]
)
def test_documented_errors(
    status: int,
    body: dict[str, Any],
    cls: type[errors.RoutingError],
    code: str,
    message: str,
) -> None:
    headers = httpx.Headers({"content-type": "application/json"})
    error = error_from_response(ADAPTER, PUT_42, status, headers, _bytes(body), ())
    assert type(error) is cls
    assert error.provider == "linq-v2"
    assert error.status == status
    assert error.code == code
    assert error.message == message
    assert error.request_id is None
    assert error.doc_url is None
    assert dict(error.details) == {}
    assert message in str(error)
    assert getattr(error, "field", "absent") == ("forwarding_number" if status == 422 else "absent")


def test_400_names_the_forwarding_number_too() -> None:
    body = {"errors": [{"status": 400, "code": "bad_request", "title": "Bad Request"}]}
    error = error_from_response(ADAPTER, PUT_42, 400, httpx.Headers({}), _bytes(body), ())
    assert isinstance(error, errors.ValidationError)
    assert type(error) is errors.ValidationError
    assert error.field == "forwarding_number"
    assert error.code == "bad_request"
    assert error.message == "Bad Request"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"title": "Forbidden"}, "Forbidden"),
        (
            {"detail": "Phone number doesn't belong to your organization"},
            "Phone number doesn't belong to your organization",
        ),
        ({"title": "Forbidden", "detail": ""}, "Forbidden"),
    ],
    ids=["title-only", "detail-only", "empty-detail"],
)
def test_error_message_from_title_and_detail(entry: dict[str, str], message: str) -> None:
    body = {"errors": [{"status": 403, "code": "forbidden", **entry}]}
    error = error_from_response(ADAPTER, PUT_42, 403, httpx.Headers({}), _bytes(body), ())
    assert type(error) is errors.PermissionDeniedError
    assert error.message == message
    assert error.code == "forbidden"


def test_only_the_first_error_entry_counts() -> None:
    body = {
        "errors": [
            {"status": 422, "code": "invalid", "title": "Invalid", "detail": "first"},
            {"status": 422, "code": "other", "title": "Other", "detail": "second"},
        ]
    }
    error = error_from_response(ADAPTER, PUT_42, 422, httpx.Headers({}), _bytes(body), ())
    assert error.code == "invalid"
    assert error.message == "Invalid: first"


def test_non_string_code_is_dropped() -> None:
    body = {"errors": [{"status": 422, "code": 422, "title": "Unprocessable Entity"}]}
    error = error_from_response(ADAPTER, PUT_42, 422, httpx.Headers({}), _bytes(body), ())
    assert error.code is None
    assert error.message == "Unprocessable Entity"


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [({"Retry-After": "3"}, 3.0), ({"retry-after": "0"}, 0.0), ({}, None)],
    ids=["retry-after", "retry-after-zero", "no-header"],
)
def test_429_rate_limit(headers: dict[str, str], retry_after: float | None) -> None:
    body = {"errors": [{"status": 429, "code": "rate_limited", "title": "Too Many Requests"}]}
    error = error_from_response(ADAPTER, PUT_42, 429, httpx.Headers(headers), _bytes(body), ())
    assert isinstance(error, errors.RateLimitError)
    assert error.retry_after == retry_after
    assert error.code == "rate_limited"
    assert error.message == "Too Many Requests"


UNKNOWN_BODIES: list[tuple[str, bytes, str]] = [
    ("html", b"<html><body><h1>Not Found</h1></body></html>", "text/html; charset=utf-8"),
    ("empty", b"", ""),
    ("plain-text", b"upstream connect error", "text/plain"),
    ("json-other-shape", b'{"error": "nope"}', "application/json"),
    ("json-empty-errors", b'{"errors": []}', "application/json"),
    ("json-string-errors", b'{"errors": ["nope"]}', "application/json"),
    ("json-array", b"[1, 2]", "application/json"),
    ("json-null", b"null", "application/json"),
    ("not-utf8", b"\xff\xfe\x00garbage", "application/octet-stream"),
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
    headers = httpx.Headers({"content-type": content_type} if content_type else {})
    error = error_from_response(ADAPTER, PUT_42, status, headers, content, ())
    assert type(error) is cls
    kind = content_type.split(";")[0] if content_type else "no content type"
    assert error.message == (f"PUT /api/partner/v2/phone_numbers/42 failed ({kind} body)")
    assert error.status == status
    assert error.code is None
    assert error.request_id is None
    assert f"HTTP {status}" in str(error)
