"""Hostile vendor responses: bodies crafted per provider with missing fields, wrong
types, extra fields, huge sizes, bad encodings, non-objects and ids holding path
characters.

The contract: a success body that is not the vendor's documented shape raises
UnexpectedResponseError (never KeyError, TypeError, ValueError, RecursionError...);
extra fields are tolerated and kept in ``raw``; no request path is ever built from a
vendor value that was not validated.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import phonerouting as pr
from phonerouting import migration
from phonerouting.registry import adapter_for
from tests.profiles import PROFILES, need
from tests.reliability.helpers import (
    MODES,
    PROVIDERS,
    UPDATE,
    assert_routing_error,
    attempt,
    close,
)

pytestmark = pytest.mark.timeout(30)

V3_ID = "550e8400-e29b-41d4-a716-446655440000"
CLOSE_ID = "phon_" + "a" * 43


def _wire(provider: str) -> Any:
    """The profile of ``provider``, which must describe its wire shapes."""
    need(provider, "wire_item")
    need(provider, "wire_id")
    need(provider, "wire_list")
    return PROFILES[provider]


#: A complete number of each provider as its API sends it (its profile's wire_item).
ITEM: dict[str, dict[str, Any]] = {p: dict(_wire(p).wire_item) for p in PROVIDERS}
#: Its id as the library reads it.
ID = {p: _wire(p).wire_id for p in PROVIDERS}
NUMBER_KEY = {p: _wire(p).wire_number_key for p in PROVIDERS}
ROUTE_KEY = {p: _wire(p).wire_route_key for p in PROVIDERS}
ID_KEY = {p: _wire(p).wire_id_key for p in PROVIDERS}
#: The last segment of every provider's list path: a GET there is a listing.
LIST_ENDINGS = tuple({prof.list_path.rstrip("/").rsplit("/", 1)[-1] for prof in PROFILES.values()})
#: The listings of a number's parts (Telnyx's voice settings, listed beside the numbers):
#: listings too, answered with the same items.
LIST_ENDINGS += tuple(
    {
        listing.path
        for p in PROVIDERS
        for part in adapter_for(p).parts
        if (listing := adapter_for(p).part_listing(adapter_for(p).list_request(), part))
    }
)
HOSTILE_IDS = [
    "../x",
    "..",
    "1/2",
    "%2e%2e",
    "%2F",
    "1001/../1002",
    "phon_../x",
    "phon_abc/../../x",
    CLOSE_ID + "/",
    V3_ID + "/../x",
    V3_ID + "?admin=1",
    V3_ID + "#x",
    V3_ID + "\n",
    " " + V3_ID,
    "1001\n",
    "-1",
    "",
]


def list_body(provider: str, items: Any) -> Any:
    return _wire(provider).wire_list(items)


def item_body(provider: str, item: Any) -> Any:
    return _wire(provider).wire_single(item)


def encode(value: Any) -> bytes:
    return value if isinstance(value, bytes) else json.dumps(value).encode()


class Vendor:
    """A MockTransport handler answering lists with ``listing`` and single-number
    requests (get, update) with ``single``; records every request."""

    def __init__(self, listing: Any, single: Any, status: int = 200) -> None:
        self.listing = encode(listing)
        self.single = encode(single)
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        is_list = request.method == "GET" and path.rstrip("/").endswith(LIST_ENDINGS)
        body = self.listing if is_list else self.single
        return httpx.Response(
            self.status, content=body, headers={"Content-Type": "application/json"}
        )


def client(provider: str, vendor: Vendor, mode: str = "sync", **options: Any) -> Any:
    options.setdefault("max_retries", 0)
    key = PROFILES[provider].credentials(None, "k")
    factory = pr.connect if mode == "sync" else pr.connect_async
    return factory(provider, **key, transport=httpx.MockTransport(vendor), **options)


def run_all(provider: str, vendor: Vendor, mode: str = "sync") -> list[tuple[str, Any, Any]]:
    """list, get and update against ``vendor``: (operation, result, error) each."""

    async def main() -> list[tuple[str, Any, Any]]:
        c = client(provider, vendor, mode)
        outcomes = []
        try:
            for method, args in (
                ("list_numbers", ()),
                ("get_number", (ID[provider],)),
                ("update_routing", (ID[provider], UPDATE[provider])),
            ):
                result, error = await attempt(c, method, *args)
                outcomes.append((method, result, error))
        finally:
            await close(c)
        return outcomes

    return asyncio.run(main())


def assert_unexpected(outcomes: list[tuple[str, Any, Any]], status: int = 200) -> None:
    for method, result, error in outcomes:
        assert error is not None, f"{method} accepted a hostile body: {result!r}"
        caught = assert_routing_error(error)
        assert type(caught) is pr.UnexpectedResponseError, f"{method}: {caught!r}"
        assert caught.status == status


def assert_tolerated(outcomes: list[tuple[str, Any, Any]]) -> list[pr.PhoneNumber]:
    numbers = []
    for method, result, error in outcomes:
        assert error is None, f"{method}: {error!r}"
        numbers.append(result[0] if isinstance(result, list) else result)
    return numbers


class Replace:
    """Returned by a change that replaces the whole item."""

    def __init__(self, value: Any) -> None:
        self.value = value


def with_item(provider: str, change: Callable[[dict[str, Any]], Any]) -> Vendor:
    """A vendor whose every number is the standard item after ``change``."""
    item: Any = copy.deepcopy(ITEM[provider])
    changed = change(item)
    if isinstance(changed, Replace):
        item = changed.value
    return Vendor(list_body(provider, [item]), item_body(provider, item))


def path_of(request: httpx.Request) -> str:
    """The request's path as sent on the wire (still percent-encoded), without query."""
    return request.url.raw_path.split(b"?")[0].decode("ascii")


