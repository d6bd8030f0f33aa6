"""The HTML workspace in-process: login (with CSRF and slowed guessing), "my week" per role, one-click status
changes, refused forms without their CSRF token, anonymous requests sent to the login page."""

from __future__ import annotations

import datetime as dt
import html as html_
import re
import warnings

import pytest
from sqlalchemy import select

from raj_release.domain import Milestone, MilestoneKind
from raj_release.services.auth import set_password
from raj_release.services.demarches import set_status
from raj_release.services.persons import register_person
from raj_release.services.workers import register_worker

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "une phrase assez longue"
REGISTERED = dt.date(2026, 11, 23)
LATER = "2027-01-20"  # démarches of the first plan are overdue by then


@pytest.fixture
def web(ctx):
    from raj_release.web.app import create_app

    for wid, role in [("as.a", "as"), ("psy.a", "psy"), ("as.b", "as"), ("psy.b", "psy"), ("coord", "coordinator"),
                      ("admin", "admin")]:
        register_worker(ctx, wid, wid.upper(), role, "nl" if wid == "psy.b" else "fr")
        set_password(ctx, wid, PASSWORD)
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 6, 15))]
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=REGISTERED, needs=["housing"], milestones=hearing)
    register_person(ctx, ref="P-B", prison="ittre", as_id="as.b", psy_id="psy.b", today=REGISTERED, needs=["income"], milestones=hearing)
    return TestClient(create_app(ctx, secret=b"test secret"), follow_redirects=False)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def login(client, who: str, password: str = PASSWORD):
    page = client.get("/login")
    return client.post("/login", data={"username": who, "password": password, "csrf": csrf_of(page.text)})


