"""The API key never reaches a log record, an error, its chain or a repr."""

from __future__ import annotations

import base64
import logging
import traceback

import httpx
import pytest

import phonerouting as pr
from tests.client.drive import call, close, list_all

CANARY = "sk_live_CANARY_7d1f0c2e9a"
FORMS = (CANARY, base64.b64encode(f"{CANARY}:".encode()).decode())
IDS = {
    "linq-v2": "42",
    "linq-v3": "550e8400-e29b-41d4-a716-446655440000",
    "agentmessage": "550e8400-e29b-41d4-a716-446655440000",
    "close": "phon_" + "c" * 43,
}
UPDATES = {
    "linq-v2": pr.RoutingUpdate(forwarding_number="+12025559999"),
    "linq-v3": pr.RoutingUpdate(forwarding_number=None),
    "agentmessage": pr.RoutingUpdate(label="x", campaign_id=None),
    "close": pr.RoutingUpdate(ring_duration=20),
}


def echo_everything(request: httpx.Request) -> httpx.Response:
    """A hostile server that echoes every request header back in its error body."""
    status = {"GET": 503, "PUT": 401, "PATCH": 429, "DELETE": 500}[request.method]
    echoed = dict(request.headers)
    return httpx.Response(
        status,
        json={"error": {"message": str(echoed), "code": 1}, "errors": [str(echoed)]},
        headers={"Retry-After": "0"},
    )


def chain_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + repr(error.__cause__)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("provider", list(IDS))
async def test_canary_key_never_leaks(
    provider: str, mode: str, caplog: pytest.LogCaptureFixture, fast_policy: pr.RetryPolicy
) -> None:
    caplog.set_level(logging.DEBUG)
    transport = httpx.MockTransport(echo_everything)
    factory = pr.connect if mode == "sync" else pr.connect_async
    client = factory(provider, api_key=CANARY, transport=transport, retry_policy=fast_policy)
    texts = [repr(client), str(client)]
    for operation, args in (
        ("get_number", (IDS[provider],)),
        ("find_number", ("+12025551234",)),
        ("update_routing", (IDS[provider], UPDATES[provider])),
    ):
        with pytest.raises(pr.RoutingError) as caught:
            await call(client, operation, *args)
        texts += [str(caught.value), chain_text(caught.value), repr(caught.value.details)]
    with pytest.raises(pr.RoutingError) as caught:
        await list_all(client)
    texts.append(chain_text(caught.value))
    await close(client)
    texts += [record.getMessage() for record in caplog.records]
    assert any("HTTP" in record.getMessage() for record in caplog.records)
    for text in texts:
        for form in FORMS:
            assert form not in text


def _chain(error: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and link not in seen:
        seen.append(link)
        link = link.__cause__ or link.__context__
    return seen


@pytest.mark.parametrize("provider", list(IDS))
def test_a_transport_error_keeps_no_request_that_holds_the_key(provider: str) -> None:
    # httpx errors carry the request, whose headers carry the key (and httpx masks
    # only Authorization in their repr): none may hang on the error we raise.
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    policy = pr.RetryPolicy(max_retries=1, backoff_initial=0, backoff_max=0, jitter=0)
    transport = httpx.MockTransport(refuse)
    with (
        pr.connect(provider, api_key=CANARY, transport=transport, retry_policy=policy) as client,
        pytest.raises(pr.TransportError) as caught,
    ):
        list(client.list_numbers())
    chain = _chain(caught.value)
    assert [type(e) for e in chain] == [pr.TransportError]
    for form in FORMS:
        assert form not in repr(vars(caught.value))
        assert form not in "".join(traceback.format_exception(caught.value))


def test_a_placeholder_key_too_short_to_be_a_secret_does_not_garble_errors() -> None:
    # A key of a few characters ("...", "x") would otherwise be cut out of every text.
    body = {
        "success": False,
        "error": {"status": 401, "code": 2004, "message": "Invalid token...", "doc_url": "x"},
        "trace_id": "x" * 32,
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(401, json=body))
    with (
        pr.connect("linq-v3", api_key="x", transport=transport) as client,
        pytest.raises(pr.AuthenticationError) as caught,
    ):
        list(client.list_numbers())
    assert (caught.value.message, caught.value.doc_url) == ("Invalid token...", "x")
    assert caught.value.request_id == "x" * 32
