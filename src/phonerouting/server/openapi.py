"""The OpenAPI 3.1 document of the service's API, built from one table of operations
(`OPERATIONS`), which a test holds against the app's routes both ways."""

from __future__ import annotations

from typing import Any, Final

from phonerouting._version import __version__
from phonerouting.model import ROUTING_FIELDS
from phonerouting.server.auth import ROLES

__all__ = ["OPERATIONS", "document"]

_ERRORS = ("400", "401", "403", "404", "413", "422", "500", "502", "503", "504")

_NULLABLE_STRING: Final = {"type": ["string", "null"]}
_ROUTING_SCHEMA: dict[str, Any] = {
    "forwarding_number": _NULLABLE_STRING,
    "inbound_url": _NULLABLE_STRING,
    "status_url": _NULLABLE_STRING,
    "label": _NULLABLE_STRING,
    "campaign_id": _NULLABLE_STRING,
    "voicemail_greeting_url": _NULLABLE_STRING,
    "ring_duration": {"type": ["integer", "null"]},
    "participants": {"type": ["array", "null"], "items": {"type": "string"}},
    "external_numbers": {"type": ["array", "null"], "items": {"type": "string"}},
    "press_1_to_accept": {"type": ["boolean", "null"]},
}


def _routing() -> dict[str, Any]:
    # A field added to the model shows up here even before it has a schema of its own.
    return {f: _ROUTING_SCHEMA.get(f, {}) for f in ROUTING_FIELDS}


