"""The service's foundation through its HTTP interface: probes, accounts, tokens and
roles on every route, problems, mounting, the token command, secrets kept out."""

from __future__ import annotations

import base64
import json
import logging
import re
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount, Route

import phonerouting as pr
from phonerouting.server import ServerConfig, create_app, hash_token
from phonerouting.server.auth import FailureThrottle
from phonerouting.server.openapi import OPERATIONS
from phonerouting.store import Session
from tests.server.conftest import SCOPED, SCOPED_ADMIN, Api, Waits, build, store_contents, store_of

pytestmark = pytest.mark.timeout(180)


def test_import_phonerouting_loads_no_server_framework() -> None:
    code = (
        "import sys, phonerouting, phonerouting.cli, phonerouting.server.auth\n"
        "from phonerouting.cli import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('starlette', 'uvicorn')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_probes(api: Api) -> None:
    alive = await api.get("/healthz", who=None)
    assert (alive.status_code, alive.json()) == (200, {"status": "ok"})
    ready = await api.get("/readyz", who=None)
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_readyz_is_503_when_the_store_cannot_be_opened(tmp_path: Path, waits: Waits) -> None:
    (tmp_path / "store.sqlite").mkdir()  # a directory where the file should be
    demo = build(tmp_path, waits)
    app = create_app(demo.config)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["error"] == "ConfigurationError"
    assert response.json()["detail"].startswith("cannot open the store ")
    assert response.json()["hint"].startswith("Give --store a writable file path")


async def test_accounts_list_every_provider_with_capabilities_and_health(api: Api) -> None:
    response = await api.get("/api/v1/accounts", who="viewer")
    assert response.status_code == 200
    items = {item["name"]: item for item in response.json()["items"]}
    assert set(items) == set(api.demo.emulators)
    for name, item in items.items():
        emu = api.demo.emulators[name]
        assert item["provider"] == emu.provider
        assert item["numbers"] == len(emu.numbers)
        assert item["health"]["stale"] is False
        assert item["health"]["last_error"] is None
        assert item["health"]["last_success_at"] is not None
        assert set(item) == {"name", "provider", "capabilities", "health", "numbers"}
        client = api.service.clients[name]
        assert item["capabilities"] == {
            "settable": sorted(client.capabilities.settable),
            "clearable": sorted(client.capabilities.clearable),
        }


# ---------------------------------------------------------------- every route by who


async def _fixtures(api: Api) -> dict[str, str]:
    """Concrete values for every path parameter, all outside the scoped token's account."""
    other = "linq-v3"
    numbers = (await api.get(f"/api/v1/numbers?account={other}&limit=1")).json()["items"]
    change = await api.call(
        "POST",
        "/api/v1/changes",
        json={
            "selection": {"accounts": [other]},
            "update": {"forwarding_number": "+12025550100"},
        },
    )
    migration = await api.call("POST", "/api/v1/migrations", json={"from": "linq-v2", "to": other})
    assert (change.status_code, migration.status_code) == (201, 201)
    return {
        "name": other,
        "id": numbers[0]["id"],
        "e164": numbers[0]["number"],
        "change": change.json()["id"],
        "migration": migration.json()["id"],
    }


def _path(path: str, values: dict[str, str]) -> str:
    job = values["migration"] if "/migrations/" in path else values["change"]
    path = path.replace("/changes/{id}", f"/changes/{job}").replace(
        "/migrations/{id}", f"/migrations/{job}"
    )
    for key in ("name", "id", "e164"):
        path = path.replace("{" + key + "}", values[key])
    return path


_BODIES: dict[str, Any] = {
    "/api/v1/changes": {"selection": {"accounts": ["linq-v3"]}, "update": {"label": None}},
    "/api/v1/migrations": {"from": "linq-v3", "to": "linq-v2"},
    "/api/v1/accounts/{name}/numbers/{id}": {"forwarding_number": None},
}

_PROTECTED = [op for op in OPERATIONS if op[2] is not None]


@pytest.mark.parametrize(("method", "path"), [(op[0], op[1]) for op in _PROTECTED])
async def test_every_protected_route_needs_a_token(api: Api, method: str, path: str) -> None:
    values = await _fixtures(api)
    for header in ({}, {"Authorization": "Bearer prt_not-a-token"}, {"Authorization": "Basic x"}):
        response = await api.call(
            method.upper(), _path(path, values), who=None, headers=header, json=_BODIES.get(path)
        )
        assert response.status_code == 401, (path, header)
        assert response.headers["www-authenticate"] == 'Bearer realm="phonerouting"'
        assert response.json()["error"] == "UnauthorizedError"


_LOWER = {"editor": "viewer", "admin": "editor"}


def _writes(emu: Any) -> list[Any]:
    """The requests that may have written (anything but a read)."""
    return [r for r in emu.requests if r.method not in ("GET", "HEAD")]


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [(op[0], op[1], op[2]) for op in _PROTECTED if op[2] != "viewer"],
)
async def test_every_route_refuses_a_role_too_low(
    api: Api, method: str, path: str, role: str
) -> None:
    values = await _fixtures(api)
    written = {name: len(_writes(emu)) for name, emu in api.demo.emulators.items()}
    response = await api.call(
        method.upper(), _path(path, values), who=_LOWER[role], json=_BODIES.get(path)
    )
    assert response.status_code == 403
    assert response.json()["error"] == "ForbiddenError"
    assert role in response.json()["detail"]
    assert {name: len(_writes(emu)) for name, emu in api.demo.emulators.items()} == written


