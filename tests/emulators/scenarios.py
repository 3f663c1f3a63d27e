"""One write per vendor that a test can send and then ask "did it land?" about, so the
fault tests can tell a request that took effect from one that did not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import httpx

from phonerouting import testing
from tests.emulators.http import item_path

PROVIDERS = ("linq-v2", "linq-v3", "agentmessage", "close")


@attrs.frozen
class Write:
    """A write request on an emulator and a probe of whether it took effect."""

    emu: testing.Emulator
    method: str
    path: str
    body: dict[str, Any]
    landed: Callable[[], bool]

    def send(self, http: httpx.Client) -> httpx.Response:
        """Send the write."""
        return http.request(self.method, self.path, json=self.body)


def write(provider: str, seed: int = 0) -> Write:
    """A fresh emulator of ``provider`` with one number, and a write on that number."""
    emu = testing.emulator(provider, seed=seed)
    if provider in ("linq-v2", "linq-v3"):
        record: Any = emu.add_number("+12025550142")  # type: ignore[attr-defined]
        target = "+16175550123"
        return Write(
            emu,
            "PUT",
            item_path(provider, record.id),
            {"forwarding_number": target},
            lambda: bool(record.forwarding_number == target),
        )
    record = emu.add_number("+12025550142", label="Before")  # type: ignore[attr-defined]
    return Write(
        emu,
        "PATCH" if provider == "agentmessage" else "PUT",
        item_path(provider, record.id),
        {"label": "After"},
        lambda: bool(record.label == "After"),
    )
