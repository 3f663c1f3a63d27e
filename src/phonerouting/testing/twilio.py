"""Emulator of Twilio's IncomingPhoneNumbers (``twilio``), API 2010-04-01.

One account (``account_sid``) served under ``/2010-04-01``: every path is
``/Accounts/{AccountSid}/IncomingPhoneNumbers[/{Sid}].json``, and a path naming another
account is Twilio's 404. HTTP Basic with the Account SID and its Auth Token (the
emulator's ``api_key``) or with an API key SID (``SK...``) and its secret
(`TwilioEmulator.add_api_key`; one is made with the emulator). Listings page with
``PageSize`` (1..1000, default 50), ``Page`` and an opaque ``PageToken``, carried in
``next_page_uri``; the ``PhoneNumber`` filter is a pattern (partial, ``*`` for any
digit), ``FriendlyName`` an exact one. An update is a form-encoded ``POST``: a
parameter left out is left alone, one sent empty is cleared, and a cleared field reads
back as Twilio's examples show it (``""`` for ``sms_url``, ``sms_fallback_url``,
``status_callback`` and the application SIDs, ``null`` for ``voice_url``,
``voice_fallback_url`` and ``trunk_sid``; a cleared ``FriendlyName`` is the number's
formatted form again). URLs must be ``http``/``https`` with a host (21402), methods
``GET``/``POST``, ``FriendlyName`` at most 64 characters, SIDs of their documented form;
setting ``VoiceApplicationSid`` removes ``TrunkSid`` and vice versa. Errors are
``{"code", "message", "more_info", "status"}``; every answer carries
``Twilio-Request-Id``. What Twilio does not document is decided in
providers/twilio/README.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from phonerouting.model import RoutingUpdate
from phonerouting.testing.core import Emulator
from phonerouting.testing.profile import (
    ContractCase,
    Form,
    Held,
    ProviderProfile,
    RawWrite,
    Seeded,
)
from phonerouting.testing.seeding import e164_numbers, rng
from phonerouting.testing.wire import (
    EmuRequest,
    EmuResponse,
    basic_credentials,
    json_response,
    whole_seconds,
)
from phonerouting.testing.wire import now_iso as wire_now_iso

__all__ = ["PROFILE", "TwilioEmulator", "TwilioRecord", "error_body", "formatted"]

# The emulator keeps its own copy of Twilio's rules (not the adapter's), so an adapter
# mistake cannot hide behind the same mistake here.
VERSION = "2010-04-01"
LABEL_MAX = 64
_HEX32 = "[0-9a-f]{32}"
_ITEM = re.compile(r"/IncomingPhoneNumbers/(PN[0-9a-fA-F]{32})\.json")
_SIDS = {
    "VoiceApplicationSid": re.compile("AP" + _HEX32, re.I),
    "SmsApplicationSid": re.compile("AP" + _HEX32, re.I),
    "TrunkSid": re.compile("TK" + _HEX32, re.I),
}
_URLS = ("VoiceUrl", "VoiceFallbackUrl", "StatusCallback", "SmsUrl", "SmsFallbackUrl")
_METHODS = (
    "VoiceMethod",
    "VoiceFallbackMethod",
    "StatusCallbackMethod",
    "SmsMethod",
    "SmsFallbackMethod",
)
# Form parameter → resource field, for the parameters stored as they are sent.
_FIELDS = {
    "FriendlyName": "friendly_name",
    "VoiceUrl": "voice_url",
    "VoiceMethod": "voice_method",
    "VoiceFallbackUrl": "voice_fallback_url",
    "VoiceFallbackMethod": "voice_fallback_method",
    "StatusCallback": "status_callback",
    "StatusCallbackMethod": "status_callback_method",
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsFallbackMethod": "sms_fallback_method",
    "VoiceApplicationSid": "voice_application_sid",
    "SmsApplicationSid": "sms_application_sid",
    "TrunkSid": "trunk_sid",
    "VoiceReceiveMode": "voice_receive_mode",
    "VoiceCallerIdLookup": "voice_caller_id_lookup",
}
# What a cleared field reads back as, from the OpenAPI document's examples: null for
# these, "" for the others.
_CLEARED_NULL = frozenset({"voice_url", "voice_fallback_url", "trunk_sid"})
_MESSAGES = {
    400: "Bad request",
    401: "Authenticate",
    404: "The requested resource {path} was not found",
    405: "Method not allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
# Twilio's code for each status it answers itself (the 4xx ones documented; 20500 and
# 20503 by the same rule, a decision).
_CODES = {400: 20001, 401: 20003, 404: 20404, 405: 20004, 429: 20429}
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
_DEFAULT_PAGE_SIZE = 50
_MAX_PAGE_SIZE = 1000


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's error body: ``code``, ``message``, ``more_info`` (the code's page), ``status``."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def now_iso() -> str:
    """The wall clock updates are stamped with, ISO 8601 (a test or a recording
    replaces it); written back in Twilio's RFC 2822 form."""
    return wire_now_iso()


