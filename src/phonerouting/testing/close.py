"""Emulator of Close's phone numbers (``close``).

HTTP Basic auth with the key as user name and an empty password (or ``Authorization:
Bearer <key>``, as Close's OAuth apps send their token); base path ``/api/v1``
and every path ending with ``/``; ``_skip``/``_limit``/``has_more`` paging with the
``number`` and ``participant_user_id`` filters; ``PUT`` as a partial update that checks
each field (ring duration 15..90 or null, https greeting URL, E.164 lists, known user
ids) and answers 400 ``field-errors`` for anything else; group numbers need the
"Manage Group Phone Numbers" permission; 429 with ``RateLimit`` and ``Retry-After``.
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
from phonerouting.testing.seeding import close_id, e164_numbers, rng
from phonerouting.testing.wire import (
    EmuRequest,
    EmuResponse,
    basic_credentials,
    is_https_url,
    is_valid_e164,
    json_response,
    now_iso,
    whole_seconds,
)

__all__ = ["PROFILE", "CloseEmulator"]

_ITEM = re.compile(r"/phone_number/([^/]+)/")
_MESSAGES = {
    400: "Bad request.",
    401: "The API key is invalid or missing.",
    402: "Your plan does not allow this.",
    403: "You don't have permission to do this.",
    404: "Empty query: PhoneNumber matching query does not exist.",
    405: "Method not allowed.",
    429: "API call count exceeded for this 15 second window",
}
_UPDATABLE = (
    "label",
    "forward_to",
    "forward_to_enabled",
    "voicemail_greeting_url",
    "participants",
    "phone_numbers",
    "press_1_to_accept",
    "inbound_ring_duration",
    "participant_groups",
)
ORG_ID = "orga_" + "x" * 43
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
RATE_LIMIT = 40


def _credential(request: EmuRequest) -> str | None:
    """The key a request presents: the Basic user name (with an empty password) or the
    Bearer token; ``None`` when the header is missing or malformed."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme == "Bearer":
        return value or None
    pair = basic_credentials(value) if scheme == "Basic" else None
    # Basic credentials are "user:password"; Close's is "KEY:" with nothing after.
    return pair[0] if pair is not None and not pair[1] else None


def _formatted(number: str | None) -> str | None:
    if number is None:
        return None
    if number.startswith("+1") and len(number) == 12:
        return f"+1 {number[2:5]}-{number[5:8]}-{number[8:]}"
    return number


@attrs.define
class CloseNumber:
    """A stored Close number."""

    id: str
    number: str
    date_created: str
    date_updated: str
    label: str = ""
    type: str = "internal"
    user_id: str | None = None
    is_group_number: bool = False
    forward_to: str | None = None
    forward_to_enabled: bool = False
    voicemail_greeting_url: str | None = None
    inbound_ring_duration: int | None = None
    participants: list[str] = attrs.Factory(list)
    phone_numbers: list[str] = attrs.Factory(list)
    participant_groups: list[str] = attrs.Factory(list)
    press_1_to_accept: bool = False

    def to_wire(self) -> dict[str, Any]:
        """The vendor's full PhoneNumber object."""
        return {
            "id": self.id,
            "organization_id": ORG_ID,
            "number": self.number,
            "number_formatted": _formatted(self.number),
            "label": self.label,
            "type": self.type,
            "carrier": "twilio",
            "carrier_type": "mobile",
            "country": "US",
            "address_id": None,
            "bundle_id": None,
            "user_id": self.user_id,
            "is_group_number": self.is_group_number,
            "is_premium": False,
            "is_verified": True,
            "was_ported": False,
            "forward_to": self.forward_to,
            "forward_to_enabled": self.forward_to_enabled,
            "forward_to_formatted": _formatted(self.forward_to),
            "inbound_ring_duration": self.inbound_ring_duration,
            "voicemail_greeting_url": self.voicemail_greeting_url,
            "participants": list(self.participants),
            "participant_groups": list(self.participant_groups),
            "phone_numbers": list(self.phone_numbers),
            "phone_numbers_formatted": [_formatted(n) for n in self.phone_numbers],
            "press_1_to_accept": self.press_1_to_accept,
            "sms_enabled": True,
            "mms_enabled": False,
            "supports_sms_to_countries": ["US", "CA"],
            "supports_mms_to_countries": ["US"],
            "last_billed_price": 1.0,
            "next_billing_on": None,
            "date_created": self.date_created,
            "date_updated": self.date_updated,
        }


