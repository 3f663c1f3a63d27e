"""Linq Partner API v2 (``linq-v2``, legacy): forwarding numbers, token header auth.

Wire rules (PROVIDERS.md): list is ``GET /api/partner/v2/phone_numbers`` (unpaginated,
no get-one endpoint); update is ``PUT /api/partner/v2/phone_numbers/{id}`` with an
integer id and body ``{"forwarding_number": ...}``; clearing sends ``""`` as documented.
Errors: ``{"errors": [{"status", "code" (str), "title", "detail"}]}``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from phonerouting import inputs
from phonerouting.adapters import wire
from phonerouting.adapters.base import Adapter, ErrorInfo, Page, Request, capabilities
from phonerouting.errors import ValidationError
from phonerouting.model import PhoneNumber, RoutingUpdate, freeze_raw

__all__ = ["LinqV2Adapter"]

# Linq's integer ids. The digit count bounds the regex's work; _MAX_ID bounds the value
# to a signed 64-bit integer, the widest id a JSON API can hand out safely.
_ID = re.compile(r"[0-9]{1,19}")
_MAX_ID = 2**63 - 1


class LinqV2Adapter(Adapter):
    """The ``linq-v2`` adapter."""

    name: ClassVar[str] = "linq-v2"
    default_base_url: ClassVar[str] = "https://api.linqapp.com"
    api_key_env: ClassVar[str] = "LINQ_INTEGRATION_TOKEN"
    capabilities = capabilities("linq-v2", ("forwarding_number",))

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """``X-LINQ-INTEGRATION-TOKEN: <token>``."""
        return {"X-LINQ-INTEGRATION-TOKEN": api_key}

    def normalize_id(self, number_id: object) -> str:
        """An integer id, as a string of digits (ids are strings on every provider)."""
        text: str | None = None
        if isinstance(number_id, str) and _ID.fullmatch(number_id):
            text = number_id if int(number_id) <= _MAX_ID else None
        if text is None:
            raise ValidationError(
                f"number_id {inputs.shown(number_id)} is not a linq-v2 id (a whole number)",
                field="number_id",
                provider=self.name,
            )
        # "007" and "7" are the same number; the canonical form is what matches listings.
        return str(int(text))

    def list_request(self) -> Request:
        """``GET /api/partner/v2/phone_numbers`` returns every number at once."""
        return Request("GET", "/api/partner/v2/phone_numbers")

    def parse_list(self, data: Any, request: Request) -> Page:
        """``{"phone_numbers": [...]}``; never a next page."""
        items = wire.req_list(wire.req_dict(data, "the list response"), "phone_numbers")
        return Page([self._number(item) for item in items])

    def parse_number(self, data: Any) -> PhoneNumber:
        """The update response: the full PhoneNumber."""
        return self._number(data)

    def _number(self, item: Any) -> PhoneNumber:
        obj = wire.req_dict(item, "a phone number")
        return PhoneNumber(
            provider=self.name,
            # The canonical form normalize_id() gives, so a get-by-id always finds it.
            id=str(int(wire.req_id(obj, "id", _ID))),
            number=wire.req_phone(obj, "phone_number"),
            forwarding_number=wire.opt_phone(obj, "forwarding_number"),
            raw=freeze_raw(obj),
        )

    def update_requests(self, number_id: str, update: RoutingUpdate) -> list[Request]:
        """One PUT; clearing sends ``""`` as Linq documents."""
        changes = self.check_supported(update)
        if not changes:
            return []
        value = changes["forwarding_number"]
        return [
            Request(
                "PUT",
                f"/api/partner/v2/phone_numbers/{number_id}",
                json={"forwarding_number": "" if value is None else value},
            )
        ]

    def parse_error(self, status: int, data: Any) -> ErrorInfo:
        """The first entry of ``errors``; its title and detail make the message."""
        errors = data.get("errors") if isinstance(data, dict) else None
        first = errors[0] if isinstance(errors, list) and errors else None
        if not isinstance(first, dict):
            return ErrorInfo()
        title = wire.error_str(first, "title")
        detail = wire.error_str(first, "detail")
        message = ": ".join(part for part in (title, detail) if part) or None
        # The only documented validation error is an invalid forwarding number (422),
        # and it is the only field this endpoint takes.
        return ErrorInfo(
            code=wire.error_str(first, "code"),
            message=message,
            field="forwarding_number" if status in (400, 422) else None,
        )