def set_key(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item[key] = value

    return change


def drop_key(key: str) -> Callable[[dict[str, Any]], None]:
    def change(item: dict[str, Any]) -> None:
        item.pop(key, None)

    return change


# ------------------------------------------------------------------ the standard item parses


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_standard_bodies_parse(provider: str, mode: str) -> None:
    numbers = assert_tolerated(run_all(provider, with_item(provider, lambda _: None), mode))
    assert {n.id for n in numbers} == {ID[provider]}
    assert {n.number for n in numbers} == {"+12025550142"}


# ------------------------------------------------------------------ extra fields are tolerated


@pytest.mark.parametrize("provider", PROVIDERS)
def test_extra_fields_parse_and_stay_in_raw(provider: str) -> None:
    extra = {
        "brand_new": {"nested": [1, 2, {"deeper": None}], "flag": True},
        "id_v4": "../not-an-id-we-use",
        "number_e164_v2": ["+1", 2],
        "\u00e9\u00e8": "unicode key",
    }

    def change(item: dict[str, Any]) -> None:
        item.update(extra)

    vendor = with_item(provider, change)
    envelope = json.loads(vendor.listing)
    envelope["also_new_at_the_top"] = {"x": 1}
    vendor.listing = encode(envelope)
    for number in assert_tolerated(run_all(provider, vendor)):
        assert number.raw["id_v4"] == "../not-an-id-we-use"
        assert dict(number.raw["brand_new"])["flag"] is True
        assert number.raw["brand_new"]["nested"][2]["deeper"] is None
        assert number.raw["number_e164_v2"] == ("+1", 2)
        assert number.raw["\u00e9\u00e8"] == "unicode key"
        with pytest.raises(TypeError):
            number.raw["brand_new"]["flag"] = False  # type: ignore[index]
    assert all(".." not in path_of(r) for r in vendor.requests)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_absent_and_null_optional_fields_are_tolerated(provider: str) -> None:
    number_key, id_key = NUMBER_KEY[provider], ID_KEY[provider]
    optional = [k for k in ITEM[provider] if k not in (id_key, number_key)]
    bare = with_item(
        provider, lambda item: Replace({id_key: item[id_key], number_key: "+1202555014"})
    )
    numbers = assert_tolerated(run_all(provider, bare))
    assert all(n.forwarding_number is None and n.label is None for n in numbers)
    nulls = with_item(provider, lambda item: item.update(dict.fromkeys(optional)))
    assert_tolerated(run_all(provider, nulls))


# ------------------------------------------------------------------ missing and wrong types


def item_mutations(provider: str) -> list[tuple[str, Callable[[dict[str, Any]], Any]]]:
    number_key, route_key, id_key = NUMBER_KEY[provider], ROUTE_KEY[provider], ID_KEY[provider]
    cases: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
        ("missing id", drop_key(id_key)),
        ("id null", set_key(id_key, None)),
        ("id as list", set_key(id_key, [ID[provider]])),
        ("id as dict", set_key(id_key, {"id": ID[provider]})),
        ("id as bool", set_key(id_key, True)),
        ("id as float", set_key(id_key, 1001.0)),
        ("missing number", drop_key(number_key)),
        ("number as int", set_key(number_key, 12025550142)),
        ("number as list", set_key(number_key, ["+12025550142"])),
        ("number null", set_key(number_key, None)),
        ("number empty", set_key(number_key, "")),
        (f"{route_key} as dict", set_key(route_key, {"number": "+12025559999"})),
        (f"{route_key} as list", set_key(route_key, ["+12025559999"])),
        (f"{route_key} as int", set_key(route_key, 12025559999)),
        (f"{route_key} as bool", set_key(route_key, True)),
        ("item is a list", lambda item: Replace([item])),
        ("item is a string", lambda item: Replace(json.dumps(item))),
        ("item is null", lambda item: Replace(None)),
        ("item is a number", lambda item: Replace(1001)),
    ]
    # The vendor's own fields, of the wrong type.
    cases += [
        (what, set_key(key, value)) for what, key, value in PROFILES[provider].wire_bad_fields
    ]
    return cases


