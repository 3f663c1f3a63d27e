"""How the console's browser tests and benchmarks launch Chromium: Debian's package,
headless, with the flags that keep it from reaching the network (no component
updates, sync or background requests: the tests run offline) or a GPU."""

from __future__ import annotations

__all__ = ["CHROMIUM", "CHROMIUM_ARGS"]

#: Where Debian's ``chromium`` package installs the browser (`.ci/run` installs it).
CHROMIUM = "/usr/bin/chromium"

#: The launch flags: headless, no sandbox (root in a container), and nothing that
#: reaches out on its own.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
