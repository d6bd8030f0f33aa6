"""Acting on the plan page (issue 11): every status change from the plan, « Fait » undone, a pin removed, a
note corrected by its author only, a stale form answered with what changed meanwhile; who is in charge, the
advised start, provisional dates, today's banners, and every input labelled. The services first, then the
page in-process (SQLite, and PostgreSQL when RAJ_TEST_DATABASE_URL is set)."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from raj_release.domain import Milestone, MilestoneKind
from raj_release.errors import Conflict, Forbidden, RajError, StaleVersion
from raj_release.services.access import load_viewer
from raj_release.services.auth import set_password
from raj_release.services.demarches import pin_due, set_status, unpin
from raj_release.services.history import changes_since, last_event_id
from raj_release.services.leaves import add_leave
from raj_release.services.milestones import set_milestone
from raj_release.services.notes import add_note, correct_note, notes_of
from raj_release.services.persons import register_person, show_plan
from raj_release.services.workers import register_worker
from raj_release.store import models as m

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "une phrase assez longue"
REGISTERED = dt.date(2026, 11, 23)
LATER = "2027-01-20"


@pytest.fixture
def people(ctx):
    for wid, name, role in [("as.a", "Amélie Fictive", "as"), ("psy.a", "Chloé Fictive", "psy"),
                            ("as.b", "Bruno Fictif", "as"), ("psy.b", "Dirk Fictief", "psy")]:
        register_worker(ctx, wid, name, role, "fr")
        set_password(ctx, wid, PASSWORD)
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 6, 15), certainty="expected")]
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=REGISTERED,
                    needs=["housing"], milestones=hearing)
    register_person(ctx, ref="P-B", prison="ittre", as_id="as.b", psy_id="psy.b", today=REGISTERED,
                    needs=["income"], milestones=hearing)
    return ctx


def viewer(ctx, wid):
    with ctx.db.reading() as s:
        return load_viewer(s, wid)


def version(ctx, ref="P-A"):
    return show_plan(ctx, ref, today=REGISTERED).person.version


def status_of(ctx, key, ref="P-A"):
    return next(d for d in show_plan(ctx, ref, today=REGISTERED).demarches if d.key == key)


# ---------------------------------------------------------------------------------------------------------
# services

def test_done_is_undone_without_a_reason_for_ten_minutes_then_only_with_one(people):
    ctx = people
    set_status(ctx, "P-A", "intake_fiche", "completed", today=REGISTERED, actor="as.a")
    assert status_of(ctx, "intake_fiche").completed_at is not None
    d = set_status(ctx, "P-A", "intake_fiche", "in-progress", today=REGISTERED, actor="as.a")
    assert d.status.value == "in-progress" and d.reason == "annulation de fait"  # the person's language
    with ctx.db.reading() as s:
        e = s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "demarche.status")
                      .order_by(m.AuditEvent.id.desc())).first()
    assert (e.old["status"], e.new["status"], e.reason) == ("completed", "in-progress", "annulation de fait")

    set_status(ctx, "P-A", "intake_fiche", "completed", today=REGISTERED, actor="as.a")
    ctx.now.t += dt.timedelta(minutes=11)  # past the window: reopening is a decision, with its reason
    with pytest.raises(RajError, match="needs a reason"):
        set_status(ctx, "P-A", "intake_fiche", "in-progress", today=REGISTERED, actor="as.a")
    d = set_status(ctx, "P-A", "intake_fiche", "in-progress", today=REGISTERED, reason="fiche incomplète",
                   actor="as.a")
    assert d.reason == "fiche incomplète"
    # the window is for undoing « Fait » only: a cancelled démarche still needs its reason to reopen
    set_status(ctx, "P-A", "eid_check", "cancelled", today=REGISTERED, reason="a déjà sa carte", actor="as.a")
    with pytest.raises(RajError, match="needs a reason"):
        set_status(ctx, "P-A", "eid_check", "planned", today=REGISTERED, actor="as.a")


def test_a_stale_version_is_a_conflict_with_its_versions(people):
    ctx = people
    v = version(ctx)
    set_status(ctx, "P-A", "intake_fiche", "completed", today=REGISTERED, actor="as.a", expected_version=v)
    with pytest.raises(StaleVersion) as e:
        set_status(ctx, "P-A", "eid_check", "in-progress", today=REGISTERED, actor="psy.a", expected_version=v)
    assert isinstance(e.value, Conflict) and e.value.field == "version"
    assert (e.value.ref, e.value.current, e.value.yours) == ("P-A", v + 1, v)


def test_unpin_gives_the_date_back_to_the_planner(people):
    ctx = people
    planned = status_of(ctx, "housing_apply").due
    pin_due(ctx, "P-A", "housing_apply", due=dt.date(2027, 3, 1), today=REGISTERED, actor="as.a")
    assert status_of(ctx, "housing_apply").pinned
    view = unpin(ctx, "P-A", "housing_apply", today=REGISTERED, actor="as.a")
    d = next(d for d in view.demarches if d.key == "housing_apply")
    assert not d.pinned and d.due == planned
    with ctx.db.reading() as s:
        actions = s.scalars(select(m.AuditEvent.action).where(m.AuditEvent.entity_key == "housing_apply")).all()
    assert "demarche.unpinned" in actions
    with pytest.raises(Conflict, match="not pinned"):
        unpin(ctx, "P-A", "housing_apply", today=REGISTERED, actor="as.a")


def test_a_note_is_corrected_by_its_author_only_and_the_earlier_text_is_kept(people):
    ctx = people
    author, colleague = viewer(ctx, "as.a"), viewer(ctx, "psy.a")
    nid = add_note(ctx, author, "P-A", "RDV CPAS le 12/01 (fictif)")
    n = correct_note(ctx, author, "P-A", nid, "RDV CPAS le 13/01 (fictif)")
    assert n.text == "RDV CPAS le 13/01 (fictif)" and n.corrected_at is not None
    assert [r.text for r in n.earlier] == ["RDV CPAS le 12/01 (fictif)"]
    correct_note(ctx, author, "P-A", nid, "RDV CPAS le 14/01 (fictif)")
    (listed,) = notes_of(ctx, colleague, "P-A")
    assert [r.text for r in listed.earlier] == ["RDV CPAS le 13/01 (fictif)", "RDV CPAS le 12/01 (fictif)"]
    with pytest.raises(Forbidden, match="only its author"):
        correct_note(ctx, colleague, "P-A", nid, "autre texte")
    with pytest.raises(RajError, match="not found"):
        correct_note(ctx, viewer(ctx, "as.b"), "P-A", nid, "x")  # another binôme's person: not even seen
    with pytest.raises(RajError, match="write something"):
        correct_note(ctx, author, "P-A", nid, "  ")
    with ctx.db.reading() as s:
        events = s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "note.corrected")).all()
    assert len(events) == 2 and all("RDV" not in str(e.new) for e in events)  # no text in the audit log
    before = len(events)
    correct_note(ctx, author, "P-A", nid, "RDV CPAS le 14/01 (fictif)")  # the same text: nothing changes
    with ctx.db.reading() as s:
        assert len(s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "note.corrected")).all()) == before


def test_changes_since_lists_what_others_did_after_a_page_was_read(people):
    ctx = people
    v = viewer(ctx, "as.a")
    seen = last_event_id(ctx, v, "P-A")
    show_plan(ctx, "P-A", today=REGISTERED, viewer=viewer(ctx, "psy.a"))  # a read is not a change
    set_status(ctx, "P-A", "intake_fiche", "completed", today=REGISTERED, actor="psy.a")
    set_milestone(ctx, "P-A", "tap_hearing", date=dt.date(2027, 7, 13), today=REGISTERED, actor="psy.a")
    changes = changes_since(ctx, v, "P-A", seen)
    assert changes[0].action == "demarche.status" and changes[0].actor == "psy.a"
    assert "milestone.set" in [e.action for e in changes] and "person.read" not in [e.action for e in changes]
    assert changes_since(ctx, v, "P-A", last_event_id(ctx, v, "P-A")) == []


# ---------------------------------------------------------------------------------------------------------
# the page

@pytest.fixture
def web(people):
    from raj_release.web.app import create_app

    return TestClient(create_app(people, secret=b"test secret"), follow_redirects=False)


def login(client, who):
    page = client.get("/login")
    r = client.post("/login", data={"username": who, "password": PASSWORD, "csrf": csrf_of(page.text)})
    assert r.status_code == 303


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def form_fields(html, key):
    """The csrf, version and seen fields of the row of démarche `key`."""
    row = row_of(html, key)
    return {n: re.search(rf'name="{n}" value="([^"]*)"', row).group(1) for n in ("csrf", "version", "seen")}


def row_of(html, key):
    return html.split(f'id="d-{key}"')[1].split("</tr>")[0]


def plan(web, ref="P-A", day=LATER):
    r = web.get(f"/persons/{ref}?as_of={day}")
    assert r.status_code == 200
    return r.text


def test_the_plan_shows_who_is_in_charge_the_advised_start_and_provisional_dates(web):
    login(web, "as.a")
    html = plan(web)
    assert "Amélie Fictive" in row_of(html, "intake_fiche")  # the AS's
    assert "Amélie Fictive + Chloé Fictive" in row_of(html, "tap_file")  # the binôme's
    start = show_plan(web.app.state.ctx, "P-A", today=REGISTERED).demarches
    tap = next(d for d in start if d.key == "tap_file")
    assert tap.start.strftime("%d/%m/%Y") in row_of(html, "tap_file")
    assert "provisoire" in row_of(html, "tap_file")  # planned against an expected hearing
    assert "Début conseillé" in html and "Qui s'en occupe" in html


def test_mark_done_from_the_plan_then_undo_it_from_the_notice(web):
    login(web, "as.a")
    f = form_fields(plan(web), "intake_fiche")
    r = web.post(f"/persons/P-A/demarches/intake_fiche/status?as_of={LATER}",
                 data={**f, "status": "completed", "back": "plan"})
    assert r.status_code == 303 and r.headers["location"].startswith("/persons/P-A?")
    assert "marked=intake_fiche" in r.headers["location"]
    html = web.get(r.headers["location"]).text
    notice = html.split('id="undo"')[1].split("</div>")[0]
    assert "est marquée comme faite" in notice and "Annuler" in notice
    undo = {n: re.search(rf'name="{n}" value="([^"]*)"', notice).group(1)
            for n in ("csrf", "version", "seen", "status", "back")}
    assert undo["status"] == "in-progress" and undo["back"] == "plan"
    r = web.post(f"/persons/P-A/demarches/intake_fiche/status?as_of={LATER}", data=undo)
    assert r.status_code == 303 and "marked=" not in r.headers["location"]
    row = row_of(web.get(r.headers["location"]).text, "intake_fiche")
    assert "en cours" in row and "annulation de fait" in row


def test_every_status_from_the_plan(web):
    login(web, "as.a")
    url = f"/persons/P-A/demarches/housing_apply/status?as_of={LATER}"
    html = plan(web)
    assert "Le Relais" in row_of(html, "housing_apply")  # its partners to wait on, from the directory
    r = web.post(url, data={**form_fields(html, "housing_apply"), "status": "on-hold", "partner": "ma-demo",
                            "back": "plan"})
    assert r.status_code == 303
    html = plan(web)
    assert "en attente" in row_of(html, "housing_apply") and "ma-demo" in row_of(html, "housing_apply")
    # not applicable needs its reason: one line, nothing changed
    r = web.post(url, data={**form_fields(html, "housing_apply"), "status": "cancelled", "back": "plan"})
    assert r.status_code == 303 and "error=" in r.headers["location"]
    assert 'class="error"' in web.get(r.headers["location"]).text
    r = web.post(url, data={**form_fields(html, "housing_apply"), "status": "failed", "reason": "plus de place",
                            "back": "plan"})
    html = plan(web)
    assert "plus de place" in row_of(html, "housing_apply")
    row = row_of(html, "housing_apply")
    assert 'value="planned"' in row and 'value="in-progress"' in row  # failed reopens to either
    r = web.post(url, data={**form_fields(html, "housing_apply"), "status": "planned", "reason": "place libérée",
                            "back": "plan"})
    assert r.status_code == 303
    assert "place libérée" in row_of(plan(web), "housing_apply")


def test_the_back_field_never_leaves_the_workspace(web):
    login(web, "as.a")
    f = form_fields(plan(web), "intake_fiche")
    r = web.post("/persons/P-A/demarches/intake_fiche/status",
                 data={**f, "status": "in-progress", "back": "https://example.org/"})
    assert r.status_code == 303 and r.headers["location"] == "/week"


def test_remove_a_pin_from_the_plan(web):
    login(web, "as.a")
    html = plan(web)
    r = web.post(f"/persons/P-A/demarches/housing_apply/pin?as_of={LATER}",
                 data={**form_fields(html, "housing_apply"), "date": "2027-03-01"})
    assert r.status_code == 303
    row = row_of(plan(web), "housing_apply")
    assert "01/03/2027" in row and "/unpin" in row
    r = web.post(f"/persons/P-A/demarches/housing_apply/unpin?as_of={LATER}",
                 data=form_fields(plan(web), "housing_apply"))
    assert r.status_code == 303 and "moved=" in r.headers["location"]
    row = row_of(web.get(r.headers["location"]).text, "housing_apply")
    due = row.split('<td data-label="Début conseillé">')[0]  # the due cell (the row's history keeps the old date)
    assert "01/03/2027" not in due and "/unpin" not in row


def test_a_note_is_corrected_on_the_page_by_its_author_only(web, people):
    login(web, "as.a")
    token = csrf_of(plan(web))
    web.post("/persons/P-A/notes", data={"text": "Appel famille (fictif)", "csrf": token})
    nid = re.search(r'id="note-(\d+)"', plan(web)).group(1)
    r = web.post(f"/persons/P-A/notes/{nid}", data={"text": "Appel sœur (fictif)", "csrf": token})
    assert r.status_code == 303
    notes = plan(web).split('id="notes"')[1].split("</section>")[0]
    assert "Appel sœur (fictif)" in notes and "corrigée" in notes and "Appel famille (fictif)" in notes
    web.cookies.clear()
    login(web, "psy.a")
    notes = plan(web).split('id="notes"')[1].split("</section>")[0]
    assert f'action="/persons/P-A/notes/{nid}"' not in notes  # no « Corriger » on someone else's note
    r = web.post(f"/persons/P-A/notes/{nid}", data={"text": "pas à moi", "csrf": csrf_of(plan(web))})
    assert r.status_code == 303
    assert "une note peut la corriger" in web.get(r.headers["location"]).text.split('class="error"')[1]
    assert notes_of(people, viewer(people, "as.a"), "P-A")[0].text == "Appel sœur (fictif)"


def test_a_stale_form_gives_the_fresh_plan_with_what_changed_meanwhile(web, people):
    login(web, "as.a")
    stale = plan(web)
    set_status(people, "P-A", "eid_check", "in-progress", today=REGISTERED, actor="psy.a")  # the colleague
    r = web.post(f"/persons/P-A/demarches/intake_fiche/status?as_of={LATER}",
                 data={**form_fields(stale, "intake_fiche"), "status": "completed", "back": "plan"})
    assert r.status_code == 409
    box = r.text.split('id="conflict"')[1].split("</div>")[0]
    assert "a modifié ce dossier entre-temps" in box
    assert "Chloé Fictive a changé le statut de « Vérifier" in box and "en cours" in box
    assert "intake_fiche" not in box
    # the page is fresh: redoing the action from it works
    r = web.post(f"/persons/P-A/demarches/intake_fiche/status?as_of={LATER}",
                 data={**form_fields(r.text, "intake_fiche"), "status": "completed", "back": "plan"})
    assert r.status_code == 303
    assert status_of(people, "intake_fiche").status.value == "completed"


def test_a_banner_when_released_today_or_on_leave_today(web, people):
    login(web, "as.a")
    assert 'id="today"' not in plan(web)
    add_leave(people, "P-A", kind="cp", start=dt.date(2027, 1, 19), end=dt.date(2027, 1, 21), today=REGISTERED)
    banner = plan(web).split('id="today"')[1].split("</div>")[0]
    assert "En congé aujourd" in banner and "19/01/2027" in banner
    set_milestone(people, "P-A", "actual_release", date=dt.date(2027, 1, 20), today=REGISTERED)
    assert "Libéré·e aujourd" in plan(web).split('id="today"')[1].split("</div>")[0]


class Controls(HTMLParser):
    """Every visible form control of a page, and whether it has a label (a <label> around or for it, or
    aria-label)."""

    def __init__(self):
        super().__init__()
        self.unlabelled, self.depth, self.ids_for, self.pending = [], 0, set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "label":
            self.depth += 1
            if "for" in a:
                self.ids_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            if not (self.depth or (a.get("aria-label") or "").strip()):
                self.pending.append((a.get("id"), f"{tag} name={a.get('name')}"))

    def handle_endtag(self, tag):
        if tag == "label":
            self.depth -= 1

    def missing(self):
        return [what for id_, what in self.pending if id_ is None or id_ not in self.ids_for]


@pytest.mark.parametrize("who", ["as.a", "psy.a"])
def test_every_input_of_the_plan_is_labelled_in_the_readers_words(web, people, who):
    add_leave(people, "P-A", kind="cp", start=dt.date(2027, 2, 1), end=dt.date(2027, 2, 3), today=REGISTERED)
    add_note(people, viewer(people, "as.a"), "P-A", "Note (fictive)")
    login(web, who)
    html = plan(web)
    parser = Controls()
    parser.feed(html)
    assert parser.missing() == []
    milestones = html.split('id="milestone-form"')[1].split("</form>")[0]
    for words in ("Pas avant le", "Pas après le", "Certitude", "Date clé"):
        assert words in milestones
    assert ">confirmed<" not in milestones and 'aria-label="earliest"' not in milestones


def test_notes_through_the_api_a_correction_by_another_worker_is_403(people):
    from raj_release.services.auth import create_token
    from raj_release.web.app import create_app

    client = TestClient(create_app(people))
    auth = {w: {"Authorization": f"Bearer {create_token(people, w, 'tests')}"} for w in ("as.a", "psy.a", "as.b")}
    r = client.post("/api/persons/P-A/notes", json={"text": "Note API (fictive)"}, headers=auth["as.a"])
    assert r.status_code == 200 and r.json()["corrected_at"] is None
    nid = r.json()["id"]
    r = client.put(f"/api/persons/P-A/notes/{nid}", json={"text": "Note API corrigée"}, headers=auth["psy.a"])
    assert r.status_code == 403 and "only its author" in r.json()["detail"]
    r = client.put(f"/api/persons/P-A/notes/{nid}", json={"text": "Note API corrigée"}, headers=auth["as.a"])
    assert r.status_code == 200 and r.json()["corrected_at"] is not None
    assert [x["text"] for x in r.json()["earlier"]] == ["Note API (fictive)"]
    assert client.get("/api/persons/P-A/notes", headers=auth["psy.a"]).json()[0]["text"] == "Note API corrigée"
    assert client.get("/api/persons/P-A/notes", headers=auth["as.b"]).status_code == 404
    # undoing « Fait » through the API: the same rule as the page
    v = version(people)
    r = client.put("/api/persons/P-A/demarches/intake_fiche/status", json={"status": "completed", "version": v},
                   headers=auth["as.a"])
    assert r.status_code == 200 and r.json()["completed_at"] is not None
    r = client.put("/api/persons/P-A/demarches/intake_fiche/status", json={"status": "in-progress", "version": v},
                   headers=auth["as.a"])
    assert r.status_code == 409  # the stale version still counts
    r = client.put("/api/persons/P-A/demarches/intake_fiche/status",
                   json={"status": "in-progress", "version": v + 1}, headers=auth["as.a"])
    assert r.status_code == 200 and r.json()["reason"] == "annulation de fait"
