"""The console's pages: server-rendered HTML (Jinja2, autoescaped) over the service's
own API.

Each page asks the API's handlers (`phonerouting.server.app.Api`) in process, as the
signed-in session's principal, exactly what a client of ``/api/v1`` would get: the same
scopes, the same validation, the same errors. Every write is made by the console's
script through ``/api/v1`` itself, with the session cookie and its CSRF token, so the
roles apply as they do to a token and the server refuses what a role may not do.

Every response carries a Content-Security-Policy without inline scripts or styles
(``script-src 'self'``), so text from a vendor (a label of ``<img onerror=...>``) is
inert even if a template forgot to escape it, which Jinja2's autoescaping prevents.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

import phonenumbers
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from phonerouting.errors import RoutingError
from phonerouting.model import ROUTING_FIELDS
from phonerouting.server.app import Api, Ctx
from phonerouting.server.auth import Principal, authenticate
from phonerouting.server.problems import ForbiddenError, problem
from phonerouting.store import Session

from .sessions import (
    SessionAuth,
    check_origin,
    clear_cookie,
    new_session,
    set_cookie,
)

__all__ = ["CSP", "Console", "console_routes"]

_HERE = Path(__file__).parent
#: No inline script or style, nothing from another origin, no framing.
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
_PAGE_SIZE = 50
#: The inventory's table shows these fields; the number's page shows them all.
_COLUMNS = ("label", "forwarding_number", "inbound_url", "voice_url")
_LIST_FIELDS = frozenset({"participants", "external_numbers", "tags"})
_INT_FIELDS = frozenset({"ring_duration"})
_BOOL_FIELDS = frozenset({"press_1_to_accept"})


def _kind(field: str) -> str:
    if field in _LIST_FIELDS:
        return "list"
    if field in _INT_FIELDS:
        return "int"
    if field in _BOOL_FIELDS:
        return "bool"
    return "text"


def _shown(value: Any) -> str:
    """A routing value as the console shows it (lists comma-separated)."""
    if value is None or value == "" or value == [] or value is False:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if value is True:
        return "on"
    return str(value)


def _human(e164: str) -> str:
    """``+12025550142`` as ``+1 202-555-0142``."""
    if len(e164) == 12 and e164.startswith("+1") and e164[2:].isdigit():
        # North America, most numbers of most inventories: a slice, not a parse (a
        # parse is a quarter of a millisecond, 50 times a page).
        return f"+1 {e164[2:5]}-{e164[5:8]}-{e164[8:]}"
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _when(text: str | None) -> str:
    """An ISO time as ``2026-01-31 12:00:05 UTC``."""
    if not text:
        return ""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return text
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class _Assets(StaticFiles):
    """The console's stylesheet and scripts. The pages name each with a hash of its
    content (``console.js?v=...``), so the browser may keep it for a day without asking
    again, and a new version is a new URL."""

    async def get_response(self, path: str, scope: Any) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=86400, immutable"
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _asset_versions() -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in (_HERE / "static").iterdir()
        if path.is_file()
    }


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["shown"] = _shown
    env.filters["human"] = _human
    env.filters["when"] = _when
    env.filters["kind"] = _kind
    env.globals["FIELDS"] = ROUTING_FIELDS
    env.globals["ASSET"] = _asset_versions()
    return env


class Console:
    """The console's pages, over one `Api`."""

    def __init__(self, api: Api, auth: SessionAuth) -> None:
        self.api = api
        self.auth = auth
        self.env = _environment()

    # ------------------------------------------------------------ plumbing

    def _render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        body = self.env.get_template(template).render(
            root=request.scope.get("root_path", ""), **context
        )
        return HTMLResponse(body, status, headers=_HEADERS)

    async def _call(
        self,
        handler: Callable[[Ctx], Awaitable[Response]],
        request: Request,
        principal: Principal,
        params: Sequence[tuple[str, str]] = (),
        path: Mapping[str, str] | None = None,
    ) -> Any:
        """What the API's ``handler`` answers ``principal`` (decoded JSON), as for a
        request to ``/api/v1`` with these query parameters; its RoutingError raised."""
        scope = dict(request.scope)
        scope["query_string"] = urlencode(list(params)).encode()
        scope["path_params"] = dict(path or {})
        scope["method"] = "GET"
        sub = Request(scope, request.receive)
        request_id = "req_" + secrets.token_hex(8)
        await self.api.service.start()
        response = await handler(Ctx(sub, principal, request_id, self.api.service))
        return json.loads(bytes(response.body))

    async def _signed_in(self, request: Request) -> tuple[Session, Principal] | None:
        session = await self.auth.session(request)
        if session is None:
            return None
        principal = self.auth.principal(session)
        return None if principal is None else (session, principal)

    def _to_signin(self, request: Request) -> Response:
        root = request.scope.get("root_path", "")
        here = request.url.path[len(root) :] or "/"
        if request.url.query:
            here += "?" + request.url.query
        target = f"{root}/signin" + ("" if here == "/" else "?" + urlencode({"next": here}))
        return RedirectResponse(target, 303, headers=_HEADERS)

    def page(
        self, build: Callable[[Request, Session, Principal], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]:
        """A page for signed-in sessions (others go to the sign-in page); a RoutingError
        from the API becomes the error page with its problem document's words."""

        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            found = await self._signed_in(request)
            if found is None:
                return self._to_signin(request)
            session, principal = found
            try:
                response = await build(request, session, principal)
            except RoutingError as error:
                doc = problem(error, "req_" + secrets.token_hex(8))
                response = self._render(
                    request,
                    "error.html",
                    doc["status"],
                    principal=principal,
                    csrf=session.data.get("csrf"),
                    problem=doc,
                )
            # The page's time in the service (the browser shows it in its timings).
            elapsed = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
            return response

        return endpoint

    def _base(self, session: Session, principal: Principal, **context: Any) -> dict[str, Any]:
        return {"principal": principal, "csrf": session.data.get("csrf"), **context}

    # ------------------------------------------------------------ sign in / out

    async def home(self, request: Request) -> Response:
        """``/``: the inventory, or the sign-in page."""
        root = request.scope.get("root_path", "")
        if await self._signed_in(request) is None:
            return RedirectResponse(f"{root}/signin", 303, headers=_HEADERS)
        return RedirectResponse(f"{root}/numbers", 303, headers=_HEADERS)

    async def signin_form(self, request: Request) -> Response:
        """The sign-in page."""
        return self._render(request, "signin.html", next=_next(request), error=None)

    async def signin(self, request: Request) -> Response:
        """Sign in with a token: a session cookie for the browser, the token forgotten."""
        config = self.api.service.config
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        target = _safe_next(form.get("next", ""))
        try:
            check_origin(request)
        except ForbiddenError as error:
            return self._render(request, "signin.html", 403, next=target, error=error.message)
        token = form.get("token", "").strip()
        principal = authenticate(f"Bearer {token}", config.tokens) if token else None
        client = request.client.host if request.client else "unknown"
        if principal is None:
            wait = config.throttle.failed(client)
            if wait:
                await config.sleep(wait)
            return self._render(
                request,
                "signin.html",
                401,
                next=target,
                error="That token is not one this service knows. Check it and try again.",
            )
        config.throttle.succeeded(client)
        await self.api.service.start()
        cookie, session = new_session(config.tokens[principal.name])
        await self.api.service.store.save_session(session)
        root = request.scope.get("root_path", "")
        response = RedirectResponse(f"{root}{target}", 303, headers=_HEADERS)
        set_cookie(response, request, cookie, session)
        return response

    async def signout(self, request: Request) -> Response:
        """End the session (a form post carrying its CSRF token)."""
        root = request.scope.get("root_path", "")
        session = await self.auth.session(request)
        response = RedirectResponse(f"{root}/signin", 303, headers=_HEADERS)
        if session is not None:
            form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
            try:
                self.auth.check_csrf(request, session, form.get("csrf"))
            except ForbiddenError as error:
                return self._render(
                    request,
                    "error.html",
                    403,
                    principal=self.auth.principal(session),
                    csrf=session.data.get("csrf"),
                    problem=problem(error, "req_" + secrets.token_hex(8)),
                )
            await self.api.service.store.delete_session(session.id)
        clear_cookie(response, request)
        return response

    # ------------------------------------------------------------ inventory

    async def accounts(self, request: Request, principal: Principal) -> list[dict[str, Any]]:
        """The accounts the principal sees, as GET /accounts gives them."""
        data = await self._call(self.api.accounts, request, principal)
        return list(data["items"])

    async def inventory(self, request: Request, session: Session, principal: Principal) -> Response:
        """The inventory: search, filters, paging, accounts' health."""
        allowed = ("q", "account", "provider", "has", "missing", "cursor")
        params = [(k, v) for k, v in request.query_params.multi_items() if k in allowed and v]
        accounts = await self.accounts(request, principal)
        page = await self._call(
            self.api.numbers, request, principal, [*params, ("limit", str(_PAGE_SIZE))]
        )
        filters = [(k, v) for k, v in params if k != "cursor"]
        chosen = dict(filters)
        return self._render(
            request,
            "inventory.html",
            **self._base(
                session,
                principal,
                accounts=accounts,
                stale={a["name"]: a for a in accounts if a["health"]["stale"]},
                providers=sorted({a["provider"] for a in accounts}),
                items=page["items"],
                **_paging(params, filters, page["next_cursor"]),
                filter_query=urlencode(filters),
                chosen=chosen,
                columns=_COLUMNS,
            ),
        )

    async def number(self, request: Request, session: Session, principal: Principal) -> Response:
        """A number in every account that holds it, with an edit form per account."""
        e164 = str(request.path_params["e164"])
        data = await self._call(self.api.number, request, principal, path={"e164": e164})
        accounts = {a["name"]: a for a in await self.accounts(request, principal)}
        lines = [
            {
                "item": item,
                "settable": set(accounts[item["account"]]["capabilities"]["settable"]),
                "clearable": set(accounts[item["account"]]["capabilities"]["clearable"]),
            }
            for item in data["items"]
        ]
        return self._render(
            request,
            "number.html",
            **self._base(
                session,
                principal,
                number=data["number"],
                lines=lines,
                saved=request.query_params.get("saved"),
            ),
        )

    async def audit(self, request: Request, session: Session, principal: Principal) -> Response:
        """The audit trail with its filters, before -> after per entry, CSV export."""
        allowed = ("account", "number", "actor", "since", "until", "cursor")
        params = [(k, v) for k, v in request.query_params.multi_items() if k in allowed and v]
        filters = [(k, v) for k, v in params if k != "cursor"]
        accounts = await self.accounts(request, principal)
        found: RoutingError | None = None
        try:
            data = await self._call(
                self.api.audit, request, principal, [*params, ("limit", str(_PAGE_SIZE))]
            )
        except RoutingError as error:
            # A filter the API refuses (a number or time it cannot read): said beside
            # the filters, the page still shown.
            found, data = error, {"items": [], "next_cursor": None}
        return self._render(
            request,
            "audit.html",
            400 if found else 200,
            **self._base(
                session,
                principal,
                accounts=accounts,
                chosen=dict(filters),
                items=data["items"],
                problem=None if found is None else problem(found, "req_" + secrets.token_hex(8)),
                csv_query=urlencode([*filters, ("format", "csv"), ("limit", "1000")]),
                **_paging(params, filters, data["next_cursor"]),
            ),
        )

    async def change_new(
        self, request: Request, session: Session, principal: Principal
    ) -> Response:
        """A bulk change's form: the selection (filters and numbers by hand), one update."""
        if not principal.may("editor"):
            raise ForbiddenError(f"this needs the editor role; the token is {principal.role}")
        accounts = await self.accounts(request, principal)
        query = request.query_params
        allowed = ("q", "account", "provider", "has", "missing")
        return self._render(
            request,
            "change_new.html",
            **self._base(
                session,
                principal,
                accounts=accounts,
                providers=sorted({a["provider"] for a in accounts}),
                chosen={k: v for k, v in query.multi_items() if k in allowed and v},
                numbers=[n for n in query.getlist("numbers") if n],
            ),
        )

    async def migration_new(
        self, request: Request, session: Session, principal: Principal
    ) -> Response:
        """A migration's form: source, target and fields."""
        if not principal.may("admin"):
            raise ForbiddenError(f"this needs the admin role; the token is {principal.role}")
        accounts = await self.accounts(request, principal)
        return self._render(
            request, "migration_new.html", **self._base(session, principal, accounts=accounts)
        )

    def job(self, kind: str) -> Callable[[Request, Session, Principal], Awaitable[Response]]:
        """A change set's or migration's page: preview, run, progress, result."""
        collection, title, applier = _JOBS[kind]

        async def build(request: Request, session: Session, principal: Principal) -> Response:
            job = await self._call(
                lambda ctx: self.api.get_job(ctx, kind),
                request,
                principal,
                path={"id": str(request.path_params["id"])},
            )
            return self._render(
                request,
                "job.html",
                **self._base(
                    session,
                    principal,
                    job=job,
                    title=title,
                    collection=collection,
                    may_apply=principal.may(applier),
                    may_admin=principal.may("admin"),
                    limit=_PREVIEW_ROWS,
                ),
            )

        return build


#: Per kind of job: its API collection, its title, the role that applies it.
_JOBS: Final = {
    "change_set": ("changes", "Change set", "editor"),
    "migration": ("migrations", "Migration", "admin"),
}
#: The numbers a job's preview lists (its counts are of all of them).
_PREVIEW_ROWS = 500


def _paging(
    params: Sequence[tuple[str, str]], filters: Sequence[tuple[str, str]], cursor: str | None
) -> dict[str, str | None]:
    """The query strings of a list's next page (None on the last) and first page (None
    on the first)."""
    return {
        "next_query": urlencode([*filters, ("cursor", cursor)]) if cursor else None,
        "first_query": urlencode(filters) if "cursor" in dict(params) else None,
    }


def _next(request: Request) -> str:
    return _safe_next(request.query_params.get("next", ""))


def _safe_next(target: str) -> str:
    """A path inside the console to go to after signing in (never another site)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/numbers"
    return target


def console_routes(api: Api, auth: SessionAuth) -> list[BaseRoute]:
    """The console's routes, to sit beside the API's at the app's root."""
    console = Console(api, auth)
    page = console.page
    # Named console.*: the pages are HTML for people, not part of the API's document.
    return [
        Route("/", console.home, methods=["GET"], name="console.home"),
        Route("/signin", console.signin_form, methods=["GET"], name="console.signin_form"),
        Route("/signin", console.signin, methods=["POST"], name="console.signin"),
        Route("/signout", console.signout, methods=["POST"], name="console.signout"),
        Route("/numbers", page(console.inventory), methods=["GET"], name="console.inventory"),
        Route("/numbers/{e164}", page(console.number), methods=["GET"], name="console.number"),
        Route("/audit", page(console.audit), methods=["GET"], name="console.audit"),
        Route("/changes/new", page(console.change_new), methods=["GET"], name="console.change_new"),
        Route(
            "/changes/{id}", page(console.job("change_set")), methods=["GET"], name="console.change"
        ),
        Route(
            "/migrations/new",
            page(console.migration_new),
            methods=["GET"],
            name="console.migration_new",
        ),
        Route(
            "/migrations/{id}",
            page(console.job("migration")),
            methods=["GET"],
            name="console.migration",
        ),
        Mount("/static", app=_Assets(directory=_HERE / "static"), name="console.static"),
    ]
