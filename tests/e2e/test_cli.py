"""The `raj` command through a real subprocess, on a SQLite file.

One initialised database is built per module (init, two workers, a person, a hearing); tests that change
anything work on a copy of its file. Every refused input is checked the same way: exit code 2, exactly one
non-empty line on stderr naming the mistake, no traceback, nothing on stdout, and the database file's full
SQL dump identical before and after.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from raj_release.settings import PROJECT_ROOT
from tests.e2e.cli import as_json, assert_refused, copy_db, dump, ok, query, raj

CONFIG_DIR = PROJECT_ROOT / "config"
TODAY = "2026-11-23"
REF = "AF-2026-014"
HEARING = "2027-06-15"

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------------------------------------------------
# running the command


# ---------------------------------------------------------------------------------------------------------
# the module's database


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """An initialised database with a binôme, one person and a TAP hearing; the outputs of each step."""
    db = tmp_path_factory.mktemp("base") / "raj.db"
    out = {"db": db}
    out["init"] = ok(raj(db, "init"))
    out["as"] = as_json(raj(db, "worker", "add", "as.dupont", "--name", "Amélie Dupont", "--role", "as",
                            "--lang", "fr", "--json"))
    out["psy"] = as_json(raj(db, "worker", "add", "psy.lambert", "--name", "Chloé Lambert", "--role", "psy",
                             "--json"))
    out["person"] = as_json(raj(db, "person", "add", REF, "--prison", "haren", "--as", "as.dupont", "--psy",
                                "psy.lambert", "--needs", "housing,cure,income", "--modality", "lc",
                                "--today", TODAY, "--json", actor="as.dupont"))
    out["hearing"] = as_json(raj(db, "milestone", "set", REF, "tap_hearing", HEARING, "--certainty", "expected",
                                 "--today", TODAY, "--json", actor="as.dupont"))
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0
    return out


@pytest.fixture
def fresh(base, tmp_path) -> Path:
    """A private copy of the module's database file."""
    return copy_db(base["db"], tmp_path / "copy")


# ---------------------------------------------------------------------------------------------------------
# the normal path


def test_init_workers_person_and_hearing(base):
    db = base["db"]
    assert "Base de données prête" in base["init"].stdout
    assert base["as"] == {"id": "as.dupont", "name": "Amélie Dupont", "role": "as", "language": "fr",
                          "organisation": "ambulatoire-forest", "channels": 0, "contact": None}
    assert base["psy"]["role"] == "psy"
    p = base["person"]
    assert p["person"]["ref"] == REF and p["person"]["version"] == 1 and p["mode"] == "full"
    assert p["as_of"] == TODAY  # --today is the date of the plan
    assert [(x["kind"], x["date"]) for x in p["milestones"]] == [("intake", TODAY)]  # and the intake date
    assert sorted(p["person"]["needs"]) == ["cure", "housing", "income"]
    h = base["hearing"]
    assert h["as_of"] == TODAY and h["person"]["version"] == 2
    assert {x["kind"]: x["certainty"] for x in h["milestones"]} == {"intake": "confirmed", "tap_hearing": "expected"}
    assert h["changes"] and all(c["old_due"] is None and c["new_due"] for c in h["changes"])
    assert {d["key"] for d in h["demarches"]} >= {"intake_fiche", "housing_apply", "cure_apply", "ris_request"}
    # the database holds the same, and the audit trail names the actor given by RAJ_ACTOR
    assert query(db, "SELECT ref, prison, as_id, psy_id, version FROM person") == [
        (REF, "haren", "as.dupont", "psy.lambert", 2)]
    assert query(db, "SELECT count(*) FROM demarche") == [(len(h["demarches"]),)]
    actors = dict(query(db, "SELECT action, actor FROM audit_event WHERE action IN "
                            "('person.registered', 'milestone.set')"))
    assert actors == {"person.registered": "as.dupont", "milestone.set": "as.dupont"}


def test_init_again_changes_nothing(fresh):
    before = dump(fresh)
    r = ok(raj(fresh, "init"))
    assert "ambulatoire-forest" in r.stdout
    assert dump(fresh) == before


