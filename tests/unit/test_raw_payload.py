"""`PhoneNumber.raw` as adapters store it: compact, read-only all the way down, and
read like the mapping it was."""

from __future__ import annotations

import json
import sys

import pytest

import phonerouting as pr
from phonerouting.model import RawPayload, decode_json, freeze_raw
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


def test_holds_its_values_compactly_not_a_copy_of_every_dict() -> None:
    raw = freeze_raw(PAYLOAD)
    assert not hasattr(raw, "__dict__")
    assert sys.getsizeof(raw) + sys.getsizeof(raw._values) < sys.getsizeof(PAYLOAD)  # type: ignore[attr-defined]
    # A body decoded for a listing: its objects are the payloads (no copy), and objects
    # with the same keys share one tuple of them, repeated short strings one string.
    body = json.dumps([{"id": str(i), "status": "HEALTHY", "user": {"n": i}} for i in range(3)])
    decoded = decode_json(body.encode())
    assert all(isinstance(item, RawPayload) for item in decoded)
    assert freeze_raw(decoded[0]) is decoded[0]
    assert decoded[0]._keys is decoded[2]._keys  # type: ignore[attr-defined]
    assert decoded[0]["status"] is decoded[2]["status"]
    assert decoded[1] == {"id": "1", "status": "HEALTHY", "user": {"n": 1}}


def test_a_decoded_array_reads_as_a_tuple() -> None:
    decoded = decode_json(b'{"tags": ["a", ["b"]], "n": [{"x": [1]}]}')
    assert decoded["tags"] == ("a", ("b",))
    assert decoded["n"][0]["x"] == (1,)
    with pytest.raises(AttributeError):
        decoded["tags"].append("c")
    assert decoded == {"tags": ("a", ("b",)), "n": ({"x": (1,)},)}


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
