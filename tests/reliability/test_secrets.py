"""A canary API key goes through every operation and every failure, for every provider,
both clients, the migration engine and the command line, and shows up nowhere: not in a
log record, an error's text or chain, a repr, the CLI's output, a journal or a cassette.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import os
import pickle
import re
import socket
import threading
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import phonerouting as pr
from phonerouting import migration, testing
from phonerouting.serialize import to_data
from tests import support
from tests.profiles import PROFILES
from tests.reliability.conftest import ServeFn
from tests.reliability.helpers import (
    MODES,
    PROVIDERS,
    UNKNOWN_ID,
    UPDATE,
    attempt,
    close,
    connect,
    credentials,
    emulator,
    first_id,
    first_number,
    succeed,
)

pytestmark = pytest.mark.timeout(180)

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"


def forms(key: str) -> tuple[str, ...]:
    """Every form in which the key travels: itself and Close's Basic credential."""
    return (key, base64.b64encode(f"{key}:".encode()).decode())


def error_texts(error: BaseException) -> list[str]:
    """Everything an error can be turned into by a caller or a logger."""
    texts = [
        str(error),
        repr(error),
        "".join(traceback.format_exception(error)),
        repr(error.__cause__),
        repr(error.args),
        pickle.dumps(error).decode("latin-1"),
        # Not printed by tracebacks once suppressed, but error trackers walk it.
        repr(error.__context__),
    ]
    if isinstance(error, pr.RoutingError):
        texts += [repr(vars(error)), repr(dict(error.details))]
    return texts


def record_texts(records: Iterable[logging.LogRecord]) -> list[str]:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    texts = []
    for record in records:
        texts += [record.getMessage(), formatter.format(record), repr(record.__dict__)]
    return texts


def assert_absent(key: str, texts: Iterable[str], where: str) -> None:
    for text in texts:
        for form in forms(key):
            assert form not in text, f"the key ({form[:14]}...) leaked into {where}: {text[:300]}"


def _echo_into(node: Any, echoed: str) -> Any:
    """``node`` with ``echoed`` appended to every string in it."""
    if isinstance(node, dict):
        return {key: _echo_into(value, echoed) for key, value in node.items()}
    if isinstance(node, list):
        return [_echo_into(value, echoed) for value in node]
    return f"{node} {echoed}" if isinstance(node, str) else node


class EchoTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A hostile proxy: every answer is the vendor's own error body (built by the
    emulator) with every request header echoed into each of its strings, and into the
    request id header."""

    def __init__(self, emu: testing.Emulator, status: int) -> None:
        self.emu = emu
        self.status = status

    def _answer(self, request: httpx.Request) -> httpx.Response:
        echoed = "; ".join(f"{k}: {v}" for k, v in request.headers.items())
        answer = self.emu.error(
            self.status,
            "refused",
            details={"label": "bad"},
            field_errors={"label": "bad"},
            retry_after=0,
        )
        payload = _echo_into(json.loads(answer.body), echoed)
        headers = dict(answer.headers)
        for name in ("X-Request-Id", "X-Trace-ID"):
            headers[name] = echoed
        return httpx.Response(self.status, headers=headers, json=payload, request=request)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return self._answer(request)


Setup = Callable[[], object] | None


def failures(emu: testing.Emulator) -> list[tuple[str, tuple[Any, ...], Setup]]:
    """(operation, arguments, fault to program first) covering each way a call fails."""
    provider = emu.provider
    number_id, write = first_id(emu), UPDATE[provider]
    f = emu.faults
    cases: list[tuple[str, tuple[Any, ...], Setup]] = [
        ("get_number", (UNKNOWN_ID[provider],), None),
        ("update_routing", (UNKNOWN_ID[provider], write), None),
        ("find_number", ("+12029999999",), None),
    ]
    for status in (400, 401, 402, 403, 404, 408, 409, 422):
        setup = functools.partial(f.add, "status", status=status, count=None)
        cases.append(("update_routing", (number_id, write), setup))
    cases += [
        ("list_numbers", (), functools.partial(f.rate_limited, None, retry_after=0)),
        (
            "update_routing",
            (number_id, write),
            functools.partial(f.rate_limited, None, retry_after=120),
        ),
        ("list_numbers", (), functools.partial(f.server_error, 503, count=None)),
        ("update_routing", (number_id, write), functools.partial(f.server_error, 500, count=None)),
        ("list_numbers", (), functools.partial(f.html, 502, count=None)),
        ("list_numbers", (), functools.partial(f.malformed, count=None)),
        ("update_routing", (number_id, write), functools.partial(f.malformed, count=None)),
        ("list_numbers", (), functools.partial(f.drop, count=None)),
    ]
    # The vendor's own refusals of a well-formed update (e.g. Close's 400 field-errors,
    # AgentMessage's 409), as its profile lists them.
    for bad in PROFILES[provider].refused_updates:
        cases.append(("update_routing", (number_id, bad), None))
    return cases


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_key_never_leaks_from_the_clients(
    provider: str,
    mode: str,
    canary: str,
    policy: pr.RetryPolicy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    emu = emulator(provider, api_key=canary)
    texts: list[str] = []
    raised: list[str] = []

    client = connect(mode, emu, retry_policy=policy)
    texts += [repr(client), str(client), repr(client.capabilities)]
    try:
        numbers = await succeed(client, "list_numbers")
        texts += [repr(numbers), json.dumps(to_data(numbers))]
        texts.append(repr(await succeed(client, "get_number", first_id(emu))))
        texts.append(repr(await succeed(client, "find_number", first_number(emu))))
        after = await succeed(client, "update_routing", first_id(emu), UPDATE[provider])
        texts += [repr(after), repr(after.routing())]
        for method, args, setup in failures(emu):
            emu.faults.clear()
            if setup is not None:
                setup()
            _, error = await attempt(client, method, *args)
            assert isinstance(error, pr.RoutingError), (method, setup, error)
            raised.append(type(error).__name__)
            texts += error_texts(error)
        emu.faults.clear()
    finally:
        await close(client)
    assert {"NotFoundError", "RateLimitError", "ServerError", "TransportError"} <= set(raised)
    assert {"ValidationError", "AuthenticationError", "UnexpectedResponseError"} <= set(raised)

    # Refused by a vendor that does not know the key; then a response too slow.
    stranger = emulator(provider, api_key="someone-else")
    client = connect(mode, stranger, api_key=canary, retry_policy=policy)
    _, error = await attempt(client, "list_numbers")
    await close(client)
    assert isinstance(error, pr.AuthenticationError), error
    texts += error_texts(error)
    emu.faults.delay(1.0, count=None)
    client = connect(mode, emu, retry_policy=policy, timeout=0.05, max_retries=1)
    _, error = await attempt(client, "list_numbers")
    await close(client)
    assert isinstance(error, pr.TransportError), error
    texts += error_texts(error)

    assert any(r.name == "phonerouting" and r.levelno == logging.DEBUG for r in caplog.records)
    assert any("retrying" in r.getMessage() for r in caplog.records)
    assert_absent(canary, texts, "an error, a result or a repr")
    assert_absent(canary, record_texts(caplog.records), "a log record")


async def echo_proxy_errors(
    provider: str, mode: str, key: str, policy: pr.RetryPolicy
) -> list[str]:
    """Every operation through an echoing proxy, for every error status; the errors'
    texts."""
    emu = emulator(provider, api_key=key)
    factory = pr.connect if mode == "sync" else pr.connect_async
    texts = []
    for status in (400, 401, 403, 404, 409, 422, 429, 500):
        client = factory(
            provider,
            **credentials(emu, key),
            transport=EchoTransport(emu, status),
            retry_policy=policy,
        )
        for method, args in (
            ("list_numbers", ()),
            ("update_routing", (first_id(emu), UPDATE[provider])),
        ):
            _, error = await attempt(client, method, *args)
            assert isinstance(error, pr.RoutingError), error
            assert error.status == status
            texts += error_texts(error)
        await close(client)
    return texts


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_echoing_proxy_cannot_put_the_key_into_an_error(
    provider: str, mode: str, canary: str, policy: pr.RetryPolicy
) -> None:
    # Every string of the body lands somewhere in the error: message, code (a string
    # for linq-v2 and agentmessage), request id, doc_url, details.
    texts = await echo_proxy_errors(provider, mode, canary, policy)
    assert_absent(canary, texts, "an error")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_an_echoing_proxy_cannot_put_the_key_into_a_log_record(
    provider: str, mode: str, canary: str, policy: pr.RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    # The debug log quotes the vendor's request id header (X-Trace-ID, X-Request-Id).
    caplog.set_level(logging.DEBUG, logger="phonerouting")
    await echo_proxy_errors(provider, mode, canary, policy)
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    assert_absent(canary, record_texts(caplog.records), "a phonerouting log record")


class GarbledServer:
    """A broken server on loopback that answers every request with the request's
    credential header echoed back as an illegal header line."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.02)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join(5)
        self.sock.close()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                lines = data.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]
                echoed = [
                    line.replace(b":", b"")
                    for line in lines
                    if line.lower().startswith((b"authorization", b"x-linq-integration-token"))
                ]
                head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + b"\r\n".join(echoed)
                conn.sendall(head + b"\r\n\r\n{}")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_garbled_response_cannot_put_the_key_into_a_transport_error(
    provider: str, mode: str, canary: str, policy: pr.RetryPolicy
) -> None:
    # The HTTP parser's complaint quotes the offending header line, so the key is in
    # the httpx/h11 exception: neither the TransportError's text nor its chain may
    # carry it.
    factory = pr.connect if mode == "sync" else pr.connect_async
    with GarbledServer() as url:
        secret = credentials(emulator(provider), canary)
        client = factory(provider, **secret, base_url=url, retry_policy=policy)
        _, error = await attempt(client, "list_numbers")
        await close(client)
    assert isinstance(error, pr.TransportError), error
    assert_absent(canary, error_texts(error), "a TransportError or its chain")


