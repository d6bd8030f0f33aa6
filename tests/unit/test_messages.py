"""Message rendering (raj_release/reminders/messages.py and templates/*.j2): languages, dates, sections,
"plan moved" messages, idempotency keys, and what a partner may see (need-to-know).

The engine's output (Due, Item) is built by hand; labels come from the real config/demarches.yaml.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest

from raj_release.config import load_config
from raj_release.domain.enums import Responsible, Status
from raj_release.notify.channels import as_text
from raj_release.reminders.contact import ContactCandidate, ContactDue, ContactItem
from raj_release.reminders.engine import Candidate, Due, Item
from raj_release.reminders.messages import (
    Directory,
    Message,
    Move,
    Recipient,
    build_messages,
    contact_messages,
    plan_moved_messages,
    render,
)
from raj_release.settings import PROJECT_ROOT, Settings

D = dt.date
DAY = D(2027, 2, 10)
ORG_NAME = "L'Ambulatoire-Forest"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")

_CONFIG = load_config(PROJECT_ROOT / "config")
TEMPLATES = _CONFIG.templates.by_key
PARTNER_TYPES = sorted({pt for t in _CONFIG.templates for pt in t.partner_types})


def label(key: str, lang: str) -> str:
    return TEMPLATES[key].label_in(lang)


# ---------------------------------------------------------------------------------------------------------
# a small world: persons with everything the service knows about them, workers, coordinators, partners


@dataclass(frozen=True)
class PersonFile:
    """What the binôme knows about a person (much of it must never reach a partner)."""

    id: int
    ref: str
    name: str
    needs: tuple[str, ...]
    situation: str
    modality: str
    prison: str
    hearing: D
    diagnosis: str
    offence: str


PERSON = PersonFile(101, "AF-2026-101", "Jean-Marc Dubois",
                    ("housing", "cure", "substitution", "medical", "income", "training", "debts"),
                    "prevenu", "lc", "lantin", D(2027, 6, 15), "schizophrénie paranoïde",
                    "vol avec violence")
OTHER = PersonFile(102, "AF-2026-102", "Zoë Van Acker", ("income",), "condamne", "se", "haren", D(2027, 9, 14),
                   "trouble bipolaire", "trafic de stupéfiants")
PERSONS = {p.id: p for p in (PERSON, OTHER)}

WORKERS = {
    "as.fr": Recipient("as.fr", "Amélie Dupont", "fr", "as", "02 555 01 01"),
    "psy.nl": Recipient("psy.nl", "Pieter Janssens", "nl", "psy", "pieter.janssens@example.org"),
    "as.nl": Recipient("as.nl", "Els Peeters", "nl", "as", "02 555 01 03"),
    "psy.fr": Recipient("psy.fr", "Chloé Lambert", "fr", "psy", "02 555 01 04"),
}
COORDINATORS = {"org-a": [Recipient("coord.fr", "Claire Coord", "fr"), Recipient("coord.nl", "Koen Coord", "nl")]}


def make_directory(partners: dict[str, Recipient] | None = None, identify: dict[str, str] | None = None,
                   escalate_after: int = 5, public_url: str | None = None) -> Directory:
    """A Directory as the service fills it: the partner gets the reference or the initials, and the
    responsible workers' names and contacts; the person's file is at hand but nothing else of it is passed
    on."""
    partners = partners or {}
    identify = identify or {}

    def partner_person(i: Item) -> str:
        p = PERSONS[i.candidate.person_id]
        if identify.get(i.candidate.partner_id or "", "reference") == "initials":
            return "".join(part[0].upper() + "." for part in p.name.split())
        return p.ref

    return Directory(organisation_name=lambda code: ORG_NAME if code == "org-a" else code,
                     worker=WORKERS.get, coordinators=lambda code: COORDINATORS.get(code, []),
                     partner=partners.get, label=label, partner_person=partner_person,
                     escalate_after=escalate_after, public_url=public_url)


def cand(did: int, key: str, due: D, person: PersonFile = PERSON, as_id: str = "as.fr", psy_id: str = "psy.nl",
         status: Status = Status.PLANNED, partner_id: str | None = None, **kw) -> Candidate:
    return Candidate(did, person.id, person.ref, "org-a", key, due, status,
                     kw.pop("responsible", TEMPLATES[key].responsible if key in TEMPLATES else Responsible.BIN),
                     as_id, psy_id, partner_id, **kw)


def item(c: Candidate, reason: str, wd: int, point: D | None = None) -> Item:
    return Item(c, reason, wd, point or DAY)


# a digest's items: one overdue, one due today (on hold), two soon, over two persons
C_OVER = cand(1, "intake_fiche", D(2027, 2, 5))
C_TODAY = cand(2, "domicile_fix", DAY, status=Status.ON_HOLD, partner_id="cpas-x")
C_SOON = cand(3, "exit_kit", D(2027, 2, 17))
C_SOON1 = cand(4, "ris_prepare", D(2027, 2, 11), person=OTHER)
DIGEST_ITEMS = (item(C_OVER, "overdue", 3, D(2027, 2, 8)), item(C_TODAY, "today", 0),
                item(C_SOON1, "soon", 1), item(C_SOON, "soon", 5))


def digest_for(worker: str, role: str, items=DIGEST_ITEMS) -> list[Message]:
    return build_messages([Due(worker, role, "digest", tuple(items))], DAY, make_directory())


# ---------------------------------------------------------------------------------------------------------
# digests in French and Dutch


def test_digest_in_french():
    [msg] = digest_for("as.fr", "as")
    assert (msg.recipient, msg.role, msg.kind, msg.language, msg.day, msg.scope) == (
        "as.fr", "as", "digest", "fr", DAY, "digest")
    assert msg.subject == "4 démarches à suivre — 10/02/2027"
    body = msg.body
    assert body.startswith("Bonjour Amélie Dupont,")
    heads = [body.index(h) for h in ("\nEn retard (1)\n", "\nPour aujourd'hui (1)\n", "\nBientôt (2)\n")]
    assert heads == sorted(heads)
    over, today, soon = body[heads[0]:heads[1]], body[heads[1]:heads[2]], body[heads[2]:]
    assert f"- 05/02/2027 · AF-2026-101 · {label('intake_fiche', 'fr')} (en retard de 3 jours ouvrables)" in over
    assert f"- 10/02/2027 · AF-2026-101 · {label('domicile_fix', 'fr')} — en attente d'un partenaire" in today
    assert f"- 11/02/2027 · AF-2026-102 · {label('ris_prepare', 'fr')} (dans 1 jour ouvrable)" in soon
    assert f"- 17/02/2027 · AF-2026-101 · {label('exit_kit', 'fr')} (dans 5 jours ouvrables)" in soon
    assert body.rstrip().endswith(f"— raj-release, {ORG_NAME}")
    assert not ISO_DATE.search(msg.subject + body)  # dates are DD/MM/YYYY
    assert "Te laat" not in body and label("intake_fiche", "nl") not in body
    # the items, as the outbox and --json show them
    assert msg.items == ({"person": "AF-2026-101", "key": "intake_fiche", "due": "2027-02-05"},
                         {"person": "AF-2026-101", "key": "domicile_fix", "due": "2027-02-10"},
                         {"person": "AF-2026-102", "key": "ris_prepare", "due": "2027-02-11"},
                         {"person": "AF-2026-101", "key": "exit_kit", "due": "2027-02-17"})
    assert msg.points == {"as": {1: D(2027, 2, 8), 2: DAY, 4: DAY, 3: DAY}}
    assert msg.urgent is False


def test_digest_in_dutch():
    [msg] = digest_for("psy.nl", "psy")
    assert (msg.recipient, msg.role, msg.language) == ("psy.nl", "psy", "nl")
    assert msg.subject == "4 stappen op te volgen — 10/02/2027"
    body = msg.body
    assert body.startswith("Dag Pieter Janssens,")
    heads = [body.index(h) for h in ("\nTe laat (1)\n", "\nVandaag (1)\n", "\nBinnenkort (2)\n")]
    assert heads == sorted(heads)
    assert f"- 05/02/2027 · AF-2026-101 · {label('intake_fiche', 'nl')} (3 werkdagen te laat)" in body
    assert f"- 10/02/2027 · AF-2026-101 · {label('domicile_fix', 'nl')} — wacht op een partner" in body
    assert f"- 11/02/2027 · AF-2026-102 · {label('ris_prepare', 'nl')} (binnen 1 werkdag)" in body
    assert f"- 17/02/2027 · AF-2026-101 · {label('exit_kit', 'nl')} (binnen 5 werkdagen)" in body
    for fr in ("En retard", "Pour aujourd'hui", "Bientôt", "Bonjour", "jours ouvrables",
               label("intake_fiche", "fr")):
        assert fr not in body
    assert not ISO_DATE.search(msg.subject + body)


def test_language_is_the_recipients_not_the_persons():
    # the same items to an AS who reads Dutch and a psy who reads French
    [nl] = digest_for("as.nl", "as")
    [fr] = digest_for("psy.fr", "psy")
    assert (nl.language, fr.language) == ("nl", "fr")
    assert label("exit_kit", "nl") in nl.body and label("exit_kit", "fr") in fr.body


def test_only_the_sections_that_have_items():
    [msg] = digest_for("as.fr", "as", items=(item(C_SOON1, "soon", 1),))
    assert msg.subject == "1 démarche à suivre — 10/02/2027"
    assert "\nBientôt (1)\n" in msg.body and "En retard" not in msg.body and "Pour aujourd'hui" not in msg.body
    [msg] = digest_for("psy.nl", "psy", items=(item(C_OVER, "overdue", 1),))
    assert msg.subject == "1 stap op te volgen — 10/02/2027"
    assert "\nTe laat (1)\n" in msg.body and "(1 werkdag te laat)" in msg.body and "Binnenkort" not in msg.body


def test_unknown_worker_gets_no_message():
    assert digest_for("gone.worker", "as") == []


def test_escalation_to_each_coordinator_in_their_language():
    items = (item(C_OVER, "overdue", 7),)
    msgs = build_messages([Due("org-a", "coordinator", "escalation", items)], DAY, make_directory())
    assert [(m.recipient, m.role, m.kind, m.language) for m in msgs] == [
        ("coord.fr", "coordinator", "escalation", "fr"), ("coord.nl", "coordinator", "escalation", "nl")]
    fr, nl = msgs
    assert fr.subject == "Signalement à la coordination: 1 démarche en retard — 10/02/2027"
    assert "en retard depuis au moins 5 jours ouvrables" in fr.body
    assert (f"- 05/02/2027 · AF-2026-101 · {label('intake_fiche', 'fr')} (en retard de 7 jours ouvrables) · "
            "binôme Amélie Dupont et Pieter Janssens") in fr.body  # names, not account ids
    assert nl.subject == "Melding aan de coördinatie: 1 stap te laat — 10/02/2027"
    assert "minstens 5 werkdagen te laat" in nl.body
    assert (f"- 05/02/2027 · AF-2026-101 · {label('intake_fiche', 'nl')} (7 werkdagen te laat) · "
            "duo Amélie Dupont en Pieter Janssens") in nl.body
    assert fr.points == nl.points == {"escalation": {1: DAY}}
    # an organisation without coordinators: nobody to escalate to
    assert build_messages([Due("org-z", "coordinator", "escalation", items)], DAY, make_directory()) == []


def test_partner_message_in_the_partners_language():
    partners = {"cpas-x": Recipient("cpas-x", "CPAS X", "fr"), "cure-y": Recipient("cure-y", "De Brug", "nl")}
    d = make_directory(partners)
    one = (item(cand(5, "domicile_fix", DAY, status=Status.ON_HOLD, partner_id="cpas-x"), "today", 0),)
    two = (item(cand(6, "cure_apply", D(2027, 2, 12), status=Status.ON_HOLD, partner_id="cure-y"), "soon", 2),
           item(cand(7, "cure_interview", D(2027, 2, 19), status=Status.ON_HOLD, partner_id="cure-y"), "soon", 7))
    fr, nl = build_messages([Due("cpas-x", "partner", "partner", one), Due("cure-y", "partner", "partner", two)],
                            DAY, d)
    # a partner's message is about one person (issue 12): its scope names the organisation and the person
    assert (fr.recipient, fr.role, fr.kind, fr.language, fr.scope) == ("cpas-x", "partner", "partner", "fr",
                                                                       "partner-org-a-101")
    assert (nl.scope, nl.person_id) == ("partner-org-a-101", PERSON.id)
    assert fr.subject == "Rappel: 1 demande en attente de votre réponse"
    assert f"{ORG_NAME} attend votre réponse pour:" in fr.body
    assert f"- AF-2026-101 · {label('domicile_fix', 'fr')} · souhaité pour le 10/02/2027 (aujourd'hui)" in fr.body
    # whom to answer: the démarche's responsible worker (domicile_fix is the AS's), with their role
    assert TEMPLATES["domicile_fix"].responsible is Responsible.AS
    assert "\n  Contact: Amélie Dupont, assistant·e social·e (02 555 01 01)\n" in fr.body
    assert "Pieter Janssens" not in fr.body
    assert "répondre directement à l'assistant·e social·e ou au/à la psychologue indiqué·e." in fr.body
    assert "binôme" not in fr.body
    assert nl.subject == "Herinnering: 2 aanvragen wachten op uw antwoord"
    assert f"- AF-2026-101 · {label('cure_apply', 'nl')} · gewenst tegen 12/02/2027" in nl.body
    assert f"- AF-2026-101 · {label('cure_interview', 'nl')} · gewenst tegen 19/02/2027" in nl.body
    assert OTHER.ref not in nl.body and OTHER.ref not in fr.body
    assert "datum verstreken" not in nl.body and "(vandaag)" not in nl.body
    # cure_apply is the psychologue's: only the psychologue is named; cure_interview the binôme's: both
    assert [TEMPLATES[k].responsible for k in ("cure_apply", "cure_interview")] == [Responsible.PSY,
                                                                                   Responsible.BIN]
    apply_, interview = nl.body.split("\n- ")[1:3]
    assert apply_.endswith("\n  Contact: Pieter Janssens, psycholoog (pieter.janssens@example.org)")
    assert interview.startswith("AF-2026-101 · ") and (
        "\n  Contact: Amélie Dupont, maatschappelijk werker (02 555 01 01) of Pieter Janssens, psycholoog "
        "(pieter.janssens@example.org)\n") in interview
    assert "duo" not in nl.body
    assert "Gelieve rechtstreeks te antwoorden aan de maatschappelijk werker of de psycholoog vermeld." in nl.body
    assert nl.points == {"partner": {6: DAY, 7: DAY}}
    # unknown partner: no message
    assert build_messages([Due("nobody", "partner", "partner", one)], DAY, d) == []


def test_render_falls_back_to_french_and_checks_the_subject_line():
    s_de, b_de = render("partner", "de", items=[], organisation="X")
    s_fr, b_fr = render("partner", "fr", items=[], organisation="X")
    assert (s_de, b_de) == (s_fr, b_fr)
    assert b_fr.endswith("\n") and "\n\n\n" not in b_fr


# ---------------------------------------------------------------------------------------------------------
# need-to-know: what a partner's message may show

FORBIDDEN_WORDS = [
    # needs: codes and their French and Dutch words
    "housing", "logement", "huisvesting", "cure", "kuur", "substitution", "méthadone", "methadone", "methadon",
    "medical", "médical", "médicale", "medisch", "income", "revenus", "revenu", "inkomen", "training",
    "formation", "opleiding", "debts", "dettes", "schulden",
    # situation
    "prevenu", "prévenu", "condamne", "condamné", "verdachte", "veroordeelde",
    # modality
    "libération conditionnelle", "surveillance électronique", "détention limitée", "fond de peine",
    "voorwaardelijke invrijheidstelling", "elektronisch toezicht", "beperkte detentie",
]
FORBIDDEN_EXACT = ["LC", "SE", "DL", "TAP", "VI", "ET", "BD", "SURB"]  # abbreviations, case-sensitive


def forbidden_found(text: str, person: PersonFile) -> list[str]:
    found = [w for w in FORBIDDEN_WORDS if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.IGNORECASE)]
    found += [w for w in FORBIDDEN_EXACT if re.search(rf"(?<!\w){w}(?!\w)", text)]
    prison = _CONFIG.prisons[person.prison]
    private = [person.prison, prison.name["fr"], prison.name["nl"], person.name, *person.name.split(),
               person.hearing.strftime("%d/%m/%Y"), person.hearing.isoformat(), person.diagnosis, person.offence,
               *person.needs]
    found += [w for w in private if w.lower() in text.lower()]
    return found


def test_the_forbidden_word_check_itself_works():
    leak = (f"{PERSON.name} ({PERSON.diagnosis}), prévenu à la Prison de Lantin, LC, audience le 15/06/2027, "
            "besoin de logement")
    found = forbidden_found(leak, PERSON)
    for w in ("prévenu", "logement", "LC", "Prison de Lantin", "lantin", PERSON.name, "15/06/2027",
              PERSON.diagnosis):
        assert w in found, w
    assert forbidden_found("Merci de répondre au binôme (se présenter)", PERSON) == []


def test_every_partner_type_is_covered():
    assert len(PARTNER_TYPES) >= 20
    assert {"cpas", "maison_accueil", "centre_residentiel", "mediation_dettes", "pharmacie"} <= set(PARTNER_TYPES)


@pytest.mark.parametrize("partner_type", PARTNER_TYPES)
def test_partner_message_carries_only_what_the_partner_needs(partner_type):
    keys = [t.key for t in _CONFIG.templates if partner_type in t.partner_types]
    assert keys
    # each démarche of that partner type waits on the partner; due dates far from the hearing date
    dues = {k: D(2027, 3, 1) + dt.timedelta(days=7 * n) for n, k in enumerate(keys)}
    assert PERSON.hearing not in dues.values()
    for lang in ("fr", "nl"):
        for mode in ("reference", "initials"):
            pid = f"partner-{lang}-{mode}"
            d = make_directory({pid: Recipient(pid, f"Partenaire {partner_type}", lang)}, {pid: mode})
            items = tuple(item(cand(n + 1, k, dues[k], status=Status.ON_HOLD, partner_id=pid),
                               "today" if n % 2 else "soon", 2) for n, k in enumerate(keys))
            [msg] = build_messages([Due(pid, "partner", "partner", items)], DAY, d)
            assert (msg.kind, msg.role, msg.language) == ("partner", "partner", lang)
            text = msg.subject + "\n" + msg.body
            who = "J.D." if mode == "initials" else PERSON.ref
            assert who in msg.body
            assert all(x["person"] == who for x in msg.items)
            for k in keys:
                assert label(k, lang) in msg.body, (k, lang)
                assert dues[k].strftime("%d/%m/%Y") in msg.body
            roles = {Responsible.AS: ("Amélie Dupont, ", "Pieter Janssens, "),
                     Responsible.PSY: ("Pieter Janssens, ", "Amélie Dupont, ")}
            for k in keys:  # the responsible worker(s) of each démarche, and only them
                named, other = roles.get(TEMPLATES[k].responsible, ("Amélie Dupont, ", None))
                assert named in msg.body, k
                if other is not None and all(TEMPLATES[x].responsible == TEMPLATES[k].responsible for x in keys):
                    assert other not in msg.body, k
            assert "(02 555 01 01)" in msg.body or "(pieter.janssens@example.org)" in msg.body
            # what the label itself says is the request the partner receives; nothing else may tell more
            residue = text
            for k in sorted(keys, key=lambda k: -len(label(k, lang))):
                residue = residue.replace(label(k, lang), "")
            leaks = forbidden_found(residue, PERSON)
            assert leaks == [], f"{partner_type} ({lang}, {mode}) leaks {leaks}:\n{text}"
            # the JSON items carry no more than person, key and due date
            assert all(set(x) == {"person", "key", "due"} for x in msg.items)


# ---------------------------------------------------------------------------------------------------------
# "your plan moved"

MOVES = [Move("tap_file", D(2027, 5, 14), D(2027, 7, 16)), Move("tap_attest", D(2027, 6, 4), D(2027, 8, 6)),
         Move("housing_apply", D(2027, 3, 5), D(2027, 5, 7))]
WHAT = {"fr": "Date « audience TAP/JAP » déplacée : 15/06/2027 → 17/08/2027",
        "nl": "Datum 'zitting SURB/SURB-rechter' verschoven: 15/06/2027 → 17/08/2027"}


def moved(urgent: bool = False, moves=MOVES) -> list[Message]:
    return plan_moved_messages("AF-2026-101", 101, moves, [WORKERS["as.fr"], WORKERS["psy.nl"]], WHAT,
                               "remise de l'audience", "as.fr", DAY, "AF-2026-101@v3", ORG_NAME, label,
                               urgent=urgent)


def test_plan_moved_lists_every_move_in_each_language():
    fr, nl = moved()
    assert [(m.recipient, m.role, m.kind, m.language, m.scope, m.urgent, m.person_id) for m in (fr, nl)] == [
        ("as.fr", "as", "plan_moved", "fr", "AF-2026-101@v3", False, 101),
        ("psy.nl", "psy", "plan_moved", "nl", "AF-2026-101@v3", False, 101)]
    assert fr.subject == "Plan de AF-2026-101: 3 démarches déplacées"
    assert nl.subject == "Plan van AF-2026-101: 3 stappen verschoven"
    assert fr.body.startswith("Bonjour Amélie Dupont,") and nl.body.startswith("Dag Pieter Janssens,")
    assert f"{WHAT['fr']} (remise de l'audience), par as.fr." in fr.body
    assert f"{WHAT['nl']} (remise de l'audience), door as.fr." in nl.body
    for mv in MOVES:
        old, new = mv.old_due.strftime("%d/%m/%Y"), mv.new_due.strftime("%d/%m/%Y")
        assert f"- {label(mv.key, 'fr')}: {old} → {new}\n" in fr.body
        assert f"- {label(mv.key, 'nl')}: {old} → {new}\n" in nl.body
    assert "URGENT" not in fr.subject + fr.body and "DRINGEND" not in nl.subject + nl.body
    assert fr.items == tuple({"person": "AF-2026-101", "key": mv.key, "due": mv.new_due.isoformat()}
                             for mv in MOVES)
    assert not ISO_DATE.search(fr.subject + fr.body + nl.subject + nl.body)


def test_plan_moved_urgent():
    fr, nl = moved(urgent=True, moves=MOVES[:1])
    assert fr.urgent and nl.urgent
    assert fr.subject == "URGENT — Plan de AF-2026-101: 1 démarche déplacée"
    assert nl.subject == "DRINGEND — Plan van AF-2026-101: 1 stap verschoven"
    assert fr.as_json()["urgent"] is True


def test_plan_moved_without_moves_is_nothing():
    assert moved(moves=[]) == []


def test_plan_moved_without_a_reason():
    [fr] = plan_moved_messages("R-1", 1, MOVES[:1], [WORKERS["as.fr"]], WHAT, None, "psy.fr", DAY, "R-1@v2",
                               ORG_NAME, label)
    assert f"{WHAT['fr']}, par psy.fr." in fr.body and "()" not in fr.body


# ---------------------------------------------------------------------------------------------------------
# idempotency keys


def test_idempotency_key_is_recipient_kind_scope_day():
    [msg] = digest_for("as.fr", "as")
    assert msg.idempotency_key == "as.fr|digest|digest|2027-02-10"
    fr, _ = moved()
    assert fr.idempotency_key == "as.fr|plan_moved|AF-2026-101@v3|2027-02-10"
    base = Message("w", "as", "digest", "fr", "s", "b", (), DAY, "digest")
    variants = [Message("w2", "as", "digest", "fr", "s", "b", (), DAY, "digest"),
                Message("w", "as", "escalation", "fr", "s", "b", (), DAY, "digest"),
                Message("w", "as", "digest", "fr", "s", "b", (), DAY, "other"),
                Message("w", "as", "digest", "fr", "s", "b", (), DAY + dt.timedelta(days=1), "digest")]
    assert len({base.idempotency_key, *(v.idempotency_key for v in variants)}) == 5
    # what is not part of the key does not change it: the same reminder decided twice is one message
    same = Message("w", "psy", "digest", "nl", "other subject", "other body", ({"person": "x"},), DAY, "digest",
                   urgent=True)
    assert same.idempotency_key == base.idempotency_key


def test_as_json():
    [msg] = digest_for("as.fr", "as")
    j = msg.as_json()
    assert set(j) == {"recipient", "role", "kind", "language", "subject", "body", "items", "day", "urgent",
                      "idempotency_key"}
    assert j["day"] == "2027-02-10" and isinstance(j["items"], list) and j["items"][0]["due"] == "2027-02-05"


# ---------------------------------------------------------------------------------------------------------
# every kind of message: plain text, no command line, a link to the workspace only when RAJ_PUBLIC_URL is set

PUBLIC = "https://raj.example.be"
PARTNERS = {"cpas-x": Recipient("cpas-x", "CPAS X", "fr"), "cure-y": Recipient("cure-y", "De Brug", "nl")}
MARKUP = re.compile(r"\*\*|__|`|^#|^\s*[*+] |\[[^\]]*\]\(|<[a-z/]", re.MULTILINE)  # Markdown or HTML
COMMAND = re.compile(r"(?<![\w.-])raj [a-z]|--[a-z]|\b(RÉF|CLÉ|SLEUTEL|DATUM)\b")  # `raj demarche set RÉF CLÉ`
LINK_WORDS = ("espace de travail", "werkruimte", "http")


def every_message(public_url: str | None) -> list[Message]:
    """One message of each kind, in French and in Dutch, as the sweep, the plan and the report build them."""
    d = make_directory(PARTNERS, public_url=public_url)
    held = cand(8, "domicile_fix", DAY, status=Status.ON_HOLD, partner_id="cpas-x")
    held_nl = cand(9, "cure_apply", D(2027, 2, 12), status=Status.ON_HOLD, partner_id="cure-y")
    past = cand(10, "domicile_fix", D(2027, 2, 3), status=Status.ON_HOLD, partner_id="cpas-x")
    dues = [Due(w, role, "digest", DIGEST_ITEMS) for w, role in (("as.fr", "as"), ("psy.nl", "psy"))]
    dues += [Due("org-a", "coordinator", "escalation", (item(C_OVER, "overdue", 7),)),
             Due("cpas-x", "partner", "partner", (item(held, "today", 0),)),
             Due("cure-y", "partner", "partner", (item(held_nl, "soon", 2),)),
             Due("as.fr", "as", "partner_date", (item(past, "overdue", 5),)),
             Due("psy.nl", "psy", "partner_date", (item(past, "overdue", 5),))]
    msgs = build_messages(dues, DAY, d)
    released = ContactCandidate(101, PERSON.ref, "org-a", "as.fr", "psy.nl", D(2027, 1, 25), None)
    contact = (ContactItem(released, D(2027, 1, 25), 12, DAY),)
    msgs += contact_messages([ContactDue("as.fr", "as", "reminder", contact),
                              ContactDue("psy.nl", "psy", "reminder", contact),
                              ContactDue("org-a", "coordinator", "escalation", contact)], DAY, d)
    msgs += plan_moved_messages(PERSON.ref, PERSON.id, MOVES, [WORKERS["as.fr"], WORKERS["psy.nl"]], WHAT, None,
                                "as.fr", DAY, "x@v1", ORG_NAME, label, public_url=public_url)
    for lang in ("fr", "nl"):
        subject, body = render("report", lang, organisation=ORG_NAME, week_start=DAY, day=DAY,
                               recipient_name="Claire Coord", total=2, persons=1, groups=[("Par démarche", [("x", 2)])],
                               dead=[{"day": DAY, "kind": "digest", "recipient": "as.fr", "error": "refused"}],
                               link=f"{public_url}/dashboard" if public_url else None)
        msgs.append(Message("coord", "coordinator", "report", lang, subject, body, (), DAY, "week"))
    return msgs


def test_every_kind_of_message_is_rendered_in_both_languages():
    kinds = {(m.kind, m.language) for m in every_message(PUBLIC)}
    expected = {"digest", "escalation", "partner", "partner_date", "contact", "plan_moved", "report"}
    assert kinds == {(k, lang) for k in expected for lang in ("fr", "nl")}


@pytest.mark.parametrize("public_url", [PUBLIC, None], ids=["with-public-url", "without"])
def test_messages_are_plain_text_without_command_lines(public_url):
    for m in every_message(public_url):
        text = m.subject + "\n" + m.body
        assert not MARKUP.search(text), (m.kind, m.language, MARKUP.search(text), text)
        assert not COMMAND.search(text), (m.kind, m.language, COMMAND.search(text), text)
        assert not ISO_DATE.search(text), (m.kind, m.language)
        assert "\n\n\n" not in m.body and m.body.endswith("\n")
        assert PERSON.name not in text and "Dubois" not in text  # persons by their reference only


@pytest.mark.parametrize("lang, week, dashboard", [
    ("fr", "« Ma semaine » dans l'espace de travail: https://raj.example.be/week",
     "« Tableau de bord » dans l'espace de travail: https://raj.example.be/dashboard"),
    ("nl", "« Mijn week » in de werkruimte: https://raj.example.be/week",
     "« Dashboard » in de werkruimte: https://raj.example.be/dashboard")])
def test_a_link_to_the_workspace_with_raj_public_url(lang, week, dashboard):
    msgs = [m for m in every_message(PUBLIC) if m.language == lang]
    for m in msgs:
        lines = m.body.splitlines()
        if m.role == "partner":  # partners have no account: no link
            assert not any(w in m.body for w in LINK_WORDS), m.body
        elif m.role == "coordinator":
            assert dashboard in lines, (m.kind, m.body)
        elif m.kind == "plan_moved":
            assert [x for x in lines if x.endswith(f"{PUBLIC}/persons/{PERSON.ref}")], m.body
        else:
            assert week in lines, (m.kind, m.body)
        assert lines[-1].startswith("— raj-release")


def test_no_link_and_no_link_words_without_raj_public_url():
    for m in every_message(None):
        assert not any(w in m.body for w in LINK_WORDS), (m.kind, m.language, m.body)
        assert m.body.rstrip().splitlines()[-2] == "", (m.kind, m.body)  # the signature after one blank line


def test_a_past_partner_date_asks_the_worker_for_a_new_one_in_their_language():
    msgs = [m for m in every_message(PUBLIC) if m.kind == "partner_date"]
    fr, nl = sorted(msgs, key=lambda m: m.language)
    assert (fr.recipient, fr.role, fr.scope, nl.recipient, nl.role) == ("as.fr", "as", "partner-date", "psy.nl", "psy")
    assert fr.subject == "Nouvelle date à convenir avec un partenaire: 1 demande — 10/02/2027"
    assert fr.body.startswith("Bonjour Amélie Dupont,\n")
    assert (f"- 03/02/2027 · AF-2026-101 · {label('domicile_fix', 'fr')} · CPAS X "
            "(date dépassée de 5 jours ouvrables)\n") in fr.body
    assert "convenez avec lui d'une nouvelle date" in fr.body
    assert nl.subject == "Nieuwe datum af te spreken met een partner: 1 aanvraag — 10/02/2027"
    assert f"- 03/02/2027 · AF-2026-101 · {label('domicile_fix', 'nl')} · CPAS X (5 werkdagen verstreken)\n" in nl.body
    assert "spreek met de partner een nieuwe datum af" in nl.body
    # the partner's point is spent by this message (the partner is not reminded of the past date later)
    assert fr.points == nl.points == {"partner": {10: DAY}}
    assert fr.items == ({"person": "AF-2026-101", "key": "domicile_fix", "due": "2027-02-03"},)


def test_the_weekly_report_names_kinds_and_says_abandoned():
    fr, nl = (m for m in every_message(PUBLIC) if m.kind == "report")
    assert "Messages abandonnés (non délivrés): 1" in fr.body and "morts" not in fr.body
    assert "- 10/02/2027 · rappels du jour → as.fr · refused" in fr.body
    assert "Niet afgeleverde berichten: 1" in nl.body and "(dood)" not in nl.body
    assert "- 10/02/2027 · herinneringen van de dag → as.fr · refused" in nl.body


# ---------------------------------------------------------------------------------------------------------
# RAJ_PUBLIC_URL, and e-mail channels asked for plain text


@pytest.mark.parametrize("value, expected", [
    ("https://raj.example.be", "https://raj.example.be"), ("https://raj.example.be/", "https://raj.example.be"),
    ("  http://10.0.0.5:8000/raj/ ", "http://10.0.0.5:8000/raj"), ("", None)])
def test_public_url_setting(value, expected):
    assert Settings(public_url=value).public_url == expected


@pytest.mark.parametrize("value", ["raj.example.be", "ftp://raj.example.be", "https://", "https://x.be/?a=1",
                                   "https://x.be/#week", "https://u:secret@x.be", "https://x.be:port",
                                   "https://x .be"])
def test_a_bad_public_url_is_refused(value):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as e:
        Settings(public_url=value)
    [err] = e.value.errors()
    assert err["loc"] == ("public_url",) and "https://raj.example.be" in err["msg"]


@pytest.mark.parametrize("url, expected", [
    ("mailto://h:25?mode=insecure&to=a@x.org", "mailto://h:25?mode=insecure&to=a@x.org&format=text"),
    ("mailtos://u:p@smtp.x.org", "mailtos://u:p@smtp.x.org?format=text"),
    ("mailto://h?format=html&to=a@x.org", "mailto://h?format=html&to=a@x.org"),  # the URL's own choice
    ("json://127.0.0.1:8765/hook", "json://127.0.0.1:8765/hook")])
def test_email_channels_get_plain_text(url, expected):
    assert as_text(url) == expected
