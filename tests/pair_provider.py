"""``pair``: a test provider with two credentials, one secret and one not.

Like Twilio: HTTP Basic with an account id (``account_id``, not secret, ``AC`` + 8 hex)
and a token (``token``, secret), both read from their own variables. Its update is a
form-encoded ``POST`` (``FriendlyName``), so the emulators' and the core's form path is
exercised too. Registered by the `pair` fixture of the tests that use it, or for a
whole run by the ``tests.pair_plugin`` plugin (``pytest -p tests.pair_plugin``), which
puts it through the generic suites: its emulator carries a profile (`PROFILE`), and its
contract is ``tests/pair_contract/``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from pathlib import Path
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
from phonerouting.testing import (
    ContractCase,
    Emulator,
    Form,
    Held,
    ProviderProfile,
    RawWrite,
    Seeded,
)
from phonerouting.testing.seeding import e164_numbers, rng
from phonerouting.testing.wire import EmuRequest, EmuResponse, json_response, whole_seconds

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
        r = rng(seed, NAME)
        for number in e164_numbers(count, seed):
            self.add_number(number, label="Desk" if r.random() < populate else None)

    def authenticate(self, request: EmuRequest) -> EmuResponse | None:
        self.last_auth = request.headers.get("authorization", "")
        pair = f"{self.account_id}:{self.api_key}".encode()
        if self.last_auth != "Basic " + base64.b64encode(pair).decode():
            return self.error(401, "bad credentials")
        return None

    def error(self, status: int, message: str | None = None, **extra: Any) -> EmuResponse:
        echoed = f"{message or 'failed'} (you sent {self.last_auth})"
        wait = extra.get("retry_after")
        headers = {} if wait is None else {"Retry-After": str(whole_seconds(wait))}
        return json_response(status, {"code": 20000 + status, "message": echoed}, headers)

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


# ---------------------------------------------------------------- its profile


def _credentials(emu: object, secret: str) -> dict[str, str]:
    return {"account_id": PairEmulator.account_id, "token": secret}


def _landed(emu: PairEmulator, number_id: str) -> bool:
    return emu.numbers[number_id]["friendly_name"] == "Front desk"


def _raw_write(emu: PairEmulator) -> RawWrite:
    record = emu.add_number("+12025550142", label="Before")
    return RawWrite(
        "POST",
        PROFILE.item_path_of(emu, record["sid"]),
        Form(FriendlyName="After"),
        lambda: record["friendly_name"] == "After",
    )


def _held(emu: PairEmulator) -> list[Held]:
    return [
        Held(r["sid"], r["phone_number"], bool(r["friendly_name"])) for r in emu.numbers.values()
    ]


def _server_error_body(emu: PairEmulator, status: int, headers: Mapping[str, str]) -> Any:
    return {"code": 20000 + status, "message": f"failed (you sent {emu.last_auth})"}


def _rate_limit_answer(headers: Mapping[str, str], body: Any) -> dict[str, object]:
    return {"Retry-After": headers.get("Retry-After"), "code": body["code"]}


def _expected_rate_limit(emu: PairEmulator, wait: int, asked: bool) -> dict[str, object]:
    return {"Retry-After": str(wait) if asked else None, "code": 20429}


def _contract_setup(emu: PairEmulator) -> Seeded:
    own = emu.add_number("+12025551234", label="Front desk")["sid"]
    emu.add_number("+13125550182")
    return Seeded(emu, own)


def _blank_request_ids(body: Any) -> Any:
    # The echoed Authorization header carries the emulator's random key.
    if isinstance(body.get("message"), str):
        body["message"] = re.sub(r"\(you sent .*\)$", "(you sent <auth>)", body["message"])
    return body


def _expected_error(body: Any) -> dict[str, object]:
    return {"code": body["code"], "message": body["message"]}


#: What the generic test suites need to know about ``pair``.
PROFILE = ProviderProfile(
    provider=NAME,
    list_path="/numbers",
    item_path="/numbers/{id}",
    sample_id="PN42",
    unknown_id="PN999999",
    update=RoutingUpdate(label="Front desk"),
    update_landed=_landed,
    raw_write=_raw_write,
    credentials=_credentials,
    contract_dir=Path(__file__).resolve().parent / "pair_contract",
    contract_setup=_contract_setup,
    contract_operations={
        "list": lambda s: ("GET", s.list_path(), None),
        "get": lambda s: ("GET", s.item_path(s.own), None),
        "update": lambda s: ("POST", s.item_path(s.own), Form(FriendlyName="Desk")),
    },
    contract_cases=(
        ContractCase(operation="list", status=200, cause="ok", sample="list.200.json"),
        ContractCase(operation="get", status=200, cause="ok", sample="get.200.json"),
        ContractCase(
            operation="get",
            status=404,
            cause="unknown",
            path=lambda s: s.item_path("PN999999"),
            sample="get.404.json",
        ),
        ContractCase(operation="update", status=200, cause="set", sample="update.200.json"),
        ContractCase(
            operation="update",
            status=200,
            cause="cleared",
            body=Form(FriendlyName=""),
            sample="update.200.cleared.json",
        ),
        ContractCase(
            operation="update",
            status=404,
            cause="unknown",
            path=lambda s: s.item_path("PN999999"),
            sample="update.404.json",
        ),
    ),
    blank_request_ids=_blank_request_ids,
    contract_updates=(RoutingUpdate(label="Desk"), RoutingUpdate(label=None)),
    expected_error=_expected_error,
    held_numbers=_held,
    id_shape=lambda number_id: _ID.fullmatch(number_id) is not None,
    server_error_body=_server_error_body,
    rate_limit_answer=_rate_limit_answer,
    expected_rate_limit=_expected_rate_limit,
    id_pattern=_ID.pattern,
    wire_item={"sid": "PN1", "phone_number": "+12025550142", "friendly_name": "Desk"},
    wire_id="PN1",
    wire_id_key="sid",
    wire_number_key="phone_number",
    wire_route_key="friendly_name",
    wire_list=lambda items: {"numbers": items},
    wire_item_id=lambda n: f"PN{n + 1}",
    wire_bad_envelopes=lambda item: [
        ("numbers missing", {}),
        ("numbers as dict", {"numbers": {"0": item}}),
        ("numbers null", {"numbers": None}),
    ],
)
PairEmulator.profile = PROFILE
