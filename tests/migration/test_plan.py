"""make_plan: matching by E.164, scope by source capabilities, nothing silently dropped."""

from __future__ import annotations

import pytest

import phonerouting as pr
from phonerouting.migration import Change, NumberPlan, make_plan
from phonerouting.registry import adapter_for


def caps(provider: str) -> pr.Capabilities:
    return adapter_for(provider).capabilities


def n(provider: str, id_: str, number: str, **fields: object) -> pr.PhoneNumber:
    return pr.PhoneNumber(provider=provider, id=id_, number=number, **fields)  # type: ignore[arg-type]


def test_linq_v2_to_v3_sets_and_clears_forwarding() -> None:
    source = [
        n("linq-v2", "1", "+12025550101", forwarding_number="+12025559999"),
        n("linq-v2", "2", "+12025550102"),
        n("linq-v2", "3", "+12025550103", forwarding_number="+12025558888"),
        n("linq-v2", "4", "+12025550104"),
    ]
    target = [
        n("linq-v3", "u1", "+12025550101"),
        n("linq-v3", "u2", "+12025550102", forwarding_number="+12025557777"),
        n("linq-v3", "u3", "+12025550103", forwarding_number="+12025558888"),
        n("linq-v3", "u5", "+12025550105"),
    ]
    plan = make_plan(source, target, caps("linq-v2"), caps("linq-v3"))
    assert plan.numbers == (
        NumberPlan("+12025550101", "1", "u1", (Change("forwarding_number", None, "+12025559999"),)),
        NumberPlan("+12025550102", "2", "u2", (Change("forwarding_number", "+12025557777", None),)),
        NumberPlan("+12025550103", "3", "u3", ()),
    )
    assert plan.only_in_source == ("+12025550104",)
    assert plan.only_in_target == ("+12025550105",)
    assert plan.summary() == {
        "matched": 3,
        "to_write": 2,
        "clears": 1,
        "unchanged": 1,
        "with_unsupported_fields": 0,
        "invalid_values": 0,
        "only_in_source": 1,
        "only_in_target": 1,
        "conflicts": 0,
    }
    assert plan.numbers[0].update() == pr.RoutingUpdate(forwarding_number="+12025559999")
    assert plan.numbers[1].prior() == pr.RoutingUpdate(forwarding_number="+12025557777")


def test_fields_the_target_cannot_hold_are_listed_not_dropped() -> None:
    source = [
        n(
            "close",
            "phon_a",
            "+12025550101",
            forwarding_number="+12025559999",
            label="Sales",
            ring_duration=20,
            participants=("user_1",),
        )
    ]
    target = [n("agentmessage", "u1", "+12025550101", label="old")]
    plan = make_plan(source, target, caps("close"), caps("agentmessage"))
    (item,) = plan.numbers
    assert item.changes == (Change("label", "old", "Sales"),)
    assert item.unsupported == (
        Change("forwarding_number", None, "+12025559999"),
        Change("ring_duration", None, 20),
        Change("participants", None, ("user_1",)),
    )
    assert plan.fields == (
        "forwarding_number",
        "label",
        "voicemail_greeting_url",
        "ring_duration",
        "participants",
        "external_numbers",
        "press_1_to_accept",
    )


def test_fields_the_source_cannot_express_leave_the_target_alone() -> None:
    source = [n("linq-v3", "u1", "+12025550101", forwarding_number="+12025559999")]
    target = [n("close", "phon_a", "+12025550101", label="Keep me", ring_duration=45)]
    plan = make_plan(source, target, caps("linq-v3"), caps("close"))
    assert plan.numbers[0].changes == (Change("forwarding_number", None, "+12025559999"),)
    assert plan.fields == ("forwarding_number",)


def test_duplicates_are_conflicts_and_left_out() -> None:
    source = [n("close", "phon_a", "+12025550101"), n("close", "phon_b", "+12025550101")]
    target = [n("close", "phon_c", "+12025550101", label="x")]
    plan = make_plan(source, target, caps("close"), caps("close"))
    assert plan.conflicts == ("+12025550101",)
    assert plan.numbers == ()
    assert plan.only_in_target == ()


