"""The Close emulator behaves as PROVIDERS.md and seeds/003 document Close's numbers."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from phonerouting import testing
from tests.emulators.http import CLOSE_ID, LIST_PATHS, basic, client, item_path

LIST = LIST_PATHS["close"]
UNAUTHORIZED = {"error": "The API key is invalid or missing."}
FORBIDDEN = {"error": "You need the Manage Group Phone Numbers permission."}
NOT_FOUND = {"error": "Empty query: PhoneNumber matching query does not exist."}


def field_errors(response: httpx.Response) -> dict[str, str]:
    """The ``field-errors`` of a 400 (asserting the whole shape)."""
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"errors", "field-errors"}
    assert body["errors"] == []
    errors: dict[str, str] = body["field-errors"]
    return errors


@pytest.fixture
def emu() -> testing.CloseEmulator:
    return testing.CloseEmulator(seed=1)


@pytest.fixture
def personal(emu: testing.CloseEmulator) -> str:
    return emu.add_number(
        "+16503335555",
        label="Sales",
        forward_to="+16502221111",
        inbound_ring_duration=45,
        voicemail_greeting_url="https://cdn.example/greeting.mp3",
    ).id


@pytest.fixture
def group(emu: testing.CloseEmulator) -> str:
    return emu.add_number("+16503336666", label="Team", is_group_number=True).id


# ------------------------------------------------------------------ auth


def test_basic_and_bearer_with_a_known_key_are_accepted(
    emu: testing.CloseEmulator, personal: str
) -> None:
    for headers in (
        {"Authorization": basic(emu.api_key)},
        {"Authorization": f"Bearer {emu.api_key}"},
    ):
        with client(emu, headers=headers) as http:
            response = http.get(item_path("close", personal))
        assert response.status_code == 200
        assert response.json()["id"] == personal


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


#: Authorization values Close refuses; ``{key}`` stands for the emulator's own key.
REFUSED = {
    "missing": None,
    "wrong-key": "Basic " + _b64("api_wrong:"),
    "password": "Basic " + _b64("{key}:secret"),  # the password must be empty
    "no-colon": "Basic " + _b64("{key}"),
    "not-base64": "Basic !!!not-base64",
    "wrong-bearer": "Bearer api_wrong",
    "empty-bearer": "Bearer ",
    "other-scheme": "Token {key}",
}


@pytest.mark.parametrize("authorization", list(REFUSED.values()), ids=list(REFUSED))
def test_anything_else_is_401(
    emu: testing.CloseEmulator, personal: str, authorization: str | None
) -> None:
    if authorization is None:
        headers = {}
    else:
        # The key goes inside the Basic credentials before they are encoded.
        decoded = authorization.split(" ", 1)
        if decoded[0] == "Basic" and decoded[1] not in ("!!!not-base64",):
            inner = base64.b64decode(decoded[1]).decode().replace("{key}", emu.api_key)
            authorization = "Basic " + _b64(inner)
        headers = {"Authorization": authorization.replace("{key}", emu.api_key)}
    with client(emu, headers=headers) as http:
        for response in (
            http.get(LIST),
            http.put(item_path("close", personal), json={"label": ""}),
        ):
            assert response.status_code == 401
            assert response.json() == UNAUTHORIZED
    assert emu.get(personal).label == "Sales"


# ------------------------------------------------------------------ PUT


def test_put_is_a_partial_update(emu: testing.CloseEmulator, personal: str) -> None:
    before = emu.get(personal).to_wire()
    with client(emu) as http:
        response = http.put(item_path("close", personal), json={"label": "Front desk"})
    assert response.status_code == 200
    after = response.json()
    # date_updated is the wall clock (to the millisecond): it may or may not move.
    changed = {k for k in after if after[k] != before[k]} - {"date_updated"}
    assert changed == {"label"}
    assert after["label"] == "Front desk"
    assert after["forward_to"] == "+16502221111"
    assert after["inbound_ring_duration"] == 45


def test_forwarding_on_and_off(emu: testing.CloseEmulator, personal: str) -> None:
    with client(emu) as http:
        off = http.put(
            item_path("close", personal), json={"forward_to": None, "forward_to_enabled": False}
        ).json()
        on = http.put(
            item_path("close", personal),
            json={"forward_to": "+12025550123", "forward_to_enabled": True},
        ).json()
    assert (off["forward_to"], off["forward_to_enabled"], off["forward_to_formatted"]) == (
        None,
        False,
        None,
    )
    assert (on["forward_to"], on["forward_to_enabled"], on["forward_to_formatted"]) == (
        "+12025550123",
        True,
        "+1 202-555-0123",
    )


@pytest.mark.parametrize("ring", [15, 90, None])
def test_ring_duration_15_to_90_or_null(
    emu: testing.CloseEmulator, personal: str, ring: int | None
) -> None:
    with client(emu) as http:
        response = http.put(item_path("close", personal), json={"inbound_ring_duration": ring})
    assert response.status_code == 200
    assert response.json()["inbound_ring_duration"] == ring


@pytest.mark.parametrize("ring", [14, 91, 0, "30", 30.5, True])
def test_ring_duration_outside_15_to_90_is_a_field_error(
    emu: testing.CloseEmulator, personal: str, ring: object
) -> None:
    with client(emu) as http:
        response = http.put(item_path("close", personal), json={"inbound_ring_duration": ring})
    assert field_errors(response) == {
        "inbound_ring_duration": "Must be an integer between 15 and 90."
    }
    assert emu.get(personal).inbound_ring_duration == 45


@pytest.mark.parametrize("url", ["http://cdn.example/g.mp3", "cdn.example/g.mp3", "https://", 5])
def test_greeting_url_must_be_https(emu: testing.CloseEmulator, personal: str, url: object) -> None:
    with client(emu) as http:
        response = http.put(item_path("close", personal), json={"voicemail_greeting_url": url})
    assert field_errors(response) == {"voicemail_greeting_url": "Must be a secure URL (https://)."}


def test_greeting_url_null_clears(emu: testing.CloseEmulator, personal: str) -> None:
    with client(emu) as http:
        response = http.put(item_path("close", personal), json={"voicemail_greeting_url": None})
    assert response.status_code == 200
    assert response.json()["voicemail_greeting_url"] is None


def test_unknown_fields_are_400_field_errors(emu: testing.CloseEmulator, personal: str) -> None:
    with client(emu) as http:
        response = http.put(
            item_path("close", personal),
            json={"forwarding_number": "+1", "number": "+2", "label": "x"},
        )
    assert field_errors(response) == {
        "forwarding_number": "This field cannot be updated.",
        "number": "This field cannot be updated.",
    }
    assert emu.get(personal).label == "Sales"


def test_list_fields_are_checked_item_by_item(emu: testing.CloseEmulator, group: str) -> None:
    with client(emu) as http:
        bad = http.put(
            item_path("close", group),
            json={"participants": ["user_nobody"], "phone_numbers": ["650"]},
        )
        good = http.put(
            item_path("close", group),
            json={"participants": emu.users[:2], "phone_numbers": ["+16503334444"]},
        )
    assert field_errors(bad) == {
        "participants": "Must be a list; each item a user id of this organization.",
        "phone_numbers": "Must be a list; each item a phone number in E.164 format.",
    }
    assert good.status_code == 200
    assert good.json()["participants"] == emu.users[:2]
    assert good.json()["phone_numbers_formatted"] == ["+1 650-333-4444"]


def test_group_number_needs_the_manage_group_permission(
    emu: testing.CloseEmulator, group: str, personal: str
) -> None:
    restricted = emu.add_key()
    with client(emu, restricted) as http:
        assert http.get(item_path("close", group)).status_code == 200
        for response in (
            http.put(item_path("close", group), json={"label": "Mine"}),
            http.delete(item_path("close", group)),
        ):
            assert response.status_code == 403
            assert response.json() == FORBIDDEN
        # Its own personal numbers stay writable.
        assert http.put(item_path("close", personal), json={"label": "Mine"}).status_code == 200
    assert emu.get(group).label == "Team"
    with client(emu, emu.add_key(manage_group_numbers=True)) as http:
        assert http.put(item_path("close", group), json={"label": "Ours"}).status_code == 200


def test_unknown_id_is_404_and_delete_removes(emu: testing.CloseEmulator, personal: str) -> None:
    with client(emu) as http:
        deleted = http.delete(item_path("close", personal))
        gone = [
            http.get(item_path("close", personal)),
            http.put(item_path("close", personal), json={"label": ""}),
            http.get("/phone_number/phon_nope/"),
            http.get(f"/phone_number/{personal}"),  # every path ends with "/"
        ]
    assert (deleted.status_code, deleted.json()) == (200, {})
    assert [(r.status_code, r.json()) for r in gone] == [(404, NOT_FOUND)] * 4


# ------------------------------------------------------------------ pagination and ids


def test_skip_limit_has_more() -> None:
    emu = testing.CloseEmulator(5, seed=2)
    pages: list[dict[str, Any]] = []
    with client(emu) as http:
        for skip in (0, 2, 4):
            response = http.get(LIST, params={"_skip": skip, "_limit": 2})
            assert response.status_code == 200
            pages.append(response.json())
        everything = http.get(LIST).json()
    assert [(len(p["data"]), p["has_more"]) for p in pages] == [(2, True), (2, True), (1, False)]
    assert [n["id"] for p in pages for n in p["data"]] == [n["id"] for n in everything["data"]]
    assert len(everything["data"]) == 5
    assert everything["has_more"] is False
    assert all(CLOSE_ID.fullmatch(n["id"]) for n in everything["data"])


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"_limit": "0"}, {"_limit": "Ensure this value is greater than or equal to 1."}),
        ({"_skip": "-1"}, {"_skip": "Ensure this value is greater than or equal to 0."}),
        (
            {"_skip": "x", "_limit": "y"},
            {"_skip": "A valid integer is required.", "_limit": "A valid integer is required."},
        ),
    ],
)
def test_bad_paging_is_400_field_errors(
    emu: testing.CloseEmulator, params: dict[str, str], errors: dict[str, str]
) -> None:
    with client(emu) as http:
        assert field_errors(http.get(LIST, params=params)) == errors


def test_list_filters(emu: testing.CloseEmulator, personal: str, group: str) -> None:
    emu.get(group).participants = [emu.users[1]]
    with client(emu) as http:
        by_number = http.get(LIST, params={"number": "+16503335555"}).json()["data"]
        by_user = http.get(LIST, params={"participant_user_id": emu.users[1]}).json()["data"]
    assert [n["id"] for n in by_number] == [personal]
    assert [n["id"] for n in by_user] == [group]


def test_unknown_paths_answer_the_vendors_404() -> None:
    emu = testing.emulator("close")
    with client(emu) as http:
        response = http.get("/nothing/here/")
    assert response.status_code == 404
    assert response.json() == {"error": "Empty query: PhoneNumber matching query does not exist."}
