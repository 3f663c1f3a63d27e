"""telnyx's hostile answers (see ``__init__.py``)."""

from __future__ import annotations

from typing import Any


def HUGE_ERROR(blob: str) -> Any:  # noqa: N802 - a case, named like the others
    return {
        "errors": [
            {
                "code": blob,
                "title": blob,
                "detail": blob,
                "source": {"pointer": "/" + blob},
                "meta": {"url": blob},
            }
        ]
    }


def REPEATING_PAGE(item: Any) -> Any:  # noqa: N802
    # Always page 1 of a million, whatever page was asked for.
    return {
        "data": [item],
        "meta": {"page_number": 1, "page_size": 250, "total_pages": 10**6, "total_results": 1},
    }