@pytest.mark.parametrize(
    ("method", "path", "who"),
    [
        (op[0], op[1], "scoped" if op[2] != "admin" else "scoped-admin")
        for op in _PROTECTED
        if "{" in op[1] or op[1] in ("/api/v1/changes", "/api/v1/migrations")
    ],
)
async def test_a_scoped_token_gets_404_for_another_accounts_things(
    api: Api, method: str, path: str, who: str
) -> None:
    """Every route naming another account's things, by a token of the role it needs
    scoped to linq-v2 (an editor's, or an admin's for the admin routes)."""
    values = await _fixtures(api)
    written = {name: len(_writes(emu)) for name, emu in api.demo.emulators.items()}
    response = await api.call(method.upper(), _path(path, values), who=who, json=_BODIES.get(path))
    assert {name: len(_writes(emu)) for name, emu in api.demo.emulators.items()} == written
    assert response.status_code == 404, response.text
    assert response.json()["error"] == "NotFoundError"
    # The same answer as for an account that does not exist: nothing tells them apart.
    assert "linq-v3" not in response.json()["hint"]


async def test_a_scoped_token_lists_only_its_account(api: Api) -> None:
    values = await _fixtures(api)
    del values
    accounts = (await api.get("/api/v1/accounts", who="scoped")).json()["items"]
    assert [a["name"] for a in accounts] == ["linq-v2"]
    numbers = (await api.get("/api/v1/numbers?limit=1000", who="scoped")).json()["items"]
    assert {n["account"] for n in numbers} == {"linq-v2"}
    assert len(numbers) == len(api.demo.emulators["linq-v2"].numbers)
    named = await api.get("/api/v1/numbers?account=linq-v3", who="scoped")
    assert named.status_code == 404
    audit = await api.get("/api/v1/audit?account=linq-v3", who="scoped")
    assert audit.status_code == 404


async def test_repeated_failures_from_one_client_are_slowed_down(api: Api, waits: Waits) -> None:
    for _ in range(8):
        response = await api.get("/api/v1/accounts", who=None)
        assert response.status_code == 401
    # Five free failures, then 0.25 s doubling.
    assert waits.seconds == [0.25, 0.5, 1.0]
    assert (await api.get("/api/v1/accounts", who="viewer")).status_code == 200
    await api.get("/api/v1/accounts", who=None)
    assert waits.seconds == [0.25, 0.5, 1.0]  # a success forgets the failures


