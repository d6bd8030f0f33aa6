"""The plan page in headless Chromium (issue 11), on the demo: mark a démarche done and undo it from the
notice, close one as not applicable and reopen it with a reason, pin a date and remove the pin, correct a
note; the notes form a few Tab presses from the top; no horizontal scroll at 390 px.

The harness (the served demo, the browser) is tests/e2e/test_browser.py's.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import CHROMIUM, DAY, FLAGS, SHOTS, _login, server  # noqa: F401 (the fixture)

pytestmark = pytest.mark.slow
REF = "DEMO-01"  # as.dupont's
BIG = "DEMO-09"  # the demo's biggest plan (six needs)
MAX_TABS = 15


def _browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    return sync_playwright()


def _open_row(page, key: str):
    row = page.locator(f"#d-{key}")
    row.locator("details.change > summary").click()
    return row


def _click(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def _first_open(page) -> str:
    return page.locator("tr:has(form.status-quick)").first.get_attribute("data-key")


def test_act_on_the_plan_in_the_browser(server):  # noqa: F811 (the imported fixture)
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            _login(page, server, "as.dupont")
            page.goto(f"{server}/persons/{REF}?as_of={DAY}")
            # done, then undone from the notice
            key = _first_open(page)
            row = _open_row(page, key)
            _click(page, row.locator("form.status-quick button[value=completed]"))
            assert "marked=" in page.url
            notice = page.locator("#undo")
            assert notice.is_visible() and "faite" in notice.inner_text()
            page.screenshot(path=str(SHOTS / "plan-undo-1366.png"))
            _click(page, notice.locator("button[type=submit]"))
            status = page.locator(f"#d-{key} td[data-label=Statut]").inner_text()
            assert "en cours" in status and "annulation de fait" in status
            # not applicable with a reason, then reopened with a reason
            row = _open_row(page, key)
            row.locator("form.status-close input[name=reason]").fill("déjà fait ailleurs (fictif)")
            _click(page, row.locator("form.status-close button[value=cancelled]"))
            assert "déjà fait ailleurs" in page.locator(f"#d-{key}").inner_text()
            row = _open_row(page, key)
            row.locator("form.status-reopen input[name=reason]").fill("finalement nécessaire (fictif)")
            _click(page, row.locator("form.status-reopen button[type=submit]").first)
            assert "finalement nécessaire" in page.locator(f"#d-{key}").inner_text()
            # a pin, then the pin removed
            row = _open_row(page, key)
            row.locator("form.pin input[name=date]").fill("2027-02-01")
            _click(page, row.locator("form.pin button[type=submit]"))
            assert "01/02/2027" in page.locator(f"#d-{key}").inner_text()
            row = _open_row(page, key)
            _click(page, row.locator("form.unpin button[type=submit]"))
            assert "01/02/2027" not in page.locator(f"#d-{key} td").first.inner_text()
            assert page.locator(f"#d-{key} form.unpin").count() == 0
            # a note, corrected by its author
            page.fill("#note-form textarea[name=text]", "Appel à la sœur prévu (fictif)")
            _click(page, page.locator("#note-form button[type=submit]"))
            note = page.locator("ul.notes > li").first
            note.locator("details.change > summary").click()
            note.locator("textarea[name=text]").fill("Appel au frère prévu (fictif)")
            _click(page, note.locator("details.change button[type=submit]"))
            note = page.locator("ul.notes > li").first
            assert "Appel au frère prévu" in note.inner_text() and "corrigée" in note.inner_text()
            page.screenshot(path=str(SHOTS / "plan-notes-1366.png"))
        finally:
            browser.close()


def test_the_notes_form_is_a_few_tab_presses_away_and_the_plan_fits_a_phone(server):  # noqa: F811
    with _browser() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for width in (1366, 390):
                page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
                _login(page, server, "as.dupont")
                page.goto(f"{server}/persons/{BIG}?as_of={DAY}")
                presses = 0
                while presses < 200:
                    page.keyboard.press("Tab")
                    presses += 1
                    if page.evaluate("document.activeElement.closest('#note-form') !== null"
                                     " && document.activeElement.name === 'text'"):
                        break
                assert presses <= MAX_TABS, f"{width} px: {presses} Tab presses to the notes form"
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                page.screenshot(path=str(SHOTS / f"plan-{width}.png"), full_page=True)
                assert overflow <= 0, f"{width} px: the plan is {overflow} px too wide"
        finally:
            browser.close()
