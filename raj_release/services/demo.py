"""Fictitious file active for `make demo` and the benchmarks' look-alike data.

Every person, worker and date here is invented. Dates are relative to `today`, so the demo shows the same
situations whatever day it runs: some plans comfortable, some compressed, démarches overdue, a hearing
postponed, a congé pénitentiaire (a leave, not a release), a sudden release, a prévenu with no date,
meetings held, not held and to come. History is replayed through the real services with
`today` set in the past, so the audit log and the plans look as they would after months of use.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets

from raj_release.errors import Conflict, NotFound
from raj_release.services.applications import apply
from raj_release.services.auth import set_password
from raj_release.services.consents import consents_of, grant
from raj_release.services.context import Context
from raj_release.services.demarches import pin_due, set_status
from raj_release.services.leaves import add_leave, pin_into_leave
from raj_release.services.milestones import set_milestone
from raj_release.services.outbox import OutboxRow, list_outbox
from raj_release.services.persons import register_person, show_plan
from raj_release.services.visits import add_visit
from raj_release.services.workers import register_worker

WORKERS = [
    ("as.dupont", "Amélie Dupont (fictive)", "as", "fr"),
    ("as.peeters", "Bram Peeters (fictief)", "as", "nl"),
    ("psy.lambert", "Chloé Lambert (fictive)", "psy", "fr"),
    ("psy.janssens", "Dries Janssens (fictief)", "psy", "nl"),
    ("coord.martin", "Élise Martin (fictive)", "coordinator", "fr"),
]

D = dt.timedelta


def _person(ref, prison, as_id, psy_id, needs, *, situation="condamne", modality=None, procedure="tap",
            lang="fr", interpreter=False, registered_days_ago=0, late=()):
    """`late`: démarches the binôme has not finished on time; every other one due in the past is done."""
    return dict(ref=ref, prison=prison, as_id=as_id, psy_id=psy_id, needs=needs, situation=situation,
                modality=modality, procedure=procedure, language=lang, interpreter=interpreter,
                registered_days_ago=registered_days_ago, late=frozenset(late))


def demo_accounts(ctx: Context) -> list[tuple[str, str, str, str]]:
    """A new random password for each demo worker of the database: (id, name, role, password), to print once.
    Only the demo's fictitious workers; a worker of a real service is never touched."""
    out = []
    for wid, name, role, _lang in WORKERS:
        password = "-".join(secrets.token_hex(3) for _ in range(3))  # 20 characters, easy to type
        try:
            set_password(ctx, wid, password, actor="demo")
        except NotFound:
            continue  # `raj demo` was not loaded here
        out.append((wid, name, role, password))
    return out


def _on(ctx: Context, day: dt.date) -> Context:
    """The context as it was on `day` at 09:00 (UTC): replayed history gets the timestamps it would have had
    (completion dates, audit trail), so that week-by-week figures read true."""
    at = dt.datetime.combine(day, dt.time(9, 0), dt.UTC)
    return dataclasses.replace(ctx, now=lambda: at)


