"""Consents and applications through the services, on a real database (issue 12 points 1, 2 and 4): the
register and its audit trail, « Recueil consentements » done and reopened, the sweep's gate, what each type
of partner receives, health démarches kept to care services, a withdrawal or an expiry stopping what waits in
the outbox, parallel applications, and migration 0011 turning a démarche on hold into an application.
SQLite and PostgreSQL (when configured)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from raj_release.domain import Milestone, MilestoneKind
from raj_release.errors import Conflict, NotFound, RajError
from raj_release.notify.sink import read_received, running_sink
from raj_release.services.applications import applications_of, apply, set_state, withdraw_others
from raj_release.services.consents import consents_of, grant, withdraw
from raj_release.services.context import Context
from raj_release.services.demarches import pin_due, set_status
from raj_release.services.outbox import deliver, list_outbox
from raj_release.services.persons import register_person, show_plan
from raj_release.services.reminders import sweep
from raj_release.services.workers import register_worker
from raj_release.store import models as m
from raj_release.store.db import Database
from raj_release.store.migrate import upgrade

D = dt.date
UTC = dt.UTC
TODAY = D(2026, 11, 23)  # a Monday
PUBLIC = "https://raj.example.be"
NAME = "Jean-Marc Dubois"
OTHER_NAME = "Zoë Van Acker"
REPLY = re.compile(r"https://raj\.example\.be/r/[A-Za-z0-9_-]{40,}")


@pytest.fixture
def c(ctx) -> Context:
    """The test context with RAJ_PUBLIC_URL set (partners' messages carry reply links), a binôme with contacts
    and two persons: P-A (named, so that partners identifying by initials read « J.D. ») and P-B."""
    c = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"public_url": PUBLIC}))
    register_worker(c, "as.a", "Amélie Dupont", "as", "fr", contact="02 555 01 01")
    register_worker(c, "psy.a", "Pieter Janssens", "psy", "nl", contact="pieter.janssens@example.org")
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=D(2027, 6, 15))]
    for ref, name in (("P-A", NAME), ("P-B", OTHER_NAME)):
        register_person(c, ref=ref, prison="haren", as_id="as.a", psy_id="psy.a", today=TODAY, name=name,
                        needs=["housing", "income", "cure", "substitution", "medical"], milestones=hearing,
                        modality="lc")
    return c


def events(c, action: str) -> list[m.AuditEvent]:
    with c.db.reading() as s:
        return list(s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == action).order_by(m.AuditEvent.id)))


def outbox(c, **where) -> list[m.OutboxMessage]:
    with c.db.reading() as s:
        q = select(m.OutboxMessage).order_by(m.OutboxMessage.id)
        for k, v in where.items():
            q = q.where(getattr(m.OutboxMessage, k) == v)
        rows = list(s.scalars(q))
        s.expunge_all()
        return rows


def status_of(c, ref: str, key: str) -> str:
    return next(d.status for d in show_plan(c, ref, today=TODAY).demarches if d.key == key)


def grant_all(c, ref: str, day: D = TODAY, **kw) -> list[int]:
    """Every consent the plan of `ref` lacks: for each purpose, each partner type of its démarches."""
    purposes = c.config.consents.by_key
    wanted = {(x.purpose, t): None for x in consents_of(c, ref, today=day).missing for t in x.partner_types
              if t in purposes[x.purpose].partner_types}
    return [grant(c, ref, purpose=p, partner_type=t, today=day, **kw).id for p, t in wanted]


def label(c, key: str, lang: str = "fr") -> str:
    return c.config.templates.by_key[key].label_in(lang)


# ---------------------------------------------------------------------------------------------------------
# the register


def test_grant_list_withdraw_are_audited(c):
    a = grant(c, "P-A", purpose="housing", partner_type="maison_accueil", given_on=D(2026, 11, 16), today=TODAY,
              actor="as.a")
    b = grant(c, "P-A", purpose="care", partner="cure-demo", how="oral", given_on=D(2026, 11, 20),
              until=D(2027, 5, 31), today=TODAY, actor="psy.a")
    view = consents_of(c, "P-A", today=TODAY)
    assert [(x.id, x.partner, x.partner_type, x.purpose, x.how.value, x.until, x.current, x.recorded_by)
            for x in view.consents] == [
        (a.id, None, "maison_accueil", "housing", "signed", None, True, "as.a"),
        (b.id, "cure-demo", None, "care", "oral", D(2027, 5, 31), True, "psy.a")]  # by the day given
    [given_a, given_b] = events(c, "consent.given")
    assert (given_a.actor, given_a.entity_key, given_a.new["purpose"], given_a.new["partner_type"]) == (
        "as.a", str(a.id), "housing", "maison_accueil")
    assert (given_b.new["how"], given_b.new["until"], given_b.new["partner"]) == ("oral", "2027-05-31", "cure-demo")

    w = withdraw(c, "P-A", a.id, reason="La personne ne veut plus", today=TODAY, actor="as.a")
    assert (w.withdrawn_on, w.withdraw_reason, w.current) == (TODAY, "La personne ne veut plus", False)
    assert next(x for x in consents_of(c, "P-A", today=TODAY - dt.timedelta(days=1)).consents
                if x.id == a.id).current  # it held the day before
    [gone] = events(c, "consent.withdrawn")
    assert (gone.actor, gone.entity_key, gone.reason, gone.new) == ("as.a", str(a.id), "La personne ne veut plus",
                                                                   {"withdrawn_on": TODAY.isoformat()})

    before = consents_of(c, "P-A", today=TODAY)
    with pytest.raises(Conflict):
        withdraw(c, "P-A", a.id, reason="encore", today=TODAY)
    with pytest.raises(NotFound):
        withdraw(c, "P-B", b.id, reason="pas la sienne", today=TODAY)  # another person's consent
    with pytest.raises(RajError):
        withdraw(c, "P-A", b.id, reason="  ", today=TODAY)  # a reason is needed
    with pytest.raises(RajError):
        withdraw(c, "P-A", b.id, reason="plus tard", on=TODAY + dt.timedelta(days=1), today=TODAY)  # not yet said
    with pytest.raises(RajError):
        grant(c, "P-A", purpose="care", partner_type="cpas", today=TODAY)  # care never concerns a CPAS
    with pytest.raises(RajError):
        grant(c, "P-A", purpose="housing", partner="ma-demo", partner_type="maison_accueil", today=TODAY)
    with pytest.raises(RajError):
        grant(c, "P-A", purpose="housing", partner="ma-demo", given_on=D(2026, 11, 24), today=TODAY)  # future
    with pytest.raises(RajError):
        grant(c, "P-A", purpose="housing", partner="ma-demo", until=D(2026, 11, 1), today=TODAY)  # before given
    assert consents_of(c, "P-A", today=TODAY) == before  # nothing changed
    assert len(events(c, "consent.given")) == 2 and len(events(c, "consent.withdrawn")) == 1


def test_consent_sharing_is_done_once_every_need_is_covered_and_reopened_by_a_withdrawal(c):
    assert status_of(c, "P-A", "consent_sharing") == "planned"
    view = consents_of(c, "P-A", today=TODAY)
    assert not view.complete and {x.key for x in view.missing} >= {"housing_apply", "cure_apply", "domicile_fix"}
    grant(c, "P-A", purpose="housing", partner_type="maison_accueil", today=TODAY)
    assert status_of(c, "P-A", "consent_sharing") == "planned"  # not all of them yet
    ids = grant_all(c, "P-A")
    view = consents_of(c, "P-A", today=TODAY)
    assert view.complete and view.missing == []
    assert status_of(c, "P-A", "consent_sharing") == "completed"
    [done] = [e for e in events(c, "demarche.status") if e.entity_key == "consent_sharing"]
    assert done.new["status"] == "completed" and done.person_id is not None

    # withdrawing the only consent for care services uncovers the cure: reopened, and the plan says what lacks
    care = next(x for x in consents_of(c, "P-A", today=TODAY).consents
                if x.purpose == "care" and x.partner_type == "centre_residentiel")
    assert care.id in ids
    withdraw(c, "P-A", care.id, reason="Refuse la cure", today=TODAY)
    assert status_of(c, "P-A", "consent_sharing") == "in-progress"
    view = consents_of(c, "P-A", today=TODAY)
    assert not view.complete and "cure_apply" in {x.key for x in view.missing}
    # P-B gave nothing: its « Recueil consentements » never moved
    assert status_of(c, "P-B", "consent_sharing") == "planned"


# ---------------------------------------------------------------------------------------------------------
# the sweep's gate


def test_the_sweep_writes_only_to_covered_partners_and_tells_the_binome_what_lacks(c):
    due = c.config.calendar.add_working_days(TODAY, 3)  # the partner's reminder point falls on TODAY
    grant(c, "P-A", purpose="housing", partner_type="maison_accueil", today=TODAY)
    apply(c, "P-A", "housing_apply", ["ma-demo"], today=TODAY)
    set_status(c, "P-B", "housing_apply", "on-hold", partner="ma-escale-demo", today=TODAY)  # no consent
    for ref in ("P-A", "P-B"):
        pin_due(c, ref, "housing_apply", due=due, today=TODAY)

    without_gate = sweep(c, TODAY, dry_run=True, consent=False)
    assert sorted((x.recipient, x.person_id is not None) for x in without_gate.messages if x.kind == "partner") == [
        ("ma-demo", True), ("ma-escale-demo", True)]  # what the gate stops
    result = sweep(c, TODAY)
    partners = [x for x in result.enqueued if x.role == "partner"]
    assert [(x.kind, x.recipient) for x in partners] == [("partner", "ma-demo")]
    assert "J.D." in partners[0].body and "V.A." not in partners[0].body
    [digest] = [x for x in result.enqueued if (x.kind, x.recipient) == ("digest", "as.a")]
    line = (f"consentement manquant pour Maison d'accueil fictive « L'Escale » (démo) "
            f"({label(c, 'housing_apply')}) · P-B")
    assert line in digest.body
    assert "consentement manquant pour Maison d'accueil fictive « Le Relais »" not in digest.body
    # nothing was queued for the partner not covered
    assert outbox(c, recipient="ma-escale-demo") == []
    assert sweep(c, TODAY).enqueued == []  # the same day again: nothing new


# ---------------------------------------------------------------------------------------------------------
# privacy per partner type


PRIVATE = [NAME, "Dubois", "Jean-Marc", OTHER_NAME, "Van Acker", "P-B", "haren", "Haren", "condamn", "veroordeel",
           "libération conditionnelle", "voorwaardelijke", "substitution", "besoins", "noden", "15/06/2027",
           "2027-06-15", "P-A"]


def _targets(c) -> list[tuple[str, str]]:
    """For each partner of the directory that has a channel, one démarche of P-A it may receive: one of
    each type."""
    plan = {d.key: d for d in show_plan(c, "P-A", today=TODAY).demarches if d.status in ("planned", "in-progress")}
    seen, out = set(), []
    for p in c.config.partners.values():
        if p.type in seen or not p.channels:
            continue
        for key, _d in sorted(plan.items(), key=lambda kv: kv[1].due or D.max):
            t = c.config.templates.by_key[key]
            purpose = c.config.purpose_of(key)
            if p.type in t.partner_types and purpose is not None and p.type in purpose.partner_types:
                out.append((p.id, key))
                seen.add(p.type)
                break
    return out


def test_each_partner_type_receives_only_the_reference_or_initials_the_demarche_the_date_contacts_and_link(c):
    targets = _targets(c)
    types = {c.config.partners[p].type for p, _k in targets}
    assert {"cpas", "maison_accueil", "centre_residentiel", "mutualite", "maison_medicale"} <= types
    grant_all(c, "P-A")
    grant_all(c, "P-B")
    for pid, key in targets:
        apply(c, "P-A", key, [pid], today=TODAY, actor="as.a")
    plan = {d.key: d for d in show_plan(c, "P-A", today=TODAY).demarches}
    with c.db.reading() as s:
        person_id = s.scalar(select(m.Person.id).where(m.Person.ref == "P-A"))
    rows = {r.recipient: r for r in outbox(c, role="partner")}
    assert set(rows) == {p for p, _k in targets}
    for pid, key in targets:
        partner = c.config.partners[pid]
        row = rows[pid]
        assert (row.kind, row.person_id, [i["key"] for i in row.items]) == ("request", person_id, [key])
        body, lang = row.subject + "\n" + row.body, partner.language
        who = "J.D." if partner.identify_person_by == "initials" else "P-A"
        assert who in body, pid
        assert label(c, key, lang) in body, pid
        wished = plan[key].due.strftime("%d/%m/%Y")
        assert wished in body, pid
        # whom to answer: the démarche's responsible worker(s), with their contact, and nobody else
        responsible = c.config.templates.by_key[key].responsible.value
        assert ("02 555 01 01" in body) is (responsible in ("AS", "BIN")), pid
        assert ("pieter.janssens@example.org" in body) is (responsible in ("PSY", "BIN")), pid
        assert len(REPLY.findall(body)) == 1, pid
        # nothing else: strip what may be there, and no private word, no other démarche, no other link remains
        rest = body.replace(label(c, key, lang), "").replace(partner.name, "").replace(REPLY.search(body).group(), "")
        rest = rest.replace(wished, "")
        if who == "J.D.":
            rest = rest.replace("J.D.", "")
        low = rest.lower()
        assert [w for w in PRIVATE if w.lower() in low and not (w == "P-A" and who == "P-A")] == [], (pid, rest)
        others = [k for k in plan if k != key and label(c, k, lang) in rest]
        assert others == [], (pid, others)
        assert "http" not in rest and "/week" not in rest and "/persons" not in rest
        assert not re.search(r"\d{2}/\d{2}/\d{4}", rest.replace(TODAY.strftime("%d/%m/%Y"), "")), (pid, rest)


def test_a_health_demarche_never_goes_to_a_partner_outside_care(c):
    care = c.config.consents.by_key["care"]
    assert care.health
    health_keys = [t.key for t in c.config.templates if c.config.purpose_of(t.key) == care]
    assert {"cure_apply", "med_gp", "subst_relay"} <= set(health_keys)
    for key in health_keys:  # the config: only care services are listed for them
        assert set(c.config.templates.by_key[key].partner_types) <= set(care.partner_types), key
    outside = [p.id for p in c.config.partners.values() if p.type not in care.partner_types]
    assert {"cpas-demo", "commune-demo", "mutualite-demo", "ma-demo"} <= set(outside)
    grant_all(c, "P-A")  # whatever the person agreed to
    before = outbox(c)
    for key in ("cure_apply", "med_gp", "subst_relay"):
        for pid in outside:
            with pytest.raises(RajError):
                apply(c, "P-A", key, [pid], today=TODAY)
            with pytest.raises(RajError):
                grant(c, "P-A", purpose="care", partner=pid, today=TODAY)
    assert applications_of(c, "P-A", today=TODAY) == [] and outbox(c) == before
    # a care service of the directory is allowed, under its consent
    apply(c, "P-A", "cure_apply", ["cure-demo"], today=TODAY)
    assert [x.recipient for x in outbox(c, role="partner")] == ["cure-demo"]


# ---------------------------------------------------------------------------------------------------------
# a withdrawal or an expiry stops what waits in the outbox


@pytest.fixture
def sink(tmp_path, monkeypatch):
    """The partners' channels (${RAJ_DEMO_SINK}/partners/<id> in config/partners.yaml) point at a local
    endpoint that records what it receives."""
    with running_sink(tmp_path / "sink") as (url, received):
        monkeypatch.setenv("RAJ_DEMO_SINK", url)
        yield received


def test_a_withdrawal_cancels_the_queued_partner_messages_at_once(c, sink):
    housing = grant(c, "P-A", purpose="housing", partner_type="maison_accueil", today=TODAY)
    grant(c, "P-A", purpose="care", partner_type="centre_residentiel", today=TODAY)
    apply(c, "P-A", "housing_apply", ["ma-demo", "ma-escale-demo"], today=TODAY)
    apply(c, "P-A", "cure_apply", ["cure-demo"], today=TODAY)
    assert {(r.recipient, r.status) for r in outbox(c, role="partner")} == {
        ("ma-demo", "pending"), ("ma-escale-demo", "pending"), ("cure-demo", "pending")}

    withdraw(c, "P-A", housing.id, reason="Ne veut plus de maison d'accueil", today=TODAY)
    status = {r.recipient: r.status for r in outbox(c, role="partner")}
    assert status == {"ma-demo": "cancelled", "ma-escale-demo": "cancelled", "cure-demo": "pending"}
    cancelled = list_outbox(c, "cancelled")
    assert sorted(r.recipient for r in cancelled) == ["ma-demo", "ma-escale-demo"]
    assert all(r.status.value == "cancelled" and r.sent_at is None for r in cancelled)

    report = deliver(c, now=lambda: dt.datetime(2026, 11, 23, 12, tzinfo=UTC))
    assert report.sent == 1
    assert [x["path"] for x in read_received(sink)] == ["/partners/cure-demo"]
    assert {r.recipient: r.status for r in outbox(c, role="partner")} == {
        "ma-demo": "cancelled", "ma-escale-demo": "cancelled", "cure-demo": "sent"}
    assert deliver(c, now=lambda: dt.datetime(2026, 11, 24, 12, tzinfo=UTC)).sent == 0  # never sent later


def test_an_expired_consent_stops_delivery_of_a_queued_message(c, sink):
    grant(c, "P-A", purpose="housing", partner="ma-demo", until=TODAY, today=TODAY)
    apply(c, "P-A", "housing_apply", ["ma-demo"], today=TODAY)
    [row] = outbox(c, role="partner")
    assert row.status == "pending"
    # delivered the next day: the consent ran until yesterday
    report = deliver(c, now=lambda: dt.datetime(2026, 11, 24, 9, tzinfo=UTC))
    assert report.sent == 0 and read_received(sink) == []
    [row] = outbox(c, role="partner")
    assert (row.status, row.sent_at) == ("cancelled", None)
    assert "consent" in (row.last_error or "")


def test_the_next_sweep_cancels_what_waits_for_a_partner_whose_consent_ended(c, sink):
    """Visible as cancelled from the next morning's sweep, before any deliverer meets it (a message waiting for
    a retry would otherwise show « pending » until then)."""
    grant(c, "P-A", purpose="housing", partner="ma-demo", until=TODAY, today=TODAY)
    apply(c, "P-A", "housing_apply", ["ma-demo"], today=TODAY)
    next_day = TODAY + dt.timedelta(days=1)
    sweep(c, next_day, dry_run=True)
    assert [r.status for r in outbox(c, role="partner")] == ["pending"]  # a dry run changes nothing
    sweep(c, next_day)
    [row] = outbox(c, role="partner")
    assert (row.status, row.sent_at) == ("cancelled", None) and "consent" in row.last_error
    assert deliver(c, now=lambda: dt.datetime(2026, 11, 24, 9, tzinfo=UTC)).sent == 0
    assert read_received(sink) == []


def test_a_message_within_the_consent_is_delivered(c, sink):
    grant(c, "P-A", purpose="housing", partner="ma-demo", until=TODAY, today=TODAY)
    apply(c, "P-A", "housing_apply", ["ma-demo"], today=TODAY)
    assert deliver(c, now=lambda: dt.datetime(2026, 11, 23, 15, tzinfo=UTC)).sent == 1
    [got] = read_received(sink)
    assert got["path"] == "/partners/ma-demo" and REPLY.search(got["payload"]["message"])


# ---------------------------------------------------------------------------------------------------------
# parallel applications


def test_three_applications_one_accepts_the_date_is_pinned_and_the_others_are_withdrawn(c):
    houses = ["ma-demo", "ma-escale-demo", "ma-anker-demo"]
    consent = {pid: grant(c, "P-A", purpose="housing", partner=pid, today=TODAY).id for pid in houses}
    apps = apply(c, "P-A", "housing_apply", houses, today=TODAY, actor="as.a")
    assert [(a.partner, a.state.value, a.sent_on, a.consent) for a in apps] == [
        (pid, "sent", TODAY, True) for pid in houses]
    assert status_of(c, "P-A", "housing_apply") == "on-hold"
    assert sorted(r.recipient for r in outbox(c, kind="request")) == sorted(houses)
    # sent again to one of them while it is live: refused, nothing changed
    with pytest.raises(Conflict):
        apply(c, "P-A", "housing_apply", ["ma-demo"], today=TODAY)

    # « Het Anker » is no longer agreed: its request is cancelled; then « L'Escale » puts P-A on its list
    withdraw(c, "P-A", consent["ma-anker-demo"], reason="Trop loin de la famille", today=TODAY)
    later = D(2026, 12, 1)
    set_state(c, "P-A", "housing_apply", "ma-escale-demo", "waitlist", position=4, on=D(2027, 2, 1), today=later)
    entry = D(2027, 1, 13)  # a Wednesday
    set_state(c, "P-A", "housing_apply", "ma-demo", "accepted", on=entry, today=later, actor="as.a")
    plan = {d.key: d for d in show_plan(c, "P-A", today=later).demarches}
    assert (plan["housing_apply"].due, plan["housing_apply"].pinned) == (entry, True)
    assert [e.new for e in events(c, "demarche.pinned")][-1] == {"due": entry.isoformat(), "pinned": True}

    withdrawn = withdraw_others(c, "P-A", "housing_apply", today=later, actor="as.a")
    assert sorted(a.partner for a in withdrawn) == ["ma-anker-demo", "ma-escale-demo"]
    states = {a.partner: (a.state.value, a.position) for a in applications_of(c, "P-A", "housing_apply",
                                                                               today=later)}
    assert states == {"ma-demo": ("accepted", None), "ma-escale-demo": ("withdrawn", 4),  # its place was 4
                      "ma-anker-demo": ("withdrawn", None)}
    # a short withdrawal message, only to the partner the person still agrees to hear of it
    notices = outbox(c, kind="withdrawal")
    assert [r.recipient for r in notices] == ["ma-escale-demo"]
    assert "P-A" not in notices[0].body and "J.D." in notices[0].body and not REPLY.search(notices[0].body)
    assert {r.recipient: r.status for r in outbox(c, kind="request")}["ma-anker-demo"] == "cancelled"
    audit = [(e.actor, e.new["partner"], e.new["state"]) for e in events(c, "application.state")]
    assert audit == [("system", "ma-escale-demo", "waitlist"), ("as.a", "ma-demo", "accepted"),
                     ("as.a", "ma-escale-demo", "withdrawn"), ("as.a", "ma-anker-demo", "withdrawn")]
    # nothing more to withdraw
    assert withdraw_others(c, "P-A", "housing_apply", today=later) == []


def test_an_application_to_a_partner_without_consent_is_refused_and_nothing_changes(c):
    grant(c, "P-A", purpose="housing", partner="ma-demo", today=TODAY)
    with pytest.raises(RajError) as e:
        apply(c, "P-A", "housing_apply", ["ma-demo", "ma-escale-demo"], today=TODAY)
    assert "L'Escale" in str(e.value)
    assert applications_of(c, "P-A", today=TODAY) == [] and outbox(c, role="partner") == []
    assert status_of(c, "P-A", "housing_apply") == "planned"


# ---------------------------------------------------------------------------------------------------------
# migration 0011


def test_migration_0011_turns_a_demarche_on_hold_with_a_partner_into_an_application(tmp_path, config, backend):
    if backend != "sqlite":
        pytest.skip("the upgrade from 0010 is checked on a file of its own (SQLite)")
    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    try:
        upgrade(db, "0010")
        with db.engine.begin() as conn:
            assert "application" not in sa.inspect(conn).get_table_names()
            now = "2026-11-23 09:00:00.000000"
            conn.execute(sa.text("INSERT INTO organisation (code, name, created_at) VALUES ('org', 'Org', :t)"),
                         {"t": now})
            org = conn.execute(sa.text("SELECT id FROM organisation")).scalar_one()
            for wid, role in (("as.a", "as"), ("psy.a", "psy")):
                conn.execute(sa.text("INSERT INTO worker (id, name, role, language, active, organisation_id, "
                                     "created_at, notify) VALUES (:id, :id, :role, 'fr', 1, :org, :t, '[]')"),
                             {"id": wid, "role": role, "org": org, "t": now})
        # a person of 0010 with démarches, one on hold waiting on the CPAS (rows as 0010 stored them)
        with db.engine.begin() as conn:
            person = _insert_person(conn, org)
            _insert_demarche(conn, person, "domicile_fix", "on-hold", "cpas-demo", "2026-11-20 10:00:00.000000")
            _insert_demarche(conn, person, "housing_apply", "planned", None, now)
            _insert_demarche(conn, person, "cure_apply", "on-hold", None, now)  # on hold, no partner
        upgrade(db)
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT key, partner_id, state, sent_on, state_on, created_by FROM "
                                        "application")).all()
        assert [tuple(r) for r in rows] == [("domicile_fix", "cpas-demo", "sent", "2026-11-20", "2026-11-20",
                                             "migration")]
    finally:
        db.dispose()


def _insert_person(conn, org: int) -> int:
    cols = {r[1]: r for r in conn.execute(sa.text("PRAGMA table_info(person)"))}
    values = {"ref": "OLD-1", "organisation_id": org, "as_id": "as.a", "psy_id": "psy.a"}
    for name, (_cid, _n, typ, notnull, default, pk) in cols.items():
        if name in values or pk or not notnull or default is not None:
            continue
        values[name] = _filler(name, typ)
    names = ", ".join(values)
    conn.execute(sa.text(f"INSERT INTO person ({names}) VALUES ({', '.join(':' + k for k in values)})"), values)
    return conn.execute(sa.text("SELECT id FROM person WHERE ref = 'OLD-1'")).scalar_one()


def _insert_demarche(conn, person: int, key: str, status: str, partner: str | None, updated: str) -> None:
    cols = {r[1]: r for r in conn.execute(sa.text("PRAGMA table_info(demarche)"))}
    values = {"person_id": person, "key": key, "status": status, "partner_id": partner, "updated_at": updated,
              "created_at": updated}
    for name, (_cid, _n, typ, notnull, default, pk) in cols.items():
        if name in values or pk or not notnull or default is not None:
            continue
        values[name] = _filler(name, typ)
    names = ", ".join(values)
    conn.execute(sa.text(f"INSERT INTO demarche ({names}) VALUES ({', '.join(':' + k for k in values)})"), values)


def _filler(name: str, typ: str):
    typ = typ.upper()
    if "BOOL" in typ or "INT" in typ:
        return 0
    if "DATETIME" in typ or "TIMESTAMP" in typ:
        return "2026-11-23 09:00:00.000000"
    if "DATE" in typ:
        return "2026-11-23"
    if "JSON" in typ:
        return "[]"
    return {"stage": "followed", "situation": "condamne", "language": "fr", "origin": "prison"}.get(name, "x")
