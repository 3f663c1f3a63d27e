"""Building clients: `connect` and `connect_async`.

Everything is checked here, before any request: the provider name, the API key (given or
read from the provider's environment variable), the base URL (https, or plain http only
to a loopback host), the timeout, the transport's kind, the async HTTP stack. Both build
the same protocol core (`phonerouting.core`) and hand it a sender; httpx and aiohttp are
imported only when a client is built on them, so ``import phonerouting`` loads neither.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

import attrs

from phonerouting._version import __version__
from phonerouting.adapters.base import Adapter, Credential
from phonerouting.async_client import AsyncClient, AsyncSender
from phonerouting.client import Client
from phonerouting.core import Core
from phonerouting.errors import ConfigurationError
from phonerouting.inputs import in_range
from phonerouting.registry import account_adapter, adapter_for
from phonerouting.responses import secret_forms
from phonerouting.retry import MAX_SECONDS, RetryPolicy

if TYPE_CHECKING:
    import httpx

__all__ = ["HTTP_STACKS", "connect", "connect_async"]

#: The async HTTP stacks `connect_async` can run on (``http=``).
HTTP_STACKS = ("aiohttp", "httpx")

_USER_AGENT = f"phonerouting/{__version__}"


def _credentials(adapter: Adapter, given: Mapping[str, object]) -> dict[str, str]:
    """The adapter's credentials, each given or read from its environment variable
    (what is given wins), each checked; ConfigurationError naming the first unknown,
    missing or malformed one. A secret value is never quoted. For a provider that
    takes one of several sets (`Adapter.credential_sets`), those of the chosen set."""
    specs = {spec.name: spec for spec in adapter.credential_specs()}
    for name in given:
        if name not in specs:
            raise ConfigurationError(
                f"{adapter.name} takes no credential {name!r}; it takes: {', '.join(specs)}",
                provider=adapter.name,
            )
    found: dict[str, object] = {}
    for spec in specs.values():
        value = given.get(spec.name)
        if value is None:
            value = os.environ.get(spec.env) or None
        if value is not None:
            found[spec.name] = value
    chosen, _ = adapter.choose_credentials(given, found)
    values: dict[str, str] = {}
    # In order, so the first credential at fault is the one named, missing or not.
    for name in chosen:
        spec = specs[name]
        if name not in found:
            raise ConfigurationError(
                f"no {spec.what} for {adapter.name}: pass {spec.name}= or set the "
                f"{spec.env} environment variable{_instead(adapter, chosen, name, specs)}",
                provider=adapter.name,
            )
        values[name] = _checked_credential(adapter, spec, found[name])
    return values


def _instead(
    adapter: Adapter, chosen: tuple[str, ...], missing: str, specs: Mapping[str, Credential]
) -> str:
    """How the credential sets that do without ``missing`` could be given instead of
    ``chosen``: what each needs beyond it."""
    ways = [
        " and ".join(f"{n}= ({specs[n].env})" for n in names if n not in chosen)
        for names in adapter.credential_sets
        if missing not in names
    ]
    return "".join(f"; or instead {way}" for way in ways if way)


def _checked_credential(adapter: Adapter, spec: Credential, value: object) -> str:
    name = spec.name
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"{name} must be a non-empty string", provider=adapter.name)
    # A value with whitespace or control characters would corrupt the auth header (or
    # smuggle another one). A secret is never quoted in the error.
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise ConfigurationError(
            f"{name} contains whitespace or control characters; check how it was read",
            provider=adapter.name,
        )
    if not value.isascii():
        raise ConfigurationError(f"{name} must be ASCII", provider=adapter.name)
    if spec.pattern is not None and re.fullmatch(spec.pattern, value) is None:
        shown = "its value is not shown" if spec.secret else f"not {value!r}"
        like = f" (like {spec.example})" if spec.example else ""
        raise ConfigurationError(
            f"{name} is not a well-formed {spec.what}{like}; {shown}", provider=adapter.name
        )
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _base_url(adapter: Adapter, base_url: str | None) -> str:
    """The API root, normalized and ending in ``/`` as httpx makes a ``base_url``."""
    import httpx

    url = httpx.URL(_checked_base_url(adapter, base_url))
    if not url.raw_path.endswith(b"/"):
        url = url.copy_with(raw_path=url.raw_path + b"/")
    return str(url)


def _checked_base_url(adapter: Adapter, base_url: str | None) -> str:
    import httpx

    if base_url is None:
        return adapter.default_base_url
    if not isinstance(base_url, str):
        raise ConfigurationError("base_url must be a string", provider=adapter.name)
    try:
        url = httpx.URL(base_url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ConfigurationError(
            f"base_url {base_url!r} is not a URL", provider=adapter.name
        ) from None
    # The raw text too: httpx drops an empty "?" or "#", which would still cut the path.
    if url.userinfo or url.query or url.fragment or "?" in base_url or "#" in base_url:
        # Paths are appended to base_url: a query or fragment would end up in the
        # middle of every URL, and credentials in it would show in reprs and logs.
        raise ConfigurationError(
            "base_url must be the API root alone: no user:password@, ?query or #fragment "
            "(the key goes in api_key)",
            provider=adapter.name,
        )
    if url.scheme == "https" and url.host:
        return base_url
    if url.scheme == "http" and url.host and _is_loopback(url.host):
        return base_url
    raise ConfigurationError(
        f"base_url {base_url!r} must be https:// (plain http is only allowed to a loopback "
        "host such as 127.0.0.1, for emulators); the API key would otherwise travel in clear",
        provider=adapter.name,
    )


def _timeout(adapter: Adapter, timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    import httpx

    if timeout is None:
        return httpx.Timeout(None)
    if isinstance(timeout, httpx.Timeout):
        parts = (timeout.connect, timeout.read, timeout.write, timeout.pool)
        if all(part is None or _is_duration(part) for part in parts):
            return timeout
    elif _is_duration(timeout):
        return httpx.Timeout(float(timeout))
    # An infinite or 1e300 s timeout passes a "> 0" check and then makes the socket
    # layer raise OverflowError on the first request; refuse it here instead.
    raise ConfigurationError(
        f"timeout must be a number of seconds above 0 and at most {MAX_SECONDS:g} "
        f"(or None for no timeout), not {timeout!r}",
        provider=adapter.name,
    )


def _is_duration(value: object) -> bool:
    return in_range(value, 0, MAX_SECONDS, low_open=True)


def _policy(
    adapter: Adapter, max_retries: int | None, retry_policy: RetryPolicy | None
) -> RetryPolicy:
    if max_retries is not None and (
        isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
    ):
        raise ConfigurationError(
            f"max_retries must be a whole number >= 0, not {max_retries!r}", provider=adapter.name
        )
    if retry_policy is None:
        return RetryPolicy() if max_retries is None else RetryPolicy(max_retries=max_retries)
    if not isinstance(retry_policy, RetryPolicy):
        raise ConfigurationError(
            f"retry_policy must be a phonerouting.RetryPolicy, not {type(retry_policy).__name__}",
            provider=adapter.name,
        )
    # Only an explicit max_retries overrides the policy's own count: a policy built with
    # max_retries=5 is never cut back to a default the caller did not ask for.
    if max_retries is not None and retry_policy.max_retries != max_retries:
        return attrs.evolve(retry_policy, max_retries=max_retries)
    return retry_policy


def _given(api_key: str | None, credentials: Mapping[str, str | None]) -> dict[str, object]:
    # None means "not given" (read the environment), for api_key as for every other.
    given: dict[str, object] = {k: v for k, v in credentials.items() if v is not None}
    if api_key is not None:
        given["api_key"] = api_key
    return given


class _Settings:
    """What both factories check and build before choosing a sender."""

    __slots__ = ("core", "headers", "timeout")

    def __init__(
        self,
        provider: str,
        credentials: Mapping[str, object],
        base_url: str | None,
        timeout: float | httpx.Timeout | None,
        max_retries: int | None,
        retry_policy: RetryPolicy | None,
    ) -> None:
        shared = adapter_for(provider)
        values = _credentials(shared, credentials)
        specs = [spec for spec in shared.credential_specs() if spec.name in values]
        adapter = account_adapter(
            shared, {spec.name: values[spec.name] for spec in specs if not spec.secret}
        )
        auth = adapter.authenticate(values)
        secret = [values[spec.name] for spec in specs if spec.secret]
        root = _base_url(adapter, base_url)
        self.timeout = _timeout(adapter, timeout)
        policy = _policy(adapter, max_retries, retry_policy)
        self.headers = {"User-Agent": _USER_AGENT, "Accept": "application/json", **auth}
        self.core = Core(adapter, root, policy, secret_forms(secret, auth))

    def httpx_options(self) -> dict[str, Any]:
        """The options of an httpx client. The core sends absolute URLs, so no base_url."""
        return {
            "headers": self.headers,
            "timeout": self.timeout,
            # Never follow a redirect: it would carry the auth header to another URL.
            "follow_redirects": False,
        }

    def refuse(self, message: str) -> ConfigurationError:
        """A ConfigurationError about this provider's client."""
        return ConfigurationError(message, provider=self.core.adapter.name)


