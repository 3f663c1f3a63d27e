"""The web console in a real browser: Debian's Chromium driven by Playwright, against
`phonerouting serve` in its own process on loopback, over emulators served on loopback
by this test process (so each test reads what the vendor received off the emulator's
own request log).

The browser and the service start once per test session; each test has its own
browser context (its own cookies). Playwright's synchronous API keeps an event loop
running in the thread that uses it, which would stop every asyncio test after it in
the same process: so the browser lives in a thread of its own, and each test marked
``browser`` (and every fixture step touching the browser) runs in that thread.
axe-core comes from the npm registry, installed once into ``.cache/console-axe``
(git-ignored) and injected into the pages checked.
Screenshots go to ``docs/images/console`` when ``PHONEROUTING_SCREENSHOTS=1`` (the one
command that regenerates the committed ones, see docs/server.md), else to a temporary
folder. They are taken with animations stopped: a page whose progress bar was still
moving once kept a capture waiting past its bound on a loaded machine.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from playwright import sync_api as playwright_api

from phonerouting import testing
from phonerouting.server import hash_token, new_token
from phonerouting.testing.browser import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
AXE_DIR = ROOT / ".cache" / "console-axe"
AXE = "axe-core@4"
SCRIPT = Path(sys.executable).parent / "phonerouting"
#: A label a vendor could hold: it must show as text and never run.
XSS_LABEL = "<img src=x onerror=alert(1)>"
FRONT_DESK = "+12025550142"
XSS_NUMBER = "+12025550199"
#: Numbers both the linq-v3 account (with a forwarding number) and the Close account
#: (without) hold: what the migration moves.
SHARED = tuple(f"+1415555{n:04d}" for n in range(101, 106))
ROLES = ("admin", "editor", "viewer")
#: The one thread that drives the browser (see the module's doc).
_BROWSER_THREAD = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="browser")
#: The longest a browser test or step may take.
BROWSER_TIMEOUT = 170
_T = TypeVar("_T")


def in_browser(work: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run ``work`` in the browser's thread, and give its result."""
    return _BROWSER_THREAD.submit(work, *args, **kwargs).result(timeout=BROWSER_TIMEOUT)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """A test marked ``browser`` runs in the browser's thread."""
    if pyfuncitem.get_closest_marker("browser") is None:
        return None
    names = pyfuncitem._fixtureinfo.argnames
    in_browser(pyfuncitem.obj, **{name: pyfuncitem.funcargs[name] for name in names})
    return True


