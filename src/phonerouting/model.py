"""The normalized model: one phone number, one routing update, one capability set.

A field of a `RoutingUpdate` is in one of three states:

* `UNSET` — leave it alone; it is never sent.
* ``None`` (or its alias `CLEAR`, or ``""`` for a string field, ``()`` for a list
  field) — clear it; each provider's adapter decides how "clear" goes on the wire.
* a value — set it. Values are validated and normalized when the update is built, so an
  invalid update cannot exist and nothing invalid is ever sent.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, ItemsView, Iterable, Iterator, Mapping, ValuesView
from datetime import datetime
from typing import Any, Final, Literal, TypeAlias, TypeVar

import attrs

from phonerouting import inputs
from phonerouting.errors import ValidationError

__all__ = [
    "CLEAR",
    "ROUTING_FIELDS",
    "UNSET",
    "Capabilities",
    "PhoneNumber",
    "RoutingUpdate",
    "Unset",
    "UpdateResult",
]


class _UnsetType(enum.Enum):
    """The type of `UNSET`; an enum so type checkers can narrow on ``is UNSET``."""

    UNSET = "UNSET"

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "UNSET"

    __str__ = __repr__


UNSET: Final = _UnsetType.UNSET
"""Leave this field alone: it is not sent and the vendor keeps its current value."""
Unset: TypeAlias = Literal[_UnsetType.UNSET]
"""The type of `UNSET`, for annotations."""
CLEAR: Final[None] = None
"""Clear this field. A readable alias of ``None``."""

#: The seventeen routable fields, in the order of the provider support table.
ROUTING_FIELDS: Final[tuple[str, ...]] = (
    "forwarding_number",
    "inbound_url",
    "status_url",
    "label",
    "campaign_id",
    "voicemail_greeting_url",
    "ring_duration",
    "participants",
    "external_numbers",
    "press_1_to_accept",
    "voice_url",
    "voice_fallback_url",
    "inbound_fallback_url",
    "call_status_url",
    "connection_id",
    "messaging_profile_id",
    "tags",
)

_T = TypeVar("_T")


def _tri_state(
    value: object, normalize: Callable[[object, str], _T], field: str
) -> _T | Unset | None:
    """UNSET and None kept, "" → None (clear), anything else normalized."""
    if value is UNSET or value is None:
        return value
    if isinstance(value, str) and value == "":
        return None
    return normalize(value, field)


def _normalize_ring_duration(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{field} must be a whole number of seconds, not {type(value).__name__}",
            field=field,
        )
    if not 15 <= value <= 90:
        message = f"{field} must be between 15 and 90 seconds, not {inputs.shown(value)}"
        raise ValidationError(message, field=field)
    return value


def _normalize_bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(
            f"{field} must be True or False, not {inputs.shown(value)}", field=field
        )
    return value


def _list_state(
    value: object, normalize: Callable[[object, str], str], field: str
) -> tuple[str, ...] | Unset | None:
    """UNSET and None kept; a list normalized item by item; an empty list → None (clear)."""
    if value is UNSET or value is None:
        return value
    # A bare string is iterable too; treating "+1202..." as a list of digits would
    # silently send garbage, so refuse it.
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise ValidationError(f"{field} must be a list of strings", field=field)
    items = tuple(normalize(item, f"{field}[{i}]") for i, item in enumerate(value))
    if len(set(items)) != len(items):
        raise ValidationError(f"{field} lists the same entry twice", field=field)
    return items or None


# One named converter per field: attrs' mypy plugin only understands named functions.
def _forwarding_number(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_e164, "forwarding_number")


def _inbound_url(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_https_url, "inbound_url")


def _status_url(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_https_url, "status_url")


def _label(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_label, "label")


def _campaign_id(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_uuid, "campaign_id")


def _voicemail_greeting_url(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_https_url, "voicemail_greeting_url")


def _ring_duration(value: object) -> int | Unset | None:
    if value == "":
        raise ValidationError(
            "ring_duration must be a whole number of seconds, not ''", field="ring_duration"
        )
    return _tri_state(value, _normalize_ring_duration, "ring_duration")


def _participants(value: object) -> tuple[str, ...] | Unset | None:
    return _list_state(value, inputs.normalize_user_id, "participants")


def _external_numbers(value: object) -> tuple[str, ...] | Unset | None:
    return _list_state(value, inputs.normalize_e164, "external_numbers")


def _press_1_to_accept(value: object) -> Literal[True] | Unset | None:
    if value == "":
        raise ValidationError(
            "press_1_to_accept must be True or False, not ''", field="press_1_to_accept"
        )
    switch = _tri_state(value, _normalize_bool, "press_1_to_accept")
    # Off is the switch's empty state: False is a clear, as "" is for a text field, so
    # an update and the number it leaves agree (the number reads None).
    return None if switch is False else switch


def _voice_url(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_https_url, "voice_url")


def _voice_fallback_url(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_https_url, "voice_fallback_url")


def _inbound_fallback_url(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_https_url, "inbound_fallback_url")


def _call_status_url(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_https_url, "call_status_url")


def _connection_id(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_connection_id, "connection_id")


def _messaging_profile_id(value: object) -> str | Unset | None:
    return _tri_state(value, inputs.normalize_uuid, "messaging_profile_id")


def _tags(value: object) -> tuple[str, ...] | Unset | None:
    return _list_state(value, inputs.normalize_tag, "tags")


@attrs.frozen(kw_only=True)
class RoutingUpdate:
    """A change to a number's routing. Every field defaults to `UNSET` (leave alone).

    ``None`` (or `CLEAR`) clears a field; for string fields ``""`` clears too, for
    list fields an empty list does, and for ``press_1_to_accept`` ``False`` does (off is
    that switch's empty state; it is kept as ``None``). Phone numbers are accepted in
    common human forms and normalized to E.164; URLs must be ``https://``; labels,
    tags and URLs hold no control characters, bidi controls or line breaks;
    ``ring_duration`` is 15..90 seconds; ``connection_id`` is digits or a UUID,
    ``campaign_id`` and ``messaging_profile_id`` UUIDs; ``tags`` a list of strings
    (each non-empty, none twice). Invalid values raise `ValidationError` here, at
    construction, so no invalid update is ever sent.
    """

    forwarding_number: str | Unset | None = attrs.field(default=UNSET, converter=_forwarding_number)
    inbound_url: str | Unset | None = attrs.field(default=UNSET, converter=_inbound_url)
    status_url: str | Unset | None = attrs.field(default=UNSET, converter=_status_url)
    label: str | Unset | None = attrs.field(default=UNSET, converter=_label)
    campaign_id: str | Unset | None = attrs.field(default=UNSET, converter=_campaign_id)
    voicemail_greeting_url: str | Unset | None = attrs.field(
        default=UNSET, converter=_voicemail_greeting_url
    )
    ring_duration: int | Unset | None = attrs.field(default=UNSET, converter=_ring_duration)
    participants: tuple[str, ...] | Unset | None = attrs.field(
        default=UNSET, converter=_participants
    )
    external_numbers: tuple[str, ...] | Unset | None = attrs.field(
        default=UNSET, converter=_external_numbers
    )
    press_1_to_accept: Literal[True] | Unset | None = attrs.field(
        default=UNSET, converter=_press_1_to_accept
    )
    voice_url: str | Unset | None = attrs.field(default=UNSET, converter=_voice_url)
    voice_fallback_url: str | Unset | None = attrs.field(
        default=UNSET, converter=_voice_fallback_url
    )
    inbound_fallback_url: str | Unset | None = attrs.field(
        default=UNSET, converter=_inbound_fallback_url
    )
    call_status_url: str | Unset | None = attrs.field(default=UNSET, converter=_call_status_url)
    connection_id: str | Unset | None = attrs.field(default=UNSET, converter=_connection_id)
    messaging_profile_id: str | Unset | None = attrs.field(
        default=UNSET, converter=_messaging_profile_id
    )
    tags: tuple[str, ...] | Unset | None = attrs.field(default=UNSET, converter=_tags)

    def changes(self) -> dict[str, Any]:
        """The fields that are not UNSET: name → value (``None`` meaning clear)."""
        return {
            name: value for name in ROUTING_FIELDS if (value := getattr(self, name)) is not UNSET
        }

    def is_empty(self) -> bool:
        """True when every field is UNSET: applying it writes nothing."""
        return not self.changes()


def _compact(value: Any) -> Any:
    """A decoded JSON value as `RawPayload` keeps it: objects as payloads, arrays as
    tuples, all the way down."""
    if isinstance(value, RawPayload):
        return value
    if isinstance(value, Mapping):
        return RawPayload(value)
    if isinstance(value, list | tuple):
        return tuple(_compact(v) for v in value)
    return value


def _read(value: Any) -> Any:
    # An array the decoder made (a list) is handed out as a tuple: raw stays read-only.
    if type(value) is list:
        return tuple(_read(v) for v in value)
    return value


class RawPayload(Mapping[str, Any]):
    """A vendor payload as `PhoneNumber.raw` holds it: read-only all the way down
    (objects read-only, arrays as tuples).

    A listing holds one per number, so it is kept small: a tuple of the object's keys
    (one tuple shared by every object of the listing with the same keys) and a tuple of
    its values, which are the decoded values themselves (`decode_json` builds the
    payloads while it decodes the body, so nothing is copied; repeated short strings,
    such as a status, are one string). A five-key object costs 128 bytes this way
    (its strings apart), against 184 for the dict ``json.loads`` makes.
    """

    __slots__ = ("_keys", "_values")

    _keys: tuple[str, ...]
    _values: tuple[Any, ...]

    def __init__(self, payload: Mapping[str, Any]) -> None:
        # RecursionError for a payload nested thousands deep, as the decoder raises.
        self._keys = tuple(payload)
        self._values = tuple(_compact(v) for v in payload.values())

    @classmethod
    def _of(cls, keys: tuple[str, ...], values: tuple[Any, ...]) -> RawPayload:
        payload = object.__new__(cls)
        payload._keys = keys
        payload._values = values
        return payload

    def __getitem__(self, key: str) -> Any:
        try:
            return _read(self._values[self._keys.index(key)])
        except ValueError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        """The value at ``key``, or ``default``."""
        try:
            return _read(self._values[self._keys.index(key)])
        except ValueError:
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def _dict(self) -> dict[str, Any]:
        # One pass, not a lookup per key (a lookup scans the keys: fine for the few
        # fields an adapter reads, quadratic for a whole object of a hostile size).
        return dict(zip(self._keys, map(_read, self._values), strict=True))

    def json_object(self) -> dict[str, Any]:
        """This level of the payload as a dict for a JSON encoder: its values as held
        (arrays as lists or tuples, which an encoder writes alike; objects as
        payloads). A store writes one per number it records: no per-key copy."""
        return dict(zip(self._keys, self._values, strict=True))

    def items(self) -> ItemsView[str, Any]:
        """The payload's items (arrays as tuples)."""
        return self._dict().items()

    def values(self) -> ValuesView[Any]:
        """The payload's values (arrays as tuples)."""
        return self._dict().values()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return self._dict() == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RawPayload({self._dict()!r})"


#: How many distinct keys tuples and strings one decoding shares at most: the first
#: ones seen (a listing's repeated status or type among them) are shared, while a body
#: of unique values (ids, numbers) does not grow the table past this.
_SHARED = 4096


_keys_seen: dict[tuple[str, ...], tuple[str, ...]] = {}
_strings: dict[str, str] = {}
_share, _seen = _strings.setdefault, _strings.get


def _payload(obj: dict[str, Any]) -> RawPayload:
    keys = tuple(obj)
    shared = _keys_seen.get(keys)
    if shared is None:
        shared = keys
        if len(_keys_seen) < _SHARED:
            _keys_seen[keys] = keys
    # Checked once an object: the table may pass its size by one object's strings.
    if len(_strings) < _SHARED:
        values = [_share(v, v) if type(v) is str else v for v in obj.values()]
    else:
        values = [_seen(v, v) if type(v) is str else v for v in obj.values()]
    return RawPayload._of(shared, tuple(values))


# One decoder for every body: json.loads(..., object_hook=...) builds a decoder (and its
# scanner) on each call, a few microseconds of each request.
_DECODER = json.JSONDecoder(object_hook=_payload)


def decode_json(content: bytes | str) -> Any:
    """Decode a JSON body with every object as a `RawPayload`, built as it is read: the
    payloads the adapters keep as ``raw`` are the decoded values, not copies.

    Raises what `json.loads` raises (ValueError, RecursionError).
    """
    if isinstance(content, bytes):
        text = content.decode(json.detect_encoding(content), "surrogatepass")
        # The bytes go before the decoding starts: a large listing is then held as
        # its text and its payloads, never as bytes too (the caller handed them over).
        del content
    else:
        text = content
    try:
        return _DECODER.decode(text)
    finally:
        # What one body shares stays its own: nothing of it is kept for the next. Two
        # threads decoding at once share the tables, which only shares more.
        _keys_seen.clear()
        _strings.clear()


def extend_raw(raw: Mapping[str, Any], extra: Mapping[str, Any]) -> Mapping[str, Any]:
    """``raw`` (a `PhoneNumber.raw`) with the keys of ``extra`` added or replaced: what
    ``raw`` already holds is kept as it is, never copied or walked again (a payload
    nested thousands deep stays readable)."""
    if not isinstance(raw, RawPayload):
        return RawPayload({**raw, **extra})
    keys = [k for k in raw._keys if k not in extra]
    values = [v for k, v in zip(raw._keys, raw._values, strict=True) if k not in extra]
    keys += list(extra)
    values += [_compact(v) for v in extra.values()]
    return RawPayload._of(tuple(keys), tuple(values))


def freeze_raw(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """The vendor payload as stored on `PhoneNumber.raw`: read-only all the way down.
    A payload `decode_json` made is kept as it is (no copy)."""
    return payload if isinstance(payload, RawPayload) else RawPayload(payload)


def _switch_read(value: bool | None) -> Literal[True] | None:
    """A switch as a number reads it: on is True, off (its empty state) None."""
    return True if value is True else None


@attrs.frozen(kw_only=True, repr=False)
class PhoneNumber:
    """One phone number and its routing, as any provider reports it.

    A field the provider cannot express is ``None``, and so is a field the provider
    reports as empty (``""``, null, ``[]``, and ``false`` for the ``press_1_to_accept``
    switch, which is therefore ``True`` or ``None``). ``raw`` is the vendor's own payload,
    read-only.
    """

    provider: str
    id: str
    number: str
    forwarding_number: str | None = None
    inbound_url: str | None = None
    status_url: str | None = None
    label: str | None = None
    campaign_id: str | None = None
    voicemail_greeting_url: str | None = None
    ring_duration: int | None = None
    participants: tuple[str, ...] | None = None
    external_numbers: tuple[str, ...] | None = None
    press_1_to_accept: Literal[True] | None = attrs.field(default=None, converter=_switch_read)
    voice_url: str | None = None
    voice_fallback_url: str | None = None
    inbound_fallback_url: str | None = None
    call_status_url: str | None = None
    connection_id: str | None = None
    messaging_profile_id: str | None = None
    tags: tuple[str, ...] | None = None
    sms_enabled: bool | None = None
    mms_enabled: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    raw: Mapping[str, Any] = attrs.field(factory=dict, eq=False)

    def routing(self) -> dict[str, Any]:
        """The seventeen routable fields of this number: name → value (``None`` when empty)."""
        return {name: getattr(self, name) for name in ROUTING_FIELDS}

    def __repr__(self) -> str:
        # Only what is set, so a repr of a list of numbers stays readable; raw is left
        # out (it is large, and available as .raw).
        shown = [f"provider={self.provider!r}", f"id={self.id!r}", f"number={self.number!r}"]
        for name in (*ROUTING_FIELDS, "sms_enabled", "mms_enabled", "created_at", "updated_at"):
            value = getattr(self, name)
            if value is not None:
                shown.append(f"{name}={value!r}")
        return f"PhoneNumber({', '.join(shown)})"


@attrs.frozen
class UpdateResult:
    """What a write answered: the number as the vendor reports it afterwards, and the
    request id the vendor gave that answer (its ``request_id_header``), to quote to its
    support or keep in an audit trail. ``request_id`` is ``None`` when the vendor sends
    none (Close, Linq v2) or when nothing was written (an empty update)."""

    number: PhoneNumber
    request_id: str | None = None


@attrs.frozen
class Capabilities:
    """Which normalized routing fields a provider can set and which it can clear."""

    provider: str
    settable: frozenset[str]
    clearable: frozenset[str]

    def can_set(self, field: str) -> bool:
        """True when the provider can set ``field`` to a value."""
        return field in self.settable

    def can_clear(self, field: str) -> bool:
        """True when the provider can clear ``field``."""
        return field in self.clearable