def test_anonymous_is_sent_to_login(web):
    for url in ("/", "/week"):
        r = web.get(url)
        assert r.status_code == 303
    assert web.get("/week").headers["location"] == "/login"
    r = web.post("/persons/P-A/demarches/intake_fiche/status", data={"status": "completed", "version": 1})
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_login_needs_the_right_password_and_its_csrf_token(web):
    assert login(web, "as.a", "mauvais mot de passe").status_code == 401
    web.get("/login")
    r = web.post("/login", data={"username": "as.a", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 403
    r = login(web, "as.a")
    assert r.status_code == 303 and r.headers["location"] == "/week"
    assert "raj_session" in r.cookies or "raj_session" in web.cookies


def test_guessing_is_slowed_down(web):
    for _ in range(3):
        assert login(web, "as.b", "mauvais mot de passe").status_code == 401
    r = login(web, "as.b")
    assert r.status_code == 429 and "try again" in r.text


def test_my_week_shows_my_overdue_and_one_click_marks_it_done(web):
    login(web, "as.a")
    page = web.get(f"/week?as_of={LATER}")
    assert page.status_code == 200
    overdue = page.text.split('id="overdue"')[1].split("</section>")[0]
    done = re.search(r'<button name="done" value="(P-A intake_fiche \d+)">', overdue)
    assert done is not None  # the row's « Fait » names the démarche and the person's version
    assert "P-B" not in page.text  # another binôme's person
    assert f'action="/week/demarches?as_of={LATER}"' in page.text  # the rows' one form keeps the day looked at
    r = web.post(f"/week/demarches?as_of={LATER}", data={"done": done.group(1), "csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == f"/week?as_of={LATER}"
    after = web.get(f"/week?as_of={LATER}").text.split('id="overdue"')[1].split("</section>")[0]
    assert "P-A intake_fiche" not in after


def test_a_form_without_its_csrf_token_is_refused(web):
    login(web, "as.a")
    r = web.post(f"/persons/P-A/demarches/intake_fiche/status?as_of={LATER}",
                 data={"status": "completed", "version": 1})
    assert r.status_code == 403
    r = web.post("/logout", data={"csrf": "forged"})
    assert r.status_code == 403


def test_out_of_scope_is_404_and_a_stale_form_says_why(web):
    login(web, "as.a")
    token = csrf_of(web.get(f"/week?as_of={LATER}").text)
    r = web.post(f"/persons/P-B/demarches/intake_fiche/status?as_of={LATER}",
                 data={"status": "completed", "version": 1, "csrf": token})
    assert r.status_code == 404 and "P-B" in r.text and "introuvable" in r.text
    r = web.post(f"/persons/P-A/demarches/intake_fiche/status?as_of={LATER}",
                 data={"status": "completed", "version": 99, "csrf": token})
    assert r.status_code == 303 and "error=" in r.headers["location"]
    assert "modifié entre-temps" in web.get(r.headers["location"]).text  # the viewer's words


def test_roles_see_their_scope_in_their_language(web):
    login(web, "psy.b")
    page = web.get("/week?as_of=2027-05-03").text  # by May the binôme's démarches of P-B are late
    assert "Mijn week" in page and "P-B" in page and "P-A" not in page
    web.cookies.clear()
    login(web, "coord")
    page = web.get(f"/week?as_of={LATER}").text
    assert "P-A" in page and "P-B" in page
    web.cookies.clear()
    login(web, "admin")
    page = web.get(f"/week?as_of={LATER}").text
    assert "P-A" not in page and "P-B" not in page


def test_a_forged_session_cookie_is_not_a_session(web):
    web.cookies.set("raj_session", "eyJ3IjoiY29vcmQifQ.forged")
    assert web.get("/week").status_code == 303


def test_plan_page_shows_milestones_history_timeline_and_readiness(web, ctx):
    login(web, "as.a")
    page = web.get(f"/persons/P-A?as_of={LATER}")
    assert page.status_code == 200
    html = page.text
    assert "<svg" in html and "aujourd&#x27;hui" in html.split("<svg")[1]  # the "today" line, escaped
    for section in ("readiness", "timeline", "milestones", "demarches", "history"):
        assert f'id="{section}"' in html
    assert 'data-key="housing_apply"' in html and "Le système a enregistré le dossier — 23/11/2026" in html
    assert web.get(f"/persons/P-B?as_of={LATER}").status_code == 404  # another binôme's person


def test_moving_the_hearing_from_the_page_shows_what_moved(web):
    login(web, "as.a")
    page = web.get(f"/persons/P-A?as_of={LATER}").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    r = web.post(f"/persons/P-A/milestones?as_of={LATER}",
                 data={"kind": "tap_hearing", "date": "2027-08-17", "version": version, "reason": "remise",
                       "csrf": csrf_of(page)})
    assert r.status_code == 303 and "moved=" in r.headers["location"]
    after = web.get(r.headers["location"]).text
    box = after.split('id="moved"')[1].split("</div>")[0]
    assert "<li>Rassembler les attestations pour le dossier TAP" in box and " → " in box and "tap_file" not in box  # labels, one a line
    assert "remise" in after.split('id="history"')[1]  # who moved the date, when, why
    # a stale version is refused with a message, and a bad date too
    r = web.post(f"/persons/P-A/milestones?as_of={LATER}",
                 data={"kind": "tap_hearing", "date": "2027-09-01", "version": version, "csrf": csrf_of(page)})
    assert r.status_code == 409 and 'id="conflict"' in r.text  # the fresh plan says what changed meanwhile
    assert "modifié ce dossier entre-temps" in r.text  # in the viewer's words
    fresh = web.get(f"/persons/P-A?as_of={LATER}").text
    v2 = re.search(r'name="version" value="(\d+)"', fresh).group(1)
    r = web.post(f"/persons/P-A/milestones?as_of={LATER}",
                 data={"kind": "tap_hearing", "date": "2027-02-30", "version": v2, "csrf": csrf_of(fresh)})
    assert "n'est pas une date du calendrier" in html_.unescape(web.get(r.headers["location"]).text)


def test_pin_from_the_page(web):
    login(web, "as.a")
    page = web.get(f"/persons/P-A?as_of={LATER}").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    r = web.post(f"/persons/P-A/demarches/cure_apply/pin?as_of={LATER}",
                 data={"date": "2027-03-01", "version": version, "csrf": csrf_of(page)})
    assert r.status_code == 404 and "n'est pas dans le plan" in html_.unescape(r.text)  # no cure need: not in this plan
    r = web.post(f"/persons/P-A/demarches/housing_apply/pin?as_of={LATER}",
                 data={"date": "2027-03-01", "version": version, "csrf": csrf_of(page)})
    assert r.status_code == 303 and "moved=" in r.headers["location"]
    row = web.get(f"/persons/P-A?as_of={LATER}").text.split('data-key="housing_apply"')[1].split("</tr>")[0]
    assert "01/03/2027" in row and "📌" in row
    r = web.post("/persons/P-A/demarches/housing_apply/pin", data={"date": "2027-03-02", "version": version})
    assert r.status_code == 403  # no CSRF token


def test_dashboard_is_for_coordinators_with_filters_in_the_url(web):
    for who in ("as.a", "admin"):
        web.cookies.clear()
        login(web, who)
        assert web.get(f"/dashboard?as_of={LATER}").status_code == 403
    web.cookies.clear()
    login(web, "coord")
    page = web.get(f"/dashboard?as_of={LATER}")
    assert page.status_code == 200
    html = page.text
    for section in ("counts", "weekly", "overdue-list", "hearings", "compressed", "dead"):
        assert f'id="{section}"' in html
    listed = html.split('id="overdue-list"')[1].split("</section>")[0]
    assert "P-A" in listed and "P-B" in listed
    # a count links to its drill-down; the filter stays in the URL and narrows the list
    link = re.search(r'href="(/dashboard\?prison=haren[^"]*)"', html).group(1).replace("&amp;", "&")
    assert "as_of=" in link
    narrowed = web.get(link).text.split('id="overdue-list"')[1].split("</section>")[0]
    assert "P-A" in narrowed and "P-B" not in narrowed
    assert "Prison = Prison de Haren" in web.get(link).text  # the filter in words


def test_dashboard_figures_agree(ctx):
    from raj_release.services.access import load_viewer
    from raj_release.services.dashboard import dashboard
    from raj_release.services.demarches import list_overdue

    for wid, role in [("as.a", "as"), ("psy.a", "psy"), ("coord", "coordinator")]:
        register_worker(ctx, wid, wid.upper(), role)
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=REGISTERED, needs=["housing"],
                    milestones=[Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 2, 10))])
    today = dt.date(2027, 1, 18)  # a Monday; the hearing is within 60 days
    with ctx.db.transaction() as s:
        v = load_viewer(s, "coord")
    d = dashboard(ctx, v, today=today)
    overdue = list_overdue(ctx, today=today)
    assert len(d.overdue) == len(overdue) > 0
    assert sum(n for _, n in d.by_prison) == len(overdue)
    assert d.weekly[-1] == (today, len(overdue))  # this Monday's bar is today's overdue count
    assert [ref for ref, _, _ in d.hearings] == ["P-A"]
    assert d.hearings[0][2] == _readiness_of(ctx, "P-A", dt.date(2027, 2, 10))
    assert ("P-A", "as.a", "psy.a") in d.compressed  # registered ~11 weeks before its hearing: made late
    assert d.compressed_total == 1
    only = dashboard(ctx, v, today=today, filters={"demarche": overdue[0].key})
    assert {r.key for r in only.overdue} == {overdue[0].key}


def _readiness_of(ctx, ref, hearing):
    """The pure rule (planning.readiness) over the person's démarches as stored."""
    from raj_release.domain.enums import Status
    from raj_release.planning.readiness import readiness
    from raj_release.store import models as m

    with ctx.db.transaction() as s:
        rows = s.execute(select(m.Demarche.key, m.Demarche.status, m.Demarche.due).join(m.Person)
                         .where(m.Person.ref == ref)).all()
    return readiness(ctx.config.templates, [(k, Status(st), due) for k, st, due in rows], hearing)


def test_dashboard_readiness_is_the_plans_readiness(ctx):
    """Counted in the database for the dashboard, by the pure rule for a plan: the same figures, with
    démarches done, not applicable, failed and past the hearing."""
    from raj_release.services.access import load_viewer
    from raj_release.services.dashboard import dashboard

    for wid, role in [("as.a", "as"), ("psy.a", "psy"), ("coord", "coordinator")]:
        register_worker(ctx, wid, wid.upper(), role)
    hearings = {"P-A": dt.date(2027, 2, 10), "P-B": dt.date(2027, 3, 1), "P-C": dt.date(2027, 2, 22)}
    for i, (ref, day) in enumerate(hearings.items()):
        register_person(ctx, ref=ref, prison="haren", as_id="as.a", psy_id="psy.a", today=REGISTERED, needs=[["housing"], ["income", "cure", "substitution"], []][i],
                        milestones=[Milestone(kind=MilestoneKind.TAP_HEARING, date=day)])
    today = dt.date(2027, 1, 18)
    with ctx.db.transaction() as s:
        v = load_viewer(s, "coord")
        from raj_release.store import models as m

        keys = s.execute(select(m.Person.ref, m.Demarche.key).join(m.Person).where(m.Demarche.due < today)
                         .order_by(m.Person.ref, m.Demarche.due)).all()
    for (ref, key), (status, reason) in zip(keys, [("completed", None), ("cancelled", "sans objet"),
                                                   ("failed", "refus"), ("completed", None)] * 3, strict=False):
        set_status(ctx, ref, key, status, today=today, reason=reason)
    d = dashboard(ctx, v, today=today)
    assert [ref for ref, _, _ in d.hearings] == ["P-A", "P-C", "P-B"]
    for ref, day, ready in d.hearings:
        assert ready == _readiness_of(ctx, ref, day)
    assert any(r.done for _, _, ready in d.hearings for r in ready)


def test_plans_made_late_show_their_number_and_the_most_recent(ctx, monkeypatch):
    from raj_release.services import dashboard
    from raj_release.services.access import load_viewer

    for wid, role in [("as.a", "as"), ("psy.a", "psy"), ("coord", "coordinator")]:
        register_worker(ctx, wid, wid.upper(), role)
    for i, ref in enumerate(["P-1", "P-2", "P-3"]):
        ctx.now = lambda i=i: dt.datetime(2026, 11, 23 + i, 9, tzinfo=dt.UTC)
        register_person(ctx, ref=ref, prison="haren", as_id="as.a", psy_id="psy.a", today=REGISTERED, needs=["housing"],
                        milestones=[Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 1, 20))])
    monkeypatch.setattr(dashboard, "RECENT_COMPRESSED", 2)
    with ctx.db.transaction() as s:
        v = load_viewer(s, "coord")
    d = dashboard.dashboard(ctx, v, today=dt.date(2026, 12, 1))
    assert d.compressed_total == 3 and [ref for ref, _, _ in d.compressed] == ["P-3", "P-2"]


