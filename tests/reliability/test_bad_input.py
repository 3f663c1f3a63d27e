"""Bad input anywhere in the public API: only a RoutingError or a TypeError comes out,
and nothing invalid reaches the vendor.

Hypothesis explores the space (modest ``max_examples``, so the folder stays fast); a
curated list of hostile values is also run exhaustively against every argument slot,
so the classic cases (path characters, control characters, huge strings, wrong types)
are always covered whatever the random draw.
"""

from __future__ import annotations

import asyncio
import math
import operator
import os
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import phonerouting as pr
from phonerouting import migration, testing
from phonerouting.registry import adapter_for
from tests.profiles import PROFILES, need
from tests.profiles import adapter as profile_adapter
from tests.reliability.conftest import Cli, ServeFn
from tests.reliability.helpers import (
    MODES,
    PROVIDERS,
    UPDATE,
    assert_routing_error,
    attempt,
    close,
    connect,
    connect_url,
    emulator,
    first_id,
)

pytestmark = pytest.mark.timeout(180)

FAST = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: How each provider's ids look in a request path (its profile's ``id_pattern``).
ID_SHAPE = {p: re.compile(need(p, "id_pattern")) for p in PROVIDERS}
#: Every provider's credential variables: none may be set while ``connect`` is probed.
ENV_VARS = tuple(
    sorted({spec.env for p in PROVIDERS for spec in adapter_for(p).credential_specs()})
)


def list_path(emu: testing.Emulator) -> str:
    """The list path as it reaches the emulator (under its base path)."""
    return emu.base_path + PROFILES[emu.provider].list_path_of(emu)


# ------------------------------------------------------------------ hostile values

CURATED_TEXT = [
    "",
    " ",
    "\x00",
    "\t",
    "\x7f",
    "\r\nX-Injected: 1",
    "\u0085",
    "\u2028",
    "\u202e",
    "\ufeff",
    "\ud800",
    "../x",
    "1/2",
    "%2e%2e",
    "..%2f..%2fadmin",
    "phon_../x",
    "phon_abc/../x",
    "phon_abc?x=1",
    "phon_abc#x",
    "550e8400-e29b-41d4-a716-446655440000/../x",
    "550e8400-e29b-41d4-a716-446655440000\n",
    " 550e8400-e29b-41d4-a716-446655440000",
    "550E8400-E29B-41D4-A716-446655440000",
    "+1 (202) 555-9999",
    "+12025559999",
    "+1202555999999999999",
    "+0 202 555 9999",
    "2025559999",
    "+\u0661\u0662\u0660\u0662\u0665\u0665\u0665\u0669\u0669\u0669\u0669",
    "+\uff11\uff12\uff10\uff12\uff15\uff15\uff15\uff19\uff19\uff19\uff19",
    "tel:+12025559999",
    "+12025559999\x00",
    "https://example.com/hook",
    "http://example.com/hook",
    "https://",
    "https://exa mple.com",
    "https://[::1",
    "https://example.com/\r\n",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "HTTPS://EXAMPLE.COM/x",
    "https://user:pw@example.com/",
    "//example.com",
    "https://example.com/" + "a" * 2100,
    "Front desk",
    "\u00e9" * 255,
    "\u00e9" * 256,
    "\U0001f600" * 100,
    "x" * 256,
    "phon_" + "a" * 43,
    "phon_" + "a" * 65,
    "user_abc",
    "0",
    "007",
    "-1",
    "9" * 19,
    "9" * 20,
    "9" * 5000,
    "x" * 1_000_000,
    "+1" + "2" * 1_000_000,
]


class Weird:
    """An object no one expects."""

    def __repr__(self) -> str:
        return "<Weird>"


CURATED_WRONG = [
    None,
    b"+12025559999",
    b"\xff",
    bytearray(b"42"),
    1.5,
    float("nan"),
    float("inf"),
    -1,
    0,
    True,
    2**63,
    10**300,
    Decimal("42"),
    3j,
    {},
    {"id": 1},
    [],
    ["+12025559999"],
    ("x",),
    {"a"},
    uuid.UUID("550e8400-e29b-41d4-a716-446655440000"),
    Weird(),
    pr.UNSET,
    pr.RoutingUpdate(),
]
CURATED = CURATED_TEXT + CURATED_WRONG

