"""Every page of the demo as each role sees it, in French and Dutch, at 1366 and 390 px (a phone), in headless
Chromium: a full-page screenshot of each under test-output/screenshots/screens/, and no page that scrolls
sideways at 390 px. The person's version of every demo plan prints (Chromium's page.pdf, A4) on at most two
pages; a keyboard reaches the skip link first.

The harness (browser, flags, login, the demo server) is tests/e2e/test_browser.py's; the demo here has more
accounts (a Dutch coordinator, administrators), started once for the module.
"""

from __future__ import annotations

import pytest

from tests.e2e.test_browser import CHROMIUM, DAY, FLAGS, SHOTS, _login, serve_demo

pytestmark = pytest.mark.slow
OUT = SHOTS / "screens"

# (account, role, language, the person whose plan it opens); the demo's accounts and three made here
ACCOUNTS = [("as.dupont", "as", "fr", "DEMO-01"), ("as.peeters", "as", "nl", "DEMO-03"),
            ("psy.lambert", "psy", "fr", "DEMO-09"), ("psy.janssens", "psy", "nl", "DEMO-06"),
            ("coord.martin", "coordinator", "fr", "DEMO-02"), ("coord.nl", "coordinator", "nl", "DEMO-12"),
            ("admin.fr", "admin", "fr", None), ("admin.nl", "admin", "nl", None)]
MADE_HERE = {"coord.nl": "Nele Coördinator (fictief)", "admin.fr": "Admin Fictif", "admin.nl": "Beheerder Fictief"}



def _pages(role: str, ref: str | None) -> list[tuple[str, str]]:
    """(name, path) of the pages of the menu for `role`, and of one plan."""
    pages = [("accounts", "/accounts")] if role == "admin" else [("week", f"/week?as_of={DAY}")]
    if role == "coordinator":
        pages.append(("accounts", "/accounts"))
    if role != "admin":
        pages.append(("persons", "/persons"))
    if role == "coordinator":
        pages.append(("dashboard", f"/dashboard?as_of={DAY}"))
    pages.append(("partners", "/partners"))
    if role != "admin":
        pages += [("new", "/persons/new"), ("plan", f"/persons/{ref}?as_of={DAY}"),
                  ("for-person", f"/persons/{ref}/for-person?as_of={DAY}"), ("close", f"/persons/{ref}/close")]
    return pages


CASES = [pytest.param(who, name, path, id=f"{who}-{name}")
         for who, role, _lang, ref in ACCOUNTS for name, path in _pages(role, ref)]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    made = [(who, MADE_HERE[who], role, lang) for who, role, lang, _ref in ACCOUNTS if who in MADE_HERE]
    yield from serve_demo(tmp_path_factory.mktemp("screens"), [who for who, *_ in ACCOUNTS], made,
                          secret="screens test secret")


@pytest.fixture(scope="module")
def browser(demo):
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def signed_in(browser, demo):
    """One signed-in page per account, made when first asked for."""
    pages: dict = {}

    def page_of(who: str):
        if who not in pages:
            pages[who] = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            _login(pages[who], demo, who)
        return pages[who]

    return page_of


# what sticks out past the viewport's right edge, to say where a page overflows
WIDEST = """() => {
  const w = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > w + 0.5 && r.width > 0) out.push([Math.round(r.right - w),
        el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).join('.') : '')]);
  }
  out.sort((a, b) => b[0] - a[0]);
  return {html: document.documentElement.scrollWidth, body: document.body.scrollWidth, viewport: w,
          widest: out.slice(0, 4)};
}"""


@pytest.mark.parametrize("who, name, path", CASES)
def test_every_page_at_1366_and_390_px_without_scrolling_sideways_on_a_phone(signed_in, demo, who, name, path):
    page = signed_in(who)
    page.set_viewport_size({"width": 1366, "height": 900})
    response = page.goto(f"{demo}{path}")
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    page.screenshot(path=str(OUT / f"{who}-{name}-1366.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(OUT / f"{who}-{name}-390.png"), full_page=True)
    size = page.evaluate(WIDEST)
    assert max(size["html"], size["body"]) <= size["viewport"], (
        f"{path} at 390 px: {max(size['html'], size['body'])} px wide for {size['viewport']}; sticking out "
        f"(px, element): {size['widest']}")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_login_page(browser, demo, width):
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    page.goto(f"{demo}/login")
    page.screenshot(path=str(OUT / f"login-{width}.png"), full_page=True)
    size = page.evaluate(WIDEST)
    assert max(size["html"], size["body"]) <= size["viewport"], size
    page.context.close()


def _pdf_pages(pdf: bytes) -> int:
    """Page objects of a PDF Chromium wrote (its Skia writer spells them `/Type /Page`)."""
    return pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")


def test_the_persons_version_of_every_demo_plan_prints_on_one_or_two_a4_pages(signed_in, demo):
    page = signed_in("coord.martin")  # the coordinator sees every file of the demo
    page.set_viewport_size({"width": 1366, "height": 900})
    counts = {}
    for n in range(1, 13):
        ref = f"DEMO-{n:02d}"
        page.goto(f"{demo}/persons/{ref}/for-person?as_of={DAY}")
        pdf = page.pdf(format="A4")  # Chromium prints with the print stylesheet (media print)
        assert pdf.startswith(b"%PDF-")
        counts[ref] = _pdf_pages(pdf)
        if n in (1, 9):
            (OUT / f"for-person-{ref}.pdf").write_bytes(pdf)
    assert all(1 <= c <= 2 for c in counts.values()), counts
    # printing hides the menu and the worker's buttons: only the sheet is on paper
    page.emulate_media(media="print")
    assert not page.locator("header").is_visible() and not page.locator("#handout-tools").is_visible()
    assert page.locator("#handout").is_visible()
    page.screenshot(path=str(OUT / "for-person-print.png"), full_page=True)
    page.emulate_media(media="screen")


def test_the_first_tab_reaches_the_skip_link_which_shows_and_leads_to_the_content(browser, demo):
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    _login(page, demo, "as.peeters")
    page.goto(f"{demo}/partners")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className, document.activeElement.textContent]")
    assert focused == ["skip", "Naar de inhoud"]
    box = page.locator("a.skip").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # on screen while focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.context.close()