def test_weekly_overdue_counts_follow_when_each_demarche_was_finished(ctx):
    """A démarche counts on a Monday if it was due before that day and not yet finished then: completed,
    cancelled or failed later still counts on the earlier Mondays. The filters narrow the figure too."""
    from raj_release.domain.demarches import OPEN_STATUSES
    from raj_release.services.access import load_viewer
    from raj_release.services.dashboard import dashboard
    from raj_release.store import models as m

    for wid, role in [("as.a", "as"), ("psy.a", "psy"), ("as.b", "as"), ("psy.b", "psy"), ("coord", "coordinator")]:
        register_worker(ctx, wid, wid.upper(), role)
    for ref, binome in (("P-A", ("as.a", "psy.a")), ("P-B", ("as.b", "psy.b"))):
        register_person(ctx, ref=ref, prison="haren", as_id=binome[0], psy_id=binome[1], today=REGISTERED, needs=["housing", "income"],
                        milestones=[Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 2, 10))])
    with ctx.db.transaction() as s:
        v = load_viewer(s, "coord")
        early = s.execute(select(m.Person.ref, m.Demarche.key, m.Demarche.due).join(m.Person)
                          .where(m.Person.ref == "P-A", m.Demarche.due.is_not(None))
                          .order_by(m.Demarche.due, m.Demarche.id).limit(3)).all()
    # finish three of P-A's earliest démarches on known days, after they fell due
    finished = {}
    for (ref, key, due), (status, reason), when in zip(
            early, [("completed", None), ("cancelled", "sans objet"), ("failed", "refus")],
            [dt.date(2027, 1, 6), dt.date(2027, 1, 13), dt.date(2027, 1, 20)], strict=True):
        assert due < when
        ctx.now = lambda w=when: dt.datetime.combine(w, dt.time(10), dt.UTC)
        set_status(ctx, ref, key, status, today=when, reason=reason)
        finished[(ref, key)] = (due, when)
    today = dt.date(2027, 1, 25)  # a Monday
    d = dashboard(ctx, v, today=today)
    # the oracle: every démarche read back, counted day by day in Python
    with ctx.db.transaction() as s:
        rows = s.execute(select(m.Person.ref, m.Demarche.key, m.Demarche.due, m.Demarche.status).join(m.Person)
                         .where(m.Demarche.due.is_not(None))).all()
    open_ = {x.value for x in OPEN_STATUSES}
    for monday, n in d.weekly:
        expected = sum(1 for ref, key, due, status in rows if due < monday and (
            status in open_ or ((ref, key) in finished and finished[(ref, key)][1] >= monday)))
        assert n == expected, monday
    assert d.weekly[-1] == (today, d.overdue_total)
    # narrowed to one finished démarche: 1 on the Mondays after it fell due and before it was finished
    for (ref, key), (due, when) in finished.items():
        one = dashboard(ctx, v, today=today, filters={"worker": "as.a", "demarche": key})
        assert [n for _, n in one.weekly] == [int(due < day <= when) for day, _ in one.weekly]
        assert any(n for _, n in one.weekly)