def load_demo(ctx: Context, today: dt.date) -> list[str]:
    for wid, name, role, lang in WORKERS:
        try:
            # the demo's channels point at the local sink that `raj demo-sweep` starts (RAJ_DEMO_SINK)
            register_worker(ctx, wid, name, role, lang, notify=[f"${{RAJ_DEMO_SINK}}/workers/{wid}"],
                            actor="demo", contact=f"02 000 10 {WORKERS.index((wid, name, role, lang)):02d}")
        except Conflict:
            pass  # loading the demo twice keeps the first workers
    a, b = ("as.dupont", "psy.lambert"), ("as.peeters", "psy.janssens")
    people = [
        # (person, [(days after registration, action...)])
        (_person("DEMO-01", "haren", *a, ["housing", "cure", "substitution", "income"], modality="lc",
                 registered_days_ago=20, late=("consent_sharing",)),
         [(0, "milestone", "tap_hearing", 150 + 20, {})]),  # hearing in about five months
        (_person("DEMO-02", "saint-gilles", *a, ["housing", "income", "medical"], modality="se",
                 registered_days_ago=120, late=("housing_apply", "tripartite_pre", "tap_file", "domicile_fix")),
         [(0, "milestone", "tap_hearing", 140, {}), (30, "done", "intake_fiche"), (40, "done", "consent_sharing"),
          (45, "done", "eid_check"), (60, "on-hold", "domicile_fix")]),  # hearing in three weeks, late
        (_person("DEMO-03", "ittre", *b, ["housing", "training", "debts"], modality="lc", lang="nl",
                 registered_days_ago=200, late=("housing_longterm",)),
         [(0, "milestone", "tap_hearing", 230, {}), (20, "done", "intake_fiche"), (25, "done", "consent_sharing"),
          (100, "milestone", "tap_hearing", 290, {"reason": "Remise: plan de reclassement à compléter"})]),
        (_person("DEMO-04", "saint-gilles", *a, ["substitution", "income", "housing"], modality="lc",
                 registered_days_ago=90, late=("eid_check", "domicile_fix")),
         [(0, "milestone", "tap_hearing", 200, {}), (10, "done", "intake_fiche"),
          # a congé pénitentiaire is not a release (DOMAIN.md §8.3): the eID request waits for it
          (88, "leave", "cp", 88, 91), (88, "pin-leave", "eid_renew")]),
        (_person("DEMO-05", "saint-gilles", *a, ["substitution", "medical"], situation="prevenu", procedure=None,
                 registered_days_ago=10), []),  # prévenu, no date at all
        (_person("DEMO-06", "haren", *b, ["housing", "income"], modality="se", procedure="jap", lang="nl",
                 registered_days_ago=60, late=("mutuelle_check",)),
         [(0, "milestone", "tap_hearing", 110, {"certainty": "expected"}), (5, "done", "intake_fiche")]),
        (_person("DEMO-07", "ittre", *a, ["cure", "debts"], modality="lc", interpreter=True,
                 registered_days_ago=45),
         [(0, "milestone", "tap_hearing", 250, {}), (15, "done", "intake_fiche"), (20, "done", "consent_sharing")]),
        (_person("DEMO-08", "haren", *b, ["income"], modality="fond_de_peine", procedure=None,
                 registered_days_ago=30, late=("eid_check",)),
         [(0, "milestone", "fond_de_peine", 130, {})]),
        (_person("DEMO-09", "ittre", *a, ["housing", "cure", "substitution", "medical", "income", "training"],
                 modality="dl", registered_days_ago=75, late=("eid_renew", "training_enrol", "cure_apply")),
         [(0, "milestone", "tap_hearing", 160, {"certainty": "estimated"}), (3, "done", "intake_fiche"),
          (10, "done", "consent_sharing"), (12, "cancelled", "housing_longterm")]),
        (_person("DEMO-10", "saint-gilles", *b, ["housing"], modality="lc", lang="nl", registered_days_ago=5),
         [(0, "milestone", "tap_hearing", 40, {})]),  # made late: the plan is compressed from the start
        (_person("DEMO-11", "haren", *a, ["medical", "income"], situation="prevenu", procedure=None,
                 registered_days_ago=40, late=("med_gp", "eid_renew")),
         [(30, "milestone", "expected_release", 70, {"certainty": "estimated"}),
          # freed by the chambre du conseil: a sudden release, the post-release démarches start
          (34, "milestone", "actual_release", 34, {"reason": "Libéré par la chambre du conseil (fictif)"})]),
        (_person("DEMO-12", "ittre", *b, ["training", "income", "housing"], modality="lc", lang="nl",
                 registered_days_ago=150, late=("family_meeting",)),
         [(0, "milestone", "tap_hearing", 175, {}), (10, "done", "intake_fiche"), (20, "done", "consent_sharing"),
          (25, "done", "adm_dates_check"), (30, "done", "eid_check"), (60, "done", "housing_plan"),
          (70, "in-progress", "housing_apply")]),
    ]
    refs = []
    leave_ids: dict[str, int] = {}
    for person, events in people:
        day0 = today - D(days=person["registered_days_ago"])
        ref = person["ref"]
        facts = {k: person[k] for k in ("ref", "prison", "as_id", "psy_id", "situation", "needs", "language",
                                        "interpreter", "procedure", "modality")}
        register_person(_on(ctx, day0), **facts, today=day0, intake=day0, actor=person["as_id"])
        for after, action, *args in sorted(events, key=lambda e: e[0]):
            when = day0 + D(days=after)
            if when > today:
                continue
            if action == "leave":
                kind, start, end = args
                leave_ids[ref] = add_leave(_on(ctx, when), ref, kind=kind, start=day0 + D(days=start),
                                           end=day0 + D(days=end), today=when, actor=person["as_id"]).id
            elif action == "pin-leave":
                pin_into_leave(_on(ctx, when), ref, args[0], leave_ids[ref], today=when, actor=person["as_id"])
            elif action == "milestone":
                kind, days_from_registration, opts = args
                set_milestone(_on(ctx, when), ref, kind, date=day0 + D(days=days_from_registration), today=when,
                              certainty=opts.get("certainty", "confirmed"), reason=opts.get("reason"),
                              actor=person["as_id"])
            else:
                status = {"done": "completed"}.get(action, action)
                reason = "Famille l'héberge (fictif)" if status == "cancelled" else None
                partner = "cpas-demo" if status == "on-hold" else None
                set_status(_on(ctx, when), ref, args[0], status, today=when, reason=reason, partner=partner,
                           actor=person["as_id"])
        _complete_on_time(ctx, ref, person["as_id"], person["late"], today)
        if ref not in NO_CONSENT:
            _consents(ctx, ref, person["as_id"], day0, today)
        refs.append(ref)
    _meetings(ctx, today)
    _applications(ctx, today)
    return refs


