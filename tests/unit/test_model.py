"""The normalized model: UNSET / clear / set, validation at construction, PhoneNumber."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime

import attrs
import pytest

import phonerouting as pr
from phonerouting.model import decode_json, freeze_raw
from phonerouting.store.base import number_from_fields, raw_json


def test_unset_is_a_falsy_sentinel_with_a_clear_repr() -> None:
    assert not pr.UNSET
    assert repr(pr.UNSET) == "UNSET"
    assert str(pr.UNSET) == "UNSET"
    assert pr.CLEAR is None


def test_default_update_is_empty() -> None:
    update = pr.RoutingUpdate()
    assert update.is_empty()
    assert update.changes() == {}
    assert all(getattr(update, f) is pr.UNSET for f in pr.ROUTING_FIELDS)


def test_three_states() -> None:
    update = pr.RoutingUpdate(forwarding_number="+12025559999", label=pr.CLEAR)
    assert update.changes() == {"forwarding_number": "+12025559999", "label": None}
    assert update.inbound_url is pr.UNSET


@pytest.mark.parametrize(
    "field",
    [
        "forwarding_number",
        "inbound_url",
        "status_url",
        "label",
        "campaign_id",
        "voicemail_greeting_url",
    ],
)
def test_empty_string_clears_string_fields(field: str) -> None:
    assert pr.RoutingUpdate(**{field: ""}).changes() == {field: None}


@pytest.mark.parametrize("field", ["participants", "external_numbers"])
@pytest.mark.parametrize("empty", [[], ()])
def test_empty_list_clears_list_fields(field: str, empty: object) -> None:
    assert pr.RoutingUpdate(**{field: empty}).changes() == {field: None}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+1 (202) 555-9999", "+12025559999"),
        ("+12025559999", "+12025559999"),
        (" +1 202.555.9999 ", "+12025559999"),
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_phone_numbers_are_normalized_to_e164(given: str, expected: str) -> None:
    assert pr.RoutingUpdate(forwarding_number=given).forwarding_number == expected
    update = pr.RoutingUpdate(external_numbers=[given])
    assert update.external_numbers == (expected,)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"forwarding_number": "2025559999"}, "forwarding_number"),
        ({"forwarding_number": "+15555555555"}, "forwarding_number"),
        ({"forwarding_number": "call me"}, "forwarding_number"),
        ({"forwarding_number": 12025559999}, "forwarding_number"),
        ({"inbound_url": "http://example.com/hook"}, "inbound_url"),
        ({"inbound_url": "https://"}, "inbound_url"),
        ({"status_url": "https://exa mple.com"}, "status_url"),
        ({"voicemail_greeting_url": "ftp://x.com/a.mp3"}, "voicemail_greeting_url"),
        ({"inbound_url": "https://x.com/" + "a" * 2100}, "inbound_url"),
        ({"label": "line\nbreak"}, "label"),
        ({"label": "x" * 256}, "label"),
        ({"label": 5}, "label"),
        ({"campaign_id": "not-a-uuid"}, "campaign_id"),
        ({"ring_duration": 14}, "ring_duration"),
        ({"ring_duration": 91}, "ring_duration"),
        ({"ring_duration": 30.0}, "ring_duration"),
        ({"ring_duration": True}, "ring_duration"),
        ({"ring_duration": ""}, "ring_duration"),
        ({"participants": "user_1"}, "participants"),
        ({"participants": ["user 1"]}, "participants[0]"),
        ({"participants": ["user_1", "user_1"]}, "participants"),
        ({"external_numbers": ["+12025559999", "not"]}, "external_numbers[1]"),
        ({"press_1_to_accept": "yes"}, "press_1_to_accept"),
        ({"press_1_to_accept": 1}, "press_1_to_accept"),
    ],
)
def test_invalid_values_fail_at_construction(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(pr.ValidationError) as caught:
        pr.RoutingUpdate(**kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.status is None


def test_valid_values_are_kept() -> None:
    update = pr.RoutingUpdate(
        inbound_url="https://customer.example/v2/inbound",
        campaign_id="78614B6C-FE7C-41E2-8E25-C9B3A3C91904",
        ring_duration=15,
        participants=["user_abc", "user_def"],
        press_1_to_accept=False,
        label="Front desk ☎",
    )
    assert update.changes() == {
        "inbound_url": "https://customer.example/v2/inbound",
        "label": "Front desk ☎",
        "campaign_id": "78614b6c-fe7c-41e2-8e25-c9b3a3c91904",
        "ring_duration": 15,
        "participants": ("user_abc", "user_def"),
        # Off is the switch's empty state: False clears it, like "" for a text field.
        "press_1_to_accept": None,
    }


def test_update_is_frozen_and_positional_args_are_refused() -> None:
    update = pr.RoutingUpdate(label="a")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        update.label = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        pr.RoutingUpdate("+12025559999")  # type: ignore[misc]


def test_phone_number_raw_is_read_only_all_the_way_down() -> None:
    raw = freeze_raw({"id": 1, "user": {"name": "A"}, "tags": ["x"]})
    number = pr.PhoneNumber(provider="linq-v2", id="1", number="+12025551234", raw=raw)
    with pytest.raises(TypeError):
        number.raw["id"] = 2  # type: ignore[index]
    with pytest.raises(TypeError):
        number.raw["user"]["name"] = "B"
    assert number.raw["tags"] == ("x",)


def test_phone_number_repr_shows_what_is_set_and_never_raw() -> None:
    number = pr.PhoneNumber(
        provider="close",
        id="phon_1",
        number="+12025551234",
        label="Sales",
        ring_duration=20,
        updated_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        raw={"secret_looking": "x"},
    )
    assert repr(number) == (
        "PhoneNumber(provider='close', id='phon_1', number='+12025551234', label='Sales', "
        "ring_duration=20, updated_at=datetime.datetime(2026, 1, 2, 3, 4, 5, "
        "tzinfo=datetime.timezone.utc))"
    )
    assert number.routing()["label"] == "Sales"
    assert number.routing()["forwarding_number"] is None


def test_raw_does_not_take_part_in_equality() -> None:
    a = pr.PhoneNumber(provider="linq-v3", id="x", number="+12025551234", raw={"a": 1})
    b = pr.PhoneNumber(provider="linq-v3", id="x", number="+12025551234", raw={"a": 2})
    assert a == b


def test_errors_render_what_happened_and_what_to_do() -> None:
    error = pr.ValidationError(
        "Phone number must be in E.164 format",
        provider="linq-v3",
        status=400,
        code=1002,
        request_id="0af7651916cd43dd8448eb211c80319c",
        doc_url="https://docs.linqapp.com/error/codes/1xxx/1002/",
        field="forwarding_number",
    )
    assert str(error) == (
        "linq-v3: Phone number must be in E.164 format [field forwarding_number, HTTP 400, "
        "code 1002, request id 0af7651916cd43dd8448eb211c80319c]. See "
        "https://docs.linqapp.com/error/codes/1xxx/1002/. Correct the value of the field "
        "named and try again."
    )
    limited = pr.RateLimitError("slow down", provider="close", status=429, retry_after=7.0)
    assert "retry after 7 s" in str(limited)


def test_errors_pickle_with_their_fields() -> None:
    error = pr.RateLimitError(
        "slow down", provider="close", status=429, retry_after=3.0, details={"a": "b"}
    )
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is pr.RateLimitError
    assert (copy.provider, copy.status, copy.retry_after, dict(copy.details)) == (
        "close",
        429,
        3.0,
        {"a": "b"},
    )
    assert str(copy) == str(error)


def test_error_hierarchy() -> None:
    assert issubclass(pr.UnsupportedFieldError, pr.ValidationError)
    for cls in (
        pr.ConfigurationError,
        pr.ValidationError,
        pr.AuthenticationError,
        pr.PermissionDeniedError,
        pr.NotFoundError,
        pr.ConflictError,
        pr.RateLimitError,
        pr.ServerError,
        pr.TransportError,
        pr.UnexpectedResponseError,
        pr.RequestRejectedError,
    ):
        assert issubclass(cls, pr.RoutingError)
        assert cls.__doc__


def test_a_decoded_payload_is_written_back_as_the_json_it_was_read_from() -> None:
    """A store writes each number's payload as JSON text (`raw_json`) straight from
    the payloads `decode_json` built (arrays kept as the decoder's lists, objects as
    payloads): the text decodes to exactly the body read, at every depth."""
    body = {
        "id": "phon_1",
        "tags": ["a", {"deep": [1, 2.5, None, True, {"x": 'ü \\ " ☎'}]}],
        "empty": {},
        "nothing": [],
        "count": 12345678901234567890,
    }
    payload = decode_json(json.dumps(body))
    assert json.loads(raw_json(payload)) == body
    top = payload.json_object()
    assert list(top) == list(body)
    assert top["tags"][1]["deep"][4] == {"x": 'ü \\ " ☎'}
    # And back: the stored text decodes to the payload the number held.
    fields = {"provider": "close", "id": "phon_1", "number": "+12025550142"}
    assert number_from_fields(fields, raw_json(payload)).raw == payload