async def test_the_key_never_leaks_from_a_migration(
    canary: str, policy: pr.RetryPolicy, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    old = testing.LinqV2Emulator(12, seed=8, populate=1.0, api_key=canary)
    new = testing.LinqV3Emulator(12, seed=8, populate=0.0, api_key=canary)
    new.faults.add("status", status=422, count=2, method="PUT")
    new.faults.server_error(503, count=3, method="PUT")
    new.faults.drop(count=3, method="PUT")
    journal = tmp_path / "run.sqlite"
    texts: list[str] = []
    async with (
        connect("async", old, retry_policy=policy) as src,
        connect("async", new, retry_policy=policy) as dst,
    ):
        plan = await migration.plan(src, dst)
        report = await migration.apply(plan, dst, journal=journal, concurrency=1)
        assert len(report.failed) == 4  # two 422s, one 503 burst, one drop burst
        check = await migration.verify(plan, dst)
        again = await migration.apply(plan, dst, journal=journal)
        assert again.ok
        undone = await migration.rollback(dst, journal=journal)
        texts += [repr(x) for x in (plan, report, check, again, undone)]
        texts += [json.dumps(to_data(x)) for x in (plan, report, check, again, undone)]
        texts += [f.error for f in report.failed]
    journal_bytes = b"".join(p.read_bytes() for p in tmp_path.glob("run.sqlite*"))
    texts.append(journal_bytes.decode("latin-1"))
    assert b"ServerError" in journal_bytes or any("ServerError" in t for t in texts)
    assert_absent(canary, texts, "a plan, a report or the journal")
    assert_absent(canary, record_texts(caplog.records), "a log record")


# Bounds, not timings: each CLI run is a fresh interpreter, and under pytest-xdist the
# other worker shares the cores, so the bound leaves room for a loaded machine.
@pytest.mark.timeout(180)
def test_the_key_never_leaks_from_the_command_line(canary: str, serve_cli: ServeFn) -> None:
    emus: dict[str, testing.Emulator] = {
        "old": testing.LinqV2Emulator(10, seed=4, populate=1.0, api_key=canary),
        "new": testing.LinqV3Emulator(10, seed=4, populate=0.0, api_key=canary),
        "crm": testing.CloseEmulator(4, seed=4, api_key=canary),
        "am": testing.AgentMessageEmulator(4, seed=4, api_key=canary),
        "denied": testing.LinqV3Emulator(2, seed=4, api_key="someone-else"),
    }
    cli = serve_cli(emus, {"denied": canary})
    new, crm, am = emus["new"], emus["crm"], emus["am"]
    outputs: list[str] = []

    def batch(*commands: tuple[tuple[str, ...], int]) -> list[str]:
        """Run independent commands at once; each must exit with its code."""
        running = [(args, code, cli.popen(*args)) for args, code in commands]
        errors = []
        for args, code, process in running:
            out, err = process.communicate(timeout=30)
            outputs.extend([out, err])
            assert process.returncode == code, (args, process.returncode, out, err)
            errors.append(err)
        return errors

    # Failures that are retried: a 429 storm (Retry-After 0) and dropped connections.
    new.faults.rate_limited(None, retry_after=0)
    crm.faults.drop(count=None)
    errs = batch(
        (("list", "new", "--verbose"), 1),
        (("list", "crm", "--verbose"), 1),
        (("list", "denied", "--verbose"), 1),
        (("set", "am", first_id(am), "--label", "Desk", "--json"), 0),
        (("list", "old", "--json"), 0),
    )
    assert "retrying after RateLimitError" in errs[0]
    assert "type: RateLimitError" in errs[0]
    assert "failed in transport (RemoteProtocolError)" in errs[1]
    assert "type: AuthenticationError" in errs[2]
    new.faults.clear()
    crm.faults.clear()
    errs = batch(
        (("list", "new"), 0),
        (("set", "new", first_id(new), "--forwarding-number", "+12025559999", "-v"), 0),
        (("show", "old", "+12029999999", "--verbose"), 1),
        (("show", "crm", UNKNOWN_ID["close"], "--verbose"), 1),
        (("set", "crm", first_id(crm), "--participant", "user_nobody", "--verbose"), 1),
    )
    assert "no number" in errs[2]
    assert "HTTP 404" in errs[3]
    assert "details.participants" in errs[4]
    new.faults.add("status", status=422, count=2, method="PUT")
    new.faults.rate_limited(2, retry_after=0, method="PUT")
    apply = ("migrate", "apply", "--from", "old", "--to", "new", "--journal", "j.sqlite", "--yes")
    batch(((*apply, "--verbose"), 1))
    batch((("migrate", "rollback", "--to", "new", "--journal", "j.sqlite", "--json", "--yes"), 0))

    journal = b"".join(p.read_bytes() for p in cli.folder.glob("j.sqlite*"))
    assert journal
    outputs.append(journal.decode("latin-1"))
    outputs.append((cli.folder / "phonerouting.toml").read_text())
    assert_absent(canary, outputs, "the command line's output or its journal")


# ------------------------------------------------------------------ cassettes

_CREDENTIAL_HEADERS = {"authorization", "x-linq-integration-token", "proxy-authorization"}
_PLACEHOLDER = re.compile(
    r"(?i)\s*((bearer|basic)\s+)?[<\[{*(]*\s*"
    r"(redacted|filtered|removed|hidden|secret|api[_-]?key|token|key|x+|\*+)?\s*[>\]}*)]*\s*"
)


#: Keys as the emulators generate them (prefix + 32 hex digits), and canaries.
_KEY_SHAPES = re.compile(r"(?:linq_|am_live_|api_|emu_)[0-9a-fA-F]{32}|sk_canary_[0-9a-f]{8,}")


def _walk(node: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield f"{path}/{key}", value
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def test_cassettes_hold_no_credentials(canary: str) -> None:
    files = [p for p in CASSETTES.rglob("*") if p.is_file()] if CASSETTES.is_dir() else []
    for path in files:
        data = path.read_bytes()
        text = data.decode("utf-8", errors="replace")
        assert_absent(canary, [text], f"the cassette {path}")
        found = _KEY_SHAPES.search(text)
        assert found is None, f"{path} holds what looks like an API key: {found[0][:12]}..."
        try:
            loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError):
            continue
        for where, value in _walk(loaded):
            name = where.rsplit("/", 1)[-1].lower()
            if name not in _CREDENTIAL_HEADERS:
                continue
            values = value if isinstance(value, list) else [value]
            for item in values:
                assert isinstance(item, str | type(None)), (path, where)
                assert item is None or _PLACEHOLDER.fullmatch(item), (
                    f"{path}: {where} holds a credential, not a placeholder: {item[:12]}..."
                )


def test_cassette_check_recognises_a_recorded_key() -> None:
    # The checks above, run on a cassette that did record a key, must fail.
    leaked = {"interactions": [{"request": {"headers": {"Authorization": ["Bearer sk_x1"]}}}]}
    item = next(v for w, v in _walk(leaked) if w.endswith("Authorization"))[0]
    assert not _PLACEHOLDER.fullmatch(item)
    assert _KEY_SHAPES.search("X-LINQ-INTEGRATION-TOKEN: linq_" + "0a" * 16)
    for placeholder in ("[REDACTED]", "Bearer <REDACTED>", "Basic XXXX", "", "***"):
        assert _PLACEHOLDER.fullmatch(placeholder)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_key_pasted_as_key_env_is_never_printed(
    tmp_path: Path, canary: str, provider: str
) -> None:
    # The mistake of issue 9: the key itself where its variable's name belongs.
    (tmp_path / "phonerouting.toml").write_text(
        f'[accounts.old]\nprovider = "{provider}"\nkey_env = "{canary}"\n', encoding="utf-8"
    )
    cli = support.Cli(tmp_path, {"PATH": os.environ.get("PATH", "")})
    for args in (("list", "old"), ("--json", "show", "old", "+12025550142")):
        result = cli.run(*args)
        assert result.code == 2, result
        assert canary not in result.out + result.err
        assert "key_env is not an environment variable name" in result.err