def connect(
    provider: str,
    api_key: str | None = None,
    base_url: str | None = None,
    timeout: float | httpx.Timeout | None = 10.0,
    max_retries: int | None = None,
    transport: httpx.BaseTransport | None = None,
    *,
    retry_policy: RetryPolicy | None = None,
    **credentials: str | None,
) -> Client:
    """A synchronous client for ``provider`` (``"linq-v2"``, ``"linq-v3"``,
    ``"agentmessage"`` or ``"close"``), on httpx.

    Args:
        provider: the provider name.
        api_key: the vendor API key; ``None`` reads the provider's environment variable.
        credentials: a provider that declares its own credentials (see
            docs/writing-a-provider.md) takes each by name; one not given is read from
            its environment variable. An unknown or missing one is a
            ConfigurationError, before any request.
        base_url: the API root including the vendor's base path; ``None`` is production.
        timeout: seconds for connect, read, write and pool waits (or an httpx.Timeout),
            for each attempt.
        max_retries: retries after the first attempt for 408, 429, 5xx and network errors;
            ``None`` keeps ``retry_policy``'s count (2 by default).
        transport: an httpx transport used instead of the network (tests, emulators).
        retry_policy: backoff, wait cap and retry count; an explicit ``max_retries``
            overrides its count.

    Raises:
        ConfigurationError: before any request, when an argument is unusable.
    """
    import httpx

    from phonerouting._httpx import HttpxSender

    settings = _Settings(
        provider, _given(api_key, credentials), base_url, timeout, max_retries, retry_policy
    )
    if transport is not None and not isinstance(transport, httpx.BaseTransport):
        raise settings.refuse(
            "transport must be an httpx.BaseTransport (connect_async takes an "
            "httpx.AsyncBaseTransport)"
        )
    http = httpx.Client(transport=transport, **settings.httpx_options())
    return Client(settings.core, HttpxSender(http))


