"""``phonerouting demo`` and ``phonerouting emulate``.

The demo migrates a Linq v2 account to Linq v3 end to end — plan, journaled apply,
verify — against in-process emulators: no keys, no network. The v3 emulator is
programmed with a few 503s and 429s on the way, so the retries show their work.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import phonerouting as pr
from phonerouting import migration
from phonerouting.testing import LinqV2Emulator, LinqV3Emulator, e164_numbers
from phonerouting.testing.__main__ import add_serve_arguments, bounded_int, serve_command

__all__ = ["add_commands", "run_demo"]


def add_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """Register ``demo`` and ``emulate`` on the CLI's subparsers."""
    demo = sub.add_parser(
        "demo",
        parents=[common],
        help="a Linq v2 -> v3 migration on emulators (no keys)",
        description="A whole Linq v2 -> Linq v3 migration (plan, journaled apply, verify) "
        "against in-process emulators: no keys, no network, no confirmation asked.",
    )
    demo.add_argument(
        "--numbers",
        type=bounded_int(1, 100_000),
        default=300,
        help="numbers in the Linq v2 account (default 300)",
    )
    demo.add_argument(
        "--seed", type=int, default=7, help="seed of the generated numbers (default 7)"
    )
    demo.add_argument(
        "--concurrency",
        type=bounded_int(1, 1_000),
        default=16,
        help="numbers written at the same time (default 16)",
    )
    demo.add_argument(
        "--journal",
        metavar="FILE",
        help="keep the migration's journal in FILE (default: a temporary file, deleted "
        "when the demo ends)",
    )
    demo.set_defaults(func=_demo_command)
    emulate = sub.add_parser(
        "emulate",
        parents=[common],
        help="serve an emulator on loopback",
        description="Serve a vendor emulator over HTTP, for trying the commands out; "
        "prints its base URL, then the key it generated.",
    )
    add_serve_arguments(emulate)
    emulate.set_defaults(func=serve_command)


def _demo_command(args: argparse.Namespace) -> int:
    if args.journal is not None and Path(args.journal).exists():
        from phonerouting.cli.failures import UsageError

        # The demo's emulators are new each run: an old journal would not describe them.
        raise UsageError(f"{args.journal} already exists; give the demo a new journal file")
    return asyncio.run(
        run_demo(args.numbers, args.seed, args.concurrency, as_json=args.json, journal=args.journal)
    )


def _say(text: str, *, quiet: bool) -> None:
    if not quiet:
        print(text, flush=True)


async def run_demo(
    numbers: int = 300,
    seed: int = 7,
    concurrency: int = 16,
    *,
    as_json: bool = False,
    journal: str | Path | None = None,
) -> int:
    """Run the demo; returns the exit code (0 when the target verifies).

    The journal goes to ``journal`` and stays there; without one, to a temporary file
    that is deleted at the end (the demo says so). The demo writes to its own in-process
    emulators only, so it never asks for confirmation.
    """
    quiet = as_json
    old = LinqV2Emulator(numbers, seed=seed, populate=1.0)
    new = LinqV3Emulator(numbers, seed=seed, populate=0.0)
    # One number ported away from Linq and one bought on v3 only, as in real accounts.
    extra_v2, extra_v3 = e164_numbers(numbers + 2, seed + 1000)[-2:]
    old.add_number(extra_v2, forwarding_number="+12025559999")
    new.add_number(extra_v3)
    new.faults.server_error(503, count=3, method="PUT")
    new.faults.rate_limited(count=2, retry_after=0, method="PUT")
    policy = pr.RetryPolicy(backoff_initial=0.05, backoff_max=0.2, jitter=0.05)
    _say(
        f"Linq v2 emulator: {len(old.numbers)} numbers, all forwarding; "
        f"Linq v3 emulator: {len(new.numbers)} numbers, none forwarding.",
        quiet=quiet,
    )
    async with (
        pr.connect_async("linq-v2", api_key=old.api_key, transport=old.async_transport()) as src,
        pr.connect_async(
            "linq-v3",
            api_key=new.api_key,
            transport=new.async_transport(),
            retry_policy=policy,
        ) as dst,
    ):
        plan = await migration.plan(src, dst)
        s = plan.summary()
        _say(
            f"plan: {s['matched']} matched, {s['to_write']} to write, {s['unchanged']} "
            f"unchanged, {s['only_in_source']} only in v2, {s['only_in_target']} only in v3",
            quiet=quiet,
        )
        for item in plan.to_write[:3]:
            change = item.changes[0]
            _say(f"  {item.number}: {change.field} {change.before} -> {change.after}", quiet=quiet)
        with tempfile.TemporaryDirectory(prefix="phonerouting-demo-") as folder:
            path = Path(folder) / "journal.sqlite" if journal is None else Path(journal)
            if journal is None:
                where = f"journal {path} (temporary: deleted when the demo ends)"
            else:
                where = f"journal {path.resolve()} (kept)"
            marks = {max(1, len(plan.to_write) * k // 4) for k in (1, 2, 3, 4)}
            started = time.monotonic()

            def progress(done: int, total: int) -> None:
                if done in marks:
                    rate = done / max(time.monotonic() - started, 1e-9)
                    _say(f"  applied {done}/{total} ({rate:.0f}/s)", quiet=quiet)

            _say(f"apply: {where}, concurrency {concurrency}", quiet=quiet)
            report = await migration.apply(
                plan, dst, journal=path, concurrency=concurrency, progress=progress
            )
        _say(
            f"apply: {report.written} written, {len(report.failed)} failed "
            f"(the v3 emulator answered 3 x 503 and 2 x 429 on the way; retried)",
            quiet=quiet,
        )
        check = await migration.verify(plan, dst)
    _say(
        f"verify: {'OK' if check.ok else 'DIFFERS'}: {check.checked} checked, "
        f"{len(check.differences)} differences",
        quiet=quiet,
    )
    if as_json:
        import json

        from phonerouting.serialize import to_data

        json.dump(
            {
                "plan": plan.summary(),
                "apply": to_data(report),
                "verify": to_data(check),
                "journal": None if journal is None else str(Path(journal).resolve()),
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
    return 0 if report.ok and check.ok else 1