def test_fields_narrow_the_scope_and_unknown_fields_are_refused() -> None:
    source = [n("close", "phon_a", "+12025550101", label="A", ring_duration=20)]
    target = [n("close", "phon_b", "+12025550101")]
    plan = make_plan(source, target, caps("close"), caps("close"), fields=["ring_duration"])
    assert plan.numbers[0].changes == (Change("ring_duration", None, 20),)
    with pytest.raises(pr.ValidationError, match="unknown field"):
        make_plan(source, target, caps("close"), caps("close"), fields=["colour"])


def test_empty_values_are_equal_whatever_their_form() -> None:
    source = [n("close", "phon_a", "+12025550101", participants=None, label=None)]
    target = [n("close", "phon_b", "+12025550101", participants=(), label="")]
    plan = make_plan(source, target, caps("close"), caps("close"))
    assert plan.to_write == ()


def test_press_1_off_is_the_empty_state() -> None:
    # False is what Close reports for a switch that was never turned on, and what
    # clearing sends: nothing to carry over, and equal to a target that has none.
    source = [
        n("close", "phon_a", "+12025550101", press_1_to_accept=False),
        n("close", "phon_b", "+12025550102", press_1_to_accept=True),
    ]
    to_am = make_plan(
        source,
        [n("agentmessage", "u1", "+12025550101"), n("agentmessage", "u2", "+12025550102")],
        caps("close"),
        caps("agentmessage"),
    )
    assert [item.unsupported for item in to_am.numbers] == [
        (),
        (Change("press_1_to_accept", None, True),),
    ]
    to_close = make_plan(
        source,
        [
            n("close", "phon_c", "+12025550101"),
            n("close", "phon_d", "+12025550102", press_1_to_accept=False),
        ],
        caps("close"),
        caps("close"),
    )
    assert [item.changes for item in to_close.numbers] == [
        (),
        (Change("press_1_to_accept", None, True),),
    ]


def test_fields_asked_for_that_the_source_lacks_are_reported() -> None:
    source = [n("linq-v2", "1", "+12025550101", forwarding_number="+12025559999")]
    target = [n("close", "phon_a", "+12025550101", label="Keep")]
    plan = make_plan(
        source, target, caps("linq-v2"), caps("close"), fields=["label", "forwarding_number"]
    )
    assert plan.ignored == ("label",)
    assert plan.fields == ("forwarding_number",)
    assert make_plan(source, target, caps("linq-v2"), caps("close")).ignored == ()


def test_values_no_update_may_send_are_listed_not_planned() -> None:
    # AgentMessage holds a label past the 255 characters an update may send, and one
    # with a newline: planned as writes, they would only fail at apply time.
    source = [
        n("agentmessage", "u1", "+12025550101", label="x" * 300),
        n("agentmessage", "u2", "+12025550102", label="two\nlines"),
        n("agentmessage", "u3", "+12025550103", label="Fine"),
    ]
    target = [
        n("close", "phon_a", "+12025550101"),
        n("close", "phon_b", "+12025550102"),
        n("close", "phon_c", "+12025550103"),
    ]
    plan = make_plan(source, target, caps("agentmessage"), caps("close"))
    assert [item.changes for item in plan.numbers] == [(), (), (Change("label", None, "Fine"),)]
    assert [item.invalid for item in plan.numbers] == [
        (
            Change(
                "label", None, "x" * 300, reason="label is 300 characters; at most 255 are allowed"
            ),
        ),
        (
            Change(
                "label",
                None,
                "two\nlines",
                reason="label must not contain control characters, bidi controls or line "
                "breaks; it holds U+000A at position 3",
            ),
        ),
        (),
    ]
    assert plan.summary()["invalid_values"] == 2
    assert [item.number for item in plan.to_write] == ["+12025550103"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ("label", "fields must be a list of field names, not 'label'"),
        (["label", 3], "unknown field(s) 3; choose from"),
        ([None], "unknown field(s) None; choose from"),
    ],
)
def test_fields_of_the_wrong_shape_are_a_validation_error(fields: object, message: str) -> None:
    source = [n("close", "phon_a", "+12025550101", label="A")]
    with pytest.raises(pr.ValidationError) as caught:
        make_plan(source, [], caps("close"), caps("close"), fields=fields)  # type: ignore[arg-type]
    assert caught.value.message.startswith(message)
    assert caught.value.field == "fields"
