"""The file active (services/caseload.py) on SQLite and PostgreSQL: scope, closed files, search, filters, sorts,
counts, pages, bad input; `person.first_due` against the real aggregate after every kind of write; each worker's
caseload; the JSON API (/api/persons, /api/caseloads) and the page (/persons, the dashboard's caseloads)."""

from __future__ import annotations

import datetime as dt
import html as html_
import re
import warnings

import pytest
from sqlalchemy import delete, func, select, update

from raj_release.domain import Milestone, MilestoneKind
from raj_release.domain.demarches import OPEN_VALUES, concerns
from raj_release.errors import Forbidden, NotFound, RajError
from raj_release.services.access import load_viewer
from raj_release.services.auth import create_token, set_password
from raj_release.services.caseload import caseloads, list_persons
from raj_release.services.demarches import pin_due, set_status
from raj_release.services.milestones import set_milestone
from raj_release.services.persons import register_person
from raj_release.services.workers import ensure_organisation, register_worker
from raj_release.store import models as m

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

D0 = dt.date(2026, 11, 23)
LATER = dt.date(2027, 1, 20)  # the first plans' early démarches are overdue by then
PASSWORD = "une phrase assez longue"


def hearing(days: int) -> list[Milestone]:
    return [Milestone(kind=MilestoneKind.TAP_HEARING, date=D0 + dt.timedelta(days=days))]


@pytest.fixture
def office(ctx):
    """Two binômes and a coordinator in the default organisation, one binôme and a coordinator elsewhere;
    six files, one of them closed, one a request from outside."""
    ensure_organisation(ctx, "autre-service", "Autre service (fictif)")
    for wid, name, role, org in [("as.a", "Anne Assistante", "as", None), ("psy.a", "Paul Psy", "psy", None),
                                 ("as.b", "Bea Sociale", "as", None), ("psy.b", "Bram Psycholoog", "psy", None),
                                 ("coord", "Claire Coord", "coordinator", None), ("admin", "Adam Admin", "admin", None),
                                 ("as.x", "Xavier AS", "as", "autre-service"), ("psy.x", "Xena Psy", "psy", "autre-service"),
                                 ("coord.x", "Xander Coord", "coordinator", "autre-service")]:
        register_worker(ctx, wid, name, role, "nl" if wid == "psy.b" else "fr", organisation=org)
    reg = dict(today=D0)
    register_person(ctx, ref="P-A1", prison="haren", as_id="as.a", psy_id="psy.a", needs=["housing"],
                    milestones=hearing(20), **reg)
    register_person(ctx, ref="p-a2", prison="ittre", as_id="as.a", psy_id="psy.a", situation="prevenu", **reg)
    register_person(ctx, ref="P-B1", prison="saint-gilles", as_id="as.b", psy_id="psy.b", needs=["income", "debts"],
                    milestones=hearing(90), **reg)
    register_person(ctx, ref="P-B2", prison="haren", as_id="as.b", psy_id="psy.b", milestones=hearing(200), **reg)
    register_person(ctx, ref="P-C", prison="haren", as_id="as.a", psy_id="psy.b", milestones=hearing(30), **reg)
    register_person(ctx, ref="P-X", prison="haren", as_id="as.x", psy_id="psy.x", milestones=hearing(20), **reg)
    with ctx.db.transaction() as s:
        s.execute(update(m.Person).where(m.Person.ref == "P-C").values(stage="closed", closed_on=D0))
        s.execute(update(m.Person).where(m.Person.ref == "P-B2").values(stage="request", prison=None, origin="outside"))
    return ctx


def viewer(ctx, wid):
    with ctx.db.reading() as s:
        return load_viewer(s, wid)


def refs(result) -> list[str]:
    return [r.ref for r in result.rows]


def first_due_drift(ctx) -> list:
    """Persons whose first_due differs from the earliest due of their open démarches that still apply."""
    d = m.Demarche
    real = (select(func.min(d.due)).where(d.person_id == m.Person.id, d.status.in_(OPEN_VALUES),
                                          d.obsolete.is_(False)).correlate(m.Person).scalar_subquery())
    with ctx.db.reading() as s:
        rows = s.execute(select(m.Person.ref, m.Person.first_due, real)).all()
    assert rows
    return [r for r in rows if r[1] != r[2]]


def earliest_open(ctx, ref):
    with ctx.db.reading() as s:
        return s.execute(select(m.Demarche.key, m.Demarche.due).join(m.Person)
                         .where(m.Person.ref == ref, m.Demarche.status.in_(OPEN_VALUES), m.Demarche.due.is_not(None))
                         .order_by(m.Demarche.due, m.Demarche.key)).first()


