"""`PhoneNumber.raw` as adapters store it: compact, read-only all the way down, and
read like the mapping it was."""

from __future__ import annotations

import json
import sys

import pytest

import phonerouting as pr
from phonerouting.model import RawPayload, freeze_raw
from phonerouting.serialize import to_data

PAYLOAD = {
    "id": "7",
    "user": {"name": "Ann", "tags": ["a", "b"]},
    "nested": [{"deeper": None}, 2.5, True],
    "\u00e9": "unicode key",
}


def test_reads_as_the_payload_it_was() -> None:
    raw = freeze_raw(PAYLOAD)
    assert isinstance(raw, RawPayload)
    # Lists read as tuples (read-only), so it equals the payload's frozen form.
    assert raw == {
        "id": "7",
        "user": {"name": "Ann", "tags": ("a", "b")},
        "nested": ({"deeper": None}, 2.5, True),
        "\u00e9": "unicode key",
    }
    assert raw == freeze_raw(PAYLOAD)
    assert raw != {"id": "7"}
    assert raw["user"]["tags"] == ("a", "b")
    assert raw["nested"][0]["deeper"] is None
    assert raw.get("missing", 3) == 3
    assert "\u00e9" in raw
    assert list(raw) == list(PAYLOAD)
    assert len(raw) == 4
    assert dict(raw.items())["id"] == "7"
    assert set(raw.keys()) == set(PAYLOAD)


def test_is_read_only_all_the_way_down() -> None:
    raw = freeze_raw(PAYLOAD)
    with pytest.raises(TypeError):
        raw["id"] = "8"  # type: ignore[index]
    with pytest.raises(TypeError):
        raw["user"]["name"] = "Bob"
    with pytest.raises(AttributeError):
        raw["user"]["tags"].append("c")
    assert raw["user"]["name"] == "Ann"


def test_holds_its_compact_json_not_a_copy_of_every_dict() -> None:
    raw = freeze_raw(PAYLOAD)
    text = json.dumps(PAYLOAD, ensure_ascii=False, separators=(",", ":")).encode()
    assert raw._json == text  # type: ignore[attr-defined]
    assert not hasattr(raw, "__dict__")
    assert sys.getsizeof(raw) + sys.getsizeof(text) < sys.getsizeof(PAYLOAD) + 200


def test_serializes_and_shows_as_plain_data() -> None:
    number = pr.PhoneNumber(
        provider="linq-v2", id="7", number="+12025551234", raw=freeze_raw(PAYLOAD)
    )
    data = to_data(number)
    assert data["raw"] == {
        "id": "7",
        "user": {"name": "Ann", "tags": ["a", "b"]},
        "nested": [{"deeper": None}, 2.5, True],
        "\u00e9": "unicode key",
    }
    assert "Ann" in repr(number.raw)


def test_a_payload_nested_too_deeply_is_refused_as_before() -> None:
    deep: dict[str, object] = {}
    node = deep
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]  # type: ignore[assignment]
    with pytest.raises(RecursionError):
        freeze_raw(deep)