DEMARCHE_FIELDS = {"key": str, "label": str, "status": str, "compressed": bool, "pinned": bool, "depends_on": list,
                   "responsible": str, "pillar": str}


def test_plan_json(base):
    db = base["db"]
    before = dump(db)
    plan = as_json(raj(db, "plan", REF, "--json", "--today", "2027-02-01"))
    assert dump(db) == before  # showing a plan writes nothing
    assert {"person", "at_risk", "milestones", "demarches"} <= set(plan)
    assert plan["person"]["ref"] == REF and isinstance(plan["at_risk"], bool)
    assert plan["as_of"] == "2027-02-01"
    assert {m["kind"] for m in plan["milestones"]} == {"intake", "tap_hearing"}
    assert plan["demarches"]
    keys = {d["key"] for d in plan["demarches"]}
    for d in plan["demarches"]:
        for name, typ in DEMARCHE_FIELDS.items():
            assert isinstance(d[name], typ), (d["key"], name, d[name])
        assert "partner_type" in d and (d["partner_type"] is None or isinstance(d["partner_type"], str))
        due, start = dt.date.fromisoformat(d["due"]), dt.date.fromisoformat(d["start"])
        assert d["due"] == due.isoformat() and start <= due
        assert d["status"] == "planned" and not d["pinned"]
        assert set(d["depends_on"]) <= keys | {"training_enrol", "jap_file"}  # a dependency outside the plan is dropped
        assert d["overdue"] == (due < dt.date(2027, 2, 1))
    by = {d["key"]: d for d in plan["demarches"]}
    assert by["cure_apply"]["responsible"] == "PSY" and by["cure_apply"]["partner_type"] == "centre_residentiel"
    assert by["cure_apply"]["pillar"] == "soins" and by["cure_apply"]["depends_on"] == ["consent_sharing"]
    assert by["exit_kit"]["partner_type"] is None
    assert [d["due"] for d in plan["demarches"]] == sorted(d["due"] for d in plan["demarches"])
    assert any(d["overdue"] for d in plan["demarches"])
    # the same plan as the milestone command returned, apart from the day it is looked at
    assert {d["key"]: d["due"] for d in plan["demarches"]} == {d["key"]: d["due"] for d in base["hearing"]["demarches"]}


def test_overdue_json(base):
    db = base["db"]
    before = dump(db)
    assert as_json(raj(db, "overdue", "--json", "--today", TODAY)) == []  # nothing late on the day of planning
    rows = as_json(raj(db, "overdue", "--json", "--today", "2027-03-01"))
    assert dump(db) == before
    assert isinstance(rows, list) and len(rows) >= 3
    plan = {d["key"]: d for d in base["hearing"]["demarches"]}
    assert {r["key"] for r in rows} == {k for k, d in plan.items() if d["due"] < "2027-03-01"}
    for r in rows:
        assert {"person", "key", "due", "days_overdue", "working_days_overdue", "status", "as", "psy",
                "prison"} <= set(r)
        assert r["person"] == REF and r["due"] == plan[r["key"]]["due"]
        assert r["days_overdue"] == (dt.date(2027, 3, 1) - dt.date.fromisoformat(r["due"])).days > 0
        assert 0 < r["working_days_overdue"] <= r["days_overdue"]
        assert r["late_working_days"] == r["working_days_overdue"]  # the unit of lateness, by its new name
    assert [(r["due"], r["key"]) for r in rows] == sorted((r["due"], r["key"]) for r in rows)
    assert as_json(raj(db, "overdue", "--json", "--today", "2027-03-01", "--prison", "saint-gilles")) == []
    table = ok(raj(db, "overdue", "--today", "2027-03-01")).stdout
    assert "jours ouvrables" in " ".join(table.split())  # one unit, labelled (the header may wrap)