huge_text = st.builds(
    operator.mul,
    st.sampled_from(["9", "a", "+1", "\x00", "\u00e9", "/", "\U0001f600", " "]),
    st.integers(300, 200_000),
)
any_text = st.one_of(
    st.sampled_from(CURATED_TEXT),
    st.text(max_size=40),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=40),
    st.from_regex(r"\+?[0-9 ()\-.]{0,20}", fullmatch=True),
    st.uuids().map(str),
    st.from_regex(r"phon_[A-Za-z0-9/.%]{1,50}", fullmatch=True),
    huge_text,
)
wrong_type = st.one_of(
    st.sampled_from(CURATED_WRONG),
    st.binary(max_size=20),
    st.floats(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.lists(st.one_of(st.text(max_size=12), st.integers(), st.none()), max_size=4),
    st.tuples(st.text(max_size=5)),
    st.uuids(),
)
anything = st.one_of(any_text, wrong_type)


# ------------------------------------------------------------------ checks


def shown(value: object) -> str:
    """A short repr, even of an int too long for str()."""
    try:
        return f"{value!r:.60}"
    except ValueError:
        return f"<{type(value).__name__} too large to show>"


def pre_send(error: BaseException) -> bool:
    """An error raised before any request: a TypeError, a configuration error, or a
    validation error without an HTTP status."""
    if isinstance(error, TypeError | pr.ConfigurationError):
        return True
    return isinstance(error, pr.ValidationError) and error.status is None


def check_requests(emu: testing.Emulator) -> None:
    """Every request that was sent names only a validated id in its path."""
    adapter = profile_adapter(emu.provider)
    # The listings of a number's parts (Telnyx's voice settings) name no id.
    part_listings = {
        emu.base_path + listing.path
        for part in adapter.parts
        if (listing := adapter.part_listing(adapter.list_request(), part)) is not None
    }
    for request in emu.requests:
        assert ".." not in request.path, request.path
        assert "%" not in request.path, request.path
        if request.path in part_listings:
            continue
        # Where an id sits in the item path: between its prefix and what follows it
        # (Twilio's ``.json``).
        prefix, _, suffix = PROFILES[emu.provider].item_path_of(emu, "\0").partition("\0")
        prefix = emu.base_path + prefix
        if request.path.startswith(prefix) and request.path != list_path(emu):
            number_id = request.path[len(prefix) :].split("/")[0].removesuffix(suffix)
            assert ID_SHAPE[emu.provider].fullmatch(number_id), request.path


def check_outcome(emu: testing.Emulator, error: BaseException | None) -> None:
    """The contract for one call made with possibly bad input."""
    if error is not None:
        if not isinstance(error, TypeError):
            assert_routing_error(error)
        if pre_send(error):
            assert emu.requests == [], f"{error!r} was raised after sending {emu.requests!r}"
    check_requests(emu)


_EMULATORS: dict[str, testing.Emulator] = {}


def shared_emulator(provider: str) -> testing.Emulator:
    """One emulator per provider for the whole module (Hypothesis runs many examples)."""
    if provider not in _EMULATORS:
        _EMULATORS[provider] = emulator(provider, 3, seed=5)
    emu = _EMULATORS[provider]
    emu.clear_requests()
    emu.faults.clear()
    return emu


def run(mode: str, emu: testing.Emulator, body: Callable[[Any], Any]) -> None:
    """Run ``body(client)`` (a coroutine function) with a fresh client of ``mode``."""

    async def main() -> None:
        client = connect(mode, emu, max_retries=0)
        try:
            await body(client)
        finally:
            await close(client)

    asyncio.run(main())


def build_update(kwargs: dict[str, Any]) -> tuple[pr.RoutingUpdate | None, BaseException | None]:
    try:
        return pr.RoutingUpdate(**kwargs), None
    except Exception as error:
        return None, error


# ------------------------------------------------------------------ RoutingUpdate


@FAST
@given(field=st.sampled_from(pr.ROUTING_FIELDS), value=anything)
def test_routing_update_fields_raise_only_validation_or_type_errors(
    field: str, value: object
) -> None:
    update, error = build_update({field: value})
    if error is not None:
        if not isinstance(error, TypeError):
            assert type(assert_routing_error(error)) is pr.ValidationError
            assert error.field is not None
            assert error.field.startswith(field)
        return
    assert update is not None
    stored = getattr(update, field)
    assert stored is None or stored is pr.UNSET or isinstance(stored, str | int | bool | tuple)


def test_routing_update_curated_values_every_field() -> None:
    problems = []
    for field in pr.ROUTING_FIELDS:
        for value in CURATED:
            _, error = build_update({field: value})
            if error is not None and not isinstance(error, TypeError | pr.ValidationError):
                problems.append(f"{field}={shown(value)}: {type(error).__name__}: {error}")
    assert problems == [], "\n".join(problems)


def test_unknown_update_fields_are_type_errors() -> None:
    with pytest.raises(TypeError):
        pr.RoutingUpdate(forward_to="+12025559999")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        pr.RoutingUpdate("+12025559999")  # type: ignore[misc]


# ------------------------------------------------------------------ client methods


def update_kwargs() -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(pr.ROUTING_FIELDS), anything, max_size=3)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("provider", PROVIDERS)
@FAST
@given(data=st.data())
def test_client_methods_refuse_bad_input_before_sending(
    provider: str, mode: str, data: st.DataObject
) -> None:
    emu = shared_emulator(provider)
    real_id = st.sampled_from([str(n.id) for n in need(provider, "held_numbers")(emu)])
    method = data.draw(st.sampled_from(["get_number", "find_number", "update_id", "update_body"]))
    if method == "get_number":
        args: tuple[Any, ...] = (data.draw(st.one_of(anything, real_id), label="id"),)
    elif method == "find_number":
        args = (data.draw(anything, label="number"),)
    elif method == "update_id":
        method, args = "update_routing", (data.draw(anything, label="id"), UPDATE[provider])
    else:
        kwargs = data.draw(update_kwargs(), label="update fields")
        update, _ = build_update(kwargs)
        body = update if update is not None else data.draw(anything, label="update")
        method, args = "update_routing", (data.draw(real_id, label="id"), body)

    async def body(client: Any) -> None:
        _, error = await attempt(client, method, *args)
        check_outcome(emu, error)

    run(mode, emu, body)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_client_methods_curated_values(provider: str, mode: str) -> None:
    emu = shared_emulator(provider)
    good_id = first_id(emu)
    calls: list[tuple[str, tuple[Any, ...]]] = []
    for value in CURATED:
        calls += [
            ("get_number", (value,)),
            ("find_number", (value,)),
            ("update_routing", (value, UPDATE[provider])),
            ("update_routing", (good_id, value)),
        ]
    problems: list[str] = []

    async def body(client: Any) -> None:
        for method, args in calls:
            emu.clear_requests()
            _, error = await attempt(client, method, *args)
            try:
                check_outcome(emu, error)
            except AssertionError as failure:
                text = ", ".join(shown(a) for a in args)
                problems.append(f"{method}({text}): {str(failure).splitlines()[0]}")

    run(mode, emu, body)
    assert problems == [], "\n".join(problems)


