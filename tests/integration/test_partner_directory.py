"""The directory one can trust (issue 12 point 5), through the services and the pages: each entry's capacity
and verification (date, by whom, its age in words), entries not verified for 12 months flagged on the partners
page (a badge and a count) and listed in the coordinators' weekly report, and the partner choice the plan
offers, with capacity and age. Read on the real config/partners.yaml (fictitious entries)."""

from __future__ import annotations

import datetime as dt
import html as html_
import re
import warnings

import pytest

from raj_release.services.auth import set_password
from raj_release.services.partners import PartnerChoice, partner_choice, partners_for, stale_partners
from raj_release.services.report import weekly_report
from raj_release.services.workers import register_worker
from tests.integration.test_web_pages import PASSWORD, login

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TODAY = dt.date(2026, 12, 7)  # the stale entry (last verified 14/10/2025) is past its 12 months


@pytest.fixture
def web(ctx):
    from raj_release.web.app import create_app

    for wid, lang in (("as.fr", "fr"), ("psy.nl", "nl")):
        register_worker(ctx, wid, wid.upper(), "as" if lang == "fr" else "psy", lang)
        set_password(ctx, wid, PASSWORD)
    return TestClient(create_app(ctx, secret=b"test secret"), follow_redirects=False)


def text_of(html: str) -> str:
    """The page's words, tags dropped and entities read, spaces collapsed."""
    return re.sub(r"\s+", " ", html_.unescape(re.sub(r"<[^>]+>", " ", html)))


def row(html: str, pid: str) -> str:
    return text_of(re.search(rf'<tr data-id="{re.escape(pid)}"[^>]*>(.*?)</tr>', html, re.DOTALL).group(1))


def test_stale_partners_are_the_entries_past_twelve_months(ctx):
    assert [p.id for p in stale_partners(ctx, TODAY)] == ["mm-trefle-demo"]
    assert stale_partners(ctx, dt.date(2026, 10, 14)) == []  # 12 months to the day: still trusted
    assert [p.id for p in stale_partners(ctx, dt.date(2026, 10, 15))] == ["mm-trefle-demo"]
    # a year on, every entry verified in 2026 is due again, the oldest verification first
    later = [p.last_verified for p in stale_partners(ctx, dt.date(2028, 1, 1))]
    assert len(later) == len(ctx.config.partners) and later == sorted(later)


def test_the_partner_choice_gives_capacity_and_age_by_name(ctx):
    choice = partner_choice(ctx, "housing_apply", TODAY)
    assert [c.id for c in choice] == [p.id for p in partners_for(ctx, "housing_apply")]
    assert len(choice) == 3 and [c.name for c in choice] == sorted(c.name for c in choice)
    relais = next(c for c in choice if c.id == "ma-demo")
    assert relais == PartnerChoice(id="ma-demo", name="Maison d'accueil fictive « Le Relais » (démo)",
                                   type="maison_accueil", capacity_available=2, capacity_maximum=12,
                                   capacity_updated=dt.date(2026, 12, 1), last_verified=dt.date(2026, 9, 15),
                                   verified_by="Élise Martin (fictive)", age_days=83, stale=False)
    assert relais.as_json()["capacity_updated"] == "2026-12-01"
    assert {c.id for c in partner_choice(ctx, "cure_apply", TODAY)} == {"cure-demo", "cure-sources-demo"}
    assert partner_choice(ctx, "intake_fiche", TODAY) == []  # done by the service alone
    [trefle] = partner_choice(ctx, "med_gp", TODAY)  # a GP or a maison médicale: one in the directory
    assert (trefle.id, trefle.stale, trefle.age_days, trefle.capacity_available) == ("mm-trefle-demo", True, 419, None)


