"""The synchronous driver: sends what the adapter builds over one ``httpx.Client``.

Everything vendor-specific is in the adapter and everything about reading responses in
`phonerouting.responses`; this module only does I/O, retries and paging.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from types import TracebackType
from typing import Self

import httpx

from phonerouting import operations
from phonerouting.adapters.base import Adapter, Request
from phonerouting.model import Capabilities, PhoneNumber, RoutingUpdate
from phonerouting.responses import error_from_response, parse_success
from phonerouting.retry import RetryPolicy

__all__ = ["Client"]

logger = logging.getLogger("phonerouting")


class Client:
    """A synchronous client for one provider account. Build it with `phonerouting.connect`.

    Thread-safe as ``httpx.Client`` is; one connection pool per client. Use it as a
    context manager, or call `close`.
    """

    __slots__ = ("_adapter", "_http", "_policy", "_secrets")

    def __init__(
        self,
        adapter: Adapter,
        http: httpx.Client,
        policy: RetryPolicy,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self._adapter = adapter
        self._http = http
        self._policy = policy
        self._secrets = secrets

    @property
    def provider(self) -> str:
        """The provider name, e.g. ``"linq-v3"``."""
        return self._adapter.name

    @property
    def capabilities(self) -> Capabilities:
        """Which normalized fields this provider can set and clear."""
        return self._adapter.capabilities

    def __repr__(self) -> str:
        base_url = str(self._http.base_url)
        return f"<phonerouting.Client provider={self.provider!r} base_url={base_url!r}>"

    def _attempt(self, request: Request) -> httpx.Response:
        failure: httpx.HTTPError | None = None
        try:
            response = self._http.request(
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

    def _send(self, request: Request) -> httpx.Response:
        return self._policy.call(lambda: self._attempt(request))

    def _parse_number(self, request: Request) -> PhoneNumber:
        response = self._send(request)
        return parse_success(
            self._adapter,
            self._adapter.parse_number,
            request,
            response.status_code,
            response.headers,
            response.content,
            self._secrets,
        )

    def _pages(self, request: Request | None) -> Iterator[PhoneNumber]:
        guard = operations.PageGuard(self._adapter)
        while request is not None:
            guard.check(request)
            response = self._send(request)
            page = parse_success(
                self._adapter,
                functools.partial(self._adapter.parse_list, request=request),
                request,
                response.status_code,
                response.headers,
                response.content,
                self._secrets,
            )
            yield from page.numbers
            request = page.next_request

    def list_numbers(self) -> Iterator[PhoneNumber]:
        """Every number of the account, following every page."""
        return self._pages(self._adapter.list_request())

    def get_number(self, number_id: str | int) -> PhoneNumber:
        """One number by the vendor's id; `NotFoundError` if there is none."""
        number_id = operations.normalize_id(self._adapter, number_id)
        request = self._adapter.get_request(number_id)
        if request is not None:
            return self._parse_number(request)
        for number in self._pages(self._adapter.list_request()):
            if number.id == number_id:
                return number
        raise operations.id_not_found(self._adapter, number_id)

    def find_number(self, number: str) -> PhoneNumber:
        """One number by its E.164 number (the key that survives a vendor switch)."""
        e164 = operations.normalize_number(self._adapter, number)
        for found in self._pages(self._adapter.find_request(e164)):
            if found.number == e164:
                return found
        raise operations.number_not_found(self._adapter, e164)

    def update_routing(self, number_id: str | int, update: RoutingUpdate) -> PhoneNumber:
        """Apply ``update`` and return the number as the vendor reports it afterwards.

        An update with every field UNSET writes nothing and returns the current number.
        """
        number_id, requests = operations.plan_update(self._adapter, number_id, update)
        if not requests:
            return self.get_number(number_id)
        for request in requests[:-1]:
            self._send(request)
        return self._parse_number(requests[-1])

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
