"""The Linq v2 emulator behaves as PROVIDERS.md documents the v2 Partner API."""

from __future__ import annotations

from typing import Any

import pytest

from phonerouting import testing
from tests.emulators.http import LIST_PATHS, client, item_path

LIST = LIST_PATHS["linq-v2"]


def _error(status: int, code: str, title: str, detail: str) -> dict[str, Any]:
    return {"errors": [{"status": status, "code": code, "title": title, "detail": detail}]}


UNAUTHORIZED = _error(401, "unauthorized", "Unauthorized", "Invalid or missing integration token")


@pytest.fixture
def emu() -> testing.LinqV2Emulator:
    emulator = testing.LinqV2Emulator(seed=1)
    emulator.add_number("+12025550142", forwarding_number="+12025550199")
    emulator.add_number("+13125550182")
    return emulator


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-LINQ-INTEGRATION-TOKEN": "linq_wrong"},
        {"Authorization": "Bearer KEY"},  # the v3 header does not work on v2
    ],
    ids=["missing", "wrong-token", "v3-header"],
)
def test_bad_or_missing_token_is_401(emu: testing.LinqV2Emulator, headers: dict[str, str]) -> None:
    sent = {k: v.replace("KEY", emu.api_key) for k, v in headers.items()}
    with client(emu, headers=sent) as http:
        for response in (http.get(LIST), http.put(f"{LIST}/1001", json={"forwarding_number": ""})):
            assert response.status_code == 401
            assert response.json() == UNAUTHORIZED
    assert emu.get(1001).forwarding_number == "+12025550199"


def test_list_is_unpaginated_with_integer_ids_and_hides_foreign_numbers(
    emu: testing.LinqV2Emulator,
) -> None:
    emu.add_foreign_number("+14155550100")
    with client(emu) as http:
        response = http.get(LIST)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    numbers = response.json()["phone_numbers"]
    assert [(n["id"], n["phone_number"], n["forwarding_number"]) for n in numbers] == [
        (1001, "+12025550142", "+12025550199"),
        (1002, "+13125550182", None),
    ]
    assert set(numbers[0]) == {"id", "phone_number", "forwarding_number", "response_rate", "user"}
    assert set(numbers[0]["user"]) == {"id", "name", "email"}
    # Seeded numbers count up from 1001 too (moved here from test_common's id shapes).
    seeded = testing.emulator("linq-v2", 5, seed=1)
    assert list(seeded.numbers) == [1001, 1002, 1003, 1004, 1005]  # type: ignore[attr-defined]


def test_update_sets_and_answers_the_full_number(emu: testing.LinqV2Emulator) -> None:
    with client(emu) as http:
        response = http.put(item_path("linq-v2", 1002), json={"forwarding_number": "+16175550123"})
    assert response.status_code == 200
    assert response.json() == emu.get(1002).to_wire()
    assert response.json()["forwarding_number"] == "+16175550123"


@pytest.mark.parametrize("clear", ["", None], ids=["empty-string", "null"])
def test_empty_string_and_null_both_clear_to_null(
    emu: testing.LinqV2Emulator, clear: str | None
) -> None:
    with client(emu) as http:
        response = http.put(f"{LIST}/1001", json={"forwarding_number": clear})
        listed = http.get(LIST).json()["phone_numbers"][0]
    assert response.status_code == 200
    assert response.json()["forwarding_number"] is None
    assert listed["forwarding_number"] is None
    assert emu.get(1001).forwarding_number is None


@pytest.mark.parametrize("value", ["12025550123", "+1 202 555 0123", "+10000000000", 42])
def test_invalid_forwarding_number_is_422(emu: testing.LinqV2Emulator, value: object) -> None:
    with client(emu) as http:
        response = http.put(f"{LIST}/1001", json={"forwarding_number": value})
    assert response.status_code == 422
    assert response.json() == _error(
        422,
        "invalid_forwarding_number",
        "Unprocessable Entity",
        "Forwarding number must be a valid phone number in E.164 format",
    )
    assert emu.get(1001).forwarding_number == "+12025550199"


def test_missing_forwarding_number_is_422(emu: testing.LinqV2Emulator) -> None:
    with client(emu) as http:
        response = http.put(f"{LIST}/1001", json={})
    assert response.status_code == 422
    assert response.json()["errors"][0]["detail"] == "forwarding_number is required"


def test_another_organizations_number_is_403(emu: testing.LinqV2Emulator) -> None:
    foreign = emu.add_foreign_number("+14155550100")
    with client(emu) as http:
        response = http.put(f"{LIST}/{foreign.id}", json={"forwarding_number": "+16175550123"})
    assert response.status_code == 403
    assert response.json() == _error(
        403, "forbidden", "Forbidden", "Phone number doesn't belong to your organization"
    )
    assert emu.get(foreign.id).forwarding_number is None


@pytest.mark.parametrize("number_id", ["999999", "abc"])
def test_unknown_id_is_404(emu: testing.LinqV2Emulator, number_id: str) -> None:
    with client(emu) as http:
        response = http.put(f"{LIST}/{number_id}", json={"forwarding_number": ""})
    assert response.status_code == 404
    assert response.json() == _error(404, "not_found", "Not Found", "Phone number not found")
