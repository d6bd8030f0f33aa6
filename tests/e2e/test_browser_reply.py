"""The issue's end-to-end test of a partner's answer (issue 12 point 3), in headless Chromium (the harness of
test_browser.py): a person with consents is sent to two maisons d'accueil; the outbox delivers each request to a
real local HTTP endpoint (the partners' channel, and the binôme's); the link the endpoint RECEIVED is opened in
Chromium; the partner answers « liste d'attente, position 4 », which reaches the binôme's channel and the plan
page; then « acceptée, entrée le 12/03/2027 » pins the démarche's date, and the other application is withdrawn
in one step, its partner receiving the withdrawal at the endpoint. The app is served by uvicorn on 127.0.0.1 with
RAJ_PUBLIC_URL set to it. Screenshots of the reply page in French and Dutch, at 1366 and 390 px, under
test-output/screenshots/. Bounded in time; the server and the endpoint stop by themselves."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

from raj_release.config import load_config
from raj_release.domain import Milestone, MilestoneKind
from raj_release.notify.sink import read_received, running_sink
from raj_release.services import applications, consents, outbox
from raj_release.services.auth import set_password
from raj_release.services.context import Context
from raj_release.services.persons import register_person
from raj_release.services.workers import ensure_organisation, register_worker
from raj_release.settings import PROJECT_ROOT, Settings
from raj_release.store import models as m
from raj_release.web.app import create_app
from tests.e2e.test_browser import CHROMIUM, FLAGS, PASSWORD, SHOTS, _free_port, _need_browser

pytestmark = pytest.mark.slow
TODAY = dt.date(2026, 11, 23)
REF = "P-E2E"
# the directory of this test: two maisons d'accueil, one reading French and initials, one Dutch; their
# channel, like the binôme's, is the local endpoint (RAJ_DEMO_SINK)
PARTNERS_YAML = """\
version: 1
partners:
  - id: ma-relais
    name: "Maison d'accueil fictive « Le Relais »"
    type: maison_accueil
    languages: [fr]
    contact: {phone: "02 000 00 02"}
    channels: ["${RAJ_DEMO_SINK}/partners/ma-relais"]
    identify_person_by: initials
    last_verified: 2026-09-15
  - id: ma-anker
    name: "Opvanghuis « Het Anker » (fictief)"
    type: maison_accueil
    languages: [nl, fr]
    contact: {phone: "02 000 00 07"}
    channels: ["${RAJ_DEMO_SINK}/partners/ma-anker"]
    last_verified: 2026-03-10
"""


class Served:
    """The app under uvicorn on a free port of 127.0.0.1, in a thread; `stop()` ends it."""

    def __init__(self, ctx: Context, port: int) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(create_app(ctx, secret=b"end-to-end reply test secret.."),
                                                    host="127.0.0.1", port=port, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, name="raj-e2e-uvicorn", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                self.stop()
                pytest.fail("uvicorn did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def received(path: Path, where: str) -> list[dict]:
    return [x["payload"] for x in read_received(path) if x["path"] == where]


def link_in(payload: dict, base: str) -> str:
    found = re.findall(re.escape(base) + r"/r/[A-Za-z0-9_-]+", payload.get("message", ""))
    assert len(found) == 1, payload
    return found[0]


@pytest.fixture
def setting(database, tmp_path, monkeypatch):
    """(ctx, base URL, the endpoint's received file): the endpoint and the server run until the test ends."""
    _need_browser()
    cfg = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", cfg)
    (cfg / "partners.yaml").write_text(PARTNERS_YAML, encoding="utf-8")
    with running_sink(tmp_path / "sink") as (sink_url, got):
        monkeypatch.setenv("RAJ_DEMO_SINK", sink_url)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        ctx = Context(db=database, config=load_config(cfg),
                      settings=Settings(database_url=database.url, config_dir=cfg, public_url=base, today=TODAY))
        served = Served(ctx, port)
        try:
            yield ctx, base, got
        finally:
            served.stop()
    assert not served.thread.is_alive()


def _deliver(ctx: Context, days: int = 0) -> int:
    """Deliver what is due `days` from now (a partner's request waits for the next working morning)."""
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=days)
    report = outbox.deliver(ctx, now=lambda: later)
    assert (report.retried, report.dead, report.errors) == (0, 0, {}), report.as_json()
    return report.sent