class Served:
    """The service under test: its URL, a token per role and the emulators."""

    def __init__(self, url: str, tokens: dict[str, str], emulators: dict[str, Any]) -> None:
        self.url = url
        self.tokens = tokens
        self.emulators = emulators

    def api(self, method: str, path: str, role: str = "admin", **kw: Any) -> httpx.Response:
        """A call to the service's API with a role's bearer token."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}", **kw.pop("headers", {})}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kw)

    def plain_crm(self) -> list[Any]:
        """The seeded Close numbers no test names, in number order: each test that
        writes some takes its own slice (test_audit [:2], test_jobs [2:8],
        test_number [-1]), so tests in one session never write the same number."""
        taken = {FRONT_DESK, XSS_NUMBER, *SHARED}
        crm = self.emulators["crm"].numbers.values()
        return sorted((r for r in crm if r.number not in taken), key=lambda r: r.number)

    def wait_job(self, kind: str, job_id: str, seconds: float = 60) -> dict[str, Any]:
        """A change set's or migration's state once its run has ended."""
        deadline = time.monotonic() + seconds
        while True:
            job = self.api("GET", f"api/v1/{kind}/{job_id}").json()
            if job["state"] not in ("applying", "rolling_back"):
                return dict(job)
            assert time.monotonic() < deadline, f"{kind} {job_id} still {job['state']}"
            time.sleep(0.05)


def _seed() -> dict[str, Any]:
    crm = testing.emulator("close", numbers=60, seed=11, populate=0.5)
    crm.add_number(FRONT_DESK, label="Front desk", forward_to="+12025550100")
    crm.add_number(XSS_NUMBER, label=XSS_LABEL)
    lines = testing.emulator("linq-v3", numbers=20, seed=12, populate=0.5)
    for i, number in enumerate(SHARED):
        lines.add_number(number, forwarding_number=f"+1202555{i + 300:04d}")
        crm.add_number(number, label=f"Shared {i}")
    flaky = testing.emulator("close", numbers=5, seed=13, populate=0.5)
    return {"crm": crm, "lines": lines, "flaky": flaky}


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`phonerouting serve` on a test config, once per session, on a free port."""
    home = tmp_path_factory.mktemp("console")
    emulators = _seed()
    tokens = {role: new_token() for role in ROLES}
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(emu.serve()) for name, emu in emulators.items()}
        lines = ["[server]", f'store = "{home / "store.sqlite"}"', "concurrency = 2"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("PHONEROUTING")}
        for name, emu in emulators.items():
            variable = f"KEY_{name.upper()}"
            env[variable] = emu.api_key
            lines += [
                f"[accounts.{name}]",
                f'provider = "{emu.provider}"',
                f'key_env = "{variable}"',
                f'base_url = "{urls[name]}"',
            ]
        for role, token in tokens.items():
            lines += [f"[tokens.ops-{role}]", f'role = "{role}"', f'hash = "{hash_token(token)}"']
        config = home / "phonerouting.toml"
        config.write_text("\n".join(lines) + "\n")
        log = (home / "serve.log").open("w")
        process = subprocess.Popen(
            [str(SCRIPT), "serve", "--config", str(config), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert first.startswith("http://127.0.0.1:"), (first, (home / "serve.log").read_text())
            served = Served(first.split()[0], tokens, emulators)
            deadline = time.monotonic() + 60
            while httpx.get(served.url + "readyz", timeout=10).status_code != 200:
                assert time.monotonic() < deadline, "the service never got ready"
                time.sleep(0.1)
            # The flaky account's vendor fails from now on: its last read failed, so the
            # inventory keeps its numbers and marks them stale.
            emulators["flaky"].faults.server_error(503, count=None, method="GET")
            refreshed = served.api("POST", "api/v1/accounts/flaky/refresh")
            assert refreshed.status_code >= 500, refreshed.text
            yield served
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, once per session (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")

    def start() -> tuple[Any, Any]:
        playwright = playwright_api.sync_playwright().start()
        return playwright, playwright.chromium.launch(
            executable_path=CHROMIUM, args=list(CHROMIUM_ARGS)
        )

    playwright, chromium = in_browser(start)
    try:
        yield chromium
    finally:
        in_browser(chromium.close)
        in_browser(playwright.stop)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's axe.min.js, from the npm registry, installed once into the cache.

    Installed into a folder of this process's own and then renamed into place, so two
    test workers starting at once never write into the same folder."""
    script = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is missing: apt-get install npm (to install axe-core)")
        AXE_DIR.parent.mkdir(parents=True, exist_ok=True)
        mine = Path(tempfile.mkdtemp(prefix="console-axe-", dir=AXE_DIR.parent))
        try:
            subprocess.run(
                [
                    npm,
                    "install",
                    "--no-save",
                    "--no-audit",
                    "--no-fund",
                    "--prefix",
                    str(mine),
                    AXE,
                ],
                check=True,
                timeout=300,
                capture_output=True,
            )
            with contextlib.suppress(OSError):  # another worker renamed its own first
                mine.rename(AXE_DIR)
        finally:
            shutil.rmtree(mine, ignore_errors=True)
    return script.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def shots() -> Path:
    """Where the tests save their screenshots."""
    if os.environ.get("PHONEROUTING_SCREENSHOTS") == "1":
        folder = ROOT / "docs" / "images" / "console"
    else:
        folder = Path(tempfile.mkdtemp(prefix="console-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Console:
    """One browser context on the console, signed in as a role or not."""

    def __init__(self, served: Served, page: Any, axe: str, shots: Path) -> None:
        self.served = served
        self.page = page
        self.axe = axe
        self.shots = shots
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        # Script errors and CSP refusals; a 4xx the test provoked is no error of the page.
        page.on(
            "console",
            lambda m: (
                self.errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )

    def go(self, path: str) -> Any:
        """Open a console path (relative to the service's URL)."""
        return self.page.goto(self.served.url + path.lstrip("/"))

    def sign_in(self, role: str) -> None:
        """Sign in through the sign-in form with the role's token."""
        self.go("/signin")
        self.page.get_by_label("Token").fill(self.served.tokens[role])
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url("**/numbers")

    def accessible(self) -> None:
        """axe-core on the page as it stands: no serious or critical violation."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            # Evaluated by the browser's debugging protocol, which the page's CSP
            # does not govern (an injected <script> would be refused, as it should).
            self.page.evaluate(self.axe + "\n;undefined")
        violations = self.page.evaluate(
            """async () => (await axe.run(document, {resultTypes: ['violations']}))
                .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 3).map(n => n.html)}))"""
        )
        assert violations == [], json.dumps(violations, indent=1)

    def wait_state(self, state: str) -> None:
        """Wait until the job page shows its run ended in ``state``."""
        self.page.wait_for_function(
            "(state) => document.querySelector('[data-job]').dataset.state === state",
            arg=state,
            timeout=60_000,
        )

    def shot(self, name: str) -> None:
        """Save a screenshot of the window (1280 x 900) as ``name``.png."""
        # Animations stopped: the capture is of the settled page, and Chromium need not
        # render frame after frame of a moving bar on a busy machine to take it.
        self.page.screenshot(
            path=str(self.shots / f"{name}.png"), animations="disabled", timeout=60_000
        )


@pytest.fixture
def console(browser: Any, served: Served, axe_source: str, shots: Path) -> Iterator[Console]:
    """A fresh browser context (no cookies) on the console."""

    def start() -> tuple[Any, Console]:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        # A bound, not a timing check: generous, for a machine running the suite on
        # every core.
        context.set_default_timeout(30_000)
        return context, Console(served, context.new_page(), axe_source, shots)

    context, console = in_browser(start)
    try:
        yield console
    finally:
        in_browser(context.close)
