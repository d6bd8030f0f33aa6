"""Accounts, API tokens, calendar feeds and who-sees-whom: the services the web workspace stands on."""

from __future__ import annotations

import datetime as dt

import pytest
from icalendar import Calendar
from sqlalchemy import select

from raj_release.domain.demarches import OPEN_STATUSES
from raj_release.domain.enums import Role
from raj_release.errors import NotFound, RajError
from raj_release.services.access import load_viewer, person_scope, visible_person_id
from raj_release.services.auth import (
    TooManyAttempts,
    authenticate,
    create_feed_secret,
    create_token,
    list_tokens,
    login_delay,
    revoke_feed,
    revoke_token,
    set_password,
    viewer_for_token,
    worker_for_feed,
)
from raj_release.services.demarches import pin_due, set_status
from raj_release.services.feeds import calendar_feed, open_demarches_of
from raj_release.services.persons import register_person
from raj_release.services.workers import ensure_organisation, register_worker
from raj_release.store import models as m

TODAY = dt.date(2026, 11, 23)
HEARING = dt.date(2027, 6, 15)
PASSWORD = "une phrase assez longue"


@pytest.fixture
def caseload(ctx):
    """Two binômes in one organisation, one person in another organisation, a coordinator and an admin."""
    from raj_release.domain import Milestone, MilestoneKind

    ensure_organisation(ctx, "autre-service", "Autre service (fictif)")
    for wid, role, org in [("as.a", "as", None), ("psy.a", "psy", None), ("as.b", "as", None),
                           ("psy.b", "psy", None), ("coord", "coordinator", None), ("admin", "admin", None),
                           ("as.x", "as", "autre-service"), ("psy.x", "psy", "autre-service")]:
        register_worker(ctx, wid, wid.upper(), role, organisation=org)
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=HEARING)]
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=TODAY, needs=["housing", "cure"], milestones=hearing)
    register_person(ctx, ref="P-B", prison="ittre", as_id="as.b", psy_id="psy.b", today=TODAY, needs=["income"], milestones=hearing)
    register_person(ctx, ref="P-AB", prison="haren", as_id="as.a", psy_id="psy.b", today=TODAY, needs=["training"], milestones=hearing)
    register_person(ctx, ref="P-X", prison="haren", as_id="as.x", psy_id="psy.x", today=TODAY, milestones=hearing)
    return ctx


def visible(ctx, worker: str) -> set[str]:
    with ctx.db.transaction() as s:
        v = load_viewer(s, worker)
        return set(s.scalars(select(m.Person.ref).where(person_scope(v))))


def test_who_sees_whom(caseload):
    assert visible(caseload, "as.a") == {"P-A", "P-AB"}
    assert visible(caseload, "psy.b") == {"P-B", "P-AB"}
    assert visible(caseload, "coord") == {"P-A", "P-B", "P-AB"}  # the whole organisation, not the other one
    assert visible(caseload, "admin") == set()  # accounts, not plans
    assert visible(caseload, "as.x") == {"P-X"}


def test_out_of_scope_is_not_found_like_a_missing_person(caseload):
    with caseload.db.transaction() as s:
        v = load_viewer(s, "as.b")
        assert visible_person_id(s, v, "P-B") > 0
        with pytest.raises(NotFound) as outside:
            visible_person_id(s, v, "P-A")
        with pytest.raises(NotFound) as missing:
            visible_person_id(s, v, "P-NOPE")
    assert str(outside.value) == "person 'P-A' not found"
    assert str(missing.value) == "person 'P-NOPE' not found"