class CloseEmulator(Emulator):
    """A stateful Close organization: users, personal and group numbers."""

    provider: ClassVar[str] = "close"
    base_path: ClassVar[str] = "/api/v1"
    key_prefix: ClassVar[str] = "api_"

    def setup(self) -> None:
        """Empty organization with three users; the default key may manage groups."""
        self.numbers: dict[str, CloseNumber] = {}
        self._created = 0
        self._ids = rng(self.seed, "close-ids")
        self.users = [close_id(self._ids, "user_") for _ in range(3)]
        #: key → may it manage group numbers?
        self.keys: dict[str, bool] = {self.api_key: True}

    def add_key(self, *, manage_group_numbers: bool = False) -> str:
        """Another key, by default without the "Manage Group Phone Numbers" permission."""
        key = self.key_prefix + close_id(self._ids, "")[:32]
        with self.lock:
            self.keys[key] = manage_group_numbers
        return key

    def add_number(
        self,
        number: str,
        *,
        label: str = "",
        forward_to: str | None = None,
        forward_to_enabled: bool | None = None,
        is_group_number: bool = False,
        **fields: Any,
    ) -> CloseNumber:
        """Add a number; returns the stored record (its ``id`` is the vendor id)."""
        with self.lock:
            stamp = self._stamp()
            record = CloseNumber(
                id=close_id(self._ids),
                number=number,
                date_created=stamp,
                date_updated=stamp,
                label=label,
                user_id=None if is_group_number else self.users[0],
                is_group_number=is_group_number,
                forward_to=forward_to,
                forward_to_enabled=forward_to is not None
                if forward_to_enabled is None
                else forward_to_enabled,
                **fields,
            )
            self.numbers[record.id] = record
            return record

    def _stamp(self) -> str:
        # Creation times step from a fixed epoch, so the same seed gives the same
        # numbers, dates included, in every process; updates stamp the wall clock.
        self._created += 1
        stamp = _EPOCH + timedelta(seconds=self._created)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def get(self, number_id: str) -> CloseNumber:
        """The stored record with this id."""
        return self.numbers[number_id]

    def seed_numbers(self, count: int, *, seed: int, populate: float) -> None:
        """``count`` numbers; ``populate`` of them with forwarding, label, ring settings."""
        r = rng(seed, "close")
        targets = e164_numbers(count + 50, seed + 1)[count:]
        for i, number in enumerate(e164_numbers(count, seed)):
            if r.random() < populate:
                group = r.random() < 0.3
                self.add_number(
                    number,
                    label=f"Line {i}",
                    forward_to=r.choice(targets),
                    is_group_number=group,
                    inbound_ring_duration=r.choice((None, 20, 30, 45)),
                    participants=self.users[:2] if group else [],
                )
            else:
                self.add_number(number)

    def authenticate(self, request: EmuRequest) -> EmuResponse | None:
        """HTTP Basic with a known key as user name and an empty password, or a known
        key as a Bearer token (Close's OAuth apps authenticate that way)."""
        return self.error(401) if _credential(request) not in self.keys else None

    def error(self, status: int, message: str | None = None, **extra: Any) -> EmuResponse:
        """``{"error": msg}``, or for 400 ``{"errors": [...], "field-errors": {...}}``."""
        headers = {}
        if status == 429:
            wait = whole_seconds(extra.get("retry_after"))
            # With a limiter set, report what it admits, as Close reports its own limit.
            limit = RATE_LIMIT if self.rate_limit is None else self.rate_burst
            headers["RateLimit"] = f"limit={limit}, remaining=0, reset={wait}"
            headers["Retry-After"] = str(wait)
        if status == 400:
            payload: dict[str, Any] = {
                "errors": [message] if message else [],
                "field-errors": extra.get("field_errors", {}),
            }
        else:
            payload = {"error": message or _MESSAGES.get(status, "Internal server error.")}
        return json_response(status, payload, headers)

    def route(self, request: EmuRequest) -> EmuResponse:
        """List, get, update, delete."""
        if request.path == "/phone_number/":
            return self._list(request) if request.method == "GET" else self.error(405)
        match = _ITEM.fullmatch(request.path)
        record = self.numbers.get(match.group(1)) if match else None
        if record is None:
            return self.error(404)
        if request.method == "GET":
            return json_response(200, record.to_wire())
        if record.is_group_number and not self._may_manage_groups(request):
            return self.error(403, "You need the Manage Group Phone Numbers permission.")
        if request.method == "PUT":
            return self._update(record, request)
        if request.method == "DELETE":
            del self.numbers[record.id]
            return json_response(200, {})
        return self.error(405)

    def _may_manage_groups(self, request: EmuRequest) -> bool:
        credential = _credential(request)
        return credential is not None and self.keys.get(credential, False)

    def _list(self, request: EmuRequest) -> EmuResponse:
        q = request.query
        # Close reports bad paging parameters as field-errors, one per parameter.
        paging: dict[str, int] = {}
        problems: dict[str, str] = {}
        for name, default, minimum in (("_skip", "0", 0), ("_limit", "100", 1)):
            text = q.get(name, default)
            try:
                paging[name] = int(text)
            except ValueError:
                problems[name] = "A valid integer is required."
                continue
            if paging[name] < minimum:
                problems[name] = f"Ensure this value is greater than or equal to {minimum}."
        if problems:
            return self.error(400, field_errors=problems)
        skip, limit = paging["_skip"], min(paging["_limit"], 100)
        rows = list(self.numbers.values())
        if "number" in q:
            rows = [n for n in rows if n.number == q["number"]]
        if "participant_user_id" in q:
            rows = [n for n in rows if q["participant_user_id"] in n.participants]
        page = rows[skip : skip + limit]
        return json_response(
            200, {"data": [n.to_wire() for n in page], "has_more": skip + limit < len(rows)}
        )

    def _field_errors(self, body: dict[str, Any], record: CloseNumber) -> dict[str, str]:
        errors: dict[str, str] = {}
        for field in sorted(set(body) - set(_UPDATABLE)):
            errors[field] = "This field cannot be updated."
        if "label" in body and not isinstance(body["label"], str):
            errors["label"] = "Must be a string."
        if (
            "forward_to" in body
            and body["forward_to"] is not None
            and not is_valid_e164(body["forward_to"])
        ):
            errors["forward_to"] = "Must be a valid phone number in E.164 format."
        for field in ("forward_to_enabled", "press_1_to_accept"):
            if field in body and not isinstance(body[field], bool):
                errors[field] = "Must be a boolean."
        url = body.get("voicemail_greeting_url")
        if url is not None and not is_https_url(url):
            errors["voicemail_greeting_url"] = "Must be a secure URL (https://)."
        ring = body.get("inbound_ring_duration")
        if ring is not None and (
            isinstance(ring, bool) or not isinstance(ring, int) or not 15 <= ring <= 90
        ):
            errors["inbound_ring_duration"] = "Must be an integer between 15 and 90."
        for field, check, what in (
            ("participants", lambda v: v in self.users, "a user id of this organization"),
            ("phone_numbers", is_valid_e164, "a phone number in E.164 format"),
            ("participant_groups", lambda v: isinstance(v, str), "a group id"),
        ):
            if field in body and (
                not isinstance(body[field], list) or not all(check(v) for v in body[field])
            ):
                errors[field] = f"Must be a list; each item {what}."
        enabled = body.get("forward_to_enabled", record.forward_to_enabled)
        forward_to = body.get("forward_to", record.forward_to)
        if enabled is True and forward_to is None and "forward_to" not in errors:
            errors["forward_to"] = "Required when forward_to_enabled is true."
        return errors

    def _update(self, record: CloseNumber, request: EmuRequest) -> EmuResponse:
        try:
            body = request.json()
        except ValueError:
            return self.error(400, "The body must be JSON.")
        if not isinstance(body, dict):
            return self.error(400, "The body must be a JSON object.")
        errors = self._field_errors(body, record)
        if errors:
            return self.error(400, field_errors=errors)
        for field in _UPDATABLE:
            if field in body:
                setattr(
                    record,
                    field,
                    list(body[field]) if isinstance(body[field], list) else body[field],
                )
        record.date_updated = now_iso()
        return json_response(200, record.to_wire())


