"""The plan's timeline in headless Chromium (the harness of test_browser.py): drawn at the page's width at
1366 px; at 390 px (a phone) it scrolls inside its own box and never makes the page scroll sideways; nothing
of it is refused by the CSP; a Dutch reader reads it in Dutch. Screenshots under test-output/screenshots/
(timeline-*.png: the section; timeline-plan-*.png: the whole page)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.e2e.test_browser import CHROMIUM, DAY, FLAGS, PASSWORD, SHOTS, _login, server  # noqa: F401

pytestmark = pytest.mark.slow


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _timeline_geometry(page) -> dict:
    return page.evaluate("""() => {
        const fig = document.querySelector('#timeline figure.timeline');
        const box = fig.querySelector('.timeline-scroll');
        const svg = box.querySelector('svg');
        return {right: fig.getBoundingClientRect().right, inner: window.innerWidth,
                boxScroll: box.scrollWidth, boxClient: box.clientWidth,
                svgWidth: svg.getBoundingClientRect().width, svgHeight: svg.getBoundingClientRect().height};
    }""")


def _without_timeline_width(page) -> int:
    """The page's width with the timeline's section taken out (CSSOM, which the CSP does not govern)."""
    page.evaluate("document.querySelector('#timeline').hidden = true")
    width = _page_width(page)
    page.evaluate("document.querySelector('#timeline').hidden = false")
    return width


def test_the_timeline_fits_a_wide_screen_and_a_phone(server, tmp_path):  # noqa: F811
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAJ_")}
    env["RAJ_DATABASE_URL"] = f"sqlite:///{tmp_path / 'raj.db'}"  # the fixture's database
    subprocess.run([sys.executable, "-m", "raj_release.cli", "user", "set-password", "as.peeters", "--password-stdin"],
                   env=env, cwd=tmp_path, check=True, capture_output=True, text=True, input=PASSWORD + "\n",
                   timeout=120)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            refused = []
            page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
            _login(page, server, "as.dupont")
            page.goto(f"{server}/persons/DEMO-04?as_of={DAY}")  # a hearing, a congé, an eID pinned into it
            section = page.locator("#timeline")
            assert section.locator("svg g.leave").count() == 1
            assert section.locator("svg text.month").count() >= 3
            assert "aujourd'hui" in section.locator("svg g.mark").first.text_content()
            bars = section.locator("svg g.bar")
            assert bars.count() >= 5 and section.locator("svg g.bar > title").count() == bars.count()
            wide = _timeline_geometry(page)
            assert wide["boxScroll"] <= wide["boxClient"] + 1  # no scroll of its own on a wide screen
            assert wide["svgWidth"] >= 1000 and wide["svgHeight"] > 200  # drawn at the page's width, ratio kept
            section.screenshot(path=str(SHOTS / "timeline-1366.png"))
            page.screenshot(path=str(SHOTS / "timeline-plan-1366.png"), full_page=True)

            page.set_viewport_size({"width": 390, "height": 844})
            page.wait_for_timeout(100)
            phone = _timeline_geometry(page)
            assert phone["right"] <= phone["inner"]  # the figure stays within the screen ...
            assert phone["boxScroll"] > phone["boxClient"]  # ... and the picture scrolls inside its box
            assert _page_width(page) == _without_timeline_width(page)  # the chart widens nothing
            page.click("#timeline details.timeline-list summary")
            items = section.locator("details.timeline-list li li")
            assert items.count() == bars.count()
            assert _page_width(page) == _without_timeline_width(page)  # nor does the list, opened
            section.screenshot(path=str(SHOTS / "timeline-390.png"))
            page.screenshot(path=str(SHOTS / "timeline-plan-390.png"), full_page=True)
            assert not refused, refused

            nl = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            _login(nl, server, "as.peeters")
            nl.goto(f"{server}/persons/DEMO-03?as_of={DAY}")
            words = nl.text_content("#timeline")
            assert "vandaag" in words and "Lijst van de stappen" in words and "Te laat" in words
            assert "aujourd'hui" not in words and "Légende" not in words
            nl.locator("#timeline").screenshot(path=str(SHOTS / "timeline-nl-1366.png"))
        finally:
            browser.close()
    assert all((SHOTS / f).stat().st_size > 1000 for f in ("timeline-1366.png", "timeline-390.png",
                                                             "timeline-plan-1366.png", "timeline-plan-390.png"))
