"""linq-v2's hostile answers (see ``__init__.py``)."""

from __future__ import annotations

from typing import Any


def HUGE_ERROR(blob: str) -> Any:  # noqa: N802 - a case, named like the others
    return {"errors": [{"status": 422, "code": blob, "title": blob, "detail": blob}]}


ABSURD_RATE_LIMITS = [("date", {"errors": []}, {"Retry-After": "Fri, 31 Dec 99999 23:59:59 GMT"})]
