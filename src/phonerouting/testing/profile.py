"""What the generic test suites need to know about one provider: its `ProviderProfile`.

The contract, emulator-behaviour, reliability and cassette suites run over every
registered provider whose emulator carries a profile (``Emulator.profile``), so a new
provider (built-in or third-party) is tested by them without any test module naming it.
Everything a suite would otherwise write down per vendor (paths, a valid update, an id
no account holds, how to authenticate, the numbers a contract case acts on, the
vendor's own contract cases) is an attribute here; each attribute's docstring says
exactly what it means and which suite reads it.

`profile` finds the profile of a provider; a provider without one is a `MissingProfileError`
error naming it and saying what to add (the suites report it, they never skip it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from phonerouting.model import RoutingUpdate

if TYPE_CHECKING:
    from phonerouting.client import Client
    from phonerouting.testing.core import Emulator

__all__ = [
    "UNSET",
    "ContractCase",
    "Form",
    "Held",
    "MissingProfileError",
    "ProviderProfile",
    "RawWrite",
    "Seeded",
    "bad_envelopes_under",
    "field_write",
    "list_under",
    "profile",
]


class _Unset:
    """The type of `UNSET`."""

    def __repr__(self) -> str:
        return "UNSET"


#: "Not replaced": a `ContractCase` part left at this keeps the operation's own value.
UNSET: Any = _Unset()


class MissingProfileError(LookupError):
    """A provider the generic suites cannot run over: it has no emulator, or its
    emulator class has no ``profile``. The message names the provider and what to add."""


def _api_key(emu: Any, secret: str) -> dict[str, str]:
    return {"api_key": secret}


def _same(body: Any) -> Any:
    return body


@attrs.frozen
class Seeded:
    """A fresh emulator set up for the contract cases (what
    `ProviderProfile.contract_setup` returns).

    Attributes:
        emu: the emulator (freshly made, with the numbers the cases need).
        own: the vendor id of the number the emulator's key may read and change; every
            operation of `ProviderProfile.contract_operations` acts on it by default.
        ids: other named ids a vendor's cases use (e.g. ``"other"``, a number of
            another organization; ``"campaign"``), as the vendor's cases expect them.
    """

    emu: Emulator
    own: Any
    ids: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def profile(self) -> ProviderProfile:
        """The profile of the emulator's provider."""
        return profile(self.emu.provider)

    def list_path(self) -> str:
        """The list path of the emulator, relative to the adapter's base URL."""
        return self.profile.list_path_of(self.emu)

    def item_path(self, number_id: object) -> str:
        """The path of number ``number_id``, relative to the adapter's base URL."""
        return self.profile.item_path_of(self.emu, number_id)


#: What a `ContractCase` part may be: the value itself or a function of the `Seeded`.
Part = Any


@attrs.frozen(kw_only=True)
class ContractCase:
    """One answer of the vendor's emulator that its contract must document: the
    request of operation ``operation`` (from `ProviderProfile.contract_operations`)
    with some parts replaced, sent to a fresh `Seeded`; it must answer ``status``.

    Attributes:
        operation: the OpenAPI ``operationId`` whose request is sent.
        status: the HTTP status the emulator must answer.
        cause: a short name of why (``"not-e164"``), unique per (operation, status);
            it is part of the test id ``<provider>-<operation>-<status>-<cause>``.
        sample: the golden sample in ``<contract_dir>/samples/`` the answer must match
            (errors exactly but for request ids, successes in shape), or ``None``.
        key: the key sent instead of the emulator's own (``None``: the own key).
        path: the path sent instead of the operation's (``None``: the operation's).
        body: the body sent instead of the operation's: JSON, or a `Form` (`UNSET`: the
            operation's; ``None`` sends none).
        params: query parameters to add (``None``: none).

    Each of ``key``, ``path``, ``body`` and ``params`` may also be a function of the
    `Seeded`, called when the case runs (for ids made by the set-up).
    """

    operation: str
    status: int
    cause: str
    sample: str | None = None
    key: Part = None
    path: Part = None
    body: Part = UNSET
    params: Part = None


@attrs.frozen
class Held:
    """One number an emulator holds (what `ProviderProfile.held_numbers` lists).

    Attributes:
        id: its vendor id, as the emulator stores it (an int for integer ids).
        number: its E.164 number.
        routed: whether it routes somewhere (has a forwarding number or a webhook).
    """

    id: Any
    number: str
    routed: bool


