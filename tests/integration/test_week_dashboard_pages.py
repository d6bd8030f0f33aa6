"""My week and the dashboard as pages (issue 11): their size on the demo's biggest caseload, lateness labelled in
working days in French and Dutch, the « aujourd'hui » group, every field labelled, one partner list per type,
the week's one form (done, another status with a partner or a reason, refusals in one line), and the
dashboard's own counting said in words, with a "clear filters" link that is a link."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from html.parser import HTMLParser

import pytest

from raj_release.domain import Milestone, MilestoneKind
from raj_release.services.auth import set_password
from raj_release.services.demo import WORKERS, load_demo
from raj_release.services.persons import register_person
from raj_release.services.workers import register_worker

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "une phrase assez longue"
DAY = dt.date(2026, 11, 23)
LATER = "2027-01-20"
MAX_WEEK_BYTES = 25_000


def login(client, who: str) -> str:
    client.cookies.clear()
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": who, "password": PASSWORD, "csrf": csrf}).status_code == 303
    return csrf


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


class Fields(HTMLParser):
    """The page's form fields that a person fills in (not hidden), and whether each has a label."""

    def __init__(self) -> None:
        super().__init__()
        self.open_labels = 0
        self.fields: list[tuple[str, bool]] = []
        self.label_for: set[str] = set()
        self.ids: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        elif tag in ("input", "select", "textarea") and a.get("type") != "hidden":
            name = a.get("name") or "?"
            self.fields.append((name, self.open_labels > 0 or bool(a.get("aria-label"))))
            if a.get("id"):
                self.ids[name] = a["id"]

    def handle_endtag(self, tag):
        if tag == "label":
            self.open_labels -= 1

    def unlabelled(self) -> list[str]:
        return [n for n, ok in self.fields if not ok and self.ids.get(n) not in self.label_for]


def unlabelled(html: str) -> list[str]:
    main = html.split("<main")[1]  # the header's logout form has no field
    p = Fields()
    p.feed(main)
    return p.unlabelled()


@pytest.fixture
def demo(ctx):
    from raj_release.web.app import create_app

    load_demo(ctx, DAY)
    for wid, *_ in WORKERS:
        set_password(ctx, wid, PASSWORD)
    return TestClient(create_app(ctx, secret=b"test secret"), follow_redirects=False)


def test_the_demo_weeks_are_small_labelled_and_grouped_like_the_digest(demo, capsys):
    sizes = {}
    for wid, _name, role, lang in WORKERS:
        login(demo, wid)
        r = demo.get(f"/week?as_of={DAY}")
        assert r.status_code == 200
        html = r.text
        sizes[wid] = len(r.content)
        assert len(r.content) < MAX_WEEK_BYTES, (wid, len(r.content))
        assert "<select name=\"partner" not in html  # one <datalist> per partner type instead
        assert '<input name="reason-' in html  # fields to check
        assert unlabelled(html) == [], wid
        overdue = html.split('id="overdue"')[1].split("</section>")[0]
        if role == "coordinator" or wid == "psy.janssens":
            pass
        elif lang == "fr":
            assert re.search(r"\d+ jours? ouvrables? de retard", overdue), wid
        else:
            assert re.search(r"\d+ werkdag(en)? te laat", overdue), wid
        assert not re.search(r"\d+ j<", html)  # no calendar days left unlabelled
        heading = "Pour aujourd&#39;hui" if lang == "fr" else "Vandaag"
        assert f'<section id="today"><h2>{heading} (' in html, wid
        assert 'id="meetings"' in html
    with capsys.disabled():
        print(f"\n/week on the demo, bytes of HTML: {sizes}")
    biggest = max((w for w, _n, role, _l in WORKERS if role in ("as", "psy")), key=sizes.get)
    assert biggest == "as.dupont"  # the demo's biggest caseload (7 files)


def test_the_dashboard_says_how_it_counts_and_clears_its_filters(demo):
    login(demo, "coord.martin")
    html = demo.get(f"/dashboard?worker=psy.lambert&as_of={DAY}").text
    assert "built-in method" not in html
    clear = re.search(r'<a id="clear" href="([^"]+)">([^<]+)</a>', html)
    assert clear and clear.groups() == (f"/dashboard?as_of={DAY}", "Effacer les filtres")
    assert "Chaque travailleur·euse compte ses propres démarches, selon qui en est chargé" in html
    assert "Les démarches dont Chloé Lambert (fictive) est chargé·e" in html
    listed = html.split('id="overdue-list"')[1].split("</section>")[0]
    assert re.findall(r"<td data-label=\"Retard\">(\d+) jours? ouvrables? de retard</td>", listed)
    counts = html.split('id="counts"')[1].split("</section>")[0]
    # 3: DEMO-02's housing application got a new date (issue 12's demo), and its TAP file, which waits for it, too
    assert re.findall(r">Chloé Lambert \(fictive\)</a></td><td class=\"num\">(\d+)<", counts) == ["3"]
    assert "as.dupont" not in counts.split("</div>")[0]  # filtered: only her own count, not her binôme's
    whole = demo.get(f"/dashboard?as_of={DAY}").text
    assert 'id="clear"' not in whole and unlabelled(whole) == []
    assert "identite" not in whole.split('id="hearings"')[1]  # pillars by their words


