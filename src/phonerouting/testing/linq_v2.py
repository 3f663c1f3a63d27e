"""Emulator of the Linq Partner API v2 (``linq-v2``).

Integer ids; ``X-LINQ-INTEGRATION-TOKEN`` auth; an unpaginated list; ``PUT`` of the
forwarding number, where ``""`` and ``null`` both clear (stored as null); 422 for an
invalid forwarding number, 403 for another organization's number, 404 for an unknown
id; errors as ``{"errors": [{"status", "code", "title", "detail"}]}``.
"""

from __future__ import annotations

import re
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
from phonerouting.testing.seeding import e164_numbers, rng
from phonerouting.testing.wire import (
    EmuRequest,
    EmuResponse,
    is_valid_e164,
    json_response,
    whole_seconds,
)

__all__ = ["PROFILE", "LinqV2Emulator"]

_ITEM = re.compile(r"/api/partner/v2/phone_numbers/([^/]+)")
_TITLES = {
    400: ("bad_request", "Bad Request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not_found", "Not Found"),
    405: ("method_not_allowed", "Method Not Allowed"),
    422: ("unprocessable_entity", "Unprocessable Entity"),
    429: ("rate_limited", "Too Many Requests"),
}
OWN_ORG, OTHER_ORG = 1, 2


@attrs.define
class LinqV2Number:
    """A stored v2 number."""

    id: int
    phone_number: str
    forwarding_number: str | None = None
    response_rate: int = 1
    organization_id: int = OWN_ORG
    user: dict[str, Any] = attrs.Factory(dict)

    def to_wire(self) -> dict[str, Any]:
        """The vendor's PhoneNumber object."""
        return {
            "id": self.id,
            "phone_number": self.phone_number,
            "forwarding_number": self.forwarding_number,
            "response_rate": self.response_rate,
            "user": self.user,
        }


class LinqV2Emulator(Emulator):
    """A stateful Linq v2 account (plus one number of another organization)."""

    provider: ClassVar[str] = "linq-v2"
    key_prefix: ClassVar[str] = "linq_"

    def setup(self) -> None:
        """Empty account."""
        self.numbers: dict[int, LinqV2Number] = {}
        self._next_id = 1001

    def add_number(
        self,
        number: str,
        *,
        forwarding_number: str | None = None,
        organization_id: int = OWN_ORG,
    ) -> LinqV2Number:
        """Add a number; returns the stored record (its ``id`` is the vendor id)."""
        with self.lock:
            record = LinqV2Number(
                id=self._next_id,
                phone_number=number,
                forwarding_number=forwarding_number,
                organization_id=organization_id,
                user={"id": 500 + self._next_id % 7, "name": "Agent", "email": "agent@example.com"},
            )
            self.numbers[record.id] = record
            self._next_id += 1
            return record

    def get(self, number_id: int | str) -> LinqV2Number:
        """The stored record with this id."""
        return self.numbers[int(number_id)]

    def seed_numbers(self, count: int, *, seed: int, populate: float) -> None:
        """``count`` numbers; ``populate`` of them forward somewhere."""
        r = rng(seed, "linq-v2")
        targets = e164_numbers(count + 50, seed + 1)[count:]
        for number in e164_numbers(count, seed):
            forwarding = r.choice(targets) if r.random() < populate else None
            self.add_number(number, forwarding_number=forwarding)

    def authenticate(self, request: EmuRequest) -> EmuResponse | None:
        """The integration token header must hold the key."""
        if request.headers.get("x-linq-integration-token") != self.api_key:
            return self.error(401, "Invalid or missing integration token")
        return None

    def error(self, status: int, message: str | None = None, **extra: Any) -> EmuResponse:
        """``{"errors": [{status, code, title, detail}]}``."""
        code, title = _TITLES.get(status, ("internal_server_error", "Internal Server Error"))
        entry = {
            "status": status,
            "code": extra.get("code", code),
            "title": title,
            "detail": message or title,
        }
        headers = {}
        if extra.get("retry_after") is not None:
            headers["Retry-After"] = str(whole_seconds(extra["retry_after"]))
        return json_response(status, {"errors": [entry]}, headers)

    def route(self, request: EmuRequest) -> EmuResponse:
        """List and update."""
        if request.path == "/api/partner/v2/phone_numbers":
            if request.method != "GET":
                return self.error(405)
            own = [n.to_wire() for n in self.numbers.values() if n.organization_id == OWN_ORG]
            return json_response(200, {"phone_numbers": own})
        match = _ITEM.fullmatch(request.path)
        if match is None:
            return self.error(404, "No route matches this path")
        if request.method != "PUT":
            return self.error(405)
        raw_id = match.group(1)
        record = self.numbers.get(int(raw_id)) if raw_id.isdigit() else None
        if record is None:
            return self.error(404, "Phone number not found")
        if record.organization_id != OWN_ORG:
            return self.error(403, "Phone number doesn't belong to your organization")
        try:
            body = request.json()
        except ValueError:
            return self.error(400, "The body must be JSON")
        if not isinstance(body, dict) or "forwarding_number" not in body:
            return self.error(
                422, "forwarding_number is required", code="invalid_forwarding_number"
            )
        value = body["forwarding_number"]
        if value is None or value == "":
            record.forwarding_number = None
        elif is_valid_e164(value):
            record.forwarding_number = value
        else:
            return self.error(
                422,
                "Forwarding number must be a valid phone number in E.164 format",
                code="invalid_forwarding_number",
            )
        return json_response(200, record.to_wire())

    def add_foreign_number(self, number: str) -> LinqV2Number:
        """A number of another organization: updating it answers 403."""
        return self.add_number(number, organization_id=OTHER_ORG)


