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
from tests.reliability import vendors
from tests.reliability.helpers import MODES, PROVIDERS, assert_routing_error, attempt, close
from tests.reliability.hostile import (
    ID,
    ID_KEY,
    ITEM,
    NUMBER_KEY,
    ROUTE_KEY,
    Replace,
    Vendor,
    assert_tolerated,
    assert_unexpected,
    client,
    drop_key,
    encode,
    item_body,
    list_body,
    path_of,
    run_all,
    set_key,
    with_item,
)

pytestmark = pytest.mark.timeout(180)

#: Ids holding path characters, whatever the vendor.
HOSTILE_IDS = ["../x", "..", "1/2", "%2e%2e", "%2F", "1001/../1002", "1001\n", "-1", ""]


def hostile_ids(provider: str) -> list[str]:
    """`HOSTILE_IDS`, and ``provider``'s own id shape (its profile's ``wire_id``) with
    path characters around it: a prefix check alone would let them through."""
    own = str(ID[provider])
    return [
        *HOSTILE_IDS,
        own + "/",
        own + "/../x",
        own[:5] + "../x",
        own + "?admin=1",
        own + "#x",
        own + "\n",
        " " + own,
    ]


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


@pytest.mark.parametrize(
    ("provider", "hostile"), [(p, hostile) for p in PROVIDERS for hostile in hostile_ids(p)]
)
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


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_migration_never_writes_to_a_hostile_id(provider: str) -> None:
    source_item = copy.deepcopy(ITEM[provider])
    target_item = {**copy.deepcopy(ITEM[provider]), ID_KEY[provider]: "../../admin"}
    source = Vendor(list_body(provider, [source_item]), item_body(provider, source_item))
    target = Vendor(list_body(provider, [target_item]), item_body(provider, target_item))
    async with client(provider, source, "async") as src, client(provider, target, "async") as dst:
        with pytest.raises(pr.UnexpectedResponseError):
            await migration.plan(src, dst)
    assert {r.method for r in target.requests} == {"GET"}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_update_answering_another_id_is_unexpected(provider: str, mode: str) -> None:
    hostile = {**copy.deepcopy(ITEM[provider]), ID_KEY[provider]: f"{ID[provider]}/../../admin"}
    vendor = Vendor(list_body(provider, [ITEM[provider]]), item_body(provider, hostile))
    outcomes = {method: error for method, _, error in run_all(provider, vendor, mode)}
    assert outcomes["list_numbers"] is None
    # A get that lists and filters finds the listed number; one that reads the number
    # itself is answered the hostile one.
    if adapter_for(provider).reads_one_number:
        assert type(outcomes["get_number"]) is pr.UnexpectedResponseError
    else:
        assert outcomes["get_number"] is None
    assert type(outcomes["update_routing"]) is pr.UnexpectedResponseError
    assert all(".." not in path_of(r) for r in vendor.requests)


@pytest.mark.parametrize("provider", vendors.having("REPEATING_PAGE"))
def test_a_vendor_repeating_its_page_is_stopped(provider: str) -> None:
    body = vendors.vendor(provider).REPEATING_PAGE(ITEM[provider])
    vendor = Vendor(body, item_body(provider, ITEM[provider]))

    async def listing() -> Any:
        c = client(provider, vendor, "async")
        try:
            return await attempt(c, "list_numbers")
        finally:
            await close(c)

    # Stopped by the request count below (and the test's timeout), not by a clock.
    _, error = asyncio.run(listing())
    assert type(error) is pr.UnexpectedResponseError
    # The page, and the one that repeats it (or its next, which can be no other).
    assert len(vendor.requests) <= 3, [path_of(r) for r in vendor.requests]


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
@pytest.mark.timeout(180)
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


@pytest.mark.parametrize("provider", vendors.having("HUGE_ERROR"))
def test_huge_error_bodies_give_bounded_errors(provider: str) -> None:
    # A proxy's error page can be megabytes and errors end up in logs: the message,
    # code, request id, doc_url and details an error quotes are all bounded.
    body = vendors.vendor(provider).HUGE_ERROR("y" * 1_000_000)
    problems = []
    for method, _, error in run_all(provider, Vendor(body, body, status=422)):
        caught = assert_routing_error(error)
        assert type(caught) is pr.ValidationError, method
        if len(str(caught)) > 5_000 or len(repr(caught)) > 5_000:
            problems.append(f"{method}: str(error) is {len(str(caught))} long")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("provider", vendors.having("FIELD_ERROR"))
def test_a_huge_field_name_in_the_details_is_bounded(provider: str) -> None:
    # A single detail names the field at fault; a hostile one must not make
    # error.field (or anything quoting it) megabytes long.
    body = vendors.vendor(provider).FIELD_ERROR("f" * 1_000_000)
    for method, _, error in run_all(provider, Vendor(body, body, status=422)):
        caught = assert_routing_error(error)
        assert type(caught) is pr.ValidationError, method
        assert caught.field == "f" * 200 + "…", method
        assert len(str(caught)) < 2_000, method


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


@pytest.mark.parametrize(
    ("provider", "key", "stamp"),
    [
        (p, key, stamp)
        for p in vendors.having("EDGE_TIMESTAMPS")
        for key, stamp in vendors.vendor(p).EDGE_TIMESTAMPS
    ],
)
def test_a_timestamp_out_of_range_in_utc_is_unexpected(provider: str, key: str, stamp: str) -> None:
    # astimezone(UTC) raises OverflowError for dates at the edge of datetime's range.
    for method, _, error in run_all(provider, with_item(provider, set_key(key, stamp))):
        assert type(error) is pr.UnexpectedResponseError, method


@pytest.mark.parametrize(
    ("provider", "body", "headers"),
    [
        pytest.param(p, body, headers, id=f"{p}-{name}")
        for p in vendors.having("ABSURD_RATE_LIMITS")
        for name, body, headers in vendors.vendor(p).ABSURD_RATE_LIMITS
    ],
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
    key = PROFILES[provider].credentials(None, "k")
    with pr.connect(
        provider, **key, transport=httpx.MockTransport(handler), retry_policy=policy
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
    | st.sampled_from(
        [*HOSTILE_IDS, "+12025559999", "https://x.example/", *(str(ID[p]) for p in PROVIDERS)]
    ),
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
@pytest.mark.timeout(180)
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