def test_person_list_json(base):
    listed = as_json(raj(base["db"], "person", "list", "--json", "--today", "2027-03-01"))
    rows = listed["rows"]
    assert len(rows) == 1 and rows[0]["ref"] == REF and listed["total"] == 1
    plan = base["hearing"]["demarches"]
    assert rows[0]["open"] == len(plan)
    assert rows[0]["overdue"] == sum(d["due"] < "2027-03-01" for d in plan)
    assert rows[0]["next_due"] == min(d["due"] for d in plan if d["due"])  # the earliest open one, overdue or not


def test_demarche_set_pin_unpin_and_replan(fresh):
    db = fresh
    v = as_json(raj(db, "demarche", "set", REF, "intake_fiche", "completed", "--today", TODAY, "--json",
                    actor="as.dupont"))
    assert v["key"] == "intake_fiche" and v["status"] == "completed"
    v = as_json(raj(db, "demarche", "set", REF, "housing_longterm", "cancelled", "--reason",
                    "hébergé par sa sœur", "--today", TODAY, "--json"))
    assert (v["status"], v["reason"]) == ("cancelled", "hébergé par sa sœur")
    # --today on `demarche set`: the same démarche seen from later is overdue
    v = as_json(raj(db, "demarche", "set", REF, "eid_check", "in-progress", "--today", "2027-03-01", "--json"))
    assert v["status"] == "in-progress" and v["overdue"] is True
    plan = as_json(raj(db, "demarche", "pin", REF, "cure_apply", "2027-01-15", "--reason", "place libre",
                       "--today", TODAY, "--json"))
    assert plan["as_of"] == TODAY
    by = {d["key"]: d for d in plan["demarches"]}
    assert (by["cure_apply"]["due"], by["cure_apply"]["pinned"]) == ("2027-01-15", True)
    assert by["consent_sharing"]["due"] <= by["cure_apply"]["start"]  # its prerequisite moved before it
    assert "consent_sharing" in {c["key"] for c in plan["changes"]}
    plan = as_json(raj(db, "milestone", "set", REF, "tap_hearing", "2027-08-17", "--reason",
                       "remise: plan à compléter", "--today", TODAY, "--json", actor="psy.lambert"))
    by2 = {d["key"]: d for d in plan["demarches"]}
    assert by2["cure_apply"]["due"] == "2027-01-15"  # pinned: stays
    assert by2["intake_fiche"]["due"] == by["intake_fiche"]["due"]  # completed: stays
    assert by2["housing_longterm"]["due"] == by["housing_longterm"]["due"]  # cancelled: stays
    assert by2["tap_attest"]["due"] > by["tap_attest"]["due"]
    assert {c["key"] for c in plan["changes"]} >= {"tap_attest", "tap_file", "housing_apply"}
    plan = as_json(raj(db, "demarche", "unpin", REF, "cure_apply", "--today", TODAY, "--json"))
    assert plan["as_of"] == TODAY
    cure = {d["key"]: d for d in plan["demarches"]}["cure_apply"]
    assert not cure["pinned"] and cure["due"] > "2027-01-15"
    # what the database holds
    assert query(db, "SELECT key, status, reason, pinned FROM demarche WHERE key IN "
                     "('intake_fiche', 'housing_longterm', 'eid_check', 'cure_apply') ORDER BY key") == [
        ("cure_apply", "planned", None, 0), ("eid_check", "in-progress", None, 0),
        ("housing_longterm", "cancelled", "hébergé par sa sœur", 0), ("intake_fiche", "completed", None, 0)]
    assert query(db, "SELECT version FROM person") == [(8,)]
    ms = query(db, "SELECT actor, reason, old, new FROM audit_event WHERE action = 'milestone.set' "
                   "ORDER BY id DESC LIMIT 1")[0]
    assert ms[:2] == ("psy.lambert", "remise: plan à compléter")
    assert json.loads(ms[2])["date"] == HEARING and json.loads(ms[3])["date"] == "2027-08-17"
    assert query(db, "SELECT count(*) FROM audit_event WHERE action = 'demarche.status'") == [(3,)]


