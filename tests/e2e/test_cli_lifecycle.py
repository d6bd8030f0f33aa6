"""`raj person add|edit|transfer|stage|close|reopen` through a real subprocess on a SQLite file: the normal
path prints what the change did (labels, DD/MM/YYYY); bad input is one line on stderr, exit 2, and the
database's SQL dump unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import as_json, assert_refused, copy_db, dump, ok, raj

TODAY = "2027-01-04"
REF = "LC-1"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    db = tmp_path_factory.mktemp("lifecycle") / "raj.db"
    ok(raj(db, "init"))
    for wid, role in (("as.a", "as"), ("psy.a", "psy"), ("as.b", "as"), ("coord", "coordinator")):
        ok(raj(db, "worker", "add", wid, "--name", wid.upper(), "--role", role))
    ok(raj(db, "person", "add", REF, "--prison", "haren", "--as", "as.a", "--psy", "psy.a", "--needs",
           "housing,income", "--hearing", "2027-09-01", "--today", TODAY))
    ok(raj(db, "person", "add", "REQ-1", "--origin", "outside", "--stage", "request", "--source", "family",
           "--as", "as.a", "--psy", "psy.a", "--today", TODAY))
    return db


@pytest.fixture
def fresh(base, tmp_path) -> Path:
    return copy_db(base, tmp_path / "copy")


def test_a_request_from_outside_then_followed_with_its_plan(fresh):
    plan = as_json(raj(fresh, "plan", "REQ-1", "--today", TODAY, "--json"))
    p = plan["person"]
    assert (p["stage"], p["origin"], p["source"], p["prison"], p["planned"]) == (
        "request", "outside", "family", None, False)
    assert plan["demarches"] == []
    v = as_json(raj(fresh, "person", "stage", "REQ-1", "followed", "--date", "2027-01-12", "--today", TODAY, "--json"))
    assert v["person"]["followed_on"] == "2027-01-12" and v["demarches"] and v["added"]


def test_edit_prints_what_no_longer_applies_with_labels_and_dates(fresh):
    r = ok(raj(fresh, "person", "edit", REF, "--needs", "housing", "--today", TODAY))
    assert "Ne s'applique plus" in r.stdout and "Introduire la demande RIS" in r.stdout
    assert "/2027" in r.stdout and "ris_request" not in r.stdout
    v = as_json(raj(fresh, "person", "edit", REF, "--needs", "housing,income", "--today", TODAY, "--json"))
    assert v["applies_again"]


def test_transfer_hand_over_close_and_reopen(fresh):
    r = ok(raj(fresh, "person", "transfer", REF, "--prison", "saint-gilles", "--date", "2027-01-10", "--today", TODAY))
    assert "CPAS compétent" in r.stdout and "Saint-Gilles" in r.stdout
    v = as_json(raj(fresh, "person", "edit", REF, "--as", "as.b", "--reason", "congé", "--today", TODAY, "--json"))
    assert v["person"]["as"] == "as.b"
    r = ok(raj(fresh, "person", "close", REF, "--reason", "handed-over", "--to-service", "Service fictif",
               "--today", TODAY))
    assert "Clôturées avec le dossier" in r.stdout
    v = as_json(raj(fresh, "plan", REF, "--today", TODAY, "--json"))
    assert v["person"]["stage"] == "closed" and all(d["status"] != "planned" for d in v["demarches"])
    v = as_json(raj(fresh, "person", "reopen", REF, "--reason", "retour", "--today", TODAY, "--json"))
    assert v["person"]["stage"] == "followed" and v["reopened"]


@pytest.mark.parametrize("args, fragments", [
    (("person", "add", "X-1", "--origin", "outside", "--prison", "haren", "--as", "as.a", "--psy", "psy.a"),
     ("--prison", "hors établissement")),
    (("person", "add", "X-1", "--as", "as.a", "--psy", "psy.a"), ("--prison",)),
    (("person", "add", "X-1", "--prison", "haren", "--as", "as.a", "--psy", "psy.a", "--stage", "closed"),
     ("--stage",)),
    (("person", "transfer", REF, "--prison", "nowhere", "--date", "2027-01-10"), ("--prison", "nowhere")),
    (("person", "transfer", REF, "--prison", "haren", "--date", "2027-01-10"), ("--prison", "déjà")),
    (("person", "edit", REF, "--needs", "flying"), ("--needs", "flying")),
    (("person", "edit", REF, "--as", "psy.a", "--reason", "x"), ("--as", "psy")),
    (("person", "edit", REF, "--psy", "coord", "--reason", "x"), ("--psy", "coordinateur·ice")),
    (("person", "edit", REF, "--as", "as.b"), ("--reason",)),
    (("person", "stage", REF, "first-meetings"), ("STAGE", "ne peut pas revenir")),
    (("person", "stage", REF, "closed"), ("STAGE", "Clôturer")),
    (("person", "close", REF, "--reason", "handed-over"), ("--to-service",)),
    (("person", "close", "REQ-1", "--reason", "not-met"), ("--why",)),
    (("person", "close", REF, "--reason", "gone"), ("--reason", "gone")),
    (("person", "reopen", REF, "--reason", "x"), ("pas clôturé",)),
])
def test_bad_input_is_one_line_and_changes_nothing(fresh, args, fragments):
    before = dump(fresh)
    assert_refused(raj(fresh, *args, "--today", TODAY), *fragments)
    assert dump(fresh) == before


def test_closing_a_closed_file_is_refused(fresh):
    ok(raj(fresh, "person", "close", REF, "--reason", "finished", "--today", TODAY))
    before = dump(fresh)
    assert_refused(raj(fresh, "person", "close", REF, "--reason", "finished", "--today", TODAY), "clôturé")
    assert dump(fresh) == before
