"""connect() and connect_async(): every bad argument is refused before any request."""

from __future__ import annotations

import base64

import httpx
import pytest

import phonerouting as pr

ENV = {
    "linq-v2": "LINQ_INTEGRATION_TOKEN",
    "linq-v3": "LINQ_API_V3_API_KEY",
    "agentmessage": "AGENTMESSAGE_API_KEY",
    "close": "CLOSE_API_KEY",
}
BASE = {
    "linq-v2": "https://api.linqapp.com/",
    "linq-v3": "https://api.linqapp.com/api/partner/",
    "agentmessage": "https://api.agentmsg.io/",
    "close": "https://api.close.com/api/v1/",
}


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no request may be sent, got {request.method} {request.url}")


def test_provider_names() -> None:
    assert pr.PROVIDERS == ("linq-v2", "linq-v3", "agentmessage", "close", "twilio", "telnyx")


@pytest.mark.parametrize("provider", ["linq", "Close", "", None, 3])
def test_unknown_provider(provider: object) -> None:
    with pytest.raises(pr.ConfigurationError) as caught:
        pr.connect(provider, api_key="k")  # type: ignore[arg-type]
    assert "choose one of: linq-v2, linq-v3, agentmessage, close" in str(caught.value)


@pytest.mark.parametrize("provider", list(ENV))
def test_missing_key_names_the_env_var(provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV[provider], raising=False)
    for factory in (pr.connect, pr.connect_async):
        with pytest.raises(pr.ConfigurationError) as caught:
            factory(provider)
        assert ENV[provider] in caught.value.message
        assert caught.value.provider == provider


@pytest.mark.parametrize("provider", list(ENV))
def test_key_is_read_from_the_env_var(provider: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV[provider], "env-key-123")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    with pr.connect(provider, transport=httpx.MockTransport(handler), max_retries=0) as client:
        assert client.provider == provider
        with pytest.raises(pr.ServerError):
            next(iter(client.list_numbers()))
    assert str(seen[0].url).startswith(BASE[provider])
    expected = {
        "linq-v2": ("x-linq-integration-token", "env-key-123"),
        "linq-v3": ("authorization", "Bearer env-key-123"),
        "agentmessage": ("authorization", "Bearer env-key-123"),
        "close": ("authorization", "Basic " + base64.b64encode(b"env-key-123:").decode()),
    }[provider]
    assert seen[0].headers[expected[0]] == expected[1]
    assert seen[0].headers["user-agent"] == f"phonerouting/{pr.__version__}"


@pytest.mark.parametrize(
    "base_url",
    [
        "http://api.linqapp.com",
        "http://10.0.0.5:8080",
        "ftp://api.linqapp.com",
        "api.linqapp.com",
        "https://",
        "http://[::ffff:10.0.0.1]/",
    ],
)
def test_unsafe_base_url_is_refused(base_url: str) -> None:
    with pytest.raises(pr.ConfigurationError):
        pr.connect("linq-v3", api_key="k", base_url=base_url)


@pytest.mark.parametrize(
    "base_url",
    [
        "https://eu.example.com/api",
        "http://127.0.0.1:8000",
        "http://localhost:9",
        "http://[::1]:80",
    ],
)
def test_https_and_loopback_base_urls_are_accepted(base_url: str) -> None:
    with pr.connect("close", api_key="k", base_url=base_url) as client:
        assert repr(client).startswith("<phonerouting.Client provider='close' base_url=")


@pytest.mark.parametrize("api_key", ["", "key with space", "key\r\nX-Evil: 1", "ключ", 42])
def test_malformed_key_is_refused_without_echoing_it(api_key: object) -> None:
    with pytest.raises(pr.ConfigurationError) as caught:
        pr.connect("linq-v3", api_key=api_key)  # type: ignore[arg-type]
    if isinstance(api_key, str) and api_key:
        assert api_key not in str(caught.value)


@pytest.mark.parametrize("timeout", [0, -1, "10", True])
def test_bad_timeout(timeout: object) -> None:
    with pytest.raises(pr.ConfigurationError):
        pr.connect("linq-v3", api_key="k", timeout=timeout)  # type: ignore[arg-type]


@pytest.mark.parametrize("max_retries", [-1, 1.5, True])
def test_bad_max_retries(max_retries: object) -> None:
    with pytest.raises(pr.ConfigurationError):
        pr.connect("linq-v3", api_key="k", max_retries=max_retries)  # type: ignore[arg-type]