def test_the_overdue_list_is_paged_and_the_counts_stay_whole(ctx):
    from raj_release.services.access import load_viewer
    from raj_release.services.dashboard import dashboard

    for wid, role in [("as.a", "as"), ("psy.a", "psy"), ("coord", "coordinator")]:
        register_worker(ctx, wid, wid.upper(), role)
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=REGISTERED, needs=["housing", "income"],
                    milestones=[Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 2, 10))])
    with ctx.db.transaction() as s:
        v = load_viewer(s, "coord")
    today = dt.date(2027, 1, 18)
    whole = dashboard(ctx, v, today=today, per_page=1000)
    n = whole.overdue_total
    assert n > 5 and len(whole.overdue) == n and whole.pages == 1
    pages = [dashboard(ctx, v, today=today, page=i, per_page=5) for i in range(1, -(-n // 5) + 1)]
    assert [p.page for p in pages] == list(range(1, len(pages) + 1))
    assert all(p.pages == len(pages) and p.overdue_total == n for p in pages)
    assert [r for p in pages for r in p.overdue] == whole.overdue  # in order, each row once
    assert all(p.by_demarche == whole.by_demarche and p.by_worker == whole.by_worker for p in pages)
    assert dashboard(ctx, v, today=today, page=999, per_page=5).page == len(pages)  # past the end: the last page


def test_dashboard_pages_keep_the_filters_and_refuse_a_bad_page(web, monkeypatch):
    import html as html_

    from raj_release.services import dashboard

    login(web, "coord")
    monkeypatch.setattr(dashboard, "PER_PAGE", 1)
    first = web.get(f"/dashboard?prison=haren&as_of={LATER}").text
    total = int(re.search(r'id="overdue-list"><h2>[^(]*\((\d+)\)', first).group(1))
    assert total > 1 and "1 / " in first and 'rel="prev"' not in first
    nxt = html_.unescape(re.search(r'rel="next" href="([^"]+)"', first).group(1))
    assert nxt == f"/dashboard?prison=haren&page=2&as_of={LATER}"
    second = web.get(nxt).text
    assert "2 / " in second and 'rel="prev"' in second and "Prison = Prison de Haren" in second
    rows = lambda page: re.findall(r'<tr class="late"[^>]*>(.*?)</tr>', page.split('id="overdue-list"')[1])  # noqa: E731
    assert len(rows(first)) == 1 and rows(first) != rows(second)
    bad = web.get(f"/dashboard?prison=haren&page=deux&as_of={LATER}")
    assert bad.status_code == 422 and "Page : « deux » n'est pas un numéro de page" in html_.unescape(bad.text)
    assert web.get(f"/dashboard?page=0&as_of={LATER}").status_code == 422


def test_partner_directory_is_read_only_and_shows_no_channel(web, ctx):
    assert web.get("/partners").status_code == 303
    login(web, "psy.b")
    page = web.get("/partners")
    assert page.status_code == 200 and "Partnerlijst" in page.text
    for p in ctx.config.partners.values():
        assert f'data-id="{p.id}"' in page.text
        for url in p.channels:
            assert url not in page.text  # channel URLs may hold secrets
    assert "<form" not in page.text.split('id="partners"')[1]  # nothing to edit here


def test_notes_and_each_demarche_history_on_the_plan(web, ctx):
    login(web, "as.a")
    page = web.get(f"/persons/P-A?as_of={LATER}").text
    token = csrf_of(page)
    version = re.search(r'name="done" value="P-A intake_fiche (\d+)"', web.get(f"/week?as_of={LATER}").text).group(1)
    web.post(f"/persons/P-A/demarches/intake_fiche/status?as_of={LATER}",
             data={"status": "completed", "version": version, "csrf": token})
    r = web.post(f"/persons/P-A/notes?as_of={LATER}", data={"text": "RDV CPAS fixé (fictif)", "csrf": token})
    assert r.status_code == 303
    html = web.get(f"/persons/P-A?as_of={LATER}").text
    assert "RDV CPAS fixé (fictif)" in html.split('id="notes"')[1].split("</section>")[0]
    row = html.split('data-key="intake_fiche"')[1].split("</tr>")[0]
    assert "AS.A a marqué « Fiche administrative" in row and "comme faite" in row  # the démarche's own history
    assert web.post("/persons/P-A/notes", data={"text": "sans jeton"}).status_code == 403
    assert web.post("/persons/P-B/notes", data={"text": "x", "csrf": token}).status_code == 404
    r = web.post(f"/persons/P-A/notes?as_of={LATER}", data={"text": "   ", "csrf": token})
    assert "Note : écrivez quelque chose" in web.get(r.headers["location"]).text
    from sqlalchemy import select

    from raj_release.store import models as m
    with ctx.db.transaction() as s:
        added = s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "note.added")).all()
    assert [e.actor for e in added] == ["as.a"] and "RDV" not in str(added[0].new)


def test_the_workspace_looks_at_the_day_of_raj_today(ctx, web):
    """`raj web --today D` (RAJ_TODAY): a demo dated in the past shows the same day as the command line."""
    import dataclasses

    from raj_release.web.app import create_app

    day = dt.date(2027, 6, 1)
    dated = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"today": day}))
    assert dated.local_today() == day and ctx.local_today() != day
    client = TestClient(create_app(dated, secret=b"test secret"), follow_redirects=False)
    login(client, "as.a")
    page = client.get("/persons/P-A").text
    assert "01/06/2027" in page  # the plan as of that day
    assert client.get("/persons/P-A?as_of=2027-01-04").status_code == 200  # an explicit day still wins
