"""An error's advice in the library's terms or the command line's."""

from __future__ import annotations

import pickle
import re

import pytest

import phonerouting as pr
from phonerouting import errors, testing
from phonerouting.errors import (
    ConfigurationError,
    NotFoundError,
    RateLimitError,
    RoutingError,
    ServerError,
    UnexpectedResponseError,
)
from phonerouting.registry import adapter_for


def test_describe_uses_the_cli_hint_only_when_asked() -> None:
    error = ConfigurationError(
        "bad concurrency", hint="Pass concurrency=4.", cli_hint="Use --concurrency 4."
    )
    assert str(error) == "bad concurrency. Pass concurrency=4."
    assert error.describe() == "bad concurrency. Pass concurrency=4."
    assert error.describe(cli=True) == "bad concurrency. Use --concurrency 4."


def test_describe_falls_back_to_the_library_hint() -> None:
    error = RoutingError("boom", hint="Do this.")
    assert error.cli_hint is None
    assert error.describe(cli=True) == "boom. Do this."


# ---------------------------------------------------------------- every error class

# What only the library's API says: a call, a keyword argument, a sentinel, an attribute.
_LIBRARY_TERMS = re.compile(r"\(\)|\w+=|\bUNSET\b|client\.|connect\(|\(id")
# What only the command line says: an option.
_CLI_TERMS = re.compile(r"(?<![\w-])--[a-z]")


def _error_classes() -> list[type[RoutingError]]:
    classes = [getattr(errors, name) for name in errors.__all__]
    return [c for c in classes if isinstance(c, type) and issubclass(c, RoutingError)]


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda c: c.__name__)
def test_each_class_advises_in_the_terms_of_its_reader(cls: type[RoutingError]) -> None:
    error = cls("it failed")
    library, cli = error.describe(), error.describe(cli=True)
    assert _CLI_TERMS.search(error.hint) is None, error.hint
    assert _LIBRARY_TERMS.search(cli) is None, cli
    if _LIBRARY_TERMS.search(library):
        assert cls.cli_hint is not None


def test_the_rate_limit_advice_says_how_long_to_wait() -> None:
    error = RateLimitError("slow down", provider="close", status=429, retry_after=75.0)
    assert str(error) == (
        "close: slow down [HTTP 429, retry after 75 s]. "
        "Wait 75 seconds (retry_after) before sending more requests."
    )
    assert error.describe(cli=True).endswith(" Wait 75 seconds, then run the command again.")
    unknown = RateLimitError("slow down", status=429)
    assert unknown.hint == (
        "Back off before sending more requests; the vendor did not say for how long."
    )
    assert "retry_after" not in unknown.describe(cli=True)


def test_server_error_advice_quotes_the_request_id_only_when_there_is_one() -> None:
    without = ServerError("GET / failed (text/html body)", provider="linq-v3", status=502)
    assert str(without) == (
        "linq-v3: GET / failed (text/html body) [HTTP 502]. "
        "The vendor (or a proxy in front of it) is failing; retry later."
    )
    with_id = ServerError("down", status=503, request_id="req_42", retry_after=30)
    assert with_id.hint == (
        "The vendor is failing; retry in 30 seconds, and quote request id req_42 to its "
        "support if it persists."
    )
    unexpected = UnexpectedResponseError("odd body", status=200)
    assert "request id" not in str(unexpected)
    assert UnexpectedResponseError("odd", request_id="t-1").hint.endswith(
        "Report it with request id t-1."
    )


def test_a_validation_error_names_a_field_only_when_it_has_one() -> None:
    named = errors.ValidationError("too short", field="ring_duration", status=400)
    assert named.describe() == (
        "too short [field ring_duration, HTTP 400]. "
        "Correct the value of the field named and try again."
    )
    # A vendor's bare 400 names no field: the advice must not send anyone looking.
    bare = errors.ValidationError("validation failed", provider="close", status=400)
    assert bare.describe() == (
        "close: validation failed [HTTP 400]. "
        "Correct the value the vendor's message points to and try again."
    )
    assert pickle.loads(pickle.dumps(bare)).describe() == bare.describe()
    # A raise site's own advice and a subclass's advice are kept as they are.
    assert errors.ValidationError("x", hint="Pick 15 to 90.").hint == "Pick 15 to 90."
    unsupported = errors.UnsupportedFieldError("no labels here", field=None)
    assert unsupported.hint == errors.UnsupportedFieldError.hint


def test_a_raise_sites_own_hint_beats_the_class_cli_hint() -> None:
    error = NotFoundError("listing missing", hint="Check base_url.")
    assert error.describe(cli=True) == "listing missing. Check base_url."


def test_duplicate_number_error_carries_the_number_and_ids() -> None:
    error = pr.DuplicateNumberError(
        "two lines", number="+12025550142", ids=["phon_a", "phon_b"], provider="close"
    )
    assert (error.number, error.ids) == ("+12025550142", ("phon_a", "phon_b"))
    assert isinstance(error, pr.RoutingError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.number, copy.ids, str(copy)) == (error.number, error.ids, str(error))


# ---------------------------------------------------------------- a refused credential


@pytest.mark.parametrize("provider", list(testing.EMULATORS))
def test_a_refused_credential_is_named_as_the_provider_declares_it(provider: str) -> None:
    # The vendor's 401, through the client: the hint names this provider's own
    # credentials, the arguments and variables they are read from (library), and the
    # accounts-file keys that name them (command line), never "the API key" of another.
    emu = testing.emulator(provider, 1)
    wrong = "0123456789abcdef" * 2  # a key of the right shape, unknown to the emulator
    with (
        pr.connect(provider, **emu.client_credentials(wrong), transport=emu.transport()) as c,
        pytest.raises(pr.AuthenticationError) as caught,
    ):
        list(c.list_numbers())
    error = caught.value
    adapter = adapter_for(provider)
    assert (error.hint, error.cli_hint) == adapter.auth_hints()
    specs = adapter.credential_specs()
    for spec in specs:
        assert f"{spec.name}=" in error.hint
        assert spec.env in error.hint
        assert spec.env in error.cli_hint
        assert spec.what in error.hint
        assert spec.what in error.cli_hint
        key = "key_env" if len(specs) == 1 else spec.name + "_env" * spec.secret
        assert key in error.cli_hint
    assert _LIBRARY_TERMS.search(error.cli_hint) is None, error.cli_hint
    assert wrong not in error.describe() + error.describe(cli=True)
    if len(specs) == 1:
        (spec,) = specs
        assert error.hint == (
            f"Check the API key (api_key=, or {spec.env} in the environment), and that it "
            "belongs to this provider and environment."
        )
        assert error.cli_hint == (
            f"Check the API key the account names (key_env in the accounts file; {spec.env} "
            "for an account named by its provider), and that it belongs to this provider "
            "and environment."
        )
    else:
        # Each way the provider takes its credentials is named (Twilio's two).
        assert error.hint.count("; or ") == len(adapter.credential_sets) - 1
