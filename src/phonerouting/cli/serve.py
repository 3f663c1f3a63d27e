"""``phonerouting serve``, ``phonerouting token create`` and ``phonerouting store upgrade``.

The service itself is `phonerouting.server`; this module only parses the options,
checks where the service may listen, and hands over to uvicorn. Starlette and uvicorn
are imported only when ``serve`` runs, so every other command works without the
``server`` extra.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from phonerouting.cli.failures import UsageError
from phonerouting.errors import ConfigurationError

__all__ = ["add_commands", "is_loopback"]


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``serve`` and ``token`` on the CLI's subparsers."""
    from phonerouting.testing.__main__ import bounded_int

    p = sub.add_parser(
        "serve",
        parents=[common],
        help="serve the admin API over the accounts of the accounts file",
        description="Serve the JSON admin API (docs/server.md) over every account of the "
        "accounts file: inventory, edits, change sets, migrations, audit. Listens on "
        "loopback unless told otherwise; any other address needs TLS (--tls-cert and "
        "--tls-key) or --behind-proxy.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=bounded_int(0, 65535), default=8080, help="port (default 8080; 0: any free)"
    )
    p.add_argument(
        "--store",
        metavar="PATH|URL",
        help="the store: a SQLite file (default: beside the accounts file, e.g. "
        "phonerouting.sqlite) or a postgresql:// URL that several instances can share",
    )
    p.add_argument(
        "--behind-proxy",
        action="store_true",
        help="a TLS-terminating proxy is in front: allow a non-loopback address without TLS "
        "and trust its X-Forwarded-* headers",
    )
    p.add_argument("--tls-cert", metavar="FILE", help="TLS certificate (PEM)")
    p.add_argument("--tls-key", metavar="FILE", help="TLS private key (PEM)")
    p.add_argument(
        "--demo",
        action="store_true",
        help="serve emulators of every provider, seeded with numbers, and print a one-time "
        "admin token (no keys, no network)",
    )
    p.add_argument(
        "--numbers",
        type=bounded_int(1, 100_000),
        default=300,
        help="with --demo: numbers per provider (default 300)",
    )
    p.set_defaults(func=serve_command)

    token = sub.add_parser(
        "token",
        parents=[common],
        help="create a bearer token for the service",
        description="Create bearer tokens for phonerouting serve.",
    )
    actions = token.add_subparsers(
        dest="action", required=True, metavar="ACTION", help="create (the only action)"
    )
    create = actions.add_parser(
        "create",
        parents=[common],
        help="create a token: printed once, with the lines to add to the accounts file",
        description="Create a token. It is printed once and never stored: the accounts file "
        "keeps only its hash, in the [tokens.NAME] lines printed with it.",
    )
    create.add_argument("name", metavar="NAME", help="the token's name (the audit's actor)")
    create.add_argument(
        "--role",
        required=True,
        choices=["viewer", "editor", "admin"],
        help="viewer reads; editor also edits and runs change sets; admin also migrates, "
        "rolls back and refreshes",
    )
    create.add_argument(
        "--accounts",
        metavar="A,B",
        help="only these accounts (comma-separated); the token sees nothing of the others",
    )
    create.set_defaults(func=token_command)

    store = sub.add_parser(
        "store",
        parents=[common],
        help="manage the service's store",
        description="Manage the store of phonerouting serve.",
    )
    store_actions = store.add_subparsers(
        dest="action", required=True, metavar="ACTION", help="upgrade (the only action)"
    )
    upgrade = store_actions.add_parser(
        "upgrade",
        parents=[common],
        help="create or upgrade the store's schema to this version's",
        description="Create the store's schema, or upgrade it to the one this phonerouting "
        "knows (each instance also does it on start). Refused when the store is newer.",
    )
    upgrade.add_argument("where", metavar="URL|PATH", help="a postgresql:// URL or a SQLite file")
    upgrade.set_defaults(func=store_command)