def test_person_add_human_output_and_demo(fresh):
    r = ok(raj(fresh, "person", "add", "AF-2026-015", "--prison", "saint-gilles", "--as", "as.dupont", "--psy",
               "psy.lambert", "--situation", "prevenu", "--today", TODAY))
    assert "Plan de reclassement de AF-2026-015" in r.stdout and "kit minimum" in r.stdout
    r = ok(raj(fresh, "demo", "--today", "2027-03-01"))
    assert "12 personnes fictives" in r.stdout
    intakes = query(fresh, "SELECT p.ref, m.date FROM milestone m JOIN person p ON p.id = m.person_id "
                           "WHERE m.kind = 'intake' AND p.ref LIKE 'DEMO-%'")
    assert len(intakes) == 12 and all(d <= "2027-03-01" for _, d in intakes)
    assert max(d for _, d in intakes) == "2027-02-24"  # DEMO-10 registered 5 days before --today
    # the demo's accounts get passwords printed once, and they open the workspace
    accounts = as_json(raj(fresh, "demo-accounts", "--json"))
    assert {a["id"] for a in accounts} == {"as.dupont", "as.peeters", "psy.lambert", "psy.janssens", "coord.martin"}
    assert len({a["password"] for a in accounts}) == 5 and all(len(a["password"]) >= 12 for a in accounts)
    from raj_release.services.auth import authenticate
    from raj_release.services.context import open_context

    ctx = open_context(database_url=f"sqlite:///{fresh}")
    try:
        first = accounts[0]
        assert authenticate(ctx, first["id"], first["password"], client="127.0.0.1").id == first["id"]
    finally:
        ctx.db.dispose()
    again = ok(raj(fresh, "demo-accounts"))
    assert "cette seule fois" in again.stdout and first["password"] not in again.stdout  # new ones each time


def test_raj_today_is_the_default_day_of_the_command_line(base):
    db = base["db"]
    plan = as_json(raj(db, "plan", REF, "--json", env_extra={"RAJ_TODAY": "2027-02-01"}))
    assert plan["as_of"] == "2027-02-01"
    assert_refused(raj(db, "plan", REF, env_extra={"RAJ_TODAY": "demain"}), "RAJ_TODAY", "demain")
    assert_refused(raj(db, "web", "--today", "2027-02-30"), "--today", "2027-02-30")


# ---------------------------------------------------------------------------------------------------------
# every bad input: exit 2, one line, nothing changed

