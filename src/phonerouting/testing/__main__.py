"""``python -m phonerouting.testing serve --provider NAME [--port N] ...``

Prints the base URL to pass to ``phonerouting.connect(base_url=...)`` as its first line
(and, when no ``--api-key`` is given, the generated key on the second), then serves
until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from phonerouting.testing import EMULATORS, emulator
from phonerouting.testing.server import serve_forever

__all__ = ["main", "serve_command"]


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``serve`` (shared with ``phonerouting emulate``)."""
    parser.add_argument("--provider", required=True, choices=list(EMULATORS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--numbers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--api-key", dest="api_key", default=None)
    parser.add_argument("--populate", type=float, default=0.5)


def serve_command(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM."""
    emu = emulator(
        args.provider, args.numbers, seed=args.seed, api_key=args.api_key, populate=args.populate
    )
    announce = [] if args.api_key else [emu.api_key]

    async def run() -> None:
        task = asyncio.ensure_future(serve_forever(emu, args.host, args.port, announce))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(run())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m phonerouting.testing``."""
    parser = argparse.ArgumentParser(prog="python -m phonerouting.testing")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve an emulator on loopback")
    add_serve_arguments(serve)
    args = parser.parse_args(argv)
    return serve_command(args)


if __name__ == "__main__":
    sys.exit(main())
