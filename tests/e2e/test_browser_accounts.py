"""In headless Chromium (the harness of test_browser.py): an administrator signs in and lands on the accounts,
creates an account, reads its one-time link once; the new colleague opens the link, chooses a password and
signs in to their week. Screenshots under test-output/screenshots/ (1366 and 390 px)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.e2e.test_browser import CHROMIUM, FLAGS, PASSWORD, SHOTS, server  # noqa: F401  (the server fixture)

pytestmark = pytest.mark.slow
NEW_PASSWORD = "une phrase à moi, assez longue"


@pytest.fixture
def admin(server, tmp_path):  # noqa: F811  (the fixture imported above)
    """An administrator account on the served demo database: (base URL, username)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAJ_")}
    env["RAJ_DATABASE_URL"] = f"sqlite:///{tmp_path / 'raj.db'}"

    def raj(*args, stdin=None):
        return subprocess.run([sys.executable, "-m", "raj_release.cli", *args], env=env, cwd=tmp_path, check=True,
                              capture_output=True, text=True, input=stdin, timeout=120)

    raj("worker", "add", "admin.test", "--name", "Admin Fictif", "--role", "admin")
    raj("user", "set-password", "admin.test", "--password-stdin", stdin=PASSWORD + "\n")
    return server, "admin.test"


def _sign_in(page, base, who, password):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_an_admin_creates_an_account_and_that_account_signs_in(admin):
    from playwright.sync_api import sync_playwright

    base, who = admin
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            _sign_in(page, base, who, PASSWORD)
            page.wait_for_url(f"{base}/accounts")  # an administrator's landing page
            assert page.locator('#accounts tr[data-id="as.dupont"]').count() == 1
            assert page.locator('header nav a[href="/week"]').count() == 0
            page.screenshot(path=str(SHOTS / "accounts.png"), full_page=True)

            page.click("a[href='/accounts/new']")
            page.fill("input[name=name]", "Jeanne Fictive")
            page.fill("input[name=worker]", "as.fictive")
            page.select_option("select[name=role]", "as")
            page.select_option("select[name=language]", "fr")
            page.fill("textarea[name=notify]", "mailto://raj:${SMTP_PASSWORD}@smtp.example.org?to=j.fictive@example.org")
            page.screenshot(path=str(SHOTS / "accounts-new.png"), full_page=True)
            page.click("#account-new button[type=submit]")
            page.wait_for_load_state()
            assert "Compte as.fictive créé" in page.text_content("main")
            link = page.input_value("#link")
            assert link.startswith(f"{base}/welcome/")
            page.screenshot(path=str(SHOTS / "accounts-link.png"), full_page=True)
            page.goto(f"{base}/accounts")
            row = page.locator('#accounts tr[data-id="as.fictive"]')
            assert "attend son mot de passe" in row.text_content()
            assert "mailto j.fictive@example.org" in row.text_content()

            # the new colleague, on their own phone
            phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
            phone.goto(link)
            assert "Bienvenue, Jeanne Fictive" in phone.text_content("main")
            phone.screenshot(path=str(SHOTS / "accounts-welcome-390.png"), full_page=True)
            phone.fill("input[name=password]", NEW_PASSWORD)
            phone.fill("input[name=again]", NEW_PASSWORD)
            phone.click("button[type=submit]")
            phone.wait_for_url(f"{base}/login?welcome=1")
            assert "Votre mot de passe est enregistré" in phone.text_content("main")
            _sign_in(phone, base, "as.fictive", NEW_PASSWORD)
            phone.wait_for_url(f"{base}/week")
            assert "Jeanne Fictive" in phone.text_content("header")
            phone.goto(link)  # the link worked once
            assert "Ce lien ne fonctionne pas (ou plus)" in phone.text_content("main")

            page.goto(f"{base}/accounts")
            row = page.locator('#accounts tr[data-id="as.fictive"]')
            assert "attend son mot de passe" not in row.text_content()
            assert "1 session ouverte" in row.text_content()
            page.set_viewport_size({"width": 390, "height": 844})
            page.screenshot(path=str(SHOTS / "accounts-390.png"), full_page=True)
        finally:
            browser.close()
    assert all((SHOTS / f).stat().st_size > 1000 for f in ("accounts.png", "accounts-new.png", "accounts-link.png",
                                                           "accounts-welcome-390.png", "accounts-390.png"))