async def test_failures_are_slowed_down_per_client(api: Api, waits: Waits) -> None:
    """Another address is not slowed by the first one's failures, nor forgiven by them."""
    other = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app, client=("192.0.2.7", 4000)),
        base_url="http://test",
    )
    async with other:
        for _ in range(7):
            assert (await api.get("/api/v1/accounts", who=None)).status_code == 401
        assert waits.seconds == [0.25, 0.5]
        assert (await other.get("/api/v1/accounts")).status_code == 401
        assert waits.seconds == [0.25, 0.5]  # its first failure: free
        assert (await api.get("/api/v1/accounts", who=None)).status_code == 401
        assert waits.seconds == [0.25, 0.5, 1.0]


def test_the_throttle_caps_its_wait_and_forgets_after_its_window() -> None:
    clock = [0.0]
    throttle = FailureThrottle(free=1, base=1.0, cap=3.0, window=60.0, clock=lambda: clock[0])
    assert [throttle.failed("a") for _ in range(5)] == [0.0, 1.0, 2.0, 3.0, 3.0]
    clock[0] = 61.0  # a minute after the last failure: its count starts again
    assert [throttle.failed("a") for _ in range(2)] == [0.0, 1.0]
    throttle.succeeded("a")
    assert throttle.failed("a") == 0.0


# ---------------------------------------------------------------- problems