def test_first_due_is_kept_true_by_every_writer(office):
    ctx = office
    assert first_due_drift(ctx) == []  # registration
    key, due = earliest_open(ctx, "P-A1")
    with ctx.db.reading() as s:
        assert s.scalar(select(m.Person.first_due).where(m.Person.ref == "P-A1")) == due
    set_status(ctx, "P-A1", key, "completed", today=D0)
    assert first_due_drift(ctx) == [] and earliest_open(ctx, "P-A1")[1] >= due
    key2, _ = earliest_open(ctx, "P-A1")
    pin_due(ctx, "P-A1", key2, due=D0 + dt.timedelta(days=3), today=D0)
    assert first_due_drift(ctx) == []
    set_milestone(ctx, "P-B1", "tap_hearing", date=D0 + dt.timedelta(days=40), today=D0)  # a replan
    assert first_due_drift(ctx) == []
    set_status(ctx, "P-A1", key, "in-progress", today=D0, reason="pas fini")  # reopened
    assert first_due_drift(ctx) == []
    with ctx.db.transaction() as s:  # a démarche that no longer applies, then one deleted
        k, _ = earliest_open(ctx, "P-B1")
        pid = s.scalar(select(m.Person.id).where(m.Person.ref == "P-B1"))
        s.execute(update(m.Demarche).where(m.Demarche.person_id == pid, m.Demarche.key == k).values(obsolete=True))
        s.execute(delete(m.Demarche).where(m.Demarche.person_id == pid, m.Demarche.key == earliest_open(ctx, "P-B2")[0]))
    assert first_due_drift(ctx) == []
    with ctx.db.transaction() as s:  # every démarche closed: no next due
        s.execute(update(m.Demarche).where(m.Demarche.person_id == pid).values(status="cancelled", reason="x"))
    assert first_due_drift(ctx) == []
    with ctx.db.reading() as s:
        assert s.scalar(select(m.Person.first_due).where(m.Person.id == pid)) is None


def test_scope_of_each_role(office):
    ctx = office
    assert sorted(refs(list_persons(ctx, today=D0, viewer=viewer(ctx, "as.a"), sort="ref"))) == ["P-A1", "p-a2"]
    assert refs(list_persons(ctx, today=D0, viewer=viewer(ctx, "psy.b"), sort="ref")) == ["P-B1", "P-B2"]
    assert refs(list_persons(ctx, today=D0, viewer=viewer(ctx, "psy.b"), sort="ref", closed=True)) == [
        "P-B1", "P-B2", "P-C"]
    assert refs(list_persons(ctx, today=D0, viewer=viewer(ctx, "coord"), sort="ref")) == [
        "P-A1", "P-B1", "P-B2", "p-a2"]
    assert refs(list_persons(ctx, today=D0, viewer=viewer(ctx, "coord.x"), sort="ref", closed=True)) == ["P-X"]
    assert list_persons(ctx, today=D0, viewer=viewer(ctx, "admin")).total == 0
    # a worker's filter does not widen the scope: another binôme's person stays out of sight
    assert list_persons(ctx, today=D0, viewer=viewer(ctx, "as.a"), worker="as.b").total == 0
    assert list_persons(ctx, today=D0, viewer=viewer(ctx, "coord"), search="P-X", closed=True).total == 0
    # the operator (no viewer) sees every organisation, or one
    assert list_persons(ctx, today=D0).total == 5
    assert refs(list_persons(ctx, today=D0, organisation="autre-service")) == ["P-X"]
    with pytest.raises(NotFound, match="unknown organisation"):
        list_persons(ctx, today=D0, organisation="nope")


def test_closed_files_counts_and_stage(office):
    ctx = office
    coord = viewer(ctx, "coord")
    r = list_persons(ctx, today=D0, viewer=coord, sort="ref")
    assert r.total == 4 and "P-C" not in refs(r)
    assert r.counts == {"request": 1, "first-meetings": 0, "followed": 3, "closed": 1}
    r = list_persons(ctx, today=D0, viewer=coord, closed=True, sort="ref")
    assert r.total == 5 and "P-C" in refs(r)
    assert refs(list_persons(ctx, today=D0, viewer=coord, stage="closed")) == ["P-C"]
    assert list_persons(ctx, today=D0, viewer=coord, stage="closed").rows[0].closed_on == D0
    r = list_persons(ctx, today=D0, viewer=coord, stage="request")
    assert refs(r) == ["P-B2"] and r.total == 1 and r.counts["followed"] == 3  # counts ignore the stage asked


