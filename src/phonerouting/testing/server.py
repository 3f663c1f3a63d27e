"""A small HTTP/1.1 keep-alive server in front of an emulator, on asyncio.

Each response is written in one piece with TCP_NODELAY set, so a client never waits on
Nagle's algorithm; one event loop serves any number of concurrent connections (the
emulators' work per request is a few microseconds, far below the HTTP handling).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from http import HTTPStatus
from urllib.parse import unquote

from phonerouting.testing.core import Emulator
from phonerouting.testing.wire import EmuResponse

__all__ = ["EmulatorServer", "serve_forever"]

_MAX_HEAD = 64 * 1024


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _encode(response: EmuResponse, keep_alive: bool) -> bytes:
    lines = [f"HTTP/1.1 {response.status} {_reason(response.status)}"]
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
                length = int(headers.get("content-length", "0"))
                body = await reader.readexactly(length) if length else b""
            except (ValueError, asyncio.IncompleteReadError, ConnectionError):
                return
            raw_path, _, query = target.partition("?")
            response, delay = emulator.handle(method, unquote(raw_path), query, headers, body)
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
