"""The async client's HTTP stacks against a real server on 127.0.0.1 (the emulator's
HTTP server): aiohttp by default, httpx on request or with an injected transport.

What must hold on every stack: the exact requests, per-attempt timeouts, redirects
never followed, the key in no error or log record, one connection pool per client,
a clean shutdown with no "Unclosed client session" warning.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import ssl
import subprocess
import sys
import traceback
import warnings
from typing import Any

import httpx
import pytest

import phonerouting as pr
from phonerouting import _aiohttp, testing
from phonerouting._httpx import AsyncHttpxSender
from phonerouting.testing.wire import EmuResponse

CANARY = "sk_live_CANARY_a8f3e1c04b"
UPDATE = pr.RoutingUpdate(forwarding_number="+12025559999")
FAST = pr.RetryPolicy(backoff_initial=0, jitter=0)
STACKS = ["aiohttp", "httpx"]


def v3(numbers: int = 3) -> testing.Emulator:
    return testing.emulator("linq-v3", numbers, seed=4, api_key=CANARY)


def first_id(emu: testing.Emulator) -> str:
    return str(next(iter(emu.numbers.values())).id)  # type: ignore[attr-defined]


def texts(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + str(error.__dict__)


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def test_import_loads_neither_http_stack() -> None:
    assert (
        run_python(
            "import sys, phonerouting; print(sorted(m for m in ('aiohttp', 'httpx', 'asyncio') "
            "if m in sys.modules))"
        )
        == "[]"
    )


def test_aiohttp_is_imported_only_for_a_client_built_on_it() -> None:
    code = (
        "import sys, phonerouting as pr, httpx\n"
        "t = httpx.MockTransport(lambda r: httpx.Response(200))\n"
        "pr.connect_async('close', api_key='k', transport=t)\n"
        "pr.connect_async('close', api_key='k', http='httpx')\n"
        "pr.connect('close', api_key='k')\n"
        "before = 'aiohttp' in sys.modules\n"
        "pr.connect_async('close', api_key='k')\n"
        "print(before, 'aiohttp' in sys.modules)"
    )
    assert run_python(code) == "False True"


def test_the_default_stack_is_aiohttp_and_a_transport_bypasses_it() -> None:
    emu = v3()
    assert isinstance(pr.connect_async("linq-v3", api_key="k")._http, _aiohttp.AiohttpSender)  # type: ignore[attr-defined]
    with_transport = pr.connect_async("linq-v3", api_key="k", transport=emu.async_transport())
    assert isinstance(with_transport._http, AsyncHttpxSender)  # type: ignore[attr-defined]
    assert isinstance(
        pr.connect_async("linq-v3", api_key="k", http="httpx")._http,  # type: ignore[attr-defined]
        AsyncHttpxSender,
    )


@pytest.mark.parametrize("http", ["curl", "", 1, "HTTPX"])
def test_an_unknown_stack_is_refused(http: Any) -> None:
    with pytest.raises(pr.ConfigurationError) as caught:
        pr.connect_async("linq-v3", api_key="k", http=http)
    assert caught.value.provider == "linq-v3"
    assert caught.value.message.startswith("http must be one of 'aiohttp', 'httpx'")


def test_a_transport_cannot_run_on_aiohttp() -> None:
    transport = v3().async_transport()
    with pytest.raises(pr.ConfigurationError, match='http="aiohttp" cannot use'):
        pr.connect_async("linq-v3", api_key="k", transport=transport, http="aiohttp")


@pytest.mark.parametrize("http", STACKS)
async def test_exact_requests_and_results_over_real_http(http: Any) -> None:
    emu = v3()
    number_id = first_id(emu)
    with emu.serve() as url:
        async with pr.connect_async("linq-v3", api_key=CANARY, base_url=url, http=http) as client:
            after = await client.update_routing(number_id, UPDATE)
            listed = [n async for n in client.list_numbers()]
    assert after.forwarding_number == "+12025559999"
    assert after.id == number_id
    assert [n.id for n in listed] == list(emu.numbers)  # type: ignore[attr-defined]
    put, get = emu.requests
    assert (put.method, put.path, put.query, put.body) == (
        "PUT",
        f"/api/partner/v3/phone_numbers/{number_id}",
        {},
        b'{"forwarding_number":"+12025559999"}',
    )
    assert (get.method, get.path, get.body) == ("GET", "/api/partner/v3/phone_numbers", b"")
    for request in (put, get):
        assert request.headers["authorization"] == f"Bearer {CANARY}"
        assert request.headers["user-agent"] == f"phonerouting/{pr.__version__}"
        assert request.headers["accept"] == "application/json"
    assert put.headers["content-type"] == "application/json"
    assert put.headers["content-length"] == str(len(put.body))


@pytest.mark.parametrize("http", STACKS)
async def test_each_attempt_has_its_own_timeout(http: Any) -> None:
    emu = v3()
    emu.faults.delay(1.0, count=1)
    with emu.serve() as url:
        async with pr.connect_async(
            "linq-v3", api_key=CANARY, base_url=url, timeout=0.2, http=http, retry_policy=FAST
        ) as client:
            # The first attempt times out; the second, on a fresh timeout, succeeds.
            assert len([n async for n in client.list_numbers()]) == 3
            emu.faults.delay(1.0, count=None)
            with pytest.raises(pr.TransportError) as caught:
                await client.get_number(first_id(emu))
    assert caught.value.message.startswith("GET /v3/phone_numbers timed out (ReadTimeout)")
    assert (caught.value.__cause__, caught.value.__context__) == (None, None)
    assert emu.count("GET") == 2 + 3


@pytest.mark.parametrize("http", STACKS)
async def test_a_redirect_is_never_followed(http: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    emu, elsewhere = v3(), v3()
    with emu.serve() as url, elsewhere.serve() as other_url:
        error = emu.error

        def redirecting(status: int, message: str | None = None, **extra: Any) -> EmuResponse:
            if status == 307:
                return EmuResponse(307, {"Location": other_url + "/v3/phone_numbers"}, b"")
            return error(status, message, **extra)

        monkeypatch.setattr(emu, "error", redirecting)
        emu.faults.add("status", status=307)
        async with pr.connect_async("linq-v3", api_key=CANARY, base_url=url, http=http) as client:
            with pytest.raises(pr.UnexpectedResponseError) as caught:
                await client.find_number("+12025550100")
    assert caught.value.status == 307
    assert "redirects are not followed" in caught.value.message
    assert elsewhere.requests == []
    assert CANARY not in texts(caught.value)


class _GarbageServer:
    """Answers every connection with bytes that are not HTTP, echoing the request."""

    async def __aenter__(self) -> str:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            head = await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 2OO " + head.replace(b"\r\n", b" ") + b"\r\n\r\n")
            await writer.drain()
            writer.close()

        self.server = await asyncio.start_server(answer, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        await self.server.wait_closed()


@pytest.mark.parametrize("http", STACKS)
async def test_the_key_is_in_no_error_and_no_log_record(
    http: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's and asyncio's included
    emu = v3()
    seen: list[str] = []
    with emu.serve() as url:
        async with pr.connect_async(
            "linq-v3", api_key=CANARY, base_url=url, http=http, retry_policy=FAST, timeout=0.2
        ) as client:
            seen.append(repr(client))
            for fault in (
                lambda: emu.faults.drop(count=None),
                lambda: emu.faults.delay(1.0, count=None),
                lambda: emu.faults.server_error(503, count=None),
            ):
                emu.faults.clear()
                fault()
                with pytest.raises(pr.RoutingError) as caught:
                    await client.update_routing(first_id(emu), UPDATE)
                seen.append(texts(caught.value))
    async with _GarbageServer() as garbage:
        async with pr.connect_async("linq-v3", api_key=CANARY, base_url=garbage, http=http) as c:
            with pytest.raises(pr.TransportError) as caught:
                await c.get_number(first_id(emu))
        seen.append(texts(caught.value))
    async with pr.connect_async(
        "linq-v3", api_key=CANARY, base_url="http://127.0.0.1:9", http=http, max_retries=0
    ) as refused:
        with pytest.raises(pr.TransportError) as caught:
            await refused.find_number("+12025550100")
    assert "could not connect" in caught.value.message
    seen.append(texts(caught.value))
    # Every log record on aiohttp (it logs none of this); on httpx, phonerouting's: at
    # DEBUG, httpcore's own trace quotes what a garbling server sent (docs/api.md).
    records = [r for r in caplog.records if http == "aiohttp" or r.name == "phonerouting"]
    seen += [record.getMessage() + str(record.__dict__) for record in records]
    assert any("retrying after" in text for text in seen)
    assert [text for text in seen if CANARY in text] == []


def _unclosed(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "nclosed" in str(w.message)]


@pytest.mark.filterwarnings("error")
async def test_shutdown_is_clean_and_a_closed_client_refuses_work() -> None:
    emu = v3()
    with emu.serve() as url, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with pr.connect_async("linq-v3", api_key=CANARY, base_url=url) as client:
            await asyncio.gather(*(client.update_routing(first_id(emu), UPDATE) for _ in range(8)))
        # Built and closed without a request: nothing was ever opened.
        await pr.connect_async("linq-v3", api_key=CANARY, base_url=url).close()
        # Built in sync code and dropped unused: nothing to leak either.
        pr.connect_async("linq-v3", api_key=CANARY, base_url=url)
        del client
        gc.collect()
        await asyncio.sleep(0)
    assert _unclosed(caught) == []
    closed = pr.connect_async("linq-v3", api_key="k")
    await closed.close()
    with pytest.raises(RuntimeError, match="closed"):
        await closed.update_routing(first_id(emu), UPDATE)


async def test_one_pool_per_client_with_a_connection_limit() -> None:
    emu = v3()
    with emu.serve() as url:
        async with pr.connect_async("linq-v3", api_key=CANARY, base_url=url) as client:
            sender = client._http  # type: ignore[attr-defined]
            await client.get_number(first_id(emu))
            session = sender._session
            await asyncio.gather(*(client.get_number(first_id(emu)) for _ in range(20)))
            assert sender._session is session
            assert session.connector.limit == _aiohttp.MAX_CONNECTIONS == 100
            assert session.timeout.sock_read == 10.0
            context = session.connector._ssl
            assert isinstance(context, ssl.SSLContext)
            assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)


def test_tls_is_verified_with_httpx_trust_store(monkeypatch: pytest.MonkeyPatch) -> None:
    import certifi

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    context = _aiohttp.ssl_context()
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    expected = ssl.create_default_context(cafile=certifi.where())
    assert len(context.get_ca_certs()) == len(expected.get_ca_certs()) > 0


def test_timeouts_map_to_aiohttp_per_attempt() -> None:
    timeout = _aiohttp.client_timeout(connect=3.0, read=7.0, pool=2.0)
    assert (timeout.total, timeout.connect, timeout.sock_connect, timeout.sock_read) == (
        None,
        5.0,
        3.0,
        7.0,
    )
    none = _aiohttp.client_timeout(None, None, None)
    assert (none.total, none.connect, none.sock_connect, none.sock_read) == (None,) * 4


def test_failures_read_the_same_on_both_stacks() -> None:
    import aiohttp

    assert [
        (f.kind, f.name)
        for f in map(
            _aiohttp.failure,
            [
                aiohttp.ServerDisconnectedError(),
                aiohttp.SocketTimeoutError("Timeout on reading data from socket"),
                aiohttp.ConnectionTimeoutError("Connection timeout"),
                TimeoutError(),
                aiohttp.ClientOSError(104, "Connection reset by peer"),
            ],
        )
    ] == [
        ("other", "RemoteProtocolError"),
        ("timeout", "ReadTimeout"),
        ("timeout", "ConnectTimeout"),
        ("timeout", "ReadTimeout"),
        ("other", "ReadError"),
    ]
    request = httpx.Request("GET", "http://127.0.0.1/")
    from phonerouting._httpx import failure

    assert failure(httpx.RemoteProtocolError("x", request=request)).name == "RemoteProtocolError"
