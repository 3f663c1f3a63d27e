"""The console's sessions and CSRF checks, in process (no browser): the cookie is the
API's auth for a signed-in browser, every state-changing request needs the session's
CSRF token and the console's own origin, and a refused request reaches no vendor."""

from __future__ import annotations

import contextlib
import hashlib
import re
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from phonerouting.console.sessions import COOKIE
from phonerouting.server import create_app
from phonerouting.server.demo import Demo, demo_config
from phonerouting.store.base import session_key

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def demo(tmp_path: Path) -> Demo:
    return demo_config(
        tmp_path / "store.sqlite", numbers=6, wait_for_inventory=True, refresh_max_age=None
    )


@pytest.fixture
async def app(demo: Demo) -> AsyncIterator[object]:
    application = create_app(demo.config)
    yield application
    await application.state.service.close()


def _client(app: object, base: str = "http://127.0.0.1:8080") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=base)


async def _sign_in(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post(
        "/signin",
        content=f"token={token}&next=%2Fnumbers",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": "http://127.0.0.1:8080",
        },
    )


def test_import_phonerouting_loads_neither_the_console_nor_jinja2() -> None:
    code = (
        "import sys, phonerouting\n"
        "print(sorted(m for m in sys.modules if m.startswith(('phonerouting.console', 'jinja2'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


async def test_a_session_cookie_is_the_apis_auth_and_writes_need_its_csrf_token(
    app: object, demo: Demo, tmp_path: Path
) -> None:
    emu = demo.emulators["close"]
    async with _client(app) as http:
        signed = await _sign_in(http, demo.tokens["editor"])
        assert signed.status_code == 303
        assert signed.headers["location"] == "/numbers"
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Max-Age=28800" in cookie
        assert "Secure" not in cookie  # loopback: a Secure cookie would never come back
        value = http.cookies[COOKIE]
        service = app.state.service  # type: ignore[attr-defined]
        session = await service.store.get_session(value)
        assert session is not None
        assert value not in repr(session)
        # The store keeps the cookie's hash (once), never the cookie itself.
        with contextlib.closing(sqlite3.connect(tmp_path / "store.sqlite")) as db:
            assert db.execute("SELECT id FROM sessions").fetchall() == [
                (hashlib.sha256(value.encode()).hexdigest(),)
            ]
        assert session_key(value) == hashlib.sha256(value.encode()).hexdigest()
        assert session.token_name == "editor"
        csrf = session.data["csrf"]
        page = await http.get("/numbers")
        assert page.status_code == 200
        assert f'<meta name="csrf-token" content="{csrf}">' in page.text
        assert re.fullmatch(r"app;dur=\d+\.\d", page.headers["server-timing"])
        assert demo.tokens["editor"] not in page.text

        listed = await http.get("/api/v1/numbers", params={"account": "close", "limit": 1})
        assert listed.status_code == 200
        number = listed.json()["items"][0]
        path = f"/api/v1/accounts/close/numbers/{number['id']}"
        emu.clear_requests()
        for headers in ({}, {"X-CSRF-Token": "not-the-token"}):
            refused = await http.patch(path, json={"label": "Nope"}, headers=headers)
            assert refused.status_code == 403
            assert refused.json()["detail"] == (
                "this request does not carry the session's CSRF token; nothing was done"
            )
        other_site = await http.patch(
            path,
            json={"label": "Nope"},
            headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
        )
        assert other_site.status_code == 403
        assert emu.requests == []  # refused before any vendor was asked
        done = await http.patch(
            path,
            json={"label": "Front desk"},
            headers={"X-CSRF-Token": csrf, "Origin": "http://127.0.0.1:8080"},
        )
        assert done.status_code == 200, done.text
        assert done.json()["label"] == "Front desk"
        # The write alone: a PATCH without If-Match adds no read to update_routing's.
        assert [r.method for r in emu.requests] == ["PUT"]

        # Sign out without the CSRF token: refused, the session lives on.
        kept = await http.post("/signout", content="csrf=wrong", headers=_FORM)
        assert kept.status_code == 403
        assert await service.store.get_session(value) is not None
        out = await http.post("/signout", content=f"csrf={csrf}", headers=_FORM)
        assert out.status_code == 303
        assert await service.store.get_session(value) is None
        http.cookies.set(COOKIE, value)
        assert (await http.get("/api/v1/accounts")).status_code == 401


_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_the_cookie_is_secure_off_loopback_and_under_a_mount_prefix(demo: Demo) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    phones = create_app(demo.config)
    host = Starlette(routes=[Mount("/phones", app=phones)])
    try:
        async with _client(host, "https://phones.example") as http:
            signed = await http.post(
                "/phones/signin",
                content=f"token={demo.tokens['viewer']}&next=%2Fnumbers",
                headers={**_FORM, "Origin": "https://phones.example"},
            )
            assert signed.status_code == 303
            assert signed.headers["location"] == "/phones/numbers"
            cookie = signed.headers["set-cookie"]
            assert "Secure" in cookie
            assert "Path=/phones/" in cookie
            page = await http.get("/phones/numbers")
            assert page.status_code == 200
            script = re.search(r'src="(/phones/static/console\.js\?v=[0-9a-f]{12})"', page.text)
            assert script is not None
            asset = await http.get(script.group(1))
            assert asset.status_code == 200
            assert asset.headers["cache-control"] == "public, max-age=86400, immutable"
            assert asset.headers["content-type"].startswith("text/javascript")
            assert page.headers["content-security-policy"].startswith(
                "default-src 'none'; script-src 'self';"
            )
            # A sign-in posted from another site's page is refused.
            forged = await http.post(
                "/phones/signin",
                content=f"token={demo.tokens['viewer']}",
                headers={**_FORM, "Origin": "https://evil.example"},
            )
            assert forged.status_code == 403
            assert "set-cookie" not in forged.headers
    finally:
        await phones.state.service.close()


async def test_signing_in_goes_only_to_a_page_of_the_console(app: object, demo: Demo) -> None:
    async with _client(app) as http:
        for target, landing in (
            ("https://evil.example/x", "/numbers"),
            ("//evil.example/x", "/numbers"),
            ("/audit?account=close", "/audit?account=close"),
        ):
            signed = await http.post(
                "/signin",
                content=httpx.QueryParams(
                    {"token": demo.tokens["viewer"], "next": target}
                ).__str__(),
                headers=_FORM,
            )
            assert signed.headers["location"] == landing