BAD_INPUTS = [
    ("date-far-future", ["milestone", "set", REF, "tap_hearing", "9999-12-31"], ["DATE", "31/12/9999", "hors des dates acceptées"]),
    ("date-year-one", ["milestone", "set", REF, "tap_hearing", "0001-01-10"], ["DATE", "hors des dates acceptées", "01/01/1990"]),
    ("partner-of-another-type", ["demarche", "set", REF, "eid_check", "on-hold", "--partner", "cpas-demo"],
     ["--partner", "« CPAS fictif de Saint-Gilles (démo) » est de type CPAS", "de type commune"]),
    ("deactivate-nobody", ["worker", "deactivate", "nobody"], ["ID", "« nobody » introuvable", "raj worker list"]),
    ("logout-nobody", ["user", "logout-everywhere", "nobody"], ["ID", "« nobody » introuvable"]),
    ("date-impossible-DATE", ["milestone", "set", REF, "tap_hearing", "2027-02-30"], ["DATE", "2027-02-30"]),
    ("date-impossible-today", ["milestone", "set", REF, "tap_hearing", "2027-08-17", "--today", "2027-02-30"],
     ["--today", "2027-02-30"]),
    ("date-impossible-earliest", ["milestone", "set", REF, "tap_hearing", "2027-08-17", "--earliest",
                                  "2027-02-30", "--certainty", "expected", "--today", TODAY],
     ["--earliest", "2027-02-30"]),
    ("date-impossible-pin", ["demarche", "pin", REF, "cure_apply", "2027-02-30", "--today", TODAY],
     ["DATE", "2027-02-30"]),
    ("date-malformed", ["milestone", "set", REF, "tap_hearing", "20-01-2027", "--today", TODAY],
     ["DATE", "20-01-2027", "AAAA-MM-JJ"]),
    ("date-malformed-today", ["overdue", "--today", "20-01-2027"], ["--today", "20-01-2027"]),
    ("unknown-person-milestone", ["milestone", "set", "AF-0000", "tap_hearing", "2027-08-17", "--today", TODAY],
     ["AF-0000", "introuvable", "raj person list"]),
    ("unknown-demarche", ["demarche", "set", REF, "intake_fish", "completed"], ["démarche inconnue", "intake_fish"]),
    ("demarche-not-in-plan", ["demarche", "set", REF, "training_enrol", "completed"],
     ["KEY", "n'est pas dans le plan", REF]),
    ("unknown-status", ["demarche", "set", REF, "intake_fiche", "done"], ["« done »", "completed"]),
    ("unknown-milestone-kind", ["milestone", "set", REF, "hearing", "2027-08-17"],
     ["milestone kind", "« hearing »"]),
    ("window-earliest-after-latest", ["milestone", "set", REF, "tap_hearing", "2027-06-15", "--earliest",
                                      "2027-06-20", "--latest", "2027-06-10", "--certainty", "expected",
                                      "--today", TODAY], ["au plus tôt le 20/06/2027", "après au plus tard le 10/06/2027"]),
    ("unknown-prison", ["person", "add", "AF-2026-099", "--prison", "alcatraz", "--as", "as.dupont", "--psy",
                        "psy.lambert", "--today", TODAY], ["--prison", "alcatraz"]),
    ("unknown-need", ["person", "add", "AF-2026-099", "--prison", "haren", "--as", "as.dupont", "--psy",
                      "psy.lambert", "--needs", "housing,money", "--today", TODAY], ["--needs", "« money »"]),
    ("duplicate-person", ["person", "add", REF, "--prison", "haren", "--as", "as.dupont", "--psy", "psy.lambert",
                          "--today", TODAY], [REF, "existe déjà"]),
    ("cancelled-without-reason", ["demarche", "set", REF, "housing_longterm", "cancelled"], ["--reason", "« sans objet » demande un motif", "(--reason TEXT)"]),
    ("pin-on-a-holiday", ["demarche", "pin", REF, "cure_apply", "2027-07-21", "--today", TODAY],
     ["21/07/2027", "pas un jour ouvrable", "Fête nationale"]),
]


@pytest.mark.parametrize("args, fragments", [pytest.param(a, f, id=i) for i, a, f in BAD_INPUTS])
def test_bad_input_is_refused_and_changes_nothing(fresh, args, fragments):
    before = dump(fresh)
    result = raj(fresh, *args)
    assert_refused(result, *fragments)
    assert dump(fresh) == before


# typer 0.29 vendors click as typer._click: cli.main() must catch that copy's usage errors too.
def test_missing_required_option_is_one_line_exit_2(fresh):
    before = dump(fresh)
    result = raj(fresh, "person", "add", "AF-2026-099", "--prison", "haren", "--as", "as.dupont")
    assert dump(fresh) == before
    assert_refused(result, "psy")


def test_unknown_option_is_one_line_exit_2(fresh):
    before = dump(fresh)
    result = raj(fresh, "plan", REF, "--today", TODAY, "--bogus")
    assert dump(fresh) == before
    assert_refused(result, "--bogus")


# ---------------------------------------------------------------------------------------------------------
# a broken configuration folder


