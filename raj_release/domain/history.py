"""A person's history in words: one sentence per audit event, in the reader's language (issue 11).

« Amélie Dupont a marqué « Vérifier eID » comme faite — 12/09/2026 ». Pure: the shell gives the event's
action, old and new values (as the services wrote them in the audit log), the reader's words for the ids it
names (`Names`: workers, démarches, partners, prisons) and the reader's language; nothing here reads a
database. An action this module does not know still gets a sentence (« … a modifié le dossier »), never its
code.

Events a change causes by itself (dates moved by the replanning, démarches added or made obsolete) carry the
reason of the change that caused them: their sentence leaves it out, the change's own sentence has it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from raj_release import i18n
from raj_release.domain.enums import (
    ApplicationState,
    Certainty,
    CloseReason,
    ConsentHow,
    LeaveKind,
    NotMetReason,
    Outcome,
    Place,
    Stage,
    Status,
)

# events the replanning writes after a change: their reason is the change's (see the module's docstring)
DERIVED = frozenset({"demarche.moved", "plan.scheduled", "demarche.obsolete", "demarche.applies"})
SYSTEM_ACTORS = frozenset({"system", "demo", "cli"})
BRUSSELS = ZoneInfo("Europe/Brussels")


@dataclass(frozen=True)
class Names:
    """The reader's words for the ids and keys a page, a table or an event names; looked up by the shell.
    An id without a word is shown as it is (a worker since removed from the directory, say)."""

    workers: Mapping[str, str] = field(default_factory=dict)  # worker id -> name
    demarches: Mapping[str, str] = field(default_factory=dict)  # démarche key -> label in the reader's language
    partners: Mapping[str, str] = field(default_factory=dict)  # partner id -> name (config/partners.yaml)
    prisons: Mapping[str, str] = field(default_factory=dict)  # prison code -> name in the reader's language
    purposes: Mapping[str, str] = field(default_factory=dict)  # purpose of sharing -> label (consents.yaml)

    @classmethod
    def of(cls, config: Any, workers: Mapping[str, str], lang: str) -> Names:
        """From a loaded configuration (its templates, partners and prisons) and the workers' names."""
        lang = i18n.language(lang)
        return cls(workers=dict(workers),
                   demarches={t.key: t.label_in(lang) for t in config.templates},
                   partners={p.id: p.name for p in config.partners.values()},
                   prisons={c: (p.name.get(lang) or c) for c, p in config.prisons.items()},
                   purposes={p.key: (p.label.nl if lang == "nl" else p.label.fr)
                             for p in (config.consents.purposes if getattr(config, "consents", None) else ())})

    def worker(self, wid: str | None) -> str:
        return self.workers.get(wid or "", wid or "")

    def demarche(self, key: str | None) -> str:
        return self.demarches.get(key or "", key or "")

    def partner(self, pid: str | None) -> str:
        return self.partners.get(pid or "", pid or "")

    def prison(self, code: str | None) -> str:
        return self.prisons.get(code or "", code or "")

    def purpose(self, key: str | None) -> str:
        return self.purposes.get(key or "", key or "")


def partner_type(code: str | None, lang: str) -> str:
    """A partner type of config/demarches.yaml in words (catalog raj, context PartnerType)."""
    return i18n.label(code or "", lang, "PartnerType") if code else ""


def actor_name(actor: str | None, names: Names, lang: str) -> str:
    """Who acted: the worker's name; « le système » for the services' own runs (the demo, a script)."""
    if actor in names.workers:
        return names.workers[actor]
    if actor and actor.startswith("partner:"):  # a partner answering through its reply link
        return names.partner(actor.removeprefix("partner:"))
    if not actor or actor in SYSTEM_ACTORS or actor.startswith("cli:"):
        return i18n.tr(lang, "The system")
    return actor


