"""What every emulator shares: the request log, deterministic seeding, vendor-shaped
ids, and the request / trace id headers."""

from __future__ import annotations

import pytest

from phonerouting import testing
from tests.emulators.http import (
    CLOSE_ID,
    LIST_PATHS,
    TRACE_ID,
    ULID,
    UUID4,
    client,
    item_path,
)
from tests.emulators.scenarios import PROVIDERS

providers = pytest.mark.parametrize("provider", PROVIDERS)


@providers
def test_request_log_records_method_path_query_headers_and_body(provider: str) -> None:
    emu = testing.emulator(provider, 2, seed=4)
    with client(emu, "wrong-key") as http:
        http.get(LIST_PATHS[provider], params={"limit": "5"})
    with client(emu) as http:
        http.put(item_path(provider, "some-id"), content=b"not json")
        http.patch(item_path(provider, "some-id"), json={"label": "x"})
    first, second, third = emu.requests
    base = testing.EMULATORS[provider].base_path
    assert (first.method, first.path, dict(first.query)) == (
        "GET",
        base + LIST_PATHS[provider],
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
    assert emu.count("GET", "phone") == 1
    assert emu.count("DELETE") == 0
    emu.clear_requests()
    assert emu.requests == []


@providers
def test_the_log_is_a_copy(provider: str) -> None:
    emu = testing.emulator(provider)
    with client(emu) as http:
        http.get(LIST_PATHS[provider])
    emu.requests.clear()
    assert len(emu.requests) == 1


def _snapshot(emu: testing.Emulator) -> list[tuple[object, str]]:
    numbers = emu.numbers  # type: ignore[attr-defined]
    return [(n.id, getattr(n, "phone_number", None) or n.number) for n in numbers.values()]


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
    from phonerouting.testing import agentmessage, close

    def listing() -> object:
        with client(testing.emulator(provider, 6, seed=9)) as http:
            return http.get(LIST_PATHS[provider]).json()

    first = listing()
    for module in (agentmessage, close):  # the emulators that stamp times
        monkeypatch.setattr(module, "now_iso", lambda: "2031-05-01T12:00:00.000Z")
    assert listing() == first


def test_the_same_seed_gives_the_same_e164_numbers_on_every_emulator() -> None:
    numbers = {p: [n for _, n in _snapshot(testing.emulator(p, 8, seed=5))] for p in PROVIDERS}
    assert len({tuple(v) for v in numbers.values()}) == 1
    assert numbers["close"] == testing.e164_numbers(8, 5)
    assert all(n.startswith("+1") and len(n) == 12 for n in numbers["close"])


@pytest.mark.parametrize(
    ("provider", "valid"),
    [
        ("linq-v2", lambda i: isinstance(i, int)),
        ("linq-v3", lambda i: UUID4.fullmatch(i) is not None),
        ("agentmessage", lambda i: UUID4.fullmatch(i) is not None),
        ("close", lambda i: CLOSE_ID.fullmatch(i) is not None),
    ],
)
def test_ids_are_vendor_shaped(provider: str, valid: object) -> None:
    ids = [i for i, _ in _snapshot(testing.emulator(provider, 5, seed=1))]
    assert all(valid(i) for i in ids)  # type: ignore[operator]
    if provider == "linq-v2":
        assert ids == [1001, 1002, 1003, 1004, 1005]


@providers
def test_populate_decides_how_many_numbers_route_somewhere(provider: str) -> None:
    def routed(emu: testing.Emulator) -> int:
        fields = ("forwarding_number", "forward_to", "inbound_url")
        return sum(
            any(getattr(n, f, None) for f in fields)
            for n in emu.numbers.values()  # type: ignore[attr-defined]
        )

    assert routed(testing.emulator(provider, 10, seed=1, populate=0.0)) == 0
    assert routed(testing.emulator(provider, 10, seed=1, populate=1.0)) == 10


@providers
def test_api_key_given_or_generated(provider: str) -> None:
    given = testing.emulator(provider, api_key="my-key")
    generated = testing.emulator(provider)
    prefix = {"linq-v2": "linq_", "linq-v3": "linq_", "agentmessage": "am_live_", "close": "api_"}
    assert given.api_key == "my-key"
    assert generated.api_key.startswith(prefix[provider])
    assert generated.api_key != testing.emulator(provider).api_key
    with client(given) as http:
        assert http.get(LIST_PATHS[provider]).status_code == 200


def test_linq_v3_sends_a_trace_id_on_every_response() -> None:
    emu = testing.emulator("linq-v3", 1)
    with client(emu) as http:
        responses = [
            http.get(LIST_PATHS["linq-v3"]),
            http.put(f"{LIST_PATHS['linq-v3']}/nope", json={}),
            http.get("/v9/elsewhere"),
        ]
    with client(emu, "bad") as http:
        responses.append(http.get(LIST_PATHS["linq-v3"]))
    traces = [r.headers["X-Trace-ID"] for r in responses]
    assert all(TRACE_ID.fullmatch(t) for t in traces)
    assert len(set(traces)) == len(traces)
    assert [r.json()["trace_id"] for r in responses[1:]] == traces[1:]


def test_agentmessage_sends_a_request_id_on_every_response() -> None:
    emu = testing.emulator("agentmessage", 1)
    number = next(iter(emu.numbers))  # type: ignore[attr-defined]
    with client(emu) as http:
        responses = [
            http.get(LIST_PATHS["agentmessage"]),
            http.get(item_path("agentmessage", number)),
            http.patch(item_path("agentmessage", number), json={"bogus": 1}),
        ]
    ids = [r.headers["X-Request-Id"] for r in responses]
    assert all(ULID.fullmatch(i) for i in ids)
    assert responses[2].json()["error"]["request_id"] == ids[2]


def test_unknown_paths_answer_the_vendors_404() -> None:
    emu = testing.emulator("close")
    with client(emu) as http:
        response = http.get("/nothing/here/")
    assert response.status_code == 404
    assert response.json() == {"error": "Empty query: PhoneNumber matching query does not exist."}


def test_an_unknown_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown provider 'nope'; choose one of: linq-v2"):
        testing.emulator("nope")