def _break(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


BROKEN_CONFIGS = [
    ("bad-yaml", "offset: -150  # signed whole number of days", "offset: [-150  # unclosed",
     ["demarches.yaml", "line {after}", "n'est pas du YAML valable"]),  # the line after the broken one
    ("unknown-depends-on", "depends_on: [intake_fiche]", "depends_on: [intake_fishe]",
     ["demarches.yaml", "consent_sharing", "depends_on", "unknown démarche 'intake_fishe'"]),
    ("dependency-cycle", "depends_on: []", "depends_on: [consent_sharing]",
     ["demarches.yaml", "depends_on", "dependency cycle", "intake_fiche -> consent_sharing -> intake_fiche"]),
    ("bad-offset", "offset: -150  # signed whole number of days", 'offset: "-150d"',
     ["demarches.yaml", "intake_fiche", "offset", "-150d"]),
]


@pytest.mark.parametrize("old, new, fragments", [pytest.param(o, n, f, id=i) for i, o, n, f in BROKEN_CONFIGS])
def test_broken_config_is_refused_and_changes_nothing(fresh, tmp_path, old, new, fragments):
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    lines = (config / "demarches.yaml").read_text(encoding="utf-8").splitlines()
    after = next(i for i, text in enumerate(lines, start=1) if old in text) + 1
    fragments = [f.format(after=after) for f in fragments]
    _break(config / "demarches.yaml", old, new)
    before = dump(fresh)
    result = raj(fresh, "milestone", "set", REF, "tap_hearing", "2027-08-17", "--today", TODAY,
                 config_dir=config)
    line = assert_refused(result, *fragments)
    assert str(config / "demarches.yaml") in line  # the file is named with its path
    assert dump(fresh) == before


def test_intact_config_copy_works(fresh, tmp_path):
    """The control case of the test above: the copied folder itself is fine."""
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    plan = as_json(raj(fresh, "plan", REF, "--today", TODAY, "--json", config_dir=config))
    assert plan["person"]["ref"] == REF


# ---------------------------------------------------------------------------------------------------------
# a database that was never initialised


def test_command_on_a_database_never_initialised(tmp_path):
    db = tmp_path / "never" / "raj.db"
    result = raj(db, "worker", "add", "as.dupont", "--name", "Amélie Dupont", "--role", "as", cwd=tmp_path)
    assert_refused(result, "n'est pas initialisée", "raj init")
    # no schema, no row: at most an empty file was opened
    assert dump(db) in (None, ["BEGIN TRANSACTION;", "COMMIT;"])


def test_init_with_a_bad_organisation_code_creates_nothing(tmp_path):
    db = tmp_path / "raj.db"
    assert_refused(raj(db, "init", "--org", "Bad Code"), "--org", "« Bad Code »")
    assert dump(db) is None  # not even an empty schema


# ---------------------------------------------------------------------------------------------------------
# accounts, tokens and calendar feeds from the command line


def test_password_token_and_feed_commands(fresh):
    from icalendar import Calendar

    ok(raj(fresh, "user", "set-password", "as.dupont", "--password-stdin", stdin="une phrase assez longue\n"))
    [(stored,)] = query(fresh, "SELECT password_hash FROM worker WHERE id = 'as.dupont'")
    assert stored.startswith("$argon2id$")
    assert_refused(raj(fresh, "user", "set-password", "as.dupont", "--password-stdin", stdin="court\n"),
                   "Mot de passe", "au moins 12 caractères")
    token = as_json(raj(fresh, "token", "create", "as.dupont", "--name", "tableur", "--json"))
    assert token["token"].startswith("raj_")
    assert [t["name"] for t in as_json(raj(fresh, "token", "list", "as.dupont", "--json"))] == ["tableur"]
    ok(raj(fresh, "token", "revoke", "as.dupont", "--name", "tableur"))
    feed = as_json(raj(fresh, "feed", "create", "as.dupont", "--json"))
    assert feed["path"].endswith(".ics") and feed["events_path"] == feed["path"].replace(".ics", ".events.ics")
    tasks = Calendar.from_ical(ok(raj(fresh, "feed", "show", "as.dupont")).stdout)
    events = Calendar.from_ical(ok(raj(fresh, "feed", "show", "as.dupont", "--events")).stdout)
    uids = {str(t["UID"]) for t in tasks.walk("VTODO")}
    assert uids and uids == {str(e["UID"]) for e in events.walk("VEVENT")}
    ok(raj(fresh, "feed", "revoke", "as.dupont"))
    assert_refused(raj(fresh, "feed", "show", "nobody"), "nobody")