def _d(value: Any, lang: str) -> str:
    """An ISO date of the audit log as DD/MM/YYYY ('—' for none or a value that is not a date)."""
    if isinstance(value, dt.date):
        return i18n.format_date(value, lang)
    try:
        return i18n.format_date(dt.date.fromisoformat(str(value)), lang) if value else "—"
    except ValueError:
        return "—"


def _code(enum, value: Any, lang: str) -> str:
    try:
        return i18n.label(enum(value), lang)
    except ValueError:
        return str(value or "")


def _quoted(text: str, lang: str) -> str:
    return i18n.tr(lang, "« %(x)s »") % {"x": text}


def _status(what: str, old: Mapping, new: Mapping, who: str, names: Names, lang: str) -> str:
    st, before = new.get("status"), old.get("status")
    args = {"who": who, "what": what}
    if st == Status.COMPLETED:
        return i18n.tr(lang, "%(who)s marked %(what)s as done") % args
    if st == Status.IN_PROGRESS:
        return i18n.tr(lang, "%(who)s marked %(what)s as in progress") % args
    if st == Status.ON_HOLD:
        if new.get("partner"):
            return i18n.tr(lang, "%(who)s put %(what)s on hold, waiting for %(partner)s") % {
                **args, "partner": names.partner(new["partner"])}
        return i18n.tr(lang, "%(who)s put %(what)s on hold") % args
    if st == Status.CANCELLED:
        return i18n.tr(lang, "%(who)s marked %(what)s as not applicable") % args
    if st == Status.FAILED:
        return i18n.tr(lang, "%(who)s marked %(what)s as failed") % args
    if st == Status.PLANNED and before in (Status.COMPLETED, Status.CANCELLED, Status.FAILED):
        return i18n.tr(lang, "%(who)s reopened %(what)s") % args
    return i18n.tr(lang, "%(who)s set %(what)s to « %(status)s »") % {**args, "status": _code(Status, st, lang)}


def _listed(items: Mapping[str, Any], names: Names, lang: str) -> str:
    return ", ".join(i18n.tr(lang, "%(what)s on %(date)s") % {"what": _quoted(names.demarche(k), lang),
                                                                "date": _d(v, lang)}
                     for k, v in sorted(items.items(), key=lambda kv: (str(kv[1] or ""), kv[0])))


_FACTS = {"situation": "Situation", "modality": "Modality", "procedure": "Procedure", "language": "Language",
          "needs": "Needs", "interpreter": "Interpreter", "name": "Name"}
_FACT_ENUMS = {"situation": "Situation", "modality": "Modality", "procedure": "Procedure", "language": "Language"}


def _fact(key: str, value: Any, lang: str) -> str:
    if value is None or value == [] or value == "":
        return "—"
    if key in _FACT_ENUMS:
        return i18n.label(str(value), lang, _FACT_ENUMS[key])
    if key == "needs":
        return ", ".join(i18n.label(str(n), lang, "Need") for n in value)
    if key == "interpreter":
        return i18n.tr(lang, "yes") if value else i18n.tr(lang, "no")
    return str(value)


def _edited(old: Mapping, new: Mapping, lang: str) -> str:
    return "; ".join(i18n.tr(lang, "%(field)s: %(old)s → %(new)s") % {
        "field": i18n.tr(lang, _FACTS.get(k, k)), "old": _fact(k, old.get(k), lang), "new": _fact(k, new.get(k), lang)}
        for k in new if k in _FACTS)


def _consent(values: Mapping, names: Names, lang: str) -> str:
    """« maison d'accueil, Logement » / « CPAS fictif, Revenus »: whom and for what."""
    whom = names.partner(values.get("partner")) if values.get("partner") else partner_type(
        values.get("partner_type"), lang)
    return f"{whom}, {names.purpose(values.get('purpose'))}"