@attrs.frozen
class RawWrite:
    """A write request on an emulator and a probe of whether it took effect (what
    `ProviderProfile.raw_write` returns).

    Attributes:
        method: the HTTP method of the write.
        path: its path, relative to the adapter's base URL.
        body: its JSON body.
        landed: whether the emulator now holds what the write sets.
    """

    method: str
    path: str
    body: Mapping[str, Any]
    landed: Callable[[], bool]


class Form(dict[str, str]):
    """A form-encoded request body (``application/x-www-form-urlencoded``), where a
    `ProviderProfile.contract_operations` target or a `ContractCase` gives a body:
    any other body is sent as JSON."""


def field_write(emu: Emulator, record: Any, method: str, field: str, value: Any) -> RawWrite:
    """A `RawWrite` of ``method`` on the item path of ``record`` (an emulator record
    with an ``id``) sending ``{field: value}``, landed once ``record.<field>`` holds
    ``value``: the raw write of a vendor whose record attributes are its wire fields."""
    path = profile(emu.provider).item_path_of(emu, record.id)
    return RawWrite(method, path, {field: value}, lambda: getattr(record, field) == value)


def list_under(key: str) -> Callable[[list[Any]], Any]:
    """The `ProviderProfile.wire_list` of a vendor whose list answer is ``{key: [...]}``
    and nothing else (one unpaginated page)."""
    return lambda items: {key: items}


def bad_envelopes_under(key: str) -> Callable[[Any], list[tuple[str, Any]]]:
    """The `ProviderProfile.wire_bad_envelopes` of a `list_under` ``key`` answer: the
    key missing, or holding a dict, a string or null instead of the list."""
    return lambda item: [
        (f"{key} missing", {}),
        (f"{key} as dict", {key: {"0": item}}),
        (f"{key} as string", {key: "[]"}),
        (f"{key} null", {key: None}),
    ]


#: The method, path (relative to the adapter's base URL) and body (JSON, a `Form`, or
#: ``None`` for none) of one contract operation, for a `Seeded`.
Target = Callable[[Seeded], tuple[str, str, Any]]


