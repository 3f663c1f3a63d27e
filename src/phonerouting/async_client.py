"""The asynchronous driver: the same operations as `phonerouting.client`, awaited
over one ``httpx.AsyncClient``. It shares every non-I/O step with the sync driver."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from contextlib import aclosing
from types import TracebackType
from typing import Any, Self

import httpx

from phonerouting import operations
from phonerouting.adapters.base import Adapter, Request
from phonerouting.model import Capabilities, PhoneNumber, RoutingUpdate
from phonerouting.responses import error_from_response, parse_success
from phonerouting.retry import RetryPolicy

__all__ = ["AsyncClient"]

logger = logging.getLogger("phonerouting")


class AsyncClient:
    """An asynchronous client for one provider account. Build it with
    `phonerouting.connect_async`; use it as an async context manager, or await
    `close`."""

    __slots__ = ("_adapter", "_http", "_policy", "_secrets")

    def __init__(
        self,
        adapter: Adapter,
        http: httpx.AsyncClient,
        policy: RetryPolicy,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self._adapter = adapter
        self._http = http
        self._policy = policy
        self._secrets = secrets

    @property
    def provider(self) -> str:
        """The provider name, e.g. ``"close"``."""
        return self._adapter.name

    @property
    def capabilities(self) -> Capabilities:
        """Which normalized fields this provider can set and clear."""
        return self._adapter.capabilities

    def __repr__(self) -> str:
        base_url = str(self._http.base_url)
        return f"<phonerouting.AsyncClient provider={self.provider!r} base_url={base_url!r}>"

    async def _attempt(self, request: Request) -> httpx.Response:
        failure: httpx.HTTPError | None = None
        try:
            response = await self._http.request(
                request.method, request.path, params=request.params, json=request.json
            )
        except httpx.HTTPError as exc:
            failure = exc
        if failure is not None:
            # Not chained, and raised outside the except block so it is not __context__
            # either: an httpx error holds the request, whose headers hold the key.
            raise operations.transport_error(self._adapter, request, failure, self._secrets)
        if logger.isEnabledFor(logging.DEBUG):
            operations.log_exchange(self._adapter, request, response, self._secrets)
        if not 200 <= response.status_code < 300:
            raise error_from_response(
                self._adapter,
                request,
                response.status_code,
                response.headers,
                response.content,
                self._secrets,
            )
        return response

    async def _send(self, request: Request) -> httpx.Response:
        return await self._policy.acall(lambda: self._attempt(request))

    async def _parse_number(self, request: Request) -> PhoneNumber:
        response = await self._send(request)
        return parse_success(
            self._adapter,
            self._adapter.parse_number,
            request,
            response.status_code,
            response.headers,
            response.content,
            self._secrets,
        )

    async def _pages(self, request: Request | None) -> AsyncGenerator[PhoneNumber, None]:
        guard = operations.PageGuard(self._adapter)
        while request is not None:
            guard.check(request)
            response = await self._send(request)
            page = parse_success(
                self._adapter,
                functools.partial(self._adapter.parse_list, request=request),
                request,
                response.status_code,
                response.headers,
                response.content,
                self._secrets,
            )
            for number in page.numbers:
                yield number
            request = page.next_request

    def list_numbers(self) -> AsyncIterator[PhoneNumber]:
        """Every number of the account, following every page (``async for``)."""
        return self._pages(self._adapter.list_request())

    async def get_number(self, number_id: str | int) -> PhoneNumber:
        """One number by the vendor's id; `NotFoundError` if there is none."""
        number_id = operations.normalize_id(self._adapter, number_id)
        request = self._adapter.get_request(number_id)
        if request is not None:
            return await self._parse_number(request)
        async with aclosing(self._pages(self._adapter.list_request())) as numbers:
            async for number in numbers:
                if number.id == number_id:
                    return number
        raise operations.id_not_found(self._adapter, number_id)

    async def find_number(self, number: str) -> PhoneNumber:
        """One number by its E.164 number (the key that survives a vendor switch)."""
        e164 = operations.normalize_number(self._adapter, number)
        async with aclosing(self._pages(self._adapter.find_request(e164))) as numbers:
            async for found in numbers:
                if found.number == e164:
                    return found
        raise operations.number_not_found(self._adapter, e164)

    async def update_routing(self, number_id: str | int, update: RoutingUpdate) -> PhoneNumber:
        """Apply ``update`` and return the number as the vendor reports it afterwards.

        An update with every field UNSET writes nothing and returns the current number.
        """
        number_id, requests = operations.plan_update(self._adapter, number_id, update)
        return await self._apply(number_id, requests)

    async def restore_routing(
        self, number_id: str | int, update: RoutingUpdate, state: Mapping[str, Any]
    ) -> PhoneNumber:
        """As `update_routing`, putting back too the vendor state that
        `Adapter.restorable_state` read before a migration wrote the number (a Close
        number's parked ``forward_to``): how a migration rollback restores exactly."""
        number_id, _ = operations.plan_update(self._adapter, number_id, update)
        return await self._apply(
            number_id, self._adapter.restore_requests(number_id, update, state)
        )

    async def _apply(self, number_id: str, requests: list[Request]) -> PhoneNumber:
        if not requests:
            return await self.get_number(number_id)
        for request in requests[:-1]:
            await self._send(request)
        return await self._parse_number(requests[-1])

    async def close(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