def _schemas() -> dict[str, Any]:
    ref = _ref
    return {
        "Problem": {
            "type": "object",
            "description": "RFC 9457 problem details, with the library error's fields.",
            "required": ["type", "title", "status", "detail", "error", "request_id", "hint"],
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "error": {"type": "string", "description": "the library error's class"},
                "field": _NULLABLE_STRING,
                "provider": _NULLABLE_STRING,
                "code": {"type": ["string", "integer", "null"]},
                "vendor_request_id": _NULLABLE_STRING,
                "request_id": {"type": "string"},
                "hint": {"type": "string"},
                "details": {"type": "object"},
                "retry_after": {"type": "number"},
            },
        },
        "Number": {
            "type": "object",
            "required": ["account", "provider", "id", "number", "read_at", "stale", "etag"],
            "properties": {
                "account": {"type": "string"},
                "provider": {"type": "string"},
                "id": {"type": "string"},
                "number": {"type": "string", "description": "E.164"},
                **_routing(),
                "sms_enabled": {"type": ["boolean", "null"]},
                "mms_enabled": {"type": ["boolean", "null"]},
                "created_at": _NULLABLE_STRING,
                "updated_at": _NULLABLE_STRING,
                "read_at": {"type": "string"},
                "stale": {"type": "boolean"},
                "etag": {"type": "string"},
            },
        },
        "NumberPage": {
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": ref("Number")},
                "next_cursor": _NULLABLE_STRING,
            },
        },
        "NumberHolders": {
            "type": "object",
            "required": ["number", "items"],
            "properties": {
                "number": {"type": "string"},
                "items": {"type": "array", "items": ref("Number")},
            },
        },
        "Update": {
            "type": "object",
            "description": "Routing fields: absent = leave alone, null = clear, a value = set.",
            "additionalProperties": False,
            "properties": _routing(),
        },
        "Account": {
            "type": "object",
            "required": ["name", "provider", "capabilities", "health", "numbers"],
            "properties": {
                "name": {"type": "string"},
                "provider": {"type": "string"},
                "capabilities": {"type": "object"},
                "health": {"type": "object"},
                "numbers": {"type": "integer"},
            },
        },
        "AccountList": {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": ref("Account")}},
        },
        "Refreshed": {"type": "object", "required": ["name", "numbers"]},
        "Selection": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "accounts": {"type": "array", "items": {"type": "string"}},
                "providers": {"type": "array", "items": {"type": "string"}},
                "q": {"type": "string"},
                "has": {"type": "array", "items": {"type": "string", "enum": list(ROUTING_FIELDS)}},
                "missing": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(ROUTING_FIELDS)},
                },
                "numbers": {"type": "array", "items": {"type": "string"}},
            },
        },
        "ChangeSetRequest": {
            "type": "object",
            "required": ["update"],
            "additionalProperties": False,
            "properties": {"selection": ref("Selection"), "update": ref("Update")},
        },
        "MigrationRequest": {
            "type": "object",
            "required": ["from", "to"],
            "additionalProperties": False,
            "properties": {
                "from": {"type": "string"},
                "to": {"type": "string"},
                "fields": {"type": "array", "items": {"type": "string"}},
            },
        },
        "Job": {
            "type": "object",
            "description": "A change set or migration: its plan per number, state, progress "
            "and report.",
            "required": ["id", "kind", "state", "summary", "numbers", "parts"],
            "properties": {
                "id": {"type": "string"},
                "kind": {"type": "string", "enum": ["change_set", "migration"]},
                "state": {
                    "type": "string",
                    "enum": [
                        "planned",
                        "applying",
                        "applied",
                        "failed",
                        "rolling_back",
                        "rolled_back",
                    ],
                },
                "summary": {"type": "object"},
                "progress": {"type": "object"},
                "report": {"type": ["object", "null"]},
                "numbers": {"type": "array", "items": {"type": "object"}},
                "parts": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Verification": {"type": "object", "required": ["id", "parts", "ok"]},
        "AuditEntry": {
            "type": "object",
            "required": ["seq", "at", "actor", "action", "account", "outcome"],
            "properties": {
                "seq": {"type": "integer"},
                "at": {"type": "string"},
                "actor": {"type": "string"},
                "action": {"type": "string"},
                "account": {"type": "string"},
                "number": _NULLABLE_STRING,
                "number_id": _NULLABLE_STRING,
                "before": {"type": ["object", "null"]},
                "after": {"type": ["object", "null"]},
                "outcome": {"type": "string"},
                "vendor_request_id": _NULLABLE_STRING,
                "detail": _NULLABLE_STRING,
                "job": _NULLABLE_STRING,
            },
        },
        "AuditPage": {
            "type": "object",
            "required": ["items", "next_cursor"],
            "properties": {
                "items": {"type": "array", "items": ref("AuditEntry")},
                "next_cursor": _NULLABLE_STRING,
            },
        },
        "Status": {"type": "object", "required": ["status"]},
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _path(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


_LIMIT = _query(
    "limit", "items per page (1-1000, default 100)", type="integer", minimum=1, maximum=1000
)
_CURSOR = _query("cursor", "next_cursor of the page before")
_FIELD_LIST = {"type": "string"}

#: (method, path, role or None for no token, summary, parameters, request body schema,
#: success status, success schema or content type, extra statuses)
OPERATIONS: Final[
    tuple[
        tuple[str, str, str | None, str, tuple[Any, ...], str | None, str, str, tuple[str, ...]],
        ...,
    ]
] = (
    ("get", "/healthz", None, "Alive", (), None, "200", "Status", ()),
    (
        "get",
        "/readyz",
        None,
        "Ready: store reachable, accounts loaded",
        (),
        None,
        "200",
        "Status",
        ("503",),
    ),
    ("get", "/openapi.json", None, "This document", (), None, "200", "object", ()),
    (
        "get",
        "/api/v1/accounts",
        "viewer",
        "The accounts: provider, capabilities, health",
        (),
        None,
        "200",
        "AccountList",
        (),
    ),
    (
        "post",
        "/api/v1/accounts/{name}/refresh",
        "admin",
        "Read the account's numbers again",
        (_path("name"),),
        None,
        "200",
        "Refreshed",
        (),
    ),
    (
        "get",
        "/api/v1/numbers",
        "viewer",
        "The inventory across accounts, from the store",
        (
            _query("q", "a number in any human form, or a label substring"),
            _query("account", "account names, comma-separated"),
            _query("provider", "provider names, comma-separated"),
            _query(
                "has", "only numbers with these routing fields set (comma-separated)", **_FIELD_LIST
            ),
            _query(
                "missing",
                "only numbers with these routing fields empty (comma-separated)",
                **_FIELD_LIST,
            ),
            _CURSOR,
            _LIMIT,
        ),
        None,
        "200",
        "NumberPage",
        (),
    ),
    (
        "get",
        "/api/v1/numbers/{e164}",
        "viewer",
        "The number in every account that holds it",
        (_path("e164"),),
        None,
        "200",
        "NumberHolders",
        (),
    ),
    (
        "get",
        "/api/v1/accounts/{name}/numbers/{id}",
        "viewer",
        "One line of an account, with its ETag",
        (_path("name"), _path("id")),
        None,
        "200",
        "Number",
        (),
    ),
    (
        "patch",
        "/api/v1/accounts/{name}/numbers/{id}",
        "editor",
        "Change the routing of one number (If-Match honoured); answers the number after",
        (
            _path("name"),
            _path("id"),
            {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}},
        ),
        "Update",
        "200",
        "Number",
        ("412",),
    ),
    (
        "post",
        "/api/v1/changes",
        "editor",
        "Plan one update over selected numbers (nothing is written)",
        (),
        "ChangeSetRequest",
        "201",
        "Job",
        (),
    ),
    (
        "get",
        "/api/v1/changes/{id}",
        "viewer",
        "A change set: plan, state, progress, report",
        (_path("id"),),
        None,
        "200",
        "Job",
        (),
    ),
    (
        "post",
        "/api/v1/changes/{id}/apply",
        "editor",
        "Apply a change set (journaled, compare before write)",
        (_path("id"),),
        None,
        "202",
        "Job",
        ("409",),
    ),
    (
        "post",
        "/api/v1/changes/{id}/rollback",
        "admin",
        "Roll a change set back",
        (_path("id"),),
        None,
        "202",
        "Job",
        ("409",),
    ),
    (
        "get",
        "/api/v1/changes/{id}/events",
        "viewer",
        "Progress as server-sent events",
        (_path("id"),),
        None,
        "200",
        "text/event-stream",
        (),
    ),
    (
        "post",
        "/api/v1/migrations",
        "admin",
        "Plan a migration between two accounts",
        (),
        "MigrationRequest",
        "201",
        "Job",
        (),
    ),
    (
        "get",
        "/api/v1/migrations/{id}",
        "viewer",
        "A migration: plan, state, progress, report",
        (_path("id"),),
        None,
        "200",
        "Job",
        (),
    ),
    (
        "post",
        "/api/v1/migrations/{id}/apply",
        "admin",
        "Apply a migration",
        (_path("id"),),
        None,
        "202",
        "Job",
        ("409",),
    ),
    (
        "post",
        "/api/v1/migrations/{id}/verify",
        "admin",
        "Check the target against the journal",
        (_path("id"),),
        None,
        "200",
        "Verification",
        (),
    ),
    (
        "post",
        "/api/v1/migrations/{id}/rollback",
        "admin",
        "Roll a migration back",
        (_path("id"),),
        None,
        "202",
        "Job",
        ("409",),
    ),
    (
        "get",
        "/api/v1/migrations/{id}/events",
        "viewer",
        "Progress as server-sent events",
        (_path("id"),),
        None,
        "200",
        "text/event-stream",
        (),
    ),
    (
        "get",
        "/api/v1/audit",
        "viewer",
        "Every write made or attempted (append-only)",
        (
            _query("account", "account names, comma-separated"),
            _query("number", "an E.164 number"),
            _query("actor", "a token's name"),
            _query("since", "ISO 8601 time with offset (inclusive)"),
            _query("until", "ISO 8601 time with offset (exclusive)"),
            _query("format", "json (default) or csv", type="string", enum=["json", "csv"]),
            _CURSOR,
            _LIMIT,
        ),
        None,
        "200",
        "AuditPage",
        (),
    ),
)


def _content(schema: str) -> dict[str, Any]:
    if "/" in schema:
        return {schema: {"schema": {"type": "string"}}}
    body = {"type": "object"} if schema == "object" else _ref(schema)
    return {"application/json": {"schema": body}}


def _problem_response(status: str) -> dict[str, Any]:
    return {
        "description": "a problem (RFC 9457)",
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }


def document(root_path: str = "") -> dict[str, Any]:
    """The OpenAPI document; ``root_path`` is the prefix the app is mounted under."""
    paths: dict[str, Any] = {}
    for method, path, role, summary, params, body, status, schema, extra in OPERATIONS:
        responses: dict[str, Any] = {status: {"description": summary, "content": _content(schema)}}
        if path == "/api/v1/audit":
            responses[status]["content"]["text/csv"] = {"schema": {"type": "string"}}
        statuses = (*(_ERRORS if role else ("500",)), *extra)
        for code in sorted(set(statuses)):
            responses[code] = _problem_response(code)
        operation: dict[str, Any] = {
            "summary": summary,
            "operationId": (method + path)
            .replace("/", "_")
            .replace("{", "")
            .replace("}", "")
            .replace(".", "_")
            .replace("-", "_"),
            "parameters": list(params),
            "responses": responses,
        }
        if role is None:
            operation["security"] = []
        else:
            operation["description"] = f"Needs the {role} role (roles: {' < '.join(ROLES)})."
        if body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _ref(body)}},
            }
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "phonerouting", "version": __version__},
        "servers": [{"url": root_path or "/"}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
