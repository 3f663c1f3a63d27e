"""The cassettes themselves: complete, free of credentials, replayable anywhere.

Every file under ``cassettes/`` is scanned, live recordings included: for the keys used
at record time (and their HTTP Basic form), for any ``Bearer``/``Basic`` credential
other than the placeholder, and for strings shaped like the vendors' keys.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr  # type: ignore[import-untyped]
import yaml

import phonerouting as pr
from phonerouting import registry
from tests.cassettes import expected, vendors
from tests.cassettes.clients import list_all, open_client
from tests.cassettes.conftest import CASSETTES, CREDENTIAL_HEADERS, PLACEHOLDER, vcr_options
from tests.cassettes.scenarios import (
    BAD_KEYS,
    CREDENTIALS,
    PROVIDERS,
    RECORD_KEYS,
    SCENARIOS,
    replay_url,
)

_BEARER = re.compile(rf"\bBearer\s+(?!{PLACEHOLDER}\b)\S+")
_BASIC = re.compile(r"\bBasic\s+([A-Za-z0-9+/]{4,}={0,2})")
#: What a key of any provider looks like: its emulator's prefix, then 16 or more.
#: (A vendor whose keys have no prefix, Twilio's 32 hex digits, is found by its keys.)
_PREFIXES = sorted(
    {registry.emulator_class(p).key_prefix for p in PROVIDERS} - {""}  # type: ignore[union-attr]
)
_KEY_SHAPED = re.compile(rf"(?:{'|'.join(map(re.escape, _PREFIXES))})[0-9A-Za-z]{{16,}}")
_LIVE_KEY = re.compile(r"PHONEROUTING_LIVE_[A-Z0-9_]+_KEY")


def _known_keys() -> list[str]:
    """Every key this suite has ever used: the record-time keys, the 401 keys, and
    whatever real keys are in the environment right now."""
    keys = [*RECORD_KEYS.values(), *BAD_KEYS.values()]
    keys += [value for name, value in os.environ.items() if _LIVE_KEY.fullmatch(name) and value]
    return keys


def _basic_credential(token: str) -> bool:
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return ":" in decoded


def leaks(text: str, keys: list[str]) -> list[str]:
    """Everything in ``text`` that looks like a credential."""
    found = []
    for key in keys:
        basic = base64.b64encode(f"{key}:".encode()).decode()
        found += [f"key {key[:8]}…" for form in (key, basic) if form in text]
    found += [f"bearer {m.group(0)[:16]}…" for m in _BEARER.finditer(text)]
    found += [
        f"basic {m.group(1)[:8]}…" for m in _BASIC.finditer(text) if _basic_credential(m.group(1))
    ]
    found += [f"key-shaped {m.group(0)[:10]}…" for m in _KEY_SHAPED.finditer(text)]
    return found


def _all_cassettes() -> list[Path]:
    # Every file, whatever its serializer: a leak is a leak.
    return sorted(p for p in CASSETTES.rglob("*") if p.is_file())


def _headers(entry: dict[str, Any]) -> dict[str, list[str]]:
    return {name.lower(): values for name, values in entry.get("headers", {}).items()}


def test_every_scenario_has_its_cassette() -> None:
    # A provider with a profile but no cassette module is reported, not skipped.
    assert vendors.MISSING == (), (
        f"no cassettes for {', '.join(vendors.MISSING)}: record them and add "
        "tests/cassettes/vendors/<provider>.py"
    )
    for provider in PROVIDERS:
        recorded = {p.stem for p in (CASSETTES / provider).glob("*.yaml")}
        assert recorded == {*SCENARIOS, *vendors.own_scenarios(provider)}, provider


@pytest.mark.parametrize(
    "path", _all_cassettes(), ids=lambda p: str(p.relative_to(CASSETTES).with_suffix(""))
)
def test_no_credential_in_cassette(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert leaks(text, _known_keys()) == []
    assert path.suffix == ".yaml", "cassettes are YAML; scan any other serializer too"
    for interaction in yaml.safe_load(text)["interactions"]:
        request = _headers(interaction["request"])
        response = _headers(interaction["response"])
        assert request.get("authorization", []) in (
            [],
            [f"Bearer {PLACEHOLDER}"],
            [f"Basic {PLACEHOLDER}"],
        )
        for header in CREDENTIAL_HEADERS:
            if header != "authorization":
                assert request.get(header, []) in ([], [PLACEHOLDER])
        assert "cookie" not in request
        assert "set-cookie" not in response


@pytest.mark.parametrize(
    ("provider", "header", "value"),
    [(p, *vendors.vendor(p).CREDENTIAL_HEADER) for p in PROVIDERS],
)
def test_cassettes_keep_the_auth_scheme(provider: str, header: str, value: str) -> None:
    """Scrubbed, not dropped: each request still shows how the vendor authenticates."""
    for path in (CASSETTES / provider).glob("*.yaml"):
        for interaction in yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"]:
            assert _headers(interaction["request"])[header] == [value], path.name


@pytest.mark.parametrize(
    "leak",
    [
        RECORD_KEYS["linq-v3"],
        "Authorization: Basic " + base64.b64encode(f"{RECORD_KEYS['close']}:".encode()).decode(),
        "Bearer sk_something_else",
        "Basic " + base64.b64encode(b"anyone:secret").decode(),
        "am_live_" + "0123456789abcdef" * 2,
        "api_" + "4f9c2e1d7a6b5c3e8f0a",
        "x-linq-integration-token: linq_" + "ab" * 16,
    ],
)
def test_the_scan_finds_each_kind_of_leak(leak: str) -> None:
    assert leaks(f"headers:\n  h:\n  - {leak}\n", _known_keys())


def test_the_scan_passes_placeholders_and_prose() -> None:
    text = f"Bearer {PLACEHOLDER}\nBasic {PLACEHOLDER}\nBasic authentication failed; api_key\n"
    assert leaks(text, _known_keys()) == []


@pytest.mark.block_network
async def test_replay_ignores_scheme_host_and_port() -> None:
    """The recording server's address is not part of the match: a cassette replays
    under any base URL with the vendor's base path."""
    base_path = replay_url("close").split("47404", 1)[1]
    recorder = vcr.VCR()
    with recorder.use_cassette(str(CASSETTES / "close" / "list.yaml"), **vcr_options("none")):
        async with open_client(
            "async",
            "close",
            base_url=f"http://localhost:9{base_path}",
            **CREDENTIALS["close"],
        ) as client:
            assert await list_all(client) == expected.NUMBERS["close"]


@pytest.mark.block_network
async def test_replay_runs_with_the_network_blocked() -> None:
    """What keeps replay offline: with the network blocked, a request no cassette
    answers fails at once, sync or async, even to loopback."""
    url = replay_url("linq-v3") + "/v3/phone_numbers"
    with pytest.raises(RuntimeError, match="Network is disabled"):
        httpx.get(url)
    with pytest.raises(Exception) as caught:  # noqa: PT011 - anyio wraps it in a group
        async with httpx.AsyncClient() as client:
            await client.get(url)
    assert isinstance(caught.value, RuntimeError) or caught.group_contains(
        RuntimeError, match="Network is disabled"
    )
    sync = pr.connect("linq-v3", api_key=RECORD_KEYS["linq-v3"], base_url=replay_url("linq-v3"))
    with sync, pytest.raises(RuntimeError, match="Network is disabled"):
        list(sync.list_numbers())
