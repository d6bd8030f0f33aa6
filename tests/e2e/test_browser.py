"""End to end in headless Chromium (Debian's `chromium`, driven by Playwright): a worker logs in, sees an
overdue démarche, marks it done and sees it leave the overdue list; a coordinator sees the count drop.
A screenshot of each page is saved under test-output/screenshots/.

Without a browser the test is skipped, unless RAJ_REQUIRE_BROWSER=1 (set by .ci/run): then it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from raj_release.settings import PROJECT_ROOT

pytestmark = pytest.mark.slow
CHROMIUM = os.environ.get("RAJ_CHROMIUM", "/usr/bin/chromium")
SHOTS = PROJECT_ROOT / "test-output" / "screenshots"
DAY = "2026-11-23"
PASSWORD = "une phrase assez longue"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _need_browser():
    missing = not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing = True
    if missing:
        if os.environ.get("RAJ_REQUIRE_BROWSER") == "1":
            pytest.fail(f"RAJ_REQUIRE_BROWSER=1 but no browser: {CHROMIUM} or playwright is missing")
        pytest.skip("no chromium/playwright on this machine")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_demo(tmp: Path, passwords: list[str], added: list[tuple[str, str, str, str]] = (), secret: str = "browser test secret"):
    """`raj web` on a fresh demo database in `tmp` (as of DAY), on a free port of 127.0.0.1: yields its base
    address, then stops it. `added` (id, name, role, language) are accounts made first; `passwords` get
    PASSWORD. The fixtures of the browser tests are this generator."""
    _need_browser()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAJ_")}
    env["RAJ_DATABASE_URL"] = f"sqlite:///{tmp / 'raj.db'}"
    env["RAJ_SECRET_KEY"] = secret

    def raj(*args, stdin=None):
        return subprocess.run([sys.executable, "-m", "raj_release.cli", *args], env=env, cwd=tmp, check=True,
                              capture_output=True, text=True, input=stdin, timeout=120)

    raj("init")
    raj("demo", "--today", DAY)
    for who, name, role, lang in added:
        raj("worker", "add", who, "--name", name, "--role", role, "--lang", lang)
    for who in passwords:
        raj("user", "set-password", who, "--password-stdin", stdin=PASSWORD + "\n")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "raj_release.cli", "web", "--port", str(port), "--today", DAY],
                            env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    else:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("raj web did not answer")
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def server(tmp_path):
    yield from serve_demo(tmp_path, ["as.dupont", "coord.martin"])


def _login(page, base, who):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", who)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(base) + r"/(week|accounts)$"))  # an administrator lands on the accounts


def _overdue_count(page) -> int:
    title = page.text_content("#overdue-list h2")
    return int(re.search(r"\((\d+)\)", title).group(1))


def test_worker_marks_an_overdue_demarche_done_and_the_coordinator_sees_it(server):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            coord = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
            _login(coord, server, "coord.martin")
            coord.goto(f"{server}/dashboard?as_of={DAY}")
            before = _overdue_count(coord)
            coord.screenshot(path=str(SHOTS / "dashboard-before.png"), full_page=True)

            worker = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
            worker.goto(f"{server}/login")
            worker.screenshot(path=str(SHOTS / "login.png"))
            _login(worker, server, "as.dupont")
            worker.goto(f"{server}/week?as_of={DAY}")
            done = worker.locator('#overdue button[name=done][value^="DEMO-02 tripartite_pre "]')
            assert done.count() == 1
            worker.screenshot(path=str(SHOTS / "week-before.png"), full_page=True)
            done.click()
            worker.wait_for_load_state()
            assert worker.locator('#overdue button[name=done][value^="DEMO-02 tripartite_pre "]').count() == 0
            worker.screenshot(path=str(SHOTS / "week-after.png"), full_page=True)
            worker.goto(f"{server}/persons/DEMO-02?as_of={DAY}")
            assert "faite" in worker.text_content('#demarches tr[data-key="tripartite_pre"]')
            worker.screenshot(path=str(SHOTS / "plan.png"), full_page=True)
            worker.goto(f"{server}/partners")
            worker.screenshot(path=str(SHOTS / "partners.png"), full_page=True)

            coord.goto(f"{server}/dashboard?as_of={DAY}")
            assert _overdue_count(coord) == before - 1
            coord.screenshot(path=str(SHOTS / "dashboard-after.png"), full_page=True)
        finally:
            browser.close()
    assert all((SHOTS / f).stat().st_size > 1000 for f in ("login.png", "week-before.png", "week-after.png",
                                                             "plan.png", "dashboard-after.png"))


def test_the_served_workspace_names_no_server_and_docs_run_offline(server):
    """`raj web` as deployed (uvicorn on the app factory): no Server banner, the security headers, and
    /api/docs rendered by Chromium from the app's own files, with nothing refused by the CSP."""
    from playwright.sync_api import sync_playwright

    with urllib.request.urlopen(f"{server}/login", timeout=5) as r:
        assert r.headers.get("server") is None
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            problems, hosts = [], set()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("request", lambda req: hosts.add(req.url.split("/")[2]))
            page.goto(f"{server}/api/docs")
            page.wait_for_selector(".opblock", timeout=30_000)  # Swagger UI drew the operations
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "api-docs.png"))
            assert hosts == {server.split("/")[2]}, hosts
            assert not [x for x in problems if "Content Security Policy" in x], problems
        finally:
            browser.close()


