"""linq-v3's hostile answers (see ``__init__.py``)."""

from __future__ import annotations

from typing import Any


def HUGE_ERROR(blob: str) -> Any:  # noqa: N802 - a case, named like the others
    return {
        "success": False,
        "error": {"status": 400, "code": 1002, "message": blob, "doc_url": blob},
        "trace_id": blob,
    }


ABSURD_RATE_LIMITS = [
    ("body", {"success": False, "error": {"code": 1007, "retry_after": 10**400}}, {}),
    ("negative", {"success": False, "error": {"code": 1007, "retry_after": -5}}, {}),
]
