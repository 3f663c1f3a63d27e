"""Looking numbers up, the same rules on every registered provider and both drivers: a
number held by two lines is refused naming both, ids are strings (an int is refused
alike everywhere), and a number without its country code is told so."""

from __future__ import annotations

import pytest

import phonerouting as pr
from phonerouting import testing
from tests.client.drive import call, close

FAST = pr.RetryPolicy(backoff_initial=0.0, jitter=0.0)

providers = pytest.mark.parametrize("provider", pr.PROVIDERS)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def connect(mode: str, emu: testing.Emulator) -> pr.Client | pr.AsyncClient:
    if mode == "sync":
        return pr.connect(
            emu.provider, **emu.client_credentials(), transport=emu.transport(), retry_policy=FAST
        )
    return pr.connect_async(
        emu.provider, **emu.client_credentials(), transport=emu.async_transport(), retry_policy=FAST
    )


@providers
async def test_a_number_on_two_lines_is_refused_naming_both(mode: str, provider: str) -> None:
    emu = testing.emulator(provider)
    first = emu.add_number("+12025550142")  # type: ignore[attr-defined]
    # Enough numbers between the two that they sit on different pages where the
    # vendor pages its listing.
    emu.seed_numbers(150, seed=3, populate=0.0)
    second = emu.add_number("+12025550142")  # type: ignore[attr-defined]
    ids = tuple(sorted((str(first.id), str(second.id))))
    client = connect(mode, emu)
    with pytest.raises(pr.DuplicateNumberError) as caught:
        await call(client, "find_number", "+1 202 555 0142")
    error = caught.value
    assert (error.provider, error.number, error.ids) == (provider, "+12025550142", ids)
    assert error.message == f"2 lines of this account hold +12025550142 (ids {', '.join(ids)})"
    assert error.hint == (
        "Name the line by its id instead (get_number(id), update_routing(id, ...))."
    )
    assert "phonerouting show ACCOUNT ID" in error.describe(cli=True)
    # Each line is still reachable by its id, and a number held once is found.
    assert (await call(client, "get_number", ids[1])).id == ids[1]
    emu.add_number("+12025550143")  # type: ignore[attr-defined]
    assert (await call(client, "find_number", "+12025550143")).number == "+12025550143"
    await close(client)


@providers
@pytest.mark.parametrize("method", ["get_number", "update_routing"])
async def test_an_int_id_is_refused_alike_everywhere(mode: str, provider: str, method: str) -> None:
    emu = testing.emulator(provider, 3, seed=1)
    client = connect(mode, emu)
    args = (1001,) if method == "get_number" else (1001, pr.RoutingUpdate())
    with pytest.raises(pr.ValidationError) as caught:
        await call(client, method, *args)
    error = caught.value
    assert (error.provider, error.field, error.status) == (provider, "number_id", None)
    assert error.message == "number_id 1001 is an int, but ids are strings: pass '1001'"
    assert emu.requests == []  # refused before anything was sent
    await close(client)


@providers
async def test_other_non_string_ids_are_refused_alike(mode: str, provider: str) -> None:
    client = connect(mode, testing.emulator(provider))
    for value, kind in ((None, "NoneType"), (True, "bool"), (1.5, "float"), (b"42", "bytes")):
        with pytest.raises(pr.ValidationError) as caught:
            await call(client, "get_number", value)
        assert caught.value.message == (f"number_id must be a string (the vendor's id), not {kind}")
    await close(client)


@providers
@pytest.mark.parametrize("given", ["312-246-1528", "(312) 246-1528", "312 246 1528"])
async def test_a_number_without_its_country_code_is_told_so(
    mode: str, provider: str, given: str
) -> None:
    emu = testing.emulator(provider, 3, seed=1)
    client = connect(mode, emu)
    with pytest.raises(pr.ValidationError) as caught:
        await call(client, "get_number", given)
    error = caught.value
    assert error.message == (
        f"number_id {given!r} is not a {provider} id, and a phone number needs its "
        "country code: +1 312 246 1528"
    )
    assert error.hint == (
        "Look a number up by number with its country code (find_number), or by its id."
    )
    assert error.describe(cli=True).endswith(
        "Give the number with its country code, or the number's id."
    )
    with pytest.raises(pr.ValidationError) as found:
        await call(client, "find_number", given)
    assert found.value.message == (
        f"number {given!r} has no country code; a phone number needs it, e.g. +1 312 246 1528"
    )
    await close(client)


async def test_digits_that_may_be_an_id_or_a_national_number_say_both(mode: str) -> None:
    # linq-v2 ids are digits: 3122461528 is a well-formed id, looked up as one.
    client = connect(mode, testing.emulator("linq-v2", 3, seed=1))
    with pytest.raises(pr.NotFoundError) as caught:
        await call(client, "get_number", "3122461528")
    assert caught.value.message == (
        "no number with id 3122461528 in this account (a phone number needs its country "
        "code: +1 312 246 1528)"
    )
    with pytest.raises(pr.NotFoundError) as short:
        await call(client, "get_number", "424242")
    assert short.value.message == "no number with id 424242 in this account"
    await close(client)