def _application(new: Mapping, lang: str) -> str:
    words = _code(ApplicationState, new.get("state"), lang)
    if new.get("position"):
        words += ", " + i18n.tr(lang, "position %(n)s") % {"n": new["position"]}
    if new.get("expected"):
        words += ", " + i18n.tr(lang, "a place expected on %(date)s") % {"date": _d(new["expected"], lang)}
    if new.get("entry"):
        words += ", " + i18n.tr(lang, "entry or appointment on %(date)s") % {"date": _d(new["entry"], lang)}
    if new.get("documents"):
        words += ", " + i18n.tr(lang, "documents missing: %(text)s") % {"text": new["documents"]}
    return words


def _closed(new: Mapping, lang: str) -> str:
    words = _code(CloseReason, new.get("reason"), lang)
    if new.get("why"):
        words += f" ({_code(NotMetReason, new['why'], lang)})"
    if new.get("to_service"):
        words += f" — {new['to_service']}"
    return words


def sentence(action: str, old: Mapping | None, new: Mapping | None, *, lang: str, who: str, what: str = "",
             names: Names | None = None) -> str:
    """The event as a sentence without its date: `who` is the actor's name, `what` the label of what the
    event is about (the démarche, the key date). `names` words the ids inside old/new (partners, prisons,
    workers, démarches)."""
    lang = i18n.language(lang)
    names = names or Names()
    old, new = old or {}, new or {}
    q = _quoted(what, lang) if what else ""
    args = {"who": who, "what": q}
    if action == "demarche.status":
        return _status(q, old, new, who, names, lang)
    if action == "demarche.pinned":
        return i18n.tr(lang, "%(who)s pinned %(what)s to %(date)s") % {**args, "date": _d(new.get("due"), lang)}
    if action == "demarche.unpinned":
        return i18n.tr(lang, "%(who)s unpinned %(what)s: the plan dates it again") % args
    if action == "demarche.moved":
        return i18n.tr(lang, "%(what)s moved from %(old)s to %(new)s") % {
            **args, "old": _d(old.get("due"), lang), "new": _d(new.get("due"), lang)}
    if action == "demarche.kept":
        return i18n.tr(lang, "%(who)s kept %(what)s, which no longer applied") % args
    if action == "demarche.obsolete":
        return i18n.tr(lang, "%(what)s no longer applies: proposed for closing") % args
    if action == "demarche.applies":
        return i18n.tr(lang, "%(what)s applies again") % args
    if action == "plan.scheduled":
        items = {**(new.get("dated") or {}), **(new.get("added") or {})}
        return i18n.tr(lang, "Now in the plan: %(list)s") % {"list": _listed(items, names, lang)}
    if action == "milestone.set":
        certainty = new.get("certainty")
        extra = f" ({_code(Certainty, certainty, lang)})" if certainty and certainty != Certainty.CONFIRMED else ""
        if old.get("date") and old.get("date") != new.get("date"):
            return i18n.tr(lang, "%(who)s moved %(what)s from %(old)s to %(new)s") % {
                **args, "old": _d(old.get("date"), lang), "new": _d(new.get("date"), lang)} + extra
        return i18n.tr(lang, "%(who)s set %(what)s on %(date)s") % {**args, "date": _d(new.get("date"), lang)} + extra
    if action == "person.registered":
        return i18n.tr(lang, "%(who)s registered the file") % args
    if action == "person.edited" and _edited(old, new, lang):
        return i18n.tr(lang, "%(who)s changed what is known of the person: %(changes)s") % {
            **args, "changes": _edited(old, new, lang)}
    if action == "person.handed_over":
        roles = {"as": i18n.tr(lang, "AS"), "psy": i18n.tr(lang, "psychologue")}
        changes = "; ".join(f"{roles[k]} {names.worker(old.get(k))} → {names.worker(v)}" for k, v in new.items()
                            if k in roles)
        return i18n.tr(lang, "%(who)s handed the file over: %(changes)s") % {**args, "changes": changes}
    if action == "person.transferred":
        return i18n.tr(lang, "%(who)s recorded a transfer to %(prison)s on %(date)s") % {
            **args, "prison": names.prison(new.get("prison")), "date": _d(new.get("since"), lang)}
    if action == "person.stage":
        if new.get("stage") == old.get("stage") and new.get("planned") and not old.get("planned"):
            return i18n.tr(lang, "%(who)s made the plan") % args
        return i18n.tr(lang, "%(who)s moved the file to the stage « %(stage)s »") % {
            **args, "stage": _code(Stage, new.get("stage"), lang)}
    if action == "person.closed":
        return i18n.tr(lang, "%(who)s closed the file: %(why)s") % {**args, "why": _closed(new, lang)}
    if action == "person.reopened":
        return i18n.tr(lang, "%(who)s reopened the file") % args
    if action in ("leave.added", "leave.removed"):
        values = new if action == "leave.added" else old
        leave = i18n.tr(lang, "%(kind)s from %(start)s to %(end)s") % {
            "kind": _code(LeaveKind, values.get("kind"), lang), "start": _d(values.get("start"), lang),
            "end": _d(values.get("end"), lang)}
        msg = "%(who)s recorded a leave: %(leave)s" if action == "leave.added" else "%(who)s removed a leave: %(leave)s"
        return i18n.tr(lang, msg) % {**args, "leave": leave}
    if action == "visit.added":
        return i18n.tr(lang, "%(who)s recorded a meeting on %(date)s (%(place)s)") % {
            **args, "date": _d(new.get("day"), lang), "place": _code(Place, new.get("place"), lang)}
    if action == "visit.outcome":
        return i18n.tr(lang, "%(who)s recorded how a meeting went: %(outcome)s") % {
            **args, "outcome": _code(Outcome, new.get("outcome"), lang)}
    if action == "consent.given":
        how = _code(ConsentHow, new.get("how"), lang)
        return i18n.tr(lang, "%(who)s recorded a consent (%(how)s): %(consent)s, from %(date)s") % {
            **args, "how": how, "consent": _consent(new, names, lang), "date": _d(new.get("given_on"), lang)}
    if action == "consent.withdrawn":
        return i18n.tr(lang, "%(who)s recorded the withdrawal of a consent: %(consent)s, from %(date)s") % {
            **args, "consent": _consent(old, names, lang), "date": _d(new.get("withdrawn_on"), lang)}
    if action == "application.sent":
        return i18n.tr(lang, "%(who)s sent %(what)s to %(partner)s") % {**args, "partner": names.partner(
            new.get("partner"))}
    if action == "application.state":
        return i18n.tr(lang, "%(who)s: %(what)s at %(partner)s, %(state)s") % {
            **args, "partner": names.partner(new.get("partner")), "state": _application(new, lang)}
    if action == "note.added":
        return i18n.tr(lang, "%(who)s added a note") % args
    if action == "note.corrected":
        return i18n.tr(lang, "%(who)s corrected a note") % args
    return i18n.tr(lang, "%(who)s changed the file") % args


def event_line(action: str, old: Mapping | None, new: Mapping | None, *, at: dt.datetime | dt.date, lang: str,
               who: str, what: str = "", reason: str | None = None, names: Names | None = None) -> str:
    """The whole line of the history: the sentence, the reason given (if the event is not one the
    replanning caused), and the day: « … comme faite (motif : …) — 12/09/2026 »."""
    lang = i18n.language(lang)
    text = sentence(action, old, new, lang=lang, who=who, what=what, names=names)
    if reason and action not in DERIVED:
        text += " " + i18n.tr(lang, "(reason: %(reason)s)") % {"reason": reason}
    return f"{text} — {i18n.format_date(local_day(at), lang)}"


def local_day(at: dt.datetime | dt.date) -> dt.date:
    """The day in Brussels of an audit timestamp (UTC; a naive one is read as UTC, as SQLite gives it)."""
    if not isinstance(at, dt.datetime):
        return at
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(BRUSSELS).date()