HUGE_INT = 10**5000  # more digits than int -> str converts by default (4300)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_huge_integer_id_is_a_validation_error(provider: str) -> None:
    # str() and repr() of an integer past 4,300 digits raise ValueError; the id check
    # and its error message must not call them on the caller's value.
    emu = shared_emulator(provider)
    problems: list[str] = []

    async def body(client: Any) -> None:
        for method, args in (
            ("get_number", (HUGE_INT,)),
            ("update_routing", (HUGE_INT, UPDATE[provider])),
            ("update_routing", (-HUGE_INT, UPDATE[provider])),
        ):
            _, error = await attempt(client, method, *args)
            if type(error) is not pr.ValidationError or error.field != "number_id":
                problems.append(f"{type(client).__name__}.{method}: {type(error).__name__}")

    for mode in MODES:
        run(mode, emu, body)
    assert problems == [], "\n".join(problems)
    assert emu.requests == []


def test_a_huge_integer_field_value_is_a_validation_error() -> None:
    # The refused value is quoted in the error message; quoting it must not raise.
    problems = []
    for field in pr.ROUTING_FIELDS:
        for value in (HUGE_INT, -HUGE_INT, [HUGE_INT], {"a": HUGE_INT}):
            _, error = build_update({field: value})
            if error is not None and not isinstance(error, TypeError | pr.ValidationError):
                problems.append(f"{field}={shown(value)}: {type(error).__name__}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unsupported_fields_send_nothing(provider: str) -> None:
    emu = shared_emulator(provider)
    caps = adapter_for(provider).capabilities
    values = {
        "forwarding_number": "+12025559999",
        "inbound_url": "https://example.com/in",
        "status_url": "https://example.com/status",
        "label": "x",
        "campaign_id": "550e8400-e29b-41d4-a716-446655440000",
        "voicemail_greeting_url": "https://example.com/vm.mp3",
        "ring_duration": 20,
        "participants": ["user_abc"],
        "external_numbers": ["+12025559999"],
        "press_1_to_accept": True,
    }
    problems = []

    async def body(client: Any) -> None:
        for field, value in values.items():
            for wanted in (value, None):
                if (wanted is None and caps.can_clear(field)) or caps.can_set(field):
                    continue
                update = pr.RoutingUpdate(**{field: wanted})
                _, error = await attempt(client, "update_routing", first_id(emu), update)
                if type(error) is not pr.UnsupportedFieldError or emu.requests:
                    problems.append(f"{field}={wanted!r}: {error!r}, {len(emu.requests)} sent")

    run("sync", emu, body)
    run("async", emu, body)
    assert problems == [], "\n".join(problems)


# ------------------------------------------------------------------ connect()

providers_or_not = st.one_of(st.sampled_from(PROVIDERS), anything)
keys = st.one_of(st.none(), st.just("good"), anything)
base_urls = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "https://api.example.com",
            "http://127.0.0.1:9",
            "http://localhost",
            "http://[::1]:8",
            "http://example.com",
            "http://127.0.0.1.example.com",
            "https://",
            "ftp://127.0.0.1",
        ]
    ),
    anything,
)
timeouts = st.one_of(st.just(10.0), st.floats(), st.integers(), anything, st.just(httpx.Timeout(1)))
retries = st.one_of(st.just(2), st.integers(min_value=-5, max_value=5), anything)


