"""The partner's reply link (issue 12 point 3, and the issue's « Reply links » and privacy tests): the page at
/r/<secret> shows only what the partner's message showed, in the partner's language; an answer updates the
application and the démarche, is audited as the partner's and reaches the binôme at once; a forged, tampered,
expired or closed link, a withdrawn application or consent, and brute force are each refused with nothing
changed. Real SQLite (and PostgreSQL when configured), the services to set up, the page in-process; the
token is read from the pending outbox message, as the partner's mailbox would receive it."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import warnings
from pathlib import Path

import pytest
from sqlalchemy import func, select

from raj_release import i18n
from raj_release.config import load_config
from raj_release.domain import Milestone, MilestoneKind
from raj_release.domain.enums import ApplicationState, Need, PartnerAnswer
from raj_release.errors import RajError
from raj_release.services import applications, consents
from raj_release.services.auth import FREE_FAILURES_PER_CLIENT
from raj_release.services.context import Context
from raj_release.services.demarches import set_status
from raj_release.services.lifecycle import close_person
from raj_release.services.persons import register_person
from raj_release.services.workers import ensure_organisation, register_worker
from raj_release.settings import PROJECT_ROOT, Settings
from raj_release.store import models as m
from raj_release.web.app import create_app
from tests.conftest import FixedClock

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TODAY = dt.date(2026, 11, 23)
START = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
PUBLIC_URL = "https://raj.example.org"
# a directory of our own (the shipped one is the demo's, and changes): two maisons d'accueil (one reading
# initials, one Dutch), a cure centre (health), a CPAS; their channels are the demo's local sink
PARTNERS_YAML = """\
version: 1
partners:
  - id: ma-relais
    name: "Maison d'accueil fictive « Le Relais »"
    type: maison_accueil
    languages: [fr]
    contact: {phone: "02 000 00 02", email: "admissions@relais.example.org"}
    channels: ["${RAJ_DEMO_SINK}/partners/ma-relais"]
    identify_person_by: initials
    last_verified: 2026-09-15
  - id: ma-anker
    name: "Opvanghuis « Het Anker » (fictief)"
    type: maison_accueil
    languages: [nl, fr]
    contact: {phone: "02 000 00 07"}
    channels: ["${RAJ_DEMO_SINK}/partners/ma-anker"]
    last_verified: 2026-03-10
  - id: cure-brug
    name: "Centre de cure fictif « De Brug »"
    type: centre_residentiel
    languages: [nl, fr]
    contact: {phone: "02 000 00 03"}
    channels: ["${RAJ_DEMO_SINK}/partners/cure-brug"]
    last_verified: 2026-09-30
  - id: cpas-x
    name: "CPAS fictif"
    type: cpas
    languages: [fr, nl]
    contact: {phone: "02 000 00 01"}
    channels: ["${RAJ_DEMO_SINK}/partners/cpas-x"]
    last_verified: 2026-10-01
"""


def partner_config(tmp: Path) -> Path:
    """The shipped configuration, copied under `tmp`, with PARTNERS_YAML as its directory."""
    out = tmp / "config"
    shutil.copytree(PROJECT_ROOT / "config", out)
    (out / "partners.yaml").write_text(PARTNERS_YAML, encoding="utf-8")
    return out


def token_of(ctx: Context, partner: str, ref: str, kind: str = "request") -> str:
    """The secret of the latest link in `partner`'s pending message about `ref`, read from its body."""
    with ctx.db.reading() as s:
        pid = s.scalar(select(m.Person.id).where(m.Person.ref == ref))
        body = s.scalars(select(m.OutboxMessage.body).where(
            m.OutboxMessage.recipient == partner, m.OutboxMessage.person_id == pid, m.OutboxMessage.kind == kind)
            .order_by(m.OutboxMessage.id.desc())).first()
    found = re.findall(re.escape(PUBLIC_URL) + r"/r/([A-Za-z0-9_-]+)", body or "")
    assert len(found) == 1, body
    return found[0]


