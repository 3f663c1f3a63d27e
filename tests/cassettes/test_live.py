"""The cassette scenarios against the real vendor APIs (marker ``live``).

A provider's tests run when ``PHONEROUTING_LIVE_<PROVIDER>_KEY`` is set (for example
``PHONEROUTING_LIVE_LINQ_V3_KEY``) and skip otherwise; ``..._BASE_URL`` points them
elsewhere than production. The write test also needs ``..._NUMBER``: the E.164 number
of a scratch line it may change; it restores what it changed.

Without ``--record-mode`` they talk to the vendor directly. With
``--record-mode=rewrite`` the sync variant records ``cassettes/<provider>/live/`` and
the async variant replays that recording. The data of a real account is unknown in
advance, so these tests assert the shape of what comes back (types, ids, round trips,
error classes and documented codes), not exact values.

Not run live: the vendor validation error (our client refuses every value the vendors
document as invalid before sending it, so there is no safe, known way to provoke one)
and the 429 (only by flooding the vendor's API). The emulator cassettes cover both.
"""

from __future__ import annotations

import os
import re
from typing import Any

import attrs
import pytest

import phonerouting as pr
from tests.cassettes import vendors
from tests.cassettes.clients import call, list_all, open_client, raised
from tests.cassettes.conftest import live_env
from tests.cassettes.scenarios import PROVIDERS
from tests.cassettes.vendors import vendor

pytestmark = pytest.mark.live

providers = pytest.mark.parametrize("provider", PROVIDERS)

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
#: A NANPA number reserved for fiction (555-01XX): forwarding there reaches no one.
FORWARD_TO = os.environ.get("PHONEROUTING_LIVE_FORWARD_TO", "+12025550123")


def _write(provider: str) -> tuple[str, Any]:
    """What the write test sets, then clears: the most harmless field each vendor has
    (its cassette module's ``LIVE_WRITE``; no value: `FORWARD_TO`)."""
    field, value = vendor(provider).LIVE_WRITE
    return field, FORWARD_TO if value is None else value


@attrs.frozen
class Account:
    """A real vendor account, from the environment."""

    provider: str
    api_key: str
    base_url: str | None

    def client(self, mode: str, api_key: str | None = None) -> Any:
        credentials = vendors.live_credentials(self.provider, api_key or self.api_key)
        return open_client(mode, self.provider, base_url=self.base_url, **credentials)


@pytest.fixture
def account(provider: str) -> Account:
    key = live_env(provider, "KEY")
    if key is None:
        variable = f"PHONEROUTING_LIVE_{provider.upper().replace('-', '_')}_KEY"
        pytest.skip(f"set {variable} to run against the real {provider} API")
    return Account(provider, key, live_env(provider, "BASE_URL"))


@providers
async def test_live_list(provider: str, mode: str, account: Account) -> None:
    async with account.client(mode) as client:
        numbers = await list_all(client)
    assert all(n.provider == provider for n in numbers)
    assert all(_E164.fullmatch(n.number) for n in numbers)
    assert len({n.id for n in numbers}) == len(numbers)


@providers
async def test_live_get(provider: str, mode: str, account: Account) -> None:
    async with account.client(mode) as client:
        numbers = await list_all(client)
        assert numbers, f"the {provider} account has no number to get"
        got = await call(client, "get_number", numbers[0].id)
    assert got == numbers[0]


@providers
async def test_live_update_and_clear(provider: str, mode: str, account: Account) -> None:
    scratch = live_env(provider, "NUMBER")
    if scratch is None:
        variable = f"PHONEROUTING_LIVE_{provider.upper().replace('-', '_')}_NUMBER"
        pytest.skip(f"set {variable} to the E.164 number of a line this test may change")
    field, value = _write(provider)
    async with account.client(mode) as client:
        before = await call(client, "find_number", scratch)
        try:
            after = await call(
                client, "update_routing", before.id, pr.RoutingUpdate(**{field: value})
            )
            assert getattr(after, field) == value
            assert getattr(await call(client, "get_number", before.id), field) == value
            cleared = await call(
                client, "update_routing", before.id, pr.RoutingUpdate(**{field: pr.CLEAR})
            )
            assert getattr(cleared, field) is None
            read_back = await call(client, "get_number", before.id)
            assert getattr(read_back, field) is None
            untouched = {k: v for k, v in before.routing().items() if k != field}
            assert {k: v for k, v in read_back.routing().items() if k != field} == untouched
        finally:
            original = getattr(before, field)
            if original is not None:
                restore = pr.RoutingUpdate(**{field: original})
                await call(client, "update_routing", before.id, restore)


@providers
async def test_live_unauthorized(provider: str, mode: str, account: Account) -> None:
    async with account.client(mode, api_key="phonerouting-live-test-invalid-key") as client:
        error = await raised(client, "list_numbers")
    assert type(error) is pr.AuthenticationError
    assert (error.provider, error.status) == (provider, 401)
    # The vendor error codes PROVIDERS.md documents (the others give none, or their own).
    if vendor(provider).LIVE_UNAUTHORIZED_CODE is not None:
        assert error.code == vendor(provider).LIVE_UNAUTHORIZED_CODE


@providers
async def test_live_not_found(provider: str, mode: str, account: Account) -> None:
    unknown = vendor(provider).LIVE_UNKNOWN_ID
    field, value = _write(provider)
    async with account.client(mode) as client:
        on_get = await raised(client, "get_number", unknown)
        on_update = await raised(
            client, "update_routing", unknown, pr.RoutingUpdate(**{field: value})
        )
    assert type(on_get) is pr.NotFoundError
    # Linq has no get-one endpoint: the client finds the id missing from the listing.
    assert on_get.status == vendor(provider).LIVE_NOT_FOUND_GET_STATUS
    assert type(on_update) is pr.NotFoundError
    assert on_update.status == 404
    if vendor(provider).LIVE_NOT_FOUND_CODE is not None:
        assert on_update.code == vendor(provider).LIVE_NOT_FOUND_CODE
