"""close's hostile answers (see ``__init__.py``)."""

from __future__ import annotations

from typing import Any


def HUGE_ERROR(blob: str) -> Any:  # noqa: N802 - a case, named like the others
    return {"errors": [blob], "field-errors": {"label": blob, blob[:1000]: blob}}


def FIELD_ERROR(name: str) -> Any:  # noqa: N802
    return {"errors": [], "field-errors": {name: "bad"}}


def REPEATING_PAGE(item: Any) -> Any:  # noqa: N802
    del item
    return {"data": [], "has_more": True}


EDGE_TIMESTAMPS = [
    ("date_created", "0001-01-01T00:30:00+05:00"),
    ("date_updated", "9999-12-31T23:00:00-12:00"),
]
ABSURD_RATE_LIMITS = [
    ("body", {"error": {"message": "slow down", "rate_reset": 10**400}}, {}),
    ("header", {"error": "slow down"}, {"RateLimit": "limit=1, remaining=0, reset=" + "9" * 400}),
]