@pytest.fixture
def world(database, tmp_path):
    """P-A (Jean Fictif: housing, cure, income) sent to two maisons d'accueil and a cure centre; P-B (Marc
    Autre) sent to the first maison d'accueil. Yields (ctx, client, tokens by (ref, partner))."""
    cfg = partner_config(tmp_path)
    ctx = Context(db=database, config=load_config(cfg),
                  settings=Settings(database_url=database.url, config_dir=cfg, public_url=PUBLIC_URL),
                  now=FixedClock(START))
    ensure_organisation(ctx)
    register_worker(ctx, "as.a", "Amélie Fictive", "as", "fr", contact="02 111 11 11")
    register_worker(ctx, "psy.a", "Chloé Fictive", "psy", "fr", contact="chloe@ambu.example.org")
    hearing = [Milestone(kind=MilestoneKind.TAP_HEARING, date=dt.date(2027, 6, 15), certainty="expected")]
    register_person(ctx, ref="P-A", prison="haren", as_id="as.a", psy_id="psy.a", today=TODAY, name="Jean Fictif",
                    needs=["housing", "cure", "income"], milestones=hearing)
    register_person(ctx, ref="P-B", prison="ittre", as_id="as.a", psy_id="psy.a", today=TODAY, name="Marc Autre",
                    needs=["housing"], milestones=hearing)
    consents.grant(ctx, "P-A", purpose="housing", partner_type="maison_accueil", today=TODAY)
    consents.grant(ctx, "P-A", purpose="care", partner="cure-brug", today=TODAY)
    consents.grant(ctx, "P-A", purpose="income", partner="cpas-x", today=TODAY)
    consents.grant(ctx, "P-B", purpose="housing", partner="ma-relais", today=TODAY)
    applications.apply(ctx, "P-A", "housing_apply", ["ma-relais", "ma-anker"], today=TODAY, actor="as.a")
    applications.apply(ctx, "P-A", "cure_apply", ["cure-brug"], today=TODAY, actor="psy.a")
    applications.apply(ctx, "P-B", "housing_apply", ["ma-relais"], today=TODAY, actor="as.a")
    tokens = {(ref, pid): token_of(ctx, pid, ref) for ref, pid in (
        ("P-A", "ma-relais"), ("P-A", "ma-anker"), ("P-A", "cure-brug"), ("P-B", "ma-relais"))}
    with TestClient(create_app(ctx, secret=b"reply links test secret, 32 b.."), follow_redirects=False) as client:
        yield ctx, client, tokens


def snapshot(ctx: Context) -> dict:
    """What an answer changes: every application, every démarche's status and date, the outbox, the audit."""
    with ctx.db.reading() as s:
        apps = {a.id: (a.state, a.position, a.expected, a.entry, a.reason, a.documents, a.message, a.answers,
                       a.answered_on, a.state_on) for a in s.scalars(select(m.Application))}
        rows = {(d.person_id, d.key): (d.status, d.due, d.pinned, d.partner_id) for d in s.scalars(select(m.Demarche))}
        return {"applications": apps, "demarches": rows,
                "outbox": s.scalar(select(func.count()).select_from(m.OutboxMessage)),
                "audit": s.scalar(select(func.count()).select_from(m.AuditEvent)),
                "used": sorted(str(x) for x in s.scalars(select(m.ReplyLink.last_used_at)))}


def app_of(ctx: Context, ref: str, partner: str, key: str = "housing_apply"):
    return next(a for a in applications.applications_of(ctx, ref, key, today=TODAY) if a.partner == partner)


