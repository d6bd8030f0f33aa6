"""Leaves (not a release) and meetings, through the services, the JSON API and the pages; the contact alert
after release at the outbox level. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from raj_release.config import load_config
from raj_release.domain import Milestone, MilestoneKind
from raj_release.errors import NotFound, RajError
from raj_release.services.access import load_viewer
from raj_release.services.auth import create_token, set_password
from raj_release.services.leaves import add_leave, leaves_of, pin_into_leave, remove_leave
from raj_release.services.milestones import set_milestone
from raj_release.services.persons import register_person, show_plan
from raj_release.services.reminders import sweep
from raj_release.services.visits import add_visit, set_outcome, visits_of
from raj_release.services.week import my_week
from raj_release.services.workers import register_worker
from raj_release.settings import PROJECT_ROOT
from raj_release.store import models as m

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

D = dt.date
TODAY = D(2026, 11, 23)  # a Monday
PASSWORD = "une phrase assez longue"


@pytest.fixture
def people(ctx):
    for wid, role in [("as.a", "as"), ("psy.a", "psy"), ("as.b", "as"), ("psy.b", "psy"), ("coord", "coordinator")]:
        register_worker(ctx, wid, wid.upper(), role, "fr")
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=D(2027, 6, 15))]
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=TODAY,
                    needs=["housing", "income", "cure"], milestones=hearing)
    register_person(ctx, ref="P-B", prison="ittre", as_id="as.b", psy_id="psy.b", today=TODAY, needs=["income"],
                    milestones=hearing)
    return ctx


def events(ctx, action: str) -> list[m.AuditEvent]:
    with ctx.db.transaction() as s:
        return list(s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == action)))


def dues(ctx, ref: str) -> dict[str, dt.date | None]:
    return {d.key: d.due for d in show_plan(ctx, ref, today=TODAY).demarches}


# ---------------------------------------------------------------------------------------------------------
# leaves


def test_leave_add_list_remove_audited(people):
    ctx = people
    v = add_leave(ctx, "P-A", kind="cp", start=D(2026, 12, 4), end=D(2026, 12, 7), today=TODAY, actor="as.a")
    assert (v.kind.value, v.start, v.end, v.pin_day, v.past) == ("cp", D(2026, 12, 4), D(2026, 12, 7),
                                                                 D(2026, 12, 7), False)
    assert [x.id for x in leaves_of(ctx, "P-A", today=TODAY)] == [v.id]
    assert leaves_of(ctx, "P-A", today=D(2026, 12, 8))[0].past
    [e] = events(ctx, "leave.added")
    assert e.actor == "as.a" and e.new == {"kind": "cp", "start": "2026-12-04", "end": "2026-12-07"}
    remove_leave(ctx, "P-A", v.id, today=TODAY, actor="as.a")
    assert leaves_of(ctx, "P-A", today=TODAY) == []
    assert events(ctx, "leave.removed")[0].old["kind"] == "cp"
    with pytest.raises(NotFound):
        remove_leave(ctx, "P-A", v.id, today=TODAY)


@pytest.mark.parametrize("kw,field", [
    (dict(kind="cp", start=D(2026, 12, 7), end=D(2026, 12, 4)), "end"),
    (dict(kind="vacances", start=D(2026, 12, 4), end=D(2026, 12, 7)), "kind"),
    (dict(kind="ps", start=D(1980, 1, 1), end=D(2026, 12, 7)), "start"),
    (dict(kind="iep", start=D(2026, 12, 1), end=D(2028, 12, 1)), "end"),
])
def test_a_bad_leave_is_refused_with_one_line_and_nothing_changes(people, kw, field):
    with pytest.raises(RajError) as e:
        add_leave(people, "P-A", today=TODAY, **kw)
    assert e.value.field == field and "\n" not in str(e.value)
    assert leaves_of(people, "P-A", today=TODAY) == [] and events(people, "leave.added") == []


def test_a_leave_is_scoped_like_the_plan(people):
    with people.db.transaction() as s:
        other = load_viewer(s, "as.b")
    with pytest.raises(NotFound) as e:
        add_leave(people, "P-A", kind="ps", start=D(2026, 12, 4), end=D(2026, 12, 4), today=TODAY, viewer=other)
    assert "not found" in str(e.value)
    with pytest.raises(NotFound):
        leaves_of(people, "P-A", today=TODAY, viewer=other)


def test_a_leave_is_not_a_release_j_anchored_demarches_keep_their_dates(people):
    ctx = people
    set_milestone(ctx, "P-A", "actual_release", date=D(2027, 7, 1), today=TODAY)
    before = dues(ctx, "P-A")
    add_leave(ctx, "P-A", kind="cp", start=D(2027, 1, 8), end=D(2027, 1, 11), today=TODAY)
    assert dues(ctx, "P-A") == before
    plan = show_plan(ctx, "P-A", today=TODAY)
    assert any(d.anchor == "J" for d in plan.demarches)  # there are J-anchored démarches, and they did not move
    assert [ms.kind for ms in plan.milestones].count(MilestoneKind.ACTUAL_RELEASE) == 1


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["ps", "cp", "iep", "dl"]), start=st.dates(D(2026, 1, 1), D(2028, 12, 31)),
       length=st.integers(0, 120))
def test_adding_any_leave_changes_no_due_date(people, kind, start, length):
    before = dues(people, "P-B")
    add_leave(people, "P-B", kind=kind, start=start, end=start + dt.timedelta(days=length), today=TODAY)
    assert dues(people, "P-B") == before


PRISON_CODES = sorted(load_config(PROJECT_ROOT / "config").prisons)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prison=st.sampled_from(PRISON_CODES), on=st.dates(D(2026, 1, 1), D(2028, 12, 31)))
def test_a_transfer_to_any_prison_changes_no_due_date(people, prison, on):
    """A transfer changes the competent CPAS (prisons.yaml), never when the démarches are due."""
    from raj_release.errors import RajError as Refused
    from raj_release.services.lifecycle import transfer_person

    before = dues(people, "P-B")
    try:
        transfer_person(people, "P-B", prison=prison, date=on, today=TODAY, actor="as.b")
    except Refused as e:  # the prison the person is already in
        assert e.field == "prison", e
    assert dues(people, "P-B") == before


def test_pin_a_demarche_that_needs_the_person_outside_into_a_leave(people):
    ctx = people
    leave = add_leave(ctx, "P-A", kind="ps", start=D(2026, 12, 11), end=D(2026, 12, 13), today=TODAY)  # Fri-Sun
    assert leave.pin_day == D(2026, 12, 11)  # the last working day of the leave
    view = pin_into_leave(ctx, "P-A", "eid_renew", leave.id, today=TODAY, actor="as.a")
    d = next(x for x in view.demarches if x.key == "eid_renew")
    assert (d.due, d.pinned) == (D(2026, 12, 11), True)
    assert "permission de sortie du 11/12/2026" in events(ctx, "demarche.pinned")[0].reason  # in words
    with pytest.raises(RajError) as e:
        pin_into_leave(ctx, "P-A", "intake_fiche", leave.id, today=TODAY)
    assert e.value.field == "key"
    weekend = add_leave(ctx, "P-A", kind="ps", start=D(2026, 12, 19), end=D(2026, 12, 20), today=TODAY)
    assert weekend.pin_day is None
    with pytest.raises(RajError):
        pin_into_leave(ctx, "P-A", "housing_apply", weekend.id, today=TODAY)


# ---------------------------------------------------------------------------------------------------------
# meetings


def test_meetings_store_the_binome_members_and_check_the_outcome(people):
    ctx = people
    v1 = add_visit(ctx, "P-A", day=D(2026, 11, 20), place="prison", outcome="not-held", reason="strike",
                   today=TODAY, actor="as.a")
    assert (v1.as_id, v1.psy_id, v1.with_.value, v1.reason.value) == ("as.a", "psy.a", "both", "strike")
    v2 = add_visit(ctx, "P-A", day=D(2026, 11, 25), place="service", with_="psy", today=TODAY)
    assert (v2.as_id, v2.psy_id, v2.outcome.value) == (None, "psy.a", "planned")
    for kw, field in [(dict(outcome="held", reason="strike"), "reason"), (dict(outcome="not-held"), "reason"),
                      (dict(outcome="planned", reason="absent"), "reason"),
                      (dict(outcome="held", day=D(2026, 11, 30)), "outcome"), (dict(place="bar"), "place"),
                      (dict(with_="everyone"), "with"), (dict(outcome="not-held", reason="rain"), "reason")]:
        args = dict(day=D(2026, 11, 20), place="prison") | kw
        with pytest.raises(RajError) as e:
            add_visit(ctx, "P-A", today=TODAY, **args)
        assert e.value.field == field, kw
    assert len(visits_of(ctx, "P-A", today=TODAY)) == 2
    with pytest.raises(RajError):
        set_outcome(ctx, "P-A", v2.id, outcome="held", today=TODAY)  # not yet the day
    later = D(2026, 11, 26)
    assert visits_of(ctx, "P-A", today=later)[1].awaiting_outcome
    got = set_outcome(ctx, "P-A", v2.id, outcome="held", today=later, actor="psy.a")
    assert got.outcome.value == "held" and not got.awaiting_outcome
    [e] = events(ctx, "visit.outcome")
    assert (e.old, e.new) == ({"outcome": "planned", "reason": None}, {"outcome": "held", "reason": None})
    with pytest.raises(NotFound):
        set_outcome(ctx, "P-B", v2.id, outcome="held", today=later)  # another person's meeting
    assert len(events(ctx, "visit.added")) == 2


def test_my_week_lists_my_meetings_and_asks_for_past_outcomes(people):
    ctx = people
    add_visit(ctx, "P-A", day=D(2026, 11, 24), place="prison", with_="as", today=TODAY)
    add_visit(ctx, "P-A", day=D(2026, 11, 26), place="prison", with_="psy", today=TODAY)
    add_visit(ctx, "P-A", day=D(2026, 11, 13), place="remote", today=TODAY)  # past, still planned
    add_visit(ctx, "P-A", day=D(2026, 11, 12), place="prison", outcome="held", today=TODAY)  # past, recorded
    add_visit(ctx, "P-B", day=D(2026, 11, 24), place="prison", today=TODAY)
    with ctx.db.transaction() as s:
        as_a, psy_a, coord = (load_viewer(s, w) for w in ("as.a", "psy.a", "coord"))
    w = my_week(ctx, as_a, TODAY)
    assert [(i.ref, i.day) for i in w.meetings] == [("P-A", D(2026, 11, 24))]
    assert [(i.ref, i.day) for i in w.to_record] == [("P-A", D(2026, 11, 13))]
    assert [i.day for i in my_week(ctx, psy_a, TODAY).meetings] == [D(2026, 11, 26)]
    assert len(my_week(ctx, coord, TODAY).meetings) == 3


# ---------------------------------------------------------------------------------------------------------
# the contact alert after release, at the outbox level

RELEASE = D(2027, 2, 1)  # a Monday; February 2027 has no holiday: 10 working days later is Monday 15


def outbox(ctx, kind: str = "contact") -> list[tuple[str, str, str]]:
    with ctx.db.transaction() as s:
        return sorted((o.recipient, o.role, o.day.isoformat()) for o in s.scalars(
            select(m.OutboxMessage).where(m.OutboxMessage.kind == kind)))


def test_contact_alert_reminds_the_binome_then_escalates_once_each(people):
    ctx = people
    set_milestone(ctx, "P-A", "actual_release", date=RELEASE, today=RELEASE)
    assert sweep(ctx, D(2027, 2, 12)).enqueued == [] or outbox(ctx) == []
    r = sweep(ctx, D(2027, 2, 15))
    assert r.contact_candidates == 1
    assert outbox(ctx) == [("as.a", "as", "2027-02-15"), ("psy.a", "psy", "2027-02-15")]
    [msg] = [x for x in r.enqueued if x.recipient == "as.a" and x.kind == "contact"]
    assert "P-A" in msg.body and "01/02/2027" in msg.body and msg.subject.startswith("Contact après la libération")
    again = sweep(ctx, D(2027, 2, 15))
    assert [x for x in again.enqueued if x.kind == "contact"] == []
    sweep(ctx, D(2027, 2, 16))
    assert len(outbox(ctx)) == 2  # the same silence is signalled once
    sweep(ctx, D(2027, 2, 22))
    assert ("coord", "coordinator", "2027-02-22") in outbox(ctx)
    with ctx.db.transaction() as s:
        p = s.scalar(select(m.Person).where(m.Person.ref == "P-A"))
        assert (p.last_contact_point, p.last_contact_escalation) == (D(2027, 2, 15), D(2027, 2, 22))
    sweep(ctx, D(2027, 2, 23))
    assert len(outbox(ctx)) == 3


def test_a_held_meeting_after_release_silences_the_alert(people):
    ctx = people
    set_milestone(ctx, "P-A", "actual_release", date=RELEASE, today=RELEASE)
    add_visit(ctx, "P-A", day=D(2027, 2, 10), place="outside", outcome="held", today=D(2027, 2, 10))
    add_visit(ctx, "P-A", day=D(2027, 2, 12), place="outside", outcome="not-held", reason="absent",
              today=D(2027, 2, 12))  # not held: does not count
    sweep(ctx, D(2027, 2, 15))
    assert outbox(ctx) == []
    sweep(ctx, D(2027, 2, 24))  # 10 working days after the 10th
    assert [r for r, _, _ in outbox(ctx)] == ["as.a", "psy.a"]


def test_closed_files_and_persons_not_released_get_no_contact_alert(people):
    ctx = people
    set_milestone(ctx, "P-A", "actual_release", date=RELEASE, today=RELEASE)
    set_milestone(ctx, "P-B", "expected_release", date=RELEASE, today=TODAY)
    with ctx.db.transaction() as s:
        s.execute(update(m.Person).where(m.Person.ref == "P-A").values(stage="closed"))
    r = sweep(ctx, D(2027, 3, 1))
    assert r.contact_candidates == 0 and outbox(ctx) == []


def test_the_sweep_without_the_contact_part_sends_no_contact(people):
    set_milestone(people, "P-A", "actual_release", date=RELEASE, today=RELEASE)
    r = sweep(people, D(2027, 2, 15), dry_run=True, contact=False)
    assert [x for x in r.messages if x.kind == "contact"] == [] and r.contact_candidates == 0
    r = sweep(people, D(2027, 2, 15), dry_run=True)
    assert sorted(x.recipient for x in r.messages if x.kind == "contact") == ["as.a", "psy.a"]


# ---------------------------------------------------------------------------------------------------------
# the JSON API


@pytest.fixture
def api(people):
    from raj_release.web.app import create_app

    client = TestClient(create_app(people))
    client.tokens = {w: create_token(people, w, "tests") for w in ("as.a", "as.b")}
    return client


def h(api, who):
    return {"Authorization": f"Bearer {api.tokens[who]}"}


def test_api_leaves_and_visits(api):
    q = "?as_of=2026-11-23"
    r = api.post(f"/api/persons/P-A/leaves{q}", json={"kind": "cp", "start": "2026-12-04", "end": "2026-12-07"},
                 headers=h(api, "as.a"))
    assert r.status_code == 200, r.text
    lid = r.json()["id"]
    bad = api.post(f"/api/persons/P-A/leaves{q}", json={"kind": "cp", "start": "2026-12-07", "end": "2026-12-04"},
                   headers=h(api, "as.a"))
    assert bad.status_code == 422 and bad.json()["detail"].startswith("end: the leave ends")
    assert api.get(f"/api/persons/P-A/leaves{q}", headers=h(api, "as.b")).status_code == 404
    assert [x["id"] for x in api.get(f"/api/persons/P-A/leaves{q}", headers=h(api, "as.a")).json()] == [lid]
    version = api.get(f"/api/persons/P-A/plan{q}", headers=h(api, "as.a")).json()["person"]["version"]
    pin = api.post(f"/api/persons/P-A/leaves/{lid}/pin/eid_renew{q}", json={"version": version},
                   headers=h(api, "as.a"))
    assert pin.status_code == 200, pin.text
    assert next(d for d in pin.json()["demarches"] if d["key"] == "eid_renew")["due"] == "2026-12-07"
    assert api.delete(f"/api/persons/P-A/leaves/{lid}{q}", headers=h(api, "as.a")).status_code == 200

    r = api.post(f"/api/persons/P-A/visits{q}", json={"day": "2026-11-20", "place": "prison", "with": "as",
                                                      "outcome": "not-held", "reason": "strike"},
                 headers=h(api, "as.a"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["as"], body["psy"], body["with"], body["reason"]) == ("as.a", None, "as", "strike")
    bad = api.post(f"/api/persons/P-A/visits{q}", json={"day": "2026-11-20", "place": "prison", "outcome": "held",
                                                        "reason": "strike"}, headers=h(api, "as.a"))
    assert bad.status_code == 422 and bad.json()["detail"].startswith("reason: ")
    r = api.patch(f"/api/persons/P-A/visits/{body['id']}{q}", json={"outcome": "held"}, headers=h(api, "as.a"))
    assert r.status_code == 200 and r.json()["outcome"] == "held"
    assert [x["outcome"] for x in api.get(f"/api/persons/P-A/visits{q}", headers=h(api, "as.a")).json()] == ["held"]
    week = api.get("/api/week?as_of=2026-11-23", headers=h(api, "as.a")).json()
    assert week["meetings"] == [] and week["to_record"] == []
    paths = api.get("/api/openapi.json").json()["paths"]
    assert {"/api/persons/{ref}/leaves", "/api/persons/{ref}/leaves/{leave_id}",
            "/api/persons/{ref}/visits", "/api/persons/{ref}/visits/{visit_id}"} <= set(paths)


# ---------------------------------------------------------------------------------------------------------
# the pages


@pytest.fixture
def web(people):
    from raj_release.web.app import create_app

    set_password(people, "as.a", PASSWORD)
    client = TestClient(create_app(people, secret=b"test secret"), follow_redirects=False)
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": "as.a", "password": PASSWORD, "csrf": csrf}).status_code == 303
    return client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_plan_page_leaves_pin_and_meetings(web, people):
    q = "?as_of=2026-11-23"
    page = web.get(f"/persons/P-A{q}")
    assert page.status_code == 200 and "Sorties temporaires" in page.text and "Rencontres" in page.text
    assert page.text.index('id="milestones"') < page.text.index('id="leaves"') < page.text.index('id="demarches"')
    token = csrf_of(page.text)
    r = web.post(f"/persons/P-A/leaves{q}", data={"kind": "cp", "start": "2026-12-07", "end": "2026-12-04",
                                                 "csrf": token})
    assert r.status_code == 303 and "error=" in r.headers["location"]
    r = web.post(f"/persons/P-A/leaves{q}", data={"kind": "cp", "start": "2026-12-04", "end": "2026-12-07",
                                                 "csrf": token})
    assert r.status_code == 303 and "error" not in r.headers["location"]
    page = web.get(f"/persons/P-A{q}")
    assert "congé pénitentiaire" in page.text and 'class="leave"' in page.text  # the row and the band
    [lid] = [x.id for x in leaves_of(people, "P-A", today=TODAY)]
    assert f'/persons/P-A/leaves/{lid}/pin' in page.text and 'value="eid_renew"' in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    r = web.post(f"/persons/P-A/leaves/{lid}/pin{q}", data={"key": "eid_renew", "version": version, "csrf": token})
    assert r.status_code == 303
    assert dues(people, "P-A")["eid_renew"] == D(2026, 12, 7)

    r = web.post(f"/persons/P-A/visits{q}", data={"day": "2026-11-20", "place": "prison", "with": "both",
                                                 "outcome": "planned", "csrf": token})
    assert r.status_code == 303 and "error" not in r.headers["location"]
    week = web.get("/week?as_of=2026-11-23")
    assert "Rencontres passées" in week.text
    [vid] = [x.id for x in visits_of(people, "P-A", today=TODAY)]
    r = web.post(f"/persons/P-A/visits/{vid}/outcome{q}", data={"outcome": "not-held", "reason": "", "back": "week",
                                                               "csrf": token})
    assert r.status_code == 303 and r.headers["location"].startswith("/week?as_of=2026-11-23&error=")
    r = web.post(f"/persons/P-A/visits/{vid}/outcome{q}", data={"outcome": "not-held", "reason": "strike",
                                                               "back": "week", "csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/week?as_of=2026-11-23"
    assert visits_of(people, "P-A", today=TODAY)[0].reason.value == "strike"
    assert "grève" in web.get(f"/persons/P-A{q}").text
    assert web.post(f"/persons/P-A/visits{q}", data={"day": "2026-11-20", "place": "prison"}).status_code == 403