def is_loopback(host: str) -> bool:
    """True for a loopback address or ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_command(args: argparse.Namespace) -> int:
    """``phonerouting token create``."""
    from phonerouting.accounts import load_accounts
    from phonerouting.server.auth import (
        TokenEntry,
        check_name,
        check_role,
        hash_token,
        new_token,
        token_lines,
    )

    name, role = check_name(args.name), check_role(args.role)
    accounts: frozenset[str] | None = None
    if args.accounts is not None:
        accounts = frozenset(a.strip() for a in args.accounts.split(",") if a.strip())
        if not accounts:
            raise UsageError("--accounts names no account")
        known = load_accounts(args.config)
        unknown = sorted(accounts - set(known))
        if known and unknown:
            raise UsageError(
                f"--accounts names accounts the accounts file does not have: {', '.join(unknown)}"
            )
    token = new_token()
    entry = TokenEntry(name, role, hash_token(token), accounts)
    lines = token_lines(entry)
    if args.json:
        data = {
            "name": name,
            "role": role,
            "accounts": None if accounts is None else sorted(accounts),
            "token": token,
            "lines": lines,
        }
        print(json.dumps(data))
        return 0
    scope = "every account" if accounts is None else "accounts " + ", ".join(sorted(accounts))
    print(f"Token {name!r} ({role}, {scope}); it is shown this once, keep it secret:")
    print(token)
    print()
    print("Add these lines to the accounts file (it keeps only the hash):")
    print(lines)
    return 0


def store_command(args: argparse.Namespace) -> int:
    """``phonerouting store upgrade``."""
    import asyncio

    from phonerouting.store import upgrade

    before, after, name = asyncio.run(upgrade(args.where))
    if args.json:
        print(json.dumps({"store": name, "from": before, "to": after}))
    elif before == after:
        print(f"{name}: schema {after}, already current")
    else:
        print(f"{name}: schema {before} -> {after}")
    return 0


def _check_store(store: Any) -> None:
    """Open the store once before listening: an unreachable store, or one a newer
    phonerouting wrote, stops ``serve`` with its error instead of a 503 later."""
    import asyncio

    async def check() -> None:
        try:
            await store.open()
        finally:
            await store.close()

    asyncio.run(check())


def _check_listen(args: argparse.Namespace) -> None:
    tls = args.tls_cert is not None or args.tls_key is not None
    if tls and (args.tls_cert is None or args.tls_key is None):
        raise UsageError("--tls-cert and --tls-key go together")
    if tls:
        _check_tls(args.tls_cert, args.tls_key)
    if not is_loopback(args.host) and not tls and not args.behind_proxy:
        raise UsageError(
            f"refusing to serve on {args.host} without TLS: the API carries bearer tokens. "
            "Give --tls-cert and --tls-key, or --behind-proxy when a TLS-terminating proxy "
            "is in front, or listen on 127.0.0.1"
        )


def _check_tls(cert: str, key: str) -> None:
    """Load the certificate and key as uvicorn will, before anything starts: a wrong
    path or a key that is not the certificate's is a usage error, not a traceback."""
    import ssl

    try:
        # An empty passphrase: an encrypted key fails here instead of prompting.
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key, password="")
    except (OSError, ssl.SSLError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(
            f"cannot load the TLS certificate {cert!r} with the key {key!r}: {reason}. "
            "Give --tls-cert a PEM certificate and --tls-key its PEM private key "
            "(not encrypted with a passphrase)"
        ) from None


def serve_command(args: argparse.Namespace) -> int:
    """``phonerouting serve``."""
    _check_listen(args)
    try:
        import uvicorn

        from phonerouting.server.app import create_app
        from phonerouting.server.config import ServerConfig
    except ImportError:
        raise UsageError(
            "phonerouting serve needs the server extra: pip install 'phonerouting[server]'"
        ) from None
    token: str | None = None
    if args.demo:
        from phonerouting.server.demo import demo_config

        store = args.store or str(
            Path(tempfile.mkdtemp(prefix="phonerouting-demo-")) / "demo.sqlite"
        )
        demo = demo_config(store, numbers=args.numbers)
        config = demo.config
        # One admin token only, printed below: the demo's other roles are not served.
        config.tokens = {"admin": config.tokens["admin"]}
        token = demo.tokens["admin"]
    else:
        from phonerouting.accounts import DEFAULT_FILE, _config_path

        source = _config_path(args.config)
        if source is None:
            raise UsageError(
                "no accounts file: give --config, set $PHONEROUTING_CONFIG, or create "
                + DEFAULT_FILE
            )
        if not source.is_file():
            raise ConfigurationError(f"config file {str(source)!r} does not exist")
        config = ServerConfig.from_file(source, store=args.store)
        if not config.tokens:
            raise UsageError(
                f"{source} has no [tokens]: create one with `phonerouting token create NAME "
                "--role admin` and add the lines it prints"
            )
    _check_store(config.store)
    listener = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((args.host.strip("[]"), args.port))
        # Listening before the URL is printed: a client that connects at once waits in
        # the backlog while the service starts, instead of being refused.
        listener.listen(2048)
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from None
    port = listener.getsockname()[1]
    scheme = "https" if args.tls_cert else "http"
    shown = f"[{args.host}]" if ":" in args.host else args.host
    url = f"{scheme}://{shown}:{port}/"
    # The URL first on its line: scripts (and the docs tests) read it from there.
    print(f"{url} phonerouting serve (API under {url}api/v1/, OpenAPI at {url}openapi.json)")
    if token is not None:
        print(f"admin token (shown once): {token}")
        print(f"try: curl -H 'Authorization: Bearer {token}' {url}api/v1/accounts")
    sys.stdout.flush()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            log_level="warning",
            lifespan="on",
            proxy_headers=args.behind_proxy,
            ssl_certfile=args.tls_cert,
            ssl_keyfile=args.tls_key,
            timeout_graceful_shutdown=10,
        )
    )
    server.run(sockets=[listener])
    return 0
