"""My week and the dashboard in headless Chromium on the demo (issue 11, points 3 and 8): no horizontal scroll
at 390 px, buttons a finger can hit (≥ 40 px), /week under 25 KB of HTML, the « Autre… » form of a row with the
page's partner list, and Enter in a row's field that submits nothing. Screenshots at 1366 and 390 px under
test-output/screenshots/. The harness (the demo served by `raj web`, Chromium) is tests/e2e/test_browser.py's.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import CHROMIUM, DAY, FLAGS, SHOTS, _login, server  # noqa: F401  (server: a fixture)

pytestmark = pytest.mark.slow
MAX_WEEK_BYTES = 25_000
PAGES = {"as.dupont": ["/week"], "coord.martin": ["/week", "/dashboard", "/dashboard?worker=psy.lambert"]}


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 5).map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert width <= page.viewport_size["width"], (page.url, width, wide)


def _small_targets(page) -> list[str]:
    """Visible buttons and disclosure summaries of the page's main part smaller than 40 × 40 px."""
    return page.evaluate("""() => [...document.querySelectorAll('main button, main summary')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.textContent.trim(), e.getBoundingClientRect()])
        .filter(([t, r]) => r.height < 40 || r.width < 40)
        .map(([t, r]) => t + ' ' + Math.round(r.width) + 'x' + Math.round(r.height))""")


def test_week_and_dashboard_fit_a_phone_with_big_buttons_and_a_small_week(server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for who, urls in PAGES.items():
                page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
                _login(page, server, who)
                for url in urls:
                    response = page.goto(f"{server}{url}{'&' if '?' in url else '?'}as_of={DAY}")
                    if url == "/week":
                        size = len(response.body())
                        print(f"\n/week of {who}: {size} bytes of HTML")
                        assert size < MAX_WEEK_BYTES, (who, size)
                    name = (who + url).replace("/", "-").replace("?", "-").replace("=", "-")
                    page.screenshot(path=str(SHOTS / f"{name}-1366.png"), full_page=True)
                    page.set_viewport_size({"width": 390, "height": 844})
                    _no_sideways_scroll(page)
                    if url == "/week":
                        assert _small_targets(page) == []
                        page.locator("#overdue summary").first.click()  # a row's « Autre… » opened
                        _no_sideways_scroll(page)
                        assert _small_targets(page) == []
                    page.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
                    page.set_viewport_size({"width": 1366, "height": 900})
        finally:
            browser.close()


def test_a_row_waits_on_a_partner_chosen_from_the_pages_list_and_enter_submits_nothing(server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            _login(page, server, "as.dupont")
            page.goto(f"{server}/week?as_of={DAY}")
            done = page.locator('#overdue button[name=done][value^="DEMO-04 eid_check "]')
            assert done.count() == 1
            row = page.locator("#overdue tr", has=page.locator('button[name=done][value^="DEMO-04 eid_check "]'))
            row.locator("summary").click()
            partner = row.locator("input[list]")
            options = page.locator(f'datalist#{partner.get_attribute("list")} option')
            assert options.count() >= 1
            # Enter in the reason field: the form's default button is disabled, nothing is sent
            row.locator("input[name^=reason-]").fill("relance faite")
            row.locator("input[name^=reason-]").press("Enter")
            page.wait_for_timeout(500)
            assert page.locator('#overdue button[name=done][value^="DEMO-04 eid_check "]').count() == 1
            assert "/week/demarches" not in page.url
            row.locator("select[name^=status-]").select_option("on-hold")
            partner.fill(options.first.get_attribute("value"))
            with page.expect_navigation():
                row.locator("button[name=other]").click()
            assert page.locator(".error").count() == 0
            # still overdue (on hold does not stop the clock), now waiting on the partner, by its name
            moved = page.locator("#overdue tr", has=page.locator('button[value^="DEMO-04 eid_check "]'))
            assert moved.count() == 1
            assert "(démo)" in moved.text_content() or "(demo)" in moved.text_content()
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "week-on-hold-390.png"), full_page=True)
        finally:
            browser.close()