def _problem(
    response: httpx.Response, status: int, error: str, field: str | None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["error"] == body["title"] == error
    assert body["field"] == field
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["request_id"].startswith("req_")
    assert body["hint"]
    assert body["type"].startswith("urn:phonerouting:problem:")
    return body


async def test_client_mistakes_are_4xx_problems(api: Api) -> None:
    number = (await api.get("/api/v1/numbers?account=close&limit=1")).json()["items"][0]
    patch = f"/api/v1/accounts/close/numbers/{number['id']}"
    _problem(await api.call("PATCH", patch, content=b"{nope"), 400, "BadRequestError", "body")
    _problem(await api.call("PATCH", patch, content=b"[1]"), 400, "BadRequestError", "body")
    _problem(
        await api.call("PATCH", patch, json={"colour": "red"}), 400, "BadRequestError", "colour"
    )
    huge = b'{"label": "' + b"x" * (1024 * 1024) + b'"}'
    _problem(await api.call("PATCH", patch, content=huge), 413, "BodyTooLargeError", "body")
    body = _problem(
        await api.call("PATCH", patch, json={"ring_duration": 5}),
        422,
        "ValidationError",
        "ring_duration",
    )
    assert body["detail"] == "ring_duration must be between 15 and 90 seconds, not 5"
    body = _problem(
        await api.call("PATCH", patch, json={"campaign_id": None}),
        422,
        "UnsupportedFieldError",
        "campaign_id",
    )
    assert body["provider"] == "close"
    _problem(await api.get("/api/v1/numbers?cursor=%%%"), 400, "BadRequestError", "cursor")
    _problem(await api.get("/api/v1/numbers?cursor=WzFd"), 400, "BadRequestError", "cursor")
    _problem(await api.get("/api/v1/numbers?limit=0"), 400, "BadRequestError", "limit")
    _problem(await api.get("/api/v1/numbers?has=colour"), 422, "ValidationError", "has")
    _problem(await api.get("/api/v1/numbers?sort=x"), 400, "BadRequestError", "sort")
    _problem(await api.get("/api/v1/audit?since=yesterday"), 400, "BadRequestError", "since")
    _problem(await api.get("/api/v1/numbers/12"), 400, "BadRequestError", "e164")
    _problem(await api.get("/api/v1/nowhere"), 404, "NotFoundError", None)
    _problem(await api.call("DELETE", "/api/v1/numbers"), 405, "BadRequestError", "method")
    _problem(await api.get("/api/v1/changes/chg_nope"), 404, "NotFoundError", None)


def _cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


async def test_odd_numbers_strings_and_repeats_are_4xx_problems_too(api: Api) -> None:
    # Each of these was a 500: int() of a digit str.isdigit() takes, or of 5,000 digits;
    # a cursor past SQLite's integers; half a surrogate pair, which SQLite cannot encode;
    # a field named so often that the store's query grew past SQLite's limits.
    number = (await api.get("/api/v1/numbers?account=close&limit=1")).json()["items"][0]
    patch = f"/api/v1/accounts/close/numbers/{number['id']}"
    _problem(await api.get("/api/v1/numbers?limit=%C2%B2"), 400, "BadRequestError", "limit")
    _problem(await api.get("/api/v1/numbers?limit=" + "9" * 5000), 400, "BadRequestError", "limit")
    too_far = _cursor(2**63)
    _problem(await api.get(f"/api/v1/audit?cursor={too_far}"), 400, "BadRequestError", "cursor")
    half = _cursor(["\ud800", "close", "x"])
    _problem(await api.get(f"/api/v1/numbers?cursor={half}"), 400, "BadRequestError", "cursor")
    for body in (
        b'{"label": "\\ud800"}',
        b'{"\\udfff": 1}',
        b'{"label": ["\\uDBFF"]}',
    ):
        _problem(await api.call("PATCH", patch, content=body), 400, "BadRequestError", "body")
    for selection in (b'{"q": "\\ud800"}', b'{"providers": ["\\ud800"]}'):
        body = b'{"selection": ' + selection + b', "update": {"label": "x"}}'
        _problem(
            await api.call("POST", "/api/v1/changes", content=body), 400, "BadRequestError", "body"
        )
    # A pair is one character, and welcome.
    written = await api.call("PATCH", patch, content=b'{"label": "Desk \\ud83d\\ude00"}')
    assert written.status_code == 200, written.text
    assert written.json()["label"] == "Desk \U0001f600"
    many = {"selection": {"has": ["label"] * 5000}, "update": {"label": "x"}}
    assert (await api.call("POST", "/api/v1/changes", json=many)).status_code == 201
    assert (
        await api.get("/api/v1/numbers?missing=" + ",".join(["tags"] * 5000))
    ).status_code == 200


async def test_a_vendor_failure_carries_its_class_code_and_request_id(api: Api) -> None:
    emu = api.demo.emulators["linq-v3"]
    number = (await api.get("/api/v1/numbers?account=linq-v3&limit=1")).json()["items"][0]
    emu.faults.server_error(500, count=10)
    response = await api.call(
        "PATCH",
        f"/api/v1/accounts/linq-v3/numbers/{number['id']}",
        json={"forwarding_number": "+12025550111"},
    )
    body = _problem(response, 502, "ServerError", None)
    assert body["provider"] == "linq-v3"
    assert body["vendor_request_id"]
    assert body["vendor_request_id"] in body["hint"]


# ---------------------------------------------------------------- mounting


async def test_mounted_under_a_prefix_every_route_works(api: Api) -> None:
    inner = create_app(api.demo.config)

    async def home(request: Any) -> Any:
        from starlette.responses import PlainTextResponse

        return PlainTextResponse("host")

    host = Starlette(routes=[Route("/", home), Mount("/phones", app=inner)])
    transport = httpx.ASGITransport(app=host)
    headers = {"Authorization": f"Bearer {api.demo.tokens['admin']}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://host") as client:
        assert (await client.get("/")).text == "host"
        assert (await client.get("/phones/healthz")).json() == {"status": "ok"}
        assert (await client.get("/phones/readyz")).status_code == 200
        accounts = await client.get("/phones/api/v1/accounts", headers=headers)
        assert accounts.status_code == 200
        number = (await client.get("/phones/api/v1/numbers?account=close", headers=headers)).json()[
            "items"
        ][0]
        patched = await client.patch(
            f"/phones/api/v1/accounts/close/numbers/{number['id']}",
            headers=headers,
            json={"label": "Mounted"},
        )
        assert patched.json()["label"] == "Mounted"
        change = await client.post(
            "/phones/api/v1/changes",
            headers=headers,
            json={"selection": {"accounts": ["close"]}, "update": {"label": "All"}},
        )
        assert change.headers["location"] == f"/phones/api/v1/changes/{change.json()['id']}"
        assert (await client.get(change.headers["location"], headers=headers)).status_code == 200
        doc = (await client.get("/phones/openapi.json")).json()
        assert doc["servers"] == [{"url": "/phones"}]
        missing = await client.get("/phones/api/v1/nowhere", headers=headers)
        assert missing.status_code == 404
    await inner.state.service.close()


# ---------------------------------------------------------------- tokens


def test_token_create_prints_the_token_once_and_the_lines_to_add(tmp_path: Path) -> None:
    config = tmp_path / "phonerouting.toml"
    config.write_text('[accounts.main]\nprovider = "close"\nkey_env = "CLOSE_KEY_MAIN"\n')
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "phonerouting.cli",
            "--config",
            str(config),
            "token",
            "create",
            "ops",
            "--role",
            "editor",
            "--accounts",
            "main",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    token = re.findall(r"^prt_\S+$", out.stdout, re.MULTILINE)
    assert len(token) == 1
    lines = out.stdout[out.stdout.index("[tokens.ops]") :]
    assert tomllib.loads(lines) == {
        "tokens": {"ops": {"role": "editor", "accounts": ["main"], "hash": hash_token(token[0])}}
    }
    assert token[0] not in lines
    config.write_text(config.read_text() + "\n" + lines)
    loaded = ServerConfig.from_file(config)
    assert loaded.tokens["ops"].principal.accounts == frozenset({"main"})
    assert loaded.store.path == tmp_path / "phonerouting.sqlite"  # type: ignore[attr-defined]

    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "phonerouting.cli",
            "--config",
            str(config),
            "token",
            "create",
            "ops",
            "--role",
            "editor",
            "--accounts",
            "nope",
        ],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "nope" in refused.stderr


