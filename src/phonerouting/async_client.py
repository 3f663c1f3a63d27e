"""The asynchronous driver: pumps the same protocol core (`phonerouting.core`) as the
sync client, awaiting an async HTTP sender: aiohttp by default
(`phonerouting._aiohttp`), or an ``httpx.AsyncClient`` (`phonerouting._httpx`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from phonerouting.core import ClientBase, Listing, Operation, Pump, Reply, WireRequest, next_batch
from phonerouting.model import PhoneNumber, RoutingUpdate, UpdateResult

__all__ = ["AsyncClient", "AsyncSender"]

_T = TypeVar("_T")


class AsyncSender(Protocol):
    """What the async driver sends through: one connection pool."""

    async def send(self, request: WireRequest) -> Reply:
        """Send one request: its response, or the failure that stopped it."""
        ...

    async def close(self) -> None:
        """Close the connection pool."""
        ...


class AsyncClient(ClientBase[AsyncSender]):
    """An asynchronous client for one provider account. Build it with
    `phonerouting.connect_async`; use it as an async context manager, or await
    `close`."""

    __slots__ = ()

    async def _do(self, command: WireRequest | float) -> Reply:
        if isinstance(command, WireRequest):
            return await self._http.send(command)
        await self._core.policy.async_sleep(command)
        return None

    async def _run(self, operation: Operation[_T]) -> _T:
        pump = Pump(operation)
        for command in pump:
            pump.reply = await self._do(command)
        return pump.result

    async def _iterate(self, listing: Listing) -> AsyncIterator[PhoneNumber]:
        while (batch := await self._run(next_batch(listing))) is not None:
            for number in batch:
                yield number

    def list_numbers(self) -> AsyncIterator[PhoneNumber]:
        """Every number of the account, following every page (``async for``)."""
        return self._iterate(self._core.list_numbers())

    async def get_number(self, number_id: str) -> PhoneNumber:
        """One number by the vendor's id; `NotFoundError` if there is none."""
        return await self._run(self._core.get_number(number_id))

    async def find_number(self, number: str) -> PhoneNumber:
        """One number by its E.164 number (the key that survives a vendor switch);
        `NotFoundError` if no line holds it, `DuplicateNumberError` if several do."""
        return await self._run(self._core.find_number(number))

    async def update_routing(
        self, number_id: str, update: RoutingUpdate, *, current: PhoneNumber | None = None
    ) -> PhoneNumber:
        """Apply ``update`` and return the number as the vendor reports it afterwards.

        An update with every field UNSET writes nothing and returns the current number.
        Some updates need the number as it stands before they are sent (Twilio refuses
        a URL an application overrides; Telnyx keeps the forwarding type): they read
        it first, unless ``current`` is the number as you have just read it
        (`get_number`, `find_number`), which then stands for that read.
        """
        return await self._run(self._core.update_routing(number_id, update, current))

    async def update_routing_result(
        self, number_id: str, update: RoutingUpdate, *, current: PhoneNumber | None = None
    ) -> UpdateResult:
        """As `update_routing` (``current`` too), answering also the request id the
        vendor gave the write (`UpdateResult`): what an audit trail records of it."""
        return await self._run(self._core.update_routing_result(number_id, update, current))

    async def restore_routing(
        self, number_id: str, update: RoutingUpdate, state: Mapping[str, Any]
    ) -> PhoneNumber:
        """As `update_routing`, also putting back the vendor state a migration read
        before writing (`phonerouting.core.Core.restore_routing`): for rollbacks."""
        return await self._run(self._core.restore_routing(number_id, update, state))

    async def restore_routing_result(
        self, number_id: str, update: RoutingUpdate, state: Mapping[str, Any]
    ) -> UpdateResult:
        """As `restore_routing`, answering also the vendor's request id of the write."""
        return await self._run(self._core.restore_routing_result(number_id, update, state))

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
