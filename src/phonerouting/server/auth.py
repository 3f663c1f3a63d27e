"""Bearer tokens, roles and account scopes.

A token is 32 random bytes (``prt_`` + URL-safe base64); the accounts file keeps only
its SHA-256. A slow password hash buys nothing for a secret of 256 random bits, and a
fast one keeps every request cheap. A presented token is hashed and compared with every
known hash in constant time (`hmac.compare_digest`, no early exit), so neither timing
nor the order of the file tells anything about a token.

Roles are ordered: ``viewer`` reads; ``editor`` also edits single numbers and plans
and applies change sets; ``admin`` also runs migrations, rollbacks and refreshes.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import attrs

from phonerouting.errors import ConfigurationError

__all__ = [
    "ROLES",
    "FailureThrottle",
    "Principal",
    "TokenEntry",
    "authenticate",
    "hash_token",
    "new_token",
    "token_entries",
    "token_lines",
]

ROLES: Final = ("viewer", "editor", "admin")
_TOKEN_PREFIX = "prt_"  # noqa: S105 (a prefix, not a secret)
_HASH = re.compile(r"sha256:[0-9a-f]{64}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


@attrs.frozen
class Principal:
    """Who a request acts as: the token's name, its role and its accounts (None: all)."""

    name: str
    role: str
    accounts: frozenset[str] | None = None

    def may(self, role: str) -> bool:
        """True when this principal's role is ``role`` or above."""
        return ROLES.index(self.role) >= ROLES.index(role)

    def sees(self, account: str) -> bool:
        """True when the account is in this principal's scope."""
        return self.accounts is None or account in self.accounts


@attrs.frozen
class TokenEntry:
    """A token as the accounts file holds it: name, role, scope and hash."""

    name: str
    role: str
    hash: str = attrs.field(repr=False)
    accounts: frozenset[str] | None = None

    @property
    def principal(self) -> Principal:
        """The principal a request with this token acts as."""
        return Principal(self.name, self.role, self.accounts)


def hash_token(token: str) -> str:
    """The hash the accounts file keeps for ``token``."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A new random token."""
    return _TOKEN_PREFIX + secrets.token_urlsafe(32)


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def token_lines(entry: TokenEntry) -> str:
    """The lines to add to the accounts file for ``entry``."""
    lines = [f"[tokens.{entry.name}]", f"role = {_toml_string(entry.role)}"]
    if entry.accounts is not None:
        names = ", ".join(_toml_string(a) for a in sorted(entry.accounts))
        lines.append(f"accounts = [{names}]")
    lines.append(f"hash = {_toml_string(entry.hash)}")
    return "\n".join(lines)


def check_name(name: str) -> str:
    """``name`` if it can name a token (letters, digits, ``_.@-``), else ConfigurationError."""
    if not _NAME.fullmatch(name):
        raise ConfigurationError(
            f"token name {name!r} must be 1-64 letters, digits or _.@- (starting with a "
            "letter or digit)",
            hint="Choose another name for the token.",
        )
    return name


def check_role(role: str) -> str:
    """``role`` if it is one of `ROLES`, else ConfigurationError."""
    if role not in ROLES:
        raise ConfigurationError(
            f"role {role!r} is not one of {', '.join(ROLES)}", hint="Choose one of the roles."
        )
    return role


def token_entries(tables: Any, source: str) -> dict[str, TokenEntry]:
    """The ``[tokens.NAME]`` tables of an accounts file, checked."""
    if tables is None:
        return {}
    hint = f"Fix the [tokens] tables of {source} (phonerouting token create prints them)."
    if not isinstance(tables, Mapping):
        raise ConfigurationError(f"{source}: [tokens] must be a table", hint=hint)
    entries: dict[str, TokenEntry] = {}
    for name, table in tables.items():
        where = f"{source}: [tokens.{name}]"
        if not isinstance(table, Mapping):
            raise ConfigurationError(f"{where} must be a table", hint=hint)
        unknown = set(table) - {"role", "hash", "accounts"}
        if unknown:
            raise ConfigurationError(
                f"{where} has unknown keys {sorted(unknown)}; allowed: role, hash, accounts "
                "(a token itself never goes in the file, only its hash)",
                hint=hint,
            )
        role, digest, accounts = table.get("role"), table.get("hash"), table.get("accounts")
        if role not in ROLES:
            raise ConfigurationError(f"{where} role must be one of {', '.join(ROLES)}", hint=hint)
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            # Never quoted: a token pasted here by mistake must not reach a log.
            raise ConfigurationError(
                f"{where} hash must be sha256: and 64 hex digits; its value is not shown, "
                "in case it is a token (if so, create a new one)",
                hint=hint,
            )
        if accounts is not None and (
            not isinstance(accounts, list) or not all(isinstance(a, str) for a in accounts)
        ):
            raise ConfigurationError(f"{where} accounts must be a list of names", hint=hint)
        entries[name] = TokenEntry(
            name, role, digest, None if accounts is None else frozenset(accounts)
        )
    return entries


def authenticate(header: str | None, entries: Mapping[str, TokenEntry]) -> Principal | None:
    """The principal of an ``Authorization: Bearer`` header, or None.

    Every entry is compared, whatever matched first, so the time taken does not depend
    on which token (if any) the header holds.
    """
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    digest = hash_token(token.strip()).encode()
    found: TokenEntry | None = None
    for entry in entries.values():
        if hmac.compare_digest(digest, entry.hash.encode()):
            found = entry
    return None if found is None else found.principal


@attrs.define
class FailureThrottle:
    """Slows down a client that keeps presenting bad tokens.

    After ``free`` failures within ``window`` seconds, each further failure from the
    same client waits ``base`` seconds doubled per failure, up to ``cap``. A success
    forgets the client's failures.
    """

    free: int = 5
    base: float = 0.25
    cap: float = 5.0
    window: float = 600.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, tuple[int, float]] = attrs.field(factory=dict)

    def failed(self, client: str) -> float:
        """Record a failure of ``client``; the seconds to wait before answering it."""
        now = self.clock()
        count, last = self._failures.get(client, (0, now))
        if now - last > self.window:
            count = 0
        count += 1
        self._failures[client] = (count, now)
        if len(self._failures) > 10_000:
            # Bounded memory under a spray of clients: forget the oldest half.
            for key, _ in sorted(self._failures.items(), key=lambda kv: kv[1][1])[:5_000]:
                del self._failures[key]
        if count <= self.free:
            return 0.0
        return float(min(self.cap, self.base * 2 ** (count - self.free - 1)))

    def succeeded(self, client: str) -> None:
        """Forget ``client``'s failures."""
        self._failures.pop(client, None)
