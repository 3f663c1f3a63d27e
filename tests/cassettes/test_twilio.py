"""Twilio's own cassette scenarios (``cassettes/twilio/``), beyond the suite's: a find
by number (Twilio's ``PhoneNumber`` filter is a pattern match, matched exactly
afterwards) and an update Twilio would silently ignore, refused before anything is
written. The suite's scenarios replay Twilio's other cassettes (``test_replay.py``,
with ``tests/cassettes/vendors/twilio.py``). Recorded like the others::

    PHONEROUTING_RECORD=1 .venv/bin/pytest tests/cassettes -k twilio --record-mode=rewrite
"""

from __future__ import annotations

from typing import Any

import pytest

import phonerouting as pr
from tests.cassettes.clients import call, open_client, raised, wire
from tests.cassettes.conftest import Target
from tests.cassettes.vendors.twilio import _BASE, APP, IDS, URL

pytestmark = [
    pytest.mark.vcr,
    pytest.mark.block_network,
    pytest.mark.parametrize("provider", ["twilio"]),
]


async def test_find(provider: str, mode: str, target: Target, vcr: Any) -> None:
    async with open_client(mode, provider, base_url=target.base_url, **target.credentials) as c:
        found = await call(c, "find_number", "+1 312 555 0199")
    assert (found.id, found.number) == (IDS[1], "+13125550199")
    assert wire(vcr) == [
        ("GET", f"{_BASE}.json?PhoneNumber=%2B13125550199&PageSize=1000", None),
    ]


async def test_overridden(provider: str, mode: str, target: Target, vcr: Any) -> None:
    async with open_client(mode, provider, base_url=target.base_url, **target.credentials) as c:
        error = await raised(c, "update_routing", IDS[2], pr.RoutingUpdate(inbound_url=URL))
    assert type(error) is pr.ValidationError
    assert error.field == "inbound_url"
    assert f"has a SmsApplicationSid ({APP})" in error.message
    assert wire(vcr) == [("GET", f"{_BASE}/{IDS[2]}.json", None)]  # read, refused, no write
