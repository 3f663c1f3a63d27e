"""The audit page in Chromium: each change with its actor and before -> after, filters
by number and actor, a filter the API refuses said beside the filters, and the CSV
export of exactly the entries filtered."""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest

from tests.console.conftest import Console

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_the_audit_shows_each_change_with_its_actor_and_exports_csv(
    console: Console,
) -> None:
    page, served = console.page, console.served
    crm = served.emulators["crm"]
    first, second = (r.number for r in served.plain_crm()[:2])
    ids = {r.number: r.id for r in crm.numbers.values()}
    before = {r.number: r.label for r in crm.numbers.values()}

    # One change through the console as the editor, one through the API as the admin.
    console.sign_in("editor")
    console.go(f"/numbers/{first}")
    page.get_by_label("label", exact=True).fill("Audited by the console")
    page.get_by_role("button", name="Save crm").click()
    page.wait_for_url("**?saved=crm")
    by_api = served.api(
        "PATCH", f"api/v1/accounts/crm/numbers/{ids[second]}", json={"label": "Audited by the API"}
    )
    assert by_api.status_code == 200
    assert crm.numbers[ids[first]].label == "Audited by the console"
    assert crm.numbers[ids[second]].label == "Audited by the API"

    console.go("/audit")
    page.get_by_label("Number", exact=True).fill(first)
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.audit tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[2:5] == ["ops-editor", "update", "crm"]
    assert cells[6] == "written"
    old = before[first] or "(empty)"
    assert rows.first.locator('li[data-field="label"]').inner_text() == (
        f"label: {old} → Audited by the console"
    )
    console.accessible()
    console.shot("audit")

    console.go("/audit?actor=ops-admin&account=crm")
    numbers = page.locator("table.audit tbody tr td:nth-child(6)").all_inner_texts()
    assert page.locator("table.audit tbody tr td:nth-child(3)").all_inner_texts() == (
        ["ops-admin"] * len(numbers)
    )
    assert page.locator(f'table.audit a[href$="{second}"]').count() >= 1

    # A filter the API refuses: its words beside the filters, no entry.
    console.go("/audit")
    page.get_by_label("Since", exact=True).fill("yesterday")
    page.get_by_role("button", name="Filter").click()
    assert page.get_by_role("alert").inner_text() == (
        "since must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z"
    )
    assert page.get_by_label("Since", exact=True).get_attribute("aria-invalid") == "true"

    # The CSV of what the filter shows, as the link gives it to a spreadsheet (read with
    # the page's own session: headless Chromium here cancels downloads).
    console.go(f"/audit?number={quote(first)}")
    assert page.locator("table.audit tbody tr").count() == 1
    link = page.get_by_role("link", name="Export these entries as CSV")
    assert link.get_attribute("download") == "audit.csv"
    disposition, text = page.evaluate(
        """async (href) => { const r = await fetch(href);
            return [r.headers.get('content-disposition'), await r.text()]; }""",
        link.get_attribute("href"),
    )
    assert disposition == 'attachment; filename="audit.csv"'
    table = list(csv.DictReader(io.StringIO(text)))
    assert [(r["actor"], r["action"], r["number"], r["outcome"]) for r in table] == [
        ("ops-editor", "update", first, "written")
    ]
    assert '"Audited by the console"' in table[0]["after"]
    assert not console.errors
