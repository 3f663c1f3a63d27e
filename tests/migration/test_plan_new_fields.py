"""make_plan over the seven fields issue 11 adds: set, clear, leave alone, unsupported
on the target, and source values no update may send (an http:// voice URL)."""

from __future__ import annotations

import phonerouting as pr
from phonerouting.migration import Change, NumberPlan, make_plan
from tests.support import NEW_FIELD_VALUES

NEW = tuple(NEW_FIELD_VALUES)
PROFILE = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def caps(provider: str, fields: tuple[str, ...]) -> pr.Capabilities:
    return pr.Capabilities(provider, frozenset(fields), frozenset(fields))


def n(provider: str, id_: str, number: str, **fields: object) -> pr.PhoneNumber:
    return pr.PhoneNumber(provider=provider, id=id_, number=number, **fields)  # type: ignore[arg-type]


def test_the_new_fields_are_set_cleared_and_left_alone_like_the_others() -> None:
    source = [
        n(
            "voice",
            "s1",
            "+12025550101",
            voice_url="https://a.example/voice",
            call_status_url="https://a.example/status",
            tags=("west", "desk"),
        ),
        n("voice", "s2", "+12025550102", connection_id="1293384261075731499"),
    ]
    target = [
        n(
            "both",
            "t1",
            "+12025550101",
            voice_url="https://b.example/voice",
            voice_fallback_url="https://b.example/fallback",
            tags=("west", "desk"),
        ),
        n("both", "t2", "+12025550102", messaging_profile_id=PROFILE, tags=("old",)),
    ]
    plan = make_plan(source, target, caps("voice", NEW[:5] + NEW[6:]), caps("both", NEW))
    # messaging_profile_id is out of scope: the source cannot express it.
    assert plan.fields == NEW[:5] + NEW[6:]
    assert plan.numbers == (
        NumberPlan(
            "+12025550101",
            "s1",
            "t1",
            (
                Change("voice_url", "https://b.example/voice", "https://a.example/voice"),
                Change("voice_fallback_url", "https://b.example/fallback", None),
                Change("call_status_url", None, "https://a.example/status"),
            ),
        ),
        NumberPlan(
            "+12025550102",
            "s2",
            "t2",
            (
                Change("connection_id", None, "1293384261075731499"),
                Change("tags", ("old",), None),
            ),
        ),
    )
    assert plan.summary()["clears"] == 2
    assert plan.numbers[1].update() == pr.RoutingUpdate(
        connection_id="1293384261075731499", tags=()
    )
    assert plan.numbers[1].prior() == pr.RoutingUpdate(connection_id=None, tags=["old"])


def test_tags_in_another_order_are_a_change() -> None:
    # A tag list is the vendor's list as given; the plan does not reorder it.
    plan = make_plan(
        [n("a", "s", "+12025550101", tags=("b", "a"))],
        [n("b", "t", "+12025550101", tags=("a", "b"))],
        caps("a", ("tags",)),
        caps("b", ("tags",)),
    )
    assert plan.numbers[0].changes == (Change("tags", ("a", "b"), ("b", "a")),)


def test_a_target_without_the_field_lists_the_source_value_as_unsupported() -> None:
    plan = make_plan(
        [n("a", "s", "+12025550101", voice_url="https://a.example/v", connection_id="7")],
        [n("b", "t", "+12025550101")],
        caps("a", ("voice_url", "connection_id")),
        caps("b", ("connection_id",)),
    )
    assert plan.numbers == (
        NumberPlan(
            "+12025550101",
            "s",
            "t",
            (Change("connection_id", None, "7"),),
            unsupported=(Change("voice_url", None, "https://a.example/v"),),
        ),
    )


def test_an_http_source_url_is_listed_invalid_with_its_reason_never_dropped() -> None:
    plan = make_plan(
        [n("a", "s", "+12025550101", voice_url="http://a.example/v", tags=("ok",))],
        [n("b", "t", "+12025550101")],
        caps("a", ("voice_url", "tags")),
        caps("b", ("voice_url", "tags")),
    )
    (number,) = plan.numbers
    assert number.changes == (Change("tags", None, ("ok",)),)
    assert number.invalid == (
        Change(
            "voice_url",
            None,
            "http://a.example/v",
            reason="voice_url 'http://a.example/v' must be an absolute https:// URL, "
            "e.g. https://example.com/hook",
        ),
    )
    assert plan.summary()["invalid_values"] == 1
