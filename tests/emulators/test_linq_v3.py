"""The Linq v3 emulator behaves as PROVIDERS.md and Linq's v3 reference document."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from phonerouting import testing
from tests.emulators.http import LIST_PATHS, TRACE_ID, UUID4, client

LIST = LIST_PATHS["linq-v3"]
DOCS = "https://docs.linqapp.com/error/codes"
UNKNOWN = "00000000-0000-4000-8000-000000000404"


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "status": status,
        "code": code,
        "message": message,
        "doc_url": f"{DOCS}/{code // 1000}xxx/{code}/",
    }


def assert_linq_error(response: httpx.Response, status: int, code: int, message: str) -> None:
    """Linq's envelope, with the same trace id in the body and ``X-Trace-ID``."""
    assert response.status_code == status
    body = response.json()
    assert body == {
        "success": False,
        "error": _error(status, code, message),
        "trace_id": body["trace_id"],
    }
    assert TRACE_ID.fullmatch(body["trace_id"])
    assert response.headers["X-Trace-ID"] == body["trace_id"]


@pytest.fixture
def emu() -> testing.LinqV3Emulator:
    emulator = testing.LinqV3Emulator(seed=1)
    emulator.add_number("+12025550142", forwarding_number="+12025550199", line_type="iMessage")
    emulator.add_number("+13125550182", reputation="AT_RISK")
    return emulator


def _ids(emu: testing.LinqV3Emulator) -> list[str]:
    return list(emu.numbers)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer linq_wrong"}, {"X-LINQ-INTEGRATION-TOKEN": "KEY"}],
    ids=["missing", "wrong-key", "v2-header"],
)
def test_bad_or_missing_key_is_401_2004(
    emu: testing.LinqV3Emulator, headers: dict[str, str]
) -> None:
    sent = {k: v.replace("KEY", emu.api_key) for k, v in headers.items()}
    first = _ids(emu)[0]
    with client(emu, headers=sent) as http:
        for response in (
            http.get(LIST),
            http.put(f"{LIST}/{first}", json={"forwarding_number": ""}),
        ):
            assert_linq_error(
                response, 401, 2004, "Unauthorized - missing or invalid authentication token"
            )
    assert emu.get(first).forwarding_number == "+12025550199"


def test_list_is_unpaginated_uuid_ids_reputation_and_absent_forwarding_key(
    emu: testing.LinqV3Emulator,
) -> None:
    emu.add_foreign_number("+14155550100")
    with client(emu) as http:
        response = http.get(LIST)
    assert response.status_code == 200
    assert TRACE_ID.fullmatch(response.headers["X-Trace-ID"])
    first, second = response.json()["phone_numbers"]
    assert UUID4.fullmatch(first["id"])
    assert UUID4.fullmatch(second["id"])
    assert first == {
        "id": first["id"],
        "phone_number": "+12025550142",
        "forwarding_number": "+12025550199",
        "reputation": {"status": "HEALTHY", "doc_url": "https://docs.linqapp.com/reputation/"},
        "line_type": "iMessage",
    }
    # Unset forwarding and line type: the keys are absent, as Linq allows.
    assert second == {
        "id": second["id"],
        "phone_number": "+13125550182",
        "reputation": {"status": "AT_RISK", "doc_url": "https://docs.linqapp.com/reputation/"},
    }


def test_update_sets_and_answers_id_number_forwarding(emu: testing.LinqV3Emulator) -> None:
    second = _ids(emu)[1]
    with client(emu) as http:
        response = http.put(f"{LIST}/{second}", json={"forwarding_number": "+16175550123"})
    assert response.status_code == 200
    assert response.json() == {
        "id": second,
        "phone_number": "+13125550182",
        "forwarding_number": "+16175550123",
    }
    assert TRACE_ID.fullmatch(response.headers["X-Trace-ID"])


@pytest.mark.parametrize("clear", ["", None], ids=["empty-string", "null"])
def test_empty_string_and_null_both_clear_and_read_back_null(
    emu: testing.LinqV3Emulator, clear: str | None
) -> None:
    first = _ids(emu)[0]
    with client(emu) as http:
        response = http.put(f"{LIST}/{first}", json={"forwarding_number": clear})
        listed = http.get(LIST).json()["phone_numbers"][0]
    assert response.status_code == 200
    assert response.json()["forwarding_number"] is None
    assert "forwarding_number" not in listed
    assert emu.get(first).forwarding_number is None


@pytest.mark.parametrize("value", ["12025550123", "+1 (202) 555-0123", "+10000000000", 12025550123])
def test_non_e164_is_400_1002(emu: testing.LinqV3Emulator, value: object) -> None:
    first = _ids(emu)[0]
    with client(emu) as http:
        response = http.put(f"{LIST}/{first}", json={"forwarding_number": value})
    assert_linq_error(response, 400, 1002, "Phone number must be in E.164 format")
    assert emu.get(first).forwarding_number == "+12025550199"


@pytest.mark.parametrize("body", [{}, {"forward_to": "+16175550123"}, []], ids=str)
def test_missing_forwarding_number_is_400_1001(emu: testing.LinqV3Emulator, body: object) -> None:
    first = _ids(emu)[0]
    with client(emu) as http:
        response = http.put(f"{LIST}/{first}", json=body)
    assert_linq_error(response, 400, 1001, "Missing required field: forwarding_number")
    assert emu.get(first).forwarding_number == "+12025550199"


def test_a_body_that_is_not_json_is_400_1001(emu: testing.LinqV3Emulator) -> None:
    with client(emu) as http:
        response = http.put(f"{LIST}/{_ids(emu)[0]}", content=b"forwarding_number=")
    assert_linq_error(response, 400, 1001, "Request body must be valid JSON")


def test_another_organizations_number_is_403_2005(emu: testing.LinqV3Emulator) -> None:
    foreign = emu.add_foreign_number("+14155550100")
    with client(emu) as http:
        response = http.put(f"{LIST}/{foreign.id}", json={"forwarding_number": "+16175550123"})
    assert_linq_error(
        response, 403, 2005, "Access denied - insufficient permissions for this resource"
    )
    assert emu.get(foreign.id).forwarding_number is None


@pytest.mark.parametrize("number_id", [UNKNOWN, "not-a-uuid", "1001"])
def test_unknown_id_is_404_2001(emu: testing.LinqV3Emulator, number_id: str) -> None:
    with client(emu) as http:
        response = http.put(f"{LIST}/{number_id}", json={"forwarding_number": ""})
    assert_linq_error(response, 404, 2001, "Resource not found")


def test_linq_v3_sends_a_trace_id_on_every_response() -> None:
    emu = testing.emulator("linq-v3", 1)
    with client(emu) as http:
        responses = [
            http.get(LIST),
            http.put(f"{LIST}/nope", json={}),
            http.get("/v9/elsewhere"),
        ]
    with client(emu, "bad") as http:
        responses.append(http.get(LIST))
    traces = [r.headers["X-Trace-ID"] for r in responses]
    assert all(TRACE_ID.fullmatch(t) for t in traces)
    assert len(set(traces)) == len(traces)
    assert [r.json()["trace_id"] for r in responses[1:]] == traces[1:]
