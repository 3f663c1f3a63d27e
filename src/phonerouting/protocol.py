"""The provider-neutral interfaces every client satisfies, whatever the vendor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from phonerouting.model import Capabilities, PhoneNumber, RoutingUpdate

__all__ = ["AsyncPhoneNumberRouting", "PhoneNumberRouting"]


@runtime_checkable
class PhoneNumberRouting(Protocol):
    """Manage the routing of one account's phone numbers, synchronously."""

    @property
    def provider(self) -> str:
        """The provider name."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """Which normalized fields this provider can set and clear."""
        ...

    def list_numbers(self) -> Iterator[PhoneNumber]:
        """Every number of the account, following every page."""
        ...

    def get_number(self, number_id: str) -> PhoneNumber:
        """One number by the vendor's id."""
        ...

    def find_number(self, number: str) -> PhoneNumber:
        """One number by E.164 number."""
        ...

    def update_routing(self, number_id: str, update: RoutingUpdate) -> PhoneNumber:
        """Apply an update; return the number afterwards."""
        ...

    def close(self) -> None:
        """Release the connection pool."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@runtime_checkable
class AsyncPhoneNumberRouting(Protocol):
    """Manage the routing of one account's phone numbers, asynchronously."""

    @property
    def provider(self) -> str:
        """The provider name."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """Which normalized fields this provider can set and clear."""
        ...

    def list_numbers(self) -> AsyncIterator[PhoneNumber]:
        """Every number of the account, following every page."""
        ...

    async def get_number(self, number_id: str) -> PhoneNumber:
        """One number by the vendor's id."""
        ...

    async def find_number(self, number: str) -> PhoneNumber:
        """One number by E.164 number."""
        ...

    async def update_routing(self, number_id: str, update: RoutingUpdate) -> PhoneNumber:
        """Apply an update; return the number afterwards."""
        ...

    async def close(self) -> None:
        """Release the connection pool."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
