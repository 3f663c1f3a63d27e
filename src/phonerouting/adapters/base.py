"""What a vendor adapter is: pure functions from normalized operations to requests, and
from vendor responses to the normalized model. No I/O happens here or in any adapter.

An adapter declares its capabilities as data (`Adapter.capabilities`); the shared
`Adapter.check_supported` turns every field outside them into an
`UnsupportedFieldError` before a request is built.
"""

from __future__ import annotations

import abc
from collections.abc import Collection, Mapping
from typing import Any, ClassVar

import attrs

from phonerouting.errors import ConfigurationError, UnsupportedFieldError, ValidationError
from phonerouting.model import Capabilities, PhoneNumber, RoutingUpdate

__all__ = ["Adapter", "Credential", "ErrorInfo", "Page", "Request"]


@attrs.frozen(slots=True)
class Credential:
    """One credential or setting a provider needs to build a client.

    ``connect(provider, <name>=...)`` takes it by ``name``; when it is not given it is
    read from the ``env`` environment variable; an accounts file takes it inline as
    ``<name> = "..."`` (non-secret ones only) or through ``<name>_env``. A ``secret``
    one is never shown: it is scrubbed from errors and logs, on its own and in every
    form it travels in. Every value must be non-empty ASCII with no whitespace or
    control character; ``pattern``, when given, must match it whole (``example``
    says what a good value looks like, in the error).
    """

    name: str
    env: str
    secret: bool = True
    #: What it is called in messages ("API key", "account id"); the name by default.
    label: str | None = None
    pattern: str | None = None
    example: str | None = None

    @property
    def what(self) -> str:
        """Its name in messages."""
        return self.label or self.name


@attrs.frozen(slots=True)
class Request:
    """One HTTP request to send: method, path relative to the base URL, query, body.

    The body is ``json`` (sent as ``application/json``) or ``form`` (sent as
    ``application/x-www-form-urlencoded``, in the order given), never both; ``None``
    for both when the request has no body.
    """

    method: str
    path: str
    params: Mapping[str, str | int] | None = None
    json: Mapping[str, Any] | None = None
    form: Mapping[str, str] | None = attrs.field(default=None, kw_only=True)
    #: For a vendor whose number is read from several resources (`Adapter.parts`): the
    #: part an answer to this update request reports (``None``: the number itself).
    part: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        # An adapter bug, caught where it is made rather than as a garbled request.
        if self.json is not None and self.form is not None:
            raise ValueError("a request has a JSON body or a form body, not both")


@attrs.frozen(slots=True)
class Page:
    """One page of a list: the numbers on it and the request for the next page, if any."""

    numbers: list[PhoneNumber]
    next_request: Request | None = None


@attrs.frozen(slots=True)
class ErrorInfo:
    """What a vendor's error body says, extracted by the adapter. Every part is optional."""

    code: int | str | None = None
    message: str | None = None
    request_id: str | None = None
    doc_url: str | None = None
    details: Mapping[str, str] | None = None
    retry_after: float | None = None
    #: The vendor's name of the field at fault, when the body names one.
    field: str | None = None


