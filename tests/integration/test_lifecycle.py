"""The life of a file (issue 10, points 2, 3, 4, 7): requests and stages, registering with origin and source,
changes that replan (obsolete démarches, never deleted), transfers, hand-overs, closing and reopening —
services on SQLite and PostgreSQL, the JSON API and the pages."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import pytest
import sqlalchemy as sa

from raj_release.domain import Milestone, MilestoneKind
from raj_release.errors import Conflict, RajError
from raj_release.services.auth import create_token, set_password
from raj_release.services.demarches import list_overdue
from raj_release.services.feeds import open_demarches_of
from raj_release.services.lifecycle import (
    close_person,
    closing_preview,
    edit_person,
    hand_over,
    reopen_person,
    set_stage,
    settle_obsolete,
    transfer_person,
)
from raj_release.services.persons import register_person, show_plan
from raj_release.services.reminders import load_candidates
from raj_release.services.week import my_week
from raj_release.services.workers import register_worker
from raj_release.store import models as m
from tests.integration.test_services import demarche_rows, events_since, last_event_id, person_row

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TODAY = dt.date(2027, 1, 4)
HEARING = dt.date(2027, 9, 1)
PASSWORD = "une phrase assez longue"


@pytest.fixture
def team(ctx):
    for wid, role in [("as.a", "as"), ("psy.a", "psy"), ("as.b", "as"), ("psy.b", "psy"), ("coord", "coordinator")]:
        register_worker(ctx, wid, f"Nom {wid}", role)
    return ctx


def followed(ctx, ref="P-1", needs=("housing", "income"), **kw):
    return register_person(ctx, ref=ref, prison="haren", as_id="as.a", psy_id="psy.a", today=TODAY, needs=list(needs),
                           milestones=[Milestone(kind=MilestoneKind.TAP_HEARING, date=HEARING)], actor="as.a", **kw)


def open_keys(view):
    return {d.key for d in view.demarches if d.status.value not in ("completed", "cancelled", "failed")}


# --- requests and stages -------------------------------------------------------------------------------

def test_a_request_from_outside_has_no_prison_and_no_plan_until_followed(team):
    v = register_person(team, ref="R-1", prison=None, origin="outside", stage="request", source="family",
                        as_id="as.a", psy_id="psy.a", today=TODAY, needs=["housing"])
    p = v.person
    assert (p.stage, p.origin, p.source, p.prison, p.planned, p.followed_on) == (
        "request", "outside", "family", None, False, None)
    assert v.demarches == [] and demarche_rows(team, "R-1") == {}
    v = set_stage(team, "R-1", "first-meetings", today=TODAY)
    assert v.person.stage == "first-meetings" and v.demarches == []
    v = set_stage(team, "R-1", "followed", today=TODAY, date=dt.date(2027, 1, 12))
    assert (v.person.stage, v.person.followed_on, v.person.planned) == ("followed", dt.date(2027, 1, 12), True)
    assert v.demarches and {a.key for a in v.added} == {d.key for d in v.demarches}
    assert all(a.label and a.label != a.key for a in v.added)


def test_the_plan_can_be_made_before_the_follow_up(team):
    register_person(team, ref="R-2", prison="haren", stage="first-meetings", as_id="as.a", psy_id="psy.a",
                    today=TODAY)
    v = set_stage(team, "R-2", "first-meetings", today=TODAY, plan_now=True)
    assert v.person.planned and v.person.stage == "first-meetings" and v.demarches
    v = register_person(team, ref="R-3", prison="haren", stage="request", plan_now=True, as_id="as.a",
                        psy_id="psy.a", today=TODAY)
    assert v.person.planned and v.demarches


@pytest.mark.parametrize("kw, field", [
    (dict(origin="outside", prison="haren"), "prison"),
    (dict(origin="prison", prison=None), "prison"),
    (dict(stage="closed"), "stage"),
    (dict(source="neighbour"), "source"),
    (dict(needs=["flying"]), "needs"),
])
def test_registering_refuses_bad_input_and_writes_nothing(team, kw, field):
    args = dict(ref="R-9", prison="haren", as_id="as.a", psy_id="psy.a", today=TODAY) | kw
    with pytest.raises(RajError) as e:
        register_person(team, **args)
    assert e.value.field == field
    with team.db.transaction() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(m.Person)) == 0


def test_stages_do_not_go_back_and_closing_is_not_a_stage(team):
    followed(team)
    for stage, err in (("request", Conflict), ("first-meetings", Conflict), ("followed", Conflict), ("closed", RajError)):
        with pytest.raises(err):
            set_stage(team, "P-1", stage, today=TODAY)


# --- changes that replan -------------------------------------------------------------------------------

def test_removing_a_need_marks_its_open_demarches_obsolete_never_deletes_them(team):
    v0 = followed(team)
    before = open_keys(v0)
    mark = last_event_id(team)
    v = edit_person(team, "P-1", today=TODAY, needs=["housing"], reason="revenus assurés", actor="as.a",
                    expected_version=v0.person.version)
    gone = {c.key for c in v.no_longer_applies}
    assert gone and "ris_request" in gone
    rows = demarche_rows(team, "P-1")
    assert set(rows) >= before  # nothing deleted
    assert all(rows[k].obsolete and rows[k].status == "planned" for k in gone)
    assert {d.key for d in v.demarches if d.obsolete} == gone
    events = events_since(team, mark)
    assert events[0]["action"] == "person.edited" and events[0]["new"] == {"needs": ["housing"]}
    assert {e["key"] for e in events if e["action"] == "demarche.obsolete"} == gone
    # obsolete démarches leave the reminders, the week, the feeds and the overdue lists
    later = HEARING
    assert not gone & {c.key for c in load_candidates(team, later) if c.person_ref == "P-1"}
    assert not gone & {r.key for r in list_overdue(team, today=later)}
    assert not gone & {row[2] for row in open_demarches_of(team, "as.a")[1]}
    # a need that comes back: its démarches apply again
    v = edit_person(team, "P-1", today=TODAY, needs=["housing", "income"], actor="as.a")
    assert {c.key for c in v.applies_again} == gone and not any(d.obsolete for d in v.demarches)


def test_obsolete_demarches_are_closed_or_kept(team):
    followed(team)
    v = edit_person(team, "P-1", today=TODAY, needs=["housing"])
    a, b = sorted(c.key for c in v.no_longer_applies)[:2]
    v = settle_obsolete(team, "P-1", a, keep=False, today=TODAY)
    row = demarche_rows(team, "P-1")[a]
    assert (row.status, row.reason, row.obsolete) == ("cancelled", "ne s'applique plus", False)
    settle_obsolete(team, "P-1", b, keep=True, today=TODAY)
    row = demarche_rows(team, "P-1")[b]
    assert (row.status, row.obsolete, row.pinned) == ("planned", False, True)
    edit_person(team, "P-1", today=TODAY, situation="prevenu")  # another replan leaves the kept one alone
    assert not demarche_rows(team, "P-1")[b].obsolete
    with pytest.raises(Conflict):
        settle_obsolete(team, "P-1", a, keep=True, today=TODAY)


def test_a_condamne_gets_tap_demarches_a_prevenu_loses_them(team):
    followed(team)
    # which démarches a prévenu loses is the templates' rule (DOMAIN.md §8.6, the lead's part); here: the
    # facts change, are audited, and whatever stops applying is proposed for closing, never deleted
    before = set(demarche_rows(team, "P-1"))
    mark = last_event_id(team)
    v = edit_person(team, "P-1", today=TODAY, situation="prevenu", modality="", procedure="")
    assert (v.person.situation, v.person.procedure, v.person.modality) == ("prevenu", None, None)
    assert set(demarche_rows(team, "P-1")) >= before
    assert {d.key for d in v.demarches if d.obsolete} == {c.key for c in v.no_longer_applies}
    e = next(e for e in events_since(team, mark) if e["action"] == "person.edited")
    assert e["old"] == {"situation": "condamne"} and e["new"] == {"situation": "prevenu"}
    v = edit_person(team, "P-1", today=TODAY, situation="condamne", procedure="tap")
    assert not any(d.obsolete for d in v.demarches)


def test_a_stale_version_is_refused_and_nothing_changes(team):
    v = followed(team)
    edit_person(team, "P-1", today=TODAY, interpreter=True, expected_version=v.person.version)
    with pytest.raises(Conflict) as e:
        edit_person(team, "P-1", today=TODAY, needs=[], expected_version=v.person.version)
    assert e.value.field == "version" and person_row(team, "P-1").needs == ["housing", "income"]


def test_transfer_moves_the_prison_and_the_competent_cpas(team):
    followed(team)
    mark = last_event_id(team)
    v = transfer_person(team, "P-1", prison="saint-gilles", date=dt.date(2027, 1, 10), today=TODAY,
                        reason="surpopulation", actor="as.a")
    assert (v.person.prison, v.person.prison_since) == ("saint-gilles", dt.date(2027, 1, 10))
    e = events_since(team, mark)[0]
    assert (e["action"], e["old"]["prison"], e["new"]) == (
        "person.transferred", "haren", {"prison": "saint-gilles", "since": "2027-01-10"})
    for prison, err in (("saint-gilles", Conflict), ("nowhere", RajError)):
        with pytest.raises(err) as ex:
            transfer_person(team, "P-1", prison=prison, date=dt.date(2027, 1, 11), today=TODAY)
        assert ex.value.field == "prison"
    assert person_row(team, "P-1").prison_since == dt.date(2027, 1, 10)


def test_hand_over_checks_roles_and_needs_a_reason(team):
    followed(team)
    with pytest.raises(RajError) as e:
        hand_over(team, "P-1", today=TODAY, as_id="psy.b", reason="congé")
    assert e.value.field == "as_id"
    with pytest.raises(RajError) as e:
        hand_over(team, "P-1", today=TODAY, psy_id="coord", reason="congé")
    assert e.value.field == "psy_id"
    with pytest.raises(RajError) as e:
        edit_person(team, "P-1", today=TODAY, as_id="as.b")
    assert e.value.field == "reason"
    mark = last_event_id(team)
    v = hand_over(team, "P-1", today=TODAY, as_id="as.b", reason="congé de maternité", actor="coord")
    assert (v.person.as_id, v.person.psy_id) == ("as.b", "psy.a")
    e = events_since(team, mark)[0]
    assert (e["action"], e["old"], e["new"], e["reason"]) == (
        "person.handed_over", {"as": "as.a"}, {"as": "as.b"}, "congé de maternité")


# --- close and reopen ----------------------------------------------------------------------------------

def test_closing_lists_then_cancels_the_open_demarches_and_the_file_leaves_the_lists(team):
    from raj_release.services.access import load_viewer

    v0 = followed(team)
    preview = closing_preview(team, "P-1")
    assert {c.key for c in preview} == open_keys(v0) and all(c.label for c in preview)
    mark = last_event_id(team)
    v = close_person(team, "P-1", reason="handed-over", to_service="Service fictif", today=TODAY, actor="as.a")
    p = v.person
    assert (p.stage, p.closed_on, p.close_reason, p.close_to_service) == (
        "closed", TODAY, "handed-over", "Service fictif")
    assert {c.key for c in v.closed} == open_keys(v0) and not open_keys(v)
    rows = demarche_rows(team, "P-1")
    closed = [r for r in rows.values() if r.key in open_keys(v0)]
    assert all(r.status == "cancelled" and r.reason.startswith("dossier clôturé : ") for r in closed)
    events = events_since(team, mark)
    assert [e["action"] for e in events].count("person.closed") == 1
    assert sum(e["action"] == "demarche.status" for e in events) == len(closed)
    with team.db.transaction() as s:
        as_a = load_viewer(s, "as.a")
    week = my_week(team, as_a, HEARING - dt.timedelta(days=10))
    assert not [i for i in week.overdue + week.this_week + week.on_hold if i.ref == "P-1"]
    assert not [x for x in week.milestones if x[0] == "P-1"]
    assert not open_demarches_of(team, "as.a")[1]
    assert not [c for c in load_candidates(team, HEARING) if c.person_ref == "P-1"]
    assert show_plan(team, "P-1", today=TODAY).person.stage == "closed"  # still found


@pytest.mark.parametrize("kw, field", [
    (dict(reason="handed-over"), "to_service"),
    (dict(reason="not-met"), "why"),
    (dict(reason="finished", why="release"), "why"),
    (dict(reason="other"), "detail"),
    (dict(reason="gone"), "reason"),
])
def test_closing_refuses_bad_input_and_changes_nothing(team, kw, field):
    v0 = followed(team)
    with pytest.raises(RajError) as e:
        close_person(team, "P-1", today=TODAY, **kw)
    assert e.value.field == field
    assert person_row(team, "P-1").stage == "followed" and open_keys(show_plan(team, "P-1", today=TODAY)) == open_keys(v0)


def test_a_request_not_met_closes_with_its_reason_and_a_followed_file_cannot(team):
    register_person(team, ref="R-1", prison="haren", stage="request", as_id="as.a", psy_id="psy.a", today=TODAY)
    v = close_person(team, "R-1", reason="not-met", why="release", today=TODAY)
    assert (v.person.close_reason, v.person.not_met_reason) == ("not-met", "release")
    followed(team)
    with pytest.raises(Conflict):
        close_person(team, "P-1", reason="not-met", why="release", today=TODAY)


def test_reopening_returns_to_the_stage_and_plans_again_what_the_closure_cancelled(team):
    v0 = followed(team)
    key = sorted(open_keys(v0))[0]
    from raj_release.services.demarches import set_status
    set_status(team, "P-1", key, "completed", today=TODAY)
    close_person(team, "P-1", reason="refused", today=TODAY)
    with pytest.raises(Conflict):
        close_person(team, "P-1", reason="finished", today=TODAY)
    with pytest.raises(RajError):
        reopen_person(team, "P-1", reason="  ", today=TODAY)
    v = reopen_person(team, "P-1", reason="nouvelle demande", today=TODAY)
    assert v.person.stage == "followed" and v.person.closed_on is None and v.person.close_reason is None
    assert {c.key for c in v.reopened} == open_keys(v0) - {key}
    assert demarche_rows(team, "P-1")[key].status == "completed"
    with pytest.raises(Conflict):
        reopen_person(team, "P-1", reason="encore", today=TODAY)


# --- the JSON API --------------------------------------------------------------------------------------

@pytest.fixture
def api(team):
    from raj_release.web.app import create_app

    client = TestClient(create_app(team))
    client.tokens = {w: create_token(team, w, "tests") for w in ("as.a", "coord")}
    return client


def call(api, method, who, url, body=None):
    return api.request(method, url, json=body, headers={"Authorization": f"Bearer {api.tokens[who]}"})


def test_api_registers_edits_transfers_closes_and_reopens(api):
    r = call(api, "POST", "as.a", f"/api/persons?as_of={TODAY}", {
        "ref": "API-1", "prison": "haren", "as": "as.a", "psy": "psy.a", "needs": ["housing", "income", "sejour"],
        "source": "lawyer", "dates": [{"kind": "tap_hearing", "date": HEARING.isoformat(), "certainty": "expected"}]})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["person"]["source"] == "lawyer" and body["person"]["stage"] == "followed" and body["demarches"]
    r = call(api, "POST", "as.a", "/api/persons", {"ref": "API-2", "origin": "outside", "prison": "haren",
                                                     "as": "as.a", "psy": "psy.a"})
    assert r.status_code == 422 and r.json()["detail"].startswith("prison:")
    r = call(api, "PATCH", "as.a", f"/api/persons/API-1?as_of={TODAY}", {"needs": ["housing"], "version": 1})
    assert r.status_code == 200 and r.json()["no_longer_applies"]
    assert all(c["label"] for c in r.json()["no_longer_applies"])
    r = call(api, "PATCH", "as.a", "/api/persons/API-1", {"needs": [], "version": 1})
    assert r.status_code == 409
    version = call(api, "GET", "as.a", "/api/persons/API-1/plan").json()["person"]["version"]
    r = call(api, "POST", "as.a", "/api/persons/API-1/transfer", {"prison": "nowhere", "date": "2027-01-10",
                                                                   "version": version})
    assert r.status_code == 422 and r.json()["detail"].startswith("prison:")
    r = call(api, "POST", "as.a", "/api/persons/API-1/transfer", {"prison": "ittre", "date": "2027-01-10",
                                                                   "version": version})
    assert r.status_code == 200 and r.json()["person"]["prison"] == "ittre"
    listed = call(api, "GET", "as.a", "/api/persons/API-1/closing").json()
    assert listed and all(x["label"] for x in listed)
    r = call(api, "POST", "as.a", "/api/persons/API-1/close", {"reason": "finished", "version": version + 1})
    assert r.status_code == 200 and len(r.json()["closed"]) == len(listed)
    r = call(api, "POST", "coord", "/api/persons/API-1/reopen", {"reason": "retour", "version": version + 2})
    assert r.status_code == 200 and r.json()["person"]["stage"] == "followed"
    r = call(api, "PUT", "as.a", "/api/persons/API-1/stage", {"stage": "first-meetings", "version": version + 3})
    assert r.status_code == 409


# --- the pages -----------------------------------------------------------------------------------------

@pytest.fixture
def web(team):
    from raj_release.web.app import create_app

    for wid in ("as.a", "coord"):
        set_password(team, wid, PASSWORD)
    return TestClient(create_app(team, secret=b"test secret"), follow_redirects=False)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client, who):
    page = client.get("/login")
    client.post("/login", data={"username": who, "password": PASSWORD, "csrf": csrf_of(page.text)})


def version_of(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def test_register_from_the_web_form_then_the_plan_appears(web):
    login(web, "as.a")
    page = web.get("/persons/new")
    assert page.status_code == 200
    assert "Nom as.a" in page.text and "Nom psy.a" in page.text and "Prison de Haren" in page.text
    assert 'value="sejour"' in page.text and 'value="family"' in page.text
    form = {"csrf": csrf_of(page.text), "ref": "W-1", "stage": "followed", "origin": "prison", "prison": "haren",
            "situation": "condamne", "needs": ["housing", "income"], "language": "fr", "as_id": "as.a",
            "psy_id": "psy.a", "hearing": "2027-09-01", "hearing_certainty": "expected", "source": "sps"}
    r = web.post(f"/persons/new?as_of={TODAY}", data=form)
    assert r.status_code == 303 and r.headers["location"].startswith("/persons/W-1")
    plan = web.get(r.headers["location"])
    assert plan.status_code == 200 and 'id="known"' in plan.text and "sait de la personne" in plan.text
    assert "CPAS compétent" in plan.text and "Bruxelles" in plan.text
    # an error: the form comes back with the values kept and one line
    bad = web.post("/persons/new", data=form | {"ref": "W-2", "origin": "outside"})
    assert bad.status_code == 422 and 'value="W-2"' in bad.text and "pas été enregistré" in bad.text
    assert bad.text.count('role="alert"') == 1


def test_edit_transfer_close_and_reopen_from_the_plan_page(web, team):
    followed(team)
    login(web, "as.a")
    page = web.get(f"/persons/P-1?as_of={TODAY}")
    c, ver = csrf_of(page.text), version_of(page.text)
    r = web.post(f"/persons/P-1/edit?as_of={TODAY}", data={"csrf": c, "version": ver, "needs": ["housing"],
                                                             "situation": "condamne", "language": "fr"})
    assert r.status_code == 303
    page = web.get(r.headers["location"])
    assert "applique plus" in page.text.split('id="done"')[1]
    assert re.search(r"\d\d/\d\d/\d{4}", page.text.split('id="done"')[1][:2000])
    assert "ris_request" not in page.text.split('id="done"')[1].split("</div>")[0]  # labels, not keys
    # a stale version: 409 in words
    r = web.post("/persons/P-1/transfer", data={"csrf": c, "version": ver, "prison": "ittre", "date": "2027-01-10"})
    assert r.status_code == 409 and "entre-temps" in r.text.split('id="conflict"')[1]  # the fresh plan says what changed
    ver = version_of(page.text)
    r = web.post("/persons/P-1/transfer", data={"csrf": c, "version": ver, "prison": "ittre", "date": "2027-01-10"})
    assert r.status_code == 303
    page = web.get(r.headers["location"])
    assert "Ittre" in page.text.split('id="cpas"')[1][:200]
    close = web.get("/persons/P-1/close")
    assert close.status_code == 200 and 'id="closing"' in close.text
    ver = version_of(close.text)
    r = web.post("/persons/P-1/close", data={"csrf": c, "version": ver, "reason": "handed-over"})
    assert r.status_code == 303 and "/close?error=" in r.headers["location"]
    assert person_row(team, "P-1").stage == "followed"
    r = web.post("/persons/P-1/close", data={"csrf": c, "version": ver, "reason": "finished"})
    assert r.status_code == 303
    page = web.get(r.headers["location"])
    assert 'id="closed"' in page.text and 'id="reopen"' in page.text
    r = web.post("/persons/P-1/reopen", data={"csrf": c, "version": version_of(page.text), "reason": "retour"})
    assert r.status_code == 303 and person_row(team, "P-1").stage == "followed"
