"""`raj consent`, `raj demarche apply` and `raj application` through a real subprocess, on a SQLite file (the
CLI contract of issue 12, names scripts rely on): the normal path in JSON and in tables, a withdrawal cancelling
what waits in the outbox (`raj outbox --status cancelled`), and bad input refused with one line, exit 2, the
database unchanged."""

from __future__ import annotations

import pytest

from tests.e2e.cli import as_json, assert_refused, copy_db, dump, ok, query, raj

TODAY = "2026-11-23"
REF = "AF-2026-401"
HOUSES = ["ma-demo", "ma-escale-demo", "ma-anker-demo"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    db = tmp_path_factory.mktemp("base") / "raj.db"
    ok(raj(db, "init"))
    ok(raj(db, "worker", "add", "as.dupont", "--name", "Amélie Dupont", "--role", "as"))
    ok(raj(db, "worker", "add", "psy.lambert", "--name", "Chloé Lambert", "--role", "psy"))
    ok(raj(db, "person", "add", REF, "--prison", "haren", "--as", "as.dupont", "--psy", "psy.lambert", "--needs",
           "housing,income,cure", "--hearing", "2027-06-15", "--today", TODAY))
    return db


@pytest.fixture
def fresh(base, tmp_path):
    return copy_db(base, tmp_path / "copy")


def test_consent_grant_list_withdraw(fresh):
    a = as_json(raj(fresh, "consent", "grant", REF, "--partner-type", "maison_accueil", "--purpose", "housing",
                    "--today", TODAY, "--json", actor="as.dupont"))
    assert (a["partner"], a["partner_type"], a["purpose"], a["given_on"], a["how"], a["until"], a["current"],
            a["recorded_by"]) == (None, "maison_accueil", "housing", TODAY, "signed", None, True, "as.dupont")
    b = as_json(raj(fresh, "consent", "grant", REF, "--partner", "cure-demo", "--purpose", "care", "--how", "oral",
                    "--date", "2026-11-20", "--until", "2027-05-31", "--today", TODAY, "--json"))
    assert (b["partner"], b["partner_type"], b["how"], b["given_on"], b["until"]) == (
        "cure-demo", None, "oral", "2026-11-20", "2027-05-31")

    view = as_json(raj(fresh, "consent", "list", REF, "--today", TODAY, "--json"))
    assert [c["id"] for c in view["consents"]] == [b["id"], a["id"]]  # by the day given
    assert view["complete"] is False
    missing = {m["key"] for m in view["missing"]}
    assert "domicile_fix" in missing and "housing_apply" not in missing and "cure_apply" not in missing
    table = ok(raj(fresh, "consent", "list", REF, "--today", TODAY)).stdout
    assert "Logement" in table and "maison d'accueil" in table and "Centre de cure fictif « De Brug »" in table
    assert "31/05/2027" in table and "maison_accueil" not in table  # words, not codes

    w = as_json(raj(fresh, "consent", "withdraw", REF, str(a["id"]), "--reason", "Ne veut plus", "--today", TODAY,
                    "--json"))
    assert (w["id"], w["withdrawn_on"], w["withdraw_reason"], w["current"]) == (a["id"], TODAY, "Ne veut plus",
                                                                                 False)
    assert query(fresh, "SELECT action FROM audit_event WHERE action LIKE 'consent.%' ORDER BY id") == [
        ("consent.given",), ("consent.given",), ("consent.withdrawn",)]
    # --date: the day it was withdrawn (not after today)
    x = as_json(raj(fresh, "consent", "withdraw", REF, str(b["id"]), "--reason", "Dit au téléphone", "--date",
                    "2026-11-21", "--today", TODAY, "--json"))
    assert x["withdrawn_on"] == "2026-11-21"


def test_apply_set_and_list_applications_and_a_withdrawal_cancels_the_outbox(fresh):
    for pid in HOUSES:
        ok(raj(fresh, "consent", "grant", REF, "--partner", pid, "--purpose", "housing", "--today", TODAY, "--json"))
    sent = as_json(raj(fresh, "demarche", "apply", REF, "housing_apply", *[x for p in HOUSES for x in ("--partner", p)],
                       "--today", TODAY, "--json", actor="as.dupont"))
    assert [(a["partner"], a["state"], a["sent_on"], a["consent"]) for a in sent] == [
        (p, "sent", TODAY, True) for p in HOUSES]
    assert sorted(r[0] for r in query(fresh, "SELECT recipient FROM outbox WHERE kind = 'request'")) == sorted(
        HOUSES)

    wait = as_json(raj(fresh, "application", "set", REF, "housing_apply", "--partner", "ma-escale-demo", "waitlist",
                       "--position", "4", "--date", "2027-02-01", "--today", TODAY, "--json"))
    assert (wait["state"], wait["position"], wait["expected"]) == ("waitlist", 4, "2027-02-01")
    acc = as_json(raj(fresh, "application", "set", REF, "housing_apply", "--partner", "ma-demo", "accepted", "--date",
                      "2027-01-13", "--today", TODAY, "--json"))
    assert (acc["state"], acc["entry"]) == ("accepted", "2027-01-13")
    plan = as_json(raj(fresh, "plan", REF, "--today", TODAY, "--json"))
    housing = next(d for d in plan["demarches"] if d["key"] == "housing_apply")
    assert (housing["due"], housing["pinned"]) == ("2027-01-13", True)  # the entry date, pinned
    refused = as_json(raj(fresh, "application", "set", REF, "housing_apply", "--partner", "ma-anker-demo", "refused",
                          "--reason", "Pas de place pour un homme seul", "--today", TODAY, "--json"))
    assert (refused["state"], refused["reason"]) == ("refused", "Pas de place pour un homme seul")

    rows = as_json(raj(fresh, "application", "list", REF, "--today", TODAY, "--json"))
    assert {(r["partner"], r["state"]) for r in rows} == {("ma-demo", "accepted"), ("ma-escale-demo", "waitlist"),
                                                          ("ma-anker-demo", "refused")}
    assert as_json(raj(fresh, "application", "list", REF, "cure_apply", "--today", TODAY, "--json")) == []
    table = ok(raj(fresh, "application", "list", REF, "housing_apply", "--today", TODAY)).stdout
    assert "Maison d'accueil fictive « L'Escale » (démo)" in table and "13/01/2027" in table
    assert "waitlist" not in table and "ma-demo" not in table  # words, not codes

    # the person no longer agrees for « L'Escale »: its request waiting in the outbox is cancelled at once
    consents = as_json(raj(fresh, "consent", "list", REF, "--today", TODAY, "--json"))["consents"]
    escale = next(c["id"] for c in consents if c["partner"] == "ma-escale-demo")
    ok(raj(fresh, "consent", "withdraw", REF, str(escale), "--reason", "Préfère une autre maison", "--today", TODAY,
           "--json"))
    cancelled = as_json(raj(fresh, "outbox", "--status", "cancelled", "--json"))
    assert [(r["recipient"], r["kind"], r["status"]) for r in cancelled] == [("ma-escale-demo", "request",
                                                                             "cancelled")]
    assert "annul" in ok(raj(fresh, "outbox", "--status", "cancelled")).stdout.lower()
    still = as_json(raj(fresh, "application", "list", REF, "housing_apply", "--today", TODAY, "--json"))
    assert next(a for a in still if a["partner"] == "ma-escale-demo")["consent"] is False


BAD = [
    ("unknown-purpose", ["consent", "grant", REF, "--partner-type", "maison_accueil", "--purpose", "shopping"],
     ["--purpose", "« shopping »"]),
    ("partner-and-type", ["consent", "grant", REF, "--partner", "ma-demo", "--partner-type", "maison_accueil",
                          "--purpose", "housing"], ["--partner", "l'un des deux"]),
    ("malformed-date", ["consent", "grant", REF, "--partner", "ma-demo", "--purpose", "housing", "--date",
                        "23/11/2026"], ["--date", "AAAA-MM-JJ"]),
    ("given-in-the-future", ["consent", "grant", REF, "--partner", "ma-demo", "--purpose", "housing", "--date",
                             "2026-12-01", "--today", TODAY], ["--date"]),
    ("care-for-a-cpas", ["consent", "grant", REF, "--partner", "cpas-demo", "--purpose", "care"], ["--purpose"]),
    ("unknown-consent-id", ["consent", "withdraw", REF, "99", "--reason", "x"], ["99", "introuvable"]),
    ("apply-without-consent", ["demarche", "apply", REF, "housing_apply", "--partner", "ma-demo", "--today", TODAY],
     ["--partner", "consentement manquant", "Le Relais"]),
    ("apply-health-to-a-cpas", ["demarche", "apply", REF, "cure_apply", "--partner", "cpas-demo"], ["--partner"]),
    ("set-not-sent", ["application", "set", REF, "housing_apply", "--partner", "ma-demo", "accepted"],
     ["--partner", "ma-demo"]),
    ("set-unknown-state", ["application", "set", REF, "housing_apply", "--partner", "ma-demo", "maybe"],
     ["STATE", "« maybe »"]),
    ("set-malformed-date", ["application", "set", REF, "housing_apply", "--partner", "ma-demo", "accepted", "--date",
                            "13/01/2027"], ["--date", "AAAA-MM-JJ"]),
]


@pytest.mark.parametrize("args, fragments", [pytest.param(a, f, id=i) for i, a, f in BAD])
def test_bad_input_is_refused_and_changes_nothing(fresh, args, fragments):
    before = dump(fresh)
    assert_refused(raj(fresh, *args), *fragments)
    assert dump(fresh) == before


def test_a_refusal_after_a_grant_changes_nothing_either(fresh):
    """The same refusals on a database with consents and an application in it."""
    ok(raj(fresh, "consent", "grant", REF, "--partner", "ma-demo", "--purpose", "housing", "--today", TODAY))
    ok(raj(fresh, "demarche", "apply", REF, "housing_apply", "--partner", "ma-demo", "--today", TODAY))
    before = dump(fresh)
    assert_refused(raj(fresh, "demarche", "apply", REF, "housing_apply", "--partner", "ma-escale-demo", "--today",
                       TODAY), "--partner", "consentement manquant")
    assert_refused(raj(fresh, "demarche", "apply", REF, "housing_apply", "--partner", "ma-demo", "--today", TODAY),
                   "--partner")  # already sent and live
    assert_refused(raj(fresh, "application", "set", REF, "housing_apply", "--partner", "ma-demo", "refused",
                       "--today", TODAY), "--reason")  # a refusal needs its reason
    assert_refused(raj(fresh, "consent", "withdraw", REF, "1", "--reason", "x", "--date", "2026-12-01", "--today",
                       TODAY), "--date")  # not said yet
    assert dump(fresh) == before