def test_a_partner_answers_from_the_link_it_received(setting):
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select

    ctx, base, got = setting
    started = time.monotonic()
    ensure_organisation(ctx)
    for wid, name, role in (("as.e2e", "Amélie Fictive", "as"), ("psy.e2e", "Chloé Fictive", "psy")):
        register_worker(ctx, wid, name, role, "fr", notify=[f"${{RAJ_DEMO_SINK}}/workers/{wid}"],
                        contact="02 111 11 11" if role == "as" else "chloe@ambu.example.org")
    set_password(ctx, "as.e2e", PASSWORD)
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 6, 15), certainty="expected")]
    register_person(ctx, ref=REF, prison="haren", as_id="as.e2e", psy_id="psy.e2e", today=TODAY,
                    name="Jean Fictif", needs=["housing"], milestones=hearing)
    consents.grant(ctx, REF, purpose="housing", partner_type="maison_accueil", today=TODAY, how="oral",
                   actor="as.e2e")
    applications.apply(ctx, REF, "housing_apply", ["ma-relais", "ma-anker"], today=TODAY, actor="as.e2e")
    _deliver(ctx, days=4)
    [relais] = received(got, "/partners/ma-relais")
    [anker] = received(got, "/partners/ma-anker")
    assert "J.F." in relais["message"] and "Jean" not in relais["message"] and REF not in relais["message"]
    assert REF in anker["message"] and "Jean" not in anker["message"]
    link, nl_link = link_in(relais, base), link_in(anker, base)

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            # the Dutch partner's page first, as it is before any answer (screenshots)
            nl = browser.new_context(viewport={"width": 1366, "height": 900}, locale="nl-BE").new_page()
            nl.goto(nl_link)
            assert "Antwoord op een aanvraag" in nl.text_content("main") and REF in nl.text_content("#person")
            nl.screenshot(path=str(SHOTS / "reply-nl.png"), full_page=True)
            nl.set_viewport_size({"width": 390, "height": 844})
            nl.screenshot(path=str(SHOTS / "reply-nl-390.png"), full_page=True)
            assert nl.evaluate("document.documentElement.scrollWidth") <= 390

            # the French partner, on a phone, answers with the keyboard: waiting list, position 4
            page = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-BE").new_page()
            page.goto(link)
            assert page.text_content("#person") == "J.F."
            assert "Jean" not in page.text_content("body")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path=str(SHOTS / "reply-fr-390.png"), full_page=True)
            page.focus("input[name=answer][value=waitlist]")
            page.keyboard.press("Space")
            page.focus("input[name=position]")
            page.keyboard.type("4")
            page.keyboard.press("Enter")  # the form's own submission, no script
            page.wait_for_url(f"{link}?answered=1")
            text = page.text_content("main")
            assert "Merci, votre réponse a été transmise à Amélie Fictive" in text
            assert "en liste d'attente, position 4" in page.text_content("#state")
            page.screenshot(path=str(SHOTS / "reply-fr-answered-390.png"), full_page=True)

            a = next(x for x in applications.applications_of(ctx, REF, "housing_apply", today=TODAY)
                     if x.partner == "ma-relais")
            assert (a.state.value, a.position) == ("waitlist", 4)
            # the binôme hears at once: the answer, urgent, in the outbox and delivered to their channel
            with ctx.db.reading() as s:
                answers = s.scalars(select(m.OutboxMessage).where(m.OutboxMessage.kind == "answer")).all()
            assert sorted(x.recipient for x in answers) == ["as.e2e", "psy.e2e"] and all(x.urgent for x in answers)
            _deliver(ctx)
            for wid in ("as.e2e", "psy.e2e"):
                [heard] = received(got, f"/workers/{wid}")
                assert "position 4" in heard["message"] and "Le Relais" in heard["message"]

            # the binôme's plan shows it (signed in, in the browser)
            worker = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
            worker.goto(f"{base}/login")
            worker.fill("input[name=username]", "as.e2e")
            worker.fill("input[name=password]", PASSWORD)
            worker.click("button[type=submit]")
            worker.wait_for_url(f"{base}/week")
            worker.goto(f"{base}/persons/{REF}")
            apps = worker.text_content("#applications")
            assert "en liste d'attente" in apps and "position 4" in apps

            # then the same partner accepts, entry on 12/03/2027 (the page still works for a live request)
            page.set_viewport_size({"width": 1366, "height": 900})
            page.goto(link)
            page.screenshot(path=str(SHOTS / "reply-fr.png"), full_page=True)
            page.check("input[name=answer][value=accepted]")
            page.fill("input[name=on]", "2027-03-12")
            page.click("form.reply button[type=submit]")
            page.wait_for_url(f"{link}?answered=1")
            assert "entrée ou rendez-vous le 12/03/2027" in page.text_content("#state")
            with ctx.db.reading() as s:
                row = s.scalars(select(m.Demarche).join(m.Person, m.Person.id == m.Demarche.person_id)
                                .where(m.Person.ref == REF, m.Demarche.key == "housing_apply")).one()
            assert (row.due, row.pinned) == (dt.date(2027, 3, 12), True)

            # the binôme withdraws the other application in one step; its partner is told at the endpoint
            [withdrawn] = applications.withdraw_others(ctx, REF, "housing_apply", today=TODAY, actor="as.e2e")
            assert (withdrawn.partner, withdrawn.state.value) == ("ma-anker", "withdrawn")
            _deliver(ctx, days=4)
            told = received(got, "/partners/ma-anker")
            assert len(told) == 2 and REF in told[1]["message"] and "/r/" not in told[1]["message"]
            assert len(received(got, "/partners/ma-relais")) == 1  # the accepting partner gets no withdrawal
            # and the withdrawn partner's link no longer works
            nl.goto(nl_link)
            assert "Deze aanvraag is afgesloten" in nl.text_content("main")
            nl.screenshot(path=str(SHOTS / "reply-closed-390.png"), full_page=True)
            worker.goto(f"{base}/persons/{REF}")
            apps = worker.text_content("#applications")
            assert "acceptée" in apps and "retirée" in apps
        finally:
            browser.close()
    assert time.monotonic() - started < 60
    for shot in ("reply-fr.png", "reply-fr-390.png", "reply-nl.png", "reply-nl-390.png"):
        assert (SHOTS / shot).stat().st_size > 1000
