"""A refused form says why in the viewer's language (issue 11, point 2): the plan page and my week show the
service's refusal translated, led by the field's label, with dates as DD/MM/YYYY and no CLI flag."""

from __future__ import annotations

import datetime as dt
import html
import re
import warnings

import pytest

from raj_release.domain import Milestone, MilestoneKind
from raj_release.services.auth import set_password
from raj_release.services.persons import register_person
from raj_release.services.workers import register_worker

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "une phrase assez longue"
TODAY = "2026-11-23"


@pytest.fixture
def web(ctx):
    from raj_release.web.app import create_app

    for wid, role, lang in [("as.fr", "as", "fr"), ("psy.fr", "psy", "fr"), ("as.nl", "as", "nl"),
                            ("psy.nl", "psy", "nl")]:
        register_worker(ctx, wid, wid.upper(), role, lang)
        set_password(ctx, wid, PASSWORD)
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 6, 15))]
    for ref, b in (("P-FR", "fr"), ("P-NL", "nl")):
        register_person(ctx, ref=ref, prison="haren", as_id=f"as.{b}", psy_id=f"psy.{b}", today=dt.date(2026, 11, 23),
                        needs=["housing"], milestones=hearing)
    return TestClient(create_app(ctx, secret=b"test secret"), follow_redirects=False)


def signed_in(client, who: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": who, "password": PASSWORD, "csrf": token}).status_code == 303
    return re.search(r'name="csrf" value="([^"]+)"', client.get(f"/week?as_of={TODAY}").text).group(1)


def version_of(client, ref: str) -> str:
    return re.search(r'name="version" value="(\d+)"', client.get(f"/persons/{ref}?as_of={TODAY}").text).group(1)


def alert(page) -> str:
    """The page's error line, as the reader reads it."""
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', page.text, re.S)
    assert found, page.text[:500]
    return html.unescape(found.group(1)).strip()


def refused_on_the_plan(client, ref: str, url: str, data: dict) -> str:
    r = client.post(f"/persons/{ref}/{url}?as_of={TODAY}", data=data)
    assert r.status_code == 303 and r.headers["location"].startswith(f"/persons/{ref}?"), r.status_code
    line = alert(client.get(r.headers["location"]))
    assert "--" not in line and "Traceback" not in line
    return line


CASES = [
    # a pinned date on a public holiday: the field's label, dates DD/MM/YYYY
    ("demarches/intake_fiche/pin", {"date": "2027-07-21"},
     "Date butoir : le 21/07/2027 n'est pas un jour ouvrable (Fête nationale) ; choisissez par exemple le 20/07/2027",
     "Uiterste datum: 21/07/2027 is geen werkdag (Fête nationale); kies bijvoorbeeld 20/07/2027"),
    # an impossible date typed in a form
    ("demarches/intake_fiche/pin", {"date": "2027-02-30"},
     "Date : « 2027-02-30 » n'est pas une date du calendrier (AAAA-MM-JJ)",
     "Datum: « 2027-02-30 » is geen bestaande datum (JJJJ-MM-DD)"),
    # a window that holds no date: pydantic's refusal, in words
    ("milestones", {"kind": "tap_hearing", "date": "2027-06-15", "earliest": "2027-06-20", "latest": "2027-06-10",
                    "certainty": "expected"},
     "Date clé : au plus tôt le 20/06/2027, c'est après au plus tard le 10/06/2027",
     "Belangrijke datum: ten vroegste op 20/06/2027 valt na ten laatste op 10/06/2027"),
]


@pytest.mark.parametrize("url, data, french, dutch", CASES, ids=["holiday", "impossible-date", "window"])
def test_a_refused_form_on_the_plan_page_speaks_the_viewers_language(web, url, data, french, dutch):
    csrf = signed_in(web, "as.fr")
    assert refused_on_the_plan(web, "P-FR", url, {**data, "version": version_of(web, "P-FR"), "csrf": csrf}) == french
    web.cookies.clear()
    csrf = signed_in(web, "as.nl")
    assert refused_on_the_plan(web, "P-NL", url, {**data, "version": version_of(web, "P-NL"), "csrf": csrf}) == dutch


def test_the_issues_example_reads_as_words(web):
    """`--reason: a démarche marked not applicable (cancelled) needs a reason (--reason TEXT)` was the page's
    line: now the field's label and the status's, in the viewer's language."""
    for who, ref, expected in (("as.fr", "P-FR", "Motif : une démarche marquée « sans objet » demande un motif"),
                               ("as.nl", "P-NL", "Reden: een stap die « niet van toepassing » wordt, vraagt een reden")):
        web.cookies.clear()
        csrf = signed_in(web, who)
        r = web.post(f"/persons/{ref}/demarches/intake_fiche/status?as_of={TODAY}",
                     data={"status": "cancelled", "version": version_of(web, ref), "csrf": csrf})
        assert r.status_code == 303 and r.headers["location"].startswith("/week")
        assert alert(web.get(r.headers["location"])) == expected


def test_a_stale_version_says_so_in_words(web):
    csrf = signed_in(web, "as.nl")
    r = web.post(f"/persons/P-NL/demarches/intake_fiche/pin?as_of={TODAY}",
                 data={"date": "2027-01-15", "version": "1", "csrf": csrf})
    assert r.status_code == 303
    r = web.post(f"/persons/P-NL/demarches/intake_fiche/pin?as_of={TODAY}",
                 data={"date": "2027-01-14", "version": "1", "csrf": csrf})
    assert r.status_code == 409  # the fresh plan, saying in words who changed what meanwhile
    box = r.text.split('id="conflict"')[1].split("</div>")[0]
    assert "version" not in box and "yours" not in box and "--" not in box


def test_a_form_without_a_required_field_names_it_in_words(web):
    csrf = signed_in(web, "as.fr")
    r = web.post(f"/persons/P-FR/demarches/intake_fiche/pin?as_of={TODAY}",
                 data={"version": version_of(web, "P-FR"), "csrf": csrf})
    assert r.status_code == 422
    assert alert(r).endswith("Date : ce champ est obligatoire")
