"""`raj remind`, `raj deliver`, `raj outbox` and the partner of an on-hold démarche, through real subprocesses
on a SQLite file, delivering to a local HTTP endpoint (raj_release.notify.sink) on a free loopback port.

The module builds one database (init, a binôme and a coordinator whose --notify points at the endpoint, a
person, a hearing, the person's consent for the CPAS, a démarche on hold waiting on the CPAS of
config/partners.yaml); tests that change anything
work on a copy of its file. Refused inputs: exit code 2, one line on stderr, nothing written.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from raj_release.notify.sink import read_received, running_sink
from raj_release.settings import PROJECT_ROOT
from tests.e2e.cli import as_json, assert_refused, dump, ok, query
from tests.e2e.cli import raj as _raj

CONFIG_DIR = PROJECT_ROOT / "config"
TODAY = "2026-11-23"
REF = "AF-2026-014"
HEARING = "2027-06-15"
DAY = "2027-03-08"  # a Monday: démarches overdue (digests, escalation) and one waiting on the CPAS

pytestmark = pytest.mark.slow


def raj(db: Path, *args: str, env_extra: dict[str, str] | None = None):
    return _raj(db, *args, config_dir=CONFIG_DIR, env_extra=env_extra)


def outbox_count(db: Path) -> int:
    return query(db, "SELECT count(*) FROM outbox")[0][0]


@pytest.fixture(scope="module")
def sink(tmp_path_factory):
    """(json:// base URL, file of what it received), for the whole module."""
    with running_sink(tmp_path_factory.mktemp("sink")) as (url, received):
        yield url, received


@pytest.fixture(scope="module")
def base(tmp_path_factory, sink):
    url, _ = sink
    db = tmp_path_factory.mktemp("base") / "raj.db"
    ok(raj(db, "init"))
    ok(raj(db, "worker", "add", "as.dupont", "--name", "Amélie Dupont", "--role", "as", "--lang", "fr",
           "--notify", f"{url}/workers/as.dupont", "--contact", "02 555 01 01"))
    ok(raj(db, "worker", "add", "psy.peeters", "--name", "Els Peeters", "--role", "psy", "--lang", "nl",
           "--notify", f"{url}/workers/psy.peeters"))
    ok(raj(db, "worker", "add", "coord.martin", "--name", "Claire Martin", "--role", "coordinator",
           "--notify", f"{url}/workers/coord.martin"))
    ok(raj(db, "person", "add", REF, "--prison", "haren", "--as", "as.dupont", "--psy", "psy.peeters",
           "--needs", "housing,cure,income", "--modality", "lc", "--today", TODAY))
    ok(raj(db, "milestone", "set", REF, "tap_hearing", HEARING, "--today", TODAY))
    # the person agreed that the CPAS hears of their identity démarches (issue 12: no consent, no partner message)
    ok(raj(db, "consent", "grant", REF, "--partner-type", "cpas", "--purpose", "identity", "--date", TODAY,
           "--today", TODAY))
    held = as_json(raj(db, "demarche", "set", REF, "domicile_fix", "on-hold", "--partner", "cpas-demo",
                       "--today", TODAY, "--json"))
    # the date agreed with the CPAS, still ahead on DAY (a past date is not asked of a partner again)
    ok(raj(db, "demarche", "pin", REF, "domicile_fix", "2027-03-10", "--today", TODAY))
    return {"db": db, "held": held}


@pytest.fixture
def fresh(base, tmp_path) -> Path:
    dest = tmp_path / "copy" / "raj.db"
    dest.parent.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{base['db']}{suffix}").exists():
            shutil.copy2(f"{base['db']}{suffix}", f"{dest}{suffix}")
    return dest


# ---------------------------------------------------------------------------------------------------------
# a démarche waiting on a partner


def test_demarche_on_hold_with_a_known_partner(base):
    held = base["held"]
    assert (held["key"], held["status"], held["partner"]) == ("domicile_fix", "on-hold", "cpas-demo")
    assert query(base["db"], "SELECT d.status, d.partner_id FROM demarche d WHERE d.key = 'domicile_fix'") == [
        ("on-hold", "cpas-demo")]


def test_unknown_partner_is_refused(fresh):
    before = dump(fresh)
    line = assert_refused(raj(fresh, "demarche", "set", REF, "eid_check", "on-hold", "--partner", "cpas-nowhere",
                              "--today", TODAY), "--partner", "cpas-nowhere")
    assert "partners.yaml" in line
    assert dump(fresh) == before


def test_partner_only_for_on_hold(fresh):
    before = dump(fresh)
    assert_refused(raj(fresh, "demarche", "set", REF, "eid_check", "in-progress", "--partner", "cpas-demo",
                       "--today", TODAY), "--partner", "en attente")
    assert dump(fresh) == before


# ---------------------------------------------------------------------------------------------------------
# raj remind

MESSAGE_FIELDS = {"recipient", "role", "kind", "language", "subject", "body", "items"}


def test_remind_dry_run_json_shows_and_enqueues_nothing(fresh):
    before = dump(fresh)
    msgs = as_json(raj(fresh, "remind", "--today", DAY, "--dry-run", "--json"))
    assert dump(fresh) == before and outbox_count(fresh) == 0
    assert isinstance(msgs, list) and msgs
    for x in msgs:
        assert MESSAGE_FIELDS <= set(x), x.keys()
        assert x["role"] in {"as", "psy", "coordinator", "partner"}
        assert x["kind"] in {"digest", "escalation", "plan_moved", "partner", "report"}
        assert x["language"] in {"fr", "nl"}
        assert isinstance(x["subject"], str) and x["subject"] and isinstance(x["body"], str) and x["body"]
        assert isinstance(x["items"], list) and x["items"]
        for i in x["items"]:
            assert set(i) == {"person", "key", "due"}
            assert dt.date.fromisoformat(i["due"]) <= dt.date(2027, 3, 15)
    by = {(x["kind"], x["recipient"]): x for x in msgs}
    assert set(by) == {("digest", "as.dupont"), ("digest", "psy.peeters"), ("escalation", "coord.martin"),
                       ("partner", "cpas-demo")}
    assert (by[("digest", "as.dupont")]["role"], by[("digest", "as.dupont")]["language"]) == ("as", "fr")
    assert (by[("digest", "psy.peeters")]["role"], by[("digest", "psy.peeters")]["language"]) == ("psy", "nl")
    assert by[("escalation", "coord.martin")]["role"] == "coordinator"
    partner = by[("partner", "cpas-demo")]
    assert (partner["role"], partner["language"]) == ("partner", "fr")  # cpas-demo: languages [fr, nl]
    assert partner["items"] == [{"person": REF, "key": "domicile_fix", "due": "2027-03-10"}]
    assert "souhaité pour le 10/03/2027" in partner["body"]
    assert "Contact: Amélie Dupont, assistant·e social·e (02 555 01 01)" in partner["body"]
    for x in msgs:  # plain text, no command line to type
        assert "**" not in x["body"] and "raj " not in x["body"] and "`" not in x["body"], x["kind"]
    assert by[("digest", "as.dupont")]["subject"].endswith("08/03/2027")
    # the dry run is repeatable: it recorded nothing
    assert as_json(raj(fresh, "remind", "--today", DAY, "--dry-run", "--json")) == msgs


def test_remind_enqueues_once_per_day(fresh):
    msgs = as_json(raj(fresh, "remind", "--today", DAY, "--json"))
    assert len(msgs) == 4 and outbox_count(fresh) == 4
    assert sorted(query(fresh, "SELECT kind, recipient, status, day FROM outbox")) == sorted(
        (x["kind"], x["recipient"], "pending", DAY) for x in msgs)
    before = dump(fresh)
    again = ok(raj(fresh, "remind", "--today", DAY))
    assert "0 message(s) mis dans la boîte d'envoi" in again.stdout
    assert outbox_count(fresh) == 4
    assert as_json(raj(fresh, "remind", "--today", DAY, "--json")) == []
    assert dump(fresh) == before


def test_remind_on_a_saturday_sends_nothing(fresh):
    r = ok(raj(fresh, "remind", "--today", "2027-03-13"))
    assert "0 message(s)" in r.stdout and outbox_count(fresh) == 0


def test_remind_bad_date_is_refused(fresh):
    before = dump(fresh)
    assert_refused(raj(fresh, "remind", "--today", "2027-02-30"), "--today", "2027-02-30")
    assert dump(fresh) == before


# ---------------------------------------------------------------------------------------------------------
# raj outbox and raj deliver


def test_outbox_lists_by_status(fresh):
    enq = as_json(raj(fresh, "remind", "--today", DAY, "--json"))
    rows = as_json(raj(fresh, "outbox", "--status", "pending", "--json"))
    assert len(rows) == len(enq) == 4
    assert {r["status"] for r in rows} == {"pending"}
    assert {(r["kind"], r["recipient"]) for r in rows} == {(x["kind"], x["recipient"]) for x in enq}
    for r in rows:
        assert {"id", "key", "recipient", "role", "kind", "language", "subject", "day", "status", "attempts",
                "next_attempt_at", "last_error", "sent_at", "urgent", "items"} <= set(r)
        assert r["attempts"] == 0 and r["day"] == DAY and r["key"].endswith(f"|{DAY}")
    assert as_json(raj(fresh, "outbox", "--status", "sent", "--json")) == []
    assert as_json(raj(fresh, "outbox", "--status", "dead", "--json")) == []
    assert len(as_json(raj(fresh, "outbox", "--json"))) == 4
    human = ok(raj(fresh, "outbox"))
    assert "Boîte d'envoi (4)" in human.stdout


def test_outbox_bogus_status_is_refused(fresh):
    before = dump(fresh)
    assert_refused(raj(fresh, "outbox", "--status", "bogus"), "--status", "bogus", "pending")
    assert dump(fresh) == before


def test_deliver_json_to_the_local_endpoint(fresh, sink):
    url, received = sink
    as_json(raj(fresh, "remind", "--today", DAY, "--json"))
    seen = len(read_received(received))
    report = as_json(raj(fresh, "deliver", "--json", env_extra={"RAJ_DEMO_SINK": url}))
    assert report == {"sent": 4, "retried": 0, "dead": 0, "errors": {}, "busy": False}
    got = read_received(received)[seen:]
    by_path = {g["path"].split("?", 1)[0]: g["payload"] for g in got}
    assert set(by_path) == {"/workers/as.dupont", "/workers/psy.peeters", "/workers/coord.martin",
                            "/partners/cpas-demo"}
    subjects = {r[0]: r[1] for r in query(fresh, "SELECT recipient, subject FROM outbox")}
    assert by_path["/workers/as.dupont"]["title"] == subjects["as.dupont"]
    assert by_path["/workers/psy.peeters"]["message"].startswith("Dag Els Peeters,")
    assert by_path["/partners/cpas-demo"]["title"] == "Rappel: 1 demande en attente de votre réponse"
    assert REF in by_path["/partners/cpas-demo"]["message"]
    assert {r["status"] for r in as_json(raj(fresh, "outbox", "--json"))} == {"sent"}
    # nothing left: a second run sends nothing
    assert as_json(raj(fresh, "deliver", "--json", env_extra={"RAJ_DEMO_SINK": url}))["sent"] == 0
    assert len(read_received(received)) == seen + 4


def test_deliver_by_hand_keeps_to_the_two_delivery_slots(fresh, sink):
    """`raj deliver` takes one of the slots the flows share (issue 13): with both held elsewhere it waits
    `--wait` seconds, then says so in one line and sends nothing; once one is free it delivers."""
    import sqlalchemy as sa

    from raj_release.services.outbox import DELIVERERS
    from raj_release.store.slots import slot

    url, received = sink
    as_json(raj(fresh, "remind", "--today", DAY, "--json"))
    seen = len(read_received(received))
    engine = sa.create_engine(f"sqlite:///{fresh}")
    try:
        with slot(engine, "raj-delivery", DELIVERERS, 0) as first, slot(engine, "raj-delivery", DELIVERERS, 0) as second:
            assert {first, second} == {0, 1}
            busy = as_json(raj(fresh, "deliver", "--wait", "0", "--json", env_extra={"RAJ_DEMO_SINK": url}))
            assert busy == {"sent": 0, "retried": 0, "dead": 0, "errors": {}, "busy": True}
            human = ok(raj(fresh, "deliver", "--wait", "0", env_extra={"RAJ_DEMO_SINK": url}))
            assert human.stdout.strip() == ("2 distributions sont déjà en cours et envoient tout ce qui est dû: "
                                            "rien à faire ici.")
            assert {r["status"] for r in as_json(raj(fresh, "outbox", "--json"))} == {"pending"}
            assert len(read_received(received)) == seen
        report = as_json(raj(fresh, "deliver", "--wait", "0", "--json", env_extra={"RAJ_DEMO_SINK": url}))
        assert (report["sent"], report["busy"]) == (4, False)
    finally:
        engine.dispose()


def test_deliver_without_the_partner_channel_variable_retries(fresh, sink):
    url, received = sink
    as_json(raj(fresh, "remind", "--today", DAY, "--json"))
    report = as_json(raj(fresh, "deliver", "--json"))  # RAJ_DEMO_SINK unset: the partner's URL is incomplete
    assert (report["sent"], report["retried"], report["dead"]) == (3, 1, 0)
    assert report["errors"] == {"channel needs environment variable RAJ_DEMO_SINK": 1}
    [row] = as_json(raj(fresh, "outbox", "--status", "pending", "--json"))
    assert (row["recipient"], row["attempts"]) == ("cpas-demo", 1)
    human = ok(raj(fresh, "deliver"))
    assert "Envoyés: 0" in human.stdout  # not due again before its backoff


# ---------------------------------------------------------------------------------------------------------
# channels are checked when a worker is added


def test_worker_with_a_bad_notify_url_is_refused(fresh):
    before = dump(fresh)
    assert_refused(raj(fresh, "worker", "add", "as.x", "--name", "X", "--role", "as", "--notify", "notaurl"),
                   "--notify")
    assert_refused(raj(fresh, "worker", "add", "as.x", "--name", "X", "--role", "as", "--notify",
                       "nosuchscheme://host/path"), "--notify", "nosuchscheme")
    assert dump(fresh) == before


def test_worker_with_a_secret_placeholder_is_accepted(fresh):
    w = as_json(raj(fresh, "worker", "add", "as.y", "--name", "Y", "--role", "as", "--notify",
                    "mailtos://${SMTP_USER}:${SMTP_PASS}@smtp.example.org?to=y@example.org", "--json"))
    assert w["channels"] == 1 and "notify" not in w  # channels are not echoed back


# ---------------------------------------------------------------------------------------------------------
# RAJ_PUBLIC_URL: the digests link to the workspace's week; a bad address stops the command at once


def test_remind_with_raj_public_url_links_the_week(fresh):
    msgs = as_json(raj(fresh, "remind", "--today", DAY, "--dry-run", "--json",
                       env_extra={"RAJ_PUBLIC_URL": "https://raj.example.be/"}))
    digest = next(x for x in msgs if (x["kind"], x["recipient"]) == ("digest", "as.dupont"))
    assert "\n« Ma semaine » dans l'espace de travail: https://raj.example.be/week\n" in digest["body"]
    partner = next(x for x in msgs if x["kind"] == "partner")
    assert "https://" not in partner["body"]


@pytest.mark.parametrize("bad", ["raj.example.be", "ftp://raj.example.be", "https://raj.example.be/?x=1"])
def test_a_bad_raj_public_url_is_one_line_and_changes_nothing(fresh, bad):
    before = dump(fresh)
    line = assert_refused(raj(fresh, "remind", "--today", DAY, env_extra={"RAJ_PUBLIC_URL": bad}),
                          "RAJ_PUBLIC_URL", "https://raj.example.be")
    assert line.startswith("raj: RAJ_PUBLIC_URL: ")
    assert dump(fresh) == before