# Consents (issue 12): every person agreed to share with the partners their plan needs, except DEMO-01, whose
# « Recueil consentements » is late: nothing about it reaches a partner, and its binôme reads « consentement
# manquant » in the digest. The consents are a mix: for partner types (most), for one named partner (DEMO-06's
# housing goes to « Le Relais » only among the maisons d'accueil), given orally (DEMO-03) and until a date
# (DEMO-07's care consent, for three months).
NO_CONSENT = frozenset({"DEMO-01"})
ORAL = frozenset({"DEMO-03"})
ONE_PARTNER = {("DEMO-06", "maison_accueil"): "ma-demo"}  # (person, partner type) -> the one partner named
UNTIL = {("DEMO-07", "care"): 90}  # (person, purpose) -> days from today the consent holds


def _consents(ctx: Context, ref: str, actor: str, day0: dt.date, today: dt.date) -> None:
    """Record the consents the plan of `ref` needs (for each purpose, the partner types of its démarches that
    the purpose concerns), as given ten days after registration (or today for a newcomer)."""
    given = min(day0 + D(days=10), today)
    purposes = ctx.config.consents.by_key
    wanted: dict[tuple[str, str], None] = {}
    for miss in consents_of(ctx, ref, today=today).missing:
        for ptype in miss.partner_types:
            if ptype in purposes[miss.purpose].partner_types:
                wanted[(miss.purpose, ptype)] = None
    for purpose, ptype in wanted:
        partner = ONE_PARTNER.get((ref, ptype))
        days = UNTIL.get((ref, purpose))
        grant(_on(ctx, given), ref, purpose=purpose, partner=partner, partner_type=None if partner else ptype,
              given_on=given, until=today + D(days=days) if days else None,
              how="oral" if ref in ORAL else "signed", today=today, actor=actor)