# ---------------------------------------------------------------- test profile

_UNKNOWN = "phon_" + "Unknown" + "0" * 36


def _landed(emu: CloseEmulator, number_id: str) -> bool:
    return emu.get(number_id).label == "Front desk"


def _raw_write(emu: CloseEmulator) -> RawWrite:
    record = emu.add_number("+12025550142", label="Before")
    return field_write(emu, record, "PUT", "label", "After")


def _contract_setup(emu: CloseEmulator) -> Seeded:
    own = emu.add_number(
        "+16503335555",
        label="Sales line",
        forward_to="+16502221111",
        inbound_ring_duration=45,
        voicemail_greeting_url="https://cdn.example/greeting.mp3",
    ).id
    group = emu.add_number("+16503336666", label="Team", is_group_number=True).id
    return Seeded(emu, own, {"group": group})


def _restricted(s: Seeded) -> str:
    return cast(CloseEmulator, s.emu).add_key()


def _group(s: Seeded) -> str:
    return s.item_path(s.ids["group"])


def _unknown(s: Seeded) -> str:
    return s.item_path(_UNKNOWN)


def _expected_error(body: Any) -> dict[str, object]:
    expected: dict[str, object] = {"code": None}
    if isinstance(body.get("error"), str):
        expected["message"] = body["error"]
    if "field-errors" in body:
        expected["details"] = body["field-errors"]
    return expected


