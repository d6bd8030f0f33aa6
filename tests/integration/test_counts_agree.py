"""Counts that agree (issue 11, point 3), on the demo's data: for every demo worker, the same overdue set of
(person, démarche) from the week service, the dashboard service, the API (/api/week, /api/dashboard), the pages
(/week, /dashboard) and the content of the morning's digest; each worker's count on the dashboard (by worker and
caseloads) is the size of their week's set; lateness is the same number of working days everywhere, and
on-hold démarches past their due date are in it. SQLite and, when configured, PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import pytest
from sqlalchemy import select

from raj_release.domain.enums import Role
from raj_release.services.access import load_viewer
from raj_release.services.auth import create_token, set_password
from raj_release.services.caseload import caseloads
from raj_release.services.dashboard import dashboard
from raj_release.services.demo import WORKERS, load_demo
from raj_release.services.reminders import sweep
from raj_release.services.week import my_week
from raj_release.store import models as m

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DAY = dt.date(2026, 11, 23)  # a Monday: the morning's digest goes out
PASSWORD = "une phrase assez longue"
BINOME = [wid for wid, _n, role, _l in WORKERS if role in ("as", "psy")]
COORD = next(wid for wid, _n, role, _l in WORKERS if role == "coordinator")


@pytest.fixture
def demo(ctx):
    from raj_release.web.app import create_app

    load_demo(ctx, DAY)
    with ctx.db.reading() as s:
        viewers = {wid: load_viewer(s, wid) for wid, *_ in WORKERS}
    tokens = {wid: create_token(ctx, wid, "tests") for wid, *_ in WORKERS}
    for wid, *_ in WORKERS:
        set_password(ctx, wid, PASSWORD)
    client = TestClient(create_app(ctx, secret=b"test secret"), follow_redirects=False)
    return ctx, viewers, tokens, client


def _api(client, token, url):
    r = client.get(url, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, (url, r.text)
    return r.json()


def _page(client, who, url) -> str:
    client.cookies.clear()
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"username": who, "password": PASSWORD, "csrf": csrf}).status_code == 303
    r = client.get(url)
    assert r.status_code == 200, (who, url)
    return r.text


def _section(html: str, sid: str) -> str:
    return html.split(f'id="{sid}"')[1].split("</section>")[0]


def _digest_sets(ctx) -> tuple[dict[str, set], dict[str, str]]:
    """Per worker: the overdue (person, démarche) pairs of the digest decided this morning, and its text."""
    pairs, bodies = {}, {}
    for msg in sweep(ctx, DAY, dry_run=True).messages:
        if msg.kind == "digest":
            pairs.setdefault(msg.recipient, set()).update(
                (i["person"], i["key"]) for i in msg.items if i["due"] < DAY.isoformat())
            bodies[msg.recipient] = bodies.get(msg.recipient, "") + msg.body
    return pairs, bodies


def test_every_demo_worker_has_one_overdue_set_everywhere(demo):
    ctx, viewers, tokens, client = demo
    assert ctx.config.calendar.is_working_day(DAY)
    coord = viewers[COORD]
    digests, bodies = _digest_sets(ctx)
    whole = dashboard(ctx, coord, today=DAY, per_page=10_000)
    by_worker = dict(whole.by_worker)
    loads = {c.worker: c.overdue for c in caseloads(ctx, coord, today=DAY)}
    on_hold_seen = 0
    sizes = {}
    for wid in BINOME:
        v = viewers[wid]
        week = my_week(ctx, v, DAY)
        mine = {(i.ref, i.key) for i in week.overdue}
        sizes[wid] = len(mine)
        on_hold_seen += sum(i.status == "on-hold" for i in week.overdue)
        dash = dashboard(ctx, coord, today=DAY, filters={"worker": wid}, per_page=10_000)
        api_week = _api(client, tokens[wid], f"/api/week?as_of={DAY}")
        api_dash = _api(client, tokens[COORD], f"/api/dashboard?worker={wid}&as_of={DAY}")
        assert api_dash["overdue"]["pages"] == 1
        week_page = _section(_page(client, wid, f"/week?as_of={DAY}"), "overdue")
        dash_page = _section(_page(client, COORD, f"/dashboard?worker={wid}&as_of={DAY}"), "overdue-list")
        sets = {
            "week service": mine,
            "dashboard service": {(r.person, r.key) for r in dash.overdue},
            "/api/week": {(r["person"], r["demarche"]) for r in api_week["overdue"]},
            "/api/dashboard": {(r["person"], r["key"]) for r in api_dash["overdue"]["rows"]},
            "/week": set(re.findall(r'name="done" value="([^ "]+) ([a-z0-9_]+) \d+"', week_page)),
            "/dashboard": set(re.findall(r'data-ref="([^"]+)" data-key="([^"]+)"', dash_page)),
            "digest": digests.get(wid, set()),
        }
        for where, got in sets.items():
            assert got == mine, (wid, where, sorted(got ^ mine))
        # the counts: the dashboard's by worker, its caseloads, the filtered total, the week's heading
        assert by_worker.get(wid, 0) == loads[wid] == dash.overdue_total == api_dash["overdue"]["total"] == len(mine)
        assert f"({len(mine)})" in week_page.split("</h2>")[0]
        # lateness: the same working days on the week, the dashboard and the API, on the organisation's calendar
        cal = ctx.config.calendar_for(v.organisation)
        late = {(i.ref, i.key): i.late_working_days for i in week.overdue}
        assert late == {(r.person, r.key): r.late_working_days for r in dash.overdue}
        assert late == {(r["person"], r["demarche"]): r["late_working_days"] for r in api_week["overdue"]}
        assert late == {(r["person"], r["key"]): r["late_working_days"] for r in api_dash["overdue"]["rows"]}
        assert all(n == cal.working_days_between(due, DAY) > 0
                   for (n, due) in ((i.late_working_days, i.due) for i in week.overdue))
        for i in week.overdue:  # each démarche of the set is a line of the digest's text
            assert i.label in bodies[wid], (wid, i.key)
    assert on_hold_seen >= 1  # the demo has an on-hold démarche past its due date: counted overdue
    assert sizes["as.dupont"] > sizes["psy.lambert"] > 0  # one binôme, two different counts
    assert {w for w, n in by_worker.items() if n} == {w for w, n in sizes.items() if n}


def test_the_coordinator_sees_the_organisations_overdue_set_on_the_week_the_dashboard_and_the_api(demo):
    ctx, viewers, tokens, client = demo
    coord = viewers[COORD]
    assert coord.role is Role.COORDINATOR
    week = {(i.ref, i.key) for i in my_week(ctx, coord, DAY).overdue}
    dash = {(r.person, r.key) for r in dashboard(ctx, coord, today=DAY, per_page=10_000).overdue}
    api = _api(client, tokens[COORD], f"/api/dashboard?as_of={DAY}")
    api_week = _api(client, tokens[COORD], f"/api/week?as_of={DAY}")
    assert week == dash == {(r["person"], r["key"]) for r in api["overdue"]["rows"]} == {
        (r["person"], r["demarche"]) for r in api_week["overdue"]}
    # and the organisation's set is the union of its workers' own sets (every démarche is someone's)
    mine = set()
    for wid in BINOME:
        mine |= {(i.ref, i.key) for i in my_week(ctx, viewers[wid], DAY).overdue}
    assert mine == week
    with ctx.db.reading() as s:
        on_hold = set(s.execute(select(m.Person.ref, m.Demarche.key).join(m.Demarche)
                                .where(m.Demarche.status == "on-hold", m.Demarche.due < DAY)).all())
    assert on_hold and on_hold <= week


def test_the_week_groups_today_as_the_digest_does(demo):
    """The « aujourd'hui » group is the digest's « Pour aujourd'hui »: on a day with démarches due, the same
    pairs; this week's meetings are there (Monday to Sunday)."""
    ctx, viewers, tokens, client = demo
    day = DAY + dt.timedelta(days=2)  # Wednesday: the demo has démarches due that day
    today_in_digest = {}
    for msg in sweep(ctx, day, dry_run=True).messages:
        if msg.kind == "digest":
            today_in_digest[msg.recipient] = {(i["person"], i["key"]) for i in msg.items if i["due"] == day.isoformat()}
    seen = 0
    for wid in BINOME:
        week = my_week(ctx, viewers[wid], day)
        got = {(i.ref, i.key) for i in week.due_today}
        assert got == today_in_digest.get(wid, set()), wid
        assert all(i.due == day for i in week.due_today)
        assert all(week.today <= i.due <= week.week_end and i.due > day for i in week.this_week)
        api = _api(client, tokens[wid], f"/api/week?as_of={day}")
        assert {(r["person"], r["demarche"]) for r in api["due_today"]} == got
        seen += len(got)
        monday = day - dt.timedelta(days=day.weekday())
        assert all(monday <= x.day <= week.week_end for x in week.meetings)
    assert seen
