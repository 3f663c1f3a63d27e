"""AgentMessage (``agentmessage``): PATCH-style messaging routing, Bearer auth with scopes.

Wire rules (PROVIDERS.md): ``GET /v1/phone-numbers`` is cursor-paginated
(``meta.next_cursor``), ``GET /v1/phone-numbers/{uuid}`` gets one, ``PATCH`` updates
``inbound_url``, ``status_url``, ``label``, ``campaign_id`` only. Omitted (or null) is
left unchanged, ``""`` clears the three string fields, and the campaign is cleared with
``DELETE /v1/phone-numbers/{id}/campaign`` (``campaign_id: ""`` is a 422). Every
response is the ``{"success", "data", "meta", "error"}`` envelope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from phonerouting import inputs
from phonerouting.adapters import wire
from phonerouting.adapters.base import Adapter, ErrorInfo, Page, Request, capabilities
from phonerouting.model import PhoneNumber, RoutingUpdate, freeze_raw

__all__ = ["AgentMessageAdapter"]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# An opaque cursor, but one that must fit in a query string.
_CURSOR = re.compile(r"[\x20-\x7e]{1,2048}")
#: The largest page the vendor serves: fewer round trips for a full listing.
PAGE_SIZE = 100
_PATCH_FIELDS = ("inbound_url", "status_url", "label", "campaign_id")


class AgentMessageAdapter(Adapter):
    """The ``agentmessage`` adapter."""

    name: ClassVar[str] = "agentmessage"
    default_base_url: ClassVar[str] = "https://api.agentmsg.io"
    api_key_env: ClassVar[str] = "AGENTMESSAGE_API_KEY"
    request_id_header: ClassVar[str | None] = "X-Request-Id"
    capabilities = capabilities("agentmessage", _PATCH_FIELDS)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """``Authorization: Bearer am_live_...``."""
        return {"Authorization": f"Bearer {api_key}"}

    def normalize_id(self, number_id: object) -> str:
        """A UUID, lower-cased."""
        return inputs.normalize_uuid(number_id, "number_id")

    def list_request(self) -> Request:
        """The first page, as large as the vendor allows."""
        return Request("GET", "/v1/phone-numbers", params={"limit": PAGE_SIZE})

    def get_request(self, number_id: str) -> Request | None:
        """``GET /v1/phone-numbers/{id}``."""
        return Request("GET", f"/v1/phone-numbers/{number_id}")

    def parse_list(self, data: Any, request: Request) -> Page:
        """``data`` is the page; ``meta.next_cursor`` (null on the last page) the next."""
        envelope = self._envelope(data)
        items = wire.req_list(envelope, "data")
        # A page without meta.next_cursor is not taken as the last page: stopping there
        # would silently drop the rest of the listing.
        meta = wire.req_dict(envelope.get("meta"), "'meta'")
        if "next_cursor" not in meta:
            raise wire.ShapeError("'meta.next_cursor' is missing")
        cursor = meta["next_cursor"]
        if cursor is not None and (not isinstance(cursor, str) or not _CURSOR.fullmatch(cursor)):
            # The cursor goes back into a URL: one that is huge or not printable ASCII
            # would make building the next request fail outside our error types.
            raise wire.ShapeError("'meta.next_cursor' is not a printable cursor or null")
        following = None
        if cursor is not None:
            following = Request(
                "GET", "/v1/phone-numbers", params={"limit": PAGE_SIZE, "cursor": cursor}
            )
        return Page([self._number(item) for item in items], following)

    def parse_number(self, data: Any) -> PhoneNumber:
        """The envelope's ``data`` object."""
        return self._number(self._envelope(data).get("data"))

    @staticmethod
    def _envelope(data: Any) -> Mapping[str, Any]:
        envelope = wire.req_dict(data, "the response envelope")
        if envelope.get("success") is not True:
            raise wire.ShapeError("'success' is not true in a success response")
        return envelope

    def _number(self, item: Any) -> PhoneNumber:
        obj = wire.req_dict(item, "a phone number")
        campaign = wire.opt_str(obj, "campaign_id")
        return PhoneNumber(
            provider=self.name,
            # Lower-cased like normalize_id(), so a get-by-id always finds it.
            id=wire.req_id(obj, "id", _UUID).lower(),
            number=wire.req_phone(obj, "number"),
            inbound_url=wire.opt_str(obj, "inbound_url"),
            status_url=wire.opt_str(obj, "status_url"),
            label=wire.opt_str(obj, "label"),
            campaign_id=campaign,
            sms_enabled=wire.opt_bool(obj, "sms_enabled"),
            mms_enabled=wire.opt_bool(obj, "mms_enabled"),
            created_at=wire.opt_datetime(obj, "created_at"),
            updated_at=wire.opt_datetime(obj, "updated_at"),
            raw=freeze_raw(obj),
        )

    def update_requests(self, number_id: str, update: RoutingUpdate) -> list[Request]:
        """A PATCH of what changes, then the campaign detach when the campaign is cleared.

        The detach comes last because it answers with the number, so the result shows
        both writes.
        """
        changes = self.check_supported(update)
        body = {
            field: "" if value is None else value
            for field, value in changes.items()
            if not (field == "campaign_id" and value is None)
        }
        path = f"/v1/phone-numbers/{number_id}"
        requests = [Request("PATCH", path, json=body)] if body else []
        if "campaign_id" in changes and changes["campaign_id"] is None:
            requests.append(Request("DELETE", f"{path}/campaign"))
        return requests

    def parse_error(self, status: int, data: Any) -> ErrorInfo:
        """The envelope's ``error`` object: code, message, request_id, details."""
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            return ErrorInfo()
        return ErrorInfo(
            code=wire.error_str(error, "code"),
            message=wire.error_str(error, "message"),
            request_id=wire.error_str(error, "request_id"),
            details=wire.error_details(error.get("details")),
        )
