"""The README's rule, on every registered provider: a field the vendor reports empty
reads as None — "" and [] and null, and the off state of the press_1_to_accept switch —
in listings and after a clear alike."""

from __future__ import annotations

import pytest

import phonerouting as pr
from phonerouting import testing

EMPTY = ("", (), [], False)


def _empty_but_not_none(number: pr.PhoneNumber) -> dict[str, object]:
    return {
        field: value
        for field, value in number.routing().items()
        if value is not None and any(value == e and type(value) is type(e) for e in EMPTY)
    }


@pytest.mark.parametrize("provider", pr.PROVIDERS)
def test_no_listed_field_reads_empty_but_not_none(provider: str) -> None:
    emu = testing.emulator(provider, 60, seed=5, populate=0.5)
    with pr.connect(provider, **emu.client_credentials(), transport=emu.transport()) as client:
        numbers = list(client.list_numbers())
        assert [n.number for n in numbers if _empty_but_not_none(n)] == []
        # Clearing every field the provider can clear leaves nothing but None.
        clearable = sorted(client.capabilities.clearable)
        after = client.update_routing(numbers[0].id, pr.RoutingUpdate(**dict.fromkeys(clearable)))
    assert {f: v for f, v in after.routing().items() if v is not None} == {}


def test_an_unrouted_close_number_reads_press_1_as_none() -> None:
    emu = testing.CloseEmulator(0)
    on = emu.add_number("+12025550101", press_1_to_accept=True)
    off = emu.add_number("+12025550102")
    assert emu.get(off.id).to_wire()["press_1_to_accept"] is False  # what Close sends
    with pr.connect("close", api_key=emu.api_key, transport=emu.transport()) as client:
        read = {n.id: n.press_1_to_accept for n in client.list_numbers()}
        assert read == {on.id: True, off.id: None}
        # Setting it off is clearing it: False on the wire, None read back.
        after = client.update_routing(on.id, pr.RoutingUpdate(press_1_to_accept=False))
    assert emu.requests[-1].json == {"press_1_to_accept": False}
    assert after.press_1_to_accept is None
    assert pr.RoutingUpdate(press_1_to_accept=False).changes() == {"press_1_to_accept": None}
    assert pr.PhoneNumber(provider="close", id="phon_x", number="+1", press_1_to_accept=False) == (
        pr.PhoneNumber(provider="close", id="phon_x", number="+1")
    )
