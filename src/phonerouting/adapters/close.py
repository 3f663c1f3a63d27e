"""Close CRM (``close``): call forwarding and ring groups, HTTP Basic with the API key.

Wire rules (PROVIDERS.md): every path ends with ``/``; ``GET /phone_number/`` pages with
``_skip``/``_limit`` and ``has_more``; ``PUT /phone_number/{id}/`` is a partial update.
Forwarding on is ``forward_to`` + ``forward_to_enabled: true``; off is ``forward_to: null``
+ ``forward_to_enabled: false``, and a number only reads as forwarding while
``forward_to_enabled`` is true. Clearing sends ``""`` for ``label``, ``null`` for
``voicemail_greeting_url`` and ``inbound_ring_duration``, ``[]`` for the lists, and
``false`` for ``press_1_to_accept`` (so a switch that is off reads as ``None``, like every
empty field). Errors: ``{"error": "..."}`` or, for validation,
``{"errors": [...], "field-errors": {...}}``; 429 carries ``RateLimit: ..., reset=S``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from phonerouting import inputs
from phonerouting.adapters import wire
from phonerouting.adapters.base import Adapter, ErrorInfo, Page, Request, capabilities
from phonerouting.errors import ValidationError
from phonerouting.model import PhoneNumber, RoutingUpdate, freeze_raw

__all__ = ["CloseAdapter"]

_ID = re.compile(r"phon_[A-Za-z0-9]{1,64}")
_RESET = re.compile(r"(?:^|[,;\s])reset=([0-9]+(?:\.[0-9]+)?)")
#: Close's own default and maximum page size for this endpoint.
PAGE_SIZE = 100

# Normalized field → Close field, with the value Close needs to clear it. Forwarding is
# two fields on the wire and is handled on its own.
_SIMPLE: Mapping[str, tuple[str, Any]] = {
    "label": ("label", ""),
    "voicemail_greeting_url": ("voicemail_greeting_url", None),
    "ring_duration": ("inbound_ring_duration", None),
    "participants": ("participants", []),
    "external_numbers": ("phone_numbers", []),
    "press_1_to_accept": ("press_1_to_accept", False),
}


class CloseAdapter(Adapter):
    """The ``close`` adapter."""

    name: ClassVar[str] = "close"
    default_base_url: ClassVar[str] = "https://api.close.com/api/v1"
    api_key_env: ClassVar[str] = "CLOSE_API_KEY"
    capabilities = capabilities("close", ("forwarding_number", *_SIMPLE))
    wire_fields: ClassVar[Mapping[str, str]] = {
        "forward_to": "forwarding_number",
        "forward_to_enabled": "forwarding_number",
        "inbound_ring_duration": "ring_duration",
        "phone_numbers": "external_numbers",
    }

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """HTTP Basic with the key as user name and an empty password."""
        token = base64.b64encode(f"{api_key}:".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

    def normalize_id(self, number_id: object) -> str:
        """``phon_`` followed by letters and digits."""
        if not isinstance(number_id, str) or _ID.fullmatch(number_id) is None:
            raise ValidationError(
                f"number_id {inputs.shown(number_id)} is not a Close phone number id (phon_...)",
                field="number_id",
                provider=self.name,
            )
        return number_id

    def list_request(self) -> Request:
        """The first page of ``GET /phone_number/``."""
        return Request("GET", "/phone_number/", params={"_skip": 0, "_limit": PAGE_SIZE})

    def find_request(self, e164: str) -> Request:
        """The list filtered by ``number`` (results are still matched exactly)."""
        return Request(
            "GET", "/phone_number/", params={"number": e164, "_skip": 0, "_limit": PAGE_SIZE}
        )

    def get_request(self, number_id: str) -> Request | None:
        """``GET /phone_number/{id}/``."""
        return Request("GET", f"/phone_number/{number_id}/")

    def parse_list(self, data: Any, request: Request) -> Page:
        """``{"data": [...], "has_more": bool}``; the next page skips what was read."""
        obj = wire.req_dict(data, "the list response")
        items = wire.req_list(obj, "data")
        has_more = obj.get("has_more")
        if not isinstance(has_more, bool):
            raise wire.ShapeError("'has_more' is missing or not a boolean")
        following = None
        if has_more:
            if not items:
                raise wire.ShapeError("'has_more' is true on an empty page")
            params = dict(request.params or {})
            skip = params.get("_skip", 0)
            params["_skip"] = (skip if isinstance(skip, int) else int(skip)) + len(items)
            following = Request(request.method, request.path, params=params)
        return Page([self._number(item) for item in items], following)

    def parse_number(self, data: Any) -> PhoneNumber:
        """A full Close PhoneNumber object."""
        return self._number(data)

    def _number(self, item: Any) -> PhoneNumber:
        obj = wire.req_dict(item, "a phone number")
        enabled = wire.opt_bool(obj, "forward_to_enabled")
        participants = wire.opt_str_list(obj, "participants")
        external = wire.opt_str_list(obj, "phone_numbers", phones=True)
        forward_to = wire.opt_phone(obj, "forward_to")
        return PhoneNumber(
            provider=self.name,
            id=wire.req_id(obj, "id", _ID),
            number=wire.req_phone(obj, "number"),
            forwarding_number=forward_to if enabled else None,
            label=wire.opt_str(obj, "label"),
            voicemail_greeting_url=wire.opt_str(obj, "voicemail_greeting_url"),
            ring_duration=wire.opt_int(obj, "inbound_ring_duration"),
            participants=participants or None,
            external_numbers=external or None,
            # Off is the switch's empty state (what clearing it sends), and an empty
            # field reads as None: True or None, never False.
            press_1_to_accept=wire.opt_bool(obj, "press_1_to_accept") or None,
            sms_enabled=wire.opt_bool(obj, "sms_enabled"),
            mms_enabled=wire.opt_bool(obj, "mms_enabled"),
            created_at=wire.opt_datetime(obj, "date_created"),
            updated_at=wire.opt_datetime(obj, "date_updated"),
            raw=freeze_raw(obj),
        )

    def update_requests(self, number_id: str, update: RoutingUpdate) -> list[Request]:
        """One partial PUT holding every change."""
        changes = self.check_supported(update)
        if not changes:
            return []
        body: dict[str, Any] = {}
        for field, value in changes.items():
            if field == "forwarding_number":
                body["forward_to"] = value
                body["forward_to_enabled"] = value is not None
                continue
            wire_name, cleared = _SIMPLE[field]
            if value is None:
                body[wire_name] = cleared
            else:
                body[wire_name] = list(value) if isinstance(value, tuple) else value
        return [Request("PUT", f"/phone_number/{number_id}/", json=body)]

    def restorable_state(self, number: PhoneNumber) -> dict[str, Any]:
        """A ``forward_to`` parked while forwarding is off (``forward_to_enabled:
        false``), which the normalized model reads as no forwarding."""
        raw = number.raw
        parked = raw.get("forward_to")
        if raw.get("forward_to_enabled") is False and isinstance(parked, str) and parked:
            return {"forward_to": parked}
        return {}

    def restore_requests(
        self, number_id: str, update: RoutingUpdate, state: Mapping[str, Any]
    ) -> list[Request]:
        """As `update_requests`, but clearing forwarding parks the ``forward_to`` the
        number had (``forward_to_enabled: false``) instead of sending ``null``."""
        requests = self.update_requests(number_id, update)
        parked = state.get("forward_to")
        if not requests or parked is None or update.forwarding_number is not None:
            return requests
        (request,) = requests
        body = dict(request.json or {})
        # The journal is a file on disk: what goes back on the wire is checked again.
        body["forward_to"] = inputs.normalize_e164(parked, "forward_to")
        body["forward_to_enabled"] = False
        return [Request(request.method, request.path, json=body)]

    def parse_error(self, status: int, data: Any) -> ErrorInfo:
        """``{"error": msg}``, or ``{"errors": [...], "field-errors": {...}}``."""
        if not isinstance(data, dict):
            return ErrorInfo()
        message = wire.error_str(data, "error")
        legacy = data.get("error")
        retry_after = None
        if message is None and isinstance(legacy, dict):
            # The older 429 body nests the message: {"error": {"message", "rate_reset"}}.
            message = wire.error_str(legacy, "message")
            retry_after = wire.error_seconds(legacy.get("rate_reset"))
        errors = data.get("errors")
        if message is None and isinstance(errors, list):
            texts = [e for e in errors if isinstance(e, str) and e]
            message = "; ".join(texts) or None
        details = wire.error_details(data.get("field-errors"))
        if message is None and details:
            message = "validation failed"
        return ErrorInfo(message=message, details=details, retry_after=retry_after)

    def retry_after_hint(self, headers: Mapping[str, str]) -> float | None:
        """The ``reset`` of Close's ``RateLimit: limit=N, remaining=N, reset=S`` header."""
        match = _RESET.search(headers.get("ratelimit", ""))
        return wire.error_seconds(float(match.group(1))) if match else None
