"""Twilio (``twilio``): IncomingPhoneNumbers of the 2010-04-01 REST API.

Wire rules (providers/twilio/README.md, from Twilio's OpenAPI document and official
client): every path is under ``/Accounts/{AccountSid}/IncomingPhoneNumbers`` and ends
with ``.json`` (without it Twilio answers XML), so the adapter is built per account
(`TwilioAdapter.for_account`). HTTP Basic with the Account SID and its Auth Token, or
with an API key SID (``SK...``) and its secret. A listing pages with ``PageSize`` and
follows ``next_page_uri``, which is relative to the host and starts with the version
(``/2010-04-01/...``). An update is a form-encoded ``POST`` of PascalCase parameters: a
parameter left out is left alone, one sent empty is cleared. Cleared fields read back as
``""`` or ``null`` (both occur); both read as ``None``, and so does a ``FriendlyName``
that is Twilio's default, the number's own formatted form. Errors are
``{"code", "message", "more_info", "status"}`` with a ``Twilio-Request-Id`` header.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Final
from urllib.parse import parse_qsl, urlsplit

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
from phonerouting.errors import ValidationError
from phonerouting.model import PhoneNumber, RoutingUpdate, freeze_raw

__all__ = ["LABEL_MAX", "PAGE_SIZE", "VERSION", "TwilioAdapter", "default_friendly_name"]

#: The API version, the last part of the base URL and the first of every URI Twilio
#: answers with (``next_page_uri``).
VERSION: Final = "2010-04-01"
#: The largest page Twilio serves: fewer round trips for a full listing.
PAGE_SIZE: Final = 1000
#: Twilio's limit on ``FriendlyName``.
LABEL_MAX: Final = 64

_HEX32 = "[0-9a-fA-F]{32}"
_ACCOUNT = re.compile("AC" + _HEX32)
_NUMBER_SID = re.compile("PN" + _HEX32)
# A next_page_uri's query goes back on the wire: printable ASCII, bounded.
_QUERY = re.compile(r"[\x21-\x7e]{0,4096}")

# Normalized field → Twilio's update parameter (and the response field it reads back
# as), in the order they are sent.
_PARAMS: Final[Mapping[str, tuple[str, str]]] = {
    "label": ("FriendlyName", "friendly_name"),
    "voice_url": ("VoiceUrl", "voice_url"),
    "voice_fallback_url": ("VoiceFallbackUrl", "voice_fallback_url"),
    "call_status_url": ("StatusCallback", "status_callback"),
    "inbound_url": ("SmsUrl", "sms_url"),
    "inbound_fallback_url": ("SmsFallbackUrl", "sms_fallback_url"),
}
# What Twilio ignores a number's URLs for: its voice URLs while a voice application or
# an Elastic SIP trunk handles its calls, its SMS URLs while a messaging application
# handles its messages. Response field → (parameter named in errors, fields it overrides).
_OVERRIDES: Final = (
    ("voice_application_sid", "VoiceApplicationSid", ("voice_url", "voice_fallback_url")),
    ("trunk_sid", "TrunkSid", ("voice_url", "voice_fallback_url")),
    ("sms_application_sid", "SmsApplicationSid", ("inbound_url", "inbound_fallback_url")),
)
_OVERRIDDEN: Final = frozenset(f for _, _, fields in _OVERRIDES for f in fields)


def default_friendly_name(e164: str) -> str:
    """The ``FriendlyName`` Twilio gives a number it has no label for: its national
    form for a North American number (``+12025551235`` → ``(202) 555-1235``), as the
    OpenAPI document's examples show, else the number itself (a decision: Twilio does
    not document the others)."""
    if len(e164) == 12 and e164.startswith("+1") and e164[2:].isdigit():
        return f"({e164[2:5]}) {e164[5:8]}-{e164[8:]}"
    return e164


def _date(obj: Mapping[str, Any], key: str) -> datetime | None:
    """An RFC 2822 date (``Thu, 30 Jul 2015 23:19:04 +0000``), as Twilio writes them."""
    value = wire.opt_str(obj, key)
    if value is None:
        return None
    # Imported here: email.utils costs a good share of `import phonerouting`.
    import email.utils

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise wire.ShapeError(f"{key!r} is not an RFC 2822 date") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class TwilioAdapter(Adapter):
    """The ``twilio`` adapter, for one account (``account_sid``); the provider's shared
    adapter (built with none) describes the provider but builds no request."""

    name: ClassVar[str] = "twilio"
    default_base_url: ClassVar[str] = f"https://api.twilio.com/{VERSION}"
    api_key_env: ClassVar[str] = "TWILIO_AUTH_TOKEN"
    request_id_header: ClassVar[str | None] = "Twilio-Request-Id"
    credentials: ClassVar[tuple[Credential, ...]] = (
        Credential(
            "account_sid",
            "TWILIO_ACCOUNT_SID",
            secret=False,
            label="Account SID",
            pattern=_ACCOUNT.pattern,
            example="AC followed by 32 hex digits",
        ),
        Credential("auth_token", "TWILIO_AUTH_TOKEN", label="Auth Token"),
        Credential(
            "api_key",
            "TWILIO_API_KEY",
            secret=False,
            label="API key SID",
            pattern="SK" + _HEX32,
            example="SK followed by 32 hex digits",
        ),
        Credential("api_secret", "TWILIO_API_SECRET", label="API key secret"),
    )
    # The Auth Token first: with both kinds in the environment, it is the one used.
    credential_sets: ClassVar[tuple[tuple[str, ...], ...]] = (
        ("account_sid", "auth_token"),
        ("account_sid", "api_key", "api_secret"),
    )
    capabilities = capabilities("twilio", tuple(_PARAMS))
    wire_fields: ClassVar[Mapping[str, str]] = {
        **{param: field for field, (param, _) in _PARAMS.items()},
        **{key: field for field, (_, key) in _PARAMS.items()},
    }

    def __init__(self, account_sid: str | None = None) -> None:
        if account_sid is not None and not _ACCOUNT.fullmatch(account_sid):
            # connect() checks it first; this guards a direct construction.
            raise ValueError("account_sid must be AC followed by 32 hex digits")
        #: The account every path is under; ``None`` for the provider's shared adapter.
        self.account_sid = account_sid

    def __repr__(self) -> str:
        return f"TwilioAdapter(account_sid={self.account_sid!r})"

    def for_account(self, settings: Mapping[str, str]) -> TwilioAdapter:
        """The adapter of the account ``settings["account_sid"]`` names."""
        return TwilioAdapter(settings["account_sid"])

    def authenticate(self, credentials: Mapping[str, str]) -> dict[str, str]:
        """HTTP Basic: the API key SID and its secret when the key is used, else the
        Account SID and its Auth Token."""
        if "api_key" in credentials:
            user, password = credentials["api_key"], credentials["api_secret"]
        else:
            user, password = credentials["account_sid"], credentials["auth_token"]
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {token}"}

    # ------------------------------------------------------------ requests

    def _list_path(self) -> str:
        if self.account_sid is None:
            # An adapter bug, not a user's: clients are always built for an account.
            raise RuntimeError(
                "the shared twilio adapter has no account: build requests with "
                "adapter.for_account({'account_sid': ...}) (connect() does)"
            )
        return f"/Accounts/{self.account_sid}/IncomingPhoneNumbers.json"

    def _item_path(self, number_id: str) -> str:
        return self._list_path().removesuffix(".json") + f"/{number_id}.json"

    def normalize_id(self, number_id: object) -> str:
        """An IncomingPhoneNumber SID: ``PN`` followed by 32 hex digits."""
        if not isinstance(number_id, str) or _NUMBER_SID.fullmatch(number_id) is None:
            raise ValidationError(
                f"number_id {inputs.shown(number_id)} is not a Twilio phone number SID "
                "(PN followed by 32 hex digits)",
                field="number_id",
                provider=self.name,
            )
        return number_id

    def list_request(self) -> Request:
        """The first page of the account's numbers, as large as Twilio serves."""
        return Request("GET", self._list_path(), params={"PageSize": PAGE_SIZE})

    def find_request(self, e164: str) -> Request:
        """The list filtered by ``PhoneNumber``: a pattern match on Twilio's side, so
        the core still matches the results exactly."""
        return Request(
            "GET", self._list_path(), params={"PhoneNumber": e164, "PageSize": PAGE_SIZE}
        )

    def get_request(self, number_id: str) -> Request:
        """``GET .../IncomingPhoneNumbers/{Sid}.json``."""
        return Request("GET", self._item_path(number_id))

    def update_requests(self, number_id: str, update: RoutingUpdate) -> list[Request]:
        """One form-encoded POST of the changed parameters; a cleared one sent empty.

        A label over Twilio's 64 characters is a ValidationError here, before sending.
        """
        changes = self.check_supported(update)
        label = changes.get("label")
        if label is not None and len(label) > LABEL_MAX:
            raise ValidationError(
                f"label is {len(label)} characters long; Twilio's FriendlyName holds at "
                f"most {LABEL_MAX}",
                field="label",
                provider=self.name,
            )
        form = {
            param: "" if changes[field] is None else changes[field]
            for field, (param, _) in _PARAMS.items()
            if field in changes
        }
        if not form:
            return []
        return [Request("POST", self._item_path(number_id), form=form)]

    def reads_before_update(self, update: RoutingUpdate) -> bool:
        """An update of a URL an application or trunk can override needs the number's
        current state (`refuse_update`)."""
        return any(field in _OVERRIDDEN for field in update.changes())

    def refuse_update(self, number: PhoneNumber, update: RoutingUpdate) -> ValidationError | None:
        """Why ``update`` would silently do nothing on ``number``: Twilio ignores the
        voice URLs of a number with a ``VoiceApplicationSid`` or ``TrunkSid`` and the
        SMS URLs of one with an ``SmsApplicationSid``."""
        changes = update.changes()
        for key, param, fields in _OVERRIDES:
            overridden = [field for field in fields if field in changes]
            sid = wire.error_str(number.raw, key)
            if overridden and sid is not None:
                names = " and ".join(overridden)
                return ValidationError(
                    f"number {number.number} ({number.id}) has a {param} ({sid}), so "
                    f"Twilio ignores its {names}: the update would do nothing",
                    field=overridden[0],
                    provider=self.name,
                    hint=(
                        f"Remove the {param} from the number in Twilio first, or leave "
                        f"{names} out of the update; nothing was sent."
                    ),
                )
        return None

    # ------------------------------------------------------------ responses

    def parse_list(self, data: Any, request: Request) -> Page:
        """``incoming_phone_numbers``, and ``next_page_uri`` (null or empty on the last
        page) resolved against the configured base URL."""
        obj = wire.req_dict(data, "the list response")
        items = wire.req_list(obj, "incoming_phone_numbers")
        if "next_page_uri" not in obj:
            # Taking a page without it as the last would silently drop the rest.
            raise wire.ShapeError("'next_page_uri' is missing")
        uri = obj["next_page_uri"]
        following = None
        if uri is not None and uri != "":
            if not isinstance(uri, str):
                raise wire.ShapeError("'next_page_uri' is not a string or null")
            following = self._next_request(uri)
        return Page([self._number(item) for item in items], following)

    def _next_request(self, uri: str) -> Request:
        """``next_page_uri`` (``/2010-04-01/Accounts/.../IncomingPhoneNumbers.json?...``)
        as a request relative to the base URL, which already ends with the version: the
        version is taken off, never joined twice. It must name this account's list."""
        parts = urlsplit(uri)
        prefix = f"/{VERSION}"
        path = parts.path.removeprefix(prefix)
        if (
            parts.scheme
            or parts.netloc
            or not parts.path.startswith(prefix + "/")
            or path != self._list_path()
            or not _QUERY.fullmatch(parts.query)
        ):
            raise wire.ShapeError(
                "'next_page_uri' is not a page of this account's IncomingPhoneNumbers"
            )
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        return Request("GET", path, params=params)

    def parse_number(self, data: Any) -> PhoneNumber:
        """One IncomingPhoneNumber resource."""
        return self._number(data)

    def _number(self, item: Any) -> PhoneNumber:
        obj = wire.req_dict(item, "an incoming phone number")
        number = wire.req_phone(obj, "phone_number")
        label = wire.opt_str(obj, "friendly_name")
        caps = obj.get("capabilities")
        caps = caps if isinstance(caps, dict) else {}
        return PhoneNumber(
            provider=self.name,
            id=wire.req_id(obj, "sid", _NUMBER_SID),
            number=number,
            # Twilio's default name is no label: a migration must never copy it as one.
            label=None if label == default_friendly_name(number) else label,
            inbound_url=wire.opt_str(obj, "sms_url"),
            inbound_fallback_url=wire.opt_str(obj, "sms_fallback_url"),
            voice_url=wire.opt_str(obj, "voice_url"),
            voice_fallback_url=wire.opt_str(obj, "voice_fallback_url"),
            call_status_url=wire.opt_str(obj, "status_callback"),
            sms_enabled=wire.opt_bool(caps, "sms"),
            mms_enabled=wire.opt_bool(caps, "mms"),
            created_at=_date(obj, "date_created"),
            updated_at=_date(obj, "date_updated"),
            raw=freeze_raw(obj),
        )

    def parse_error(self, status: int, data: Any) -> ErrorInfo:
        """``{"code": int, "message", "more_info": doc URL, "status"}``."""
        if not isinstance(data, dict):
            return ErrorInfo()
        code = data.get("code")
        if isinstance(code, bool) or not isinstance(code, int | str):
            code = None
        return ErrorInfo(
            code=code,
            message=wire.error_str(data, "message"),
            doc_url=wire.error_str(data, "more_info"),
            details=wire.error_details(data.get("details")),
        )
