"""Emulator of the Linq API v3 (``linq-v3``).

UUID ids; Bearer auth; under the base path ``/api/partner``; an unpaginated list whose
items carry ``reputation`` and sometimes ``line_type``; ``PUT`` requires
``forwarding_number`` (400/1001 when missing, 400/1002 when not E.164), where ``""`` and
``null`` both clear and read back ``null``. Errors are ``{"success": false, "error":
{status, code (int), message, doc_url}, "trace_id"}``; every response has ``X-Trace-ID``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from phonerouting.model import RoutingUpdate
from phonerouting.testing.core import Emulator
from phonerouting.testing.profile import (
    ContractCase,
    Held,
    ProviderProfile,
    RawWrite,
    Seeded,
    bad_envelopes_under,
    field_write,
    list_under,
)
from phonerouting.testing.seeding import e164_numbers, rng, uuid_from
from phonerouting.testing.wire import (
    EmuRequest,
    EmuResponse,
    is_uuid4,
    is_valid_e164,
    json_response,
    whole_seconds,
)

__all__ = ["PROFILE", "LinqV3Emulator"]

_ITEM = re.compile(r"/v3/phone_numbers/([^/]+)")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# status → (code, message), from Linq's documented error codes.
_ERRORS = {
    400: (1002, "Phone number must be in E.164 format"),
    401: (2004, "Unauthorized - missing or invalid authentication token"),
    403: (2005, "Access denied - insufficient permissions for this resource"),
    404: (2001, "Resource not found"),
    405: (2001, "Resource not found"),
    429: (1007, "Rate limit exceeded"),
    500: (3006, "Internal server error"),
}
OWN_ORG, OTHER_ORG = "org_own", "org_other"


@attrs.define
class LinqV3Number:
    """A stored v3 number."""

    id: str
    phone_number: str
    forwarding_number: str | None = None
    reputation: str = "HEALTHY"
    line_type: str | None = None
    organization_id: str = OWN_ORG

    def to_wire(self) -> dict[str, Any]:
        """The list item (the forwarding key is absent while unset, as Linq allows)."""
        item: dict[str, Any] = {"id": self.id, "phone_number": self.phone_number}
        if self.forwarding_number is not None:
            item["forwarding_number"] = self.forwarding_number
        item["reputation"] = {
            "status": self.reputation,
            "doc_url": "https://docs.linqapp.com/reputation/",
        }
        if self.line_type is not None:
            item["line_type"] = self.line_type
        return item

    def update_wire(self) -> dict[str, Any]:
        """The update response."""
        return {
            "id": self.id,
            "phone_number": self.phone_number,
            "forwarding_number": self.forwarding_number,
        }


class LinqV3Emulator(Emulator):
    """A stateful Linq v3 account (plus numbers of another organization)."""

    provider: ClassVar[str] = "linq-v3"
    base_path: ClassVar[str] = "/api/partner"
    key_prefix: ClassVar[str] = "linq_"

    def setup(self) -> None:
        """Empty account."""
        self.numbers: dict[str, LinqV3Number] = {}
        self._ids = rng(self.seed, "linq-v3-ids")

    def add_number(
        self,
        number: str,
        *,
        forwarding_number: str | None = None,
        organization_id: str = OWN_ORG,
        line_type: str | None = None,
        reputation: str = "HEALTHY",
    ) -> LinqV3Number:
        """Add a number; returns the stored record (its ``id`` is the vendor id)."""
        with self.lock:
            record = LinqV3Number(
                uuid_from(self._ids),
                number,
                forwarding_number,
                reputation,
                line_type,
                organization_id,
            )
            self.numbers[record.id] = record
            return record

    def add_foreign_number(self, number: str) -> LinqV3Number:
        """A number of another organization: updating it answers 403."""
        return self.add_number(number, organization_id=OTHER_ORG)

    def get(self, number_id: str) -> LinqV3Number:
        """The stored record with this id."""
        return self.numbers[number_id]

    def seed_numbers(self, count: int, *, seed: int, populate: float) -> None:
        """``count`` numbers; ``populate`` of them forward somewhere."""
        r = rng(seed, "linq-v3")
        targets = e164_numbers(count + 50, seed + 1)[count:]
        for number in e164_numbers(count, seed):
            self.add_number(
                number,
                forwarding_number=r.choice(targets) if r.random() < populate else None,
                line_type=r.choice(("iMessage", "RCS", None)),
                reputation=r.choices(("HEALTHY", "AT_RISK", "CRITICAL"), (8, 1, 1))[0],
            )

    def common_headers(self) -> dict[str, str]:
        """``X-Trace-ID`` on every response."""
        return {"X-Trace-ID": secrets.token_hex(16)}

    def authenticate(self, request: EmuRequest) -> EmuResponse | None:
        """``Authorization: Bearer <key>``."""
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return self.error(401)
        return None

    def error(self, status: int, message: str | None = None, **extra: Any) -> EmuResponse:
        """Linq's error envelope, with the trace id also in ``X-Trace-ID``."""
        code, default = _ERRORS.get(status, _ERRORS[500] if status >= 500 else _ERRORS[400])
        code = extra.get("code", code)
        # The same trace id in the body and the header, as Linq sends it.
        trace = secrets.token_hex(16)
        error: dict[str, Any] = {
            "status": status,
            "code": code,
            "message": message or default,
            "doc_url": f"https://docs.linqapp.com/error/codes/{code // 1000}xxx/{code}/",
        }
        headers = {"X-Trace-ID": trace}
        if status == 429:
            # The contract says integer seconds, in the body and the header alike.
            wait = whole_seconds(extra.get("retry_after"))
            error["retry_after"] = wait
            headers["Retry-After"] = str(wait)
        return json_response(status, {"success": False, "error": error, "trace_id": trace}, headers)

    def route(self, request: EmuRequest) -> EmuResponse:
        """List and update."""
        if request.path == "/v3/phone_numbers":
            if request.method != "GET":
                return self.error(405)
            own = [n.to_wire() for n in self.numbers.values() if n.organization_id == OWN_ORG]
            return json_response(200, {"phone_numbers": own})
        match = _ITEM.fullmatch(request.path)
        if match is None or request.method != "PUT":
            return self.error(404)
        record = self.numbers.get(match.group(1)) if _UUID.fullmatch(match.group(1)) else None
        if record is None:
            return self.error(404)
        if record.organization_id != OWN_ORG:
            return self.error(403)
        try:
            body = request.json()
        except ValueError:
            return self.error(400, "Request body must be valid JSON", code=1001)
        if not isinstance(body, dict) or "forwarding_number" not in body:
            return self.error(400, "Missing required field: forwarding_number", code=1001)
        value = body["forwarding_number"]
        if value is None or value == "":
            record.forwarding_number = None
        elif is_valid_e164(value):
            record.forwarding_number = value
        else:
            return self.error(400)
        return json_response(200, record.update_wire())