class Adapter(abc.ABC):
    """Base class of the four vendor adapters. Subclasses are stateless and pure."""

    #: The provider name used everywhere (registry, CLI, errors).
    name: ClassVar[str]
    #: The vendor's production base URL, including its base path.
    default_base_url: ClassVar[str]
    #: The environment variable read when no API key is given; for a provider that
    #: declares `credentials`, the variable of its first secret credential (shown by
    #: ``phonerouting providers`` and in the feature matrix).
    api_key_env: ClassVar[str]
    #: The credentials and settings a client needs, in order. Empty (the default) means
    #: one secret ``api_key`` read from `api_key_env`, as the four built-in vendors have.
    credentials: ClassVar[tuple[Credential, ...]] = ()
    #: Alternative sets of `credentials` (their names), in order of preference, for a
    #: vendor that takes either of two kinds (an account id with its token, or a key
    #: id with its secret). Empty (the default): every credential is needed.
    credential_sets: ClassVar[tuple[tuple[str, ...], ...]] = ()
    #: The response header carrying the vendor's request or trace id, if any.
    request_id_header: ClassVar[str | None] = None
    #: Which normalized fields this vendor can set and clear.
    capabilities: ClassVar[Capabilities]
    #: Vendor field name → normalized field name, to name the field at fault in errors.
    wire_fields: ClassVar[Mapping[str, str]] = {}
    #: Parts of a number the vendor keeps at resources of their own, read with every
    #: number (Telnyx: ``"voice"``, where call forwarding lives); empty (the default)
    #: for a vendor whose number is one resource. Each part is read with
    #: `part_request`, or page by page with `part_listing` alongside a listing (never
    #: one request per number), and folded in by `complete`.
    parts: ClassVar[tuple[str, ...]] = ()

    def credential_specs(self) -> tuple[Credential, ...]:
        """What a client of this provider takes: `credentials`, or the one ``api_key``."""
        return self.credentials or (Credential("api_key", self.api_key_env, label="API key"),)

    def auth_hints(self) -> tuple[str, str]:
        """What an `AuthenticationError` of this provider advises, in the library's
        terms and the command line's: its own credentials (each way it takes them:
        Twilio's Account SID with an Auth Token, or with an API key SID and secret), the
        arguments and environment variables they are read from, and the accounts-file
        keys that name them."""
        specs = {spec.name: spec for spec in self.credential_specs()}
        sets = self.credential_sets or (tuple(specs),)
        library, cli = [], []
        for names in sets:
            group = [specs[name] for name in names]
            what = _and([spec.what for spec in group])
            envs = _and([spec.env for spec in group])
            arguments = ", ".join(f"{spec.name}=" for spec in group)
            library.append(f"the {what} ({arguments}, or {envs} in the environment)")
            if len(specs) == 1:
                keys = "key_env"
            else:
                keys = _and(
                    [spec.name if not spec.secret else f"{spec.name}_env" for spec in group]
                )
            cli.append(
                f"the {what} the account names ({keys} in the accounts file; {envs} for "
                "an account named by its provider)"
            )
        they = "it belongs" if len(specs) == 1 else "they belong"
        tail = f", and that {they} to this provider and environment."
        return (
            "Check " + "; or ".join(library) + tail,
            "Check " + "; or ".join(cli) + tail,
        )

    def choose_credentials(
        self, given: Collection[str], found: Collection[str]
    ) -> tuple[tuple[str, ...], str | None]:
        """Which credentials a client uses, and the first of them missing (``None``
        when none is), from the names ``given`` as arguments and those ``found``
        (given, or read from their variables).

        What is given wins: the chosen set is the first of `credential_sets` that
        holds every given name and has every member found; when none has, the first
        that holds every given name is chosen and its first missing member reported.
        A ConfigurationError when no set holds every given name (two kinds at once).
        """
        sets = self.credential_sets or (tuple(spec.name for spec in self.credential_specs()),)
        fitting = [names for names in sets if all(name in names for name in given)]
        if not fitting:
            kinds = "; or ".join(", ".join(names) for names in sets)
            raise ConfigurationError(
                f"{self.name} takes {kinds}; not {', '.join(sorted(given))} together",
                provider=self.name,
            )
        for names in fitting:
            if all(name in found for name in names):
                return names, None
        names = fitting[0]
        return names, next(name for name in names if name not in found)

    def for_account(self, settings: Mapping[str, str]) -> Adapter:
        """This adapter for one account, from its non-secret settings (name → value,
        the chosen non-secret `credentials`, checked). An adapter never holds a
        secret. By default the shared, stateless adapter itself: only a vendor whose
        requests depend on the account (an account id in every path) builds one."""
        del settings
        return self

    def auth_headers(self, api_key: str) -> dict[str, str]:
        """The headers that authenticate every request with ``api_key`` (an adapter
        with its own `credentials` overrides `authenticate` instead)."""
        raise NotImplementedError(f"{type(self).__name__} must override auth_headers")

    def authenticate(self, credentials: Mapping[str, str]) -> dict[str, str]:
        """The headers that authenticate every request, from the checked credentials
        (name → value, one per `credential_specs`); by default those of `auth_headers`
        with ``api_key``."""
        return self.auth_headers(credentials["api_key"])

    @abc.abstractmethod
    def normalize_id(self, number_id: object) -> str:
        """The vendor id as it goes in a path; ValidationError if malformed."""

    @abc.abstractmethod
    def list_request(self) -> Request:
        """The request for the first page of the account's numbers."""

    def find_request(self, e164: str) -> Request:
        """The first request of a search by E.164 number; by default the plain list.

        The results are always filtered by exact number afterwards, so a vendor filter
        only saves pages, it is never trusted for correctness.
        """
        del e164
        return self.list_request()

    def get_request(self, number_id: str) -> Request | None:
        """The request that fetches one number, or ``None`` when the vendor has no such
        endpoint (the driver then lists and filters by id)."""
        del number_id
        return None

    @property
    def reads_one_number(self) -> bool:
        """True when the vendor has a per-number read (`get_request` is overridden);
        without one, reading one number means listing the whole account."""
        return type(self).get_request is not Adapter.get_request

    @abc.abstractmethod
    def parse_list(self, data: Any, request: Request) -> Page:
        """One decoded list response → its numbers and the next page's request."""

    @abc.abstractmethod
    def parse_number(self, data: Any) -> PhoneNumber:
        """A decoded get or update response → the number it describes."""

    @abc.abstractmethod
    def update_requests(self, number_id: str, update: RoutingUpdate) -> list[Request]:
        """The requests that apply ``update``, in order; the last one's response is the
        number after the update. An empty list means there is nothing to write."""

    def reads_before_update(self, update: RoutingUpdate) -> bool:
        """Whether ``update`` needs the number as it stands before it is sent (one read
        more): `refuse_update` then sees it, and `update_requests_for` builds the
        requests from it; never, by default."""
        del update
        return False

    def refuse_update(self, number: PhoneNumber, update: RoutingUpdate) -> ValidationError | None:
        """Why ``update`` must not be sent to ``number`` as it stands (a
        ValidationError to raise, before anything is sent), or ``None``: for a vendor
        that would silently ignore part of it on some numbers. Asked only when
        `reads_before_update` says so."""
        del number, update
        return None

    def update_requests_for(self, number: PhoneNumber, update: RoutingUpdate) -> list[Request]:
        """The requests that apply ``update`` to ``number`` as it was just read (asked
        when `reads_before_update` says so); by default those of `update_requests`."""
        return self.update_requests(number.id, update)

    def part_request(self, number_id: str, part: str) -> Request:
        """The request that reads ``part`` (one of `parts`) of one number."""
        raise NotImplementedError(f"{type(self).__name__} declares parts: override part_request")

    def part_listing(self, listing: Request, part: str) -> Request | None:
        """The first request of the paged listing of ``part`` that goes with the number
        listing starting with ``listing`` (the same filter), or ``None`` to read the
        part number by number."""
        del listing, part
        return None

    def parse_part_page(
        self, data: Any, request: Request, part: str
    ) -> tuple[dict[str, Any], Request | None]:
        """One decoded page of a part listing: number id → the part (as `parse_part`
        gives it), and the next page's request."""
        raise NotImplementedError(f"{type(self).__name__} lists parts: override parse_part_page")

    def parse_part(self, data: Any, part: str) -> Any:
        """A decoded read (or update answer) of ``part`` of one number → the part, as
        `complete` takes it."""
        raise NotImplementedError(f"{type(self).__name__} declares parts: override parse_part")

    def complete(self, number: PhoneNumber, parts: Mapping[str, Any]) -> PhoneNumber:
        """``number`` (as `parse_number` or `parse_list` read it) with its ``parts``
        folded in: part name → what `parse_part` gave; an update may add parts beyond
        `parts` (the answers of its requests). By default ``number`` as it is."""
        del parts
        return number

    def restorable_state(self, number: PhoneNumber) -> dict[str, Any]:
        """The vendor state beyond the normalized fields that `restore_requests` needs
        to put ``number`` back exactly, read off its `PhoneNumber.raw`: JSON values,
        never credentials. Empty (the default) when the normalized fields say it all."""
        del number
        return {}

    def restore_requests(
        self, number_id: str, update: RoutingUpdate, state: Mapping[str, Any]
    ) -> list[Request]:
        """The requests that apply ``update`` and put back ``state`` (what
        `restorable_state` returned before a migration wrote the number); by default
        those of `update_requests`."""
        del state
        return self.update_requests(number_id, update)

    @abc.abstractmethod
    def parse_error(self, status: int, data: Any) -> ErrorInfo:
        """What a decoded error body says. ``data`` may be any JSON value; return an
        empty `ErrorInfo` for a body that is not the vendor's error shape."""

    def retry_after_hint(self, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait taken from vendor-specific headers (beyond ``Retry-After``)."""
        del headers
        return None

    def check_supported(self, update: RoutingUpdate) -> dict[str, Any]:
        """The update's changes, once every one is known to be expressible here.

        Raises UnsupportedFieldError naming the first field this vendor cannot set
        (or clear), before anything is built or sent.
        """
        changes = update.changes()
        caps = self.capabilities
        for field, value in changes.items():
            if value is None:
                if not caps.can_clear(field):
                    raise UnsupportedFieldError(
                        f"the provider cannot clear {field}", field=field, provider=self.name
                    )
            elif not caps.can_set(field):
                raise UnsupportedFieldError(
                    f"the provider has no {field} to set", field=field, provider=self.name
                )
        return changes


def capabilities(provider: str, fields: tuple[str, ...]) -> Capabilities:
    """Capabilities for a vendor that can both set and clear each of ``fields``."""
    return Capabilities(provider, frozenset(fields), frozenset(fields))


def _and(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
