"""The loopback HTTP server: chunked request bodies, transfer codings it refuses, the
vendor's 500 when the emulator itself fails, and the status line of a fault page."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from phonerouting import testing
from phonerouting.testing.wire import EmuRequest, EmuResponse
from tests.emulators.http import auth_headers
from tests.emulators.scenarios import PROVIDERS, assert_server_error


def _raw(base_url: str, request: bytes) -> bytes:
    """Send raw bytes, read until the server closes or 2 s pass; the whole answer."""
    host, port = base_url.split("//", 1)[1].split("/", 1)[0].split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(request)
        sock.settimeout(2)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


def test_a_chunked_body_reaches_the_emulator_whole() -> None:
    emu = testing.LinqV3Emulator()
    record = emu.add_number("+12025550142")

    def body() -> Iterator[bytes]:
        yield b'{"forwarding_number": '
        yield b'"+16175550123"}'

    with emu.serve() as base_url, httpx.Client(base_url=base_url, timeout=10) as http:
        response = http.put(
            f"/v3/phone_numbers/{record.id}",
            content=body(),
            headers={**auth_headers("linq-v3", emu.api_key), "Content-Type": "application/json"},
        )
        # The connection stays usable after a chunked request.
        listed = http.get("/v3/phone_numbers", headers=auth_headers("linq-v3", emu.api_key))
    (put, _) = emu.requests
    assert put.headers["transfer-encoding"] == "chunked"
    assert put.body == b'{"forwarding_number": "+16175550123"}'
    assert response.status_code == 200
    assert response.json()["forwarding_number"] == "+16175550123"
    assert listed.json()["phone_numbers"][0]["forwarding_number"] == "+16175550123"


def test_chunk_extensions_and_trailers_are_accepted() -> None:
    emu = testing.LinqV2Emulator(api_key="tok")
    emu.add_number("+12025550142")
    request = (
        b"PUT /api/partner/v2/phone_numbers/1001 HTTP/1.1\r\nHost: x\r\n"
        b"X-LINQ-INTEGRATION-TOKEN: tok\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n"
        b'5;note=first\r\n{"for\r\n'
        b'1B\r\nwarding_number": "+16175550\r\n'
        b'5\r\n123"}\r\n'
        b"0\r\nX-Checksum: none\r\n\r\n"
    )
    with emu.serve() as base_url:
        answer = _raw(base_url, request)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert json.loads(body)["forwarding_number"] == "+16175550123"
    assert emu.get(1001).forwarding_number == "+16175550123"


@pytest.mark.parametrize(
    ("coding", "payload", "status_line"),
    [
        (b"gzip", b"", b"HTTP/1.1 501 Not Implemented"),
        (b"chunked", b"zz\r\nabc\r\n0\r\n\r\n", b"HTTP/1.1 400 Bad Request"),
        (b"chunked", b"3\r\nabcXY0\r\n\r\n", b"HTTP/1.1 400 Bad Request"),
    ],
    ids=["unsupported-coding", "bad-size", "no-crlf-after-chunk"],
)
def test_framing_a_real_server_refuses_is_answered_then_closed(
    coding: bytes, payload: bytes, status_line: bytes
) -> None:
    emu = testing.LinqV2Emulator(api_key="tok")
    request = (
        b"PUT /api/partner/v2/phone_numbers/1001 HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: " + coding + b"\r\n\r\n" + payload
    )
    with emu.serve() as base_url:
        answer = _raw(base_url, request)
    assert answer.startswith(status_line + b"\r\n")
    assert b"Connection: close\r\n" in answer
    assert emu.requests == []  # the emulator never saw it


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_emulator_exception_is_a_logged_vendor_500(
    provider: str, caplog: pytest.LogCaptureFixture
) -> None:
    emu = testing.emulator(provider, 1)
    calls = 0

    def broken(request: EmuRequest) -> EmuResponse:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("emulator bug")
        return EmuResponse(200, {"Content-Type": "application/json"}, b"{}")

    emu.route = broken  # type: ignore[method-assign]
    headers = auth_headers(provider, emu.api_key, emu)
    with (
        caplog.at_level(logging.ERROR, logger="phonerouting.testing.server"),
        emu.serve() as base_url,
        httpx.Client(base_url=base_url, headers=headers, timeout=10) as http,
    ):
        failed = http.get("/anything/")
        after = http.get("/anything/")  # the same connection keeps serving
    assert failed.status_code == 500
    # The vendor's own 500, its request or trace id matching its header.
    assert_server_error(emu, failed, 500)
    assert after.status_code == 200
    (record,) = [r for r in caplog.records if r.name == "phonerouting.testing.server"]
    assert record.levelno == logging.ERROR
    assert f"the {provider} emulator failed on GET" in record.getMessage()
    assert record.exc_info is not None
    assert "emulator bug" in str(record.exc_info[1])


def test_the_status_line_of_a_fault_page_has_the_right_reason() -> None:
    emu = testing.LinqV2Emulator(api_key="tok")
    emu.faults.html(503)
    with emu.serve() as base_url:
        answer = _raw(
            base_url,
            b"GET /api/partner/v2/phone_numbers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
    assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert b"<title>503 Service Unavailable</title>" in answer


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--port", "99999"), "argument --port: must be from 0 to 65535, not 99999"),
        (("--numbers", "-5"), "argument --numbers: must be from 0 to 1000000, not -5"),
        (("--populate", "2"), "argument --populate: must be from 0 to 1, not 2"),
    ],
)
def test_serve_refuses_unusable_options(extra: tuple[str, ...], message: str) -> None:
    from tests.support import SCRIPT

    done = subprocess.run(
        [str(SCRIPT), "emulate", "--provider", "close", *extra],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert (
        done.stderr == f"phonerouting emulate: error: {message} (see phonerouting emulate --help)\n"
    )


def test_serve_on_a_port_in_use_is_one_line_and_exit_2() -> None:
    from tests.support import SCRIPT

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(SCRIPT), "emulate", "--provider", "close", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith(f"phonerouting: error: cannot listen on 127.0.0.1:{port}: ")
    assert "address already in use" in done.stderr
    assert done.stderr.count("\n") == 1
