"""``pair``: a test provider with two credentials, one secret and one not.

Like Twilio: HTTP Basic with an account id (``account_id``, not secret, ``AC`` + 8 hex)
and a token (``token``, secret), both read from their own variables. Its update is a
form-encoded ``POST`` (``FriendlyName``), so the emulators' and the core's form path is
exercised too. Registered by the `pair` fixture of the tests that use it.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from phonerouting.adapters import wire
from phonerouting.adapters.base import (
    Adapter,
    Credential,
    ErrorInfo,
    Page,
    Request,
    capabilities,
)
from phonerouting.errors import ValidationError
from phonerouting.model import PhoneNumber, RoutingUpdate, freeze_raw
from phonerouting.testing import Emulator
from phonerouting.testing.seeding import e164_numbers
from phonerouting.testing.wire import EmuRequest, EmuResponse, json_response

NAME = "pair"
ACCOUNT_ENV, TOKEN_ENV = "PAIR_ACCOUNT_ID", "PAIR_TOKEN"
_ID = re.compile(r"PN[0-9]+")


class PairAdapter(Adapter):
    """Basic auth with ``account_id:token``; a label set by a form-encoded POST."""

    name: ClassVar[str] = NAME
    default_base_url: ClassVar[str] = "https://api.pair.example/v1"
    api_key_env: ClassVar[str] = TOKEN_ENV
    credentials: ClassVar[tuple[Credential, ...]] = (
        Credential(
            "account_id",
            ACCOUNT_ENV,
            secret=False,
            label="account id",
            pattern=r"AC[0-9a-f]{8}",
            example="AC0123abcd",
        ),
        Credential("token", TOKEN_ENV, label="auth token"),
    )
    capabilities = capabilities(NAME, ("label",))

    def authenticate(self, credentials: Mapping[str, str]) -> dict[str, str]:
        pair = f"{credentials['account_id']}:{credentials['token']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    def normalize_id(self, number_id: object) -> str:
        if not isinstance(number_id, str) or not _ID.fullmatch(number_id):
            raise ValidationError("number_id must look like PN1", field="number_id")
        return number_id

    def list_request(self) -> Request:
        return Request("GET", "/numbers")

    def get_request(self, number_id: str) -> Request:
        return Request("GET", f"/numbers/{number_id}")

    def parse_list(self, data: Any, request: Request) -> Page:
        items = wire.req_list(wire.req_dict(data, "the list response"), "numbers")
        return Page([self.parse_number(item) for item in items])

    def parse_number(self, data: Any) -> PhoneNumber:
        obj = wire.req_dict(data, "a phone number")
        return PhoneNumber(
            provider=self.name,
            id=wire.req_id(obj, "sid", _ID),
            number=wire.req_phone(obj, "phone_number"),
            label=wire.opt_str(obj, "friendly_name"),
            raw=freeze_raw(obj),
        )

    def update_requests(self, number_id: str, update: RoutingUpdate) -> list[Request]:
        changes = self.check_supported(update)
        if not changes:
            return []
        # Sent empty = cleared, as Twilio does.
        form = {"FriendlyName": changes["label"] or ""}
        return [Request("POST", f"/numbers/{number_id}", form=form)]

    def parse_error(self, status: int, data: Any) -> ErrorInfo:
        if not isinstance(data, dict):
            return ErrorInfo()
        return ErrorInfo(code=data.get("code"), message=wire.error_str(data, "message"))


class PairEmulator(Emulator):
    """A ``pair`` account; its errors echo the Authorization header they were sent
    (a hostile or careless server), so scrubbing is tested on every path."""

    provider: ClassVar[str] = NAME
    base_path: ClassVar[str] = "/v1"
    key_prefix: ClassVar[str] = "pair_token_"
    account_id = "AC0123abcd"

    def setup(self) -> None:
        self.numbers: dict[str, dict[str, Any]] = {}
        self.last_auth = ""

    def add_number(self, number: str, label: str | None = None) -> dict[str, Any]:
        with self.lock:
            record = {"sid": f"PN{len(self.numbers) + 1}", "phone_number": number}
            record["friendly_name"] = label
            self.numbers[record["sid"]] = record
            return record

    def seed_numbers(self, count: int, *, seed: int, populate: float) -> None:
        for number in e164_numbers(count, seed):
            self.add_number(number)

    def authenticate(self, request: EmuRequest) -> EmuResponse | None:
        self.last_auth = request.headers.get("authorization", "")
        pair = f"{self.account_id}:{self.api_key}".encode()
        if self.last_auth != "Basic " + base64.b64encode(pair).decode():
            return self.error(401, "bad credentials")
        return None

    def error(self, status: int, message: str | None = None, **extra: Any) -> EmuResponse:
        echoed = f"{message or 'failed'} (you sent {self.last_auth})"
        return json_response(status, {"code": 20000 + status, "message": echoed})

    def route(self, request: EmuRequest) -> EmuResponse:
        if request.path == "/numbers" and request.method == "GET":
            return json_response(200, {"numbers": list(self.numbers.values())})
        record = self.numbers.get(request.path.removeprefix("/numbers/"))
        if record is None:
            return self.error(404, "no such number")
        if request.method == "POST":
            form = request.form()
            if "FriendlyName" in form:
                record["friendly_name"] = form["FriendlyName"] or None
        return json_response(200, record)
