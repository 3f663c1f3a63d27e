"""Adapters built per account, and providers that take one of two kinds of credentials.

``keyed`` (defined here, on `tests.pair_provider`) is shaped like Twilio: its account id
goes in every path, so its adapter is built per account from the account's non-secret
settings; it authenticates with the account id and a token, or with a key id and its
secret (the account id still naming the account). The four built-in vendors keep their
one shared adapter and their one ``api_key``.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

import phonerouting as pr
from phonerouting import registry, testing
from phonerouting.accounts import load_accounts
from phonerouting.adapters.base import Adapter, Credential, Request
from phonerouting.testing.wire import EmuRequest, EmuResponse
from tests.pair_provider import PairAdapter, PairEmulator

ACCOUNT = "AC0123abcd"
OTHER = "AC9999ffff"
TOKEN = "keyed_token_0123456789abcdef"
KEY, KEY_SECRET = "SK0011aabb", "keyed_secret_fedcba9876543210"
ENVS = ("KEYED_ACCOUNT", "KEYED_TOKEN", "KEYED_KEY", "KEYED_SECRET")


class KeyedAdapter(PairAdapter):
    """`PairAdapter` under ``/Accounts/{account_id}``, with a key as a second kind."""

    name: ClassVar[str] = "keyed"
    api_key_env: ClassVar[str] = "KEYED_TOKEN"
    credentials: ClassVar[tuple[Credential, ...]] = (
        Credential("account_id", "KEYED_ACCOUNT", secret=False, pattern=r"AC[0-9a-f]{8}"),
        Credential("token", "KEYED_TOKEN", label="auth token"),
        Credential("key_id", "KEYED_KEY", secret=False, label="key id", pattern=r"SK[0-9a-f]{8}"),
        Credential("key_secret", "KEYED_SECRET", label="key secret"),
    )
    credential_sets: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("account_id", "token"),
        ("account_id", "key_id", "key_secret"),
    )

    def __init__(self, account_id: str | None = None) -> None:
        self.account_id = account_id

    def for_account(self, settings: Mapping[str, str]) -> Adapter:
        return KeyedAdapter(settings["account_id"])

    def authenticate(self, credentials: Mapping[str, str]) -> dict[str, str]:
        user = credentials.get("key_id", credentials["account_id"])
        secret = credentials.get("key_secret", credentials.get("token"))
        pair = f"{user}:{secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def _under(self, request: Request) -> Request:
        assert self.account_id is not None, "only an account's adapter builds requests"
        path = f"/Accounts/{self.account_id}{request.path}"
        return Request(request.method, path, request.params, request.json, form=request.form)

    def list_request(self) -> Request:
        return self._under(super().list_request())

    def get_request(self, number_id: str) -> Request:
        return self._under(super().get_request(number_id))

    def update_requests(self, number_id: str, update: pr.RoutingUpdate) -> list[Request]:
        return [self._under(r) for r in super().update_requests(number_id, update)]


class KeyedEmulator(PairEmulator):
    """`PairEmulator` answering under ``/Accounts/{account_id}`` to either kind."""

    provider: ClassVar[str] = "keyed"
    key_prefix: ClassVar[str] = "keyed_token_"
    account_id = ACCOUNT

    def authenticate(self, request: EmuRequest) -> EmuResponse | None:
        self.last_auth = request.headers.get("authorization", "")
        good = {(self.account_id, self.api_key), (KEY, KEY_SECRET)}
        allowed = {"Basic " + base64.b64encode(f"{u}:{p}".encode()).decode() for u, p in good}
        return None if self.last_auth in allowed else self.error(401, "bad credentials")

    def route(self, request: EmuRequest) -> EmuResponse:
        prefix = f"/Accounts/{self.account_id}"
        if not request.path.startswith(prefix + "/"):
            return self.error(404, f"no account at {request.path}")
        inner = EmuRequest(
            request.method,
            request.path[len(prefix) :],
            request.query,
            request.headers,
            request.body,
        )
        return super().route(inner)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent, got {request.method} {request.url}")


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyedEmulator]:
    pr.register_provider("keyed", KeyedAdapter, emulator=KeyedEmulator)
    for name in ENVS:
        monkeypatch.delenv(name, raising=False)
    try:
        made = testing.emulator("keyed", 2, seed=1, api_key=TOKEN)
        assert isinstance(made, KeyedEmulator)
        yield made
    finally:
        registry._unregister("keyed")


def test_the_four_share_one_adapter_per_provider() -> None:
    # Those that declare no credentials of their own: the four of before.
    for provider in [p for p in pr.PROVIDERS if not registry.adapter_for(p).credentials]:
        shared = registry.adapter_for(provider)
        with pr.connect(provider, api_key="k" * 20, transport=httpx.MockTransport(refuse)) as c:
            assert c.adapter is shared


def test_each_account_gets_its_own_adapter_its_id_in_every_path(emu: KeyedEmulator) -> None:
    with pr.connect("keyed", account_id=ACCOUNT, token=TOKEN, transport=emu.transport()) as one:
        assert isinstance(one.adapter, KeyedAdapter)
        assert one.adapter.account_id == ACCOUNT
        numbers = list(one.list_numbers())
        after = one.update_routing(numbers[0].id, pr.RoutingUpdate(label="Desk"))
    assert after.label == "Desk"
    assert [(r.method, r.path) for r in emu.requests] == [
        ("GET", f"/v1/Accounts/{ACCOUNT}/numbers"),
        ("POST", f"/v1/Accounts/{ACCOUNT}/numbers/{numbers[0].id}"),
    ]
    # Another account's client builds its own paths; the shared adapter is untouched.
    emu.clear_requests()
    two = pr.connect("keyed", account_id=OTHER, token=TOKEN, transport=emu.transport())
    with two, pytest.raises(pr.AuthenticationError):  # the emulator knows one account
        two.get_number("PN1")
    assert [r.path for r in emu.requests] == [f"/v1/Accounts/{OTHER}/numbers/PN1"]
    shared = registry.adapter_for("keyed")
    assert isinstance(shared, KeyedAdapter)
    assert shared.account_id is None


def test_the_adapter_built_for_an_account_must_be_the_providers() -> None:
    class Stray(KeyedAdapter):
        name: ClassVar[str] = "stray"

        def for_account(self, settings: Mapping[str, str]) -> Adapter:
            return PairAdapter()

    pr.register_provider("stray", Stray)
    try:
        with pytest.raises(pr.ConfigurationError) as caught:
            pr.connect("stray", account_id=ACCOUNT, token=TOKEN)
        assert caught.value.message.startswith(
            "the adapter of provider 'stray' built for an account must be an Adapter named "
            "'stray', not <tests.pair_provider.PairAdapter"
        )
    finally:
        registry._unregister("stray")


def _sent_auth(emu: KeyedEmulator, **given: Any) -> str:
    with pr.connect("keyed", transport=emu.transport(), **given) as client:
        list(client.list_numbers())
    return emu.requests[-1].headers["authorization"]


def test_the_token_wins_in_the_environment_what_is_given_wins_over_it(
    emu: KeyedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYED_ACCOUNT", ACCOUNT)
    monkeypatch.setenv("KEYED_KEY", KEY)
    monkeypatch.setenv("KEYED_SECRET", KEY_SECRET)
    assert _sent_auth(emu) == _basic(KEY, KEY_SECRET)
    monkeypatch.setenv("KEYED_TOKEN", TOKEN)
    # Both kinds in the environment: the first set, the token, is used.
    assert _sent_auth(emu) == _basic(ACCOUNT, TOKEN)
    # Given as arguments, the key wins over the token in the environment.
    assert _sent_auth(emu, key_id=KEY, key_secret=KEY_SECRET) == _basic(KEY, KEY_SECRET)
    assert _sent_auth(emu, key_secret=KEY_SECRET) == _basic(KEY, KEY_SECRET)
    assert _sent_auth(emu, account_id=ACCOUNT) == _basic(ACCOUNT, TOKEN)


@pytest.mark.parametrize("factory", [pr.connect, pr.connect_async])
def test_a_missing_credential_names_it_and_the_other_kind(
    emu: KeyedEmulator, monkeypatch: pytest.MonkeyPatch, factory: Any
) -> None:
    del emu
    with pytest.raises(pr.ConfigurationError) as caught:
        factory("keyed", token=TOKEN)
    assert caught.value.message == (
        # Both kinds need the account id: there is no other way to name.
        "no account_id for keyed: pass account_id= or set the KEYED_ACCOUNT environment variable"
    )
    monkeypatch.setenv("KEYED_ACCOUNT", ACCOUNT)
    with pytest.raises(pr.ConfigurationError) as caught:
        factory("keyed")
    assert caught.value.message == (
        "no auth token for keyed: pass token= or set the KEYED_TOKEN environment variable; "
        "or instead key_id= (KEYED_KEY) and key_secret= (KEYED_SECRET)"
    )
    # A key id given asks for its secret, not for a token.
    with pytest.raises(pr.ConfigurationError) as caught:
        factory("keyed", key_id=KEY)
    assert caught.value.message == (
        "no key secret for keyed: pass key_secret= or set the KEYED_SECRET environment "
        "variable; or instead token= (KEYED_TOKEN)"
    )


def test_two_kinds_given_at_once_are_refused(emu: KeyedEmulator) -> None:
    del emu
    with pytest.raises(pr.ConfigurationError) as caught:
        pr.connect("keyed", account_id=ACCOUNT, token=TOKEN, key_id=KEY, key_secret=KEY_SECRET)
    assert caught.value.message == (
        "keyed takes account_id, token; or account_id, key_id, key_secret; not account_id, "
        "key_id, key_secret, token together"
    )
    for text in (str(caught.value), repr(caught.value)):
        assert TOKEN not in text
        assert KEY_SECRET not in text


def test_only_the_chosen_kind_is_checked(
    emu: KeyedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A malformed key id in the environment does not matter while the token is used...
    monkeypatch.setenv("KEYED_KEY", "not-a-key")
    assert _sent_auth(emu, account_id=ACCOUNT, token=TOKEN) == _basic(ACCOUNT, TOKEN)
    # ...and is named once the key is.
    with pytest.raises(pr.ConfigurationError) as caught:
        pr.connect("keyed", account_id=ACCOUNT, key_secret=KEY_SECRET)
    assert caught.value.message == "key_id is not a well-formed key id; not 'not-a-key'"


def test_each_secret_is_scrubbed_on_its_own_ids_are_not(
    emu: KeyedEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="phonerouting")
    client = pr.connect(
        "keyed",
        account_id=ACCOUNT,
        key_id=KEY,
        key_secret=KEY_SECRET,
        transport=emu.transport(),
        max_retries=0,
    )
    with client, pytest.raises(pr.NotFoundError) as caught:
        client.get_number("PN999")
    basic = _basic(KEY, KEY_SECRET)
    assert emu.requests[-1].headers["authorization"] == basic  # echoed in the error body
    shown = [str(caught.value), repr(caught.value), caught.value.describe(cli=True), repr(client)]
    shown += [r.getMessage() for r in caplog.records]
    for text in shown:
        assert KEY_SECRET not in text
        assert basic[6:] not in text
    assert client._core.secrets == tuple(
        sorted({KEY_SECRET, basic, basic[6:]}, key=len, reverse=True)
    )
    assert "[REDACTED]" in caught.value.message
    assert KEY not in client._core.secrets
    assert ACCOUNT not in client._core.secrets


def _accounts(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text('[accounts.prod]\nprovider = "keyed"\n' + body)
    return path


def test_an_account_picks_the_kind_its_entry_names(
    emu: KeyedEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYED_TOKEN", TOKEN)  # the provider's default variable
    monkeypatch.setenv("KEYED_SECRET_PROD", KEY_SECRET)
    body = f'account_id = "{ACCOUNT}"\nkey_id = "{KEY}"\nkey_secret_env = "KEYED_SECRET_PROD"\n'
    account = load_accounts(_accounts(tmp_path, body))["prod"]
    assert account.credentials() == {"account_id": ACCOUNT, "key_id": KEY, "key_secret": KEY_SECRET}
    with account.connect(transport=emu.transport()) as client:
        assert len(list(client.list_numbers())) == 2
    assert emu.requests[-1].headers["authorization"] == _basic(KEY, KEY_SECRET)
    assert emu.requests[-1].path == f"/v1/Accounts/{ACCOUNT}/numbers"

    # An entry naming only the account reads the token from its default variable.
    account = load_accounts(_accounts(tmp_path, f'account_id = "{ACCOUNT}"\n'))["prod"]
    assert account.credentials() == {"account_id": ACCOUNT, "token": TOKEN}
    monkeypatch.setenv("KEYED_TOKEN_PROD", TOKEN + "2")
    body = f'account_id = "{ACCOUNT}"\ntoken_env = "KEYED_TOKEN_PROD"\n'
    account = load_accounts(_accounts(tmp_path, body))["prod"]
    assert account.credentials() == {"account_id": ACCOUNT, "token": TOKEN + "2"}


def test_an_account_names_the_variable_of_the_kind_it_chose(
    emu: KeyedEmulator, tmp_path: Path
) -> None:
    del emu
    body = f'account_id = "{ACCOUNT}"\nkey_id = "{KEY}"\nkey_secret_env = "KEYED_SECRET_PROD"\n'
    path = _accounts(tmp_path, body)
    with pytest.raises(pr.ConfigurationError) as caught:
        load_accounts(path)["prod"].connect(transport=httpx.MockTransport(refuse))
    assert caught.value.message == (
        f"account 'prod' ([accounts.prod] in {path}) reads its key secret from the "
        "KEYED_SECRET_PROD environment variable, which is not set or empty"
    )
    assert caught.value.hint == "Set KEYED_SECRET_PROD in the environment; no request was sent."


def test_an_account_entry_allows_each_credential_by_name(
    emu: KeyedEmulator, tmp_path: Path
) -> None:
    del emu
    with pytest.raises(pr.ConfigurationError) as caught:
        load_accounts(_accounts(tmp_path, 'key_secret = "inline"\n'))
    allowed = re.escape(
        "allowed: provider, key_env, base_url, timeout, max_retries, account_id_env, "
        "account_id, token_env, key_id_env, key_id, key_secret_env"
    )
    assert re.search(allowed, caught.value.message)
    assert "inline" not in caught.value.message.replace("'key_secret'", "")
