"""A small HTTP/1.1 keep-alive server in front of an emulator, on asyncio.

Each response is written in one piece with TCP_NODELAY set, so a client never waits on
Nagle's algorithm; one event loop serves any number of concurrent connections (the
emulators' work per request is a few microseconds, far below the HTTP handling).

Request bodies come with ``Content-Length`` or ``Transfer-Encoding: chunked``; any other
transfer coding gets a 501 and a malformed chunked body a 400, as a real front server
answers them. An exception inside the emulator is logged and answered with the
vendor's own 500, so a bug in a test double shows up as a response, not a hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import threading
from urllib.parse import unquote

from phonerouting.testing.core import Emulator, reason_phrase
from phonerouting.testing.wire import EmuResponse

__all__ = ["EmulatorServer", "serve_forever"]

_MAX_HEAD = 64 * 1024
#: The largest request body accepted (the vendors' bodies are a few hundred bytes).
_MAX_BODY = 16 * 1024 * 1024
_log = logging.getLogger(__name__)
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")


class _RefusedRequestError(Exception):
    """A request the server refuses before the emulator sees it (status, reason)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _encode(response: EmuResponse, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {response.status} {reason_phrase(response.status)}"]
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    lines.append(f"Content-Length: {len(response.body)}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body


async def _connection(
    emulator: Emulator, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            try:
                method, target, _version = lines[0].split(" ", 2)
            except ValueError:
                return
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            try:
                body = await _read_body(reader, headers)
            except _RefusedRequestError as refused:
                # The rest of the stream cannot be framed: answer, then close.
                writer.write(_encode(_plain(refused.status, str(refused)), keep_alive=False))
                await writer.drain()
                return
            except (
                ValueError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ConnectionError,
            ):
                return
            raw_path, _, query = target.partition("?")
            try:
                response, delay = emulator.handle(method, unquote(raw_path), query, headers, body)
            except Exception:
                _log.exception(
                    "the %s emulator failed on %s %s", emulator.provider, method, raw_path
                )
                response, delay = emulator.internal_error(), 0.0
            if delay:
                await asyncio.sleep(delay)
            if response is None:
                # A dropped connection: close without a byte of response.
                return
            keep_alive = headers.get("connection", "").lower() != "close"
            writer.write(_encode(response, keep_alive))
            await writer.drain()
            if not keep_alive:
                return
    except asyncio.CancelledError:
        # The server is shutting down with this connection idle: nothing to finish.
        return
    finally:
        with contextlib.suppress(Exception):
            writer.close()


def _plain(status: int, message: str) -> EmuResponse:
    return EmuResponse(status, {"Content-Type": "text/plain"}, message.encode() + b"\n")


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    """The request body, framed by Transfer-Encoding (chunked only) or Content-Length.

    Raises _RefusedRequestError for framing a real server refuses, ValueError for a bad
    Content-Length (the connection is then just closed, as before).
    """
    coding = headers.get("transfer-encoding")
    if coding is None:
        length = int(headers.get("content-length", "0"))
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > _MAX_BODY:
            raise _RefusedRequestError(413, "request body too large")
        return await reader.readexactly(length) if length else b""
    # RFC 9112 6.1: chunked must be the final coding; Transfer-Encoding overrides
    # Content-Length. Compression codings are not something these vendors take.
    if coding.strip().lower() != "chunked":
        raise _RefusedRequestError(501, f"unsupported Transfer-Encoding: {coding}")
    chunks: list[bytes] = []
    size = 0
    while True:
        line = await reader.readuntil(b"\r\n")
        text = line[:-2].split(b";", 1)[0].strip()  # chunk extensions are ignored
        if _CHUNK_SIZE.fullmatch(text) is None:
            raise _RefusedRequestError(400, "malformed chunk size")
        chunk = int(text, 16)
        if chunk == 0:
            break
        size += chunk
        if size > _MAX_BODY:
            raise _RefusedRequestError(413, "request body too large")
        chunks.append(await reader.readexactly(chunk))
        if await reader.readexactly(2) != b"\r\n":
            raise _RefusedRequestError(400, "chunk not followed by CRLF")
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass  # trailer fields: nothing here uses them
    return b"".join(chunks)


async def _start(emulator: Emulator, host: str, port: int) -> asyncio.Server:
    return await asyncio.start_server(
        lambda r, w: _connection(emulator, r, w), host, port, limit=_MAX_HEAD, backlog=512
    )


def _base_url(emulator: Emulator, server: asyncio.Server) -> str:
    host, port = server.sockets[0].getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{emulator.base_path}"


class EmulatorServer:
    """Serves an emulator from a background thread (see ``Emulator.serve()``)."""

    def __init__(self, emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.emulator = emulator
        self.host = host
        self.port = port
        self.base_url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        """Start serving; returns once the port is bound."""
        self._thread = threading.Thread(target=self._run, name="phonerouting-emulator", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)
        if self._error is not None:
            raise self._error
        if not self.base_url:
            raise RuntimeError("the emulator server did not start within 10 s")

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await _start(self.emulator, self.host, self.port)
        self.base_url = _base_url(self.emulator, server)
        self._ready.set()
        async with server:
            await self._stop.wait()

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)


async def serve_forever(
    emulator: Emulator, host: str, port: int, announce: list[str] | None = None
) -> None:
    """Serve in the current event loop until cancelled; prints the base URL first, then
    any ``announce`` lines, flushed at once."""
    server = await _start(emulator, host, port)
    print(_base_url(emulator, server), flush=True)
    for line in announce or ():
        print(line, flush=True)
    async with server:
        await server.serve_forever()
