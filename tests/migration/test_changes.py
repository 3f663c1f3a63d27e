"""plan_changes: one update over many numbers of one account, planned purely."""

from __future__ import annotations

from phonerouting.migration import Change, plan_changes
from phonerouting.model import Capabilities, PhoneNumber, RoutingUpdate

CAPS = Capabilities(
    "close",
    frozenset({"forwarding_number", "label", "ring_duration"}),
    frozenset({"forwarding_number", "label", "ring_duration"}),
)


def _number(e164: str, id: str, **fields: object) -> PhoneNumber:
    return PhoneNumber(provider="close", id=id, number=e164, **fields)  # type: ignore[arg-type]


def test_each_number_gets_its_before_and_after() -> None:
    numbers = [
        _number("+12025550102", "b", label="Old"),
        _number("+12025550101", "a"),
        _number("+12025550103", "c", label="Support", forwarding_number="+12025550103"),
    ]
    plan = plan_changes(
        numbers,
        RoutingUpdate(label="Support", forwarding_number="+12025550103", campaign_id=None),
        CAPS,
    )
    assert (plan.source, plan.target) == ("close", "close")
    assert plan.fields == ("forwarding_number", "label", "campaign_id")
    by = {n.number: n for n in plan.numbers}
    assert [n.number for n in plan.numbers] == ["+12025550101", "+12025550102", "+12025550103"]
    assert by["+12025550101"].changes == (
        Change("forwarding_number", None, "+12025550103"),
        Change("label", None, "Support"),
    )
    assert by["+12025550102"].target_id == by["+12025550102"].source_id == "b"
    # A number already holding the values changes nothing; it cannot forward to itself.
    assert by["+12025550103"].changes == ()
    assert by["+12025550103"].invalid == ()
    assert plan.summary()["to_write"] == 2


def test_unsupported_invalid_and_conflicts_are_listed_never_dropped() -> None:
    numbers = [
        _number("+12025550101", "a"),
        _number("+12025550102", "b"),
        _number("+12025550102", "b2"),
    ]
    plan = plan_changes(
        numbers,
        RoutingUpdate(forwarding_number="+12025550101", inbound_url="https://x.example/in"),
        CAPS,
    )
    assert plan.conflicts == ("+12025550102",)
    (only,) = plan.numbers
    assert only.changes == ()
    assert only.unsupported == (Change("inbound_url", None, "https://x.example/in"),)
    assert only.invalid == (
        Change(
            "forwarding_number",
            None,
            "+12025550101",
            "+12025550101 cannot forward its calls to itself",
        ),
    )


def test_a_clear_of_an_empty_field_changes_nothing() -> None:
    plan = plan_changes(
        [_number("+12025550101", "a", participants=("u1",))],
        RoutingUpdate(label=None, participants=[], ring_duration=20),
        Capabilities(
            "close",
            frozenset({"label", "participants", "ring_duration"}),
            frozenset({"label", "ring_duration"}),
        ),
    )
    (only,) = plan.numbers
    assert only.changes == (Change("ring_duration", None, 20),)
    # Clearing participants is not something this provider can do: listed.
    assert only.unsupported == (Change("participants", ["u1"], None),)
