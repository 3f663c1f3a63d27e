"""Credentials per provider, with `tests.pair_provider` (an account id that is not a
secret, a token that is): given by name or read from each one's variable, checked
before any request, the secret one scrubbed on its own and in its Basic form, the
identifier left alone; the accounts file takes each by name. Form-encoded bodies go
through the core, the in-process transport and the HTTP server alike."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import phonerouting as pr
from phonerouting import registry, testing
from phonerouting.accounts import load_accounts, resolve_account
from tests.pair_provider import ACCOUNT_ENV, TOKEN_ENV, PairAdapter, PairEmulator

TOKEN = "pair_token_0123456789abcdef"
ACCOUNT = PairEmulator.account_id


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent, got {request.method} {request.url}")


@pytest.fixture
def emu(monkeypatch: pytest.MonkeyPatch) -> Iterator[PairEmulator]:
    pr.register_provider("pair", PairAdapter, emulator=PairEmulator)
    monkeypatch.delenv(ACCOUNT_ENV, raising=False)
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    try:
        made = testing.emulator("pair", 2, seed=1, api_key=TOKEN)
        assert isinstance(made, PairEmulator)
        yield made
    finally:
        registry._unregister("pair")


def _basic(account: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{account}:{token}".encode()).decode()


def test_the_four_keep_one_api_key() -> None:
    keyed = [p for p in pr.PROVIDERS if not registry.adapter_for(p).credentials]
    assert {"linq-v2", "linq-v3", "agentmessage", "close"} <= set(keyed)
    for provider in keyed:
        (spec,) = registry.adapter_for(provider).credential_specs()
        assert (spec.name, spec.secret) == ("api_key", True)
        assert spec.env == registry.adapter_for(provider).api_key_env


def test_credentials_by_name_build_the_auth_header(emu: PairEmulator) -> None:
    with pr.connect("pair", account_id=ACCOUNT, token=TOKEN, transport=emu.transport()) as client:
        numbers = list(client.list_numbers())
    assert len(numbers) == 2
    assert emu.requests[-1].headers["authorization"] == _basic(ACCOUNT, TOKEN)


def test_each_credential_is_read_from_its_variable_and_arguments_win(
    emu: PairEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ACCOUNT_ENV, ACCOUNT)
    monkeypatch.setenv(TOKEN_ENV, "pair_token_from_the_environment")
    with pr.connect("pair", token=TOKEN, transport=emu.transport()) as client:
        list(client.list_numbers())
    assert emu.requests[-1].headers["authorization"] == _basic(ACCOUNT, TOKEN)


@pytest.mark.parametrize("factory", [pr.connect, pr.connect_async])
def test_a_missing_credential_names_it_and_its_variable(
    emu: PairEmulator, monkeypatch: pytest.MonkeyPatch, factory: object
) -> None:
    del emu
    with pytest.raises(pr.ConfigurationError) as caught:
        factory("pair", token=TOKEN)  # type: ignore[operator]
    assert caught.value.message == (
        f"no account id for pair: pass account_id= or set the {ACCOUNT_ENV} environment variable"
    )
    monkeypatch.setenv(ACCOUNT_ENV, ACCOUNT)
    with pytest.raises(pr.ConfigurationError) as caught:
        factory("pair")  # type: ignore[operator]
    assert caught.value.message == (
        f"no auth token for pair: pass token= or set the {TOKEN_ENV} environment variable"
    )


def test_an_unknown_credential_is_named(emu: PairEmulator) -> None:
    del emu
    with pytest.raises(pr.ConfigurationError) as caught:
        pr.connect("pair", account_id=ACCOUNT, token=TOKEN, api_key="k")
    assert caught.value.message == "pair takes no credential 'api_key'; it takes: account_id, token"
    with pytest.raises(pr.ConfigurationError, match="close takes no credential 'token'"):
        pr.connect("close", api_key="close-key-1", token=TOKEN)


def test_each_credential_is_validated_and_a_secret_never_quoted(emu: PairEmulator) -> None:
    del emu
    with pytest.raises(pr.ConfigurationError) as caught:
        pr.connect("pair", account_id="XX12", token=TOKEN, transport=httpx.MockTransport(refuse))
    assert caught.value.message == (
        "account_id is not a well-formed account id (like AC0123abcd); not 'XX12'"
    )
    with pytest.raises(pr.ConfigurationError) as caught:
        pr.connect("pair", account_id=ACCOUNT, token="pair token")
    assert caught.value.message == (
        "token contains whitespace or control characters; check how it was read"
    )
    assert "pair token" not in str(caught.value)


def test_the_secret_is_scrubbed_alone_and_in_its_basic_form_the_id_is_not(
    emu: PairEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="phonerouting")
    client = pr.connect(
        "pair", account_id=ACCOUNT, token=TOKEN, transport=emu.transport(), max_retries=0
    )
    with client, pytest.raises(pr.NotFoundError) as caught:
        client.get_number("PN999")
    # The emulator echoes the Authorization header into its error message.
    assert emu.requests[-1].headers["authorization"] == _basic(ACCOUNT, TOKEN)
    shown = [str(caught.value), repr(caught.value), caught.value.describe(cli=True), repr(client)]
    shown += [r.getMessage() for r in caplog.records]
    for text in shown:
        assert TOKEN not in text
        assert _basic(ACCOUNT, TOKEN).partition(" ")[2] not in text
    assert "[REDACTED]" in caught.value.message
    assert client._core.secrets == tuple(
        sorted({TOKEN, _basic(ACCOUNT, TOKEN), _basic(ACCOUNT, TOKEN)[6:]}, key=len, reverse=True)
    )
    assert ACCOUNT not in client._core.secrets


def test_a_form_body_goes_out_form_encoded_in_process_and_over_http(emu: PairEmulator) -> None:
    for transport, base_url in ((emu.transport(), None), (None, "serve")):
        if base_url is None:
            client = pr.connect("pair", account_id=ACCOUNT, token=TOKEN, transport=transport)
            context = client
        else:
            serving = emu.serve()
            url = serving.__enter__()
            client = pr.connect("pair", account_id=ACCOUNT, token=TOKEN, base_url=url)
            context = client
        try:
            with context:
                after = client.update_routing("PN1", pr.RoutingUpdate(label="Front desk & co"))
                assert after.label == "Front desk & co"
                cleared = client.update_routing("PN1", pr.RoutingUpdate(label=pr.CLEAR))
                assert cleared.label is None
        finally:
            if base_url is not None:
                serving.__exit__(None, None, None)
        sent = [r for r in emu.requests if r.method == "POST"][-2:]
        assert [r.body for r in sent] == [b"FriendlyName=Front+desk+%26+co", b"FriendlyName="]
        assert [r.form for r in sent] == [{"FriendlyName": "Front desk & co"}, {"FriendlyName": ""}]
        assert [r.json for r in sent] == [None, None]
        assert {r.headers["content-type"] for r in sent} == {"application/x-www-form-urlencoded"}
        emu.clear_requests()


async def test_a_form_body_goes_out_form_encoded_async(emu: PairEmulator) -> None:
    with emu.serve() as url:
        for options in ({"base_url": url}, {"transport": emu.async_transport()}):
            async with pr.connect_async(
                "pair", account_id=ACCOUNT, token=TOKEN, **options
            ) as client:
                after = await client.update_routing("PN2", pr.RoutingUpdate(label="Back office"))
            assert after.label == "Back office"
            (sent,) = [r for r in emu.requests if r.method == "POST"]
            assert (sent.body, sent.form) == (
                b"FriendlyName=Back+office",
                {"FriendlyName": "Back office"},
            )
            assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
            emu.clear_requests()


def test_a_request_is_json_or_form_not_both() -> None:
    from phonerouting.adapters.base import Request

    with pytest.raises(ValueError, match="not both"):
        Request("POST", "/x", json={"a": 1}, form={"a": "1"})


def test_an_api_key_keeps_key_env_as_its_only_variable(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text('[accounts.crm]\nprovider = "close"\napi_key_env = "CLOSE_KEY_PROD"\n')
    with pytest.raises(pr.ConfigurationError) as caught:
        load_accounts(path)
    assert caught.value.message == (
        f"{path}: [accounts.crm] has unknown keys ['api_key_env']; allowed: provider, "
        "key_env, base_url, timeout, max_retries (keys go in the environment, never here)"
    )


def _accounts(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text('[accounts.prod]\nprovider = "pair"\n' + body)
    return path


def test_an_account_takes_each_credential_by_name(
    emu: PairEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAIR_TOKEN_PROD", TOKEN)
    path = _accounts(tmp_path, f'account_id = "{ACCOUNT}"\ntoken_env = "PAIR_TOKEN_PROD"\n')
    account = load_accounts(path)["prod"]
    assert account.key_env == "PAIR_TOKEN_PROD"
    assert account.credentials() == {"account_id": ACCOUNT, "token": TOKEN}
    with account.connect(transport=emu.transport()) as client:
        assert len(list(client.list_numbers())) == 2

    monkeypatch.setenv("PAIR_SID_PROD", ACCOUNT)
    path = _accounts(tmp_path, 'account_id_env = "PAIR_SID_PROD"\nkey_env = "PAIR_TOKEN_PROD"\n')
    assert load_accounts(path)["prod"].credentials() == {"account_id": ACCOUNT, "token": TOKEN}
    # Named by its provider, an account reads each credential's own variable.
    monkeypatch.setenv(ACCOUNT_ENV, ACCOUNT)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    assert resolve_account("pair", path).credentials() == {"account_id": ACCOUNT, "token": TOKEN}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (f'token = "{TOKEN}"\n', "has unknown keys ['token']; allowed: provider, key_env"),
        ('account_id_env = "pair_sid"\n', "account_id_env is not an environment variable name"),
        ('token_env = "A"\nkey_env = "B"\n', "has both key_env and token_env; keep one"),
        (f'account_id = "{ACCOUNT}"\naccount_id_env = "X"\n', "has both account_id and"),
        ("account_id = 3\n", "account_id must be a non-empty string"),
    ],
)
def test_an_account_refuses(emu: PairEmulator, tmp_path: Path, body: str, message: str) -> None:
    del emu
    with pytest.raises(pr.ConfigurationError) as caught:
        load_accounts(_accounts(tmp_path, body))
    assert message in caught.value.message
    assert TOKEN not in str(caught.value)


def test_an_account_names_the_variable_at_fault(
    emu: PairEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    del emu
    path = _accounts(tmp_path, 'account_id_env = "PAIR_SID_PROD"\ntoken_env = "PAIR_TOKEN_PROD"\n')
    account = load_accounts(path)["prod"]
    monkeypatch.setenv("PAIR_TOKEN_PROD", TOKEN)
    with pytest.raises(pr.ConfigurationError) as caught:
        account.connect(transport=httpx.MockTransport(refuse))
    assert "reads its account id from the PAIR_SID_PROD environment variable" in str(caught.value)
    monkeypatch.setenv("PAIR_SID_PROD", "nope")
    with pytest.raises(pr.ConfigurationError) as caught:
        account.connect(transport=httpx.MockTransport(refuse))
    assert caught.value.message.endswith(
        ": the account id in PAIR_SID_PROD is not a well-formed account id (like AC0123abcd); "
        "not 'nope'"
    )
    assert (
        caught.value.hint
        == "Fix the value of PAIR_SID_PROD in the environment; no request was sent."
    )


def test_the_contract_tests_read_form_bodies(emu: PairEmulator) -> None:
    from tests.contract.openapi_contract import add_document, decode_body, validate_request
    from tests.contract.test_emulators_contract import ContractTransport

    add_document("pair", Path(__file__).resolve().parents[1] / "pair_contract")
    url = "https://api.pair.example/v1/numbers/PN1"
    basic = {"Authorization": _basic(ACCOUNT, TOKEN)}
    validate_request("pair", "POST", url, headers=basic, form_body={"FriendlyName": "Desk"})
    with pytest.raises(AssertionError, match="documents no JSON request body"):
        validate_request("pair", "POST", url, {"FriendlyName": "Desk"})
    with pytest.raises(AssertionError, match="Unknown"):
        validate_request("pair", "POST", url, form_body={"Unknown": "x"})
    assert decode_body({"Content-Type": "application/x-www-form-urlencoded"}, b"A=1&B=") == (
        None,
        {"A": "1", "B": ""},
    )

    # The adapter's requests and the emulator's answers, checked on the way through.
    checked = ContractTransport("pair", emu.transport())
    with pr.connect("pair", account_id=ACCOUNT, token=TOKEN, transport=checked) as client:
        client.update_routing("PN1", pr.RoutingUpdate(label="Desk"))
        client.update_routing("PN1", pr.RoutingUpdate(label=pr.CLEAR))
        list(client.list_numbers())
    assert checked.checked == 3
