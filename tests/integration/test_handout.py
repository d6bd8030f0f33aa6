"""« Version pour la personne » in-process: the plan in the person's language and plain words, what to bring,
the binôme's names and contacts, the same scope as the plan, and its PDF (WeasyPrint) on at most two pages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as htmllib
import re
import warnings

import pytest

from raj_release.domain import Milestone, MilestoneKind
from raj_release.domain.enums import Status
from raj_release.services.auth import set_password
from raj_release.services.demarches import set_status
from raj_release.services.persons import register_person
from raj_release.services.workers import register_worker

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "une phrase assez longue"
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def web(ctx):
    from raj_release.web.app import create_app

    for wid, role, contact in [("as.a", "as", "02 111 11 11"), ("psy.a", "psy", None), ("as.b", "as", None),
                               ("psy.b", "psy", None), ("coord", "coordinator", None), ("admin", "admin", None)]:
        register_worker(ctx, wid, f"Nom {wid.upper()}", role, "fr", contact=contact)
        set_password(ctx, wid, PASSWORD)
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 3, 15), certainty="expected")]
    register_person(ctx, ref="P-NL", prison="haren", as_id="as.a", psy_id="psy.a", today=TODAY, language="nl",
                    needs=["housing", "income"], milestones=hearing, interpreter=True)
    register_person(ctx, ref="P-FR", prison="ittre", as_id="as.b", psy_id="psy.b", today=TODAY,
                    needs=["housing", "income", "cure"], milestones=hearing)
    set_status(ctx, "P-FR", "intake_fiche", "completed", today=TODAY)
    ctx = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"organisation_phone": "02 999 99 99"}))
    return TestClient(create_app(ctx, secret=b"test secret"), follow_redirects=False)


def login(client, who: str) -> None:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": who, "password": PASSWORD, "csrf": csrf}).status_code == 303


def sheet(html: str) -> str:
    """The visible text of the person's sheet alone."""
    part = html[html.index('<article class="handout"'):html.index("</article>")]
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)))


def test_the_person_reads_their_plan_in_their_language_with_what_to_bring_and_whom_to_call(web, ctx):
    login(web, "as.a")  # a French-speaking AS, a Dutch-speaking person
    plan = web.get(f"/persons/P-NL?as_of={TODAY}")
    assert f'href="/persons/P-NL/for-person?as_of={TODAY}"' in plan.text
    r = web.get(f"/persons/P-NL/for-person?as_of={TODAY}")
    assert r.status_code == 200
    assert '<article class="handout" lang="nl"' in r.text
    assert "Version pour la personne" in r.text  # the page around the sheet: the worker's language
    assert "interprète" in r.text
    text = sheet(r.text)
    assert "Uw plan om uw vrijlating voor te bereiden" in text
    assert "De zitting van de strafuitvoeringsrechtbank" in text and "15 maart 2027" in text
    assert "verwachte datum" in text  # the hearing is expected, not confirmed
    eid = ctx.config.templates["eid_check"]
    assert eid.plain.nl in text and eid.bring.nl in text
    assert "Binnenkort te doen" in text and "Later" in text
    # whom to call: the AS's contact; the psy has none, the service's phone stands for both
    assert "Nom AS.A" in text and "02 111 11 11" in text and "Nom PSY.A" in text and "02 999 99 99" in text
    # nothing internal: no worker label of a démarche, no code, no other person
    for t in ctx.config.templates:
        assert t.label.nl not in text and t.label.fr not in text, t.key
        assert re.search(rf"\b{t.key}\b", text) is None
    assert "adm_dates_check" not in text and ctx.config.templates["adm_dates_check"].label.nl not in text
    for word in ("démarche", "TAP", "SURB", "planned", "on-hold", "P-FR", "Nom AS.B"):
        assert word not in text


def test_done_and_overdue_steps_read_as_done_and_as_soon_as_possible(web, ctx):
    login(web, "as.b")
    later = "2027-01-20"  # several steps of the first plan are past by then
    text = sheet(web.get(f"/persons/P-FR/for-person?as_of={later}").text)
    assert "Déjà fait :" in text and ctx.config.templates["intake_fiche"].plain.fr in text
    assert "dès que possible" in text
    assert "L'audience du tribunal de l'application des peines" in text
    soon = text[text.index("À faire bientôt"):]
    # the hearing is only expected: the dates planned against it read « vers le », not « avant le »
    assert re.search(r"vers le \d{1,2} \w+ 2027", soon) and "avant le" not in soon


def test_the_handout_has_the_plans_scope(web):
    login(web, "as.b")  # not P-NL's binôme
    assert web.get("/persons/P-NL/for-person").status_code == 404
    assert web.get("/persons/P-NL/for-person.pdf").status_code == 404
    web.cookies.clear()
    login(web, "coord")
    assert web.get("/persons/P-NL/for-person").status_code == 200
    web.cookies.clear()
    login(web, "admin")
    assert web.get("/persons/P-NL/for-person").status_code == 404
    web.cookies.clear()
    r = web.get("/persons/P-NL/for-person")
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_the_pdf_is_one_or_two_a4_pages_in_the_persons_language(web):
    weasyprint = pytest.importorskip("weasyprint")
    login(web, "as.b")
    r = web.get(f"/persons/P-FR/for-person.pdf?as_of={TODAY}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF-")
    assert r.headers["cache-control"] == "no-store"
    assert "plan-P-FR.pdf" in r.headers["content-disposition"]
    # the same document WeasyPrint laid out: its pages and their size (A4 = 595 x 842 points)
    from raj_release.web.pages.handout import STYLESHEET

    html = web.get(f"/persons/P-FR/for-person?as_of={TODAY}").text
    doc = weasyprint.HTML(string=html[html.index("<article"):html.index("</article>") + 10]).render(
        stylesheets=[weasyprint.CSS(filename=str(STYLESHEET))])
    assert 1 <= len(doc.pages) <= 2
    assert round(doc.pages[0].width) == 794 and round(doc.pages[0].height) == 1123  # CSS px of an A4 page


def test_a_status_that_is_final_leaves_the_list(ctx, web):
    set_status(ctx, "P-FR", "housing_plan", Status.CANCELLED.value, today=TODAY, reason="hébergé par sa sœur")
    login(web, "as.b")
    text = sheet(web.get(f"/persons/P-FR/for-person?as_of={TODAY}").text)
    assert ctx.config.templates["housing_plan"].plain.fr not in text
    assert "hébergé par sa sœur" not in text  # a reason is the binôme's note, not the person's sheet
