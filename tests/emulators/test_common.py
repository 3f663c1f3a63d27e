"""What every emulator shares: the request log, deterministic seeding and vendor-shaped
ids, over every provider with a profile (each vendor's own request / trace id headers
are tested in its own module)."""

from __future__ import annotations

import importlib
import re

import pytest

import phonerouting as pr
from phonerouting import testing
from tests.emulators.http import client, item_path, list_path
from tests.emulators.scenarios import PROVIDERS, need

providers = pytest.mark.parametrize("provider", PROVIDERS)
#: A wall-clock time that does not move.
STILL = "2031-05-01T12:00:00.000Z"


@providers
def test_request_log_records_method_path_query_headers_and_body(provider: str) -> None:
    emu = testing.emulator(provider, 2, seed=4)
    with client(emu, "wrong-key") as http:
        http.get(list_path(emu), params={"limit": "5"})
    with client(emu) as http:
        http.put(item_path(emu, "some-id"), content=b"not json")
        http.patch(item_path(emu, "some-id"), json={"label": "x"})
    first, second, third = emu.requests
    base = emu.base_path
    assert (first.method, first.path, dict(first.query)) == (
        "GET",
        base + list_path(emu),
        {"limit": "5"},
    )
    assert first.json is None
    assert first.body == b""
    # Refused requests are logged too; header names are lower-case.
    assert all(name == name.lower() for name in first.headers)
    assert first.headers["host"]
    assert (second.method, second.json, second.body) == ("PUT", None, b"not json")
    assert (third.method, third.json) == ("PATCH", {"label": "x"})
    assert emu.count("PATCH") == 1
    assert emu.count("GET", list_path(emu)) == 1
    assert emu.count("DELETE") == 0
    emu.clear_requests()
    assert emu.requests == []


@providers
def test_the_log_is_a_copy(provider: str) -> None:
    emu = testing.emulator(provider)
    with client(emu) as http:
        http.get(list_path(emu))
    emu.requests.clear()
    assert len(emu.requests) == 1


def _snapshot(emu: testing.Emulator) -> list[tuple[object, str]]:
    held = need(emu.provider, "held_numbers")(emu)
    return [(number.id, number.number) for number in held]


@providers
def test_seeding_is_deterministic_for_a_seed(provider: str) -> None:
    one = _snapshot(testing.emulator(provider, 12, seed=9))
    same = _snapshot(testing.emulator(provider, 12, seed=9))
    other = _snapshot(testing.emulator(provider, 12, seed=10))
    assert one == same
    assert len(one) == 12
    assert len({number for _, number in one}) == 12
    assert [number for _, number in one] != [number for _, number in other]


@providers
def test_the_same_seed_gives_the_same_listing_whenever_it_runs(
    provider: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Dates included: the wall clock moves between the two emulators.
    def listing() -> object:
        emu = testing.emulator(provider, 6, seed=9)
        with client(emu) as http:
            return http.get(list_path(emu)).json()

    first = listing()
    for clock in testing.profile(provider).wall_clock:  # what the emulator stamps times with
        module, _, name = clock.partition(":")
        monkeypatch.setattr(
            importlib.import_module(module), name, lambda: "2031-05-01T12:00:00.000Z"
        )
    assert listing() == first


def test_the_same_seed_gives_the_same_e164_numbers_on_every_emulator() -> None:
    numbers = {p: [n for _, n in _snapshot(testing.emulator(p, 8, seed=5))] for p in PROVIDERS}
    assert {tuple(v) for v in numbers.values()} == {tuple(testing.e164_numbers(8, 5))}
    assert all(n.startswith("+1") and len(n) == 12 for n in testing.e164_numbers(8, 5))


@providers
def test_ids_are_vendor_shaped(provider: str) -> None:
    ids = [i for i, _ in _snapshot(testing.emulator(provider, 5, seed=1))]
    valid = need(provider, "id_shape")
    assert len(ids) == 5
    assert all(valid(i) for i in ids)


@providers
def test_populate_decides_how_many_numbers_route_somewhere(provider: str) -> None:
    def routed(emu: testing.Emulator) -> int:
        return sum(number.routed for number in need(provider, "held_numbers")(emu))

    assert routed(testing.emulator(provider, 10, seed=1, populate=0.0)) == 0
    assert routed(testing.emulator(provider, 10, seed=1, populate=1.0)) == 10


@providers
def test_api_key_given_or_generated(provider: str) -> None:
    given = testing.emulator(provider, api_key="my-key")
    generated = testing.emulator(provider)
    # Vendor-shaped (the emulator's own prefix, e.g. Close's api_), not the default.
    prefix = type(generated).key_prefix
    assert prefix != testing.Emulator.key_prefix
    assert given.api_key == "my-key"
    assert generated.api_key.startswith(prefix)
    assert generated.api_key != testing.emulator(provider).api_key
    with client(given) as http:
        assert http.get(list_path(given)).status_code == 200


def test_an_unknown_provider_is_refused() -> None:
    choices = re.escape(", ".join(pr.providers()))
    with pytest.raises(ValueError, match=f"unknown provider 'nope'; choose one of: {choices}$"):
        testing.emulator("nope")