# ---------------------------------------------------------------- test profile

_UNKNOWN = "00000000-0000-4000-8000-000000000404"


def _landed(emu: LinqV3Emulator, number_id: str) -> bool:
    return emu.get(number_id).forwarding_number == "+12025559999"


def _raw_write(emu: LinqV3Emulator) -> RawWrite:
    record = emu.add_number("+12025550142")
    return field_write(emu, record, "PUT", "forwarding_number", "+16175550123")


def _contract_setup(emu: LinqV3Emulator) -> Seeded:
    own = emu.add_number("+12025551234", forwarding_number="+12025559999", line_type="iMessage")
    emu.add_number("+12125550147")
    return Seeded(emu, own.id, {"other": emu.add_foreign_number("+14155550100").id})


def _blank_request_ids(body: Any) -> Any:
    if "trace_id" in body:
        body["trace_id"] = "<trace>"
    return body


def _expected_error(body: Any) -> dict[str, object]:
    return {
        "code": body["error"]["code"],
        "message": body["error"]["message"],
        "request_id": body["trace_id"],
    }


def _held(emu: LinqV3Emulator) -> list[Held]:
    return [Held(n.id, n.phone_number, bool(n.forwarding_number)) for n in emu.numbers.values()]


def _server_error_body(emu: Any, status: int, headers: Mapping[str, str]) -> Any:
    return {
        "success": False,
        "error": {
            "status": status,
            "code": 3006,
            "message": "Internal server error",
            "doc_url": "https://docs.linqapp.com/error/codes/3xxx/3006/",
        },
        "trace_id": headers["X-Trace-ID"],
    }