@pytest.mark.parametrize("provider", PROVIDERS)
def test_missing_fields_and_wrong_types_are_unexpected(provider: str) -> None:
    problems = []
    for name, change in item_mutations(provider):
        try:
            assert_unexpected(run_all(provider, with_item(provider, change)))
        except AssertionError as failure:
            problems.append(f"{name}: {str(failure).splitlines()[0]}")
    assert problems == [], "\n".join(problems)


def envelope_mutations(provider: str) -> list[tuple[str, Any]]:
    bad: Callable[[Any], list[tuple[str, Any]]] = need(provider, "wire_bad_envelopes")
    return bad(ITEM[provider])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_list_envelopes_of_the_wrong_shape_are_unexpected(provider: str) -> None:
    problems = []
    for name, body in envelope_mutations(provider):
        vendor = Vendor(body, item_body(provider, ITEM[provider]))
        outcomes = run_all(provider, vendor)
        listings = [o for o in outcomes if o[0] == "list_numbers"]
        if not adapter_for(provider).reads_one_number:  # get = list and filter
            listings += [o for o in outcomes if o[0] == "get_number"]
        try:
            assert_unexpected(listings)
        except AssertionError as failure:
            problems.append(f"{name}: {str(failure).splitlines()[0]}")
    assert problems == [], "\n".join(problems)


