"""The JSON API: tokens, scoping by role (out of scope is 404, never a leak), 401, 409, 422, audited reads,
and the calendar feed route. Runs the FastAPI app in-process on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from icalendar import Calendar
from sqlalchemy import select

from raj_release.domain import Milestone, MilestoneKind
from raj_release.services.auth import create_feed_secret, create_token
from raj_release.services.demarches import set_status
from raj_release.services.feeds import open_demarches_of
from raj_release.services.persons import register_person
from raj_release.services.workers import ensure_organisation, register_worker
from raj_release.store import models as m

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TODAY = "2026-11-23"
HEARING = dt.date(2027, 6, 15)


@pytest.fixture
def api(ctx):
    from raj_release.web.app import create_app

    ensure_organisation(ctx, "autre-service", "Autre service (fictif)")
    for wid, role, org in [("as.a", "as", None), ("psy.a", "psy", None), ("as.b", "as", None),
                           ("psy.b", "psy", None), ("coord", "coordinator", None), ("admin", "admin", None),
                           ("coord.x", "coordinator", "autre-service"), ("as.x", "as", "autre-service"),
                           ("psy.x", "psy", "autre-service")]:
        register_worker(ctx, wid, wid.upper(), role, organisation=org)
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=HEARING)]
    d = dt.date.fromisoformat(TODAY)
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=d, needs=["housing"], milestones=hearing)
    register_person(ctx, ref="P-B", prison="ittre", as_id="as.b", psy_id="psy.b", today=d, needs=["income"], milestones=hearing)
    register_person(ctx, ref="P-X", prison="haren", as_id="as.x", psy_id="psy.x", today=d, milestones=hearing)
    tokens = {w: create_token(ctx, w, "tests") for w in ("as.a", "psy.a", "as.b", "coord", "admin", "coord.x")}
    client = TestClient(create_app(ctx))
    client.tokens = tokens
    return client


def get(api, who, url):
    return api.get(url, headers={"Authorization": f"Bearer {api.tokens[who]}"} if who else {})


def put(api, who, url, body):
    return api.put(url, json=body, headers={"Authorization": f"Bearer {api.tokens[who]}"} if who else {})


# who may read which person's plan
MATRIX = {
    "as.a": {"P-A"}, "psy.a": {"P-A"}, "as.b": {"P-B"}, "coord": {"P-A", "P-B"}, "admin": set(),
    "coord.x": {"P-X"},
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_plan_read_matrix(api, who):
    for ref in ("P-A", "P-B", "P-X", "P-NOPE"):
        r = get(api, who, f"/api/persons/{ref}/plan?as_of={TODAY}")
        if ref in MATRIX[who]:
            assert r.status_code == 200 and r.json()["person"]["ref"] == ref
        else:
            assert r.status_code == 404, (who, ref, r.text)
            assert r.json() == {"detail": f"person '{ref}' not found"}  # the same for hidden and missing
    refs = {p["ref"] for p in get(api, who, f"/api/persons?as_of={TODAY}").json()["rows"]}
    assert refs == MATRIX[who]
    overdue = get(api, who, "/api/overdue?as_of=2027-06-01").json()
    assert {r["person"] for r in overdue} <= MATRIX[who]


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_changes_respect_the_scope(api, who):
    for ref in ("P-A", "P-B", "P-X"):
        r = put(api, who, f"/api/persons/{ref}/demarches/intake_fiche/status?as_of={TODAY}",
                {"status": "in-progress", "version": 1})
        assert r.status_code == (200 if ref in MATRIX[who] else 404), (who, ref, r.text)


@pytest.mark.parametrize("url", ["/api/me", "/api/persons", "/api/persons/P-A/plan", "/api/overdue", "/api/week",
                                 "/api/dashboard"])
def test_anonymous_or_bad_token_is_401(api, url):
    assert api.get(url).status_code == 401
    r = api.get(url, headers={"Authorization": "Bearer raj_not-a-token"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert "token" in r.json()["detail"]


def test_concurrent_edit_is_409_and_changes_nothing(api):
    plan = get(api, "as.a", f"/api/persons/P-A/plan?as_of={TODAY}").json()
    version = plan["person"]["version"]
    first = put(api, "as.a", f"/api/persons/P-A/demarches/intake_fiche/status?as_of={TODAY}",
                {"status": "completed", "version": version})
    assert first.status_code == 200 and first.json()["status"] == "completed"
    stale = put(api, "psy.a", f"/api/persons/P-A/demarches/eid_check/status?as_of={TODAY}",
                {"status": "in-progress", "version": version})
    assert stale.status_code == 409 and "changed meanwhile" in stale.json()["detail"]
    after = get(api, "as.a", f"/api/persons/P-A/plan?as_of={TODAY}").json()
    assert {d["key"]: d["status"] for d in after["demarches"]}["eid_check"] == "planned"
    assert after["person"]["version"] == version + 1


def one_line(r) -> str:
    """The `detail` of an error answer, checked to be the one line every error answer is."""
    assert r.headers["content-type"] == "application/json" and set(r.json()) == {"detail"}
    detail = r.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail, detail
    return detail


def test_bad_input_is_422_with_a_clear_message(api):
    v = get(api, "as.a", f"/api/persons/P-A/plan?as_of={TODAY}").json()["person"]["version"]
    url = "/api/persons/P-A/demarches/intake_fiche/status"
    r = get(api, "as.a", "/api/persons/P-A/plan?as_of=2027-02-30")
    assert r.status_code == 422 and one_line(r).startswith("as_of: ") and "day value is outside" in one_line(r)
    r = put(api, "as.a", url, {"status": "done", "version": v})
    assert r.status_code == 422 and one_line(r).startswith("status: ") and "'in-progress'" in one_line(r)
    r = put(api, "as.a", "/api/persons/P-A/milestones/hearing", {"date": "2027-07-01", "version": v})
    assert r.status_code == 422 and one_line(r).startswith("kind: ") and "'tap_hearing'" in one_line(r)
    r = put(api, "as.a", "/api/persons/P-A/milestones/tap_hearing", {"date": "2027-13-01", "version": v})
    assert r.status_code == 422 and one_line(r).startswith("date: ") and "month value" in one_line(r)
    r = get(api, "as.a", "/api/week?as_of=9999-12-31")  # far from any plan: refused before any date arithmetic
    assert r.status_code == 422 and one_line(r) == "as_of: Input should be less than or equal to 2100-12-31"
    r = put(api, "as.a", url, {"status": "cancelled", "version": v})
    assert r.status_code == 422 and "needs a reason" in r.json()["detail"]
    r = put(api, "as.a", "/api/persons/P-A/milestones/tap_hearing",
            {"date": "2027-07-01", "earliest": "2027-07-10", "latest": "2027-07-05", "version": v})
    assert r.status_code == 422 and "earliest" in r.json()["detail"]
    r = put(api, "as.a", url, {"status": "completed"})  # no version
    assert r.status_code == 422 and one_line(r) == "version: Field required"
    assert get(api, "as.a", f"/api/persons/P-A/plan?as_of={TODAY}").json()["person"]["version"] == v


def test_milestone_change_replans_and_reads_are_audited(api, ctx):
    v = get(api, "coord", f"/api/persons/P-B/plan?as_of={TODAY}").json()["person"]["version"]
    r = put(api, "as.b", f"/api/persons/P-B/milestones/tap_hearing?as_of={TODAY}",
            {"date": "2027-08-17", "reason": "remise", "version": v})
    assert r.status_code == 200 and r.json()["changes"]
    with ctx.db.transaction() as s:
        reads = s.execute(select(m.AuditEvent.actor, m.AuditEvent.entity_key)
                          .where(m.AuditEvent.action == "person.read")).all()
        moved = s.scalar(select(m.AuditEvent.actor).where(m.AuditEvent.action == "milestone.set",
                                                         m.AuditEvent.entity_key == "tap_hearing",
                                                         m.AuditEvent.reason == "remise"))
    assert ("coord", "P-B") in reads and moved == "as.b"


def test_openapi_schema_and_calendar_route(api, ctx):
    schema = api.get("/api/openapi.json").json()
    assert {"/api/me", "/api/persons", "/api/persons/{ref}/plan", "/api/overdue"} <= set(schema["paths"])
    secret = create_feed_secret(ctx, "as.a")
    r = api.get(f"/calendar/{secret}.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert Calendar.from_ical(r.content).walk("VTODO")
    assert api.get("/calendar/wrong.ics").status_code == 404
    # a client polling an unchanged feed gets 304; any change to one of its démarches gives a new feed
    etag = r.headers["etag"]
    assert r.headers["cache-control"] == "private, no-cache"
    unchanged = api.get(f"/calendar/{secret}.ics", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    _, (first, *_) = open_demarches_of(ctx, "as.a")
    set_status(ctx, first[1], first[2], "completed", today=dt.date.fromisoformat(TODAY))
    changed = api.get(f"/calendar/{secret}.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert f"demarche-{first[0]}@raj-release" not in changed.text
    # the Outlook form: the same démarches as events; a wrong secret is not found there either
    events = api.get(f"/calendar/{secret}.events.ics")
    assert events.status_code == 200 and events.headers["content-type"].startswith("text/calendar")
    assert ({str(e["UID"]) for e in Calendar.from_ical(events.content).walk("VEVENT")}
            == {str(t["UID"]) for t in Calendar.from_ical(changed.content).walk("VTODO")})
    assert api.get("/calendar/wrong.events.ics").status_code == 404


def test_openapi_documents_every_answer(api):
    schema = api.get("/api/openapi.json").json()
    ops = [(path, method, op) for path, item in schema["paths"].items() if path.startswith("/api/")
           for method, op in item.items()]
    assert len(ops) >= 8
    for path, method, op in ops:
        ok = op["responses"].get("200") or op["responses"]["201"]  # 201: a person registered
        answer = ok["content"]["application/json"]["schema"]
        typed = "$ref" in answer or (answer.get("type") == "array" and "$ref" in answer.get("items", {}))
        assert typed, (method, path, answer)
    status = schema["components"]["schemas"]["StatusChange"]["properties"]["status"]
    status = schema["components"]["schemas"][status["$ref"].rsplit("/", 1)[-1]] if "$ref" in status else status
    assert set(status["enum"]) == {"planned", "in-progress", "on-hold", "completed", "cancelled", "failed"}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_week_and_dashboard_follow_the_roles(api, who):
    week = get(api, who, "/api/week?as_of=2027-05-31")
    assert week.status_code == 200
    listed = {i["person"] for part in ("overdue", "this_week", "on_hold") for i in week.json()[part]}
    assert listed <= MATRIX[who]
    dash = get(api, who, "/api/dashboard?as_of=2027-05-31")
    if who.startswith("coord"):
        body = dash.json()
        assert dash.status_code == 200
        overdue = get(api, who, "/api/overdue?as_of=2027-05-31").json()
        assert body["overdue"]["total"] == len(overdue) > 0
        assert {r["person"] for r in body["overdue"]["rows"]} <= MATRIX[who]
        assert sum(c["overdue"] for c in body["by_prison"]) == len(overdue)
        assert body["weekly"][-1]["overdue"] == len(overdue)  # 2027-05-31 is not a Monday: the bar before
    else:  # a worker's or an admin's token: refused for the role, without a word about any person
        assert dash.status_code == 403 and dash.json() == {"detail": "the dashboard is for coordinators"}


def test_dashboard_filters_and_pages_through_the_api(api):
    whole = get(api, "coord", "/api/dashboard?as_of=2027-05-31").json()
    haren = get(api, "coord", "/api/dashboard?as_of=2027-05-31&prison=haren").json()
    assert haren["filters"] == {"prison": "haren"}
    assert 0 < haren["overdue"]["total"] < whole["overdue"]["total"]
    r = get(api, "coord", "/api/dashboard?page=0")
    assert r.status_code == 422 and one_line(r).startswith("page: ")
    r = get(api, "coord", "/api/dashboard?as_of=2027-02-30")
    assert r.status_code == 422 and one_line(r).startswith("as_of: ")