def _rate_limit_answer(headers: Mapping[str, str], body: Any) -> dict[str, object]:
    return {
        "Retry-After": headers.get("Retry-After"),
        "retry_after": body["error"]["retry_after"],
        "code": body["error"]["code"],
    }


def _expected_rate_limit(emu: LinqV3Emulator, wait: int, asked: bool) -> dict[str, object]:
    # The contract says integer: 2, never 2.0 (nor 1.2).
    return {"Retry-After": str(wait), "retry_after": wait, "code": 1007}


#: What the generic test suites need to know about linq-v3.
PROFILE = ProviderProfile(
    provider="linq-v3",
    list_path="/v3/phone_numbers",
    item_path="/v3/phone_numbers/{id}",
    sample_id="550e8400-e29b-41d4-a716-446655440000",
    unknown_id="00000000-0000-4000-8000-000000000000",
    update=RoutingUpdate(forwarding_number="+12025559999"),
    update_landed=_landed,
    raw_write=_raw_write,
    contract_setup=_contract_setup,
    contract_operations={
        "list": lambda s: ("GET", s.list_path(), None),
        "update": lambda s: ("PUT", s.item_path(s.own), {"forwarding_number": "+12025559999"}),
    },
    contract_cases=(
        ContractCase(operation="list", status=200, cause="ok", sample="list.200.json"),
        ContractCase(operation="update", status=200, cause="set", sample="update.200.json"),
        ContractCase(
            operation="update",
            status=200,
            cause="cleared",
            body={"forwarding_number": None},
            sample="update.200.cleared.json",
        ),
        ContractCase(
            operation="update",
            status=400,
            cause="not-e164",
            body={"forwarding_number": "2025559999"},
            sample="update.400.not_e164.json",
        ),
        ContractCase(
            operation="update",
            status=400,
            cause="missing",
            body={},
            sample="update.400.missing_field.json",
        ),
        ContractCase(
            operation="update",
            status=403,
            cause="foreign",
            path=lambda s: s.item_path(s.ids["other"]),
            sample="update.403.json",
        ),
        ContractCase(
            operation="update",
            status=404,
            cause="unknown",
            path=lambda s: s.item_path(_UNKNOWN),
            sample="update.404.json",
        ),
    ),
    unreproduced_samples={
        "list.403.json": "the emulator has one all-powerful key; list never answers 403",
    },
    not_emulated=frozenset({("list", "403")}),
    blank_request_ids=_blank_request_ids,
    contract_updates=(
        RoutingUpdate(forwarding_number="+12025559999"),
        RoutingUpdate(forwarding_number=None),
    ),
    expected_error=_expected_error,
    held_numbers=_held,
    id_shape=is_uuid4,
    server_error_body=_server_error_body,
    rate_limit_answer=_rate_limit_answer,
    expected_rate_limit=_expected_rate_limit,
    id_pattern=_UUID.pattern,
    request_id_on_every_answer=True,
    contract_endpoints=frozenset(
        {
            ("GET", "/v3/phone_numbers", "list"),
            ("PUT", "/v3/phone_numbers/{phoneNumberId}", "update"),
        }
    ),
    contract_security=[[{"type": "http", "scheme": "bearer"}]],
    wire_item={
        "id": "550e8400-e29b-41d4-a716-446655440000",
        "phone_number": "+12025550142",
        "forwarding_number": "+12025559999",
        "reputation": {"status": "HEALTHY", "doc_url": "https://docs.linqapp.com/reputation/"},
        "line_type": "iMessage",
    },
    wire_id="550e8400-e29b-41d4-a716-446655440000",
    wire_number_key="phone_number",
    wire_route_key="forwarding_number",
    wire_list=list_under("phone_numbers"),
    wire_item_id=lambda n: f"550e8400-e29b-41d4-a716-{n:012x}",
    wire_bad_envelopes=bad_envelopes_under("phone_numbers"),
)
LinqV3Emulator.profile = PROFILE
