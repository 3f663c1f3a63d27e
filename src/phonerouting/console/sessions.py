"""The web console's sessions: a signed-in browser holds a cookie, never the token.

Signing in with a token creates a session in the store (`phonerouting.store.Session`)
standing for the token's name; the cookie holds a random id of 256 bits and the store
keeps only its SHA-256, so a copy of the store cannot be replayed as a cookie. The
cookie is ``HttpOnly``, ``SameSite=Strict``, ``Secure`` unless the console is reached on
a loopback address, and expires with the session. Each session has its own CSRF token:
every state-changing request a session makes (the console's own forms and the API
calls of its scripts) must carry it (``X-CSRF-Token`` header or ``csrf`` form field),
and a request whose ``Origin`` is not the console's own is refused as well.

The principal is looked up by the token's name on every request, so removing a token
from the accounts file (or changing its role) takes effect on its sessions at once.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Final

from starlette.requests import Request
from starlette.responses import Response

from phonerouting.server.auth import Principal, TokenEntry
from phonerouting.server.problems import ForbiddenError
from phonerouting.store import Session, Store

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "LIFETIME",
    "SessionAuth",
    "is_loopback_request",
    "new_session",
]

#: The cookie's name.
COOKIE: Final = "phonerouting_session"
#: The header the console's scripts send the session's CSRF token in.
CSRF_HEADER: Final = "x-csrf-token"
#: How long a session lasts after signing in.
LIFETIME: Final = timedelta(hours=8)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def new_session(entry: TokenEntry, now: datetime | None = None) -> tuple[str, Session]:
    """A new session for ``entry``: the cookie's value and the session to store."""
    cookie = secrets.token_urlsafe(32)
    start = now or datetime.now(UTC)
    session = Session(
        cookie,
        entry.name,
        start,
        start + LIFETIME,
        {"csrf": secrets.token_urlsafe(32)},
    )
    return cookie, session


def is_loopback_request(request: Request) -> bool:
    """True when the browser reached the console on a loopback address (where a
    ``Secure`` cookie would not come back over plain HTTP)."""
    host = (request.url.hostname or "").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin_of(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def check_origin(request: Request) -> None:
    """ForbiddenError when a state-changing request comes from another origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin != _origin_of(request):
        raise ForbiddenError(
            "this request comes from another site's page; the console refuses it",
            hint="Use the console's own pages.",
        )


def set_cookie(response: Response, request: Request, cookie: str, session: Session) -> None:
    """Give the browser the session's cookie."""
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=int((session.expires_at - session.created_at).total_seconds()),
        path=(request.scope.get("root_path", "") or "") + "/",
        secure=not is_loopback_request(request),
        httponly=True,
        samesite="strict",
    )


def clear_cookie(response: Response, request: Request) -> None:
    """Make the browser forget the session's cookie."""
    response.delete_cookie(
        COOKIE,
        path=(request.scope.get("root_path", "") or "") + "/",
        secure=not is_loopback_request(request),
        httponly=True,
        samesite="strict",
    )


class SessionAuth:
    """Finds the principal of a request's session cookie (see the module's doc)."""

    def __init__(self, store: Store, tokens: Mapping[str, TokenEntry]) -> None:
        self.store = store
        self.tokens = tokens

    async def session(self, request: Request) -> Session | None:
        """The live session of the request's cookie, or None."""
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        return await self.store.get_session(cookie)

    def principal(self, session: Session) -> Principal | None:
        """Who ``session`` acts as, or None when its token is gone."""
        entry = self.tokens.get(session.token_name)
        return None if entry is None else entry.principal

    def check_csrf(self, request: Request, session: Session, sent: str | None) -> None:
        """ForbiddenError unless a state-changing request carries the session's token
        (``sent``) and comes from the console's own origin."""
        if request.method in _SAFE_METHODS:
            return
        check_origin(request)
        expected = str(session.data.get("csrf", ""))
        if not sent or not expected or not hmac.compare_digest(sent, expected):
            raise ForbiddenError(
                "this request does not carry the session's CSRF token; nothing was done",
                hint="Reload the console's page and try again.",
            )

    async def __call__(self, request: Request) -> Principal | None:
        """The principal of an API request made with the session cookie (None without
        a live one); ForbiddenError for a state-changing one without its CSRF token."""
        session = await self.session(request)
        if session is None:
            return None
        principal = self.principal(session)
        if principal is not None:
            self.check_csrf(request, session, request.headers.get(CSRF_HEADER))
        return principal
