"""twilio's hostile answers (see ``__init__.py``)."""

from __future__ import annotations

from typing import Any


def HUGE_ERROR(blob: str) -> Any:  # noqa: N802 - a case, named like the others
    return {"code": 21402, "message": blob, "more_info": blob, "status": 422}


def REPEATING_PAGE(item: Any) -> Any:  # noqa: N802
    # next_page_uri names the page just read, again and again.
    return {
        "incoming_phone_numbers": [item],
        "next_page_uri": "/2010-04-01/Accounts/AC" + "0" * 32 + "/IncomingPhoneNumbers.json"
        "?PageSize=1000&Page=1&PageToken=PAsame",
        "page": 1,
        "page_size": 1000,
    }
