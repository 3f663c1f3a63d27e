"""The Telnyx emulator behaves as providers/telnyx/README.md documents Telnyx's numbers:
plain httpx in front of it, so these see exactly what a client would."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from phonerouting.testing import TelnyxEmulator

DOCS = "https://developers.telnyx.com/docs/overview/errors/"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


@pytest.fixture
def emu() -> TelnyxEmulator:
    return TelnyxEmulator(seed=1)


def http(emu: TelnyxEmulator, key: str | None = None) -> httpx.Client:
    return httpx.Client(
        transport=emu.transport(),
        base_url="https://api.telnyx.com/v2",
        headers={"Authorization": f"Bearer {key or emu.api_key}"},
    )


def only_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"errors"}
    (error,) = body["errors"]
    assert isinstance(error["code"], str)
    return dict(error)


def test_a_bad_or_missing_key_is_10009(emu: TelnyxEmulator) -> None:
    for headers in ({"Authorization": "Bearer nope"}, {}, {"Authorization": emu.api_key}):
        with httpx.Client(transport=emu.transport(), base_url="https://x/v2") as c:
            response = c.get("/phone_numbers", headers=headers)
        assert response.status_code == 401
        assert only_error(response) == {
            "code": "10009",
            "title": "Authentication failed",
            "detail": "Could not understand the provided credentials.",
            "meta": {"url": DOCS + "10009"},
        }


def test_every_answer_carries_a_request_id(emu: TelnyxEmulator) -> None:
    with http(emu) as c:
        ok, missing = c.get("/phone_numbers"), c.get("/phone_numbers/1")
    assert UUID.fullmatch(ok.headers["x-request-id"])
    assert UUID.fullmatch(missing.headers["x-request-id"])
    assert ok.headers["x-request-id"] != missing.headers["x-request-id"]
    assert only_error(missing)["code"] == "10005"


def test_pages_report_total_pages_and_size_is_capped_at_250() -> None:
    emu = TelnyxEmulator(7, seed=2)
    with http(emu) as c:
        first = c.get("/phone_numbers", params={"page[size]": 3}).json()
        last = c.get("/phone_numbers", params={"page[size]": 3, "page[number]": 3}).json()
        beyond = c.get("/phone_numbers", params={"page[size]": 3, "page[number]": 4}).json()
        default = c.get("/phone_numbers").json()
        too_big = c.get("/phone_numbers", params={"page[size]": 251})
        zero = c.get("/phone_numbers/voice", params={"page[number]": 0})
    assert first["meta"] == {"page_number": 1, "page_size": 3, "total_pages": 3, "total_results": 7}
    assert len(first["data"]) == 3
    assert len(last["data"]) == 1
    assert beyond["data"] == []
    assert beyond["meta"]["total_pages"] == 3
    assert default["meta"]["page_size"] == 20
    assert too_big.status_code == 400
    assert only_error(too_big)["source"] == {"parameter": "page[size]"}
    assert zero.status_code == 400


def test_the_voice_listing_holds_each_numbers_forwarding() -> None:
    emu = TelnyxEmulator(4, seed=3, populate=1.0)
    with http(emu) as c:
        data = c.get("/phone_numbers/voice", params={"page[size]": 250}).json()["data"]
    assert [v["id"] for v in data] == list(emu.numbers)
    for item in data:
        record = emu.get(item["id"])
        assert item["record_type"] == "voice_settings"
        assert item["call_forwarding"] == {
            "call_forwarding_enabled": True,
            "forwards_to": record.forwards_to,
            "forwarding_type": record.forwarding_type,
        }


def test_the_phone_number_filter_takes_digits_and_matches_part(emu: TelnyxEmulator) -> None:
    emu.add_number("+19705555098")
    emu.add_number("+12025550142")
    with http(emu) as c:

        def found(value: str) -> list[str]:
            response = c.get("/phone_numbers", params={"filter[phone_number]": value})
            return [n["phone_number"] for n in response.json()["data"]]

        assert found("19705555098") == ["+19705555098"]
        assert found("555") == ["+19705555098", "+12025550142"]
        # "Non-numerical characters will result in no values being returned."
        assert found("+19705555098") == []
        voice = c.get("/phone_numbers/voice", params={"filter[phone_number]": "2025550142"})
    assert [v["phone_number"] for v in voice.json()["data"]] == ["+12025550142"]


def test_the_three_resources_share_one_record(emu: TelnyxEmulator) -> None:
    record = emu.add_number("+19705555098")
    connection = next(iter(emu.connections))
    with http(emu) as c:
        core = c.patch(f"/phone_numbers/{record.id}", json={"connection_id": connection})
        voice = c.get(f"/phone_numbers/{record.id}/voice").json()["data"]
        messaging = c.get(f"/phone_numbers/{record.id}/messaging").json()["data"]
    assert core.status_code == 200
    assert core.json()["data"]["connection_id"] == connection
    assert core.json()["data"]["connection_name"] == emu.connections[connection]
    assert voice["connection_id"] == connection
    assert messaging["record_type"] == "messaging_settings"
    assert messaging["phone_number"] == "+19705555098"


def test_clearing_a_connection_takes_empty_or_null(emu: TelnyxEmulator) -> None:
    record = emu.add_number("+19705555098", connection_id="1293384261075731499")
    with http(emu) as c:
        for empty in ("", None):
            record.connection_id = "1293384261075731499"
            data = c.patch(f"/phone_numbers/{record.id}", json={"connection_id": empty}).json()
            assert data["data"]["connection_id"] is None
        unknown = c.patch(f"/phone_numbers/{record.id}", json={"connection_id": "42"})
        bad_tags = c.patch(f"/phone_numbers/{record.id}", json={"tags": ["ok", ""]})
        other = c.patch(f"/phone_numbers/{record.id}", json={"status": "deleted"})
    assert unknown.status_code == 422
    assert only_error(unknown) == {
        "code": "10017",
        "title": "Associated resource does not exist",
        "detail": "The connection does not exist in this account.",
        "source": {"pointer": "/connection_id"},
        "meta": {"url": DOCS + "10017"},
    }
    assert only_error(bad_tags)["source"] == {"pointer": "/tags"}
    assert only_error(other)["source"] == {"pointer": "/status"}


def test_tags_replace_the_list(emu: TelnyxEmulator) -> None:
    record = emu.add_number("+19705555098", tags=["a", "b"])
    with http(emu) as c:
        data = c.patch(f"/phone_numbers/{record.id}", json={"tags": ["c"]}).json()["data"]
    assert data["tags"] == ["c"]


def test_forwarding_is_set_and_cleared_in_the_voice_settings(emu: TelnyxEmulator) -> None:
    record = emu.add_number("+19705555098")
    path = f"/phone_numbers/{record.id}/voice"
    with http(emu) as c:
        on = c.patch(
            path,
            json={
                "call_forwarding": {
                    "call_forwarding_enabled": True,
                    "forwards_to": "+13035559123",
                    "forwarding_type": "on-failure",
                }
            },
        ).json()["data"]
        # Omitted fields of call_forwarding are kept.
        kept = c.patch(path, json={"call_forwarding": {"forwards_to": "+13035559124"}})
        off = c.patch(
            path, json={"call_forwarding": {"call_forwarding_enabled": False, "forwards_to": ""}}
        ).json()["data"]
        bad = c.patch(path, json={"call_forwarding": {"forwards_to": "3035559123"}})
        bad_type = c.patch(path, json={"call_forwarding": {"forwarding_type": "sometimes"}})
    assert on["call_forwarding"] == {
        "call_forwarding_enabled": True,
        "forwards_to": "+13035559123",
        "forwarding_type": "on-failure",
    }
    assert kept.json()["data"]["call_forwarding"]["forwarding_type"] == "on-failure"
    assert off["call_forwarding"] == {
        "call_forwarding_enabled": False,
        "forwards_to": "",
        "forwarding_type": "on-failure",
    }
    assert bad.status_code == 422
    assert only_error(bad) == {
        "code": "10016",
        "title": "Phone number must be in +E.164 format",
        "detail": "forwards_to must be a +E.164 phone number.",
        "source": {"pointer": "/call_forwarding/forwards_to"},
        "meta": {"url": DOCS + "10016"},
    }
    assert only_error(bad_type)["source"] == {"pointer": "/call_forwarding/forwarding_type"}


def test_the_messaging_profile_is_kept_by_null_and_unassigned_by_empty(
    emu: TelnyxEmulator,
) -> None:
    profile, other = list(emu.profiles)
    record = emu.add_number("+19705555098", messaging_profile_id=profile)
    path = f"/phone_numbers/{record.id}/messaging"
    with http(emu) as c:
        kept = c.patch(path, json={"messaging_profile_id": None}).json()["data"]
        omitted = c.patch(path, json={}).json()["data"]
        moved = c.patch(path, json={"messaging_profile_id": other}).json()["data"]
        gone = c.patch(path, json={"messaging_profile_id": ""}).json()["data"]
        unknown = c.patch(
            path, json={"messaging_profile_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}
        )
        malformed = c.patch(path, json={"messaging_profile_id": "profile"})
    assert (kept["messaging_profile_id"], omitted["messaging_profile_id"]) == (profile, profile)
    assert moved["messaging_profile_id"] == other
    assert gone["messaging_profile_id"] is None
    assert only_error(unknown)["code"] == "10017"
    assert only_error(malformed)["code"] == "10006"


def test_unavailable_stands_in_for_the_messaging_fields(emu: TelnyxEmulator) -> None:
    record = emu.add_number("+19705555098", messaging_profile_id=next(iter(emu.profiles)))
    emu.unavailable(2)
    with http(emu) as c:
        first = c.get(f"/phone_numbers/{record.id}").json()["data"]
        listed = c.get("/phone_numbers").json()["data"][0]
        voice = c.get(f"/phone_numbers/{record.id}/voice").json()["data"]  # no messaging
        after = c.get(f"/phone_numbers/{record.id}").json()["data"]
    assert (first["messaging_profile_id"], first["messaging_profile_name"]) == (
        "UNAVAILABLE",
        "UNAVAILABLE",
    )
    assert listed["messaging_profile_id"] == "UNAVAILABLE"
    assert "messaging_profile_id" not in voice
    assert after["messaging_profile_id"] == record.messaging_profile_id


def test_429_carries_the_rate_limit_headers_and_no_retry_after(emu: TelnyxEmulator) -> None:
    emu.clock = lambda: 100.0
    emu.set_rate_limit(1)
    with http(emu) as c:
        assert c.get("/phone_numbers").status_code == 200
        limited = c.get("/phone_numbers")
    assert limited.status_code == 429
    assert only_error(limited) == {
        "code": "10011",
        "title": "Too many requests",
        "detail": "You have exceeded the maximum number of allowed requests.",
    }
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert limited.headers["x-ratelimit-reset"] == "1"
    assert limited.headers["x-ratelimit-limit"] == "1"
    assert "retry-after" not in limited.headers


def test_other_methods_and_paths(emu: TelnyxEmulator) -> None:
    record = emu.add_number("+19705555098")
    with http(emu) as c:
        assert c.delete(f"/phone_numbers/{record.id}").status_code == 405
        assert c.post("/phone_numbers").status_code == 405
        assert c.get("/phone_numbers/abc").status_code == 404
        not_json = c.patch(f"/phone_numbers/{record.id}", content=b"[1]")
    assert not_json.status_code == 400
    assert only_error(not_json)["code"] == "10015"