@attrs.frozen(kw_only=True)
class ProviderProfile:
    """Everything the generic suites need about one provider, kept with its emulator
    (``profile = ProviderProfile(...)`` on the `Emulator` subclass).

    Paths are relative to the adapter's ``default_base_url`` (the base the plain HTTP
    clients of the suites use; the emulators answer whatever the host) and may name
    attributes of the emulator as ``{emu.<attribute>}`` (e.g. an account id in every
    path); an item path names the number's id as ``{id}``.

    Attributes:
        provider: the provider name, as registered.
        list_path: the path of the list operation (``GET``), e.g. ``"/v3/phone_numbers"``.
        item_path: the path of one number (its update, and its read where the vendor
            has one), e.g. ``"/v3/phone_numbers/{id}"``.
        sample_id: a well-formed vendor id, as the adapter's ``normalize_id`` returns
            it, for building requests without an emulator (contract suite).
        unknown_id: a well-formed id that no emulator account holds (its read or update
            is the vendor's 404, or what the vendor answers instead).
        update: a `RoutingUpdate` every number of a seeded emulator accepts and that
            changes it (reliability suite: faults, secrets, hostile answers).
        update_landed: ``update_landed(emu, number_id)``: whether the emulator holds
            `update` for that number (whether a write took effect).
        raw_write: ``raw_write(emu)``: adds a number to a fresh, empty emulator and
            returns a `RawWrite` on it, sent by the emulator-behaviour suite with a
            plain HTTP client (faults that land or not, rate limits).
        credentials: ``credentials(emu, secret)``: the keyword arguments of
            ``phonerouting.connect`` that authenticate against ``emu`` with ``secret``
            in place of its key (the emulator's key when ``secret`` is ``emu.api_key``);
            the auth headers of the plain HTTP clients are the adapter's
            ``authenticate`` of them. Default: ``{"api_key": secret}``.
        contract_dir: the folder holding the provider's ``openapi.yaml`` and
            ``samples/``; ``None`` (the built-in vendors) means ``providers/<provider>/``
            of the repository.
        contract_setup: ``contract_setup(emu)``: adds to a fresh, empty emulator the
            numbers (and other objects) the contract cases act on and returns the
            `Seeded`; ``None`` when the provider has no contract cases yet.
        contract_operations: operationId → ``target(seeded)``: the method, path and
            body (JSON or a `Form`) of each documented operation acting on ``seeded.own``. The
            suite sends each with a bad key (401), programmed 429 and 5xx faults and
            the rate limiter's own 429, and expects the samples
            ``<operation>.401.json``, ``<operation>.429.json`` and
            ``<operation>.500.json``.
        contract_cases: the vendor's own answers (`ContractCase`), beyond those above.
        unreproduced_samples: sample file name → why no emulator answer reproduces it.
        not_emulated: (operationId, response key of the contract, e.g. ``"403"``) of
            documented responses no case produces (each has its sample listed in
            ``unreproduced_samples``).
        blank_request_ids: ``blank_request_ids(error_body)``: the error body with its
            per-request ids (trace ids, request ids) replaced by constants, so two
            answers can be compared exactly; default: the body unchanged.
        contract_updates: the updates the client scenario of the contract suite applies
            to one number, in order (set everything, then clear everything).
        contract_steps: ``contract_steps(client, emu, number_id)``: more of the vendor's
            own client steps in that scenario (each request and answer is checked
            against the contract on the way), or ``None``.
        expected_error: ``expected_error(body)``: for a golden error sample's body, the
            attributes of the `RoutingError` the adapter makes of it (``code``,
            ``message``, ``request_id``, ``details``), each asserted equal, and of the
            same type.
        item_body: ``item_body(body)``: the number object inside a golden sample of a
            single-number answer (the body itself by default; e.g. ``body["data"]``).
        contract_endpoints: every (method, path template, operationId) the contract
            documents: exactly the endpoints the library uses, no more.
        contract_security: the contract's ``security``: for each alternative, the
            security schemes it requires, each without its ``description`` (e.g.
            ``[[{"type": "http", "scheme": "bearer"}]]``).

    The emulator-behaviour suite also reads (a suite that needs one of these and finds
    ``None`` fails, naming the attribute):

    Attributes:
        held_numbers: ``held_numbers(emu)``: the numbers the emulator holds, in the
            order it lists them, as `Held`.
        id_shape: ``id_shape(vendor_id)``: whether an id as the emulator stores it has
            the vendor's shape (e.g. an int, a UUID, ``phon_`` + 43 characters).
        wall_clock: the functions the emulator stamps times with, as
            ``"module:attribute"`` (each returns an ISO 8601 string); a test replaces
            them to stop or step time. Empty: it stamps no times.
        server_error_body: ``server_error_body(emu, status, headers)``: the exact body
            of the vendor's own 5xx answer of ``status`` (a programmed fault, or the
            emulator failing), given the emulator and the answer's headers (for the
            request or trace id it repeats; an id of the wrong shape must make the two
            differ).
        rate_limit_answer: ``rate_limit_answer(headers, body)``: everything a 429 of the
            vendor says about it, as name → value (``Retry-After``, a wait in the body,
            its error code or whole body, a ``RateLimit`` header...).
        expected_rate_limit: ``expected_rate_limit(emu, wait, asked)``: what
            `rate_limit_answer` must be for a 429 of ``emu`` that asks to wait ``wait``
            whole seconds; ``asked`` is false when no wait was programmed (the
            vendor's default wait, and no header a vendor only sends with a wait).
            Compared with `rate_limit_answer`'s, types included.
        id_pattern: a regular expression every id in a request path the adapter
            sends matches in full (the reliability suite checks no malformed id ever
            reaches the vendor).

    The reliability suite also reads:

    Attributes:
        refused_updates: updates well-formed for the library that the vendor's
            emulator refuses (a real 4xx of the vendor, e.g. an unknown user id).
        request_id_on_every_answer: whether the emulator sends the vendor's request id
            header (the adapter's ``request_id_header``) on every answer, a programmed
            fault included.
        wire_item: a complete number object as the vendor sends it, number
            ``+12025550142`` routed somewhere, whose hostile variants the suite sends
            from a fake vendor (``None``: the hostile-answer tests report it missing).
        wire_id: the id of `wire_item` as the library reads it (a string).
        wire_id_key, wire_number_key, wire_route_key: the keys of `wire_item` holding
            its id, its number and its main routing value.
        wire_list: ``wire_list(items)``: the vendor's list answer holding ``items``,
            the last page.
        wire_single: ``wire_single(item)``: the vendor's answer holding one number
            (the item itself by default).
        wire_item_id: ``wire_item_id(n)``: a well-formed, distinct id for the n-th
            item of a long listing (as `wire_item` holds ids).
        wire_bad_envelopes: ``wire_bad_envelopes(item)``: (what, body) of list answers
            of the wrong shape around a valid ``item``, each of which the library must
            refuse as unexpected.
        wire_bad_fields: (what, key, value) of values of the vendor's own fields of
            the wrong type, beyond the id, number and routing key, each of which makes
            a number unexpected.
    """

    provider: str
    list_path: str
    item_path: str
    sample_id: str
    unknown_id: str
    update: RoutingUpdate
    update_landed: Callable[[Any, str], bool]
    raw_write: Callable[[Any], RawWrite]
    credentials: Callable[[Any, str], Mapping[str, str]] = _api_key
    contract_dir: Path | None = None
    contract_setup: Callable[[Any], Seeded] | None = None
    contract_operations: Mapping[str, Target] = attrs.field(factory=dict)
    contract_cases: tuple[ContractCase, ...] = ()
    unreproduced_samples: Mapping[str, str] = attrs.field(factory=dict)
    not_emulated: frozenset[tuple[str, str]] = frozenset()
    blank_request_ids: Callable[[Any], Any] = _same
    contract_updates: tuple[RoutingUpdate, ...] = ()
    contract_steps: Callable[[Client, Any, str], None] | None = None
    expected_error: Callable[[Any], Mapping[str, object]] | None = None
    item_body: Callable[[Any], Any] = _same
    contract_endpoints: frozenset[tuple[str, str, str]] | None = None
    contract_security: list[list[dict[str, str]]] | None = None
    held_numbers: Callable[[Any], list[Held]] | None = None
    id_shape: Callable[[Any], bool] | None = None
    wall_clock: tuple[str, ...] = ()
    server_error_body: Callable[[Any, int, Mapping[str, str]], Any] | None = None
    rate_limit_answer: Callable[[Mapping[str, str], Any], dict[str, object]] | None = None
    expected_rate_limit: Callable[[Any, int, bool], dict[str, object]] | None = None
    id_pattern: str | None = None
    refused_updates: tuple[RoutingUpdate, ...] = ()
    request_id_on_every_answer: bool = False
    wire_item: Mapping[str, Any] | None = None
    wire_id: str | None = None
    wire_id_key: str = "id"
    wire_number_key: str = "number"
    wire_route_key: str | None = None
    wire_list: Callable[[list[Any]], Any] | None = None
    wire_single: Callable[[Any], Any] = _same
    wire_item_id: Callable[[int], Any] | None = None
    wire_bad_envelopes: Callable[[Any], list[tuple[str, Any]]] | None = None
    wire_bad_fields: tuple[tuple[str, str, Any], ...] = ()

    def list_path_of(self, emu: Emulator) -> str:
        """`list_path` for ``emu`` (its ``{emu.<attribute>}`` filled in)."""
        return self.list_path.format(emu=emu)

    def item_path_of(self, emu: Emulator, number_id: object) -> str:
        """`item_path` of ``number_id`` for ``emu``."""
        return self.item_path.format(emu=emu, id=number_id)

    def auth_headers(self, emu: Emulator, secret: str | None = None) -> dict[str, str]:
        """The headers a request to ``emu`` authenticates with: its own key, or
        ``secret`` in its place."""
        from phonerouting.registry import adapter_for

        sent = emu.api_key if secret is None else secret
        return adapter_for(self.provider).authenticate(self.credentials(emu, sent))


def profile(provider: str) -> ProviderProfile:
    """The `ProviderProfile` of ``provider``, from its emulator class.

    Raises:
        MissingProfileError: the provider has no emulator, or its emulator no profile.
        phonerouting.ConfigurationError: the provider is unknown.
    """
    from phonerouting.registry import emulator_class

    cls = emulator_class(provider)
    if cls is None:
        raise MissingProfileError(
            f"provider {provider!r} has no emulator, so the generic test suites cannot run "
            "over it: register it with emulator=<an Emulator subclass> whose profile is a "
            "phonerouting.testing.ProviderProfile"
        )
    found = getattr(cls, "profile", None)
    if not isinstance(found, ProviderProfile):
        raise MissingProfileError(
            f"the emulator of provider {provider!r} ({cls.__qualname__}) has no profile, so "
            "the generic test suites cannot run over it: set its class attribute profile "
            "to a phonerouting.testing.ProviderProfile (see docs/writing-a-provider.md)"
        )
    if found.provider != provider:
        raise MissingProfileError(
            f"the profile of provider {provider!r} names provider {found.provider!r}"
        )
    return found