def test_the_partners_page_in_french_shows_capacity_verification_and_the_stale_flag(web):
    login(web, "as.fr")
    page = web.get(f"/partners?as_of={TODAY}")
    assert page.status_code == 200
    top = text_of(re.search(r'<p id="stale-count"[^>]*>(.*?)</p>', page.text, re.DOTALL).group(1))
    assert top.startswith("1 entrée plus vérifiée depuis plus de 12 mois : vérifiez-la auprès du service"), top
    relais = row(page.text, "ma-demo")
    assert "lits d'hébergement : 2 places libres sur 12, mis à jour le 01/12/2026" in relais
    assert "15/09/2026 par Élise Martin (fictive) · il y a 2 mois" in relais
    assert "maison d'accueil" in relais and "maison_accueil" not in relais and "À vérifier" not in relais
    assert "complet : aucune place libre sur 20" in row(page.text, "ma-escale-demo")
    assert "lits de cure : 1 place libre sur 24" in row(page.text, "cure-demo")
    assert "il y a 1 mois" in row(page.text, "ma-escale-demo")  # verified 02/11/2026
    trefle = row(page.text, "mm-trefle-demo")
    assert "À vérifier : plus vérifié depuis plus de 12 mois" in trefle
    assert "14/10/2025 par Amélie Dupont (fictive) · il y a 13 mois" in trefle and "maison médicale" in trefle
    assert re.search(r'<tr data-id="mm-trefle-demo" class="late stale">', page.text)
    assert page.text.count('class="badge"') == 1
    assert "2026-12-01" not in text_of(page.text) and "${RAJ_DEMO_SINK}" not in page.text


def test_the_partners_page_in_dutch(web):
    login(web, "psy.nl")
    page = web.get(f"/partners?as_of={TODAY}")
    assert page.status_code == 200 and "Partnerlijst" in page.text
    assert text_of(page.text).count("1 vermelding al meer dan 12 maanden niet nagekeken") == 1
    assert ("opvangbedden: 2 vrije plaatsen van 12, bijgewerkt op 01/12/2026"
            in row(page.text, "ma-demo"))
    assert "15/09/2026 door Élise Martin (fictive) · 2 maanden geleden" in row(page.text, "ma-demo")
    assert "volzet: geen vrije plaats van 20" in row(page.text, "ma-escale-demo")
    assert "behandelbedden: 1 vrije plaats van 24" in row(page.text, "cure-demo")
    trefle = row(page.text, "mm-trefle-demo")
    assert "Na te kijken: al meer dan 12 maanden niet nagekeken" in trefle and "13 maanden geleden" in trefle
    assert "wijkgezondheidscentrum" in trefle


def test_the_page_on_a_day_every_entry_is_fresh_and_on_a_bad_day(web):
    login(web, "as.fr")
    page = web.get("/partners?as_of=2026-10-14")
    assert "Toutes les entrées ont été vérifiées au cours des 12 derniers mois." in text_of(page.text)
    assert "À vérifier" not in page.text
    assert "15/09/2026 par Élise Martin (fictive) · il y a 29 jours" in row(page.text, "ma-demo")
    assert "14/10/2025 par Amélie Dupont (fictive) · il y a 12 mois" in row(page.text, "mm-trefle-demo")
    bad = web.get("/partners?as_of=2026-13-01")
    assert bad.status_code == 422
    assert "« 2026-13-01 » n'est pas une date du calendrier (AAAA-MM-JJ)" in html_.unescape(bad.text)


def test_the_weekly_report_lists_the_entries_to_verify(ctx):
    register_worker(ctx, "coord.fr", "Coordinatrice fictive", "coordinator", "fr")
    register_worker(ctx, "coord.nl", "Fictieve coördinator", "coordinator", "nl")
    msgs = {m.recipient: m for m in weekly_report(ctx, TODAY, dry_run=True)}
    assert ("Annuaire des partenaires, entrées à vérifier (plus vérifiées depuis plus de 12 mois): 1\n"
            "- Maison médicale fictive « Le Trèfle » (démo) · dernière vérification le 14/10/2025\n") in msgs["coord.fr"].body
    assert ("Partnerlijst, na te kijken (al meer dan 12 maanden niet nagekeken): 1\n"
            "- Maison médicale fictive « Le Trèfle » (démo) · laatst nagekeken op 14/10/2025\n") in msgs["coord.nl"].body
    before = {m.recipient: m for m in weekly_report(ctx, dt.date(2026, 10, 12), dry_run=True)}
    assert "plus vérifiées depuis plus de 12 mois): 0\n" in before["coord.fr"].body
    assert "Trèfle" not in before["coord.fr"].body