def test_a_token_pasted_as_its_hash_is_refused_without_being_shown(tmp_path: Path) -> None:
    config = tmp_path / "phonerouting.toml"
    config.write_text('[tokens.x]\nrole = "admin"\nhash = "prt_secretsecret"\n')
    with pytest.raises(pr.ConfigurationError) as caught:
        ServerConfig.from_file(config)
    assert "prt_secretsecret" not in str(caught.value)
    assert "hash must be sha256:" in str(caught.value)


# ---------------------------------------------------------------- secrets


async def test_no_credential_or_token_reaches_a_response_log_or_the_store(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    values = await _fixtures(api)
    emu = api.demo.emulators["close"]
    number = (await api.get("/api/v1/numbers?account=close&limit=1")).json()["items"][0]
    patch = f"/api/v1/accounts/close/numbers/{number['id']}"
    await api.call("PATCH", patch, json={"label": "Canary"})
    emu.faults.server_error(503, count=10)
    await api.call("PATCH", patch, json={"label": "Again"})
    await api.call("POST", "/api/v1/accounts/close/refresh")
    emu.faults.clear()
    apply = await api.call("POST", f"/api/v1/changes/{values['change']}/apply")
    await api.service.wait(apply.json()["id"])
    for path in ("/api/v1/accounts", "/api/v1/audit", "/api/v1/audit?format=csv", "/openapi.json"):
        await api.get(path)
    await api.get("/api/v1/accounts", who="scoped")
    # A web session's id is a bearer secret too: the store keeps only what checks it.
    session_id = "sess-canary-" + "5" * 32
    started = datetime.now(UTC)
    await api.service.store.save_session(
        Session(session_id, "admin", started, started + timedelta(hours=1), {"csrf": "x"})
    )
    assert (await api.service.store.get_session(session_id)).token_name == "admin"
    secrets = [e.api_key for e in api.demo.emulators.values()]
    secrets += [*api.demo.tokens.values(), SCOPED, SCOPED_ADMIN, session_id]
    seen = [r.text + json.dumps(dict(r.headers)) for r in api.responses]
    seen.append(caplog.text)
    store = store_of(api.demo)
    await api.service.close()
    seen += store_contents(store)
    assert len(api.responses) > 10
    for secret in secrets:
        for text in seen:
            assert secret not in text