# ---------------------------------------------------------------------------------------------------------
# the week's one form

@pytest.fixture
def web(ctx):
    from raj_release.web.app import create_app

    for wid, role, lang in [("as.a", "as", "fr"), ("psy.a", "psy", "nl")]:
        register_worker(ctx, wid, wid.upper(), role, lang)
        set_password(ctx, wid, PASSWORD)
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=DAY, needs=["housing"],
                    milestones=[Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 6, 15))])
    return TestClient(create_app(ctx, secret=b"test secret"), follow_redirects=False)


def _row(html: str, key: str) -> tuple[str, str, str]:
    """(the « Fait » value, the row's number, the version) of démarche `key` on the page."""
    m = re.search(rf'name="done" value="(P-A {key} (\d+))">.*?name="other" value="([0-9]+[a-z]) P-A {key} ', html,
                  re.S)
    assert m, key
    return m.group(1), m.group(3), m.group(2)


def _status(ctx, key: str) -> tuple[str, str | None]:
    from sqlalchemy import select

    from raj_release.store import models as m
    with ctx.db.reading() as s:
        return tuple(s.execute(select(m.Demarche.status, m.Demarche.partner_id).join(m.Person)
                               .where(m.Person.ref == "P-A", m.Demarche.key == key)).one())


def test_the_week_form_sets_a_status_with_a_partner_chosen_from_the_pages_list(web, ctx):
    login(web, "as.a")
    page = web.get(f"/week?as_of={LATER}").text
    assert re.search(r'<form method="post" action="/week/demarches\?as_of=[^"]+" id="week-demarches">\s*'
                     r'<input type="hidden" name="csrf" value="[^"]+">\s*(\{#.*?#\}\s*)?'
                     r'<button type="submit" disabled hidden', page)  # Enter in a field submits nothing
    _done, n, _version = _row(page, "eid_check")
    field = re.search(rf'<input name="partner-{n}" list="([^"]+)">', page).group(1)
    options = re.search(rf'<datalist id="{field}">(.*?)</datalist>', page).group(1)
    assert 'value="commune-demo"' in options
    name = ctx.config.partners["commune-demo"].name
    r = web.post(f"/week/demarches?as_of={LATER}", data={
        "csrf": csrf_of(page), "other": f"{n} P-A eid_check {_version}", f"status-{n}": "on-hold",
        f"partner-{n}": name})  # typed as the list shows it: its name
    assert r.status_code == 303 and "error" not in r.headers["location"]
    assert _status(ctx, "eid_check") == ("on-hold", "commune-demo")
    after = web.get(f"/week?as_of={LATER}").text
    row = after.split("P-A eid_check")[0].rsplit("<tr", 1)[1]
    assert name.replace("'", "&#39;") in row  # waiting on the partner, by its name


def test_the_week_form_refuses_in_one_line_and_changes_nothing(web, ctx):
    login(web, "as.a")
    page = web.get(f"/week?as_of={LATER}").text
    token = csrf_of(page)
    done, n, version = _row(page, "intake_fiche")
    before = _status(ctx, "intake_fiche")
    # not applicable without a reason
    r = web.post(f"/week/demarches?as_of={LATER}", data={"csrf": token, "other": f"{n} P-A intake_fiche {version}",
                                                          f"status-{n}": "cancelled"})
    assert r.status_code == 303 and "error=" in r.headers["location"]
    assert 'class="error" role="alert"' in web.get(r.headers["location"]).text  # the service's one line
    # a button the page never sends
    r = web.post(f"/week/demarches?as_of={LATER}", data={"csrf": token, "done": "P-A intake_fiche"})
    assert "Ce bouton ne désigne aucune démarche de la semaine." in web.get(r.headers["location"]).text
    # someone changed the file meanwhile
    r = web.post(f"/week/demarches?as_of={LATER}", data={"csrf": token, "done": f"P-A intake_fiche {int(version) + 5}"})
    assert "error=" in r.headers["location"]
    # without the session's token
    assert web.post(f"/week/demarches?as_of={LATER}", data={"done": done}).status_code == 403
    # a person out of scope is not found
    r = web.post(f"/week/demarches?as_of={LATER}", data={"csrf": token, "done": "P-Z intake_fiche 1"})
    assert r.status_code == 404
    assert _status(ctx, "intake_fiche") == before
    # and the Dutch-speaking psychologue reads the refusal in Dutch
    login(web, "psy.a")
    page = web.get(f"/week?as_of={LATER}").text
    r = web.post(f"/week/demarches?as_of={LATER}", data={"csrf": csrf_of(page), "other": "x"})
    assert "Deze knop verwijst naar geen enkele stap van de week." in web.get(r.headers["location"]).text