def connect_async(
    provider: str,
    api_key: str | None = None,
    base_url: str | None = None,
    timeout: float | httpx.Timeout | None = 10.0,
    max_retries: int | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    retry_policy: RetryPolicy | None = None,
    http: Literal["aiohttp", "httpx"] | None = None,
    **credentials: str | None,
) -> AsyncClient:
    """An asynchronous client for ``provider``; the arguments are those of `connect`,
    with an ``httpx.AsyncBaseTransport`` as ``transport``, and:

    Args:
        http: the HTTP stack. ``None`` (the default) is ``"aiohttp"``, or httpx when a
            ``transport`` is given; ``"aiohttp"`` speaks to aiohttp directly, several
            times cheaper in CPU per request; ``"httpx"`` keeps httpx and its httpcore
            connection pool, for what only httpx does: proxies from ``HTTPS_PROXY``
            and the other environment settings httpx reads, or a custom transport.

    Raises:
        ConfigurationError: before any request, when an argument is unusable (a
            ``transport`` with ``http="aiohttp"`` among them).
    """
    settings = _Settings(
        provider, _given(api_key, credentials), base_url, timeout, max_retries, retry_policy
    )
    if http is not None and http not in HTTP_STACKS:
        raise settings.refuse(
            f"http must be one of {', '.join(map(repr, HTTP_STACKS))}, not {http!r}"
        )
    if transport is not None and http == "aiohttp":
        raise settings.refuse(
            'transport= takes an httpx transport, which http="aiohttp" cannot use: '
            'leave http out (or give http="httpx")'
        )
    sender: AsyncSender
    if transport is None and http != "httpx":
        from phonerouting import _aiohttp

        t = settings.timeout
        sender = _aiohttp.AiohttpSender(
            settings.headers, _aiohttp.client_timeout(t.connect, t.read, t.pool)
        )
    else:
        sender = _httpx_async(settings, transport)
    return AsyncClient(settings.core, sender)


def _httpx_async(settings: _Settings, transport: object) -> AsyncSender:
    import httpx

    from phonerouting._httpx import AsyncHttpxSender

    if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
        raise settings.refuse(
            "transport must be an httpx.AsyncBaseTransport (connect takes an httpx.BaseTransport)"
        )
    return AsyncHttpxSender(httpx.AsyncClient(transport=transport, **settings.httpx_options()))