_CASES = (
    ContractCase(
        operation="list", status=200, cause="ok", params={"_limit": "1"}, sample="list.200.json"
    ),
    ContractCase(operation="list", status=200, cause="last-page", sample="list.200.last_page.json"),
    ContractCase(
        operation="list", status=400, cause="limit", params={"_limit": "0"}, sample="list.400.json"
    ),
    ContractCase(operation="get", status=200, cause="ok", sample="get.200.json"),
    ContractCase(
        operation="get", status=404, cause="unknown", path=_unknown, sample="get.404.json"
    ),
    ContractCase(operation="update", status=200, cause="set", sample="update.200.json"),
    ContractCase(
        operation="update",
        status=200,
        cause="cleared",
        body={
            "label": "",
            "forward_to": None,
            "forward_to_enabled": False,
            "inbound_ring_duration": None,
            "voicemail_greeting_url": None,
            "participants": [],
            "phone_numbers": [],
        },
        sample="update.200.cleared.json",
    ),
    ContractCase(
        operation="update",
        status=400,
        cause="unknown-field",
        body={"forwarding_number": "+16502221111"},
        sample="update.400.unknown_field.json",
    ),
    ContractCase(
        operation="update",
        status=400,
        cause="ring-duration",
        body={"inbound_ring_duration": 91},
        sample="update.400.ring_duration.json",
    ),
    ContractCase(
        operation="update",
        status=400,
        cause="voicemail-url",
        body={"voicemail_greeting_url": "http://cdn.example/g.mp3"},
        sample="update.400.voicemail_url.json",
    ),
    ContractCase(
        operation="update",
        status=403,
        cause="group",
        path=_group,
        key=_restricted,
        sample="update.403.json",
    ),
    ContractCase(
        operation="update", status=404, cause="unknown", path=_unknown, sample="update.404.json"
    ),
    ContractCase(operation="delete", status=200, cause="ok", sample="delete.200.json"),
    ContractCase(
        operation="delete",
        status=403,
        cause="group",
        path=_group,
        key=_restricted,
        sample="delete.403.json",
    ),
    ContractCase(
        operation="delete", status=404, cause="unknown", path=_unknown, sample="delete.404.json"
    ),
)


def _held(emu: CloseEmulator) -> list[Held]:
    return [Held(n.id, n.number, bool(n.forward_to)) for n in emu.numbers.values()]


_ID = re.compile(r"phon_[A-Za-z0-9]{43}")


def _rate_limit_answer(headers: Mapping[str, str], body: Any) -> dict[str, object]:
    return {
        "Retry-After": headers.get("Retry-After"),
        "RateLimit": headers["RateLimit"],
        "body": body,
    }


def _expected_rate_limit(emu: CloseEmulator, wait: int, asked: bool) -> dict[str, object]:
    # With a limiter set, the configured limit (what the bucket admits at once).
    limit = 40 if emu.rate_limit is None else emu.rate_burst
    return {
        "Retry-After": str(wait),
        "RateLimit": f"limit={limit}, remaining=0, reset={wait}",
        "body": {"error": "API call count exceeded for this 15 second window"},
    }


