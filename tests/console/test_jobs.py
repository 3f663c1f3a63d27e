"""Bulk changes and migrations in Chromium: chosen in the inventory and by hand, a
preview of exactly what will change, a confirm, live progress from the service's
server-sent events, the result, verify and rollback; each step checked against what
the emulators received and hold."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from tests.console.conftest import SHARED, Console

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

#: The longest a run may take in these tests (a wait, not a timing assertion).
RUN = 60_000


def _labels(emu: Any, ids: list[str]) -> list[str]:
    return [emu.numbers[i].label for i in ids]


def test_a_bulk_change_is_previewed_confirmed_followed_live_and_rolled_back(
    console: Console,
) -> None:
    page, served = console.page, console.served
    crm = served.emulators["crm"]
    chosen = served.plain_crm()[2:5]
    ids = [r.id for r in chosen]
    before = _labels(crm, ids)
    held = served.api("GET", "api/v1/numbers?account=lines&limit=1000").json()["items"]
    other = min(n["number"] for n in held if n["number"] not in SHARED)

    console.sign_in("admin")
    console.go("/numbers?account=crm")
    for record in chosen:
        page.get_by_label(f"Select {record.number} in crm").check()
    page.get_by_role("button", name="Change the selected numbers…").click()
    page.wait_for_url("**/changes/new?**")
    by_hand = page.get_by_label("Numbers by hand, one a line (any human form)")
    assert by_hand.input_value().split("\n") == [r.number for r in chosen]
    # One more by hand, in a human form: a linq-v3 number, whose provider has no label.
    human = f"+1 ({other[2:5]}) {other[5:8]}-{other[8:]}"
    by_hand.fill(by_hand.input_value() + "\n" + human)
    page.get_by_label("label", exact=True).fill("Bulk label")
    console.accessible()
    puts = crm.count("PUT")
    page.get_by_role("button", name="Preview the change").click()
    page.wait_for_url(re.compile(r".*/changes/[^/]+$"))
    assert page.get_by_test_id("state").inner_text() == "planned"
    summary = page.get_by_test_id("summary")
    assert summary.locator('[data-summary="matched"]').inner_text() == "4"
    assert summary.locator('[data-summary="to_write"]').inner_text() == "3"
    assert summary.locator('[data-summary="with_unsupported_fields"]').inner_text() == "1"
    plan = page.get_by_test_id("plan")
    for record, old in zip(chosen, before, strict=True):
        row = plan.locator(f'tr[data-number="{record.number}"][data-account="crm"]')
        assert row.locator("td").nth(1).inner_text() == f"label: {old or '(empty)'} → Bulk label"
    unsupported = plan.locator(f'tr[data-number="{other}"][data-account="lines"] td').nth(2)
    assert unsupported.inner_text().startswith("label: (empty) → Bulk label")
    assert crm.count("PUT") == puts  # planning wrote nothing
    console.accessible()
    console.shot("change-preview")

    # One of them is edited after the plan: the run must leave it alone, and say so.
    edited = served.api(
        "PATCH", f"api/v1/accounts/crm/numbers/{ids[2]}", json={"label": "Edited after the plan"}
    )
    assert edited.status_code == 200
    # Slow writes, so the progress is seen moving before the run ends: the second
    # ends 6 s after the first, so a page seeing "2 of 3" needs no luck. (Both slowed
    # alike, they ended within milliseconds of each other, and a page on a loaded
    # machine saw "0 of 3", then "3 of 3".)
    crm.faults.delay(2.0, count=1, method="PUT")
    crm.faults.delay(8.0, count=1, method="PUT")
    try:
        page.get_by_role("button", name="Confirm and apply to 3 numbers").click()
        text = page.locator("[data-progress-text]")
        text.wait_for(state="visible")
        page.wait_for_function(
            "() => /^[12] of 3 done$/.test("
            "document.querySelector('[data-progress-text]').textContent)",
            timeout=RUN,
        )
        console.shot("change-progress")
        # A number left alone as changed since the plan makes the run not ok: failed.
        console.wait_state("failed")
    finally:
        crm.faults.clear()
    result = page.get_by_test_id("result-crm")
    assert result.locator('[data-count="written"]').inner_text() == "2"
    assert result.locator('[data-count="failed"]').inner_text() == "0"
    assert result.locator('[data-count="changed"]').inner_text() == "1"
    changed = page.get_by_role("table", name="Changed since the plan")
    assert changed.locator("tbody td").first.inner_text() == chosen[2].number
    assert _labels(crm, ids) == ["Bulk label", "Bulk label", "Edited after the plan"]
    written = [r for r in crm.requests[-40:] if r.method == "PUT"]
    assert sorted(r.path.rsplit("/", 2)[-2] for r in written[-2:]) == sorted(ids[:2])
    console.accessible()
    console.shot("change-result")

    page.get_by_role("button", name="Roll back").click()
    console.wait_state("rolled_back")
    assert _labels(crm, ids) == [*before[:2], "Edited after the plan"]
    # The audit tells each write with its actor and the change set it belonged to.
    job_id = page.locator("[data-job]").get_attribute("data-id")
    console.go(f"/audit?number={quote(chosen[0].number)}")
    rows = page.locator("table.audit tbody tr")
    assert [row.locator("td").nth(i).inner_text() for row in rows.all() for i in (2, 3, 6)] == [
        *("ops-admin", "change_set.apply", "written"),
        *("ops-admin", "change_set.rollback", "written"),
    ]
    assert rows.first.locator("td").nth(8).inner_text() == f"job {job_id}"
    assert not console.errors


def test_a_migration_is_planned_applied_verified_and_rolled_back(console: Console) -> None:
    page, served = console.page, console.served
    crm, lines = served.emulators["crm"], served.emulators["lines"]
    source = {r.phone_number: r.forwarding_number for r in lines.numbers.values()}
    targets = {r.number: r.id for r in crm.numbers.values() if r.number in SHARED}
    assert all(crm.numbers[i].forward_to is None for i in targets.values())

    console.sign_in("admin")
    console.go("/migrations/new")
    page.get_by_label("From (source)").select_option("lines")
    page.get_by_label("To (target)").select_option("crm")
    page.get_by_label("forwarding_number").check()
    console.accessible()
    puts = crm.count("PUT")
    page.get_by_role("button", name="Plan the migration").click()
    page.wait_for_url(re.compile(r".*/migrations/[^/]+$"))
    assert page.get_by_test_id("state").inner_text() == "planned"
    assert page.get_by_test_id("summary").locator('[data-summary="to_write"]').inner_text() == "5"
    plan = page.get_by_test_id("plan")
    for number in SHARED:
        row = plan.locator(f'tr[data-number="{number}"]')
        assert row.locator("td").nth(1).inner_text() == (
            f"forwarding_number: (empty) → {source[number]}"
        )
    assert crm.count("PUT") == puts
    console.accessible()
    console.shot("migration-plan")

    page.get_by_role("button", name="Confirm and apply to 5 numbers").click()
    console.wait_state("applied")
    assert page.get_by_test_id("result-crm").locator('[data-count="written"]').inner_text() == "5"
    assert {n: crm.numbers[i].forward_to for n, i in targets.items()} == {
        n: source[n] for n in SHARED
    }
    assert crm.count("PUT") == puts + 5

    page.get_by_role("button", name="Verify the target").click()
    verified = page.locator("[data-verify] p")
    verified.wait_for(state="visible")
    assert verified.inner_text() == (
        "Verified: the target holds what was written (5 numbers checked)."
    )
    console.accessible()
    console.shot("migration-verified")

    page.get_by_role("button", name="Roll back").click()
    console.wait_state("rolled_back")
    assert all(crm.numbers[i].forward_to is None for i in targets.values())
    assert not console.errors


def test_a_bulk_change_lists_its_invalid_values_and_its_failures(console: Console) -> None:
    # One number asked to forward to itself (invalid: listed in the preview with its
    # reason, never sent) and one write the vendor refuses (listed under Failures with
    # the vendor's error, and in the audit as attempted): the third is written.
    page, served = console.page, console.served
    crm = served.emulators["crm"]
    chosen = served.plain_crm()[5:8]
    itself, refused, written = chosen
    before = {r.id: crm.numbers[r.id].forward_to for r in chosen}

    console.sign_in("editor")
    console.go("/changes/new")
    page.get_by_label("Numbers by hand, one a line (any human form)").fill(
        "\n".join(r.number for r in chosen)
    )
    page.get_by_label("forwarding_number", exact=True).fill(itself.number)
    puts = crm.count("PUT")
    page.get_by_role("button", name="Preview the change").click()
    page.wait_for_url(re.compile(r".*/changes/[^/]+$"))
    summary = page.get_by_test_id("summary")
    assert summary.locator('[data-summary="to_write"]').inner_text() == "2"
    row = page.get_by_test_id("plan").locator(f'tr[data-number="{itself.number}"]')
    assert row.locator("td").nth(1).inner_text() == "no change"
    assert row.locator("td").nth(3).inner_text() == (
        f"forwarding_number: {before[itself.id] or '(empty)'} → {itself.number}"
        f" ({itself.number} cannot forward its calls to itself)"
    )
    assert crm.count("PUT") == puts
    console.accessible()

    crm.faults.add("status", status=400, count=None, method="PUT", path=refused.id)
    try:
        page.get_by_role("button", name="Confirm and apply to 2 numbers").click()
        console.wait_state("failed")
    finally:
        crm.faults.clear()
    result = page.get_by_test_id("result-crm")
    assert result.locator('[data-count="written"]').inner_text() == "1"
    assert result.locator('[data-count="failed"]').inner_text() == "1"
    failures = page.get_by_role("table", name="Failures").locator("tbody tr")
    assert failures.count() == 1
    assert failures.locator("td").first.inner_text() == refused.number
    error = failures.locator("td").nth(1).inner_text()
    # The library's error, with the vendor's status and the number's id in the vendor.
    assert error.startswith("ValidationError: "), error
    assert refused.id in error
    assert "[HTTP 400]" in error
    console.accessible()
    assert {r.id: crm.numbers[r.id].forward_to for r in chosen} == {
        **before,
        written.id: itself.number,
    }
    audit = served.api("GET", f"api/v1/audit?number={quote(refused.number)}").json()["items"]
    assert [(e["action"], e["outcome"], e["actor"]) for e in audit] == [
        ("change_set.apply", "failed", "ops-editor")
    ]
    assert not console.errors
