"""The plan page's consents and applications (issue 12 points 1, 2, 4), my week's applications and the
dashboard's table per partner: signed-in clients on a real SQLite database, forms posted with their CSRF token."""

from __future__ import annotations

import datetime as dt
import html
import re
import warnings

import pytest

from raj_release.domain import Milestone, MilestoneKind
from raj_release.services.access import load_viewer
from raj_release.services.applications import applications_of, apply, set_state
from raj_release.services.auth import set_password
from raj_release.services.consents import consents_of, grant
from raj_release.services.dashboard import dashboard
from raj_release.services.persons import register_person
from raj_release.services.workers import register_worker

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

D = dt.date
TODAY = D(2026, 11, 23)  # a Monday
Q = "?as_of=2026-11-23"
PASSWORD = "une phrase assez longue"
RELAIS, ESCALE, ANKER = "ma-demo", "ma-escale-demo", "ma-anker-demo"


@pytest.fixture
def people(ctx):
    if ctx.db.engine.dialect.name != "sqlite":
        pytest.skip("the pages' words are checked once, on SQLite")
    for wid, role, lang in [("as.a", "as", "fr"), ("psy.a", "psy", "nl"), ("coord", "coordinator", "fr")]:
        register_worker(ctx, wid, wid.upper(), role, lang)
        set_password(ctx, wid, PASSWORD)
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=D(2027, 6, 15))]
    for ref in ("P-A", "P-B"):
        register_person(ctx, ref=ref, prison="haren", as_id="as.a", psy_id="psy.a", today=TODAY,
                        needs=["housing", "income", "cure"], milestones=hearing)
    return ctx