def test_search_and_filters(office):
    ctx = office
    coord = viewer(ctx, "coord")

    def found(**kw):
        return sorted(refs(list_persons(ctx, today=kw.pop("today", D0), viewer=coord, per_page=50, **kw)))

    assert found(search="a2") == ["p-a2"] and found(search="P-A") == ["P-A1", "p-a2"]  # any case, any part
    assert found(search="-b") == ["P-B1", "P-B2"]
    assert found(search="%") == [] and found(search="_") == []  # taken literally
    assert found(prison="haren") == ["P-A1"] and found(prison="haren", closed=True) == ["P-A1", "P-C"]
    assert found(prison="outside") == ["P-B2"]
    assert found(situation="prevenu") == ["p-a2"]
    assert found(worker="psy.b", closed=True) == ["P-B1", "P-B2", "P-C"]
    assert found(hearing_within=20) == ["P-A1"] and found(hearing_within=100) == ["P-A1", "P-B1"]
    assert found(hearing_within=0) == []
    assert found(overdue=True) == []  # on the day the plans were made nothing is late
    late = found(overdue=True, today=LATER)
    assert late and all(r.overdue > 0 for r in list_persons(ctx, today=LATER, viewer=coord, overdue=True).rows)
    everyone = list_persons(ctx, today=LATER, viewer=coord).rows
    assert late == sorted(r.ref for r in everyone if r.overdue)
    r = list_persons(ctx, today=LATER, viewer=coord, search="a", overdue=True)
    assert r.total == len(r.rows) == len([x for x in late if "a" in x.lower()])


def test_rows_sorts_and_pages(office):
    ctx = office
    coord = viewer(ctx, "coord")
    rows = list_persons(ctx, today=LATER, viewer=coord, sort="next-due").rows
    a1 = next(r for r in rows if r.ref == "P-A1")
    assert (a1.stage.value, a1.prison, a1.situation, a1.as_id, a1.as_name, a1.psy_name) == (
        "followed", "haren", "condamne", "as.a", "Anne Assistante", "Paul Psy")
    assert a1.hearing == D0 + dt.timedelta(days=20) and a1.next_due == earliest_open(ctx, "P-A1")[1]
    with ctx.db.reading() as s:
        pid = s.scalar(select(m.Person.id).where(m.Person.ref == "P-A1"))
        dem = s.execute(select(m.Demarche.due).where(m.Demarche.person_id == pid,
                                                     m.Demarche.status.in_(OPEN_VALUES))).scalars().all()
    assert a1.open == len(dem) and a1.overdue == sum(1 for d in dem if d and d < LATER)
    nexts = [r.next_due for r in rows]
    assert nexts == sorted(nexts, key=lambda d: (d is None, d or D0))
    by_overdue = list_persons(ctx, today=LATER, viewer=coord, sort="overdue").rows
    assert [r.overdue for r in by_overdue] == sorted((r.overdue for r in by_overdue), reverse=True)
    by_hearing = [r.hearing for r in list_persons(ctx, today=LATER, viewer=coord, sort="hearing").rows]
    assert by_hearing == sorted(by_hearing, key=lambda d: (d is None, d or D0)) and by_hearing[-1] is None
    assert refs(list_persons(ctx, today=D0, viewer=coord, sort="ref")) == ["P-A1", "P-B1", "P-B2", "p-a2"]
    # pages
    p1 = list_persons(ctx, today=D0, viewer=coord, sort="ref", per_page=3)
    p2 = list_persons(ctx, today=D0, viewer=coord, sort="ref", per_page=3, page=2)
    past = list_persons(ctx, today=D0, viewer=coord, sort="ref", per_page=3, page=9)
    assert (p1.pages, p1.page, refs(p1), refs(p2), p2.total) == (2, 1, ["P-A1", "P-B1", "P-B2"], ["p-a2"], 4)
    assert past.page == 2 and refs(past) == ["p-a2"]


@pytest.mark.parametrize("kw, field", [
    (dict(stage="ongoing"), "stage"), (dict(hearing_within=-1), "hearing_within"), (dict(sort="name"), "sort"),
    (dict(prison="alcatraz"), "prison"), (dict(situation="libre"), "situation"), (dict(page=0), "page"),
    (dict(per_page=0), "per_page")])
def test_bad_input_is_one_clear_refusal(office, kw, field):
    with pytest.raises(RajError) as e:
        list_persons(office, today=D0, viewer=viewer(office, "coord"), **kw)
    assert e.value.field == field and "\n" not in str(e.value)


