"""Signing in and out, and the inventory: search by a human-formatted number, filters,
paging, stale accounts and health, all in Chromium against `phonerouting serve`."""

from __future__ import annotations

import re

import pytest

from tests.console.conftest import FRONT_DESK, Console

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def test_sign_in_holds_a_cookie_not_the_token_and_sign_out_ends_the_session(
    console: Console,
) -> None:
    page, served = console.page, console.served
    console.go("/")
    page.wait_for_url("**/signin")
    console.accessible()
    console.shot("signin")
    # A wrong token: refused, said so, no cookie.
    page.get_by_label("Token").fill("prt_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == (
        "That token is not one this service knows. Check it and try again."
    )
    assert page.context.cookies() == []

    console.sign_in("viewer")
    assert page.get_by_test_id("who").inner_text() == "ops-viewer"
    (cookie,) = page.context.cookies()
    assert cookie["name"] == "phonerouting_session"
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Strict", False)
    assert cookie["expires"] > 0  # it expires (8 hours), it is no browser-lifetime cookie
    token = served.tokens["viewer"]
    assert token not in page.content()
    assert page.evaluate("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)") == (
        "{}{}"
    )
    assert page.evaluate("() => document.cookie") == ""  # HttpOnly: no script sees it
    # The console's own API calls go with the cookie alone.
    answer = page.evaluate("async () => (await fetch('api/v1/accounts')).status", None)
    assert answer == 200

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/signin")
    assert page.context.cookies() == []
    # The old cookie is dead on the server too, not only forgotten by the browser.
    page.context.add_cookies([cookie])
    assert page.evaluate("async () => (await fetch('api/v1/accounts')).status") == 401
    console.go("/numbers")
    page.wait_for_url("**/signin?next=%2Fnumbers")
    assert not console.errors


def test_inventory_searches_by_a_human_number_filters_pages_and_marks_stale(
    console: Console,
) -> None:
    page, served = console.page, console.served
    crm = served.emulators["crm"]
    console.sign_in("viewer")
    console.accessible()
    console.shot("inventory")
    health = page.locator("table.health")
    assert (
        health.locator("tr[data-account=flaky] td")
        .nth(3)
        .inner_text()
        .startswith("Stale last read failed")
    )
    assert health.locator("tr[data-account=crm] td").nth(3).inner_text() == "OK"

    listed_before = crm.count("GET")
    page.get_by_label("Number or label").fill("+1 (202) 555-0142")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*q=%2B1\+%28202%29\+555-0142.*"))
    rows = page.locator("table.numbers tbody tr")
    assert rows.count() == 1
    row = rows.first
    assert row.get_attribute("data-number") == FRONT_DESK
    assert row.locator("th").inner_text() == "+1 202-555-0142"
    # The label the vendor holds now: test_number renames this number, and under
    # pytest-xdist it may have run first in this worker's session.
    held = next(r for r in crm.numbers.values() if r.number == FRONT_DESK).label
    assert held in ("Front desk", "Reception")
    assert row.locator("td").nth(2).inner_text() == held
    # Served from the inventory: the vendor was not asked.
    assert crm.count("GET") == listed_before

    # Filters: an account, and a field empty.
    console.go("/numbers")
    page.get_by_label("Account", exact=True).select_option("flaky")
    page.get_by_label("Field empty", exact=True).select_option("label")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.numbers tbody tr")
    flaky = [n for n in served.emulators["flaky"].numbers.values() if not n.label]
    assert rows.count() == len(flaky) > 0
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.number)")) == sorted(
        n.number for n in flaky
    )
    # Each row of a stale account says when it was last read.
    assert all(
        re.fullmatch(r"Stale last read \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", text)
        for text in rows.locator("td:last-child").all_inner_texts()
    )

    # Paging: 50 a page, in number order, neither repeating nor skipping one.
    console.go("/numbers?account=crm")
    seen: list[str] = []
    while True:
        seen += page.locator("table.numbers tbody tr").evaluate_all(
            "rs => rs.map(r => r.dataset.number)"
        )
        following = page.get_by_role("link", name="Next page")
        if following.count() == 0:
            break
        following.click()
        page.wait_for_load_state()
    assert seen == sorted(n.number for n in crm.numbers.values())
    assert page.get_by_role("link", name="First page").count() == 1

    # A provider filter: exactly the numbers of the one Linq v3 account, and no other.
    console.go("/numbers")
    page.get_by_label("Provider", exact=True).select_option("linq-v3")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r".*provider=linq-v3.*"))
    rows = page.locator("table.numbers tbody tr")
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.number)")) == sorted(
        n.phone_number for n in served.emulators["lines"].numbers.values()
    )
    assert set(rows.locator("td:nth-of-type(2)").all_inner_texts()) == {"linq-v3"}

    # A number no account holds: the error page says so, and it is accessible too.
    shown = console.go("/numbers/+12025550999")
    assert shown.status == 404
    assert "+12025550999" in page.get_by_role("alert").inner_text()
    console.accessible()
    assert not console.errors


def test_the_console_is_used_by_keyboard_alone(console: Console) -> None:
    page, served = console.page, console.served

    def tab_to(selector: str, presses: int = 40) -> None:
        target = page.locator(selector)
        for _ in range(presses):
            if target.evaluate("e => e === document.activeElement"):
                return
            page.keyboard.press("Tab")
        raise AssertionError(f"{selector} is not reachable by Tab")

    console.go("/signin")
    tab_to("#token")
    page.keyboard.type(served.tokens["viewer"])
    page.keyboard.press("Enter")
    page.wait_for_url("**/numbers")
    tab_to("#q")
    page.keyboard.type("(202) 555-0142")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=*")
    link = f'table.numbers a[href$="/numbers/{FRONT_DESK}"]'
    tab_to(link)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/numbers/{FRONT_DESK}")
    assert page.get_by_test_id("routing-crm").count() == 1
    tab_to("header .signout button")
    page.keyboard.press("Enter")
    page.wait_for_url("**/signin")
    assert not console.errors
