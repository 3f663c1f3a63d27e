"""``phonerouting serve``: the admin API over every configured account, as an ASGI app.

Needs the ``server`` extra (``pip install 'phonerouting[server]'``): Starlette and
uvicorn. ``import phonerouting`` never imports this package, and importing it loads
Starlette only when `create_app` (or `Service`) is first used, so the token helpers
work without the extra.

>>> # from phonerouting.server import ServerConfig, create_app
>>> # app = create_app(ServerConfig.from_file("phonerouting.toml"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from phonerouting.server.auth import Principal, TokenEntry, hash_token, new_token

if TYPE_CHECKING:
    from phonerouting.server.app import create_app
    from phonerouting.server.config import AccountSpec, ServerConfig
    from phonerouting.server.service import Service

__all__ = [
    "AccountSpec",
    "Principal",
    "ServerConfig",
    "Service",
    "TokenEntry",
    "create_app",
    "hash_token",
    "new_token",
]

_LAZY = {
    "create_app": "phonerouting.server.app",
    "AccountSpec": "phonerouting.server.config",
    "ServerConfig": "phonerouting.server.config",
    "Service": "phonerouting.server.service",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'phonerouting.server' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
