"""The history in words (raj_release/domain/history.py): each audit action the services write becomes a
sentence in French and in Dutch, with names and labels instead of ids and codes, and DD/MM/YYYY dates."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest

from raj_release.domain.history import Names, actor_name, event_line, local_day, sentence
from raj_release.services.history import SHOWN

NAMES = Names(workers={"as.dupont": "Amélie Dupont", "as.peeters": "Bram Peeters", "psy.lambert": "Chloé Lambert"},
              demarches={"eid_check": "Vérifier eID"}, partners={"cpas-demo": "CPAS de Saint-Gilles",
                                                                        "ma-x": "Le Relais"},
              prisons={"ittre": "Prison d'Ittre"}, purposes={"housing": "Logement"})
AT = dt.datetime(2026, 9, 12, 8, 30, tzinfo=dt.UTC)
SERVICES = Path(__file__).resolve().parents[2] / "raj_release" / "services"
ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def line(action, old=None, new=None, lang="fr", what="Vérifier eID", reason=None, actor="as.dupont"):
    return event_line(action, old, new, at=AT, lang=lang, who=actor_name(actor, NAMES, lang), what=what,
                      reason=reason, names=NAMES)


def test_the_issues_example():
    assert line("demarche.status", {"status": "planned"}, {"status": "completed"}) == \
        "Amélie Dupont a marqué « Vérifier eID » comme faite — 12/09/2026"
    assert line("demarche.status", {"status": "planned"}, {"status": "completed"}, lang="nl") == \
        "Amélie Dupont heeft ‘Vérifier eID’ als gedaan aangeduid — 12/09/2026"


@pytest.mark.parametrize(("new", "fr"), [
    ({"status": "in-progress"}, "comme en cours"),
    ({"status": "on-hold", "partner": "cpas-demo"}, "en attente de CPAS de Saint-Gilles"),
    ({"status": "on-hold", "partner": None}, "en attente"),
    ({"status": "cancelled"}, "comme sans objet"),
    ({"status": "failed"}, "comme échouée"),
])
def test_each_status_is_a_sentence(new, fr):
    assert fr in line("demarche.status", {"status": "planned"}, new)


def test_reopening_a_finished_demarche_says_so_with_its_reason():
    text = line("demarche.status", {"status": "completed"}, {"status": "planned"}, reason="faite par erreur")
    assert text == "Amélie Dupont a rouvert « Vérifier eID » (motif : faite par erreur) — 12/09/2026"
    nl = line("demarche.status", {"status": "completed"}, {"status": "planned"}, reason="vergissing", lang="nl")
    assert nl == "Amélie Dupont heeft ‘Vérifier eID’ heropend (reden: vergissing) — 12/09/2026"


def test_dates_of_a_pin_a_move_and_a_key_date_are_dd_mm_yyyy():
    assert line("demarche.pinned", {"due": "2026-10-01"}, {"due": "2026-11-06", "pinned": True}) == \
        "Amélie Dupont a épinglé « Vérifier eID » au 06/11/2026 — 12/09/2026"
    # a move the replanning made: no actor, no reason (the change that caused it has them)
    assert line("demarche.moved", {"due": "2026-11-06"}, {"due": "2026-12-11"}, reason="tap_hearing set to 2027-06-15") \
        == "« Vérifier eID » replanifiée du 06/11/2026 au 11/12/2026 — 12/09/2026"
    hearing = line("milestone.set", {"date": "2027-04-20", "certainty": "confirmed"},
                   {"date": "2027-06-15", "certainty": "expected"}, what="audience TAP", reason="remise")
    assert hearing == ("Amélie Dupont a déplacé « audience TAP » du 20/04/2027 au 15/06/2027 (attendue) "
                       "(motif : remise) — 12/09/2026")
    assert "vastgelegd op 15/06/2027" in line("milestone.set", None, {"date": "2027-06-15"}, lang="nl",
                                              what="zitting SURB")


def test_the_files_life_names_people_places_and_labels():
    handed = line("person.handed_over", {"as": "as.dupont"}, {"as": "as.peeters"}, what="", reason="congé")
    assert handed == "Amélie Dupont a passé le dossier : AS Amélie Dupont → Bram Peeters (motif : congé) — 12/09/2026"
    moved = line("person.transferred", {"prison": "haren"}, {"prison": "ittre", "since": "2026-12-01"}, what="")
    assert "vers Prison d'Ittre le 01/12/2026" in moved
    edited = line("person.edited", {"situation": "prevenu", "needs": ["housing"]},
                  {"situation": "condamne", "needs": ["housing", "income"]}, what="")
    assert "situation : prévenu → condamné; besoins : logement → logement, revenus" in edited.lower()
    staged = line("person.stage", {"stage": "request", "planned": False}, {"stage": "followed", "planned": True},
                  what="", lang="nl")
    assert "naar de fase ‘begeleiding’ gebracht" in staged
    closed = line("person.closed", {"stage": "followed"},
                  {"stage": "closed", "reason": "handed-over", "to_service": "Projet Lama"}, what="")
    assert "a clôturé le dossier : relais vers un autre service — Projet Lama" in closed
    scheduled = line("plan.scheduled", None, {"dated": {"eid_check": "2026-11-06"}, "added": {}}, what="")
    assert scheduled == "Désormais au plan : « Vérifier eID » pour le 06/11/2026 — 12/09/2026"


def test_an_unknown_action_and_an_unknown_actor_still_read_as_words():
    assert line("outbox.sent", actor="cli:alice", what="") == "Le système a modifié le dossier — 12/09/2026"
    assert line("demarche.status", {"status": "planned"}, {"status": "completed"}, actor="system").startswith(
        "Le système a marqué")
    # a broken value in the log is a dash, never an ISO date nor a crash
    assert "du — au —" in line("demarche.moved", {"due": "not a date"}, {"due": None})


def test_the_day_is_brusselss():
    assert local_day(dt.datetime(2026, 9, 12, 22, 30, tzinfo=dt.UTC)) == dt.date(2026, 9, 13)  # 00:30 in summer
    assert local_day(dt.datetime(2026, 9, 12, 22, 30)) == dt.date(2026, 9, 13)  # SQLite's naive UTC


def _audit_actions() -> set[str]:
    """Every action the services write to the audit log, read from their source."""
    found = set()
    for path in SERVICES.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "record" and len(node.args) >= 4:
                arg = node.args[3]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.add(arg.value)
                elif isinstance(arg, ast.IfExp):
                    found |= {a.value for a in (arg.body, arg.orelse) if isinstance(a, ast.Constant)}
            if isinstance(node, ast.keyword) and node.arg == "action":
                arg = node.value
                values = [arg] if isinstance(arg, ast.Constant) else \
                    [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else []
                found |= {a.value for a in values if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return found


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_every_action_of_a_persons_history_has_its_own_sentence(lang):
    actions = {a for a in _audit_actions() if a.split(".")[0] in ("person", "demarche", "milestone", "plan",
                                                                    "leave", "visit", "note", "consent",
                                                                    "application")} - {"person.read"}
    assert set(SHOWN) <= actions and len(actions) >= 20
    fallback = sentence("no.such", None, None, lang=lang, who="X")
    samples = {"old": {"status": "planned", "due": "2026-11-06", "date": "2026-11-06", "stage": "request",
                       "situation": "prevenu",
                       "kind": "cp", "start": "2026-11-20", "end": "2026-11-23", "as": "as.dupont"},
               "new": {"status": "completed", "due": "2026-12-11", "date": "2026-12-11", "stage": "followed",
                       "prison": "ittre", "since": "2026-12-01", "reason": "finished", "kind": "cp",
                       "start": "2026-11-20", "end": "2026-11-23", "day": "2026-12-03", "place": "prison",
                       "outcome": "held", "certainty": "confirmed", "dated": {}, "added": {}, "as": "as.peeters",
                       "situation": "condamne", "partner": "ma-x", "purpose": "housing", "given_on": "2026-12-01",
                       "how": "signed", "withdrawn_on": "2026-12-03", "state": "waitlist", "position": 4}}
    for action in sorted(actions):
        old = samples["old"] if action not in ("leave.added", "visit.added", "person.registered") else None
        text = sentence(action, old, samples["new"], lang=lang, who="X", what="Y", names=NAMES)
        assert text != fallback, action
        assert not ISO.search(text) and action not in text and "as.peeters" not in text, (action, text)


def test_consents_and_applications_in_words():
    """The consent register and the applications as sentences: names and labels, DD/MM/YYYY, the partner as the
    one who answered through its link."""
    given = sentence("consent.given", None, {"partner": None, "partner_type": "maison_accueil", "purpose": "housing",
                                             "given_on": "2026-12-01", "how": "oral"},
                     lang="fr", who="Amélie Dupont", names=NAMES)
    assert "Logement" in given and "01/12/2026" in given and "maison_accueil" not in given and "housing" not in given
    gone = sentence("consent.withdrawn", {"partner": "ma-x", "partner_type": None, "purpose": "housing"},
                    {"withdrawn_on": "2026-12-03"}, lang="nl", who="Amélie Dupont", names=NAMES)
    assert "Le Relais" in gone and "03/12/2026" in gone
    who = actor_name("partner:ma-x", NAMES, "fr")
    assert who == "Le Relais"
    answered = sentence("application.state", {"partner": "ma-x", "state": "sent"},
                        {"partner": "ma-x", "state": "waitlist", "position": 4}, lang="fr", who=who,
                        what="Candidature maison d'accueil", names=NAMES)
    assert "en liste d'attente" in answered and "position 4" in answered and "waitlist" not in answered