@pytest.mark.parametrize("mode", MODES)
@FAST
@given(
    provider=providers_or_not,
    api_key=keys,
    base_url=base_urls,
    timeout=timeouts,
    max_retries=retries,
)
def test_connect_arguments_raise_only_configuration_or_type_errors(
    mode: str, provider: Any, api_key: Any, base_url: Any, timeout: Any, max_retries: Any
) -> None:
    emu = shared_emulator(provider if provider in PROVIDERS else "close")
    if api_key == "good":
        api_key = emu.api_key
    factory = pr.connect if mode == "sync" else pr.connect_async
    transport = emu.transport() if mode == "sync" else emu.async_transport()
    with mock.patch.dict(os.environ, clear=False):
        for name in ENV_VARS:
            os.environ.pop(name, None)
        try:
            client = factory(
                provider,
                api_key=api_key,
                base_url=base_url,
                timeout=timeout,
                max_retries=max_retries,
                transport=transport,  # type: ignore[arg-type]
            )
        except Exception as error:
            if not isinstance(error, TypeError):
                assert type(assert_routing_error(error)) is pr.ConfigurationError
            assert emu.requests == []
            return

    async def use() -> None:
        try:
            _, error = await attempt(client, "list_numbers")
            if error is not None:
                assert_routing_error(error)
        finally:
            await close(client)

    asyncio.run(use())


def test_connect_refuses_a_transport_of_the_wrong_kind() -> None:
    emu = shared_emulator("close")
    for factory, transport in (
        (pr.connect, emu.async_transport()),
        (pr.connect_async, emu.transport()),
        (pr.connect, "http://127.0.0.1:1"),
        (pr.connect_async, Weird()),
        (pr.connect, 1.5),
    ):
        with pytest.raises(pr.ConfigurationError):
            factory("close", api_key="k", transport=transport)  # type: ignore[operator]
    assert emu.requests == []


def test_a_retry_policy_of_the_wrong_type_is_refused() -> None:
    # Anything but a RetryPolicy is refused by connect(), not met later as an
    # AttributeError in the middle of a call.
    problems = []
    for factory in (pr.connect, pr.connect_async):
        for value in ("fast", 1, 0.5, {"max_retries": 0}, Weird(), [pr.RetryPolicy()]):
            try:
                factory("linq-v3", api_key="k", retry_policy=value)  # type: ignore[arg-type]
            except (pr.ConfigurationError, TypeError):
                continue
            except Exception as error:
                problems.append(f"{factory.__name__}(retry_policy={value!r}): {error!r}")
            else:
                problems.append(f"{factory.__name__}(retry_policy={value!r}) was accepted")
    assert problems == [], "\n".join(problems)


