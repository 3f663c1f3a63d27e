"""The seven fields issue 11 adds (voice_url, voice_fallback_url, inbound_fallback_url,
call_status_url, connection_id, messaging_profile_id, tags): leave / clear / set, the
checks made before sending, and their place on PhoneNumber."""

from __future__ import annotations

import pytest

import phonerouting as pr
from phonerouting import registry
from phonerouting.errors import UnsupportedFieldError, ValidationError
from tests.support import NEW_FIELD_VALUES

NEW_FIELDS = tuple(NEW_FIELD_VALUES)
URL_FIELDS = NEW_FIELDS[:4]
PROFILE = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def test_the_new_fields_follow_the_ten_in_order() -> None:
    assert NEW_FIELDS == (
        "voice_url",
        "voice_fallback_url",
        "inbound_fallback_url",
        "call_status_url",
        "connection_id",
        "messaging_profile_id",
        "tags",
    )
    assert pr.ROUTING_FIELDS[10:] == NEW_FIELDS
    assert len(pr.ROUTING_FIELDS) == 17


@pytest.mark.parametrize("field", NEW_FIELDS)
def test_each_new_field_starts_unset_and_none_clears_it(field: str) -> None:
    assert getattr(pr.RoutingUpdate(), field) is pr.UNSET
    assert pr.RoutingUpdate(**{field: None}).changes() == {field: None}
    assert pr.RoutingUpdate(**{field: pr.CLEAR}).changes() == {field: None}


@pytest.mark.parametrize("field", [*URL_FIELDS, "connection_id", "messaging_profile_id"])
def test_empty_string_clears_the_new_string_fields(field: str) -> None:
    assert pr.RoutingUpdate(**{field: ""}).changes() == {field: None}


@pytest.mark.parametrize("empty", [[], ()])
def test_an_empty_list_clears_tags(empty: object) -> None:
    assert pr.RoutingUpdate(tags=empty).changes() == {"tags": None}


@pytest.mark.parametrize("field", URL_FIELDS)
def test_urls_are_kept_and_must_be_https(field: str) -> None:
    url = "https://example.com/voice?x=1"
    assert pr.RoutingUpdate(**{field: url}).changes() == {field: url}
    for bad, says in (
        ("http://example.com/voice", "must be an absolute https:// URL"),
        ("https://", "must be an absolute https:// URL"),
        ("https://exa mple.com", "must not contain spaces"),
        ("https://example.com/\x1b[2J", "U+001B"),
        ("https://example.com/" + "x" * 2100, "at most 2048"),
    ):
        with pytest.raises(ValidationError) as caught:
            pr.RoutingUpdate(**{field: bad})
        assert caught.value.field == field
        assert says in caught.value.message


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("1293384261075731499", "1293384261075731499"),
        ("1d0e6cb8-8668-462e-94c6-49ae0f0ed48b", "1d0e6cb8-8668-462e-94c6-49ae0f0ed48b"),
        ("1D0E6CB8-8668-462E-94C6-49AE0F0ED48B", "1d0e6cb8-8668-462e-94c6-49ae0f0ed48b"),
    ],
)
def test_a_connection_id_is_digits_or_a_uuid(given: str, kept: str) -> None:
    assert pr.RoutingUpdate(connection_id=given).connection_id == kept


@pytest.mark.parametrize(
    "bad", ["conn-1", "12 34", "1" * 21, "-1", 1293384261075731499, "1d0e6cb8-8668-462e"]
)
def test_anything_else_is_no_connection_id(bad: object) -> None:
    with pytest.raises(ValidationError) as caught:
        pr.RoutingUpdate(connection_id=bad)
    assert caught.value.field == "connection_id"


def test_a_messaging_profile_id_is_a_uuid_lower_cased() -> None:
    assert pr.RoutingUpdate(messaging_profile_id=PROFILE.upper()).messaging_profile_id == PROFILE
    for bad in ("1293384261075731499", "profile", 42):
        with pytest.raises(ValidationError) as caught:
            pr.RoutingUpdate(messaging_profile_id=bad)
        assert caught.value.field == "messaging_profile_id"
        if isinstance(bad, str):
            assert caught.value.message.endswith("is not a UUID (8-4-4-4-12 hex digits)")


def test_tags_are_a_tuple_of_strings_in_the_given_order() -> None:
    assert pr.RoutingUpdate(tags=["west", "front desk"]).tags == ("west", "front desk")
    assert pr.RoutingUpdate(tags=("b", "a")).changes() == {"tags": ("b", "a")}


@pytest.mark.parametrize(
    ("bad", "says", "field"),
    [
        ("west", "must be a list of strings", "tags"),
        (["west", "west"], "lists the same entry twice", "tags"),
        (["west", ""], "must be a non-empty tag", "tags[1]"),
        ([" west"], "without surrounding spaces", "tags[0]"),
        (["we\nst"], "U+000A", "tags[0]"),
        ([7], "must be a string, not int", "tags[0]"),
        (["x" * 256], "at most 255", "tags[0]"),
    ],
)
def test_bad_tags_are_refused_at_construction(bad: object, says: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        pr.RoutingUpdate(tags=bad)
    assert says in caught.value.message
    assert caught.value.field == field


def test_a_number_reads_none_for_each_new_field_until_set() -> None:
    number = pr.PhoneNumber(provider="p", id="1", number="+12025550100")
    assert all(getattr(number, field) is None for field in NEW_FIELDS)
    assert list(number.routing()) == list(pr.ROUTING_FIELDS)
    full = pr.PhoneNumber(
        provider="p",
        id="1",
        number="+12025550100",
        voice_url="https://example.com/v",
        connection_id="12",
        messaging_profile_id=PROFILE,
        tags=("a",),
    )
    assert full.routing()["tags"] == ("a",)
    assert repr(full) == (
        "PhoneNumber(provider='p', id='1', number='+12025550100', "
        "voice_url='https://example.com/v', connection_id='12', "
        f"messaging_profile_id='{PROFILE}', tags=('a',))"
    )


SAMPLES = NEW_FIELD_VALUES


def _lacking() -> list[tuple[str, str, str]]:
    """(provider, field, "set" or "clear") for every new field a registered provider
    cannot set or clear (for the four built-in vendors: all of them)."""
    found = []
    for provider in registry.providers():
        caps = registry.adapter_for(provider).capabilities
        for field in NEW_FIELDS:
            found += [(provider, field, "set")] if not caps.can_set(field) else []
            found += [(provider, field, "clear")] if not caps.can_clear(field) else []
    return found


def test_the_four_built_in_vendors_have_none_of_the_new_fields() -> None:
    for provider in ("linq-v2", "linq-v3", "agentmessage", "close"):
        caps = registry.adapter_for(provider).capabilities
        assert not (caps.settable | caps.clearable) & set(NEW_FIELDS), provider


@pytest.mark.parametrize(("provider", "field", "kind"), _lacking())
def test_a_provider_without_the_field_refuses_it_before_building_a_request(
    provider: str, field: str, kind: str
) -> None:
    adapter = registry.adapter_for(provider)
    update = pr.RoutingUpdate(**{field: SAMPLES[field] if kind == "set" else None})
    with pytest.raises(UnsupportedFieldError) as caught:
        adapter.update_requests("any", update)
    assert caught.value.field == field
    assert caught.value.provider == provider
    verb = "has no" if kind == "set" else "cannot clear"
    assert verb in caught.value.message