def _shots(page, name: str) -> None:
    """The page at 1366 and 390 px wide (a phone), full length."""
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def _submit(page, form: str, button: str = "button[type=submit]") -> None:
    with page.expect_navigation():
        page.locator(form).locator(button).first.click()


def test_a_file_from_registration_to_closure_in_the_browser(server):
    """Issue 10 as a worker would live it: register a person with a hearing, find them in the file active,
    change their needs and transfer them, record a meeting not held (strike), mark a démarche done, record a
    congé, then the release, then close the file; a coordinator sees the caseloads."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    ref = "BR-2026-001"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            _login(page, server, "as.dupont")
            # register: a hearing in ten weeks, housing and income
            page.goto(f"{server}/persons/new")
            _shots(page, "file-register")
            page.fill("#person-new input[name=ref]", ref)
            page.select_option("#person-new select[name=prison]", "haren")
            page.select_option("#person-new select[name=modality]", "lc")
            for need in ("housing", "income"):
                page.check(f"#person-new input[name=needs][value={need}]")
            page.select_option("#person-new select[name=as_id]", "as.dupont")
            page.select_option("#person-new select[name=psy_id]", "psy.lambert")
            page.fill("#person-new input[name=hearing]", "2027-02-01")
            _submit(page, "#person-new")
            assert page.url.startswith(f"{server}/persons/{ref}")
            assert page.locator('#demarches tr[data-key="tripartite_pre"]').count() == 1
            _shots(page, "file-plan-registered")
            # find them in the file active
            page.goto(f"{server}/persons?search=br-2026")
            assert page.locator(f'a[href="/persons/{ref}"]').count() >= 1
            _shots(page, "file-active")
            page.click(f'a[href="/persons/{ref}"]')
            page.wait_for_load_state()
            # change the needs (add a cure) and transfer to Saint-Gilles
            page.check("#edit input[name=needs][value=cure]")
            _submit(page, "#edit")
            assert page.locator('#demarches tr[data-key="cure_apply"]').count() == 1
            assert page.locator("#done").count() == 1  # what the change did
            page.select_option("#transfer select[name=prison]", "saint-gilles")
            page.fill("#transfer input[name=date]", DAY)
            _submit(page, "#transfer")
            assert "Saint-Gilles" in page.text_content("#facts")
            _shots(page, "file-plan-changed")
            # a meeting that did not take place: a strike
            page.fill("#visits form.row input[name=day]", DAY)
            page.select_option("#visits form.row select[name=place]", "prison")
            page.select_option("#visits form.row select[name=outcome]", "not-held")
            page.select_option("#visits form.row select[name=reason]", "strike")
            _submit(page, "#visits form.row")
            assert "grève" in page.text_content("#visits")
            # mark a démarche of this week done, from my week
            page.goto(f"{server}/week")
            done = page.locator(f'button[name=done][value^="{ref} "]').first
            key = done.get_attribute("value").split()[1]
            with page.expect_navigation():
                done.click()
            page.goto(f"{server}/persons/{ref}")
            assert "faite" in page.text_content(f'#demarches tr[data-key="{key}"]')
            # a congé pénitentiaire: a leave, not a release
            page.select_option("#leaves form.row select[name=kind]", "cp")
            page.fill("#leaves form.row input[name=start]", "2026-11-27")
            page.fill("#leaves form.row input[name=end]", "2026-11-30")
            _submit(page, "#leaves form.row")
            assert "congé pénitentiaire" in page.text_content("#leaves")
            assert "actual_release" not in page.text_content("#milestones")
            # then the release
            page.select_option("#milestones form select[name=kind]", "actual_release")
            page.fill("#milestones form input[name=date]", DAY)
            _submit(page, "#milestones form")
            assert page.locator('#demarches tr[data-key="ris_request"]').count() == 1
            _shots(page, "file-plan-released")
            # close the file: the démarches still open are listed first, then closed with it
            page.click(f'a[href="/persons/{ref}/close"]')
            page.wait_for_load_state()
            _shots(page, "file-close")
            page.select_option("#close select[name=reason]", "finished")
            _submit(page, "#close")
            assert page.locator("#closed").count() == 1
            _shots(page, "file-plan-closed")
            page.goto(f"{server}/persons?search=br-2026")
            assert page.locator(f'a[href="/persons/{ref}"]').count() == 0  # a closed file leaves the list

            coord = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            _login(coord, server, "coord.martin")
            coord.goto(f"{server}/persons?closed=1&search=br-2026")
            assert coord.locator(f'a[href="/persons/{ref}"]').count() >= 1  # coordinators still find it
            coord.goto(f"{server}/dashboard")
            assert coord.locator("#caseloads").count() == 1
            assert "Amélie Dupont" in coord.text_content("#caseloads")
            _shots(coord, "caseloads")
        finally:
            browser.close()
    for name in ("file-register", "file-active", "file-plan-changed", "file-plan-released", "file-close",
                 "caseloads"):
        for width in (1366, 390):
            assert (SHOTS / f"{name}-{width}.png").stat().st_size > 1000


def test_the_file_active_at_1366_and_390_px(server):
    """/persons as a coordinator: a search through the form keeps it in the URL, the clear link brings the
    whole list back, and at 390 px the page does not overflow (the table scrolls in its own box)."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            for width in (1366, 390):
                page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
                _login(page, server, "coord.martin")
                page.click("nav a[href='/persons']")
                page.wait_for_url(f"{server}/persons")
                everyone = page.locator("#persons tbody tr").count()
                assert everyone > 1
                page.fill("input[name=search]", "demo-02")
                page.click("form.filters button[type=submit]")
                page.wait_for_url(re.compile(r".*/persons\?.*search=demo-02"))
                assert page.locator("#persons tbody tr").count() == 1
                assert page.locator("#persons a[href='/persons/DEMO-02']").count() == 1
                page.screenshot(path=str(SHOTS / f"persons-search-{width}.png"), full_page=True)
                page.click("#clear")
                page.wait_for_url(f"{server}/persons")
                assert page.locator("#persons tbody tr").count() == everyone
                page.screenshot(path=str(SHOTS / f"persons-{width}.png"), full_page=True)
                overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
                assert overflow <= 0, f"{width} px: the page is {overflow} px too wide"
                page.goto(f"{server}/dashboard?as_of={DAY}")
                assert page.locator("#caseloads tbody tr").count() >= 2
                page.locator("#caseloads").screenshot(path=str(SHOTS / f"caseloads-{width}.png"))
        finally:
            browser.close()
    assert all((SHOTS / f"persons-{w}.png").stat().st_size > 1000 for w in (1366, 390))
