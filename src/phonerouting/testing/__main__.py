"""``python -m phonerouting.testing serve --provider NAME [--port N] ...``

Prints the base URL to pass to ``phonerouting.connect(base_url=...)`` as its first line
(and, when no ``--api-key`` is given, the generated key on the second), then serves
until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Callable, Sequence

from phonerouting.registry import providers
from phonerouting.testing import emulator
from phonerouting.testing.server import serve_forever

__all__ = ["add_serve_arguments", "bounded_int", "main", "serve_command"]


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, not {value}")
        return value

    return parse


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, not {value:g}")
    return value


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``serve`` (shared with ``phonerouting emulate``)."""
    parser.add_argument(
        "--provider", required=True, choices=providers(), help="the vendor to emulate"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=bounded_int(0, 65535), default=0, help="0 picks a free port")
    parser.add_argument(
        "--numbers", type=bounded_int(0, 1_000_000), default=20, help="numbers to seed"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    parser.add_argument("--api-key", dest="api_key", default=None, help="the key to accept")
    parser.add_argument(
        "--populate",
        type=_fraction,
        default=0.5,
        help="share of the numbers seeded with routing set (0 to 1)",
    )


def serve_command(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM."""
    emu = emulator(
        args.provider, args.numbers, seed=args.seed, api_key=args.api_key, populate=args.populate
    )
    announce = [] if args.api_key else [emu.api_key]
    # What else a client must be given (a Twilio Account SID), one name=value a line.
    announce += [f"{name}={value}" for name, value in emu.identifiers().items()]

    async def run() -> None:
        task = asyncio.ensure_future(serve_forever(emu, args.host, args.port, announce))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    try:
        asyncio.run(run())
    except OSError as exc:  # the port is taken, or the host is not an address of ours
        message = f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        if getattr(args, "json", False):  # `phonerouting emulate --json`
            error = {"type": "OSError", "command": "emulate", "message": message}
            print(json.dumps({"error": error}), file=sys.stderr)
        else:
            print(f"phonerouting: error: {message}", file=sys.stderr)
        return 2
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