# Applications (issue 12 point 4), sent on the last working day before today so that the partners' requests,
# each with its reply link, go out with the demo's sweep. DEMO-02's housing application was late: the binôme
# agreed a new date and sends it to three maisons d'accueil at once; DEMO-09's cure application too, to two
# cure centres (the dates wished are ahead, so the partners are asked, not the binôme). DEMO-01's cure centre
# proposed an admission interview three working days from today, but DEMO-01 gave no consent: the sweep tells
# its psychologue « consentement manquant » instead of writing to the centre.
APPLICATIONS = [
    # (person, démarche, working days from today to the new date, partners)
    ("DEMO-02", "housing_apply", 10, ["ma-demo", "ma-escale-demo", "ma-anker-demo"]),
    ("DEMO-09", "cure_apply", 15, ["cure-demo", "cure-sources-demo"]),
]


def _applications(ctx: Context, today: dt.date) -> None:
    cal = ctx.config.calendar
    sent = cal.previous_working_day(today - D(days=1))
    for ref, key, days, partners in APPLICATIONS:
        person = show_plan(ctx, ref, today=today).person
        actor = person.as_id if key == "housing_apply" else person.psy_id
        pin_due(_on(ctx, sent), ref, key, due=cal.add_working_days(today, days), today=sent, actor=actor,
                reason="Nouvelle date convenue (fictif)")
        apply(_on(ctx, sent), ref, key, partners, today=sent, actor=actor)
    actor = show_plan(ctx, "DEMO-01", today=today).person.psy_id
    set_status(_on(ctx, sent), "DEMO-01", "cure_apply", "on-hold", partner="cure-demo", today=sent, actor=actor)
    pin_due(_on(ctx, sent), "DEMO-01", "cure_apply", due=cal.add_working_days(today, 3), today=sent, actor=actor,
            reason="Entretien d'admission proposé par le centre (fictif)")


# (ref, days from today, place, who, outcome, reason): the week's meetings, and past ones, some not held
MEETINGS = [
    ("DEMO-01", -14, "prison", "both", "held", None),
    ("DEMO-01", 1, "prison", "as", "planned", None),
    ("DEMO-02", -7, "prison", "both", "not-held", "strike"),
    ("DEMO-02", 2, "prison", "both", "planned", None),
    ("DEMO-03", -3, "prison", "psy", "planned", None),  # past and still "planned": my week asks its outcome
    ("DEMO-07", 3, "remote", "psy", "planned", None),
    ("DEMO-11", 4, "service", "both", "planned", None),  # after the release: at the service
]


def _meetings(ctx: Context, today: dt.date) -> None:
    for ref, days, place, who, outcome, reason in MEETINGS:
        day = today + D(days=days)
        as_id = show_plan(ctx, ref, today=today).person.as_id
        add_visit(_on(ctx, min(day, today)), ref, day=day, place=place, with_=who, outcome=outcome, reason=reason,
                  today=today, actor=as_id)


def _complete_on_time(ctx: Context, ref: str, actor: str, late: frozenset[str], today: dt.date) -> None:
    """The binôme finished every démarche due before today, on its due date, except those in `late`."""
    view = show_plan(ctx, ref, today=today)
    for d in sorted(view.demarches, key=lambda d: d.due or dt.date.max):
        if d.due is None or d.due >= today or d.key in late or d.status not in ("planned", "in-progress"):
            continue
        set_status(_on(ctx, d.due), ref, d.key, "completed", today=d.due, actor=actor)


def partner_messages(ctx: Context, received: list[dict]) -> list[tuple[OutboxRow, str]]:
    """The partners' messages sent, each with the text its partner's channel received (`received`: the local
    sink's records, {"path": "/partners/<id>", "payload": {"title", "message"}}): the outbox keeps a sent
    message with its reply link's secret blanked out, the partner got the working link. By partner."""
    texts: dict[tuple[str, str], list[str]] = {}
    for rec in received:
        path, payload = rec.get("path") or "", rec.get("payload") or {}
        if path.startswith("/partners/"):
            texts.setdefault((path.removeprefix("/partners/"), payload.get("title") or ""), []).append(
                payload.get("message") or "")
    out = []
    for row in sorted(list_outbox(ctx, "sent", limit=5000), key=lambda r: (r.recipient, r.id)):
        got = texts.get((row.recipient, row.subject))
        if row.role == "partner" and got:
            out.append((row, got.pop(0)))
    return out