BAD_BODIES = [
    ("empty", b""),
    ("a list", b"[]"),
    ("a string", b'"ok"'),
    ("a number", b"1"),
    ("null", b"null"),
    ("true", b"true"),
    ("truncated", b'{"phone_numbers": [{"id": '),
    ("an HTML page", b"<html><body>OK</body></html>"),
    ("not UTF-8", b'{"phone_numbers": [], "data": [], "x": "\xff\xfe"}'),
    ("latin-1 garbage", b"\xff\xfe\x00\x00garbage"),
    ("NaN", b'{"phone_numbers": NaN, "data": NaN, "has_more": NaN}'),
    ("a BOM then garbage", b"\xef\xbb\xbf{garbage"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(("name", "body"), BAD_BODIES, ids=[n for n, _ in BAD_BODIES])
def test_bodies_that_are_not_objects_or_not_json_are_unexpected(
    provider: str, mode: str, name: str, body: bytes
) -> None:
    del name
    assert_unexpected(run_all(provider, Vendor(body, body), mode))


# ------------------------------------------------------------------ ids holding path characters


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_ids_holding_path_characters_are_unexpected_and_never_sent(
    provider: str, hostile: str
) -> None:
    good = copy.deepcopy(ITEM[provider])
    bad = {**copy.deepcopy(ITEM[provider]), ID_KEY[provider]: hostile, ROUTE_KEY[provider]: None}
    vendor = Vendor(list_body(provider, [good, bad]), item_body(provider, bad))
    outcomes = run_all(provider, vendor)
    assert_unexpected(outcomes)

    async def more() -> None:
        c = client(provider, vendor, "async")
        try:
            # Every way a caller could reach a number after that listing.
            for method, args in (
                ("find_number", ("+12025550142",)),
                ("get_number", (ID[provider],)),
            ):
                _, error = await attempt(c, method, *args)
                assert type(error) is pr.UnexpectedResponseError
        finally:
            await close(c)

    asyncio.run(more())
    for path in map(path_of, vendor.requests):
        assert not hostile or hostile not in path.split("/")
        assert ".." not in path
        assert "%" not in path
        assert "#" not in path


@pytest.mark.parametrize("provider", ["linq-v2", "linq-v3"])
async def test_a_migration_never_writes_to_a_hostile_id(provider: str) -> None:
    source_item = {**ITEM[provider], "forwarding_number": "+12025559999"}
    target_item = {**ITEM["linq-v3"], "id": "../../v3/admin", "forwarding_number": None}
    source = Vendor(list_body(provider, [source_item]), source_item)
    target = Vendor(list_body("linq-v3", [target_item]), target_item)
    async with (
        pr.connect_async(provider, api_key="k", transport=httpx.MockTransport(source)) as src,
        pr.connect_async("linq-v3", api_key="k", transport=httpx.MockTransport(target)) as dst,
    ):
        with pytest.raises(pr.UnexpectedResponseError):
            await migration.plan(src, dst)
    assert [r.method for r in target.requests] == ["GET"]


@pytest.mark.parametrize("mode", MODES)
def test_an_update_answering_another_id_is_unexpected(mode: str) -> None:
    hostile = {**ITEM["linq-v3"], "id": V3_ID + "/../../admin"}
    vendor = Vendor(list_body("linq-v3", [ITEM["linq-v3"]]), hostile)
    outcomes = run_all("linq-v3", vendor, mode)
    assert outcomes[0][2] is None
    assert outcomes[1][2] is None
    assert type(outcomes[2][2]) is pr.UnexpectedResponseError
    assert [r.method for r in vendor.requests] == ["GET", "GET", "PUT"]


@pytest.mark.parametrize("mode", MODES)
def test_a_hostile_cursor_only_ever_travels_as_a_query_value(mode: str) -> None:
    cursor = "../../v1/admin?limit=100000&x=1#frag /%2e%2e"
    first = list_body("agentmessage", [ITEM["agentmessage"]])
    first["meta"]["next_cursor"] = cursor
    second_item = {**ITEM["agentmessage"], "id": V3_ID.replace("5", "6")}
    pages = [encode(first), encode(list_body("agentmessage", [second_item]))]
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, content=pages[len(requests) - 1])

    async def main() -> list[pr.PhoneNumber]:
        factory = pr.connect if mode == "sync" else pr.connect_async
        c = factory("agentmessage", api_key="k", transport=httpx.MockTransport(handler))
        try:
            numbers, error = await attempt(c, "list_numbers")
        finally:
            await close(c)
        assert error is None, error
        return list(numbers)

    numbers = asyncio.run(main())
    assert len(numbers) == 2
    assert [r.url.path for r in requests] == ["/v1/phone-numbers"] * 2
    assert dict(requests[1].url.params) == {"limit": "100", "cursor": cursor}


@pytest.mark.parametrize("provider", ["agentmessage", "close"])
def test_a_vendor_repeating_its_page_is_stopped(provider: str) -> None:
    if provider == "agentmessage":
        body = list_body(provider, [ITEM[provider]])
        body["meta"]["next_cursor"] = "same-cursor"
    else:
        body = {"data": [], "has_more": True}
    vendor = Vendor(body, item_body(provider, ITEM[provider]))
    # Stopped by the request count below, not by a clock.
    outcomes = run_all(provider, vendor)
    assert type(outcomes[0][2]) is pr.UnexpectedResponseError
    assert len([r for r in vendor.requests if r.method == "GET"]) <= 4


# ------------------------------------------------------------------ huge bodies


def _items(provider: str, size: int) -> list[dict[str, Any]]:
    one = len(json.dumps(ITEM[provider]))
    item_id: Callable[[int], Any] = need(provider, "wire_item_id")
    items = []
    for index in range(size // one + 1):
        item = dict(ITEM[provider])
        item[ID_KEY[provider]] = item_id(index)
        items.append(item)
    return items


# "Quickly" is the bound, not an assertion on a timing: a loaded machine must not fail it
# while a quadratic parse (minutes on 5 MB) still does.
@pytest.mark.timeout(90)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_five_megabytes_of_list_items_parse_quickly(provider: str) -> None:
    items = _items(provider, 5_000_000)
    vendor = Vendor(list_body(provider, items), item_body(provider, ITEM[provider]))
    assert len(vendor.listing) >= 5_000_000
    key = PROFILES[provider].credentials(None, "k")
    with pr.connect(provider, **key, transport=httpx.MockTransport(vendor)) as c:
        try:
            count = sum(1 for _ in c.list_numbers())
        except pr.UnexpectedResponseError:
            count = -1
    assert count in (len(items), -1)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_five_megabyte_field_parses_or_is_unexpected(provider: str) -> None:
    huge = "x" * 5_000_000
    for key in ("extra_blob", ROUTE_KEY[provider], NUMBER_KEY[provider]):
        for method, _, error in run_all(provider, with_item(provider, set_key(key, huge))):
            if error is not None:
                assert type(assert_routing_error(error)) is pr.UnexpectedResponseError, method


def test_huge_error_bodies_give_bounded_errors() -> None:
    # A proxy's error page can be megabytes and errors end up in logs: the message,
    # code, request id, doc_url and details an error quotes are all bounded.
    blob = "y" * 1_000_000
    bodies = {
        "linq-v2": {"errors": [{"status": 422, "code": blob, "title": blob, "detail": blob}]},
        "linq-v3": {
            "success": False,
            "error": {"status": 400, "code": 1002, "message": blob, "doc_url": blob},
            "trace_id": blob,
        },
        "agentmessage": {
            "success": False,
            "error": {
                "code": blob,
                "message": blob,
                "request_id": blob,
                "details": {"label": blob, blob[:1000]: "x"},
            },
        },
        "close": {"errors": [blob], "field-errors": {"label": blob, blob[:1000]: blob}},
    }
    problems = []
    for provider, body in bodies.items():
        for method, _, error in run_all(provider, Vendor(body, body, status=422)):
            caught = assert_routing_error(error)
            assert type(caught) is pr.ValidationError, method
            if len(str(caught)) > 5_000 or len(repr(caught)) > 5_000:
                problems.append(f"{provider} {method}: str(error) is {len(str(caught))} long")
    assert problems == [], "\n".join(problems)


def test_a_huge_field_name_in_the_details_is_bounded() -> None:
    # A single detail names the field at fault; a hostile one must not make
    # error.field (or anything quoting it) megabytes long.
    name = "f" * 1_000_000
    bodies = {
        "agentmessage": {
            "success": False,
            "error": {"code": "VALIDATION_FAILED", "message": "bad", "details": {name: "x"}},
        },
        "close": {"errors": [], "field-errors": {name: "bad"}},
    }
    for provider, body in bodies.items():
        for method, _, error in run_all(provider, Vendor(body, body, status=422)):
            caught = assert_routing_error(error)
            assert type(caught) is pr.ValidationError, method
            assert caught.field == "f" * 200 + "…", (provider, method)
            assert len(str(caught)) < 2_000, (provider, method)


# ------------------------------------------------------------------ parser limits


@pytest.mark.parametrize("status", [200, 500])
def test_deeply_nested_json_is_not_a_recursion_error(status: int) -> None:
    # json.loads raises RecursionError on JSON nested this deep; it must become the
    # status's typed error, not escape the public API.
    body = b"[" * 100_000 + b"]" * 100_000
    expected = pr.UnexpectedResponseError if status == 200 else pr.ServerError
    problems = []
    for provider in PROVIDERS:
        for method, _, error in run_all(provider, Vendor(body, body, status=status)):
            if type(error) is not expected:
                problems.append(f"{provider} {method}: {type(error).__name__}")
    assert problems == [], "\n".join(problems)


def test_a_deeply_nested_extra_field_is_tolerated() -> None:
    # json.loads accepts 600 levels, which freezing `raw` (two frames per level) cannot
    # follow: tolerated or UnexpectedResponseError, never a RecursionError.
    nested = "[" * 600 + "]" * 600
    problems = []
    for provider in PROVIDERS:
        item = json.dumps(ITEM[provider])[:-1] + ', "extra": ' + nested + "}"
        listing = json.dumps(list_body(provider, ["ITEM"])).replace('"ITEM"', item)
        single = json.dumps(item_body(provider, "ITEM")).replace('"ITEM"', item)
        vendor = Vendor(listing.encode(), single.encode())
        for method, _, error in run_all(provider, vendor):
            if error is not None and type(error) is not pr.UnexpectedResponseError:
                problems.append(f"{provider} {method}: {type(error).__name__}")
    assert problems == [], "\n".join(problems)


def test_a_timestamp_out_of_range_in_utc_is_unexpected() -> None:
    # astimezone(UTC) raises OverflowError for dates at the edge of datetime's range.
    problems = []
    for provider, key, stamp in (
        ("agentmessage", "created_at", "0001-01-01T00:00:00+01:00"),
        ("agentmessage", "updated_at", "9999-12-31T23:59:59-01:00"),
        ("close", "date_created", "0001-01-01T00:30:00+05:00"),
        ("close", "date_updated", "9999-12-31T23:00:00-12:00"),
    ):
        for method, _, error in run_all(provider, with_item(provider, set_key(key, stamp))):
            if type(error) is not pr.UnexpectedResponseError:
                problems.append(f"{provider} {key}={stamp} {method}: {type(error).__name__}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("provider", "body", "headers"),
    [
        ("linq-v3", {"success": False, "error": {"code": 1007, "retry_after": 10**400}}, {}),
        ("close", {"error": {"message": "slow down", "rate_reset": 10**400}}, {}),
        (
            "close",
            {"error": "slow down"},
            {"RateLimit": "limit=1, remaining=0, reset=" + "9" * 400},
        ),
        ("agentmessage", {"success": False}, {"Retry-After": "1" * 400}),
        ("linq-v2", {"errors": []}, {"Retry-After": "Fri, 31 Dec 99999 23:59:59 GMT"}),
        ("linq-v3", {"success": False, "error": {"code": 1007, "retry_after": -5}}, {}),
    ],
    ids=["v3-body", "close-body", "close-header", "am-header", "v2-date", "v3-negative"],
)
def test_absurd_rate_limit_waits_are_rate_limit_errors(
    provider: str, body: Any, headers: dict[str, str]
) -> None:
    # float() of an integer beyond float range raises OverflowError; an absurd or
    # negative wait must still give a RateLimitError, with no sleep past the cap.
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, content=json.dumps(body).encode(), headers=headers)

    sleeps: list[float] = []
    policy = pr.RetryPolicy(sleep=sleeps.append)
    with pr.connect(
        provider, api_key="k", transport=httpx.MockTransport(handler), retry_policy=policy
    ) as c:
        try:
            list(c.list_numbers())
        except Exception as error:
            caught = assert_routing_error(error)
        else:
            pytest.fail("a 429 was accepted")
    assert type(caught) is pr.RateLimitError
    assert all(0 <= s <= 60 for s in sleeps)


# ------------------------------------------------------------------ fuzzing


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from([*HOSTILE_IDS, "+12025559999", "https://x.example/", V3_ID, CLOSE_ID]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize("provider", PROVIDERS)
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
@pytest.mark.timeout(120)
def test_fuzzed_items_parse_or_are_unexpected(provider: str, data: st.DataObject) -> None:
    item = copy.deepcopy(ITEM[provider])
    keys = st.sampled_from([*item, "extra", "id_v2"])
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        key = data.draw(keys, label="key")
        if data.draw(st.booleans(), label="delete"):
            item.pop(key, None)
        else:
            item[key] = data.draw(json_values, label=key)
    vendor = Vendor(list_body(provider, [item]), item_body(provider, item))
    for method, result, error in run_all(provider, vendor):
        if error is not None:
            caught = assert_routing_error(error)
            # NotFoundError: the id is valid but another (get = list and filter).
            assert type(caught) in (pr.UnexpectedResponseError, pr.NotFoundError), method
        elif method == "list_numbers":
            assert [n.raw.get("extra") is not None for n in result] == [
                "extra" in item and item["extra"] is not None
            ]
    for path in map(path_of, vendor.requests):
        assert ".." not in path
        assert "%" not in path
