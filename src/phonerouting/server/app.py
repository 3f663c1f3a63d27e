"""The HTTP face of the service: Starlette routes over `phonerouting.server.service`.

Each endpoint says the least role it needs; the wrapper (`_endpoint`) gives every
request an id, checks its token (slowing down a client after repeated failures),
starts the service on first use (so the app works mounted in a host application whose
lifespan never reaches it) and turns every error into a problem document.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import csv
import io
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import attrs
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route

from phonerouting.errors import NotFoundError, RoutingError, ValidationError
from phonerouting.inputs import normalize_e164
from phonerouting.model import ROUTING_FIELDS, RoutingUpdate
from phonerouting.registry import adapter_for
from phonerouting.serialize import to_data
from phonerouting.server import openapi
from phonerouting.server.auth import Principal, authenticate
from phonerouting.server.config import ServerConfig
from phonerouting.server.problems import (
    BadRequestError,
    BodyTooLargeError,
    ForbiddenError,
    ServiceUnavailableError,
    UnauthorizedError,
    problem,
    status_for,
)
from phonerouting.server.service import Service, check_fields, etag
from phonerouting.store import (
    AuditEntry,
    AuditQuery,
    Job,
    NumberQuery,
    StoredNumber,
    number_fields,
)

__all__ = ["create_app"]

logger = logging.getLogger("phonerouting.server")
_MAX_LIMIT = 1000
_DEFAULT_LIMIT = 100
_PROBLEM = "application/problem+json"
_NO_NUMBER = "Check the number or id: GET /api/v1/numbers?q=... finds it in the inventory."
_E164 = re.compile(r"\+[0-9]{2,15}")
#: A JSON escape of half a surrogate pair: where a string that is not Unicode text
#: (and that SQLite, or a vendor, cannot encode) may hide in a body.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
#: The largest integer SQLite stores (a cursor past it points nowhere).
_MAX_SEQ = 2**63 - 1


def _json(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status, headers=dict(headers or {}), media_type="application/json")


def _problem(error: RoutingError, request_id: str, status: int | None = None) -> Response:
    body = problem(error, request_id, status)
    headers = {"X-Request-Id": request_id}
    if body["status"] == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="phonerouting"'
    if error.retry_after is not None:
        headers["Retry-After"] = str(max(1, round(error.retry_after)))
    return Response(
        json.dumps(body, ensure_ascii=False), body["status"], headers=headers, media_type=_PROBLEM
    )


@attrs.define
class Ctx:
    """One request as an endpoint sees it."""

    request: Request
    principal: Principal
    request_id: str
    service: Service

    def param(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])

    def query(self, allowed: Sequence[str]) -> dict[str, list[str]]:
        """The query parameters (each a list of its values); BadRequestError for one
        not in ``allowed``."""
        params: dict[str, list[str]] = {}
        for key, value in self.request.query_params.multi_items():
            if key not in allowed:
                raise BadRequestError(
                    f"unknown query parameter {key!r}; allowed: {', '.join(allowed) or 'none'}",
                    field=key,
                )
            params.setdefault(key, []).append(value)
        return params

    async def body(self) -> dict[str, Any]:
        """The request's JSON object body."""
        limit = self.service.config.max_body
        declared = _whole(self.request.headers.get("content-length"))
        if declared is not None and declared > limit:
            raise BodyTooLargeError(f"the body is over {limit} bytes", field="body")
        chunks: list[bytes] = []
        size = 0
        async for chunk in self.request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLargeError(f"the body is over {limit} bytes", field="body")
            chunks.append(chunk)
        raw = b"".join(chunks)
        try:
            data = json.loads(raw) if raw.strip() else None
        except (ValueError, RecursionError):
            raise BadRequestError("the body is not valid JSON", field="body") from None
        if not isinstance(data, dict):
            raise BadRequestError("the body must be a JSON object", field="body")
        if _SURROGATE_ESCAPE.search(raw) and not _is_text(data):
            # A pair stands for one character once decoded; half of one is no text.
            raise BadRequestError(
                "the body holds a string that is not Unicode text (half a surrogate pair)",
                field="body",
            )
        return data