def test_caseloads_count_each_worker_own_overdue(office):
    ctx = office
    templates = ctx.config.templates.by_key
    rows = {r.worker: r for r in caseloads(ctx, viewer(ctx, "coord"), today=LATER)}
    assert set(rows) == {"as.a", "psy.a", "as.b", "psy.b"}  # AS and psychologues of the organisation only
    assert rows["as.a"].name == "Anne Assistante" and rows["as.a"].organisation == "ambulatoire-forest"
    assert (rows["as.a"].open_files, rows["psy.b"].open_files, rows["psy.a"].open_files) == (2, 2, 2)  # P-C closed
    assert (rows["as.b"].hearings, rows["psy.b"].hearings, rows["as.a"].hearings) == (1, 1, 0)  # P-B1, 32 days on
    expected = {w: 0 for w in rows}
    with ctx.db.reading() as s:
        for key, as_id, psy_id in s.execute(
                select(m.Demarche.key, m.Person.as_id, m.Person.psy_id).join(m.Person)
                .where(m.Person.organisation_id == viewer(ctx, "coord").organisation_id, m.Person.stage != "closed",
                       m.Demarche.status.in_(OPEN_VALUES), m.Demarche.due < LATER)).all():
            for w in (as_id, psy_id):
                if concerns(templates[key].responsible, w, as_id, psy_id):
                    expected[w] += 1
    assert {w: r.overdue for w, r in rows.items()} == expected and sum(expected.values()) > 0
    assert rows["as.a"].overdue != rows["psy.a"].overdue  # routed, not the binôme's whole count
    with pytest.raises(Forbidden):
        caseloads(ctx, viewer(ctx, "as.a"), today=LATER)
    everyone = caseloads(ctx, today=LATER)
    assert {r.worker for r in everyone} == set(rows) | {"as.x", "psy.x"}
    assert {r.worker for r in caseloads(ctx, today=LATER, organisation="autre-service")} == {"as.x", "psy.x"}


# ---------------------------------------------------------------------------------------------------------
# the JSON API


@pytest.fixture
def api(office):
    from raj_release.web.app import create_app

    client = TestClient(create_app(office))
    client.tokens = {w: create_token(office, w, "tests") for w in ("as.a", "coord", "coord.x")}
    return client


def get(api, who, url):
    return api.get(url, headers={"Authorization": f"Bearer {api.tokens[who]}"})


def test_api_persons_and_caseloads(api):
    r = get(api, "coord", f"/api/persons?as_of={LATER}&search=p-&sort=ref&per_page=2")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"rows", "total", "counts", "page", "pages", "per_page", "sort"}
    assert body["total"] == 4 and body["pages"] == 2 and [x["ref"] for x in body["rows"]] == ["P-A1", "P-B1"]
    assert body["rows"][0]["as"] == "as.a" and body["rows"][0]["as_name"] == "Anne Assistante"
    assert body["counts"]["closed"] == 1
    assert [x["ref"] for x in get(api, "coord", "/api/persons?stage=closed").json()["rows"]] == ["P-C"]
    assert [x["ref"] for x in get(api, "as.a", "/api/persons?sort=ref").json()["rows"]] == ["P-A1", "p-a2"]
    assert [x["ref"] for x in get(api, "coord.x", "/api/persons?closed=true").json()["rows"]] == ["P-X"]
    hearing = get(api, "coord", f"/api/persons?hearing_within=25&as_of={D0}").json()
    assert [x["ref"] for x in hearing["rows"]] == ["P-A1"]
    for bad in ("sort=name", "stage=ongoing", "hearing_within=-1", "prison=alcatraz"):
        r = get(api, "coord", f"/api/persons?{bad}")
        assert r.status_code == 422 and bad.split("=")[0] in r.text, (bad, r.text)
    loads = get(api, "coord", f"/api/caseloads?as_of={LATER}")
    assert loads.status_code == 200 and {x["worker"] for x in loads.json()} == {"as.a", "psy.a", "as.b", "psy.b"}
    assert get(api, "as.a", "/api/caseloads").status_code == 403
    paths = api.get("/api/openapi.json").json()["paths"]
    assert "/api/caseloads" in paths and "/api/persons" in paths


# ---------------------------------------------------------------------------------------------------------
# the page


@pytest.fixture
def web(office):
    from raj_release.web.app import create_app

    for wid in ("as.a", "coord", "psy.b"):
        set_password(office, wid, PASSWORD)
    return TestClient(create_app(office, secret=b"test secret"), follow_redirects=False)


