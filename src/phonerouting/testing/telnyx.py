"""Emulator of Telnyx's phone numbers (``telnyx``).

``Authorization: Bearer <key>``; base path ``/v2``. One record per number is served at
three resources that share it: ``/phone_numbers/{id}`` (``connection_id``, ``tags``,
``messaging_profile_id``; ``PATCH`` of ``connection_id``, ``tags``,
``customer_reference``), ``/phone_numbers/{id}/voice`` (``call_forwarding``; ``PATCH``)
and ``/phone_numbers/{id}/messaging`` (``PATCH`` of ``messaging_profile_id``: omitted
or null keeps it, ``""`` unassigns). ``GET /phone_numbers`` and ``GET
/phone_numbers/voice`` page with ``page[number]``/``page[size]`` (at most 250) and
``meta.total_pages``; ``filter[phone_number]`` takes digits and matches any part of the
number (what Telnyx does is not documented: a partial match is the harder case for a
client). Errors are ``{"errors": [{code, title, detail, source, meta}]}`` with string
codes; 429 (``10011``) carries the ``x-ratelimit-*`` headers and no ``Retry-After``.
`unavailable` makes messaging fields read ``UNAVAILABLE``, as Telnyx answers when it
cannot load them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, cast

import attrs

from phonerouting.model import RoutingUpdate
from phonerouting.testing.core import Emulator
from phonerouting.testing.profile import (
    ContractCase,
    Held,
    ProviderProfile,
    RawWrite,
    Seeded,
    field_write,
)
from phonerouting.testing.seeding import e164_numbers, rng, uuid_from
from phonerouting.testing.wire import (
    EmuRequest,
    EmuResponse,
    is_uuid,
    is_valid_e164,
    json_response,
    now_iso,
    whole_seconds,
)

__all__ = ["TelnyxEmulator", "TelnyxNumber"]

_ITEM = re.compile(r"/phone_numbers/([0-9]+)(/voice|/messaging)?")
_DOCS = "https://developers.telnyx.com/docs/overview/errors/"
#: Telnyx's code and title for each status this emulator answers with.
_CODES: dict[int, tuple[str, str, str]] = {
    400: ("10015", "Bad Request", "The request failed because it was not well-formed."),
    401: ("10009", "Authentication failed", "Could not understand the provided credentials."),
    403: ("10010", "Authorization failed", "You are not authorized to perform this action."),
    404: ("10005", "Resource not found", "The requested resource or URL could not be found."),
    405: ("10015", "Bad Request", "The method is not allowed on this resource."),
    422: ("10015", "Bad Request", "The request could not be processed."),
    429: (
        "10011",
        "Too many requests",
        "You have exceeded the maximum number of allowed requests.",
    ),
    500: ("10007", "Unexpected error", "An unexpected error occurred."),
    502: ("10007", "Unexpected error", "An unexpected error occurred."),
    503: ("10007", "Unexpected error", "An unexpected error occurred."),
    504: ("10008", "Request timeout", "The request timed out."),
}
_CORE_FIELDS = ("connection_id", "tags", "customer_reference")
_FORWARDING_FIELDS = ("call_forwarding_enabled", "forwarding_type", "forwards_to")
_FORWARDING_TYPES = ("always", "on-failure")
MAX_PAGE_SIZE = 250
RATE_LIMIT = 20
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def _error(code: str, title: str, detail: str, pointer: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"code": code, "title": title, "detail": detail}
    if pointer is not None:
        item["source"] = {"pointer": pointer}
    item["meta"] = {"url": _DOCS + code}
    return item


@attrs.define
class TelnyxNumber:
    """A stored Telnyx number: the core record and its voice settings."""

    id: str
    phone_number: str
    created_at: str
    updated_at: str
    connection_id: str | None = None
    messaging_profile_id: str | None = None
    tags: list[str] = attrs.Factory(list)
    customer_reference: str | None = None
    call_forwarding_enabled: bool = True
    forwards_to: str | None = None
    forwarding_type: str | None = None

    def to_wire(self, emu: TelnyxEmulator) -> dict[str, Any]:
        """The vendor's ``PhoneNumberDetailed``."""
        profile = emu.profile_field(self.messaging_profile_id)
        return {
            "id": self.id,
            "record_type": "phone_number",
            "phone_number": self.phone_number,
            "status": "active",
            "tags": list(self.tags),
            "external_pin": None,
            "connection_id": self.connection_id,
            "connection_name": emu.connections.get(self.connection_id or ""),
            "customer_reference": self.customer_reference,
            "messaging_profile_id": profile,
            "messaging_profile_name": emu.profile_field(
                emu.profiles.get(self.messaging_profile_id or "")
            ),
            "billing_group_id": None,
            "emergency_enabled": False,
            "emergency_address_id": None,
            "emergency_status": "disabled",
            "call_forwarding_enabled": self.call_forwarding_enabled,
            "cnam_listing_enabled": False,
            "caller_id_name_enabled": False,
            "call_recording_enabled": False,
            "t38_fax_gateway_enabled": False,
            "inbound_call_screening": "disabled",
            "hd_voice_enabled": False,
            "deletion_lock_enabled": False,
            "phone_number_type": "local",
            "country_iso_alpha2": "US",
            "source_type": "number_order",
            "purchased_at": self.created_at,
            "activated_at": self.created_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def voice_wire(self) -> dict[str, Any]:
        """The vendor's ``PhoneNumberWithVoiceSettings``."""
        return {
            "id": self.id,
            "record_type": "voice_settings",
            "phone_number": self.phone_number,
            "connection_id": self.connection_id,
            "customer_reference": self.customer_reference,
            "tech_prefix_enabled": False,
            "translated_number": "",
            "usage_payment_method": "pay-per-minute",
            "inbound_call_screening": "disabled",
            "call_forwarding": {
                "call_forwarding_enabled": self.call_forwarding_enabled,
                "forwards_to": self.forwards_to,
                "forwarding_type": self.forwarding_type,
            },
            "cnam_listing": {"cnam_listing_enabled": False, "cnam_listing_details": None},
            "call_recording": {
                "inbound_call_recording_enabled": False,
                "inbound_call_recording_format": "wav",
                "inbound_call_recording_channels": "single",
            },
            "media_features": {
                "rtp_auto_adjust_enabled": True,
                "accept_any_rtp_packets_enabled": False,
                "t38_fax_gateway_enabled": False,
            },
            "emergency": {
                "emergency_address_id": None,
                "emergency_enabled": False,
                "emergency_status": "disabled",
            },
        }

    def messaging_wire(self, emu: TelnyxEmulator) -> dict[str, Any]:
        """The vendor's ``PhoneNumberWithMessagingSettings``."""
        return {
            "id": self.id,
            "record_type": "messaging_settings",
            "phone_number": self.phone_number,
            "messaging_profile_id": emu.profile_field(self.messaging_profile_id),
            "messaging_product": "P2P",
            "eligible_messaging_products": ["A2P", "P2P"],
            "country_code": "US",
            "type": "longcode",
            "traffic_type": "P2P",
            "features": {"sms": None, "mms": None},
            "health": {
                "inbound_outbound_ratio": 1.0,
                "message_count": 0,
                "spam_ratio": 0.0,
                "success_ratio": 1.0,
            },
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


class TelnyxEmulator(Emulator):
    """A stateful Telnyx account: numbers, voice connections, messaging profiles."""

    provider: ClassVar[str] = "telnyx"
    base_path: ClassVar[str] = "/v2"
    key_prefix: ClassVar[str] = "KEY"

    def setup(self) -> None:
        """An empty account with two connections (one numeric id, one UUID, as both
        appear in Telnyx's examples) and two messaging profiles."""
        self.numbers: dict[str, TelnyxNumber] = {}
        self._created = 0
        self._ids = rng(self.seed, "telnyx-ids")
        #: connection id → name
        self.connections: dict[str, str] = {
            "1293384261075731499": "office-sip",
            uuid_from(self._ids): "call-control-app",
        }
        #: messaging profile id → name
        self.profiles: dict[str, str] = {
            uuid_from(self._ids): "regional-customers",
            uuid_from(self._ids): "support",
        }
        self._unavailable = 0

    def unavailable(self, count: int | None = 1) -> None:
        """The next ``count`` answers that carry messaging fields read ``UNAVAILABLE``
        for them (``None``: every answer until called with 0)."""
        with self.lock:
            self._unavailable = -1 if count is None else count

    def profile_field(self, value: str | None) -> str | None:
        """A messaging field as it goes on the wire: ``UNAVAILABLE`` while `unavailable`
        is in force, else the value."""
        return "UNAVAILABLE" if self._unavailable else value

    def _answered_messaging(self) -> None:
        if self._unavailable > 0:
            self._unavailable -= 1

    def _next_id(self) -> str:
        return str(1_293_384_261_075_700_000 + self._ids.randrange(10**12))

    def add_number(
        self,
        number: str,
        *,
        forwards_to: str | None = None,
        forwarding_type: str | None = None,
        call_forwarding_enabled: bool | None = None,
        **fields: Any,
    ) -> TelnyxNumber:
        """Add a number; returns the stored record (its ``id`` is the vendor id)."""
        with self.lock:
            self._created += 1
            stamp = (_EPOCH + timedelta(seconds=self._created)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            number_id = self._next_id()
            while number_id in self.numbers:
                number_id = self._next_id()
            record = TelnyxNumber(
                id=number_id,
                phone_number=number,
                created_at=stamp,
                updated_at=stamp,
                forwards_to=forwards_to,
                forwarding_type=forwarding_type or ("always" if forwards_to else None),
                call_forwarding_enabled=True
                if call_forwarding_enabled is None
                else call_forwarding_enabled,
                **fields,
            )
            self.numbers[record.id] = record
            return record

    def get(self, number_id: str) -> TelnyxNumber:
        """The stored record with this id."""
        return self.numbers[number_id]

    def seed_numbers(self, count: int, *, seed: int, populate: float) -> None:
        """``count`` numbers; ``populate`` of them forwarding, on a connection, with a
        messaging profile and tags."""
        r = rng(seed, "telnyx")
        targets = e164_numbers(count + 50, seed + 1)[count:]
        connections, profiles = list(self.connections), list(self.profiles)
        for i, number in enumerate(e164_numbers(count, seed)):
            if r.random() < populate:
                self.add_number(
                    number,
                    forwards_to=r.choice(targets),
                    forwarding_type=r.choice(_FORWARDING_TYPES),
                    connection_id=r.choice(connections),
                    messaging_profile_id=r.choice(profiles),
                    tags=[f"line-{i}"],
                )
            else:
                self.add_number(number)

    # ------------------------------------------------------------ protocol

    def authenticate(self, request: EmuRequest) -> EmuResponse | None:
        """``Authorization: Bearer <key>``."""
        if request.headers.get("authorization", "") != f"Bearer {self.api_key}":
            return self.error(401)
        return None

    def common_headers(self) -> dict[str, str]:
        """A request id on every answer (``x-request-id``, see providers/telnyx)."""
        return {"x-request-id": uuid_from(rng(self._created + len(self._log), "telnyx-rid"))}

    def error(self, status: int, message: str | None = None, **extra: Any) -> EmuResponse:
        """``{"errors": [...]}``; ``extra["errors"]`` gives the list itself, and a 429
        the ``x-ratelimit-*`` headers (``retry_after`` as the reset)."""
        code, title, detail = _CODES.get(status, _CODES[500])
        errors = extra.get("errors") or [_error(code, title, message or detail)]
        if status == 429 and "errors" not in extra:
            # As Telnyx's rate-limit page shows it, without the meta of other errors.
            del errors[0]["meta"]
        headers: dict[str, str] = {}
        if status == 429:
            limit = RATE_LIMIT if self.rate_limit is None else self.rate_burst
            headers = {
                "x-ratelimit-limit": str(limit),
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(whole_seconds(extra.get("retry_after"))),
            }
        return json_response(status, {"errors": errors}, headers)

    def route(self, request: EmuRequest) -> EmuResponse:
        """List numbers, list voice settings, and get/update each of the three
        resources of a number."""
        if request.path in ("/phone_numbers", "/phone_numbers/voice"):
            if request.method != "GET":
                return self.error(405)
            return self._list(request, voice=request.path.endswith("/voice"))
        match = _ITEM.fullmatch(request.path)
        record = self.numbers.get(match.group(1)) if match else None
        if match is None or record is None:
            return self.error(404)
        resource = match.group(2) or ""
        if request.method == "GET":
            return self._answer(record, resource)
        if request.method != "PATCH":
            return self.error(405)
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return self.error(400, "The request body must be a JSON object.")
        update = {"": self._update_core, "/voice": self._update_voice}.get(
            resource, self._update_messaging
        )
        refusal = update(record, body)
        if refusal is not None:
            return refusal
        record.updated_at = now_iso()
        return self._answer(record, resource)

    def _answer(self, record: TelnyxNumber, resource: str) -> EmuResponse:
        if resource == "/voice":
            return json_response(200, {"data": record.voice_wire()})
        data = record.messaging_wire(self) if resource else record.to_wire(self)
        self._answered_messaging()
        return json_response(200, {"data": data})

    def _list(self, request: EmuRequest, *, voice: bool) -> EmuResponse:
        q = request.query
        paging: dict[str, int] = {}
        for name, default, limit in (("page[number]", "1", None), ("page[size]", "20", 250)):
            text = q.get(name, default)
            value = int(text) if text.isdigit() else 0
            if value < 1 or (limit is not None and value > limit):
                return self.error(
                    400,
                    errors=[
                        {
                            "code": "10015",
                            "title": "Bad Request",
                            "detail": f"{name} must be a whole number from 1"
                            + (f" to {limit}" if limit else ""),
                            "source": {"parameter": name},
                            "meta": {"url": _DOCS + "10015"},
                        }
                    ],
                )
            paging[name] = value
        rows = list(self.numbers.values())
        wanted = q.get("filter[phone_number]")
        if wanted is not None:
            # "Non-numerical characters will result in no values being returned."
            digits = wanted if wanted.isdigit() else None
            rows = [n for n in rows if digits is not None and digits in n.phone_number]
        size, page = paging["page[size]"], paging["page[number]"]
        chosen = rows[(page - 1) * size : page * size]
        total_pages = (len(rows) + size - 1) // size
        if voice:
            data = [n.voice_wire() for n in chosen]
        else:
            data = [n.to_wire(self) for n in chosen]
            self._answered_messaging()
        meta = {
            "page_number": page,
            "page_size": size,
            "total_pages": total_pages,
            "total_results": len(rows),
        }
        return json_response(200, {"data": data, "meta": meta})

    # ------------------------------------------------------------ updates

    def _invalid(self, errors: list[dict[str, Any]]) -> EmuResponse:
        return self.error(422, errors=errors)

    def _update_core(self, record: TelnyxNumber, body: dict[str, Any]) -> EmuResponse | None:
        errors = [
            _error("10015", "Bad Request", "This field cannot be updated here.", f"/{key}")
            for key in sorted(body)
            if key not in (*_CORE_FIELDS, "address_id", "billing_group_id", "external_pin")
        ]
        connection = body.get("connection_id")
        if connection not in (None, "") and connection not in self.connections:
            errors.append(
                _error(
                    "10017",
                    "Associated resource does not exist",
                    "The connection does not exist in this account.",
                    "/connection_id",
                )
            )
        tags = body.get("tags")
        if "tags" in body and (
            not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags)
        ):
            errors.append(_error("10015", "Bad Request", "Must be a list of strings.", "/tags"))
        if errors:
            return self._invalid(errors)
        if "connection_id" in body:
            # Cleared with "" or null alike: how Telnyx clears it is not documented.
            record.connection_id = connection or None
        if "tags" in body:
            record.tags = list(tags or ())
        if "customer_reference" in body:
            record.customer_reference = body["customer_reference"] or None
        return None

    def _update_voice(self, record: TelnyxNumber, body: dict[str, Any]) -> EmuResponse | None:
        forwarding = body.get("call_forwarding")
        errors = [
            _error("10015", "Bad Request", "This field cannot be updated here.", f"/{key}")
            for key in sorted(body)
            if key != "call_forwarding"
        ]
        if forwarding is not None and not isinstance(forwarding, dict):
            errors.append(_error("10015", "Bad Request", "Must be an object.", "/call_forwarding"))
            forwarding = None
        forwarding = forwarding or {}
        errors += [
            _error("10015", "Bad Request", "Unknown field.", f"/call_forwarding/{key}")
            for key in sorted(forwarding)
            if key not in _FORWARDING_FIELDS
        ]
        target = forwarding.get("forwards_to")
        if target not in (None, "") and not is_valid_e164(target):
            errors.append(
                _error(
                    "10016",
                    "Phone number must be in +E.164 format",
                    "forwards_to must be a +E.164 phone number.",
                    "/call_forwarding/forwards_to",
                )
            )
        kind = forwarding.get("forwarding_type")
        if kind is not None and kind not in _FORWARDING_TYPES:
            errors.append(
                _error(
                    "10015",
                    "Bad Request",
                    "forwarding_type must be always or on-failure.",
                    "/call_forwarding/forwarding_type",
                )
            )
        enabled = forwarding.get("call_forwarding_enabled")
        if enabled is not None and not isinstance(enabled, bool):
            errors.append(
                _error(
                    "10015",
                    "Bad Request",
                    "Must be a boolean.",
                    "/call_forwarding/call_forwarding_enabled",
                )
            )
        if errors:
            return self._invalid(errors)
        if "forwards_to" in forwarding:
            # Kept as sent: a cleared number reads back "" (null when never set).
            record.forwards_to = target
        if kind is not None:
            record.forwarding_type = kind
        if enabled is not None:
            record.call_forwarding_enabled = enabled
        return None

    def _update_messaging(self, record: TelnyxNumber, body: dict[str, Any]) -> EmuResponse | None:
        errors = [
            _error("10015", "Bad Request", "This field cannot be updated here.", f"/{key}")
            for key in sorted(body)
            if key not in ("messaging_profile_id", "messaging_product", "tags")
        ]
        profile = body.get("messaging_profile_id")
        if profile not in (None, "") and not is_uuid(profile):
            errors.append(_error("10006", "Invalid ID", "Must be a UUID.", "/messaging_profile_id"))
        elif profile not in (None, "") and profile not in self.profiles:
            errors.append(
                _error(
                    "10017",
                    "Associated resource does not exist",
                    "The messaging profile does not exist in this account.",
                    "/messaging_profile_id",
                )
            )
        if errors:
            return self._invalid(errors)
        # "To avoid modifying a value, either omit the field or set its value to null."
        if profile == "":
            record.messaging_profile_id = None
        elif profile is not None:
            record.messaging_profile_id = profile
        return None


# ---------------------------------------------------------------- test profile

_UNKNOWN = "999999"
_OFFICE = "1293384261075731499"


def _landed(emu: TelnyxEmulator, number_id: str) -> bool:
    return emu.get(number_id).tags == ["front-desk"]


def _raw_write(emu: TelnyxEmulator) -> RawWrite:
    record = emu.add_number("+12025550142", tags=["before"])
    return field_write(emu, record, "PATCH", "tags", ["after"])


def _contract_setup(emu: TelnyxEmulator) -> Seeded:
    own = emu.add_number(
        "+19705555098",
        forwards_to="+13035559123",
        connection_id=_OFFICE,
        messaging_profile_id=next(iter(emu.profiles)),
        tags=["tag_1", "tag_2"],
    ).id
    emu.add_number("+19705555099")
    return Seeded(emu, own)


def _unknown(s: Seeded) -> str:
    return s.item_path(_UNKNOWN)


def _expected_error(body: Any) -> dict[str, object]:
    first = body["errors"][0]
    details = {
        e["source"]["pointer"]: e.get("detail", e["title"])
        for e in body["errors"]
        if "pointer" in e.get("source", {})
    }
    return {
        "code": first["code"],
        "message": first.get("detail", first["title"]),
        "details": details,
    }


def _cases() -> tuple[ContractCase, ...]:
    cases = [
        ContractCase(
            operation="list",
            status=200,
            cause="ok",
            params={"page[size]": "1"},
            sample="list.200.json",
        ),
        ContractCase(
            operation="list",
            status=200,
            cause="last-page",
            params={"page[size]": "1", "page[number]": "2"},
            sample="list.200.last_page.json",
        ),
        ContractCase(
            operation="list_voice",
            status=200,
            cause="ok",
            params={"page[size]": "1"},
            sample="list_voice.200.json",
        ),
        ContractCase(operation="get", status=200, cause="ok", sample="get.200.json"),
        ContractCase(operation="get_voice", status=200, cause="ok", sample="get_voice.200.json"),
        ContractCase(operation="update", status=200, cause="set", sample="update.200.json"),
        ContractCase(
            operation="update",
            status=200,
            cause="cleared",
            body={"connection_id": "", "tags": []},
            sample="update.200.cleared.json",
        ),
        ContractCase(
            operation="update",
            status=422,
            cause="unknown-connection",
            body={"connection_id": "2293384261075731499"},
            sample="update.422.json",
        ),
        ContractCase(
            operation="update_voice", status=200, cause="set", sample="update_voice.200.json"
        ),
        ContractCase(
            operation="update_voice",
            status=200,
            cause="cleared",
            body={"call_forwarding": {"call_forwarding_enabled": False, "forwards_to": ""}},
            sample="update_voice.200.cleared.json",
        ),
        ContractCase(
            operation="update_voice",
            status=422,
            cause="not-e164",
            body={"call_forwarding": {"forwards_to": "3035559123"}},
            sample="update_voice.422.json",
        ),
        ContractCase(
            operation="update_messaging",
            status=200,
            cause="set",
            sample="update_messaging.200.json",
        ),
        ContractCase(
            operation="update_messaging",
            status=200,
            cause="unassigned",
            body={"messaging_profile_id": ""},
            sample="update_messaging.200.unassigned.json",
        ),
        ContractCase(
            operation="update_messaging",
            status=422,
            cause="unknown-profile",
            body={"messaging_profile_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"},
            sample="update_messaging.422.json",
        ),
    ]
    for operation in ("list", "list_voice"):
        cases.append(
            ContractCase(
                operation=operation,
                status=400,
                cause="page-size",
                params={"page[size]": "251"},
                sample=f"{operation}.400.json",
            )
        )
    for operation, suffix in (
        ("get", ""),
        ("get_voice", "/voice"),
        ("update", ""),
        ("update_voice", "/voice"),
        ("update_messaging", "/messaging"),
    ):
        cases.append(
            ContractCase(
                operation=operation,
                status=404,
                cause="unknown",
                path=lambda s, suffix=suffix: _unknown(s) + suffix,
                sample=f"{operation}.404.json",
            )
        )
        if operation.startswith("update"):
            cases.append(
                ContractCase(
                    operation=operation,
                    status=400,
                    cause="not-an-object",
                    body=[1],
                    sample=f"{operation}.400.json",
                )
            )
    return tuple(cases)


def _held(emu: TelnyxEmulator) -> list[Held]:
    return [
        Held(n.id, n.phone_number, bool(n.forwards_to and n.call_forwarding_enabled))
        for n in emu.numbers.values()
    ]


def _server_error_body(emu: Any, status: int, headers: Mapping[str, str]) -> Any:
    code, title, detail = _CODES.get(status, _CODES[500])
    return {"errors": [_error(code, title, detail)]}


def _rate_limit_answer(headers: Mapping[str, str], body: Any) -> dict[str, object]:
    # Telnyx documents no Retry-After: its wait is x-ratelimit-reset.
    return {
        "x-ratelimit-limit": headers.get("x-ratelimit-limit"),
        "x-ratelimit-remaining": headers.get("x-ratelimit-remaining"),
        "x-ratelimit-reset": headers.get("x-ratelimit-reset"),
        "body": body,
    }


def _expected_rate_limit(emu: TelnyxEmulator, wait: int, asked: bool) -> dict[str, object]:
    limit = RATE_LIMIT if emu.rate_limit is None else emu.rate_burst
    code, title, detail = _CODES[429]
    del asked  # the reset is said whether or not a wait was asked for (1 s by default)
    return {
        "x-ratelimit-limit": str(limit),
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": str(wait),
        "body": {"errors": [{"code": code, "title": title, "detail": detail}]},
    }


#: What the generic test suites need to know about telnyx.
PROFILE = ProviderProfile(
    provider="telnyx",
    list_path="/phone_numbers",
    item_path="/phone_numbers/{id}",
    sample_id=_OFFICE,
    unknown_id=_UNKNOWN,
    update=RoutingUpdate(tags=["front-desk"]),
    update_landed=_landed,
    raw_write=_raw_write,
    contract_setup=_contract_setup,
    contract_operations={
        "list": lambda s: ("GET", s.list_path(), None),
        "list_voice": lambda s: ("GET", "/phone_numbers/voice", None),
        "get": lambda s: ("GET", s.item_path(s.own), None),
        "update": lambda s: (
            "PATCH",
            s.item_path(s.own),
            {"connection_id": _OFFICE, "tags": ["tag_1", "tag_2"]},
        ),
        "get_voice": lambda s: ("GET", s.item_path(s.own) + "/voice", None),
        "update_voice": lambda s: (
            "PATCH",
            s.item_path(s.own) + "/voice",
            {
                "call_forwarding": {
                    "call_forwarding_enabled": True,
                    "forwards_to": "+13035559123",
                    "forwarding_type": "always",
                }
            },
        ),
        "update_messaging": lambda s: (
            "PATCH",
            s.item_path(s.own) + "/messaging",
            {"messaging_profile_id": list(cast(TelnyxEmulator, s.emu).profiles)[1]},
        ),
    },
    contract_cases=_cases(),
    contract_updates=(
        RoutingUpdate(
            forwarding_number="+12025559999", connection_id=_OFFICE, tags=["front", "west"]
        ),
        RoutingUpdate(
            forwarding_number=None, connection_id=None, tags=None, messaging_profile_id=None
        ),
    ),
    expected_error=_expected_error,
    item_body=lambda body: body["data"],
    contract_endpoints=frozenset(
        {
            ("GET", "/phone_numbers", "list"),
            ("GET", "/phone_numbers/voice", "list_voice"),
            ("GET", "/phone_numbers/{id}", "get"),
            ("PATCH", "/phone_numbers/{id}", "update"),
            ("GET", "/phone_numbers/{id}/voice", "get_voice"),
            ("PATCH", "/phone_numbers/{id}/voice", "update_voice"),
            ("PATCH", "/phone_numbers/{id}/messaging", "update_messaging"),
        }
    ),
    contract_security=[[{"type": "http", "scheme": "bearer"}]],
    held_numbers=_held,
    id_shape=lambda number_id: isinstance(number_id, str) and number_id.isdigit(),
    wall_clock=("phonerouting.testing.telnyx:now_iso",),
    server_error_body=_server_error_body,
    rate_limit_answer=_rate_limit_answer,
    expected_rate_limit=_expected_rate_limit,
    id_pattern=r"[0-9]{1,20}",
    refused_updates=(RoutingUpdate(connection_id="2293384261075731499"),),
    request_id_on_every_answer=True,
    wire_item={
        "id": _OFFICE,
        "record_type": "phone_number",
        "phone_number": "+12025550142",
        "status": "active",
        "tags": ["front-desk"],
        "connection_id": _OFFICE,
        "messaging_profile_id": None,
        "created_at": "2026-01-01T00:00:01.000Z",
        "updated_at": "2026-01-01T00:00:01.000Z",
    },
    wire_id=_OFFICE,
    wire_number_key="phone_number",
    wire_route_key="connection_id",
    wire_list=lambda items: {
        "data": items,
        "meta": {"page_number": 1, "page_size": 250, "total_pages": 1, "total_results": len(items)},
    },
    wire_single=lambda item: {"data": item},
    wire_item_id=lambda n: str(1_293_384_261_000_000_000 + n),
    wire_bad_envelopes=lambda item: [
        ("data missing", {"meta": {"total_pages": 1}}),
        ("data as dict", {"data": {"0": item}, "meta": {"total_pages": 1}}),
        ("meta missing", {"data": [item]}),
        ("total_pages as string", {"data": [item], "meta": {"total_pages": "1"}}),
    ],
)
TelnyxEmulator.profile = PROFILE