def _bad_envelopes(item: Any) -> list[tuple[str, Any]]:
    return [
        ("has_more as string", {"data": [item], "has_more": "false"}),
        ("has_more missing", {"data": [item]}),
        ("has_more null", {"data": [item], "has_more": None}),
        ("has_more as number", {"data": [item], "has_more": 0}),
        ("has_more on an empty page", {"data": [], "has_more": True}),
        ("data as dict", {"data": item, "has_more": False}),
        ("data missing", {"has_more": False}),
    ]


#: What the generic test suites need to know about close.
PROFILE = ProviderProfile(
    provider="close",
    list_path="/phone_number/",
    item_path="/phone_number/{id}/",
    sample_id="phon_" + "A1b2" * 10 + "xyz",
    unknown_id="phon_" + "Z" * 43,
    update=RoutingUpdate(label="Front desk"),
    update_landed=_landed,
    raw_write=_raw_write,
    contract_setup=_contract_setup,
    contract_operations={
        "list": lambda s: ("GET", s.list_path(), None),
        "get": lambda s: ("GET", s.item_path(s.own), None),
        "update": lambda s: ("PUT", s.item_path(s.own), {"label": "Sales line"}),
        "delete": lambda s: ("DELETE", s.item_path(s.own), None),
    },
    contract_cases=_CASES,
    unreproduced_samples={
        "update.402.json": "plan limits are not emulated",
        "update.429.legacy_body.json": "Close's deprecated 429 body; the emulator sends today's",
    },
    not_emulated=frozenset({("update", "402")}),
    contract_updates=(
        RoutingUpdate(
            forwarding_number="+12025559999",
            label="Front",
            ring_duration=20,
            voicemail_greeting_url="https://cdn.example/g.mp3",
            press_1_to_accept=True,
            external_numbers=["+16503334444"],
        ),
        RoutingUpdate(
            forwarding_number=None,
            label=None,
            ring_duration=None,
            voicemail_greeting_url=None,
            press_1_to_accept=None,
            external_numbers=None,
            participants=None,
        ),
    ),
    expected_error=_expected_error,
    held_numbers=_held,
    id_shape=lambda number_id: _ID.fullmatch(number_id) is not None,
    wall_clock=("phonerouting.testing.close:now_iso",),
    server_error_body=lambda emu, status, headers: {"error": "Internal server error."},
    rate_limit_answer=_rate_limit_answer,
    expected_rate_limit=_expected_rate_limit,
    id_pattern=r"phon_[A-Za-z0-9]{1,64}",
    refused_updates=(RoutingUpdate(participants=["user_nobody"]),),
    contract_endpoints=frozenset(
        {
            ("GET", "/phone_number/", "list"),
            ("GET", "/phone_number/{id}/", "get"),
            ("PUT", "/phone_number/{id}/", "update"),
            ("DELETE", "/phone_number/{id}/", "delete"),
        }
    ),
    contract_security=[
        [{"type": "http", "scheme": "basic"}],
        [{"type": "http", "scheme": "bearer"}],
    ],
    wire_item={
        "id": "phon_" + "a" * 43,
        "organization_id": "orga_" + "x" * 43,
        "number": "+12025550142",
        "label": "Desk",
        "forward_to": "+12025559999",
        "forward_to_enabled": True,
        "inbound_ring_duration": 30,
        "voicemail_greeting_url": None,
        "participants": [],
        "phone_numbers": [],
        "press_1_to_accept": False,
        "sms_enabled": True,
        "mms_enabled": False,
        "date_created": "2026-01-01T00:00:00.000Z",
        "date_updated": "2026-01-01T00:00:00.000Z",
    },
    wire_id="phon_" + "a" * 43,
    wire_route_key="forward_to",
    wire_list=lambda items: {"data": items, "has_more": False},
    wire_item_id=lambda n: f"phon_{n:043d}",
    wire_bad_envelopes=_bad_envelopes,
    wire_bad_fields=(
        ("forward_to_enabled as string", "forward_to_enabled", "true"),
        ("ring duration as string", "inbound_ring_duration", "30"),
        ("ring duration as float", "inbound_ring_duration", 30.5),
        ("ring duration as bool", "inbound_ring_duration", True),
        ("participants as string", "participants", "user_a"),
        ("participants of ints", "participants", [1, 2]),
        ("phone_numbers as dict", "phone_numbers", {"a": "+12025559999"}),
        ("press_1_to_accept as string", "press_1_to_accept", "no"),
        ("date_created as int", "date_created", 5),
    ),
)
CloseEmulator.profile = PROFILE