def main_text(html: str) -> str:
    body = html.split("<main", 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", body).replace("&#39;", "'").split())


# ---------------------------------------------------------------------------------------------------------
# what the page shows, and its headers

def test_the_page_shows_only_what_the_message_showed_in_the_partners_language(world):
    ctx, client, tokens = world
    r = client.get(f"/r/{tokens['P-A', 'ma-relais']}")
    assert r.status_code == 200
    text = main_text(r.text)
    label = ctx.config.templates.by_key["housing_apply"].label_in("fr")
    with ctx.db.reading() as s:
        due = s.scalar(select(m.Demarche.due).join(m.Person, m.Person.id == m.Demarche.person_id)
                       .where(m.Person.ref == "P-A", m.Demarche.key == "housing_apply"))
    for shown in ("Réponse à une demande", "J.F.", label, i18n.format_date(due, "fr"), "Amélie Fictive",
                  "02 111 11 11", "envoyée", "Ce lien fonctionne jusqu'au 14/12/2026", "L'Ambulatoire-Forest"):
        assert shown in text, shown
    # nothing else of the person: no name, no reference (this partner reads initials), no needs, no prison,
    # no other démarche, and no raw code
    others = [t.label_in("fr") for t in ctx.config.templates if t.key != "housing_apply"
              and t.label_in("fr") not in label]
    hidden = ["Jean", "Fictif", "P-A", "haren", "Haren", *others,
              *(i18n.label(n, "fr") for n in (Need.CURE, Need.INCOME)),
              "housing_apply", "maison_accueil", "ma-relais", "sent", "waitlist", "None"]
    for word in hidden:
        assert word not in text, word
    # the psychologist is not responsible for this démarche: not named to the partner
    assert "Chloé" not in text
    # a plain form to this very URL, no token of a session, no script, no inline style, not indexed
    assert f'action="/r/{tokens["P-A", "ma-relais"]}"' in r.text and 'method="post"' in r.text
    assert 'name="csrf"' not in r.text and "<script" not in r.text and "style=" not in r.text
    assert '<meta name="robots" content="noindex' in r.text
    assert "set-cookie" not in r.headers
    assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
    assert "script-src" not in r.headers["content-security-policy"]
    assert "form-action 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"
    # every input is labelled, every choice reachable by keyboard (radios of one group)
    assert len(re.findall(r'<input type="radio" name="answer"', r.text)) == 5
    for field in ("on", "position", "expected", "reason", "documents"):
        assert re.search(r'<label>[^<]+<input[^>]+name="' + field + '"', r.text), field
    assert re.search(r'<label for="reply-message">[^<]+</label>', r.text) and 'id="reply-message" name="message"' in r.text

    # a Dutch-speaking partner reads Dutch, and the reference (its mode); the same démarche, its Dutch label
    nl = main_text(client.get(f"/r/{tokens['P-A', 'ma-anker']}").text)
    for shown in ("Antwoord op een aanvraag", "P-A", ctx.config.templates.by_key["housing_apply"].label_in("nl"),
                  "Deze link werkt tot 14/12/2026", i18n.label(ApplicationState.SENT, "nl")):
        assert shown in nl, shown
    assert "Jean" not in nl and "Fictif" not in nl and "Réponse" not in nl


def test_the_request_message_of_each_partner_holds_only_its_lines(world):
    """What each partner type receives: the request names the reference or the initials, the démarche and
    the binôme; a health démarche goes to the cure centre only."""
    ctx, _client, _tokens = world
    with ctx.db.reading() as s:
        msgs = s.scalars(select(m.OutboxMessage).where(m.OutboxMessage.recipient_type == "partner")).all()
    by = {(x.recipient, x.person_id): x for x in msgs}
    assert {x.recipient for x in msgs} == {"ma-relais", "ma-anker", "cure-brug"}  # never the CPAS
    for x in msgs:
        assert "Jean Fictif" not in x.body and "Marc Autre" not in x.body and "haren" not in x.body.lower()
        if x.recipient == "ma-relais":
            assert "P-A" not in x.body and "P-B" not in x.body  # initials only
    cure = [x for x in msgs if any(i.get("key") == "cure_apply" for i in x.items)]
    assert [x.recipient for x in cure] == ["cure-brug"]
    assert any("J.F." in x.body for (r, _), x in by.items() if r == "ma-relais")

    # a care démarche never goes to a non-health partner: refused with one line, nothing sent
    before = snapshot(ctx)
    with pytest.raises(RajError) as e:
        applications.apply(ctx, "P-A", "cure_apply", ["cpas-x"], today=TODAY, actor="psy.a")
    assert "\n" not in str(e.value) and "cpas" in str(e.value).lower()
    with pytest.raises(RajError) as e:  # nor can a consent for care name a CPAS
        consents.grant(ctx, "P-A", purpose="care", partner="cpas-x", today=TODAY)
    assert "\n" not in str(e.value)
    assert snapshot(ctx) == before


# ---------------------------------------------------------------------------------------------------------
# answering

def test_waiting_list_position_4_reaches_the_application_the_audit_and_the_binome(world):
    ctx, client, tokens = world
    token = tokens["P-A", "ma-relais"]
    before = snapshot(ctx)
    r = client.post(f"/r/{token}", data={"answer": "waitlist", "position": "4", "expected": "",
                                         "reason": "ignored: not this answer's field"})
    assert r.status_code == 303 and r.headers["location"] == f"/r/{token}?answered=1"
    assert r.headers["cache-control"] == "no-store"
    page = client.get(r.headers["location"])
    text = main_text(page.text)
    assert "Merci, votre réponse a été transmise à Amélie Fictive (L'Ambulatoire-Forest)." in text
    assert "en liste d'attente, position 4" in text
    a = app_of(ctx, "P-A", "ma-relais")
    assert (a.state.value, a.position, a.reason, a.answered_on) == ("waitlist", 4, None, TODAY)
    assert app_of(ctx, "P-A", "ma-anker").state.value == "sent"  # the other application is its own
    with ctx.db.reading() as s:
        e = s.scalars(select(m.AuditEvent).where(m.AuditEvent.action == "application.state")
                      .order_by(m.AuditEvent.id.desc())).first()
        sent = s.scalars(select(m.OutboxMessage).where(m.OutboxMessage.kind == "answer")).all()
    assert e.actor == "partner:ma-relais" and e.new["state"] == "waitlist" and e.new["position"] == 4
    assert sorted(x.recipient for x in sent) == ["as.a", "psy.a"] and all(x.urgent for x in sent)
    assert all("position 4" in x.body and "Le Relais" in x.body for x in sent)
    after = snapshot(ctx)
    assert after["outbox"] == before["outbox"] + 2 and after["audit"] > before["audit"]


def test_accepted_with_a_date_pins_the_demarche(world):
    ctx, client, tokens = world
    r = client.post(f"/r/{tokens['P-A', 'ma-anker']}", data={"answer": "accepted", "on": "12/03/2027"})
    assert r.status_code == 303
    a = app_of(ctx, "P-A", "ma-anker")
    assert (a.state.value, a.entry) == ("accepted", dt.date(2027, 3, 12))
    with ctx.db.reading() as s:
        row = s.scalars(select(m.Demarche).join(m.Person, m.Person.id == m.Demarche.person_id)
                        .where(m.Person.ref == "P-A", m.Demarche.key == "housing_apply")).one()
    assert (row.due, row.pinned) == (dt.date(2027, 3, 12), True)
    assert "opname of afspraak op 12/03/2027" in main_text(client.get(r.headers["location"]).text)
    # the date picker's own format works too
    r = client.post(f"/r/{tokens['P-A', 'cure-brug']}", data={"answer": "accepted", "on": "2027-02-01"})
    assert r.status_code == 303 and app_of(ctx, "P-A", "cure-brug", "cure_apply").entry == dt.date(2027, 2, 1)


BAD = [
    ({"answer": "waitlist"}, "Position sur la liste d'attente : indiquez la position"),
    ({"answer": "waitlist", "position": "quatre"}, "Position sur la liste d'attente : un nombre entier à partir de 1"),
    ({"answer": "waitlist", "position": "0"}, "Position sur la liste d'attente :"),
    ({"answer": "accepted"}, "Date d'entrée ou de rendez-vous :"),
    ({"answer": "accepted", "on": "31/02/2027"}, "Date d'entrée ou de rendez-vous : une date comme 12/03/2027"),
    ({"answer": "accepted", "on": "01/01/2026"}, "Date d'entrée ou de rendez-vous :"),
    ({"answer": "refused", "reason": "  "}, "Motif du refus :"),
    ({"answer": "documents"}, "Documents manquants :"),
    ({"answer": "message"}, "Court message :"),
    ({"answer": "maybe"}, "Choisissez une des réponses."),
    ({}, "Choisissez une des réponses."),
    ({"answer": "message", "message": "x" * 600}, "Court message :"),
]


def test_bad_input_is_said_in_one_line_with_the_values_kept_and_nothing_changed(world):
    ctx, client, tokens = world
    before = snapshot(ctx)
    for form, said in BAD:
        r = client.post(f"/r/{tokens['P-A', 'ma-relais']}", data=form)
        assert r.status_code == 422, form
        errors = re.findall(r'<p class="error" role="alert" id="error">([^<]*)</p>', r.text)
        assert len(errors) == 1 and said in errors[0].replace("&#39;", "'"), (form, errors)
        assert "Traceback" not in r.text
        for name, value in form.items():  # the values are kept
            if name == "answer" and value in {a.value for a in PartnerAnswer}:
                assert re.search(f'name="answer" value="{value}"[^>]* checked>', r.text), value
            elif name != "answer" and value.strip():
                assert f'value="{value}"' in r.text or f">{value}</textarea>" in r.text, (name, value)
    assert snapshot(ctx) == before


def test_bad_input_is_said_in_dutch_to_a_dutch_partner(world):
    ctx, client, tokens = world
    r = client.post(f"/r/{tokens['P-A', 'ma-anker']}", data={"answer": "waitlist", "position": "vier"})
    assert r.status_code == 422 and "Plaats op de wachtlijst: een geheel getal vanaf 1" in r.text
    assert 'value="vier"' in r.text


# ---------------------------------------------------------------------------------------------------------
# refusals: each one changes nothing

def refused(client, token: str, status: int, words: str, lang: str | None = None) -> None:
    """`lang`: the partner's language, when the link is known (then only that language); None: an unknown
    link, worded in French and Dutch both (whose it was is unknown)."""
    for r in (client.get(f"/r/{token}"),
              client.post(f"/r/{token}", data={"answer": "waitlist", "position": "4"})):
        assert r.status_code == status, (r.status_code, r.text[-400:])
        text = main_text(r.text)
        assert words in text, text
        fr, nl = "Ce lien ne fonctionne pas" in text, "Deze link werkt niet" in text
        assert (fr, nl) == ((True, True) if lang is None else (lang == "fr", lang == "nl")), text
        assert r.headers["cache-control"] == "no-store" and r.headers["referrer-policy"] == "no-referrer"
        assert "<form" not in r.text and "Jean" not in r.text and "J.F." not in r.text


def test_forged_and_tampered_links_are_unknown(world):
    ctx, client, tokens = world
    before = snapshot(ctx)
    token = tokens["P-A", "ma-relais"]
    tampered = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    for bad in ("forged-" + "x" * 36, tampered, token[:-1], token + "A", "a" * 200):
        refused(client, bad, 404, "Ce lien n'est pas valable.")
    assert client.get("/r/").status_code == 404
    assert snapshot(ctx) == before


def test_an_expired_link_is_refused(world):
    ctx, client, tokens = world
    before = snapshot(ctx)
    ctx.now = FixedClock(START + dt.timedelta(days=22))  # 21 days (consents.yaml) after it was sent
    refused(client, tokens["P-A", "ma-relais"], 410, "Ce lien a expiré.", "fr")
    assert snapshot(ctx) == before
    ctx.now = FixedClock(START + dt.timedelta(days=20))  # the day before: it works
    assert client.get(f"/r/{tokens['P-A', 'ma-relais']}").status_code == 200


def test_closed_demarche_closed_file_withdrawn_application_and_withdrawn_consent(world):
    ctx, client, tokens = world
    # the démarche closed (completed): the request is closed
    set_status(ctx, "P-A", "cure_apply", "completed", today=TODAY, actor="psy.a")
    before = snapshot(ctx)
    refused(client, tokens["P-A", "cure-brug"], 410, "Deze aanvraag is afgesloten", "nl")
    assert snapshot(ctx) == before

    # the application withdrawn by the binôme
    applications.set_state(ctx, "P-A", "housing_apply", "ma-anker", "withdrawn", today=TODAY, reason="autre piste",
                           actor="as.a")
    before = snapshot(ctx)
    refused(client, tokens["P-A", "ma-anker"], 410, "Deze aanvraag is afgesloten", "nl")
    assert snapshot(ctx) == before

    # the consent withdrawn: no longer shared
    grant = next(c for c in consents.consents_of(ctx, "P-A", today=TODAY).consents if c.purpose == "housing")
    consents.withdraw(ctx, "P-A", grant.id, reason="la personne retire son accord", today=TODAY, actor="as.a")
    before = snapshot(ctx)
    refused(client, tokens["P-A", "ma-relais"], 410, "Cette demande n'est plus partagée avec vous.", "fr")
    assert snapshot(ctx) == before

    # the file closed: P-B's request is closed too
    close_person(ctx, "P-B", reason="finished", today=TODAY, actor="as.a")
    before = snapshot(ctx)
    refused(client, tokens["P-B", "ma-relais"], 410, "Cette demande est clôturée", "fr")
    assert snapshot(ctx) == before


def test_another_persons_application_is_untouched_whatever_the_form_names(world):
    ctx, client, tokens = world
    with ctx.db.reading() as s:
        other = s.scalars(select(m.Application).join(m.Person, m.Person.id == m.Application.person_id)
                          .where(m.Person.ref == "P-B")).one()
    before = snapshot(ctx)["applications"][other.id]
    r = client.post(f"/r/{tokens['P-A', 'ma-relais']}", data={
        "answer": "refused", "reason": "complet", "application": str(other.id), "application_id": str(other.id),
        "ref": "P-B", "person": "P-B", "key": "housing_apply", "partner": "ma-relais"})
    assert r.status_code == 303
    assert snapshot(ctx)["applications"][other.id] == before
    assert app_of(ctx, "P-A", "ma-relais").state.value == "refused"
    assert app_of(ctx, "P-B", "ma-relais").state.value == "sent"


def test_brute_force_is_slowed_per_address(world):
    ctx, client, tokens = world
    t = START + dt.timedelta(hours=1)
    ctx.now = lambda: t  # a stopped clock: the wait cannot run out during the test
    app = client.app
    with TestClient(app, client=("198.51.100.7", 40000), follow_redirects=False) as guesser:
        for i in range(FREE_FAILURES_PER_CLIENT):
            assert guesser.get(f"/r/guess-{i:02d}-{'z' * 30}").status_code == 404
        before = snapshot(ctx)
        token = tokens["P-A", "ma-relais"]
        for r in (guesser.get(f"/r/{token}"), guesser.post(f"/r/{token}", data={"answer": "waitlist",
                                                                                   "position": "4"})):
            assert r.status_code == 429
            assert int(r.headers["retry-after"]) >= 1
            assert "Trop d'essais" in main_text(r.text) and "Te veel pogingen" in r.text and "secondes" in r.text
            assert "Jean" not in r.text and "J.F." not in r.text and "<form" not in r.text
        assert snapshot(ctx) == before
    # another address is not slowed by it
    with TestClient(app, client=("198.51.100.8", 40000), follow_redirects=False) as partner:
        assert partner.get(f"/r/{token}").status_code == 200
        assert partner.post(f"/r/{token}", data={"answer": "waitlist", "position": "4"}).status_code == 303
    assert app_of(ctx, "P-A", "ma-relais").position == 4


def test_the_reply_page_shows_no_code_in_either_language(world):
    """The crawl's check (test_no_codes.py) on the reply page, which no signed-in crawl reaches: French for
    the French partner, Dutch for the Dutch one, answered or not, and the refusals."""
    from tests.integration.test_no_codes import (
        FIELD_WORDS,
        ORDINARY,
        _config_codes,
        _enum_codes,
        _pattern,
        offending,
        proper_names,
        visible,
    )

    ctx, client, tokens = world
    codes = _enum_codes() | _config_codes(ctx.config)
    names = proper_names(ctx.config)
    client.post(f"/r/{tokens['P-A', 'cure-brug']}", data={"answer": "waitlist", "position": "2",
                                                           "expected": "01/04/2027"})
    pages = {"fr": [client.get(f"/r/{tokens['P-A', 'ma-relais']}"),
                    client.post(f"/r/{tokens['P-A', 'ma-relais']}", data={"answer": "accepted"}),
                    client.get("/r/unknown-" + "x" * 40)],
             "nl": [client.get(f"/r/{tokens['P-A', 'ma-anker']}"),
                    client.get(f"/r/{tokens['P-A', 'cure-brug']}?answered=1")]}
    french = {"documents", "message"}  # PartnerAnswer values that are French words (« documents manquants »)
    for lang, answers in pages.items():
        allowed = FIELD_WORDS | ORDINARY[lang] | (french if lang == "fr" else set())
        pattern = _pattern(codes - allowed)
        for r in answers:
            text, _links = visible(r.text)
            for name in names:
                text = text.replace(name, " ")
            assert not offending(text, pattern, allowed), (lang, r.url, offending(text, pattern, allowed))