def login(client, who):
    page = client.get("/login")
    tok = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": who, "password": PASSWORD, "csrf": tok}).status_code == 303


def links(html: str) -> list[str]:
    return [x.replace("&amp;", "&") for x in re.findall(r'href="(/persons\?[^"]*)"', html)]


def test_persons_page_for_a_coordinator(web):
    assert web.get("/persons").status_code == 303  # signed out: the login page
    login(web, "coord")
    page = web.get(f"/persons?as_of={LATER}")
    assert page.status_code == 200
    html = page.text
    assert 'href="/persons"' in html  # the menu
    assert 'href="/persons/new"' in html  # room for the register button
    assert "Anne Assistante + Paul Psy" in html and "as.a +" not in html  # names, not ids
    assert "Prison de Haren" in html and "condamné" in html and "prise en charge" in html
    assert re.search(r"\d\d/\d\d/20\d\d", html) and "2027-" not in html.split("<table")[1]  # DD/MM/YYYY
    assert 'href="/persons/P-A1"' in html and "P-C" not in html.split("<table")[1]  # closed file hidden
    assert 'id="clear"' not in html  # nothing to clear
    # a search with filters: kept in the form and in every link, and a clear link that works
    page = web.get(f"/persons?search=p-&prison=haren&closed=1&sort=ref&as_of={LATER}")
    html = page.text
    assert 'name="search" value="p-"' in html and 'value="haren" selected' in html and "checked" in html
    table = html.split('<table id="persons"')[1]
    assert "P-A1" in table and "P-C" in table and "P-B1" not in table
    stage_links = [x for x in links(html) if "stage=" in x]
    assert stage_links and all("search=p-" in x and "prison=haren" in x and "as_of=" in x for x in stage_links)
    clear = re.search(r'id="clear" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert clear == f"/persons?as_of={LATER}"
    assert "P-B1" in web.get(clear).text.split('<table id="persons"')[1]
    # bad input: one clear line, not a crash
    r = web.get("/persons?sort=name")
    assert r.status_code == 422 and "Tri : tri inconnu « name »" in html_.unescape(r.text)  # the reader's words
    r = web.get("/persons?hearing_within=-3")
    assert r.status_code == 422 and "Audience dans (jours) : « -3 »" in html_.unescape(r.text)
    # the dashboard holds the caseloads
    dash = web.get(f"/dashboard?as_of={LATER}").text
    assert 'id="caseloads"' in dash and "Bea Sociale" in dash and 'href="/persons?worker=as.b"' in dash


def test_persons_page_pages_keep_the_filters(web, office):
    for i in range(55):
        register_person(office, ref=f"Q-{i:03d}", prison="ittre", as_id="as.a", psy_id="psy.a", today=D0)
    login(web, "as.a")
    html = web.get("/persons?prison=ittre&sort=ref").text
    assert "Q-000" in html and "Q-049" in html and "Q-050" not in html  # 50 a page
    nxt = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "prison=ittre" in nxt and "sort=ref" in nxt and "page=2" in nxt
    html = web.get(nxt).text
    assert "Q-054" in html and "Q-000" not in html and "p-a2" in html and 'rel="prev"' in html


def test_persons_page_in_dutch(web):
    login(web, "psy.b")
    html = web.get("/persons").text
    table = html.split('<table id="persons"')[1]
    assert "Actieve dossiers" in html and "Gevangenis van Sint-Gillis" in table and "buiten" in table.lower()
    assert "Bea Sociale + Bram Psycholoog" in html
    assert web.get("/dashboard").status_code == 403


@pytest.mark.parametrize("kw", [dict(), dict(closed=True), dict(stage="request"), dict(stage="closed"),
                                dict(sort="ref", per_page=2, page=2), dict(sort="hearing"), dict(sort="overdue"),
                                dict(per_page=1, page=9)])
def test_a_search_counted_in_one_pass_or_by_the_database_agrees(office, monkeypatch, kw):
    """A search finding few files is counted and paged from one query, one finding many like the whole list:
    both ways give the same answer."""
    import raj_release.services.caseload as caseload

    coord = viewer(office, "coord")
    one_pass = list_persons(office, today=LATER, viewer=coord, search="p-", **kw)
    monkeypatch.setattr(caseload, "SEARCH_IN_ONE_PASS", 1)
    by_database = list_persons(office, today=LATER, viewer=coord, search="p-", **kw)
    assert one_pass.as_json() == by_database.as_json()
    assert one_pass.total == len(one_pass.rows) or one_pass.pages > 1
