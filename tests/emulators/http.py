"""Plain httpx clients in front of an emulator, so the behaviour tests see exactly the
status, headers and body a vendor would send, with nothing of our adapters in between."""

from __future__ import annotations

import base64
import re

import httpx

from phonerouting import testing

#: The vendors' production base URLs: the in-process transport answers whatever the host.
BASE_URLS = {
    "linq-v2": "https://api.linqapp.com",
    "linq-v3": "https://api.linqapp.com/api/partner",
    "agentmessage": "https://api.agentmsg.io",
    "close": "https://api.close.com/api/v1",
}
#: The list path of each vendor, relative to its base URL.
LIST_PATHS = {
    "linq-v2": "/api/partner/v2/phone_numbers",
    "linq-v3": "/v3/phone_numbers",
    "agentmessage": "/v1/phone-numbers",
    "close": "/phone_number/",
}
ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
TRACE_ID = re.compile(r"[0-9a-f]{32}")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
CLOSE_ID = re.compile(r"phon_[A-Za-z0-9]{43}")


def basic(key: str) -> str:
    """Close's ``Authorization`` value: the key as user name, an empty password."""
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def auth_headers(provider: str, key: str) -> dict[str, str]:
    """The headers each vendor authenticates with."""
    if provider == "linq-v2":
        return {"X-LINQ-INTEGRATION-TOKEN": key}
    if provider == "close":
        return {"Authorization": basic(key)}
    return {"Authorization": f"Bearer {key}"}


def client(
    emu: testing.Emulator, key: str | None = None, *, headers: dict[str, str] | None = None
) -> httpx.Client:
    """An httpx client on ``emu``'s in-process transport, authenticated with ``key``
    (the emulator's own key by default); ``headers``, when given, replace the auth
    headers (``{}`` sends none)."""
    sent = auth_headers(emu.provider, key or emu.api_key) if headers is None else headers
    return httpx.Client(transport=emu.transport(), base_url=BASE_URLS[emu.provider], headers=sent)


def item_path(provider: str, number_id: object) -> str:
    """The path of one number (update, and get where the vendor has it)."""
    if provider == "close":
        return f"/phone_number/{number_id}/"
    return f"{LIST_PATHS[provider]}/{number_id}"
