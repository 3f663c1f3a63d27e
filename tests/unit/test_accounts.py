"""The accounts file: validated settings, errors that name the file and the account, and
never a word of a value that may be a key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import phonerouting as pr
from phonerouting.accounts import Account, load_accounts, resolve_account

CANARY = "sk_live_CANARY123456789"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text(body, encoding="utf-8")
    return path


def everything_said(error: pr.RoutingError) -> str:
    return " ".join(
        (str(error), repr(error), error.describe(cli=True), error.hint, error.cli_hint or "")
    )


@pytest.mark.parametrize(
    "value", [CANARY, "linq_oldkey", "1OLDKEY", "MY-OLDKEY", "Q" * 129, "OLDKEY\n", ""]
)
def test_a_key_env_that_is_no_variable_name_is_refused_unquoted(tmp_path: Path, value: str) -> None:
    # A JSON string is a TOML basic string.
    path = write(tmp_path, f'[accounts.old]\nprovider = "linq-v2"\nkey_env = {json.dumps(value)}\n')
    with pytest.raises(pr.ConfigurationError) as caught:
        load_accounts(path)
    error = caught.value
    assert error.message == (
        f"{path}: [accounts.old]: key_env is not an environment variable name (upper-case "
        "letters, digits and _, not starting with a digit); its value is not shown, in case "
        "it is a key"
    )
    if value:
        assert value.strip() not in everything_said(error)
    assert "revoke it" in error.hint


def test_the_canary_never_shows_even_when_built_by_hand() -> None:
    with pytest.raises(pr.ConfigurationError) as caught:
        Account("old", "linq-v2", CANARY)
    assert CANARY not in everything_said(caught.value)
    assert caught.value.message.startswith("account 'old': key_env is not an environment")


def test_a_conventional_name_is_accepted_and_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[accounts.old]\nprovider = "linq-v2"\nkey_env = "_OLD_TOKEN_2"\n')
    (account,) = load_accounts(path).values()
    assert account.key_env == "_OLD_TOKEN_2"
    monkeypatch.delenv("_OLD_TOKEN_2", raising=False)
    with pytest.raises(pr.ConfigurationError) as caught:
        account.api_key()
    assert caught.value.message == (
        f"account 'old' ([accounts.old] in {path}) reads its API key from the _OLD_TOKEN_2 "
        "environment variable, which is not set or empty"
    )
    monkeypatch.setenv("_OLD_TOKEN_2", "tok_123456789")
    assert account.api_key() == "tok_123456789"


def test_a_provider_default_account_does_not_repeat_its_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LINQ_API_V3_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHONEROUTING_CONFIG", raising=False)
    with pytest.raises(pr.ConfigurationError) as caught:
        resolve_account("linq-v3").api_key()
    assert str(caught.value) == (
        "linq-v3: the API key is read from the LINQ_API_V3_API_KEY environment variable, "
        "which is not set or empty. Set LINQ_API_V3_API_KEY in the environment; no request "
        "was sent."
    )


def test_timeout_and_max_retries_per_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path,
        '[accounts.slow]\nprovider = "close"\nkey_env = "SLOW_KEY"\ntimeout = 30\n'
        "max_retries = 5\n"
        '[accounts.plain]\nprovider = "close"\nkey_env = "SLOW_KEY"\n',
    )
    accounts = load_accounts(path)
    slow, plain = accounts["slow"], accounts["plain"]
    assert (slow.timeout, slow.max_retries) == (30.0, 5)
    assert isinstance(slow.timeout, float)
    assert (plain.timeout, plain.max_retries) == (None, None)
    monkeypatch.setenv("SLOW_KEY", "close_key_123456")
    with slow.connect() as client:
        assert client._http.http.timeout.read == 30.0
        assert client._core.policy.max_retries == 5
    # What the caller passes (e.g. --timeout / --max-retries) wins.
    with slow.connect(timeout=2.5, max_retries=0) as client:
        assert client._http.http.timeout.read == 2.5
        assert client._core.policy.max_retries == 0
    with plain.connect() as client:
        assert client._http.http.timeout.read == 10.0
        assert client._core.policy.max_retries == 2


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("timeout = 0", "timeout must be a number of seconds above 0 and at most 86400"),
        ("timeout = -1.5", "timeout must be a number of seconds above 0 and at most 86400"),
        ("timeout = inf", "timeout must be a number of seconds above 0 and at most 86400"),
        ('timeout = "10"', "timeout must be a number of seconds above 0 and at most 86400"),
        ("timeout = true", "timeout must be a number of seconds above 0 and at most 86400"),
        ("max_retries = -1", "max_retries must be a whole number >= 0"),
        ("max_retries = 1.5", "max_retries must be a whole number >= 0"),
        ("max_retries = false", "max_retries must be a whole number >= 0"),
    ],
)
def test_unusable_timeout_or_retries_are_refused_naming_file_and_account(
    tmp_path: Path, line: str, message: str
) -> None:
    path = write(tmp_path, f'[accounts.crm]\nprovider = "close"\n{line}\n')
    with pytest.raises(pr.ConfigurationError) as caught:
        load_accounts(path)
    assert caught.value.message == f"{path}: [accounts.crm] {message}"


def test_a_bad_base_url_names_the_file_and_the_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path,
        '[accounts.crm]\nprovider = "close"\nkey_env = "CRM_KEY"\n'
        'base_url = "http://api.close.example"\n',
    )
    monkeypatch.setenv("CRM_KEY", "close_key_123456")
    account = load_accounts(path)["crm"]
    for build in (account.connect, account.connect_async):
        with pytest.raises(pr.ConfigurationError) as caught:
            build()
        error = caught.value
        assert error.message.startswith(
            f"account 'crm' ([accounts.crm] in {path}): base_url 'http://api.close.example' "
            "must be https://"
        )
        assert error.hint == f"Fix [accounts.crm] in {path}; no request was sent."
        assert error.describe(cli=True).endswith(error.hint)
        assert "connect()" not in everything_said(error)


def test_a_bad_key_in_the_variable_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[accounts.crm]\nprovider = "close"\nkey_env = "CRM_KEY"\n')
    monkeypatch.setenv("CRM_KEY", "close key with spaces")
    with pytest.raises(pr.ConfigurationError) as caught:
        load_accounts(path)["crm"].connect()
    error = caught.value
    assert error.message == (
        f"account 'crm' ([accounts.crm] in {path}): the API key in CRM_KEY contains "
        "whitespace or control characters; check how it was read"
    )
    assert error.hint == "Fix the value of CRM_KEY in the environment; no request was sent."
    assert "close key with spaces" not in everything_said(error)


def test_the_unknown_account_advice_speaks_to_its_reader(tmp_path: Path) -> None:
    path = write(tmp_path, '[accounts.crm]\nprovider = "close"\n')
    with pytest.raises(pr.ConfigurationError) as caught:
        resolve_account("crn", path)
    assert "--config" not in caught.value.hint
    assert "--config" in caught.value.describe(cli=True)


def test_a_default_accounts_bad_option_keeps_both_kinds_of_advice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CLOSE_API_KEY", "close_key_123456")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PHONEROUTING_CONFIG", raising=False)
    with pytest.raises(pr.ConfigurationError) as caught:
        resolve_account("close").connect(timeout=-1)
    error = caught.value
    assert error.message.startswith("account 'close': timeout must be a number of seconds")
    assert error.hint == "Fix the arguments or the environment; no request was sent."
    assert error.describe(cli=True).endswith(
        "Fix the command's options, the accounts file or the environment; no request was sent."
    )