def _rfc2822(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC))


def formatted(e164: str) -> str:
    """Twilio's default ``friendly_name``: ``(202) 555-1235`` for a North American
    number (the OpenAPI document's examples), the number itself otherwise (a decision)."""
    if len(e164) == 12 and e164.startswith("+1"):
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    return e164


def _is_url(value: str) -> bool:
    """What Twilio accepts as a URL (21402 otherwise): http or https, with a host."""
    if any(ch.isspace() for ch in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


def _pattern(value: str) -> re.Pattern[str]:
    """The ``PhoneNumber`` filter: the digits given, anywhere in the number, with
    ``*`` for any one digit (partial numbers match)."""
    digits = "".join(ch for ch in value if ch.isdigit() or ch == "*")
    return re.compile(re.escape(digits).replace(r"\*", "[0-9]"))


class TwilioRecord(dict[str, Any]):
    """A stored IncomingPhoneNumber: the resource as Twilio answers it (a dict), with
    its SID also as ``id``, as every emulator's records have one."""

    @property
    def id(self) -> str:
        """The number's SID."""
        return str(self["sid"])


def _hex(r: Any) -> str:
    return f"{r.getrandbits(128):032x}"


class TwilioEmulator(Emulator):
    """A stateful Twilio account and its incoming phone numbers."""

    provider: ClassVar[str] = "twilio"
    base_path: ClassVar[str] = f"/{VERSION}"
    # Twilio's Auth Tokens are 32 hex digits, what the base class generates.
    key_prefix: ClassVar[str] = ""
    #: The emulator's key is its account's Auth Token.
    key_credential: ClassVar[str] = "auth_token"

    def setup(self) -> None:
        """An empty account, its SID made from the seed, with one API key."""
        self._ids = rng(self.seed, "twilio-ids")
        self.account_sid = "AC" + _hex(self._ids)
        self.numbers: dict[str, TwilioRecord] = {}
        #: API key SID → its secret.
        self.api_keys: dict[str, str] = {}
        self._created = 0
        self._requests = 0
        self.api_key_sid, self.api_secret = self.add_api_key()

    def add_api_key(self) -> tuple[str, str]:
        """A new API key of the account: its SID (``SK...``) and secret."""
        with self.lock:
            sid, secret = "SK" + _hex(self._ids), _hex(self._ids)
            self.api_keys[sid] = secret
            return sid, secret

    def identifiers(self) -> dict[str, str]:
        """The Account SID, which names the account in every path."""
        return {"account_sid": self.account_sid}

    def common_headers(self) -> dict[str, str]:
        """``Twilio-Request-Id`` (``RQ`` + 32 hex digits) on every answer."""
        with self.lock:
            self._requests += 1
            return {"Twilio-Request-Id": f"RQ{self._requests:032x}"}

    def _stamp(self) -> str:
        # Creation times step from a fixed epoch, so a seed gives the same numbers,
        # dates included, in every process; updates stamp the wall clock.
        self._created += 1
        return _rfc2822(_EPOCH + timedelta(seconds=self._created))

    def item_uri(self, sid: str) -> str:
        """A number's ``uri``, relative to the host, as Twilio writes it."""
        return f"/{VERSION}/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json"

    def add_number(self, number: str, **fields: Any) -> TwilioRecord:
        """Add a number; ``fields`` are resource fields (``friendly_name``,
        ``voice_url``, ``sms_application_sid``, ...). Returns the stored resource."""
        with self.lock:
            sid = "PN" + _hex(self._ids)
            stamp = self._stamp()
            record = TwilioRecord(
                {
                    "account_sid": self.account_sid,
                    "address_requirements": "none",
                    "address_sid": None,
                    "api_version": VERSION,
                    "beta": False,
                    "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
                    "date_created": stamp,
                    "date_updated": stamp,
                    "emergency_status": "Inactive",
                    "emergency_address_sid": None,
                    "emergency_address_status": "unregistered",
                    "friendly_name": formatted(number),
                    "identity_sid": None,
                    "origin": "twilio",
                    "phone_number": number,
                    "sid": sid,
                    "sms_application_sid": "",
                    "sms_fallback_method": "POST",
                    "sms_fallback_url": "",
                    "sms_method": "POST",
                    "sms_url": "",
                    "status_callback": "",
                    "status_callback_method": "POST",
                    "trunk_sid": None,
                    "uri": self.item_uri(sid),
                    "voice_application_sid": "",
                    "voice_caller_id_lookup": False,
                    "voice_fallback_method": "POST",
                    "voice_fallback_url": None,
                    "voice_method": "POST",
                    "voice_url": None,
                    "voice_receive_mode": "voice",
                    "status": "in-use",
                    "bundle_sid": None,
                    "subresource_uris": {
                        "assigned_add_ons": self.item_uri(sid).removesuffix(".json")
                        + "/AssignedAddOns.json"
                    },
                    "type": "local",
                }
            )
            unknown = set(fields) - set(record)
            if unknown:
                raise ValueError(f"not IncomingPhoneNumber fields: {sorted(unknown)}")
            record.update(fields)
            self.numbers[sid] = record
            return record

    def get(self, sid: str) -> TwilioRecord:
        """The stored resource with this SID."""
        return self.numbers[sid]

    def seed_numbers(self, count: int, *, seed: int, populate: float) -> None:
        """``count`` numbers; ``populate`` of them with a label and webhook URLs."""
        r = rng(seed, "twilio")
        for i, number in enumerate(e164_numbers(count, seed)):
            if r.random() < populate:
                self.add_number(
                    number,
                    friendly_name=f"Line {i}",
                    voice_url=f"https://hooks.example/voice/{i}",
                    sms_url=f"https://hooks.example/sms/{i}",
                    status_callback=r.choice(("", f"https://hooks.example/status/{i}")),
                )
            else:
                self.add_number(number)

    # ------------------------------------------------------------ HTTP

    def _credentials(self, request: EmuRequest) -> tuple[str, str] | None:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        return basic_credentials(value) if scheme == "Basic" else None

    def authenticate(self, request: EmuRequest) -> EmuResponse | None:
        """HTTP Basic: the Account SID and its Auth Token, or an API key and its secret."""
        pair = self._credentials(request)
        good = pair is not None and (
            pair == (self.account_sid, self.api_key)
            or (pair[0] in self.api_keys and self.api_keys[pair[0]] == pair[1])
        )
        return None if good else self.error(401)

    def error(self, status: int, message: str | None = None, **extra: Any) -> EmuResponse:
        """Twilio's error body; ``extra`` may give the ``code`` (else the status's)."""
        code = extra.get("code") or _CODES.get(status, 20000 + status)
        text = message or _MESSAGES.get(status, "Error").format(path=extra.get("path", ""))
        headers: dict[str, str] = {}
        if status == 429:
            # The limit Twilio names is one of concurrency; it documents this header.
            headers["Twilio-Concurrent-Requests"] = "1"
            # Whether this API sends Retry-After is not documented: the rate limiter's
            # 429 says when a request would pass (a decision, providers/twilio/README),
            # a 429 programmed without a wait says nothing.
            wait = extra.get("retry_after")
            if wait is not None:
                headers["Retry-After"] = str(whole_seconds(wait))
        return json_response(status, error_body(status, code, text), headers)

    def _not_found(self, request: EmuRequest) -> EmuResponse:
        return self.error(404, path=self.base_path + request.path)

    def route(self, request: EmuRequest) -> EmuResponse:
        """List, get and update, under this account only."""
        prefix = f"/Accounts/{self.account_sid}"
        if not request.path.startswith(prefix + "/"):
            return self._not_found(request)
        path = request.path[len(prefix) :]
        if path == "/IncomingPhoneNumbers.json":
            return self._list(request) if request.method == "GET" else self.error(405)
        match = _ITEM.fullmatch(path)
        record = self.numbers.get(match.group(1)) if match else None
        if record is None:
            return self._not_found(request)
        if request.method == "GET":
            return json_response(200, record)
        if request.method == "POST":
            return self._update(record, request)
        return self.error(405)

    def _list(self, request: EmuRequest) -> EmuResponse:
        q = request.query
        try:
            size = int(q.get("PageSize", _DEFAULT_PAGE_SIZE))
            page = int(q.get("Page", 0))
        except ValueError:
            return self.error(400, "PageSize and Page must be whole numbers")
        if not 1 <= size <= _MAX_PAGE_SIZE or page < 0:
            return self.error(400, f"PageSize must be 1 to {_MAX_PAGE_SIZE}, Page 0 or more")
        rows = list(self.numbers.values())  # in the order they were added
        if "PhoneNumber" in q:
            pattern = _pattern(q["PhoneNumber"])
            rows = [n for n in rows if pattern.search(n["phone_number"])]
        if "FriendlyName" in q:
            rows = [n for n in rows if n["friendly_name"] == q["FriendlyName"]]
        token = q.get("PageToken")
        if token is not None:
            # The token names the last SID of the page before: the listing goes on
            # after it, so numbers added meanwhile never shift a page.
            after = next((i for i, n in enumerate(rows) if "PA" + n["sid"] == token), None)
            if after is None:
                return self.error(400, "Invalid PageToken", code=21481)
            rows = rows[after + 1 :]
        elif page:
            rows = rows[page * size :]
        shown = rows[:size]
        filters = {k: q[k] for k in ("PhoneNumber", "FriendlyName") if k in q}
        base = f"/{VERSION}/Accounts/{self.account_sid}/IncomingPhoneNumbers.json"

        def uri(**params: Any) -> str:
            return base + "?" + urlencode({**filters, "PageSize": size, **params})

        start = page * size
        next_uri = None
        if len(rows) > size:
            next_uri = uri(Page=page + 1, PageToken="PA" + shown[-1]["sid"])
        body = {
            "end": start + max(len(shown) - 1, 0),
            "first_page_uri": uri(Page=0),
            "incoming_phone_numbers": shown,
            "next_page_uri": next_uri,
            "page": page,
            "page_size": size,
            "previous_page_uri": uri(Page=page - 1) if page else None,
            "start": start,
            "uri": uri(Page=page),
        }
        return json_response(200, body)

    def _invalid(self, form: dict[str, str]) -> EmuResponse | None:
        """Twilio's answer to the first parameter it refuses, or ``None``."""
        for param in _URLS:
            value = form.get(param)
            if value and not _is_url(value):
                return self.error(
                    400,
                    f"The requested {param} '{value}' is not a valid URL",
                    code=21402,
                )
        for param in _METHODS:
            value = form.get(param)
            if value and value.upper() not in ("GET", "POST"):
                return self.error(400, f"{param} must be GET or POST")
        for param, pattern in _SIDS.items():
            value = form.get(param)
            if value and not pattern.fullmatch(value):
                return self.error(400, f"{param} is not a valid SID")
        label = form.get("FriendlyName")
        if label is not None and len(label) > LABEL_MAX:
            return self.error(400, f"FriendlyName must be at most {LABEL_MAX} characters")
        mode = form.get("VoiceReceiveMode")
        if mode and mode not in ("voice", "fax"):
            return self.error(400, "VoiceReceiveMode must be voice or fax")
        return None

    def _update(self, record: dict[str, Any], request: EmuRequest) -> EmuResponse:
        try:
            form = request.form()
        except ValueError:
            return self.error(400, "The body must be application/x-www-form-urlencoded")
        refusal = self._invalid(form)
        if refusal is not None:
            return refusal
        # Other parameters (AccountSid, AddressSid, ...) are outside what is emulated;
        # Twilio does not say it refuses unknown ones, so they are ignored (a decision).
        for param, key in _FIELDS.items():
            if param not in form:
                continue
            value: Any = form[param]
            if key.endswith("_method"):
                value = value.upper() or "POST"
            elif key == "voice_caller_id_lookup":
                value = value.lower() == "true"
            elif key == "friendly_name" and value == "":
                value = formatted(record["phone_number"])
            elif value == "" and key in _CLEARED_NULL:
                value = None
            record[key] = value
        # A voice application and a trunk exclude each other: setting one removes the
        # other.
        if form.get("VoiceApplicationSid"):
            record["trunk_sid"] = None
        if form.get("TrunkSid"):
            record["voice_application_sid"] = ""
        record["date_updated"] = _rfc2822(datetime.fromisoformat(now_iso()))
        return json_response(200, record)


# ---------------------------------------------------------------- test profile

_UNKNOWN = "PN" + "0" * 32
_SAMPLES_ACCOUNT = "AC4e92a91e3256f991b1df2d66e50c9042"
_SID = re.compile("PN" + _HEX32)
_RQ = re.compile("RQ" + _HEX32)
_ACCOUNT_IN_TEXT = re.compile("AC" + _HEX32)


def _landed(emu: TwilioEmulator, number_id: str) -> bool:
    return bool(emu.get(number_id)["friendly_name"] == "Front desk")


def _raw_write(emu: TwilioEmulator) -> RawWrite:
    record = emu.add_number("+12025550142", friendly_name="Before")
    path = PROFILE.item_path_of(emu, record.id)
    return RawWrite(
        "POST", path, Form({"FriendlyName": "After"}), lambda: record["friendly_name"] == "After"
    )


def _contract_setup(emu: TwilioEmulator) -> Seeded:
    own = emu.add_number("+18089255327", friendly_name="Front desk").id
    other = emu.add_number("+18089255328").id
    return Seeded(emu, own, {"other": other})


def _unknown(s: Seeded) -> str:
    return s.item_path(_UNKNOWN)


def _other(s: Seeded) -> str:
    return s.item_path(s.ids["other"])


def _blank_request_ids(body: Any) -> Any:
    # The account's SID is made from the emulator's seed: named alike in every message.
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        body["message"] = _ACCOUNT_IN_TEXT.sub("AC<account>", body["message"])
    return body


def _expected_error(body: Any) -> dict[str, object]:
    return {"code": body["code"], "message": body["message"], "doc_url": body["more_info"]}


_CASES = (
    ContractCase(
        operation="list", status=200, cause="ok", params={"PageSize": "1"}, sample="list.200.json"
    ),
    ContractCase(
        operation="list",
        status=200,
        cause="last-page",
        params={"PageSize": "1", "Page": "1"},
        sample="list.200.last_page.json",
    ),
    ContractCase(
        operation="list",
        status=400,
        cause="page-token",
        params={"PageToken": "PAnope"},
        sample="list.400.json",
    ),
    ContractCase(
        operation="list",
        status=404,
        cause="another-account",
        path="/Accounts/AC" + "f" * 32 + "/IncomingPhoneNumbers.json",
        sample="list.404.json",
    ),
    ContractCase(operation="get", status=200, cause="ok", sample="get.200.json"),
    ContractCase(
        operation="get", status=404, cause="unknown", path=_unknown, sample="get.404.json"
    ),
    ContractCase(
        operation="update",
        status=200,
        cause="set",
        path=_other,
        body=Form(
            {
                "FriendlyName": "Sales line",
                "VoiceUrl": "https://hooks.example/voice/2",
                "VoiceFallbackUrl": "https://hooks.example/voice/fallback",
                "StatusCallback": "https://hooks.example/call-status",
                "SmsUrl": "https://hooks.example/sms/2",
                "SmsFallbackUrl": "https://hooks.example/sms/fallback",
            }
        ),
        sample="update.200.json",
    ),
    ContractCase(
        operation="update",
        status=200,
        cause="cleared",
        path=_other,
        body=Form(
            dict.fromkeys(
                (
                    "FriendlyName",
                    "VoiceUrl",
                    "VoiceFallbackUrl",
                    "StatusCallback",
                    "SmsUrl",
                    "SmsFallbackUrl",
                ),
                "",
            )
        ),
        sample="update.200.cleared.json",
    ),
    ContractCase(
        operation="update", status=404, cause="unknown", path=_unknown, sample="update.404.json"
    ),
)


def _held(emu: TwilioEmulator) -> list[Held]:
    return [
        Held(n.id, n["phone_number"], bool(n["voice_url"] or n["sms_url"]))
        for n in emu.numbers.values()
    ]


def _server_error_body(emu: Any, status: int, headers: Mapping[str, str]) -> Any:
    code = _CODES.get(status, 20000 + status)
    return error_body(status, code, _MESSAGES.get(status, "Error"))


def _rate_limit_answer(headers: Mapping[str, str], body: Any) -> dict[str, object]:
    return {"Retry-After": headers.get("Retry-After"), "body": body}


def _expected_rate_limit(emu: TwilioEmulator, wait: int, asked: bool) -> dict[str, object]:
    return {
        "Retry-After": str(wait) if asked else None,
        "body": error_body(429, 20429, "Too Many Requests"),
    }


def _wire_item(sid: str = "PN" + "a" * 32) -> dict[str, Any]:
    return {
        "account_sid": "AC" + "a" * 32,
        "friendly_name": "Line 1",
        "phone_number": "+12025550142",
        "sid": sid,
        "sms_url": "https://hooks.example.com/in",
        "sms_fallback_url": "",
        "status_callback": "",
        "voice_url": None,
        "voice_fallback_url": None,
        "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
        "date_created": "Thu, 01 Jan 2026 00:00:01 +0000",
        "date_updated": "Thu, 01 Jan 2026 00:00:01 +0000",
        "uri": f"/{VERSION}/Accounts/AC{'a' * 32}/IncomingPhoneNumbers/{sid}.json",
    }


def _wire_list(items: list[Any]) -> Any:
    return {"incoming_phone_numbers": items, "next_page_uri": None, "page": 0, "page_size": 1000}


def _bad_envelopes(item: Any) -> list[tuple[str, Any]]:
    ok = _wire_list([item])
    return [
        ("next_page_uri missing", {k: v for k, v in ok.items() if k != "next_page_uri"}),
        ("next_page_uri as number", {**ok, "next_page_uri": 2}),
        ("next_page_uri elsewhere", {**ok, "next_page_uri": "https://evil.example/x.json"}),
        ("next_page_uri huge", {**ok, "next_page_uri": f"/{VERSION}/" + "c" * 70_000}),
        ("numbers as dict", {**ok, "incoming_phone_numbers": item}),
        ("numbers null", {**ok, "incoming_phone_numbers": None}),
    ]


#: What the generic test suites need to know about twilio. Paths name the emulator's
#: account (``{emu.account_sid}``); its key is the account's Auth Token.
PROFILE = ProviderProfile(
    provider="twilio",
    list_path="/Accounts/{emu.account_sid}/IncomingPhoneNumbers.json",
    item_path="/Accounts/{emu.account_sid}/IncomingPhoneNumbers/{id}.json",
    sample_id="PN" + "b" * 32,
    unknown_id=_UNKNOWN,
    update=RoutingUpdate(label="Front desk"),
    update_landed=_landed,
    raw_write=_raw_write,
    # Without an emulator, the account of providers/twilio/samples (seed 11).
    credentials=lambda emu, secret: {
        "account_sid": emu.account_sid if emu is not None else _SAMPLES_ACCOUNT,
        "auth_token": secret,
    },
    contract_setup=_contract_setup,
    contract_operations={
        "list": lambda s: ("GET", s.list_path(), None),
        "get": lambda s: ("GET", s.item_path(s.own), None),
        "update": lambda s: ("POST", s.item_path(s.own), Form({"FriendlyName": "Sales line"})),
    },
    contract_cases=_CASES,
    unreproduced_samples={
        "update.400.invalid_url.json": "a URL the adapter never sends (tests/contract)",
        "update.400.friendly_name.json": "a label the adapter refuses first (tests/contract)",
    },
    not_emulated=frozenset({("update", "400")}),
    blank_request_ids=_blank_request_ids,
    contract_updates=(
        RoutingUpdate(
            label="Front",
            voice_url="https://a.example/voice",
            voice_fallback_url="https://a.example/vf",
            call_status_url="https://a.example/status",
            inbound_url="https://a.example/in",
            inbound_fallback_url="https://a.example/sf",
        ),
        RoutingUpdate(
            label=None,
            voice_url=None,
            voice_fallback_url=None,
            call_status_url=None,
            inbound_url=None,
            inbound_fallback_url=None,
        ),
    ),
    expected_error=_expected_error,
    held_numbers=_held,
    id_shape=lambda number_id: _SID.fullmatch(number_id) is not None,
    wall_clock=("phonerouting.testing.twilio:now_iso",),
    server_error_body=_server_error_body,
    rate_limit_answer=_rate_limit_answer,
    expected_rate_limit=_expected_rate_limit,
    id_pattern="PN[0-9a-fA-F]{32}",
    request_id_on_every_answer=True,
    wire_item=_wire_item(),
    wire_id="PN" + "a" * 32,
    wire_id_key="sid",
    wire_number_key="phone_number",
    wire_route_key="sms_url",
    wire_list=_wire_list,
    wire_item_id=lambda n: f"PN{n:032x}",
    wire_bad_envelopes=_bad_envelopes,
    wire_bad_fields=(
        ("friendly_name as int", "friendly_name", 5),
        ("sid malformed", "sid", "PN123"),
    ),
    contract_endpoints=frozenset(
        {
            ("GET", "/Accounts/{AccountSid}/IncomingPhoneNumbers.json", "list"),
            ("GET", "/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json", "get"),
            ("POST", "/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json", "update"),
        }
    ),
    contract_security=[[{"type": "http", "scheme": "basic"}]],
)
TwilioEmulator.profile = PROFILE
