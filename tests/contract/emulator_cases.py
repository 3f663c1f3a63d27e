"""Every answer the emulators give on purpose, one case per (operation, status, cause),
for the contract tests: each case builds a fresh emulator, provokes the answer through
the in-process transport and returns the httpx response.

A case may name the golden sample in ``providers/<name>/samples/`` it must match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import httpx

from phonerouting import testing
from tests.emulators.http import LIST_PATHS, client, item_path

PROVIDERS = ("linq-v2", "linq-v3", "agentmessage", "close")
UNKNOWN_UUID = "00000000-0000-4000-8000-000000000404"
UNKNOWN_CLOSE = "/phone_number/phon_" + "Unknown" + "0" * 36 + "/"
#: What a programmed 429 asks for: not whole, so the emulators must round it (up, to 30).
FAULT_RETRY_AFTER = 29.2


@attrs.define
class Env:
    """A fresh emulator of one provider with the numbers the cases act on."""

    emu: testing.Emulator
    own: Any  # the id of a number the key may change
    other: Any = None  # a number of another organization (Linq, AgentMessage)
    group: Any = None  # a Close group number
    campaign: str | None = None  # an active AgentMessage campaign
    inactive: str | None = None  # an inactive one

    def http(self, key: str | None = None) -> httpx.Client:
        """A client with the emulator's key, or ``key``."""
        return client(self.emu, key)


def env(provider: str) -> Env:
    """The emulator and numbers of one case, shaped like the golden samples."""
    if provider == "linq-v2":
        v2 = testing.LinqV2Emulator()
        own = v2.add_number("+12025551234", forwarding_number="+12025559999").id
        v2.add_number("+13125550182")
        return Env(v2, own, other=v2.add_foreign_number("+14155550100").id)
    if provider == "linq-v3":
        v3 = testing.LinqV3Emulator()
        own = v3.add_number("+12025551234", forwarding_number="+12025559999", line_type="iMessage")
        v3.add_number("+12125550147")
        return Env(v3, own.id, other=v3.add_foreign_number("+14155550100").id)
    if provider == "agentmessage":
        am = testing.AgentMessageEmulator()
        campaign, inactive = am.add_campaign(), am.add_campaign(active=False)
        am.add_number("+13125550182", inbound_url="https://customer.example/v2/inbound")
        own = am.add_number(
            "+12025551234",
            inbound_url="https://customer.example/v2/inbound",
            status_url="https://customer.example/v2/status",
            label="Support line",
            campaign_id=campaign,
        ).id
        other = am.add_foreign_number("+14155550100").id
        return Env(am, own, other=other, campaign=campaign, inactive=inactive)
    close = testing.CloseEmulator()
    own = close.add_number(
        "+16503335555",
        label="Sales line",
        forward_to="+16502221111",
        inbound_ring_duration=45,
        voicemail_greeting_url="https://cdn.example/greeting.mp3",
    ).id
    group = close.add_number("+16503336666", label="Team", is_group_number=True).id
    return Env(close, own, group=group)


#: provider → operationId → (method, path of the number the request targets, body).
Target = Callable[[Env], tuple[str, str, Any]]
OPERATIONS: dict[str, dict[str, Target]] = {
    "linq-v2": {
        "list": lambda e: ("GET", LIST_PATHS["linq-v2"], None),
        "update": lambda e: (
            "PUT",
            item_path("linq-v2", e.own),
            {"forwarding_number": "+12025559999"},
        ),
    },
    "linq-v3": {
        "list": lambda e: ("GET", LIST_PATHS["linq-v3"], None),
        "update": lambda e: (
            "PUT",
            item_path("linq-v3", e.own),
            {"forwarding_number": "+12025559999"},
        ),
    },
    "agentmessage": {
        "list": lambda e: ("GET", LIST_PATHS["agentmessage"], None),
        "get": lambda e: ("GET", item_path("agentmessage", e.own), None),
        "update": lambda e: (
            "PATCH",
            item_path("agentmessage", e.own),
            {"inbound_url": "https://customer.example/v2/inbound"},
        ),
        "attach_campaign": lambda e: (
            "POST",
            item_path("agentmessage", e.own) + "/campaign",
            {"campaign_id": e.campaign},
        ),
        "detach_campaign": lambda e: (
            "DELETE",
            item_path("agentmessage", e.own) + "/campaign",
            None,
        ),
    },
    "close": {
        "list": lambda e: ("GET", LIST_PATHS["close"], None),
        "get": lambda e: ("GET", item_path("close", e.own), None),
        "update": lambda e: ("PUT", item_path("close", e.own), {"label": "Sales line"}),
        "delete": lambda e: ("DELETE", item_path("close", e.own), None),
    },
}