def test_password_login_and_slowed_guessing(caseload):
    with pytest.raises(RajError, match="at least 12"):
        set_password(caseload, "as.a", "court")
    set_password(caseload, "as.a", PASSWORD, actor="admin")
    v = authenticate(caseload, "as.a", PASSWORD)
    assert (v.id, v.role, v.organisation) == ("as.a", Role.AS, "ambulatoire-forest")
    assert authenticate(caseload, "as.b", PASSWORD) is None  # no password set: cannot log in
    assert authenticate(caseload, "nobody", PASSWORD) is None
    with caseload.db.transaction() as s:
        stored = s.get(m.Worker, "as.a").password_hash
        events = [e.new for e in s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "worker.password_set"))]
    assert stored.startswith("$argon2id$") and PASSWORD not in str(events)
    # three free failures, then each try must wait longer (the fixed clock advances 1 s a call)
    for _ in range(3):
        assert authenticate(caseload, "as.a", "mauvais mot de passe") is None
    with pytest.raises(TooManyAttempts) as slowed:
        authenticate(caseload, "as.a", PASSWORD)
    assert 0 < slowed.value.retry_after <= login_delay(3)
    caseload.now.t += dt.timedelta(seconds=login_delay(3) + 1)
    assert authenticate(caseload, "as.a", PASSWORD).id == "as.a"  # a success clears the failures
    assert authenticate(caseload, "as.a", "mauvais mot de passe") is None
    assert authenticate(caseload, "as.a", PASSWORD).id == "as.a"
    assert [login_delay(n) for n in range(7)] == [0, 0, 0, 2, 4, 8, 16]


def test_api_tokens(caseload):
    token = create_token(caseload, "coord", "tableur")
    assert token.startswith("raj_") and len(token) > 40
    assert viewer_for_token(caseload, token).id == "coord"
    assert viewer_for_token(caseload, token + "x") is None
    assert viewer_for_token(caseload, "") is None
    with pytest.raises(RajError, match="already has an active token"):
        create_token(caseload, "coord", "tableur")
    with caseload.db.transaction() as s:
        assert token not in [t.token_hash for t in s.scalars(select(m.ApiToken))]
    [info] = list_tokens(caseload, "coord")
    assert (info.name, info.revoked, info.last_used_at is not None) == ("tableur", False, True)
    revoke_token(caseload, "coord", "tableur")
    assert viewer_for_token(caseload, token) is None
    with pytest.raises(NotFound):
        revoke_token(caseload, "coord", "tableur")


def test_calendar_feed_holds_exactly_the_workers_open_demarches(caseload):
    set_status(caseload, "P-A", "intake_fiche", "completed", today=TODAY)
    secret = create_feed_secret(caseload, "as.a")
    assert worker_for_feed(caseload, secret) == "as.a"
    cal = Calendar.from_ical(calendar_feed(caseload, "as.a"))
    todos = cal.walk("VTODO")
    _, mine = open_demarches_of(caseload, "as.a")
    # expected from the database: open, dated démarches of P-A and P-AB that the AS or the binôme carries
    with caseload.db.transaction() as s:
        rows = s.execute(select(m.Demarche.id, m.Demarche.key, m.Person.ref).join(m.Person)
                         .where(m.Person.ref.in_(["P-A", "P-AB"]), m.Demarche.due.is_not(None),
                                m.Demarche.status.in_([x.value for x in OPEN_STATUSES]))).all()
    expected = {f"demarche-{did}@raj-release" for did, key, ref in rows
                if caseload.config.templates[key].responsible.value != "PSY"}
    assert {str(t["UID"]) for t in todos} == expected == {f"demarche-{r[0]}@raj-release" for r in mine}
    for t in todos:
        assert str(t["CLASS"]) == "CONFIDENTIAL"
        assert str(t["STATUS"]) in {"NEEDS-ACTION", "IN-PROCESS"}
        assert isinstance(t.decoded("DUE"), dt.date)
        [alarm] = t.walk("VALARM")
        assert alarm.decoded("TRIGGER") == dt.timedelta(days=-1)
        assert alarm["TRIGGER"].params["RELATED"] == "END"  # the day before DUE: a VTODO here has no start
        summary = str(t["SUMMARY"])
        assert summary.split(" · ")[0] in {"P-A", "P-AB"}
        for secret_fact in ("haren", "housing", "condamne", "HAREN", "2027-06-15"):
            assert secret_fact not in summary
    # the completed démarche left the feed; revoking the feed stops the old URL
    with caseload.db.transaction() as s:
        done = s.scalar(select(m.Demarche.id).join(m.Person).where(m.Person.ref == "P-A",
                                                                   m.Demarche.key == "intake_fiche"))
    assert f"demarche-{done}@raj-release" not in {str(t["UID"]) for t in todos}
    new_secret = create_feed_secret(caseload, "as.a")
    assert worker_for_feed(caseload, secret) is None and worker_for_feed(caseload, new_secret) == "as.a"
    revoke_feed(caseload, "as.a")
    assert worker_for_feed(caseload, new_secret) is None


