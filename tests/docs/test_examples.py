"""Every code example in README.md and docs/ runs, against the emulators.

Python blocks of one page run in order in one namespace, with ``phonerouting.connect``
and ``connect_async`` pointed at in-process emulators (each seeded, holding
+12025550142) whenever an example gives no transport and no base URL. Shell lines that
call ``phonerouting`` run the installed console script against emulator servers named by
a config file; install and build commands are what ``.ci/run`` itself runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import phonerouting as pr
from phonerouting import registry, testing
from phonerouting.registry import adapter_for, providers

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
SCRIPT = Path(sys.executable).parent / "phonerouting"
KNOWN = "+12025550142"


def blocks(page: Path, language: str) -> list[str]:
    return [code for lang, code in BLOCK.findall(page.read_text()) if lang == language]


def emulators() -> dict[str, testing.Emulator]:
    emus = {p: testing.emulator(p, 8, seed=31) for p in pr.PROVIDERS}
    for emu in emus.values():
        emu.add_number(KNOWN)  # type: ignore[attr-defined]
    return emus


@pytest.fixture(autouse=True)
def _forget_registered_providers() -> Iterator[None]:
    # A page that registers a provider (writing-a-provider.md) must not leave it
    # registered for the tests that run after it.
    before = set(providers())
    yield
    for name in set(providers()) - before:
        registry._unregister(name)


@pytest.fixture
def patched(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, testing.Emulator]:
    emus = emulators()
    real_connect, real_connect_async = pr.connect, pr.connect_async

    def fake(real: Any, asynchronous: bool) -> Any:
        def connect(provider: str, *args: Any, **kwargs: Any) -> Any:
            unserved = kwargs.get("transport") is None and kwargs.get("base_url") is None
            if unserved and not args and provider in emus:
                emu = emus[provider]
                kwargs["transport"] = emu.async_transport() if asynchronous else emu.transport()
                kwargs["api_key"] = emu.api_key
            return real(provider, *args, **kwargs)

        return connect

    monkeypatch.setattr(pr, "connect", fake(real_connect, False))
    monkeypatch.setattr(pr, "connect_async", fake(real_connect_async, True))
    for provider, emu in emus.items():
        monkeypatch.setenv(adapter_for(provider).api_key_env, emu.api_key)
    monkeypatch.chdir(tmp_path)
    return emus


PY_PAGES = [p for p in PAGES if blocks(p, "python")]


def run_python_blocks(page: Path) -> dict[str, Any]:
    """Run the page's python blocks in order in one namespace; return the namespace."""
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for number, code in enumerate(blocks(page, "python"), 1):
        try:
            exec(compile(code, f"{page.name}[python block {number}]", "exec"), namespace)  # noqa: S102
        except Exception as exc:
            raise AssertionError(f"{page.name} python block {number} failed: {exc!r}") from exc
    return namespace


@pytest.mark.parametrize("page", PY_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_examples_run(page: Path, patched: dict[str, testing.Emulator]) -> None:
    run_python_blocks(page)


def _is_cli(line: str) -> bool:
    return line.startswith(("phonerouting ", ".venv/bin/phonerouting ", "python -m phonerouting"))


def _has_cli(page: Path) -> bool:
    return any(_is_cli(line.strip()) for b in blocks(page, "bash") for line in b.splitlines())


SHELL_PAGES = [p for p in PAGES if _has_cli(p)]


@pytest.fixture
def served_accounts(tmp_path: Path) -> Iterator[dict[str, str]]:
    emus = emulators()
    emus["old"] = testing.LinqV2Emulator(8, seed=31, populate=1.0)
    emus["new"] = testing.LinqV3Emulator(8, seed=31, populate=0.0)
    contexts = {name: emu.serve() for name, emu in emus.items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PHONEROUTING")}
    lines = []
    for name, ctx in contexts.items():
        variable = "KEY_" + name.upper().replace("-", "_")
        env[variable] = emus[name].api_key
        lines += [
            f'[accounts."{name}"]',
            f'provider = "{emus[name].provider}"',
            f'key_env = "{variable}"',
            f'base_url = "{ctx.__enter__()}"',
            "",
        ]
    config = tmp_path / "phonerouting.toml"
    config.write_text("\n".join(lines))
    env["PHONEROUTING_CONFIG"] = str(config)
    try:
        yield env
    finally:
        for ctx in contexts.values():
            ctx.__exit__(None, None, None)


# Bounds, not timings: each CLI run is a fresh interpreter, and under pytest-xdist the
# other worker shares the cores, so the bound leaves room for a loaded machine.
@pytest.mark.timeout(240)
@pytest.mark.parametrize("page", SHELL_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_cli_examples_run(page: Path, served_accounts: dict[str, str], tmp_path: Path) -> None:
    for block in blocks(page, "bash"):
        for raw in block.splitlines():
            line = raw.split("  #")[0].strip()
            if not _is_cli(line):
                continue
            argv = shlex.split(line)
            if argv[0].endswith("phonerouting"):
                argv[0] = str(SCRIPT)
            else:
                argv[0] = sys.executable
            long_running = "serve" in argv or "emulate" in argv
            if long_running:
                argv = [a if a != "8080" else "0" for a in argv]
                process = subprocess.Popen(
                    argv, stdout=subprocess.PIPE, text=True, env=served_accounts, cwd=tmp_path
                )
                try:
                    assert process.stdout is not None
                    first = process.stdout.readline()
                    assert first.startswith("http://127.0.0.1:"), (line, first)
                finally:
                    process.terminate()
                    process.wait(timeout=10)
                continue
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=60,
                env=served_accounts,
                cwd=tmp_path,
                check=False,
            )
            assert done.returncode == 0, (
                f"{page.name}: {line!r} exited {done.returncode}: {done.stderr}"
            )


TOML_PAGES = [p for p in PAGES if blocks(p, "toml")]


@pytest.mark.parametrize("page", TOML_PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_toml_examples_are_valid_account_files(page: Path, tmp_path: Path) -> None:
    from phonerouting.accounts import load_accounts

    if "register_provider(" in page.read_text():
        # Its account names the provider the page's own code registers.
        run_python_blocks(page)
    for number, text in enumerate(blocks(page, "toml"), 1):
        if text.startswith("[project"):
            continue  # a pyproject.toml excerpt, not an accounts file
        path = tmp_path / f"block{number}.toml"
        path.write_text(text)
        accounts = load_accounts(path)
        assert accounts, f"{page.name} toml block {number} names no account"
        for account in accounts.values():
            assert account.provider in providers()
            assert account.key_env.isupper(), account
