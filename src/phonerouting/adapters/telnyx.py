"""Telnyx (``telnyx``): call forwarding, voice connection, messaging profile and tags,
``Authorization: Bearer`` with the API v2 key.

Wire rules (providers/telnyx/README.md): a number lives at three resources.
``/phone_numbers/{id}`` holds ``connection_id``, ``tags`` and ``messaging_profile_id``;
``/phone_numbers/{id}/voice`` holds ``call_forwarding``; ``/phone_numbers/{id}/messaging``
assigns the messaging profile. Listings page with ``page[number]``/``page[size]`` (at
most 250) to ``meta.total_pages``, and the voice settings are listed the same way
(``GET /phone_numbers/voice``) beside the numbers, never read one number at a time. An
update sends one ``PATCH`` per resource it touches; the answers together are the number
afterwards. Telnyx answers the string ``UNAVAILABLE`` for messaging fields it could not
load: that is read as a failure to retry (a `ServerError` naming the number), never as
a value nor as empty. Errors are ``{"errors": [{code, title, detail, source: {pointer},
meta: {url}}]}``; 429 (``10011``) says when to come back in ``x-ratelimit-reset``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs

from phonerouting import inputs
from phonerouting.adapters import wire
from phonerouting.adapters.base import (
    Adapter,
    Credential,
    ErrorInfo,
    Page,
    Request,
    capabilities,
)
from phonerouting.errors import ServerError, ValidationError
from phonerouting.model import PhoneNumber, RoutingUpdate, extend_raw, freeze_raw

__all__ = ["PAGE_SIZE", "UNAVAILABLE", "TelnyxAdapter"]

#: Telnyx's largest page (``page[size]`` maximum 250).
PAGE_SIZE: Final = 250
#: What Telnyx answers for a messaging field it could not load.
UNAVAILABLE: Final = "UNAVAILABLE"
#: Telnyx ids are numeric strings (``1293384261075731499``); 64-bit at most.
_ID = re.compile(r"[0-9]{1,20}")
#: The forwarding types Telnyx knows; a number that has none forwards ``always``.
_FORWARDING_TYPES: Final = ("always", "on-failure")
_DEFAULT_FORWARDING_TYPE: Final = "always"
#: The JSON pointers of Telnyx's errors → the normalized field at fault.
_POINTERS: Final[Mapping[str, str]] = {
    "/call_forwarding/forwards_to": "forwarding_number",
    "/call_forwarding": "forwarding_number",
    "/connection_id": "connection_id",
    "/tags": "tags",
    "/messaging_profile_id": "messaging_profile_id",
}


def _digits(e164: str) -> str:
    # "Non-numerical characters will result in no values being returned": the filter
    # takes the number's digits only.
    return e164.lstrip("+")


def _page_params(request: Request) -> dict[str, str | int]:
    return dict(request.params or {})


class TelnyxAdapter(Adapter):
    """The ``telnyx`` adapter."""

    name: ClassVar[str] = "telnyx"
    default_base_url: ClassVar[str] = "https://api.telnyx.com/v2"
    api_key_env: ClassVar[str] = "TELNYX_API_KEY"
    credentials: ClassVar[tuple[Credential, ...]] = (
        Credential("api_key", "TELNYX_API_KEY", label="API key"),
    )
    # Not named by Telnyx's spec; the emulator and the adapter use this one (README).
    request_id_header: ClassVar[str | None] = "x-request-id"
    capabilities = capabilities(
        "telnyx", ("forwarding_number", "connection_id", "messaging_profile_id", "tags")
    )
    wire_fields: ClassVar[Mapping[str, str]] = {
        **_POINTERS,
        "forwards_to": "forwarding_number",
        "call_forwarding": "forwarding_number",
    }
    parts: ClassVar[tuple[str, ...]] = ("voice",)

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """``Authorization: Bearer <API key>``."""
        return {"Authorization": f"Bearer {api_key}"}

    def normalize_id(self, number_id: object) -> str:
        """Digits: Telnyx ids are numeric strings."""
        if not isinstance(number_id, str) or _ID.fullmatch(number_id) is None:
            raise ValidationError(
                f"number_id {inputs.shown(number_id)} is not a Telnyx phone number id "
                "(digits, e.g. '1293384261075731499')",
                field="number_id",
                provider=self.name,
            )
        return number_id

    # ------------------------------------------------------------ reading

    def list_request(self) -> Request:
        """The first page of ``GET /phone_numbers``."""
        return Request("GET", "/phone_numbers", params={"page[number]": 1, "page[size]": PAGE_SIZE})

    def find_request(self, e164: str) -> Request:
        """The list filtered by ``filter[phone_number]`` (digits; matched exactly
        afterwards, since Telnyx's filter may match part of a number)."""
        params = {"filter[phone_number]": _digits(e164), **_page_params(self.list_request())}
        return Request("GET", "/phone_numbers", params=params)

    def get_request(self, number_id: str) -> Request | None:
        """``GET /phone_numbers/{id}`` (its voice settings are the part ``voice``)."""
        return Request("GET", f"/phone_numbers/{number_id}")

    def part_request(self, number_id: str, part: str) -> Request:
        """``GET /phone_numbers/{id}/voice``."""
        return Request("GET", f"/phone_numbers/{number_id}/voice")

    def part_listing(self, listing: Request, part: str) -> Request | None:
        """``GET /phone_numbers/voice`` from its first page, with the listing's filter."""
        params = _page_params(listing)
        params["page[number]"] = 1
        return Request("GET", "/phone_numbers/voice", params=params)

    def _next(self, obj: Mapping[str, Any], request: Request) -> Request | None:
        meta = wire.req_dict(obj.get("meta"), "'meta'")
        total = meta.get("total_pages")
        if isinstance(total, bool) or not isinstance(total, int) or total < 0:
            raise wire.ShapeError("'meta.total_pages' is missing or not a whole number")
        params = _page_params(request)
        current = params.get("page[number]", 1)
        page = current if isinstance(current, int) else int(current)
        answered = meta.get("page_number")
        asked = "page[number]" in params  # every listing asks for its page by number
        if (
            asked
            and isinstance(answered, int)
            and not isinstance(answered, bool)
            and answered != page
        ):
            # A vendor answering another page than the one asked for (the same one
            # again, say) would have the listing ask for pages to no end.
            raise wire.ShapeError(f"'meta.page_number' is {answered}, for page {page}")
        if page >= total:
            return None
        params["page[number]"] = page + 1
        return Request(request.method, request.path, params=params)

    def parse_list(self, data: Any, request: Request) -> Page:
        """``{"data": [...], "meta": {"total_pages", ...}}``; the next page while
        ``page[number]`` is below ``meta.total_pages``."""
        obj = wire.req_dict(data, "the list response")
        items = wire.req_list(obj, "data")
        following = self._next(obj, request)
        if following is not None and not items:
            raise wire.ShapeError("'meta.total_pages' promises more pages after an empty one")
        return Page([self._number(item) for item in items], following)

    def parse_number(self, data: Any) -> PhoneNumber:
        """``{"data": PhoneNumberDetailed}``, its forwarding not yet known (``voice``)."""
        return self._number(wire.req_dict(data, "the response").get("data"))

    def _number(self, item: Any) -> PhoneNumber:
        obj = wire.req_dict(item, "a phone number")
        number_id = wire.req_id(obj, "id", _ID)
        return PhoneNumber(
            provider=self.name,
            id=number_id,
            number=wire.req_phone(obj, "phone_number"),
            connection_id=wire.opt_str(obj, "connection_id"),
            messaging_profile_id=self._profile(obj, number_id),
            tags=wire.opt_str_list(obj, "tags") or None,
            created_at=wire.opt_datetime(obj, "created_at"),
            updated_at=wire.opt_datetime(obj, "updated_at"),
            raw=freeze_raw(obj),
        )

    def _profile(self, obj: Mapping[str, Any], number_id: str) -> str | None:
        value = wire.opt_str(obj, "messaging_profile_id")
        if value == UNAVAILABLE:
            # Neither a profile nor none: reading it as either would let a migration
            # plan a change from nothing. The read is retried like a 5xx.
            phone = obj.get("phone_number")
            shown = f"{phone} ({number_id})" if isinstance(phone, str) else number_id
            raise ServerError(
                f"Telnyx could not load the messaging settings of {shown} "
                "(it answered messaging_profile_id UNAVAILABLE)",
                provider=self.name,
                hint="Telnyx failed to load part of the number; try again later.",
            )
        return value

    def parse_part(self, data: Any, part: str) -> Any:
        """The voice settings (``{"data": {"call_forwarding": ...}}``) as
        ``{"call_forwarding": {...}}``, or the messaging settings' profile id as
        ``{"messaging_profile_id": ...}``."""
        obj = wire.req_dict(wire.req_dict(data, "the response").get("data"), "'data'")
        if part == "messaging":
            number_id = wire.req_id(obj, "id", _ID)
            return {"messaging_profile_id": self._profile(obj, number_id)}
        return self._voice(obj)

    def _voice(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        forwarding = obj.get("call_forwarding")
        if forwarding is None:
            return {"call_forwarding": {}}
        settings = wire.req_dict(forwarding, "'call_forwarding'")
        # Checked now, so complete() can trust what it folds in.
        wire.opt_bool(settings, "call_forwarding_enabled")
        wire.opt_str(settings, "forwards_to")
        wire.opt_str(settings, "forwarding_type")
        return {"call_forwarding": dict(settings)}

    def parse_part_page(
        self, data: Any, request: Request, part: str
    ) -> tuple[dict[str, Any], Request | None]:
        """One page of ``GET /phone_numbers/voice``: number id → its voice settings."""
        obj = wire.req_dict(data, "the voice settings list")
        items = wire.req_list(obj, "data")
        found = {}
        for item in items:
            settings = wire.req_dict(item, "voice settings")
            found[wire.req_id(settings, "id", _ID)] = self._voice(settings)
        following = self._next(obj, request)
        if following is not None and not items:
            raise wire.ShapeError("'meta.total_pages' promises more pages after an empty one")
        return found, following

    def complete(self, number: PhoneNumber, parts: Mapping[str, Any]) -> PhoneNumber:
        """Forwarding from the voice settings: a number forwards only while
        ``call_forwarding_enabled`` is true and ``forwards_to`` is set (``""`` and
        null both read as not set). A messaging answer gives the profile."""
        voice = parts.get("voice", {}).get("call_forwarding", {})
        forwards_to = wire.opt_phone(voice, "forwards_to")
        enabled = voice.get("call_forwarding_enabled") is True
        extra: dict[str, Any] = {"call_forwarding": voice}
        fields: dict[str, Any] = {}
        if "messaging" in parts:
            fields["messaging_profile_id"] = parts["messaging"]["messaging_profile_id"]
            extra["messaging_profile_id"] = fields["messaging_profile_id"]
        return attrs.evolve(
            number,
            forwarding_number=forwards_to if enabled else None,
            raw=extend_raw(number.raw, extra),
            **fields,
        )

    # ------------------------------------------------------------ writing

    def update_requests(self, number_id: str, update: RoutingUpdate) -> list[Request]:
        """One ``PATCH`` per resource the update touches; setting forwarding without
        the number read forwards ``always`` (`update_requests_for` keeps its type)."""
        return self._requests(number_id, update, _DEFAULT_FORWARDING_TYPE)

    def reads_before_update(self, update: RoutingUpdate) -> bool:
        """Setting forwarding keeps the number's forwarding type: it is read first."""
        return isinstance(update.forwarding_number, str)

    def update_requests_for(self, number: PhoneNumber, update: RoutingUpdate) -> list[Request]:
        """As `update_requests`, keeping ``number``'s ``forwarding_type`` (``always``
        when it has none)."""
        return self._requests(number.id, update, self.forwarding_type(number))

    @staticmethod
    def forwarding_type(number: PhoneNumber) -> str:
        """The forwarding type ``number`` has (read with its voice settings), or
        ``always`` when it has none Telnyx knows."""
        voice = number.raw.get("call_forwarding")
        kind = voice.get("forwarding_type") if isinstance(voice, Mapping) else None
        return kind if kind in _FORWARDING_TYPES else _DEFAULT_FORWARDING_TYPE

    def _requests(self, number_id: str, update: RoutingUpdate, kind: str) -> list[Request]:
        changes = self.check_supported(update)
        requests: list[Request] = []
        # The number's own PATCH goes last: its answer is then the latest state of
        # everything it holds (the profile, the update time) after the others.
        if "forwarding_number" in changes:
            target = changes["forwarding_number"]
            forwarding: dict[str, Any] = (
                {"call_forwarding_enabled": True, "forwards_to": target, "forwarding_type": kind}
                if target is not None
                # Off twice over: disabled, and no number to forward to (README).
                else {"call_forwarding_enabled": False, "forwards_to": ""}
            )
            requests.append(
                Request(
                    "PATCH",
                    f"/phone_numbers/{number_id}/voice",
                    json={"call_forwarding": forwarding},
                    part="voice",
                )
            )
        if "messaging_profile_id" in changes:
            # "" unassigns; null (or leaving it out) would keep the current profile.
            profile = changes["messaging_profile_id"] or ""
            requests.append(
                Request(
                    "PATCH",
                    f"/phone_numbers/{number_id}/messaging",
                    json={"messaging_profile_id": profile},
                    part="messaging",
                )
            )
        core: dict[str, Any] = {}
        if "connection_id" in changes:
            # Cleared with "" (the SDK types it as a string, never null; see README).
            core["connection_id"] = changes["connection_id"] or ""
        if "tags" in changes:
            core["tags"] = list(changes["tags"] or ())
        if core:
            requests.append(Request("PATCH", f"/phone_numbers/{number_id}", json=core))
        return requests

    def restorable_state(self, number: PhoneNumber) -> dict[str, Any]:
        """The number's forwarding type, so a rollback that puts forwarding back puts
        back ``on-failure`` too."""
        kind = self.forwarding_type(number)
        return {} if kind == _DEFAULT_FORWARDING_TYPE else {"forwarding_type": kind}

    def restore_requests(
        self, number_id: str, update: RoutingUpdate, state: Mapping[str, Any]
    ) -> list[Request]:
        """As `update_requests`, forwarding with the type ``state`` kept."""
        kind = state.get("forwarding_type")
        # The journal is a file on disk: what goes back on the wire is checked again.
        return self._requests(
            number_id, update, kind if kind in _FORWARDING_TYPES else _DEFAULT_FORWARDING_TYPE
        )

    # ------------------------------------------------------------ errors

    def parse_error(self, status: int, data: Any) -> ErrorInfo:
        """The first of ``errors[]`` gives code (a string), message and doc URL;
        every error's ``source.pointer`` gives a detail."""
        errors = data.get("errors") if isinstance(data, dict) else None
        if not isinstance(errors, list):
            return ErrorInfo()
        items = [e for e in errors if isinstance(e, dict)]
        if not items:
            return ErrorInfo()
        first = items[0]
        code = first.get("code")
        meta = first.get("meta")
        details: dict[str, str] = {}
        for item in items:
            source = item.get("source")
            pointer = wire.error_str(source, "pointer") if isinstance(source, dict) else None
            text = wire.error_str(item, "detail") or wire.error_str(item, "title")
            if pointer is not None and text is not None:
                details.setdefault(pointer, text)
        first_source = first.get("source")
        pointer = (
            wire.error_str(first_source, "pointer") if isinstance(first_source, dict) else None
        )
        return ErrorInfo(
            code=code if isinstance(code, str) and code else None,
            message=wire.error_str(first, "detail") or wire.error_str(first, "title"),
            doc_url=wire.error_str(meta, "url") if isinstance(meta, dict) else None,
            details=details or None,
            field=pointer,
        )

    def retry_after_hint(self, headers: Mapping[str, str]) -> float | None:
        """``x-ratelimit-reset`` (seconds until the window resets), once the window is
        spent (``x-ratelimit-remaining: 0``): every response carries the header, and
        only then is it a wait."""
        if headers.get("x-ratelimit-remaining", "").strip() != "0":
            return None
        try:
            reset = float(headers.get("x-ratelimit-reset", ""))
        except ValueError:
            return None
        return wire.error_seconds(reset)
