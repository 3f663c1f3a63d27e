"""Fixtures of the cassette suite: vcrpy's configuration, where each cassette lives,
and the emulator server behind a recording.

Replay (the default, and CI): record mode ``none``, network blocked, no emulator. Each
test's requests are answered from ``cassettes/<provider>/<scenario>.yaml``, matched on
method, path, query and JSON body; never on scheme, host or port, so the recording
server's port does not matter. The sync and the async variant of a test replay the same
cassette.

Recording from the emulators (deterministic; see README "Cassettes")::

    PHONEROUTING_RECORD=1 .venv/bin/pytest tests/cassettes --record-mode=rewrite

Only the sync variant records (pytest runs it first); the async variant then replays
what it just recorded.
The ``live`` tests record into ``cassettes/<provider>/live/`` from the real vendor
when ``PHONEROUTING_LIVE_<PROVIDER>_KEY`` is set (see test_live.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.cassettes import scenarios
from tests.cassettes.vendors import vendor

ROOT = Path(__file__).resolve().parents[2]
CASSETTES = ROOT / "cassettes"
#: What every credential header holds in a cassette (after the scheme, if any).
PLACEHOLDER = "REDACTED"
#: The request headers that carry credentials, in any provider (each vendor module's
#: ``CREDENTIAL_HEADER``).
CREDENTIAL_HEADERS = tuple(
    sorted({vendor(p).CREDENTIAL_HEADER[0] for p in scenarios.PROVIDERS} | {"authorization"})
)


def _cli_record_mode(config: pytest.Config) -> str:
    return config.getoption("--record-mode") or "none"


def _recording_emulators(config: pytest.Config) -> bool:
    return os.environ.get("PHONEROUTING_RECORD") == "1" and _cli_record_mode(config) != "none"


def pytest_configure(config: pytest.Config) -> None:
    """Refuse half a recording command: each half alone would silently do nothing."""
    if os.environ.get("PHONEROUTING_RECORD") == "1" and _cli_record_mode(config) == "none":
        raise pytest.UsageError(
            "PHONEROUTING_RECORD=1 records the cassettes from the emulators only with "
            "--record-mode=rewrite (or once/new_episodes/all)"
        )


def live_env(provider: str, what: str) -> str | None:
    """``PHONEROUTING_LIVE_<PROVIDER>_<WHAT>``, e.g. ``PHONEROUTING_LIVE_LINQ_V3_KEY``."""
    name = f"PHONEROUTING_LIVE_{provider.upper().replace('-', '_')}_{what}"
    return os.environ.get(name) or None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A live test uses a cassette only when this run records and its key is set;
    otherwise it talks to the real vendor directly (a cassette in mode none would
    replay instead), or skips. Without its key it must not even open its cassette:
    rewrite mode deletes the cassette it opens."""
    if _cli_record_mode(config) == "none":
        return
    here = Path(__file__).parent
    for item in items:
        if item.get_closest_marker("live") is None or here not in Path(item.path).parents:
            continue
        callspec = getattr(item, "callspec", None)
        provider = callspec.params.get("provider") if callspec is not None else None
        if provider is not None and live_env(provider, "KEY") is not None:
            item.add_marker(pytest.mark.vcr)


def _placeholder(key: str, value: str, request: Any) -> str:
    del request
    scheme, space, _ = value.partition(" ")
    if key.lower() == "authorization" and space:
        return f"{scheme} {PLACEHOLDER}"  # keep "Bearer" / "Basic": it shows the auth kind
    return PLACEHOLDER


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    # A real vendor may set session cookies; they are credentials too.
    headers = response.get("headers", {})
    for name in [n for n in headers if n.lower() == "set-cookie"]:
        del headers[name]
    return response


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Which client replays the cassette: ``pr.connect`` or ``pr.connect_async``."""
    return str(request.param)


def _is_live(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("live") is not None


def _empty_body(request: Any) -> Any:
    # vcrpy's aiohttp stub (the async client's default stack) sees a request without a
    # body as None, its httpx stub as b"": the same request, so they match alike.
    if request.body is None:
        request.body = b""
    return request


def vcr_options(record_mode: str) -> dict[str, Any]:
    """The options of every cassette: credentials scrubbed before anything is written,
    requests matched on what the client chose to send (method, path, query, JSON body;
    vcrpy compares JSON bodies decoded, and no body as an empty one), never on scheme,
    host or port."""
    return {
        "record_mode": record_mode,
        "match_on": ("method", "path", "query", "body"),
        "filter_headers": [
            *((name, _placeholder) for name in CREDENTIAL_HEADERS),
            ("cookie", None),
        ],
        "before_record_request": _empty_body,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
    }


def _params(request: pytest.FixtureRequest) -> dict[str, Any]:
    callspec = getattr(request.node, "callspec", None)
    return dict(callspec.params) if callspec is not None else {}


@pytest.fixture
def vcr_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """pytest-recording's configuration: replay (mode ``none``) unless this run records,
    and then only the sync variant records; the async one replays it."""
    mode = _params(request).get("mode")
    cli_mode = _cli_record_mode(request.config)
    records = _is_live(request) or _recording_emulators(request.config)
    return vcr_options(cli_mode if records and mode == "sync" else "none")


@pytest.fixture
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``cassettes/<provider>/``, or ``cassettes/<provider>/live/`` for live tests."""
    provider = _params(request).get("provider")
    if provider is None:
        return str(CASSETTES)  # a test without a cassette: pytest-recording asks anyway
    folder = CASSETTES / provider
    return str(folder / "live" if _is_live(request) else folder)


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """The scenario: ``test_list`` records ``list.yaml``, and so does ``test_live_list``
    (in the provider's ``live/`` folder)."""
    return str(request.node.originalname).removeprefix("test_").removeprefix("live_")


@pytest.fixture(autouse=True)
def _replayed_everything(vcr: Any) -> Iterator[None]:
    """A replay must use every recorded exchange: the async client sends exactly the
    requests the sync client recorded, no fewer."""
    yield
    if vcr is not None and vcr.record_mode == "none":
        unplayed = [
            f"{r.method} {r.path}" for i, r in enumerate(vcr.requests) if not vcr.play_counts[i]
        ]
        assert vcr.all_played, f"recorded but not replayed: {unplayed}"


@attrs.frozen
class Target:
    """Where a test's client points: the recording emulator, or nowhere (replay)."""

    provider: str
    base_url: str
    #: The connect arguments: the recording key, and what else the provider needs.
    credentials: dict[str, str]


@pytest.fixture
def target(
    request: pytest.FixtureRequest, provider: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Target]:
    """In replay, the URL the recording server had (nothing listens; the cassette
    answers). When recording, a freshly seeded emulator set up for the test's scenario."""
    scenario = str(request.node.originalname).removeprefix("test_")
    credentials = scenarios.CREDENTIALS[provider]
    if _recording_emulators(request.config) and mode == "sync":
        scenarios.make_deterministic(monkeypatch)
        with scenarios.recording_server(provider, scenario) as base_url:
            yield Target(provider, base_url, credentials)
    else:
        yield Target(provider, scenarios.replay_url(provider), credentials)