Handler = Callable[[Ctx], Awaitable[Response]]


def _whole(text: str | None) -> int | None:
    """``text`` as a whole number of ASCII digits (at most 18 of them), else None: not
    every character str.isdigit() takes, or int() reads, is a digit here."""
    if text is None or not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def _is_text(value: Any) -> bool:
    """True when every string in decoded JSON ``value`` (keys too) is Unicode text."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_is_text(k) and _is_text(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_is_text(v) for v in value)
    return True


def _one(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadRequestError(f"{name} is given more than once", field=name)
    return values[0]


def _many(params: Mapping[str, list[str]], name: str) -> list[str]:
    return [v for value in params.get(name, []) for v in value.split(",") if v]


def _limit(params: Mapping[str, list[str]]) -> int:
    text = _one(params, "limit")
    if text is None:
        return _DEFAULT_LIMIT
    limit = _whole(text)
    if limit is None or not 1 <= limit <= _MAX_LIMIT:
        raise BadRequestError(f"limit must be a whole number from 1 to {_MAX_LIMIT}", field="limit")
    return limit


def _encode_cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def _decode_cursor(text: str | None, shape: Callable[[Any], Any]) -> Any:
    if text is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        return shape(data)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequestError(
            "cursor is not one this service gave; start again without it", field="cursor"
        ) from None


def _number_key(data: Any) -> tuple[str, str, str]:
    if not (isinstance(data, list) and len(data) == 3 and all(isinstance(x, str) for x in data)):
        raise ValueError("bad cursor")
    if not _is_text(data):
        raise ValueError("bad cursor")
    return (data[0], data[1], data[2])


def _seq(data: Any) -> int:
    if isinstance(data, bool) or not isinstance(data, int) or not 0 <= data <= _MAX_SEQ:
        raise ValueError("bad cursor")
    return data


def _time(params: Mapping[str, list[str]], name: str) -> datetime | None:
    text = _one(params, name)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequestError(
            f"{name} must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z", field=name
        ) from None
    if value.tzinfo is None:
        raise BadRequestError(f"{name} must carry its UTC offset (Z or +00:00)", field=name)
    return value


class Api:
    """The endpoints."""

    def __init__(self, service: Service) -> None:
        self.service = service
        #: The web console's session cookie, accepted beside bearer tokens when set
        #: (`phonerouting.console.sessions.SessionAuth`).
        self.sessions: Callable[[Request], Awaitable[Principal | None]] | None = None

    # ------------------------------------------------------------ helpers

    def _item(self, stored: StoredNumber, stale: set[str]) -> dict[str, Any]:
        # Without the vendor payload, which no answer shows: most of a number's
        # serializing time, on every item of every page.
        data = number_fields(stored.number)
        provider = data.pop("provider")
        return {
            "account": stored.account,
            "provider": provider,
            **data,
            "read_at": stored.read_at.isoformat(),
            "stale": stored.account in stale,
            "etag": etag(stored.account, stored.number),
        }

    async def _stale(self, accounts: Sequence[str]) -> set[str]:
        return {a for a in accounts if (await self.service.health(a)).stale}

    def _scope(self, ctx: Ctx, names: Sequence[str]) -> tuple[str, ...]:
        if not names:
            return self.service.accounts_of(ctx.principal)
        for name in names:
            self.service.visible(ctx.principal, name)
        return tuple(dict.fromkeys(names))

    def _query(self, ctx: Ctx, params: Mapping[str, list[str]]) -> NumberQuery:
        accounts = self._scope(ctx, _many(params, "account"))
        providers = tuple(dict.fromkeys(_many(params, "provider")))
        # Each once: a field named many times must not make the store's query that long.
        has = check_fields(tuple(dict.fromkeys(_many(params, "has"))), "has")
        missing = check_fields(tuple(dict.fromkeys(_many(params, "missing"))), "missing")
        q = _one(params, "q")
        e164 = label = digits = None
        if q is not None and q.strip():
            label = q.strip()
            with contextlib.suppress(ValidationError):
                e164 = normalize_e164(label, "q")
            only = "".join(c for c in label if c.isdigit())
            if only and all(c.isdigit() or c in " +-()." for c in label):
                digits = only
        return NumberQuery(
            accounts,
            e164=e164,
            label=label,
            digits=digits,
            providers=providers,
            has=has,
            missing=missing,
        )

    async def _job_view(self, job: Job) -> dict[str, Any]:
        numbers: list[dict[str, Any]] = []
        parts: list[dict[str, Any]] = []
        for part in job.parts:
            plan = dict(part["plan"])
            for item in plan.pop("numbers", []):
                numbers.append({"account": part["account"], **item})
            parts.append({k: v for k, v in part.items() if k != "plan"} | {"plan": plan})
        return {
            "id": job.id,
            "kind": job.kind,
            "state": job.state,
            "created_at": job.created_at.isoformat(),
            "created_by": job.created_by,
            "updated_at": None if job.updated_at is None else job.updated_at.isoformat(),
            "accounts": list(job.accounts),
            "request": dict(job.request),
            "summary": dict(job.summary),
            "progress": {k: v for k, v in job.progress.items() if k != "actor"},
            "report": None if job.report is None else dict(job.report),
            "parts": parts,
            "numbers": numbers,
        }

    # ------------------------------------------------------------ probes

    async def healthz(self, request: Request) -> Response:
        """Alive."""
        return _json({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        """Ready: the store answers and the accounts' first reads have ended."""
        request_id = "req_" + secrets.token_hex(8)
        error: RoutingError
        try:
            await self.service.start()
            if await self.service.ready():
                return _json({"status": "ready"})
            error = ServiceUnavailableError("the accounts' first reads have not ended yet")
        except RoutingError as exc:
            error = exc if status_for(exc) == 503 else ServiceUnavailableError(exc.message)
        except Exception as exc:  # the store unreachable, whatever its error
            error = ServiceUnavailableError(f"the store cannot be reached ({type(exc).__name__})")
        return _problem(error, request_id, 503)

    async def openapi_doc(self, request: Request) -> Response:
        """The OpenAPI 3.1 document of this API."""
        root = request.scope.get("root_path", "")
        return _json(openapi.document(root))

    # ------------------------------------------------------------ accounts

    async def accounts(self, ctx: Ctx) -> Response:
        """GET /accounts."""
        ctx.query(())
        items = []
        for name in self.service.accounts_of(ctx.principal):
            spec = self.service.config.accounts[name]
            caps = self.service.capabilities(name) or adapter_for(spec.provider).capabilities
            health = await self.service.health(name)
            items.append(
                {
                    "name": name,
                    "provider": spec.provider,
                    "capabilities": {
                        "settable": sorted(caps.settable),
                        "clearable": sorted(caps.clearable),
                    },
                    "health": {
                        "last_success_at": _iso(health.last_success_at),
                        "last_error_at": _iso(health.last_error_at),
                        "last_error": health.last_error,
                        "stale": health.stale,
                    },
                    "numbers": await self.service.store.count_numbers(name),
                }
            )
        return _json({"items": items})

    async def refresh(self, ctx: Ctx) -> Response:
        """POST /accounts/{name}/refresh."""
        ctx.query(())
        name = ctx.param("name")
        self.service.visible(ctx.principal, name)
        health = await self.service.refresh(name)
        return _json(
            {
                "name": name,
                "numbers": await self.service.store.count_numbers(name),
                "last_success_at": _iso(health.last_success_at),
            }
        )

    # ------------------------------------------------------------ numbers

    async def numbers(self, ctx: Ctx) -> Response:
        """GET /numbers."""
        params = ctx.query(("q", "account", "provider", "has", "missing", "cursor", "limit"))
        query = self._query(ctx, params)
        limit = _limit(params)
        after = _decode_cursor(_one(params, "cursor"), _number_key)
        page = await self.service.store.query_numbers(query, after, limit + 1)
        stale = await self._stale(query.accounts)
        more = len(page) > limit
        page = page[:limit]
        return _json(
            {
                "items": [self._item(s, stale) for s in page],
                "next_cursor": _encode_cursor(list(page[-1].key)) if more else None,
            }
        )

    async def number(self, ctx: Ctx) -> Response:
        """GET /numbers/{e164}."""
        ctx.query(())
        try:
            e164 = normalize_e164(ctx.param("e164"), "e164")
        except ValidationError as error:
            raise BadRequestError(error.message, field="e164") from None
        accounts = self.service.accounts_of(ctx.principal)
        found = await self.service.store.query_numbers(
            NumberQuery(accounts, numbers=(e164,)), None, _MAX_LIMIT
        )
        if not found:
            raise NotFoundError(f"no account holds {e164}", hint=_NO_NUMBER)
        stale = await self._stale(accounts)
        return _json({"number": e164, "items": [self._item(s, stale) for s in found]})

    async def account_number(self, ctx: Ctx) -> Response:
        """GET /accounts/{name}/numbers/{id}: from the store, with its ETag."""
        ctx.query(())
        name, number_id = ctx.param("name"), ctx.param("id")
        self.service.visible(ctx.principal, name)
        stored = await self.service.store.get_number(name, number_id)
        if stored is None:
            raise NotFoundError(f"no number {number_id!r} in {name}", hint=_NO_NUMBER)
        item = self._item(stored, await self._stale([name]))
        return _json(item, headers={"ETag": item["etag"]})

    async def patch_number(self, ctx: Ctx) -> Response:
        """PATCH /accounts/{name}/numbers/{id}."""
        ctx.query(())
        name, number_id = ctx.param("name"), ctx.param("id")
        self.service.visible(ctx.principal, name)
        body = await ctx.body()
        update = _update(body, "")
        stored = await self.service.update(
            ctx.principal, name, number_id, update, ctx.request.headers.get("if-match")
        )
        item = self._item(stored, set())
        return _json(item, headers={"ETag": item["etag"]})

    # ------------------------------------------------------------ change sets

    async def create_change_set(self, ctx: Ctx) -> Response:
        """POST /changes."""
        ctx.query(())
        body = await ctx.body()
        _only(body, ("selection", "update"), "")
        selection = body.get("selection", {})
        if not isinstance(selection, dict):
            raise BadRequestError("selection must be an object", field="selection")
        _only(selection, ("accounts", "q", "has", "missing", "numbers", "providers"), "selection.")
        params: dict[str, list[str]] = {}
        for key, name in (
            ("accounts", "account"),
            ("has", "has"),
            ("missing", "missing"),
            ("providers", "provider"),
        ):
            value = selection.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise BadRequestError(
                    f"selection.{key} must be a list of strings", field=f"selection.{key}"
                )
            params[name] = value
        q = selection.get("q")
        if q is not None:
            if not isinstance(q, str):
                raise BadRequestError("selection.q must be a string", field="selection.q")
            params["q"] = [q]
        query = self._query(ctx, params)
        numbers = selection.get("numbers", [])
        if not isinstance(numbers, list):
            raise BadRequestError("selection.numbers must be a list", field="selection.numbers")
        if numbers:
            query = attrs.evolve(
                query,
                numbers=tuple(
                    dict.fromkeys(
                        normalize_e164(n, f"selection.numbers[{i}]") for i, n in enumerate(numbers)
                    )
                ),
            )
        update_body = body.get("update")
        if not isinstance(update_body, dict):
            raise BadRequestError("update must be an object of routing fields", field="update")
        job = await self.service.plan_change_set(
            ctx.principal, query, _update(update_body, "update.")
        )
        return _json(
            await self._job_view(job), 201, {"Location": _location(ctx, "changes", job.id)}
        )

    async def get_job(self, ctx: Ctx, kind: str) -> Response:
        ctx.query(())
        job = await self.service.job(ctx.principal, ctx.param("id"), kind)
        return _json(await self._job_view(job))

    async def run_job(self, ctx: Ctx, kind: str, *, rollback: bool) -> Response:
        ctx.query(())
        job = await self.service.job(ctx.principal, ctx.param("id"), kind)
        job = await self.service.start_run(ctx.principal, job, rollback=rollback)
        return _json(await self._job_view(job), 202)

    async def events(self, ctx: Ctx, kind: str) -> Response:
        """Server-sent events of a job's progress, ending when its run does."""
        ctx.query(())
        job = await self.service.job(ctx.principal, ctx.param("id"), kind)
        watch = self.service.watch(job.id)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        watch.listeners.append(queue)
        running = job.state in ("applying", "rolling_back")
        first = {"state": job.state, **{k: v for k, v in job.progress.items() if k != "actor"}}

        async def stream() -> AsyncIterator[str]:
            try:
                yield _event("progress", first)
                while running:
                    try:
                        event = await asyncio.wait_for(queue.get(), 15.0)
                    except TimeoutError:
                        # Run by another instance on the store, it tells this one
                        # nothing: the store says when it ended.
                        current = await self.service.store.get_job(job.id)
                        if current is not None and current.state not in (
                            "applying",
                            "rolling_back",
                        ):
                            progress = {k: v for k, v in current.progress.items() if k != "actor"}
                            yield _event("done", {"state": current.state, **progress})
                            return
                        yield ": still running\n\n"
                        continue
                    event = {k: v for k, v in event.items() if k != "actor"}
                    if event.pop("final", False):
                        yield _event("done", event)
                        return
                    yield _event("progress", event)
                yield _event("done", first)
            finally:
                with contextlib.suppress(ValueError):
                    watch.listeners.remove(queue)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Request-Id": ctx.request_id},
        )

    # ------------------------------------------------------------ migrations

    async def create_migration(self, ctx: Ctx) -> Response:
        """POST /migrations."""
        ctx.query(())
        body = await ctx.body()
        _only(body, ("from", "to", "fields"), "")
        source, target, fields = body.get("from"), body.get("to"), body.get("fields")
        for key, value in (("from", source), ("to", target)):
            if not isinstance(value, str):
                raise BadRequestError(f"{key} must name an account", field=key)
            self.service.visible(ctx.principal, value)
        if fields is not None:
            if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
                raise BadRequestError("fields must be a list of field names", field="fields")
            check_fields(fields, "fields")
        assert isinstance(source, str)
        assert isinstance(target, str)
        job = await self.service.plan_migration(ctx.principal, source, target, fields)
        return _json(
            await self._job_view(job), 201, {"Location": _location(ctx, "migrations", job.id)}
        )

    async def verify_migration(self, ctx: Ctx) -> Response:
        """POST /migrations/{id}/verify."""
        ctx.query(())
        job = await self.service.job(ctx.principal, ctx.param("id"), "migration")
        return _json(await self.service.verify(ctx.principal, job))

    # ------------------------------------------------------------ audit

    async def audit(self, ctx: Ctx) -> Response:
        """GET /audit."""
        params = ctx.query(
            ("account", "number", "actor", "since", "until", "cursor", "limit", "format")
        )
        accounts = self._scope(ctx, _many(params, "account"))
        number = _one(params, "number")
        if number is not None:
            try:
                number = normalize_e164(number, "number")
            except ValidationError as error:
                raise BadRequestError(error.message, field="number") from None
        form = _one(params, "format") or "json"
        if form not in ("json", "csv"):
            raise BadRequestError("format must be json or csv", field="format")
        query = AuditQuery(
            accounts,
            number=number,
            actor=_one(params, "actor"),
            since=_time(params, "since"),
            until=_time(params, "until"),
        )
        limit = _limit(params)
        after = _decode_cursor(_one(params, "cursor"), _seq)
        entries = await self.service.store.query_audit(query, after, limit + 1)
        more = len(entries) > limit
        entries = entries[:limit]
        next_cursor = _encode_cursor(entries[-1].seq) if more else None
        if form == "csv":
            headers = {"Content-Disposition": 'attachment; filename="audit.csv"'}
            if next_cursor:
                headers["X-Next-Cursor"] = next_cursor
            return Response(
                _csv(entries), 200, headers=headers, media_type="text/csv; charset=utf-8"
            )
        return _json({"items": [_audit_item(e) for e in entries], "next_cursor": next_cursor})


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _event(name: str, data: Mapping[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(dict(data), separators=(',', ':'))}\n\n"


def _location(ctx: Ctx, collection: str, job_id: str) -> str:
    # Inside the /api/v1 mount, root_path holds the host's prefix and /api/v1 both.
    return f"{ctx.request.scope.get('root_path', '')}/{collection}/{job_id}"


def _only(body: Mapping[str, Any], allowed: Sequence[str], prefix: str) -> None:
    for key in body:
        if key not in allowed:
            raise BadRequestError(
                f"unknown field {prefix}{key}; allowed: {', '.join(allowed)}", field=prefix + key
            )


def _update(body: Mapping[str, Any], prefix: str) -> RoutingUpdate:
    """A RoutingUpdate from a JSON object: absent = leave alone, null = clear, value = set."""
    _only(body, ROUTING_FIELDS, prefix)
    try:
        return RoutingUpdate(**body)
    except ValidationError as error:
        if error.field:
            error.field = prefix + error.field
        raise
    except (TypeError, ValueError) as error:
        raise BadRequestError(f"the update is not valid: {error}", field=prefix or "body") from None


def _audit_item(entry: AuditEntry) -> dict[str, Any]:
    data: dict[str, Any] = to_data(entry)
    data["at"] = entry.at.isoformat()
    return data


_CSV_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "account",
    "number",
    "number_id",
    "outcome",
    "before",
    "after",
    "vendor_request_id",
    "detail",
    "job",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    # A spreadsheet runs a cell starting with one of these as a formula; an E.164
    # number carries none and is kept as it is.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _E164.fullmatch(text):
        return "'" + text
    return text


def _csv(entries: Sequence[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_CSV_COLUMNS)
    for entry in entries:
        data = _audit_item(entry)
        writer.writerow([_cell(data.get(c)) for c in _CSV_COLUMNS])
    return out.getvalue()


def _endpoint(api: Api, role: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` behind the token check for ``role``, with errors as problems."""

    async def endpoint(request: Request) -> Response:
        request_id = "req_" + secrets.token_hex(8)
        service = api.service
        config = service.config
        client = request.client.host if request.client else "unknown"
        try:
            principal = authenticate(request.headers.get("authorization"), config.tokens)
            if principal is None and api.sessions and "authorization" not in request.headers:
                principal = await api.sessions(request)
            if principal is None:
                wait = config.throttle.failed(client)
                if wait:
                    await config.sleep(wait)
                raise UnauthorizedError("no valid bearer token (Authorization: Bearer <token>)")
            config.throttle.succeeded(client)
            if not principal.may(role):
                raise ForbiddenError(f"this needs the {role} role; the token is {principal.role}")
            await service.start()
            response = await handler(Ctx(request, principal, request_id, service))
        except RoutingError as error:
            return _problem(error, request_id)
        except Exception:
            # A bug of the service: logged with its traceback (no request data), and the
            # client told no more than that.
            logger.exception("request %s failed", request_id)
            return _problem(
                ServiceUnavailableError("the service failed; see its log for this request id"),
                request_id,
                500,
            )
        response.headers.setdefault("X-Request-Id", request_id)
        return response

    return endpoint


def _routes(api: Api) -> list[BaseRoute]:
    def job(kind: str, action: Callable[..., Awaitable[Response]], **options: Any) -> Handler:
        return lambda ctx: action(ctx, kind, **options)

    e = _endpoint
    v1 = [
        Route("/accounts", e(api, "viewer", api.accounts), methods=["GET"]),
        Route("/accounts/{name}/refresh", e(api, "admin", api.refresh), methods=["POST"]),
        Route(
            "/accounts/{name}/numbers/{id}",
            e(api, "viewer", api.account_number),
            methods=["GET"],
        ),
        Route(
            "/accounts/{name}/numbers/{id}", e(api, "editor", api.patch_number), methods=["PATCH"]
        ),
        Route("/numbers", e(api, "viewer", api.numbers), methods=["GET"]),
        Route("/numbers/{e164}", e(api, "viewer", api.number), methods=["GET"]),
        Route("/changes", e(api, "editor", api.create_change_set), methods=["POST"]),
        Route("/changes/{id}", e(api, "viewer", job("change_set", api.get_job)), methods=["GET"]),
        Route(
            "/changes/{id}/apply",
            e(api, "editor", job("change_set", api.run_job, rollback=False)),
            methods=["POST"],
        ),
        Route(
            "/changes/{id}/rollback",
            e(api, "admin", job("change_set", api.run_job, rollback=True)),
            methods=["POST"],
        ),
        Route(
            "/changes/{id}/events", e(api, "viewer", job("change_set", api.events)), methods=["GET"]
        ),
        Route("/migrations", e(api, "admin", api.create_migration), methods=["POST"]),
        Route("/migrations/{id}", e(api, "viewer", job("migration", api.get_job)), methods=["GET"]),
        Route(
            "/migrations/{id}/apply",
            e(api, "admin", job("migration", api.run_job, rollback=False)),
            methods=["POST"],
        ),
        Route("/migrations/{id}/verify", e(api, "admin", api.verify_migration), methods=["POST"]),
        Route(
            "/migrations/{id}/rollback",
            e(api, "admin", job("migration", api.run_job, rollback=True)),
            methods=["POST"],
        ),
        Route(
            "/migrations/{id}/events",
            e(api, "viewer", job("migration", api.events)),
            methods=["GET"],
        ),
        Route("/audit", e(api, "viewer", api.audit), methods=["GET"]),
    ]
    return [
        Route("/healthz", api.healthz, methods=["GET"]),
        Route("/readyz", api.readyz, methods=["GET"]),
        Route("/openapi.json", api.openapi_doc, methods=["GET"]),
        Mount("/api/v1", routes=v1),
    ]


def create_app(config: ServerConfig) -> Starlette:
    """The service as an ASGI application, to run (``uvicorn``, `phonerouting serve`)
    or to mount under a prefix in a host application (``Mount("/phones", app)``).

    Run on its own, its lifespan starts and stops the service. Mounted, it starts on
    its first request; the host's lifespan should call ``await app.state.service.close()``
    at shutdown so runs in progress stop with their journal up to date.
    """
    service = Service(config)
    api = Api(service)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.close()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        request_id = "req_" + secrets.token_hex(8)
        error: RoutingError
        if exc.status_code == 404:
            error = NotFoundError(
                f"no such path: {request.url.path}",
                hint="See /openapi.json for the paths of this API.",
            )
        elif exc.status_code == 405:
            error = BadRequestError(f"{request.method} is not allowed here", field="method")
        else:
            error = BadRequestError(str(exc.detail), field=None)
        response = _problem(error, request_id, exc.status_code)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    from phonerouting.console import console_routes  # the server extra's Jinja2

    app = Starlette(
        routes=[*_routes(api), *console_routes(api)],
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error},
    )
    app.state.service = service
    return app
