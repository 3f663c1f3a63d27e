"""Emulator of AgentMessage (``agentmessage``).

Bearer keys with scopes (``numbers:read``, ``numbers:write``); the ``{"success", "data",
"meta", "error"}`` envelope and an ``X-Request-Id`` (ULID) on every response; cursor
pagination, newest first; ``PATCH`` of ``inbound_url``, ``status_url``, ``label``,
``campaign_id`` where omitted or null leaves a field alone, ``""`` clears (and is a 422
for ``campaign_id``), any other field is a 400 and a non-https URL a 422; the campaign
attach (``POST``) and detach (``DELETE``, idempotent) endpoints.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, cast

import attrs

from phonerouting.errors import ConflictError
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
from phonerouting.testing.seeding import e164_numbers, rng, ulid, uuid_from
from phonerouting.testing.wire import (
    EmuRequest,
    EmuResponse,
    is_https_url,
    is_uuid,
    is_uuid4,
    json_response,
    now_iso,
    whole_seconds,
)

if TYPE_CHECKING:
    from phonerouting.client import Client

__all__ = ["PROFILE", "AgentMessageEmulator"]

_ITEM = re.compile(r"/v1/phone-numbers/([^/]+)(/campaign)?")
_CODES = {
    400: ("INVALID_INPUT", "invalid input"),
    401: ("UNAUTHORIZED", "authentication failed"),
    403: ("FORBIDDEN", "missing required scope"),
    404: ("NOT_FOUND", "not found"),
    405: ("NOT_FOUND", "not found"),
    409: ("CAMPAIGN_NOT_ACTIVE", "campaign is not active"),
    422: ("VALIDATION_FAILED", "validation failed"),
    429: ("RATE_LIMITED", "rate limit exceeded"),
}
_EMPTY_CAMPAIGN = "must not be empty; detach with DELETE /v1/phone-numbers/{id}/campaign"
_PATCHABLE = ("inbound_url", "status_url", "label", "campaign_id")
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
ALL_SCOPES = frozenset({"numbers:read", "numbers:write"})
OWN_ORG, OTHER_ORG = "org_own", "org_other"


def _cursor_position(cursor: str) -> tuple[str, str] | None:
    """The (created_at, id) a cursor points after, or ``None`` when it is not one of
    ours. Both must be strings: a crafted cursor with numbers in them would otherwise
    reach the tuple comparison with the stored strings and raise TypeError."""
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeError):  # bad base64, bad UTF-8, not JSON
        return None
    if not isinstance(after, dict):
        return None
    created_at, number_id = after.get("created_at"), after.get("id")
    if not isinstance(created_at, str) or not isinstance(number_id, str):
        return None
    return created_at, number_id


@attrs.define
class AgentMessageNumber:
    """A stored AgentMessage number."""

    id: str
    number: str
    created_at: str
    updated_at: str
    number_type: str = "local"
    inbound_url: str | None = None
    status_url: str | None = None
    label: str | None = None
    campaign_id: str | None = None
    organization_id: str = OWN_ORG
    sms_enabled: bool = True
    mms_enabled: bool = True

    def to_wire(self) -> dict[str, Any]:
        """The vendor's PhoneNumber object."""
        return {
            "id": self.id,
            "number": self.number,
            "number_type": self.number_type,
            "inbound_url": self.inbound_url,
            "status_url": self.status_url,
            "label": self.label,
            "campaign_id": self.campaign_id,
            "carrier_line_option_status": "active" if self.campaign_id else "pending",
            "carrier_line_option_propagated_at": self.updated_at if self.campaign_id else None,
            "sms_enabled": self.sms_enabled,
            "mms_enabled": self.mms_enabled,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


class AgentMessageEmulator(Emulator):
    """A stateful AgentMessage organization with campaigns and scoped keys."""

    provider: ClassVar[str] = "agentmessage"
    key_prefix: ClassVar[str] = "am_live_"

    def setup(self) -> None:
        """Empty organization; the default key has every scope."""
        self.numbers: dict[str, AgentMessageNumber] = {}
        #: campaign id → active?
        self.campaigns: dict[str, bool] = {}
        self.keys: dict[str, frozenset[str]] = {self.api_key: ALL_SCOPES}
        self._ids = rng(self.seed, "agentmessage-ids")
        self._clock = 0

    # ------------------------------------------------------------ state helpers

    def add_key(self, scopes: Iterable[str] = ("numbers:read",)) -> str:
        """A new key with only ``scopes``; returns it."""
        key = f"{self.key_prefix}{uuid_from(self._ids).replace('-', '')}"
        with self.lock:
            self.keys[key] = frozenset(scopes)
        return key

    def add_campaign(self, *, active: bool = True) -> str:
        """A new campaign; returns its id."""
        with self.lock:
            campaign = uuid_from(self._ids)
            self.campaigns[campaign] = active
            return campaign

    def _stamp(self) -> str:
        # Strictly increasing timestamps keep "newest first" a total order.
        self._clock += 1
        stamp = _EPOCH + timedelta(seconds=self._clock)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    def add_number(
        self,
        number: str,
        *,
        inbound_url: str | None = None,
        status_url: str | None = None,
        label: str | None = None,
        campaign_id: str | None = None,
        number_type: str = "local",
        organization_id: str = OWN_ORG,
    ) -> AgentMessageNumber:
        """Add a number; returns the stored record (its ``id`` is the vendor id)."""
        with self.lock:
            stamp = self._stamp()
            record = AgentMessageNumber(
                id=uuid_from(self._ids),
                number=number,
                created_at=stamp,
                updated_at=stamp,
                number_type=number_type,
                inbound_url=inbound_url,
                status_url=status_url,
                label=label,
                campaign_id=campaign_id,
                organization_id=organization_id,
            )
            self.numbers[record.id] = record
            return record

    def add_foreign_number(self, number: str) -> AgentMessageNumber:
        """A number of another organization: it answers 404, as the vendor documents."""
        return self.add_number(number, organization_id=OTHER_ORG)

    def get(self, number_id: str) -> AgentMessageNumber:
        """The stored record with this id."""
        return self.numbers[number_id]

    def seed_numbers(self, count: int, *, seed: int, populate: float) -> None:
        """``count`` numbers; ``populate`` of them with webhooks, a label, a campaign."""
        r = rng(seed, "agentmessage")
        campaign = self.add_campaign()
        for i, number in enumerate(e164_numbers(count, seed)):
            filled = r.random() < populate
            self.add_number(
                number,
                inbound_url=f"https://hooks.example.com/in/{i}" if filled else None,
                status_url=f"https://hooks.example.com/status/{i}" if filled else None,
                label=f"Line {i}" if filled else None,
                campaign_id=campaign if filled and r.random() < 0.5 else None,
            )

    # ------------------------------------------------------------ protocol

    def common_headers(self) -> dict[str, str]:
        """``X-Request-Id`` on every response."""
        return {"X-Request-Id": ulid()}

    def authenticate(self, request: EmuRequest) -> EmuResponse | None:
        """A known Bearer key with the scope the method needs."""
        header = request.headers.get("authorization", "")
        scopes = self.keys.get(header[7:]) if header.startswith("Bearer ") else None
        if scopes is None:
            return self.error(401)
        needed = "numbers:read" if request.method == "GET" else "numbers:write"
        if needed not in scopes:
            return self.error(403)
        return None

    def error(self, status: int, message: str | None = None, **extra: Any) -> EmuResponse:
        """The envelope with ``success: false`` and the error object."""
        code, default = _CODES.get(status, ("INTERNAL", "internal error"))
        request_id = ulid()
        error: dict[str, Any] = {
            "code": extra.get("code", code),
            "message": message or default,
            "request_id": request_id,
        }
        if extra.get("details"):
            error["details"] = extra["details"]
        headers = {"X-Request-Id": request_id}
        if status == 429:
            headers["Retry-After"] = str(whole_seconds(extra.get("retry_after")))
        return json_response(status, {"success": False, "error": error}, headers)

    @staticmethod
    def _ok(data: Any, meta: dict[str, Any] | None = None) -> EmuResponse:
        return json_response(200, {"success": True, "data": data, "meta": meta or {}})

    def route(self, request: EmuRequest) -> EmuResponse:
        """List, get, patch, campaign attach and detach."""
        if request.path == "/v1/phone-numbers":
            return self._list(request) if request.method == "GET" else self.error(405)
        match = _ITEM.fullmatch(request.path)
        if match is None:
            return self.error(404)
        if not is_uuid(match.group(1)):
            return self.error(400, "id must be a UUID", details={"id": "must be a UUID"})
        record = self.numbers.get(match.group(1))
        if record is None or record.organization_id != OWN_ORG:
            return self.error(404)
        if match.group(2):
            if request.method == "DELETE":
                return self._detach(record)
            if request.method == "POST":
                return self._attach(record, request)
            return self.error(405)
        if request.method == "GET":
            return self._ok(record.to_wire())
        if request.method == "PATCH":
            return self._patch(record, request)
        return self.error(405)

    def _list(self, request: EmuRequest) -> EmuResponse:
        limit_text = request.query.get("limit", "20")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
            return self.error(422, details={"limit": "must be between 1 and 100"})
        limit = int(limit_text)
        rows = sorted(
            (n for n in self.numbers.values() if n.organization_id == OWN_ORG),
            key=lambda n: (n.created_at, n.id),
            reverse=True,
        )
        q = request.query
        if "number_type" in q:
            rows = [n for n in rows if n.number_type == q["number_type"]]
        if "campaign_id" in q:
            rows = [n for n in rows if n.campaign_id == q["campaign_id"]]
        if q.get("search"):
            rows = [n for n in rows if q["search"] in n.number or q["search"] in (n.label or "")]
        if "cursor" in q:
            position = _cursor_position(q["cursor"])
            if position is None:
                return self.error(400, "invalid cursor", details={"cursor": "is not valid"})
            rows = [n for n in rows if (n.created_at, n.id) < position]
        page = rows[:limit]
        cursor = None
        if len(rows) > limit:
            last = page[-1]
            marker = json.dumps({"created_at": last.created_at, "id": last.id}).encode()
            cursor = base64.urlsafe_b64encode(marker).decode()
        return self._ok([n.to_wire() for n in page], {"limit": limit, "next_cursor": cursor})

    def _campaign_problem(self, value: Any) -> EmuResponse | None:
        if value == "":
            return self.error(
                422,
                details={"campaign_id": _EMPTY_CAMPAIGN},
            )
        if not is_uuid(value):
            return self.error(422, details={"campaign_id": "must be a UUID"})
        if not self.campaigns.get(value, False):
            return self.error(409, "campaign is not active", code="CAMPAIGN_NOT_ACTIVE")
        return None

    def _patch(self, record: AgentMessageNumber, request: EmuRequest) -> EmuResponse:
        try:
            body = request.json()
        except ValueError:
            return self.error(400, "body must be a JSON object")
        if not isinstance(body, dict):
            return self.error(400, "body must be a JSON object")
        unknown = sorted(set(body) - set(_PATCHABLE))
        if unknown:
            return self.error(
                400,
                f"unknown field{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}",
                details=dict.fromkeys(unknown, "is not an updatable field"),
            )
        details: dict[str, str] = {}
        for field in ("inbound_url", "status_url"):
            value = body.get(field)
            if value not in (None, "") and not is_https_url(value):
                details[field] = "must use https://"
        if body.get("label") not in (None, "") and not isinstance(body.get("label"), str):
            details["label"] = "must be a string"
        if details:
            return self.error(422, details=details)
        if body.get("campaign_id") is not None:
            problem = self._campaign_problem(body["campaign_id"])
            if problem is not None:
                return problem
        for field in _PATCHABLE:
            value = body.get(field)
            if value is not None:
                setattr(record, field, value or None)
        record.updated_at = now_iso()
        return self._ok(record.to_wire())

    def _attach(self, record: AgentMessageNumber, request: EmuRequest) -> EmuResponse:
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "campaign_id" not in body:
            return self.error(422, details={"campaign_id": "is required"})
        problem = self._campaign_problem(body["campaign_id"])
        if problem is not None:
            return problem
        record.campaign_id = body["campaign_id"]
        record.updated_at = now_iso()
        return self._ok(record.to_wire())

    def _detach(self, record: AgentMessageNumber) -> EmuResponse:
        if record.campaign_id is not None:
            record.campaign_id = None
            record.updated_at = now_iso()
        return self._ok(record.to_wire())


# ---------------------------------------------------------------- test profile


def _landed(emu: AgentMessageEmulator, number_id: str) -> bool:
    return emu.get(number_id).label == "Support desk"


def _raw_write(emu: AgentMessageEmulator) -> RawWrite:
    record = emu.add_number("+12025550142", label="Before")
    return field_write(emu, record, "PATCH", "label", "After")


def _contract_setup(emu: AgentMessageEmulator) -> Seeded:
    campaign, inactive = emu.add_campaign(), emu.add_campaign(active=False)
    emu.add_number("+13125550182", inbound_url="https://customer.example/v2/inbound")
    own = emu.add_number(
        "+12025551234",
        inbound_url="https://customer.example/v2/inbound",
        status_url="https://customer.example/v2/status",
        label="Support line",
        campaign_id=campaign,
    ).id
    other = emu.add_foreign_number("+14155550100").id
    return Seeded(emu, own, {"other": other, "campaign": campaign, "inactive": inactive})


def _contract_steps(client: Client, emu: AgentMessageEmulator, number_id: str) -> None:
    client.update_routing(number_id, RoutingUpdate(campaign_id=emu.add_campaign()))
    inactive = emu.add_campaign(active=False)
    try:
        client.update_routing(number_id, RoutingUpdate(campaign_id=inactive))
    except ConflictError:
        return
    raise AssertionError("attaching an inactive campaign must be a ConflictError")


def _bad_id(suffix: str = "") -> Callable[[Seeded], str]:
    return lambda s: s.item_path("12345") + suffix


def _foreign(suffix: str = "") -> Callable[[Seeded], str]:
    return lambda s: s.item_path(s.ids["other"]) + suffix


def _read_only(s: Seeded) -> str:
    return cast(AgentMessageEmulator, s.emu).add_key(["numbers:read"])


def _write_only(s: Seeded) -> str:
    return cast(AgentMessageEmulator, s.emu).add_key(["numbers:write"])


def _blank_request_ids(body: Any) -> Any:
    if isinstance(body.get("error"), dict):
        body["error"]["request_id"] = "<request>"
    return body


def _expected_error(body: Any) -> dict[str, object]:
    return {
        "code": body["error"]["code"],
        "request_id": body["error"]["request_id"],
        "details": body["error"].get("details", {}),
    }


def _campaign_path(s: Seeded) -> str:
    return s.item_path(s.own) + "/campaign"


_CASES = (
    ContractCase(
        operation="list",
        status=200,
        cause="first-page",
        params={"limit": "1"},
        sample="list.200.json",
    ),
    ContractCase(operation="list", status=200, cause="last-page", sample="list.200.last_page.json"),
    ContractCase(
        operation="list",
        status=400,
        cause="crafted-cursor",
        params={"cursor": "eyJjcmVhdGVkX2F0IjogMSwgImlkIjogMn0="},
        sample="list.400.invalid_cursor.json",
    ),
    ContractCase(
        operation="list",
        status=403,
        cause="write-only-key",
        key=_write_only,
        sample="list.403.json",
    ),
    ContractCase(
        operation="list",
        status=422,
        cause="limit",
        params={"limit": "101"},
        sample="list.422.limit.json",
    ),
    ContractCase(operation="get", status=200, cause="ok", sample="get.200.json"),
    ContractCase(
        operation="get",
        status=400,
        cause="bad-id",
        path=_bad_id(),
        sample="get.400.invalid_id.json",
    ),
    ContractCase(
        operation="get", status=403, cause="write-only-key", key=_write_only, sample="get.403.json"
    ),
    ContractCase(
        operation="get", status=404, cause="foreign", path=_foreign(), sample="get.404.json"
    ),
    ContractCase(operation="update", status=200, cause="set", sample="update.200.json"),
    ContractCase(
        operation="update",
        status=200,
        cause="cleared",
        body={"inbound_url": "", "status_url": "", "label": ""},
        sample="update.200.cleared.json",
    ),
    ContractCase(
        operation="update",
        status=400,
        cause="unknown-field",
        body={"number_type": "toll_free"},
        sample="update.400.unknown_field.json",
    ),
    ContractCase(
        operation="update",
        status=400,
        cause="bad-id",
        path=_bad_id(),
        sample="update.400.invalid_id.json",
    ),
    ContractCase(
        operation="update",
        status=403,
        cause="read-only-key",
        key=_read_only,
        sample="update.403.json",
    ),
    ContractCase(
        operation="update",
        status=404,
        cause="foreign",
        path=_foreign(),
        sample="update.404.json",
    ),
    ContractCase(
        operation="update",
        status=409,
        cause="inactive-campaign",
        body=lambda s: {"campaign_id": s.ids["inactive"]},
        sample="update.409.campaign_not_active.json",
    ),
    ContractCase(
        operation="update",
        status=422,
        cause="not-https",
        body={"inbound_url": "http://customer.example/v2/inbound"},
        sample="update.422.not_https.json",
    ),
    ContractCase(
        operation="update",
        status=422,
        cause="empty-campaign",
        body={"campaign_id": ""},
        sample="update.422.campaign_id_empty.json",
    ),
    ContractCase(
        operation="attach_campaign",
        status=200,
        cause="ok",
        sample="attach_campaign.200.json",
    ),
    ContractCase(
        operation="attach_campaign",
        status=400,
        cause="bad-id",
        path=_bad_id("/campaign"),
        sample="attach_campaign.400.invalid_id.json",
    ),
    ContractCase(
        operation="attach_campaign",
        status=403,
        cause="read-only-key",
        key=_read_only,
        sample="attach_campaign.403.json",
    ),
    ContractCase(
        operation="attach_campaign",
        status=404,
        cause="foreign",
        path=_foreign("/campaign"),
        sample="attach_campaign.404.json",
    ),
    ContractCase(
        operation="attach_campaign",
        status=409,
        cause="inactive-campaign",
        body=lambda s: {"campaign_id": s.ids["inactive"]},
        sample="attach_campaign.409.campaign_not_active.json",
    ),
    ContractCase(
        operation="attach_campaign",
        status=422,
        cause="not-uuid",
        body={"campaign_id": "cmp_1"},
        sample="attach_campaign.422.json",
    ),
    ContractCase(
        operation="detach_campaign",
        status=200,
        cause="ok",
        sample="detach_campaign.200.json",
    ),
    ContractCase(
        operation="detach_campaign",
        status=400,
        cause="bad-id",
        path=_bad_id("/campaign"),
        sample="detach_campaign.400.invalid_id.json",
    ),
    ContractCase(
        operation="detach_campaign",
        status=403,
        cause="read-only-key",
        key=_read_only,
        sample="detach_campaign.403.json",
    ),
    ContractCase(
        operation="detach_campaign",
        status=404,
        cause="foreign",
        path=_foreign("/campaign"),
        sample="detach_campaign.404.json",
    ),
)


def _held(emu: AgentMessageEmulator) -> list[Held]:
    return [Held(n.id, n.number, bool(n.inbound_url)) for n in emu.numbers.values()]


_ULID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


def _server_error_body(emu: Any, status: int, headers: Mapping[str, str]) -> Any:
    request_id = headers["X-Request-Id"]
    if not _ULID.fullmatch(request_id):
        request_id = f"<not a ULID: {request_id}>"
    return {
        "success": False,
        "error": {"code": "INTERNAL", "message": "internal error", "request_id": request_id},
    }


def _rate_limit_answer(headers: Mapping[str, str], body: Any) -> dict[str, object]:
    return {"Retry-After": headers.get("Retry-After"), "code": body["error"]["code"]}


def _expected_rate_limit(emu: AgentMessageEmulator, wait: int, asked: bool) -> dict[str, object]:
    return {"Retry-After": str(wait), "code": "RATE_LIMITED"}


def _wire_list(items: list[Any]) -> Any:
    return {"success": True, "data": items, "meta": {"limit": 100, "next_cursor": None}}


def _bad_envelopes(item: Any) -> list[tuple[str, Any]]:
    ok = _wire_list([item])
    return [
        ("meta missing", {k: v for k, v in ok.items() if k != "meta"}),
        ("next_cursor missing", {**ok, "meta": {"limit": 100}}),
        ("next_cursor as number", {**ok, "meta": {"next_cursor": 2}}),
        ("next_cursor as list", {**ok, "meta": {"next_cursor": ["abc"]}}),
        ("next_cursor empty", {**ok, "meta": {"next_cursor": ""}}),
        # Too long for a query string, or not encodable in a URL: building the next
        # request would fail outside the library's errors.
        ("next_cursor huge", {**ok, "meta": {"next_cursor": "c" * 70_000}}),
        ("next_cursor surrogate", {**ok, "meta": {"next_cursor": "a\ud800b"}}),
        ("next_cursor control", {**ok, "meta": {"next_cursor": "a\nb"}}),
        ("meta as list", {**ok, "meta": []}),
        ("success false", {**ok, "success": False}),
        ("success as string", {**ok, "success": "true"}),
        ("data as dict", {**ok, "data": item}),
        ("data null", {**ok, "data": None}),
    ]


#: What the generic test suites need to know about agentmessage.
PROFILE = ProviderProfile(
    provider="agentmessage",
    list_path="/v1/phone-numbers",
    item_path="/v1/phone-numbers/{id}",
    sample_id="497f6eca-6276-4993-bfeb-53cbbbba6f08",
    unknown_id="00000000-0000-4000-8000-000000000000",
    update=RoutingUpdate(label="Support desk"),
    update_landed=_landed,
    raw_write=_raw_write,
    contract_setup=_contract_setup,
    contract_operations={
        "list": lambda s: ("GET", s.list_path(), None),
        "get": lambda s: ("GET", s.item_path(s.own), None),
        "update": lambda s: (
            "PATCH",
            s.item_path(s.own),
            {"inbound_url": "https://customer.example/v2/inbound"},
        ),
        "attach_campaign": lambda s: (
            "POST",
            _campaign_path(s),
            {"campaign_id": s.ids["campaign"]},
        ),
        "detach_campaign": lambda s: ("DELETE", _campaign_path(s), None),
    },
    contract_cases=_CASES,
    unreproduced_samples={
        "attach_campaign.409.brand_not_verified.json": "brands are not emulated",
        "attach_campaign.409.number_not_assigned.json": "assignment is not emulated",
        "update.409.brand_not_verified.json": "brands are not emulated",
    },
    blank_request_ids=_blank_request_ids,
    contract_updates=(
        RoutingUpdate(inbound_url="https://a.example/in", status_url="https://a.example/s"),
        RoutingUpdate(label="Sales", inbound_url=None),
        RoutingUpdate(status_url="", label=None, campaign_id=None),
    ),
    contract_steps=_contract_steps,
    expected_error=_expected_error,
    item_body=lambda body: body.get("data", body),
    held_numbers=_held,
    id_shape=is_uuid4,
    wall_clock=("phonerouting.testing.agentmessage:now_iso",),
    server_error_body=_server_error_body,
    rate_limit_answer=_rate_limit_answer,
    expected_rate_limit=_expected_rate_limit,
    id_pattern=r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
    refused_updates=(RoutingUpdate(campaign_id="00000000-0000-4000-8000-000000000000"),),
    contract_endpoints=frozenset(
        {
            ("GET", "/v1/phone-numbers", "list"),
            ("GET", "/v1/phone-numbers/{id}", "get"),
            ("PATCH", "/v1/phone-numbers/{id}", "update"),
            ("POST", "/v1/phone-numbers/{id}/campaign", "attach_campaign"),
            ("DELETE", "/v1/phone-numbers/{id}/campaign", "detach_campaign"),
        }
    ),
    contract_security=[[{"type": "http", "scheme": "bearer"}]],
    wire_item={
        "id": "550e8400-e29b-41d4-a716-446655440000",
        "number": "+12025550142",
        "number_type": "local",
        "inbound_url": "https://hooks.example.com/in",
        "status_url": None,
        "label": "Line 1",
        "campaign_id": None,
        "sms_enabled": True,
        "mms_enabled": True,
        "created_at": "2026-01-01T00:00:01.000Z",
        "updated_at": "2026-01-01T00:00:01.000Z",
    },
    wire_id="550e8400-e29b-41d4-a716-446655440000",
    wire_route_key="inbound_url",
    wire_list=_wire_list,
    wire_single=lambda item: {"success": True, "data": item, "meta": {}},
    wire_item_id=lambda n: f"550e8400-e29b-41d4-a716-{n:012x}",
    wire_bad_envelopes=_bad_envelopes,
    wire_bad_fields=(
        ("label as int", "label", 5),
        ("sms_enabled as string", "sms_enabled", "yes"),
        ("created_at as int", "created_at", 1767225600),
        ("created_at not a date", "created_at", "yesterday"),
    ),
)
AgentMessageEmulator.profile = PROFILE
