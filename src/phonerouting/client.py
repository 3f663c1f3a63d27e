"""The synchronous driver: pumps the protocol core (`phonerouting.core`) over one
HTTP sender, an ``httpx.Client``.

Everything about what to send, what an answer means and when to retry is in the core;
this module only sends requests, sleeps the waits the core asks for, and hands the
results back.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Protocol, Self, TypeVar

from phonerouting.core import ClientBase, Listing, Operation, Pump, Reply, WireRequest, next_batch
from phonerouting.model import PhoneNumber, RoutingUpdate, UpdateResult

__all__ = ["Client", "Sender"]

_T = TypeVar("_T")


class Sender(Protocol):
    """What the sync driver sends through: one connection pool."""

    def send(self, request: WireRequest) -> Reply:
        """Send one request: its response, or the failure that stopped it."""
        ...

    def close(self) -> None:
        """Close the connection pool."""
        ...


class Client(ClientBase[Sender]):
    """A synchronous client for one provider account. Build it with `phonerouting.connect`.

    Thread-safe as ``httpx.Client`` is; one connection pool per client. Use it as a
    context manager, or call `close`.
    """

    __slots__ = ()

    def _do(self, command: WireRequest | float) -> Reply:
        if isinstance(command, WireRequest):
            return self._http.send(command)
        self._core.policy.sleep(command)
        return None

    def _run(self, operation: Operation[_T]) -> _T:
        pump = Pump(operation)
        for command in pump:
            pump.reply = self._do(command)
        return pump.result

    def _iterate(self, listing: Listing) -> Iterator[PhoneNumber]:
        while (batch := self._run(next_batch(listing))) is not None:
            yield from batch

    def list_numbers(self) -> Iterator[PhoneNumber]:
        """Every number of the account, following every page."""
        return self._iterate(self._core.list_numbers())

    def get_number(self, number_id: str) -> PhoneNumber:
        """One number by the vendor's id; `NotFoundError` if there is none."""
        return self._run(self._core.get_number(number_id))

    def find_number(self, number: str) -> PhoneNumber:
        """One number by its E.164 number (the key that survives a vendor switch);
        `NotFoundError` if no line holds it, `DuplicateNumberError` if several do."""
        return self._run(self._core.find_number(number))

    def update_routing(
        self, number_id: str, update: RoutingUpdate, *, current: PhoneNumber | None = None
    ) -> PhoneNumber:
        """Apply ``update`` and return the number as the vendor reports it afterwards.

        An update with every field UNSET writes nothing and returns the current number.
        Some updates need the number as it stands before they are sent (Twilio refuses
        a URL an application overrides; Telnyx keeps the forwarding type): they read
        it first, unless ``current`` is the number as you have just read it
        (`get_number`, `find_number`), which then stands for that read.
        """
        return self._run(self._core.update_routing(number_id, update, current))

    def update_routing_result(
        self, number_id: str, update: RoutingUpdate, *, current: PhoneNumber | None = None
    ) -> UpdateResult:
        """As `update_routing` (``current`` too), answering also the request id the
        vendor gave the write (`UpdateResult`): what an audit trail records of it."""
        return self._run(self._core.update_routing_result(number_id, update, current))

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