def test_transport_kind_must_match_the_client() -> None:
    class SyncOnly(httpx.BaseTransport):
        pass

    class AsyncOnly(httpx.AsyncBaseTransport):
        pass

    with pytest.raises(pr.ConfigurationError, match="AsyncBaseTransport"):
        pr.connect_async("close", api_key="k", transport=SyncOnly())  # type: ignore[arg-type]
    with pytest.raises(pr.ConfigurationError, match="BaseTransport"):
        pr.connect("close", api_key="k", transport=AsyncOnly())  # type: ignore[arg-type]


@pytest.mark.parametrize("provider", list(ENV))
def test_clients_satisfy_the_protocols(provider: str) -> None:
    with pr.connect(provider, api_key="k", transport=httpx.MockTransport(refuse)) as client:
        assert isinstance(client, pr.PhoneNumberRouting)
        assert client.capabilities.provider == provider
    aclient = pr.connect_async(provider, api_key="k", transport=httpx.MockTransport(refuse))
    assert isinstance(aclient, pr.AsyncPhoneNumberRouting)


def test_client_repr_never_shows_the_key() -> None:
    secret = "sk_live_canary_0123456789"
    for provider in ENV:
        client = pr.connect(provider, api_key=secret)
        aclient = pr.connect_async(provider, api_key=secret)
        for text in (repr(client), str(client), repr(aclient)):
            assert secret not in text
            assert base64.b64encode(f"{secret}:".encode()).decode() not in text
        client.close()


def test_capabilities_per_provider() -> None:
    def caps(provider: str) -> pr.Capabilities:
        with pr.connect(provider, api_key="k") as client:
            return client.capabilities

    assert caps("linq-v2").settable == frozenset({"forwarding_number"})
    assert caps("linq-v3").clearable == frozenset({"forwarding_number"})
    assert caps("agentmessage").settable == frozenset(
        {"inbound_url", "status_url", "label", "campaign_id"}
    )
    close = caps("close")
    assert (
        close.settable
        == close.clearable
        == frozenset(
            {
                "forwarding_number",
                "label",
                "voicemail_greeting_url",
                "ring_duration",
                "participants",
                "external_numbers",
                "press_1_to_accept",
            }
        )
    )
    assert close.can_set("ring_duration")
    assert not close.can_clear("inbound_url")


@pytest.mark.parametrize(
    ("policy_retries", "max_retries", "requests"),
    [
        (4, None, 5),  # the policy's own count is kept, not cut to a default of 2
        (4, 1, 2),  # an explicit max_retries wins
        (None, None, 3),  # the default: two retries
    ],
)
def test_a_policy_retry_count_is_kept_unless_max_retries_is_given(
    policy_retries: int | None, max_retries: int | None, requests: int
) -> None:
    from phonerouting import testing

    emu = testing.emulator("linq-v3", 2, seed=1)
    emu.faults.server_error(503, count=None)
    count = {} if policy_retries is None else {"max_retries": policy_retries}
    policy = pr.RetryPolicy(backoff_initial=0, backoff_max=0, jitter=0, **count)
    with (
        pr.connect(
            "linq-v3",
            api_key=emu.api_key,
            transport=emu.transport(),
            retry_policy=policy,
            max_retries=max_retries,
        ) as client,
        pytest.raises(pr.ServerError),
    ):
        list(client.list_numbers())
    assert emu.count("GET") == requests


@pytest.mark.parametrize(
    "base_url",
    [
        "https://api.close.com/api/v1?x=1",
        "https://api.close.com/api/v1#top",
        "https://user:secret@api.close.com/api/v1",
    ],
)
def test_a_base_url_with_query_fragment_or_credentials_is_refused(base_url: str) -> None:
    with pytest.raises(pr.ConfigurationError, match="the API root alone") as caught:
        pr.connect("close", api_key="k" * 10, base_url=base_url)
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize("provider", ["linq-v2", "linq-v3", "agentmessage", "close"])
def test_a_listing_not_found_points_at_the_base_url(provider: str) -> None:
    from phonerouting.registry import adapter_for

    transport = httpx.MockTransport(lambda request: httpx.Response(404, text="Not Found"))
    with (
        pr.connect(provider, api_key="k" * 10, transport=transport) as client,
        pytest.raises(pr.NotFoundError) as caught,
    ):
        list(client.list_numbers())
    assert str(caught.value).endswith(
        f"Check base_url: the {provider} listing was not found there; it must be the API "
        f"root, vendor base path included (production: {adapter_for(provider).default_base_url})."
    )


@pytest.mark.parametrize(
    "base_url", ["https://api.close.com/api/v1?", "https://api.close.com/api/v1#"]
)
def test_an_empty_query_or_fragment_in_base_url_is_refused_too(base_url: str) -> None:
    with pytest.raises(pr.ConfigurationError, match="the API root alone"):
        pr.connect("close", api_key="k" * 10, base_url=base_url)
