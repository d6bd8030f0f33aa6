"""Reminders from the sweep to real endpoints: a local SMTP server (aiosmtpd) and local HTTP endpoints that
apprise's json:// channel posts to. On SQLite and, when configured, PostgreSQL (the `ctx` fixture).

Each test builds its Context from a copy of config/ whose partners.yaml points at the test's endpoints, and
a clock it controls (delivery retries are checked by moving that clock, never by sleeping).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import html
import json
import re
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from raj_release.config import load_config
from raj_release.notify.channels import fingerprint
from raj_release.services.consents import grant
from raj_release.services.demarches import pin_due, set_status
from raj_release.services.milestones import set_milestone
from raj_release.services.outbox import deliver, enqueue, list_outbox, outbox_counts
from raj_release.services.persons import register_person
from raj_release.services.reminders import sweep
from raj_release.services.report import overview, weekly_report
from raj_release.services.workers import register_worker
from raj_release.settings import PROJECT_ROOT, Settings
from raj_release.store import models as m

UTC = dt.UTC
T0 = dt.date(2026, 11, 23)  # Monday: registration day
HEARING = dt.date(2027, 6, 15)
SWEEP_DAY = dt.date(2027, 3, 8)  # a Monday: several démarches overdue, two waiting on partners
REF = "AF-2026-201"
NAME = "Jean-Marc Dubois"
ORG = "ambulatoire-forest"


# ---------------------------------------------------------------------------------------------------------
# local endpoints


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpSink:
    """A loopback HTTP endpoint recording every POST as {"path", "payload"}."""

    def __init__(self, port: int = 0) -> None:
        self.received: list[dict] = []
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink.lock:
                    sink.received.append({"path": self.path.split("?", 1)[0], "payload": json.loads(raw or b"{}")})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[dict]:
        with self.lock:
            return [r["payload"] for r in self.received if r["path"] == path]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sinks():
    """start(port=0) -> a running HttpSink; all are stopped at the end of the test."""
    started: list[HttpSink] = []

    def start(port: int = 0) -> HttpSink:
        s = HttpSink(port)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def http(sinks) -> HttpSink:
    return sinks()


class SmtpRecorder:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"


@pytest.fixture
def smtp(request):
    """A real SMTP server on a free loopback port; yields (port, recorder)."""
    from aiosmtpd.controller import Controller

    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    request.addfinalizer(controller.stop)
    return port, recorder


def mailto(port: int, to: str) -> str:
    return f"mailto://127.0.0.1:{port}?mode=insecure&from=raj@example.org&to={to}"


def parts(msg: email.message.EmailMessage) -> dict[str, str]:
    out = {}
    for p in msg.walk():
        if p.get_content_type() in ("text/plain", "text/html"):
            out[p.get_content_type()] = p.get_content()
    return out


# ---------------------------------------------------------------------------------------------------------
# a context on a config folder of the test's own


class Clock:
    def __init__(self, t: dt.datetime) -> None:
        self.t = t

    def __call__(self) -> dt.datetime:
        return self.t


def config_folder(tmp_path: Path, partners: list[dict] | None = None, reminders: str | None = None) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(PROJECT_ROOT / "config", folder)
    lines = ["version: 1", "partners:"]
    for p in partners or []:
        lines.append("  - " + json.dumps(p, ensure_ascii=False))  # JSON is YAML
    if not partners:
        lines[-1] = "partners: []"
    (folder / "partners.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if reminders is not None:
        (folder / "reminders.yaml").write_text(reminders, encoding="utf-8")
    return folder


def context(ctx, folder: Path, start: dt.datetime, public_url: str | None = None):
    """The conftest `ctx` (its database, SQLite or PostgreSQL) with the config of `folder`, a Clock, and
    RAJ_PUBLIC_URL as `public_url` (validated as the setting is)."""
    cfg = load_config(folder.resolve())
    clock = Clock(start)
    settings = ctx.settings.model_copy(update={"config_dir": folder,
                                               "public_url": Settings(public_url=public_url).public_url})
    return dataclasses.replace(ctx, config=cfg, settings=settings, now=clock), clock


def aware(d: dt.datetime | None) -> dt.datetime | None:
    return d.replace(tzinfo=UTC) if d is not None and d.tzinfo is None else d


def outbox_rows(c) -> list[m.OutboxMessage]:
    with c.db.transaction() as s:
        rows = list(s.scalars(sa.select(m.OutboxMessage).order_by(m.OutboxMessage.id)))
        for r in rows:
            s.expunge(r)
        return rows


def label(c, key: str, lang: str) -> str:
    return c.config.templates.by_key[key].label_in(lang)


PARTNERS = lambda http: [  # noqa: E731
    {"id": "cpas-test", "name": "CPAS de test", "type": "cpas", "languages": ["nl", "fr"],
     "contact": {"phone": "02 000 00 01"}, "channels": [http.url("/partners/cpas-test")]},
    {"id": "ma-test", "name": "Maison d'accueil de test", "type": "maison_accueil", "languages": ["fr"],
     "identify_person_by": "initials", "channels": [http.url("/partners/ma-test")]},
]


def register_binome(c, as_notify: list[str], psy_notify: list[str], coord_notify: list[str] | None = None):
    register_worker(c, "as.fr", "Amélie Dupont", "as", "fr", as_notify, contact="02 555 01 01")
    register_worker(c, "psy.nl", "Pieter Janssens", "psy", "nl", psy_notify, contact="pieter@example.org")
    if coord_notify is not None:
        register_worker(c, "coord.fr", "Claire Coord", "coordinator", "fr", coord_notify)


def register_subject(c, ref: str = REF, hearing: dt.date = HEARING) -> None:
    register_person(c, ref=ref, prison="lantin", as_id="as.fr", psy_id="psy.nl", today=T0, situation="condamne",
                    needs=["housing", "cure", "income"], modality="lc", name=NAME)
    set_milestone(c, ref, "tap_hearing", date=hearing, today=T0)


def consent_to_partners(c, ref: str = REF) -> None:
    """The person agrees that the CPAS of the tests hears of identity matters, and maisons d'accueil of
    housing (issue 12: nothing reaches a partner without a current consent)."""
    grant(c, ref, purpose="identity", partner="cpas-test", today=T0)
    grant(c, ref, purpose="housing", partner_type="maison_accueil", today=T0)


# ---------------------------------------------------------------------------------------------------------
# the right messages to the right recipients


def test_sweep_and_delivery_to_smtp_and_http(ctx, tmp_path, smtp, http):
    port, box = smtp
    c, clock = context(ctx, config_folder(tmp_path, PARTNERS(http)), dt.datetime(2026, 11, 23, 9, tzinfo=UTC),
                       public_url="https://raj.example.be/")
    register_binome(c, [mailto(port, "as@example.org")], [http.url("/workers/psy")], [http.url("/workers/coord")])
    register_subject(c)
    consent_to_partners(c)
    assert outbox_rows(c) == []  # démarches getting their first date were planned, not moved: no message
    set_status(c, REF, "domicile_fix", "on-hold", today=T0, partner="cpas-test")
    set_status(c, REF, "housing_apply", "on-hold", today=T0, partner="ma-test")
    # the dates agreed with the partners: still ahead on the sweep day (a past one is not asked of a partner)
    pin_due(c, REF, "domicile_fix", due=dt.date(2027, 3, 10), today=T0)
    pin_due(c, REF, "housing_apply", due=dt.date(2027, 3, 9), today=T0)

    clock.t = dt.datetime(2027, 3, 8, 6, 30, tzinfo=UTC)
    dry = sweep(c, SWEEP_DAY, dry_run=True)
    assert outbox_rows(c) == [] and dry.enqueued == []
    result = sweep(c, SWEEP_DAY)
    assert [(x.kind, x.recipient) for x in result.enqueued] == [(x.kind, x.recipient) for x in dry.messages]
    by = {(x.kind, x.recipient): x for x in result.enqueued}
    assert set(by) == {("digest", "as.fr"), ("digest", "psy.nl"), ("escalation", "coord.fr"),
                       ("partner", "cpas-test"), ("partner", "ma-test")}
    assert outbox_counts(c) == {"pending": 5, "sent": 0, "dead": 0, "cancelled": 0}

    report = deliver(c)
    assert report.as_json() == {"sent": 5, "retried": 0, "dead": 0, "errors": {}}
    assert {r.status for r in list_outbox(c)} == {"sent"}

    # the AS: one e-mail, in French, with its own démarches and not the psychologue's, in plain text: one
    # text/plain part that is the outbox's body itself
    assert len(box.messages) == 1
    mail_from, rcpt, mail = box.messages[0]
    assert rcpt == ["as@example.org"] and "as@example.org" in mail["To"] and "raj@example.org" in mail_from
    assert mail["Subject"] == by[("digest", "as.fr")].subject
    assert re.fullmatch(r"\d+ démarches à suivre — 08/03/2027", mail["Subject"])
    body = parts(mail)
    assert set(body) == {"text/plain"} and mail.get_content_type() == "text/plain"
    text = body["text/plain"].replace("\r\n", "\n")  # e-mail lines end in CRLF
    assert text.strip() == by[("digest", "as.fr")].body.strip()
    assert text.startswith("Bonjour Amélie Dupont,\n")
    for key in ("housing_apply", "intake_fiche", "consent_sharing", "domicile_fix"):
        assert label(c, key, "fr") in text, key
    assert label(c, "cure_apply", "fr") not in text  # the psychologue's démarche
    # each item: the date, the person's reference, the démarche's label, the lateness in working days
    assert f"- 19/01/2027 · {REF} · {label(c, 'consent_sharing', 'fr')} (en retard de 34 jours ouvrables)\n" in text
    assert "\nEn retard (" in text and "\nBientôt (" in text
    assert "\n« Ma semaine » dans l'espace de travail: https://raj.example.be/week\n" in text
    assert "**" not in text and "raj " not in text and "`" not in text and "<" not in text
    assert NAME not in text and "Dubois" not in text  # the person by their reference only

    # the psychologue: in Dutch, through json://, the same plain text
    [psy] = http.at("/workers/psy")
    assert psy["title"] == by[("digest", "psy.nl")].subject
    assert re.fullmatch(r"\d+ stap(pen)? op te volgen — 08/03/2027", psy["title"])
    assert psy["message"].startswith("Dag Pieter Janssens,")
    assert label(c, "cure_apply", "nl") in psy["message"] and label(c, "consent_sharing", "nl") in psy["message"]
    assert label(c, "housing_apply", "nl") not in psy["message"]  # the AS's démarche
    assert "\nTe laat (" in psy["message"] and "**" not in psy["message"] and "raj " not in psy["message"]
    assert "« Mijn week » in de werkruimte: https://raj.example.be/week" in psy["message"]

    # the coordinator: a « signalement » of what is 5 working days late or more, with a link to the dashboard
    [coord] = http.at("/workers/coord")
    assert coord["title"].startswith("Signalement à la coordination: ") and "08/03/2027" in coord["title"]
    assert label(c, "intake_fiche", "fr") in coord["message"]
    assert "binôme Amélie Dupont et Pieter Janssens" in coord["message"]
    assert label(c, "housing_apply", "fr") not in coord["message"]  # not late
    assert "« Tableau de bord » dans l'espace de travail: https://raj.example.be/dashboard" in coord["message"]

    # the partners: their own démarche, in their language, with the minimum about the person, whom to
    # answer (both démarches are the AS's), and no link to a workspace they have no account in: the one link is
    # their personal reply link (issue 12)
    [cpas] = http.at("/partners/cpas-test")
    assert cpas["title"] == "Herinnering: 1 aanvraag wacht op uw antwoord"
    msg = cpas["message"]
    assert f"- {REF} · {label(c, 'domicile_fix', 'nl')} · gewenst tegen 10/03/2027\n" in msg
    assert "\n  Contact: Amélie Dupont, maatschappelijk werker (02 555 01 01)\n" in msg
    assert "Pieter Janssens" not in msg and "verstreken" not in msg
    [ma] = http.at("/partners/ma-test")
    assert ma["title"] == "Rappel: 1 demande en attente de votre réponse"
    assert f"- J.D. · {label(c, 'housing_apply', 'fr')} · souhaité pour le 09/03/2027\n" in ma["message"]
    assert "Contact: Amélie Dupont, assistant·e social·e (02 555 01 01)" in ma["message"]
    assert "répondre directement à l'assistant·e social·e ou au/à la psychologue indiqué·e" in ma["message"]
    assert REF not in ma["message"]  # this partner identifies persons by their initials
    for payload, key, lang in ((cpas, "domicile_fix", "nl"), (ma, "housing_apply", "fr")):
        text = (payload["title"] + "\n" + payload["message"]).replace(label(c, key, lang), "")
        [reply] = re.findall(r"https?://\S+", text)
        assert re.fullmatch(r"https://raj\.example\.be/r/[A-Za-z0-9_-]{40,}", reply), reply
        text = text.replace(reply, "")
        assert_nothing_private(text)
        assert "http" not in text and "dépassée" not in text


def test_a_past_partner_date_asks_the_as_for_a_new_one_by_mail_then_the_partner_hears_again(
        ctx, tmp_path, smtp, http):
    port, box = smtp
    c, clock = context(ctx, config_folder(tmp_path, PARTNERS(http)), dt.datetime(2026, 11, 23, 9, tzinfo=UTC))
    register_binome(c, [mailto(port, "as@example.org")], [http.url("/workers/psy")])
    register_subject(c)
    consent_to_partners(c)
    set_status(c, REF, "housing_apply", "on-hold", today=T0, partner="ma-test")  # due 05/03/2027: past on 8/3
    clock.t = dt.datetime(2027, 3, 8, 6, 30, tzinfo=UTC)
    result = sweep(c, SWEEP_DAY)
    kinds = {(x.kind, x.recipient) for x in result.enqueued}
    assert ("partner_date", "as.fr") in kinds  # housing_apply is the AS's: the psychologue is not asked
    assert not [k for k in kinds if k[0] == "partner" or (k[0] == "partner_date" and k[1] != "as.fr")]
    deliver(c)
    assert http.at("/partners/ma-test") == []  # the partner does not read « date dépassée »
    [mail] = [m for _f, _r, m in box.messages if m["Subject"].startswith("Nouvelle date à convenir")]
    assert mail["Subject"] == "Nouvelle date à convenir avec un partenaire: 1 demande — 08/03/2027"
    text = parts(mail)["text/plain"].replace("\r\n", "\n")
    assert (f"- 05/03/2027 · {REF} · {label(c, 'housing_apply', 'fr')} · Maison d'accueil de test "
            "(date dépassée de 1 jour ouvrable)\n") in text
    assert "convenez avec lui d'une nouvelle date" in text and "raj " not in text and "http" not in text
    [row] = [r for r in list_outbox(c) if r.kind.value == "partner_date"]
    assert (row.recipient, row.role, row.status.value) == ("as.fr", "as", "sent")
    assert sweep(c, SWEEP_DAY).enqueued == []  # idempotent: the same day brings nothing new

    # the AS agrees 12/03/2027 with the partner: the partner's reminder comes back for that date
    pin_due(c, REF, "housing_apply", due=dt.date(2027, 3, 12), today=dt.date(2027, 3, 9))
    clock.t = dt.datetime(2027, 3, 9, 6, 30, tzinfo=UTC)
    nxt = sweep(c, dt.date(2027, 3, 9))
    assert [x.recipient for x in nxt.enqueued if x.kind == "partner"] == ["ma-test"]
    assert not [x for x in nxt.enqueued if x.kind == "partner_date"]
    deliver(c)
    [ma] = http.at("/partners/ma-test")
    assert f"- J.D. · {label(c, 'housing_apply', 'fr')} · souhaité pour le 12/03/2027\n" in ma["message"]


PRIVATE = [NAME, "Dubois", "Jean-Marc", "lantin", "Prison de Lantin", "Gevangenis van Lantin", "15/06/2027",
           "2027-06-15", "condamn", "veroordeel", "housing", "logement", "huisvesting", "cure", "kuur", "income",
           "revenu", "inkomen", "libération conditionnelle", "voorwaardelijke"]


def assert_nothing_private(text: str) -> None:
    low = text.lower()
    assert [w for w in PRIVATE if w.lower() in low] == [], text
    assert not re.search(r"(?<!\w)(LC|SE|DL|TAP|SURB)(?!\w)", text), text


# ---------------------------------------------------------------------------------------------------------
# a channel that is down


def test_down_channel_is_retried_with_backoff_then_delivered(ctx, tmp_path, sinks):
    down_port = free_port()  # nothing listens there (yet): connections are refused
    c, clock = context(ctx, config_folder(tmp_path), dt.datetime(2026, 11, 23, 9, tzinfo=UTC))
    register_binome(c, [f"json://127.0.0.1:{down_port}/as"], [])
    register_subject(c)
    clock.t = dt.datetime(2027, 3, 8, 6, 30, tzinfo=UTC)
    sweep(c, SWEEP_DAY)
    [row] = [r for r in outbox_rows(c) if r.recipient == "as.fr"]
    assert (row.status, row.attempts) == ("pending", 0)

    t1 = dt.datetime(2027, 3, 8, 7, 0, tzinfo=UTC)
    r = deliver(c, now=lambda: t1)
    assert r.retried >= 1 and r.sent == 0  # the psychologue has no channel: retried too
    row = next(x for x in outbox_rows(c) if x.recipient == "as.fr")
    assert (row.status, row.attempts) == ("pending", 1)
    assert aware(row.next_attempt_at) == t1 + dt.timedelta(seconds=300)
    assert aware(row.lease_until) is None and row.delivered == []
    assert "json:// channel refused the message or was unreachable" in row.last_error
    assert str(down_port) not in row.last_error  # no URL in errors

    # before the backoff has passed: not tried again
    r = deliver(c, now=lambda: t1 + dt.timedelta(seconds=299))
    assert (r.sent, r.retried, r.dead) == (0, 0, 0)
    assert next(x for x in outbox_rows(c) if x.recipient == "as.fr").attempts == 1

    # second failure: the wait doubles
    t2 = t1 + dt.timedelta(seconds=301)
    deliver(c, now=lambda: t2)
    row = next(x for x in outbox_rows(c) if x.recipient == "as.fr")
    assert row.attempts == 2 and aware(row.next_attempt_at) == t2 + dt.timedelta(seconds=600)

    # the channel comes back; past the backoff it is delivered, once
    back = sinks(down_port)
    r = deliver(c, now=lambda: t2 + dt.timedelta(seconds=599))
    assert back.at("/as") == []
    t3 = t2 + dt.timedelta(seconds=601)
    r = deliver(c, now=lambda: t3)
    assert r.sent == 1
    [got] = back.at("/as")
    row = next(x for x in outbox_rows(c) if x.recipient == "as.fr")
    assert got["title"] == row.subject
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert aware(row.sent_at) == t3 and row.delivered == [fingerprint(f"json://127.0.0.1:{down_port}/as")]
    deliver(c, now=lambda: t3 + dt.timedelta(days=1))
    assert len(back.at("/as")) == 1


def test_message_that_keeps_failing_becomes_dead_and_is_reported(ctx, tmp_path):
    down_port = free_port()
    c, clock = context(ctx, config_folder(tmp_path), dt.datetime(2026, 11, 23, 9, tzinfo=UTC))
    register_binome(c, [f"json://127.0.0.1:{down_port}/as"], [], [])  # coordinator without channel either
    register_subject(c)
    clock.t = dt.datetime(2027, 3, 8, 6, 30, tzinfo=UTC)
    sweep(c, SWEEP_DAY)
    max_attempts = c.config.reminders.delivery.max_attempts
    assert max_attempts == 6
    t = dt.datetime(2027, 3, 8, 7, 0, tzinfo=UTC)
    reports = []
    for _ in range(max_attempts):
        reports.append(deliver(c, now=lambda: t))
        t += dt.timedelta(days=1)  # past any backoff
    assert reports[-1].dead >= 1 and all(r.dead == 0 for r in reports[:-1])
    assert all(r.sent == 0 for r in reports)
    dead = list_outbox(c, status="dead")
    assert {(x.recipient, x.kind) for x in dead} == {("as.fr", "digest"), ("psy.nl", "digest"),
                                                     ("coord.fr", "escalation")}
    as_dead = next(x for x in dead if x.recipient == "as.fr")
    assert as_dead.attempts == max_attempts and "refused" in as_dead.last_error
    psy_dead = next(x for x in dead if x.recipient == "psy.nl")
    assert "no channel configured" in psy_dead.last_error
    assert list_outbox(c, status="pending") == [] and list_outbox(c, status="sent") == []
    # dead is final: no more attempts
    r = deliver(c, now=lambda: t + dt.timedelta(days=30))
    assert (r.sent, r.retried, r.dead) == (0, 0, 0)
    assert next(x for x in list_outbox(c, status="dead") if x.recipient == "as.fr").attempts == max_attempts
    # the coordinators' weekly report lists the dead messages
    ov = overview(c, dt.date(2027, 3, 15))
    rows = {(d["recipient"], d["kind"]) for d in ov[ORG].dead}
    assert rows == {("as.fr", "digest"), ("psy.nl", "digest"), ("coord.fr", "escalation")}
    assert all(d["day"] == SWEEP_DAY and d["error"] for d in ov[ORG].dead)
    [rep] = weekly_report(c, dt.date(2027, 3, 15), dry_run=True)
    assert "Messages abandonnés (non délivrés): 3" in rep.body
    assert "08/03/2027 · rappels du jour → as.fr" in rep.body  # the kind in words, not its code


def test_two_channels_one_failing_the_good_one_is_not_sent_twice(ctx, tmp_path, sinks):
    good = sinks()
    down_port = free_port()
    good_url, bad_url = good.url("/as-phone"), f"json://127.0.0.1:{down_port}/as-mail"
    c, clock = context(ctx, config_folder(tmp_path), dt.datetime(2026, 11, 23, 9, tzinfo=UTC))
    register_binome(c, [good_url, bad_url], [good.url("/psy")])
    register_subject(c)
    clock.t = dt.datetime(2027, 3, 8, 6, 30, tzinfo=UTC)
    sweep(c, SWEEP_DAY)
    t1 = dt.datetime(2027, 3, 8, 7, 0, tzinfo=UTC)
    r = deliver(c, now=lambda: t1)
    assert (r.sent, r.retried) == (1, 1)  # the psychologue's went out; the AS's is half delivered
    assert len(good.at("/as-phone")) == 1 and len(good.at("/psy")) == 1
    row = next(x for x in outbox_rows(c) if x.recipient == "as.fr")
    assert (row.status, row.attempts, row.delivered) == ("pending", 1, [fingerprint(good_url)])

    r = deliver(c, now=lambda: t1 + dt.timedelta(seconds=301))  # still down
    assert r.retried == 1 and len(good.at("/as-phone")) == 1

    back = sinks(down_port)
    r = deliver(c, now=lambda: t1 + dt.timedelta(hours=2))
    assert r.sent == 1
    assert len(good.at("/as-phone")) == 1, "the channel that accepted the message got it again"
    assert len(back.at("/as-mail")) == 1
    assert back.at("/as-mail")[0]["title"] == good.at("/as-phone")[0]["title"]
    row = next(x for x in outbox_rows(c) if x.recipient == "as.fr")
    assert (row.status, row.attempts) == ("sent", 3)
    assert row.delivered == sorted([fingerprint(good_url), fingerprint(bad_url)])


# ---------------------------------------------------------------------------------------------------------
# idempotency


def test_two_sweeps_the_same_day_enqueue_and_deliver_nothing_new(ctx, tmp_path, http):
    c, clock = context(ctx, config_folder(tmp_path, PARTNERS(http)), dt.datetime(2026, 11, 23, 9, tzinfo=UTC))
    register_binome(c, [http.url("/as")], [http.url("/psy")], [http.url("/coord")])
    register_subject(c)
    consent_to_partners(c)
    set_status(c, REF, "domicile_fix", "on-hold", today=T0, partner="cpas-test")
    clock.t = dt.datetime(2027, 3, 8, 6, 30, tzinfo=UTC)
    first = sweep(c, SWEEP_DAY)
    assert len(first.enqueued) == 4
    r1 = deliver(c)
    assert r1.sent == 4 and len(http.received) == 4
    keys = [x.key for x in outbox_rows(c)]

    second = sweep(c, SWEEP_DAY)
    assert second.enqueued == []
    assert [x.key for x in outbox_rows(c)] == keys
    r2 = deliver(c)
    assert (r2.sent, r2.retried) == (0, 0) and len(http.received) == 4

    # the same day, even if decided again from scratch, cannot enqueue twice (unique key)
    with c.db.transaction() as s:
        assert enqueue(s, c, first.enqueued) == []
    assert len(outbox_rows(c)) == 4

    # the next working day is a new day: only démarches with a newer point; the partner's (due 15/2; day 1,
    # 6, 11, 16 overdue: 16/2, 23/2, 2/3, 9/3; 2/3 was sent on 8/3) has its next one on 9/3, once; the date
    # being past, it asks the AS (domicile_fix is the AS's) for a new date instead of reminding the partner
    assert {x.kind for x in first.enqueued} == {"digest", "escalation", "partner_date"}
    nxt = sweep(c, dt.date(2027, 3, 9))
    assert [x.recipient for x in nxt.enqueued if x.kind == "partner_date"] == ["as.fr"]
    assert [x for x in nxt.enqueued if x.kind == "partner"] == []
    assert sweep(c, dt.date(2027, 3, 9)).enqueued == []
    assert len(outbox_rows(c)) == 4 + len(nxt.enqueued)


def test_a_sweep_that_did_not_run_sends_the_latest_point_once(ctx, tmp_path, http):
    c, clock = context(ctx, config_folder(tmp_path), dt.datetime(2026, 11, 23, 9, tzinfo=UTC))
    register_binome(c, [http.url("/as")], [http.url("/psy")])
    register_subject(c)
    clock.t = dt.datetime(2027, 3, 8, 6, 30, tzinfo=UTC)
    sweep(c, SWEEP_DAY)
    as_items = next(x for x in outbox_rows(c) if x.recipient == "as.fr").items
    # a Saturday: nothing
    assert sweep(c, dt.date(2027, 3, 13)).messages == []
    # Monday, a week later: one digest per member, each démarche once
    later = sweep(c, dt.date(2027, 3, 15))
    as_digest = [x for x in later.enqueued if x.recipient == "as.fr"]
    assert len(as_digest) == 1
    keys = [i["key"] for i in as_digest[0].items]
    assert len(keys) == len(set(keys))
    assert len(as_items) >= 5


# ---------------------------------------------------------------------------------------------------------
# "your plan moved"


def plan_moved_rows(c) -> list[m.OutboxMessage]:
    return [r for r in outbox_rows(c) if r.kind == "plan_moved"]


def test_milestone_change_tells_each_member_of_the_binome(ctx, tmp_path, smtp, http):
    port, box = smtp
    c, clock = context(ctx, config_folder(tmp_path), dt.datetime(2026, 11, 23, 9, tzinfo=UTC))
    register_binome(c, [mailto(port, "as@example.org")], [http.url("/psy")])
    register_subject(c)
    clock.t = dt.datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Tuesday 11:00 in Brussels
    view = set_milestone(c, REF, "tap_hearing", date=dt.date(2027, 8, 17), today=dt.date(2026, 11, 24),
                         reason="remise", actor="as.fr")
    moved = {ch["key"]: ch for ch in view.as_json()["changes"] if ch["old_due"]}
    assert len(moved) >= 5
    rows = plan_moved_rows(c)
    assert sorted((r.recipient, r.language, r.role) for r in rows) == [("as.fr", "fr", "as"),
                                                                        ("psy.nl", "nl", "psy")]
    for r in rows:
        assert r.urgent is False and r.day == dt.date(2026, 11, 24)
        assert aware(r.next_attempt_at) == clock.t  # a working day after the morning sweep: at once
        assert {i["key"]: i["due"] for i in r.items} == {k: ch["new_due"] for k, ch in moved.items()}
        assert "URGENT" not in r.subject and "DRINGEND" not in r.subject
        for key, ch in moved.items():
            old = dt.date.fromisoformat(ch["old_due"]).strftime("%d/%m/%Y")
            new = dt.date.fromisoformat(ch["new_due"]).strftime("%d/%m/%Y")
            assert f"- {label(c, key, r.language)}: {old} → {new}\n" in r.body
    fr = next(r for r in rows if r.language == "fr")
    assert fr.subject == f"Plan de {REF}: {len(moved)} démarches déplacées"
    assert "15/06/2027 → 17/08/2027" in fr.body and "(remise), par as.fr." in fr.body

    r = deliver(c)
    assert r.sent == 2
    [(_, rcpt, mail)] = box.messages
    assert rcpt == ["as@example.org"] and mail["Subject"] == fr.subject
    assert label(c, "tap_file", "fr") in parts(mail)["text/plain"] and "**" not in parts(mail)["text/plain"]
    [psy] = http.at("/psy")
    assert psy["title"] == f"Plan van {REF}: {len(moved)} stappen verschoven"
    assert label(c, "tap_file", "nl") in psy["message"]

    # the same date again: nothing moves, nothing is sent
    set_milestone(c, REF, "tap_hearing", date=dt.date(2027, 8, 17), today=dt.date(2026, 11, 24), reason="remise")
    assert len(plan_moved_rows(c)) == 2


@pytest.mark.parametrize("when, today", [
    (dt.datetime(2026, 11, 28, 10, 0, tzinfo=UTC), dt.date(2026, 11, 28)),  # Saturday
    (dt.datetime(2026, 11, 24, 9, 0, tzinfo=UTC), dt.date(2026, 11, 24)),  # Tuesday
], ids=["saturday", "weekday"])
def test_sudden_release_is_urgent_and_goes_out_at_once(ctx, tmp_path, http, when, today):
    c, clock = context(ctx, config_folder(tmp_path), dt.datetime(2026, 11, 23, 9, tzinfo=UTC))
    register_binome(c, [http.url("/as")], [http.url("/psy")])
    register_subject(c)
    clock.t = when
    view = set_milestone(c, REF, "actual_release", date=today, today=today, reason="libération anticipée")
    assert any(ch["old_due"] for ch in view.as_json()["changes"])
    rows = plan_moved_rows(c)
    assert sorted(r.recipient for r in rows) == ["as.fr", "psy.nl"]
    assert all(r.urgent and aware(r.next_attempt_at) == when for r in rows)
    assert next(r for r in rows if r.language == "fr").subject.startswith("URGENT — Plan de ")
    assert next(r for r in rows if r.language == "nl").subject.startswith("DRINGEND — Plan van ")
    r = deliver(c, now=lambda: when + dt.timedelta(seconds=1))
    assert r.sent == 2
    assert http.at("/as")[0]["title"].startswith("URGENT — ")
    assert "libération effective" in http.at("/as")[0]["message"]


@pytest.mark.parametrize("when, today, not_before", [
    # Saturday: Monday 30/11 07:30 in Brussels (CET = UTC+1)
    (dt.datetime(2026, 11, 28, 10, 0, tzinfo=UTC), dt.date(2026, 11, 28), dt.datetime(2026, 11, 30, 6, 30, tzinfo=UTC)),
    # Armistice (Wednesday 11/11): Thursday morning
    (dt.datetime(2026, 11, 11, 12, 0, tzinfo=UTC), dt.date(2026, 11, 11), dt.datetime(2026, 11, 12, 6, 30, tzinfo=UTC)),
    # a working day before the morning sweep (06:00 in Brussels): that morning
    (dt.datetime(2026, 11, 24, 5, 0, tzinfo=UTC), dt.date(2026, 11, 24), dt.datetime(2026, 11, 24, 6, 30, tzinfo=UTC)),
    # summer time (CEST = UTC+2): Saturday 19/6/2027 -> Monday 21/6 07:30 in Brussels
    (dt.datetime(2027, 6, 19, 10, 0, tzinfo=UTC), dt.date(2027, 6, 19), dt.datetime(2027, 6, 21, 5, 30, tzinfo=UTC)),
], ids=["saturday", "holiday", "early-morning", "saturday-summer-time"])
def test_plan_moved_on_a_quiet_day_waits_for_the_next_working_morning(ctx, tmp_path, http, when, today,
                                                                      not_before):
    c, clock = context(ctx, config_folder(tmp_path), dt.datetime(2026, 11, 2, 9, tzinfo=UTC))
    register_binome(c, [http.url("/as")], [http.url("/psy")])
    register_person(c, ref=REF, prison="lantin", as_id="as.fr", psy_id="psy.nl", today=dt.date(2026, 11, 2), needs=["housing"], modality="lc")
    set_milestone(c, REF, "tap_hearing", date=HEARING, today=dt.date(2026, 11, 2))
    clock.t = when
    set_milestone(c, REF, "tap_hearing", date=dt.date(2027, 9, 14), today=today)
    rows = plan_moved_rows(c)
    assert sorted(r.recipient for r in rows) == ["as.fr", "psy.nl"]
    assert all(not r.urgent and aware(r.next_attempt_at) == not_before for r in rows)
    r = deliver(c, now=lambda: when + dt.timedelta(minutes=5))
    assert r.sent == 0 and http.received == []
    r = deliver(c, now=lambda: not_before - dt.timedelta(seconds=1))
    assert r.sent == 0
    r = deliver(c, now=lambda: not_before + dt.timedelta(minutes=1))
    assert r.sent == 2 and len(http.at("/as")) == 1 and len(http.at("/psy")) == 1
    assert http.at("/as")[0]["title"].startswith(f"Plan de {REF}: ")


# Each member of the binôme has their own record of the points sent (last_as_point, last_psy_point), so a
# second sweep the same day that can only enqueue one member's digest does not lose the other's point.
def test_second_sweep_the_same_day_does_not_lose_a_point_for_the_other_member(ctx, tmp_path, http):
    from raj_release.services.demarches import pin_due

    c, clock = context(ctx, config_folder(tmp_path), dt.datetime(2026, 11, 23, 9, tzinfo=UTC))
    register_worker(c, "as.fr", "Amélie Dupont", "as", "fr", [http.url("/as")])
    register_worker(c, "psy.one", "Psy Un", "psy", "fr", [http.url("/psy1")])
    register_worker(c, "psy.two", "Psy Deux", "psy", "fr", [http.url("/psy2")])
    register_person(c, ref="P1", prison="lantin", as_id="as.fr", psy_id="psy.one", today=T0)
    set_milestone(c, "P1", "tap_hearing", date=HEARING, today=T0)
    clock.t = dt.datetime(2027, 3, 8, 6, 30, tzinfo=UTC)
    first = sweep(c, SWEEP_DAY)  # the morning sweep: as.fr has a digest today
    assert ("digest", "as.fr") in {(x.kind, x.recipient) for x in first.enqueued}
    # later that day, a person of as.fr with another psychologue; its BIN démarche is due in 5 working days
    register_person(c, ref="P2", prison="lantin", as_id="as.fr", psy_id="psy.two", today=SWEEP_DAY)
    set_milestone(c, "P2", "tap_hearing", date=dt.date(2027, 12, 15), today=SWEEP_DAY)
    due = c.config.calendar.add_working_days(SWEEP_DAY, 5)
    pin_due(c, "P2", "consent_sharing", due=due, today=SWEEP_DAY)
    second = sweep(c, SWEEP_DAY)  # e.g. `raj remind` run by hand after the registration
    decided = {x.recipient: [i["person"] + ":" + i["key"] for i in x.items] for x in second.messages}
    assert "P2:consent_sharing" in decided["as.fr"] and "P2:consent_sharing" in decided["psy.two"]
    assert [x.recipient for x in second.enqueued] == ["psy.two"]  # one digest per recipient per day
    # the AS's reminder waits for the next working day, like P2's AS-only démarches do
    nxt = sweep(c, dt.date(2027, 3, 9))
    as_items = next(x.items for x in nxt.enqueued if x.recipient == "as.fr")
    keys = {i["person"] + ":" + i["key"] for i in as_items}
    assert "P2:intake_fiche" in keys  # an AS-only démarche decided in the second sweep: delayed, not lost
    assert "P2:consent_sharing" in keys  # the BIN démarche's "5 days before" point: lost for the AS


# ---------------------------------------------------------------------------------------------------------
# the contact alert after release, delivered


def test_contact_alert_after_release_is_delivered_to_the_binome_then_the_coordinator(ctx, tmp_path, smtp, http):
    from raj_release.services.visits import add_visit

    port, box = smtp
    c, clock = context(ctx, config_folder(tmp_path), dt.datetime(2026, 11, 23, 9, tzinfo=UTC))
    register_binome(c, [mailto(port, "as@example.org")], [http.url("/workers/psy")], [http.url("/workers/coord")])
    register_subject(c)
    release = dt.date(2027, 2, 1)  # a Monday; February 2027 has no holiday
    set_milestone(c, REF, "actual_release", date=release, today=release)
    add_visit(c, REF, day=dt.date(2027, 2, 3), place="prison", outcome="not-held", reason="release",
              today=dt.date(2027, 2, 3))  # not held: the silence still runs from the release

    day = dt.date(2027, 2, 15)  # 10 working days after the release
    clock.t = dt.datetime(2027, 2, 15, 6, 30, tzinfo=UTC)
    result = sweep(c, day)
    contact = {x.recipient: x for x in result.enqueued if x.kind == "contact"}
    assert set(contact) == {"as.fr", "psy.nl"}
    assert [x for x in sweep(c, day).enqueued if x.kind == "contact"] == []  # a second sweep: nothing new
    deliver(c)
    mails = [mail for _f, _r, mail in box.messages if mail["Subject"].startswith("Contact après la libération")]
    assert len(mails) == 1
    text = html.unescape(parts(mails[0])["text/plain"])
    assert f"{REF} · libéré·e le 01/02/2027 · aucune rencontre depuis la sortie (10 jours ouvrables)" in text
    [psy] = [p for p in http.at("/workers/psy") if p["title"].startswith("Contact na de vrijlating")]
    assert psy["message"].startswith("Dag Pieter Janssens,") and REF in psy["message"]
    assert_nothing_private(psy["title"] + "\n" + psy["message"].replace(REF, ""))

    clock.t = dt.datetime(2027, 2, 22, 6, 30, tzinfo=UTC)
    sweep(c, dt.date(2027, 2, 22))  # 5 working days more: the coordinators
    deliver(c)
    [coord] = [p for p in http.at("/workers/coord") if "sans rencontre" in p["title"]]
    assert coord["title"].startswith("Signalement à la coordination: 1 personne libérée sans rencontre — 22/02/2027")
    assert "binôme Amélie Dupont et Pieter Janssens" in coord["message"]
