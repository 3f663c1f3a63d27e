"""Linq API v3 (``linq-v3``): forwarding numbers, Bearer auth, integer error codes.

Wire rules (PROVIDERS.md): list is ``GET /v3/phone_numbers`` (unpaginated, no get-one
endpoint); update is ``PUT /v3/phone_numbers/{uuid}`` whose body requires
``forwarding_number``; clearing sends ``""`` (documented; the emulator and the API accept
null too). Errors: ``{"success": false, "error": {"status", "code" (int), "message",
"doc_url", "retry_after"?}, "trace_id"}``; every response has ``X-Trace-ID``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from phonerouting import inputs
from phonerouting.adapters import wire
from phonerouting.adapters.base import Adapter, ErrorInfo, Page, Request, capabilities
from phonerouting.model import PhoneNumber, RoutingUpdate, freeze_raw

__all__ = ["LinqV3Adapter"]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)

# Linq's error codes that name a field: 1001 missing field, 1002 not E.164. The update
# endpoint has one field, so both point at it.
_FIELD_CODES = {1001: "forwarding_number", 1002: "forwarding_number"}


def _lower(text: str) -> str:
    # The decoded string itself when it is lower-case already (as Linq sends ids): a
    # listing then holds each id once, shared with raw, not twice.
    lowered = text.lower()
    return text if lowered == text else lowered


class LinqV3Adapter(Adapter):
    """The ``linq-v3`` adapter."""

    name: ClassVar[str] = "linq-v3"
    default_base_url: ClassVar[str] = "https://api.linqapp.com/api/partner"
    api_key_env: ClassVar[str] = "LINQ_API_V3_API_KEY"
    request_id_header: ClassVar[str | None] = "X-Trace-ID"
    capabilities = capabilities("linq-v3", ("forwarding_number",))

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """``Authorization: Bearer <key>``."""
        return {"Authorization": f"Bearer {api_key}"}

    def normalize_id(self, number_id: object) -> str:
        """A UUID, lower-cased."""
        return inputs.normalize_uuid(number_id, "number_id")

    def list_request(self) -> Request:
        """``GET /v3/phone_numbers`` returns every number at once."""
        return Request("GET", "/v3/phone_numbers")

    def parse_list(self, data: Any, request: Request) -> Page:
        """``{"phone_numbers": [...]}``; never a next page."""
        items = wire.req_list(wire.req_dict(data, "the list response"), "phone_numbers")
        return Page([self._number(item) for item in items])

    def parse_number(self, data: Any) -> PhoneNumber:
        """The update response ``{id, phone_number, forwarding_number}``."""
        return self._number(data)

    def _number(self, item: Any) -> PhoneNumber:
        obj = wire.req_dict(item, "a phone number")
        return PhoneNumber(
            provider=self.name,
            # Lower-cased like normalize_id(), so a get-by-id always finds it.
            id=_lower(wire.req_id(obj, "id", _UUID)),
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
                f"/v3/phone_numbers/{number_id}",
                json={"forwarding_number": "" if value is None else value},
            )
        ]

    def parse_error(self, status: int, data: Any) -> ErrorInfo:
        """The ``error`` object; ``trace_id`` sits beside it at the top level."""
        if not isinstance(data, dict):
            return ErrorInfo()
        error = data.get("error")
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        return ErrorInfo(
            code=code,
            message=wire.error_str(error, "message"),
            request_id=wire.error_str(data, "trace_id"),
            doc_url=wire.error_str(error, "doc_url"),
            retry_after=wire.error_seconds(error.get("retry_after")),
            field=_FIELD_CODES.get(code) if code is not None else None,
        )
