"""`raj leave` and `raj visit` through a real subprocess, on a SQLite file: the normal path in JSON and in
tables, and bad input refused with one line, the database unchanged."""

from __future__ import annotations

import pytest

from tests.e2e.cli import as_json, assert_refused, copy_db, dump, ok, raj

TODAY = "2026-11-23"
REF = "AF-2026-301"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    db = tmp_path_factory.mktemp("base") / "raj.db"
    ok(raj(db, "init"))
    ok(raj(db, "worker", "add", "as.dupont", "--name", "Amélie Dupont", "--role", "as"))
    ok(raj(db, "worker", "add", "psy.lambert", "--name", "Chloé Lambert", "--role", "psy"))
    ok(raj(db, "person", "add", REF, "--prison", "haren", "--as", "as.dupont", "--psy", "psy.lambert", "--needs",
           "housing,income", "--hearing", "2027-06-15", "--today", TODAY))
    return db


@pytest.fixture
def fresh(base, tmp_path):
    return copy_db(base, tmp_path / "copy")


def test_leave_add_list_pin_remove(fresh):
    plan = as_json(raj(fresh, "plan", REF, "--today", TODAY, "--json"))
    leave = as_json(raj(fresh, "leave", "add", REF, "--kind", "cp", "--from", "2026-12-04", "--to", "2026-12-07",
                        "--today", TODAY, "--json", actor="as.dupont"))
    assert (leave["kind"], leave["start"], leave["end"], leave["created_by"]) == ("cp", "2026-12-04", "2026-12-07",
                                                                                  "as.dupont")
    after = as_json(raj(fresh, "plan", REF, "--today", TODAY, "--json"))
    assert [d["due"] for d in after["demarches"]] == [d["due"] for d in plan["demarches"]]  # not a release
    table = ok(raj(fresh, "leave", "list", REF, "--today", TODAY)).stdout
    assert "congé pénitentiaire" in table and "04/12/2026" in table
    pinned = as_json(raj(fresh, "leave", "pin", REF, str(leave["id"]), "eid_renew", "--today", TODAY, "--json"))
    assert next(d for d in pinned["demarches"] if d["key"] == "eid_renew")["due"] == "2026-12-07"
    gone = as_json(raj(fresh, "leave", "remove", REF, str(leave["id"]), "--json"))
    assert gone["id"] == leave["id"]
    assert as_json(raj(fresh, "leave", "list", REF, "--json")) == []


def test_visit_add_set_list(fresh):
    v = as_json(raj(fresh, "visit", "add", REF, "2026-11-20", "--place", "prison", "--outcome", "not-held",
                    "--reason", "strike", "--today", TODAY, "--json"))
    assert (v["as"], v["psy"], v["outcome"], v["reason"]) == ("as.dupont", "psy.lambert", "not-held", "strike")
    w = as_json(raj(fresh, "visit", "add", REF, "2026-11-25", "--place", "remote", "--with", "psy", "--today", TODAY,
                    "--json"))
    assert (w["as"], w["psy"], w["outcome"]) == (None, "psy.lambert", "planned")
    done = as_json(raj(fresh, "visit", "set", REF, str(w["id"]), "--outcome", "held", "--today", "2026-11-26",
                       "--json"))
    assert done["outcome"] == "held"
    rows = as_json(raj(fresh, "visit", "list", REF, "--json"))
    assert [(r["day"], r["outcome"]) for r in rows] == [("2026-11-20", "not-held"), ("2026-11-25", "held")]
    table = ok(raj(fresh, "visit", "list", REF)).stdout
    assert "grève" in table and "25/11/2026" in table


BAD = [
    ("leave-end-before-start", ["leave", "add", REF, "--kind", "cp", "--from", "2026-12-07", "--to", "2026-12-04"],
     ["--to", "avant de commencer"]),
    ("leave-unknown-kind", ["leave", "add", REF, "--kind", "holiday", "--from", "2026-12-04", "--to", "2026-12-07"],
     ["kind", "« holiday »"]),
    ("leave-bad-date", ["leave", "add", REF, "--kind", "ps", "--from", "04/12/2026", "--to", "2026-12-07"],
     ["--from", "AAAA-MM-JJ"]),
    ("leave-remove-unknown", ["leave", "remove", REF, "99"], ["sortie 99", "introuvable", "raj leave list"]),
    ("visit-reason-without-not-held", ["visit", "add", REF, "2026-11-20", "--place", "prison", "--outcome", "held",
                                       "--reason", "strike", "--today", TODAY], ["--reason", "ne va qu'avec « n'a pas eu lieu »"]),
    ("visit-not-held-without-reason", ["visit", "add", REF, "2026-11-20", "--place", "prison", "--outcome",
                                       "not-held", "--today", TODAY], ["--reason", "demande sa raison"]),
    ("visit-unknown-place", ["visit", "add", REF, "2026-11-20", "--place", "pub"], ["--place", "« pub »"]),
    ("visit-held-in-the-future", ["visit", "add", REF, "2026-12-20", "--place", "prison", "--outcome", "held",
                                  "--today", TODAY], ["--outcome", "pas encore eu lieu"]),
    ("visit-set-unknown", ["visit", "set", REF, "42", "--outcome", "held"], ["rencontre 42", "introuvable", "raj visit list"]),
    ("visit-set-planned", ["visit", "set", REF, "42", "--outcome", "planned"], ["--outcome", "« a eu lieu » ou « n'a pas eu lieu »"]),
    ("visit-unknown-person", ["visit", "list", "AF-0000"], ["AF-0000", "introuvable"]),
]


@pytest.mark.parametrize("args, fragments", [pytest.param(a, f, id=i) for i, a, f in BAD])
def test_bad_input_is_refused_and_changes_nothing(fresh, args, fragments):
    before = dump(fresh)
    assert_refused(raj(fresh, *args), *fragments)
    assert dump(fresh) == before
