"""The use cases on a real database (SQLite, and PostgreSQL when RAJ_TEST_DATABASE_URL is set).

Each change is checked three ways: what the service returns, what the database holds afterwards, and the
audit events it wrote (who, what, old, new, why). Each refused input is checked to leave every table exactly
as it was.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from raj_release.domain.demarches import FINAL_STATUSES
from raj_release.domain.enums import Status
from raj_release.errors import Conflict, NotFound, RajError
from raj_release.services.demarches import list_overdue, pin_due, set_status, unpin
from raj_release.services.milestones import set_milestone
from raj_release.services.persons import register_person, show_plan
from raj_release.services.workers import ensure_organisation, register_worker
from raj_release.store import models as m

TODAY = dt.date(2026, 11, 23)  # a Monday
HEARING = dt.date(2027, 9, 14)  # far enough for a plan with nothing compressed
NEEDS = ["housing", "income", "cure", "substitution"]
D = dt.timedelta


# ---------------------------------------------------------------------------------------------------------
# helpers


def snapshot(ctx) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order: 'nothing written' means this is unchanged."""
    out = {}
    with ctx.db.engine.connect() as conn:
        for t in m.Base.metadata.sorted_tables:
            out[t.name] = [tuple(r) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
    return out


def counts(ctx) -> dict[str, int]:
    return {k: len(v) for k, v in snapshot(ctx).items()}


def last_event_id(ctx) -> int:
    with ctx.db.transaction() as s:
        return s.scalar(sa.select(sa.func.coalesce(sa.func.max(m.AuditEvent.id), 0)))


def events_since(ctx, after_id: int) -> list[dict]:
    with ctx.db.transaction() as s:
        rows = s.scalars(sa.select(m.AuditEvent).where(m.AuditEvent.id > after_id).order_by(m.AuditEvent.id))
        return [{"actor": e.actor, "action": e.action, "entity": e.entity, "key": e.entity_key,
                 "person_id": e.person_id, "old": e.old, "new": e.new, "reason": e.reason} for e in rows]


def person_row(ctx, ref: str) -> m.Person:
    with ctx.db.transaction() as s:
        p = s.scalar(sa.select(m.Person).where(m.Person.ref == ref))
        s.expunge(p)
        return p


def demarche_rows(ctx, ref: str) -> dict[str, m.Demarche]:
    with ctx.db.transaction() as s:
        rows = s.scalars(sa.select(m.Demarche).join(m.Person).where(m.Person.ref == ref)).all()
        for r in rows:
            s.expunge(r)
        return {r.key: r for r in rows}


def dues(view) -> dict[str, dt.date | None]:
    return {d.key: d.due for d in view.demarches}


def iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def new_person(ctx, binome, ref="P-001", hearing=HEARING, today=TODAY, **kw):
    as_id, psy_id = binome
    kw.setdefault("needs", NEEDS)
    kw.setdefault("modality", "lc")
    register_person(ctx, ref=ref, prison="haren", as_id=as_id, psy_id=psy_id, today=today, **kw)
    if hearing is None:
        return show_plan(ctx, ref, today=today)
    return set_milestone(ctx, ref, "tap_hearing", date=hearing, today=today)


def expect_refused(ctx, exc_type, match, fn, *args, **kwargs) -> str:
    """Call fn, expect exc_type with `match` in its one-line message, and nothing written anywhere."""
    before = snapshot(ctx)
    with pytest.raises(exc_type) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    assert isinstance(info.value, RajError)
    assert match in msg, msg
    assert "\n" not in msg and msg.strip() == msg and msg
    assert snapshot(ctx) == before, "a refused call changed the database"
    return msg


# ---------------------------------------------------------------------------------------------------------
# register_person


def test_register_person_writes_person_intake_plan_and_one_event(ctx, binome):
    mark = last_event_id(ctx)
    view = register_person(ctx, ref="P-001", prison="haren", as_id=binome[0], psy_id=binome[1], today=TODAY, needs=["housing", "income"], modality="lc",
                           actor="as.test")
    p = person_row(ctx, "P-001")
    assert (p.prison, p.as_id, p.psy_id, p.version, p.situation) == ("haren", "as.test", "psy.test", 1, "condamne")
    assert sorted(p.needs) == ["housing", "income"]
    assert view.as_json()["person"]["version"] == 1 and view.mode == "full"
    assert [(x["kind"], x["date"]) for x in view.as_json()["milestones"]] == [("intake", TODAY.isoformat())]
    rows = demarche_rows(ctx, "P-001")
    assert set(rows) == {d.key for d in view.demarches}
    assert {"housing_apply", "ris_prepare", "intake_fiche"} <= set(rows) and "cure_apply" not in rows
    assert all(r.status == "planned" and not r.pinned for r in rows.values())
    events = events_since(ctx, mark)
    assert len(events) == 1
    ev = events[0]
    assert (ev["actor"], ev["action"], ev["entity"], ev["key"], ev["person_id"], ev["old"]) == (
        "as.test", "person.registered", "person", "P-001", p.id, None)
    assert ev["new"]["prison"] == "haren" and ev["new"]["as"] == "as.test" and ev["new"]["psy"] == "psy.test"
    assert ev["new"]["intake"] == TODAY.isoformat() and sorted(ev["new"]["needs"]) == ["housing", "income"]
    assert ev["new"]["plan"] == {k: iso(r.due) for k, r in rows.items()}


@pytest.fixture
def other_workers(ctx):
    """A coordinator, and a binôme of another organisation."""
    register_worker(ctx, "coord.test", "Coord Fictive", "coordinator")
    ensure_organisation(ctx, "autre-service", "Autre service")
    register_worker(ctx, "as.autre", "AS Autre", "as", organisation="autre-service")
    register_worker(ctx, "psy.autre", "Psy Autre", "psy", organisation="autre-service")


GOOD = dict(ref="P-NEW", prison="haren", as_id="as.test", psy_id="psy.test", needs=["housing"])


@pytest.mark.parametrize("change, exc_type, match", [
    (dict(prison="alcatraz"), RajError, "unknown prison 'alcatraz'"),
    (dict(as_id="as.nobody"), NotFound, "as_id: unknown worker 'as.nobody'"),
    (dict(psy_id="psy.nobody"), NotFound, "psy_id: unknown worker 'psy.nobody'"),
    (dict(as_id="psy.test"), RajError, "as_id: worker 'psy.test' is psy"),
    (dict(psy_id="as.test"), RajError, "psy_id: worker 'as.test' is as"),
    (dict(as_id="coord.test"), RajError, "as_id: worker 'coord.test' is coordinator"),
    (dict(psy_id="psy.autre"), RajError, "different organisations"),
    (dict(ref="P-001"), Conflict, "person 'P-001' already exists"),
    (dict(needs=["housing", "money"]), RajError, "needs: unknown value 'money'"),
    (dict(situation="libre"), RajError, "situation: unknown value 'libre'"),
    (dict(language="en"), RajError, "language: unknown value 'en'"),
    (dict(modality="bracelet"), RajError, "modality: unknown value 'bracelet'"),
    (dict(procedure="tpi"), RajError, "procedure: unknown value 'tpi'"),
    (dict(ref="bad ref!"), RajError, "is not a valid reference"),
], ids=["prison", "as-unknown", "psy-unknown", "as-is-psy", "psy-is-as", "as-is-coordinator", "two-orgs",
        "duplicate-ref", "need", "situation", "lang", "modality", "procedure", "ref"])
def test_register_person_refuses_bad_input_and_writes_nothing(ctx, binome, other_workers, change, exc_type,
                                                                 match):
    new_person(ctx, binome, "P-001")
    before_p1 = person_row(ctx, "P-001").__dict__.copy()
    args = {**GOOD, **change}
    expect_refused(ctx, exc_type, match, register_person, ctx, today=TODAY, **args)
    after_p1 = person_row(ctx, "P-001").__dict__
    assert {k: v for k, v in after_p1.items() if not k.startswith("_")} == {
        k: v for k, v in before_p1.items() if not k.startswith("_")}


def test_register_person_counts_unchanged_after_every_refusal(ctx, binome):
    """The brief's literal check: row counts of every table before and after a series of refusals."""
    new_person(ctx, binome, "P-001")
    before = counts(ctx)
    for kwargs in (dict(prison="nowhere"), dict(as_id="x"), dict(psy_id="as.test"), dict(ref="P-001"),
                   dict(needs=["flying"])):
        args = {**GOOD, **kwargs}
        with pytest.raises(RajError):
            register_person(ctx, ref=args.pop("ref"), prison=args.pop("prison"), as_id=args.pop("as_id"), psy_id=args.pop("psy_id"),
                            today=TODAY, **args)
    assert counts(ctx) == before


# ---------------------------------------------------------------------------------------------------------
# set_milestone: the plan follows


def test_tap_postponed_two_months_moves_every_open_t_demarche(ctx, binome, templates):
    new_person(ctx, binome, "P-001", hearing=dt.date(2027, 6, 15))
    set_status(ctx, "P-001", "intake_fiche", "completed", today=TODAY, actor="as.test")
    set_status(ctx, "P-001", "housing_longterm", "cancelled", today=TODAY, reason="hébergé par sa sœur")
    set_status(ctx, "P-001", "eid_check", "in-progress", today=TODAY)
    set_status(ctx, "P-001", "domicile_fix", "on-hold", today=TODAY, partner="cpas-demo")
    before = pin_due(ctx, "P-001", "tap_debrief", due=dt.date(2027, 7, 1), today=TODAY, reason="date de l'avocat")
    version = before.as_json()["person"]["version"]
    mark = last_event_id(ctx)
    pid = person_row(ctx, "P-001").id

    view = set_milestone(ctx, "P-001", "tap_hearing", date=dt.date(2027, 8, 17), today=TODAY,
                         reason="remise: plan à compléter", actor="psy.test")

    old, new = dues(before), dues(view)
    assert set(old) == set(new)
    by_key = {d.key: d for d in before.demarches}
    t_keys = [k for k in old if templates[k].anchor.value == "T"]
    assert len(t_keys) >= 15
    for k in t_keys:
        d = by_key[k]
        if Status(d.status) in FINAL_STATUSES or d.pinned:
            assert new[k] == old[k], f"{k} ({d.status}, pinned={d.pinned}) should have stayed"
        else:
            assert new[k] > old[k], f"open {k} ({d.status}) did not move with the hearing"
    assert {k for k in t_keys if new[k] == old[k]} == {"intake_fiche", "housing_longterm", "tap_debrief"}
    # statuses of the open ones are kept: on-hold and in-progress démarches move but stay as they were
    after = {d.key: d for d in view.demarches}
    assert after["eid_check"].status == "in-progress" and after["domicile_fix"].status == "on-hold"
    assert after["domicile_fix"].partner == "cpas-demo"
    assert after["tap_debrief"].pinned and after["tap_debrief"].due == dt.date(2027, 7, 1)

    moved = {k for k in old if old[k] != new[k]}
    assert view.as_json()["changes"] == [c for c in view.as_json()["changes"] if c["key"] in moved]
    assert {c["key"]: (c["old_due"], c["new_due"]) for c in view.as_json()["changes"]} == {
        k: (iso(old[k]), iso(new[k])) for k in moved}
    assert len(view.as_json()["changes"]) == len(moved)

    # the database holds what the view says
    rows = demarche_rows(ctx, "P-001")
    assert {k: r.due for k, r in rows.items()} == new
    assert person_row(ctx, "P-001").version == version + 1 == view.as_json()["person"]["version"]
    ms = {x["kind"]: x for x in view.as_json()["milestones"]}
    assert ms["tap_hearing"]["date"] == "2027-08-17" and ms["tap_hearing"]["updated_by"] == "psy.test"

    events = events_since(ctx, mark)
    assert events[0] == {
        "actor": "psy.test", "action": "milestone.set", "entity": "milestone", "key": "tap_hearing",
        "person_id": pid, "reason": "remise: plan à compléter",
        "old": {"date": "2027-06-15", "earliest": None, "latest": None, "certainty": "confirmed"},
        "new": {"date": "2027-08-17", "earliest": None, "latest": None, "certainty": "confirmed"}}
    moves = events[1:]
    assert all(e["action"] == "demarche.moved" for e in moves), [e["action"] for e in moves]
    assert sorted(e["key"] for e in moves) == sorted(moved)
    for e in moves:
        assert (e["actor"], e["entity"], e["person_id"], e["reason"]) == (
            "psy.test", "demarche", pid, "remise: plan à compléter")
        assert e["old"] == {"due": iso(old[e["key"]])} and e["new"] == {"due": iso(new[e["key"]])}


def test_first_hearing_records_milestone_without_old_value(ctx, binome):
    new_person(ctx, binome, "P-001", hearing=None)
    # a condamné with no hearing and no release date: nothing to plan against yet
    assert all(d.due is None for d in show_plan(ctx, "P-001", today=TODAY).demarches)
    mark = last_event_id(ctx)
    view = set_milestone(ctx, "P-001", "tap_hearing", date=HEARING, today=TODAY, certainty="expected", actor="as.test")
    events = events_since(ctx, mark)
    ms = [e for e in events if e["action"] == "milestone.set"]
    assert len(ms) == 1 and ms[0]["old"] is None and ms[0]["reason"] is None
    assert ms[0]["new"] == {"date": HEARING.isoformat(), "earliest": None, "latest": None, "certainty": "expected"}
    # démarches getting their first date were planned, not moved: one plan.scheduled event lists them all
    assert not [e for e in events if e["action"] == "demarche.moved"]
    sched = [e for e in events if e["action"] == "plan.scheduled"]
    assert len(sched) == 1 and sched[0]["reason"] == f"tap_hearing set to {HEARING.isoformat()}"
    dated = sched[0]["new"]["dated"]
    assert set(dated) == {c["key"] for c in view.as_json()["changes"]} == {d.key for d in view.demarches}
    assert all(dated[d.key] == d.due.isoformat() for d in view.demarches)
    assert {e["action"] for e in events} == {"milestone.set", "plan.scheduled"}


@pytest.mark.parametrize("earliest, latest, match", [
    (dt.date(2027, 9, 20), dt.date(2027, 9, 10), "window earliest 2027-09-20 is after latest 2027-09-10"),
    (dt.date(2027, 9, 20), None, "window earliest 2027-09-20 is after the date 2027-09-14"),
    (None, dt.date(2027, 9, 1), "window latest 2027-09-01 is before the date 2027-09-14"),
])
def test_window_out_of_order_is_refused_and_writes_nothing(ctx, binome, earliest, latest, match):
    new_person(ctx, binome, "P-001", hearing=dt.date(2027, 6, 15))
    expect_refused(ctx, RajError, match, set_milestone, ctx, "P-001", "tap_hearing", date=HEARING, today=TODAY,
                   earliest=earliest, latest=latest, certainty="expected")


def test_window_plans_pre_hearing_demarches_against_the_earliest_date(ctx, binome, calendar):
    plain = new_person(ctx, binome, "P-001")
    lo = HEARING - D(28)
    view = set_milestone(ctx, "P-001", "tap_hearing", date=HEARING, today=TODAY, earliest=lo, latest=HEARING + D(14),
                         certainty="expected")
    after = {d.key: d for d in view.demarches}
    # tap_attest (T-10, nothing depends on it) and tap_debrief (T+15, after the hearing)
    assert after["tap_attest"].due == calendar.previous_working_day(lo - D(10))
    assert after["tap_debrief"].due == calendar.previous_working_day(HEARING + D(15))
    assert after["tap_debrief"].due == dues(plain)["tap_debrief"]
    assert after["tap_attest"].due < dues(plain)["tap_attest"]
    assert {x["kind"]: (x["earliest"], x["latest"]) for x in view.as_json()["milestones"]}["tap_hearing"] == (
        lo.isoformat(), (HEARING + D(14)).isoformat())


@pytest.mark.parametrize("call, exc_type, match", [
    (lambda ctx: set_milestone(ctx, "NOBODY", "tap_hearing", date=HEARING, today=TODAY), NotFound, "person 'NOBODY'"),
    (lambda ctx: set_milestone(ctx, "P-001", "hearing", date=HEARING, today=TODAY), RajError,
     "kind: unknown value 'hearing'"),
    (lambda ctx: set_milestone(ctx, "P-001", "tap_hearing", date=HEARING, today=TODAY, certainty="sure"), RajError,
     "certainty: unknown value 'sure'"),
], ids=["person", "kind", "certainty"])
def test_set_milestone_refuses_unknown_codes(ctx, binome, call, exc_type, match):
    new_person(ctx, binome, "P-001")
    expect_refused(ctx, exc_type, match, call, ctx)


# ---------------------------------------------------------------------------------------------------------
# set_status: the state machine


def test_status_change_writes_one_event(ctx, binome):
    new_person(ctx, binome, "P-001")
    pid = person_row(ctx, "P-001").id
    mark = last_event_id(ctx)
    v = set_status(ctx, "P-001", "domicile_fix", "on-hold", today=TODAY, partner="cpas-demo", actor="as.test")
    assert (v.status, v.partner, v.reason) == ("on-hold", "cpas-demo", None)
    v = set_status(ctx, "P-001", "domicile_fix", "in-progress", today=TODAY, actor="as.test")
    assert (v.status, v.partner) == ("in-progress", None)
    v = set_status(ctx, "P-001", "domicile_fix", "completed", today=TODAY, actor="psy.test")
    assert v.status == "completed"
    row = demarche_rows(ctx, "P-001")["domicile_fix"]
    assert row.status == "completed" and row.completed_at is not None and row.partner_id is None
    assert events_since(ctx, mark) == [
        {"actor": "as.test", "action": "demarche.status", "entity": "demarche", "key": "domicile_fix",
         "person_id": pid, "reason": None, "old": {"status": "planned", "partner": None},
         "new": {"status": "on-hold", "partner": "cpas-demo"}},
        {"actor": "as.test", "action": "demarche.status", "entity": "demarche", "key": "domicile_fix",
         "person_id": pid, "reason": None, "old": {"status": "on-hold", "partner": "cpas-demo"},
         "new": {"status": "in-progress", "partner": None}},
        {"actor": "psy.test", "action": "demarche.status", "entity": "demarche", "key": "domicile_fix",
         "person_id": pid, "reason": None, "old": {"status": "in-progress", "partner": None},
         "new": {"status": "completed", "partner": None}},
    ]


@pytest.mark.parametrize("status, reason", [("cancelled", None), ("cancelled", "   "), ("failed", None),
                                            ("failed", "")])
def test_cancelled_and_failed_need_a_reason(ctx, binome, status, reason):
    new_person(ctx, binome, "P-001")
    expect_refused(ctx, RajError, "reason: ", set_status, ctx, "P-001", "housing_longterm", status, today=TODAY,
                   reason=reason)


def test_cancelled_with_reason_is_recorded(ctx, binome):
    new_person(ctx, binome, "P-001")
    mark = last_event_id(ctx)
    v = set_status(ctx, "P-001", "housing_longterm", "cancelled", today=TODAY, reason="hébergé par sa sœur",
                   actor="as.test")
    assert (v.status, v.reason) == ("cancelled", "hébergé par sa sœur")
    [ev] = events_since(ctx, mark)
    assert (ev["action"], ev["key"], ev["actor"], ev["reason"]) == (
        "demarche.status", "housing_longterm", "as.test", "hébergé par sa sœur")
    assert (ev["old"]["status"], ev["new"]["status"]) == ("planned", "cancelled")
    assert demarche_rows(ctx, "P-001")["housing_longterm"].reason == "hébergé par sa sœur"


def test_completed_cannot_become_cancelled(ctx, binome):
    new_person(ctx, binome, "P-001")
    set_status(ctx, "P-001", "eid_check", "completed", today=TODAY)
    expect_refused(ctx, Conflict, "it cannot become cancelled", set_status, ctx, "P-001", "eid_check",
                   "cancelled", today=TODAY, reason="plus nécessaire")
    expect_refused(ctx, Conflict, "it cannot become planned", set_status, ctx, "P-001", "eid_check",
                   "planned", today=TODAY, reason="erreur")


def test_reopening_a_completed_demarche_needs_a_reason(ctx, binome):
    new_person(ctx, binome, "P-001")
    set_status(ctx, "P-001", "eid_check", "completed", today=TODAY)
    ctx.now.t += dt.timedelta(minutes=11)  # past the undo window of a « Fait » (decision: undo « Fait »)
    expect_refused(ctx, RajError, "reopening a completed démarche needs a reason", set_status, ctx, "P-001",
                   "eid_check", "in-progress", today=TODAY)
    mark = last_event_id(ctx)
    v = set_status(ctx, "P-001", "eid_check", "in-progress", today=TODAY, reason="eID perdue", actor="as.test")
    assert (v.status, v.reason) == ("in-progress", "eID perdue")
    row = demarche_rows(ctx, "P-001")["eid_check"]
    assert row.completed_at is None and row.status == "in-progress"
    [ev] = events_since(ctx, mark)
    assert (ev["old"]["status"], ev["new"]["status"], ev["reason"]) == ("completed", "in-progress", "eID perdue")


def test_reopening_a_cancelled_demarche_needs_a_reason(ctx, binome):
    new_person(ctx, binome, "P-001")
    set_status(ctx, "P-001", "housing_longterm", "cancelled", today=TODAY, reason="hébergé")
    expect_refused(ctx, RajError, "reopening a cancelled démarche needs a reason", set_status, ctx, "P-001",
                   "housing_longterm", "planned", today=TODAY)
    v = set_status(ctx, "P-001", "housing_longterm", "planned", today=TODAY, reason="la sœur ne peut plus")
    assert v.status == "planned"


def test_an_overdue_demarche_can_be_completed(ctx, binome):
    view = new_person(ctx, binome, "P-001")
    due = dues(view)["intake_fiche"]
    later = due + D(20)
    assert [d.overdue for d in show_plan(ctx, "P-001", today=later).demarches if d.key == "intake_fiche"] == [True]
    assert ("P-001", "intake_fiche") in {(r.person, r.key) for r in list_overdue(ctx, today=later)}
    v = set_status(ctx, "P-001", "intake_fiche", "completed", today=later)
    assert (v.status, v.overdue, v.due) == ("completed", False, due)
    assert ("P-001", "intake_fiche") not in {(r.person, r.key) for r in list_overdue(ctx, today=later)}


@pytest.mark.parametrize("status, reason, partner", [
    ("completed", None, None), ("cancelled", "sans objet", None), ("failed", "refus du CPAS", None),
    ("on-hold", None, "commune-demo"), ("in-progress", None, None), ("planned", None, None),
])
def test_same_status_twice_is_a_noop(ctx, binome, status, reason, partner):
    new_person(ctx, binome, "P-001")
    set_status(ctx, "P-001", "eid_check", status, today=TODAY, reason=reason, partner=partner)
    before = snapshot(ctx)
    v = set_status(ctx, "P-001", "eid_check", status, today=TODAY, reason=reason, partner=partner)
    assert v.status == status
    assert snapshot(ctx) == before  # no event, no version bump, no updated_at change


def test_a_partner_only_goes_with_on_hold_and_must_exist(ctx, binome):
    new_person(ctx, binome, "P-001")
    before = snapshot(ctx)
    with pytest.raises(RajError, match="only a démarche on hold waits on a partner"):
        set_status(ctx, "P-001", "eid_check", "in-progress", today=TODAY, partner="commune-demo")
    with pytest.raises(RajError, match="unknown partner 'nobody'"):
        set_status(ctx, "P-001", "eid_check", "on-hold", today=TODAY, partner="nobody")
    assert snapshot(ctx) == before


@pytest.mark.parametrize("key, status, exc_type, match", [
    ("eid_check", "done", RajError, "status: unknown value 'done'"),
    ("no_such_step", "completed", NotFound, "unknown démarche 'no_such_step'"),
    ("training_enrol", "completed", NotFound, "is not in the plan of 'P-001'"),
])
def test_set_status_refuses_unknown_codes(ctx, binome, key, status, exc_type, match):
    new_person(ctx, binome, "P-001")
    expect_refused(ctx, exc_type, match, set_status, ctx, "P-001", key, status, today=TODAY)


# ---------------------------------------------------------------------------------------------------------
# pin_due / unpin


@pytest.mark.parametrize("day, name", [
    (dt.date(2027, 7, 21), "Fête nationale"),
    (dt.date(2027, 5, 6), "Ascension"),
    (dt.date(2027, 5, 7), None),  # a Friday: the control case, accepted
    (dt.date(2027, 5, 8), "week-end"),  # 8 May 2027 is a Saturday: Iris day or week-end, both closed
    (dt.date(2027, 9, 27), "Fête de la Fédération Wallonie-Bruxelles"),
    (dt.date(2026, 12, 28), "Fermeture du service"),
    (dt.date(2027, 6, 5), "week-end"),
])
def test_pin_on_a_day_off_is_refused_naming_it(ctx, binome, calendar, day, name):
    new_person(ctx, binome, "P-001")
    if name is None:
        assert pin_due(ctx, "P-001", "tap_attest", due=day, today=TODAY).as_json()["person"]["version"] == 3
        return
    msg = expect_refused(ctx, RajError, f"{day.isoformat()} is not a working day", pin_due, ctx, "P-001",
                         "tap_attest", due=day, today=TODAY)
    assert calendar.closure_name(day) in msg
    if name != "week-end":
        assert name in msg
    assert calendar.previous_working_day(day).isoformat() in msg


@pytest.mark.parametrize("status, reason", [("completed", None), ("cancelled", "sans objet"),
                                            ("failed", "refus")])
def test_pin_of_a_finished_demarche_is_refused(ctx, binome, status, reason):
    new_person(ctx, binome, "P-001")
    set_status(ctx, "P-001", "tap_attest", status, today=TODAY, reason=reason)
    expect_refused(ctx, Conflict, f"is {status}: a finished démarche keeps its date", pin_due, ctx, "P-001",
                   "tap_attest", due=dt.date(2027, 8, 2), today=TODAY)


def test_pin_refuses_unknown_person_and_demarche(ctx, binome):
    new_person(ctx, binome, "P-001")
    expect_refused(ctx, NotFound, "person 'P-404'", pin_due, ctx, "P-404", "tap_attest", due=dt.date(2027, 8, 2),
                   today=TODAY)
    expect_refused(ctx, NotFound, "unknown démarche 'tap_atest'", pin_due, ctx, "P-001", "tap_atest",
                   due=dt.date(2027, 8, 2), today=TODAY)
    expect_refused(ctx, NotFound, "not in the plan", pin_due, ctx, "P-001", "family_meeting",
                   due=dt.date(2027, 8, 2), today=TODAY)


def test_pin_moves_prerequisites_before_the_pinned_start(ctx, binome, calendar, templates):
    plan0 = new_person(ctx, binome, "P-001")
    assert not plan0.at_risk
    pid = person_row(ctx, "P-001").id
    pinned_at = dt.date(2027, 6, 1)
    assert pinned_at < dues(plan0)["tap_file"]
    mark = last_event_id(ctx)
    view = pin_due(ctx, "P-001", "tap_file", due=pinned_at, today=TODAY, reason="audience préparatoire", actor="as.test")
    by = {d.key: d for d in view.demarches}
    tf = by["tap_file"]
    assert (tf.due, tf.pinned, tf.compressed) == (pinned_at, True, False)
    assert tf.start == calendar.add_working_days(pinned_at, -templates["tap_file"].duration)
    for p in ("housing_apply", "cure_interview"):
        assert by[p].due <= tf.start, p
        assert by[p].due < dues(plan0)[p]
    # and the whole chain holds: every open prerequisite is due by its open dependent's start
    for d in view.demarches:
        for p in d.depends_on:
            if p in by:
                assert by[p].due <= d.start, f"{p} is due after {d.key} starts"
    moved = {k for k in dues(plan0) if dues(plan0)[k] != dues(view)[k]} - {"tap_file"}
    assert {"housing_apply", "cure_interview", "cure_apply", "housing_plan", "eid_check"} <= moved
    assert {c["key"] for c in view.as_json()["changes"]} == moved
    events = events_since(ctx, mark)
    assert events[0] == {"actor": "as.test", "action": "demarche.pinned", "entity": "demarche", "key": "tap_file",
                         "person_id": pid, "reason": "audience préparatoire",
                         "old": {"due": iso(dues(plan0)["tap_file"]), "pinned": False},
                         "new": {"due": pinned_at.isoformat(), "pinned": True}}
    assert [e["action"] for e in events[1:]] == ["demarche.moved"] * len(moved)
    assert {e["key"]: (e["old"]["due"], e["new"]["due"]) for e in events[1:]} == {
        k: (iso(dues(plan0)[k]), iso(dues(view)[k])) for k in moved}
    assert all(e["reason"] == "audience préparatoire" and e["actor"] == "as.test" for e in events[1:])
    row = demarche_rows(ctx, "P-001")["tap_file"]
    assert (row.due, row.pinned) == (pinned_at, True)


def test_pinned_date_survives_a_milestone_change_and_unpin_gives_it_back(ctx, binome):
    plan0 = new_person(ctx, binome, "P-001")
    pin_due(ctx, "P-001", "tap_attest", due=dt.date(2027, 8, 30), today=TODAY)
    v = set_milestone(ctx, "P-001", "tap_hearing", date=HEARING + D(63), today=TODAY, reason="remise")
    ta = {d.key: d for d in v.demarches}["tap_attest"]
    assert (ta.due, ta.pinned) == (dt.date(2027, 8, 30), True)
    assert "tap_attest" not in {c["key"] for c in v.as_json()["changes"]}
    v = set_milestone(ctx, "P-001", "tap_hearing", date=HEARING, today=TODAY, reason="retour à la date initiale")
    assert dues(v)["tap_attest"] == dt.date(2027, 8, 30)
    pid = person_row(ctx, "P-001").id
    mark = last_event_id(ctx)
    v = unpin(ctx, "P-001", "tap_attest", today=TODAY, actor="psy.test")
    ta = {d.key: d for d in v.demarches}["tap_attest"]
    assert not ta.pinned and ta.due == dues(plan0)["tap_attest"]
    assert dues(v) == dues(plan0)  # back to the plan as it was before pinning
    assert v.as_json()["changes"] == [{"key": "tap_attest", "label": "Attestation de suivi signée AS + psy",
                                       "old_due": "2027-08-30", "new_due": iso(dues(plan0)["tap_attest"])}]
    events = events_since(ctx, mark)
    assert events == [
        {"actor": "psy.test", "action": "demarche.unpinned", "entity": "demarche", "key": "tap_attest",
         "person_id": pid, "reason": None, "old": {"due": "2027-08-30", "pinned": True}, "new": {"pinned": False}},
        {"actor": "psy.test", "action": "demarche.moved", "entity": "demarche", "key": "tap_attest",
         "person_id": pid, "reason": "tap_attest unpinned", "old": {"due": "2027-08-30"},
         "new": {"due": iso(dues(plan0)["tap_attest"])}},
    ]
    assert not demarche_rows(ctx, "P-001")["tap_attest"].pinned


def test_unpin_of_a_demarche_that_is_not_pinned_is_refused(ctx, binome):
    new_person(ctx, binome, "P-001")
    expect_refused(ctx, Conflict, "is not pinned", unpin, ctx, "P-001", "tap_attest", today=TODAY)


# ---------------------------------------------------------------------------------------------------------
# person.version


def test_person_version_increments_on_each_change_only(ctx, binome):
    def version():
        return person_row(ctx, "P-001").version

    register_person(ctx, ref="P-001", prison="haren", as_id=binome[0], psy_id=binome[1], today=TODAY, needs=NEEDS, modality="lc")
    assert version() == 1
    steps = [
        lambda: set_milestone(ctx, "P-001", "tap_hearing", date=HEARING, today=TODAY),
        lambda: set_milestone(ctx, "P-001", "expected_release", date=HEARING + D(30), today=TODAY, certainty="estimated"),
        lambda: set_status(ctx, "P-001", "intake_fiche", "completed", today=TODAY),
        lambda: set_status(ctx, "P-001", "eid_check", "on-hold", today=TODAY, partner="commune-demo"),
        lambda: pin_due(ctx, "P-001", "tap_attest", due=dt.date(2027, 8, 30), today=TODAY),
        lambda: unpin(ctx, "P-001", "tap_attest", today=TODAY),
        lambda: set_status(ctx, "P-001", "intake_fiche", "in-progress", today=TODAY, reason="à refaire"),
    ]
    for i, step in enumerate(steps, start=2):
        step()
        assert version() == i
    # reads, no-ops and refusals leave it alone
    show_plan(ctx, "P-001", today=TODAY)
    list_overdue(ctx, today=TODAY + D(400))
    set_status(ctx, "P-001", "eid_check", "on-hold", today=TODAY, partner="commune-demo")
    for bad in (lambda: set_status(ctx, "P-001", "eid_check", "cancelled", today=TODAY),
                lambda: unpin(ctx, "P-001", "tap_attest", today=TODAY),
                lambda: pin_due(ctx, "P-001", "tap_attest", due=dt.date(2027, 7, 21), today=TODAY),
                lambda: set_milestone(ctx, "P-001", "tap_hearing", date=HEARING, today=TODAY, earliest=HEARING + D(1))):
        with pytest.raises(RajError):
            bad()
    assert version() == len(steps) + 1
    assert show_plan(ctx, "P-001", today=TODAY).as_json()["person"]["version"] == len(steps) + 1


# ---------------------------------------------------------------------------------------------------------
# list_overdue


@pytest.fixture
def file_active(ctx, binome):
    """Two persons of two binômes in two prisons; P-001 has one démarche due on 24/12/2026."""
    register_worker(ctx, "as.two", "AS Deux", "as")
    register_worker(ctx, "psy.two", "Psy Deux", "psy")
    register_person(ctx, ref="P-001", prison="haren", as_id=binome[0], psy_id=binome[1], today=TODAY, needs=["housing", "income"], modality="lc")
    set_milestone(ctx, "P-001", "tap_hearing", date=dt.date(2027, 6, 15), today=TODAY)
    register_person(ctx, ref="P-002", prison="saint-gilles", as_id="as.two", psy_id="psy.two", today=TODAY, needs=["cure"], modality="se")
    set_milestone(ctx, "P-002", "tap_hearing", date=dt.date(2027, 5, 18), today=TODAY)
    pin_due(ctx, "P-001", "adm_dates_check", due=dt.date(2026, 12, 24), today=TODAY)
    set_status(ctx, "P-001", "intake_fiche", "completed", today=TODAY)
    set_status(ctx, "P-002", "intake_fiche", "cancelled", today=TODAY, reason="déjà fait par la prison")
    set_status(ctx, "P-002", "eid_check", "on-hold", today=TODAY, partner="commune-demo")


def test_overdue_lists_open_past_due_demarches_most_overdue_first(ctx, file_active):
    today = dt.date(2027, 3, 3)
    rows = list_overdue(ctx, today=today)
    assert rows == sorted(rows, key=lambda r: (r.due, r.person, r.key))
    assert [(r.due, r.person, r.key) for r in rows] == sorted((r.due, r.person, r.key) for r in rows)
    expected = set()
    for ref in ("P-001", "P-002"):
        for d in show_plan(ctx, ref, today=today).demarches:
            if d.due is not None and d.due < today and d.status not in {"completed", "cancelled", "failed"}:
                expected.add((ref, d.key))
                assert d.overdue
    assert {(r.person, r.key) for r in rows} == expected
    assert len(expected) >= 6
    keys = {(r.person, r.key) for r in rows}
    assert ("P-001", "intake_fiche") not in keys and ("P-002", "intake_fiche") not in keys
    assert ("P-002", "eid_check") in keys  # on-hold is still open, so still overdue
    by = {(r.person, r.key): r for r in rows}
    assert by[("P-002", "eid_check")].status == "on-hold"
    assert (by[("P-001", "eid_check")].prison, by[("P-001", "eid_check")].as_id) == ("haren", "as.test")
    assert (by[("P-002", "eid_check")].prison, by[("P-002", "eid_check")].psy_id) == ("saint-gilles", "psy.two")


def test_overdue_excludes_what_is_due_today(ctx, file_active):
    due = {d.key: d.due for d in show_plan(ctx, "P-001", today=TODAY).demarches}["consent_sharing"]
    keys = {(r.person, r.key) for r in list_overdue(ctx, today=due)}
    assert ("P-001", "consent_sharing") not in keys
    assert ("P-001", "consent_sharing") in {(r.person, r.key) for r in list_overdue(ctx, today=due + D(1))}


def test_overdue_filters_by_worker_and_prison(ctx, file_active):
    today = dt.date(2027, 3, 3)
    every = list_overdue(ctx, today=today)
    for worker, refs in (("as.test", {"P-001"}), ("psy.test", {"P-001"}), ("as.two", {"P-002"}),
                         ("psy.two", {"P-002"}), ("nobody", set())):
        rows = list_overdue(ctx, today=today, worker=worker)
        assert {r.person for r in rows} == refs
        assert rows == [r for r in every if r.person in refs]
    assert {r.person for r in list_overdue(ctx, today=today, prison="saint-gilles")} == {"P-002"}
    assert list_overdue(ctx, today=today, prison="haren") == [r for r in every if r.person == "P-001"]
    assert list_overdue(ctx, today=today, worker="as.two", prison="haren") == []
    assert list_overdue(ctx, today=today, worker="as.two", prison="saint-gilles") == [
        r for r in every if r.person == "P-002"]


def test_overdue_counts_calendar_and_working_days(ctx, file_active, calendar):
    # due Thursday 24/12/2026; on Monday 4/1/2027 it is 11 days late but only one working day: 25/12 and 1/1
    # are holidays, 26/12 the day after Christmas, 28-31/12 the service's closure, plus two week-ends
    today = dt.date(2027, 1, 4)
    rows = {(r.person, r.key): r for r in list_overdue(ctx, today=today)}
    r = rows[("P-001", "adm_dates_check")]
    assert (r.due, r.days_overdue, r.working_days_overdue) == (dt.date(2026, 12, 24), 11, 1)
    assert r.as_json()["due"] == "2026-12-24" and r.as_json()["as"] == "as.test"
    later = dt.date(2027, 3, 3)
    for r in list_overdue(ctx, today=later):
        assert r.days_overdue == (later - r.due).days
        by_hand = sum(calendar.is_working_day(r.due + D(i)) for i in range(1, (later - r.due).days + 1))
        assert r.working_days_overdue == by_hand


# ---------------------------------------------------------------------------------------------------------
# sudden release, prévenu


def test_sudden_release_makes_release_demarches_due_today(ctx, binome, templates):
    new_person(ctx, binome, "P-001", hearing=dt.date(2027, 6, 15))
    set_status(ctx, "P-001", "exit_kit", "completed", today=TODAY)
    release = dt.date(2027, 1, 11)  # a Monday
    before = show_plan(ctx, "P-001", today=release)
    already_late = {d.key: d.due for d in before.demarches if d.overdue}
    assert already_late  # eid_check and housing_plan were due in December
    mark = last_event_id(ctx)
    view = set_milestone(ctx, "P-001", "actual_release", date=release, today=release, reason="libération soudaine",
                         actor="as.test")
    by = {d.key: d for d in view.demarches}
    checked = 0
    for d in view.demarches:
        t = templates[d.key]
        if d.status != "planned" or d.key in already_late:
            continue
        if t.anchor.value == "R" or (t.anchor.value == "J" and t.offset <= 0):
            assert d.due == release, f"{d.key} is due {d.due}, not on the day of release"
            assert d.compressed and d.anchor_source == "actual_release"
            checked += 1
        elif t.anchor.value == "J":
            assert d.due >= release and d.anchor_source == "actual_release" and not d.provisional
    assert checked >= 8
    assert by["exit_kit"].status == "completed" and by["exit_kit"].due == dues(before)["exit_kit"]
    # replanning never hides lateness: what was already overdue keeps its date and stays overdue
    for k, due in already_late.items():
        assert by[k].due == due and by[k].overdue
    assert view.at_risk
    assert set(already_late) <= {(r.key) for r in list_overdue(ctx, today=release) if r.person == "P-001"}
    events = events_since(ctx, mark)
    assert events[0]["action"] == "milestone.set" and events[0]["old"] is None
    assert events[0]["new"]["date"] == release.isoformat() and events[0]["reason"] == "libération soudaine"
    assert {e["key"] for e in events[1:]} == {c["key"] for c in view.as_json()["changes"]}
    assert all(e["action"] == "demarche.moved" for e in events[1:])


def test_prevenu_without_dates_gets_the_kit_then_a_full_plan(ctx, binome, calendar, config):
    as_id, psy_id = binome
    view = register_person(ctx, ref="PV-01", prison="haren", as_id=as_id, psy_id=psy_id, today=TODAY, situation="prevenu",
                           needs=["housing", "income", "substitution"])
    kit = {t.key: t.kit_offset for t in config.templates if t.kit_offset is not None}
    assert view.mode == "prevenu_kit"
    assert set(dues(view)) == set(kit) == {"eid_check", "subst_relay", "mutuelle_check", "emergency_bed",
                                           "ris_prepare"}
    for d in view.demarches:
        assert d.due == calendar.previous_working_day(TODAY + D(kit[d.key])), d.key
        assert d.anchor == "I"
    assert person_row(ctx, "PV-01").plan_mode == "prevenu_kit"
    set_status(ctx, "PV-01", "eid_check", "completed", today=TODAY)
    set_status(ctx, "PV-01", "mutuelle_check", "on-hold", today=TODAY, partner="mutualite-demo")
    ids = {k: r.id for k, r in demarche_rows(ctx, "PV-01").items()}
    pid = person_row(ctx, "PV-01").id
    mark = last_event_id(ctx)

    full = set_milestone(ctx, "PV-01", "tap_hearing", date=dt.date(2027, 6, 15), today=TODAY, actor="as.test")

    assert full.mode == "full" and person_row(ctx, "PV-01").plan_mode == "full"
    rows = demarche_rows(ctx, "PV-01")
    assert set(kit) <= set(rows)
    assert {k: rows[k].id for k in kit} == ids  # the kit's rows are kept, not recreated
    assert rows["eid_check"].status == "completed" and rows["eid_check"].due == dues(view)["eid_check"]
    assert rows["mutuelle_check"].status == "on-hold" and rows["mutuelle_check"].partner_id == "mutualite-demo"
    added = set(rows) - set(kit)
    assert {"intake_fiche", "housing_apply", "exit_kit", "ris_request"} <= added
    events = events_since(ctx, mark)
    actions = [e["action"] for e in events]
    assert actions.count("milestone.set") == 1 and actions.count("plan.scheduled") == 1
    ext = next(e for e in events if e["action"] == "plan.scheduled")
    assert (ext["actor"], ext["key"], ext["person_id"]) == ("as.test", "PV-01", pid)
    assert set(ext["new"]["added"]) == added and ext["old"] is None
    # the open kit démarches follow the hearing; moved ones are reported, the completed one is not
    moved = {e["key"] for e in events if e["action"] == "demarche.moved"}
    assert moved == {c["key"] for c in full.as_json()["changes"]}
    assert "eid_check" not in moved and {"mutuelle_check", "ris_prepare"} <= moved
    assert set(actions) == {"milestone.set", "plan.scheduled", "demarche.moved"}


def test_prevenu_without_needs_gets_the_minimal_kit(ctx, binome):
    view = register_person(ctx, ref="PV-02", prison="haren", as_id=binome[0], psy_id=binome[1], today=TODAY, situation="prevenu")
    assert view.mode == "prevenu_kit"
    assert set(dues(view)) == {"eid_check", "mutuelle_check"}


def test_a_demarche_waits_only_on_a_partner_of_its_own_types(ctx, binome):
    """What a partner receives about a démarche is for that kind of service: the CPAS never waits on (nor
    hears of) the relay of a treatment; a démarche the service does alone waits on no partner."""
    new_person(ctx, binome, "P-001", needs=["substitution", "housing"])
    expect_refused(ctx, RajError, "partner: 'cpas-demo' is a cpas; démarche 'subst_relay' waits on a partner of type",
                   set_status, ctx, "P-001", "subst_relay", "on-hold", today=TODAY, partner="cpas-demo")
    expect_refused(ctx, RajError, "'intake_fiche' is done by the service alone", set_status, ctx, "P-001",
                   "intake_fiche", "on-hold", today=TODAY, partner="cpas-demo")
    v = set_status(ctx, "P-001", "housing_apply", "on-hold", today=TODAY, partner="ma-demo")
    assert (v.status, v.partner) == ("on-hold", "ma-demo")


@pytest.mark.parametrize("call, field", [
    (lambda ctx: set_milestone(ctx, "P-001", "tap_hearing", date=dt.date(9999, 12, 31), today=TODAY), "date"),
    (lambda ctx: set_milestone(ctx, "P-001", "tap_hearing", date=dt.date(1, 1, 10), today=TODAY), "date"),
    (lambda ctx: pin_due(ctx, "P-001", "tap_attest", due=dt.date(2101, 1, 3), today=TODAY), "due"),
], ids=["far-future", "year-one", "pin"])
def test_dates_outside_the_accepted_range_are_refused(ctx, binome, call, field):
    new_person(ctx, binome, "P-001")
    expect_refused(ctx, RajError, f"{field}: ", call, ctx)


def test_an_organisations_own_closures_move_its_plans_only(ctx, binome):
    """closures.yaml `organisations:` (DOMAIN.md §8.6: 11 July closes a Flemish body, not a COCOF service)."""
    import dataclasses

    from raj_release.planning.calendar import WorkingCalendar

    first = new_person(ctx, binome, "P-CAL-1")
    tap_file = next(d for d in first.demarches if d.key == "tap_file")
    org = first.person.organisation
    shared = ctx.config.calendar
    own = WorkingCalendar(closures={**shared._closures, tap_file.due: "Teamdag"}, recurring=shared._recurring[1:])
    closed = dataclasses.replace(ctx, config=dataclasses.replace(ctx.config, organisation_calendars={org: own}))
    second = new_person(closed, binome, "P-CAL-2")
    moved = next(d for d in second.demarches if d.key == "tap_file")
    assert moved.due == own.previous_working_day(tap_file.due) < tap_file.due
    other = dataclasses.replace(ctx, config=dataclasses.replace(ctx.config, organisation_calendars={"x": own}))
    assert next(d for d in new_person(other, binome, "P-CAL-3").demarches if d.key == "tap_file").due == tap_file.due
