"""The accounts a command works on: resolved from the accounts file, connected with the
command line's ``--timeout`` and ``--max-retries`` (which override the file's), and, in a
command over two accounts, named with their role in every error they raise."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

from phonerouting.accounts import Account, resolve_account
from phonerouting.async_client import AsyncClient
from phonerouting.cli.failures import Side, mark_side
from phonerouting.client import Client
from phonerouting.errors import RoutingError
from phonerouting.model import Capabilities, PhoneNumber, RoutingUpdate

_T = TypeVar("_T")

__all__ = ["SidedClient", "account", "connect", "connect_async"]


def account(args: argparse.Namespace, name: str) -> Account:
    """The account called ``name`` (accounts file, or a provider name)."""
    return resolve_account(name, args.config)


def _options(args: argparse.Namespace) -> dict[str, Any]:
    # Only what the command line says: the account's own timeout and max_retries from
    # the accounts file apply under it (Account.connect), the library's defaults under
    # those.
    return {
        name: getattr(args, name)
        for name in ("timeout", "max_retries")
        if getattr(args, name, None) is not None
    }


def connect(args: argparse.Namespace, name: str) -> Client:
    """A sync client for the account ``name``."""
    return account(args, name).connect(**_options(args))


def connect_async(args: argparse.Namespace, name: str, role: str) -> SidedClient:
    """An async client for the account ``name`` playing ``role`` (source or target)."""
    acct = account(args, name)
    side = Side(role, acct.name, acct.provider)
    try:
        client = acct.connect_async(**_options(args))
    except RoutingError as error:
        mark_side(error, side)
        raise
    return SidedClient(client, side)


class SidedClient:
    """An async client whose errors say which account (and role) they came from; it
    satisfies `phonerouting.AsyncPhoneNumberRouting` like the client it wraps."""

    def __init__(self, client: AsyncClient, side: Side) -> None:
        self._client = client
        self.side = side
        #: Called once per number listed (a progress display), when set.
        self.on_number: Callable[[], None] | None = None

    @property
    def provider(self) -> str:
        """The provider name."""
        return self._client.provider

    @property
    def capabilities(self) -> Capabilities:
        """What the provider can set and clear."""
        return self._client.capabilities

    def _mark(self, error: RoutingError) -> None:
        mark_side(error, self.side)

    async def list_numbers(self) -> AsyncIterator[PhoneNumber]:
        """Every number of the account."""
        try:
            async for number in self._client.list_numbers():
                if self.on_number is not None:
                    self.on_number()
                yield number
        except RoutingError as error:
            self._mark(error)
            raise

    async def _tagged(self, call: Awaitable[_T]) -> _T:
        # Every call's error says which account (and role) it came from.
        try:
            return await call
        except RoutingError as error:
            self._mark(error)
            raise

    async def get_number(self, number_id: str) -> PhoneNumber:
        """One number by the vendor's id."""
        return await self._tagged(self._client.get_number(number_id))

    async def find_number(self, number: str) -> PhoneNumber:
        """One number by E.164 number."""
        return await self._tagged(self._client.find_number(number))

    async def update_routing(
        self, number_id: str, update: RoutingUpdate, *, current: PhoneNumber | None = None
    ) -> PhoneNumber:
        """Apply an update (``current``: the number as just read); return the number
        afterwards."""
        return await self._tagged(self._client.update_routing(number_id, update, current=current))

    async def restore_routing(
        self, number_id: str, update: RoutingUpdate, state: Mapping[str, Any]
    ) -> PhoneNumber:
        """As `update_routing`, also putting back the vendor state (rollbacks)."""
        return await self._tagged(self._client.restore_routing(number_id, update, state))

    async def close(self) -> None:
        """Release the connection pool."""
        await self._client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __getattr__(self, name: str) -> Any:
        # Anything else the engine may use (newer client methods) comes from the client.
        return getattr(self._client, name)
