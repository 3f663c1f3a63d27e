"""agentmessage's hostile answers (see ``__init__.py``)."""

from __future__ import annotations

from typing import Any


def HUGE_ERROR(blob: str) -> Any:  # noqa: N802 - a case, named like the others
    return {
        "success": False,
        "error": {
            "code": blob,
            "message": blob,
            "request_id": blob,
            "details": {"label": blob, blob[:1000]: "x"},
        },
    }


def FIELD_ERROR(name: str) -> Any:  # noqa: N802
    return {
        "success": False,
        "error": {"code": "VALIDATION_FAILED", "message": "bad", "details": {name: "x"}},
    }


def REPEATING_PAGE(item: Any) -> Any:  # noqa: N802
    return {"success": True, "data": [item], "meta": {"limit": 100, "next_cursor": "same-cursor"}}


EDGE_TIMESTAMPS = [
    ("created_at", "0001-01-01T00:00:00+01:00"),
    ("updated_at", "9999-12-31T23:59:59-01:00"),
]
ABSURD_RATE_LIMITS = [("header", {"success": False}, {"Retry-After": "1" * 400})]