def signed_in(ctx, who: str) -> TestClient:
    from raj_release.web.app import create_app

    client = TestClient(create_app(ctx, secret=b"test secret"), follow_redirects=False)
    csrf = csrf_of(client.get("/login").text)
    assert client.post("/login", data={"username": who, "password": PASSWORD, "csrf": csrf}).status_code == 303
    return client


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def words_of(markup: str) -> str:
    """Words as a reader sees them: tags dropped, entities decoded, spaces folded (none before a comma)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split()).replace(" ,", ",")


def text(page) -> str:
    return words_of(page.text)


def section(page, id_: str) -> str:
    m = re.search(rf'<section id="{id_}">(.*?)</section>', page.text, re.S)
    assert m, f"no section {id_}"
    return words_of(m.group(1))


@pytest.fixture
def as_a(people):
    return signed_in(people, "as.a")


def post(client, url: str, data: dict):
    page = client.get(f"/persons/P-A{Q}")
    return client.post(url + Q, data={**data, "csrf": csrf_of(page.text)})


def test_grant_and_withdraw_a_consent_from_the_plan_page_in_french_and_dutch(people, as_a):
    page = as_a.get(f"/persons/P-A{Q}")
    words = section(page, "consents")
    assert "Consentements" in text(page) and "Aucun consentement enregistré." in words
    assert "ne compte pas encore comme fait" in words
    r = post(as_a, "/persons/P-A/consents", {"partner_type": "maison_accueil", "purpose": "housing",
                                            "date": "2026-11-20", "how": "oral"})
    assert r.status_code == 303 and r.headers["location"].endswith("/persons/P-A?as_of=2026-11-23#consents")
    words = section(as_a.get(f"/persons/P-A{Q}"), "consents")
    assert "Maison d'accueil" in words and "Logement" in words and "20/11/2026" in words
    assert "oral, en présence des deux membres du binôme" in words and "AS.A" in words and "en cours" in words
    for code in ("maison_accueil", "housing", "as.a", "oral "):
        assert code not in words
    [c] = consents_of(people, "P-A", today=TODAY).consents

    r = post(as_a, f"/persons/P-A/consents/{c.id}/withdraw", {"date": "2026-11-23", "reason": ""})
    assert r.status_code == 303 and "error=" in r.headers["location"]  # a withdrawal needs a reason
    assert consents_of(people, "P-A", today=TODAY).consents[0].withdrawn_on is None
    r = post(as_a, f"/persons/P-A/consents/{c.id}/withdraw", {"date": "2026-11-23", "reason": "la personne refuse"})
    assert r.status_code == 303 and r.headers["location"].endswith("#consents")
    words = section(as_a.get(f"/persons/P-A{Q}"), "consents")
    assert "retiré le 23/11/2026 : la personne refuse" in words and "en cours" not in words

    nl = section(signed_in(people, "psy.a").get(f"/persons/P-A{Q}"), "consents")
    assert "Opvanghuis" in nl or "opvang" in nl.lower()
    assert "ingetrokken op 23/11/2026" in nl and "Huisvesting" in nl and "mondeling" in nl
    assert "Toestemming" in nl and "Consentement" not in nl

    r = post(as_a, "/persons/P-A/consents", {"purpose": "nope", "partner_type": "maison_accueil", "date": "2026-11-20"})
    assert r.status_code == 303 and "error=" in r.headers["location"]
    error = as_a.get(r.headers["location"])
    assert "Finalité" in text(error) or "finalité" in text(error)
    assert len(consents_of(people, "P-A", today=TODAY).consents) == 1


def test_the_plan_says_which_demarches_lack_a_consent_compactly(people, as_a):
    words = section(as_a.get(f"/persons/P-A{Q}"), "consents")
    # no consent at all: one line per purpose, its démarches and the partner types in words
    assert "Logement : " in words and "types de partenaires : " in words and "Maison d'accueil" in words
    assert words.count("types de partenaires") == len({x.purpose for x in consents_of(
        people, "P-A", today=TODAY).missing})
    # a consent for one maison d'accueil covers the purpose; another one waited on is named
    grant(people, "P-A", purpose="housing", partner=ESCALE, today=TODAY, actor="as.a")
    from raj_release.services.demarches import set_status
    from raj_release.services.persons import show_plan

    version = show_plan(people, "P-A", today=TODAY).person.version
    set_status(people, "P-A", "housing_apply", "on-hold", today=TODAY, partner=RELAIS, actor="as.a",
               expected_version=version)
    words = section(as_a.get(f"/persons/P-A{Q}"), "consents")
    assert "consentement manquant pour Maison d'accueil fictive « Le Relais » (démo) (" in words
    assert "(Candidature maison d'accueil / transit)" in words
    assert words.count("Candidature maison d'accueil / transit") == 1  # no longer in the purpose's line


def test_send_to_two_maisons_d_accueil_set_their_states_and_withdraw_the_other(people, as_a):
    page = as_a.get(f"/persons/P-A{Q}")
    apps = section(page, "applications")
    assert "Envoyer à des partenaires" in apps and "consentement manquant" in apps
    assert re.search(r'name="partners" value="ma-demo" disabled', page.text)  # no consent yet: not selectable
    r = post(as_a, "/persons/P-A/demarches/housing_apply/applications", {"partners": [RELAIS]})
    assert r.status_code == 303 and "error=" in r.headers["location"]  # refused in words, nothing sent
    assert applications_of(people, "P-A", today=TODAY) == []

    grant(people, "P-A", purpose="housing", partner_type="maison_accueil", today=TODAY, actor="as.a")
    page = as_a.get(f"/persons/P-A{Q}")
    assert re.search(r'name="partners" value="ma-demo">', page.text)
    assert "places libres sur" in section(page, "applications") and "vérifié" in section(page, "applications")
    r = post(as_a, "/persons/P-A/demarches/housing_apply/applications", {"partners": [RELAIS, ESCALE]})
    assert r.status_code == 303 and r.headers["location"].endswith("#apps-housing_apply")
    assert {a.partner: a.state.value for a in applications_of(people, "P-A", today=TODAY)} == {
        RELAIS: "sent", ESCALE: "sent"}

    r = post(as_a, "/persons/P-A/demarches/housing_apply/applications/state",
             {"partner": RELAIS, "state": "waitlist", "position": "4", "date": "2027-02-01"})
    assert r.status_code == 303 and "error" not in r.headers["location"]
    apps = section(as_a.get(f"/persons/P-A{Q}"), "applications")
    assert "en liste d'attente, position 4, place attendue le 01/02/2027" in apps
    r = post(as_a, "/persons/P-A/demarches/housing_apply/applications/state",
             {"partner": RELAIS, "state": "waitlist", "position": "quatre"})
    assert r.status_code == 303 and "error=" in r.headers["location"]

    r = post(as_a, "/persons/P-A/demarches/housing_apply/applications/state",
             {"partner": RELAIS, "state": "accepted", "date": "2027-03-12"})
    assert r.status_code == 303 and "error" not in r.headers["location"]
    page = as_a.get(f"/persons/P-A{Q}")
    apps = section(page, "applications")
    assert "acceptée" in apps and "entrée le 12/03/2027" in apps and "Retirer les autres candidatures" in apps
    r = post(as_a, "/persons/P-A/demarches/housing_apply/applications/withdraw-others", {})
    assert r.status_code == 303 and r.headers["location"].endswith("#apps-housing_apply")
    assert {a.partner: a.state.value for a in applications_of(people, "P-A", today=TODAY)} == {
        RELAIS: "accepted", ESCALE: "withdrawn"}
    apps = section(as_a.get(f"/persons/P-A{Q}"), "applications")
    assert "retirée" in apps and "Retirer les autres candidatures" not in apps

    nl = section(signed_in(people, "psy.a").get(f"/persons/P-A{Q}"), "applications")
    assert "aanvaard" in nl and "opname op 12/03/2027" in nl and "ingetrokken" in nl and "Naar partners sturen" in nl


def test_my_week_shows_where_the_applications_stand(people, as_a):
    grant(people, "P-A", purpose="housing", partner_type="maison_accueil", today=TODAY, actor="as.a")
    apply(people, "P-A", "housing_apply", [RELAIS, ESCALE], today=TODAY, actor="as.a")
    set_state(people, "P-A", "housing_apply", RELAIS, "waitlist", position=4, today=TODAY, actor="as.a")
    week = as_a.get("/week" + Q)
    assert week.status_code == 200
    words = text(week)
    assert "Maison d'accueil fictive « Le Relais » (démo) : en liste d'attente, position 4" in words
    assert "Maison d'accueil fictive « L'Escale » (démo) : envoyée" in words


def test_the_dashboard_counts_applications_per_partner_with_the_median_time_to_answer(people):
    ctx = people
    for ref in ("P-A", "P-B"):
        grant(ctx, ref, purpose="housing", partner_type="maison_accueil", today=TODAY, actor="as.a")
    apply(ctx, "P-A", "housing_apply", [RELAIS, ESCALE, ANKER], today=TODAY, actor="as.a")
    apply(ctx, "P-B", "housing_apply", [RELAIS, ESCALE], today=TODAY, actor="as.a")
    # Le Relais answers in 3 days (waiting list) and in 8 days (refused): median 5.5; still 1 open
    set_state(ctx, "P-A", "housing_apply", RELAIS, "waitlist", position=2, today=TODAY + dt.timedelta(days=3))
    set_state(ctx, "P-B", "housing_apply", RELAIS, "refused", reason="complet", today=TODAY + dt.timedelta(days=8))
    # L'Escale answers in 1 day (refused) for P-A, not yet for P-B; Het Anker never
    set_state(ctx, "P-A", "housing_apply", ESCALE, "refused", reason="profil", today=TODAY + dt.timedelta(days=1))
    with ctx.db.reading() as s:
        coord = load_viewer(s, "coord")
    rows = {x.partner: x for x in dashboard(ctx, coord, today=TODAY + dt.timedelta(days=10)).applications}
    assert (rows[RELAIS].open, rows[RELAIS].answered, rows[RELAIS].median_days, rows[RELAIS].refused) == (1, 2, 5.5, 1)
    assert (rows[ESCALE].open, rows[ESCALE].answered, rows[ESCALE].median_days, rows[ESCALE].refused) == (1, 1, 1.0, 1)
    assert (rows[ANKER].open, rows[ANKER].answered, rows[ANKER].median_days, rows[ANKER].refused) == (1, 0, None, 0)

    client = signed_in(ctx, "coord")
    page = client.get("/dashboard?as_of=2026-12-03")
    words = section(page, "applications")
    assert "Candidatures par partenaire" in words
    assert "Maison d'accueil fictive « Le Relais » (démo) 1 5,5 jours 1" in words
    assert "Maison d'accueil fictive « Het Anker » (démo) 1 — 0" in words
    api = TestClient(client.app)
    from raj_release.services.auth import create_token

    token = create_token(ctx, "coord", "tests")
    body = api.get("/api/dashboard?as_of=2026-12-03", headers={"Authorization": f"Bearer {token}"}).json()
    by = {x["partner"]: x for x in body["applications_by_partner"]}
    assert by[RELAIS] == {"partner": RELAIS, "open": 1, "answered": 2, "median_days_to_answer": 5.5, "refused": 1}
