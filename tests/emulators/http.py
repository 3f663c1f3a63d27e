"""Plain httpx clients in front of an emulator, so the behaviour tests see exactly the
status, headers and body a vendor would send, with nothing of our adapters in between.
Every path and auth header comes from the provider's profile."""

from __future__ import annotations

import base64
import re

import httpx

from phonerouting import testing
from phonerouting.registry import adapter_for
from tests.profiles import PROFILES, PROVIDERS, profile

#: The vendors' production base URLs: the in-process transport answers whatever the host.
BASE_URLS = {p: adapter_for(p).default_base_url for p in PROVIDERS}
#: The list path of each vendor, relative to its base URL (as its profile writes it).
LIST_PATHS = {p: PROFILES[p].list_path for p in PROVIDERS}
ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")
TRACE_ID = re.compile(r"[0-9a-f]{32}")
UUID4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
CLOSE_ID = re.compile(r"phon_[A-Za-z0-9]{43}")


def basic(key: str) -> str:
    """An HTTP Basic ``Authorization`` value: the key as user name, an empty password."""
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def auth_headers(provider: str, key: str, emu: testing.Emulator | None = None) -> dict[str, str]:
    """The headers ``provider`` authenticates with, ``key`` as its secret (``emu``: the
    emulator whose other credentials, if any, go with it)."""
    return adapter_for(provider).authenticate(profile(provider).credentials(emu, key))


def client(
    emu: testing.Emulator, key: str | None = None, *, headers: dict[str, str] | None = None
) -> httpx.Client:
    """An httpx client on ``emu``'s in-process transport, authenticated with ``key``
    (the emulator's own key by default); ``headers``, when given, replace the auth
    headers (``{}`` sends none)."""
    sent = auth_headers(emu.provider, key or emu.api_key, emu) if headers is None else headers
    return httpx.Client(
        transport=emu.transport(),
        base_url=adapter_for(emu.provider).default_base_url,
        headers=sent,
    )


def list_path(emu: testing.Emulator) -> str:
    """The list path of ``emu``, relative to its adapter's base URL."""
    return profile(emu.provider).list_path_of(emu)


def item_path(target: testing.Emulator | str, number_id: object) -> str:
    """The path of one number (update, and get where the vendor has it) of an emulator,
    or of a provider whose paths name nothing of the emulator."""
    if isinstance(target, str):
        return profile(target).item_path.format(emu=None, id=number_id)
    return profile(target.provider).item_path_of(target, number_id)
