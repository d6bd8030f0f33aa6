"""Figures kept between requests (services/figures.py) and the data version they are kept under
(store/db.py, migration 0012), on SQLite and PostgreSQL: a dashboard or caseload view is computed once while
nothing changes, and every kind of write the services make is seen at the next view, never a stale figure.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text, update

from raj_release.domain import Milestone, MilestoneKind
from raj_release.reminders.messages import Message
from raj_release.services import figures
from raj_release.services.access import load_viewer
from raj_release.services.caseload import caseloads
from raj_release.services.dashboard import dashboard
from raj_release.services.demarches import set_status
from raj_release.services.lifecycle import close_person
from raj_release.services.milestones import set_milestone
from raj_release.services.outbox import deliver, enqueue
from raj_release.services.persons import register_person
from raj_release.services.workers import register_worker
from raj_release.store import models as m

D0 = dt.date(2026, 11, 23)
LATER = dt.date(2027, 1, 20)  # the early démarches of plans made on D0 are overdue by then


@pytest.fixture
def office(ctx):
    for wid, name, role in [("as.a", "Anne Assistante", "as"), ("psy.a", "Paul Psy", "psy"),
                            ("coord", "Claire Coord", "coordinator")]:
        register_worker(ctx, wid, name, role)
    for ref, days in (("F-1", 40), ("F-2", 60)):
        register_person(ctx, ref=ref, prison="haren", as_id="as.a", psy_id="psy.a", needs=["housing", "income"],
                        milestones=[Milestone(kind=MilestoneKind.TAP_HEARING, date=D0 + dt.timedelta(days=days))],
                        today=D0)
    return ctx


def coordinator(ctx):
    with ctx.db.reading() as s:
        return load_viewer(s, "coord")


def overdue_of(ctx, ref: str) -> list[str]:
    with ctx.db.reading() as s:
        return list(s.scalars(select(m.Demarche.key).join(m.Person).where(
            m.Person.ref == ref, m.Demarche.status.in_(("planned", "in-progress", "on-hold")),
            m.Demarche.due < LATER).order_by(m.Demarche.due, m.Demarche.key)))


def test_a_view_is_kept_while_nothing_changes_and_computed_again_after_a_change(office):
    ctx = office
    v = coordinator(ctx)
    first = dashboard(ctx, v, today=LATER)
    assert first.overdue_total > 0
    assert dashboard(ctx, v, today=LATER) is first  # kept: nothing changed
    assert dashboard(ctx, v, today=LATER, page=2) is not first  # another page is another view
    assert dashboard(ctx, v, today=LATER - dt.timedelta(days=1)) is not first  # another day too
    loads = caseloads(ctx, v, today=LATER)
    assert caseloads(ctx, v, today=LATER) is loads
    # a démarche done through the services: both views see it at once
    key = overdue_of(ctx, "F-1")[0]
    set_status(ctx, "F-1", key, "completed", today=LATER)
    after = dashboard(ctx, v, today=LATER)
    assert after is not first and after.overdue_total == first.overdue_total - 1
    assert sum(r.overdue for r in caseloads(ctx, v, today=LATER)) < sum(r.overdue for r in loads)


def test_every_kind_of_write_moves_the_data_version_and_reads_do_not(office):
    ctx = office
    v = coordinator(ctx)
    seen = [ctx.db.data_version()]
    assert seen[0] is not None

    def moved() -> bool:
        seen.append(ctx.db.data_version())
        return seen[-1] > seen[-2]

    dashboard(ctx, v, today=LATER)
    caseloads(ctx, v, today=LATER)
    assert not moved()  # reading changes nothing
    with ctx.db.transaction() as s:  # a unit of work that writes nothing the figures read
        s.execute(update(m.Organisation).where(m.Organisation.id == v.organisation_id).values(
            name=m.Organisation.name))
    assert not moved()
    set_status(ctx, "F-1", overdue_of(ctx, "F-1")[0], "in-progress", today=LATER)  # a démarche
    assert moved()
    set_milestone(ctx, "F-2", "tap_hearing", date=D0 + dt.timedelta(days=80), today=D0)  # a milestone, a replan
    assert moved()
    register_worker(ctx, "as.b", "Bea Sociale", "as")  # a worker
    assert moved()
    close_person(ctx, "F-2", reason="finished", today=LATER)  # a person
    assert moved()
    # a message enqueued and delivered (the outbox's own writes count for nothing)...
    msg = Message("as.a", "as", "digest", "fr", "s", "b", (), LATER, "digest", organisation=v.organisation)
    with ctx.db.transaction() as s:
        assert enqueue(s, ctx, [msg])
    assert not moved()
    with ctx.db.transaction() as s:  # ...on its last attempt, to a worker without a channel
        s.execute(update(m.OutboxMessage).values(attempts=ctx.config.reminders.delivery.max_attempts - 1))
    assert deliver(ctx).dead >= 1  # (with the messages the writes above decided: no channel either)
    assert moved()  # found undeliverable: the dashboard lists it
    assert "as.a" in [d[2] for d in dashboard(ctx, v, today=LATER).dead]
    with pytest.raises(RuntimeError), ctx.db.transaction() as s:  # rolled back: nothing committed, no bump
        s.execute(update(m.Person).where(m.Person.ref == "F-1").values(prison="ittre"))
        raise RuntimeError("abandoned")
    assert not moved()


def test_a_nested_unit_of_work_is_counted_when_it_commits(office):
    ctx = office
    before = ctx.db.data_version()
    with ctx.db.transaction() as outer:  # (it begins at its first statement: after the inner one, on SQLite)
        with ctx.db.transaction() as inner:
            inner.execute(update(m.Person).where(m.Person.ref == "F-1").values(prison="ittre"))
        assert ctx.db.data_version() == before + 1  # the inner one committed on its own
        outer.execute(select(m.Person.id).limit(1))
    assert ctx.db.data_version() == before + 1  # the outer one wrote nothing watched
    with ctx.db.transaction() as outer:
        with ctx.db.transaction() as inner:
            inner.execute(select(m.Person.id).limit(1))
        outer.execute(update(m.Person).where(m.Person.ref == "F-1").values(prison="haren"))
    assert ctx.db.data_version() == before + 2  # the outer one's write, seen after the inner one ended


def test_a_kept_view_expires_by_age_whatever_the_version(office, monkeypatch):
    ctx = office
    v = coordinator(ctx)
    clock = [1000.0]
    monkeypatch.setattr(figures.time, "monotonic", lambda: clock[0])
    first = dashboard(ctx, v, today=LATER)
    clock[0] += figures.MAX_AGE_SECONDS - 1
    assert dashboard(ctx, v, today=LATER) is first
    clock[0] += 2
    again = dashboard(ctx, v, today=LATER)
    assert again is not first and again.overdue_total == first.overdue_total


def test_no_figure_is_kept_without_the_data_version(office):
    ctx = office
    v = coordinator(ctx)
    with ctx.db.transaction() as s:
        s.execute(text("DELETE FROM data_version"))
    assert ctx.db.data_version() is None
    assert dashboard(ctx, v, today=LATER) is not dashboard(ctx, v, today=LATER)
    set_status(ctx, "F-1", overdue_of(ctx, "F-1")[0], "completed", today=LATER)  # the bump finds no row: no error


def test_a_week_is_kept_and_sees_a_meeting_planned_at_once(office):
    from raj_release.services.visits import add_visit
    from raj_release.services.week import my_week

    ctx = office
    with ctx.db.reading() as s:
        v = load_viewer(s, "as.a")
    week = my_week(ctx, v, LATER)
    assert my_week(ctx, v, LATER) is week
    add_visit(ctx, "F-1", day=LATER + dt.timedelta(days=1), place="prison", today=LATER)
    again = my_week(ctx, v, LATER)
    assert again is not week
    assert [i.ref for i in again.meetings] == ["F-1"] and not week.meetings