def test_feed_reuses_unchanged_components_and_shows_every_change(caseload):
    from raj_release.services.feeds import _component

    first = calendar_feed(caseload, "as.a")
    assert calendar_feed(caseload, "as.a") is first  # nothing changed: the feed itself was kept
    caseload.db.bump()  # a change elsewhere (the data version moved): the feed is made again, from its parts
    before = _component.cache_info()
    assert calendar_feed(caseload, "as.a") == first  # same rows, same bytes
    after = _component.cache_info()
    n = len(Calendar.from_ical(first).walk("VTODO"))
    assert n > 0 and after.hits - before.hits == n and after.misses == before.misses
    # a démarche moved by a pin: the next feed has its new due date, and its DTSTAMP is when it was revised
    _, mine = open_demarches_of(caseload, "as.a")
    did, ref, key, due, _status, _updated = mine[-1]
    caseload.now = lambda: dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)
    new_due = caseload.config.calendar.previous_working_day(due - dt.timedelta(days=7))
    pin_due(caseload, ref, key, due=new_due, today=TODAY)
    todo = {str(t["UID"]): t for t in Calendar.from_ical(calendar_feed(caseload, "as.a")).walk("VTODO")}
    moved = todo[f"demarche-{did}@raj-release"]
    assert moved.decoded("DUE") == new_due
    assert moved.decoded("DTSTAMP") == dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)


def test_the_outlook_form_holds_the_same_demarches_as_all_day_events(caseload):
    """Outlook ignores VTODOs in a subscribed calendar: the events form shows each open démarche as an
    all-day, free-time event on its due date, with the same reminder and the same privacy."""
    tasks = {str(t["UID"]): t for t in Calendar.from_ical(calendar_feed(caseload, "as.a")).walk("VTODO")}
    events = {str(e["UID"]): e for e in
              Calendar.from_ical(calendar_feed(caseload, "as.a", events=True)).walk("VEVENT")}
    assert tasks and set(events) == set(tasks)
    for uid, e in events.items():
        due = tasks[uid].decoded("DUE")
        assert e.decoded("DTSTART") == due and e.decoded("DTEND") == due + dt.timedelta(days=1)
        assert str(e["TRANSP"]) == "TRANSPARENT" and str(e["CLASS"]) == "CONFIDENTIAL"
        assert str(e["SUMMARY"]) == str(tasks[uid]["SUMMARY"])
        [alarm] = e.walk("VALARM")
        assert alarm.decoded("TRIGGER") == dt.timedelta(days=-1)


def test_warming_builds_the_feeds_of_the_workers_who_have_one(caseload):
    from raj_release.services.feeds import _component, warm_feeds

    assert warm_feeds(caseload) == 0  # nobody has a feed yet
    create_feed_secret(caseload, "as.a")
    _component.cache_clear()
    n = warm_feeds(caseload)
    _, mine = open_demarches_of(caseload, "as.a")
    assert n == 2 * len(mine) > 0  # both forms
    before = _component.cache_info()
    calendar_feed(caseload, "as.a", events=True)
    assert _component.cache_info().misses == before.misses  # ready when the client comes