# ---------------------------------------------------------------- test profile


def _landed(emu: LinqV2Emulator, number_id: str) -> bool:
    return emu.get(number_id).forwarding_number == "+12025559999"


def _raw_write(emu: LinqV2Emulator) -> RawWrite:
    record = emu.add_number("+12025550142")
    return field_write(emu, record, "PUT", "forwarding_number", "+16175550123")


def _contract_setup(emu: LinqV2Emulator) -> Seeded:
    own = emu.add_number("+12025551234", forwarding_number="+12025559999").id
    emu.add_number("+13125550182")
    return Seeded(emu, own, {"other": emu.add_foreign_number("+14155550100").id})


def _foreign(seeded: Seeded) -> str:
    return seeded.item_path(seeded.ids["other"])


def _expected_error(body: Any) -> dict[str, object]:
    first = body["errors"][0]
    return {"code": first["code"], "message": f"{first['title']}: {first['detail']}"}


_UPDATE_BODY = {"forwarding_number": "+12025559999"}


def _held(emu: LinqV2Emulator) -> list[Held]:
    return [Held(n.id, n.phone_number, bool(n.forwarding_number)) for n in emu.numbers.values()]


def _server_error_body(emu: Any, status: int, headers: Mapping[str, str]) -> Any:
    title = "Internal Server Error"
    return {
        "errors": [
            {"status": status, "code": "internal_server_error", "title": title, "detail": title}
        ]
    }


def _rate_limit_answer(headers: Mapping[str, str], body: Any) -> dict[str, object]:
    return {"Retry-After": headers.get("Retry-After"), "code": body["errors"][0]["code"]}


def _expected_rate_limit(emu: LinqV2Emulator, wait: int, asked: bool) -> dict[str, object]:
    # v2 documents no rate-limit headers: the header only carries a wait it was given.
    return {"Retry-After": str(wait) if asked else None, "code": "rate_limited"}


#: What the generic test suites need to know about linq-v2.
PROFILE = ProviderProfile(
    provider="linq-v2",
    list_path="/api/partner/v2/phone_numbers",
    item_path="/api/partner/v2/phone_numbers/{id}",
    sample_id="42",
    unknown_id="999999",
    update=RoutingUpdate(forwarding_number="+12025559999"),
    update_landed=_landed,
    raw_write=_raw_write,
    contract_setup=_contract_setup,
    contract_operations={
        "list": lambda s: ("GET", s.list_path(), None),
        "update": lambda s: ("PUT", s.item_path(s.own), dict(_UPDATE_BODY)),
    },
    contract_cases=(
        ContractCase(operation="list", status=200, cause="ok", sample="list.200.json"),
        ContractCase(operation="update", status=200, cause="set", sample="update.200.json"),
        ContractCase(
            operation="update",
            status=200,
            cause="cleared",
            body={"forwarding_number": ""},
            sample="update.200.cleared.json",
        ),
        ContractCase(
            operation="update", status=403, cause="foreign", path=_foreign, sample="update.403.json"
        ),
        ContractCase(
            operation="update",
            status=404,
            cause="unknown",
            path=lambda s: s.item_path(999),
            sample="update.404.json",
        ),
        ContractCase(
            operation="update",
            status=422,
            cause="invalid",
            body={"forwarding_number": "12025559999"},
            sample="update.422.json",
        ),
        ContractCase(operation="update", status=422, cause="missing", body={}),
    ),
    contract_updates=(
        RoutingUpdate(forwarding_number="+12025559999"),
        RoutingUpdate(forwarding_number=None),
    ),
    expected_error=_expected_error,
    held_numbers=_held,
    id_shape=lambda number_id: isinstance(number_id, int),
    server_error_body=_server_error_body,
    rate_limit_answer=_rate_limit_answer,
    expected_rate_limit=_expected_rate_limit,
    id_pattern=r"[0-9]{1,19}",
    contract_endpoints=frozenset(
        {
            ("GET", "/api/partner/v2/phone_numbers", "list"),
            ("PUT", "/api/partner/v2/phone_numbers/{id}", "update"),
        }
    ),
    contract_security=[[{"type": "apiKey", "in": "header", "name": "X-LINQ-INTEGRATION-TOKEN"}]],
    wire_item={
        "id": 1001,
        "phone_number": "+12025550142",
        "forwarding_number": "+12025559999",
        "response_rate": 1,
        "user": {"id": 501, "name": "Agent", "email": "agent@example.com"},
    },
    wire_id="1001",
    wire_number_key="phone_number",
    wire_route_key="forwarding_number",
    wire_list=list_under("phone_numbers"),
    wire_item_id=lambda n: 1001 + n,
    wire_bad_envelopes=bad_envelopes_under("phone_numbers"),
)
LinqV2Emulator.profile = PROFILE
