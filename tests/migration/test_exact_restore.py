"""Exact restore: the journal keeps the vendor state the normalized model does not carry
(`Adapter.restorable_state`), and a rollback puts it back (`Adapter.restore_requests`)."""

from __future__ import annotations

import json

import pytest

import phonerouting as pr
from phonerouting import migration, testing
from phonerouting.adapters.close import CloseAdapter
from phonerouting.registry import PROVIDERS
from phonerouting.testing import CloseEmulator, LinqV3Emulator
from tests.migration.conftest import Journals
from tests.migration.test_engine import client

pytestmark = pytest.mark.timeout(180)


async def test_a_close_number_gets_its_parked_forward_to_back_on_rollback(
    journals: Journals,
) -> None:
    # Forwarding off with a forward_to parked: the model reads "no forwarding", and a
    # rollback that sent forward_to: null would lose the parked number.
    old = LinqV3Emulator(4, seed=61, populate=1.0)
    new = CloseEmulator(4, seed=61, populate=0.0)
    parked = next(iter(new.numbers.values()))
    parked.forward_to, parked.forward_to_enabled = "+13125550142", False
    journal = journals.new("j")
    async with client(old) as src, client(new) as dst:
        plan = await migration.plan(src, dst)
        item = next(n for n in plan.to_write if n.target_id == parked.id)
        assert [(c.field, c.before) for c in item.changes] == [("forwarding_number", None)]
        report = await migration.apply(plan, dst, journal=journal)
        assert report.ok
        assert (parked.forward_to, parked.forward_to_enabled) == (
            item.desired()["forwarding_number"],
            True,
        )
        restore = journals.column(journal, "restore")[item.number]
        assert restore == {"forward_to": "+13125550142"}

        new.clear_requests()
        undone = await migration.rollback(dst, journal=journal)
        assert undone.ok
        assert undone.written == len(plan.to_write)
    assert (parked.forward_to, parked.forward_to_enabled) == ("+13125550142", False)
    puts = {r.path: r.json for r in new.requests if r.method == "PUT"}
    assert puts[f"/api/v1/phone_number/{parked.id}/"] == {
        "forward_to": "+13125550142",
        "forward_to_enabled": False,
    }
    # The other numbers had nothing parked: cleared as before.
    others = [body for path, body in puts.items() if parked.id not in path]
    assert others
    assert all(body == {"forward_to": None, "forward_to_enabled": False} for body in others)
    async with client(new) as dst:
        assert (await migration.verify_journal(dst, journal=journal)).ok


def test_close_restore_parks_forward_to_only_when_clearing_forwarding() -> None:
    adapter = CloseAdapter()
    state = {"forward_to": "+13125550142"}
    nid = "phon_abc"
    clear = pr.RoutingUpdate(forwarding_number=None, label="x")
    (request,) = adapter.restore_requests(nid, clear, state)
    assert request.json == {
        "forward_to": "+13125550142",
        "forward_to_enabled": False,
        "label": "x",
    }
    # Setting forwarding, or not touching it, goes as a plain update.
    for update in (pr.RoutingUpdate(forwarding_number="+12025550100"), pr.RoutingUpdate(label="y")):
        assert adapter.restore_requests(nid, update, state) == adapter.update_requests(nid, update)
    with pytest.raises(pr.ValidationError):
        adapter.restore_requests(nid, clear, {"forward_to": "not a number"})


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_every_adapters_restorable_state_is_json_and_restores_its_own_numbers(
    provider: str,
) -> None:
    # Generic: whatever an adapter keeps is JSON (it goes in the journal file), and a
    # restore without any kept state is the plain update.
    emu = testing.emulator(provider, 8, seed=63, populate=0.7)
    async with client(emu) as dst:
        numbers = [n async for n in dst.list_numbers()]
        adapter = dst.adapter  # the account's (Twilio's paths name it)
    for number in numbers:
        state = adapter.restorable_state(number)
        assert json.loads(json.dumps(state)) == state
        assert "key" not in json.dumps(state).lower()
        field = "label" if adapter.capabilities.can_set("label") else "forwarding_number"
        update = pr.RoutingUpdate(**{field: None})
        assert adapter.restore_requests(number.id, update, {}) == adapter.update_requests(
            number.id, update
        )
