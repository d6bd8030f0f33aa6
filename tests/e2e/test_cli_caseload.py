"""`raj person list` (the file active) and `raj caseload` through a real subprocess, on a SQLite file: filters,
sort, JSON, tables, and bad input refused in one line with the database left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import as_json, assert_refused, dump, ok, raj

TODAY = "2026-11-23"
LATER = "2027-01-20"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("caseload") / "raj.db"
    ok(raj(db, "init"))
    for wid, name, role in (("as.dupont", "Amélie Dupont", "as"), ("psy.lambert", "Chloé Lambert", "psy"),
                            ("as.martin", "Jules Martin", "as"), ("psy.peeters", "Lien Peeters", "psy")):
        ok(raj(db, "worker", "add", wid, "--name", name, "--role", role))
    ok(raj(db, "person", "add", "AF-001", "--prison", "haren", "--as", "as.dupont", "--psy", "psy.lambert",
           "--needs", "housing", "--modality", "lc", "--hearing", "2026-12-21", "--today", TODAY))
    ok(raj(db, "person", "add", "AF-002", "--prison", "ittre", "--as", "as.martin", "--psy", "psy.peeters",
           "--situation", "prevenu", "--today", TODAY))
    return db


def test_person_list_filters_sorts_and_json(db):
    out = as_json(raj(db, "person", "list", "--json", "--today", TODAY, "--sort", "ref"))
    assert [r["ref"] for r in out["rows"]] == ["AF-001", "AF-002"] and out["total"] == 2
    assert out["counts"] == {"request": 0, "first-meetings": 0, "followed": 2, "closed": 0}
    assert out["rows"][0]["as_name"] == "Amélie Dupont" and out["rows"][0]["hearing"] == "2026-12-21"
    one = as_json(raj(db, "person", "list", "--json", "--today", TODAY, "--search", "af-002"))
    assert [r["ref"] for r in one["rows"]] == ["AF-002"]
    assert [r["ref"] for r in as_json(raj(db, "person", "list", "--json", "--today", TODAY, "--hearing-within",
                                          "30"))["rows"]] == ["AF-001"]
    assert as_json(raj(db, "person", "list", "--json", "--today", TODAY, "--overdue"))["total"] == 0
    late = as_json(raj(db, "person", "list", "--json", "--today", LATER, "--overdue", "--sort", "overdue"))
    assert late["total"] >= 1 and all(r["overdue"] > 0 for r in late["rows"])
    assert as_json(raj(db, "person", "list", "--json", "--prison", "ittre", "--stage", "followed"))["total"] == 1
    assert as_json(raj(db, "person", "list", "--json", "--closed"))["total"] == 2
    table = ok(raj(db, "person", "list", "--today", TODAY)).stdout
    assert "AF-001" in table and "Amélie Dupont" in table and "21/12/2026" in table and "prise en charge" in table


def test_caseload(db):
    rows = as_json(raj(db, "caseload", "--json", "--today", LATER))
    assert {r["worker"] for r in rows} == {"as.dupont", "psy.lambert", "as.martin", "psy.peeters"}
    assert all(r["open_files"] == 1 for r in rows)
    assert as_json(raj(db, "caseload", "--json", "--organisation", "ambulatoire-forest")) != []
    table = ok(raj(db, "caseload", "--today", LATER)).stdout
    assert "Jules Martin" in table and "ambulatoire-forest" in table


@pytest.mark.parametrize("args, fragments", [
    (("person", "list", "--stage", "ongoing"), ("--stage", "ongoing")),
    (("person", "list", "--hearing-within", "-1"), ("--hearing-within", "-1")),
    (("person", "list", "--sort", "name"), ("--sort", "name")),
    (("person", "list", "--prison", "alcatraz"), ("--prison", "alcatraz")),
    (("person", "list", "--organisation", "nope"), ("--organisation", "nope")),
    (("caseload", "--organisation", "nope"), ("--organisation", "nope")),
])
def test_bad_input_is_one_line_and_changes_nothing(db, args, fragments):
    before = dump(db)
    assert_refused(raj(db, *args), *fragments)
    assert dump(db) == before