@attrs.frozen
class Case:
    """One answer to provoke: ``run`` gets a fresh :class:`Env` and returns it."""

    provider: str
    operation: str
    status: int
    cause: str
    run: Callable[[Env], httpx.Response]
    sample: str | None = None

    @property
    def name(self) -> str:
        """A readable test id."""
        return f"{self.provider}-{self.operation}-{self.status}-{self.cause}"


def send(
    e: Env,
    operation: str,
    *,
    key: str | None = None,
    path: str | None = None,
    body: Any = ...,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """The operation's request, with any part replaced."""
    method, default_path, default_body = OPERATIONS[e.emu.provider][operation](e)
    sent = default_body if body is ... else body
    with e.http(key) as http:
        return http.request(method, path or default_path, json=sent, params=params)


def _with(operation: str, **replace: Any) -> Callable[[Env], httpx.Response]:
    """Send ``operation`` with parts replaced; a callable value is given the Env."""

    def run(e: Env) -> httpx.Response:
        values = {k: v(e) if callable(v) else v for k, v in replace.items()}
        return send(e, operation, **values)

    return run


def _fault(
    operation: str, program: Callable[[testing.Emulator], object]
) -> Callable[[Env], httpx.Response]:
    def run(e: Env) -> httpx.Response:
        program(e.emu)
        return send(e, operation)

    return run


def _limited(operation: str) -> Callable[[Env], httpx.Response]:
    """A second request within the rate limiter's window: the limiter's own 429."""

    def run(e: Env) -> httpx.Response:
        e.emu.clock = lambda: 0.0  # the bucket never refills
        e.emu.set_rate_limit(0.4)
        with e.http() as http:
            http.get(LIST_PATHS[e.emu.provider])
        return send(e, operation)

    return run


def _common(provider: str) -> list[Case]:
    """401, both kinds of 429 and the 5xx faults, on every operation."""
    cases = []
    for operation in OPERATIONS[provider]:

        def sample(status: int, operation: str = operation) -> str:
            return f"{operation}.{status}.json"

        cases += [
            Case(provider, operation, 401, "bad-key", _with(operation, key="bad-key"), sample(401)),
            Case(
                provider,
                operation,
                429,
                "fault",
                _fault(
                    operation, lambda emu: emu.faults.rate_limited(retry_after=FAULT_RETRY_AFTER)
                ),
                sample(429),
            ),
            Case(provider, operation, 429, "rate-limiter", _limited(operation)),
        ]
        for status in (500, 502, 503):
            cases.append(
                Case(
                    provider,
                    operation,
                    status,
                    "fault",
                    _fault(operation, lambda emu, s=status: emu.faults.server_error(s)),
                    sample(500) if status == 500 else None,
                )
            )
    return cases


def _am_item(suffix: str = "") -> Callable[[Env], str]:
    return lambda e: item_path("agentmessage", "12345") + suffix


def _foreign(provider: str, suffix: str = "") -> Callable[[Env], str]:
    return lambda e: item_path(provider, e.other) + suffix


def _read_only(e: Env) -> str:
    return e.emu.add_key(["numbers:read"])  # type: ignore[attr-defined,no-any-return]


def _write_only(e: Env) -> str:
    return e.emu.add_key(["numbers:write"])  # type: ignore[attr-defined,no-any-return]


def _close_restricted(e: Env) -> str:
    return e.emu.add_key()  # type: ignore[attr-defined,no-any-return]


def _group(e: Env) -> str:
    return item_path("close", e.group)


SPECIFIC: list[Case] = [
    # ----------------------------------------------------------------- linq-v2
    Case("linq-v2", "list", 200, "ok", _with("list"), "list.200.json"),
    Case("linq-v2", "update", 200, "set", _with("update"), "update.200.json"),
    Case(
        "linq-v2",
        "update",
        200,
        "cleared",
        _with("update", body={"forwarding_number": ""}),
        "update.200.cleared.json",
    ),
    Case(
        "linq-v2",
        "update",
        403,
        "foreign",
        _with("update", path=_foreign("linq-v2")),
        "update.403.json",
    ),
    Case(
        "linq-v2",
        "update",
        404,
        "unknown",
        _with("update", path=item_path("linq-v2", 999)),
        "update.404.json",
    ),
    Case(
        "linq-v2",
        "update",
        422,
        "invalid",
        _with("update", body={"forwarding_number": "12025559999"}),
        "update.422.json",
    ),
    Case("linq-v2", "update", 422, "missing", _with("update", body={})),
    # ----------------------------------------------------------------- linq-v3
    Case("linq-v3", "list", 200, "ok", _with("list"), "list.200.json"),
    Case("linq-v3", "update", 200, "set", _with("update"), "update.200.json"),
    Case(
        "linq-v3",
        "update",
        200,
        "cleared",
        _with("update", body={"forwarding_number": None}),
        "update.200.cleared.json",
    ),
    Case(
        "linq-v3",
        "update",
        400,
        "not-e164",
        _with("update", body={"forwarding_number": "2025559999"}),
        "update.400.not_e164.json",
    ),
    Case(
        "linq-v3",
        "update",
        400,
        "missing",
        _with("update", body={}),
        "update.400.missing_field.json",
    ),
    Case(
        "linq-v3",
        "update",
        403,
        "foreign",
        _with("update", path=_foreign("linq-v3")),
        "update.403.json",
    ),
    Case(
        "linq-v3",
        "update",
        404,
        "unknown",
        _with("update", path=item_path("linq-v3", UNKNOWN_UUID)),
        "update.404.json",
    ),
    # ----------------------------------------------------------------- agentmessage
    Case(
        "agentmessage",
        "list",
        200,
        "first-page",
        _with("list", params={"limit": "1"}),
        "list.200.json",
    ),
    Case("agentmessage", "list", 200, "last-page", _with("list"), "list.200.last_page.json"),
    Case(
        "agentmessage",
        "list",
        400,
        "crafted-cursor",
        _with("list", params={"cursor": "eyJjcmVhdGVkX2F0IjogMSwgImlkIjogMn0="}),
        "list.400.invalid_cursor.json",
    ),
    Case(
        "agentmessage",
        "list",
        403,
        "write-only-key",
        _with("list", key=_write_only),
        "list.403.json",
    ),
    Case(
        "agentmessage",
        "list",
        422,
        "limit",
        _with("list", params={"limit": "101"}),
        "list.422.limit.json",
    ),
    Case("agentmessage", "get", 200, "ok", _with("get"), "get.200.json"),
    Case(
        "agentmessage",
        "get",
        400,
        "bad-id",
        _with("get", path=_am_item()),
        "get.400.invalid_id.json",
    ),
    Case(
        "agentmessage", "get", 403, "write-only-key", _with("get", key=_write_only), "get.403.json"
    ),
    Case(
        "agentmessage",
        "get",
        404,
        "foreign",
        _with("get", path=_foreign("agentmessage")),
        "get.404.json",
    ),
    Case("agentmessage", "update", 200, "set", _with("update"), "update.200.json"),
    Case(
        "agentmessage",
        "update",
        200,
        "cleared",
        _with("update", body={"inbound_url": "", "status_url": "", "label": ""}),
        "update.200.cleared.json",
    ),
    Case(
        "agentmessage",
        "update",
        400,
        "unknown-field",
        _with("update", body={"number_type": "toll_free"}),
        "update.400.unknown_field.json",
    ),
    Case(
        "agentmessage",
        "update",
        400,
        "bad-id",
        _with("update", path=_am_item()),
        "update.400.invalid_id.json",
    ),
    Case(
        "agentmessage",
        "update",
        403,
        "read-only-key",
        _with("update", key=_read_only),
        "update.403.json",
    ),
    Case(
        "agentmessage",
        "update",
        404,
        "foreign",
        _with("update", path=_foreign("agentmessage")),
        "update.404.json",
    ),
    Case(
        "agentmessage",
        "update",
        409,
        "inactive-campaign",
        _with("update", body=lambda e: {"campaign_id": e.inactive}),
        "update.409.campaign_not_active.json",
    ),
    Case(
        "agentmessage",
        "update",
        422,
        "not-https",
        _with("update", body={"inbound_url": "http://customer.example/v2/inbound"}),
        "update.422.not_https.json",
    ),
    Case(
        "agentmessage",
        "update",
        422,
        "empty-campaign",
        _with("update", body={"campaign_id": ""}),
        "update.422.campaign_id_empty.json",
    ),
    Case(
        "agentmessage",
        "attach_campaign",
        200,
        "ok",
        _with("attach_campaign"),
        "attach_campaign.200.json",
    ),
    Case(
        "agentmessage",
        "attach_campaign",
        400,
        "bad-id",
        _with("attach_campaign", path=_am_item("/campaign")),
        "attach_campaign.400.invalid_id.json",
    ),
    Case(
        "agentmessage",
        "attach_campaign",
        403,
        "read-only-key",
        _with("attach_campaign", key=_read_only),
        "attach_campaign.403.json",
    ),
    Case(
        "agentmessage",
        "attach_campaign",
        404,
        "foreign",
        _with("attach_campaign", path=_foreign("agentmessage", "/campaign")),
        "attach_campaign.404.json",
    ),
    Case(
        "agentmessage",
        "attach_campaign",
        409,
        "inactive-campaign",
        _with("attach_campaign", body=lambda e: {"campaign_id": e.inactive}),
        "attach_campaign.409.campaign_not_active.json",
    ),
    Case(
        "agentmessage",
        "attach_campaign",
        422,
        "not-uuid",
        _with("attach_campaign", body={"campaign_id": "cmp_1"}),
        "attach_campaign.422.json",
    ),
    Case(
        "agentmessage",
        "detach_campaign",
        200,
        "ok",
        _with("detach_campaign"),
        "detach_campaign.200.json",
    ),
    Case(
        "agentmessage",
        "detach_campaign",
        400,
        "bad-id",
        _with("detach_campaign", path=_am_item("/campaign")),
        "detach_campaign.400.invalid_id.json",
    ),
    Case(
        "agentmessage",
        "detach_campaign",
        403,
        "read-only-key",
        _with("detach_campaign", key=_read_only),
        "detach_campaign.403.json",
    ),
    Case(
        "agentmessage",
        "detach_campaign",
        404,
        "foreign",
        _with("detach_campaign", path=_foreign("agentmessage", "/campaign")),
        "detach_campaign.404.json",
    ),
    # ----------------------------------------------------------------- close
    Case("close", "list", 200, "ok", _with("list", params={"_limit": "1"}), "list.200.json"),
    Case("close", "list", 200, "last-page", _with("list"), "list.200.last_page.json"),
    Case("close", "list", 400, "limit", _with("list", params={"_limit": "0"}), "list.400.json"),
    Case("close", "get", 200, "ok", _with("get"), "get.200.json"),
    Case(
        "close",
        "get",
        404,
        "unknown",
        _with("get", path=UNKNOWN_CLOSE),
        "get.404.json",
    ),
    Case("close", "update", 200, "set", _with("update"), "update.200.json"),
    Case(
        "close",
        "update",
        200,
        "cleared",
        _with(
            "update",
            body={
                "label": "",
                "forward_to": None,
                "forward_to_enabled": False,
                "inbound_ring_duration": None,
                "voicemail_greeting_url": None,
                "participants": [],
                "phone_numbers": [],
            },
        ),
        "update.200.cleared.json",
    ),
    Case(
        "close",
        "update",
        400,
        "unknown-field",
        _with("update", body={"forwarding_number": "+16502221111"}),
        "update.400.unknown_field.json",
    ),
    Case(
        "close",
        "update",
        400,
        "ring-duration",
        _with("update", body={"inbound_ring_duration": 91}),
        "update.400.ring_duration.json",
    ),
    Case(
        "close",
        "update",
        400,
        "voicemail-url",
        _with("update", body={"voicemail_greeting_url": "http://cdn.example/g.mp3"}),
        "update.400.voicemail_url.json",
    ),
    Case(
        "close",
        "update",
        403,
        "group",
        _with("update", path=_group, key=_close_restricted),
        "update.403.json",
    ),
    Case(
        "close",
        "update",
        404,
        "unknown",
        _with("update", path=UNKNOWN_CLOSE),
        "update.404.json",
    ),
    Case("close", "delete", 200, "ok", _with("delete"), "delete.200.json"),
    Case(
        "close",
        "delete",
        403,
        "group",
        _with("delete", path=_group, key=_close_restricted),
        "delete.403.json",
    ),
    Case(
        "close",
        "delete",
        404,
        "unknown",
        _with("delete", path=UNKNOWN_CLOSE),
        "delete.404.json",
    ),
]

CASES: list[Case] = [case for p in PROVIDERS for case in _common(p)] + SPECIFIC

#: Golden samples no emulator answer reproduces, and why.
UNREPRODUCED: dict[str, str] = {
    "linq-v3/list.403.json": "the emulator has one all-powerful key; list never answers 403",
    "agentmessage/attach_campaign.409.brand_not_verified.json": "brands are not emulated",
    "agentmessage/attach_campaign.409.number_not_assigned.json": "assignment is not emulated",
    "agentmessage/update.409.brand_not_verified.json": "brands are not emulated",
    "close/update.402.json": "plan limits are not emulated",
    "close/update.429.legacy_body.json": "Close's deprecated 429 body; the emulator sends today's",
}
