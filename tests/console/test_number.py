"""A number's page in Chromium: the edit form (only the provider's fields, an explicit
clear, the library's error inline before the vendor is asked, a conflict with the
current values), a viewer kept out by the page and by the server, and vendor markup
that stays text under a CSP without inline scripts."""

from __future__ import annotations

from typing import Any

import pytest

from phonerouting.errors import ValidationError
from phonerouting.model import ROUTING_FIELDS, RoutingUpdate
from tests.console.conftest import FRONT_DESK, XSS_LABEL, XSS_NUMBER, Console

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def _record(emu: Any, number: str) -> Any:
    (record,) = [r for r in emu.numbers.values() if r.number == number]
    return record


def _library_error(**values: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        RoutingUpdate(**values)
    return caught.value.message


def test_an_edit_shows_the_librarys_error_inline_then_writes_the_good_value(
    console: Console,
) -> None:
    page, served = console.page, console.served
    crm = served.emulators["crm"]
    (account,) = [
        a for a in served.api("GET", "api/v1/accounts").json()["items"] if a["name"] == "crm"
    ]
    console.sign_in("editor")
    console.go(f"/numbers/{FRONT_DESK}")
    form = page.locator("form[data-edit][data-account=crm]")
    # Only the fields Close can set, in the model's order; Clear only where it can clear.
    settable = [f for f in ROUTING_FIELDS if f in account["capabilities"]["settable"]]
    assert form.locator(".field").evaluate_all("fs => fs.map(f => f.dataset.field)") == settable
    clearable = form.locator(".clear-box").evaluate_all("bs => bs.map(b => b.value)")
    assert clearable == [f for f in settable if f in account["capabilities"]["clearable"]]

    record = _record(crm, FRONT_DESK)
    crm.clear_requests()
    page.get_by_label("ring_duration", exact=True).fill("5")
    page.get_by_role("button", name="Save crm").click()
    error = form.locator('[data-error-for="ring_duration"]')
    error.wait_for(state="visible")
    assert error.inner_text() == _library_error(ring_duration=5)
    assert page.get_by_label("ring_duration", exact=True).get_attribute("aria-invalid") == "true"
    assert crm.requests == []  # refused before the vendor was asked anything
    console.accessible()
    console.shot("number-error")

    page.get_by_label("ring_duration", exact=True).fill("25")
    page.get_by_label("label", exact=True).fill("Reception")
    page.get_by_label("Clear forwarding_number").check()
    assert page.get_by_label("forwarding_number", exact=True).is_disabled()
    page.get_by_role("button", name="Save crm").click()
    page.wait_for_url("**?saved=crm")
    assert page.get_by_role("status").first.inner_text() == (
        "Saved: the vendor now holds the values below."
    )
    table = page.get_by_test_id("routing-crm")
    shown = dict(
        zip(
            table.locator("tbody th").all_inner_texts(),
            table.locator("tbody td").all_inner_texts(),
            strict=True,
        )
    )
    assert shown["label"] == "Reception"
    assert shown["ring_duration"] == "25"
    assert "forwarding_number" not in shown
    # The vendor got one write of exactly that number, and holds the values now.
    writes = [r for r in crm.requests if r.method != "GET"]
    assert [(r.method, r.path.rsplit("/", 2)[-2]) for r in writes] == [("PUT", record.id)]
    record = _record(crm, FRONT_DESK)
    assert (record.label, record.inbound_ring_duration) == ("Reception", 25)
    assert record.forward_to is None
    # An unchanged box is not sent: the write named only the three fields touched.
    assert set(writes[0].json) >= {"label", "inbound_ring_duration"}
    console.accessible()
    console.shot("number")
    assert not console.errors


def test_an_edit_after_the_number_changed_shows_its_current_values(console: Console) -> None:
    page, served = console.page, console.served
    crm = served.emulators["crm"]
    number = served.plain_crm()[-1].number
    console.sign_in("editor")
    console.go(f"/numbers/{number}")
    record = _record(crm, number)
    # Meanwhile, someone else edits it through the API.
    meanwhile = served.api(
        "PATCH", f"api/v1/accounts/crm/numbers/{record.id}", json={"label": "Changed meanwhile"}
    )
    assert meanwhile.status_code == 200
    crm.clear_requests()
    page.get_by_label("label", exact=True).fill("Mine")
    page.get_by_role("button", name="Save crm").click()
    conflict = page.locator("[data-conflict]")
    conflict.wait_for(state="visible")
    assert conflict.locator("p.error").inner_text() == (
        "This number changed since you opened it; nothing was written. Its current values:"
    )
    assert conflict.locator('[data-current="label"]').inner_text() == "Changed meanwhile"
    # Read, compared, refused: nothing written.
    assert [r.method for r in crm.requests] == ["GET"]
    assert _record(crm, number).label == "Changed meanwhile"
    console.accessible()
    console.shot("number-conflict")

    # Saving again writes over the values now shown.
    page.get_by_role("button", name="Save crm").click()
    page.wait_for_url("**?saved=crm")
    assert _record(crm, number).label == "Mine"
    assert [r.method for r in crm.requests if r.method != "GET"] == ["PUT"]
    assert not console.errors


def test_a_viewer_sees_no_edit_control_and_the_server_refuses_its_write(
    console: Console,
) -> None:
    page, served = console.page, console.served
    crm = served.emulators["crm"]
    console.sign_in("viewer")
    assert page.get_by_role("link", name="Bulk change").count() == 0
    assert page.get_by_role("button", name="Change the selected numbers…").count() == 0
    assert page.locator("input[type=checkbox]").count() == 0
    console.go(f"/numbers/{FRONT_DESK}")
    assert page.get_by_test_id("routing-crm").count() == 1
    assert page.locator("form[data-edit]").count() == 0
    assert page.get_by_role("button").all_inner_texts() == ["Sign out"]
    record = _record(crm, FRONT_DESK)
    crm.clear_requests()
    # The page's own session, CSRF token and all: the server still says no.
    answer = page.evaluate(
        """async (path) => {
            const csrf = document.querySelector('meta[name="csrf-token"]').content;
            const r = await fetch(path, {method: 'PATCH', body: '{"label": "Viewer was here"}',
                headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf}});
            return [r.status, (await r.json()).detail];
        }""",
        f"/api/v1/accounts/crm/numbers/{record.id}",
    )
    assert answer == [403, "this needs the editor role; the token is viewer"]
    assert crm.requests == []
    assert _record(crm, FRONT_DESK).label != "Viewer was here"


def test_a_vendor_label_with_markup_is_inert_text_and_no_inline_script_runs(
    console: Console,
) -> None:
    page = console.page
    console.sign_in("editor")
    response = console.go(f"/numbers/{XSS_NUMBER}")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp
    assert "unsafe-inline" not in csp
    table = page.get_by_test_id("routing-crm")
    assert table.locator('tr[data-field="label"] td').inner_text() == XSS_LABEL
    assert page.get_by_label("label", exact=True).input_value() == XSS_LABEL
    assert page.locator("main img").count() == 0
    # In the inventory too, found by its label.
    console.go("/numbers?q=onerror")
    assert page.locator("table.numbers tbody tr td").nth(3).inner_text() == XSS_LABEL
    assert page.locator("main img").count() == 0
    # An inline script, even one put in the page by a script, does not run.
    ran = page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.inlineRan = true'; document.body.append(s);
                   return window.inlineRan === true; }"""
    )
    assert ran is False
    assert console.dialogs == []
    assert any("Content Security Policy" in e for e in console.errors)