def test_retry_policy_refuses_bad_values_with_a_typed_error() -> None:
    # Negative, NaN and infinite values are refused with a typed error when the policy
    # is built (an infinite backoff would make time.sleep() raise OverflowError in the
    # middle of a call); whatever is accepted must work through a retry.
    problems = []
    for options in (
        {"max_retries": -1},
        {"backoff_initial": -0.5},
        {"backoff_max": -1.0},
        {"jitter": -1.0},
        {"max_wait": -1.0},
        {"backoff_initial": math.nan},
        {"max_wait": math.nan},
        {"jitter": math.inf},
        {"backoff_initial": math.inf, "backoff_max": math.inf},
        {"max_retries": "2"},
    ):
        try:
            policy = pr.RetryPolicy(**options)  # type: ignore[arg-type]
        except (pr.RoutingError, TypeError):
            continue
        except Exception as error:
            problems.append(f"RetryPolicy(**{options}): {error!r}")
            continue
        # Accepted: using it must then let nothing but a RoutingError out.
        emu = emulator("linq-v3")
        emu.faults.server_error(503, count=1)
        with pr.connect(
            "linq-v3", api_key=emu.api_key, transport=emu.transport(), retry_policy=policy
        ) as client:
            try:
                list(client.list_numbers())
            except pr.RoutingError:
                pass
            except Exception as error:
                problems.append(f"RetryPolicy(**{options}) then a retry: {error!r}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("timeout", [math.inf, 1e300, -math.inf, math.nan, 0, -1])
async def test_non_finite_or_non_positive_timeouts(mode: str, timeout: float) -> None:
    # An infinite or 1e300 s timeout would make the socket layer raise OverflowError
    # on the first request; connect() must refuse it (or it must work).
    emu = emulator("linq-v3")
    with emu.serve() as url:
        try:
            client = connect_url(mode, emu, url, timeout=timeout, max_retries=0)
        except Exception as error:
            assert type(assert_routing_error(error)) is pr.ConfigurationError
            assert emu.requests == []
            return
        try:
            _, error = await attempt(client, "list_numbers")
        finally:
            await close(client)
    if error is not None:
        assert_routing_error(error)


# ------------------------------------------------------------------ migration arguments


async def test_migration_arguments(tmp_path: Path) -> None:
    old, new = emulator("linq-v2", 3, populate=1.0), emulator("linq-v3", 3, populate=0.0)
    async with (
        pr.connect_async("linq-v2", api_key=old.api_key, transport=old.async_transport()) as src,
        pr.connect_async("linq-v3", api_key=new.api_key, transport=new.async_transport()) as dst,
        pr.connect_async("close", api_key="k", transport=new.async_transport()) as other,
    ):
        plan = await migration.plan(src, dst)
        new.clear_requests()
        bad: list[tuple[Any, dict[str, Any]]] = [
            (dst, {"concurrency": 0}),
            (dst, {"concurrency": -3}),
            (dst, {"concurrency": "8"}),
            (dst, {"concurrency": 2.5}),
            (dst, {"concurrency": True}),
            (dst, {"journal": tmp_path / "missing" / "folder" / "j.sqlite"}),
            (dst, {"journal": tmp_path}),
            (other, {}),
        ]
        (tmp_path / "not-a-db.sqlite").write_bytes(b"this is not sqlite" * 100)
        bad.append((dst, {"journal": tmp_path / "not-a-db.sqlite"}))
        for target, options in bad:
            options.setdefault("journal", tmp_path / "j.sqlite")
            with pytest.raises(pr.ConfigurationError):
                await migration.apply(plan, target, **options)
        assert new.requests == []
        for fields in (["bogus"], "forwarding_number", ["forwarding_number", 3], [None]):
            with pytest.raises((pr.ValidationError, TypeError)):
                await migration.plan(src, dst, fields)  # type: ignore[arg-type]
        with pytest.raises(pr.ConfigurationError):
            await migration.rollback(dst, journal=tmp_path / "nothing-here.sqlite")
    assert new.count("PUT") == 0


# ------------------------------------------------------------------ the command line


# Bounds, not timings: each CLI run is a fresh interpreter, and under pytest-xdist the
# other worker shares the cores, so the bound leaves room for a loaded machine.
@pytest.mark.timeout(180)
def test_cli_refuses_bad_input_without_sending(serve_cli: ServeFn) -> None:
    emus = {"new": emulator("linq-v3"), "crm": emulator("close")}
    cli: Cli = serve_cli(emus)
    for args in (
        ("set", "new", "../x", "--forwarding-number", "+12025559999"),
        ("set", "crm", "phon_abc/../x", "--label", "\u202e\u0007bell"),
        ("set", "new", "+12025550142", "--forwarding-number", "not a number"),
        ("set", "crm", "phon_abc", "--ring-duration", "5"),
        ("set", "crm", "phon_abc", "--voicemail-greeting-url", "http://example.com/vm.mp3"),
        ("clear", "new", "+12025550142", "bogus_field"),
        ("show", "new", "+1 (202) 555-01"),
    ):
        result = cli.run(*args)
        assert result.code == 2, (args, result)
        assert result.err.startswith("phonerouting: error: "), (args, result.err)
        assert "Traceback" not in result.err
        assert result.err.count("\n") == 1, result.err
    assert emus["new"].requests == []
    assert emus["crm"].requests == []
